#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The C snippet of README.md, compiled against the build and run from the
source tree: its output must be the one the README says it prints.

usage: readme_c.py SRCDIR BUILDDIR CC"""
import os
import re
import subprocess
import sys
import tempfile

src, build, cc = sys.argv[1:4]
text = open(os.path.join(src, "README.md"), encoding="utf-8").read()
snippet = text.split("```c\n", 1)[1].split("```", 1)[0]
expected = re.search(r"prints `([^`]*)`", text.split("```c\n", 1)[1]).group(1)
with tempfile.TemporaryDirectory() as tmp:
    prog = os.path.join(tmp, "readme.c")
    exe = os.path.join(tmp, "readme")
    with open(prog, "w", encoding="utf-8") as f:
        f.write(snippet)
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-o", exe,
                    prog, "-I" + os.path.join(src, "include"),
                    "-L" + os.path.join(build, "libnetpol"), "-lnetpol"],
                   check=True)
    env = dict(os.environ,
               LD_LIBRARY_PATH=os.path.join(build, "libnetpol"))
    out = subprocess.run([exe], cwd=src, env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
if out != expected:
    print(f"README C snippet printed {out!r}, the README says {expected!r}")
    sys.exit(1)
print("ok:", out)
