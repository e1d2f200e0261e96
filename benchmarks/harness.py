"""Harness benchmarks: what the bootstrap and the package cache save.

Run:  make bench-harness   (or: source scripts/env.sh && python benchmarks/harness.py)

Prints as JSON:
- seconds of `scripts/bootstrap` on a ready machine (the warm path every make target takes);
- wall seconds of `molecule test -s common` with an empty package cache, then again with
  the cache that run filled, and their ratio. Both in this one run, on this machine.
"""

import json
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKGCACHE = str(ROOT / 'scripts' / 'pkgcache')


def timed(argv):
    start = time.monotonic()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return round(time.monotonic() - start, 1)


def main():
    figures = {'bootstrap_warm_s': timed([str(ROOT / 'scripts' / 'bootstrap')])}
    try:
        subprocess.run([PKGCACHE, 'stop'], check=True, capture_output=True)
        subprocess.run(['podman', 'volume', 'rm', '--force', 'dodas-pkgcache'], check=True, capture_output=True)
        subprocess.run([PKGCACHE, 'start'], check=True, capture_output=True)
        figures['common_scenario_empty_cache_s'] = timed(['molecule', 'test', '-s', 'common'])
        figures['common_scenario_warm_cache_s'] = timed(['molecule', 'test', '-s', 'common'])
        figures['empty_over_warm'] = round(
            figures['common_scenario_empty_cache_s'] / figures['common_scenario_warm_cache_s'], 2
        )
    finally:
        subprocess.run([PKGCACHE, 'stop'], check=False, capture_output=True)
    print(json.dumps(figures, indent=2))


if __name__ == '__main__':
    main()
