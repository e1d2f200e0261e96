"""_marathon: app ids, the definition as sent, the comparison rule, error explanations, the
requests the client sends (open_url replaced) and the wait arithmetic (a fake clock)."""

import base64
import io
import json
from urllib.error import HTTPError

import pytest

from ansible_collections.dodas.dodas.plugins.module_utils import _http
from ansible_collections.dodas.dodas.plugins.module_utils import _marathon as mar


# -- ids -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ('given', 'expected'),
    [
        ('web', '/web'),
        ('/web', '/web'),
        ('/cms/squid/', '/cms/squid'),
        ('//cms//squid', '/cms/squid'),
        ('/a/./b', '/a/b'),
        ('/a/x/../b', '/a/b'),
        ('/prod/web.v2', '/prod/web.v2'),
        ('/a-1/b2', '/a-1/b2'),
    ],
)
def test_ids_are_made_absolute_as_marathon_does(given, expected):
    assert mar.normalize_id(given) == expected


@pytest.mark.parametrize(
    ('given', 'error'),
    [
        ('', 'empty'),
        (None, 'empty'),
        ('/', 'empty'),
        ('/..', 'root group'),
        ('/Web', 'may hold only'),
        ('/web_1', 'may hold only'),
        ('/-web', 'may hold only'),
        ('/web-', 'may hold only'),
        ('/a b', 'may hold only'),
        ('/web/versions', 'last segment may not be'),
        ('/web/tasks', 'last segment may not be'),
        ('/restart', 'last segment may not be'),
    ],
)
def test_ids_marathon_rejects_are_refused(given, error):
    with pytest.raises(ValueError, match=error):
        mar.normalize_id(given)


# -- the definition --------------------------------------------------------------------------
def test_prepare_sets_the_id_and_drops_read_only_fields():
    exported = {'id': 'web', 'cmd': 'x', 'version': '2025', 'tasksRunning': 2, 'deployments': [], 'tasks': []}
    body, app_id, dropped, problems = mar.prepare_definition(exported)
    assert app_id == '/web' and body == {'id': '/web', 'cmd': 'x'}
    assert dropped == ['deployments', 'tasks', 'tasksRunning', 'version'] and problems == []
    body, app_id, _dropped, _problems = mar.prepare_definition({'id': '/old', 'cmd': 'x'}, app_id='new')
    assert app_id == '/new' and body['id'] == '/new'
    assert exported['version'] == '2025'  # the caller's dict is not changed


def test_prepare_finds_values_marathon_would_reject():
    body = {'id': '/w', 'env': {'PORT': 8080, 'OK': 'x', 'DB': {'secret': 'db'}}, 'labels': {'n': True}}
    problems = mar.prepare_definition(body)[3]
    assert problems == [
        'env.PORT must be a string (Marathon accepts no int here; quote the value)',
        'labels.n must be a string (Marathon accepts no bool here; quote the value)',
    ]
    assert mar.prepare_definition({'id': '/w', 'env': ['A=1']})[3] == ['env must be a mapping of names to strings']
    with pytest.raises(ValueError, match='mapping'):
        mar.prepare_definition(['not', 'a', 'dict'])
    with pytest.raises(ValueError, match='empty'):
        mar.prepare_definition({'cmd': 'no id'})


