"""dodas.dodas.orchestrator_deployment(_info) run by ansible-playbook against the orchestrator
double on 127.0.0.1 (tokens from the IAM double)."""

import pytest

from ansible_collections.dodas.dodas.plugins.module_utils import _orchestrator as orch
from ansible_collections.dodas.dodas.plugins.module_utils._http import HttpError

TEMPLATE = """tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  inputs:
    workers: {type: integer, default: 1}
  node_templates:
    node: {type: tosca.nodes.Compute}
"""


def _dep(orchestrator, token_file, **args):
    base = {
        'url': orchestrator.url,
        'token_file': str(token_file),
        'poll_interval': 1,
        'wait_timeout': 30,
        'retries': 1,
    }
    base.update(args)
    return {'dodas.dodas.orchestrator_deployment': base, 'ignore_errors': True}


def _info(orchestrator, token_file, **args):
    base = {'url': orchestrator.url, 'token_file': str(token_file), 'retries': 1}
    base.update(args)
    return {'dodas.dodas.orchestrator_deployment_info': base, 'ignore_errors': True}


def _token_file(tmp_path, token, name='token'):
    path = tmp_path / name
    path.write_text(token + '\n')
    path.chmod(0o600)
    return path


def test_create_rerun_update_delete(orchestrator, orchestrator_token, play, tmp_path):
    tf = _token_file(tmp_path, orchestrator_token)
    (tmp_path / 'tpl.yaml').write_text(TEMPLATE)
    create = _dep(
        orchestrator,
        tf,
        name='cluster-a',
        template_file=str(tmp_path / 'tpl.yaml'),
        parameters={'workers': 2},
        keep_last_attempt=False,
        max_providers_retry=2,
        timeout_mins=60,
        provider_timeout_mins=30,
        user_group='dodas',
        callback='https://callback.example.org/done',
    )
    check_first, created, again, check_again = play.run(
        [dict(create, check_mode=True), create, create, dict(create, check_mode=True)]
    )
    assert check_first['changed'] is True and check_first['operation'] == 'created', check_first
    assert created['changed'] is True and created['status'] == 'CREATE_COMPLETE', created
    assert created['outputs']['inputs'] == {'workers': 2}
    assert {link['rel'] for link in created['links']} >= {'self', 'template'}
    assert again['changed'] is False and again['uuid'] == created['uuid'], again
    assert check_again['changed'] is False
    assert len(orchestrator.deployments) == 1  # no duplicate on re-runs
    stored = orchestrator.deployments[created['uuid']]
    assert stored['template'].startswith('# dodas.dodas.orchestrator_deployment name=cluster-a digest=')
    sent = stored['request']
    assert sent['keepLastAttempt'] is False and sent['maxProvidersRetry'] == 2 and sent['userGroup'] == 'dodas'
    assert sent['timeoutMins'] == 60 and sent['providerTimeoutMins'] == 30
    assert sent['callback'] == 'https://callback.example.org/done'

    changed = dict(create)
    changed['dodas.dodas.orchestrator_deployment'] = dict(
        create['dodas.dodas.orchestrator_deployment'], parameters={'workers': 3}
    )
    check_update, updated, unchanged = play.run([dict(changed, check_mode=True), changed, changed])
    assert check_update['changed'] is True and check_update['operation'] == 'updated'
    assert updated['changed'] is True and updated['status'] == 'UPDATE_COMPLETE', updated
    assert updated['outputs']['inputs'] == {'workers': 3}
    assert unchanged['changed'] is False

    by_uuid = _dep(
        orchestrator,
        tf,
        uuid=created['uuid'],
        template=TEMPLATE,
        parameters={'workers': 3},
        user_group='dodas',
        keep_last_attempt=False,
        max_providers_retry=2,
        timeout_mins=60,
        provider_timeout_mins=30,
        callback='https://callback.example.org/done',
    )
    same_by_uuid = play.run([by_uuid])[0]
    assert same_by_uuid['changed'] is False, same_by_uuid

    absent = _dep(orchestrator, tf, name='cluster-a', user_group='dodas', state='absent')
    check_delete, deleted, deleted_again = play.run([dict(absent, check_mode=True), absent, absent])
    assert check_delete['changed'] is True
    assert deleted['changed'] is True and deleted['status'] == 'DELETE_COMPLETE', deleted
    assert deleted_again['changed'] is False
    assert orchestrator.deployments == {}


