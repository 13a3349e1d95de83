// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The core cache (ruleset_core.c builds the cores): cores by the contents
 * of the PolicyEndpoints that built them, hung on the resolution context
 * and kept within the cluster's cache budget, the least recently used
 * going first; and a pod's rule set over the core for its PolicyEndpoints
 * (np__ruleset_build).
 */
#include <stdlib.h>

#include "ruleset_internal.h"

/* --- the core cache ----------------------------------------------------- */

static void hash_str2(uint64_t h[2], const char *s)
{
	size_t n = s ? strlen(s) + 1 : 0;

	h[0] = np__hash_fast(s ? s : "", n, h[0]);
	h[1] = np__hash_bytes(s ? s : "", n, h[1]);
}

static void hash_mem2(uint64_t h[2], const void *p, size_t n)
{
	h[0] = np__hash_fast(p, n, h[0]);
	h[1] = np__hash_bytes(p, n, h[1]);
}

/*
 * What np__core_build() reads of a PolicyEndpoint, hashed twice (128 bits):
 * equal contents, one key, whichever object or version carries them.
 * Computed once per object (the objects are immutable).
 */
static const uint64_t *pe_rules_hash(const struct np_obj *o)
{
	struct np_policyendpoint *pe = (struct np_policyendpoint *)&o->pe;
	uint64_t h[2] = { 0x72756c6573ull, 0x636f6e74656e74ull };
	size_t i, j;
	int d;

	if (pe->rules_hash[0] || pe->rules_hash[1])
		return pe->rules_hash;
	hash_str2(h, pe->ref_ns);
	hash_str2(h, pe->ref_name);
	for (d = 0; d < 2; d++) {
		const struct np_pe_entry *v = d ? pe->egress : pe->ingress;
		uint64_t n = d ? pe->negress : pe->ningress;
		uint8_t iso = d ? pe->iso_egress : pe->iso_ingress;

		hash_mem2(h, &iso, 1);
		hash_mem2(h, &n, sizeof(n));
		for (i = 0; i < n; i++) {
			int64_t w[3] = { v[i].rule, (int64_t)v[i].nexcept,
					 (int64_t)v[i].nports };

			/* struct np_cidr has no padding: all bytes */
			hash_mem2(h, &v[i].cidr, sizeof(v[i].cidr));
			hash_mem2(h, w, sizeof(w));
			for (j = 0; j < v[i].nexcept; j++)
				hash_mem2(h, &v[i].except[j],
					  sizeof(v[i].except[j]));
			for (j = 0; j < v[i].nports; j++) {
				const struct np_port *p = &v[i].ports[j];
				uint16_t x[3] = {
					p->proto,
					p->has_port ? p->port : 0,
					p->has_port ?
						(p->end_port ? p->end_port :
							       p->port) :
						65535,
				};

				hash_mem2(h, x, sizeof(x));
			}
		}
	}
	/* never both 0: that is "not computed" */
	pe->rules_hash[0] = h[0] | 1;
	pe->rules_hash[1] = h[1];
	return pe->rules_hash;
}

/* A cached core, by the contents of the PolicyEndpoints that built it. */
struct core_ent {
	struct np_rs_core *core;
	size_t bytes; /* the core's arena, as counted against the budget */
	uint64_t used; /* the cache's clock when last built or found */
	size_t n;
	uint64_t key[][2]; /* each endpoint's pe_rules_hash(), in order */
};

struct core_key {
	const uint64_t (*key)[2];
	size_t n;
};

/*
 * The cache of cores, this stage's own: it hangs on the resolution context
 * (which lives as long as the snapshot is unchanged in what it indexes)
 * and goes with it, through the release function installed beside it.
 */
struct core_cache {
	struct np_hashmap map; /* struct core_ent, by hash of the key */
	size_t bytes; /* arena bytes of the cached cores */
	size_t live; /* of which in use elsewhere at the last sweep */
	uint64_t clock; /* ticks at each build or hit */
};

