// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Small public functions and argument checking. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers.h"

Test(misc, version)
{
	char want[32];

	snprintf(want, sizeof(want), "%d.%d.%d", NP_VERSION_MAJOR,
		 NP_VERSION_MINOR, NP_VERSION_PATCH);
	cr_expect_str_eq(np_version(), want);
	cr_expect_str_eq(np_version(), "0.1.0");
}

Test(misc, strerror)
{
	cr_expect_str_eq(np_strerror(0), "success");
	cr_expect_str_eq(np_strerror(-EINVAL), "invalid input");
	cr_expect_str_eq(np_strerror(EINVAL), "invalid input");
	cr_expect_str_eq(np_strerror(-E2BIG), "over a limit");
	cr_expect_str_eq(np_strerror(-ENOENT), "no such object");
	cr_expect_str_eq(np_strerror(-ENOMEM), "out of memory");
	cr_expect_str_eq(np_strerror(-EPERM), "operation not permitted");
	cr_expect_str_eq(np_strerror(-ENOTSUP), "not supported");
	cr_expect_str_eq(np_strerror(-ENOSPC), "no space left");
	cr_expect_str_eq(np_strerror(-99999), "unknown error");
	cr_expect_str_eq(np_strerror(-2147483647 - 1), "unknown error");
}

Test(misc, kind_name)
{
	static const char *const names[] = {
		"Namespace",	  "Pod", "Service", "NetworkPolicy",
		"PolicyEndpoint",
	};
	int k;

	cr_assert_eq(ARRAY_LEN(names), NP_KIND__MAX);
	for (k = 0; k < NP_KIND__MAX; k++)
		cr_expect_str_eq(np_kind_name((enum np_kind)k), names[k]);
	cr_expect_null(np_kind_name(NP_KIND__MAX));
	cr_expect_null(np_kind_name((enum np_kind) - 1));
}

static struct np_diag full(void)
{
	struct np_diag d;

	memset(&d, 0, sizeof(d));
	d.err = -EINVAL;
	d.line = 12;
	d.column = 7;
	strcpy(d.file, "web.yaml");
	strcpy(d.object, "NetworkPolicy default/web");
	strcpy(d.path, "spec.ingress[0].ports[1].endPort");
	strcpy(d.message,
	       "Invalid value: 70: must be greater than or equal to `port`");
	return d;
}

Test(diag, format_all_parts)
{
	struct np_diag d = full();
	char buf[512];

	cr_expect_eq(np_diag_format(&d, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "web.yaml:12:7: NetworkPolicy default/web: "
			      "spec.ingress[0].ports[1].endPort: Invalid "
			      "value: 70: must be greater than or equal to "
			      "`port`");
}

Test(diag, format_missing_parts)
{
	struct np_diag d = full();
	char buf[512];

	d.column = 0;
	cr_expect_eq(np_diag_format(&d, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "web.yaml:12: NetworkPolicy default/web: "
			      "spec.ingress[0].ports[1].endPort: Invalid "
			      "value: 70: must be greater than or equal to "
			      "`port`");
	d.line = 0;
	d.column = 3; /* a column without a line means nothing */
	d.object[0] = '\0';
	cr_expect_eq(np_diag_format(&d, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "web.yaml: spec.ingress[0].ports[1].endPort: "
			      "Invalid value: 70: must be greater than or "
			      "equal to `port`");
	d.file[0] = '\0';
	d.path[0] = '\0';
	cr_expect_eq(np_diag_format(&d, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "Invalid value: 70: must be greater than or "
			      "equal to `port`");
	d.message[0] = '\0';
	d.err = -E2BIG;
	cr_expect_eq(np_diag_format(&d, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "over a limit");
	strcpy(d.object, "Pod x/a");
	cr_expect_eq(np_diag_format(&d, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "Pod x/a: over a limit");
}

Test(diag, format_truncation)
{
	struct np_diag d = full();
	char buf[16];

	memset(buf, 'x', sizeof(buf));
	cr_expect_eq(np_diag_format(&d, buf, sizeof(buf)), -ENOSPC);
	cr_expect_str_eq(buf, "web.yaml:12:7: ");
	cr_expect_eq(np_diag_format(&d, buf, 1), -ENOSPC);
	cr_expect_str_eq(buf, "");
	/* exactly fits */
	memset(&d, 0, sizeof(d));
	strcpy(d.message, "0123456789abcde");
	cr_expect_eq(np_diag_format(&d, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "0123456789abcde");
	strcpy(d.message, "0123456789abcdef");
	cr_expect_eq(np_diag_format(&d, buf, sizeof(buf)), -ENOSPC);
	cr_expect_str_eq(buf, "0123456789abcde");
}

Test(diag, format_null_args)
{
	struct np_diag d = full();
	char buf[64];

	cr_expect_eq(np_diag_format(NULL, buf, sizeof(buf)), -EINVAL);
	cr_expect_eq(np_diag_format(&d, NULL, sizeof(buf)), -EINVAL);
	cr_expect_eq(np_diag_format(&d, buf, 0), -EINVAL);
}

Test(diag, from_load_formats)
{
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;
	char buf[512];

	t_load(c,
	       "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	       "metadata:\n  name: web\n"
	       "spec:\n  ingress:\n  - ports:\n    - port: 80\n"
	       "      endPort: 70\n",
	       false, &r);
	cr_assert_eq(r.ret, -EINVAL);
	cr_expect_eq(np_diag_format(&r.diag, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "in.yaml:9:16: NetworkPolicy default/web: "
			      "spec.ingress[0].ports[0].endPort: Invalid "
			      "value: 70: must be greater than or equal to "
			      "`port`");
	np_cluster_free(c);
}

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

	/* sz 0: the fields are not read (a call to log would crash) */
	copts.log = (np_log_fn)1;
	cr_expect_eq(np_cluster_new(&c, &copts), 0);
	lopts.format = NP_FORMAT_TEXT;
	cr_expect_eq(np_cluster_load_buffer(c, SKIPPED, strlen(SKIPPED), NULL,
					    &lopts, &d),
		     0);
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
