"""The role contract: the same shape for every role of the collection."""

from pathlib import PurePosixPath

import pytest

from support import ROOT, load_yaml, roles

STAGES = ['preflight', 'install', 'configure', 'service']


@pytest.mark.parametrize('role', roles())
def test_role_has_the_standard_files(role):
    base = ROOT / 'roles' / role
    for rel in ['defaults/main.yml', 'meta/main.yml', 'meta/argument_specs.yml', 'handlers/main.yml', 'tasks/main.yml']:
        assert (base / rel).is_file(), f'{role}: missing {rel}'
    for stage in STAGES:
        assert (base / 'tasks' / f'{stage}.yml').is_file(), f'{role}: missing tasks/{stage}.yml'


@pytest.mark.parametrize('role', roles())
def test_main_runs_the_stages_in_order(role):
    tasks = load_yaml(ROOT / 'roles' / role / 'tasks' / 'main.yml')
    included = [
        t.get('ansible.builtin.include_tasks') or t.get('ansible.builtin.import_tasks')
        for t in tasks
        if 'ansible.builtin.include_tasks' in t or 'ansible.builtin.import_tasks' in t
    ]
    stages = [_stem(f) for f in included if _stem(f) in STAGES]
    assert stages == STAGES, f'{role}: tasks/main.yml runs {stages}, expected {STAGES}'


def _stem(name):
    return PurePosixPath(str(name)).stem


@pytest.mark.parametrize(
    'template', sorted((ROOT / 'roles').glob('*/templates/**/*.j2')), ids=lambda p: str(p.relative_to(ROOT))
)
def test_templates_start_with_ansible_managed(template):
    first = template.read_text(encoding='utf-8').lstrip().splitlines()[0]
    assert first.startswith('{{ ansible_managed | comment'), (
        f'{template.name} does not start with the ansible_managed comment'
    )


@pytest.mark.parametrize('role', roles())
def test_internal_variables_are_prefixed(role):
    """vars/ and set_fact names are `_<role>_*`; registered results are `__<role>_*`."""
    base = ROOT / 'roles' / role
    for path in sorted(base.glob('vars/*.yml')):
        for name in load_yaml(path) or {}:
            assert name.startswith(f'_{role}_'), f'{path.relative_to(ROOT)}: {name} is not _{role}_*'
    for path in [*sorted(base.glob('tasks/*.yml')), base / 'handlers' / 'main.yml']:
        for task in _walk(load_yaml(path) or []):
            if 'register' in task:
                assert task['register'].startswith(f'__{role}_'), (
                    f'{path.relative_to(ROOT)}: register {task["register"]}'
                )
            for name in task.get('ansible.builtin.set_fact') or {}:
                assert name.startswith(f'_{role}_'), f'{path.relative_to(ROOT)}: set_fact {name}'


def _walk(tasks):
    for task in tasks:
        yield task
        for key in ('block', 'rescue', 'always'):
            yield from _walk(task.get(key, []))
