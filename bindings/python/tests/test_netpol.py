# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The Python binding: every public call, errors, memory, README."""
import contextlib
import errno
import gc
import glob
import io
import json
import os
import pickle
import struct

import pytest

import netpol
from netpol import capi

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, 'data')
SRCDIR = os.environ.get('NETPOL_SRCDIR',
                        os.path.join(HERE, '..', '..', '..'))
STARS = sorted(glob.glob(os.path.join(SRCDIR, 'examples', 'stars',
                                      '*.yaml')))
SIMPLE = os.path.join(DATA, 'simple.yaml')
BAD_ENDPORT = os.path.join(DATA, 'bad-endport.yaml')

CLIENT = 'client/client-xlffc'
FRONTEND = 'stars/frontend-cscnf'
BACKEND = 'stars/backend-sz87q'
UI = 'management-ui/management-ui-qrb2g'

POD = {
    'apiVersion': 'v1', 'kind': 'Pod',
    'metadata': {'name': 'b', 'namespace': 'x', 'labels': {'app': 'b'}},
    'spec': {'containers': [{'name': 'c'}]},
    'status': {'phase': 'Running', 'hostIP': '10.255.0.1',
               'podIP': '10.0.0.2', 'podIPs': [{'ip': '10.0.0.2'}]},
}


@pytest.fixture(name='stars')
def fixture_stars():
    assert len(STARS) == 5
    return netpol.Cluster.load(*STARS)


@pytest.fixture(name='simple')
def fixture_simple():
    return netpol.Cluster.load(SIMPLE)


def test_package_is_the_build():
    assert netpol.version() == '0.1.0'
    assert capi.np_version() == netpol.version()
    assert issubclass(netpol.Error, OSError)


def test_strerror_and_kind_names():
    assert netpol.strerror(errno.ENOENT) == capi.np_strerror(-errno.ENOENT)
    assert netpol.strerror(-errno.E2BIG) == capi.np_strerror(-errno.E2BIG)
    assert netpol.strerror(errno.ENOENT) != ''
    assert [capi.np_kind_name(k) for k in range(5)] == [
        'Namespace', 'Pod', 'Service', 'NetworkPolicy', 'PolicyEndpoint']


# --- Cluster ---------------------------------------------------------------

def test_load_counts_and_names(stars):
    assert stars.count('Namespace') == 3
    assert stars.count('Pod') == 4
    assert stars.count('NetworkPolicy') == 6
    assert stars.count('PolicyEndpoint') == 0
    assert stars.names('Pod') == [CLIENT, UI, BACKEND, FRONTEND]
    assert stars.names('namespace') == ['client', 'management-ui', 'stars']
    assert stars.names('NetworkPolicy') == [
        'client/allow-ui', 'client/default-deny', 'stars/allow-ui',
        'stars/backend-policy', 'stars/default-deny',
        'stars/frontend-policy']


def test_load_pathlike_and_skip_invalid(tmp_path):
    import pathlib
    c = netpol.Cluster.load(pathlib.Path(SIMPLE))
    assert c.count('Pod') == 1
    mixed = tmp_path / 'mixed.yaml'
    with open(SIMPLE) as f, open(BAD_ENDPORT) as g:
        mixed.write_text(f.read() + '\n---\n' + g.read())
    with pytest.raises(netpol.Error):
        netpol.Cluster.load(mixed)
    c = netpol.Cluster.load(mixed, skip_invalid=True)
    assert c.count('Pod') == 1
    assert c.names('NetworkPolicy') == ['x/web']


