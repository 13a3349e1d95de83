/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Helpers of the hostile-input suites: inputs, loading, memory. */
#ifndef NP_HOSTILE_H
#define NP_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>

#include <netpol.h>

/* A growable input buffer; mapped ones come from mmap and are not touched. */
struct h_buf {
	char *p;
	size_t len, cap;
	bool mapped;
};

void h_printf(struct h_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void h_repeat(struct h_buf *b, const char *s, size_t n);
void h_append(struct h_buf *b, const void *p, size_t n);
void h_free(struct h_buf *b);

/* Resident set size now, and the process's peak, in KiB. */
size_t h_rss_kib(void);
size_t h_peak_kib(void);
/* Start a new peak at the current RSS, where the kernel allows it. */
void h_peak_reset(void);
/* Peak growth since RSS was before (KiB). */
size_t h_growth_kib(size_t before);
/* The bound every case must stay under (MiB), larger under sanitizers. */
size_t h_mem_bound_mib(void);
/* Under valgrind memory figures mean nothing and time is 50x. */
bool h_valgrind(void);
double h_now(void);

/* Load b into c; the result and the first diagnostic. */
struct h_load {
	int ret;
	struct np_diag diag;
	size_t ndiag; /* on_diag calls */
	struct np_diag first; /* the first on_diag report */
	size_t mem_kib; /* peak growth during the call */
	double secs;
};

void h_load(struct np_cluster *c, const struct h_buf *b, enum np_format fmt,
	    bool skip, struct h_load *r);
struct np_cluster *h_cluster(void);

#endif /* NP_HOSTILE_H */
