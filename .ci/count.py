#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Count results in meson's test logs: every result line of a TAP test, one
result for any other test, summed over the build directories given.
Prints 'N passed, N failed, N skipped'.

usage: count.py BUILD_DIR[:LOG]...   (LOG default testlog.json)"""
import json
import os
import re
import subprocess
import sys

passed = failed = skipped = 0


def lines(arg):
    """The test log's records, each with the protocol of its test."""
    build, _, logname = arg.partition(":")
    r = subprocess.run(["meson", "introspect", "--tests", build],
                       capture_output=True, text=True)
    if r.returncode:
        yield {"name": build, "result": "FAIL"}, "exitcode"
        return
    tests = json.loads(r.stdout)
    protocol = {t["name"]: t.get("protocol", "exitcode") for t in tests}
    log = os.path.join(build, "meson-logs", logname or "testlog.json")
    if not os.path.exists(log):
        yield {"name": build, "result": "FAIL"}, "exitcode"
        return
    for line in open(log, encoding="utf-8"):
        t = json.loads(line)
        yield t, protocol.get(t["name"].split(" / ")[-1], "exitcode")


for t, proto in (x for b in sys.argv[1:] for x in lines(b)):
    res = t.get("result")
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
