"""dodas.dodas.im_infrastructure against the real Infrastructure Manager (PyPI ``im``) started on
127.0.0.1 with its Dummy cloud connector."""

import secrets
import urllib.request

TEMPLATE = """tosca_definitions_version: tosca_simple_yaml_1_0
description: dodas.dodas im_infrastructure integration test
topology_template:
  node_templates:
    node:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties: {num_cpus: 1, mem_size: 1 GB}
        os:
          properties: {type: linux}
  outputs:
    node_ip:
      value: {get_attribute: [node, private_address]}
"""
# A template whose contextualization cannot finish with the Dummy connector (no SSH to a VM):
# a software component makes IM contextualize the VM, which ends "unconfigured".
TEMPLATE_CONTEXTUALIZED = """tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  node_templates:
    app:
      type: tosca.nodes.SoftwareComponent
      requirements:
        - host: node
      interfaces:
        Standard:
          configure:
            implementation: {file}
    node:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties: {num_cpus: 1, mem_size: 1 GB}
        os:
          properties: {type: linux}
"""


def auth(password):
    # The password holds ; and = on purpose: the header quoting must survive IM's parser.
    return [
        {'id': 'dummy', 'type': 'Dummy'},
        {'id': 'im', 'type': 'InfrastructureManager', 'username': 'dodas-test', 'password': password},
    ]


def _im(im_server, password, **args):
    base = {'url': im_server['url'], 'auth': auth(password), 'poll_interval': 1, 'wait_timeout': 60, 'retries': 1}
    base.update(args)
    return {'dodas.dodas.im_infrastructure': base, 'ignore_errors': True}


def test_create_wait_outputs_delete(im_server, play):
    password = 'pw;' + secrets.token_urlsafe(12) + '=x'
    check, created = play.run(
        [
            dict(_im(im_server, password, template=TEMPLATE), check_mode=True),
            _im(im_server, password, template=TEMPLATE),
        ]
    )
    assert check['changed'] is True and 'infrastructure_id' not in check
    assert created['changed'] is True and created['state'] == 'configured', created
    infid = created['infrastructure_id']
    assert created['vm_states'] == {'0': 'configured'}
    assert created['outputs']['node_ip']

    read, other_user, deleted, deleted_again = play.run(
        [
            _im(im_server, password, infrastructure_id=infid),
            _im(im_server, password + 'nope', infrastructure_id=infid),
            _im(im_server, password, infrastructure_id=infid, state='absent'),
            _im(im_server, password, infrastructure_id=infid, state='absent'),
        ]
    )
    assert read['changed'] is False and read['state'] == 'configured'
    assert other_user['failed'] and other_user['status'] == 403 and 'not granted' in other_user['msg']
    assert deleted['changed'] is True
    assert deleted_again['changed'] is False and deleted_again['state'] is None


def test_wait_timeout_and_no_wait(im_server, play, tmp_path):
    password = 'pw-' + secrets.token_urlsafe(12)
    playbook = tmp_path / 'configure.yml'
    playbook.write_text('- hosts: all\n  tasks: []\n')
    template = TEMPLATE_CONTEXTUALIZED.replace('{file}', 'file://' + str(playbook))
    no_wait, timed_out, unconfigured = play.run(
        [
            _im(im_server, password, template=template, wait=False),
            _im(im_server, password, template=template, wait_timeout=0),
            _im(im_server, password, template=template, wait_timeout=120),
        ]
    )
    assert no_wait['changed'] is True and no_wait['infrastructure_id'], no_wait
    # Not waited for: whatever IM says at once (it may already have given up on the Dummy VM).
    assert no_wait['state'] in ('pending', 'running', 'unconfigured'), no_wait
    # With no time to wait the module reads the state once: still in progress (the timeout
    # path), or, on a fast machine, IM has already given up on the Dummy VM. Either way it
    # fails cleanly and names the infrastructure. The timeout arithmetic is unit-tested
    # (tests/unit/plugins/module_utils/test_im_utils.py).
    assert timed_out['failed'], timed_out
    assert 'after 0 s' in timed_out['msg'] or 'is unconfigured' in timed_out['msg'], timed_out
    assert timed_out['infrastructure_id']  # so that it can be deleted
    # The Dummy VM cannot be contextualized: IM gives up, and the module shows IM's log.
    assert unconfigured['failed'] and 'is unconfigured' in unconfigured['msg'], unconfigured
    assert unconfigured['log_tail'] and unconfigured['vm_states']
    cleanup = play.run(
        [
            _im(im_server, password, infrastructure_id=result['infrastructure_id'], state='absent')
            for result in (no_wait, timed_out, unconfigured)
        ]
    )
    assert all(r['changed'] for r in cleanup), cleanup


def test_bad_template_and_bad_auth(im_server, play):
    bad, no_im_entry, unknown = play.run(
        [
            _im(im_server, 'pw-' + secrets.token_urlsafe(8), template='tosca_definitions_version: nope\n'),
            {
                'dodas.dodas.im_infrastructure': {
                    'url': im_server['url'],
                    'auth': [{'id': 'dummy'}],
                    'template': TEMPLATE,
                    'retries': 0,
                },
                'ignore_errors': True,
            },
            _im(im_server, 'pw-' + secrets.token_urlsafe(8), infrastructure_id='does-not-exist'),
        ]
    )
    assert bad['failed'] and bad['status'] == 400 and 'Traceback' not in bad['msg'][:400], bad
    assert no_im_entry['failed'] and 'has no type' in no_im_entry['msg']
    assert unknown['failed'] and 'does not know' in unknown['msg']


def test_im_server_is_the_real_one(im_server):
    with urllib.request.urlopen(im_server['url'] + '/version', timeout=5) as resp:  # noqa: S310 (loopback)
        assert resp.read().decode().strip() == '2.0.0'
