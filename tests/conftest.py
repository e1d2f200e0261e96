"""Shared pytest settings: the collection importable as ``ansible_collections.dodas.dodas``
(for the plugin unit tests) and the ``root`` fixture. Helpers live in ``support``."""

import pytest

from support import ROOT, collection_on_path

collection_on_path()


@pytest.fixture
def root():
    return ROOT
