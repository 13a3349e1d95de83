#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Each public header compiles alone, warning-free, as C99 or as C++11.

usage: header_compiles.py c|c++ INCLUDEDIR COMPILER [ARGS...]
"""
import os
import subprocess
import sys
import tempfile

FLAGS = {
    'c': ['-x', 'c', '-std=c99', '-Wall', '-Wextra', '-pedantic',
          '-Werror'],
    'c++': ['-x', 'c++', '-std=c++11', '-Wall', '-Wextra', '-pedantic',
            '-Werror'],
}


def main():
    lang, incdir, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    headers = ['netpol.h'] + sorted(
        'netpol/' + f for f in os.listdir(os.path.join(incdir, 'netpol'))
        if f.endswith('.h'))
    bad = 0
    with tempfile.TemporaryDirectory(prefix='np-abi-') as tmp:
        for h in headers:
            src = os.path.join(tmp, 'tu.c')
            with open(src, 'w') as f:
                # twice: the include guard must work
                f.write('#include <%s>\n#include <%s>\n' % (h, h))
                f.write('int np_abi_test_unused(void);\n')
            argv = cmd + FLAGS[lang] + ['-I', incdir, '-c', src, '-o',
                                        os.path.join(tmp, 'tu.o')]
            r = subprocess.run(argv, capture_output=True, text=True)
            status = 'ok' if r.returncode == 0 else 'FAILED'
            print('%s: %s %s' % (status, lang, h))
            if r.returncode:
                print(' '.join(argv))
                print(r.stdout + r.stderr)
                bad += 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
