"""The inventory plugin dodas.dodas.tosca, run by ansible-inventory as users run it (no network,
no containers: it only reads the template)."""

import json
import subprocess

import pytest
import yaml

from support import ROOT, ansible_env

TEMPLATE = ROOT / 'tosca' / 'templates' / 'htcondor_cluster.yaml'


def inventory(tmp_path, name='site.tosca.yml', **config):
    source = tmp_path / name
    source.write_text(yaml.safe_dump({'plugin': 'dodas.dodas.tosca', **config}))
    env = ansible_env(ANSIBLE_INVENTORY_UNPARSED_FAILED='1')
    proc = subprocess.run(
        ['ansible-inventory', '-i', str(source), '--list', '--export'],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return proc


def listing(tmp_path, **config):
    proc = inventory(tmp_path, **config)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def hosts_of(data, group):
    return sorted(data.get(group, {}).get('hosts', []))


def test_hosts_and_groups_of_the_htcondor_template(tmp_path):
    data = listing(tmp_path, template=str(TEMPLATE), deployment='demo', inputs={'execute_nodes': 3})
    assert hosts_of(data, 'htcondor_execute') == [
        'demo-execute-server-1',
        'demo-execute-server-2',
        'demo-execute-server-3',
    ]
    assert hosts_of(data, 'htcondor_central_manager') == ['demo-cm-server-1']
    assert hosts_of(data, 'htcondor_submit') == ['demo-submit-server-1']
    assert hosts_of(data, 'tosca_nodes_dodas_htcondor_execute') == hosts_of(data, 'htcondor_execute')
    assert len(hosts_of(data, 'tosca_compute')) == 5
    hostvars = data['_meta']['hostvars']
    assert hostvars['demo-cm-server-1']['ansible_connection'] == 'containers.podman.podman'
    assert hostvars['demo-cm-server-1']['ansible_host'] == 'demo-cm-server-1'
    assert hostvars['demo-execute-server-2']['htcondor_uid_domain'] == 'dodas.local'
    assert hostvars['demo-execute-server-2']['tosca_instance_index'] == 1
    group_all = data['all']['vars']
    assert group_all['tosca_deployment'] == 'demo'
    # One step: the role orders its own node roles, as playbooks/htcondor_cluster.yml does.
    assert [step['nodes'] for step in group_all['tosca_plan']] == [
        ['htcondor_central_manager', 'htcondor_submit', 'htcondor_execute']
    ]
    assert len(group_all['tosca_plan'][0]['hosts']) == 5
    assert group_all['tosca_outputs']['central_manager_address'] == (
        "{{ hostvars['demo-cm-server-1']['tosca_private_address'] }}"
    )


def test_template_path_is_relative_to_the_source_and_deployment_defaults_to_its_name(tmp_path):
    (tmp_path / 'my_pool.yaml').write_text(TEMPLATE.read_text())
    data = listing(tmp_path, template='my_pool.yaml')
    assert data['all']['vars']['tosca_deployment'] == 'my-pool'
    assert 'my-pool-cm-server-1' in hosts_of(data, 'tosca_compute')


def test_openstack_addresses_come_from_the_state_file(tmp_path):
    state = tmp_path / 'state'
    state.mkdir()
    (state / 'os.json').write_text(
        json.dumps({'hosts': {'os-cm-server-1': {'private_address': '10.0.0.2', 'public_address': '203.0.113.9'}}})
    )
    data = listing(
        tmp_path,
        template=str(TEMPLATE),
        deployment='os',
        provider='openstack',
        provider_options={'ssh_user': 'debian'},
        state_dir=str(state),
    )
    cm = data['_meta']['hostvars']['os-cm-server-1']
    assert cm['ansible_host'] == '203.0.113.9'
    assert cm['ansible_user'] == 'debian'
    assert cm['tosca_private_address'] == '10.0.0.2'
    submit = data['_meta']['hostvars']['os-submit-server-1']
    assert 'ansible_host' not in submit  # not created yet


def test_constructed_keyed_groups(tmp_path):
    data = listing(
        tmp_path,
        template=str(TEMPLATE),
        deployment='k',
        keyed_groups=[{'key': 'tosca_compute_node', 'prefix': 'by'}],
    )
    assert hosts_of(data, 'by_submit_server') == ['k-submit-server-1']


@pytest.mark.parametrize(
    ('config', 'message'),
    [
        ({'template': 'missing.yaml'}, 'cannot read the template'),
        ({'template': str(TEMPLATE), 'inputs': {'execute_nodes': 'x'}}, 'is not an integer'),
        ({'template': str(TEMPLATE), 'inputs': {'workers': 2}}, "unknown inputs ['workers']"),
    ],
)
def test_bad_sources_fail_with_the_reason(tmp_path, config, message):
    proc = inventory(tmp_path, **config)
    assert proc.returncode != 0
    assert message in proc.stderr


def test_other_file_names_are_left_to_other_plugins(tmp_path):
    proc = inventory(tmp_path, name='site.yml', template=str(TEMPLATE))
    assert proc.returncode != 0
    assert 'tosca_compute' not in proc.stdout
