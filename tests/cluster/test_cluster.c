/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The cluster snapshot: transactional loading (all or nothing, or skipping
 * what is invalid), upsert, delete, the implied namespace label, files,
 * and the argument and options checks of its public calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "manifests.h"

/* --- transactional loading, upsert, delete ------------------------------ */

#define NS_A "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"
#define NS_B "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n"
#define NS_BAD "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: B!\n"

Test(cluster, all_or_nothing)
{
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;
	char *before, *after;

	t_load_ok(c, NS_A "  labels: {v: one}\n");
	before = t_export(c, NP_KIND_NAMESPACE, NP_FORMAT_JSON);
	t_load(c, NS_A "  labels: {v: two}\n---\n" NS_B "---\n" NS_BAD, false,
	       &r);
	cr_expect_eq(r.ret, -EINVAL);
	cr_expect_eq(r.ncb, 1);
	cr_expect_eq(r.diag.line, 15);
	cr_expect_str_eq(r.diag.object, "Namespace B!");
	cr_expect_eq(np_cluster_count(c, NP_KIND_NAMESPACE), 1);
	after = t_export(c, NP_KIND_NAMESPACE, NP_FORMAT_JSON);
	cr_expect_str_eq(after, before);
	cr_expect(strstr(after, "\"v\": \"one\"") != NULL, "%s", after);
	np_free(before);
	np_free(after);
	np_cluster_free(c);
}

Test(cluster, syntax_error_applies_nothing_even_when_skipping)
{
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;

	t_load(c, NS_A "---\n" NS_B "  labels: [\n", true, &r);
	cr_expect_eq(r.ret, -EINVAL);
	cr_expect_eq(r.ncb, 1);
	cr_expect_eq(np_cluster_count(c, NP_KIND_NAMESPACE), 0);
	np_cluster_free(c);
}

Test(cluster, skip_invalid)
{
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;
	char *out;

	t_load_ok(c, NS_A "  labels: {v: one}\n---\n" NS_B);
	/* the new a is invalid: the old a stays; c is added; two reports */
	t_load(c,
	       NS_A
	       "  labels: {v: \"t w o\"}\n---\n"
	       "apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n---\n" NS_BAD,
	       true, &r);
	cr_expect_eq(r.ret, 0);
	cr_expect_eq(r.ncb, 2);
	cr_expect_str_eq(r.diag.object, "Namespace a");
	cr_expect_str_eq(r.diag.path, "metadata.labels");
	cr_expect_str_eq(r.cb_first.object, "Namespace a");
	cr_expect_eq(np_cluster_count(c, NP_KIND_NAMESPACE), 3);
	out = t_export(c, NP_KIND_NAMESPACE, NP_FORMAT_YAML);
	cr_expect(strstr(out, "name: a\n    labels:\n"
			      "      kubernetes.io/metadata.name: a\n"
			      "      v: one\n") != NULL,
		  "%s", out);
	np_free(out);
	np_cluster_free(c);
}

Test(cluster, upsert_replaces)
{
	struct np_cluster *c = t_cluster(NULL);
	char *out;

	t_load_ok(c, NPH);
	t_load_ok(c, NPH "  policyTypes: [Egress]\n");
	cr_expect_eq(np_cluster_count(c, NP_KIND_NETWORK_POLICY), 1);
	out = t_np_yaml(c);
	cr_expect(strstr(out, "policyTypes:\n    - Egress\n") != NULL, "%s",
		  out);
	cr_expect(strstr(out, "Ingress") == NULL, "%s", out);
	np_free(out);
	/* the same name in another namespace is another object */
	t_load_ok(c, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		     "metadata: {name: web, namespace: dev}\n");
	cr_expect_eq(np_cluster_count(c, NP_KIND_NETWORK_POLICY), 2);
	np_cluster_free(c);
}

