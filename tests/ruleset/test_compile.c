// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The compiler: resolution, normalization (exact except semantics, port
 * merging, the 24-slot limit), verdicts and map encodings.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netpol.h>

#include "../../bpf/netpol_abi.h"
#include "resolve.h"

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
		cr_assert_fail("load failed: %s", buf);
	}
	return c;
}

#define NS(n) "apiVersion: v1\nkind: Namespace\nmetadata: {name: " n "}\n---\n"

/* A running pod; ports is a flow list of container ports. */
#define POD(ns, name, labels, ip, ports)                                       \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: " name ", namespace: " ns \
	", labels: " labels "}\n"                                              \
	"spec: {containers: [{name: c, ports: " ports "}]}\n"                  \
	"status: {phase: Running, hostIP: 198.19.255.1, podIP: " ip "}\n---\n"

static struct np_ruleset *compile(struct np_cluster *c, const char *ns,
				  const char *name)
{
	struct np_ruleset *rs = NULL;
	struct np_diag d;
	int err = np_ruleset_compile(&rs, c, ns, name, NULL, &d);

	cr_assert_eq(err, 0, "compile %s/%s: %d %s", ns, name, err, d.message);
	return rs;
}

static bool allows(const struct np_ruleset *rs, enum np_direction dir,
		   const char *peer, enum np_protocol proto, uint16_t port)
{
	struct np_verdict v;

	cr_assert_eq(np_ruleset_verdict(rs, dir, peer, proto, port, &v), 0);
	return v.allowed;
}

#define IN NP_DIRECTION_INGRESS
#define EG NP_DIRECTION_EGRESS
#define TCP NP_PROTOCOL_TCP
#define UDP NP_PROTOCOL_UDP
#define SCTP NP_PROTOCOL_SCTP

static const char *base = NS("x") POD("x", "a", "{pod: a}", "198.18.1.1",
				      "[{name: http, containerPort: 8080}]")
	POD("x", "b", "{pod: b}", "198.18.1.2",
	    "[{name: http, containerPort: 9090}]");

static struct np_cluster *with(const char *policies)
{
	size_t n = strlen(base) + strlen(policies) + 1;
	char *buf = malloc(n);
	struct np_cluster *c;

	snprintf(buf, n, "%s%s", base, policies);
	c = load(buf);
	free(buf);
	return c;
}

#define NETPOL(name, spec)                                        \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" \
	"metadata: {name: " name ", namespace: x}\nspec: " spec "\n---\n"

Test(except, another_rule_still_allows_the_excepted_range)
{
	/* rule 0: 10/8 except 10.1/16, TCP 80; rule 1: 10.1/16 TCP 443 */
	struct np_cluster *c = with(NETPOL(
		"p",
		"{podSelector: {matchLabels: {pod: a}}, ingress: ["
		"{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}],"
		" ports: [{port: 80}]},"
		"{from: [{ipBlock: {cidr: 10.1.0.0/16}}], ports: [{port: 443}]}]}"));
	struct np_ruleset *rs = compile(c, "x", "a");

	cr_expect(allows(rs, IN, "10.2.3.4", TCP, 80));
	cr_expect(!allows(rs, IN, "10.2.3.4", TCP, 443));
	/* the except removes 80 for 10.1/16, the other rule keeps 443 */
	cr_expect(!allows(rs, IN, "10.1.3.4", TCP, 80));
	cr_expect(allows(rs, IN, "10.1.3.4", TCP, 443));
	cr_expect(!allows(rs, IN, "11.0.0.1", TCP, 80));
	np_ruleset_free(rs);
	np_cluster_free(c);
}

Test(except, excepted_range_reallowed_by_other_policy_and_nested)
{
	struct np_cluster *c = with(
		NETPOL("p1", "{podSelector: {}, ingress: [{from: [{ipBlock: "
			     "{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]}]}")
			NETPOL("p2",
			       "{podSelector: {}, ingress: [{from: [{ipBlock: "
			       "{cidr: 10.0.0.0/8}}], ports: [{port: 53, protocol: UDP}]}]}")
				NETPOL("p3",
				       "{podSelector: {}, ingress: [{from: [{ipBlock: "
				       "{cidr: 10.1.2.0/24}}]}]}"));
	struct np_ruleset *rs = compile(c, "x", "a");
	struct np_verdict v;

	/* p1 everything except 10.1/16; p2 UDP 53 everywhere in 10/8 */
	cr_expect(allows(rs, IN, "10.9.9.9", TCP, 22));
	cr_expect(!allows(rs, IN, "10.1.9.9", TCP, 22));
	cr_expect(allows(rs, IN, "10.1.9.9", UDP, 53));
	/* p3 re-allows all of 10.1.2/24 */
	cr_expect(allows(rs, IN, "10.1.2.9", TCP, 22));
	cr_assert_eq(np_ruleset_verdict(rs, IN, "10.1.9.9", TCP, 22, &v), 0);
	cr_expect_eq(v.reason, NP_REASON_PORT);
	cr_expect_str_eq(v.key, "10.1.0.0/16");
	cr_assert_eq(np_ruleset_verdict(rs, IN, "10.1.9.9", UDP, 53, &v), 0);
	cr_expect_str_eq(v.policies, "x/p2 ingress[0]");
	np_ruleset_free(rs);
	np_cluster_free(c);
}

