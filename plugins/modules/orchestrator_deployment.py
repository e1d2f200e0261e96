#!/usr/bin/python
# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: orchestrator_deployment
short_description: Create, update or delete an INDIGO PaaS Orchestrator deployment
version_added: 0.1.0
description:
  - Submits a TOSCA template to the INDIGO PaaS Orchestrator, updates it when the request
    changed, or deletes it, and waits for the deployment to reach a final status.
  - "B(No duplicates on re-runs.) A deployment is identified by O(uuid), or by O(name): the
    module starts the template it sends with one comment line,
    C(# dodas.dodas.orchestrator_deployment name=<name> digest=<digest>). The orchestrator keeps
    templates as sent, so a later run lists the caller's deployments (C(createdBy=me), and
    O(user_group) when given), reads their templates, and finds the deployment of that name.
    The digest (SHA-256 of the template, parameters and options) tells whether anything
    changed: the same request is not sent again; a changed one is sent as an update."
  - On a failed deployment the module fails and returns the tail of the deployment's log.
author:
  - DODAS developers (@DODAS-TS)
extends_documentation_fragment:
  - dodas.dodas.orchestrator
  - dodas.dodas.api
  - dodas.dodas.attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module reads the deployments and reports what it would do; it sends
        no create, update or delete.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - With O(name) or O(uuid). Parameters are compared through the digest in the marker, so
        a deployment created by another tool (no marker) and given by O(uuid) is updated only
        when its template text differs.
options:
  name:
    description:
      - A name for the deployment, unique among your deployments (in O(user_group)). Letters,
        digits, C(.), C(_), C(-); at most 100 characters.
      - One of O(name) and O(uuid) is required, so that a re-run finds the deployment.
    type: str
  uuid:
    description:
      - The uuid of an existing deployment to update or delete.
    type: str
  state:
    description:
      - V(present) creates the deployment, or updates it when the request changed.
      - V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  template:
    description:
      - The TOSCA template, as text. Required with O(state=present), unless O(template_file).
    type: str
  template_file:
    description:
      - A file holding the TOSCA template (read where the module runs).
    type: path
  parameters:
    description:
      - Values for the template's inputs.
    type: dict
    default: {}
  keep_last_attempt:
    description:
      - Keep the resources of the last failed attempt for debugging (C(keepLastAttempt)).
      - Left out, the orchestrator's default applies (false).
    type: bool
  max_providers_retry:
    description:
      - How many cloud providers to try before giving up (C(maxProvidersRetry), at least 1).
    type: int
  timeout_mins:
    description:
      - The orchestrator's overall deployment timeout in minutes (C(timeoutMins), at least 1).
    type: int
  provider_timeout_mins:
    description:
      - The timeout for each provider in minutes (C(providerTimeoutMins), at least 1, at most
        O(timeout_mins)).
    type: int
  user_group:
    description:
      - The IAM group the deployment belongs to (C(userGroup)); also narrows the search by
        O(name).
    type: str
  callback:
    description:
      - An http(s) URL the orchestrator calls when the deployment ends (C(callback)).
    type: str
  update:
    description:
      - Send an update when an existing deployment's request changed. With V(false) an
        existing deployment is left as it is.
      - The orchestrator accepts updates only in C(CREATE_COMPLETE), C(UPDATE_COMPLETE) and
        C(UPDATE_FAILED).
    type: bool
    default: true
  wait:
    description:
      - Wait until the deployment reaches a final status (C(*_COMPLETE), C(*_FAILED)) or, for
        O(state=absent), is gone.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait at most. On timeout the module fails and returns the log's tail.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between the first polls; the interval grows by half each poll, up to 60 s.
    type: int
    default: 10
  log_lines:
    description:
      - How many of the last lines of the deployment log to return when it fails.
    type: int
    default: 40
notes:
  - The template is read by the module and sent as JSON; relative C(imports) are not resolved.
  - A deployment in C(CREATE_FAILED) or C(DELETE_FAILED) is not retried by O(state=present);
    the module fails and shows its log. Delete it (O(state=absent)) and run again.
seealso:
  - module: dodas.dodas.orchestrator_deployment_info
  - module: dodas.dodas.iam_token
"""

EXAMPLES = r"""
- name: A token with offline_access for the orchestrator
  dodas.dodas.iam_token:
    grant_type: token_exchange
    url: https://iam.example.org/
    client_id: "{{ iam_client_id }}"
    client_secret: "{{ iam_client_secret }}"
    subject_token: "{{ user_access_token }}"
    scope: [openid, profile, offline_access]
    dest: "{{ playbook_dir }}/.orchestrator-token"