static bool core_key_eq(const void *val, const void *key)
{
	const struct core_ent *ce = val;
	const struct core_key *k = key;

	return ce->n == k->n &&
	       !memcmp(ce->key, k->key, k->n * sizeof(*k->key));
}

static void core_ent_free(void *p)
{
	struct core_ent *ce = p;

	np__core_put(ce->core);
	free(ce);
}

static void cache_clear(struct core_cache *cc)
{
	np__hashmap_release_each(&cc->map, core_ent_free);
	cc->bytes = cc->live = 0;
}

static int used_cmp(const void *a, const void *b)
{
	const struct core_ent *x = *(const struct core_ent *const *)a;
	const struct core_ent *y = *(const struct core_ent *const *)b;

	return x->used < y->used ? -1 : x->used > y->used;
}

/*
 * Drop cores nobody but the cache holds (no rule set, no change set, no
 * fold uses them), least recently used first, until what the cache alone
 * keeps is half the budget: a compile of every pod meets each set of
 * policies again after a while, and dropping them all at once made it
 * rebuild every core. Falls back to clearing everything when the smaller
 * table cannot be had.
 */
static void cache_sweep(struct core_cache *cc, size_t budget)
{
	struct np_hashmap keep = { 0 };
	struct core_ent **unused;
	size_t i, nu = 0, live = 0, spare = 0;

	unused = malloc((cc->map.n + 1) * sizeof(*unused));
	if (!unused || np__hashmap_reserve(&keep, cc->map.n, 64)) {
		free(unused);
		np__hashmap_release(&keep);
		cache_clear(cc);
		return;
	}
	for (i = 0; i < cc->map.cap; i++) {
		struct core_ent *ce = cc->map.slots[i].val;

		if (!ce)
			continue;
		if (__atomic_load_n(&ce->core->refs, __ATOMIC_ACQUIRE) == 1) {
			unused[nu++] = ce;
			spare += ce->bytes;
		} else {
			live += ce->bytes;
		}
	}
	qsort(unused, nu, sizeof(*unused), used_cmp);
	for (i = 0; i < nu && spare > budget / 2; i++) {
		spare -= unused[i]->bytes;
		np__core_put(unused[i]->core);
		unused[i]->core = NULL;
	}
	cc->bytes = 0;
	for (i = 0; i < cc->map.cap; i++) {
		struct core_ent *ce = cc->map.slots[i].val;
		size_t j;

		if (!ce)
			continue;
		if (!ce->core) {
			free(ce);
			continue;
		}
		j = np__hashmap_probe(&keep, cc->map.slots[i].hash, core_key_eq,
				      &(struct core_key){ ce->key, ce->n });
		np__hashmap_fill(&keep, j, cc->map.slots[i].hash, ce);
		cc->bytes += ce->bytes;
	}
	free(unused);
	np__hashmap_release(&cc->map);
	cc->map = keep;
	cc->live = live;
}

static void cache_free(void *cc)
{
	if (!cc)
		return;
	cache_clear(cc);
	free(cc);
}

static struct core_cache *cache_of(struct np_ctx *ctx)
{
	struct core_cache *cc;

	if (ctx->rs_cache)
		return ctx->rs_cache;
	cc = calloc(1, sizeof(*cc));
	if (!cc)
		return NULL;
	ctx->rs_cache = cc;
	ctx->rs_cache_free = cache_free;
	return cc;
}

static struct np_rs_core *core_get(struct np_rs_core *co)
{
	__atomic_add_fetch(&co->refs, 1, __ATOMIC_RELAXED);
	return co;
}

struct np_rs_core *np__core_ref(struct np_rs_core *co)
{
	if (co)
		core_get(co);
	return co;
}

/*
 * The core for this set of PolicyEndpoints, from the context's cache when
 * endpoints with the same contents built one before.
 */
