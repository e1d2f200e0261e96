# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)
#
# This module util is PRIVATE to the dodas.dodas collection. It may change without notice.
"""Client of the Marathon REST API v2 (apps and deployments). No Ansible in here.

What Marathon does that shapes this code (Marathon's REST API documentation, ``apps.raml``,
``deployments.raml``, ``traits.raml``):

- ``POST /v2/apps`` creates an app (201, the app with ``deployments: [{id}]`` and the header
  ``Marathon-Deployment-Id``); ``PUT /v2/apps/<id>`` changes one and answers
  ``{"deploymentId", "version"}``; ``partialUpdate=true`` keeps the fields the body leaves out
  (the documented default, sent explicitly because Marathon announced it may change);
  ``DELETE /v2/apps/<id>`` answers ``{"deploymentId", "version"}``.
- A change starts a *deployment*; it is over when its id is no longer listed by
  ``GET /v2/deployments``. A deployment that cannot finish (no resources, failing health
  checks) is not failed by Marathon: it stays listed, so waiting ends only by a deadline.
- While a deployment runs, the app is locked: another change answers 409 "App is locked by one
  or more deployments" with ``deployments: [{id}]``, unless ``force=true`` (which cancels it).
- Errors are ``{"message": ...}``; invalid definitions answer 422 ``Object is not valid`` (or
  400 ``Invalid JSON``) with ``details: [{path, errors}]``; 401 comes with
  ``WWW-Authenticate: Basic`` when ``--http_credentials`` is set.
- App ids are paths of segments made of ``a-z``, ``0-9``, ``-`` and ``.`` (a segment may not
  start or end with ``-``); a relative id is taken from the root; the last segment may not be
  ``restart``, ``tasks`` or ``versions``.

The comparison rule the module uses to stay idempotent (``differences``) is described at its
definition and in docs/modules.md.
"""

from __future__ import annotations

import base64
import re
import time

from ansible_collections.dodas.dodas.plugins.module_utils._http import HttpClient, HttpError

# One path segment, as Marathon checks it (state/PathId.scala, ID_PATH_SEGMENT_PATTERN).
_SEGMENT_RE = re.compile(r'^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])$')
RESERVED_LAST_SEGMENTS = ('restart', 'tasks', 'versions')
# Fields Marathon sets itself; a definition exported with GET carries them, a request must not
# (``version`` in a PUT body means "roll back to that version").
READ_ONLY_FIELDS = (
    'version',
    'versionInfo',
    'tasks',
    'tasksStaged',
    'tasksRunning',
    'tasksHealthy',
    'tasksUnhealthy',
    'deployments',
    'lastTaskFailure',
    'taskStats',
    'readinessCheckResults',
)
# Maps whose keys are the user's own data: compared whole (a key removed is a change).
FREE_FORM_MAPS = ('env', 'labels', 'secrets')
# Lists Marathon keeps as sets (it may answer them in another order).
UNORDERED_LISTS = ('acceptedResourceRoles', 'constraints', 'dependencies', 'healthChecks')
# Service ports given as 0 are assigned by Marathon: 0 matches whatever it assigned.
DEPLOYMENT_HEADER = 'marathon-deployment-id'


# -- ids --------------------------------------------------------------------------------------
def normalize_id(app_id):
    """The absolute form of an app id (``web`` -> ``/web``, ``/a/./b/`` -> ``/a/b``), with ``.``
    and ``..`` resolved as Marathon does. Raises ``ValueError`` for ids Marathon rejects."""
    if not isinstance(app_id, str) or not app_id.strip('/ '):
        raise ValueError('the app id is empty: give app_id, or an "id" in the definition')
    segments = []
    for part in app_id.strip().split('/'):
        if part in ('', '.'):
            continue
        if part == '..':
            if segments:
                segments.pop()
            continue
        if not _SEGMENT_RE.match(part):
            raise ValueError(
                'invalid app id %r: each path segment may hold only a-z, 0-9, "-" and "." and may not '
                'start or end with "-" (segment %r)' % (app_id, part)
            )
        segments.append(part)
    if not segments:
        raise ValueError('invalid app id %r: it names the root group, not an app' % (app_id,))
    if segments[-1] in RESERVED_LAST_SEGMENTS:
        raise ValueError(
            'invalid app id %r: the last segment may not be %s' % (app_id, ', '.join(RESERVED_LAST_SEGMENTS))
        )
    return '/' + '/'.join(segments)


def _canonical_dependency(dep, app_id):
    """A dependency as Marathon stores it: relative ones are taken from the app's parent group."""
    if not isinstance(dep, str):
        return dep
    parent = app_id.rsplit('/', 1)[0]
    try:
        return normalize_id(dep if dep.startswith('/') else parent + '/' + dep)
    except ValueError:
        return dep