Test(except, hole_key_and_no_deny_all_keys)
{
	/* only one rule: the except is a hole under its cidr */
	struct np_cluster *c = with(NETPOL(
		"p",
		"{podSelector: {}, ingress: [{from: [{ipBlock: "
		"{cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.1.2.0/24]}}]}]}"));
	struct np_ruleset *rs = compile(c, "x", "a");
	struct np_mapset *ms;
	struct np_verdict v;
	char *text;

	cr_assert_eq(np_ruleset_verdict(rs, IN, "10.1.0.1", TCP, 80, &v), 0);
	cr_expect(!v.allowed);
	cr_expect_eq(v.reason, NP_REASON_EXCEPT);
	/* 10.1.2/24 is inside 10.1/16: same (empty) set, no key of its own */
	cr_assert_eq(np_mapset_encode(&ms, rs), 0);
	cr_assert_eq(np_mapset_export(ms, NP_FORMAT_TEXT, &text), 0);
	cr_expect(strstr(text, "10.0.0.0/8") != NULL);
	cr_expect(strstr(text, "10.1.0.0/16  Value : deny") != NULL, "%s",
		  text);
	cr_expect(strstr(text, "10.1.2.0/24") == NULL, "%s", text);
	/* 10/8 and the hole: the node address is the datapath's, no key */
	cr_expect_eq(np_mapset_count(ms, 4, IN), 2);
	np_free(text);
	np_mapset_free(ms);
	np_ruleset_free(rs);
	np_cluster_free(c);
}

Test(ports, merged_and_coalesced)
{
	struct np_cluster *c = with(NETPOL(
		"p",
		"{podSelector: {matchLabels: {pod: a}}, ingress: [{ports: ["
		"{port: 80}, {port: 81}, {port: 82, endPort: 90},"
		"{port: 85, endPort: 100}, {port: 53, protocol: UDP},"
		"{port: 200, protocol: SCTP}]}]}"));
	struct np_ruleset *rs = compile(c, "x", "a");
	char *text;

	cr_assert_eq(np_ruleset_export(rs, NP_FORMAT_TEXT, &text), 0);
	cr_expect(strstr(text, "TCP 80-100, UDP 53, SCTP 200") != NULL, "%s",
		  text);
	cr_expect(allows(rs, IN, "203.0.113.1", TCP, 100));
	cr_expect(!allows(rs, IN, "203.0.113.1", TCP, 101));
	cr_expect(!allows(rs, IN, "203.0.113.1", TCP, 53));
	cr_expect(!allows(rs, IN, "203.0.113.1", TCP, 200));
	cr_expect(allows(rs, IN, "2001:db8::1", SCTP, 200));
	np_free(text);
	np_ruleset_free(rs);
	np_cluster_free(c);
}

Test(ports, any_port_and_any_protocol_subsume)
{
	struct np_cluster *c = with(
		NETPOL("p1",
		       "{podSelector: {}, ingress: [{ports: [{protocol: UDP},"
		       "{port: 80}]}]}")
			NETPOL("p2",
			       "{podSelector: {}, ingress: [{ports: [{port: 53, protocol: UDP}]}]}"));
	struct np_ruleset *rs = compile(c, "x", "a");
	char *text;

	cr_assert_eq(np_ruleset_export(rs, NP_FORMAT_TEXT, &text), 0);
	cr_expect(strstr(text, "0.0.0.0/0              TCP 80, UDP any") !=
			  NULL,
		  "%s", text);
	np_free(text);
	np_ruleset_free(rs);
	np_cluster_free(c);
	c = with(NETPOL("p1", "{podSelector: {}, ingress: [{}]}") NETPOL(
		"p2", "{podSelector: {}, ingress: [{ports: [{port: 53}]}]}"));
	rs = compile(c, "x", "a");
	cr_assert_eq(np_ruleset_export(rs, NP_FORMAT_TEXT, &text), 0);
	cr_expect(strstr(text, "0.0.0.0/0              all") != NULL, "%s",
		  text);
	cr_expect(allows(rs, IN, "::1", SCTP, 9));
	np_free(text);
	np_ruleset_free(rs);
	np_cluster_free(c);
}

static char *many_ports(int n)
{
	size_t cap = 4096 + (size_t)n * 32;
	char *buf = malloc(cap);
	int i, off;

	off = snprintf(buf, cap,
		       NETPOL("wide",
			      "{podSelector: {}, ingress: [{ports: [%s]}]}"),
		       "%s");
	(void)off;
	{
		char *list = malloc(cap), *p = list;

		for (i = 0; i < n; i++)
			p += sprintf(p, "%s{port: %d}", i ? "," : "",
				     1000 + 2 * i);
		snprintf(
			buf, cap,
			"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			"metadata: {name: wide, namespace: x}\n"
			"spec: {podSelector: {}, ingress: [{ports: [%s]}]}\n",
			list);
		free(list);
	}
	return buf;
}

Test(slots, twenty_four_fit_twenty_five_are_e2big)
{
	char *pol = many_ports(24);
	struct np_cluster *c = with(pol);
	struct np_ruleset *rs = compile(c, "x", "a");
	struct np_diag d;
	int err;

	cr_expect(allows(rs, IN, "198.18.9.9", TCP, 1046));
	np_ruleset_free(rs);
	np_cluster_free(c);
	free(pol);

	pol = many_ports(25);
	c = with(pol);
	rs = NULL;
	err = np_ruleset_compile(&rs, c, "x", "a", NULL, &d);
	cr_expect_eq(err, -E2BIG);
	cr_expect_null(rs);
	cr_expect_str_eq(d.object, "Pod x/a");
	cr_expect_str_eq(d.path, "ingress");
	cr_expect_str_eq(d.message,
			 "0.0.0.0/0: Too many: 25 port ranges: must have at "
			 "most 24 (policies: x/wide ingress[0])");
	np_cluster_free(c);
	free(pol);
}

