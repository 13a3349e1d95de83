# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""netpol.Datapath: the eBPF datapath from Python.

The datapath tests run as root in a private network namespace (a thread
that called unshare(CLONE_NEWNET): the namespace, its veth pair and the tc
filters on it vanish with the thread, however the test ends) with their
own pin root, /sys/fs/bpf/netpol-pytest-<pid>, destroyed at the end. They
skip when namespaces or bpf() are refused; in a build without the datapath
every call must fail with ENOTSUP.
"""
import asyncio
import ctypes
import errno
import logging
import os
import select
import shutil
import socket
import struct
import subprocess
import threading

import pytest

import netpol
from netpol import capi

CLONE_NEWNET = 0x40000000
BPFFS = '/sys/fs/bpf'
PIN_PREFIX = 'netpol-pytest-'
PIN_ROOT = os.path.join(BPFFS, f'{PIN_PREFIX}{os.getpid()}')
HOST_IF, POD_IF = 'npy-host', 'npy-pod'
POD_IP, PEER_IP, NODE_IP = '198.18.0.2', '198.18.0.1', '198.18.255.253'
TIMEOUT = 60

MANIFEST = f'''
apiVersion: v1
kind: Namespace
metadata: {{name: x}}
---
apiVersion: v1
kind: Pod
metadata: {{name: b, namespace: x, labels: {{app: b}}}}
spec: {{containers: [{{name: c}}]}}
status: {{phase: Running, hostIP: {NODE_IP}, podIP: {POD_IP},
          podIPs: [{{ip: {POD_IP}}}]}}
---
# Deny all but one: ingress TCP 80 from anywhere, egress to 198.18.1.0/24.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: only-80, namespace: x}}
spec:
  podSelector: {{matchLabels: {{app: b}}}}
  policyTypes: [Ingress, Egress]
  ingress:
  - ports: [{{protocol: TCP, port: 80}}]
  egress:
  - to: [{{ipBlock: {{cidr: 198.18.1.0/24}}}}]
'''


# --- frames -----------------------------------------------------------------

def _csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame4(src, dst, proto, sport, dport, tcp_flags=0x02):
    """An Ethernet + IPv4 + TCP (SYN by default) or UDP frame."""
    if proto == socket.IPPROTO_TCP:
        l4 = struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 5 << 4,
                         tcp_flags, 65535, 0, 0)
    else:
        l4 = struct.pack('!HHHH', sport, dport, 8, 0)
    ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 1,
                               0x4000, 64, proto, 0, socket.inet_aton(src),
                               socket.inet_aton(dst)))
    struct.pack_into('!H', ip, 10, _csum(bytes(ip)))
    eth = bytes.fromhex('020000000002' '020000000001' '0800')
    return eth + bytes(ip) + l4


def tcp_in(sport, dport, src=PEER_IP, tcp_flags=0x02):
    return frame4(src, POD_IP, socket.IPPROTO_TCP, sport, dport, tcp_flags)


def udp6(src, dst, sport, dport):
    """An Ethernet + IPv6 + UDP frame (the checksum is not checked)."""
    l4 = struct.pack('!HHHH', sport, dport, 8, 0)
    ip = struct.pack('!IHBB16s16s', 6 << 28, len(l4), socket.IPPROTO_UDP,
                     64, socket.inet_pton(socket.AF_INET6, src),
                     socket.inet_pton(socket.AF_INET6, dst))
    eth = bytes.fromhex('020000000002' '020000000001' '86dd')
    return eth + ip + l4


# --- isolation --------------------------------------------------------------

def _remove_tree(path):
    """rm -r for a bpffs directory (pinned objects unlink like files)."""
    shutil.rmtree(path, ignore_errors=True)


def _cleanup_stale_pins():
    """Pin roots of test processes that died without destroying theirs."""
    try:
        names = os.listdir(BPFFS)
    except OSError:
        return
    for n in names:
        if not n.startswith(PIN_PREFIX):
            continue
        pid = n[len(PIN_PREFIX):]
        if pid.isdigit() and not os.path.exists(f'/proc/{pid}'):
            _remove_tree(os.path.join(BPFFS, n))


def _ip(*args):
    subprocess.run(['ip', *args], check=True, timeout=10,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def in_netns(fn):
    """Run fn() in a thread of its own in a new network namespace with a
    veth pair HOST_IF <-> POD_IF; skip when that is refused."""
    outcome = {}

    def run():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                outcome['skip'] = ('unshare(CLONE_NEWNET): '
                                   + os.strerror(err))
                return
            try:
                _ip('link', 'set', 'lo', 'up')
                _ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name',
                    POD_IF)
                _ip('link', 'set', HOST_IF, 'up')
                _ip('link', 'set', POD_IF, 'up')
            except (OSError, subprocess.SubprocessError) as e:
                outcome['skip'] = f'veth pair: {e}'
                return
            fn()
        except BaseException as e:   # pytest's skip and fail too
            outcome['exc'] = e

    t = threading.Thread(target=run, name='netns', daemon=True)
    t.start()
    t.join(TIMEOUT)
    if t.is_alive():
        pytest.fail(f'datapath test still running after {TIMEOUT}s')
    if 'skip' in outcome:
        pytest.skip(outcome['skip'])
    if 'exc' in outcome:
        raise outcome['exc']


def open_or_skip(**kw):
    try:
        return netpol.Datapath(pin_root=PIN_ROOT, **kw)
    except netpol.Error as e:
        if e.errno == errno.ENOTSUP:
            pytest.skip('built without the datapath')
        if e.errno in (errno.EPERM, errno.EACCES):
            pytest.skip(f'bpf() refused: {e}')
        raise


@pytest.fixture(name='pin_root')
def fixture_pin_root():
    """PIN_ROOT, gone afterwards whatever happened."""
    _cleanup_stale_pins()
    _remove_tree(PIN_ROOT)
    yield PIN_ROOT
    leftover = os.path.exists(PIN_ROOT)
    _remove_tree(PIN_ROOT)
    assert not leftover, 'destroy() left the pin root behind'


def _datapath_built():
    try:
        dp = netpol.Datapath(pin_root=PIN_ROOT)
    except netpol.Error as e:
        return e.errno != errno.ENOTSUP
    dp.destroy()
    return True


# --- tests ------------------------------------------------------------------

def test_calls_on_no_handle_fail_cleanly():
    """No call crashes on a NULL handle: EINVAL, or ENOTSUP without the
    datapath."""
    rs = netpol.Cluster.from_yaml(MANIFEST).compile('x', 'b')
    calls = [
        lambda: capi.np_datapath_detach(None, 1),
        lambda: capi.np_datapath_gc(None),
        lambda: capi.np_datapath_set_events(None, True),
        lambda: capi.np_datapath_set_rule_counters(None, True),
        lambda: capi.np_datapath_destroy(None),
        lambda: capi.np_datapath_apply(None, 1, rs._rs),
        lambda: capi.np_swig_datapath_attach(None, 'lo', 0, None, None,
                                             capi.NP_HOOK_KIND_NONE, ''),
        lambda: capi.np_swig_datapath_begin(None, False),
        lambda: capi.np_datapath_commit(None),
        lambda: capi.np_swig_datapath_hooks(None, 1),
        lambda: capi.np_swig_datapath_set_node_ips(None, NODE_IP),
        lambda: capi.np_swig_datapath_test_packet(None, 1, 0, b'x' * 64),
        lambda: capi.np_swig_datapath_counters(
            None, 1, 0, capi.np_datapath_counters()),
        lambda: capi.np_swig_datapath_poll_events(None, 0, 0),
        lambda: capi.np_swig_datapath_pods(None),
        lambda: capi.np_datapath_fail_closed(None, 1, 1),
        lambda: capi.np_swig_datapath_events_fd(None),
        lambda: capi.np_swig_datapath_latency(None),
    ]
    for call in calls:
        with pytest.raises(netpol.Error) as e:
            call()
        assert e.value.errno in (errno.EINVAL, errno.ENOTSUP)
    capi.np_datapath_abort(None)     # nothing to abort: no error
    assert capi.np_reason_name(capi.NP_REASON_PORT) == 'port'
    assert netpol.reason_name(capi.NP_REASON_REVOKED) == 'revoked'
    assert netpol.reason_name(capi.NP_REASON_SPOOFED) == 'spoofed'
    assert netpol.reason_name(capi.NP_REASON_NO_MATCH) == 'no-match'
    assert netpol.reason_name(999) is None


def test_without_datapath_everything_is_enotsup(pin_root):
    if _datapath_built():
        pytest.skip('the datapath is built in')
    with pytest.raises(netpol.Error) as e:
        netpol.Datapath(pin_root=pin_root)
    assert e.value.errno == errno.ENOTSUP
    assert isinstance(e.value, OSError)
    rs = netpol.Cluster.from_yaml(MANIFEST).compile('x', 'b')
    for call in [
            lambda: capi.np_datapath_detach(None, 1),
            lambda: capi.np_datapath_apply(None, 1, rs._rs),
            lambda: capi.np_swig_datapath_pods(None),
            lambda: capi.np_swig_datapath_poll_events(None, 0, 0),
            lambda: capi.np_swig_datapath_test_packet(None, 1, 0, b'x')]:
        with pytest.raises(netpol.Error) as e:
            call()
        assert e.value.errno == errno.ENOTSUP


def test_argument_checks():
    with pytest.raises(ValueError):
        netpol.Datapath(mode='lenient')
    with pytest.raises(ValueError):
        netpol.Datapath(ct_size=-1)
    with pytest.raises(ValueError):
        netpol.Datapath(node_ips=['198.18.0.1,198.18.0.2'])
    with pytest.raises(TypeError):
        netpol.Datapath(node_ips=[1])
    for bad in ('yes', 1, 0):
        with pytest.raises(TypeError):
            netpol.Datapath(revoke=bad)
        with pytest.raises(TypeError):
            netpol.Datapath(source_check=bad)


def _kernel_has_tcx():
    """TCX came with Linux 6.6."""
    try:
        major, minor = os.uname().release.split('.')[:2]
        return (int(major), int(minor.split('-')[0])) >= (6, 6)
    except ValueError:
        return False


def test_hooks(pin_root):
    """attach(hook=...) chooses how the programs own the veth's hooks,
    and hooks() reports it."""

    def body():
        dp = open_or_skip()
        try:
            hooks_scenario(dp)
        finally:
            if dp._dp is not None:
                dp.destroy()
            elif os.path.exists(PIN_ROOT):
                netpol.Datapath(pin_root=PIN_ROOT).destroy()
        assert not os.path.exists(pin_root)

    in_netns(body)


def hooks_scenario(dp):
    keys = {'state', 'kind', 'prog_id', 'expected_id', 'filters', 'ahead',
            'ahead_kind', 'ahead_prio', 'ahead_handle', 'ahead_prog_id'}

    def check(h, kind):
        assert set(h) == {'ingress', 'egress'}, h
        for d in ('ingress', 'egress'):
            assert set(h[d]) == keys, h[d]
            assert (h[d]['state'], h[d]['kind']) == ('ok', kind), h
            assert h[d]['prog_id'] == h[d]['expected_id'] != 0, h
            assert h[d]['filters'] >= 1, h
            assert (h[d]['ahead'], h[d]['ahead_kind'],
                    h[d]['ahead_prog_id']) == (0, '', 0), h
        assert h['ingress']['prog_id'] != h['egress']['prog_id'], h

    # the library's choice: TCX where the kernel has it
    ifx = dp.attach(HOST_IF, pod='x/b')
    check(dp.hooks(ifx), 'tcx' if _kernel_has_tcx() else 'tc')
    # moved to a tc filter, and back, keeping the pod
    assert dp.attach(HOST_IF, pod='x/b', hook='tc') == ifx
    h = dp.hooks(ifx)
    check(h, 'tc')
    assert h['ingress']['ahead_prio'] == h['ingress']['ahead_handle'] == 0
    if _kernel_has_tcx():
        assert dp.attach(ifindex=ifx, pod='x/b', hook='tcx') == ifx
        check(dp.hooks(ifx), 'tcx')
    else:
        with pytest.raises(netpol.Error) as e:
            dp.attach(ifindex=ifx, hook='tcx')
        assert e.value.errno == errno.EOPNOTSUPP
    assert [p['pod'] for p in dp.pods()] == ['x/b']

    # only auto, tcx and tc
    for bad in ('xdp', '', 'none'):
        with pytest.raises(ValueError) as e:
            dp.attach(HOST_IF, hook=bad)
        assert 'auto, tc, tcx' in str(e.value), e.value
    with pytest.raises(TypeError):
        dp.attach(HOST_IF, hook=2)

    # an interface not attached: nothing of ours on it
    other = socket.if_nametoindex(POD_IF)
    h = dp.hooks(other)
    for d in ('ingress', 'egress'):
        assert (h[d]['state'], h[d]['kind'], h[d]['prog_id']) == (
            'missing', 'none', 0), h
        assert h[d]['expected_id'] != 0, h
    with pytest.raises(ValueError):
        dp.hooks(0)

    # detached: missing too
    dp.detach(ifx)
    assert {d: (v['state'], v['kind']) for d, v in dp.hooks(ifx).items()} \
        == {'ingress': ('missing', 'none'), 'egress': ('missing', 'none')}


def test_datapath_enforces_a_ruleset(pin_root):
    rs = netpol.Cluster.from_yaml(MANIFEST).compile('x', 'b')

    def body():
        dp = open_or_skip(events=True, node_ips=[NODE_IP])
        try:
            scenario(dp, rs)
        finally:
            if dp._dp is not None:
                dp.destroy()
            elif os.path.exists(PIN_ROOT):
                netpol.Datapath(pin_root=PIN_ROOT).destroy()
        assert not os.path.exists(pin_root)

    in_netns(body)


def scenario(dp, rs):
    ifx = dp.attach(HOST_IF, pod='x/b')
    assert ifx == socket.if_nametoindex(HOST_IF)
    pods = dp.pods()
    assert [(p['ifindex'], p['ifname'], p['pod']) for p in pods] == [
        (ifx, HOST_IF, 'x/b')]
    assert pods[0]['state'] == {'ingress': 'default-allow',
                                'egress': 'default-allow'}
    assert (pods[0]['ip4'], pods[0]['ip6']) == (None, None)

    # standard mode: everything passes until rules arrive
    assert dp.test_packet(ifx, 'ingress', tcp_in(40000, 81)) == \
        netpol.VERDICT_OK
    dp.apply(ifx, rs)
    pods = dp.pods()
    assert pods[0]['state'] == {'ingress': 'enforced', 'egress': 'enforced'}
    assert pods[0]['ruleset']['ingress'] != 0
    # the rule set's pod address, as the datapath holds it
    assert (pods[0]['ip4'], pods[0]['ip6']) == (POD_IP, None)
    assert list(dp.events(timeout_ms=100)) != [], 'the first, allowed flow'

    before = dp.counters(ifx, 'ingress')
    assert dp.test_packet(ifx, 'ingress', tcp_in(40001, 80)) == 0
    assert dp.test_packet(ifx, 'ingress', tcp_in(40002, 81)) == 2
    assert dp.test_packet(ifx, 'ingress',
                          bytearray(tcp_in(40003, 81))) == 2
    after = dp.counters(ifx, 'ingress')
    assert after['allowed_packets'] == before['allowed_packets'] + 1
    assert after['denied_packets'] == before['denied_packets'] + 2
    assert after['denied_bytes'] > before['denied_bytes']
    # egress: only to 198.18.1.0/24
    assert dp.test_packet(ifx, 'egress', frame4(
        POD_IP, '198.18.1.7', socket.IPPROTO_UDP, 5000, 53)) == 0
    assert dp.test_packet(ifx, 'egress', frame4(
        POD_IP, '198.19.0.1', socket.IPPROTO_TCP, 40004, 443)) == 2
    eg = dp.counters(ifx, 'egress')
    assert eg['allowed_packets'] == 1 and eg['denied_packets'] == 1
    # the node is allowed whatever the rules
    assert dp.test_packet(ifx, 'ingress',
                          tcp_in(40005, 81, src=NODE_IP)) == 0

    events = list(dp.events(timeout_ms=200))
    drops = [e for e in events if not e['allowed']]
    assert [(e['reason'], e['direction'], e['dport']) for e in drops] == [
        ('port', 'ingress', 81), ('port', 'ingress', 81),
        ('no-match', 'egress', 443)], events
    d = drops[0]
    assert (d['src'], d['dst'], d['sport'], d['protocol']) == (
        PEER_IP, POD_IP, 40002, 'TCP')
    assert (d['pod'], d['pod_ns'], d['pod_name']) == ('x/b', 'x', 'b')
    assert d['ruleset'] == pods[0]['ruleset']['ingress']
    assert d['rule_cidr'] == '0.0.0.0/0'
    assert d['ifindex'] == ifx and d['family'] == 4
    assert d['time'] > 1.6e9
    assert drops[2]['rule_cidr'] == '' and drops[2]['prefixlen'] == -1
    allowed = [e for e in events if e['allowed']]
    assert ('rule', 80) in [(e['reason'], e['dport'])
                                  for e in allowed]
    assert 'node' in [e['reason'] for e in allowed]

    # max_events, and the rest stays queued
    for port in (81, 82, 83):
        assert dp.test_packet(ifx, 'ingress', tcp_in(41000, port)) == 2
    assert [e['dport'] for e in dp.events(timeout_ms=200,
                                          max_events=2)] == [81, 82]
    assert [e['dport'] for e in dp.events(timeout_ms=200)] == [83]

    # fail closed: new flows denied, the node still allowed; apply undoes
    with pytest.raises(ValueError):
        dp.fail_closed(ifx, ['sideways'])
    with pytest.raises(netpol.Error) as e:
        dp.fail_closed(ifx, [])
    assert e.value.errno == errno.EINVAL
    dp.fail_closed(ifx, ['ingress'])
    assert dp.pods()[0]['state'] == {'ingress': 'fail-closed',
                                     'egress': 'enforced'}
    assert dp.test_packet(ifx, 'ingress', tcp_in(42000, 80)) == 2
    assert dp.test_packet(ifx, 'ingress',
                          tcp_in(42001, 80, src=NODE_IP)) == 0
    assert [e['reason'] for e in dp.events(timeout_ms=200)
            if not e['allowed']] == ['unenforceable']
    dp.apply(ifx, rs)
    assert dp.test_packet(ifx, 'ingress', tcp_in(42002, 80)) == 0
    list(dp.events(timeout_ms=200))

    dp.set_events(False)
    assert dp.test_packet(ifx, 'ingress', tcp_in(40006, 81)) == 2
    assert dp.poll_events(50) == []

    # per-rule-key counters, switched at run time
    dp.set_rule_counters(True)
    assert dp.stats()['rule_counters_on'] is True
    dp.set_rule_counters(False)
    assert dp.stats()['rule_counters_on'] is False

    # node addresses replaced at run time
    dp.set_node_ips([])
    dp.set_node_ips(['198.18.255.252'])
    assert dp.test_packet(ifx, 'ingress',
                          tcp_in(40007, 81, src=NODE_IP)) == 2
    with pytest.raises(netpol.Error) as e:
        dp.set_node_ips(['not-an-ip'])
    assert e.value.errno == errno.EINVAL

    # errors
    with pytest.raises(netpol.Error) as e:
        dp.attach('npy-none')
    assert e.value.errno == errno.ENODEV
    with pytest.raises(netpol.Error) as e:
        dp.apply(socket.if_nametoindex(POD_IF), rs)
    assert e.value.errno == errno.ENOENT
    with pytest.raises(TypeError):
        dp.test_packet(ifx, 'ingress', 'not bytes')
    with pytest.raises(ValueError):
        dp.attach(HOST_IF, pod='no-slash')

    # inspection of the live maps
    st = dp.stats()
    assert st['pods'] == 1 and st['events_on'] is False
    assert st['rulesets'] >= 2 and st['ct_capacity'][0] > 0
    assert st['ct_evictions'] == [0, 0]
    v = dp.explain(ifx, 'ingress', PEER_IP, 80, ruleset=rs)
    assert (v['allowed'], v['reason'], v['state']) == (
        True, 'rule', 'enforced')
    assert v['policies'] == ['x/only-80 ingress[0]'], v
    assert v['tier'] == 'NETWORK_POLICY', v
    v = dp.explain(ifx, 'ingress', PEER_IP, 81, 'TCP')
    assert (v['allowed'], v['reason']) == (False, 'port')
    assert v['tier'] is None, v  # without the rule set: not known
    v = dp.explain(ifx, 'egress', '198.19.0.1', 443, 6)
    assert (v['allowed'], v['reason']) == (False, 'no-match')
    assert dp.verify(ifx, rs) == []
    other = netpol.Cluster.from_yaml(MANIFEST.replace('port: 80',
                                                      'port: 8080'))
    assert dp.verify(ifx, other.compile('x', 'b')) != []

    dp.gc()
    assert [p['pod'] for p in dp.pods()] == ['x/b']

    # closing keeps the pod enforced; a new handle sees it
    dp.close()
    with pytest.raises(ValueError):
        dp.pods()
    with netpol.Datapath(pin_root=PIN_ROOT) as dp2:
        assert [p['pod'] for p in dp2.pods()] == ['x/b']
        assert dp2.test_packet(ifx, 'ingress', tcp_in(40008, 81)) == 2
        dp2.detach(ifx)
        assert dp2.pods() == []
        with pytest.raises(netpol.Error) as e:
            dp2.detach(ifx)
        assert e.value.errno == errno.ENOENT
        assert dp2.attach(ifindex=ifx) == ifx
        assert dp2.pods()[0]['pod'] == ''
        dp2.destroy()
        with pytest.raises(ValueError):
            dp2.destroy()
    assert not os.path.exists(PIN_ROOT)
    assert not [n for n in os.listdir(BPFFS)
                if n.startswith('netpol-') and 'test' in n
                and n.endswith(str(os.getpid()))]


# --- transactions, revocation, source addresses -----------------------------

def _rulesets():
    """The pod's rule set (ingress TCP 80) and another (TCP 8080 only)."""
    rs = netpol.Cluster.from_yaml(MANIFEST).compile('x', 'b')
    rs8080 = netpol.Cluster.from_yaml(
        MANIFEST.replace('port: 80', 'port: 8080')).compile('x', 'b')
    return rs, rs8080


