/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Loading: bpffs, the pin layout, loading bpf/netpol.bpf.c from the
 * embedded skeleton and pinning it, opening the pins (checked against the
 * map table), the programs' clock (jiffies and HZ, through np_tc_clock)
 * and the runtime settings in the mmaped .bss; the two maps userspace makes
 * itself: netns (the network namespace the datapath belongs to, checked at
 * every open) and ifids (what each attached interface was). The only file
 * that includes the skeleton.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_internal.h"
#include "netpol.skel.h"

_Static_assert(sizeof(((struct netpol_bpf *)0)->bss->np_rt) ==
		       sizeof(struct np_dp_runtime),
	       "bss layout");
_Static_assert(sizeof(*((struct netpol_bpf *)0)->bss) ==
		       sizeof(struct np_dp_runtime),
	       "bss holds only np_rt");

const struct mapdesc np__maps[M__N] = {
	[M_ENDPOINTS] = { "endpoints", BPF_MAP_TYPE_HASH, 4,
			  sizeof(struct np_ep_rec) },
	[M_LPM4] = { "lpm_v4", BPF_MAP_TYPE_LPM_TRIE,
		     sizeof(struct np_lpm_key_v4),
		     sizeof(struct np_lpm_value) },
	[M_LPM6] = { "lpm_v6", BPF_MAP_TYPE_LPM_TRIE,
		     sizeof(struct np_lpm_key_v6),
		     sizeof(struct np_lpm_value) },
	[M_EPA] = { "ep_cache", BPF_MAP_TYPE_ARRAY, 4,
		    sizeof(struct np_ep_rec) },
	[M_HOST4] = { "host_v4", BPF_MAP_TYPE_HASH,
		      sizeof(struct np_host_key_v4),
		      sizeof(struct np_lpm_value) },
	[M_HOST6] = { "host_v6", BPF_MAP_TYPE_HASH,
		      sizeof(struct np_host_key_v6),
		      sizeof(struct np_lpm_value) },
	[M_PORTSETS] = { "portsets", BPF_MAP_TYPE_ARRAY, 4,
			 sizeof(struct np_portset) },
	[M_COUNTERS] = { "counters", BPF_MAP_TYPE_PERCPU_ARRAY, 4,
			 sizeof(struct np_counters) },
	[M_CT4] = { "ct_v4", BPF_MAP_TYPE_LRU_HASH, sizeof(struct np_ct_key_v4),
		    sizeof(struct np_ct_value) },
	[M_CT6] = { "ct_v6", BPF_MAP_TYPE_LRU_HASH, sizeof(struct np_ct_key_v6),
		    sizeof(struct np_ct_value) },
	[M_FRAGS] = { "frags", BPF_MAP_TYPE_LRU_HASH,
		      sizeof(struct np_frag_key),
		      sizeof(struct np_frag_value) },
	[M_EVENTS] = { "events", BPF_MAP_TYPE_RINGBUF, 0, 0 },
	[M_PODS] = { "pods", BPF_MAP_TYPE_HASH, 4,
		     sizeof(struct np_pod_value) },
	[M_RULESETS] = { "rulesets", BPF_MAP_TYPE_HASH, 4,
			 sizeof(struct np_ruleset_value) },
	[M_BSS] = { "bss", BPF_MAP_TYPE_ARRAY, 4,
		    sizeof(struct np_dp_runtime) },
	[M_STATS] = { "stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(uint64_t) },
	[M_PFX4] = { "pfx_v4", BPF_MAP_TYPE_HASH, sizeof(struct np_lpm_key_v4),
		     sizeof(struct np_lpm_value) },
	[M_PFX6] = { "pfx_v6", BPF_MAP_TYPE_HASH, sizeof(struct np_lpm_key_v6),
		     sizeof(struct np_lpm_value) },
	[M_PLENS] = { "rs_plens", BPF_MAP_TYPE_ARRAY, 4,
		      sizeof(struct np_rs_plens) },
	[M_RCTRS] = { "rule_ctrs", BPF_MAP_TYPE_PERCPU_HASH,
		      sizeof(struct np_rule_ctr_key),
		      sizeof(struct np_counters) },
	[M_NETNS] = { "netns", BPF_MAP_TYPE_ARRAY, 4,
		      sizeof(struct np_netns_rec) },
	[M_IFID] = { "ifids", BPF_MAP_TYPE_HASH, 4, sizeof(struct np_ifid) },
};

/* The last one is pinned last: its pin says the load completed. */
static const char *const prog_pins[NPROGS] = {
	[NP_DIR_INGRESS] = "prog_ingress",
	[NP_DIR_EGRESS] = "prog_egress",
	[P_EPA] = "prog_epa",
	[P_CLOCK] = "prog_clock",
};

static int pin_path(char *buf, size_t size, const char *root, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", root, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* mkdir -p; *made: how many trailing components it created. */
int np__mkdir_p(const char *path, int *made)
{
	char tmp[PATH_MAX];
	size_t i, len = strlen(path);

	*made = 0;
	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (!mkdir(tmp, 0700))
			(*made)++;
		else if (errno != EEXIST)
			return -errno;
		tmp[i] = path[i];
	}
	return 0;
}

/* Undo np__mkdir_p(): remove the made trailing components, if empty. */
void np__rmdir_made(const char *path, int made)
{
	char tmp[PATH_MAX];
	char *slash;

	if (strlen(path) >= sizeof(tmp))
		return;
	snprintf(tmp, sizeof(tmp), "%s", path);
	while (made-- > 0) {
		if (rmdir(tmp))
			return;
		slash = strrchr(tmp, '/');
		if (!slash || slash == tmp)
			return;
		*slash = '\0';
	}
}

/*
 * A permission error's hint: the capability the call needs. "" for any
 * other error.
 */
const char *np__cap_hint(int err, const char *cap)
{
	static __thread char buf[96];

	if (err != -EPERM && err != -EACCES)
		return "";
	snprintf(buf, sizeof(buf), " (needs %s)", cap);
	return buf;
}

/* --- libbpf's messages, through the log callback ----------------------- */

static __thread struct np_datapath *print_dp;

static int print_fwd(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	struct np_datapath *dp = print_dp;
	char msg[1024];
	size_t n;

	if (!dp || !dp->log)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	LOG(dp,
	    level == LIBBPF_WARN ? NP_LOG_WARN :
	    level == LIBBPF_INFO ? NP_LOG_INFO :
				   NP_LOG_DEBUG,
	    "libbpf: %s", msg);
	return 0;
}

/*
 * libbpf prints through one process-wide function: while the library
 * calls libbpf for dp, libbpf's messages go to dp's log callback (or
 * nowhere), and the previous function is restored afterwards.
 */
void np__print_begin(struct np_datapath *dp)
{
	if (dp->print_depth++)
		return;
	print_dp = dp;
	dp->print_prev = libbpf_set_print(print_fwd);
}

void np__print_end(struct np_datapath *dp)
{
	if (--dp->print_depth)
		return;
	libbpf_set_print(dp->print_prev);
	print_dp = NULL;
}

int np__ensure_bpffs(struct np_datapath *dp)
{
	size_t n = strlen(NP_BPFFS);
	struct statfs st;

	if (strncmp(dp->pin_root, NP_BPFFS "/", n + 1))
		return 0; /* elsewhere: the caller's business */
	if (!statfs(NP_BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", NP_BPFFS, "bpf", 0, "mode=0700"))
		return -errno;
	LOG(dp, NP_LOG_INFO, "mounted bpffs at %s", NP_BPFFS);
	return 0;
}

void np__unpin_all(struct np_datapath *dp)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int i;

	for (i = 0; i < NPROGS; i++)
		if (!pin_path(path, sizeof(path), dp->pin_root, prog_pins[i]))
			unlink(path);
	for (i = 0; i < M__N; i++)
		if (!pin_path(path, sizeof(path), dp->pin_root,
			      np__maps[i].pin))
			unlink(path);
	/* TCX links of pods no record names any more (dp_tc.c) */
	d = opendir(dp->pin_root);
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "link_", 5) &&
		    !pin_path(path, sizeof(path), dp->pin_root, de->d_name))
			unlink(path);
	if (d)
		closedir(d);
}

