// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel memory per LPM rule entry and per conntrack entry, measured from
 * the memory cgroup (fdinfo under-reports LPM tries). A child process
 * moves into a fresh memory cgroup (cgroup v2 under /sys/fs/cgroup when
 * its memory controller is there, else the v1 memory hierarchy), so that
 * every map it creates and every element written into one is charged
 * there; it reads the cgroup's kernel memory before and after:
 *
 *   host       host keys (/32 pod peers) live in host_v4, a preallocated
 *              hash: a map with its attributes (read from the pinned map)
 *              is created, its memory taken at creation, divided by its
 *              capacity (what a key costs when the map is full; a node
 *              pays the whole map from load);
 *   lpm        N IPv4 prefix keys (/24s) written by the loader
 *              (np__datapath_apply_mapset) into the real pfx_v4 of a
 *              datapath opened in the child (one length: the per-length
 *              hash);
 *   trie       N prefix keys of 8 lengths (/24 to /31), so the loader
 *              writes them into the real lpm_v4 (the LPM trie);
 *   lpm_eks    the same N entries in the EKS agent's layout (LPM trie,
 *              key 8 bytes, value 288 bytes), one update each; the EKS
 *              agent keeps /32s in the same kind of trie;
 *   ct         a conntrack map with the real ct_v4's attributes (read from
 *              the pinned map: LRU hash, preallocated) and its default
 *              size, NP_CT_DEFAULT_SIZE entries: its memory is taken when
 *              it is created;
 *   ct_eks     the EKS agent's conntrack layout (LRU hash, key 20 bytes,
 *              value 1 byte) of as many entries.
 *
 * Usage: bench_memory [N]   (default 100000). Prints JSON lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bench_util.h"

static unsigned n = 100000; /* LPM entries */
static unsigned nct = NP_CT_DEFAULT_SIZE; /* conntrack: the real size */
static char cg[256];

static bool v2;

static long long read_num(const char *file, const char *key)
{
	char path[512], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = atoll(line);
			break;
		}
		if (!strncmp(line, key, strlen(key)) &&
		    line[strlen(key)] == ' ') {
			v = atoll(line + strlen(key) + 1);
			break;
		}
	}
	fclose(f);
	return v;
}

/* Kernel memory charged to the cgroup, and everything charged. */
static void usage(long long *kernel, long long *total)
{
	if (v2) {
		*kernel = read_num("memory.stat", "kernel");
		*total = read_num("memory.current", NULL);
	} else {
		*kernel = read_num("memory.kmem.usage_in_bytes", NULL);
		*total = read_num("memory.usage_in_bytes", NULL);
	}
}

static void cg_setup(void)
{
	char path[512], line[512];
	FILE *f;

	f = fopen("/sys/fs/cgroup/cgroup.controllers", "r");
	if (f) {
		v2 = fgets(line, sizeof(line), f) && strstr(line, "memory");
		fclose(f);
	}
	if (v2) {
		/* the parent must delegate memory to its children */
		snprintf(path, sizeof(path),
			 "/sys/fs/cgroup/cgroup.subtree_control");
		f = fopen(path, "w");
		if (f) {
			fputs("+memory", f);
			fclose(f);
		}
		snprintf(cg, sizeof(cg), "/sys/fs/cgroup/netpol-bench-%d",
			 (int)getpid());
	} else {
		snprintf(cg, sizeof(cg),
			 "/sys/fs/cgroup/memory/netpol-bench-%d",
			 (int)getpid());
	}
	if (mkdir(cg, 0755))
		bu_die("mkdir %s: %s", cg, strerror(errno));
}

static void cg_join(void)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
		bu_die("joining %s: %s", cg, strerror(errno));
}

static void report(const char *name, const char *what, unsigned cnt,
		   long long k0, long long k1, long long t0, long long t1)
{
	bu_json_begin("memory", name);
	bu_json_str("what", what);
	bu_json_str("cgroup", v2 ? "v2" : "v1");
	bu_json_num("entries", cnt);
	bu_json_num("kernel_bytes", (double)(k1 - k0));
	bu_json_num("total_bytes", (double)(t1 - t0));
	bu_json_num("bytes_per_entry", (double)(k1 - k0) / cnt);
	bu_json_num("total_bytes_per_entry", (double)(t1 - t0) / cnt);
	bu_json_end();
}

static void entries(struct bu_ms *b, bool spread)
{
	static const uint16_t web[] = { 80, 443, 8080 };
	uint8_t a[16];
	uint32_t ps;
	unsigned j;

	bu_ms_init(b, true, false, n, 0, NP_DIRECTION_INGRESS);
	ps = bu_ps_ports(b, 6, web, 3);
	for (j = 0; j < n; j++) {
		/*
		 * distinct /24s, one length: the per-length hash's keys;
		 * spread over /24 to /31, 8 lengths: the trie's
		 */
		a[0] = 11 + (j >> 16);
		a[1] = j >> 8;
		a[2] = j;
		a[3] = 0;
		bu_ms_set(b, 4, NP_DIRECTION_INGRESS, j, a,
			  spread ? 24 + j % 8 : 24, ps);
	}
}

/*
 * Create a map with the attributes of the datapath's pinned map pin (and
 * entries, or its own size when 0), report what its creation charged.
 * Returns its size.
 */
