// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fold of ClusterNetworkPolicy tiers into a pod's rule set (tier.c
 * has the model, the ordered rules and the reference evaluator): its entry
 * points and the caches that share the walk over the rules' prefixes
 * (tier_walk.c) between pods (interval sets: tier_ivs.c; the rules' entries
 * and their universe: tier_ents.c; what they share: tier_fold.h).
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

/* --- the fold's caches -------------------------------------------------- */

/*
 * What the fold's caches key on besides the NP core: the cluster policies
 * selecting the pod, the direction (2: both) and, when one of them has an
 * ingress named port, the pod's container ports. First in each entry,
 * whose copy of sel follows it (in_dup()).
 */
struct fold_in {
	const struct np_obj **sel;
	size_t nsel;
	const struct np_container_port *ports;
	size_t nports;
	int dir;
	bool named;
};

static bool ports_eq(const struct np_container_port *x,
		     const struct np_container_port *y, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i].proto != y[i].proto || x[i].port != y[i].port ||
		    !x[i].name != !y[i].name ||
		    (x[i].name && strcmp(x[i].name, y[i].name)))
			return false;
	return true;
}

static bool in_eq(const struct fold_in *x, const struct fold_in *y)
{
	return x->dir == y->dir && x->nsel == y->nsel && x->named == y->named &&
	       !memcmp(x->sel, y->sel, y->nsel * sizeof(*y->sel)) &&
	       (!y->named || (x->nports == y->nports &&
			      ports_eq(x->ports, y->ports, y->nports)));
}

static uint64_t in_hash(uint64_t h, const struct fold_in *k)
{
	size_t i;

	h = mix(h, (uint64_t)k->dir);
	for (i = 0; i < k->nsel; i++)
		h = mix(h, (uintptr_t)k->sel[i]);
	for (i = 0; k->named && i < k->nports; i++)
		h = mix(h,
			(uint64_t)k->ports[i].proto << 16 | k->ports[i].port);
	return h;
}

/*
 * A cache entry of size bytes (struct fold_in first), zeroed but for its
 * inputs: k's, with a copy of k's sel after the entry.
 */
static void *in_dup(size_t size, const struct fold_in *k)
{
	struct fold_in *e = calloc(1, size + (k->nsel + 1) * sizeof(*k->sel));

	if (!e)
		return NULL;
	*e = *k;
	e->sel = (const struct np_obj **)((char *)e + size);
	memcpy(e->sel, k->sel, k->nsel * sizeof(*k->sel));
	return e;
}

static void fold_cache_clear(struct tier_cache *tc);
static void share_cache_clear(struct tier_cache *tc);

static void tier_cache_clear(struct tier_cache *tc)
{
	fold_cache_clear(tc);
	share_cache_clear(tc);
	np__tier_rule_ents_free(tc);
	np__arena_release(&tc->arena);
	free(tc->cnps);
	tc->cnps = NULL;
	tc->ncnps = 0;
}

static void tier_cache_free(void *p)
{
	struct tier_cache *tc = p;

	if (!tc)
		return;
	tier_cache_clear(tc);
	free(tc->own);
	free(tc->start);
	free(tc);
}

/* The context's cache, as of the context's snapshot. */
static int tier_cache_of(struct np_cluster *c, struct np_ctx *ctx,
			 struct tier_cache **out)
{
	static const enum np_kind kinds[] = {
		NP_KIND_CLUSTER_NETWORK_POLICY,
		NP_KIND_AWS_CLUSTER_NETWORK_POLICY,
	};
	struct tier_cache *tc = ctx->tier_cache;
	struct np_obj **objs;
	size_t k, nobj;
	int err;

	if (tc && tc->gen == ctx->gen && tc->cnps) {
		*out = tc;
		return 0;
	}
	if (!tc) {
		tc = calloc(1, sizeof(*tc));
		if (!tc)
			return -ENOMEM;
		ctx->tier_cache = tc;
		ctx->tier_cache_free = tier_cache_free;
	}
	tier_cache_clear(tc);
	tc->cnps = malloc((c->t[kinds[0]].n + c->t[kinds[1]].n + 1) *
			  sizeof(*tc->cnps));
	if (!tc->cnps)
		return -ENOMEM;
	for (k = 0; k < 2; k++) {
		err = np__cluster_sorted(c, kinds[k], &objs, &nobj);
		if (err) {
			free(tc->cnps);
			tc->cnps = NULL;
			return err;
		}
		if (nobj)
			memcpy(tc->cnps + tc->ncnps, objs,
			       nobj * sizeof(*objs));
		tc->ncnps += nobj;
		free(objs);
	}
	tc->gen = ctx->gen;
	*out = tc;
	return 0;
}

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

