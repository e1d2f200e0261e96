#!/usr/bin/python
# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: iam_token
short_description: Get an access token from INDIGO IAM (client credentials, token exchange, refresh, oidc-agent)
version_added: 0.1.0
description:
  - Requests an OAuth 2 access token from an INDIGO IAM token endpoint with the
    C(client_credentials), token exchange (RFC 8693 as INDIGO IAM implements it) or
    C(refresh_token) grant, or reads one from a running oidc-agent.
  - With O(dest), the token is written to a file (mode 0600, atomically) and the module is
    idempotent; while that file holds a token valid for more than O(min_valid_seconds), for the
    requested O(scope) and O(audience), nothing is requested and the result is not changed.
  - Token values never appear in error messages; with O(dest) they are not returned unless
    O(return_token=true). Without O(dest) they are returned, so give the task C(no_log=true).
author:
  - DODAS developers (@DODAS-TS)
extends_documentation_fragment:
  - dodas.dodas.api
  - dodas.dodas.attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode no token is requested and no file is written; the result says whether
        the file would be replaced.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details:
      - Idempotent with O(dest). Without O(dest) every run requests a new token.
options:
  grant_type:
    description:
      - How to get the token.
      - V(client_credentials) for the client's own token, V(token_exchange) to exchange
        O(subject_token) for a token of this client (for example one with C(offline_access),
        which comes with a refresh token), V(refresh_token) to use O(refresh_token),
        V(oidc_agent) to ask a running oidc-agent for the account O(oidc_agent_account).
    type: str
    choices: [client_credentials, token_exchange, refresh_token, oidc_agent]
    default: client_credentials
  url:
    description:
      - The IAM issuer URL, for example C(https://iam.example.org/). The token endpoint is
        C(<url>/token) unless O(token_endpoint) is given.
      - Required unless O(grant_type=oidc_agent) or O(token_endpoint) is given.
    type: str
  token_endpoint:
    description:
      - The token endpoint URL, when it is not C(<url>/token).
    type: str
  client_id:
    description:
      - The IAM client's id. Required for every grant but V(oidc_agent).
    type: str
  client_secret:
    description:
      - The IAM client's secret. Required for every grant but V(oidc_agent).
    type: str
  client_auth_method:
    description:
      - How the client authenticates. V(client_secret_basic) sends an HTTP Basic header (what
        IAM expects by default); V(client_secret_post) sends C(client_id) and C(client_secret)
        in the form body.
    type: str
    choices: [client_secret_basic, client_secret_post]
    default: client_secret_basic
  subject_token:
    description:
      - The access token to exchange (O(grant_type=token_exchange)).
    type: str
  refresh_token:
    description:
      - The refresh token to use (O(grant_type=refresh_token)).
    type: str
  scope:
    description:
      - The scopes to ask for. Left out, IAM grants the client's default scopes (for a token
        exchange, the subject token's scopes).
      - Add C(offline_access) to a token exchange to get a refresh token back (IAM refuses it
        when the subject token was issued to this same client).
    type: list
    elements: str
  audience:
    description:
      - The audience (C(aud) claim) of the token, for token exchange and oidc-agent.
    type: str
  oidc_agent_account:
    description:
      - The oidc-agent account short name (O(grant_type=oidc_agent)). Needs the Python library
        C(liboidcagent) where the module runs and C(OIDC_SOCK) pointing at the agent.
    type: str
  dest:
    description:
      - A file to write the access token to (one line, mode 0600, replaced atomically).
    type: path
  min_valid_seconds:
    description:
      - With O(dest), a token in the file that stays valid for more than this many seconds is
        kept. Also the minimum lifetime asked of oidc-agent.
    type: int
    default: 300
  force:
    description:
      - Request a new token even when the one in O(dest) is still good.
    type: bool
    default: false
  return_token:
    description:
      - Return RV(access_token) and RV(refresh_token). Defaults to V(true) without O(dest) and
        to V(false) with it (the token is then in the file, and not in the task's output).
    type: bool
notes:
  - IAM rejects token exchange requests carrying C(actor_token) or C(want_composite) and ignores
    C(resource) and C(requested_token_type); the module never sends them. It sends
    C(subject_token_type=urn:ietf:params:oauth:token-type:access_token).
  - Whether a token in O(dest) is still good is read from its C(exp), C(scope) and C(aud)
    claims without verifying the signature (the file is the module's own cache). An opaque
    (non-JWT) token in the file is always replaced.
seealso:
  - module: dodas.dodas.orchestrator_deployment
  - name: INDIGO IAM token exchange
    description: How IAM implements RFC 8693.
    link: https://indigo-iam.github.io/v/current/docs/reference/api/oauth-token-exchange/
"""

EXAMPLES = r"""
- name: A token for the client itself, kept in a file
  dodas.dodas.iam_token:
    url: https://iam.example.org/
    client_id: "{{ iam_client_id }}"
    client_secret: "{{ iam_client_secret }}"
    scope: [openid, profile]
    dest: "{{ ansible_env.HOME }}/.dodas/token"

- name: Exchange a user's token for one with offline access (and a refresh token)
  dodas.dodas.iam_token:
    grant_type: token_exchange
    url: https://iam.example.org/
    client_id: "{{ iam_client_id }}"
    client_secret: "{{ iam_client_secret }}"
    subject_token: "{{ lookup('ansible.builtin.env', 'ACCESS_TOKEN') }}"
    scope: [openid, offline_access]
    audience: https://orchestrator.example.org
  register: exchanged
  no_log: true

- name: Renew from the refresh token
  dodas.dodas.iam_token:
    grant_type: refresh_token
    url: https://iam.example.org/
    client_id: "{{ iam_client_id }}"
    client_secret: "{{ iam_client_secret }}"
    refresh_token: "{{ exchanged.refresh_token }}"
    dest: /run/dodas/token
    min_valid_seconds: 600

- name: Read a token from oidc-agent
  dodas.dodas.iam_token:
    grant_type: oidc_agent
    oidc_agent_account: dodas
    dest: /run/dodas/token
"""

RETURN = r"""
access_token:
  description: The access token (only with O(return_token)). Give the task C(no_log).
  returned: when O(return_token) is true
  type: str
refresh_token:
  description: The refresh token, when IAM issued one (only with O(return_token)).
  returned: when issued and O(return_token) is true
  type: str
token_type:
  description: The token type.
  returned: success
  type: str
  sample: Bearer
expires_in:
  description: Seconds the token stays valid, when known.
  returned: success
  type: int
  sample: 3599
expires_at:
  description: When the token expires (UTC, ISO 8601), when known.
  returned: success
  type: str
  sample: '2026-01-01T12:00:00Z'
scope:
  description: The scopes of the token.
  returned: success
  type: list
  elements: str
  sample: [openid, offline_access]
refresh_token_issued:
  description: Whether IAM issued a refresh token.
  returned: success
  type: bool
dest:
  description: The token file.
  returned: when O(dest) is given
  type: str
cached:
  description: Whether the token in O(dest) was kept and nothing was requested.
  returned: success
  type: bool
reason:
  description: Why the token in O(dest) was kept or replaced.
  returned: when O(dest) is given
  type: str
"""

import os

from ansible_collections.dodas.dodas.plugins.module_utils import _iam
from ansible_collections.dodas.dodas.plugins.module_utils._module import ApiModule, http_options


class IamTokenModule(ApiModule):
    argument_spec = {
        'grant_type': {
            'type': 'str',
            'default': 'client_credentials',
            'choices': ['client_credentials', 'token_exchange', 'refresh_token', 'oidc_agent'],
        },
        'url': {'type': 'str'},
        'token_endpoint': {'type': 'str', 'no_log': False},
        'client_id': {'type': 'str'},
        'client_secret': {'type': 'str', 'no_log': True},
        'client_auth_method': {
            'type': 'str',
            'default': 'client_secret_basic',
            'choices': ['client_secret_basic', 'client_secret_post'],
        },
        'subject_token': {'type': 'str', 'no_log': True},
        'refresh_token': {'type': 'str', 'no_log': True},
        'scope': {'type': 'list', 'elements': 'str'},
        'audience': {'type': 'str'},
        'oidc_agent_account': {'type': 'str'},
        'dest': {'type': 'path'},
        'min_valid_seconds': {'type': 'int', 'default': 300},
        'force': {'type': 'bool', 'default': False},
        'return_token': {'type': 'bool', 'no_log': False},
    }
    module_kwargs = {
        'supports_check_mode': True,
        'required_if': [
            ('grant_type', 'token_exchange', ('subject_token',)),
            ('grant_type', 'refresh_token', ('refresh_token',)),
            ('grant_type', 'oidc_agent', ('oidc_agent_account',)),
        ],
        'mutually_exclusive': [('url', 'token_endpoint')],
    }

    def run(self):
        p = self.params
        grant = p['grant_type']
        dest = p['dest']
        return_token = p['return_token'] if p['return_token'] is not None else not dest
        result = {'changed': False, 'cached': False}
        if dest:
            result['dest'] = dest
        if grant != 'oidc_agent':
            missing = [k for k in ('client_id', 'client_secret') if not p[k]]
            if not (p['url'] or p['token_endpoint']):
                missing.insert(0, 'url')
            if missing:
                self.fail('grant_type=%s needs %s' % (grant, ', '.join(missing)))

        if dest and not p['force']:
            current = _iam.read_token_file(dest)
            if current:
                good, reason = _iam.token_still_good(current, p['min_valid_seconds'], p['scope'], p['audience'])
            else:
                good, reason = False, 'the file does not exist or is empty'
            result['reason'] = reason
            if good:
                if not return_token:
                    self.secret(current)
                self.exit(result, _iam.from_cached(current), cached=True, return_token=return_token)
        elif dest:
            result['reason'] = 'force is set'

        if self.check_mode:
            result['changed'] = bool(dest)
            result.update({'token_type': None, 'expires_in': None, 'expires_at': None, 'scope': []})
            result['refresh_token_issued'] = False
            self.module.exit_json(**result)

        if grant == 'oidc_agent':
            token = _iam.oidc_agent_token(p['oidc_agent_account'], p['min_valid_seconds'], p['scope'], p['audience'])
        else:
            endpoint = p['token_endpoint'] or p['url'].rstrip('/') + '/token'
            client = _iam.IamClient(
                endpoint, p['client_id'], p['client_secret'], p['client_auth_method'], **http_options(p)
            )
            token = client.fetch(
                grant,
                scope=p['scope'],
                audience=p['audience'],
                subject_token=p['subject_token'],
                refresh_token=p['refresh_token'],
            )
        if not return_token:
            # The values are not returned: mask them anywhere they could surface.
            self.secret(token['access_token'])
            self.secret(token.get('refresh_token'))
        if dest:
            _iam.write_token_file(dest, token['access_token'])
            result['changed'] = True
        self.exit(result, token, cached=False, return_token=return_token)

    def exit(self, result, token, cached, return_token):
        result['cached'] = cached
        for key in ('token_type', 'expires_in', 'expires_at', 'scope'):
            result[key] = token.get(key)
        result['refresh_token_issued'] = bool(token.get('refresh_token'))
        if return_token:
            result['access_token'] = token['access_token']
            if token.get('refresh_token'):
                result['refresh_token'] = token['refresh_token']
        if result.get('dest'):
            result['dest'] = os.path.abspath(result['dest'])
        self.module.exit_json(**result)


def main():
    IamTokenModule()()


if __name__ == '__main__':
    main()
