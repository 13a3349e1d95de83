// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The caches of the tier fold, which share its walk (tier_walk.c) between
 * pods; tier_fold.c has the entry points, which call here (nothing here
 * calls them). The caches hang on the resolution context as struct
 * tier_cache (tier_fold.h says what it keeps and when it empties): here
 * its lifetime (np__tier_cache_of()) and, keyed by a pod's inputs (struct
 * fold_in: the cluster policies selecting it and, with an ingress named
 * port, its ports):
 *
 *   - folded cores, with the NetworkPolicy core: pods with the same inputs
 *     share one core (folds);
 *   - per direction, shares (one direction's keys and verdict keys): by
 *     those inputs and the NP keys of that direction (shares); by the NP
 *     keys the fold can see (projs), np_relevant() leaving out those where
 *     the Admin rules decide everything (decs, per prefix of the
 *     universe); and by content (canon).
 *
 * np__tier_share_for() looks a direction's share up in that order and has
 * the walk build it when none fits. The rules' entries and the universe,
 * also in the stage's cache, are tier_ents.c's; the hashes of a core's
 * pair of shares (pairs) are fold_new()'s, in tier_fold.c.
 */
#include <stdlib.h>

#include "tier_fold.h"

/* --- the caches' inputs and the stage's cache --------------------------- */

static bool ports_eq(const struct np_container_port *x,
		     const struct np_container_port *y, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i].proto != y[i].proto || x[i].port != y[i].port ||
		    !x[i].name != !y[i].name ||
		    (x[i].name && strcmp(x[i].name, y[i].name)))
			return false;
	return true;
}

static bool in_eq(const struct fold_in *x, const struct fold_in *y)
{
	return x->dir == y->dir && x->nsel == y->nsel && x->named == y->named &&
	       !memcmp(x->sel, y->sel, y->nsel * sizeof(*y->sel)) &&
	       (!y->named || (x->nports == y->nports &&
			      ports_eq(x->ports, y->ports, y->nports)));
}

static uint64_t in_hash(uint64_t h, const struct fold_in *k)
{
	size_t i;

	h = mix(h, (uint64_t)k->dir);
	for (i = 0; i < k->nsel; i++)
		h = mix(h, (uintptr_t)k->sel[i]);
	for (i = 0; k->named && i < k->nports; i++)
		h = mix(h,
			(uint64_t)k->ports[i].proto << 16 | k->ports[i].port);
	return h;
}

/*
 * A cache entry of size bytes (struct fold_in first), zeroed but for its
 * inputs: k's, with a copy of k's sel after the entry.
 */
static void *in_dup(size_t size, const struct fold_in *k)
{
	struct fold_in *e = calloc(1, size + (k->nsel + 1) * sizeof(*k->sel));

	if (!e)
		return NULL;
	*e = *k;
	e->sel = (const struct np_obj **)((char *)e + size);
	memcpy(e->sel, k->sel, k->nsel * sizeof(*k->sel));
	return e;
}

static void fold_cache_clear(struct tier_cache *tc);
static void share_cache_clear(struct tier_cache *tc);

static void tier_cache_clear(struct tier_cache *tc)
{
	fold_cache_clear(tc);
	share_cache_clear(tc);
	np__tier_rule_ents_free(tc);
	np__arena_release(&tc->arena);
	free(tc->cnps);
	tc->cnps = NULL;
	tc->ncnps = 0;
}

static void tier_cache_free(void *p)
{
	struct tier_cache *tc = p;

	if (!tc)
		return;
	tier_cache_clear(tc);
	free(tc->own);
	free(tc->start);
	free(tc);
}

/* The context's cache, as of the context's snapshot. */
int np__tier_cache_of(struct np_cluster *c, struct np_ctx *ctx,
		      struct tier_cache **out)
{
	static const enum np_kind kinds[] = {
		NP_KIND_CLUSTER_NETWORK_POLICY,
		NP_KIND_AWS_CLUSTER_NETWORK_POLICY,
	};
	struct tier_cache *tc = ctx->tier_cache;
	struct np_obj **objs;
	size_t k, nobj;
	int err;

