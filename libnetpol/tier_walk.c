// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The walk of the tier fold (tier_fold.c has the entry points, tier_cache.c
 * the caches): one direction's keys and verdict keys from the ordered rules
 * of the cluster policies selecting a pod and the NetworkPolicy core's keys.
 *
 * The rules' entries sit on the direction's universe, every prefix of
 * every rule sorted (tier_ents.c), where np__tier_fold_prep() places a
 * pod's rules' entries by counting. The walk visits those prefixes and the
 * NP keys in order with a stack, a prefix inheriting the rules that match
 * its parent; at each, the decision list runs over (protocol << 16 | port)
 * with interval sets (tier_ivs.c): the Admin rules, the NetworkPolicy
 * step, the Baseline rules, the default (fold_at()). Who decided what is
 * kept as pieces, the keys' contributors. Prefixes whose matching rules
 * (and ports) and nearest NP key agree fold once (memo).
 *
 * Also here, as they walk the same way: where the Admin rules decide
 * everything (np__tier_admin_decided(), for np_relevant() in tier_cache.c)
 * and the walk over the universe of a ClusterPolicyEndpoint source's own
 * entries (np__tier_fold_dir_src()). Nothing here calls the caches or the
 * entry points: they call here.
 */
#include <stdlib.h>

#include "tier_fold.h"

/* --- pieces: who decided what ------------------------------------------- */

/* A decided piece: ports and who decided them. */
struct piece {
	uint32_t prov;
	struct ivs ports;
};

struct pbuf {
	struct piece *v;
	size_t n, cap;
};

static int piece_add(struct pbuf *b, uint32_t prov, const struct ivs *s)
{
	if (!s->n)
		return 0;
	if (NP_GROW(b->v, b->cap, b->n + 1))
		return -ENOMEM;
	b->v[b->n].prov = prov;
	b->v[b->n].ports = *s;
	b->n++;
	return 0;
}

static int piece_cmp(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	return x->prov < y->prov ? -1 : x->prov > y->prov;
}

/* pieces as a key's contributors, sorted by provenance, in co's arena. */
static int pieces_contrib(struct np_arena *a, struct np_rs_core *co,
			  struct np_intern *in, struct pbuf *pieces,
			  struct np_rs_contrib **out)
{
	struct np_rs_contrib *ct;
	struct np_pset ps;
	size_t j;
	int err;

	if (pieces->n > 1)
		qsort(pieces->v, pieces->n, sizeof(*pieces->v), piece_cmp);
	ct = np__arena_zalloc(&co->arena, (pieces->n + 1) * sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	for (j = 0; j < pieces->n; j++) {
		err = np__pset_from_ivs(a, &pieces->v[j].ports, &ps);
		if (err)
			return err;
		ct[j].prov = pieces->v[j].prov;
		ct[j].ports = np__intern_pset(in, &ps);
		if (!ct[j].ports)
			return -ENOMEM;
	}
	*out = ct;
	return 0;
}

/* d gets the pieces of p too. */
static int pieces_join(struct pbuf *d, const struct pbuf *p)
{
	if (!p->n)
		return 0;
	if (NP_GROW(d->v, d->cap, d->n + p->n))
		return -ENOMEM;
	memcpy(d->v + d->n, p->v, p->n * sizeof(*p->v));
	d->n += p->n;
	return 0;
}

/* --- the fold ----------------------------------------------------------- */

/* What the fold needs besides the prefix. */
struct fold {
	struct np_arena *a; /* scratch */
	const struct np_frule *tr;
	size_t n, nadmin;
	const struct np_rs_core *np; /* the NetworkPolicy core */
	int dir;
	/* provenance: rule i is rule_prov0 + i; NP contribution j of the
	 * NP core is np_prov0 + j; the default is def_prov */
	uint32_t rule_prov0, np_prov0, def_prov;
};

/*
 * A rule that can match at a prefix: its ports there (the union over its
 * prefixes that contain it). A prefix's list is sorted by rule; it is its
 * parent's list with its own prefixes' rules merged in.
 */
struct act {
	size_t rule;
	struct ivs ports;
};

/*
 * The NetworkPolicy step at a prefix whose nearest NP key is nk (NULL:
 * none): when the NP core isolates the direction, u's part it allows is
 * allowed (pieces by its contributors), the rest denied, and nothing is
 * left undecided.
 */
static int np_step(const struct fold *f, const struct np_rs_key *nk,
		   struct ivs *u, struct ivs *acc, struct pbuf *pieces)
{
	struct ivs npset = { 0 }, m, t;
	size_t j;
	int err;

