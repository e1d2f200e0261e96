"""A small threaded HTTP server on 127.0.0.1 for the doubles, with fault injection."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query  # dict of str -> str (last value)
        self.headers = headers  # dict, lower-case keys
        self.body = body  # bytes

    def form(self):
        return {k: v[-1] for k, v in parse_qs(self.body.decode('utf-8'), keep_blank_values=True).items()}

    def json(self):
        return json.loads(self.body.decode('utf-8') or 'null')


def reply(status, body=None, content_type='application/json', headers=None):
    if isinstance(body, (dict, list)):
        payload = json.dumps(body).encode('utf-8')
    elif body is None:
        payload = b''
    else:
        payload = body.encode('utf-8') if isinstance(body, str) else body
    return status, dict(headers or {}, **{'Content-Type': content_type}), payload


class DoubleServer:
    """Serves ``app.handle(request) -> (status, headers, body)``.

    ``faults`` is a list consumed one per request before the app sees it: an int answers that
    HTTP status with a JSON error, ``('delay', s)`` waits s seconds first, ``'garbage'``
    answers 200 with a non-JSON body. ``requests`` records every request.
    """

    def __init__(self, app):
        self.app = app
        self.faults = []
        self.requests = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                request = Request(
                    self.command, parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with server._lock:
                    server.requests.append(request)
                    fault = server.faults.pop(0) if server.faults else None
                if isinstance(fault, tuple) and fault[0] == 'delay':
                    time.sleep(fault[1])
                    fault = None
                if isinstance(fault, int):
                    status, headers, payload = reply(fault, {'error': 'injected', 'message': 'injected fault'})
                    if fault == 429:
                        headers['Retry-After'] = '0'
                elif fault == 'garbage':
                    status, headers, payload = reply(200, '<html>not json</html>', 'application/json')
                else:
                    with server._lock:
                        status, headers, payload = server.app.handle(request)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                if self.command != 'HEAD':
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve  # noqa: N815 (http.server names)

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f'http://127.0.0.1:{self.port}'
        self._thread = threading.Thread(target=self.httpd.serve_forever, name=f'double-{self.port}', daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
