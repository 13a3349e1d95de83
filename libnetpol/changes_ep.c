// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The endpoints of change sets (changes.c): which PolicyEndpoints and
 * ClusterPolicyEndpoints changed since the caller last asked, each with
 * its new object as YAML and JSON, and the records of what was reported.
 *
 * Endpoints (np_changes_opts.endpoints): the PolicyEndpoints of the
 * policies marked, against a record per policy; the ClusterPolicyEndpoints
 * all resolved again (np__cluster_cpes()) when an event that can reach
 * them came (cpe_event(), changes_track.c), against one record of names
 * and content hashes.
 */
#include <stdlib.h>

#include "changes_internal.h"
#include "tier.h"

/* --- PolicyEndpoints ---------------------------------------------------- */

size_t np_changes_endpoints_count(const struct np_changes *ch)
{
	return ch ? ch->nev : 0;
}

int np_changes_endpoint(const struct np_changes *ch, size_t i,
			struct np_endpoint_change *out)
{
	if (!ch || !out)
		return -EINVAL;
	if (i >= ch->nev)
		return -ENOENT;
	*out = ch->ev[i].c;
	return 0;
}

int np_changes_endpoint_export(const struct np_changes *ch, size_t i,
			       enum np_format format, char **out)
{
	const char *t;

	if (!ch || !out ||
	    (format != NP_FORMAT_YAML && format != NP_FORMAT_JSON))
		return -EINVAL;
	if (i >= ch->nev || !ch->ev[i].text[0])
		return -ENOENT;
	t = ch->ev[i].text[format == NP_FORMAT_JSON];
	*out = strdup(t);
	return *out ? 0 : -ENOMEM;
}

/* A change of an endpoint object of kind okind; yaml and json consumed. */
static int ep_add(struct np_changes *ch, enum np_kind okind, const char *ns,
		  const char *name, const char *policy,
		  enum np_change_kind kind, uint64_t old, uint64_t new_,
		  char *yaml, char *json)
{
	struct ep_change *e;

	if (NP_GROW(ch->ev, ch->evcap, ch->nev + 1))
		goto nomem;
	e = &ch->ev[ch->nev];
	memset(e, 0, sizeof(*e));
	e->ns = strdup(ns);
	e->name = strdup(name);
	e->policy = strdup(policy);
	if (!e->ns || !e->name || !e->policy) {
		free(e->ns);
		free(e->name);
		free(e->policy);
		goto nomem;
	}
	e->text[0] = yaml;
	e->text[1] = json;
	e->c.ns = e->ns;
	e->c.name = e->name;
	e->c.policy = e->policy;
	e->c.kind = kind;
	e->c.object_kind = okind;
	e->c.old_hash = old;
	e->c.new_hash = new_;
	ch->nev++;
	return 0;
nomem:
	free(yaml);
	free(json);
	return -ENOMEM;
}

/*
 * The content hash of endpoint object o (of its JSON, never 0) into *h;
 * when it differs from was, its YAML and JSON too (freed with np_free()),
 * else NULL.
 */
static int ep_texts(const struct np_obj *o, uint64_t was, uint64_t *h,
		    char **yaml, char **json)
{
	struct np_arena a = { 0 };
	struct np_node *node = np__obj_to_node(&a, o);
	int err;

	*yaml = *json = NULL;
	err = node ? np__emit_string(node, NP_FORMAT_JSON, json) : -ENOMEM;
	if (!err) {
		*h = np__hash_str(*json, 0x7065) | 1;
		if (*h != was)
			err = np__emit_string(node, NP_FORMAT_YAML, yaml);
	}
	np__arena_release(&a);
	if (err || *h == was) {
		np_free(*json);
		*json = NULL;
	}
	return err;
}

static int pend_add(struct np_changes *ch, const char *ns, const char *name,
		    struct pe_rec *rec)
{
	struct pkey *k = np__pkey_new(ns, name);

	if (!k || NP_GROW(ch->pend, ch->pendcap, ch->npend + 1)) {
		free(k);
		np__pe_rec_free(rec);
		return -ENOMEM;
	}
	ch->pend[ch->npend].key = k;
	ch->pend[ch->npend++].rec = rec;
	return 0;
}

/* Policy ns/name's PolicyEndpoints against what was reported of them. */
static int ep_policy(struct np_cluster *c, struct tracker *t,
		     struct np_changes *ch, const char *ns, const char *name,
		     struct np_diag *diag)
{
	const struct pe_rec *old = np__kset_get(&t->eps, ns, name);
	struct pe_rec *rec = NULL;
	struct np_ctx *ctx;
	size_t i, j, pi;
	int err;

