/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The NetworkPolicy conformance suite (upstream e2e model), as TAP.
 *
 *   run_conformance DIR
 *
 * DIR holds model.yaml, cases/ and stars/. Every directory under cases/
 * (sorted by name) is one scenario:
 *
 *   policy.yaml   NetworkPolicies and any extra objects (loaded after the model)
 *   args          matrix options: --ports 80,81 --protocols TCP,UDP --family 4|6
 *   expect.txt    the expected tables, in the text format of np_cluster_matrix()
 *   verdicts.txt  optional: lines "FROM TO PROTO PORT ALLOW|DENY"
 *
 * Each scenario runs twice: from the NetworkPolicies (the controller's view)
 * and from the PolicyEndpoints they resolve into, loaded with the model into a
 * fresh cluster (the agent's view). Both must give the expected tables and
 * verdicts.
 *
 * A directory with invalid.yaml instead of policy.yaml is an invalid-object
 * scenario, one test point: loading invalid.yaml after the model must fail
 * with -EINVAL (or -E2BIG when a count is over its limit), apply nothing,
 * and report through np_load_opts.on_diag
 * exactly the problems listed in expect-errors.txt, one per line as
 * np_diag_format() writes them without the file position
 * ("OBJECT: PATH: MESSAGE"), in any order.
 *
 * An optional file "todo" in a case directory marks a known bug of the
 * library (its first line says which): the test point (for a scenario, the
 * one from the NetworkPolicies) gets a TAP TODO directive, so it is an
 * expected failure, and an unexpected pass when the bug is fixed (then
 * delete the file).
 *
 * stars/ replays the Stars demo: stars/steps lists "EXPECT FILE" lines, FILE
 * relative to DIR; the files are applied cumulatively and the matrix is
 * compared with EXPECT (in stars/) after each step, with stars/args.
 *
 * A new scenario is a new directory: no code change.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <netpol.h>

#define MAX_PORTS 32
#define MAX_PROTOS 3

struct args {
	uint16_t ports[MAX_PORTS];
	size_t nports;
	enum np_protocol protos[MAX_PROTOS];
	size_t nprotos;
	int family;
};

/* One table of a matrix: "PROTO/PORT", column names, row names, cells. */
struct table {
	char *title;
	char **cols;
	size_t ncols;
	char **rows;
	char *cells; /* rows x ncols, '.' or 'X' ('?' when missing) */
	size_t nrows;
};

struct matrix {
	struct table *t;
	size_t n;
};

/* Diagnostics collected for one test point. */
struct report {
	char *buf;
	size_t len;
	int failures;
};

static int test_no;
static int test_failed;

static void rep_add(struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rep_add(struct report *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	r->buf = realloc(r->buf, r->len + (size_t)n + 1);
	if (!r->buf)
		abort();
	memcpy(r->buf + r->len, s, (size_t)n + 1);
	r->len += (size_t)n;
	free(s);
}

static void rep_fail(struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rep_fail(struct report *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	r->failures++;
	rep_add(r, "%s\n", s ? s : "(out of memory)");
	free(s);
}

/* todo: NULL, or the reason of a TAP TODO directive (a known bug). */
static void tap_result_todo(const char *name, struct report *r,
			    const char *todo)
{
	char *line, *save = NULL;

	test_no++;
	if (r->failures && !todo)
		test_failed++;
	printf("%s %d - %s%s%s\n", r->failures ? "not ok" : "ok", test_no, name,
	       todo ? " # TODO " : "", todo ? todo : "");
	if (r->buf) {
		for (line = strtok_r(r->buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			printf("# %s\n", line);
	}
	fflush(stdout);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

static void tap_result(const char *name, struct report *r)
{
	tap_result_todo(name, r, NULL);
}

static char *path_join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		abort();
	return s;
}

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* --- args ---------------------------------------------------------------- */

static int parse_args(const char *path, struct args *a, struct report *r)
{
	char *text = read_text(path), *tok, *save = NULL, *item, *s2;
	int err = 0;

	memset(a, 0, sizeof(*a));
	a->family = 4;
	if (!text) {
		rep_fail(r, "cannot read %s: %s", path, strerror(errno));
		return -EIO;
	}
	for (tok = strtok_r(text, " \t\n", &save); tok && !err;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		char *val = strtok_r(NULL, " \t\n", &save);

		if (!val) {
			err = -EINVAL;
			break;
		}
		if (!strcmp(tok, "--ports")) {
			for (item = strtok_r(val, ",", &s2); item;
			     item = strtok_r(NULL, ",", &s2)) {
				long v = strtol(item, NULL, 10);

				if (v < 1 || v > 65535 ||
				    a->nports == MAX_PORTS) {
					err = -EINVAL;
					break;
				}
				a->ports[a->nports++] = (uint16_t)v;
			}
		} else if (!strcmp(tok, "--protocols")) {
			for (item = strtok_r(val, ",", &s2); item;
			     item = strtok_r(NULL, ",", &s2)) {
				if (a->nprotos == MAX_PROTOS ||
				    np_protocol_parse(item,
						      &a->protos[a->nprotos])) {
					err = -EINVAL;
					break;
				}
				a->nprotos++;
			}
		} else if (!strcmp(tok, "--family")) {
			a->family = atoi(val);
			if (a->family != 4 && a->family != 6)
				err = -EINVAL;
		} else {
			err = -EINVAL;
		}
	}
	free(text);
	if (!err && !a->nports) {
		a->ports[0] = 80;
		a->nports = 1;
	}
	if (!err && !a->nprotos) {
		a->protos[0] = NP_PROTOCOL_TCP;
		a->nprotos = 1;
	}
	if (err)
		rep_fail(r, "%s: invalid arguments", path);
	return err;
}

/* --- tables -------------------------------------------------------------- */

static void matrix_free(struct matrix *m)
{
	size_t i, j;

	for (i = 0; i < m->n; i++) {
		struct table *t = &m->t[i];

		free(t->title);
		for (j = 0; j < t->ncols; j++)
			free(t->cols[j]);
		for (j = 0; j < t->nrows; j++)
			free(t->rows[j]);
		free(t->cols);
		free(t->rows);
		free(t->cells);
	}
	free(m->t);
	memset(m, 0, sizeof(*m));
}

/* Split a line on tabs into a freshly allocated vector. */
static size_t split_tabs(const char *line, char ***out)
{
	char **v = NULL;
	size_t n = 0;
	const char *p = line, *e;

	for (;;) {
		e = strchr(p, '\t');
		v = realloc(v, (n + 1) * sizeof(*v));
		if (!v)
			abort();
		v[n++] = strndup(p, e ? (size_t)(e - p) : strlen(p));
		if (!e)
			break;
		p = e + 1;
	}
	*out = v;
	return n;
}

static void free_vec(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Parse the text format: "PROTO/PORT", a header "-\tcol...", rows
 * "from\tcell...", blank lines between tables. Lines starting with '#' are
 * comments.
 */
static int parse_matrix(const char *text, struct matrix *m, const char *what,
			struct report *r)
{
	char *copy = strdup(text), *line, *save = NULL;
	struct table *t = NULL;
	int lineno = 0, err = 0;

	memset(m, 0, sizeof(*m));
	if (!copy)
		abort();
	for (line = strtok_r(copy, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		char **v;
		size_t n, i;

		lineno++;
		if (!*line || *line == '#')
			continue;
		if (!strchr(line, '\t')) {
			m->t = realloc(m->t, (m->n + 1) * sizeof(*m->t));
			if (!m->t)
				abort();
			t = &m->t[m->n++];
			memset(t, 0, sizeof(*t));
			t->title = strdup(line);
			continue;
		}
		if (!t) {
			rep_fail(r,
				 "%s: line %d: row before a PROTO/PORT title",
				 what, lineno);
			err = -EINVAL;
			break;
		}
		n = split_tabs(line, &v);
		if (!strcmp(v[0], "-")) {
			if (t->ncols) {
				rep_fail(r, "%s: %s: two header lines", what,
					 t->title);
				err = -EINVAL;
			} else {
				t->ncols = n - 1;
				t->cols = calloc(n, sizeof(*t->cols));
				for (i = 1; i < n; i++)
					t->cols[i - 1] = strdup(v[i]);
			}
			free_vec(v, n);
			continue;
		}
		if (n - 1 != t->ncols) {
			rep_fail(r, "%s: %s: row %s has %zu cells, header %zu",
				 what, t->title, v[0], n - 1, t->ncols);
			free_vec(v, n);
			err = -EINVAL;
			break;
		}
		t->rows = realloc(t->rows, (t->nrows + 1) * sizeof(*t->rows));
		t->cells = realloc(t->cells, (t->nrows + 1) * (t->ncols + 1));
		if (!t->rows || !t->cells)
			abort();
		t->rows[t->nrows] = strdup(v[0]);
		for (i = 1; i < n; i++) {
			char c = v[i][0];

			if ((c != '.' && c != 'X') || v[i][1]) {
				rep_fail(r, "%s: %s: row %s: bad cell \"%s\"",
					 what, t->title, v[0], v[i]);
				err = -EINVAL;
			}
			t->cells[t->nrows * t->ncols + i - 1] = c;
		}
		t->nrows++;
		free_vec(v, n);
	}
	free(copy);
	return err;
}

static long find_name(char **v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], name))
			return (long)i;
	return -1;
}

/* Compare cell by cell; report every difference. */
static void compare_matrix(const struct matrix *exp, const struct matrix *got,
			   const char *ctx, struct report *r)
{
	size_t i, j, k;

	for (i = 0; i < exp->n; i++) {
		const struct table *e = &exp->t[i], *g = NULL;
		int diffs = 0;

		for (j = 0; j < got->n; j++)
			if (!strcmp(got->t[j].title, e->title))
				g = &got->t[j];
		if (!g) {
			rep_fail(r, "%s%s: table missing from the matrix", ctx,
				 e->title);
			continue;
		}
		for (j = 0; j < e->ncols; j++)
			if (find_name(g->cols, g->ncols, e->cols[j]) < 0)
				rep_fail(r, "%s%s: pod %s missing", ctx,
					 e->title, e->cols[j]);
		for (j = 0; j < g->ncols; j++)
			if (find_name(e->cols, e->ncols, g->cols[j]) < 0)
				rep_fail(r, "%s%s: unexpected pod %s", ctx,
					 e->title, g->cols[j]);
		for (j = 0; j < e->nrows; j++) {
			long gr = find_name(g->rows, g->nrows, e->rows[j]);

			if (gr < 0)
				continue;
			for (k = 0; k < e->ncols; k++) {
				long gc = find_name(g->cols, g->ncols,
						    e->cols[k]);
				char ec, gv;

				if (gc < 0)
					continue;
				ec = e->cells[j * e->ncols + k];
				gv = g->cells[(size_t)gr * g->ncols +
					      (size_t)gc];
				if (ec != gv) {
					diffs++;
					rep_fail(
						r,
						"%s%s %s -> %s: expected %s, got %s",
						ctx, e->title, e->rows[j],
						e->cols[k],
						ec == '.' ? "allow (.)" :
							    "deny (X)",
						gv == '.' ? "allow (.)" :
							    "deny (X)");
				}
			}
		}
		(void)diffs;
	}
	for (j = 0; j < got->n; j++) {
		bool found = false;

		for (i = 0; i < exp->n; i++)
			if (!strcmp(got->t[j].title, exp->t[i].title))
				found = true;
		if (!found)
			rep_fail(r, "%s%s: table not in expect.txt", ctx,
				 got->t[j].title);
	}
}

/* --- the library --------------------------------------------------------- */

static void quiet_log(void *ctx, enum np_log_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
}

static struct np_cluster *cluster_new(void)
{
	NP_OPTS(np_cluster_opts, co, .log = quiet_log);
	struct np_cluster *c = NULL;

	if (np_cluster_new(&c, &co))
		abort();
	return c;
}

static void diag_fail(struct report *r, const char *what, int err,
		      const struct np_diag *d)
{
	char buf[1200];

	if (d && (d->message[0] || d->object[0]) &&
	    np_diag_format(d, buf, sizeof(buf)) != -EINVAL)
		rep_fail(r, "%s: %s: %s", what, np_strerror(err), buf);
	else
		rep_fail(r, "%s: %s", what, np_strerror(err));
}

static int load_file(struct np_cluster *c, const char *path, struct report *r)
{
	NP_OPTS(np_load_opts, lo);
	struct np_diag d;
	int err;

	memset(&d, 0, sizeof(d));
	err = np_cluster_load_file(c, path, &lo, &d);
	if (err)
		diag_fail(r, path, err, &d);
	return err;
}

static int load_buffer(struct np_cluster *c, const char *buf, const char *name,
		       struct report *r)
{
	NP_OPTS(np_load_opts, lo);
	struct np_diag d;
	int err;

	memset(&d, 0, sizeof(d));
	err = np_cluster_load_buffer(c, buf, strlen(buf), name, &lo, &d);
	if (err)
		diag_fail(r, name, err, &d);
	return err;
}

/*
 * The agent's view of a cluster: its Namespaces, Pods and Services, and the
 * PolicyEndpoints its NetworkPolicies resolve into, in a fresh cluster
 * (after the model, which the exported objects then overwrite).
 */
static struct np_cluster *endpoints_cluster(struct np_cluster *c,
					    const char *model, struct report *r)
{
	static const enum np_kind kinds[] = {
		NP_KIND_NAMESPACE,
		NP_KIND_POD,
		NP_KIND_SERVICE,
	};
	struct np_cluster *e = cluster_new();
	struct np_diag d;
	char *out = NULL;
	size_t i;
	int err;

	if (model && load_file(e, model, r))
		goto fail;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!np_cluster_count(c, kinds[i]))
			continue;
		err = np_cluster_export(c, kinds[i], NP_FORMAT_YAML, &out);
		if (err) {
			rep_fail(r, "np_cluster_export(%s): %s",
				 np_kind_name(kinds[i]), np_strerror(err));
			goto fail;
		}
		err = load_buffer(e, out, np_kind_name(kinds[i]), r);
		np_free(out);
		if (err)
			goto fail;
	}
	memset(&d, 0, sizeof(d));
	err = np_cluster_endpoints(c, NP_FORMAT_YAML, &out, &d);
	if (err) {
		diag_fail(r, "np_cluster_endpoints", err, &d);
		goto fail;
	}
	err = load_buffer(e, out, "PolicyEndpoints", r);
	np_free(out);
	if (err)
		goto fail;
	return e;
fail:
	np_cluster_free(e);
	return NULL;
}

static void check_matrix(struct np_cluster *c, const struct args *a,
			 enum np_source src, const char *expect_path,
			 const char *ctx, struct report *r)
{
	NP_OPTS(np_matrix_opts, mo, .ports = a->ports, .nports = a->nports,
		.protocols = a->protos, .nprotocols = a->nprotos,
		.family = a->family, .source = src);
	struct matrix exp, got;
	struct np_diag d;
	char *text, *out = NULL;
	int err;

	text = read_text(expect_path);
	if (!text) {
		rep_fail(r, "cannot read %s: %s", expect_path, strerror(errno));
		return;
	}
	memset(&d, 0, sizeof(d));
	err = np_cluster_matrix(c, &mo, NP_FORMAT_TEXT, &out, &d);
	if (err) {
		diag_fail(r, "np_cluster_matrix", err, &d);
		free(text);
		return;
	}
	if (!parse_matrix(text, &exp, expect_path, r) &&
	    !parse_matrix(out, &got, "np_cluster_matrix", r)) {
		compare_matrix(&exp, &got, ctx, r);
		matrix_free(&got);
	}
	matrix_free(&exp);
	np_free(out);
	free(text);
}

static void check_verdicts(struct np_cluster *c, enum np_source src,
			   const char *path, struct report *r)
{
	NP_OPTS(np_compile_opts, co, .source = src);
	char *text = read_text(path), *line, *save = NULL;
	int lineno = 0;

	if (!text) {
		rep_fail(r, "cannot read %s: %s", path, strerror(errno));
		return;
	}
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char from[256], to[256], proto[16], want[16];
		unsigned int port;
		enum np_protocol p;
		struct np_verdict v;
		struct np_diag d;
		int err;

		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (sscanf(line, "%255s %255s %15s %u %15s", from, to, proto,
			   &port, want) != 5 ||
		    np_protocol_parse(proto, &p) || port < 1 || port > 65535 ||
		    (strcmp(want, "ALLOW") && strcmp(want, "DENY"))) {
			rep_fail(r, "verdicts.txt:%d: cannot parse \"%s\"",
				 lineno, line);
			continue;
		}
		memset(&d, 0, sizeof(d));
		memset(&v, 0, sizeof(v));
		err = np_cluster_verdict(c, from, to, p, (uint16_t)port, &co,
					 &v, &d);
		if (err) {
			diag_fail(r, line, err, &d);
			continue;
		}
		if (v.allowed != !strcmp(want, "ALLOW"))
			rep_fail(r,
				 "verdict %s -> %s %s/%u: expected %s, got %s "
				 "(%s side, key \"%s\", policies \"%s\")",
				 from, to, np_protocol_name(p), port, want,
				 v.allowed ? "ALLOW" : "DENY",
				 v.direction == NP_DIRECTION_EGRESS ? "egress" :
								      "ingress",
				 v.key, v.policies);
	}
	free(text);
}

/* --- scenarios ----------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A growing list of strings. */
struct lines {
	char **v;
	size_t n;
};

static void lines_add(struct lines *l, const char *s)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	if (!l->v)
		abort();
	l->v[l->n] = strdup(s);
	if (!l->v[l->n])
		abort();
	l->n++;
}

static void lines_free(struct lines *l)
{
	free_vec(l->v, l->n);
	memset(l, 0, sizeof(*l));
}

/* np_load_opts.on_diag: every problem, formatted without file position. */
static void collect_diag(void *ctx, const struct np_diag *d)
{
	struct np_diag copy = *d;
	char buf[1200];

	copy.file[0] = '\0';
	copy.line = copy.column = 0;
	if (np_diag_format(&copy, buf, sizeof(buf)) == -EINVAL)
		snprintf(buf, sizeof(buf), "(np_diag_format failed)");
	lines_add(ctx, buf);
}

/* The first line of a case's "todo" file, or NULL when there is none. */
static char *read_todo(const char *cdir)
{
	char *path = path_join(cdir, "todo"), *text = read_text(path), *nl;

	free(path);
	if (!text)
		return NULL;
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	if (!*text) {
		free(text);
		return strdup("known bug");
	}
	return text;
}

/* Report lines of a that b lacks (as multisets; both sorted). */
static void missing_lines(const struct lines *a, const struct lines *b,
			  const char *what, struct report *r)
{
	size_t i = 0, j = 0;

	while (i < a->n) {
		int c = j < b->n ? strcmp(a->v[i], b->v[j]) : -1;

		if (!c) {
			i++;
			j++;
		} else if (c < 0) {
			rep_fail(r, "%s: %s", what, a->v[i++]);
		} else {
			j++;
		}
	}
}

static void run_invalid(const char *dir, const char *model, const char *name)
{
	char *cdir = path_join(dir, name);
	char *invalid = path_join(cdir, "invalid.yaml");
	char *expectf = path_join(cdir, "expect-errors.txt");
	char *text = read_text(expectf), *line, *save = NULL, *todo;
	NP_OPTS(np_load_opts, lo, .on_diag = collect_diag);
	struct lines want = { 0 }, got = { 0 };
	struct report r = { 0 };
	struct np_cluster *c = cluster_new();
	struct np_diag d;
	size_t before[NP_KIND__MAX], k;
	int err;

	todo = read_todo(cdir);
	if (!text) {
		rep_fail(&r, "cannot read %s: %s", expectf, strerror(errno));
		goto out;
	}
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (*line && *line != '#')
			lines_add(&want, line);
	if (!want.n)
		rep_fail(&r, "%s lists no error", expectf);
	if (load_file(c, model, &r))
		goto out;
	for (k = 0; k < NP_KIND__MAX; k++)
		before[k] = np_cluster_count(c, (enum np_kind)k);
	memset(&d, 0, sizeof(d));
	lo.diag_ctx = &got;
	err = np_cluster_load_file(c, invalid, &lo, &d);
	if (err != -EINVAL && err != -E2BIG)
		rep_fail(&r,
			 "loading %s returned %d (%s), expected -EINVAL or "
			 "-E2BIG",
			 invalid, err, np_strerror(err));
	for (k = 0; k < NP_KIND__MAX; k++)
		if (np_cluster_count(c, (enum np_kind)k) != before[k])
			rep_fail(&r, "%s: some %s applied (all or nothing)",
				 invalid, np_kind_name((enum np_kind)k));
	qsort(want.v, want.n, sizeof(*want.v), cmp_str);
	if (got.n)
		qsort(got.v, got.n, sizeof(*got.v), cmp_str);
	missing_lines(&want, &got, "expected, not reported", &r);
	missing_lines(&got, &want, "reported, not expected", &r);
out:
	tap_result_todo(name, &r, todo);
	lines_free(&want);
	lines_free(&got);
	np_cluster_free(c);
	free(todo);
	free(text);
	free(cdir);
	free(invalid);
	free(expectf);
}

static void run_case(const char *dir, const char *model, const char *name)
{
	char *cdir = path_join(dir, name);
	char *policy = path_join(cdir, "policy.yaml");
	char *argsf = path_join(cdir, "args");
	char *expect = path_join(cdir, "expect.txt");
	char *verdicts = path_join(cdir, "verdicts.txt");
	char *tname = NULL, *todo = read_todo(cdir);
	struct report r = { 0 };
	struct np_cluster *c = cluster_new(), *e = NULL;
	struct args a;
	bool have_verdicts = file_exists(verdicts);
	bool ok_setup;

	ok_setup = !parse_args(argsf, &a, &r) && !load_file(c, model, &r) &&
		   !load_file(c, policy, &r);
	if (ok_setup) {
		check_matrix(c, &a, NP_SOURCE_POLICIES, expect, "", &r);
		if (have_verdicts)
			check_verdicts(c, NP_SOURCE_POLICIES, verdicts, &r);
	}
	tap_result_todo(name, &r, todo);
	free(todo);

	if (ok_setup) {
		e = endpoints_cluster(c, model, &r);
		if (e) {
			check_matrix(e, &a, NP_SOURCE_ENDPOINTS, expect,
				     "endpoints: ", &r);
			if (have_verdicts)
				check_verdicts(e, NP_SOURCE_ENDPOINTS, verdicts,
					       &r);
		}
	} else {
		rep_fail(&r, "setup failed (see the previous test)");
	}
	if (asprintf(&tname, "%s [PolicyEndpoints]", name) < 0)
		abort();
	tap_result(tname, &r);

	free(tname);
	np_cluster_free(e);
	np_cluster_free(c);
	free(cdir);
	free(policy);
	free(argsf);
	free(expect);
	free(verdicts);
}

static void run_cases(const char *srcdir, const char *model)
{
	char *dir = path_join(srcdir, "cases");
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;

	if (!d) {
		struct report r = { 0 };

		rep_fail(&r, "cannot open %s: %s", dir, strerror(errno));
		tap_result("cases", &r);
		free(dir);
		return;
	}
	while ((de = readdir(d))) {
		char *p;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		p = path_join(dir, de->d_name);
		if (!stat(p, &st) && S_ISDIR(st.st_mode)) {
			names = realloc(names, (n + 1) * sizeof(*names));
			if (!names)
				abort();
			names[n++] = strdup(de->d_name);
		}
		free(p);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		char *cdir = path_join(dir, names[i]);
		char *inv = path_join(cdir, "invalid.yaml");

		if (file_exists(inv))
			run_invalid(dir, model, names[i]);
		else
			run_case(dir, model, names[i]);
		free(inv);
		free(cdir);
		free(names[i]);
	}
	free(names);
	free(dir);
}

/* stars/steps: "EXPECT FILE" per line, applied cumulatively. */
static void run_stars(const char *srcdir)
{
	char *dir = path_join(srcdir, "stars");
	char *stepsf = path_join(dir, "steps");
	char *argsf = path_join(dir, "args");
	char *text = read_text(stepsf), *line, *save = NULL;
	struct np_cluster *c = cluster_new();
	struct report r = { 0 };
	struct args a;
	bool broken = false;

	if (!text || parse_args(argsf, &a, &r)) {
		if (!text)
			rep_fail(&r, "cannot read %s: %s", stepsf,
				 strerror(errno));
		tap_result("stars", &r);
		goto out;
	}
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char expect[256], file[512], *ep, *fp, *tname = NULL;
		struct np_cluster *e;

		if (!*line || *line == '#')
			continue;
		if (sscanf(line, "%255s %511s", expect, file) != 2) {
			rep_fail(&r, "steps: cannot parse \"%s\"", line);
			tap_result("stars steps", &r);
			continue;
		}
		ep = path_join(dir, expect);
		fp = path_join(srcdir, file);
		if (broken)
			rep_fail(&r, "an earlier step failed to load");
		else if (load_file(c, fp, &r))
			broken = true;
		else
			check_matrix(c, &a, NP_SOURCE_POLICIES, ep, "", &r);
		if (asprintf(&tname, "stars %s", expect) < 0)
			abort();
		tap_result(tname, &r);
		free(tname);

		if (!broken) {
			e = endpoints_cluster(c, NULL, &r);
			if (e)
				check_matrix(e, &a, NP_SOURCE_ENDPOINTS, ep,
					     "endpoints: ", &r);
			np_cluster_free(e);
		} else {
			rep_fail(&r, "an earlier step failed to load");
		}
		if (asprintf(&tname, "stars %s [PolicyEndpoints]", expect) < 0)
			abort();
		tap_result(tname, &r);
		free(tname);
		free(ep);
		free(fp);
	}
out:
	free(text);
	np_cluster_free(c);
	free(dir);
	free(stepsf);
	free(argsf);
}

int main(int argc, char **argv)
{
	char *model;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CONFORMANCE-DIR\n", argv[0]);
		return 2;
	}
	model = path_join(argv[1], "model.yaml");
	run_cases(argv[1], model);
	run_stars(argv[1]);
	printf("1..%d\n", test_no);
	free(model);
	return test_failed ? 1 : 0;
}
