// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The datapath loader: the only file that touches the kernel.
 *
 * Pinned under pin_root (default /sys/fs/bpf/netpol):
 *   prog_egress, prog_ingress   the TC programs (np_tc_egress_pod, ...)
 *   endpoints lpm_v4 lpm_v6 portsets counters ct_v4 ct_v6 frags events
 *   pods rulesets bss rodata stats  the maps of bpf/netpol.bpf.c
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

#define NP_DEFAULT_PIN_ROOT "/sys/fs/bpf/netpol"
#define NP_BPFFS "/sys/fs/bpf"
#define NP_TC_HANDLE 0x4e50 /* "NP" */
#define NP_TC_PRIO 1 /* first: filters run by priority */
#define NP_RETIRE_NS 1000000000ull /* retired id: kept this long */
#define NP_IFX_MASK 0x00ffffffu /* ifindex bits in conntrack */

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
		       sizeof(struct np_dp_runtime),
	       "bss layout");
_Static_assert(sizeof(*((struct netpol_bpf *)0)->bss) ==
		       sizeof(struct np_dp_runtime),
	       "bss holds only np_rt");

enum {
	M_ENDPOINTS,
	M_EPA,
	M_LPM4,
	M_LPM6,
	M_HOST4,
	M_HOST6,
	M_PORTSETS,
	M_COUNTERS,
	M_CT4,
	M_CT6,
	M_FRAGS,
	M_EVENTS,
	M_PODS,
	M_RULESETS,
	M_BSS,
	M_STATS,
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
	[M_EPA] = { "ep_cache", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct np_epa) },
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
};

#define P_EPA 2 /* np_epa_set, after the two by enum np_dir */
#define P_CLOCK 3 /* np_tc_clock */
#define NPROGS 4

/* The last one is pinned last: its pin says the load completed. */
static const char *const prog_pins[NPROGS] = {
	[NP_DIR_INGRESS] = "prog_ingress",
	[NP_DIR_EGRESS] = "prog_egress",
	[P_EPA] = "prog_epa",
	[P_CLOCK] = "prog_clock",
};

/* One rule-set id as this handle knows it. */
struct rs {
	uint32_t id;
	uint32_t refs; /* endpoint directions using it */
	uint64_t hash; /* content digest */
	uint64_t retired_ns; /* refs fell to 0 then (CLOCK_MONOTONIC) */
	struct np_lpm_key_v4 *k4;
	uint32_t *g4; /* global port set of each k4, parallel */
	size_t n4;
	size_t cap4;
	struct np_lpm_key_v6 *k6;
	uint32_t *g6;
	size_t n6;
	size_t cap6;
	uint32_t *ps; /* distinct global port sets it holds */
	size_t nps;
	size_t capps;
};

/* One global port set slot. */
struct gps {
	uint32_t refs; /* rule sets holding it */
	uint64_t hash;
	struct np_portset set; /* normalized: unused slots zero */
};

struct np_datapath {
	char *pin_root;
	int dirfd;
	enum np_mode mode;
	np_log_fn log;
	void *log_ctx;
	int prog_fd[NPROGS]; /* by enum np_dir, then P_CLOCK */
	uint32_t prog_id[NPROGS];
	int map_fd[M__N];
	struct np_dp_runtime *rt; /* the mmaped .bss */
	size_t rt_len;
	bool events_mine;
	int ncpus;
	int lpm_batch; /* -1 unknown, 0 unsupported, 1 works */
	int locked; /* flock depth */
	/* cache of the pinned state, valid while gen matches */
	uint64_t gen;
	bool cache_valid;
	struct rs *rs;
	size_t nrs;
	size_t caprs;
	struct gps *gps; /* NP_MAX_PORTSETS, [0] never used */
	uint8_t *slot_used; /* NP_MAX_ENDPOINTS */
	/* events */
	struct ring_buffer *rb;
	np_event_fn ev_cb;
	void *ev_ctx;
	int ev_err;
	int64_t rt_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	struct np_pod_value ev_pod;
	/* ev_pod is of this ifindex (0: none), valid during one poll */
	uint32_t ev_pod_ifindex;
	bool ev_pod_found;
};

#define LOG(dp, lvl, ...) np__log((dp)->log, (dp)->log_ctx, (lvl), __VA_ARGS__)

/* Option fields the caller's struct has (the libbpf way). */
#define OPT(opts, field, def)                                           \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) + \
					 sizeof((opts)->field) ?        \
		 (opts)->field :                                        \
		 (def))

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

/*
 * After a change: tell other processes their caches are stale. Under the
 * lock, with the cache valid, dp->gen is the pinned value (dp_begin).
 */
static void gen_bump(struct np_datapath *dp)
{
	struct np_ruleset_value v = { 0 };
	uint32_t k = 0;

	v.hash = (dp->cache_valid ? dp->gen : gen_read(dp)) + 1;
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
	free(r->g4);
	free(r->g6);
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
#define NP_MAX_WALK (4u << 20)

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

/*
 * Rule keys. Userspace keeps every key in the LPM trie's form (struct
 * np_lpm_key_v4/v6); host keys (/32, /128) live in host_v4/host_v6, whose
 * key is the LPM key without its prefixlen (netpol_abi.h).
 */
static bool key_is_host(int fam, const void *k)
{
	uint32_t pl = ((const struct np_lpm_key_v4 *)k)->prefixlen;

	return pl == NP_RULESET_BITS + (fam ? 128u : 32u);
}

static int key_fd(const struct np_datapath *dp, int fam, const void *k)
{
	if (key_is_host(fam, k))
		return dp->map_fd[fam ? M_HOST6 : M_HOST4];
	return dp->map_fd[fam ? M_LPM6 : M_LPM4];
}

static const void *key_in_map(int fam, const void *k)
{
	return key_is_host(fam, k) ? (const char *)k + 4 : k;
}

static int rule_lookup(const struct np_datapath *dp, int fam, const void *k,
		       struct np_lpm_value *v)
{
	return bpf_map_lookup_elem(key_fd(dp, fam, k), key_in_map(fam, k), v);
}

static void rule_delete(const struct np_datapath *dp, int fam, const void *k)
{
	bpf_map_delete_elem(key_fd(dp, fam, k), key_in_map(fam, k));
}

/* Every rule key of family fam, host keys included, in the LPM form. */
static int rule_keys(struct np_datapath *dp, int fam, void **out, size_t *n)
{
	size_t ksz = fam ? sizeof(struct np_lpm_key_v6) :
			   sizeof(struct np_lpm_key_v4);
	unsigned char *lk, *hk, *all;
	size_t nl, nh, i;
	int err;

	err = map_keys(dp->map_fd[fam ? M_LPM6 : M_LPM4], ksz, (void **)&lk,
		       &nl);
	if (err)
		return err;
	err = map_keys(dp->map_fd[fam ? M_HOST6 : M_HOST4], ksz - 4,
		       (void **)&hk, &nh);
	if (err) {
		free(lk);
		return err;
	}
	all = realloc(lk, (nl + nh + 1) * ksz);
	if (!all) {
		free(lk);
		free(hk);
		return -ENOMEM;
	}
	for (i = 0; i < nh; i++) {
		unsigned char *k = all + (nl + i) * ksz;
		uint32_t pl = NP_RULESET_BITS + (fam ? 128 : 32);

		memcpy(k, &pl, 4);
		memcpy(k + 4, hk + i * (ksz - 4), ksz - 4);
	}
	free(hk);
	*out = all;
	*n = nl + nh;
	return 0;
}

/* Delete n keys of ksz bytes from fd: one batch when the kernel can. */
static void map_delete_many(int fd, const unsigned char *keys, size_t n,
			    size_t ksz)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, bo);
	uint32_t cnt = n;
	size_t i;

	if (!n)
		return;
	if (bpf_map_delete_batch(fd, keys, &cnt, &bo)) {
		/* stopped at a missing key (a crash mid-apply) or unsupported:
		 * the rest one by one */
		for (i = cnt < n ? cnt : 0; i < n; i++)
			bpf_map_delete_elem(fd, keys + i * ksz);
	}
}

