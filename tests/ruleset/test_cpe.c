// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ClusterPolicyEndpoints: what np_cluster_endpoints() writes for
 * ClusterNetworkPolicies (endpoints_cpe.c), what NP_SOURCE_ENDPOINTS makes
 * of them (tier_cpe.c), and the EKS cp_* map layout (mapset.c) checked
 * against the agent's slot scan (eks_agent.h). The random differential
 * tests are in test_tier.c (endpoints_view_equals_policies,
 * eks_maps_equal_verdicts).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netpol.h>

#include "eks_agent.h"
#include "mapset.h"

static char logged[8192];

static void log_keep(void *ctx, enum np_log_level lvl, const char *msg)
{
	size_t n = strlen(logged);

	(void)ctx;
	(void)lvl;
	if (n < sizeof(logged) - 1)
		snprintf(logged + n, sizeof(logged) - n, "%s\n", msg);
}

static struct np_cluster *load(const char *yaml)
{
	NP_OPTS(np_cluster_opts, o, .log = log_keep);
	struct np_cluster *c;
	struct np_diag d;
	int err;

	logged[0] = 0;
	cr_assert_eq(np_cluster_new(&c, &o), 0);
	err = np_cluster_load_buffer(c, yaml, strlen(yaml), "test.yaml", NULL,
				     &d);
	cr_assert_eq(err, 0, "load: %s\n%s", d.message, yaml);
	return c;
}

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
#define CPEH(name, ref, tier, prio)                                  \
	"apiVersion: networking.k8s.aws/v1alpha1\n"                  \
	"kind: ClusterPolicyEndpoint\nmetadata: {name: " name "}\n"  \
	"spec:\n  tier: " tier "\n  priority: " #prio                \
	"\n  policyRef: {name: " ref                                 \
	"}\n  podSelectorEndpoints: [{hostIP: 198.19.255.1, podIP: " \
	"10.1.0.1, name: a, namespace: x}]\n"

#define IN NP_DIRECTION_INGRESS
#define EG NP_DIRECTION_EGRESS
#define TCP NP_PROTOCOL_TCP
#define UDP NP_PROTOCOL_UDP

static const char pods[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: "
	"{ns: x}}\n---\n" POD("x", "a", "{app: a}", "10.1.0.1",
			      "[{name: http, containerPort: 8080}]")
		POD("x", "b", "{app: b}", "10.1.0.2",
		    "[{name: http, containerPort: 80}]")
			POD("x", "c", "{app: c}", "10.1.0.3", "[]");

static char *cat(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);

	cr_assert_not_null(s);
	snprintf(s, n, "%s%s", a, b);
	return s;
}

static struct np_cluster *with(const char *more)
{
	char *s = cat(pods, more);
	struct np_cluster *c = load(s);

	free(s);
	return c;
}

static char *endpoints(struct np_cluster *c, enum np_format fmt)
{
	struct np_diag d;
	char *out = NULL;
	int err = np_cluster_endpoints(c, fmt, &out, &d);

	cr_assert_eq(err, 0, "endpoints: %d %s", err, d.message);
	return out;
}

static bool allows(struct np_cluster *c, const struct np_compile_opts *o,
		   const char *pod, enum np_direction dir, const char *peer,
		   enum np_protocol proto, uint16_t port, char *prov)
{
	struct np_ruleset *rs = NULL;
	struct np_verdict v;
	struct np_diag d;
	int err;

	err = np_ruleset_compile(&rs, c, "x", pod, o, &d);
	cr_assert_eq(err, 0, "compile: %d %s", err, d.message);
	cr_assert_eq(np_ruleset_verdict(rs, dir, peer, proto, port, &v), 0);
	if (prov)
		strcpy(prov, v.policies);
	np_ruleset_free(rs);
	return v.allowed;
}

/* --- out: np_cluster_endpoints ------------------------------------------- */

/*
 * Written from the semantics: rule order kept (Accept b's http, then Deny
 * everything in x), the named port per subject pod (a's http is 8080, b's
 * 80: two objects), the range with its endPort, networks as written, a
 * domainNames peer as domainName entries, c selects nothing for http.
 */
