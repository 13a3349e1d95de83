/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The datapath: handle lifecycle (open, close, destroy), the lock, pods
 * (attach, detach, gc). The only files that touch the kernel are this one
 * and the dp_*.c files it calls (see dp_internal.h): dp_apply.c enforces
 * rule sets and fails pods closed, dp_load.c loads and pins, dp_tc.c
 * attaches, dp_maps.c reads and writes maps, dp_cache.c mirrors the pinned
 * state; dp_inspect.c, dp_verify.c and dp_events.c observe.
 *
 * Pinned under pin_root (default /sys/fs/bpf/netpol):
 *   prog_egress, prog_ingress   the TC programs (np_tc_egress_pod, ...)
 *   endpoints lpm_v4 lpm_v6 portsets counters ct_v4 ct_v6 frags events
 *   pods rulesets bss rodata stats  the maps of bpf/netpol.bpf.c
 *   netns ifids     made by userspace: the datapath's network namespace
 *                   (every open outside it fails, -EXDEV), and what each
 *                   attached interface was (a new one on a reused ifindex
 *                   is a new pod; stale records go at writing opens)
 *
 * The first open loads bpf/netpol.bpf.c from the embedded skeleton and pins
 * everything; later opens, in any process, use the pins and load nothing.
 * All state is in the pinned maps:
 *   - pods: ifindex -> pod identity and whether we created the clsact qdisc;
 *   - rulesets: rule-set id -> content digest (key 0: a generation counter
 *     bumped by every change, so a process notices another one's changes);
 *   - the LPM tries and endpoints: which keys each id owns, who uses it.
 * Each handle keeps a cache of that (ids, refcounts, port set dedup, counter
 * slots), rebuilt from the maps whenever the generation moved. Changes hold
 * flock() on the pin directory.
 *
 * Rule sets (DESIGN §4): each isolated direction's content (its v4 and v6
 * entries with their port sets) has a digest; pods whose content is equal
 * share one id. A new content is written under a fresh id (LPM batch
 * updates when the kernel has them, else one update per key; its port sets
 * deduplicated by content into global slots), then the endpoint record is
 * flipped with one update. An id whose last user left is retired: deleted
 * once a packet can no longer be reading it, i.e. after an RCU grace period
 * (membarrier(MEMBARRIER_CMD_GLOBAL)) or a second has passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <linux/pkt_sched.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netpol/mapset.h"

#include "dp_internal.h"
#include "opts.h"

_Static_assert((int)NP_DIRECTION_INGRESS == NP_DIR_INGRESS, "dir");
_Static_assert((int)NP_DIRECTION_EGRESS == NP_DIR_EGRESS, "dir");
_Static_assert((int)NP_POD_DEFAULT_ALLOW == NP_EP_DEFAULT_ALLOW, "state");
_Static_assert((int)NP_POD_DEFAULT_DENY == NP_EP_DEFAULT_DENY, "state");
_Static_assert((int)NP_POD_ENFORCED == NP_EP_POLICIES_APPLIED, "state");
_Static_assert((int)NP_POD_UNISOLATED == NP_EP_UNISOLATED, "state");
_Static_assert((int)NP_POD_FAIL_CLOSED == NP_EP_FAIL_CLOSED, "state");

void np__dp_diag_set(struct np_diag *diag, int err, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return;
	memset(diag, 0, sizeof(*diag));
	diag->err = err;
	va_start(ap, fmt);
	vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
	va_end(ap);
}

/* --- the lock ----------------------------------------------------------- */