Test(named, ingress_resolves_per_selected_pod)
{
	struct np_cluster *c = with(NETPOL(
		"p", "{podSelector: {}, ingress: [{ports: [{port: http}]}]}"));
	struct np_ruleset *a = compile(c, "x", "a"), *b = compile(c, "x", "b");
	char *pe;

	cr_expect(allows(a, IN, "198.18.9.9", TCP, 8080));
	cr_expect(!allows(a, IN, "198.18.9.9", TCP, 9090));
	cr_expect(allows(b, IN, "198.18.9.9", TCP, 9090));
	cr_expect(!allows(b, IN, "198.18.9.9", TCP, 8080));
	/* two PolicyEndpoints: one per resolution */
	cr_assert_eq(np_cluster_endpoints(c, NP_FORMAT_JSON, &pe, NULL), 0);
	cr_expect(strstr(pe, "\"port\": 8080") && strstr(pe, "\"port\": 9090"));
	{
		const char *p = pe;
		int n = 0;

		while ((p = strstr(p, "\"kind\": \"PolicyEndpoint\"")))
			n++, p++;
		cr_expect_eq(n, 2);
	}
	np_free(pe);
	np_ruleset_free(a);
	np_ruleset_free(b);
	np_cluster_free(c);
}

Test(named, protocol_must_match_and_egress_uses_peer)
{
	struct np_cluster *c = with(
		NETPOL("in", "{podSelector: {matchLabels: {pod: a}}, ingress: "
			     "[{ports: [{port: http, protocol: UDP}]}]}")
			NETPOL("out",
			       "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress],"
			       " egress: [{ports: [{port: http}]}]}"));
	struct np_ruleset *a = compile(c, "x", "a");

	/* http is TCP on a: a UDP rule named http matches nothing */
	cr_expect(!allows(a, IN, "198.18.9.9", UDP, 8080));
	cr_expect(!allows(a, IN, "198.18.9.9", TCP, 8080));
	/* egress: http resolves on the peer b (9090), never outside */
	cr_expect(allows(a, EG, "198.18.1.2", TCP, 9090));
	cr_expect(!allows(a, EG, "198.18.1.2", TCP, 8080));
	cr_expect(!allows(a, EG, "203.0.113.9", TCP, 9090));
	np_ruleset_free(a);
	np_cluster_free(c);
}

Test(services, clusterip_allowed_only_when_every_backend_is)
{
	const char *svc =
		"apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: x}\n"
		"spec: {clusterIP: 198.18.128.1, selector: {app: web},"
		" ports: [{port: 80, targetPort: http}]}\n---\n" NS("y")
			POD("y", "w1", "{app: web}", "198.18.2.1",
			    "[{name: http, containerPort: 8080}]")
				POD("x", "w2", "{app: web}", "198.18.1.9",
				    "[{name: http, containerPort: 8080}]");
	char buf[8192];
	struct np_cluster *c;
	struct np_ruleset *a;

	/* a may reach x's web pods on 8080: the ClusterIP on 80 too */
	snprintf(
		buf, sizeof(buf), "%s%s", svc,
		NETPOL("out",
		       "{podSelector: {matchLabels: {pod: a}}, "
		       "policyTypes: [Egress], egress: [{to: [{podSelector: "
		       "{matchLabels: {app: web}}}], ports: [{port: 8080}]}]}"));
	c = with(buf);
	a = compile(c, "x", "a");
	cr_expect(allows(a, EG, "198.18.1.9", TCP, 8080));
	cr_expect(allows(a, EG, "198.18.128.1", TCP, 80));
	cr_expect(!allows(a, EG, "198.18.128.1", TCP, 8080));
	np_ruleset_free(a);
	np_cluster_free(c);

	/* a Service in y whose backend a may not reach: no ClusterIP */
	snprintf(
		buf, sizeof(buf), "%s%s%s", svc,
		"apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: y}\n"
		"spec: {clusterIP: 198.18.128.2, selector: {app: web},"
		" ports: [{port: 80, targetPort: 8080}]}\n---\n",
		NETPOL("out",
		       "{podSelector: {matchLabels: {pod: a}}, "
		       "policyTypes: [Egress], egress: [{to: [{podSelector: "
		       "{matchLabels: {app: web}}}], ports: [{port: 8080}]}]}"));
	c = with(buf);
	a = compile(c, "x", "a");
	cr_expect(!allows(a, EG, "198.18.2.1", TCP, 8080));
	cr_expect(!allows(a, EG, "198.18.128.2", TCP, 80));
	cr_expect(allows(a, EG, "198.18.128.1", TCP, 80));
	np_ruleset_free(a);
	np_cluster_free(c);
}

