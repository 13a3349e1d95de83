#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Build the Go module as a user would: from a copy of bindings/go in a
temporary directory, with an empty GOPATH and GOCACHE, offline
(GOPROXY=off, GOFLAGS=-mod=mod), against a staged install of the library
found through pkg-config alone; no SWIG. Then `go vet`, and a tiny
program importing the module, linked against the staged library, prints
the library's version.

usage: staged_build.py BUILDDIR MODULEDIR VERSION GO MESON [ARGS...]
"""
import glob
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

PROGRAM = '''// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
package main

import (
	"fmt"

	"libnetpol.dev/netpol"
)

func main() {
	fmt.Println("libnetpol", netpol.Version())
}
'''

GOMOD = '''module example.com/npversion

go 1.19

require libnetpol.dev/netpol v0.0.0

replace libnetpol.dev/netpol => ../netpol
'''


def run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode:
        sys.exit('FAILED (%d): %s\n%s%s' % (r.returncode, shlex.join(argv),
                                           r.stdout, r.stderr))
    return r.stdout


def main():
    builddir, moddir, version, go = sys.argv[1:5]
    meson = sys.argv[5:]
    tmp = tempfile.mkdtemp(prefix='np-go-staged-')
    try:
        stage = os.path.join(tmp, 'stage')
        run(meson + ['install', '-C', builddir, '--no-rebuild', '--quiet',
                     '--destdir', stage])
        pcs = glob.glob(os.path.join(stage, '**', 'pkgconfig',
                                     'libnetpol.pc'), recursive=True)
        if len(pcs) != 1:
            sys.exit('FAILED: want one libnetpol.pc under %s, got %s' %
                     (stage, pcs))
        libs = glob.glob(os.path.join(stage, '**', 'libnetpol.so.*'),
                         recursive=True)
        if not libs:
            sys.exit('FAILED: no libnetpol.so.* staged')
        libdir = os.path.dirname(libs[0])

        # The copy: what `go get` or a vendored tree would give.
        mod = os.path.join(tmp, 'netpol')
        shutil.copytree(moddir, mod)
        swig = [f for f in glob.glob(os.path.join(mod, '**'), recursive=True)
                if f.endswith(('.swig', '.swigcxx', '.i'))]
        if swig:
            sys.exit('FAILED: SWIG inputs in the module: %s' % swig)

        # Nothing of the caller's Go or cgo setup, nothing of the build
        # tree: the staged .pc, a sysroot to place its paths, empty caches.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('GO', 'CGO_', 'PKG_CONFIG'))
               and k != 'LD_LIBRARY_PATH'}
        env.update({
            'GOPATH': os.path.join(tmp, 'gopath'),
            'GOCACHE': os.path.join(tmp, 'gocache'),
            'GOMODCACHE': os.path.join(tmp, 'gopath', 'pkg', 'mod'),
            'GOENV': 'off',
            'GOFLAGS': '-mod=mod',
            'GOPROXY': 'off',
            'GOSUMDB': 'off',
            'GOTOOLCHAIN': 'local',
            'CGO_ENABLED': '1',
            'HOME': tmp,
            'PKG_CONFIG_PATH': os.path.dirname(pcs[0]),
            'PKG_CONFIG_SYSROOT_DIR': stage,
        })
        flags = run(['pkg-config', '--cflags', '--libs', 'libnetpol'],
                    env=env)
        print('# flags: %s' % flags.strip().replace(stage, '$DESTDIR'))
        for f in shlex.split(flags):
            if f[:2] in ('-I', '-L') and not f[2:].startswith(stage):
                sys.exit('FAILED: flag outside the stage: %s' % f)

        out = run([go, 'list', '-f', '{{.SwigFiles}}{{.SwigCXXFiles}}',
                   './...'], cwd=mod, env=env)
        if out.strip() != '[][]':
            sys.exit('FAILED: SWIG files: %s' % out)
        run([go, 'build', './...'], cwd=mod, env=env)
        run([go, 'vet', './...'], cwd=mod, env=env)
        print('# go build ./... and go vet ./...: ok')

        prog = os.path.join(tmp, 'npversion')
        os.mkdir(prog)
        with open(os.path.join(prog, 'go.mod'), 'w') as f:
            f.write(GOMOD)
        with open(os.path.join(prog, 'main.go'), 'w') as f:
            f.write(PROGRAM)
        exe = os.path.join(prog, 'npversion')
        run([go, 'build', '-o', exe, '.'], cwd=prog, env=env)
        env['LD_LIBRARY_PATH'] = libdir
        ldd = run(['ldd', exe], env=env)
        if stage not in ldd:
            sys.exit('FAILED: not linked to the staged library:\n' + ldd)
        out = run([exe], env=env)
        want = 'libnetpol %s\n' % version
        if out != want:
            sys.exit('FAILED: printed %r, want %r' % (out, want))
        sys.stdout.write(out)
        print('ok')
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
