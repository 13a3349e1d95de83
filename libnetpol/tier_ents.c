// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The cluster policies' rules as entries (tier_fold.h): a rule's peers
 * resolved to prefixes (selector peers through the context's peer lists,
 * nodes peers as the selected Nodes' addresses, egress Services judged by
 * their backends), with their ports, once per snapshot; and per direction
 * the universe, every distinct prefix of every rule sorted (a prefix
 * before those it contains), where the fold places each rule's entries
 * by counting.
 */
#include <stdlib.h>

#include "tier_fold.h"

int np__tier_rule_ivs(struct np_arena *a, const struct np_cnp_rule *r,
		      const struct np_obj *named_on, struct ivs *out)
{
	size_t i, j, n = 0;

	if (!r->nports) {
		*out = full_ivs;
		return 0;
	}
	for (i = 0; i < r->nports; i++)
		n += r->ports[i].name && named_on ? named_on->pod.nports : 1;
	out->v = np__arena_alloc(a, (n + 1) * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	out->n = 0;
	for (i = 0; i < r->nports; i++) {
		const struct np_port *p = &r->ports[i];
		uint32_t base = (uint32_t)p->proto << 16;

		if (p->name) {
			for (j = 0; named_on && j < named_on->pod.nports; j++) {
				const struct np_container_port *cp =
					&named_on->pod.ports[j];

				if (!cp->name || strcmp(cp->name, p->name))
					continue;
				out->v[out->n].lo = out->v[out->n].hi =
					(uint32_t)cp->proto << 16 | cp->port;
				out->n++;
			}
			continue;
		}
		out->v[out->n].lo = base | (p->has_port ? p->port : 0);
		out->v[out->n].hi =
			base |
			(p->has_port ? (p->end_port ? p->end_port : p->port) :
				       65535);
		out->n++;
	}
	np__ivs_norm(out);
	return 0;
}

static bool rule_ents_eq(const void *val, const void *key)
{
	const struct rule_ents *e = val, *k = key;

	return e->r == k->r && e->dir == k->dir;
}

static uint64_t rule_ents_hash(const struct np_cnp_rule *r, int dir)
{
	uintptr_t k[2] = { (uintptr_t)r, (uintptr_t)dir };

	return np__hash_fast(k, sizeof(k), 0x7275);
}

/* malloc'd arrays: the entries are many, the arena keeps the ports */
static int ents_add(struct rule_ents *e, const struct np_cidr *cidr,
		    const struct ivs *ports)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 16;
		struct np_cidr *c = realloc(e->cidr, cap * sizeof(*c));
		struct ivs *p;

		if (!c)
			return -ENOMEM;
		e->cidr = c;
		if (e->dir) {
			p = realloc(e->ports, cap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			e->ports = p;
		}
		e->cap = cap;
	}
	e->cidr[e->n] = *cidr;
	if (e->dir)
		e->ports[e->n] = *ports;
	e->n++;
	return 0;
}

/* A selector peer's pods: the context's expansion, patched as pods change. */
static int peer_slot_pods(struct np_ctx *ctx, const struct np_cnp_peer *p,
			  const struct np_obj ***out, size_t *n)
{
	static const struct np_selector every = { 0 };
	struct np_peer np = { 0 };

	*n = 0;
	if (!p->sel)
		return 0;
	if (p->kind == NP_CNP_PEER_NAMESPACES) {
		np.ns_sel = p->sel;
	} else {
		/* pods: namespaceSelector omitted is every namespace */
		np.ns_sel = p->ns_sel ? p->ns_sel :
					(struct np_selector *)&every;
		np.pod_sel = p->sel;
	}
	return np__peer_pods(ctx, NULL, &np, out, n, NULL);
}

/*
 * Egress rule r's match of a flow to backend bp at ip, as rule_matches()
 * (the reference) decides it, with the pods of r's selector peers in the
 * set pods (by pointer) instead of matching their selectors again.
 */
static bool pod_eq(const void *val, const void *key)
{
	return val == key;
}

