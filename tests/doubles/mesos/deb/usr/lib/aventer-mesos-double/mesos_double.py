"""TEST DOUBLE of mesos-master and mesos-agent (dodas.dodas tests only; never ship it).

Mesos binaries cannot be fetched where the collection's CI runs, so the mesos scenario
installs a package of this double. It mirrors what the dodas.dodas.mesos role relies on:

- flags are loaded as Mesos's flag library does: ``--name=value``, ``--name`` and
  ``--no-name`` on the command line, ``MESOS_<NAME>`` in the environment for known flags
  only (an unknown variable is ignored, an unknown command-line flag is an error), the
  command line wins over the environment, a flag given twice on the command line is an
  error, a non-boolean flag needs a value;
- a ``file://`` value of ``--zk`` and ``--master`` is read from the file, ``file://`` paths
  of the credential flags are files;
- it refuses to start, with Mesos's messages, when required flags are missing: the master
  needs ``--work_dir`` and, with ``--zk``, ``--quorum``; the agent needs ``--work_dir`` and
  ``--master``; HTTP authentication needs credentials;
- it listens on ``--ip``/``--port`` and answers ``/health`` (no authentication), ``/flags``
  and ``/state`` (HTTP basic authentication against the credentials file when
  ``--authenticate_http_readonly`` is on).

It also writes the effective flags it saw (with where each came from, and no secret) to
``/var/lib/mesos-double/<master|agent>.json`` for the scenario's verify step.
It schedules nothing, connects to no ZooKeeper and no master.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import re
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = '0~dodas.double'
RECORD_DIR = '/var/lib/mesos-double'

# Known flags: name -> True for boolean flags. Not every Mesos flag, but the ones the role
# writes and the common ones an operator may add.
_COMMON = {
    'help': True,
    'version': True,
    'hostname': False,
    'hostname_lookup': True,
    'ip': False,
    'ip_discovery_command': False,
    'advertise_ip': False,
    'advertise_port': False,
    'port': False,
    'log_dir': False,
    'logging_level': False,
    'quiet': True,
    'external_log_file': False,
    'work_dir': False,
    'zk_session_timeout': False,
    'authenticators': False,
    'http_authenticators': False,
    'authenticate_http_readonly': True,
    'authenticate_http_readwrite': True,
    'authorizers': False,
    'modules': False,
    'modules_dir': False,
    'hooks': False,
    'firewall_rules': False,
}
MASTER_FLAGS = _COMMON | {
    'zk': False,
    'quorum': False,
    'cluster': False,
    'registry': False,
    'registry_fetch_timeout': False,
    'registry_store_timeout': False,
    'log_auto_initialize': True,
    'offer_timeout': False,
    'agent_ping_timeout': False,
    'max_agent_ping_timeouts': False,
    'authenticate_frameworks': True,
    'authenticate_agents': True,
    'authenticate_http_frameworks': True,
    'http_framework_authenticators': False,
    'credentials': False,
    'acls': False,
    'roles': False,
    'weights': False,
    'webui_dir': False,
    'allocator': False,
    'min_allocatable_resources': False,
    'max_completed_frameworks': False,
    'max_completed_tasks_per_framework': False,
    'agent_removal_rate_limit': False,
    'rate_limits': False,
}
MASTER_ALIASES = {'authenticate': 'authenticate_frameworks', 'authenticate_slaves': 'authenticate_agents'}
AGENT_FLAGS = _COMMON | {
    'master': False,
    'containerizers': False,
    'isolation': False,
    'resources': False,
    'attributes': False,
    'credential': False,
    'http_credentials': False,
    'authenticate_http_executors': True,
    'docker': False,
    'docker_socket': False,
    'docker_mesos_image': False,
    'docker_config': False,
    'executor_registration_timeout': False,
    'executor_shutdown_grace_period': False,
    'executor_environment_variables': False,
    'image_providers': False,
    'image_provisioner_backend': False,
    'launcher': False,
    'systemd_enable_support': True,
    'cgroups_root': False,
    'cgroups_hierarchy': False,
    'nvidia_gpu_devices': False,
    'network_cni_plugins_dir': False,
    'network_cni_config_dir': False,
    'default_role': False,
    'default_container_dns': False,
    'gc_delay': False,
    'disk_watch_interval': False,
    'switch_user': True,
    'frameworks_home': False,
    'fetcher_cache_dir': False,
    'fetcher_cache_size': False,
    'recover': False,
    'strict': True,
    'resource_provider_config_dir': False,
    'seccomp_config_dir': False,
    'seccomp_profile_name': False,
}
AGENT_ALIASES: dict[str, str] = {}
CONTAINERIZERS = {'mesos', 'docker'}
# zk://[user:password@]host:port[,host:port...]/path
ZK_URL = re.compile(r'^zk://(?:(?P<auth>[^/@]+)@)?(?P<servers>[^/@]+)(?P<path>/.*)$')
SERVER = re.compile(r'^[A-Za-z0-9._-]+:[0-9]{1,5}$')


class FlagError(Exception):
    """A flag problem that makes Mesos exit."""


def load_flags(known, aliases, environ, argv):
    """Return ({name: value}, {name: source}) as Mesos's flag library would load them."""
    values = {}
    for raw in argv:
        arg = raw.strip()
        if arg == '--':
            break
        if not arg.startswith('--'):
            continue
        body = arg[2:]
        name, sep, value = body.partition('=')
        name = name.lower()
        if name in values or (name.startswith('no-') and name[3:] in values):
            raise FlagError(f"Duplicate flag '{name}' on command line")
        values[name] = (value if sep else None, 'command line')
    for key, value in environ.items():
        if not key.startswith('MESOS_'):
            continue
        name = key[len('MESOS_') :].lower()
        bare = name[3:] if name.startswith('no-') else name
        if bare in known and name not in values:  # only known names, and the command line wins
            values[name] = (value, 'environment')

    flags, sources = {}, {}
    for name, (value, source) in values.items():
        negated = name.startswith('no-')
        flag = name[3:] if negated else name
        canonical = aliases.get(flag, flag)
        if canonical not in known:
            raise FlagError(f"Failed to load unknown flag '{flag}'" + (f" via '{name}'" if negated else ''))
        if canonical in flags:
            raise FlagError(f"Flag '{flag}' is already loaded via name '{sources[canonical][1]}'")
        if not known[canonical]:
            if negated:
                raise FlagError(f"Failed to load non-boolean flag '{flag}' via '{name}'")
            if value is None:
                raise FlagError(f"Failed to load non-boolean flag '{flag}': Missing value")
        elif value is None or value == '':
            value = 'false' if negated else 'true'
        elif negated:
            raise FlagError(f"Failed to load boolean flag '{flag}' via '{name}' with value '{value}'")
        elif value.lower() not in ('true', 'false', '1', '0'):
            raise FlagError(f"Failed to load flag '{flag}': Failed to parse boolean from '{value}'")
        flags[canonical] = value
        sources[canonical] = (source, flag)
    return flags, {name: source for name, (source, _loaded_as) in sources.items()}


