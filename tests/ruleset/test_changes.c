// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Change sets (np_cluster_changes() and the np_changes_* accessors), the
 * cache budget (np_cluster_opts.cache_bytes) and np_cluster_trim(): hand
 * cases, and a differential test that applies random events to one
 * long-lived cluster, asks for its change set after each, and compares it
 * with a from-scratch compile of every pod in a mirror cluster: the pods
 * reported are exactly those whose rule-set hash differs from the last
 * step's, and each diff is exactly the difference of their map sets; the
 * PolicyEndpoints and ClusterPolicyEndpoints reported are exactly the
 * difference of the mirror's last two np_cluster_endpoints() exports.
 * The events include ClusterNetworkPolicies (both tiers, both API groups)
 * coming, changing and going. NP_SEEDS sets how many seeds (default 3,
 * 700 events each), NP_SEED runs one; a failure prints its seed and step.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netpol.h>

#include "../lib/random_policies.h"

#include "ruleset_internal.h"

static void apply(struct np_cluster *c, const char *text)
{
	struct np_diag d;
	int err = np_cluster_load_buffer(c, text, strlen(text), "op", NULL, &d);

	cr_assert_eq(err, 0, "%s: %s %s\n%s", d.object, d.path, d.message,
		     text);
}

static struct np_cluster *cluster(const char *text)
{
	struct np_cluster *c;

	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	if (text)
		apply(c, text);
	return c;
}

static struct np_changes *changes(struct np_cluster *c)
{
	struct np_changes *ch = NULL;
	struct np_diag d;
	int err = np_cluster_changes(c, NULL, &ch, &d);

	cr_assert_eq(err, 0, "np_cluster_changes: %d %s", err, d.message);
	cr_assert_not_null(ch);
	return ch;
}

/* "ns/name:K" for every change, K one of A C R; one string. */
static char *summary(const struct np_changes *ch)
{
	static const char kinds[] = "?ACR";
	size_t i, n = np_changes_count(ch), len = 1;
	struct np_change x;
	char *s, *p;

	for (i = 0; i < n; i++) {
		cr_assert_eq(np_changes_get(ch, i, &x), 0);
		len += strlen(x.ns) + strlen(x.name) + 4;
	}
	s = p = malloc(len);
	cr_assert_not_null(s);
	*p = '\0';
	for (i = 0; i < n; i++) {
		np_changes_get(ch, i, &x);
		p += sprintf(p, "%s%s/%s:%c", i ? " " : "", x.ns, x.name,
			     kinds[x.kind]);
	}
	return s;
}

#define POD(ns, name, labels, ip)                                              \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: " name ", namespace: " ns \
	", labels: " labels "}\n"                                              \
	"spec: {containers: [{name: c, ports: [{name: http, "                  \
	"containerPort: 8080}]}]}\n"                                           \
	"status: {phase: Running, hostIP: 198.19.255.1, podIP: " ip "}\n---\n"
#define DENY_ALL(ns)                                              \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" \
	"metadata: {name: deny, namespace: " ns "}\n"             \
	"spec: {podSelector: {}, policyTypes: [Ingress]}\n---\n"
#define FROM_WEB(ns)                                                     \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"        \
	"metadata: {name: from-web, namespace: " ns "}\n"                \
	"spec:\n  podSelector: {matchLabels: {app: db}}\n"               \
	"  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]," \
	" ports: [{port: 5432}]}]\n---\n"

static const char two_ns[] = POD("a", "web", "{app: web}", "198.18.0.1")
	POD("a", "db", "{app: db}", "198.18.0.2")
		POD("a", "other", "{app: x}", "198.18.0.3")
			POD("b", "web", "{app: web}", "198.18.1.1")
				POD("b", "db", "{app: db}", "198.18.1.2")
					FROM_WEB("a") FROM_WEB("b");

Test(changes, first_call_reports_every_pod_added_then_nothing)
{
	struct np_cluster *c = cluster(two_ns);
	struct np_mapset *ms;
	struct np_changes *ch = changes(c);
	struct np_change x;
	char *s = summary(ch);

	cr_assert_str_eq(s, "a/db:A a/other:A a/web:A b/db:A b/web:A");
	free(s);
	cr_assert_eq(np_changes_get(ch, 0, &x), 0);
	cr_assert_eq(x.old_hash, 0);
	cr_assert_neq(x.new_hash, 0);
	cr_assert_eq(x.err, 0);
	cr_assert(x.new_isolated[NP_DIRECTION_INGRESS]);
	cr_assert(!x.old_isolated[NP_DIRECTION_INGRESS]);
	/* a/db: 198.18.0.1/32 from web, and nothing before */
	cr_assert_eq(x.added[NP_DIRECTION_INGRESS][0], 1);
	cr_assert_eq(x.removed[NP_DIRECTION_INGRESS][0], 0);
	cr_assert_eq(np_ruleset_hash(np_changes_ruleset(ch, 0)), x.new_hash);
	cr_assert_eq(np_changes_mapset(&ms, ch, 0, true), 0);
	cr_assert_null(ms);
	cr_assert_eq(np_changes_mapset(&ms, ch, 0, false), 0);
	cr_assert_eq(np_mapset_count(ms, 4, NP_DIRECTION_INGRESS), 1);
	np_mapset_free(ms);
	np_changes_free(ch);
	ch = changes(c);
	cr_assert_eq(np_changes_count(ch), 0);
	cr_assert_eq(np__changes_compiled(ch), 0);
	np_changes_free(ch);
	np_cluster_free(c);
}

/*
 * With a ClusterNetworkPolicy, a NetworkPolicy's change still compiles
 * only the pods it selected or selects (a pod's change, every pod).
 */
Test(changes, policy_change_with_cluster_policy_compiles_its_pods)
{
	static const char wall[] =
		"apiVersion: policy.networking.k8s.io/v1alpha2\n"
		"kind: ClusterNetworkPolicy\nmetadata: {name: wall}\n"
		"spec:\n  tier: Admin\n  priority: 1\n"
		"  subject: {namespaces: {}}\n"
		"  ingress:\n  - {action: Deny, from: [{pods: {namespaceSelector:"
		" {}, podSelector: {matchLabels: {app: x}}}}]}\n";
	struct np_cluster *c = cluster(two_ns);
	struct np_changes *ch;
	char *s;

	apply(c, wall);
	ch = changes(c);
	cr_assert_eq(np_changes_count(ch), 5);
	np_changes_free(ch);
	/* namespace b's db now allows from every pod of b on 5432 */
	apply(c, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		 "metadata: {name: from-web, namespace: b}\n"
		 "spec:\n  podSelector: {matchLabels: {app: db}}\n"
		 "  ingress: [{from: [{podSelector: {}}],"
		 " ports: [{port: 5432}]}]\n");
	ch = changes(c);
	s = summary(ch);
	cr_assert_str_eq(s, "b/db:C");
	free(s);
	cr_assert_eq(np__changes_compiled(ch), 1);
	np_changes_free(ch);
	/* a pod's change reaches cluster policies: every pod again */
	apply(c, POD("a", "other", "{app: y}", "198.18.0.3"));
	ch = changes(c);
	cr_assert_eq(np__changes_compiled(ch), 5);
	np_changes_free(ch);
	np_cluster_free(c);
}