/*
 * Family fam's rule keys (LPM form) split by the map they live in: [0] the
 * host keys, in the hash's form (no prefixlen), [1] the prefix keys; with
 * their values when vals is given.
 */
struct rules_split {
	unsigned char *k[2];
	struct np_lpm_value *v[2];
	size_t n[2];
	size_t ksz[2];
	int fd[2];
};

static void rules_split_free(struct rules_split *s)
{
	int m;

	for (m = 0; m < 2; m++) {
		free(s->k[m]);
		free(s->v[m]);
		s->k[m] = NULL;
		s->v[m] = NULL;
	}
}

static int rules_split(const struct np_datapath *dp, int fam, const void *keys,
		       const struct np_lpm_value *vals, size_t n,
		       struct rules_split *s)
{
	size_t ksz = fam ? sizeof(struct np_lpm_key_v6) :
			   sizeof(struct np_lpm_key_v4);
	size_t i;
	int m;

	memset(s, 0, sizeof(*s));
	s->ksz[0] = ksz - 4;
	s->ksz[1] = ksz;
	s->fd[0] = dp->map_fd[fam ? M_HOST6 : M_HOST4];
	s->fd[1] = dp->map_fd[fam ? M_LPM6 : M_LPM4];
	for (m = 0; m < 2; m++) {
		s->k[m] = malloc(n * ksz + 1);
		s->v[m] = vals ? malloc((n + 1) * sizeof(*vals)) : NULL;
		if (!s->k[m] || (vals && !s->v[m])) {
			rules_split_free(s);
			return -ENOMEM;
		}
	}
	for (i = 0; i < n; i++) {
		const unsigned char *k = (const unsigned char *)keys + i * ksz;

		m = key_is_host(fam, k) ? 0 : 1;
		memcpy(s->k[m] + s->n[m] * s->ksz[m], k + ksz - s->ksz[m],
		       s->ksz[m]);
		if (vals)
			s->v[m][s->n[m]] = vals[i];
		s->n[m]++;
	}
	return 0;
}

/* Family fam's keys (LPM form) out of both maps, in batches. */
static void rules_delete(struct np_datapath *dp, int fam, const void *keys,
			 size_t n)
{
	size_t ksz = fam ? sizeof(struct np_lpm_key_v6) :
			   sizeof(struct np_lpm_key_v4);
	struct rules_split s;
	size_t i;
	int m;

	if (rules_split(dp, fam, keys, NULL, n, &s)) {
		for (i = 0; i < n; i++)
			rule_delete(dp, fam,
				    (const unsigned char *)keys + i * ksz);
		return;
	}
	for (m = 0; m < 2; m++)
		map_delete_many(s.fd[m], s.k[m], s.n[m], s.ksz[m]);
	rules_split_free(&s);
}

