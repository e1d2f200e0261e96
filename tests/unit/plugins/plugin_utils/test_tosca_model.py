"""The TOSCA deployment model behind the inventory plugin dodas.dodas.tosca (plugin_utils/_tosca.py)."""

from pathlib import Path

import pytest
import yaml

from ansible_collections.dodas.dodas.plugins.plugin_utils._tosca import (
    Deployment,
    Runtime,
    ToscaError,
    host_name,
    safe_group,
    sample_inputs,
    to_ansible,
)
from support import ROOT

FIXTURES = Path(__file__).parent / 'fixtures'


def model(name, inputs=None, deployment='t'):
    return Deployment(FIXTURES / f'{name}.yaml', inputs or {}, deployment)


def test_sample_inputs_only_for_inputs_without_default():
    raw = {
        'topology_template': {
            'inputs': {
                'secret': {'type': 'string'},
                'count': {'type': 'integer', 'constraints': [{'greater_or_equal': 3}]},
                'size': {'type': 'integer', 'constraints': [{'valid_values': [1, 3, 5]}]},
                'given': {'type': 'string', 'default': 'x'},
                'optional': {'type': 'string', 'required': False},
            }
        }
    }
    samples = sample_inputs(raw)
    assert samples == {'secret': 'sample-secret-0123456789', 'count': 3, 'size': 1}


def test_host_names_are_dns_labels():
    assert host_name('demo', 'execute_server', 2) == 'demo-execute-server-2'
    assert host_name('', 'CM__Server', 1) == 'cm-server-1'
    assert host_name('My_Site', 'x.y', 3) == 'my-site-x-y-3'


def test_group_names_are_ansible_safe():
    assert safe_group('tosca.nodes.DODAS.Squid') == 'tosca_nodes_DODAS_Squid'


def test_instances_follow_scalable_count_from_an_input():
    deployment = model('functions', {'site': 'T2_XX_Y', 'clients': 2})
    assert deployment.instances == {
        'proxy_host': ['t-proxy-host-1'],
        'client_host': ['t-client-host-1', 't-client-host-2'],
    }


def test_default_instances_and_zero_count():
    deployment = model('default_instances')
    assert deployment.instances == {'box': ['t-box-1', 't-box-2'], 'none': []}


def test_inputs_without_default_are_required():
    with pytest.raises(ToscaError, match=r"inputs without a default must be given: \['site'\]"):
        model('functions')


def test_unknown_inputs_are_refused():
    with pytest.raises(ToscaError, match=r"unknown inputs \['sites'\]"):
        model('functions', {'site': 'x', 'sites': 'y'})


def test_input_types_are_checked_by_tosca_parser():
    with pytest.raises(ToscaError, match='is not an integer'):
        model('functions', {'site': 'x', 'clients': 'many'})


def test_properties_resolve_inputs_properties_and_concat():
    deployment = model('functions', {'site': 'T2_XX_Y'})
    client = deployment.services['client']['properties']
    assert client['cvmfs_cms_local_site'] == 'T2_XX_Y'
    assert client['cvmfs_cache_base'] == '/var/lib/cvmfs-debian'  # get_property of HOST's capability
    proxy = client['cvmfs_http_proxies'][0]
    assert isinstance(proxy, Runtime)
    assert proxy.jinja() == (
        "{{ (('http://') ~ (hostvars['t-proxy-host-1']['tosca_private_address']) ~ (':') ~ ('3130')) }}"
    )
    assert client['cvmfs_params']['PROXY_NODE'] == 'proxy'
    assert client['cvmfs_params']['CLIENTS'].expr == (
        "['t-client-host-1', 't-client-host-2', 't-client-host-3'] | map('extract', hostvars, "
        "'tosca_private_address') | list"
    )
    assert deployment.services['proxy']['properties']['squid_port'] == 3130


def test_outputs_are_runtime_or_static():
    outputs = to_ansible(model('functions', {'site': 'x'}).outputs())
    assert outputs == {
        'proxy_url': "{{ (('http://') ~ (hostvars['t-proxy-host-1']['tosca_public_address']) ~ (':3130')) }}",
        'static': 3130,
    }


