// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The datapath loader: the only file that touches the kernel.
 *
 * Pinned under pin_root (default /sys/fs/bpf/netpol):
 *   prog_egress, prog_ingress   the TC programs (np_tc_egress_pod, ...)
 *   endpoints lpm_v4 lpm_v6 portsets counters ct_v4 ct_v6 frags events
 *   pods rulesets bss rodata     the maps of bpf/netpol.bpf.c
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
#include <linux/if_ether.h>
#include <linux/magic.h>
#include <linux/membarrier.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netpol/mapset.h"

#include "datapath_internal.h"
#include "util.h"

#include "../bpf/netpol_abi.h"
#include "netpol.skel.h"

#define NP_DEFAULT_PIN_ROOT	"/sys/fs/bpf/netpol"
#define NP_BPFFS		"/sys/fs/bpf"
#define NP_TC_HANDLE		0x4e50	/* "NP" */
#define NP_TC_PRIO		1	/* first: filters run by priority */
#define NP_RETIRE_NS		1000000000ull	/* retired id: kept this long */
#define NP_IFX_MASK		0x00ffffffu	/* ifindex bits in conntrack */

_Static_assert((int)NP_DIRECTION_INGRESS == NP_DIR_INGRESS, "dir");
_Static_assert((int)NP_DIRECTION_EGRESS == NP_DIR_EGRESS, "dir");
_Static_assert((int)NP_POD_DEFAULT_ALLOW == NP_EP_DEFAULT_ALLOW, "state");
_Static_assert((int)NP_POD_DEFAULT_DENY == NP_EP_DEFAULT_DENY, "state");
_Static_assert((int)NP_POD_ENFORCED == NP_EP_POLICIES_APPLIED, "state");
_Static_assert((int)NP_POD_UNISOLATED == NP_EP_UNISOLATED, "state");
_Static_assert((int)NP_EVENT_ALLOW_RULE == NP_DPR_ALLOW_RULE, "reason");
_Static_assert((int)NP_EVENT_ALLOW_RELATED == NP_DPR_ALLOW_RELATED, "r");
_Static_assert((int)NP_EVENT_DENY_NO_MATCH == NP_DPR_DENY_NO_MATCH, "r");
_Static_assert((int)NP_EVENT_DENY_FRAGMENT == NP_DPR_DENY_FRAGMENT, "r");
_Static_assert(sizeof(((struct netpol_bpf *)0)->bss->np_rt) ==
	       sizeof(struct np_dp_runtime), "bss layout");
_Static_assert(sizeof(*((struct netpol_bpf *)0)->bss) ==
	       sizeof(struct np_dp_runtime), "bss holds only np_rt");
_Static_assert(sizeof(*((struct netpol_bpf *)0)->rodata) ==
	       sizeof(struct np_dp_timeouts), "rodata holds only np_timeouts");

enum {
	M_ENDPOINTS,
	M_LPM4,
	M_LPM6,
	M_PORTSETS,
	M_COUNTERS,
	M_CT4,
	M_CT6,
	M_FRAGS,
	M_EVENTS,
	M_PODS,
	M_RULESETS,
	M_BSS,
	M_RODATA,
	M__N,
};

struct mapdesc {
	const char *pin;
	uint32_t type;
	uint32_t key;
	uint32_t value;
};

static const struct mapdesc maps[M__N] = {
	[M_ENDPOINTS] = { "endpoints", BPF_MAP_TYPE_HASH, 4,
			  sizeof(struct np_ep_value) },
	[M_LPM4] = { "lpm_v4", BPF_MAP_TYPE_LPM_TRIE,
		     sizeof(struct np_lpm_key_v4),
		     sizeof(struct np_lpm_value) },
	[M_LPM6] = { "lpm_v6", BPF_MAP_TYPE_LPM_TRIE,
		     sizeof(struct np_lpm_key_v6),
		     sizeof(struct np_lpm_value) },
	[M_PORTSETS] = { "portsets", BPF_MAP_TYPE_ARRAY, 4,
			 sizeof(struct np_portset) },
	[M_COUNTERS] = { "counters", BPF_MAP_TYPE_PERCPU_ARRAY, 4,
			 sizeof(struct np_counters) },
	[M_CT4] = { "ct_v4", BPF_MAP_TYPE_LRU_HASH,
		    sizeof(struct np_ct_key_v4), sizeof(struct np_ct_value) },
	[M_CT6] = { "ct_v6", BPF_MAP_TYPE_LRU_HASH,
		    sizeof(struct np_ct_key_v6), sizeof(struct np_ct_value) },
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
	[M_RODATA] = { "rodata", BPF_MAP_TYPE_ARRAY, 4,
		       sizeof(struct np_dp_timeouts) },
};

static const char *const prog_pins[2] = {
	[NP_DIR_INGRESS] = "prog_ingress",
	[NP_DIR_EGRESS] = "prog_egress",
};

/* One rule-set id as this handle knows it. */
struct rs {
	uint32_t id;
	uint32_t refs;		/* endpoint directions using it */
	uint64_t hash;		/* content digest */
	uint64_t retired_ns;	/* refs fell to 0 then (CLOCK_MONOTONIC) */
	struct np_lpm_key_v4 *k4;
	size_t n4;
	size_t cap4;
	struct np_lpm_key_v6 *k6;
	size_t n6;
	size_t cap6;
	uint32_t *ps;		/* distinct global port sets it holds */
	size_t nps;
	size_t capps;
};

/* One global port set slot. */
struct gps {
	uint32_t refs;		/* rule sets holding it */
	uint64_t hash;
	struct np_portset set;	/* normalized: unused slots zero */
};

struct np_datapath {
	char *pin_root;
	int dirfd;
	enum np_mode mode;
	np_log_fn log;
	void *log_ctx;
	int prog_fd[2];		/* by enum np_dir */
	uint32_t prog_id[2];
	int map_fd[M__N];
	struct np_dp_runtime *rt;	/* the mmaped .bss */
	size_t rt_len;
	struct np_dp_timeouts to;
	bool events_mine;
	int ncpus;
	int lpm_batch;		/* -1 unknown, 0 unsupported, 1 works */
	int locked;		/* flock depth */
	/* cache of the pinned state, valid while gen matches */
	uint64_t gen;
	bool cache_valid;
	struct rs *rs;
	size_t nrs;
	size_t caprs;
	struct gps *gps;	/* NP_MAX_PORTSETS, [0] never used */
	uint8_t *slot_used;	/* NP_MAX_ENDPOINTS */
	/* events */
	struct ring_buffer *rb;
	np_event_fn ev_cb;
	void *ev_ctx;
	int ev_err;
	int64_t rt_offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	struct np_pod_value ev_pod;
};

#define LOG(dp, lvl, ...) np__log((dp)->log, (dp)->log_ctx, (lvl), __VA_ARGS__)

/* Option fields the caller's struct has (the libbpf way). */
#define OPT(opts, field, def)						\
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +	\
			       sizeof((opts)->field) ? (opts)->field : (def))

static uint64_t mono_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

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

/* --- locking and the generation counter --------------------------------- */

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
	return 0;
}

static void dp_unlock(struct np_datapath *dp)
{
	if (--dp->locked == 0)
		flock(dp->dirfd, LOCK_UN);
}

