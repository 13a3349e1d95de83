// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Wrong types in every field of a NetworkPolicy, CIDRs at every edge, and
 * what input makes the compiler do: policies whose peers expand to every
 * pod, and more port ranges than an LPM value holds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>

#include "hostile.h"
#include "np_limits.h"

/* --- wrong types -------------------------------------------------------- */

/* Every field is present, so that each can be replaced. */
static const char base_policy[] =
	"{\"apiVersion\": \"networking.k8s.io/v1\","
	" \"kind\": \"NetworkPolicy\","
	" \"metadata\": {\"name\": \"web\", \"namespace\": \"prod\","
	"  \"labels\": {\"app\": \"web\"}},"
	" \"spec\": {"
	"  \"podSelector\": {\"matchLabels\": {\"app\": \"web\"},"
	"   \"matchExpressions\": [{\"key\": \"tier\", \"operator\": \"In\","
	"    \"values\": [\"fe\"]}]},"
	"  \"policyTypes\": [\"Ingress\", \"Egress\"],"
	"  \"ingress\": [{\"from\": ["
	"    {\"podSelector\": {\"matchLabels\": {\"a\": \"b\"}},"
	"     \"namespaceSelector\": {\"matchLabels\": {\"c\": \"d\"}}},"
	"    {\"ipBlock\": {\"cidr\": \"10.0.0.0/8\","
	"     \"except\": [\"10.1.0.0/16\"]}}],"
	"   \"ports\": [{\"protocol\": \"TCP\", \"port\": 80,"
	"    \"endPort\": 90}]}],"
	"  \"egress\": [{\"to\": [{\"ipBlock\": {\"cidr\": \"0.0.0.0/0\"}}],"
	"   \"ports\": [{\"protocol\": \"UDP\", \"port\": \"dns\"}]}]}}";

/* A field and the type it takes. */
struct field {
	const char *path;
	const char *want; /* "string", "object", "list", "integer" */
	bool int_or_string; /* ports: a number or a name */
	bool enumerated; /* a string from a set: "Unsupported value" */
};

/* A plain field, an enumerated string, a number-or-name port. */
#define F(p, w)                    \
	{                          \
		p, w, false, false \
	}
#define E(p, w)                   \
	{                         \
		p, w, false, true \
	}
#define N(p, w)                   \
	{                         \
		p, w, true, false \
	}

static const struct field fields[] = {
	F("apiVersion", "string"),
	F("kind", "string"),
	F("metadata", "object"),
	F("metadata.name", "string"),
	F("metadata.namespace", "string"),
	F("metadata.labels", "object"),
	F("metadata.labels.app", "string"),
	F("spec", "object"),
	F("spec.podSelector", "object"),
	F("spec.podSelector.matchLabels", "object"),
	F("spec.podSelector.matchLabels.app", "string"),
	F("spec.podSelector.matchExpressions", "list"),
	F("spec.podSelector.matchExpressions[0]", "object"),
	F("spec.podSelector.matchExpressions[0].key", "string"),
	F("spec.podSelector.matchExpressions[0].operator", "string"),
	F("spec.podSelector.matchExpressions[0].values", "list"),
	F("spec.podSelector.matchExpressions[0].values[0]", "string"),
	F("spec.policyTypes", "list"),
	E("spec.policyTypes[0]", "string"),
	E("spec.policyTypes[1]", "string"),
	F("spec.ingress", "list"),
	F("spec.ingress[0]", "object"),
	F("spec.ingress[0].from", "list"),
	F("spec.ingress[0].from[0]", "object"),
	F("spec.ingress[0].from[0].podSelector", "object"),
	F("spec.ingress[0].from[0].podSelector.matchLabels", "object"),
	F("spec.ingress[0].from[0].podSelector.matchLabels.a", "string"),
	F("spec.ingress[0].from[0].namespaceSelector", "object"),
	F("spec.ingress[0].from[0].namespaceSelector.matchLabels", "object"),
	F("spec.ingress[0].from[0].namespaceSelector.matchLabels.c", "string"),
	F("spec.ingress[0].from[1]", "object"),
	F("spec.ingress[0].from[1].ipBlock", "object"),
	F("spec.ingress[0].from[1].ipBlock.cidr", "string"),
	F("spec.ingress[0].from[1].ipBlock.except", "list"),
	F("spec.ingress[0].from[1].ipBlock.except[0]", "string"),
	F("spec.ingress[0].ports", "list"),
	F("spec.ingress[0].ports[0]", "object"),
	F("spec.ingress[0].ports[0].protocol", "string"),
	N("spec.ingress[0].ports[0].port", "integer"),
	F("spec.ingress[0].ports[0].endPort", "integer"),
	F("spec.egress", "list"),
	F("spec.egress[0]", "object"),
	F("spec.egress[0].to", "list"),
	F("spec.egress[0].to[0]", "object"),
	F("spec.egress[0].to[0].ipBlock", "object"),
	F("spec.egress[0].to[0].ipBlock.cidr", "string"),
	F("spec.egress[0].ports", "list"),
	F("spec.egress[0].ports[0]", "object"),
	F("spec.egress[0].ports[0].protocol", "string"),
	N("spec.egress[0].ports[0].port", "integer"),
};

