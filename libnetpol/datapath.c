/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The datapath: handle lifecycle (open, close, destroy), the lock, pods
 * (attach, detach, gc) and apply. The only files that touch the kernel are
 * this one and the dp_*.c files it calls (see dp_internal.h): dp_load.c
 * loads and pins, dp_tc.c attaches, dp_maps.c reads and writes maps,
 * dp_cache.c mirrors the pinned state; dp_inspect.c and dp_events.c
 * observe.
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

static void diag_set(struct np_diag *diag, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void diag_set(struct np_diag *diag, int err, const char *fmt, ...)
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
static int dp_lock(struct np_datapath *dp)
{
	if (dp->locked++)
		return 0;
	while (flock(dp->dirfd, LOCK_EX)) {
		if (errno != EINTR) {
			dp->locked--;
			return -errno;
		}
	}
	np__print_begin(dp);
	return 0;
}

static void dp_unlock(struct np_datapath *dp)
{
	if (--dp->locked == 0) {
		np__print_end(dp);
		flock(dp->dirfd, LOCK_UN);
	}
}

/* Lock, and make sure the cache reflects the maps. */
static int dp_begin(struct np_datapath *dp)
{
	int err = dp_lock(dp);

	if (err)
		return err;
	if (!dp->cache_valid || np__gen_read(dp) != dp->gen) {
		err = np__cache_rebuild(dp);
		if (err) {
			LOG(dp, NP_LOG_ERROR, "reading the pinned state: %s",
			    strerror(-err));
			dp_unlock(dp);
		}
	}
	return err;
}

static void dp_end(struct np_datapath *dp, bool changed)
{
	if (changed)
		np__gen_bump(dp);
	dp_unlock(dp);
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

/* At open: every known pod's filters run our programs. */
static void filters_check(struct np_datapath *dp)
{
	uint32_t *ifx;
	size_t n, i;

	if (np__pods_list(dp, &ifx, &n))
		return;
	for (i = 0; i < n; i++) {
		char name[IF_NAMESIZE];
		int err, h;

		if (!if_indextoname(ifx[i], name))
			continue; /* gone: np_datapath_gc() forgets it */
		/* a writing command repairs, and says so */
		for (h = 0; h < 2; h++) {
			uint32_t parent =
				TC_H_MAKE(TC_H_CLSACT, h ? TC_H_MIN_EGRESS :
							   TC_H_MIN_INGRESS);
			bool ours = false;
			size_t nf;

			err = np__tc_filters(ifx[i], parent, &nf, &ours);
			if (err == -EINVAL) /* no clsact qdisc */
				np__tc_qdisc_create(ifx[i]);
			if (!ours)
				LOG(dp, NP_LOG_WARN,
				    "%s: no filter of ours on the tc %s hook: "
				    "putting it back",
				    name, h ? "egress" : "ingress");
		}
		err = np__tc_filter_ensure(dp, ifx[i], BPF_TC_INGRESS,
					   NP_DIR_EGRESS);
		if (!err)
			err = np__tc_filter_ensure(dp, ifx[i], BPF_TC_EGRESS,
						   NP_DIR_INGRESS);
		if (err)
			LOG(dp, NP_LOG_ERROR, "%s: restoring filters: %s", name,
			    strerror(-err));
	}
	free(ifx);
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
	if (!err)
		err = np__cache_rebuild(dp);
	/* existing_only opens are for inspection: they repair nothing */
	dp->read_only = existing;
	if (!err && !existing && stale_collect(dp))
		np__gen_bump(dp);
	if (!err && !existing)
		err = np__epa_reconcile(dp);
	if (!err && !existing)
		filters_check(dp);
	dp_unlock(dp);
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
	if (dp->events_mine && dp->rt)
		__atomic_store_n(&dp->rt->events_on, 0, __ATOMIC_RELEASE);
	if (dp->dirfd >= 0 && !dp->read_only && !dp_begin(dp)) {
		np__reap(dp, true);
		dp_end(dp, false);
	}
	dp_free(dp);
}

static void pod_teardown(struct np_datapath *dp, uint32_t ifindex)
{
	struct np_pod_value pod;
	char name[IF_NAMESIZE];

	if (!if_indextoname(ifindex, name))
		return;
	np__tc_filter_remove(dp, ifindex, BPF_TC_INGRESS, NP_DIR_EGRESS);
	np__tc_filter_remove(dp, ifindex, BPF_TC_EGRESS, NP_DIR_INGRESS);
	if (!bpf_map_lookup_elem(dp->map_fd[M_PODS], &ifindex, &pod) &&
	    (pod.flags & NP_PODF_QDISC))
		np__tc_qdisc_release(dp, ifindex);
}

NP_API int np_datapath_destroy(struct np_datapath *dp)
{
	uint32_t *ifx = NULL;
	size_t n = 0, i;
	int err;

	if (!dp)
		return -EINVAL;
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
	dp_unlock(dp);
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
	struct np_pod_value pod = { 0 }, old;
	struct np_ep_value ep = { 0 };
	struct np_ifid id;
	char other[PATH_MAX];
	bool new_ep = false, new_qdisc = false, made = false;
	const char *ifname, *pod_ns, *pod_name;
	unsigned int ifindex;
	uint32_t slot;
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
	if (!dp) {
		diag_set(diag, -EINVAL, "invalid argument: no datapath");
		return -EINVAL;
	}
	if ((!ifname && !ifindex) || (ifname && !*ifname)) {
		diag_set(diag, -EINVAL,
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
	err = dp_begin(dp);
	if (err) {
		attach_diag(diag, err, ifname, ifindex, "datapath: %s",
			    strerror(-err));
		return err;
	}
	/* a record of a vanished interface on this ifindex is not this one's */
	if (!bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &ep) &&
	    stale_one(dp, ifindex))
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

	if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &ep)) {
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
		/* the record exists before the filters: no unjudged packet */
		err = bpf_map_update_elem(dp->map_fd[M_ENDPOINTS], &ifindex,
					  &ep, BPF_NOEXIST);
		if (err) {
			attach_diag(diag, err, ifname, ifindex,
				    "adding the endpoint: %s", strerror(-err));
			goto out;
		}
		dp->slot_used[slot] = 1;
		new_ep = made = true;
		err = np__epa_sync(dp, ifindex, &ep);
		if (err)
			goto fail;
	}
	if (!bpf_map_lookup_elem(dp->map_fd[M_PODS], &ifindex, &old))
		pod.flags = old.flags;

	/* -EEXIST: a clsact qdisc is there (not ours to remove) */
	err = np__tc_qdisc_create(ifindex);
	if (!err)
		new_qdisc = true;
	else if (err != -EEXIST)
		goto fail;
	if (new_qdisc)
		pod.flags |= NP_PODF_QDISC;
	copy_name(pod.ns, sizeof(pod.ns), pod_ns);
	copy_name(pod.name, sizeof(pod.name), pod_name);
	err = bpf_map_update_elem(dp->map_fd[M_PODS], &ifindex, &pod, BPF_ANY);
	if (err)
		goto fail;
	err = np__tc_filter_ensure(dp, ifindex, BPF_TC_INGRESS, NP_DIR_EGRESS);
	if (!err)
		err = np__tc_filter_ensure(dp, ifindex, BPF_TC_EGRESS,
					   NP_DIR_INGRESS);
	if (!err)
		err = np__link_ident(ifindex, &id);
	if (!err)
		err = bpf_map_update_elem(dp->map_fd[M_IFID], &ifindex, &id,
					  BPF_ANY);
	if (err)
		goto fail;
	LOG(dp, NP_LOG_DEBUG, "ifindex %u attached (%s/%s)", ifindex, pod.ns,
	    pod.name);
	dp_end(dp, true);
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
		np__tc_filter_remove(dp, ifindex, BPF_TC_INGRESS,
				     NP_DIR_EGRESS);
		np__tc_filter_remove(dp, ifindex, BPF_TC_EGRESS,
				     NP_DIR_INGRESS);
		if (new_qdisc)
			np__tc_qdisc_release(dp, ifindex);
		bpf_map_delete_elem(dp->map_fd[M_PODS], &ifindex);
		bpf_map_delete_elem(dp->map_fd[M_IFID], &ifindex);
		np__epa_release(dp, ifindex);
		bpf_map_delete_elem(dp->map_fd[M_ENDPOINTS], &ifindex);
		dp->slot_used[ep.dir[0].slot] = 0;
	}
out:
	dp_end(dp, new_ep);
	return err;
}