def _in_netns_with(scenario_fn, **kw):
    def body():
        dp = open_or_skip(**kw)
        try:
            scenario_fn(dp)
        finally:
            if dp._dp is not None:
                dp.destroy()
            elif os.path.exists(PIN_ROOT):
                netpol.Datapath(pin_root=PIN_ROOT).destroy()
        assert not os.path.exists(PIN_ROOT)

    in_netns(body)


def _drops(dp):
    return [(e['reason'], e['direction'], e['src'], e['dport'])
            for e in dp.events(timeout_ms=200) if not e['allowed']]


def test_transactions(pin_root):
    """begin/commit changes the pods at once, abort leaves them, and the
    context manager commits or aborts."""
    rs, rs8080 = _rulesets()
    _in_netns_with(lambda dp: transactions_scenario(dp, rs, rs8080))


def transactions_scenario(dp, rs, rs8080):
    ifx = dp.attach(HOST_IF, pod='x/b')
    sport = iter(range(45000, 46000))

    def state():
        p = dp.pods()[0]
        return p['state']['ingress'], p['ruleset']['ingress']

    def verdict(port):
        return dp.test_packet(ifx, 'ingress', tcp_in(next(sport), port))

    assert state() == ('default-allow', 0)
    # no transaction: commit is EINVAL, abort does nothing
    with pytest.raises(netpol.Error) as e:
        dp.commit()
    assert e.value.errno == errno.EINVAL
    dp.abort()

    # begin + apply + commit: staged until the commit, then in force
    dp.begin()
    dp.apply(ifx, rs)
    assert state() == ('default-allow', 0), 'staged, not live'
    assert verdict(81) == netpol.VERDICT_OK
    dp.commit()
    st, rid = state()
    assert st == 'enforced' and rid != 0
    assert verdict(81) == netpol.VERDICT_SHOT
    assert verdict(80) == netpol.VERDICT_OK

    # begin + apply + abort: the pod keeps its rules
    dp.begin()
    dp.apply(ifx, rs8080)
    dp.abort()
    assert state() == ('enforced', rid)
    assert verdict(80) == netpol.VERDICT_OK
    assert verdict(8080) == netpol.VERDICT_SHOT

    # begin twice: EALREADY, and the first stays open
    dp.begin()
    with pytest.raises(netpol.Error) as e:
        dp.begin()
    assert e.value.errno == errno.EALREADY
    dp.abort()
    with pytest.raises(netpol.Error) as e:
        dp.commit()
    assert e.value.errno == errno.EINVAL, 'the abort ended it'

    # the context manager aborts on an exception, and passes it on
    with pytest.raises(RuntimeError, match='midway'):
        with dp.transaction() as t:
            assert t is dp
            dp.apply(ifx, rs8080)
            raise RuntimeError('midway')
    assert state() == ('enforced', rid)
    assert verdict(8080) == netpol.VERDICT_SHOT
    # ... and commits when the block ends normally
    with dp.transaction():
        dp.apply(ifx, rs8080)
        dp.fail_closed(ifx, ['egress'])
        assert state() == ('enforced', rid)
    st, rid2 = state()
    assert st == 'enforced' and rid2 not in (0, rid)
    assert dp.pods()[0]['state']['egress'] == 'fail-closed'
    assert verdict(8080) == netpol.VERDICT_OK
    assert verdict(80) == netpol.VERDICT_SHOT

    # the lock: another handle waits, or with nowait gets EAGAIN
    other = netpol.Datapath(pin_root=PIN_ROOT)
    try:
        with dp.transaction(nowait=True):
            with pytest.raises(netpol.Error) as e:
                other.begin(nowait=True)
            assert e.value.errno == errno.EAGAIN
        other.begin(nowait=True)
        other.abort()
    finally:
        other.close()
    # closing a handle aborts its transaction
    third = netpol.Datapath(pin_root=PIN_ROOT)
    third.begin()
    third.apply(ifx, rs)
    third.close()
    third.abort()   # closed: nothing to do
    assert state() == ('enforced', rid2)
    dp.begin(nowait=True)   # the lock is free again
    dp.abort()


