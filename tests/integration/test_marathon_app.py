"""dodas.dodas.marathon_app run by ansible-playbook against the Marathon double on 127.0.0.1."""

import json

from ansible_collections.dodas.dodas.plugins.module_utils import _marathon as mar

DEFINITION = {
    'id': '/dodas/web',
    'cmd': 'python3 -m http.server $PORT0',
    'cpus': 0.5,
    'mem': 64,
    'instances': 1,
    'env': {'MODE': 'test'},
    'portDefinitions': [{'port': 0, 'name': 'http'}],
    'healthChecks': [{'protocol': 'HTTP', 'path': '/'}],
    'container': {'type': 'DOCKER', 'docker': {'image': 'python:3.12-slim'}},
    'constraints': [['hostname', 'UNIQUE']],
}


def _task(marathon, check=False, diff=False, **args):
    base = {
        'url': marathon.url,
        'username': marathon.credentials[0],
        'password': marathon.credentials[1],
        'retries': 1,
        'wait_timeout': 30,
    }
    base.update(args)
    base = {k: v for k, v in base.items() if v is not None}
    task = {'dodas.dodas.marathon_app': base, 'ignore_errors': True}
    if check:
        task['check_mode'] = True
    if diff:
        task['diff'] = True
    return task


def _writes(marathon):
    return [(r.method, r.path) for r in marathon.server.requests if r.method != 'GET']


def _warnings(result):
    return json.dumps(result.get('warnings') or [])


def test_create_rerun_update_and_delete(marathon, play, tmp_path):
    create = _task(marathon, definition=DEFINITION)
    check_create = play.run([_task(marathon, check=True, diff=True, definition=DEFINITION)])[0]
    assert check_create['changed'] is True and check_create['operation'] == 'created', check_create
    assert check_create['diff']['before'] == {} and check_create['diff']['after']['id'] == '/dodas/web'
    assert _writes(marathon) == [] and marathon.apps == {}  # check mode sent nothing

    created, again, check_again = play.run([create, create, _task(marathon, check=True, definition=DEFINITION)])
    assert created['changed'] is True and created['operation'] == 'created', created
    assert created['deployment_id'] and created['app']['deployments'] == [], created  # waited
    assert created['app']['portDefinitions'][0]['port'] >= 10000  # assigned by Marathon
    assert created['app']['mem'] == 64.0 and created['app']['backoffFactor'] == 1.15  # defaults filled
    assert again['changed'] is False and again['operation'] == 'none' and again['changed_keys'] == [], again
    assert check_again['changed'] is False
    assert _writes(marathon) == [('POST', '/v2/apps')]
    listed = [r for r in marathon.server.requests if r.path == '/v2/deployments']
    assert len(listed) >= 2  # listed until the deployment was gone

    changed_definition = dict(DEFINITION, cpus=1, env={'MODE': 'prod'})
    changed = _task(marathon, diff=True, definition=changed_definition)
    check_update = play.run([dict(changed, check_mode=True)])[0]
    assert check_update['changed'] is True and check_update['changed_keys'] == ['/cpus', '/env'], check_update
    assert _writes(marathon) == [('POST', '/v2/apps')]
    updated, unchanged = play.run([changed, changed])
    assert updated['changed'] is True and updated['operation'] == 'updated', updated
    diff = updated['diff']
    assert diff['before']['cpus'] == 0.5 and diff['after']['cpus'] == 1
    assert diff['before']['env'] == {'MODE': 'test'} and diff['after']['env'] == {'MODE': 'prod'}
    assert diff['before']['portDefinitions'] == diff['after']['portDefinitions']  # only real changes
    assert unchanged['changed'] is False, unchanged
    assert marathon.apps['/dodas/web']['cpus'] == 1.0 and marathon.apps['/dodas/web']['env'] == {'MODE': 'prod'}
    put = next(r for r in marathon.server.requests if r.method == 'PUT')
    assert put.query == {'partialUpdate': 'true'} and put.path == '/v2/apps/dodas/web'
    client = mar.MarathonClient(marathon.url, *marathon.credentials, retries=0)
    assert len(client.versions('/dodas/web')) == 2

    # Only the keys given are compared and sent: scaling from a short definition.
    scale = _task(marathon, app_id='dodas/web', definition={'instances': 3})
    scaled, scaled_again = play.run([scale, scale])
    assert scaled['changed'] is True and scaled['changed_keys'] == ['/instances'], scaled
    assert scaled_again['changed'] is False
    assert marathon.apps['/dodas/web']['cmd'] == DEFINITION['cmd'] and marathon.apps['/dodas/web']['instances'] == 3

    absent = _task(marathon, app_id='/dodas/web', state='absent')
    check_delete = play.run([dict(absent, check_mode=True)])[0]
    assert check_delete['changed'] is True and check_delete['operation'] == 'deleted'
    assert '/dodas/web' in marathon.apps
    deleted, deleted_again = play.run([absent, absent])
    assert deleted['changed'] is True and deleted['deployment_id'] and deleted['version'], deleted
    assert deleted_again['changed'] is False and deleted_again['operation'] == 'none'
    assert marathon.apps == {} and marathon.deployments == {}