def test_failure_returns_log_tail_and_timeout(orchestrator, orchestrator_token, play, tmp_path):
    tf = _token_file(tmp_path, orchestrator_token)
    orchestrator.steps = 2
    failing, rerun = play.run(
        [
            _dep(orchestrator, tf, name='bad', template=TEMPLATE, parameters={'double_fail': True}),
            _dep(orchestrator, tf, name='bad', template=TEMPLATE, parameters={'double_fail': True}),
        ]
    )
    assert failing['failed'] and failing['status'] == 'CREATE_FAILED', failing
    assert 'no provider could satisfy' in failing['msg']
    assert any('quota exceeded' in line for line in failing['log_tail'])
    assert rerun['failed'] and 'delete it (state=absent)' in rerun['msg']
    assert len(orchestrator.deployments) == 1

    orchestrator.steps = 10**6  # never finishes
    slow = play.run([_dep(orchestrator, tf, name='slow', template=TEMPLATE, wait_timeout=3)])[0]
    assert slow['failed'] and 'still CREATE_IN_PROGRESS after 3 s' in slow['msg'], slow
    assert slow['uuid'] and slow['log_tail']
    no_wait = play.run([_dep(orchestrator, tf, name='slow', template=TEMPLATE, wait=False)])[0]
    assert no_wait['changed'] is False and no_wait['status'] == 'CREATE_IN_PROGRESS'


def test_api_errors_are_clean(orchestrator, orchestrator_token, iam, play, tmp_path):
    tf = _token_file(tmp_path, orchestrator_token)
    read_only = _token_file(tmp_path, iam.user_token(sub='alice', scope=('openid',)), 'ro')
    expired = _token_file(tmp_path, iam.user_token(sub='alice', scope=('openid', 'offline_access'), lifetime=-5), 'exp')
    results = play.run(
        [
            _dep(orchestrator, read_only, name='x', template=TEMPLATE),
            _dep(orchestrator, expired, name='x', template=TEMPLATE),
            _dep(orchestrator, tf, uuid='11111111-2222-3333-4444-555555555555', template=TEMPLATE),
            _dep(orchestrator, tf, name='x', template=TEMPLATE, timeout_mins=10, provider_timeout_mins=20),
            _dep(orchestrator, tf, name='bad name!', template=TEMPLATE),
            _dep(orchestrator, tf, template=TEMPLATE),
            {
                'dodas.dodas.orchestrator_deployment': {'url': orchestrator.url, 'name': 'x', 'template': TEMPLATE},
                'ignore_errors': True,
            },
        ]
    )
    no_scope, expired_token, unknown, bad_timeouts, bad_name, no_identity, no_token = results
    assert no_scope['failed'] and no_scope['status'] == 403 and 'Insufficient scope' in no_scope['msg'], no_scope
    assert expired_token['status'] == 401 and 'expired' in expired_token['msg']
    assert unknown['failed'] and 'no deployment' in unknown['msg']
    assert bad_timeouts['failed'] and 'providerTimeoutMins must not exceed timeoutMins' in bad_timeouts['msg']
    assert bad_name['failed'] and 'name must be' in bad_name['msg']
    assert no_identity['failed'] and 'one of the following is required: name, uuid' in no_identity['msg']
    assert no_token['failed'] and 'ORCHENT_TOKEN' in no_token['msg']
    assert orchestrator.deployments == {}

    # Another user's deployment: 403 on update; a 409 when updating one in progress.
    other = iam.user_token(sub='bob', scope=('openid', 'offline_access'))
    bob_tf = _token_file(tmp_path, other, 'bob')
    bobs = play.run([_dep(orchestrator, bob_tf, name='bobs', template=TEMPLATE)])[0]
    theft = play.run([_dep(orchestrator, tf, uuid=bobs['uuid'], template=TEMPLATE + '# changed\n')])[0]
    assert theft['failed'] and theft['status'] == 403

    # A second delete while the first is in progress sends nothing; the orchestrator would
    # answer 409, which the client takes as "nothing to do".
    orchestrator.steps = 10**6
    absent = _dep(orchestrator, bob_tf, uuid=bobs['uuid'], state='absent', wait=False)
    first_delete, second_delete = play.run([absent, absent])
    assert first_delete['changed'] is True and first_delete['status'] == 'DELETE_IN_PROGRESS', first_delete
    assert second_delete['changed'] is False and not second_delete.get('failed'), second_delete
    assert len([r for r in orchestrator.server.requests if r.method == 'DELETE']) == 1
    client = orch.OrchestratorClient(orchestrator.url, other, retries=0)
    with pytest.raises(HttpError) as conflict:
        client.http.request('DELETE', f'deployments/{bobs["uuid"]}', decode='none')
    assert conflict.value.status == 409 and 'already in DELETE_IN_PROGRESS' in conflict.value.msg
    assert client.delete(bobs['uuid']) is False


