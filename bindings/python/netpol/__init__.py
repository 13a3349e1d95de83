# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""libnetpol for Python: Kubernetes NetworkPolicy compiled to eBPF.

    import netpol
    c = netpol.Cluster.load('policies.yaml')
    rs = c.compile('default', 'web-0')
    rs.verdict('ingress', '10.0.0.7', 80)
    for change in c.changes():                  # after each watch event
        print(change.kind, change.pod, change.diff())
    why = c.attribute('default/client', 'default/web-0', 80)
    why['sides'][-1]['isolatedBy']      # ['default/web-only-frontend']

    with netpol.Datapath(events=True) as dp:      # root: CAP_BPF, NET_ADMIN
        dp.attach('veth1234', pod='default/web-0')
        dp.apply(dp.pods()[0]['ifindex'], rs)
        for ev in dp.events(timeout_ms=1000):
            print(ev['reason'], ev['src'], ev['dst'], ev['dport'])

Kinds, directions, protocols and formats are strings ('NetworkPolicy',
'ingress', 'TCP', 'yaml'). Objects free their C memory when collected.

Errors: failures raise netpol.Error, an OSError with the library's errno
and diagnostic (file, line, column, object, field path, message), or one
of its subclasses that are also the standard exceptions:
netpol.FileNotFoundError (a file to load is missing; also the builtin
FileNotFoundError), netpol.NotFoundError (ENOENT on a name: no such pod;
also a KeyError) and netpol.InvalidInputError (EINVAL: invalid input; also
a ValueError). Arguments of the wrong type or value raise TypeError and
ValueError before reaching the library.

Logging: the library's warnings and notes (skipped kinds, a datapath's
fallbacks) go to the logging module, logger "netpol" (levels ERROR,
WARNING, INFO, DEBUG). Loading with skip_invalid=True returns the objects
it rejected as a list of netpol.Diagnostic, each also logged as a warning.

Threads:
- Cluster: may be shared between threads; its calls are serialized by a
  lock of its own (two threads using one cluster take turns, each call
  whole). Two clusters work in parallel: the long calls (load, apply,
  compile, verdict, endpoints, matrix, attribute) release the GIL.
- RuleSet and MapSet: immutable once returned; share them freely.
- Changes (Cluster.changes()): immutable; a RuleSet it gives keeps it
  alive.
- Datapath: one thread at a time (no lock: a thread waiting for events
  would hold it). Open one handle per thread instead; handles on the same
  pin root share the node's maps, and node-wide changes go through
  transaction(), which locks across handles and processes.
- Datapath.events(): the reader belongs to its datapath's thread; from
  asyncio, add_reader(reader.fileno(), ...) and read() in the callback.
"""
import contextlib
import dataclasses
import enum
import ipaddress
import json
import errno as _errno
import os
import socket
import threading
from typing import (Any, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Tuple, Union)

from ._error import (Error, FileNotFoundError, InvalidInputError,
                     NotFoundError, _file_not_found)
from ._log import logger as _logger
from . import capi

__all__ = ['Error', 'NotFoundError', 'InvalidInputError',
           'FileNotFoundError', 'Diagnostic', 'Cluster', 'RuleSet',
           'MapSet', 'Changes', 'Change', 'ChangeKind', 'EndpointChange',
           'Datapath', 'EventReader', 'Latency', 'version',
           'strerror', 'reason_name', 'attrib_reason_name', 'VERDICT_OK',
           'VERDICT_SHOT']

PathLike = Union[str, bytes, 'os.PathLike[str]', 'os.PathLike[bytes]']

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


def _lookup(table: Dict[str, Any], what: str, value: Any,
            fold: Any = str.lower) -> Any:
    if not isinstance(value, str):
        raise TypeError(f'{what} must be a str, not {type(value).__name__}')
    try:
        return table[fold(value)]
    except KeyError:
        raise ValueError(f'unknown {what} {value!r}; expected one of '
                         f'{", ".join(sorted(table))}') from None


def _kind(kind: str) -> int:
    return _lookup(_KINDS, 'kind', kind)


def _protocol(protocol: str) -> int:
    return _lookup(_PROTOCOLS, 'protocol', protocol, str.upper)


def _str(what: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f'{what} must be a str, not {type(value).__name__}')
    return value


def _int(what: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f'{what} must be an int, not {type(value).__name__}')
    if not lo <= value <= hi:
        raise ValueError(f'{what} must be in {lo}..{hi}, not {value}')
    return value


def _reason(r: int) -> str:
    return capi.np_reason_name(r) or str(r)


def _tier(t: int) -> Optional[str]:
    """'ADMIN', 'NETWORK_POLICY', 'BASELINE', 'DEFAULT', or None when
    not known."""
    if t == capi.NP_TIER_UNKNOWN:
        return None
    return capi.np_tier_name(t) or str(t)


def _verdict(v: Any) -> Dict[str, Any]:
    return {
        'allowed': bool(v.allowed),
        'reason': _reason(v.reason),
        'direction': 'egress' if v.direction else 'ingress',
        'key': v.key,
        'slot': v.slot,
        'policies': v.policies.split(', ') if v.policies else [],
        'tier': _tier(v.tier),
    }


def version() -> str:
    """The C library's version, "0.1.0"."""
    return capi.np_version()


