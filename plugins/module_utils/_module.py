# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)
#
# This module util is PRIVATE to the dodas.dodas collection. It may change without notice.
"""The base class of the collection's API modules: argument spec with the connection options
(doc fragment ``dodas.dodas.api``), and ``HttpError`` turned into a clean ``fail_json``."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.dodas.dodas.plugins.module_utils._http import HttpError, redact


def api_argument_spec():
    return {
        'validate_certs': {'type': 'bool', 'default': True},
        'ca_path': {'type': 'path'},
        'timeout': {'type': 'int', 'default': 30},
        'retries': {'type': 'int', 'default': 3},
    }


def http_options(params):
    """Keyword arguments for ``HttpClient`` from the module parameters."""
    return {
        'validate_certs': params['validate_certs'],
        'ca_path': params['ca_path'],
        'timeout': params['timeout'],
        'retries': params['retries'],
    }


def read_secret_file(module, path, what):
    """The first non-empty line of ``path``; registered as a value never to print."""
    try:
        with open(path, encoding='utf-8') as handle:
            value = next((line.strip() for line in handle if line.strip()), '')
    except (OSError, UnicodeError) as exc:
        module.fail_json(msg='cannot read the %s file %s: %s' % (what, path, exc))
    if not value:
        module.fail_json(msg='the %s file %s is empty' % (what, path))
    module.no_log_values.add(value)
    return value


class ApiModule:
    """Subclasses set ``argument_spec``, ``module_kwargs`` and implement ``run()``."""

    argument_spec: dict = {}
    module_kwargs: dict = {}

    def __init__(self):
        spec = api_argument_spec()
        spec.update(self.argument_spec)
        self.module = AnsibleModule(argument_spec=spec, **self.module_kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.secrets = set()

    def secret(self, value):
        """Remember a secret obtained at run time (masked in every message and result)."""
        if value:
            self.secrets.add(value)
            self.module.no_log_values.add(value)
        return value

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=redact(msg, self.secrets), **kwargs)

    def run(self):
        raise NotImplementedError

    def __call__(self):
        try:
            self.run()
        except HttpError as exc:
            details = exc.fail_kwargs()
            details['msg'] = redact(details['msg'], self.secrets)
            extra = getattr(exc, 'extra', None) or {}
            details.update(extra)
            self.module.fail_json(**details)
        except ValueError as exc:
            self.fail(str(exc))


def orchestrator_argument_spec():
    """url, token and token_file, as orchent reads them (ORCHENT_URL, ORCHENT_TOKEN)."""
    return {
        'url': {'type': 'str', 'required': True, 'fallback': (env_fallback, ['ORCHENT_URL'])},
        'token': {'type': 'str', 'no_log': True, 'fallback': (env_fallback, ['ORCHENT_TOKEN'])},
        'token_file': {'type': 'path', 'no_log': False},
    }


def orchestrator_token(api_module):
    """The bearer token: O(token) (or ORCHENT_TOKEN), else the first line of O(token_file)."""
    params = api_module.params
    if params['token']:
        return params['token']
    if params['token_file']:
        return api_module.secret(read_secret_file(api_module.module, params['token_file'], 'token'))
    api_module.fail('no orchestrator token: give token (or set ORCHENT_TOKEN) or token_file')
    return None
