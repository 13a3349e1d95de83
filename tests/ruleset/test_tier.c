// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ClusterNetworkPolicy tiers folded into rule sets (libnetpol/tier.c):
 * hand-written cases from the upstream semantics, and the folded rule set
 * against the reference evaluator over random small clusters (seeded).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netpol.h>

#include <arpa/inet.h>

#include "eks_agent.h"
#include "resolve.h"
#include "tier.h"

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
	"status: {phase: Running, hostIP: 198.19.255.1, podIP: " ip "}\n---\n"
#define CNPH(name, tier, prio, subj)                                       \
	"apiVersion: policy.networking.k8s.io/v1alpha2\n"                  \
	"kind: ClusterNetworkPolicy\nmetadata: {name: " name "}\n"         \
	"spec:\n  tier: " tier "\n  priority: " #prio "\n  subject: " subj \
	"\n"
#define ALL "{namespaces: {}}"
#define FROM_Y "[{namespaces: {matchLabels: {ns: y}}}]"
#define TCP80 ", protocols: [{tcp: {destinationPort: {number: 80}}}]"
#define NPOL(name, body)                                          \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" \
	"metadata: {name: " name ", namespace: x}\nspec:\n" body "---\n"

static const char base[] = NS("x", "{ns: x}") NS("y", "{ns: y}")
	POD("x", "a", "{app: a}", "10.1.0.1",
	    "[{name: http, containerPort: 8080}]")
		POD("x", "b", "{app: b}", "10.1.0.2", "[]")
			POD("y", "c", "{app: c}", "10.2.0.1", "[]");

static struct np_cluster *with(const char *more)
{
	size_t n = strlen(base) + strlen(more) + 8;
	char *buf = malloc(n);
	struct np_cluster *c;

	snprintf(buf, n, "%s%s", base, more);
	c = load(buf);
	free(buf);
	return c;
}

/* The verdict of pod x/a's folded rule set. */
static bool a_allows(struct np_cluster *c, enum np_direction dir,
		     const char *peer, enum np_protocol proto, uint16_t port)
{
	struct np_ruleset *rs = NULL;
	struct np_verdict v;
	struct np_diag d;
	int err = np_ruleset_compile(&rs, c, "x", "a", NULL, &d);

	cr_assert_eq(err, 0, "compile: %d %s", err, d.message);
	cr_assert_eq(np_ruleset_verdict(rs, dir, peer, proto, port, &v), 0);
	np_ruleset_free(rs);
	return v.allowed;
}

#define IN NP_DIRECTION_INGRESS
#define EG NP_DIRECTION_EGRESS
#define TCP NP_PROTOCOL_TCP
#define UDP NP_PROTOCOL_UDP

Test(tier, admin_deny_over_networkpolicy_allow)
{
	struct np_cluster *c = with(
		NPOL("np", "  podSelector: {matchLabels: {app: a}}\n"
			   "  ingress: [{ports: [{port: 80}]}]\n")
			CNPH("deny-y", "Admin", 5,
			     ALL) "  ingress:\n"
				  "  - {action: Deny, from: " FROM_Y "}\n");

	cr_expect(!a_allows(c, IN, "10.2.0.1", TCP, 80));
	cr_expect(a_allows(c, IN, "10.1.0.2", TCP, 80));
	cr_expect(!a_allows(c, IN, "10.1.0.2", TCP, 81), "NP still isolates");
	/* egress untouched: no rules in that direction */
	cr_expect(a_allows(c, EG, "10.2.0.1", UDP, 53));
	np_cluster_free(c);
}

Test(tier, admin_pass_goes_to_networkpolicy_then_baseline)
{
	static const char pols[] = CNPH(
		"pass-y", "Admin", 1,
		ALL) "  ingress:\n"
		     "  - {action: Pass, from: " FROM_Y "}\n---\n" CNPH(
			     "deny-y", "Admin", 2,
			     ALL) "  ingress:\n"
				  "  - {action: Deny, from: " FROM_Y
				  "}\n---\n" CNPH(
					  "base-deny", "Baseline", 1,
					  ALL) "  ingress:\n"
					       "  - {action: Deny, from: " FROM_Y
					       "}\n---\n";
	struct np_cluster *c = with(pols);

	/* Pass skips the Admin Deny; no NP isolates: Baseline denies */
	cr_expect(!a_allows(c, IN, "10.2.0.1", TCP, 80));
	np_cluster_free(c);
	c = with(
		NPOL("np", "  podSelector: {}\n"
			   "  ingress: [{from: [{namespaceSelector: {}}]}]\n")
			CNPH("pass-y", "Admin", 1,
			     ALL) "  ingress:\n"
				  "  - {action: Pass, from: " FROM_Y
				  "}\n---\n" CNPH(
					  "deny-y", "Admin", 2,
					  ALL) "  ingress:\n"
					       "  - {action: Deny, from: " FROM_Y
					       "}\n---\n" CNPH(
						       "base-deny", "Baseline",
						       1,
						       ALL) "  ingress:\n"
							    "  - {action: Deny, from: " FROM_Y
							    "}\n");
	/* the NetworkPolicy isolates and allows: final, Baseline unused */
	cr_expect(a_allows(c, IN, "10.2.0.1", TCP, 80));
	np_cluster_free(c);
}

/*
 * Where the Admin tier decides everything, a fold skips the NP keys (they
 * cannot matter there); not where a prefix inside passes: the NP key of
 * the /8 decides for pod c, which an earlier Admin rule passes.
 */
Test(tier, admin_decided_prefix_with_pass_inside)
{
	struct np_cluster *c = with(
		NPOL("np",
		     "  podSelector: {matchLabels: {app: a}}\n"
		     "  policyTypes: [Egress]\n"
		     "  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}]\n")
			CNPH("pass-y", "Admin", 1,
			     ALL) "  egress:\n"
				  "  - {action: Pass, to: [{pods: "
				  "{namespaceSelector: {matchLabels: {ns: y}}, "
				  "podSelector: {}}}]}\n---\n" CNPH(
					  "deny-10", "Admin", 2,
					  ALL) "  egress:\n"
					       "  - {action: Deny, to: "
					       "[{networks: [10.0.0.0/8]}]}\n");

	cr_expect(a_allows(c, EG, "10.2.0.1", TCP, 80), "passed, NP allows");
	cr_expect(!a_allows(c, EG, "10.3.0.1", TCP, 80), "Admin Deny");
	cr_expect(!a_allows(c, EG, "10.1.0.2", TCP, 80), "Admin Deny");
	cr_expect(!a_allows(c, EG, "8.8.8.8", TCP, 80), "NP isolates");
	np_cluster_free(c);
}

Test(tier, priority_decides)
{
	struct np_cluster *c = with(CNPH(
		"z-accept", "Admin", 5,
		ALL) "  ingress:\n"
		     "  - {action: Accept, from: " FROM_Y
		     "}\n---\n" CNPH("a-deny", "Admin", 3,
				     ALL) "  ingress:\n"
					  "  - {action: Deny, from: " FROM_Y
					  "}\n");

	cr_expect(!a_allows(c, IN, "10.2.0.1", TCP, 80));
	np_cluster_free(c);
	c = with(CNPH("z-accept", "Admin", 2,
		      ALL) "  ingress:\n"
			   "  - {action: Accept, from: " FROM_Y "}\n---\n" CNPH(
				   "a-deny", "Admin", 3,
				   ALL) "  ingress:\n"
					"  - {action: Deny, from: " FROM_Y
					"}\n");
	cr_expect(a_allows(c, IN, "10.2.0.1", TCP, 80));
	np_cluster_free(c);
}

static char logged[4096];

static void log_keep(void *ctx, enum np_log_level lvl, const char *msg)
{
	size_t n = strlen(logged);

	(void)ctx;
	if (lvl <= NP_LOG_WARN)
		snprintf(logged + n, sizeof(logged) - n, "%s\n", msg);
}

