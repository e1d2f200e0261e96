# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)
#
# This module util is PRIVATE to the dodas.dodas collection. It may change without notice.
"""Client of the Infrastructure Manager (IM) REST API. No Ansible in here.

The IM ``Authorization`` header is IM's auth file on one line: entries ``key = value`` joined
by ``; ``, lines joined by the two characters backslash-n. How IM 2.x reads it back
(``IM/rest/routers``, ``IM/auth.py``): first the three characters ``\\\\n`` become a newline,
then the header is split on ``\\n`` into lines, each line on ``;`` and each item on ``=``, both
outside single or double quotes; quotes are dropped. So a value with ``;`` or ``=`` is quoted,
and a newline inside a value (a private key) is written ``\\\\n``.
"""

from __future__ import annotations

import time

from ansible_collections.dodas.dodas.plugins.module_utils._http import HttpClient, HttpError

LINE_SEPARATOR = '\\n'  # backslash, n
VALUE_NEWLINE = '\\\\n'  # backslash, backslash, n
TERMINAL_OK = ('configured',)
TERMINAL_FAILED = ('failed', 'unconfigured')
SECRET_FIELDS = ('password', 'token', 'proxy', 'private_key', 'key', 'secret_key', 'client_secret', 'token_type')


def _quote(key, value):
    value = str(value)
    if LINE_SEPARATOR in value.replace('\n', ''):
        raise ValueError(
            'the IM credential field %r holds a backslash followed by "n", which IM cannot read back' % key
        )
    if '\r' in value:
        value = value.replace('\r\n', '\n').replace('\r', '\n')
    value = value.replace('\n', VALUE_NEWLINE)
    if any(c in value for c in ';="\'') or value != value.strip():
        if '"' not in value:
            value = '"%s"' % value
        elif "'" not in value:
            value = "'%s'" % value
        else:
            raise ValueError('the IM credential field %r holds both quote characters and ; or =' % key)
    return value


def auth_header(entries):
    """The ``Authorization`` header for a list of credential entries (dicts; ``type`` required,
    ``id`` advised). Keys keep the order given, ``id`` and ``type`` first."""
    if not entries:
        raise ValueError('at least one IM credential entry is needed (type: InfrastructureManager)')
    lines = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get('type'):
            raise ValueError('IM credential entry %d has no type' % (index + 1))
        keys = [k for k in ('id', 'type') if k in entry] + [k for k in entry if k not in ('id', 'type')]
        items = []
        for key in keys:
            if entry[key] is None:
                continue
            if not key.replace('_', '').isalnum():
                raise ValueError('IM credential field names are letters, digits and "_": %r' % key)
            items.append('%s = %s' % (key, _quote(key, entry[key])))
        lines.append('; '.join(items))
    return LINE_SEPARATOR.join(lines)


def secret_values(entries):
    """Every credential value that must never be printed (all but id, type, host, username...)."""
    public = ('id', 'type', 'host', 'username', 'tenant', 'auth_version', 'domain', 'region', 'service_region')
    values = set()
    for entry in entries or []:
        for key, value in (entry or {}).items():
            if key not in public and value:
                values.add(str(value))
    return values


def infrastructure_id(uri):
    """IM answers a create with the infrastructure's URI; the id is its last path segment."""
    return str(uri).strip().rstrip('/').rsplit('/', 1)[-1]


class WaitTimeoutError(HttpError):
    def __init__(self, msg, state=None):
        super().__init__(msg)
        self.state = state


class ImClient:
    """The IM ``/infrastructures`` API."""

    def __init__(self, url, auth_entries, **http_options):
        header = auth_header(auth_entries)
        self.http = HttpClient(
            url, auth=lambda: {'Authorization': header}, secrets=secret_values(auth_entries) | {header}, **http_options
        )

    def version(self):
        return self.http.request('GET', 'version', accept='text/plain, */*', decode='text').data.strip()

    def list(self):
        data = self.http.request('GET', 'infrastructures').data or {}
        return [infrastructure_id(item['uri']) for item in data.get('uri-list') or [] if item.get('uri')]

    def create(self, tosca, async_create=True):
        """Create from a TOSCA template; returns the infrastructure id. POST is not repeated on
        a 5xx (IM may have created it)."""
        resp = self.http.request(
            'POST',
            'infrastructures',
            params={'async': 'true' if async_create else None},
            data=tosca,
            headers={'Content-Type': 'text/yaml'},
        )
        if resp.headers.get('infid'):
            return resp.headers['infid']
        data = resp.data
        uri = data.get('uri') if isinstance(data, dict) else data
        if not uri:
            raise HttpError('IM created an infrastructure but did not say which', status=resp.status)
        return infrastructure_id(uri)

    def state(self, infid):
        """``{'state': ..., 'vm_states': {...}}``, or None when IM does not know ``infid``."""
        try:
            data = self.http.request('GET', 'infrastructures/%s/state' % infid).data or {}
        except HttpError as exc:
            if exc.status == 404:
                return None
            raise
        state = data.get('state') or {}
        return {'state': state.get('state'), 'vm_states': state.get('vm_states') or {}}

    def outputs(self, infid):
        try:
            data = self.http.request('GET', 'infrastructures/%s/outputs' % infid).data or {}
        except HttpError as exc:
            # IM answers an error when the template has no outputs section.
            if exc.status in (400, 404):
                return {}
            raise
        return data.get('outputs') or {}

    def contmsg(self, infid):
        """The contextualization log, secrets masked; '' when it cannot be read."""
        try:
            text = self.http.request(
                'GET', 'infrastructures/%s/contmsg' % infid, accept='text/plain', decode='text'
            ).data
        except HttpError:
            return ''
        return self.http.redact(text)

    def delete(self, infid):
        """Delete; False when IM did not know it (404)."""
        try:
            self.http.request('DELETE', 'infrastructures/%s' % infid, decode='none')
        except HttpError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def wait(self, infid, timeout, interval=5.0, max_interval=60.0, sleep=time.sleep, clock=time.monotonic):
        """Poll the state until ``configured``, ``failed``/``unconfigured`` or gone (None).
        The interval grows by half each poll up to ``max_interval``. Raises ``WaitTimeoutError``."""
        deadline = clock() + timeout
        delay = interval
        while True:
            state = self.state(infid)
            if state is None or state['state'] in TERMINAL_OK + TERMINAL_FAILED:
                return state
            left = deadline - clock()
            if left <= 0:
                raise WaitTimeoutError(
                    'infrastructure %s is still %s after %s s' % (infid, state['state'], timeout), state=state
                )
            sleep(min(delay, left))
            delay = min(max_interval, delay * 1.5)
