/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The resolution stage's context: the indexes over a snapshot (pods,
 * Services, policies and PolicyEndpoints sorted, pods grouped by
 * namespace) that the compiler builds once and then keeps in step with
 * every change of the snapshot, through the hooks it registers with it,
 * invalidating only what a change can affect.
 *
 * This file builds, drops and checks the context and applies each change
 * to it; resolve_idx.c has the pieces of its indexes (which pods count,
 * pods sharing an address, sorted arrays, namespace groups).
 */
#include <stdio.h>
#include <stdlib.h>

#include "resolve.h"

/* --- the context: indexes over the snapshot ----------------------------- */

/* A peer slot's arrays (the slot is in the context's arena). */
static void peer_slot_arrays_free(void *p)
{
	struct np_peer_slot *ps = p;

	free(ps->pods);
	free(ps->by_ip);
}

static void ctx_free(struct np_ctx *ctx)
{
	size_t i, j;

	if (!ctx)
		return;
	for (i = 0; ctx->pe_of && i < ctx->npols; i++) {
		for (j = 0; ctx->npe_of && j < ctx->npe_of[i]; j++)
			np__obj_free(ctx->pe_of[i][j]);
		free(ctx->pe_of[i]);
	}
	free(ctx->pe_of);
	free(ctx->npe_of);
	free(ctx->resolved);
	free(ctx->pods);
	free(ctx->svcs);
	free(ctx->pols);
	free(ctx->pes);
	free(ctx->nss);
	free(ctx->nodes);
	free(ctx->groups);
	np__hashmap_release_each(&ctx->peers, peer_slot_arrays_free);
	np__hashmap_release(&ctx->peers_ns);
	for (i = 0; ctx->touched && i < ctx->npols; i++) {
		free(ctx->touched[i].v);
		free(ctx->touched[i].slots);
	}
	free(ctx->touched);
	for (i = 0; ctx->svc_pods && i < ctx->nsvcs; i++)
		free(ctx->svc_pods[i]);
	free(ctx->svc_pods);
	free(ctx->nsvc_pods);
	free(ctx->bk);
	if (ctx->rs_cache_free)
		ctx->rs_cache_free(ctx->rs_cache);
	if (ctx->cpe_index_free)
		ctx->cpe_index_free(ctx->cpe_index);
	if (ctx->tier_cache_free)
		ctx->tier_cache_free(ctx->tier_cache);
	np__arena_release(&ctx->arena);
	free(ctx);
}

static const struct np_cluster_hooks ctx_hooks;

/* The context the cluster keeps for the compiler, if any. */
static struct np_ctx *ctx_of(const struct np_cluster *c)
{
	return c->hooks == &ctx_hooks ? c->hooks_ctx : NULL;
}

/* Drop the cluster's context: the next compile builds a new one. */
static void ctx_drop(struct np_cluster *c)
{
	ctx_free(ctx_of(c));
	np__cluster_set_hooks(c, NULL, NULL);
}

void np__ctx_drop(struct np_cluster *c)
{
	ctx_drop(c);
}

size_t np__ctx_cache_budget(struct np_cluster *c)
{
	struct np_ctx *ctx;

	return np__ctx_get(c, &ctx) ? 0 : ctx->cache_budget;
}

struct np_ctx *np__ctx_peek(struct np_cluster *c)
{
	return ctx_of(c);
}

/*
 * The core cache's budget (np_cluster_opts.cache_bytes). The default
 * grows with the snapshot: a compile of every pod that keeps no rule set
 * meets each distinct set of policies again a namespace count later, and
 * a budget below that working set rebuilds every core. With a change
 * tracker (np_cluster_changes()) every pod's core is held and shared
 * anyway; what the cache alone keeps is superseded versions, which only
 * an undone change asks for again: the floor is enough, and memory under
 * churn stays near a fresh compile's.
 */
static size_t cache_budget(const struct np_cluster *c, size_t npods)
{
	size_t b = c->cache_bytes;

	if (b)
		return b;
	b = c->watch ? 0 : npods * NP_CLUSTER_CACHE_BYTES_PER_POD;
	if (b < NP_CLUSTER_CACHE_BYTES_DEFAULT)
		b = NP_CLUSTER_CACHE_BYTES_DEFAULT;
	if (b > NP_CLUSTER_CACHE_BYTES_MAX)
		b = NP_CLUSTER_CACHE_BYTES_MAX;
	return b;
}

