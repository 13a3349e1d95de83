// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
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
 */
#include <stdio.h>
#include <stdlib.h>

#include "resolve.h"

static const struct np_cidr all4 = { .family = 4, .len = 0 };
static const struct np_cidr all6 = { .family = 6, .len = 0 };

bool np__pod_eligible(const struct np_obj *pod)
{
	return !pod->pod.host_network && pod->pod.nips &&
	       pod->pod.phase != NP_PHASE_SUCCEEDED &&
	       pod->pod.phase != NP_PHASE_FAILED;
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

/* --- the context: indexes over the snapshot ----------------------------- */

static void ctx_free(struct np_ctx *ctx)
{
	size_t i, j;

	if (!ctx)
		return;
	for (i = 0; ctx->pe_of && i < ctx->npols; i++) {
		for (j = 0; j < ctx->npe_of[i]; j++)
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
	free(ctx->groups);
	for (i = 0; i < ctx->peers.cap; i++) {
		struct np_peer_slot *ps = ctx->peers.slots[i].val;

		if (ps) {
			free(ps->pods);
			free(ps->by_ip);
		}
	}
	np__hashmap_release(&ctx->peers);
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
	np__arena_release(&ctx->arena);
	free(ctx);
}

static const struct np_obj *find_ns(const struct np_ctx *ctx, const char *name)
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

int np__ctx_get(struct np_cluster *c, struct np_ctx **out)
{
	struct np_ctx *ctx = ctx_of(c);
	size_t i, n;
	int err;

	if (ctx && ctx->gen == c->gen) {
		*out = ctx;
		return 0;
	}
	ctx_drop(c);
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->gen = c->gen;
	err = np__cluster_sorted(c, NP_KIND_POD, &ctx->pods, &ctx->npods);
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
		const struct np_obj *nso = find_ns(ctx, ns);

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
	/* the snapshot tells the context of every change from now on */
	np__cluster_set_hooks(c, &ctx_hooks, ctx);
	*out = ctx;
	return 0;
fail:
	ctx_free(ctx);
	return err;
}

static const struct np_nsgroup *group_of(const struct np_ctx *ctx,
					 const char *ns)
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

/* --- building one PolicyEndpoint ---------------------------------------- */

struct ebuf {
	struct np_pe_entry *v;
	size_t n, cap;
};

static int ebuf_add(struct ebuf *b, const struct np_cidr *cidr,
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

static int add_pod_hosts(struct ebuf *b, const struct np_obj *pod,
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

static bool rule_has_named(const struct np_rule *r)
{
	size_t i;

	for (i = 0; i < r->nports; i++)
		if (r->ports[i].name)
			return true;
	return false;
}

static bool ip_in_block(const struct np_ipblock *b, const struct np_ip *ip)
{
	size_t i;

	if (!np__cidr_has_ip(&b->cidr, ip))
		return false;
	for (i = 0; i < b->nexcept; i++)
		if (np__cidr_has_ip(&b->except[i], ip))
			return false;
	return true;
}

/* Every eligible pod with an address inside the block (NULL: anywhere). */
static int add_named_in_block(struct np_ctx *ctx, struct np_arena *a,
			      struct ebuf *b, const struct np_rule *r,
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
			if (blk && !ip_in_block(blk, &pod->pod.ips[j]))
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

static int peer_pods(struct np_ctx *ctx, const struct np_obj *pol,
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
	if (!ps->key || (peer->ns_sel && !ps->ns_sel) ||
	    (peer->pod_sel && !ps->pod_sel) || (!peer->ns_sel && !ps->ns) ||
	    np__hashmap_add(&ctx->peers, h, ps, 64))
		goto nomem;
	/* the slot owns the list: pod changes patch it in place */
	ps->pods = pods;
	ps->cap = m;
	ps->h = h;
	ps->n = m;
	ps->id = ctx->npeers++;
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
 * come sorted (ebuf_take() then has nothing to sort): sorted once per
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

	err = peer_pods(ctx, pol, peer, out, n, &ps);
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

static int ingress_rule(struct np_ctx *ctx, struct np_arena *a,
			const struct np_obj *pol, const struct np_rule *r,
			int ri, const struct np_obj *rep, struct ebuf *b)
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

static int egress_rule(struct np_ctx *ctx, struct np_arena *a,
		       const struct np_obj *pol, const struct np_rule *r,
		       int ri, struct ebuf *b)
{
	bool named = rule_has_named(r);
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
		err = named ? peer_pods(ctx, pol, peer, &sel, &nsel, NULL) :
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
	const struct ebuf *b; /* grows while the index is used: indices */
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

static int eindex_build(struct eindex *x, const struct ebuf *b)
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

static int service_backends(struct np_ctx *ctx)
{
	size_t s, k, y, cap, n = 0;

	if (ctx->svc_pods)
		return 0;
	ctx->svc_pods = calloc(ctx->nsvcs + 1, sizeof(*ctx->svc_pods));
	ctx->nsvc_pods = calloc(ctx->nsvcs + 1, sizeof(*ctx->nsvc_pods));
	if (!ctx->svc_pods || !ctx->nsvc_pods)
		return -ENOMEM;
	for (s = 0; s < ctx->nsvcs; s++) {
		const struct np_obj *svc = ctx->svcs[s];
		const struct np_nsgroup *g = group_of(ctx, svc->meta.ns);
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
				return -ENOMEM;
			ctx->svc_pods[s][ctx->nsvc_pods[s]++] = pod;
			n += pod->pod.nips;
		}
	}
	ctx->bk = malloc((n + 1) * sizeof(*ctx->bk));
	if (!ctx->bk)
		return -ENOMEM;
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
}

/*
 * The Services with a backend address inside some entry's CIDR: only
 * those can have a backend that the entries allow.
 */
static int reached_services(const struct np_ctx *ctx, const struct ebuf *b,
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
			    struct ebuf *b, const struct eindex *idx,
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

static int add_services(struct np_ctx *ctx, struct np_arena *a, struct ebuf *b)
{
	struct eindex idx = { 0 };
	bool *cand;
	int err;

	err = service_backends(ctx);
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
static int ebuf_take(struct np_arena *a, struct ebuf *b,
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

/* The distinct (name, protocol) pairs of a policy's ingress named ports. */
struct pname {
	const char *name;
	uint8_t proto;
};

static size_t ingress_names(const struct np_obj *pol, struct pname *v,
			    size_t max)
{
	size_t n = 0, i, j, k;

	for (i = 0; i < pol->np.ningress; i++)
		for (j = 0; j < pol->np.ingress[i].nports; j++) {
			const struct np_port *p = &pol->np.ingress[i].ports[j];

			if (!p->name)
				continue;
			for (k = 0; k < n; k++)
				if (v[k].proto == p->proto &&
				    !strcmp(v[k].name, p->name))
					break;
			if (k == n && n < max) {
				v[n].name = p->name;
				v[n++].proto = p->proto;
			}
		}
	return n;
}

static void signature(const struct np_obj *pod, const struct pname *names,
		      size_t n, uint16_t *sig)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct np_container_port *cp =
			np__pod_port(pod, names[i].name, names[i].proto);

		sig[i] = cp ? cp->port : 0;
	}
}

/* The podSelectorEndpoints: every address of the selected pods. */
static int pe_pods(struct np_arena *a, struct np_obj *o,
		   const struct np_obj *const *sel, size_t nsel)
{
	size_t i, j, npods = 0;

	for (i = 0; i < nsel; i++)
		npods += sel[i]->pod.nips;
	o->pe.npods = 0;
	o->pe.pods = np__arena_zalloc(a, (npods + 1) * sizeof(*o->pe.pods));
	if (!o->pe.pods)
		return -ENOMEM;
	for (i = 0; i < nsel; i++)
		for (j = 0; j < sel[i]->pod.nips; j++) {
			struct np_pe_pod *pp = &o->pe.pods[o->pe.npods++];

			pp->pod_ip = sel[i]->pod.ips[j];
			pp->host_ip = sel[i]->pod.host_ip;
			pp->name = sel[i]->meta.name;
			pp->ns = sel[i]->meta.ns;
		}
	return 0;
}

/* Entries into arena a; the ports arrays they share stay shared. */
static int entries_copy(struct np_arena *a, const struct np_pe_entry *v,
			size_t n, struct np_pe_entry **out)
{
	const struct np_port *last = NULL;
	struct np_port *copy = NULL;
	size_t i;

	*out = np__arena_alloc(a, (n + 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	if (n)
		memcpy(*out, v, n * sizeof(**out));
	for (i = 0; i < n; i++) {
		if (!v[i].ports)
			continue;
		if (!i || v[i].ports != last ||
		    v[i].nports != v[i - 1].nports) {
			last = v[i].ports;
			copy = np__arena_zalloc(a, (v[i].nports + 1) *
							   sizeof(*copy));
			if (!copy)
				return -ENOMEM;
			if (v[i].nports)
				memcpy(copy, v[i].ports,
				       v[i].nports * sizeof(*copy));
		}
		(*out)[i].ports = copy;
	}
	return 0;
}

/*
 * A new version of old that selects other pods: the rules do not depend on
 * which pods a policy without ingress named ports selects, so they are
 * copied, and keep their rules_id (and with it the compiled cores).
 */
static int pe_reselect(const struct np_obj *old,
		       const struct np_obj *const *sel, size_t nsel,
		       struct np_obj **out)
{
	struct np_arena arena = { 0 };
	struct np_obj *o;

	o = np__arena_zalloc(&arena, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->kind = NP_KIND_POLICY_ENDPOINT;
	o->serial = np__serial_next();
	o->meta.ns = old->meta.ns;
	o->meta.name = np__arena_strdup(&arena, old->meta.name);
	o->pe = old->pe;
	if (!o->meta.name || pe_pods(&arena, o, sel, nsel) ||
	    entries_copy(&arena, old->pe.ingress, old->pe.ningress,
			 &o->pe.ingress) ||
	    entries_copy(&arena, old->pe.egress, old->pe.negress,
			 &o->pe.egress)) {
		np__arena_release(&arena);
		return -ENOMEM;
	}
	if (!old->pe.ingress)
		o->pe.ingress = NULL;
	if (!old->pe.egress)
		o->pe.egress = NULL;
	o->arena = arena;
	*out = o;
	return 0;
}

static int build_pe(struct np_ctx *ctx, const struct np_obj *pol,
		    const struct np_obj *const *sel, size_t nsel, unsigned part,
		    struct np_obj **out)
{
	struct np_arena arena = { 0 };
	struct ebuf b = { 0 };
	struct np_obj *o;
	size_t i, base;
	uint64_t h;
	int err = -ENOMEM;

	o = np__arena_zalloc(&arena, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->kind = NP_KIND_POLICY_ENDPOINT;
	o->serial = np__serial_next();
	o->meta.ns = pol->meta.ns;
	h = np__hash_str(pol->meta.name, np__hash_str(pol->meta.ns, part));
	/*
	 * As generateName does: the name stays within 63 characters, or a
	 * long policy name (or its last label) would make an invalid one.
	 * A cut that ends in '.' would start a label with '-'.
	 */
	base = NP_MIN(strlen(pol->meta.name), (size_t)57);
	while (base && pol->meta.name[base - 1] == '.')
		base--;
	o->meta.name = np__arena_printf(&arena, "%.*s-%05llx", (int)base,
					pol->meta.name,
					(unsigned long long)(h & 0xfffff));
	o->pe.ref_ns = pol->meta.ns;
	o->pe.ref_name = pol->meta.name;
	o->pe.iso_ingress = pol->np.ingress_type;
	o->pe.iso_egress = pol->np.egress_type;
	o->pe.pod_sel = (struct np_selector *)&pol->np.pod_sel;
	o->pe.rules_id = o->serial;
	if (!o->meta.name || pe_pods(&arena, o, sel, nsel))
		goto fail;
	if (pol->np.ingress_type) {
		for (i = 0; i < pol->np.ningress; i++) {
			err = ingress_rule(ctx, &arena, pol,
					   &pol->np.ingress[i], (int)i,
					   nsel ? sel[0] : NULL, &b);
			if (err)
				goto fail;
		}
		err = ebuf_take(&arena, &b, &o->pe.ingress, &o->pe.ningress);
		if (err)
			goto fail;
	}
	if (pol->np.egress_type) {
		for (i = 0; i < pol->np.negress; i++) {
			err = egress_rule(ctx, &arena, pol, &pol->np.egress[i],
					  (int)i, &b);
			if (err)
				goto fail;
		}
		err = add_services(ctx, &arena, &b);
		if (!err)
			err = ebuf_take(&arena, &b, &o->pe.egress,
					&o->pe.negress);
		if (err)
			goto fail;
	}
	o->arena = arena;
	*out = o;
	return 0;
fail:
	free(b.v);
	np__arena_release(&arena);
	return err;
}

/*
 * Record what a freshly resolved policy depends on (struct np_touch). Left
 * unindexed on failure: then every pod change looks at it closely.
 */
static void index_deps(struct np_ctx *ctx, size_t pi)
{
	const struct np_obj *pol = ctx->pols[pi];
	struct np_touch *t = &ctx->touched[pi];
	const struct np_obj **pods;
	struct np_peer_slot *ps;
	size_t d, i, j, n;

	t->indexed = false;
	t->addr_named = false;
	t->addr_any = false;
	t->nslots = 0;
	for (d = 0; d < 2; d++) {
		const struct np_rule *r = d ? pol->np.egress : pol->np.ingress;
		size_t nr = d ? pol->np.negress : pol->np.ningress;

		if (!(d ? pol->np.egress_type : pol->np.ingress_type))
			continue;
		for (i = 0; i < nr; i++) {
			bool named = d && rule_has_named(&r[i]);

			if (d && !r[i].npeers) {
				t->addr_any = true;
				t->addr_named |= named;
			}
			for (j = 0; j < r[i].npeers; j++) {
				const struct np_peer *p = &r[i].peers[j];

				if (p->ipblock) {
					t->addr_any |= d;
					t->addr_named |= named;
					continue;
				}
				if (peer_pods(ctx, pol, p, &pods, &n, &ps) ||
				    NP_GROW(t->slots, t->slotcap,
					    t->nslots + 1))
					return;
				t->slots[t->nslots++] = ps->id;
			}
		}
	}
	t->indexed = true;
}

int np__resolve_policy(struct np_ctx *ctx, size_t pi, struct np_diag *diag)
{
	const struct np_obj *pol = ctx->pols[pi];
	const struct np_nsgroup *g = group_of(ctx, pol->meta.ns);
	struct pname names[64];
	const struct np_obj **sel = NULL, **part = NULL;
	uint16_t *sigs = NULL;
	size_t nnames, nsel = 0, i, j, k, npart;
	bool *done = NULL;
	struct np_obj *pe, **list = NULL;
	size_t nlist = 0, cap = 0;
	bool reused = false;
	int err = 0;

	if (ctx->resolved[pi])
		return 0;
	nnames = ingress_names(pol, names, ARRAY_SIZE(names));
	if (g) {
		sel = malloc((g->count + 1) * sizeof(*sel));
		part = malloc((g->count + 1) * sizeof(*part));
		sigs = calloc((g->count + 1) * (nnames + 1), sizeof(*sigs));
		done = calloc(g->count + 1, sizeof(*done));
		if (!sel || !part || !sigs || !done) {
			err = -ENOMEM;
			goto out;
		}
		for (k = g->first; k < g->first + g->count; k++)
			if (np__pod_eligible(ctx->pods[k]) &&
			    np__selector_matches(&pol->np.pod_sel,
						 &ctx->pods[k]->meta.labels))
				sel[nsel++] = ctx->pods[k];
	}
	if (ctx->pe_of[pi]) {
		/* left by reselect(): rules still valid, pods to redo */
		struct np_obj **stale = ctx->pe_of[pi];
		size_t nstale = ctx->npe_of[pi];

		ctx->pe_of[pi] = NULL;
		ctx->npe_of[pi] = 0;
		if (!nnames && nstale == 1) {
			err = pe_reselect(stale[0], sel, nsel, &pe);
			if (!err && NP_GROW(list, cap, 1)) {
				np__obj_free(pe);
				err = -ENOMEM;
			}
			if (!err)
				list[nlist++] = pe;
			reused = true;
		}
		for (i = 0; i < nstale; i++)
			np__obj_free(stale[i]);
		free(stale);
		if (nlist || err)
			goto out;
	}
	ctx->resolving = pi;
	ctx->touched[pi].n = 0;
	for (i = 0; i < nsel; i++)
		signature(sel[i], names, nnames, sigs + i * (nnames + 1));
	/* one PolicyEndpoint per distinct named-port resolution */
	npart = 0;
	for (i = 0; i < nsel || (!nsel && !npart); i++) {
		size_t np = 0;

		if (nsel && done[i])
			continue;
		for (j = i; j < nsel; j++) {
			if (done[j] || memcmp(sigs + i * (nnames + 1),
					      sigs + j * (nnames + 1),
					      nnames * sizeof(*sigs)))
				continue;
			done[j] = true;
			part[np++] = sel[j];
		}
		err = build_pe(ctx, pol, part, np, (unsigned)npart, &pe);
		if (err)
			goto out;
		if (NP_GROW(list, cap, nlist + 1)) {
			np__obj_free(pe);
			err = -ENOMEM;
			goto out;
		}
		list[nlist++] = pe;
		npart++;
		if (!nsel)
			break;
	}
out:
	(void)diag;
	ctx->resolving = SIZE_MAX;
	if (err) {
		for (i = 0; i < nlist; i++)
			np__obj_free(list[i]);
		free(list);
		ctx->touched[pi].n = 0;
	} else {
		ctx->pe_of[pi] = list;
		ctx->npe_of[pi] = nlist;
		ctx->resolved[pi] = true;
		/* a reused stale list keeps its index: same rules */
		if (!reused)
			index_deps(ctx, pi);
	}
	free(sel);
	free(part);
	free(sigs);
	free(done);
	return err;
}

/* --- keeping the context in step with the snapshot ---------------------- */

static int obj_key_cmp(const struct np_obj *o, const char *ns, const char *name)
{
	int r = strcmp(o->meta.ns, ns);

	return r ? r : strcmp(o->meta.name, name);
}

/* First index whose object sorts at or after ns/name. */
static size_t lower(struct np_obj *const *v, size_t n, const char *ns,
		    const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (obj_key_cmp(v[mid], ns, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int arr_insert(void **arr, size_t *n, size_t *cap, size_t at,
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

static void arr_remove(void *arr, size_t *n, size_t at, size_t size)
{
	char *a = arr;

	memmove(a + at * size, a + (at + 1) * size, (*n - at - 1) * size);
	(*n)--;
}

/* Sorted object arrays: remove old (by identity), insert new. */
static int sorted_swap(struct np_obj ***v, size_t *n, size_t *cap,
		       const struct np_obj *old, const struct np_obj *new_,
		       size_t *removed_at, size_t *inserted_at)
{
	size_t i;

	*removed_at = *inserted_at = SIZE_MAX;
	if (old) {
		i = lower(*v, *n, old->meta.ns, old->meta.name);
		if (i < *n && (*v)[i] == old) {
			arr_remove(*v, n, i, sizeof(**v));
			*removed_at = i;
		}
	}
	if (new_) {
		i = lower(*v, *n, new_->meta.ns, new_->meta.name);
		if (arr_insert((void **)v, n, cap, i, &new_, sizeof(**v)))
			return -ENOMEM;
		*inserted_at = i;
	}
	return 0;
}

/*
 * Only the pods the policy selects changed, and its rules do not depend on
 * them (no ingress named ports): keep its PolicyEndpoints as stale, for
 * np__resolve_policy() to reuse their rules. The Services it touched stay.
 */
static void invalidate(struct np_ctx *ctx, size_t pi);

static void reselect(struct np_ctx *ctx, size_t pi)
{
	struct pname one;

	if (ctx->pe_of[pi] && ctx->npe_of[pi] == 1 &&
	    !ingress_names(ctx->pols[pi], &one, 1)) {
		ctx->resolved[pi] = false;
		return;
	}
	invalidate(ctx, pi);
}

static void invalidate(struct np_ctx *ctx, size_t pi)
{
	size_t j;

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
		size_t i = lower(ctx->pols, ctx->npols, old->meta.ns,
				 old->meta.name);

		if (i < ctx->npols && ctx->pols[i] == old) {
			invalidate(ctx, i);
			free(ctx->touched[i].v);
			free(ctx->touched[i].slots);
			arr_remove(ctx->pe_of, &n, i, sizeof(*ctx->pe_of));
			n = ctx->npols;
			arr_remove(ctx->npe_of, &n, i, sizeof(*ctx->npe_of));
			n = ctx->npols;
			arr_remove(ctx->resolved, &n, i,
				   sizeof(*ctx->resolved));
			n = ctx->npols;
			arr_remove(ctx->touched, &n, i, sizeof(*ctx->touched));
			n = ctx->npols;
			arr_remove(ctx->pols, &ctx->npols, i,
				   sizeof(*ctx->pols));
		}
	}
	if (!new_)
		return 0;
	err = sorted_swap(&ctx->pols, &ctx->npols, &ctx->polcap, NULL, new_,
			  &rm, &ins);
	if (err)
		return err;
	/* the parallel arrays follow; their capacity is polcap */
	n = ctx->npols - 1;
	cap = n;
	if (arr_insert((void **)&ctx->pe_of, &n, &cap, ins, &pe, sizeof(pe)))
		return -ENOMEM;
	n = ctx->npols - 1;
	cap = n;
	if (arr_insert((void **)&ctx->npe_of, &n, &cap, ins, &zero,
		       sizeof(zero)))
		return -ENOMEM;
	n = ctx->npols - 1;
	cap = n;
	if (arr_insert((void **)&ctx->resolved, &n, &cap, ins, &no, sizeof(no)))
		return -ENOMEM;
	n = ctx->npols - 1;
	cap = n;
	if (arr_insert((void **)&ctx->touched, &n, &cap, ins, &t, sizeof(t)))
		return -ENOMEM;
	return 0;
}

/* A namespace's labels, also for one that has no pods (yet). */
static const struct np_labels *ns_labels(const struct np_ctx *ctx,
					 const char *ns, struct np_labels *tmp,
					 struct np_label *one)
{
	const struct np_nsgroup *g = group_of(ctx, ns);
	const struct np_obj *nso;

	if (g)
		return g->labels;
	nso = find_ns(ctx, ns);
	if (nso)
		return &nso->meta.labels;
	one->key = "kubernetes.io/metadata.name";
	one->val = ns;
	tmp->v = one;
	tmp->n = 1;
	return tmp;
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

static bool peer_selects_pod(const struct np_obj *pol,
			     const struct np_peer *peer, const struct cpod *cp)
{
	const struct np_obj *pod = cp->pod;

	if (!np__pod_eligible(pod))
		return false;
	if (peer->ns_sel) {
		if (!np__selector_matches(peer->ns_sel, cp->nsl))
			return false;
	} else if (strcmp(pol->meta.ns, pod->meta.ns)) {
		return false;
	}
	return !peer->pod_sel ||
	       np__selector_matches(peer->pod_sel, &pod->meta.labels);
}

static bool pod_in_block(const struct np_ipblock *b, const struct np_obj *pod)
{
	size_t i;

	for (i = 0; i < pod->pod.nips; i++)
		if (ip_in_block(b, &pod->pod.ips[i]))
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

	if (!np__pod_eligible(pod))
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
			bool named = d && rule_has_named(&r[i]);

			bool by_addr = named || (d && backend);

			/* egress names resolve on every pod they reach */
			if (by_addr && !r[i].npeers)
				return DEP_RULES;
			for (j = 0; j < r[i].npeers; j++) {
				const struct np_peer *p = &r[i].peers[j];

				if (p->ipblock ?
					    by_addr && pod_in_block(p->ipblock,
								    pod) :
					    peer_selects_pod(pol, p, cp))
					return DEP_RULES;
			}
		}
	}
	return sel;
}

static bool svc_selects(const struct np_obj *svc, const struct np_obj *pod)
{
	struct np_selector sel = { .match = svc->svc.selector };

	return svc->svc.has_selector && svc->svc.selector.n &&
	       !strcmp(svc->meta.ns, pod->meta.ns) &&
	       np__selector_matches(&sel, &pod->meta.labels);
}

static void drop_service_backends(struct np_ctx *ctx)
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

static int groups_insert(struct np_ctx *ctx, const struct np_obj *pod,
			 size_t at)
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
	nso = find_ns(ctx, pod->meta.ns);
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
	return arr_insert((void **)&ctx->groups, &ctx->ngroups, &ctx->groupcap,
			  lo, &g, sizeof(g));
}

static void groups_remove(struct np_ctx *ctx, const struct np_obj *pod,
			  size_t at)
{
	size_t i;

	for (i = 0; i < ctx->ngroups; i++) {
		if (!strcmp(ctx->groups[i].name, pod->meta.ns)) {
			if (!--ctx->groups[i].count) {
				arr_remove(ctx->groups, &ctx->ngroups, i,
					   sizeof(*ctx->groups));
				i--;
			}
			continue;
		}
		if (ctx->groups[i].first > at)
			ctx->groups[i].first--;
	}
}

/* Patch every cached peer expansion that selects old or new. */
/* hit[id] of each peer slot: 1, it selects old; 2, new. */
static unsigned char *slots_hit(const struct np_ctx *ctx,
				const struct cpod *cold,
				const struct cpod *cnew)
{
	unsigned char *hit = calloc(ctx->npeers + 1, 1);
	size_t i;

	if (!hit)
		return NULL;
	for (i = 0; i < ctx->peers.cap; i++) {
		const struct np_peer_slot *ps = ctx->peers.slots[i].val;

		if (!ps)
			continue;
		if (cold->pod && slot_selects(ps, cold))
			hit[ps->id] |= 1;
		if (cnew->pod && slot_selects(ps, cnew))
			hit[ps->id] |= 2;
	}
	return hit;
}

static int peers_patch(struct np_ctx *ctx, const unsigned char *hit,
		       const struct np_obj *old, const struct np_obj *new_)
{
	size_t i, j;

	for (i = 0; i < ctx->peers.cap; i++) {
		struct np_peer_slot *ps = ctx->peers.slots[i].val;

		if (!ps)
			continue;
		if (hit[ps->id]) {
			free(ps->by_ip);
			ps->by_ip = NULL;
		}
		if (old && (hit[ps->id] & 1)) {
			j = lower((struct np_obj *const *)ps->pods, ps->n,
				  old->meta.ns, old->meta.name);
			if (j < ps->n && ps->pods[j] == old)
				arr_remove(ps->pods, &ps->n, j,
					   sizeof(*ps->pods));
		}
		if (new_ && (hit[ps->id] & 2)) {
			j = lower((struct np_obj *const *)ps->pods, ps->n,
				  new_->meta.ns, new_->meta.name);
			if (arr_insert((void **)&ps->pods, &ps->n, &ps->cap, j,
				       &new_, sizeof(new_)))
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
	unsigned char *hit;
	int err;

	/* the same labels before and after: from the group or the object */
	cpod_init(ctx, old, &cold);
	cpod_init(ctx, new_, &cnew);
	for (i = 0; i < ctx->nsvcs; i++) {
		bold = bold || (old && svc_selects(ctx->svcs[i], old));
		bnew = bnew || (new_ && svc_selects(ctx->svcs[i], new_));
	}
	hit = slots_hit(ctx, &cold, &cnew);
	if (!hit)
		return -ENOMEM;
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
			if ((old && svc_selects(ctx->touched[i].v[j], old)) ||
			    (new_ && svc_selects(ctx->touched[i].v[j], new_)))
				break;
		if (j < ctx->touched[i].n)
			invalidate(ctx, i);
		else if (d == DEP_SELECTED)
			reselect(ctx, i);
	}
	if (bold || bnew)
		drop_service_backends(ctx);
	/* old leaves the peer lists while its namespace group exists */
	err = peers_patch(ctx, hit, old, NULL);
	if (!err)
		err = sorted_swap(&ctx->pods, &ctx->npods, &ctx->podcap, old,
				  NULL, &rm, &ins);
	if (!err && rm != SIZE_MAX)
		groups_remove(ctx, old, rm);
	if (!err)
		err = sorted_swap(&ctx->pods, &ctx->npods, &ctx->podcap, NULL,
				  new_, &rm, &ins);
	if (!err && ins != SIZE_MAX)
		err = groups_insert(ctx, new_, ins);
	if (!err)
		err = peers_patch(ctx, hit, NULL, new_);
	free(hit);
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
		break;
	case NP_KIND_NETWORK_POLICY:
		err = pol_change(ctx, old, new_);
		break;
	case NP_KIND_POLICY_ENDPOINT:
		err = sorted_swap(&ctx->pes, &ctx->npes, &ctx->pecap, old, new_,
				  &rm, &ins);
		break;
	case NP_KIND_SERVICE:
		/* rare: re-read the Services, re-resolve egress policies */
		drop_service_backends(ctx);
		free(ctx->svcs);
		ctx->svcs = NULL;
		err = np__cluster_sorted(c, NP_KIND_SERVICE, &ctx->svcs,
					 &ctx->nsvcs);
		for (i = 0; !err && i < ctx->npols; i++)
			if (ctx->pols[i]->np.egress_type)
				invalidate(ctx, i);
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
		if (i && obj_key_cmp(ctx->pods[i - 1], ctx->pods[i]->meta.ns,
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
	return 0;
}