Test(cluster, delete)
{
	struct np_cluster *c = t_cluster(NULL);
	char name[32], text[256];
	int i;

	/* enough objects to exercise the table's probing and shifting */
	for (i = 0; i < 200; i++) {
		snprintf(text, sizeof(text),
			 "apiVersion: v1\nkind: Pod\n"
			 "metadata: {name: p%d, namespace: n%d}\n",
			 i, i % 7);
		t_load_ok(c, text);
	}
	cr_expect_eq(np_cluster_count(c, NP_KIND_POD), 200);
	for (i = 0; i < 200; i += 2) {
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(text, sizeof(text), "n%d", i % 7);
		cr_expect_eq(np_cluster_delete(c, NP_KIND_POD, text, name), 0,
			     "%s/%s", text, name);
	}
	cr_expect_eq(np_cluster_count(c, NP_KIND_POD), 100);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(text, sizeof(text), "n%d", i % 7);
		cr_expect_eq(np_cluster_delete(c, NP_KIND_POD, text, name),
			     i % 2 ? 0 : -ENOENT, "%s/%s", text, name);
	}
	cr_expect_eq(np_cluster_count(c, NP_KIND_POD), 0);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_POD, "x", "nothing"),
		     -ENOENT);
	t_load_ok(c, NS_A);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_NAMESPACE, NULL, "a"), 0);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_NAMESPACE, NULL, "a"),
		     -ENOENT);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_POD, NULL, "a"), -EINVAL);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_POD, "x", NULL), -EINVAL);
	cr_expect_eq(np_cluster_delete(c, NP_KIND__MAX, "x", "a"), -EINVAL);
	cr_expect_eq(np_cluster_delete(NULL, NP_KIND_POD, "x", "a"), -EINVAL);
	np_cluster_free(c);
}

Test(cluster, namespace_implied_label)
{
	struct np_cluster *c = t_cluster(NULL);
	char *out;

	t_load_ok(c, NS_B "  labels: {team: x}\n---\n" NS_A);
	out = t_export(c, NP_KIND_NAMESPACE, NP_FORMAT_JSON);
	cr_expect_str_eq(out,
			 "{\n"
			 "  \"apiVersion\": \"v1\",\n"
			 "  \"kind\": \"List\",\n"
			 "  \"items\": [\n"
			 "    {\n"
			 "      \"apiVersion\": \"v1\",\n"
			 "      \"kind\": \"Namespace\",\n"
			 "      \"metadata\": {\n"
			 "        \"name\": \"a\",\n"
			 "        \"labels\": {\n"
			 "          \"kubernetes.io/metadata.name\": \"a\"\n"
			 "        }\n"
			 "      }\n"
			 "    },\n"
			 "    {\n"
			 "      \"apiVersion\": \"v1\",\n"
			 "      \"kind\": \"Namespace\",\n"
			 "      \"metadata\": {\n"
			 "        \"name\": \"b\",\n"
			 "        \"labels\": {\n"
			 "          \"kubernetes.io/metadata.name\": \"b\",\n"
			 "          \"team\": \"x\"\n"
			 "        }\n"
			 "      }\n"
			 "    }\n"
			 "  ]\n"
			 "}\n");
	np_free(out);
	np_cluster_free(c);
}

Test(cluster, load_file)
{
	struct np_cluster *c = t_cluster(NULL);
	char path[] = "/tmp/np-test-XXXXXX";
	struct np_diag d;
	size_t ncb = 0;
	int fd;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, NS_A, strlen(NS_A)), (ssize_t)strlen(NS_A));
	close(fd);
	cr_expect_eq(np_cluster_load_file(c, path, NULL, &d), 0);
	cr_expect_eq(np_cluster_count(c, NP_KIND_NAMESPACE), 1);
	unlink(path);
	cr_expect_eq(np_cluster_load_file(c, path, NULL, &d), -ENOENT);
	cr_expect_eq(d.err, -ENOENT);
	cr_expect_str_eq(d.file, path);
	cr_expect_str_eq(d.message, "No such file or directory");
	cr_expect_eq(np_cluster_load_file(NULL, path, NULL, &d), -EINVAL);
	cr_expect_eq(np_cluster_load_file(c, NULL, NULL, &d), -EINVAL);
	np_cluster_free(c);
	(void)ncb;
}

