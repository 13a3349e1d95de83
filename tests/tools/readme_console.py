#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Every `console` example of README.md shows what the netpol tool really
prints: each "$ netpol ..." line is run from the source tree (standard
output and standard error together, in order) and must print exactly the
lines that follow it, up to the next "$ " line or the end of the block.
Only netpol commands may appear, and there must be at least one. TAP.

usage: readme_console.py NETPOL SRCDIR"""
import os
import re
import shlex
import subprocess
import sys

netpol, src = os.path.abspath(sys.argv[1]), sys.argv[2]
text = open(os.path.join(src, "README.md"), encoding="utf-8").read()
examples = []  # (command line, expected output)
for block in re.findall(r"^```console\n(.*?)^```", text, flags=re.M | re.S):
    for part in re.split(r"^(?=\$ )", block, flags=re.M):
        if not part.strip():
            continue
        cmd, _, out = part.partition("\n")
        examples.append((cmd, out))

results = []
if not examples:
    results.append(("README.md has console examples", False, ""))
for cmd, want in examples:
    args = shlex.split(cmd[2:]) if cmd.startswith("$ ") else []
    if not args or args[0] != "netpol":
        results.append((cmd, False, "not a '$ netpol ...' line"))
        continue
    r = subprocess.run([netpol] + args[1:], cwd=src, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    results.append((cmd, r.stdout == want,
                    "README shows:\n%s\nthe tool prints:\n%s" %
                    (want, r.stdout)))

print(f"1..{len(results)}")
for i, (name, ok, detail) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok:
        for line in str(detail).splitlines()[:12]:
            print(f"# {line}")
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