def test_from_yaml_apply_delete(simple):
    c = netpol.Cluster.from_yaml(open(SIMPLE).read())
    assert c.count('Pod') == 1 and c.count('NetworkPolicy') == 1
    c.apply(POD)                       # dict
    assert c.names('Pod') == ['x/a', 'x/b']
    c.apply(json.dumps(POD).encode())  # bytes, upsert: still two
    assert c.count('Pod') == 2
    c.apply({'apiVersion': 'v1', 'kind': 'List',
             'items': [{'apiVersion': 'v1', 'kind': 'Namespace',
                        'metadata': {'name': 'x'}}]})
    assert c.names('Namespace') == ['x']
    c.delete('Pod', 'x', 'b')
    assert c.names('Pod') == ['x/a']
    with pytest.raises(netpol.Error) as e:
        c.delete('Pod', 'x', 'b')
    assert e.value.errno == errno.ENOENT
    c.delete('Namespace', None, 'x')
    assert c.count('Namespace') == 0


def test_cluster_network_policies_resolved_into_endpoints():
    up = {'apiVersion': 'policy.networking.k8s.io/v1beta1',
          'kind': 'ClusterNetworkPolicy', 'metadata': {'name': 'c'},
          'spec': {'tier': 'Admin', 'priority': 1,
                   'subject': {'namespaces': {}}}}
    aws = dict(up, apiVersion='networking.k8s.aws/v1alpha1')
    cpe = {'apiVersion': 'networking.k8s.aws/v1alpha1',
           'kind': 'ClusterPolicyEndpoint', 'metadata': {'name': 'c'},
           'spec': {'tier': 'Baseline', 'priority': 1,
                    'policyRef': {'name': 'c'}}}
    c = netpol.Cluster.from_yaml(open(SIMPLE).read())
    before = c.endpoints()
    c.apply({'apiVersion': 'v1', 'kind': 'List', 'items': [up, aws, cpe]})
    assert c.names('ClusterNetworkPolicy') == ['c']
    assert c.count('AWS-ClusterNetworkPolicy') == 1
    assert c.count('ClusterPolicyEndpoint') == 1
    after = c.endpoints()
    # the PolicyEndpoints unchanged, then one ClusterPolicyEndpoint per
    # ClusterNetworkPolicy (both groups), names sorting upstream first
    assert after[:len(before)] == before
    cpes = after[len(before):]
    assert [e['kind'] for e in cpes] == ['ClusterPolicyEndpoint'] * 2
    assert [e['spec']['policyRef']['name'] for e in cpes] == ['c', 'c']
    assert cpes[0]['metadata']['name'] < cpes[1]['metadata']['name']
    assert '-aws-' in cpes[1]['metadata']['name']
    c.delete('ClusterNetworkPolicy', None, 'c')
    assert c.count('ClusterNetworkPolicy') == 0
    with pytest.raises(netpol.Error) as e:
        c.apply(dict(up, spec=dict(up['spec'], priority=1001)))
    assert e.value.errno == errno.EINVAL


def test_node_kind_and_nodes_peer():
    node = {'apiVersion': 'v1', 'kind': 'Node',
            'metadata': {'name': 'n1', 'labels': {'role': 'db'}},
            'status': {'addresses': [
                {'type': 'Hostname', 'address': 'n1'},
                {'type': 'InternalIP', 'address': '198.18.0.7'},
                {'type': 'ExternalIP', 'address': 'fd00::7'}]}}
    cnp = {'apiVersion': 'policy.networking.k8s.io/v1alpha2',
           'kind': 'ClusterNetworkPolicy', 'metadata': {'name': 'no-db'},
           'spec': {'tier': 'Admin', 'priority': 1,
                    'subject': {'namespaces': {}},
                    'egress': [{'action': 'Deny', 'to': [
                        {'nodes': {'matchLabels': {'role': 'db'}}}]}]}}
    c = netpol.Cluster()
    c.apply(POD)
    # no Node at all: a Deny of nodes cannot be enforced, fails closed
    c.apply(cnp)
    with pytest.raises(netpol.Error) as e:
        c.compile('x', 'b')
    assert e.value.errno == errno.ENOTSUP
    c.apply(node)
    assert c.names('Node') == ['n1']
    assert 'ExternalIP' in c.export('Node')
    assert 'Hostname' not in c.export('Node')
    rs = c.compile('x', 'b')
    assert rs.verdict('egress', '198.18.0.7', 22)['allowed'] is False
    assert rs.verdict('egress', 'fd00::7', 22)['allowed'] is False
    assert rs.verdict('egress', '198.18.0.8', 22)['allowed'] is True
    c.delete('Node', None, 'n1')
    assert c.count('Node') == 0
    with pytest.raises(netpol.Error) as e:
        c.apply(dict(node, status={'addresses': [
            {'type': 'InternalIP', 'address': '198.18.0.999'}]}))
    assert e.value.errno == errno.EINVAL
    assert 'status.addresses[0].address' in str(e.value)


