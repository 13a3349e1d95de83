#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The Stars demo of the EKS user guide (steps 1-12), for real: every pod of
# 00-resources.yaml is a network namespace with its address on a veth to a
# private node namespace, serving its port over TCP; `netpol attach` puts
# the datapath on the host ends and `netpol apply` enforces the manifests
# of each step. After each step every pod connects to every other pod's
# port, and the grid of what worked is printed as the management UI draws
# it, each cell checked against `netpol matrix`. Needs root; leaves nothing
# behind (namespaces, veths, pins), even on an error or Ctrl-C.
#   examples/stars/demo.sh [BUILD_DIR]
# Exit status: 0 when every connection did what `netpol matrix` predicts.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
netpol=$(cd "$build" 2>/dev/null && pwd)/tools/netpol
podnet=$here/podnet.py
python=$(command -v python3 || echo /usr/bin/python3)

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: needs root (network namespaces, eBPF, tc):" \
		"sudo $0 ${1:-}" >&2
	exit 1
fi
if [ ! -x "$netpol" ]; then
	echo "demo.sh: no $build/tools/netpol: meson setup $build &&" \
		"ninja -C $build" >&2
	exit 1
fi
for tool in ip nsenter "$python"; do
	command -v "$tool" >/dev/null ||
		{ echo "demo.sh: $tool is missing" >&2; exit 1; }
done

id=$$
prefix=npstars				# netns npstars-<pid>-<tag>
node=$prefix-$id-node
pin=/sys/fs/bpf/netpol-stars-$id
node_ip=198.19.255.1
ports=80,6379,9000,9001
tmp=$(mktemp -d /tmp/netpol-stars.XXXXXX)
watchdog=

# In the order of the management UI: client, front-end, back-end, UI.
letters=(C F B M)
tags=(c f b m)
pods=(client/client-xlffc stars/frontend-cscnf stars/backend-sz87q
	management-ui/management-ui-qrb2g)
ips=(198.18.0.13 198.18.0.12 198.18.0.11 198.18.0.10)
pports=(9000 80 6379 9001)

# Remove one demo's namespaces (their processes first) and pins.
remove() {	# PID
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' |
		    grep "^$prefix-$1-" || true); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null ||
			true
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ -d "/sys/fs/bpf/netpol-stars-$1" ]; then
		rm -rf "/sys/fs/bpf/netpol-stars-$1"
	fi
}

cleanup() {
	local rc=$?
	set +e
	trap '' INT TERM	# a second Ctrl-C must not stop the cleanup
	trap - EXIT
	[ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
	if [ -e "/run/netns/$node" ]; then
		nsenter --net="/run/netns/$node" "$netpol" destroy -q \
			--pin-root "$pin" 2>/dev/null || true
	fi
	remove "$id"
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "demo.sh: interrupted" >&2; exit 130' INT
trap 'echo "demo.sh: stopped" >&2; exit 143' TERM

# What earlier demos killed without a chance to clean up left behind.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' |
	    grep "^$prefix-[0-9]*-" || true); do
	old=${ns#"$prefix"-}
	old=${old%%-*}
	kill -0 "$old" 2>/dev/null || remove "$old"
done
for dir in /sys/fs/bpf/netpol-stars-*; do
	old=${dir##*-}
	[ -d "$dir" ] && [[ $old =~ ^[0-9]+$ ]] && ! kill -0 "$old" 2>/dev/null &&
		remove "$old"
done

# The whole demo takes seconds; never let it hang.
(sleep 90 && echo "demo.sh: timed out" >&2 && kill -TERM $id) 2>/dev/null &
watchdog=$!
disown $watchdog

in_node() { nsenter --net="/run/netns/$node" "$@"; }

# The node: forwarding, its address, one veth per pod (as a CNI does).
ip netns add "$node"
ip -n "$node" link set lo up
ip -n "$node" addr add "$node_ip/32" dev lo
in_node sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
servers=()
for i in "${!pods[@]}"; do
	ns=$prefix-$id-${tags[i]}
	host=nps$id${tags[i]}
	ip netns add "$ns"
	ip -n "$node" link add "$host" type veth peer name eth0 netns "$ns"
	ip -n "$node" link set "$host" up
	ip -n "$node" route add "${ips[i]}/32" dev "$host"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" addr add "${ips[i]}/32" dev eth0
	ip -n "$ns" route add "$node_ip/32" dev eth0 scope link
	ip -n "$ns" route add default via "$node_ip" dev eth0
	ip netns exec "$ns" "$python" "$podnet" serve "${pports[i]}" &
	disown $!	# killed with its namespace, quietly
	servers+=("${ips[i]}:${pports[i]}")
done
in_node "$python" "$podnet" wait 10 "${servers[@]}"
for i in "${!pods[@]}"; do
	in_node "$netpol" attach -q --ifname "nps$id${tags[i]}" \
		--pod "${pods[i]}" --mode standard --node-ip "$node_ip" \
		--pin-root "$pin"
done

echo "The Stars demo: 4 pods in network namespaces, the datapath on their"
echo "host veths ($pin), real TCP connections after each step."
for i in "${!pods[@]}"; do
	printf '  %s  %-36s %s:%s\n' "${letters[i]}" "${pods[i]}" "${ips[i]}" \
		"${pports[i]}"
done
echo "Rows from, columns to; each cell a real connection to the pod's port."
echo

files=()
args=()
for i in "${!pods[@]}"; do
	args+=("${letters[i]}=$prefix-$id-${tags[i]}=${pods[i]}=${ips[i]}:${pports[i]}")
done
bad=0
total=0
step() {	# MANIFEST TITLE
	files+=("$here/$1")
	in_node "$netpol" apply "${files[@]}" --pin-root "$pin"
	"$netpol" matrix "${files[@]}" --ports "$ports" -o json \
		>"$tmp/predicted.json"
	total=$((total + 1))
	"$python" "$podnet" probe "$2" "$tmp/predicted.json" "${args[@]}" ||
		bad=$((bad + 1))
}
step 00-resources.yaml "Steps 1-4: services up, no policy: each node has \
full communication access to all other nodes"
step 01-default-deny.yaml "Steps 5-6: default-deny in stars and client: \
the management UI can no longer reach any of the nodes"
step 02-allow-ui.yaml "Steps 7-8: allow-ui: the management UI can reach \
the nodes again, but the nodes cannot communicate with each other"
step 03-backend-policy.yaml "Steps 9-10: backend-policy: the front-end can \
communicate with the back-end"
step 04-frontend-policy.yaml "Steps 11-12: frontend-policy: the client can \
communicate to the front-end; the front-end still reaches the back-end"

n=$((${#pods[@]} * (${#pods[@]} - 1)))
if [ "$bad" -eq 0 ]; then
	echo "Every cell of all $total steps ($((total * n)) real connections)" \
		"equalled \`netpol matrix\`."
else
	echo "MISMATCH: $bad of $total steps had real connections that differ" \
		"from \`netpol matrix\`."
	exit 1
fi