static bool backend_matches(const struct np_ctx *ctx,
			    const struct np_cnp_rule *r,
			    const struct np_hashmap *pods,
			    const struct np_obj *bp, const struct np_ip *ip,
			    uint8_t proto, uint16_t port)
{
	size_t i, j;

	if (np__hashmap_get(pods, mix(0x706f64, (uintptr_t)bp), pod_eq, bp) &&
	    np__tier_ports_hold(r, bp, proto, port))
		return true;
	/* networks and nodes peers: named ports resolve to nothing */
	for (i = 0; i < r->npeers; i++) {
		const struct np_cnp_peer *p = &r->peers[i];

		if (p->kind == NP_CNP_PEER_NODES &&
		    np__tier_node_peer_has(ctx, p, ip))
			return np__tier_ports_hold(r, NULL, proto, port);
		if (p->kind != NP_CNP_PEER_NETWORKS)
			continue;
		for (j = 0; j < p->nnets; j++)
			if (np__cidr_has_ip(&p->nets[j], ip))
				return np__tier_ports_hold(r, NULL, proto,
							   port);
	}
	return false;
}

struct set_arg {
	const struct np_ctx *ctx;
	const struct np_hashmap *pods;
};

/* backend_matches() in np__tier_svc_by()'s form. */
static bool backend_set_matches(const void *arg, const struct np_cnp_rule *r,
				const struct np_obj *bp, const struct np_ip *ip,
				uint8_t proto, uint16_t port)
{
	const struct set_arg *a = arg;

	return backend_matches(a->ctx, r, a->pods, bp, ip, proto, port);
}

/* The pods of r's selector peers, as a set. */
static int rule_pod_set(struct np_ctx *ctx, const struct np_cnp_rule *r,
			struct np_hashmap *set)
{
	size_t j, k;
	int err;

	for (j = 0; j < r->npeers; j++) {
		const struct np_cnp_peer *p = &r->peers[j];
		const struct np_obj **pods;
		size_t npods;

		if (p->kind != NP_CNP_PEER_NAMESPACES &&
		    p->kind != NP_CNP_PEER_PODS)
			continue;
		err = peer_slot_pods(ctx, p, &pods, &npods);
		for (k = 0; !err && k < npods; k++) {
			uint64_t h = mix(0x706f64, (uintptr_t)pods[k]);
			size_t at;

			err = np__hashmap_reserve(set, set->n + 1, 64);
			if (err)
				break;
			at = np__hashmap_probe(set, h, pod_eq, pods[k]);
			if (!set->slots[at].val)
				np__hashmap_fill(set, at, h, (void *)pods[k]);
		}
		if (err)
			return err;
	}
	return 0;
}

/* The entries of rule r in dir, built. */
static int rule_ents_build(struct np_ctx *ctx, struct np_arena *a,
			   struct rule_ents *e)
{
	const struct np_cnp_rule *r = e->r;
	struct ivs own = { 0 }, peer_ports;
	struct np_hashmap set = { 0 };
	const struct set_arg sa = { ctx, &set };
	size_t j, k, x;
	int dir = e->dir, err;

	if (dir) {
		err = np__service_backends(ctx);
		if (!err)
			err = np__tier_rule_ivs(a, r, NULL, &own);
		if (!err && ctx->nsvcs)
			err = rule_pod_set(ctx, r, &set);
		if (err) {
			np__hashmap_release(&set);
			return err;
		}
	}
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

