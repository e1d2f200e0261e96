"""The mesos role's preflight refuses bad input with a clear message, and takes good input.

Runs only the role's preflight (include_role tasks_from: preflight) against the controller
itself with a local connection: it reads facts and evaluates the checks, and changes nothing.
"""

import pytest

from support import assert_refused, run_preflight

CREDENTIALS = [{'principal': 'agent', 'secret': 'agent-secret-0123456789'}]
# Three masters with ZooKeeper: valid unless a case says otherwise.
BASE = {
    'mesos_node_roles': ['master', 'agent'],
    'mesos_master_hosts': ['m1.example.org', 'm2.example.org', 'm3.example.org'],
    'mesos_zookeeper_hosts': ['zk1.example.org', 'zk2.example.org:2182'],
    'mesos_credentials': CREDENTIALS,
    'mesos_ip': '192.0.2.10',
}

CASES = {
    'no credentials while authentication is on': (
        {'mesos_credentials': []},
        'authentication is on but mesos_credentials is empty',
    ),
    'no credential for the agents': (
        {'mesos_agent_principal': 'worker'},
        "no entry for the agents' principal 'worker'",
    ),
    'quorum of a minority': ({'mesos_quorum': 1}, 'mesos_quorum 1 is not more than half of the 3 masters'),
    'quorum above the masters': ({'mesos_quorum': 4}, 'mesos_quorum 4 is more than the 3 masters'),
    'several masters without ZooKeeper': (
        {'mesos_zookeeper_hosts': [], 'mesos_zookeeper_group': 'no_such_group'},
        '3 masters need ZooKeeper',
    ),
    # The role must refuse exactly this insecure path.
    'work directory under /tmp': ({'mesos_agent_work_dir': '/tmp/mesos'}, 'are cleaned or lost on reboot'),  # noqa: S108
    'package file of the wrong kind': (
        {'mesos_install_from': 'package_file', 'mesos_package_file': '/nonexistent/mesos.tar.gz'},
        'mesos_package_file must be a',
    ),
    'unknown containerizer': ({'mesos_agent_containerizers': ['lxc']}, 'must name one or both of mesos, docker'),
    'ZooKeeper user without password': ({'mesos_zookeeper_username': 'dodas'}, 'go together'),
}


def run(extra, tmp_path):
    return run_preflight('mesos', BASE | extra, tmp_path)


def test_preflight_accepts_good_input(tmp_path):
    result = run({}, tmp_path)
    assert result.returncode == 0, f'good input refused:\n{result.stdout[-3000:]}'


@pytest.mark.parametrize('case', sorted(CASES))
def test_preflight_refuses(case, tmp_path):
    extra, expected = CASES[case]
    assert_refused(run(extra, tmp_path), expected, case)
