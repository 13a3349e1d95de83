/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol: the command-line face of libnetpol. See netpol(8). This file
 * owns main(): the global options (--help, --version, -v), `netpol help`,
 * the command table and the dispatch to the command files, after the
 * options of the command are checked against its description (help.c).
 */
#include <stdio.h>
#include <string.h>

#include "help.h"
#include "main.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "validate", cmd_validate }, { "endpoints", cmd_endpoints },
	{ "compile", cmd_compile },   { "maps", cmd_maps },
	{ "verdict", cmd_verdict },   { "matrix", cmd_matrix },
	{ "attach", cmd_attach },     { "apply", cmd_apply },
	{ "detach", cmd_detach },     { "status", cmd_status },
	{ "repair", cmd_repair },     { "destroy", cmd_destroy },
	{ "flows", cmd_flows },	      { "metrics", cmd_metrics },
	{ "dump", cmd_dump },	      { "verify", cmd_verify },
	{ "explain", cmd_explain },
};

static void usage(FILE *f)
{
	const struct cmd_help *h;
	size_t i, n;

	fprintf(f, "usage: netpol [--version] [--help] [-v] COMMAND [ARGS]\n"
		   "       netpol help [COMMAND]\n\n"
		   "Kubernetes NetworkPolicy compiled to eBPF.\n\n"
		   "commands:\n");
	h = help_commands(&n);
	for (i = 0; i < n; i++)
		fprintf(f, "  %-10s %s\n", h[i].name, h[i].summary);
	fprintf(f, "\n'netpol COMMAND --help' or 'netpol help COMMAND' "
		   "prints a command's options.\n"
		   "FILE may be - for standard input. See netpol(8).\n");
}

/* netpol help [COMMAND] */
static int help(int argc, char **argv)
{
	const struct cmd_help *h;
	char esc[256];

	/* "help", "help --help": the command list, where help is one line */
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	h = help_find(argv[1]);
	if (!h || argc > 2) {
		if (!h)
			fprintf(stderr, "netpol: help: unknown command '%s'\n",
				tool_esc(argv[1], esc, sizeof(esc)));
		else
			fprintf(stderr, "usage: netpol help [COMMAND]\n");
		return 2;
	}
	help_print(stdout, h);
	return 0;
}

int main(int argc, char **argv)
{
	const struct cmd_help *h;
	char prog[64], esc[256];
	size_t i;
	int r;

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
	if (!strcmp(argv[1], "help"))
		return help(argc - 1, argv + 1);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		tool_cmd = commands[i].name;
		h = help_find(tool_cmd);
		if (h) {
			help_usage_text(h, tool_usage_text,
					sizeof(tool_usage_text));
			r = help_check(h, argc - 1, argv + 1);
			if (r)
				return r == 1 ? 0 : r;
		}
		/* getopt's messages: "netpol: compile: unrecognized option" */
		snprintf(prog, sizeof(prog), "netpol: %s", tool_cmd);
		argv[1] = prog;
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "netpol: unknown command '%s'\n",
		tool_esc(argv[1], esc, sizeof(esc)));
	usage(stderr);
	return 2;
}