def is_true(flags, name):
    return flags.get(name, 'false').lower() in ('true', '1')


def path_of(value):
    return value[len('file://') :] if value.startswith('file://') else value


def path_or_value(value):
    """A flag that takes a value or file:// followed by the path of a file that holds it."""
    if not value.startswith('file://'):
        return value
    path = path_of(value)
    try:
        with open(path, encoding='utf-8') as handle:
            return handle.read().strip()
    except OSError as error:
        raise FlagError(f"Failed to read from file at '{path}': {error.strerror}") from error


def number(flags, name):
    try:
        return int(flags[name])
    except ValueError as error:
        raise FlagError(f"Failed to load flag '{name}': Failed to convert '{flags[name]}' to number") from error


def parse_zk(url):
    """The servers and path of a ZooKeeper URL (whether it carries credentials, not them)."""
    match = ZK_URL.match(url)
    if not match:
        raise FlagError(f"Error parsing ZooKeeper URL: Expecting 'zk://' at the beginning of the URL: {url[:5]}...")
    servers = match['servers'].split(',')
    bad = [s for s in servers if not SERVER.match(s)]
    if bad:
        raise FlagError(f'Error parsing ZooKeeper URL: bad server(s) {bad}')
    auth = match['auth']
    if auth is not None and ':' not in auth:
        raise FlagError("Error parsing ZooKeeper URL: credentials must be 'user:password'")
    return {'servers': servers, 'path': match['path'], 'digest_user': auth.split(':', 1)[0] if auth else None}