def strerror(errno: int) -> str:
    """The library's text for an errno."""
    return capi.np_strerror(-abs(_int('errno', errno, -4095, 4095)))


@dataclasses.dataclass(frozen=True)
class Diagnostic:
    """One problem a load found: the object it rejected ("NetworkPolicy
    default/web", "" when the input could not be split into objects), the
    field path ("spec.ingress[0].ports[0].port"), the reason (message),
    where in the input (file, line, column: 1-based, 0 when unknown), the
    errno and the whole text as np_diag_format() writes it."""

    object: str
    path: str
    message: str
    file: str
    line: int
    column: int
    errno: int
    text: str

    def __str__(self) -> str:
        return self.text


def _diagnostics(raw: List[Tuple[Any, ...]]) -> List[Diagnostic]:
    return [Diagnostic(object=o, path=p, message=m or t, file=f, line=ln,
                       column=col, errno=e, text=t)
            for e, t, f, ln, col, o, p, m in raw]


class Cluster:
    """A snapshot of Namespaces, Pods, Services, NetworkPolicies and
    PolicyEndpoints, loaded whole or upserted one object at a time.

    One cluster may be used from several threads: a lock of its own
    serializes its calls."""

    def __init__(self, cache_bytes: int = 0) -> None:
        """An empty snapshot. cache_bytes bounds the compiled rule-set
        cores the compiler keeps for reuse (np_cluster_opts.cache_bytes);
        0: the library's default, 16 KiB per pod (2 to 256 MiB; 2 MiB
        once changes() tracks the pods)."""
        self._lock = threading.RLock()
        self._c: Any = capi.np_swig_cluster_new(
            _int('cache_bytes', cache_bytes, 0, 2**63 - 1))
        self.diagnostics: List[Diagnostic] = []
        """What the last load, load_file() or apply() rejected."""

    @classmethod
    def load(cls, *paths: PathLike, skip_invalid: bool = False,
             cache_bytes: int = 0) -> 'Cluster':
        """A cluster from manifest files (YAML, JSON, kind: List; '-' is
        stdin). With skip_invalid, the invalid objects are left out,
        logged as warnings and listed in the cluster's diagnostics."""
        c = cls(cache_bytes=cache_bytes)
        diags: List[Diagnostic] = []
        for p in paths:
            diags += c.load_file(p, skip_invalid=skip_invalid)
        c.diagnostics = diags
        return c

    @classmethod
    def from_yaml(cls, text: Union[str, bytes],
                  name: str = '<string>') -> 'Cluster':
        """A cluster from YAML or JSON text."""
        c = cls()
        c.apply(text, name=name)
        return c

    def __enter__(self) -> 'Cluster':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        with self._lock:
            if self._c is None:
                return '<netpol.Cluster closed>'
            counts = ' '.join(
                f'{k}={capi.np_cluster_count(self._c, v)}'
                for k, v in _REPR_KINDS)
        return f'<netpol.Cluster {counts}>'

    def close(self) -> None:
        """Free the C snapshot now rather than when collected."""
        with self._lock:
            self._c = None

    def _h(self) -> Any:
        if self._c is None:
            raise ValueError('cluster is closed')
        return self._c

    def _load(self, call: Any, skip_invalid: bool,
              filename: Optional[str] = None) -> List[Diagnostic]:
        opts = capi.np_load_opts()
        opts.skip_invalid = bool(skip_invalid)
        raw: List[Tuple[Any, ...]] = []
        capi.np_swig_load_opts_collect(opts, raw)
        try:
            with self._lock:
                call(self._h(), opts)
        except Error as e:
            e.diagnostics = _diagnostics(raw)     # type: ignore[attr-defined]
            if filename is not None and e.errno == _errno.ENOENT:
                f = _file_not_found(e, filename)
                f.diagnostics = e.diagnostics     # type: ignore[attr-defined]
                raise f from None
            raise
        finally:
            capi.np_swig_load_opts_collect(opts, None)
        diags = _diagnostics(raw)
        for d in diags:
            _logger.warning('skipped: %s', d.text)
        self.diagnostics = diags
        return diags

    def load_file(self, path: PathLike,
                  skip_invalid: bool = False) -> List[Diagnostic]:
        """Parse, validate and upsert every object of a file. Without
        skip_invalid, all or nothing: an invalid object raises
        InvalidInputError (its diagnostics attribute lists every
        problem); with it, the valid objects are applied and the rejected
        ones returned as Diagnostics (and logged as warnings). A missing
        file raises netpol.FileNotFoundError."""
        path = os.fspath(path)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        name = path
        return self._load(
            lambda c, opts: capi.np_cluster_load_file(c, name, opts),
            skip_invalid, filename=name)

    def apply(self, obj: Union[Dict[str, Any], str, bytes, bytearray],
              name: str = '<string>',
              skip_invalid: bool = False) -> List[Diagnostic]:
        """Upsert objects: a dict (one object or a kind: List), or YAML or
        JSON text (str or bytes). Returns what skip_invalid left out, as
        load_file() does."""
        if isinstance(obj, dict):
            obj = json.dumps(obj)
        elif not isinstance(obj, (str, bytes, bytearray)):
            raise TypeError('apply() takes a dict, str or bytes, not '
                            + type(obj).__name__)
        name = _str('name', name)
        data = obj
        return self._load(
            lambda c, opts: capi.np_cluster_load_buffer(c, data, name, opts),
            skip_invalid)

    def delete(self, kind: str, ns: Optional[str], name: str) -> None:
        """Remove one object (ns is ignored for cluster-scoped kinds:
        Namespace, ClusterNetworkPolicy, AWS-ClusterNetworkPolicy,
        ClusterPolicyEndpoint, Node). NotFoundError when it is not
        there."""
        k = _kind(kind)
        ns = _str('ns', ns or '')
        name = _str('name', name)
        try:
            with self._lock:
                capi.np_cluster_delete(self._h(), k, ns, name)
        except NotFoundError as e:
            if not e.object:
                e.object = f'{kind} {ns}/{name}' if ns else f'{kind} {name}'
            raise

    def count(self, kind: str) -> int:
        """How many objects of a kind the snapshot holds."""
        k = _kind(kind)
        with self._lock:
            return int(capi.np_cluster_count(self._h(), k))

    def names(self, kind: str) -> List[str]:
        """["namespace/name", ...] of a kind (Namespaces: "name"),
        sorted."""
        k = _kind(kind)
        with self._lock:
            return str(capi.np_cluster_names(self._h(), k)).splitlines()

    def export(self, kind: str, fmt: str = 'yaml') -> str:
        """Every object of a kind as a kind: List, normalized."""
        k = _kind(kind)
        f = _lookup(_FORMATS, 'format', fmt)
        with self._lock:
            return str(capi.np_cluster_export(self._h(), k, f))

    def endpoints(self, fmt: Optional[str] = None) -> Any:
        """Every NetworkPolicy resolved into PolicyEndpoints, then every
        ClusterNetworkPolicy into ClusterPolicyEndpoints: a list of dicts
        (each with its 'kind'), or the kind: List as text when fmt is
        'yaml' or 'json'."""
        if fmt is not None:
            f = _lookup(_FORMATS, 'format', fmt)
            with self._lock:
                return capi.np_cluster_endpoints(self._h(), f)
        with self._lock:
            text = capi.np_cluster_endpoints(self._h(), capi.NP_FORMAT_JSON)
        return json.loads(text)['items']

    def compile(self, ns: str, name: str,
                source: str = 'policies') -> 'RuleSet':
        """The RuleSet of pod ns/name; NotFoundError when there is no
        such pod."""
        opts = capi.np_compile_opts()
        opts.source = _lookup(_SOURCES, 'source', source)
        ns, name = _str('ns', ns), _str('name', name)
        try:
            with self._lock:
                rs = capi.np_ruleset_compile(self._h(), ns, name, opts)
        except NotFoundError as e:
            if not e.object:
                e.object = f'Pod {ns}/{name}'
            raise
        return RuleSet(rs, f'{ns}/{name}')

    def verdict(self, frm: str, to: str, port: int, protocol: str = 'TCP',
                source: str = 'policies') -> Dict[str, Any]:
        """Decide a connection between "ns/pod" or IP endpoints."""
        opts = capi.np_compile_opts()
        opts.source = _lookup(_SOURCES, 'source', source)
        v = capi.np_verdict()
        args = (_str('frm', frm), _str('to', to), _protocol(protocol),
                _int('port', port, 0, 65535))
        with self._lock:
            capi.np_cluster_verdict(self._h(), *args, opts, v)
        return _verdict(v)

    def attribute(self, frm: str, to: str, port: int, protocol: str = 'TCP',
                  source: str = 'policies',
                  directions: Union[str, Sequence[str]] = ('ingress',
                                                           'egress'),
                  max_pods: int = 0, fmt: Optional[str] = None) -> Any:
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
        args = (_str('frm', frm), _str('to', to), _protocol(protocol),
                _int('port', port, 0, 65535),
                _lookup(_SOURCES, 'source', source), bits,
                _int('max_pods', max_pods, 0, 1 << 20))
        with self._lock:
            text = capi.np_swig_cluster_attribute(self._h(), *args)
        if fmt == 'json':
            return text
        if fmt is not None:
            raise ValueError("fmt: must be None or 'json'")
        return json.loads(text)

    def isolating(self, ns: str, name: str, direction: str,
                  source: str = 'policies') -> List[str]:
        """The policies that apply to pod ns/name in one direction
        whatever the peer (np_cluster_isolating(3)): a list of
        "ns/name" NetworkPolicies that isolate it, then "cnp/name (Admin)"
        cluster policies with rules for it there."""
        args = (_str('ns', ns), _str('name', name),
                _lookup(_DIRECTIONS, 'direction', direction),
                _lookup(_SOURCES, 'source', source))
        with self._lock:
            text = capi.np_swig_cluster_isolating(self._h(), *args)
        return text.split(', ') if text else []

    def matrix(self, ports: Iterable[int] = (80,),
               protocols: Iterable[str] = ('TCP',), family: int = 4,
               source: str = 'policies', fmt: Optional[str] = None) -> Any:
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
            f = _lookup(_FORMATS, 'format', fmt)
            with self._lock:
                return capi.np_swig_cluster_matrix(self._h(), opts, f)
        with self._lock:
            text = capi.np_swig_cluster_matrix(self._h(), opts,
                                               capi.NP_FORMAT_JSON)
        return json.loads(text)

    def changes(self, source: str = 'policies',
                endpoints: bool = False) -> 'Changes':
        """What changed since the previous call on this cluster (the
        first call: every pod, as added): an iterable of Change, one per
        pod whose rule set changed, sorted by namespace and name, with
        the PolicyEndpoints added, changed or removed in .endpoints when
        endpoints is true (source 'policies' only). Only the pods a load
        or delete could affect are compiled again. A call with another
        source than the previous one compares every pod against what was
        last reported."""
        src = _lookup(_SOURCES, 'source', source)
        with self._lock:
            ch = capi.np_swig_cluster_changes(self._h(), src,
                                              bool(endpoints))
        return Changes(ch)

    def trim(self) -> None:
        """Drop the compiler's caches and hand freed memory back to the
        system where the C library can. Nothing else changes: the next
        compile rebuilds what it needs, and changes() still reports
        against what it reported last."""
        with self._lock:
            capi.np_cluster_trim(self._h())


