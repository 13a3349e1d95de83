/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared helpers of the unit suites. */
#ifndef NP_TEST_HELPERS_H
#define NP_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>

#include <netpol.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* What one load call reported. */
struct t_load {
	int ret;
	struct np_diag diag; /* the diag out-parameter */
	struct np_diag cb_first; /* first on_diag report */
	size_t ncb; /* on_diag calls */
};

/* Log lines the cluster's log callback received. */
struct t_log {
	size_t n;
	char last[1024];
	enum np_log_level level;
};

/* A new cluster whose log callback writes into log (may be NULL). */
struct np_cluster *t_cluster(struct t_log *log);

/* Load len bytes (strlen(text) when len is 0) into c. */
void t_load_n(struct np_cluster *c, const char *text, size_t len, bool skip,
	      struct t_load *r);
void t_load(struct np_cluster *c, const char *text, bool skip,
	    struct t_load *r);

/* Load text into c and expect success without any diagnostic. */
void t_load_ok(struct np_cluster *c, const char *text);

/* The one NetworkPolicy of c, exported as YAML (np_free() it). */
char *t_np_yaml(struct np_cluster *c);

/* Export a kind; the caller np_free()s the result. */
char *t_export(struct np_cluster *c, enum np_kind kind, enum np_format fmt);

/* A malloc'd string of n copies of s. */
char *t_repeat(const char *s, size_t n);

/*
 * Is s valid UTF-8 with no C0, DEL or C1 control in it (nor U+2028/9,
 * unless allow_2028)?
 */
bool t_clean_utf8(const char *s, bool allow_2028);

#endif /* NP_TEST_HELPERS_H */