Test(cpe, endpoints_shape)
{
	static const char cnp[] = CNPH(
		"p", "Admin", 3,
		"{pods: {podSelector: {}}}") "  ingress:\n"
					     "  - {action: Accept, from: [{pods: {podSelector: {matchLabels: "
					     "{app: b}}}}], protocols: [{destinationNamedPort: http}]}\n"
					     "  - {action: Deny, from: [{namespaces: {}}]}\n"
					     "  egress:\n"
					     "  - {action: Pass, to: [{networks: [10.0.0.0/8]}], protocols: "
					     "[{tcp: {destinationPort: {range: {start: 80, end: 90}}}}, "
					     "{udp: {destinationPort: {number: 53}}}]}\n"
					     "  - {action: Accept, to: [{domainNames: [example.com]}]}\n"
					     "  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}\n";
	static const char egress[] =
		"    egress:\n"
		"    - action: Pass\n      cidr: 10.0.0.0/8\n      ports:\n"
		"      - protocol: TCP\n        port: 80\n        endPort: 90\n"
		"      - protocol: UDP\n        port: 53\n"
		"    - action: Accept\n      domainName: example.com\n"
		"    - action: Deny\n      cidr: 0.0.0.0/0\n";
	struct np_cluster *c = with(cnp);
	char *y = endpoints(c, NP_FORMAT_YAML), *p, *q, *r;

	/* a and c (no http: the Accept has nothing for it) and b apart */
	p = strstr(y, "  metadata:\n    name: p-0-");
	q = strstr(y, "  metadata:\n    name: p-1-");
	r = strstr(y, "  metadata:\n    name: p-2-");
	cr_assert(p && q && r && p < q && q < r, "%s", y);
	cr_expect(
		strstr(p, "    policyRef:\n      name: p\n    tier: Admin\n"
			  "    priority: 3\n    subject:\n      pods:\n"
			  "        namespaceSelector: {}\n"
			  "        podSelector: {}\n"
			  "    podSelectorEndpoints:\n"
			  "    - hostIP: 198.19.255.1\n      podIP: 10.1.0.1\n"
			  "      name: a\n      namespace: x\n"
			  "    ingress:\n"
			  "    - action: Accept\n      cidr: 10.1.0.2/32\n"
			  "      ports:\n      - protocol: TCP\n"
			  "        port: 8080\n"
			  "    - action: Deny\n      cidr: 10.1.0.1/32\n"
			  "    - action: Deny\n      cidr: 10.1.0.2/32\n"
			  "    - action: Deny\n      cidr: 10.1.0.3/32\n") ==
			p + strlen("  metadata:\n    name: p-0-xxxxx\n  spec:\n"),
		"%s", y);
	cr_expect(strstr(q, "      podIP: 10.1.0.2\n      name: b\n"
			    "      namespace: x\n    ingress:\n"
			    "    - action: Accept\n      cidr: 10.1.0.2/32\n"
			    "      ports:\n      - protocol: TCP\n"
			    "        port: 80\n"
			    "    - action: Deny\n      cidr: 10.1.0.1/32\n"),
		  "%s", y);
	cr_expect(strstr(r, "      podIP: 10.1.0.3\n      name: c\n"
			    "      namespace: x\n    ingress:\n"
			    "    - action: Deny\n      cidr: 10.1.0.1/32\n"),
		  "%s", y);
	/* egress: the same in each, rule order */
	cr_expect(strstr(p, egress) && strstr(q, egress) && strstr(r, egress),
		  "%s", y);
	np_free(y);
	np_cluster_free(c);
}

