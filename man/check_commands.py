#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""netpol(8) against the tool itself:

- every command that 'netpol --help' (and 'netpol help', the same text)
  lists has a SYNOPSIS line and an entry under COMMANDS, and the page
  documents no command the tool does not have;
- every option that 'netpol CMD --help' lists is in that command's entry
  (its long name, or for an option with only a short one, that), and
  every option of the entry's synopsis line is in 'netpol CMD --help';
- 'netpol help CMD' prints what 'netpol CMD --help' prints.

usage: check_commands.py NETPOL netpol.8.scd
"""
import re
import subprocess
import sys


def section(src, name):
    m = re.search(r'^# %s\n(.*?)(?=^# )' % name, src, flags=re.M | re.S)
    return m.group(1) if m else ''


def entries(commands):
    """{command: (synopsis line, whole entry)} of the COMMANDS section."""
    out = {}
    for m in re.finditer(r'^\*(\w+)\*((?: .*)?)\n((?:\t.*\n|\n)*)',
                         commands, flags=re.M):
        out[m.group(1)] = (m.group(1) + m.group(2), m.group(0))
    return out


def help_options(text):
    """[(long or None, short or None)] of the options of CMD --help."""
    opts = []
    for line in text.splitlines():
        m = re.match(r'^  (?:-(\w), --([\w-]+)|--([\w-]+)|-(\w))(?: |$)',
                     line)
        if m:
            opts.append((m.group(2) or m.group(3),
                         m.group(1) or m.group(4)))
    return opts


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True)


def main():
    tool, page = sys.argv[1], sys.argv[2]
    out = run(tool, '--help')
    m = re.search(r'^commands:\n(.*?)\n\n', out.stdout, flags=re.M | re.S)
    listed = [line.split()[0] for line in m.group(1).splitlines()
              if line.strip()] if m else []
    src = open(page).read()
    synopsis = set(re.findall(r'^\*netpol (\w+)\*', section(src, 'SYNOPSIS'),
                              flags=re.M))
    ents = entries(section(src, 'COMMANDS'))
    bad = 0

    def problem(msg):
        nonlocal bad
        print(msg)
        bad += 1

    if out.returncode or not listed:
        problem('%s --help lists no commands' % tool)
    if run(tool, 'help').stdout != out.stdout:
        problem("'netpol help' differs from 'netpol --help'")
    for c in listed:
        if c not in synopsis:
            problem('%s: no SYNOPSIS line for %s' % (page, c))
        if c not in ents:
            problem('%s: no entry under COMMANDS for %s' % (page, c))
            continue
        h = run(tool, c, '--help')
        if h.returncode or not h.stdout.startswith('usage: netpol %s' % c):
            problem('netpol %s --help: exit %d, %r' % (c, h.returncode,
                                                      h.stdout[:80]))
            continue
        if run(tool, 'help', c).stdout != h.stdout:
            problem("'netpol help %s' differs from 'netpol %s --help'" %
                    (c, c))
        line, entry = ents[c]
        opts = help_options(h.stdout)
        names = set()
        for lng, shrt in opts:
            forms = (['*--%s*' % lng] if lng else []) + \
                (['*-%s*' % shrt] if shrt else [])
            names.update(f.strip('*') for f in forms)
            if not any(f in entry for f in forms):
                problem('%s: the entry of %s does not document %s' %
                        (page, c, ' or '.join(f.strip('*') for f in forms)))
        for o in re.findall(r'\*(--?[\w-]+)\*', line):
            if o not in names:
                problem('%s: %s documents %s, which netpol %s --help does '
                        'not list' % (page, c, o, c))
    for c in sorted((synopsis | set(ents)) - set(listed)):
        problem('%s: documents %s, which netpol --help does not list' %
                (page, c))
    print('%d commands, %d problems' % (len(listed), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
