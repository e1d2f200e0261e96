"""TOSCA lint benchmark: how long `make tosca-lint`'s check of the library takes (issue 9's
target: lint and validation of the whole library and every template in under 5 s).

Run:  make bench-tosca-lint   (or: source scripts/env.sh && python benchmarks/tosca_lint.py)

Prints as JSON, all measured in this run:
- the whole lint as a user runs it (`scripts/tosca-lint`: a new Python process that imports
  tosca-parser, checks the types file against every role's argument specs - generated file up
  to date, property drift, inputs, roles, groups, implementations, collection, one node of
  every type through tosca-parser - and validates every template in tosca/templates/ in all
  its phases), ROUNDS runs: each, the median and the worst, and the worst over the target;
- inside one process, the types file and the templates apart (median of ROUNDS, after a
  first run that warms the caches), to show where the time goes.
"""

import importlib.machinery
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / 'scripts' / 'tosca-lint'
TARGET_S = 5.0
ROUNDS = 5


def whole_run():
    start = time.monotonic()
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f'scripts/tosca-lint failed, fix the library first:\n{proc.stdout}{proc.stderr}')
    return seconds, proc.stdout.strip().splitlines()[-1]


def load_lint():
    loader = importlib.machinery.SourceFileLoader('tosca_lint', str(SCRIPT))
    spec = importlib.util.spec_from_loader('tosca_lint', loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def timed(action):
    start = time.monotonic()
    action()
    return time.monotonic() - start


def main():
    runs = [whole_run() for _round in range(ROUNDS)]
    seconds = [round(s, 2) for s, _summary in runs]
    lint = load_lint()
    templates = sorted((ROOT / 'tosca' / 'templates').glob('*.yaml'))
    lint.Linter().run(templates)  # warm: the generator's output and the role specs are cached

    def types_only():
        lint.Linter().lint_types()

    def templates_only():
        linter = lint.Linter()
        for template in templates:
            linter.lint_template(template)

    figures = {
        'templates': len(templates),
        'summary': runs[-1][1],
        'whole_lint_s': seconds,
        'whole_lint_median_s': round(statistics.median(seconds), 2),
        'whole_lint_worst_s': max(seconds),
        'target_s': TARGET_S,
        'worst_over_target': round(max(seconds) / TARGET_S, 3),
        'in_process_types_median_s': round(statistics.median(timed(types_only) for _round in range(ROUNDS)), 3),
        'in_process_templates_median_s': round(statistics.median(timed(templates_only) for _round in range(ROUNDS)), 3),
    }
    print(json.dumps(figures, indent=2))


if __name__ == '__main__':
    main()