/* While locked, libbpf's messages go to the log callback (item 11). */
/* The datapath lock (nestable): nowait fails with -EAGAIN when held. */
int np__dp_lock_opts(struct np_datapath *dp, bool nowait)
{
	if (dp->locked++)
		return 0;
	while (flock(dp->dirfd, LOCK_EX | (nowait ? LOCK_NB : 0))) {
		if (errno != EINTR) {
			dp->locked--;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
	}
	np__print_begin(dp);
	return 0;
}

static int dp_lock(struct np_datapath *dp)
{
	return np__dp_lock_opts(dp, false);
}

void np__dp_unlock(struct np_datapath *dp)
{
	if (--dp->locked == 0) {
		np__print_end(dp);
		flock(dp->dirfd, LOCK_UN);
	}
}

static bool stale_collect(struct np_datapath *dp);
static void txn_abort(struct np_datapath *dp);
static void txn_forget(struct np_datapath *dp, uint32_t ifindex);

/*
 * Lock, and make sure the cache reflects the maps. A writing handle that
 * lives long (an agent's) forgets the records of vanished or replaced
 * interfaces here too, at most every stale_ns, as every writing open does.
 */
int np__dp_begin(struct np_datapath *dp)
{
	uint64_t now;
	int err = dp_lock(dp);

	if (err)
		return err;
	if (!dp->cache_valid || np__gen_read(dp) != dp->gen) {
		err = np__cache_rebuild(dp);
		if (err) {
			LOG(dp, NP_LOG_ERROR, "reading the pinned state: %s",
			    strerror(-err));
			np__dp_unlock(dp);
			return err;
		}
	}
	now = mono_ns(CLOCK_MONOTONIC);
	if (!dp->read_only && dp->locked == 1 &&
	    now - dp->stale_last_ns >= dp->stale_ns) {
		dp->stale_last_ns = now;
		if (stale_collect(dp))
			np__gen_bump(dp);
	}
	return 0;
}

void np__dp_end(struct np_datapath *dp, bool changed)
{
	if (changed)
		np__gen_bump(dp);
	np__dp_unlock(dp);
}

/* --- open, close, destroy ------------------------------------------------ */

static void dp_free(struct np_datapath *dp)
{
	int i;

	ring_buffer__free(dp->rb);
	if (dp->rt)
		munmap(dp->rt, dp->rt_len);
	for (i = 0; i < NPROGS; i++)
		if (dp->prog_fd[i] >= 0)
			close(dp->prog_fd[i]);
	for (i = 0; i < M__N; i++)
		if (dp->map_fd[i] >= 0)
			close(dp->map_fd[i]);
	if (dp->dirfd >= 0)
		close(dp->dirfd);
	if (dp->gps)
		np__cache_clear(dp);
	free(dp->rs);
	free(dp->txe);
	free(dp->gps);
	free(dp->slot_used);
	free(dp->pin_root);
	free(dp);
}

static void pod_forget(struct np_datapath *dp, uint32_t ifindex);

/* Forget ifindex's record if its interface is gone or another one now. */
static bool stale_one(struct np_datapath *dp, uint32_t ifindex)
{
	struct np_pod_value pod = { 0 };

	if (np__ifid_check(dp, ifindex) != 0)
		return false;
	bpf_map_lookup_elem(dp->map_fd[M_PODS], &ifindex, &pod);
	pod.ns[sizeof(pod.ns) - 1] = '\0';
	pod.name[sizeof(pod.name) - 1] = '\0';
	LOG(dp, NP_LOG_INFO,
	    "ifindex %u (%s/%s): the interface is gone or another one: "
	    "record forgotten",
	    ifindex, pod.ns, pod.name);
	pod_forget(dp, ifindex);
	return true;
}

/*
 * Forget the records whose interface is gone or is another one now (a new
 * veth on a reused ifindex): at every writing open (and attach checks its
 * own ifindex), so nobody needs to call np_datapath_gc() for it. True if
 * any was.
 */
static bool stale_collect(struct np_datapath *dp)
{
	uint32_t *ifx;
	size_t n, i;
	bool any = false;

	if (np__map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&ifx, &n))
		return false;
	for (i = 0; i < n; i++)
		any |= stale_one(dp, ifx[i]);
	free(ifx);
	return any;
}

