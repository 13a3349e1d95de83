/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The userspace mirror of the pinned state, per handle: rule-set ids with
 * their keys and reference counts, global port-set slots, counter slots;
 * the generation counter that says when it is stale; rebuilding it from
 * the maps; retiring and reaping rule sets no pod uses. And ep_cache, the
 * programs' copy of endpoint records, written through the
 * BPF_PROG_TYPE_SYSCALL program np_epa_set (epa_*).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_internal.h"

/* --- the generation counter --------------------------------------------- */

uint64_t np__gen_read(struct np_datapath *dp)
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
void np__gen_bump(struct np_datapath *dp)
{
	struct np_ruleset_value v = { 0 };
	uint32_t k = 0;

	/* its pad keeps the next rule-set id (np__rs_id_alloc()) */
	bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &k, &v);
	v.hash = (dp->cache_valid ? dp->gen : np__gen_read(dp)) + 1;
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

void np__cache_clear(struct np_datapath *dp)
{
	size_t i;

	for (i = 0; i < dp->nrs; i++)
		rs_free_one(&dp->rs[i]);
	dp->nrs = 0;
	/* either may be missing: an open that ran out of memory */
	if (dp->gps)
		memset(dp->gps, 0, NP_MAX_PORTSETS * sizeof(*dp->gps));
	if (dp->slot_used)
		memset(dp->slot_used, 0, NP_MAX_ENDPOINTS);
	dp->cache_valid = false;
}

struct rs *np__rs_by_id(struct np_datapath *dp, uint32_t id)
{
	size_t i;

	for (i = 0; i < dp->nrs; i++)
		if (dp->rs[i].id == id)
			return &dp->rs[i];
	return NULL;
}

struct rs *np__rs_add(struct np_datapath *dp, uint32_t id, uint64_t hash)
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

static void rs_delete_entries(struct np_datapath *dp, struct rs *r)
{
	uint32_t x = r->id & (NP_RS_PLENS_SIZE - 1);
	struct np_rs_plens m;
	size_t i;

	np__rules_delete(dp, 0, r->k4, r->n4, r->plh & NP_EPL_PLH_V4);
	np__rules_delete(dp, 1, r->k6, r->n6, r->plh & NP_EPL_PLH_V6);
	/* its lengths, unless another id has the index (a rebuilt cache) */
	if (!bpf_map_lookup_elem(dp->map_fd[M_PLENS], &x, &m) &&
	    m.ruleset == r->id) {
		memset(&m, 0, sizeof(m));
		bpf_map_update_elem(dp->map_fd[M_PLENS], &x, &m, BPF_ANY);
	}
	np__rule_ctrs_delete(dp, r->id, r->n4 + r->n6);
	bpf_map_delete_elem(dp->map_fd[M_RULESETS], &r->id);
	for (i = 0; i < r->nps; i++) {
		struct gps *g = &dp->gps[r->ps[i]];

		if (g->refs && --g->refs == 0)
			memset(g, 0, sizeof(*g));
	}
}

/* Delete rule set r (a pointer into dp->rs) now. */
void np__rs_destroy(struct np_datapath *dp, struct rs *r)
{
	size_t i = r - dp->rs;

	rs_delete_entries(dp, r);
	rs_free_one(r);
	dp->rs[i] = dp->rs[--dp->nrs];
}

void np__grace_period(void)
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
void np__reap(struct np_datapath *dp, bool force)
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
			np__grace_period();
			graced = true;
		}
		if (!force) {
			size_t n = r->n4 + r->n6;

			/* the rest waits for a later call */
			if (budget < n && budget < NP_REAP_BUDGET)
				break;
			budget -= NP_MIN(budget, n);
		}
		np__rs_destroy(dp, r);
	}
	np__gen_bump(dp);
}

