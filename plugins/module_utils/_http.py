# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)
#
# This module util is PRIVATE to the dodas.dodas collection. It may change without notice.
"""One HTTP helper for the collection's API clients.

Built on ``ansible.module_utils.urls.open_url`` only (no dependency on the target), and free of
``AnsibleModule``: the API clients and the unit tests use it directly. What it does:

- joins a base URL and paths, refuses malformed URLs;
- adds headers from an auth callback on every attempt (a token may be renewed between attempts);
- retries with exponential backoff on connection errors, timeouts, 429 and 5xx; requests that are
  not idempotent (POST, PATCH) are retried only when the server cannot have acted on them
  (connection refused, 429, 503) unless the caller says repeating them is safe;
- decodes JSON with clear errors;
- raises one error type, ``HttpError``, whose message and body never carry a secret.
"""

from __future__ import annotations

import json
import re
import socket
import time
from http.client import HTTPException
from urllib.error import HTTPError, URLError

from ansible.module_utils.six.moves.urllib.parse import urlencode, urljoin, urlsplit
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import SSLValidationError, open_url

REDACTED = '********'
# Keys whose values are secrets wherever they appear (JSON bodies, form bodies, headers).
SECRET_KEYS = (
    'access_token',
    'refresh_token',
    'id_token',
    'subject_token',
    'actor_token',
    'client_secret',
    'password',
    'token',
    'secret',
    'authorization',
)
IDEMPOTENT_METHODS = ('GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS')
BODY_LIMIT = 2000
_JWT_RE = re.compile(r'eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*')
# "key": "value" (JSON) and key=value (forms, query strings, IM auth lines "key = value").
_KEY_RE = re.compile(
    r'(?P<key>"(?:%s)"\s*:\s*"?|\b(?:%s)\s?=\s?"?)(?P<value>[^"&;,\s}]+)'
    % ('|'.join(SECRET_KEYS), '|'.join(SECRET_KEYS)),
    re.IGNORECASE,
)


def redact(text, secrets=()):
    """Return ``text`` with every known secret value, JWT and ``<secret key>=value`` masked."""
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    text = str(text)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = _JWT_RE.sub(REDACTED, text)
    return _KEY_RE.sub(lambda m: m.group('key') + REDACTED, text)


class HttpError(Exception):
    """A failed request: ``msg`` for people, ``status`` (None when no HTTP answer), ``body``
    (decoded JSON or text, secrets masked), ``url`` (without query string)."""

    def __init__(self, msg, status=None, body=None, url=None):
        super().__init__(msg)
        self.msg = msg
        self.status = status
        self.body = body
        self.url = url

    def fail_kwargs(self):
        """The keyword arguments for ``AnsibleModule.fail_json``."""
        result = {'msg': self.msg, 'status': self.status, 'body': self.body}
        if self.url:
            result['url'] = self.url
        return result


class Response:
    """A successful answer: ``status``, ``headers`` (lower-case keys), raw ``body``, ``data``."""

    def __init__(self, status, headers, body, data):
        self.status = status
        self.headers = headers
        self.body = body
        self.data = data