static uint64_t gen_read(struct np_datapath *dp)
{
	struct np_ruleset_value v = { 0 };
	uint32_t k = 0;

	if (bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &k, &v))
		return 0;
	return v.hash;
}

/* After a change: tell other processes their caches are stale. */
static void gen_bump(struct np_datapath *dp)
{
	struct np_ruleset_value v = { 0 };
	uint32_t k = 0;

	v.hash = gen_read(dp) + 1;
	if (!bpf_map_update_elem(dp->map_fd[M_RULESETS], &k, &v, BPF_ANY))
		dp->gen = v.hash;
	else
		dp->cache_valid = false;
}

/* --- the cache: rule sets, port sets, slots ----------------------------- */

static void rs_free_one(struct rs *r)
{
	free(r->k4);
	free(r->k6);
	free(r->ps);
}

static void cache_clear(struct np_datapath *dp)
{
	size_t i;

	for (i = 0; i < dp->nrs; i++)
		rs_free_one(&dp->rs[i]);
	dp->nrs = 0;
	memset(dp->gps, 0, NP_MAX_PORTSETS * sizeof(*dp->gps));
	memset(dp->slot_used, 0, NP_MAX_ENDPOINTS);
	dp->cache_valid = false;
}

static struct rs *rs_by_id(struct np_datapath *dp, uint32_t id)
{
	size_t i;

	for (i = 0; i < dp->nrs; i++)
		if (dp->rs[i].id == id)
			return &dp->rs[i];
	return NULL;
}

static struct rs *rs_add(struct np_datapath *dp, uint32_t id, uint64_t hash)
{
	struct rs *r;

	if (NP_GROW(dp->rs, dp->caprs, dp->nrs + 1))
		return NULL;
	r = &dp->rs[dp->nrs++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->hash = hash;
	return r;
}

static int rs_hold_ps(struct rs *r, uint32_t gidx)
{
	size_t i;

	for (i = 0; i < r->nps; i++)
		if (r->ps[i] == gidx)
			return 0;
	if (NP_GROW(r->ps, r->capps, r->nps + 1))
		return -ENOMEM;
	r->ps[r->nps++] = gidx;
	return 0;
}

static void ps_normalize(struct np_portset *out, const struct np_portset *in)
{
	unsigned int n = in->count > NP_MAX_SLOTS ? NP_MAX_SLOTS : in->count;

	memset(out, 0, sizeof(*out));
	out->count = n;
	out->flags = in->flags;
	memcpy(out->slots, in->slots, n * sizeof(in->slots[0]));
}

static uint64_t ps_hash(const struct np_portset *set)
{
	return np__hash_bytes(set, sizeof(*set), 0x9e3779b97f4a7c15ull);
}

/*
 * A map's keys into a malloc'd array of ksz-byte keys. A walk restarts
 * when its previous key is deleted under it (conntrack): duplicates are
 * possible, and the walk is bounded.
 */
#define NP_MAX_WALK	(4u << 20)

static int map_keys(int fd, size_t ksz, void **out, size_t *n)
{
	unsigned char prev[64], *keys = NULL;
	size_t cnt = 0, cap = 0;
	bool first = true;
	int err;

	while (cnt < NP_MAX_WALK) {
		unsigned char *k;

		if (NP_GROW(keys, cap, (cnt + 1) * ksz)) {
			free(keys);
			return -ENOMEM;
		}
		k = keys + cnt * ksz;
		err = bpf_map_get_next_key(fd, first ? NULL : prev, k);
		if (err == -ENOENT)
			break;
		if (err) {
			free(keys);
			return err;
		}
		memcpy(prev, k, ksz);
		first = false;
		cnt++;
	}
	*out = keys;
	*n = cnt;
	return 0;
}

static void rs_delete_entries(struct np_datapath *dp, struct rs *r)
{
	size_t i;

	for (i = 0; i < r->n4; i++)
		bpf_map_delete_elem(dp->map_fd[M_LPM4], &r->k4[i]);
	for (i = 0; i < r->n6; i++)
		bpf_map_delete_elem(dp->map_fd[M_LPM6], &r->k6[i]);
	bpf_map_delete_elem(dp->map_fd[M_RULESETS], &r->id);
	for (i = 0; i < r->nps; i++) {
		struct gps *g = &dp->gps[r->ps[i]];

		if (g->refs && --g->refs == 0)
			memset(g, 0, sizeof(*g));
	}
}

/* Delete rule set r (a pointer into dp->rs) now. */
static void rs_destroy(struct np_datapath *dp, struct rs *r)
{
	size_t i = r - dp->rs;

	rs_delete_entries(dp, r);
	rs_free_one(r);
	dp->rs[i] = dp->rs[--dp->nrs];
}

static void grace_period(void)
{
	/* synchronize_rcu(): TC programs run in RCU read-side sections */
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		usleep(100000);
}

/*
 * Delete retired rule sets: those retired a second ago (no packet takes a
 * second), or all of them after a grace period when force is set.
 */
static void reap(struct np_datapath *dp, bool force)
{
	uint64_t now = mono_ns(CLOCK_MONOTONIC);
	bool any = false, graced = false;
	size_t i;

	for (i = 0; i < dp->nrs; i++)
		if (!dp->rs[i].refs && (force ||
		    now - dp->rs[i].retired_ns >= NP_RETIRE_NS))
			any = true;
	if (!any)
		return;
	for (i = 0; i < dp->nrs;) {
		struct rs *r = &dp->rs[i];

		if (r->refs || (!force && now - r->retired_ns < NP_RETIRE_NS)) {
			i++;
			continue;
		}
		if (force && !graced &&
		    now - r->retired_ns < NP_RETIRE_NS) {
			grace_period();
			graced = true;
		}
		rs_destroy(dp, r);
	}
	gen_bump(dp);
}

static void rs_put(struct np_datapath *dp, uint32_t id)
{
	struct rs *r = rs_by_id(dp, id);

	if (!r || !r->refs)
		return;
	if (--r->refs == 0)
		r->retired_ns = mono_ns(CLOCK_MONOTONIC);
}

static int lpm_walk(struct np_datapath *dp, int fam)
{
	int fd = dp->map_fd[fam ? M_LPM6 : M_LPM4];
	size_t ksz = fam ? sizeof(struct np_lpm_key_v6) :
			   sizeof(struct np_lpm_key_v4);
	unsigned char *keys;
	size_t n, i;
	int err;

	err = map_keys(fd, ksz, (void **)&keys, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		const void *k = keys + i * ksz;
		struct np_lpm_value v;
		uint32_t id, gidx;
		struct rs *r;

		id = ntohl(((const struct np_lpm_key_v4 *)k)->ruleset);
		r = rs_by_id(dp, id);
		if (!r || bpf_map_lookup_elem(fd, k, &v)) {
			/* no owner: a crash mid-apply; nobody points at it */
			bpf_map_delete_elem(fd, k);
			continue;
		}
		gidx = v.portset & NP_LPM_PS_MASK;
		if (gidx && gidx < NP_MAX_PORTSETS)
			err = rs_hold_ps(r, gidx);
		if (err)
			break;
		if (fam) {
			if (NP_GROW(r->k6, r->cap6, r->n6 + 1))
				err = -ENOMEM;
			else
				memcpy(&r->k6[r->n6++], k, ksz);
		} else {
			if (NP_GROW(r->k4, r->cap4, r->n4 + 1))
				err = -ENOMEM;
			else
				memcpy(&r->k4[r->n4++], k, ksz);
		}
	}
	free(keys);
	return err;
}

/* Rebuild the cache from the pinned maps. Called with the lock held. */
static int cache_rebuild(struct np_datapath *dp)
{
	struct np_ep_value ep;
	uint32_t *ids = NULL, *eps = NULL;
	size_t nids, neps, i, j;
	int err;

	cache_clear(dp);
	dp->gen = gen_read(dp);

	err = map_keys(dp->map_fd[M_RULESETS], 4, (void **)&ids, &nids);
	if (err)
		goto out;
	for (i = 0; i < nids; i++) {
		struct np_ruleset_value v;

		if (!ids[i] ||
		    bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &ids[i], &v))
			continue;
		if (!rs_add(dp, ids[i], v.hash)) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = lpm_walk(dp, 0);
	if (!err)
		err = lpm_walk(dp, 1);
	if (err)
		goto out;

	err = map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&eps, &neps);
	if (err)
		goto out;
	for (i = 0; i < neps; i++) {
		if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &eps[i], &ep))
			continue;
		if (ep.slot < NP_MAX_ENDPOINTS)
			dp->slot_used[ep.slot] = 1;
		for (j = 0; j < 2; j++) {
			struct rs *r;

			if (ep.state[j] != NP_EP_POLICIES_APPLIED)
				continue;
			r = rs_by_id(dp, ep.ruleset[j]);
			if (r)
				r->refs++;
		}
	}

	/* port sets: refcounts from the rule sets, contents from the map */
	for (i = 0; i < dp->nrs; i++) {
		struct rs *r = &dp->rs[i];

		for (j = 0; j < r->nps; j++) {
			struct gps *g = &dp->gps[r->ps[j]];

			if (!g->refs++) {
				struct np_portset raw;

				if (bpf_map_lookup_elem(dp->map_fd[M_PORTSETS],
							&r->ps[j], &raw))
					memset(&raw, 0, sizeof(raw));
				ps_normalize(&g->set, &raw);
				g->hash = ps_hash(&g->set);
			}
		}
	}
	dp->cache_valid = true;
	/*
	 * Unused ids: retired by another process (or left by one that
	 * crashed) perhaps a moment ago. Retire them here too, from now on.
	 */
	for (i = 0; i < dp->nrs; i++)
		if (!dp->rs[i].refs)
			dp->rs[i].retired_ns = mono_ns(CLOCK_MONOTONIC);
