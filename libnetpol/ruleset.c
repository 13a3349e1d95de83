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
 */
#include <stdio.h>
#include <stdlib.h>

/* NP_MAX_SLOTS: the datapath's port slots per key, a limit of the format */
#include "../bpf/netpol_abi.h"
#include "ruleset_internal.h"

/* --- port sets ---------------------------------------------------------- */

int np__pset_add(struct np_arena *a, struct np_pset *s, uint8_t proto,
		 uint16_t lo, uint16_t hi)
{
	struct np_prange *r;

	/* capacity doubles at powers of two; the arena keeps old arrays */
	if (!s->n || (s->n >= 4 && !(s->n & (s->n - 1)))) {
		r = np__arena_alloc(a, (s->n ? s->n * 2 : 4) * sizeof(*r));
		if (!r)
			return -ENOMEM;
		if (s->n)
			memcpy(r, s->r, s->n * sizeof(*r));
		s->r = r;
	}
	/* field by field: the padding byte is hashed and compared too */
	memset(&s->r[s->n], 0, sizeof(*s->r));
	s->r[s->n].proto = proto;
	s->r[s->n].lo = lo;
	s->r[s->n].hi = hi;
	s->n++;
	return 0;
}

static int prange_cmp(const void *a, const void *b)
{
	const struct np_prange *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* Sort, then coalesce overlapping and adjacent ranges of a protocol. */
void np__pset_merge(struct np_pset *s)
{
	size_t i, n = 0;

	if (s->all) {
		s->n = 0;
		return;
	}
	if (s->n < 2)
		return;
	qsort(s->r, s->n, sizeof(*s->r), prange_cmp);
	for (i = 1; i < s->n; i++) {
		struct np_prange *cur = &s->r[n];

		if (s->r[i].proto == cur->proto &&
		    (uint32_t)s->r[i].lo <= (uint32_t)cur->hi + 1) {
			if (s->r[i].hi > cur->hi)
				cur->hi = s->r[i].hi;
			continue;
		}
		s->r[++n] = s->r[i];
	}
	s->n = n + 1;
}

bool np__pset_eq(const struct np_pset *a, const struct np_pset *b)
{
	size_t i;

	if (a->all != b->all || a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->r[i].proto != b->r[i].proto ||
		    a->r[i].lo != b->r[i].lo || a->r[i].hi != b->r[i].hi)
			return false;
	return true;
}

/* The slot that allows proto/port, or -1. */
int np__pset_find(const struct np_pset *s, uint8_t proto, uint16_t port)
{
	size_t i;

	if (s->all)
		return 0;
	for (i = 0; i < s->n; i++)
		if (s->r[i].proto == proto && port >= s->r[i].lo &&
		    port <= s->r[i].hi)
			return (int)i;
	return -1;
}

/* --- the closure -------------------------------------------------------- */

/*
 * Family, then address (as memcmp over 4 or 16 bytes would order it), then
 * length: big-endian words, no memcmp call.
 */
static inline int cidr_cmp(const struct np_cidr *x, const struct np_cidr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->family == 4) {
		uint32_t a = np__be32(x->addr), b = np__be32(y->addr);

		if (a != b)
			return a < b ? -1 : 1;
	} else {
		uint64_t a = np__be64(x->addr), b = np__be64(y->addr);

		if (a == b) {
			a = np__be64(x->addr + 8);
			b = np__be64(y->addr + 8);
		}
		if (a != b)
			return a < b ? -1 : 1;
	}
	return x->len < y->len ? -1 : x->len > y->len;
}

static int cidr_qcmp(const void *a, const void *b)
{
	return cidr_cmp(a, b);
}

static int entry_cmp(const void *a, const void *b)
{
	return cidr_cmp(&((const struct np_rs_entry *)a)->cidr,
			&((const struct np_rs_entry *)b)->cidr);
}

struct frame {
	const struct np_cidr *c;
	long eff; /* key an address here falls back to; -1: none */
	size_t elo, ehi; /* the entries whose cidr is c */
};

