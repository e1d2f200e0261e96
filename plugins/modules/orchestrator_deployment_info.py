#!/usr/bin/python
# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: orchestrator_deployment_info
short_description: Read INDIGO PaaS Orchestrator deployments
version_added: 0.1.0
description:
  - Returns one deployment (by O(uuid) or O(name)), or every deployment matching
    O(created_by) and O(user_group), following the orchestrator's paged C(next) links.
author:
  - DODAS developers (@DODAS-TS)
extends_documentation_fragment:
  - dodas.dodas.orchestrator
  - dodas.dodas.api
  - dodas.dodas.attributes
  - dodas.dodas.attributes.info_module
options:
  uuid:
    description:
      - One deployment by uuid. An unknown uuid gives an empty list, not a failure.
    type: str
  name:
    description:
      - One deployment by the name M(dodas.dodas.orchestrator_deployment) gave it (searched
        among your deployments, in O(user_group) when given).
    type: str
  created_by:
    description:
      - List the deployments created by this user (C(sub@issuer)), or V(me) for the token's
        owner. Give an empty string to list all deployments the token may see.
    type: str
    default: me
  user_group:
    description:
      - List only the deployments of this IAM group.
    type: str
  page_size:
    description:
      - Deployments per page asked of the orchestrator (every page is read).
    type: int
    default: 50
  template:
    description:
      - Also return each deployment's TOSCA template (one more request per deployment).
    type: bool
    default: false
seealso:
  - module: dodas.dodas.orchestrator_deployment
"""

EXAMPLES = r"""
- name: My deployments
  dodas.dodas.orchestrator_deployment_info:
    url: https://paas.example.org/orchestrator
    token_file: ~/.dodas/token
  register: mine

- name: The deployments of a group
  dodas.dodas.orchestrator_deployment_info:
    url: https://paas.example.org/orchestrator
    token_file: ~/.dodas/token
    created_by: ""
    user_group: dodas

- name: One deployment, with its template
  dodas.dodas.orchestrator_deployment_info:
    url: https://paas.example.org/orchestrator
    token_file: ~/.dodas/token
    uuid: 11ec8a2e-1f1a-4b0a-9a57-8e8f7e0e4a1b
    template: true
"""

RETURN = r"""
deployments:
  description: The deployments found (an empty list when none).
  returned: always
  type: list
  elements: dict
  contains:
    uuid:
      description: The deployment's uuid.
      type: str
    name:
      description:
        - The name given by M(dodas.dodas.orchestrator_deployment), when known (only read with
          O(name) or O(template)).
      type: str
    status:
      description: Its status.
      type: str
    status_reason:
      description: The orchestrator's explanation of the status.
      type: str
    task:
      description: What the orchestrator is doing.
      type: str
    outputs:
      description: The template's outputs.
      type: dict
    links:
      description: Links (C(rel), C(href)).
      type: list
      elements: dict
    creation_time:
      description: When it was created.
      type: str
    update_time:
      description: When it last changed.
      type: str
    user_group:
      description: Its IAM group.
      type: str
    cloud_provider_name:
      description: The provider it runs on.
      type: str
    physical_id:
      description: The provider's id for it.
      type: str
    template:
      description: The TOSCA template (with O(template)).
      type: str
"""

from ansible_collections.dodas.dodas.plugins.module_utils import _orchestrator as orch
from ansible_collections.dodas.dodas.plugins.module_utils._module import (
    ApiModule,
    http_options,
    orchestrator_argument_spec,
    orchestrator_token,
)


class OrchestratorDeploymentInfoModule(ApiModule):
    argument_spec = dict(
        orchestrator_argument_spec(),
        uuid={'type': 'str'},
        name={'type': 'str'},
        created_by={'type': 'str', 'default': 'me'},
        user_group={'type': 'str'},
        page_size={'type': 'int', 'default': 50},
        template={'type': 'bool', 'default': False},
    )
    module_kwargs = {
        'supports_check_mode': True,
        'mutually_exclusive': [('uuid', 'name'), ('token', 'token_file')],
    }

    def run(self):
        p = self.params
        client = orch.OrchestratorClient(p['url'], orchestrator_token(self), **http_options(p))
        client.http.secrets.update(self.secrets)
        if p['uuid']:
            dep = client.get(p['uuid'])
            found = [dep] if dep else []
        elif p['name']:
            dep, _digest = client.find_by_name(p['name'], p['user_group'])
            found = [dep] if dep else []
        else:
            if p['page_size'] < 1:
                self.fail('page_size must be at least 1')
            found = client.list(created_by=p['created_by'] or None, user_group=p['user_group'], size=p['page_size'])
        deployments = []
        for dep in found:
            item = orch.summary(dep)
            if p['name']:
                item['name'] = p['name']
            if p['template']:
                item['template'] = client.template(dep['uuid'])
                item['name'] = orch.read_marker(item['template'])[0]
            deployments.append(item)
        self.module.exit_json(changed=False, deployments=deployments)


def main():
    OrchestratorDeploymentInfoModule()()


if __name__ == '__main__':
    main()
