"""TEST DOUBLE of Marathon's REST API v2 (apps, deployments, versions) for the module tests.
It is not Marathon: it schedules nothing and runs no task. It mirrors what Marathon's REST API
documentation (``docs/docs/rest-api/public/api``: ``v2/apps.raml``, ``v2/deployments.raml``,
``traits.raml``, the examples) and its validation code say a client sees:

- authentication as with ``--http_credentials user:password``: HTTP Basic, else 401
  ``{"message": "Invalid username or password."}`` with ``WWW-Authenticate: Basic
  realm="Mesosphere"``; optionally DC/OS-style ``Authorization: token=<token>``; ``/ping`` is
  open and answers ``pong`` as text;
- ``GET /v2/info`` (name, version, leader, ``marathon_config``, ...);
- ``GET /v2/apps`` (``{"apps": [...]}``, ``id`` filter), ``POST /v2/apps`` (201, the app with
  ``deployments: [{id}]`` and the ``Marathon-Deployment-Id`` header; 409 "An app with id [..]
  already exists."), ``GET /v2/apps/<id>`` (``{"app": {...}}`` with ``version``,
  ``versionInfo``, task counts and running ``deployments``; 404 ``{"message": "App '/x' does
  not exist"}``), ``PUT /v2/apps/<id>`` (``partialUpdate`` default true keeps the fields the
  body leaves out; creates an unknown app with 201; a body with ``version`` rolls back to it;
  200 ``{"deploymentId", "version"}``), ``DELETE /v2/apps/<id>`` (the app is gone at once, a
  deployment stops it), ``GET /v2/apps/<id>/versions`` (newest first) and
  ``/versions/<version>``;
- the defaults Marathon fills in a stored app (instances 1, cpus 1, mem 128, disk 0, gpus 0,
  backoff 1 s x 1.15 up to 3600 s, upgradeStrategy 1/1, a ``default`` port definition, ...,
  and inside port definitions, health checks, fetch URIs and Docker containers), service ports
  given as 0 replaced by ports from 10000 on, numbers written as doubles where Marathon keeps
  doubles, and fields it does not know dropped (Marathon's readers ignore them);
- deployments: ``GET /v2/deployments`` lists the running ones (id, version, affectedApps,
  steps, currentActions, currentStep, totalSteps); a deployment disappears from the list once
  it has been listed ``steps`` times (or after ``delay`` seconds); ``hold = True`` keeps
  every deployment running (a deployment that cannot finish);
- while a deployment runs, the app is locked: PUT/DELETE answer 409 "App is locked by one or
  more deployments..." with ``deployments: [{id}]`` unless ``force=true``, which cancels them;
  ``DELETE /v2/deployments/<id>`` rolls the change back (a new deployment) or, with
  ``force=true``, only cancels it (202);
- validation as Marathon's validators answer it: 400 ``Invalid JSON`` for a body that is not
  an object or values of the wrong JSON type (``error.expected.jsstring``, ...), 422
  ``Object is not valid`` with ``details: [{path, errors}]`` for an id that does not match the
  segment pattern or ends with a reserved word, negative ``cpus``/``mem``/``disk``/``gpus``/
  ``instances`` ("got -1.0, expected 0.0 or more"), ``cmd`` and ``args`` together or neither
  without a container, ``upgradeStrategy`` capacities above 1; 415 for a body that is not JSON.

Fault injection (5xx, 429, delays, non-JSON bodies) comes from ``DoubleServer``.
"""

import base64
import datetime
import re
import time
import uuid as uuidlib

from doubles._server import DoubleServer, reply