/* Forget a pod: its record, its rule-set references, its conntrack. */
static void pod_forget(struct np_datapath *dp, uint32_t ifindex)
{
	struct np_ep_value ep;
	int d;

	if (!bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &ep)) {
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
	ct_sweep(dp, true, ifindex);
}

NP_API int np_datapath_detach(struct np_datapath *dp, unsigned int ifindex)
{
	struct np_ep_value ep;
	int err;

	if (!dp || !ifindex)
		return -EINVAL;
	err = dp_begin(dp);
	if (err)
		return err;
	if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &ep)) {
		dp_end(dp, false);
		return -ENOENT;
	}
	pod_teardown(dp, ifindex);
	pod_forget(dp, ifindex);
	np__reap(dp, false);
	dp_end(dp, true);
	return 0;
}

NP_API int np_datapath_gc(struct np_datapath *dp)
{
	int err;

	if (!dp)
		return -EINVAL;
	err = dp_begin(dp);
	if (err)
		return err;
	stale_collect(dp);
	ct_sweep(dp, false, 0);
	np__reap(dp, true);
	dp_end(dp, true);
	return err;
}

/* --- apply --------------------------------------------------------------- */

/* Write direction d of ms under a fresh id; *out gets it with one ref. */
static int rs_create(struct np_datapath *dp, const struct np_mapset *ms, int d,
		     uint64_t hash, uint32_t *out, struct np_diag *diag)
{
	struct np_ruleset_value rv = { .hash = hash, .dir = d };
	struct np_lpm_value *v4 = NULL, *v6 = NULL;
	size_t n4 = ms->nent[0][d], n6 = ms->nent[1][d], i;
	uint32_t id = np__rs_id_alloc(dp), gidx, *memo = NULL;
	struct rs *r;
	int err;

	if (!id)
		return -E2BIG;
	err = bpf_map_update_elem(dp->map_fd[M_RULESETS], &id, &rv,
				  BPF_NOEXIST);
	if (err) {
		diag_set(diag, err, "rule-set table: %s", strerror(-err));
		return err == -ENOSPC ? -E2BIG : err;
	}
	r = np__rs_add(dp, id, hash);
	if (!r) {
		bpf_map_delete_elem(dp->map_fd[M_RULESETS], &id);
		return -ENOMEM;
	}
	r->refs = 1;
	r->k4 = calloc(n4 ? n4 : 1, sizeof(*r->k4));
	r->k6 = calloc(n6 ? n6 : 1, sizeof(*r->k6));
	r->g4 = calloc(n4 ? n4 : 1, sizeof(*r->g4));
	r->g6 = calloc(n6 ? n6 : 1, sizeof(*r->g6));
	v4 = calloc(n4 ? n4 : 1, sizeof(*v4));
	v6 = calloc(n6 ? n6 : 1, sizeof(*v6));
	/* the global slot of each of ms's port sets, once found */
	memo = calloc(ms->nportsets + 1, sizeof(*memo));
	if (!r->k4 || !r->k6 || !r->g4 || !r->g6 || !v4 || !v6 || !memo) {
		err = -ENOMEM;
		goto fail;
	}
	r->cap4 = n4 ? n4 : 1;
	r->cap6 = n6 ? n6 : 1;
	for (i = 0; i < n4 + n6; i++) {
		bool six = i >= n4;
		const struct np_map_entry *e = six ? &ms->ent[1][d][i - n4] :
						     &ms->ent[0][d][i];

		gidx = memo[e->portset];
		err = gidx ? 0 :
			     np__gps_get(dp, r, &ms->portsets[e->portset],
					 &gidx);
		if (err) {
			diag_set(diag, err, "port sets: %s",
				 err == -E2BIG ? "table full" : strerror(-err));
			goto fail;
		}
		memo[e->portset] = gidx;
		if (six) {
			struct np_lpm_key_v6 *k = &r->k6[i - n4];

			k->prefixlen = NP_RULESET_BITS + e->cidr.len;
			k->ruleset = htonl(id);
			memcpy(k->addr, e->cidr.addr, 16);
			r->g6[i - n4] = gidx;
			v6[i - n4].portset = gidx |
					     (uint32_t)e->cidr.len
						     << NP_LPM_PLEN_SHIFT;
		} else {
			struct np_lpm_key_v4 *k = &r->k4[i];

			k->prefixlen = NP_RULESET_BITS + e->cidr.len;
			k->ruleset = htonl(id);
			memcpy(k->addr, e->cidr.addr, 4);
			r->g4[i] = gidx;
			v4[i].portset = gidx | (uint32_t)e->cidr.len
						       << NP_LPM_PLEN_SHIFT;
		}
	}
	/* keys are recorded first so that a failure deletes what was sent */
	r->n4 = n4;
	r->n6 = n6;
	err = np__rules_write(dp, 0, r->k4, v4, n4);
	if (!err)
		err = np__rules_write(dp, 1, r->k6, v6, n6);
	if (err) {
		/* full: -ENOSPC from the trie, -E2BIG from the hash */
		if (err == -ENOSPC)
			err = -E2BIG;
		diag_set(diag, err, "writing %zu IPv4 and %zu IPv6 keys: %s",
			 n4, n6,
			 err == -E2BIG ? "rule maps full" : strerror(-err));
		goto fail;
	}
	free(v4);
	free(v6);
	free(memo);
	*out = id;
	return 0;
fail:
	free(v4);
	free(v6);
	free(memo);
	/* never published: no packet can see it, delete at once */
	np__rs_destroy(dp, np__rs_by_id(dp, id));
	return err;
}