def test_revoked_and_spoofed(pin_root):
    """Flows the new rules deny are dropped as revoked; a pod sending from
    another address is dropped as spoofed; both come out as events."""
    rs, rs8080 = _rulesets()
    _in_netns_with(lambda dp: revoke_scenario(dp, rs, rs8080), events=True)


def revoke_scenario(dp, rs, rs8080):
    other_ip = '198.18.0.99'
    for bad in (['not-an-ip'], 'not-an-ip', ['198.18.0.2', '198.18.0.3'],
                ['fd00::1', 'fd00::2'], ['fe80::1%eth0'], ['198.18.0.2,x']):
        with pytest.raises(ValueError):
            dp.attach(HOST_IF, ips=bad)
    with pytest.raises(TypeError):
        dp.attach(HOST_IF, ips=[1])
    assert dp.pods() == [], 'a refused attach attaches nothing'

    # source addresses from attach(ips=...)
    ifx = dp.attach(HOST_IF, pod='x/b', ips=[POD_IP])

    def egress(src, dst='198.18.1.7'):
        return dp.test_packet(ifx, 'egress', frame4(
            src, dst, socket.IPPROTO_UDP, 5000, 53))

    assert egress(POD_IP) == netpol.VERDICT_OK
    assert egress(other_ip) == netpol.VERDICT_SHOT
    # only IPv4 known: IPv6 from the pod is spoofed, but link-local
    assert dp.test_packet(ifx, 'egress', udp6(
        'fd00::2', 'fd00:1::53', 5000, 53)) == netpol.VERDICT_SHOT
    assert dp.test_packet(ifx, 'egress', udp6(
        'fe80::2', 'ff02::1:2', 546, 547)) == netpol.VERDICT_OK
    assert _drops(dp) == [('spoofed', 'egress', other_ip, 53),
                          ('spoofed', 'egress', 'fd00::2', 53)]
    # a re-attach with addresses replaces them; without, keeps them
    dp.attach(HOST_IF, pod='x/b', ips=(other_ip, 'fd00::2'))
    assert egress(POD_IP) == netpol.VERDICT_SHOT
    assert egress(other_ip) == netpol.VERDICT_OK
    assert dp.attach(HOST_IF) == ifx
    assert dp.pods()[0]['pod'] == 'x/b'
    assert egress(other_ip) == netpol.VERDICT_OK
    # apply takes the pod's addresses from the rule set (podIPs)
    dp.apply(ifx, rs)
    assert egress(POD_IP) == netpol.VERDICT_OK
    assert egress(other_ip) == netpol.VERDICT_SHOT
    assert [d[0] for d in _drops(dp)] == ['spoofed', 'spoofed']

    # revocation: a tracked flow the new rules deny is dropped
    syn = tcp_in(46000, 80)
    ack = tcp_in(46000, 80, tcp_flags=0x10)
    reply = frame4(POD_IP, PEER_IP, socket.IPPROTO_TCP, 80, 46000, 0x12)
    assert dp.test_packet(ifx, 'ingress', syn) == netpol.VERDICT_OK
    assert dp.test_packet(ifx, 'egress', reply) == netpol.VERDICT_OK
    assert dp.test_packet(ifx, 'ingress', ack) == netpol.VERDICT_OK
    list(dp.events(timeout_ms=200))
    dp.apply(ifx, rs8080)
    assert dp.test_packet(ifx, 'ingress', ack) == netpol.VERDICT_SHOT
    assert dp.test_packet(ifx, 'egress', reply) == netpol.VERDICT_SHOT
    assert _drops(dp) == [('revoked', 'ingress', PEER_IP, 80),
                          ('revoked', 'egress', POD_IP, 46000)]
    # allowed again by the next rules: the flow goes on
    dp.apply(ifx, rs)
    assert dp.test_packet(ifx, 'ingress', ack) == netpol.VERDICT_OK
    assert dp.test_packet(ifx, 'egress', reply) == netpol.VERDICT_OK
    assert _drops(dp) == []

    # revoke off (node-wide, through another handle): judged once
    with netpol.Datapath(pin_root=PIN_ROOT, revoke=False,
                         source_check=False):
        pass
    dp.apply(ifx, rs8080)
    assert dp.test_packet(ifx, 'ingress', ack) == netpol.VERDICT_OK
    assert egress(other_ip) == netpol.VERDICT_OK, 'source check off'
    assert _drops(dp) == []
    # None keeps the node's switches; True puts them back
    with netpol.Datapath(pin_root=PIN_ROOT):
        pass
    assert egress(other_ip) == netpol.VERDICT_OK, 'still off'
    with netpol.Datapath(pin_root=PIN_ROOT, revoke=True,
                         source_check=True):
        pass
    assert egress(other_ip) == netpol.VERDICT_SHOT