_REPR_KINDS = (('namespaces', capi.NP_KIND_NAMESPACE),
               ('pods', capi.NP_KIND_POD),
               ('services', capi.NP_KIND_SERVICE),
               ('networkpolicies', capi.NP_KIND_NETWORK_POLICY),
               ('policyendpoints', capi.NP_KIND_POLICY_ENDPOINT),
               ('clusternetworkpolicies',
                capi.NP_KIND_CLUSTER_NETWORK_POLICY),
               ('nodes', capi.NP_KIND_NODE))


def _unhex(text: str) -> List[Tuple[bytes, ...]]:
    out = []
    for line in text.splitlines():
        parts = line.split(' ')
        out.append(tuple(bytes.fromhex(p) for p in parts))
    return out


class MapSet:
    """The LPM-trie and port-map contents of a rule set."""

    def __init__(self, ms: Any) -> None:
        self._ms = ms

    def __repr__(self) -> str:
        n = [self.count(f, d) for f in (4, 6) for d in ('ingress', 'egress')]
        return (f'<netpol.MapSet lpm ipv4 ingress={n[0]} egress={n[1]} '
                f'ipv6 ingress={n[2]} egress={n[3]}>')

    def count(self, family: int, direction: str) -> int:
        """LPM entries of a family (4 or 6) and direction."""
        return capi.np_mapset_count(
            self._ms, _int('family', family, 4, 6),
            _lookup(_DIRECTIONS, 'direction', direction))

    def lpm_entries(self, family: int, direction: str,
                    layout: str = 'netpol',
                    ruleset_id: int = 1) -> List[Tuple[bytes, ...]]:
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

    def portsets(self) -> List[bytes]:
        """The distinct port sets, each as the port map's bytes."""
        return [e[0] for e in _unhex(capi.np_swig_portsets(self._ms))]

    def export(self, fmt: str = 'text') -> str:
        """The contents as text (like the EKS dump-maps) or JSON."""
        return capi.np_mapset_export(self._ms,
                                     _lookup(_FORMATS, 'format', fmt))

    def diff(self, other: 'MapSet') -> Dict[str, Any]:
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

    def __init__(self, rs: Any, pod: str = '') -> None:
        self._rs = rs
        self._ms: Optional[MapSet] = None
        self._owner: Any = None   # a Changes it is borrowed from
        self.pod = pod
        """The pod compiled, "namespace/name"."""

    def __repr__(self) -> str:
        return f'<netpol.RuleSet pod={self.pod!r} hash={self.hash:#018x}>'

    @property
    def hash(self) -> int:
        """Content hash: equal rule sets, equal hashes."""
        return capi.np_ruleset_hash(self._rs)

    def export(self, fmt: str = 'yaml') -> str:
        """The rule set as YAML, JSON or text."""
        return capi.np_ruleset_export(self._rs,
                                      _lookup(_FORMATS, 'format', fmt))

    def to_dict(self) -> Dict[str, Any]:
        """The rule set as a dict (its JSON export)."""
        return json.loads(self.export('json'))

    def verdict(self, direction: str, peer: str, port: int,
                protocol: str = 'TCP') -> Dict[str, Any]:
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

    def mapset(self) -> MapSet:
        """The MapSet (eBPF map contents) of this rule set."""
        if self._ms is None:
            self._ms = MapSet(capi.np_mapset_encode(self._rs))
        return self._ms

    def lpm_entries(self, family: int, direction: str,
                    layout: str = 'netpol',
                    ruleset_id: int = 1) -> List[Tuple[bytes, ...]]:
        """[(key, value), ...] of the LPM trie, as bytes."""
        return self.mapset().lpm_entries(family, direction, layout,
                                         ruleset_id)

    def portsets(self) -> List[bytes]:
        """The port map's sets, as bytes."""
        return self.mapset().portsets()


