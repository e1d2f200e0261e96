"""iam_token: argument handling and the cache decision (no HTTP: the client is replaced)."""

import base64
import json
import time

import pytest
from modhelp import run_module

from ansible_collections.dodas.dodas.plugins.module_utils import _iam
from ansible_collections.dodas.dodas.plugins.modules import iam_token


def jwt(**claims):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b'=').decode()

    return f'{part({"alg": "none"})}.{part(claims)}.sig'


@pytest.fixture
def fetches(monkeypatch):
    calls = []

    def fetch(self, grant, **kwargs):
        calls.append((grant, kwargs, self.auth_method))
        return {
            'access_token': jwt(exp=time.time() + 3600, scope='openid'),
            'token_type': 'Bearer',
            'expires_in': 3600,
            'expires_at': 'x',
            'scope': ['openid'],
            'refresh_token': 'rt-value',
        }

    monkeypatch.setattr(_iam.IamClient, 'fetch', fetch)
    return calls


BASE = {'url': 'https://iam.example.org/', 'client_id': 'c', 'client_secret': 'cs-value'}


def test_missing_arguments_fail_cleanly(capsys, fetches):
    result = run_module(iam_token.main, {'client_id': 'c'}, capsys)
    assert result['failed'] and 'needs url, client_secret' in result['msg']
    result = run_module(iam_token.main, dict(BASE, grant_type='token_exchange'), capsys)
    assert result['failed'] and 'subject_token' in result['msg']
    result = run_module(iam_token.main, dict(BASE, token_endpoint='https://x/token'), capsys)
    assert result['failed'] and 'mutually exclusive' in result['msg']
    assert fetches == []


def test_without_dest_tokens_are_returned_and_nothing_changes(capsys, fetches):
    result = run_module(iam_token.main, dict(BASE, scope=['openid']), capsys)
    assert result['changed'] is False and result['access_token'] and result['refresh_token'] == 'rt-value'
    assert fetches[0][0] == 'client_credentials' and fetches[0][1]['scope'] == ['openid']
    assert fetches[0][2] == 'client_secret_basic'


def test_with_dest_the_cache_decides(capsys, fetches, tmp_path):
    dest = tmp_path / 'tok'
    dest.write_text(jwt(exp=time.time() + 1000, scope='openid profile') + '\n')
    args = dict(BASE, dest=str(dest), scope=['openid'], min_valid_seconds=100)
    kept = run_module(iam_token.main, args, capsys)
    assert kept['changed'] is False and kept['cached'] is True and fetches == []
    assert 'access_token' not in kept and kept['scope'] == ['openid', 'profile']
    renewed = run_module(iam_token.main, dict(args, min_valid_seconds=2000), capsys)
    assert renewed['changed'] is True and renewed['cached'] is False and len(fetches) == 1
    assert 'access_token' not in renewed and 'refresh_token' not in renewed and renewed['refresh_token_issued']
    assert dest.read_text().count('.') == 2
    forced_check = run_module(iam_token.main, dict(args, force=True), capsys, check_mode=True)
    assert forced_check['changed'] is True and len(fetches) == 1  # check mode asks nothing
    returned = run_module(iam_token.main, dict(args, return_token=True), capsys)
    assert returned['access_token'] == dest.read_text().strip()