Test(changes, relabel_reports_and_compiles_only_what_it_reaches)
{
	struct np_cluster *c = cluster(two_ns);
	struct np_mapset *ms = NULL;
	struct np_changes *ch = changes(c);
	struct np_change x;
	char *s, *text;

	np_changes_free(ch);
	/* a/web is no longer web: a/db loses its only peer */
	apply(c, POD("a", "web", "{app: gone}", "198.18.0.1"));
	ch = changes(c);
	s = summary(ch);
	cr_assert_str_eq(s, "a/db:C");
	free(s);
	/* a/web itself and the pods from-web selects; never namespace b */
	cr_assert_leq(np__changes_compiled(ch), 2);
	cr_assert_eq(np_changes_get(ch, 0, &x), 0);
	cr_assert_eq(x.kind, NP_CHANGE_CHANGED);
	cr_assert_neq(x.old_hash, x.new_hash);
	cr_assert_eq(x.removed[NP_DIRECTION_INGRESS][0], 1);
	cr_assert_eq(x.added[NP_DIRECTION_INGRESS][0], 0);
	cr_assert_eq(x.changed[NP_DIRECTION_INGRESS][0], 0);
	cr_assert_eq(np_changes_diff(ch, 0, &text), 0);
	cr_assert_str_eq(text, "- ingress 198.18.0.1/32\n");
	np_free(text);
	cr_assert_eq(np_changes_get(ch, 1, &x), -ENOENT);
	cr_assert_eq(np_changes_diff(ch, 1, &text), -ENOENT);
	cr_assert_null(np_changes_ruleset(ch, 1));
	cr_assert_eq(np_changes_mapset(&ms, ch, 1, false), -ENOENT);
	cr_assert_null(ms);
	np_changes_free(ch);
	np_cluster_free(c);
}

Test(changes, policy_and_pod_removal_and_isolation_lines)
{
	struct np_cluster *c = cluster(two_ns);
	struct np_mapset *ms;
	struct np_changes *ch = changes(c);
	struct np_change x;
	char *s, *text;

	np_changes_free(ch);
	apply(c, DENY_ALL("b"));
	cr_assert_eq(np_cluster_delete(c, NP_KIND_POD, "a", "other"), 0);
	ch = changes(c);
	s = summary(ch);
	cr_assert_str_eq(s, "a/other:R b/web:C");
	free(s);
	cr_assert_eq(np_changes_get(ch, 0, &x), 0);
	cr_assert_eq(x.kind, NP_CHANGE_REMOVED);
	cr_assert_eq(x.new_hash, 0);
	cr_assert_neq(x.old_hash, 0);
	cr_assert_null(np_changes_ruleset(ch, 0));
	cr_assert_eq(np_changes_mapset(&ms, ch, 0, true), 0);
	cr_assert_not_null(ms);
	np_mapset_free(ms);
	cr_assert_eq(np_changes_mapset(&ms, ch, 0, false), 0);
	cr_assert_null(ms);
	cr_assert_eq(np_changes_get(ch, 1, &x), 0);
	cr_assert(!x.old_isolated[NP_DIRECTION_INGRESS]);
	cr_assert(x.new_isolated[NP_DIRECTION_INGRESS]);
	cr_assert_eq(np_changes_diff(ch, 1, &text), 0);
	cr_assert_str_eq(text, "isolated ingress true\n");
	np_free(text);
	np_changes_free(ch);
	np_cluster_free(c);
}

Test(changes, namespace_relabel_reaches_namespace_selector_peers)
{
	struct np_cluster *c = cluster(
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: "
		"{team: red}}\n---\n" POD("a", "web", "{app: web}", "198.18.0.1") POD(
			"b", "db", "{app: db}",
			"198.18.1.2") "apiVersion: networking.k8s.io/v1\nkind: "
				      "NetworkPolicy\nmetadata: {name: red, "
				      "namespace: b}\nspec:\n  podSelector: {}\n"
				      "  ingress: [{from: [{namespaceSelector: "
				      "{matchLabels: {team: red}}}]}]\n");
	struct np_changes *ch = changes(c);
	char *s;

	np_changes_free(ch);
	apply(c, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, "
		 "labels: {team: blue}}\n");
	ch = changes(c);
	s = summary(ch);
	cr_assert_str_eq(s, "b/db:C");
	free(s);
	np_changes_free(ch);
	np_cluster_free(c);
}

Test(changes, arguments_and_options)
{
	struct np_cluster *c = cluster(two_ns);
	struct np_mapset *ms;
	struct np_changes *ch = NULL;
	struct np_changes_opts big[2];
	struct np_change x;
	struct np_diag d;
	char *text;

	cr_assert_eq(np_cluster_changes(NULL, NULL, &ch, NULL), -EINVAL);
	cr_assert_eq(np_cluster_changes(c, NULL, NULL, NULL), -EINVAL);
	memset(big, 0, sizeof(big));
	big[0].sz = sizeof(big);
	((char *)big)[sizeof(big[0]) + 1] = 1;
	cr_assert_eq(np_cluster_changes(c, big, &ch, &d), -EINVAL);
	cr_assert_str_eq(
		d.message,
		"np_changes_opts: unknown non-zero fields past byte 16");
	big[0] = (struct np_changes_opts){ .sz = sizeof(big[0]),
					   .source = (enum np_source)7 };
	cr_assert_eq(np_cluster_changes(c, big, &ch, NULL), -EINVAL);
	cr_assert_eq(np_changes_count(NULL), 0);
	cr_assert_eq(np_changes_get(NULL, 0, &x), -EINVAL);
	cr_assert_null(np_changes_ruleset(NULL, 0));
	cr_assert_eq(np_changes_mapset(&ms, NULL, 0, true), -EINVAL);
	cr_assert_eq(np_changes_mapset(NULL, NULL, 0, true), -EINVAL);
	cr_assert_eq(np_changes_diff(NULL, 0, &text), -EINVAL);
	np_changes_free(NULL);
	np_cluster_trim(NULL);
	np_cluster_free(c);
}

Test(changes, another_source_compares_every_pod)
{
	struct np_cluster *c = cluster(two_ns);
	NP_OPTS(np_changes_opts, eps, .source = NP_SOURCE_ENDPOINTS);
	struct np_changes *ch = changes(c);
	char *s, *pes;

	np_changes_free(ch);
	/* the agent's view: no PolicyEndpoints yet, db loses its rules */
	cr_assert_eq(np_cluster_changes(c, &eps, &ch, NULL), 0);
	s = summary(ch);
	cr_assert_str_eq(s, "a/db:C b/db:C");
	free(s);
	cr_assert_eq(np__changes_compiled(ch), 5);
	np_changes_free(ch);
	/* the controller's endpoints loaded: the agent sees them */
	cr_assert_eq(np_cluster_endpoints(c, NP_FORMAT_YAML, &pes, NULL), 0);
	apply(c, pes);
	np_free(pes);
	cr_assert_eq(np_cluster_changes(c, &eps, &ch, NULL), 0);
	s = summary(ch);
	cr_assert_str_eq(s, "a/db:C b/db:C");
	free(s);
	np_changes_free(ch);
	np_cluster_free(c);
}

Test(changes, trim_and_a_small_budget_change_nothing_reported)
{
	NP_OPTS(np_cluster_opts, o, .cache_bytes = 1);
	struct np_cluster *c, *d = cluster(two_ns);
	struct np_ruleset *a, *b;
	struct np_changes *ch;
	char *s;

	cr_assert_eq(np_cluster_new(&c, &o), 0);
	apply(c, two_ns);
	cr_assert_eq(np_ruleset_compile(&a, c, "a", "db", NULL, NULL), 0);
	cr_assert_eq(np_ruleset_compile(&b, d, "a", "db", NULL, NULL), 0);
	cr_assert_eq(np_ruleset_hash(a), np_ruleset_hash(b));
	np_ruleset_free(a);
	np_ruleset_free(b);
	ch = changes(c);
	np_changes_free(ch);
	np_cluster_trim(c);
	ch = changes(c);
	cr_assert_eq(np_changes_count(ch), 0);
	np_changes_free(ch);
	apply(c, POD("a", "web", "{app: gone}", "198.18.0.1"));
	np_cluster_trim(c);
	ch = changes(c);
	s = summary(ch);
	cr_assert_str_eq(s, "a/db:C");
	free(s);
	np_changes_free(ch);
	np_cluster_free(c);
	np_cluster_free(d);
}

