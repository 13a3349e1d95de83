// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Normalization, the agent's job: the PolicyEndpoints that select a pod
 * become its rule set, one canonical list of LPM keys per direction.
 *
 * A direction is isolated when any PolicyEndpoint lists it in podIsolation
 * or has rules for it. The pod's node address is always allowed (an entry
 * of its own, provenance "node").
 *
 * ipBlock except, exactly: the keys are the laminar family of every rule
 * CIDR and every except CIDR. A key's ports are the union of the ports of
 * every rule whose CIDR contains the key and none of whose excepts does;
 * with longest-prefix match that is exactly "in the cidr and not in an
 * except of that rule, for some rule". A key is kept only where it differs
 * from the key an address would fall back to; a key whose union is empty
 * under a key that allows something is a hole (it denies), the only
 * deny-like key there is. More than NP_MAX_SLOTS merged ranges under one
 * key is -E2BIG, never a truncation.
 *
 * This file owns building a core from PolicyEndpoints (provenance, the
 * per-pod rule set over a shared core), the core cache it hangs on the
 * resolution context, np_ruleset_compile/free/hash/verdict/export.
 * closure.c has the port sets and the closure itself.
 */
#include <stdio.h>
#include <stdlib.h>

/* NP_MAX_SLOTS: the datapath's port slots per key, a limit of the format */
#include "../bpf/netpol_abi.h"
#include "opts.h"
#include "ruleset_internal.h"

/* --- building a rule set ------------------------------------------------ */

static const char *const dir_names[] = { "ingress", "egress" };

/*
 * "ns/name ingress[0]": with esc, the names escaped (np_escape(), TEXT),
 * as a PolicyEndpoint's policyRef may carry any bytes and every reader of
 * this text (exports, verdicts, flow events) prints it; without, as they
 * are, for a diagnostic's message (its caller escapes the whole).
 */
static void prov_format(const struct np_rs_core *co, uint32_t p, int dir,
			bool esc, struct np_strbuf *sb)
{
	const struct np_prov *pv = &co->prov[p];

	if (pv->tier == NP_TIER_DEFAULT) {
		np__sb_puts(sb, "default (no tier decided)");
		return;
	}
	if (pv->tier == NP_TIER_ADMIN || pv->tier == NP_TIER_BASELINE) {
		np__sb_puts(sb, "cnp/");
		if (esc)
			np__sb_puts_text(sb, pv->pol_name);
		else
			np__sb_puts(sb, pv->pol_name);
		np__sb_printf(sb, " %s[%d] (%s)", dir_names[dir], pv->rule,
			      pv->tier == NP_TIER_ADMIN ? "Admin" : "Baseline");
		return;
	}
	if (esc) {
		np__sb_puts_text(sb, pv->pol_ns);
		np__sb_putc(sb, '/');
		np__sb_puts_text(sb, pv->pol_name);
	} else {
		np__sb_printf(sb, "%s/%s", pv->pol_ns, pv->pol_name);
	}
	if (pv->rule == -2)
		np__sb_printf(sb, " %s (Service)", dir_names[dir]);
	else if (pv->rule < 0)
		np__sb_printf(sb, " %s", dir_names[dir]);
	else
		np__sb_printf(sb, " %s[%d]", dir_names[dir], pv->rule);
}

/* Distinct policies behind a key, "ns/a ingress[0], ns/b ingress[1]". */
static void key_policies(const struct np_rs_core *co, int dir,
			 const struct np_rs_key *k, uint8_t proto, int port,
			 bool esc, struct np_strbuf *sb)
{
	uint32_t last = UINT32_MAX;
	bool first = true;
	size_t i;

	/* contributors are sorted by provenance: skip repeats */
	for (i = 0; i < k->ncontrib; i++) {
		const struct np_rs_contrib *c = &k->contrib[i];

		if (port >= 0 &&
		    np__pset_find(c->ports, proto, (uint16_t)port) < 0)
			continue;
		if (c->prov == last)
			continue;
		last = c->prov;
		if (!first)
			np__sb_puts(sb, ", ");
		first = false;
		prov_format(co, c->prov, dir, esc, sb);
	}
}