	if (tc && tc->gen == ctx->gen && tc->cnps) {
		*out = tc;
		return 0;
	}
	if (!tc) {
		tc = calloc(1, sizeof(*tc));
		if (!tc)
			return -ENOMEM;
		ctx->tier_cache = tc;
		ctx->tier_cache_free = tier_cache_free;
	}
	tier_cache_clear(tc);
	tc->cnps = malloc((c->t[kinds[0]].n + c->t[kinds[1]].n + 1) *
			  sizeof(*tc->cnps));
	if (!tc->cnps)
		return -ENOMEM;
	for (k = 0; k < 2; k++) {
		err = np__cluster_sorted(c, kinds[k], &objs, &nobj);
		if (err) {
			free(tc->cnps);
			tc->cnps = NULL;
			return err;
		}
		if (nobj)
			memcpy(tc->cnps + tc->ncnps, objs,
			       nobj * sizeof(*objs));
		tc->ncnps += nobj;
		free(objs);
	}
	tc->gen = ctx->gen;
	*out = tc;
	return 0;
}

/* --- the NP keys a fold sees: where Admin decides (decs) ---------------- */

/*
 * np__tier_admin_decided() of the rules of the cluster policies sel in
 * direction dir (and for ingress with named ports, the pod's ports),
 * remembered.
 */
struct dec_ent {
	struct fold_in in;
	uint8_t *dec;
};

static bool dec_eq(const void *val, const void *key)
{
	const struct dec_ent *e = val, *k = key;

	return in_eq(&e->in, &k->in);
}

static uint64_t dec_hash(const struct dec_ent *k)
{
	return in_hash(0x646563, &k->in);
}

static void dec_ent_free(void *p)
{
	struct dec_ent *e = p;

	free(e->dec);
	free(e);
}

static void dec_cache_clear(struct tier_cache *tc)
{
	np__hashmap_release_each(&tc->decs, dec_ent_free);
	tc->dec_bytes = 0;
}

struct prep {
	struct np_ctx *ctx;
	const struct np_obj *pod;
	const struct np_trule *tr;
	bool done;
};

/* np__tier_fold_prep() of p's rules once, when first needed. */
static int prep_once(struct tier_cache *tc, struct prep *p, int dir, size_t n,
		     struct np_arena *a)
{
	int err;

	if (p->done)
		return 0;
	err = np__tier_fold_prep(p->ctx, tc, p->pod, dir, p->tr, n, a);
	p->done = !err;
	return err;
}

/*
 * Remember dec (nu + 1 bytes, malloc'd) as key's; true when the cache
 * took it. Bounded to an eighth of the tier cache's budget.
 */
static bool dec_cache_add(struct tier_cache *tc, const struct dec_ent *key,
			  uint64_t h, uint8_t *dec, size_t nu)
{
	struct dec_ent *e;

	if (tc->dec_bytes + nu + 1 > NP_TIER_CACHE / 8)
		return false;
	e = in_dup(sizeof(*e), &key->in);
	if (!e)
		return false;
	e->dec = dec;
	if (np__hashmap_add(&tc->decs, h, e, 64)) {
		free(e);
		return false;
	}
	tc->dec_bytes += nu + 1;
	return true;
}

/*
 * The NP keys of direction dir that the fold of the rules fr (placed by
 * np__tier_fold_prep() through p when needed; key: whose they are) can see,
 * sorted (malloc'd *out, *nout of them). A key at a prefix of the walk
 * where the Admin rules decide everything, there and at every prefix of
 * the walk inside it, changes nothing: fold_at() never reaches the
 * NetworkPolicy step at those prefixes, and the walk visits the prefix
 * whether the key is there or not. So pods whose NP keys differ only
 * there fold alike (struct proj_ent), and the walk skips those keys.
 */
static int np_relevant(struct tier_cache *tc, const struct np_rs_core *np,
		       const struct dec_ent *key, struct prep *p,
		       const struct np_frule *fr, size_t n, struct np_arena *a,
		       const struct np_rs_key ***out, size_t *nout)
{
	int dir = key->in.dir;
	const struct np_cidr *uni = tc->uni[dir];
	const struct np_rs_key **k;
	size_t nu = tc->nuni[dir], nk = np->nkeys[dir], i, j, m;
	const struct dec_ent *e;
	uint64_t h = dec_hash(key);
	uint8_t *tmp = NULL;
	const uint8_t *dec;
	int err;

	e = np__hashmap_get(&tc->decs, h, dec_eq, key);
	if (e) {
		dec = e->dec;
	} else {
		tmp = calloc(nu + 1, 1);
		err = tmp ? prep_once(tc, p, dir, n, a) : -ENOMEM;
		if (!err)
			err = np__tier_admin_decided(tc, dir, fr, n, a, tmp);
		if (err) {
			free(tmp);
			return err;
		}
		dec = tmp;
		if (dec_cache_add(tc, key, h, tmp, nu))
			tmp = NULL; /* the cache's now */
	}
	k = malloc((nk + 1) * sizeof(*k));
	if (!k) {
		free(tmp);
		return -ENOMEM;
	}
	for (j = 0; j < nk; j++)
		k[j] = &np->keys[dir][j];
	np__tier_key_ptr_sort(k, nk);
	/* the keys at a decided prefix go; both lists are sorted alike */
	for (i = j = m = 0; j < nk; j++) {
		int c = 1;

		while (i < nu && (c = cidr_sort_cmp(&uni[i], &k[j]->cidr)) < 0)
			i++;
		if (i < nu && !c && dec[i])
			continue;
		k[m++] = k[j];
	}
	free(tmp);
	*out = k;
	*nout = m;
	return 0;
}