/* 25 single ports to one peer: 25 port slots, one more than a key has. */
static char *many_ports(unsigned n)
{
	char *buf = malloc(4096);
	size_t len;
	unsigned i;

	cr_assert_not_null(buf);
	len = (size_t)sprintf(
		buf, "apiVersion: networking.k8s.io/v1\n"
		     "kind: NetworkPolicy\n"
		     "metadata: {name: many, namespace: a}\n"
		     "spec:\n  podSelector: {matchLabels: {app: db}}\n"
		     "  ingress: [{from: [{podSelector: {}}], ports: [");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "%s{port: %u}", i ? ", " : "",
				       1000 + 2 * i);
	sprintf(buf + len, "]}]\n");
	return buf;
}

Test(changes, a_pod_that_fails_to_compile_is_reported_with_its_error)
{
	struct np_cluster *c = cluster(two_ns);
	struct np_changes *ch;
	struct np_change x;
	char *p = many_ports(25), *s;

	apply(c, p);
	free(p);
	ch = changes(c);
	cr_assert_eq(np_changes_get(ch, 0, &x), 0);
	cr_assert_str_eq(x.name, "db");
	cr_assert_eq(x.kind, NP_CHANGE_ADDED);
	cr_assert_eq(x.err, -E2BIG);
	cr_assert_eq(x.new_hash, 0);
	cr_assert_null(np_changes_ruleset(ch, 0));
	np_changes_free(ch);
	/* fixed: reported again, now with a rule set */
	p = many_ports(3);
	apply(c, p);
	free(p);
	ch = changes(c);
	s = summary(ch);
	cr_assert_str_eq(s, "a/db:C");
	free(s);
	cr_assert_eq(np_changes_get(ch, 0, &x), 0);
	cr_assert_eq(x.err, 0);
	cr_assert_eq(x.old_hash, 0);
	cr_assert_neq(x.new_hash, 0);
	np_changes_free(ch);
	np_cluster_free(c);
}

/* A change set is the caller's: it outlives later changes and the cluster. */
Test(changes, a_change_set_outlives_its_cluster)
{
	struct np_cluster *c = cluster(two_ns);
	struct np_changes *ch = changes(c);
	struct np_mapset *ms;
	char *text;

	np_changes_free(ch);
	apply(c, POD("a", "web", "{app: gone}", "198.18.0.1"));
	ch = changes(c);
	apply(c, POD("a", "web", "{app: web}", "198.18.0.1"));
	np_cluster_free(c);
	cr_assert_eq(np_changes_count(ch), 1);
	cr_assert_eq(np_changes_diff(ch, 0, &text), 0);
	cr_assert_str_eq(text, "- ingress 198.18.0.1/32\n");
	np_free(text);
	cr_assert_eq(np_changes_mapset(&ms, ch, 0, true), 0);
	cr_assert_eq(np_mapset_count(ms, 4, NP_DIRECTION_INGRESS), 1);
	np_mapset_free(ms);
	cr_assert_neq(np_ruleset_hash(np_changes_ruleset(ch, 0)), 0);
	np_changes_free(ch);
}

/*
 * "ns/name<policy:K" for every endpoint change of object kind kind
 * (NP_KIND__MAX: of every kind), K one of A C R; one string.
 */
static char *kind_summary(const struct np_changes *ch, enum np_kind kind)
{
	static const char kinds[] = "?ACR";
	size_t i, n = np_changes_endpoints_count(ch);
	struct np_endpoint_change x;
	char *s = malloc(n * 160 + 1), *p = s;

	cr_assert_not_null(s);
	*p = '\0';
	for (i = 0; i < n; i++) {
		cr_assert_eq(np_changes_endpoint(ch, i, &x), 0);
		if (kind != NP_KIND__MAX && x.object_kind != kind)
			continue;
		p += sprintf(p, "%s%s/%s<%s:%c", p == s ? "" : " ", x.ns,
			     x.name, x.policy, kinds[x.kind]);
	}
	return s;
}

static char *ep_summary(const struct np_changes *ch)
{
	return kind_summary(ch, NP_KIND__MAX);
}

static struct np_changes *changes_eo(struct np_cluster *c)
{
	NP_OPTS(np_changes_opts, eo, .endpoints = true);
	struct np_changes *ch = NULL;
	struct np_diag d;
	int err = np_cluster_changes(c, &eo, &ch, &d);

	cr_assert_eq(err, 0, "np_cluster_changes: %d %s", err, d.message);
	return ch;
}

Test(changes, policy_endpoints_added_changed_removed)
{
	NP_OPTS(np_changes_opts, eo, .endpoints = true);
	NP_OPTS(np_changes_opts, bad, .endpoints = true,
		.source = NP_SOURCE_ENDPOINTS);
	struct np_cluster *c = cluster(two_ns);
	struct np_endpoint_change x;
	struct np_changes *ch;
	char *s, *text;

	cr_assert_eq(np_cluster_changes(c, &bad, &ch, NULL), -EINVAL);
	cr_assert_eq(np_cluster_changes(c, &eo, &ch, NULL), 0);
	s = ep_summary(ch);
	cr_assert_str_eq(s, "a/from-web-b7032<from-web:A "
			    "b/from-web-dfdf7<from-web:A");
	free(s);
	cr_assert_eq(np_changes_endpoint(ch, 0, &x), 0);
	cr_assert_eq(x.old_hash, 0);
	cr_assert_neq(x.new_hash, 0);
	cr_assert_eq(np_changes_endpoint_export(ch, 0, NP_FORMAT_YAML, &text),
		     0);
	cr_assert(strstr(text, "kind: PolicyEndpoint"), "%s", text);
	cr_assert(strstr(text, "name: from-web-b7032"), "%s", text);
	np_free(text);
	cr_assert_eq(np_changes_endpoint_export(ch, 0, NP_FORMAT_JSON, &text),
		     0);
	cr_assert_eq(text[0], '{', "%s", text);
	np_free(text);
	cr_assert_eq(np_changes_endpoint(ch, 2, &x), -ENOENT);
	cr_assert_eq(np_changes_endpoint_export(ch, 2, NP_FORMAT_YAML, &text),
		     -ENOENT);
	cr_assert_eq(np_changes_endpoint_export(ch, 0, NP_FORMAT_TEXT, &text),
		     -EINVAL);
	np_changes_free(ch);
	/* a/web leaves: a's endpoint loses its peer; b's stays */
	apply(c, POD("a", "web", "{app: gone}", "198.18.0.1"));
	cr_assert_eq(np_cluster_changes(c, &eo, &ch, NULL), 0);
	s = ep_summary(ch);
	cr_assert_str_eq(s, "a/from-web-b7032<from-web:C");
	free(s);
	np_changes_free(ch);
	/* b's policy goes */
	cr_assert_eq(np_cluster_delete(c, NP_KIND_NETWORK_POLICY, "b",
				       "from-web"),
		     0);
	cr_assert_eq(np_cluster_changes(c, &eo, &ch, NULL), 0);
	s = ep_summary(ch);
	cr_assert_str_eq(s, "b/from-web-dfdf7<from-web:R");
	free(s);
	cr_assert_eq(np_changes_endpoint(ch, 0, &x), 0);
	cr_assert_eq(x.new_hash, 0);
	cr_assert_eq(np_changes_endpoint_export(ch, 0, NP_FORMAT_YAML, &text),
		     -ENOENT);
	np_changes_free(ch);
	/* not asked: none reported */
	ch = changes(c);
	cr_assert_eq(np_changes_endpoints_count(ch), 0);
	np_changes_free(ch);
	cr_assert_eq(np_changes_endpoints_count(NULL), 0);
	cr_assert_eq(np_changes_endpoint(NULL, 0, &x), -EINVAL);
	np_cluster_free(c);
}