/*
 * Provenance (policy, rule) -> index into co->prov, by open addressing: a
 * pod selected by 200,000 policies must not make core_build quadratic.
 * Indexes keep the order of first appearance (the output depends on it).
 */
struct prov_key {
	const struct np_rs_core *co;
	const char *ns, *name;
	int rule;
};

/* Values are indexes + 1 into co->prov, which grows (and moves). */
static bool prov_eq(const void *val, const void *key)
{
	const struct prov_key *k = key;
	const struct np_prov *p = &k->co->prov[(uintptr_t)val - 1];

	return p->rule == k->rule && !strcmp(p->pol_ns, k->ns) &&
	       !strcmp(p->pol_name, k->name);
}

static uint64_t prov_hash(const char *ns, const char *name, int rule)
{
	uint64_t h = np__hash_fast(ns, strlen(ns), 0x70726f76ull);

	h = np__hash_fast(name, strlen(name), h);
	return np__hash_fast(&rule, sizeof(rule), h);
}

static uint32_t prov_add(struct np_rs_core *co, size_t *cap,
			 struct np_hashmap *t, const char *ns, const char *name,
			 int rule)
{
	struct prov_key k = { co, ns, name, rule };
	uint64_t h = prov_hash(ns, name, rule);
	size_t i;

	if (np__hashmap_reserve(t, co->nprov + 1, 64))
		return UINT32_MAX;
	i = np__hashmap_probe(t, h, prov_eq, &k);
	if (t->slots[i].val)
		return (uint32_t)((uintptr_t)t->slots[i].val - 1);
	if (co->nprov >= UINT32_MAX - 1 ||
	    NP_GROW(co->prov, *cap, co->nprov + 1))
		return UINT32_MAX;
	co->prov[co->nprov].pol_ns = ns;
	co->prov[co->nprov].pol_name = name;
	co->prov[co->nprov].rule = rule;
	co->prov[co->nprov].tier = NP_TIER_NETWORK_POLICY;
	np__hashmap_fill(t, i, h, (void *)(uintptr_t)(co->nprov + 1));
	return (uint32_t)co->nprov++;
}

static int entry_from_pe(struct np_arena *a, struct np_intern *in,
			 struct np_rs_entry *e, const struct np_pe_entry *pe)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	e->cidr = pe->cidr;
	/* the PolicyEndpoint outlives the build: borrow its excepts */
	e->except = pe->except;
	e->nexcept = pe->nexcept;
	if (!pe->nports) {
		e->ports.all = true;
		e->iports = np__intern_pset(in, &e->ports);
		return e->iports ? 0 : -ENOMEM;
	}
	for (i = 0; i < pe->nports; i++) {
		const struct np_port *p = &pe->ports[i];
		uint16_t lo = p->has_port ? p->port : 0;
		uint16_t hi = p->has_port ?
				      (p->end_port ? p->end_port : p->port) :
				      65535;

		if (np__pset_add(a, &e->ports, p->proto, lo, hi))
			return -ENOMEM;
	}
	np__pset_merge(&e->ports);
	e->iports = np__intern_pset(in, &e->ports);
	return e->iports ? 0 : -ENOMEM;
}

/* *h = np__hash_bytes(p, n, *h), inline: the same value. */
static inline void hash_mix(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t x = 0xcbf29ce484222325ULL ^ *h;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= b[i];
		x *= 0x100000001b3ULL;
	}
	*h = x;
}

void np__core_hash(struct np_rs_core *co)
{
	uint64_t h = 0x6e6574706f6cULL;
	size_t i, j;
	int d;

	for (d = 0; d < 2; d++) {
		hash_mix(&h, &co->isolated[d], sizeof(co->isolated[d]));
		for (i = 0; i < co->nkeys[d]; i++) {
			const struct np_rs_key *k = &co->keys[d][i];
			uint8_t all = k->ports->all;

			hash_mix(&h, &k->cidr, sizeof(k->cidr));
			hash_mix(&h, &all, 1);
			hash_mix(&h, &k->ports->n, sizeof(k->ports->n));
			/* field by field: np_prange has padding */
			for (j = 0; j < k->ports->n; j++) {
				hash_mix(&h, &k->ports->r[j].proto, 1);
				/* only when set: NP-only hashes unchanged */
				if (k->ports->r[j].xproto)
					hash_mix(&h, &k->ports->r[j].xproto, 1);
				hash_mix(&h, &k->ports->r[j].lo, 2);
				hash_mix(&h, &k->ports->r[j].hi, 2);
			}
		}
	}
	co->hash = h;
}