/* --- folded cores by their inputs (folds) ------------------------------- */

bool np__tier_fold_ent_eq(const void *val, const void *key)
{
	const struct fold_ent *e = val, *k = key;

	return e->np == k->np && in_eq(&e->in, &k->in);
}

uint64_t np__tier_fold_ent_hash(const struct fold_ent *k)
{
	return in_hash(mix(0x666f6c64, (uintptr_t)k->np), &k->in);
}

static void fold_ent_free(void *p)
{
	struct fold_ent *e = p;

	np__core_put(e->np);
	np__core_put(e->core);
	free(e);
}

static void fold_cache_clear(struct tier_cache *tc)
{
	np__hashmap_release_each(&tc->folds, fold_ent_free);
	tc->bytes = 0;
}

/*
 * Remember core as the fold of key's inputs. Bounded like the core cache:
 * past NP_TIER_CACHE bytes, or 65536 slots, it starts over.
 */
void np__tier_fold_cache_add(struct tier_cache *tc, const struct fold_ent *key,
			     uint64_t h, struct np_rs_core *core)
{
	struct fold_ent *e;

	if (tc->bytes + core->arena.used > NP_TIER_CACHE ||
	    (tc->folds.n + 1 > tc->folds.cap / 2 && tc->folds.cap * 2 > 65536))
		fold_cache_clear(tc);
	e = in_dup(sizeof(*e), &key->in);
	if (!e)
		return;
	e->np = key->np;
	if (np__hashmap_add(&tc->folds, h, e, 64)) {
		free(e);
		return;
	}
	__atomic_add_fetch(&e->np->refs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&core->refs, 1, __ATOMIC_RELAXED);
	e->core = core;
	tc->bytes += core->arena.used;
}

/* Whether an ingress rule of the cluster policies sel has a named port. */
bool np__tier_sel_named(const struct np_obj *const *sel, size_t nsel)
{
	size_t i, j;

	for (i = 0; i < nsel; i++)
		for (j = 0; j < sel[i]->cnp.ningress; j++)
			if (np__cnp_rule_has_named(&sel[i]->cnp.ingress[j]))
				return true;
	return false;
}

/* --- shares: by inputs, by what a fold sees, by content ----------------- */

/* Whether NP keys p and q give a fold the same input. */
static bool np_key_same(const struct np_rs_key *p, const struct np_rs_key *q)
{
	size_t j;

	if (cidr_sort_cmp(&p->cidr, &q->cidr) || p->ncontrib != q->ncontrib ||
	    !np__pset_eq(p->ports, q->ports))
		return false;
	for (j = 0; j < p->ncontrib; j++)
		if (p->contrib[j].prov != q->contrib[j].prov ||
		    !np__pset_eq(p->contrib[j].ports, q->contrib[j].ports))
			return false;
	return true;
}

static uint64_t np_key_hash(uint64_t h, const struct np_rs_key *k)
{
	uint64_t a[2];

	memcpy(a, k->cidr.addr, sizeof(a));
	h = mix(mix(mix(h, a[0]), a[1]),
		(uint64_t)k->cidr.len << 32 | k->ncontrib);
	return mix(h, (uint64_t)k->ports->n << 1 | k->ports->all);
}

/* Whether NP cores x and y give direction d's fold the same input. */
static bool np_dir_eq(const struct np_rs_core *x, const struct np_rs_core *y,
		      int d)
{
	size_t i;

	if (x == y)
		return true;
	if (x->isolated[d] != y->isolated[d] || x->nkeys[d] != y->nkeys[d] ||
	    x->nprov != y->nprov)
		return false;
	for (i = 0; i < x->nkeys[d]; i++)
		if (!np_key_same(&x->keys[d][i], &y->keys[d][i]))
			return false;
	return true;
}