Test(types, defaulting_and_explicit)
{
	struct np_cluster *c = with(
		NETPOL("e", "{podSelector: {matchLabels: {pod: a}}, egress: "
			    "[{to: [{ipBlock: {cidr: 203.0.113.0/24}}]}]}")
			NETPOL("i",
			       "{podSelector: {matchLabels: {pod: b}}, policyTypes: [Egress],"
			       " ingress: [{}]}"));
	struct np_ruleset *a = compile(c, "x", "a"), *b = compile(c, "x", "b");
	struct np_verdict v;

	/* egress rules without policyTypes: both directions isolated */
	cr_expect(!allows(a, IN, "198.18.1.2", TCP, 80));
	cr_expect(allows(a, EG, "203.0.113.7", TCP, 80));
	cr_expect(!allows(a, EG, "203.0.114.7", TCP, 80));
	/* explicit Egress only: the ingress rule is ignored, ingress open */
	cr_assert_eq(np_ruleset_verdict(b, IN, "198.18.1.1", TCP, 80, &v), 0);
	cr_expect(v.allowed);
	cr_expect_eq(v.reason, NP_REASON_NOT_ISOLATED);
	cr_expect(!allows(b, EG, "198.18.1.1", TCP, 80));
	np_ruleset_free(a);
	np_ruleset_free(b);
	np_cluster_free(c);
}

Test(verdict, reasons_node_self_and_cluster)
{
	struct np_cluster *c = with(NETPOL("deny", "{podSelector: {}}"));
	struct np_ruleset *a = compile(c, "x", "a");
	struct np_verdict v;
	struct np_diag d;

	cr_assert_eq(np_ruleset_verdict(a, IN, "198.19.255.1", TCP, 80, &v), 0);
	cr_expect(v.allowed);
	cr_expect_eq(v.reason, NP_REASON_NODE);
	cr_assert_eq(np_ruleset_verdict(a, IN, "198.18.1.2", TCP, 80, &v), 0);
	cr_expect(!v.allowed);
	cr_expect_eq(v.reason, NP_REASON_NO_MATCH);
	cr_assert_eq(np_cluster_verdict(c, "x/a", "x/a", TCP, 80, NULL, &v, &d),
		     0);
	cr_expect(v.allowed);
	cr_expect_eq(v.reason, NP_REASON_SELF);
	cr_assert_eq(np_cluster_verdict(c, "x/a", "x/b", TCP, 80, NULL, &v, &d),
		     0);
	cr_expect(!v.allowed);
	cr_expect_eq(v.direction, NP_DIRECTION_INGRESS);
	/* egress is open: a pod reaches an external address */
	cr_assert_eq(np_cluster_verdict(c, "x/a", "203.0.113.1", UDP, 53, NULL,
					&v, &d),
		     0);
	cr_expect(v.allowed);
	cr_expect_eq(np_cluster_verdict(c, "x/nope", "x/a", TCP, 80, NULL, &v,
					&d),
		     -ENOENT);
	cr_expect_str_eq(d.object, "Pod x/nope");
	cr_expect_eq(np_cluster_verdict(c, "1.2.3.4", "5.6.7.8", TCP, 80, NULL,
					&v, &d),
		     -EINVAL);
	cr_expect_eq(np_ruleset_verdict(a, IN, "not-an-ip", TCP, 80, &v),
		     -EINVAL);
	cr_expect_eq(np_ruleset_verdict(a, IN, "1.2.3.4", 1, 80, &v), -EINVAL);
	np_ruleset_free(a);
	np_cluster_free(c);
}

Test(selection, hostnetwork_and_finished_pods_are_not_selected)
{
	const char *extra =
		"apiVersion: v1\nkind: Pod\nmetadata: {name: h, namespace: x, labels: {pod: h}}\n"
		"spec: {hostNetwork: true, containers: [{name: c}]}\n"
		"status: {phase: Running, podIP: 198.19.255.1, hostIP: 198.19.255.1}\n---\n"
		"apiVersion: v1\nkind: Pod\nmetadata: {name: done, namespace: x, labels: {pod: d}}\n"
		"spec: {containers: [{name: c}]}\n"
		"status: {phase: Succeeded, podIP: 198.18.1.7}\n---\n" NETPOL(
			"p",
			"{podSelector: {}, ingress: [{from: [{podSelector: {}}]}]}");
	struct np_cluster *c = with(extra);
	struct np_ruleset *a = compile(c, "x", "a"), *h = compile(c, "x", "h");
	struct np_verdict v;

	cr_expect(allows(a, IN, "198.18.1.2", TCP, 1));
	cr_expect(!allows(a, IN, "198.18.1.7", TCP, 1));
	/* the hostNetwork pod is the node: allowed as such, never selected */
	cr_assert_eq(np_ruleset_verdict(h, IN, "198.18.1.1", TCP, 1, &v), 0);
	cr_expect_eq(v.reason, NP_REASON_NOT_ISOLATED);
	np_ruleset_free(a);
	np_ruleset_free(h);
	np_cluster_free(c);
}

Test(sharing, equal_rules_equal_hash_and_deterministic)
{
	struct np_cluster *c = with(NETPOL("p", "{podSelector: {}, ingress: "
						"[{ports: [{port: 80}]}]}"));
	struct np_ruleset *a = compile(c, "x", "a"), *b = compile(c, "x", "b");
	struct np_ruleset *a2 = compile(c, "x", "a");

	cr_expect_eq(np_ruleset_hash(a), np_ruleset_hash(b));
	cr_expect_eq(np_ruleset_hash(a), np_ruleset_hash(a2));
	cr_expect_neq(np_ruleset_hash(a), 0);
	np_ruleset_free(a);
	np_ruleset_free(a2);
	np_ruleset_free(b);
	np_cluster_free(c);
}