# -- the comparison rule ---------------------------------------------------------------------
MARATHON_APP = {
    'id': '/prod/web',
    'cmd': 'python3 -m http.server $PORT0',
    'args': None,
    'user': None,
    'instances': 2,
    'cpus': 0.5,
    'mem': 128.0,
    'disk': 0.0,
    'gpus': 0,
    'executor': '',
    'env': {'A': '1'},
    'labels': {},
    'constraints': [['hostname', 'UNIQUE'], ['rack', 'GROUP_BY', '2']],
    'acceptedResourceRoles': None,
    'dependencies': ['/prod/db'],
    'requirePorts': False,
    'portDefinitions': [{'port': 10003, 'protocol': 'tcp', 'name': 'http', 'labels': {'vip': 'a'}}],
    'container': {
        'type': 'DOCKER',
        'volumes': [],
        'docker': {'image': 'nginx:1', 'forcePullImage': False, 'privileged': False, 'parameters': []},
        'portMappings': [{'containerPort': 80, 'hostPort': 0, 'servicePort': 10004, 'protocol': 'tcp'}],
    },
    'healthChecks': [
        {'protocol': 'TCP', 'portIndex': 0, 'gracePeriodSeconds': 300},
        {'protocol': 'HTTP', 'path': '/health', 'portIndex': 0, 'gracePeriodSeconds': 300},
    ],
    'upgradeStrategy': {'minimumHealthCapacity': 1.0, 'maximumOverCapacity': 1.0},
    'version': '2025-05-14T10:00:00.000Z',
    'tasksRunning': 2,
    'deployments': [],
}


def wanted(**changes):
    base = {
        'id': '/prod/web',
        'cmd': 'python3 -m http.server $PORT0',
        'instances': 2,
        'cpus': 0.5,
        'mem': 128,
        'env': {'A': '1'},
        'constraints': [['rack', 'GROUP_BY', '2'], ['hostname', 'UNIQUE']],
        'dependencies': ['db'],
        'portDefinitions': [{'port': 0, 'name': 'http', 'labels': {'vip': 'a'}}],
        'container': {
            'type': 'DOCKER',
            'docker': {'image': 'nginx:1'},
            'portMappings': [{'containerPort': 80, 'servicePort': 0}],
        },
        'healthChecks': [{'protocol': 'HTTP', 'path': '/health'}, {'protocol': 'TCP'}],
        'args': [],
        'labels': {},
        'upgradeStrategy': {'minimumHealthCapacity': 1},
    }
    base.update(changes)
    return base


def test_what_marathon_adds_or_reorders_is_no_difference():
    assert mar.differences(wanted(), MARATHON_APP) == []
    assert mar.differences({'id': '/prod/web'}, dict(MARATHON_APP, id='prod/web/')) == []  # absolute form


@pytest.mark.parametrize(
    ('changes', 'paths'),
    [
        ({'instances': 3}, ['/instances']),
        ({'cpus': 0.25, 'mem': 256.0}, ['/cpus', '/mem']),
        ({'env': {'A': '1', 'B': '2'}}, ['/env']),  # a name added
        ({'env': {}}, ['/env']),  # a name removed: env is compared whole
        ({'env': {'A': '2'}}, ['/env']),
        ({'requirePorts': 0}, ['/requirePorts']),  # a number is not a boolean
        ({'portDefinitions': [{'port': 0, 'name': 'http', 'labels': {}}]}, ['/portDefinitions']),
        ({'portDefinitions': [{'port': 10005, 'name': 'http'}]}, ['/portDefinitions']),
        ({'container': {'docker': {'image': 'nginx:2'}}}, ['/container/docker/image']),
        ({'container': {'portMappings': [{'containerPort': 80, 'hostPort': 31000}]}}, ['/container/portMappings']),
        ({'constraints': [['hostname', 'UNIQUE']]}, ['/constraints']),
        ({'dependencies': ['/db']}, ['/dependencies']),
        ({'healthChecks': [{'protocol': 'HTTP', 'path': '/'}, {'protocol': 'TCP'}]}, ['/healthChecks']),
        ({'fetch': [{'uri': 'https://x.org/a'}]}, ['/fetch']),  # Marathon holds no fetch at all
        ({'user': 'nobody'}, ['/user']),
        ({'id': '/prod/other'}, ['/id']),
        ({'upgradeStrategy': {'minimumHealthCapacity': 0.5}}, ['/upgradeStrategy/minimumHealthCapacity']),
    ],
)
def test_real_differences_are_found(changes, paths):
    assert mar.differences(wanted(**changes), MARATHON_APP) == paths


