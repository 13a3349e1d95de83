// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * np_cluster_attribute(): every reason a rule gives for not matching a
 * peer, the rules that allow, the cluster tiers, address peers, options,
 * errors and the formats.
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
	int err;

	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	err = np_cluster_load_buffer(c, yaml, strlen(yaml), "test.yaml", NULL,
				     &d);
	if (err) {
		char buf[1024];

		np_diag_format(&d, buf, sizeof(buf));
		cr_assert_fail("load failed: %s\n%s", buf, yaml);
	}
	return c;
}

#define NS(n, l)                                                              \
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: " n ", labels: " l \
	"}\n---\n"
#define POD(ns, name, labels, ip, ports)                                       \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: " name ", namespace: " ns \
	", labels: " labels "}\n"                                              \
	"spec: {containers: [{name: c, ports: " ports "}]}\n"                  \
	"status: {phase: Running, podIP: " ip "}\n---\n"
#define NPOL(ns, name, body)                                      \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" \
	"metadata: {name: " name ", namespace: " ns "}\nspec:\n" body "---\n"

/* The scenario: db-1 allows pg from app=web; web-1 is frontend. */
/* clang-format off */
static const char shop[] =
	NS("shop", "{team: shop}") NS("other", "{team: other}")
	POD("shop", "db-1", "{app: db}", "198.18.0.2",
	    "[{name: pg, containerPort: 5432}]")
	POD("shop", "web-1", "{app: frontend}", "198.18.0.3", "[]")
	POD("other", "web-9", "{app: web}", "198.18.0.9", "[]")
	NPOL("shop", "db-from-web",
	     "  podSelector: {matchLabels: {app: db}}\n"
	     "  ingress:\n"
	     "  - from: [{podSelector: {matchLabels: {app: web}}}]\n"
	     "    ports: [{port: pg}]\n");
/* clang-format on */

static struct np_attrib *attr(struct np_cluster *c, const char *from,
			      const char *to, enum np_protocol proto,
			      uint16_t port, const struct np_attrib_opts *opts)
{
	struct np_attrib *a = NULL;
	struct np_diag d;
	int err = np_cluster_attribute(&a, c, from, to, proto, port, opts, &d);

	cr_assert_eq(err, 0, "%s -> %s: %d %s", from, to, err, d.message);
	cr_assert_not_null(a);
	return a;
}

static struct np_attrib_item item(const struct np_attrib *a,
				  enum np_direction d, size_t i)
{
	struct np_attrib_item it;

	cr_assert_eq(np_attrib_get(a, d, i, &it), 0, "item %zu of %zu", i,
		     np_attrib_count(a, d));
	return it;
}

static char *text(const struct np_attrib *a, enum np_format f)
{
	char *s = NULL;

	cr_assert_eq(np_attrib_format(a, f, &s), 0);
	return s;
}

Test(attrib, scenario_selector_matches_no_pod)
{
	struct np_cluster *c = load(shop);
	struct np_attrib *a =
		attr(c, "shop/web-1", "shop/db-1", NP_PROTOCOL_TCP, 5432, NULL);
	struct np_attrib_item it;
	struct np_verdict v;
	char *s;

	cr_assert_not(np_attrib_allowed(a));
	cr_assert_eq(np_attrib_verdict(a, NP_DIRECTION_EGRESS, &v), 0);
	cr_assert(v.allowed);
	cr_assert_eq(v.reason, NP_REASON_NOT_ISOLATED);
	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_EGRESS), 0);
	cr_assert_eq(np_attrib_verdict(a, NP_DIRECTION_INGRESS, &v), 0);
	cr_assert_not(v.allowed);
	cr_assert_eq(v.tier, NP_TIER_NETWORK_POLICY);
	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_INGRESS), 1);
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_str_eq(it.policy, "shop/db-from-web");
	cr_assert_eq(it.rule, 0);
	cr_assert_eq(it.peer, 0);
	cr_assert_null(it.rule_name);
	cr_assert_eq(it.tier, NP_TIER_NETWORK_POLICY);
	cr_assert_eq(it.reason, NP_ATTRIB_POD_SELECTOR_NONE);
	cr_assert_str_eq(
		it.detail,
		"podSelector app=web matches no pod in namespace shop");
	cr_assert_eq(np_attrib_get(a, NP_DIRECTION_INGRESS, 1, &it), -ENOENT);
	s = text(a, NP_FORMAT_TEXT);
	cr_assert(strstr(s, "DENY shop/web-1 (198.18.0.3) -> shop/db-1 "
			    "(198.18.0.2) TCP/5432\n"),
		  "%s", s);
	cr_assert(strstr(s, "    isolated by shop/db-from-web\n"), "%s", s);
	cr_assert(strstr(s, "    shop/db-from-web ingress[0] from[0]: "
			    "pod-selector-none: podSelector app=web matches "
			    "no pod in namespace shop\n"),
		  "%s", s);
	np_free(s);
	s = text(a, NP_FORMAT_JSON);
	cr_assert(strstr(s, "\"isolatedBy\": [\n        \"shop/db-from-web\""),
		  "%s", s);
	cr_assert(strstr(s, "\"reason\": \"pod-selector-none\""), "%s", s);
	cr_assert(strstr(s, "\"allowed\": false"), "%s", s);
	np_free(s);
	s = text(a, NP_FORMAT_YAML);
	cr_assert(strstr(s, "reason: pod-selector-none"), "%s", s);
	np_free(s);
	np_attrib_free(a);
	np_cluster_free(c);
}

