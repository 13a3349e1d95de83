/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The resolution context's indexes, piece by piece (resolve_ctx.c builds
 * the context and keeps it in step with the snapshot): which pods count
 * (selectable, eligible) and their named ports, the pods that share an
 * address (warned about), the sorted object arrays with their lookups,
 * insertions and removals, and the namespaces with their groups of pods.
 */
#include <stdio.h>
#include <stdlib.h>

#include "resolve.h"

/*
 * A pod a policy can select: not on the host's network, not finished.
 * Selection does not wait for an address (a pod the CNI has not addressed
 * yet is isolated from its first packet); being a peer does.
 */
bool np__pod_selectable(const struct np_obj *pod)
{
	return !pod->pod.host_network && pod->pod.phase != NP_PHASE_SUCCEEDED &&
	       pod->pod.phase != NP_PHASE_FAILED;
}

/* A pod that can be a peer: selectable and with an address. */
bool np__pod_eligible(const struct np_obj *pod)
{
	return np__pod_selectable(pod) && pod->pod.nips;
}

/* The first container port with this name and protocol. */
const struct np_container_port *np__pod_port(const struct np_obj *pod,
					     const char *name, uint8_t proto)
{
	size_t i;

	for (i = 0; i < pod->pod.nports; i++)
		if (pod->pod.ports[i].name &&
		    pod->pod.ports[i].proto == proto &&
		    !strcmp(pod->pod.ports[i].name, name))
			return &pod->pod.ports[i];
	return NULL;
}

/* --- pods sharing an address -------------------------------------------- */

/*
 * Two peers with one address cannot be told apart by the datapath, which
 * decides by address: a warning names both (libnetpol(3), ADDRESSES, says
 * which verdicts follow). Only pods that can be peers count.
 */
static void warn_shared(const struct np_cluster *c, const struct np_obj *x,
			const struct np_obj *y, const struct np_ip *ip)
{
	char a[64];

	np__ip_format(ip, a, sizeof(a));
	np__log(c->log, c->log_ctx, NP_LOG_WARN,
		"Pods %s/%s and %s/%s share the address %s: as peers they "
		"are one (an address one of them is allowed is allowed for "
		"both)",
		x->meta.ns, x->meta.name, y->meta.ns, y->meta.name, a);
}

struct pod_ip {
	const struct np_obj *pod;
	const struct np_ip *ip;
};

static int pod_ip_cmp(const void *a, const void *b)
{
	const struct pod_ip *x = a, *y = b;

	if (x->ip->family != y->ip->family)
		return x->ip->family < y->ip->family ? -1 : 1;
	return memcmp(x->ip->addr, y->ip->addr, sizeof(x->ip->addr));
}