/* Equal priority: the policy whose name sorts first decides (documented). */
Test(tier, equal_priority_by_name)
{
	struct np_cluster *c = with(CNPH(
		"aaa", "Admin", 7,
		ALL) "  ingress:\n"
		     "  - {action: Accept, from: " FROM_Y
		     "}\n---\n" CNPH("bbb", "Admin", 7,
				     ALL) "  ingress:\n"
					  "  - {action: Deny, from: " FROM_Y
					  "}\n");

	cr_expect(a_allows(c, IN, "10.2.0.1", TCP, 80));
	np_cluster_free(c);
	c = with(CNPH("bbb", "Admin", 7,
		      ALL) "  ingress:\n"
			   "  - {action: Accept, from: " FROM_Y "}\n---\n" CNPH(
				   "aaa", "Admin", 7,
				   ALL) "  ingress:\n"
					"  - {action: Deny, from: " FROM_Y
					"}\n");
	cr_expect(!a_allows(c, IN, "10.2.0.1", TCP, 80));
	np_cluster_free(c);
	{
		static const char y[] = CNPH(
			"bbb", "Admin", 7,
			ALL) "  ingress:\n"
			     "  - {action: Accept, from: " FROM_Y
			     "}\n---\n" CNPH(
				     "aaa", "Admin", 7,
				     ALL) "  ingress:\n"
					  "  - {action: Deny, from: " FROM_Y
					  "}\n";
		NP_OPTS(np_cluster_opts, o, .log = log_keep);
		struct np_ruleset *rs = NULL;
		char buf[8192];

		snprintf(buf, sizeof(buf), "%s%s", base, y);
		logged[0] = 0;
		cr_assert_eq(np_cluster_new(&c, &o), 0);
		cr_assert_eq(np_cluster_load_buffer(c, buf, strlen(buf), "t",
						    NULL, NULL),
			     0);
		cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, NULL),
			     0);
		cr_expect(strstr(logged,
				 "cnp/aaa and cnp/bbb: both Admin priority 7 "
				 "with ingress rules for pod x/a: cnp/aaa goes "
				 "first (name order)"),
			  "%s", logged);
		np_ruleset_free(rs);
		np_cluster_free(c);
	}
}

Test(tier, rule_order_inside_a_policy)
{
	struct np_cluster *c =
		with(CNPH("p", "Admin", 1,
			  ALL) "  ingress:\n"
			       "  - {action: Accept, from: " FROM_Y TCP80 "}\n"
			       "  - {action: Deny, from: " FROM_Y "}\n");

	cr_expect(a_allows(c, IN, "10.2.0.1", TCP, 80));
	cr_expect(!a_allows(c, IN, "10.2.0.1", TCP, 81));
	cr_expect(!a_allows(c, IN, "10.2.0.1", UDP, 80));
	cr_expect(a_allows(c, IN, "10.1.0.2", TCP, 81), "other peers: default");
	np_cluster_free(c);
	c = with(CNPH("p", "Admin", 1,
		      ALL) "  ingress:\n"
			   "  - {action: Deny, from: " FROM_Y "}\n"
			   "  - {action: Accept, from: " FROM_Y TCP80 "}\n");
	cr_expect(!a_allows(c, IN, "10.2.0.1", TCP, 80));
	np_cluster_free(c);
}

Test(tier, baseline_only_without_isolating_networkpolicy)
{
	static const char bdeny[] =
		CNPH("b", "Baseline", 1, ALL) "  ingress:\n"
					      "  - {action: Deny, from: " FROM_Y
					      "}\n";
	struct np_cluster *c = with(bdeny);

	cr_expect(!a_allows(c, IN, "10.2.0.1", TCP, 80));
	cr_expect(a_allows(c, IN, "10.1.0.2", TCP, 80));
	np_cluster_free(c);
	/* an egress-only NetworkPolicy does not isolate ingress */
	c = with(
		NPOL("eg", "  podSelector: {}\n  policyTypes: [Egress]\n") "---\n" CNPH(
			"b", "Baseline", 1,
			ALL) "  ingress:\n"
			     "  - {action: Deny, from: " FROM_Y "}\n");
	cr_expect(!a_allows(c, IN, "10.2.0.1", TCP, 80));
	cr_expect(!a_allows(c, EG, "10.2.0.1", TCP, 80), "NP egress deny");
	np_cluster_free(c);
	c = with(NPOL("in", "  podSelector: {}\n"
			    "  ingress: [{from: [{namespaceSelector: {}}]}]\n")
			 CNPH("b", "Baseline", 1,
			      ALL) "  ingress:\n"
				   "  - {action: Deny, from: " FROM_Y "}\n");
	cr_expect(a_allows(c, IN, "10.2.0.1", TCP, 80));
	np_cluster_free(c);
}

Test(tier, baseline_pass_is_default_allow)
{
	struct np_cluster *c = with(CNPH(
		"b1", "Baseline", 1,
		ALL) "  ingress:\n"
		     "  - {action: Pass, from: " FROM_Y
		     "}\n---\n" CNPH("b2", "Baseline", 2,
				     ALL) "  ingress:\n"
					  "  - {action: Deny, from: " FROM_Y
					  "}\n");

	cr_expect(a_allows(c, IN, "10.2.0.1", TCP, 80));
	np_cluster_free(c);
}

/* Allow by default with one exception: spans across protocols, few slots. */
Test(tier, default_allow_with_port_exception)
{
	struct np_cluster *c =
		with(CNPH("no-http-out", "Admin", 1,
			  ALL) "  egress:\n"
			       "  - {action: Deny, to: [{networks: [0.0.0.0/0, "
			       "\"::/0\"]}]" TCP80 "}\n");
	struct np_ruleset *rs = NULL;
	struct np_mapset *ms = NULL;
	char *text = NULL;

	cr_expect(!a_allows(c, EG, "8.8.8.8", TCP, 80));
	cr_expect(!a_allows(c, EG, "10.2.0.1", TCP, 80));
	cr_expect(!a_allows(c, EG, "2001:db8::1", TCP, 80));
	cr_expect(a_allows(c, EG, "8.8.8.8", TCP, 81));
	cr_expect(a_allows(c, EG, "8.8.8.8", TCP, 79));
	cr_expect(a_allows(c, EG, "8.8.8.8", UDP, 80));
	cr_expect(a_allows(c, EG, "2001:db8::1", NP_PROTOCOL_SCTP, 80));
	cr_expect(a_allows(c, IN, "8.8.8.8", TCP, 80), "ingress untouched");
	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, NULL), 0);
	cr_assert_eq(np_ruleset_export(rs, NP_FORMAT_TEXT, &text), 0);
	cr_expect(strstr(text, "0.0.0.0/0"), "%s", text);
	cr_expect(strstr(text, "::/0"), "%s", text);
	cr_expect(strstr(text, "cnp/no-http-out") == NULL,
		  "a Deny allows nothing: %s", text);
	cr_expect(strstr(text, "default (no tier decided)"), "%s", text);
	np_free(text);
	cr_assert_eq(np_ruleset_export(rs, NP_FORMAT_YAML, &text), 0);
	cr_expect(strstr(text, "endProtocol: TCP"), "%s", text);
	np_free(text);
	/* the map set encodes it: two slots per family key */
	cr_assert_eq(np_mapset_encode(&ms, rs), 0);
	np_mapset_free(ms);
	np_ruleset_free(rs);
	np_cluster_free(c);
}

Test(tier, accept_provenance)
{
	struct np_cluster *c = with(
		NPOL("np", "  podSelector: {}\n  ingress: []\n")
			CNPH("acc", "Admin", 1,
			     ALL) "  ingress:\n"
				  "  - {action: Accept, from: " FROM_Y TCP80
				  "}\n");
	struct np_ruleset *rs = NULL;
	struct np_verdict v;

	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, NULL), 0);
	cr_assert_eq(np_ruleset_verdict(rs, IN, "10.2.0.1", TCP, 80, &v), 0);
	cr_expect(v.allowed);
	cr_expect_str_eq(v.policies, "cnp/acc ingress[0] (Admin)");
	cr_assert_eq(np_ruleset_verdict(rs, IN, "10.2.0.1", TCP, 81, &v), 0);
	cr_expect(!v.allowed, "the NetworkPolicy isolates");
	np_ruleset_free(rs);
	np_cluster_free(c);
	/* egress: its provenance comes after ingress's */
	c = with(CNPH(
		"eg", "Admin", 1,
		ALL) "  egress:\n"
		     "  - {action: Accept, to: [{networks: [198.18.0.8/32]}]" TCP80
		     "}\n  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}\n");
	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, NULL), 0);
	cr_assert_eq(np_ruleset_verdict(rs, EG, "198.18.0.8", TCP, 80, &v), 0);
	cr_expect(v.allowed);
	cr_expect_str_eq(v.policies, "cnp/eg egress[0] (Admin)");
	np_ruleset_free(rs);
	np_cluster_free(c);
}