Test(attrib, allow_names_policy_and_rule)
{
	struct np_cluster *c = load(shop);
	struct np_attrib *a;
	struct np_attrib_item it;
	struct np_diag d;
	char *s;

	/* web-1 gets its label fixed */
	cr_assert_eq(np_cluster_delete(c, NP_KIND_POD, "shop", "web-1"), 0);
	cr_assert_eq(
		np_cluster_load_buffer(c,
				       POD("shop", "web-1", "{app: web}",
					   "198.18.0.3", "[]"),
				       strlen(POD("shop", "web-1", "{app: web}",
						  "198.18.0.3", "[]")),
				       "fix", NULL, &d),
		0);
	a = attr(c, "shop/web-1", "shop/db-1", NP_PROTOCOL_TCP, 5432, NULL);
	cr_assert(np_attrib_allowed(a));
	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_INGRESS), 1);
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_MATCH);
	cr_assert_str_eq(it.policy, "shop/db-from-web");
	cr_assert_eq(it.rule, 0);
	cr_assert_eq(it.peer, -1);
	s = text(a, NP_FORMAT_TEXT);
	cr_assert(strstr(s, "allowed by shop/db-from-web ingress[0]\n"), "%s",
		  s);
	np_free(s);
	np_attrib_free(a);
	np_cluster_free(c);
}

/* clang-format off */
static const char others_yaml[] =
	NS("shop", "{team: shop}")
	POD("shop", "db-1", "{app: db}", "198.18.0.2", "[]")
	POD("shop", "web-1", "{app: frontend}", "198.18.0.3", "[]")
	POD("shop", "web-2", "{app: web}", "198.18.0.4", "[]")
	POD("shop", "web-3", "{app: web}", "198.18.0.5", "[]")
	POD("shop", "web-4", "{app: web}", "198.18.0.6", "[]")
	NPOL("shop", "p", "  podSelector: {}\n  ingress:\n"
	     "  - from: [{podSelector: {matchLabels: {app: web}}}]\n");
/* clang-format on */

Test(attrib, pod_selector_matches_other_pods)
{
	struct np_cluster *c = load(others_yaml);
	NP_OPTS(np_attrib_opts, o, .max_pods = 2);
	struct np_attrib *a =
		attr(c, "shop/web-1", "shop/db-1", NP_PROTOCOL_TCP, 80, &o);
	struct np_attrib_item it = item(a, NP_DIRECTION_INGRESS, 0);

	cr_assert_eq(it.reason, NP_ATTRIB_POD_SELECTOR_OTHERS);
	cr_assert_str_eq(it.detail, "podSelector app=web matches 3 other pods "
				    "in namespace shop");
	cr_assert_str_eq(it.pods, "shop/web-2, shop/web-3, and 1 more");
	np_attrib_free(a);
	np_cluster_free(c);
}

/* clang-format off */
static const char ns_yaml[] =
	NS("shop", "{team: shop}")
	NS("other", "{team: other}")
	POD("shop", "db-1", "{app: db}", "198.18.0.2", "[]")
	POD("other", "web-9", "{app: web}", "198.18.0.9", "[]")
	NPOL("shop", "p", "  podSelector: {}\n  ingress:\n"
	     "  - from:\n"
	     "    - namespaceSelector: {matchLabels: {team: shop}}\n"
	     "      podSelector: {matchLabels: {app: web}}\n"
	     "    - podSelector: {matchLabels: {app: web}}\n");
