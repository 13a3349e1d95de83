// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Namespace isolation. A policy in namespace a never changes the rule set
 * of a pod in another namespace, whatever it contains; one invalid policy
 * is reported and skipped without dropping anyone else's policies, which
 * keep being enforced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hostile.h"

#define NPODS 5
static const char *const nss[] = { "a", "b", "c" };

static void cluster_text(struct h_buf *b)
{
	size_t n, p;

	for (n = 0; n < 3; n++) {
		h_printf(b,
			 "---\n{apiVersion: v1, kind: Namespace, metadata: "
			 "{name: %s, labels: {team: %s}}}\n",
			 nss[n], nss[n]);
		for (p = 0; p < NPODS; p++)
			h_printf(b,
				 "---\n{apiVersion: v1, kind: Pod, "
				 "metadata: {name: %s%zu, namespace: %s, "
				 "labels: {app: x%zu, tier: t%zu}}, spec: "
				 "{containers: [{name: c, ports: [{name: "
				 "http, containerPort: 8080}, {name: dns, "
				 "containerPort: 53, protocol: UDP}]}]}, "
				 "status: {phase: Running, hostIP: "
				 "192.0.2.%zu, podIPs: [{ip: 10.%zu.0.%zu},"
				 " {ip: \"fd00::%zu:%zu\"}]}}\n",
				 nss[n], p, nss[n], p % 3, p % 2, n + 1, n + 1,
				 p + 1, n + 1, p + 1);
		h_printf(b,
			 "---\n{apiVersion: v1, kind: Service, metadata: "
			 "{name: s, namespace: %s}, spec: {selector: "
			 "{app: x0}, clusterIP: 10.96.%zu.1, ports: "
			 "[{port: 80, targetPort: http}]}}\n",
			 nss[n], n);
	}
}

/* The policies of b and c: isolated, with rules naming a. */
static const char others[] =
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: deny, namespace: b}\nspec:\n  podSelector: {}\n"
	"  policyTypes: [Ingress, Egress]\n"
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: from-a, namespace: b}\nspec:\n"
	"  podSelector: {matchLabels: {app: x0}}\n"
	"  ingress:\n  - from: [{namespaceSelector: {matchLabels: "
	"{team: a}}}]\n    ports: [{port: http}]\n"
	"  egress:\n  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: "
	"[10.0.0.0/8]}}]\n    ports: [{port: 53, protocol: UDP}]\n"
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: web, namespace: c}\nspec:\n"
	"  podSelector: {matchExpressions: [{key: tier, operator: In, "
	"values: [t0]}]}\n"
	"  ingress:\n  - from: [{podSelector: {}, namespaceSelector: {}}]\n"
	"    ports: [{port: 8080, endPort: 8090}]\n";

static struct np_cluster *make(bool with_others)
{
	struct np_cluster *c = h_cluster();
	struct h_buf b = { 0 };
	struct h_load r;

	cluster_text(&b);
	if (with_others)
		h_printf(&b, "%s", others);
	h_load(c, &b, NP_FORMAT_YAML, false, &r);
	cr_assert_eq(r.ret, 0, "%s: %s: %s", r.diag.object, r.diag.path,
		     r.diag.message);
	h_free(&b);
	return c;
}

/* Hashes of every pod of b and c, both sources of rules. */
static void hashes(struct np_cluster *c, uint64_t *out)
{
	size_t n, p, k = 0;
	struct np_diag d;

	for (n = 1; n < 3; n++) {
		for (p = 0; p < NPODS; p++) {
			struct np_ruleset *rs = NULL;
			char name[16];

			snprintf(name, sizeof(name), "%s%zu", nss[n], p);
			cr_assert_eq(np_ruleset_compile(&rs, c, nss[n], name,
							NULL, &d),
				     0, "%s/%s: %s", nss[n], name, d.message);
			out[k++] = np_ruleset_hash(rs);
			np_ruleset_free(rs);
		}
	}
}

/* A deterministic generator, so that a failure names its seed. */
static uint64_t rnd_state;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rnd_state >> 33) % n;
}