/*
 * np__tier_admin_decided() of the rules of the cluster policies sel in
 * direction dir (and for ingress with named ports, the pod's ports),
 * remembered.
 */
struct dec_ent {
	struct fold_in in;
	uint8_t *dec;
};

static bool dec_eq(const void *val, const void *key)
{
	const struct dec_ent *e = val, *k = key;

	return in_eq(&e->in, &k->in);
}

static uint64_t dec_hash(const struct dec_ent *k)
{
	return in_hash(0x646563, &k->in);
}

static void dec_ent_free(void *p)
{
	struct dec_ent *e = p;

	free(e->dec);
	free(e);
}

static void dec_cache_clear(struct tier_cache *tc)
{
	np__hashmap_release_each(&tc->decs, dec_ent_free);
	tc->dec_bytes = 0;
}

struct prep {
	struct np_ctx *ctx;
	const struct np_obj *pod;
	const struct np_trule *tr;
	bool done;
};

/* np__tier_fold_prep() of p's rules once, when first needed. */
static int prep_once(struct tier_cache *tc, struct prep *p, int dir, size_t n,
		     struct np_arena *a)
{
	int err;

	if (p->done)
		return 0;
	err = np__tier_fold_prep(p->ctx, tc, p->pod, dir, p->tr, n, a);
	p->done = !err;
	return err;
}

/*
 * Remember dec (nu + 1 bytes, malloc'd) as key's; true when the cache
 * took it. Bounded to an eighth of the tier cache's budget.
 */
static bool dec_cache_add(struct tier_cache *tc, const struct dec_ent *key,
			  uint64_t h, uint8_t *dec, size_t nu)
{
	struct dec_ent *e;

	if (tc->dec_bytes + nu + 1 > NP_TIER_CACHE / 8)
		return false;
	e = in_dup(sizeof(*e), &key->in);
	if (!e)
		return false;
	e->dec = dec;
	if (np__hashmap_add(&tc->decs, h, e, 64)) {
		free(e);
		return false;
	}
	tc->dec_bytes += nu + 1;
	return true;
}

/*
 * The NP keys of direction dir that the fold of the rules fr (placed by
 * np__tier_fold_prep() through p when needed; key: whose they are) can see,
 * sorted (malloc'd *out, *nout of them). A key at a prefix of the walk
 * where the Admin rules decide everything, there and at every prefix of
 * the walk inside it, changes nothing: fold_at() never reaches the
 * NetworkPolicy step at those prefixes, and the walk visits the prefix
 * whether the key is there or not. So pods whose NP keys differ only
 * there fold alike (struct proj_ent), and the walk skips those keys.
 */
static int np_relevant(struct tier_cache *tc, const struct np_rs_core *np,
		       const struct dec_ent *key, struct prep *p,
		       const struct np_frule *fr, size_t n, struct np_arena *a,
		       const struct np_rs_key ***out, size_t *nout)
{
	int dir = key->in.dir;
	const struct np_cidr *uni = tc->uni[dir];
	const struct np_rs_key **k;
	size_t nu = tc->nuni[dir], nk = np->nkeys[dir], i, j, m;
	const struct dec_ent *e;
	uint64_t h = dec_hash(key);
	uint8_t *tmp = NULL;
	const uint8_t *dec;
	int err;

	e = np__hashmap_get(&tc->decs, h, dec_eq, key);
	if (e) {
		dec = e->dec;
	} else {
		tmp = calloc(nu + 1, 1);
		err = tmp ? prep_once(tc, p, dir, n, a) : -ENOMEM;
		if (!err)
			err = np__tier_admin_decided(tc, dir, fr, n, a, tmp);
		if (err) {
			free(tmp);
			return err;
		}
		dec = tmp;
		if (dec_cache_add(tc, key, h, tmp, nu))
			tmp = NULL; /* the cache's now */
	}
	k = malloc((nk + 1) * sizeof(*k));
	if (!k) {
		free(tmp);
		return -ENOMEM;
	}
	for (j = 0; j < nk; j++)
		k[j] = &np->keys[dir][j];
	np__tier_key_ptr_sort(k, nk);
	/* the keys at a decided prefix go; both lists are sorted alike */
	for (i = j = m = 0; j < nk; j++) {
		int c = 1;

		while (i < nu && (c = cidr_sort_cmp(&uni[i], &k[j]->cidr)) < 0)
			i++;
		if (i < nu && !c && dec[i])
			continue;
		k[m++] = k[j];
	}
	free(tmp);
	*out = k;
	*nout = m;
	return 0;
}

