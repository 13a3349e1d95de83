// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Commands that need the kernel datapath. Built without it, they say so.
 */
#include <errno.h>
#include <stdio.h>

#include "netpol_tool.h"

int tool_matrix_datapath(struct np_cluster *c, const struct np_matrix_opts *mo,
			 enum np_format fmt, char **out, struct np_diag *d)
{
	(void)c;
	(void)mo;
	(void)fmt;
	(void)out;
	d->message[0] = '\0';
	fprintf(stderr, "netpol: this build has no datapath\n");
	return -ENOTSUP;
}
