// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's view of the tiers: the ClusterPolicyEndpoints that name a
 * pod, folded into its PolicyEndpoint rule set exactly as tier.c folds the
 * ClusterNetworkPolicies they come from. And np_ruleset_compile(), which
 * picks the view.
 *
 * Per pod and direction the objects naming it go in order of tier (Admin
 * first), priority, policyRef name, then the object's own name (what
 * np_cluster_endpoints() writes makes the policy.networking.k8s.io group's
 * names sort before the networking.k8s.aws group's, as tier.c orders
 * them); inside an object, entries in list order: the first entry whose
 * CIDR holds the address and whose ports hold the flow decides, as the
 * first matching rule does. Provenance: the tier, the policyRef name and
 * the entry's index as the rule.
 *
 * A domainName entry needs DNS awareness: in an Accept it matches nothing
 * (logged), in a Deny or Pass the direction fails closed (-ENOTSUP, diag),
 * as tier.c does with the domainNames peer.
 */
#include <stdio.h>
#include <stdlib.h>

#include "opts.h"
#include "tier.h"

static int cpe_cmp(const void *a, const void *b)
{
	const struct np_obj *x = *(const struct np_obj *const *)a;
	const struct np_obj *y = *(const struct np_obj *const *)b;
	int r;

	if (x->cpe.tier != y->cpe.tier)
		return x->cpe.tier < y->cpe.tier ? -1 : 1;
	if (x->cpe.priority != y->cpe.priority)
		return x->cpe.priority < y->cpe.priority ? -1 : 1;
	r = strcmp(x->cpe.ref_name, y->cpe.ref_name);
	return r ? r : strcmp(x->meta.name, y->meta.name);
}

/*
 * Which ClusterPolicyEndpoints name which pod: every (namespace, name,
 * object) of their podSelectorEndpoints, sorted by pod then evaluation
 * order, built once per resolution context (a change of any cluster
 * policy kind drops the context, and this with it).
 */
struct cpe_ref {
	const char *ns, *name;
	const struct np_obj *o;
	const struct np_pe_pod *pp;
};

struct cpe_index {
	struct cpe_ref *v;
	size_t n;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct cpe_ref *x = a, *y = b;
	int r = strcmp(x->ns, y->ns);

	if (!r)
		r = strcmp(x->name, y->name);
	if (!r)
		r = cpe_cmp(&x->o, &y->o);
	if (!r && x->pp != y->pp)
		r = x->pp < y->pp ? -1 : 1;
	return r;
}

static void index_free(void *p)
{
	struct cpe_index *ix = p;

	if (ix)
		free(ix->v);
	free(ix);
}

static int index_of(struct np_cluster *c, struct cpe_index **out)
{
	struct np_obj **objs = NULL;
	struct cpe_index *ix;
	struct np_ctx *ctx;
	size_t nobj = 0, i, j, n = 0;
	int err;

	err = np__ctx_get(c, &ctx);
	if (err)
		return err;
	if (ctx->cpe_index) {
		*out = ctx->cpe_index;
		return 0;
	}
	err = np__cluster_sorted(c, NP_KIND_CLUSTER_POLICY_ENDPOINT, &objs,
				 &nobj);
	if (err)
		return err;
	for (i = 0; i < nobj; i++)
		n += objs[i]->cpe.npods;
	ix = calloc(1, sizeof(*ix));
	if (ix)
		ix->v = calloc(n + 1, sizeof(*ix->v));
	if (!ix || !ix->v) {
		index_free(ix);
		free(objs);
		return -ENOMEM;
	}
	for (i = 0; i < nobj; i++)
		for (j = 0; j < objs[i]->cpe.npods; j++) {
			const struct np_pe_pod *p = &objs[i]->cpe.pods[j];

			if (!p->ns || !p->name)
				continue;
			ix->v[ix->n++] =
				(struct cpe_ref){ p->ns, p->name, objs[i], p };
		}
	free(objs);
	if (ix->n)
		qsort(ix->v, ix->n, sizeof(*ix->v), ref_cmp);
	ctx->cpe_index = ix;
	ctx->cpe_index_free = index_free;
	*out = ix;
	return 0;
}

/* The first reference to pod ns/name, or ix->n. */
static size_t index_find(const struct cpe_index *ix, const char *ns,
			 const char *name)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(ix->v[mid].ns, ns);

		if (!r)
			r = strcmp(ix->v[mid].name, name);
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ix->n && !strcmp(ix->v[lo].ns, ns) &&
	    !strcmp(ix->v[lo].name, name))
		return lo;
	return ix->n;
}