/* The wrong values: JSON text, np__node_type_name, how diags quote it. */
static const struct {
	const char *json, *type, *repr;
} subs[] = {
	{ "\"x\"", "string", "\"x\"" },
	{ "[1]", "list", "[...]" },
	{ "{\"a\": 1}", "object", "{...}" },
	{ "true", "boolean", "true" },
	{ "7", "integer", "7" },
	{ "2.5", "number", "2.5" },
};

/* Replace the value at path (a.b[0].c) in root; false when absent. */
static bool set_path(json_t *root, const char *path, json_t *v)
{
	char buf[256], *p = buf, *tok;
	json_t *cur = root, *parent = NULL;
	const char *key = NULL;
	size_t idx = 0;
	bool is_idx = false;

	snprintf(buf, sizeof(buf), "%s", path);
	while (*p) {
		parent = cur;
		if (*p == '[') {
			idx = strtoul(p + 1, &p, 10);
			p++; /* ] */
			is_idx = true;
			cur = json_array_get(parent, idx);
		} else {
			if (*p == '.')
				p++;
			tok = p;
			while (*p && *p != '.' && *p != '[')
				p++;
			key = tok;
			if (*p) {
				char c = *p;

				*p = '\0';
				cur = json_object_get(parent, key);
				key = strdup(key);
				*p = c;
			} else {
				cur = json_object_get(parent, key);
				key = strdup(key);
			}
			is_idx = false;
		}
		if (!cur)
			return false;
		if (*p && !is_idx)
			free((char *)key);
	}
	if (is_idx)
		return !json_array_set_new(parent, idx, v);
	cr_assert(!json_object_set_new(parent, key, v));
	free((char *)key);
	return true;
}

Test(types, base_is_valid)
{
	struct np_cluster *c = h_cluster();
	struct h_buf b = { 0 };
	struct h_load r;

	h_printf(&b, "%s", base_policy);
	h_load(c, &b, NP_FORMAT_JSON, false, &r);
	cr_assert_eq(r.ret, 0, "%s: %s", r.diag.path, r.diag.message);
	cr_assert_eq(np_cluster_count(c, NP_KIND_NETWORK_POLICY), 1);
	np_cluster_free(c);
	h_free(&b);
}

Test(types, every_field, .timeout = 20)
{
	size_t f, s, n = 0;

	for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		const struct field *fd = &fields[f];

		for (s = 0; s < sizeof(subs) / sizeof(subs[0]); s++) {
			struct np_cluster *c;
			json_error_t je;
			json_t *root, *v;
			struct h_buf b = { 0 };
			struct h_load r;
			char *text, want[256];

			if (!strcmp(subs[s].type, fd->want) ||
			    (fd->int_or_string &&
			     !strcmp(subs[s].type, "string")))
				continue;
			root = json_loads(base_policy, 0, &je);
			cr_assert_not_null(root);
			v = json_loads(subs[s].json, JSON_DECODE_ANY, &je);
			cr_assert_not_null(v);
			cr_assert(set_path(root, fd->path, v), "%s", fd->path);
			text = json_dumps(root, JSON_COMPACT);
			h_printf(&b, "%s", text);
			free(text);
			json_decref(root);

			c = h_cluster();
			h_load(c, &b, NP_FORMAT_JSON, false, &r);
			n++;
			cr_expect_eq(r.ret, -EINVAL, "%s = %s: returned %d",
				     fd->path, subs[s].json, r.ret);
			cr_expect_str_eq(r.diag.path, fd->path,
					 "%s = %s: path \"%s\": %s", fd->path,
					 subs[s].json, r.diag.path,
					 r.diag.message);
			if (fd->enumerated)
				snprintf(want, sizeof(want),
					 "Unsupported value: %s: supported "
					 "values: ",
					 subs[s].repr);
			else
				snprintf(want, sizeof(want),
					 "Invalid type: expected %s, got %s: "
					 "%s",
					 fd->want, subs[s].type, subs[s].repr);
			cr_expect(!strncmp(r.diag.message, want, strlen(want)),
				  "%s = %s: message \"%s\", want \"%s\"",
				  fd->path, subs[s].json, r.diag.message, want);
			cr_expect_eq(
				np_cluster_count(c, NP_KIND_NETWORK_POLICY), 0);
			np_cluster_free(c);
			h_free(&b);
		}
	}
	cr_log_info("%zu substitutions", n);
}