NP_API int np_datapath_open(struct np_datapath **out,
			    const struct np_datapath_opts *opts)
{
	const char *root = NP_OPTS_GET(opts, pin_root, NULL);
	const char *const *ips = NP_OPTS_GET(opts, node_ips, NULL);
	size_t nips = NP_OPTS_GET(opts, n_node_ips, 0);
	bool existing = NP_OPTS_GET(opts, existing_only, false);
	struct np_datapath *dp;
	int i, err;

	if (!out || !NP_OPTS_VALID(opts, np_datapath_opts))
		return -EINVAL;
	*out = NULL;
	if (NP_OPTS_GET(opts, mode, NP_MODE_STANDARD) != NP_MODE_STANDARD &&
	    NP_OPTS_GET(opts, mode, NP_MODE_STANDARD) != NP_MODE_STRICT)
		return -EINVAL;
	if (nips && !ips)
		return -EINVAL;
	if (existing && (nips || NP_OPTS_GET(opts, revoke, NP_SWITCH_KEEP) ||
			 NP_OPTS_GET(opts, source_check, NP_SWITCH_KEEP)))
		return -EINVAL; /* an inspection handle writes nothing */
	if (NP_OPTS_GET(opts, revoke, NP_SWITCH_KEEP) > NP_SWITCH_OFF ||
	    NP_OPTS_GET(opts, source_check, NP_SWITCH_KEEP) > NP_SWITCH_OFF)
		return -EINVAL;

	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->dirfd = -1;
	for (i = 0; i < NPROGS; i++)
		dp->prog_fd[i] = -1;
	for (i = 0; i < M__N; i++)
		dp->map_fd[i] = -1;
	dp->mode = NP_OPTS_GET(opts, mode, NP_MODE_STANDARD);
	dp->log = NP_OPTS_GET(opts, log, NULL);
	dp->log_ctx = NP_OPTS_GET(opts, log_ctx, NULL);
	dp->lpm_batch = -1;
	dp->stale_ns = NP_STALE_NS;
	dp->pin_root = strdup(root && *root ? root : NP_DEFAULT_PIN_ROOT);
	dp->gps = calloc(NP_MAX_PORTSETS, sizeof(*dp->gps));
	dp->slot_used = calloc(NP_MAX_ENDPOINTS, 1);
	if (!dp->pin_root || !dp->gps || !dp->slot_used) {
		err = -ENOMEM;
		goto fail;
	}
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus <= 0) {
		err = dp->ncpus ? dp->ncpus : -EINVAL;
		goto fail;
	}

	np__print_begin(dp);
	err = existing ? 0 : np__ensure_bpffs(dp);
	if (err) {
		LOG(dp, NP_LOG_ERROR, "mounting bpffs at %s: %s%s", NP_BPFFS,
		    strerror(-err), np__cap_hint(err, "CAP_SYS_ADMIN"));
		goto fail;
	}
	err = existing ? 0 : np__mkdir_p(dp->pin_root, &dp->dirs_made);
	if (err) {
		LOG(dp, NP_LOG_ERROR, "%s: %s%s", dp->pin_root, strerror(-err),
		    np__cap_hint(err, "CAP_DAC_OVERRIDE or the bpffs's owner"));
		goto fail;
	}
	dp->dirfd = open(dp->pin_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dp->dirfd < 0) {
		err = -errno;
		goto fail;
	}
	err = dp_lock(dp);
	if (err)
		goto fail;

	err = np__dp_load(dp, NP_OPTS_GET(opts, ct_size, 0), existing);
	if (!err && nips)
		err = np_datapath_set_node_ips(dp, ips, nips);
	if (!err && NP_OPTS_GET(opts, events, false))
		err = np_datapath_set_events(dp, true);
	if (!err && NP_OPTS_GET(opts, revoke, NP_SWITCH_KEEP))
		__atomic_store_n(&dp->rt->revoke_off,
				 NP_OPTS_GET(opts, revoke, 0) == NP_SWITCH_OFF,
				 __ATOMIC_RELEASE);
	if (!err && NP_OPTS_GET(opts, source_check, NP_SWITCH_KEEP))
		__atomic_store_n(&dp->rt->src_check_off,
				 NP_OPTS_GET(opts, source_check, 0) ==
					 NP_SWITCH_OFF,
				 __ATOMIC_RELEASE);
	/* existing_only opens are for inspection: they repair nothing */
	dp->read_only = existing;
	if (!err)
		err = np__cache_rebuild(dp);
	dp->stale_last_ns = mono_ns(CLOCK_MONOTONIC);
	if (!err && !existing && stale_collect(dp))
		np__gen_bump(dp);
	if (!err && !existing)
		err = np__epa_reconcile(dp);
	if (!err && !existing)
		np__hooks_check(dp);
	np__dp_unlock(dp);
	if (err)
		goto fail;
	np__print_end(dp);
	*out = dp;
	return 0;
fail:
	/* what this open created goes: no empty pin directory left */
	if (dp->dirs_made)
		np__rmdir_made(dp->pin_root, dp->dirs_made);
	if (dp->print_depth)
		np__print_end(dp);
	dp_free(dp);
	return err;
}