/* The objects naming pod ns/name, in evaluation order; *out malloc'd. */
static int cpes_of(struct np_cluster *c, const char *ns, const char *name,
		   struct np_obj ***out, size_t *n)
{
	struct cpe_index *ix;
	size_t i, m = 0;
	int err;

	*out = NULL;
	*n = 0;
	if (!c->t[NP_KIND_CLUSTER_POLICY_ENDPOINT].n)
		return 0;
	err = index_of(c, &ix);
	if (err)
		return err;
	i = index_find(ix, ns, name);
	for (; i < ix->n && !strcmp(ix->v[i].ns, ns) &&
	       !strcmp(ix->v[i].name, name);
	     i++) {
		if (m && (*out)[m - 1] == ix->v[i].o)
			continue; /* the pod's second address */
		if (!*out) {
			*out = calloc(ix->n - i + 1, sizeof(**out));
			if (!*out)
				return -ENOMEM;
		}
		(*out)[m++] = (struct np_obj *)ix->v[i].o;
	}
	*n = m;
	return 0;
}

const struct np_pe_pod *np__cpe_ident(struct np_cluster *c, const char *ns,
				      const char *name)
{
	struct cpe_index *ix;
	size_t i;

	if (!c->t[NP_KIND_CLUSTER_POLICY_ENDPOINT].n || index_of(c, &ix))
		return NULL;
	i = index_find(ix, ns, name);
	return i < ix->n ? ix->v[i].pp : NULL;
}

