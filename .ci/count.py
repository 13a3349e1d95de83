#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Count results in meson's test log: every result line of a TAP test, one
result for any other test. Prints 'N passed, N failed, N skipped'.

usage: count.py BUILD_DIR"""
import json
import os
import re
import subprocess
import sys

build = sys.argv[1]
tests = json.loads(subprocess.run(
    ["meson", "introspect", "--tests", build],
    capture_output=True, text=True, check=True).stdout)
protocol = {}
for t in tests:
    protocol[t["name"]] = t.get("protocol", "exitcode")
    protocol[f'{t.get("project_name", "libnetpol")}:'
             f'{t["suite"][0].split(":")[-1] if t.get("suite") else ""} / '
             f'{t["name"]}'] = t.get("protocol", "exitcode")

passed = failed = skipped = 0
log = os.path.join(build, "meson-logs", "testlog.json")
for line in open(log, encoding="utf-8"):
    t = json.loads(line)
    res = t.get("result")
    short = t["name"].split(" / ")[-1]
    proto = protocol.get(t["name"], protocol.get(short, "exitcode"))
    if proto == "tap":
        n_ok = n_bad = n_skip = 0
        for out in (t.get("stdout") or "").splitlines():
            if re.match(r"^not ok\b", out):
                if re.search(r"#\s*todo", out, re.I):
                    continue
                n_bad += 1
            elif re.match(r"^ok\b", out):
                if re.search(r"#\s*skip", out, re.I):
                    n_skip += 1
                else:
                    n_ok += 1
        passed += n_ok
        failed += n_bad
        skipped += n_skip
        # a crash or timeout, or a plan with no results, fails the test
        if res not in ("OK", "SKIP", "EXPECTEDFAIL") and not n_bad:
            failed += 1
        elif res == "SKIP" and not (n_ok + n_bad + n_skip):
            skipped += 1
        continue
    if res in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif res == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
