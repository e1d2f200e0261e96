# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)
#
# This module util is PRIVATE to the dodas.dodas collection. It may change without notice.
"""Client of the INDIGO PaaS Orchestrator ``/deployments`` API. No Ansible in here.

Re-running a play must not create a second deployment. The orchestrator keeps no free-form
label on a deployment, but it keeps the TOSCA template exactly as it was sent
(``GET /deployments/<uuid>/template``). So a deployment created by name starts its template with
one comment line, the *marker*::

    # dodas.dodas.orchestrator_deployment name=<name> digest=<sha256 of the request>

A later run lists the caller's deployments (``createdBy=me``, optionally ``userGroup``), reads
their templates, and finds the one with the same name; the digest tells whether the request
(template, parameters, options) changed and an update is due. A comment changes nothing for
the orchestrator or TOSCA parsers.
"""

from __future__ import annotations

import hashlib
import json
import re
import time

from ansible_collections.dodas.dodas.plugins.module_utils._http import HttpClient, HttpError

IN_PROGRESS = ('CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'DELETE_IN_PROGRESS')
COMPLETE = ('CREATE_COMPLETE', 'UPDATE_COMPLETE')
FAILED = ('CREATE_FAILED', 'UPDATE_FAILED', 'DELETE_FAILED')
TERMINAL = COMPLETE + FAILED + ('DELETE_COMPLETE',)
UPDATABLE = ('CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_FAILED')
GONE = ('DELETE_COMPLETE',)
MARKER_PREFIX = '# dodas.dodas.orchestrator_deployment '
_MARKER_RE = re.compile(r'^# dodas\.dodas\.orchestrator_deployment name=(?P<name>\S+) digest=(?P<digest>[0-9a-f]+)\s*$')
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$')
# DeploymentRequest fields the module sends (camelCase as the API spells them).
OPTION_FIELDS = ('keepLastAttempt', 'maxProvidersRetry', 'timeoutMins', 'providerTimeoutMins', 'callback', 'userGroup')


def request_body(template, parameters=None, **options):
    """A ``DeploymentRequest``: ``template``, ``parameters`` and the options that are set."""
    body = {'template': template, 'parameters': parameters or {}}
    for key in OPTION_FIELDS:
        if options.get(key) is not None:
            body[key] = options[key]
    unknown = set(options) - set(OPTION_FIELDS)
    if unknown:
        raise ValueError('unknown deployment options: %s' % ', '.join(sorted(unknown)))
    return body


def validate_options(body):
    """The checks the orchestrator applies, made before any request. Returns a list of errors."""
    errors = []
    for key in ('timeoutMins', 'providerTimeoutMins', 'maxProvidersRetry'):
        if key in body and body[key] < 1:
            errors.append('%s must be at least 1' % key)
    if 'timeoutMins' in body and 'providerTimeoutMins' in body and body['providerTimeoutMins'] > body['timeoutMins']:
        errors.append('providerTimeoutMins must not exceed timeoutMins')
    callback = body.get('callback')
    if callback and not re.match(r'^https?://[^/\s]+', callback):
        errors.append('callback must be an http(s) URL')
    if not str(body.get('template', '')).strip():
        errors.append('the template is empty')
    return errors


def digest(body):
    """A stable digest of what a request asks for (userGroup excluded: it does not change)."""
    subject = {k: v for k, v in body.items() if k != 'userGroup'}
    subject['template'] = strip_marker(subject.get('template', ''))
    text = json.dumps(subject, sort_keys=True, separators=(',', ':'), default=str)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]


def strip_marker(template):
    lines = template.split('\n')
    if lines and _MARKER_RE.match(lines[0]):
        lines = lines[1:]
    return '\n'.join(lines)


def mark_template(template, name, request_digest):
    if not NAME_RE.match(name):
        raise ValueError('name must be 1-100 letters, digits, ".", "_" or "-" and start with a letter or digit')
    return '%sname=%s digest=%s\n%s' % (MARKER_PREFIX, name, request_digest, strip_marker(template))


def read_marker(template):
    """``(name, digest)`` from a template's first line, or ``(None, None)``."""
    first = (template or '').split('\n', 1)[0]
    match = _MARKER_RE.match(first)
    return (match.group('name'), match.group('digest')) if match else (None, None)


def log_tail(text, lines=30):
    if not text:
        return []
    return text.rstrip('\n').split('\n')[-lines:]