static void rs_delete_entries(struct np_datapath *dp, struct rs *r)
{
	size_t i;

	rules_delete(dp, 0, r->k4, r->n4);
	rules_delete(dp, 1, r->k6, r->n6);
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
 * Keys an apply or detach deletes at most on the way: a policy change
 * retires rule sets that later calls delete, and without a bound one call
 * would pay for all of them (its p99 latency). gc and close have none.
 */
#define NP_REAP_BUDGET 4096

/*
 * Delete retired rule sets: those retired a second ago (no packet takes a
 * second), up to NP_REAP_BUDGET keys, or all of them after a grace period
 * when force is set.
 */
static void reap(struct np_datapath *dp, bool force)
{
	uint64_t now = mono_ns(CLOCK_MONOTONIC);
	bool any = false, graced = false;
	size_t i, budget = NP_REAP_BUDGET;

	for (i = 0; i < dp->nrs; i++)
		if (!dp->rs[i].refs &&
		    (force || now - dp->rs[i].retired_ns >= NP_RETIRE_NS))
			any = true;
	if (!any)
		return;
	for (i = 0; i < dp->nrs;) {
		struct rs *r = &dp->rs[i];

		if (r->refs || (!force && now - r->retired_ns < NP_RETIRE_NS)) {
			i++;
			continue;
		}
		if (force && !graced && now - r->retired_ns < NP_RETIRE_NS) {
			grace_period();
			graced = true;
		}
		if (!force) {
			size_t n = r->n4 + r->n6;

			/* the rest waits for a later call */
			if (budget < n && budget < NP_REAP_BUDGET)
				break;
			budget -= NP_MIN(budget, n);
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

struct keyed4 {
	struct np_lpm_key_v4 k;
	uint32_t g;
};

struct keyed6 {
	struct np_lpm_key_v6 k;
	uint32_t g;
};

/* Mapset order: by address, then prefix length (ids are all equal). */
static int keyed4_cmp(const void *a, const void *b)
{
	const struct keyed4 *x = a, *y = b;
	int r = memcmp(x->k.addr, y->k.addr, 4);

	return r ? r :
		   (x->k.prefixlen > y->k.prefixlen) -
			       (x->k.prefixlen < y->k.prefixlen);
}

static int keyed6_cmp(const void *a, const void *b)
{
	const struct keyed6 *x = a, *y = b;
	int r = memcmp(x->k.addr, y->k.addr, 16);

	return r ? r :
		   (x->k.prefixlen > y->k.prefixlen) -
			       (x->k.prefixlen < y->k.prefixlen);
}

/*
 * Keys read back from the trie come in its order: sort them (with their
 * port sets) the way np_mapset_encode orders entries, so rs_equal can
 * compare element by element.
 */
static int rs_sort_keys(struct rs *r)
{
	struct keyed4 *a4 = calloc(r->n4 + 1, sizeof(*a4));
	struct keyed6 *a6 = calloc(r->n6 + 1, sizeof(*a6));
	size_t i;

	if (!a4 || !a6) {
		free(a4);
		free(a6);
		return -ENOMEM;
	}
	for (i = 0; i < r->n4; i++)
		a4[i] = (struct keyed4){ .k = r->k4[i], .g = r->g4[i] };
	for (i = 0; i < r->n6; i++)
		a6[i] = (struct keyed6){ .k = r->k6[i], .g = r->g6[i] };
	qsort(a4, r->n4, sizeof(*a4), keyed4_cmp);
	qsort(a6, r->n6, sizeof(*a6), keyed6_cmp);
	for (i = 0; i < r->n4; i++) {
		r->k4[i] = a4[i].k;
		r->g4[i] = a4[i].g;
	}
	for (i = 0; i < r->n6; i++) {
		r->k6[i] = a6[i].k;
		r->g6[i] = a6[i].g;
	}
	free(a4);
	free(a6);
	return 0;
}

static int rules_walk(struct np_datapath *dp, int fam)
{
	size_t ksz = fam ? sizeof(struct np_lpm_key_v6) :
			   sizeof(struct np_lpm_key_v4);
	unsigned char *keys;
	size_t n, i;
	int err;

	err = rule_keys(dp, fam, (void **)&keys, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		const void *k = keys + i * ksz;
		struct np_lpm_value v;
		uint32_t id, gidx;
		struct rs *r;

		id = ntohl(((const struct np_lpm_key_v4 *)k)->ruleset);
		r = rs_by_id(dp, id);
		if (!r || rule_lookup(dp, fam, k, &v)) {
			/* no owner: a crash mid-apply; nobody points at it */
			rule_delete(dp, fam, k);
			continue;
		}
		gidx = v.portset & NP_LPM_PS_MASK;
		if (gidx && gidx < NP_MAX_PORTSETS)
			err = rs_hold_ps(r, gidx);
		if (err)
			break;
		if (fam) {
			size_t cap = r->cap6;

			if (NP_GROW(r->k6, r->cap6, r->n6 + 1) ||
			    NP_GROW(r->g6, cap, r->n6 + 1))
				err = -ENOMEM;
			else {
				memcpy(&r->k6[r->n6], k, ksz);
				r->g6[r->n6++] = gidx;
			}
		} else {
			size_t cap = r->cap4;

			if (NP_GROW(r->k4, r->cap4, r->n4 + 1) ||
			    NP_GROW(r->g4, cap, r->n4 + 1))
				err = -ENOMEM;
			else {
				memcpy(&r->k4[r->n4], k, ksz);
				r->g4[r->n4++] = gidx;
			}
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
	err = rules_walk(dp, 0);
	if (!err)
		err = rules_walk(dp, 1);
	for (i = 0; !err && i < dp->nrs; i++)
		err = rs_sort_keys(&dp->rs[i]);
	if (err)
		goto out;

	err = map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&eps, &neps);
	if (err)
		goto out;
	for (i = 0; i < neps; i++) {
		if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &eps[i], &ep))
			continue;
		if (ep.dir[0].slot < NP_MAX_ENDPOINTS)
			dp->slot_used[ep.dir[0].slot] = 1;
		for (j = 0; j < 2; j++) {
			struct rs *r;

			if (ep.dir[j].state != NP_EP_POLICIES_APPLIED)
				continue;
			r = rs_by_id(dp, ep.dir[j].ruleset);
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

/* --- ep_cache: the programs' copy of endpoint records -------------------- */

/* A direction of the record as ep_cache holds it: the same 8 bytes. */
static uint64_t ep_word(const struct np_ep_value *ep, int d)
{
	uint64_t x;

	memcpy(&x, &ep->dir[d], sizeof(x));
	return x;
}

static int epa_run(struct np_datapath *dp, uint32_t op, uint32_t ifindex,
		   const struct np_ep_value *ep)
{
	struct np_epa_args a = { .op = op, .ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &a,
		    .ctx_size_in = sizeof(a));
	int err;

	if (ep) {
		a.dir[0] = ep_word(ep, 0);
		a.dir[1] = ep_word(ep, 1);
	}
	err = bpf_prog_test_run_opts(dp->prog_fd[P_EPA], &o);
	if (err)
		return err;
	return o.retval == NP_EPA_OK	    ? 0 :
	       o.retval == NP_EPA_NOT_OWNER ? -ESTALE :
					      -EINVAL;
}

/* Drop ifindex's entry from ep_cache, if it has one. */
static int epa_release(struct np_datapath *dp, uint32_t ifindex)
{
	uint32_t idx = ifindex & (NP_EPA_SIZE - 1);
	struct np_epa e;
	int err;

	if (bpf_map_lookup_elem(dp->map_fd[M_EPA], &idx, &e))
		return -errno;
	if (e.ifindex != ifindex)
		return 0;
	err = epa_run(dp, NP_EPA_RELEASE, ifindex, NULL);
	if (err)
		LOG(dp, NP_LOG_ERROR, "ifindex %u: endpoint cache: %s", ifindex,
		    strerror(-err));
	return err;
}

/*
 * Mirror ifindex's record (just written to the endpoints hash) into
 * ep_cache: update the pod's entry, or claim it when free; an entry of
 * another pod (np_epa_set refuses both) leaves this one on the hash. A
 * failed write releases the entry, so a packet never reads a stale copy;
 * only when that fails too is the copy stale, and the error returned.
 */
static int epa_sync(struct np_datapath *dp, uint32_t ifindex,
		    const struct np_ep_value *ep)
{
	int err = epa_run(dp, NP_EPA_UPDATE, ifindex, ep);

	if (err == -ESTALE)
		err = epa_run(dp, NP_EPA_CLAIM, ifindex, ep);
	if (!err || err == -ESTALE)
		return 0;
	LOG(dp, NP_LOG_WARN, "ifindex %u: endpoint cache: %s; released",
	    ifindex, strerror(-err));
	return epa_release(dp, ifindex);
}

/*
 * Make ep_cache agree with the endpoints hash (a process may have died
 * between the two): entries of vanished records are released, records the
 * cache lacks or holds otherwise are written again. At open, under the
 * lock; when they agree (always, but after a crash) it writes nothing.
 */
static int epa_reconcile(struct np_datapath *dp)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, bo);
	uint32_t *keys = calloc(NP_EPA_SIZE, sizeof(*keys)), *eps = NULL;
	struct np_epa *vals = calloc(NP_EPA_SIZE, sizeof(*vals));
	uint32_t cnt = NP_EPA_SIZE, out = 0, i;
	struct np_ep_value ep;
	size_t neps, j;
	int err = -ENOMEM;

	if (!keys || !vals)
		goto out;
	err = bpf_map_lookup_batch(dp->map_fd[M_EPA], NULL, &out, keys, vals,
				   &cnt, &bo);
	if (err && err != -ENOENT)
		goto out;
	for (i = 0; i < cnt; i++)
		if (vals[i].ifindex &&
		    bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS],
					&vals[i].ifindex, &ep)) {
			err = epa_run(dp, NP_EPA_RELEASE, vals[i].ifindex,
				      NULL);
			if (err)
				goto out;
			memset(&vals[i], 0, sizeof(vals[i])); /* free now */
		}
	err = map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&eps, &neps);
	for (j = 0; !err && j < neps; j++) {
		/* the array's keys are its indexes, all of them returned */
		const struct np_epa *e = &vals[eps[j] & (NP_EPA_SIZE - 1)];

		if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &eps[j], &ep))
			continue;
		/* in agreement (or another pod's): nothing to write */
		if (cnt == NP_EPA_SIZE && e->ifindex &&
		    (e->ifindex != eps[j] || (e->dir[0] == ep_word(&ep, 0) &&
					      e->dir[1] == ep_word(&ep, 1))))
			continue;
		err = epa_sync(dp, eps[j], &ep);
	}
out:
	free(keys);
	free(vals);
	free(eps);
	return err;
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

/* Our filter on a hook: 0 and q->prog_id, or -ENOENT. */
static int filter_query(struct bpf_tc_hook *hook, struct bpf_tc_opts *q)
{
	uint32_t parent =
		TC_H_MAKE(TC_H_CLSACT, hook->attach_point == BPF_TC_INGRESS ?
					       TC_H_MIN_INGRESS :
					       TC_H_MIN_EGRESS);
	bool ours;
	size_t n;
	int err;

	err = tc_filters(hook->ifindex, parent, &n, &ours);
	if (err == -EINVAL || (!err && !ours))
		return -ENOENT; /* no clsact qdisc or no filter of ours */
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
		    "not ours (%u): replacing it",
		    ifindex, hook_name(ap), NP_TC_HANDLE, NP_TC_PRIO, q.prog_id,
		    dp->prog_id[dir]);
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
		LOG(dp, NP_LOG_WARN,
		    "ifindex %u: tc %s filter %#x runs "
		    "program %u, not ours: left alone",
		    ifindex, hook_name(ap), NP_TC_HANDLE, q.prog_id);
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
		LOG(dp, NP_LOG_INFO,
		    "ifindex %u: clsact qdisc kept: %zu "
		    "other filters",
		    ifindex, in + eg);
		return;
	}
	bpf_tc_hook_destroy(&hook);
}

/* --- open, close, destroy ------------------------------------------------ */

