// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tracker of change sets (changes.c): pod keys and the sets of them,
 * the records of what was reported last, and the tracker that marks what
 * each change of the snapshot can affect (changes_internal.h).
 *
 * A tracker watches the snapshot (the cluster's second watcher slot) and
 * notes, for every object that comes, changes or goes, what it can affect:
 * the pod itself; the NetworkPolicies whose resolution can change, whose
 * selected pods are looked at when the caller asks; the pods an old policy
 * version selected; the pods a PolicyEndpoint names. Which policies: for
 * those the resolution context holds resolved, the context's own decision
 * (it tells through np_ctx.on_invalidate, installed after each change
 * set); for the others, a generous test (a peer selecting the pod, an
 * egress ipBlock holding its address with a named port, a Service it
 * backs, an ingress named port of a policy selecting it). What it cannot
 * follow closely (cluster policies and their endpoints, anything but a
 * NetworkPolicy while cluster policies exist) marks every pod.
 */
#include <stdlib.h>

#include "changes_internal.h"
#include "tier.h"

/* --- pod keys ----------------------------------------------------------- */

static uint64_t pkey_hash(const char *ns, const char *name)
{
	return np__hash_str(name, np__hash_str(ns, 0x6368616e676573ull));
}

bool np__pkey_eq(const void *val, const void *key)
{
	const struct pkey *p = *(const struct pkey *const *)val;
	const struct pkey_probe *k = key;

	return !strcmp(p->s, k->ns) && !strcmp(p->s + p->nslen + 1, k->name);
}

struct pkey *np__pkey_new(const char *ns, const char *name)
{
	size_t a = strlen(ns), b = strlen(name);
	struct pkey *p = malloc(sizeof(*p) + a + b + 2);

	if (!p)
		return NULL;
	p->h = pkey_hash(ns, name);
	p->nslen = a;
	memcpy(p->s, ns, a + 1);
	memcpy(p->s + a + 1, name, b + 1);
	return p;
}

const char *np__pkey_ns(const struct pkey *p)
{
	return p->s;
}

const char *np__pkey_name(const struct pkey *p)
{
	return p->s + p->nslen + 1;
}

/*
 * A table of keys (a set): every value is a struct whose first member is
 * a struct pkey pointer, so one lookup serves the marks and the baseline.
 */
void *np__kset_get(const struct np_hashmap *m, const char *ns, const char *name)
{
	struct pkey_probe k = { ns, name };

	return np__hashmap_get(m, pkey_hash(ns, name), np__pkey_eq, &k);
}

int np__kset_mark(struct np_hashmap *m, const char *ns, const char *name)
{
	struct pkey_probe k = { ns, name };
	uint64_t h = pkey_hash(ns, name);
	struct mark *mk;
	size_t i;

	if (np__hashmap_reserve(m, m->n + 1, 64))
		return -ENOMEM;
	i = np__hashmap_probe(m, h, np__pkey_eq, &k);
	if (m->slots[i].val)
		return 0;
	mk = malloc(sizeof(*mk));
	if (!mk)
		return -ENOMEM;
	mk->key = np__pkey_new(ns, name);
	if (!mk->key) {
		free(mk);
		return -ENOMEM;
	}
	np__hashmap_fill(m, i, h, mk);
	return 0;
}

static void mark_free(void *p)
{
	struct mark *mk = p;

	free(mk->key);
	free(mk);
}

void np__kset_clear(struct np_hashmap *m)
{
	np__hashmap_release_each(m, mark_free);
}

/* --- the tracker -------------------------------------------------------- */

void np__pe_rec_free(void *p)
{
	struct pe_rec *r = p;
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		free(r->names[i]);
	free(r->names);
	free(r->hash);
	free(r->key);
	free(r);
}

void np__cpe_recs_free(struct cpe_rec *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].policy);
	}
	free(v);
}