/* One flow of x/a: allowed or not, the tier, who (policies). */
static void expect_who(struct np_ruleset *rs, enum np_direction dir,
		       const char *peer, enum np_protocol proto, uint16_t port,
		       bool allowed, enum np_tier tier, const char *who)
{
	struct np_verdict v;

	cr_assert_eq(np_ruleset_verdict(rs, dir, peer, proto, port, &v), 0);
	cr_expect_eq(v.allowed, allowed, "%s %s/%u", peer,
		     np_protocol_name(proto), port);
	cr_expect_eq(v.tier, tier, "%s %s/%u: tier %s, want %s", peer,
		     np_protocol_name(proto), port, np_tier_name(v.tier),
		     np_tier_name(tier));
	cr_expect_str_eq(v.policies, who, "%s %s/%u", peer,
			 np_protocol_name(proto), port);
}

/*
 * Every verdict names its tier, and the rule that decided it, allowed or
 * denied; egress rules after ingress ones name the egress rule.
 */
Test(tier, verdict_names_tier_and_rule)
{
	struct np_cluster *c = with(NPOL("np", "  podSelector: {}\n  ingress: []\n") CNPH(
		"adm", "Admin", 1,
		ALL) "  ingress:\n"
		     "  - {action: Accept, from: " FROM_Y TCP80 "}\n"
		     "  egress:\n"
		     "  - {action: Deny, to: [{networks: [0.0.0.0/0]}]" TCP80
		     "}\n"
		     "  - {action: Accept, to: " FROM_Y "}\n"
		     "  - {action: Pass, to: [{networks: [192.0.2.0/24]}]}\n"
		     "---\n" CNPH(
			     "base", "Baseline", 1,
			     ALL) "  egress:\n"
				  "  - {action: Deny, to: [{networks: [192.0.2.0/25]}]}\n");
	struct np_ruleset *rs = NULL;

	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, NULL), 0);
	expect_who(rs, IN, "10.2.0.1", TCP, 80, true, NP_TIER_ADMIN,
		   "cnp/adm ingress[0] (Admin)");
	expect_who(rs, IN, "10.2.0.1", TCP, 81, false, NP_TIER_NETWORK_POLICY,
		   "");
	expect_who(rs, IN, "10.1.0.2", TCP, 80, false, NP_TIER_NETWORK_POLICY,
		   "");
	expect_who(rs, EG, "10.2.0.1", TCP, 80, false, NP_TIER_ADMIN,
		   "cnp/adm egress[0] (Admin)");
	expect_who(rs, EG, "10.2.0.1", TCP, 81, true, NP_TIER_ADMIN,
		   "cnp/adm egress[1] (Admin)");
	expect_who(rs, EG, "192.0.2.1", UDP, 53, false, NP_TIER_BASELINE,
		   "cnp/base egress[0] (Baseline)");
	expect_who(rs, EG, "192.0.2.1", TCP, 80, false, NP_TIER_ADMIN,
		   "cnp/adm egress[0] (Admin)");
	expect_who(rs, EG, "192.0.2.200", UDP, 53, true, NP_TIER_DEFAULT,
		   "default (no tier decided)");
	expect_who(rs, EG, "198.51.100.1", TCP, 81, true, NP_TIER_DEFAULT,
		   "default (no tier decided)");
	/* the node's own address: before any tier */
	expect_who(rs, EG, "198.19.255.1", TCP, 80, true, NP_TIER_DEFAULT, "");
	np_ruleset_free(rs);
	np_cluster_free(c);

	/* without cluster policies: NetworkPolicy or nothing */
	c = with(NPOL("np", "  podSelector: {}\n  ingress:\n"
			    "  - from: [{podSelector: {matchLabels: {app: b}}}]"
			    "\n"));
	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, NULL), 0);
	expect_who(rs, IN, "10.1.0.2", TCP, 80, true, NP_TIER_NETWORK_POLICY,
		   "x/np ingress[0]");
	expect_who(rs, IN, "10.2.0.1", TCP, 80, false, NP_TIER_NETWORK_POLICY,
		   "");
	expect_who(rs, EG, "10.2.0.1", TCP, 80, true, NP_TIER_DEFAULT, "");
	np_ruleset_free(rs);
	np_cluster_free(c);
}

/* No cluster policy for the pod: the NetworkPolicy rule set, same hash. */
Test(tier, no_cost_without_rules_for_the_pod)
{
	struct np_cluster *c = with(
		NPOL("np",
		     "  podSelector: {}\n  ingress: [{ports: [{port: 80}]}]\n")
			CNPH("other", "Admin", 1,
			     "{pods: {podSelector: {matchLabels: {app: c}}}}") "  ingress:\n"
									       "  - {action: Deny, from: " FROM_Y
									       "}\n");
	struct np_ruleset *rs = NULL, *np = NULL;

	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, NULL), 0);
	cr_assert_eq(np__ruleset_compile_np(&np, c, "x", "a", NULL, NULL), 0);
	cr_expect_eq(np_ruleset_hash(rs), np_ruleset_hash(np));
	np_ruleset_free(rs);
	np_ruleset_free(np);
	np_cluster_free(c);
}

Test(tier, domain_names)
{
	struct np_cluster *c = with(CNPH(
		"dns-ok", "Admin", 1,
		ALL) "  egress:\n"
		     "  - {action: Accept, to: [{domainNames: [example.com]}, "
		     "{pods: {podSelector: {matchLabels: {app: c}}}}]}\n"
		     "  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}\n");
	struct np_ruleset *rs = NULL;
	struct np_diag d;
	int err;

	/* Accept: the domain matches nothing, the rest is enforced */
	cr_expect(a_allows(c, EG, "10.2.0.1", TCP, 443));
	cr_expect(!a_allows(c, EG, "93.184.216.34", TCP, 443));
	np_cluster_free(c);
	c = with(CNPH(
		"dns-deny", "Admin", 1,
		ALL) "  egress:\n"
		     "  - {action: Accept, to: [{networks: [10.0.0.0/8]}]}\n"
		     "  - {action: Deny, to: [{domainNames: [example.com]}]}\n");
	err = np_ruleset_compile(&rs, c, "x", "a", NULL, &d);
	cr_expect_eq(err, -ENOTSUP);
	cr_expect_null(rs);
	cr_expect_eq(d.fail_closed_dirs, 2u, "egress fails closed");
	cr_expect(strstr(d.message, "cnp/dns-deny spec.egress[1].to[0]"), "%s",
		  d.message);
	cr_expect(strstr(d.message, "domainNames"), "%s", d.message);
	cr_expect_str_eq(d.object, "Pod x/a");
	np_cluster_free(c);
}

/* A Service is no way around a Deny: its ClusterIP is judged by backends. */
Test(tier, deny_covers_service_cluster_ip)
{
	struct np_cluster *c = with(
		"apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: y}\n"
		"spec: {selector: {app: c}, clusterIP: 10.96.0.1, ports: [{name: "
		"w, port: 80, targetPort: 8080}, {name: v, port: 81}]}\n---\n" CNPH(
			"no-c", "Admin", 1,
			ALL) "  egress:\n"
			     "  - {action: Deny, to: [{pods: {podSelector: "
			     "{matchLabels: {app: c}}}}], protocols: [{tcp: "
			     "{destinationPort: {number: 8080}}}]}\n");

	cr_expect(!a_allows(c, EG, "10.2.0.1", TCP, 8080));
	cr_expect(!a_allows(c, EG, "10.96.0.1", TCP, 80), "to 8080 after DNAT");
	cr_expect(a_allows(c, EG, "10.96.0.1", TCP, 81));
	cr_expect(a_allows(c, EG, "10.96.0.1", TCP, 8080));
	np_cluster_free(c);
}

/* --- nodes peers ---------------------------------------------------------- */

#define KNODE(name, labels, addrs)                           \
	"apiVersion: v1\nkind: Node\nmetadata: {name: " name \
	", labels: " labels "}\nstatus: {addresses: " addrs "}\n---\n"