# --- change sets ------------------------------------------------------------

class ChangeKind(str, enum.Enum):
    """What happened to a pod's rule set or to a PolicyEndpoint or
    ClusterPolicyEndpoint; compares equal to its value ('added',
    'changed', 'removed')."""

    ADDED = 'added'
    CHANGED = 'changed'
    REMOVED = 'removed'

    def __str__(self) -> str:
        return self.value


_KIND_NAMES = {v: k for k, v in _KINDS.items()}

_CHANGE_KINDS = {capi.NP_CHANGE_ADDED: ChangeKind.ADDED,
                 capi.NP_CHANGE_CHANGED: ChangeKind.CHANGED,
                 capi.NP_CHANGE_REMOVED: ChangeKind.REMOVED}

EntryCounts = Dict[str, Dict[int, int]]
"""LPM entries by direction and family: counts['ingress'][4]."""


def _counts(v: List[List[int]]) -> EntryCounts:
    return {d: {4: v[i][0], 6: v[i][1]}
            for i, d in enumerate(('ingress', 'egress'))}


@dataclasses.dataclass(frozen=True, repr=False)
class Change:
    """One pod whose rule set changed. err is 0, or the errno (positive:
    E2BIG too many port ranges, ENOTSUP a cluster policy peer that cannot
    be enforced) why its new rule set could not be compiled: new_hash is
    then 0 and there is no rule set. added, changed and removed count
    the LPM entries of the map diff (none counting as empty) as
    counts['ingress'][4]; old_isolated and new_isolated are
    {'ingress': bool, 'egress': bool}."""

    namespace: str
    name: str
    kind: ChangeKind
    err: int
    old_hash: int
    new_hash: int
    added: EntryCounts
    changed: EntryCounts
    removed: EntryCounts
    old_isolated: Dict[str, bool]
    new_isolated: Dict[str, bool]
    # the change set and index, kept out of fields (asdict(), ==)
    _set: dataclasses.InitVar[Any] = None
    _i: dataclasses.InitVar[int] = 0

    def __post_init__(self, _set: Any, _i: int) -> None:
        object.__setattr__(self, '_ref', (_set, _i))
        object.__setattr__(self, '_args', (_set._ch, _i))

    @property
    def pod(self) -> str:
        """"namespace/name"."""
        return f'{self.namespace}/{self.name}'

    def __repr__(self) -> str:
        e = f' err={self.err}' if self.err else ''
        return (f'<netpol.Change {self.kind.value} pod={self.pod!r} '
                f'{self.old_hash:#018x}->{self.new_hash:#018x}{e}>')

    @property
    def ruleset(self) -> Optional['RuleSet']:
        """The new RuleSet (kept alive with the change set), None for a
        removed pod or one whose rule set failed (err)."""
        rs = capi.np_changes_ruleset(*self._args)
        if rs is None:
            return None
        r = RuleSet(rs, self.pod)
        r._owner = self._ref[0]
        return r

    def diff(self) -> List[str]:
        """The map diff, one entry a line ('+ ingress 192.168.1.0/24',
        '~ ...', '- ...'), and 'isolated DIRECTION true|false' for each
        direction whose isolation changed; [] when only the hash
        changed."""
        return (capi.np_changes_diff(*self._args)
                or '').splitlines()

    def mapset(self, before: bool = False) -> Optional[MapSet]:
        """The map contents before (as last reported) or now; None where
        the pod had or has no rule set."""
        ms = capi.np_changes_mapset(*self._args, bool(before))
        return None if ms is None else MapSet(ms)