/* clang-format on */

Test(attrib, namespace_selector_and_namespace)
{
	struct np_cluster *c = load(ns_yaml);
	struct np_attrib *a =
		attr(c, "other/web-9", "shop/db-1", NP_PROTOCOL_TCP, 80, NULL);
	struct np_attrib_item it;

	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_INGRESS), 2);
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_NAMESPACE_SELECTOR);
	cr_assert_eq(it.peer, 0);
	cr_assert_str_eq(it.detail, "namespaceSelector team=shop does not "
				    "select namespace other");
	it = item(a, NP_DIRECTION_INGRESS, 1);
	cr_assert_eq(it.reason, NP_ATTRIB_NAMESPACE);
	cr_assert_eq(it.peer, 1);
	cr_assert(strstr(it.detail, "namespace shop only; the peer is in "
				    "namespace other"),
		  "%s", it.detail);
	np_attrib_free(a);
	np_cluster_free(c);
}

/* clang-format off */
static const char blocks[] =
	NS("shop", "{team: shop}")
	POD("shop", "db-1", "{app: db}", "198.18.0.2",
	    "[{name: pg, containerPort: 5432}]")
	NPOL("shop", "p",
	     "  podSelector: {}\n  ingress:\n"
	     "  - from:\n"
	     "    - ipBlock: {cidr: 198.19.0.0/16, except: [198.19.1.0/24]}\n"
	     "    - podSelector: {matchLabels: {app: web}}\n"
	     "  - from: [{ipBlock: {cidr: 198.19.0.0/16}}]\n"
	     "    ports: [{port: 80}, {protocol: UDP, port: 53, endPort: 54}]\n"
	     "  - ports: [{port: http}]\n");
/* clang-format on */

Test(attrib, ip_peer_ipblock_cidr_except_ports_named)
{
	struct np_cluster *c = load(blocks);
	struct np_attrib *a;
	struct np_attrib_item it;

	/* an address outside every block, external */
	a = attr(c, "198.20.0.1", "shop/db-1", NP_PROTOCOL_TCP, 5432, NULL);
	cr_assert_not(np_attrib_allowed(a));
	cr_assert_eq(np_attrib_verdict(a, NP_DIRECTION_EGRESS,
				       &(struct np_verdict){ 0 }),
		     -ENOENT);
	cr_assert_null(np_attrib_pod(a, NP_DIRECTION_EGRESS));
	cr_assert_str_eq(np_attrib_ip(a, NP_DIRECTION_EGRESS), "198.20.0.1");
	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_INGRESS), 5);
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_IPBLOCK_CIDR);
	cr_assert_str_eq(it.detail,
			 "ipBlock 198.19.0.0/16 does not contain 198.20.0.1");
	it = item(a, NP_DIRECTION_INGRESS, 1);
	cr_assert_eq(it.reason, NP_ATTRIB_NOT_A_POD);
	cr_assert_eq(it.peer, 1);
	it = item(a, NP_DIRECTION_INGRESS, 2);
	cr_assert_eq(it.reason, NP_ATTRIB_IPBLOCK_CIDR);
	cr_assert_eq(it.rule, 1);
	/* rule 2: every peer, a named port the pod does not have */
	it = item(a, NP_DIRECTION_INGRESS, 3);
	cr_assert_eq(it.reason, NP_ATTRIB_PORT);
	cr_assert_eq(it.rule, 1);
	it = item(a, NP_DIRECTION_INGRESS, 4);
	cr_assert_eq(it.reason, NP_ATTRIB_NAMED_PORT);
	cr_assert_eq(it.rule, 2);
	cr_assert_eq(it.peer, -1);
	cr_assert_str_eq(it.detail,
			 "named port http (TCP) is not a port of shop/db-1");
	np_attrib_free(a);

	/* in the except of rule 0, in rule 1's block at another port */
	a = attr(c, "198.19.1.7", "shop/db-1", NP_PROTOCOL_TCP, 5432, NULL);
	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_INGRESS), 4);
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_IPBLOCK_EXCEPT);
	cr_assert_str_eq(it.detail, "ipBlock 198.19.0.0/16 except "
				    "198.19.1.0/24 covers 198.19.1.7");
	it = item(a, NP_DIRECTION_INGRESS, 2);
	cr_assert_eq(it.reason, NP_ATTRIB_PORT);
	cr_assert_eq(it.rule, 1);
	cr_assert_str_eq(it.detail, "TCP/5432 is not in the rule's ports: "
				    "TCP/80, UDP/53-54");
	np_attrib_free(a);

	/* allowed by rule 1 over UDP */
	a = attr(c, "198.19.1.7", "shop/db-1", NP_PROTOCOL_UDP, 54, NULL);
	cr_assert(np_attrib_allowed(a));
	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_INGRESS), 1);
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_MATCH);
	cr_assert_eq(it.rule, 1);
	np_attrib_free(a);
	np_cluster_free(c);
}

