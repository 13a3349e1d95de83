/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pieces the randomized tests build their NetworkPolicies from
 * (tests/resolve/test_incremental.c, tests/ruleset/test_changes.c): pod
 * apps, peers of every kind and port lists, named ports included.
 */
#ifndef NPT_RANDOM_POLICIES_H
#define NPT_RANDOM_POLICIES_H

static const char *const apps[] = { "web", "db", "front", "monitor" };

static const char *const peers[] = {
	"{podSelector: {matchLabels: {app: front}}}",
	"{namespaceSelector: {}}",
	"{namespaceSelector: {matchLabels: {team: red}}, podSelector: "
	"{matchExpressions: [{key: tier, operator: Exists}]}}",
	"{namespaceSelector: {matchExpressions: [{key: team, operator: NotIn,"
	" values: [blue]}]}}",
	"{ipBlock: {cidr: 198.18.0.0/16, except: [198.18.1.0/24]}}",
	"{podSelector: {matchExpressions: [{key: app, operator: In, values:"
	" [web, db]}]}}",
};

static const char *const ports[] = {
	"",
	", ports: [{port: http}]",
	", ports: [{port: 80}, {port: dns, protocol: UDP}]",
	", ports: [{port: 8080, endPort: 8082}]",
};

#endif /* NPT_RANDOM_POLICIES_H */