@dataclasses.dataclass(frozen=True, repr=False)
class EndpointChange:
    """A PolicyEndpoint or ClusterPolicyEndpoint added, changed or removed
    (Cluster.changes(endpoints=True)): its namespace ('' for a
    ClusterPolicyEndpoint, cluster-scoped) and name, the policy it comes
    from (a NetworkPolicy in the namespace, or a ClusterNetworkPolicy),
    object_kind 'policyendpoint' or 'clusterpolicyendpoint' (as
    Cluster.delete() spells kinds) and its content hash before and now
    (0: none)."""

    namespace: str
    name: str
    policy: str
    kind: ChangeKind
    object_kind: str
    old_hash: int
    new_hash: int
    # the change set and index, kept out of fields (asdict(), ==)
    _set: dataclasses.InitVar[Any] = None
    _i: dataclasses.InitVar[int] = 0

    def __post_init__(self, _set: Any, _i: int) -> None:
        object.__setattr__(self, '_ref', (_set, _i))
        object.__setattr__(self, '_args', (_set._ch, _i))

    def __repr__(self) -> str:
        return (f'<netpol.EndpointChange {self.kind.value} '
                f'{self.object_kind} {self.namespace}/{self.name} '
                f'policy={self.policy!r}>')

    def export(self, fmt: str = 'yaml') -> str:
        """The new object as Cluster.endpoints(fmt) prints it;
        NotFoundError for a removed one."""
        return capi.np_changes_endpoint_export(
            *self._args, _lookup(_FORMATS, 'format', fmt))

    def to_dict(self) -> Dict[str, Any]:
        """The new object as a dict; NotFoundError for a removed one."""
        return json.loads(self.export('json'))