int np__check_slots(const struct np_rs_core *co, int dir, const char *ns,
		    const char *name, struct np_diag *diag)
{
	struct np_strbuf sb = { 0 };
	char cidr[64];
	size_t i;

	for (i = 0; i < co->nkeys[dir]; i++) {
		const struct np_rs_key *k = &co->keys[dir][i];

		if (k->ports->n <= NP_MAX_SLOTS)
			continue;
		if (diag) {
			memset(diag, 0, sizeof(*diag));
			diag->err = -E2BIG;
			snprintf(diag->object, sizeof(diag->object),
				 "Pod %s/%s", ns, name);
			snprintf(diag->path, sizeof(diag->path), "%s",
				 dir_names[dir]);
			np__cidr_format(&k->cidr, cidr, sizeof(cidr));
			key_policies(co, dir, k, 0, -1, false, &sb);
			snprintf(diag->message, sizeof(diag->message),
				 "%s: Too many: %zu port ranges: must have at "
				 "most %d (policies: %s)",
				 cidr, k->ports->n, NP_MAX_SLOTS,
				 sb.buf ? sb.buf : "");
			np__sb_release(&sb);
		}
		return -E2BIG;
	}
	return 0;
}

void np__core_put(struct np_rs_core *co)
{
	struct np_rs_core *sh[2];
	struct np_arena a;

	if (!co || __atomic_sub_fetch(&co->refs, 1, __ATOMIC_ACQ_REL))
		return;
	/* co lives in its arena: read what it holds first */
	sh[0] = co->shared[0];
	sh[1] = co->shared[1];
	a = co->arena;
	np__arena_release(&a);
	np__core_put(sh[0]);
	np__core_put(sh[1]);
}

static struct np_rs_core *core_get(struct np_rs_core *co)
{
	__atomic_add_fetch(&co->refs, 1, __ATOMIC_RELAXED);
	return co;
}

/* Normalize the entries of these PolicyEndpoints into a new core. */
static int core_build(struct np_rs_core **out, const struct np_obj **pes,
		      size_t npes, const char *ns, const char *name,
		      struct np_diag *diag)
{
	struct np_arena arena = { 0 }, scratch = { 0 };
	struct np_hashmap pt = { 0 };
	struct np_intern in = { 0 };
	struct np_rs_core *co;
	struct np_rs_entry *ent;
	size_t pcap = 0, i, j, n, nent, *run, nrun;
	struct np_prov *p;
	unsigned int big = 0;
	int d, err = -ENOMEM;