# -- the definition --------------------------------------------------------------------------
def prepare_definition(definition, app_id=None):
    """``(body, app_id, dropped, problems)``: the request body (id set, read-only fields left
    out), the normalised id, the read-only fields dropped, and local problems (a list of
    strings; Marathon would reject the definition for each of them)."""
    if not isinstance(definition, dict):
        raise ValueError('the app definition must be a mapping (a JSON object)')
    given_id = definition.get('id')
    app_id = normalize_id(app_id if app_id else given_id)
    body = {k: v for k, v in definition.items() if k not in READ_ONLY_FIELDS}
    dropped = sorted(k for k in definition if k in READ_ONLY_FIELDS)
    body['id'] = app_id
    problems = []
    for key in ('env', 'labels'):
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            problems.append('%s must be a mapping of names to strings' % key)
            continue
        for name, item in value.items():
            secret_ref = key == 'env' and isinstance(item, dict) and set(item) == {'secret'}
            if not isinstance(item, str) and not secret_ref:
                problems.append(
                    '%s.%s must be a string (Marathon accepts no %s here; quote the value)'
                    % (key, name, type(item).__name__)
                )
    return body, app_id, dropped, problems


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_empty(value):
    return value is None or value == [] or value == {}


def _equal(wanted, current, key=None, parent=None, app_id=None):
    """Whether ``current`` (from Marathon) satisfies ``wanted`` (from the user); see
    ``differences`` for the rules."""
    if _is_empty(wanted) and _is_empty(current):
        return True
    if wanted == 0 and _is_number(wanted) and _is_number(current) and _port_wildcard(key, parent):
        return True
    if _is_number(wanted) and _is_number(current):
        return abs(float(wanted) - float(current)) <= 1e-9 * max(1.0, abs(float(wanted)))
    if isinstance(wanted, dict) and isinstance(current, dict):
        if key in FREE_FORM_MAPS:
            if set(wanted) != set(current):
                return False
            return all(_equal(wanted[k], current[k], k, key, app_id) for k in wanted)
        return not _dict_differences(wanted, current, '', key, app_id)
    if isinstance(wanted, list) and isinstance(current, list):
        if len(wanted) != len(current):
            return False
        if key == 'dependencies' and app_id:
            wanted = [_canonical_dependency(d, app_id) for d in wanted]
        if key in UNORDERED_LISTS:
            return _match_unordered(wanted, current, key, app_id)
        item_key = key + '[]' if key else None
        return all(_equal(wanted[i], current[i], item_key, key, app_id) for i in range(len(wanted)))
    if isinstance(wanted, bool) or isinstance(current, bool):
        return wanted is current
    return wanted == current


def _port_wildcard(key, parent):
    return key == 'servicePort' or (key == 'port' and parent == 'portDefinitions[]') or key == 'ports[]'


def _match_unordered(wanted, current, key, app_id):
    """Every wanted item matches a different current item (small lists: plain backtracking)."""
    used = [False] * len(current)

    def place(index):
        if index == len(wanted):
            return True
        for j, item in enumerate(current):
            if not used[j] and _equal(wanted[index], item, key + '[]', key, app_id):
                used[j] = True
                if place(index + 1):
                    return True
                used[j] = False
        return False

    return place(0)


def _dict_differences(wanted, current, prefix, parent_key, app_id):
    found = []
    for key, value in wanted.items():
        path = '%s/%s' % (prefix, key)
        if key not in current:
            if not _is_empty(value):
                found.append(path)
            continue
        if isinstance(value, dict) and isinstance(current[key], dict) and key not in FREE_FORM_MAPS:
            found.extend(_dict_differences(value, current[key], path, key, app_id))
        elif not _equal(value, current[key], key, parent_key, app_id):
            found.append(path)
    return found


def differences(wanted, current):
    """The paths (``/cpus``, ``/container/docker/image``, ...) where the app Marathon holds
    (``current``) does not match the definition (``wanted``, already prepared). The rules:

    - only the keys the definition gives are compared, at every level of nesting; a key Marathon
      added (defaults, ``version``, task counts) is never a difference;
    - ``env``, ``labels`` and ``secrets`` are compared whole: a name removed or added is a
      difference;
    - a given key that Marathon does not hold matches only when its value is empty (``null``,
      ``[]``, ``{}``); ``null``, ``[]`` and ``{}`` match each other;
    - numbers compare by value (``1`` matches ``1.0``); booleans only match booleans;
    - lists compare item by item in order, with the same rules for each item, except
      ``acceptedResourceRoles``, ``constraints``, ``dependencies`` and ``healthChecks``, which
      Marathon keeps as sets: any order matches;
    - the ``id`` is compared in its absolute form; relative ``dependencies`` are taken from
      the app's parent group, as Marathon stores them;
    - a service port given as ``0`` (``ports`` items, ``portDefinitions[].port``,
      ``servicePort``) matches any port, since Marathon assigns one.
    """
    app_id = wanted.get('id')
    found = []
    if 'id' in wanted:
        try:
            same = normalize_id(current.get('id') or '') == app_id
        except ValueError:
            same = False
        if not same:
            found.append('/id')
    rest = {key: value for key, value in wanted.items() if key != 'id'}
    return found + _dict_differences(rest, current, '', None, app_id)