def test_definition_files_token_and_what_marathon_drops(marathon, play, tmp_path):
    (tmp_path / 'app.json').write_text(json.dumps(dict(DEFINITION, id='json-app')))
    (tmp_path / 'app.yml').write_text('id: yaml-app\ncmd: sleep 600\nenv:\n  A: "1"\n')
    (tmp_path / 'pw').write_text(marathon.credentials[1] + '\n')
    token = next(iter(marathon.tokens))
    from_json, from_yaml, with_token, typo, typo_again = play.run(
        [
            _task(
                marathon, definition_file=str(tmp_path / 'app.json'), password=None, password_file=str(tmp_path / 'pw')
            ),
            _task(marathon, definition_file=str(tmp_path / 'app.yml')),
            _task(marathon, username=None, password=None, token=token, app_id='/yaml-app', definition={'cpus': 0.1}),
            _task(marathon, definition={'id': '/typo', 'cmd': 'sleep 1', 'instnaces': 2}),
            _task(marathon, definition={'id': '/typo', 'cmd': 'sleep 1', 'instnaces': 2}),
        ]
    )
    assert from_json['changed'] and from_json['app_id'] == '/json-app', from_json
    assert from_yaml['changed'] and marathon.apps['/yaml-app']['env'] == {'A': '1'}, from_yaml
    assert with_token['changed'] and marathon.apps['/yaml-app']['cpus'] == 0.1, with_token
    assert typo['changed'] and '/instnaces' in _warnings(typo), typo
    # Marathon ignores the unknown key, so every run sees a difference (and warns again).
    assert typo_again['changed'] is True and '/instnaces' in _warnings(typo_again)


def test_waits_for_the_deployment_and_times_out(marathon, play):
    marathon.steps = 3
    created = play.run([_task(marathon, definition=DEFINITION)])[0]
    assert created['changed'] and marathon.deployments == {}, created
    assert len([r for r in marathon.server.requests if r.path == '/v2/deployments']) == 4  # listed 3 times, gone

    marathon.hold = True  # a deployment that cannot finish (no resources offered)
    bigger = _task(marathon, definition=dict(DEFINITION, instances=5), wait_timeout=2)
    slow = play.run([bigger])[0]
    assert slow['failed'] and 'still running after 2 s' in slow['msg'], slow
    assert 'ScaleApplication /dodas/web' in slow['msg'] and slow['deployments'][0]['affectedApps'] == ['/dodas/web']
    running = slow['deployments'][0]['id']
    no_wait, locked, forced = play.run(
        [
            _task(marathon, definition=dict(DEFINITION, instances=5), wait=False),
            _task(marathon, definition=dict(DEFINITION, instances=2)),
            _task(marathon, definition=dict(DEFINITION, instances=2), force=True, wait=False),
        ]
    )
    assert no_wait['changed'] is False and no_wait['app']['deployments'] == [{'id': running}], no_wait
    assert locked['failed'] and locked['status'] == 409 and 'force: true' in locked['msg'], locked
    assert locked['deployments'] == [{'id': running}]
    assert forced['changed'] is True and running not in marathon.deployments, forced
    assert marathon.apps['/dodas/web']['instances'] == 2

    marathon.hold = False
    settled = play.run([_task(marathon, definition=dict(DEFINITION, instances=2))])[0]
    assert settled['changed'] is False and marathon.deployments == {}, settled  # waited for the forced one
    marathon.hold = True
    play.run([_task(marathon, definition=dict(DEFINITION, instances=1), wait=False)])
    locked_delete, forced_delete = play.run(
        [
            _task(marathon, app_id='/dodas/web', state='absent'),
            _task(marathon, app_id='/dodas/web', state='absent', force=True, wait=False),
        ]
    )
    assert locked_delete['failed'] and locked_delete['status'] == 409, locked_delete
    assert forced_delete['changed'] is True and marathon.apps == {}, forced_delete


