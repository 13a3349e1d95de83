/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every netpol command described once: `netpol --help`, `netpol CMD
 * --help` and `netpol help CMD` print it, and help_check() holds each
 * option value against it before the command runs, naming the option,
 * the value and what it accepts. netpol(8) says the same at length; the
 * man test checks that each option here has its place there.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "help.h"
#include "main.h"

/* --- the options several commands share ----------------------------------- */

#define O_PIN_ROOT                                                                           \
	{                                                                                    \
		.lng = "pin-root", .meta = "DIR", .kind = ARG_ANY,                           \
		.help = "the datapath's pin directory on a bpffs (default " DEFAULT_PIN_ROOT \
			")"                                                                  \
	}
#define O_SOURCE(s)                                                              \
	{                                                                        \
		.lng = "source", .shrt = (s), .meta = V_SOURCE,                  \
		.kind = ARG_ENUM, .values = V_SOURCE,                            \
		.help = "where the rules come from: the NetworkPolicies "        \
			"(policies, the default) or the PolicyEndpoint objects " \
			"alone (endpoints)"                                      \
	}
#define O_POD(s, what)                                        \
	{                                                     \
		.lng = "pod", .shrt = (s), .meta = "NS/NAME", \
		.kind = ARG_NAME, .help = (what)              \
	}
#define O_REVOKE                                                                  \
	{                                                                         \
		.lng = "revoke", .meta = V_ONOFF, .kind = ARG_ENUM,               \
		.values = V_ONOFF,                                                \
		.help = "node-wide: whether tracked flows are judged again when " \
			"their pod's rules change"                                \
	}
#define O_SOURCE_CHECK                                                      \
	{                                                                   \
		.lng = "source-check", .meta = V_ONOFF, .kind = ARG_ENUM,   \
		.values = V_ONOFF,                                          \
		.help = "node-wide: whether pods must send from their own " \
			"addresses"                                         \
	}
#define O_RULE_COUNTERS                                                    \
	{                                                                  \
		.lng = "rule-counters", .meta = V_ONOFF, .kind = ARG_ENUM, \
		.values = V_ONOFF,                                         \
		.help = "node-wide: whether the programs count packets "   \
			"and bytes per rule key (netpol dump shows them)"  \
	}
#define O_NODE_IP                                                                  \
	{                                                                          \
		.lng = "node-ip", .meta = "IP", .kind = ARG_ANY,                   \
		.help = "a node address, always allowed both ways; repeat it "     \
			"for up to two IPv4 and two IPv6 addresses (they replace " \
			"those set before)"                                        \
	}
#define O_QUIET                                                                \
	{                                                                      \
		.lng = "quiet", .shrt = 'q', .kind = ARG_NONE,                 \
		.help = "print no summary line (errors and warnings still go " \
			"to standard error)"                                   \
	}
#define O_IFNAME(what)                                                         \
	{                                                                      \
		.lng = "ifname", .meta = "IF", .kind = ARG_ANY, .help = (what) \
	}
#define O_IFINDEX(what)                                                    \
	{                                                                  \
		.lng = "ifindex", .meta = "N", .kind = ARG_UINT, .min = 1, \
		.max = 2147483647, .help = (what)                          \
	}
#define O_OUTPUT(s, v, what)                                                 \
	{                                                                    \
		.lng = "output", .shrt = (s), .meta = (v), .kind = ARG_ENUM, \
		.values = (v), .help = (what)                                \
	}
#define O_DIRECTION(what)                                                  \
	{                                                                  \
		.lng = "direction", .meta = V_DIRECTION, .kind = ARG_ENUM, \
		.values = V_DIRECTION, .help = (what)                      \
	}
#define O_END     \
	{         \
		0 \
	}

/* --- the commands --------------------------------------------------------- */

static const struct opt_help validate_opts[] = { O_END };

static const struct opt_help endpoints_opts[] = {
	O_OUTPUT('o', V_FMT_ENDPOINTS, "the output format (default yaml)"),
	O_END
};

static const struct opt_help compile_opts[] = {
	O_POD('p', "compile this pod only (default: every pod)"),
	O_OUTPUT('o', V_FMT_COMPILE, "the output format (default text)"),
	O_SOURCE('s'), O_END
};

