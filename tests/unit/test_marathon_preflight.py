"""The marathon role's preflight: clear messages for bad input, nothing asked that a choice does not need.

Runs only the role's preflight (include_role tasks_from: preflight) against the controller
itself with a local connection: it reads facts and evaluates the checks, and changes nothing.
The controller is Debian 12, which ships no Java 8: the case the Molecule scenario (which
names a Java package) does not meet.
"""

import pytest

from support import assert_refused, run_preflight

# What every case has unless it says otherwise: enough for preflight to pass but for Java.
BASE = {
    'marathon_zookeeper_hosts': ['zk1.example.org:2181'],
    'marathon_http_auth_user': 'admin',
    'marathon_http_auth_password': 'unit-test-only',
    'marathon_mesos_authentication_secret': 'unit-test-only',
}

REFUSED = {
    'no Java 8 in the distribution': ({}, 'Marathon 1.x runs on Java 8, and Debian 12 ships none'),
    'a Java home that does not run': (
        {'marathon_java_home': '/nonexistent/jdk'},
        'no Java at marathon_java_home',
    ),
    'Java 17 without the untested switch': (
        {'marathon_java_package': 'openjdk-17-jre-headless'},
        'the package openjdk-17-jre-headless is Java 17',
    ),
    'a tarball without a source': (
        {'marathon_install_from': 'tarball', 'marathon_java_package': 'temurin-8-jre'},
        'set exactly one of marathon_tarball_src',
    ),
    'a quote in the password': (
        {'marathon_java_package': 'temurin-8-jre', 'marathon_http_auth_password': 'pass"word'},
        "the values of ['http_credentials'] cannot go into an environment file",
    ),
    'ZooKeeper credentials without a password': (
        {'marathon_java_package': 'temurin-8-jre', 'marathon_zookeeper_credentials': 'super'},
        'marathon_zookeeper_credentials must be user:password',
    ),
}

ACCEPTED = {
    # The image brings its own Java: no Java 8 on the host is needed.
    'the image on a host without Java 8': {'marathon_install_from': 'image'},
    'a Java 8 package': {'marathon_java_package': 'temurin-8-jre'},
    # Every security switch off: no credentials, no secret, no keystore.
    'everything insecure, by name': {
        'marathon_install_from': 'image',
        'marathon_http_auth_user': '',
        'marathon_http_auth_password': '',
        'marathon_mesos_authentication_secret': '',
        'marathon_http_auth_disabled_insecure': True,
        'marathon_mesos_authentication_disabled_insecure': True,
        'marathon_https_disabled_insecure': True,
    },
}


def _run(extra, tmp_path):
    return run_preflight('marathon', {**BASE, **extra}, tmp_path)


@pytest.mark.parametrize('case', sorted(REFUSED))
def test_preflight_refuses(case, tmp_path):
    extra, expected = REFUSED[case]
    output = assert_refused(_run(extra, tmp_path), expected, case)
    assert 'unit-test-only' not in output, f'{case}: a secret is in the output'


@pytest.mark.parametrize('case', sorted(ACCEPTED))
def test_preflight_accepts(case, tmp_path):
    result = _run(ACCEPTED[case], tmp_path)
    assert result.returncode == 0, f'{case}: preflight refused:\n{result.stdout[-3000:]}'