/* --- the network namespace ------------------------------------------- */

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The network namespace this process runs in. */
static int netns_self(struct np_netns_rec *r)
{
	socklen_t len = sizeof(r->cookie);
	struct stat st;
	int fd;

	memset(r, 0, sizeof(*r));
	if (stat("/proc/self/ns/net", &st))
		return -errno;
	r->ino = st.st_ino;
	r->dev = st.st_dev;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &r->cookie,
			       &len))
			r->cookie = 0;
		close(fd);
	}
	return 0;
}

/*
 * Refuse to run in another network namespace than the datapath's: the
 * ifindexes in its maps name interfaces of that namespace only.
 */
static int netns_check(struct np_datapath *dp)
{
	struct np_netns_rec rec, self;
	uint32_t k = 0;
	bool same;
	int err;

	err = netns_self(&self);
	if (err)
		return err;
	if (bpf_map_lookup_elem(dp->map_fd[M_NETNS], &k, &rec))
		return -errno;
	if (!rec.ino) {
		LOG(dp, NP_LOG_ERROR,
		    "%s: no network namespace recorded: destroy the datapath",
		    dp->pin_root);
		return -EEXIST;
	}
	same = rec.cookie && self.cookie ?
		       rec.cookie == self.cookie :
		       rec.ino == self.ino && rec.dev == self.dev;
	if (same)
		return 0;
	LOG(dp, NP_LOG_ERROR,
	    "%s belongs to network namespace net:[%llu], this process runs in "
	    "net:[%llu]: refusing (run it in the datapath's network namespace)",
	    dp->pin_root, (unsigned long long)rec.ino,
	    (unsigned long long)self.ino);
	return -EXDEV;
}