static void count_diag(void *ctx, const struct np_diag *d)
{
	(*(size_t *)ctx)++;
	cr_expect_eq(d->err, -ENOENT);
}

Test(cluster, load_file_reports_without_diag)
{
	struct np_cluster *c = t_cluster(NULL);
	size_t n = 0;
	NP_OPTS(np_load_opts, o, .on_diag = count_diag, .diag_ctx = &n);

	cr_expect_eq(np_cluster_load_file(c, "/nonexistent/x.yaml", &o, NULL),
		     -ENOENT);
	cr_expect_eq(n, 1);
	np_cluster_free(c);
}

/* --- public calls: NULL arguments and options ------------------------- */

Test(misc, free_null)
{
	np_cluster_free(NULL);
	np_free(NULL);
}

Test(misc, null_args)
{
	struct np_cluster *c = t_cluster(NULL);
	struct np_diag d;
	char *out = (char *)"untouched";

	cr_expect_eq(np_cluster_new(NULL, NULL), -EINVAL);
	cr_expect_eq(np_cluster_load_buffer(NULL, "", 0, NULL, NULL, NULL),
		     -EINVAL);
	cr_expect_eq(np_cluster_load_buffer(c, NULL, 1, NULL, NULL, &d),
		     -EINVAL);
	cr_expect_eq(np_cluster_load_file(NULL, "x", NULL, NULL), -EINVAL);
	cr_expect_eq(np_cluster_load_file(c, NULL, NULL, &d), -EINVAL);
	cr_expect_eq(np_cluster_delete(NULL, NP_KIND_POD, "a", "b"), -EINVAL);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_POD, "a", NULL), -EINVAL);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_POD, NULL, "b"), -EINVAL);
	cr_expect_eq(np_cluster_count(NULL, NP_KIND_POD), 0);
	cr_expect_eq(np_cluster_count(c, NP_KIND__MAX), 0);
	cr_expect_eq(np_cluster_export(NULL, NP_KIND_POD, NP_FORMAT_YAML, &out),
		     -EINVAL);
	cr_expect_eq(np_cluster_export(c, NP_KIND_POD, NP_FORMAT_YAML, NULL),
		     -EINVAL);
	cr_expect_eq(np_cluster_export(c, NP_KIND__MAX, NP_FORMAT_YAML, &out),
		     -EINVAL);
	cr_expect_eq(np_cluster_export(c, NP_KIND_POD, NP_FORMAT_AUTO, &out),
		     -EINVAL);
	cr_expect_eq(np_cluster_export(c, NP_KIND_POD, NP_FORMAT_TEXT, &out),
		     -EINVAL);
	cr_expect_str_eq(out, "untouched");
	cr_expect_eq(np_diag_format(NULL, out, 1), -EINVAL);
	np_cluster_free(c);
}

#define SKIPPED "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"

Test(misc, opts_sz)
{
	struct np_cluster *c = NULL;
	struct np_cluster_opts copts = { 0 };
	struct np_load_opts lopts = { 0 };
	struct np_diag d;

	/*
	 * sz 0 is too small: -EINVAL, and the fields are not read (a call to
	 * log would crash)
	 */
	copts.log = (np_log_fn)1;
	cr_expect_eq(np_cluster_new(&c, &copts), -EINVAL);
	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	lopts.format = NP_FORMAT_TEXT;
	cr_expect_eq(np_cluster_load_buffer(c, SKIPPED, strlen(SKIPPED), NULL,
					    &lopts, &d),
		     -EINVAL);
	cr_expect_str_eq(d.message, "np_load_opts: sz too small");
	lopts.sz = sizeof(lopts);
	cr_expect_eq(np_cluster_load_buffer(c, SKIPPED, strlen(SKIPPED), NULL,
					    &lopts, &d),
		     -EINVAL);
	/* forced JSON on YAML text is a syntax error */
	lopts.format = NP_FORMAT_JSON;
	cr_expect_eq(np_cluster_load_buffer(c, "a: b\n", 5, "f", &lopts, &d),
		     -EINVAL);
	cr_expect_str_eq(d.file, "f");
	cr_expect_eq(d.line, 1);
	np_cluster_free(c);
}
