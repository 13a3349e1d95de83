#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# gotest.sh SRCDIR GO ARGS...: run the go tool with a digest of the public
# headers in CGO_CPPFLAGS. The go tool keys its cgo cache on the package's
# own files and the flags, not on headers outside the module
# (include/netpol/*.h); the flags are part of the key, so an edit there
# rebuilds the binding.
set -eu
srcdir=$1
shift
digest=$(cat "$srcdir/include/netpol.h" "$srcdir"/include/netpol/*.h |
	sha256sum | cut -c1-16)
CGO_CPPFLAGS="${CGO_CPPFLAGS:-} -DNP_HEADERS_DIGEST=$digest"
export CGO_CPPFLAGS
exec "$@"