def check_url(url):
    """Raise ``HttpError`` unless ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url or '')
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError as exc:
        raise HttpError('malformed URL %r: %s' % (url, exc)) from None
    if parts.scheme not in ('http', 'https') or not parts.hostname or not port_ok:
        raise HttpError('malformed URL %r: an absolute http:// or https:// URL with a host is needed' % (url,))
    return url


def _public_url(url):
    parts = urlsplit(url)
    netloc = parts.hostname or ''
    if parts.port:
        netloc += ':%d' % parts.port
    return '%s://%s%s' % (parts.scheme, netloc, parts.path)


class HttpClient:
    """Requests against one service.

    ``auth`` is a callable returning a dict of headers (e.g. ``Authorization``), called on every
    attempt. ``secrets`` are values masked in every error; ``add_secret`` adds more (tokens
    received during a run). ``sleep`` and ``clock`` are injectable for tests.
    """

    def __init__(
        self,
        base_url,
        auth=None,
        timeout=30,
        validate_certs=True,
        ca_path=None,
        retries=3,
        backoff=1.0,
        max_backoff=30.0,
        secrets=(),
        user_agent='dodas.dodas',
        sleep=time.sleep,
    ):
        self.base_url = check_url(base_url)
        self._join_base = base_url if base_url.endswith('/') else base_url + '/'
        self.auth = auth
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.secrets = set(s for s in secrets if s)
        self.user_agent = user_agent
        self.sleep = sleep

    def add_secret(self, value):
        if value:
            self.secrets.add(value)

    def redact(self, text):
        return redact(text, self.secrets)

    def url(self, path, params=None):
        """``path`` relative to the base URL (an absolute URL, e.g. a paging link, is kept)."""
        if not path:
            url = self.base_url
        elif urlsplit(path).scheme:
            url = path
        else:
            url = urljoin(self._join_base, path.lstrip('/'))
        check_url(url)
        if params:
            query = urlencode([(k, v) for k, v in params.items() if v is not None])
            if query:
                url += ('&' if '?' in url else '?') + query
        return url

    def _delay(self, attempt, retry_after=None):
        delay = min(self.max_backoff, self.backoff * (2**attempt))
        if retry_after is not None:
            delay = min(self.max_backoff, max(delay, retry_after))
        return delay

    def _decode_body(self, body, content_type):
        text = body.decode('utf-8', 'replace') if isinstance(body, bytes) else (body or '')
        if 'json' in (content_type or ''):
            try:
                return json.loads(text)
            except ValueError:
                pass
        return text

    def _error_body(self, body, content_type):
        decoded = self._decode_body(body, content_type)
        if isinstance(decoded, (dict, list)):
            text = self.redact(json.dumps(decoded))
            try:
                return json.loads(text)
            except ValueError:
                return text
        decoded = self.redact(decoded)
        if len(decoded) > BODY_LIMIT:
            decoded = decoded[:BODY_LIMIT] + '... (truncated)'
        return decoded

    def request(
        self,
        method,
        path,
        params=None,
        json_body=None,
        form=None,
        data=None,
        headers=None,
        accept='application/json',
        decode='json',
        retry_unsafe=False,
        follow_redirects='safe',
    ):
        """Send one request (with retries) and return a ``Response``.

        ``json_body`` is sent as JSON, ``form`` as ``application/x-www-form-urlencoded``,
        ``data`` as is (give its ``Content-Type`` in ``headers``). ``decode`` is ``json`` (the
        answer must be JSON; an empty body gives ``None``), ``text`` or ``none``.
        """
        method = method.upper()
        url = self.url(path, params)
        public = _public_url(url)
        send_headers = {'Accept': accept} if accept else {}
        payload = data
        if json_body is not None:
            payload = json.dumps(json_body)
            send_headers['Content-Type'] = 'application/json'
        elif form is not None:
            payload = urlencode([(k, v) for k, v in form.items() if v is not None])
            send_headers['Content-Type'] = 'application/x-www-form-urlencoded'
        send_headers.update(headers or {})
        safe_to_repeat = retry_unsafe or method in IDEMPOTENT_METHODS

        attempt = 0
        while True:
            request_headers = dict(send_headers)
            if self.auth:
                request_headers.update(self.auth() or {})
            retry_after = None
            try:
                resp = open_url(
                    url,
                    data=payload,
                    headers=request_headers,
                    method=method,
                    timeout=self.timeout,
                    validate_certs=self.validate_certs,
                    ca_path=self.ca_path,
                    http_agent=self.user_agent,
                    follow_redirects=follow_redirects,
                    use_netrc=False,
                )
                status = resp.getcode()
                resp_headers = {k.lower(): v for k, v in resp.headers.items()}
                body = resp.read()
            except HTTPError as exc:
                status = exc.code
                resp_headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
                try:
                    body = exc.read()
                except Exception:  # pylint: disable=broad-exception-caught
                    body = b''
                retryable = status == 429 or status == 503 or (status >= 500 and safe_to_repeat)
                if retryable and attempt < self.retries:
                    retry_after = _retry_after(resp_headers.get('retry-after'))
                    self.sleep(self._delay(attempt, retry_after))
                    attempt += 1
                    continue
                error_body = self._error_body(body, resp_headers.get('content-type'))
                raise HttpError(
                    '%s %s: HTTP %s%s%s' % (method, public, status, _reason(exc), _server_says(error_body)),
                    status=status,
                    body=error_body,
                    url=public,
                ) from None
            except SSLValidationError as exc:
                raise HttpError(
                    '%s %s: TLS verification failed: %s' % (method, public, self.redact(exc)), url=public
                ) from None
            except (URLError, UrlsConnectionError, socket.timeout, OSError, HTTPException) as exc:
                refused = _is_refused(exc)
                if (safe_to_repeat or refused) and attempt < self.retries:
                    self.sleep(self._delay(attempt))
                    attempt += 1
                    continue
                raise HttpError(
                    '%s %s: %s (after %d attempt%s)'
                    % (method, public, _describe(exc, self.timeout), attempt + 1, '' if attempt == 0 else 's'),
                    url=public,
                ) from None
            break

        content_type = resp_headers.get('content-type', '')
        if decode == 'none':
            parsed = None
        elif decode == 'text':
            parsed = body.decode('utf-8', 'replace')
        elif not body.strip():
            parsed = None
        else:
            try:
                parsed = json.loads(body.decode('utf-8'))
            except ValueError:
                raise HttpError(
                    '%s %s: the answer is not JSON (HTTP %s, Content-Type %r)' % (method, public, status, content_type),
                    status=status,
                    body=self._error_body(body, 'text/plain'),
                    url=public,
                ) from None
        return Response(status, resp_headers, body, parsed)


def _reason(exc):
    reason = getattr(exc, 'reason', None) or getattr(exc, 'msg', None)
    return ' %s' % reason if reason else ''


def _server_says(body):
    """The server's own explanation from a JSON error body (orchestrator ``message``, OAuth
    ``error``/``error_description``, IM ``message``), already redacted."""
    if not isinstance(body, dict):
        return ''
    parts = [str(body[k]) for k in ('error', 'error_description', 'message') if body.get(k)]
    text = ' - '.join(parts)
    if len(text) > 300:  # IM puts whole tracebacks in its messages; the body keeps more
        text = text[:300] + '...'
    return ': ' + text if text else ''


def _retry_after(value):
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def _is_refused(exc):
    reason = getattr(exc, 'reason', exc)
    return isinstance(reason, ConnectionRefusedError) or 'refused' in str(reason).lower()


def _describe(exc, timeout):
    reason = getattr(exc, 'reason', exc)
    if isinstance(reason, socket.timeout) or isinstance(exc, socket.timeout) or 'timed out' in str(reason):
        return 'no answer within %s s (timeout)' % timeout
    if isinstance(reason, socket.gaierror):
        return 'cannot resolve the host name (%s)' % reason
    if _is_refused(exc):
        return 'connection refused (is the service running and the URL right?)'
    return 'connection failed: %s' % (reason,)
