// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

package netpol

// NullDatapathCalls is for datapath_test.go: test files cannot use cgo.
var NullDatapathCalls = nullDatapathCalls
