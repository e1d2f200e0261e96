"""Servers on 127.0.0.1 for the module integration tests, and a helper that runs modules the
way Ansible does (ansible-playbook on localhost, the collection found through
ANSIBLE_COLLECTIONS_PATH as scripts/env.sh sets it)."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from doubles.iam_double import CLIENT_ID, IamDouble
from doubles.marathon_double import MarathonDouble
from doubles.orchestrator_double import OrchestratorDouble
from support import ROOT, ansible_env

HERE = Path(__file__).resolve().parent


@pytest.fixture
def iam():
    double = IamDouble()
    double.client_secret = 'cs-' + secrets.token_urlsafe(24)
    double.add_client(CLIENT_ID, double.client_secret)
    double.server.start()
    yield double
    double.server.stop()


@pytest.fixture
def orchestrator(iam):
    double = OrchestratorDouble(iam.introspect, steps=2)
    double.server.start()
    yield double
    double.server.stop()


@pytest.fixture
def marathon():
    """The Marathon double with HTTP Basic credentials (``--http_credentials``) and a DC/OS
    token; deployments finish after being listed twice."""
    double = MarathonDouble(
        credentials=('dodas', 'mp-' + secrets.token_urlsafe(18)), tokens=['dcos-' + secrets.token_urlsafe(18)], steps=2
    )
    double.server.start()
    yield double
    double.server.stop()


@pytest.fixture
def orchestrator_token(iam):
    """A user's token with offline_access, as the orchestrator needs for writes."""
    return iam.user_token(sub='alice', scope=('openid', 'profile', 'offline_access'))


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='session')
def im_server(tmp_path_factory):
    """The real Infrastructure Manager (PyPI ``im``, its own venv made by scripts/bootstrap) on
    127.0.0.1 with its Dummy cloud connector; stopped at the end of the session."""
    venv = os.environ.get('DODAS_IM_VENV')
    python = Path(venv or '/nonexistent') / 'bin' / 'python'
    if not venv or not (Path(venv) / '.complete').is_file():
        pytest.fail(f'the IM venv {venv} is missing: run scripts/bootstrap (and source scripts/env.sh)')
    workdir = tmp_path_factory.mktemp('im')
    port = _free_port()
    log = open(workdir / 'stdout.log', 'wb')
    try:
        proc = subprocess.Popen(
            [str(python), str(HERE / 'im_launcher.py'), str(port), str(workdir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'PYTHON'))},
        )
    except OSError as exc:
        log.close()
        pytest.fail(f'cannot run the IM venv python {python}: {exc} (run scripts/bootstrap: it rebuilds a broken venv)')
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url + '/version', timeout=2) as resp:  # noqa: S310 (loopback)
                version = resp.read().decode()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.close()
                pytest.fail('IM did not start: ' + (workdir / 'stdout.log').read_text()[-2000:])
            time.sleep(0.5)
    yield {'url': url, 'version': version, 'workdir': workdir, 'log': workdir / 'im.log'}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def play_env(tmp_path):
    """The environment of a Play: the shared one, a log file in tmp_path, no orchestrator
    settings of the caller's."""
    env = ansible_env(
        ANSIBLE_LOCALHOST_WARNING='False',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='False',
        ANSIBLE_LOG_PATH=str(tmp_path / 'ansible.log'),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_RETRY_FILES_ENABLED='False',
    )
    env.pop('ORCHENT_TOKEN', None)
    env.pop('ORCHENT_URL', None)
    return env


class Play:
    """Run tasks on localhost with ansible-playbook; ``results`` are the JSON callback's."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.count = 0

    def run(self, tasks, check=False, verbosity=0, env=None, json_output=True):
        self.count += 1
        playbook = self.tmp_path / f'play{self.count}.yml'
        play = [{'name': 'modules', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]
        playbook.write_text(yaml.safe_dump(play, sort_keys=False))
        run_env = play_env(self.tmp_path)
        if json_output:
            run_env.update(ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='ansible.posix.json')
        run_env.update(env or {})
        cmd = ['ansible-playbook', '-i', 'localhost,', '-c', 'local', str(playbook)]
        if check:
            cmd.append('--check')
        if verbosity:
            cmd.append('-' + 'v' * verbosity)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env, cwd=ROOT, check=False)
        self.stdout, self.stderr = proc.stdout, proc.stderr
        if not json_output:
            return proc
        try:
            data = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError(f'ansible-playbook did not print JSON:\n{proc.stdout}\n{proc.stderr}') from None
        return [task['hosts']['localhost'] for task in data['plays'][0]['tasks']]


@pytest.fixture
def play(tmp_path):
    return Play(tmp_path)
