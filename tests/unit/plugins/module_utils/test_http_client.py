"""_http: URL checks, redaction, retries with backoff, JSON decoding, the error type (no network:
open_url is replaced)."""

import io
import json
import socket
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.dodas.dodas.plugins.module_utils import _http


class FakeResponse:
    def __init__(self, status=200, body=b'{}', headers=None):
        self._status = status
        self._body = body
        self.headers = headers or {'Content-Type': 'application/json'}

    def getcode(self):
        return self._status

    def read(self):
        return self._body


def http_error(status, body=b'', headers=None):
    return HTTPError('http://x', status, 'reason', headers or {'Content-Type': 'application/json'}, io.BytesIO(body))


@pytest.fixture
def calls(monkeypatch):
    """Script open_url: each call pops the next outcome (an exception or a FakeResponse)."""
    script = []
    seen = []

    def fake_open_url(url, **kwargs):
        seen.append({'url': url, **kwargs})
        outcome = script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(_http, 'open_url', fake_open_url)
    return script, seen


def client(**kwargs):
    sleeps = []
    c = _http.HttpClient('https://api.example.org/base', sleep=sleeps.append, **kwargs)
    return c, sleeps


@pytest.mark.parametrize('url', ['not a url', 'ftp://x.org/', 'http://', 'https://host:99999/', '', None])
def test_malformed_urls_are_refused(url):
    with pytest.raises(_http.HttpError, match='malformed URL'):
        _http.check_url(url)


def test_url_joining_keeps_paging_links_and_query():
    c = client()[0]
    assert c.url('') == 'https://api.example.org/base'
    assert c.url('deployments', {'a': 1, 'b': None}) == 'https://api.example.org/base/deployments?a=1'
    assert c.url('https://other.example.org/x?page=2') == 'https://other.example.org/x?page=2'


def test_redaction_masks_known_secrets_jwts_and_secret_keys():
    jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl'
    text = f'token {jwt} secret hunter22 {{"refresh_token": "r1"}} password=p1&x=1 "client_secret":"cs"'
    out = _http.redact(text, {'hunter22'})
    for leaked in (jwt, 'hunter22', 'r1', 'p1', '"cs"'):
        assert leaked not in out
    assert 'x=1' in out
    assert _http.redact('POST http://x/token: connection refused') == 'POST http://x/token: connection refused'


def test_retries_5xx_and_429_with_backoff_then_succeeds(calls):
    script, seen = calls
    script.extend([http_error(503), http_error(429, headers={'Retry-After': '5'}), FakeResponse(body=b'{"ok": 1}')])
    c, sleeps = client(retries=3, backoff=1)
    assert c.request('GET', 'x').data == {'ok': 1}
    assert sleeps == [1, 5]  # 1 s, then what Retry-After asked (over the 2 s backoff)
    assert len(seen) == 3


def test_post_is_not_repeated_after_a_500_but_is_after_refused(calls):
    script = calls[0]
    script.extend([http_error(500, b'{"message": "boom"}')])
    c, sleeps = client(retries=3)
    with pytest.raises(_http.HttpError) as err:
        c.request('POST', 'x', json_body={})
    assert err.value.status == 500 and 'boom' in err.value.msg and sleeps == []
    script.extend([URLError(ConnectionRefusedError(111, 'Connection refused')), FakeResponse()])
    c.request('POST', 'x', json_body={})
    assert sleeps == [1.0]


def test_retry_unsafe_repeats_a_post(calls):
    script = calls[0]
    script.extend([http_error(502), FakeResponse()])
    c, sleeps = client(retries=1)
    c.request('POST', 'x', form={'a': 'b'}, retry_unsafe=True)
    assert len(sleeps) == 1


def test_timeouts_and_unreachable_hosts_are_clean_errors(calls):
    script = calls[0]
    script.extend([TimeoutError('timed out'), TimeoutError('timed out')])
    c = client(retries=1, timeout=7)[0]
    with pytest.raises(_http.HttpError, match=r'no answer within 7 s \(timeout\) \(after 2 attempts\)') as err:
        c.request('GET', 'x')
    assert err.value.status is None
    script.append(URLError(socket.gaierror(-2, 'Name or service not known')))
    c = client(retries=0)[0]
    with pytest.raises(_http.HttpError, match='cannot resolve'):
        c.request('GET', 'x')


def test_non_json_answer_and_error_body_redaction(calls):
    script = calls[0]
    script.append(FakeResponse(body=b'<html>proxy error</html>', headers={'Content-Type': 'text/html'}))
    c = client(secrets=['s3cret-value'])[0]
    with pytest.raises(_http.HttpError, match='not JSON') as err:
        c.request('GET', 'x')
    assert 'proxy error' in err.value.body
    script.append(
        http_error(400, json.dumps({'error': 'invalid_grant', 'access_token': 'abc', 'x': 's3cret-value'}).encode())
    )
    with pytest.raises(_http.HttpError) as err:
        c.request('GET', 'x')
    assert err.value.body == {'error': 'invalid_grant', 'access_token': '********', 'x': '********'}
    assert 'invalid_grant' in err.value.msg
    assert set(err.value.fail_kwargs()) == {'msg', 'status', 'body', 'url'}


def test_auth_callback_runs_on_every_attempt_and_headers(calls):
    script, seen = calls
    script.extend([http_error(503), FakeResponse(body=b'')])
    tokens = iter(['t1', 't2'])
    c = _http.HttpClient(
        'https://api.example.org', auth=lambda: {'Authorization': 'Bearer ' + next(tokens)}, sleep=lambda s: None
    )
    assert c.request('DELETE', 'x').data is None
    assert [s['headers']['Authorization'] for s in seen] == ['Bearer t1', 'Bearer t2']
    assert seen[0]['validate_certs'] is True and seen[0]['use_netrc'] is False