static void rnd_selector(struct h_buf *b)
{
	static const char *const keys[] = { "app", "tier", "team",
					    "kubernetes.io/metadata.name" };
	static const char *const vals[] = { "x0", "x1", "t0", "a", "b", "c" };
	static const char *const ops[] = { "In", "NotIn", "Exists",
					   "DoesNotExist" };
	unsigned i, n;

	switch (rnd(4)) {
	case 0:
		h_printf(b, "{}");
		return;
	case 1:
		h_printf(b, "{matchLabels: {%s: %s}}", keys[rnd(4)],
			 vals[rnd(6)]);
		return;
	default:
		h_printf(b, "{matchExpressions: [");
		for (i = 0, n = 1 + rnd(3); i < n; i++) {
			unsigned op = rnd(4);

			h_printf(b, "%s{key: %s, operator: %s%s%s%s}",
				 i ? ", " : "", keys[rnd(4)], ops[op],
				 op < 2 ? ", values: [" : "",
				 op < 2 ? vals[rnd(6)] : "", op < 2 ? "]" : "");
		}
		h_printf(b, "]}");
	}
}

static void rnd_peer(struct h_buf *b)
{
	static const char *const cidrs[] = {
		"0.0.0.0/0",	       "10.0.0.0/8",	"10.2.0.0/16",
		"10.2.0.1/32",	       "10.3.0.0/24",	"::/0",
		"fd00::/16",	       "fd00::2:0/112", "192.0.2.0/24",
		"::ffff:10.2.0.0/112",
	};

	switch (rnd(5)) {
	case 0:
		h_printf(b, "{podSelector: ");
		rnd_selector(b);
		h_printf(b, "}");
		break;
	case 1:
		h_printf(b, "{namespaceSelector: ");
		rnd_selector(b);
		h_printf(b, "}");
		break;
	case 2:
		h_printf(b, "{namespaceSelector: ");
		rnd_selector(b);
		h_printf(b, ", podSelector: ");
		rnd_selector(b);
		h_printf(b, "}");
		break;
	default: {
		const char *c = cidrs[rnd(10)];

		h_printf(b, "{ipBlock: {cidr: \"%s\"%s}}", c,
			 !strcmp(c, "0.0.0.0/0") && rnd(2) ?
				 ", except: [10.2.0.0/16, 10.1.0.0/24]" :
			 !strcmp(c, "::/0") && rnd(2) ?
				 ", except: [\"fd00::2:0/112\"]" :
				 "");
	}
	}
}

/* ", ports: [...]" or nothing. */
static void rnd_ports(struct h_buf *b, bool first)
{
	static const char *const ports[] = {
		"{port: http}",
		"{port: dns, protocol: UDP}",
		"{port: 80}",
		"{port: 8080, endPort: 8090}",
		"{protocol: SCTP}",
		"{port: 1, endPort: 65535}",
		"{port: 53, protocol: UDP}",
		"{protocol: UDP}",
	};
	unsigned i, n = rnd(4);

	if (!n)
		return;
	h_printf(b, "%sports: [", first ? "" : ", ");
	for (i = 0; i < n; i++)
		h_printf(b, "%s%s", i ? ", " : "", ports[rnd(8)]);
	h_printf(b, "]");
}

/* Up to three rules, each a flow map {from: [...], ports: [...]}. */
static void rnd_rules(struct h_buf *b, const char *dir, const char *peers)
{
	unsigned i, j, n = rnd(4), np;

	if (!n)
		return;
	h_printf(b, "  %s:\n", dir);
	for (i = 0; i < n; i++) {
		h_printf(b, "  - {");
		np = rnd(4);
		if (np) {
			h_printf(b, "%s: [", peers);
			for (j = 0; j < np; j++) {
				if (j)
					h_printf(b, ", ");
				rnd_peer(b);
			}
			h_printf(b, "]");
		}
		rnd_ports(b, !np);
		h_printf(b, "}\n");
	}
}

static void rnd_policy(struct h_buf *b, unsigned k)
{
	static const char *const types[] = {
		"",
		"  policyTypes: [Ingress]\n",
		"  policyTypes: [Egress]\n",
		"  policyTypes: [Ingress, Egress]\n",
	};

	h_printf(b,
		 "---\napiVersion: networking.k8s.io/v1\n"
		 "kind: NetworkPolicy\nmetadata: {name: p%u, namespace: "
		 "a}\nspec:\n  podSelector: ",
		 k);
	rnd_selector(b);
	h_printf(b, "\n%s", types[rnd(4)]);
	rnd_rules(b, "ingress", "from");
	rnd_rules(b, "egress", "to");
}