void np__rs_put(struct np_datapath *dp, uint32_t id)
{
	struct rs *r = np__rs_by_id(dp, id);

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
 * port sets) the way np_mapset_encode orders entries, so np__rs_holds can
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

	err = np__rule_keys(dp, fam, (void **)&keys, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		const void *k = keys + i * ksz;
		struct np_lpm_value v;
		uint32_t id, gidx;
		struct rs *r;

		id = ntohl(((const struct np_lpm_key_v4 *)k)->ruleset);
		r = np__rs_by_id(dp, id);
		if (!r || np__rule_lookup(dp, fam, k, &v)) {
			/* no owner: a crash mid-apply; nobody points at it */
			np__rule_delete(dp, fam, k);
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
int np__cache_rebuild(struct np_datapath *dp)
{
	struct np_ep_value ep;
	uint32_t *ids = NULL, *eps = NULL;
	size_t nids, neps, i, j;
	int err;

	np__cache_clear(dp);
	dp->gen = np__gen_read(dp);

	err = np__map_keys(dp->map_fd[M_RULESETS], 4, (void **)&ids, &nids);
	if (err)
		goto out;
	for (i = 0; i < nids; i++) {
		uint32_t x = ids[i] & (NP_RS_PLENS_SIZE - 1);
		struct np_ruleset_value v;
		struct np_rs_plens m;
		struct rs *r;

		if (!ids[i] ||
		    bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &ids[i], &v))
			continue;
		r = np__rs_add(dp, ids[i], v.hash);
		if (!r) {
			err = -ENOMEM;
			goto out;
		}
		/* where its prefix keys are: its rs_plens entry says */
		if (!bpf_map_lookup_elem(dp->map_fd[M_PLENS], &x, &m) &&
		    m.ruleset == ids[i])
			r->plh = (m.n[0] ? NP_EPL_PLH_V4 : 0) |
				 (m.n[1] ? NP_EPL_PLH_V6 : 0);
	}
	err = rules_walk(dp, 0);
	if (!err)
		err = rules_walk(dp, 1);
	for (i = 0; !err && i < dp->nrs; i++)
		err = rs_sort_keys(&dp->rs[i]);
	if (err)
		goto out;

	/* a transaction that died: its staged words go (not in our own) */
	if (!dp->read_only && !dp->txn) {
		err = np__ep_settle(dp);
		if (err)
			goto out;
	}
	err = np__map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&eps, &neps);
	if (err)
		goto out;
	for (i = 0; i < neps; i++) {
		struct np_ep_rec rec;
		struct np_ep_value other;
		uint32_t g = np__ep_live(dp);

		if (np__ep_read(dp, eps[i], &rec, &ep))
			continue;
		np__ep_rec_get(&rec, g ^ 1, &other);
		if (ep.dir[0].slot < NP_MAX_ENDPOINTS)
			dp->slot_used[ep.dir[0].slot] = 1;
		/* a rule set either generation enforces is in use */
		for (j = 0; j < 4; j++) {
			const struct np_ep_dir *w = j < 2 ? &ep.dir[j] :
							    &other.dir[j - 2];
			struct rs *r;

			if (w->state != NP_EP_POLICIES_APPLIED ||
			    (j >= 2 &&
			     ep.dir[j - 2].state == NP_EP_POLICIES_APPLIED &&
			     ep.dir[j - 2].ruleset == w->ruleset))
				continue;
			r = np__rs_by_id(dp, w->ruleset);
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
				np__portset_normalize(&g->set, &raw);
				g->hash = np__portset_hash(&g->set);
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
		np__cache_clear(dp);
	return err;
}

/* --- sharing: digests, equality, ids, port-set slots --------------------- */

/* Tests set 0 here to make every digest collide (see np__rs_holds). */
uint64_t np__datapath_digest_mask = ~0ULL;

/* The content digest of direction d of ms, as the rule-set table holds it. */
uint64_t np__dp_digest(const struct np_mapset *ms, int d)
{
	return np__mapset_digest(ms, d) & np__datapath_digest_mask;
}

static const struct np_portset *gps_set(const void *ctx, uint32_t g)
{
	const struct np_datapath *dp = ctx;

	return &dp->gps[g].set;
}

/*
 * Does rule set r hold exactly direction d of ms? Equal digests are not
 * enough: the digest is a 64-bit hash of content tenants write, so two
 * different rule sets could be made to collide and one pod would get
 * another's rules. Sharing an id needs equal keys and equal port sets.
 */
bool np__rs_holds(const struct np_datapath *dp, const struct rs *r,
		  const struct np_mapset *ms, int d)
{
	const struct np_rule_keys rk = {
		.k4 = r->k4,
		.g4 = r->g4,
		.n4 = r->n4,
		.k6 = r->k6,
		.g6 = r->g6,
		.n6 = r->n6,
		.set = gps_set,
		.ctx = dp,
	};

	return np__mapset_dir_equal(ms, d, &rk);
}

/*
 * A fresh rule-set id. Ids grow, also past ones deleted since: a
 * conntrack entry records the id its flow was judged under, and an id
 * given again to other rules would pass for the same rules. The next id
 * is kept in the pad of the generation counter's value (key 0). No two
 * live ids share an rs_plens index (id % NP_RS_PLENS_SIZE): an id whose
 * index is taken is skipped. After 2^31 - 1 ids they wrap to the lowest
 * free one.
 */
uint32_t np__rs_id_alloc(struct np_datapath *dp)
{
	struct np_ruleset_value v = { 0 };
	uint32_t id, max = 0, next = 0, k = 0, tries;
	uint8_t *used = calloc(NP_RS_PLENS_SIZE / 8, 1);
	size_t i;

	if (!used)
		return 0;
	for (i = 0; i < dp->nrs; i++) {
		uint32_t x = dp->rs[i].id & (NP_RS_PLENS_SIZE - 1);

		used[x / 8] |= (uint8_t)(1u << (x % 8));
		if (dp->rs[i].id > max)
			max = dp->rs[i].id;
	}
#define USED(id_)                                     \
	(used[((id_) & (NP_RS_PLENS_SIZE - 1)) / 8] & \
	 (1u << (((id_) & (NP_RS_PLENS_SIZE - 1)) % 8)))
	if (!bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &k, &v))
		memcpy(&next, v.pad, sizeof(next));
	id = max + 1 > next ? max + 1 : next;
	for (tries = 0;
	     tries < NP_RS_PLENS_SIZE && id && id < 0x7fffffff && USED(id);
	     tries++)
		id++;
	if (id >= 0x7fffffff || !id || USED(id)) {
		for (id = 1; id < 0x7fffffff; id++)
			if (!np__rs_by_id(dp, id) && !USED(id))
				break;
		if (id >= 0x7fffffff) {
			free(used);
			return 0;
		}
	}
#undef USED
	free(used);
	next = id + 1;
	memcpy(v.pad, &next, sizeof(next));
	if (bpf_map_update_elem(dp->map_fd[M_RULESETS], &k, &v, BPF_ANY))
		return 0;
	return id;
}

/* A global slot holding set, shared or new; takes a reference for r. */
int np__gps_get(struct np_datapath *dp, struct rs *r,
		const struct np_portset *in, uint32_t *out)
{
	struct np_portset set;
	uint32_t i, free_slot = 0;
	uint64_t h;
	size_t j;
	int err;

	np__portset_normalize(&set, in);
	h = np__portset_hash(&set);
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

/* --- ep_cache: the programs' copy of endpoint records -------------------- */

static int epa_run(struct np_datapath *dp, uint32_t op, uint32_t ifindex,
		   const struct np_ep_rec *rec, uint32_t mask)
{
	struct np_epa_args a = { .op = op, .mask = mask };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &a,
		    .ctx_size_in = sizeof(a));
	int err;

	if (rec)
		a.rec = *rec;
	a.rec.ifindex = ifindex;
	err = bpf_prog_test_run_opts(dp->prog_fd[P_EPA], &o);
	if (err)
		return err;
	return o.retval == NP_EPA_OK	    ? 0 :
	       o.retval == NP_EPA_NOT_OWNER ? -ESTALE :
					      -EINVAL;
}

/* Drop ifindex's entry from ep_cache, if it has one. */
int np__epa_release(struct np_datapath *dp, uint32_t ifindex)
{
	uint32_t idx = ifindex & (NP_EPA_SIZE - 1);
	struct np_ep_rec e;
	int err;

	if (bpf_map_lookup_elem(dp->map_fd[M_EPA], &idx, &e))
		return -errno;
	if (e.ifindex != ifindex)
		return 0;
	err = epa_run(dp, NP_EPA_RELEASE, ifindex, NULL, 0);
	if (err)
		LOG(dp, NP_LOG_ERROR, "ifindex %u: endpoint cache: %s", ifindex,
		    strerror(-err));
	return err;
}

/*
 * Mirror ifindex's record (just written to the endpoints hash) into
 * ep_cache: update the pod's entry (the words in mask, bit g * 2 + d, and
 * the addresses), or claim it when free (all of it); an entry of
 * another pod (np_epa_set refuses both) leaves this one on the hash. A
 * failed write releases the entry, so a packet never reads a stale copy;
 * only when that fails too is the copy stale, and the error returned.
 */
int np__epa_sync(struct np_datapath *dp, uint32_t ifindex,
		 const struct np_ep_rec *rec, uint32_t mask)
{
	int err = epa_run(dp, NP_EPA_UPDATE, ifindex, rec, mask);

	if (err == -ESTALE)
		err = epa_run(dp, NP_EPA_CLAIM, ifindex, rec, 0xf);
	if (!err || err == -ESTALE)
		return 0;
	LOG(dp, NP_LOG_WARN, "ifindex %u: endpoint cache: %s; released",
	    ifindex, strerror(-err));
	return np__epa_release(dp, ifindex);
}

/*
 * Make ep_cache agree with the endpoints hash (a process may have died
 * between the two): entries of vanished records are released, records the
 * cache lacks or holds otherwise are written again. At open, under the
 * lock; when they agree (always, but after a crash) it writes nothing.
 */
int np__epa_reconcile(struct np_datapath *dp)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, bo);
	uint32_t *keys = calloc(NP_EPA_SIZE, sizeof(*keys)), *eps = NULL;
	struct np_ep_rec *vals = calloc(NP_EPA_SIZE, sizeof(*vals));
	uint32_t cnt = NP_EPA_SIZE, out = 0, i;
	struct np_ep_rec ep;
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
			err = epa_run(dp, NP_EPA_RELEASE, vals[i].ifindex, NULL,
				      0);
			if (err)
				goto out;
			memset(&vals[i], 0, sizeof(vals[i])); /* free now */
		}
	err = np__map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&eps, &neps);
	for (j = 0; !err && j < neps; j++) {
		/* the array's keys are its indexes, all of them returned */
		const struct np_ep_rec *e = &vals[eps[j] & (NP_EPA_SIZE - 1)];

		if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &eps[j], &ep))
			continue;
		ep.ifindex = e->ifindex;
		/* in agreement (or another pod's): nothing to write */
		if (cnt == NP_EPA_SIZE && e->ifindex &&
		    (e->ifindex != eps[j] || !memcmp(e, &ep, sizeof(ep))))
			continue;
		err = np__epa_sync(dp, eps[j], &ep, 0xf);
	}