/* A folded core, by its inputs. */
struct fold_ent {
	struct fold_in in;
	struct np_rs_core *np; /* the NetworkPolicy core (a reference) */
	struct np_rs_core *core; /* the fold (a reference) */
};

static bool fold_ent_eq(const void *val, const void *key)
{
	const struct fold_ent *e = val, *k = key;

	return e->np == k->np && in_eq(&e->in, &k->in);
}

static uint64_t fold_ent_hash(const struct fold_ent *k)
{
	return in_hash(mix(0x666f6c64, (uintptr_t)k->np), &k->in);
}

static void fold_ent_free(void *p)
{
	struct fold_ent *e = p;

	np__core_put(e->np);
	np__core_put(e->core);
	free(e);
}

static void fold_cache_clear(struct tier_cache *tc)
{
	np__hashmap_release_each(&tc->folds, fold_ent_free);
	tc->bytes = 0;
}

/*
 * Remember core as the fold of key's inputs. Bounded like the core cache:
 * past NP_TIER_CACHE bytes, or 65536 slots, it starts over.
 */
static void fold_cache_add(struct tier_cache *tc, const struct fold_ent *key,
			   uint64_t h, struct np_rs_core *core)
{
	struct fold_ent *e;

	if (tc->bytes + core->arena.used > NP_TIER_CACHE ||
	    (tc->folds.n + 1 > tc->folds.cap / 2 && tc->folds.cap * 2 > 65536))
		fold_cache_clear(tc);
	e = in_dup(sizeof(*e), &key->in);
	if (!e)
		return;
	e->np = key->np;
	if (np__hashmap_add(&tc->folds, h, e, 64)) {
		free(e);
		return;
	}
	__atomic_add_fetch(&e->np->refs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&core->refs, 1, __ATOMIC_RELAXED);
	e->core = core;
	tc->bytes += core->arena.used;
}

/* Whether an ingress rule of the cluster policies sel has a named port. */
static bool sel_named(const struct np_obj *const *sel, size_t nsel)
{
	size_t i, j;

	for (i = 0; i < nsel; i++)
		for (j = 0; j < sel[i]->cnp.ningress; j++)
			if (np__cnp_rule_has_named(&sel[i]->cnp.ingress[j]))
				return true;
	return false;
}

/* Whether NP keys p and q give a fold the same input. */
static bool np_key_same(const struct np_rs_key *p, const struct np_rs_key *q)
{
	size_t j;

	if (cidr_sort_cmp(&p->cidr, &q->cidr) || p->ncontrib != q->ncontrib ||
	    !np__pset_eq(p->ports, q->ports))
		return false;
	for (j = 0; j < p->ncontrib; j++)
		if (p->contrib[j].prov != q->contrib[j].prov ||
		    !np__pset_eq(p->contrib[j].ports, q->contrib[j].ports))
			return false;
	return true;
}

static uint64_t np_key_hash(uint64_t h, const struct np_rs_key *k)
{
	uint64_t a[2];

	memcpy(a, k->cidr.addr, sizeof(a));
	h = mix(mix(mix(h, a[0]), a[1]),
		(uint64_t)k->cidr.len << 32 | k->ncontrib);
	return mix(h, (uint64_t)k->ports->n << 1 | k->ports->all);
}

/* Whether NP cores x and y give direction d's fold the same input. */
static bool np_dir_eq(const struct np_rs_core *x, const struct np_rs_core *y,
		      int d)
{
	size_t i;

	if (x == y)
		return true;
	if (x->isolated[d] != y->isolated[d] || x->nkeys[d] != y->nkeys[d] ||
	    x->nprov != y->nprov)
		return false;
	for (i = 0; i < x->nkeys[d]; i++)
		if (!np_key_same(&x->keys[d][i], &y->keys[d][i]))
			return false;
	return true;
}

static uint64_t np_dir_hash(const struct np_rs_core *x, int d)
{
	uint64_t h = mix(mix(0x6e70, x->isolated[d]), x->nprov);
	size_t i;

	h = mix(h, x->nkeys[d]);
	for (i = 0; i < x->nkeys[d]; i++)
		h = np_key_hash(h, &x->keys[d][i]);
	return h;
}