- name: Deploy an HTCondor cluster (a re-run finds it by name)
  dodas.dodas.orchestrator_deployment:
    url: https://paas.example.org/orchestrator
    token_file: "{{ playbook_dir }}/.orchestrator-token"
    name: htcondor-site-a
    template_file: tosca/templates/htcondor.yaml
    parameters:
      number_of_workers: 3
    max_providers_retry: 2
    timeout_mins: 120
    provider_timeout_mins: 60
    user_group: dodas
    wait_timeout: 7200
  register: cluster

- name: Show the outputs
  ansible.builtin.debug:
    var: cluster.outputs

- name: Remove it
  dodas.dodas.orchestrator_deployment:
    url: https://paas.example.org/orchestrator
    token_file: "{{ playbook_dir }}/.orchestrator-token"
    name: htcondor-site-a
    user_group: dodas
    state: absent
"""

RETURN = r"""
uuid:
  description: The deployment's uuid.
  returned: when a deployment exists (or was deleted by this run)
  type: str
  sample: 11ec8a2e-1f1a-4b0a-9a57-8e8f7e0e4a1b
status:
  description: Its status (C(CREATE_COMPLETE), C(UPDATE_FAILED), ...; C(DELETE_COMPLETE) once gone).
  returned: when a deployment exists
  type: str
status_reason:
  description: The orchestrator's explanation of the status.
  returned: when a deployment exists
  type: str
outputs:
  description: The template's outputs.
  returned: when a deployment exists
  type: dict
links:
  description: The deployment's links (C(rel), C(href)).
  returned: when a deployment exists
  type: list
  elements: dict
deployment:
  description: The deployment's fields (uuid, status, status_reason, task, outputs, links,
    creation_time, update_time, user_group, cloud_provider_name, physical_id).
  returned: when a deployment exists
  type: dict
operation:
  description: What the module did or, in check mode, would do.
  returned: always
  type: str
  sample: created
  choices: [created, updated, deleted, none]
log_tail:
  description: The last O(log_lines) lines of the deployment log.
  returned: on failure of a deployment
  type: list
  elements: str