int np__ctx_get(struct np_cluster *c, struct np_ctx **out)
{
	struct np_ctx *ctx = ctx_of(c);
	size_t i, n;
	int err;

	if (ctx && ctx->gen == c->gen) {
		/* a change tracker may have come since */
		ctx->cache_budget = cache_budget(c, ctx->npods);
		if (ctx->nodes_stale) {
			err = np__cluster_sorted(c, NP_KIND_NODE, &ctx->nodes,
						 &ctx->nnodes);
			if (err)
				return err;
			ctx->nodes_stale = false;
		}
		*out = ctx;
		return 0;
	}
	ctx_drop(c);
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->gen = c->gen;
	err = np__cluster_sorted(c, NP_KIND_POD, &ctx->pods, &ctx->npods);
	ctx->cache_budget = cache_budget(c, ctx->npods);
	if (!err)
		err = np__cluster_sorted(c, NP_KIND_SERVICE, &ctx->svcs,
					 &ctx->nsvcs);
	if (!err)
		err = np__cluster_sorted(c, NP_KIND_NETWORK_POLICY, &ctx->pols,
					 &ctx->npols);
	if (!err)
		err = np__cluster_sorted(c, NP_KIND_POLICY_ENDPOINT, &ctx->pes,
					 &ctx->npes);
	if (!err)
		err = np__cluster_sorted(c, NP_KIND_NAMESPACE, &ctx->nss,
					 &ctx->nnss);
	if (!err)
		err = np__cluster_sorted(c, NP_KIND_NODE, &ctx->nodes,
					 &ctx->nnodes);
	if (err)
		goto fail;
	err = -ENOMEM;
	ctx->pe_of = calloc(ctx->npols + 1, sizeof(*ctx->pe_of));
	ctx->npe_of = calloc(ctx->npols + 1, sizeof(*ctx->npe_of));
	ctx->resolved = calloc(ctx->npols + 1, sizeof(*ctx->resolved));
	ctx->groups = calloc(ctx->npods + 1, sizeof(*ctx->groups));
	ctx->touched = calloc(ctx->npols + 1, sizeof(*ctx->touched));
	if (!ctx->pe_of || !ctx->npe_of || !ctx->resolved || !ctx->groups ||
	    !ctx->touched)
		goto fail;
	ctx->podcap = ctx->npods + 1;
	ctx->polcap = ctx->npols + 1;
	ctx->pecap = ctx->npes + 1;
	ctx->groupcap = ctx->npods + 1;
	ctx->resolving = SIZE_MAX;
	/* pods are sorted by namespace: one group per namespace */
	for (i = 0; i < ctx->npods; i = n) {
		const char *ns = ctx->pods[i]->meta.ns;
		struct np_nsgroup *g = &ctx->groups[ctx->ngroups++];
		const struct np_obj *nso = np__find_ns(ctx, ns);

		for (n = i;
		     n < ctx->npods && !strcmp(ctx->pods[n]->meta.ns, ns); n++)
			;
		/* owned: the pod it came from may go before the group */
		g->name = np__arena_strdup(&ctx->arena, ns);
		if (!g->name)
			goto fail;
		g->first = i;
		g->count = n - i;
		if (nso) {
			g->labels = &nso->meta.labels;
		} else {
			/* no Namespace object: only the implied label */
			struct np_labels *l =
				np__arena_alloc(&ctx->arena, sizeof(*l));
			struct np_label *v =
				np__arena_alloc(&ctx->arena, sizeof(*v));

			if (!l || !v)
				goto fail;
			v->key = "kubernetes.io/metadata.name";
			v->val = g->name;
			l->v = v;
			l->n = 1;
			g->labels = l;
		}
	}
	err = np__warn_shared_all(c, ctx);
	if (err)
		goto fail;
	/* the snapshot tells the context of every change from now on */
	np__cluster_set_hooks(c, &ctx_hooks, ctx);
	*out = ctx;
	return 0;
fail:
	ctx_free(ctx);
	return err;
}

/* --- keeping the context in step with the snapshot ---------------------- */

