#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Every conformance case (NetworkPolicies and ClusterNetworkPolicy tiers)
and the Stars demo: `netpol matrix --datapath` (each cell decided by the
kernel program on a crafted packet, with the pods' real compiled maps) must
print exactly what `netpol matrix` does. Invalid-object cases (invalid.yaml,
no policy.yaml) have no matrix and are left out. TAP output; skips only
where the kernel refuses bpf() or namespaces.

usage: datapath_equal.py NETPOL CONFORMANCE_DIR STARS_DIR"""
import glob
import os
import subprocess
import sys

netpol, conf, stars = sys.argv[1:4]
cases = []
for d in sorted(glob.glob(os.path.join(conf, "cases", "*", ""))):
    if not os.path.exists(os.path.join(d, "policy.yaml")):
        continue
    args = []
    if os.path.exists(os.path.join(d, "args")):
        args = open(os.path.join(d, "args")).read().split()
    cases.append((os.path.basename(d.rstrip("/")),
                  [os.path.join(conf, "model.yaml"),
                   os.path.join(d, "policy.yaml")] + args))
cases.append(("stars", sorted(glob.glob(os.path.join(stars, "*.yaml"))) +
              ["--ports", "80,6379,9000,9001"]))

if os.geteuid() != 0:
    print("1..0 # SKIP needs root (bpf and network namespaces)")
    sys.exit(0)
print(f"1..{len(cases)}")
failed = 0
for n, (name, args) in enumerate(cases, 1):
    user = subprocess.run([netpol, "matrix"] + args, capture_output=True,
                          text=True)
    kern = subprocess.run([netpol, "matrix", "--datapath"] + args,
                          capture_output=True, text=True)
    if n == 1 and kern.returncode and ("Operation not permitted" in
                                       kern.stderr):
        print(f"1..0 # SKIP the kernel refused: {kern.stderr.strip()}")
        sys.exit(0)
    if user.returncode == 0 and kern.returncode == 0 and \
            user.stdout == kern.stdout:
        print(f"ok {n} - {name}")
        continue
    failed += 1
    print(f"not ok {n} - {name}")
    for line in (kern.stderr or "").splitlines()[:5]:
        print(f"# {line}")
    u, k = user.stdout.splitlines(), kern.stdout.splitlines()
    for i, (a, b) in enumerate(zip(u, k)):
        if a != b:
            print(f"# line {i + 1}: userspace {a!r}")
            print(f"# line {i + 1}: kernel    {b!r}")
            break
sys.exit(1 if failed else 0)