	co = np__arena_zalloc(&arena, sizeof(*co));
	if (!co)
		return -ENOMEM;
	co->arena = arena;
	co->refs = 1;
	in.a = &co->arena;
	for (d = 0; d < 2; d++) {
		n = 1;
		nent = 0;
		for (i = 0; i < npes; i++) {
			const struct np_policyendpoint *pe = &pes[i]->pe;

			if (d ? pe->iso_egress || pe->negress :
				pe->iso_ingress || pe->ningress)
				co->isolated[d] = true;
			n += d ? pe->negress : pe->ningress;
		}
		ent = np__arena_zalloc(&scratch, n * sizeof(*ent));
		run = np__arena_alloc(&scratch, (npes + 1) * sizeof(*run));
		nrun = 0;
		if (!ent || !run)
			goto fail;
		for (i = 0; i < npes; i++) {
			const struct np_policyendpoint *pe = &pes[i]->pe;
			const struct np_pe_entry *v = d ? pe->egress :
							  pe->ingress;
			size_t m = d ? pe->negress : pe->ningress;
			const char *pns, *pname;

			pns = np__arena_strdup(&co->arena,
					       pe->ref_ns ? pe->ref_ns : "");
			pname = np__arena_strdup(
				&co->arena, pe->ref_name ? pe->ref_name : "");
			if (!pns || !pname)
				goto fail;
			run[nrun++] = nent;
			for (j = 0; j < m; j++) {
				struct np_rs_entry *e = &ent[nent];

				/*
				 * Resolution hands every host of a peer one
				 * ports array: the same array, the same set.
				 */
				if (j && v[j].ports == v[j - 1].ports &&
				    v[j].nports == v[j - 1].nports) {
					*e = ent[nent - 1];
					e->cidr = v[j].cidr;
					e->except = v[j].except;
					e->nexcept = v[j].nexcept;
				} else if (entry_from_pe(&scratch, &in, e,
							 &v[j])) {
					goto fail;
				}
				/* one policy per endpoint: same rule, same */
				if (j && v[j].rule == v[j - 1].rule)
					e->prov = ent[nent - 1].prov;
				else
					e->prov = prov_add(co, &pcap, &pt, pns,
							   pname, v[j].rule);
				if (e->prov == UINT32_MAX)
					goto fail;
				nent++;
			}
		}
		err = np__sort_runs(&scratch, ent, run, nrun, nent);
		if (!err)
			err = np__closure(co, ent, nent, d, &in);
		if (!err) {
			/* the first overflow's diag; both directions checked */
			err = np__check_slots(co, d, ns, name,
					      big ? NULL : diag);
			if (err == -E2BIG) {
				big |= 1u << d;
				err = 0;
			}
		}
		if (err)
			goto fail;
		err = -ENOMEM;
	}
	if (big) {
		if (diag)
			diag->fail_closed_dirs = big;
		err = -E2BIG;
		goto fail;
	}
	/* the prov array was malloc'd: move it into the arena */
	p = np__arena_alloc(&co->arena, (co->nprov + 1) * sizeof(*p));
	if (!p)
		goto fail;
	if (co->nprov)
		memcpy(p, co->prov, co->nprov * sizeof(*p));
	free(co->prov);
	co->prov = p;
	np__core_hash(co);
	np__intern_release(&in);
	np__hashmap_release(&pt);
	np__arena_release(&scratch);
	*out = co;
	return 0;
fail:
	np__intern_release(&in);
	np__hashmap_release(&pt);
	np__arena_release(&scratch);
	free(co->prov);
	arena = co->arena;
	np__arena_release(&arena);
	return err;
}

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
 * What core_build() reads of a PolicyEndpoint, hashed twice (128 bits):
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
	err = core_build(out, pes, npes, ns, name, diag);
	if (err || !ctx || !(cc = cache_of(ctx))) {
		free(ce);
		return err;
	}
	/*
	 * Remember it. What the cache alone keeps is bounded by the
	 * cluster's cache budget: past it, the cores nobody else holds go; the cores in use stay
	 * (their sharing is what keeps a cluster's rule sets small), and
	 * count again only when a later sweep finds them unused. By
	 * entries: it starts over rather than grow past 65536 slots.
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

/* --- public: compile, free, hash ---------------------------------------- */

static bool pe_has_pod(const struct np_obj *pe, const char *ns,
		       const char *name, const struct np_pe_pod **which)
{
	size_t i;

	/*
	 * A PolicyEndpoint governs pods of its own namespace only: one in
	 * namespace a listing b's pods (and a hostIP of its choosing, which
	 * is always allowed) must not open them.
	 */
	if (strcmp(pe->meta.ns, ns))
		return false;
	for (i = 0; i < pe->pe.npods; i++)
		if (pe->pe.pods[i].ns && pe->pe.pods[i].name &&
		    !strcmp(pe->pe.pods[i].ns, ns) &&
		    !strcmp(pe->pe.pods[i].name, name)) {
			if (which)
				*which = &pe->pe.pods[i];
			return true;
		}
	return false;
}