	err = np__ctx_get(c, &ctx);
	if (err)
		return err;
	pi = np__ctx_pol_index(ctx, ns, name);
	if (pi != SIZE_MAX) {
		err = np__resolve_policy(ctx, pi, diag);
		if (err)
			return err;
		rec = calloc(1, sizeof(*rec));
		if (!rec)
			return -ENOMEM;
		rec->names = calloc(ctx->npe_of[pi] + 1, sizeof(*rec->names));
		rec->hash = calloc(ctx->npe_of[pi] + 1, sizeof(*rec->hash));
		if (!rec->names || !rec->hash)
			goto nomem;
		for (i = 0; i < ctx->npe_of[pi]; i++) {
			const struct np_obj *pe = ctx->pe_of[pi][i];
			char *json, *yaml;
			uint64_t h, was = 0;

			rec->names[i] = strdup(pe->meta.name);
			if (!rec->names[i])
				goto nomem;
			rec->n++;
			for (j = 0; old && j < old->n; j++)
				if (!strcmp(old->names[j], pe->meta.name))
					was = old->hash[j];
			err = ep_texts(pe, was, &h, &yaml, &json);
			if (err)
				goto fail;
			rec->hash[i] = h;
			if (!json)
				continue;
			err = ep_add(ch, NP_KIND_POLICY_ENDPOINT, ns,
				     pe->meta.name, name,
				     was ? NP_CHANGE_CHANGED : NP_CHANGE_ADDED,
				     was, h, yaml, json);
			if (err)
				goto fail;
		}
	}
	for (j = 0; old && j < old->n; j++) {
		for (i = 0; rec && i < rec->n; i++)
			if (!strcmp(old->names[j], rec->names[i]))
				break;
		if (rec && i < rec->n)
			continue;
		err = ep_add(ch, NP_KIND_POLICY_ENDPOINT, ns, old->names[j],
			     name, NP_CHANGE_REMOVED, old->hash[j], 0, NULL,
			     NULL);
		if (err)
			goto fail;
	}
	return pend_add(ch, ns, name, rec);
nomem:
	err = -ENOMEM;
fail:
	np__pe_rec_free(rec);
	return err;
}

/* --- ClusterPolicyEndpoints --------------------------------------------- */

static int cpe_rec_cmp(const void *a, const void *b)
{
	const struct cpe_rec *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : strcmp(x->policy, y->policy);
}