/* clang-format off */
static const char pg_yaml[] =
	NS("shop", "{team: shop}")
	POD("shop", "db-1", "{app: db}", "198.18.0.2",
	    "[{name: pg, containerPort: 5432}]")
	POD("shop", "web-1", "{app: web}", "198.18.0.3", "[]")
	NPOL("shop", "p", "  podSelector: {}\n  ingress:\n"
	     "  - from: [{podSelector: {matchLabels: {app: web}}}]\n"
	     "    ports: [{port: pg}]\n");
/* clang-format on */

Test(attrib, port_lists_named_port_value)
{
	struct np_cluster *c = load(shop);
	struct np_attrib *a;
	struct np_attrib_item it;

	/* a pod peer that matches, on the wrong port */
	a = attr(c, "other/web-9", "shop/db-1", NP_PROTOCOL_TCP, 5433, NULL);
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_NAMESPACE);
	np_attrib_free(a);
	np_cluster_free(c);

	c = load(pg_yaml);
	a = attr(c, "shop/web-1", "shop/db-1", NP_PROTOCOL_TCP, 5433, NULL);
	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_INGRESS), 1);
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_PORT);
	cr_assert_str_eq(it.detail, "TCP/5433 is not in the rule's ports: "
				    "TCP/pg (pg is 5432 on shop/db-1)");
	np_attrib_free(a);
	np_cluster_free(c);
}

/* clang-format off */
static const char denyall_yaml[] =
	NS("shop", "{team: shop}")
	POD("shop", "db-1", "{app: db}", "198.18.0.2", "[]")
	POD("shop", "web-1", "{app: web}", "198.18.0.3", "[]")
	NPOL("shop", "deny-all", "  podSelector: {}\n"
	     "  policyTypes: [Ingress, Egress]\n");
/* clang-format on */

Test(attrib, egress_side_no_rules_and_both_sides)
{
	struct np_cluster *c = load(denyall_yaml);
	struct np_attrib *a =
		attr(c, "shop/web-1", "shop/db-1", NP_PROTOCOL_TCP, 80, NULL);
	NP_OPTS(np_attrib_opts, o, .directions = 1u << NP_DIRECTION_EGRESS);
	struct np_attrib_item it;
	struct np_verdict v;
	char *s;

	/* both sides judged, both deny */
	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_EGRESS), 1);
	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_INGRESS), 1);
	it = item(a, NP_DIRECTION_EGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_NO_RULES);
	cr_assert_eq(it.rule, -1);
	cr_assert_str_eq(it.policy, "shop/deny-all");
	s = text(a, NP_FORMAT_TEXT);
	cr_assert(strstr(s, "  egress of shop/web-1: DENY no-match"), "%s", s);
	cr_assert(strstr(s, "  ingress of shop/db-1: DENY no-match"), "%s", s);
	cr_assert(strstr(s, "shop/deny-all: no-rules: policyTypes has Egress "
			    "and no egress rule"),
		  "%s", s);
	np_free(s);
	np_attrib_free(a);
	/* one side only */
	a = attr(c, "shop/web-1", "shop/db-1", NP_PROTOCOL_TCP, 80, &o);
	cr_assert_eq(np_attrib_verdict(a, NP_DIRECTION_INGRESS, &v), -ENOENT);
	cr_assert_eq(np_attrib_verdict(a, NP_DIRECTION_EGRESS, &v), 0);
	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_INGRESS), 0);
	np_attrib_free(a);
	np_cluster_free(c);
}

