"""Molecule scenarios run two at a time (scripts/test): their containers must not share names,
or one scenario's create or destroy step removes another's hosts."""

from support import ROOT, load_yaml

BASE = load_yaml(ROOT / '.config' / 'molecule' / 'config.yml')


def container_names():
    names = {}
    for path in sorted((ROOT / 'molecule').glob('*/molecule.yml')):
        platforms = (load_yaml(path) or {}).get('platforms') or BASE['platforms']
        for platform in platforms:
            names.setdefault(platform['name'], []).append(path.parent.name)
    return names


def test_every_container_name_belongs_to_one_scenario():
    shared = {name: scenarios for name, scenarios in container_names().items() if len(scenarios) > 1}
    assert not shared, f'container names used by several scenarios: {shared}'


def test_harness_and_tosca_names_do_not_collide():
    # The TOSCA deployments name containers <deployment>-<compute>-<n>; the package cache is dodas-pkgcache.
    assert not [n for n in container_names() if n.startswith(('dodas-', 'cmsit-', 'demo-', 'bench-'))]
