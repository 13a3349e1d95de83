#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Every command that 'netpol --help' lists has a SYNOPSIS line and an
entry under COMMANDS in netpol(8), and the page documents no command the
tool does not have.

usage: check_commands.py NETPOL netpol.8.scd
"""
import re
import subprocess
import sys


def section(src, name):
    m = re.search(r'^# %s\n(.*?)(?=^# )' % name, src, flags=re.M | re.S)
    return m.group(1) if m else ''


def main():
    tool, page = sys.argv[1], sys.argv[2]
    out = subprocess.run([tool, '--help'], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r'^commands:\n(.*?)\n\n', out, flags=re.M | re.S)
    listed = [line.split()[0] for line in m.group(1).splitlines()
              if line.strip()] if m else []
    src = open(page).read()
    synopsis = set(re.findall(r'^\*netpol (\w+)\*', section(src, 'SYNOPSIS'),
                              flags=re.M))
    # an entry: its synopsis line, then an indented description
    entries = set(re.findall(r'^\*(\w+)\*(?: .*)?\n\t',
                             section(src, 'COMMANDS'), flags=re.M))
    bad = 0
    if not listed:
        print('%s --help lists no commands' % tool)
        bad += 1
    for c in listed:
        if c not in synopsis:
            print('%s: no SYNOPSIS line for %s' % (page, c))
            bad += 1
        if c not in entries:
            print('%s: no entry under COMMANDS for %s' % (page, c))
            bad += 1
    for c in sorted((synopsis | entries) - set(listed)):
        print('%s: documents %s, which netpol --help does not list' %
              (page, c))
        bad += 1
    print('%d commands, %d problems' % (len(listed), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