/*
 * One direction's fold, shared by the cores of pods with the same inputs
 * there: the selecting cluster policies, the NP keys of that direction
 * (by content), and for ingress with a named port the pod's ports.
 */
struct share_ent {
	struct fold_in in;
	struct np_rs_core *np; /* a reference: compared by content */
	struct np_rs_core *sh; /* a reference */
};

static bool share_eq(const void *val, const void *key)
{
	const struct share_ent *e = val, *k = key;

	return in_eq(&e->in, &k->in) && np_dir_eq(e->np, k->np, k->in.dir);
}

static uint64_t share_hash(const struct share_ent *k)
{
	return in_hash(np_dir_hash(k->np, k->in.dir), &k->in);
}

static void proj_cache_clear(struct tier_cache *tc);
static void dec_cache_clear(struct tier_cache *tc);

static void share_ent_free(void *p)
{
	struct share_ent *e = p;

	np__core_put(e->np);
	np__core_put(e->sh);
	free(e);
}

static void share_cache_clear(struct tier_cache *tc)
{
	np__hashmap_release_each(&tc->shares, share_ent_free);
	proj_cache_clear(tc);
	dec_cache_clear(tc);
	np__hashmap_release_each(&tc->canon, free);
	np__hashmap_release_each(&tc->pairs, free);
	tc->share_bytes = 0;
}

/*
 * Remember sh as the fold of key's inputs, bounded as the fold cache
 * (bytes: sh's, 0 when the cache holds it already).
 */
static bool share_cache_add(struct tier_cache *tc, const struct share_ent *key,
			    uint64_t h, struct np_rs_core *sh, size_t bytes)
{
	struct share_ent *e;

	if (tc->share_bytes + bytes > NP_TIER_CACHE || tc->shares.n >= 32768)
		return false;
	e = in_dup(sizeof(*e), &key->in);
	if (!e)
		return false;
	e->np = key->np;
	if (np__hashmap_add(&tc->shares, h, e, 64)) {
		free(e);
		return false;
	}
	__atomic_add_fetch(&e->np->refs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sh->refs, 1, __ATOMIC_RELAXED);
	e->sh = sh;
	tc->share_bytes += bytes;
	return true;
}

/*
 * One direction's fold by what it can see: the selecting cluster policies
 * (and named ports) as in struct share_ent, and of the NP core only the
 * keys np_relevant() keeps, with its isolation and provenance count. Pods
 * whose NP keys differ only where the Admin tier decides everything find
 * the share here without a walk.
 */
struct proj_ent {
	struct fold_in in;
	struct np_rs_core *np; /* a reference: keeps k's keys */
	const struct np_rs_key **k; /* malloc'd */
	size_t nk;
	struct np_rs_core *sh; /* a reference */
};

static bool proj_eq(const void *val, const void *key)
{
	const struct proj_ent *e = val, *k = key;
	int d = k->in.dir;
	size_t i;

	if (e->nk != k->nk || e->np->isolated[d] != k->np->isolated[d] ||
	    e->np->nprov != k->np->nprov || !in_eq(&e->in, &k->in))
		return false;
	for (i = 0; i < k->nk; i++)
		if (e->k[i] != k->k[i] && !np_key_same(e->k[i], k->k[i]))
			return false;
	return true;
}

static uint64_t proj_hash(const struct proj_ent *k)
{
	uint64_t h = mix(0x70726f6a, k->np->isolated[k->in.dir]);
	size_t i;

	h = mix(mix(h, k->np->nprov), k->nk);
	for (i = 0; i < k->nk; i++)
		h = np_key_hash(h, k->k[i]);
	return in_hash(h, &k->in);
}

static void proj_ent_free(void *p)
{
	struct proj_ent *e = p;

	np__core_put(e->np);
	np__core_put(e->sh);
	free(e->k);
	free(e);
}

static void proj_cache_clear(struct tier_cache *tc)
{
	np__hashmap_release_each(&tc->projs, proj_ent_free);
}

/*
 * Remember sh as the fold of key's inputs (the entry takes key->k); false,
 * and key->k freed, when it is not kept. Only shares the share cache
 * holds, so it is bounded as that one.
 */
