// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
package main

import "path/filepath"

// The verdicts of the Stars demo once every policy is applied.
func Example() {
	files, _ := filepath.Glob("../../stars/*.yaml")
	stars(files)
	// Output:
	// client/client-xlffc -> stars/frontend-cscnf:80 allowed=true (rule)
	// client/client-xlffc -> stars/backend-sz87q:6379 allowed=false (no-match)
	// stars/frontend-cscnf -> stars/backend-sz87q:6379 allowed=true (rule)
	// backend: hash 73cd19a03e05e3b0, 2 ingress LPM entries
}