/* np_mapset_lpm() into separate out-params. */
static int lpm(const struct np_mapset *ms, int family, enum np_direction dir,
	       enum np_layout layout, uint32_t id, void **keys, size_t *ks,
	       void **vals, size_t *vs, size_t *n)
{
	NP_OPTS(np_mapset_lpm_opts, o, .layout = layout, .ruleset_id = id);
	struct np_mapset_lpm_data d = { 0 };
	int err = np_mapset_lpm(ms, family, dir, &o, &d);

	*keys = d.keys;
	*ks = d.key_size;
	*vals = d.values;
	*vs = d.value_size;
	*n = d.count;
	return err;
}

Test(encode, netpol_and_eks_layouts)
{
	struct np_cluster *c = with(NETPOL(
		"p", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: "
		     "[{ipBlock: {cidr: 10.1.0.0/16}}], ports: [{port: 80},"
		     "{port: 90, endPort: 99, protocol: UDP}]},"
		     "{from: [{ipBlock: {cidr: '2001:db8::/32'}}]}]}"));
	struct np_ruleset *rs = compile(c, "x", "a");
	struct np_mapset *ms;
	void *keys, *vals, *sets;
	size_t ks, vs, n, ss, nsets;
	struct np_lpm_key_v4 k4;
	struct np_lpm_value lv;
	struct np_portset ps;
	struct np_eks_value ev;
	uint32_t plen;

	cr_assert_eq(np_mapset_encode(&ms, rs), 0);
	/* 10.1/16; v6 2001:db8::/32 */
	cr_assert_eq(np_mapset_count(ms, 4, IN), 1);
	cr_assert_eq(np_mapset_count(ms, 6, IN), 1);
	cr_assert_eq(np_mapset_count(ms, 4, EG), 0);
	cr_assert_eq(lpm(ms, 4, IN, NP_LAYOUT_NETPOL, 7, &keys, &ks, &vals, &vs,
			 &n),
		     0);
	cr_assert_eq(ks, sizeof(k4));
	cr_assert_eq(vs, sizeof(lv));
	memcpy(&k4, keys, sizeof(k4));
	memcpy(&lv, vals, sizeof(lv));
	cr_expect_eq(k4.prefixlen, 32 + 16);
	cr_expect_eq(k4.ruleset, htonl(7));
	cr_expect_eq(k4.addr[0], 10);
	cr_expect_eq(k4.addr[1], 1);
	cr_assert_eq(np_mapset_portsets(ms, &sets, &ss, &nsets), 0);
	cr_assert_eq(ss, sizeof(ps));
	cr_assert_lt(lv.portset, nsets);
	memcpy(&ps, (char *)sets + lv.portset * ss, sizeof(ps));
	cr_expect_eq(ps.count, 2);
	cr_expect_eq(ps.flags, 0);
	cr_expect_eq(ps.slots[0].lo, 6u << 16 | 80);
	cr_expect_eq(ps.slots[0].hi, 6u << 16 | 80);
	cr_expect_eq(ps.slots[1].lo, 17u << 16 | 90);
	cr_expect_eq(ps.slots[1].hi, 17u << 16 | 99);
	np_free(keys);
	np_free(vals);
	np_free(sets);

	cr_assert_eq(lpm(ms, 4, IN, NP_LAYOUT_EKS, 0, &keys, &ks, &vals, &vs,
			 &n),
		     0);
	cr_assert_eq(ks, 8);
	cr_assert_eq(vs, 288);
	memcpy(&plen, keys, 4);
	cr_expect_eq(plen, 16);
	memcpy(&ev, vals, sizeof(ev));
	cr_expect_eq(ev.slots[0].protocol, 6);
	cr_expect_eq(ev.slots[0].start_port, 80);
	cr_expect_eq(ev.slots[0].end_port, 0);
	cr_expect_eq(ev.slots[1].protocol, 17);
	cr_expect_eq(ev.slots[1].start_port, 90);
	cr_expect_eq(ev.slots[1].end_port, 99);
	cr_expect_eq(ev.slots[2].protocol, 0);
	np_free(keys);
	np_free(vals);
	cr_assert_eq(lpm(ms, 6, IN, NP_LAYOUT_EKS, 0, &keys, &ks, &vals, &vs,
			 &n),
		     0);
	cr_expect_eq(ks, 20);
	cr_expect_eq(n, 1);
	memcpy(&plen, keys, 4);
	cr_expect_eq(plen, 32);
	/* no ports: any protocol, 254 */
	memcpy(&ev, vals, sizeof(ev));
	cr_expect_eq(ev.slots[0].protocol, 254);
	np_free(keys);
	np_free(vals);
	np_mapset_free(ms);
	np_ruleset_free(rs);
	np_cluster_free(c);
}