static int pin_path(char *buf, size_t size, const char *root, const char *name)
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
		return 0; /* elsewhere: the caller's business */
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

	for (i = 0; i < NPROGS; i++)
		if (!pin_path(path, sizeof(path), dp->pin_root, prog_pins[i]))
			unlink(path);
	for (i = 0; i < M__N; i++)
		if (!pin_path(path, sizeof(path), dp->pin_root, maps[i].pin))
			unlink(path);
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
static int clock_now(const struct np_datapath *dp, uint32_t *now)
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
	if (!skel)
		return -errno;
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
		LOG(dp, NP_LOG_ERROR, "loading the BPF programs: %s",
		    strerror(-err));
		goto out;
	}
	for (i = 0; i < M__N && !err; i++) {
		err = pin_path(path, sizeof(path), dp->pin_root, maps[i].pin);
		if (!err)
			err = bpf_map__pin(m[i], path);
	}
	if (err) {
		LOG(dp, NP_LOG_ERROR, "pinning under %s: %s", dp->pin_root,
		    strerror(-err));
		unpin_all(dp);
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
		if (info.type != maps[i].type || info.key_size != maps[i].key ||
		    info.value_size != maps[i].value) {
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

int np__datapath_clock(struct np_datapath *dp, uint32_t *now, uint32_t *hz)
{
	*hz = dp->rt->hz;
	return clock_now(dp, now);
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
	for (i = 0; i < NPROGS; i++)
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
			continue; /* gone: np_datapath_gc() forgets it */
		err = filter_ensure(dp, ifx[i], BPF_TC_INGRESS, NP_DIR_EGRESS);
		if (!err)
			err = filter_ensure(dp, ifx[i], BPF_TC_EGRESS,
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
	const char *root = OPT(opts, pin_root, NULL);
	const char *const *ips = OPT(opts, node_ips, NULL);
	size_t nips = OPT(opts, n_node_ips, 0);
	bool existing = OPT(opts, existing_only, false);
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
	for (i = 0; i < NPROGS; i++)
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

	err = existing ? 0 : ensure_bpffs(dp);
	if (err) {
		LOG(dp, NP_LOG_ERROR, "mounting bpffs at %s: %s", NP_BPFFS,
		    strerror(-err));
		goto fail;
	}
	err = existing ? 0 : mkdir_p(dp->pin_root);
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

	err = pin_path(path, sizeof(path), dp->pin_root, prog_pins[NPROGS - 1]);
	if (!err && existing && access(path, F_OK))
		err = -ENOENT; /* none, or an interrupted first load */
	if (!err && access(path, F_OK)) {
		unpin_all(dp); /* left by an interrupted first load */
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
		err = epa_reconcile(dp);
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
static void ct_sweep(struct np_datapath *dp, bool by_ifindex, uint32_t ifindex)
{
	uint32_t now = 0;
	int fam;

	if (!by_ifindex && clock_now(dp, &now))
		return;

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
			LOG(dp, NP_LOG_ERROR,
			    "ifindex %u: %d pods attached "
			    "already",
			    ifindex, NP_MAX_ENDPOINTS);
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
		if (err)
			goto out;
		dp->slot_used[slot] = 1;
		new_ep = true;
		err = epa_sync(dp, ifindex, &ep);
		if (err)
			goto fail;
	}
	if (!bpf_map_lookup_elem(dp->map_fd[M_PODS], &ifindex, &old))
		pod.flags = old.flags;

	/* -EEXIST: a clsact qdisc is there (not ours to remove) */
	hook.ifindex = ifindex;
	err = bpf_tc_hook_create(&hook);
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
	err = filter_ensure(dp, ifindex, BPF_TC_INGRESS, NP_DIR_EGRESS);
	if (!err)
		err = filter_ensure(dp, ifindex, BPF_TC_EGRESS, NP_DIR_INGRESS);
	if (err)
		goto fail;
	LOG(dp, NP_LOG_DEBUG, "ifindex %u attached (%s/%s)", ifindex, pod.ns,
	    pod.name);
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
		epa_release(dp, ifindex);
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
		epa_release(dp, ifindex);
		bpf_map_delete_elem(dp->map_fd[M_ENDPOINTS], &ifindex);
		for (d = 0; d < 2; d++)
			if (ep.dir[d].state == NP_EP_POLICIES_APPLIED)
				rs_put(dp, ep.dir[d].ruleset);
		if (ep.dir[0].slot < NP_MAX_ENDPOINTS)
			dp->slot_used[ep.dir[0].slot] = 0;
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
	diag_set(diag, -EINVAL,
		 "malformed map set: entries, port set indexes "
		 "or slots (sorted, disjoint, at most %d) out of order",
		 NP_MAX_SLOTS);
	return -EINVAL;
}

/* Tests set 0 here to make every digest collide (see rs_equal). */
uint64_t np__datapath_digest_mask = ~0ULL;

/* The content digest of one direction: its entries and their port sets. */
static uint64_t dir_digest(const struct np_mapset *ms, int d)
{
	uint64_t h = 0x6e70646972ull; /* "npdir" */
	/* each port set hashed once: a map set has few, its entries many */
	uint64_t *psh = calloc(ms->nportsets + 1, sizeof(*psh));
	struct np_portset set;
	int fam;
	size_t i;

	for (fam = 0; fam < 2; fam++) {
		uint64_t n = ms->nent[fam][d];

		h = np__hash_bytes(&n, sizeof(n), h);
		for (i = 0; i < n; i++) {
			const struct np_map_entry *e = &ms->ent[fam][d][i];
			uint64_t ph;

			h = np__hash_bytes(&e->cidr.len, 1, h);
			h = np__hash_bytes(e->cidr.addr, fam ? 16 : 4, h);
			if (psh && psh[e->portset]) {
				ph = psh[e->portset];
			} else {
				ps_normalize(&set, &ms->portsets[e->portset]);
				ph = ps_hash(&set) | 1; /* never 0: "not yet" */
				if (psh)
					psh[e->portset] = ph;
			}
			h = np__hash_bytes(&ph, sizeof(ph), h);
		}
	}
	free(psh);
	return h & np__datapath_digest_mask;
}

/*
 * Does rule set r hold exactly direction d of ms? Equal digests are not
 * enough: the digest is a 64-bit hash of content tenants write, so two
 * different rule sets could be made to collide and one pod would get
 * another's rules. Sharing an id needs equal keys and equal port sets.
 */
static bool rs_equal(const struct np_datapath *dp, const struct rs *r,
		     const struct np_mapset *ms, int d)
{
	uint32_t last_ps = UINT32_MAX, last_g = 0;
	struct np_portset set;
	size_t i, fam;

	if (r->n4 != ms->nent[0][d] || r->n6 != ms->nent[1][d])
		return false;
	for (fam = 0; fam < 2; fam++)
		for (i = 0; i < ms->nent[fam][d]; i++) {
			const struct np_map_entry *e = &ms->ent[fam][d][i];
			uint32_t plen = NP_RULESET_BITS + e->cidr.len, g;

			if (fam ? r->k6[i].prefixlen != plen ||
					    memcmp(r->k6[i].addr, e->cidr.addr,
						   16) :
				  r->k4[i].prefixlen != plen ||
					    memcmp(r->k4[i].addr, e->cidr.addr,
						   4))
				return false;
			g = fam ? r->g6[i] : r->g4[i];
			if (!g || g >= NP_MAX_PORTSETS)
				return false;
			if (e->portset == last_ps && g == last_g)
				continue; /* the pair compared equal already */
			ps_normalize(&set, &ms->portsets[e->portset]);
			if (memcmp(&dp->gps[g].set, &set, sizeof(set)))
				return false;
			last_ps = e->portset;
			last_g = g;
		}
	return true;
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
			return 0; /* r holds it already */
	err = rs_hold_ps(r, i);
	if (err)
		return err;
	dp->gps[i].refs++;
	*out = i;
	return 0;
}

/* Write keys[0..n) with values; batch when the kernel can. */
static int map_write(struct np_datapath *dp, int fd, const void *keys,
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
		LOG(dp, NP_LOG_INFO, "batch map update: %s; one by one",
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

/*
 * Write family fam's rule keys (LPM form) with their values: host keys
 * into the exact-match hash, shorter prefixes into the trie.
 */
static int rules_write(struct np_datapath *dp, int fam, const void *keys,
		       const struct np_lpm_value *vals, size_t n)
{
	struct rules_split s;
	int m, err;

	if (!n)
		return 0;
	err = rules_split(dp, fam, keys, vals, n, &s);
	for (m = 0; m < 2 && !err; m++)
		err = map_write(dp, s.fd[m], s.k[m], s.v[m], s.n[m], s.ksz[m]);
	rules_split_free(&s);
	return err;
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

/* NP_EPL_* of direction d of ms: the families with prefix keys. */
static uint8_t ms_lpm_flags(const struct np_mapset *ms, int d)
{
	uint8_t f = 0;
	size_t i;

	for (i = 0; i < ms->nent[0][d]; i++)
		if (ms->ent[0][d][i].cidr.len < 32)
			f |= NP_EPL_V4;
	for (i = 0; i < ms->nent[1][d]; i++)
		if (ms->ent[1][d][i].cidr.len < 128)
			f |= NP_EPL_V6;
	return f;
}

/* Write direction d of ms under a fresh id; *out gets it with one ref. */
static int rs_create(struct np_datapath *dp, const struct np_mapset *ms, int d,
		     uint64_t hash, uint32_t *out, struct np_diag *diag)
{
	struct np_ruleset_value rv = { .hash = hash, .dir = d };
	struct np_lpm_value *v4 = NULL, *v6 = NULL;
	size_t n4 = ms->nent[0][d], n6 = ms->nent[1][d], i;
	uint32_t id = id_alloc(dp), gidx, *memo = NULL;
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
			     gps_get(dp, r, &ms->portsets[e->portset], &gidx);
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
	err = rules_write(dp, 0, r->k4, v4, n4);
	if (!err)
		err = rules_write(dp, 1, r->k6, v6, n6);
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
	rs_destroy(dp, rs_by_id(dp, id));
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
			nep.dir[d].state = NP_EP_UNISOLATED;
			nep.dir[d].ruleset = 0;
			nep.dir[d].lpm = 0;
			continue;
		}
		h = dir_digest(ms, d);
		for (i = 0; i < dp->nrs; i++)
			if (dp->rs[i].hash == h &&
			    rs_equal(dp, &dp->rs[i], ms, d))
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
		nep.dir[d].lpm = ms_lpm_flags(ms, d);
	}
	/* the flip: one update, the packet reads ids and states at once */
	err = bpf_map_update_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &nep,
				  BPF_EXIST);
	if (!err) {
		err = epa_sync(dp, ifindex, &nep);
		if (err) /* the cache is stale: put the old record back */
			bpf_map_update_elem(dp->map_fd[M_ENDPOINTS], &ifindex,
					    &old, BPF_EXIST);
	}
	if (err) {
		diag_set(diag, err, "updating the endpoint: %s",
			 strerror(-err));
		goto rollback;
	}
	for (d = 0; d < 2; d++)
		if (old.dir[d].state == NP_EP_POLICIES_APPLIED)
			rs_put(dp, old.dir[d].ruleset);
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
				rs_destroy(dp, r); /* never published */
		}
	}
	LOG(dp, NP_LOG_ERROR, "ifindex %u: rules not applied: %s", ifindex,
	    diag ? diag->message : strerror(-err));
	dp_end(dp, true);
	return err;
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

NP_API int np_datapath_test_packet(struct np_datapath *dp, unsigned int ifindex,
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
	k = ep.dir[0].slot * 2 + dir;
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
			p.state[d] = (enum np_pod_state)ep.dir[d].state;
			p.ruleset[d] = ep.dir[d].ruleset;
		}
		err = cb(ctx, &p);
	}
	free(ifx);
	return err;
}

/* --- inspection: live maps, read without the lock ----------------------- */

/* Keys of a map, counted; bounded as map_keys(). */
static uint64_t map_count(int fd)
{
	unsigned char a[64], b[64], *prev = NULL, *next = a;
	uint64_t n = 0;

	while (n < NP_MAX_WALK && !bpf_map_get_next_key(fd, prev, next)) {
		n++;
		prev = next;
		next = next == a ? b : a;
	}
	return n;
}

static uint32_t map_capacity(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

NP_API int np_datapath_stats(struct np_datapath *dp,
			     struct np_datapath_stats *out)
{
	struct np_datapath_stats s;
	uint64_t *pc;
	uint32_t k = NP_STAT_EVENTS_LOST;
	int i, fam;

	if (!dp || !out || out->sz < sizeof(size_t))
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.sz = out->sz;
	pc = calloc(dp->ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	if (!bpf_map_lookup_elem(dp->map_fd[M_STATS], &k, pc))
		for (i = 0; i < dp->ncpus; i++)
			s.events_lost += pc[i];
	free(pc);
	for (fam = 0; fam < 2; fam++) {
		int ct = dp->map_fd[fam ? M_CT6 : M_CT4];
		int lpm = dp->map_fd[fam ? M_LPM6 : M_LPM4];
		int host = dp->map_fd[fam ? M_HOST6 : M_HOST4];

		s.ct_entries[fam] = map_count(ct);
		s.ct_capacity[fam] = map_capacity(ct);
		s.lpm_entries[fam] = map_count(lpm) + map_count(host);
		s.lpm_capacity[fam] =
			(uint64_t)map_capacity(lpm) + map_capacity(host);
	}
	s.pods = map_count(dp->map_fd[M_PODS]);
	s.rulesets = map_count(dp->map_fd[M_RULESETS]);
	k = 0;
	if (s.rulesets && !bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &k,
					       &(struct np_ruleset_value){ 0 }))
		s.rulesets--; /* key 0 is the generation counter */
	s.events_on = __atomic_load_n(&dp->rt->events_on, __ATOMIC_ACQUIRE);
	memcpy(out, &s, NP_MIN(out->sz, sizeof(s)));
	out->sz = s.sz;
	return 0;
}

/* Pod direction d's hook: the veth's TC egress for ingress, and back. */
static enum bpf_tc_attach_point dir_hook(int d)
{
	return d == NP_DIR_INGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

NP_API int np_datapath_hooks(struct np_datapath *dp, unsigned int ifindex,
			     struct np_datapath_hook out[2])
{
	char name[IF_NAMESIZE];
	int d, err;

	if (!dp || !ifindex || !out)
		return -EINVAL;
	for (d = 0; d < 2; d++) {
		enum bpf_tc_attach_point ap = dir_hook(d);
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = ap);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = NP_TC_HANDLE,
				    .priority = NP_TC_PRIO);
		uint32_t parent = TC_H_MAKE(
			TC_H_CLSACT, ap == BPF_TC_INGRESS ? TC_H_MIN_INGRESS :
							    TC_H_MIN_EGRESS);
		struct np_datapath_hook *h = &out[d];
		bool ours = false;

		memset(h, 0, sizeof(*h));
		h->expected_id = dp->prog_id[d];
		if (!if_indextoname(ifindex, name)) {
			h->state = NP_HOOK_NO_DEVICE;
			continue;
		}
		err = tc_filters(ifindex, parent, &h->filters, &ours);
		if (err == -EINVAL || (!err && !ours)) {
			h->state = NP_HOOK_MISSING; /* or no clsact */
			continue;
		}
		if (err)
			return err;
		err = bpf_tc_query(&hook, &q);
		if (err == -ENOENT) {
			h->state = NP_HOOK_MISSING;
			continue;
		}
		if (err)
			return err;
		h->prog_id = q.prog_id;
		h->state = q.prog_id == dp->prog_id[d] ? NP_HOOK_OK :
							 NP_HOOK_STALE;
	}
	return 0;
}

/* One live LPM entry of one rule set. */
struct live_ent {
	uint8_t addr[16];
	uint8_t len; /* address bits of the key */
	uint8_t tag; /* prefix length carried in the value */
	uint32_t psidx;
	struct np_portset set; /* normalized, from the live port map */
};

static int live_cmp(const void *a, const void *b)
{
	const struct live_ent *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);

	return c ? c : (int)x->len - (int)y->len;
}

