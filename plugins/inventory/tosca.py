# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)
"""Inventory plugin dodas.dodas.tosca: a TOSCA template of the dodas.dodas types as an inventory."""

from __future__ import annotations

DOCUMENTATION = r"""
name: tosca
short_description: A TOSCA template of the dodas.dodas types as an Ansible inventory
version_added: 0.1.0
author:
  - DODAS developers (@DODAS-TS)
description:
  - Reads a TOSCA template built on the node types of this collection (C(tosca/types/dodas.yaml)) and its inputs,
    validates it with tosca-parser, and turns it into an inventory that C(dodas.dodas.tosca_deploy) (and any playbook
    of this collection) can run on.
  - One host per instance of every Compute node (C(scalable.count) instances, else C(default_instances), else one),
    named C(<deployment>-<compute node>-<n>), n from 1, lowered and with C(_) turned into C(-).
  - "Groups: C(tosca_compute) (every instance), C(tosca_compute_<compute node>), C(tosca_node_<node>) and one group
    per node type (for example C(tosca_nodes_dodas_htcondor_execute)) with the hosts of every node, and the
    inventory groups each node type stands for (its C(Standard.configure) input C(dodas_groups), for example
    C(htcondor_execute)) - the same groups an administrator would write by hand."
  - Host variables are the properties the template sets on the nodes a host carries (named like the roles'
    variables), with C(get_input), C(get_property) and C(concat) resolved. C(get_attribute) of C(private_address),
    C(public_address) or C(ip_address) becomes a Jinja expression over C(hostvars[<host>].tosca_private_address)
    (or C(tosca_public_address)), which the deploy playbook sets once the machines run.
  - Variables of the group C(all) - C(tosca_deployment), C(tosca_template), C(tosca_plan) (the nodes with their role,
    groups and hosts, every requirement's target before the node), C(tosca_outputs), C(tosca_provider),
    C(tosca_provider_options) - drive C(playbooks/tosca_deploy.yml).
  - Any import of C(.../tosca/types/dodas.yaml) is read from this collection's own copy, so no network is needed.
  - "The template is trusted like a YAML inventory file: its strings may hold Jinja."
requirements:
  - tosca-parser (Python package, on the controller)
extends_documentation_fragment:
  - ansible.builtin.constructed
options:
  plugin:
    description: The name of this plugin; the source file must say it.
    type: str
    required: true
    choices: [dodas.dodas.tosca]
  template:
    description: Path of the TOSCA template, relative to the inventory source file or absolute (C(~) is expanded).
    type: str
    required: true
  inputs:
    description: Values of the template's inputs. Inputs without a default must be given; unknown ones are refused.
    type: dict
    default: {}
  deployment:
    description:
      - Name of the deployment, the prefix of host names and of the provider's resources (network, containers,
        servers). Lower-case letters, digits and C(-).
      - Empty means the template's file name.
    type: str
    default: ""
  provider:
    description:
      - Where the Compute nodes run and how Ansible reaches them.
      - C(podman) - local systemd containers on one podman network, reached with C(containers.podman.podman).
      - C(openstack) - servers on an OpenStack cloud through C(openstack.cloud), reached over SSH at the addresses the
        deploy playbook recorded in O(state_dir).
      - C(none) - hosts only; connection variables come from elsewhere (for example C(group_vars)).
    type: str
    choices: [podman, openstack, none]
    default: podman
  provider_options:
    description:
      - Settings of the provider, passed to the deploy playbook as C(tosca_provider_options); see C(docs/tosca.md).
      - "C(podman): C(images) (map of C(<distribution>-<version>) to an image; default
        C(localhost/dodas/<distribution>:<version>)), C(privileged) (bool or list of Compute node names),
        C(capabilities) (list), C(network), C(join_containers) (list), C(apt_proxy)."
      - "C(openstack): C(cloud), C(key_name), C(ssh_user), C(ssh_cidr), C(ingress_cidr), C(network) (default: the
        C(endpoint) C(network_name)), C(floating_ip) (bool), C(flavors) (map of Compute node to flavour), C(images)
        (map of C(<distribution>-<version>) to an image), C(timeout)."
    type: dict
    default: {}
  state_dir:
    description: Folder of the provider's state files (addresses of OpenStack servers), one per deployment.
    type: path
    default: ~/.cache/dodas/tosca
  local_defs:
    description: Further imports to read from local files, as a map of URL to path (tosca-parser's C(local_defs)).
    type: dict
    default: {}
"""

