#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what libnetpol builds and tests with: Debian 12 packages only.
set -euo pipefail
pkgs=(
	meson ninja-build pkg-config gcc g++ clang llvm
	libbpf-dev bpftool libelf-dev zlib1g-dev libjansson-dev libyaml-dev
	libcriterion-dev swig python3-dev python3-pytest golang-go
	iproute2 scdoc valgrind curl
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
