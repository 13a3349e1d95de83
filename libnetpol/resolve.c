/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Resolution, the controller's job: each NetworkPolicy becomes one or more
 * PolicyEndpoints (networking.k8s.aws/v1alpha1) whose rules name addresses
 * and numeric ports only.
 *
 * - podSelectorEndpoints: pods of the policy's namespace that its
 *   podSelector matches, not hostNetwork, with an IP, not Succeeded/Failed.
 * - Peers: a missing/empty from/to is every address of both families
 *   (0.0.0.0/0 and ::/0); selectors expand to pod addresses (host
 *   prefixes); ipBlock stays a CIDR with its excepts.
 * - Named ports resolve on the destination pod, by name AND protocol:
 *   for ingress on the selected pod, for egress on the peer pod. Selected
 *   pods that resolve a name differently go into separate PolicyEndpoints
 *   (the EKS controller unions them, which over-allows). An egress named
 *   port never matches an address outside the cluster; for an ipBlock or
 *   every-peer rule it resolves on each pod inside the block.
 * - Egress to a Service's pods also allows its ClusterIPs on the Service
 *   port (the TC hook sees traffic before DNAT), but only when every
 *   backend with that target port is allowed: traffic to a ClusterIP may
 *   land on any backend, so anything less would over-allow.
 *
 * This file owns the rules: peers expanded to pods (cached per snapshot by
 * their canonical text), named ports, ipBlocks, Service backends and
 * ClusterIPs, and the entries they make. endpoints.c groups entries into
 * PolicyEndpoints; resolve_ctx.c owns the context.
 */
#include <stdio.h>
#include <stdlib.h>

#include "resolve.h"

static const struct np_cidr all4 = { .family = 4, .len = 0 };
static const struct np_cidr all6 = { .family = 6, .len = 0 };
/* --- building one PolicyEndpoint ---------------------------------------- */

static int ebuf_add(struct np_ebuf *b, const struct np_cidr *cidr,
		    const struct np_cidr *except, size_t nexcept,
		    struct np_port *ports, size_t nports, int rule)
{
	struct np_pe_entry *e;

	if (NP_GROW(b->v, b->cap, b->n + 1))
		return -ENOMEM;
	e = &b->v[b->n++];
	memset(e, 0, sizeof(*e));
	e->cidr = *cidr;
	e->except = (struct np_cidr *)except;
	e->nexcept = nexcept;
	e->ports = ports;
	e->nports = nports;
	e->rule = rule;
	return 0;
}

static void host_cidr(const struct np_ip *ip, struct np_cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->family = ip->family;
	c->len = ip->family == 4 ? 32 : 128;
	memcpy(c->addr, ip->addr, sizeof(c->addr));
}

static int add_pod_hosts(struct np_ebuf *b, const struct np_obj *pod,
			 struct np_port *ports, size_t nports, int rule)
{
	struct np_cidr h;
	size_t i;
	int err;