/* The maps userspace makes (netns, ifids): made and pinned. */
static int own_maps_pin(struct np_datapath *dp)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	struct np_netns_rec self;
	char path[PATH_MAX];
	uint32_t k = 0;
	int i, fd, err;

	err = netns_self(&self);
	for (i = M__SKEL; i < M__N && !err; i++) {
		fd = bpf_map_create(np__maps[i].type, np__maps[i].pin,
				    np__maps[i].key, np__maps[i].value,
				    i == M_NETNS ? 1 : NP_MAX_ENDPOINTS, &mo);
		if (fd < 0)
			return fd;
		if (i == M_NETNS)
			err = bpf_map_update_elem(fd, &k, &self, BPF_ANY);
		if (!err)
			err = pin_path(path, sizeof(path), dp->pin_root,
				       np__maps[i].pin);
		if (!err)
			err = bpf_obj_pin(fd, path);
		close(fd);
	}
	return err;
}

/* --- the programs' clock ------------------------------------------------ */

/* One run of np_tc_clock: jiffies, or HZ with mark 1. */
static int clock_run(int fd, uint32_t mark, uint32_t *out)
{
	static const unsigned char frame[ETH_HLEN];
	struct __sk_buff ctx = { .mark = mark };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = sizeof(frame), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));
	int err = bpf_prog_test_run_opts(fd, &o);

	if (err)
		return err;
	*out = o.retval;
	return 0;
}

/*
 * HZ when libbpf could not read the kernel config: time two jiffy edges
 * against CLOCK_MONOTONIC (busy, at most ~25 ms at HZ 100) and take the
 * nearest usual value.
 */
static int clock_calibrate(int fd, uint32_t *hz)
{
	static const uint32_t usual[] = { 24,  32,  48,	  64,	100,
					  128, 200, 250,  256,	300,
					  500, 512, 1000, 1024, 1200 };
	uint32_t j0, j, j1 = 0;
	uint64_t t0 = 0, t, start = mono_ns(CLOCK_MONOTONIC);
	double best = 1e300, est;
	size_t i;
	int err, edges = 0;

	err = clock_run(fd, 0, &j0);
	while (!err && edges < 3) {
		if (mono_ns(CLOCK_MONOTONIC) - start > 1000000000ull)
			return -ETIME; /* jiffies do not move */
		err = clock_run(fd, 0, &j);
		if (err || j == j0)
			continue;
		t = mono_ns(CLOCK_MONOTONIC);
		if (++edges == 1) {
			t0 = t;
			j1 = j;
		}
		j0 = j;
	}
	if (err)
		return err;
	est = (double)(j - j1) * 1e9 / (double)(t - t0);
	for (i = 0; i < sizeof(usual) / sizeof(usual[0]); i++) {
		double d = usual[i] > est ? usual[i] - est : est - usual[i];

		if (d < best) {
			best = d;
			*hz = usual[i];
		}
	}
	return 0;
}