/* --- ClusterPolicyEndpoints ---------------------------------------------- */

/* An Admin policy over the db pods: no ingress from namespaces b. */
#define WALL(from)                                                          \
	"apiVersion: policy.networking.k8s.io/v1alpha2\n"                   \
	"kind: ClusterNetworkPolicy\nmetadata: {name: wall}\n"              \
	"spec:\n  tier: Admin\n  priority: 5\n"                             \
	"  subject: {pods: {namespaceSelector: {}, podSelector: "           \
	"{matchLabels: {app: db}}}}\n"                                      \
	"  ingress:\n  - {action: Deny, from: [{namespaces: {matchLabels: " \
	"{kubernetes.io/metadata.name: " from "}}}]}\n---\n"

#define CPE NP_KIND_CLUSTER_POLICY_ENDPOINT

/* The ClusterPolicyEndpoint changes of ch are want (kind_summary()). */
static void cpes_are(const struct np_changes *ch, const char *want)
{
	char *s = kind_summary(ch, CPE);

	cr_assert_str_eq(s, want);
	free(s);
}

Test(changes, cluster_policy_endpoints_added_changed_removed)
{
	struct np_cluster *c = cluster(two_ns);
	struct np_endpoint_change x, y;
	struct np_changes *ch = changes_eo(c);
	uint64_t h;
	char *s, *text;

	/* no cluster policy: PolicyEndpoints only, none looked for */
	cpes_are(ch, "");
	cr_assert_eq(np_changes_endpoints_count(ch), 2);
	cr_assert_eq(np__changes_cpes_built(ch), 0);
	np_changes_free(ch);

	/* added: its one ClusterPolicyEndpoint, first (namespace "") */
	apply(c, WALL("b"));
	ch = changes_eo(c);
	cpes_are(ch, "/wall-0-6b412<wall:A");
	/* the PolicyEndpoints did not change */
	cr_assert_eq(np_changes_endpoints_count(ch), 1);
	cr_assert_eq(np_changes_endpoint(ch, 0, &x), 0);
	cr_assert_str_eq(x.ns, "");
	cr_assert_eq(x.object_kind, NP_KIND_CLUSTER_POLICY_ENDPOINT);
	cr_assert_eq(x.kind, NP_CHANGE_ADDED);
	cr_assert_eq(x.old_hash, 0);
	cr_assert_neq(x.new_hash, 0);
	h = x.new_hash;
	cr_assert_eq(np_changes_endpoint_export(ch, 0, NP_FORMAT_YAML, &text),
		     0);
	cr_assert(strstr(text, "kind: ClusterPolicyEndpoint\n"), "%s", text);
	cr_assert(strstr(text, "name: wall-0-6b412\n"), "%s", text);
	/* a/db and b/db */
	cr_assert(strstr(text, "podIP: 198.18.0.2\n"), "%s", text);
	cr_assert(strstr(text, "podIP: 198.18.1.2\n"), "%s", text);
	cr_assert(!strstr(text, "podIP: 198.18.0.1\n"), "%s", text);
	np_free(text);
	np_changes_free(ch);

	/* a/web becomes a db: the policy selects it too, its CPE changes */
	apply(c, POD("a", "web", "{app: db}", "198.18.0.1"));
	ch = changes_eo(c);
	cpes_are(ch, "/wall-0-6b412<wall:C");
	/* first, before a's PolicyEndpoint (which lost its peer) */
	cr_assert_eq(np_changes_endpoint(ch, 0, &x), 0);
	cr_assert_eq(np_changes_endpoint(ch, 1, &y), 0);
	cr_assert_str_eq(y.ns, "a");
	cr_assert_eq(y.object_kind, NP_KIND_POLICY_ENDPOINT);
	cr_assert_eq(x.old_hash, h);
	cr_assert_neq(x.new_hash, h);
	cr_assert_eq(np_changes_endpoint_export(ch, 0, NP_FORMAT_JSON, &text),
		     0);
	cr_assert(strstr(text, "\"podIP\": \"198.18.0.1\""), "%s", text);
	np_free(text);
	np_changes_free(ch);

	/* a namespace nothing reaches: looked at, no change */
	apply(c, "apiVersion: v1\nkind: Namespace\nmetadata: {name: z}\n");
	ch = changes_eo(c);
	cr_assert_gt(np__changes_cpes_built(ch), 0);
	cr_assert_eq(np_changes_endpoints_count(ch), 0);
	np_changes_free(ch);

	/* a NetworkPolicy cannot change one: not even looked at */
	apply(c, DENY_ALL("b"));
	ch = changes_eo(c);
	cr_assert_eq(np__changes_cpes_built(ch), 0);
	cpes_are(ch, "");
	s = kind_summary(ch, NP_KIND_POLICY_ENDPOINT);
	cr_assert(!strncmp(s, "b/deny-", 7), "%s", s);
	free(s);
	np_changes_free(ch);

	/* a rule changes: the same name, other content */
	apply(c, WALL("a"));
	ch = changes_eo(c);
	cpes_are(ch, "/wall-0-6b412<wall:C");
	np_changes_free(ch);

	/* deleted: removed, no object */
	cr_assert_eq(np_cluster_delete(c, NP_KIND_CLUSTER_NETWORK_POLICY, "",
				       "wall"),
		     0);
	ch = changes_eo(c);
	cpes_are(ch, "/wall-0-6b412<wall:R");
	cr_assert_eq(np_changes_endpoint(ch, 0, &x), 0);
	cr_assert_eq(x.new_hash, 0);
	cr_assert_neq(x.old_hash, 0);
	cr_assert_eq(np_changes_endpoint_export(ch, 0, NP_FORMAT_YAML, &text),
		     -ENOENT);
	np_changes_free(ch);
	np_cluster_free(c);
}

/* One name, two API groups: two ClusterPolicyEndpoints, told apart. */
Test(changes, cluster_policy_endpoints_of_both_groups)
{
	struct np_cluster *c = cluster(two_ns);
	struct np_changes *ch = changes_eo(c);

	np_changes_free(ch);
	apply(c, WALL("b") "apiVersion: networking.k8s.aws/v1alpha1\n"
			   "kind: ClusterNetworkPolicy\n"
			   "metadata: {name: wall}\n"
			   "spec:\n  tier: Baseline\n  priority: 5\n"
			   "  subject: {namespaces: {}}\n"
			   "  egress:\n  - {action: Accept, to: [{networks: "
			   "[10.0.0.0/8]}]}\n");
	ch = changes_eo(c);
	cpes_are(ch, "/wall-0-6b412<wall:A /wall-aws-0-360b7<wall:A");
	np_changes_free(ch);
	cr_assert_eq(np_cluster_delete(c, NP_KIND_AWS_CLUSTER_NETWORK_POLICY,
				       "", "wall"),
		     0);
	ch = changes_eo(c);
	cpes_are(ch, "/wall-aws-0-360b7<wall:R");
	np_changes_free(ch);
	np_cluster_free(c);
}

