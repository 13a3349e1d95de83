/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol repair: the explicit repair of an existing datapath, listing what
 * it fixed. The inspection commands repair nothing (netpol(8)); a writing
 * open does the repairs (filters of ours put back, records of vanished or
 * replaced interfaces forgotten) and logs each one, and this command
 * prints those lines.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "main.h"

struct repair_log {
	size_t fixed;
};

/* Each repair is logged at WARN or INFO; errors go to stderr. */
static void repair_log(void *ctx, enum np_log_level lvl, const char *msg)
{
	struct repair_log *r = ctx;
	char esc[4096];

	msg = tool_esc(msg, esc, sizeof(esc));
	if (lvl == NP_LOG_ERROR) {
		fprintf(stderr, "netpol: %s\n", msg);
		return;
	}
	if (lvl > NP_LOG_INFO || !strncmp(msg, "libbpf: ", 8))
		return;
	printf("repaired: %s\n", msg);
	r->fixed++;
}

int cmd_repair(int argc, char **argv)
{
	struct repair_log r = { 0 };
	struct dp_args a = { 0 };
	struct np_datapath *dp;
	int err;

	if (dp_args_only(argc, argv, "repair", &a))
		return 2;
	/* never load one: there must be a datapath to repair */
	if (dp_open_existing(&dp, &a))
		return 2;
	np_datapath_close(dp);
	err = dp_open_log(&dp, &a, repair_log, &r);
	if (err)
		return 2;
	err = np_datapath_gc(dp);
	np_datapath_close(dp);
	if (err) {
		fprintf(stderr, "netpol: repair: %s\n", np_strerror(err));
		return 2;
	}
	if (!r.fixed)
		printf("nothing to repair\n");
	return 0;
}