out:
	free(keys);
	free(vals);
	free(eps);
	return err;
}

/* --- endpoint records: the live generation and its copy ----------------- */

uint32_t np__ep_live(const struct np_datapath *dp)
{
	return __atomic_load_n(&dp->rt->gen, __ATOMIC_ACQUIRE) & 1;
}

void np__ep_rec_get(const struct np_ep_rec *rec, uint32_t g,
		    struct np_ep_value *out)
{
	memcpy(&out->dir[0], &rec->w[g & 1][0], sizeof(out->dir[0]));
	memcpy(&out->dir[1], &rec->w[g & 1][1], sizeof(out->dir[1]));
}

void np__ep_rec_set(struct np_ep_rec *rec, uint32_t g,
		    const struct np_ep_value *v)
{
	memcpy(&rec->w[g & 1][0], &v->dir[0], sizeof(v->dir[0]));
	memcpy(&rec->w[g & 1][1], &v->dir[1], sizeof(v->dir[1]));
}

int np__ep_read(struct np_datapath *dp, uint32_t ifindex, struct np_ep_rec *rec,
		struct np_ep_value *live)
{
	struct np_ep_rec r;

	if (bpf_map_lookup_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &r))
		return -ENOENT;
	if (rec)
		*rec = r;
	if (live)
		np__ep_rec_get(&r, np__ep_live(dp), live);
	return 0;
}