/* HZ and the timeouts in jiffies, before anything is attached. */
static int clock_setup(struct np_datapath *dp, int fd, struct np_dp_runtime *rt)
{
	uint32_t hz = 0;
	int err = clock_run(fd, 1, &hz);

	if (!err && !hz) {
		err = clock_calibrate(fd, &hz);
		if (!err)
			LOG(dp, NP_LOG_INFO, "no kernel config: HZ %u measured",
			    hz);
	}
	if (err) {
		LOG(dp, NP_LOG_ERROR, "reading the kernel's clock: %s",
		    strerror(-err));
		return err;
	}
	rt->hz = hz;
	rt->to.tcp_new = NP_TMO_TCP_NEW * hz;
	rt->to.tcp_established = NP_TMO_TCP_ESTABLISHED * hz;
	rt->to.tcp_closing = NP_TMO_TCP_CLOSING * hz;
	rt->to.other = NP_TMO_OTHER * hz;
	rt->to.frag = NP_TMO_FRAG * hz;
	return 0;
}

/* Now on the programs' clock (jiffies, low 32 bits). */
int np__clock_now(const struct np_datapath *dp, uint32_t *now)
{
	return clock_run(dp->prog_fd[P_CLOCK], 0, now);
}

/* Load the programs from the embedded skeleton and pin everything. */
static int load_and_pin(struct np_datapath *dp, uint32_t ct_size)
{
	struct netpol_bpf *skel;
	struct bpf_map *m[M__N];
	struct bpf_program *p[NPROGS];
	char path[PATH_MAX];
	int i, err;

	skel = netpol_bpf__open();
	if (!skel) {
		err = -errno;
		LOG(dp, NP_LOG_ERROR, "opening the BPF object: %s%s",
		    strerror(-err), np__cap_hint(err, "CAP_BPF"));
		return err;
	}
	m[M_ENDPOINTS] = skel->maps.endpoints;
	m[M_EPA] = skel->maps.ep_cache;
	m[M_LPM4] = skel->maps.lpm_v4;
	m[M_LPM6] = skel->maps.lpm_v6;
	m[M_HOST4] = skel->maps.host_v4;
	m[M_HOST6] = skel->maps.host_v6;
	m[M_PORTSETS] = skel->maps.portsets;
	m[M_COUNTERS] = skel->maps.counters;
	m[M_CT4] = skel->maps.ct_v4;
	m[M_CT6] = skel->maps.ct_v6;
	m[M_FRAGS] = skel->maps.frags;
	m[M_EVENTS] = skel->maps.events;
	m[M_PODS] = skel->maps.pods;
	m[M_RULESETS] = skel->maps.rulesets;
	m[M_BSS] = skel->maps.bss;
	m[M_STATS] = skel->maps.stats;
	m[M_PFX4] = skel->maps.pfx_v4;
	m[M_PFX6] = skel->maps.pfx_v6;
	m[M_PLENS] = skel->maps.rs_plens;
	m[M_RCTRS] = skel->maps.rule_ctrs;
	p[NP_DIR_INGRESS] = skel->progs.np_tc_ingress_pod;
	p[NP_DIR_EGRESS] = skel->progs.np_tc_egress_pod;
	p[P_EPA] = skel->progs.np_epa_set;
	p[P_CLOCK] = skel->progs.np_tc_clock;

	if (ct_size) {
		err = bpf_map__set_max_entries(skel->maps.ct_v4, ct_size);
		if (!err)
			err = bpf_map__set_max_entries(skel->maps.ct_v6,
						       ct_size);
		if (err)
			goto out;
	}
	err = netpol_bpf__load(skel);
	if (err) {
		LOG(dp, NP_LOG_ERROR, "loading the BPF programs: %s%s",
		    strerror(-err), np__cap_hint(err, "CAP_BPF"));
		goto out;
	}
	for (i = 0; i < M__SKEL && !err; i++) {
		err = pin_path(path, sizeof(path), dp->pin_root,
			       np__maps[i].pin);
		if (!err)
			err = bpf_map__pin(m[i], path);
	}
	if (!err)
		err = own_maps_pin(dp);
	if (err) {
		LOG(dp, NP_LOG_ERROR, "pinning under %s: %s", dp->pin_root,
		    strerror(-err));
		np__unpin_all(dp);
		goto out;
	}
	err = clock_setup(dp, bpf_program__fd(p[P_CLOCK]), &skel->bss->np_rt);
	for (i = 0; i < NPROGS && !err; i++) {
		err = pin_path(path, sizeof(path), dp->pin_root, prog_pins[i]);
		if (!err)
			err = bpf_program__pin(p[i], path);
	}
	if (err) {
		LOG(dp, NP_LOG_ERROR, "pinning under %s: %s", dp->pin_root,
		    strerror(-err));
		np__unpin_all(dp);
		goto out;
	}
	LOG(dp, NP_LOG_INFO, "datapath loaded and pinned under %s",
	    dp->pin_root);
out:
	netpol_bpf__destroy(skel);
	return err;
}

