"""The helpers of plugin_utils/_tosca.py that the inventory plugin's Deployment and
scripts/tosca-lint share."""

import pytest

from ansible_collections.dodas.dodas.plugins.plugin_utils import _tosca
from support import ROOT

CMS_SITE = ROOT / 'tosca' / 'templates' / 'cms_site.yaml'
HEADER = """tosca_definitions_version: tosca_simple_yaml_1_0
imports:
  - dodas_types: https://raw.githubusercontent.com/DODAS-TS/dodas-ansible/v0.1.0/tosca/types/dodas.yaml
topology_template:
  node_templates:
"""


def test_function_calls_finds_nested_calls():
    value = {
        'properties': {
            'a': {'get_input': 'x'},
            'b': {'concat': ['http://', {'get_attribute': ['srv', 'private_address', 0]}, ':', {'get_input': 'port'}]},
            'c': [{'plain': 1}, {'token': [{'concat': [{'get_property': ['SELF', 'p']}]}, ':', 0]}],
        },
        'outputs': {'o': {'value': 'constant'}},
    }
    calls = [(name, where, inside) for name, _args, where, inside in _tosca.function_calls(value)]
    assert calls == [
        ('get_input', 'properties.a', ()),
        ('concat', 'properties.b', ()),
        ('get_attribute', 'properties.b', ('concat',)),
        ('get_input', 'properties.b', ('concat',)),
        ('token', 'properties.c[1]', ()),
        ('concat', 'properties.c[1]', ('token',)),
        ('get_property', 'properties.c[1]', ('token', 'concat')),
    ]


def test_function_calls_keeps_arguments_and_ignores_plain_maps():
    calls = list(_tosca.function_calls({'get_attribute': ['srv', 'private_address'], 'other': 1}))
    assert calls == []  # two keys: a map, not a call
    ((name, args, where, inside),) = _tosca.function_calls({'get_attribute': ['srv', 'private_address']})
    assert (name, args, where, inside) == ('get_attribute', ['srv', 'private_address'], '', ())


def test_dependency_order_puts_requirements_first():
    order, cycle = _tosca.dependency_order(['c', 'b', 'a'], {'c': ['b', 'outside'], 'b': ['a']})
    assert (order, cycle) == (['a', 'b', 'c'], None)


def test_dependency_order_reports_the_cycle():
    _order, cycle = _tosca.dependency_order(['x', 'a', 'b', 'c'], {'a': ['b'], 'b': ['c'], 'c': ['a']})
    assert cycle == ['a', 'b', 'c', 'a']
    _order, cycle = _tosca.dependency_order(['a'], {'a': ['a']})
    assert cycle == ['a', 'a']


@pytest.fixture(scope='module')
def cms_site():
    return _tosca.parse_template(CMS_SITE)


def test_parse_template_reads_the_types_offline(cms_site):
    template, raw = cms_site
    assert {n.name for n in template.nodetemplates} >= {'site_squid', 'cvmfs_execute', 'execute_server'}
    assert raw['metadata']['template_name'] == 'cms_site'


def test_parse_template_names_the_file_on_errors(tmp_path):
    bad = tmp_path / 'bad.yaml'
    bad.write_text(HEADER + '    srv: {type: tosca.nodes.DODAS.Computer}\n')
    with pytest.raises(_tosca.ToscaError, match=rf'(?s)^{bad}: .*tosca.nodes.DODAS.Computer" is not a valid type'):
        _tosca.parse_template(bad)


def test_hosted_on_chain(cms_site):
    nodes = {n.name: n for n in cms_site[0].nodetemplates}
    chain, loops = _tosca.hosted_on_chain(nodes['cvmfs_execute'])
    assert [n.name for n in chain] == ['cvmfs_execute', 'execute_server'] and not loops
    chain, loops = _tosca.hosted_on_chain(nodes['execute_server'])
    assert [n.name for n in chain] == ['execute_server'] and not loops


def test_hosted_on_chain_loops(tmp_path):
    path = tmp_path / 'loop.yaml'
    path.write_text(
        HEADER
        + '    a: {type: tosca.nodes.DODAS.Squid, requirements: [{host: b}]}\n'
        + '    b: {type: tosca.nodes.DODAS.Squid, requirements: [{host: a}]}\n'
    )
    template, _raw = _tosca.parse_template(path)
    node = next(n for n in template.nodetemplates if n.name == 'a')
    chain, loops = _tosca.hosted_on_chain(node)
    assert [n.name for n in chain] == ['a', 'b', 'a'] and loops
    with pytest.raises(_tosca.ToscaError, match=r'node a: HostedOn relationships form a cycle: a -> b -> a'):
        _tosca.Deployment(path)


def test_requirement_definitions_and_capability_types(cms_site):
    nodes = {n.name: n for n in cms_site[0].nodetemplates}
    reqs = _tosca.requirement_definitions(nodes['cvmfs_execute'].type_definition)
    assert reqs['proxy']['node'] == 'tosca.nodes.DODAS.Squid'
    assert reqs['host']['node'] == 'tosca.nodes.Compute'  # from tosca.nodes.SoftwareComponent
    assert 'dependency' in reqs  # from tosca.nodes.Root
    caps = _tosca.capability_types(nodes['execute_server'].type_definition)
    assert caps['host'][:2] == ['tosca.capabilities.DODAS.Container', 'tosca.capabilities.Container']
    assert _tosca.capability_types(nodes['site_squid'].type_definition)['proxy'][0] == 'tosca.capabilities.DODAS.Squid'


def test_deployment_from_a_parsed_template_is_the_same(cms_site):
    own = _tosca.Deployment(CMS_SITE, deployment='site')
    shared = _tosca.Deployment(CMS_SITE, deployment='site', parsed=cms_site)
    assert shared.plan == own.plan
    assert shared.groups() == own.groups()
    assert shared.host_vars() == own.host_vars()


def test_deployment_names_the_node_of_a_requirement_cycle(tmp_path):
    path = tmp_path / 'cycle.yaml'
    path.write_text(
        HEADER
        + '    srv: {type: tosca.nodes.DODAS.Compute}\n'
        + '    cm: {type: tosca.nodes.DODAS.HTCondor.CentralManager, requirements: [{host: srv}, {dependency: sub}]}\n'
        + '    sub: {type: tosca.nodes.DODAS.HTCondor.Submit, requirements: [{host: srv}, {central_manager: cm}]}\n'
    )
    with pytest.raises(_tosca.ToscaError, match=rf'^{path}: node cm: requirements form a cycle: cm -> sub -> cm$'):
        _tosca.Deployment(path)