/*
 * The flip: one update of the endpoint record (a packet reads ids and
 * states at once), then its ep_cache words. On error the old record stays.
 */
static int ep_flip(struct np_datapath *dp, uint32_t ifindex,
		   const struct np_ep_value *old, const struct np_ep_value *nep)
{
	int err = bpf_map_update_elem(dp->map_fd[M_ENDPOINTS], &ifindex, nep,
				      BPF_EXIST);

	if (!err) {
		err = np__epa_sync(dp, ifindex, nep);
		if (err) /* the cache is stale: put the old record back */
			bpf_map_update_elem(dp->map_fd[M_ENDPOINTS], &ifindex,
					    old, BPF_EXIST);
	}
	return err;
}

int np__datapath_apply_mapset(struct np_datapath *dp, unsigned int ifindex,
			      const struct np_mapset *ms, struct np_diag *diag)
{
	struct np_ep_value old, nep;
	uint32_t got[2] = { 0, 0 };
	int d, err;

	if (!dp || !ifindex || !ms) {
		diag_set(diag, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	err = np__mapset_check(ms);
	if (err) {
		diag_set(diag, -EINVAL,
			 "malformed map set: entries, port set indexes "
			 "or slots (sorted, disjoint, at most %d) out of order",
			 NP_MAX_SLOTS);
		return err;
	}
	err = dp_begin(dp);
	if (err) {
		diag_set(diag, err, "datapath: %s", strerror(-err));
		return err;
	}
	if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &old)) {
		diag_set(diag, -ENOENT, "ifindex %u is not attached", ifindex);
		dp_end(dp, false);
		return -ENOENT;
	}
	nep = old;
	for (d = 0; d < 2; d++) {
		uint64_t h;
		size_t i;

		if (!ms->isolated[d]) {
			nep.dir[d].state = NP_EP_UNISOLATED;
			nep.dir[d].ruleset = 0;
			nep.dir[d].lpm = 0;
			continue;
		}
		h = np__dp_digest(ms, d);
		for (i = 0; i < dp->nrs; i++)
			if (dp->rs[i].hash == h &&
			    np__rs_holds(dp, &dp->rs[i], ms, d))
				break;
		if (i < dp->nrs) {
			/* shared, perhaps revived from retirement */
			dp->rs[i].refs++;
			got[d] = dp->rs[i].id;
		} else {
			err = rs_create(dp, ms, d, h, &got[d], diag);
			if (err)
				goto rollback;
		}
		nep.dir[d].state = NP_EP_POLICIES_APPLIED;
		nep.dir[d].ruleset = got[d];
		nep.dir[d].lpm = np__mapset_lpm_flags(ms, d);
	}
	err = ep_flip(dp, ifindex, &old, &nep);
	if (err) {
		diag_set(diag, err, "updating the endpoint: %s",
			 strerror(-err));
		goto rollback;
	}
	for (d = 0; d < 2; d++)
		if (old.dir[d].state == NP_EP_POLICIES_APPLIED)
			np__rs_put(dp, old.dir[d].ruleset);
	np__reap(dp, false);
	dp_end(dp, true);
	return 0;
rollback:
	for (d = 0; d < 2; d++) {
		struct rs *r = got[d] ? np__rs_by_id(dp, got[d]) : NULL;

		if (r && --r->refs == 0) {
			if (r->retired_ns)
				r->retired_ns = mono_ns(CLOCK_MONOTONIC);
			else
				np__rs_destroy(dp, r); /* never published */
		}
	}
	LOG(dp, NP_LOG_ERROR, "ifindex %u: rules not applied: %s", ifindex,
	    diag ? diag->message : strerror(-err));
	if (err == -E2BIG && diag) /* a map is full: what it isolates */
		diag->fail_closed_dirs = (ms->isolated[0] ? 1u : 0) |
					 (ms->isolated[1] ? 2u : 0);
	dp_end(dp, true);
	return err;
}

