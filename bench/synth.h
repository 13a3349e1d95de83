/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef NP_BENCH_SYNTH_H
#define NP_BENCH_SYNTH_H

#include <stdarg.h>
#include <stddef.h>

/* ClusterNetworkPolicies of a synthetic cluster (synth.c says which). */
struct synth_cnp {
	unsigned admin, baseline; /* how many of each tier */
	unsigned seed; /* the same seed, the same policies; 0: 1 */
};

/* YAML text of a synthetic cluster; node_pods pods per node. */
char *synth_cluster(unsigned npods, unsigned nns, unsigned node_pods,
		    size_t *len);
/* The same, with cluster policies after it (cnp NULL: none). */
char *synth_cluster_cnp(unsigned npods, unsigned nns, unsigned node_pods,
			const struct synth_cnp *cnp, size_t *len);
/* The same, with extra NetworkPolicies per namespace (2 + extra). */
char *synth_cluster_np(unsigned npods, unsigned nns, unsigned node_pods,
		       unsigned extra, const struct synth_cnp *cnp,
		       size_t *len);

#endif
