# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""libnetpol for Python: Kubernetes NetworkPolicy compiled to eBPF.

    import netpol
    c = netpol.Cluster.load('policies.yaml')
    rs = c.compile('default', 'web-0')
    rs.verdict('ingress', '10.0.0.7', 80)
    why = c.attribute('default/client', 'default/web-0', 80)
    why['sides'][-1]['isolatedBy']      # ['default/web-only-frontend']

    with netpol.Datapath(events=True) as dp:      # root: CAP_BPF, NET_ADMIN
        dp.attach('veth1234', pod='default/web-0')
        dp.apply(dp.pods()[0]['ifindex'], rs)
        for ev in dp.events(timeout_ms=1000):
            print(ev['reason'], ev['src'], ev['dst'], ev['dport'])

Kinds, directions, protocols and formats are strings ('NetworkPolicy',
'ingress', 'TCP', 'yaml'). Failures raise netpol.Error, an OSError with the
library's errno and diagnostic. Objects free their C memory when collected.
One object must not be used from two threads at once; rule sets and map
sets are immutable.
"""
import contextlib
import ipaddress
import json
import errno as _errno
import os
import socket

from ._error import Error
from . import capi

__all__ = ['Error', 'Cluster', 'RuleSet', 'MapSet', 'Datapath', 'version',
           'strerror', 'reason_name', 'attrib_reason_name', 'VERDICT_OK',
           'VERDICT_SHOT']

_KINDS = {
    'namespace': capi.NP_KIND_NAMESPACE,
    'pod': capi.NP_KIND_POD,
    'service': capi.NP_KIND_SERVICE,
    'networkpolicy': capi.NP_KIND_NETWORK_POLICY,
    'policyendpoint': capi.NP_KIND_POLICY_ENDPOINT,
    # the Admin and Baseline tiers, folded into each pod's rule set
    'clusternetworkpolicy': capi.NP_KIND_CLUSTER_NETWORK_POLICY,
    'aws-clusternetworkpolicy': capi.NP_KIND_AWS_CLUSTER_NETWORK_POLICY,
    'clusterpolicyendpoint': capi.NP_KIND_CLUSTER_POLICY_ENDPOINT,
    # labels and IP addresses, for ClusterNetworkPolicy nodes peers
    'node': capi.NP_KIND_NODE,
}
_DIRECTIONS = {'ingress': capi.NP_DIRECTION_INGRESS,
               'egress': capi.NP_DIRECTION_EGRESS}
_PROTOCOLS = {'TCP': capi.NP_PROTOCOL_TCP, 'UDP': capi.NP_PROTOCOL_UDP,
              'SCTP': capi.NP_PROTOCOL_SCTP}
_FORMATS = {'yaml': capi.NP_FORMAT_YAML, 'json': capi.NP_FORMAT_JSON,
            'text': capi.NP_FORMAT_TEXT}
_SOURCES = {'policies': capi.NP_SOURCE_POLICIES,
            'endpoints': capi.NP_SOURCE_ENDPOINTS}
_LAYOUTS = {'netpol': capi.NP_LAYOUT_NETPOL, 'eks': capi.NP_LAYOUT_EKS,
            'eks-cp': capi.NP_LAYOUT_EKS_CP}


def _lookup(table, what, value, fold=str.lower):
    if not isinstance(value, str):
        raise TypeError(f'{what} must be a str, not {type(value).__name__}')
    try:
        return table[fold(value)]
    except KeyError:
        raise ValueError(f'unknown {what} {value!r}; expected one of '
                         f'{", ".join(sorted(table))}') from None


def _kind(kind):
    return _lookup(_KINDS, 'kind', kind)


def _protocol(protocol):
    return _lookup(_PROTOCOLS, 'protocol', protocol, str.upper)


def _str(what, value):
    if not isinstance(value, str):
        raise TypeError(f'{what} must be a str, not {type(value).__name__}')
    return value


def _int(what, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f'{what} must be an int, not {type(value).__name__}')
    if not lo <= value <= hi:
        raise ValueError(f'{what} must be in {lo}..{hi}, not {value}')
    return value


def _reason(r):
    return capi.np_reason_name(r) or str(r)


def _tier(t):
    """'ADMIN', 'NETWORK_POLICY', 'BASELINE', 'DEFAULT', or None when
    not known."""
    if t == capi.NP_TIER_UNKNOWN:
        return None
    return capi.np_tier_name(t) or str(t)


def _verdict(v):
    return {
        'allowed': bool(v.allowed),
        'reason': _reason(v.reason),
        'direction': 'egress' if v.direction else 'ingress',
        'key': v.key,
        'slot': v.slot,
        'policies': v.policies.split(', ') if v.policies else [],
        'tier': _tier(v.tier),
    }


def version():
    """The C library's version, "0.1.0"."""
    return capi.np_version()


