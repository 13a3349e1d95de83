/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The rule-set stage's arithmetic: port sets (add, merge, compare, find),
 * blobs interned per core, and the closure that turns the sorted entries
 * of one direction into the canonical LPM keys of a core (see
 * ruleset_core.c for what the keys mean).
 */
#include <stdio.h>
#include <stdlib.h>

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
		    a->r[i].xproto != b->r[i].xproto ||
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
	for (i = 0; i < s->n; i++) {
		uint32_t x = (uint32_t)proto << 16 | port;
		uint32_t lo = (uint32_t)s->r[i].proto << 16 | s->r[i].lo;
		uint32_t hi = (uint32_t)(s->r[i].proto + s->r[i].xproto) << 16 |
			      s->r[i].hi;

		if (x >= lo && x <= hi)
			return (int)i;
	}
	return -1;
}

void np__pset_text(struct np_strbuf *sb, const struct np_pset *s,
		   enum np_pset_style style)
{
	static const char *const all[] = { "all", "all", " proto=ANY" };
	static const char *const none[] = { "none (except)", "none", " deny" };
	const struct np_prange *r;
	size_t i;

	if (s->all || !s->n) {
		np__sb_puts(sb, s->all ? all[style] : none[style]);
		return;
	}
	for (i = 0; i < s->n; i++) {
		r = &s->r[i];
		if (r->xproto) {
			/*
			 * A span across protocols (tier.c): "TCP 81 - UDP 52",
			 * a protocol without a name as its number.
			 */
			uint8_t p2 = (uint8_t)(r->proto + r->xproto);
			const char *n1 =
				np_protocol_name((enum np_protocol)r->proto);
			const char *n2 = np_protocol_name((enum np_protocol)p2);
			char b1[8], b2[8];

			snprintf(b1, sizeof(b1), "%u", r->proto);
			snprintf(b2, sizeof(b2), "%u", p2);
			if (style == NP_PSET_TEXT_MAP)
				np__sb_printf(sb, " %s/%u-%s/%u", n1 ? n1 : b1,
					      r->lo, n2 ? n2 : b2, r->hi);
			else
				np__sb_printf(sb, "%s%s %u - %s %u",
					      i ? ", " : "", n1 ? n1 : b1,
					      r->lo, n2 ? n2 : b2, r->hi);
			continue;
		}
		if (style == NP_PSET_TEXT_MAP) {
			np__sb_printf(sb, " %s/%u-%u", np__proto_name(r->proto),
				      r->lo, r->hi);
			continue;
		}
		if (i)
			np__sb_puts(sb, ", ");
		if (style == NP_PSET_TEXT_LIST &&
		    !np_protocol_name((enum np_protocol)r->proto))
			np__sb_printf(sb, "%u", r->proto);
		else
			np__sb_puts(sb, np__proto_name(r->proto));
		if (style == NP_PSET_TEXT_RULES && r->lo == 0 && r->hi == 65535)
			np__sb_puts(sb, " any");
		else if (r->lo == r->hi)
			np__sb_printf(sb, " %u", r->lo);
		else
			np__sb_printf(sb, " %u-%u", r->lo, r->hi);
	}
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

struct blob {
	size_t len;
	const void *p;
};

static bool blob_eq(const void *val, const void *key)
{
	const struct blob *x = val, *y = key;

	return x->len == y->len && !memcmp(x->p, y->p, y->len);
}

void np__intern_release(struct np_intern *in)
{
	np__hashmap_release(&in->map);
	np__arena_release(&in->recs);
}

static const void *intern_blob(struct np_intern *in, const void *data,
			       size_t len)
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
const struct np_pset *np__intern_pset(struct np_intern *in,
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
int np__closure(struct np_rs_core *rs, const struct np_rs_entry *ent, size_t n,
		int dir, struct np_intern *in)
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
			ip = np__intern_pset(in, &v);
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

/*
 * Entries come in runs, one per PolicyEndpoint (run[i] is where run i
 * starts). Resolution sorts each PolicyEndpoint's entries by CIDR once, so
 * the runs are usually sorted and only need merging; a run that is not (a
 * PolicyEndpoint object as written) is sorted first.
 */
int np__sort_runs(struct np_arena *a, struct np_rs_entry *ent,
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
