# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""No file of the library over 1,000 lines.

A file that long does several jobs; split it along them (README.md, source
layout). Checks the C sources and headers of libnetpol/, include/ and bpf/.

usage: check_sizes.py SOURCE_ROOT
"""
import os
import sys

LIMIT = 1000
DIRS = ('libnetpol', 'include', 'bpf')


def main():
    root = sys.argv[1]
    problems, n = [], 0
    for d in DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, d)):
            for name in sorted(names):
                if not name.endswith(('.c', '.h')):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, 'rb') as f:
                    lines = f.read().count(b'\n')
                n += 1
                if lines > LIMIT:
                    problems.append(f'{os.path.relpath(path, root)}: '
                                    f'{lines} lines, over {LIMIT}')
    for p in problems:
        print(p)
    print(f'{n} files: {len(problems)} over {LIMIT} lines')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