/*
 * Only the pods the policy selects changed, and its rules do not depend on
 * them (no ingress named ports): keep its PolicyEndpoints as stale, for
 * np__resolve_policy() to reuse their rules. The Services it touched stay.
 */
static void invalidate(struct np_ctx *ctx, size_t pi);

static void reselect(struct np_ctx *ctx, size_t pi)
{
	struct np_pname one;

	if (ctx->pe_of[pi] && ctx->npe_of[pi] == 1 &&
	    !np__ingress_names(ctx->pols[pi], &one, 1)) {
		ctx->resolved[pi] = false;
		return;
	}
	invalidate(ctx, pi);
}

static void invalidate(struct np_ctx *ctx, size_t pi)
{
	size_t j;

	if (ctx->on_invalidate && (ctx->resolved[pi] || ctx->pe_of[pi]))
		ctx->on_invalidate(ctx->invalidate_arg, ctx->pols[pi]);
	for (j = 0; j < ctx->npe_of[pi]; j++)
		np__obj_free(ctx->pe_of[pi][j]);
	free(ctx->pe_of[pi]);
	ctx->pe_of[pi] = NULL;
	ctx->npe_of[pi] = 0;
	ctx->resolved[pi] = false;
	ctx->touched[pi].n = 0;
	ctx->touched[pi].indexed = false;
}

static int pol_change(struct np_ctx *ctx, const struct np_obj *old,
		      const struct np_obj *new_)
{
	size_t rm, ins, n = ctx->npols, cap = ctx->polcap;
	struct np_obj **pe = NULL;
	struct np_touch t = { 0 };
	size_t zero = 0;
	bool no = false;
	int err;

	if (old) {
		size_t i = np__lower(ctx->pols, ctx->npols, old->meta.ns,
				     old->meta.name);

		if (i < ctx->npols && ctx->pols[i] == old) {
			invalidate(ctx, i);
			free(ctx->touched[i].v);
			free(ctx->touched[i].slots);
			np__arr_remove(ctx->pe_of, &n, i, sizeof(*ctx->pe_of));
			n = ctx->npols;
			np__arr_remove(ctx->npe_of, &n, i,
				       sizeof(*ctx->npe_of));
			n = ctx->npols;
			np__arr_remove(ctx->resolved, &n, i,
				       sizeof(*ctx->resolved));
			n = ctx->npols;
			np__arr_remove(ctx->touched, &n, i,
				       sizeof(*ctx->touched));
			n = ctx->npols;
			np__arr_remove(ctx->pols, &ctx->npols, i,
				       sizeof(*ctx->pols));
		}
	}
	if (!new_)
		return 0;
	err = np__sorted_swap(&ctx->pols, &ctx->npols, &ctx->polcap, NULL, new_,
			      &rm, &ins);
	if (err)
		return err;
	/* the parallel arrays follow; their capacity is polcap */
	n = ctx->npols - 1;
	cap = n;
	if (np__arr_insert((void **)&ctx->pe_of, &n, &cap, ins, &pe,
			   sizeof(pe)))
		return -ENOMEM;
	n = ctx->npols - 1;
	cap = n;
	if (np__arr_insert((void **)&ctx->npe_of, &n, &cap, ins, &zero,
			   sizeof(zero)))
		return -ENOMEM;
	n = ctx->npols - 1;
	cap = n;
	if (np__arr_insert((void **)&ctx->resolved, &n, &cap, ins, &no,
			   sizeof(no)))
		return -ENOMEM;
	n = ctx->npols - 1;
	cap = n;
	if (np__arr_insert((void **)&ctx->touched, &n, &cap, ins, &t,
			   sizeof(t)))
		return -ENOMEM;
	return 0;
}

/* A namespace's labels, also for one that has no pods (yet). */
static const struct np_labels *ns_labels(const struct np_ctx *ctx,
					 const char *ns, struct np_labels *tmp,
					 struct np_label *one)
{
	const struct np_nsgroup *g = np__group_of(ctx, ns);
	const struct np_obj *nso;

	if (g)
		return g->labels;
	nso = np__find_ns(ctx, ns);
	if (nso)
		return &nso->meta.labels;
	one->key = "kubernetes.io/metadata.name";
	one->val = ns;
	tmp->v = one;
	tmp->n = 1;
	return tmp;
}