static uint64_t np_dir_hash(const struct np_rs_core *x, int d)
{
	uint64_t h = mix(mix(0x6e70, x->isolated[d]), x->nprov);
	size_t i;

	h = mix(h, x->nkeys[d]);
	for (i = 0; i < x->nkeys[d]; i++)
		h = np_key_hash(h, &x->keys[d][i]);
	return h;
}

/*
 * One direction's fold, shared by the cores of pods with the same inputs
 * there: the selecting cluster policies, the NP keys of that direction
 * (by content), and for ingress with a named port the pod's ports.
 */
struct share_ent {
	struct fold_in in;
	struct np_rs_core *np; /* a reference: compared by content */
	struct np_rs_core *sh; /* a reference */
};

static bool share_eq(const void *val, const void *key)
{
	const struct share_ent *e = val, *k = key;

	return in_eq(&e->in, &k->in) && np_dir_eq(e->np, k->np, k->in.dir);
}

static uint64_t share_hash(const struct share_ent *k)
{
	return in_hash(np_dir_hash(k->np, k->in.dir), &k->in);
}

static void proj_cache_clear(struct tier_cache *tc);
static void dec_cache_clear(struct tier_cache *tc);

static void share_ent_free(void *p)
{
	struct share_ent *e = p;

	np__core_put(e->np);
	np__core_put(e->sh);
	free(e);
}

static void share_cache_clear(struct tier_cache *tc)
{
	np__hashmap_release_each(&tc->shares, share_ent_free);
	proj_cache_clear(tc);
	dec_cache_clear(tc);
	np__hashmap_release_each(&tc->canon, free);
	np__hashmap_release_each(&tc->pairs, free);
	tc->share_bytes = 0;
}

/*
 * Remember sh as the fold of key's inputs, bounded as the fold cache
 * (bytes: sh's, 0 when the cache holds it already).
 */
static bool share_cache_add(struct tier_cache *tc, const struct share_ent *key,
			    uint64_t h, struct np_rs_core *sh, size_t bytes)
{
	struct share_ent *e;

	if (tc->share_bytes + bytes > NP_TIER_CACHE || tc->shares.n >= 32768)
		return false;
	e = in_dup(sizeof(*e), &key->in);
	if (!e)
		return false;
	e->np = key->np;
	if (np__hashmap_add(&tc->shares, h, e, 64)) {
		free(e);
		return false;
	}
	__atomic_add_fetch(&e->np->refs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sh->refs, 1, __ATOMIC_RELAXED);
	e->sh = sh;
	tc->share_bytes += bytes;
	return true;
}

/*
 * One direction's fold by what it can see: the selecting cluster policies
 * (and named ports) as in struct share_ent, and of the NP core only the
 * keys np_relevant() keeps, with its isolation and provenance count. Pods
 * whose NP keys differ only where the Admin tier decides everything find
 * the share here without a walk.
 */
struct proj_ent {
	struct fold_in in;
	struct np_rs_core *np; /* a reference: keeps k's keys */
	const struct np_rs_key **k; /* malloc'd */
	size_t nk;
	struct np_rs_core *sh; /* a reference */
};

static bool proj_eq(const void *val, const void *key)
{
	const struct proj_ent *e = val, *k = key;
	int d = k->in.dir;
	size_t i;

	if (e->nk != k->nk || e->np->isolated[d] != k->np->isolated[d] ||
	    e->np->nprov != k->np->nprov || !in_eq(&e->in, &k->in))
		return false;
	for (i = 0; i < k->nk; i++)
		if (e->k[i] != k->k[i] && !np_key_same(e->k[i], k->k[i]))
			return false;
	return true;
}

static uint64_t proj_hash(const struct proj_ent *k)
{
	uint64_t h = mix(0x70726f6a, k->np->isolated[k->in.dir]);
	size_t i;

	h = mix(mix(h, k->np->nprov), k->nk);
	for (i = 0; i < k->nk; i++)
		h = np_key_hash(h, k->k[i]);
	return in_hash(h, &k->in);
}

static void proj_ent_free(void *p)
{
	struct proj_ent *e = p;

	np__core_put(e->np);
	np__core_put(e->sh);
	free(e->k);
	free(e);
}