/* The policies of pod's namespace are a contiguous range of ctx->pols. */
static size_t pols_lower(const struct np_ctx *ctx, const char *ns)
{
	size_t lo = 0, hi = ctx->npols;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(ctx->pols[mid]->meta.ns, ns) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* np_ruleset_compile (tier.c) is this and the tiers folded in. */
int np__ruleset_compile_np(struct np_ruleset **out, struct np_cluster *c,
			   const char *ns, const char *name,
			   const struct np_compile_opts *opts,
			   struct np_diag *diag)
{
	enum np_source src = NP_SOURCE_POLICIES;
	const struct np_obj **pes = NULL, *pod;
	const struct np_pe_pod *ident = NULL;
	struct np_ctx *ctx;
	size_t npes = 0, cap = 0, i, j;
	int err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!out || !c || !ns || !name)
		return -EINVAL;
	err = NP_OPTS_CHECK(opts, np_compile_opts, diag);
	if (err)
		return err;
	src = NP_OPTS_GET(opts, source, NP_SOURCE_POLICIES);
	err = np__ctx_get(c, &ctx);
	if (err)
		return err;
	pod = np__cluster_find(c, NP_KIND_POD, ns, name);
	if (src == NP_SOURCE_POLICIES) {
		if (!pod)
			goto noent;
		for (i = pols_lower(ctx, ns);
		     np__pod_selectable(pod) && i < ctx->npols &&
		     !strcmp(ctx->pols[i]->meta.ns, ns);
		     i++) {
			if (!np__selector_matches(&ctx->pols[i]->np.pod_sel,
						  &pod->meta.labels))
				continue;
			err = np__resolve_policy(ctx, i, diag);
			if (err)
				goto out;
			for (j = 0; j < ctx->npe_of[i]; j++) {
				if (!pe_has_pod(ctx->pe_of[i][j], ns, name,
						NULL))
					continue;
				if (NP_GROW(pes, cap, npes + 1)) {
					err = -ENOMEM;
					goto out;
				}
				pes[npes++] = ctx->pe_of[i][j];
			}
		}
	} else if (src == NP_SOURCE_ENDPOINTS) {
		for (i = 0; i < ctx->npes; i++) {
			if (!pe_has_pod(ctx->pes[i], ns, name, &ident))
				continue;
			if (NP_GROW(pes, cap, npes + 1)) {
				err = -ENOMEM;
				goto out;
			}
			pes[npes++] = ctx->pes[i];
		}
		if (!npes && !pod)
			goto noent;
	} else {
		return -EINVAL;
	}
	err = np__ruleset_build(out, ctx, pod, pes, npes, ident, diag);
out:
	free(pes);
	return err;
noent:
	if (diag) {
		diag->err = -ENOENT;
		snprintf(diag->object, sizeof(diag->object), "Pod %s/%s", ns,
			 name);
		snprintf(diag->message, sizeof(diag->message), "%s",
			 src == NP_SOURCE_POLICIES ?
				 "Not found: no such pod in the snapshot" :
				 "Not found: no PolicyEndpoint, "
				 "ClusterPolicyEndpoint or Pod names it");
	}
	free(pes);
	return -ENOENT;
}

void np_ruleset_free(struct np_ruleset *rs)
{
	struct np_arena a;

	if (!rs)
		return;
	np__core_put(rs->core);
	a = rs->arena;
	np__arena_release(&a);
}

uint64_t np_ruleset_hash(const struct np_ruleset *rs)
{
	return rs ? rs->core->hash : 0;
}

/* --- verdicts ----------------------------------------------------------- */

static const struct np_rs_key *lpm(const struct np_ruleset *rs, int dir,
				   const struct np_ip *ip)
{
	const struct np_rs_key *best = NULL;
	size_t i;

	for (i = 0; i < rs->core->nkeys[dir]; i++) {
		const struct np_rs_key *k = &rs->core->keys[dir][i];

		if (np__cidr_has_ip(&k->cidr, ip) &&
		    (!best || k->cidr.len > best->cidr.len))
			best = k;
	}
	return best;
}

/* The public tier of a provenance. */
static enum np_tier prov_tier(const struct np_prov *pv)
{
	switch (pv->tier) {
	case NP_TIER_ADMIN:
	case NP_TIER_BASELINE:
	case NP_TIER_NETWORK_POLICY:
		return pv->tier;
	default:
		return NP_TIER_DEFAULT;
	}
}

