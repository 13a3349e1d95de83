// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// Package capi is the SWIG-generated binding of libnetpol's C API
// (bindings/netpol.i). Use package netpol instead.
package capi

// #cgo pkg-config: libnetpol
import "C"