static const struct opt_help maps_opts[] = {
	O_POD('p', "the pod whose maps to print (required)"),
	O_OUTPUT('o', V_FMT_TEXT_JSON, "the output format (default text)"),
	{ .lng = "layout",
	  .shrt = 'l',
	  .meta = V_LAYOUT,
	  .kind = ARG_ENUM,
	  .values = V_LAYOUT,
	  .help = "libnetpol's maps (netpol, the default) or the EKS "
		  "agent's four maps (eks)" },
	O_SOURCE('s'),
	{ .lng = "diff",
	  .shrt = 'd',
	  .kind = ARG_NONE,
	  .help = "print the keys in which the maps from the policies and "
		  "from the endpoints differ; exit 1 when they do" },
	O_END
};

static const struct opt_help verdict_opts[] = {
	{ .lng = "from",
	  .shrt = 'f',
	  .meta = "NS/POD|IP",
	  .kind = ARG_ANY,
	  .help = "the source: a pod (namespace/name) or an address "
		  "(required)" },
	{ .lng = "to",
	  .shrt = 't',
	  .meta = "NS/POD|IP",
	  .kind = ARG_ANY,
	  .help = "the destination, as --from (required)" },
	{ .lng = "port",
	  .shrt = 'p',
	  .meta = "N",
	  .kind = ARG_UINT,
	  .min = 1,
	  .max = 65535,
	  .help = "the destination port (required)" },
	{ .lng = "protocol",
	  .shrt = 'P',
	  .meta = V_PROTOCOLS,
	  .kind = ARG_ENUM_ICASE,
	  .values = V_PROTOCOLS,
	  .help = "the protocol (default TCP)" },
	O_SOURCE('s'),
	O_OUTPUT('o', "text|json|yaml",
		 "the output format: the verdict and why (text, the "
		 "default) or the attribution document"),
	{ .lng = "datapath",
	  .kind = ARG_NONE,
	  .help = "decide with the kernel programs too, in a private "
		  "network namespace (root); the exit status is then the "
		  "kernel's" },
	O_END
};

static const struct opt_help matrix_opts[] = {
	{ .lng = "ports",
	  .shrt = 'p',
	  .meta = "N,...",
	  .kind = ARG_UINT_LIST,
	  .min = 1,
	  .max = 65535,
	  .max_count = 64,
	  .help = "the destination ports (default 80)" },
	{ .lng = "protocols",
	  .shrt = 'P',
	  .meta = "P,...",
	  .kind = ARG_ENUM_LIST,
	  .values = V_PROTOCOLS,
	  .max_count = 3,
	  .help = "the protocols (default TCP)" },
	{ .lng = "family",
	  .shrt = 'f',
	  .meta = "4|6",
	  .kind = ARG_ENUM,
	  .values = "4|6",
	  .help = "the address family of the pods decided (default 4)" },
	O_OUTPUT('o', V_FMT_MATRIX,
		 "the output format: tables as the Kubernetes e2e tests "
		 "print them (table or text, the default) or a list of "
		 "cells"),
	O_SOURCE('s'),
	{ .lng = "datapath",
	  .shrt = 'd',
	  .kind = ARG_NONE,
	  .help = "decide every cell with the kernel programs, in a "
		  "private network namespace (root)" },
	O_END
};

static const struct opt_help attach_opts[] = {
	O_IFNAME("the pod's host veth, by name"),
	O_IFINDEX("the pod's host veth, by index"),
	O_POD(0, "record the pod's namespace and name, which apply compiles "
		 "and the other commands print"),
	{ .lng = "mode",
	  .meta = V_MODE,
	  .kind = ARG_ENUM,
	  .values = V_MODE,
	  .help = "what a pod new to the datapath enforces until its first "
		  "apply: allow everything (standard, the default) or deny "
		  "everything but the node addresses (strict)" },
	O_NODE_IP,
	{ .lng = "ct-size",
	  .meta = "N",
	  .kind = ARG_UINT,
	  .min = 1,
	  .max = 67108864,
	  .help = "conntrack entries per family when this command loads the "
		  "datapath (default 524288)" },
	{ .lng = "hook",
	  .meta = V_HOOK,
	  .kind = ARG_ENUM,
	  .values = V_HOOK,
	  .help = "how the hooks are owned: a TCX link where the kernel has "
		  "it, else a tc filter (auto, the default), or only one "
		  "of them" },
	O_REVOKE,
	O_SOURCE_CHECK,
	O_RULE_COUNTERS,
	O_PIN_ROOT,
	O_QUIET,
	O_END
};

