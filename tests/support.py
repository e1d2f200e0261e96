"""Paths and helpers shared by every test (import as ``support``; conftest files are not
importable by name once there are several)."""

import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / '.cache' / 'collections'


def load_yaml(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def roles():
    return sorted(p.name for p in (ROOT / 'roles').iterdir() if p.is_dir())


def collection_on_path():
    """Make ``ansible_collections.dodas.dodas`` this checkout (the link scripts/bootstrap and
    scripts/test make; made here too when pytest runs alone)."""
    link = COLLECTIONS / 'ansible_collections' / 'dodas' / 'dodas'
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink('../../../..', link)
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))


def ansible_env(**settings):
    """The environment of an ansible command a test runs: this checkout as the collection
    dodas.dodas, no colours; ``settings`` add or override variables."""
    return {**os.environ, 'ANSIBLE_COLLECTIONS_PATH': str(COLLECTIONS), 'ANSIBLE_NOCOLOR': '1', **settings}


PREFLIGHT_PLAYBOOK = """
- name: {role} preflight
  hosts: localhost
  connection: local
  gather_facts: true
  gather_subset: [min]
  tasks:
    - name: Run the preflight
      ansible.builtin.include_role:
        name: dodas.dodas.{role}
        tasks_from: preflight
        public: true   # the role's vars, for the tasks that follow
{extra_tasks}"""


def run_preflight(role, extra, workdir, inventory=None, extra_tasks='', json_output=False):
    """Run only a role's preflight (include_role tasks_from: preflight) against the controller
    itself with a local connection: it reads facts and evaluates the checks, and changes nothing.
    ``extra`` are extra vars; ``inventory`` an inventory file; ``extra_tasks`` YAML tasks that
    run after the preflight (indented for the play's task list)."""
    import json
    import subprocess

    playbook = Path(workdir) / f'preflight-{role}.yml'
    playbook.write_text(PREFLIGHT_PLAYBOOK.format(role=role, extra_tasks=extra_tasks))
    env = ansible_env(ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    if json_output:
        env['ANSIBLE_STDOUT_CALLBACK'] = 'ansible.builtin.json'
    cmd = ['ansible-playbook', str(playbook), '-e', json.dumps(extra)]
    if inventory:
        cmd[1:1] = ['-i', str(inventory)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=300)


def assert_refused(result, expected, case):
    """The preflight failed, and its output (white space folded) says ``expected``."""
    assert result.returncode != 0, f'{case}: preflight passed:\n{result.stdout[-2000:]}'
    output = ' '.join((result.stdout + result.stderr).split())
    assert expected in output, f'{case}: expected {expected!r} in:\n{result.stdout[-3000:]}'
    return output