static int open_pinned(struct np_datapath *dp)
{
	char path[PATH_MAX];
	int i, err;

	for (i = 0; i < NPROGS; i++) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);

		err = pin_path(path, sizeof(path), dp->pin_root, prog_pins[i]);
		if (err)
			return err;
		dp->prog_fd[i] = bpf_obj_get(path);
		if (dp->prog_fd[i] < 0)
			return -errno;
		memset(&info, 0, sizeof(info));
		err = bpf_obj_get_info_by_fd(dp->prog_fd[i], &info, &len);
		if (err)
			return err;
		if (info.type != (i == P_EPA ? BPF_PROG_TYPE_SYSCALL :
					       BPF_PROG_TYPE_SCHED_CLS)) {
			LOG(dp, NP_LOG_ERROR, "%s is not our program", path);
			return -EEXIST;
		}
		dp->prog_id[i] = info.id;
	}
	for (i = 0; i < M__N; i++) {
		struct bpf_map_info info;
		uint32_t len = sizeof(info);

		err = pin_path(path, sizeof(path), dp->pin_root,
			       np__maps[i].pin);
		if (err)
			return err;
		dp->map_fd[i] = bpf_obj_get(path);
		if (dp->map_fd[i] < 0) {
			err = -errno;
			LOG(dp, NP_LOG_ERROR, "%s: %s", path, strerror(errno));
			return err == -ENOENT ? -EEXIST : err;
		}
		memset(&info, 0, sizeof(info));
		err = bpf_obj_get_info_by_fd(dp->map_fd[i], &info, &len);
		if (err)
			return err;
		if (info.type != np__maps[i].type ||
		    info.key_size != np__maps[i].key ||
		    info.value_size != np__maps[i].value) {
			LOG(dp, NP_LOG_ERROR,
			    "%s does not match this "
			    "library's layout: destroy the datapath first",
			    path);
			return -EEXIST;
		}
		if (i == M_BSS)
			dp->rt_len = info.value_size;
	}
	return 0;
}

static int map_runtime(struct np_datapath *dp)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p;

	dp->rt_len = (dp->rt_len + pg - 1) / pg * pg;
	p = mmap(NULL, dp->rt_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 dp->map_fd[M_BSS], 0);
	if (p == MAP_FAILED)
		return -errno;
	dp->rt = p;
	if (!dp->rt->hz) {
		LOG(dp, NP_LOG_ERROR, "%s: no clock rate: destroy the datapath",
		    dp->pin_root);
		return -EEXIST;
	}
	return 0;
}