/* --- CIDRs -------------------------------------------------------------- */

struct cidr_case {
	const char *cidr;
	const char *norm; /* NULL: rejected */
};

static const struct cidr_case cidrs[] = {
	{ "0.0.0.0/0", "0.0.0.0/0" },
	{ "1.2.3.4/0", "0.0.0.0/0" },
	{ "192.0.2.1/32", "192.0.2.1/32" },
	{ "10.1.2.3/8", "10.0.0.0/8" },
	{ "192.168.1.255/23", "192.168.0.0/23" },
	{ "255.255.255.255/31", "255.255.255.254/31" },
	{ "::/0", "::/0" },
	{ "2001:db8::1/128", "2001:db8::1/128" },
	{ "2001:db8::1/32", "2001:db8::/32" },
	{ "2001:DB8::/32", "2001:db8::/32" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127" },
	{ "::ffff:1.2.3.0/120", "::ffff:1.2.3.0/120" },
	{ "::ffff:1.2.3.4/120", "::ffff:1.2.3.0/120" },
	{ "::ffff:1.2.3.4/128", "::ffff:1.2.3.4/128" },
	{ "10.0.0.0/33", NULL },
	{ "::/129", NULL },
	{ "::ffff:1.2.3.0/129", NULL },
	{ "10.0.0.0/08", NULL },
	{ "10.0.0.0/00", NULL },
	{ "010.0.0.0/8", NULL },
	{ "10.0.0.00/8", NULL },
	{ "", NULL },
	{ "/", NULL },
	{ "/8", NULL },
	{ "10.0.0.0/", NULL },
	{ "10.0.0.0", NULL },
	{ "2001:db8::1", NULL },
	{ "10.0.0.0/-1", NULL },
	{ "10.0.0.0/+8", NULL },
	{ "10.0.0.0/ 8", NULL },
	{ "10.0.0.0/8 ", NULL },
	{ " 10.0.0.0/8", NULL },
	{ "10.0.0.0/8/8", NULL },
	{ "10.0.0.0/4294967304", NULL },
	{ "10.0.0.0/18446744073709551624", NULL },
	{ "1.2.3/8", NULL },
	{ "1.2.3.4.5/8", NULL },
	{ "256.0.0.0/8", NULL },
	{ "0x0a.0.0.0/8", NULL },
	{ "fe80::1%eth0/64", NULL },
	{ "2001:db8:::/48", NULL },
	{ "2001:db8::/48x", NULL },
	{ "10.0.0.0\\u0000/8", NULL },
};

#define NCIDRS (sizeof(cidrs) / sizeof(cidrs[0]))

/* Indices: pointers of the parent mean nothing in a test's process. */
ParameterizedTestParameters(cidr, edges)
{
	static size_t idx[NCIDRS];
	size_t i;

	for (i = 0; i < NCIDRS; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, NCIDRS);
}

ParameterizedTest(size_t *i, cidr, edges)
{
	const struct cidr_case *tc = &cidrs[*i];
	struct np_cluster *c = h_cluster();
	struct h_buf b = { 0 };
	struct h_load r;
	char *out = NULL, want[128];
	bool nul = strstr(tc->cidr, "\\u0000") != NULL;

	/* JSON so that every character reaches the parser as written */
	h_printf(&b,
		 "{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": "
		 "\"NetworkPolicy\", \"metadata\": {\"name\": \"web\", "
		 "\"namespace\": \"prod\"}, \"spec\": {\"ingress\": "
		 "[{\"from\": [{\"ipBlock\": {\"cidr\": \"%s\"}}]}]}}",
		 tc->cidr);
	h_load(c, &b, NP_FORMAT_JSON, false, &r);
	if (nul) {
		/* jansson refuses NUL in strings */
		cr_expect_eq(r.ret, -EINVAL);
		cr_expect_str_eq(r.diag.path, "");
	} else if (!tc->norm) {
		cr_expect_eq(r.ret, -EINVAL, "%s: %d", tc->cidr, r.ret);
		cr_expect_str_eq(r.diag.path,
				 "spec.ingress[0].from[0].ipBlock.cidr");
		snprintf(want, sizeof(want),
			 "Invalid value: \"%s\": must be "
			 "a valid CIDR value",
			 tc->cidr);
		cr_expect(!strncmp(r.diag.message, want, strlen(want)),
			  "%s: %s", tc->cidr, r.diag.message);
	} else {
		cr_assert_eq(r.ret, 0, "%s: %s: %s", tc->cidr, r.diag.path,
			     r.diag.message);
		cr_assert_eq(np_cluster_export(c, NP_KIND_NETWORK_POLICY,
					       NP_FORMAT_JSON, &out),
			     0);
		snprintf(want, sizeof(want), "\"%s\"", tc->norm);
		cr_expect(strstr(out, want), "%s: want %s in\n%s", tc->cidr,
			  tc->norm, out);
		np_free(out);
	}
	np_cluster_free(c);
	h_free(&b);
}

/* except must be a strict subset of cidr: equal or outside is refused. */
Test(cidr, except_edges)
{
	static const struct {
		const char *cidr, *except;
		bool ok;
	} t[] = {
		{ "10.0.0.0/8", "10.0.0.0/9", true },
		{ "10.0.0.0/8", "10.255.255.255/32", true },
		{ "10.0.0.0/8", "10.0.0.0/8", false },
		{ "10.0.0.0/8", "10.9.9.9/8", false }, /* masked: equal */
		{ "10.0.0.0/8", "11.0.0.0/9", false },
		{ "10.0.0.0/8", "0.0.0.0/0", false },
		{ "10.0.0.0/8", "::ffff:10.0.0.0/104", false },
		{ "::/0", "::ffff:0:0/96", true },
		{ "::/0", "10.0.0.0/8", false },
		{ "0.0.0.0/0", "0.0.0.0/1", true },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct np_cluster *c = h_cluster();
		struct h_buf b = { 0 };
		struct h_load r;

		h_printf(&b,
			 "{\"apiVersion\": \"networking.k8s.io/v1\", "
			 "\"kind\": \"NetworkPolicy\", \"metadata\": "
			 "{\"name\": \"web\", \"namespace\": \"prod\"}, "
			 "\"spec\": {\"ingress\": [{\"from\": "
			 "[{\"ipBlock\": {\"cidr\": \"%s\", \"except\": "
			 "[\"%s\"]}}]}]}}",
			 t[i].cidr, t[i].except);
		h_load(c, &b, NP_FORMAT_JSON, false, &r);
		if (t[i].ok) {
			cr_expect_eq(r.ret, 0, "%s except %s: %s", t[i].cidr,
				     t[i].except, r.diag.message);
		} else {
			cr_expect_eq(r.ret, -EINVAL, "%s except %s", t[i].cidr,
				     t[i].except);
			cr_expect_str_eq(r.diag.path,
					 "spec.ingress[0].from[0].ipBlock."
					 "except[0]");
			cr_expect(strstr(r.diag.message,
					 "must be a strict subset of `cidr`"),
				  "%s except %s: %s", t[i].cidr, t[i].except,
				  r.diag.message);
		}
		np_cluster_free(c);
		h_free(&b);
	}
}

/* --- what the compiler is asked to do ----------------------------------- */

#define NNS 100
#define PODS_PER_NS 100

/* 10000 pods in 100 namespaces, and the given policies. */
static void big_cluster(struct h_buf *b, const char *policies)
{
	size_t n, p;

	for (n = 0; n < NNS; n++) {
		h_printf(b,
			 "---\n{apiVersion: v1, kind: Namespace, metadata: "
			 "{name: ns%zu, labels: {team: t%zu}}}\n",
			 n, n % 7);
		for (p = 0; p < PODS_PER_NS; p++)
			h_printf(b,
				 "---\n{apiVersion: v1, kind: Pod, "
				 "metadata: {name: p%zu, namespace: ns%zu, "
				 "labels: {app: a%zu}}, spec: {containers: "
				 "[{name: c, ports: [{name: http, "
				 "containerPort: 8080}]}]}, status: {phase: "
				 "Running, hostIP: 192.0.2.%zu, podIPs: "
				 "[{ip: 10.%zu.%zu.1}, {ip: "
				 "\"fd00::%zu:%zu\"}]}}\n",
				 p, n, p % 5, n % 200 + 1, n, p, n, p);
	}
	h_printf(b, "%s", policies);
}

/* Every pod to every pod, with named ports: bounded time and memory. */
Test(compile, peers_expand_to_every_pod, .timeout = 20)
{
	struct np_cluster *c = h_cluster();
	struct h_buf b = { 0 };
	struct h_load r;
	struct np_diag d;
	struct np_verdict v;
	size_t before, n, p, keys = 0;
	double t;

	if (h_valgrind())
		cr_skip_test("10000 pods take minutes under valgrind");
	big_cluster(
		&b,
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: all, namespace: ns0}\nspec:\n"
		"  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"
		"  ingress:\n  - from: [{namespaceSelector: {}}]\n"
		"    ports: [{port: http}, {port: 53, protocol: UDP}]\n"
		"  egress:\n"
		"  - to: [{namespaceSelector: {}, podSelector: {}}]\n"
		"    ports: [{port: http}]\n"
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: team, namespace: ns1}\nspec:\n"
		"  podSelector: {matchLabels: {app: a1}}\n"
		"  ingress:\n  - from: [{namespaceSelector: {matchExpressions: "
		"[{key: team, operator: NotIn, values: [t3]}]}}]\n");
	h_load(c, &b, NP_FORMAT_YAML, false, &r);
	cr_assert_eq(r.ret, 0, "%s: %s", r.diag.path, r.diag.message);
	cr_assert_eq(np_cluster_count(c, NP_KIND_POD), NNS * PODS_PER_NS);

	h_peak_reset();
	before = h_rss_kib();
	t = h_now();
	for (n = 0; n < NNS; n++) {
		for (p = 0; p < PODS_PER_NS; p++) {
			struct np_ruleset *rs = NULL;
			struct np_mapset *ms = NULL;
			char ns[16], name[16];

			snprintf(ns, sizeof(ns), "ns%zu", n);
			snprintf(name, sizeof(name), "p%zu", p);
			cr_assert_eq(np_ruleset_compile(&rs, c, ns, name, NULL,
							&d),
				     0, "%s/%s: %s", ns, name, d.message);
			/* the policed ones: encode their maps */
			if (n < 2) {
				cr_assert_eq(np_mapset_encode(&ms, rs), 0);
				keys += np_mapset_count(ms, 4,
							NP_DIRECTION_INGRESS);
				np_mapset_free(ms);
			}
			if (n == 0 && p == 0) {
				/* from anywhere in the cluster, on http */
				cr_assert_eq(np_ruleset_verdict(
						     rs, NP_DIRECTION_INGRESS,
						     "10.99.99.1",
						     NP_PROTOCOL_TCP, 8080, &v),
					     0);
				cr_expect(v.allowed);
				cr_assert_eq(np_ruleset_verdict(
						     rs, NP_DIRECTION_INGRESS,
						     "10.99.99.1",
						     NP_PROTOCOL_TCP, 8081, &v),
					     0);
				cr_expect(!v.allowed);
				cr_assert_eq(np_ruleset_verdict(
						     rs, NP_DIRECTION_INGRESS,
						     "203.0.113.1",
						     NP_PROTOCOL_TCP, 8080, &v),
					     0);
				cr_expect(!v.allowed);
			}
			np_ruleset_free(rs);
		}
	}
	t = h_now() - t;
	cr_log_info("10000 pods compiled in %.2fs, %zu v4 ingress keys in "
		    "ns0..ns1, +%zu KiB",
		    t, keys, h_growth_kib(before));
	/* time is the benchmarks' (bench_compile); the timeout is a hang guard */
	cr_expect_lt(h_growth_kib(before) / 1024, h_mem_bound_mib());
	np_cluster_free(c);
	h_free(&b);
}