/* The live entries of rule set id in family fam, sorted. */
static int rules_collect(struct np_datapath *dp, int fam, uint32_t id,
			 struct live_ent **out, size_t *n)
{
	size_t ksz = fam ? sizeof(struct np_lpm_key_v6) :
			   sizeof(struct np_lpm_key_v4);
	struct live_ent *v = NULL;
	unsigned char *keys;
	size_t nk, i, cnt = 0, cap = 0;
	int err;

	*out = NULL;
	*n = 0;
	err = rule_keys(dp, fam, (void **)&keys, &nk);
	if (err)
		return err;
	for (i = 0; i < nk; i++) {
		const unsigned char *k = keys + i * ksz;
		const struct np_lpm_key_v4 *k4 = (const void *)k;
		struct np_lpm_value val;
		struct np_portset raw;
		struct live_ent *e;
		size_t j;

		if (ntohl(k4->ruleset) != id || rule_lookup(dp, fam, k, &val))
			continue;
		for (j = 0; j < cnt; j++) /* a restarted walk repeats */
			if (!memcmp(v[j].addr, k + 8, fam ? 16 : 4) &&
			    v[j].len == k4->prefixlen - NP_RULESET_BITS)
				break;
		if (j < cnt)
			continue;
		if (NP_GROW(v, cap, cnt + 1)) {
			free(keys);
			free(v);
			return -ENOMEM;
		}
		e = &v[cnt++];
		memset(e, 0, sizeof(*e));
		memcpy(e->addr, k + 8, fam ? 16 : 4);
		e->len = (uint8_t)(k4->prefixlen - NP_RULESET_BITS);
		e->tag = (uint8_t)(val.portset >> NP_LPM_PLEN_SHIFT);
		e->psidx = val.portset & NP_LPM_PS_MASK;
		memset(&raw, 0, sizeof(raw));
		if (e->psidx >= NP_MAX_PORTSETS ||
		    bpf_map_lookup_elem(dp->map_fd[M_PORTSETS], &e->psidx,
					&raw))
			memset(&raw, 0, sizeof(raw));
		ps_normalize(&e->set, &raw);
	}
	free(keys);
	qsort(v, cnt, sizeof(*v), live_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

static void cidr_text(int fam, const uint8_t *addr, unsigned int len, char *buf,
		      size_t size)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(fam ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(buf, size, "%s/%u", a, len);
}

/* Users of id: pod directions whose endpoint record enforces it. */
static size_t ruleset_users(struct np_datapath *dp, uint32_t id)
{
	uint32_t *ifx;
	size_t n, i, users = 0;
	int d;

	if (map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&ifx, &n))
		return 0;
	for (i = 0; i < n; i++) {
		struct np_ep_value ep;

		if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifx[i], &ep))
			continue;
		for (d = 0; d < 2; d++)
			if (ep.dir[d].state == NP_EP_POLICIES_APPLIED &&
			    ep.dir[d].ruleset == id)
				users++;
	}
	free(ifx);
	return users;
}

