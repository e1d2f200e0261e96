"""The spark role's preflight refuses bad input with a clear message.

Runs only the role's preflight (include_role tasks_from: preflight) against the controller
itself with a local connection: it reads facts and evaluates the checks, and changes nothing.
"""

import pytest

from support import assert_refused, run_preflight

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


@pytest.mark.parametrize('case', sorted(CASES))
def test_preflight_refuses(case, tmp_path):
    extra, expected = CASES[case]
    assert_refused(run_preflight('spark', extra, tmp_path), expected, case)