static void base_free(void *p)
{
	struct base *b = p;

	np__core_put(b->core);
	free(b->key);
	free(b);
}

static void tracker_free(void *p)
{
	struct tracker *t = p;

	if (!t)
		return;
	np__hashmap_release_each(&t->base, base_free);
	np__kset_clear(&t->pods);
	np__kset_clear(&t->pols);
	np__hashmap_release_each(&t->eps, np__pe_rec_free);
	np__kset_clear(&t->epols);
	np__cpe_recs_free(t->cpes, t->ncpes);
	free(t);
}

static void mark_pod(struct tracker *t, const char *ns, const char *name)
{
	if (np__kset_mark(&t->pods, ns, name))
		t->failed = true;
}

/* A policy whose endpoints may change (and not its selected pods). */
static void mark_epol(struct tracker *t, const struct np_obj *pol)
{
	if (t->ep_on && !t->ep_all &&
	    np__kset_mark(&t->epols, pol->meta.ns, pol->meta.name))
		t->ep_all = true;
}

static void mark_pol(struct tracker *t, const struct np_obj *pol)
{
	if (np__kset_mark(&t->pols, pol->meta.ns, pol->meta.name))
		t->failed = true;
	mark_epol(t, pol);
}

/* The labels a namespace's peers select it by (object or implied). */
struct nsl {
	const struct np_labels *l;
	struct np_labels tmp;
	struct np_label one;
};

static void nsl_init(struct nsl *x, const struct np_obj *nso, const char *ns)
{
	if (nso) {
		x->l = &nso->meta.labels;
		return;
	}
	x->one.key = "kubernetes.io/metadata.name";
	x->one.val = ns;
	x->tmp.v = &x->one;
	x->tmp.n = 1;
	x->l = &x->tmp;
}

static bool has_ingress_named(const struct np_obj *pol)
{
	size_t i;

	for (i = 0; pol->np.ingress_type && i < pol->np.ningress; i++)
		if (np__rule_has_named(&pol->np.ingress[i]))
			return true;
	return false;
}

/*
 * Whether what pol resolves to can depend on pod, generously (the
 * resolution context decides closely what to resolve again; this only
 * needs to miss nothing): a peer that selects it (eligible or not), an
 * egress ipBlock holding its address in a rule with a named port (named
 * ports resolve on the pods they reach), an egress rule to every address
 * with a named port, or an ingress named port of a policy selecting it
 * (the representative pod's ports). Service backends: pod_event().
 */
static bool pol_depends(const struct np_obj *pol, const struct np_obj *pod,
			const struct nsl *nl)
{
	size_t d, i, j;

	if (!strcmp(pol->meta.ns, pod->meta.ns) && has_ingress_named(pol) &&
	    np__selector_matches(&pol->np.pod_sel, &pod->meta.labels))
		return true;
	for (d = 0; d < 2; d++) {
		const struct np_rule *r = d ? pol->np.egress : pol->np.ingress;
		size_t nr = d ? pol->np.negress : pol->np.ningress;

		if (!(d ? pol->np.egress_type : pol->np.ingress_type))
			continue;
		for (i = 0; i < nr; i++) {
			bool named = d && np__rule_has_named(&r[i]);

			if (named && !r[i].npeers)
				return true;
			for (j = 0; j < r[i].npeers; j++) {
				const struct np_peer *p = &r[i].peers[j];

				if (p->ipblock ?
					    named && np__pod_in_block(
							     p->ipblock, pod) :
					    np__peer_matches(pol, p, pod,
							     nl->l))
					return true;
			}
		}
	}
	return false;
}

/* The next object of a kind from slot *i on (NULL: none), *i past it. */
const struct np_obj *np__next_obj(const struct np_cluster *c, enum np_kind k,
				  size_t *i)
{
	while (*i < c->t[k].cap) {
		const struct np_obj *o = c->t[k].slots[(*i)++].val;

		if (o)
			return o;
	}
	return NULL;
}

