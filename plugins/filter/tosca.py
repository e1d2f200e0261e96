"""Filters that turn the Compute nodes of a TOSCA inventory (dodas.dodas.tosca) into what a
provider creates: podman containers or OpenStack servers with their security group rules."""

from __future__ import annotations

import math
import re

from ansible.errors import AnsibleFilterError

_SIZE = re.compile(r'^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$')
# TOSCA scalar-unit.size units, in bytes (kB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024).
_UNITS = {
    '': 1,
    'B': 1,
    'KB': 1000,
    'KIB': 1024,
    'MB': 1000**2,
    'MIB': 1024**2,
    'GB': 1000**3,
    'GIB': 1024**3,
    'TB': 1000**4,
    'TIB': 1024**4,
}
_NAME = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')


def size_mib(value, where):
    """A TOSCA size ("4 GB", "512 MiB", a number of bytes) in MiB, rounded up."""
    if value in (None, ''):
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return math.ceil(value / 1024**2)
    match = _SIZE.match(str(value))
    if not match or match.group(2).upper() not in _UNITS:
        raise AnsibleFilterError(f'{where}: {value!r} is not a size such as "4 GB" or "512 MiB"')
    return math.ceil(float(match.group(1)) * _UNITS[match.group(2).upper()] / 1024**2)


def _hosts(machines):
    out = []
    for item in machines or []:
        name = item.get('inventory_hostname')
        caps = item.get('tosca_capabilities')
        if not name or not isinstance(caps, dict):
            raise AnsibleFilterError('tosca_machines expects the hostvars of hosts of a dodas.dodas.tosca inventory')
        if not _NAME.match(name):
            raise AnsibleFilterError(f'host name {name!r} cannot name a container or server')
        out.append((name, item.get('tosca_compute_node', ''), caps))
    return out


def _distribution(caps):
    os_caps = caps.get('os') or {}
    dist = str(os_caps.get('distribution') or '').lower()
    version = str(os_caps.get('version') or '')
    return dist, version, os_caps.get('image') or ''


def _selected(option, compute):
    """A bool option, or a list of the Compute node names it applies to."""
    if isinstance(option, bool):
        return option
    if isinstance(option, (list, tuple)):
        return compute in option
    if option in (None, ''):
        return False
    raise AnsibleFilterError(f'expected true/false or a list of Compute node names, got {option!r}')


def _podman(hosts, options, deployment):
    images = options.get('images') or {}
    out = []
    for name, compute, caps in hosts:
        dist, version, image = _distribution(caps)
        image = images.get(f'{dist}-{version}') or image
        if not image:
            if not dist or not version:
                raise AnsibleFilterError(
                    f'{name}: no image: set os.image or os.distribution and os.version on {compute}, '
                    'or provider_options.images'
                )
            image = f'localhost/dodas/{dist}:{version}'
        out.append(
            {
                'name': name,
                'image': image,
                'compute': compute,
                'privileged': _selected(options.get('privileged', False), compute),
                'capabilities': list(options.get('capabilities') or []),
                'labels': {'dodas.tosca': deployment, 'dodas.tosca.compute': compute},
            }
        )
    return out


def _flavor(name, caps, flavors, chosen):
    host = caps.get('host') or {}
    if chosen:
        return chosen
    if host.get('instance_type'):
        return host['instance_type']
    cpus = int(host.get('num_cpus') or 1)
    ram = size_mib(host.get('mem_size'), f'{name}: host.mem_size')
    disk_gb = math.ceil(size_mib(host.get('disk_size'), f'{name}: host.disk_size') / 1024)
    fitting = [
        f
        for f in flavors or []
        if int(f.get('vcpus') or 0) >= cpus and int(f.get('ram') or 0) >= ram and int(f.get('disk') or 0) >= disk_gb
    ]
    if not fitting:
        raise AnsibleFilterError(
            f'{name}: no flavour has {cpus} CPUs, {ram} MiB of memory and {disk_gb} GB of disk; '
            'set host.instance_type or provider_options.flavors'
        )
    best = min(fitting, key=lambda f: (int(f['vcpus']), int(f['ram']), int(f.get('disk') or 0), f['name']))
    return best['name']


