# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Run examples/python/controller.py on the Stars demo, one manifest an
event, and check that after each it prints exactly what changed: the
PolicyEndpoints added, the pods whose rule sets changed with their map
diffs, and no pod the event could not reach (management-ui after
01-default-deny, the frontend after 03-backend-policy).

    check_controller.py CONTROLLER STARS_DIR
"""
import difflib
import glob
import subprocess
import sys

EXPECTED = ''.join(line + '\n' for line in [
    '00-resources.yaml: 0 PolicyEndpoints, 4 rule sets changed',
    'RuleSet client/client-xlffc added hash 98d9a4598e2de72a',
    'RuleSet management-ui/management-ui-qrb2g added hash 98d9a4598e2de72a',
    'RuleSet stars/backend-sz87q added hash 98d9a4598e2de72a',
    'RuleSet stars/frontend-cscnf added hash 98d9a4598e2de72a',
    '01-default-deny.yaml: 2 PolicyEndpoints, 3 rule sets changed',
    'PolicyEndpoint client/default-deny-94c79 added: isolates'
    ' Ingress of [client-xlffc]',
    'PolicyEndpoint stars/default-deny-a04a1 added: isolates'
    ' Ingress of [backend-sz87q, frontend-cscnf]',
    'RuleSet client/client-xlffc changed hash 991240598e90fb67',
    '  isolated ingress true',
    'RuleSet stars/backend-sz87q changed hash 991240598e90fb67',
    '  isolated ingress true',
    'RuleSet stars/frontend-cscnf changed hash 991240598e90fb67',
    '  isolated ingress true',
    '02-allow-ui.yaml: 2 PolicyEndpoints, 3 rule sets changed',
    'PolicyEndpoint client/allow-ui-51031 added: isolates'
    ' Ingress of [client-xlffc]',
    '  ingress 198.18.0.10/32 ports all',
    'PolicyEndpoint stars/allow-ui-7c349 added: isolates Ingress'
    ' of [backend-sz87q, frontend-cscnf]',
    '  ingress 198.18.0.10/32 ports all',
    'RuleSet client/client-xlffc changed hash 10b4fc8cb4bdefa3',
    '  + ingress 198.18.0.10/32',
    'RuleSet stars/backend-sz87q changed hash 10b4fc8cb4bdefa3',
    '  + ingress 198.18.0.10/32',
    'RuleSet stars/frontend-cscnf changed hash 10b4fc8cb4bdefa3',
    '  + ingress 198.18.0.10/32',
    '03-backend-policy.yaml: 1 PolicyEndpoints, 1 rule sets changed',
    'PolicyEndpoint stars/backend-policy-f137e added: isolates'
    ' Ingress of [backend-sz87q]',
    '  ingress 198.18.0.12/32 ports TCP/6379',
    'RuleSet stars/backend-sz87q changed hash 73cd19a03e05e3b0',
    '  + ingress 198.18.0.12/32',
    '04-frontend-policy.yaml: 1 PolicyEndpoints, 1 rule sets changed',
    'PolicyEndpoint stars/frontend-policy-12258 added: isolates'
    ' Ingress of [frontend-cscnf]',
    '  ingress 198.18.0.13/32 ports TCP/80',
    'RuleSet stars/frontend-cscnf changed hash d6068f5dc8926041',
    '  + ingress 198.18.0.13/32',
])


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
    if run.stdout != EXPECTED:
        sys.stdout.writelines(difflib.unified_diff(
            EXPECTED.splitlines(True), run.stdout.splitlines(True),
            'expected', 'controller.py'))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