class Changes:
    """A change set (Cluster.changes()): iterating gives each Change in
    order, len() their count, changes[i] one of them; .endpoints the
    PolicyEndpoint changes. Immutable: share it freely; the rule sets it
    gives keep it alive."""

    def __init__(self, ch: Any) -> None:
        self._ch = ch
        raw = json.loads(capi.np_swig_changes_json(ch))
        self._pods: List[Change] = [
            Change(namespace=p['ns'], name=p['name'],
                   kind=_CHANGE_KINDS[p['kind']], err=-p['err'],
                   old_hash=p['old_hash'], new_hash=p['new_hash'],
                   added=_counts(p['added']),
                   changed=_counts(p['changed']),
                   removed=_counts(p['removed']),
                   old_isolated=dict(zip(('ingress', 'egress'),
                                         p['old_isolated'])),
                   new_isolated=dict(zip(('ingress', 'egress'),
                                         p['new_isolated'])),
                   _set=self, _i=i)
            for i, p in enumerate(raw['pods'])]
        self.endpoints: List[EndpointChange] = [
            EndpointChange(namespace=e['ns'], name=e['name'],
                           policy=e['policy'],
                           kind=_CHANGE_KINDS[e['kind']],
                           object_kind=_KIND_NAMES[e['object_kind']],
                           old_hash=e['old_hash'], new_hash=e['new_hash'],
                           _set=self, _i=i)
            for i, e in enumerate(raw['endpoints'])]
        """The PolicyEndpoint and ClusterPolicyEndpoint changes
        (EndpointChange), sorted by namespace and name: the
        ClusterPolicyEndpoints (namespace '') first."""

    def __iter__(self) -> Iterator[Change]:
        return iter(self._pods)

    def __len__(self) -> int:
        return len(self._pods)

    def __getitem__(self, i: int) -> Change:
        return self._pods[i]

    def __bool__(self) -> bool:
        return bool(self._pods or self.endpoints)

    def __repr__(self) -> str:
        n = {k: sum(1 for c in self._pods if c.kind == k)
             for k in ChangeKind}
        return (f'<netpol.Changes pods={len(self._pods)} '
                f'added={n[ChangeKind.ADDED]} '
                f'changed={n[ChangeKind.CHANGED]} '
                f'removed={n[ChangeKind.REMOVED]} '
                f'endpoints={len(self.endpoints)}>')


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


def _ips(ips: Union[None, str, Iterable[str]]) -> str:
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


def _pod_ips(ips: Union[None, str, Sequence[str]]) -> str:
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


def _switch(what: str, value: Optional[bool]) -> int:
    """None: as the node has it; True or False: on or off."""
    if value is None:
        return capi.NP_SWITCH_KEEP
    if not isinstance(value, bool):
        raise TypeError(f'{what} must be None, True or False, not '
                        f'{type(value).__name__}')
    return capi.NP_SWITCH_ON if value else capi.NP_SWITCH_OFF


def _ifindex(ifindex: int) -> int:
    return _int('ifindex', ifindex, 1, 0xffffffff)


def _event(e: Dict[str, Any]) -> Dict[str, Any]:
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


def _pod(p: Dict[str, Any]) -> Dict[str, Any]:
    def by_dir(values: List[int],
               names: Optional[Dict[int, str]] = None) -> Dict[str, Any]:
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


@dataclasses.dataclass(frozen=True)
class Latency:
    """The policy programming latency of the node (np_datapath_latency(3)):
    how long each apply() and each transaction took to become visible to
    packets, as a Prometheus histogram in seconds. buckets: (upper bound,
    observations <= it), cumulative, ascending; count: every observation
    (the +Inf bucket); sum: their total in seconds."""

    buckets: Tuple[Tuple[float, int], ...]
    count: int
    sum: float


