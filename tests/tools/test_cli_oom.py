#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The netpol tool out of memory: every allocation of a command, failed in
turn (tests/lib/failalloc_preload.c, LD_PRELOAD), TAP.

Each failure must end in one of two ways: the command's whole normal
output and exit status (a failure the code recovers from), or exit 2 with
"out of memory" on stderr. Never a crash, never a silent exit, never a
partial or different output with the normal exit status.

usage: test_cli_oom.py NETPOL PRELOAD SRCDIR"""
import os
import subprocess
import sys
import tempfile

netpol, preload, src = sys.argv[1:4]
stars = sorted(os.path.join(src, "examples", "stars", f)
               for f in os.listdir(os.path.join(src, "examples", "stars"))
               if f.endswith(".yaml"))
cases = os.path.join(src, "tests", "conformance", "cases")
model = os.path.join(src, "tests", "conformance", "model.yaml")
tiers = [model, os.path.join(cases, "94-cnp-integration-1-admin-deny",
                             "policy.yaml")]
invalid = [os.path.join(cases, "145-invalid-cnp-networks", "invalid.yaml")]
BE, FE = "stars/backend-sz87q", "stars/frontend-cscnf"
COMMANDS = [
    ["validate"] + stars,
    ["validate"] + tiers + invalid,
    ["endpoints"] + stars,
    ["endpoints", "-o", "json"] + tiers,
    ["compile"] + stars,
    ["compile", "-o", "json"] + stars,
    ["compile", "-o", "yaml"] + tiers,
    ["compile", "--source", "endpoints"] + tiers,
    ["matrix"] + stars,
    ["matrix", "--source", "endpoints"] + stars,
    ["maps", "--pod", BE] + stars,
    ["maps", "--pod", BE, "--layout", "eks"] + stars,
    ["maps", "--pod", "z/a", "-o", "json"] + tiers,
    ["verdict", "--from", FE, "--to", BE, "--port", "6379"] + stars,
    ["verdict", "--from", FE, "--to", BE, "--port", "6379", "-o",
     "json"] + stars,
    ["verdict", "--from", "x/a", "--to", "z/b", "--port", "80"] + tiers,
    ["verdict", "--from", "x/a", "--to", "z/b", "--port", "80", "-o",
     "yaml"] + tiers,
]


def run(args, at=None, count=None):
    env = dict(os.environ, LD_PRELOAD=preload)
    if at is not None:
        env["NPT_FAIL_AT"] = str(at)
    if count is not None:
        env["NPT_FAIL_COUNT"] = count
    return subprocess.run([netpol] + args, capture_output=True, text=True,
                          env=env, timeout=60)


def short(args):
    return " ".join(os.path.basename(a) if os.sep in a else a for a in args)


results = []
with tempfile.TemporaryDirectory() as tmp:
    countfile = os.path.join(tmp, "count")
    for args in COMMANDS:
        plain = subprocess.run([netpol] + args, capture_output=True,
                               text=True, timeout=60)
        clean = run(args, count=countfile)
        with open(countfile) as f:
            n = int(f.read())
        problems = []
        if clean.returncode not in (0, 1) or clean.stdout != plain.stdout \
                or n < 100:
            problems.append("clean run: exit %d, %d allocations, output "
                            "%s without the allocator" % (
                                clean.returncode, n,
                                "the same" if clean.stdout == plain.stdout
                                else "NOT the same"))
        for at in range(1, n + 1):
            r = run(args, at=at)
            if r.returncode == clean.returncode and \
                    r.stdout == clean.stdout:
                continue
            if r.returncode == 2 and ("out of memory" in r.stderr or
                                      "Cannot allocate memory" in r.stderr):
                continue
            problems.append("allocation %d: exit %d, stderr %r, stdout %s"
                            % (at, r.returncode, r.stderr[-300:],
                               "as without the failure"
                               if r.stdout == clean.stdout else "changed"))
        results.append(("%s: %d allocations, each failed in turn"
                        % (short(args), n), not problems, problems[:5]))

print("TAP version 13")
print("1..%d" % len(results))
for i, (name, ok, detail) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
    for d in detail:
        print("  # " + d)
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