#define CNP(name, tier, prio, subj)                                        \
	"apiVersion: policy.networking.k8s.io/v1alpha2\n"                  \
	"kind: ClusterNetworkPolicy\nmetadata: {name: " name "}\n"         \
	"spec:\n  tier: " tier "\n  priority: " #prio "\n  subject: " subj \
	"\n"

/* clang-format off */
static const char tiers[] =
	NS("shop", "{team: shop}") NS("ops", "{team: ops}")
	NS("misc", "{team: misc}")
	POD("shop", "db-1", "{app: db}", "198.18.0.2", "[]")
	POD("ops", "probe", "{app: probe}", "198.18.0.7", "[]")
	POD("shop", "web-1", "{app: web}", "198.18.0.3", "[]")
	POD("misc", "x", "{app: x}", "198.18.0.8", "[]")
	CNP("block-ops", "Admin", 10, "{namespaces: {}}")
	"  ingress:\n"
	"  - name: no-ops\n    action: Deny\n"
	"    from: [{namespaces: {matchLabels: {team: ops}}}]\n---\n"
	CNP("base", "Baseline", 10, "{namespaces: {}}")
	"  ingress:\n"
	"  - name: shop-in\n    action: Accept\n"
	"    from: [{namespaces: {matchLabels: {team: shop}}}]\n"
	"  - name: rest\n    action: Deny\n"
	"    from: [{namespaces: {}}]\n---\n";
/* clang-format on */

Test(attrib, tiers_admin_deny_baseline_accept_and_deny)
{
	struct np_cluster *c = load(tiers);
	struct np_attrib *a;
	struct np_attrib_item it;
	struct np_verdict v;
	char *s;

	a = attr(c, "ops/probe", "shop/db-1", NP_PROTOCOL_TCP, 80, NULL);
	cr_assert_not(np_attrib_allowed(a));
	cr_assert_eq(np_attrib_verdict(a, NP_DIRECTION_INGRESS, &v), 0);
	cr_assert_eq(v.tier, NP_TIER_ADMIN);
	cr_assert_eq(np_attrib_count(a, NP_DIRECTION_INGRESS), 1);
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_CLUSTER_DENY);
	cr_assert_eq(it.tier, NP_TIER_ADMIN);
	cr_assert_str_eq(it.policy, "cnp/block-ops");
	cr_assert_eq(it.rule, 0);
	cr_assert_str_eq(it.rule_name, "no-ops");
	s = text(a, NP_FORMAT_TEXT);
	cr_assert(strstr(s, "isolated by cnp/block-ops\n"), "%s", s);
	cr_assert(strstr(s, "cnp/block-ops ingress[0] \"no-ops\": "
			    "cluster-deny: Admin tier, action Deny"),
		  "%s", s);
	np_free(s);
	np_attrib_free(a);

	a = attr(c, "shop/web-1", "shop/db-1", NP_PROTOCOL_TCP, 80, NULL);
	cr_assert(np_attrib_allowed(a));
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_MATCH);
	cr_assert_eq(it.tier, NP_TIER_BASELINE);
	cr_assert_str_eq(it.rule_name, "shop-in");
	np_attrib_free(a);

	/* a pod of another namespace: the Baseline catch-all denies it */
	a = attr(c, "198.18.0.8", "shop/db-1", NP_PROTOCOL_TCP, 80, NULL);
	cr_assert_not(np_attrib_allowed(a));
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_CLUSTER_DENY);
	cr_assert_eq(it.tier, NP_TIER_BASELINE);
	cr_assert_eq(it.rule, 1);
	cr_assert_str_eq(it.rule_name, "rest");
	np_attrib_free(a);
	np_cluster_free(c);
}

/* clang-format off */
static const char pe_yaml[] =
	POD("shop", "db-1", "{app: db}", "198.18.0.2", "[]")
	"apiVersion: networking.k8s.aws/v1alpha1\n"
	"kind: PolicyEndpoint\n"
	"metadata: {name: db-from-web-abcde, namespace: shop}\n"
	"spec:\n"
	"  policyRef: {name: db-from-web, namespace: shop}\n"
	"  podIsolation: [Ingress]\n"
	"  podSelectorEndpoints:\n"
	"  - {podIP: 198.18.0.2, name: db-1, namespace: shop}\n"
	"  ingress: [{cidr: 198.18.0.4/32}]\n";
/* clang-format on */