Test(encode, diff_counts_added_changed_removed)
{
	struct np_cluster *c = with(NETPOL(
		"p",
		"{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}},"
		"{ipBlock: {cidr: 11.0.0.0/8}}], ports: [{port: 80}]}]}"));
	struct np_ruleset *r1 = compile(c, "x", "a"), *r2;
	struct np_mapset *m1, *m2;
	struct np_mapset_diff_stats st;
	char *text;
	const char *upd = NETPOL(
		"p",
		"{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}],"
		" ports: [{port: 81}]}, {from: [{ipBlock: {cidr: 12.0.0.0/8}}],"
		" ports: [{port: 80}]}]}");

	cr_assert_eq(np_cluster_load_buffer(c, upd, strlen(upd), "u", NULL,
					    NULL),
		     0);
	r2 = compile(c, "x", "a");
	cr_assert_eq(np_mapset_encode(&m1, r1), 0);
	cr_assert_eq(np_mapset_encode(&m2, r2), 0);
	cr_assert_eq(np_mapset_diff(m1, m2, &st, &text), 0);
	cr_expect_eq(st.added, 1);
	cr_expect_eq(st.changed, 1);
	cr_expect_eq(st.removed, 1);
	cr_expect_str_eq(text, "~ ingress 10.0.0.0/8\n- ingress 11.0.0.0/8\n"
			       "+ ingress 12.0.0.0/8\n");
	np_free(text);
	cr_assert_eq(np_mapset_diff(m1, m1, &st, NULL), 0);
	cr_expect_eq(st.added + st.changed + st.removed, 0);
	np_mapset_free(m1);
	np_mapset_free(m2);
	np_ruleset_free(r1);
	np_ruleset_free(r2);
	np_cluster_free(c);
}

Test(endpoints, agent_view_from_policyendpoints)
{
	/* the EKS controller writes pod addresses without a prefix length */
	const char *pe =
		"apiVersion: networking.k8s.aws/v1alpha1\nkind: PolicyEndpoint\n"
		"metadata: {name: web-abcde, namespace: x}\n"
		"spec:\n  policyRef: {name: web, namespace: x}\n"
		"  podIsolation: [Ingress, Egress]\n"
		"  podSelectorEndpoints: [{podIP: 198.18.1.1, hostIP: 198.19.255.1,"
		" name: a, namespace: x}]\n"
		"  ingress: [{cidr: 198.18.1.2, ports: [{protocol: TCP, port: 80}]}]\n"
		"  egress: [{cidr: 0.0.0.0/0, except: [10.0.0.0/8]}]\n";
	NP_OPTS(np_compile_opts, o, .source = NP_SOURCE_ENDPOINTS);
	struct np_cluster *c = load(pe);
	struct np_ruleset *rs;
	struct np_verdict v;
	struct np_diag d;

	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", &o, &d), 0);
	cr_expect(allows(rs, IN, "198.18.1.2", TCP, 80));
	cr_expect(!allows(rs, IN, "198.18.1.3", TCP, 80));
	cr_expect(allows(rs, EG, "203.0.113.1", UDP, 53));
	cr_expect(!allows(rs, EG, "10.0.0.1", UDP, 53));
	cr_assert_eq(np_ruleset_verdict(rs, IN, "198.18.1.2", TCP, 80, &v), 0);
	cr_expect_str_eq(v.policies, "x/web ingress[0]");
	cr_expect_str_eq(v.key, "198.18.1.2/32");
	np_ruleset_free(rs);
	cr_expect_eq(np_ruleset_compile(&rs, c, "x", "zz", &o, &d), -ENOENT);
	np_cluster_free(c);
}

/*
 * Issue 13 item 9: a policyRef is not a validated name, and the policies
 * text of a verdict (printed by netpol verdict and explain, by flow
 * events, in exports) escapes it: C0, ESC, DEL, C1, a backslash.
 */
Test(endpoints, hostile_policy_ref_is_escaped)
{
	const char *pe =
		"apiVersion: networking.k8s.aws/v1alpha1\nkind: PolicyEndpoint\n"
		"metadata: {name: web-abcde, namespace: x}\n"
		"spec:\n  policyRef: {name: \"w\\u0085b\\nX\\e[31m\\x7f\\\\\", "
		"namespace: x}\n"
		"  podIsolation: [Ingress]\n"
		"  podSelectorEndpoints: [{podIP: 198.18.1.1, name: a, "
		"namespace: x}]\n"
		"  ingress: [{cidr: 198.18.1.2, ports: [{protocol: TCP, port: 80}]}]\n";
	NP_OPTS(np_compile_opts, o, .source = NP_SOURCE_ENDPOINTS);
	struct np_cluster *c = load(pe);
	struct np_ruleset *rs;
	struct np_verdict v;
	struct np_diag d;
	char *text = NULL;

	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", &o, &d), 0);
	cr_assert_eq(np_ruleset_verdict(rs, IN, "198.18.1.2", TCP, 80, &v), 0);
	cr_expect_str_eq(v.policies,
			 "x/w\\xc2\\x85b\\x0aX\\x1b[31m\\x7f\\\\ ingress[0]");
	cr_assert_eq(np_ruleset_export(rs, NP_FORMAT_TEXT, &text), 0);
	cr_expect(strstr(text, "[x/w\\xc2\\x85b\\x0aX\\x1b[31m\\x7f\\\\ "
			       "ingress[0]]\n"),
		  "%s", text);
	np_free(text);
	np_ruleset_free(rs);
	np_cluster_free(c);
}

