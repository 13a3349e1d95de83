// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * netpol attach | apply | detach | destroy, and matrix --datapath: the
 * commands that change the kernel datapath (status and the other
 * inspection commands are in inspect_cmds.c).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netpol_tool.h"

void dp_log(void *ctx, enum np_log_level lvl, const char *msg)
{
	(void)ctx;
	if (lvl <= NP_LOG_WARN || verbose)
		fprintf(stderr, "netpol: %s\n", msg);
}

int dp_option(struct dp_args *a, int opt, const char *arg)
{
	switch (opt) {
	case 'R':
		a->pin_root = arg;
		return 1;
	case 'm':
		if (!strcmp(arg, "standard"))
			a->mode = NP_MODE_STANDARD;
		else if (!strcmp(arg, "strict"))
			a->mode = NP_MODE_STRICT;
		else
			return -1;
		return 1;
	case 'N':
		if (a->n_node_ips >= 4)
			return -1;
		a->node_ips[a->n_node_ips++] = arg;
		return 1;
	}
	return 0;
}

int dp_open(struct np_datapath **dp, const struct dp_args *a)
{
	NP_OPTS(np_datapath_opts, o, .pin_root = a->pin_root, .mode = a->mode,
		.log = dp_log, .node_ips = a->node_ips,
		.n_node_ips = a->n_node_ips);
	int err = np_datapath_open(dp, &o);

	if (err)
		fprintf(stderr, "netpol: cannot open the datapath: %s\n",
			np_strerror(err));
	return err;
}

int dp_load_open(char **files, int nfiles,
		 int (*open)(struct np_datapath **, const struct dp_args *),
		 const struct dp_args *a, struct np_cluster **c,
		 size_t *problems, struct np_datapath **dp)
{
	int err = nfiles ? tool_load(c, files, nfiles, true, problems) : 0;

	/* -EINVAL: some objects were invalid, the valid ones are kept */
	if ((!err || err == -EINVAL) && !open(dp, a))
		return 0;
	np_cluster_free(*c);
	*c = NULL;
	return 2;
}

int split(const char *s, char *ns, size_t nsz, char *name, size_t sz)
{
	const char *slash = strchr(s, '/');

	if (!slash || slash == s || !slash[1])
		return -EINVAL;
	snprintf(ns, nsz, "%.*s", (int)(slash - s), s);
	snprintf(name, sz, "%s", slash + 1);
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "ifname", 1, 0, 'i' },
					    { "ifindex", 1, 0, 'x' },
					    { "pod", 1, 0, 'p' },
					    { 0, 0, 0, 0 } };
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
		else
			goto usage;
	}
	if ((!ifname && !ifindex) || (ifname && ifindex) ||
	    (pod && split(pod, ns, sizeof(ns), name, sizeof(name))))
		goto usage;
	if (dp_open(&dp, &a))
		return 2;
	err = np_datapath_attach(dp, ifname, ifindex, pod ? ns : NULL,
				 pod ? name : NULL);
	np_datapath_close(dp);
	if (err) {
		fprintf(stderr, "netpol: attach %s: %s\n", ifname ? ifname : "",
			np_strerror(err));
		return 2;
	}
	return 0;
usage:
	fputs("usage: netpol attach --ifname IF|--ifindex N [--pod NS/NAME] "
	      "[--mode standard|strict] [--node-ip IP]... [--pin-root DIR]\n",
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
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (dp_option(&a, opt, optarg) > 0)
			continue;
		if (opt == 'i')
			ifindex = if_nametoindex(optarg);
		else if (opt == 'x')
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

int collect(void *ctx, const struct np_datapath_pod *p)
{
	struct pod_list *l = ctx;

	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->ns = realloc(l->ns, (l->n + 1) * sizeof(*l->ns));
	l->name = realloc(l->name, (l->n + 1) * sizeof(*l->name));
	if (!l->v || !l->ns || !l->name)
		return -ENOMEM;
	l->v[l->n] = *p;
	snprintf(l->ns[l->n], 256, "%s", p->ns ? p->ns : "");
	snprintf(l->name[l->n], 256, "%s", p->name ? p->name : "");
	l->v[l->n].ns = l->ns[l->n];
	l->v[l->n].name = l->name[l->n];
	l->n++;
	return 0;
}

void list_free(struct pod_list *l)
{
	free(l->v);
	free(l->ns);
	free(l->name);
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
	err = np_datapath_pods(dp, collect, &l);
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
			char buf[2048];

			np_diag_format(&d, buf, sizeof(buf));
			fprintf(stderr, "netpol: apply %s: %s\n", full,
				d.message[0] ? buf : np_strerror(err));
			/* this pod keeps its last good rules; go on */
			ret = 2;
			err = 0;
			continue;
		}
		applied++;
	}
	if (pod && !applied && !ret) {
		fprintf(stderr, "netpol: apply: %s is not attached\n", pod);
		ret = 2;
	}
	list_free(&l);
	np_datapath_close(dp);
	np_cluster_free(c);
	return err ? 2 : ret;