#define NODES                                                     \
	KNODE("n1", "{role: db}",                                 \
	      "[{type: InternalIP, address: 198.18.0.7}, {type: " \
	      "ExternalIP, address: \"fd00::7\"}]")               \
	KNODE("n2", "{role: web}",                                \
	      "[{type: InternalIP, address: 198.18.0.8}, {type: " \
	      "Hostname, address: n2}]")
#define TO_DB "[{nodes: {matchLabels: {role: db}}}]"

/* a_allows() with the cluster's log kept in logged */
static struct np_cluster *with_log(const char *more)
{
	NP_OPTS(np_cluster_opts, o, .log = log_keep);
	size_t n = strlen(base) + strlen(more) + 8;
	char *buf = malloc(n);
	struct np_cluster *c;

	logged[0] = 0;
	snprintf(buf, n, "%s%s", base, more);
	cr_assert_eq(np_cluster_new(&c, &o), 0);
	cr_assert_eq(np_cluster_load_buffer(c, buf, strlen(buf), "t", NULL,
					    NULL),
		     0);
	free(buf);
	return c;
}

Test(tier, nodes_deny)
{
	struct np_cluster *c =
		with(NODES CNPH("no-db", "Admin", 1,
				ALL) "  egress:\n  - {action: Deny, to: " TO_DB
				     "}\n");

	/* InternalIP and ExternalIP, both families, as hosts */
	cr_expect(!a_allows(c, EG, "198.18.0.7", TCP, 22));
	cr_expect(!a_allows(c, EG, "fd00::7", UDP, 53));
	cr_expect(a_allows(c, EG, "198.18.0.6", TCP, 22), "a /32 only");
	cr_expect(a_allows(c, EG, "198.18.0.8", TCP, 22), "not selected");
	cr_expect(a_allows(c, EG, "10.2.0.1", TCP, 22));
	cr_expect(a_allows(c, IN, "198.18.0.7", TCP, 22), "egress only");
	np_cluster_free(c);
	/* a Baseline Deny, under a NetworkPolicy that isolates egress only */
	c = with(NODES CNPH(
		"base", "Baseline", 1,
		ALL) "  egress:\n  - {action: Deny, to: [{nodes: {}}]}\n");
	cr_expect(!a_allows(c, EG, "198.18.0.8", TCP, 22), "{}: every Node");
	cr_expect(!a_allows(c, EG, "198.18.0.7", TCP, 22));
	cr_expect(a_allows(c, EG, "198.18.0.9", TCP, 22));
	np_cluster_free(c);
}

Test(tier, nodes_accept)
{
	struct np_cluster *c = with(NODES CNPH(
		"db-only", "Admin", 1,
		ALL) "  egress:\n  - {action: Accept, to: " TO_DB TCP80 "}\n"
		     "  - {action: Deny, to: [{networks: [0.0.0.0/0, \"::/0\"]}]}\n");

	cr_expect(a_allows(c, EG, "198.18.0.7", TCP, 80));
	cr_expect(a_allows(c, EG, "fd00::7", TCP, 80));
	cr_expect(!a_allows(c, EG, "198.18.0.7", TCP, 81), "its ports only");
	cr_expect(!a_allows(c, EG, "198.18.0.8", TCP, 80));
	cr_expect(!a_allows(c, EG, "8.8.8.8", TCP, 80));
	np_cluster_free(c);
}

/* No Node object at all: a nodes peer cannot be enforced (as before). */
Test(tier, nodes_without_node_objects)
{
	struct np_cluster *c = with_log(CNPH(
		"db-only", "Admin", 1,
		ALL) "  egress:\n  - {action: Accept, to: " TO_DB "}\n"
		     "  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}\n");
	struct np_ruleset *rs = NULL;
	struct np_diag d;
	int err;

	/* Accept: matches nothing, and says so */
	cr_expect(!a_allows(c, EG, "198.18.0.7", TCP, 80));
	cr_expect(strstr(logged, "cnp/db-only egress[0]: peer 0 not enforced "
				 "(needs Node objects) for pod x/a"),
		  "%s", logged);
	np_cluster_free(c);
	/* Deny: the direction cannot be compiled, and fails closed */
	c = with(CNPH("no-db", "Admin", 1,
		      ALL) "  egress:\n  - {action: Deny, to: " TO_DB "}\n");
	err = np_ruleset_compile(&rs, c, "x", "a", NULL, &d);
	cr_expect_eq(err, -ENOTSUP);
	cr_expect_null(rs);
	cr_expect_eq(d.fail_closed_dirs, 2u);
	cr_expect(strstr(d.message, "cnp/no-db spec.egress[0].to[0]: Not "
				    "supported: a Deny rule"),
		  "%s", d.message);
	cr_expect(strstr(d.message, "(nodes)"), "%s", d.message);
	np_cluster_free(c);
	/* the first Node makes it enforceable */
	c = with(NODES CNPH("no-db", "Admin", 1,
			    ALL) "  egress:\n  - {action: Pass, to: " TO_DB
				 "}\n");
	cr_expect_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, &d), 0);
	np_ruleset_free(rs);
	np_cluster_free(c);
}

/* The pod's own node address stays allowed, and a warning says so. */
Test(tier, nodes_deny_own_node)
{
	struct np_cluster *c = with_log(
		KNODE("self", "{role: db}",
		      "[{type: InternalIP, address: 198.19.255.1}, {type: "
		      "ExternalIP, address: 198.18.0.9}]")
			CNPH("no-db", "Admin", 1,
			     ALL) "  egress:\n"
				  "  - {action: Deny, to: " TO_DB "}\n");
	struct np_ruleset *rs = NULL;
	struct np_tier_verdict t;
	struct np_ctx *ctx;
	struct np_ip ip;

	cr_expect(a_allows(c, EG, "198.19.255.1", TCP, 10250));
	cr_expect(!a_allows(c, EG, "198.18.0.9", TCP, 10250),
		  "its other addresses are denied");
	cr_expect(strstr(logged, "cnp/no-db egress[0]: peer 0 denies the node "
				 "of pod x/a: its address 198.19.255.1 stays "
				 "allowed"),
		  "%s", logged);
	/* the reference says the same */
	cr_assert_eq(np__ruleset_compile_np(&rs, c, "x", "a", NULL, NULL), 0);
	cr_assert_eq(np__ctx_get(c, &ctx), 0);
	cr_assert_eq(np__ip_parse("198.19.255.1", &ip), 0);
	cr_assert_eq(np__tier_eval(c,
				   np__cluster_find(c, NP_KIND_POD, "x", "a"),
				   rs, EG, &ip, NULL, TCP, 10250, &t, NULL),
		     0);
	cr_expect(t.allowed);
	cr_expect_eq(t.tier, NP_TIER_NODE);
	np_ruleset_free(rs);
	np_cluster_free(c);
}

/* Nodes change incrementally: the peer follows them. */
Test(tier, nodes_follow_changes)
{
	struct np_cluster *c =
		with(NODES CNPH("no-db", "Admin", 1,
				ALL) "  egress:\n  - {action: Deny, to: " TO_DB
				     "}\n");
	static const char moved[] =
		KNODE("n2", "{role: db}",
		      "[{type: InternalIP, address: 198.18.0.8}]");

	cr_expect(a_allows(c, EG, "198.18.0.8", TCP, 22));
	cr_assert_eq(np_cluster_load_buffer(c, moved, strlen(moved), "t", NULL,
					    NULL),
		     0);
	cr_expect(!a_allows(c, EG, "198.18.0.8", TCP, 22), "relabelled");
	cr_assert_eq(np_cluster_delete(c, NP_KIND_NODE, NULL, "n1"), 0);
	cr_expect(a_allows(c, EG, "198.18.0.7", TCP, 22), "deleted");
	np_cluster_free(c);
}

/* --- differential: the fold against the reference ------------------------ */

static uint64_t rng;

static unsigned int rnd(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng % n);
}

struct sbuf {
	char *p;
	size_t n, cap;
};

static void put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if ((size_t)n < b->cap - b->n)
			break;
		b->cap = b->cap * 2 + n + 64;
		b->p = realloc(b->p, b->cap);
		cr_assert_not_null(b->p);
	}
	b->n += (size_t)n;
}