/*
 * The reachability matrix over 10000 pods would be 10^8 cells: it refuses
 * with -E2BIG before any work (it took minutes without the limit).
 */
Test(compile, matrix_over_many_pods, .timeout = 20)
{
	struct np_cluster *c = h_cluster();
	struct h_buf b = { 0 };
	struct h_load r;
	struct np_diag d;
	char *out = NULL;
	size_t before;
	double t;
	int err;

	if (h_valgrind())
		cr_skip_test("10000 pods take minutes under valgrind");
	big_cluster(
		&b,
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: all, namespace: ns0}\nspec:\n"
		"  podSelector: {}\n"
		"  ingress:\n  - from: [{namespaceSelector: {}}]\n");
	h_load(c, &b, NP_FORMAT_YAML, false, &r);
	cr_assert_eq(r.ret, 0);
	h_peak_reset();
	before = h_rss_kib();
	t = h_now();
	err = np_cluster_matrix(c, NULL, NP_FORMAT_TEXT, &out, &d);
	t = h_now() - t;
	cr_log_info("matrix: %d in %.2fs, %zu bytes, +%zu KiB: %s", err, t,
		    out ? strlen(out) : 0, h_growth_kib(before), d.message);
	cr_expect_eq(err, -E2BIG);
	cr_expect_eq(d.err, -E2BIG);
	cr_expect_str_eq(d.message,
			 "matrix: 10000 pods, 1 ports, 1 protocols: "
			 "Too many cells: must have at most 4194304");
	cr_expect_null(out);
	cr_expect_lt(h_growth_kib(before) / 1024, h_mem_bound_mib());
	np_free(out);
	np_cluster_free(c);
	h_free(&b);
}

