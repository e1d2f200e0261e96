"""Shared pytest settings: the collection root and helpers to read its YAML."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def load_yaml(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def roles():
    return sorted(p.name for p in (ROOT / 'roles').iterdir() if p.is_dir())


@pytest.fixture
def root():
    return ROOT