out:
	free(ids);
	free(eps);
	if (err)
		cache_clear(dp);
	return err;
}

/* Lock, and make sure the cache reflects the maps. */
static int dp_begin(struct np_datapath *dp)
{
	int err = dp_lock(dp);

	if (err)
		return err;
	if (!dp->cache_valid || gen_read(dp) != dp->gen) {
		err = cache_rebuild(dp);
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
		gen_bump(dp);
	dp_unlock(dp);
}

/* --- tc ------------------------------------------------------------------ */

static const char *hook_name(enum bpf_tc_attach_point ap)
{
	return ap == BPF_TC_INGRESS ? "ingress" : "egress";
}

/*
 * An rtnetlink dump of tc objects (RTM_GETTFILTER, RTM_GETQDISC), each
 * reply handed to cb. Dumps rather than libbpf's queries: the kernel
 * reports a missing object with an error message that libbpf prints.
 */
static int tc_dump(int type, unsigned int ifindex, uint32_t parent,
		   void (*cb)(const struct nlmsghdr *nh, void *ctx), void *ctx)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		.nh.nlmsg_type = type,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.nh.nlmsg_seq = 1,
		.tc.tcm_family = AF_UNSPEC,
		.tc.tcm_ifindex = ifindex,
		.tc.tcm_parent = parent,
	};
	char buf[16384];
	int fd, err = 0;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		err = -errno;
		goto out;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (len == 0)
			break;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				err = e->error;
				goto out;
			}
			cb(nh, ctx);
		}
	}
out:
	close(fd);
	return err;
}

struct filter_count {
	unsigned int ifindex;
	size_t n;
	bool ours;
};

static void count_filter(const struct nlmsghdr *nh, void *ctx)
{
	const struct tcmsg *tc = NLMSG_DATA(nh);
	struct filter_count *fc = ctx;

	if (nh->nlmsg_type != RTM_NEWTFILTER ||
	    (unsigned int)tc->tcm_ifindex != fc->ifindex)
		return;
	fc->n++;
	if (tc->tcm_handle == NP_TC_HANDLE &&
	    TC_H_MAJ(tc->tcm_info) >> 16 == NP_TC_PRIO)
		fc->ours = true;
}

/* The filters on one clsact hook, and whether ours is among them. */
static int tc_filters(unsigned int ifindex, uint32_t parent, size_t *n,
		      bool *ours)
{
	struct filter_count fc = { .ifindex = ifindex };
	int err = tc_dump(RTM_GETTFILTER, ifindex, parent, count_filter, &fc);

	*n = fc.n;
	if (ours)
		*ours = fc.ours;
	return err;
}

struct qdisc_find {
	unsigned int ifindex;
	bool found;
};

static void find_clsact(const struct nlmsghdr *nh, void *ctx)
{
	const struct tcmsg *tc = NLMSG_DATA(nh);
	struct qdisc_find *qf = ctx;
	const struct rtattr *a = (const struct rtattr *)
		((const char *)tc + NLMSG_ALIGN(sizeof(*tc)));
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc));

	if (nh->nlmsg_type != RTM_NEWQDISC ||
	    (unsigned int)tc->tcm_ifindex != qf->ifindex ||
	    tc->tcm_parent != TC_H_CLSACT)
		return;
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == TCA_KIND &&
		    !strncmp(RTA_DATA(a), "clsact", RTA_PAYLOAD(a)))
			qf->found = true;
}

/* Whether ifindex has a clsact qdisc. */
static bool clsact_exists(unsigned int ifindex)
{
	struct qdisc_find qf = { .ifindex = ifindex };

	if (tc_dump(RTM_GETQDISC, ifindex, 0, find_clsact, &qf))
		return false;
	return qf.found;
}

/* Our filter on a hook: 0 and q->prog_id, or -ENOENT. */
static int filter_query(struct bpf_tc_hook *hook, struct bpf_tc_opts *q)
{
	uint32_t parent = TC_H_MAKE(TC_H_CLSACT,
				    hook->attach_point == BPF_TC_INGRESS ?
				    TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
	bool ours;
	size_t n;
	int err;

	err = tc_filters(hook->ifindex, parent, &n, &ours);
	if (err == -EINVAL || (!err && !ours))
		return -ENOENT;	/* no clsact qdisc or no filter of ours */
	if (err)
		return err;
	return bpf_tc_query(hook, q);
}

/* Make the filter at our handle/prio on hook ap run prog dir. */
static int filter_ensure(struct np_datapath *dp, unsigned int ifindex,
			 enum bpf_tc_attach_point ap, int dir)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = ap);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = NP_TC_HANDLE,
			    .priority = NP_TC_PRIO);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .handle = NP_TC_HANDLE,
			    .priority = NP_TC_PRIO,
			    .prog_fd = dp->prog_fd[dir]);
	int err;

	err = filter_query(&hook, &q);
	if (!err) {
		if (q.prog_id == dp->prog_id[dir])
			return 0;
		LOG(dp, NP_LOG_WARN,
		    "ifindex %u: tc %s filter %#x prio %u runs BPF program %u, "
		    "not ours (%u): replacing it", ifindex, hook_name(ap),
		    NP_TC_HANDLE, NP_TC_PRIO, q.prog_id, dp->prog_id[dir]);
		o.flags = BPF_TC_F_REPLACE;
	} else if (err != -ENOENT) {
		return err;
	}
	return bpf_tc_attach(&hook, &o);
}

