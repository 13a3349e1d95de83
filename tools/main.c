/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol: the command-line face of libnetpol. See netpol(8). This file
 * owns main(): the global options (--help, --version, -v), the command
 * table with its usage lines, and the dispatch to the command files.
 */
#include <stdio.h>
#include <string.h>

#include "main.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "validate", cmd_validate,
	  "validate FILE...            check manifests; one line per problem" },
	{ "endpoints", cmd_endpoints,
	  "endpoints FILE... [-o yaml|json]  PolicyEndpoints of every policy" },
	{ "compile", cmd_compile,
	  "compile FILE... [--pod NS/NAME] [-o text|yaml|json]  rule sets" },
	{ "maps", cmd_maps,
	  "maps FILE... --pod NS/NAME [-o text|json] [--layout netpol|eks] "
	  "[--diff]  eBPF map contents" },
	{ "verdict", cmd_verdict,
	  "verdict FILE... --from A --to B --port N [--protocol P]  ALLOW or "
	  "DENY" },
	{ "matrix", cmd_matrix,
	  "matrix FILE... [--ports ..] [--protocols ..] [--family 4|6] "
	  "[-o table|json] [--datapath]" },
	{ "attach", cmd_attach,
	  "attach --ifname IF [--pod NS/NAME] [--mode standard|strict]  "
	  "enforce on a veth" },
	{ "apply", cmd_apply,
	  "apply FILE... [--pod NS/NAME]  compile and enforce on attached "
	  "pods" },
	{ "detach", cmd_detach,
	  "detach --ifname IF|--ifindex N  stop enforcing" },
	{ "status", cmd_status,
	  "status  attached pods: state, rule sets, hooks, counters" },
	{ "repair", cmd_repair,
	  "repair  put back filters, forget stale records; lists each fix" },
	{ "destroy", cmd_destroy,
	  "destroy  detach everything and unpin the datapath" },
	{ "flows", cmd_flows,
	  "flows [--follow] [--pod NS/NAME] [--verdict allow|deny] "
	  "[-o json|text] [--output FILE] [FILE...]  flow log" },
	{ "metrics", cmd_metrics,
	  "metrics  counters in the Prometheus text format" },
	{ "dump", cmd_dump,
	  "dump --pod NS/NAME|--ifname IF [--direction D]  live rules and "
	  "conntrack" },
	{ "verify", cmd_verify,
	  "verify FILE...  compare the kernel's maps with the manifests" },
	{ "explain", cmd_explain,
	  "explain --pod NS/NAME --peer IP --port N [--protocol P] "
	  "--direction D [FILE...]" },
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
