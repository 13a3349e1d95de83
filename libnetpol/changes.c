// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Change sets: which pods' rule sets changed since the caller last asked,
 * each with its map diff, without compiling the pods no change can reach.
 *
 * The tracker (changes_track.c) watches the snapshot and marks what each
 * change can affect: pods, NetworkPolicies whose selected pods are looked
 * at when the caller asks, or every pod. np_cluster_changes() compiles the
 * marked pods and reports those whose rule-set hash differs from the one
 * it reported last (kept per pod, with a reference to the core, for the
 * diff).
 *
 * Endpoints (np_changes_opts.endpoints), their records and their changes:
 * changes_ep.c.
 */
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "netpol/mapset.h"
#include "changes_internal.h"
#include "mapset.h"
#include "opts.h"
#include "ruleset_internal.h"

/* --- change sets -------------------------------------------------------- */

size_t np__changes_compiled(const struct np_changes *ch)
{
	return ch->compiled;
}

size_t np__changes_cpes_built(const struct np_changes *ch)
{
	return ch->cpes_built;
}

void np_changes_free(struct np_changes *ch)
{
	size_t i;

	if (!ch)
		return;
	for (i = 0; i < ch->n; i++) {
		struct change *x = &ch->v[i];

		np_ruleset_free(x->rs);
		np__core_put(x->old);
		free(x->key);
	}
	free(ch->v);
	for (i = 0; i < ch->nev; i++) {
		free(ch->ev[i].ns);
		free(ch->ev[i].name);
		free(ch->ev[i].policy);
		free(ch->ev[i].text[0]);
		free(ch->ev[i].text[1]);
	}
	free(ch->ev);
	for (i = 0; i < ch->npend; i++) {
		free(ch->pend[i].key);
		np__pe_rec_free(ch->pend[i].rec);
	}
	free(ch->pend);
	np__cpe_recs_free(ch->cpend, ch->ncpend);
	free(ch);
}

size_t np_changes_count(const struct np_changes *ch)
{
	return ch ? ch->n : 0;
}

int np_changes_get(const struct np_changes *ch, size_t i, struct np_change *out)
{
	if (!ch || !out)
		return -EINVAL;
	if (i >= ch->n)
		return -ENOENT;
	*out = ch->v[i].c;
	return 0;
}

const struct np_ruleset *np_changes_ruleset(const struct np_changes *ch,
					    size_t i)
{
	return ch && i < ch->n ? ch->v[i].rs : NULL;
}

/* The map contents of a core (the pod's identity does not enter them). */
static int encode_core(struct np_rs_core *co, struct np_mapset **out)
{
	struct np_ruleset rs;

	*out = NULL;
	if (!co)
		return 0;
	memset(&rs, 0, sizeof(rs));
	rs.core = co;
	rs.ns = rs.name = "";
	return np_mapset_encode(out, &rs);
}

int np_changes_mapset(struct np_mapset **out, const struct np_changes *ch,
		      size_t i, bool before)
{
	const struct change *x;

	if (!out || !ch)
		return -EINVAL;
	*out = NULL;
	if (i >= ch->n)
		return -ENOENT;
	x = &ch->v[i];
	return encode_core(before ? x->old : x->rs ? x->rs->core : NULL, out);
}

static int entry_cmp(const struct np_map_entry *x, const struct np_map_entry *y)
{
	int r = memcmp(x->cidr.addr, y->cidr.addr, sizeof(x->cidr.addr));

	if (r)
		return r;
	return x->cidr.len < y->cidr.len ? -1 : x->cidr.len > y->cidr.len;
}

/*
 * Walk the entries of a and b (either NULL: empty) as np_mapset_diff()
 * does: count into x, and print into sb when it is not NULL.
 */
static void map_diff(const struct np_mapset *a, const struct np_mapset *b,
		     struct np_change *x, struct np_strbuf *sb)
{
	char buf[64];
	int d, f;

