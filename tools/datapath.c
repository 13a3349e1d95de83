/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol attach | detach | apply | destroy: the commands that change the
 * kernel datapath (loading and pinning it when it is not there).
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "main.h"

/* --ct-size: 64 Mi entries per family is some 6 GiB of kernel memory */
#define CT_SIZE_MAX (64u << 20)

int cmd_attach(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "ifname", 1, 0, 'i' },
					    { "ifindex", 1, 0, 'x' },
					    { "pod", 1, 0, 'p' },
					    { "ct-size", 1, 0, 'C' },
					    { "hook", 1, 0, 'H' },
					    { 0, 0, 0, 0 } };
	NP_OPTS(np_attach_opts, aopts);
	struct np_diag diag;
	struct np_datapath_stats st;
	unsigned long long ct;
	char *end;
	struct dp_args a = { 0 };
	const char *ifname = NULL, *pod = NULL;
	char ns[256] = "", name[256] = "";
	struct np_datapath *dp;
	unsigned ifindex = 0;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (dp_option(&a, opt, optarg) > 0)
			continue;
		if (opt == 'i')
			ifname = optarg;
		else if (opt == 'x')
			ifindex = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'p')
			pod = optarg;
		else if (opt == 'C') {
			errno = 0;
			ct = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || !ct ||
			    ct > CT_SIZE_MAX)
				goto usage;
			a.ct_size = (uint32_t)ct;
		} else if (opt == 'H') {
			if (!strcmp(optarg, "auto"))
				aopts.hook = NP_HOOK_KIND_NONE;
			else if (!strcmp(optarg, "tcx"))
				aopts.hook = NP_HOOK_KIND_TCX;
			else if (!strcmp(optarg, "tc"))
				aopts.hook = NP_HOOK_KIND_TC;
			else {
				fprintf(stderr,
					"netpol: attach: --hook %s: must be "
					"auto, tcx or tc\n",
					optarg);
				return 2;
			}
		} else
			goto usage;
	}
	if ((!ifname && !ifindex) || (ifname && ifindex) ||
	    (pod && tool_split_name(pod, ns, sizeof(ns), name, sizeof(name))))
		goto usage;
	aopts.ifname = ifname;
	aopts.ifindex = ifindex;
	aopts.pod_ns = pod ? ns : NULL;
	aopts.pod_name = pod ? name : NULL;
	if (dp_open(&dp, &a))
		return 2;
	if (a.ct_size && !np_datapath_stats(dp, &st) &&
	    st.ct_capacity[0] != a.ct_size)
		fprintf(stderr,
			"netpol: the loaded datapath keeps its conntrack size "
			"%llu per family; --ct-size takes effect after "
			"destroy\n",
			(unsigned long long)st.ct_capacity[0]);
	err = np_datapath_attach(dp, &aopts, &diag);
	np_datapath_close(dp);
	if (err) {
		char e1[256], e2[4096];

		fprintf(stderr, "netpol: attach %s: %s\n",
			tool_esc(ifname ? ifname : "", e1, sizeof(e1)),
			tool_esc(diag.message[0] ? diag.message :
						   np_strerror(err),
				 e2, sizeof(e2)));
		return 2;
	}
	return 0;
usage:
	fputs("usage: netpol attach --ifname IF|--ifindex N [--pod NS/NAME] "
	      "[--mode standard|strict] [--node-ip IP]... [--ct-size N] "
	      "[--hook auto|tcx|tc] [--revoke on|off] "
	      "[--source-check on|off] [--pin-root DIR]\n",
	      stderr);
	return 2;
}

int cmd_detach(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "ifname", 1, 0, 'i' },
					    { "ifindex", 1, 0, 'x' },
					    { 0, 0, 0, 0 } };
	struct dp_args a = { 0 };
	struct np_datapath *dp;
	unsigned ifindex = 0;
	char esc[256];
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (dp_option(&a, opt, optarg) > 0)
			continue;
		if (opt == 'i') {
			ifindex = if_nametoindex(optarg);
			if (!ifindex) {
				fprintf(stderr,
					"netpol: detach: no interface %s (a "
					"pod whose veth is gone needs no "
					"detach: its record is forgotten)\n",
					tool_esc(optarg, esc, sizeof(esc)));
				return 2;
			}
		} else if (opt == 'x')
			ifindex = (unsigned)strtoul(optarg, NULL, 10);
		else
			goto usage;
	}
	if (!ifindex)
		goto usage;
	if (dp_open(&dp, &a))
		return 2;
	err = np_datapath_detach(dp, ifindex);
	np_datapath_close(dp);
	if (err == -ENOENT) {
		fprintf(stderr,
			"netpol: detach: ifindex %u is not attached (a record "
			"of a vanished interface is forgotten by every "
			"writing command)\n",
			ifindex);
		return 2;
	}
	if (err) {
		fprintf(stderr, "netpol: detach %u: %s\n", ifindex,
			np_strerror(err));
		return 2;
	}
	return 0;
usage:
	fputs("usage: netpol detach --ifname IF|--ifindex N [--pin-root DIR]\n",
	      stderr);
	return 2;
}