/*
 * Not asked for once: no record kept, the next call that asks reports
 * every one as added. One that cannot be written fails the call as
 * np_cluster_endpoints() does, and consumes nothing.
 */
Test(changes, cluster_policy_endpoints_start_over_and_fail_whole)
{
	struct np_cluster *c = cluster(two_ns);
	struct np_changes *ch;
	struct np_change x;
	struct np_diag d;

	apply(c, WALL("b"));
	ch = changes_eo(c);
	np_changes_free(ch);
	ch = changes(c);
	np_changes_free(ch);
	ch = changes_eo(c);
	cpes_are(ch, "/wall-0-6b412<wall:A");
	np_changes_free(ch);
	/* a nodes peer in a Deny rule, and no Node objects */
	apply(c, "apiVersion: policy.networking.k8s.io/v1alpha2\n"
		 "kind: ClusterNetworkPolicy\nmetadata: {name: nodes}\n"
		 "spec:\n  tier: Admin\n  priority: 6\n"
		 "  subject: {namespaces: {}}\n"
		 "  egress:\n  - {action: Deny, to: [{nodes: {matchLabels: "
		 "{role: infra}}}]}\n");
	{
		NP_OPTS(np_changes_opts, eo, .endpoints = true);

		cr_assert_eq(np_cluster_changes(c, &eo, &ch, &d), -ENOTSUP);
		cr_assert_str_eq(d.object, "ClusterNetworkPolicy nodes");
		cr_assert_str_eq(d.path, "spec.egress[0]");
	}
	/* nothing consumed: the pods fail closed, reported by the next call */
	ch = changes(c);
	cr_assert_eq(np_changes_count(ch), 5);
	cr_assert_eq(np_changes_get(ch, 0, &x), 0);
	cr_assert_eq(x.err, -ENOTSUP);
	np_changes_free(ch);
	/* fixed: the pods compile again; not asked last time: start over */
	cr_assert_eq(np_cluster_delete(c, NP_KIND_CLUSTER_NETWORK_POLICY, "",
				       "nodes"),
		     0);
	ch = changes_eo(c);
	cpes_are(ch, "/wall-0-6b412<wall:A");
	cr_assert_eq(np_changes_count(ch), 5);
	cr_assert_eq(np_changes_get(ch, 0, &x), 0);
	cr_assert_eq(x.err, 0);
	np_changes_free(ch);
	np_cluster_free(c);
}

/* Equal contents hit the cache: the same core, whichever object built it. */
Test(changes, cache_is_keyed_by_content)
{
	struct np_cluster *c = cluster(two_ns);
	struct np_ruleset *a, *b;

	cr_assert_eq(np_ruleset_compile(&a, c, "a", "db", NULL, NULL), 0);
	/* a/other relabelled and back: from-web is resolved again */
	apply(c, POD("a", "other", "{app: web}", "198.18.0.3"));
	apply(c, POD("a", "other", "{app: x}", "198.18.0.3"));
	cr_assert_eq(np_ruleset_compile(&b, c, "a", "db", NULL, NULL), 0);
	cr_assert_eq(a->core, b->core);
	np_ruleset_free(a);
	np_ruleset_free(b);
	np_cluster_free(c);
}

/* --- random events against from-scratch compiles ------------------------ */

static unsigned long long rng;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Both clusters get every event. */
struct pair {
	struct np_cluster *inc, *ref;
};

static void both(struct pair *p, const char *text)
{
	apply(p->inc, text);
	apply(p->ref, text);
}

static void rpod(struct pair *p, unsigned ns, unsigned i)
{
	char buf[1024];

	snprintf(
		buf, sizeof(buf),
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p%u, namespace: n%u,"
		" labels: {app: %s%s}}\nspec:\n  hostNetwork: %s\n  containers:\n"
		"  - name: c\n    ports: [{name: http, containerPort: %u},"
		" {name: dns, containerPort: 53, protocol: UDP}]\n"
		"status: {phase: %s, hostIP: 198.19.255.1, podIP: %s}\n",
		i, ns, apps[rnd(4)], rnd(3) ? ", tier: a" : "",
		rnd(12) ? "false" : "true", 8080 + rnd(3),
		rnd(10) ? "Running" : "Succeeded",
		rnd(8) ? (const char *[]){ "198.18.0.1", "198.18.1.1",
					   "198.18.2.7", "198.18.3.9",
					   "198.18.1.20", "198.18.0.30",
					   "198.18.2.40",
					   "198.18.3.50" }[i % 8] :
			 "fd00::7");
	both(p, buf);
}

static void rpolicy(struct pair *p, unsigned ns, unsigned i)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		 "metadata: {name: pol%u, namespace: n%u}\nspec:\n"
		 "  podSelector: {matchLabels: {app: %s}}\n"
		 "  policyTypes: [%s]\n"
		 "  ingress: [{from: [%s]%s}]\n"
		 "  egress: [{to: [%s]%s}%s]\n",
		 i, ns, apps[rnd(4)],
		 rnd(3) ? "Ingress, Egress" :
		 rnd(2) ? "Ingress" :
			  "Egress",
		 peers[rnd(6)], ports[rnd(4)], peers[rnd(6)], ports[rnd(4)],
		 rnd(3) ? "" : ", {ports: [{port: http}]}");
	both(p, buf);
}

static void rservice(struct pair *p, unsigned ns, unsigned i)
{
	char buf[1024];

	snprintf(
		buf, sizeof(buf),
		"apiVersion: v1\nkind: Service\nmetadata: {name: s%u, namespace: n%u}\n"
		"spec: {clusterIP: 198.18.200.%u, selector: {app: %s},"
		" ports: [{port: 80, targetPort: %s}]}\n",
		i, ns, ns * 10 + i + 1, apps[rnd(2)], rnd(2) ? "http" : "8080");
	both(p, buf);
}

static void rnamespace(struct pair *p, unsigned ns)
{
	static const char *const teams[] = { "red", "blue", "green" };
	char buf[256];

	snprintf(buf, sizeof(buf),
		 "apiVersion: v1\nkind: Namespace\nmetadata: {name: n%u,"
		 " labels: {team: %s}}\n",
		 ns, teams[rnd(3)]);
	both(p, buf);
}

/*
 * Cluster policies: cnp0..cnp2 of policy.networking.k8s.io and, as i 3,
 * a cnp0 of networking.k8s.aws (one name, two groups); either tier, a
 * namespaces or pods subject, peers of every enforceable kind, numbered
 * and named ports (an ingress named port splits a policy's endpoints by
 * how its pods resolve it).
 */
static const char *const cnp_peers[] = {
	"{namespaces: {matchLabels: {team: green}}}",
	"{namespaces: {}}",
	"{pods: {namespaceSelector: {matchLabels: {team: red}}, podSelector: "
	"{matchLabels: {app: web}}}}",
	"{pods: {namespaceSelector: {}, podSelector: {matchExpressions: "
	"[{key: tier, operator: Exists}]}}}",
	"{networks: [198.18.0.0/16, 198.18.2.0/24]}", /* egress only */
};

/* The same ports in the two APIs: [0] upstream, [1] AWS. */
static const char *const cnp_ports[2][3] = {
	{ "", ", protocols: [{tcp: {destinationPort: {number: 80}}}]",
	  ", protocols: [{destinationNamedPort: http}, "
	  "{udp: {destinationPort: {number: 53}}}]" },
	{ "", ", ports: [{portNumber: {protocol: TCP, port: 80}}]",
	  ", ports: [{namedPort: http}, "
	  "{portNumber: {protocol: UDP, port: 53}}]" },
};

