"""Data cache benchmarks (Squid and XCache), on local containers made by the Molecule harness.

Run:  make bench-cache   (or: source scripts/env.sh && python benchmarks/data_cache.py [--only squid|xcache])

Prints JSON:
- squid: HTTP fetch latency through the proxy, cache MISS (first fetch of each object) against
  cache HIT (second fetch), median over N objects, and their ratio; the access log must show
  exactly N misses and N hits;
- xcache: a 256 MiB file read with xrdcp through the cache, first read (miss: from the origin)
  against second read (hit), and on the cache container a hit read (xrdcp from localhost)
  against a plain read of the cached data file from its disk; throughputs and ratios.
Every timing is taken inside the container (date +%s%N around the command), so the podman exec
overhead is not in the figures.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / 'molecule' / '_harness'


class Stack:
    """Containers of one benchmark, created and destroyed with the harness playbooks."""

    def __init__(self, name, hosts, group_vars, workdir, capabilities=None):
        self.name = name
        self.hosts = hosts  # {container: group}
        self.group_vars = group_vars
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, MOLECULE_SCENARIO_NAME=name, ANSIBLE_FORKS='8', ANSIBLE_FORCE_COLOR='0')
        capabilities = capabilities or {}
        platforms = [{'name': h, 'groups': [g], 'capabilities': capabilities.get(h, [])} for h, g in hosts.items()]
        (self.dir / 'platforms.json').write_text(json.dumps({'molecule_yml': {'platforms': platforms}}))
        groups = {}
        for host, group in hosts.items():
            groups.setdefault(group, {'hosts': {}})['hosts'][host] = {}
        inventory = {
            'all': {
                'vars': {'ansible_connection': 'containers.podman.podman', **group_vars},
                'children': groups,
            }
        }
        (self.dir / 'inventory.json').write_text(json.dumps(inventory))

    def _playbook(self, playbook, *extra):
        return subprocess.run(
            ['ansible-playbook', str(playbook), *extra], env=self.env, capture_output=True, text=True, check=False
        )

    def create(self):
        result = self._playbook(HARNESS / 'create.yml', '-e', f'@{self.dir / "platforms.json"}')
        if result.returncode:
            sys.exit(f'create {self.name} failed:\n{result.stdout[-3000:]}')

    def destroy(self):
        self._playbook(HARNESS / 'destroy.yml', '-e', f'@{self.dir / "platforms.json"}')

    def converge(self, playbook, *extra):
        result = self._playbook(playbook, '-i', str(self.dir / 'inventory.json'), *extra)
        if result.returncode:
            sys.exit(f'converge {self.name} failed:\n{result.stdout[-3000:]}')

    @staticmethod
    def sh(host, script):
        return subprocess.run(
            ['podman', 'exec', host, 'bash', '-c', script], capture_output=True, text=True, check=True
        ).stdout

    @classmethod
    def timed(cls, host, command):
        """Seconds the command takes inside the container (it must succeed)."""
        out = cls.sh(host, f'set -e; s=$(date +%s%N); {command} >/dev/null; e=$(date +%s%N); echo $(( e - s ))')
        return int(out.strip().splitlines()[-1]) / 1e9


def squid(work, objects, size_kib):
    proxy, origin, client = 'bench-squid-proxy', 'bench-squid-origin', 'bench-squid-client'
    stack = Stack(
        'bench-squid',
        {proxy: 'squid', origin: 'squid_origins', client: 'squid_clients'},
        {
            'squid_allowed_clients': [f"{{{{ hostvars['{client}']['ansible_facts']['default_ipv4']['address'] }}}}/32"],
            'squid_allowed_destinations': [origin],
            'common_hosts_group': 'squid_origins',
        },
        work,
    )
    stack.destroy()
    try:
        stack.create()
        stack.converge(ROOT / 'molecule' / 'squid' / 'converge.yml')
        stack.sh(
            origin,
            f'for i in $(seq 1 {objects}); do dd if=/dev/urandom of=/srv/www/bench-$i.bin bs=1K count={size_kib} '
            'status=none; done',
        )
        fetch = 'curl --fail --silent --proxy http://{p}:3128 http://{o}:8080/bench-{i}.bin -o /dev/null'
        miss, hit = [], []
        for i in range(1, objects + 1):
            miss.append(Stack.timed(client, fetch.format(p=proxy, o=origin, i=i)))
            hit.append(Stack.timed(client, fetch.format(p=proxy, o=origin, i=i)))
        log = stack.sh(proxy, 'grep bench- /var/log/squid/access.log')
        misses = len(re.findall(r' TCP_MISS/200 ', log))
        hits = len(re.findall(r' TCP_(?:MEM_)?HIT/200 ', log))
        if misses != objects or hits != objects:
            codes = re.findall(r' (TCP_\S+) ', log)
            sys.exit(f'squid: expected {objects} misses and hits, the access log shows {codes}')
        return {
            'object_kib': size_kib,
            'objects': objects,
            'miss_median_ms': round(statistics.median(miss) * 1000, 2),
            'hit_median_ms': round(statistics.median(hit) * 1000, 2),
            'miss_over_hit': round(statistics.median(miss) / statistics.median(hit), 2),
            'access_log': {'TCP_MISS': misses, 'TCP_HIT': hits},
        }
    finally:
        stack.destroy()


def xcache(work, size_mib):
    origin, cache, client = 'bench-xc-origin', 'bench-xc-cache', 'bench-xc-client'
    stack = Stack(
        'bench-xc',
        {origin: 'xcache_origins', cache: 'xcache', client: 'xcache_clients'},
        {
            'xcache_origin': f'{origin}:1094',
            'xcache_allow_anonymous_access': True,
            'xcache_ram': '1g',
        },
        work,
        capabilities={cache: ['SYS_ADMIN'], origin: ['SYS_ADMIN']},
    )
    stack.destroy()
    mib = size_mib
    try:
        stack.create()
        # The scenario's converge; no tmpfs here: the cache writes to the container's disk.
        stack.converge(ROOT / 'molecule' / 'xcache' / 'converge.yml', '-e', 'xcache_scenario_cache_tmpfs=""')
        stack.sh(origin, f'dd if=/dev/urandom of=/srv/origin/data/big.bin bs=1M count={mib} status=none')
        url = f'root://{cache}:1094//data/big.bin'
        miss = Stack.timed(client, f'xrdcp --nopbar --force {url} /dev/null')
        hit = Stack.timed(client, f'xrdcp --nopbar --force {url} /dev/null')
        hit_local = Stack.timed(cache, 'xrdcp --nopbar --force root://localhost:1094//data/big.bin /dev/null')
        disk = Stack.timed(cache, 'cat /srv/xcache/data/big.bin')
        disk_direct = Stack.timed(cache, 'dd if=/srv/xcache/data/big.bin of=/dev/null bs=4M iflag=direct status=none')
        cinfo = stack.sh(cache, 'ls /srv/xcache/data/')
        if 'big.bin.cinfo' not in cinfo:
            sys.exit(f'xcache: no big.bin.cinfo in the cache: {cinfo}')

        def mibs(seconds):
            return round(mib / seconds, 1)

        return {
            'file_mib': mib,
            'client_miss_s': round(miss, 2),
            'client_hit_s': round(hit, 2),
            'client_miss_over_hit': round(miss / hit, 2),
            'client_miss_mib_s': mibs(miss),
            'client_hit_mib_s': mibs(hit),
            'cache_host_hit_mib_s': mibs(hit_local),
            'cache_host_disk_read_mib_s': mibs(disk),
            'cache_host_disk_read_direct_mib_s': mibs(disk_direct),
            'hit_over_disk_read': round(disk / hit_local, 2),
            'hit_over_disk_read_direct': round(disk_direct / hit_local, 2),
        }
    finally:
        stack.destroy()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', choices=['squid', 'xcache'])
    parser.add_argument('--squid-objects', type=int, default=20)
    parser.add_argument('--squid-object-kib', type=int, default=256)
    parser.add_argument('--xcache-file-mib', type=int, default=256)
    args = parser.parse_args()
    subprocess.run([str(ROOT / 'scripts' / 'pkgcache'), 'start'], check=True)
    figures = {}
    with tempfile.TemporaryDirectory(prefix='dodas-bench-') as work:
        if args.only in (None, 'squid'):
            figures['squid'] = squid(work, args.squid_objects, args.squid_object_kib)
            print(json.dumps(figures), file=sys.stderr, flush=True)
        if args.only in (None, 'xcache'):
            figures['xcache'] = xcache(work, args.xcache_file_mib)
    print(json.dumps(figures, indent=2))


if __name__ == '__main__':
    main()