NP_API int np_datapath_fail_closed(struct np_datapath *dp, unsigned int ifindex,
				   unsigned int dirs, struct np_diag *diag)
{
	struct np_ep_value old, nep;
	int d, err;

	if (!dp || !ifindex || !dirs || (dirs & ~3u)) {
		diag_set(diag, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	err = dp_begin(dp);
	if (err) {
		diag_set(diag, err, "datapath: %s", strerror(-err));
		return err;
	}
	if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &old)) {
		diag_set(diag, -ENOENT, "ifindex %u is not attached", ifindex);
		dp_end(dp, false);
		return -ENOENT;
	}
	nep = old;
	for (d = 0; d < 2; d++)
		if (dirs & (1u << d)) {
			nep.dir[d].state = NP_EP_FAIL_CLOSED;
			nep.dir[d].ruleset = 0;
			nep.dir[d].lpm = 0;
		}
	err = ep_flip(dp, ifindex, &old, &nep);
	if (err) {
		diag_set(diag, err, "updating the endpoint: %s",
			 strerror(-err));
		dp_end(dp, false);
		return err;
	}
	for (d = 0; d < 2; d++)
		if ((dirs & (1u << d)) &&
		    old.dir[d].state == NP_EP_POLICIES_APPLIED)
			np__rs_put(dp, old.dir[d].ruleset);
	np__reap(dp, false);
	LOG(dp, NP_LOG_WARN, "ifindex %u: failing closed (%s%s%s)", ifindex,
	    dirs & 1 ? "ingress" : "", dirs == 3 ? ", " : "",
	    dirs & 2 ? "egress" : "");
	dp_end(dp, true);
	return 0;
}