static const struct opt_help apply_opts[] = {
	O_POD(0, "apply to this attached pod only (default: every attached "
		 "pod)"),
	O_SOURCE(0),
	O_NODE_IP,
	O_REVOKE,
	O_SOURCE_CHECK,
	O_RULE_COUNTERS,
	O_PIN_ROOT,
	O_QUIET,
	O_END
};

static const struct opt_help detach_opts[] = {
	O_IFNAME("the pod's host veth, by name"),
	O_IFINDEX("the pod's host veth, by index"), O_PIN_ROOT, O_QUIET, O_END
};

static const struct opt_help destroy_opts[] = { O_PIN_ROOT, O_QUIET, O_END };

static const struct opt_help repair_opts[] = { O_PIN_ROOT, O_END };

static const struct opt_help status_opts[] = {
	O_POD(0, "show this attached pod only"),
	O_OUTPUT('o', V_FMT_TEXT_JSON, "the output format (default text)"),
	O_PIN_ROOT, O_END
};

static const struct opt_help flows_opts[] = {
	{ .lng = "follow",
	  .shrt = 'f',
	  .kind = ARG_NONE,
	  .help = "read until SIGINT or SIGTERM (or --count lines)" },
	O_POD(0, "only the events of this pod"),
	{ .lng = "verdict",
	  .meta = V_FLOW_VERDICT,
	  .kind = ARG_ENUM_ICASE,
	  .values = V_FLOW_VERDICT,
	  .help = "only the events of this verdict (accept is allow)" },
	{ .shrt = 'o',
	  .meta = V_FMT_FLOWS,
	  .kind = ARG_ENUM,
	  .values = V_FMT_FLOWS,
	  .help = "the line format: the EKS agent's JSON lines (json, the "
		  "default) or text" },
	{ .lng = "output",
	  .meta = "FILE",
	  .kind = ARG_ANY,
	  .help = "append to FILE (created mode 0600, reopened on SIGHUP) "
		  "instead of standard output" },
	{ .lng = "rate",
	  .meta = "N",
	  .kind = ARG_NUMBER,
	  .min = 0,
	  .min_excl = 1,
	  .max = 1e6,
	  .help = "lines per second at most (default 1000)" },
	{ .lng = "burst",
	  .meta = "N",
	  .kind = ARG_NUMBER,
	  .min = 1,
	  .max = 1e7,
	  .help = "lines in a burst at most (default 2000)" },
	{ .lng = "count",
	  .meta = "N",
	  .kind = ARG_UINT,
	  .min = 0,
	  .max = 1e18,
	  .help = "stop after N lines (0: no limit)" },
	{ .lng = "duration",
	  .meta = "SEC",
	  .kind = ARG_NUMBER,
	  .min = 0,
	  .max = INFINITY,
	  .help = "without --follow, read for SEC seconds (default 1)" },
	O_SOURCE(0),
	O_PIN_ROOT,
	O_END
};

static const struct opt_help metrics_opts[] = {
	{ .lng = "listen",
	  .meta = "ADDR:PORT",
	  .kind = ARG_ANY,
	  .help = "serve /metrics over HTTP on ADDR:PORT (an IPv4 address, "
		  "[IPv6], or nothing for every address) until SIGTERM; "
		  "SIGHUP reloads FILE..." },
	O_SOURCE(0),
	O_PIN_ROOT,
	O_END
};

static const struct opt_help dump_opts[] = {
	O_POD(0, "the attached pod to dump"),
	O_IFNAME("or the pod by its host veth's name"),
	O_IFINDEX("or the pod by its host veth's index"),
	O_DIRECTION("only this direction's rules (default both)"),
	O_OUTPUT('o', V_FMT_TEXT_JSON, "the output format (default text)"),
	O_PIN_ROOT,
	O_END
};

static const struct opt_help verify_opts[] = {
	O_SOURCE(0),
	O_OUTPUT('o', V_FMT_TEXT_JSON, "the output format (default text)"),
	O_PIN_ROOT, O_END
};

