"""_orchestrator: request bodies, checks, the name marker and digest, paging, waiting."""

import pytest

from ansible_collections.dodas.dodas.plugins.module_utils import _orchestrator as orch
from ansible_collections.dodas.dodas.plugins.module_utils._http import HttpError, Response


def test_request_body_only_carries_options_that_are_set():
    body = orch.request_body('t', {'a': 1}, keepLastAttempt=False, maxProvidersRetry=None, userGroup='g')
    assert body == {'template': 't', 'parameters': {'a': 1}, 'keepLastAttempt': False, 'userGroup': 'g'}
    with pytest.raises(ValueError):
        orch.request_body('t', bogus=1)


def test_validate_options():
    assert orch.validate_options(orch.request_body('t', timeoutMins=10, providerTimeoutMins=5)) == []
    errors = orch.validate_options(
        orch.request_body(' ', timeoutMins=0, providerTimeoutMins=5, callback='ftp://x', maxProvidersRetry=0)
    )
    assert len(errors) == 5


def test_marker_and_digest():
    body = orch.request_body('tosca: 1\n', {'w': 1})
    digest = orch.digest(body)
    marked = orch.mark_template(body['template'], 'site-a', digest)
    assert marked.startswith('# dodas.dodas.orchestrator_deployment name=site-a digest=')
    assert orch.read_marker(marked) == ('site-a', digest)
    assert orch.strip_marker(marked) == 'tosca: 1\n'
    assert orch.digest(dict(body, template=marked)) == digest  # the marker is not part of it
    assert orch.digest(dict(body, userGroup='other')) == digest
    assert orch.digest(orch.request_body('tosca: 1\n', {'w': 2})) != digest
    assert orch.digest(orch.request_body('tosca: 1\n', {'w': 1}, timeoutMins=5)) != digest
    assert orch.read_marker('tosca: 1') == (None, None)
    with pytest.raises(ValueError):
        orch.mark_template('t', 'bad name', digest)


class FakeHttp:
    def __init__(self, pages):
        self.pages = pages
        self.urls = []
        self.secrets = set()

    def url(self, path, params=None):
        return 'http://o/' + path + '?' + '&'.join(f'{k}={v}' for k, v in params.items() if v is not None)

    def request(self, method, url, **kwargs):
        self.urls.append(url)
        return Response(200, {}, b'', self.pages[url])


def test_list_follows_next_links_until_last():
    client = orch.OrchestratorClient('http://o', 'tok')
    first = 'http://o/deployments?createdBy=me&size=2&page=0'

    def page(n, last=2):
        links = [{'rel': 'self', 'href': f'p{n}'}, {'rel': 'last', 'href': f'p{last}'}]
        if n < last:
            links.append({'rel': 'next', 'href': f'p{n + 1}'})
        return {'content': [{'uuid': f'{n}a'}, {'uuid': f'{n}b'}], 'links': links}

    client.http = FakeHttp({first: page(0), 'p1': page(1), 'p2': page(2)})
    assert [d['uuid'] for d in client.list(created_by='me', size=2)] == ['0a', '0b', '1a', '1b', '2a', '2b']
    assert client.http.urls == [first, 'p1', 'p2']


def test_wait_backs_off_and_times_out():
    client = orch.OrchestratorClient('http://o', 'tok')
    statuses = iter(['CREATE_IN_PROGRESS'] * 50)
    client.get = lambda uuid: {'uuid': uuid, 'status': next(statuses)}
    clock = [0.0]
    sleeps = []

    def sleep(s):
        sleeps.append(s)
        clock[0] += s

    with pytest.raises(orch.WaitTimeoutError, match='still CREATE_IN_PROGRESS after 30 s'):
        client.wait('u', 30, interval=2, max_interval=5, sleep=sleep, clock=lambda: clock[0])
    assert sleeps[:4] == [2, 3.0, 4.5, 5]
    statuses = iter(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'])
    assert client.wait('u', 30, sleep=lambda s: None)['status'] == 'CREATE_COMPLETE'
    client.get = lambda uuid: None
    assert client.wait('u', 30) is None  # gone (deleted)


def test_missing_token_is_a_clean_error():
    with pytest.raises(HttpError, match='ORCHENT_TOKEN'):
        orch.OrchestratorClient('http://o', '')