int np__ep_write(struct np_datapath *dp, uint32_t ifindex,
		 const struct np_ep_rec *rec, uint64_t flags, uint32_t mask)
{
	struct np_ep_rec r = *rec;
	int err;

	r.ifindex = 0;
	err = bpf_map_update_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &r, flags);
	if (!err)
		err = np__epa_sync(dp, ifindex, &r, mask);
	return err;
}

/*
 * Make every record's other generation equal to its live one: what a
 * transaction that died left behind (staged words before its flip, the
 * old generation after it). Writing opens and rebuilds, outside a
 * transaction, under the lock.
 */
int np__ep_settle(struct np_datapath *dp)
{
	uint32_t *eps, g = np__ep_live(dp);
	size_t n, i;
	int err;

	err = np__map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&eps, &n);
	if (err)
		return err;
	for (i = 0; i < n && err >= 0; i++) {
		err = np__ep_align(dp, eps[i], g);
		if (err > 0)
			LOG(dp, NP_LOG_WARN,
			    "ifindex %u: a transaction left its generations "
			    "apart: the live one stays",
			    eps[i]);
	}
	free(eps);
	return err < 0 ? err : 0;
}

int np__ep_align(struct np_datapath *dp, uint32_t ifindex, uint32_t live)
{
	struct np_ep_rec rec;
	uint32_t g = live & 1;
	int err;

	if (np__ep_read(dp, ifindex, &rec, NULL) ||
	    !memcmp(rec.w[0], rec.w[1], sizeof(rec.w[0])))
		return 0;
	memcpy(rec.w[g ^ 1], rec.w[g], sizeof(rec.w[g]));
	err = np__ep_write(dp, ifindex, &rec, BPF_EXIST, 3u << ((g ^ 1) * 2));
	return err ? err : 1;
}