Test(query, names_and_matrix)
{
	struct np_cluster *c = with(NETPOL(
		"p",
		"{podSelector: {matchLabels: {pod: b}},"
		"ingress: [{from: [{podSelector: {}}], ports: [{port: 80}]}]}"));
	NP_OPTS(np_matrix_opts, mo);
	char *names, *m;

	cr_assert_eq(np_cluster_names(c, NP_KIND_POD, &names), 0);
	cr_expect_str_eq(names, "x/a\nx/b\n");
	np_free(names);
	cr_assert_eq(np_cluster_names(c, NP_KIND_NAMESPACE, &names), 0);
	cr_expect_str_eq(names, "x\n");
	np_free(names);
	cr_assert_eq(np_cluster_matrix(c, &mo, NP_FORMAT_TEXT, &m, NULL), 0);
	cr_expect_str_eq(m, "TCP/80\n-\tx/a\tx/b\nx/a\t.\t.\nx/b\t.\t.\n");
	np_free(m);
	{
		uint16_t ports[] = { 81 };

		mo.ports = ports;
		mo.nports = 1;
		cr_assert_eq(
			np_cluster_matrix(c, &mo, NP_FORMAT_TEXT, &m, NULL), 0);
		cr_expect_str_eq(m,
				 "TCP/81\n-\tx/a\tx/b\nx/a\t.\tX\nx/b\t.\t.\n");
		np_free(m);
	}
	np_cluster_free(c);
}

Test(api, null_arguments)
{
	struct np_ruleset *rs;
	struct np_mapset *ms;
	struct np_verdict v;
	struct np_mapset_diff_stats st;
	char *s;
	void *k, *val;
	size_t a, b, n;

	cr_expect_eq(np_ruleset_compile(NULL, NULL, "x", "a", NULL, NULL),
		     -EINVAL);
	cr_expect_eq(np_ruleset_compile(&rs, NULL, "x", "a", NULL, NULL),
		     -EINVAL);
	cr_expect_eq(np_ruleset_export(NULL, NP_FORMAT_JSON, &s), -EINVAL);
	cr_expect_eq(np_ruleset_hash(NULL), 0);
	cr_expect_eq(np_ruleset_verdict(NULL, IN, "1.2.3.4", TCP, 1, &v),
		     -EINVAL);
	cr_expect_eq(np_cluster_verdict(NULL, "a", "b", TCP, 1, NULL, &v, NULL),
		     -EINVAL);
	cr_expect_eq(np_cluster_endpoints(NULL, NP_FORMAT_JSON, &s, NULL),
		     -EINVAL);
	cr_expect_eq(np_cluster_matrix(NULL, NULL, NP_FORMAT_TEXT, &s, NULL),
		     -EINVAL);
	cr_expect_eq(np_cluster_names(NULL, NP_KIND_POD, &s), -EINVAL);
	cr_expect_eq(np_mapset_encode(&ms, NULL), -EINVAL);
	cr_expect_eq(np_mapset_count(NULL, 4, IN), 0);
	cr_expect_eq(lpm(NULL, 4, IN, NP_LAYOUT_EKS, 0, &k, &a, &val, &b, &n),
		     -EINVAL);
	cr_expect_eq(np_mapset_portsets(NULL, &k, &a, &n), -EINVAL);
	cr_expect_eq(np_mapset_export(NULL, NP_FORMAT_TEXT, &s), -EINVAL);
	cr_expect_eq(np_mapset_diff(NULL, NULL, &st, NULL), -EINVAL);
	np_ruleset_free(NULL);
	np_mapset_free(NULL);
}

/* A pod the scheduler placed but the CNI has not given an address yet. */
#define POD_NOIP(ns, name, labels)                                             \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: " name ", namespace: " ns \
	", labels: " labels "}\n"                                              \
	"spec: {containers: [{name: c, ports: "                                \
	"[{name: http, containerPort: 8080}]}]}\n"                             \
	"status: {phase: Pending, hostIP: 198.19.255.1}\n---\n"

/* Issue 13 item 5: selection does not wait for the pod's address. */
static void expect_isolated(struct np_ruleset *rs)
{
	struct np_verdict v;

	cr_assert_eq(np_ruleset_verdict(rs, IN, "198.18.1.1", TCP, 80, &v), 0);
	cr_expect(!v.allowed, "a selected pod without an IP is unisolated");
	cr_expect_neq(v.reason, NP_REASON_NOT_ISOLATED);
	cr_assert_eq(np_ruleset_verdict(rs, EG, "198.18.1.1", TCP, 80, &v), 0);
	cr_expect(!v.allowed, "a selected pod without an IP is unisolated");
}

Test(selection, pod_without_ip_is_isolated)
{
	struct np_cluster *c = with(POD_NOIP("x", "n", "{pod: a}") NETPOL(
		"deny", "{podSelector: {matchLabels: "
			"{pod: a}}, policyTypes: [Ingress, "
			"Egress]}") NETPOL("web", "{podSelector: "
						  "{matchLabels: {pod: a}}, "
						  "ingress: [{ports: [{port: "
						  "http}]}]}"));
	struct np_ruleset *rs = compile(c, "x", "n");

	expect_isolated(rs);
	np_ruleset_free(rs);
	np_cluster_free(c);
}

Test(selection, pod_without_ip_is_isolated_incrementally)
{
	static const char pod[] = POD_NOIP("x", "n", "{pod: a}");
	struct np_cluster *c = with(NETPOL(
		"deny", "{podSelector: {matchLabels: {pod: a}}, policyTypes: "
			"[Ingress, Egress]}"));
	struct np_ruleset *rs = compile(c, "x", "a");
	struct np_diag d;

	np_ruleset_free(rs);
	/* the pod arrives after the context was built */
	cr_assert_eq(np_cluster_load_buffer(c, pod, strlen(pod), "n.yaml", NULL,
					    &d),
		     0);
	rs = compile(c, "x", "n");
	expect_isolated(rs);
	np_ruleset_free(rs);
	np_cluster_free(c);
}