static const char *const apps[] = { "a", "b", "c" };
static const char *const nss[] = { "x", "y", "z" };

static void rand_sel(struct sbuf *b)
{
	switch (rnd(3)) {
	case 0:
		put(b, "{}");
		break;
	default:
		put(b, "{matchLabels: {app: %s}}", apps[rnd(3)]);
	}
}

static void rand_peer(struct sbuf *b, bool egress, bool *nets)
{
	static const char *const cidrs[] = {
		"10.0.0.0/8", "10.1.0.0/16",	"10.1.0.2/32",
		"0.0.0.0/0",  "192.168.0.0/16", "\"::/0\"",
	};
	unsigned int i, j;

	switch (rnd(egress ? 5 : 3)) {
	case 0:
		put(b, "{namespaces: {matchLabels: {ns: %s}}}", nss[rnd(3)]);
		break;
	case 1:
		put(b, "{pods: {podSelector: ");
		rand_sel(b);
		put(b, "}}");
		break;
	case 2:
		put(b,
		    "{pods: {namespaceSelector: {matchLabels: {ns: %s}}, "
		    "podSelector: ",
		    nss[rnd(3)]);
		rand_sel(b);
		put(b, "}}");
		break;
	case 3:
		/* no named port with nodes peers either */
		*nets = true;
		put(b, "{nodes: ");
		rand_sel(b);
		put(b, "}");
		break;
	default:
		*nets = true;
		i = rnd(6);
		put(b, "{networks: [%s", cidrs[i]);
		j = rnd(3) + 3;
		if (rnd(2) && j != i)
			put(b, ", %s", cidrs[j]);
		put(b, "]}");
	}
}

static void rand_ports(struct sbuf *b, bool named_ok)
{
	unsigned int n = rnd(3), i;

	if (!n)
		return;
	put(b, ", protocols: [");
	for (i = 0; i < n; i++) {
		if (i)
			put(b, ", ");
		switch (rnd(named_ok ? 5 : 4)) {
		case 0:
			put(b, "{tcp: {destinationPort: {number: 80}}}");
			break;
		case 1:
			put(b, "{tcp: {destinationPort: {range: {start: 79, "
			       "end: 81}}}}");
			break;
		case 2:
			put(b, "{udp: {destinationPort: {number: 53}}}");
			break;
		case 3:
			put(b, "{sctp: {destinationPort: {number: 80}}}");
			break;
		default:
			put(b, "{destinationNamedPort: http}");
		}
	}
	put(b, "]");
}

static void rand_rule(struct sbuf *b, bool egress)
{
	static const char *const actions[] = { "Accept", "Deny", "Pass" };
	struct sbuf peers = { 0 };
	unsigned int n = rnd(2) + 1, i;
	bool nets = false;

	for (i = 0; i < n; i++) {
		if (i)
			put(&peers, ", ");
		rand_peer(&peers, egress, &nets);
	}
	put(b, "  - {action: %s, %s: [%s]", actions[rnd(3)],
	    egress ? "to" : "from", peers.p);
	/* upstream: no named port with networks peers */
	rand_ports(b, !nets);
	put(b, "}\n");
	free(peers.p);
}

static char *rand_cluster(void)
{
	struct sbuf b = { 0 };
	unsigned int i, j, n;

	for (i = 0; i < 3; i++)
		put(&b,
		    "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, "
		    "labels: {ns: %s}}\n---\n",
		    nss[i], nss[i]);
	for (i = 0; i < 6; i++) {
		unsigned int ns = rnd(3);

		put(&b,
		    "apiVersion: v1\nkind: Pod\nmetadata: {name: p%u, "
		    "namespace: %s, labels: {app: %s}}\n"
		    "spec: {containers: [{name: c, ports: [%s]}]}\n"
		    "status: {phase: Running, hostIP: 198.19.255.1, "
		    "podIP: 10.%u.0.%u}\n---\n",
		    i, nss[ns], apps[rnd(3)],
		    rnd(3) == 0 ? "" :
		    rnd(2)	? "{name: http, containerPort: 80}" :
				  "{name: http, containerPort: 8080}, "
				  "{name: dns, containerPort: 53, protocol: UDP}",
		    ns, i + 1);
	}
	/* no Node at all, sometimes: nodes peers are not enforceable then */
	n = rnd(3);
	for (i = 0; i < n; i++) {
		static const char *const addrs[] = {
			"10.3.3.3",    "8.8.8.8",    "198.19.255.1",
			"\"fd00::1\"", "10.1.0.200",
		};

		put(&b,
		    "apiVersion: v1\nkind: Node\nmetadata: {name: n%u, "
		    "labels: {app: %s}}\nstatus: {addresses: [{type: "
		    "InternalIP, address: %s}, {type: ExternalIP, address: "
		    "%s}]}\n---\n",
		    i, apps[rnd(3)], addrs[rnd(5)], addrs[rnd(5)]);
	}
	n = rnd(3);
	for (i = 0; i < n; i++)
		put(&b,
		    "apiVersion: v1\nkind: Service\nmetadata: {name: s%u, "
		    "namespace: %s}\nspec: {selector: {app: %s}, clusterIP: "
		    "10.96.0.%u, ports: [{name: a, port: 80, targetPort: %s}, "
		    "{name: b, port: 53, protocol: UDP}]}\n---\n",
		    i, nss[rnd(3)], apps[rnd(3)], i + 1,
		    rnd(2) ? "http" : "8080");
	n = rnd(3);
	for (i = 0; i < n; i++) {
		put(&b,
		    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		    "metadata: {name: np%u, namespace: %s}\nspec:\n"
		    "  podSelector: ",
		    i, nss[rnd(3)]);
		rand_sel(&b);
		put(&b, "\n  policyTypes: [%s]\n",
		    (const char *[]){ "Ingress", "Egress",
				      "Ingress, Egress" }[rnd(3)]);
		put(&b,
		    "  ingress: [{from: [{podSelector: {matchLabels: "
		    "{app: %s}}, namespaceSelector: {}}, {ipBlock: "
		    "{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]%s}]\n",
		    apps[rnd(3)],
		    rnd(2) ? ", ports: [{port: 80}, {port: http}]" : "");
		put(&b,
		    "  egress: [{to: [{podSelector: {matchLabels: "
		    "{app: %s}}, namespaceSelector: {}}%s]%s}]\n---\n",
		    apps[rnd(3)],
		    rnd(2) ? ", {ipBlock: {cidr: 10.0.0.0/8, except: "
			     "[10.1.0.0/16]}}" :
			     "",
		    rnd(2) ? ", ports: [{port: 80}]" : "");
	}
	n = rnd(4) + 1;
	for (i = 0; i < n; i++) {
		unsigned int k;

		put(&b,
		    "apiVersion: policy.networking.k8s.io/v1alpha2\n"
		    "kind: ClusterNetworkPolicy\nmetadata: {name: c%u}\n"
		    "spec:\n  tier: %s\n  priority: %u\n  subject: ",
		    rnd(10) * 10 + i, rnd(2) ? "Admin" : "Baseline", rnd(3));
		switch (rnd(3)) {
		case 0:
			put(&b, "{namespaces: {}}");
			break;
		case 1:
			put(&b, "{namespaces: {matchLabels: {ns: %s}}}",
			    nss[rnd(3)]);
			break;
		default:
			put(&b, "{pods: {podSelector: ");
			rand_sel(&b);
			put(&b, "}}");
		}
		put(&b, "\n");
		for (j = 0; j < 2; j++) {
			k = rnd(4);
			if (!k)
				continue;
			put(&b, "  %s:\n", j ? "egress" : "ingress");
			while (k--)
				rand_rule(&b, j);
		}
		put(&b, "---\n");
	}
	return b.p;
}

static const char *const probes[] = {
	"10.0.0.1",  "10.0.0.2",     "10.1.0.3",    "10.1.0.4", "10.2.0.5",
	"10.2.0.6",  "10.1.0.2",     "10.1.0.200",  "10.3.3.3", "192.168.1.1",
	"8.8.8.8",   "198.19.255.1", "2001:db8::1", "fd00::1",	"10.96.0.1",
	"10.96.0.2", "10.1.0.200",   "fd00::2",
};
static const uint16_t ports[] = { 1, 52, 53, 54, 79, 80, 81, 8080, 65535 };
static const enum np_protocol protos[] = { NP_PROTOCOL_TCP, NP_PROTOCOL_UDP,
					   NP_PROTOCOL_SCTP };

