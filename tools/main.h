/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The netpol tool's one header: what more than one command file uses
 * (defined in common.c) and the commands main.c dispatches to (one file
 * per command family). The tool uses libnetpol's public API only.
 */
#ifndef NETPOL_TOOL_MAIN_H
#define NETPOL_TOOL_MAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <netpol.h>

/* The default of np_datapath_opts.pin_root, as status prints it. */
#define DEFAULT_PIN_ROOT "/sys/fs/bpf/netpol"

extern int verbose; /* -v: log callbacks print every level */
/* The command running ("compile"), for messages; "netpol" before one. */
extern const char *tool_cmd;
/* Its usage lines, "usage: netpol CMD ...\n" (main.c sets them). */
extern char tool_usage_text[1024];
/* tool_log() leaves out warnings (validate prints np_cluster_check()). */
extern bool tool_quiet_warnings;

/* --- manifests and diagnostics (common.c) --------------------------------- */

/* Log callback of every library handle: warnings, and more with -v. */
void tool_log(void *ctx, enum np_log_level lvl, const char *msg);
/* "netpol: <file:line:col: ...>" on stderr. */
void tool_print_diag(const struct np_diag *d);
/*
 * A library call's failure that no diag describes (out of memory, say):
 * "netpol: CMD: WHAT: reason" on stderr, so that no command fails
 * silently; returns err. what may be NULL.
 */
int tool_fail(const char *what, int err);
/* tool_fail() naming pod ns/name. */
int tool_fail_pod(const char *ns, const char *name, int err);
/*
 * Load every file (or "-") into one snapshot. With skip_invalid the valid
 * objects are kept and every problem printed and counted in *problems.
 */
int tool_load(struct np_cluster **out, char **files, int nfiles,
	      bool skip_invalid, size_t *problems);
/*
 * Load the files given after the options (argv[optind]...): problems are
 * printed, the valid objects kept. -EINVAL with no files.
 */
int tool_load_args(struct np_cluster **c, int argc, char **argv);

/* --- option values (common.c, help.c) ------------------------------------ */

/*
 * The accepted values of the enum-like options, '|'-separated, in the
 * order of the enum the command maps them to (tool_enum_index()). The
 * help and the check of every value (help.c) use the same strings.
 */
#define V_ONOFF "on|off"
#define V_MODE "standard|strict" /* NP_MODE_STANDARD, NP_MODE_STRICT */
#define V_SOURCE "policies|endpoints"
#define V_DIRECTION "ingress|egress" /* enum np_direction */
#define V_HOOK "auto|tcx|tc"
#define V_LAYOUT "netpol|eks"
#define V_PROTOCOLS "TCP|UDP|SCTP"
#define V_FLOW_VERDICT "allow|deny|accept"
#define V_FMT_TEXT_JSON "text|json"
#define V_FMT_COMPILE "text|yaml|json"
#define V_FMT_ENDPOINTS "yaml|json"
#define V_FMT_MATRIX "table|text|json|yaml"
#define V_FMT_FLOWS "json|text"

/*
 * The index of s among values ("a|b|c"), compared exactly or in any case;
 * -1 when it is none of them.
 */
int tool_enum_index(const char *values, const char *s, bool icase);
/* "a, b or c" from values "a|b|c", into buf. */
void tool_enum_text(const char *values, char *buf, size_t size);
/*
 * "netpol: CMD: OPT: invalid value 'S' (expected EXPECTED)" on stderr,
 * S escaped; returns 2, the exit status of a usage error.
 */
int tool_bad_value(const char *opt, const char *s, const char *expected);
/*
 * tool_enum_index(values, s, false), or -1 after tool_bad_value() named
 * option opt ("--mode"), s and the values.
 */
int tool_enum(const char *opt, const char *values, const char *s);
/* The running command's usage lines and where to read more; returns 2. */
int tool_usage(void);

/* "ns/name" into its halves; -EINVAL when malformed. */
int tool_split_name(const char *s, char *ns, size_t nsz, char *name,
		    size_t namesz);
/* -o yaml|json|text|table */
int tool_parse_format(const char *s, enum np_format *out);
/* --source policies|endpoints, as every compiling command takes it. */
int tool_parse_source(const char *s, enum np_source *out);
/* An IP protocol: TCP, UDP, SCTP, ICMP, ICMPv6 or a number 1..255. */
int tool_parse_ip_proto(const char *s, uint8_t *out);
/* The name of IP protocol p, or its number written into buf. */
const char *tool_ip_proto_name(unsigned int p, char buf[8]);
/* A name function's answer, "?" for a value it does not know. */
const char *tool_name(const char *name);
/*
 * Text from outside (names from manifests or given to attach, diagnostics
 * quoting them) made safe for a terminal or a log line, into buf:
 * np_escape() with NP_ESCAPE_TEXT (every control (C0, DEL, C1) and every
 * byte of invalid UTF-8 as \xNN, a backslash as \\; valid UTF-8 passes),
 * cut at a whole character when buf is short. Returns buf.
 */