/* 25 disjoint ranges under one prefix: -E2BIG naming everything. */
Test(compile, more_than_24_port_ranges)
{
	struct np_cluster *c = h_cluster();
	struct h_buf b = { 0 };
	struct np_ruleset *rs = NULL;
	struct h_load r;
	struct np_diag d;
	int i, err;

	h_printf(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: p, "
		     "namespace: prod}\nstatus: {phase: Running, podIP: "
		     "10.0.0.1}\n---\napiVersion: networking.k8s.io/v1\n"
		     "kind: NetworkPolicy\nmetadata: {name: a, namespace: "
		     "prod}\nspec:\n  podSelector: {}\n  ingress:\n"
		     "  - from: [{ipBlock: {cidr: 192.0.2.0/24}}]\n"
		     "    ports:\n");
	for (i = 0; i < 12; i++)
		h_printf(&b, "    - {port: %d, endPort: %d}\n", 1000 + 10 * i,
			 1001 + 10 * i);
	h_printf(&b, "---\napiVersion: networking.k8s.io/v1\n"
		     "kind: NetworkPolicy\nmetadata: {name: b, namespace: "
		     "prod}\nspec:\n  podSelector: {}\n  ingress:\n"
		     "  - from: [{ipBlock: {cidr: 192.0.2.0/24}}]\n"
		     "    ports:\n");
	for (i = 0; i < 13; i++)
		h_printf(&b, "    - {port: %d, protocol: UDP}\n", 2000 + 2 * i);
	h_load(c, &b, NP_FORMAT_YAML, false, &r);
	cr_assert_eq(r.ret, 0, "%s", r.diag.message);
	err = np_ruleset_compile(&rs, c, "prod", "p", NULL, &d);
	cr_expect_eq(err, -E2BIG);
	cr_expect_null(rs);
	cr_expect_eq(d.err, -E2BIG);
	cr_expect_str_eq(d.object, "Pod prod/p");
	cr_expect_str_eq(d.path, "ingress");
	cr_expect_str_eq(d.message,
			 "192.0.2.0/24: Too many: 25 port ranges: must have "
			 "at most 24 (policies: prod/a ingress[0], prod/b "
			 "ingress[0])");
	np_ruleset_free(rs);

	/* 24 is fine: drop one range of b */
	cr_assert_eq(np_cluster_delete(c, NP_KIND_NETWORK_POLICY, "prod", "b"),
		     0);
	h_free(&b);
	h_printf(&b, "apiVersion: networking.k8s.io/v1\n"
		     "kind: NetworkPolicy\nmetadata: {name: b, namespace: "
		     "prod}\nspec:\n  podSelector: {}\n  ingress:\n"
		     "  - from: [{ipBlock: {cidr: 192.0.2.0/24}}]\n"
		     "    ports:\n");
	for (i = 0; i < 12; i++)
		h_printf(&b, "    - {port: %d, protocol: UDP}\n", 2000 + 2 * i);
	h_load(c, &b, NP_FORMAT_YAML, false, &r);
	cr_assert_eq(r.ret, 0);
	cr_expect_eq(np_ruleset_compile(&rs, c, "prod", "p", NULL, &d), 0, "%s",
		     d.message);
	np_ruleset_free(rs);
	np_cluster_free(c);
	h_free(&b);
}