/* Every address two eligible pods share, once per pair; O(n log n). */
int np__warn_shared_all(const struct np_cluster *c, const struct np_ctx *ctx)
{
	struct pod_ip *v;
	size_t n = 0, i, j;

	if (!c->log)
		return 0;
	v = malloc((ctx->npods * NP_MAX_IPS + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < ctx->npods; i++)
		for (j = 0; np__pod_eligible(ctx->pods[i]) &&
			    j < ctx->pods[i]->pod.nips;
		     j++) {
			v[n].pod = ctx->pods[i];
			v[n++].ip = &ctx->pods[i]->pod.ips[j];
		}
	qsort(v, n, sizeof(*v), pod_ip_cmp);
	for (i = 1; i < n; i++)
		if (!pod_ip_cmp(&v[i - 1], &v[i]) && v[i - 1].pod != v[i].pod)
			warn_shared(c, v[i - 1].pod, v[i].pod, v[i].ip);
	free(v);
	return 0;
}

/*
 * Each address eligible pod shares with another eligible pod of ctx, to fn
 * (with that pod), until fn returns true; whether one did.
 */
static bool each_shared(const struct np_ctx *ctx, const struct np_obj *pod,
			bool (*fn)(void *arg, const struct np_obj *o,
				   const struct np_ip *ip),
			void *arg)
{
	size_t i, j, k;

	if (!pod || !np__pod_eligible(pod))
		return false;
	for (i = 0; i < ctx->npods; i++) {
		const struct np_obj *o = ctx->pods[i];

		if (o == pod || !np__pod_eligible(o) ||
		    (!strcmp(o->meta.ns, pod->meta.ns) &&
		     !strcmp(o->meta.name, pod->meta.name)))
			continue;
		for (j = 0; j < pod->pod.nips; j++)
			for (k = 0; k < o->pod.nips; k++)
				if (!memcmp(&pod->pod.ips[j], &o->pod.ips[k],
					    sizeof(pod->pod.ips[j])) &&
				    fn(arg, o, &pod->pod.ips[j]))
					return true;
	}
	return false;
}

struct warn_arg {
	const struct np_cluster *c;
	const struct np_obj *pod;
};

static bool warn_one(void *arg, const struct np_obj *o, const struct np_ip *ip)
{
	const struct warn_arg *w = arg;

	warn_shared(w->c, o, w->pod, ip);
	return false;
}

/* A pod that comes or changes: the pods it shares an address with. */
void np__warn_shared_one(const struct np_cluster *c, const struct np_ctx *ctx,
			 const struct np_obj *pod)
{
	struct warn_arg w = { c, pod };

	if (c->log)
		each_shared(ctx, pod, warn_one, &w);
}

static bool found(void *arg, const struct np_obj *o, const struct np_ip *ip)
{
	return true;
}

/*
 * Whether an eligible pod has an address another eligible pod has too: a
 * Service backend's address may then be allowed through the other pod,
 * which no index of the policies follows (rare: warned about).
 */
bool np__shares_addr(const struct np_ctx *ctx, const struct np_obj *pod)
{
	return each_shared(ctx, pod, found, NULL);
}

/* --- sorted object arrays ----------------------------------------------- */

int np__obj_key_cmp(const struct np_obj *o, const char *ns, const char *name)
{
	int r = strcmp(o->meta.ns, ns);

	return r ? r : strcmp(o->meta.name, name);
}

/* First index whose object sorts at or after ns/name. */
size_t np__lower(struct np_obj *const *v, size_t n, const char *ns,
		 const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (np__obj_key_cmp(v[mid], ns, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int np__arr_insert(void **arr, size_t *n, size_t *cap, size_t at,
		   const void *elem, size_t size)
{
	char *a;

	if (*n + 1 > *cap) {
		size_t ncap = (*cap ? *cap : 8) * 2;

		a = realloc(*arr, ncap * size);
		if (!a)
			return -ENOMEM;
		*arr = a;
		*cap = ncap;
	}
	a = *arr;
	memmove(a + (at + 1) * size, a + at * size, (*n - at) * size);
	memcpy(a + at * size, elem, size);
	(*n)++;
	return 0;
}

void np__arr_remove(void *arr, size_t *n, size_t at, size_t size)
{
	char *a = arr;

	memmove(a + at * size, a + (at + 1) * size, (*n - at - 1) * size);
	(*n)--;
}

/* Sorted object arrays: remove old (by identity), insert new. */
int np__sorted_swap(struct np_obj ***v, size_t *n, size_t *cap,
		    const struct np_obj *old, const struct np_obj *new_,
		    size_t *removed_at, size_t *inserted_at)
{
	size_t i;

	*removed_at = *inserted_at = SIZE_MAX;
	if (old) {
		i = np__lower(*v, *n, old->meta.ns, old->meta.name);
		if (i < *n && (*v)[i] == old) {
			np__arr_remove(*v, n, i, sizeof(**v));
			*removed_at = i;
		}
	}
	if (new_) {
		i = np__lower(*v, *n, new_->meta.ns, new_->meta.name);
		if (np__arr_insert((void **)v, n, cap, i, &new_, sizeof(**v)))
			return -ENOMEM;
		*inserted_at = i;
	}
	return 0;
}

size_t np__ctx_pol_index(const struct np_ctx *ctx, const char *ns,
			 const char *name)
{
	size_t i = np__lower(ctx->pols, ctx->npols, ns, name);

	return i < ctx->npols && !np__obj_key_cmp(ctx->pols[i], ns, name) ?
		       i :
		       SIZE_MAX;
}

bool np__ctx_holds(const struct np_ctx *ctx, const struct np_obj *pol)
{
	size_t i =
		np__lower(ctx->pols, ctx->npols, pol->meta.ns, pol->meta.name);

	return i < ctx->npols && ctx->pols[i] == pol &&
	       (ctx->resolved[i] || ctx->pe_of[i]);
}

/* --- namespaces and their groups of pods -------------------------------- */

const struct np_obj *np__find_ns(const struct np_ctx *ctx, const char *name)
{
	size_t lo = 0, hi = ctx->nnss;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(ctx->nss[mid]->meta.name, name);

		if (!r)
			return ctx->nss[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct np_nsgroup *np__group_of(const struct np_ctx *ctx, const char *ns)
{
	size_t lo = 0, hi = ctx->ngroups;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(ctx->groups[mid].name, ns);

		if (!r)
			return &ctx->groups[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int np__groups_insert(struct np_ctx *ctx, const struct np_obj *pod, size_t at)
{
	size_t i, lo = 0, hi = ctx->ngroups;
	struct np_nsgroup g = { 0 };
	const struct np_obj *nso;

	for (i = 0; i < ctx->ngroups; i++)
		if (ctx->groups[i].first >= at &&
		    strcmp(ctx->groups[i].name, pod->meta.ns))
			ctx->groups[i].first++;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(ctx->groups[mid].name, pod->meta.ns);

		if (!r) {
			ctx->groups[mid].count++;
			if (at < ctx->groups[mid].first)
				ctx->groups[mid].first = at;
			return 0;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* a namespace's first pod: a new group */
	g.name = np__arena_strdup(&ctx->arena, pod->meta.ns);
	nso = np__find_ns(ctx, pod->meta.ns);
	if (nso) {
		g.labels = &nso->meta.labels;
	} else {
		struct np_labels *l = np__arena_alloc(&ctx->arena, sizeof(*l));
		struct np_label *v = np__arena_alloc(&ctx->arena, sizeof(*v));

		if (!l || !v)
			return -ENOMEM;
		v->key = "kubernetes.io/metadata.name";
		v->val = g.name;
		l->v = v;
		l->n = 1;
		g.labels = l;
	}
	if (!g.name)
		return -ENOMEM;
	g.first = at;
	g.count = 1;
	return np__arr_insert((void **)&ctx->groups, &ctx->ngroups,
			      &ctx->groupcap, lo, &g, sizeof(g));
}

void np__groups_remove(struct np_ctx *ctx, const struct np_obj *pod, size_t at)
{
	size_t i;

	for (i = 0; i < ctx->ngroups; i++) {
		if (!strcmp(ctx->groups[i].name, pod->meta.ns)) {
			if (!--ctx->groups[i].count) {
				np__arr_remove(ctx->groups, &ctx->ngroups, i,
					       sizeof(*ctx->groups));
				i--;
			}
			continue;
		}
		if (ctx->groups[i].first > at)
			ctx->groups[i].first--;
	}
}
