// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "pins.h"

static char pin_root[64];
static struct np_datapath *the_dp;
static pid_t owner;

double bu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void bu_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_d);
}

double bu_min(double *v, size_t n)
{
	bu_sort(v, n);
	return n ? v[0] : 0;
}

/* Nearest rank. */
double bu_pct(double *v, size_t n, double p)
{
	size_t r;

	if (!n)
		return 0;
	bu_sort(v, n);
	r = (size_t)(p / 100.0 * n + 0.999999);
	if (r < 1)
		r = 1;
	if (r > n)
		r = n;
	return v[r - 1];
}

void bu_destroy(void)
{
	if (getpid() != owner)
		return;
	if (the_dp)
		np_datapath_destroy(the_dp);
	the_dp = NULL;
	if (*pin_root)
		npt_rm_pins(pin_root);
}

static void on_signal(int sig)
{
	bu_destroy();
	signal(sig, SIG_DFL);
	raise(sig);
}

void bu_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	bu_destroy();
	exit(1);
}

int bu_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

void bu_isolate(void)
{
	owner = getpid();
	if (unshare(CLONE_NEWNET))
		bu_die("unshare(CLONE_NEWNET): %s (run as root)",
		       strerror(errno));
	if (bu_sh("ip link set lo up"))
		bu_die("ip link set lo up");
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/netpol-bench-%d",
		 (int)getpid());
	atexit(bu_destroy);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}

const char *bu_pin_root(void)
{
	return pin_root;
}

static void on_log(void *ctx, enum np_log_level level, const char *msg)
{
	(void)ctx;
	if (level <= NP_LOG_WARN)
		fprintf(stderr, "libnetpol: %s\n", msg);
}

struct np_datapath *bu_open(void)
{
	NP_OPTS(np_datapath_opts, o, .pin_root = pin_root,
		.mode = NP_MODE_STANDARD, .log = on_log);
	int err;

	if (the_dp)
		bu_die("datapath open already");
	err = np_datapath_open(&the_dp, &o);
	if (err)
		bu_die("np_datapath_open: %s", strerror(-err));
	return the_dp;
}

int bu_attach(struct np_datapath *dp, unsigned ifindex)
{
	NP_OPTS(np_attach_opts, o, .ifindex = ifindex, .pod_ns = "bench",
		.pod_name = "pod");

	return np_datapath_attach(dp, &o, NULL);
}

void bu_veths(const char *prefix, unsigned n, unsigned *ifx)
{
	char path[] = "/tmp/netpol-bench-ipXXXXXX";
	char name[IF_NAMESIZE];
	unsigned i;
	FILE *f;
	int fd = mkstemp(path);

	if (fd < 0 || !(f = fdopen(fd, "w")))
		bu_die("mkstemp: %s", strerror(errno));
	for (i = 0; i < n; i++)
		fprintf(f, "link add %s%u type veth peer name %sp%u\n", prefix,
			i, prefix, i);
	for (i = 0; i < n; i++)
		fprintf(f, "link set %s%u up\nlink set %sp%u up\n", prefix, i,
			prefix, i);
	fclose(f);
	if (bu_sh("ip -batch %s", path)) {
		unlink(path);
		bu_die("ip -batch: creating %u veth pairs", n);
	}
	unlink(path);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%u", prefix, i);
		ifx[i] = if_nametoindex(name);
		if (!ifx[i])
			bu_die("%s: no such interface", name);
	}
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

size_t bu_frame(uint8_t *buf, int fam, const uint8_t *src, const uint8_t *dst,
		uint16_t sport, uint16_t dport, uint8_t flags)
{
	uint8_t *ip = buf + 14, *tcp;
	size_t hl = fam == 4 ? 20 : 40;

	memset(buf, 0, 14 + hl + 20);
	memcpy(buf, "\x02\0\0\0\0\x01", 6);
	memcpy(buf + 6, "\x02\0\0\0\0\x02", 6);
	put16(buf + 12, fam == 4 ? 0x0800 : 0x86dd);
	if (fam == 4) {
		ip[0] = 0x45;
		put16(ip + 2, 40);
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
	} else {
		ip[0] = 0x60;
		put16(ip + 4, 20);
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	}
	tcp = ip + hl;
	put16(tcp, sport);
	put16(tcp + 2, dport);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	return 14 + hl + 20;
}