static const char *const actions[] = { "Accept", "Deny", "Pass" };

static void rcnp(struct pair *p, unsigned i)
{
	static const char *const teams[] = { "red", "blue", "green" };
	unsigned eg = rnd(5);
	char buf[2048], subj[256];

	if (rnd(2))
		snprintf(subj, sizeof(subj),
			 "{namespaces: {matchLabels: {team: %s}}}",
			 teams[rnd(3)]);
	else
		snprintf(subj, sizeof(subj),
			 "{pods: {namespaceSelector: {}, podSelector: "
			 "{matchLabels: {app: %s}}}}",
			 apps[rnd(4)]);
	snprintf(buf, sizeof(buf),
		 "apiVersion: %s\nkind: ClusterNetworkPolicy\n"
		 "metadata: {name: cnp%u}\n"
		 "spec:\n  tier: %s\n  priority: %u\n  subject: %s\n"
		 "  ingress:\n  - {action: %s, from: [%s]%s}\n"
		 "  egress:\n  - {action: %s, to: [%s]%s}\n",
		 i == 3 ? "networking.k8s.aws/v1alpha1" :
			  "policy.networking.k8s.io/v1alpha2",
		 i == 3 ? 0 : i, rnd(2) ? "Admin" : "Baseline", 1 + rnd(3),
		 subj, actions[rnd(3)], cnp_peers[rnd(4)],
		 cnp_ports[i == 3][rnd(3)], actions[rnd(3)], cnp_peers[eg],
		 /* no named port with networks (invalid) */
		 cnp_ports[i == 3][rnd(eg == 4 ? 2 : 3)]);
	both(p, buf);
}

static void rcnp_delete(struct pair *p, unsigned i)
{
	char name[16];
	int a, b;

	snprintf(name, sizeof(name), "cnp%u", i == 3 ? 0 : i);
	a = np_cluster_delete(p->inc,
			      i == 3 ? NP_KIND_AWS_CLUSTER_NETWORK_POLICY :
				       NP_KIND_CLUSTER_NETWORK_POLICY,
			      "", name);
	b = np_cluster_delete(p->ref,
			      i == 3 ? NP_KIND_AWS_CLUSTER_NETWORK_POLICY :
				       NP_KIND_CLUSTER_NETWORK_POLICY,
			      "", name);
	cr_assert_eq(a, b);
}

static void del(struct pair *p, enum np_kind k, const char *ns,
		const char *name)
{
	int a = np_cluster_delete(p->inc, k, ns, name);
	int b = np_cluster_delete(p->ref, k, ns, name);

	cr_assert_eq(a, b);
}

/* A pod's state in the reference: its rule set's hash and map set. */
struct state {
	char key[64];
	uint64_t hash;
	struct np_mapset *ms; /* NULL: no rule set */
};

struct states {
	struct state *v;
	size_t n;
};

static void states_free(struct states *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		np_mapset_free(s->v[i].ms);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Every pod of the reference compiled from scratch, sorted. */
static void reference(struct np_cluster *ref, struct states *out)
{
	char *names, *line, *save = NULL;
	size_t cap = 0;

	np_cluster_trim(ref);
	cr_assert_eq(np_cluster_names(ref, NP_KIND_POD, &names), 0);
	out->n = 0;
	out->v = NULL;
	for (line = strtok_r(names, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *slash = strchr(line, '/');
		struct np_ruleset *rs;
		struct state *st;

		*slash = '\0';
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			out->v = realloc(out->v, cap * sizeof(*out->v));
		}
		st = &out->v[out->n++];
		snprintf(st->key, sizeof(st->key), "%s/%s", line, slash + 1);
		st->hash = 0;
		st->ms = NULL;
		if (np_ruleset_compile(&rs, ref, line, slash + 1, NULL, NULL))
			continue;
		st->hash = np_ruleset_hash(rs);
		cr_assert_eq(np_mapset_encode(&st->ms, rs), 0);
		np_ruleset_free(rs);
	}
	np_free(names);
}

static const struct state *find(const struct states *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	return NULL;
}

static size_t count_all(const struct np_mapset *ms)
{
	size_t n = 0;
	int f, d;

	for (f = 4; ms && f <= 6; f += 2)
		for (d = 0; d < 2; d++)
			n += np_mapset_count(ms, f, d);
	return n;
}

static size_t sum(const uint32_t v[2][2])
{
	return (size_t)v[0][0] + v[0][1] + v[1][0] + v[1][1];
}

static void same_maps(const struct np_mapset *a, const struct np_mapset *b,
		      unsigned long long seed, int step, const char *key)
{
	struct np_mapset_diff_stats st;

	cr_assert_eq(!a, !b, "seed %llu step %d %s: map set presence", seed,
		     step, key);
	if (!a)
		return;
	cr_assert_eq(np_mapset_diff(a, b, &st, NULL), 0);
	cr_assert(!st.added && !st.changed && !st.removed,
		  "seed %llu step %d %s: map set differs", seed, step, key);
}

/*
 * The counts per direction and family against np_mapset_diff()'s lines
 * ("+ ingress 198.18.0.1/32"; an IPv6 prefix has a ':').
 */
static void by_line(const char *text, const uint32_t added[2][2],
		    const uint32_t changed[2][2], const uint32_t removed[2][2],
		    unsigned long long seed, int step, const char *key)
{
	uint32_t n[3][2][2] = { { { 0 } } };
	const char *l;
	int k, d, f;

	for (l = text; *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);

		k = *l == '+' ? 0 : *l == '~' ? 1 : 2;
		d = len >= 8 && !strncmp(l + 2, "egress", 6);
		f = memchr(l, ':', len) != NULL;
		n[k][d][f]++;
		l += len + (e != NULL);
	}
	for (d = 0; d < 2; d++)
		for (f = 0; f < 2; f++)
			cr_assert(n[0][d][f] == added[d][f] &&
					  n[1][d][f] == changed[d][f] &&
					  n[2][d][f] == removed[d][f],
				  "seed %llu step %d: %s counts [%d][%d]", seed,
				  step, key, d, f);
}

/*
 * The reference's endpoints, from np_cluster_endpoints()'s whole export
 * alone (not the resolution state the change set reads): "ns/name" (ns ""
 * for a ClusterPolicyEndpoint), the kind, the policy and the object's
 * JSON, parsed and printed again (one spelling of a tree).
 */
struct pe_state {
	char key[200];
	char policy[160];
	enum np_kind kind;
	char *json;
};

struct pe_states {
	struct pe_state *v;
	size_t n;
};

