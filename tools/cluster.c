/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol validate | endpoints | compile: the manifests alone, no kernel.
 * What the compiler makes of them: problems, PolicyEndpoints and
 * ClusterPolicyEndpoints, rule sets (maps: maps.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"

static int each_pod(struct np_cluster *c,
		    int (*fn)(void *, const char *, const char *), void *ctx);

/*
 * What apply would refuse: a pod whose rule set cannot be compiled (a
 * prefix over the datapath's port slots, say). The diagnostic names the
 * pod, the policies and the limit.
 */
struct validate_ctx {
	struct np_cluster *c;
	size_t problems;
};

static int validate_pod(void *p, const char *ns, const char *name)
{
	struct validate_ctx *v = p;
	struct np_ruleset *rs = NULL;
	struct np_diag d;
	int err;

	err = np_ruleset_compile(&rs, v->c, ns, name, NULL, &d);
	np_ruleset_free(rs);
	if (err == -ENOMEM)
		return tool_fail_pod(ns, name, err);
	if (err) {
		tool_print_diag(&d);
		v->problems++;
	}
	return 0;
}

/*
 * What is valid yet worth saying (np_cluster_check()): one "warning:" line
 * each on stderr; they do not change the exit status.
 */
static int validate_warnings(struct np_cluster *c)
{
	char *report, *line, *next;
	int err = np_cluster_check(c, &report, NULL);

	if (err)
		return tool_fail("checking the manifests", err);
	for (line = report; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		/* the names in it are escaped already */
		fprintf(stderr, "netpol: warning: %s\n", line);
	}
	np_free(report);
	return 0;
}

int cmd_validate(int argc, char **argv)
{
	static const struct option lo[] = { { 0, 0, 0, 0 } };
	struct validate_ctx v = { 0 };
	int err, err2 = 0;

	optind = 1;
	if (getopt_long(argc, argv, "", lo, NULL) != -1)
		return tool_usage();
	if (optind >= argc) {
		fprintf(stderr, "netpol: validate: no input files\n");
		return tool_usage();
	}
	err = tool_load(&v.c, argv + optind, argc - optind, true, &v.problems);
	/* warnings once for the snapshot, not once per pod compiled */
	if (v.c && err != -ENOMEM)
		err2 = validate_warnings(v.c);
	/* then what apply would refuse, pod by pod */
	tool_quiet_warnings = true;
	if (v.c && err != -ENOMEM && !err2)
		err2 = each_pod(v.c, validate_pod, &v);
	tool_quiet_warnings = false;
	np_cluster_free(v.c);
	if (err == -ENOMEM || err2)
		return 2;
	return v.problems || err ? 1 : 0;
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
		if (opt != 'o')
			return tool_usage();
		switch (tool_enum("-o", V_FMT_ENDPOINTS, optarg)) {
		case 0:
			fmt = NP_FORMAT_YAML;
			break;
		case 1:
			fmt = NP_FORMAT_JSON;
			break;
		default:
			return 2;
		}
	}
	if (tool_load_args(&c, argc, argv))
		return 2;
	err = np_cluster_endpoints(c, fmt, &out, &d);
	if (err) {
		tool_print_diag(&d);
		np_cluster_free(c);
		return 2;
	}
	fputs(out, stdout);
	np_free(out);
	np_cluster_free(c);
	return 0;
}

/* Call fn for every pod of the snapshot. */
static int each_pod(struct np_cluster *c,
		    int (*fn)(void *, const char *, const char *), void *ctx)
{
	char *text, *line, *save = NULL, ns[256], name[256];
	int err;

	err = np_cluster_names(c, NP_KIND_POD, &text);
	if (err)
		return tool_fail("listing the pods", err);
	for (line = strtok_r(text, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save))
		if (!tool_split_name(line, ns, sizeof(ns), name, sizeof(name)))
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

/*
 * Text only, after the rule set: "ingress isolated by shop/db-from-web"
 * for each direction some policy applies to (np_cluster_isolating()).
 */
static int compile_isolating(struct compile_ctx *cc, const char *ns,
			     const char *name)
{
	NP_OPTS(np_attrib_opts, ao, .source = cc->opts.source);
	enum np_direction d;
	char *who;
	int err;

	for (d = NP_DIRECTION_INGRESS; d <= NP_DIRECTION_EGRESS; d++) {
		err = np_cluster_isolating(cc->c, ns, name, d, &ao, &who, NULL);
		if (err)
			return tool_fail_pod(ns, name, err);
		/* the names in it are escaped already (np_escape(), TEXT) */
		if (who[0])
			printf("%s isolated by %s\n", np_direction_name(d),
			       who);
		np_free(who);
	}
	return 0;
}

static int compile_one(void *p, const char *ns, const char *name)
{
	struct compile_ctx *cc = p;
	struct np_ruleset *rs;
	struct np_diag d;
	char *out;
	int err;

	err = np_ruleset_compile(&rs, cc->c, ns, name, &cc->opts, &d);
	if (err) {
		tool_print_diag(&d);
		cc->failed++;
		return 0;
	}
	err = np_ruleset_export(rs, cc->fmt, &out);
	np_ruleset_free(rs);
	if (err)
		return tool_fail_pod(ns, name, err);
	if (cc->fmt == NP_FORMAT_YAML)
		fputs("---\n", stdout);
	else if (cc->fmt == NP_FORMAT_JSON && cc->count)
		fputs(",\n", stdout);
	fputs(out, stdout);
	cc->count++;
	np_free(out);
	if (cc->fmt == NP_FORMAT_TEXT)
		return compile_isolating(cc, ns, name);
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
		case 'o': {
			static const enum np_format f[] = { NP_FORMAT_TEXT,
							    NP_FORMAT_YAML,
							    NP_FORMAT_JSON };
			int i = tool_enum("-o", V_FMT_COMPILE, optarg);

			if (i < 0)
				return 2;
			cc.fmt = f[i];
		} break;
		case 'p':
			pod = optarg;
			break;
		case 's':
			if (tool_parse_source(optarg, &cc.opts.source))
				return 2;
			break;
		default:
			goto usage;
		}
	}
	if (pod && tool_split_name(pod, ns, sizeof(ns), name, sizeof(name)))
		return tool_bad_value("--pod", pod, "NS/NAME");
	if (tool_load_args(&cc.c, argc, argv))
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
	return tool_usage();
}