def test_export_round_trips(stars):
    text = stars.export('NetworkPolicy')
    assert text.startswith('apiVersion: v1\nkind: List\n')
    again = netpol.Cluster.from_yaml(text)
    assert again.export('NetworkPolicy') == text
    j = json.loads(stars.export('Pod', fmt='json'))
    assert [i['metadata']['name'] for i in j['items']] == [
        'client-xlffc', 'management-ui-qrb2g', 'backend-sz87q',
        'frontend-cscnf']


def test_endpoints(stars):
    pes = stars.endpoints()
    assert [(p['metadata']['namespace'], p['metadata']['name'])
            for p in pes] == [
        ('client', 'allow-ui-51031'), ('client', 'default-deny-94c79'),
        ('stars', 'allow-ui-7c349'), ('stars', 'backend-policy-f137e'),
        ('stars', 'default-deny-a04a1'), ('stars', 'frontend-policy-12258')]
    backend = pes[3]
    assert backend['apiVersion'] == 'networking.k8s.aws/v1alpha1'
    assert backend['spec']['policyRef'] == {'name': 'backend-policy',
                                            'namespace': 'stars'}
    assert backend['spec']['ingress'] == [{
        'cidr': '198.18.0.12/32',
        'ports': [{'protocol': 'TCP', 'port': 6379}]}]
    assert stars.endpoints('yaml').startswith('apiVersion: v1\nkind: List')
    assert json.loads(stars.endpoints('json'))['items'] == pes


def test_stars_verdicts(stars):
    v = stars.verdict(CLIENT, FRONTEND, 80)
    assert v == {'allowed': True, 'reason': 'rule', 'direction': 'ingress',
                 'key': '198.18.0.13/32', 'slot': 0,
                 'policies': ['stars/frontend-policy ingress[0]'],
                 'tier': 'NETWORK_POLICY'}
    v = stars.verdict(CLIENT, BACKEND, 6379)
    assert v['allowed'] is False
    assert v['reason'] == 'no-match' and v['direction'] == 'ingress'
    v = stars.verdict(FRONTEND, BACKEND, 6379, 'TCP')
    assert v['allowed'] is True
    assert v['policies'] == ['stars/backend-policy ingress[0]']
    assert stars.verdict(FRONTEND, BACKEND, 6379, 'udp')['allowed'] is False
    assert stars.verdict(UI, BACKEND, 1234)['allowed'] is True


def test_matrix(stars):
    m = stars.matrix(ports=(80, 6379), protocols=('TCP', 'UDP'))
    assert len(m) == 4 * 4 * 2 * 2
    cell = {(r['from'], r['to'], r['protocol'], r['port']): r['allowed']
            for r in m}
    assert cell[(CLIENT, FRONTEND, 'TCP', 80)] is True
    assert cell[(CLIENT, BACKEND, 'TCP', 6379)] is False
    assert cell[(FRONTEND, BACKEND, 'TCP', 6379)] is True
    assert cell[(FRONTEND, BACKEND, 'UDP', 6379)] is False
    assert sum(cell.values()) == sum(1 for r in m if r['allowed'])
    assert stars.matrix() == [r for r in m
                              if r['port'] == 80 and r['protocol'] == 'TCP']
    text = stars.matrix(fmt='text')
    assert 'X' in text and '.' in text
    assert stars.matrix(family=6) == []
    with pytest.raises(netpol.Error) as e:
        stars.matrix(ports=range(1, 100))
    assert e.value.errno == errno.E2BIG


# --- RuleSet and MapSet ----------------------------------------------------