REALM = 'Mesosphere'
_SEGMENT = r'^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|(\.|\.\.)$'
_SEGMENT_RE = re.compile(_SEGMENT)
RESERVED = ('restart', 'tasks', 'versions', '.', '..')
# The App fields of Marathon's app.raml; others are dropped.
KNOWN = {
    'id',
    'acceptedResourceRoles',
    'args',
    'backoffFactor',
    'backoffSeconds',
    'cmd',
    'constraints',
    'container',
    'cpus',
    'dependencies',
    'disk',
    'env',
    'executor',
    'fetch',
    'gpus',
    'healthChecks',
    'instances',
    'ipAddress',
    'killSelection',
    'labels',
    'maxLaunchDelaySeconds',
    'mem',
    'networks',
    'portDefinitions',
    'ports',
    'readinessChecks',
    'requirePorts',
    'residency',
    'role',
    'secrets',
    'storeUrls',
    'taskKillGracePeriodSeconds',
    'unreachableStrategy',
    'upgradeStrategy',
    'uris',
    'user',
}
DEFAULTS = {
    'args': None,
    'user': None,
    'cmd': None,
    'env': {},
    'instances': 1,
    'cpus': 1.0,
    'mem': 128.0,
    'disk': 0.0,
    'gpus': 0,
    'executor': '',
    'constraints': [],
    'uris': [],
    'fetch': [],
    'storeUrls': [],
    'backoffSeconds': 1,
    'backoffFactor': 1.15,
    'maxLaunchDelaySeconds': 3600,
    'container': None,
    'healthChecks': [],
    'readinessChecks': [],
    'dependencies': [],
    'upgradeStrategy': {'minimumHealthCapacity': 1.0, 'maximumOverCapacity': 1.0},
    'unreachableStrategy': {'inactiveAfterSeconds': 0, 'expungeAfterSeconds': 0},
    'killSelection': 'YOUNGEST_FIRST',
    'labels': {},
    'secrets': {},
    'acceptedResourceRoles': None,
    'requirePorts': False,
    'networks': [{'mode': 'host'}],
}
DOUBLES = ('cpus', 'mem', 'disk', 'backoffFactor')
STRING_MAPS = ('env', 'labels')


def _now():
    return datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


def _message(status, message, **extra):
    return reply(status, dict({'message': message}, **extra))


def _invalid_json(path, error):
    return reply(400, {'message': 'Invalid JSON', 'details': [{'path': path, 'errors': [error]}]})


def _not_valid(details):
    return reply(422, {'message': 'Object is not valid', 'details': details})


def canonical(raw, base='/'):
    """Marathon's PathId.canonicalPath: relative to ``base``, ``.``/``..`` resolved."""
    parts = [p for p in ((base.rstrip('/') + '/' if not raw.startswith('/') else '') + raw).split('/') if p]
    out = []
    for part in parts:
        if part == '.':
            continue
        if part == '..':
            if out:
                out.pop()
            continue
        out.append(part)
    return '/' + '/'.join(out)