/* The egress policies the context does not decide for (ctx NULL: all). */
static void mark_egress_pols(struct tracker *t, struct np_cluster *c,
			     const struct np_ctx *ctx)
{
	const struct np_obj *pol;
	size_t i;

	for (i = 0; (pol = np__next_obj(c, NP_KIND_NETWORK_POLICY, &i));)
		if (pol->np.egress_type && !(ctx && np__ctx_holds(ctx, pol)))
			mark_pol(t, pol);
}

void np__tracker_invalidated(void *p, const struct np_obj *pol)
{
	struct tracker *t = p;

	if (!t->all && !t->failed)
		mark_pol(t, pol);
}

/*
 * The resolution context, when it tells this tracker what it drops: it
 * has seen the change already (the first watcher), and told.
 */
static const struct np_ctx *told_by(struct np_cluster *c,
				    const struct tracker *t)
{
	const struct np_ctx *ctx = np__ctx_peek(c);

	if (ctx && ctx->on_invalidate == np__tracker_invalidated &&
	    ctx->invalidate_arg == t)
		return ctx;
	return NULL;
}

static void pod_event(struct tracker *t, struct np_cluster *c,
		      const struct np_obj *pod)
{
	const struct np_ctx *ctx = told_by(c, t);
	const struct np_obj *pol, *svc;
	struct nsl nl;
	size_t i;

	mark_pod(t, pod->meta.ns, pod->meta.name);
	nsl_init(&nl, np__cluster_find(c, NP_KIND_NAMESPACE, "", pod->meta.ns),
		 pod->meta.ns);
	for (i = 0; (pol = np__next_obj(c, NP_KIND_NETWORK_POLICY, &i));) {
		/* its endpoints list the pods it selects */
		if (t->ep_on && !strcmp(pol->meta.ns, pod->meta.ns) &&
		    np__selector_matches(&pol->np.pod_sel, &pod->meta.labels))
			mark_epol(t, pol);
		if (!(ctx && np__ctx_holds(ctx, pol)) &&
		    pol_depends(pol, pod, &nl))
			mark_pol(t, pol);
	}
	for (i = 0; (svc = np__next_obj(c, NP_KIND_SERVICE, &i));)
		if (np__svc_selects(svc, pod)) {
			mark_egress_pols(t, c, ctx);
			break;
		}
}

void np__ns_pods_init(struct ns_pods *it, struct np_cluster *c, const char *ns)
{
	it->c = c;
	it->ns = ns;
	it->ctx = np__ctx_peek(c);
	it->g = it->ctx ? np__group_of(it->ctx, ns) : NULL;
	it->i = 0;
}

const struct np_obj *np__ns_pods_next(struct ns_pods *it)
{
	const struct np_obj *pod;

	if (it->ctx)
		return it->g && it->i < it->g->count ?
			       it->ctx->pods[it->g->first + it->i++] :
			       NULL;
	while ((pod = np__next_obj(it->c, NP_KIND_POD, &it->i)))
		if (!strcmp(pod->meta.ns, it->ns))
			return pod;
	return NULL;
}

/* The pods pol selects now. */
static void mark_selected(struct tracker *t, struct np_cluster *c,
			  const struct np_obj *pol)
{
	const struct np_obj *pod;
	struct ns_pods it;

	np__ns_pods_init(&it, c, pol->meta.ns);
	while ((pod = np__ns_pods_next(&it)))
		if (np__selector_matches(&pol->np.pod_sel, &pod->meta.labels))
			mark_pod(t, pod->meta.ns, pod->meta.name);
}