/*
 * Who decided a flow of a rule set with tiers: the contributors holding
 * it at the longest prefix the fold decided at that holds ip (one rule of
 * a tier, the default, or the NetworkPolicies that allowed it); none: the
 * NetworkPolicies isolating the direction denied it.
 */
static int tier_attribute(const struct np_rs_core *co, int dir,
			  const struct np_ip *ip, uint8_t proto, uint16_t port,
			  struct np_verdict *v)
{
	const struct np_rs_key *best = NULL;
	struct np_strbuf sb = { 0 };
	uint32_t last = UINT32_MAX;
	size_t i;

	v->tier = NP_TIER_NETWORK_POLICY;
	v->policies[0] = '\0';
	for (i = 0; i < co->nvkeys[dir]; i++) {
		const struct np_rs_key *k = &co->vkeys[dir][i];

		if (np__cidr_has_ip(&k->cidr, ip) &&
		    (!best || k->cidr.len > best->cidr.len))
			best = k;
	}
	for (i = 0; best && i < best->ncontrib; i++) {
		const struct np_rs_contrib *c = &best->contrib[i];

		if (c->prov == last || np__pset_find(c->ports, proto, port) < 0)
			continue;
		if (last == UINT32_MAX)
			v->tier = prov_tier(&co->prov[c->prov]);
		else
			np__sb_puts(&sb, ", ");
		last = c->prov;
		prov_format(co, c->prov, dir, true, &sb);
	}
	snprintf(v->policies, sizeof(v->policies), "%s", sb.buf ? sb.buf : "");
	np__sb_release(&sb);
	return sb.err;
}

int np__ruleset_verdict_ip(const struct np_ruleset *rs, enum np_direction dir,
			   const struct np_ip *ip, uint8_t proto, uint16_t port,
			   struct np_verdict *v)
{
	const struct np_rs_key *k;
	struct np_strbuf sb = { 0 };
	int slot;

	memset(v, 0, sizeof(*v));
	v->direction = dir;
	v->slot = -1;
	v->tier = NP_TIER_DEFAULT;
	if (!rs->core->isolated[dir] && !rs->core->nvkeys[dir]) {
		v->allowed = true;
		v->reason = NP_REASON_NOT_ISOLATED;
		return 0;
	}
	if (rs->node_ip.family == ip->family &&
	    !memcmp(rs->node_ip.addr, ip->addr, sizeof(ip->addr))) {
		v->allowed = true;
		v->reason = NP_REASON_NODE;
		return 0;
	}
	if (!rs->core->isolated[dir]) {
		/* the tiers allow everything (an Admin Accept of all): who */
		v->allowed = true;
		v->reason = NP_REASON_NOT_ISOLATED;
		return tier_attribute(rs->core, dir, ip, proto, port, v);
	}
	v->tier = NP_TIER_NETWORK_POLICY;
	k = lpm(rs, dir, ip);
	if (!k) {
		v->reason = NP_REASON_NO_MATCH;
		goto attribute;
	}
	np__cidr_format(&k->cidr, v->key, sizeof(v->key));
	slot = np__pset_find(k->ports, proto, port);
	if (slot < 0) {
		v->reason = !k->ports->n && !k->ports->all ? NP_REASON_EXCEPT :
							     NP_REASON_PORT;
		goto attribute;
	}
	v->allowed = true;
	v->reason = NP_REASON_RULE;
	v->slot = slot;
attribute:
	if (rs->core->nvkeys[dir])
		return tier_attribute(rs->core, dir, ip, proto, port, v);
	if (!v->allowed)
		return 0;
	key_policies(rs->core, dir, k, proto, port, true, &sb);
	snprintf(v->policies, sizeof(v->policies), "%s", sb.buf ? sb.buf : "");
	np__sb_release(&sb);
	return sb.err;
}