/* Remove our filter from hook ap if it runs our program. */
static int filter_remove(struct np_datapath *dp, unsigned int ifindex,
			 enum bpf_tc_attach_point ap, int dir)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = ap);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = NP_TC_HANDLE,
			    .priority = NP_TC_PRIO);
	int err;

	err = filter_query(&hook, &q);
	if (err)
		return err == -ENOENT || err == -ENODEV ? 0 : err;
	if (q.prog_id != dp->prog_id[dir]) {
		LOG(dp, NP_LOG_WARN, "ifindex %u: tc %s filter %#x runs "
		    "program %u, not ours: left alone", ifindex,
		    hook_name(ap), NP_TC_HANDLE, q.prog_id);
		return 0;
	}
	q.prog_id = 0;
	q.flags = 0;
	err = bpf_tc_detach(&hook, &q);
	return err == -ENOENT ? 0 : err;
}

/* Remove the clsact qdisc if we created it and nothing else is in it. */
static void qdisc_release(struct np_datapath *dp, unsigned int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	size_t in = 0, eg = 0;

	if (tc_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), &in,
		       NULL) ||
	    tc_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS), &eg,
		       NULL))
		return;
	if (in || eg) {
		LOG(dp, NP_LOG_INFO, "ifindex %u: clsact qdisc kept: %zu "
		    "other filters", ifindex, in + eg);
		return;
	}
	bpf_tc_hook_destroy(&hook);
}

/* --- open, close, destroy ------------------------------------------------ */

static int pin_path(char *buf, size_t size, const char *root,
		    const char *name)
{
	int n = snprintf(buf, size, "%s/%s", root, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	size_t i, len = strlen(path);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		tmp[i] = path[i];
	}
	return 0;
}

static int ensure_bpffs(struct np_datapath *dp)
{
	size_t n = strlen(NP_BPFFS);
	struct statfs st;

	if (strncmp(dp->pin_root, NP_BPFFS "/", n + 1))
		return 0;	/* elsewhere: the caller's business */
	if (!statfs(NP_BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", NP_BPFFS, "bpf", 0, "mode=0700"))
		return -errno;
	LOG(dp, NP_LOG_INFO, "mounted bpffs at %s", NP_BPFFS);
	return 0;
}

static void unpin_all(struct np_datapath *dp)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < 2; i++)
		if (!pin_path(path, sizeof(path), dp->pin_root, prog_pins[i]))
			unlink(path);
	for (i = 0; i < M__N; i++)
		if (!pin_path(path, sizeof(path), dp->pin_root, maps[i].pin))
			unlink(path);
}

