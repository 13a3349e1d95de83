/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol verdict | matrix: which connections the manifests allow, decided
 * by the compiler or, with matrix --datapath, by the kernel program on
 * crafted packets (in a private network namespace, one veth per pod).
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

#include "main.h"

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
	char fe[1040], te[1040];
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
			if (np_protocol_parse(optarg, &proto))
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
	if (tool_load_args(&c, argc, argv))
		return 2;
	err = np_cluster_verdict(c, from, to, proto, (uint16_t)port, &copts, &v,
				 &d);
	np_cluster_free(c);
	if (err) {
		tool_print_diag(&d);
		return 2;
	}
	/* names escaped; those in v.policies are already */
	from = tool_esc(from, fe, sizeof(fe));
	to = tool_esc(to, te, sizeof(te));
	printf("%s %s -> %s %s/%ld: %s", v.allowed ? "ALLOW" : "DENY", from, to,
	       np_protocol_name(proto), port,
	       tool_name(np_reason_name(v.reason)));
	if (v.reason == NP_REASON_RULE)
		printf(" %s (key %s, slot %d)", v.policies, v.key, v.slot + 1);
	else if (!v.allowed)
		printf(" (%s of %s%s%s)", np_direction_name(v.direction),
		       v.direction == NP_DIRECTION_INGRESS ? to : from,
		       v.key[0] ? ", key " : "", v.key);
	if (!v.allowed && v.policies[0])
		printf(" by %s", v.policies);
	printf(" tier %s\n", tool_name(np_tier_name(v.tier)));
	return v.allowed ? 0 : 1;
usage:
	fputs("usage: netpol verdict FILE... --from NS/POD|IP --to NS/POD|IP "
	      "--port N [--protocol TCP|UDP|SCTP]\n",
	      stderr);
	return 2;
}

/* --- matrix --datapath ---------------------------------------------------- */

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
static int matrix_datapath(struct np_cluster *c,
			   const struct np_matrix_opts *mo, enum np_format fmt,
			   char **out, struct np_diag *d)
{
	struct np_matrix_opts o = *mo;
	struct mctx m = { 0 };
	char root[128], *names = NULL, *line, *save = NULL;
	NP_OPTS(np_datapath_opts, dopts, .pin_root = root, .log = tool_log);
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
		NP_OPTS(np_attach_opts, aopts, .ifindex = 0);

		snprintf(ifname, sizeof(ifname), "npm%zu", i);
		m.pods[i].ifindex = if_nametoindex(ifname);
		tool_split_name(m.pods[i].name, ns, sizeof(ns), name,
				sizeof(name));
		aopts.ifindex = m.pods[i].ifindex;
		aopts.pod_ns = ns;
		aopts.pod_name = name;
		err = np_datapath_attach(m.dp, &aopts, d);
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
				    np_protocol_parse(tok,
						      &protos[mo.nprotocols++]))
					goto usage;
			mo.protocols = protos;
			break;
		case 'f':
			mo.family = atoi(optarg);
			if (mo.family != 4 && mo.family != 6)
				goto usage;
			break;
		case 'o':
			if (tool_parse_format(optarg, &fmt))
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
	if (tool_load_args(&c, argc, argv))
		return 2;
	if (datapath)
		err = matrix_datapath(c, &mo, fmt, &out, &d);
	else
		err = np_cluster_matrix(c, &mo, fmt, &out, &d);
	np_cluster_free(c);
	if (err) {
		if (d.message[0])
			tool_print_diag(&d);
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