void np__ep_rec_src(struct np_ep_rec *rec, const struct np_ep_rec *src)
{
	rec->src_flags = src->src_flags;
	rec->ip4 = src->ip4;
	memcpy(rec->ip6, src->ip6, sizeof(rec->ip6));
}

/* --- transactions: staged pods, rule-set references of words ------------ */

struct txn_ent *np__txn_find(struct np_datapath *dp, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < dp->ntxe; i++)
		if (dp->txe[i].ifindex == ifindex)
			return &dp->txe[i];
	return NULL;
}

/* Take a reference on the rule sets of nep's directions in dirs. */
void np__words_hold(struct np_datapath *dp, const struct np_ep_value *v,
		    unsigned int dirs)
{
	struct rs *r;
	int d;

	for (d = 0; d < 2; d++)
		if ((dirs & (1u << d)) &&
		    v->dir[d].state == NP_EP_POLICIES_APPLIED &&
		    (r = np__rs_by_id(dp, v->dir[d].ruleset)))
			r->refs++;
}

/* The rule sets a direction word holds a reference on. */
void np__words_put(struct np_datapath *dp, const struct np_ep_value *v,
		   unsigned int dirs)
{
	int d;

	for (d = 0; d < 2; d++)
		if ((dirs & (1u << d)) &&
		    v->dir[d].state == NP_EP_POLICIES_APPLIED)
			np__rs_put(dp, v->dir[d].ruleset);
}