NP_API void np_datapath_close(struct np_datapath *dp)
{
	if (!dp)
		return;
	txn_abort(dp); /* a transaction not committed never happened */
	if (dp->events_mine && dp->rt)
		__atomic_store_n(&dp->rt->events_on, 0, __ATOMIC_RELEASE);
	if (dp->dirfd >= 0 && !dp->read_only && !np__dp_begin(dp)) {
		np__reap(dp, true);
		np__dp_end(dp, false);
	}
	dp_free(dp);
}

static void pod_teardown(struct np_datapath *dp, uint32_t ifindex)
{
	struct np_pod_value pod = { 0 };
	char name[IF_NAMESIZE];

	if (!if_indextoname(ifindex, name))
		return;
	bpf_map_lookup_elem(dp->map_fd[M_PODS], &ifindex, &pod);
	np__hooks_drop(dp, ifindex, false, true, &pod.flags);
}

NP_API int np_datapath_destroy(struct np_datapath *dp)
{
	uint32_t *ifx = NULL;
	size_t n = 0, i;
	int err;

	if (!dp)
		return -EINVAL;
	txn_abort(dp);
	err = dp_lock(dp);
	if (err)
		goto out;
	if (!np__pods_list(dp, &ifx, &n))
		for (i = 0; i < n; i++)
			pod_teardown(dp, ifx[i]);
	free(ifx);
	if (dp->rt)
		__atomic_store_n(&dp->rt->events_on, 0, __ATOMIC_RELEASE);
	np__unpin_all(dp);
	np__dp_unlock(dp);
	if (rmdir(dp->pin_root) && errno != ENOENT) {
		err = -errno;
		LOG(dp, NP_LOG_WARN, "%s: %s", dp->pin_root, strerror(errno));
	}
	LOG(dp, NP_LOG_INFO, "datapath under %s destroyed", dp->pin_root);
out:
	dp_free(dp);
	return err;
}

/* --- pods ---------------------------------------------------------------- */

static void counters_zero(struct np_datapath *dp, uint32_t slot)
{
	size_t sz = (size_t)dp->ncpus * sizeof(struct np_counters);
	void *zero = calloc(1, sz);
	uint32_t k;

	if (!zero)
		return;
	for (k = slot * 2; k < slot * 2 + 2; k++)
		bpf_map_update_elem(dp->map_fd[M_COUNTERS], &k, zero, BPF_ANY);
	free(zero);
}

/* Conntrack entries of one ifindex (or all expired ones): delete them. */
static void ct_sweep(struct np_datapath *dp, bool by_ifindex, uint32_t ifindex)
{
	uint32_t now = 0;
	int fam;

	if (!by_ifindex && np__clock_now(dp, &now))
		return;

	for (fam = 0; fam < 2; fam++) {
		int fd = dp->map_fd[fam ? M_CT6 : M_CT4];
		size_t ksz = fam ? sizeof(struct np_ct_key_v6) :
				   sizeof(struct np_ct_key_v4);
		unsigned char *keys;
		size_t n, i;
		uint64_t ndel = 0;

		if (np__map_keys(fd, ksz, (void **)&keys, &n))
			continue;
		for (i = 0; i < n; i++) {
			const void *k = keys + i * ksz;
			uint32_t ifproto, tmo;
			struct np_ct_value v;
			bool del;

			ifproto =
				fam ? ((const struct np_ct_key_v6 *)k)->ifproto :
				      ((const struct np_ct_key_v4 *)k)->ifproto;
			if (by_ifindex) {
				del = (ifproto >> 8) == (ifindex & NP_IFX_MASK);
			} else {
				if (bpf_map_lookup_elem(fd, k, &v))
					continue;
				if ((ifproto & 0xff) != IPPROTO_TCP)
					tmo = dp->rt->to.other;
				else if (v.state == NP_CT_ESTABLISHED)
					tmo = dp->rt->to.tcp_established;
				else if (v.state == NP_CT_CLOSING)
					tmo = dp->rt->to.tcp_closing;
				else
					tmo = dp->rt->to.tcp_new;
				del = now - v.last_seen > tmo;
			}
			if (del && !bpf_map_delete_elem(fd, k))
				ndel++;
		}
		free(keys);
		np__stat_add(dp, NP_STAT_CT_DELETED + fam, ndel);
	}
}

