"""Spark standalone cluster benchmarks, on local containers made by the Molecule harness.

Run:  make bench-spark   (or: source scripts/env.sh && python benchmarks/spark_cluster.py)

One master (with the history server) and two workers (Debian 13), converged with
playbooks/spark_cluster.yml over the podman connection from the pyspark wheelhouse that
scripts/spark-wheels builds (the containers reach no package index). Prints, as JSON:
- seconds from bare containers to a finished SparkPi (create + converge + the bundled Pi
  example submitted to spark://<master>:7077 as the service user), and its parts;
- the idempotent re-run: seconds and the number of changed tasks;
- the ratios re-run / first converge and SparkPi / first converge, measured in this run.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / 'molecule' / '_harness'
PLAYBOOK = ROOT / 'playbooks' / 'spark_cluster.yml'
SPARK_HOME = '/opt/spark/current'


class Cluster:
    """Containers named <name>-master and <name>-worker<N>."""

    def __init__(self, name, workers, workdir, wheelhouse):
        self.name = name
        self.master = f'{name}-master'
        self.hosts = {self.master: ['spark_master', 'spark_history']}
        self.hosts.update({f'{name}-worker{i}': ['spark_worker'] for i in range(1, workers + 1)})
        self.wheelhouse = wheelhouse
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, MOLECULE_SCENARIO_NAME=name, ANSIBLE_FORKS='16', ANSIBLE_FORCE_COLOR='0')
        platforms = [{'name': h, 'groups': g} for h, g in self.hosts.items()]
        (self.dir / 'platforms.json').write_text(json.dumps({'molecule_yml': {'platforms': platforms}}))

    def _write_inventory(self):
        groups = {}
        for host, names in self.hosts.items():
            for group in names:
                groups.setdefault(group, {'hosts': {}})['hosts'][host] = {}
        inventory = {
            'all': {
                'vars': {
                    'ansible_connection': 'containers.podman.podman',
                    'spark_install_from': 'pyspark',
                    'spark_pyspark_wheelhouse': self.wheelhouse,
                    'spark_worker_cores': 2,
                    'spark_worker_memory': '1g',
                    'spark_daemon_memory': '512m',
                    'spark_extra_config': {'spark.executor.memory': '512m'},
                    'common_hosts_group': 'spark_master',
                },
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

    def converge(self):
        self._write_inventory()
        start = time.monotonic()
        result = subprocess.run(
            ['ansible-playbook', str(PLAYBOOK), '-i', str(self.dir / 'inventory.json')],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.monotonic() - start
        if result.returncode:
            sys.exit(f'converge {self.name} failed:\n{result.stdout[-3000:]}')
        changed = sum(int(n) for n in re.findall(r'changed=(\d+)', result.stdout))
        return elapsed, changed

    def spark_pi(self, partitions=20):
        """Submit the bundled Pi example as the service user; return (seconds, value)."""
        start = time.monotonic()
        result = subprocess.run(
            [
                'podman',
                'exec',
                '-u',
                'spark',
                '-w',
                '/var/lib/spark',
                self.master,
                f'{SPARK_HOME}/bin/spark-submit',
                '--master',
                f'spark://{self.master}:7077',
                f'{SPARK_HOME}/examples/src/main/python/pi.py',
                str(partitions),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.monotonic() - start
        found = re.search(r'Pi is roughly ([0-9.]+)', result.stdout)
        if result.returncode or not found:
            sys.exit(f'SparkPi failed (rc {result.returncode}):\n{result.stderr[-3000:]}')
        return elapsed, float(found.group(1))


def note(figures):
    """Show the figures so far: a run cut short still leaves what it measured."""
    print(json.dumps(figures), file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--workers', type=int, default=2)
    args = parser.parse_args()
    subprocess.run([str(ROOT / 'scripts' / 'pkgcache'), 'start'], check=True)
    wheelhouse = subprocess.run(
        [str(ROOT / 'scripts' / 'spark-wheels')], check=True, capture_output=True, text=True
    ).stdout.strip()
    figures = {'workers': args.workers}
    with tempfile.TemporaryDirectory(prefix='dodas-bench-') as work:
        cluster = Cluster('bench-spark', args.workers, work, wheelhouse)
        try:
            cluster.destroy()
            start = time.monotonic()
            cluster.create()
            figures['create_s'] = round(time.monotonic() - start, 1)
            converge_s = cluster.converge()[0]
            figures['first_converge_s'] = round(converge_s, 1)
            note(figures)
            pi_s, pi = cluster.spark_pi()
            figures['spark_pi_s'] = round(pi_s, 1)
            figures['spark_pi_value'] = pi
            figures['bare_to_finished_spark_pi_s'] = round(time.monotonic() - start, 1)
            note(figures)
            rerun_s, rerun_changed = cluster.converge()
            figures['rerun_s'] = round(rerun_s, 1)
            figures['rerun_changed'] = rerun_changed
            figures['rerun_over_first_converge'] = round(rerun_s / converge_s, 2)
            figures['spark_pi_over_first_converge'] = round(pi_s / converge_s, 2)
        finally:
            cluster.destroy()
            if not os.environ.get('DODAS_PKGCACHE_KEEP'):
                subprocess.run([str(ROOT / 'scripts' / 'pkgcache'), 'stop'], check=False)
    print(json.dumps(figures, indent=2))


if __name__ == '__main__':
    main()