	for (i = 0; i < pod->pod.nips; i++) {
		host_cidr(&pod->pod.ips[i], &h);
		err = ebuf_add(b, &h, NULL, 0, ports, nports, rule);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Ports of a rule for one destination pod: numeric ones as they are, named
 * ones resolved on dst (NULL: outside the cluster, names never match).
 * Returns the count; 0 with rule ports means "matches nothing here".
 */
static size_t resolve_ports(struct np_arena *a, const struct np_rule *r,
			    const struct np_obj *dst, bool named_only,
			    bool numeric_only, struct np_port **out)
{
	struct np_port *p;
	size_t i, n = 0;

	p = np__arena_alloc(a, (r->nports + 1) * sizeof(*p));
	if (!p) {
		*out = NULL;
		return 0;
	}
	for (i = 0; i < r->nports; i++) {
		const struct np_port *src = &r->ports[i];
		const struct np_container_port *cp;

		if (!src->name) {
			if (named_only)
				continue;
			p[n++] = *src;
			continue;
		}
		if (numeric_only || !dst)
			continue;
		cp = np__pod_port(dst, src->name, src->proto);
		if (!cp)
			continue;
		p[n] = *src;
		p[n].name = NULL;
		p[n].has_port = true;
		p[n].port = cp->port;
		p[n].end_port = 0;
		n++;
	}
	*out = p;
	return n;
}

/* Every eligible pod with an address inside the block (NULL: anywhere). */
static int add_named_in_block(struct np_ctx *ctx, struct np_arena *a,
			      struct np_ebuf *b, const struct np_rule *r,
			      const struct np_ipblock *blk, int rule)
{
	struct np_port *ports;
	struct np_cidr h;
	size_t i, j, n = 0;
	int err;

	for (i = 0; i < ctx->npods; i++) {
		const struct np_obj *pod = ctx->pods[i];

		if (!np__pod_eligible(pod))
			continue;
		ports = NULL;
		for (j = 0; j < pod->pod.nips; j++) {
			if (blk && !np__ip_in_block(blk, &pod->pod.ips[j]))
				continue;
			if (!ports) {
				n = resolve_ports(a, r, pod, true, false,
						  &ports);
				if (!ports)
					return -ENOMEM;
				if (!n)
					break;
			}
			host_cidr(&pod->pod.ips[j], &h);
			err = ebuf_add(b, &h, NULL, 0, ports, n, rule);
			if (err)
				return err;
		}
	}
	return 0;
}

static struct np_selector *sel_copy(struct np_arena *a,
				    const struct np_selector *s)
{
	struct np_selector *c = np__arena_zalloc(a, sizeof(*c));
	size_t i, j;

	if (!c)
		return NULL;
	c->match.n = s->match.n;
	c->match.v = np__arena_alloc(a, (s->match.n + 1) * sizeof(*c->match.v));
	c->nexprs = s->nexprs;
	c->exprs = np__arena_zalloc(a, (s->nexprs + 1) * sizeof(*c->exprs));
	if (!c->match.v || !c->exprs)
		return NULL;
	for (i = 0; i < s->match.n; i++) {
		c->match.v[i].key = np__arena_strdup(a, s->match.v[i].key);
		c->match.v[i].val = np__arena_strdup(a, s->match.v[i].val);
		if (!c->match.v[i].key || !c->match.v[i].val)
			return NULL;
	}
	for (i = 0; i < s->nexprs; i++) {
		const struct np_sel_expr *x = &s->exprs[i];
		struct np_sel_expr *y = &c->exprs[i];

		y->op = x->op;
		y->key = np__arena_strdup(a, x->key);
		y->nvalues = x->nvalues;
		y->values = np__arena_alloc(a, (x->nvalues + 1) *
						       sizeof(*y->values));
		if (!y->key || !y->values)
			return NULL;
		for (j = 0; j < x->nvalues; j++)
			if (!(y->values[j] = np__arena_strdup(a, x->values[j])))
				return NULL;
	}
	return c;
}

static void selector_text(struct np_strbuf *sb, const struct np_selector *s)
{
	static const char *const ops[] = { "in", "notin", "exists", "!" };
	size_t i, j;

	for (i = 0; i < s->match.n; i++)
		np__sb_printf(sb, "%s=%s,", s->match.v[i].key,
			      s->match.v[i].val);
	for (i = 0; i < s->nexprs; i++) {
		np__sb_printf(sb, "%s %s(", s->exprs[i].key,
			      ops[s->exprs[i].op]);
		for (j = 0; j < s->exprs[i].nvalues; j++)
			np__sb_printf(sb, "%s,", s->exprs[i].values[j]);
		np__sb_puts(sb, "),");
	}
}

static int peer_expand(struct np_ctx *ctx, const struct np_obj *pol,
		       const struct np_peer *peer, const struct np_obj ***out,
		       size_t *n)
{
	const struct np_obj **pods = NULL;
	size_t cap = 0, j, k, m = 0;

	for (j = 0; j < ctx->ngroups; j++) {
		const struct np_nsgroup *g = &ctx->groups[j];

		if (peer->ns_sel ?
			    !np__selector_matches(peer->ns_sel, g->labels) :
			    strcmp(g->name, pol->meta.ns))
			continue;
		for (k = g->first; k < g->first + g->count; k++) {
			const struct np_obj *pod = ctx->pods[k];

			if (!np__pod_eligible(pod) ||
			    (peer->pod_sel &&
			     !np__selector_matches(peer->pod_sel,
						   &pod->meta.labels)))
				continue;
			if (NP_GROW(pods, cap, m + 1)) {
				free(pods);
				return -ENOMEM;
			}
			pods[m++] = pod;
		}
	}
	*out = pods;
	*n = m;
	return 0;
}

/*
 * The pods a selector peer selects. Peers written alike in many policies
 * (namespaceSelector: {} with the same podSelector, say) expand once per
 * snapshot.
 */
static bool peer_key_eq(const void *val, const void *key)
{
	return !strcmp(((const struct np_peer_slot *)val)->key, key);
}

/*
 * Index a new slot by its namespace, or among those with a namespace
 * selector (np_ctx.peers_ns; its room is reserved by the caller).
 */
static void slot_link(struct np_ctx *ctx, struct np_peer_slot *ps)
{
	uint64_t h;
	size_t i;

	if (ps->ns_sel) {
		ps->ns_next = ctx->peers_nssel;
		ctx->peers_nssel = ps;
		return;
	}
	h = np__hash_str(ps->ns, 0);
	i = np__hashmap_probe(&ctx->peers_ns, h, np__slot_ns_eq, ps->ns);
	if (ctx->peers_ns.slots[i].val) {
		struct np_peer_slot *head = ctx->peers_ns.slots[i].val;

		ps->ns_next = head->ns_next;
		head->ns_next = ps;
	} else {
		np__hashmap_fill(&ctx->peers_ns, i, h, ps);
	}
}

int np__peer_pods(struct np_ctx *ctx, const struct np_obj *pol,
		  const struct np_peer *peer, const struct np_obj ***out,
		  size_t *n, struct np_peer_slot **slotp)
{
	struct np_strbuf sb = { 0 };
	struct np_peer_slot *ps;
	const struct np_obj **pods;
	size_t m;
	uint64_t h;
	int err;

	if (peer->ns_sel) {
		np__sb_puts(&sb, "N:");
		selector_text(&sb, peer->ns_sel);
	} else {
		np__sb_printf(&sb, "n:%s", pol->meta.ns);
	}
	np__sb_puts(&sb, peer->pod_sel ? "|P:" : "|*");
	if (peer->pod_sel)
		selector_text(&sb, peer->pod_sel);
	if (sb.err)
		return sb.err;
	h = np__hash_str(sb.buf, 0);
	ps = np__hashmap_get(&ctx->peers, h, peer_key_eq, sb.buf);
	if (ps) {
		np__sb_release(&sb);
		*out = ps->pods;
		*n = ps->n;
		if (slotp)
			*slotp = ps;
		return 0;
	}
	err = peer_expand(ctx, pol, peer, &pods, &m);
	if (err) {
		np__sb_release(&sb);
		return err;
	}
	/* in the arena: the slot stays where it is as the table grows */
	ps = np__arena_zalloc(&ctx->arena, sizeof(*ps));
	if (!ps)
		goto nomem;
	ps->key = np__arena_strdup(&ctx->arena, sb.buf);
	ps->ns_sel = peer->ns_sel ? sel_copy(&ctx->arena, peer->ns_sel) : NULL;
	ps->pod_sel = peer->pod_sel ? sel_copy(&ctx->arena, peer->pod_sel) :
				      NULL;
	ps->ns = peer->ns_sel ? NULL :
				np__arena_strdup(&ctx->arena, pol->meta.ns);
	/* room in the index by namespace first: slot_link() cannot fail */
	if (!ps->key || (peer->ns_sel && !ps->ns_sel) ||
	    (peer->pod_sel && !ps->pod_sel) || (!peer->ns_sel && !ps->ns) ||
	    np__hashmap_reserve(&ctx->peers_ns, ctx->peers_ns.n + 1, 64) ||
	    np__hashmap_add(&ctx->peers, h, ps, 64))
		goto nomem;
	/* the slot owns the list: pod changes patch it in place */
	ps->pods = pods;
	ps->cap = m;
	ps->h = h;
	ps->n = m;
	ps->id = ctx->npeers++;
	slot_link(ctx, ps);
	np__sb_release(&sb);
	*out = ps->pods;
	*n = m;
	if (slotp)
		*slotp = ps;
	return 0;
nomem:
	free(pods);
	np__sb_release(&sb);
	return -ENOMEM;
}

struct ipord {
	const struct np_obj *pod;
	size_t at;
};

static int ipord_cmp(const void *a, const void *b)
{
	const struct ipord *x = a, *y = b;
	const struct np_ip *p = &x->pod->pod.ips[0], *q = &y->pod->pod.ips[0];
	int r;

	if (p->family != q->family)
		return p->family < q->family ? -1 : 1;
	r = memcmp(p->addr, q->addr, p->family == 4 ? 4 : 16);
	if (r)
		return r;
	return x->at < y->at ? -1 : x->at > y->at;
}

/*
 * A selector peer's pods in address order, so that their host entries
 * come sorted (np__ebuf_take() then has nothing to sort): sorted once per
 * snapshot, not once per PolicyEndpoint. Equal addresses keep their order,
 * so a stable sort of the entries comes out the same either way.
 */
static int peer_pods_by_ip(struct np_ctx *ctx, const struct np_obj *pol,
			   const struct np_peer *peer,
			   const struct np_obj ***out, size_t *n)
{
	struct np_peer_slot *ps;
	struct ipord *t;
	size_t i;
	int err;

	err = np__peer_pods(ctx, pol, peer, out, n, &ps);
	if (err || ps->n < 2)
		return err;
	if (!ps->by_ip) {
		t = malloc(ps->n * sizeof(*t));
		ps->by_ip = malloc(ps->n * sizeof(*ps->by_ip));
		if (!t || !ps->by_ip) {
			free(t);
			free(ps->by_ip);
			ps->by_ip = NULL;
			return -ENOMEM;
		}
		for (i = 0; i < ps->n; i++) {
			t[i].pod = ps->pods[i];
			t[i].at = i;
		}
		qsort(t, ps->n, sizeof(*t), ipord_cmp);
		for (i = 0; i < ps->n; i++)
			ps->by_ip[i] = t[i].pod;
		free(t);
	}
	*out = ps->by_ip;
	return 0;
}

int np__ingress_rule(struct np_ctx *ctx, struct np_arena *a,
		     const struct np_obj *pol, const struct np_rule *r, int ri,
		     const struct np_obj *rep, struct np_ebuf *b)
{
	const struct np_obj **sel;
	struct np_port *ports;
	size_t nports, nsel, i, k;
	int err;

	nports = resolve_ports(a, r, rep, false, false, &ports);
	if (r->nports && !ports)
		return -ENOMEM;
	if (r->nports && !nports)
		return 0; /* every port named, none on this pod */
	if (!r->npeers) {
		err = ebuf_add(b, &all4, NULL, 0, ports, nports, ri);
		return err ? err :
			     ebuf_add(b, &all6, NULL, 0, ports, nports, ri);
	}
	for (i = 0; i < r->npeers; i++) {
		const struct np_peer *peer = &r->peers[i];

		if (peer->ipblock) {
			err = ebuf_add(b, &peer->ipblock->cidr,
				       peer->ipblock->except,
				       peer->ipblock->nexcept, ports, nports,
				       ri);
			if (err)
				return err;
			continue;
		}
		err = peer_pods_by_ip(ctx, pol, peer, &sel, &nsel);
		for (k = 0; !err && k < nsel; k++)
			err = add_pod_hosts(b, sel[k], ports, nports, ri);
		if (err)
			return err;
	}
	return 0;
}

int np__egress_rule(struct np_ctx *ctx, struct np_arena *a,
		    const struct np_obj *pol, const struct np_rule *r, int ri,
		    struct np_ebuf *b)
{
	bool named = np__rule_has_named(r);
	const struct np_obj **sel;
	struct np_port *num = NULL, *ports;
	size_t nnum = 0, n, nsel, i, k;
	int err;

	if (r->nports) {
		nnum = resolve_ports(a, r, NULL, false, true, &num);
		if (!num)
			return -ENOMEM;
	}
	/* numeric ports (or none at all) apply to the whole peer */
	if (!r->npeers) {
		if (!r->nports || nnum) {
			err = ebuf_add(b, &all4, NULL, 0, num, nnum, ri);
			if (!err)
				err = ebuf_add(b, &all6, NULL, 0, num, nnum,
					       ri);
			if (err)
				return err;
		}
		return named ? add_named_in_block(ctx, a, b, r, NULL, ri) : 0;
	}
	for (i = 0; i < r->npeers; i++) {
		const struct np_peer *peer = &r->peers[i];

		if (peer->ipblock) {
			if (!r->nports || nnum) {
				err = ebuf_add(b, &peer->ipblock->cidr,
					       peer->ipblock->except,
					       peer->ipblock->nexcept, num,
					       nnum, ri);
				if (err)
					return err;
			}
			if (named) {
				err = add_named_in_block(ctx, a, b, r,
							 peer->ipblock, ri);
				if (err)
					return err;
			}
			continue;
		}
		/* named ports resolve pod by pod: keep that order */
		err = named ? np__peer_pods(ctx, pol, peer, &sel, &nsel, NULL) :
			      peer_pods_by_ip(ctx, pol, peer, &sel, &nsel);
		if (err)
			return err;
		for (k = 0; k < nsel; k++) {
			if (named) {
				n = resolve_ports(a, r, sel[k], false, false,
						  &ports);
				if (!ports)
					return -ENOMEM;
				if (!n)
					continue;
			} else {
				ports = num;
				n = nnum;
			}
			err = add_pod_hosts(b, sel[k], ports, n, ri);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Does this entry allow ip:proto/port? */
static bool entry_allows(const struct np_pe_entry *e, const struct np_ip *ip,
			 uint8_t proto, uint16_t port)
{
	size_t j;

	if (!np__cidr_has_ip(&e->cidr, ip))
		return false;
	for (j = 0; j < e->nexcept; j++)
		if (np__cidr_has_ip(&e->except[j], ip))
			return false;
	if (!e->nports)
		return true;
	for (j = 0; j < e->nports; j++) {
		const struct np_port *p = &e->ports[j];

		if (p->proto != proto)
			continue;
		if (!p->has_port)
			return true;
		if (port >= p->port &&
		    port <= (p->end_port ? p->end_port : p->port))
			return true;
	}
	return false;
}

/*
 * The entries built so far, for "does any allow ip:proto/port": host
 * entries (the bulk, one per peer pod address) sorted by address, found by
 * binary search; the wider ones checked one by one.
 */
struct ehost {
	struct np_ip ip;
	size_t i;
};

struct eindex {
	const struct np_ebuf *b; /* grows while the index is used: indices */
	struct ehost *host;
	size_t *wide;
	size_t nhost, nwide;
};

static bool is_host(const struct np_cidr *c)
{
	return c->len == (c->family == 4 ? 32 : 128);
}

static int addr_cmp(uint8_t fx, const uint8_t *x, uint8_t fy, const uint8_t *y)
{
	if (fx != fy)
		return fx < fy ? -1 : 1;
	return memcmp(x, y, fx == 4 ? 4 : 16);
}

static int host_cmp(const void *a, const void *b)
{
	const struct np_ip *x = &((const struct ehost *)a)->ip;
	const struct np_ip *y = &((const struct ehost *)b)->ip;

	return addr_cmp(x->family, x->addr, y->family, y->addr);
}

static int eindex_build(struct eindex *x, const struct np_ebuf *b)
{
	size_t i;

	memset(x, 0, sizeof(*x));
	x->b = b;
	x->host = malloc((b->n + 1) * sizeof(*x->host));
	x->wide = malloc((b->n + 1) * sizeof(*x->wide));
	if (!x->host || !x->wide)
		return -ENOMEM;
	for (i = 0; i < b->n; i++) {
		struct ehost *h;

		if (!is_host(&b->v[i].cidr)) {
			x->wide[x->nwide++] = i;
			continue;
		}
		h = &x->host[x->nhost++];
		h->ip.family = b->v[i].cidr.family;
		memcpy(h->ip.addr, b->v[i].cidr.addr, sizeof(h->ip.addr));
		h->i = i;
	}
	if (x->nhost)
		qsort(x->host, x->nhost, sizeof(*x->host), host_cmp);
	return 0;
}

static void eindex_release(struct eindex *x)
{
	free(x->host);
	free(x->wide);
}

/* Does any indexed entry allow ip:proto/port? */
static bool entries_allow(const struct eindex *x, const struct np_ip *ip,
			  uint8_t proto, uint16_t port)
{
	const struct np_pe_entry *v = x->b->v;
	size_t lo = 0, hi = x->nhost, i;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct np_ip *c = &x->host[mid].ip;

		if (addr_cmp(c->family, c->addr, ip->family, ip->addr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < x->nhost; i++) {
		const struct np_ip *c = &x->host[i].ip;

		if (addr_cmp(c->family, c->addr, ip->family, ip->addr))
			break;
		if (entry_allows(&v[x->host[i].i], ip, proto, port))
			return true;
	}
	for (i = 0; i < x->nwide; i++)
		if (entry_allows(&v[x->wide[i]], ip, proto, port))
			return true;
	return false;
}

/* The eligible pods behind every Service, once per snapshot. */
static int backend_cmp(const void *a, const void *b)
{
	const struct np_ip *x = &((const struct np_backend *)a)->ip;
	const struct np_ip *y = &((const struct np_backend *)b)->ip;

	return addr_cmp(x->family, x->addr, y->family, y->addr);
}

int np__service_backends(struct np_ctx *ctx)
{
	size_t s, k, y, cap, n = 0;

	if (ctx->bk)
		return 0;
	ctx->svc_pods = calloc(ctx->nsvcs + 1, sizeof(*ctx->svc_pods));
	ctx->nsvc_pods = calloc(ctx->nsvcs + 1, sizeof(*ctx->nsvc_pods));
	if (!ctx->svc_pods || !ctx->nsvc_pods)
		goto nomem;
	for (s = 0; s < ctx->nsvcs; s++) {
		const struct np_obj *svc = ctx->svcs[s];
		const struct np_nsgroup *g = np__group_of(ctx, svc->meta.ns);
		struct np_selector sel = { .match = svc->svc.selector };

		if (!g || !svc->svc.has_selector || !svc->svc.selector.n ||
		    !svc->svc.nips)
			continue;
		cap = 0;
		for (k = g->first; k < g->first + g->count; k++) {
			const struct np_obj *pod = ctx->pods[k];

			if (!np__pod_eligible(pod) ||
			    !np__selector_matches(&sel, &pod->meta.labels))
				continue;
			if (NP_GROW(ctx->svc_pods[s], cap,
				    ctx->nsvc_pods[s] + 1))
				goto nomem;
			ctx->svc_pods[s][ctx->nsvc_pods[s]++] = pod;
			n += pod->pod.nips;
		}
	}
	ctx->bk = malloc((n + 1) * sizeof(*ctx->bk));
	if (!ctx->bk)
		goto nomem;
	for (s = 0; s < ctx->nsvcs; s++)
		for (k = 0; k < ctx->nsvc_pods[s]; k++) {
			const struct np_obj *pod = ctx->svc_pods[s][k];

			for (y = 0; y < pod->pod.nips; y++) {
				ctx->bk[ctx->nbk].ip = pod->pod.ips[y];
				ctx->bk[ctx->nbk++].svc = s;
			}
		}
	if (ctx->nbk)
		qsort(ctx->bk, ctx->nbk, sizeof(*ctx->bk), backend_cmp);
	return 0;
nomem:
	/* nothing half-built stays: the next call starts over */
	np__service_backends_drop(ctx);
	return -ENOMEM;
}

/*
 * The Services with a backend address inside some entry's CIDR: only
 * those can have a backend that the entries allow.
 */
static int reached_services(const struct np_ctx *ctx, const struct np_ebuf *b,
			    bool **out)
{
	bool *cand = calloc(ctx->nsvcs + 1, sizeof(*cand));
	size_t i, k;

	*out = cand;
	if (!cand)
		return -ENOMEM;
	for (i = 0; i < b->n; i++) {
		const struct np_cidr *c = &b->v[i].cidr;
		size_t lo = 0, hi = ctx->nbk;

		/* host bits are masked: the CIDR starts at its address */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			const struct np_ip *ip = &ctx->bk[mid].ip;

			if (addr_cmp(ip->family, ip->addr, c->family, c->addr) <
			    0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (k = lo; k < ctx->nbk && np__cidr_has_ip(c, &ctx->bk[k].ip);
		     k++)
			cand[ctx->bk[k].svc] = true;
	}
	return 0;
}

/* Remember that the policy being resolved depends on svc's backends. */
static int touch(struct np_ctx *ctx, const struct np_obj *svc)
{
	struct np_touch *t;
	size_t i;

	if (ctx->resolving == SIZE_MAX)
		return 0;
	t = &ctx->touched[ctx->resolving];
	for (i = 0; i < t->n; i++)
		if (t->v[i] == svc)
			return 0;
	if (NP_GROW(t->v, t->cap, t->n + 1))
		return -ENOMEM;
	t->v[t->n++] = svc;
	return 0;
}

static int add_services_idx(struct np_ctx *ctx, struct np_arena *a,
			    struct np_ebuf *b, const struct eindex *idx,
			    const bool *cand)
{
	size_t s, i, k, x, y;
	int err;

	for (s = 0; s < ctx->nsvcs; s++) {
		if (!cand[s])
			continue; /* no backend allowed: not touched, not added */

		const struct np_obj *svc = ctx->svcs[s];

		for (i = 0; ctx->nsvc_pods[s] && i < svc->svc.nports; i++) {
			const struct np_service_port *sp = &svc->svc.ports[i];

			for (x = 0; x < svc->svc.nips; x++) {
				const struct np_ip *cip = &svc->svc.ips[x];
				bool any = false, all = true;
				struct np_port *port;
				struct np_cidr h;

				bool some = false;

				/* traffic to the ClusterIP may land on any
				 * backend: every one must be allowed */
				for (k = 0; k < ctx->nsvc_pods[s]; k++) {
					const struct np_obj *pod =
						ctx->svc_pods[s][k];
					const struct np_container_port *cp;
					uint16_t target = sp->target_port;

					if (sp->target_name) {
						cp = np__pod_port(
							pod, sp->target_name,
							sp->proto);
						if (!cp)
							continue;
						target = cp->port;
					}
					for (y = 0; y < pod->pod.nips; y++) {
						if (pod->pod.ips[y].family !=
						    cip->family)
							continue;
						any = true;
						if (entries_allow(
							    idx,
							    &pod->pod.ips[y],
							    sp->proto, target))
							some = true;
						else
							all = false;
					}
				}
				/* a backend change may flip this decision */
				if (some && touch(ctx, svc))
					return -ENOMEM;
				if (!any || !all)
					continue;
				port = np__arena_zalloc(a, sizeof(*port));
				if (!port)
					return -ENOMEM;
				port->proto = sp->proto;
				port->has_port = true;
				port->port = sp->port;
				host_cidr(cip, &h);
				err = ebuf_add(b, &h, NULL, 0, port, 1, -2);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

int np__add_services(struct np_ctx *ctx, struct np_arena *a, struct np_ebuf *b)
{
	struct eindex idx = { 0 };
	bool *cand;
	int err;

	err = np__service_backends(ctx);
	if (err)
		return err;
	/* the entries of the rules: those the ClusterIP decision looks at */
	err = reached_services(ctx, b, &cand);
	if (!err)
		err = eindex_build(&idx, b);
	if (!err)
		err = add_services_idx(ctx, a, b, &idx, cand);
	eindex_release(&idx);
	free(cand);
	return err;
}

/* An entry's sort key: family, address, length; then where it was. */
struct skey {
	uint64_t hi, lo;
	uint32_t at;
	uint8_t family, len;
};

static void skey_of(const struct np_cidr *c, uint32_t at, struct skey *k)
{
	k->family = c->family;
	k->len = c->len;
	k->at = at;
	if (c->family == 4) {
		/* memcmp over 4 bytes orders as this big-endian word */
		k->hi = np__be64(c->addr) & 0xffffffff00000000ULL;
		k->lo = 0;
	} else {
		k->hi = np__be64(c->addr);
		k->lo = np__be64(c->addr + 8);
	}
}

static int skey_cmp_nostable(const struct skey *x, const struct skey *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Stable: equal CIDRs keep the order they were added in. */
static int skey_cmp(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	int r = skey_cmp_nostable(x, y);

	return r ? r : (x->at < y->at ? -1 : x->at > y->at);
}

/*
 * Copy a built entry list into the object's arena, sorted by CIDR: sorted
 * once here, every rule set built from this PolicyEndpoint merges it.
 */
int np__ebuf_take(struct np_arena *a, struct np_ebuf *b,
		  struct np_pe_entry **out, size_t *n)
{
	struct skey *k = NULL;
	size_t i;

	*n = b->n;
	*out = np__arena_alloc(a, (b->n + 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	/*
	 * A stable sort by CIDR: keys sorted (qsort on small keys, the
	 * position breaking ties), then the entries copied in that order.
	 */
	if (b->n > 1) {
		k = malloc(b->n * sizeof(*k));
		if (!k)
			return -ENOMEM;
		for (i = 0; i < b->n; i++)
			skey_of(&b->v[i].cidr, (uint32_t)i, &k[i]);
		for (i = 1; i < b->n; i++)
			if (skey_cmp_nostable(&k[i - 1], &k[i]) > 0)
				break;
		if (i < b->n)
			qsort(k, b->n, sizeof(*k), skey_cmp);
		for (i = 0; i < b->n; i++)
			(*out)[i] = b->v[k[i].at];
		free(k);
	} else if (b->n) {
		(*out)[0] = b->v[0];
	}
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
	return 0;
}
