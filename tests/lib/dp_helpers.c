// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Owns the datapath fixture, crafted frames, hand-built map sets. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <criterion/criterion.h>

#include "dp_helpers.h"
#include "pins.h"

struct dpt T;

static void on_log(void *ctx, enum np_log_level level, const char *msg)
{
	struct dpt_log *l = ctx;

	l->n++;
	snprintf(l->last, sizeof(l->last), "%s", msg);
	if (level <= NP_LOG_WARN) {
		l->nwarn++;
		snprintf(l->last_warn, sizeof(l->last_warn), "%s", msg);
	}
}

void dpt_setup(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	int fd;

	memset(&T, 0, sizeof(T));
	npt_cleanup_stale();
	/* one tiny map: is bpf() allowed here at all? */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "npt_probe", 4, 4, 1, &mo);
	if (fd < 0 && (fd == -EPERM || fd == -EACCES))
		cr_skip_test("bpf() refused (%s): run as root", strerror(-fd));
	cr_assert(fd >= 0, "bpf(BPF_MAP_CREATE): %s", strerror(-fd));
	close(fd);
	if (npt_node_isolate()) {
		if (errno == EPERM)
			cr_skip_test("network namespaces refused: run as root");
		cr_assert_fail("setting up the node netns: %s",
			       strerror(errno));
	}
	snprintf(T.pin_root, sizeof(T.pin_root), "/sys/fs/bpf/netpol-test-%d",
		 (int)getpid());
}

void dpt_teardown(void)
{
	int i;

	if (T.dp)
		np_datapath_destroy(T.dp);
	T.dp = NULL;
	for (i = 0; i < T.npods; i++)
		npt_pod_destroy(&T.pods[i]);
	T.npods = 0;
	if (*T.pin_root)
		npt_rm_pins(T.pin_root);
}

struct np_datapath *dpt_open(enum np_mode mode, bool events,
			     const char *const *node_ips, size_t n)
{
	NP_OPTS(np_datapath_opts, o, .pin_root = T.pin_root, .mode = mode,
		.events = events, .log = on_log, .log_ctx = &T.log,
		.node_ips = node_ips, .n_node_ips = n);
	int err;

	cr_assert_null(T.dp, "a datapath is open already");
	err = np_datapath_open(&T.dp, &o);
	cr_assert_eq(err, 0, "np_datapath_open: %s (last log: %s)",
		     strerror(-err), T.log.last);
	return T.dp;
}

void dpt_close(void)
{
	np_datapath_close(T.dp);
	T.dp = NULL;
}

struct npt_pod *dpt_pod(const char *tag, const char *ip4, const char *ip6)
{
	struct npt_pod *p;

	cr_assert_lt(T.npods, DPT_MAX_PODS);
	p = &T.pods[T.npods];
	cr_assert_eq(npt_pod_create(p, tag, ip4, ip6), 0, "pod %s", tag);
	T.npods++;
	return p;
}

/* --- frames --------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static size_t l4_build(uint8_t *p, const struct pktspec *s)
{
	size_t n = 0;

	if (s->no_l4)
		return 0;
	switch (s->proto) {
	case IPPROTO_TCP:
		memset(p, 0, 20);
		put16(p, s->sport);
		put16(p + 2, s->dport);
		p[12] = 5 << 4;
		p[13] = s->tcp_flags ? s->tcp_flags : TCPF_SYN;
		return 20;
	case IPPROTO_UDP:
		memset(p, 0, 8);
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put16(p + 4, 8);
		return 8;
	case IPPROTO_SCTP:
		memset(p, 0, 12);
		put16(p, s->sport);
		put16(p + 2, s->dport);
		return 12;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		memset(p, 0, 8);
		p[0] = s->icmp_type;
		put16(p + 4, s->icmp_id);
		n = 8;
		if (s->inner) {
			memcpy(p + 8, s->inner, s->inner_len);
			n += s->inner_len;
		}
		return n;
	}
	memset(p, 0, 8); /* some payload */
	return 8;
}

