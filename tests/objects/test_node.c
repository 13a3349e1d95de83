// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Node kind (v1): parsed as kubectl prints it (labels and
 * status.addresses), validated with the object, the field path and the
 * API server's message, cluster-scoped, exported with its IP addresses
 * only, and round-tripped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers.h"

#define NODE(name, labels, addrs)                            \
	"apiVersion: v1\nkind: Node\nmetadata: {name: " name \
	", labels: " labels "}\nstatus:\n  addresses: " addrs "\n"
#define KUBECTL                                                          \
	"apiVersion: v1\nkind: Node\nmetadata:\n"                        \
	"  name: ip-198-18-0-7.ec2.internal\n"                           \
	"  labels: {kubernetes.io/os: linux, node-role: db}\n"           \
	"spec: {podCIDR: 10.244.1.0/24, providerID: aws:///x/i-1}\n"     \
	"status:\n  addresses:\n"                                        \
	"  - {type: InternalIP, address: 198.18.0.7}\n"                  \
	"  - {type: InternalIP, address: \"fd00::7\"}\n"                 \
	"  - {type: ExternalIP, address: 198.19.0.7}\n"                  \
	"  - {type: Hostname, address: ip-198-18-0-7.ec2.internal}\n"    \
	"  - {type: InternalDNS, address: ip-198-18-0-7.ec2.internal}\n" \
	"  conditions: [{type: Ready, status: \"True\"}]\n"              \
	"  nodeInfo: {kubeletVersion: v1.31.0}\n"

Test(node, kubectl_shape)
{
	struct np_cluster *c = t_cluster(NULL);
	char *y;

	t_load_ok(c, KUBECTL);
	cr_expect_eq(np_cluster_count(c, NP_KIND_NODE), 1);
	y = t_export(c, NP_KIND_NODE, NP_FORMAT_YAML);
	/* the IP addresses, both families, and nothing else of status */
	cr_expect(strstr(y, "type: InternalIP\n      address: 198.18.0.7"),
		  "%s", y);
	cr_expect(strstr(y, "address: fd00::7"), "%s", y);
	cr_expect(strstr(y, "type: ExternalIP\n      address: 198.19.0.7"),
		  "%s", y);
	cr_expect_null(strstr(y, "Hostname"), "%s", y);
	cr_expect_null(strstr(y, "namespace"), "%s", y);
	cr_expect(strstr(y, "node-role: db"), "%s", y);
	np_free(y);
	np_cluster_free(c);
}

Test(node, roundtrip)
{
	static const enum np_format fmts[] = { NP_FORMAT_YAML, NP_FORMAT_JSON };
	struct np_cluster *c = t_cluster(NULL);

	t_load_ok(c, KUBECTL);
	for (size_t i = 0; i < 2; i++) {
		struct np_cluster *c2 = t_cluster(NULL);
		char *once = t_export(c, NP_KIND_NODE, fmts[i]), *twice;

		t_load_ok(c2, once);
		cr_expect_eq(np_cluster_count(c2, NP_KIND_NODE), 1);
		twice = t_export(c2, NP_KIND_NODE, fmts[i]);
		cr_expect_str_eq(twice, once);
		np_free(once);
		np_free(twice);
		np_cluster_free(c2);
	}
	np_cluster_free(c);
}

/* Cluster-scoped: a namespace is dropped, delete ignores ns. */
Test(node, cluster_scoped)
{
	struct np_cluster *c = t_cluster(NULL);
	char *names = NULL;

	t_load_ok(c, "apiVersion: v1\nkind: Node\nmetadata: {name: n1, "
		     "namespace: x}\n---\napiVersion: v1\nkind: Node\n"
		     "metadata: {name: n2}\n");
	cr_expect_eq(np_cluster_count(c, NP_KIND_NODE), 2);
	cr_assert_eq(np_cluster_names(c, NP_KIND_NODE, &names), 0);
	cr_expect_str_eq(names, "n1\nn2\n");
	np_free(names);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_NODE, NULL, "n1"), 0);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_NODE, "x", "n2"), 0);
	cr_expect_eq(np_cluster_count(c, NP_KIND_NODE), 0);
	np_cluster_free(c);
}

