/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol verdict | matrix | explain: which connections the manifests
 * allow and why (np_cluster_attribute()), decided by the compiler or, with
 * --datapath, by the kernel program on crafted packets (in a private
 * network namespace, one veth per pod); explain holds the live maps of
 * the node's datapath against the manifests.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "main.h"

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

/* --- attribution, shared by verdict and explain --------------------------- */

/* s as a JSON string (np_escape(), JSON), or null. */
static void json_str(const char *s)
{
	char buf[4096];

	if (!s) {
		fputs("null", stdout);
		return;
	}
	np_escape(s, NP_ESCAPE_JSON, buf, sizeof(buf), NULL);
	printf("\"%s\"", buf);
}

/* The attribution's text without its first line (the caller's own). */
static int print_attrib_body(const struct np_attrib *a)
{
	char *text, *nl;
	int err = np_attrib_format(a, NP_FORMAT_TEXT, &text);

	if (err)
		return tool_fail("the attribution", err);
	nl = strchr(text, '\n');
	if (nl)
		fputs(nl + 1, stdout);
	np_free(text);
	return 0;
}

/*
 * The attribution document with more keys first: its text after the
 * opening of the top-level mapping ("{\n" in JSON, nothing in YAML).
 */
static int print_attrib_doc(const struct np_attrib *a, enum np_format fmt,
			    const char *more)
{
	char *doc;
	int err = np_attrib_format(a, fmt, &doc);

	if (err)
		return tool_fail("the attribution", err);
	if (fmt == NP_FORMAT_JSON && more) {
		fputs("{\n", stdout);
		fputs(more, stdout);
		fputs(doc + 2, stdout);
	} else {
		if (more)
			fputs(more, stdout);
		fputs(doc, stdout);
	}
	np_free(doc);
	return 0;
}

/* --- verdict --datapath --------------------------------------------------- */

/*
 * The kernel's verdict on the first packet of the attributed connection:
 * in a private network namespace, each end that is a pod gets a veth
 * with its programs and compiled rule set (under a private pin root,
 * destroyed afterwards); a crafted first packet crosses the source's
 * egress hook and the destination's ingress hook. kv[dir]: -1 that side
 * is no pod, 0 accepted (TC_ACT_OK), 1 dropped.
 */
static int verdict_datapath(struct np_cluster *c, const struct np_attrib *a,
			    enum np_protocol proto, uint16_t port,
			    enum np_source src, int kv[2], struct np_diag *d)
{
	static const enum np_direction sides[2] = { NP_DIRECTION_EGRESS,
						    NP_DIRECTION_INGRESS };
	char root[128];
	NP_OPTS(np_datapath_opts, dopts, .pin_root = root, .log = tool_log);
	NP_OPTS(np_compile_opts, copts, .source = src);
	struct np_datapath *dp = NULL;
	struct np_verdict v;
	unsigned int ifi[2] = { 0, 0 };
	uint8_t frame[128];
	size_t len, k;
	FILE *ip;
	int err = 0;

	memset(d, 0, sizeof(*d));
	kv[0] = kv[1] = -1;
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "netpol: verdict --datapath needs root: %s\n",
			strerror(errno));
		return -errno;
	}
	snprintf(root, sizeof(root), "/sys/fs/bpf/netpol-verdict-%d",
		 (int)getpid());
	ip = popen("ip -batch -", "w");
	if (!ip)
		return -errno;
	fputs("link add npv0 type veth peer name npw0\nlink set npv0 up\n"
	      "link set npw0 up\nlink add npv1 type veth peer name npw1\n"
	      "link set npv1 up\nlink set npw1 up\n",
	      ip);
	if (pclose(ip)) {
		fprintf(stderr, "netpol: cannot create interfaces (ip)\n");
		return -EIO;
	}
	err = np_datapath_open(&dp, &dopts);
	for (k = 0; !err && k < 2; k++) {
		NP_OPTS(np_attach_opts, aopts, .ifindex = 0);
		const char *pod = np_attrib_pod(a, sides[k]);
		char ifname[16], ns[256], name[256];
		struct np_ruleset *rs;

		/* only the sides that judge: pods of the snapshot */
		if (np_attrib_verdict(a, sides[k], &v) || !pod ||
		    tool_split_name(pod, ns, sizeof(ns), name, sizeof(name)))
			continue;
		snprintf(ifname, sizeof(ifname), "npv%zu", k);
		ifi[k] = if_nametoindex(ifname);
		aopts.ifindex = ifi[k];
		aopts.pod_ns = ns;
		aopts.pod_name = name;
		err = np_datapath_attach(dp, &aopts, d);
		if (!err)
			err = np_ruleset_compile(&rs, c, ns, name, &copts, d);
		if (!err) {
			err = np_datapath_apply(dp, ifi[k], rs, d);
			np_ruleset_free(rs);
		}
	}
	len = craft(frame, np_attrib_ip(a, NP_DIRECTION_EGRESS),
		    np_attrib_ip(a, NP_DIRECTION_INGRESS), proto, 40000, port);
	for (k = 0; !err && k < 2; k++) {
		int tc = 2;

		if (!ifi[k])
			continue;
		err = np_datapath_test_packet(dp, ifi[k], sides[k], frame, len,
					      &tc);
		kv[sides[k]] = tc != 0;
	}
	if (dp)
		np_datapath_destroy(dp);
	return err;
}

