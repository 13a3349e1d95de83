/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol verify: the manifests held against the live maps of an existing
 * datapath: whether the kernel enforces what they say (explain, why one
 * new flow would be accepted or denied, is in verdict.c).
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"

/* --- verify --------------------------------------------------------------- */

/* One pod of verify -o json; its drift lines go in "drift". */
static json_t *verify_pod_json(json_t *pods, const struct np_datapath_pod *p)
{
	json_t *o = json_pack("{s:o, s:o, s:I, s:b, s:[]}", "namespace",
			      tool_json_str(p->ns), "name",
			      tool_json_str(p->name), "ifindex",
			      (json_int_t)p->ifindex, "verified", 0, "drift");

	json_array_append_new(pods, o);
	return json_object_get(o, "drift");
}

/* A drift line: "label: what" in text, an entry of drift in JSON. */
static void drift_line(json_t *drift, const char *label, const char *what)
{
	char esc[4096];

	tool_esc(what, esc, sizeof(esc));
	if (drift)
		json_array_append_new(drift, json_string(esc));
	else
		printf("%s: %s\n", label, esc);
}

int cmd_verify(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "source", 1, 0, 's' },
					    { "output", 1, 0, 'o' },
					    { 0, 0, 0, 0 } };
	NP_OPTS(np_compile_opts, copts);
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_cluster *c = NULL;
	struct np_datapath *dp;
	json_t *root = NULL, *pods = NULL;
	size_t problems = 0, i, drift = 0, checked = 0;
	bool json = false;
	int opt, err, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		r = dp_option(&a, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (opt == 's') {
			if (tool_parse_source(optarg, &copts.source))
				return 2;
		} else if (opt == 'o') {
			r = tool_enum("-o", V_FMT_TEXT_JSON, optarg);
			if (r < 0)
				return 2;
			json = r == 1;
		} else {
			return tool_usage();
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "netpol: verify: no input files\n");
		return tool_usage();
	}
	if (dp_load_open(argv + optind, argc - optind, dp_open_existing, &a, &c,
			 &problems, &dp))
		return 2;
	if (json) {
		pods = json_array();
		root = json_pack("{s:s, s:o}", "schema", "netpol.verify/v1",
				 "pods", pods);
	}
	err = np_datapath_pod_foreach(dp, pod_list_collect, &l);
	for (i = 0; !err && i < l.n; i++) {
		struct np_ruleset *rs;
		struct np_diag d;
		char label[1040], *report = NULL, *line, *save = NULL;
		json_t *jd = json ? verify_pod_json(pods, &l.v[i]) : NULL;
		size_t n = 0;
		int e;

		pod_list_label(&l, i, label, sizeof(label));
		if (!l.ns[i][0]) {
			if (json)
				drift_line(jd, label,
					   "attached without a pod name: not "
					   "verified");
			else
				printf("ifindex %u: attached without a pod "
				       "name: not verified\n",
				       l.v[i].ifindex);
			drift++;
			continue;
		}
		e = np_ruleset_compile(&rs, c, l.ns[i], l.name[i], &copts, &d);
		if (e) {
			drift_line(
				jd, label,
				e == -ENOENT ?
					"attached, but not in the manifests" :
				d.message[0] ? d.message :
					       np_strerror(e));
			drift++;
			continue;
		}
		e = np_datapath_verify(dp, l.v[i].ifindex, rs, &report, &n);
		np_ruleset_free(rs);
		if (e) {
			fprintf(stderr, "netpol: verify %s: %s\n", label,
				np_strerror(e));
			err = e;
			break;
		}
		for (line = strtok_r(report, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			drift_line(jd, label, line);
		np_free(report);
		if (json)
			json_object_set_new(
				json_array_get(pods, json_array_size(pods) - 1),
				"verified", json_true());
		drift += n;
		checked++;
	}
	pod_list_free(&l);
	np_datapath_close(dp);
	np_cluster_free(c);
	if (err) {
		json_decref(root);
		return 2;
	}
	if (json) {
		json_object_set_new(root, "checked",
				    json_integer((json_int_t)checked));
		json_object_set_new(root, "drifts",
				    json_integer((json_int_t)drift));
		json_object_set_new(root, "ok", json_boolean(!drift));
		if (tool_json_print(root))
			return 2;
	} else if (!drift) {
		printf("%zu pods: the kernel enforces what the manifests "
		       "say\n",
		       checked);
	}
	return drift ? 1 : 0;
}