static void proj_cache_clear(struct tier_cache *tc)
{
	np__hashmap_release_each(&tc->projs, proj_ent_free);
}

/*
 * Remember sh as the fold of key's inputs (the entry takes key->k); false,
 * and key->k freed, when it is not kept. Only shares the share cache
 * holds, so it is bounded as that one.
 */
static bool proj_cache_add(struct tier_cache *tc, struct proj_ent *key,
			   uint64_t h, struct np_rs_core *sh)
{
	size_t bytes = sizeof(struct proj_ent) +
		       (key->nk + key->in.nsel + 1) * sizeof(void *);
	struct proj_ent *e;

	if (tc->projs.n >= 32768 || tc->share_bytes + bytes > NP_TIER_CACHE)
		goto drop;
	e = in_dup(sizeof(*e), &key->in);
	if (!e)
		goto drop;
	e->np = key->np;
	e->k = key->k;
	e->nk = key->nk;
	if (np__hashmap_add(&tc->projs, h, e, 64)) {
		free(e);
		goto drop;
	}
	__atomic_add_fetch(&e->np->refs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sh->refs, 1, __ATOMIC_RELAXED);
	e->sh = sh;
	key->k = NULL;
	tc->share_bytes += bytes;
	return true;
drop:
	free(key->k);
	key->k = NULL;
	return false;
}

/*
 * Shares by content: folds of different inputs often give the same keys
 * (an Admin rule that decides everything the NetworkPolicies differ in);
 * one copy of them, and their pairs' hashes computed once.
 */
struct canon_ent {
	struct np_rs_core *sh; /* a share in the cache (it holds it) */
	int dir;
};

/* Whether key arrays p and q (n each) are equal, contributors too. */
static bool key_array_eq(const struct np_rs_key *p, const struct np_rs_key *q,
			 size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++, p++, q++) {
		if (cidr_sort_cmp(&p->cidr, &q->cidr) ||
		    p->ncontrib != q->ncontrib ||
		    (p->ports != q->ports &&
		     (!p->ports || !q->ports ||
		      !np__pset_eq(p->ports, q->ports))))
			return false;
		if (p->contrib == q->contrib)
			continue;
		for (j = 0; j < p->ncontrib; j++)
			if (p->contrib[j].prov != q->contrib[j].prov ||
			    !np__pset_eq(p->contrib[j].ports,
					 q->contrib[j].ports))
				return false;
	}
	return true;
}

/* The keys and the verdict keys (exact attribution) of direction d. */
static bool keys_eq(const struct np_rs_core *x, const struct np_rs_core *y,
		    int d)
{
	return x->isolated[d] == y->isolated[d] && x->nkeys[d] == y->nkeys[d] &&
	       x->nvkeys[d] == y->nvkeys[d] &&
	       key_array_eq(x->keys[d], y->keys[d], x->nkeys[d]) &&
	       key_array_eq(x->vkeys[d], y->vkeys[d], x->nvkeys[d]);
}

static bool canon_eq(const void *val, const void *key)
{
	const struct canon_ent *e = val, *k = key;

	return e->dir == k->dir && keys_eq(e->sh, k->sh, k->dir);
}

static uint64_t canon_hash(const struct np_rs_core *sh, int d)
{
	uint64_t h = mix(mix(0x63616e6f, (uint64_t)d), sh->isolated[d]);
	size_t i, j;

	h = mix(mix(h, sh->nkeys[d]), sh->nvkeys[d]);
	for (i = 0; i < sh->nvkeys[d]; i++)
		h = mix(h, sh->vkeys[d][i].ncontrib);
	for (i = 0; i < sh->nkeys[d]; i++) {
		const struct np_rs_key *k = &sh->keys[d][i];
		uint64_t a[2];

		memcpy(a, k->cidr.addr, sizeof(a));
		h = mix(mix(mix(h, a[0]), a[1]),
			(uint64_t)k->cidr.len << 32 | k->ncontrib);
		h = mix(h, (uint64_t)k->ports->n << 1 | k->ports->all);
		for (j = 0; j < k->ports->n; j++)
			h = mix(h,
				(uint64_t)k->ports->r[j].proto << 40 |
					(uint64_t)k->ports->r[j].xproto << 32 |
					(uint64_t)k->ports->r[j].lo << 16 |
					k->ports->r[j].hi);
	}
	return h;
}