/* Interned blobs: equal content, one copy in the core's arena. */
struct intern {
	struct np_arena *a;
	struct np_arena recs; /* struct blob, scratch */
	struct np_hashmap map; /* struct blob, by np__hash_fast of content */
};

struct blob {
	size_t len;
	const void *p;
};

static bool blob_eq(const void *val, const void *key)
{
	const struct blob *x = val, *y = key;

	return x->len == y->len && !memcmp(x->p, y->p, y->len);
}

static void intern_release(struct intern *in)
{
	np__hashmap_release(&in->map);
	np__arena_release(&in->recs);
}

static const void *intern_blob(struct intern *in, const void *data, size_t len)
{
	struct blob k = { len, data }, *b;
	uint64_t h = np__hash_fast(data, len, len);
	size_t i;
	void *copy;

	if (np__hashmap_reserve(&in->map, in->map.n + 1, 64))
		return NULL;
	i = np__hashmap_probe(&in->map, h, blob_eq, &k);
	if (in->map.slots[i].val)
		return ((struct blob *)in->map.slots[i].val)->p;
	b = np__arena_alloc(&in->recs, sizeof(*b));
	copy = np__arena_alloc(in->a, len ? len : 1);
	if (!b || !copy)
		return NULL;
	memcpy(copy, data, len);
	b->len = len;
	b->p = copy;
	np__hashmap_fill(&in->map, i, h, b);
	return copy;
}

/* A merged port set, interned (ranges first, then the set itself). */
static const struct np_pset *intern_pset(struct intern *in,
					 const struct np_pset *s)
{
	struct np_pset t;

	memset(&t, 0, sizeof(t));
	t.all = s->all;
	t.n = s->all ? 0 : s->n;
	if (t.n) {
		t.r = (struct np_prange *)intern_blob(in, s->r,
						      t.n * sizeof(*s->r));
		if (!t.r)
			return NULL;
	}
	return intern_blob(in, &t, sizeof(t));
}

/* A growable scratch port set, reused for every candidate key. */
struct scratch {
	struct np_prange *r;
	size_t n, cap;
	bool all;
};

static int scratch_add(struct scratch *s, const struct np_prange *r)
{
	if (NP_GROW(s->r, s->cap, s->n + 1))
		return -ENOMEM;
	memset(&s->r[s->n], 0, sizeof(*r)); /* padding compares as bytes */
	s->r[s->n].proto = r->proto;
	s->r[s->n].lo = r->lo;
	s->r[s->n].hi = r->hi;
	s->n++;
	return 0;
}

static int contrib_cmp(const void *a, const void *b)
{
	const struct np_rs_contrib *x = a, *y = b;

	if (x->prov != y->prov)
		return x->prov < y->prov ? -1 : 1;
	return x->ports < y->ports ? -1 : x->ports > y->ports;
}

/*
 * The keys of one direction. ent must be sorted by cidr: the family is the
 * sorted entry prefixes merged with the sorted excepts, no sort over all
 * of them.
 */
