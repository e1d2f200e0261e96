"""TEST DOUBLE (dodas.dodas) of Marathon (its start script bin/marathon runs this).

Takes its flags as Marathon 1.5+ does (mesosphere.marathon.Main.envToArgs): every
MARATHON_<FLAG> variable but MARATHON_APP_* becomes --<flag>, an empty value a flag without
value, then the command line; a flag given both ways is refused. It checks what Marathon
checks at start (--master required, known --enable_features, keystore and password together,
--disable_http only with HTTPS, principal with --mesos_authentication, a readable secret
file), runs `java -version` the way the start script finds Java (JAVA_HOME, else PATH), opens
the PKCS12 keystore with its password (through openssl), and serves /ping, /v2/info,
/v2/apps and /v2/leader over HTTP and HTTPS with HTTP basic authentication on every path
when --http_credentials is set (as Marathon does, /ping included).

It schedules nothing and talks to neither Mesos nor ZooKeeper. The effective flags (secrets
masked) are written to /var/lib/marathon-double/effective-flags.json for the tests to read.
"""

import base64
import hmac
import http.server
import json
import os
import shutil
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading

VERSION = '0~dodas.double'
STATE = os.environ.get('DODAS_MARATHON_DOUBLE_STATE', '/var/lib/marathon-double/effective-flags.json')
# Features Marathon 1.9 to 1.11 accept (mesosphere.marathon.Features.toggleableFeatures).
FEATURES = {'external_volumes', 'gpu_resources', 'task_killing', 'vips'}
SECRET_FLAGS = {'http_credentials', 'ssl_keystore_password', 'mesos_authentication_secret'}


def die(message):
    print(f'[marathon double] {message}', file=sys.stderr, flush=True)
    sys.exit(1)


def parse(tokens, source):
    """--flag value / --flag=value / --flag (no value) into a dict."""
    flags, i = {}, 0
    while i < len(tokens):
        token = tokens[i]
        if not token.startswith('--'):
            die(f'unexpected argument {token!r} ({source})')
        name, eq, value = token[2:].partition('=')
        if not eq:
            if i + 1 < len(tokens) and not tokens[i + 1].startswith('--'):
                value = tokens[i + 1]
                i += 1
            else:
                value = ''
        flags[name] = value
        i += 1
    return flags


def env_to_args(environ):
    args = []
    for key in sorted(environ):
        if key.startswith('MARATHON_APP_') or not key.startswith('MARATHON_'):
            continue
        args.append('--' + key[len('MARATHON_') :].lower())
        if environ[key]:
            args.append(environ[key])
    return args


def find_java():
    home = os.environ.get('JAVA_HOME')
    java = os.path.join(home, 'bin', 'java') if home else shutil.which('java')
    if not java or not os.access(java, os.X_OK):
        die('No java installations was detected.' + (f' (JAVA_HOME={home})' if home else ''))
    run = subprocess.run([java, '-version'], capture_output=True, text=True, check=False)
    if run.returncode != 0:
        die(f'{java} -version failed: {run.stderr.strip()}')
    return java, run.stderr.strip().splitlines()[0]


def check(flags):
    if not flags.get('master'):
        die("Error: Required option 'master' not found")
    features = {f.strip() for f in flags.get('enable_features', '').split(',') if f.strip()}
    unknown = sorted(features - FEATURES)
    if unknown:
        die(f'Unknown features specified: {", ".join(unknown)}. Available features are: {", ".join(sorted(FEATURES))}')
    if 'ssl_keystore_path' in flags and not flags.get('ssl_keystore_password'):
        die('--ssl_keystore_path requires --ssl_keystore_password')
    if 'disable_http' in flags and 'ssl_keystore_path' not in flags:
        die('--disable_http is only allowed with HTTPS (--ssl_keystore_path)')
    if 'mesos_authentication' in flags:
        if not flags.get('mesos_authentication_principal'):
            die('--mesos_authentication requires --mesos_authentication_principal')
        if 'mesos_authentication_secret' in flags and 'mesos_authentication_secret_file' in flags:
            die('--mesos_authentication_secret and --mesos_authentication_secret_file are mutually exclusive')
        secret_file = flags.get('mesos_authentication_secret_file')
        if secret_file:
            try:
                with open(secret_file, 'rb') as handle:
                    if not handle.read():
                        die(f'the Mesos secret file {secret_file} is empty')
            except OSError as error:
                die(f'cannot read the Mesos secret file: {error}')
    library = os.environ.get('MESOS_NATIVE_JAVA_LIBRARY')
    if library and not os.path.isfile(library):
        die(f'Failed to load native Mesos library from {library}')