Test(isolation, policies_in_a_never_change_b_or_c, .timeout = 60)
{
	struct np_cluster *c = make(true), *ref;
	uint64_t base[2 * NPODS], now[2 * NPODS];
	size_t loaded = 0, invalid = 0;
	unsigned seed, k;

	hashes(c, base);
	/* the rules of b and c do not depend on whether a has any policy */
	ref = make(true);
	hashes(ref, now);
	cr_assert_arr_eq(base, now, sizeof(base));
	np_cluster_free(ref);

	for (seed = 1; seed <= 10; seed++) {
		rnd_state = seed;
		for (k = 0; k < 40; k++) {
			struct h_buf b = { 0 };
			struct h_load r;

			rnd_policy(&b, rnd(8));
			h_load(c, &b, NP_FORMAT_YAML, true, &r);
			cr_assert_eq(r.ret, 0, "seed %u policy %u: %s: %s",
				     seed, k, r.diag.path, r.diag.message);
			if (r.ndiag)
				invalid++;
			else
				loaded++;
			hashes(c, now);
			cr_assert_arr_eq(base, now, sizeof(base),
					 "seed %u policy %u changed another "
					 "namespace:\n%s",
					 seed, k, b.p);
			if (!rnd(5))
				np_cluster_delete(c, NP_KIND_NETWORK_POLICY,
						  "a", "p0");
			h_free(&b);
		}
	}
	cr_log_info("%zu random policies in a applied, %zu refused", loaded,
		    invalid);
	cr_expect_gt(loaded, 300);
	np_cluster_free(c);
}

/* Whatever the policy text: bytes in a's policy never reach b. */
Test(isolation, hostile_policy_text_in_a)
{
	static const char *const bodies[] = {
		/* a namespace field in the wrong place */
		"  podSelector: {}\n  namespace: b\n"
		"  ingress: [{from: [{namespaceSelector: {}}]}]\n",
		/* selectors that name b's labels and pods */
		"  podSelector: {matchLabels: {team: b}}\n"
		"  ingress: [{from: [{podSelector: {matchLabels: {app: x0}}, "
		"namespaceSelector: {matchLabels: {team: b}}}]}]\n"
		"  egress: [{to: [{ipBlock: {cidr: 10.2.0.0/16}}]}]\n",
		/* b's pod addresses and every port */
		"  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"
		"  ingress: [{from: [{ipBlock: {cidr: 10.2.0.1/32}}], ports: "
		"[{port: 1, endPort: 65535}, {protocol: UDP}, {protocol: "
		"SCTP}]}]\n  egress: [{}]\n",
	};
	struct np_cluster *c = make(true);
	uint64_t base[2 * NPODS], now[2 * NPODS];
	size_t i;

	hashes(c, base);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct h_buf b = { 0 };
		struct h_load r;

		h_printf(&b,
			 "apiVersion: networking.k8s.io/v1\nkind: "
			 "NetworkPolicy\nmetadata: {name: h%zu, namespace: "
			 "a}\nspec:\n%s",
			 i, bodies[i]);
		h_load(c, &b, NP_FORMAT_YAML, true, &r);
		cr_assert_eq(r.ret, 0);
		hashes(c, now);
		cr_expect_arr_eq(base, now, sizeof(base), "body %zu", i);
		h_free(&b);
	}
	np_cluster_free(c);
}

/* Decide a flow to pod dst from src ("ns/pod" or an address). */
static bool allowed(struct np_cluster *c, const char *src, const char *dst,
		    enum np_protocol proto, uint16_t port)
{
	struct np_verdict v;
	struct np_diag d;

	cr_assert_eq(np_cluster_verdict(c, src, dst, proto, port, NULL, &v, &d),
		     0, "%s -> %s: %s", src, dst, d.message);
	return v.allowed;
}

static void check_enforced(struct np_cluster *c)
{
	/* b/b0 (app x0) admits a on http only */
	cr_expect(allowed(c, "a/a1", "b/b0", NP_PROTOCOL_TCP, 8080));
	cr_expect(!allowed(c, "a/a1", "b/b0", NP_PROTOCOL_TCP, 8081));
	cr_expect(!allowed(c, "c/c1", "b/b0", NP_PROTOCOL_TCP, 8080));
	/* b/b1 admits nobody */
	cr_expect(!allowed(c, "a/a1", "b/b1", NP_PROTOCOL_TCP, 8080));
	/* b egress: DNS outside 10/8 only */
	cr_expect(allowed(c, "b/b0", "198.51.100.1", NP_PROTOCOL_UDP, 53));
	cr_expect(!allowed(c, "b/b0", "198.51.100.1", NP_PROTOCOL_TCP, 53));
	cr_expect(!allowed(c, "b/b1", "198.51.100.1", NP_PROTOCOL_UDP, 53));
	/* c tier t0 admits the cluster on 8080-8090, not outsiders */
	cr_expect(allowed(c, "a/a1", "c/c0", NP_PROTOCOL_TCP, 8085));
	cr_expect(!allowed(c, "a/a1", "c/c0", NP_PROTOCOL_TCP, 8091));
	cr_expect(!allowed(c, "203.0.113.1", "c/c0", NP_PROTOCOL_TCP, 8085));
	cr_expect(allowed(c, "203.0.113.1", "c/c1", NP_PROTOCOL_TCP, 9));
}

