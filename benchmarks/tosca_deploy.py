"""TOSCA deploy of the HTCondor template against the plain playbook, on the same containers.

Run:  make bench-tosca-deploy   (or: source scripts/env.sh && python benchmarks/tosca_deploy.py)

Both paths run on containers made by the TOSCA podman provider (`tosca_deploy --tags provision`),
1 central manager, 1 submit and 2 execute nodes (Debian 13), package cache warm when it runs:

1. fresh containers; `playbooks/htcondor_cluster.yml` on the plugin's inventory (the groups an
   admin would write), then the same again (idempotent re-run);
2. fresh containers; `tosca_deploy --tags configure` (the template's nodes in plan order, with the
   deploy playbook's fact gathering and outputs), then a whole `tosca_deploy` again.

Prints JSON: seconds of each step, changed counts of the re-runs, and the ratios TOSCA / plain
for the first configuration and for the re-run, all measured in this run.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOYMENT = 'bench-tosca'


def pkgcache_running():
    proc = subprocess.run(
        ['podman', 'container', 'inspect', '--format', '{{.State.Running}}', 'dodas-pkgcache'],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() == 'true'


def playbook(inventory, target, log, *extra):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR='0', ANSIBLE_FORKS='16')
    started = time.monotonic()
    proc = subprocess.run(
        ['ansible-playbook', '-i', str(inventory), target, *extra], capture_output=True, text=True, env=env, check=False
    )
    seconds = time.monotonic() - started
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        sys.exit(f'{target} {" ".join(extra)} failed after {seconds:.0f} s, log: {log}\n{proc.stdout[-3000:]}')
    changed = sum(int(n) for n in re.findall(r'changed=(\d+)', proc.stdout))
    return round(seconds, 1), changed


def main():
    work = Path(tempfile.mkdtemp(prefix='bench-tosca-'))
    options = {}
    if pkgcache_running():
        options = {'join_containers': ['dodas-pkgcache'], 'apt_proxy': 'http://dodas-pkgcache:3142'}
    inventory = work / 'bench.tosca.yml'
    inventory.write_text(
        yaml.safe_dump(
            {
                'plugin': 'dodas.dodas.tosca',
                'template': str(ROOT / 'tosca/templates/htcondor_cluster.yaml'),
                'deployment': DEPLOYMENT,
                'inputs': {'execute_nodes': 2},
                'provider': 'podman',
                'provider_options': options,
            }
        )
    )
    deploy, undeploy = 'dodas.dodas.tosca_deploy', 'dodas.dodas.tosca_undeploy'
    plain = str(ROOT / 'playbooks/htcondor_cluster.yml')
    out = {'template': 'htcondor_cluster', 'hosts': 4, 'package_cache': bool(options)}
    try:
        playbook(inventory, undeploy, work / '0-clean.log')
        out['plain_provision_s'] = playbook(inventory, deploy, work / '1-provision.log', '--tags', 'provision')[0]
        out['plain_configure_s'] = playbook(inventory, plain, work / '2-plain.log')[0]
        out['plain_rerun_s'], out['plain_rerun_changed'] = playbook(inventory, plain, work / '3-plain-rerun.log')
        playbook(inventory, undeploy, work / '4-undeploy.log')
        out['tosca_provision_s'] = playbook(inventory, deploy, work / '5-provision.log', '--tags', 'provision')[0]
        out['tosca_configure_s'] = playbook(inventory, deploy, work / '6-configure.log', '--tags', 'configure')[0]
        out['tosca_rerun_s'], out['tosca_rerun_changed'] = playbook(inventory, deploy, work / '7-tosca-rerun.log')
        out['undeploy_s'] = playbook(inventory, undeploy, work / '8-undeploy.log')[0]
    finally:
        playbook(inventory, undeploy, work / '9-final-undeploy.log')
    out['tosca_over_plain_configure'] = round(out['tosca_configure_s'] / out['plain_configure_s'], 2)
    out['tosca_over_plain_rerun'] = round(out['tosca_rerun_s'] / out['plain_rerun_s'], 2)
    out['logs'] = str(work)
    print(json.dumps(out, indent=2))


if __name__ == '__main__':
    main()
