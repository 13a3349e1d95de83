// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The library's version, its error strings and the np_diag text. */
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

/*
 * Every code the library returns or passes through from libbpf and the
 * kernel (grep 'return -E' and 'err = -E' in libnetpol/, and the codes
 * the headers and man pages name) has its own text.
 */
Test(misc, strerror_every_code)
{
	static const int codes[] = {
		EINVAL,	 E2BIG,	     ENOENT,	 ENOMEM,  EPERM,  EACCES,
		ENOTSUP, EOPNOTSUPP, EEXIST,	 EBUSY,	  ENODEV, EIO,
		ENOSPC,	 EAGAIN,     EADDRINUSE, ENODATA, EINTR,  ENAMETOOLONG,
		ETIME,	 ESTALE,     EBADF,	 ENOTDIR, EROFS,  EMFILE,
		EFAULT,	 ENOEXEC,
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = np_strerror(-codes[i]);

		cr_expect(s && *s && strcmp(s, "unknown error"),
			  "np_strerror(-%d) is \"%s\"", codes[i], s);
		cr_expect_str_eq(np_strerror(codes[i]), s, "%d", codes[i]);
	}
	cr_expect_str_eq(np_strerror(-ENOTTY), "unknown error", "%d", ENOTTY);
	cr_expect_str_eq(np_strerror(-4095), "unknown error", "%d", -4095);
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
