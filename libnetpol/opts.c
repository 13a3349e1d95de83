/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Validation of the caller's options structs (see opts.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "opts.h"

static void opts_diag(struct np_diag *diag, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void opts_diag(struct np_diag *diag, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return;
	memset(diag, 0, sizeof(*diag));
	diag->err = -EINVAL;
	va_start(ap, fmt);
	vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
	va_end(ap);
}

int np__opts_check(const void *opts, size_t sz, size_t min_sz, size_t known_sz,
		   const char *type, struct np_diag *diag)
{
	const unsigned char *p = opts;
	size_t i;

	if (sz < min_sz) {
		opts_diag(diag, "%s: sz too small", type);
		return -EINVAL;
	}
	for (i = known_sz; i < sz; i++)
		if (p[i]) {
			opts_diag(diag,
				  "%s: unknown non-zero fields past byte %zu",
				  type, known_sz);
			return -EINVAL;
		}
	return 0;
}