static const struct opt_help explain_opts[] = {
	{ .lng = "pod",
	  .meta = "NS/NAME|IP",
	  .kind = ARG_ANY,
	  .help = "the attached pod whose side decides, by name or address" },
	O_IFNAME("or the pod by its host veth's name"),
	{ .lng = "peer",
	  .meta = "NS/NAME|IP",
	  .kind = ARG_ANY,
	  .help = "the other end: a pod of the manifests (FILE...) or an "
		  "address (required)" },
	{ .lng = "port",
	  .meta = "N",
	  .kind = ARG_UINT,
	  .min = 0,
	  .max = 65535,
	  .help = "the destination port (required)" },
	{ .lng = "protocol",
	  .meta = "P",
	  .kind = ARG_PROTO,
	  .help = "the protocol (default TCP)" },
	O_DIRECTION("the direction seen from the pod (required)"),
	O_SOURCE(0),
	O_OUTPUT('o', V_FMT_TEXT_JSON, "the output format (default text)"),
	O_PIN_ROOT,
	O_END
};

static const struct cmd_help commands[] = {
	{ "validate", "check manifests; one line per problem",
	  "validate FILE...",
	  "Parse and validate every object of every FILE as the Kubernetes "
	  "API server would and print one line per problem on standard "
	  "error (file:line:column: object: field path: reason), then "
	  "compile every pod's rule set as apply would and report those "
	  "the datapath cannot hold. Warnings (equal priorities, peers "
	  "that cannot be enforced) leave the exit status 0; a problem "
	  "makes it 1.",
	  validate_opts },
	{ "endpoints", "the PolicyEndpoints of every policy",
	  "endpoints FILE... [-o yaml|json]",
	  "Resolve every NetworkPolicy into PolicyEndpoints as the EKS "
	  "network policy controller does, and every ClusterNetworkPolicy "
	  "into ClusterPolicyEndpoints, and print them as one List.",
	  endpoints_opts },
	{ "compile", "the rule set of each pod",
	  "compile FILE... [--pod NS/NAME] [-o text|yaml|json]\n"
	  "[--source policies|endpoints]",
	  "Compile the rule set of every pod of the manifests, or of one "
	  "pod, and print it: per direction whether it is isolated and "
	  "each key with its ports and the policy rules behind it. Exit 2 "
	  "when a pod cannot be compiled.",
	  compile_opts },
	{ "maps", "a pod's eBPF map contents",
	  "maps FILE... --pod NS/NAME [-o text|json] [--layout netpol|eks]\n"
	  "[--source policies|endpoints] [--diff]",
	  "Compile one pod's rule set and print the contents the datapath's "
	  "maps would hold, in libnetpol's layout or the EKS agent's, "
	  "without a kernel.",
	  maps_opts },
	{ "verdict", "ALLOW or DENY, by the manifests",
	  "verdict FILE... --from NS/POD|IP --to NS/POD|IP --port N\n"
	  "[--protocol TCP|UDP|SCTP] "
	  "[--source policies|endpoints]\n"
	  "[-o text|json|yaml] [--datapath]",
	  "Decide with the compiler whether the manifests allow a "
	  "connection: ALLOW or DENY, the reason, the key and rules that "
	  "decided and the tier, then each side's verdict and why: the "
	  "policies isolating the pod and, rule by rule, why none matched "
	  "the peer, or the rule that allowed it. Exit 0 when allowed, 1 "
	  "when denied.",
	  verdict_opts },
	{ "matrix", "every pod against every pod",
	  "matrix FILE... [--ports N,...] [--protocols P,...] [--family 4|6]\n"
	  "[-o table|text|json|yaml] [--source policies|endpoints]\n"
	  "[--datapath]",
	  "Decide every pod that has an address of the family against "
	  "every pod, for every protocol and port, and print the tables the "
	  "Kubernetes e2e tests print (. allowed, X denied) or a list.",
	  matrix_opts },
	{ "attach", "enforce on a pod's veth",
	  "attach --ifname IF|--ifindex N [--pod NS/NAME]\n"
	  "[--mode standard|strict] [--node-ip IP]... [--ct-size N]\n"
	  "[--hook auto|tcx|tc] [--revoke on|off]\n"
	  "[--source-check on|off] [--rule-counters on|off]\n"
	  "[--pin-root DIR] [-q]",
	  "Attach the datapath's programs to both hooks of a pod's host veth "
	  "and record the pod, loading and pinning the datapath when none "
	  "is there. Prints one summary line: the pods changed, the keys "
	  "added and removed and the time taken.",
	  attach_opts },
	{ "apply", "compile and enforce on attached pods",
	  "apply FILE... [--pod NS/NAME] [--source policies|endpoints]\n"
	  "[--node-ip IP]... [--revoke on|off] [--source-check on|off]\n"
	  "[--rule-counters on|off] [--pin-root DIR] [-q]",
	  "Compile the rule set of every attached pod and enforce them all "
	  "in one node-wide transaction; a pod whose rules cannot be "
	  "enforced fails closed. Prints one summary line: the pods "
	  "applied and changed, the keys added and removed and the time "
	  "taken.",
	  apply_opts },
	{ "detach", "stop enforcing on a veth",
	  "detach --ifname IF|--ifindex N [--pin-root DIR] [-q]",
	  "Remove the datapath's programs from a veth and forget the pod: "
	  "its record, counters, conntrack entries and the rule sets no "
	  "other pod uses. Prints one summary line.",
	  detach_opts },
	{ "status", "attached pods: state, rule sets, hooks, counters",
	  "status [--pod NS/NAME] [-o text|json] [--pin-root DIR]",
	  "Print the node's datapath (pods, rule sets, map and conntrack "
	  "occupancy, events) and each attached pod: its addresses, and per "
	  "direction its state, rule set, the hook that serves it as the "
	  "kernel reports it (ours and first, or not) and its counters. "
	  "Exit 1 when a hook is not ok.",
	  status_opts },
	{ "repair", "put back filters, forget stale records",
	  "repair [--pin-root DIR]",
	  "Repair an existing datapath: put back a link or filter of ours "
	  "that is missing, replace one that runs another program, forget "
	  "the records of interfaces that are gone; one line per fix, or "
	  "\"nothing to repair\".",
	  repair_opts },
	{ "destroy", "detach everything and unpin the datapath",
	  "destroy [--pin-root DIR] [-q]",
	  "Detach every pod, unpin every map, program and link and remove "
	  "the pin directory: nothing is left behind. Prints one summary "
	  "line.",
	  destroy_opts },
	{ "flows", "the flow log",
	  "flows [--follow] [--pod NS/NAME] [--verdict allow|deny]\n"
	  "[-o json|text] [--output FILE] [--rate N] [--burst N]\n"
	  "[--count N] [--duration SEC] [--source policies|endpoints]\n"
	  "[--pin-root DIR] [FILE...]",
	  "Switch flow events on and print one line per new flow and per "
	  "dropped packet, as the EKS agent's flow log; with manifests the "
	  "lines name the policies that decided.",
	  flows_opts },
	{ "metrics", "counters in the Prometheus text format",
	  "metrics [--listen ADDR:PORT] [--source policies|endpoints]\n"
	  "[--pin-root DIR] [FILE...]",
	  "Print the datapath's counters in the Prometheus text exposition "
	  "format, with the EKS agent's metric names, or serve them over "
	  "HTTP at /metrics. With manifests, each pod's drops are also "
	  "labelled with the policies that apply to it.",
	  metrics_opts },
	{ "dump", "a pod's live rules and conntrack",
	  "dump --pod NS/NAME|--ifname IF|--ifindex N\n"
	  "[--direction ingress|egress] [-o text|json] [--pin-root DIR]",
	  "Print one attached pod's live maps, decoded: per direction its "
	  "state, rule set and every rule as the kernel holds it, then its "
	  "conntrack entries.",
	  dump_opts },
	{ "verify", "compare the kernel's maps with the manifests",
	  "verify FILE... [--source policies|endpoints] [-o text|json]\n"
	  "[--pin-root DIR]",
	  "Compile the rule set of every attached pod from the manifests "
	  "and compare it with what the kernel enforces, hooks included; "
	  "one line per drift. Exit 1 when there is a drift.",
	  verify_opts },
	{ "explain", "why the kernel allows or denies one flow",
	  "explain --pod NS/NAME|IP|--ifname IF --peer NS/NAME|IP --port N\n"
	  "[--protocol P] --direction ingress|egress\n"
	  "[--source policies|endpoints] [-o text|json] [--pin-root DIR]\n"
	  "[FILE...]",
	  "Decide the first packet of a flow against the live maps as the "
	  "program would, and print the verdict, the reason, the key, port "
	  "set and slot and the pod's counters; with manifests, whether "
	  "they agree, the policies isolating the pod and, rule by rule, "
	  "why none matched the peer. Exit 0 when allowed, 1 when denied.",
	  explain_opts },
};

