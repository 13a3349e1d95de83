// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * netpol endpoints | compile | maps | verdict | matrix: the compiler.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpol_tool.h"

static int parse_format(const char *s, enum np_format *out)
{
	if (!strcmp(s, "yaml"))
		*out = NP_FORMAT_YAML;
	else if (!strcmp(s, "json"))
		*out = NP_FORMAT_JSON;
	else if (!strcmp(s, "text") || !strcmp(s, "table"))
		*out = NP_FORMAT_TEXT;
	else
		return -EINVAL;
	return 0;
}

/* --source policies|endpoints, as every compiling command takes it. */
int tool_parse_source(const char *s, enum np_source *out)
{
	if (!strcmp(s, "policies"))
		*out = NP_SOURCE_POLICIES;
	else if (!strcmp(s, "endpoints"))
		*out = NP_SOURCE_ENDPOINTS;
	else
		return -EINVAL;
	return 0;
}

int tool_parse_protocol(const char *s, enum np_protocol *out)
{
	if (!strcasecmp(s, "TCP"))
		*out = NP_PROTOCOL_TCP;
	else if (!strcasecmp(s, "UDP"))
		*out = NP_PROTOCOL_UDP;
	else if (!strcasecmp(s, "SCTP"))
		*out = NP_PROTOCOL_SCTP;
	else
		return -EINVAL;
	return 0;
}

const char *tool_protocol_name(enum np_protocol p)
{
	return p == NP_PROTOCOL_TCP ? "TCP" :
	       p == NP_PROTOCOL_UDP ? "UDP" :
				      "SCTP";
}

static void print_diag(const struct np_diag *d)
{
	char buf[2048];

	np_diag_format(d, buf, sizeof(buf));
	fprintf(stderr, "netpol: %s\n", buf);
}

static int split_pod(const char *s, char *ns, size_t nsz, char *name,
		     size_t namesz)
{
	const char *slash = strchr(s, '/');

	if (!slash || slash == s || !slash[1])
		return -EINVAL;
	snprintf(ns, nsz, "%.*s", (int)(slash - s), s);
	snprintf(name, namesz, "%s", slash + 1);
	return 0;
}

/* Load files given after the options; reports problems, keeps going. */
static int load_args(struct np_cluster **c, int argc, char **argv)
{
	size_t problems = 0;
	int err;

	if (optind >= argc) {
		fprintf(stderr, "netpol: no input files\n");
		return -EINVAL;
	}
	err = tool_load(c, argv + optind, argc - optind, true, &problems);
	if (err && err != -EINVAL) {
		np_cluster_free(*c);
		*c = NULL;
		return err;
	}
	return 0;
}

int cmd_endpoints(int argc, char **argv)
{
	static const struct option lo[] = { { "output", 1, 0, 'o' },
					    { 0, 0, 0, 0 } };
	enum np_format fmt = NP_FORMAT_YAML;
	struct np_cluster *c = NULL;
	struct np_diag d;
	char *out;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		if (opt != 'o' || parse_format(optarg, &fmt) ||
		    fmt == NP_FORMAT_TEXT) {
			fprintf(stderr,
				"usage: netpol endpoints FILE... [-o yaml|json]\n");
			return 2;
		}
	}
	if (load_args(&c, argc, argv))
		return 2;
	err = np_cluster_endpoints(c, fmt, &out, &d);
	if (err) {
		print_diag(&d);
		np_cluster_free(c);
		return 2;
	}
	fputs(out, stdout);
	np_free(out);
	np_cluster_free(c);
	return 0;
}

static const char *const compile_usage =
	"usage: netpol compile FILE... [--pod NS/NAME] [-o json|yaml|text]\n"
	"                      [--source policies|endpoints]\n";

/* Call fn for every pod of the snapshot. */
static int each_pod(struct np_cluster *c,
		    int (*fn)(void *, const char *, const char *), void *ctx)
{
	char *text, *line, *save = NULL, ns[256], name[256];
	int err;

	err = np_cluster_names(c, NP_KIND_POD, &text);
	if (err)
		return err;
	for (line = strtok_r(text, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save))
		if (!split_pod(line, ns, sizeof(ns), name, sizeof(name)))
			err = fn(ctx, ns, name);
	np_free(text);
	return err;
}

struct compile_ctx {
	struct np_cluster *c;
	struct np_compile_opts opts;
	enum np_format fmt;
	int failed;
	int count;
};