				if (!np__tier_svc_by(ctx, r, k, sp,
						     sv->ips[x].family,
						     backend_set_matches, &sa))
					continue;
				pt.v = np__arena_alloc(a, sizeof(*pt.v));
				host_cidr(&sv->ips[x], &hc);
				if (!pt.v) {
					np__hashmap_release(&set);
					return -ENOMEM;
				}
				pt.n = 1;
				pt.v->lo = pt.v->hi =
					(uint32_t)sp->proto << 16 | sp->port;
				if (ents_add(e, &hc, &pt)) {
					np__hashmap_release(&set);
					return -ENOMEM;
				}
			}
	}
	np__hashmap_release(&set);
	for (j = 0; j < r->npeers; j++) {
		const struct np_cnp_peer *p = &r->peers[j];
		const struct np_obj **pods;
		size_t npods;

		if (p->kind == NP_CNP_PEER_NETWORKS) {
			for (k = 0; k < p->nnets; k++)
				if (ents_add(e, &p->nets[k], &own))
					return -ENOMEM;
			continue;
		}
		/* the selected Nodes' addresses, as hosts */
		for (k = 0; p->kind == NP_CNP_PEER_NODES && k < ctx->nnodes;
		     k++) {
			const struct np_kube_node *kn = &ctx->nodes[k]->node;
			struct np_cidr hc;

			if (!np__tier_node_selected(p, ctx->nodes[k]))
				continue;
			for (x = 0; x < kn->naddrs; x++) {
				host_cidr(&kn->addrs[x].ip, &hc);
				if (ents_add(e, &hc, &own))
					return -ENOMEM;
			}
		}
		if (p->kind != NP_CNP_PEER_NAMESPACES &&
		    p->kind != NP_CNP_PEER_PODS)
			continue;
		err = peer_slot_pods(ctx, p, &pods, &npods);
		if (err)
			return err;
		for (k = 0; k < npods; k++) {
			const struct np_obj *q = pods[k];
			struct np_cidr hc;

			peer_ports = own;
			if (dir && np__cnp_rule_has_named(r)) {
				err = np__tier_rule_ivs(a, r, q, &peer_ports);
				if (err)
					return err;
			}
			for (x = 0; x < q->pod.nips; x++) {
				host_cidr(&q->pod.ips[x], &hc);
				if (ents_add(e, &hc, &peer_ports))
					return -ENOMEM;
			}
		}
	}
	return 0;
}

/* The arrays of one rule's entries (the entry is in the arena). */
static void rule_ents_arrays_free(void *p)
{
	struct rule_ents *e = p;

	free(e->cidr);
	free(e->ports);
	free(e->uidx);
}

void np__tier_rule_ents_free(struct tier_cache *tc)
{
	np__hashmap_release_each(&tc->rules, rule_ents_arrays_free);
	free(tc->uni[0]);
	free(tc->uni[1]);
	tc->uni[0] = tc->uni[1] = NULL;
	tc->nuni[0] = tc->nuni[1] = 0;
}

