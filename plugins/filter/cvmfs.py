"""Filters for the CVMFS client configuration."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# A proxy as CVMFS_HTTP_PROXY takes it: an http URL with host and optional port, or DIRECT.
_PROXY = re.compile(r'^(DIRECT|http://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?/?)$')


def cvmfs_http_proxy(groups):
    """Join proxy groups into CVMFS_HTTP_PROXY syntax.

    ``groups`` is a list whose items are tried in order (joined with ``;``, fail-over);
    an item is a proxy or a list of proxies that share the load (joined with ``|``).
    """
    if not isinstance(groups, (list, tuple)) or not groups:
        raise AnsibleFilterError('cvmfs_http_proxy expects a non-empty list of proxy groups')
    joined = []
    for number, group in enumerate(groups, start=1):
        members = [group] if isinstance(group, str) else group
        if not isinstance(members, (list, tuple)) or not members:
            raise AnsibleFilterError(f'cvmfs_http_proxy: group {number} must be a proxy or a non-empty list of proxies')
        for proxy in members:
            if not isinstance(proxy, str) or not _PROXY.match(proxy):
                raise AnsibleFilterError(
                    f'cvmfs_http_proxy: {proxy!r} in group {number} is not http://host[:port] or DIRECT'
                )
        joined.append('|'.join(members))
    return ';'.join(joined)


class FilterModule:
    """CVMFS filters."""

    def filters(self):
        return {'cvmfs_http_proxy': cvmfs_http_proxy}
