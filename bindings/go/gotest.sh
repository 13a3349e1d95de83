#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# gotest.sh SRCDIR GO ARGS...: run the go tool with a digest of the SWIG
# interface and the public headers in CGO_CPPFLAGS. The go tool caches its
# SWIG output by the .swig file alone, not by what that file includes
# (bindings/netpol.i, include/netpol/*.h); the flags are part of its cache
# key, so an edit there rebuilds the binding.
set -eu
srcdir=$1
shift
digest=$(cat "$srcdir/bindings/netpol.i" "$srcdir/include/netpol.h" \
	"$srcdir"/include/netpol/*.h | sha256sum | cut -c1-16)
CGO_CPPFLAGS="${CGO_CPPFLAGS:-} -DNP_SWIG_INPUTS=$digest"
export CGO_CPPFLAGS
exec "$@"
