// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#include "hostile.h"

static void reserve(struct h_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;

	while (cap - b->len <= more)
		cap *= 2;
	if (cap != b->cap) {
		b->p = realloc(b->p, cap);
		cr_assert_not_null(b->p);
		b->cap = cap;
	}
}

void h_printf(struct h_buf *b, const char *fmt, ...)
{
	va_list ap, again;
	int n;

	reserve(b, 256);
	va_start(ap, fmt);
	va_copy(again, ap);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	cr_assert_geq(n, 0);
	if ((size_t)n >= b->cap - b->len) {
		reserve(b, (size_t)n + 1);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, again);
	}
	va_end(again);
	b->len += (size_t)n;
}

void h_repeat(struct h_buf *b, const char *s, size_t n)
{
	size_t l = strlen(s), i;

	reserve(b, l * n + 1);
	for (i = 0; i < n; i++) {
		memcpy(b->p + b->len, s, l);
		b->len += l;
	}
	b->p[b->len] = '\0';
}

void h_append(struct h_buf *b, const void *p, size_t n)
{
	reserve(b, n + 1);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void h_free(struct h_buf *b)
{
	if (b->mapped)
		munmap(b->p, b->cap);
	else
		free(b->p);
	memset(b, 0, sizeof(*b));
}

size_t h_rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (size_t)sysconf(_SC_PAGESIZE) / 1024;
}

void h_peak_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	/* "5" resets the peak RSS (Linux 4.0); without it peaks only grow */
	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

size_t h_peak_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (size_t)ru.ru_maxrss;
}

#if defined(__SANITIZE_ADDRESS__)
#define H_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define H_ASAN 1
#endif
#endif

size_t h_growth_kib(size_t before)
{
	size_t peak = h_peak_kib(), now = h_rss_kib();

	/* the kernel updates the peak lazily: it may lag behind now */
	if (now > peak)
		peak = now;
	return peak > before ? peak - before : 0;
}

size_t h_mem_bound_mib(void)
{
#ifdef H_ASAN
	/* shadow memory, redzones and the 256 MiB quarantine */
	return 1024;
#else
	return 256;
#endif
}

bool h_valgrind(void)
{
#ifdef HAVE_VALGRIND_H
	return RUNNING_ON_VALGRIND;
#else
	return false;
#endif
}

double h_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void on_diag(void *ctx, const struct np_diag *d)
{
	struct h_load *r = ctx;

	if (!r->ndiag++)
		r->first = *d;
}

void h_load(struct np_cluster *c, const struct h_buf *b, enum np_format fmt,
	    bool skip, struct h_load *r)
{
	NP_OPTS(np_load_opts, o, .skip_invalid = skip, .format = fmt,
		.on_diag = on_diag, .diag_ctx = r);
	size_t before;
	double t;

	memset(r, 0, sizeof(*r));
	h_peak_reset();
	before = h_rss_kib();
	t = h_now();
	r->ret = np_cluster_load_buffer(c, b->p, b->len, "hostile", &o,
					&r->diag);
	r->secs = h_now() - t;
	r->mem_kib = h_growth_kib(before);
}

struct np_cluster *h_cluster(void)
{
	struct np_cluster *c = NULL;

	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	return c;
}
