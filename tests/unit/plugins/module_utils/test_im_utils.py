"""_im: the Authorization header as IM 2.x parses it back."""

import pytest

from ansible_collections.dodas.dodas.plugins.module_utils import _im


def parse_like_im(header):
    """IM 2.x (IM/rest/routers, IM/auth.py): backslash-backslash-n to newline, split lines on
    backslash-n, items on ; and = outside quotes, quotes dropped."""

    def split(line, sep, keep_quotes=False):
        tokens, token, sq, dq = [], '', False, False
        for char in line:
            if char == '"' and not sq:
                dq = not dq
                token += char if keep_quotes else ''
            elif char == "'" and not dq:
                sq = not sq
                token += char if keep_quotes else ''
            elif char == sep and not sq and not dq:
                tokens.append(token)
                token = ''
            else:
                token += char
        tokens.append(token)
        return tokens

    entries = []
    for line in header.replace('\\\\n', '\n').split('\\n'):
        entry = {}
        for item in split(line.strip(), ';', keep_quotes=True):
            key, value = split(item, '=')
            entry[key.strip()] = value.strip().replace('\\n', '\n')
        entries.append(entry)
    return entries


def test_header_round_trips_through_ims_parser():
    entries = [
        {'id': 'im', 'type': 'InfrastructureManager', 'username': 'u', 'password': 'p;a=ss'},
        {'type': 'OpenStack', 'id': 'ost', 'host': 'https://k:5000', 'password': 'it"s', 'private_key': 'L1\nL2'},
        {'id': 'd', 'type': 'Dummy', 'skipped': None},
    ]
    header = _im.auth_header(entries)
    first_line = header.split('\\n', maxsplit=1)[0]
    assert first_line == 'id = im; type = InfrastructureManager; username = u; password = "p;a=ss"'
    parsed = parse_like_im(header)
    assert parsed[0]['password'] == 'p;a=ss'
    assert parsed[1] == {
        'id': 'ost',
        'type': 'OpenStack',
        'host': 'https://k:5000',
        'password': 'it"s',
        'private_key': 'L1\nL2',
    }
    assert parsed[2] == {'id': 'd', 'type': 'Dummy'}


def test_header_refuses_what_im_cannot_read():
    with pytest.raises(ValueError, match='no type'):
        _im.auth_header([{'id': 'x'}])
    with pytest.raises(ValueError, match='at least one'):
        _im.auth_header([])
    with pytest.raises(ValueError, match='both quote'):
        _im.auth_header([{'type': 'X', 'password': 'a"b\'c;'}])
    with pytest.raises(ValueError, match='backslash'):
        _im.auth_header([{'type': 'X', 'password': 'a\\nb'}])
    with pytest.raises(ValueError, match='field names'):
        _im.auth_header([{'type': 'X', 'bad key': 'v'}])


def test_secret_values_and_ids():
    entries = [{'id': 'im', 'type': 'InfrastructureManager', 'username': 'u', 'password': 'pw', 'token': 't'}]
    assert _im.secret_values(entries) == {'pw', 't'}
    assert _im.infrastructure_id('http://im:8800/infrastructures/abc-1/') == 'abc-1'


class _Clock:
    """A clock that moves only when the client sleeps."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def _client_with_states(states):
    client = _im.ImClient.__new__(_im.ImClient)
    answers = iter(states)
    client.state = lambda infid: next(answers)
    return client


def test_wait_gives_up_at_the_deadline_with_the_last_state():
    clock = _Clock()
    client = _client_with_states([{'state': 'running', 'vm_states': {'0': 'running'}}] * 100)
    with pytest.raises(_im.WaitTimeoutError) as caught:
        client.wait('inf-1', 30, interval=5, max_interval=60, sleep=clock.sleep, clock=clock)
    assert 'is still running after 30 s' in caught.value.msg
    assert caught.value.state['state'] == 'running'
    assert sum(clock.sleeps) == 30  # the last sleep is cut to the deadline
    assert clock.sleeps[:3] == [5, 7.5, 11.25]  # the interval grows by half


def test_wait_with_no_time_left_asks_once():
    clock = _Clock()
    client = _client_with_states([{'state': 'pending', 'vm_states': {}}])
    with pytest.raises(_im.WaitTimeoutError, match='after 0 s'):
        client.wait('inf-1', 0, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == []


@pytest.mark.parametrize('final', ['configured', 'unconfigured', 'failed'])
def test_wait_returns_a_final_state_at_once(final):
    clock = _Clock()
    client = _client_with_states([{'state': 'running'}, {'state': final}])
    assert client.wait('inf-1', 600, interval=5, sleep=clock.sleep, clock=clock)['state'] == final
    assert clock.sleeps == [5]


def test_wait_returns_none_when_the_infrastructure_is_gone():
    clock = _Clock()
    client = _client_with_states([None])
    assert client.wait('inf-1', 600, sleep=clock.sleep, clock=clock) is None
