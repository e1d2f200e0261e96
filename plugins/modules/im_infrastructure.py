#!/usr/bin/python
# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: im_infrastructure
short_description: Create or delete an infrastructure with the Infrastructure Manager (IM)
version_added: 0.1.0
description:
  - Sends a TOSCA template to an Infrastructure Manager (IM) REST service, waits for the
    infrastructure to be C(configured) (or C(failed)), and returns its id, state, the state of
    each VM and the template's outputs. Deletes an infrastructure by id.
  - The IM C(Authorization) header is built from O(auth), a list of credential entries, with
    the quoting and line separators IM expects.
author:
  - DODAS developers (@DODAS-TS)
extends_documentation_fragment:
  - dodas.dodas.api
  - dodas.dodas.attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is created or deleted; the result says whether it would be.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details:
      - With O(infrastructure_id) the module only reads (O(state=present)) or deletes once
        (O(state=absent)). Without it, every run with O(state=present) creates a new
        infrastructure; keep the returned RV(infrastructure_id) and pass it on later runs.
options:
  url:
    description:
      - The IM REST base URL, for example C(https://im.example.org:8800).
    type: str
    required: true
  auth:
    description:
      - The credential entries, one per line of IM's auth file. Each is a dict with C(type)
        (for example C(InfrastructureManager), C(OpenStack), C(Dummy)), usually C(id), and the
        fields of that type (C(username), C(password), C(token), C(host), C(tenant), ...).
      - An C(InfrastructureManager) entry (C(username)/C(password) or C(token)) is needed.
      - Every value other than C(id), C(type), C(host), C(username), C(tenant), C(domain),
        C(region), C(service_region) and C(auth_version) is treated as a secret and masked in
        the module's output.
    type: list
    elements: dict
    required: true
  state:
    description:
      - V(present) creates the infrastructure (or, with O(infrastructure_id), reads it).
      - V(absent) deletes the infrastructure O(infrastructure_id).
    type: str
    choices: [present, absent]
    default: present
  infrastructure_id:
    description:
      - The id of an existing infrastructure. Required with O(state=absent).
    type: str
  template:
    description:
      - The TOSCA template as text (sent as C(text/yaml)).
    type: str
  template_file:
    description:
      - A file holding the TOSCA template.
    type: path
  wait:
    description:
      - Wait until the infrastructure is C(configured), C(failed) or C(unconfigured).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait at most. On timeout the module fails, and returns the
        RV(infrastructure_id) so that it can be deleted.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between the first polls; the interval grows by half each poll, up to 60 s.
    type: int
    default: 10
  log_lines:
    description:
      - How many of the last lines of the contextualization log to return on failure.
    type: int
    default: 40
notes:
  - IM fetches the template's C(imports) and interface C(implementation) files while parsing;
    URLs it cannot reach make the create fail.
seealso:
  - module: dodas.dodas.orchestrator_deployment
  - name: IM REST API
    description: The Infrastructure Manager's REST API.
    link: https://imdocs.readthedocs.io/en/latest/REST.html
"""

EXAMPLES = r"""
- name: Create an infrastructure on OpenStack through IM
  dodas.dodas.im_infrastructure:
    url: https://im.example.org:8800
    auth:
      - id: im
        type: InfrastructureManager
        token: "{{ access_token }}"
      - id: ost
        type: OpenStack
        host: https://keystone.example.org:5000
        username: egi.eu
        tenant: openid
        auth_version: 3.x_oidc_access_token
        password: "{{ access_token }}"
    template_file: tosca/templates/htcondor.yaml
    wait_timeout: 3600
  register: infra

- name: Delete it
  dodas.dodas.im_infrastructure:
    url: https://im.example.org:8800
    auth: "{{ im_auth }}"
    infrastructure_id: "{{ infra.infrastructure_id }}"
    state: absent
"""

RETURN = r"""
infrastructure_id:
  description: The infrastructure's id.
  returned: when an infrastructure exists (or was deleted by this run)
  type: str
  sample: 3d8b5d7a-7e2b-11f0-9a0e-0242ac120002
state:
  description: IM's aggregated state (C(pending), C(running), C(configured), C(failed), ...).
  returned: when an infrastructure exists
  type: str
  sample: configured
vm_states:
  description: The state of each VM, by VM number.
  returned: when an infrastructure exists
  type: dict
  sample: {"0": configured}
outputs:
  description: The template's outputs.
  returned: when an infrastructure exists and is not deleted
  type: dict
log_tail:
  description: The last O(log_lines) lines of the contextualization log.
  returned: on failure or timeout of the wait
  type: list
  elements: str
"""

from ansible_collections.dodas.dodas.plugins.module_utils import _im
from ansible_collections.dodas.dodas.plugins.module_utils._module import ApiModule, http_options

MAX_POLL_INTERVAL = 60


class ImInfrastructureModule(ApiModule):
    argument_spec = {
        'url': {'type': 'str', 'required': True},
        # Not no_log as a whole: that would mask ids and types ("im", "Dummy") everywhere;
        # the secret fields are masked one by one in run().
        'auth': {'type': 'list', 'elements': 'dict', 'required': True, 'no_log': False},
        'state': {'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
        'infrastructure_id': {'type': 'str'},
        'template': {'type': 'str'},
        'template_file': {'type': 'path'},
        'wait': {'type': 'bool', 'default': True},
        'wait_timeout': {'type': 'int', 'default': 1800},
        'poll_interval': {'type': 'int', 'default': 10},
        'log_lines': {'type': 'int', 'default': 40},
    }
    module_kwargs = {
        'supports_check_mode': True,
        'mutually_exclusive': [
            ('template', 'template_file'),
            ('infrastructure_id', 'template'),
            ('infrastructure_id', 'template_file'),
        ],
        'required_if': [('state', 'absent', ('infrastructure_id',))],
    }

    def run(self):
        p = self.params
        for value in _im.secret_values(p['auth']):
            self.secret(value)
        self.client = _im.ImClient(p['url'], p['auth'], **http_options(p))
        infid = p['infrastructure_id']
        if p['state'] == 'absent':
            self.absent(infid)
        elif infid:
            state = self.client.state(infid)
            if state is None:
                self.fail('IM does not know the infrastructure %s' % infid)
            if p['wait']:
                state = self.wait_for(infid)
            self.done(infid, state, changed=False)
        else:
            self.create()

    def template(self):
        p = self.params
        if p['template_file']:
            try:
                with open(p['template_file'], encoding='utf-8') as handle:
                    return handle.read()
            except (OSError, UnicodeError) as exc:
                self.fail('cannot read template_file %s: %s' % (p['template_file'], exc))
        if not (p['template'] or '').strip():
            self.fail('state=present without infrastructure_id needs template or template_file')
        return p['template']

    def create(self):
        tosca = self.template()
        if self.check_mode:
            self.module.exit_json(changed=True)
        infid = self.client.create(tosca)
        state = self.wait_for(infid) if self.params['wait'] else self.client.state(infid)
        self.done(infid, state, changed=True)

    def wait_for(self, infid):
        p = self.params
        try:
            state = self.client.wait(infid, p['wait_timeout'], p['poll_interval'], MAX_POLL_INTERVAL)
        except _im.WaitTimeoutError as exc:
            self.fail_infra(exc.msg, infid, exc.state)
        if state is None:
            self.fail('the infrastructure %s disappeared while waiting' % infid, infrastructure_id=infid)
        if state['state'] in _im.TERMINAL_FAILED:
            self.fail_infra('infrastructure %s is %s' % (infid, state['state']), infid, state)
        return state

    def fail_infra(self, msg, infid, state):
        tail = self.client.contmsg(infid).rstrip('\n').split('\n')[-self.params['log_lines'] :]
        state = state or {}
        self.fail(
            msg,
            infrastructure_id=infid,
            state=state.get('state'),
            vm_states=state.get('vm_states') or {},
            log_tail=[line for line in tail if line],
        )

    def done(self, infid, state, changed):
        state = state or {}
        self.module.exit_json(
            changed=changed,
            infrastructure_id=infid,
            state=state.get('state'),
            vm_states=state.get('vm_states') or {},
            outputs=self.client.outputs(infid),
        )

    def absent(self, infid):
        state = self.client.state(infid)
        if state is None:
            self.module.exit_json(changed=False, infrastructure_id=infid, state=None, vm_states={})
        if self.check_mode:
            self.module.exit_json(changed=True, infrastructure_id=infid, **state)
        changed = self.client.delete(infid)
        self.module.exit_json(changed=changed, infrastructure_id=infid, state='deleted', vm_states={})


def main():
    ImInfrastructureModule()()


if __name__ == '__main__':
    main()