struct diags {
	size_t n;
	struct np_diag d[8];
};

static void collect(void *ctx, const struct np_diag *d)
{
	struct diags *ds = ctx;

	if (ds->n < 8)
		ds->d[ds->n] = *d;
	ds->n++;
}

static const char bad_in_a[] =
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: bad, namespace: a}\nspec:\n  podSelector: {}\n"
	"  ingress:\n  - from: [{ipBlock: {cidr: 10.0.0.0/33}}]\n";
static const char good_in_a[] =
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: good, namespace: a}\nspec:\n  podSelector: {}\n"
	"  ingress:\n  - from: [{podSelector: {}}]\n";

Test(isolation, invalid_policy_skipped_others_enforced)
{
	struct np_cluster *c = make(false), *ref = make(true);
	uint64_t want[2 * NPODS], got[2 * NPODS];
	struct diags ds = { 0 };
	struct np_diag d;
	struct h_buf b = { 0 };
	NP_OPTS(np_load_opts, o, .skip_invalid = true, .on_diag = collect,
		.diag_ctx = &ds);
	int ret;

	/* the invalid policy sits between the valid ones */
	h_printf(&b, "%s%s%s", good_in_a, bad_in_a, others);
	ret = np_cluster_load_buffer(c, b.p, b.len, "mixed", &o, &d);
	cr_assert_eq(ret, 0, "%s", d.message);
	cr_assert_eq(ds.n, 1);
	cr_expect_eq(ds.d[0].err, -EINVAL);
	cr_expect_str_eq(ds.d[0].object, "NetworkPolicy a/bad");
	cr_expect_str_eq(ds.d[0].path, "spec.ingress[0].from[0].ipBlock.cidr");
	cr_expect_str_eq(ds.d[0].file, "mixed");
	cr_expect_eq(ds.d[0].line, 16);
	/* the first problem also lands in diag */
	cr_expect_str_eq(d.object, "NetworkPolicy a/bad");
	cr_expect_eq(np_cluster_count(c, NP_KIND_NETWORK_POLICY), 4);

	/* b and c got exactly the rules of a cluster without the bad one */
	hashes(c, got);
	hashes(ref, want);
	cr_expect_arr_eq(got, want, sizeof(got));
	check_enforced(c);
	/* and a's valid policy is there too: a admits only a */
	cr_expect(allowed(c, "a/a2", "a/a1", NP_PROTOCOL_TCP, 8080));
	cr_expect(!allowed(c, "b/b2", "a/a1", NP_PROTOCOL_TCP, 8080));

	/* all or nothing: the same input is refused as a whole */
	np_cluster_free(ref);
	ref = make(false);
	o.skip_invalid = false;
	ds.n = 0;
	ret = np_cluster_load_buffer(ref, b.p, b.len, "mixed", &o, &d);
	cr_expect_eq(ret, -EINVAL);
	cr_expect_str_eq(d.object, "NetworkPolicy a/bad");
	cr_expect_eq(np_cluster_count(ref, NP_KIND_NETWORK_POLICY), 0);
	np_cluster_free(ref);
	np_cluster_free(c);
	h_free(&b);
}