/*
 * A pod whose rules cannot be enforced (-E2BIG: a limit, a full map;
 * -ENOTSUP: a cluster-policy Deny or Pass with a peer it cannot enforce) fails
 * closed in the directions the diag names; on any other error it keeps its
 * last good rules. Either way one line on stderr names the pod and why.
 */
static void apply_failed(struct np_datapath *dp, const char *pod,
			 unsigned int ifindex, int err, const struct np_diag *d)
{
	static const char *const dn[4] = { "", "ingress", "egress",
					   "ingress and egress" };
	unsigned int dirs =
		err == -E2BIG || err == -ENOTSUP ? d->fail_closed_dirs & 3 : 0;
	char raw[2048], buf[4096], name[1040];
	int fc = 0;

	if (dirs)
		fc = np_datapath_fail_closed(dp, ifindex, dirs, NULL);
	np_diag_format(d, raw, sizeof(raw));
	if (!d->message[0])
		snprintf(raw, sizeof(raw), "%s", np_strerror(err));
	tool_esc(raw, buf, sizeof(buf));
	pod = tool_esc(pod, name, sizeof(name));
	if (dirs && !fc)
		fprintf(stderr, "netpol: apply %s: %s; failing closed (%s)\n",
			pod, buf, dn[dirs]);
	else if (dirs)
		fprintf(stderr,
			"netpol: apply %s: %s; cannot fail closed (%s), "
			"its last good rules stay\n",
			pod, buf, np_strerror(fc));
	else
		fprintf(stderr, "netpol: apply %s: %s\n", pod, buf);
}

int cmd_apply(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "pod", 1, 0, 'p' },
					    { "source", 1, 0, 's' },
					    { 0, 0, 0, 0 } };
	NP_OPTS(np_compile_opts, copts);
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_cluster *c = NULL;
	struct np_datapath *dp;
	const char *pod = NULL;
	char esc[2048];
	size_t problems = 0, i, applied = 0;
	int opt, err, ret = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (dp_option(&a, opt, optarg) > 0)
			continue;
		if (opt == 'p')
			pod = optarg;
		else if (opt == 's') {
			if (tool_parse_source(optarg, &copts.source))
				goto usage;
		} else
			goto usage;
	}
	if (optind >= argc)
		goto usage;
	/* an agent keeps the valid objects of a file with invalid ones */
	if (dp_load_open(argv + optind, argc - optind, dp_open, &a, &c,
			 &problems, &dp))
		return 2;
	/* one transaction: the node goes from the old state to the new */
	err = np_datapath_begin(dp, NULL);
	if (err) {
		fprintf(stderr, "netpol: apply: %s\n", np_strerror(err));
		np_datapath_close(dp);
		np_cluster_free(c);
		return 2;
	}
	if (!err)
		err = np_datapath_pod_foreach(dp, pod_list_collect, &l);
	for (i = 0; !err && i < l.n; i++) {
		char full[520];
		struct np_ruleset *rs;
		struct np_diag d;

		snprintf(full, sizeof(full), "%s/%s", l.ns[i], l.name[i]);
		if (!l.ns[i][0] || (pod && strcmp(pod, full)))
			continue;
		err = np_ruleset_compile(&rs, c, l.ns[i], l.name[i], &copts,
					 &d);
		if (!err) {
			err = np_datapath_apply(dp, l.v[i].ifindex, rs, &d);
			np_ruleset_free(rs);
		}
		if (err) {
			apply_failed(dp, full, l.v[i].ifindex, err, &d);
			ret = 2;
			err = 0;
			continue;
		}
		applied++;
	}
	if (!err) {
		struct np_diag d;
		const char *pause = getenv("NETPOL_TEST_PAUSE_BEFORE_COMMIT");

		/* tests only: hold the staged state (milliseconds) */
		if (pause)
			usleep((useconds_t)strtoul(pause, NULL, 10) * 1000);
		err = np_datapath_commit(dp, &d);
		if (err)
			fprintf(stderr, "netpol: apply: commit: %s\n",
				tool_esc(d.message[0] ? d.message :
							np_strerror(err),
					 esc, sizeof(esc)));
	} else {
		np_datapath_abort(dp);
	}
	if (pod && !applied && !ret) {
		fprintf(stderr, "netpol: apply: %s is not attached\n",
			tool_esc(pod, esc, sizeof(esc)));
		ret = 2;
	}
	pod_list_free(&l);
	np_datapath_close(dp);
	np_cluster_free(c);
	return err ? 2 : ret;
usage:
	fputs("usage: netpol apply FILE... [--pod NS/NAME] "
	      "[--source policies|endpoints] [--revoke on|off] "
	      "[--source-check on|off] [--pin-root DIR]\n",
	      stderr);
	return 2;
}

int cmd_destroy(int argc, char **argv)
{
	struct dp_args a = { 0 };
	struct np_datapath *dp;
	int err;

	if (dp_args_only(argc, argv, "destroy", &a))
		return 2;
	if (dp_open(&dp, &a))
		return 2;
	err = np_datapath_destroy(dp);
	if (err) {
		fprintf(stderr, "netpol: destroy: %s\n", np_strerror(err));
		return 2;
	}
	return 0;
}
