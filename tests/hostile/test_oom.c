// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Out of memory at every allocation, one at a time:
 *   1. a cluster with NetworkPolicies, both tiers of ClusterNetworkPolicies,
 *      a Service and a Node is compiled pod by pod, a rule set encoded and
 *      exported, verdicts, an attribution and the matrix asked, its
 *      endpoints written, its change sets taken around a pod's relabel,
 *      and checked, with the n-th allocation of that work failing, for
 *      every n: nothing may crash, leak, or be left half-built (the same
 *      cluster then compiles every pod to the rule set a cluster that never
 *      failed compiles, and writes the same endpoints);
 *   2. a load of several objects: it fails and the cluster is as before,
 *      or it succeeds and the cluster is as after, never between;
 *   3. a change set: it and the next one report every change once.
 *
 * The allocator is failalloc.c's (tests/lib), so not with a sanitizer's,
 * and skipped under valgrind, which takes it over.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "netpol.h"
#include "failalloc.h"

/* --- the cluster and the work ------------------------------------------- */

#define NPODS 12

static char text[1 << 15];
static size_t textn;

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void put(const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(text + textn, sizeof(text) - textn, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(text) - textn)
		abort();
	textn += (size_t)k;
}

static void cluster_text(void)
{
	int i;

	for (i = 0; i < 3; i++)
		put("apiVersion: v1\nkind: Namespace\nmetadata: {name: n%d, "
		    "labels: {t: t%d}}\n---\n",
		    i, i);
	for (i = 0; i < NPODS; i++)
		put("apiVersion: v1\nkind: Pod\nmetadata: {name: p%d, "
		    "namespace: n%d, labels: {app: a%d}}\nspec: {containers: "
		    "[{name: c, ports: [{name: http, containerPort: 80}]}]}\n"
		    "status: {phase: Running, hostIP: 198.19.255.1, podIP: "
		    "10.%d.0.%d}\n---\n",
		    i, i % 3, i % 2, i % 3, i + 1);
	for (i = 0; i < 3; i++)
		put("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		    "metadata: {name: np, namespace: n%d}\nspec:\n"
		    "  podSelector: {}\n"
		    "  ingress: [{from: [{podSelector: {}}]}]\n"
		    "  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: "
		    "[10.1.0.0/16]}}, {podSelector: {matchLabels: {app: a1}}, "
		    "namespaceSelector: {}}], ports: [{port: 80}]}, "
		    "{to: [{ipBlock: {cidr: 10.96.0.0/16}}]}]\n---\n",
		    i);
	put("apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: n1}"
	    "\nspec: {selector: {app: a1}, clusterIP: 10.96.0.10, ports: "
	    "[{name: h, port: 80, targetPort: http}]}\n---\n"
	    "apiVersion: v1\nkind: Node\nmetadata: {name: nd, labels: "
	    "{r: w}}\nstatus: {addresses: [{type: InternalIP, address: "
	    "10.9.9.9}]}\n---\n");
	put("apiVersion: policy.networking.k8s.io/v1alpha2\n"
	    "kind: ClusterNetworkPolicy\nmetadata: {name: a1}\nspec:\n"
	    "  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n"
	    "  ingress:\n"
	    "  - {action: Pass, from: [{pods: {namespaceSelector: "
	    "{matchLabels: {t: t0}}, podSelector: {matchLabels: "
	    "{app: a0}}}}]}\n"
	    "  - {action: Deny, from: [{namespaces: {}}], protocols: "
	    "[{destinationNamedPort: http}]}\n"
	    "  egress:\n"
	    "  - {action: Pass, to: [{pods: {namespaceSelector: {}, "
	    "podSelector: {matchLabels: {app: a1}}}}]}\n"
	    "  - {action: Deny, to: [{nodes: {matchLabels: {r: w}}}]}\n"
	    "  - {action: Deny, to: [{networks: [10.0.0.0/8]}]}\n---\n"
	    "apiVersion: policy.networking.k8s.io/v1alpha2\n"
	    "kind: ClusterNetworkPolicy\nmetadata: {name: b1}\nspec:\n"
	    "  tier: Baseline\n  priority: 1\n"
	    "  subject: {namespaces: {matchLabels: {t: t1}}}\n"
	    "  ingress:\n  - {action: Accept, from: [{namespaces: {}}]}\n"
	    "  egress:\n  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}\n");
}

