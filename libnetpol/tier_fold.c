// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fold of ClusterNetworkPolicy tiers into a pod's rule set (tier.c
 * has the model, the ordered rules and the reference evaluator): the entry
 * points. np__tier_fold() takes the cluster policies selecting a pod and
 * their rules in evaluation order, checks them and builds the pod's core
 * from one share per direction (fold_new()), or finds the whole core in
 * the fold cache; np__tier_fold_with() folds another source
 * (ClusterPolicyEndpoints, tier_cpe.c); np__tier_entries() expands the
 * ordered rules' peers for endpoints_cpe.c, which writes those.
 *
 * The fold's files, each calling only those below it (what they share:
 * tier_fold.h):
 *
 *   tier_fold.c   the entry points, a pod's rules, the core's provenance
 *   tier_cache.c  the caches that share the fold between pods
 *   tier_walk.c   the walk over a direction's prefixes, the fold at each
 *   tier_ents.c   the rules' entries and their universe
 *   tier_ivs.c    interval sets over (protocol << 16 | port)
 *
 * The fold is shared as far as its inputs are (struct tier_cache): each
 * rule's entries are resolved once per snapshot (selector peers through
 * the context's peer lists); the prefixes of all rules of a direction form
 * one sorted universe, so a pod's walk places its rules' entries by
 * counting; along the walk, prefixes whose matching rules (and ports) and
 * nearest NP key agree fold once (memo); a direction's keys and verdict
 * keys (vkeys) are shared by every pod whose selecting cluster policies
 * and NP keys of that direction agree, then by every pod whose NP keys
 * differ only where the Admin tier decides everything (np_relevant():
 * a namespace's own pods, under an Admin rule for every namespace), and
 * by content between such groups;
 * a pod's core borrows them (np_rs_core.shared) and owns only its
 * provenance, laid out alike in every core that borrows one share
 * (prov_layout()). A ClusterPolicyEndpoint source (np__tier_fold_with())
 * goes through the same walk over a universe of its own entries.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ruleset_internal.h"
#include "tier.h"
#include "tier_fold.h"

/* --- a pod's cluster policies and rules --------------------------------- */

/* The cluster policies with rules whose subject selects pod (malloc'd). */
static int pod_cnps(const struct np_ctx *ctx, const struct tier_cache *tc,
		    const struct np_obj *pod, const struct np_obj ***out,
		    size_t *n)
{
	const struct np_obj **v;
	const struct np_labels *nsl;
	struct np_labels tmp;
	struct np_label one;
	size_t i, m = 0;

	v = malloc((tc->ncnps + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (np__pod_selectable(pod)) {
		nsl = np__ns_labels(ctx, pod->meta.ns, &tmp, &one);
		for (i = 0; i < tc->ncnps; i++) {
			const struct np_cnp *p = &tc->cnps[i]->cnp;

			if ((p->ningress || p->negress) &&
			    np__tier_subject_nsl(p, nsl, pod))
				v[m++] = tc->cnps[i];
		}
	}
	*out = v;
	*n = m;
	return 0;
}

/* The rules of cluster policies sel in dir, in evaluation order. */
static int rules_of(const struct np_obj *const *sel, size_t nsel, int dir,
		    struct np_trule **out, size_t *n)
{
	struct np_trule *v;
	size_t m = 0, i, j;

	for (i = 0; i < nsel; i++)
		m += dir ? sel[i]->cnp.negress : sel[i]->cnp.ningress;
	v = malloc((m + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m = 0;
	for (i = 0; i < nsel; i++) {
		const struct np_cnp *p = &sel[i]->cnp;
		const struct np_cnp_rule *r = dir ? p->egress : p->ingress;
		size_t nr = dir ? p->negress : p->ningress;

		for (j = 0; j < nr; j++) {
			v[m].pol = sel[i];
			v[m].r = &r[j];
			v[m].idx = (int)j;
			m++;
		}
	}
	if (m)
		qsort(v, m, sizeof(*v), np__tier_trule_cmp);
	*out = v;
	*n = m;
	return 0;
}

/* The rules tr as the fold sees them (malloc'd). */
static struct np_frule *frules_of(const struct np_trule *tr, size_t n)
{
	struct np_frule *fr = malloc((n + 1) * sizeof(*fr));
	size_t i;

	for (i = 0; fr && i < n; i++) {
		fr[i].action = tr[i].r->action;
		fr[i].tier = tr[i].pol->cnp.tier;
		fr[i].pol = tr[i].pol->meta.name;
		fr[i].rule = tr[i].idx;
	}
	return fr;
}

/* --- the folded core ---------------------------------------------------- */

/*
 * Core co's provenance: the rules fr[0] of ingress, fr[1] of egress, the
 * NP core's, the default. prov[d]: rule_prov0, np_prov0 and def_prov of
 * direction d's fold.
 */
static int prov_layout(struct np_rs_core *co,
		       const struct np_frule *const fr[2], const size_t n[2],
		       const struct np_rs_core *np, uint32_t prov[2][3])
{
	size_t i, m;
	int d;

	co->nprov = n[0] + n[1] + np->nprov + 1;
	co->prov = np__arena_zalloc(&co->arena, co->nprov * sizeof(*co->prov));
	if (!co->prov)
		return -ENOMEM;
	for (d = m = 0; d < 2; d++)
		for (i = 0; i < n[d]; i++, m++) {
			struct np_prov *p = &co->prov[m];

			p->pol_ns = "";
			p->pol_name =
				np__arena_strdup(&co->arena, fr[d][i].pol);
			p->rule = fr[d][i].rule;
			p->tier = fr[d][i].tier == NP_CNP_TIER_ADMIN ?
					  NP_TIER_ADMIN :
					  NP_TIER_BASELINE;
			if (!p->pol_name)
				return -ENOMEM;
		}
	for (i = 0; i < np->nprov; i++, m++) {
		struct np_prov *p = &co->prov[m];

		*p = np->prov[i];
		p->pol_ns = p->pol_ns ?
				    np__arena_strdup(&co->arena, p->pol_ns) :
				    NULL;
		p->pol_name = np__arena_strdup(&co->arena, p->pol_name);
		if (!p->pol_name || (np->prov[i].pol_ns && !p->pol_ns))
			return -ENOMEM;
	}
	co->prov[m].pol_ns = "";
	co->prov[m].pol_name = "default";
	co->prov[m].rule = -1;
	co->prov[m].tier = NP_TIER_DEFAULT;
	for (d = 0; d < 2; d++) {
		prov[d][0] = d ? (uint32_t)n[0] : 0;
		prov[d][1] = (uint32_t)(n[0] + n[1]);
		prov[d][2] = (uint32_t)m;
	}
	return 0;
}

/* A core's hash by its two shares (both cached: their addresses hold). */
struct pair_ent {
	const struct np_rs_core *sh[2];
	uint64_t hash;
};

static bool pair_eq(const void *val, const void *key)
{
	const struct pair_ent *e = val, *k = key;

	return e->sh[0] == k->sh[0] && e->sh[1] == k->sh[1];
}

/*
 * A new core: rs's NetworkPolicy core with the rules tr[d] folded in,
 * provenance as prov_layout(); the keys of each direction are a share's.
 */
static int fold_new(struct np_ctx *ctx, struct tier_cache *tc,
		    const struct np_obj *pod, struct np_ruleset *rs,
		    const struct np_obj **sel, size_t nsel,
		    struct np_trule *const tr[2], const size_t n[2],
		    struct np_rs_core **out, struct np_diag *diag)
{
	const struct np_rs_core *np = rs->core;
	struct np_frule *fr[2] = { NULL, NULL };
	struct np_arena arena = { 0 };
	struct pair_ent pk, *pe;
	struct np_rs_core *co;
	uint32_t prov[2][3];
	unsigned int big = 0;
	bool cached[2] = { false, false };
	uint64_t h;
	int d, err;

	co = np__arena_zalloc(&arena, sizeof(*co));
	if (!co)
		return -ENOMEM;
	co->arena = arena;
	co->refs = 1;
	fr[0] = frules_of(tr[0], n[0]);
	fr[1] = frules_of(tr[1], n[1]);
	err = fr[0] && fr[1] ? 0 : -ENOMEM;
	if (!err)
		err = prov_layout(co, (const struct np_frule *const *)fr, n, np,
				  prov);
	if (err)
		goto fail;
	for (d = 0; d < 2; d++) {
		err = np__tier_share_for(ctx, tc, pod, np, sel, nsel, d, tr[d],
					 fr[d], n[d], prov[d], &co->shared[d],
					 &cached[d]);
		if (err)
			goto fail;
		co->keys[d] = co->shared[d]->keys[d];
		co->nkeys[d] = co->shared[d]->nkeys[d];
		co->vkeys[d] = co->shared[d]->vkeys[d];
		co->nvkeys[d] = co->shared[d]->nvkeys[d];
		co->isolated[d] = co->shared[d]->isolated[d];
		err = np__check_slots(co, d, pod->meta.ns, pod->meta.name,
				      big ? NULL : diag);
		if (err == -E2BIG) {
			big |= 1u << d;
			err = 0;
		}
		if (err)
			goto fail;
	}
	if (big) {
		if (diag)
			diag->fail_closed_dirs = big;
		err = -E2BIG;
		goto fail;
	}
	/* the hash is the keys': once per pair of shares */
	pk.sh[0] = co->shared[0];
	pk.sh[1] = co->shared[1];
	h = mix((uintptr_t)pk.sh[0], (uintptr_t)pk.sh[1]);
	pe = cached[0] && cached[1] ?
		     np__hashmap_get(&tc->pairs, h, pair_eq, &pk) :
		     NULL;
	if (pe) {
		co->hash = pe->hash;
	} else {
		np__core_hash(co);
		pe = cached[0] && cached[1] ? malloc(sizeof(*pe)) : NULL;
		if (pe) {
			*pe = pk;
			pe->hash = co->hash;
			if (np__hashmap_add(&tc->pairs, h, pe, 64))
				free(pe);
		}
	}
	free(fr[0]);
	free(fr[1]);
	*out = co;
	return 0;
fail:
	free(fr[0]);
	free(fr[1]);
	np__core_put(co);
	return err;
}

int np__tier_fold(struct np_cluster *c, const struct np_obj *pod,
		  struct np_ruleset *rs, struct np_diag *diag)
{
	struct np_trule *tr[2] = { NULL, NULL };
	const struct np_obj **sel = NULL;
	struct fold_ent key = { 0 }, *hit;
	struct tier_cache *tc;
	struct np_rs_core *co;
	struct np_ctx *ctx;
	size_t n[2] = { 0, 0 }, nsel;
	uint64_t h;
	int d, err;

	if (!np__tier_any(c))
		return 0;
	err = np__ctx_get(c, &ctx);
	if (!err)
		err = np__tier_cache_of(c, ctx, &tc);
	if (!err)
		err = pod_cnps(ctx, tc, pod, &sel, &nsel);
	if (err)
		return err;
	/* no cluster policy rule for this pod: the rule set as it is */
	if (!nsel)
		goto out;
	key.np = rs->core;
	key.in.sel = sel;
	key.in.nsel = nsel;
	key.in.dir = 2;
	key.in.named = np__tier_sel_named(sel, nsel);
	key.in.ports = pod->pod.ports;
	key.in.nports = pod->pod.nports;
	h = np__tier_fold_ent_hash(&key);
	hit = np__hashmap_get(&tc->folds, h, np__tier_fold_ent_eq, &key);
	/*
	 * What is said about the pod (warnings, through the log), said for
	 * each pod; a cached fold passed the checks (the same rules).
	 */
	for (d = 0; d < 2 && (!hit || c->log); d++) {
		err = rules_of(sel, nsel, d, &tr[d], &n[d]);
		if (!err)
			err = np__tier_check_enforceable(c, pod, d, tr[d], n[d],
							 diag);
		if (err)
			goto out;
		np__tier_warn_ties(c, pod, d, tr[d], n[d]);
		np__tier_warn_own_node(c, ctx, pod, d, tr[d], n[d]);
	}
	if (hit) {
		co = hit->core;
		__atomic_add_fetch(&co->refs, 1, __ATOMIC_RELAXED);
	} else {
		err = fold_new(ctx, tc, pod, rs, sel, nsel, tr, n, &co, diag);
		if (err)
			goto out;
		np__tier_fold_cache_add(tc, &key, h, co);
	}
	np__core_put(rs->core);
	rs->core = co;
out:
	free(tr[0]);
	free(tr[1]);
	free(sel);
	return err;
}

/* --- the entries of the ordered rules ----------------------------------- */

/* One prefix of one rule with the rule's ports for it. */
struct tent {
	struct np_cidr cidr;
	size_t rule; /* index into the ordered rules */
	struct ivs ports;
};

struct tbuf {
	struct tent *v;
	size_t n, cap;
};

static int tent_add(struct tbuf *b, const struct np_cidr *cidr, size_t rule,
		    const struct ivs *ports)
{
	if (NP_GROW(b->v, b->cap, b->n + 1))
		return -ENOMEM;
	b->v[b->n].cidr = *cidr;
	b->v[b->n].rule = rule;
	b->v[b->n].ports = *ports;
	b->n++;
	return 0;
}

/* Every prefix of the ordered rules, with its ports. */
static int tier_entries(struct np_ctx *ctx, struct np_arena *a,
			const struct np_obj *pod, int dir,
			const struct np_trule *tr, size_t n, struct tbuf *b)
{
	struct ivs own, peer_ports;
	size_t i, j, k, x;
	int err;

	if (dir) {
		err = np__service_backends(ctx);
		if (err)
			return err;
	}
	for (i = 0; i < n; i++) {
		const struct np_cnp_rule *r = tr[i].r;

		err = np__tier_rule_ivs(a, r, dir ? NULL : pod, &own);
		if (err)
			return err;
		/* egress: the ClusterIPs of Services by their backends */
		for (k = 0; dir && k < ctx->nsvcs; k++) {
			const struct np_service *sv = &ctx->svcs[k]->svc;
			size_t y;

			for (x = 0; x < sv->nips; x++)
				for (y = 0; y < sv->nports; y++) {
					const struct np_service_port *sp =
						&sv->ports[y];
					struct np_cidr hc;
					struct ivs pt;

					if (!np__tier_svc_hit(
						    ctx, pod, r, k, sp,
						    sv->ips[x].family))
						continue;
					pt.v = np__arena_alloc(a,
							       sizeof(*pt.v));
					if (!pt.v)
						return -ENOMEM;
					pt.n = 1;
					pt.v->lo = pt.v->hi =
						(uint32_t)sp->proto << 16 |
						sp->port;
					host_cidr(&sv->ips[x], &hc);
					if (tent_add(b, &hc, i, &pt))
						return -ENOMEM;
				}
		}
		for (j = 0; j < r->npeers; j++) {
			const struct np_cnp_peer *p = &r->peers[j];

			if (p->kind == NP_CNP_PEER_NETWORKS) {
				for (k = 0; k < p->nnets; k++)
					if (tent_add(b, &p->nets[k], i, &own))
						return -ENOMEM;
				continue;
			}
			/* the selected Nodes' addresses, as hosts */
			for (k = 0;
			     p->kind == NP_CNP_PEER_NODES && k < ctx->nnodes;
			     k++) {
				const struct np_kube_node *kn =
					&ctx->nodes[k]->node;
				struct np_cidr hc;

				if (!np__tier_node_selected(p, ctx->nodes[k]))
					continue;
				for (x = 0; x < kn->naddrs; x++) {
					host_cidr(&kn->addrs[x].ip, &hc);
					if (tent_add(b, &hc, i, &own))
						return -ENOMEM;
				}
			}
			if (p->kind != NP_CNP_PEER_NAMESPACES &&
			    p->kind != NP_CNP_PEER_PODS)
				continue;
			for (k = 0; k < ctx->npods; k++) {
				const struct np_obj *q = ctx->pods[k];
				struct np_cidr hc;

				if (!np__tier_peer_pod_match(ctx, p, q))
					continue;
				peer_ports = own;
				if (dir) {
					err = np__tier_rule_ivs(a, r, q,
								&peer_ports);
					if (err)
						return err;
				}
				for (x = 0; x < q->pod.nips; x++) {
					host_cidr(&q->pod.ips[x], &hc);
					if (tent_add(b, &hc, i, &peer_ports))
						return -ENOMEM;
				}
			}
		}
	}
	return 0;
}

/* --- other sources (tier_cpe.c) ----------------------------------------- */

int np__tier_entries(struct np_ctx *ctx, struct np_arena *a,
		     const struct np_obj *pod, int dir,
		     const struct np_trule *tr, size_t n, struct np_tent **out,
		     size_t *nout)
{
	struct tbuf b = { 0 };
	size_t i;
	int err;

	*out = NULL;
	*nout = 0;
	err = tier_entries(ctx, a, pod, dir, tr, n, &b);
	if (!err && b.n) {
		*out = np__arena_alloc(a, b.n * sizeof(**out));
		if (!*out)
			err = -ENOMEM;
	}
	for (i = 0; !err && i < b.n; i++) {
		(*out)[i].cidr = b.v[i].cidr;
		(*out)[i].rule = b.v[i].rule;
		(*out)[i].iv = b.v[i].ports.v;
		(*out)[i].niv = b.v[i].ports.n;
	}
	if (!err)
		*nout = b.n;
	free(b.v);
	return err;
}

int np__tier_fold_with(struct np_cluster *c, const char *ns, const char *name,
		       struct np_ruleset *rs, np__fsrc_fn fn, void *arg,
		       struct np_diag *diag)
{
	struct np_arena arena = { 0 }, scratch = { 0 };
	struct np_intern in = { 0 };
	struct np_fsrc src[2] = { { 0 } };
	const struct np_frule *fr[2];
	struct np_rs_core *co;
	uint32_t prov[2][3];
	size_t n[2];
	unsigned int big = 0;
	int d, err;

	(void)c;
	for (d = 0; d < 2; d++) {
		err = fn(arg, d, &scratch, &src[d], diag);
		if (err) {
			np__arena_release(&scratch);
			return err;
		}
		fr[d] = src[d].r;
		n[d] = src[d].n;
	}
	/* no cluster policy rule for this pod: the rule set as it is */
	if (!src[0].n && !src[1].n) {
		np__arena_release(&scratch);
		return 0;
	}
	co = np__arena_zalloc(&arena, sizeof(*co));
	if (!co) {
		np__arena_release(&scratch);
		return -ENOMEM;
	}
	co->arena = arena;
	co->refs = 1;
	in.a = &co->arena;
	err = prov_layout(co, fr, n, rs->core, prov);
	for (d = 0; !err && d < 2; d++) {
		err = np__tier_fold_dir_src(&src[d], rs->core, d, prov[d], co,
					    &in, &scratch);
		if (!err) {
			err = np__check_slots(co, d, ns, name,
					      big ? NULL : diag);
			if (err == -E2BIG) {
				big |= 1u << d;
				err = 0;
			}
		}
	}
	if (!err && big) {
		if (diag)
			diag->fail_closed_dirs = big;
		err = -E2BIG;
	}
	np__intern_release(&in);
	np__arena_release(&scratch);
	if (err) {
		np__core_put(co);
		return err;
	}
	np__core_hash(co);
	np__core_put(rs->core);
	rs->core = co;
	return 0;
}