/* Named, sorted and stable: the same input gives the same text. */
Test(cpe, endpoints_deterministic_yaml_json)
{
	static const char cnp[] = CNPH(
		"z", "Baseline", 1,
		"{namespaces: {}}") "  ingress:\n"
				    "  - {action: Deny, from: [{pods: {podSelector: {}}}]}\n"
				    "---\n" CNPH(
					    "a", "Admin", 1,
					    "{namespaces: {}}") "  egress:\n"
								"  - {action: Deny, to: [{networks: [\"::/0\"]}]}\n";
	struct np_cluster *c = with(cnp), *e;
	char *y1 = endpoints(c, NP_FORMAT_YAML), *y2, *j, *pa, *pz;

	y2 = endpoints(c, NP_FORMAT_YAML);
	cr_expect_str_eq(y1, y2);
	pa = strstr(y1, "name: a-0-");
	pz = strstr(y1, "name: z-0-");
	cr_expect(pa && pz && pa < pz, "%s", y1);
	j = endpoints(c, NP_FORMAT_JSON);
	cr_expect(strstr(j, "\"kind\": \"ClusterPolicyEndpoint\""), "%s", j);
	/* JSON back in: the same YAML out of a cluster holding only it */
	e = load(j);
	cr_assert_eq(np_cluster_count(e, NP_KIND_CLUSTER_POLICY_ENDPOINT), 2);
	np_free(y2);
	np_free(j);
	np_free(y1);
	np_cluster_free(e);
	np_cluster_free(c);
}

/*
 * Both groups, one name: the upstream one's objects sort first, and the
 * endpoints view orders them so (upstream's Accept decides).
 */
Test(cpe, endpoints_groups_order)
{
	static const char two[] =
		"apiVersion: networking.k8s.aws/v1alpha1\n"
		"kind: ClusterNetworkPolicy\nmetadata: {name: same}\n"
		"spec:\n  tier: Admin\n  priority: 4\n"
		"  subject: {namespaces: {}}\n  ingress:\n"
		"  - {action: Deny, from: [{namespaces: {}}]}\n---\n" CNPH(
			"same", "Admin", 4,
			"{namespaces: {}}") "  ingress:\n"
					    "  - {action: Accept, from: [{pods: {podSelector: {matchLabels: "
					    "{app: c}}}}]}\n";
	NP_OPTS(np_compile_opts, eo, .source = NP_SOURCE_ENDPOINTS);
	struct np_cluster *c = with(two), *e;
	char *y = endpoints(c, NP_FORMAT_YAML), *up, *aws;

	up = strstr(y, "name: same-0-");
	aws = strstr(y, "name: same-aws-0-");
	cr_assert(up && aws && up < aws, "%s", y);
	cr_expect(allows(c, NULL, "a", IN, "10.1.0.3", TCP, 80, NULL));
	cr_expect(!allows(c, NULL, "a", IN, "10.1.0.2", TCP, 80, NULL));
	e = load(y);
	cr_expect(allows(e, &eo, "a", IN, "10.1.0.3", TCP, 80, NULL));
	cr_expect(!allows(e, &eo, "a", IN, "10.1.0.2", TCP, 80, NULL));
	np_free(y);
	np_cluster_free(e);
	np_cluster_free(c);
}

/*
 * A Service's ClusterIP is judged by its backends (the datapath sees it
 * before DNAT): a Deny of b covers the Service whose one backend is b, on
 * the Service port; an Accept of b does not cover a Service that also has
 * c behind it.
 */
