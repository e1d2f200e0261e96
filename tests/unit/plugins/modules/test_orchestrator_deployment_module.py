"""orchestrator_deployment: what it decides (create, nothing, update, delete) given what the
orchestrator holds (the client is replaced by an in-memory fake)."""

from typing import ClassVar

import pytest
from modhelp import run_module

from ansible_collections.dodas.dodas.plugins.module_utils import _orchestrator as orch
from ansible_collections.dodas.dodas.plugins.modules import orchestrator_deployment


class FakeClient:
    deployments: ClassVar[dict] = {}
    calls: ClassVar[list] = []

    def __init__(self, url, token, **http_options):
        self.http = type('H', (), {'secrets': set()})()
        self.token = token

    def find_by_name(self, name, user_group=None):
        for dep in self.deployments.values():
            marker_name, digest = orch.read_marker(dep['template'])
            if marker_name == name:
                return dep, digest
        return None, None

    def get(self, uuid):
        return self.deployments.get(uuid)

    def template(self, uuid):
        return self.deployments[uuid]['template']

    def create(self, body):
        self.calls.append(('create', body))
        dep = {'uuid': f'u{len(self.deployments)}', 'status': 'CREATE_COMPLETE', 'template': body['template']}
        self.deployments[dep['uuid']] = dep
        return dep

    def update(self, uuid, body):
        self.calls.append(('update', body))
        self.deployments[uuid].update(template=body['template'], status='UPDATE_COMPLETE')

    def delete(self, uuid):
        self.calls.append(('delete', uuid))
        del self.deployments[uuid]
        return True

    def wait(self, uuid, *args, **kwargs):
        return self.deployments.get(uuid)

    def log(self, uuid):
        return 'line1\nline2\n'


@pytest.fixture
def fake(monkeypatch):
    FakeClient.deployments = {}
    FakeClient.calls = []
    monkeypatch.setattr(orch, 'OrchestratorClient', FakeClient)
    return FakeClient


ARGS = {'url': 'https://o.example.org', 'token': 'tok-value', 'name': 'site', 'template': 'tosca: 1\n'}


def test_create_then_nothing_then_update(capsys, fake):
    check = run_module(orchestrator_deployment.main, ARGS, capsys, check_mode=True)
    assert check['changed'] is True and check['operation'] == 'created' and fake.calls == []
    created = run_module(orchestrator_deployment.main, dict(ARGS, parameters={'a': 1}), capsys)
    assert created['changed'] and created['uuid'] == 'u0' and created['status'] == 'CREATE_COMPLETE'
    assert fake.calls[0][1]['template'].startswith('# dodas.dodas.orchestrator_deployment name=site digest=')
    same = run_module(orchestrator_deployment.main, dict(ARGS, parameters={'a': 1}), capsys)
    assert same['changed'] is False and same['operation'] == 'none' and len(fake.calls) == 1
    no_update = run_module(orchestrator_deployment.main, dict(ARGS, parameters={'a': 2}, update=False), capsys)
    assert no_update['changed'] is False
    updated = run_module(orchestrator_deployment.main, dict(ARGS, parameters={'a': 2}), capsys)
    assert updated['changed'] and updated['operation'] == 'updated' and fake.calls[-1][0] == 'update'


def test_update_refused_in_a_non_updatable_status_and_failed_shows_log(capsys, fake):
    run_module(orchestrator_deployment.main, ARGS, capsys)
    fake.deployments['u0']['status'] = 'DELETE_FAILED'
    result = run_module(orchestrator_deployment.main, dict(ARGS, parameters={'b': 1}), capsys)
    assert result['failed'] and 'DELETE_FAILED' in result['msg'] and result['log_tail'] == ['line1', 'line2']


def test_delete_and_arguments(capsys, fake):
    run_module(orchestrator_deployment.main, ARGS, capsys)
    gone = run_module(orchestrator_deployment.main, dict(ARGS, state='absent'), capsys)
    assert gone['changed'] and gone['status'] == 'DELETE_COMPLETE'
    again = run_module(orchestrator_deployment.main, dict(ARGS, state='absent'), capsys)
    assert again['changed'] is False
    bad = run_module(orchestrator_deployment.main, dict(ARGS, timeout_mins=0), capsys)
    assert bad['failed'] and 'timeoutMins must be at least 1' in bad['msg']
    both = run_module(orchestrator_deployment.main, dict(ARGS, template_file='/x'), capsys)
    assert both['failed'] and 'mutually exclusive' in both['msg']
    assert 'tok-value' not in str(both)
