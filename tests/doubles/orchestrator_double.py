"""Test double of the INDIGO PaaS Orchestrator's ``/deployments`` API, modelled on its
documented behaviour (see docs/modules.md):

- ``Authorization: Bearer <token>``, checked with ``introspect`` (the IAM double's): a missing,
  unknown or expired token gives 401; POST/PUT/DELETE need the ``offline_access`` scope (403);
- errors are ``{"code", "title", "message"}``;
- ``GET /deployments`` filters ``createdBy`` (``me`` or ``sub@issuer``) and ``userGroup``, pages
  with ``page``/``size`` and links ``first``/``prev``/``self``/``next``/``last``;
- ``POST /deployments`` → 201 ``CREATE_IN_PROGRESS``; the request is checked like
  ``DeploymentRequest`` (template required, ``timeoutMins``/``providerTimeoutMins``/
  ``maxProvidersRetry`` ≥ 1, provider timeout ≤ timeout, callback http(s));
- ``PUT`` → 202 only from ``CREATE_COMPLETE``, ``UPDATE_COMPLETE``, ``UPDATE_FAILED``, else 409;
- ``DELETE`` → 204; 409 when already ``DELETE_IN_PROGRESS``/``DELETE_COMPLETE``; a deleted
  deployment is gone (404) once the deletion completes;
- ``/template`` (as sent) and ``/log`` as ``text/plain``; another user's deployment gives 403.

A deployment advances one step each time it is read (``GET /deployments/<uuid>``) after
``steps`` reads: in progress → complete. A parameter ``double_fail: true`` makes the create
(or update) fail, with a reason and a log.
"""

import datetime
import re
import uuid as uuidlib
from urllib.parse import urlencode

from doubles._server import DoubleServer, reply

UPDATABLE = ('CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_FAILED')


def _now():
    return datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%dT%H:%M+0000')


def _error(status, title, message):
    return reply(status, {'code': status, 'title': title, 'message': message})


