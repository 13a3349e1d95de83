#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Count results in meson's testlog.json: every TAP line of a TAP test,
one result for any other test. Prints 'N passed, N failed, N skipped'."""
import json
import re
import sys

passed = failed = skipped = 0
for line in open(sys.argv[1], encoding="utf-8"):
    t = json.loads(line)
    res = t.get("result")
    if t.get("protocol", "").lower() == "tap" or "TAP" in (t.get("stdout") or "")[:20]:
        out = t.get("stdout") or ""
        n_ok = n_bad = n_skip = 0
        for l in out.splitlines():
            if re.match(r"^not ok\b", l):
                n_bad += 1
            elif re.match(r"^ok\b", l):
                if re.search(r"#\s*skip", l, re.I):
                    n_skip += 1
                else:
                    n_ok += 1
        if n_ok + n_bad + n_skip:
            passed += n_ok
            failed += n_bad
            skipped += n_skip
            # a crash or timeout after some results still fails the test
            if res not in ("OK", "SKIP", "EXPECTEDFAIL") and not n_bad:
                failed += 1
            continue
    if res in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif res == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