/* "ALLOW", "DENY" or "-" (no pod on that side) of a kernel verdict. */
static const char *kv_name(int kv)
{
	return kv < 0 ? "-" : kv ? "DENY" : "ALLOW";
}

/* --- verdict -------------------------------------------------------------- */

static const char verdict_usage[] =
	"usage: netpol verdict FILE... --from NS/POD|IP --to NS/POD|IP "
	"--port N [--protocol TCP|UDP|SCTP]\n"
	"       [--source policies|endpoints] [-o text|json|yaml] "
	"[--datapath]\n";

/* A port number option: 1..65535, else a message naming it. */
static int parse_port(const char *cmd, const char *s, long min, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > 65535) {
		tool_bad_value("--port", s,
			       min ? "a whole number from 1 to 65535" :
				     "a whole number from 0 to 65535");
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cmd_verdict(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "from", 1, 0, 'f' },	   { "to", 1, 0, 't' },
		{ "port", 1, 0, 'p' },	   { "protocol", 1, 0, 'P' },
		{ "source", 1, 0, 's' },   { "output", 1, 0, 'o' },
		{ "datapath", 0, 0, 'd' }, { 0, 0, 0, 0 }
	};
	NP_OPTS(np_compile_opts, copts);
	NP_OPTS(np_attrib_opts, aopts);
	enum np_protocol proto = NP_PROTOCOL_TCP;
	enum np_format fmt = NP_FORMAT_TEXT;
	const char *from = NULL, *to = NULL;
	char fe[1040], te[1040], more[256];
	struct np_attrib *a = NULL;
	struct np_cluster *c = NULL;
	bool datapath = false, allowed;
	int opt, err, kv[2] = { -1, -1 };
	struct np_verdict v;
	struct np_diag d;
	long port = -1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:t:p:P:s:o:", lo, NULL)) !=
	       -1) {
		switch (opt) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'p':
			if (parse_port("verdict", optarg, 1, &port))
				return 2;
			break;
		case 'P':
			if (np_protocol_parse(optarg, &proto))
				return tool_bad_value("--protocol", optarg,
						      "TCP, UDP or SCTP");
			break;
		case 's':
			if (tool_parse_source(optarg, &copts.source))
				return 2; /* named by tool_parse_source() */
			break;
		case 'o':
			if (tool_parse_format(optarg, &fmt))
				return tool_bad_value("-o", optarg,
						      "text, json or yaml");
			break;
		case 'd':
			datapath = true;
			break;
		default:
			goto usage;
		}
	}
	if (!from || !to || port < 0)
		goto usage;
	if (tool_load_args(&c, argc, argv))
		return 2;
	aopts.source = copts.source;
	err = np_cluster_attribute(&a, c, from, to, proto, (uint16_t)port,
				   &aopts, &d);
	if (!err && fmt == NP_FORMAT_TEXT)
		err = np_cluster_verdict(c, from, to, proto, (uint16_t)port,
					 &copts, &v, &d);
	if (!err && datapath)
		err = verdict_datapath(c, a, proto, (uint16_t)port,
				       copts.source, kv, &d);
	np_cluster_free(c);
	if (err) {
		if (d.message[0])
			tool_print_diag(&d);
		else
			fprintf(stderr, "netpol: verdict: %s\n",
				np_strerror(err));
		np_attrib_free(a);
		return 2;
	}
	allowed = np_attrib_allowed(a);
	if (datapath)
		allowed = kv[0] < 1 && kv[1] < 1;
	if (fmt != NP_FORMAT_TEXT) {
		if (!datapath)
			more[0] = '\0';
		else if (fmt == NP_FORMAT_JSON)
			snprintf(more, sizeof(more),
				 "  \"datapath\": {\n    \"allowed\": %s,\n"
				 "    \"egress\": %s,\n    \"ingress\": %s,\n"
				 "    \"agrees\": %s\n  },\n",
				 allowed ? "true" : "false",
				 kv[1] < 0 ? "null" :
				 kv[1]	   ? "false" :
					     "true",
				 kv[0] < 0 ? "null" :
				 kv[0]	   ? "false" :
					     "true",
				 allowed == np_attrib_allowed(a) ? "true" :
								   "false");
		else
			snprintf(more, sizeof(more),
				 "datapath:\n  allowed: %s\n  egress: %s\n"
				 "  ingress: %s\n  agrees: %s\n",
				 allowed ? "true" : "false",
				 kv[1] < 0 ? "null" :
				 kv[1]	   ? "false" :
					     "true",
				 kv[0] < 0 ? "null" :
				 kv[0]	   ? "false" :
					     "true",
				 allowed == np_attrib_allowed(a) ? "true" :
								   "false");
		err = print_attrib_doc(a, fmt, more[0] ? more : NULL);
		np_attrib_free(a);
		return err ? 2 : allowed ? 0 : 1;
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
	if (print_attrib_body(a)) {
		np_attrib_free(a);
		return 2;
	}
	if (datapath)
		printf("  kernel: %s (egress %s, ingress %s): %s the "
		       "manifests\n",
		       allowed ? "ALLOW" : "DENY", kv_name(kv[1]),
		       kv_name(kv[0]),
		       allowed == np_attrib_allowed(a) ? "agrees with" :
							 "DISAGREES with");
	np_attrib_free(a);
	return allowed ? 0 : 1;
usage:
	fputs(verdict_usage, stderr);
	return 2;
}

