"""No secret value (client secret, access and refresh tokens, IM and Marathon passwords) appears in any
module output or log line: a playbook using every module, successes and failures alike, runs
with -vvv and a log file, and both are searched for every secret the run handled."""

import base64
import secrets

from test_im_infrastructure import TEMPLATE as IM_TEMPLATE
from test_marathon_app import DEFINITION as MARATHON_APP
from test_orchestrator import TEMPLATE

from doubles.iam_double import CLIENT_ID


def test_no_secret_in_vvv_output_or_log(iam, orchestrator, im_server, marathon, play, tmp_path):
    user = iam.user_token(sub='alice', client_id='user-client', scope=('openid', 'profile'))
    im_password = 'im;pw=' + secrets.token_urlsafe(16)
    im_token = secrets.token_urlsafe(24)
    token_file = tmp_path / 'orchestrator-token'
    iam_args = {'url': iam.issuer, 'client_id': CLIENT_ID, 'client_secret': iam.client_secret}
    im_auth = [
        {'id': 'dummy', 'type': 'Dummy'},
        {'id': 'im', 'type': 'InfrastructureManager', 'username': 'dodas', 'password': im_password},
        {
            'id': 'ost',
            'type': 'OpenStack',
            'host': 'https://keystone.invalid:5000',
            'username': 'u',
            'password': im_token,
        },
    ]
    orch = {
        'url': orchestrator.url,
        'token_file': str(token_file),
        'poll_interval': 1,
        'wait_timeout': 30,
        'retries': 0,
    }
    tasks = [
        # A token exchanged for one with offline_access (a refresh token is issued), to a file.
        {
            'name': 'exchange',
            'dodas.dodas.iam_token': dict(
                iam_args,
                grant_type='token_exchange',
                subject_token=user,
                scope=['openid', 'profile', 'offline_access'],
                dest=str(token_file),
            ),
        },
        {'name': 'cached', 'dodas.dodas.iam_token': dict(iam_args, dest=str(token_file), scope=['openid'])},
        {
            'name': 'bad secret',
            'dodas.dodas.iam_token': dict(iam_args, client_secret=iam.client_secret + 'x', retries=0),
            'ignore_errors': True,
        },
        {
            'name': 'bad refresh',
            'dodas.dodas.iam_token': dict(iam_args, grant_type='refresh_token', refresh_token=user, retries=0),
            'ignore_errors': True,
        },
        {'name': 'deploy', 'dodas.dodas.orchestrator_deployment': dict(orch, name='s', template=TEMPLATE)},
        {
            'name': 'failing deploy',
            'dodas.dodas.orchestrator_deployment': dict(
                orch, name='f', template=TEMPLATE, parameters={'double_fail': True}
            ),
            'ignore_errors': True,
        },
        {'name': 'list', 'dodas.dodas.orchestrator_deployment_info': {k: orch[k] for k in ('url', 'token_file')}},
        {
            'name': 'token in a parameter',
            'dodas.dodas.orchestrator_deployment_info': {'url': orchestrator.url, 'token': user, 'uuid': 'nope'},
        },
        {'name': 'delete', 'dodas.dodas.orchestrator_deployment': dict(orch, name='s', state='absent')},
        {
            'name': 'im',
            'dodas.dodas.im_infrastructure': {'url': im_server['url'], 'auth': im_auth, 'template': IM_TEMPLATE},
            'register': 'infra',
        },
        {
            'name': 'im wrong password',
            'dodas.dodas.im_infrastructure': {
                'url': im_server['url'],
                'auth': [dict(im_auth[1], password=im_password + 'x')],
                'infrastructure_id': '{{ infra.infrastructure_id }}',
            },
            'ignore_errors': True,
        },
        {
            'name': 'im delete',
            'dodas.dodas.im_infrastructure': {
                'url': im_server['url'],
                'auth': im_auth,
                'infrastructure_id': '{{ infra.infrastructure_id }}',
                'state': 'absent',
            },
        },
    ]
    marathon_user, marathon_password = marathon.credentials
    marathon_token = next(iter(marathon.tokens))
    password_file = tmp_path / 'marathon-password'
    password_file.write_text(marathon_password + '\n')
    mar = {'url': marathon.url, 'username': marathon_user, 'retries': 0, 'wait_timeout': 30}
    tasks += [
        {
            'name': 'marathon',
            'dodas.dodas.marathon_app': dict(mar, password=marathon_password, definition=MARATHON_APP),
        },
        {
            'name': 'marathon password file, diff',
            'dodas.dodas.marathon_app': dict(mar, password_file=str(password_file), definition=MARATHON_APP),
            'diff': True,
        },
        {
            'name': 'marathon token',
            'dodas.dodas.marathon_app': {
                'url': marathon.url,
                'token': marathon_token,
                'app_id': MARATHON_APP['id'],
                'definition': {'instances': 2},
            },
            'diff': True,
        },
        {
            'name': 'marathon wrong password',
            'dodas.dodas.marathon_app': dict(mar, password=marathon_password + 'x', definition=MARATHON_APP),
            'ignore_errors': True,
        },
        {
            'name': 'marathon delete',
            'dodas.dodas.marathon_app': dict(
                mar, password_file=str(password_file), app_id=MARATHON_APP['id'], state='absent'
            ),
        },
    ]
    proc = play.run(tasks, verbosity=3, json_output=False)
    output = proc.stdout + proc.stderr
    log = (tmp_path / 'ansible.log').read_text()
    assert 'PLAY RECAP' in output and 'failed=0' in output, output[-3000:]
    assert output.count('...ignoring') == 5, output[-3000:]
    assert 'dodas.dodas.im_infrastructure' in log or 'im delete' in log

    basic = base64.b64encode(f'{marathon_user}:{marathon_password}'.encode()).decode()
    handled = {iam.client_secret, user, im_password, im_token, marathon_password, marathon_token, basic}
    handled |= set(iam.tokens)  # every access token the IAM double issued in this test
    handled |= set(iam.refresh_tokens)
    assert len(iam.refresh_tokens) == 1
    assert token_file.read_text().strip() in iam.tokens
    for secret in handled:
        assert secret not in output, f'a secret ({secret[:6]}...) is in the -vvv output'
        assert secret not in log, f'a secret ({secret[:6]}...) is in the log file'
    # The password's parts (around IM's separators) do not leak either.
    assert im_password.split('=')[1] not in output