class MarathonDouble:
    def __init__(self, credentials=None, tokens=(), steps=2, delay=None):
        self.credentials = credentials  # (username, password) or None (no authentication)
        self.tokens = set(tokens)  # DC/OS tokens accepted as "token=<t>"
        self.steps = steps  # listings a deployment stays in GET /v2/deployments
        self.delay = delay  # or seconds a deployment runs
        self.hold = False  # every deployment keeps running
        self.apps = {}  # id -> stored app (defaults filled, no runtime fields)
        self.app_versions = {}  # id -> {version: app}, for /versions
        self.version_info = {}  # id -> versionInfo
        self.deployments = {}  # id -> deployment record
        self.next_port = 10000
        self.server = DoubleServer(self)
        self.url = self.server.url

    # -- authentication --------------------------------------------------------------------
    def _authenticated(self, request):
        if self.credentials is None and not self.tokens:
            return True
        header = request.headers.get('authorization', '')
        if header.startswith('token=') and header[6:] in self.tokens:
            return True
        if self.credentials and header.startswith('Basic '):
            try:
                user, _colon, password = base64.b64decode(header[6:]).decode('utf-8').partition(':')
            except (ValueError, UnicodeError):
                return False
            return (user, password) == tuple(self.credentials)
        return False

    # -- deployments -----------------------------------------------------------------------
    def _finished(self, dep):
        if self.hold:
            return False
        if self.delay is not None:
            return time.monotonic() - dep['started'] >= self.delay
        return dep['reads'] >= self.steps

    def _running(self, app_id=None):
        return [d for d in self.deployments.values() if app_id is None or app_id in d['affectedApps']]

    def _deploy(self, app_id, action, previous, version):
        dep_id = str(uuidlib.uuid4())
        self.deployments[dep_id] = {
            'id': dep_id,
            'version': version,
            'affectedApps': [app_id],
            'affectedPods': [],
            'steps': [{'actions': [{'action': action, 'app': app_id}]}],
            'currentActions': [{'action': action, 'app': app_id, 'readinessCheckResults': []}],
            'currentStep': 1,
            'totalSteps': 1,
            # not part of the answer:
            'reads': 0,
            'started': time.monotonic(),
            'previous': previous,  # the app before the change (None: it did not exist)
        }
        return dep_id

    def _public_deployment(self, dep):
        return {k: v for k, v in dep.items() if k not in ('reads', 'started', 'previous')}

    def _lock(self, app_id, force):
        """None, or the 409 answer for an app locked by running deployments (cancelled with
        force)."""
        running = self._running(app_id)
        if not running:
            return None
        if force:
            for dep in running:
                del self.deployments[dep['id']]
            return None
        first = running[0]['id']
        return _message(
            409,
            "App is locked by one or more deployments. Override with the option '?force=true'. "
            f"View details at '/v2/deployments/{first}'.",
            deployments=[{'id': d['id']} for d in running],
        )

    # -- app views -------------------------------------------------------------------------
    def _view(self, app_id):
        app = dict(self.apps[app_id])
        running = self._running(app_id)
        app['version'] = self.version_info[app_id]['version']
        app['versionInfo'] = {k: v for k, v in self.version_info[app_id].items() if k != 'version'}
        done = not running
        app.update(
            tasksStaged=0 if done else app['instances'],
            tasksRunning=app['instances'] if done else 0,
            tasksHealthy=app['instances'] if done and app['healthChecks'] else 0,
            tasksUnhealthy=0,
            deployments=[{'id': d['id']} for d in running],
            tasks=[],
        )
        return app

    # -- validation and defaults -----------------------------------------------------------
    @staticmethod
    def _check(body, app_id):
        """None, or the 400/422 answer Marathon gives for ``body``."""
        if not isinstance(body, dict):
            return _invalid_json('', 'error.expected.jsobject')
        if 'id' in body and not isinstance(body['id'], str):
            return _invalid_json('/id', 'error.expected.jsstring')
        for key in ('cpus', 'mem', 'disk', 'backoffFactor', 'instances', 'gpus', 'backoffSeconds'):
            if key in body and (isinstance(body[key], bool) or not isinstance(body[key], (int, float))):
                return _invalid_json('/' + key, 'error.expected.jsnumber')
        for key in ('cmd', 'user', 'executor'):
            if body.get(key) is not None and not isinstance(body[key], str):
                return _invalid_json('/' + key, 'error.expected.jsstring')
        for key in STRING_MAPS:
            value = body.get(key)
            if value is None:
                continue
            if not isinstance(value, dict):
                return _invalid_json('/' + key, 'error.expected.jsobject')
            for name, item in value.items():
                if isinstance(item, str) or (key == 'env' and isinstance(item, dict) and set(item) == {'secret'}):
                    continue
                return _invalid_json(f'/{key}/{name}', 'error.expected.jsstring')
        details = []
        segments = [p for p in app_id.split('/') if p]
        if not segments:
            details.append({'path': '/id', 'errors': ['Path must contain at least one path element']})
        elif not all(_SEGMENT_RE.fullmatch(s) for s in segments):
            details.append({'path': '/id', 'errors': [f"must fully match regular expression '{_SEGMENT}'"]})
        elif segments[-1] in RESERVED:
            details.append(
                {
                    'path': '/id',
                    'errors': ['must not end with any of the following reserved keywords: ' + ', '.join(RESERVED)],
                }
            )
        for key in ('cpus', 'mem', 'disk'):
            if key in body and body[key] < 0:
                details.append({'path': '/' + key, 'errors': [f'got {float(body[key])}, expected 0.0 or more']})
        for key in ('instances', 'gpus'):
            if key in body and body[key] < 0:
                details.append({'path': '/' + key, 'errors': [f'got {body[key]}, expected 0 or more']})
        strategy = body.get('upgradeStrategy') or {}
        for key in ('minimumHealthCapacity', 'maximumOverCapacity'):
            value = strategy.get(key) if isinstance(strategy, dict) else None
            if isinstance(value, (int, float)) and value > 1:
                details.append({'path': '/upgradeStrategy/' + key, 'errors': ['is greater than 1']})
        if details:
            return _not_valid(details)
        return None

    @staticmethod
    def _check_command(app):
        has_cmd, has_args = bool(app.get('cmd')), bool(app.get('args'))
        if (has_cmd != has_args) or (not has_cmd and not has_args and app.get('container')):
            return None
        return _not_valid(
            [
                {
                    'path': '/',
                    'errors': ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."],
                }
            ]
        )

    def _port(self, value, kept=None):
        """``value``, or for 0 the port assigned before at the same place (Marathon keeps
        assigned service ports across updates), or the next free one."""
        if value:
            return value
        if kept:
            return kept
        port = self.next_port
        self.next_port += 1
        return port

    def _fill(self, app, previous=None):
        """The defaults and assigned ports Marathon adds to a stored app."""
        previous = previous or {}
        for key, value in DEFAULTS.items():
            if key not in app:
                app[key] = _copy(value)
        for key in DOUBLES:
            app[key] = float(app[key])
        strategy = app['upgradeStrategy'] or {}
        app['upgradeStrategy'] = {
            'minimumHealthCapacity': float(strategy.get('minimumHealthCapacity', 1)),
            'maximumOverCapacity': float(strategy.get('maximumOverCapacity', 1)),
        }
        container = app.get('container')
        mappings = []
        if isinstance(container, dict):
            container.setdefault('type', 'MESOS')
            container.setdefault('volumes', [])
            docker = container.get('docker')
            if isinstance(docker, dict):
                docker.setdefault('forcePullImage', False)
                docker.setdefault('privileged', False)
                docker.setdefault('parameters', [])
                mappings += docker.get('portMappings') or []
            mappings += container.get('portMappings') or []
        kept = _service_ports(previous)
        for index, mapping in enumerate(mappings):
            if isinstance(mapping, dict):
                mapping.setdefault('containerPort', 0)
                mapping.setdefault('hostPort', 0)
                mapping.setdefault('protocol', 'tcp')
                mapping['servicePort'] = self._port(mapping.get('servicePort'), _at(kept['mappings'], index))
        if 'ports' in app and isinstance(app['ports'], list):
            app['ports'] = [self._port(p, _at(kept['ports'], i)) for i, p in enumerate(app['ports'])]
        elif 'portDefinitions' not in app and not mappings:
            app['portDefinitions'] = [{'port': 0, 'protocol': 'tcp', 'name': 'default'}]
        for index, definition in enumerate(app.get('portDefinitions') or []):
            if isinstance(definition, dict):
                definition.setdefault('protocol', 'tcp')
                definition['port'] = self._port(definition.get('port'), _at(kept['definitions'], index))
        for check in app['healthChecks']:
            if isinstance(check, dict):
                check.setdefault('gracePeriodSeconds', 300)
                check.setdefault('intervalSeconds', 60)
                check.setdefault('timeoutSeconds', 20)
                check.setdefault('maxConsecutiveFailures', 3)
                check.setdefault('delaySeconds', 15)
                if check.get('protocol', 'HTTP') in ('HTTP', 'HTTPS', 'TCP', 'MESOS_HTTP', 'MESOS_TCP'):
                    if 'port' not in check:
                        check.setdefault('portIndex', 0)
                if check.get('protocol', 'HTTP') in ('HTTP', 'HTTPS', 'MESOS_HTTP'):
                    check.setdefault('path', '/')
                    check.setdefault('ignoreHttp1xx', False)
        for item in app['fetch']:
            if isinstance(item, dict):
                item.setdefault('extract', True)
                item.setdefault('executable', False)
                item.setdefault('cache', False)
        app['dependencies'] = [canonical(d, app['id'].rsplit('/', 1)[0] or '/') for d in app['dependencies']]
        return app

    def _store(self, app_id, app, previous):
        """Keep ``app`` as the app's new definition and version; returns the version."""
        version = _now()
        scaling_only = previous is not None and {k: v for k, v in previous.items() if k != 'instances'} == {
            k: v for k, v in app.items() if k != 'instances'
        }
        info = self.version_info.get(app_id, {})
        self.version_info[app_id] = {
            'version': version,
            'lastScalingAt': version,
            'lastConfigChangeAt': info.get('lastConfigChangeAt', version) if scaling_only else version,
        }
        self.apps[app_id] = app
        self.app_versions.setdefault(app_id, {})[version] = _copy(app)
        return version

    # -- HTTP ------------------------------------------------------------------------------
    def handle(self, request):
        parts = [p for p in request.path.split('/') if p]
        if parts == ['ping'] and request.method == 'GET':
            return reply(200, 'pong', 'text/plain')
        if not self._authenticated(request):
            return reply(
                401,
                {'message': 'Invalid username or password.'},
                headers={'WWW-Authenticate': f'Basic realm="{REALM}"'},
            )
        if request.method in ('POST', 'PUT') and request.body:
            if 'json' not in request.headers.get('content-type', ''):
                return _message(415, 'Unsupported Media Type')
        if parts[:2] == ['v2', 'info'] and request.method == 'GET':
            return reply(
                200,
                {
                    'name': 'marathon',
                    'version': '1.11.24 (test double)',
                    'elected': True,
                    'leader': f'127.0.0.1:{self.server.port}',
                    'frameworkId': 'double-0000',
                    'marathon_config': {'local_port_min': 10000, 'local_port_max': 20000, 'executor': '//cmd'},
                    'http_config': {'http_port': self.server.port},
                },
            )
        if parts[:2] == ['v2', 'deployments']:
            return self._deployments(request, parts[2:])
        if parts[:2] == ['v2', 'apps']:
            return self._apps(request, parts[2:])
        return _message(404, f'Not Found: {request.path}')

    def _deployments(self, request, rest):
        if not rest and request.method == 'GET':
            for dep in list(self.deployments.values()):
                if self._finished(dep):
                    del self.deployments[dep['id']]
            listed = []
            for dep in self.deployments.values():
                dep['reads'] += 1
                listed.append(self._public_deployment(dep))
            return reply(200, listed)
        if len(rest) == 1 and request.method == 'DELETE':
            dep = self.deployments.pop(rest[0], None)
            if dep is None:
                return _message(404, f'DeploymentPlan {rest[0]} does not exist')
            if request.query.get('force') == 'true':
                return reply(202, None)
            # Roll back: a new deployment restores the app as it was before.
            app_id = dep['affectedApps'][0]
            current = self.apps.get(app_id)
            if dep['previous'] is None:
                self.apps.pop(app_id, None)
                version = _now()
                dep_id = self._deploy(app_id, 'StopApplication', current, version)
            else:
                version = self._store(app_id, _copy(dep['previous']), current)
                dep_id = self._deploy(app_id, 'RestartApplication', current, version)
            return reply(200, {'deploymentId': dep_id, 'version': version}, headers={'Marathon-Deployment-Id': dep_id})
        return _message(405, 'Method Not Allowed')

    def _apps(self, request, rest):
        force = request.query.get('force') == 'true'
        if not rest:
            if request.method == 'GET':
                wanted = request.query.get('id', '')
                return reply(200, {'apps': [self._view(i) for i in sorted(self.apps) if wanted in i]})
            if request.method == 'POST':
                return self._create(request, force)
            return _message(405, 'Method Not Allowed')
        sub = None
        if 'versions' in rest:
            index = rest.index('versions')
            sub = rest[index + 1 :]
            rest = rest[:index]
        app_id = canonical('/'.join(rest))
        if sub is not None:
            if request.method != 'GET' or app_id not in self.apps:
                return _message(404, f"App '{app_id}' does not exist")
            versions = self.app_versions[app_id]
            if not sub:
                return reply(200, {'versions': sorted(versions, reverse=True)})
            if sub[0] not in versions:
                return _message(404, f"App '{app_id}' does not exist in version {sub[0]}")
            return reply(200, dict(versions[sub[0]], version=sub[0]))
        if request.method == 'GET':
            if app_id not in self.apps:
                return _message(404, f"App '{app_id}' does not exist")
            return reply(200, {'app': self._view(app_id)})
        if request.method == 'PUT':
            return self._update(request, app_id, force)
        if request.method == 'DELETE':
            if app_id not in self.apps:
                return _message(404, f"App '{app_id}' does not exist")
            locked = self._lock(app_id, force)
            if locked:
                return locked
            previous = self.apps.pop(app_id)
            version = _now()
            dep_id = self._deploy(app_id, 'StopApplication', previous, version)
            return reply(200, {'deploymentId': dep_id, 'version': version}, headers={'Marathon-Deployment-Id': dep_id})
        return _message(405, 'Method Not Allowed')

    def _parse(self, request):
        try:
            return request.json(), None
        except ValueError:
            return None, _invalid_json('', 'error.expected.jsobject')

    def _create(self, request, force):
        body, problem = self._parse(request)
        if problem:
            return problem
        problem = self._check(body, canonical((body or {}).get('id') or '') if isinstance(body, dict) else '/')
        if problem:
            return problem
        app_id = canonical(body.get('id') or '')
        if app_id in self.apps:
            return _message(409, f'An app with id [{app_id}] already exists.')
        app = self._fill(
            {k: _copy(v) for k, v in body.items() if k in KNOWN and k not in ('version',)} | {'id': app_id}
        )
        problem = self._check_command(app)
        if problem:
            return problem
        version = self._store(app_id, app, None)
        dep_id = self._deploy(app_id, 'StartApplication', None, version)
        return reply(201, self._view(app_id), headers={'Marathon-Deployment-Id': dep_id, 'Location': app_id})

    def _update(self, request, app_id, force):
        body, problem = self._parse(request)
        if problem:
            return problem
        problem = self._check(body, app_id)
        if problem:
            return problem
        exists = app_id in self.apps
        if exists:
            locked = self._lock(app_id, force)
            if locked:
                return locked
        previous = self.apps.get(app_id)
        if 'version' in body:
            stored = self.app_versions.get(app_id, {}).get(body['version'])
            if stored is None:
                return _message(404, f"App '{app_id}' does not exist in version {body['version']}")
            app = _copy(stored)
        else:
            given = {k: _copy(v) for k, v in body.items() if k in KNOWN}
            partial = request.query.get('partialUpdate', 'true') != 'false'
            if exists and partial:
                app = _copy(previous)
                app.update(given)
            else:
                app = given
            app['id'] = app_id
            app = self._fill(app, previous)
            problem = self._check_command(app)
            if problem:
                return problem
        version = self._store(app_id, app, previous)
        scaling = previous is not None and {k: v for k, v in previous.items() if k != 'instances'} == {
            k: v for k, v in app.items() if k != 'instances'
        }
        action = 'StartApplication' if not exists else ('ScaleApplication' if scaling else 'RestartApplication')
        dep_id = self._deploy(app_id, action, previous, version)
        headers = {'Marathon-Deployment-Id': dep_id}
        if not exists:
            headers['Location'] = app_id
        return reply(201 if not exists else 200, {'deploymentId': dep_id, 'version': version}, headers=headers)


def _service_ports(app):
    """The service ports an app holds: of its port definitions, its ``ports``, its container's
    port mappings."""
    container = app.get('container') if isinstance(app.get('container'), dict) else {}
    docker = container.get('docker') if isinstance(container.get('docker'), dict) else {}
    mappings = (docker.get('portMappings') or []) + (container.get('portMappings') or [])
    return {
        'definitions': [d.get('port') for d in app.get('portDefinitions') or [] if isinstance(d, dict)],
        'ports': list(app.get('ports') or []),
        'mappings': [m.get('servicePort') for m in mappings if isinstance(m, dict)],
    }


def _at(items, index):
    return items[index] if index < len(items) else None


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
