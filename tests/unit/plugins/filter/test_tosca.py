"""Filters tosca_machines and tosca_server_addresses: a TOSCA inventory's Compute instances as
podman containers or OpenStack servers (the OpenStack path cannot run here: this is its test)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dodas.dodas.plugins.filter.tosca import size_mib, tosca_machines, tosca_server_addresses

FLAVORS = [
    {'name': 'm1.small', 'vcpus': 1, 'ram': 2048, 'disk': 20},
    {'name': 'm1.medium', 'vcpus': 2, 'ram': 4096, 'disk': 40},
    {'name': 'm1.large', 'vcpus': 4, 'ram': 8192, 'disk': 80},
    {'name': 'c1.large', 'vcpus': 4, 'ram': 4096, 'disk': 40},
]
OPENSTACK = {'ssh_cidr': '192.0.2.0/24', 'key_name': 'admin', 'ssh_user': 'debian', 'network': 'private-net'}


def host(name, compute='box', cpus=1, mem='2 GB', dist='debian', version='13', image=None, ports=None, **host_extra):
    os_caps = {'type': 'linux', 'distribution': dist, 'version': version}
    if image:
        os_caps['image'] = image
    endpoint = {'network_name': 'PRIVATE'}
    if ports:
        endpoint['ports'] = ports
    return {
        'inventory_hostname': name,
        'tosca_compute_node': compute,
        'tosca_capabilities': {
            'host': {'num_cpus': cpus, 'mem_size': mem, **host_extra},
            'os': os_caps,
            'endpoint': endpoint,
        },
    }


@pytest.mark.parametrize(
    ('value', 'mib'),
    [('4 GB', 3815), ('4 GiB', 4096), ('512 MiB', 512), ('1.5 GB', 1431), (2**30, 1024), (None, 0), ('', 0)],
)
def test_sizes_follow_tosca_units(value, mib):
    assert size_mib(value, 'x') == mib


def test_a_size_without_a_known_unit_is_an_error():
    with pytest.raises(AnsibleFilterError, match=r'x: .4 parsecs. is not a size'):
        size_mib('4 parsecs', 'x')


def test_podman_images_from_os_capability_image_or_map():
    machines = [
        host('d-a-1', 'a'),
        host('d-b-1', 'b', dist='debian', version='12'),
        host('d-c-1', 'c', image='localhost/custom:1'),
    ]
    out = tosca_machines(machines, 'podman', {'images': {'debian-12': 'localhost/other:12'}}, 'd')
    assert [(c['name'], c['image']) for c in out] == [
        ('d-a-1', 'localhost/dodas/debian:13'),
        ('d-b-1', 'localhost/other:12'),
        ('d-c-1', 'localhost/custom:1'),
    ]
    assert out[0]['labels'] == {'dodas.tosca': 'd', 'dodas.tosca.compute': 'a'}
    assert out[0]['privileged'] is False


def test_podman_privileged_for_named_compute_nodes_only():
    out = tosca_machines([host('d-a-1', 'a'), host('d-b-1', 'b')], 'podman', {'privileged': ['b']}, 'd')
    assert [c['privileged'] for c in out] == [False, True]
    assert tosca_machines([host('d-a-1', 'a')], 'podman', {'privileged': True}, 'd')[0]['privileged'] is True


def test_podman_without_distribution_or_image_names_what_to_set():
    with pytest.raises(AnsibleFilterError, match=r'd-a-1: no image: set os\.image or os\.distribution'):
        tosca_machines([host('d-a-1', 'a', dist='', version='')], 'podman', {}, 'd')


def test_input_must_be_tosca_host_variables():
    with pytest.raises(AnsibleFilterError, match=r'hostvars of hosts of a dodas\.dodas\.tosca inventory'):
        tosca_machines([{'inventory_hostname': 'x'}], 'podman', {}, 'd')


def test_openstack_picks_the_smallest_fitting_flavour():
    machines = [
        host('d-cm-1', 'cm', cpus=1, mem='2 GB', image='debian-13'),
        host('d-wn-1', 'wn', cpus=4, mem='4 GB', image='debian-13'),
    ]
    out = tosca_machines(machines, 'openstack', OPENSTACK, 'd', FLAVORS)
    assert [(s['name'], s['flavor']) for s in out['servers']] == [('d-cm-1', 'm1.small'), ('d-wn-1', 'c1.large')]
    server = out['servers'][0]
    assert server['network'] == 'private-net'
    assert server['security_groups'] == ['d']
    assert server['key_name'] == 'admin'
    assert server['metadata'] == {'dodas.tosca': 'd', 'dodas.tosca.compute': 'cm'}


def test_openstack_instance_type_and_flavour_map_win():
    machines = [host('d-a-1', 'a', image='img', instance_type='x1.huge'), host('d-b-1', 'b', image='img')]
    out = tosca_machines(machines, 'openstack', {**OPENSTACK, 'flavors': {'b': 'g1.gpu'}}, 'd', FLAVORS)
    assert [s['flavor'] for s in out['servers']] == ['x1.huge', 'g1.gpu']


def test_openstack_images_by_distribution():
    out = tosca_machines(
        [host('d-a-1', 'a')], 'openstack', {**OPENSTACK, 'images': {'debian-13': 'Debian 13'}}, 'd', FLAVORS
    )
    assert out['servers'][0]['image'] == 'Debian 13'


def test_openstack_no_fitting_flavour_is_an_error():
    with pytest.raises(AnsibleFilterError, match='d-a-1: no flavour has 16 CPUs'):
        tosca_machines([host('d-a-1', 'a', cpus=16, image='i')], 'openstack', OPENSTACK, 'd', FLAVORS)


def test_openstack_needs_an_image_a_network_and_ssh_cidr():
    with pytest.raises(AnsibleFilterError, match='no image'):
        tosca_machines([host('d-a-1', 'a')], 'openstack', OPENSTACK, 'd', FLAVORS)
    without_network = {k: v for k, v in OPENSTACK.items() if k != 'network'}
    with pytest.raises(AnsibleFilterError, match='no network'):
        tosca_machines([host('d-a-1', 'a', image='i')], 'openstack', without_network, 'd', FLAVORS)
    without_cidr = {k: v for k, v in OPENSTACK.items() if k != 'ssh_cidr'}
    with pytest.raises(AnsibleFilterError, match='ssh_cidr is required'):
        tosca_machines([host('d-a-1', 'a', image='i')], 'openstack', without_cidr, 'd', FLAVORS)


def test_openstack_rules_from_endpoint_ports_deduplicated():
    ports = {
        'collector': {'protocol': 'tcp', 'source': 9618},
        'range': {'protocol': 'udp', 'source_range': [9000, 9100]},
    }
    machines = [host('d-a-1', 'a', image='i', ports=ports), host('d-a-2', 'a', image='i', ports=ports)]
    out = tosca_machines(machines, 'openstack', {**OPENSTACK, 'ingress_cidr': '198.51.100.0/24'}, 'd', FLAVORS)
    assert out['security_group_rules'] == [
        {'protocol': 'tcp', 'port_range_min': 9618, 'port_range_max': 9618, 'remote_ip_prefix': '198.51.100.0/24'},
        {'protocol': 'udp', 'port_range_min': 9000, 'port_range_max': 9100, 'remote_ip_prefix': '198.51.100.0/24'},
    ]


def test_unknown_provider():
    with pytest.raises(AnsibleFilterError, match='unknown provider'):
        tosca_machines([], 'aws')


def test_server_addresses_fixed_and_floating():
    server = {
        'name': 's',
        'addresses': {
            'private-net': [
                {'addr': 'fd00::5', 'version': 6, 'OS-EXT-IPS:type': 'fixed'},
                {'addr': '10.0.0.5', 'version': 4, 'OS-EXT-IPS:type': 'fixed'},
                {'addr': '203.0.113.7', 'version': 4, 'OS-EXT-IPS:type': 'floating'},
            ]
        },
    }
    assert tosca_server_addresses(server) == {'private_address': '10.0.0.5', 'public_address': '203.0.113.7'}


def test_server_without_address_is_an_error():
    with pytest.raises(AnsibleFilterError, match="server 's' has no IPv4 address"):
        tosca_server_addresses({'name': 's', 'addresses': {}})