static int compile_one(void *p, const char *ns, const char *name)
{
	struct compile_ctx *cc = p;
	struct np_ruleset *rs;
	struct np_diag d;
	char *out;
	int err;

	err = np_ruleset_compile(&rs, cc->c, ns, name, &cc->opts, &d);
	if (err) {
		print_diag(&d);
		cc->failed++;
		return 0;
	}
	err = np_ruleset_export(rs, cc->fmt, &out);
	np_ruleset_free(rs);
	if (err)
		return err;
	if (cc->fmt == NP_FORMAT_YAML)
		fputs("---\n", stdout);
	else if (cc->fmt == NP_FORMAT_JSON && cc->count)
		fputs(",\n", stdout);
	fputs(out, stdout);
	cc->count++;
	np_free(out);
	return 0;
}

int cmd_compile(int argc, char **argv)
{
	static const struct option lo[] = { { "output", 1, 0, 'o' },
					    { "pod", 1, 0, 'p' },
					    { "source", 1, 0, 's' },
					    { 0, 0, 0, 0 } };
	struct compile_ctx cc = { .fmt = NP_FORMAT_TEXT };
	const char *pod = NULL;
	char ns[256], name[256];
	int opt, err;

	cc.opts.sz = sizeof(cc.opts);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:p:s:", lo, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (parse_format(optarg, &cc.fmt))
				goto usage;
			break;
		case 'p':
			pod = optarg;
			break;
		case 's':
			if (tool_parse_source(optarg, &cc.opts.source))
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (pod && split_pod(pod, ns, sizeof(ns), name, sizeof(name)))
		goto usage;
	if (load_args(&cc.c, argc, argv))
		return 2;
	if (cc.fmt == NP_FORMAT_JSON && !pod)
		fputs("[\n", stdout);
	if (pod)
		err = compile_one(&cc, ns, name);
	else
		err = each_pod(cc.c, compile_one, &cc);
	if (cc.fmt == NP_FORMAT_JSON && !pod)
		fputs("]\n", stdout);
	np_cluster_free(cc.c);
	return err || cc.failed ? 2 : 0;
usage:
	fputs(compile_usage, stderr);
	return 2;
}

int cmd_maps(int argc, char **argv)
{
	static const struct option lo[] = { { "output", 1, 0, 'o' },
					    { "pod", 1, 0, 'p' },
					    { "source", 1, 0, 's' },
					    { 0, 0, 0, 0 } };
	NP_OPTS(np_compile_opts, copts);
	enum np_format fmt = NP_FORMAT_TEXT;
	struct np_cluster *c = NULL;
	struct np_ruleset *rs;
	struct np_mapset *ms;
	const char *pod = NULL;
	char ns[256], name[256], *out;
	struct np_diag d;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:p:s:", lo, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (parse_format(optarg, &fmt) || fmt == NP_FORMAT_YAML)
				goto usage;
			break;
		case 'p':
			pod = optarg;
			break;
		case 's': {
			if (tool_parse_source(optarg, &copts.source))
				goto usage;
		} break;
		default:
			goto usage;
		}
	}
	if (!pod || split_pod(pod, ns, sizeof(ns), name, sizeof(name)))
		goto usage;
	if (load_args(&c, argc, argv))
		return 2;
	err = np_ruleset_compile(&rs, c, ns, name, &copts, &d);
	if (err) {
		print_diag(&d);
		np_cluster_free(c);
		return 2;
	}
	err = np_mapset_encode(&ms, rs);
	if (!err)
		err = np_mapset_export(ms, fmt, &out);
	if (!err) {
		fputs(out, stdout);
		np_free(out);
	}
	np_mapset_free(ms);
	np_ruleset_free(rs);
	np_cluster_free(c);
	return err ? 2 : 0;
usage:
	fputs("usage: netpol maps FILE... --pod NS/NAME [-o json|text]\n",
	      stderr);
	return 2;
}

static const char *const reasons[] = {
	[NP_REASON_RULE] = "allowed by",
	[NP_REASON_NOT_ISOLATED] = "no policy isolates it",
	[NP_REASON_NODE] = "the pod's node is always allowed",
	[NP_REASON_SELF] = "a pod may always reach itself",
	[NP_REASON_NO_MATCH] = "no rule matches the peer",
	[NP_REASON_EXCEPT] =
		"the peer is in an except of every rule covering it",
	[NP_REASON_PORT] = "no rule for the peer allows this port",
};

const char *tool_reason(const struct np_verdict *v)
{
	return reasons[v->reason];
}

