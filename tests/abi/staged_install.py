#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Install the build into a fresh temporary DESTDIR, build consumer.c out
of tree with only pkg-config's flags for libnetpol, run it against the
staged library and check what it prints.

usage: staged_install.py BUILDDIR CONSUMER.c MESON [ARGS...]
"""
import glob
import os
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
        print('ok')
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