const struct np_labels *np__ns_labels(const struct np_ctx *ctx, const char *ns,
				      struct np_labels *tmp,
				      struct np_label *one)
{
	return ns_labels(ctx, ns, tmp, one);
}

/* A changed pod with its namespace's labels, looked up once per change. */
struct cpod {
	const struct np_obj *pod;
	const struct np_labels *nsl;
	struct np_labels tmp;
	struct np_label one;
};

static void cpod_init(const struct np_ctx *ctx, const struct np_obj *pod,
		      struct cpod *cp)
{
	cp->pod = pod;
	cp->nsl = pod ? ns_labels(ctx, pod->meta.ns, &cp->tmp, &cp->one) : NULL;
}

static bool slot_selects(const struct np_peer_slot *ps, const struct cpod *cp)
{
	const struct np_obj *pod = cp->pod;

	if (!np__pod_eligible(pod))
		return false;
	if (ps->ns_sel) {
		if (!np__selector_matches(ps->ns_sel, cp->nsl))
			return false;
	} else if (strcmp(ps->ns, pod->meta.ns)) {
		return false;
	}
	return !ps->pod_sel ||
	       np__selector_matches(ps->pod_sel, &pod->meta.labels);
}

bool np__peer_matches(const struct np_obj *pol, const struct np_peer *peer,
		      const struct np_obj *pod, const struct np_labels *nsl)
{
	if (peer->ns_sel) {
		if (!np__selector_matches(peer->ns_sel, nsl))
			return false;
	} else if (strcmp(pol->meta.ns, pod->meta.ns)) {
		return false;
	}
	return !peer->pod_sel ||
	       np__selector_matches(peer->pod_sel, &pod->meta.labels);
}

static bool peer_selects_pod(const struct np_obj *pol,
			     const struct np_peer *peer, const struct cpod *cp)
{
	return np__pod_eligible(cp->pod) &&
	       np__peer_matches(pol, peer, cp->pod, cp->nsl);
}

bool np__pod_in_block(const struct np_ipblock *b, const struct np_obj *pod)
{
	size_t i;

	for (i = 0; i < pod->pod.nips; i++)
		if (np__ip_in_block(b, &pod->pod.ips[i]))
			return true;
	return false;
}

/*
 * Could this pod's presence change what the policy resolves to? A Service
 * backend also matters to every egress rule that can reach it, since the
 * ClusterIP decision looks at all backends.
 */
enum dep {
	DEP_NONE = 0,
	DEP_SELECTED, /* only as a pod the policy selects */
	DEP_RULES, /* what its rules resolve to */
};

static enum dep pol_depends_on(const struct np_ctx *ctx, size_t pi,
			       const struct cpod *cp, bool backend)
{
	const struct np_obj *pol = ctx->pols[pi];
	const struct np_obj *pod = cp->pod;
	enum dep sel = DEP_NONE;
	size_t d, i, j;

	if (!np__pod_selectable(pod))
		return DEP_NONE;
	if (!strcmp(pol->meta.ns, pod->meta.ns) &&
	    np__selector_matches(&pol->np.pod_sel, &pod->meta.labels))
		sel = DEP_SELECTED;
	for (d = 0; d < 2; d++) {
		const struct np_rule *r = d ? pol->np.egress : pol->np.ingress;
		size_t nr = d ? pol->np.negress : pol->np.ningress;

		if (!(d ? pol->np.egress_type : pol->np.ingress_type))
			continue;
		for (i = 0; i < nr; i++) {
			bool named = d && np__rule_has_named(&r[i]);

			bool by_addr = named || (d && backend);

			/* egress names resolve on every pod they reach */
			if (by_addr && !r[i].npeers)
				return DEP_RULES;
			for (j = 0; j < r[i].npeers; j++) {
				const struct np_peer *p = &r[i].peers[j];

				if (p->ipblock ?
					    by_addr &&
						    np__pod_in_block(p->ipblock,
								     pod) :
					    peer_selects_pod(pol, p, cp))
					return DEP_RULES;
			}
		}
	}
	return sel;
}

bool np__svc_selects(const struct np_obj *svc, const struct np_obj *pod)
{
	struct np_selector sel = { .match = svc->svc.selector };

	return svc->svc.has_selector && svc->svc.selector.n &&
	       !strcmp(svc->meta.ns, pod->meta.ns) &&
	       np__selector_matches(&sel, &pod->meta.labels);
}