static int core_for(struct np_ctx *ctx, const struct np_obj **pes, size_t npes,
		    const char *ns, const char *name, struct np_rs_core **out,
		    struct np_diag *diag)
{
	struct core_cache *cc = ctx ? ctx->rs_cache : NULL;
	struct core_ent *ce, *hit;
	struct core_key k;
	size_t i, budget;
	uint64_t key;
	int err;

	ce = malloc(sizeof(*ce) + (npes + 1) * sizeof(ce->key[0]));
	if (!ce)
		return -ENOMEM;
	/* by contents, not by version: a core depends on the rules only */
	for (i = 0; i < npes; i++)
		memcpy(ce->key[i], pe_rules_hash(pes[i]), sizeof(ce->key[i]));
	ce->n = npes;
	key = np__hash_fast(ce->key, npes * sizeof(ce->key[0]), 0x636f7265);
	k.key = (const uint64_t(*)[2])ce->key;
	k.n = npes;
	if (cc) {
		hit = np__hashmap_get(&cc->map, key, core_key_eq, &k);
		if (hit) {
			hit->used = ++cc->clock;
			free(ce);
			*out = core_get(hit->core);
			return 0;
		}
	}
	err = np__core_build(out, pes, npes, ns, name, diag);
	if (err || !ctx || !(cc = cache_of(ctx))) {
		free(ce);
		return err;
	}
	/*
	 * Remember it. What the cache alone keeps is bounded by the
	 * cluster's cache budget: past it, the cores nobody else holds go;
	 * the cores in use stay (their sharing is what keeps a cluster's
	 * rule sets small), and count again only when a later sweep finds
	 * them unused. By entries: it starts over rather than grow past 65536
	 * slots.
	 */
	ce->bytes =
		(*out)->arena.total + sizeof(*ce) + npes * sizeof(ce->key[0]);
	budget = ctx->cache_budget;
	if (cc->bytes + ce->bytes > cc->live + budget)
		cache_sweep(cc, budget);
	if (cc->map.n + 1 > cc->map.cap / 2 && cc->map.cap * 2 > 65536)
		cache_sweep(cc, budget);
	if (cc->map.n + 1 > cc->map.cap / 2 && cc->map.cap * 2 > 65536)
		cache_clear(cc);
	if (ce->bytes > budget || np__hashmap_add(&cc->map, key, ce, 64)) {
		free(ce);
		return 0;
	}
	ce->core = core_get(*out);
	ce->used = ++cc->clock;
	cc->bytes += ce->bytes;
	return 0;
}

int np__ruleset_build(struct np_ruleset **out, struct np_ctx *ctx,
		      const struct np_obj *pod, const struct np_obj **pes,
		      size_t npes, const struct np_pe_pod *ident,
		      struct np_diag *diag)
{
	struct np_arena arena = { 0 };
	struct np_ruleset *rs;
	const char *ns, *name;
	int err;

	ns = pod ? pod->meta.ns : ident->ns ? ident->ns : "";
	name = pod ? pod->meta.name : ident->name ? ident->name : "";
	rs = np__arena_zalloc(&arena, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	/* own the strings: the snapshot may change after compile */
	rs->ns = np__arena_strdup(&arena, ns);
	rs->name = np__arena_strdup(&arena, name);
	if (!rs->ns || !rs->name) {
		np__arena_release(&arena);
		return -ENOMEM;
	}
	if (pod) {
		rs->nips = pod->pod.nips;
		memcpy(rs->ips, pod->pod.ips, sizeof(rs->ips));
		rs->node_ip = pod->pod.host_ip;
	} else {
		rs->nips = ident->pod_ip.family ? 1 : 0;
		rs->ips[0] = ident->pod_ip;
		rs->node_ip = ident->host_ip;
	}
	err = core_for(ctx, pes, npes, ns, name, &rs->core, diag);
	if (err) {
		np__arena_release(&arena);
		return err;
	}
	rs->arena = arena;
	*out = rs;
	return 0;
}
