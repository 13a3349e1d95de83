// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Out of memory on demand (failalloc.h): this file's malloc, calloc,
 * realloc and free take the C library's place in the program they are
 * compiled into, and call the C library's through dlsym.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "failalloc.h"

/* seen by the shared libraries too (the project builds hidden by default) */
#define FA_EXPORT __attribute__((visibility("default")))

static long fail_at = -1, ncalls, live;
static bool armed;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
/* dlsym may calloc before real_calloc is known */
static _Alignas(16) char boot[4096];
static size_t bootn;

static bool fail_now(void)
{
	return armed && ++ncalls == fail_at;
}

FA_EXPORT void *malloc(size_t n)
{
	void *p;

	if (!real_malloc)
		real_malloc = dlsym(RTLD_NEXT, "malloc");
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	p = real_malloc(n);
	live += p != NULL;
	return p;
}

FA_EXPORT void *calloc(size_t a, size_t b)
{
	static bool resolving;
	void *p;

	if (!real_calloc) {
		if (resolving) {
			size_t n = (a * b + 15) & ~(size_t)15;

			if (bootn + n > sizeof(boot))
				return NULL;
			p = boot + bootn;
			bootn += n;
			return p;
		}
		resolving = true;
		real_calloc = dlsym(RTLD_NEXT, "calloc");
		resolving = false;
	}
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	p = real_calloc(a, b);
	live += p != NULL;
	return p;
}

FA_EXPORT void *realloc(void *old, size_t n)
{
	void *p;

	if (!real_realloc)
		real_realloc = dlsym(RTLD_NEXT, "realloc");
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	p = real_realloc(old, n);
	live += p && !old;
	return p;
}

FA_EXPORT void free(void *p)
{
	if (!p || ((char *)p >= boot && (char *)p < boot + sizeof(boot)))
		return;
	if (!real_free)
		real_free = dlsym(RTLD_NEXT, "free");
	live--;
	real_free(p);
}

void failalloc_arm(long at)
{
	fail_at = at;
	ncalls = 0;
	armed = true;
}

long failalloc_disarm(void)
{
	armed = false;
	return ncalls;
}

long failalloc_live(void)
{
	return live;
}