class EventReader:
    """Flow events of a Datapath (Datapath.events()): an iterator of event
    dicts that ends after max_events, or when none came for timeout_ms,
    and, for an event loop, fileno() (readable while events wait) and
    read() (what is there, without waiting):

        loop.add_reader(reader.fileno(), lambda: handle(reader.read()))

    It belongs to its Datapath: use it from the datapath's thread, and not
    after the datapath is closed."""

    def __init__(self, dp: 'Datapath', timeout_ms: int,
                 max_events: Optional[int]) -> None:
        self._dp = dp
        self._timeout_ms = timeout_ms
        self._left = max_events
        self._queue: List[Dict[str, Any]] = []

    def __repr__(self) -> str:
        return (f'<netpol.EventReader of {self._dp!r} '
                f'timeout_ms={self._timeout_ms} left={self._left}>')

    def fileno(self) -> int:
        """A descriptor that polls readable while events wait (the ring
        buffer's epoll descriptor, np_datapath_events_fd(3)); the datapath
        owns it: do not read or close it."""
        return int(capi.np_swig_datapath_events_fd(self._dp._h()))

    def poll(self, timeout: float = 0) -> List[Dict[str, Any]]:
        """Wait up to timeout seconds (0: not at all, None or < 0:
        forever) and return the events there are (at most what is left of
        max_events), [] when none."""
        if timeout is None or timeout < 0:
            ms = -1
        else:
            ms = min(int(timeout * 1000), 0x7fffffff)
        if self._left is not None and self._left <= 0:
            return []
        while True:
            try:
                got = self._dp.poll_events(ms, self._left or 0)
            except Error as e:
                if e.errno == _errno.EINTR:
                    continue
                raise
            break
        if self._left is not None:
            self._left -= len(got)
        return got

    def read(self) -> List[Dict[str, Any]]:
        """The events there are now, without waiting: poll(0)."""
        return self.poll(0)

    def __iter__(self) -> 'EventReader':
        return self

    def __next__(self) -> Dict[str, Any]:
        if not self._queue:
            if self._left is not None and self._left <= 0:
                raise StopIteration
            self._queue = self.poll(self._timeout_ms / 1000
                                    if self._timeout_ms >= 0 else None)
            if not self._queue:
                raise StopIteration
        return self._queue.pop(0)