static bool proj_cache_add(struct tier_cache *tc, struct proj_ent *key,
			   uint64_t h, struct np_rs_core *sh)
{
	size_t bytes = sizeof(struct proj_ent) +
		       (key->nk + key->in.nsel + 1) * sizeof(void *);
	struct proj_ent *e;

	if (tc->projs.n >= 32768 || tc->share_bytes + bytes > NP_TIER_CACHE)
		goto drop;
	e = in_dup(sizeof(*e), &key->in);
	if (!e)
		goto drop;
	e->np = key->np;
	e->k = key->k;
	e->nk = key->nk;
	if (np__hashmap_add(&tc->projs, h, e, 64)) {
		free(e);
		goto drop;
	}
	__atomic_add_fetch(&e->np->refs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sh->refs, 1, __ATOMIC_RELAXED);
	e->sh = sh;
	key->k = NULL;
	tc->share_bytes += bytes;
	return true;
drop:
	free(key->k);
	key->k = NULL;
	return false;
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
 * Shares by content: folds of different inputs often give the same keys
 * (an Admin rule that decides everything the NetworkPolicies differ in);
 * one copy of them, and their pairs' hashes computed once.
 */
struct canon_ent {
	struct np_rs_core *sh; /* a share in the cache (it holds it) */
	int dir;
};

/* Whether key arrays p and q (n each) are equal, contributors too. */
static bool key_array_eq(const struct np_rs_key *p, const struct np_rs_key *q,
			 size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++, p++, q++) {
		if (cidr_sort_cmp(&p->cidr, &q->cidr) ||
		    p->ncontrib != q->ncontrib ||
		    (p->ports != q->ports &&
		     (!p->ports || !q->ports ||
		      !np__pset_eq(p->ports, q->ports))))
			return false;
		if (p->contrib == q->contrib)
			continue;
		for (j = 0; j < p->ncontrib; j++)
			if (p->contrib[j].prov != q->contrib[j].prov ||
			    !np__pset_eq(p->contrib[j].ports,
					 q->contrib[j].ports))
				return false;
	}
	return true;
}

/* The keys and the verdict keys (exact attribution) of direction d. */
static bool keys_eq(const struct np_rs_core *x, const struct np_rs_core *y,
		    int d)
{
	return x->isolated[d] == y->isolated[d] && x->nkeys[d] == y->nkeys[d] &&
	       x->nvkeys[d] == y->nvkeys[d] &&
	       key_array_eq(x->keys[d], y->keys[d], x->nkeys[d]) &&
	       key_array_eq(x->vkeys[d], y->vkeys[d], x->nvkeys[d]);
}

static bool canon_eq(const void *val, const void *key)
{
	const struct canon_ent *e = val, *k = key;

	return e->dir == k->dir && keys_eq(e->sh, k->sh, k->dir);
}

static uint64_t canon_hash(const struct np_rs_core *sh, int d)
{
	uint64_t h = mix(mix(0x63616e6f, (uint64_t)d), sh->isolated[d]);
	size_t i, j;

	h = mix(mix(h, sh->nkeys[d]), sh->nvkeys[d]);
	for (i = 0; i < sh->nvkeys[d]; i++)
		h = mix(h, sh->vkeys[d][i].ncontrib);
	for (i = 0; i < sh->nkeys[d]; i++) {
		const struct np_rs_key *k = &sh->keys[d][i];
		uint64_t a[2];

		memcpy(a, k->cidr.addr, sizeof(a));
		h = mix(mix(mix(h, a[0]), a[1]),
			(uint64_t)k->cidr.len << 32 | k->ncontrib);
		h = mix(h, (uint64_t)k->ports->n << 1 | k->ports->all);
		for (j = 0; j < k->ports->n; j++)
			h = mix(h,
				(uint64_t)k->ports->r[j].proto << 40 |
					(uint64_t)k->ports->r[j].xproto << 32 |
					(uint64_t)k->ports->r[j].lo << 16 |
					k->ports->r[j].hi);
	}
	return h;
}

/* The share with sh's content in the cache (a reference), or NULL. */
static struct np_rs_core *canon_find(struct tier_cache *tc,
				     struct np_rs_core *sh, int d, uint64_t h)
{
	struct canon_ent k = { sh, d }, *e;

	e = np__hashmap_get(&tc->canon, h, canon_eq, &k);
	if (!e)
		return NULL;
	__atomic_add_fetch(&e->sh->refs, 1, __ATOMIC_RELAXED);
	return e->sh;
}

/* sh, which the cache holds, as the share of its content. */
static void canon_add(struct tier_cache *tc, struct np_rs_core *sh, int d,
		      uint64_t h)
{
	struct canon_ent *e = malloc(sizeof(*e));

	if (!e)
		return;
	e->sh = sh;
	e->dir = d;
	if (np__hashmap_add(&tc->canon, h, e, 64))
		free(e);
}