def test_empty_values_match_missing_or_null_ones():
    app = {'id': '/a', 'container': None, 'secrets': {}}
    assert mar.differences({'id': '/a', 'container': None, 'secrets': None, 'storeUrls': [], 'x': {}}, app) == []
    assert mar.differences({'id': '/a', 'container': {'type': 'MESOS'}}, app) == ['/container']
    assert mar.differences({'id': '/a', 'cmd': ''}, {'id': '/a'}) == ['/cmd']


def test_list_order_counts_where_marathon_keeps_it():
    app = {'id': '/a', 'args': ['-v', 'x'], 'acceptedResourceRoles': ['*', 'public']}
    assert mar.differences({'id': '/a', 'args': ['x', '-v']}, app) == ['/args']
    assert mar.differences({'id': '/a', 'acceptedResourceRoles': ['public', '*']}, app) == []
    assert mar.differences({'id': '/a', 'acceptedResourceRoles': ['public', 'public']}, app) == [
        '/acceptedResourceRoles'
    ]


def test_service_ports_given_as_zero_match_assigned_ones_only_there():
    app = {'id': '/a', 'ports': [10001, 10002], 'container': {'docker': {'portMappings': [{'hostPort': 0}]}}}
    assert mar.differences({'id': '/a', 'ports': [0, 10002]}, app) == []
    assert mar.differences({'id': '/a', 'ports': [0]}, app) == ['/ports']
    assert mar.differences({'id': '/a', 'container': {'docker': {'portMappings': [{'hostPort': 0}]}}}, app) == []
    # hostPort 0 means "any host port at launch" and stays 0: it is no wildcard.
    app['container']['docker']['portMappings'][0]['hostPort'] = 31000
    assert mar.differences({'id': '/a', 'container': {'docker': {'portMappings': [{'hostPort': 0}]}}}, app) == [
        '/container/docker/portMappings'
    ]


def test_diff_shows_only_real_changes():
    before, after = mar.before_after(MARATHON_APP, wanted(instances=3, env={'A': '1', 'B': '2'}))
    assert after['instances'] == 3 and before['instances'] == 2
    assert before['env'] == {'A': '1'}
    # Matching values are shown as given, so they do not show up in the diff.
    for key in ('mem', 'portDefinitions', 'container', 'constraints', 'dependencies', 'healthChecks', 'args', 'id'):
        assert before[key] == after[key], key
    assert 'version' not in before and 'tasksRunning' not in before
    before, _after = mar.before_after(MARATHON_APP, {'id': '/prod/web', 'container': {'docker': {'image': 'x:2'}}})
    assert before['container'] == {'docker': {'image': 'nginx:1'}}
    assert mar.before_after(None, {'id': '/a'}) == ({}, {'id': '/a'})


# -- errors ----------------------------------------------------------------------------------
def error(status, body):
    return _http.HttpError(f'PUT http://m/v2/apps/a: HTTP {status} x: {body.get("message")}.', status, body)


def test_validation_errors_are_listed():
    body = {
        'message': 'Object is not valid',
        'details': [
            {'path': '/cpus', 'errors': ['got -1.0, expected 0.0 or more']},
            {'path': '/', 'errors': ['a', 'b']},
        ],
    }
    exc = mar.explain(error(422, body), '/a')
    assert exc.msg.endswith('Marathon rejected the definition: /cpus: got -1.0, expected 0.0 or more | /: a; b')
    assert exc.extra == {'validation_errors': ['/cpus: got -1.0, expected 0.0 or more', '/: a; b']}
    assert exc.status == 422 and exc.body == body