void np__service_backends_drop(struct np_ctx *ctx)
{
	size_t i;

	for (i = 0; ctx->svc_pods && i < ctx->nsvcs; i++)
		free(ctx->svc_pods[i]);
	free(ctx->svc_pods);
	free(ctx->nsvc_pods);
	free(ctx->bk);
	ctx->svc_pods = NULL;
	ctx->nsvc_pods = NULL;
	ctx->bk = NULL;
	ctx->nbk = 0;
}

/*
 * The peer slots that select old or new: hit[id] of each slot, 1 it
 * selects old, 2 new (both: 3), and the list of those slots. Only the
 * slots of the pod's namespace and those with a namespace selector can
 * (np_ctx.peers_ns): a pod's change does not walk every slot of a large
 * cluster.
 */
struct slot_hits {
	unsigned char *hit;
	struct np_peer_slot **v;
	size_t n;
};

static void hits_walk(struct slot_hits *sh, struct np_peer_slot *ps,
		      const struct cpod *cold, const struct cpod *cnew)
{
	for (; ps; ps = ps->ns_next) {
		unsigned char bits = 0;

		if (cold->pod && slot_selects(ps, cold))
			bits |= 1;
		if (cnew->pod && slot_selects(ps, cnew))
			bits |= 2;
		if (bits && !sh->hit[ps->id])
			sh->v[sh->n++] = ps;
		sh->hit[ps->id] |= bits;
	}
}

static int slots_hit(const struct np_ctx *ctx, const struct cpod *cold,
		     const struct cpod *cnew, struct slot_hits *sh)
{
	const char *ns = cold->pod ? cold->pod->meta.ns : cnew->pod->meta.ns;

	sh->n = 0;
	sh->hit = calloc(ctx->npeers + 1, 1);
	sh->v = malloc((ctx->npeers + 1) * sizeof(*sh->v));
	if (!sh->hit || !sh->v) {
		free(sh->hit);
		free(sh->v);
		return -ENOMEM;
	}
	/* old and new are one pod: one namespace */
	hits_walk(sh, ctx->peers_nssel, cold, cnew);
	hits_walk(sh,
		  np__hashmap_get(&ctx->peers_ns, np__hash_str(ns, 0),
				  np__slot_ns_eq, ns),
		  cold, cnew);
	return 0;
}

/* Patch every cached peer expansion that selects old or new. */
static int peers_patch(const struct slot_hits *sh, const struct np_obj *old,
		       const struct np_obj *new_)
{
	size_t i, j;

	for (i = 0; i < sh->n; i++) {
		struct np_peer_slot *ps = sh->v[i];
		unsigned char hit = sh->hit[ps->id];

		free(ps->by_ip);
		ps->by_ip = NULL;
		if (old && (hit & 1)) {
			j = np__lower((struct np_obj *const *)ps->pods, ps->n,
				      old->meta.ns, old->meta.name);
			if (j < ps->n && ps->pods[j] == old)
				np__arr_remove(ps->pods, &ps->n, j,
					       sizeof(*ps->pods));
		}
		if (new_ && (hit & 2)) {
			j = np__lower((struct np_obj *const *)ps->pods, ps->n,
				      new_->meta.ns, new_->meta.name);
			if (np__arr_insert((void **)&ps->pods, &ps->n, &ps->cap,
					   j, &new_, sizeof(new_)))
				return -ENOMEM;
		}
	}
	return 0;
}

/* The policies of pod's namespace: [*lo, *hi) of ctx->pols. */
static void ns_range(const struct np_ctx *ctx, const struct np_obj *pod,
		     size_t *lo, size_t *hi)
{
	size_t l = 0, h = ctx->npols, mid;

	*lo = *hi = 0;
	if (!pod)
		return;
	while (l < h) {
		mid = (l + h) / 2;
		if (strcmp(ctx->pols[mid]->meta.ns, pod->meta.ns) < 0)
			l = mid + 1;
		else
			h = mid;
	}
	*lo = l;
	for (h = l;
	     h < ctx->npols && !strcmp(ctx->pols[h]->meta.ns, pod->meta.ns);
	     h++)
		;
	*hi = h;
}