def test_compile_and_export(stars):
    rs = stars.compile('stars', 'backend-sz87q')
    d = rs.to_dict()
    assert d['namespace'] == 'stars' and d['podIPs'] == ['198.18.0.11']
    assert d['hash'] == '73cd19a03e05e3b0'
    assert rs.hash == 0x73cd19a03e05e3b0
    assert [k['cidr'] for k in d['ingress']['keys']] == [
        '198.18.0.10/32', '198.18.0.12/32']
    assert d['egress'] == {'isolated': False}
    assert rs.export().startswith('namespace: stars\n')
    assert 'backend-sz87q' in rs.export('text')
    same = stars.compile('stars', 'backend-sz87q')
    assert same.hash == rs.hash
    assert stars.compile('stars', 'frontend-cscnf').hash != rs.hash


def test_compile_from_endpoints(stars):
    agent = netpol.Cluster()
    agent.apply(stars.endpoints('yaml'))
    assert agent.count('PolicyEndpoint') == 6
    rs = agent.compile('stars', 'backend-sz87q', source='endpoints')
    assert rs.verdict('ingress', '198.18.0.12', 6379)['allowed'] is True
    assert rs.verdict('ingress', '198.18.0.13', 6379)['allowed'] is False


def test_ruleset_verdicts(simple):
    rs = simple.compile('x', 'a')
    v = rs.verdict('ingress', '192.168.1.7', 80)
    assert v == {'allowed': True, 'reason': 'rule', 'direction': 'ingress',
                 'key': '192.168.1.0/24', 'slot': 0,
                 'policies': ['x/web ingress[0]'],
                 'tier': 'NETWORK_POLICY'}
    v = rs.verdict('ingress', '192.168.1.7', 443, 'UDP')
    assert (v['allowed'], v['slot']) == (True, 1)
    v = rs.verdict('ingress', '192.168.1.7', 443)
    assert (v['allowed'], v['reason'], v['slot']) == (False, 'port', -1)
    v = rs.verdict('ingress', '192.168.2.7', 80)
    assert (v['allowed'], v['reason'], v['key']) == (False, 'no-match', '')
    v = rs.verdict('egress', '8.8.8.8', 53, 'UDP')
    assert (v['allowed'], v['reason']) == (True, 'not-isolated')
    v = rs.verdict('ingress', '10.255.0.1', 9)
    assert (v['allowed'], v['reason']) == (True, 'node')


def test_lpm_entries_bytes(simple):
    rs = simple.compile('x', 'a')
    entries = rs.lpm_entries(4, 'ingress', ruleset_id=0x01020304)
    assert len(entries) == 1
    key, value = entries[0]
    # {u32 prefixlen (host order), u32 rule-set id (big-endian), addr}
    assert len(key) == 12
    assert struct.unpack('=I', key[:4])[0] == 32 + 24
    assert key[4:8] == b'\x01\x02\x03\x04'
    assert key[8:] == bytes([192, 168, 1, 0])
    # port set 0; counter key 0 (the datapath numbers keys at load)
    assert value == struct.pack('=II', 0, 0)
    assert rs.lpm_entries(4, 'ingress')[0][0][4:8] == b'\x00\x00\x00\x01'
    assert rs.lpm_entries(6, 'ingress') == []
    assert rs.lpm_entries(4, 'egress') == []
    # The EKS agent's layout: {u32 prefixlen, addr}, 24 x {proto, start,
    # end}
    (key, value), = rs.lpm_entries(4, 'ingress', layout='eks')
    assert key == struct.pack('=I', 24) + bytes([192, 168, 1, 0])
    assert len(value) == 24 * 12
    assert struct.unpack('=6I', value[:24]) == (6, 80, 0, 17, 443, 0)
    assert value[24:] == bytes(22 * 12)
    # no cluster tiers: no cp_ingress_map entry
    assert rs.lpm_entries(4, 'ingress', layout='eks-cp') == []