Test(cpe, endpoints_service_cluster_ips)
{
	static const char svc[] =
		"apiVersion: v1\nkind: Service\nmetadata: {name: sb, "
		"namespace: x}\nspec: {selector: {app: b}, clusterIP: "
		"10.96.0.1, ports: [{port: 8000, targetPort: 80}]}\n---\n"
		"apiVersion: v1\nkind: Service\nmetadata: {name: sbc, "
		"namespace: x}\nspec: {selector: {svc: bc}, clusterIP: "
		"10.96.0.2, ports: [{port: 8000, targetPort: 80}]}\n---\n";
	static const char cnp[] = CNPH(
		"s", "Admin", 1,
		"{pods: {podSelector: {matchLabels: {app: a}}}}") "  egress:\n"
								  "  - {action: Deny, to: [{pods: {podSelector: {matchLabels: "
								  "{app: b}}}}]}\n";
	static const char acc[] = CNPH(
		"s", "Admin", 1,
		"{pods: {podSelector: {matchLabels: {app: a}}}}") "  egress:\n"
								  "  - {action: Accept, to: [{pods: {podSelector: {matchLabels: "
								  "{app: b}}}}]}\n";
	char *more = cat(svc, cnp), *y;
	struct np_cluster *c;

	c = with(more);
	y = endpoints(c, NP_FORMAT_YAML);
	cr_expect(strstr(y, "    egress:\n"
			    "    - action: Deny\n      cidr: 10.1.0.2/32\n"
			    "    - action: Deny\n      cidr: 10.96.0.1/32\n"
			    "      ports:\n      - protocol: TCP\n"
			    "        port: 8000\n"),
		  "%s", y);
	np_free(y);
	np_cluster_free(c);
	free(more);
	/* b and c behind sbc: an Accept of b alone does not cover it */
	more = cat("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
		   "---\n" POD("x", "a", "{app: a}", "10.1.0.1", "[]") POD(
			   "x", "b", "{app: b, svc: bc}", "10.1.0.2", "[]")
			   POD("x", "c", "{app: c, svc: bc}", "10.1.0.3", "[]"),
		   svc);
	y = cat(more, acc);
	c = load(y);
	free(y);
	y = endpoints(c, NP_FORMAT_YAML);
	cr_expect(strstr(y, "cidr: 10.96.0.1/32") &&
			  !strstr(y, "cidr: 10.96.0.2/32"),
		  "%s", y);
	np_free(y);
	np_cluster_free(c);
	free(more);
}

/* A Deny with a peer no CPE can carry (nodes, no Node objects): an error. */
Test(cpe, endpoints_refuse_unenforceable_deny)
{
	static const char cnp[] = CNPH(
		"n", "Admin", 1,
		"{namespaces: {}}") "  egress:\n"
				    "  - {action: Deny, to: [{nodes: {matchLabels: {r: w}}}]}\n";
	static const char accept[] = CNPH(
		"n", "Admin", 1,
		"{namespaces: {}}") "  egress:\n"
				    "  - {action: Accept, to: [{nodes: {matchLabels: {r: w}}}]}\n";
	struct np_cluster *c = with(cnp);
	struct np_diag d;
	char *out = NULL, *y;

	cr_expect_eq(np_cluster_endpoints(c, NP_FORMAT_YAML, &out, &d),
		     -ENOTSUP);
	cr_expect_null(out);
	cr_expect_str_eq(d.object, "ClusterNetworkPolicy n");
	cr_expect_str_eq(d.path, "spec.egress[0]");
	cr_expect(strstr(d.message, "nodes peer"), "%s", d.message);
	np_cluster_free(c);
	/* an Accept matches nothing: left out */
	c = with(accept);
	y = endpoints(c, NP_FORMAT_YAML);
	cr_expect(strstr(y, "name: n-0-") && !strstr(y, "egress:"), "%s", y);
	np_free(y);
	np_cluster_free(c);
}

/* --- in: NP_SOURCE_ENDPOINTS ---------------------------------------------- */

