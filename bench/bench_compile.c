// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Control-plane benchmark: load and compile a synthetic cluster of 10,000
 * pods, 500 namespaces and 1,000 policies, for one node's 110 pods and for
 * every pod; an incremental pod add. Prints JSON lines.
 */
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

static int compile_range(struct np_cluster *c, unsigned first, unsigned n,
			 unsigned nns)
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
		if (err) {
			fprintf(stderr, "compile %s/%s: %s\n", ns, name,
				d.message);
			return err;
		}
		np_ruleset_free(rs);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned npods = argc > 1 ? (unsigned)atoi(argv[1]) : 10000;
	unsigned nns = argc > 2 ? (unsigned)atoi(argv[2]) : 500;
	struct np_cluster *c;
	struct rusage ru;
	double t0, t_load, t_node, t_all, t_add;
	char *text, pod[512];
	size_t len;
	struct np_diag d;

	text = synth_cluster(npods, nns, 110, &len);
	np_cluster_new(&c, NULL);
	t0 = now();
	if (np_cluster_load_buffer(c, text, len, "synth", NULL, &d)) {
		fprintf(stderr, "load: %s %s\n", d.path, d.message);
		return 1;
	}
	t_load = now() - t0;
	/* one node: pods 0..109 are on node0 */
	t0 = now();
	if (compile_range(c, 0, 110, nns))
		return 1;
	t_node = now() - t0;
	t0 = now();
	if (compile_range(c, 0, npods, nns))
		return 1;
	t_all = now() - t0;
	/* add a pod, then compile one node again (incremental) */
	snprintf(pod, sizeof(pod),
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: new, namespace: ns1,"
		 " labels: {app: front}}\nspec: {containers: [{name: c}]}\n"
		 "status: {phase: Running, podIP: 198.18.250.1, hostIP: 198.19.255.1}\n");
	t0 = now();
	np_cluster_load_buffer(c, pod, strlen(pod), "add", NULL, NULL);
	if (compile_range(c, 1, 1, nns))
		return 1;
	t_add = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"bench\": \"compile\", \"pods\": %u, \"namespaces\": %u, "
	       "\"load_s\": %.4f, \"compile_node_110_s\": %.4f, "
	       "\"compile_all_s\": %.4f, \"pod_add_s\": %.6f, "
	       "\"peak_rss_kib\": %ld}\n",
	       npods, nns, t_load, t_node, t_all, t_add, ru.ru_maxrss);
	np_cluster_free(c);
	free(text);
	return 0;
}