usage:
	fputs("usage: netpol apply FILE... [--pod NS/NAME] "
	      "[--source policies|endpoints] [--pin-root DIR]\n",
	      stderr);
	return 2;
}

int cmd_destroy(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS, { 0, 0, 0, 0 } };
	struct dp_args a = { 0 };
	struct np_datapath *dp;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1)
		if (dp_option(&a, opt, optarg) <= 0) {
			fputs("usage: netpol destroy [--pin-root DIR]\n",
			      stderr);
			return 2;
		}
	if (dp_open(&dp, &a))
		return 2;
	err = np_datapath_destroy(dp);
	if (err) {
		fprintf(stderr, "netpol: destroy: %s\n", np_strerror(err));
		return 2;
	}
	return 0;
}

/* --- matrix --datapath -------------------------------------------------- */

struct mpod {
	char name[520];
	unsigned ifindex;
};

struct mctx {
	struct np_datapath *dp;
	struct mpod *pods;
	size_t n;
	uint16_t sport;
};

static uint16_t csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/*
 * An Ethernet frame from src:sport to dst:dport, the first packet of a
 * flow: TCP SYN, a UDP datagram or an SCTP INIT.
 */
static size_t craft(uint8_t *f, const char *src, const char *dst,
		    enum np_protocol proto, uint16_t sport, uint16_t dport)
{
	bool v6 = strchr(src, ':') != NULL;
	size_t l3 = 14, hl = v6 ? 40 : 20, l4 = l3 + hl, len4;
	uint16_t tot;

	memset(f, 0, 128);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	len4 = proto == NP_PROTOCOL_TCP ? 20 :
	       proto == NP_PROTOCOL_UDP ? 16 :
					  32;
	f[l4] = (uint8_t)(sport >> 8);
	f[l4 + 1] = (uint8_t)sport;
	f[l4 + 2] = (uint8_t)(dport >> 8);
	f[l4 + 3] = (uint8_t)dport;
	if (proto == NP_PROTOCOL_TCP) {
		f[l4 + 12] = 5 << 4; /* data offset */
		f[l4 + 13] = 0x02; /* SYN */
		f[l4 + 14] = 0xff; /* window */
	} else if (proto == NP_PROTOCOL_UDP) {
		f[l4 + 4] = 0;
		f[l4 + 5] = (uint8_t)len4;
	} else {
		f[l4 + 4] = 0x12; /* verification tag */
		f[l4 + 12] = 1; /* INIT chunk */
		f[l4 + 15] = 20; /* chunk length */
	}
	if (v6) {
		f[12] = 0x86;
		f[13] = 0xdd;
		f[l3] = 0x60;
		tot = (uint16_t)len4;
		f[l3 + 4] = (uint8_t)(tot >> 8);
		f[l3 + 5] = (uint8_t)tot;
		f[l3 + 6] = (uint8_t)proto;
		f[l3 + 7] = 64;
		inet_pton(AF_INET6, src, f + l3 + 8);
		inet_pton(AF_INET6, dst, f + l3 + 24);
	} else {
		uint16_t c;

		f[12] = 0x08;
		f[13] = 0x00;
		f[l3] = 0x45;
		tot = (uint16_t)(hl + len4);
		f[l3 + 2] = (uint8_t)(tot >> 8);
		f[l3 + 3] = (uint8_t)tot;
		f[l3 + 8] = 64;
		f[l3 + 9] = (uint8_t)proto;
		inet_pton(AF_INET, src, f + l3 + 12);
		inet_pton(AF_INET, dst, f + l3 + 16);
		c = csum(f + l3, hl);
		memcpy(f + l3 + 10, &c, 2);
	}
	return l4 + len4;
}