static const char relabel[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p3, namespace: n0, "
	"labels: {app: a0}}\nspec: {containers: [{name: c, ports: [{name: "
	"http, containerPort: 80}]}]}\nstatus: {phase: Running, hostIP: "
	"198.19.255.1, podIP: 10.0.0.4}\n";

/* An update of several objects: one load, all or nothing. */
static const char update[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p5, namespace: n2, "
	"labels: {app: a0}}\nspec: {containers: [{name: c}]}\nstatus: "
	"{phase: Running, hostIP: 198.19.255.1, podIP: 10.2.0.6}\n---\n"
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: np2, namespace: n1}\nspec:\n  podSelector: {}\n"
	"  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: "
	"{matchLabels: {t: t2}}}], ports: [{port: 80, endPort: 90}]}]\n---\n"
	"apiVersion: policy.networking.k8s.io/v1alpha2\n"
	"kind: ClusterNetworkPolicy\nmetadata: {name: b1}\nspec:\n"
	"  tier: Baseline\n  priority: 2\n  subject: {namespaces: {}}\n"
	"  egress:\n  - {action: Deny, to: [{networks: [10.2.0.0/16]}]}\n";

/* Compiles that failed without a reason in their diag (np__diag_fail) */
static long no_reason;

/* Every pod compiled: 0, or how many failed; h: their hashes. */
static int compile_all(struct np_cluster *c, uint64_t *h)
{
	int i, failed = 0;

	for (i = 0; i < NPODS; i++) {
		struct np_ruleset *rs = NULL;
		struct np_diag d;
		char ns[8], name[8];

		snprintf(ns, sizeof(ns), "n%d", i % 3);
		snprintf(name, sizeof(name), "p%d", i);
		if (np_ruleset_compile(&rs, c, ns, name, NULL, &d)) {
			failed++;
			no_reason += !d.err;
			continue;
		}
		if (h)
			h[i] = np_ruleset_hash(rs);
		np_ruleset_free(rs);
	}
	return failed;
}

/* A pod's rule set as an agent uses it: map contents, exports. */
static void use_ruleset(const struct np_ruleset *rs)
{
	struct np_mapset_lpm_data lpm;
	struct np_mapset *ms = NULL;
	struct np_verdict v;
	char *t = NULL;

	if (!np_ruleset_export(rs, NP_FORMAT_JSON, &t))
		np_free(t);
	np_ruleset_verdict(rs, NP_DIRECTION_EGRESS, "10.1.0.2", NP_PROTOCOL_TCP,
			   80, &v);
	if (np_mapset_encode(&ms, rs))
		return;
	t = NULL;
	if (!np_mapset_export(ms, NP_FORMAT_YAML, &t))
		np_free(t);
	memset(&lpm, 0, sizeof(lpm));
	if (!np_mapset_lpm(ms, 4, NP_DIRECTION_EGRESS, NULL, &lpm)) {
		np_free(lpm.keys);
		np_free(lpm.values);
	}
	np_mapset_free(ms);
}

/* What a controller and an agent do; any step may fail. */
static void work(struct np_cluster *c)
{
	struct np_changes_opts co = { .sz = sizeof(co), .endpoints = true };
	struct np_changes *ch = NULL;
	struct np_ruleset *rs = NULL;
	struct np_attrib *a = NULL;
	struct np_verdict v;
	struct np_diag d;
	char *t = NULL;
	size_t nwarn;

	compile_all(c, NULL);
	if (!np_ruleset_compile(&rs, c, "n1", "p1", NULL, &d)) {
		use_ruleset(rs);
		np_ruleset_free(rs);
	}
	np_cluster_verdict(c, "n0/p0", "n1/p1", NP_PROTOCOL_TCP, 80, NULL, &v,
			   &d);
	if (!np_cluster_attribute(&a, c, "n0/p0", "n1/p1", NP_PROTOCOL_TCP, 80,
				  NULL, &d)) {
		if (!np_attrib_format(a, NP_FORMAT_JSON, &t))
			np_free(t);
		np_attrib_free(a);
	}
	t = NULL;
	if (!np_cluster_matrix(c, NULL, NP_FORMAT_TEXT, &t, &d))
		np_free(t);
	t = NULL;
	if (!np_cluster_changes(c, &co, &ch, &d)) {
		if (np_changes_count(ch) && !np_changes_diff(ch, 0, &t))
			np_free(t);
		np_changes_free(ch);
	}
	ch = NULL;
	t = NULL;
	if (!np_cluster_endpoints(c, NP_FORMAT_YAML, &t, &d))
		free(t);
	if (!np_cluster_changes(c, NULL, &ch, &d))
		np_changes_free(ch);
	np_cluster_load_buffer(c, relabel, strlen(relabel), "relabel", NULL,
			       &d);
	ch = NULL;
	if (!np_cluster_changes(c, NULL, &ch, &d))
		np_changes_free(ch);
	t = NULL;
	if (!np_cluster_check(c, &t, &nwarn))
		free(t);
	compile_all(c, NULL);
}

static struct np_cluster *loaded(void)
{
	struct np_cluster *c;
	struct np_diag d;

	if (np_cluster_new(&c, NULL) ||
	    np_cluster_load_buffer(c, text, textn, "oom", NULL, &d)) {
		fprintf(stderr, "load: %s %s\n", d.path, d.message);
		exit(1);
	}
	return c;
}

/* Every pod's hash and the endpoints as they are. */
static char *state(struct np_cluster *c, uint64_t *h)
{
	struct np_diag d;
	char *t = NULL;

	if (compile_all(c, h) ||
	    np_cluster_endpoints(c, NP_FORMAT_YAML, &t, &d))
		return NULL;
	return t;
}

/* Every pod's hash and the endpoints, once the relabel is in. */
static char *final_state(struct np_cluster *c, uint64_t *h)
{
	struct np_diag d;

	np_cluster_load_buffer(c, relabel, strlen(relabel), "relabel", NULL,
			       &d);
	return state(c, h);
}

/*
 * A load of several objects with its n-th allocation failing: it fails
 * and the cluster is as before it (the last good state), or it succeeds
 * and the cluster is as with the update.
 */
/* on_diag of the loads: how many times it was called */
static void count_diag(void *ctx, const struct np_diag *d)
{
	(void)d;
	(*(long *)ctx)++;
}

static int load_all_or_nothing(void)
{
	long heard = 0;
	NP_OPTS(np_load_opts, lo, .on_diag = count_diag, .diag_ctx = &heard);
	uint64_t before[NPODS], after[NPODS], got[NPODS];
	char *t0, *t1, *now;
	long total, at, bad = 0, failed = 0;
	struct np_cluster *c;
	struct np_diag d;
	int i, err;

	c = loaded();
	t0 = state(c, before);
	if (np_cluster_load_buffer(c, update, strlen(update), "update", NULL,
				   &d)) {
		printf("not ok 2 - the update loads (%s: %s)\n", d.path,
		       d.message);
		return 1;
	}
	t1 = state(c, after);
	np_cluster_free(c);
	c = loaded();
	free(state(c, NULL));
	failalloc_arm(-1);
	np_cluster_load_buffer(c, update, strlen(update), "update", &lo, &d);
	total = failalloc_disarm();
	np_cluster_free(c);
	for (at = 1; t0 && t1 && at <= total; at++) {
		long live0 = failalloc_live();

		c = loaded();
		free(state(c, NULL));
		heard = 0;
		failalloc_arm(at);
		err = np_cluster_load_buffer(c, update, strlen(update),
					     "update", &lo, &d);
		failalloc_disarm();
		failed += err != 0;
		if (err && (d.err != err || !heard)) {
			/* a caller that reports through on_diag says nothing */
			printf("# load, allocation %ld failed (%d): diag err %d, "
			       "on_diag called %ld times\n",
			       at, err, d.err, heard);
			bad++;
		}
		now = state(c, got);
		if (!now || strcmp(now, err ? t0 : t1)) {
			printf("# load, allocation %ld failed (load %s): the "
			       "endpoints are neither before nor after\n",
			       at, err ? "failed" : "succeeded");
			bad++;
		}
		for (i = 0; now && i < NPODS; i++)
			if (got[i] != (err ? before : after)[i]) {
				printf("# load, allocation %ld failed: pod "
				       "p%d's rule set is half-applied\n",
				       at, i);
				bad++;
			}
		free(now);
		np_cluster_free(c);
		if (failalloc_live() > live0) {
			printf("# load, allocation %ld failed: %ld blocks "
			       "leaked\n",
			       at, failalloc_live() - live0);
			bad++;
		}
	}
	free(t0);
	free(t1);
	printf("%s 2 - a load of several objects with each of its %ld "
	       "allocations failing (%ld loads failed): the state before or "
	       "after, never between; each failure in diag and on_diag\n",
	       bad || !failed ? "not ok" : "ok", total, failed);
	return bad || !failed;
}

/* ch's pods and new hashes, "ns/name hash" a line, appended to buf. */
static void changed(const struct np_changes *ch, char *buf, size_t cap)
{
	struct np_change x;
	size_t i, n = strlen(buf);

	for (i = 0; ch && i < np_changes_count(ch); i++) {
		if (np_changes_get(ch, i, &x))
			abort();
		n += (size_t)snprintf(buf + n, cap - n, "%s/%s %llx\n", x.ns,
				      x.name, (unsigned long long)x.new_hash);
		if (n >= cap)
			abort();
	}
}

/*
 * A change set after a relabel, with its n-th allocation failing: what
 * it reports and what the next one reports are, together, what one
 * change set reports that never failed (a controller that retries loses
 * no change).
 */
static int changes_retried(void)
{
	static char want[1 << 14], got[1 << 14];
	struct np_changes *ch = NULL;
	long total, at, bad = 0, failed = 0;
	struct np_cluster *c;
	struct np_diag d;
	int err;

	c = loaded();
	if (np_cluster_changes(c, NULL, &ch, &d))
		abort();
	np_changes_free(ch);
	np_cluster_load_buffer(c, relabel, strlen(relabel), "relabel", NULL,
			       &d);
	failalloc_arm(-1);
	err = np_cluster_changes(c, NULL, &ch, &d);
	total = failalloc_disarm();
	if (err || !np_changes_count(ch)) {
		printf("not ok 3 - a relabel changes rule sets\n");
		return 1;
	}
	want[0] = 0;
	changed(ch, want, sizeof(want));
	np_changes_free(ch);
	np_cluster_free(c);
	for (at = 1; at <= total; at++) {
		long live0 = failalloc_live();

		c = loaded();
		if (np_cluster_changes(c, NULL, &ch, &d))
			abort();
		np_changes_free(ch);
		np_cluster_load_buffer(c, relabel, strlen(relabel), "relabel",
				       NULL, &d);
		got[0] = 0;
		ch = NULL;
		failalloc_arm(at);
		err = np_cluster_changes(c, NULL, &ch, &d);
		failalloc_disarm();
		failed += err != 0;
		if (!err) {
			changed(ch, got, sizeof(got));
			np_changes_free(ch);
		}
		ch = NULL;
		if (np_cluster_changes(c, NULL, &ch, &d))
			abort();
		changed(ch, got, sizeof(got));
		np_changes_free(ch);
		if (strcmp(got, want)) {
			printf("# change set, allocation %ld failed (%s): "
			       "reported\n%s# instead of\n%s",
			       at, err ? "it failed" : "it succeeded", got,
			       want);
			bad++;
		}
		np_cluster_free(c);
		if (failalloc_live() > live0) {
			printf("# change set, allocation %ld failed: %ld blocks "
			       "leaked\n",
			       at, failalloc_live() - live0);
			bad++;
		}
	}
	printf("%s 3 - a change set with each of its %ld allocations failing "
	       "(%ld failed): it and the next report every change once\n",
	       bad || !failed ? "not ok" : "ok", total, failed);
	return bad || !failed;
}

int main(void)
{
	uint64_t want[NPODS], got[NPODS];
	long total, at, bad = 0, runs = 0;
	struct np_cluster *c;
	char *base, *now;

	cluster_text();
	if (RUNNING_ON_VALGRIND) {
		/* it takes this program's allocator: nothing would fail */
		printf("1..0 # SKIP valgrind replaces the failing allocator\n");
		return 0;
	}
	printf("1..3\n");
	c = loaded();
	work(c);
	base = final_state(c, want);
	np_cluster_free(c);
	if (!base) {
		printf("not ok 1 - the cluster compiles without failures\n");
		return 1;
	}
	/* how many allocations the work makes */
	c = loaded();
	failalloc_arm(-1);
	work(c);
	total = failalloc_disarm();
	np_cluster_free(c);
	for (at = 1; at <= total; at++, runs++) {
		long live0 = failalloc_live();
		int i;

		c = loaded();
		failalloc_arm(at);
		work(c);
		failalloc_disarm();
		now = final_state(c, got);
		if (!now || strcmp(now, base)) {
			printf("# allocation %ld failed: the endpoints differ "
			       "afterwards\n",
			       at);
			bad++;
		}
		for (i = 0; now && i < NPODS; i++)
			if (got[i] != want[i]) {
				printf("# allocation %ld failed: pod p%d's "
				       "rule set differs afterwards\n",
				       at, i);
				bad++;
			}
		free(now);
		np_cluster_free(c);
		if (failalloc_live() > live0) {
			printf("# allocation %ld failed: %ld blocks leaked\n",
			       at, failalloc_live() - live0);
			bad++;
		}
	}
	free(base);
	if (no_reason) {
		printf("# %ld compiles failed with an empty diag\n", no_reason);
		bad++;
	}
	printf("%s 1 - each of %ld allocations failed once (%ld runs): no "
	       "crash, no leak, the same rule sets and endpoints after, "
	       "every failed compile with its reason\n",
	       bad ? "not ok" : "ok", total, runs);
	bad += load_all_or_nothing();
	bad += changes_retried();
	return bad != 0;
}
