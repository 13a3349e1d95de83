/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The description of every netpol command (help.c): its usage, what it
 * does and each option with the values it accepts. main.c prints it for
 * --help and checks every option value against it before the command
 * runs, so that the help and the check cannot disagree.
 */
#ifndef NETPOL_TOOL_HELP_H
#define NETPOL_TOOL_HELP_H

#include <stdio.h>

/* What an option's value must be. */
enum arg_kind {
	ARG_NONE, /* a flag: no value */
	ARG_ANY, /* any text (a file, an interface, an address) */
	ARG_ENUM, /* one of values ("a|b|c"), exactly */
	ARG_ENUM_ICASE, /* one of values, in any case */
	ARG_ENUM_LIST, /* values, comma-separated, at most max, any case */
	ARG_UINT, /* a decimal integer from min to max */
	ARG_UINT_LIST, /* such integers, comma-separated, at most max_count */
	ARG_NUMBER, /* a decimal number from min (excluded: min_excl) to max */
	ARG_NAME, /* NS/NAME */
	ARG_PROTO, /* an IP protocol (tool_parse_ip_proto()) */
};

struct opt_help {
	const char *lng; /* long name without "--", or NULL */
	int shrt; /* short letter, or 0 */
	const char *meta; /* the value's name in the help ("NS/NAME") */
	enum arg_kind kind;
	const char *values; /* ARG_ENUM*: "a|b|c" */
	double min, max; /* ARG_UINT*, ARG_NUMBER */
	unsigned int max_count; /* the *_LIST kinds */
	int min_excl; /* ARG_NUMBER: min itself is refused */
	const char *help; /* one sentence, without the accepted values */
};

struct cmd_help {
	const char *name;
	const char *summary; /* the line of `netpol --help` */
	const char *usage; /* the usage lines, each after "usage: netpol " */
	const char *text; /* one paragraph: what it does */
	const struct opt_help *opts; /* ends with a zeroed entry */
};

/* The command called name, or NULL. */
const struct cmd_help *help_find(const char *name);
/* Every command, in the order of `netpol --help`. */
const struct cmd_help *help_commands(size_t *n);
/* `netpol CMD --help`: usage, paragraph, options. */
void help_print(FILE *f, const struct cmd_help *c);
/* Its usage lines, "usage: netpol CMD ...\n", into buf. */
void help_usage_text(const struct cmd_help *c, char *buf, size_t size);
/*
 * Before the command runs: 1 when its arguments ask for --help (printed
 * on stdout), 2 after printing the first bad option value (named with the
 * accepted values), 0 to run it. Options help_check does not know are
 * left to the command's own parsing.
 */
int help_check(const struct cmd_help *c, int argc, char **argv);

#endif /* NETPOL_TOOL_HELP_H */