static int closure(struct np_rs_core *rs, const struct np_rs_entry *ent,
		   size_t n, int dir, struct intern *in)
{
	struct np_cidr *fam = NULL, *exc = NULL;
	struct frame stack[130];
	size_t nf = 0, ne = 0, i, j, k, depth = 0, nkeys = 0, kcap = 0, ep = 0;
	struct np_rs_key *keys = NULL;
	struct np_rs_contrib *contrib = NULL;
	size_t ncontrib, ccap = 0;
	struct scratch sc = { 0 };
	static const struct np_pset empty;
	int err = -ENOMEM;

	for (i = 0; i < n; i++)
		ne += ent[i].nexcept;
	fam = malloc((n + ne + 1) * sizeof(*fam));
	exc = malloc((ne + 1) * sizeof(*exc));
	if (!fam || !exc)
		goto out;
	ne = 0;
	for (i = 0; i < n; i++)
		for (j = 0; j < ent[i].nexcept; j++)
			exc[ne++] = ent[i].except[j];
	qsort(exc, ne, sizeof(*exc), cidr_qcmp);
	/* merge the sorted prefixes and excepts, dropping repeats */
	for (i = j = 0; i < n || j < ne;) {
		const struct np_cidr *c;

		if (j == ne || (i < n && cidr_cmp(&ent[i].cidr, &exc[j]) <= 0))
			c = &ent[i++].cidr;
		else
			c = &exc[j++];
		if (!nf || cidr_cmp(&fam[nf - 1], c))
			fam[nf++] = *c;
	}

	/* sorted by address then length: a pre-order walk of the prefix tree */
	for (i = 0; i < nf; i++) {
		const struct np_cidr *kc = &fam[i];
		const struct np_pset *parent, *ip;
		struct np_pset v;
		size_t s;

		while (depth && !np__cidr_contains(stack[depth - 1].c, kc))
			depth--;
		parent = depth && stack[depth - 1].eff >= 0 ?
				 keys[stack[depth - 1].eff].ports :
				 &empty;
		if (depth >= ARRAY_SIZE(stack) - 1)
			goto out; /* cannot happen: at most 129 levels */
		/*
		 * The entries of kc itself: fam holds every entry's cidr and
		 * both are sorted, so one cursor walks them; an ancestor's
		 * range was found when it was kc.
		 */
		while (ep < n && cidr_cmp(&ent[ep].cidr, kc) < 0)
			ep++;
		stack[depth].elo = ep;
		while (ep < n && !cidr_cmp(&ent[ep].cidr, kc))
			ep++;
		stack[depth].ehi = ep;
		ncontrib = 0;
		sc.n = 0;
		sc.all = false;
		for (s = 0; s <= depth; s++) {
			for (k = stack[s].elo; k < stack[s].ehi; k++) {
				const struct np_rs_entry *e = &ent[k];
				size_t x;
				bool out = false;

				for (x = 0; x < e->nexcept && !out; x++)
					out = np__cidr_contains(&e->except[x],
								kc);
				if (out)
					continue;
				if (NP_GROW(contrib, ccap, ncontrib + 1))
					goto out;
				/* interned as bytes: no stray padding */
				memset(&contrib[ncontrib], 0, sizeof(*contrib));
				contrib[ncontrib].prov = e->prov;
				contrib[ncontrib++].ports = e->iports;
				if (e->ports.all) {
					sc.all = true;
					continue;
				}
				for (x = 0; !sc.all && x < e->ports.n; x++)
					if (scratch_add(&sc, &e->ports.r[x]))
						goto out;
			}
		}
		v.all = sc.all;
		v.r = sc.r;
		v.n = sc.n;
		np__pset_merge(&v);
		stack[depth].c = kc;
		if (np__pset_eq(&v, parent)) {
			stack[depth].eff = depth ? stack[depth - 1].eff : -1;
			depth++;
			continue;
		}
		if (NP_GROW(keys, kcap, nkeys + 1))
			goto out;
		/* runs of keys share a set: skip the hash of the same again */
		if (nkeys && np__pset_eq(&v, keys[nkeys - 1].ports))
			ip = keys[nkeys - 1].ports;
		else
			ip = intern_pset(in, &v);
		if (!ip)
			goto out;
		/* one entry per rule and port set, in a stable order */
		qsort(contrib, ncontrib, sizeof(*contrib), contrib_cmp);
		for (j = k = 0; j < ncontrib; j++)
			if (!k || contrib_cmp(&contrib[k - 1], &contrib[j]))
				contrib[k++] = contrib[j];
		ncontrib = k;
		keys[nkeys].cidr = *kc;
		keys[nkeys].ports = ip;
		keys[nkeys].ncontrib = (uint32_t)ncontrib;
		if (!ncontrib)
			keys[nkeys].contrib = NULL;
		else if (nkeys && keys[nkeys - 1].ncontrib == ncontrib &&
			 !memcmp(keys[nkeys - 1].contrib, contrib,
				 ncontrib * sizeof(*contrib)))
			keys[nkeys].contrib = keys[nkeys - 1].contrib;
		else
			keys[nkeys].contrib = intern_blob(
				in, contrib, ncontrib * sizeof(*contrib));
		if (ncontrib && !keys[nkeys].contrib)
			goto out;
		stack[depth++].eff = (long)nkeys++;
	}
	rs->keys[dir] =
		np__arena_alloc(&rs->arena, (nkeys + 1) * sizeof(*keys));
	if (!rs->keys[dir])
		goto out;
	if (nkeys)
		memcpy(rs->keys[dir], keys, nkeys * sizeof(*keys));
	rs->nkeys[dir] = nkeys;
	err = 0;
out:
	free(fam);
	free(exc);
	free(keys);
	free(contrib);
	free(sc.r);
	return err;
}

