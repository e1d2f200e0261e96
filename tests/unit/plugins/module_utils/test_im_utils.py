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