def test_plan_puts_requirement_targets_first_and_names_groups():
    deployment = model('functions', {'site': 'x'})
    assert [(s['name'], s['role'], s['groups']) for s in deployment.plan] == [
        ('proxy', 'dodas.dodas.squid', ['squid']),
        ('client', 'dodas.dodas.cvmfs', ['cvmfs_client']),
    ]


def test_nodes_of_one_role_go_together_unless_another_role_must_come_between():
    steps = model('interleaved').plan
    assert [(s['role'], s['nodes']) for s in steps] == [
        ('dodas.dodas.htcondor', ['cm', 'submit']),
        ('dodas.dodas.squid', ['proxy']),
        ('dodas.dodas.htcondor', ['execute']),
    ]
    assert steps[0]['groups'] == ['htcondor_central_manager', 'htcondor_submit']
    assert steps[0]['name'] == 'cm, submit'


def test_groups_hold_contract_node_type_and_compute_groups():
    groups = model('functions', {'site': 'x', 'clients': 1}).groups()
    assert groups['squid'] == ['t-proxy-host-1']
    assert groups['cvmfs_client'] == ['t-client-host-1']
    assert groups['tosca_node_client'] == ['t-client-host-1']
    assert groups['tosca_nodes_dodas_cvmfs_client'] == ['t-client-host-1']
    assert groups['tosca_compute_client_host'] == ['t-client-host-1']
    assert sorted(groups['tosca_compute']) == ['t-client-host-1', 't-proxy-host-1']


def test_host_vars_merge_the_nodes_of_a_host_with_their_capabilities():
    hv = model('functions', {'site': 'x', 'clients': 1}).host_vars()
    client = hv['t-client-host-1']
    assert client['tosca_nodes'] == ['client']
    assert client['tosca_compute_node'] == 'client_host'
    assert client['tosca_capabilities']['os']['version'] == '12'
    assert client['cvmfs_repositories'] == ['cms.cern.ch']
    assert 'squid_port' not in client


def test_two_nodes_of_one_host_must_agree_on_a_variable():
    with pytest.raises(ToscaError, match='nodes cm and submit share the host t-box-1 but set htcondor_uid_domain'):
        model('conflict').host_vars()


def test_requirement_cycles_are_refused():
    with pytest.raises(ToscaError, match='requirements form a cycle'):
        model('cycle')


def test_a_node_without_a_host_is_refused():
    # tosca-parser already refuses it (the host requirement's occurrences); the model would too.
    with pytest.raises(ToscaError, match=r'(?s)unhosted\.yaml: .*Relationship "host" in template "lonely"'):
        model('unhosted')


def test_get_attribute_index_out_of_range_names_node_and_property():
    with pytest.raises(
        ToscaError, match=r'node proxy, property squid_extra_config: box has 1 instance\(s\), no index 4'
    ):
        model('bad_attribute')


def test_get_attribute_of_a_missing_node_inside_concat():
    with pytest.raises(ToscaError, match="names a node 'no_such_server' that is not in the template"):
        model('bad_node_ref')


def test_unknown_property_is_a_parser_error_with_the_file():
    with pytest.raises(
        ToscaError,
        match=r'(?s)unknown_property\.yaml: .*template "proxy" contains unknown field "squid_no_such_option"',
    ):
        model('unknown_property')


@pytest.mark.parametrize('template', sorted((ROOT / 'tosca' / 'templates').glob('*.yaml')), ids=lambda p: p.stem)
def test_every_shipped_template_builds_with_default_inputs(template):
    deployment = Deployment(template, sample_inputs(yaml.safe_load(template.read_text())), 'x')
    assert deployment.plan, f'{template.name}: nothing to configure'
    assert all(step['role'].startswith('dodas.dodas.') for step in deployment.plan)
    deployment.host_vars()
    deployment.outputs()