/* --- building a rule set ------------------------------------------------ */

static const char *const dir_names[] = { "ingress", "egress" };

static void prov_format(const struct np_rs_core *co, uint32_t p, int dir,
			struct np_strbuf *sb)
{
	const struct np_prov *pv = &co->prov[p];

	if (pv->rule == -2)
		np__sb_printf(sb, "%s/%s %s (Service)", pv->pol_ns,
			      pv->pol_name, dir_names[dir]);
	else if (pv->rule < 0)
		np__sb_printf(sb, "%s/%s %s", pv->pol_ns, pv->pol_name,
			      dir_names[dir]);
	else
		np__sb_printf(sb, "%s/%s %s[%d]", pv->pol_ns, pv->pol_name,
			      dir_names[dir], pv->rule);
}

/* Distinct policies behind a key, "ns/a ingress[0], ns/b ingress[1]". */
static void key_policies(const struct np_rs_core *co, int dir,
			 const struct np_rs_key *k, uint8_t proto, int port,
			 struct np_strbuf *sb)
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
		prov_format(co, c->prov, dir, sb);
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
	np__hashmap_fill(t, i, h, (void *)(uintptr_t)(co->nprov + 1));
	return (uint32_t)co->nprov++;
}

static int entry_from_pe(struct np_arena *a, struct intern *in,
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
		e->iports = intern_pset(in, &e->ports);
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
	e->iports = intern_pset(in, &e->ports);
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

static void core_hash(struct np_rs_core *co)
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
				hash_mix(&h, &k->ports->r[j].lo, 2);
				hash_mix(&h, &k->ports->r[j].hi, 2);
			}
		}
	}
	co->hash = h;
}

static int check_slots(const struct np_rs_core *co, int dir, const char *ns,
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
			key_policies(co, dir, k, 0, -1, &sb);
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
	struct np_arena a;

	if (!co || __atomic_sub_fetch(&co->refs, 1, __ATOMIC_ACQ_REL))
		return;
	a = co->arena;
	np__arena_release(&a);
}

static struct np_rs_core *core_get(struct np_rs_core *co)
{
	__atomic_add_fetch(&co->refs, 1, __ATOMIC_RELAXED);
	return co;
}

/*
 * Entries come in runs, one per PolicyEndpoint (run[i] is where run i
 * starts). Resolution sorts each PolicyEndpoint's entries by CIDR once, so
 * the runs are usually sorted and only need merging; a run that is not (a
 * PolicyEndpoint object as written) is sorted first.
 */