static const struct np_obj *pod_at(struct np_ctx *ctx, const struct np_ip *ip)
{
	size_t i, j;

	for (i = 0; i < ctx->npods; i++)
		for (j = 0; j < ctx->pods[i]->pod.nips; j++)
			if (np__pod_eligible(ctx->pods[i]) &&
			    !memcmp(&ctx->pods[i]->pod.ips[j], ip, sizeof(*ip)))
				return ctx->pods[i];
	return NULL;
}

/*
 * One probe: the folded rule set's verdict equals the reference's, and so
 * do the tier and, for a cluster policy's rule, which rule decided.
 */
static void check_probe(struct np_cluster *c, struct np_ctx *ctx,
			const struct np_obj *pod, const struct np_ruleset *rs,
			const struct np_ruleset *np, int dir, const char *peer,
			enum np_protocol proto, uint16_t port,
			unsigned int seed, const char *yaml,
			unsigned int tiers[6][2])
{
	struct np_tier_verdict t;
	struct np_verdict v;
	enum np_tier want;
	struct np_ip ip;
	char who[600];

	cr_assert_eq(np_ruleset_verdict(rs, dir, peer, proto, port, &v), 0);
	cr_assert_eq(np__ip_parse(peer, &ip), 0);
	cr_assert_eq(np__tier_eval(c, pod, np, dir, &ip, pod_at(ctx, &ip),
				   (uint8_t)proto, port, &t, NULL),
		     0);
	cr_assert_eq(v.allowed, t.allowed,
		     "seed %u pod %s/%s %s peer %s %s/%u: fold %d reference "
		     "%d (tier %d)\n%s",
		     seed, pod->meta.ns, pod->meta.name,
		     dir ? "egress" : "ingress", peer, np_protocol_name(proto),
		     port, v.allowed, t.allowed, t.tier, yaml);
	want = t.tier == NP_TIER_NODE ? NP_TIER_DEFAULT : t.tier;
	cr_assert_eq(v.tier, want,
		     "seed %u pod %s/%s %s peer %s %s/%u: tier %s, reference "
		     "%s (%s)\n%s",
		     seed, pod->meta.ns, pod->meta.name,
		     dir ? "egress" : "ingress", peer, np_protocol_name(proto),
		     port, np_tier_name(v.tier), np_tier_name(want), v.policies,
		     yaml);
	if (t.tier == NP_TIER_ADMIN || t.tier == NP_TIER_BASELINE) {
		snprintf(who, sizeof(who), "cnp/%s %s[%d] (%s)",
			 t.pol->meta.name, dir ? "egress" : "ingress", t.rule,
			 t.tier == NP_TIER_ADMIN ? "Admin" : "Baseline");
		cr_assert_str_eq(v.policies, who,
				 "seed %u pod %s/%s peer %s %s/%u\n%s", seed,
				 pod->meta.ns, pod->meta.name, peer,
				 np_protocol_name(proto), port, yaml);
	}
	tiers[t.tier][t.allowed]++;
}

Test(tier, fold_equals_reference, .timeout = 120)
{
	unsigned int seed, compared = 0, big = 0, tiers[6][2] = { { 0 } };
	unsigned int unenforceable = 0;

	for (seed = 1; seed <= 150; seed++) {
		char *yaml;
		struct np_cluster *c;
		struct np_ctx *ctx;
		size_t i;

		rng = 0x9e3779b97f4a7c15ULL * seed;
		yaml = rand_cluster();
		c = load(yaml);
		cr_assert_eq(np__ctx_get(c, &ctx), 0);
		for (i = 0; i < ctx->npods; i++) {
			const struct np_obj *pod = ctx->pods[i];
			struct np_ruleset *rs = NULL, *np = NULL;
			struct np_mapset *ms = NULL;
			struct np_diag d;
			size_t p, q, r;
			int err;
			int dir;

			err = np_ruleset_compile(&rs, c, pod->meta.ns,
						 pod->meta.name, NULL, &d);
			if (err == -E2BIG) {
				big++;
				continue;
			}
			if (err == -ENOTSUP) {
				/* nodes peers, no Node: the reference too */
				unsigned int fc = d.fail_closed_dirs;
				struct np_tier_verdict t;
				struct np_ip ip;

				cr_assert(!np_cluster_count(c, NP_KIND_NODE),
					  "seed %u: %s", seed, d.message);
				cr_assert_eq(np__ruleset_compile_np(
						     &np, c, pod->meta.ns,
						     pod->meta.name, NULL, &d),
					     0);
				cr_assert_eq(np__ip_parse("10.3.3.3", &ip), 0);
				cr_assert_eq(np__tier_eval(c, pod, np,
							   fc & 2 ? EG : IN,
							   &ip, NULL,
							   NP_PROTOCOL_TCP, 80,
							   &t, NULL),
					     -ENOTSUP);
				np_ruleset_free(np);
				unenforceable++;
				cr_assert_eq(np__ctx_get(c, &ctx), 0);
				continue;
			}
			cr_assert_eq(err, 0, "seed %u %s/%s: %d %s\n%s", seed,
				     pod->meta.ns, pod->meta.name, err,
				     d.message, yaml);
			cr_assert_eq(np__ruleset_compile_np(
					     &np, c, pod->meta.ns,
					     pod->meta.name, NULL, &d),
				     0);
			/* the context may have been rebuilt: ask again */
			cr_assert_eq(np__ctx_get(c, &ctx), 0);
			for (dir = 0; dir < 2; dir++)
				for (p = 0;
				     p < sizeof(probes) / sizeof(*probes); p++)
					for (q = 0; q < 3; q++)
						for (r = 0;
						     r < sizeof(ports) /
								 sizeof(*ports);
						     r++, compared++)
							check_probe(c, ctx, pod,
								    rs, np, dir,
								    probes[p],
								    protos[q],
								    ports[r],
								    seed, yaml,
								    tiers);
			/* and the map set encodes it */
			cr_assert_eq(np_mapset_encode(&ms, rs), 0);
			np_mapset_free(ms);
			np_ruleset_free(rs);
			np_ruleset_free(np);
		}
		np_cluster_free(c);
		free(yaml);
	}
	cr_log_info("%u verdicts compared, %u rule sets over the slots, %u "
		    "with nodes peers and no Node",
		    compared, big, unenforceable);
	for (seed = 0; seed < 6; seed++)
		cr_log_info("tier %u: %u allowed, %u denied", seed,
			    tiers[seed][1], tiers[seed][0]);
	/* every step decided some flows both ways (not NODE, DEFAULT) */
	cr_expect(tiers[NP_TIER_ADMIN][0] && tiers[NP_TIER_ADMIN][1]);
	cr_expect(tiers[NP_TIER_NETWORK_POLICY][0] &&
		  tiers[NP_TIER_NETWORK_POLICY][1]);
	cr_expect(tiers[NP_TIER_BASELINE][0] && tiers[NP_TIER_BASELINE][1]);
	cr_expect_gt(compared, 100000u);
	cr_expect_eq(big, 0u);
}

/*
 * Every pod's rule set as text (keys, ports, provenance, hash); a pod that
 * does not compile (-E2BIG, -ENOTSUP: nodes peers without Node objects)
 * as its error.
 */
static char *all_text(struct np_cluster *c, size_t *npods)
{
	struct np_ctx *ctx;
	size_t i, len = 0;
	char *all = NULL;

	cr_assert_eq(np__ctx_get(c, &ctx), 0);
	*npods = ctx->npods;
	for (i = 0; i < *npods; i++) {
		const struct np_obj *pod;
		struct np_ruleset *rs = NULL;
		char *t = NULL, *n;
		int err;

		/* compiling may rebuild the context: ask each time */
		cr_assert_eq(np__ctx_get(c, &ctx), 0);
		pod = ctx->pods[i];
		err = np_ruleset_compile(&rs, c, pod->meta.ns, pod->meta.name,
					 NULL, NULL);
		if (err == -E2BIG || err == -ENOTSUP) {
			n = realloc(all, len + 40);
			cr_assert(n);
			all = n;
			len += (size_t)sprintf(all + len, "error %d\n", err);
			continue;
		}
		cr_assert_eq(err, 0);
		cr_assert_eq(np_ruleset_export(rs, NP_FORMAT_TEXT, &t), 0);
		n = realloc(all, len + strlen(t) + 40);
		cr_assert(n);
		all = n;
		len += (size_t)sprintf(all + len, "%016llx\n%s",
				       (unsigned long long)np_ruleset_hash(rs),
				       t);
		np_free(t);
		np_ruleset_free(rs);
	}
	return all ? all : strdup("");
}