int cmd_verdict(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "from", 1, 0, 'f' },	 { "to", 1, 0, 't' },
		{ "port", 1, 0, 'p' },	 { "protocol", 1, 0, 'P' },
		{ "source", 1, 0, 's' }, { 0, 0, 0, 0 }
	};
	NP_OPTS(np_compile_opts, copts);
	enum np_protocol proto = NP_PROTOCOL_TCP;
	const char *from = NULL, *to = NULL;
	struct np_cluster *c = NULL;
	struct np_verdict v;
	struct np_diag d;
	long port = -1;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:t:p:P:s:", lo, NULL)) != -1) {
		switch (opt) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'p':
			port = strtol(optarg, NULL, 10);
			break;
		case 'P':
			if (tool_parse_protocol(optarg, &proto))
				goto usage;
			break;
		case 's': {
			if (tool_parse_source(optarg, &copts.source))
				goto usage;
		} break;
		default:
			goto usage;
		}
	}
	if (!from || !to || port < 1 || port > 65535)
		goto usage;
	if (load_args(&c, argc, argv))
		return 2;
	err = np_cluster_verdict(c, from, to, proto, (uint16_t)port, &copts, &v,
				 &d);
	np_cluster_free(c);
	if (err) {
		print_diag(&d);
		return 2;
	}
	printf("%s %s -> %s %s/%ld: %s", v.allowed ? "ALLOW" : "DENY", from, to,
	       tool_protocol_name(proto), port, reasons[v.reason]);
	if (v.reason == NP_REASON_RULE)
		printf(" %s (key %s, slot %d)", v.policies, v.key, v.slot + 1);
	else if (!v.allowed)
		printf(" (%s of %s%s%s)",
		       v.direction == NP_DIRECTION_INGRESS ? "ingress" :
							     "egress",
		       v.direction == NP_DIRECTION_INGRESS ? to : from,
		       v.key[0] ? ", key " : "", v.key);
	printf("\n");
	return v.allowed ? 0 : 1;
usage:
	fputs("usage: netpol verdict FILE... --from NS/POD|IP --to NS/POD|IP "
	      "--port N [--protocol TCP|UDP|SCTP]\n",
	      stderr);
	return 2;
}

int cmd_matrix(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ports", 1, 0, 'p' },	 { "protocols", 1, 0, 'P' },
		{ "family", 1, 0, 'f' }, { "output", 1, 0, 'o' },
		{ "source", 1, 0, 's' }, { "datapath", 0, 0, 'd' },
		{ 0, 0, 0, 0 }
	};
	NP_OPTS(np_matrix_opts, mo);
	enum np_format fmt = NP_FORMAT_TEXT;
	enum np_protocol protos[3];
	uint16_t ports[64];
	struct np_cluster *c = NULL;
	bool datapath = false;
	char *out, *tok, *save;
	struct np_diag d;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "p:P:f:o:s:d", lo, NULL)) != -1) {
		switch (opt) {
		case 'p':
			mo.nports = 0;
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				long v = strtol(tok, NULL, 10);

				if (v < 1 || v > 65535 || mo.nports >= 64)
					goto usage;
				ports[mo.nports++] = (uint16_t)v;
			}
			mo.ports = ports;
			break;
		case 'P':
			mo.nprotocols = 0;
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				if (mo.nprotocols >= 3 ||
				    tool_parse_protocol(
					    tok, &protos[mo.nprotocols++]))
					goto usage;
			mo.protocols = protos;
			break;
		case 'f':
			mo.family = atoi(optarg);
			if (mo.family != 4 && mo.family != 6)
				goto usage;
			break;
		case 'o':
			if (parse_format(optarg, &fmt))
				goto usage;
			break;
		case 's': {
			if (tool_parse_source(optarg, &mo.source))
				goto usage;
		} break;
		case 'd':
			datapath = true;
			break;
		default:
			goto usage;
		}
	}
	if (load_args(&c, argc, argv))
		return 2;
	if (datapath)
		err = tool_matrix_datapath(c, &mo, fmt, &out, &d);
	else
		err = np_cluster_matrix(c, &mo, fmt, &out, &d);
	np_cluster_free(c);
	if (err) {
		if (d.message[0])
			print_diag(&d);
		else
			fprintf(stderr, "netpol: matrix: %s\n",
				np_strerror(err));
		return 2;
	}
	fputs(out, stdout);
	np_free(out);
	return 0;
usage:
	fputs("usage: netpol matrix FILE... [--ports 80,81] "
	      "[--protocols TCP,UDP,SCTP] [--family 4|6] [-o table|json] "
	      "[--datapath]\n",
	      stderr);
	return 2;
}
