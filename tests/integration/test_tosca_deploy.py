"""Deploy tosca/templates/cms_site.yaml on local containers through the inventory plugin
dodas.dodas.tosca and playbooks/tosca_deploy.yml, check that every service answers, and take it
down again. Runs in the gate tosca-deploy (scripts/test), not in the quick integration gate.

CVMFS packages cannot be fetched here, so the template's own inputs for air-gapped sites
(cvmfs_install_from: files, cvmfs_package_files) install the test double of tests/doubles/cvmfs,
as the cvmfs Molecule scenario does. The XCache's origin is a name on the deployment's network
(nothing needs to be read through it to show the cache answers)."""

import json
import subprocess
import time

import pytest
import yaml

from support import ROOT, ansible_env

pytestmark = pytest.mark.containers

DEPLOYMENT = 'cmsit'
SERVICE = f'{DEPLOYMENT}-service-server-1'
SUBMIT = f'{DEPLOYMENT}-submit-server-1'
EXECUTE = f'{DEPLOYMENT}-execute-server-1'
XCACHE = f'{DEPLOYMENT}-xcache-server-1'


def podman(*args, check=True, user=None, timeout=120, stdin=None):
    cmd = ['podman', 'exec', '-i']
    if user:
        cmd += ['-u', user, '-w', f'/home/{user}']
    proc = subprocess.run([*cmd, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert proc.returncode == 0, f'{args}: {proc.stdout}\n{proc.stderr}'
    return proc


def pkgcache_running():
    proc = subprocess.run(
        ['podman', 'container', 'inspect', '--format', '{{.State.Running}}', 'dodas-pkgcache'],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() == 'true'


def autofs_kernel():
    with open('/proc/filesystems', encoding='utf-8') as handle:
        return any(line.split()[-1] == 'autofs' for line in handle if line.strip())


def failures(stdout):
    """The failed and unreachable task results of an ansible.posix.json run, one line each."""
    try:
        result = json.loads(stdout)
    except ValueError:
        return stdout[-4000:]
    lines = []
    for play in result.get('plays', []):
        for task in play.get('tasks', []):
            for host, outcome in task.get('hosts', {}).items():
                if outcome.get('failed') or outcome.get('unreachable'):
                    items = [r for r in outcome.get('results', []) if r.get('failed')] or [outcome]
                    for item in items:
                        detail = item.get('stderr') or item.get('msg') or item.get('stdout') or ''
                        lines.append(f'{task["task"]["name"]} [{host}]: {str(detail)[-1500:]}')
    return '\n'.join(lines) or stdout[-4000:]


def playbook(inventory, name, log):
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', ANSIBLE_LOAD_CALLBACK_PLUGINS='1')
    started = time.monotonic()
    proc = subprocess.run(
        ['ansible-playbook', '-i', str(inventory), f'dodas.dodas.{name}'],
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
        check=False,
    )
    log.write_text(proc.stdout + '\n' + proc.stderr)
    return proc, time.monotonic() - started


@pytest.fixture(scope='module')
def cms_site():
    # Logs and files stay in tests/output/ (git ignores it) for a look after a failure.
    work = ROOT / 'tests' / 'output' / 'tosca_deploy'
    work.mkdir(parents=True, exist_ok=True)
    double = work / 'cvmfs-double.deb'
    subprocess.run(
        ['dpkg-deb', '--root-owner-group', '--build', str(ROOT / 'tests/doubles/cvmfs/deb'), str(double)],
        check=True,
        capture_output=True,
    )
    options = {'privileged': ['submit_server', 'execute_server'], 'capabilities': ['SYS_ADMIN']}
    if pkgcache_running():
        options.update(join_containers=['dodas-pkgcache'], apt_proxy='http://dodas-pkgcache:3142')
    inventory = work / 'cms.tosca.yml'
    inventory.write_text(
        yaml.safe_dump(
            {
                'plugin': 'dodas.dodas.tosca',
                'template': str(ROOT / 'tosca/templates/cms_site.yaml'),
                'deployment': DEPLOYMENT,
                'inputs': {
                    'execute_nodes': 1,
                    'cms_local_site': 'T3_XX_DodasTest',
                    'cvmfs_repositories': ['cms.cern.ch'],
                    'cvmfs_install_from': 'files',
                    'cvmfs_package_files': [str(double)],
                    # Containers share the host's kernel; without autofs in it, mount at boot.
                    'cvmfs_mount_method': 'autofs' if autofs_kernel() else 'static',
                    'xcache_origin': f'{SERVICE}:1094',
                    'xcache_allow_anonymous_access': True,
                },
                'provider': 'podman',
                'provider_options': options,
            }
        )
    )
    proc, seconds = playbook(inventory, 'tosca_deploy', work / 'deploy.log')
    try:
        assert proc.returncode == 0, (
            f'deploy failed after {seconds:.0f} s, log {work / "deploy.log"}:\n{failures(proc.stdout)}\n'
            f'{proc.stderr[-2000:]}'
        )
        yield {'inventory': inventory, 'result': json.loads(proc.stdout), 'seconds': seconds, 'work': work}
    finally:
        down = playbook(inventory, 'tosca_undeploy', work / 'undeploy.log')[0]
        assert down.returncode == 0, failures(down.stdout)


def test_outputs_carry_the_real_addresses(cms_site):
    plays = cms_site['result']['plays']
    task = next(t for t in plays[-1]['tasks'] if t['task']['name'].startswith('Outputs of'))
    outputs = task['hosts']['localhost']['msg']
    address = podman(SERVICE, 'hostname', '-I').stdout.split()[0]
    assert outputs['central_manager_address'] == address
    assert outputs['squid_proxy'] == f'http://{address}:3128'
    assert outputs['xcache_endpoint'].startswith('root://') and outputs['xcache_endpoint'].endswith(':1094')
    assert len(outputs['execute_addresses']) == 1


def test_htcondor_runs_a_job_of_a_user(cms_site):
    for host in (SUBMIT, EXECUTE):
        podman(host, 'sh', '-c', 'id cmsuser >/dev/null 2>&1 || useradd --uid 2101 --create-home cmsuser')
    for _attempt in range(180):
        if podman(SERVICE, 'condor_status', '-af', 'Machine', check=False).stdout.strip():
            break
        time.sleep(1)
    submit = (
        'executable = /bin/sh\narguments = "-c \'ls /cvmfs/cms.cern.ch >/dev/null && echo ran on `hostname`\'"\n'
        'output = job.out\nerror = job.err\nlog = job.log\nrequest_memory = 64\nqueue\n'
    )
    podman(SUBMIT, 'condor_submit', '-', user='cmsuser', stdin=submit)
    podman(SUBMIT, 'condor_wait', '-wait', '600', 'job.log', user='cmsuser', timeout=660)
    assert podman(SUBMIT, 'cat', 'job.out', user='cmsuser').stdout.strip() == f'ran on {EXECUTE}'
    history = podman(SUBMIT, 'condor_history', 'cmsuser', '-limit', '1', '-af', 'ExitCode').stdout.strip()
    assert history == '0'


def test_cvmfs_clients_read_through_the_site_squid(cms_site):
    for host in (SUBMIT, EXECUTE):
        config = podman(host, 'cvmfs_config', 'showconfig', 'cms.cern.ch').stdout
        assert f'CVMFS_HTTP_PROXY=http://{SERVICE}:3128' in config
        assert 'CMS_LOCAL_SITE=T3_XX_DodasTest' in config
        podman(host, 'cvmfs_config', 'probe')


def test_squid_answers_the_cluster(cms_site):
    head = podman(
        EXECUTE, 'curl', '-sI', '--max-time', '20', '-x', f'http://{SERVICE}:3128', 'http://example.org/'
    ).stdout
    # The template allows CERN/FNAL/OSG destinations only: Squid itself answers and refuses.
    assert 'squid' in head.lower()
    assert 'X-Squid-Error: ERR_ACCESS_DENIED' in head
    assert podman(SERVICE, 'systemctl', 'is-active', 'squid').stdout.strip() == 'active'


def test_xcache_answers(cms_site):
    assert podman(XCACHE, 'systemctl', 'is-active', 'xrootd@xcache').stdout.strip() == 'active'
    version = podman(XCACHE, 'xrdfs', f'{XCACHE}:1094', 'query', 'config', 'version', timeout=60).stdout
    assert version.strip().startswith('v5')