/* The share with sh's content in the cache (a reference), or NULL. */
static struct np_rs_core *canon_find(struct tier_cache *tc,
				     struct np_rs_core *sh, int d, uint64_t h)
{
	struct canon_ent k = { sh, d }, *e;

	e = np__hashmap_get(&tc->canon, h, canon_eq, &k);
	if (!e)
		return NULL;
	__atomic_add_fetch(&e->sh->refs, 1, __ATOMIC_RELAXED);
	return e->sh;
}

/* sh, which the cache holds, as the share of its content. */
static void canon_add(struct tier_cache *tc, struct np_rs_core *sh, int d,
		      uint64_t h)
{
	struct canon_ent *e = malloc(sizeof(*e));

	if (!e)
		return;
	e->sh = sh;
	e->dir = d;
	if (np__hashmap_add(&tc->canon, h, e, 64))
		free(e);
}

/* Direction d's fold for pod: a share from the cache, or built. */
int np__tier_share_for(struct np_ctx *ctx, struct tier_cache *tc,
		       const struct np_obj *pod, const struct np_rs_core *np,
		       const struct np_obj **sel, size_t nsel, int d,
		       const struct np_trule *tr, const struct np_frule *fr,
		       size_t n, const uint32_t prov[3],
		       struct np_rs_core **out, bool *cached)
{
	struct np_arena arena = { 0 }, scratch = { 0 };
	struct share_ent key = { 0 }, *hit;
	struct proj_ent pk = { 0 }, *phit;
	struct dec_ent dk = { 0 };
	struct prep prep = { ctx, pod, tr, false };
	struct np_intern in = { 0 };
	struct np_rs_core *sh, *canon;
	uint64_t h, ch, ph;
	int err;

	key.in.sel = sel;
	key.in.nsel = nsel;
	key.in.dir = d;
	key.in.named = !d && np__tier_sel_named(sel, nsel);
	key.in.ports = pod->pod.ports;
	key.in.nports = pod->pod.nports;
	key.np = (struct np_rs_core *)np;
	h = share_hash(&key);
	hit = np__hashmap_get(&tc->shares, h, share_eq, &key);
	if (hit) {
		__atomic_add_fetch(&hit->sh->refs, 1, __ATOMIC_RELAXED);
		*out = hit->sh;
		*cached = true;
		return 0;
	}
	/* what the fold can see of the NP keys: a fold of the same, else walk */
	dk.in = key.in;
	err = np__tier_universe(ctx, tc, d);
	if (!err)
		err = np_relevant(tc, np, &dk, &prep, fr, n, &scratch, &pk.k,
				  &pk.nk);
	if (err) {
		np__arena_release(&scratch);
		return err;
	}
	pk.in = key.in;
	pk.np = (struct np_rs_core *)np;
	ph = proj_hash(&pk);
	phit = np__hashmap_get(&tc->projs, ph, proj_eq, &pk);
	if (phit) {
		np__arena_release(&scratch);
		free(pk.k);
		sh = phit->sh;
		__atomic_add_fetch(&sh->refs, 1, __ATOMIC_RELAXED);
		*cached = share_cache_add(tc, &key, h, sh, 0);
		*out = sh;
		return 0;
	}
	err = prep_once(tc, &prep, d, n, &scratch);
	sh = err ? NULL : np__arena_zalloc(&arena, sizeof(*sh));
	if (!sh) {
		np__arena_release(&scratch);
		free(pk.k);
		return err ? err : -ENOMEM;
	}
	sh->arena = arena;
	sh->refs = 1;
	in.a = &sh->arena;
	err = np__tier_fold_dir(tc, np, d, fr, n, prov, pk.k, pk.nk, sh, &in,
				&scratch);
	np__intern_release(&in);
	np__arena_release(&scratch);
	if (err) {
		free(pk.k);
		np__core_put(sh);
		return err;
	}
	/* a copy of a cached share's keys: that share instead */
	ch = canon_hash(sh, d);
	canon = canon_find(tc, sh, d, ch);
	if (canon) {
		np__core_put(sh);
		sh = canon;
		*cached = share_cache_add(tc, &key, h, sh, 0);
	} else {
		*cached = share_cache_add(tc, &key, h, sh, sh->arena.used);
		if (*cached)
			canon_add(tc, sh, d, ch);
	}
	if (*cached)
		proj_cache_add(tc, &pk, ph, sh);
	else
		free(pk.k);
	*out = sh;
	return 0;
}