static int sort_runs(struct np_arena *a, struct np_rs_entry *ent,
		     const size_t *run, size_t nrun, size_t n)
{
	struct np_rs_entry *tmp, *src, *dst, *swap;
	size_t r, i, j, lo, mid, hi, o, nr, w, *b;

	for (r = 0; r < nrun; r++) {
		lo = run[r];
		hi = r + 1 < nrun ? run[r + 1] : n;
		for (i = lo + 1; i < hi; i++)
			if (entry_cmp(&ent[i - 1], &ent[i]) > 0)
				break;
		if (i < hi)
			qsort(ent + lo, hi - lo, sizeof(*ent), entry_cmp);
	}
	if (nrun < 2)
		return 0;
	tmp = np__arena_alloc(a, n * sizeof(*tmp));
	b = np__arena_alloc(a, (nrun + 1) * sizeof(*b));
	if (!tmp || !b)
		return -ENOMEM;
	/*
	 * Merge neighbouring runs pairwise, round after round: n log(runs),
	 * where folding them in one by one was n * runs (200,000 policies
	 * selecting one pod took minutes). Stable: ties keep run order.
	 */
	memcpy(b, run, nrun * sizeof(*b));
	b[nrun] = n;
	src = ent;
	dst = tmp;
	for (nr = nrun; nr > 1; nr = w) {
		for (r = 0, w = 0; r < nr; r += 2) {
			lo = b[r];
			mid = b[r + 1];
			hi = r + 2 <= nr ? b[r + 2] : mid;
			for (i = lo, j = mid, o = lo; i < mid || j < hi;) {
				if (j == hi ||
				    (i < mid &&
				     entry_cmp(&src[i], &src[j]) <= 0))
					dst[o++] = src[i++];
				else
					dst[o++] = src[j++];
			}
			b[w++] = lo;
		}
		b[w] = n;
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != ent)
		memcpy(ent, src, n * sizeof(*ent));
	return 0;
}

/* Normalize the entries of these PolicyEndpoints into a new core. */
static int core_build(struct np_rs_core **out, const struct np_obj **pes,
		      size_t npes, const char *ns, const char *name,
		      struct np_diag *diag)
{
	struct np_arena arena = { 0 }, scratch = { 0 };
	struct np_hashmap pt = { 0 };
	struct intern in = { 0 };
	struct np_rs_core *co;
	struct np_rs_entry *ent;
	size_t pcap = 0, i, j, n, nent, *run, nrun;
	struct np_prov *p;
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
		err = sort_runs(&scratch, ent, run, nrun, nent);
		if (!err)
			err = closure(co, ent, nent, d, &in);
		if (!err)
			err = check_slots(co, d, ns, name, diag);
		if (err)
			goto fail;
		err = -ENOMEM;
	}
	/* the prov array was malloc'd: move it into the arena */
	p = np__arena_alloc(&co->arena, (co->nprov + 1) * sizeof(*p));
	if (!p)
		goto fail;
	if (co->nprov)
		memcpy(p, co->prov, co->nprov * sizeof(*p));
	free(co->prov);
	co->prov = p;
	core_hash(co);
	intern_release(&in);
	np__hashmap_release(&pt);
	np__arena_release(&scratch);
	*out = co;
	return 0;
fail:
	intern_release(&in);
	np__hashmap_release(&pt);
	np__arena_release(&scratch);
	free(co->prov);
	arena = co->arena;
	np__arena_release(&arena);
	return err;
}

static int serial_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A cached core, by the rules of the PolicyEndpoints that built it. */
struct core_ent {
	struct np_rs_core *core;
	size_t nserials;
	uint64_t serials[]; /* sorted */
};

struct core_key {
	const uint64_t *serials;
	size_t n;
};

/*
 * The cache of cores, this stage's own: it hangs on the resolution context
 * (which lives as long as the snapshot is unchanged in what it indexes)
 * and goes with it, through the release function installed beside it.
 */
struct core_cache {
	struct np_hashmap map; /* struct core_ent, by hash of the serials */
	size_t bytes; /* arena bytes of the cached cores */
};

static bool core_key_eq(const void *val, const void *key)
{
	const struct core_ent *ce = val;
	const struct core_key *k = key;

	return ce->nserials == k->n &&
	       !memcmp(ce->serials, k->serials, k->n * sizeof(*k->serials));
}