const char *tool_esc(const char *s, char *buf, size_t size);

/* --- JSON (common.c): the -o json outputs, with jansson -------------------- */

/* A JSON string of s escaped as tool_esc() does (valid UTF-8). */
json_t *tool_json_str(const char *s);
/* A JSON integer (values past INT64_MAX are clamped). */
json_t *tool_json_u64(uint64_t v);
/* Print root, indented, on stdout and release it; -ENOMEM (printed). */
int tool_json_print(json_t *root);

/* --- the datapath (common.c) ---------------------------------------------- */

/* The options every datapath command takes. */
struct dp_args {
	const char *pin_root;
	enum np_mode mode;
	const char *node_ips[4];
	size_t n_node_ips;
	uint32_t ct_size; /* attach --ct-size; 0: the default */
	enum np_switch revoke; /* --revoke on|off */
	enum np_switch source_check; /* --source-check on|off */
	enum np_switch rule_counters; /* --rule-counters on|off */
};

/*
 * getopt values of the datapath options: --revoke's is past every letter,
 * so that no command's own option shares it (flows --verdict is 'V').
 */
#define DP_OPT_REVOKE 0x100
#define DP_OPT_RULE_COUNTERS 0x101

#define DP_LONGOPTS                                                          \
	{ "pin-root", 1, 0, 'R' }, { "mode", 1, 0, 'm' },                    \
		{ "node-ip", 1, 0, 'N' }, { "revoke", 1, 0, DP_OPT_REVOKE }, \
		{ "source-check", 1, 0, 'S' },                               \
	{                                                                    \
		"rule-counters", 1, 0, DP_OPT_RULE_COUNTERS                  \
	}

/* One of DP_LONGOPTS; 1 when consumed, 0 not one of them, -1 bad. */
int dp_option(struct dp_args *a, int opt, const char *arg);
/*
 * Parse argv for a command that takes only the datapath options: 0, or
 * 2 (its exit status) after naming what is wrong and the usage. cmd is
 * unused (tool_cmd names the command).
 */
int dp_args_only(int argc, char **argv, const char *cmd, struct dp_args *a);
/* Open, loading and pinning the datapath when it is not there. */
int dp_open(struct np_datapath **dp, const struct dp_args *a);
/* Open an existing datapath only: inspection never loads one. */
int dp_open_existing(struct np_datapath **dp, const struct dp_args *a);
/* dp_open() with the library's log lines going to log instead. */
int dp_open_log(struct np_datapath **dp, const struct dp_args *a, np_log_fn log,
		void *ctx);
/*
 * The prologue of the commands that hold manifests against the kernel:
 * load files (the valid objects of each, problems counted; none when
 * nfiles is 0), then open the datapath with open. 0, or the exit status 2
 * with nothing left open (the load's problems are printed already).
 */
int dp_load_open(char **files, int nfiles,
		 int (*open)(struct np_datapath **, const struct dp_args *),
		 const struct dp_args *a, struct np_cluster **c,
		 size_t *problems, struct np_datapath **dp);

/* The attached pods, copied (np_datapath_pod_foreach' strings are borrowed). */
struct pod_list {
	struct np_datapath_pod *v; /* v[i].ns, .name point into ns, name */
	char (*ns)[256], (*name)[256];
	size_t n;
	size_t cap;
};

/* np_datapath_pod_foreach' callback: append a pod to the pod_list ctx. */
int pod_list_collect(void *ctx, const struct np_datapath_pod *p);
void pod_list_free(struct pod_list *l);
/* "ns/name" of pod i, "-" when it was attached without one. */
void pod_list_label(const struct pod_list *l, size_t i, char *buf, size_t size);
/* The index in l of --pod NS/NAME, --ifname IF or --ifindex N. */
int pod_list_find(const struct pod_list *l, const char *pod, const char *ifname,
		  unsigned int ifindex, size_t *out);
/* np_datapath_rule_foreach' callback: every rule, or only that of CIDR ctx. */
int tool_print_rule(void *ctx, const struct np_datapath_rule *r);

/* --- the commands --------------------------------------------------------- */

/* cluster.c: the manifests alone */
int cmd_validate(int argc, char **argv);
int cmd_endpoints(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_maps(int argc, char **argv);
/*
 * verdict.c: decisions and why, by the compiler or (--datapath) the
 * kernel; explain: the live maps against the manifests
 */
int cmd_verdict(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_explain(int argc, char **argv);
/* datapath.c: what changes the kernel datapath */
int cmd_attach(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
/* status.c */
int cmd_status(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_dump(int argc, char **argv);
/* flows.c */
int cmd_flows(int argc, char **argv);
/* metrics.c */
int cmd_metrics(int argc, char **argv);
/* verify.c: the manifests against the live maps */
int cmd_verify(int argc, char **argv);

#endif /* NETPOL_TOOL_MAIN_H */