static void pe_states_free(struct pe_states *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		np_free(s->v[i].json);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* A scalar of map m at key (a path of two keys when k2), "" when none. */
static void scalar(const struct np_node *m, const char *k1, const char *k2,
		   char *buf, size_t size)
{
	const struct np_node *n = np__map_get(m, k1);

	if (k2)
		n = np__map_get(n, k2);
	snprintf(buf, size, "%.*s",
		 n && n->type == NP_N_STR ? (int)n->str.len : 0,
		 n && n->type == NP_N_STR ? n->str.s : "");
}

/* One JSON document, parsed and printed again. */
static char *reprint(const char *json)
{
	struct np_docset ds = { 0 };
	struct np_diag d;
	char *out = NULL;

	cr_assert_eq(np__parse(&ds, json, strlen(json), "export",
			       NP_FORMAT_JSON, &d),
		     0, "%s\n%s", d.message, json);
	cr_assert_eq(ds.ndocs, 1);
	cr_assert_eq(np__emit_string(ds.docs[0], NP_FORMAT_JSON, &out), 0);
	np__docset_release(&ds);
	return out;
}

static void ref_endpoints(struct np_cluster *ref, struct pe_states *out)
{
	struct np_docset ds = { 0 };
	const struct np_node *items;
	char *text, ns[64], name[128], kind[64];
	struct np_diag d;
	size_t i;

	cr_assert_eq(np_cluster_endpoints(ref, NP_FORMAT_JSON, &text, &d), 0,
		     "%s", d.message);
	cr_assert_eq(np__parse(&ds, text, strlen(text), "ref", NP_FORMAT_JSON,
			       &d),
		     0, "%s", d.message);
	items = np__map_get(ds.docs[0], "items");
	cr_assert(items && items->type == NP_N_SEQ);
	out->n = items->seq.n;
	out->v = calloc(out->n + 1, sizeof(*out->v));
	cr_assert_not_null(out->v);
	for (i = 0; i < out->n; i++) {
		const struct np_node *it = items->seq.v[i];
		struct pe_state *st = &out->v[i];

		scalar(it, "metadata", "namespace", ns, sizeof(ns));
		scalar(it, "metadata", "name", name, sizeof(name));
		scalar(it, "kind", NULL, kind, sizeof(kind));
		snprintf(st->key, sizeof(st->key), "%s/%s", ns, name);
		st->kind = !strcmp(kind, "ClusterPolicyEndpoint") ?
				   NP_KIND_CLUSTER_POLICY_ENDPOINT :
				   NP_KIND_POLICY_ENDPOINT;
		cr_assert(st->kind == NP_KIND_CLUSTER_POLICY_ENDPOINT ||
				  !strcmp(kind, "PolicyEndpoint"),
			  "%s", kind);
		cr_assert_eq(!ns[0],
			     st->kind == NP_KIND_CLUSTER_POLICY_ENDPOINT, "%s",
			     st->key);
		scalar(np__map_get(it, "spec"), "policyRef", "name", st->policy,
		       sizeof(st->policy));
		cr_assert_eq(np__emit_string(it, NP_FORMAT_JSON, &st->json), 0);
	}
	np__docset_release(&ds);
	np_free(text);
}

static const struct pe_state *pe_find(const struct pe_states *s,
				      const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	return NULL;
}

/*
 * The change set's PolicyEndpoints and ClusterPolicyEndpoints against the
 * difference of the reference's two exports; *ncpe: how many
 * ClusterPolicyEndpoints changed.
 */
static void check_endpoints(const struct np_changes *ch,
			    const struct pe_states *prev,
			    const struct pe_states *cur,
			    unsigned long long seed, int step, size_t *ncpe)
{
	size_t i, nexp = 0, n = np_changes_endpoints_count(ch);
	const struct pe_state *a, *b;
	struct np_endpoint_change x;
	char key[200], last[200] = "", *json, *norm;

	for (i = 0; i < cur->n; i++) {
		a = pe_find(prev, cur->v[i].key);
		if (!a || strcmp(a->json, cur->v[i].json))
			nexp++;
	}
	for (i = 0; i < prev->n; i++)
		if (!pe_find(cur, prev->v[i].key))
			nexp++;
	for (i = 0; i < n; i++) {
		cr_assert_eq(np_changes_endpoint(ch, i, &x), 0);
		snprintf(key, sizeof(key), "%s/%s", x.ns, x.name);
		/* sorted by namespace and name: cluster-scoped ("") first */
		cr_assert(!i || strcmp(last, key) < 0,
			  "seed %llu step %d: endpoint %s after %s", seed, step,
			  key, last);
		strcpy(last, key);
		a = pe_find(prev, key);
		b = pe_find(cur, key);
		cr_assert(a || b, "seed %llu step %d: endpoint %s reported",
			  seed, step, key);
		cr_assert_eq(x.kind,
			     !a ? NP_CHANGE_ADDED :
			     !b ? NP_CHANGE_REMOVED :
				  NP_CHANGE_CHANGED,
			     "seed %llu step %d: endpoint %s kind %d", seed,
			     step, key, x.kind);
		cr_assert_eq(x.object_kind, (b ? b : a)->kind,
			     "seed %llu step %d: endpoint %s object kind %d",
			     seed, step, key, x.object_kind);
		cr_assert_str_eq(x.policy, (b ? b : a)->policy,
				 "seed %llu step %d: endpoint %s policy", seed,
				 step, key);
		cr_assert_eq(!x.old_hash, !a, "seed %llu step %d: %s old hash",
			     seed, step, key);
		cr_assert_eq(!x.new_hash, !b, "seed %llu step %d: %s new hash",
			     seed, step, key);
		if (x.object_kind == NP_KIND_CLUSTER_POLICY_ENDPOINT)
			++*ncpe;
		if (!b) {
			cr_assert_eq(np_changes_endpoint_export(
					     ch, i, NP_FORMAT_JSON, &json),
				     -ENOENT);
			continue;
		}
		cr_assert(!a || strcmp(a->json, b->json),
			  "seed %llu step %d: endpoint %s unchanged", seed,
			  step, key);
		cr_assert_neq(x.old_hash, x.new_hash);
		cr_assert_eq(np_changes_endpoint_export(ch, i, NP_FORMAT_JSON,
							&json),
			     0);
		norm = reprint(json);
		cr_assert_str_eq(norm, b->json,
				 "seed %llu step %d: endpoint %s", seed, step,
				 key);
		np_free(norm);
		np_free(json);
	}
	cr_assert_eq(n, nexp,
		     "seed %llu step %d: %zu endpoints reported, %zu changed",
		     seed, step, n, nexp);
}

/* The change set against the reference before (prev) and now (cur). */
static void check(const struct np_changes *ch, const struct states *prev,
		  const struct states *cur, unsigned long long seed, int step)
{
	size_t i, nexp = 0, n = np_changes_count(ch);
	const struct state *a, *b;
	struct np_change x;
	char key[64];

	/* expected: every key whose hash (or presence) differs */
	for (i = 0; i < cur->n; i++) {
		a = find(prev, cur->v[i].key);
		if (!a || a->hash != cur->v[i].hash)
			nexp++;
	}
	for (i = 0; i < prev->n; i++)
		if (!find(cur, prev->v[i].key))
			nexp++;
	for (i = 0; i < n; i++) {
		struct np_mapset_diff_stats st = { 0 };
		char *text, *want = NULL, *p;
		struct np_mapset *ms;
		int d, f;

		cr_assert_eq(np_changes_get(ch, i, &x), 0);
		snprintf(key, sizeof(key), "%s/%s", x.ns, x.name);
		a = find(prev, key);
		b = find(cur, key);
		cr_assert(a || b, "seed %llu step %d: %s reported, no pod",
			  seed, step, key);
		cr_assert_eq(x.kind,
			     !a ? NP_CHANGE_ADDED :
			     !b ? NP_CHANGE_REMOVED :
				  NP_CHANGE_CHANGED,
			     "seed %llu step %d: %s kind %d", seed, step, key,
			     x.kind);
		cr_assert_eq(x.old_hash, a ? a->hash : 0,
			     "seed %llu step %d: %s old hash", seed, step, key);
		cr_assert_eq(x.new_hash, b ? b->hash : 0,
			     "seed %llu step %d: %s new hash", seed, step, key);
		cr_assert(!a || !b || a->hash != b->hash,
			  "seed %llu step %d: %s reported, unchanged", seed,
			  step, key);
		cr_assert_eq(np_changes_mapset(&ms, ch, i, true), 0);
		same_maps(ms, a ? a->ms : NULL, seed, step, key);
		np_mapset_free(ms);
		cr_assert_eq(np_changes_mapset(&ms, ch, i, false), 0);
		same_maps(ms, b ? b->ms : NULL, seed, step, key);
		np_mapset_free(ms);
		/* the diff: exactly np_mapset_diff()'s, or all of one side */
		cr_assert_eq(np_changes_diff(ch, i, &text), 0);
		if (a && a->ms && b && b->ms) {
			cr_assert_eq(np_mapset_diff(a->ms, b->ms, &st, &want),
				     0);
			for (p = text; !strncmp(p, "isolated ", 9);)
				p = strchr(p, '\n') + 1;
			cr_assert_str_eq(p, want, "seed %llu step %d: %s diff",
					 seed, step, key);
			by_line(want, x.added, x.changed, x.removed, seed, step,
				key);
			np_free(want);
		} else {
			st.added = count_all(b ? b->ms : NULL);
			st.removed = count_all(a ? a->ms : NULL);
			for (f = 0; f < 2; f++)
				for (d = 0; d < 2; d++) {
					cr_assert_eq(x.added[d][f],
						     b && b->ms ?
							     np_mapset_count(
								     b->ms,
								     f ? 6 : 4,
								     d) :
							     0);
					cr_assert_eq(x.removed[d][f],
						     a && a->ms ?
							     np_mapset_count(
								     a->ms,
								     f ? 6 : 4,
								     d) :
							     0);
				}
		}
		np_free(text);
		cr_assert_eq(sum(x.added), st.added,
			     "seed %llu step %d: %s added", seed, step, key);
		cr_assert_eq(sum(x.changed), st.changed,
			     "seed %llu step %d: %s changed", seed, step, key);
		cr_assert_eq(sum(x.removed), st.removed,
			     "seed %llu step %d: %s removed", seed, step, key);
		if (b && b->ms)
			cr_assert_eq(np_ruleset_hash(np_changes_ruleset(ch, i)),
				     b->hash);
	}
	if (n == nexp)
		return;
	/* name the first pod missing */
	for (i = 0; i < cur->n; i++) {
		size_t j;

		a = find(prev, cur->v[i].key);
		if (a && a->hash == cur->v[i].hash)
			continue;
		for (j = 0; j < n; j++) {
			np_changes_get(ch, j, &x);
			snprintf(key, sizeof(key), "%s/%s", x.ns, x.name);
			if (!strcmp(key, cur->v[i].key))
				break;
		}
		if (j == n && a && a->ms && cur->v[i].ms) {
			struct np_mapset_diff_stats st;
			char *t = NULL;

			np_mapset_diff(a->ms, cur->v[i].ms, &st, &t);
			fprintf(stderr, "diff of %s:\n%s", cur->v[i].key, t);
			np_free(t);
		}
		cr_assert_lt(j, n, "seed %llu step %d: %s changed, unreported",
			     seed, step, cur->v[i].key);
	}
	cr_assert_eq(n, nexp, "seed %llu step %d: %zu reported, %zu changed",
		     seed, step, n, nexp);
}

/* ClusterPolicyEndpoint changes the random runs saw (they must see some). */
static size_t cpe_changes;

static void run(unsigned long long seed, int steps)
{
	struct pe_states eprev = { 0 }, ecur = { 0 };
	struct states prev = { 0 }, cur = { 0 };
	struct pair p;
	struct np_changes *ch;
	unsigned i;
	int step;

	rng = 88172645463325252ULL ^ ((seed + 1) * 0x9e3779b97f4a7c15ULL);
	cr_assert_eq(np_cluster_new(&p.inc, NULL), 0);
	cr_assert_eq(np_cluster_new(&p.ref, NULL), 0);
	for (i = 0; i < 4; i++)
		rnamespace(&p, i);
	for (i = 0; i < 20; i++)
		rpod(&p, rnd(4), rnd(10));
	for (i = 0; i < 6; i++)
		rpolicy(&p, rnd(4), rnd(4));
	rservice(&p, 0, 0);
	for (step = 0; step < steps; step++) {
		unsigned op = rnd(44), ns = rnd(4), k = rnd(10);
		char name[16], nsn[8];

		snprintf(nsn, sizeof(nsn), "n%u", ns);
		if (op < 16) {
			rpod(&p, ns, k);
		} else if (op < 22) {
			snprintf(name, sizeof(name), "p%u", k);
			del(&p, NP_KIND_POD, nsn, name);
		} else if (op < 29) {
			rpolicy(&p, ns, rnd(4));
		} else if (op < 32) {
			snprintf(name, sizeof(name), "pol%u", rnd(4));
			del(&p, NP_KIND_NETWORK_POLICY, nsn, name);
		} else if (op < 34) {
			rservice(&p, ns, rnd(2));
		} else if (op < 37) {
			rnamespace(&p, ns);
		} else if (op < 42) {
			/* cluster policies: every pod looked at */
			if (op < 40)
				rcnp(&p, rnd(4));
			else
				rcnp_delete(&p, rnd(4));
		} else {
			/* several events between two change sets */
			rpod(&p, ns, k);
			rpolicy(&p, rnd(4), rnd(4));
		}
		if (getenv("NP_TRACE"))
			fprintf(stderr, "step %d op %u ns %u k %u\n", step, op,
				ns, k);
		if (rnd(4) && step + 1 < steps)
			continue;
		if (getenv("NP_TRACE"))
			fprintf(stderr, "check at %d\n", step);
		ch = changes_eo(p.inc);
		reference(p.ref, &cur);
		ref_endpoints(p.ref, &ecur);
		check_endpoints(ch, &eprev, &ecur, seed, step, &cpe_changes);
		pe_states_free(&eprev);
		eprev = ecur;
		if (getenv("NP_TRACE")) {
			struct np_ruleset *rs;
			size_t q;

			for (q = 0; q < cur.n; q++) {
				char kk[64], *sl;

				strcpy(kk, cur.v[q].key);
				sl = strchr(kk, '/');
				*sl = 0;
				if (np_ruleset_compile(&rs, p.inc, kk, sl + 1,
						       NULL, NULL))
					continue;
				/* the incremental compile itself wrong */
				if (np_ruleset_hash(rs) != cur.v[q].hash)
					fprintf(stderr, "inc differs: %s\n",
						cur.v[q].key);
				np_ruleset_free(rs);
			}
		}
		check(ch, &prev, &cur, seed, step);
		np_changes_free(ch);
		states_free(&prev);
		prev = cur;
		cur.v = NULL;
		cur.n = 0;
		if (!rnd(50))
			np_cluster_trim(p.inc);
	}
	states_free(&prev);
	pe_states_free(&eprev);
	np_cluster_free(p.inc);
	np_cluster_free(p.ref);
}

Test(changes, random_events_match_full_recompiles, .timeout = 600)
{
	const char *s = getenv("NP_SEED"), *n = getenv("NP_SEEDS");
	unsigned long long seed, seeds = n ? strtoull(n, NULL, 0) : 3;

	if (s) {
		run(strtoull(s, NULL, 0), 2000);
		return;
	}
	/* NP_SEEDS: fewer under valgrind, more when hunting */
	for (seed = 0; seed < seeds; seed++)
		run(seed, 700);
	cr_assert_gt(cpe_changes, 0, "no ClusterPolicyEndpoint changed");
	if (getenv("NP_TRACE"))
		fprintf(stderr, "%zu ClusterPolicyEndpoint changes\n",
			cpe_changes);
}
