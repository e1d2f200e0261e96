"""The collection builds, installs with ansible-galaxy, and ansible-doc sees its content."""

import json
import os
import subprocess
import tarfile

import pytest

from support import ROOT, load_yaml


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp('build')
    subprocess.run(
        ['ansible-galaxy', 'collection', 'build', '--output-path', str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    version = load_yaml(ROOT / 'galaxy.yml')['version']
    tarball = out / f'dodas-dodas-{version}.tar.gz'
    assert tarball.is_file()
    return tarball


@pytest.fixture(scope='module')
def installed(built, tmp_path_factory):
    dest = tmp_path_factory.mktemp('collections')
    # --no-deps: Galaxy is never asked; the collection declares no dependencies anyway.
    subprocess.run(
        ['ansible-galaxy', 'collection', 'install', '--no-deps', '--force', '-p', str(dest), str(built)],
        check=True,
        capture_output=True,
        env=_env(dest),
    )
    return dest


def _env(collections):
    # Only the temporary install path: this checkout's own link must not be what is found.
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections))


def test_tarball_leaves_out_development_files(built):
    with tarfile.open(built) as tar:
        names = tar.getnames()
    for ignored in ('tests/', 'molecule/', 'benchmarks/', 'scripts/', '.ci/', 'requirements/'):
        assert not [n for n in names if n.startswith(ignored)], f'{ignored} is in the tarball'
    for wanted in (
        'MANIFEST.json',
        'FILES.json',
        'README.md',
        'LICENSE',
        'meta/runtime.yml',
        'roles/common/tasks/main.yml',
    ):
        assert wanted in names, f'{wanted} is missing from the tarball'


def test_installed_collection_is_listed(installed):
    assert (installed / 'ansible_collections' / 'dodas' / 'dodas' / 'MANIFEST.json').is_file()
    out = subprocess.run(
        ['ansible-galaxy', 'collection', 'list', '--format', 'json', '-p', str(installed)],
        check=True,
        capture_output=True,
        text=True,
        env=_env(installed),
    ).stdout
    listed = {name: info for path in json.loads(out).values() for name, info in path.items()}
    assert listed['dodas.dodas']['version'] == load_yaml(ROOT / 'galaxy.yml')['version']


def test_ansible_doc_lists_the_plugins(installed):
    result = subprocess.run(
        ['ansible-doc', '-l', '--json', 'dodas.dodas'],
        check=True,
        capture_output=True,
        text=True,
        env=_env(installed),
    )
    plugins = json.loads(result.stdout)
    shipped = sorted(p.stem for p in (ROOT / 'plugins' / 'modules').glob('*.py') if p.stem != '__init__')
    assert sorted(name.removeprefix('dodas.dodas.') for name in plugins) == shipped


def test_ansible_doc_documents_the_roles(installed):
    result = subprocess.run(
        ['ansible-doc', '-t', 'role', '-l', '--json', 'dodas.dodas'],
        check=True,
        capture_output=True,
        text=True,
        env=_env(installed),
    )
    roles = json.loads(result.stdout)
    shipped = sorted(p.name for p in (ROOT / 'roles').iterdir() if (p / 'meta' / 'argument_specs.yml').is_file())
    assert sorted(name.removeprefix('dodas.dodas.') for name in roles) == shipped


def test_ansible_doc_is_complete_for_every_module(installed):
    modules = sorted(p.stem for p in (ROOT / 'plugins' / 'modules').glob('*.py') if p.stem != '__init__')
    result = subprocess.run(
        ['ansible-doc', '--json', *[f'dodas.dodas.{m}' for m in modules]],
        check=True,
        capture_output=True,
        text=True,
        env=_env(installed),
    )
    docs = json.loads(result.stdout)
    for module in modules:
        entry = docs[f'dodas.dodas.{module}']
        doc = entry['doc']
        assert doc['short_description'] and doc['description'] and doc['author'], module
        assert doc['options'] and all(o.get('description') for o in doc['options'].values()), module
        assert set(doc['attributes']) >= {'check_mode', 'diff_mode', 'idempotent'}, module
        assert entry['examples'].strip(), module
        assert entry['return'] and all(r.get('description') for r in entry['return'].values()), module