def test_info_pages_and_filters(orchestrator, orchestrator_token, iam, play, tmp_path):
    tf = _token_file(tmp_path, orchestrator_token)
    tasks = [
        _dep(orchestrator, tf, name=f'd{i}', template=TEMPLATE, user_group='g1' if i % 2 else 'g2', wait=False)
        for i in range(7)
    ]
    bob_tf = _token_file(tmp_path, iam.user_token(sub='bob', scope=('openid', 'offline_access')), 'bob')
    tasks.append(_dep(orchestrator, bob_tf, name='bobs', template=TEMPLATE, wait=False))
    play.run(tasks)
    mine, group, one, by_name, env_token = play.run(
        [
            _info(orchestrator, tf, page_size=2),
            _info(orchestrator, tf, user_group='g1', page_size=2),
            _info(orchestrator, tf, uuid=next(iter(orchestrator.deployments)), template=True),
            _info(orchestrator, tf, name='d3'),
            {
                'dodas.dodas.orchestrator_deployment_info': {'page_size': 3},
                'environment': {'ORCHENT_URL': orchestrator.url, 'ORCHENT_TOKEN': orchestrator_token},
                'ignore_errors': True,
            },
        ]
    )
    assert len(mine['deployments']) == 7, mine  # 4 pages of 2, bob's not among them
    assert len(group['deployments']) == 3 and {d['user_group'] for d in group['deployments']} == {'g1'}
    assert one['deployments'][0]['name'] == 'd0' and one['deployments'][0]['template'].startswith('# dodas.dodas')
    assert by_name['deployments'][0]['name'] == 'd3'
    assert len(env_token['deployments']) == 7, env_token
    pages = [
        r.query.get('page') for r in orchestrator.server.requests if r.path == '/deployments' and r.method == 'GET'
    ]
    assert {'0', '1', '2', '3'} <= set(pages)


def test_unreachable_and_garbage(orchestrator, orchestrator_token, play, tmp_path):
    tf = _token_file(tmp_path, orchestrator_token)
    orchestrator.server.faults.extend(['garbage'])
    garbage, unreachable, malformed = play.run(
        [
            _info(orchestrator, tf),
            dict(
                _info(orchestrator, tf),
                **{
                    'dodas.dodas.orchestrator_deployment_info': {
                        'url': 'http://127.0.0.1:9',
                        'token_file': str(tf),
                        'retries': 0,
                    }
                },
            ),
            dict(
                _info(orchestrator, tf),
                **{
                    'dodas.dodas.orchestrator_deployment_info': {
                        'url': 'orchestrator.example.org',
                        'token_file': str(tf),
                    }
                },
            ),
        ]
    )
    assert garbage['failed'] and 'not JSON' in garbage['msg']
    assert unreachable['failed'] and 'connection refused' in unreachable['msg']
    assert malformed['failed'] and 'malformed URL' in malformed['msg']
