/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef NP_BENCH_SYNTH_H
#define NP_BENCH_SYNTH_H

#include <stdarg.h>
#include <stddef.h>

/* YAML text of a synthetic cluster; node_pods pods per node. */
char *synth_cluster(unsigned npods, unsigned nns, unsigned node_pods,
		    size_t *len);

#endif