def project(current, wanted, key=None, parent=None, app_id=None):
    """``current`` cut down to the shape of ``wanted``, for a diff: where the two match, the
    wanted value itself (so the diff shows only real changes); keys the user did not give are
    left out."""
    if isinstance(wanted, dict) and isinstance(current, dict) and key not in FREE_FORM_MAPS:
        out = {}
        for k, w in wanted.items():
            if k in current:
                out[k] = project(current[k], w, k, key, app_id)
            elif _is_empty(w):
                out[k] = w
        return out
    if key == 'id' and parent is None:
        try:
            return wanted if normalize_id(current or '') == wanted else current
        except ValueError:
            return current
    if _equal(wanted, current, key, parent, app_id):
        return wanted
    if isinstance(wanted, list) and isinstance(current, list) and len(wanted) == len(current):
        if key not in UNORDERED_LISTS:
            item_key = key + '[]' if key else None
            return [project(current[i], wanted[i], item_key, key, app_id) for i in range(len(wanted))]
    return current


def before_after(current, wanted):
    """``(before, after)`` for Ansible's diff: the projection of the current app and the
    definition."""
    before = {}
    if current is not None:
        app_id = wanted.get('id')
        for key, value in wanted.items():
            if key in current:
                before[key] = project(current[key], value, key, None, app_id)
            elif _is_empty(value):
                before[key] = value
    return before, wanted


# -- errors ----------------------------------------------------------------------------------
def explain(exc, app_id=None):
    """``exc`` with Marathon's explanation in its message: the validation details of a 400/422,
    the locking deployments of a 409 (and that ``force: true`` overrides them), what a 401/403
    means. Returns a new ``HttpError`` carrying ``extra`` fields for ``fail_json``."""
    body = exc.body if isinstance(exc.body, dict) else {}
    msg = exc.msg.rstrip('.')
    extra = {}
    details = body.get('details')
    if exc.status in (400, 422) and isinstance(details, list):
        lines = []
        for item in details:
            if not isinstance(item, dict):
                continue
            errors = item.get('errors') or []
            if not isinstance(errors, list):
                errors = [errors]
            lines.append('%s: %s' % (item.get('path') or '/', '; '.join(str(e) for e in errors)))
        if lines:
            msg = '%s. Marathon rejected the definition: %s' % (msg, ' | '.join(lines))
            extra['validation_errors'] = lines
    elif exc.status == 409 and isinstance(body.get('deployments'), list):
        ids = [d.get('id') for d in body['deployments'] if isinstance(d, dict) and d.get('id')]
        msg = '%s. The app%s is being changed by deployment%s %s; wait for it, or set force: true to cancel it' % (
            msg,
            ' ' + app_id if app_id else '',
            's' if len(ids) != 1 else '',
            ', '.join(ids) or '(unknown)',
        )
        extra['deployments'] = [{'id': i} for i in ids]
    elif exc.status == 401:
        msg = '%s. Marathon wants credentials: check username and password (Marathon --http_credentials) or token' % (
            msg,
        )
    elif exc.status == 403:
        msg = '%s. The credentials are valid but may not do this' % (msg,)
    new = HttpError(msg, status=exc.status, body=exc.body, url=exc.url)
    new.extra = extra
    return new


class WaitTimeoutError(HttpError):
    def __init__(self, msg, deployments=None):
        super().__init__(msg)
        self.deployments = deployments or []
        self.extra = {'deployments': self.deployments}


def describe_deployment(dep):
    """One line about a running deployment: its step and current actions."""
    actions = ', '.join(
        '%s %s' % (a.get('action'), a.get('app') or a.get('pod') or '')
        for a in dep.get('currentActions') or []
        if isinstance(a, dict)
    )
    return '%s (step %s of %s%s)' % (
        dep.get('id'),
        dep.get('currentStep'),
        dep.get('totalSteps'),
        ': ' + actions.strip() if actions else '',
    )


# -- the client ------------------------------------------------------------------------------
def basic_auth_header(username, password):
    if ':' in username:
        raise ValueError('the Marathon username may not contain ":" (Marathon --http_credentials is user:password)')
    token = base64.b64encode(('%s:%s' % (username, password)).encode('utf-8')).decode('ascii')
    return 'Basic ' + token