/* Direction d's fold for pod: a share from the cache, or built. */
static int share_for(struct np_ctx *ctx, struct tier_cache *tc,
		     const struct np_obj *pod, const struct np_rs_core *np,
		     const struct np_obj **sel, size_t nsel, int d,
		     const struct np_trule *tr, const struct np_frule *fr,
		     size_t n, const uint32_t prov[3], struct np_rs_core **out,
		     bool *cached)
{
	struct np_arena arena = { 0 }, scratch = { 0 };
	struct share_ent key = { 0 }, *hit;
	struct proj_ent pk = { 0 }, *phit;
	struct dec_ent dk = { 0 };
	struct prep prep = { ctx, pod, tr, false };
	struct np_intern in = { 0 };
	struct np_rs_core *sh, *canon;
	uint64_t h, ch, ph;
	int err;

	key.in.sel = sel;
	key.in.nsel = nsel;
	key.in.dir = d;
	key.in.named = !d && sel_named(sel, nsel);
	key.in.ports = pod->pod.ports;
	key.in.nports = pod->pod.nports;
	key.np = (struct np_rs_core *)np;
	h = share_hash(&key);
	hit = np__hashmap_get(&tc->shares, h, share_eq, &key);
	if (hit) {
		__atomic_add_fetch(&hit->sh->refs, 1, __ATOMIC_RELAXED);
		*out = hit->sh;
		*cached = true;
		return 0;
	}
	/* what the fold can see of the NP keys: a fold of the same, else walk */
	dk.in = key.in;
	err = np__tier_universe(ctx, tc, d);
	if (!err)
		err = np_relevant(tc, np, &dk, &prep, fr, n, &scratch, &pk.k,
				  &pk.nk);
	if (err) {
		np__arena_release(&scratch);
		return err;
	}
	pk.in = key.in;
	pk.np = (struct np_rs_core *)np;
	ph = proj_hash(&pk);
	phit = np__hashmap_get(&tc->projs, ph, proj_eq, &pk);
	if (phit) {
		np__arena_release(&scratch);
		free(pk.k);
		sh = phit->sh;
		__atomic_add_fetch(&sh->refs, 1, __ATOMIC_RELAXED);
		*cached = share_cache_add(tc, &key, h, sh, 0);
		*out = sh;
		return 0;
	}
	err = prep_once(tc, &prep, d, n, &scratch);
	sh = err ? NULL : np__arena_zalloc(&arena, sizeof(*sh));
	if (!sh) {
		np__arena_release(&scratch);
		free(pk.k);
		return err ? err : -ENOMEM;
	}
	sh->arena = arena;
	sh->refs = 1;
	in.a = &sh->arena;
	err = np__tier_fold_dir(tc, np, d, fr, n, prov, pk.k, pk.nk, sh, &in,
				&scratch);
	np__intern_release(&in);
	np__arena_release(&scratch);
	if (err) {
		free(pk.k);
		np__core_put(sh);
		return err;
	}
	/* a copy of a cached share's keys: that share instead */
	ch = canon_hash(sh, d);
	canon = canon_find(tc, sh, d, ch);
	if (canon) {
		np__core_put(sh);
		sh = canon;
		*cached = share_cache_add(tc, &key, h, sh, 0);
	} else {
		*cached = share_cache_add(tc, &key, h, sh, sh->arena.used);
		if (*cached)
			canon_add(tc, sh, d, ch);
	}
	if (*cached)
		proj_cache_add(tc, &pk, ph, sh);
	else
		free(pk.k);
	*out = sh;
	return 0;
}

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
		err = share_for(ctx, tc, pod, np, sel, nsel, d, tr[d], fr[d],
				n[d], prov[d], &co->shared[d], &cached[d]);
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
		err = tier_cache_of(c, ctx, &tc);
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
	key.in.named = sel_named(sel, nsel);
	key.in.ports = pod->pod.ports;
	key.in.nports = pod->pod.nports;
	h = fold_ent_hash(&key);
	hit = np__hashmap_get(&tc->folds, h, fold_ent_eq, &key);
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
		fold_cache_add(tc, &key, h, co);
	}
	np__core_put(rs->core);
	rs->core = co;
out:
	free(tr[0]);
	free(tr[1]);
	free(sel);
	return err;
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
