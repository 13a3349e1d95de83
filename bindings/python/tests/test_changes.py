# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Issue 17, item 1: change sets from Python (Cluster.changes(), trim(),
cache_bytes)."""
import dataclasses
import gc
import os

import pytest

import netpol

HERE = os.path.dirname(os.path.abspath(__file__))
SIMPLE = os.path.join(HERE, 'data', 'simple.yaml')
CNP_WALL = os.path.join(HERE, 'data', 'cnp-wall.yaml')


def pod_b(app):
    return f'''apiVersion: v1
kind: Pod
metadata: {{name: b, namespace: x, labels: {{app: {app}}}}}
status: {{phase: Running, podIP: 10.0.0.2, podIPs: [{{ip: 10.0.0.2}}]}}
'''


def summary(changes):
    return [(str(c.kind), c.pod) for c in changes]


def test_changes_follow_events():
    c = netpol.Cluster(cache_bytes=1 << 16)
    c.load_file(SIMPLE)

    # the first call: every pod, as added, with its PolicyEndpoint
    ch = c.changes(endpoints=True)
    assert isinstance(ch, netpol.Changes)
    assert len(ch) == 1 and summary(ch) == [('added', 'x/a')]
    a = next(iter(ch))
    assert a is ch[0]
    assert a.kind is netpol.ChangeKind.ADDED and a.kind == 'added'
    assert (a.namespace, a.name, a.err, a.old_hash) == ('x', 'a', 0, 0)
    assert a.new_isolated == {'ingress': True, 'egress': False}
    assert a.old_isolated == {'ingress': False, 'egress': False}
    assert a.added['ingress'][4] == 1 and a.removed['ingress'][4] == 0
    assert a.ruleset.hash == a.new_hash
    assert a.ruleset.verdict('ingress', '192.168.1.7', 80)['allowed']
    assert a.mapset(before=True) is None
    assert a.mapset().count(4, 'ingress') == 1
    assert '+ ingress 192.168.1.0/24' in ' '.join(a.diff())
    assert repr(a).startswith("<netpol.Change added pod='x/a' 0x0000")
    assert 'pods=1 added=1 changed=0 removed=0 endpoints=1' in repr(ch)
    [pe] = ch.endpoints
    assert (pe.kind, pe.namespace, pe.policy) == ('added', 'x', 'web')
    assert pe.object_kind == 'policyendpoint'
    assert pe.to_dict()['kind'] == 'PolicyEndpoint'
    assert 'kind: PolicyEndpoint' in pe.export()
    d = dataclasses.asdict(a)
    assert d['kind'] == 'added' and d['added']['ingress'][4] == 1
    assert set(d) == {'namespace', 'name', 'kind', 'err', 'old_hash',
                      'new_hash', 'added', 'changed', 'removed',
                      'old_isolated', 'new_isolated'}

    # nothing happened: nothing reported
    ch = c.changes(endpoints=True)
    assert len(ch) == 0 and not ch and ch.endpoints == []

    # a pod no policy selects: only it; the unaffected x/a is not there
    c.apply(pod_b('b'))
    ch = c.changes(endpoints=True)
    assert summary(ch) == [('added', 'x/b')] and ch.endpoints == []
    assert ch[0].diff() == []
    assert ch[0].new_isolated == {'ingress': False, 'egress': False}

    # relabeled into the policy: x/b changes, x/a still not reported
    c.apply(pod_b('a'))
    ch = c.changes(endpoints=True)
    assert summary(ch) == [('changed', 'x/b')]
    b = ch[0]
    assert b.old_hash != b.new_hash and b.old_hash and b.new_hash
    assert '+ ingress 192.168.1.0/24' in ' '.join(b.diff())
    assert 'isolated ingress true' in b.diff()
    assert b.mapset(before=True).count(4, 'ingress') == 0
    assert b.mapset().count(4, 'ingress') == 1
    assert [str(e.kind) for e in ch.endpoints] == ['changed']

    # the policy deleted: both pods change, its PolicyEndpoint goes
    c.delete('NetworkPolicy', 'x', 'web')
    c.trim()        # the caches go, what was reported stays
    ch = c.changes(endpoints=True)
    assert summary(ch) == [('changed', 'x/a'), ('changed', 'x/b')]
    for p in ch:
        assert p.old_isolated['ingress'] and not p.new_isolated['ingress']
        assert p.removed['ingress'][4] == 1
        assert 'isolated ingress false' in p.diff()
    [pe] = ch.endpoints
    assert pe.kind == netpol.ChangeKind.REMOVED and pe.new_hash == 0
    with pytest.raises(netpol.NotFoundError):
        pe.export()

    # a pod deleted: removed, without a rule set
    c.delete('Pod', 'x', 'b')
    ch = c.changes()
    assert summary(ch) == [('removed', 'x/b')]
    assert ch[0].ruleset is None and ch[0].new_hash == 0
    assert ch[0].mapset() is None


def test_cluster_policy_endpoints():
    c = netpol.Cluster.load(SIMPLE)
    assert [e.object_kind for e in c.changes(endpoints=True).endpoints] \
        == ['policyendpoint']

    # added: cluster-scoped, namespace '', sorted before the namespaced
    c.load_file(CNP_WALL)
    ch = c.changes(endpoints=True)
    [cpe] = ch.endpoints
    assert (cpe.kind, cpe.object_kind, cpe.namespace, cpe.policy) == (
        'added', 'clusterpolicyendpoint', '', 'wall')
    assert cpe.name.startswith('wall-0-') and cpe.new_hash
    assert cpe.to_dict()['kind'] == 'ClusterPolicyEndpoint'
    assert repr(cpe).startswith(
        '<netpol.EndpointChange added clusterpolicyendpoint /wall-0-')
    assert dataclasses.asdict(cpe)['object_kind'] == 'clusterpolicyendpoint'

    # x/b joins the subject: the CPE changes, before x's PolicyEndpoint
    c.apply(pod_b('a'))
    ch = c.changes(endpoints=True)
    assert [(str(e.kind), e.object_kind) for e in ch.endpoints] == [
        ('changed', 'clusterpolicyendpoint'), ('changed', 'policyendpoint')]
    assert ch.endpoints[0].old_hash == cpe.new_hash
    assert ch.endpoints[0].namespace < ch.endpoints[1].namespace

    # deleted: removed
    c.delete('clusternetworkpolicy', '', 'wall')
    [gone] = c.changes(endpoints=True).endpoints
    assert (gone.kind, gone.name, gone.new_hash) == ('removed', cpe.name, 0)
    with pytest.raises(netpol.NotFoundError):
        gone.export()


def test_ruleset_outlives_its_change_set():
    c = netpol.Cluster.load(SIMPLE, cache_bytes=4096)
    rs = c.changes()[0].ruleset
    h = rs.hash
    gc.collect()
    assert rs.hash == h
    assert rs.export('json')


def test_changes_source_and_errors():
    c = netpol.Cluster.load(SIMPLE)
    assert [p.pod for p in c.changes(source='endpoints')] == ['x/a']
    with pytest.raises(ValueError):
        c.changes(source='nowhere')
    with pytest.raises(ValueError):
        netpol.Cluster(cache_bytes=-1)
    c.close()
    with pytest.raises(ValueError):
        c.changes()
    with pytest.raises(ValueError):
        c.trim()


def test_change_kinds():
    assert [str(k) for k in netpol.ChangeKind] == ['added', 'changed',
                                                   'removed']