/*
 * 100000 policies (22 MiB) that all select one pod, one rule each. The
 * provenance of a rule set's keys was looked up linearly (ruleset.c,
 * prov_add), so compiling was quadratic: 20000 took 1.2 s, 65000 12 s,
 * 100000 about 30 s. It is hashed now: the timeout catches the quadratic
 * one (no time is asserted: speed is for the benchmarks).
 */
Test(compile, many_policies_one_pod, .timeout = 20)
{
	struct np_cluster *c = h_cluster();
	struct np_ruleset *rs = NULL;
	struct h_buf b = { 0 };
	struct h_load r;
	struct np_diag d;
	size_t i;
	double t;

	if (h_valgrind())
		cr_skip_test("100000 policies take minutes under valgrind");
	h_printf(&b, "---\n{apiVersion: v1, kind: Pod, metadata: {name: p, "
		     "namespace: a}, status: {phase: Running, podIP: "
		     "10.0.0.1}}\n");
	for (i = 0; i < 100000; i++)
		h_printf(&b,
			 "---\n{apiVersion: networking.k8s.io/v1, kind: "
			 "NetworkPolicy, metadata: {name: p%zu, namespace: "
			 "a}, spec: {podSelector: {}, ingress: [{from: "
			 "[{ipBlock: {cidr: %zu.%zu.%zu.0/24}}], ports: "
			 "[{port: 80}]}]}}\n",
			 i, 11 + (i >> 16), (i >> 8) & 255, i & 255);
	h_load(c, &b, NP_FORMAT_YAML, false, &r);
	cr_assert_eq(r.ret, 0, "%s", r.diag.message);
	t = h_now();
	cr_expect_eq(np_ruleset_compile(&rs, c, "a", "p", NULL, &d), 0);
	t = h_now() - t;
	cr_log_info("100000 policies compiled in %.2fs", t);
	np_ruleset_free(rs);
	np_cluster_free(c);
	h_free(&b);
}