	for (d = 0; d < 2; d++) {
		x->old_isolated[d] = a && a->isolated[d];
		x->new_isolated[d] = b && b->isolated[d];
		for (f = 0; f < 2; f++) {
			const struct np_map_entry *u = a ? a->ent[f][d] : NULL;
			const struct np_map_entry *v = b ? b->ent[f][d] : NULL;
			size_t nu = a ? a->nent[f][d] : 0;
			size_t nv = b ? b->nent[f][d] : 0, i = 0, j = 0;

			x->added[d][f] = x->changed[d][f] = 0;
			x->removed[d][f] = 0;
			while (i < nu || j < nv) {
				int r = i == nu ? 1 :
					j == nv ? -1 :
						  entry_cmp(&u[i], &v[j]);
				const struct np_cidr *k = NULL;
				char op = 0;

				if (r < 0) {
					x->removed[d][f]++;
					op = '-';
					k = &u[i++].cidr;
				} else if (r > 0) {
					x->added[d][f]++;
					op = '+';
					k = &v[j++].cidr;
				} else {
					if (memcmp(&a->portsets[u[i].portset],
						   &b->portsets[v[j].portset],
						   sizeof(*a->portsets))) {
						x->changed[d][f]++;
						op = '~';
						k = &u[i].cidr;
					}
					i++;
					j++;
				}
				if (!sb || !k)
					continue;
				np__cidr_format(k, buf, sizeof(buf));
				np__sb_printf(sb, "%c %s %s\n", op,
					      np_direction_name(d), buf);
			}
		}
	}
}

int np_changes_diff(const struct np_changes *ch, size_t i, char **text)
{
	struct np_strbuf sb = { 0 };
	struct np_change x;
	struct np_mapset *ms[2] = { NULL, NULL };
	const struct change *c;
	int d, err;

	if (!ch || !text)
		return -EINVAL;
	if (i >= ch->n)
		return -ENOENT;
	c = &ch->v[i];
	err = np_changes_mapset(&ms[0], ch, i, true);
	if (!err)
		err = np_changes_mapset(&ms[1], ch, i, false);
	if (err)
		goto out;
	memset(&x, 0, sizeof(x));
	for (d = 0; d < 2; d++)
		if (c->c.old_isolated[d] != c->c.new_isolated[d])
			np__sb_printf(&sb, "isolated %s %s\n",
				      np_direction_name(d),
				      c->c.new_isolated[d] ? "true" : "false");
	map_diff(ms[0], ms[1], &x, &sb);
	if (!sb.buf && !sb.err)
		np__sb_puts(&sb, "");
	err = np__sb_finish(&sb, text);
out:
	np_mapset_free(ms[0]);
	np_mapset_free(ms[1]);
	return err;
}

/*
 * A key's port set as the map set holds it (mapset.c's encoding): two
 * keys are one map entry's change when these differ.
 */
static void ps_encode(const struct np_pset *s, struct np_portset *ps)
{
	size_t i;

	memset(ps, 0, sizeof(*ps));
	if (s->all) {
		ps->flags = NP_PS_ALL;
		return;
	}
	ps->count = (uint8_t)NP_MIN(s->n, (size_t)NP_MAX_SLOTS);
	for (i = 0; i < ps->count; i++) {
		ps->slots[i].lo = (uint32_t)s->r[i].proto << 16 | s->r[i].lo;
		ps->slots[i].hi = (uint32_t)(s->r[i].proto + s->r[i].xproto)
					  << 16 |
				  s->r[i].hi;
	}
}

static int key_cmp(const struct np_rs_key *x, const struct np_rs_key *y)
{
	int r = memcmp(x->cidr.addr, y->cidr.addr, sizeof(x->cidr.addr));

	if (r)
		return r;
	return x->cidr.len < y->cidr.len ? -1 : x->cidr.len > y->cidr.len;
}