static unsigned mpod_ifindex(const struct mctx *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->pods[i].name, name))
			return m->pods[i].ifindex;
	return 0;
}

static int decide(void *ctx, const char *from, const char *from_ip,
		  const char *to, const char *to_ip, enum np_protocol proto,
		  uint16_t port, bool *allowed)
{
	struct mctx *m = ctx;
	unsigned fi = mpod_ifindex(m, from), ti = mpod_ifindex(m, to);
	uint8_t frame[128];
	size_t len;
	int v1 = 2, v2 = 2, err;

	if (!fi || !ti)
		return -ENOENT;
	/* a fresh source port per cell: no cell hits another's conntrack */
	if (++m->sport < 20000)
		m->sport = 20000;
	len = craft(frame, from_ip, to_ip, proto, m->sport, port);
	err = np_datapath_test_packet(m->dp, fi, NP_DIRECTION_EGRESS, frame,
				      len, &v1);
	if (!err && v1 == 0)
		err = np_datapath_test_packet(m->dp, ti, NP_DIRECTION_INGRESS,
					      frame, len, &v2);
	*allowed = !err && v1 == 0 && v2 == 0;
	return err;
}

/*
 * Every cell decided by the kernel: in a private network namespace, one
 * veth per pod carries its programs and its compiled rule set,
 * under a private pin root that is destroyed afterwards.
 */
int tool_matrix_datapath(struct np_cluster *c, const struct np_matrix_opts *mo,
			 enum np_format fmt, char **out, struct np_diag *d)
{
	struct np_matrix_opts o = *mo;
	struct mctx m = { 0 };
	char root[128], *names = NULL, *line, *save = NULL;
	NP_OPTS(np_datapath_opts, dopts, .pin_root = root, .log = dp_log);
	FILE *ip;
	size_t i;
	int err;

	memset(d, 0, sizeof(*d));
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "netpol: matrix --datapath needs root: %s\n",
			strerror(errno));
		return -errno;
	}
	snprintf(root, sizeof(root), "/sys/fs/bpf/netpol-matrix-%d",
		 (int)getpid());
	err = np_cluster_names(c, NP_KIND_POD, &names);
	if (err)
		return err;
	for (line = strtok_r(names, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		m.pods = realloc(m.pods, (m.n + 1) * sizeof(*m.pods));
		if (!m.pods) {
			np_free(names);
			return -ENOMEM;
		}
		snprintf(m.pods[m.n++].name, sizeof(m.pods->name), "%s", line);
	}
	np_free(names);
	ip = popen("ip -batch -", "w");
	if (!ip) {
		free(m.pods);
		return -errno;
	}
	for (i = 0; i < m.n; i++)
		fprintf(ip,
			"link add npm%zu type veth peer name npp%zu\n"
			"link set npm%zu up\nlink set npp%zu up\n",
			i, i, i, i);
	if (pclose(ip)) {
		fprintf(stderr, "netpol: cannot create interfaces (ip)\n");
		free(m.pods);
		return -EIO;
	}
	err = np_datapath_open(&m.dp, &dopts);
	for (i = 0; !err && i < m.n; i++) {
		char ifname[32], ns[256], name[256];
		struct np_ruleset *rs;
		NP_OPTS(np_compile_opts, copts, .source = mo->source);

		snprintf(ifname, sizeof(ifname), "npm%zu", i);
		m.pods[i].ifindex = if_nametoindex(ifname);
		split(m.pods[i].name, ns, sizeof(ns), name, sizeof(name));
		err = np_datapath_attach(m.dp, NULL, m.pods[i].ifindex, ns,
					 name);
		if (!err)
			err = np_ruleset_compile(&rs, c, ns, name, &copts, d);
		if (!err) {
			err = np_datapath_apply(m.dp, m.pods[i].ifindex, rs, d);
			np_ruleset_free(rs);
		}
	}
	if (!err) {
		o.decide = decide;
		o.decide_ctx = &m;
		err = np_cluster_matrix(c, &o, fmt, out, d);
	}
	if (m.dp)
		np_datapath_destroy(m.dp);
	free(m.pods);
	return err;
}