def test_a_locked_app_names_the_deployments_and_force():
    body = {'message': 'App is locked by one or more deployments.', 'deployments': [{'id': 'd1'}, {'id': 'd2'}]}
    exc = mar.explain(error(409, body), '/a')
    assert 'being changed by deployments d1, d2' in exc.msg and 'force: true' in exc.msg
    assert exc.extra == {'deployments': [{'id': 'd1'}, {'id': 'd2'}]}
    exists = mar.explain(error(409, {'message': 'An app with id [/a] already exists.'}))
    assert 'force' not in exists.msg and exists.extra == {}


def test_auth_errors_say_what_to_check():
    assert 'check username and password' in mar.explain(error(401, {'message': 'Invalid username or password.'})).msg
    assert 'may not do this' in mar.explain(error(403, {'message': 'Not Authorized'})).msg
    assert mar.explain(error(500, {'message': 'boom'})).msg.endswith('boom')


def test_basic_auth_header():
    header = mar.basic_auth_header('admin', 'p:w')
    assert base64.b64decode(header.split()[1]) == b'admin:p:w'
    with pytest.raises(ValueError, match='may not contain ":"'):
        mar.basic_auth_header('ad:min', 'x')


# -- requests (open_url replaced) ------------------------------------------------------------
class FakeResponse:
    def __init__(self, status=200, body=None, headers=None):
        self._status = status
        self._body = json.dumps(body).encode() if body is not None else b''
        self.headers = dict({'Content-Type': 'application/json'}, **(headers or {}))

    def getcode(self):
        return self._status

    def read(self):
        return self._body


def http_error(status, body):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    return HTTPError('http://x', status, 'reason', {'Content-Type': 'application/json'}, io.BytesIO(data))


@pytest.fixture
def calls(monkeypatch):
    script, seen = [], []

    def fake_open_url(url, **kwargs):
        seen.append({'url': url, **kwargs})
        outcome = script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(_http, 'open_url', fake_open_url)
    return script, seen


def client(**kwargs):
    return mar.MarathonClient('https://m.example.org/service/marathon', sleep=lambda s: None, **kwargs)


def test_create_update_delete_requests(calls):
    script, seen = calls
    c = client(username='admin', password='pw', retries=0)
    script.append(FakeResponse(201, {'id': '/a', 'deployments': [{'id': 'd-body'}]}, {'Marathon-Deployment-Id': 'd1'}))
    assert c.create({'id': '/a', 'cmd': 'x'}) == ('d1', {'id': '/a', 'deployments': [{'id': 'd-body'}]})
    assert seen[-1]['url'] == 'https://m.example.org/service/marathon/v2/apps' and seen[-1]['method'] == 'POST'
    assert json.loads(seen[-1]['data']) == {'id': '/a', 'cmd': 'x'}
    assert seen[-1]['headers']['Authorization'] == 'Basic ' + base64.b64encode(b'admin:pw').decode()
    script.append(FakeResponse(201, {'id': '/a', 'deployments': [{'id': 'd-body'}]}))
    assert c.create({'id': '/a'}, force=True)[0] == 'd-body'  # no header: the body's deployment
    assert seen[-1]['url'].endswith('/v2/apps?force=true')

    script.append(FakeResponse(200, {'deploymentId': 'd2', 'version': 'v2'}))
    assert c.update('a', {'id': '/a', 'instances': 2}) == ('d2', 'v2')
    assert seen[-1]['method'] == 'PUT'
    assert seen[-1]['url'] == 'https://m.example.org/service/marathon/v2/apps/a?partialUpdate=true'
    script.append(FakeResponse(200, {'deploymentId': 'd3', 'version': 'v3'}))
    c.update('/g/a', {'id': '/g/a'}, force=True)
    assert seen[-1]['url'].endswith('/v2/apps/g/a?force=true&partialUpdate=true')

    script.append(FakeResponse(200, {'deploymentId': 'd4', 'version': 'v4'}))
    assert c.delete('/a') == ('d4', 'v4') and seen[-1]['method'] == 'DELETE'
    script.append(http_error(404, {'message': "App '/a' does not exist"}))
    assert c.delete('/a') == (None, None)


