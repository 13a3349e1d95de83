/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol verify | explain: the manifests held against the live maps of an
 * existing datapath: whether the kernel enforces what they say, and why
 * one new flow would be accepted or denied.
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

/* --- explain -------------------------------------------------------------- */

int cmd_explain(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "pod", 1, 0, 'p' },
					    { "ifname", 1, 0, 'i' },
					    { "peer", 1, 0, 'P' },
					    { "port", 1, 0, 'n' },
					    { "protocol", 1, 0, 't' },
					    { "direction", 1, 0, 'D' },
					    { "source", 1, 0, 's' },
					    { 0, 0, 0, 0 } };
	NP_OPTS(np_compile_opts, copts);
	const char *pod = NULL, *ifname = NULL, *peer = NULL;
	enum np_direction dir = NP_DIRECTION_INGRESS;
	struct np_datapath_verdict v;
	struct np_ruleset *rs = NULL;
	struct np_cluster *c = NULL;
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_datapath *dp;
	uint8_t proto = IPPROTO_TCP;
	long port = -1;
	bool have_dir = false;
	size_t problems = 0, i;
	char label[1040], pb[8], esc[1040];
	int opt, err, ret = 2;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (dp_option(&a, opt, optarg) > 0)
			continue;
		switch (opt) {
		case 'p':
			pod = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'P':
			peer = optarg;
			break;
		case 'n':
			port = strtol(optarg, NULL, 10);
			break;
		case 't':
			if (tool_parse_ip_proto(optarg, &proto))
				goto usage;
			break;
		case 'D':
			if (np_direction_parse(optarg, &dir))
				goto usage;
			have_dir = true;
			break;
		case 's': {
			if (tool_parse_source(optarg, &copts.source))
				goto usage;
		} break;
		default:
			goto usage;
		}
	}
	if (!!pod + !!ifname != 1 || !peer || !have_dir || port < 0 ||
	    port > 65535)
		goto usage;
	if (dp_load_open(argv + optind, argc - optind, dp_open_existing, &a, &c,
			 &problems, &dp))
		return 2;
	err = np_datapath_pod_foreach(dp, pod_list_collect, &l);
	if (!err)
		err = pod_list_find(&l, pod, ifname, 0, &i);
	if (err) {
		fprintf(stderr, "netpol: explain: %s: %s\n",
			tool_esc(pod ? pod : ifname, esc, sizeof(esc)),
			err == -ENOENT ? "not attached" : np_strerror(err));
		goto out;
	}
	pod_list_label(&l, i, label, sizeof(label));
	if (c && l.ns[i][0] &&
	    np_ruleset_compile(&rs, c, l.ns[i], l.name[i], &copts, NULL))
		rs = NULL;
	err = np_datapath_explain(dp, l.v[i].ifindex, dir, peer, proto,
				  (uint16_t)port, rs, &v);
	if (err) {
		fprintf(stderr, "netpol: explain: %s\n", np_strerror(err));
		goto out;
	}
	printf("%s %s %s %s %s %s/%ld: %s\n", v.allowed ? "ALLOW" : "DENY",
	       label, np_direction_name(dir),
	       dir == NP_DIRECTION_INGRESS ? "from" : "to", peer,
	       tool_ip_proto_name(proto, pb), port,
	       tool_name(np_reason_name(v.reason)));
	printf("  state %s", tool_name(np_pod_state_name(v.state)));
	if (v.ruleset)
		printf(", rule set %u", v.ruleset);
	printf("\n");
	if (v.key[0]) {
		printf("  key %s, port set %u", v.key, v.portset);
		if (v.slot >= 0)
			printf(", slot %d", v.slot);
		printf("\n");
		np_datapath_rule_foreach(dp, v.ruleset, tool_print_rule, v.key);
	}
	/* the names in it are escaped already (np_escape(), TEXT) */
	if (v.policies[0])
		printf("  policy %s\n", v.policies);
	if (v.tier != NP_TIER_UNKNOWN)
		printf("  tier %s\n", tool_name(np_tier_name(v.tier)));
	else if (v.reason == NP_REASON_RULE && c)
		printf("  policy unknown: the manifests do not compile to "
		       "the loaded rule set\n");
	ret = v.allowed ? 0 : 1;
out:
	np_ruleset_free(rs);
	pod_list_free(&l);
	np_datapath_close(dp);
	np_cluster_free(c);
	return ret;
usage:
	fputs("usage: netpol explain --pod NS/NAME|--ifname IF --peer IP "
	      "--port N [--protocol P]\n"
	      "       --direction ingress|egress [--source "
	      "policies|endpoints] [--pin-root DIR] [FILE...]\n",
	      stderr);
	return 2;
}