	if (nk) {
		err = np__ivs_from_pset(f->a, nk->ports, &npset);
		if (err)
			return err;
	}
	err = np__ivs_and(f->a, u, &npset, &m);
	if (!err)
		err = np__ivs_or(f->a, acc, &m, acc);
	for (j = 0; !err && nk && j < nk->ncontrib; j++) {
		err = np__ivs_from_pset(f->a, nk->contrib[j].ports, &t);
		if (!err)
			err = np__ivs_and(f->a, &t, &m, &t);
		if (!err)
			err = piece_add(pieces,
					f->np_prov0 + nk->contrib[j].prov, &t);
	}
	u->n = 0;
	return err;
}

/*
 * Rule act->rule on the undecided u: what it decides leaves u (an Accept's
 * into acc and pieces, a Pass's into pass, a Deny's into denied).
 */
static int fold_rule(const struct fold *f, const struct act *act, struct ivs *u,
		     struct ivs *pass, struct ivs *acc, struct pbuf *pieces,
		     struct pbuf *denied)
{
	uint32_t prov = f->rule_prov0 + (uint32_t)act->rule;
	struct ivs m;
	int err;

	err = np__ivs_and(f->a, u, &act->ports, &m);
	if (err || !m.n)
		return err;
	err = np__ivs_sub(f->a, u, &m, u);
	if (err)
		return err;
	switch (f->tr[act->rule].action) {
	case NP_CNP_ACCEPT:
		err = np__ivs_or(f->a, acc, &m, acc);
		if (!err)
			err = piece_add(pieces, prov, &m);
		break;
	case NP_CNP_PASS:
		err = np__ivs_or(f->a, pass, &m, pass);
		break;
	default:
		err = piece_add(denied, prov, &m);
		break;
	}
	return err;
}

/*
 * The allowed set at a prefix whose matching rules are act (nact, sorted)
 * and whose nearest NP key is nk, the pieces that allowed it, and the
 * pieces a Deny rule denied (for verdicts: never in the maps).
 */
static int fold_at(const struct fold *f, const struct act *act, size_t nact,
		   const struct np_rs_key *nk, struct ivs *acc,
		   struct pbuf *pieces, struct pbuf *denied)
{
	struct ivs u = full_ivs, pass = { 0 };
	size_t j = 0;
	int err;

