"""playbooks/mesos_cluster.yml refuses, before any host changes, a Marathon whose framework
credentials the Mesos masters would not accept (only the check play runs: tag mesos_cluster_check;
the hosts are the controller itself)."""

import subprocess
import sys

import pytest
import yaml

from support import ROOT, ansible_env

SECRET = 'framework-secret-0123'


def run(tmp_path, master_vars, marathon_vars):
    inventory = {
        'all': {
            'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable},
            'children': {
                'zookeeper': {'hosts': {'zk1': {}}},
                'mesos_master': {'hosts': {'m1': master_vars}},
                'mesos_agent': {'hosts': {'a1': {}}},
                'marathon': {'hosts': {'mt1': marathon_vars}},
            },
        }
    }
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump(inventory))
    env = ansible_env()
    return subprocess.run(
        [
            'ansible-playbook',
            '-i',
            str(path),
            str(ROOT / 'playbooks/mesos_cluster.yml'),
            '--tags',
            'mesos_cluster_check',
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


MASTER = {
    'mesos_credentials': [{'principal': 'marathon', 'secret': SECRET}, {'principal': 'agent', 'secret': 'a' * 16}]
}


def test_matching_credentials_pass(tmp_path):
    proc = run(tmp_path, MASTER, {'marathon_mesos_authentication_secret': SECRET})
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    'marathon',
    [
        {'marathon_mesos_authentication_secret': 'another-secret-456'},
        {'marathon_mesos_authentication_secret': SECRET, 'marathon_mesos_authentication_principal': 'other'},
        {},
    ],
    ids=['wrong secret', 'unknown principal', 'no secret'],
)
def test_credentials_the_masters_refuse_stop_the_play(tmp_path, marathon):
    proc = run(tmp_path, MASTER, marathon)
    assert proc.returncode != 0
    assert 'is not in mesos_credentials of the master m1' in proc.stdout
    assert SECRET not in proc.stdout + proc.stderr


def test_authentication_off_on_either_side_needs_no_credentials(tmp_path):
    assert run(tmp_path, {'mesos_authentication_disabled_insecure': True}, {}).returncode == 0
    assert run(tmp_path, {}, {'marathon_mesos_authentication_disabled_insecure': True}).returncode == 0
