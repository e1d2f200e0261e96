"""marathon_app: what it decides (create, nothing, update, delete) given what Marathon holds,
and how it treats its inputs (the client is replaced by an in-memory fake)."""

import json
from typing import ClassVar

import pytest
from ansible.module_utils.basic import AnsibleModule
from modhelp import run_module

from ansible_collections.dodas.dodas.plugins.module_utils import _marathon as mar
from ansible_collections.dodas.dodas.plugins.modules import marathon_app


class FakeClient:
    apps: ClassVar[dict] = {}
    calls: ClassVar[list] = []
    running: ClassVar[list] = []
    made_with: ClassVar[dict] = {}

    def __init__(self, url, username=None, password=None, token=None, **http_options):
        self.http = type('H', (), {'secrets': set()})()
        FakeClient.made_with = {'url': url, 'username': username, 'password': password, 'token': token}

    def get_app(self, app_id):
        app = self.apps.get(app_id)
        if app is None:
            return None
        return dict(app, version=f'v{len(self.calls)}', deployments=[{'id': d} for d in self.running])

    def create(self, body, force=False):
        self.calls.append(('create', body, force))
        self.apps[body['id']] = dict(body, mem=128.0, cpus=float(body.get('cpus', 1)))
        return 'd-create', dict(body, deployments=[{'id': 'd-create'}])

    def update(self, app_id, body, force=False):
        self.calls.append(('update', body, force))
        self.apps[app_id].update(body)
        return 'd-update', 'v-update'

    def delete(self, app_id, force=False):
        self.calls.append(('delete', app_id, force))
        self.apps.pop(app_id)
        return 'd-delete', 'v-delete'

    def wait(self, ids, timeout, **kwargs):
        self.calls.append(('wait', list(ids), timeout))


@pytest.fixture
def fake(monkeypatch):
    FakeClient.apps = {}
    FakeClient.calls = []
    FakeClient.running = []
    FakeClient.made_with = {}
    monkeypatch.setattr(mar, 'MarathonClient', FakeClient)
    monkeypatch.setattr(AnsibleModule, 'warn', lambda self, msg, *args, **kwargs: WARNINGS.append(msg))
    return FakeClient


WARNINGS = []
DEFINITION = {'id': 'web', 'cmd': 'sleep 1000', 'cpus': 1, 'instances': 1, 'env': {'A': '1'}}
ARGS = {'url': 'https://marathon.example.org', 'definition': DEFINITION}


def run(capsys, check_mode=False, diff=False, **args):
    args = {k: v for k, v in dict(ARGS, **args).items() if v is not None}
    WARNINGS.clear()
    if diff:
        args['_ansible_diff'] = True
    return run_module(marathon_app.main, args, capsys, check_mode=check_mode)


def warnings(result):
    """The warnings of the last run. Collected from AnsibleModule.warn: where the warnings end
    up depends on process-wide state other tests change (in a controller process, ansible-core
    2.19 displays them instead of returning them)."""
    return list(WARNINGS)


def test_create_then_nothing_then_update_then_delete(capsys, fake):
    check = run(capsys, check_mode=True, diff=True)
    assert check['changed'] and check['operation'] == 'created' and fake.calls == []
    assert check['diff'] == {'before': {}, 'after': dict(DEFINITION, id='/web')} and 'app' not in check
    created = run(capsys)
    assert created['changed'] and created['deployment_id'] == 'd-create' and created['app_id'] == '/web'
    assert fake.calls[:2] == [('create', dict(DEFINITION, id='/web'), False), ('wait', ['d-create'], 600)]
    assert created['app']['mem'] == 128.0 and not warnings(created)

    same = run(capsys, diff=True)
    assert same['changed'] is False and same['operation'] == 'none' and same['changed_keys'] == []
    assert same['diff']['before'] == same['diff']['after']
    assert len(fake.calls) == 2

    bigger = dict(DEFINITION, instances=3)
    check_update = run(capsys, check_mode=True, diff=True, definition=bigger)
    assert check_update['changed'] and check_update['changed_keys'] == ['/instances'] and len(fake.calls) == 2
    assert check_update['diff']['before']['instances'] == 1 and check_update['diff']['after']['instances'] == 3
    updated = run(capsys, definition=bigger, force=True, wait_timeout=30)
    assert updated['operation'] == 'updated' and updated['version'] == 'v-update'
    assert fake.calls[2:] == [('update', dict(bigger, id='/web'), True), ('wait', ['d-update'], 30)]

    absent = {'state': 'absent', 'definition': None, 'app_id': '/web'}
    check_delete = run(capsys, check_mode=True, diff=True, **absent)
    assert check_delete['changed'] and check_delete['diff']['after'] == {}
    assert 'version' not in check_delete['diff']['before'] and check_delete['diff']['before']['cmd'] == 'sleep 1000'
    deleted = run(capsys, **absent)
    assert deleted['operation'] == 'deleted' and deleted['deployment_id'] == 'd-delete' and 'app' not in deleted
    again = run(capsys, **absent)
    assert again['changed'] is False and again['operation'] == 'none'
    assert [c[0] for c in fake.calls] == ['create', 'wait', 'update', 'wait', 'delete', 'wait']