def read_json(value, what):
    path = path_of(value)
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise FlagError(f"Failed to load {what} from '{path}': {error}") from error


def read_credentials(value, what):
    data = read_json(value, what)
    entries = data.get('credentials') if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get('principal'), str) and isinstance(e.get('secret'), str)
        for e in entries
    ):
        raise FlagError(f'Failed to load {what}: expected {{"credentials": [{{"principal": ..., "secret": ...}}]}}')
    return {e['principal']: e['secret'] for e in entries}


def check_master(flags):
    """What the real master refuses at start, in the order it checks; the HTTP credentials."""
    record = {}
    if flags.get('registry', 'replicated_log') == 'replicated_log' and 'work_dir' not in flags:
        raise FlagError('--work_dir needed for replicated log based registry')
    if 'zk' in flags:
        if 'quorum' not in flags:
            raise FlagError('Need to specify --quorum for replicated log based registry when using ZooKeeper')
        record['zookeeper'] = parse_zk(path_or_value(flags['zk']))
    if 'quorum' in flags and number(flags, 'quorum') < 1:
        raise FlagError("Failed to load flag 'quorum': must be at least 1")
    if is_true(flags, 'authenticate_http_frameworks') and 'http_framework_authenticators' not in flags:
        raise FlagError(
            'Missing `--http_framework_authenticators` flag. This must be used in conjunction with '
            '`--authenticate_http_frameworks`'
        )
    credentials = read_credentials(flags['credentials'], 'credentials') if 'credentials' in flags else None
    for realm, flag in (('readonly', 'authenticate_http_readonly'), ('readwrite', 'authenticate_http_readwrite')):
        if is_true(flags, flag) and credentials is None:
            raise FlagError(
                f"No credentials provided for the default 'basic' HTTP authenticator for realm 'mesos-master-{realm}'"
            )
    if (is_true(flags, 'authenticate_frameworks') or is_true(flags, 'authenticate_agents')) and credentials is None:
        log('W', 'No credentials provided, authentication requests will be refused')
    record['credential_principals'] = sorted(credentials or {})
    return record, credentials


def check_agent(flags):
    record = {}
    if 'work_dir' not in flags:
        raise FlagError("Flag 'work_dir' is required, but it was not provided")
    if 'master' not in flags:
        raise FlagError('Missing required option `--master` or `--master_detector`')
    master = path_or_value(flags['master'])
    if master.startswith('zk://'):
        record['master'] = {'zookeeper': parse_zk(master)}
    elif re.match(r'^[A-Za-z0-9._-]+:[0-9]{1,5}$', master):
        record['master'] = {'address': master}
    else:
        raise FlagError(f"Failed to parse '--master': '{master}' is neither host:port nor a zk:// URL")
    unknown = set(flags.get('containerizers', 'mesos').split(',')) - CONTAINERIZERS
    if unknown:
        raise FlagError(f'Unknown or unsupported containerizer: {",".join(sorted(unknown))}')
    if 'credential' in flags:
        credential = read_json(flags['credential'], 'credential')
        if not (isinstance(credential, dict) and {'principal', 'secret'} <= set(credential)):
            raise FlagError('Failed to load credential: expected {"principal": ..., "secret": ...}')
        record['credential_principal'] = credential['principal']
    http = read_credentials(flags['http_credentials'], 'HTTP credentials') if 'http_credentials' in flags else None
    for realm, flag in (('readonly', 'authenticate_http_readonly'), ('readwrite', 'authenticate_http_readwrite')):
        if is_true(flags, flag) and http is None:
            raise FlagError(
                f"No credentials provided for the default 'basic' HTTP authenticator for realm 'mesos-agent-{realm}'"
            )
    record['http_credential_principals'] = sorted(http or {})
    return record, http