class MarathonClient:
    """``/v2/apps`` and ``/v2/deployments``. ``username``/``password`` send HTTP Basic
    (Marathon's ``--http_credentials``); ``token`` sends ``Authorization: token=<token>``, the
    DC/OS form (its Admin Router in front of Marathon)."""

    def __init__(self, url, username=None, password=None, token=None, **http_options):
        secrets = [password, token]
        header = None
        if token:
            header = 'token=' + token
        elif username:
            header = basic_auth_header(username, password or '')
            secrets.append(header.split(' ', 1)[1])
        auth = (lambda: {'Authorization': header}) if header else None
        self.http = HttpClient(url, auth=auth, secrets=[s for s in secrets if s], **http_options)

    @staticmethod
    def _path(app_id):
        return 'v2/apps/' + normalize_id(app_id).lstrip('/')

    def _request(self, app_id, *args, **kwargs):
        try:
            return self.http.request(*args, **kwargs)
        except HttpError as exc:
            raise explain(exc, app_id) from None

    def get_app(self, app_id):
        """The app (the ``app`` of Marathon's answer), or None when Marathon does not know it.
        A 404 without Marathon's ``message`` is not taken as "no app": the URL may not be
        Marathon's."""
        try:
            data = self.http.request('GET', self._path(app_id)).data
        except HttpError as exc:
            if exc.status == 404 and isinstance(exc.body, dict) and exc.body.get('message'):
                return None
            if exc.status == 404:
                raise HttpError(
                    'GET %s: HTTP 404 without a Marathon error message: is the url the Marathon API '
                    '(the address that serves /v2/apps)?' % exc.url,
                    status=404,
                    body=exc.body,
                    url=exc.url,
                ) from None
            raise explain(exc, app_id) from None
        if not isinstance(data, dict) or not isinstance(data.get('app'), dict):
            raise HttpError('GET %s: the answer holds no "app" object' % self._path(app_id), status=200, body=data)
        return data['app']

    def create(self, body, force=False):
        """POST the definition; returns ``(deployment_id, app)``. Not repeated after a 5xx."""
        resp = self._request(
            body.get('id'), 'POST', 'v2/apps', params={'force': 'true' if force else None}, json_body=body
        )
        app = resp.data if isinstance(resp.data, dict) else {}
        dep_id = resp.headers.get(DEPLOYMENT_HEADER)
        if not dep_id:
            deps = app.get('deployments') or []
            dep_id = deps[0].get('id') if deps and isinstance(deps[0], dict) else None
        return dep_id, app

    def update(self, app_id, body, force=False):
        """PUT the definition (``partialUpdate=true``: fields left out are kept); returns
        ``(deployment_id, version)``."""
        resp = self._request(
            app_id,
            'PUT',
            self._path(app_id),
            params={'force': 'true' if force else None, 'partialUpdate': 'true'},
            json_body=body,
        )
        return _deployment_result(resp)

    def delete(self, app_id, force=False):
        """DELETE the app; returns ``(deployment_id, version)``, or ``(None, None)`` when
        Marathon no longer knows it."""
        try:
            resp = self.http.request('DELETE', self._path(app_id), params={'force': 'true' if force else None})
        except HttpError as exc:
            if exc.status == 404 and isinstance(exc.body, dict) and exc.body.get('message'):
                return None, None
            raise explain(exc, app_id) from None
        return _deployment_result(resp)

    def versions(self, app_id):
        data = self._request(app_id, 'GET', self._path(app_id) + '/versions').data or {}
        return data.get('versions') or []

    def deployments(self):
        data = self._request(None, 'GET', 'v2/deployments').data
        return [d for d in data or [] if isinstance(d, dict)]

    def wait(self, deployment_ids, timeout, interval=1.0, max_interval=10.0, sleep=time.sleep, clock=time.monotonic):
        """Poll ``GET /v2/deployments`` until none of ``deployment_ids`` is listed. The interval
        grows by half each poll up to ``max_interval``; the last sleep is cut to the deadline.
        Raises ``WaitTimeoutError`` with the deployments still running."""
        wanted = {d for d in deployment_ids if d}
        if not wanted:
            return
        deadline = clock() + timeout
        delay = interval
        while True:
            running = [d for d in self.deployments() if d.get('id') in wanted]
            if not running:
                return
            left = deadline - clock()
            if left <= 0:
                raise WaitTimeoutError(
                    'deployment %s still running after %s s; Marathon keeps trying (no resources, '
                    'failing health checks?): a later run waits again, force: true replaces it'
                    % ('; '.join(describe_deployment(d) for d in running), timeout),
                    deployments=running,
                )
            sleep(min(delay, left))
            delay = min(max_interval, delay * 1.5)


def _deployment_result(resp):
    data = resp.data if isinstance(resp.data, dict) else {}
    return data.get('deploymentId') or resp.headers.get(DEPLOYMENT_HEADER), data.get('version')