/* An invalid update keeps the previous version; others are untouched. */
Test(isolation, invalid_update_keeps_old_version)
{
	struct np_cluster *c = make(true);
	uint64_t before[2 * NPODS], after[2 * NPODS];
	struct np_ruleset *rs = NULL;
	struct h_buf b = { 0 };
	struct h_load r;
	uint64_t a1;

	h_printf(&b, "%s", good_in_a);
	h_load(c, &b, NP_FORMAT_YAML, false, &r);
	cr_assert_eq(r.ret, 0);
	cr_assert_eq(np_ruleset_compile(&rs, c, "a", "a1", NULL, NULL), 0);
	a1 = np_ruleset_hash(rs);
	np_ruleset_free(rs);
	hashes(c, before);
	h_free(&b);

	/* "good" again, now invalid, next to a valid change in c */
	h_printf(&b, "---\napiVersion: networking.k8s.io/v1\n"
		     "kind: NetworkPolicy\nmetadata: {name: good, namespace: "
		     "a}\nspec:\n  podSelector: {}\n  ingress:\n"
		     "  - ports: [{port: 0}]\n");
	h_load(c, &b, NP_FORMAT_YAML, true, &r);
	cr_assert_eq(r.ret, 0);
	cr_expect_eq(r.ndiag, 1);
	cr_expect_str_eq(r.first.path, "spec.ingress[0].ports[0].port");
	cr_assert_eq(np_ruleset_compile(&rs, c, "a", "a1", NULL, NULL), 0);
	cr_expect_eq(np_ruleset_hash(rs), a1, "the old version was dropped");
	np_ruleset_free(rs);
	hashes(c, after);
	cr_expect_arr_eq(before, after, sizeof(before));
	check_enforced(c);

	/* a syntax error anywhere rejects the whole input */
	h_free(&b);
	h_printf(&b, "%s---\n{bad: [}\n", bad_in_a);
	h_load(c, &b, NP_FORMAT_YAML, true, &r);
	cr_expect_eq(r.ret, -EINVAL);
	cr_expect_str_eq(r.diag.path, "");
	cr_expect_eq(np_cluster_count(c, NP_KIND_NETWORK_POLICY), 4);
	check_enforced(c);
	np_cluster_free(c);
	h_free(&b);
}

/*
 * The agent's view: a PolicyEndpoint lives in its policy's namespace and
 * lists that namespace's pods. One in namespace a that lists b's pods
 * (and a hostIP of its choosing, which rule sets always allow) must not
 * change b's rules.
 */
Test(isolation, policyendpoint_in_a_naming_b_pods)
{
	struct np_cluster *c = make(true);
	NP_OPTS(np_compile_opts, co, .source = NP_SOURCE_ENDPOINTS);
	struct np_ruleset *rs = NULL;
	struct np_verdict v;
	struct h_buf b = { 0 };
	struct h_load r;
	uint64_t before, after;
	char *pes = NULL;
	struct np_diag d;

	/* what the controller writes for b, loaded as the agent would */
	cr_assert_eq(np_cluster_endpoints(c, NP_FORMAT_YAML, &pes, &d), 0);
	h_printf(&b, "%s", pes);
	np_free(pes);
	h_load(c, &b, NP_FORMAT_YAML, false, &r);
	cr_assert_eq(r.ret, 0, "%s", r.diag.message);
	h_free(&b);
	cr_assert_eq(np_ruleset_compile(&rs, c, "b", "b1", &co, &d), 0, "%s",
		     d.message);
	before = np_ruleset_hash(rs);
	np_ruleset_free(rs);

	h_printf(&b, "apiVersion: networking.k8s.aws/v1alpha1\n"
		     "kind: PolicyEndpoint\nmetadata: {name: evil, namespace: "
		     "a}\nspec:\n  policyRef: {name: evil, namespace: a}\n"
		     "  podIsolation: [Ingress]\n"
		     "  podSelectorEndpoints:\n  - {name: b1, namespace: b, "
		     "podIP: 10.2.0.2, hostIP: 203.0.113.66}\n"
		     "  ingress:\n  - cidr: 0.0.0.0/0\n");
	h_load(c, &b, NP_FORMAT_YAML, false, &r);
	cr_assert_eq(r.ret, 0, "%s", r.diag.message);
	cr_assert_eq(np_ruleset_compile(&rs, c, "b", "b1", &co, &d), 0, "%s",
		     d.message);
	after = np_ruleset_hash(rs);
	cr_assert_eq(np_ruleset_verdict(rs, NP_DIRECTION_INGRESS,
					"198.51.100.7", NP_PROTOCOL_TCP, 22,
					&v),
		     0);
	cr_expect(!v.allowed, "a's PolicyEndpoint opened b/b1: %s", v.policies);
	cr_expect_eq(before, after,
		     "a PolicyEndpoint in a changed the rules of b/b1");
	np_ruleset_free(rs);
	np_cluster_free(c);
	h_free(&b);
}
