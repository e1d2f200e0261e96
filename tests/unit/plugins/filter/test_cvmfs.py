"""The cvmfs_http_proxy filter builds CVMFS_HTTP_PROXY from proxy groups."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dodas.dodas.plugins.filter import cvmfs

proxy = cvmfs.cvmfs_http_proxy


@pytest.mark.parametrize(
    ('groups', 'expected'),
    [
        (['http://squid:3128'], 'http://squid:3128'),
        ([['http://squid:3128']], 'http://squid:3128'),
        ([['http://s1:3128', 'http://s2:3128']], 'http://s1:3128|http://s2:3128'),
        (['http://s1:3128', 'http://s2:3128'], 'http://s1:3128;http://s2:3128'),
        (
            [['http://s1:3128', 'http://s2:3128'], 'http://backup.example.org'],
            'http://s1:3128|http://s2:3128;http://backup.example.org',
        ),
        (['http://squid:3128', 'DIRECT'], 'http://squid:3128;DIRECT'),
        (['DIRECT'], 'DIRECT'),
    ],
)
def test_groups_are_joined(groups, expected):
    assert proxy(groups) == expected


@pytest.mark.parametrize(
    'groups',
    [
        [],
        'http://squid:3128',
        [[]],
        ['squid:3128'],
        ['https://squid:3128'],
        ['http://squid:3128;http://other:3128'],
        ['http://squid:3128|http://other:3128'],
        [['http://ok:3128', 'http://bad host:3128']],
        [3128],
    ],
)
def test_bad_groups_are_refused(groups):
    with pytest.raises(AnsibleFilterError, match='cvmfs_http_proxy'):
        proxy(groups)


def test_the_filter_is_registered():
    assert cvmfs.FilterModule().filters() == {'cvmfs_http_proxy': proxy}