class OrchestratorDouble:
    def __init__(self, introspect, steps=2):
        self.introspect = introspect
        self.steps = steps
        self.deployments = {}  # uuid -> record (insertion order = creation order)
        self.server = DoubleServer(self)
        self.url = self.server.url

    # -- helpers ---------------------------------------------------------------------------
    def _resource(self, dep):
        base = '{}/deployments/{}'.format(self.url, dep['uuid'])
        fields = (
            'uuid',
            'creationTime',
            'updateTime',
            'physicalId',
            'status',
            'statusReason',
            'outputs',
            'task',
            'callback',
            'userGroup',
            'cloudProviderName',
            'createdBy',
        )
        out = {k: dep.get(k) for k in fields}
        out['links'] = [
            {'rel': 'self', 'href': base},
            {'rel': 'template', 'href': base + '/template'},
            {'rel': 'resources', 'href': base + '/resources'},
        ]
        return out

    def _owner(self, claims):
        return {'issuer': claims['iss'], 'subject': claims['sub']}

    def _advance(self, dep):
        dep['reads'] += 1
        if dep['reads'] < self.steps:
            return
        status = dep['status']
        failing = str(dep['parameters'].get('double_fail', '')).lower() in ('true', '1', 'yes')
        if status == 'CREATE_IN_PROGRESS':
            dep['status'] = 'CREATE_FAILED' if failing else 'CREATE_COMPLETE'
        elif status == 'UPDATE_IN_PROGRESS':
            dep['status'] = 'UPDATE_FAILED' if failing else 'UPDATE_COMPLETE'
        elif status == 'DELETE_IN_PROGRESS':
            del self.deployments[dep['uuid']]
            return
        else:
            return
        dep['updateTime'] = _now()
        dep['task'] = 'NONE'
        if dep['status'].endswith('FAILED'):
            dep['statusReason'] = 'Error deploying: no provider could satisfy the request'
            dep['log'] += 'ERROR: provider cloud-a failed: quota exceeded\nERROR: no more providers to try\n'
        else:
            dep['statusReason'] = None
            dep['outputs'] = {'endpoint': 'https://{}.example.org'.format(dep['uuid'][:8]), 'inputs': dep['parameters']}
            dep['log'] += 'deployment {} complete\n'.format(dep['uuid'])

    @staticmethod
    def _check_request(body):
        if not isinstance(body, dict) or not str(body.get('template') or '').strip():
            return 'template: must not be blank'
        for key in ('timeoutMins', 'providerTimeoutMins', 'maxProvidersRetry'):
            if key in body and (not isinstance(body[key], int) or body[key] < 1):
                return f'{key}: must be greater than or equal to 1'
        if body.get('providerTimeoutMins', 0) > body.get('timeoutMins', 10**9):
            return 'providerTimeoutMins: must not be greater than timeoutMins'
        if body.get('callback') and not re.match(r'^https?://', body['callback']):
            return 'callback: must be a valid URL'
        if not isinstance(body.get('parameters', {}), dict):
            return 'parameters: must be a map'
        return None

    # -- HTTP ------------------------------------------------------------------------------
    def handle(self, request):
        auth = request.headers.get('authorization', '')
        if not auth.startswith('Bearer '):
            return _error(401, 'Unauthorized', 'Full authentication is required to access this resource')
        claims = self.introspect(auth[7:].strip())
        if not claims:
            return _error(401, 'Unauthorized', 'Invalid access token: expired or unknown')
        writes = request.method in ('POST', 'PUT', 'DELETE', 'PATCH')
        if writes and 'offline_access' not in claims['scope'].split():
            return _error(403, 'Forbidden', 'Insufficient scope for this resource')
        parts = [p for p in request.path.split('/') if p]
        if not parts or parts[0] != 'deployments':
            return _error(404, 'Not Found', f'No handler for {request.method} {request.path}')
        if len(parts) == 1:
            if request.method == 'GET':
                return self._list(request, claims)
            if request.method == 'POST':
                return self._create(request, claims)
            return _error(405, 'Method Not Allowed', 'Request method not supported')
        dep = self.deployments.get(parts[1])
        if dep is None:
            return _error(404, 'Not Found', f"The deployment <{parts[1]}> doesn't exist")
        if dep['createdBy'] != self._owner(claims):
            return _error(403, 'Forbidden', 'Access is denied')
        if len(parts) == 3 and request.method == 'GET' and parts[2] in ('template', 'log'):
            return reply(200, dep[parts[2]], 'text/plain;charset=UTF-8')
        if len(parts) > 2:
            return _error(404, 'Not Found', f'No handler for {request.path}')
        if request.method == 'GET':
            self._advance(dep)
            dep = self.deployments.get(parts[1])
            if dep is None:
                return _error(404, 'Not Found', f"The deployment <{parts[1]}> doesn't exist")
            return reply(200, self._resource(dep))
        if request.method == 'PUT':
            return self._update(request, dep)
        if request.method == 'DELETE':
            if dep['status'] in ('DELETE_IN_PROGRESS', 'DELETE_COMPLETE'):
                return _error(409, 'Conflict', 'Deployment already in {} state.'.format(dep['status']))
            dep.update(status='DELETE_IN_PROGRESS', task='DEPLOYER', reads=0, updateTime=_now())
            return reply(204, None)
        if request.method == 'PATCH':
            body = request.json() or {}
            if body.get('status') != 'DELETE_FAILED' or dep['status'] != 'DELETE_IN_PROGRESS':
                return _error(400, 'Bad Request', 'Only DELETE_IN_PROGRESS -> DELETE_FAILED is allowed')
            dep['status'] = 'DELETE_FAILED'
            return reply(204, None)
        return _error(405, 'Method Not Allowed', 'Request method not supported')

    def _list(self, request, claims):
        created_by = request.query.get('createdBy')
        if created_by == 'me':
            created_by = '{}@{}'.format(claims['sub'], claims['iss'])
        group = request.query.get('userGroup')
        items = [
            d
            for d in reversed(list(self.deployments.values()))  # createdAt,DESC
            if d['createdBy'] == self._owner(claims)
            and (not created_by or created_by == '{}@{}'.format(d['createdBy']['subject'], d['createdBy']['issuer']))
            and (not group or d.get('userGroup') == group)
        ]
        try:
            page = int(request.query.get('page', 0))
            size = int(request.query.get('size', 10))
        except ValueError:
            return _error(400, 'Bad Request', 'page and size must be numbers')
        size = max(1, min(size, 100))
        pages = max(1, -(-len(items) // size))
        content = items[page * size : (page + 1) * size]

        def link(rel, number):
            query = {k: v for k, v in request.query.items() if k not in ('page', 'size')}
            query.update(page=number, size=size)
            return {'rel': rel, 'href': f'{self.url}/deployments?{urlencode(query)}'}

        links = [link('first', 0)]
        if page > 0:
            links.append(link('prev', page - 1))
        links.append(link('self', page))
        if page + 1 < pages:
            links.append(link('next', page + 1))
        links.append(link('last', pages - 1))
        return reply(
            200,
            {
                'content': [self._resource(d) for d in content],
                'links': links,
                'page': {'size': size, 'totalElements': len(items), 'totalPages': pages, 'number': page},
            },
        )

    def _create(self, request, claims):
        try:
            body = request.json()
        except ValueError:
            return _error(400, 'Bad Request', 'Malformed JSON request')
        problem = self._check_request(body)
        if problem:
            return _error(400, 'Bad Request', problem)
        uid = str(uuidlib.uuid4())
        dep = {
            'uuid': uid,
            'creationTime': _now(),
            'updateTime': _now(),
            'physicalId': None,
            'status': 'CREATE_IN_PROGRESS',
            'statusReason': None,
            'outputs': {},
            'task': 'NONE',
            'callback': body.get('callback'),
            'userGroup': body.get('userGroup'),
            'cloudProviderName': 'cloud-a',
            'createdBy': self._owner(claims),
            'template': body['template'],
            'parameters': body.get('parameters') or {},
            'request': body,
            'log': f'deployment {uid} accepted\n',
            'reads': 0,
        }
        self.deployments[uid] = dep
        return reply(201, self._resource(dep))

    def _update(self, request, dep):
        if dep['status'] not in UPDATABLE:
            return _error(409, 'Conflict', 'Cannot update a deployment in {} state'.format(dep['status']))
        try:
            body = request.json()
        except ValueError:
            return _error(400, 'Bad Request', 'Malformed JSON request')
        problem = self._check_request(body)
        if problem:
            return _error(400, 'Bad Request', problem)
        dep.update(
            template=body['template'],
            parameters=body.get('parameters') or {},
            request=body,
            status='UPDATE_IN_PROGRESS',
            reads=0,
            updateTime=_now(),
        )
        return reply(202, None)
