"""_iam: request bodies per grant, the token-file cache decision, atomic 0600 writes, oidc-agent."""

import base64
import json
import os
import stat
import sys
import time
import types

import pytest

from ansible_collections.dodas.dodas.plugins.module_utils import _iam


def jwt(**claims):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b'=').decode()

    return f'{part({"alg": "none"})}.{part(claims)}.sig'


@pytest.fixture
def iam():
    return _iam.IamClient('https://iam.example.org/token', 'my client', 'p@ss:word')


def test_client_credentials_basic_auth(iam):
    form, headers = iam.build_request('client_credentials', scope=['openid', 'profile'])
    assert form == {'grant_type': 'client_credentials', 'scope': 'openid profile'}
    pair = base64.b64decode(headers['Authorization'][6:]).decode()
    assert pair == 'my+client:p%40ss%3Aword'  # RFC 6749 2.3.1: form-encoded, then Basic


def test_token_exchange_sends_only_what_iam_reads(iam):
    form = iam.build_request('token_exchange', subject_token='st', audience='aud')[0]
    assert form == {
        'grant_type': 'urn:ietf:params:oauth:grant-type:token-exchange',
        'subject_token': 'st',
        'subject_token_type': 'urn:ietf:params:oauth:token-type:access_token',
        'audience': 'aud',
    }
    form = iam.build_request('token_exchange', subject_token='st', scope=['openid', 'offline_access'])[0]
    assert 'audience' not in form and form['scope'] == 'openid offline_access'
    with pytest.raises(ValueError, match='subject_token'):
        iam.build_request('token_exchange')


def test_refresh_and_client_secret_post():
    iam = _iam.IamClient('https://iam.example.org/token', 'c', 's', auth_method='client_secret_post')
    form, headers = iam.build_request('refresh_token', refresh_token='rt')
    assert form == {'grant_type': 'refresh_token', 'refresh_token': 'rt', 'client_id': 'c', 'client_secret': 's'}
    assert headers == {}
    with pytest.raises(ValueError):
        _iam.IamClient('https://iam.example.org/token', 'c', 's', auth_method='private_key_jwt')


def test_cache_decision():
    now = time.time()
    token = jwt(exp=now + 1000, scope='openid profile', aud=['a', 'b'])
    assert _iam.token_still_good(token, 60, now=now)[0]
    assert not _iam.token_still_good(token, 1000, now=now)[0]
    assert not _iam.token_still_good(token, 60, scope=['email'], now=now)[0]
    assert _iam.token_still_good(token, 60, scope=['openid'], audience='b', now=now)[0]
    assert not _iam.token_still_good(token, 60, audience='c', now=now)[0]
    assert not _iam.token_still_good('opaque-token', 60)[0]
    assert not _iam.token_still_good(jwt(scope='x'), 60)[0]


def test_token_result_from_answer():
    now = 1_700_000_000
    result = _iam.token_result({'access_token': 'a', 'expires_in': 3599, 'scope': 'openid x'}, now)
    assert result['expires_at'] == '2023-11-14T23:13:19Z' and result['scope'] == ['openid', 'x']
    assert result['refresh_token'] is None and result['token_type'] == 'Bearer'


def test_write_is_atomic_and_private(tmp_path):
    dest = tmp_path / 'tok'
    dest.write_text('old')
    os.chmod(dest, 0o644)
    _iam.write_token_file(str(dest), 'new-token')
    assert dest.read_text() == 'new-token\n'
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ['tok']
    assert _iam.read_token_file(str(dest)) == 'new-token'
    assert _iam.read_token_file(str(tmp_path / 'missing')) is None
    with pytest.raises(_iam.TokenError, match='does not exist'):
        _iam.write_token_file(str(tmp_path / 'no' / 'tok'), 'x')


def test_oidc_agent(monkeypatch):
    monkeypatch.setitem(sys.modules, 'liboidcagent', None)
    with pytest.raises(_iam.TokenError, match='liboidcagent'):
        _iam.oidc_agent_token('acct')
    calls = []

    def get_token_response(account, **kwargs):
        calls.append((account, kwargs))
        return {
            'token': jwt(exp=time.time() + 100, scope='openid'),
            'issuer': 'x',
            'expires_at': int(time.time()) + 100,
        }

    monkeypatch.setitem(sys.modules, 'liboidcagent', types.SimpleNamespace(get_token_response=get_token_response))
    result = _iam.oidc_agent_token('acct', 60, ['openid'], 'aud')
    assert result['scope'] == ['openid'] and 95 <= result['expires_in'] <= 100
    assert calls == [
        ('acct', {'min_valid_period': 60, 'application_hint': 'dodas.dodas', 'scope': 'openid', 'audience': 'aud'})
    ]