def test_eks_cp_layout():
    c = netpol.Cluster.from_yaml(open(SIMPLE).read())
    c.apply({'apiVersion': 'policy.networking.k8s.io/v1alpha2',
             'kind': 'ClusterNetworkPolicy', 'metadata': {'name': 'no80'},
             'spec': {'tier': 'Admin', 'priority': 1,
                      'subject': {'namespaces': {}},
                      'egress': [{'action': 'Deny',
                                  'to': [{'networks': ['0.0.0.0/0']}],
                                  'protocols': [{'tcp': {'destinationPort':
                                                         {'number': 80}}}]}]}})
    rs = c.compile('x', 'a')
    (key, value), = rs.lpm_entries(4, 'egress', layout='eks-cp')
    assert key == struct.pack('=I', 0) + bytes(4)
    assert len(value) == 24 * 16
    # Deny TCP 80 at rank 0, over Accept any at rank 1 (priority 11)
    assert struct.unpack('=8I', value[:32]) == (6, 0, 80, 0, 254, 11, 0, 0)
    with pytest.raises(ValueError):
        rs.lpm_entries(4, 'egress', layout='eks-cpx')


def test_portsets_and_mapset(simple):
    rs = simple.compile('x', 'a')
    sets = rs.portsets()
    assert len(sets) == 1
    assert len(sets[0]) == 4 + 8 * 24
    assert struct.unpack('=I', sets[0][:4])[0] == 2
    ms = rs.mapset()
    assert ms.count(4, 'ingress') == 1
    assert ms.count(4, 'egress') == 0
    assert ms.count(6, 'ingress') == 0
    assert ms.export() == ('ingress\n'
                           '  Key : 192.168.1.0/24  Value : TCP/80-80 '
                           'UDP/443-443\n'
                           'egress (not isolated)\n')
    assert isinstance(json.loads(ms.export('json')), (dict, list))


def test_mapset_diff(stars):
    a = stars.compile('stars', 'backend-sz87q').mapset()
    b = stars.compile('stars', 'frontend-cscnf').mapset()
    d = a.diff(a)
    assert (d['added'], d['changed'], d['removed']) == (0, 0, 0)
    d = a.diff(b)
    assert (d['added'], d['changed'], d['removed']) == (1, 0, 1)
    assert len(d['text']) == 2
    with pytest.raises(TypeError):
        a.diff(None)


# --- errors ----------------------------------------------------------------

def test_error_bad_endport():
    c = netpol.Cluster()
    with pytest.raises(netpol.Error) as e:
        c.load_file(BAD_ENDPORT)
    err = e.value
    assert isinstance(err, OSError)
    assert err.errno == errno.EINVAL
    assert err.file == BAD_ENDPORT
    assert (err.line, err.column) == (13, 16)
    assert err.object == 'NetworkPolicy default/web'
    assert err.path == 'spec.ingress[0].ports[0].endPort'
    assert err.message == ('Invalid value: 70: must be greater than or '
                           'equal to `port`')
    assert str(err) == (f'{BAD_ENDPORT}:13:16: NetworkPolicy default/web: '
                        'spec.ingress[0].ports[0].endPort: ' + err.message)
    assert c.count('NetworkPolicy') == 0      # all or nothing
    again = pickle.loads(pickle.dumps(err))
    assert (again.errno, again.line, again.path) == (22, 13, err.path)


def test_error_syntax_and_names():
    c = netpol.Cluster()
    with pytest.raises(netpol.Error) as e:
        c.apply('kind: Pod\nmetadata: [\n', name='pod.yaml')
    assert e.value.errno == errno.EINVAL
    assert e.value.file == 'pod.yaml' and e.value.line == 3
    assert e.value.message.startswith('syntax error')
    with pytest.raises(netpol.Error) as e:
        c.load_file('/nonexistent/netpol.yaml')
    assert e.value.errno == errno.ENOENT
    with pytest.raises(netpol.Error) as e:
        c.compile('x', 'nobody')
    assert e.value.errno == errno.ENOENT
    with pytest.raises(netpol.Error) as e:
        c.verdict('x/nobody', 'x/else', 80)
    assert e.value.errno in (errno.ENOENT, errno.EINVAL)


