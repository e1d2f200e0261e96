"""The lint script as a module, for the tests of scripts/tosca-lint."""

import importlib.machinery
import importlib.util

import pytest

from support import ROOT


def load_script(name, path):
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def lint():
    return load_script('tosca_lint', ROOT / 'scripts' / 'tosca-lint')
