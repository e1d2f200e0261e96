"""dodas.dodas.iam_token run by ansible-playbook against the IAM double on 127.0.0.1."""

import base64
import json
import os
import stat
import threading

from doubles.iam_double import CLIENT_ID


def _claims(token):
    part = token.split('.')[1]
    return json.loads(base64.urlsafe_b64decode(part + '=' * (-len(part) % 4)))


def _task(iam, **args):
    base = {'url': iam.issuer, 'client_id': CLIENT_ID, 'client_secret': iam.client_secret, 'retries': 1}
    base.update(args)
    return {'dodas.dodas.iam_token': base, 'register': 'out', 'ignore_errors': True}


def test_grants_and_request_bodies(iam, play, tmp_path):
    user = iam.user_token(sub='alice', client_id='user-client', scope=('openid', 'profile'))
    results = play.run(
        [
            _task(iam, scope=['openid']),
            _task(
                iam,
                grant_type='token_exchange',
                subject_token=user,
                scope=['openid', 'offline_access'],
                audience='https://orchestrator.example.org',
                client_auth_method='client_secret_post',
            ),
        ]
    )
    cc, exchanged = results
    assert not cc.get('failed'), cc
    assert cc['changed'] is False and cc['scope'] == ['openid'] and cc['refresh_token_issued'] is False
    assert _claims(cc['access_token'])['sub'] == CLIENT_ID
    assert not exchanged.get('failed'), exchanged
    assert exchanged['refresh_token_issued'] is True and exchanged['refresh_token']
    claims = _claims(exchanged['access_token'])
    assert claims['sub'] == 'alice' and claims['aud'] == 'https://orchestrator.example.org'
    # What went over the wire: Basic auth by default, client_secret_post when asked; the
    # exchange never carries parameters IAM rejects.
    first, second = [r for r in iam.server.requests if r.path == '/token']
    assert first.headers['authorization'].startswith('Basic ') and 'client_secret' not in first.form()
    form = second.form()
    assert 'authorization' not in second.headers and form['client_secret'] == iam.client_secret
    assert form['subject_token_type'] == 'urn:ietf:params:oauth:token-type:access_token'
    assert not {'actor_token', 'want_composite', 'resource', 'requested_token_type'} & set(form)

    refreshed = play.run(
        [_task(iam, grant_type='refresh_token', refresh_token=exchanged['refresh_token'], scope=['openid'])]
    )[0]
    assert not refreshed.get('failed'), refreshed
    assert _claims(refreshed['access_token'])['sub'] == 'alice' and refreshed['scope'] == ['openid']


def test_token_file_is_private_atomic_and_idempotent(iam, play, tmp_path):
    dest = tmp_path / 'token'
    task = _task(iam, dest=str(dest), scope=['openid', 'profile'], min_valid_seconds=60)
    first, second, check_forced = play.run([task, task, dict(task, **{'check_mode': True})])
    assert first['changed'] is True and first['cached'] is False, first
    assert 'access_token' not in first  # in the file, not in the output
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    token = dest.read_text().strip()
    assert _claims(token)['scope'] == 'openid profile'
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.token-')]  # no temporary left
    assert second['changed'] is False and second['cached'] is True, second
    assert check_forced['changed'] is False
    token_requests = [r for r in iam.server.requests if r.path == '/token']
    assert len(token_requests) == 1  # the second run and check mode asked nothing

    # A token about to expire (or lacking a scope) is replaced; check mode only says so.
    dest.write_text(iam.user_token(sub=CLIENT_ID, client_id=CLIENT_ID, scope=('openid', 'profile'), lifetime=30))
    checked, renewed = play.run([dict(task, check_mode=True), task])
    assert checked['changed'] is True and 'expires in' in checked['reason']
    assert renewed['changed'] is True and dest.read_text().strip() != token
    wider = play.run([_task(iam, dest=str(dest), scope=['openid', 'email'], min_valid_seconds=60)])[0]
    assert wider.get('failed') and 'invalid_scope' in wider['msg']  # the double's client has no email


def test_iam_errors_are_clean_failures(iam, play):
    user = iam.user_token(sub='alice', client_id=CLIENT_ID, scope=('openid',))
    expired = iam.user_token(sub='alice', client_id='user-client', lifetime=-10)
    results = play.run(
        [
            _task(iam, client_secret='wrong-secret-value'),
            _task(iam, grant_type='token_exchange', subject_token=expired),
            _task(iam, grant_type='token_exchange', subject_token=user, scope=['openid', 'offline_access']),
            _task(iam, grant_type='refresh_token', refresh_token='not-a-refresh-token'),
        ]
    )
    bad_client, expired_subject, same_client_offline, bad_refresh = results
    assert bad_client['failed'] and bad_client['status'] == 401 and 'invalid_client' in bad_client['msg']
    assert expired_subject['status'] == 401 and 'invalid_token' in expired_subject['msg']
    assert same_client_offline['status'] == 403 and 'access_denied' in same_client_offline['msg']
    assert bad_refresh['status'] == 400 and 'invalid_grant' in bad_refresh['msg']
    for result in results:
        assert 'Traceback' not in json.dumps(result)


def test_bad_input_network_failures(iam, play):
    iam.server.faults.extend(['garbage', ('delay', 3)])
    results = play.run(
        [
            _task(iam, url='not a url'),
            _task(iam, url='http://127.0.0.1:9/'),  # nothing listens on the discard port
            _task(iam),  # answered with a non-JSON body
            _task(iam, timeout=1, retries=0),  # answered after 3 s
        ]
    )
    malformed, unreachable, garbage, slow = results
    assert malformed['failed'] and 'malformed URL' in malformed['msg']
    assert unreachable['failed'] and 'connection refused' in unreachable['msg'] and unreachable['status'] is None
    assert garbage['failed'] and 'not JSON' in garbage['msg']
    assert slow['failed'] and 'timeout' in slow['msg']


def test_retries_on_5xx_and_429(iam, play):
    iam.server.faults.extend([503, 429])
    result = play.run([_task(iam, retries=3)])[0]
    assert not result.get('failed'), result
    assert len([r for r in iam.server.requests if r.path == '/token']) == 3


def test_oidc_agent_missing_is_a_clear_error(play):
    result = play.run(
        [{'dodas.dodas.iam_token': {'grant_type': 'oidc_agent', 'oidc_agent_account': 'dodas'}, 'ignore_errors': True}]
    )[0]
    assert result['failed'] and 'liboidcagent' in result['msg']


def test_concurrent_writers_never_leave_a_partial_file(iam, tmp_path):
    from ansible_collections.dodas.dodas.plugins.module_utils import _iam

    dest = tmp_path / 'token'
    tokens = [iam.user_token(sub=f'u{i}', client_id=CLIENT_ID) for i in range(8)]
    seen = []

    def reader():
        for _attempt in range(300):
            if dest.exists():
                seen.append(dest.read_text().strip())

    thread = threading.Thread(target=reader)
    thread.start()
    for _round in range(20):
        for token in tokens:
            _iam.write_token_file(str(dest), token)
    thread.join()
    assert set(seen) <= set(tokens)
