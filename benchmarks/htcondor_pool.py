"""HTCondor pool benchmarks, on local containers made by the Molecule harness.

Run:  make bench-htcondor   (or: source scripts/env.sh && python benchmarks/htcondor_pool.py)

Prints, as JSON and as lines for docs/benchmarks.md:
- seconds from bare containers to the first finished job, for 1 CM + 1 submit + 2 execute;
- the idempotent re-run: seconds and the number of changed tasks;
- job latency (submit to completion, idle pool): the role's defaults and HTCondor's stock
  intervals, measured on the same pool in this run, and their ratio;
- fault: the execute container running a 30 s job is killed; the job (lease 20 s) must
  finish, exit 0, on the other execute node; seconds from the kill to completion;
- converge seconds with 1, 2, 4 and 8 execute nodes, and the 8-node/1-node ratio.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / 'molecule' / '_harness'
PLAYBOOK = ROOT / 'playbooks' / 'htcondor_cluster.yml'
STOCK = {
    'htcondor_negotiator_interval': 60,
    'htcondor_negotiator_cycle_delay': 20,
    'htcondor_schedd_interval': 300,
    'htcondor_update_interval': 300,
    'htcondor_claim_worklife': 1200,
    'htcondor_ad_lifetime': 900,
}


class Pool:
    """A pool of containers named <name>-cm, <name>-submit, <name>-exec<N>."""

    def __init__(self, name, executes, workdir):
        self.name = name
        self.hosts = {f'{name}-cm': 'htcondor_central_manager', f'{name}-submit': 'htcondor_submit'}
        self.hosts.update({f'{name}-exec{i}': 'htcondor_execute' for i in range(1, executes + 1)})
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, MOLECULE_SCENARIO_NAME=name, ANSIBLE_FORKS='16', ANSIBLE_FORCE_COLOR='0')
        platforms = [{'name': h, 'groups': [g]} for h, g in self.hosts.items()]
        (self.dir / 'platforms.json').write_text(json.dumps({'molecule_yml': {'platforms': platforms}}))

    def _write_inventory(self):
        groups = {}
        for host, group in self.hosts.items():
            groups.setdefault(group, {'hosts': {}})['hosts'][host] = {}
        inventory = {
            'all': {
                'vars': {'ansible_connection': 'containers.podman.podman', 'htcondor_execute_cpus': 2},
                'children': groups,
            }
        }
        (self.dir / 'inventory.json').write_text(json.dumps(inventory))

    def _playbook(self, playbook, *extra):
        return subprocess.run(
            ['ansible-playbook', str(playbook), '-e', f'@{self.dir / "platforms.json"}', *extra],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def create(self):
        result = self._playbook(HARNESS / 'create.yml')
        if result.returncode:
            sys.exit(f'create {self.name} failed:\n{result.stdout[-3000:]}')

    def destroy(self):
        self._playbook(HARNESS / 'destroy.yml')

    def converge(self, extra_vars=None):
        self._write_inventory()
        args = ['-i', str(self.dir / 'inventory.json')]
        if extra_vars:
            args += ['-e', json.dumps(extra_vars)]
        start = time.monotonic()
        result = subprocess.run(
            ['ansible-playbook', str(PLAYBOOK), *args], env=self.env, capture_output=True, text=True, check=False
        )
        elapsed = time.monotonic() - start
        if result.returncode:
            sys.exit(f'converge {self.name} failed:\n{result.stdout[-3000:]}')
        changed = sum(int(n) for n in re.findall(r'changed=(\d+)', result.stdout))
        return elapsed, changed

    def exec(self, host, *argv, user=None, stdin=None):
        cmd = ['podman', 'exec', '-i']
        if user:
            cmd += ['-u', user, '-w', f'/home/{user}']
        return subprocess.run([*cmd, host, *argv], input=stdin, capture_output=True, text=True, check=True).stdout

    def wait_for_slots(self, count, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                machines = set(self.exec(f'{self.name}-cm', 'condor_status', '-af', 'Machine').split())
            except subprocess.CalledProcessError:
                machines = set()  # the collector is restarting
            if len(machines) >= count:
                return
            time.sleep(0.5)
        sys.exit(f'{self.name}: fewer than {count} execute nodes after {timeout} s')

    def add_user(self):
        for host in self.hosts:
            self.exec(host, 'useradd', '--uid', '2001', '--create-home', 'alice')

    def run_job(self):
        """Submit one job as alice and return seconds until it has completed."""
        submit = f'{self.name}-submit'
        self.exec(submit, 'rm', '-f', 'bench.log', user='alice')
        start = time.monotonic()
        self.exec(
            submit,
            'condor_submit',
            '-',
            user='alice',
            stdin='executable = /bin/true\nlog = bench.log\nqueue\n',
        )
        self.exec(submit, 'condor_wait', '-wait', '600', 'bench.log', user='alice')
        return time.monotonic() - start

    def fault(self, sleep=30, lease=20):
        """Kill the execute container running a job; return (seconds to completion, killed, final host)."""
        submit = f'{self.name}-submit'
        self.exec(submit, 'rm', '-f', 'fault.log', user='alice')
        self.exec(
            submit,
            'condor_submit',
            '-',
            user='alice',
            stdin=(
                f'executable = /bin/sleep\narguments = {sleep}\nlog = fault.log\njob_lease_duration = {lease}\nqueue\n'
            ),
        )
        deadline = time.monotonic() + 120
        remote = ''
        while not remote and time.monotonic() < deadline:
            remote = self.exec(submit, 'condor_q', 'alice', '-run', '-af', 'RemoteHost').strip()
            time.sleep(0.5)
        if not remote:
            sys.exit(f'{self.name}: the fault job never started')
        victim = remote.split('@', 1)[1].split('.', 1)[0]
        start = time.monotonic()
        subprocess.run(['podman', 'kill', victim], check=True, capture_output=True)
        self.exec(submit, 'condor_wait', '-wait', '600', 'fault.log', user='alice')
        elapsed = time.monotonic() - start
        last = self.exec(submit, 'condor_history', 'alice', '-limit', '1', '-af', 'ExitCode', 'LastRemoteHost').split()
        if last[0] != '0' or victim in last[1]:
            sys.exit(f'{self.name}: after killing {victim} the job ended as {last}')
        return elapsed, victim, last[1].split('@', 1)[1].split('.', 1)[0]

    def latency(self, jobs):
        samples = []
        for _job in range(jobs):
            samples.append(self.run_job())
            # Idle pool: let the schedd give the claim back before the next job.
            time.sleep(3)
        return statistics.median(samples), samples


def note(figures):
    """Show the figures so far: a run cut short still leaves what it measured."""
    print(json.dumps(figures), file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--exec-counts', default='1,2,4,8')
    parser.add_argument('--latency-jobs', type=int, default=5)
    args = parser.parse_args()
    subprocess.run([str(ROOT / 'scripts' / 'pkgcache'), 'start'], check=True)
    figures = {}
    pools = []
    with tempfile.TemporaryDirectory(prefix='dodas-bench-') as work:
        try:
            pool = Pool('bench-htc', 2, work)
            pools.append(pool)
            pool.destroy()
            start = time.monotonic()
            pool.create()
            converge_s = pool.converge()[0]
            pool.wait_for_slots(2)
            pool.add_user()
            pool.run_job()
            figures['first_job_s'] = round(time.monotonic() - start, 1)
            figures['first_converge_s'] = round(converge_s, 1)
            note(figures)
            rerun_s, rerun_changed = pool.converge()
            figures['rerun_s'] = round(rerun_s, 1)
            figures['rerun_changed'] = rerun_changed
            note(figures)
            median, samples = pool.latency(args.latency_jobs)
            figures['latency_defaults_s'] = round(median, 2)
            figures['latency_defaults_samples'] = [round(s, 2) for s in samples]
            note(figures)
            elapsed, victim, survivor = pool.fault()
            figures['fault'] = {
                'killed': victim,
                'completed_on': survivor,
                'seconds_from_kill_to_completion': round(elapsed, 1),
            }
            note(figures)
            # The killed node is gone: the stock-interval latency runs on the survivor.
            pool.hosts.pop(victim)
            pool.converge(STOCK)
            pool.wait_for_slots(1)
            median, samples = pool.latency(args.latency_jobs)
            figures['latency_stock_s'] = round(median, 2)
            figures['latency_stock_samples'] = [round(s, 2) for s in samples]
            figures['latency_stock_over_defaults'] = round(
                figures['latency_stock_s'] / figures['latency_defaults_s'], 1
            )
            pool.destroy()

            converge = {}
            for count in [int(c) for c in args.exec_counts.split(',')]:
                sized = Pool(f'bench-htc{count}', count, work)
                pools.append(sized)
                sized.destroy()
                sized.create()
                converge[count] = sized.converge()[0]
                note({'converge_s': {count: round(converge[count], 1)}})
                sized.destroy()
            figures['converge_s_by_execute_nodes'] = {k: round(v, 1) for k, v in converge.items()}
            if 1 in converge and max(converge) > 1:
                figures[f'converge_ratio_{max(converge)}_over_1'] = round(converge[max(converge)] / converge[1], 2)
        finally:
            for made in pools:
                made.destroy()
            subprocess.run([str(ROOT / 'scripts' / 'pkgcache'), 'stop'], check=False)
    print(json.dumps(figures, indent=2))


if __name__ == '__main__':
    main()