def test_diag_format_reached():
    d = capi.np_diag()
    assert capi.np_diag_format(d) == 'success'
    with pytest.raises(netpol.Error) as e:
        capi.np_diag_format(None)
    assert e.value.errno == errno.EINVAL


@pytest.mark.parametrize('call', [
    lambda c: c.apply(None),
    lambda c: c.apply(42),
    lambda c: c.apply('{'),
    lambda c: c.apply('- - - ['),
    lambda c: c.apply(b'\xff\xfe\x00garbage'),
    lambda c: c.apply('kind: NetworkPolicy\n'),
    lambda c: c.apply({'kind': 'Pod'}),
    lambda c: c.apply({'kind': object()}),
    lambda c: c.load_file(None),
    lambda c: c.load_file(''),
    lambda c: c.delete(None, 'x', 'y'),
    lambda c: c.delete('Gadget', 'x', 'y'),
    lambda c: c.delete('Pod', 'x', None),
    lambda c: c.count(3),
    lambda c: c.names(None),
    lambda c: c.export('Pod', fmt='xml'),
    lambda c: c.export('Pod', fmt=None),
    lambda c: c.compile(None, None),
    lambda c: c.compile('x', 'a', source='nowhere'),
    lambda c: c.compile('', ''),
    lambda c: c.verdict(None, 'x/a', 80),
    lambda c: c.verdict('x/a', 'x/a', -1),
    lambda c: c.verdict('x/a', 'x/a', 65536),
    lambda c: c.verdict('x/a', 'x/a', '80'),
    lambda c: c.verdict('x/a', 'x/a', 80, 'ICMP'),
    lambda c: c.verdict('x/a', 'not an address', 80),
    lambda c: c.matrix(ports=(0,)),
    lambda c: c.matrix(ports=None),
    lambda c: c.matrix(family=5),
    lambda c: c.compile('x', 'a').verdict('sideways', '1.2.3.4', 80),
    lambda c: c.compile('x', 'a').verdict('ingress', '1.2.3.999', 80),
    lambda c: c.compile('x', 'a').verdict('ingress', None, 80),
    lambda c: c.compile('x', 'a').lpm_entries(5, 'ingress'),
    lambda c: c.compile('x', 'a').lpm_entries(4, 'ingress', layout='x'),
    lambda c: c.compile('x', 'a').lpm_entries(4, 'ingress',
                                              ruleset_id=-1),
    lambda c: netpol.RuleSet(None).verdict('ingress', '1.2.3.4', 80),
    lambda c: netpol.RuleSet(None).export(),
    lambda c: netpol.RuleSet(None).mapset(),
    lambda c: netpol.MapSet(None).lpm_entries(4, 'ingress'),
    lambda c: netpol.MapSet(None).portsets(),
    lambda c: netpol.MapSet(None).export(),
    lambda c: netpol.MapSet(None).diff(netpol.MapSet(None)),
    lambda c: capi.np_cluster_load_buffer(None, 'x', 'n', None),
    lambda c: capi.np_cluster_load_file(None, 'x', None),
    lambda c: capi.np_cluster_delete(None, 1, 'x', 'y'),
    lambda c: capi.np_cluster_export(None, 1, 1),
    lambda c: capi.np_cluster_names(None, 99),
    lambda c: capi.np_cluster_endpoints(None, 2),
    lambda c: capi.np_ruleset_compile(None, 'x', 'a', None),
    lambda c: capi.np_ruleset_export(None, 1),
    lambda c: capi.np_ruleset_verdict(None, 0, '1.2.3.4', 6, 80, None),
    lambda c: capi.np_cluster_verdict(None, 'a', 'b', 6, 80, None, None),
    lambda c: capi.np_swig_cluster_matrix(None, None, 2),
    lambda c: capi.np_mapset_encode(None),
    lambda c: capi.np_mapset_export(None, 1),
    lambda c: capi.np_mapset_diff(None, None, None),
    lambda c: capi.np_swig_lpm(None, 4, 0, 0, 1),
    lambda c: capi.np_swig_portsets(None),
    lambda c: capi.np_swig_matrix_opts_add_port(None, 80),
    lambda c: capi.np_swig_matrix_opts_add_port(capi.np_swig_matrix_opts(),
                                                0),
    lambda c: capi.np_swig_matrix_opts_add_protocol(None, 6),
    lambda c: capi.np_swig_matrix_opts_add_protocol(
        capi.np_swig_matrix_opts(), 1),
    lambda c: capi.np_cluster_load_buffer(c._c, 42, 'n', None),
    lambda c: capi.np_cluster_count(c._c, 'Pod'),
])
def test_bad_input_raises_never_crashes(simple, call):
    with pytest.raises((netpol.Error, TypeError, ValueError)):
        call(simple)