NP_API int np_datapath_ruleset(struct np_datapath *dp, uint32_t id,
			       struct np_datapath_ruleset *out)
{
	struct np_ruleset_value rv;
	int fam;

	if (!dp || !id || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &id, &rv))
		return -ENOENT;
	out->id = id;
	out->direction = rv.dir ? NP_DIRECTION_EGRESS : NP_DIRECTION_INGRESS;
	out->hash = rv.hash;
	for (fam = 0; fam < 2; fam++) {
		struct live_ent *v;
		int err = rules_collect(dp, fam, id, &v, &out->keys[fam]);

		if (err)
			return err;
		free(v);
	}
	out->users = ruleset_users(dp, id);
	return 0;
}

/* The loaded id whose digest is h, 0 when none. */
static uint32_t id_by_hash(struct np_datapath *dp, uint64_t h)
{
	uint32_t *ids, best = 0;
	size_t n, i;

	if (map_keys(dp->map_fd[M_RULESETS], 4, (void **)&ids, &n))
		return 0;
	for (i = 0; i < n; i++) {
		struct np_ruleset_value rv;

		if (!ids[i] ||
		    bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &ids[i], &rv))
			continue;
		if (rv.hash == h && (!best || ids[i] < best))
			best = ids[i];
	}
	free(ids);
	return best;
}

NP_API int np_datapath_ruleset_id(struct np_datapath *dp,
				  const struct np_ruleset *rs,
				  enum np_direction dir, uint32_t *id)
{
	struct np_mapset *ms;
	int err;

	if (!dp || !rs || !id ||
	    (dir != NP_DIRECTION_INGRESS && dir != NP_DIRECTION_EGRESS))
		return -EINVAL;
	*id = 0;
	err = np_mapset_encode(&ms, rs);
	if (err)
		return err;
	if (!ms->isolated[dir])
		err = -ENODATA;
	else if (ms_check(ms, NULL))
		err = -EINVAL;
	else
		*id = id_by_hash(dp, dir_digest(ms, dir));
	np_mapset_free(ms);
	if (!err && !*id)
		err = -ENOENT;
	return err;
}

static void rule_from(struct np_datapath_rule *r, int fam,
		      const struct live_ent *e)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->family = fam ? 6 : 4;
	cidr_text(fam, e->addr, e->len, r->cidr, sizeof(r->cidr));
	r->portset = e->psidx;
	r->all = e->set.flags & NP_PS_ALL;
	r->nranges = r->all ? 0 : e->set.count;
	for (i = 0; i < r->nranges; i++) {
		r->ranges[i].protocol = (uint8_t)(e->set.slots[i].lo >> 16);
		r->ranges[i].first = (uint16_t)e->set.slots[i].lo;
		r->ranges[i].last = (uint16_t)e->set.slots[i].hi;
	}
}

NP_API int np_datapath_rules(struct np_datapath *dp, uint32_t id, np_rule_fn cb,
			     void *ctx)
{
	int fam, err = 0;

	if (!dp || !id || !cb)
		return -EINVAL;
	for (fam = 0; fam < 2 && !err; fam++) {
		struct live_ent *v;
		size_t n, i;

		err = rules_collect(dp, fam, id, &v, &n);
		for (i = 0; !err && i < n; i++) {
			struct np_datapath_rule r;

			rule_from(&r, fam, &v[i]);
			err = cb(ctx, &r);
		}
		free(v);
	}
	return err;
}

/* Jiffies to seconds, rounded to the nearest. */
static uint32_t jiffies_s(const struct np_datapath *dp, uint32_t j)
{
	return (uint32_t)(((uint64_t)j + dp->rt->hz / 2) / dp->rt->hz);
}

static uint32_t ct_timeout(const struct np_dp_timeouts *to, uint8_t proto,
			   uint8_t state)
{
	if (proto != IPPROTO_TCP)
		return to->other;
	if (state == NP_CT_ESTABLISHED)
		return to->tcp_established;
	if (state == NP_CT_CLOSING)
		return to->tcp_closing;
	return to->tcp_new;
}