/* List order is rule order: the first entry that matches decides. */
Test(cpe, consume_entry_order)
{
	NP_OPTS(np_compile_opts, eo, .source = NP_SOURCE_ENDPOINTS);
	struct np_cluster *c;
	char prov[512];

	c = load(CPEH("e", "p", "Admin",
		      1) "  ingress:\n"
			 "  - {action: Deny, cidr: 10.1.0.2/32}\n"
			 "  - {action: Accept, cidr: 10.0.0.0/8, "
			 "ports: [{protocol: TCP, port: 80, "
			 "endPort: 90}]}\n"
			 "  - {action: Deny, cidr: 0.0.0.0/0}\n");
	cr_expect(!allows(c, &eo, "a", IN, "10.1.0.2", TCP, 85, NULL));
	cr_expect(allows(c, &eo, "a", IN, "10.1.0.3", TCP, 90, prov));
	cr_expect_str_eq(prov, "cnp/p ingress[1] (Admin)");
	/* the rest: the last entry denies */
	cr_expect(!allows(c, &eo, "a", IN, "10.1.0.3", TCP, 91, NULL));
	cr_expect(allows(c, &eo, "a", IN, "2001:db8::1", TCP, 91, NULL));
	np_cluster_free(c);
	c = load(CPEH("e", "p", "Admin",
		      1) "  ingress:\n"
			 "  - {action: Accept, cidr: 10.0.0.0/8, "
			 "ports: [{protocol: TCP, port: 80, "
			 "endPort: 90}]}\n"
			 "  - {action: Deny, cidr: 10.1.0.2/32}\n");
	cr_expect(allows(c, &eo, "a", IN, "10.1.0.2", TCP, 85, NULL));
	cr_expect(!allows(c, &eo, "a", IN, "10.1.0.2", TCP, 91, NULL));
	np_cluster_free(c);
}

/*
 * Tier, priority, then policyRef name: an Admin Pass (priority 1) skips
 * the Admin Accept (priority 2) and the Baseline Deny decides; at equal
 * priority policyRef "a" goes before "b", and a warning says so.
 */
Test(cpe, consume_tiers_priorities_ties)
{
	NP_OPTS(np_compile_opts, eo, .source = NP_SOURCE_ENDPOINTS);
	struct np_cluster *c;

	c = load(CPEH(
		"k1", "b", "Admin",
		2) "  ingress: [{action: Accept, "
		   "cidr: 10.0.0.0/8}]\n---\n" CPEH(
			   "k2", "a", "Admin",
			   1) "  ingress: [{action: Pass, cidr: "
			      "10.1.0.0/16}]\n---\n" CPEH(
				      "k3", "c", "Baseline",
				      0) "  ingress: [{action: Deny, cidr: "
					 "10.1.0.2/32}]\n");
	/* Pass (priority 1) skips the Admin Accept; Baseline denies */
	cr_expect(!allows(c, &eo, "a", IN, "10.1.0.2", TCP, 80, NULL));
	/* Pass, then Baseline has nothing: allowed */
	cr_expect(allows(c, &eo, "a", IN, "10.1.0.3", TCP, 80, NULL));
	/* outside the Pass: the Admin Accept */
	cr_expect(allows(c, &eo, "a", IN, "10.2.0.1", TCP, 80, NULL));
	np_cluster_free(c);
	c = load(CPEH("k1", "b", "Admin",
		      5) "  ingress: [{action: Accept, "
			 "cidr: 10.0.0.0/8}]\n---\n" CPEH(
				 "k2", "a", "Admin",
				 5) "  ingress: [{action: Deny, cidr: "
				    "10.0.0.0/8}]\n");
	cr_expect(!allows(c, &eo, "a", IN, "10.2.0.1", TCP, 80, NULL));
	cr_expect(strstr(logged, "ClusterPolicyEndpoints k2 and k1: both "
				 "Admin priority 5"),
		  "%s", logged);
	np_cluster_free(c);
}

/* domainName: an Accept matches nothing (warned), a Deny fails closed. */
Test(cpe, consume_domain_names)
{
	NP_OPTS(np_compile_opts, eo, .source = NP_SOURCE_ENDPOINTS);
	struct np_ruleset *rs = NULL;
	struct np_cluster *c;
	struct np_diag d;

	c = load(CPEH("k", "p", "Admin",
		      1) "  egress:\n"
			 "  - {action: Accept, domainName: "
			 "example.com}\n"
			 "  - {action: Deny, cidr: 0.0.0.0/0}\n");
	cr_expect(!allows(c, &eo, "a", EG, "93.184.216.34", TCP, 443, NULL));
	cr_expect(strstr(logged, "domainName example.com not enforced"), "%s",
		  logged);
	np_cluster_free(c);
	c = load(CPEH("k", "p", "Admin", 1) "  egress:\n"
					    "  - {action: Deny, domainName: "
					    "example.com}\n");
	cr_expect_eq(np_ruleset_compile(&rs, c, "x", "a", &eo, &d), -ENOTSUP);
	cr_expect_null(rs);
	cr_expect_eq(d.fail_closed_dirs, 1u << NP_DIRECTION_EGRESS);
	cr_expect_str_eq(d.object, "Pod x/a");
	cr_expect(strstr(d.message, "ClusterPolicyEndpoint k "
				    "spec.egress[0].domainName"),
		  "%s", d.message);
	np_cluster_free(c);
}

