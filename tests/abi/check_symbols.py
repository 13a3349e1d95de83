#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The exported symbols of libnetpol.so equal the version script's global
names, all of them np_*, and every one is declared in a public header.

usage: check_symbols.py LIBRARY MAPFILE INCLUDEDIR
"""
import os
import re
import subprocess
import sys


def map_symbols(path):
    text = re.sub(r'/\*.*?\*/|#[^\n]*', '', open(path).read(), flags=re.S)
    names, nodes = set(), set()
    for node, body in re.findall(r'([\w.]+)\s*\{(.*?)\}', text, flags=re.S):
        nodes.add(node)
        m = re.search(r'global:(.*?)(?:local:|$)', body, flags=re.S)
        if m:
            names.update(re.findall(r'([A-Za-z_]\w*)\s*;', m.group(1)))
    return names, nodes


def exported(lib):
    out = subprocess.run(['nm', '-D', '--defined-only', lib], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        kind, name = parts[-2], parts[-1].split('@')[0]
        syms.add((kind, name))
    return syms


def declared(incdir):
    text = ''
    for root, _, files in os.walk(incdir):
        for f in files:
            if f.endswith('.h'):
                text += open(os.path.join(root, f)).read()
    return text


def main():
    lib, mapfile, incdir = sys.argv[1:4]
    mapped, nodes = map_symbols(mapfile)
    syms = exported(lib)
    # the version nodes show up as absolute symbols
    names = {n for k, n in syms if not (k == 'A' and n in nodes)}
    bad = 0
    if not mapped:
        print('not ok: no global symbols in %s' % mapfile)
        return 1
    for n in sorted(names - mapped):
        print('not in %s but exported: %s' % (mapfile, n))
        bad += 1
    for n in sorted(mapped - names):
        print('in %s but not exported: %s' % (mapfile, n))
        bad += 1
    for n in sorted(names | mapped):
        if not n.startswith('np_'):
            print('not np_*: %s' % n)
            bad += 1
    headers = declared(incdir)
    for n in sorted(mapped):
        if not re.search(r'\bNP_API\b[^;{]*\b%s\s*\(' % re.escape(n),
                         headers):
            print('mapped but not declared NP_API in %s: %s' % (incdir, n))
            bad += 1
    print('%d exported, %d mapped, %d problems' %
          (len(names), len(mapped), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
