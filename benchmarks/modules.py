"""Module benchmarks: what the token cache saves, and what Ansible adds around the API calls.

Run:  make bench-modules   (or: source scripts/env.sh && python benchmarks/modules.py)
      python benchmarks/modules.py --only marathon   (the Marathon figures alone: no IM)

Starts the IAM and orchestrator doubles (tests/doubles/) and the real Infrastructure Manager
(its venv from scripts/bootstrap) on 127.0.0.1, then prints as JSON, all measured in this run:
- iam_token through ansible-playbook: a run that requests a token and writes the file, and a
  run that finds the file still good (no request), median of ROUNDS each, and their ratio;
- orchestrator_deployment create + wait + delete through ansible-playbook, and how many HTTP
  requests the module made;
- im_infrastructure create until ``configured`` and delete through ansible-playbook, against
  the same calls made directly with the collection's IM client: the ratio is Ansible's share;
- marathon_app against the Marathon double (a deployment leaves the list after 2 listings):
  create + wait, and the no-op re-run, median of ROUNDS each, with the HTTP requests of each.
"""

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / 'tests'), str(ROOT / '.cache' / 'collections')]

from ansible_collections.dodas.dodas.plugins.module_utils._im import ImClient  # noqa: E402
from doubles.iam_double import CLIENT_ID, IamDouble  # noqa: E402
from doubles.marathon_double import MarathonDouble  # noqa: E402
from doubles.orchestrator_double import OrchestratorDouble  # noqa: E402

ROUNDS = 5
TOSCA = """tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  node_templates:
    node:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties: {num_cpus: 1, mem_size: 1 GB}
        os:
          properties: {type: linux}
"""


def play(workdir, tasks):
    path = Path(workdir) / 'play.yml'
    path.write_text(yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]))
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    start = time.monotonic()
    subprocess.run(
        ['ansible-playbook', '-i', 'localhost,', '-c', 'local', str(path)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - start


def start_im(workdir):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    python = Path(os.environ['DODAS_IM_VENV']) / 'bin' / 'python'
    proc = subprocess.Popen(
        [str(python), str(ROOT / 'tests' / 'integration' / 'im_launcher.py'), str(port), workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f'http://127.0.0.1:{port}'
    for _attempt in range(180):
        try:
            with urllib.request.urlopen(url + '/version', timeout=2):  # noqa: S310 (loopback)
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit('IM did not start')


MARATHON_APP = {
    'id': '/bench/web',
    'cmd': 'python3 -m http.server $PORT0',
    'cpus': 0.5,
    'mem': 64,
    'env': {'MODE': 'bench'},
    'portDefinitions': [{'port': 0, 'name': 'http'}],
    'healthChecks': [{'protocol': 'HTTP', 'path': '/'}],
}


def marathon_figures(workdir):
    """Create + wait, then the no-op re-run, through ansible-playbook (ROUNDS each)."""
    marathon = MarathonDouble(credentials=('bench', secrets.token_urlsafe(12)), steps=2)
    marathon.server.start()
    try:
        task = {
            'dodas.dodas.marathon_app': {
                'url': marathon.url,
                'username': marathon.credentials[0],
                'password': marathon.credentials[1],
                'definition': MARATHON_APP,
            }
        }
        creating, rerun, create_requests, rerun_requests = [], [], [], []
        for _round in range(ROUNDS):
            marathon.apps.clear()
            before = len(marathon.server.requests)
            creating.append(play(workdir, [task]))
            middle = len(marathon.server.requests)
            rerun.append(play(workdir, [task]))
            create_requests.append(middle - before)
            rerun_requests.append(len(marathon.server.requests) - middle)
    finally:
        marathon.server.stop()
    return {
        'marathon_create_wait_s': round(statistics.median(creating), 2),
        'marathon_noop_rerun_s': round(statistics.median(rerun), 2),
        'marathon_create_http_requests': max(create_requests),
        'marathon_noop_http_requests': max(rerun_requests),
    }


def main():
    if sys.argv[1:] == ['--only', 'marathon']:
        with tempfile.TemporaryDirectory() as workdir:
            print(json.dumps(dict({'rounds': ROUNDS}, **marathon_figures(workdir)), indent=2))
        return
    figures = {'rounds': ROUNDS}
    iam = IamDouble()
    client_secret = secrets.token_urlsafe(24)
    iam.add_client(CLIENT_ID, client_secret)
    iam.server.start()
    orchestrator = OrchestratorDouble(iam.introspect, steps=2)
    orchestrator.server.start()
    with tempfile.TemporaryDirectory() as workdir:
        im_proc, im_url = start_im(workdir)
        try:
            dest = Path(workdir) / 'token'
            task = {
                'dodas.dodas.iam_token': {
                    'url': iam.issuer,
                    'client_id': CLIENT_ID,
                    'client_secret': client_secret,
                    'dest': str(dest),
                    'min_valid_seconds': 60,
                }
            }
            requesting, cached = [], []
            for _round in range(ROUNDS):
                dest.unlink(missing_ok=True)
                requesting.append(play(workdir, [task]))
                cached.append(play(workdir, [task]))
            figures['iam_token_request_s'] = round(statistics.median(requesting), 2)
            figures['iam_token_cached_s'] = round(statistics.median(cached), 2)
            figures['iam_token_request_over_cached'] = round(
                figures['iam_token_request_s'] / figures['iam_token_cached_s'], 2
            )

            token_file = Path(workdir) / 'orch-token'
            token_file.write_text(iam.user_token(scope=('openid', 'offline_access')))
            orch = {'url': orchestrator.url, 'token_file': str(token_file), 'name': 'bench', 'poll_interval': 1}
            before = len(orchestrator.server.requests)
            figures['orchestrator_create_wait_delete_s'] = round(
                play(
                    workdir,
                    [
                        {'dodas.dodas.orchestrator_deployment': dict(orch, template=TOSCA)},
                        {'dodas.dodas.orchestrator_deployment': dict(orch, state='absent')},
                    ],
                ),
                2,
            )
            figures['orchestrator_http_requests'] = len(orchestrator.server.requests) - before

            auth = [
                {'id': 'dummy', 'type': 'Dummy'},
                {
                    'id': 'im',
                    'type': 'InfrastructureManager',
                    'username': 'bench',
                    'password': secrets.token_urlsafe(12),
                },
            ]
            im_task = {'url': im_url, 'auth': auth, 'poll_interval': 1}
            module_s = play(
                workdir,
                [
                    {'dodas.dodas.im_infrastructure': dict(im_task, template=TOSCA), 'register': 'infra'},
                    {
                        'dodas.dodas.im_infrastructure': dict(
                            im_task, infrastructure_id='{{ infra.infrastructure_id }}', state='absent'
                        )
                    },
                ],
            )
            client = ImClient(im_url, auth)
            start = time.monotonic()
            infid = client.create(TOSCA)
            client.wait(infid, 120, interval=1)
            client.outputs(infid)
            client.delete(infid)
            direct_s = time.monotonic() - start
            figures['im_create_configured_delete_module_s'] = round(module_s, 2)
            figures['im_create_configured_delete_client_s'] = round(direct_s, 2)
            figures['im_module_over_client'] = round(module_s / direct_s, 2)
            figures.update(marathon_figures(workdir))
        finally:
            im_proc.terminate()
            im_proc.wait(timeout=20)
            orchestrator.server.stop()
            iam.server.stop()
    print(json.dumps(figures, indent=2))


if __name__ == '__main__':
    main()