/* Named by a ClusterPolicyEndpoint alone (no Pod, no PolicyEndpoint). */
Test(cpe, consume_identity_from_cpe)
{
	NP_OPTS(np_compile_opts, eo, .source = NP_SOURCE_ENDPOINTS);
	struct np_ruleset *rs = NULL;
	struct np_cluster *c;
	struct np_diag d;
	char *text;

	c = load(CPEH("k", "p", "Admin", 1) "  ingress: [{action: Deny, cidr: "
					    "0.0.0.0/0}]\n");
	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", &eo, &d), 0);
	cr_assert_eq(np_ruleset_export(rs, NP_FORMAT_TEXT, &text), 0);
	cr_expect(strstr(text, "pod x/a (10.1.0.1)"), "%s", text);
	np_free(text);
	np_ruleset_free(rs);
	cr_expect_eq(np_ruleset_compile(&rs, c, "x", "nobody", &eo, &d),
		     -ENOENT);
	cr_expect_str_eq(d.message, "Not found: no PolicyEndpoint, "
				    "ClusterPolicyEndpoint or Pod names it");
	np_cluster_free(c);
}

/* --- the EKS cp_* layout ---------------------------------------------------- */

struct maps {
	struct agent_maps m;
	struct np_mapset *ms;
};

static void maps_of(struct np_cluster *c, const char *pod, int fam, int dir,
		    struct maps *out)
{
	NP_OPTS(np_mapset_lpm_opts, eo, .layout = NP_LAYOUT_EKS);
	NP_OPTS(np_mapset_lpm_opts, co, .layout = NP_LAYOUT_EKS_CP);
	struct np_ruleset *rs = NULL;
	struct np_diag d;

	cr_assert_eq(np_ruleset_compile(&rs, c, "x", pod, NULL, &d), 0, "%s",
		     d.message);
	cr_assert_eq(np_mapset_encode(&out->ms, rs), 0);
	cr_assert_eq(np_mapset_lpm(out->ms, fam, dir, &eo, &out->m.np), 0);
	cr_assert_eq(np_mapset_lpm(out->ms, fam, dir, &co, &out->m.cp), 0);
	out->m.applied = true;
	np_ruleset_free(rs);
}

static void maps_free(struct maps *m)
{
	np_free(m->m.np.keys);
	np_free(m->m.np.values);
	np_free(m->m.cp.keys);
	np_free(m->m.cp.values);
	np_mapset_free(m->ms);
}

static const uint32_t *cp_slots(const struct maps *m, size_t i)
{
	return (const uint32_t *)((const uint8_t *)m->m.cp.values +
				  i * m->m.cp.value_size);
}

static bool agent(const struct maps *m, const char *ip, uint8_t proto,
		  uint16_t port)
{
	uint8_t a[16];

	cr_assert_eq(inet_pton(AF_INET, ip, a), 1);
	return agent_decide(&m->m, a, 4, NULL, proto, port);
}