def test_events_from_asyncio_and_latency(pin_root):
    """The events reader works from an asyncio loop: add_reader() on its
    fileno() wakes when the program reports a flow, read() returns it
    without waiting. latency() counts the apply. repr() names the pin
    root."""
    rs = netpol.Cluster.from_yaml(MANIFEST).compile('x', 'b')

    def scenario_fn(dp):
        assert repr(dp) == (f"<netpol.Datapath pin_root={PIN_ROOT!r} "
                            "mode='standard' open>")
        ifx = dp.attach(HOST_IF, pod='x/b')
        before = dp.latency()
        dp.apply(ifx, rs)
        lat = dp.latency()
        assert isinstance(lat, netpol.Latency)
        assert lat.count == before.count + 1
        assert lat.sum > before.sum
        bounds = [b for b, _ in lat.buckets]
        assert bounds and bounds == sorted(bounds) and bounds[0] > 0
        counts = [n for _, n in lat.buckets]
        assert counts == sorted(counts), 'cumulative'
        assert counts[-1] <= lat.count
        list(dp.events(timeout_ms=100))     # drain the first flows

        reader = dp.events()
        fd = reader.fileno()
        assert fd >= 0 and fd == reader.fileno()
        assert 'EventReader' in repr(reader)
        # nothing waits: not readable, and read() does not block
        assert select.select([fd], [], [], 0)[0] == []
        assert reader.read() == []

        async def main():
            loop = asyncio.get_running_loop()
            got = loop.create_future()

            def on_readable():
                evs = reader.read()
                if evs and not got.done():
                    got.set_result(evs)

            loop.add_reader(fd, on_readable)
            try:
                # a denied SYN to port 81 crosses the real program
                loop.call_soon(dp.test_packet, ifx, 'ingress',
                               tcp_in(41000, 81))
                return await asyncio.wait_for(got, 10)
            finally:
                loop.remove_reader(fd)

        evs = asyncio.run(main())
        drops = [e for e in evs if not e['allowed']]
        assert [(e['reason'], e['direction'], e['sport'], e['dport'],
                 e['pod']) for e in drops] == [
            ('port', 'ingress', 41000, 81, 'x/b')], evs
        assert reader.read() == []
        # max_events bounds the reader, from poll() as from iteration
        two = dp.events(max_events=2)
        for port in (82, 83, 84):
            dp.test_packet(ifx, 'ingress', tcp_in(41100 + port, port))
        assert [e['dport'] for e in two.poll(1)] == [82, 83]
        assert two.read() == [] and list(two) == []
        assert [e['dport'] for e in dp.events(timeout_ms=200)] == [84]

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__()
            self.lines = []

        def emit(self, record):
            self.lines.append((record.levelno, record.getMessage()))

    logger = logging.getLogger('netpol')
    keep, level = Keep(), logger.level
    logger.addHandler(keep)
    logger.setLevel(logging.INFO)
    try:
        _in_netns_with(scenario_fn, events=True, node_ips=[NODE_IP])
    finally:
        logger.removeHandler(keep)
        logger.setLevel(level)
    # the datapath's log lines reach logging too
    assert (logging.INFO, f'datapath loaded and pinned under {PIN_ROOT}') \
        in keep.lines, keep.lines