Test(attrib, endpoints_source_names_policyref)
{
	struct np_cluster *c = load(pe_yaml);
	NP_OPTS(np_attrib_opts, o, .source = NP_SOURCE_ENDPOINTS);
	struct np_attrib *a =
		attr(c, "198.18.0.3", "shop/db-1", NP_PROTOCOL_TCP, 80, &o);
	struct np_attrib_item it = item(a, NP_DIRECTION_INGRESS, 0);

	cr_assert_not(np_attrib_allowed(a));
	cr_assert_eq(it.reason, NP_ATTRIB_UNKNOWN);
	cr_assert_str_eq(it.policy, "shop/db-from-web");
	np_attrib_free(a);
	np_cluster_free(c);
}

/* clang-format off */
static const char v6_yaml[] =
	NS("shop", "{team: shop}")
	POD("shop", "db-1", "{app: db}", "fd00::2", "[]")
	POD("shop", "web-1", "{app: frontend}", "fd00::3", "[]")
	NPOL("shop", "p", "  podSelector: {}\n  ingress:\n"
	     "  - from: [{podSelector: {matchLabels: {app: web}}}]\n");
/* clang-format on */

Test(attrib, ipv6_pod_address_is_the_pod_and_self)
{
	struct np_cluster *c = load(v6_yaml);
	struct np_attrib *a =
		attr(c, "fd00::3", "shop/db-1", NP_PROTOCOL_SCTP, 80, NULL);
	struct np_attrib_item it;
	char *s;

	cr_assert_str_eq(np_attrib_pod(a, NP_DIRECTION_EGRESS), "shop/web-1");
	cr_assert_str_eq(np_attrib_ip(a, NP_DIRECTION_EGRESS), "fd00::3");
	cr_assert_str_eq(np_attrib_pod(a, NP_DIRECTION_INGRESS), "shop/db-1");
	cr_assert_str_eq(np_attrib_ip(a, NP_DIRECTION_INGRESS), "fd00::2");
	cr_assert_null(np_attrib_pod(a, (enum np_direction)2));
	/* the address is web-1's: its egress judges too */
	cr_assert_eq(np_attrib_verdict(a, NP_DIRECTION_EGRESS,
				       &(struct np_verdict){ 0 }),
		     0);
	it = item(a, NP_DIRECTION_INGRESS, 0);
	cr_assert_eq(it.reason, NP_ATTRIB_POD_SELECTOR_NONE);
	s = text(a, NP_FORMAT_TEXT);
	cr_assert(strstr(s, "DENY shop/web-1 (fd00::3) -> shop/db-1 (fd00::2) "
			    "SCTP/80\n"),
		  "%s", s);
	np_free(s);
	np_attrib_free(a);
	a = attr(c, "shop/db-1", "fd00::2", NP_PROTOCOL_TCP, 80, NULL);
	cr_assert(np_attrib_allowed(a));
	s = text(a, NP_FORMAT_JSON);
	cr_assert(strstr(s, "\"self\": true"), "%s", s);
	np_free(s);
	np_attrib_free(a);
	np_cluster_free(c);
}

