# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)
#
# This plugin util is PRIVATE to the dodas.dodas collection. It may change without notice.
"""A TOSCA template of the dodas.dodas type library, read as an Ansible deployment.

Controller-side only (the inventory plugin ``dodas.dodas.tosca`` and the project's TOSCA lint
use it). tosca-parser validates the template; this module then works out what Ansible needs:

- the Compute instances (``scalable.count``, else ``default_instances``, else 1), one inventory
  host each, named ``<deployment>-<compute>-<n>``;
- for every other node: its host Compute (following ``HostedOn``), the role and the inventory
  groups its type's ``Standard.configure`` inputs name (``dodas_role``, ``dodas_groups``), and
  the properties the template sets, with ``get_input``/``get_property``/``concat`` resolved;
- the order in which the nodes are configured: every requirement target before the node;
- ``get_attribute`` of addresses, which only exist once the Compute nodes run, as Jinja
  expressions over ``hostvars[<host>].tosca_private_address`` / ``tosca_public_address``.

Errors are ``ToscaError`` with the file and the node named.

The helpers ``parse_template``, ``function_calls``, ``hosted_on_chain``, ``dependency_order``,
``requirement_definitions`` and ``capability_types`` are what ``Deployment`` and the project's
TOSCA lint (``scripts/tosca-lint``) share.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

try:
    from toscaparser.common.exception import ExceptionCollector
    from toscaparser.tosca_template import ToscaTemplate

    HAS_TOSCA_PARSER = True
    TOSCA_PARSER_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the callers
    HAS_TOSCA_PARSER = False
    TOSCA_PARSER_IMPORT_ERROR = exc

COMPUTE = 'tosca.nodes.Compute'
HOSTED_ON = 'tosca.relationships.HostedOn'
# The functions a Deployment resolves, and every function of TOSCA Simple Profile 1.0-1.3.
FUNCTIONS = ('get_input', 'get_property', 'get_attribute', 'concat')
TOSCA_FUNCTIONS = (*FUNCTIONS, 'join', 'token', 'get_operation_output', 'get_nodes_of_type', 'get_artifact')
# Functions whose arguments may hold further function calls.
NESTING_FUNCTIONS = ('concat', 'join', 'token')
ADDRESS_ATTRIBUTES = {
    'private_address': 'tosca_private_address',
    'public_address': 'tosca_public_address',
    'ip_address': 'tosca_private_address',
}
# The types library of this collection, whatever URL or path a template imports it from.
TYPES_FILE = Path(__file__).resolve().parents[2] / 'tosca' / 'types' / 'dodas.yaml'
TYPES_SUFFIX = '/tosca/types/dodas.yaml'
HOST_RE = re.compile(r'[^a-z0-9-]+')


class ToscaError(Exception):
    """A template that cannot be deployed, with where and why."""


class Runtime:
    """A value known only once the Compute nodes run: a Jinja expression (without braces)."""

    def __init__(self, expr):
        self.expr = expr

    def __eq__(self, other):
        return isinstance(other, Runtime) and other.expr == self.expr

    def __hash__(self):
        return hash(self.expr)

    def __repr__(self):
        return f'Runtime({self.expr!r})'

    def jinja(self):
        return '{{ ' + self.expr + ' }}'


def host_name(deployment, compute, index):
    """Inventory host (and container) name of instance ``index`` (from 1) of a Compute node."""
    raw = f'{deployment}-{compute}-{index}' if deployment else f'{compute}-{index}'
    name = HOST_RE.sub('-', raw.lower()).strip('-')
    return re.sub('-{2,}', '-', name)


def safe_group(name):
    """An Ansible group name for a TOSCA name (letters, digits, underscores)."""
    return re.sub(r'[^A-Za-z0-9_]', '_', name)


def is_derived_from(type_def, name):
    while type_def is not None:
        if type_def.type == name:
            return True
        type_def = type_def.parent_type
    return False


def operation_inputs(type_def, interface='Standard', operation='configure'):
    """The inputs of an operation as its type (or the nearest parent defining it) declares them."""
    while type_def is not None:
        ops = (type_def.interfaces or {}).get(interface) or {}
        op = ops.get(operation)
        if isinstance(op, dict):
            return op.get('inputs') or {}, type_def.type
        type_def = type_def.parent_type
    return None, None


def function_calls(value, where='', inside=()):
    """Every TOSCA function call in ``value`` (a template's value: scalars, lists, maps), the
    calls nested in the arguments of ``concat``, ``join`` and ``token`` included.

    Yields ``(name, arguments, where, inside)``: ``where`` is the path of keys and indexes from
    ``value`` (after the caller's own ``where``), ``inside`` the names of the enclosing calls.
    """
    if isinstance(value, dict):
        if len(value) == 1:
            ((name, args),) = value.items()
            if name in TOSCA_FUNCTIONS:
                yield name, args, where, inside
                if name in NESTING_FUNCTIONS and isinstance(args, list):
                    for item in args:
                        yield from function_calls(item, where, (*inside, name))
                return
        for key, item in value.items():
            yield from function_calls(item, f'{where}.{key}' if where else str(key), inside)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from function_calls(item, f'{where}[{index}]', inside)


def hosted_on_chain(node):
    """The nodes from ``node`` along its HostedOn relationships, and whether they loop.

    The chain ends at a Compute node, at a node hosted on nothing, or (second value True) at
    the first node met twice.
    """
    chain, seen = [node], {node.name}
    while not is_derived_from(node.type_definition, COMPUTE):
        target = next((t for rel, t in node.relationships.items() if is_derived_from(rel, HOSTED_ON)), None)
        if target is None:
            return chain, False
        chain.append(target)
        if target.name in seen:
            return chain, True
        seen.add(target.name)
        node = target
    return chain, False


def dependency_order(names, requires):
    """``names`` ordered so that each comes after the names it requires (``requires`` maps a
    name to a list of names; names not in ``names`` are ignored), in the given order among
    equals. Returns ``(order, cycle)``; ``cycle`` is the first loop found, as the list of names
    that form it with the first repeated at the end, or None.
    """
    order, state, known = [], {}, set(names)

    def visit(name, chain):
        if state.get(name) == 'done':
            return None
        if state.get(name) == 'visiting':
            return [*chain[chain.index(name) :], name]
        state[name] = 'visiting'
        for dep in requires.get(name) or []:
            if dep in known:
                cycle = visit(dep, [*chain, name])
                if cycle:
                    return cycle
        state[name] = 'done'
        order.append(name)
        return None

    for name in names:
        cycle = visit(name, [])
        if cycle:
            return order, cycle
    return order, None


def requirement_definitions(type_def):
    """A node type's requirement definitions by name, its parents' included (the nearest type's
    definition wins); the short form ``name: <capability type>`` becomes ``{capability: ...}``."""
    out = {}
    for entry in type_def.get_all_requirements() or []:
        for name, definition in (entry or {}).items():
            if isinstance(definition, str):
                definition = {'capability': definition}
            out.setdefault(name, definition or {})
    return out


def capability_types(type_def):
    """A node type's capabilities: name -> the capability's type and every type it derives from."""
    out = {}
    for cap in type_def.get_capabilities_objects():
        names, ctype = [], cap
        while ctype is not None and ctype.type not in names:
            names.append(ctype.type)
            ctype = ctype.parent_type
        out[cap.name] = names
    return out


def local_defs_for(template_path, extra=None):
    """Map every import of the dodas types library (by URL suffix) to this collection's copy,
    plus the caller's own ``{url: path}`` pairs."""
    import yaml

    defs = dict(extra or {})
    try:
        with open(template_path, encoding='utf-8') as handle:
            data = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ToscaError(f'{template_path}: cannot read the template: {exc}') from None
    if not isinstance(data, dict):
        raise ToscaError(f'{template_path}: not a TOSCA template (a mapping is expected)')
    for entry in data.get('imports') or []:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            url = value.get('file') if isinstance(value, dict) else value
            if isinstance(url, str) and '://' in url and url.endswith(TYPES_SUFFIX) and url not in defs:
                defs[url] = str(TYPES_FILE)
    return defs, data


def sample_inputs(raw):
    """Values for the inputs a template declares without a default (secrets, site names), of
    the declared type, for checking a template without a deployment's own values: strings are
    16 characters or more (roles refuse short secrets), numbers honour a lower bound or the
    first valid value."""
    declared = ((raw.get('topology_template') or {}).get('inputs')) or {}
    out = {}
    for name, spec in declared.items():
        if not isinstance(spec, dict) or 'default' in spec or not spec.get('required', True):
            continue
        kind = spec.get('type', 'string')
        constraints = {k: v for c in spec.get('constraints') or [] if isinstance(c, dict) for k, v in c.items()}
        if 'valid_values' in constraints:
            out[name] = constraints['valid_values'][0]
        elif kind in ('integer', 'float'):
            out[name] = constraints.get('greater_or_equal', constraints.get('greater_than', 0) + 1)
        elif kind == 'boolean':
            out[name] = False
        elif kind == 'list':
            out[name] = []
        elif kind == 'map':
            out[name] = {}
        elif kind == 'scalar-unit.size':
            out[name] = '1 GB'
        elif kind == 'version':
            out[name] = '1.0'
        else:
            out[name] = f'sample-{name}-0123456789'
    return out


def parse_template(template_path, inputs=None, local_defs=None):
    """tosca-parser's model of a template, validated offline (see ``local_defs_for``), and the
    template as plain YAML. ``inputs`` are the template's input values (``parsed_params``)."""
    if not HAS_TOSCA_PARSER:
        raise ToscaError(f'the Python package tosca-parser is needed on the controller: {TOSCA_PARSER_IMPORT_ERROR}')
    path = str(template_path)
    defs, raw = local_defs_for(path, local_defs)
    # tosca-parser logs warnings such as 'Minor version assumed "0"' for plain versions.
    logger = logging.getLogger('tosca')
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        tosca = ToscaTemplate(path, parsed_params=dict(inputs or {}), local_defs=defs)
    except Exception as exc:  # tosca-parser raises ValidationError and others, with every error collected
        raise ToscaError(f'{path}: {_first_lines(exc)}') from None
    finally:
        ExceptionCollector.stop()
        logger.setLevel(level)
    return tosca, raw


class Deployment:
    """What a template asks for, in Ansible's terms. ``inputs`` are the template's inputs.

    ``parsed`` is what ``parse_template`` returned for the same template and inputs, when the
    caller has it already (the lint does); otherwise the template is parsed here.
    """

    def __init__(self, template_path, inputs=None, deployment='', local_defs=None, parsed=None):
        self.path = str(template_path)
        self.deployment = deployment
        if parsed is None:
            _defs, raw = local_defs_for(self.path, local_defs)
            self.inputs = self._check_inputs(raw, dict(inputs or {}))
            parsed = parse_template(self.path, self.inputs, local_defs)
        else:
            self.inputs = self._check_inputs(parsed[1], dict(inputs or {}))
        self.tosca, self.raw = parsed
        topology = self.tosca.topology_template
        self.input_values = {i.name: self.inputs.get(i.name, i.default) for i in topology.inputs}
        self.nodes = {n.name: n for n in self.tosca.nodetemplates}
        self.computes = [n for n in self.tosca.nodetemplates if is_derived_from(n.type_definition, COMPUTE)]
        self.instances = {c.name: self._instances(c) for c in self.computes}
        self.services = {}
        for node in self.tosca.nodetemplates:
            if node in self.computes:
                continue
            self.services[node.name] = self._service(node)
        self.plan = self._plan()

    # -- inputs ------------------------------------------------------------------------------
    def _check_inputs(self, raw, given):
        declared = ((raw.get('topology_template') or {}).get('inputs')) or {}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise ToscaError(f'{self.path}: unknown inputs {unknown}; the template declares {sorted(declared)}')
        missing = sorted(
            name
            for name, spec in declared.items()
            if isinstance(spec, dict) and 'default' not in spec and spec.get('required', True) and name not in given
        )
        if missing:
            raise ToscaError(f'{self.path}: inputs without a default must be given: {missing}')
        return given

    # -- compute nodes -----------------------------------------------------------------------
    def capability_properties(self, node, capability):
        """Resolved properties of a capability (template values over type defaults)."""
        out = {}
        for cap in node.get_capabilities_objects():
            if cap.name == capability:
                for name, prop in cap.get_properties().items():
                    out[name] = prop.value
        raw = (((node.entity_tpl.get('capabilities') or {}).get(capability) or {}).get('properties')) or {}
        for name, value in raw.items():
            out[name] = self.resolve(value, node, f'capability {capability} property {name}')
        return out

    def _instances(self, compute):
        scalable = self.capability_properties(compute, 'scalable')
        count = scalable.get('count')
        if count is None:
            count = scalable.get('default_instances')
        if count is None:
            count = 1
        if isinstance(count, Runtime) or not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ToscaError(
                f'{self.path}: node {compute.name}: scalable count must be a whole number >= 0, got {count!r}'
            )
        return [host_name(self.deployment, compute.name, i) for i in range(1, count + 1)]

    def host_of(self, node):
        """The Compute node a node is hosted on (following HostedOn), or None."""
        chain, loops = hosted_on_chain(node)
        if loops:
            loop = ' -> '.join(n.name for n in chain)
            raise ToscaError(f'{self.path}: node {node.name}: HostedOn relationships form a cycle: {loop}')
        return chain[-1] if is_derived_from(chain[-1].type_definition, COMPUTE) else None

    # -- software nodes ----------------------------------------------------------------------
    def _service(self, node):
        inputs, _owner = operation_inputs(node.type_definition)
        host = self.host_of(node)
        if host is None:
            raise ToscaError(f'{self.path}: node {node.name} ({node.type}) is not hosted on a Compute node')
        role = (inputs or {}).get('dodas_role')
        groups = (inputs or {}).get('dodas_groups') or []
        properties = {}
        for name, value in (node.entity_tpl.get('properties') or {}).items():
            properties[name] = self.resolve(value, node, f'property {name}')
        requires = []
        for rel, target in node.relationships.items():
            if not is_derived_from(rel, HOSTED_ON):
                requires.append(target.name)
        return {
            'name': node.name,
            'type': node.type,
            'role': role,
            'groups': list(groups),
            'compute': host.name,
            'hosts': list(self.instances[host.name]),
            'properties': properties,
            'requires': requires,
            'hosted_on': [t.name for r, t in node.relationships.items() if is_derived_from(r, HOSTED_ON)],
        }

    def _plan(self):
        """The configuration steps: requirement targets first; nodes of one role that can go
        together form one step, applied in one run of the role on all their hosts, as the
        cluster playbooks apply a role to all its groups at once (the role orders its own node
        roles, e.g. an HTCondor central manager before the execute nodes that need its token)."""
        requires = {
            name: [d for d in s['requires'] + s['hosted_on'] if d in self.services] for name, s in self.services.items()
        }
        order, cycle = dependency_order(list(self.services), requires)
        if cycle:
            raise ToscaError(f'{self.path}: node {cycle[0]}: requirements form a cycle: {" -> ".join(cycle)}')
        pending, done, steps = list(order), set(), []
        while pending:
            ready = [n for n in pending if all(d in done for d in requires[n])]
            last_role = steps[-1]['role'] if steps else None
            pick = next((n for n in ready if self.services[n]['role'] == last_role), ready[0])
            pending.remove(pick)
            done.add(pick)
            service = self.services[pick]
            if not service['role']:
                continue  # a node of another library: nothing for Ansible to apply
            if service['role'] != last_role:
                steps.append({'name': '', 'role': service['role'], 'nodes': [], 'types': [], 'groups': [], 'hosts': []})
            step = steps[-1]
            step['nodes'].append(pick)
            for key, values in (
                ('types', [service['type']]),
                ('groups', service['groups']),
                ('hosts', service['hosts']),
            ):
                step[key].extend(v for v in values if v not in step[key])
            step['name'] = ', '.join(step['nodes'])
        return steps

    # -- functions -----------------------------------------------------------------------------
    def resolve(self, value, node, where):
        if isinstance(value, dict) and len(value) == 1:
            ((fn, args),) = value.items()
            if fn in FUNCTIONS:
                return getattr(self, '_' + fn)(args, node, where)
            if fn.startswith('get_') or fn in ('token', 'join'):
                raise ToscaError(f'{self.path}: node {node.name}, {where}: function {fn} is not supported')
        if isinstance(value, dict):
            return {k: self.resolve(v, node, where) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, node, where) for v in value]
        return value

    def _get_input(self, args, node, where):
        name = args[0] if isinstance(args, list) else args
        if name not in self.input_values:
            raise ToscaError(f'{self.path}: node {node.name}, {where}: get_input of an undeclared input {name!r}')
        return self.input_values[name]

    def _entity(self, ref, node, where, fn):
        if ref == 'SELF':
            return node
        if ref == 'HOST':
            host = self.host_of(node)
            if host is None:
                raise ToscaError(f'{self.path}: node {node.name}, {where}: {fn} of HOST, but the node has no host')
            return host
        if ref in ('SOURCE', 'TARGET'):
            raise ToscaError(
                f'{self.path}: node {node.name}, {where}: {fn} of {ref} is only meaningful in relationships'
            )
        if ref not in self.nodes:
            raise ToscaError(
                f'{self.path}: node {node.name}, {where}: {fn} names a node {ref!r} that is not in the template'
            )
        return self.nodes[ref]

    def _get_property(self, args, node, where):
        if not isinstance(args, list) or len(args) < 2:
            raise ToscaError(f'{self.path}: node {node.name}, {where}: get_property needs [entity, property]')
        entity = self._entity(args[0], node, where, 'get_property')
        rest = list(args[1:])
        caps = {c.name for c in entity.get_capabilities_objects()}
        if len(rest) >= 2 and rest[0] in caps:
            props = self.capability_properties(entity, rest[0])
            if rest[1] not in props:
                raise ToscaError(
                    f'{self.path}: node {node.name}, {where}: capability {rest[0]} of {entity.name} '
                    f'has no property {rest[1]!r}'
                )
            value, rest = props[rest[1]], rest[2:]
        else:
            defined = entity.type_definition.get_properties_def()
            name = rest.pop(0)
            if name not in defined:
                raise ToscaError(f'{self.path}: node {node.name}, {where}: {entity.name} has no property {name!r}')
            raw = (entity.entity_tpl.get('properties') or {}).get(name, defined[name].default)
            value = self.resolve(raw, entity, f'property {name}')
        for index in rest:
            try:
                value = value[index]
            except (KeyError, IndexError, TypeError):
                raise ToscaError(
                    f'{self.path}: node {node.name}, {where}: get_property index {index!r} not found'
                ) from None
        return value

    def _get_attribute(self, args, node, where):
        if not isinstance(args, list) or len(args) < 2:
            raise ToscaError(f'{self.path}: node {node.name}, {where}: get_attribute needs [entity, attribute]')
        entity = self._entity(args[0], node, where, 'get_attribute')
        attr, rest = args[1], list(args[2:])
        if attr == 'tosca_name':
            return entity.name
        if attr == 'tosca_id':
            return f'{self.deployment}.{entity.name}' if self.deployment else entity.name
        if attr not in ADDRESS_ATTRIBUTES:
            raise ToscaError(
                f'{self.path}: node {node.name}, {where}: attribute {attr!r} of {entity.name} is not known before '
                f'deployment (supported: {sorted(ADDRESS_ATTRIBUTES)}, tosca_name, tosca_id)'
            )
        host = self.host_of(entity)
        if host is None:
            raise ToscaError(f'{self.path}: node {node.name}, {where}: {entity.name} is not hosted on a Compute node')
        hosts = self.instances[host.name]
        var = ADDRESS_ATTRIBUTES[attr]
        if rest:
            index = rest[0]
            if not isinstance(index, int) or isinstance(index, bool):
                raise ToscaError(
                    f'{self.path}: node {node.name}, {where}: get_attribute index must be a number, got {index!r}'
                )
            if not 0 <= index < len(hosts):
                raise ToscaError(
                    f'{self.path}: node {node.name}, {where}: {host.name} has {len(hosts)} instance(s), '
                    f'no index {index}'
                )
            return Runtime(f'hostvars[{hosts[index]!r}][{var!r}]')
        return Runtime(f"{hosts!r} | map('extract', hostvars, {var!r}) | list")

    def _concat(self, args, node, where):
        if not isinstance(args, list):
            raise ToscaError(f'{self.path}: node {node.name}, {where}: concat needs a list')
        parts = [self.resolve(a, node, where) for a in args]
        if not any(isinstance(p, Runtime) for p in parts):
            return ''.join(str(p) for p in parts)
        exprs = [p.expr if isinstance(p, Runtime) else repr(str(p)) for p in parts]
        return Runtime('(' + ' ~ '.join(f'({e})' for e in exprs) + ')')

    # -- outputs -----------------------------------------------------------------------------
    def outputs(self):
        raw = (self.raw.get('topology_template') or {}).get('outputs') or {}
        out = {}
        for name, spec in raw.items():
            value = spec.get('value') if isinstance(spec, dict) else spec
            out[name] = self.resolve(value, _OutputNode(name), f'output {name}')
        return out

    def host_vars(self):
        """Per inventory host: the merged properties of the nodes it hosts, and where it comes from."""
        per_host = {}
        for compute in self.computes:
            for index, host in enumerate(self.instances[compute.name]):
                per_host[host] = {
                    'tosca_compute_node': compute.name,
                    'tosca_instance_index': index,
                    'tosca_nodes': [],
                    'tosca_capabilities': {
                        cap: self.capability_properties(compute, cap) for cap in ('host', 'os', 'endpoint')
                    },
                }
        origin = {}
        for service in self.services.values():
            for host in service['hosts']:
                hv = per_host[host]
                hv['tosca_nodes'].append(service['name'])
                for key, value in service['properties'].items():
                    if key in hv and hv[key] != value:
                        raise ToscaError(
                            f'{self.path}: nodes {origin[(host, key)]} and {service["name"]} share the host {host} '
                            f'but set {key} to different values'
                        )
                    hv[key] = value
                    origin[(host, key)] = service['name']
        return per_host

    def groups(self):
        """Inventory groups: the contract groups of each node, one per node, type and Compute."""
        out = {'tosca_compute': []}
        for compute in self.computes:
            out['tosca_compute'].extend(self.instances[compute.name])
            out[safe_group('tosca_compute_' + compute.name)] = list(self.instances[compute.name])
        for service in self.services.values():
            names = [
                *service['groups'],
                safe_group('tosca_node_' + service['name']),
                safe_group(service['type']).lower(),
            ]
            for group in names:
                members = out.setdefault(group, [])
                members.extend(h for h in service['hosts'] if h not in members)
        return out


class _OutputNode:
    """Stands for 'the topology' when outputs are resolved (SELF has no meaning there)."""

    def __init__(self, name):
        self.name = f'(output {name})'
        self.entity_tpl = {}
        self.type_definition = None

    def get_capabilities_objects(self):
        return []


def _first_lines(exc, limit=25):
    """tosca-parser's message without its Python tracebacks (the lines that say what is wrong)."""
    lines = []
    for line in str(exc).splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(('File ', 'self.', 'return ', 'raise ')) or line.startswith('\t\t'):
            continue
        lines.append(stripped)
    return '\n'.join(lines[:limit])


def to_ansible(value):
    """Replace Runtime values by the Jinja strings Ansible templates when it uses them."""
    if isinstance(value, Runtime):
        return value.jinja()
    if isinstance(value, dict):
        return {k: to_ansible(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_ansible(v) for v in value]
    return value