NP_API int np_datapath_apply(struct np_datapath *dp, unsigned int ifindex,
			     const struct np_ruleset *rs, struct np_diag *diag)
{
	struct np_mapset *ms;
	int err;

	if (!dp || !ifindex || !rs) {
		diag_set(diag, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	err = np_mapset_encode(&ms, rs);
	if (err) {
		diag_set(diag, err, "encoding the rule set: %s",
			 strerror(-err));
		return err;
	}
	err = np__datapath_apply_mapset(dp, ifindex, ms, diag);
	np_mapset_free(ms);
	return err;
}

size_t np__datapath_nrulesets(struct np_datapath *dp)
{
	size_t i, n = 0;

	if (!dp || dp_begin(dp))
		return 0;
	for (i = 0; i < dp->nrs; i++)
		n++;
	dp_end(dp, false);
	return n;
}

size_t np__datapath_ruleset_keys(struct np_datapath *dp, uint32_t id)
{
	struct rs *r;
	size_t n = 0;

	if (!dp || dp_begin(dp))
		return 0;
	r = np__rs_by_id(dp, id);
	if (r)
		n = r->n4 + r->n6;
	dp_end(dp, false);
	return n;
}

size_t np__datapath_nportsets(struct np_datapath *dp)
{
	size_t i, n = 0;

	if (!dp || dp_begin(dp))
		return 0;
	for (i = 1; i < NP_MAX_PORTSETS; i++)
		if (dp->gps[i].refs)
			n++;
	dp_end(dp, false);
	return n;
}