static int tiv_cmp(const void *a, const void *b)
{
	const struct np_tiv *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* An entry's ports as intervals (none: every protocol and port). */
static int entry_ivs(struct np_arena *a, const struct np_cpe_entry *e,
		     struct np_tent *t)
{
	struct np_tiv *v;
	size_t i, n = 0;

	v = np__arena_alloc(a, (e->nports + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (!e->nports) {
		v[0].lo = 0;
		v[0].hi = NP_TIV_MAX;
		n = 1;
	}
	for (i = 0; i < e->nports; i++) {
		const struct np_port *p = &e->ports[i];
		uint32_t base = (uint32_t)p->proto << 16;

		v[n].lo = base | (p->has_port ? p->port : 0);
		v[n].hi = base |
			  (p->has_port ? (p->end_port ? p->end_port : p->port) :
					 65535);
		n++;
	}
	qsort(v, n, sizeof(*v), tiv_cmp);
	for (i = 1, t->niv = n ? 1 : 0; i < n; i++) {
		struct np_tiv *last = &v[t->niv - 1];

		if ((uint64_t)v[i].lo <= (uint64_t)last->hi + 1) {
			if (v[i].hi > last->hi)
				last->hi = v[i].hi;
			continue;
		}
		v[t->niv++] = v[i];
	}
	t->iv = v;
	return 0;
}

struct cpe_arg {
	struct np_cluster *c;
	const char *ns, *name;
	struct np_obj **objs;
	size_t n;
};

static int domain_entry(struct cpe_arg *x, int dir, const struct np_obj *o,
			size_t j, struct np_diag *diag)
{
	const struct np_cpe_entry *e =
		&(dir ? o->cpe.egress : o->cpe.ingress)[j];

	if (e->action == NP_CNP_ACCEPT) {
		np__log(x->c->log, x->c->log_ctx, NP_LOG_WARN,
			"ClusterPolicyEndpoint %s %s[%zu]: domainName %s not "
			"enforced (needs DNS awareness) for pod %s/%s: it "
			"matches nothing",
			o->meta.name, np_direction_name(dir), j, e->domain,
			x->ns, x->name);
		return 0;
	}
	if (diag) {
		memset(diag, 0, sizeof(*diag));
		diag->err = -ENOTSUP;
		diag->fail_closed_dirs = 1u << dir;
		snprintf(diag->object, sizeof(diag->object), "Pod %s/%s", x->ns,
			 x->name);
		snprintf(diag->path, sizeof(diag->path), "%s",
			 np_direction_name(dir));
		snprintf(diag->message, sizeof(diag->message),
			 "ClusterPolicyEndpoint %s spec.%s[%zu].domainName: "
			 "Not supported: a %s entry that cannot be enforced "
			 "(needs DNS awareness): failing closed",
			 o->meta.name, np_direction_name(dir), j,
			 np__cnp_action_name(e->action));
	}
	return -ENOTSUP;
}

/* Two objects of one tier at one priority for other policies: say so. */
static void warn_ties(struct cpe_arg *x, int dir)
{
	size_t i;

	for (i = 1; i < x->n; i++) {
		const struct np_obj *p = x->objs[i - 1], *q = x->objs[i];

		if (!(dir ? p->cpe.negress : p->cpe.ningress) ||
		    !(dir ? q->cpe.negress : q->cpe.ningress) ||
		    p->cpe.tier != q->cpe.tier ||
		    p->cpe.priority != q->cpe.priority ||
		    !strcmp(p->cpe.ref_name, q->cpe.ref_name))
			continue;
		np__log(x->c->log, x->c->log_ctx, NP_LOG_WARN,
			"ClusterPolicyEndpoints %s and %s: both %s priority %d "
			"with %s entries for pod %s/%s: %s goes first (name "
			"order)",
			p->meta.name, q->meta.name,
			np__cnp_tier_name(p->cpe.tier), (int)p->cpe.priority,
			np_direction_name(dir), x->ns, x->name, p->meta.name);
	}
}

static int cpe_src(void *arg, int dir, struct np_arena *a, struct np_fsrc *src,
		   struct np_diag *diag)
{
	struct cpe_arg *x = arg;
	size_t i, j, n = 0;
	int err;

	for (i = 0; i < x->n; i++)
		n += dir ? x->objs[i]->cpe.negress : x->objs[i]->cpe.ningress;
	if (!n)
		return 0;
	src->r = np__arena_alloc(a, n * sizeof(*src->r));
	src->e = np__arena_alloc(a, n * sizeof(*src->e));
	if (!src->r || !src->e)
		return -ENOMEM;
	for (i = 0; i < x->n; i++) {
		const struct np_obj *o = x->objs[i];
		const struct np_cpe_entry *e = dir ? o->cpe.egress :
						     o->cpe.ingress;
		size_t ne = dir ? o->cpe.negress : o->cpe.ningress;

		for (j = 0; j < ne; j++) {
			struct np_frule *r = &src->r[src->n];

			r->action = e[j].action;
			r->tier = o->cpe.tier;
			r->pol = o->cpe.ref_name;
			r->rule = (int)j;
			if (!e[j].cidr.family) {
				err = domain_entry(x, dir, o, j, diag);
				if (err)
					return err;
			} else {
				struct np_tent *t = &src->e[src->ne];

				t->cidr = e[j].cidr;
				t->rule = src->n;
				err = entry_ivs(a, &e[j], t);
				if (err)
					return err;
				src->ne++;
			}
			src->n++;
		}
	}
	warn_ties(x, dir);
	return 0;
}

int np__tier_fold_cpe(struct np_cluster *c, const char *ns, const char *name,
		      struct np_ruleset *rs, struct np_diag *diag)
{
	struct cpe_arg x = { c, ns, name, NULL, 0 };
	int err;

	err = cpes_of(c, ns, name, &x.objs, &x.n);
	if (!err && x.n)
		err = np__tier_fold_with(c, ns, name, rs, cpe_src, &x, diag);
	free(x.objs);
	return err;
}

static int compile_locked(struct np_ruleset **out, struct np_cluster *c,
			  const char *ns, const char *name,
			  const struct np_compile_opts *opts,
			  struct np_diag *diag)
{
	const struct np_pe_pod *ident;
	const struct np_obj *pod;
	struct np_ctx *ctx;
	int err;

	err = np__ruleset_compile_np(out, c, ns, name, opts, diag);
	if (NP_OPTS_GET(opts, source, NP_SOURCE_POLICIES) ==
	    NP_SOURCE_POLICIES) {
		if (err)
			return err;
		pod = np__cluster_find(c, NP_KIND_POD, ns, name);
		if (!pod)
			return 0;
		err = np__tier_fold(c, pod, *out, diag);
	} else {
		/* the agent's view: named by ClusterPolicyEndpoints only */
		if (err == -ENOENT) {
			ident = np__cpe_ident(c, ns, name);
			if (!ident || np__ctx_get(c, &ctx))
				return err;
			if (diag)
				memset(diag, 0, sizeof(*diag));
			err = np__ruleset_build(out, ctx, NULL, NULL, 0, ident,
						diag);
		}
		if (err)
			return err;
		err = np__tier_fold_cpe(c, ns, name, *out, diag);
	}
	if (err) {
		np_ruleset_free(*out);
		*out = NULL;
	}
	return err;
}

int np_ruleset_compile(struct np_ruleset **out, struct np_cluster *c,
		       const char *ns, const char *name,
		       const struct np_compile_opts *opts, struct np_diag *diag)
{
	int err;

	np__cluster_lock(c);
	err = compile_locked(out, c, ns, name, opts, diag);
	np__cluster_unlock(c);
	return np__diag_fail(diag, err);
}