void bu_ms_init(struct bu_ms *b, bool iso_ingress, bool iso_egress, size_t n4,
		size_t n6, enum np_direction dir)
{
	memset(b, 0, sizeof(*b));
	b->ms.isolated[NP_DIR_INGRESS] = iso_ingress;
	b->ms.isolated[NP_DIR_EGRESS] = iso_egress;
	b->ms.portsets = b->ps;
	b->ms.nent[0][dir] = n4;
	b->ms.nent[1][dir] = n6;
	b->ms.ent[0][dir] = calloc(n4 ? n4 : 1, sizeof(struct np_map_entry));
	b->ms.ent[1][dir] = calloc(n6 ? n6 : 1, sizeof(struct np_map_entry));
	if (!b->ms.ent[0][dir] || !b->ms.ent[1][dir])
		bu_die("out of memory");
}

void bu_ms_free(struct bu_ms *b)
{
	int f, d;

	for (f = 0; f < 2; f++)
		for (d = 0; d < 2; d++)
			free(b->ms.ent[f][d]);
	memset(b, 0, sizeof(*b));
}

uint32_t bu_ps_ports(struct bu_ms *b, uint8_t proto, const uint16_t *ports,
		     size_t n)
{
	struct np_portset *ps = &b->ps[b->ms.nportsets];
	size_t i;

	if (b->ms.nportsets >= 8 || n > NP_MAX_SLOTS)
		bu_die("port sets");
	memset(ps, 0, sizeof(*ps));
	ps->count = n;
	for (i = 0; i < n; i++) {
		ps->slots[i].lo = (uint32_t)proto << 16 | ports[i];
		ps->slots[i].hi = (uint32_t)proto << 16 | ports[i];
	}
	return b->ms.nportsets++;
}

uint32_t bu_ps_all(struct bu_ms *b)
{
	struct np_portset *ps = &b->ps[b->ms.nportsets];

	memset(ps, 0, sizeof(*ps));
	ps->flags = NP_PS_ALL;
	return b->ms.nportsets++;
}

void bu_ms_set(struct bu_ms *b, int fam, enum np_direction dir, size_t i,
	       const uint8_t *addr, unsigned plen, uint32_t ps)
{
	int f = fam == 6;
	struct np_map_entry *e = &b->ms.ent[f][dir][i];
	unsigned k;

	memset(e, 0, sizeof(*e));
	e->cidr.family = fam;
	e->cidr.len = plen;
	memcpy(e->cidr.addr, addr, f ? 16 : 4);
	for (k = plen; k < (f ? 128u : 32u); k++)
		e->cidr.addr[k / 8] &= ~(0x80 >> (k % 8));
	e->portset = ps;
}

void bu_peer(int fam, uint32_t i, uint8_t *out)
{
	if (fam == 4) {
		out[0] = 10;
		out[1] = i >> 16;
		out[2] = i >> 8;
		out[3] = i;
		return;
	}
	memset(out, 0, 16);
	out[0] = 0xfd;
	out[2] = 0x00;
	out[3] = 0x10;
	out[12] = i >> 24;
	out[13] = i >> 16;
	out[14] = i >> 8;
	out[15] = i;
}

static int json_n;

void bu_json_begin(const char *bench, const char *name)
{
	json_n = 0;
	printf("{");
	bu_json_str("bench", bench);
	bu_json_str("name", name);
}

void bu_json_num(const char *key, double v)
{
	/* JSON has no inf or nan: a figure that is not one is null */
	if (v != v || v > 1e308 || v < -1e308)
		printf("%s\"%s\": null", json_n++ ? ", " : "", key);
	else
		printf("%s\"%s\": %.6g", json_n++ ? ", " : "", key, v);
}

void bu_json_str(const char *key, const char *v)
{
	printf("%s\"%s\": \"%s\"", json_n++ ? ", " : "", key, v);
}

void bu_json_end(void)
{
	printf("}\n");
	fflush(stdout);
}