def tls_context(flags):
    """The keystore as Jetty would open it: PKCS12 with its password (openssl exports it)."""
    env = dict(os.environ, DOUBLE_KEYSTORE_PASSWORD=flags['ssl_keystore_password'])
    run = subprocess.run(
        ['openssl', 'pkcs12', '-in', flags['ssl_keystore_path'], '-passin', 'env:DOUBLE_KEYSTORE_PASSWORD', '-nodes'],
        capture_output=True,
        env=env,
        check=False,
    )
    if run.returncode != 0:
        die(f'cannot open the keystore {flags["ssl_keystore_path"]}: {run.stderr.decode(errors="replace").strip()}')
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        pem = os.path.join(tmp, 'keystore.pem')
        with open(os.open(pem, os.O_WRONLY | os.O_CREAT, 0o600), 'wb') as handle:
            handle.write(run.stdout)
        context.load_cert_chain(pem)
    return context


def handler_for(flags, info):
    credentials = flags.get('http_credentials')
    realm = flags.get('http_realm', 'Mesosphere')
    expected = 'Basic ' + base64.b64encode(credentials.encode()).decode() if credentials else None

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = 'marathon-double'

        def log_message(self, fmt, *args):
            print(f'[marathon double] {self.address_string()} {fmt % args}', flush=True)

        def reply(self, status, body, kind='application/json'):
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header('Content-Type', kind)
            self.send_header('Content-Length', str(len(data)))
            if status == 401:
                self.send_header('WWW-Authenticate', f'Basic realm="{realm}"')
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if expected and not hmac.compare_digest(self.headers.get('Authorization', ''), expected):
                return self.reply(401, {'message': 'Invalid username or password.'})
            path = self.path.split('?')[0].rstrip('/')
            if path == '/ping':
                return self.reply(200, 'pong\n', 'text/plain')
            if path == '/v2/info':
                return self.reply(200, info)
            if path == '/v2/apps':
                return self.reply(200, {'apps': []})
            if path == '/v2/leader':
                return self.reply(200, {'leader': info['leader']})
            return self.reply(404, {'message': f'{path} not found'})

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    from_env, from_args = parse(env_to_args(os.environ), 'environment'), parse(sys.argv[1:], 'command line')
    both = sorted(set(from_env) & set(from_args))
    if both:
        die(f'given both as MARATHON_* variable and on the command line: {", ".join(both)}')
    flags = {**from_env, **from_args}
    if 'help' in flags:
        print('Marathon TEST DOUBLE (dodas.dodas): flags as MARATHON_<FLAG> or --flag value.')
        return
    check(flags)
    java, java_version = find_java()
    https = 'ssl_keystore_path' in flags
    context = tls_context(flags) if https else None
    hostname = flags.get('hostname') or os.uname().nodename
    https_port = int(flags.get('https_port', '8443'))
    http_port = int(flags.get('http_port', '8080'))
    info = {
        'name': 'marathon',
        'version': VERSION,
        'leader': f'{hostname}:{https_port if "disable_http" in flags else http_port}',
        'http_config': {
            'http_port': None if 'disable_http' in flags else http_port,
            'https_port': https_port if https else None,
        },
        'marathon_config': {
            'master': flags['master'],
            'zk': flags.get('zk', 'zk://localhost:2181/marathon'),
            'hostname': hostname,
            'framework_name': flags.get('framework_name', 'marathon'),
            'features': sorted(f for f in flags.get('enable_features', '').split(',') if f),
            'mesos_authentication': 'mesos_authentication' in flags,
        },
    }
    servers = []
    if 'disable_http' not in flags:
        servers.append(Server((flags.get('http_address', ''), http_port), handler_for(flags, info)))
    if https:
        server = Server((flags.get('https_address', ''), https_port), handler_for(flags, info))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        servers.append(server)
    record = {
        'version': VERSION,
        'flags': {k: ('******' if k in SECRET_FLAGS and v else v) for k, v in sorted(flags.items())},
        'http_user': flags['http_credentials'].split(':', 1)[0] if flags.get('http_credentials') else None,
        'java': java,
        'java_version': java_version,
        'java_opts': os.environ.get('JAVA_OPTS', ''),
        'libprocess_ip': os.environ.get('LIBPROCESS_IP'),
        'user': os.environ.get('USER') or str(os.getuid()),
        'uid': os.getuid(),
        'listening': [s.server_address[1] for s in servers],
    }
    os.makedirs(os.path.dirname(STATE), exist_ok=True)
    with open(os.open(STATE + '.new', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as handle:
        json.dump(record, handle, indent=2, sort_keys=True)
    os.replace(STATE + '.new', STATE)
    print(f'[marathon double] {VERSION} up on ports {record["listening"]} with {java_version}', flush=True)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == '__main__':
    main()
