#!/usr/bin/python
# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: marathon_app
short_description: Create, update or delete a Marathon app and wait for its deployment
version_added: 0.1.0
description:
  - Makes a Marathon app match a definition (the JSON object Marathon's C(/v2/apps) API takes),
    through Marathon's REST API v2, and waits until the deployment Marathon starts for the
    change is over.
  - An app that does not exist is created (C(POST /v2/apps)); one whose definition differs is
    updated (C(PUT /v2/apps/<id>?partialUpdate=true)); an app that matches is left alone and
    the result is not changed. O(state=absent) deletes the app (C(DELETE /v2/apps/<id>)).
  - "Matching follows one rule: only the keys the definition gives are compared, at every level
    of nesting, so the defaults and fields Marathon adds never count as a change. C(env),
    C(labels) and C(secrets) are compared whole. Numbers compare by value (C(1) matches C(1.0));
    C(null), C([]) and C({}) match each other and a missing key; C(acceptedResourceRoles),
    C(constraints), C(dependencies) and C(healthChecks) match in any order (Marathon keeps them
    as sets); a service port given as C(0) matches the port Marathon assigned; ids and relative
    C(dependencies) are compared in their absolute form."
  - Because keys left out of the definition are not compared, and the update keeps the fields
    the definition leaves out, removing a key from the definition does not reset it in
    Marathon. Give the value you want (for example the default) instead.
  - Uses only ansible-core where it runs (C(ansible.module_utils.urls)); usually run on
    C(localhost) or delegated to a host that reaches Marathon.
author:
  - DODAS developers (@DODAS-TS)
extends_documentation_fragment:
  - dodas.dodas.api
  - dodas.dodas.attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module reads the app and reports whether it would create, update or
        delete it; it sends no change and does not wait.
  diff_mode:
    support: full
    details:
      - The diff shows the keys the definition gives, as Marathon holds them (before) and as
        the definition wants them (after). On deletion, before is the whole app.
  idempotent:
    support: full
    details:
      - By the comparison rule in the description. A key Marathon does not keep (a misspelt or
        unknown field, which Marathon ignores) would be a change on every run; the module warns
        about such keys after each create or update.
options:
  url:
    description:
      - Marathon's base URL, the address that serves C(/v2/apps), for example
        C(http://marathon.example.org:8080) or, behind DC/OS, C(https://dcos.example.org/service/marathon).
    type: str
    required: true
  username:
    description:
      - The user of Marathon's C(--http_credentials) (HTTP Basic authentication). May not
        contain C(:).
      - Needs O(password) or O(password_file).
    type: str
  password:
    description:
      - The password of O(username).
    type: str
  password_file:
    description:
      - A file whose first line is the password of O(username), read where the module runs.
    type: path
  token:
    description:
      - A DC/OS authentication token, sent in the C(Authorization) header as C(token=<token>)
        (what the DC/OS Admin Router in front of Marathon expects). Instead of O(username).
    type: str
  token_file:
    description:
      - A file whose first line is the DC/OS token (see O(token)).
    type: path
  app_id:
    description:
      - The app's id, for example C(/cms/squid). Segments of C(a-z), C(0-9), C(-) and C(.),
        separated by C(/); a relative id is taken from the root (C(squid) is C(/squid)).
      - Defaults to the C(id) of the definition. When both are given, O(app_id) wins (with a
        warning if they differ).
      - With O(state=absent), O(app_id) or a definition with an C(id) is needed.
    type: str
  definition:
    description:
      - The app definition, as Marathon's C(/v2/apps) API takes it (C(cmd) or C(args) or a
        C(container), C(cpus), C(mem), C(instances), C(env), C(labels), C(healthChecks), ...).
      - Fields Marathon sets itself (C(version), C(versionInfo), C(tasks*), C(deployments),
        C(lastTaskFailure), C(taskStats)) are dropped with a warning, so a definition saved from
        C(GET /v2/apps/<id>) can be used as is.
      - C(env) and C(labels) values must be strings (an C(env) value may also be a secret
        reference, a mapping whose only key is C(secret)); the module refuses others before
        sending anything.
      - Required with O(state=present), unless O(definition_file).
    type: dict
  definition_file:
    description:
      - A file holding the definition as JSON (or YAML, when PyYAML is installed where the
        module runs).
      - The file is read where the module runs. To use a file on the controller while the task
        runs elsewhere, give O(definition) with
        C("{{ lookup('ansible.builtin.file', 'app.json') | from_json }}") instead.
    type: path
  state:
    description:
      - V(present) creates or updates the app; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Send C(force=true), so that Marathon cancels a deployment that still runs for the app
        (which otherwise makes it answer HTTP 409, "App is locked by one or more deployments")
        and applies this change.
      - Cancelling a deployment can leave the app with a mix of old and new tasks until this
        change's deployment is over; use it for a deployment that cannot finish.
    type: bool
    default: false
  wait:
    description:
      - Wait until the deployment of the change is over (no longer listed by
        C(GET /v2/deployments)). With an unchanged app, wait for the app's running deployments.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait at most. Marathon does not give up a deployment that cannot finish (no
        resources offered, failing health checks). On timeout the module fails, naming the
        deployment, its step and its current actions, and the deployment goes on.
    type: int
    default: 600
