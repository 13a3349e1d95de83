/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the fuzz harnesses: the libFuzzer entry point, a checked abort
 * that names the broken property, and the calls every harness makes on a
 * loaded cluster.
 */
#ifndef NP_FUZZ_H
#define NP_FUZZ_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netpol.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stop on a broken invariant: libFuzzer reports the abort as a crash. */
#define FZ_CHECK(cond)                                                   \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

/* FZ_TRACE=1 in the environment: say what a harness reached. */
#define FZ_TRACE(...)                                     \
	do {                                              \
		static int on_ = -1;                      \
		if (on_ < 0)                              \
			on_ = getenv("FZ_TRACE") != NULL; \
		if (on_)                                  \
			fprintf(stderr, __VA_ARGS__);     \
	} while (0)

/* An error a public call may return on hostile input. */
static inline int fz_expected_err(int err)
{
	return err == 0 || err == -EINVAL || err == -E2BIG || err == -ENOENT ||
	       err == -ENOMEM || err == -ENOTSUP;
}

/* Exercise the diagnostic of a failed call: it must format. */
static inline void fz_diag(const struct np_diag *d)
{
	char buf[1400];
	int err = np_diag_format(d, buf, sizeof(buf));

	FZ_CHECK(err == 0 || err == -ENOSPC);
	FZ_CHECK(memchr(d->file, '\0', sizeof(d->file)));
	FZ_CHECK(memchr(d->object, '\0', sizeof(d->object)));
	FZ_CHECK(memchr(d->path, '\0', sizeof(d->path)));
	FZ_CHECK(memchr(d->message, '\0', sizeof(d->message)));
}

static inline void fz_on_diag(void *ctx, const struct np_diag *d)
{
	size_t *n = ctx;

	(*n)++;
	FZ_CHECK(d->err < 0);
	fz_diag(d);
}

static inline void fz_log(void *ctx, enum np_log_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	FZ_CHECK(msg != NULL);
}

/*
 * Split "a\nb\nc" in place into at most max lines; returns how many.
 * buf must be NUL-terminated.
 */
static inline size_t fz_lines(char *buf, char **lines, size_t max)
{
	size_t n = 0;
	char *p = buf;

	while (n < max) {
		char *nl = strchr(p, '\n');

		lines[n++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return n;
}

/* Compile, export, hash, encode and dump one pod. */
void fz_compile_pod(struct np_cluster *c, const char *ns, const char *name,
		    enum np_source source);
/* Load text as YAML/JSON/auto with the given skip mode; returns the error. */
int fz_load(struct np_cluster *c, const void *data, size_t size,
	    enum np_format fmt, int skip);
/* Every "ns/name" line of np_cluster_names(kind), up to max, compiled. */
void fz_compile_all(struct np_cluster *c, enum np_source source, size_t max);

#endif /* NP_FUZZ_H */