def test_get_app_and_what_a_404_means(calls):
    script, seen = calls
    c = client(token='dcos-tok', retries=0)
    script.append(FakeResponse(200, {'app': {'id': '/a', 'instances': 1}}))
    assert c.get_app('/a') == {'id': '/a', 'instances': 1}
    assert seen[-1]['headers']['Authorization'] == 'token=dcos-tok'
    script.append(http_error(404, {'message': "App '/a' does not exist"}))
    assert c.get_app('/a') is None
    script.append(http_error(404, b'<html>Not Found</html>'))
    with pytest.raises(_http.HttpError, match='without a Marathon error message'):
        c.get_app('/a')
    script.append(FakeResponse(200, {'apps': []}))
    with pytest.raises(_http.HttpError, match='no "app" object'):
        c.get_app('/a')
    script.append(http_error(401, {'message': 'Invalid username or password.'}))
    with pytest.raises(_http.HttpError, match='check username and password'):
        c.get_app('/a')


def test_versions_and_deployments(calls):
    script, _seen = calls
    c = client(retries=0)
    script.append(FakeResponse(200, {'versions': ['v2', 'v1']}))
    assert c.versions('/a') == ['v2', 'v1']
    script.append(FakeResponse(200, [{'id': 'd1'}, 'junk']))
    assert c.deployments() == [{'id': 'd1'}]


def test_secrets_never_reach_error_messages(calls):
    script, _seen = calls
    c = client(username='admin', password='pw-s3cret', retries=0)
    echoed = {'message': f'bad header Basic {base64.b64encode(b"admin:pw-s3cret").decode()} pw-s3cret'}
    script.append(http_error(400, echoed))
    with pytest.raises(_http.HttpError) as caught:
        c.get_app('/a')
    text = caught.value.msg + json.dumps(caught.value.body)
    assert 'pw-s3cret' not in text and base64.b64encode(b'admin:pw-s3cret').decode() not in text


# -- waiting (a fake clock) ------------------------------------------------------------------
class _Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def _client_listing(listings):
    c = mar.MarathonClient.__new__(mar.MarathonClient)
    answers = iter(listings)
    c.deployments = lambda: next(answers)
    return c


RUNNING = {
    'id': 'd1',
    'currentStep': 1,
    'totalSteps': 2,
    'currentActions': [{'action': 'ScaleApplication', 'app': '/a'}],
}


def test_wait_gives_up_at_the_deadline_naming_the_deployment():
    clock = _Clock()
    c = _client_listing([[RUNNING, {'id': 'other'}]] * 100)
    with pytest.raises(mar.WaitTimeoutError) as caught:
        c.wait(['d1'], 60, interval=1, max_interval=10, sleep=clock.sleep, clock=clock)
    assert 'd1 (step 1 of 2: ScaleApplication /a) still running after 60 s' in caught.value.msg
    assert caught.value.deployments == [RUNNING] and caught.value.extra == {'deployments': [RUNNING]}
    assert sum(clock.sleeps) == 60  # the last sleep is cut to the deadline
    assert clock.sleeps[:7] == [1, 1.5, 2.25, 3.375, 5.0625, 7.59375, 10]  # grows by half, capped at 10
    assert clock.sleeps[-1] < 10


def test_wait_with_no_time_left_asks_once():
    clock = _Clock()
    c = _client_listing([[RUNNING]])
    with pytest.raises(mar.WaitTimeoutError, match='after 0 s'):
        c.wait(['d1'], 0, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == []


def test_wait_ends_when_every_deployment_is_gone():
    clock = _Clock()
    c = _client_listing([[RUNNING, {'id': 'd2'}], [{'id': 'd2'}], [{'id': 'x'}]])
    c.wait(['d1', 'd2', None], 600, interval=2, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == [2, 3.0]
    c = _client_listing([])
    c.wait([None], 600, sleep=clock.sleep, clock=clock)  # nothing to wait for: no request
