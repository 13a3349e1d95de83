# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Run examples/python/controller.py on the Stars demo and check that it
names every PolicyEndpoint and rule set it should.

    check_controller.py CONTROLLER STARS_DIR
"""
import glob
import subprocess
import sys

EXPECTED = [
    'PolicyEndpoint client/allow-ui-51031: isolates Ingress of '
    '[client-xlffc]',
    'PolicyEndpoint client/default-deny-94c79: isolates Ingress of '
    '[client-xlffc]',
    'PolicyEndpoint stars/allow-ui-7c349: isolates Ingress of '
    '[backend-sz87q, frontend-cscnf]',
    'PolicyEndpoint stars/backend-policy-f137e: isolates Ingress of '
    '[backend-sz87q]',
    '  ingress 198.18.0.12/32 ports TCP/6379',
    'PolicyEndpoint stars/default-deny-a04a1: isolates Ingress of '
    '[backend-sz87q, frontend-cscnf]',
    'PolicyEndpoint stars/frontend-policy-12258: isolates Ingress of '
    '[frontend-cscnf]',
    '  ingress 198.18.0.13/32 ports TCP/80',
    'RuleSet stars/backend-sz87q hash 73cd19a03e05e3b0',
    '  ingress 198.18.0.12/32 from stars/backend-policy ingress[0]',
    '  egress: not isolated',
]


def main():
    controller, stars = sys.argv[1:3]
    files = sorted(glob.glob(stars + '/*.yaml'))
    if len(files) != 5:
        print(f'expected 5 manifests in {stars}, found {len(files)}')
        return 1
    run = subprocess.run([sys.executable, controller] + files,
                         capture_output=True, text=True, check=False)
    sys.stdout.write(run.stdout)
    sys.stderr.write(run.stderr)
    if run.returncode:
        print(f'controller exited {run.returncode}')
        return 1
    lines = run.stdout.splitlines()
    missing = [e for e in EXPECTED if e not in lines]
    for e in missing:
        print(f'missing: {e!r}')
    pes = [ln for ln in lines if ln.startswith('PolicyEndpoint ')]
    if len(pes) != 6:
        print(f'expected 6 PolicyEndpoints, got {len(pes)}')
        return 1
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main())