	pieces->n = 0;
	denied->n = 0;
	*acc = (struct ivs){ 0 };
	/* Admin */
	for (; j < nact && act[j].rule < f->nadmin && u.n; j++) {
		err = fold_rule(f, &act[j], &u, &pass, acc, pieces, denied);
		if (err)
			return err;
	}
	while (j < nact && act[j].rule < f->nadmin)
		j++;
	/* Admin Pass goes on to the NetworkPolicy step */
	err = np__ivs_or(f->a, &u, &pass, &u);
	if (err)
		return err;
	pass.n = 0;
	if (f->np->isolated[f->dir]) {
		err = np_step(f, nk, &u, acc, pieces);
		if (err)
			return err;
	}
	/* Baseline */
	for (; j < nact && u.n; j++) {
		err = fold_rule(f, &act[j], &u, &pass, acc, pieces, denied);
		if (err)
			return err;
	}
	/* what is left, or passed by Baseline: the default, allowed */
	err = np__ivs_or(f->a, &u, &pass, &u);
	if (!err)
		err = np__ivs_or(f->a, acc, &u, acc);
	if (!err)
		err = piece_add(pieces, f->def_prov, &u);
	return err;
}

static int act_merge(struct np_arena *a, const struct act *par, size_t npar,
		     const struct act *own, size_t nown, const struct act **out,
		     size_t *nout)
{
	struct act *v;
	size_t i = 0, j = 0, n = 0;
	int err;

	if (!nown) {
		*out = par;
		*nout = npar;
		return 0;
	}
	v = np__arena_alloc(a, (npar + nown + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	while (i < npar || j < nown) {
		if (j == nown || (i < npar && par[i].rule < own[j].rule)) {
			v[n++] = par[i++];
			continue;
		}
		if (n && v[n - 1].rule == own[j].rule) {
			err = np__ivs_or(a, &v[n - 1].ports, &own[j].ports,
					 &v[n - 1].ports);
			if (err)
				return err;
		} else if (i < npar && par[i].rule == own[j].rule) {
			v[n] = par[i++];
			err = np__ivs_or(a, &v[n].ports, &own[j].ports,
					 &v[n].ports);
			if (err)
				return err;
			n++;
		} else {
			v[n++] = own[j];
		}
		j++;
	}
	*out = v;
	*nout = n;
	return 0;
}

/*
 * What a fold at one prefix gave: its key value and contributors (ct) and
 * the verdicts' contributors (vct: who allowed and who denied), the same
 * for every prefix with the same matching rules (and ports) and the same
 * nearest NP key, which host prefixes of one kind of peer share.
 */
struct memo {
	const struct act *act;
	size_t nact;
	const struct np_rs_key *nk;
	const struct np_pset *val;
	struct np_rs_contrib *ct, *vct;
	uint32_t nct, nvct;
};

struct memo_key {
	const struct act *act;
	size_t nact;
	const struct np_rs_key *nk;
};

/* Keys with the same ports and contributors fold alike. */
static bool nk_same(const struct np_rs_key *x, const struct np_rs_key *y)
{
	if (!x || !y)
		return x == y;
	return x->ports == y->ports && x->contrib == y->contrib &&
	       x->ncontrib == y->ncontrib;
}

/* By content: merged lists of one rule are new arrays of the same ports. */
static bool memo_eq(const void *val, const void *key)
{
	const struct memo *m = val;
	const struct memo_key *k = key;
	size_t i;

	if (!nk_same(m->nk, k->nk) || m->nact != k->nact)
		return false;
	for (i = 0; i < k->nact; i++) {
		const struct act *x = &m->act[i], *y = &k->act[i];

		if (x->rule != y->rule || x->ports.n != y->ports.n ||
		    (x->ports.v != y->ports.v &&
		     memcmp(x->ports.v, y->ports.v,
			    y->ports.n * sizeof(*y->ports.v))))
			return false;
	}
	return true;
}

static uint64_t memo_hash(const struct memo_key *k)
{
	uint64_t h = 0x6d656d6f;
	size_t i, j;

	if (k->nk) {
		h = mix(h, (uintptr_t)k->nk->ports);
		h = mix(h, (uintptr_t)k->nk->contrib);
		h = mix(h, k->nk->ncontrib);
	}
	for (i = 0; i < k->nact; i++) {
		const struct ivs *p = &k->act[i].ports;

		h = mix(h, (uint64_t)k->act[i].rule << 32 | p->n);
		for (j = 0; j < p->n; j++)
			h = mix(h, (uint64_t)p->v[j].lo << 32 | p->v[j].hi);
	}
	return h;
}

/* The fold at a prefix, remembered. */
static int fold_memo(struct fold *f, struct np_hashmap *memos,
		     struct np_rs_core *co, struct np_intern *in,
		     struct pbuf *pieces, struct pbuf *denied,
		     const struct memo_key *k, const struct memo **out)
{
	uint64_t h = memo_hash(k);
	struct memo *m;
	struct np_pset ps;
	struct ivs acc;
	int err;

	m = np__hashmap_get(memos, h, memo_eq, k);
	if (m) {
		*out = m;
		return 0;
	}
	err = fold_at(f, k->act, k->nact, k->nk, &acc, pieces, denied);
	if (!err)
		err = np__pset_from_ivs(f->a, &acc, &ps);
	if (err)
		return err;
	m = np__arena_zalloc(f->a, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->act = k->act;
	m->nact = k->nact;
	m->nk = k->nk;
	m->val = np__intern_pset(in, &ps);
	if (!m->val)
		return -ENOMEM;
	/* the key's, then every prefix's: who allowed and who denied */
	err = pieces_contrib(f->a, co, in, pieces, &m->ct);
	if (!err)
		err = pieces_join(denied, pieces);
	if (!err)
		err = pieces_contrib(f->a, co, in, denied, &m->vct);
	if (err)
		return err;
	m->nct = (uint32_t)pieces->n;
	m->nvct = (uint32_t)denied->n;
	if (np__hashmap_add(memos, h, m, 64))
		return -ENOMEM;
	*out = m;
	return 0;
}

/*
 * The rules' own entries at each prefix of the universe, by counting: own
 * (sorted by prefix, then rule) and where each prefix's run starts (start,
 * nu + 1 of them).
 */
static int own_entries(struct np_ctx *ctx, struct tier_cache *tc,
		       struct np_arena *a, const struct np_obj *pod, int dir,
		       const struct np_trule *tr, size_t n)
{
	size_t nu = tc->nuni[dir], i, k, m = 0;
	const struct rule_ents *e;
	uint32_t *st;
	struct act *v;
	struct ivs mine;
	int err;

	if (NP_GROW(tc->start, tc->startcap, nu + 2))
		return -ENOMEM;
	st = tc->start;
	memset(st, 0, (nu + 2) * sizeof(*st));
	for (i = 0; i < n; i++) {
		err = np__tier_rule_ents_get(ctx, tc, tr[i].r, dir, &e);
		if (err)
			return err;
		for (k = 0; k < e->n; k++)
			st[e->uidx[k] + 2]++;
		m += e->n;
	}
	/* st[u + 1]: where u's run starts, moved to its end as it fills */
	for (i = 1; i <= nu; i++)
		st[i + 1] += st[i];
	if (NP_GROW(tc->own, tc->owncap, m + 1))
		return -ENOMEM;
	v = tc->own;
	/* rule by rule: each prefix's run comes sorted by rule */
	for (i = 0; i < n; i++) {
		err = np__tier_rule_ents_get(ctx, tc, tr[i].r, dir, &e);
		/* ingress: the rule's ports, named ones on the pod */
		if (!err && !dir)
			err = np__tier_rule_ivs(a, tr[i].r, pod, &mine);
		if (err)
			return err;
		for (k = 0; k < e->n; k++) {
			struct act *x = &v[st[e->uidx[k] + 1]++];

			x->rule = i;
			x->ports = dir ? e->ports[k] : mine;
		}
	}
	/* now st[u] .. st[u + 1]: u's run */
	return 0;
}

/*
 * The walk's shortcut to a memo: the parent's memo, the prefix's own
 * entries (by content) and its nearest NP key (by content).
 */
struct link {
	const struct memo *par;
	const struct act *own;
	size_t nown;
	const struct np_rs_key *nk;
	const struct memo *m;
};

/* By pointer: the own entries' ports are the rules' (shared) arrays. */
static bool link_eq(const void *val, const void *key)
{
	const struct link *l = val, *k = key;
	size_t i;

	if (l->par != k->par || l->nown != k->nown || !nk_same(l->nk, k->nk))
		return false;
	for (i = 0; i < k->nown; i++)
		if (l->own[i].rule != k->own[i].rule ||
		    l->own[i].ports.v != k->own[i].ports.v ||
		    l->own[i].ports.n != k->own[i].ports.n)
			return false;
	return true;
}

static uint64_t link_hash(const struct link *k)
{
	uint64_t h = mix(0x6c696e6b, (uintptr_t)k->par);
	size_t i;

	if (k->nk) {
		h = mix(h, (uintptr_t)k->nk->ports);
		h = mix(h, (uintptr_t)k->nk->contrib);
	}
	for (i = 0; i < k->nown; i++) {
		h = mix(h, k->own[i].rule);
		h = mix(h, (uintptr_t)k->own[i].ports.v);
	}
	return h;
}

/* np__cidr_contains(), inline: the walk asks it twice a prefix. */
static inline bool contains(const struct np_cidr *outer,
			    const struct np_cidr *in)
{
	uint64_t x;
	unsigned int len = outer->len;

	if (outer->family != in->family || len > in->len)
		return false;
	if (!len)
		return true;
	x = np__be64(outer->addr) ^ np__be64(in->addr);
	if (len <= 64)
		return !(x >> (64 - len));
	if (x)
		return false;
	x = np__be64(outer->addr + 8) ^ np__be64(in->addr + 8);
	return !(x >> (128 - len));
}

static int key_ptr_cmp(const void *a, const void *b)
{
	const struct np_rs_key *const *x = a, *const *y = b;

	return cidr_sort_cmp(&(*x)->cidr, &(*y)->cidr);
}

/* k (n) sorted by prefix: the closure's keys usually come so already. */
void np__tier_key_ptr_sort(const struct np_rs_key **k, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (cidr_sort_cmp(&k[i - 1]->cidr, &k[i]->cidr) > 0)
			break;
	if (i < n)
		qsort(k, n, sizeof(*k), key_ptr_cmp);
}

/* A prefix on the walk's stack: what its descendants inherit. */
struct frame {
	const struct np_cidr *cidr;
	const struct memo *m;
	const struct np_pset *val;
	const struct act *act;
	size_t nact;
	const struct np_rs_key *nk; /* the nearest NP key, or NULL */
};

/*
 * The keys of direction dir of core co (a share: tier_cache shares), with
 * provenance as fold_new() lays it out (prov: rule_prov0, np_prov0,
 * def_prov of struct fold).
 */

/*
 * A direction's prefixes, sorted (a prefix before those it contains, /0 of
 * both families among them), and the rules' own entries at each: those of
 * uni[u] are own[start[u] .. start[u + 1]), sorted by rule.
 */
struct walk {
	const struct np_cidr *uni;
	size_t nu;
	const uint32_t *start;
	const struct act *own;
	/* the NP keys to walk, sorted; NULL: all of the core's */
	const struct np_rs_key *const *npk;
	size_t nnp;
};

/*
 * The keys and verdict keys of direction f->dir of core co: the prefixes
 * of w that have own entries (and the /0s) and the NP keys, walked in
 * order with a stack; each folds through the memo.
 */
static int fold_walk(struct fold *f, const struct walk *w,
		     struct np_rs_core *co, struct np_intern *in)
{
	struct pbuf pieces = { 0 }, denied = { 0 };
	struct np_hashmap memos = { 0 }, links = { 0 };
	struct frame stack[130];
	const struct np_rs_key **npk = NULL;
	struct np_rs_key *keys = NULL, *vkeys = NULL;
	const struct np_rs_core *np = f->np;
	struct np_arena *a = f->a;
	int dir = f->dir, err;
	size_t i, j, nkeys = 0, nvkeys = 0, sp = 0, ui = 0, ke = 0;
	size_t nu = w->nu, nnp = w->npk ? w->nnp : np->nkeys[dir], kcap;

	/*
	 * The prefixes: the universe's that have entries of these rules
	 * (and the /0s), and the NP keys', walked in order (a prefix before
	 * those it contains) with the NP keys in the same order.
	 */
	npk = np__arena_zalloc(a, (nnp + 1) * sizeof(*npk));
	kcap = 2 + nnp;
	for (i = 0; i < nu; i++)
		kcap += w->start[i + 1] != w->start[i];
	keys = np__arena_alloc(a, kcap * sizeof(*keys));
	vkeys = np__arena_alloc(a, kcap * sizeof(*vkeys));
	if (!npk || !keys || !vkeys)
		goto nomem;
	if (w->npk) {
		if (nnp)
			memcpy(npk, w->npk, nnp * sizeof(*npk));
	} else {
		for (j = 0; j < nnp; j++)
			npk[j] = &np->keys[dir][j];
		np__tier_key_ptr_sort(npk, nnp);
	}
	for (;;) {
		const struct np_cidr *pre;
		const struct frame *par;
		const struct memo *m;
		struct memo_key mk;
		struct link lk, *l;
		struct frame fr = { 0 };
		size_t o0 = 0, o1 = 0;
		uint64_t h;
		int c;

		/* the next prefix of either list */
		while (ui < nu && w->start[ui + 1] == w->start[ui] &&
		       w->uni[ui].len)
			ui++;
		if (ui == nu && ke == nnp)
			break;
		if (ui == nu)
			c = 1;
		else if (ke == nnp)
			c = -1;
		else
			c = cidr_sort_cmp(&w->uni[ui], &npk[ke]->cidr);
		pre = c <= 0 ? &w->uni[ui] : &npk[ke]->cidr;
		/* the nearest containing prefix: its value, else the miss */
		while (sp && !contains(stack[sp - 1].cidr, pre))
			sp--;
		par = sp ? &stack[sp - 1] : NULL;
		fr.cidr = pre;
		fr.nk = par ? par->nk : NULL;
		if (c <= 0) {
			o0 = w->start[ui];
			o1 = w->start[ui + 1];
			ui++;
		}
		if (c >= 0)
			fr.nk = npk[ke++];
		lk.par = par ? par->m : NULL;
		lk.own = w->own + o0;
		lk.nown = o1 - o0;
		lk.nk = fr.nk;
		h = link_hash(&lk);
		l = np__hashmap_get(&links, h, link_eq, &lk);
		if (l) {
			m = l->m;
		} else {
			err = act_merge(a, par ? par->act : NULL,
					par ? par->nact : 0, lk.own, lk.nown,
					&mk.act, &mk.nact);
			mk.nk = fr.nk;
			if (!err)
				err = fold_memo(f, &memos, co, in, &pieces,
						&denied, &mk, &m);
			l = err ? NULL : np__arena_alloc(a, sizeof(*l));
			if (!err && !l)
				err = -ENOMEM;
			if (!err) {
				*l = lk;
				l->m = m;
				err = np__hashmap_add(&links, h, l, 64);
			}
			if (err)
				goto out;
		}
		fr.m = m;
		fr.act = m->act;
		fr.nact = m->nact;
		fr.val = m->val;
		if (sp < sizeof(stack) / sizeof(stack[0]))
			stack[sp++] = fr;
		/* every prefix, with who allowed and who denied what */
		vkeys[nvkeys].cidr = *pre;
		vkeys[nvkeys].ports = NULL;
		vkeys[nvkeys].contrib = m->vct;
		vkeys[nvkeys].ncontrib = m->nvct;
		nvkeys++;
		/* equal to where a lookup falls back: no key */
		if (par ? par->val == fr.val || np__pset_eq(par->val, fr.val) :
			  !fr.val->all && !fr.val->n)
			continue;
		keys[nkeys].cidr = *pre;
		keys[nkeys].ports = fr.val;
		keys[nkeys].contrib = m->ct;
		keys[nkeys].ncontrib = m->nct;
		nkeys++;
	}
	/* the keys, exactly as many */
	co->keys[dir] =
		np__arena_alloc(&co->arena, (nkeys + 1) * sizeof(*keys));
	co->vkeys[dir] =
		np__arena_alloc(&co->arena, (nvkeys + 1) * sizeof(*vkeys));
	if (!co->keys[dir] || !co->vkeys[dir])
		goto nomem;
	if (nkeys)
		memcpy(co->keys[dir], keys, nkeys * sizeof(*keys));
	if (nvkeys)
		memcpy(co->vkeys[dir], vkeys, nvkeys * sizeof(*vkeys));
	keys = co->keys[dir];
	co->nkeys[dir] = nkeys;
	co->nvkeys[dir] = nvkeys;
	co->isolated[dir] = true;
	/* only /0 keys that allow everything: not isolated at all */
	for (i = 0; i < nkeys; i++)
		if (keys[i].cidr.len || !keys[i].ports->all)
			break;
	if (i == nkeys && nkeys == 2) {
		co->isolated[dir] = false;
		co->nkeys[dir] = 0;
	}
	err = 0;
	goto out;
nomem:
	err = -ENOMEM;
out:
	np__hashmap_release(&links);
	np__hashmap_release(&memos);
	free(pieces.v);
	free(denied.v);
	return err;
}

static void fold_init(struct fold *f, struct np_arena *a,
		      const struct np_frule *fr, size_t n,
		      const struct np_rs_core *np, int dir,
		      const uint32_t prov[3])
{
	memset(f, 0, sizeof(*f));
	f->a = a;
	f->tr = fr;
	f->n = n;
	for (f->nadmin = 0; f->nadmin < n; f->nadmin++)
		if (fr[f->nadmin].tier != NP_CNP_TIER_ADMIN)
			break;
	f->np = np;
	f->dir = dir;
	f->rule_prov0 = prov[0];
	f->np_prov0 = prov[1];
	f->def_prov = prov[2];
}

/*
 * The universe of direction dir and the own entries of the rules tr (n of
 * them) of pod, in tc (own, start) for the walk and for np_relevant().
 */
int np__tier_fold_prep(struct np_ctx *ctx, struct tier_cache *tc,
		       const struct np_obj *pod, int dir,
		       const struct np_trule *tr, size_t n, struct np_arena *a)
{
	int err = np__tier_universe(ctx, tc, dir);

	return err ? err : own_entries(ctx, tc, a, pod, dir, tr, n);
}

/*
 * The keys of direction dir of core co (a share: tier_cache shares) from
 * the cluster policies' rules fr as np__tier_fold_prep() placed them, and
 * the NP keys npk (nnp, sorted), with provenance as prov_layout() lays it
 * out (prov: rule_prov0, np_prov0, def_prov of struct fold).
 */
int np__tier_fold_dir(struct tier_cache *tc, const struct np_rs_core *np,
		      int dir, const struct np_frule *fr, size_t n,
		      const uint32_t prov[3],
		      const struct np_rs_key *const *npk, size_t nnp,
		      struct np_rs_core *co, struct np_intern *in,
		      struct np_arena *a)
{
	struct fold f;
	struct walk w;

	w.uni = tc->uni[dir];
	w.nu = tc->nuni[dir];
	w.start = tc->start;
	w.own = tc->own;
	w.npk = npk;
	w.nnp = nnp;
	fold_init(&f, a, fr, n, np, dir, prov);
	return fold_walk(&f, &w, co, in);
}

/* --- where the Admin tier decides everything ---------------------------- */

/*
 * Whether the Admin rules acts (nact, sorted by rule; the first nadmin
 * rules of fr are Admin) decide every protocol and port at a prefix:
 * then nothing reaches the NetworkPolicy step there (fold_at()).
 */
static int admin_decides(struct np_arena *a, const struct np_frule *fr,
			 size_t nadmin, const struct act *act, size_t nact,
			 bool *out)
{
	struct ivs u = full_ivs, m;
	size_t j;
	int err;

	*out = false;
	for (j = 0; j < nact && act[j].rule < nadmin && u.n; j++) {
		err = np__ivs_and(a, &u, &act[j].ports, &m);
		if (err)
			return err;
		if (!m.n)
			continue;
		if (fr[act[j].rule].action == NP_CNP_PASS)
			return 0;
		err = np__ivs_sub(a, &u, &m, &u);
		if (err)
			return err;
	}
	*out = !u.n;
	return 0;
}

/*
 * dec[u] (nu + 1 bytes): 1 when the Admin rules of fr (n, placed by
 * np__tier_fold_prep()) decide everything at the universe's prefix u and
 * at each prefix of the walk inside it. Prefixes come before those they
 * contain; a frame leaving the stack passes an undecided subtree up.
 */
int np__tier_admin_decided(struct tier_cache *tc, int dir,
			   const struct np_frule *fr, size_t n,
			   struct np_arena *a, uint8_t *dec)
{
	struct dframe {
		size_t u;
		const struct act *act;
		size_t nact;
	} stack[130];
	const struct np_cidr *uni = tc->uni[dir];
	const uint32_t *st = tc->start;
	size_t nu = tc->nuni[dir], nadmin, sp = 0, i;
	int err;

	for (nadmin = 0; nadmin < n; nadmin++)
		if (fr[nadmin].tier != NP_CNP_TIER_ADMIN)
			break;
	for (i = 0; nadmin && i <= nu; i++) {
		const struct act *act = NULL;
		size_t nact = 0;
		bool d;

		if (i < nu && st[i + 1] == st[i] && uni[i].len)
			continue;
		while (sp &&
		       (i == nu || !contains(&uni[stack[sp - 1].u], &uni[i]))) {
			sp--;
			if (sp && !dec[stack[sp].u])
				dec[stack[sp - 1].u] = 0;
		}
		if (i == nu)
			break;
		err = act_merge(a, sp ? stack[sp - 1].act : NULL,
				sp ? stack[sp - 1].nact : 0, tc->own + st[i],
				st[i + 1] - st[i], &act, &nact);
		if (!err)
			err = admin_decides(a, fr, nadmin, act, nact, &d);
		if (err)
			return err;
		dec[i] = d;
		if (sp == sizeof(stack) / sizeof(stack[0])) {
			/* deeper than any prefix: keep every key */
			memset(dec, 0, nu);
			break;
		}
		stack[sp].u = i;
		stack[sp].act = act;
		stack[sp].nact = nact;
		sp++;
	}
	return 0;
}

/* --- another source: a universe of its own ------------------------------ */

/* An entry of rule `rule` (at: its index there) while the universe sorts. */
struct uent {
	struct np_cidr cidr;
	uint32_t rule, at;
};

static int uent_rule_cmp(const void *a, const void *b)
{
	const struct uent *x = a, *y = b;
	int r = cidr_sort_cmp(&x->cidr, &y->cidr);

	if (r)
		return r;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/*
 * The same from a source's entries (ClusterPolicyEndpoints): its own
 * universe, sorted here.
 */
int np__tier_fold_dir_src(const struct np_fsrc *src,
			  const struct np_rs_core *np, int dir,
			  const uint32_t prov[3], struct np_rs_core *co,
			  struct np_intern *in, struct np_arena *a)
{
	struct np_cidr *uni;
	struct uent *v;
	struct act *own;
	uint32_t *start;
	struct fold f;
	struct walk w;
	size_t i, m = src->ne, k, o = 0;

	v = np__arena_alloc(a, (m + 2) * sizeof(*v));
	uni = np__arena_alloc(a, (m + 2) * sizeof(*uni));
	start = np__arena_alloc(a, (m + 3) * sizeof(*start));
	own = np__arena_alloc(a, (m + 1) * sizeof(*own));
	if (!v || !uni || !start || !own)
		return -ENOMEM;
	for (i = 0; i < m; i++) {
		v[i].cidr = src->e[i].cidr;
		v[i].rule = (uint32_t)src->e[i].rule;
		v[i].at = (uint32_t)i;
	}
	memset(v + m, 0, 2 * sizeof(*v));
	v[m].cidr.family = 4;
	v[m++].rule = UINT32_MAX;
	v[m].cidr.family = 6;
	v[m++].rule = UINT32_MAX;
	qsort(v, m, sizeof(*v), uent_rule_cmp);
	for (i = k = 0; i < m; i++) {
		const struct np_tent *t;

		if (!k || cidr_sort_cmp(&uni[k - 1], &v[i].cidr)) {
			start[k] = (uint32_t)o;
			uni[k++] = v[i].cidr;
		}
		if (v[i].rule == UINT32_MAX)
			continue;
		t = &src->e[v[i].at];
		own[o].rule = t->rule;
		own[o].ports.v = (struct np_tiv *)t->iv;
		own[o].ports.n = t->niv;
		o++;
	}
	start[k] = (uint32_t)o;
	w.uni = uni;
	w.nu = k;
	w.start = start;
	w.own = own;
	w.npk = NULL;
	w.nnp = 0;
	fold_init(&f, a, src->r, src->n, np, dir, prov);
	return fold_walk(&f, &w, co, in);
}
