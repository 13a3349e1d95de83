/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef NETPOL_TOOL_H
#define NETPOL_TOOL_H

#include <netpol.h>

extern int verbose;

int tool_load(struct np_cluster **out, char **files, int nfiles,
	      bool skip_invalid, size_t *problems);

int tool_parse_source(const char *s, enum np_source *out);
int tool_parse_protocol(const char *s, enum np_protocol *out);
const char *tool_protocol_name(enum np_protocol p);
const char *tool_reason(const struct np_verdict *v);
/* The matrix with every cell decided by the kernel program. */
int tool_matrix_datapath(struct np_cluster *c, const struct np_matrix_opts *mo,
			 enum np_format fmt, char **out, struct np_diag *d);

/* Shared by the datapath commands (datapath_cmds.c, inspect_cmds.c). */
struct dp_args {
	const char *pin_root;
	enum np_mode mode;
	const char *node_ips[4];
	size_t n_node_ips;
};

#define DP_LONGOPTS                                       \
	{ "pin-root", 1, 0, 'R' }, { "mode", 1, 0, 'm' }, \
	{                                                 \
		"node-ip", 1, 0, 'N'                      \
	}

/* Options every datapath command takes; 1 when consumed, -1 bad. */
int dp_option(struct dp_args *a, int opt, const char *arg);
int dp_open(struct np_datapath **dp, const struct dp_args *a);
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
void dp_log(void *ctx, enum np_log_level lvl, const char *msg);
/* "ns/name" into its halves; -EINVAL when malformed. */
int split(const char *s, char *ns, size_t nsz, char *name, size_t sz);

/* The attached pods, copied (np_datapath_pods' strings are borrowed). */
struct pod_list {
	struct np_datapath_pod *v;
	char (*ns)[256], (*name)[256];
	size_t n;
};

int collect(void *ctx, const struct np_datapath_pod *p);
void list_free(struct pod_list *l);

int cmd_endpoints(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_verdict(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
/* inspect_cmds.c */
int cmd_status(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_explain(int argc, char **argv);

#define TOOL_COMMANDS                                                                                                              \
	{ "endpoints", cmd_endpoints,                                                                                              \
	  "endpoints FILE... [-o yaml|json]  PolicyEndpoints of every policy" },                                                   \
		{ "compile", cmd_compile,                                                                                          \
		  "compile FILE... [--pod NS/NAME] [-o text|yaml|json]  rule sets" },                                              \
		{ "maps", cmd_maps,                                                                                                \
		  "maps FILE... --pod NS/NAME [-o text|json]  eBPF map contents" },                                                \
		{ "verdict", cmd_verdict,                                                                                          \
		  "verdict FILE... --from A --to B --port N [--protocol P]  ALLOW or DENY" },                                      \
		{ "matrix", cmd_matrix,                                                                                            \
		  "matrix FILE... [--ports ..] [--protocols ..] [--family 4|6] [-o table|json] [--datapath]" },                    \
		{ "attach", cmd_attach,                                                                                            \
		  "attach --ifname IF [--pod NS/NAME] [--mode standard|strict]  enforce on a veth" },                              \
		{ "apply", cmd_apply,                                                                                              \
		  "apply FILE... [--pod NS/NAME]  compile and enforce on attached pods" },                                         \
		{ "detach", cmd_detach,                                                                                            \
		  "detach --ifname IF|--ifindex N  stop enforcing" },                                                              \
		{ "status", cmd_status,                                                                                            \
		  "status  attached pods: state, rule sets, hooks, counters" },                                                    \
		{ "destroy", cmd_destroy,                                                                                          \
		  "destroy  detach everything and unpin the datapath" },                                                           \
		{ "flows", cmd_flows,                                                                                              \
		  "flows [--follow] [--pod NS/NAME] [--verdict accept|deny] [-o json|text] [--output FILE] [FILE...]  flow log" }, \
		{ "metrics", cmd_metrics,                                                                                          \
		  "metrics  counters in the Prometheus text format" },                                                             \
		{ "dump", cmd_dump,                                                                                                \
		  "dump --pod NS/NAME|--ifname IF [--direction D]  live rules and conntrack" },                                    \
		{ "verify", cmd_verify,                                                                                            \
		  "verify FILE...  compare the kernel's maps with the manifests" },                                                \
		{ "explain", cmd_explain,                                                                                          \
		  "explain --pod NS/NAME --peer IP --port N [--protocol P] --direction D [FILE...]" },

#endif /* NETPOL_TOOL_H */