def test_raw_calls_on_null_handles_do_not_crash():
    assert capi.np_cluster_count(None, 1) == 0
    assert capi.np_ruleset_hash(None) == 0
    assert capi.np_mapset_count(None, 4, 0) == 0
    assert capi.np_kind_name(99) in (None, '')


def test_closed_cluster(simple):
    rs = simple.compile('x', 'a')
    with simple as c:
        assert c.count('Pod') == 1
    with pytest.raises(ValueError):
        simple.count('Pod')
    # rule sets outlive their cluster
    assert rs.verdict('ingress', '192.168.1.1', 80)['allowed'] is True


# --- memory ----------------------------------------------------------------

def _rss_pages():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1])


def test_compile_loop_rss_flat(stars):
    page_kib = os.sysconf('SC_PAGE_SIZE') // 1024

    def burst(n):
        for _ in range(n):
            rs = stars.compile('stars', 'backend-sz87q')
            rs.verdict('ingress', '198.18.0.12', 6379)
            rs.lpm_entries(4, 'ingress')
            del rs
        gc.collect()

    burst(2000)                         # warm-up: caches, allocator arenas
    before = _rss_pages()
    burst(10000)
    grown_kib = (_rss_pages() - before) * page_kib
    # A leak of one 40-byte allocation per compile would be 400 KiB.
    assert grown_kib < 256, f'RSS grew by {grown_kib} KiB'


def test_error_loop_rss_flat():
    c = netpol.Cluster()
    bad = open(BAD_ENDPORT).read()

    def burst(n):
        for _ in range(n):
            with contextlib.suppress(netpol.Error):
                c.apply(bad)
        gc.collect()

    burst(500)
    before = _rss_pages()
    burst(5000)
    assert (_rss_pages() - before) * os.sysconf('SC_PAGE_SIZE') < 256 << 10


# --- README ----------------------------------------------------------------

def _readme_block(lang, index=0):
    text = open(os.path.join(SRCDIR, 'README.md')).read()
    blocks = text.split('```' + lang + '\n')[1:]
    return blocks[index].split('```')[0]


def test_readme_python_snippet_runs_as_shown(monkeypatch):
    snippet = _readme_block('python')
    expected = _readme_block('text')
    assert 'netpol.Cluster.load' in snippet
    monkeypatch.chdir(SRCDIR)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(snippet, 'README.md', 'exec'), {})  # noqa: S102
    assert out.getvalue() == expected


def test_verdict_tier_and_rule():
    """A ClusterNetworkPolicy rule is named with its tier, allowed or
    denied; a pod no policy isolates is DEFAULT."""
    c = netpol.Cluster.from_yaml(open(SIMPLE).read())
    c.apply({'apiVersion': 'policy.networking.k8s.io/v1alpha2',
             'kind': 'ClusterNetworkPolicy', 'metadata': {'name': 'no-dns'},
             'spec': {'tier': 'Admin', 'priority': 5,
                      'subject': {'namespaces': {}},
                      'egress': [{'action': 'Deny',
                                  'to': [{'networks': ['0.0.0.0/0']}],
                                  'protocols': [{'udp': {
                                      'destinationPort': {'number': 53}}}]
                                  }]}})
    rs = c.compile('x', 'a')
    v = rs.verdict('egress', '192.0.2.53', 53, 'UDP')
    assert (v['allowed'], v['tier'], v['policies']) == (
        False, 'ADMIN', ['cnp/no-dns egress[0] (Admin)']), v
    v = rs.verdict('egress', '192.0.2.53', 54, 'UDP')
    assert (v['allowed'], v['tier']) == (True, 'DEFAULT'), v


