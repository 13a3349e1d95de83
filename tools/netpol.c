// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * netpol: the command-line face of libnetpol. See netpol(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netpol.h>

#include "netpol_tool.h"

static void on_diag(void *ctx, const struct np_diag *d)
{
	char buf[2048];
	size_t *count = ctx;

	np_diag_format(d, buf, sizeof(buf));
	fprintf(stderr, "%s\n", buf);
	if (count)
		(*count)++;
}

static void on_log(void *ctx, enum np_log_level lvl, const char *msg)
{
	int *v = ctx;

	if (lvl <= NP_LOG_WARN || (v && *v))
		fprintf(stderr, "netpol: %s\n", msg);
}

int verbose;

/*
 * Load every file (or "-") into one snapshot. With skip_invalid the valid
 * objects are kept and every problem printed; returns the count of files
 * that had problems through *bad.
 */
int tool_load(struct np_cluster **out, char **files, int nfiles,
	      bool skip_invalid, size_t *problems)
{
	NP_OPTS(np_cluster_opts, copts, .log = on_log, .log_ctx = &verbose);
	NP_OPTS(np_load_opts, lopts, .skip_invalid = skip_invalid,
		.on_diag = on_diag, .diag_ctx = problems);
	struct np_cluster *c;
	int i, err, ret = 0;

	err = np_cluster_new(&c, &copts);
	if (err) {
		fprintf(stderr, "netpol: %s\n", np_strerror(err));
		return err;
	}
	for (i = 0; i < nfiles; i++) {
		err = np_cluster_load_file(c, files[i], &lopts, NULL);
		if (err && !ret)
			ret = err;
	}
	*out = c;
	return ret;
}

static int cmd_validate(int argc, char **argv)
{
	struct np_cluster *c = NULL;
	size_t problems = 0;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: netpol validate FILE...\n");
		return 2;
	}
	err = tool_load(&c, argv + 1, argc - 1, true, &problems);
	np_cluster_free(c);
	if (err == -ENOMEM)
		return 2;
	return problems || err ? 1 : 0;
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "validate", cmd_validate,
	  "validate FILE...            check manifests; one line per problem" },
	TOOL_COMMANDS
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: netpol [--version] [--help] [-v] COMMAND [ARGS]\n\n"
		   "Kubernetes NetworkPolicy compiled to eBPF.\n\n"
		   "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].help);
	fprintf(f, "\nFILE may be - for standard input. See netpol(8).\n");
}

int main(int argc, char **argv)
{
	size_t i;

	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[1], "--version")) {
			printf("netpol %s\n", np_version());
			return 0;
		}
		if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose")) {
			verbose = 1;
			argc--;
			argv++;
			continue;
		}
		break;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "netpol: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