/* The entries of rule r in dir, from the cache or built into it. */
int np__tier_rule_ents_get(struct np_ctx *ctx, struct tier_cache *tc,
			   const struct np_cnp_rule *r, int dir,
			   const struct rule_ents **out)
{
	struct rule_ents key = { .r = r, .dir = dir }, *e;
	uint64_t h = rule_ents_hash(r, dir);
	int err;

	e = np__hashmap_get(&tc->rules, h, rule_ents_eq, &key);
	if (e) {
		*out = e;
		return 0;
	}
	e = np__arena_zalloc(&tc->arena, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->r = r;
	e->dir = dir;
	err = rule_ents_build(ctx, &tc->arena, e);
	if (!err)
		err = np__hashmap_add(&tc->rules, h, e, 64);
	if (err) {
		free(e->cidr);
		free(e->ports);
		return err;
	}
	*out = e;
	return 0;
}

/* Whether x and y are one prefix (an IPv4 one's bytes past 4 unused). */
static bool cidr_same(const struct np_cidr *x, const struct np_cidr *y)
{
	return x->family == y->family && x->len == y->len &&
	       !memcmp(x->addr, y->addr, x->family == 4 ? 4 : 16);
}

static uint64_t cidr_hash(const struct np_cidr *c)
{
	uint64_t a = np__be64(c->addr), b = 0;

	if (c->family == 4)
		a >>= 32;
	else
		b = np__be64(c->addr + 8);
	return mix(mix(mix(0x756e69, a), b), (uint64_t)c->len << 8 | c->family);
}

/*
 * The distinct prefixes being gathered (d, nd of them): an open-addressed
 * table of their indices + 1 over cap slots, a power of two at least
 * twice what it will hold.
 */
struct uset {
	struct np_cidr *d;
	size_t nd;
	uint32_t *slot;
	size_t cap;
};

/* c's index in s, added when new. */
static uint32_t uset_put(struct uset *s, const struct np_cidr *c)
{
	size_t i = cidr_hash(c) & (s->cap - 1);

	for (;; i = (i + 1) & (s->cap - 1)) {
		uint32_t x = s->slot[i];

		if (!x) {
			s->d[s->nd] = *c;
			s->slot[i] = (uint32_t)++s->nd;
			return (uint32_t)(s->nd - 1);
		}
		if (cidr_same(&s->d[x - 1], c))
			return x - 1;
	}
}

/* A distinct prefix and its index in struct uset, while they sort. */
struct uord {
	struct np_cidr c;
	uint32_t i;
};

static int uord_cmp(const void *a, const void *b)
{
	return cidr_sort_cmp(&((const struct uord *)a)->c,
			     &((const struct uord *)b)->c);
}

/*
 * The universe of direction dir: every rule's entries of every cluster
 * policy built, their distinct prefixes (and the /0s) sorted, and where
 * each entry's prefix is (uidx). Distinct prefixes are gathered through a
 * hash first: rules share most of theirs (a namespace's pods), and
 * sorting the ~10,000 distinct ones costs a fraction of sorting the
 * ~100,000 entries (the cost of a pod add once the tiers' cache starts
 * over).
 */
int np__tier_universe(struct np_ctx *ctx, struct tier_cache *tc, int dir)
{
	static const struct np_cidr zero4 = { .family = 4 },
				    zero6 = { .family = 6 };
	struct rule_ents **all = NULL;
	struct uset s = { 0 };
	uint32_t *eidx = NULL, *rank = NULL;
	struct uord *order = NULL;
	struct np_cidr *u = NULL;
	size_t i, j, m = 0, nr = 0, at;
	int err = 0;

	if (tc->uni[dir])
		return 0;
	for (i = 0; i < tc->ncnps; i++)
		nr += dir ? tc->cnps[i]->cnp.negress :
			    tc->cnps[i]->cnp.ningress;
	all = calloc(nr + 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	nr = 0;
	for (i = 0; !err && i < tc->ncnps; i++) {
		const struct np_cnp *p = &tc->cnps[i]->cnp;
		size_t n = dir ? p->negress : p->ningress;

		for (j = 0; !err && j < n; j++) {
			const struct rule_ents *e;

			err = np__tier_rule_ents_get(
				ctx, tc, dir ? &p->egress[j] : &p->ingress[j],
				dir, &e);
			if (!err) {
				all[nr++] = (struct rule_ents *)e;
				m += e->n;
			}
		}
	}
	if (err)
		goto out;
	for (s.cap = 16; s.cap < 2 * (m + 2); s.cap *= 2)
		;
	s.d = malloc((m + 2) * sizeof(*s.d));
	s.slot = calloc(s.cap, sizeof(*s.slot));
	eidx = malloc((m + 1) * sizeof(*eidx));
	for (i = 0; s.d && s.slot && eidx && i < nr; i++) {
		free(all[i]->uidx);
		all[i]->uidx = malloc((all[i]->n + 1) * sizeof(*all[i]->uidx));
		if (!all[i]->uidx)
			break;
	}
	if (!s.d || !s.slot || !eidx || i < nr) {
		err = -ENOMEM;
		goto out;
	}
	uset_put(&s, &zero4);
	uset_put(&s, &zero6);
	for (i = at = 0; i < nr; i++)
		for (j = 0; j < all[i]->n; j++)
			eidx[at++] = uset_put(&s, &all[i]->cidr[j]);
	/* sorted (a prefix before those it contains), and each one's rank */
	order = malloc((s.nd + 1) * sizeof(*order));
	rank = malloc((s.nd + 1) * sizeof(*rank));
	u = malloc((s.nd + 1) * sizeof(*u));
	if (!order || !rank || !u) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < s.nd; i++) {
		order[i].c = s.d[i];
		order[i].i = (uint32_t)i;
	}
	qsort(order, s.nd, sizeof(*order), uord_cmp);
	for (i = 0; i < s.nd; i++) {
		u[i] = order[i].c;
		rank[order[i].i] = (uint32_t)i;
	}
	for (i = at = 0; i < nr; i++)
		for (j = 0; j < all[i]->n; j++)
			all[i]->uidx[j] = rank[eidx[at++]];
	tc->uni[dir] = u;
	tc->nuni[dir] = s.nd;
	u = NULL;
out:
	for (i = 0; err && i < nr; i++) {
		free(all[i]->uidx);
		all[i]->uidx = NULL;
	}
	free(u);
	free(order);
	free(rank);
	free(eidx);
	free(s.d);
	free(s.slot);
	free(all);
	return err;
}