EXAMPLES = r"""
# demo.tosca.yml - local containers; then: ansible-playbook -i demo.tosca.yml dodas.dodas.tosca_deploy
plugin: dodas.dodas.tosca
template: tosca/templates/htcondor_cluster.yaml
deployment: demo
inputs:
  execute_nodes: 2
provider: podman

# t2-xx-dodas.tosca.yml - an OpenStack project (the cloud from clouds.yaml):
# plugin: dodas.dodas.tosca
# template: cms_site.yaml
# deployment: t2-xx-dodas
# inputs: {execute_nodes: 10, cms_local_site: T2_XX_Dodas}
# provider: openstack
# provider_options: {cloud: my-project, key_name: admin-key, ssh_user: debian,
#                    ssh_cidr: 192.0.2.0/24, network: project-net, floating_ip: true}
"""

import json
import os

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

from ansible_collections.dodas.dodas.plugins.plugin_utils._tosca import Deployment, ToscaError, to_ansible

CONNECTIONS = {
    'podman': {'ansible_connection': 'containers.podman.podman'},
    'openstack': {'ansible_connection': 'ssh'},
    'none': {},
}


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = 'dodas.dodas.tosca'
    # The template is the admin's own file, like a YAML inventory: its values may be templated.
    trusted_by_default = True

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(('.tosca.yml', '.tosca.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        template = os.path.expanduser(self.get_option('template'))
        if not os.path.isabs(template):
            template = os.path.join(os.path.dirname(os.path.abspath(path)), template)
        deployment = self.get_option('deployment') or os.path.splitext(os.path.basename(template))[0]
        deployment = deployment.lower().replace('_', '-')
        provider = self.get_option('provider')
        try:
            model = Deployment(template, self.get_option('inputs'), deployment, self.get_option('local_defs'))
            host_vars = model.host_vars()
            groups = model.groups()
            outputs = model.outputs()
        except ToscaError as exc:
            raise AnsibleParserError(f'{path}: {exc}') from None
        state = self._state(deployment) if provider == 'openstack' else {}
        options = self.get_option('provider_options') or {}

        for group, hosts in groups.items():
            self.inventory.add_group(group)
            for host in hosts:
                self.inventory.add_host(host, group=group)
        strict = self.get_option('strict')
        for host, variables in host_vars.items():
            self.inventory.add_host(host, group='tosca_compute')
            merged = dict(variables)
            merged.update(CONNECTIONS[provider])
            if provider == 'podman':
                merged['ansible_host'] = host
            elif provider == 'openstack':
                merged.update(self._openstack_connection(host, state, options))
            for key, value in merged.items():
                self.inventory.set_variable(host, key, to_ansible(value))
            self._set_composite_vars(self.get_option('compose'), merged, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), merged, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), merged, host, strict=strict)

        for key, value in {
            'tosca_deployment': deployment,
            'tosca_template': template,
            'tosca_inputs': model.input_values,
            'tosca_plan': model.plan,
            'tosca_outputs': outputs,
            'tosca_provider': provider,
            'tosca_provider_options': options,
            'tosca_state_file': self._state_file(deployment),
        }.items():
            self.inventory.set_variable('all', key, to_ansible(value))

    def _state_file(self, deployment):
        return os.path.join(os.path.expanduser(self.get_option('state_dir')), f'{deployment}.json')

    def _state(self, deployment):
        path = self._state_file(deployment)
        if not os.path.exists(path):
            return {}
        try:
            with open(path, encoding='utf-8') as handle:
                return json.load(handle)
        except (OSError, ValueError) as exc:
            raise AnsibleParserError(f'cannot read the deployment state {path}: {exc}') from None

    @staticmethod
    def _openstack_connection(host, state, options):
        out = {}
        record = (state.get('hosts') or {}).get(host) or {}
        address = record.get('public_address') or record.get('private_address')
        if address:
            out['ansible_host'] = address
        for key in ('private_address', 'public_address'):
            if record.get(key):
                out[f'tosca_{key}'] = record[key]
        if options.get('ssh_user'):
            out['ansible_user'] = options['ssh_user']
        return out