/*
 * The fold's caches (the tier cache on the resolution context: rule
 * entries, folded cores, per-direction shares, shares by content) give
 * what a fresh cluster gives: compiled twice in a row, and after pods
 * change (labels, an address, a pod added and one deleted), which the
 * context follows without starting over.
 */
/* The same changes to a cluster: the first pod relabeled, moved to
 * another address, with a named port; the second deleted; one added. */
static void change_pods(struct np_cluster *c, const char *ns0,
			const char *name0, const char *ns1, const char *name1)
{
	char buf[1024];
	struct np_diag d;
	int err;

	snprintf(buf, sizeof(buf),
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: %s, "
		 "namespace: %s, labels: {app: b}}\n"
		 "spec: {containers: [{name: c, ports: [{name: http, "
		 "containerPort: 8080}]}]}\n"
		 "status: {phase: Running, hostIP: 198.19.255.1, "
		 "podIP: 10.0.0.77}\n---\n"
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: p9, "
		 "namespace: y, labels: {app: a}}\n"
		 "spec: {containers: [{name: c}]}\n"
		 "status: {phase: Running, hostIP: 198.19.255.1, "
		 "podIP: 10.1.0.99}\n",
		 name0, ns0);
	err = np_cluster_load_buffer(c, buf, strlen(buf), "update", NULL, &d);
	cr_assert_eq(err, 0, "%s", d.message);
	cr_assert_eq(np_cluster_delete(c, NP_KIND_POD, ns1, name1), 0);
}

Test(tier, caches_follow_the_snapshot, .timeout = 60)
{
	unsigned int seed;

	for (seed = 1; seed <= 40; seed++) {
		char ns0[64], name0[64], ns1[64], name1[64];
		char *yaml, *a, *b, *fresh;
		struct np_cluster *c, *f;
		struct np_ctx *ctx;
		size_t n, m;

		rng = 0x9e3779b97f4a7c15ULL * seed;
		yaml = rand_cluster();
		c = load(yaml);
		a = all_text(c, &n);
		b = all_text(c, &m);
		cr_assert_str_eq(a, b, "seed %u: compiled again", seed);
		cr_assert_eq(np__ctx_get(c, &ctx), 0);
		cr_assert_geq(ctx->npods, 2u);
		snprintf(ns0, sizeof(ns0), "%s", ctx->pods[0]->meta.ns);
		snprintf(name0, sizeof(name0), "%s", ctx->pods[0]->meta.name);
		snprintf(ns1, sizeof(ns1), "%s", ctx->pods[1]->meta.ns);
		snprintf(name1, sizeof(name1), "%s", ctx->pods[1]->meta.name);
		change_pods(c, ns0, name0, ns1, name1);
		free(a);
		a = all_text(c, &n);
		/* the same snapshot, never compiled before */
		f = load(yaml);
		change_pods(f, ns0, name0, ns1, name1);
		fresh = all_text(f, &m);
		cr_assert_eq(n, m);
		cr_assert_str_eq(a, fresh, "seed %u: after changes\n%s", seed,
				 yaml);
		free(a);
		free(b);
		free(fresh);
		np_cluster_free(f);
		np_cluster_free(c);
		free(yaml);
	}
}

/*
 * The agent's view: np_cluster_endpoints() loaded into a fresh cluster
 * (no Pod, no policy: PolicyEndpoints and ClusterPolicyEndpoints alone)
 * compiles, from endpoints, to the verdicts the policies give.
 */
static void same_verdicts(const struct np_ruleset *a,
			  const struct np_ruleset *b, unsigned int seed,
			  const struct np_obj *pod, const char *yaml,
			  unsigned int *compared)
{
	size_t p, q, r;
	int dir;

	for (dir = 0; dir < 2; dir++)
		for (p = 0; p < sizeof(probes) / sizeof(*probes); p++)
			for (q = 0; q < 3; q++)
				for (r = 0; r < sizeof(ports) / sizeof(*ports);
				     r++) {
					struct np_verdict v, w;

					cr_assert_eq(np_ruleset_verdict(
							     a, dir, probes[p],
							     protos[q],
							     ports[r], &v),
						     0);
					cr_assert_eq(np_ruleset_verdict(
							     b, dir, probes[p],
							     protos[q],
							     ports[r], &w),
						     0);
					cr_assert_eq(
						v.allowed, w.allowed,
						"seed %u pod %s/%s %s peer %s "
						"%s/%u: policies %d endpoints "
						"%d\n%s",
						seed, pod->meta.ns,
						pod->meta.name,
						dir ? "egress" : "ingress",
						probes[p],
						np_protocol_name(protos[q]),
						ports[r], v.allowed, w.allowed,
						yaml);
					(*compared)++;
				}
}

Test(tier, endpoints_view_equals_policies, .timeout = 120)
{
	NP_OPTS(np_compile_opts, eo, .source = NP_SOURCE_ENDPOINTS);
	unsigned int seed, compared = 0, same_hash = 0, pods = 0, refused = 0;

	for (seed = 1; seed <= 150; seed++) {
		enum np_format fmt = seed % 2 ? NP_FORMAT_YAML : NP_FORMAT_JSON;
		struct np_cluster *c, *e;
		struct np_ctx *ctx;
		struct np_diag d;
		char *yaml, *text;
		size_t i;
		int err;

		rng = 0x9e3779b97f4a7c15ULL * seed;
		yaml = rand_cluster();
		c = load(yaml);
		err = np_cluster_endpoints(c, fmt, &text, &d);
		if (err == -ENOTSUP) {
			/* nodes peers in a Deny or Pass, no Node: the
			 * objects cannot say it; the policies fail closed */
			cr_assert(!np_cluster_count(c, NP_KIND_NODE) &&
					  strstr(d.message, "nodes peer"),
				  "seed %u: %s", seed, d.message);
			refused++;
			np_cluster_free(c);
			free(yaml);
			continue;
		}
		cr_assert_eq(err, 0, "seed %u: %d %s", seed, err, d.message);
		cr_assert_eq(np_cluster_new(&e, NULL), 0);
		err = np_cluster_load_buffer(e, text, strlen(text), "pe", NULL,
					     &d);
		cr_assert_eq(err, 0, "seed %u: %s\n%s", seed, d.message, text);
		cr_assert_eq(np__ctx_get(c, &ctx), 0);
		for (i = 0; i < ctx->npods; i++) {
			const struct np_obj *pod = ctx->pods[i];
			struct np_ruleset *rs = NULL, *rse = NULL;
			int err2;

			err = np_ruleset_compile(&rs, c, pod->meta.ns,
						 pod->meta.name, NULL, &d);
			err2 = np_ruleset_compile(&rse, e, pod->meta.ns,
						  pod->meta.name, &eo, &d);
			cr_assert_eq(err2 == -ENOENT ? err : err2, err,
				     "seed %u %s/%s: %d vs %d %s\n%s", seed,
				     pod->meta.ns, pod->meta.name, err, err2,
				     d.message, text);
			if (err2 == -ENOENT) {
				/* named by no endpoint: not isolated */
				cr_assert_eq(err, 0);
				cr_expect(!rs->core->isolated[0] &&
						  !rs->core->isolated[1],
					  "seed %u %s/%s", seed, pod->meta.ns,
					  pod->meta.name);
				np_ruleset_free(rs);
				cr_assert_eq(np__ctx_get(c, &ctx), 0);
				continue;
			}
			if (!err) {
				pods++;
				if (np_ruleset_hash(rs) == np_ruleset_hash(rse))
					same_hash++;
				same_verdicts(rs, rse, seed, pod, yaml,
					      &compared);
			}
			np_ruleset_free(rs);
			np_ruleset_free(rse);
			cr_assert_eq(np__ctx_get(c, &ctx), 0);
		}
		np_free(text);
		np_cluster_free(e);
		np_cluster_free(c);
		free(yaml);
	}
	cr_log_info("%u pods, %u verdicts compared, %u equal hashes, %u "
		    "clusters refused (nodes peers without Nodes)",
		    pods, compared, same_hash, refused);
	cr_expect_gt(compared, 100000u);
	cr_expect_lt(refused, 50u, "most clusters are exported");
}