"""

from ansible_collections.dodas.dodas.plugins.module_utils import _orchestrator as orch
from ansible_collections.dodas.dodas.plugins.module_utils._module import (
    ApiModule,
    http_options,
    orchestrator_argument_spec,
    orchestrator_token,
)

MAX_POLL_INTERVAL = 60


class OrchestratorDeploymentModule(ApiModule):
    argument_spec = dict(
        orchestrator_argument_spec(),
        name={'type': 'str'},
        uuid={'type': 'str'},
        state={'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
        template={'type': 'str'},
        template_file={'type': 'path'},
        parameters={'type': 'dict', 'default': {}},
        keep_last_attempt={'type': 'bool'},
        max_providers_retry={'type': 'int'},
        timeout_mins={'type': 'int'},
        provider_timeout_mins={'type': 'int'},
        user_group={'type': 'str'},
        callback={'type': 'str'},
        update={'type': 'bool', 'default': True},
        wait={'type': 'bool', 'default': True},
        wait_timeout={'type': 'int', 'default': 3600},
        poll_interval={'type': 'int', 'default': 10},
        log_lines={'type': 'int', 'default': 40},
    )
    module_kwargs = {
        'supports_check_mode': True,
        'required_one_of': [('name', 'uuid')],
        'mutually_exclusive': [('template', 'template_file'), ('token', 'token_file')],
    }

    def run(self):
        p = self.params
        self.client = orch.OrchestratorClient(p['url'], orchestrator_token(self), **http_options(p))
        self.client.http.secrets.update(self.secrets)
        if p['state'] == 'absent':
            self.absent()
        else:
            self.present()

    # -- helpers ---------------------------------------------------------------------------
    def body(self):
        p = self.params
        template = p['template']
        if p['template_file']:
            try:
                with open(p['template_file'], encoding='utf-8') as handle:
                    template = handle.read()
            except (OSError, UnicodeError) as exc:
                self.fail('cannot read template_file %s: %s' % (p['template_file'], exc))
        if template is None:
            self.fail('state=present needs template or template_file')
        body = orch.request_body(
            template,
            p['parameters'],
            keepLastAttempt=p['keep_last_attempt'],
            maxProvidersRetry=p['max_providers_retry'],
            timeoutMins=p['timeout_mins'],
            providerTimeoutMins=p['provider_timeout_mins'],
            userGroup=p['user_group'],
            callback=p['callback'],
        )
        errors = orch.validate_options(body)
        if errors:
            self.fail('invalid deployment request: ' + '; '.join(errors))
        return body

    def find(self):
        """(deployment or None, marker digest or None, stored template or None)."""
        p = self.params
        if p['uuid']:
            dep = self.client.get(p['uuid'])
            if dep is None:
                return None, None, None
            template = self.client.template(p['uuid'])
            return dep, orch.read_marker(template)[1], template
        dep, marker_digest = self.client.find_by_name(p['name'], p['user_group'])
        return dep, marker_digest, None

    def wait_for(self, uuid):
        p = self.params
        try:
            return self.client.wait(uuid, p['wait_timeout'], p['poll_interval'], MAX_POLL_INTERVAL)
        except orch.WaitTimeoutError as exc:
            self.fail_deployment(exc.msg, exc.deployment or {'uuid': uuid})
        return None

    def fail_deployment(self, msg, dep):
        tail = orch.log_tail(self.client.log(dep.get('uuid')), self.params['log_lines'])
        summary = orch.summary(dep)
        if dep.get('statusReason'):
            msg = '%s: %s' % (msg, dep['statusReason'])
        self.fail(msg, log_tail=tail, deployment=summary, **self.fields(summary))

    @staticmethod
    def fields(summary):
        return {k: summary[k] for k in ('uuid', 'status', 'status_reason', 'outputs', 'links')}

    def done(self, action, dep, changed):
        result = {'changed': changed, 'operation': action}
        if dep:
            summary = orch.summary(dep)
            result.update(self.fields(summary))
            result['deployment'] = summary
        self.module.exit_json(**result)

    # -- states ----------------------------------------------------------------------------
    def present(self):
        p = self.params
        body = self.body()
        new_digest = orch.digest(body)
        dep, old_digest, stored = self.find()
        name = p['name'] or (orch.read_marker(stored)[0] if stored else None)
        if name:
            body['template'] = orch.mark_template(body['template'], name, new_digest)

        if dep is None:
            if p['uuid']:
                self.fail('no deployment %s (or it is not visible with this token)' % p['uuid'])
            if self.check_mode:
                self.done('created', None, True)
            dep = self.client.create(body)
            if p['wait']:
                dep = self.wait_for(dep['uuid']) or dep
                if dep.get('status') in orch.FAILED:
                    self.fail_deployment('deployment %s failed (%s)' % (dep['uuid'], dep['status']), dep)
            self.done('created', dep, True)

        uuid = dep['uuid']
        if dep.get('status') in orch.IN_PROGRESS and p['wait'] and not self.check_mode:
            dep = self.wait_for(uuid) or dep
        status = dep.get('status')
        if status in ('CREATE_FAILED', 'DELETE_FAILED'):
            self.fail_deployment('deployment %s is %s; delete it (state=absent) and run again' % (uuid, status), dep)
        if old_digest:
            changed_request = old_digest != new_digest
        else:
            # No marker (made by another tool): only the template text can be compared.
            if stored is None:
                stored = self.client.template(uuid)
            changed_request = orch.strip_marker(stored).strip() != orch.strip_marker(body['template']).strip()
        if not changed_request or not p['update']:
            if status in orch.IN_PROGRESS and not p['wait']:
                self.done('none', dep, False)
            if status == 'UPDATE_FAILED' and not changed_request:
                self.fail_deployment('deployment %s is UPDATE_FAILED' % uuid, dep)
            self.done('none', dep, False)
        if status not in orch.UPDATABLE:
            self.fail(
                'deployment %s is %s: the orchestrator accepts an update only in %s'
                % (uuid, status, ', '.join(orch.UPDATABLE)),
                **self.fields(orch.summary(dep)),
            )
        if self.check_mode:
            self.done('updated', dep, True)
        self.client.update(uuid, body)
        dep = self.client.get(uuid) or dep
        if p['wait']:
            dep = self.wait_for(uuid) or dep
            if dep.get('status') in orch.FAILED:
                self.fail_deployment('update of deployment %s failed (%s)' % (uuid, dep['status']), dep)
        self.done('updated', dep, True)

    def absent(self):
        p = self.params
        dep, _digest, _stored = self.find()
        if dep is None:
            self.done('none', None, False)
        uuid = dep['uuid']
        if dep.get('status') in orch.GONE:
            self.done('none', dep, False)
        if dep.get('status') == 'DELETE_IN_PROGRESS':
            # Already being deleted (another DELETE would get 409): only wait for it.
            if p['wait'] and not self.check_mode:
                final = self.wait_for(uuid)
                if final is not None and final.get('status') == 'DELETE_FAILED':
                    self.fail_deployment('deletion of deployment %s failed' % uuid, final)
                dep = final or dict(dep, status='DELETE_COMPLETE')
            self.done('none', dep, False)
        if self.check_mode:
            self.done('deleted', dep, True)
        # False when the orchestrator answers 404/409 (gone, or a deletion already running).
        changed = self.client.delete(uuid)
        if p['wait']:
            final = self.wait_for(uuid)
            if final is not None and final.get('status') == 'DELETE_FAILED':
                self.fail_deployment('deletion of deployment %s failed' % uuid, final)
            dep = final or dict(dep, status='DELETE_COMPLETE')
        else:
            dep = self.client.get(uuid) or dict(dep, status='DELETE_IN_PROGRESS')
        self.done('deleted' if changed else 'none', dep, changed)


def main():
    OrchestratorDeploymentModule()()


if __name__ == '__main__':
    main()
