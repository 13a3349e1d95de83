/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef NETPOL_TOOL_H
#define NETPOL_TOOL_H

#include <netpol.h>

extern int verbose;

int tool_load(struct np_cluster **out, char **files, int nfiles,
	      bool skip_invalid, size_t *problems);

/* Commands of later stages join here. */
#define TOOL_COMMANDS

#endif /* NETPOL_TOOL_H */
