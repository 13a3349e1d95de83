#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Every global symbol of the version script is a NAME entry of some man
page, and every NAME entry is the page itself or one of its aliases.

usage: check_man.py MAPFILE --aliases a,b,c PAGE.scd...
"""
import os
import re
import sys


def main():
    mapfile = sys.argv[1]
    assert sys.argv[2] == '--aliases'
    aliases = set(filter(None, sys.argv[3].split(',')))
    pages = sys.argv[4:]
    text = re.sub(r'/\*.*?\*/', '', open(mapfile).read(), flags=re.S)
    symbols = set()
    for body in re.findall(r'global:(.*?)(?:local:|\})', text, flags=re.S):
        symbols.update(re.findall(r'([A-Za-z_]\w*)\s*;', body))
    named = {}
    bad = 0
    for page in pages:
        src = open(page).read()
        base = os.path.basename(page)[:-len('.scd')]
        m = re.search(r'^# NAME\s*\n\s*\n?(.*?)\s+-\s', src, flags=re.M | re.S)
        if not m:
            print('%s: no NAME section' % page)
            bad += 1
            continue
        for name in re.split(r'[,\s]+', m.group(1).strip()):
            name = name.strip('*\\')
            named[name] = base
            if name != base.rsplit('.', 1)[0] and name not in aliases:
                print('%s: %s is in NAME but not installed as an alias' %
                      (page, name))
                bad += 1
    for s in sorted(symbols):
        if s not in named:
            print('no man page names %s' % s)
            bad += 1
    print('%d symbols, %d names in %d pages, %d problems' %
          (len(symbols), len(named), len(pages), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
