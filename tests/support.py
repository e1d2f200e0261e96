"""Paths and helpers shared by every test (import as ``support``; conftest files are not
importable by name once there are several)."""

import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / '.cache' / 'collections'


def load_yaml(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def roles():
    return sorted(p.name for p in (ROOT / 'roles').iterdir() if p.is_dir())


def collection_on_path():
    """Make ``ansible_collections.dodas.dodas`` this checkout (the link scripts/bootstrap and
    scripts/test make; made here too when pytest runs alone)."""
    link = COLLECTIONS / 'ansible_collections' / 'dodas' / 'dodas'
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink('../../../..', link)
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
