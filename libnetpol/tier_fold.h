/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the files of the fold of the tiers share: its entry points
 * (tier_fold.c), its caches (tier_cache.c), the walk (tier_walk.c), the
 * rules' entries with their universe (tier_ents.c) and interval sets
 * (tier_ivs.c): interval sets, the stage's cache and what its caches key
 * on, a rule's entries, the calls between the files, and the small helpers
 * they use.
 */
#ifndef NP_TIER_FOLD_H
#define NP_TIER_FOLD_H

#include <stdint.h>
#include <string.h>

#include "ruleset_internal.h"
#include "tier.h"

/* sorted, disjoint, not adjacent */
struct ivs {
	struct np_tiv *v;
	size_t n;
};

/* Every protocol and port. */
static const struct np_tiv full_iv = { 0, NP_TIV_MAX };
static const struct ivs full_ivs = { (struct np_tiv *)&full_iv, 1 };

/* One word into h: the caches' hashes of pointers and small words. */
static inline uint64_t mix(uint64_t h, uint64_t x)
{
	h = (h ^ x) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static inline int cidr_sort_cmp(const void *a, const void *b)
{
	const struct np_cidr *x = a, *y = b;
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->addr, y->addr, x->family == 4 ? 4 : 16);
	if (r)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

static inline void host_cidr(const struct np_ip *ip, struct np_cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->family = ip->family;
	c->len = ip->family == 4 ? 32 : 128;
	memcpy(c->addr, ip->addr, sizeof(c->addr));
}

/*
 * The stage's cache, hung on the resolution context beside the core cache
 * (struct np_ctx tier_cache) and gone with it; a change of the snapshot
 * the context follows (pods, Services, Nodes) empties it, and one it does
 * not (cluster policies, namespaces) drops the context. It keeps:
 *
 *   - the cluster policies in (kind, name) order;
 *   - per rule and direction, its entries: the addresses of its peers
 *     (selector peers expanded through the context's patched peer lists,
 *     nodes peers as the selected Nodes' addresses) and egress Services
 *     judged by their backends, with their ports
 *     (ingress: the rule's own, resolved on each subject pod);
 *   - folded cores by their inputs: the NetworkPolicy core, the cluster
 *     policies selecting the pod and (when one of them has an ingress
 *     named port) the pod's container ports. Pods with the same inputs
 *     share one folded core;
 *   - per direction, shares (one direction's keys) by those inputs, by
 *     the NP keys the fold can see (projs) and by content (canon); where
 *     the Admin rules of a set of selecting policies decide everything
 *     (decs, per prefix of the universe).
 */
struct act;
struct np_rs_key;

struct tier_cache {
	uint64_t gen;
	struct np_arena arena; /* rule entries */
	struct np_obj **cnps;
	size_t ncnps;
	struct np_hashmap rules; /* struct rule_ents */
	struct np_hashmap folds; /* struct fold_ent */
	size_t bytes; /* arena bytes of the cached folded cores */
	struct np_hashmap shares; /* struct share_ent */
	struct np_hashmap canon; /* struct canon_ent: shares by content */
	struct np_hashmap projs; /* struct proj_ent: by what a fold sees */
	struct np_hashmap decs; /* struct dec_ent: where Admin decides */
	size_t dec_bytes;
	struct np_hashmap pairs; /* struct pair_ent */
	size_t share_bytes;
	/*
	 * Per direction, the universe: every prefix of every rule's
	 * entries and /0 of both families, sorted (a prefix before those
	 * it contains), built with the first fold.
	 */
	struct np_cidr *uni[2];
	size_t nuni[2];
	/* a fold's buffers, kept for the next */
	struct act *own;
	uint32_t *start;
	size_t owncap, startcap;
};

/*
 * A rule's entries in a direction (the tier cache's): the addresses of its
 * peers and (egress) of the Services it matches, with their ports; ports
 * NULL: each entry has the rule's own ports, resolved on the subject pod
 * (ingress, where named ports are the pod's).
 */
struct rule_ents {
	const struct np_cnp_rule *r;
	int dir;
	size_t n, cap;
	struct np_cidr *cidr;
	struct ivs *ports;
	/* once the direction's universe is built: sorted, and where */
	uint32_t *uidx;
};

/*
 * What the fold's caches key on besides the NP core: the cluster policies
 * selecting the pod, the direction (2: both) and, when one of them has an
 * ingress named port, the pod's container ports. First in each entry,
 * whose copy of sel follows it (in_dup(), tier_cache.c).
 */
struct fold_in {
	const struct np_obj **sel;
	size_t nsel;
	const struct np_container_port *ports;
	size_t nports;
	int dir;
	bool named;
};

/* A folded core, by its inputs. */
struct fold_ent {
	struct fold_in in;
	struct np_rs_core *np; /* the NetworkPolicy core (a reference) */
	struct np_rs_core *core; /* the fold (a reference) */
};

/* Interval sets (tier_ivs.c); results in arena a. */
void np__ivs_norm(struct ivs *s);
int np__ivs_or(struct np_arena *a, const struct ivs *x, const struct ivs *y,
	       struct ivs *out);
int np__ivs_and(struct np_arena *a, const struct ivs *x, const struct ivs *y,
		struct ivs *out);
int np__ivs_sub(struct np_arena *a, const struct ivs *x, const struct ivs *y,
		struct ivs *out);
bool np__ivs_full(const struct ivs *s);
int np__ivs_from_pset(struct np_arena *a, const struct np_pset *p,
		      struct ivs *out);
int np__pset_from_ivs(struct np_arena *a, const struct ivs *s,
		      struct np_pset *out);

/* The rule's ports as intervals; named ones resolved on named_on. */
int np__tier_rule_ivs(struct np_arena *a, const struct np_cnp_rule *r,
		      const struct np_obj *named_on, struct ivs *out);
/* The entries of rule r in dir, from the cache or built into it. */
int np__tier_rule_ents_get(struct np_ctx *ctx, struct tier_cache *tc,
			   const struct np_cnp_rule *r, int dir,
			   const struct rule_ents **out);
/* Every rule's entries and the universe forgotten. */
void np__tier_rule_ents_free(struct tier_cache *tc);
/*
 * The universe of direction dir (tc->uni, tc->nuni) and where each rule's
 * entries are in it (uidx), once per snapshot.
 */
int np__tier_universe(struct np_ctx *ctx, struct tier_cache *tc, int dir);

/*
 * The caches (tier_cache.c): the entry points call them, they call the
 * walk.
 */
/* The context's cache, as of the context's snapshot. */
int np__tier_cache_of(struct np_cluster *c, struct np_ctx *ctx,
		      struct tier_cache **out);
/* The fold cache (tc->folds): an entry's match and hash; a new entry. */
bool np__tier_fold_ent_eq(const void *val, const void *key);
uint64_t np__tier_fold_ent_hash(const struct fold_ent *k);
void np__tier_fold_cache_add(struct tier_cache *tc, const struct fold_ent *key,
			     uint64_t h, struct np_rs_core *core);
/* Whether an ingress rule of the cluster policies sel has a named port. */
bool np__tier_sel_named(const struct np_obj *const *sel, size_t nsel);
/*
 * Direction d's fold for pod (a reference): a share from the cache, or
 * built; *cached when the cache holds it.
 */
int np__tier_share_for(struct np_ctx *ctx, struct tier_cache *tc,
		       const struct np_obj *pod, const struct np_rs_core *np,
		       const struct np_obj **sel, size_t nsel, int d,
		       const struct np_trule *tr, const struct np_frule *fr,
		       size_t n, const uint32_t prov[3],
		       struct np_rs_core **out, bool *cached);

/*
 * The walk (tier_walk.c): the caches and the entry points call it, it
 * calls neither.
 */
/* NP keys k (n) sorted by prefix. */
void np__tier_key_ptr_sort(const struct np_rs_key **k, size_t n);
/*
 * The universe of direction dir and the own entries of the rules tr (n) of
 * pod, in tc (own, start), for np__tier_fold_dir() and
 * np__tier_admin_decided().
 */
int np__tier_fold_prep(struct np_ctx *ctx, struct tier_cache *tc,
		       const struct np_obj *pod, int dir,
		       const struct np_trule *tr, size_t n, struct np_arena *a);
/*
 * The keys and verdict keys of direction dir of core co (a share) from the
 * rules fr (n) as np__tier_fold_prep() placed them and the NP keys npk
 * (nnp, sorted); prov: rule_prov0, np_prov0, def_prov (prov_layout()).
 */
int np__tier_fold_dir(struct tier_cache *tc, const struct np_rs_core *np,
		      int dir, const struct np_frule *fr, size_t n,
		      const uint32_t prov[3],
		      const struct np_rs_key *const *npk, size_t nnp,
		      struct np_rs_core *co, struct np_intern *in,
		      struct np_arena *a);
/*
 * dec[u] (nu + 1 bytes): 1 where the Admin rules of fr (n, placed by
 * np__tier_fold_prep()) decide everything at the universe's prefix u and
 * at each prefix of the walk inside it.
 */
int np__tier_admin_decided(struct tier_cache *tc, int dir,
			   const struct np_frule *fr, size_t n,
			   struct np_arena *a, uint8_t *dec);
/* np__tier_fold_dir() from a source's entries, over a universe of its own. */
int np__tier_fold_dir_src(const struct np_fsrc *src,
			  const struct np_rs_core *np, int dir,
			  const uint32_t prov[3], struct np_rs_core *co,
			  struct np_intern *in, struct np_arena *a);

#endif /* NP_TIER_FOLD_H */
