"""The real Infrastructure Manager (PyPI ``im``, Dummy cloud connector, on 127.0.0.1) accepts
every template of tosca/templates/ as scripts/tosca-publish writes it for local files: IM
parses the template, reads the types and the implementation playbook from files (no network),
plans one VM per Compute instance and one configure step per software node, in dependency order.

What IM makes of a template is read back from its RADL (GET /infrastructures/<id>/radl):
``system`` (one per Compute node, with the collection among its applications), ``configure``
(one per software node, ``<node>_<compute>_conf``: the implementation playbook with the
operation's inputs as play vars), ``contextualize`` (``system S configure C step N``) and
``deploy S <count>``.
"""

import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import yaml

from ansible_collections.dodas.dodas.plugins.plugin_utils import _tosca
from support import ROOT, load_yaml

TEMPLATES = sorted((ROOT / 'tosca' / 'templates').glob('*.yaml'))
# The Authorization header is IM's auth file on one line, entries separated by the two
# characters backslash and n.
AUTH = 'id = dummy; type = Dummy;\\nid = im; type = InfrastructureManager; username = dodas-tosca; password = {}'


@pytest.fixture(scope='module')
def library(tmp_path_factory):
    """The TOSCA library published for local files, with a collection tarball built from this
    checkout (what nodes would install with ansible-galaxy)."""
    tmp = tmp_path_factory.mktemp('tosca-im')
    subprocess.run(
        ['ansible-galaxy', 'collection', 'build', '--output-path', str(tmp), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (tarball,) = tmp.glob('dodas-dodas-*.tar.gz')
    out = tmp / 'library'
    subprocess.run(
        [
            sys.executable,
            str(ROOT / 'scripts' / 'tosca-publish'),
            *('--out', str(out), '--base', str(out), '--collection', str(tarball)),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return {'out': out, 'tarball': str(tarball)}


@pytest.fixture(scope='module')
def auth():
    return AUTH.format('pw-' + secrets.token_urlsafe(12))


def call(im_server, auth, method, path, body=None, content_type=None):
    headers = {'Authorization': auth, 'Accept': 'application/json'}
    if content_type:
        headers['Content-Type'] = content_type
    request = urllib.request.Request(im_server['url'] + path, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:  # noqa: S310 (loopback)
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def parse_radl(text):
    """The parts of a RADL document the tests look at."""
    systems = dict(re.findall(r'^system (\S+) \(\n(.*?)\n\)$', text, re.MULTILINE | re.DOTALL))
    configures = {
        name: yaml.safe_load(body)
        for name, body in re.findall(r'^configure (\S+) \(\n@begin\n(.*?)\n@end\n\)$', text, re.MULTILINE | re.DOTALL)
    }
    context = re.search(r'^contextualize[^(]*\(\n(.*?)\n\)$', text, re.MULTILINE | re.DOTALL)
    steps = re.findall(r'system (\S+) configure (\S+) step (\d+)', context.group(1) if context else '')
    deploys = {name: int(count) for name, count in re.findall(r'^deploy (\S+) (\d+)', text, re.MULTILINE)}
    return {
        'systems': systems,
        'configures': configures,
        'steps': {conf: (system, int(step)) for system, conf, step in steps},
        'deploys': deploys,
    }


def test_the_published_library_reads_local_files_only(library):
    """Acceptance must not depend on the network: imports, implementations and the collection
    are local paths."""
    out = library['out']
    types = load_yaml(out / 'types' / 'dodas.yaml')
    for name, node_type in types['node_types'].items():
        for ops in (node_type.get('interfaces') or {}).values():
            for op in ops.values():
                impl = op['implementation']
                assert impl.startswith(f'file://{out}/artifacts/'), f'{name}: {impl}'
                assert (out / 'artifacts' / impl.rsplit('/', 1)[1]).is_file()
    collection = types['node_types']['tosca.nodes.DODAS.Component']['artifacts']['dodas_collection']
    assert collection['file'] == library['tarball']
    for template in TEMPLATES:
        imports = load_yaml(out / 'templates' / template.name)['imports']
        assert imports == [{'dodas_types': str(out / 'types' / 'dodas.yaml')}]


@pytest.mark.parametrize('template', TEMPLATES, ids=lambda p: p.stem)
def test_im_accepts_the_template(im_server, library, auth, template):
    # IM takes no inputs with a template: inputs without a default (secrets) get sample values
    # as defaults in the copy sent; the model is built with the same values.
    published = yaml.safe_load((library['out'] / 'templates' / template.name).read_text())
    samples = _tosca.sample_inputs(published)
    for name, value in samples.items():
        published['topology_template']['inputs'][name]['default'] = value
    model = _tosca.Deployment(template, samples)
    body = yaml.safe_dump(published, sort_keys=False).encode()
    status, headers, text = call(im_server, auth, 'POST', '/infrastructures', body, 'text/yaml')
    assert status == 200, f'IM refused {template.name}: {status} {text}'
    infid = headers['InfID']
    try:
        status, _headers, text = call(im_server, auth, 'GET', f'/infrastructures/{infid}/state')
        assert status == 200, text
        vm_states = yaml.safe_load(text)['state']['vm_states']
        assert len(vm_states) == sum(len(hosts) for hosts in model.instances.values())

        status, _headers, text = call(im_server, auth, 'GET', f'/infrastructures/{infid}/radl')
        assert status == 200, text
        radl = parse_radl(yaml.safe_load(text)['radl'])
        check_systems(radl, model, library['tarball'])
        check_configures(radl, model)
        check_order(radl, model)
    finally:
        status, _headers, text = call(im_server, auth, 'DELETE', f'/infrastructures/{infid}')
        assert status == 200, text


def check_systems(radl, model, tarball):
    """One system per Compute node, deployed as many times as it has instances, each with the
    collection among the applications the contextualization installs."""
    assert set(radl['systems']) == set(model.instances)
    assert radl['deploys'] == {name: len(hosts) for name, hosts in model.instances.items()}
    for name, body in radl['systems'].items():
        assert f"disk.0.applications contains (name = 'ansible.collections.{tarball}')" in body, name


def check_configures(radl, model):
    """One configure per software node: the implementation playbook of tosca/artifacts with the
    role and groups of the node's type, and the properties the template sets, as play vars."""
    artifact = load_yaml(ROOT / 'tosca' / 'artifacts' / 'dodas_role.yml')
    expected = {f'{s["name"]}_{s["compute"]}_conf': s for s in model.services.values()}
    assert set(radl['configures']) == set(expected)
    for conf, service in expected.items():
        (play,) = radl['configures'][conf]
        assert 'hosts' not in play  # IM strips it and runs the play on the system's VMs
        assert [t['name'] for t in play['tasks']] == [t['name'] for t in artifact[0]['tasks']], conf
        variables = play['vars']
        assert variables['dodas_role'] == service['role'], conf
        assert variables['dodas_groups'] == service['groups'], conf
        for key, value in service['properties'].items():
            if not isinstance(value, _tosca.Runtime):
                assert variables[key] == value, f'{conf}: {key}'
        assert radl['steps'][conf][0] == service['compute'], conf


def check_order(radl, model):
    """IM's step of a node is one more than the highest step of what it requires (HostedOn,
    DependsOn, ConnectsTo; a Compute node counts as step 1): every requirement target is
    configured in an earlier step than the node that requires it."""
    step = {s['name']: radl['steps'][f'{s["name"]}_{s["compute"]}_conf'][1] for s in model.services.values()}
    for service in model.services.values():
        targets = [t for t in service['requires'] if t in step]
        assert step[service['name']] == 1 + max([1, *(step[t] for t in targets)]), service['name']
        for target in targets:
            assert step[target] < step[service['name']], f'{target} is not configured before {service["name"]}'