/*
 * The map diff's counts from the cores themselves (no map set built): the
 * entries of a direction are the keys of its family when it is isolated,
 * in the same order (family, address, length).
 */
static void core_diff(const struct np_rs_core *a, const struct np_rs_core *b,
		      struct np_change *x)
{
	struct np_portset pa, pb;
	int d, f;

	for (d = 0; d < 2; d++) {
		const struct np_rs_key *u = a && a->isolated[d] ? a->keys[d] :
								  NULL;
		const struct np_rs_key *v = b && b->isolated[d] ? b->keys[d] :
								  NULL;
		size_t nu = u ? a->nkeys[d] : 0, nv = v ? b->nkeys[d] : 0;

		x->old_isolated[d] = a && a->isolated[d];
		x->new_isolated[d] = b && b->isolated[d];
		for (f = 0; f < 2; f++) {
			uint8_t fam = f ? 6 : 4;
			size_t i = 0, j = 0;

			x->added[d][f] = x->changed[d][f] = 0;
			x->removed[d][f] = 0;
			for (;;) {
				int r;

				while (i < nu && u[i].cidr.family != fam)
					i++;
				while (j < nv && v[j].cidr.family != fam)
					j++;
				if (i == nu && j == nv)
					break;
				r = i == nu ? 1 :
				    j == nv ? -1 :
					      key_cmp(&u[i], &v[j]);
				if (r < 0) {
					x->removed[d][f]++;
					i++;
				} else if (r > 0) {
					x->added[d][f]++;
					j++;
				} else {
					ps_encode(u[i].ports, &pa);
					ps_encode(v[j].ports, &pb);
					if (memcmp(&pa, &pb, sizeof(pa)))
						x->changed[d][f]++;
					i++;
					j++;
				}
			}
		}
	}
}

static int cset_add(struct np_changes *ch, struct pkey *key,
		    enum np_change_kind kind, struct np_ruleset *rs, int err,
		    const struct base *b)
{
	struct change *x;

	if (NP_GROW(ch->v, ch->cap, ch->n + 1))
		return -ENOMEM;
	x = &ch->v[ch->n++];
	memset(x, 0, sizeof(*x));
	x->key = key;
	x->rs = rs;
	x->c.ns = np__pkey_ns(key);
	x->c.name = np__pkey_name(key);
	x->c.kind = kind;
	x->c.err = err;
	x->c.new_hash = rs ? np_ruleset_hash(rs) : 0;
	if (b) {
		x->c.old_hash = b->hash;
		x->old = np__core_ref(b->core);
	}
	return 0;
}

/*
 * Compile pod ns/name and add it to ch when its hash differs from what
 * was reported; key is consumed.
 */
static int look_at(struct np_cluster *c, struct tracker *t,
		   struct np_changes *ch, struct pkey *key,
		   const struct np_compile_opts *co, struct np_diag *diag)
{
	const struct base *b =
		np__kset_get(&t->base, np__pkey_ns(key), np__pkey_name(key));
	struct np_ruleset *rs = NULL;
	struct np_diag local;
	int err;

	if (!np__cluster_find(c, NP_KIND_POD, np__pkey_ns(key),
			      np__pkey_name(key))) {
		if (!b) {
			free(key);
			return 0;
		}
		err = cset_add(ch, key, NP_CHANGE_REMOVED, NULL, 0, b);
		goto out;
	}
	ch->compiled++;
	err = np_ruleset_compile(&rs, c, np__pkey_ns(key), np__pkey_name(key),
				 co, &local);
	if (err == -ENOMEM || err == -EINVAL) {
		if (diag)
			*diag = local;
		free(key);
		return err;
	}
	if (b && (err ? 0 : np_ruleset_hash(rs)) == b->hash) {
		np_ruleset_free(rs);
		free(key);
		return 0;
	}
	err = cset_add(ch, key, b ? NP_CHANGE_CHANGED : NP_CHANGE_ADDED, rs,
		       err, b);
	if (!err)
		rs = NULL;
out:
	if (err) {
		np_ruleset_free(rs);
		free(key);
	}
	return err;
}