def _openstack(hosts, options, deployment, flavors):
    images = options.get('images') or {}
    flavor_map = options.get('flavors') or {}
    servers, rules = [], []
    for name, compute, caps in hosts:
        dist, version, image = _distribution(caps)
        image = images.get(f'{dist}-{version}') or image
        if not image:
            raise AnsibleFilterError(f'{name}: no image: set os.image on {compute} or provider_options.images')
        endpoint = caps.get('endpoint') or {}
        network = options.get('network') or endpoint.get('network_name')
        if not network or network in ('PRIVATE', 'PUBLIC'):
            raise AnsibleFilterError(
                f'{name}: no network: set provider_options.network or endpoint.network_name on {compute}'
            )
        servers.append(
            {
                'name': name,
                'image': image,
                'flavor': _flavor(name, caps, flavors, flavor_map.get(compute)),
                'network': network,
                'key_name': options.get('key_name') or '',
                'security_groups': [deployment],
                'floating_ip': bool(options.get('floating_ip', False)),
                'metadata': {'dodas.tosca': deployment, 'dodas.tosca.compute': compute},
            }
        )
        for port in (endpoint.get('ports') or {}).values():
            rules.extend(_port_rules(name, port, options))
    unique = []
    for rule in rules:
        if rule not in unique:
            unique.append(rule)
    return {'servers': servers, 'security_group_rules': unique}


def _port_rules(name, port, options):
    if not isinstance(port, dict):
        raise AnsibleFilterError(f'{name}: endpoint ports must be PortSpec maps, got {port!r}')
    protocol = str(port.get('protocol') or 'tcp').lower()
    if protocol not in ('tcp', 'udp', 'icmp'):
        raise AnsibleFilterError(f'{name}: port protocol {protocol!r} is not tcp, udp or icmp')
    cidr = options.get('ingress_cidr') or options.get('ssh_cidr')
    if 'source_range' in port:
        low, high = port['source_range']
    else:
        low = high = port.get('source', port.get('target'))
    if low is None:
        raise AnsibleFilterError(f'{name}: a port needs source, target or source_range')
    return [{'protocol': protocol, 'port_range_min': int(low), 'port_range_max': int(high), 'remote_ip_prefix': cidr}]


def tosca_machines(machines, provider, options=None, deployment='', flavors=None):
    """What to create for the Compute instances of a TOSCA inventory.

    ``machines`` are the hosts' variables (``groups['tosca_compute'] | map('extract', hostvars)``);
    ``provider`` is ``podman`` (a list of containers) or ``openstack`` (servers and security
    group rules; ``flavors`` is the cloud's flavour list, used when a node names no flavour).
    """
    options = dict(options or {})
    hosts = _hosts(machines)
    if provider == 'podman':
        return _podman(hosts, options, deployment)
    if provider == 'openstack':
        if not options.get('ssh_cidr'):
            raise AnsibleFilterError(
                'provider_options.ssh_cidr is required for OpenStack: the network allowed to reach the servers over '
                'SSH (for example your admin network; 0.0.0.0/0 only if you mean it)'
            )
        return _openstack(hosts, options, deployment, flavors)
    raise AnsibleFilterError(f'tosca_machines: unknown provider {provider!r} (podman, openstack)')


def tosca_server_addresses(server):
    """The first fixed (private) and floating (public) IPv4 addresses of an OpenStack server, as
    the openstack.cloud.server module returns it (``addresses``: network -> list of addresses)."""
    if not isinstance(server, dict):
        raise AnsibleFilterError('tosca_server_addresses expects the server dict of openstack.cloud.server')
    private = public = ''
    for entries in (server.get('addresses') or {}).values():
        for entry in entries or []:
            if entry.get('version', 4) != 4:
                continue
            kind = entry.get('OS-EXT-IPS:type', 'fixed')
            if kind == 'floating' and not public:
                public = entry.get('addr', '')
            elif kind == 'fixed' and not private:
                private = entry.get('addr', '')
    private = private or server.get('private_v4') or server.get('access_ipv4') or ''
    public = public or server.get('public_v4') or ''
    if not private:
        raise AnsibleFilterError(f'server {server.get("name")!r} has no IPv4 address')
    return {'private_address': private, 'public_address': public}


class FilterModule:
    """TOSCA deployment filters."""

    def filters(self):
        return {'tosca_machines': tosca_machines, 'tosca_server_addresses': tosca_server_addresses}
