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

// Applied one manifest an event, the demo changes only the pods each
// event reaches: the management UI stays out of 01-default-deny, the
// frontend out of 03-backend-policy.
func Example_watch() {
	files, _ := filepath.Glob("../../stars/*.yaml")
	watch(files)
	// Output:
	// 00-resources.yaml: 0 PolicyEndpoints, 4 rule sets changed
	// RuleSet client/client-xlffc added hash 98d9a4598e2de72a
	// RuleSet management-ui/management-ui-qrb2g added hash 98d9a4598e2de72a
	// RuleSet stars/backend-sz87q added hash 98d9a4598e2de72a
	// RuleSet stars/frontend-cscnf added hash 98d9a4598e2de72a
	// 01-default-deny.yaml: 2 PolicyEndpoints, 3 rule sets changed
	// PolicyEndpoint client/default-deny-94c79 added (from default-deny)
	// PolicyEndpoint stars/default-deny-a04a1 added (from default-deny)
	// RuleSet client/client-xlffc changed hash 991240598e90fb67
	//   isolated ingress true
	// RuleSet stars/backend-sz87q changed hash 991240598e90fb67
	//   isolated ingress true
	// RuleSet stars/frontend-cscnf changed hash 991240598e90fb67
	//   isolated ingress true
	// 02-allow-ui.yaml: 2 PolicyEndpoints, 3 rule sets changed
	// PolicyEndpoint client/allow-ui-51031 added (from allow-ui)
	// PolicyEndpoint stars/allow-ui-7c349 added (from allow-ui)
	// RuleSet client/client-xlffc changed hash 10b4fc8cb4bdefa3
	//   + ingress 198.18.0.10/32
	// RuleSet stars/backend-sz87q changed hash 10b4fc8cb4bdefa3
	//   + ingress 198.18.0.10/32
	// RuleSet stars/frontend-cscnf changed hash 10b4fc8cb4bdefa3
	//   + ingress 198.18.0.10/32
	// 03-backend-policy.yaml: 1 PolicyEndpoints, 1 rule sets changed
	// PolicyEndpoint stars/backend-policy-f137e added (from backend-policy)
	// RuleSet stars/backend-sz87q changed hash 73cd19a03e05e3b0
	//   + ingress 198.18.0.12/32
	// 04-frontend-policy.yaml: 1 PolicyEndpoints, 1 rule sets changed
	// PolicyEndpoint stars/frontend-policy-12258 added (from frontend-policy)
	// RuleSet stars/frontend-cscnf changed hash d6068f5dc8926041
	//   + ingress 198.18.0.13/32
}