def test_errors_are_clean(marathon, play):
    before = len(marathon.server.requests)
    bad_id, bad_env, no_id = play.run(
        [
            _task(marathon, definition=dict(DEFINITION, id='/dodas/Web_1')),
            _task(marathon, definition=dict(DEFINITION, env={'PORT': 8080})),
            _task(marathon, definition={'cmd': 'sleep 1'}),
        ]
    )
    assert bad_id['failed'] and 'invalid app id' in bad_id['msg']
    assert bad_env['failed'] and 'env.PORT must be a string' in bad_env['msg']
    assert no_id['failed'] and 'give app_id' in no_id['msg']
    assert len(marathon.server.requests) == before  # refused before any request

    wrong, anonymous, negative, both, capacity = play.run(
        [
            _task(marathon, password=marathon.credentials[1] + 'x', definition=DEFINITION),
            _task(marathon, username=None, password=None, definition=DEFINITION),
            _task(marathon, definition=dict(DEFINITION, cpus=-1, instances=-2)),
            _task(marathon, definition=dict(DEFINITION, args=['-v'])),
            _task(marathon, definition=dict(DEFINITION, upgradeStrategy={'minimumHealthCapacity': 2})),
        ]
    )
    assert wrong['failed'] and wrong['status'] == 401 and 'Invalid username or password' in wrong['msg'], wrong
    assert 'check username and password' in wrong['msg']
    assert anonymous['failed'] and anonymous['status'] == 401
    assert negative['failed'] and negative['status'] == 422, negative
    assert negative['validation_errors'] == [
        '/cpus: got -1.0, expected 0.0 or more',
        '/instances: got -2, expected 0 or more',
    ]
    assert both['failed'] and both['status'] == 422 and "one of 'cmd' or 'args'" in both['msg'], both
    assert capacity['failed'] and '/upgradeStrategy/minimumHealthCapacity: is greater than 1' in capacity['msg']
    assert marathon.apps == {}
    for result in (wrong, anonymous, negative):
        assert 'Traceback' not in json.dumps(result)


def test_retries_non_json_timeouts_and_unreachable(marathon, play):
    # GET and PUT are repeated after a 5xx; a POST only after 503 (Marathon cannot have acted).
    marathon.server.faults.extend([502, None, 503])  # GET: 502 then the app's answer; POST: 503
    created = play.run([_task(marathon, definition=DEFINITION, retries=2)])[0]
    assert created['changed'] is True and not created.get('failed'), created
    assert len(marathon.apps) == 1

    marathon.server.faults.extend([500, 500, 500])
    gave_up = play.run([_task(marathon, definition=DEFINITION, retries=2)])[0]
    assert gave_up['failed'] and gave_up['status'] == 500 and 'HTTP 500' in gave_up['msg'], gave_up

    posts = len([r for r in marathon.server.requests if r.method == 'POST'])
    marathon.server.faults.extend([None, 500])  # the GET passes, the POST meets a 500: not repeated
    post_500 = play.run([_task(marathon, definition=dict(DEFINITION, id='/other'), retries=3)])[0]
    assert post_500['failed'] and post_500['status'] == 500, post_500
    assert len([r for r in marathon.server.requests if r.method == 'POST']) == posts + 1

    marathon.server.faults.extend(['garbage'])
    garbage = play.run([_task(marathon, definition=DEFINITION, retries=0)])[0]
    assert garbage['failed'] and 'not JSON' in garbage['msg'], garbage

    marathon.server.faults.extend([('delay', 3)])
    slow = play.run([_task(marathon, definition=DEFINITION, retries=0, timeout=1)])[0]
    assert slow['failed'] and 'no answer within 1 s' in slow['msg'], slow

    unreachable, malformed = play.run(
        [
            _task(marathon, url='http://127.0.0.1:9', definition=DEFINITION, retries=0),
            _task(marathon, url='marathon.example.org:8080', definition=DEFINITION),
        ]
    )
    assert unreachable['failed'] and 'connection refused' in unreachable['msg'], unreachable
    assert malformed['failed'] and 'malformed URL' in malformed['msg']