size_t np__ruleset_verdict_provs(const struct np_ruleset *rs,
				 enum np_direction dir, const struct np_ip *ip,
				 uint8_t proto, uint16_t port,
				 const struct np_prov **out, size_t max)
{
	const struct np_rs_core *co = rs->core;
	const struct np_rs_key *best = NULL;
	uint32_t last = UINT32_MAX;
	size_t i, n = 0;

	if (co->nvkeys[dir]) {
		for (i = 0; i < co->nvkeys[dir]; i++) {
			const struct np_rs_key *k = &co->vkeys[dir][i];

			if (np__cidr_has_ip(&k->cidr, ip) &&
			    (!best || k->cidr.len > best->cidr.len))
				best = k;
		}
	} else if (co->isolated[dir]) {
		best = lpm(rs, dir, ip);
	}
	/* contributors are sorted by provenance: skip repeats */
	for (i = 0; best && i < best->ncontrib; i++) {
		const struct np_rs_contrib *c = &best->contrib[i];

		if (c->prov == last || np__pset_find(c->ports, proto, port) < 0)
			continue;
		last = c->prov;
		if (n < max)
			out[n] = &co->prov[c->prov];
		n++;
	}
	return n;
}

bool np__proto_ok(int proto)
{
	return proto == NP_PROTOCOL_TCP || proto == NP_PROTOCOL_UDP ||
	       proto == NP_PROTOCOL_SCTP;
}

int np_ruleset_verdict(const struct np_ruleset *rs, enum np_direction dir,
		       const char *peer, enum np_protocol proto, uint16_t port,
		       struct np_verdict *out)
{
	struct np_ip ip;

	if (!rs || !peer || !out ||
	    (dir != NP_DIRECTION_INGRESS && dir != NP_DIRECTION_EGRESS) ||
	    !np__proto_ok(proto) || np__ip_parse(peer, &ip))
		return -EINVAL;
	return np__ruleset_verdict_ip(rs, dir, &ip, (uint8_t)proto, port, out);
}

/* --- output ------------------------------------------------------------- */

#define TRY(x)                      \
	do {                        \
		if (x)              \
			goto nomem; \
	} while (0)

static struct np_node *pset_node(struct np_arena *a, const struct np_pset *s)
{
	struct np_node *seq, *e;
	size_t i;

	if (s->all)
		return np__node_str(a, "all");
	seq = np__node_new(a, NP_N_SEQ);
	for (i = 0; seq && i < s->n; i++) {
		e = np__node_new(a, NP_N_MAP);
		if (!e || np__seq_push(a, seq, e) ||
		    np__map_put(a, e, "protocol",
				np__node_str(a, np__proto_name(s->r[i].proto))))
			return NULL;
		if (s->r[i].xproto &&
		    (np__map_put(
			     a, e, "endProtocol",
			     np__node_str(a,
					  np__proto_name((
						  uint8_t)(s->r[i].proto +
							   s->r[i].xproto)))) ||
		     np__map_put(a, e, "port", np__node_int(a, s->r[i].lo)) ||
		     np__map_put(a, e, "endPort", np__node_int(a, s->r[i].hi))))
			return NULL;
		if (s->r[i].xproto || (s->r[i].lo == 0 && s->r[i].hi == 65535))
			continue;
		if (np__map_put(a, e, "port", np__node_int(a, s->r[i].lo)))
			return NULL;
		if (s->r[i].hi != s->r[i].lo &&
		    np__map_put(a, e, "endPort", np__node_int(a, s->r[i].hi)))
			return NULL;
	}
	return seq;
}