class OrchestratorClient:
    """The ``/deployments`` API with a bearer token."""

    def __init__(self, url, token, **http_options):
        if not token:
            raise HttpError('no orchestrator token: give token, token_file, or set ORCHENT_TOKEN')
        self.token = token
        self.http = HttpClient(
            url, auth=lambda: {'Authorization': 'Bearer ' + self.token}, secrets=[token], **http_options
        )

    def list(self, created_by=None, user_group=None, size=50, max_pages=1000):
        """Every deployment matching the filters, following the paged ``next`` links."""
        params = {'createdBy': created_by, 'userGroup': user_group, 'size': size, 'page': 0}
        url = self.http.url('deployments', params)
        found = []
        for _page in range(max_pages):
            data = self.http.request('GET', url).data or {}
            found.extend(data.get('content') or [])
            links = {link.get('rel'): link.get('href') for link in data.get('links') or []}
            nxt = links.get('next')
            if not nxt or nxt == url or links.get('self') == links.get('last'):
                break
            url = nxt
        return found

    def get(self, uuid):
        """The deployment, or None when the orchestrator does not know it (404)."""
        try:
            return self.http.request('GET', 'deployments/%s' % uuid).data
        except HttpError as exc:
            if exc.status == 404:
                return None
            raise

    def template(self, uuid):
        return self.http.request('GET', 'deployments/%s/template' % uuid, accept='text/plain, */*', decode='text').data

    def log(self, uuid):
        """The deployment log (plain text), secrets masked; '' when it cannot be read."""
        try:
            text = self.http.request('GET', 'deployments/%s/log' % uuid, accept='text/plain, */*', decode='text').data
        except HttpError:
            return ''
        return self.http.redact(text)

    def create(self, body):
        # Not repeated on a 5xx: the orchestrator may have created it. Refused/429/503 are.
        return self.http.request('POST', 'deployments', json_body=body).data

    def update(self, uuid, body):
        self.http.request('PUT', 'deployments/%s' % uuid, json_body=body, decode='none')

    def delete(self, uuid):
        """Ask for the deletion; False when it was already gone or going (404, 409)."""
        try:
            self.http.request('DELETE', 'deployments/%s' % uuid, decode='none')
        except HttpError as exc:
            if exc.status in (404, 409):
                return False
            raise
        return True

    def find_by_name(self, name, user_group=None):
        """The caller's live deployment whose template carries ``name`` in its marker, with the
        marker's digest: ``(deployment, digest)`` or ``(None, None)``."""
        for dep in self.list(created_by='me', user_group=user_group):
            if dep.get('status') in (*GONE, 'DELETE_IN_PROGRESS'):
                continue
            try:
                marker_name, marker_digest = read_marker(self.template(dep['uuid']))
            except HttpError as exc:
                if exc.status == 404:
                    continue
                raise
            if marker_name == name:
                return dep, marker_digest
        return None, None

    def wait(self, uuid, timeout, interval=5.0, max_interval=60.0, sleep=time.sleep, clock=time.monotonic):
        """Poll until the deployment reaches a terminal status or disappears (returns None).
        The interval grows by half each poll up to ``max_interval``. Raises ``WaitTimeoutError``."""
        deadline = clock() + timeout
        delay = interval
        while True:
            dep = self.get(uuid)
            if dep is None or dep.get('status') in TERMINAL:
                return dep
            left = deadline - clock()
            if left <= 0:
                raise WaitTimeoutError(
                    'deployment %s is still %s after %s s' % (uuid, dep.get('status'), timeout), deployment=dep
                )
            sleep(min(delay, left))
            delay = min(max_interval, delay * 1.5)


class WaitTimeoutError(HttpError):
    def __init__(self, msg, deployment=None):
        super().__init__(msg)
        self.deployment = deployment


def summary(dep):
    """The fields the modules return for a deployment."""
    dep = dep or {}
    return {
        'uuid': dep.get('uuid'),
        'status': dep.get('status'),
        'status_reason': dep.get('statusReason'),
        'task': dep.get('task'),
        'outputs': dep.get('outputs') or {},
        'links': dep.get('links') or [],
        'creation_time': dep.get('creationTime'),
        'update_time': dep.get('updateTime'),
        'user_group': dep.get('userGroup'),
        'cloud_provider_name': dep.get('cloudProviderName'),
        'physical_id': dep.get('physicalId'),
    }