/* --- explain -------------------------------------------------------------- */

static const char explain_usage[] =
	"usage: netpol explain --pod NS/NAME|IP|--ifname IF --peer NS/NAME|IP "
	"--port N [--protocol P]\n"
	"       --direction ingress|egress [--source policies|endpoints] "
	"[-o text|json]\n"
	"       [--pin-root DIR] [FILE...]\n";

/* Whether s names a pod ("ns/name") rather than an address. */
static bool is_pod_name(const char *s)
{
	return strchr(s, '/') && !strchr(s, ':') && !strchr(s, '.');
}

/* The kernel's answer and the manifests', as one JSON object. */
static void explain_json(const char *label, unsigned int ifindex,
			 enum np_direction dir, const char *peer,
			 const char *peer_pod, const char *proto, long port,
			 const struct np_datapath_verdict *v,
			 const struct np_datapath_counters *k,
			 const struct np_attrib *a)
{
	char *doc = NULL;

	fputs("{\n  \"pod\": ", stdout);
	json_str(label);
	printf(",\n  \"ifindex\": %u,\n  \"direction\": \"%s\",\n"
	       "  \"peer\": ",
	       ifindex, np_direction_name(dir));
	json_str(peer);
	fputs(",\n  \"peerPod\": ", stdout);
	json_str(peer_pod);
	fputs(",\n  \"protocol\": ", stdout);
	json_str(proto);
	printf(",\n  \"port\": %ld,\n  \"allowed\": %s,\n  \"reason\": ", port,
	       v->allowed ? "true" : "false");
	json_str(tool_name(np_reason_name(v->reason)));
	fputs(",\n  \"state\": ", stdout);
	json_str(tool_name(np_pod_state_name(v->state)));
	if (v->ruleset)
		printf(",\n  \"ruleSet\": %u", v->ruleset);
	else
		fputs(",\n  \"ruleSet\": null", stdout);
	fputs(",\n  \"key\": ", stdout);
	json_str(v->key[0] ? v->key : NULL);
	if (v->key[0])
		printf(",\n  \"portSet\": %u", v->portset);
	else
		fputs(",\n  \"portSet\": null", stdout);
	if (v->slot >= 0)
		printf(",\n  \"slot\": %d", v->slot);
	else
		fputs(",\n  \"slot\": null", stdout);
	fputs(",\n  \"policies\": ", stdout);
	json_str(v->policies);
	fputs(",\n  \"tier\": ", stdout);
	json_str(v->tier != NP_TIER_UNKNOWN ? np_tier_name(v->tier) : NULL);
	if (k)
		printf(",\n  \"counters\": {\"allowedPackets\": %llu, "
		       "\"allowedBytes\": %llu, \"deniedPackets\": %llu, "
		       "\"deniedBytes\": %llu}",
		       (unsigned long long)k->allowed_packets,
		       (unsigned long long)k->allowed_bytes,
		       (unsigned long long)k->denied_packets,
		       (unsigned long long)k->denied_bytes);
	else
		fputs(",\n  \"counters\": null", stdout);
	fputs(",\n  \"attribution\": ", stdout);
	if (a && !np_attrib_format(a, NP_FORMAT_JSON, &doc)) {
		char *line, *save = NULL;
		bool first = true;

		/* nested two more spaces in */
		for (line = strtok_r(doc, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			printf("%s%s", first ? "" : "\n  ", line);
			first = false;
		}
		np_free(doc);
		printf(",\n  \"agrees\": %s\n}\n",
		       np_attrib_allowed(a) == v->allowed ? "true" : "false");
		return;
	}
	fputs("null,\n  \"agrees\": null\n}\n", stdout);
}

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
					    { "output", 1, 0, 'o' },
					    { 0, 0, 0, 0 } };
	NP_OPTS(np_compile_opts, copts);
	NP_OPTS(np_attrib_opts, aopts);
	const char *pod = NULL, *ifname = NULL, *peer = NULL;
	const char *peer_ip = NULL, *peer_pod = NULL, *pod_name = NULL;
	enum np_direction dir = NP_DIRECTION_INGRESS;
	enum np_format fmt = NP_FORMAT_TEXT;
	struct np_datapath_verdict v;
	struct np_ruleset *rs = NULL;
	struct np_cluster *c = NULL;
	struct np_attrib *a = NULL;
	struct dp_args da = { 0 };
	struct pod_list l = { 0 };
	struct np_datapath *dp;
	struct np_diag d;
	uint8_t proto = IPPROTO_TCP;
	long port = -1;
	struct np_datapath_counters k;
	bool have_dir = false, attrib_proto, have_k;
	size_t problems = 0, i;
	char label[1040], pb[8], esc[1040], attrib_err[1040] = "";
	int opt, err, ret = 2;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		int r = dp_option(&da, opt, optarg);

		if (r > 0)
			continue;
		if (r < 0)
			goto usage;
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
			if (parse_port("explain", optarg, 0, &port))
				return 2;
			break;
		case 't':
			if (tool_parse_ip_proto(optarg, &proto))
				return tool_bad_value(
					"--protocol", optarg,
					"TCP, UDP, SCTP, ICMP, "
					"ICMPv6 or a number from 1 "
					"to 255");
			break;
		case 'D':
			if (np_direction_parse(optarg, &dir))
				return tool_bad_value("--direction", optarg,
						      "ingress or egress");
			have_dir = true;
			break;
		case 's':
			if (tool_parse_source(optarg, &copts.source))
				return 2; /* named by tool_parse_source() */
			break;
		case 'o':
			if (tool_parse_format(optarg, &fmt) ||
			    fmt == NP_FORMAT_YAML)
				return tool_bad_value("-o", optarg,
						      "text or json");
			break;
		default:
			goto usage;
		}
	}
	if (!!pod + !!ifname != 1 || !peer || !have_dir || port < 0)
		goto usage;
	if (dp_load_open(argv + optind, argc - optind, dp_open_existing, &da,
			 &c, &problems, &dp))
		return 2;
	err = np_datapath_pod_foreach(dp, pod_list_collect, &l);
	if (err) {
		fprintf(stderr, "netpol: explain: %s\n", np_strerror(err));
		goto out;
	}
	if (ifname) {
		err = pod_list_find(&l, NULL, ifname, 0, &i);
		if (err) {
			fprintf(stderr, "netpol: explain: %s: %s\n",
				tool_esc(ifname, esc, sizeof(esc)),
				err == -ENOENT ? "not attached" :
						 np_strerror(err));
			goto out;
		}
		if (l.ns[i][0]) {
			snprintf(label, sizeof(label), "%s/%s", l.ns[i],
				 l.name[i]);
			pod = label;
		}
	}
	/*
	 * The manifests resolve either end, pod or address, and say why;
	 * the attribution of other protocols (ICMP) only names the ends.
	 */
	attrib_proto = proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
		       proto == IPPROTO_SCTP;
	if (c && pod) {
		aopts.source = copts.source;
		aopts.directions = 1u << dir;
		err = np_cluster_attribute(
			&a, c, dir == NP_DIRECTION_INGRESS ? peer : pod,
			dir == NP_DIRECTION_INGRESS ? pod : peer,
			attrib_proto ? (enum np_protocol)proto :
				       NP_PROTOCOL_TCP,
			(uint16_t)port, &aopts, &d);
		if (err && (!is_pod_name(pod) || is_pod_name(peer))) {
			tool_print_diag(&d);
			goto out;
		}
		/* an address peer: the kernel still answers */
		if (err && fmt == NP_FORMAT_TEXT) {
			char msg[1024];

			np_diag_format(&d, msg, sizeof(msg));
			snprintf(attrib_err, sizeof(attrib_err), "%s",
				 tool_esc(msg, esc, sizeof(esc)));
		}
		if (!err) {
			enum np_direction other = dir == NP_DIRECTION_INGRESS ?
							  NP_DIRECTION_EGRESS :
							  NP_DIRECTION_INGRESS;

			pod_name =
				np_attrib_pod(a, dir == NP_DIRECTION_INGRESS ?
							 NP_DIRECTION_INGRESS :
							 NP_DIRECTION_EGRESS);
			peer_ip = np_attrib_ip(a, other);
			peer_pod = np_attrib_pod(a, other);
			if (!pod_name) {
				fprintf(stderr,
					"netpol: explain: --pod %s: no pod of "
					"the manifests has that address\n",
					tool_esc(pod, esc, sizeof(esc)));
				goto out;
			}
		}
	}
	if (!peer_ip) {
		if (is_pod_name(peer)) {
			fprintf(stderr,
				"netpol: explain: --peer %s: a pod peer needs "
				"the manifests (FILE...) to find its address\n",
				tool_esc(peer, esc, sizeof(esc)));
			goto out;
		}
		peer_ip = peer;
	}
	if (!pod_name && pod && !is_pod_name(pod)) {
		fprintf(stderr,
			"netpol: explain: --pod %s: an address needs the "
			"manifests (FILE...) to find its pod\n",
			tool_esc(pod, esc, sizeof(esc)));
		goto out;
	}
	if (!ifname) {
		err = pod_list_find(&l, pod_name ? pod_name : pod, NULL, 0, &i);
		if (err) {
			fprintf(stderr, "netpol: explain: %s: %s\n",
				tool_esc(pod_name ? pod_name : pod, esc,
					 sizeof(esc)),
				err == -ENOENT ? "not attached" :
						 np_strerror(err));
			goto out;
		}
	}
	pod_list_label(&l, i, label, sizeof(label));
	if (c && l.ns[i][0] &&
	    np_ruleset_compile(&rs, c, l.ns[i], l.name[i], &copts, NULL))
		rs = NULL;
	err = np_datapath_explain(dp, l.v[i].ifindex, dir, peer_ip, proto,
				  (uint16_t)port, rs, &v);
	if (err) {
		fprintf(stderr, "netpol: explain: %s\n", np_strerror(err));
		goto out;
	}
	ret = v.allowed ? 0 : 1;
	have_k = !np_datapath_counters(dp, l.v[i].ifindex, dir, &k);
	if (fmt == NP_FORMAT_JSON) {
		explain_json(label, l.v[i].ifindex, dir, peer_ip, peer_pod,
			     tool_ip_proto_name(proto, pb), port, &v,
			     have_k ? &k : NULL, attrib_proto ? a : NULL);
		goto out;
	}
	printf("%s %s %s %s %s %s/%ld: %s\n", v.allowed ? "ALLOW" : "DENY",
	       label, np_direction_name(dir),
	       dir == NP_DIRECTION_INGRESS ? "from" : "to", peer_ip,
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
	if (have_k)
		printf("  counters %s: allowed %llu packets (%llu bytes), "
		       "denied %llu packets (%llu bytes)\n",
		       np_direction_name(dir),
		       (unsigned long long)k.allowed_packets,
		       (unsigned long long)k.allowed_bytes,
		       (unsigned long long)k.denied_packets,
		       (unsigned long long)k.denied_bytes);
	if (a && attrib_proto) {
		printf("  the manifests: %s\n",
		       np_attrib_allowed(a) == v.allowed ?
			       "the same verdict" :
			       "a DIFFERENT verdict (netpol verify, netpol "
			       "apply)");
		/* the peer and the pod's side, as the manifests say */
		if (print_attrib_body(a))
			ret = 2;
	} else if (attrib_err[0]) {
		printf("  the manifests: %s\n", attrib_err);
	}
out:
	np_attrib_free(a);
	np_ruleset_free(rs);
	pod_list_free(&l);
	np_datapath_close(dp);
	np_cluster_free(c);
	return ret;
usage:
	fputs(explain_usage, stderr);
	return 2;
}
