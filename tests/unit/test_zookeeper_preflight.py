"""The zookeeper role's preflight: bad input is refused with a clear message, and good input
gives each member the id and server line it should have.

Runs only the role's preflight (include_role tasks_from: preflight) against the controller
itself with a local connection, in an inventory where localhost is a member of the ensemble
next to hosts that are never contacted (preflight only reads their variables).
"""

import json

import pytest
import yaml

from support import run_preflight

SHOW = """
    - name: Show what the role computed
      ansible.builtin.debug:
        msg:
          myid: "{{ _zookeeper_myid }}"
          servers: "{{ _zookeeper_servers }}"
          classpath: "{{ _zookeeper_classpath }}"
          jvm: "{{ _zookeeper_jvm_flags }}"
"""


def inventory(members, hostvars=None, group='zookeeper'):
    """localhost (always in the inventory) and the given members of `group`; hostvars by name."""
    hostvars = hostvars or {}
    hosts = {
        'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}
    }
    for name in members:
        hosts.setdefault(name, {}).update(hostvars.get(name, {}))
    return {'all': {'hosts': hosts, 'children': {group: {'hosts': {name: {} for name in members}}}}}


THREE = ['localhost', 'zk2.example.org', 'zk3.example.org']

CASES = {
    'host outside the ensemble': (
        inventory(['zk1.example.org', 'zk2.example.org', 'zk3.example.org']),
        {},
        'is not a member of the group',
    ),
    'unknown group': (inventory(THREE), {'zookeeper_group': 'zk_nowhere'}, "the ensemble group 'zk_nowhere'"),
    'even ensemble': (inventory(['localhost', 'zk2.example.org']), {}, 'an even size survives no more failures'),
    'duplicate id': (
        inventory(THREE, hostvars={'zk3.example.org': {'zookeeper_id': 1}}),
        {},
        "two members of 'zookeeper' have the same id",
    ),
    'id out of range': (
        inventory(THREE, hostvars={'zk2.example.org': {'zookeeper_id': 300}}),
        {},
        'zookeeper_id must be a number from 1 to 255 (or 0: by position in the group); wrong on zk2.example.org',
    ),
    'id not a number': (
        inventory(THREE, hostvars={'zk3.example.org': {'zookeeper_id': 'three'}}),
        {},
        'wrong on zk3.example.org',
    ),
    'heap not a JVM size': (inventory(THREE), {'zookeeper_heap_max': '1 GB'}, 'zookeeper_heap_max must be a JVM size'),
    'heap in the JVM flags': (
        inventory(THREE),
        {'zookeeper_jvm_flags': ['-Xmx4g']},
        'not -Xmx/-Xms in zookeeper_jvm_flags',
    ),
    'port clash': (inventory(THREE), {'zookeeper_quorum_port': 2181}, 'ports must differ'),
    'port out of range': (inventory(THREE), {'zookeeper_election_port': 70000}, 'must be port numbers (1-65535)'),
    'every four-letter word': (inventory(THREE), {'zookeeper_four_letter_words': ['*']}, 'unknown command(s) *'),
    'no srvr': (inventory(THREE), {'zookeeper_four_letter_words': ['ruok']}, 'must include srvr'),
    'AdminServer on a public address': (
        inventory(THREE),
        {'zookeeper_admin_server_enabled': True, 'zookeeper_admin_server_address': '192.0.2.10'},
        'zookeeper_admin_server_exposed_insecure',
    ),
    'archive without a tarball': (inventory(THREE), {'zookeeper_install_from': 'archive'}, 'zookeeper_archive_src'),
    'checksum not SHA-512': (
        inventory(THREE),
        {'zookeeper_install_from': 'apache', 'zookeeper_archive_sha512': 'abc'},
        'must be 128 hexadecimal digits',
    ),
    'extra config opening the allowlist': (
        inventory(THREE),
        {'zookeeper_extra_config': {'4lw.commands.whitelist': '*', 'snapCount': 50000}},
        'zookeeper_extra_config may not set 4lw.commands.whitelist:',
    ),
    'too few snapshots kept': (inventory(THREE), {'zookeeper_autopurge_snap_retain_count': 1}, '3 or more'),
}


def run(tmp_path, inv, extra):
    (tmp_path / 'inventory.yml').write_text(yaml.safe_dump(inv, sort_keys=False))
    return run_preflight(
        'zookeeper', extra, tmp_path, inventory=tmp_path / 'inventory.yml', extra_tasks=SHOW, json_output=True
    )


def failure_messages(stdout):
    """The messages of every failed task result."""
    tasks = [t for play in json.loads(stdout)['plays'] for t in play['tasks']]
    return ' '.join(str(r.get('msg', '')) for t in tasks for r in t['hosts'].values() if r.get('failed'))


def task_results(stdout, name):
    tasks = [t for play in json.loads(stdout)['plays'] for t in play['tasks']]
    return [t['hosts']['localhost'] for t in tasks if t['task']['name'] == name]


@pytest.mark.parametrize('case', sorted(CASES))
def test_preflight_refuses(case, tmp_path):
    inv, extra, expected = CASES[case]
    result = run(tmp_path, inv, extra)
    assert result.returncode != 0, f'{case}: preflight passed:\n{result.stdout[-2000:]}'
    messages = ' '.join(failure_messages(result.stdout).split())
    assert expected in messages, f'{case}: expected {expected!r} in: {messages or result.stdout[-3000:]}'


def test_ids_by_position_and_explicit(tmp_path):
    """zookeeper_id wins; members without one get their position in the group plus one."""
    inv = inventory(
        ['zk0.example.org', 'localhost', 'zk2.example.org'],
        hostvars={'zk0.example.org': {'zookeeper_id': 7, 'zookeeper_peer_address': '10.0.0.7'}},
    )
    result = run(tmp_path, inv, {'zookeeper_heap_max': '512m'})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    shown = task_results(result.stdout, 'Show what the role computed')[0]['msg']
    assert int(shown['myid']) == 2
    assert [(s['host'], int(s['id']), s['address']) for s in shown['servers']] == [
        ('zk0.example.org', 7, '10.0.0.7'),
        ('localhost', 2, 'localhost'),
        ('zk2.example.org', 3, 'zk2.example.org'),
    ]
    assert shown['jvm'][:2] == ['-Xms512m', '-Xmx512m']
    assert shown['classpath'].startswith('/etc/zookeeper/conf.dodas:/usr/share/java/zookeeper.jar:')


def test_tarball_classpath(tmp_path):
    result = run(tmp_path, inventory(['localhost']), {'zookeeper_install_from': 'apache'})
    assert result.returncode == 0, result.stdout[-3000:]
    shown = task_results(result.stdout, 'Show what the role computed')[0]['msg']
    assert shown['classpath'] == '/etc/zookeeper/conf:/opt/zookeeper/current/conf:/opt/zookeeper/current/lib/*'