static int look_at_name(struct np_cluster *c, struct tracker *t,
			struct np_changes *ch, struct np_hashmap *seen,
			const char *ns, const char *name,
			const struct np_compile_opts *co, struct np_diag *diag)
{
	struct pkey *key;
	int err;

	if (np__kset_get(seen, ns, name))
		return 0;
	err = np__kset_mark(seen, ns, name);
	if (err)
		return err;
	key = np__pkey_new(ns, name);
	if (!key)
		return -ENOMEM;
	return look_at(c, t, ch, key, co, diag);
}

static int change_cmp(const void *a, const void *b)
{
	const struct change *x = a, *y = b;
	int r = strcmp(x->c.ns, y->c.ns);

	return r ? r : strcmp(x->c.name, y->c.name);
}

/* What the tracker asks to look at, each pod once, into ch. */
static int collect(struct np_cluster *c, struct tracker *t,
		   struct np_changes *ch, const struct np_compile_opts *co,
		   struct np_diag *diag)
{
	struct np_hashmap seen = { 0 };
	const struct np_obj *o;
	struct np_ctx *ctx;
	struct ns_pods it;
	size_t i;
	int err = 0;

	/*
	 * Up to date now, so that the compiles below keep it: ns_pods
	 * walks its groups (without one, every pod).
	 */
	(void)np__ctx_get(c, &ctx);
	if (t->all || t->failed) {
		for (i = 0; (o = np__next_obj(c, NP_KIND_POD, &i));)
			if (!err)
				err = look_at_name(c, t, ch, &seen, o->meta.ns,
						   o->meta.name, co, diag);
		for (i = 0; !err && i < t->base.cap; i++) {
			const struct base *b = t->base.slots[i].val;

			if (b)
				err = look_at_name(c, t, ch, &seen,
						   np__pkey_ns(b->key),
						   np__pkey_name(b->key), co,
						   diag);
		}
		goto out;
	}
	for (i = 0; !err && i < t->pods.cap; i++) {
		const struct mark *m = t->pods.slots[i].val;

		if (m)
			err = look_at_name(c, t, ch, &seen, np__pkey_ns(m->key),
					   np__pkey_name(m->key), co, diag);
	}
	for (i = 0; !err && i < t->pols.cap; i++) {
		const struct mark *m = t->pols.slots[i].val;
		const struct np_obj *pol;

		if (!m)
			continue;
		pol = np__cluster_find(c, NP_KIND_NETWORK_POLICY,
				       np__pkey_ns(m->key),
				       np__pkey_name(m->key));
		if (!pol)
			continue;
		np__ns_pods_init(&it, c, pol->meta.ns);
		while (!err && (o = np__ns_pods_next(&it)))
			if (np__selector_matches(&pol->np.pod_sel,
						 &o->meta.labels))
				err = look_at_name(c, t, ch, &seen, o->meta.ns,
						   o->meta.name, co, diag);
	}
out:
	np__kset_clear(&seen);
	return err;
}

/* The change set becomes what was reported last. */
static int commit(struct tracker *t, struct np_changes *ch)
{
	size_t i, k;

	/* room first: nothing below fails half way */
	if (np__hashmap_reserve(&t->base, t->base.n + ch->n, 64))
		return -ENOMEM;
	for (i = 0; i < ch->n; i++) {
		const struct change *x = &ch->v[i];
		struct pkey_probe pk = { x->c.ns, x->c.name };
		struct base *b;

		k = np__hashmap_probe(&t->base, x->key->h, np__pkey_eq, &pk);
		b = t->base.slots[k].val;
		if (x->c.kind == NP_CHANGE_REMOVED) {
			if (b) {
				np__core_put(b->core);
				free(b->key);
				free(b);
				np__hashmap_remove_at(&t->base, k);
			}
			continue;
		}
		if (!b) {
			b = calloc(1, sizeof(*b));
			if (b)
				b->key = np__pkey_new(x->c.ns, x->c.name);
			if (!b || !b->key) {
				free(b);
				/* forgotten: reported as added next time */
				continue;
			}
			np__hashmap_fill(&t->base, k, x->key->h, b);
		}
		np__core_put(b->core);
		b->core = x->rs ? np__core_ref(x->rs->core) : NULL;
		b->hash = x->c.new_hash;
	}
	np__kset_clear(&t->pods);
	np__kset_clear(&t->pols);
	t->all = t->failed = false;
	return 0;
}

