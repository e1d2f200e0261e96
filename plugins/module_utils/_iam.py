# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)
#
# This module util is PRIVATE to the dodas.dodas collection. It may change without notice.
"""INDIGO IAM token grants and the token-file cache. No Ansible in here: unit tests drive it.

Grants, as INDIGO IAM implements them (POST ``<issuer>/token``, form-encoded):

- ``client_credentials``: ``scope``;
- token exchange (RFC 8693): ``subject_token``, ``subject_token_type`` (access token), optional
  ``audience`` and ``scope``. IAM rejects ``actor_token`` and ``want_composite`` ("Delegation
  not supported") and ignores ``resource``/``requested_token_type``: they are never sent;
- ``refresh_token``: ``refresh_token``, optional ``scope``.

Client authentication is HTTP Basic (``client_secret_basic``) unless ``client_secret_post``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import os
import tempfile
import time

from ansible.module_utils.six.moves.urllib.parse import quote_plus

from ansible_collections.dodas.dodas.plugins.module_utils._http import HttpClient, HttpError

GRANT_CLIENT_CREDENTIALS = 'client_credentials'
GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'  # noqa: S105 (a name, not a secret)
GRANT_REFRESH_TOKEN = 'refresh_token'  # noqa: S105 (a name, not a secret)
ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'  # noqa: S105 (a name, not a secret)
GRANTS = {
    'client_credentials': GRANT_CLIENT_CREDENTIALS,
    'token_exchange': GRANT_TOKEN_EXCHANGE,
    'refresh_token': GRANT_REFRESH_TOKEN,
}
AUTH_METHODS = ('client_secret_basic', 'client_secret_post')


class TokenError(HttpError):
    """An error about a token that is not an HTTP failure (bad file, missing oidc-agent)."""


def _b64url_json(part):
    padded = part + '=' * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode('ascii')).decode('utf-8'))


def jwt_claims(token):
    """The claims of a JWT, unverified (only to learn ``exp``, ``scope``, ``aud``); None if the
    token is not a JWT (IAM may issue opaque tokens)."""
    parts = (token or '').split('.')
    if len(parts) != 3:
        return None
    try:
        claims = _b64url_json(parts[1])
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None


def iso_utc(epoch):
    if epoch is None:
        return None
    moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def token_still_good(token, min_valid_seconds, scope=None, audience=None, now=None):
    """Whether ``token`` stays valid for more than ``min_valid_seconds`` and was issued for the
    requested ``scope`` (all of them) and ``audience``. Returns ``(good, reason)``."""
    claims = jwt_claims(token)
    if claims is None:
        return False, 'the file does not hold a JWT whose expiry can be read'
    exp = claims.get('exp')
    if not isinstance(exp, (int, float)):
        return False, 'the token has no exp claim'
    now = time.time() if now is None else now
    left = exp - now
    if left <= min_valid_seconds:
        return False, 'the token expires in %d s (min_valid_seconds is %d)' % (left, min_valid_seconds)
    if scope:
        granted = set(str(claims.get('scope', '')).split())
        missing = sorted(set(scope) - granted)
        if missing:
            return False, 'the token lacks the scope(s) %s' % ' '.join(missing)
    if audience:
        aud = claims.get('aud')
        auds = aud if isinstance(aud, list) else [aud]
        if audience not in auds:
            return False, 'the token is not for the audience %s' % audience
    return True, 'the token is valid for %d s more' % left


def read_token_file(path):
    """The token in ``path`` (first non-empty line), or None when the file does not exist."""
    try:
        with open(path, encoding='utf-8') as handle:
            for line in handle:
                if line.strip():
                    return line.strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeError) as exc:
        raise TokenError('cannot read the token file %s: %s' % (path, exc)) from None
    return None


def write_token_file(path, token):
    """Write ``token`` to ``path`` atomically (temporary file in the same folder, mode 0600,
    fsync, rename): a reader never sees a partial token, and the token is never world-readable."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise TokenError('cannot write the token file %s: the folder %s does not exist' % (path, folder))
    fd, tmp = tempfile.mkstemp(prefix='.token-', dir=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            handle.write(token + '\n')
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise TokenError('cannot write the token file %s: %s' % (path, exc)) from None


class IamClient:
    """Token requests to one IAM token endpoint."""

    def __init__(self, token_endpoint, client_id, client_secret, auth_method='client_secret_basic', **http_options):
        if auth_method not in AUTH_METHODS:
            raise ValueError('auth_method must be one of %s' % ', '.join(AUTH_METHODS))
        self.token_endpoint = token_endpoint
        self.client_id = client_id
        self.client_secret = client_secret
        self.auth_method = auth_method
        self.http = HttpClient(token_endpoint, secrets=[client_secret], **http_options)

    def build_request(self, grant, scope=None, audience=None, subject_token=None, refresh_token=None):
        """The form body and headers for ``grant`` (a key of ``GRANTS``)."""
        if grant not in GRANTS:
            raise ValueError('unknown grant %r' % (grant,))
        form = {'grant_type': GRANTS[grant]}
        if grant == 'token_exchange':
            if not subject_token:
                raise ValueError('token_exchange needs subject_token')
            form['subject_token'] = subject_token
            form['subject_token_type'] = ACCESS_TOKEN_TYPE
            if audience:
                form['audience'] = audience
        elif grant == 'refresh_token':
            if not refresh_token:
                raise ValueError('refresh_token grant needs refresh_token')
            form['refresh_token'] = refresh_token
        if scope:
            form['scope'] = ' '.join(scope)
        headers = {}
        if self.auth_method == 'client_secret_basic':
            # RFC 6749 2.3.1: id and secret are form-encoded before Basic encoding.
            pair = '%s:%s' % (quote_plus(self.client_id), quote_plus(self.client_secret))
            headers['Authorization'] = 'Basic ' + base64.b64encode(pair.encode('utf-8')).decode('ascii')
        else:
            form['client_id'] = self.client_id
            form['client_secret'] = self.client_secret
        return form, headers

    def fetch(self, grant, scope=None, audience=None, subject_token=None, refresh_token=None, now=None):
        """Request a token; returns a dict with ``access_token``, ``token_type``, ``expires_in``,
        ``expires_at`` (ISO 8601 UTC), ``scope`` (list), ``refresh_token`` (or None)."""
        for secret in (subject_token, refresh_token):
            self.http.add_secret(secret)
        form, headers = self.build_request(grant, scope, audience, subject_token, refresh_token)
        now = time.time() if now is None else now
        # A token request changes nothing a repeat would duplicate: retry it like a GET.
        answer = self.http.request('POST', '', form=form, headers=headers, retry_unsafe=True).data
        if not isinstance(answer, dict) or not answer.get('access_token'):
            raise HttpError(
                'the token endpoint answered without an access_token',
                status=200,
                body=self.http._error_body(json.dumps(answer), 'application/json'),  # pylint: disable=protected-access
                url=self.http.base_url,
            )
        return token_result(answer, now)


def token_result(answer, now):
    access_token = answer['access_token']
    expires_in = answer.get('expires_in')
    claims = jwt_claims(access_token) or {}
    if isinstance(expires_in, (int, float)):
        expires_at = now + expires_in
    elif isinstance(claims.get('exp'), (int, float)):
        expires_at = claims['exp']
        expires_in = int(expires_at - now)
    else:
        expires_at = None
    scope = answer.get('scope', claims.get('scope', ''))
    return {
        'access_token': access_token,
        'token_type': answer.get('token_type', 'Bearer'),
        'expires_in': int(expires_in) if expires_in is not None else None,
        'expires_at': iso_utc(expires_at),
        'scope': str(scope or '').split(),
        'refresh_token': answer.get('refresh_token'),
    }


def from_cached(token, now=None):
    """The same result shape for a token read back from a file."""
    now = time.time() if now is None else now
    claims = jwt_claims(token) or {}
    exp = claims.get('exp')
    return {
        'access_token': token,
        'token_type': 'Bearer',
        'expires_in': int(exp - now) if isinstance(exp, (int, float)) else None,
        'expires_at': iso_utc(exp) if isinstance(exp, (int, float)) else None,
        'scope': str(claims.get('scope', '')).split(),
        'refresh_token': None,
    }


def oidc_agent_token(account, min_valid_seconds=0, scope=None, audience=None, application_hint='dodas.dodas'):
    """A token from a running oidc-agent through ``liboidcagent`` (imported here, so the
    collection does not need it unless this is used)."""
    try:
        import liboidcagent  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise TokenError(
            'reading a token from oidc-agent needs the Python library liboidcagent on the host that runs '
            'the module (pip install liboidcagent) and a running oidc-agent (OIDC_SOCK set)'
        ) from None
    try:
        response = liboidcagent.get_token_response(
            account,
            min_valid_period=min_valid_seconds,
            application_hint=application_hint,
            scope=' '.join(scope) if scope else None,
            audience=audience,
        )
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # liboidcagent raises OidcAgentError (and subclasses) for every agent failure.
        raise TokenError('oidc-agent could not give a token for the account %r: %s' % (account, exc)) from None
    token = response.get('token') if isinstance(response, dict) else None
    if not token:
        raise TokenError('oidc-agent answered without a token for the account %r' % (account,))
    result = from_cached(token)
    if response.get('expires_at'):
        result['expires_at'] = iso_utc(response['expires_at'])
        result['expires_in'] = int(response['expires_at'] - time.time())
    return result