def strerror(errno):
    """The library's text for an errno."""
    return capi.np_strerror(-abs(_int('errno', errno, -4095, 4095)))


class Cluster:
    """A snapshot of Namespaces, Pods, Services, NetworkPolicies and
    PolicyEndpoints, loaded whole or upserted one object at a time."""

    def __init__(self):
        self._c = capi.np_cluster_new()

    @classmethod
    def load(cls, *paths, skip_invalid=False):
        """A cluster from manifest files (YAML, JSON, kind: List; '-' is
        stdin)."""
        c = cls()
        for p in paths:
            c.load_file(p, skip_invalid=skip_invalid)
        return c

    @classmethod
    def from_yaml(cls, text, name='<string>'):
        """A cluster from YAML or JSON text."""
        c = cls()
        c.apply(text, name=name)
        return c

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Free the C snapshot now rather than when collected."""
        self._c = None

    def _h(self):
        if self._c is None:
            raise ValueError('cluster is closed')
        return self._c

    def load_file(self, path, skip_invalid=False):
        """Parse, validate and upsert every object of a file."""
        opts = capi.np_load_opts()
        opts.skip_invalid = bool(skip_invalid)
        path = os.fspath(path)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        capi.np_cluster_load_file(self._h(), path, opts)

    def apply(self, obj, name='<string>', skip_invalid=False):
        """Upsert objects: a dict (one object or a kind: List), or YAML or
        JSON text (str or bytes)."""
        if isinstance(obj, dict):
            obj = json.dumps(obj)
        elif not isinstance(obj, (str, bytes, bytearray)):
            raise TypeError('apply() takes a dict, str or bytes, not '
                            + type(obj).__name__)
        opts = capi.np_load_opts()
        opts.skip_invalid = bool(skip_invalid)
        capi.np_cluster_load_buffer(self._h(), obj, _str('name', name),
                                    opts)

    def delete(self, kind, ns, name):
        """Remove one object (ns is ignored for cluster-scoped kinds:
        Namespace, ClusterNetworkPolicy, AWS-ClusterNetworkPolicy,
        ClusterPolicyEndpoint, Node)."""
        capi.np_cluster_delete(self._h(), _kind(kind),
                               _str('ns', ns or ''), _str('name', name))

    def count(self, kind):
        """How many objects of a kind the snapshot holds."""
        return capi.np_cluster_count(self._h(), _kind(kind))

    def names(self, kind):
        """["namespace/name", ...] of a kind (Namespaces: "name"),
        sorted."""
        return capi.np_cluster_names(self._h(), _kind(kind)).splitlines()

    def export(self, kind, fmt='yaml'):
        """Every object of a kind as a kind: List, normalized."""
        return capi.np_cluster_export(self._h(), _kind(kind),
                                      _lookup(_FORMATS, 'format', fmt))

    def endpoints(self, fmt=None):
        """Every NetworkPolicy resolved into PolicyEndpoints, then every
        ClusterNetworkPolicy into ClusterPolicyEndpoints: a list of dicts
        (each with its 'kind'), or the kind: List as text when fmt is
        'yaml' or 'json'."""
        if fmt is not None:
            return capi.np_cluster_endpoints(
                self._h(), _lookup(_FORMATS, 'format', fmt))
        text = capi.np_cluster_endpoints(self._h(), capi.NP_FORMAT_JSON)
        return json.loads(text)['items']

    def compile(self, ns, name, source='policies'):
        """The RuleSet of pod ns/name."""
        opts = capi.np_compile_opts()
        opts.source = _lookup(_SOURCES, 'source', source)
        return RuleSet(capi.np_ruleset_compile(
            self._h(), _str('ns', ns), _str('name', name), opts))

    def verdict(self, frm, to, port, protocol='TCP', source='policies'):
        """Decide a connection between "ns/pod" or IP endpoints."""
        opts = capi.np_compile_opts()
        opts.source = _lookup(_SOURCES, 'source', source)
        v = capi.np_verdict()
        capi.np_cluster_verdict(self._h(), _str('frm', frm), _str('to', to),
                                _protocol(protocol),
                                _int('port', port, 0, 65535), opts, v)
        return _verdict(v)

    def attribute(self, frm, to, port, protocol='TCP', source='policies',
                  directions=('ingress', 'egress'), max_pods=0, fmt=None):
        """Why a connection between "ns/pod" or IP endpoints is allowed
        or denied (np_cluster_attribute(3)): a dict with the schema of
        netpol(8) ATTRIBUTION ('allowed', 'from', 'to', 'sides', each side
        with its verdict, 'isolatedBy' and 'findings'); the JSON text
        when fmt='json'. directions: the sides to judge ('egress': the
        source's, 'ingress': the destination's); max_pods: pods named per
        selector (0: 3)."""
        if isinstance(directions, str):
            directions = (directions,)
        bits = 0
        for d in directions:
            bits |= 1 << _lookup(_DIRECTIONS, 'direction', d)
        if not bits:
            raise ValueError('directions: at least one of ingress, egress')
        text = capi.np_swig_cluster_attribute(
            self._h(), _str('frm', frm), _str('to', to), _protocol(protocol),
            _int('port', port, 0, 65535), _lookup(_SOURCES, 'source', source),
            bits, _int('max_pods', max_pods, 0, 1 << 20))
        if fmt == 'json':
            return text
        if fmt is not None:
            raise ValueError("fmt: must be None or 'json'")
        return json.loads(text)

    def isolating(self, ns, name, direction, source='policies'):
        """The policies that apply to pod ns/name in one direction
        whatever the peer (np_cluster_isolating(3)): a list of
        "ns/name" NetworkPolicies that isolate it, then "cnp/name (Admin)"
        cluster policies with rules for it there."""
        text = capi.np_swig_cluster_isolating(
            self._h(), _str('ns', ns), _str('name', name),
            _lookup(_DIRECTIONS, 'direction', direction),
            _lookup(_SOURCES, 'source', source))
        return text.split(', ') if text else []

    def matrix(self, ports=(80,), protocols=('TCP',), family=4,
               source='policies', fmt=None):
        """Every pod against every other: a list of {from, to, protocol,
        port, allowed}, or the text tables when fmt='text'."""
        opts = capi.np_swig_matrix_opts()
        opts.family = _int('family', family, 4, 6)
        opts.source = _lookup(_SOURCES, 'source', source)
        for p in ports:
            capi.np_swig_matrix_opts_add_port(opts,
                                              _int('port', p, 1, 65535))
        for p in protocols:
            capi.np_swig_matrix_opts_add_protocol(opts, _protocol(p))
        if fmt is not None:
            return capi.np_swig_cluster_matrix(
                self._h(), opts, _lookup(_FORMATS, 'format', fmt))
        return json.loads(capi.np_swig_cluster_matrix(self._h(), opts,
                                                      capi.NP_FORMAT_JSON))


def _unhex(text):
    out = []
    for line in text.splitlines():
        parts = line.split(' ')
        out.append(tuple(bytes.fromhex(p) for p in parts))
    return out


class MapSet:
    """The LPM-trie and port-map contents of a rule set."""

    def __init__(self, ms):
        self._ms = ms

    def count(self, family, direction):
        """LPM entries of a family (4 or 6) and direction."""
        return capi.np_mapset_count(
            self._ms, _int('family', family, 4, 6),
            _lookup(_DIRECTIONS, 'direction', direction))

    def lpm_entries(self, family, direction, layout='netpol', ruleset_id=1):
        """[(key, value), ...] as the kernel map holds them (bytes).

        layout: 'netpol', 'eks' (the agent's ingress_map/egress_map) or
        'eks-cp' (its cp_ingress_map/cp_egress_map: empty without
        ClusterNetworkPolicy tiers).
        """
        text = capi.np_swig_lpm(
            self._ms, _int('family', family, 4, 6),
            _lookup(_DIRECTIONS, 'direction', direction),
            _lookup(_LAYOUTS, 'layout', layout),
            _int('ruleset_id', ruleset_id, 0, 0xffffffff))
        return _unhex(text)

    def portsets(self):
        """The distinct port sets, each as the port map's bytes."""
        return [e[0] for e in _unhex(capi.np_swig_portsets(self._ms))]

    def export(self, fmt='text'):
        """The contents as text (like the EKS dump-maps) or JSON."""
        return capi.np_mapset_export(self._ms,
                                     _lookup(_FORMATS, 'format', fmt))

    def diff(self, other):
        """{added, changed, removed, text} from this map set to other."""
        if not isinstance(other, MapSet):
            raise TypeError('diff() takes a MapSet')
        stats = capi.np_mapset_diff_stats()
        text = capi.np_mapset_diff(self._ms, other._ms, stats)
        return {'added': stats.added, 'changed': stats.changed,
                'removed': stats.removed,
                'text': (text or '').splitlines()}


class RuleSet:
    """The compiled rules of one pod: immutable."""

    def __init__(self, rs):
        self._rs = rs
        self._ms = None

    @property
    def hash(self):
        """Content hash: equal rule sets, equal hashes."""
        return capi.np_ruleset_hash(self._rs)

    def export(self, fmt='yaml'):
        """The rule set as YAML, JSON or text."""
        return capi.np_ruleset_export(self._rs,
                                      _lookup(_FORMATS, 'format', fmt))

    def to_dict(self):
        """The rule set as a dict (its JSON export)."""
        return json.loads(self.export('json'))

    def verdict(self, direction, peer, port, protocol='TCP'):
        """Decide a flow: peer is the other end's address, port the
        destination port. A dict {allowed, reason, direction, key, slot,
        policies, tier}: policies names who decided (the policies that
        allowed it, or the ClusterNetworkPolicy rule that allowed or
        denied it), tier 'ADMIN', 'NETWORK_POLICY', 'BASELINE' or
        'DEFAULT'."""
        v = capi.np_verdict()
        capi.np_ruleset_verdict(self._rs,
                                _lookup(_DIRECTIONS, 'direction', direction),
                                _str('peer', peer), _protocol(protocol),
                                _int('port', port, 0, 65535), v)
        return _verdict(v)

    def mapset(self):
        """The MapSet (eBPF map contents) of this rule set."""
        if self._ms is None:
            self._ms = MapSet(capi.np_mapset_encode(self._rs))
        return self._ms

    def lpm_entries(self, family, direction, layout='netpol', ruleset_id=1):
        """[(key, value), ...] of the LPM trie, as bytes."""
        return self.mapset().lpm_entries(family, direction, layout,
                                         ruleset_id)

    def portsets(self):
        """The port map's sets, as bytes."""
        return self.mapset().portsets()


# --- the eBPF datapath -------------------------------------------------------

VERDICT_OK = 0      # TC_ACT_OK: the packet passes
VERDICT_SHOT = 2    # TC_ACT_SHOT: the packet is dropped

_MODES = {'standard': capi.NP_MODE_STANDARD, 'strict': capi.NP_MODE_STRICT}
_HOOKS = {'auto': capi.NP_HOOK_KIND_NONE, 'tc': capi.NP_HOOK_KIND_TC,
          'tcx': capi.NP_HOOK_KIND_TCX}
_POD_STATES = {
    capi.NP_POD_DEFAULT_ALLOW: 'default-allow',
    capi.NP_POD_DEFAULT_DENY: 'default-deny',
    capi.NP_POD_ENFORCED: 'enforced',
    capi.NP_POD_UNISOLATED: 'unisolated',
    capi.NP_POD_FAIL_CLOSED: 'fail-closed',
}
_IP_PROTOCOLS = {1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP'}
_DIRECTION_NAMES = {capi.NP_DIRECTION_INGRESS: 'ingress',
                    capi.NP_DIRECTION_EGRESS: 'egress'}


def _ips(ips):
    if ips is None:
        return ''
    if isinstance(ips, str):
        ips = [ips]
    out = []
    for ip in ips:
        ip = _str('node IP', ip).strip()
        if not ip or ',' in ip or ' ' in ip:
            raise ValueError(f'bad node IP {ip!r}')
        out.append(ip)
    return ','.join(out)


def _pod_ips(ips):
    """A pod's own addresses for attach(): at most one IPv4 and one IPv6,
    as text; ValueError for anything else."""
    if ips is None:
        return ''
    if isinstance(ips, str):
        ips = [ips]
    out, families = [], set()
    for ip in ips:
        ip = _str('pod IP', ip)
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            raise ValueError(f'bad pod IP {ip!r}: must be an IPv4 or IPv6 '
                             'address') from None
        if getattr(addr, 'scope_id', None):
            raise ValueError(f'bad pod IP {ip!r}: no zone index')
        if addr.version in families:
            raise ValueError(f'bad pod IPs {list(ips)!r}: at most one '
                             'IPv4 and one IPv6 address')
        families.add(addr.version)
        out.append(str(addr))
    return ','.join(out)


def _switch(what, value):
    """None: as the node has it; True or False: on or off."""
    if value is None:
        return capi.NP_SWITCH_KEEP
    if not isinstance(value, bool):
        raise TypeError(f'{what} must be None, True or False, not '
                        f'{type(value).__name__}')
    return capi.NP_SWITCH_ON if value else capi.NP_SWITCH_OFF


def _ifindex(ifindex):
    return _int('ifindex', ifindex, 1, 0xffffffff)


def _event(e):
    ns, name = e['pod_ns'], e['pod_name']
    policies = e['policies']
    return {
        'time': e['time_ns'] / 1e9,
        'time_ns': e['time_ns'],
        'mono_ns': e['mono_ns'],
        'ifindex': e['ifindex'],
        'direction': _DIRECTION_NAMES.get(e['direction'],
                                          str(e['direction'])),
        'family': e['family'],
        'src': e['src'],
        'dst': e['dst'],
        'sport': e['sport'],
        'dport': e['dport'],
        'protocol': _IP_PROTOCOLS.get(e['protocol'], str(e['protocol'])),
        'protocol_number': e['protocol'],
        'allowed': e['allowed'],
        'reason': e['reason_name'] or str(e['reason']),
        'ruleset': e['ruleset'],
        'prefixlen': e['prefixlen'],
        'rule_cidr': e['rule_cidr'],
        'length': e['length'],
        'pod_ns': ns,
        'pod_name': name,
        'pod': f'{ns}/{name}' if ns is not None and name is not None
               else None,
        'policies': policies.split(', ') if policies else [],
        'tier': _tier(e['tier']),
    }


def _pod(p):
    def by_dir(values, names=None):
        return {d: (names.get(values[i], str(values[i])) if names
                    else values[i])
                for i, d in _DIRECTION_NAMES.items()}
    return {
        'ifindex': p['ifindex'],
        'ifname': p['ifname'],
        'ns': p['ns'],
        'name': p['name'],
        'pod': f"{p['ns']}/{p['name']}" if p['ns'] or p['name'] else '',
        'state': by_dir(p['state'], _POD_STATES),
        'ruleset': by_dir(p['ruleset']),
        'ip4': p['ip4'],
        'ip6': p['ip6'],
    }


class Datapath:
    """The eBPF datapath of the node: TC programs on pods' host veths
    enforcing compiled rule sets (root: CAP_BPF and CAP_NET_ADMIN).

    Opening loads and pins the programs and maps under pin_root (default
    /sys/fs/bpf/netpol) or reuses those pinned there. close() (or leaving a
    with block) frees the handle and leaves pods enforced; destroy()
    detaches every pod and unpins everything. mode is 'standard' (allow
    until rules arrive) or 'strict'; node_ips a list of addresses always
    allowed (empty: keep the node's). In a build without the datapath every
    call raises netpol.Error with errno ENOTSUP.

    revoke and source_check are switches of the whole node: None keeps
    what the loaded datapath has (a new one has both on), True or False
    sets them. revoke: tracked flows are judged again when their pod's
    rules change, and dropped (reason 'revoked') when the new rules deny
    them. source_check: packets a pod sends from an address not its own
    are dropped (reason 'spoofed'); see attach(ips=...).

    begin(), commit() and abort(), or a with transaction() block, change
    many pods at once (see np_datapath_begin(3)).
    """

    def __init__(self, pin_root=None, mode='standard', ct_size=0,
                 events=False, node_ips=(), revoke=None, source_check=None):
        if pin_root is not None:
            pin_root = os.fspath(pin_root)
            if isinstance(pin_root, bytes):
                pin_root = os.fsdecode(pin_root)
        self._dp = None
        self._dp = capi.np_swig_datapath_open(
            pin_root, _lookup(_MODES, 'mode', mode),
            _int('ct_size', ct_size, 0, 0xffffffff), bool(events),
            _ips(node_ips), _switch('revoke', revoke),
            _switch('source_check', source_check))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Free the handle; the pods stay enforced. Safe to call twice."""
        self._dp = None

    def _h(self):
        if self._dp is None:
            raise ValueError('datapath is closed')
        return self._dp

    def destroy(self):
        """Detach every pod, unpin every map and program, remove the pin
        directory and close the handle."""
        dp = self._h()
        self._dp = None
        dp.this.disown()       # np_datapath_destroy() frees it, even failing
        capi.np_datapath_destroy(dp)

    def attach(self, ifname=None, ifindex=0, pod=None, hook='auto',
               ips=None):
        """Attach the programs to a pod's host veth, by name or index;
        pod is "namespace/name". Returns the interface index.

        hook says how: 'auto' (TCX links where the kernel has them, 6.6+,
        else tc filters), 'tcx' (errno EOPNOTSUPP without TCX) or 'tc';
        anything else raises ValueError. Attaching an attached pod the
        other way moves it over without a gap (see hooks()).

        ips are the pod's own addresses (['198.18.0.5', 'fd00::5']: at
        most one IPv4 and one IPv6, else ValueError): packets leaving the
        pod from another source are dropped (reason 'spoofed'; IPv6
        link-local sources pass). None or [] keeps the addresses the pod
        has; apply() also takes them from the rule set."""
        hook = _lookup(_HOOKS, 'hook', hook)
        ips = _pod_ips(ips)
        ns = name = None
        if pod is not None:
            ns, sep, name = _str('pod', pod).partition('/')
            if not sep or not ns or not name:
                raise ValueError(f'pod must be "namespace/name", not {pod!r}')
        if ifname is not None:
            _str('ifname', ifname)
        ifindex = _int('ifindex', ifindex, 0, 0xffffffff)
        if ifname is None and not ifindex:
            raise ValueError('attach() needs an ifname or an ifindex')
        capi.np_swig_datapath_attach(self._h(), ifname, ifindex, ns, name,
                                     hook, ips)
        if ifindex:
            return ifindex
        try:
            return socket.if_nametoindex(ifname)
        except OSError:
            return 0

    def detach(self, ifindex):
        """Detach the programs from a pod and forget it."""
        capi.np_datapath_detach(self._h(), _ifindex(ifindex))

    def apply(self, ifindex, ruleset):
        """Enforce a RuleSet (from Cluster.compile) on an attached pod,
        atomically."""
        if not isinstance(ruleset, RuleSet):
            raise TypeError('apply() takes a RuleSet, not '
                            + type(ruleset).__name__)
        capi.np_datapath_apply(self._h(), _ifindex(ifindex), ruleset._rs)

    def fail_closed(self, ifindex, directions=('ingress', 'egress')):
        """Deny every new flow of these directions of an attached pod
        (node IPs stay allowed): for rules that cannot be enforced. A later
        apply() replaces it."""
        dirs = 0
        for d in directions:
            if d not in ('ingress', 'egress'):
                raise ValueError('direction must be ingress or egress, not '
                                 + repr(d))
            dirs |= 1 << (0 if d == 'ingress' else 1)
        capi.np_datapath_fail_closed(self._h(), _ifindex(ifindex), dirs)

    def begin(self, nowait=False):
        """Start a node-wide transaction: take the datapath lock (other
        writers wait; with nowait, errno EAGAIN when one holds it) and
        stage every apply() and fail_closed() of this handle until
        commit() or abort(). Packets keep the old state meanwhile. errno
        EALREADY when a transaction is open."""
        capi.np_swig_datapath_begin(self._h(), bool(nowait))

    def commit(self):
        """Make every staged change at once (each packet sees the whole
        old state or the whole new one) and release the lock. errno
        EINVAL without a transaction."""
        capi.np_datapath_commit(self._h())

    def abort(self):
        """Drop what the transaction staged and release the lock; the
        node keeps its old state. Does nothing without a transaction, or
        on a closed handle (closing aborts)."""
        if self._dp is not None:
            capi.np_datapath_abort(self._dp)

    @contextlib.contextmanager
    def transaction(self, nowait=False):
        """begin(), then commit() when the with block ends normally or
        abort() when it raises:

            with dp.transaction():
                dp.apply(a, rs_a)
                dp.apply(b, rs_b)     # both at once, or neither
        """
        self.begin(nowait)
        try:
            yield self
        except BaseException:
            self.abort()
            raise
        self.commit()

    def gc(self):
        """Forget vanished veths, expire conntrack, release rule sets."""
        capi.np_datapath_gc(self._h())

    def set_events(self, on):
        """Switch flow events on or off, for the whole node."""
        capi.np_datapath_set_events(self._h(), bool(on))

    def set_rule_counters(self, on):
        """Switch the per-rule-key packet and byte counters on or off, for
        the whole node (off when the datapath is loaded). `netpol dump`
        shows what each key counted."""
        capi.np_datapath_set_rule_counters(self._h(), bool(on))

    def set_node_ips(self, ips):
        """Replace the node addresses, always allowed both ways."""
        capi.np_swig_datapath_set_node_ips(self._h(), _ips(ips))

    def counters(self, ifindex, direction):
        """{allowed_packets, allowed_bytes, denied_packets, denied_bytes}
        of a pod's direction since it was attached."""
        c = capi.np_datapath_counters()
        capi.np_swig_datapath_counters(
            self._h(), _ifindex(ifindex),
            _lookup(_DIRECTIONS, 'direction', direction), c)
        return {'allowed_packets': c.allowed_packets,
                'allowed_bytes': c.allowed_bytes,
                'denied_packets': c.denied_packets,
                'denied_bytes': c.denied_bytes}

    def pods(self):
        """The attached pods, in ifindex order: dicts of ifindex, ifname,
        ns, name, pod, state and ruleset (both by direction), ip4 and ip6
        (the addresses the datapath holds for the pod, from attach's ips or
        the rule sets applied; None when it has none)."""
        return [_pod(p) for p in
                json.loads(capi.np_swig_datapath_pods(self._h()))]

    def poll_events(self, timeout_ms=0, max_events=0):
        """One wait of up to timeout_ms (-1: forever) for flow events: a
        list of event dicts, at most max_events (0: all there are)."""
        text = capi.np_swig_datapath_poll_events(
            self._h(), _int('timeout_ms', timeout_ms, -1, 0x7fffffff),
            _int('max_events', max_events, 0, 0x7fffffff))
        return [_event(e) for e in json.loads(text)]

    def events(self, timeout_ms=1000, max_events=None):
        """Flow events as they come, as dicts (src, dst, sport, dport,
        protocol, direction, allowed, reason, pod, ruleset, rule_cidr,
        time, ...). Ends after max_events, or when none came for
        timeout_ms (-1: never)."""
        _int('timeout_ms', timeout_ms, -1, 0x7fffffff)
        if max_events is not None:
            _int('max_events', max_events, 0, 0x7fffffff)
        return self._events(timeout_ms, max_events)

    def _events(self, timeout_ms, max_events):
        left = max_events
        while left is None or left > 0:
            try:
                got = self.poll_events(timeout_ms, left or 0)
            except Error as e:
                if e.errno == _errno.EINTR:
                    continue
                raise
            if not got:
                return
            for ev in got:
                yield ev
            if left is not None:
                left -= len(got)

    def stats(self):
        """Node-wide numbers: events_lost, ct_entries, ct_capacity,
        lpm_entries, lpm_capacity ([IPv4, IPv6] each), pods, rulesets,
        events_on, ct_evictions ([IPv4, IPv6]: conntrack entries evicted
        because the table was full), rule_counters_on."""
        return json.loads(capi.np_swig_datapath_stats(self._h()))

    def hooks(self, ifindex):
        """Whether a pod's hooks run this datapath's programs first, as
        the kernel has them (the interface need not be attached):
        {'ingress': {...}, 'egress': {...}} by pod direction, each with
        state ('ok', 'missing', 'stale', 'no-device', 'preceded'), kind
        (how ours is attached: 'tcx', 'tc', or 'none'), prog_id (the
        program ours runs, 0: none), expected_id (this datapath's),
        filters (TCX programs and tc filters on the hook, ours included),
        and what runs before ours: ahead (how many), ahead_kind ('tcx' or
        the tc filter's kind, '' when nothing), ahead_prio, ahead_handle
        (a tc filter's, 0 for TCX) and ahead_prog_id."""
        return json.loads(capi.np_swig_datapath_hooks(self._h(),
                                                      _ifindex(ifindex)))

    def explain(self, ifindex, direction, peer, port, protocol='TCP',
                ruleset=None):
        """Decide a new flow of a pod against the live maps (not
        conntrack): {allowed, reason, state, ruleset, key, portset, slot,
        policies, tier}. protocol is 'TCP', 'UDP', 'SCTP' or an IP
        protocol number; with the pod's RuleSet, policies names who
        decided it and tier the tier ('ADMIN', 'NETWORK_POLICY',
        'BASELINE', 'DEFAULT'; None when not known)."""
        if isinstance(protocol, str):
            protocol = _protocol(protocol)
        else:
            protocol = _int('protocol', protocol, 0, 255)
        if ruleset is not None and not isinstance(ruleset, RuleSet):
            raise TypeError('ruleset must be a RuleSet')
        v = json.loads(capi.np_swig_datapath_explain(
            self._h(), _ifindex(ifindex),
            _lookup(_DIRECTIONS, 'direction', direction),
            _str('peer', peer), protocol, _int('port', port, 0, 65535),
            ruleset._rs if ruleset is not None else None))
        v['reason'] = v.pop('reason_name') or str(v['reason'])
        v['state'] = _POD_STATES.get(v['state'], str(v['state']))
        v['policies'] = v['policies'].split(', ') if v['policies'] else []
        v['tier'] = _tier(v['tier'])
        return v

    def verify(self, ifindex, ruleset):
        """Compare what the kernel enforces for a pod with a RuleSet: the
        drifts, one line each ([] when none)."""
        if not isinstance(ruleset, RuleSet):
            raise TypeError('verify() takes a RuleSet, not '
                            + type(ruleset).__name__)
        text = capi.np_swig_datapath_verify(self._h(), _ifindex(ifindex),
                                            ruleset._rs)
        return (text or '').splitlines()

    def test_packet(self, ifindex, direction, frame):
        """Run the program of a direction on an Ethernet frame (bytes) as
        if it crossed the host veth: VERDICT_OK (0) or VERDICT_SHOT (2).
        Conntrack entries it creates stay."""
        if not isinstance(frame, (bytes, bytearray, memoryview)):
            raise TypeError('frame must be bytes, not '
                            + type(frame).__name__)
        return capi.np_swig_datapath_test_packet(
            self._h(), _ifindex(ifindex),
            _lookup(_DIRECTIONS, 'direction', direction), frame)


def reason_name(reason):
    """"rule", "no-match", "port", ... of an enum np_reason value (the
    'reason' of every verdict and flow event); None for another value."""
    return capi.np_reason_name(_int('reason', reason, 0, 0xffff))


def attrib_reason_name(reason):
    """"match", "pod-selector-none", "port", ... of an enum
    np_attrib_reason value (a finding's 'reason' in attribute()); None for
    another value."""
    return capi.np_attrib_reason_name(_int('reason', reason, 0, 0xffff))
