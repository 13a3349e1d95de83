#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The Stars demo of the EKS user guide, step by step: the reachability
# matrix after each policy, as the management UI would draw it.
#   examples/stars/demo.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
netpol=${1:-$here/../../build}/tools/netpol
ports=80,6379,9000,9001
files=("$here/00-resources.yaml")
step() {
	echo "=== $1"
	"$netpol" matrix "${files[@]}" --ports "$ports"
	echo
}
step "services up, no policy: everyone reaches everyone"
files+=("$here/01-default-deny.yaml")
step "default-deny in stars and client"
files+=("$here/02-allow-ui.yaml")
step "allow-ui: the management UI reaches every pod"
files+=("$here/03-backend-policy.yaml")
step "backend-policy: frontend -> backend:6379"
files+=("$here/04-frontend-policy.yaml")
step "frontend-policy: client -> frontend:80"
"$netpol" verdict "${files[@]}" --from client/client-xlffc \
	--to stars/backend-sz87q --port 6379 || true