/* Load the programs from the embedded skeleton and pin everything. */
static int load_and_pin(struct np_datapath *dp, uint32_t ct_size)
{
	struct netpol_bpf *skel;
	struct bpf_map *m[M__N];
	struct bpf_program *p[2];
	char path[PATH_MAX];
	int i, err;

	skel = netpol_bpf__open();
	if (!skel)
		return -errno;
	m[M_ENDPOINTS] = skel->maps.endpoints;
	m[M_LPM4] = skel->maps.lpm_v4;
	m[M_LPM6] = skel->maps.lpm_v6;
	m[M_PORTSETS] = skel->maps.portsets;
	m[M_COUNTERS] = skel->maps.counters;
	m[M_CT4] = skel->maps.ct_v4;
	m[M_CT6] = skel->maps.ct_v6;
	m[M_FRAGS] = skel->maps.frags;
	m[M_EVENTS] = skel->maps.events;
	m[M_PODS] = skel->maps.pods;
	m[M_RULESETS] = skel->maps.rulesets;
	m[M_BSS] = skel->maps.bss;
	m[M_RODATA] = skel->maps.rodata;
	p[NP_DIR_INGRESS] = skel->progs.np_tc_ingress_pod;
	p[NP_DIR_EGRESS] = skel->progs.np_tc_egress_pod;

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
		LOG(dp, NP_LOG_ERROR, "loading the BPF programs: %s",
		    strerror(-err));
		goto out;
	}
	for (i = 0; i < M__N && !err; i++) {
		err = pin_path(path, sizeof(path), dp->pin_root, maps[i].pin);
		if (!err)
			err = bpf_map__pin(m[i], path);
	}
	for (i = 0; i < 2 && !err; i++) {
		err = pin_path(path, sizeof(path), dp->pin_root, prog_pins[i]);
		if (!err)
			err = bpf_program__pin(p[i], path);
	}
	if (err) {
		LOG(dp, NP_LOG_ERROR, "pinning under %s: %s", dp->pin_root,
		    strerror(-err));
		unpin_all(dp);
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

	for (i = 0; i < 2; i++) {
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
		if (info.type != BPF_PROG_TYPE_SCHED_CLS) {
			LOG(dp, NP_LOG_ERROR, "%s is not a TC program", path);
			return -EEXIST;
		}
		dp->prog_id[i] = info.id;
	}
	for (i = 0; i < M__N; i++) {
		struct bpf_map_info info;
		uint32_t len = sizeof(info);

		err = pin_path(path, sizeof(path), dp->pin_root, maps[i].pin);
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
		if (info.type != maps[i].type ||
		    info.key_size != maps[i].key ||
		    info.value_size != maps[i].value) {
			LOG(dp, NP_LOG_ERROR, "%s does not match this "
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
	uint32_t k = 0;
	void *p;

	dp->rt_len = (dp->rt_len + pg - 1) / pg * pg;
	p = mmap(NULL, dp->rt_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 dp->map_fd[M_BSS], 0);
	if (p == MAP_FAILED)
		return -errno;
	dp->rt = p;
	if (bpf_map_lookup_elem(dp->map_fd[M_RODATA], &k, &dp->to))
		return -errno;
	return 0;
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
		LOG(dp, NP_LOG_ERROR, "node IPs: up to two IPv4 and two IPv6 "
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

static void dp_free(struct np_datapath *dp)
{
	int i;

	ring_buffer__free(dp->rb);
	if (dp->rt)
		munmap(dp->rt, dp->rt_len);
	for (i = 0; i < 2; i++)
		if (dp->prog_fd[i] >= 0)
			close(dp->prog_fd[i]);
	for (i = 0; i < M__N; i++)
		if (dp->map_fd[i] >= 0)
			close(dp->map_fd[i]);
	if (dp->dirfd >= 0)
		close(dp->dirfd);
	if (dp->gps)
		cache_clear(dp);
	free(dp->rs);
	free(dp->gps);
	free(dp->slot_used);
	free(dp->pin_root);
	free(dp);
}

/* The pods map, for the callers below. */
static int pods_list(struct np_datapath *dp, uint32_t **ifx, size_t *n)
{
	return map_keys(dp->map_fd[M_PODS], 4, (void **)ifx, n);
}

/* At open: every known pod's filters run our programs. */
static void filters_check(struct np_datapath *dp)
{
	uint32_t *ifx;
	size_t n, i;

	if (pods_list(dp, &ifx, &n))
		return;
	for (i = 0; i < n; i++) {
		char name[IF_NAMESIZE];
		int err;

		if (!if_indextoname(ifx[i], name))
			continue;	/* gone: np_datapath_gc() forgets it */
		err = filter_ensure(dp, ifx[i], BPF_TC_INGRESS,
				    NP_DIR_EGRESS);
		if (!err)
			err = filter_ensure(dp, ifx[i], BPF_TC_EGRESS,
					    NP_DIR_INGRESS);
		if (err)
			LOG(dp, NP_LOG_ERROR, "%s: restoring filters: %s",
			    name, strerror(-err));
	}
	free(ifx);
}

NP_API int np_datapath_open(struct np_datapath **out,
			    const struct np_datapath_opts *opts)
{
	const char *root = OPT(opts, pin_root, NULL);
	const char *const *ips = OPT(opts, node_ips, NULL);
	size_t nips = OPT(opts, n_node_ips, 0);
	struct np_datapath *dp;
	char path[PATH_MAX];
	int i, err;

	if (!out || (opts && opts->sz < sizeof(size_t)))
		return -EINVAL;
	*out = NULL;
	if (OPT(opts, mode, NP_MODE_STANDARD) != NP_MODE_STANDARD &&
	    OPT(opts, mode, NP_MODE_STANDARD) != NP_MODE_STRICT)
		return -EINVAL;
	if (nips && !ips)
		return -EINVAL;

	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->dirfd = -1;
	for (i = 0; i < 2; i++)
		dp->prog_fd[i] = -1;
	for (i = 0; i < M__N; i++)
		dp->map_fd[i] = -1;
	dp->mode = OPT(opts, mode, NP_MODE_STANDARD);
	dp->log = OPT(opts, log, NULL);
	dp->log_ctx = OPT(opts, log_ctx, NULL);
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

	err = ensure_bpffs(dp);
	if (err) {
		LOG(dp, NP_LOG_ERROR, "mounting bpffs at %s: %s", NP_BPFFS,
		    strerror(-err));
		goto fail;
	}
	err = mkdir_p(dp->pin_root);
	if (err) {
		LOG(dp, NP_LOG_ERROR, "%s: %s", dp->pin_root, strerror(-err));
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

	err = pin_path(path, sizeof(path), dp->pin_root,
		       prog_pins[NP_DIR_EGRESS]);
	if (!err && access(path, F_OK)) {
		unpin_all(dp);	/* left by an interrupted first load */
		err = load_and_pin(dp, OPT(opts, ct_size, 0));
	}
	if (!err)
		err = open_pinned(dp);
	if (!err)
		err = map_runtime(dp);
	if (!err && nips)
		err = np_datapath_set_node_ips(dp, ips, nips);
	if (!err && OPT(opts, events, false))
		err = np_datapath_set_events(dp, true);
	if (!err)
		err = cache_rebuild(dp);
	if (!err)
		filters_check(dp);
	dp_unlock(dp);
	if (err)
		goto fail;
	*out = dp;
	return 0;
fail:
	dp_free(dp);
	return err;
}

NP_API void np_datapath_close(struct np_datapath *dp)
{
	if (!dp)
		return;
	if (dp->events_mine && dp->rt)
		__atomic_store_n(&dp->rt->events_on, 0, __ATOMIC_RELEASE);
	if (dp->dirfd >= 0 && !dp_begin(dp)) {
		reap(dp, true);
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
	filter_remove(dp, ifindex, BPF_TC_INGRESS, NP_DIR_EGRESS);
	filter_remove(dp, ifindex, BPF_TC_EGRESS, NP_DIR_INGRESS);
	if (!bpf_map_lookup_elem(dp->map_fd[M_PODS], &ifindex, &pod) &&
	    (pod.flags & NP_PODF_QDISC))
		qdisc_release(dp, ifindex);
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
	if (!pods_list(dp, &ifx, &n))
		for (i = 0; i < n; i++)
			pod_teardown(dp, ifx[i]);
	free(ifx);
	if (dp->rt)
		__atomic_store_n(&dp->rt->events_on, 0, __ATOMIC_RELEASE);
	unpin_all(dp);
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
static void ct_sweep(struct np_datapath *dp, bool by_ifindex,
		     uint32_t ifindex)
{
	uint32_t now = mono_ns(CLOCK_MONOTONIC_COARSE) / 1000000000ull;
	int fam;

	for (fam = 0; fam < 2; fam++) {
		int fd = dp->map_fd[fam ? M_CT6 : M_CT4];
		size_t ksz = fam ? sizeof(struct np_ct_key_v6) :
				   sizeof(struct np_ct_key_v4);
		unsigned char *keys;
		size_t n, i;

		if (map_keys(fd, ksz, (void **)&keys, &n))
			continue;
		for (i = 0; i < n; i++) {
			const void *k = keys + i * ksz;
			uint32_t ifproto, tmo;
			struct np_ct_value v;
			bool del;

			ifproto = fam ?
				((const struct np_ct_key_v6 *)k)->ifproto :
				((const struct np_ct_key_v4 *)k)->ifproto;
			if (by_ifindex) {
				del = (ifproto >> 8) == (ifindex & NP_IFX_MASK);
			} else {
				if (bpf_map_lookup_elem(fd, k, &v))
					continue;
				if ((ifproto & 0xff) != IPPROTO_TCP)
					tmo = dp->to.other;
				else if (v.state == NP_CT_ESTABLISHED)
					tmo = dp->to.tcp_established;
				else if (v.state == NP_CT_CLOSING)
					tmo = dp->to.tcp_closing;
				else
					tmo = dp->to.tcp_new;
				del = now - v.last_seen > tmo;
			}
			if (del)
				bpf_map_delete_elem(fd, k);
		}
		free(keys);
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
	err = map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&ifx, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (ifx[i] != ifindex &&
		    (ifx[i] & NP_IFX_MASK) == (ifindex & NP_IFX_MASK))
			err = -EADDRINUSE;
	free(ifx);
	if (err)
		LOG(dp, NP_LOG_ERROR, "ifindex %u aliases an attached one "
		    "modulo 2^24 in conntrack keys", ifindex);
	return err;
}

static void copy_name(char *dst, size_t size, const char *src)
{
	if (!src)
		src = "";
	snprintf(dst, size, "%s", src);
}

NP_API int np_datapath_attach(struct np_datapath *dp, const char *ifname,
			      unsigned int ifindex, const char *pod_ns,
			      const char *pod_name)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	struct np_pod_value pod = { 0 }, old;
	struct np_ep_value ep = { 0 };
	bool new_ep = false, new_qdisc = false;
	uint32_t slot;
	int err;

	if (!dp || (!ifname && !ifindex) || (ifname && !*ifname))
		return -EINVAL;
	if (ifname) {
		unsigned int i = if_nametoindex(ifname);

		if (!i || (ifindex && i != ifindex))
			return i ? -EINVAL : -ENODEV;
		ifindex = i;
	} else {
		char name[IF_NAMESIZE];

		if (!if_indextoname(ifindex, name))
			return -ENODEV;
	}
	err = dp_begin(dp);
	if (err)
		return err;

	if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &ep)) {
		err = check_alias(dp, ifindex);
		if (err)
			goto out;
		for (slot = 0; slot < NP_MAX_ENDPOINTS; slot++)
			if (!dp->slot_used[slot])
				break;
		if (slot == NP_MAX_ENDPOINTS) {
			LOG(dp, NP_LOG_ERROR, "ifindex %u: %d pods attached "
			    "already", ifindex, NP_MAX_ENDPOINTS);
			err = -E2BIG;
			goto out;
		}
		counters_zero(dp, slot);
		memset(&ep, 0, sizeof(ep));
		ep.slot = slot;
		ep.state[0] = ep.state[1] = dp->mode == NP_MODE_STRICT ?
			NP_EP_DEFAULT_DENY : NP_EP_DEFAULT_ALLOW;
		/* the record exists before the filters: no unjudged packet */
		err = bpf_map_update_elem(dp->map_fd[M_ENDPOINTS], &ifindex,
					  &ep, BPF_NOEXIST);
		if (err)
			goto out;
		dp->slot_used[slot] = 1;
		new_ep = true;
	}
	if (!bpf_map_lookup_elem(dp->map_fd[M_PODS], &ifindex, &old))
		pod.flags = old.flags;

	hook.ifindex = ifindex;
	if (!clsact_exists(ifindex)) {
		err = bpf_tc_hook_create(&hook);
		if (!err)
			new_qdisc = true;
		else if (err != -EEXIST)
			goto fail;
	}
	if (new_qdisc)
		pod.flags |= NP_PODF_QDISC;
	copy_name(pod.ns, sizeof(pod.ns), pod_ns);
	copy_name(pod.name, sizeof(pod.name), pod_name);
	err = bpf_map_update_elem(dp->map_fd[M_PODS], &ifindex, &pod, BPF_ANY);
	if (err)
		goto fail;
	err = filter_ensure(dp, ifindex, BPF_TC_INGRESS, NP_DIR_EGRESS);
	if (!err)
		err = filter_ensure(dp, ifindex, BPF_TC_EGRESS, NP_DIR_INGRESS);
	if (err)
		goto fail;
	LOG(dp, NP_LOG_DEBUG, "ifindex %u attached (%s/%s)", ifindex,
	    pod.ns, pod.name);
	dp_end(dp, true);
	return 0;
fail:
	LOG(dp, NP_LOG_ERROR, "ifindex %u: attaching: %s", ifindex,
	    strerror(-err));
	if (new_ep) {
		filter_remove(dp, ifindex, BPF_TC_INGRESS, NP_DIR_EGRESS);
		filter_remove(dp, ifindex, BPF_TC_EGRESS, NP_DIR_INGRESS);
		if (new_qdisc)
			qdisc_release(dp, ifindex);
		bpf_map_delete_elem(dp->map_fd[M_PODS], &ifindex);
		bpf_map_delete_elem(dp->map_fd[M_ENDPOINTS], &ifindex);
		dp->slot_used[ep.slot] = 0;
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
		bpf_map_delete_elem(dp->map_fd[M_ENDPOINTS], &ifindex);
		for (d = 0; d < 2; d++)
			if (ep.state[d] == NP_EP_POLICIES_APPLIED)
				rs_put(dp, ep.ruleset[d]);
		if (ep.slot < NP_MAX_ENDPOINTS)
			dp->slot_used[ep.slot] = 0;
	}
	bpf_map_delete_elem(dp->map_fd[M_PODS], &ifindex);
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
	reap(dp, false);
	dp_end(dp, true);
	return 0;
}

NP_API int np_datapath_gc(struct np_datapath *dp)
{
	char name[IF_NAMESIZE];
	uint32_t *ifx;
	size_t n, i;
	int err;

	if (!dp)
		return -EINVAL;
	err = dp_begin(dp);
	if (err)
		return err;
	err = map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&ifx, &n);
	if (!err) {
		for (i = 0; i < n; i++) {
			if (if_indextoname(ifx[i], name) || errno != ENXIO)
				continue;
			LOG(dp, NP_LOG_INFO, "ifindex %u is gone: forgotten",
			    ifx[i]);
			pod_forget(dp, ifx[i]);
		}
		free(ifx);
	}
	ct_sweep(dp, false, 0);
	reap(dp, true);
	dp_end(dp, true);
	return err;
}

/* --- apply --------------------------------------------------------------- */

static int ms_check(const struct np_mapset *ms, struct np_diag *diag)
{
	int fam, d;
	size_t i;

	if (ms->nportsets > NP_MAX_PORTSETS || (ms->nportsets && !ms->portsets))
		goto bad;
	for (i = 0; i < ms->nportsets; i++) {
		const struct np_portset *ps = &ms->portsets[i];
		unsigned int j;

		if (ps->count > NP_MAX_SLOTS)
			goto bad;
		/* sorted and disjoint: the program searches them binarily */
		for (j = 0; j < ps->count; j++)
			if (ps->slots[j].lo > ps->slots[j].hi ||
			    (j && ps->slots[j].lo <= ps->slots[j - 1].hi))
				goto bad;
	}
	for (fam = 0; fam < 2; fam++) {
		for (d = 0; d < 2; d++) {
			const struct np_map_entry *e = ms->ent[fam][d];

			if (ms->nent[fam][d] && !e)
				goto bad;
			for (i = 0; i < ms->nent[fam][d]; i++)
				if (e[i].cidr.family != (fam ? 6 : 4) ||
				    e[i].cidr.len > (fam ? 128 : 32) ||
				    e[i].portset >= ms->nportsets)
					goto bad;
		}
	}
	return 0;
bad:
	diag_set(diag, -EINVAL, "malformed map set: entries, port set indexes "
		 "or slots (sorted, disjoint, at most %d) out of order",
		 NP_MAX_SLOTS);
	return -EINVAL;
}

/* The content digest of one direction: its entries and their port sets. */
static uint64_t dir_digest(const struct np_mapset *ms, int d)
{
	uint64_t h = 0x6e70646972ull;	/* "npdir" */
	struct np_portset set;
	int fam;
	size_t i;

	for (fam = 0; fam < 2; fam++) {
		uint64_t n = ms->nent[fam][d];

		h = np__hash_bytes(&n, sizeof(n), h);
		for (i = 0; i < n; i++) {
			const struct np_map_entry *e = &ms->ent[fam][d][i];

			h = np__hash_bytes(&e->cidr.len, 1, h);
			h = np__hash_bytes(e->cidr.addr, fam ? 16 : 4, h);
			ps_normalize(&set, &ms->portsets[e->portset]);
			h = np__hash_bytes(&set, sizeof(set), h);
		}
	}
	return h;
}

/* A global slot holding set, shared or new; takes a reference for r. */
static int gps_get(struct np_datapath *dp, struct rs *r,
		   const struct np_portset *in, uint32_t *out)
{
	struct np_portset set;
	uint32_t i, free_slot = 0;
	uint64_t h;
	size_t j;
	int err;

	ps_normalize(&set, in);
	h = ps_hash(&set);
	for (i = 1; i < NP_MAX_PORTSETS; i++) {
		struct gps *g = &dp->gps[i];

		if (!g->refs) {
			if (!free_slot)
				free_slot = i;
			continue;
		}
		if (g->hash == h && !memcmp(&g->set, &set, sizeof(set)))
			break;
	}
	if (i == NP_MAX_PORTSETS) {
		if (!free_slot)
			return -E2BIG;
		i = free_slot;
		err = bpf_map_update_elem(dp->map_fd[M_PORTSETS], &i, &set,
					  BPF_ANY);
		if (err)
			return err;
		dp->gps[i].set = set;
		dp->gps[i].hash = h;
	}
	*out = i;
	for (j = 0; j < r->nps; j++)
		if (r->ps[j] == i)
			return 0;	/* r holds it already */
	err = rs_hold_ps(r, i);
	if (err)
		return err;
	dp->gps[i].refs++;
	*out = i;
	return 0;
}

/* Write keys[0..n) with values; batch when the kernel can. */
static int lpm_write(struct np_datapath *dp, int fd, const void *keys,
		     const struct np_lpm_value *vals, size_t n, size_t ksz)
{
	/* generic batch updates take no BPF_NOEXIST; the id is fresh */
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = 0);
	size_t i;
	int err;

	if (!n)
		return 0;
	if (dp->lpm_batch != 0) {
		uint32_t cnt = n;

		err = bpf_map_update_batch(fd, keys, vals, &cnt, &bo);
		if (!err) {
			dp->lpm_batch = 1;
			return 0;
		}
		if (err != -EINVAL && err != -ENOTSUP && err != -EOPNOTSUPP &&
		    err != -524 /* ENOTSUPP */)
			return err;
		if (dp->lpm_batch == 1 && err == -EINVAL)
			return err;
		dp->lpm_batch = 0;
		LOG(dp, NP_LOG_INFO, "LPM trie batch update: %s; one by one",
		    strerror(-err));
	}
	for (i = 0; i < n; i++) {
		err = bpf_map_update_elem(fd, (const char *)keys + i * ksz,
					  &vals[i], BPF_NOEXIST);
		if (err)
			return err;
	}
	return 0;
}

static uint32_t id_alloc(struct np_datapath *dp)
{
	uint32_t id, max = 0;
	size_t i;

	for (i = 0; i < dp->nrs; i++)
		if (dp->rs[i].id > max)
			max = dp->rs[i].id;
	if (max < 0x7fffffff)
		return max + 1;
	for (id = 1; id; id++)
		if (!rs_by_id(dp, id))
			return id;
	return 0;
}

/* Write direction d of ms under a fresh id; *out gets it with one ref. */
static int rs_create(struct np_datapath *dp, const struct np_mapset *ms,
		     int d, uint64_t hash, uint32_t *out, struct np_diag *diag)
{
	struct np_ruleset_value rv = { .hash = hash, .dir = d };
	struct np_lpm_value *v4 = NULL, *v6 = NULL;
	size_t n4 = ms->nent[0][d], n6 = ms->nent[1][d], i;
	uint32_t id = id_alloc(dp), gidx;
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
	r = rs_add(dp, id, hash);
	if (!r) {
		bpf_map_delete_elem(dp->map_fd[M_RULESETS], &id);
		return -ENOMEM;
	}
	r->refs = 1;
	r->k4 = calloc(n4 ? n4 : 1, sizeof(*r->k4));
	r->k6 = calloc(n6 ? n6 : 1, sizeof(*r->k6));
	v4 = calloc(n4 ? n4 : 1, sizeof(*v4));
	v6 = calloc(n6 ? n6 : 1, sizeof(*v6));
	if (!r->k4 || !r->k6 || !v4 || !v6) {
		err = -ENOMEM;
		goto fail;
	}
	r->cap4 = n4 ? n4 : 1;
	r->cap6 = n6 ? n6 : 1;
	for (i = 0; i < n4 + n6; i++) {
		bool six = i >= n4;
		const struct np_map_entry *e =
			six ? &ms->ent[1][d][i - n4] : &ms->ent[0][d][i];

		err = gps_get(dp, r, &ms->portsets[e->portset], &gidx);
		if (err) {
			diag_set(diag, err, "port sets: %s",
				 err == -E2BIG ? "table full" : strerror(-err));
			goto fail;
		}
		if (six) {
			struct np_lpm_key_v6 *k = &r->k6[i - n4];

			k->prefixlen = NP_RULESET_BITS + e->cidr.len;
			k->ruleset = htonl(id);
			memcpy(k->addr, e->cidr.addr, 16);
			v6[i - n4].portset = gidx |
				(uint32_t)e->cidr.len << NP_LPM_PLEN_SHIFT;
		} else {
			struct np_lpm_key_v4 *k = &r->k4[i];

			k->prefixlen = NP_RULESET_BITS + e->cidr.len;
			k->ruleset = htonl(id);
			memcpy(k->addr, e->cidr.addr, 4);
			v4[i].portset = gidx |
				(uint32_t)e->cidr.len << NP_LPM_PLEN_SHIFT;
		}
	}
	/* keys are recorded first so that a failure deletes what was sent */
	r->n4 = n4;
	r->n6 = n6;
	err = lpm_write(dp, dp->map_fd[M_LPM4], r->k4, v4, n4, sizeof(*r->k4));
	if (!err)
		err = lpm_write(dp, dp->map_fd[M_LPM6], r->k6, v6, n6,
				sizeof(*r->k6));
	if (err) {
		diag_set(diag, err == -ENOSPC ? -E2BIG : err,
			 "writing %zu IPv4 and %zu IPv6 keys: %s", n4, n6,
			 err == -ENOSPC ? "LPM trie full" : strerror(-err));
		if (err == -ENOSPC)
			err = -E2BIG;
		goto fail;
	}
	free(v4);
	free(v6);
	*out = id;
	return 0;
fail:
	free(v4);
	free(v6);
	/* never published: no packet can see it, delete at once */
	rs_destroy(dp, rs_by_id(dp, id));
	return err;
}

int np__datapath_apply_mapset(struct np_datapath *dp, unsigned int ifindex,
			      const struct np_mapset *ms,
			      struct np_diag *diag)
{
	struct np_ep_value old, nep;
	uint32_t got[2] = { 0, 0 };
	int d, err;

	if (!dp || !ifindex || !ms) {
		diag_set(diag, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	err = ms_check(ms, diag);
	if (err)
		return err;
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
			nep.state[d] = NP_EP_UNISOLATED;
			nep.ruleset[d] = 0;
			continue;
		}
		h = dir_digest(ms, d);
		for (i = 0; i < dp->nrs; i++)
			if (dp->rs[i].hash == h)
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
		nep.state[d] = NP_EP_POLICIES_APPLIED;
		nep.ruleset[d] = got[d];
	}
	/* the flip: one update, the packet reads ids and states at once */
	err = bpf_map_update_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &nep,
				  BPF_EXIST);
	if (err) {
		diag_set(diag, err, "updating the endpoint: %s",
			 strerror(-err));
		goto rollback;
	}
	for (d = 0; d < 2; d++)
		if (old.state[d] == NP_EP_POLICIES_APPLIED)
			rs_put(dp, old.ruleset[d]);
	reap(dp, false);
	dp_end(dp, true);
	return 0;
rollback:
	for (d = 0; d < 2; d++) {
		struct rs *r = got[d] ? rs_by_id(dp, got[d]) : NULL;

		if (r && --r->refs == 0) {
			if (r->retired_ns)
				r->retired_ns = mono_ns(CLOCK_MONOTONIC);
			else
				rs_destroy(dp, r);	/* never published */
		}
	}
	LOG(dp, NP_LOG_ERROR, "ifindex %u: rules not applied: %s", ifindex,
	    diag ? diag->message : strerror(-err));
	dp_end(dp, true);
	return err;
}

NP_API int np_datapath_apply(struct np_datapath *dp, unsigned int ifindex,
			     const struct np_ruleset *rs,
			     struct np_diag *diag)
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
	r = rs_by_id(dp, id);
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

/* --- observing ----------------------------------------------------------- */

NP_API int np_datapath_test_packet(struct np_datapath *dp,
				   unsigned int ifindex,
				   enum np_direction dir, const void *pkt,
				   size_t len, int *verdict)
{
	struct __sk_buff ctx = { .ifindex = ifindex };
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
			    .data_size_in = len, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err;

	if (!dp || !pkt || !verdict || len < ETH_HLEN || len > 65535 ||
	    (dir != NP_DIRECTION_INGRESS && dir != NP_DIRECTION_EGRESS))
		return -EINVAL;
	err = bpf_prog_test_run_opts(dp->prog_fd[dir], &o);
	if (err)
		return err;
	*verdict = (int)o.retval;
	return 0;
}

NP_API int np_datapath_counters(struct np_datapath *dp, unsigned int ifindex,
				enum np_direction dir,
				struct np_datapath_counters *out)
{
	struct np_counters *pc;
	struct np_ep_value ep;
	uint32_t k;
	int i, err;

	if (!dp || !out ||
	    (dir != NP_DIRECTION_INGRESS && dir != NP_DIRECTION_EGRESS))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &ep))
		return -ENOENT;
	pc = calloc(dp->ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	k = ep.slot * 2 + dir;
	err = bpf_map_lookup_elem(dp->map_fd[M_COUNTERS], &k, pc);
	for (i = 0; !err && i < dp->ncpus; i++) {
		out->allowed_packets += pc[i].allow_pkts;
		out->allowed_bytes += pc[i].allow_bytes;
		out->denied_packets += pc[i].deny_pkts;
		out->denied_bytes += pc[i].deny_bytes;
	}
	free(pc);
	return err;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

NP_API int np_datapath_pods(struct np_datapath *dp, np_pod_fn cb, void *ctx)
{
	uint32_t *ifx;
	size_t n, i;
	int err;

	if (!dp || !cb)
		return -EINVAL;
	err = pods_list(dp, &ifx, &n);
	if (err)
		return err;
	qsort(ifx, n, sizeof(*ifx), cmp_u32);
	for (i = 0; i < n && !err; i++) {
		struct np_datapath_pod p = { .ifindex = ifx[i] };
		struct np_pod_value pod;
		struct np_ep_value ep;
		int d;

		if (bpf_map_lookup_elem(dp->map_fd[M_PODS], &ifx[i], &pod) ||
		    bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifx[i], &ep))
			continue;
		pod.ns[sizeof(pod.ns) - 1] = '\0';
		pod.name[sizeof(pod.name) - 1] = '\0';
		if (!if_indextoname(ifx[i], p.ifname))
			p.ifname[0] = '\0';
		p.ns = pod.ns;
		p.name = pod.name;
		for (d = 0; d < 2; d++) {
			p.state[d] = (enum np_pod_state)ep.state[d];
			p.ruleset[d] = ep.ruleset[d];
		}
		err = cb(ctx, &p);
	}
	free(ifx);
	return err;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct np_flow_event *fe = data;
	struct np_datapath *dp = ctx;
	struct np_event ev;
	int af, err;

	if (size < sizeof(*fe))
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.mono_ns = fe->ts_ns;
	ev.time_ns = fe->ts_ns + dp->rt_offset_ns;
	ev.ifindex = fe->ifindex;
	ev.direction = fe->dir ? NP_DIRECTION_EGRESS : NP_DIRECTION_INGRESS;
	ev.family = fe->family;
	af = fe->family == 6 ? AF_INET6 : AF_INET;
	memcpy(ev.src, fe->saddr, 16);
	memcpy(ev.dst, fe->daddr, 16);
	inet_ntop(af, ev.src, ev.src_text, sizeof(ev.src_text));
	inet_ntop(af, ev.dst, ev.dst_text, sizeof(ev.dst_text));
	ev.sport = fe->sport;
	ev.dport = fe->dport;
	ev.protocol = fe->proto;
	ev.allowed = fe->verdict == NP_EV_ALLOW;
	ev.reason = (enum np_event_reason)fe->reason;
	ev.ruleset = fe->ruleset;
	ev.length = fe->pkt_len;
	ev.prefixlen = -1;
	if (fe->prefixlen != NP_EV_PLEN_NONE &&
	    fe->prefixlen <= (fe->family == 6 ? 128 : 32)) {
		const uint8_t *peer = fe->dir == NP_DIR_EGRESS ? ev.dst :
								ev.src;
		uint8_t net[16] = { 0 };
		char txt[46];
		int b;

		ev.prefixlen = fe->prefixlen;
		for (b = 0; b < fe->prefixlen; b++)
			net[b / 8] |= peer[b / 8] & (0x80 >> (b % 8));
		inet_ntop(af, net, txt, sizeof(txt));
		snprintf(ev.rule_cidr, sizeof(ev.rule_cidr), "%s/%d", txt,
			 fe->prefixlen);
	}
	if (!bpf_map_lookup_elem(dp->map_fd[M_PODS], &ev.ifindex,
				 &dp->ev_pod)) {
		dp->ev_pod.ns[sizeof(dp->ev_pod.ns) - 1] = '\0';
		dp->ev_pod.name[sizeof(dp->ev_pod.name) - 1] = '\0';
		ev.pod_ns = dp->ev_pod.ns;
		ev.pod_name = dp->ev_pod.name;
	}
	err = dp->ev_cb(dp->ev_ctx, &ev);
	if (err < 0) {
		dp->ev_err = err;
		return err;
	}
	return 0;
}

NP_API int np_datapath_poll_events(struct np_datapath *dp, int timeout_ms,
				   np_event_fn cb, void *ctx)
{
	int n;

	if (!dp || !cb)
		return -EINVAL;
	if (!dp->rb) {
		dp->rb = ring_buffer__new(dp->map_fd[M_EVENTS], on_event, dp,
					  NULL);
		if (!dp->rb)
			return -errno;
	}
	dp->ev_cb = cb;
	dp->ev_ctx = ctx;
	dp->ev_err = 0;
	dp->rt_offset_ns = (int64_t)(mono_ns(CLOCK_REALTIME) -
				     mono_ns(CLOCK_MONOTONIC));
	n = ring_buffer__poll(dp->rb, timeout_ms);
	if (dp->ev_err)
		return dp->ev_err;
	return n < 0 ? n : 0;
}