const struct cmd_help *help_commands(size_t *n)
{
	*n = sizeof(commands) / sizeof(commands[0]);
	return commands;
}

const struct cmd_help *help_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* --- printing ------------------------------------------------------------- */

static void num_text(double v, char *buf, size_t size)
{
	if (v > -9e18 && v < 9e18 && v == (double)(long long)v)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%g", v);
}

/* What an option accepts, in words; "" for ARG_ANY and flags. */
static void expect_text(const struct opt_help *o, char *buf, size_t size)
{
	char a[32], b[32], e[256];

	num_text(o->min, a, sizeof(a));
	num_text(o->max, b, sizeof(b));
	switch (o->kind) {
	case ARG_ENUM:
	case ARG_ENUM_ICASE:
		tool_enum_text(o->values, e, sizeof(e));
		snprintf(buf, size, "%s%s", e,
			 o->kind == ARG_ENUM_ICASE ? " (any case)" : "");
		break;
	case ARG_ENUM_LIST:
		tool_enum_text(o->values, e, sizeof(e));
		snprintf(buf, size,
			 "a comma-separated list of at most %u of %s (any "
			 "case)",
			 o->max_count, e);
		break;
	case ARG_UINT:
		snprintf(buf, size, "a whole number from %s to %s", a, b);
		break;
	case ARG_UINT_LIST:
		snprintf(buf, size,
			 "a comma-separated list of at most %u numbers from "
			 "%s to %s",
			 o->max_count, a, b);
		break;
	case ARG_NUMBER:
		if (isinf(o->max))
			snprintf(buf, size, "a number, %s or more", a);
		else if (o->min_excl)
			snprintf(buf, size, "a number above %s, at most %s", a,
				 b);
		else
			snprintf(buf, size, "a number from %s to %s", a, b);
		break;
	case ARG_NAME:
		snprintf(buf, size, "NS/NAME: a namespace, a slash and a name");
		break;
	case ARG_PROTO:
		snprintf(buf, size,
			 "TCP, UDP, SCTP, ICMP or ICMPv6 (any case), or a "
			 "protocol number from 1 to 255");
		break;
	default:
		buf[0] = '\0';
	}
}