static const struct np_cluster_hooks *watch_of(struct np_cluster *c)
{
	return c->watch;
}

static int changes_locked(struct np_cluster *c,
			  const struct np_changes_opts *opts,
			  struct np_changes **out, struct np_diag *diag)
{
	struct np_compile_opts co = { .sz = sizeof(co) };
	struct np_changes *ch;
	struct tracker *t;
	struct np_ctx *ctx;
	size_t i;
	bool eps;
	int err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!c || !out)
		return -EINVAL;
	err = NP_OPTS_CHECK(opts, np_changes_opts, diag);
	if (err)
		return err;
	co.source = NP_OPTS_GET(opts, source, NP_SOURCE_POLICIES);
	eps = NP_OPTS_GET(opts, endpoints, false);
	if ((co.source != NP_SOURCE_POLICIES &&
	     co.source != NP_SOURCE_ENDPOINTS) ||
	    (eps && co.source != NP_SOURCE_POLICIES))
		return -EINVAL;
	if (watch_of(c) != &np__tracker_hooks) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		t->all = true;
		t->source = co.source;
		np__cluster_set_watch(c, &np__tracker_hooks, t);
	}
	t = c->watch_ctx;
	if (t->source != co.source) {
		t->source = co.source;
		t->all = true;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	err = collect(c, t, ch, &co, diag);
	if (!err && eps)
		err = np__ep_collect(c, t, ch, diag);
	if (err)
		goto fail;
	if (ch->n)
		qsort(ch->v, ch->n, sizeof(*ch->v), change_cmp);
	for (i = 0; i < ch->n; i++) {
		struct change *x = &ch->v[i];

		core_diff(x->old, x->rs ? x->rs->core : NULL, &x->c);
	}
	/* room in both tables first: the commits below cannot fail */
	err = -ENOMEM;
	if (np__hashmap_reserve(&t->base, t->base.n + ch->n, 64) ||
	    np__hashmap_reserve(&t->eps, t->eps.n + ch->npend, 64))
		goto fail;
	(void)commit(t, ch);
	if (eps) {
		(void)np__ep_commit(t, ch);
		t->ep_on = true;
	} else {
		np__ep_forget(t);
	}
	np__kset_clear(&t->epols);
	t->ep_all = t->cpe_dirty = false;
	/* from now on the context tells what it drops */
	ctx = np__ctx_peek(c);
	if (ctx) {
		ctx->on_invalidate = np__tracker_invalidated;
		ctx->invalidate_arg = t;
	}
	*out = ch;
	return 0;
fail:
	if (diag && !diag->err) {
		diag->err = err;
		snprintf(diag->message, sizeof(diag->message), "change set: %s",
			 np_strerror(err));
	}
	np_changes_free(ch);
	return err;
}

int np_cluster_changes(struct np_cluster *c, const struct np_changes_opts *opts,
		       struct np_changes **out, struct np_diag *diag)
{
	int err;

	np__cluster_lock(c);
	err = changes_locked(c, opts, out, diag);
	np__cluster_unlock(c);
	return np__diag_fail(diag, err);
}

void np_cluster_trim(struct np_cluster *c)
{
	if (!c)
		return;
	np__cluster_lock(c);
	np__ctx_drop(c);
	np__cluster_unlock(c);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}