static void cache_clear(struct core_cache *cc)
{
	size_t i;

	for (i = 0; i < cc->map.cap; i++) {
		struct core_ent *ce = cc->map.slots[i].val;

		if (!ce)
			continue;
		np__core_put(ce->core);
		free(ce);
	}
	np__hashmap_release(&cc->map);
	cc->bytes = 0;
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

/*
 * The core for this set of PolicyEndpoints, from the context's cache when
 * the same versions of the same endpoints built one before.
 */
static int core_for(struct np_ctx *ctx, const struct np_obj **pes, size_t npes,
		    const char *ns, const char *name, struct np_rs_core **out,
		    struct np_diag *diag)
{
	struct core_cache *cc = ctx ? ctx->rs_cache : NULL;
	struct core_ent *ce, *hit;
	struct core_key k;
	uint64_t key;
	size_t i;
	int err;

	ce = malloc(sizeof(*ce) + (npes + 1) * sizeof(ce->serials[0]));
	if (!ce)
		return -ENOMEM;
	/* by rules, not by version: a core depends on the rules only */
	for (i = 0; i < npes; i++)
		ce->serials[i] = pes[i]->pe.rules_id ? pes[i]->pe.rules_id :
						       pes[i]->serial;
	qsort(ce->serials, npes, sizeof(ce->serials[0]), serial_cmp);
	ce->nserials = npes;
	key = np__hash_fast(ce->serials, npes * sizeof(ce->serials[0]),
			    0x636f7265);
	k.serials = ce->serials;
	k.n = npes;
	if (cc) {
		hit = np__hashmap_get(&cc->map, key, core_key_eq, &k);
		if (hit) {
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
	 * Remember it. The cache is bounded by bytes: past NP_CORE_CACHE it
	 * starts over (cores in use stay alive through their references),
	 * which also drops keys of endpoints that no longer exist; and by
	 * entries: it starts over rather than grow past 65536 slots.
	 */
	if (cc->bytes + (*out)->arena.used > NP_CORE_CACHE)
		cache_clear(cc);
	if (cc->map.n + 1 > cc->map.cap / 2 && cc->map.cap * 2 > 65536)
		cache_clear(cc);
	if (np__hashmap_add(&cc->map, key, ce, 64)) {
		free(ce);
		return 0;
	}
	ce->core = core_get(*out);
	cc->bytes += (*out)->arena.used;
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
		rs->nips = 1;
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

int np_ruleset_compile(struct np_ruleset **out, struct np_cluster *c,
		       const char *ns, const char *name,
		       const struct np_compile_opts *opts, struct np_diag *diag)
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
	if (opts && opts->sz >= offsetof(struct np_compile_opts, source) +
					sizeof(opts->source))
		src = opts->source;
	err = np__ctx_get(c, &ctx);
	if (err)
		return err;
	pod = np__cluster_find(c, NP_KIND_POD, ns, name);
	if (src == NP_SOURCE_POLICIES) {
		if (!pod)
			goto noent;
		for (i = pols_lower(ctx, ns);
		     np__pod_eligible(pod) && i < ctx->npols &&
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
				 "Not found: no PolicyEndpoint or Pod names "
				 "it");
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

static int verdict_ip(const struct np_ruleset *rs, enum np_direction dir,
		      const struct np_ip *ip, uint8_t proto, uint16_t port,
		      struct np_verdict *v)
{
	const struct np_rs_key *k;
	struct np_strbuf sb = { 0 };
	int slot;

	memset(v, 0, sizeof(*v));
	v->direction = dir;
	v->slot = -1;
	if (!rs->core->isolated[dir]) {
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
	k = lpm(rs, dir, ip);
	if (!k) {
		v->reason = NP_REASON_NO_MATCH;
		return 0;
	}
	np__cidr_format(&k->cidr, v->key, sizeof(v->key));
	slot = np__pset_find(k->ports, proto, port);
	if (slot < 0) {
		v->reason = !k->ports->n && !k->ports->all ? NP_REASON_EXCEPT :
							     NP_REASON_PORT;
		return 0;
	}
	v->allowed = true;
	v->reason = NP_REASON_RULE;
	v->slot = slot;
	key_policies(rs->core, dir, k, proto, port, &sb);
	snprintf(v->policies, sizeof(v->policies), "%s", sb.buf ? sb.buf : "");
	np__sb_release(&sb);
	return sb.err;
}

static bool proto_ok(int proto)
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
	    !proto_ok(proto) || np__ip_parse(peer, &ip))
		return -EINVAL;
	return verdict_ip(rs, dir, &ip, (uint8_t)proto, port, out);
}

/* An endpoint of a connection: a pod of the snapshot or an address. */
struct endpoint {
	const struct np_obj *pod;
	struct np_ip ip[NP_MAX_IPS];
	size_t nips;
	char ns[254], name[254];
};

static int endpoint_parse(struct np_cluster *c, const char *s,
			  struct endpoint *e, struct np_diag *diag)
{
	const char *slash = strchr(s, '/');
	struct np_ctx *ctx;
	size_t i, j;
	int err;

	memset(e, 0, sizeof(*e));
	if (slash && !strchr(s, ':') && !strchr(s, '.')) {
		snprintf(e->ns, sizeof(e->ns), "%.*s", (int)(slash - s), s);
		snprintf(e->name, sizeof(e->name), "%s", slash + 1);
		e->pod = np__cluster_find(c, NP_KIND_POD, e->ns, e->name);
		if (!e->pod) {
			if (diag) {
				memset(diag, 0, sizeof(*diag));
				diag->err = -ENOENT;
				snprintf(diag->object, sizeof(diag->object),
					 "Pod %s", s);
				snprintf(diag->message, sizeof(diag->message),
					 "Not found: no such pod in the "
					 "snapshot");
			}
			return -ENOENT;
		}
		e->nips = e->pod->pod.nips;
		memcpy(e->ip, e->pod->pod.ips, sizeof(e->ip));
		return 0;
	}
	if (np__ip_parse(s, &e->ip[0])) {
		if (diag) {
			memset(diag, 0, sizeof(*diag));
			diag->err = -EINVAL;
			snprintf(diag->message, sizeof(diag->message),
				 "Invalid value: \"%s\": must be NAMESPACE/POD "
				 "or an IP address",
				 s);
		}
		return -EINVAL;
	}
	e->nips = 1;
	/* an address that belongs to a pod is that pod */
	err = np__ctx_get(c, &ctx);
	if (err)
		return err;
	for (i = 0; i < ctx->npods; i++)
		for (j = 0; j < ctx->pods[i]->pod.nips; j++)
			if (!memcmp(&ctx->pods[i]->pod.ips[j], &e->ip[0],
				    sizeof(e->ip[0])) &&
			    np__pod_eligible(ctx->pods[i])) {
				e->pod = ctx->pods[i];
				snprintf(e->ns, sizeof(e->ns), "%s",
					 e->pod->meta.ns);
				snprintf(e->name, sizeof(e->name), "%s",
					 e->pod->meta.name);
				return 0;
			}
	return 0;
}

int np_cluster_verdict(struct np_cluster *c, const char *from, const char *to,
		       enum np_protocol proto, uint16_t port,
		       const struct np_compile_opts *opts,
		       struct np_verdict *out, struct np_diag *diag)
{
	struct endpoint a, b;
	struct np_ruleset *rs = NULL;
	const struct np_ip *ia = NULL, *ib = NULL;
	size_t i, j;
	int err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!c || !from || !to || !out || !proto_ok(proto))
		return -EINVAL;
	err = endpoint_parse(c, from, &a, diag);
	if (!err)
		err = endpoint_parse(c, to, &b, diag);
	if (err)
		return err;
	if (!a.pod && !b.pod) {
		if (diag) {
			diag->err = -EINVAL;
			snprintf(diag->message, sizeof(diag->message),
				 "Invalid value: neither end is a pod of the "
				 "snapshot");
		}
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	out->slot = -1;
	/* hostNetwork pods are the node: nothing to check on their side */
	out->allowed = true;
	out->reason = NP_REASON_NOT_ISOLATED;
	if (a.pod && a.pod == b.pod) {
		out->allowed = true;
		out->reason = NP_REASON_SELF;
		return 0;
	}
	/* the first address family both ends have, IPv4 first */
	for (i = 0; i < a.nips && !ia; i++)
		for (j = 0; j < b.nips && !ia; j++)
			if (a.ip[i].family == b.ip[j].family) {
				ia = &a.ip[i];
				ib = &b.ip[j];
			}
	if (!ia) {
		if (diag) {
			diag->err = -EINVAL;
			snprintf(diag->message, sizeof(diag->message),
				 "Invalid value: the two ends share no address "
				 "family");
		}
		return -EINVAL;
	}
	if (a.pod && np__pod_eligible(a.pod)) {
		err = np_ruleset_compile(&rs, c, a.ns, a.name, opts, diag);
		if (err)
			return err;
		err = verdict_ip(rs, NP_DIRECTION_EGRESS, ib, (uint8_t)proto,
				 port, out);
		np_ruleset_free(rs);
		if (err || !out->allowed)
			return err;
	}
	if (b.pod && np__pod_eligible(b.pod)) {
		err = np_ruleset_compile(&rs, c, b.ns, b.name, opts, diag);
		if (err)
			return err;
		err = verdict_ip(rs, NP_DIRECTION_INGRESS, ia, (uint8_t)proto,
				 port, out);
		np_ruleset_free(rs);
	}
	return err;
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
		if (s->r[i].lo == 0 && s->r[i].hi == 65535)
			continue;
		if (np__map_put(a, e, "port", np__node_int(a, s->r[i].lo)))
			return NULL;
		if (s->r[i].hi != s->r[i].lo &&
		    np__map_put(a, e, "endPort", np__node_int(a, s->r[i].hi)))
			return NULL;
	}
	return seq;
}

static void pset_text(struct np_strbuf *sb, const struct np_pset *s)
{
	size_t i;

	if (s->all) {
		np__sb_puts(sb, "all");
		return;
	}
	if (!s->n) {
		np__sb_puts(sb, "none (except)");
		return;
	}
	for (i = 0; i < s->n; i++) {
		np__sb_printf(sb, "%s%s", i ? ", " : "",
			      np__proto_name(s->r[i].proto));
		if (s->r[i].lo == 0 && s->r[i].hi == 65535)
			np__sb_puts(sb, " any");
		else if (s->r[i].lo == s->r[i].hi)
			np__sb_printf(sb, " %u", s->r[i].lo);
		else
			np__sb_printf(sb, " %u-%u", s->r[i].lo, s->r[i].hi);
	}
}

static void ruleset_text(const struct np_ruleset *rs, struct np_strbuf *sb)
{
	char buf[64];
	size_t i;
	int d;

	np__sb_printf(sb, "pod %s/%s", rs->ns, rs->name);
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
			pset_text(sb, k->ports);
			np__sb_puts(sb, "  [");
			key_policies(rs->core, d, k, 0, -1, sb);
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
			key_policies(rs->core, d, key, 0, -1, &sb);
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

int np_cluster_endpoints(struct np_cluster *c, enum np_format fmt, char **out,
			 struct np_diag *diag)
{
	struct np_arena a = { 0 };
	struct np_node *root, *items;
	struct np_ctx *ctx;
	size_t i, j;
	int err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!c || !out || (fmt != NP_FORMAT_YAML && fmt != NP_FORMAT_JSON))
		return -EINVAL;
	err = np__ctx_get(c, &ctx);
	for (i = 0; !err && i < ctx->npols; i++)
		err = np__resolve_policy(ctx, i, diag);
	if (err)
		return err;
	err = -ENOMEM;
	root = np__list_new(&a, &items);
	for (i = 0; root && i < ctx->npols; i++)
		for (j = 0; j < ctx->npe_of[i]; j++)
			if (np__seq_push(&a, items,
					 np__obj_to_node(&a, ctx->pe_of[i][j])))
				goto out;
	if (root)
		err = np__emit_string(root, fmt, out);
out:
	np__arena_release(&a);
	return err;
}