static void opt_name(const struct opt_help *o, char *buf, size_t size)
{
	if (o->shrt && o->lng)
		snprintf(buf, size, "-%c, --%s", o->shrt, o->lng);
	else if (o->lng)
		snprintf(buf, size, "--%s", o->lng);
	else
		snprintf(buf, size, "-%c", o->shrt);
}

/* The usage lines, the later ones under the first's arguments. */
static void print_usage(FILE *f, const struct cmd_help *c)
{
	const char *p = c->usage, *nl;
	int indent = (int)strlen("usage: netpol  ") + (int)strlen(c->name);

	for (; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		fprintf(f, "%*s%.*s\n", p == c->usage ? 0 : indent,
			p == c->usage ? "usage: netpol " : "",
			nl ? (int)(nl - p) : (int)strlen(p), p);
	}
}

/* One paragraph, wrapped at 76 columns with indent spaces. */
static void wrap(FILE *f, const char *text, int indent)
{
	const char *p = text;
	int col = 0;

	while (*p) {
		const char *sp = strchr(p, ' ');
		int len = sp ? (int)(sp - p) : (int)strlen(p);

		if (col && col + 1 + len > 76) {
			fputc('\n', f);
			col = 0;
		}
		if (!col)
			col = fprintf(f, "%*s%.*s", indent, "", len, p);
		else
			col += fprintf(f, " %.*s", len, p);
		p += len;
		while (*p == ' ')
			p++;
	}
	if (col)
		fputc('\n', f);
}

void help_print(FILE *f, const struct cmd_help *c)
{
	const struct opt_help *o;
	char name[64], e[512], line[1024];

	print_usage(f, c);
	fputc('\n', f);
	wrap(f, c->text, 0);
	if (!c->opts[0].lng && !c->opts[0].shrt)
		goto files;
	fprintf(f, "\noptions:\n");
	for (o = c->opts; o->lng || o->shrt; o++) {
		opt_name(o, name, sizeof(name));
		if (o->meta)
			fprintf(f, "  %s %s\n", name, o->meta);
		else
			fprintf(f, "  %s\n", name);
		expect_text(o, e, sizeof(e));
		snprintf(line, sizeof(line), "%s%s%s", o->help,
			 e[0] ? "; accepts " : "", e);
		wrap(f, line, 6);
	}
files:
	fprintf(f, "\n%sSee netpol(8).\n",
		strstr(c->usage, "FILE...") ?
			"FILE may be - for standard input. " :
			"");
}

