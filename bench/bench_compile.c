// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Control-plane benchmark: load and compile a synthetic cluster of 10,000
 * pods, 500 namespaces and 1,000 policies, for one node's 110 pods and for
 * every pod; an incremental pod add next to a compile of the same pod with
 * nothing changed; peak RSS. Then the same cluster with 100
 * ClusterNetworkPolicies (50 Admin, 50 Baseline, synth.c), every pod
 * compiled from scratch. 5 runs from scratch each, min and median. Prints
 * JSON lines.
 *
 *     bench_compile [pods [namespaces [cnps [np|cnp [extra]]]]]
 *
 * cnps 0 leaves the second row out; np or cnp runs only that row. extra
 * NetworkPolicies more in each namespace make the first row the scale
 * row (issue 17), followed by a change set of 1,000 pods (row_changes).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <netpol.h>

#include "synth.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Compile pods first..first+n-1; with hashes, keep each rule set's hash
 * (0: not compiled) and count the pods that could not be (-E2BIG,
 * -ENOTSUP: a direction failed closed) in *failed instead of stopping.
 */
static int compile_pods(struct np_cluster *c, unsigned first, unsigned n,
			unsigned nns, uint64_t *hashes, unsigned *failed)
{
	char ns[32], name[32];
	unsigned i;

	for (i = first; i < first + n; i++) {
		struct np_ruleset *rs;
		struct np_diag d;
		int err;

		snprintf(ns, sizeof(ns), "ns%u", i % nns);
		snprintf(name, sizeof(name), "p%u", i);
		err = np_ruleset_compile(&rs, c, ns, name, NULL, &d);
		if (hashes && (err == -E2BIG || err == -ENOTSUP)) {
			hashes[i - first] = 0;
			++*failed;
			continue;
		}
		if (err) {
			fprintf(stderr, "compile %s/%s: %s\n", ns, name,
				d.message);
			return err;
		}
		if (hashes)
			hashes[i - first] = np_ruleset_hash(rs);
		np_ruleset_free(rs);
	}
	return 0;
}

static int compile_range(struct np_cluster *c, unsigned first, unsigned n,
			 unsigned nns)
{
	return compile_pods(c, first, n, nns, NULL, NULL);
}