/* Refuse an ifindex that aliases an attached one in conntrack keys. */
static int check_alias(struct np_datapath *dp, uint32_t ifindex)
{
	uint32_t *ifx;
	size_t n, i;
	int err = 0;

	if (ifindex <= NP_IFX_MASK)
		return 0;
	err = np__map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&ifx, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (ifx[i] != ifindex &&
		    (ifx[i] & NP_IFX_MASK) == (ifindex & NP_IFX_MASK))
			err = -EADDRINUSE;
	free(ifx);
	if (err)
		LOG(dp, NP_LOG_ERROR,
		    "ifindex %u aliases an attached one "
		    "modulo 2^24 in conntrack keys",
		    ifindex);
	return err;
}

static void copy_name(char *dst, size_t size, const char *src)
{
	if (!src)
		src = "";
	snprintf(dst, size, "%s", src);
}

/* A pod's own addresses, into out's source fields: at most one per
 * family (Kubernetes podIPs). */
static int src_parse(const char *const *ips, size_t n, struct np_ep_rec *out,
		     struct np_diag *diag)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (n && !ips) {
		np__dp_diag_set(diag, -EINVAL, "ips: Required value");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		const char *ip = ips[i] ? ips[i] : "";
		uint8_t a6[16];
		uint32_t a4;

		if (inet_pton(AF_INET, ip, &a4) == 1 &&
		    !(out->src_flags & NP_SRC_V4)) {
			out->ip4 = a4;
			out->src_flags |= NP_SRC_V4;
		} else if (inet_pton(AF_INET6, ip, a6) == 1 &&
			   !(out->src_flags & NP_SRC_V6)) {
			memcpy(out->ip6, a6, 16);
			out->src_flags |= NP_SRC_V6;
		} else {
			np__dp_diag_set(diag, -EINVAL,
					"ips[%zu]: Invalid value: \"%.64s\": "
					"must be an IP address, at most one "
					"IPv4 and one IPv6",
					i, ip);
			return -EINVAL;
		}
	}
	return 0;
}