void help_usage_text(const struct cmd_help *c, char *buf, size_t size)
{
	FILE *f = fmemopen(buf, size, "w");

	if (!f) {
		snprintf(buf, size, "usage: netpol %s ...\n", c->name);
		return;
	}
	print_usage(f, c);
	fclose(f);
}

/* --- checking ------------------------------------------------------------- */

static bool uint_ok(const char *s, double min, double max)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	return !errno && !*end && (double)v >= min && (double)v <= max;
}

static bool value_ok(const struct opt_help *o, const char *s)
{
	char buf[1024], *tok, *save = NULL, ns[256], name[256];
	unsigned int n = 0;
	uint8_t proto;
	double v;
	char *end;

	switch (o->kind) {
	case ARG_ENUM:
	case ARG_ENUM_ICASE:
		return tool_enum_index(o->values, s,
				       o->kind == ARG_ENUM_ICASE) >= 0;
	case ARG_ENUM_LIST:
	case ARG_UINT_LIST:
		if (!*s || strlen(s) >= sizeof(buf))
			return false;
		snprintf(buf, sizeof(buf), "%s", s);
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			if (++n > o->max_count ||
			    (o->kind == ARG_ENUM_LIST ?
				     tool_enum_index(o->values, tok, true) < 0 :
				     !uint_ok(tok, o->min, o->max)))
				return false;
		return n > 0;
	case ARG_UINT:
		return uint_ok(s, o->min, o->max);
	case ARG_NUMBER:
		errno = 0;
		v = strtod(s, &end);
		return *s && !*end && !errno && !isnan(v) &&
		       (o->min_excl ? v > o->min : v >= o->min) && v <= o->max;
	case ARG_NAME:
		return !tool_split_name(s, ns, sizeof(ns), name, sizeof(name));
	case ARG_PROTO:
		return !tool_parse_ip_proto(s, &proto);
	default:
		return true;
	}
}

int help_check(const struct cmd_help *c, int argc, char **argv)
{
	struct option lo[40];
	char so[100], **copy, opt[64], e[512];
	const struct opt_help *o, *by_short[128] = { 0 };
	size_t n = 0, k = 0;
	const char *bad_val = NULL;
	int ch, idx, help = 0, saved = opterr;

	for (o = c->opts; (o->lng || o->shrt) && n + 2 < 40; o++) {
		if (o->lng)
			lo[n++] = (struct option){ o->lng,
						   o->kind == ARG_NONE ?
							   no_argument :
							   required_argument,
						   NULL,
						   256 + (int)(o - c->opts) };
		if (o->shrt && k + 3 < sizeof(so)) {
			so[k++] = (char)o->shrt;
			if (o->kind != ARG_NONE)
				so[k++] = ':';
			by_short[o->shrt & 127] = o;
		}
	}
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n] = (struct option){ 0 };
	so[k++] = 'h';
	so[k] = '\0';

	/* GNU getopt permutes argv: work on a copy, leave the command's */
	copy = malloc(((size_t)argc + 1) * sizeof(*copy));
	if (!copy)
		return 0;
	memcpy(copy, argv, ((size_t)argc + 1) * sizeof(*copy));
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, copy, so, lo, &idx)) != -1) {
		if (ch == 'h') {
			help = 1;
			continue;
		}
		if (ch >= 256)
			o = &c->opts[ch - 256];
		else if (ch > 0 && ch < 128 && by_short[ch])
			o = by_short[ch];
		else
			continue; /* unknown: the command's getopt names it */
		if (bad_val || o->kind == ARG_NONE || value_ok(o, optarg))
			continue;
		/* the first bad value; a --help anywhere still wins */
		if (ch >= 256)
			snprintf(opt, sizeof(opt), "--%s", o->lng);
		else
			snprintf(opt, sizeof(opt), "-%c", ch);
		expect_text(o, e, sizeof(e));
		bad_val = optarg;
	}
	free(copy);
	opterr = saved;
	optind = 0;
	if (help) {
		help_print(stdout, c);
		return 1;
	}
	if (bad_val)
		return tool_bad_value(opt, bad_val, e);
	return 0;
}