static int pod_change(struct np_ctx *ctx, const struct np_obj *old,
		      const struct np_obj *new_)
{
	bool bold = false, bnew = false;
	struct cpod cold, cnew;
	size_t rm, ins, i, j, k, olo, ohi, nlo, nhi;
	struct slot_hits sh;
	const unsigned char *hit;
	int err;

	/* the same labels before and after: from the group or the object */
	cpod_init(ctx, old, &cold);
	cpod_init(ctx, new_, &cnew);
	for (i = 0; i < ctx->nsvcs; i++) {
		bold = bold || (old && np__svc_selects(ctx->svcs[i], old));
		bnew = bnew || (new_ && np__svc_selects(ctx->svcs[i], new_));
	}
	if (slots_hit(ctx, &cold, &cnew, &sh))
		return -ENOMEM;
	hit = sh.hit;
	/* a backend sharing an address: every egress policy may see it */
	if (((bold && np__shares_addr(ctx, old)) ||
	     (bnew && np__shares_addr(ctx, new_))))
		for (i = 0; i < ctx->npols; i++)
			if (ctx->pols[i]->np.egress_type)
				invalidate(ctx, i);
	/* the policies of the pods' namespaces: they may select them */
	ns_range(ctx, old, &olo, &ohi);
	ns_range(ctx, new_, &nlo, &nhi);
	/* invalidate while the old pod is still in the indexes */
	for (i = 0; i < ctx->npols; i++) {
		const struct np_touch *t = &ctx->touched[i];
		enum dep d = DEP_NONE, e = DEP_NONE;

		/* unresolved, but with stale endpoints whose rules count */
		if (!ctx->resolved[i] && !ctx->pe_of[i])
			continue;
		/*
		 * The index says where to look closer; what it leaves out
		 * cannot depend on these pods (see pol_depends_on()).
		 */
		if (t->indexed && !((bold || bnew) && t->n) &&
		    !(i >= olo && i < ohi) && !(i >= nlo && i < nhi) &&
		    !t->addr_named && !(t->addr_any && (bold || bnew))) {
			for (k = 0; k < t->nslots && !hit[t->slots[k]]; k++)
				;
			if (k == t->nslots)
				continue;
		}
		if (old)
			d = pol_depends_on(ctx, i, &cold, bold);
		if (new_ && d != DEP_RULES)
			e = pol_depends_on(ctx, i, &cnew, bnew);
		d = NP_MAX(d, e);
		if (d == DEP_RULES) {
			invalidate(ctx, i);
			continue;
		}
		for (j = 0; j < ctx->touched[i].n; j++)
			if ((old &&
			     np__svc_selects(ctx->touched[i].v[j], old)) ||
			    (new_ &&
			     np__svc_selects(ctx->touched[i].v[j], new_)))
				break;
		if (j < ctx->touched[i].n)
			invalidate(ctx, i);
		else if (d == DEP_SELECTED)
			reselect(ctx, i);
	}
	if (bold || bnew)
		np__service_backends_drop(ctx);
	/* old leaves the peer lists while its namespace group exists */
	err = peers_patch(&sh, old, NULL);
	if (!err)
		err = np__sorted_swap(&ctx->pods, &ctx->npods, &ctx->podcap,
				      old, NULL, &rm, &ins);
	if (!err && rm != SIZE_MAX)
		np__groups_remove(ctx, old, rm);
	if (!err)
		err = np__sorted_swap(&ctx->pods, &ctx->npods, &ctx->podcap,
				      NULL, new_, &rm, &ins);
	if (!err && ins != SIZE_MAX)
		err = np__groups_insert(ctx, new_, ins);
	if (!err)
		err = peers_patch(&sh, NULL, new_);
	free(sh.hit);
	free(sh.v);
	return err;
}

/*
 * The snapshot's hook: object old (NULL: none) became new (NULL: deleted);
 * the table already holds new and old is still alive. Keeps the context
 * valid, or drops it.
 */
