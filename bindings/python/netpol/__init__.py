# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""libnetpol for Python: Kubernetes NetworkPolicy compiled to eBPF.

    import netpol
    c = netpol.Cluster.load('policies.yaml')
    rs = c.compile('default', 'web-0')
    rs.verdict('ingress', '10.0.0.7', 80)

Kinds, directions, protocols and formats are strings ('NetworkPolicy',
'ingress', 'TCP', 'yaml'). Failures raise netpol.Error, an OSError with the
library's errno and diagnostic. Objects free their C memory when collected.
One object must not be used from two threads at once; rule sets and map
sets are immutable.
"""
import json
import os

from ._error import Error
from . import capi

__all__ = ['Error', 'Cluster', 'RuleSet', 'MapSet', 'version', 'strerror']

_KINDS = {
    'namespace': capi.NP_KIND_NAMESPACE,
    'pod': capi.NP_KIND_POD,
    'service': capi.NP_KIND_SERVICE,
    'networkpolicy': capi.NP_KIND_NETWORK_POLICY,
    'policyendpoint': capi.NP_KIND_POLICY_ENDPOINT,
}
_DIRECTIONS = {'ingress': capi.NP_DIRECTION_INGRESS,
               'egress': capi.NP_DIRECTION_EGRESS}
_PROTOCOLS = {'TCP': capi.NP_PROTOCOL_TCP, 'UDP': capi.NP_PROTOCOL_UDP,
              'SCTP': capi.NP_PROTOCOL_SCTP}
_FORMATS = {'yaml': capi.NP_FORMAT_YAML, 'json': capi.NP_FORMAT_JSON,
            'text': capi.NP_FORMAT_TEXT}
_SOURCES = {'policies': capi.NP_SOURCE_POLICIES,
            'endpoints': capi.NP_SOURCE_ENDPOINTS}
_LAYOUTS = {'netpol': capi.NP_LAYOUT_NETPOL, 'eks': capi.NP_LAYOUT_EKS}
_REASONS = {
    capi.NP_REASON_RULE: 'rule',
    capi.NP_REASON_NOT_ISOLATED: 'not-isolated',
    capi.NP_REASON_NODE: 'node',
    capi.NP_REASON_SELF: 'self',
    capi.NP_REASON_NO_MATCH: 'no-match',
    capi.NP_REASON_EXCEPT: 'except',
    capi.NP_REASON_PORT: 'port',
}


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


def _verdict(v):
    return {
        'allowed': bool(v.allowed),
        'reason': _REASONS.get(v.reason, str(v.reason)),
        'direction': 'egress' if v.direction else 'ingress',
        'key': v.key,
        'slot': v.slot,
        'policies': v.policies.split(', ') if v.policies else [],
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
        """Remove one object (ns is ignored for Namespaces)."""
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
        """Every NetworkPolicy resolved into PolicyEndpoints: a list of
        dicts, or the kind: List as text when fmt is 'yaml' or 'json'."""
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
        """[(key, value), ...] as the kernel map holds them (bytes)."""
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
        destination port."""
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