static unsigned like_pinned(const char *pin, unsigned entries, const char *name,
			    const char *what)
{
	LIBBPF_OPTS(bpf_map_create_opts, o);
	struct bpf_map_info info;
	uint32_t ilen = sizeof(info);
	long long k0, k1, t0, t1;
	char path[256];
	int pfd, fd;

	snprintf(path, sizeof(path), "%s/%s", bu_pin_root(), pin);
	pfd = bpf_obj_get(path);
	memset(&info, 0, sizeof(info));
	if (pfd < 0 || bpf_obj_get_info_by_fd(pfd, &info, &ilen))
		bu_die("%s: %s", path, strerror(errno));
	close(pfd);
	o.map_flags = info.map_flags;
	if (!entries)
		entries = info.max_entries;
	usage(&k0, &t0);
	fd = bpf_map_create(info.type, name, info.key_size, info.value_size,
			    entries, &o);
	if (fd < 0)
		bu_die("a map like %s: %s", pin, strerror(-fd));
	usage(&k1, &t1);
	report(name, what, entries, k0, k1, t0, t1); /* fd stays open */
	return entries;
}

static int child(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, np, .map_flags = BPF_F_NO_PREALLOC);
	LIBBPF_OPTS(bpf_map_create_opts, none);
	NP_OPTS(np_mapset_lpm_opts, lo, .layout = NP_LAYOUT_EKS);
	struct np_mapset_lpm_data ld;
	long long k0, k1, t0, t1;
	struct np_datapath *dp;
	struct np_diag d;
	struct bu_ms b;
	unsigned ifx;
	void *keys, *vals;
	size_t ksz, vsz, cnt, i;
	int fd;

	cg_join();
	bu_isolate();
	bu_veths("npm", 1, &ifx);
	dp = bu_open();
	if (bu_attach(dp, ifx))
		bu_die("attach");
	entries(&b, false);

	/* maps stay open: a freed map's memory returns late */
	/* conntrack: the real ct_v4's attributes, its default size */
	like_pinned("ct_v4", nct, "ct_entry",
		    "libnetpol ct_v4 (LRU hash, key 16 B, value 16 B)");
	/* host keys: the real host_v4's attributes, per key of capacity */
	like_pinned("host_v4", 0, "host_entry",
		    "libnetpol host_v4 (hash, preallocated, key 8 B, "
		    "value 8 B), per key of capacity");

	none.map_flags = 0;
	usage(&k0, &t0);
	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "ct_eks", 20, 1, nct, &none);
	if (fd < 0)
		bu_die("EKS conntrack map: %s", strerror(-fd));
	usage(&k1, &t1);
	report("ct_entry_eks", "EKS conntrack (LRU hash, key 20 B, value 1 B)",
	       nct, k0, k1, t0, t1);
	/* libnetpol: the loader writes the real per-length hash */
	usage(&k0, &t0);
	if (np__datapath_apply_mapset(dp, ifx, &b.ms, &d))
		bu_die("apply: %s", d.message);
	usage(&k1, &t1);
	report("lpm_entry",
	       "libnetpol pfx_v4 (hash, key 12 B, value 8 B), prefix keys "
	       "of one length",
	       n, k0, k1, t0, t1);

	/* EKS layout, per-element writes */
	if (np_mapset_lpm(&b.ms, 4, NP_DIRECTION_INGRESS, &lo, &ld))
		bu_die("np_mapset_lpm");
	keys = ld.keys;
	vals = ld.values;
	ksz = ld.key_size;
	vsz = ld.value_size;
	cnt = ld.count;
	usage(&k0, &t0);
	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "eks_lpm", ksz, vsz, n + 1,
			    &np);
	if (fd < 0)
		bu_die("EKS trie: %s", strerror(-fd));
	for (i = 0; i < cnt; i++)
		if (bpf_map_update_elem(fd, (char *)keys + i * ksz,
					(char *)vals + i * vsz, BPF_ANY))
			bu_die("EKS update: %s", strerror(errno));
	usage(&k1, &t1);
	report("lpm_entry_eks", "EKS LPM trie (key 8 B, value 288 B)", n, k0,
	       k1, t0, t1);
	np_free(keys);
	np_free(vals);
	bu_ms_free(&b);

	/* prefix keys of 8 lengths: the real trie (the old set stays) */
	entries(&b, true);
	usage(&k0, &t0);
	if (np__datapath_apply_mapset(dp, ifx, &b.ms, &d))
		bu_die("apply: %s", d.message);
	usage(&k1, &t1);
	report("trie_entry",
	       "libnetpol lpm_v4 (LPM trie, key 12 B, value 8 B), prefix "
	       "keys of 8 lengths",
	       n, k0, k1, t0, t1);
	bu_ms_free(&b);
	return 0;
}

int main(int argc, char **argv)
{
	pid_t pid;
	int st = 1, i;

	if (argc > 1)
		n = (unsigned)atoi(argv[1]);
	cg_setup();
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bu_die("fork: %s", strerror(errno));
	if (!pid)
		exit(child());
	waitpid(pid, &st, 0);
	/* the cgroup goes once the child's charges are gone */
	for (i = 0; i < 50 && rmdir(cg); i++)
		usleep(100000);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
