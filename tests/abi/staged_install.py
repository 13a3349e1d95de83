#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Install the build into a fresh temporary DESTDIR, build consumer.c out
of tree with only pkg-config's flags for libnetpol, run it against the
staged library and check what it prints. Then what a distribution checks:
netpol in bin and running; the licence texts every SPDX line of the tree
names, the change log and COPYING in the doc directory; the BPF
programs' SPDX lines agreeing with the licence string their object
declares; the man pages and their aliases under the install tag "man"
alone; the Python module in a directory the target interpreter imports
from, importing from the stage.

usage: staged_install.py BUILDDIR CONSUMER.c MESON [ARGS...]
"""
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

EXPECTED = '''libnetpol 0.1.0
Namespace: 1
NetworkPolicy: 1
-22 (invalid input) bad.yaml:8:16: NetworkPolicy prod/web: \
spec.ingress[0].ports[0].endPort: Invalid value: 70: must be greater than \
or equal to `port`
'''


def run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode:
        sys.exit('FAILED (%d): %s\n%s%s' % (r.returncode, shlex.join(argv),
                                           r.stdout, r.stderr))
    return r.stdout


def main():
    builddir, consumer, meson = sys.argv[1], sys.argv[2], sys.argv[3:]
    cc = os.environ.get('CC', 'cc')
    tmp = tempfile.mkdtemp(prefix='np-staged-')
    try:
        run(meson + ['install', '-C', builddir, '--no-rebuild', '--quiet',
                     '--destdir', tmp])
        pcs = glob.glob(os.path.join(tmp, '**', 'pkgconfig', 'libnetpol.pc'),
                        recursive=True)
        if len(pcs) != 1:
            sys.exit('FAILED: want one libnetpol.pc under %s, got %s' %
                     (tmp, pcs))
        pcdir = os.path.dirname(pcs[0])
        print('# pkgconfig: %s' % os.path.relpath(pcdir, tmp))
        env = dict(os.environ, PKG_CONFIG_PATH=pcdir)
        env.pop('PKG_CONFIG_SYSROOT_DIR', None)
        flags = shlex.split(run(['pkg-config', '--define-prefix', '--cflags',
                                 '--libs', 'libnetpol'], env=env))
        # --define-prefix assumes $prefix/lib/pkgconfig; with a multiarch
        # libdir it guesses the prefix one level short. Then fall back to
        # the sysroot, which is what pkg-config offers for staged trees.
        incs = [f[2:] for f in flags if f.startswith('-I')]
        if not incs or not all(os.path.isfile(os.path.join(i, 'netpol.h'))
                               for i in incs):
            env['PKG_CONFIG_SYSROOT_DIR'] = tmp
            flags = shlex.split(run(['pkg-config', '--cflags', '--libs',
                                     'libnetpol'], env=env))
            print('# --define-prefix missed the headers; used the sysroot')
        print('# flags: %s' % ' '.join(f.replace(tmp, '$DESTDIR')
                                       for f in flags))
        libdirs = [f[2:] for f in flags if f.startswith('-L')]
        for d in [i for i in flags if i.startswith('-I')] + \
                 ['-L' + d for d in libdirs]:
            if not d[2:].startswith(tmp):
                sys.exit('FAILED: flag outside the staged tree: %s' % d)
        exe = os.path.join(tmp, 'consumer')
        run([cc, '-std=c99', '-Wall', '-Wextra', '-Werror', consumer, '-o',
             exe] + flags)
        env = dict(os.environ, LD_LIBRARY_PATH=':'.join(libdirs))
        out = run([exe], env=env)
        # the staged library was the one loaded
        ldd = run(['ldd', exe], env=env)
        if tmp not in ldd:
            sys.exit('FAILED: consumer did not load the staged library:\n' +
                     ldd)
        if out != EXPECTED:
            sys.exit('FAILED: output\n%s\nexpected\n%s' % (out, EXPECTED))
        sys.stdout.write(out)
        package(builddir, meson, tmp, env)
        print('ok')
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def option(opts, name):
    return next(o['value'] for o in opts if o['name'] == name)


LICENCE_FILES = {'LGPL-2.1': 'LGPL-2.1-only.txt',
                 'LGPL-2.1-only': 'LGPL-2.1-only.txt',
                 'GPL-2.0-only': 'GPL-2.0-only.txt',
                 'BSD-2-Clause': 'BSD-2-Clause.txt'}


def package(builddir, meson, tmp, env):
    opts = json.loads(run(meson + ['introspect', builddir,
                                   '--buildoptions']))
    src = json.loads(run(meson + ['introspect', builddir,
                                  '--projectinfo']))
    srcdir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    srcdir = os.path.dirname(srcdir)
    prefix = option(opts, 'prefix')
    stage = tmp + prefix

    # the tool, in bin, runs
    tool = os.path.join(stage, option(opts, 'bindir'), 'netpol')
    if not os.access(tool, os.X_OK):
        sys.exit('FAILED: no %s' % tool)
    if os.path.exists(os.path.join(stage, option(opts, 'sbindir'),
                                   'netpol')):
        sys.exit('FAILED: netpol is installed in sbin too')
    ver = run([tool, '--version'], env=env)
    if src['version'] not in ver:
        sys.exit('FAILED: netpol --version: %s' % ver)
    print('# bin/netpol: %s' % ver.strip())

    # licences: every id an SPDX line of the tree names has its text
    doc = os.path.join(stage, option(opts, 'datadir'), 'doc', 'libnetpol')
    ids = set()
    for root, dirs, files in os.walk(srcdir):
        dirs[:] = [d for d in dirs if not d.startswith(('.', 'build')) and
                   d not in ('corpus', 'cases', 'data')]
        for f in files:
            try:
                with open(os.path.join(root, f), errors='replace') as fh:
                    head = fh.read(400)
            except OSError:
                continue
            m = re.search(r'SPDX-License-Identifier: \(?([^)*\n]+)', head)
            if m:
                ids.update(x.strip() for x in m.group(1).split(' OR '))
    for i in sorted(ids):
        if i not in LICENCE_FILES:
            sys.exit('FAILED: SPDX id %s has no licence text' % i)
        for where in (os.path.join(srcdir, 'LICENSES'), doc):
            if not os.path.isfile(os.path.join(where, LICENCE_FILES[i])):
                sys.exit('FAILED: %s not in %s' % (LICENCE_FILES[i], where))
    for f in ('COPYING', 'NEWS'):
        if not os.path.isfile(os.path.join(doc, f)):
            sys.exit('FAILED: %s not in %s' % (f, doc))
    print('# licences: %s' % ', '.join(sorted(ids)))

    # the BPF object's licence string agrees with its sources' SPDX lines
    for f in glob.glob(os.path.join(srcdir, 'bpf', '*.bpf.c')):
        text = open(f).read()
        if 'SEC("license") = "Dual BSD/GPL"' not in text or \
                'SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)' \
                not in text.splitlines()[0]:
            sys.exit('FAILED: %s: SPDX line and licence string disagree' %
                     f)

    # man pages: the tag installs them (aliases included) and nothing else
    if option(opts, 'man') != 'disabled' and \
            os.path.isdir(os.path.join(stage, option(opts, 'mandir'))):
        mtmp = tempfile.mkdtemp(prefix='np-man-')
        try:
            run(meson + ['install', '-C', builddir, '--no-rebuild',
                         '--quiet', '--tags', 'man', '--destdir', mtmp])
            got = []
            for root, _, files in os.walk(mtmp):
                got += [os.path.relpath(os.path.join(root, f), mtmp)
                        for f in files]
            mandir = os.path.join(prefix, option(opts, 'mandir')).lstrip('/')
            if not got or any(not g.startswith(mandir) for g in got):
                sys.exit('FAILED: --tags man installed %s' % got)
            links = [g for g in got
                     if os.path.islink(os.path.join(mtmp, g))]
            if not links or not any(g.endswith('man8/netpol.8') for g in got):
                sys.exit('FAILED: --tags man: pages %s' % got)
            print('# --tags man: %d pages, %d aliases' %
                  (len(got) - len(links), len(links)))
        finally:
            shutil.rmtree(mtmp, ignore_errors=True)

    # Python: where the interpreter looks, and it imports from the stage
    inits = glob.glob(os.path.join(tmp, '**', 'netpol', '__init__.py'),
                      recursive=True)
    if option(opts, 'python') != 'disabled' and inits:
        site = os.path.dirname(os.path.dirname(inits[0]))[len(tmp):]
        py = option(opts, 'python_exe')
        path = json.loads(run([py, '-c',
                               'import json, sys; print(json.dumps(sys.path))'],
                              env=dict(os.environ, PYTHONPATH='')))
        if site not in path:
            sys.exit('FAILED: the module is in %s, not on %s\'s path %s' %
                     (site, py, path))
        penv = dict(env, PYTHONPATH=tmp + site, PYTHONDONTWRITEBYTECODE='1')
        out = run([py, '-c', 'import netpol; print(netpol.__file__)'],
                  env=penv)
        if not out.startswith(tmp):
            sys.exit('FAILED: imported %s' % out)
        print('# python: %s on %s\'s path, imports' % (site, py))


if __name__ == '__main__':
    sys.exit(main())