def log(level, message):
    print(f'{level} TEST DOUBLE mesos: {message}', file=sys.stderr, flush=True)


def make_handler(daemon, flags, credentials, state):
    prefix = '/master' if daemon == 'master' else '/slave(1)'
    realm = f'mesos-{daemon}-readonly'

    class Handler(BaseHTTPRequestHandler):
        server_version = f'mesos-double/{VERSION}'

        def log_message(self, fmt, *args):
            log('I', f'{self.address_string()} {fmt % args}')

        def _authorized(self):
            if not is_true(flags, 'authenticate_http_readonly'):
                return True
            header = self.headers.get('Authorization', '')
            if not header.startswith('Basic '):
                return False
            try:
                principal, _colon, secret = base64.b64decode(header[6:], validate=True).decode().partition(':')
            except (binascii.Error, UnicodeDecodeError):
                return False
            expected = (credentials or {}).get(principal)
            return expected is not None and hmac.compare_digest(expected.encode(), secret.encode())

        def _send(self, status, body=b'', content_type='application/json'):
            self.send_response(status)
            if status == 401:
                self.send_header('WWW-Authenticate', f'Basic realm="{realm}"')
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = self.path.split('?', 1)[0]
            endpoint = path[len(prefix) :] if path.startswith(prefix + '/') else path
            if endpoint == '/health':
                self._send(200, content_type='text/plain')
            elif endpoint in ('/flags', '/state'):
                if not self._authorized():
                    self._send(401, b'', 'text/plain')
                    return
                body = {'flags': flags} if endpoint == '/flags' else state
                self._send(200, json.dumps(body).encode())
            else:
                self._send(404, b'', 'text/plain')

    return Handler


def main(argv):
    if len(argv) < 1 or argv[0] not in ('master', 'agent'):
        print('usage: mesos_double.py master|agent [flags]', file=sys.stderr)
        return 1
    daemon, args = argv[0], argv[1:]
    known, aliases = (MASTER_FLAGS, MASTER_ALIASES) if daemon == 'master' else (AGENT_FLAGS, AGENT_ALIASES)
    try:
        flags, sources = load_flags(known, aliases, os.environ, args)
        if is_true(flags, 'version'):
            print(f'mesos {VERSION}')
            return 0
        record, credentials = check_master(flags) if daemon == 'master' else check_agent(flags)
        port = number(flags, 'port') if 'port' in flags else (5050 if daemon == 'master' else 5051)
    except FlagError as error:
        print(f'{error}\n\nUsage: mesos-{daemon} [options] (TEST DOUBLE)', file=sys.stderr)
        return 1

    os.makedirs(flags['work_dir'], exist_ok=True)
    if 'log_dir' in flags:
        os.makedirs(flags['log_dir'], exist_ok=True)
        with open(os.path.join(flags['log_dir'], f'mesos-{daemon}.double.log'), 'a', encoding='utf-8') as handle:
            handle.write(f'TEST DOUBLE mesos-{daemon} pid {os.getpid()} started with {len(flags)} flags\n')
    host = flags.get('ip', '')
    state = {
        'version': VERSION,
        'hostname': flags.get('hostname', os.uname().nodename),
        'pid': f'{daemon if daemon == "master" else "slave(1)"}@{host or "0.0.0.0"}:{port}',  # noqa: S104 (text)
        'flags': flags,
    }
    os.makedirs(RECORD_DIR, exist_ok=True)
    path = os.path.join(RECORD_DIR, f'{daemon}.json')
    fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        json.dump(
            {'daemon': daemon, 'pid': os.getpid(), 'flags': flags, 'sources': sources, **record}, handle, indent=2
        )
    os.replace(path + '.tmp', path)

    server = ThreadingHTTPServer((host, port), make_handler(daemon, flags, credentials, state))
    signal.signal(signal.SIGTERM, lambda *_signal: sys.exit(0))
    log('I', f'mesos-{daemon} listening on {host or "*"}:{port}; flags recorded in {path}')
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