size_t pkt_build(uint8_t *buf, size_t cap, const struct pktspec *s)
{
	uint8_t *ip = buf + 14, *p;
	size_t l4, hl;
	int fam = s->family ? s->family : 4;
	uint8_t proto = s->proto;

	cr_assert_geq(cap, 1024);
	memset(buf, 0, 14);
	memcpy(buf, "\x02\0\0\0\0\x01", 6);
	memcpy(buf + 6, "\x02\0\0\0\0\x02", 6);
	put16(buf + 12, s->ethertype ? s->ethertype :
			fam == 4     ? 0x0800 :
				       0x86dd);
	if (s->ethertype == 0x0806) {
		memset(buf + 14, 0, 28);
		return 14 + 28;
	}
	if (fam == 4) {
		int ihl = s->ihl ? s->ihl : 5;

		hl = ihl >= 5 ? ihl * 4 : 20;
		memset(ip, 1, hl); /* options: NOPs */
		ip[0] = 0x40 | (ihl & 0xf);
		ip[1] = 0;
		put16(ip + 4, s->frag_id);
		put16(ip + 6, s->frag);
		ip[8] = 64;
		ip[9] = proto;
		put16(ip + 10, 0);
		cr_assert_eq(inet_pton(AF_INET, s->src, ip + 12), 1, "%s",
			     s->src);
		cr_assert_eq(inet_pton(AF_INET, s->dst, ip + 16), 1, "%s",
			     s->dst);
		l4 = l4_build(ip + hl, s);
		put16(ip + 2, hl + l4);
		return 14 + hl + l4;
	}
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[7] = 64;
	cr_assert_eq(inet_pton(AF_INET6, s->src, ip + 8), 1, "%s", s->src);
	cr_assert_eq(inet_pton(AF_INET6, s->dst, ip + 24), 1, "%s", s->dst);
	p = ip + 40;
	{
		uint8_t *nh = ip + 6;
		int i;

		for (i = 0; i < s->v6_ext; i++) {
			*nh = 60; /* destination options, 8 bytes */
			memset(p, 0, 8);
			p[1] = 0;
			p[2] = 1; /* PadN */
			p[3] = 4;
			nh = p;
			p += 8;
		}
		if (s->v6_frag) {
			*nh = 44;
			memset(p, 0, 8);
			put16(p + 2, s->frag);
			put32(p + 4, s->frag_id);
			nh = p;
			p += 8;
		}
		*nh = proto;
	}
	l4 = (s->v6_frag && (s->frag & 0xfff8)) ? 8 : l4_build(p, s);
	if (s->v6_frag && (s->frag & 0xfff8))
		memset(p, 0xab, 8); /* middle of a datagram */
	p += l4;
	put16(ip + 4, p - ip - 40);
	return p - buf;
}

int dpt_verdict(unsigned int ifindex, enum np_direction dir,
		const struct pktspec *s)
{
	static uint16_t next_sport = 20000;
	struct pktspec c = *s;
	uint8_t buf[2048];
	size_t len;
	int v = -1, err;

	/* a fresh source port unless given: no conntrack entry applies */
	if (!c.sport)
		c.sport = next_sport++;
	len = pkt_build(buf, sizeof(buf), &c);

	err = np_datapath_test_packet(T.dp, ifindex, dir, buf, len, &v);
	cr_assert_eq(err, 0, "test_packet: %s", strerror(-err));
	return v;
}

/* --- map sets ------------------------------------------------------------ */

void msb_init(struct msb *b, bool iso_ingress, bool iso_egress)
{
	int f, d;

	memset(b, 0, sizeof(*b));
	for (f = 0; f < 2; f++)
		for (d = 0; d < 2; d++)
			b->ms.ent[f][d] = b->ent[f][d];
	b->ms.isolated[NP_DIR_INGRESS] = iso_ingress;
	b->ms.isolated[NP_DIR_EGRESS] = iso_egress;
	b->ms.portsets = b->ps;
}

uint32_t msb_ps(struct msb *b, uint8_t flags, const uint16_t (*slots)[3],
		size_t n)
{
	struct np_portset *ps;
	size_t i;

	cr_assert_lt(b->ms.nportsets, MSB_MAX);
	cr_assert_leq(n, NP_MAX_SLOTS);
	ps = &b->ps[b->ms.nportsets];
	memset(ps, 0, sizeof(*ps));
	ps->flags = flags;
	ps->count = n;
	for (i = 0; i < n; i++) {
		ps->slots[i].lo = (uint32_t)slots[i][0] << 16 | slots[i][1];
		ps->slots[i].hi = (uint32_t)slots[i][0] << 16 | slots[i][2];
	}
	return b->ms.nportsets++;
}