notes:
  - The returned RV(app) and the diff show the app's C(env) values; when they hold secrets, give
    the task C(no_log=true) (or use Marathon's C(secrets)).
  - Credentials sent over C(http://) to a host other than the local one travel in clear text;
    the module warns about it. Marathon serves HTTPS with C(--ssl_keystore_path).
  - Waiting polls C(GET /v2/deployments) after 1 s, then 1.5 times longer each time, up to 10 s.
seealso:
  - name: Marathon REST API
    description: The apps and deployments endpoints this module uses.
    link: https://mesosphere.github.io/marathon/docs/generated/api.html
"""

EXAMPLES = r"""
- name: A Squid proxy for CVMFS, as a Marathon app
  dodas.dodas.marathon_app:
    url: http://marathon.example.org:8080
    username: dodas
    password_file: /etc/dodas/marathon-password
    definition:
      id: /cms/squid
      instances: 1
      cpus: 1
      mem: 2048
      container:
        type: DOCKER
        docker:
          image: dodasts/squid:v1.0
      portDefinitions:
        - port: 0
          name: proxy
      healthChecks:
        - protocol: TCP
          portIndex: 0
  register: squid

- name: An app from a JSON file on the controller (the task runs elsewhere)
  dodas.dodas.marathon_app:
    url: "{{ marathon_url }}"
    token: "{{ dcos_token }}"
    definition: "{{ lookup('ansible.builtin.file', 'apps/xcache.json') | from_json }}"
    wait_timeout: 1200

- name: Scale it (only instances is compared and sent; the rest stays as it is)
  dodas.dodas.marathon_app:
    url: http://marathon.example.org:8080
    username: dodas
    password_file: /etc/dodas/marathon-password
    app_id: /cms/squid
    definition:
      instances: 3

- name: Remove it
  dodas.dodas.marathon_app:
    url: http://marathon.example.org:8080
    username: dodas
    password_file: /etc/dodas/marathon-password
    app_id: /cms/squid
    state: absent
"""

RETURN = r"""
app_id:
  description: The app's id, absolute.
  returned: always
  type: str
  sample: /cms/squid
app:
  description:
    - The app as Marathon returns it (C(GET /v2/apps/<id>)), after the change.
    - Not returned in check mode when the app would be created, nor after a deletion.
  returned: when the app exists
  type: dict
operation:
  description: What the module did or, in check mode, would do.
  returned: always
  type: str
  choices: [created, updated, deleted, none]
  sample: updated
deployment_id:
  description: The id of the deployment Marathon started for the change.
  returned: when the module changed the app (not in check mode)
  type: str
  sample: 97c136bf-5a28-4821-9d94-480d9fbb01c8
version:
  description: The app's version (a timestamp) after the change, or of the deletion.
  returned: when known
  type: str
  sample: "2025-05-14T10:02:03.123Z"
changed_keys:
  description: The paths of the definition that differed from the app (C(/cpus), C(/container/docker/image)).
  returned: when the app existed and O(state=present)
  type: list
  elements: str
  sample: [/instances]
deployments:
  description: The deployments still running (id, steps, current actions), when waiting timed out or an app is locked.
  returned: on failure
  type: list
  elements: raw
validation_errors:
  description: Marathon's reasons for rejecting the definition, one C(<path>) and its errors per item.
  returned: when Marathon answers 400 or 422
  type: list
  elements: str
  sample: ["/cpus: got -1.0, expected 0.0 or more"]
"""

import json

try:
    import yaml
except ImportError:
    HAS_YAML = False
else:
    HAS_YAML = True

from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.dodas.dodas.plugins.module_utils import _marathon as mar
from ansible_collections.dodas.dodas.plugins.module_utils._module import ApiModule, http_options, read_secret_file

LOOPBACK = ('localhost', '::1')


class MarathonAppModule(ApiModule):
    argument_spec = dict(
        url={'type': 'str', 'required': True},
        username={'type': 'str'},
        password={'type': 'str', 'no_log': True},
        password_file={'type': 'path', 'no_log': False},
        token={'type': 'str', 'no_log': True},
        token_file={'type': 'path', 'no_log': False},
        app_id={'type': 'str'},
        definition={'type': 'dict'},
        definition_file={'type': 'path'},
        state={'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
        force={'type': 'bool', 'default': False},
        wait={'type': 'bool', 'default': True},
        wait_timeout={'type': 'int', 'default': 600},
    )
    module_kwargs = {
        'supports_check_mode': True,
        'mutually_exclusive': [
            ('definition', 'definition_file'),
            ('password', 'password_file'),
            ('token', 'token_file'),
            ('token', 'username'),
            ('token_file', 'username'),
        ],
        'required_if': [('state', 'present', ('definition', 'definition_file'), True)],
        'required_by': {'password': 'username', 'password_file': 'username'},
    }

    def run(self):
        p = self.params
        if p['wait_timeout'] < 0:
            self.fail('wait_timeout must be 0 or more')
        body = None
        if p['state'] == 'present':
            definition = self.load_definition()
            body, app_id, dropped, problems = mar.prepare_definition(definition, p['app_id'])
            if dropped:
                self.module.warn('left out of the request the fields Marathon sets itself: %s' % ', '.join(dropped))
            given = definition.get('id')
            if p['app_id'] and given and _same_id(given) != app_id:
                self.module.warn("app_id %s replaces the definition's id %s" % (app_id, given))
            if problems:
                self.fail('invalid app definition: ' + '; '.join(problems), app_id=app_id)
        else:
            given = p['app_id']
            if not given and (p['definition'] or p['definition_file']):
                given = (self.load_definition() or {}).get('id')
            if not given:
                self.fail('state=absent needs app_id (or a definition with an id)')
            app_id = mar.normalize_id(given)
        self.app_id = app_id
        self.client = mar.MarathonClient(p['url'], *self.credentials(), **http_options(p))
        self.client.http.secrets.update(self.secrets)
        current = self.client.get_app(app_id)
        if p['state'] == 'absent':
            self.absent(current)
        else:
            self.present(body, current)

    # -- inputs ------------------------------------------------------------------------------
    def credentials(self):
        """(username, password, token), files read and registered as secrets."""
        p = self.params
        password = p['password']
        if p['password_file']:
            password = self.secret(read_secret_file(self.module, p['password_file'], 'password'))
        token = p['token']
        if p['token_file']:
            token = self.secret(read_secret_file(self.module, p['token_file'], 'token'))
        if p['username'] and password is None:
            self.fail('username needs password or password_file')
        if (p['username'] or token) and urlsplit(p['url']).scheme == 'http':
            host = urlsplit(p['url']).hostname or ''
            if host not in LOOPBACK and not host.startswith('127.'):
                self.module.warn(
                    'credentials are sent to %s over plain http: anyone on the path can read them; '
                    'use https (Marathon --ssl_keystore_path) or a private network' % host
                )
        return p['username'], password, token

    def load_definition(self):
        p = self.params
        if p['definition'] is not None:
            return p['definition']
        path = p['definition_file']
        try:
            with open(path, encoding='utf-8') as handle:
                text = handle.read()
        except (OSError, UnicodeError) as exc:
            self.fail('cannot read definition_file %s: %s' % (path, exc))
        try:
            data = json.loads(text)
        except ValueError as json_error:
            if not HAS_YAML:
                self.fail(
                    'definition_file %s is not JSON (%s); reading YAML needs PyYAML where the module runs'
                    % (path, json_error)
                )
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as yaml_error:
                self.fail(
                    'definition_file %s is neither JSON (%s) nor YAML (%s)'
                    % (path, json_error, str(yaml_error).replace('\n', ' '))
                )
        if not isinstance(data, dict):
            self.fail(
                'definition_file %s must hold one app definition (a JSON object), not %s' % (path, type(data).__name__)
            )
        return data

    # -- helpers -----------------------------------------------------------------------------
    def wait_for(self, deployment_ids):
        if not self.params['wait'] or not deployment_ids:
            return
        try:
            self.client.wait(deployment_ids, self.params['wait_timeout'])
        except mar.WaitTimeoutError as exc:
            self.fail(
                exc.msg,
                app_id=self.app_id,
                deployment_id=deployment_ids[0] if len(deployment_ids) == 1 else None,
                deployments=exc.deployments,
            )

    def done(self, operation, changed, app=None, diff=None, **extra):
        result = {'changed': changed, 'operation': operation, 'app_id': self.app_id}
        if app is not None:
            result['app'] = app
            if app.get('version') and 'version' not in extra:
                result['version'] = app['version']
        if diff is not None and self.module._diff:
            result['diff'] = {'before': diff[0], 'after': diff[1]}
        result.update({k: v for k, v in extra.items() if v is not None})
        self.module.exit_json(**result)

    def warn_not_kept(self, body, app):
        """Keys Marathon did not keep as given: each run would report a change."""
        missing = mar.differences(body, app or {})
        if missing:
            self.module.warn(
                'Marathon does not hold these keys as the definition gives them: %s. Marathon ignores '
                'fields it does not know (a misspelt key?) and may rewrite others; every run will '
                'report a change until the definition matches what Marathon keeps' % ', '.join(missing)
            )

    # -- states ------------------------------------------------------------------------------
    def present(self, body, current):
        p = self.params
        if current is None:
            diff = ({}, body)
            if self.check_mode:
                self.done('created', True, diff=diff)
            dep_id, created = self.client.create(body, force=p['force'])
            self.wait_for([dep_id])
            app = self.client.get_app(self.app_id) or created
            self.warn_not_kept(body, app)
            self.done('created', True, app, diff, deployment_id=dep_id)

        changed_keys = mar.differences(body, current)
        diff = mar.before_after(current, body)
        if not changed_keys:
            running = [d.get('id') for d in current.get('deployments') or [] if isinstance(d, dict)]
            if running and p['wait'] and not self.check_mode:
                self.wait_for(running)
                current = self.client.get_app(self.app_id) or current
            self.done('none', False, current, diff, changed_keys=[])
        if self.check_mode:
            self.done('updated', True, current, diff, changed_keys=changed_keys)
        dep_id, version = self.client.update(self.app_id, body, force=p['force'])
        self.wait_for([dep_id])
        app = self.client.get_app(self.app_id)
        self.warn_not_kept(body, app)
        self.done('updated', True, app, diff, deployment_id=dep_id, version=version, changed_keys=changed_keys)

    def absent(self, current):
        if current is None:
            self.done('none', False, diff=({}, {}))
        before = {k: v for k, v in current.items() if k not in mar.READ_ONLY_FIELDS}
        if self.check_mode:
            self.done('deleted', True, diff=(before, {}))
        dep_id, version = self.client.delete(self.app_id, force=self.params['force'])
        if dep_id is None and version is None:
            # Gone between the read and the delete (another client).
            self.done('none', False, diff=({}, {}))
        self.wait_for([dep_id])
        self.done('deleted', True, diff=(before, {}), deployment_id=dep_id, version=version)


def _same_id(value):
    try:
        return mar.normalize_id(value)
    except ValueError:
        return value


def main():
    MarathonAppModule()()


if __name__ == '__main__':
    main()