/* diag for attach: the interface as the caller named it, and why. */
static void attach_diag(struct np_diag *diag, int err, const char *ifname,
			unsigned int ifindex, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void attach_diag(struct np_diag *diag, int err, const char *ifname,
			unsigned int ifindex, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return;
	memset(diag, 0, sizeof(*diag));
	diag->err = err;
	if (ifname)
		snprintf(diag->object, sizeof(diag->object), "interface %s",
			 ifname);
	else
		snprintf(diag->object, sizeof(diag->object), "ifindex %u",
			 ifindex);
	va_start(ap, fmt);
	vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
	va_end(ap);
}

NP_API int np_datapath_attach(struct np_datapath *dp,
			      const struct np_attach_opts *opts,
			      struct np_diag *diag)
{
	struct np_pod_value pod = { 0 }, old = { 0 };
	struct np_ep_value ep = { 0 };
	struct np_ep_rec rec;
	struct np_ep_rec src;
	struct np_ifid id;
	char other[PATH_MAX];
	bool new_ep = false, new_qdisc = false, made = false;
	const char *ifname, *pod_ns, *pod_name;
	enum np_hook_kind want;
	unsigned int ifindex;
	uint32_t slot;
	size_t nsrc;
	bool tcx, have_tcx;
	int err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	err = NP_OPTS_CHECK(opts, np_attach_opts, diag);
	if (err)
		return err;
	ifname = NP_OPTS_GET(opts, ifname, NULL);
	ifindex = NP_OPTS_GET(opts, ifindex, 0);
	pod_ns = NP_OPTS_GET(opts, pod_ns, NULL);
	pod_name = NP_OPTS_GET(opts, pod_name, NULL);
	want = NP_OPTS_GET(opts, hook, NP_HOOK_KIND_NONE);
	nsrc = NP_OPTS_GET(opts, n_ips, 0);
	if (!dp) {
		np__dp_diag_set(diag, -EINVAL, "invalid argument: no datapath");
		return -EINVAL;
	}
	if (!np_hook_kind_name(want)) {
		np__dp_diag_set(
			diag, -EINVAL,
			"hook: Unsupported value: %d: supported values: "
			"\"none\" (choose), \"tc\", \"tcx\"",
			(int)want);
		return -EINVAL;
	}
	err = src_parse(NP_OPTS_GET(opts, ips, NULL), nsrc, &src, diag);
	if (err)
		return err;
	have_tcx = np__tcx_available();
	tcx = want == NP_HOOK_KIND_TCX ||
	      (want == NP_HOOK_KIND_NONE && have_tcx);
	if (tcx && !have_tcx) {
		np__dp_diag_set(diag, -EOPNOTSUPP,
				"hook: Unsupported value: \"tcx\": this kernel "
				"has no TCX (Linux 6.6 or later): use \"tc\"");
		return -EOPNOTSUPP;
	}
	if ((!ifname && !ifindex) || (ifname && !*ifname)) {
		np__dp_diag_set(diag, -EINVAL,
				"Required value: an interface name or index");
		return -EINVAL;
	}
	if (ifname) {
		unsigned int i = if_nametoindex(ifname);

		if (!i) {
			attach_diag(diag, -ENODEV, ifname, ifindex,
				    "no such interface");
			return -ENODEV;
		}
		if (ifindex && i != ifindex) {
			attach_diag(diag, -EINVAL, ifname, ifindex,
				    "Invalid value: ifindex %u: the interface "
				    "is ifindex %u",
				    ifindex, i);
			return -EINVAL;
		}
		ifindex = i;
	} else {
		char name[IF_NAMESIZE];

		if (!if_indextoname(ifindex, name)) {
			attach_diag(diag, -ENODEV, NULL, ifindex,
				    "no such interface");
			return -ENODEV;
		}
	}
	err = np__dp_begin(dp);
	if (err) {
		attach_diag(diag, err, ifname, ifindex, "datapath: %s",
			    strerror(-err));
		return err;
	}
	/* a record of a vanished interface on this ifindex is not this one's */
	if (!np__ep_read(dp, ifindex, NULL, NULL) && stale_one(dp, ifindex))
		new_ep = true; /* the generation moves at the end */
	if (np__tc_owner(dp, ifindex, BPF_TC_INGRESS, other, sizeof(other)) ||
	    np__tc_owner(dp, ifindex, BPF_TC_EGRESS, other, sizeof(other))) {
		attach_diag(diag, -EBUSY, ifname, ifindex,
			    "held by another datapath, pinned under %s: "
			    "detach it there first",
			    other);
		err = -EBUSY;
		goto out;
	}

	if (np__ep_read(dp, ifindex, &rec, &ep)) {
		err = check_alias(dp, ifindex);
		if (err) {
			if (err == -EADDRINUSE)
				attach_diag(diag, err, ifname, ifindex,
					    "ifindex %u aliases an attached "
					    "one modulo 2^24 in conntrack keys",
					    ifindex);
			else
				attach_diag(diag, err, ifname, ifindex,
					    "reading the attached pods: %s",
					    strerror(-err));
			goto out;
		}
		for (slot = 0; slot < NP_MAX_ENDPOINTS; slot++)
			if (!dp->slot_used[slot])
				break;
		if (slot == NP_MAX_ENDPOINTS) {
			LOG(dp, NP_LOG_ERROR,
			    "ifindex %u: %d pods attached "
			    "already",
			    ifindex, NP_MAX_ENDPOINTS);
			attach_diag(diag, -E2BIG, ifname, ifindex,
				    "Too many: %d pods attached already: "
				    "must have at most %d",
				    NP_MAX_ENDPOINTS, NP_MAX_ENDPOINTS);
			err = -E2BIG;
			goto out;
		}
		counters_zero(dp, slot);
		memset(&ep, 0, sizeof(ep));
		ep.dir[0].slot = ep.dir[1].slot = slot;
		ep.dir[0].state = ep.dir[1].state = dp->mode == NP_MODE_STRICT ?
							    NP_EP_DEFAULT_DENY :
							    NP_EP_DEFAULT_ALLOW;
		memset(&rec, 0, sizeof(rec));
		np__ep_rec_set(&rec, 0, &ep);
		np__ep_rec_set(&rec, 1, &ep);
		if (nsrc)
			np__ep_rec_src(&rec, &src);
		/* the record exists before the hooks: no unjudged packet */
		err = bpf_map_update_elem(dp->map_fd[M_ENDPOINTS], &ifindex,
					  &rec, BPF_NOEXIST);
		if (err) {
			attach_diag(diag, err, ifname, ifindex,
				    "adding the endpoint: %s", strerror(-err));
			goto out;
		}
		dp->slot_used[slot] = 1;
		new_ep = made = true;
		err = np__epa_sync(dp, ifindex, &rec, 0xf);
		if (err)
			goto fail;
	} else if (nsrc) {
		/* the pod's addresses, as the caller knows them now */
		np__ep_rec_src(&rec, &src);
		err = np__ep_write(dp, ifindex, &rec, BPF_EXIST, 0);
		if (err)
			goto fail;
		new_ep = true;
	}
	if (!bpf_map_lookup_elem(dp->map_fd[M_PODS], &ifindex, &old))
		pod.flags = old.flags;

	if (!tcx) {
		/* -EEXIST: a clsact qdisc is there (not ours to remove) */
		err = np__tc_qdisc_create(ifindex);
		if (!err)
			new_qdisc = true;
		else if (err != -EEXIST)
			goto fail;
		if (new_qdisc)
			pod.flags |= NP_PODF_QDISC;
	}
	/* a re-attach without a name keeps the one it has */
	if (pod_ns || pod_name || made) {
		copy_name(pod.ns, sizeof(pod.ns), pod_ns);
		copy_name(pod.name, sizeof(pod.name), pod_name);
	} else {
		memcpy(pod.ns, old.ns, sizeof(pod.ns));
		memcpy(pod.name, old.name, sizeof(pod.name));
	}
	err = np__hooks_ensure(dp, ifindex, tcx);
	if (!err) {
		/* attached the other way before: that goes only now */
		np__hooks_drop(dp, ifindex, tcx, false, &pod.flags);
		pod.flags = tcx ? pod.flags | NP_PODF_TCX :
				  pod.flags & ~NP_PODF_TCX;
		err = bpf_map_update_elem(dp->map_fd[M_PODS], &ifindex, &pod,
					  BPF_ANY);
	}
	if (!err)
		err = np__link_ident(ifindex, &id);
	if (!err)
		err = bpf_map_update_elem(dp->map_fd[M_IFID], &ifindex, &id,
					  BPF_ANY);
	if (err)
		goto fail;
	LOG(dp, NP_LOG_DEBUG, "ifindex %u attached (%s/%s)", ifindex, pod.ns,
	    pod.name);
	np__dp_end(dp, true);
	return 0;
fail:
	LOG(dp, NP_LOG_ERROR, "ifindex %u: attaching: %s", ifindex,
	    strerror(-err));
	if (err == -EBUSY &&
	    (np__tc_owner(dp, ifindex, BPF_TC_INGRESS, other, sizeof(other)) ||
	     np__tc_owner(dp, ifindex, BPF_TC_EGRESS, other, sizeof(other))))
		attach_diag(diag, err, ifname, ifindex,
			    "held by another datapath, pinned under %s", other);
	else
		attach_diag(diag, err, ifname, ifindex, "attaching: %s%s",
			    strerror(-err),
			    np__cap_hint(err, "CAP_NET_ADMIN and CAP_BPF"));
	if (made) {
		uint32_t fl = new_qdisc ? NP_PODF_QDISC : 0;

		np__hooks_drop(dp, ifindex, false, true, &fl);
		bpf_map_delete_elem(dp->map_fd[M_PODS], &ifindex);
		bpf_map_delete_elem(dp->map_fd[M_IFID], &ifindex);
		np__epa_release(dp, ifindex);
		bpf_map_delete_elem(dp->map_fd[M_ENDPOINTS], &ifindex);
		dp->slot_used[ep.dir[0].slot] = 0;
	}
out:
	np__dp_end(dp, new_ep);
	return err;
}

/* Forget a pod: its record, its rule-set references, its conntrack. */
static void pod_forget(struct np_datapath *dp, uint32_t ifindex)
{
	struct np_ep_value ep;
	int d;

	txn_forget(dp, ifindex);
	if (!np__ep_read(dp, ifindex, NULL, &ep)) {
		np__epa_release(dp, ifindex);
		bpf_map_delete_elem(dp->map_fd[M_ENDPOINTS], &ifindex);
		for (d = 0; d < 2; d++)
			if (ep.dir[d].state == NP_EP_POLICIES_APPLIED)
				np__rs_put(dp, ep.dir[d].ruleset);
		if (ep.dir[0].slot < NP_MAX_ENDPOINTS)
			dp->slot_used[ep.dir[0].slot] = 0;
	}
	bpf_map_delete_elem(dp->map_fd[M_PODS], &ifindex);
	bpf_map_delete_elem(dp->map_fd[M_IFID], &ifindex);
	/* pinned links of a gone interface are dead: unpin them */
	np__tcx_remove(dp, ifindex, BPF_TC_INGRESS);
	np__tcx_remove(dp, ifindex, BPF_TC_EGRESS);
	ct_sweep(dp, true, ifindex);
}

NP_API int np_datapath_detach(struct np_datapath *dp, unsigned int ifindex)
{
	struct np_ep_value ep;
	int err;

	if (!dp || !ifindex)
		return -EINVAL;
	err = np__dp_begin(dp);
	if (err)
		return err;
	if (np__ep_read(dp, ifindex, NULL, &ep)) {
		np__dp_end(dp, false);
		return -ENOENT;
	}
	pod_teardown(dp, ifindex);
	pod_forget(dp, ifindex);
	np__reap(dp, false);
	np__dp_end(dp, true);
	return 0;
}

NP_API int np_datapath_gc(struct np_datapath *dp)
{
	int err;

	if (!dp)
		return -EINVAL;
	err = np__dp_begin(dp);
	if (err)
		return err;
	stale_collect(dp);
	ct_sweep(dp, false, 0);
	np__reap(dp, true);
	np__dp_end(dp, true);
	return err;
}

/* --- transactions ---------------------------------------------------------- */

NP_API int np_datapath_begin(struct np_datapath *dp,
			     const struct np_txn_opts *opts)
{
	int err;

	if (!dp || !NP_OPTS_VALID(opts, np_txn_opts))
		return -EINVAL;
	if (dp->txn)
		return -EALREADY;
	if (dp->read_only)
		return -EROFS;
	err = np__dp_lock_opts(dp, NP_OPTS_GET(opts, nowait, false));
	if (err)
		return err;
	err = np__dp_begin(dp); /* nested: the cache, settled */
	if (err) {
		np__dp_unlock(dp);
		return err;
	}
	dp->txn = true;
	dp->ntxe = 0;
	dp->txn_t0 = mono_ns(CLOCK_MONOTONIC);
	np__dp_end(dp, false); /* the outer lock stays until commit */
	return 0;
}

static void txn_end(struct np_datapath *dp, bool changed)
{
	dp->txn = false;
	dp->ntxe = 0;
	np__reap(dp, false);
	if (changed)
		np__gen_bump(dp);
	np__dp_unlock(dp);
}

NP_API int np_datapath_commit(struct np_datapath *dp, struct np_diag *diag)
{
	uint32_t g;
	size_t i;
	int err = 0;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!dp || !dp->txn) {
		np__dp_diag_set(diag, -EINVAL, "no transaction: begin one");
		return -EINVAL;
	}
	if (!dp->ntxe) {
		txn_end(dp, false);
		return 0;
	}
	/* the flip: every pod's staged words at once */
	g = __atomic_load_n(&dp->rt->gen, __ATOMIC_ACQUIRE);
	__atomic_store_n(&dp->rt->gen, g + 1, __ATOMIC_RELEASE);
	g = (g + 1) & 1;
	/* no packet reads the old generation after this */
	np__grace_period();
	for (i = 0; i < dp->ntxe; i++) {
		struct txn_ent *t = &dp->txe[i];
		int e = np__ep_align(dp, t->ifindex, g);

		if (e < 0 && !err) {
			err = e;
			np__dp_diag_set(diag, e,
					"ifindex %u: committed, but copying "
					"its words: %s (the next writer does)",
					t->ifindex, strerror(-e));
		}
		np__words_put(dp, &t->old, 3);
	}
	LOG(dp, NP_LOG_DEBUG, "transaction of %zu pods committed", dp->ntxe);
	if (!err && dp->txn_t0)
		np__lat_observe(dp, mono_ns(CLOCK_MONOTONIC) - dp->txn_t0);
	txn_end(dp, true);
	return err;
}

static void txn_abort(struct np_datapath *dp)
{
	uint32_t g;
	size_t i;

	if (!dp || !dp->txn)
		return;
	g = np__ep_live(dp);
	for (i = 0; i < dp->ntxe; i++) {
		np__ep_align(dp, dp->txe[i].ifindex, g);
		np__words_put(dp, &dp->txe[i].nep, 3);
	}
	txn_end(dp, dp->ntxe > 0);
}

NP_API void np_datapath_abort(struct np_datapath *dp)
{
	txn_abort(dp);
}

static void txn_forget(struct np_datapath *dp, uint32_t ifindex)
{
	struct txn_ent *t;

	if (!dp->txn || !(t = np__txn_find(dp, ifindex)))
		return;
	np__words_put(dp, &t->nep, 3);
	*t = dp->txe[--dp->ntxe];
}