/* "Everything except TCP 80": Deny TCP 80 at rank 0 over Accept any. */
Test(cpe, eks_cp_complement)
{
	struct np_cluster *c = with(CNPH(
		"no80", "Admin", 1,
		"{namespaces: {}}") "  egress:\n  - {action: Deny, to: [{networks: [0.0.0.0/0]}], "
				    "protocols: [{tcp: {destinationPort: {number: 80}}}]}\n");
	static const uint32_t want[8] = { 6, 0, 80, 0, 254, 11, 0, 0 };
	struct maps m;

	maps_of(c, "a", 4, EG, &m);
	cr_assert_eq(m.m.cp.count, 1);
	cr_expect_eq(m.m.cp.key_size, 8);
	cr_expect_eq(m.m.cp.value_size, 384);
	cr_expect_eq(((const uint32_t *)m.m.cp.keys)[0], 0, "a /0 key");
	cr_expect_arr_eq(cp_slots(&m, 0), want, sizeof(want));
	cr_expect_eq(cp_slots(&m, 0)[8], 0, "slot 2 unused");
	/* the NP map's same key: the deny marker, the cp map decides */
	cr_assert_eq(m.m.np.count, 1);
	cr_expect_eq(((const uint32_t *)m.m.np.values)[0], 255);
	cr_expect(!agent(&m, "8.8.8.8", 6, 80));
	cr_expect(agent(&m, "8.8.8.8", 6, 81));
	cr_expect(agent(&m, "8.8.8.8", 17, 80));
	/* whatever the agent's pod state */
	m.m.applied = false;
	cr_expect(!agent(&m, "8.8.8.8", 6, 80));
	maps_free(&m);
	/* IPv6 had no rule: one /0 allowing everything */
	maps_of(c, "a", 6, EG, &m);
	cr_assert_eq(m.m.cp.count, 1);
	cr_expect_eq(cp_slots(&m, 0)[0], 254);
	cr_expect_eq(cp_slots(&m, 0)[1], 1);
	maps_free(&m);
	np_cluster_free(c);
}

/*
 * An allow list: Accept ranges at rank 0 over Deny any at rank 1; with 24
 * ranges no slot is left for the Deny: no slot at all, the agent goes on
 * to the NP map's same key, which holds the 24.
 */
Test(cpe, eks_cp_allow_list_and_fall_through)
{
	char buf[8192], prot[4096];
	size_t n = 0, i;
	struct np_cluster *c;
	struct maps m;
	long k;

	for (i = 0; i < 24; i++)
		n += (size_t)snprintf(
			prot + n, sizeof(prot) - n,
			"%s{tcp: {destinationPort: {number: %zu}}}",
			i ? ", " : "", 1000 + 2 * i);
	snprintf(
		buf, sizeof(buf),
		CNPH("list", "Admin", 1,
		     "{namespaces: {}}") "  egress:\n"
					 "  - {action: Accept, to: [{pods: {podSelector: {matchLabels: "
					 "{app: b}}}}], protocols: [%s]}\n"
					 "  - {action: Accept, to: [{pods: {podSelector: {matchLabels: "
					 "{app: c}}}}], protocols: [{udp: {destinationPort: {number: "
					 "53}}}]}\n"
					 "  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}\n",
		prot);
	c = with(buf);
	maps_of(c, "a", 4, EG, &m);
	/* /0 (deny), b's /32, c's /32 */
	cr_assert_eq(m.m.cp.count, 3);
	for (k = 0; k < 3; k++) {
		const uint32_t *v = cp_slots(&m, (size_t)k);
		uint32_t addr;

		memcpy(&addr, (const uint8_t *)m.m.cp.keys + k * 8 + 4, 4);
		if (addr == htonl(0x0a010002)) {
			static const uint32_t zero[96];

			cr_expect_arr_eq(v, zero, sizeof(zero));
		} else if (addr == htonl(0x0a010003)) {
			static const uint32_t want[8] = { 17,  1,  53, 0,
							  254, 10, 0,  0 };

			cr_expect_arr_eq(v, want, sizeof(want));
		} else {
			cr_expect_eq(v[0], 254);
			cr_expect_eq(v[1], 0, "Deny any at rank 0");
		}
	}
	cr_expect(agent(&m, "10.1.0.2", 6, 1046));
	cr_expect(!agent(&m, "10.1.0.2", 6, 1047));
	cr_expect(agent(&m, "10.1.0.3", 17, 53));
	cr_expect(!agent(&m, "10.1.0.3", 6, 53));
	cr_expect(!agent(&m, "10.9.9.9", 6, 1046));
	maps_free(&m);
	np_cluster_free(c);
}

