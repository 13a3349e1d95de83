// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * np_cluster_check(): ClusterNetworkPolicy ties at one priority and peers
 * that cannot be enforced, reported once per snapshot.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netpol.h>

static struct np_cluster *load(const char *yaml)
{
	struct np_cluster *c;
	struct np_diag d;

	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	cr_assert_eq(np_cluster_load_buffer(c, yaml, strlen(yaml), "t.yaml",
					    NULL, &d),
		     0, "%s", d.message);
	return c;
}

#define PODS                                                                 \
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {ns: " \
	"x}}\n---\n"                                                         \
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: y, labels: {ns: " \
	"y}}\n---\n"                                                         \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\n"     \
	"status: {podIP: 198.18.0.2, hostIP: 198.18.0.1}\n---\n"             \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x}\n"     \
	"status: {podIP: 198.18.0.3, hostIP: 198.18.0.1}\n---\n"             \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: y}\n"     \
	"status: {podIP: 198.18.0.4, hostIP: 198.18.0.1}\n---\n"
#define CNP(group, name, tier, prio, subj, body)              \
	"apiVersion: " group "\nkind: ClusterNetworkPolicy\n" \
	"metadata: {name: " name "}\nspec:\n  tier: " tier    \
	"\n  priority: " #prio "\n  subject: " subj "\n" body "---\n"
#define UP "policy.networking.k8s.io/v1alpha2"
#define AWS "networking.k8s.aws/v1alpha1"
#define EG_DENY \
	"  egress:\n  - {action: Deny, to: [{networks: [192.0.2.0/24]}]}\n"
#define IN_ACC "  ingress:\n  - {action: Accept, from: [{namespaces: {}}]}\n"

static char *check(struct np_cluster *c, size_t *n)
{
	char *r = NULL;

	cr_assert_eq(np_cluster_check(c, &r, n), 0);
	cr_assert_not_null(r);
	return r;
}

Test(tier_check, ties_named_once_with_the_shared_pods)
{
	struct np_cluster *c = load(
		PODS CNP(UP, "p2", "Admin", 5, "{namespaces: {}}", EG_DENY)
			CNP(UP, "p1", "Admin", 5,
			    "{namespaces: {matchLabels: {ns: x}}}", EG_DENY)
		/* same priority, other direction: no tie */
		CNP(UP, "p3", "Admin", 5, "{namespaces: {}}", IN_ACC)
		/* same priority, Baseline: another tier */
		CNP(UP, "b1", "Baseline", 5, "{namespaces: {}}", EG_DENY)
		/* same priority, disjoint subjects: no common pod */
		CNP(UP, "q1", "Admin", 9,
		    "{namespaces: {matchLabels: {ns: x}}}", EG_DENY)
			CNP(UP, "q2", "Admin", 9,
			    "{namespaces: {matchLabels: {ns: y}}}", EG_DENY));
	size_t n = 99;
	char *r = check(c, &n);

	cr_expect_eq(n, 1, "%s", r);
	cr_expect_str_eq(r, "cnp/p1 and cnp/p2: both Admin priority 5 with "
			    "egress rules for x/a and 1 more pods: the order "
			    "is the implementation's; cnp/p1 goes first "
			    "(name order)\n");
	np_free(r);
	np_cluster_free(c);
}

/* The same name in both groups: the group says which goes first. */
Test(tier_check, groups_named)
{
	struct np_cluster *c =
		load(PODS CNP(AWS, "same", "Baseline", 2, "{namespaces: {}}",
			      EG_DENY) CNP(UP, "same", "Baseline", 2,
					   "{namespaces: {}}", EG_DENY));
	size_t n = 0;
	char *r = check(c, &n);

	cr_expect_eq(n, 1, "%s", r);
	cr_expect(strstr(r, "cnp/same and cnp/same (networking.k8s.aws): "
			    "both Baseline priority 2") &&
			  strstr(r, "; cnp/same goes first"),
		  "%s", r);
	np_free(r);
	np_cluster_free(c);
}

Test(tier_check, unenforceable_peers)
{
	struct np_cluster *c = load(PODS CNP(
		UP, "dns", "Admin", 7, "{namespaces: {}}",
		"  egress:\n"
		"  - action: Accept\n"
		"    to: [{networks: [192.0.2.0/24]}, "
		"{domainNames: [example.com]}]\n"
		"  - {action: Pass, to: [{domainNames: [a.example]}]}\n"));
	size_t n = 0;
	char *r = check(c, &n);

	cr_expect_eq(n, 2, "%s", r);
	cr_expect_str_eq(
		r,
		"cnp/dns spec.egress[0].to[1]: domainNames not enforced (needs "
		"DNS awareness): it matches nothing\n"
		"cnp/dns spec.egress[1].to[0]: domainNames cannot be enforced "
		"(needs DNS awareness): a Pass rule, so every pod the policy "
		"selects fails closed in egress\n");
	np_free(r);
	np_cluster_free(c);
}

Test(tier_check, nothing_to_say)
{
	struct np_cluster *c = load(
		PODS CNP(UP, "one", "Admin", 1, "{namespaces: {}}", EG_DENY));
	size_t n = 5;
	char *r = check(c, &n);

	cr_expect_eq(n, 0);
	cr_expect_str_eq(r, "");
	np_free(r);
	np_cluster_free(c);
	/* NULL nwarn is fine; NULL report or cluster is not */
	c = load(PODS);
	r = NULL;
	cr_expect_eq(np_cluster_check(c, &r, NULL), 0);
	cr_expect_str_eq(r, "");
	np_free(r);
	cr_expect_eq(np_cluster_check(c, NULL, NULL), -EINVAL);
	cr_expect_eq(np_cluster_check(NULL, &r, NULL), -EINVAL);
	np_cluster_free(c);
}