SHOP = '''
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, namespace: shop, labels: {app: db}}
spec: {containers: [{name: pg, ports: [{name: pg, containerPort: 5432}]}]}
status: {phase: Running, podIP: 198.18.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: frontend}}
spec: {containers: [{name: web}]}
status: {phase: Running, podIP: 198.18.0.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: pg}]
'''


def test_attribute_deny_names_policy_rule_and_reason():
    c = netpol.Cluster.from_yaml(SHOP)
    a = c.attribute('shop/web-1', 'shop/db-1', 5432)
    assert a['allowed'] is False
    assert a['from'] == {'endpoint': 'shop/web-1', 'pod': 'shop/web-1',
                         'ip': '198.18.0.3'}
    egress, ingress = a['sides']
    assert egress['direction'] == 'egress' and egress['allowed']
    assert egress['reason'] == 'not-isolated' and egress['findings'] == []
    assert ingress['direction'] == 'ingress' and not ingress['allowed']
    assert ingress['tier'] == 'NETWORK_POLICY'
    assert ingress['isolatedBy'] == ['shop/db-from-web']
    f, = ingress['findings']
    assert (f['policy'], f['rule'], f['peer'], f['reason']) == \
        ('shop/db-from-web', 0, 0, 'pod-selector-none')
    assert f['detail'] == \
        'podSelector app=web matches no pod in namespace shop'
    assert f['ruleName'] is None and f['podCount'] == 0
    # the raw document, one side, an outside address
    text = c.attribute('203.0.113.9', 'shop/db-1', 5432, fmt='json')
    assert json.loads(text)['sides'][0]['findings'][0]['reason'] == \
        'not-a-pod'
    one = c.attribute('shop/web-1', 'shop/db-1', 5432,
                      directions='egress')
    assert [s['direction'] for s in one['sides']] == ['egress']
    assert c.isolating('shop', 'db-1', 'ingress') == ['shop/db-from-web']
    assert c.isolating('shop', 'db-1', 'egress') == []


def test_attribute_allow_and_errors():
    c = netpol.Cluster.from_yaml(SHOP.replace('app: frontend', 'app: web'))
    a = c.attribute('198.18.0.3', '198.18.0.2', 5432, protocol='tcp')
    assert a['allowed'] is True
    f, = a['sides'][1]['findings']
    assert (f['policy'], f['rule'], f['reason']) == \
        ('shop/db-from-web', 0, 'match')
    a = c.attribute('shop/web-1', 'shop/db-1', 5433)
    assert a['sides'][1]['findings'][0]['reason'] == 'port'
    with pytest.raises(netpol.Error) as e:
        c.attribute('shop/nope', 'shop/db-1', 80)
    assert e.value.errno == errno.ENOENT
    assert e.value.object == 'Pod shop/nope'
    with pytest.raises(netpol.Error) as e:
        c.attribute('198.20.0.1', '198.20.0.2', 80)
    assert 'neither end is a pod' in e.value.message
    with pytest.raises(netpol.Error) as e:
        c.isolating('shop', 'nope', 'ingress')
    assert e.value.errno == errno.ENOENT
    with pytest.raises(ValueError):
        c.attribute('shop/web-1', 'shop/db-1', 80, directions=())
    with pytest.raises(ValueError):
        c.attribute('shop/web-1', 'shop/db-1', 80, protocol='ICMP')
    assert netpol.attrib_reason_name(0) == 'match'
    assert netpol.attrib_reason_name(1) == 'pod-selector-none'
    assert netpol.attrib_reason_name(99) is None