NP_API int np_datapath_conntrack(struct np_datapath *dp, unsigned int ifindex,
				 np_conn_fn cb, void *ctx)
{
	uint32_t now;
	int fam, err = 0;

	if (!dp || !cb)
		return -EINVAL;
	err = clock_now(dp, &now);
	for (fam = 0; fam < 2 && !err; fam++) {
		int fd = dp->map_fd[fam ? M_CT6 : M_CT4];
		size_t ksz = maps[fam ? M_CT6 : M_CT4].key, n, i;
		unsigned char *keys;

		err = map_keys(fd, ksz, (void **)&keys, &n);
		if (err)
			break;
		for (i = 0; i < n && !err; i++) {
			const unsigned char *k = keys + i * ksz;
			const uint8_t *a[2];
			const uint16_t *port;
			struct np_datapath_conn c;
			struct np_ct_value v;
			uint32_t ifproto;
			int o;

			if (fam) {
				const struct np_ct_key_v6 *k6 = (const void *)k;

				a[0] = (const uint8_t *)k6->addr[0];
				a[1] = (const uint8_t *)k6->addr[1];
				port = k6->port;
				ifproto = k6->ifproto;
			} else {
				const struct np_ct_key_v4 *k4 = (const void *)k;

				a[0] = (const uint8_t *)&k4->addr[0];
				a[1] = (const uint8_t *)&k4->addr[1];
				port = k4->port;
				ifproto = k4->ifproto;
			}
			if (ifindex &&
			    (ifproto >> 8) != (ifindex & NP_IFX_MASK))
				continue;
			if (bpf_map_lookup_elem(fd, k, &v))
				continue; /* gone meanwhile */
			memset(&c, 0, sizeof(c));
			o = v.flags & NP_CTF_ORIG_HI ? 1 : 0;
			c.ifindex = ifindex ? ifindex : ifproto >> 8;
			c.family = fam ? 6 : 4;
			c.protocol = (uint8_t)ifproto;
			inet_ntop(fam ? AF_INET6 : AF_INET, a[o], c.src,
				  sizeof(c.src));
			inet_ntop(fam ? AF_INET6 : AF_INET, a[!o], c.dst,
				  sizeof(c.dst));
			c.sport = ntohs(port[o]);
			c.dport = ntohs(port[!o]);
			c.state = (enum np_conn_state)v.state;
			/* jiffies wrap: the difference is right, not > */
			c.age = jiffies_s(dp, now - v.last_seen);
			c.timeout =
				jiffies_s(dp, ct_timeout(&dp->rt->to,
							 c.protocol, v.state));
			err = cb(ctx, &c);
		}
		free(keys);
	}
	return err;
}

static bool is_node_ip(const struct np_dp_runtime *rt, int fam,
		       const uint8_t *a)
{
	uint32_t i, n;

	if (!fam) {
		n = NP_MIN(__atomic_load_n(&rt->node_ip4_n, __ATOMIC_ACQUIRE),
			   2u);
		for (i = 0; i < n; i++)
			if (!memcmp(&rt->node_ip4[i], a, 4))
				return true;
		return false;
	}
	n = NP_MIN(__atomic_load_n(&rt->node_ip6_n, __ATOMIC_ACQUIRE), 2u);
	for (i = 0; i < n; i++)
		if (!memcmp(rt->node_ip6[i], a, 16))
			return true;
	return false;
}

NP_API int np_datapath_explain(struct np_datapath *dp, unsigned int ifindex,
			       enum np_direction dir, const char *peer,
			       uint8_t protocol, uint16_t port,
			       const struct np_ruleset *rs,
			       struct np_datapath_verdict *out)
{
	uint8_t addr[16] = { 0 };
	struct np_lpm_key_v6 key = { 0 };
	struct np_lpm_value lv;
	struct np_portset ps;
	struct np_ep_value ep;
	unsigned int plen, i;
	uint32_t x;
	int fam;

	if (!dp || !ifindex || !peer || !out ||
	    (dir != NP_DIRECTION_INGRESS && dir != NP_DIRECTION_EGRESS))
		return -EINVAL;
	if (inet_pton(AF_INET, peer, addr) == 1)
		fam = 0;
	else if (inet_pton(AF_INET6, peer, addr) == 1)
		fam = 1;
	else
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->slot = -1;
	if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &ep))
		return -ENOENT;
	out->state = (enum np_pod_state)ep.dir[dir].state;
	out->allowed = true;
	if (is_node_ip(dp->rt, fam, addr)) {
		out->reason = NP_EVENT_ALLOW_NODE;
		return 0;
	}
	switch (ep.dir[dir].state) {
	case NP_EP_DEFAULT_ALLOW:
		out->reason = NP_EVENT_ALLOW_DEFAULT;
		return 0;
	case NP_EP_UNISOLATED:
		out->reason = NP_EVENT_ALLOW_UNISOLATED;
		return 0;
	case NP_EP_POLICIES_APPLIED:
		break;
	default:
		out->allowed = false;
		out->reason = NP_EVENT_DENY_STRICT_DEFAULT;
		return 0;
	}
	out->ruleset = ep.dir[dir].ruleset;
	out->allowed = false;
	key.prefixlen = NP_RULESET_BITS + (fam ? 128 : 32);
	key.ruleset = htonl(ep.dir[dir].ruleset);
	memcpy(key.addr, addr, fam ? 16 : 4);
	/* as the program: the host key, then the trie when it has keys */
	if (bpf_map_lookup_elem(dp->map_fd[fam ? M_HOST6 : M_HOST4],
				&key.ruleset, &lv) &&
	    (!(ep.dir[dir].lpm & (fam ? NP_EPL_V6 : NP_EPL_V4)) ||
	     bpf_map_lookup_elem(dp->map_fd[fam ? M_LPM6 : M_LPM4], &key,
				 &lv))) {
		out->reason = NP_EVENT_DENY_NO_MATCH;
		return 0;
	}
	plen = lv.portset >> NP_LPM_PLEN_SHIFT;
	if (plen > (fam ? 128u : 32u))
		plen = fam ? 128 : 32;
	for (i = plen; i < 128; i++)
		addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	cidr_text(fam, addr, plen, out->key, sizeof(out->key));
	out->portset = lv.portset & NP_LPM_PS_MASK;
	memset(&ps, 0, sizeof(ps));
	if (out->portset >= NP_MAX_PORTSETS ||
	    bpf_map_lookup_elem(dp->map_fd[M_PORTSETS], &out->portset, &ps))
		memset(&ps, 0, sizeof(ps));
	out->reason = NP_EVENT_DENY_PORT;
	if (ps.flags & NP_PS_ALL) {
		out->allowed = true;
	} else if (protocol) {
		x = (uint32_t)protocol << 16 | port;
		for (i = 0; i < NP_MIN(ps.count, NP_MAX_SLOTS); i++)
			if (x >= ps.slots[i].lo && x <= ps.slots[i].hi) {
				out->allowed = true;
				out->slot = (int)i;
				break;
			}
	}
	if (!out->allowed)
		return 0;
	out->reason = NP_EVENT_ALLOW_RULE;
	if (rs && (protocol == IPPROTO_TCP || protocol == IPPROTO_UDP ||
		   protocol == IPPROTO_SCTP)) {
		struct np_verdict v;
		uint32_t id;

		if (!np_datapath_ruleset_id(dp, rs, dir, &id) &&
		    id == out->ruleset &&
		    !np_ruleset_verdict(rs, dir, peer,
					(enum np_protocol)protocol, port, &v))
			snprintf(out->policies, sizeof(out->policies), "%s",
				 v.policies);
	}
	return 0;
}

/* "all", "none" or "TCP 80, UDP 53-54". */
static void ps_text(const struct np_portset *s, char *buf, size_t size)
{
	size_t pos = 0;
	unsigned int i;

	if (s->flags & NP_PS_ALL) {
		snprintf(buf, size, "all");
		return;
	}
	if (!s->count) {
		snprintf(buf, size, "none");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < s->count && pos < size; i++) {
		unsigned int p = s->slots[i].lo >> 16;
		unsigned int lo = s->slots[i].lo & 0xffff;
		unsigned int hi = s->slots[i].hi & 0xffff;
		const char *pn = p == IPPROTO_TCP  ? "TCP" :
				 p == IPPROTO_UDP  ? "UDP" :
				 p == IPPROTO_SCTP ? "SCTP" :
						     NULL;
		char pb[8];
		int n;

		if (!pn) {
			snprintf(pb, sizeof(pb), "%u", p);
			pn = pb;
		}
		if (lo == hi)
			n = snprintf(buf + pos, size - pos, "%s%s %u",
				     i ? ", " : "", pn, lo);
		else
			n = snprintf(buf + pos, size - pos, "%s%s %u-%u",
				     i ? ", " : "", pn, lo, hi);
		if (n < 0)
			break;
		pos += (size_t)n;
	}
}

static const char *ep_state_name(unsigned int s)
{
	switch (s) {
	case NP_EP_DEFAULT_ALLOW:
		return "default-allow";
	case NP_EP_DEFAULT_DENY:
		return "default-deny";
	case NP_EP_POLICIES_APPLIED:
		return "enforced";
	case NP_EP_UNISOLATED:
		return "unisolated";
	}
	return "unknown";
}