/*
 * The PolicyEndpoints of a policy are named after it, plus "-" and five
 * hex digits. A long name, or one whose last label is long, must still
 * give names that validate, or the agent would refuse what the
 * controller wrote.
 */
#define E31 "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define E61 E31 "eeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define E63 E61 "ee"

Test(compile, endpoint_names_of_long_policy_names)
{
	static const char *const names[] = {
		/* 63-character last label */
		"a.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		"bbbbb",
		/* 57 characters, a cut right after a dot */
		"cccccccccccccccccccccccccccccccccccccccccccccccccccccccc.d",
		/* 253 characters */
		E63 "." E63 "." E63 "." E61,
	};
	struct np_cluster *c = h_cluster(), *c2 = h_cluster();
	struct h_buf b = { 0 };
	struct h_load r;
	struct np_diag d;
	char *pes = NULL;
	size_t i;

	h_printf(&b, "---\n{apiVersion: v1, kind: Pod, metadata: {name: p, "
		     "namespace: a}, status: {phase: Running, podIP: "
		     "10.0.0.1}}\n");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		h_printf(&b,
			 "---\n{apiVersion: networking.k8s.io/v1, kind: "
			 "NetworkPolicy, metadata: {name: \"%s\", "
			 "namespace: a}, spec: {podSelector: {}}}\n",
			 names[i]);
	h_load(c, &b, NP_FORMAT_YAML, false, &r);
	cr_assert_eq(r.ret, 0, "%s: %s", r.diag.object, r.diag.message);
	cr_assert_eq(np_cluster_endpoints(c, NP_FORMAT_YAML, &pes, &d), 0);
	h_free(&b);
	h_printf(&b, "%s", pes);
	h_load(c2, &b, NP_FORMAT_YAML, false, &r);
	cr_expect_eq(r.ret, 0, "%s: %s", r.diag.object, r.diag.message);
	cr_expect_eq(np_cluster_count(c2, NP_KIND_POLICY_ENDPOINT), 3);
	np_free(pes);
	np_cluster_free(c2);
	np_cluster_free(c);
	h_free(&b);
}
