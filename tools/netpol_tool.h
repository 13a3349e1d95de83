/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef NETPOL_TOOL_H
#define NETPOL_TOOL_H

#include <netpol.h>

extern int verbose;

int tool_load(struct np_cluster **out, char **files, int nfiles,
	      bool skip_invalid, size_t *problems);

int tool_parse_protocol(const char *s, enum np_protocol *out);
const char *tool_protocol_name(enum np_protocol p);
const char *tool_reason(const struct np_verdict *v);
/* The matrix with every cell decided by the kernel program. */
int tool_matrix_datapath(struct np_cluster *c, const struct np_matrix_opts *mo,
			 enum np_format fmt, char **out, struct np_diag *d);

int cmd_endpoints(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_verdict(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_destroy(int argc, char **argv);

#define TOOL_COMMANDS                                                        \
	{ "endpoints", cmd_endpoints,                                        \
	  "endpoints FILE... [-o yaml|json]  PolicyEndpoints of every policy" }, \
	{ "compile", cmd_compile,                                            \
	  "compile FILE... [--pod NS/NAME] [-o text|yaml|json]  rule sets" },  \
	{ "maps", cmd_maps,                                                  \
	  "maps FILE... --pod NS/NAME [-o text|json]  eBPF map contents" },    \
	{ "verdict", cmd_verdict,                                            \
	  "verdict FILE... --from A --to B --port N [--protocol P]  ALLOW or DENY" }, \
	{ "matrix", cmd_matrix,                                              \
	  "matrix FILE... [--ports ..] [--protocols ..] [--family 4|6] [-o table|json] [--datapath]" }, \
	{ "attach", cmd_attach,                                              \
	  "attach --ifname IF [--pod NS/NAME] [--mode standard|strict]  enforce on a veth" }, \
	{ "apply", cmd_apply,                                                \
	  "apply FILE... [--pod NS/NAME]  compile and enforce on attached pods" }, \
	{ "detach", cmd_detach,                                              \
	  "detach --ifname IF|--ifindex N  stop enforcing" },                  \
	{ "status", cmd_status,                                              \
	  "status  attached pods, their state and counters" },                 \
	{ "destroy", cmd_destroy,                                            \
	  "destroy  detach everything and unpin the datapath" },

#endif /* NETPOL_TOOL_H */