/* The record of ClusterPolicyEndpoint name in v[0..n) (sorted), or NULL. */
static const struct cpe_rec *cpe_find(const struct cpe_rec *v, size_t n,
				      const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(v[mid].name, name);

		if (!r)
			return &v[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct cpe_walk {
	const struct tracker *t;
	struct np_changes *ch;
};

/* np__cpe_fn: one ClusterPolicyEndpoint against what was reported of it. */
static int cpe_one(void *arg, struct np_arena *a, const struct np_obj *cpe)
{
	const struct cpe_walk *w = arg;
	struct np_changes *ch = w->ch;
	const struct cpe_rec *old =
		w->t->ep_on ?
			cpe_find(w->t->cpes, w->t->ncpes, cpe->meta.name) :
			NULL;
	uint64_t was = old ? old->hash : 0;
	struct cpe_rec *r;
	char *yaml, *json;
	int err;

	(void)a;
	ch->cpes_built++;
	if (NP_GROW(ch->cpend, ch->cpendcap, ch->ncpend + 1))
		return -ENOMEM;
	r = &ch->cpend[ch->ncpend];
	r->name = strdup(cpe->meta.name);
	r->policy = strdup(cpe->cpe.ref_name);
	r->hash = 0;
	if (!r->name || !r->policy) {
		free(r->name);
		free(r->policy);
		return -ENOMEM;
	}
	ch->ncpend++;
	err = ep_texts(cpe, was, &r->hash, &yaml, &json);
	if (err || !json)
		return err;
	return ep_add(ch, NP_KIND_CLUSTER_POLICY_ENDPOINT, "", r->name,
		      r->policy, was ? NP_CHANGE_CHANGED : NP_CHANGE_ADDED, was,
		      r->hash, yaml, json);
}

/*
 * The ClusterPolicyEndpoints against what was reported of them, into ch
 * and its new table (committed by np__ep_commit()): all of them resolved
 * again, but only when an event since may have changed one (or nothing
 * was reported last time); cluster policies are few.
 */
static int cpe_collect(struct np_cluster *c, struct tracker *t,
		       struct np_changes *ch, struct np_diag *diag)
{
	struct cpe_walk w = { t, ch };
	struct np_arena a = { 0 };
	struct np_ctx *ctx;
	size_t i;
	int err = 0;

	if (t->ep_on && !t->cpe_dirty)
		return 0;
	ch->cpe_new = true;
	if (np__tier_any(c)) {
		err = np__ctx_get(c, &ctx);
		if (!err)
			err = np__cluster_cpes(c, ctx, &a, cpe_one, &w, diag);
		np__arena_release(&a);
	}
	if (!err && ch->ncpend)
		qsort(ch->cpend, ch->ncpend, sizeof(*ch->cpend), cpe_rec_cmp);
	for (i = 0; !err && t->ep_on && i < t->ncpes; i++) {
		const struct cpe_rec *o = &t->cpes[i];

		if (!cpe_find(ch->cpend, ch->ncpend, o->name))
			err = ep_add(ch, NP_KIND_CLUSTER_POLICY_ENDPOINT, "",
				     o->name, o->policy, NP_CHANGE_REMOVED,
				     o->hash, 0, NULL, NULL);
	}
	return err;
}

/* No record kept of the endpoints: the next call that asks starts over. */
void np__ep_forget(struct tracker *t)
{
	np__hashmap_release_each(&t->eps, np__pe_rec_free);
	np__cpe_recs_free(t->cpes, t->ncpes);
	t->cpes = NULL;
	t->ncpes = 0;
	t->ep_on = false;
}

static int ep_cmp(const void *a, const void *b)
{
	const struct ep_change *x = a, *y = b;
	int r = strcmp(x->ns, y->ns);

	return r ? r : strcmp(x->name, y->name);
}

/*
 * The PolicyEndpoints of the policies the tracker marked (or all), and
 * the ClusterPolicyEndpoints, sorted by namespace and name (theirs "").
 */
int np__ep_collect(struct np_cluster *c, struct tracker *t,
		   struct np_changes *ch, struct np_diag *diag)
{
	struct np_hashmap seen = { 0 };
	const struct np_obj *o;
	size_t i;
	int err = 0;

	if (!t->ep_on || t->ep_all) {
		for (i = 0;
		     !err && (o = np__next_obj(c, NP_KIND_NETWORK_POLICY, &i));)
			if (!np__kset_get(&seen, o->meta.ns, o->meta.name)) {
				err = np__kset_mark(&seen, o->meta.ns,
						    o->meta.name);
				if (!err)
					err = ep_policy(c, t, ch, o->meta.ns,
							o->meta.name, diag);
			}
		for (i = 0; !err && i < t->eps.cap; i++) {
			const struct pe_rec *r = t->eps.slots[i].val;

			if (r && !np__kset_get(&seen, np__pkey_ns(r->key),
					       np__pkey_name(r->key)))
				err = ep_policy(c, t, ch, np__pkey_ns(r->key),
						np__pkey_name(r->key), diag);
		}
	} else {
		for (i = 0; !err && i < t->epols.cap; i++) {
			const struct mark *m = t->epols.slots[i].val;

			if (m)
				err = ep_policy(c, t, ch, np__pkey_ns(m->key),
						np__pkey_name(m->key), diag);
		}
	}
	np__kset_clear(&seen);
	if (!err)
		err = cpe_collect(c, t, ch, diag);
	if (!err && ch->nev) /* qsort takes no NULL, even for 0 items */
		qsort(ch->ev, ch->nev, sizeof(*ch->ev), ep_cmp);
	return err;
}

/*
 * The records of the change set's policies (and ClusterPolicyEndpoints,
 * when resolved again) become the last reported.
 */
int np__ep_commit(struct tracker *t, struct np_changes *ch)
{
	size_t i, k;

	if (np__hashmap_reserve(&t->eps, t->eps.n + ch->npend, 64))
		return -ENOMEM;
	for (i = 0; i < ch->npend; i++) {
		struct pe_pending *p = &ch->pend[i];
		struct pkey_probe pk = { np__pkey_ns(p->key),
					 np__pkey_name(p->key) };

		k = np__hashmap_probe(&t->eps, p->key->h, np__pkey_eq, &pk);
		if (t->eps.slots[k].val) {
			np__pe_rec_free(t->eps.slots[k].val);
			np__hashmap_remove_at(&t->eps, k);
			k = np__hashmap_probe(&t->eps, p->key->h, np__pkey_eq,
					      &pk);
		}
		if (!p->rec)
			continue;
		p->rec->key = p->key;
		p->key = NULL;
		np__hashmap_fill(&t->eps, k, p->rec->key->h, p->rec);
		p->rec = NULL;
	}
	if (ch->cpe_new) {
		np__cpe_recs_free(t->cpes, t->ncpes);
		t->cpes = ch->cpend;
		t->ncpes = ch->ncpend;
		ch->cpend = NULL;
		ch->ncpend = ch->cpendcap = 0;
	}
	return 0;
}
