# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Issue 17, item 3: logs, skip_invalid diagnostics, type hints, exception
classes, reprs. (Threads: test_threads.py; events from asyncio and
latency: test_datapath.py.)"""
import builtins
import errno
import inspect
import logging
import os
import pickle

import pytest

import netpol

HERE = os.path.dirname(os.path.abspath(__file__))
SIMPLE = os.path.join(HERE, 'data', 'simple.yaml')

NS = '''apiVersion: v1
kind: Namespace
metadata: {name: d}
'''
GOOD_POD = '''apiVersion: v1
kind: Pod
metadata: {name: good, namespace: d, labels: {app: a}}
spec: {containers: [{name: c}]}
status: {phase: Running, podIP: 198.18.0.9}
'''
BAD_POD = '''apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: d}
spec: 3
'''
BAD_POLICY = '''apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad-port, namespace: d}
spec:
  podSelector: {}
  ingress:
  - ports: [{protocol: TCP, port: 80, endPort: 70}]
'''
MIXED = '---\n'.join([NS, GOOD_POD, BAD_POD, BAD_POLICY])


# --- logging ----------------------------------------------------------------

def test_library_log_lines_go_to_logging(caplog):
    c = netpol.Cluster()
    with caplog.at_level(logging.DEBUG, logger='netpol'):
        c.apply('apiVersion: apps/v1\nkind: Deployment\n'
                'metadata: {name: web, namespace: d}\n', name='deploy.yaml')
    recs = [r for r in caplog.records if r.name == 'netpol']
    assert recs, 'the library said nothing about the skipped Deployment'
    assert any('Deployment d/web' in r.getMessage() and
               r.levelno == logging.INFO for r in recs), recs
    assert c.count('pod') == 0


def test_log_levels_map():
    from netpol import _log
    assert [_log.level(i) for i in range(4)] == [
        logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG]
    assert _log.level(99) == logging.DEBUG


def test_a_raising_log_handler_does_not_break_the_call(caplog):
    class Boom(logging.Handler):
        def emit(self, record):
            raise RuntimeError('handler failed')

    logger = logging.getLogger('netpol')
    h = Boom()
    logger.addHandler(h)
    old = logging.raiseExceptions
    logging.raiseExceptions = False
    try:
        c = netpol.Cluster()
        c.apply('apiVersion: apps/v1\nkind: Deployment\n'
                'metadata: {name: web, namespace: d}\n' + '---\n' + NS)
        assert c.count('namespace') == 1
    finally:
        logging.raiseExceptions = old
        logger.removeHandler(h)


# --- diagnostics of skip_invalid -------------------------------------------

def test_skip_invalid_returns_and_logs_every_rejected_object(caplog):
    c = netpol.Cluster()
    with caplog.at_level(logging.WARNING, logger='netpol'):
        diags = c.apply(MIXED, name='mixed.yaml', skip_invalid=True)
    assert c.names('pod') == ['d/good']
    assert c.count('networkpolicy') == 0
    assert [(d.object, d.path, d.file) for d in diags] == [
        ('Pod d/bad', 'spec', 'mixed.yaml'),
        ('NetworkPolicy d/bad-port', 'spec.ingress[0].ports[0].endPort',
         'mixed.yaml')], diags
    for d in diags:
        assert isinstance(d, netpol.Diagnostic)
        assert d.errno == errno.EINVAL
        assert d.line > 0 and d.column > 0
        assert d.message and d.message in d.text
        assert str(d) == d.text and d.object in d.text
    assert c.diagnostics == diags
    warned = [r.getMessage() for r in caplog.records
              if r.name == 'netpol' and r.levelno == logging.WARNING]
    assert len(warned) == 2
    assert 'Pod d/bad' in warned[0] and 'NetworkPolicy d/bad-port' in \
        warned[1]
    # a clean load has none
    assert c.apply(NS) == [] and c.diagnostics == []


def test_skip_invalid_from_files(tmp_path):
    p = tmp_path / 'mixed.yaml'
    p.write_text(MIXED)
    c = netpol.Cluster.load(p, SIMPLE, skip_invalid=True)
    assert [(d.object, d.file, d.line) for d in c.diagnostics] == [
        ('Pod d/bad', str(p), 14),
        ('NetworkPolicy d/bad-port', str(p), 22)]
    assert c.load_file(SIMPLE, skip_invalid=True) == []
    assert [d.object for d in c.load_file(p, skip_invalid=True)] == [
        'Pod d/bad', 'NetworkPolicy d/bad-port']


def test_all_or_nothing_raises_with_every_problem():
    c = netpol.Cluster()
    with pytest.raises(netpol.InvalidInputError) as ei:
        c.apply(MIXED, name='mixed.yaml')
    e = ei.value
    assert c.count('pod') == 0, 'nothing is applied'
    assert (e.object, e.path) == ('Pod d/bad', 'spec')
    assert [d.object for d in e.diagnostics] == [
        'Pod d/bad', 'NetworkPolicy d/bad-port']


# --- exceptions -------------------------------------------------------------

def test_missing_file_is_a_file_not_found_error(tmp_path):
    missing = str(tmp_path / 'nope.yaml')
    with pytest.raises(builtins.FileNotFoundError) as ei:
        netpol.Cluster.load(missing)
    e = ei.value
    assert isinstance(e, netpol.FileNotFoundError)
    assert isinstance(e, netpol.Error)
    assert e.errno == errno.ENOENT and e.filename == missing
    assert missing in str(e)
    with pytest.raises(netpol.Error):
        netpol.Cluster().load_file(missing)


def test_missing_pod_is_a_key_error_naming_it():
    c = netpol.Cluster.load(SIMPLE)
    with pytest.raises(KeyError) as ei:
        c.compile('nowhere', 'nobody')
    e = ei.value
    assert isinstance(e, netpol.NotFoundError)
    assert isinstance(e, netpol.Error) and isinstance(e, OSError)
    assert e.errno == errno.ENOENT
    assert e.object == 'Pod nowhere/nobody'
    assert 'Pod nowhere/nobody' in str(e)
    assert not str(e).startswith("'"), 'not quoted as KeyError does'
    with pytest.raises(KeyError) as ei:
        c.delete('networkpolicy', 'nowhere', 'nothing')
    assert 'nowhere/nothing' in str(ei.value)


def test_invalid_input_is_a_value_error_naming_the_object():
    c = netpol.Cluster()
    with pytest.raises(ValueError) as ei:
        c.apply(BAD_POLICY, name='p.yaml')
    e = ei.value
    assert isinstance(e, netpol.InvalidInputError)
    assert e.errno == errno.EINVAL
    assert e.object == 'NetworkPolicy d/bad-port'
    assert e.path == 'spec.ingress[0].ports[0].endPort'
    assert e.file == 'p.yaml' and e.line == 7
    assert 'NetworkPolicy d/bad-port' in str(e)
    assert 'endPort' in repr(e)


def test_exceptions_pickle():
    c = netpol.Cluster()
    with pytest.raises(netpol.InvalidInputError) as ei:
        c.apply(BAD_POLICY)
    e = pickle.loads(pickle.dumps(ei.value))
    assert type(e) is netpol.InvalidInputError
    assert (e.errno, e.object, e.path) == (
        errno.EINVAL, 'NetworkPolicy d/bad-port',
        'spec.ingress[0].ports[0].endPort')


def test_other_errnos_stay_plain_errors():
    from netpol import _error
    e = _error._make(errno.E2BIG, 'too big')
    assert type(e) is netpol.Error and not isinstance(e, ValueError)


# --- type hints -------------------------------------------------------------

def _public_callables():
    for name in netpol.__all__:
        obj = getattr(netpol, name)
        if inspect.isclass(obj):
            if issubclass(obj, BaseException):
                continue
            for mname, m in vars(obj).items():
                if mname.startswith('_') and mname not in ('__init__',):
                    continue
                if isinstance(m, (classmethod, staticmethod)):
                    m = m.__func__
                if inspect.isfunction(m):
                    yield f'{name}.{mname}', m
        elif inspect.isfunction(obj):
            yield name, obj


def test_public_api_is_fully_annotated():
    seen = 0
    for qual, fn in _public_callables():
        sig = inspect.signature(fn)
        for p in sig.parameters.values():
            if p.name in ('self', 'cls'):
                continue
            assert p.annotation is not inspect.Parameter.empty, \
                f'{qual}: parameter {p.name} has no type'
        assert sig.return_annotation is not inspect.Signature.empty, \
            f'{qual}: no return type'
        seen += 1
    assert seen > 50


def test_package_ships_py_typed():
    assert os.path.isfile(os.path.join(os.path.dirname(netpol.__file__),
                                       'py.typed'))


# --- reprs ------------------------------------------------------------------

def test_reprs():
    c = netpol.Cluster.load(SIMPLE)
    r = repr(c)
    assert r.startswith('<netpol.Cluster ')
    assert f"pods={c.count('pod')}" in r
    assert f"networkpolicies={c.count('networkpolicy')}" in r
    pod = c.names('pod')[0]
    rs = c.compile(*pod.split('/'))
    assert repr(rs) == (f'<netpol.RuleSet pod={pod!r} '
                        f'hash={rs.hash:#018x}>')
    ms = rs.mapset()
    assert repr(ms).startswith('<netpol.MapSet lpm ipv4 ingress='
                               f"{ms.count(4, 'ingress')} ")
    c.close()
    assert repr(c) == '<netpol.Cluster closed>'
    d = netpol.Diagnostic('Pod a/b', 'spec', 'bad', 'f.yaml', 1, 2, 22, 't')
    assert "object='Pod a/b'" in repr(d)
    e = netpol.NotFoundError(errno.ENOENT, 'gone', object='Pod a/b')
    assert repr(e) == "NotFoundError(2, 'gone', object='Pod a/b', path='')"
    assert str(e) == 'Pod a/b: gone'
    for name in netpol.__all__:
        obj = getattr(netpol, name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            assert '__repr__' in vars(obj), f'{name} has no __repr__'