/*
 * Issue 13 item 4(a): the API server accepts 4,097 ipBlocks in one rule
 * (far within its 1.5 MiB per object); so must we, and enforce them all.
 */
Test(limits, rule_with_4097_ipblocks_loads_and_is_enforced)
{
	static const char head[] =
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: wide, namespace: x}\n"
		"spec:\n  podSelector: {matchLabels: {pod: a}}\n"
		"  ingress:\n  - ports: [{port: 80}]\n    from:\n";
	size_t i, n = 4097, cap = sizeof(head) + n * 64;
	char *pol = malloc(cap), *p;
	struct np_cluster *c;
	struct np_ruleset *rs;

	cr_assert(pol);
	p = pol + sprintf(pol, "%s", head);
	/* 198.18.16.0 upwards, one /32 each: 198.18.16.0 .. 198.18.32.0 */
	for (i = 0; i < n; i++)
		p += sprintf(p, "    - ipBlock: {cidr: 198.18.%zu.%zu/32}\n",
			     16 + i / 256, i % 256);
	c = with(pol);
	free(pol);
	rs = compile(c, "x", "a");
	cr_expect(allows(rs, IN, "198.18.16.0", TCP, 80));
	cr_expect(allows(rs, IN, "198.18.32.0", TCP, 80), "the 4097th block");
	cr_expect(!allows(rs, IN, "198.18.32.1", TCP, 80));
	cr_expect(!allows(rs, IN, "198.18.32.0", TCP, 81));
	np_ruleset_free(rs);
	np_cluster_free(c);
}

/* Issue 13 item 6: two pods with one address are worth a warning. */
static char warned[4096];

static void log_warn(void *ctx, enum np_log_level lvl, const char *msg)
{
	(void)ctx;
	if (lvl <= NP_LOG_WARN)
		snprintf(warned + strlen(warned),
			 sizeof(warned) - strlen(warned), "%s\n", msg);
}

Test(addresses, two_pods_one_ip_warn_naming_both)
{
	static const char more[] =
		POD("y", "dup", "{pod: d}", "198.18.1.2", "[]");
	static const char third[] =
		POD("x", "late", "{pod: l}", "198.18.1.1", "[]");
	NP_OPTS(np_cluster_opts, co, .log = log_warn);
	struct np_cluster *c;
	struct np_ruleset *rs;
	char buf[1024];

	warned[0] = '\0';
	cr_assert_eq(np_cluster_new(&c, &co), 0);
	snprintf(buf, sizeof(buf), "%s%s", base, more);
	cr_assert_eq(np_cluster_load_buffer(c, buf, strlen(buf), "t.yaml", NULL,
					    NULL),
		     0);
	rs = compile(c, "x", "a");
	np_ruleset_free(rs);
	cr_expect(strstr(warned, "x/b") && strstr(warned, "y/dup") &&
			  strstr(warned, "198.18.1.2"),
		  "warned: %s", warned);
	cr_expect(!strstr(warned, "x/a"), "warned: %s", warned);
	/* a pod that arrives later with a taken address: warned too */
	warned[0] = '\0';
	cr_assert_eq(np_cluster_load_buffer(c, third, strlen(third), "l.yaml",
					    NULL, NULL),
		     0);
	rs = compile(c, "x", "a");
	np_ruleset_free(rs);
	cr_expect(strstr(warned, "x/a") && strstr(warned, "x/late") &&
			  strstr(warned, "198.18.1.1"),
		  "warned: %s", warned);
	np_cluster_free(c);
}

/*
 * The default cache budget: 16 KiB a pod while rule sets are compiled one
 * by one, the 2 MiB floor once a change tracker holds every pod's core;
 * an explicit budget stays.
 */
Test(cache, default_budget_shrinks_once_changes_track_pods)
{
	NP_OPTS(np_cluster_opts, o, .cache_bytes = 12345);
	struct np_cluster *c, *e;
	struct np_changes *ch;
	char pod[512];
	unsigned i;

	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	cr_assert_eq(np_cluster_new(&e, &o), 0);
	for (i = 0; i < 300; i++) {
		int n = snprintf(pod, sizeof(pod),
				 POD("x", "p%u", "{app: web}", "198.18.%u.%u",
				     "[]"),
				 i, i / 250, i % 250 + 1);

		cr_assert_eq(np_cluster_load_buffer(c, pod, (size_t)n, "t",
						    NULL, NULL),
			     0);
		cr_assert_eq(np_cluster_load_buffer(e, pod, (size_t)n, "t",
						    NULL, NULL),
			     0);
	}
	cr_assert_eq(np__ctx_cache_budget(c),
		     300 * NP_CLUSTER_CACHE_BYTES_PER_POD);
	cr_assert_eq(np__ctx_cache_budget(e), 12345);
	cr_assert_eq(np_cluster_changes(c, NULL, &ch, NULL), 0);
	cr_assert_eq(np_changes_count(ch), 300);
	np_changes_free(ch);
	cr_assert_eq(np__ctx_cache_budget(c), NP_CLUSTER_CACHE_BYTES_DEFAULT);
	cr_assert_eq(np_cluster_changes(e, NULL, &ch, NULL), 0);
	np_changes_free(ch);
	cr_assert_eq(np__ctx_cache_budget(e), 12345);
	np_cluster_free(c);
	np_cluster_free(e);
}
