/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the datapath files (datapath.c, dp_*.c) share and nobody else sees:
 * the handle, the table of pinned maps and programs, the userspace mirror
 * of a rule set, and the prototypes each dp_*.c offers the others. Who
 * calls whom (no file calls back up):
 *   datapath.c (lifecycle, pods, apply)  -> dp_cache, dp_maps, dp_tc, dp_load
 *   dp_verify.c                         -> dp_inspect, dp_maps, dp_cache
 *   dp_inspect.c, dp_events.c           -> dp_maps, dp_tc, dp_load
 *   dp_cache.c                          -> dp_maps
 *   dp_tc.c                             -> dp_maps
 *   dp_maps.c, dp_load.c                -> libbpf only
 * Tests and benchmarks use datapath_internal.h instead.
 */
#ifndef NP_DP_INTERNAL_H
#define NP_DP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "netpol/datapath.h"

#include "../bpf/netpol_abi.h"
#include "datapath_internal.h"
#include "mapset.h"
#include "util.h"

#define NP_DEFAULT_PIN_ROOT "/sys/fs/bpf/netpol"
#define NP_BPFFS "/sys/fs/bpf"
#define NP_TC_HANDLE 0x4e50 /* "NP" */
#define NP_TC_PRIO 1 /* first: filters run by priority */
#define NP_RETIRE_NS 1000000000ull /* retired id: kept this long */
#define NP_IFX_MASK 0x00ffffffu /* ifindex bits in conntrack */
/* a long-lived writing handle collects stale records this often */
#define NP_STALE_NS (30 * 1000000000ull)

/*
 * Keys a map walk visits at most (np__map_keys, map_count): a walk
 * restarts when its previous key is deleted under it.
 */
#define NP_MAX_WALK (4u << 20)

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
	M_PFX4,
	M_PFX6,
	M_PLENS,
	M_RCTRS,
	/* made and pinned by userspace, not in the skeleton (dp_load.c) */
	M_NETNS,
	M_IFID,
	M__N,
};

#define M__SKEL M_NETNS /* the skeleton's maps come first */

/* netns, key 0: the network namespace the datapath was made in. */
struct np_netns_rec {
	uint64_t ino; /* of /proc/self/ns/net */
	uint64_t dev;
	uint64_t cookie; /* SO_NETNS_COOKIE, 0 where the kernel has none */
};

/*
 * ifids, key ifindex: what the attached interface was at attach, as
 * RTM_GETLINK tells it. The kernel has no creation counter for a netdev;
 * a veth's MAC address is drawn at random when it is made (unless the CNI
 * sets one), so with the name and the peer it tells a new veth on a reused
 * ifindex from the one attached (dp_tc.c, np__ifid_check()).
 */
struct np_ifid {
	char name[16];
	uint8_t mac[8];
	uint32_t mac_len;
	uint32_t link; /* IFLA_LINK: the veth peer's ifindex */
	int32_t link_nsid; /* IFLA_LINK_NETNSID, -1: none */
	uint32_t pad;
};

/* Pod direction d's hook: its ingress is the veth's TC egress, and back. */
static inline enum bpf_tc_attach_point np__dir_hook(int d)
{
	return d == NP_DIR_INGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

/* What runs before our program on a hook (dp_tc.c, np__tc_ahead()). */
struct np_ahead {
	uint32_t n; /* tc filters and TCX programs ahead of ours */
	uint32_t prog_id; /* the first one's program, 0: not BPF */
	uint32_t handle; /* tc filter: its handle; TCX: 0 */
	uint16_t prio; /* tc filter: its priority; TCX: 0 */
	char kind[12]; /* "tcx" or the tc filter's kind */
};

struct mapdesc {
	const char *pin;
	uint32_t type;
	uint32_t key;
	uint32_t value;
};

/* The pinned maps: pin name, type, key and value sizes (dp_load.c). */
extern const struct mapdesc np__maps[M__N];

#define P_EPA 2 /* np_epa_set, after the two by enum np_dir */
#define P_CLOCK 3 /* np_tc_clock */
#define NPROGS 4

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
	/*
	 * NP_EPL_PLH_V4/V6: the families whose prefix keys are in the
	 * per-length hash (its rs_plens entry), not in the trie
	 */
	uint8_t plh;
};

/* One global port set slot. */
struct gps {
	uint32_t refs; /* rule sets holding it */
	uint64_t hash;
	struct np_portset set; /* normalized: unused slots zero */
};

