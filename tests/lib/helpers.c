// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Owns the unit suites' loaders, exporters and checks (helpers.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers.h"

static void on_log(void *ctx, enum np_log_level level, const char *msg)
{
	struct t_log *log = ctx;

	log->n++;
	log->level = level;
	snprintf(log->last, sizeof(log->last), "%s", msg);
}

static void on_diag(void *ctx, const struct np_diag *d)
{
	struct t_load *r = ctx;

	if (!r->ncb++)
		r->cb_first = *d;
}

struct np_cluster *t_cluster(struct t_log *log)
{
	NP_OPTS(np_cluster_opts, opts, .log = on_log, .log_ctx = log);
	struct np_cluster *c = NULL;

	if (log)
		memset(log, 0, sizeof(*log));
	cr_assert_eq(np_cluster_new(&c, log ? &opts : NULL), 0);
	cr_assert_not_null(c);
	return c;
}

void t_load_n(struct np_cluster *c, const char *text, size_t len, bool skip,
	      struct t_load *r)
{
	NP_OPTS(np_load_opts, opts, .skip_invalid = skip, .on_diag = on_diag,
		.diag_ctx = r);

	memset(r, 0, sizeof(*r));
	memset(&r->diag, 0xa5, sizeof(r->diag)); /* must be overwritten */
	r->ret = np_cluster_load_buffer(c, text, len ? len : strlen(text),
					"in.yaml", &opts, &r->diag);
}

void t_load(struct np_cluster *c, const char *text, bool skip, struct t_load *r)
{
	t_load_n(c, text, 0, skip, r);
}

void t_load_ok(struct np_cluster *c, const char *text)
{
	struct t_load r;

	t_load(c, text, false, &r);
	cr_assert_eq(r.ret, 0, "%s: %s: %s", text, r.diag.path, r.diag.message);
	cr_expect_eq(r.ncb, 0);
	cr_expect_eq(r.diag.err, 0);
	cr_expect_str_eq(r.diag.message, "");
}

char *t_np_yaml(struct np_cluster *c)
{
	cr_assert_eq(np_cluster_count(c, NP_KIND_NETWORK_POLICY), 1);
	return t_export(c, NP_KIND_NETWORK_POLICY, NP_FORMAT_YAML);
}

char *t_export(struct np_cluster *c, enum np_kind kind, enum np_format fmt)
{
	char *out = NULL;

	cr_assert_eq(np_cluster_export(c, kind, fmt, &out), 0);
	cr_assert_not_null(out);
	return out;
}

char *t_repeat(const char *s, size_t n)
{
	size_t len = strlen(s), i;
	char *buf = malloc(len * n + 1);

	cr_assert_not_null(buf);
	for (i = 0; i < n; i++)
		memcpy(buf + i * len, s, len);
	buf[len * n] = '\0';
	return buf;
}

/* Is s valid UTF-8 with no C0, DEL or C1 control in it? */
bool t_clean_utf8(const char *s, bool allow_2028)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned int c, n, i;

		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				return false;
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			n = 1, c = *p & 0x1f;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 2, c = *p & 0x0f;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 3, c = *p & 0x07;
		else
			return false;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff ||
		    (c >= 0x80 && c <= 0x9f))
			return false;
		if (!allow_2028 && (c == 0x2028 || c == 0x2029))
			return false;
		p += n + 1;
	}
	return true;
}
