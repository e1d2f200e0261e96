"""Every role's meta/argument_specs.yml main entry point mirrors defaults/main.yml."""

import pytest

from support import ROOT, load_yaml, roles

# ansible's argument spec types and the Python types their defaults must have.
TYPES = {
    'str': str,
    'bool': bool,
    'int': int,
    'float': (int, float),
    'list': list,
    'dict': dict,
    'path': str,
    'raw': object,
}


def _spec(role):
    return load_yaml(ROOT / 'roles' / role / 'meta' / 'argument_specs.yml')['argument_specs']


def _defaults(role):
    return load_yaml(ROOT / 'roles' / role / 'defaults' / 'main.yml') or {}


@pytest.mark.parametrize('role', roles())
def test_options_equal_defaults(role):
    options = _spec(role)['main']['options']
    defaults = _defaults(role)
    assert sorted(options) == sorted(defaults), (
        f'{role}: only in argument_specs: {sorted(set(options) - set(defaults))}; '
        f'only in defaults: {sorted(set(defaults) - set(options))}'
    )


@pytest.mark.parametrize('role', roles())
def test_spec_defaults_equal_role_defaults(role):
    options = _spec(role)['main']['options']
    for name, value in _defaults(role).items():
        assert not options[name].get('required', False), f'{role}: {name} has a default, so it cannot be required'
        assert options[name].get('default') == value, f'{role}: default of {name} differs between the two files'


@pytest.mark.parametrize('role', roles())
def test_default_types_match(role):
    options = _spec(role)['main']['options']
    for name, value in _defaults(role).items():
        kind = options[name].get('type', 'str')
        if value is None or (isinstance(value, str) and '{{' in value):
            continue  # unset, or computed from facts at run time
        assert isinstance(value, TYPES[kind]), f'{role}: {name} is {type(value).__name__}, spec says {kind}'
        if kind == 'int':
            assert not isinstance(value, bool), f'{role}: {name} is a bool, spec says int'


@pytest.mark.parametrize('role', roles())
def test_public_variables_carry_the_role_prefix(role):
    for entry, spec in _spec(role).items():
        for name in spec.get('options', {}):
            assert name.startswith(f'{role}_'), f'{role}: option {name} of entry point {entry} lacks the prefix {role}_'


@pytest.mark.parametrize('role', roles())
def test_every_option_is_documented(role):
    for entry, spec in _spec(role).items():
        assert spec.get('short_description'), f'{role}: entry point {entry} has no short_description'
        for name, option in spec.get('options', {}).items():
            assert option.get('description'), f'{role}: {entry}.{name} has no description'
            assert 'type' in option, f'{role}: {entry}.{name} has no type'


@pytest.mark.parametrize('role', roles())
def test_every_entry_point_has_its_tasks_file(role):
    for entry in _spec(role):
        assert (ROOT / 'roles' / role / 'tasks' / f'{entry}.yml').is_file(), f'{role}: no tasks/{entry}.yml'