static const char *const dir_names[2] = { "ingress", "egress" };

/* Compare direction d's live entries with the encoded ones. */
static int verify_keys(struct np_datapath *dp, const struct np_mapset *ms,
		       int d, uint32_t id, struct np_strbuf *sb, size_t *nd)
{
	size_t before = *nd;
	int fam;

	for (fam = 0; fam < 2; fam++) {
		const struct np_map_entry *ex = ms->ent[fam][d];
		size_t nex = ms->nent[fam][d], nl, i = 0, j = 0;
		struct live_ent *lv;
		int err = rules_collect(dp, fam, id, &lv, &nl);

		if (err)
			return err;
		/* both sorted by address then length */
		while (i < nex || j < nl) {
			char cidr[64], a[160], b[160];
			struct np_portset want;
			int c;

			if (i < nex && j < nl) {
				uint8_t ea[16] = { 0 };

				memcpy(ea, ex[i].cidr.addr, fam ? 16 : 4);
				c = memcmp(ea, lv[j].addr, 16);
				if (!c)
					c = (int)ex[i].cidr.len - lv[j].len;
			} else {
				c = i < nex ? -1 : 1;
			}
			if (c < 0) {
				cidr_text(fam, ex[i].cidr.addr, ex[i].cidr.len,
					  cidr, sizeof(cidr));
				ps_normalize(&want,
					     &ms->portsets[ex[i].portset]);
				ps_text(&want, a, sizeof(a));
				np__sb_printf(sb,
					      "%s: missing key %s (ports "
					      "%s)\n",
					      dir_names[d], cidr, a);
				(*nd)++;
				i++;
				continue;
			}
			cidr_text(fam, lv[j].addr, lv[j].len, cidr,
				  sizeof(cidr));
			if (c > 0) {
				ps_text(&lv[j].set, a, sizeof(a));
				np__sb_printf(sb,
					      "%s: extra key %s (ports "
					      "%s)\n",
					      dir_names[d], cidr, a);
				(*nd)++;
				j++;
				continue;
			}
			ps_normalize(&want, &ms->portsets[ex[i].portset]);
			if (memcmp(&want, &lv[j].set, sizeof(want))) {
				ps_text(&lv[j].set, a, sizeof(a));
				ps_text(&want, b, sizeof(b));
				np__sb_printf(sb,
					      "%s: key %s: port set %u "
					      "has %s, expected %s\n",
					      dir_names[d], cidr, lv[j].psidx,
					      a, b);
				(*nd)++;
			} else if (lv[j].tag != lv[j].len) {
				np__sb_printf(sb,
					      "%s: key %s: value names "
					      "prefix length %u\n",
					      dir_names[d], cidr, lv[j].tag);
				(*nd)++;
			}
			i++;
			j++;
		}
		free(lv);
	}
	if (*nd == before) {
		struct np_ruleset_value rv;

		if (bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &id, &rv)) {
			np__sb_printf(sb,
				      "%s: rule set %u is not in the "
				      "rule-set table\n",
				      dir_names[d], id);
			(*nd)++;
		} else if (rv.hash != dir_digest(ms, d)) {
			np__sb_printf(sb,
				      "%s: rule set %u digest %016llx, "
				      "expected %016llx\n",
				      dir_names[d], id,
				      (unsigned long long)rv.hash,
				      (unsigned long long)dir_digest(ms, d));
			(*nd)++;
		}
	}
	return 0;
}

NP_API int np_datapath_verify(struct np_datapath *dp, unsigned int ifindex,
			      const struct np_ruleset *rs, char **report,
			      size_t *ndrift)
{
	struct np_datapath_hook hooks[2];
	struct np_strbuf sb = { 0 };
	struct np_mapset *ms = NULL;
	struct np_ep_value ep;
	struct np_epa epa;
	size_t nd = 0;
	int d, err;

	if (!dp || !ifindex || !rs || !report || !ndrift)
		return -EINVAL;
	*report = NULL;
	*ndrift = 0;
	if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &ep))
		return -ENOENT;
	err = np_mapset_encode(&ms, rs);
	if (!err)
		err = ms_check(ms, NULL);
	if (err)
		goto out;
	for (d = 0; d < 2; d++) {
		unsigned int want = ms->isolated[d] ? NP_EP_POLICIES_APPLIED :
						      NP_EP_UNISOLATED;

		if (ep.dir[d].state != want) {
			np__sb_printf(&sb,
				      "%s: endpoint state %s, expected "
				      "%s\n",
				      dir_names[d],
				      ep_state_name(ep.dir[d].state),
				      ep_state_name(want));
			nd++;
			continue;
		}
		if (want == NP_EP_POLICIES_APPLIED &&
		    ep.dir[d].lpm != ms_lpm_flags(ms, d)) {
			/* the program would skip (or walk) the trie wrongly */
			np__sb_printf(&sb,
				      "%s: endpoint prefix-key flags 0x%x, "
				      "expected 0x%x\n",
				      dir_names[d], ep.dir[d].lpm,
				      ms_lpm_flags(ms, d));
			nd++;
		}
		if (want == NP_EP_POLICIES_APPLIED) {
			err = verify_keys(dp, ms, d, ep.dir[d].ruleset, &sb,
					  &nd);
			if (err)
				goto out;
		}
	}
	if (!bpf_map_lookup_elem(dp->map_fd[M_EPA],
				 &(uint32_t){ ifindex & (NP_EPA_SIZE - 1) },
				 &epa) &&
	    epa.ifindex == ifindex)
		for (d = 0; d < 2; d++)
			if (epa.dir[d] != ep_word(&ep, d)) {
				/* the programs read the copy */
				np__sb_printf(&sb,
					      "%s: endpoint cache differs "
					      "from the endpoint record\n",
					      dir_names[d]);
				nd++;
			}
	err = np_datapath_hooks(dp, ifindex, hooks);
	if (err)
		goto out;
	for (d = 0; d < 2; d++) {
		const char *hk = d == NP_DIR_INGRESS ? "egress" : "ingress";

		switch (hooks[d].state) {
		case NP_HOOK_OK:
			break;
		case NP_HOOK_MISSING:
			np__sb_printf(&sb,
				      "%s: no filter of ours on the tc "
				      "%s hook\n",
				      dir_names[d], hk);
			nd++;
			break;
		case NP_HOOK_STALE:
			np__sb_printf(&sb,
				      "%s: tc %s filter runs program "
				      "%u, not ours (%u)\n",
				      dir_names[d], hk, hooks[d].prog_id,
				      hooks[d].expected_id);
			nd++;
			break;
		case NP_HOOK_NO_DEVICE:
			np__sb_printf(&sb, "%s: interface %u is gone\n",
				      dir_names[d], ifindex);
			nd++;
			break;
		}
	}
	err = np__sb_finish(&sb, report);
	if (!err)
		*ndrift = nd;
out:
	if (err)
		np__sb_release(&sb);
	np_mapset_free(ms);
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
	/* a flood comes from few pods: one lookup per pod and poll */
	if (dp->ev_pod_ifindex != ev.ifindex) {
		dp->ev_pod_ifindex = ev.ifindex;
		dp->ev_pod_found = !bpf_map_lookup_elem(
			dp->map_fd[M_PODS], &ev.ifindex, &dp->ev_pod);
		dp->ev_pod.ns[sizeof(dp->ev_pod.ns) - 1] = '\0';
		dp->ev_pod.name[sizeof(dp->ev_pod.name) - 1] = '\0';
	}
	if (dp->ev_pod_found) {
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
	dp->ev_pod_ifindex = 0;
	dp->rt_offset_ns =
		(int64_t)(mono_ns(CLOCK_REALTIME) - mono_ns(CLOCK_MONOTONIC));
	n = ring_buffer__poll(dp->rb, timeout_ms);
	if (dp->ev_err)
		return dp->ev_err;
	return n < 0 ? n : 0;
}