/* One pod a transaction changes: its live words then, and the staged. */
struct txn_ent {
	uint32_t ifindex;
	struct np_ep_value old;
	struct np_ep_value nep;
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
	bool read_only; /* existing_only: no repair at open, no reap at close */
	/* a transaction (np_datapath_begin()): the pods it staged */
	bool txn;
	/* programming latency: when the apply or the transaction began */
	uint64_t apply_t0;
	uint64_t txn_t0;
	struct txn_ent *txe;
	size_t ntxe;
	size_t captxe;
	int dirs_made; /* trailing pin_root components this open created */
	uint64_t stale_ns; /* stale records collected at most this often */
	uint64_t stale_last_ns; /* and last then (CLOCK_MONOTONIC) */
	int print_depth; /* np__print_begin() nesting */
	libbpf_print_fn_t print_prev; /* libbpf's print before ours */
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

static inline uint64_t mono_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A direction of the record as ep_cache holds it: the same 8 bytes. */
static inline uint64_t ep_word(const struct np_ep_value *ep, int d)
{
	uint64_t x;

	memcpy(&x, &ep->dir[d], sizeof(x));
	return x;
}

/* One live LPM entry of one rule set. */
struct live_ent {
	uint8_t addr[16];
	uint8_t len; /* address bits of the key */
	uint8_t tag; /* prefix length carried in the value */
	uint32_t pieces; /* the kernel keys it was read from (np__mapset_kkeys) */
	uint32_t psidx;
	uint32_t ctr; /* np_lpm_value.ctr: its counters' key number */
	struct np_portset set; /* normalized, from the live port map */
};

/* --- dp_maps.c: map helpers, rule keys over the host hash and the trie -- */

int np__map_keys(int fd, size_t ksz, void **out, size_t *n);
int np__pods_list(struct np_datapath *dp, uint32_t **ifx, size_t *n);
int np__rule_lookup(const struct np_datapath *dp, int fam, const void *k,
		    struct np_lpm_value *v);
void np__rule_delete(const struct np_datapath *dp, int fam, const void *k);
int np__rule_keys(struct np_datapath *dp, int fam, void **out, size_t *n);
int np__rule_find(const struct np_datapath *dp, int fam, uint32_t id,
		  uint8_t lpm, const uint8_t *addr, struct np_lpm_value *v);
void np__rules_delete(struct np_datapath *dp, int fam, const void *keys,
		      size_t n, bool plh);
int np__rules_write(struct np_datapath *dp, int fam, const void *keys,
		    const struct np_lpm_value *vals, size_t n, bool plh);
int np__rules_collect(struct np_datapath *dp, int fam, uint32_t id,
		      struct live_ent **out, size_t *n);
/* Node-wide counter k of the stats map (NP_STAT_*): sum over CPUs; add. */
uint64_t np__stat_sum(struct np_datapath *dp, uint32_t k);
void np__stat_add(struct np_datapath *dp, uint32_t k, uint64_t n);

/* --- dp_tc.c: TCX links, TC filters and the clsact qdisc ---------------- */

bool np__tcx_available(void);
int np__tcx_pos(unsigned int ifindex, enum bpf_tc_attach_point ap, uint32_t id,
		uint32_t *n, uint32_t *first);
int np__tcx_ensure(struct np_datapath *dp, unsigned int ifindex,
		   enum bpf_tc_attach_point ap, int dir);
void np__tcx_remove(struct np_datapath *dp, unsigned int ifindex,
		    enum bpf_tc_attach_point ap);

int np__tc_filters(unsigned int ifindex, uint32_t parent, size_t *n,
		   bool *ours);
int np__tc_qdisc_create(unsigned int ifindex);
int np__tc_filter_ensure(struct np_datapath *dp, unsigned int ifindex,
			 enum bpf_tc_attach_point ap, int dir);
int np__tc_filter_remove(struct np_datapath *dp, unsigned int ifindex,
			 enum bpf_tc_attach_point ap, int dir);
void np__tc_qdisc_release(struct np_datapath *dp, unsigned int ifindex);
int np__tc_ahead(unsigned int ifindex, enum bpf_tc_attach_point ap, uint32_t id,
		 struct np_ahead *out);
int np__tc_owner(struct np_datapath *dp, unsigned int ifindex,
		 enum bpf_tc_attach_point ap, char *root, size_t size);
/*
 * A pod's two hooks: our program on both (TCX links when tcx, else tc
 * filters); the other kind removed (both when all; *flags loses
 * NP_PODF_QDISC when the qdisc goes); at a writing open, every known
 * pod's hooks checked and put back, with a warning each.
 */
int np__hooks_ensure(struct np_datapath *dp, uint32_t ifindex, bool tcx);
void np__hooks_drop(struct np_datapath *dp, uint32_t ifindex, bool tcx,
		    bool all, uint32_t *flags);
void np__hooks_check(struct np_datapath *dp);
int np__link_ident(unsigned int ifindex, struct np_ifid *out);
int np__ifid_check(struct np_datapath *dp, uint32_t ifindex);

/* --- datapath.c: the lock, diagnostics --------------------------------- */

int np__dp_lock_opts(struct np_datapath *dp, bool nowait);
void np__dp_unlock(struct np_datapath *dp);
/* Lock and rebuild the cache when stale; np__dp_end() bumps and unlocks. */
int np__dp_begin(struct np_datapath *dp);
void np__dp_end(struct np_datapath *dp, bool changed);
void np__dp_diag_set(struct np_diag *diag, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- dp_load.c: bpffs, load and pin, open, the clock, runtime ----------- */

int np__ensure_bpffs(struct np_datapath *dp);
int np__mkdir_p(const char *path, int *made);
void np__rmdir_made(const char *path, int made);
void np__print_begin(struct np_datapath *dp);
void np__print_end(struct np_datapath *dp);
const char *np__cap_hint(int err, const char *cap);
void np__unpin_all(struct np_datapath *dp);
int np__dp_load(struct np_datapath *dp, uint32_t ct_size, bool existing);
int np__clock_now(const struct np_datapath *dp, uint32_t *now);

/* --- dp_inspect.c: inspection of the live maps -------------------------- */

/* "addr/len" of family fam (0: IPv4, 1: IPv6) into buf. */
void np__cidr_text(int fam, const uint8_t *addr, unsigned int len, char *buf,
		   size_t size);

/* --- dp_cache.c: the mirror of pinned state, ep_cache ------------------- */

uint64_t np__gen_read(struct np_datapath *dp);
void np__gen_bump(struct np_datapath *dp);
void np__cache_clear(struct np_datapath *dp);
int np__cache_rebuild(struct np_datapath *dp);
struct rs *np__rs_by_id(struct np_datapath *dp, uint32_t id);
struct rs *np__rs_add(struct np_datapath *dp, uint32_t id, uint64_t hash);
uint32_t np__rs_id_alloc(struct np_datapath *dp);
size_t np__lat_bounds(double *b, size_t cap);
void np__lat_observe(struct np_datapath *dp, uint64_t ns);
void np__rule_ctrs_delete(struct np_datapath *dp, uint32_t id, size_t nkeys);
int np__rule_ctrs_read(struct np_datapath *dp, uint32_t id, uint32_t key,
		       struct np_counters *sum);
bool np__rs_holds(const struct np_datapath *dp, const struct rs *r,
		  const struct np_mapset *ms, int d);
void np__rs_destroy(struct np_datapath *dp, struct rs *r);
void np__rs_put(struct np_datapath *dp, uint32_t id);
void np__reap(struct np_datapath *dp, bool force);
/* Wait until no packet can be reading what was replaced (synchronize_rcu). */
void np__grace_period(void);
int np__gps_get(struct np_datapath *dp, struct rs *r,
		const struct np_portset *in, uint32_t *out);
uint64_t np__dp_digest(const struct np_mapset *ms, int d);
int np__epa_release(struct np_datapath *dp, uint32_t ifindex);
int np__epa_sync(struct np_datapath *dp, uint32_t ifindex,
		 const struct np_ep_rec *rec, uint32_t mask);
int np__epa_reconcile(struct np_datapath *dp);
/*
 * Endpoint records (netpol_abi.h, struct np_ep_rec): the live generation
 * (np_rt.gen & 1), one generation's words as a struct np_ep_value, the
 * record of an ifindex (-ENOENT) with its live words, a record written to
 * the hash and ep_cache (mask: the words ep_cache takes, bit g * 2 + d),
 * and the generations made equal again after a dead transaction.
 */
uint32_t np__ep_live(const struct np_datapath *dp);
void np__ep_rec_get(const struct np_ep_rec *rec, uint32_t g,
		    struct np_ep_value *out);
void np__ep_rec_set(struct np_ep_rec *rec, uint32_t g,
		    const struct np_ep_value *v);
int np__ep_read(struct np_datapath *dp, uint32_t ifindex, struct np_ep_rec *rec,
		struct np_ep_value *live);
int np__ep_write(struct np_datapath *dp, uint32_t ifindex,
		 const struct np_ep_rec *rec, uint64_t flags, uint32_t mask);
int np__ep_settle(struct np_datapath *dp);
/*
 * Make ifindex's other generation equal to generation live: 1 when it
 * was written, 0 when they were equal (or no record), or a negative errno.
 */
int np__ep_align(struct np_datapath *dp, uint32_t ifindex, uint32_t live);
/* The source addresses of src (flags, IPv4, IPv6) into rec. */
void np__ep_rec_src(struct np_ep_rec *rec, const struct np_ep_rec *src);
/* The pod a transaction staged, or NULL. */
struct txn_ent *np__txn_find(struct np_datapath *dp, uint32_t ifindex);
/* Take or drop the rule-set references of v's directions in dirs. */
void np__words_hold(struct np_datapath *dp, const struct np_ep_value *v,
		    unsigned int dirs);
void np__words_put(struct np_datapath *dp, const struct np_ep_value *v,
		   unsigned int dirs);

#endif /* NP_DP_INTERNAL_H */