/*
 * Make the pinned datapath usable through dp: load and pin it unless a
 * completed load is there (what an interrupted one left is removed first),
 * open the pins, map the runtime settings. With the lock held.
 */
int np__dp_load(struct np_datapath *dp, uint32_t ct_size, bool existing)
{
	char path[PATH_MAX];
	int err;

	err = pin_path(path, sizeof(path), dp->pin_root, prog_pins[NPROGS - 1]);
	if (!err && existing && access(path, F_OK))
		err = -ENOENT; /* none, or an interrupted first load */
	if (!err && access(path, F_OK)) {
		np__unpin_all(dp); /* left by an interrupted first load */
		err = load_and_pin(dp, ct_size);
	}
	if (!err)
		err = open_pinned(dp);
	if (!err)
		err = netns_check(dp);
	if (!err)
		err = map_runtime(dp);
	return err;
}

static int parse_node_ips(const char *const *ips, size_t n,
			  struct np_dp_runtime *rt)
{
	size_t i;

	rt->node_ip4_n = 0;
	rt->node_ip6_n = 0;
	for (i = 0; i < n; i++) {
		if (!ips[i])
			return -EINVAL;
		if (inet_pton(AF_INET, ips[i],
			      &rt->node_ip4[rt->node_ip4_n & 1]) == 1) {
			if (rt->node_ip4_n++ >= 2)
				return -E2BIG;
		} else if (inet_pton(AF_INET6, ips[i],
				     rt->node_ip6[rt->node_ip6_n & 1]) == 1) {
			if (rt->node_ip6_n++ >= 2)
				return -E2BIG;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

NP_API int np_datapath_set_node_ips(struct np_datapath *dp,
				    const char *const *ips, size_t n)
{
	struct np_dp_runtime nr = { 0 };
	int err;

	if (!dp || (n && !ips))
		return -EINVAL;
	err = parse_node_ips(ips, n, &nr);
	if (err) {
		LOG(dp, NP_LOG_ERROR,
		    "node IPs: up to two IPv4 and two IPv6 "
		    "addresses");
		return err;
	}
	/* counts drop first and rise last: never an unset slot counted */
	__atomic_store_n(&dp->rt->node_ip4_n, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->rt->node_ip6_n, 0, __ATOMIC_RELEASE);
	memcpy(dp->rt->node_ip4, nr.node_ip4, sizeof(nr.node_ip4));
	memcpy(dp->rt->node_ip6, nr.node_ip6, sizeof(nr.node_ip6));
	__atomic_store_n(&dp->rt->node_ip4_n, nr.node_ip4_n, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->rt->node_ip6_n, nr.node_ip6_n, __ATOMIC_RELEASE);
	return 0;
}

NP_API int np_datapath_set_events(struct np_datapath *dp, bool on)
{
	if (!dp)
		return -EINVAL;
	__atomic_store_n(&dp->rt->events_on, on ? 1 : 0, __ATOMIC_RELEASE);
	dp->events_mine = on;
	return 0;
}

NP_API int np_datapath_set_rule_counters(struct np_datapath *dp, bool on)
{
	if (!dp)
		return -EINVAL;
	if (dp->read_only)
		return -EROFS;
	__atomic_store_n(&dp->rt->rule_counters_on, on ? 1 : 0,
			 __ATOMIC_RELEASE);
	return 0;
}

int np__datapath_clock(struct np_datapath *dp, uint32_t *now, uint32_t *hz)
{
	*hz = dp->rt->hz;
	return np__clock_now(dp, now);
}

int np__datapath_set_bench_no_ct_insert(struct np_datapath *dp, bool on)
{
	if (!dp)
		return -EINVAL;
	__atomic_store_n(&dp->rt->bench_no_ct_insert, on ? 1 : 0,
			 __ATOMIC_RELEASE);
	return 0;
}

int np__datapath_prog_fd(struct np_datapath *dp, enum np_direction dir)
{
	if (!dp || (dir != NP_DIRECTION_INGRESS && dir != NP_DIRECTION_EGRESS))
		return -EINVAL;
	return dp->prog_fd[dir];
}