void msb_add(struct msb *b, enum np_direction dir, const char *cidr,
	     uint32_t ps)
{
	char addr[64];
	const char *slash = strchr(cidr, '/');
	struct np_map_entry *e;
	int fam, bits, i;

	cr_assert_not_null(slash);
	snprintf(addr, sizeof(addr), "%.*s", (int)(slash - cidr), cidr);
	fam = strchr(addr, ':') ? 1 : 0;
	cr_assert_lt(b->ms.nent[fam][dir], MSB_MAX);
	e = &b->ent[fam][dir][b->ms.nent[fam][dir]++];
	memset(e, 0, sizeof(*e));
	e->cidr.family = fam ? 6 : 4;
	e->cidr.len = atoi(slash + 1);
	cr_assert_eq(inet_pton(fam ? AF_INET6 : AF_INET, addr, e->cidr.addr), 1,
		     "%s", cidr);
	bits = e->cidr.len;
	for (i = bits; i < (fam ? 128 : 32); i++)
		e->cidr.addr[i / 8] &= ~(0x80 >> (i % 8));
	e->portset = ps;
}

int dpt_attach(struct np_datapath *dp, const char *ifname, unsigned int ifindex,
	       const char *ns, const char *name)
{
	NP_OPTS(np_attach_opts, o, .ifname = ifname, .ifindex = ifindex,
		.pod_ns = ns, .pod_name = name, .hook = T.hook);

	return np_datapath_attach(dp, &o, NULL);
}

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

unsigned int dpt_tcx_progs(unsigned int ifindex, bool egress)
{
	uint32_t cnt = 0, flags = 0;

	if (bpf_prog_query((int)ifindex,
			   egress ? BPF_TCX_EGRESS : BPF_TCX_INGRESS, 0, &flags,
			   NULL, &cnt))
		return 0;
	return cnt;
}

void dpt_unhook(unsigned int ifindex, bool egress)
{
	char path[160], name[IF_NAMESIZE];
	const char *hook = egress ? "egress" : "ingress";

	snprintf(path, sizeof(path), "%s/link_%u_%s", T.pin_root, ifindex,
		 hook);
	if (!access(path, F_OK)) {
		unsigned int n = dpt_tcx_progs(ifindex, egress);
		int i;

		cr_assert_eq(unlink(path), 0, "%s: %s", path, strerror(errno));
		/* the kernel releases an unpinned link a little later */
		for (i = 0; i < 200 && dpt_tcx_progs(ifindex, egress) >= n; i++)
			usleep(10000);
		cr_assert_lt(dpt_tcx_progs(ifindex, egress), n,
			     "%s: the link stays", path);
		return;
	}
	cr_assert_not_null(if_indextoname(ifindex, name));
	cr_assert_eq(npt_sh("tc filter del dev %s %s", name, hook), 0);
}

int dpt_apply(unsigned int ifindex, struct msb *b, struct np_diag *diag)
{
	struct np_diag d;

	return np__datapath_apply_mapset(T.dp, ifindex, &b->ms,
					 diag ? diag : &d);
}

void dpt_workdir(char *dir, size_t size, const char *tag)
{
	snprintf(dir, size, "/tmp/netpol-%s-%d", tag, (int)getpid());
	mkdir(dir, 0700);
}

void dpt_workdir_rm(char *dir)
{
	char cmd[256];

	if (!dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cleanup of %s failed\n", dir);
	dir[0] = '\0';
}

const char *dpt_tool(void)
{
	const char *t = getenv("NETPOL");

	if (!t || access(t, X_OK))
		cr_skip_test("NETPOL does not name the netpol tool");
	return t;
}

int dpt_run_sh(char *out, size_t size, const char *fmt, ...)
{
	char cmd[2048];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (n + 1 < size) {
		size_t r = fread(out + n, 1, size - n - 1, p);

		if (!r)
			break;
		n += r;
	}
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void dpt_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void dpt_wait_events_on(void)
{
	struct np_datapath_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		cr_assert_eq(np_datapath_stats(T.dp, &st), 0);
		if (st.events_on)
			return;
		dpt_sleep_ms(10);
	}
	cr_assert_fail("netpol flows did not switch events on");
}

void dpt_tool_stop(pid_t pid, const char *what)
{
	int st, i;

	kill(pid, SIGTERM);
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0,
				  "netpol %s exited with %d", what, st);
			return;
		}
		dpt_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	cr_assert_fail("netpol %s did not stop on SIGTERM", what);
}