static long vm_hwm_kib(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			v = atol(line + 6);
	fclose(f);
	return v;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define RUNS 5

/* The pod an incremental add loads: a peer of pod ns1/p1's policies. */
static const char add_pod[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: new, namespace: ns1,"
	" labels: {app: front}}\nspec: {containers: [{name: c}]}\n"
	"status: {phase: Running, podIP: 198.19.239.1, hostIP: 198.19.255.1}\n";

/* One run from scratch: a new cluster, loaded and compiled. */
static int run(const char *text, size_t len, unsigned npods, unsigned nns,
	       double *t_load, double *t_node, double *t_all, double *t_add,
	       double *t_same, long *rss_load)
{
	struct np_cluster *c;
	struct np_diag d;
	double t0;

	np_cluster_new(&c, NULL);
	t0 = now();
	if (np_cluster_load_buffer(c, text, len, "synth", NULL, &d)) {
		fprintf(stderr, "load: %s %s\n", d.path, d.message);
		return 1;
	}
	*t_load = now() - t0;
	*rss_load = vm_hwm_kib();
	/* one node: pods 0..109 are on node0 */
	t0 = now();
	if (compile_range(c, 0, 110, nns))
		return 1;
	*t_node = now() - t0;
	t0 = now();
	if (compile_range(c, 0, npods, nns))
		return 1;
	*t_all = now() - t0;
	/* the same pod again, nothing changed: the baseline of a pod add */
	t0 = now();
	if (compile_range(c, 1, 1, nns))
		return 1;
	*t_same = now() - t0;
	/* add a pod, then compile a pod it is a peer of (incremental) */
	t0 = now();
	np_cluster_load_buffer(c, add_pod, strlen(add_pod), "add", NULL, NULL);
	if (compile_range(c, 1, 1, nns))
		return 1;
	*t_add = now() - t0;
	np_cluster_free(c);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Distinct non-zero values of v (sorted in place). */
static unsigned distinct(uint64_t *v, unsigned n)
{
	unsigned i, d = 0;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		d += v[i] && (!i || v[i] != v[i - 1]);
	return d;
}

/*
 * The cluster with cluster policies: load and compile every pod from
 * scratch, 5 runs; how many distinct rule sets the pods got (the lever:
 * pods with the same inputs share one).
 */
static int row_cnp(unsigned npods, unsigned nns, unsigned ncnp)
{
	struct synth_cnp sc = { ncnp / 2, ncnp - ncnp / 2, 1 };
	double tl[RUNS], ta[RUNS], tf[RUNS], tp[RUNS];
	uint64_t *h = calloc(npods + 1, sizeof(*h));
	unsigned failed = 0, nd = 0;
	size_t len;
	char *text;
	int i;

	text = synth_cluster_cnp(npods, nns, 110, &sc, &len);
	if (!h || !text)
		return 1;
	for (i = 0; i < RUNS; i++) {
		struct np_cluster *c;
		struct np_diag d;
		double t0;

		np_cluster_new(&c, NULL);
		t0 = now();
		if (np_cluster_load_buffer(c, text, len, "synth", NULL, &d)) {
			fprintf(stderr, "load: %s %s\n", d.path, d.message);
			return 1;
		}
		tl[i] = now() - t0;
		failed = 0;
		t0 = now();
		if (compile_pods(c, 0, npods, nns, h, &failed))
			return 1;
		ta[i] = now() - t0;
		tf[i] = tl[i] + ta[i];
		/* a pod add, as the first row's (the caches start over) */
		t0 = now();
		np_cluster_load_buffer(c, add_pod, strlen(add_pod), "add", NULL,
				       NULL);
		if (compile_range(c, 1, 1, nns))
			return 1;
		tp[i] = now() - t0;
		np_cluster_free(c);
		if (!i)
			nd = distinct(h, npods);
	}
	qsort(tl, RUNS, sizeof(double), cmp_d);
	qsort(ta, RUNS, sizeof(double), cmp_d);
	qsort(tf, RUNS, sizeof(double), cmp_d);
	qsort(tp, RUNS, sizeof(double), cmp_d);
	printf("{\"bench\": \"compile\", \"name\": \"compile_cnp\", "
	       "\"pods\": %u, \"namespaces\": %u, \"policies\": %u, "
	       "\"admin\": %u, \"baseline\": %u, \"runs\": %d, "
	       "\"load_s_min\": %.4f, \"load_s_median\": %.4f, "
	       "\"compile_all_s_min\": %.4f, \"compile_all_s_median\": %.4f, "
	       "\"scratch_all_s_min\": %.4f, \"scratch_all_s_median\": %.4f, "
	       "\"per_pod_us_median\": %.2f, \"distinct_rulesets\": %u, "
	       "\"failed_closed_pods\": %u, \"pod_add_ms_min\": %.4f, "
	       "\"pod_add_ms_median\": %.4f}\n",
	       npods, nns, 2 * nns, sc.admin, sc.baseline, RUNS, tl[0],
	       tl[RUNS / 2], ta[0], ta[RUNS / 2], tf[0], tf[RUNS / 2],
	       ta[RUNS / 2] / npods * 1e6, nd, failed, tp[0] * 1e3,
	       tp[RUNS / 2] * 1e3);
	free(text);
	free(h);
	return 0;
}

/*
 * The scale row's change set (issue 17): a controller that took the first
 * change set (every pod) edits the metrics policy of 20 namespaces (its
 * port: the scale row's policy otherwise, synth.c; their
 * 50 pods each: 1,000 pods at 100,000 pods / 2,000 namespaces), then asks
 * what changed. The baseline: the same call with nothing changed.
 */
static int row_changes(const char *text, size_t len, unsigned npods,
		       unsigned nns)
{
	double tc[RUNS], te[RUNS], tfirst[RUNS];
	size_t reported = 0;
	unsigned nedit = nns < 20 ? nns : 20;
	char pol[512];
	int i;

	for (i = 0; i < RUNS; i++) {
		struct np_changes *ch;
		struct np_cluster *c;
		struct np_diag d;
		unsigned k;
		double t0;

		np_cluster_new(&c, NULL);
		if (np_cluster_load_buffer(c, text, len, "synth", NULL, &d)) {
			fprintf(stderr, "load: %s %s\n", d.path, d.message);
			return 1;
		}
		t0 = now();
		if (np_cluster_changes(c, NULL, &ch, &d)) {
			fprintf(stderr, "changes: %s\n", d.message);
			return 1;
		}
		tfirst[i] = now() - t0;
		np_changes_free(ch);
		t0 = now();
		if (np_cluster_changes(c, NULL, &ch, &d))
			return 1;
		te[i] = now() - t0;
		if (np_changes_count(ch)) {
			fprintf(stderr, "changes: %zu with nothing changed\n",
				np_changes_count(ch));
			return 1;
		}
		np_changes_free(ch);
		/* spread over the cluster: namespaces 0, nns/20, ... */
		for (k = 0; k < nedit; k++) {
			snprintf(
				pol, sizeof(pol),
				"apiVersion: networking.k8s.io/v1\n"
				"kind: NetworkPolicy\n"
				"metadata: {name: metrics, namespace: ns%u}\n"
				"spec:\n  podSelector: {}\n  ingress:\n"
				"  - from:\n    - namespaceSelector: {matchLabels:"
				" {kubernetes.io/metadata.name: ns1}}\n"
				"      podSelector: {matchLabels: {app: monitor}}\n"
				"    ports: [{port: 9091}]\n",
				k * (nns / nedit));
			if (np_cluster_load_buffer(c, pol, strlen(pol), "edit",
						   NULL, &d)) {
				fprintf(stderr, "edit: %s\n", d.message);
				return 1;
			}
		}
		t0 = now();
		if (np_cluster_changes(c, NULL, &ch, &d))
			return 1;
		tc[i] = now() - t0;
		reported = np_changes_count(ch);
		np_changes_free(ch);
		np_cluster_free(c);
	}
	qsort(tc, RUNS, sizeof(double), cmp_d);
	qsort(te, RUNS, sizeof(double), cmp_d);
	qsort(tfirst, RUNS, sizeof(double), cmp_d);
	printf("{\"bench\": \"scale\", \"name\": \"scale_changes\", "
	       "\"pods\": %u, \"namespaces\": %u, \"edited_policies\": %u, "
	       "\"runs\": %d, \"pods_reported\": %zu, "
	       "\"first_changes_s_median\": %.4f, "
	       "\"changes_ms_min\": %.4f, \"changes_ms_median\": %.4f, "
	       "\"unchanged_ms_median\": %.4f}\n",
	       npods, nns, nedit, RUNS, reported, tfirst[RUNS / 2], tc[0] * 1e3,
	       tc[RUNS / 2] * 1e3, te[RUNS / 2] * 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned npods = argc > 1 ? (unsigned)atoi(argv[1]) : 10000;
	unsigned nns = argc > 2 ? (unsigned)atoi(argv[2]) : 500;
	unsigned ncnp = argc > 3 ? (unsigned)atoi(argv[3]) : 100;
	const char *only = argc > 4 ? argv[4] : "";
	/* more NetworkPolicies per namespace: the scale row (issue 17) */
	unsigned extra = argc > 5 ? (unsigned)atoi(argv[5]) : 0;
	double tl[RUNS], tn[RUNS], ta[RUNS], tp[RUNS], ts[RUNS], tf[RUNS];
	long rss_load = 0, r0;
	struct rusage ru;
	size_t len;
	char *text;
	int i;

	if (!strcmp(only, "cnp"))
		return ncnp ? row_cnp(npods, nns, ncnp) : 0;
	text = synth_cluster_np(npods, nns, 110, extra, NULL, &len);
	for (i = 0; i < RUNS; i++) {
		if (run(text, len, npods, nns, &tl[i], &tn[i], &ta[i], &tp[i],
			&ts[i], &r0))
			return 1;
		tf[i] = tl[i] + ta[i];
		if (!i)
			rss_load = r0;
	}
	getrusage(RUSAGE_SELF, &ru);
	qsort(tl, RUNS, sizeof(double), cmp_d);
	qsort(tn, RUNS, sizeof(double), cmp_d);
	qsort(ta, RUNS, sizeof(double), cmp_d);
	qsort(tp, RUNS, sizeof(double), cmp_d);
	qsort(ts, RUNS, sizeof(double), cmp_d);
	qsort(tf, RUNS, sizeof(double), cmp_d);
	printf("{\"bench\": \"%s\", \"name\": \"%s\", \"pods\": %u, "
	       "\"namespaces\": %u, \"policies\": %u, \"runs\": %d, "
	       "\"load_s_min\": %.4f, \"load_s_median\": %.4f, "
	       "\"compile_node_110_s_min\": %.4f, "
	       "\"compile_node_110_s_median\": %.4f, "
	       "\"compile_all_s_min\": %.4f, \"compile_all_s_median\": %.4f, "
	       "\"scratch_all_s_min\": %.4f, \"scratch_all_s_median\": %.4f, "
	       "\"pod_add_ms_min\": %.4f, \"pod_add_ms_median\": %.4f, "
	       "\"pod_same_ms_min\": %.4f, \"pod_same_ms_median\": %.4f, "
	       "\"peak_rss_kib\": %ld, \"rss_after_load_kib\": %ld}\n",
	       extra ? "scale" : "compile", extra ? "scale" : "compile", npods,
	       nns, (2 + extra) * nns, RUNS, tl[0], tl[RUNS / 2], tn[0],
	       tn[RUNS / 2], ta[0], ta[RUNS / 2], tf[0], tf[RUNS / 2],
	       tp[0] * 1e3, tp[RUNS / 2] * 1e3, ts[0] * 1e3, ts[RUNS / 2] * 1e3,
	       ru.ru_maxrss, rss_load);
	fflush(stdout);
	if (extra && row_changes(text, len, npods, nns))
		return 1;
	free(text);
	fflush(stdout);
	if (ncnp && strcmp(only, "np"))
		return row_cnp(npods, nns, ncnp);
	return 0;
}