/* Without tiers: no cp entry; the NP map as it always was. */
Test(cpe, eks_cp_empty_without_tiers)
{
	struct np_cluster *c = with(
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: n, namespace: x}\nspec:\n  podSelector: {}\n"
		"  ingress: [{ports: [{port: 80}]}]\n");
	static const uint32_t want[3] = { 6, 80, 0 };
	struct maps m;

	maps_of(c, "a", 4, IN, &m);
	cr_expect_eq(m.m.cp.count, 0);
	cr_assert_eq(m.m.np.count, 1);
	cr_expect_arr_eq(m.m.np.values, want, sizeof(want));
	maps_free(&m);
	np_cluster_free(c);
}

/* What the agent's slots cannot say is -ENOTSUP, never a guess. */
Test(cpe, eks_refuses_mixed_other_protocols)
{
	NP_OPTS(np_mapset_lpm_opts, co, .layout = NP_LAYOUT_EKS_CP);
	struct np_map_entry e = { .cidr = { .family = 4 }, .portset = 0 };
	struct np_portset ps = { .count = 1 };
	struct np_mapset ms = { .portsets = &ps,
				.nportsets = 1,
				.tiered = true };
	struct np_mapset_lpm_data d;

	/* ICMP allowed, every other protocol denied */
	ps.slots[0].lo = 1u << 16;
	ps.slots[0].hi = 1u << 16 | 0xffff;
	ms.ent[0][0] = &e;
	ms.nent[0][0] = 1;
	ms.isolated[0] = true;
	cr_expect_eq(np_mapset_lpm(&ms, 4, IN, &co, &d), -ENOTSUP);
	cr_expect_eq(np_mapset_lpm(&ms, 4, IN, NULL, &d), 0);
	np_free(d.keys);
	np_free(d.values);
}

/*
 * The cp split never needs more slots than the rule set has: 23 denied
 * ports of a default allow are 24 ranges here and 23 Deny + 1 Accept
 * there; 24 denied ports are 25 ranges, which compiling refuses first
 * (-E2BIG, the diag names the pod), so nothing is truncated.
 */
Test(cpe, eks_cp_fits_what_compiles)
{
	char buf[8192], prot[4096];
	struct np_ruleset *rs = NULL;
	struct np_cluster *c;
	struct np_diag d;
	struct maps m;
	size_t n, i, k;

	for (k = 23; k <= 24; k++) {
		n = 0;
		for (i = 0; i < k; i++)
			n += (size_t)snprintf(
				prot + n, sizeof(prot) - n,
				"%s{tcp: {destinationPort: {number: %zu}}}",
				i ? ", " : "", 1000 + 2 * i);
		snprintf(buf, sizeof(buf),
			 CNPH("many", "Admin", 1,
			      "{namespaces: {}}") "  egress:\n"
						  "  - {action: Deny, to: "
						  "[{networks: [0.0.0.0/0]}], "
						  "protocols: [%s]}\n",
			 prot);
		c = with(buf);
		if (k == 24) {
			cr_expect_eq(np_ruleset_compile(&rs, c, "x", "a", NULL,
							&d),
				     -E2BIG);
			cr_expect_str_eq(d.object, "Pod x/a");
			cr_expect(strstr(d.message, "Too many: 25 port ranges"),
				  "%s", d.message);
			np_cluster_free(c);
			continue;
		}
		maps_of(c, "a", 4, EG, &m);
		cr_assert_eq(m.m.cp.count, 1);
		cr_expect_eq(cp_slots(&m, 0)[22 * 4 + 2], 1044);
		cr_expect_eq(cp_slots(&m, 0)[23 * 4], 254);
		cr_expect_eq(cp_slots(&m, 0)[23 * 4 + 1], 11);
		cr_expect(!agent(&m, "8.8.8.8", 6, 1044));
		cr_expect(agent(&m, "8.8.8.8", 6, 1045));
		maps_free(&m);
		np_cluster_free(c);
	}
}
