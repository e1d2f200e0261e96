"""The spark role's preflight refuses bad input with a clear message.

Runs only the role's preflight (include_role tasks_from: preflight) against the controller
itself with a local connection: it reads facts and evaluates the checks, and changes nothing.
"""

import json
import os
import subprocess

import pytest

from conftest import ROOT

CASES = {
    'worker without a master': ({'spark_node_roles': ['worker']}, 'no Spark master is known'),
    'bad memory string': (
        {'spark_node_roles': ['master'], 'spark_worker_memory': 'lots', 'spark_daemon_memory': '1 GB'},
        'spark_worker_memory must be a memory size',
    ),
    'missing Java': (
        {'spark_node_roles': ['master'], 'spark_java_home': '/nonexistent/jdk'},
        'no Java at spark_java_home',
    ),
    'Java too old for Spark 4': (
        {'spark_node_roles': ['master'], 'spark_java_package': 'openjdk-11-jre-headless'},
        'Spark 4.1.4 needs Java 17 or 21',
    ),
    'two masters without ZooKeeper': (
        {'spark_node_roles': ['worker'], 'spark_master_hosts': ['m1.example.org', 'm2.example.org']},
        'would be separate clusters',
    ),
    'masters outside the inventory and no secret': (
        {'spark_node_roles': ['worker'], 'spark_master_hosts': ['m1.example.org']},
        'set spark_auth_secret',
    ),
    'unknown node role': ({'spark_node_roles': ['driver']}, 'unknown role'),
}

PLAYBOOK = """
- name: Spark preflight with bad input
  hosts: localhost
  connection: local
  gather_facts: true
  gather_subset: [min]
  tasks:
    - name: Run the preflight
      ansible.builtin.include_role:
        name: dodas.dodas.spark
        tasks_from: preflight
"""


@pytest.fixture(scope='module')
def playbook(tmp_path_factory):
    path = tmp_path_factory.mktemp('spark-preflight') / 'preflight.yml'
    path.write_text(PLAYBOOK)
    return path


@pytest.mark.parametrize('case', sorted(CASES))
def test_preflight_refuses(case, playbook):
    extra, expected = CASES[case]
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / '.cache' / 'collections'),
        ANSIBLE_LOCALHOST_WARNING='0',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='0',
        ANSIBLE_NOCOLOR='1',
    )
    result = subprocess.run(
        ['ansible-playbook', str(playbook), '-e', json.dumps(extra)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode != 0, f'{case}: preflight passed:\n{result.stdout[-2000:]}'
    output = ' '.join((result.stdout + result.stderr).split())
    assert expected in output, f'{case}: expected {expected!r} in:\n{result.stdout[-3000:]}'