static void ctx_change(void *hctx, struct np_cluster *c, enum np_kind kind,
		       const struct np_obj *old, const struct np_obj *new_)
{
	struct np_ctx *ctx = hctx;
	size_t rm, ins, i;
	int err = 0;

	switch (kind) {
	case NP_KIND_POD:
		err = pod_change(ctx, old, new_);
		/* a new address, or a pod that became a peer */
		if (!err && new_ &&
		    (!old || !np__pod_eligible(old) ||
		     old->pod.nips != new_->pod.nips ||
		     memcmp(old->pod.ips, new_->pod.ips,
			    new_->pod.nips * sizeof(new_->pod.ips[0]))))
			np__warn_shared_one(c, ctx, new_);
		break;
	case NP_KIND_NETWORK_POLICY:
		err = pol_change(ctx, old, new_);
		break;
	case NP_KIND_POLICY_ENDPOINT:
		err = np__sorted_swap(&ctx->pes, &ctx->npes, &ctx->pecap, old,
				      new_, &rm, &ins);
		break;
	case NP_KIND_SERVICE:
		/* rare: re-read the Services, re-resolve egress policies */
		np__service_backends_drop(ctx);
		free(ctx->svcs);
		ctx->svcs = NULL;
		err = np__cluster_sorted(c, NP_KIND_SERVICE, &ctx->svcs,
					 &ctx->nsvcs);
		for (i = 0; !err && i < ctx->npols; i++)
			if (ctx->pols[i]->np.egress_type)
				invalidate(ctx, i);
		break;
	case NP_KIND_NODE:
		/*
		 * Only the tiers read them (tier.c), never from a cache:
		 * sorted again on the next np__ctx_get(), once per load.
		 */
		free(ctx->nodes);
		ctx->nodes = NULL;
		ctx->nnodes = 0;
		ctx->nodes_stale = true;
		break;
	default:
		/* Namespaces relabel whole groups: start over */
		err = -EAGAIN;
	}
	if (err)
		ctx_drop(c);
}

static void ctx_synced(void *hctx, uint64_t gen)
{
	((struct np_ctx *)hctx)->gen = gen;
}

static void ctx_on_free(void *hctx)
{
	ctx_free(hctx);
}

static const struct np_cluster_hooks ctx_hooks = {
	.on_change = ctx_change,
	.on_synced = ctx_synced,
	.on_free = ctx_on_free,
};

/*
 * Every peer slot is in one list of np_ctx.peers_ns, its namespace's, or
 * among those with a namespace selector: 0, else -8.
 */
static int slots_check(const struct np_ctx *ctx)
{
	const struct np_peer_slot *ps;
	size_t i, n = 0;

	for (ps = ctx->peers_nssel; ps; ps = ps->ns_next, n++)
		if (!ps->ns_sel)
			return -8;
	for (i = 0; i < ctx->peers_ns.cap; i++) {
		const struct np_peer_slot *head = ctx->peers_ns.slots[i].val;

		if (!head)
			continue;
		for (ps = head; ps; ps = ps->ns_next, n++)
			if (ps->ns_sel || strcmp(ps->ns, head->ns))
				return -8;
	}
	return n == ctx->peers.n ? 0 : -8;
}

int np__ctx_check(struct np_cluster *c)
{
	struct np_ctx *ctx = ctx_of(c);
	size_t i, sum = 0;

	if (!ctx)
		return 0;
	if (ctx->npods != np_cluster_count(c, NP_KIND_POD))
		return -1;
	for (i = 0; i < ctx->npods; i++) {
		if (np__cluster_find(c, NP_KIND_POD, ctx->pods[i]->meta.ns,
				     ctx->pods[i]->meta.name) != ctx->pods[i])
			return -2;
		if (i &&
		    np__obj_key_cmp(ctx->pods[i - 1], ctx->pods[i]->meta.ns,
				    ctx->pods[i]->meta.name) >= 0)
			return -3;
	}
	for (i = 0; i < ctx->ngroups; i++) {
		const struct np_nsgroup *g = &ctx->groups[i];

		if (g->first != sum || !g->count ||
		    strcmp(ctx->pods[g->first]->meta.ns, g->name))
			return -4;
		sum += g->count;
	}
	if (sum != ctx->npods)
		return -5;
	if (ctx->npols != np_cluster_count(c, NP_KIND_NETWORK_POLICY))
		return -6;
	for (i = 0; i < ctx->npols; i++)
		if (np__cluster_find(c, NP_KIND_NETWORK_POLICY,
				     ctx->pols[i]->meta.ns,
				     ctx->pols[i]->meta.name) != ctx->pols[i])
			return -7;
	return slots_check(ctx);
}