static void ruleset_text(const struct np_ruleset *rs, struct np_strbuf *sb)
{
	char buf[64];
	size_t i;
	int d;

	np__sb_puts(sb, "pod ");
	np__sb_puts_text(sb, rs->ns);
	np__sb_putc(sb, '/');
	np__sb_puts_text(sb, rs->name);
	for (i = 0; i < rs->nips; i++) {
		struct np_ip ip = rs->ips[i];

		np__ip_format(&ip, buf, sizeof(buf));
		np__sb_printf(sb, "%s%s", i ? ", " : " (", buf);
	}
	np__sb_printf(sb, "%s ruleset %016llx\n", rs->nips ? ")" : "",
		      (unsigned long long)rs->core->hash);
	for (d = 0; d < 2; d++) {
		np__sb_printf(sb, "%s: %s\n", dir_names[d],
			      rs->core->isolated[d] ?
				      "isolated" :
				      "not isolated (all allowed)");
		for (i = 0; rs->core->isolated[d] && i < rs->core->nkeys[d];
		     i++) {
			const struct np_rs_key *k = &rs->core->keys[d][i];

			np__cidr_format(&k->cidr, buf, sizeof(buf));
			np__sb_printf(sb, "  %-22s ", buf);
			np__pset_text(sb, k->ports, NP_PSET_TEXT_RULES);
			np__sb_puts(sb, "  [");
			key_policies(rs->core, d, k, 0, -1, true, sb);
			np__sb_puts(sb, "]\n");
		}
	}
}

int np_ruleset_export(const struct np_ruleset *rs, enum np_format fmt,
		      char **out)
{
	struct np_arena a = { 0 };
	struct np_strbuf sb = { 0 };
	struct np_node *root, *ips, *dn, *keys, *k;
	char buf[64];
	size_t i;
	int d, err = -ENOMEM;

	if (!rs || !out ||
	    (fmt != NP_FORMAT_YAML && fmt != NP_FORMAT_JSON &&
	     fmt != NP_FORMAT_TEXT))
		return -EINVAL;
	if (fmt == NP_FORMAT_TEXT) {
		ruleset_text(rs, &sb);
		return np__sb_finish(&sb, out);
	}
	root = np__node_new(&a, NP_N_MAP);
	ips = np__node_new(&a, NP_N_SEQ);
	if (!root || !ips)
		goto nomem;
	TRY(np__map_put(&a, root, "namespace", np__node_str(&a, rs->ns)));
	TRY(np__map_put(&a, root, "name", np__node_str(&a, rs->name)));
	TRY(np__map_put(&a, root, "podIPs", ips));
	for (i = 0; i < rs->nips; i++) {
		struct np_ip ip = rs->ips[i];

		np__ip_format(&ip, buf, sizeof(buf));
		TRY(np__seq_push(&a, ips, np__node_str(&a, buf)));
	}
	if (rs->node_ip.family) {
		struct np_ip ip = rs->node_ip;

		np__ip_format(&ip, buf, sizeof(buf));
		TRY(np__map_put(&a, root, "nodeIP", np__node_str(&a, buf)));
	}
	snprintf(buf, sizeof(buf), "%016llx",
		 (unsigned long long)rs->core->hash);
	TRY(np__map_put(&a, root, "hash", np__node_str(&a, buf)));
	for (d = 0; d < 2; d++) {
		dn = np__node_new(&a, NP_N_MAP);
		keys = np__node_new(&a, NP_N_SEQ);
		if (!dn || !keys)
			goto nomem;
		TRY(np__map_put(&a, root, dir_names[d], dn));
		TRY(np__map_put(&a, dn, "isolated",
				np__node_bool(&a, rs->core->isolated[d])));
		if (!rs->core->isolated[d])
			continue;
		TRY(np__map_put(&a, dn, "keys", keys));
		for (i = 0; i < rs->core->nkeys[d]; i++) {
			const struct np_rs_key *key = &rs->core->keys[d][i];

			k = np__node_new(&a, NP_N_MAP);
			if (!k)
				goto nomem;
			TRY(np__seq_push(&a, keys, k));
			np__cidr_format(&key->cidr, buf, sizeof(buf));
			TRY(np__map_put(&a, k, "cidr", np__node_str(&a, buf)));
			TRY(np__map_put(&a, k, "ports",
					pset_node(&a, key->ports)));
			key_policies(rs->core, d, key, 0, -1, true, &sb);
			TRY(np__map_put(&a, k, "from",
					np__node_str(&a,
						     sb.buf ? sb.buf : "")));
			np__sb_release(&sb);
		}
	}
	err = np__emit_string(root, fmt, out);
	np__arena_release(&a);
	return err;
nomem:
	np__sb_release(&sb);
	np__arena_release(&a);
	return -ENOMEM;
}