static void ns_event(struct tracker *t, struct np_cluster *c,
		     const struct np_obj *old, const struct np_obj *new_)
{
	const char *name = old ? old->meta.name : new_->meta.name;
	const struct np_obj *pol;
	struct nsl a, b;
	size_t i, d, r, j;

	nsl_init(&a, old, name);
	nsl_init(&b, new_, name);
	for (i = 0; (pol = np__next_obj(c, NP_KIND_NETWORK_POLICY, &i));) {
		bool hit = false;

		for (d = 0; d < 2 && !hit; d++) {
			const struct np_rule *v = d ? pol->np.egress :
						      pol->np.ingress;
			size_t nr = d ? pol->np.negress : pol->np.ningress;

			for (r = 0; r < nr && !hit; r++)
				for (j = 0; j < v[r].npeers && !hit; j++) {
					const struct np_selector *s =
						v[r].peers[j].ns_sel;

					hit = s &&
					      (np__selector_matches(s, a.l) ||
					       np__selector_matches(s, b.l));
				}
		}
		if (hit)
			mark_pol(t, pol);
	}
}

static void pe_event(struct tracker *t, const struct np_obj *pe)
{
	size_t i;

	for (i = 0; i < pe->pe.npods; i++)
		if (pe->pe.pods[i].ns && pe->pe.pods[i].name &&
		    !strcmp(pe->pe.pods[i].ns, pe->meta.ns))
			mark_pod(t, pe->meta.ns, pe->pe.pods[i].name);
}

/*
 * Whether an event of kind can change a ClusterPolicyEndpoint: a cluster
 * policy itself, or what cluster policies (if any) select and reach
 * (pods, namespaces, Service backends, Nodes). Not NetworkPolicies, nor
 * the endpoint objects of the agent's view.
 */
static bool cpe_event(const struct np_cluster *c, enum np_kind kind)
{
	switch (kind) {
	case NP_KIND_CLUSTER_NETWORK_POLICY:
	case NP_KIND_AWS_CLUSTER_NETWORK_POLICY:
		return true;
	case NP_KIND_POD:
	case NP_KIND_NAMESPACE:
	case NP_KIND_SERVICE:
	case NP_KIND_NODE:
		return np__tier_any(c);
	default:
		return false;
	}
}

static void tracker_change(void *p, struct np_cluster *c, enum np_kind kind,
			   const struct np_obj *old, const struct np_obj *new_)
{
	struct tracker *t = p;

	if (cpe_event(c, kind))
		t->cpe_dirty = true;
	if (t->all || t->failed) {
		/* every pod; the endpoints: every policy */
		t->ep_all = true;
		return;
	}
	/*
	 * Cluster policies reach pods by namespaces, nodes, Services and
	 * pods' labels and addresses: any such change, with one, marks every
	 * pod. A NetworkPolicy's change reaches only the pods it selected or
	 * selects (its tier decides for them alone; the others' folds keep
	 * their inputs), followed as without cluster policies.
	 */
	if (np__tier_any(c) && kind != NP_KIND_NETWORK_POLICY) {
		t->all = true;
		t->ep_all = true;
		return;
	}
	switch (kind) {
	case NP_KIND_POD:
		if (old)
			pod_event(t, c, old);
		if (new_)
			pod_event(t, c, new_);
		break;
	case NP_KIND_NETWORK_POLICY:
		if (old)
			mark_selected(t, c, old);
		mark_pol(t, old ? old : new_);
		break;
	case NP_KIND_NAMESPACE:
		ns_event(t, c, old, new_);
		break;
	case NP_KIND_SERVICE:
		mark_egress_pols(t, c, NULL);
		break;
	case NP_KIND_POLICY_ENDPOINT:
		if (old)
			pe_event(t, old);
		if (new_)
			pe_event(t, new_);
		break;
	case NP_KIND_NODE:
		/* only cluster policies read Nodes (none now) */
		break;
	default:
		t->all = true;
	}
}

static void tracker_on_free(void *p)
{
	tracker_free(p);
}

const struct np_cluster_hooks np__tracker_hooks = {
	.on_change = tracker_change,
	.on_free = tracker_on_free,
};