_DEFAULT_PIN_ROOT = '/sys/fs/bpf/netpol'


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

    def __init__(self, pin_root: Optional[PathLike] = None,
                 mode: str = 'standard', ct_size: int = 0,
                 events: bool = False,
                 node_ips: Union[str, Iterable[str]] = (),
                 revoke: Optional[bool] = None,
                 source_check: Optional[bool] = None) -> None:
        if pin_root is not None:
            pin_root = os.fspath(pin_root)
            if isinstance(pin_root, bytes):
                pin_root = os.fsdecode(pin_root)
        self._dp: Any = None
        self.pin_root: str = pin_root or _DEFAULT_PIN_ROOT
        """Where the programs and maps are pinned."""
        self.mode = mode
        self._dp = capi.np_swig_datapath_open(
            pin_root, _lookup(_MODES, 'mode', mode),
            _int('ct_size', ct_size, 0, 0xffffffff), bool(events),
            _ips(node_ips), _switch('revoke', revoke),
            _switch('source_check', source_check))

    def __enter__(self) -> 'Datapath':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = 'closed' if self._dp is None else 'open'
        return (f'<netpol.Datapath pin_root={self.pin_root!r} '
                f'mode={self.mode!r} {state}>')

    def close(self) -> None:
        """Free the handle; the pods stay enforced. Safe to call twice."""
        self._dp = None

    def _h(self) -> Any:
        if self._dp is None:
            raise ValueError('datapath is closed')
        return self._dp

    def destroy(self) -> None:
        """Detach every pod, unpin every map and program, remove the pin
        directory and close the handle."""
        dp = self._h()
        self._dp = None
        dp.this.disown()       # np_datapath_destroy() frees it, even failing
        capi.np_datapath_destroy(dp)

    def attach(self, ifname: Optional[str] = None, ifindex: int = 0,
               pod: Optional[str] = None, hook: str = 'auto',
               ips: Union[None, str, Sequence[str]] = None) -> int:
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

    def detach(self, ifindex: int) -> None:
        """Detach the programs from a pod and forget it."""
        capi.np_datapath_detach(self._h(), _ifindex(ifindex))

    def apply(self, ifindex: int, ruleset: RuleSet) -> None:
        """Enforce a RuleSet (from Cluster.compile) on an attached pod,
        atomically."""
        if not isinstance(ruleset, RuleSet):
            raise TypeError('apply() takes a RuleSet, not '
                            + type(ruleset).__name__)
        capi.np_datapath_apply(self._h(), _ifindex(ifindex), ruleset._rs)

    def fail_closed(self, ifindex: int,
                    directions: Iterable[str] = ('ingress', 'egress')
                    ) -> None:
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

    def begin(self, nowait: bool = False) -> None:
        """Start a node-wide transaction: take the datapath lock (other
        writers wait; with nowait, errno EAGAIN when one holds it) and
        stage every apply() and fail_closed() of this handle until
        commit() or abort(). Packets keep the old state meanwhile. errno
        EALREADY when a transaction is open."""
        capi.np_swig_datapath_begin(self._h(), bool(nowait))

    def commit(self) -> None:
        """Make every staged change at once (each packet sees the whole
        old state or the whole new one) and release the lock. errno
        EINVAL without a transaction."""
        capi.np_datapath_commit(self._h())

    def abort(self) -> None:
        """Drop what the transaction staged and release the lock; the
        node keeps its old state. Does nothing without a transaction, or
        on a closed handle (closing aborts)."""
        if self._dp is not None:
            capi.np_datapath_abort(self._dp)

    @contextlib.contextmanager
    def transaction(self, nowait: bool = False) -> Iterator['Datapath']:
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

    def gc(self) -> None:
        """Forget vanished veths, expire conntrack, release rule sets."""
        capi.np_datapath_gc(self._h())

    def set_events(self, on: bool) -> None:
        """Switch flow events on or off, for the whole node."""
        capi.np_datapath_set_events(self._h(), bool(on))

    def set_rule_counters(self, on: bool) -> None:
        """Switch the per-rule-key packet and byte counters on or off, for
        the whole node (off when the datapath is loaded). `netpol dump`
        shows what each key counted."""
        capi.np_datapath_set_rule_counters(self._h(), bool(on))

    def set_node_ips(self, ips: Union[str, Iterable[str]]) -> None:
        """Replace the node addresses, always allowed both ways."""
        capi.np_swig_datapath_set_node_ips(self._h(), _ips(ips))

    def counters(self, ifindex: int, direction: str) -> Dict[str, int]:
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

    def pods(self) -> List[Dict[str, Any]]:
        """The attached pods, in ifindex order: dicts of ifindex, ifname,
        ns, name, pod, state and ruleset (both by direction), ip4 and ip6
        (the addresses the datapath holds for the pod, from attach's ips or
        the rule sets applied; None when it has none)."""
        return [_pod(p) for p in
                json.loads(capi.np_swig_datapath_pods(self._h()))]

    def poll_events(self, timeout_ms: int = 0,
                    max_events: int = 0) -> List[Dict[str, Any]]:
        """One wait of up to timeout_ms (-1: forever) for flow events: a
        list of event dicts, at most max_events (0: all there are)."""
        text = capi.np_swig_datapath_poll_events(
            self._h(), _int('timeout_ms', timeout_ms, -1, 0x7fffffff),
            _int('max_events', max_events, 0, 0x7fffffff))
        return [_event(e) for e in json.loads(text)]

    def events(self, timeout_ms: int = 1000,
               max_events: Optional[int] = None) -> EventReader:
        """Flow events as they come, as dicts (src, dst, sport, dport,
        protocol, direction, allowed, reason, pod, ruleset, rule_cidr,
        time, ...): an EventReader, which iterates until max_events, or
        until none came for timeout_ms (-1: never), and has fileno() and
        read() for asyncio (see EventReader)."""
        _int('timeout_ms', timeout_ms, -1, 0x7fffffff)
        if max_events is not None:
            _int('max_events', max_events, 0, 0x7fffffff)
        self._h()
        return EventReader(self, timeout_ms, max_events)

    def latency(self) -> Latency:
        """The node's policy programming latency histogram (see
        Latency)."""
        h = json.loads(capi.np_swig_datapath_latency(self._h()))
        return Latency(buckets=tuple(zip(h['bounds'], h['counts'])),
                       count=h['count'], sum=h['sum'])

    def stats(self) -> Dict[str, Any]:
        """Node-wide numbers: events_lost, ct_entries, ct_capacity,
        lpm_entries, lpm_capacity ([IPv4, IPv6] each), pods, rulesets,
        events_on, ct_evictions ([IPv4, IPv6]: conntrack entries evicted
        because the table was full), rule_counters_on."""
        return json.loads(capi.np_swig_datapath_stats(self._h()))

    def hooks(self, ifindex: int) -> Dict[str, Dict[str, Any]]:
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

    def explain(self, ifindex: int, direction: str, peer: str, port: int,
                protocol: Union[str, int] = 'TCP',
                ruleset: Optional[RuleSet] = None) -> Dict[str, Any]:
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

    def verify(self, ifindex: int, ruleset: RuleSet) -> List[str]:
        """Compare what the kernel enforces for a pod with a RuleSet: the
        drifts, one line each ([] when none)."""
        if not isinstance(ruleset, RuleSet):
            raise TypeError('verify() takes a RuleSet, not '
                            + type(ruleset).__name__)
        text = capi.np_swig_datapath_verify(self._h(), _ifindex(ifindex),
                                            ruleset._rs)
        return (text or '').splitlines()

    def test_packet(self, ifindex: int, direction: str,
                    frame: Union[bytes, bytearray, memoryview]) -> int:
        """Run the program of a direction on an Ethernet frame (bytes) as
        if it crossed the host veth: VERDICT_OK (0) or VERDICT_SHOT (2).
        Conntrack entries it creates stay."""
        if not isinstance(frame, (bytes, bytearray, memoryview)):
            raise TypeError('frame must be bytes, not '
                            + type(frame).__name__)
        return capi.np_swig_datapath_test_packet(
            self._h(), _ifindex(ifindex),
            _lookup(_DIRECTIONS, 'direction', direction), frame)


def reason_name(reason: int) -> Optional[str]:
    """"rule", "no-match", "port", ... of an enum np_reason value (the
    'reason' of every verdict and flow event); None for another value."""
    return capi.np_reason_name(_int('reason', reason, 0, 0xffff))


def attrib_reason_name(reason: int) -> Optional[str]:
    """"match", "pod-selector-none", "port", ... of an enum
    np_attrib_reason value (a finding's 'reason' in attribute()); None for
    another value."""
    return capi.np_attrib_reason_name(_int('reason', reason, 0, 0xffff))