def test_an_unchanged_app_in_deployment_is_waited_for_but_not_in_check_mode(capsys, fake):
    run(capsys)
    fake.running = ['d-old']
    fake.calls.clear()
    run(capsys, check_mode=True)
    assert fake.calls == []
    run(capsys, wait=False)
    assert fake.calls == []
    result = run(capsys)
    assert result['changed'] is False and fake.calls == [('wait', ['d-old'], 600)]


def test_definition_inputs(capsys, fake, tmp_path):
    (tmp_path / 'app.json').write_text(json.dumps({'id': '/j', 'cmd': 'x'}))
    (tmp_path / 'app.yml').write_text('id: /y\ncmd: x\nenv: {A: "1"}\n')
    (tmp_path / 'bad').write_text('{"id": "/b", "cmd": [}\n  - : :')
    (tmp_path / 'list.json').write_text('[{"id": "/l"}]')
    assert run(capsys, definition=None, definition_file=str(tmp_path / 'app.json'))['app_id'] == '/j'
    assert run(capsys, definition=None, definition_file=str(tmp_path / 'app.yml'))['app_id'] == '/y'
    bad = run(capsys, definition=None, definition_file=str(tmp_path / 'bad'))
    assert bad['failed'] and 'is neither JSON' in bad['msg']
    listed = run(capsys, definition=None, definition_file=str(tmp_path / 'list.json'))
    assert listed['failed'] and 'must hold one app definition' in listed['msg']
    missing = run(capsys, definition=None, definition_file=str(tmp_path / 'nope.json'))
    assert missing['failed'] and 'cannot read definition_file' in missing['msg']
    both = run(capsys, definition_file=str(tmp_path / 'app.json'))
    assert both['failed'] and 'mutually exclusive' in both['msg']
    none = run(capsys, definition=None)
    assert none['failed'] and 'definition, definition_file' in none['msg']


def test_bad_definitions_fail_before_any_request(capsys, fake):
    no_id = run(capsys, definition={'cmd': 'x'})
    assert no_id['failed'] and 'give app_id, or an "id"' in no_id['msg']
    bad_id = run(capsys, definition=dict(DEFINITION, id='/Web_1'))
    assert bad_id['failed'] and 'invalid app id' in bad_id['msg']
    numbers = run(capsys, definition=dict(DEFINITION, env={'PORT': 8080}))
    assert numbers['failed'] and 'env.PORT must be a string' in numbers['msg']
    no_target = run(capsys, state='absent', definition=None)
    assert no_target['failed'] and 'needs app_id' in no_target['msg']
    assert fake.calls == [] and fake.made_with == {}  # no client was even made


def test_app_id_overrides_and_read_only_fields_warn(capsys, fake):
    exported = dict(DEFINITION, version='2025-01-01T00:00:00.000Z', tasksRunning=1)
    result = run(capsys, definition=exported, app_id='/other')
    assert result['app_id'] == '/other' and fake.calls[0][1]['id'] == '/other'
    assert 'version' not in fake.calls[0][1] and 'tasksRunning' not in fake.calls[0][1]
    text = ' '.join(warnings(result))
    assert 'tasksRunning, version' in text and 'replaces the definition' in text
    same = run(capsys, definition=dict(DEFINITION, id='other'), app_id='/other/')
    assert not warnings(same)


def test_keys_marathon_does_not_keep_are_reported(capsys, fake, monkeypatch):
    original = FakeClient.create

    def create_dropping_typos(self, body, force=False):
        dep, app = original(self, {k: v for k, v in body.items() if k != 'instnaces'}, force)
        return dep, app

    monkeypatch.setattr(FakeClient, 'create', create_dropping_typos)
    result = run(capsys, definition=dict(DEFINITION, instnaces=2))
    assert any('/instnaces' in w and 'misspelt' in w for w in warnings(result))


def test_credentials(capsys, fake, tmp_path):
    secret = tmp_path / 'pw'
    secret.write_text('pw-from-file\n')
    result = run(capsys, username='admin', password_file=str(secret))
    assert fake.made_with['password'] == 'pw-from-file' and 'pw-from-file' not in json.dumps(result)
    token_file = tmp_path / 'tok'
    token_file.write_text('dcos-token\n')
    run(capsys, token_file=str(token_file))
    assert fake.made_with['token'] == 'dcos-token' and fake.made_with['username'] is None
    alone = run(capsys, username='admin')
    assert alone['failed'] and 'needs password or password_file' in alone['msg']
    orphan = run(capsys, password='x')
    assert orphan['failed'] and 'username' in orphan['msg']
    mixed = run(capsys, username='admin', password='pw-value', token='token-value')
    assert mixed['failed'] and 'mutually exclusive: token|username' in mixed['msg']
    clear = run(capsys, url='http://marathon.example.org:8080', username='admin', password='pw')
    assert any('plain http' in w for w in warnings(clear))
    local = run(capsys, url='http://127.0.0.1:8080', username='admin', password='pw')
    assert not warnings(local)
    negative = run(capsys, wait_timeout=-1)
    assert negative['failed'] and 'wait_timeout' in negative['msg']