struct bad {
	const char *text, *path, *message;
};

static const struct bad bad_cases[] = {
	{ NODE("n", "{}", "[{type: InternalIP, address: 198.18.0.300}]"),
	  "status.addresses[0].address",
	  "Invalid value: \"198.18.0.300\": must be a valid IP address, "
	  "(e.g. 10.9.8.7 or 2001:db8::ffff)" },
	{ NODE("n", "{}",
	       "[{type: Hostname, address: n}, {type: ExternalIP, address: "
	       "\"fd00::/8\"}]"),
	  "status.addresses[1].address",
	  "Invalid value: \"fd00::/8\": must be a valid IP address, (e.g. "
	  "10.9.8.7 or 2001:db8::ffff)" },
	{ NODE("n", "{}", "[{type: InternalIP, address: \"\"}]"),
	  "status.addresses[0].address",
	  "Required value: an InternalIP needs an IP address" },
	{ NODE("n", "{}", "[{address: 198.18.0.1}]"),
	  "status.addresses[0].type", "Required value" },
	{ NODE("n", "{}", "[{type: InternalIP}]"),
	  "status.addresses[0].address", "Required value" },
	{ NODE("n", "{}", "[{type: 4, address: 198.18.0.1}]"),
	  "status.addresses[0].type",
	  "Invalid type: expected string, got integer: 4" },
	{ NODE("n", "{}", "{type: InternalIP}"), "status.addresses",
	  "Invalid type: expected list, got object: {...}" },
	{ NODE("n", "{}", "[198.18.0.1]"), "status.addresses[0]",
	  "Invalid type: expected object, got string: \"198.18.0.1\"" },
	{ NODE("N_1", "{}", "[]"), "metadata.name", NULL },
	{ NODE("n", "{\"-x\": y}", "[]"), "metadata.labels", NULL },
};

Test(node, invalid)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(*bad_cases); i++) {
		const struct bad *b = &bad_cases[i];
		struct np_cluster *c = t_cluster(NULL);
		struct np_diag d;
		int ret;

		ret = np_cluster_load_buffer(c, b->text, strlen(b->text), "in",
					     NULL, &d);
		cr_expect_eq(ret, -EINVAL, "%zu: %d", i, ret);
		cr_expect_str_eq(d.object,
				 strstr(b->text, "N_1") ? "Node N_1" : "Node n",
				 "%zu", i);
		cr_expect(!strncmp(d.path, b->path, strlen(b->path)),
			  "%zu: path %s", i, d.path);
		if (b->message)
			cr_expect_str_eq(d.message, b->message, "%zu", i);
		cr_expect_eq(np_cluster_count(c, NP_KIND_NODE), 0);
		np_cluster_free(c);
	}
}

/* A Node changes no rule set unless a ClusterNetworkPolicy asks for it. */
Test(node, not_a_policy_by_itself)
{
	static const char pod[] =
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\n"
		"spec: {containers: [{name: c}]}\n"
		"status: {phase: Running, hostIP: 198.18.0.7, podIP: "
		"198.18.1.1}\n";
	struct np_cluster *c = t_cluster(NULL);
	struct np_ruleset *rs = NULL, *rs2 = NULL;

	t_load_ok(c, pod);
	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, NULL), 0);
	t_load_ok(c, KUBECTL);
	cr_assert_eq(np_ruleset_compile(&rs2, c, "x", "a", NULL, NULL), 0);
	cr_expect_eq(np_ruleset_hash(rs), np_ruleset_hash(rs2));
	np_ruleset_free(rs);
	np_ruleset_free(rs2);
	np_cluster_free(c);
}