Test(attrib, errors_and_names)
{
	struct np_cluster *c = load(shop);
	struct np_attrib *a = (struct np_attrib *)1;
	struct np_attrib_item it;
	struct np_diag d;
	char *s;
	struct {
		size_t sz;
		enum np_source source;
		unsigned int directions;
		unsigned int max_pods;
		uint64_t future;
	} big = { sizeof(big), NP_SOURCE_POLICIES, 0, 0, 1 };

	cr_assert_eq(np_cluster_attribute(&a, c, "shop/nope", "shop/db-1",
					  NP_PROTOCOL_TCP, 80, NULL, &d),
		     -ENOENT);
	cr_assert_null(a);
	cr_assert_str_eq(d.object, "Pod shop/nope");
	cr_assert_eq(np_cluster_attribute(&a, c, "nonsense", "shop/db-1",
					  NP_PROTOCOL_TCP, 80, NULL, &d),
		     -EINVAL);
	cr_assert(strstr(d.message, "must be NAMESPACE/POD or an IP address"));
	cr_assert_eq(np_cluster_attribute(&a, c, "198.20.0.1", "198.20.0.2",
					  NP_PROTOCOL_TCP, 80, NULL, &d),
		     -EINVAL);
	cr_assert(strstr(d.message, "neither end is a pod"));
	cr_assert_eq(np_cluster_attribute(&a, c, "fd00::1", "shop/db-1",
					  NP_PROTOCOL_TCP, 80, NULL, &d),
		     -EINVAL);
	cr_assert_eq(np_cluster_attribute(&a, c, "shop/web-1", "shop/db-1",
					  (enum np_protocol)1, 80, NULL, &d),
		     -EINVAL);
	cr_assert_eq(np_cluster_attribute(
			     &a, c, "shop/web-1", "shop/db-1", NP_PROTOCOL_TCP,
			     80, (const struct np_attrib_opts *)&big, &d),
		     -EINVAL);
	cr_assert_eq(np_cluster_attribute(NULL, c, "a", "b", NP_PROTOCOL_TCP,
					  80, NULL, &d),
		     -EINVAL);
	np_attrib_free(NULL);
	cr_assert_not(np_attrib_allowed(NULL));
	cr_assert_eq(np_attrib_count(NULL, NP_DIRECTION_INGRESS), 0);
	cr_assert_eq(np_attrib_get(NULL, NP_DIRECTION_INGRESS, 0, &it),
		     -EINVAL);
	cr_assert_eq(np_attrib_format(NULL, NP_FORMAT_TEXT, &s), -EINVAL);
	a = attr(c, "shop/web-1", "shop/db-1", NP_PROTOCOL_TCP, 80, NULL);
	cr_assert_eq(np_attrib_format(a, NP_FORMAT_AUTO, &s), -EINVAL);
	cr_assert_eq(np_attrib_get(a, (enum np_direction)2, 0, &it), -EINVAL);
	np_attrib_free(a);
	cr_assert_str_eq(np_attrib_reason_name(NP_ATTRIB_MATCH), "match");
	cr_assert_str_eq(np_attrib_reason_name(NP_ATTRIB_POD_SELECTOR_NONE),
			 "pod-selector-none");
	cr_assert_str_eq(np_attrib_reason_name(NP_ATTRIB_UNKNOWN), "unknown");
	cr_assert_null(np_attrib_reason_name((enum np_attrib_reason)13));
	cr_assert_null(np_attrib_reason_name((enum np_attrib_reason) - 1));
	np_cluster_free(c);
}

Test(attrib, isolating_per_direction)
{
	struct np_cluster *c = load(shop);
	NP_OPTS(np_attrib_opts, o, .source = NP_SOURCE_ENDPOINTS);
	struct np_diag d;
	char *s = NULL;

	cr_assert_eq(np_cluster_isolating(c, "shop", "db-1",
					  NP_DIRECTION_INGRESS, NULL, &s, &d),
		     0);
	cr_assert_str_eq(s, "shop/db-from-web");
	np_free(s);
	cr_assert_eq(np_cluster_isolating(c, "shop", "db-1",
					  NP_DIRECTION_EGRESS, NULL, &s, &d),
		     0);
	cr_assert_str_eq(s, "");
	np_free(s);
	/* no PolicyEndpoint in the snapshot */
	cr_assert_eq(np_cluster_isolating(c, "shop", "db-1",
					  NP_DIRECTION_INGRESS, &o, &s, &d),
		     0);
	cr_assert_str_eq(s, "");
	np_free(s);
	cr_assert_eq(np_cluster_isolating(c, "shop", "nope",
					  NP_DIRECTION_INGRESS, NULL, &s, &d),
		     -ENOENT);
	cr_assert_str_eq(d.object, "Pod shop/nope");
	cr_assert_eq(np_cluster_isolating(c, "shop", "db-1",
					  (enum np_direction)7, NULL, &s, &d),
		     -EINVAL);
	np_cluster_free(c);

	c = load(tiers);
	cr_assert_eq(np_cluster_isolating(c, "shop", "db-1",
					  NP_DIRECTION_INGRESS, NULL, &s, &d),
		     0);
	cr_assert_str_eq(s, "cnp/block-ops (Admin), cnp/base (Baseline)");
	np_free(s);
	np_cluster_free(c);

	c = load(pe_yaml);
	cr_assert_eq(np_cluster_isolating(c, "shop", "db-1",
					  NP_DIRECTION_INGRESS, &o, &s, &d),
		     0);
	cr_assert_str_eq(s, "shop/db-from-web");
	np_free(s);
	np_cluster_free(c);
}
