# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Issue 17, item 4: threads. Two clusters in two threads work at once (the
long calls release the GIL); one cluster used from several threads is
serialized by its own lock and gives what serial use gives."""
import threading

import netpol

N_PODS = 100
ROUNDS = 100
# enough contention that, without the lock, the shared cluster breaks
# (spurious errors, wrong results) in most runs
THREADS = 4


def _manifest(tag):
    docs = [f'''apiVersion: v1
kind: Namespace
metadata: {{name: ns-{tag}, labels: {{team: {tag}}}}}
''', f'''apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: web, namespace: ns-{tag}}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  policyTypes: [Ingress]
  ingress:
  - from: [{{podSelector: {{matchLabels: {{app: client}}}}}}]
    ports: [{{protocol: TCP, port: 80}}]
''']
    for i in range(N_PODS):
        app = 'web' if i % 2 else 'client'
        docs.append(f'''apiVersion: v1
kind: Pod
metadata: {{name: p{i}, namespace: ns-{tag}, labels: {{app: {app}}}}}
spec: {{containers: [{{name: c}}]}}
status: {{phase: Running, podIP: 198.18.{i // 250}.{i % 250 + 1}}}
''')
    return '---\n'.join(docs)


def _flip(i, app):
    return {'apiVersion': 'v1', 'kind': 'Pod',
            'metadata': {'name': f'p{i}', 'namespace': 'ns-a',
                         'labels': {'app': app}},
            'spec': {'containers': [{'name': 'c'}]},
            'status': {'phase': 'Running',
                       'podIP': f'198.18.{i // 250}.{i % 250 + 1}'}}


def _hashes(c, tag):
    return {p: c.compile(*p.split('/')).hash for p in c.names('pod')
            if p.startswith(f'ns-{tag}/')}


def _run(threads):
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:     # reported below
                errors.append(e)
        return run

    ts = [threading.Thread(target=wrap(fn)) for fn in threads]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
        assert not t.is_alive(), 'a thread hung'
    assert not errors, errors


def test_two_clusters_in_two_threads():
    expect = {tag: _hashes(netpol.Cluster.from_yaml(_manifest(tag)), tag)
              for tag in 'ab'}
    got = {}

    def work(tag):
        def fn():
            for _ in range(5):
                c = netpol.Cluster.from_yaml(_manifest(tag))
                h = _hashes(c, tag)
                assert h == expect[tag]
                c.matrix()
            got[tag] = h
        return fn

    _run([work('a'), work('b')])
    assert got == expect


def test_one_cluster_from_threads_is_serialized():
    shared = netpol.Cluster.from_yaml(_manifest('a'))
    serial = netpol.Cluster.from_yaml(_manifest('a'))

    # the same updates serially: each thread flips its own pods and back
    def updates(k):
        for r in range(ROUNDS):
            i = (k + THREADS * r) % N_PODS
            yield i, 'web' if r % 2 else 'db'

    for k in range(THREADS):
        for i, app in updates(k):
            serial.apply(_flip(i, app))
    expect = _hashes(serial, 'a')
    expect_matrix = serial.matrix()

    def work(k):
        def fn():
            for i, app in updates(k):
                shared.apply(_flip(i, app))
                # reads in between: compile, verdict, names, repr
                shared.compile('ns-a', f'p{i}')
                shared.verdict(f'ns-a/p{(i + 1) % N_PODS}', f'ns-a/p{i}', 80)
                assert len(shared.names('pod')) == N_PODS
                repr(shared)
        return fn

    _run([work(k) for k in range(THREADS)])
    # each pod's final labels come from one thread: same as serial
    assert _hashes(shared, 'a') == expect
    assert shared.matrix() == expect_matrix


def test_cluster_lock_is_held_during_calls():
    """The lock of a cluster covers the C call: a call waits while another
    thread holds it."""
    c = netpol.Cluster.from_yaml(_manifest('a'))
    done = threading.Event()

    def other():
        c.count('pod')
        done.set()

    with c._lock:
        t = threading.Thread(target=other)
        t.start()
        assert not done.wait(0.2), 'count() ran while the lock was held'
    t.join(10)
    assert done.is_set()


def test_rulesets_are_shared_between_threads():
    c = netpol.Cluster.from_yaml(_manifest('a'))
    rs = c.compile('ns-a', 'p1')
    expect = [rs.verdict('ingress', f'198.18.0.{i}', 80)
              for i in range(1, 20)]

    def fn():
        for _ in range(20):
            got = [rs.verdict('ingress', f'198.18.0.{i}', 80)
                   for i in range(1, 20)]
            assert got == expect
            rs.export('json')

    _run([fn] * THREADS)
