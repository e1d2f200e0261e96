"""Test double of INDIGO IAM's token endpoint (``POST /token``), modelled on what IAM documents
and its tests show (see docs/modules.md):

- client authentication by HTTP Basic (default) or ``client_secret_post``; a bad client gives
  401 ``invalid_client``; both methods at once give 400 ``invalid_request``;
- ``client_credentials``: scopes must be among the client's; no refresh token;
- token exchange: ``subject_token`` required (400 ``invalid_request``); an unknown or expired
  one gives 401 ``invalid_token``; ``actor_token``/``want_composite`` give 400
  ``invalid_request`` "Delegation not supported"; scope defaults to the subject token's; with
  ``offline_access`` a refresh token is issued, unless the subject token was issued to the same
  client (403 ``access_denied``); ``audience`` becomes ``aud``;
- ``refresh_token``: unknown or another client's gives 400 ``invalid_grant``;
- other grants: 400 ``unsupported_grant_type``.

Access tokens are JWTs (HS256 with a key of this double) with ``exp``, ``scope``, ``aud``,
``sub``, ``client_id``; ``introspect(token)`` lets the orchestrator double check them.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time

from doubles._server import DoubleServer, reply

GRANT_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
CLIENT_ID = 'dodas-client'  # the client the integration tests register


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


class IamDouble:
    def __init__(self, lifetime=3600):
        self.key = secrets.token_bytes(32)
        self.lifetime = lifetime
        self.clients = {}
        self.tokens = {}  # access token -> claims
        self.refresh_tokens = {}  # refresh token -> {client_id, sub, scope}
        self.server = DoubleServer(self)
        self.issuer = self.server.url + '/'

    # -- set-up ----------------------------------------------------------------------------
    def add_client(self, client_id, client_secret, scopes=('openid', 'profile', 'offline_access')):
        self.clients[client_id] = {'secret': client_secret, 'scopes': set(scopes)}

    def user_token(self, sub='alice', client_id='user-client', scope=('openid', 'profile'), lifetime=None, aud=None):
        """A token as if the user got it from another client (the subject of an exchange)."""
        return self._issue(sub, client_id, list(scope), aud, lifetime)

    def introspect(self, token):
        """The claims of a token this double issued and that has not expired, else None."""
        claims = self.tokens.get(token)
        if not claims or claims['exp'] <= time.time():
            return None
        return claims

    # -- tokens ----------------------------------------------------------------------------
    def _issue(self, sub, client_id, scope, aud=None, lifetime=None):
        now = int(time.time())
        claims = {
            'iss': self.issuer,
            'sub': sub,
            'client_id': client_id,
            'scope': ' '.join(scope),
            'iat': now,
            'exp': now + (self.lifetime if lifetime is None else lifetime),
            'jti': secrets.token_hex(8),
        }
        if aud:
            claims['aud'] = aud
        header = _b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': 'double'}).encode())
        payload = _b64(json.dumps(claims).encode())
        signature = _b64(hmac.new(self.key, (f'{header}.{payload}').encode(), hashlib.sha256).digest())
        token = f'{header}.{payload}.{signature}'
        self.tokens[token] = claims
        return token

    def _answer(self, sub, client_id, scope, aud=None, refresh=None):
        token = self._issue(sub, client_id, scope, aud)
        body = {
            'access_token': token,
            'token_type': 'Bearer',
            'expires_in': self.lifetime - 1,
            'scope': ' '.join(scope),
        }
        if refresh is None and 'offline_access' in scope:
            refresh = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = {'client_id': client_id, 'sub': sub, 'scope': scope}
        if refresh:
            body['refresh_token'] = refresh
        if client_id and scope and sub != client_id:
            body['issued_token_type'] = 'urn:ietf:params:oauth:token-type:jwt'
        return reply(200, body, headers={'Cache-Control': 'no-store'})

    @staticmethod
    def _error(status, error, description):
        return reply(status, {'error': error, 'error_description': description})

    # -- HTTP ------------------------------------------------------------------------------
    def handle(self, request):
        if request.path == '/.well-known/openid-configuration' and request.method == 'GET':
            return reply(200, {'issuer': self.issuer, 'token_endpoint': self.issuer + 'token'})
        if request.path != '/token':
            return reply(404, {'error': 'not_found'})
        if request.method != 'POST':
            return reply(405, {'error': 'method_not_allowed'})
        if 'application/x-www-form-urlencoded' not in request.headers.get('content-type', ''):
            return self._error(400, 'invalid_request', 'form-encoded body expected')
        form = request.form()
        client_id, problem = self._client(request, form)
        if problem:
            return problem
        grant = form.get('grant_type')
        requested = form['scope'].split() if form.get('scope') else None
        allowed = self.clients[client_id]['scopes']
        if grant == 'client_credentials':
            scope = requested or sorted(allowed - {'offline_access'})
            if not set(scope) <= allowed:
                return self._error(
                    400, 'invalid_scope', 'Invalid scope: {}'.format(' '.join(sorted(set(scope) - allowed)))
                )
            return self._issue_without_refresh(client_id, scope)
        if grant == GRANT_EXCHANGE:
            return self._exchange(client_id, form, requested, allowed)
        if grant == 'refresh_token':
            stored = self.refresh_tokens.get(form.get('refresh_token') or '')
            if not stored or stored['client_id'] != client_id:
                return self._error(400, 'invalid_grant', 'Invalid refresh token')
            scope = requested or stored['scope']
            if not set(scope) <= set(stored['scope']):
                return self._error(400, 'invalid_scope', 'Up-scoping is not allowed.')
            return self._answer(stored['sub'], client_id, scope, refresh=form['refresh_token'])
        return self._error(400, 'unsupported_grant_type', f'Unsupported grant type: {grant}')

    def _issue_without_refresh(self, client_id, scope):
        status, headers, payload = self._answer(client_id, client_id, scope, refresh='')
        return status, headers, payload

    def _client(self, request, form):
        basic = request.headers.get('authorization', '')
        in_body = 'client_secret' in form
        if basic.startswith('Basic ') and in_body:
            return None, self._error(400, 'invalid_request', 'multiple client authentication methods')
        if basic.startswith('Basic '):
            try:
                from urllib.parse import unquote_plus

                pair = base64.b64decode(basic[6:]).decode('utf-8')
                client_id, secret = (unquote_plus(x) for x in pair.split(':', 1))
            except ValueError:
                return None, self._error(401, 'invalid_client', 'Bad client credentials')
        elif in_body:
            client_id, secret = form.get('client_id', ''), form['client_secret']
        else:
            return None, self._error(401, 'invalid_client', 'Full authentication is required')
        client = self.clients.get(client_id)
        if not client or not hmac.compare_digest(client['secret'], secret):
            return None, self._error(401, 'invalid_client', 'Bad client credentials')
        return client_id, None

    def _exchange(self, client_id, form, requested, allowed):
        if form.get('actor_token') or form.get('want_composite'):
            return self._error(400, 'invalid_request', 'Delegation not supported')
        subject_token = form.get('subject_token')
        if not subject_token:
            return self._error(400, 'invalid_request', 'subject_token is required')
        subject = self.introspect(subject_token)
        if not subject:
            return self._error(401, 'invalid_token', 'Invalid subject token')
        scope = requested or subject['scope'].split()
        if 'offline_access' in scope and subject['client_id'] == client_id:
            return reply(403, {'error': 'access_denied', 'error_description': 'Token exchange not allowed'})
        if not set(scope) <= (set(subject['scope'].split()) | allowed):
            return self._error(400, 'invalid_scope', 'Invalid scope')
        return self._answer(subject['sub'], client_id, scope, aud=form.get('audience'))