/*
 * The EKS export: the agent's decision over the ingress_map/egress_map and
 * cp_ingress_map/cp_egress_map contents (eks_agent.h, from the design
 * note) equals the rule set's verdict on every probe; with tiers, whatever
 * the agent's pod state (the cp map decides every address).
 */
static void eks_same(const struct np_ruleset *rs, unsigned int seed,
		     const struct np_obj *pod, unsigned int *compared,
		     unsigned int *tiered)
{
	NP_OPTS(np_mapset_lpm_opts, eo, .layout = NP_LAYOUT_EKS);
	NP_OPTS(np_mapset_lpm_opts, co, .layout = NP_LAYOUT_EKS_CP);
	struct np_mapset *ms = NULL;
	uint8_t node[16];
	size_t p, q, r;
	int dir, st;

	cr_assert_eq(np_mapset_encode(&ms, rs), 0);
	cr_assert_eq(inet_pton(AF_INET, "198.19.255.1", node), 1);
	for (dir = 0; dir < 2; dir++)
		for (p = 0; p < sizeof(probes) / sizeof(*probes); p++) {
			int fam = strchr(probes[p], ':') ? 6 : 4;
			struct agent_maps m;
			uint8_t ip[16];
			int err;

			cr_assert_eq(inet_pton(fam == 6 ? AF_INET6 : AF_INET,
					       probes[p], ip),
				     1);
			err = np_mapset_lpm(ms, fam, dir, &eo, &m.np);
			cr_assert_eq(err, 0, "seed %u %s/%s: %d", seed,
				     pod->meta.ns, pod->meta.name, err);
			err = np_mapset_lpm(ms, fam, dir, &co, &m.cp);
			cr_assert_eq(err, 0, "seed %u %s/%s: cp %d", seed,
				     pod->meta.ns, pod->meta.name, err);
			if (m.cp.count)
				(*tiered)++;
			for (st = 0; st < (m.cp.count ? 2 : 1); st++) {
				m.applied = rs->core->isolated[dir] ^ st;
				for (q = 0; q < 3; q++)
					for (r = 0;
					     r < sizeof(ports) / sizeof(*ports);
					     r++) {
						struct np_verdict v;
						bool a;

						cr_assert_eq(np_ruleset_verdict(
								     rs, dir,
								     probes[p],
								     protos[q],
								     ports[r],
								     &v),
							     0);
						a = agent_decide(
							&m, ip,
							fam == 6 ? 16 : 4,
							fam == 4 ? node : NULL,
							(uint8_t)protos[q],
							ports[r]);
						cr_assert_eq(
							a, v.allowed,
							"seed %u %s/%s %s %s "
							"%s/%u: agent %d ours "
							"%d (state %d)",
							seed, pod->meta.ns,
							pod->meta.name,
							dir ? "egress" :
							      "ingress",
							probes[p],
							np_protocol_name(
								protos[q]),
							ports[r], a, v.allowed,
							st);
						(*compared)++;
					}
			}
			np_free(m.np.keys);
			np_free(m.np.values);
			np_free(m.cp.keys);
			np_free(m.cp.values);
		}
	np_mapset_free(ms);
}

Test(tier, eks_maps_equal_verdicts, .timeout = 120)
{
	unsigned int seed, compared = 0, tiered = 0;

	for (seed = 1; seed <= 150; seed++) {
		struct np_cluster *c;
		struct np_ctx *ctx;
		char *yaml;
		size_t i;

		rng = 0x9e3779b97f4a7c15ULL * seed;
		yaml = rand_cluster();
		c = load(yaml);
		cr_assert_eq(np__ctx_get(c, &ctx), 0);
		for (i = 0; i < ctx->npods; i++) {
			const struct np_obj *pod = ctx->pods[i];
			struct np_ruleset *rs = NULL;
			struct np_diag d;
			int err;

			err = np_ruleset_compile(&rs, c, pod->meta.ns,
						 pod->meta.name, NULL, &d);
			if (err == -ENOTSUP &&
			    !np_cluster_count(c, NP_KIND_NODE)) {
				/* nodes peers, no Node: fails closed */
				cr_assert_eq(np__ctx_get(c, &ctx), 0);
				continue;
			}
			cr_assert_eq(err, 0, "seed %u: %s", seed, d.message);
			eks_same(rs, seed, pod, &compared, &tiered);
			np_ruleset_free(rs);
			cr_assert_eq(np__ctx_get(c, &ctx), 0);
		}
		np_cluster_free(c);
		free(yaml);
	}
	cr_log_info("%u verdicts compared, %u cp lookups with entries",
		    compared, tiered);
	cr_expect_gt(compared, 100000u);
	cr_expect_gt(tiered, 1000u);
}

/* networking.k8s.aws: the same model; at equal name, upstream goes first. */
Test(tier, aws_group)
{
	static const char aws[] =
		"apiVersion: networking.k8s.aws/v1alpha1\n"
		"kind: ClusterNetworkPolicy\nmetadata: {name: same}\n"
		"spec:\n  tier: Admin\n  priority: 4\n"
		"  subject: {namespaces: {}}\n  ingress:\n"
		"  - {action: Deny, from: " FROM_Y
		", ports: [{portNumber: {protocol: TCP, port: 80}}]}\n---\n";
	struct np_cluster *c = with(aws);

	cr_expect(!a_allows(c, IN, "10.2.0.1", TCP, 80));
	cr_expect(a_allows(c, IN, "10.2.0.1", TCP, 81));
	cr_expect(a_allows(c, IN, "10.1.0.2", TCP, 80));
	np_cluster_free(c);
	{
		char buf[4096];

		snprintf(buf, sizeof(buf), "%s%s", aws,
			 CNPH("same", "Admin", 4,
			      ALL) "  ingress:\n"
				   "  - {action: Accept, from: " FROM_Y "}\n");
		c = with(buf);
	}
	cr_expect(a_allows(c, IN, "10.2.0.1", TCP, 80),
		  "policy.networking.k8s.io before networking.k8s.aws");
	np_cluster_free(c);
}

/* The agent's view compiles ClusterPolicyEndpoints: the Deny holds. */
Test(tier, cpe_enforced_from_endpoints)
{
	static const char cpe[] =
		"apiVersion: networking.k8s.aws/v1alpha1\n"
		"kind: ClusterPolicyEndpoint\nmetadata: {name: cpe1}\n"
		"spec:\n  tier: Admin\n  priority: 1\n  policyRef: {name: c}\n"
		"  podSelectorEndpoints: [{hostIP: 198.19.255.1, podIP: "
		"10.1.0.1, name: a, namespace: x}]\n"
		"  ingress: [{action: Deny, cidr: 0.0.0.0/0}]\n";
	NP_OPTS(np_compile_opts, co, .source = NP_SOURCE_ENDPOINTS);
	struct np_ruleset *rs = NULL;
	struct np_verdict v;
	struct np_cluster *c;
	char buf[8192];

	snprintf(buf, sizeof(buf), "%s%s", base, cpe);
	c = load(buf);
	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", &co, NULL), 0);
	cr_assert_eq(np_ruleset_verdict(rs, IN, "10.2.0.1", TCP, 80, &v), 0);
	cr_expect(!v.allowed);
	cr_assert_eq(np_ruleset_verdict(rs, IN, "2001:db8::1", TCP, 80, &v), 0);
	cr_expect(v.allowed);
	np_ruleset_free(rs);
	/* the policies' view ignores them */
	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, NULL), 0);
	cr_assert_eq(np_ruleset_verdict(rs, IN, "10.2.0.1", TCP, 80, &v), 0);
	cr_expect(v.allowed);
	np_ruleset_free(rs);
	np_cluster_free(c);
}
