// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ClusterNetworkPolicy tiers (issue 15), folded at compile time into the
 * one rule set per pod that the datapath already enforces with one lookup.
 *
 * Per pod and direction, a flow is judged as the upstream API says:
 *
 *   1. Admin tier: the Admin policies whose subject selects the pod, by
 *      priority (0 first); at equal priority by policy name (byte order),
 *      then the policy.networking.k8s.io group before networking.k8s.aws;
 *      inside a policy, rules in written order. The first rule whose peers
 *      hold the remote address and whose ports hold the flow decides:
 *      Accept allows, Deny denies, Pass goes to step 2.
 *   2. NetworkPolicy: when one isolates the pod in this direction, its
 *      union of allows is final.
 *   3. Baseline tier: as step 1 (Pass goes to step 4).
 *   4. Allowed.
 *
 * Two evaluators live here. np__tier_eval() is the reference: it walks the
 * lists for one flow, straight from the text above. np__tier_fold() turns
 * the same lists into LPM keys: every prefix of every rule and every key of
 * the NetworkPolicy rule set forms a laminar family, and for the addresses
 * whose longest prefix is k the rules that can match are exactly those
 * with a prefix containing k; the decision list is then run over the whole
 * (protocol << 16 | port) axis with interval sets. "Allow by default with
 * exceptions" needs no datapath change: the fold always considers
 * 0.0.0.0/0 and ::/0 keys, kept when they allow something (the cost: an
 * LPM walk on a host-key miss for such pods).
 *
 * Egress rules also judge a Service's ClusterIP (the datapath sees it
 * before DNAT) by its backends: an Accept when every backend matches, a
 * Deny or Pass when one does, so that a Service is no way around a Deny.
 *
 * np_ruleset_compile() (tier_cpe.c) is the NetworkPolicy rule set
 * (np__ruleset_compile_np(), ruleset.c) with the tiers folded in: from the
 * policies here, or from ClusterPolicyEndpoints through the same fold
 * (np__tier_fold_with()).
 *
 * An egress nodes peer is the selected Nodes' InternalIP and ExternalIP
 * addresses, as hosts. The pod's own node address (its hostIP) is allowed
 * before any tier, as for NetworkPolicy (kubelet probes): a Deny of nodes
 * selecting it is not enforced for that address, and a warning says so.
 *
 * Peers that cannot be enforced (domainNames, nodes: the snapshot has no
 * Node objects, a peer of a newer API): in an Accept rule the peer matches
 * nothing (a warning through the cluster's log); in a Deny or Pass rule
 * the pod's direction cannot be compiled: -ENOTSUP with a diag naming the
 * policy, the rule and the pod, and diag->fail_closed_dirs set, so that
 * the caller fails that direction closed (upstream's fail-closed reading).
 */
#include <stdio.h>
#include <stdlib.h>

#include "opts.h"
#include "ruleset_internal.h"
#include "tier.h"

#define AXMAX NP_TIV_MAX

static const char *const dir_names[] = { "ingress", "egress" };

/* --- the ordered rules of a pod ----------------------------------------- */

bool np__tier_any(const struct np_cluster *c)
{
	return c->t[NP_KIND_CLUSTER_NETWORK_POLICY].n ||
	       c->t[NP_KIND_AWS_CLUSTER_NETWORK_POLICY].n;
}

static bool subject_has(const struct np_ctx *ctx, const struct np_cnp *p,
			const struct np_obj *pod)
{
	struct np_labels tmp;
	struct np_label one;
	const struct np_labels *nsl;

	if (!np__pod_selectable(pod))
		return false;
	nsl = np__ns_labels(ctx, pod->meta.ns, &tmp, &one);
	if (p->subject.kind == NP_CNP_PEER_NAMESPACES)
		return p->subject.sel &&
		       np__selector_matches(p->subject.sel, nsl);
	if (p->subject.kind != NP_CNP_PEER_PODS || !p->subject.sel)
		return false;
	if (p->subject.ns_sel && !np__selector_matches(p->subject.ns_sel, nsl))
		return false;
	return np__selector_matches(p->subject.sel, &pod->meta.labels);
}

static int trule_cmp(const void *a, const void *b)
{
	const struct np_trule *x = a, *y = b;
	const struct np_cnp *p = &x->pol->cnp, *q = &y->pol->cnp;
	int r;

	if (p->tier != q->tier)
		return p->tier < q->tier ? -1 : 1;
	if (p->priority != q->priority)
		return p->priority < q->priority ? -1 : 1;
	r = strcmp(x->pol->meta.name, y->pol->meta.name);
	if (r)
		return r;
	if (p->aws != q->aws)
		return p->aws ? 1 : -1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * nodes: only with Node objects (with none at all, selecting none would
 * silently weaken a Deny: the peer is not enforced).
 */
static bool peer_enforceable(const struct np_cluster *c,
			     const struct np_cnp_peer *p)
{
	return p->kind == NP_CNP_PEER_NAMESPACES ||
	       p->kind == NP_CNP_PEER_PODS || p->kind == NP_CNP_PEER_NETWORKS ||
	       (p->kind == NP_CNP_PEER_NODES && c->t[NP_KIND_NODE].n);
}

/* Whether Node n is one of nodes peer p's. */
static bool node_selected(const struct np_cnp_peer *p, const struct np_obj *n)
{
	return p->sel && np__selector_matches(p->sel, &n->meta.labels);
}

/* Whether ip is an address of a Node that nodes peer p selects. */
static bool node_peer_has(const struct np_ctx *ctx, const struct np_cnp_peer *p,
			  const struct np_ip *ip)
{
	size_t i, j;

	for (i = 0; i < ctx->nnodes; i++) {
		const struct np_kube_node *kn = &ctx->nodes[i]->node;

		for (j = 0; j < kn->naddrs; j++)
			if (!memcmp(&kn->addrs[j].ip, ip, sizeof(*ip)) &&
			    node_selected(p, ctx->nodes[i]))
				return true;
	}
	return false;
}

bool np__tier_subject_has(const struct np_ctx *ctx, const struct np_cnp *p,
			  const struct np_obj *pod)
{
	return subject_has(ctx, p, pod);
}

bool np__tier_peer_enforceable(const struct np_cluster *c,
			       const struct np_cnp_peer *p)
{
	return peer_enforceable(c, p);
}

int np__tier_rules(struct np_cluster *c, struct np_ctx *ctx,
		   const struct np_obj *pod, int dir, struct np_trule **out,
		   size_t *n)
{
	static const enum np_kind kinds[] = {
		NP_KIND_CLUSTER_NETWORK_POLICY,
		NP_KIND_AWS_CLUSTER_NETWORK_POLICY,
	};
	struct np_trule *v = NULL;
	size_t cap = 0, m = 0, i, j, k, nobj;
	struct np_obj **objs;
	int err;

	for (k = 0; k < 2; k++) {
		err = np__cluster_sorted(c, kinds[k], &objs, &nobj);
		if (err) {
			free(v);
			return err;
		}
		for (i = 0; i < nobj; i++) {
			const struct np_cnp *p = &objs[i]->cnp;
			const struct np_cnp_rule *r = dir ? p->egress :
							    p->ingress;
			size_t nr = dir ? p->negress : p->ningress;

			if (!nr || !subject_has(ctx, p, pod))
				continue;
			for (j = 0; j < nr; j++) {
				if (NP_GROW(v, cap, m + 1)) {
					free(objs);
					free(v);
					return -ENOMEM;
				}
				v[m].pol = objs[i];
				v[m].r = &r[j];
				v[m].idx = (int)j;
				m++;
			}
		}
		free(objs);
	}
	if (m)
		qsort(v, m, sizeof(*v), trule_cmp);
	*out = v;
	*n = m;
	return 0;
}

/*
 * Unenforceable peers of the pod's rules in dir: Accept ones are logged,
 * the first Deny or Pass one is an error (diag names it).
 */
static int check_enforceable(struct np_cluster *c, const struct np_obj *pod,
			     int dir, const struct np_trule *tr, size_t n,
			     struct np_diag *diag)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct np_cnp_rule *r = tr[i].r;

		for (j = 0; j < r->npeers; j++) {
			if (peer_enforceable(c, &r->peers[j]))
				continue;
			if (r->action == NP_CNP_ACCEPT) {
				np__log(c->log, c->log_ctx, NP_LOG_WARN,
					"cnp/%s %s[%d]: peer %zu not enforced "
					"(needs %s) for pod %s/%s: it matches "
					"nothing",
					tr[i].pol->meta.name, dir_names[dir],
					tr[i].idx, j,
					r->peers[j].kind ==
							NP_CNP_PEER_DOMAINS ?
						"DNS awareness" :
					r->peers[j].kind == NP_CNP_PEER_NODES ?
						"Node objects" :
						"a newer API version",
					pod->meta.ns, pod->meta.name);
				continue;
			}
			if (diag) {
				memset(diag, 0, sizeof(*diag));
				diag->err = -ENOTSUP;
				diag->fail_closed_dirs = 1u << dir;
				snprintf(diag->object, sizeof(diag->object),
					 "Pod %s/%s", pod->meta.ns,
					 pod->meta.name);
				snprintf(diag->path, sizeof(diag->path), "%s",
					 dir_names[dir]);
				snprintf(
					diag->message, sizeof(diag->message),
					"cnp/%s spec.%s[%d].%s[%zu]: Not "
					"supported: a %s rule with a peer that "
					"cannot be enforced (%s): failing "
					"closed",
					tr[i].pol->meta.name, dir_names[dir],
					tr[i].idx, dir ? "to" : "from", j,
					np__cnp_action_name(r->action),
					r->peers[j].kind ==
							NP_CNP_PEER_DOMAINS ?
						"domainNames" :
					r->peers[j].kind == NP_CNP_PEER_NODES ?
						"nodes" :
						"unknown peer type");
			}
			return -ENOTSUP;
		}
	}
	return 0;
}

/*
 * Two policies of one tier at one priority with rules for the pod in dir:
 * the API leaves their order to the implementation; say which goes first.
 */
static void warn_ties(struct np_cluster *c, const struct np_obj *pod, int dir,
		      const struct np_trule *tr, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		const struct np_obj *p = tr[i - 1].pol, *q = tr[i].pol;

		if (p == q || p->cnp.tier != q->cnp.tier ||
		    p->cnp.priority != q->cnp.priority)
			continue;
		np__log(c->log, c->log_ctx, NP_LOG_WARN,
			"cnp/%s and cnp/%s: both %s priority %d with %s rules "
			"for pod %s/%s: cnp/%s goes first (name order)",
			p->meta.name, q->meta.name,
			np__cnp_tier_name(p->cnp.tier), (int)p->cnp.priority,
			dir_names[dir], pod->meta.ns, pod->meta.name,
			p->meta.name);
	}
}

/*
 * A Deny of nodes that selects the pod's own node: its address (the pod's
 * hostIP) stays allowed before any tier, for kubelet probes; say so.
 */
static void warn_own_node(struct np_cluster *c, const struct np_ctx *ctx,
			  const struct np_obj *pod, int dir,
			  const struct np_trule *tr, size_t n)
{
	const struct np_ip *hip = &pod->pod.host_ip;
	char buf[64];
	size_t i, j;

	if (!hip->family)
		return;
	for (i = 0; i < n; i++) {
		const struct np_cnp_rule *r = tr[i].r;

		for (j = 0; r->action == NP_CNP_DENY && j < r->npeers; j++) {
			if (r->peers[j].kind != NP_CNP_PEER_NODES ||
			    !node_peer_has(ctx, &r->peers[j], hip))
				continue;
			np__ip_format(hip, buf, sizeof(buf));
			np__log(c->log, c->log_ctx, NP_LOG_WARN,
				"cnp/%s %s[%d]: peer %zu denies the node of "
				"pod %s/%s: its address %s stays allowed "
				"(kubelet probes), not enforced",
				tr[i].pol->meta.name, dir_names[dir], tr[i].idx,
				j, pod->meta.ns, pod->meta.name, buf);
		}
	}
}

/* --- the reference evaluator -------------------------------------------- */

static bool peer_pod_match(const struct np_ctx *ctx,
			   const struct np_cnp_peer *p,
			   const struct np_obj *peer)
{
	struct np_labels tmp;
	struct np_label one;
	const struct np_labels *nsl;

	if (!peer || !np__pod_eligible(peer))
		return false;
	nsl = np__ns_labels(ctx, peer->meta.ns, &tmp, &one);
	if (p->kind == NP_CNP_PEER_NAMESPACES)
		return p->sel && np__selector_matches(p->sel, nsl);
	if (p->ns_sel && !np__selector_matches(p->ns_sel, nsl))
		return false;
	return p->sel && np__selector_matches(p->sel, &peer->meta.labels);
}

/* Whether the rule's ports hold proto/port; named ones on pod named_on. */
static bool ports_hold(const struct np_cnp_rule *r,
		       const struct np_obj *named_on, uint8_t proto,
		       uint16_t port)
{
	size_t i, j;

	if (!r->nports)
		return true;
	for (i = 0; i < r->nports; i++) {
		const struct np_port *p = &r->ports[i];

		if (p->name) {
			for (j = 0; named_on && j < named_on->pod.nports; j++) {
				const struct np_container_port *cp =
					&named_on->pod.ports[j];

				if (cp->name && !strcmp(cp->name, p->name) &&
				    cp->proto == proto && cp->port == port)
					return true;
			}
			continue;
		}
		if (p->proto != proto)
			continue;
		if (!p->has_port ||
		    (port >= p->port &&
		     port <= (p->end_port ? p->end_port : p->port)))
			return true;
	}
	return false;
}

/* Whether rule r matches the flow (unenforceable peers never do). */
static bool rule_matches(const struct np_ctx *ctx, const struct np_obj *pod,
			 int dir, const struct np_cnp_rule *r,
			 const struct np_ip *ip, const struct np_obj *peer,
			 uint8_t proto, uint16_t port)
{
	size_t i, j;

	for (i = 0; i < r->npeers; i++) {
		const struct np_cnp_peer *p = &r->peers[i];
		bool hit = false;
		const struct np_obj *named_on = NULL;

		switch (p->kind) {
		case NP_CNP_PEER_NAMESPACES:
		case NP_CNP_PEER_PODS:
			hit = peer_pod_match(ctx, p, peer);
			named_on = dir ? peer : pod;
			break;
		case NP_CNP_PEER_NETWORKS:
			for (j = 0; j < p->nnets && !hit; j++)
				hit = np__cidr_has_ip(&p->nets[j], ip);
			/* named ports: on the subject pod for ingress */
			named_on = dir ? NULL : pod;
			break;
		case NP_CNP_PEER_NODES:
			/* egress only, no named ports (the CRD's rule) */
			hit = node_peer_has(ctx, p, ip);
			break;
		default:
			break;
		}
		if (hit && ports_hold(r, named_on, proto, port))
			return true;
	}
	return false;
}

/*
 * Whether egress rule r matches a flow to Service port sp of ctx->svcs[s]
 * by its backends (the datapath sees the ClusterIP, before DNAT): for an
 * Accept every backend must match (at least one), for a Deny or Pass one
 * is enough, so that a Service is no way around a Deny.
 */
static bool svc_hit(const struct np_ctx *ctx, const struct np_obj *pod,
		    const struct np_cnp_rule *r, size_t s,
		    const struct np_service_port *sp, int family)
{
	bool any = false, all = true;
	size_t k, y;

	for (k = 0; k < ctx->nsvc_pods[s]; k++) {
		const struct np_obj *bp = ctx->svc_pods[s][k];
		uint16_t target = sp->target_port;
		bool hit = false;

		if (sp->target_name) {
			const struct np_container_port *cp =
				np__pod_port(bp, sp->target_name, sp->proto);

			target = cp ? cp->port : 0;
		}
		for (y = 0; target && y < bp->pod.nips; y++)
			if (bp->pod.ips[y].family == family &&
			    rule_matches(ctx, pod, 1, r, &bp->pod.ips[y], bp,
					 sp->proto, target))
				hit = true;
		any |= hit;
		all &= hit;
	}
	return r->action == NP_CNP_ACCEPT ? any && all : any;
}

/* Whether egress rule r matches a flow to a ClusterIP ip. */
static bool svc_matches(const struct np_ctx *ctx, const struct np_obj *pod,
			const struct np_cnp_rule *r, const struct np_ip *ip,
			uint8_t proto, uint16_t port)
{
	size_t s, i, x;

	for (s = 0; ctx->svc_pods && s < ctx->nsvcs; s++) {
		const struct np_service *sv = &ctx->svcs[s]->svc;

		for (x = 0; x < sv->nips; x++) {
			if (memcmp(&sv->ips[x], ip, sizeof(*ip)))
				continue;
			for (i = 0; i < sv->nports; i++)
				if (sv->ports[i].proto == proto &&
				    sv->ports[i].port == port &&
				    svc_hit(ctx, pod, r, s, &sv->ports[i],
					    ip->family))
					return true;
		}
	}
	return false;
}

/* The reference's match: by the address, or egress by a Service's. */
static bool flow_matches(const struct np_ctx *ctx, const struct np_obj *pod,
			 int dir, const struct np_cnp_rule *r,
			 const struct np_ip *ip, const struct np_obj *peer,
			 uint8_t proto, uint16_t port)
{
	return rule_matches(ctx, pod, dir, r, ip, peer, proto, port) ||
	       (dir && svc_matches(ctx, pod, r, ip, proto, port));
}

int np__tier_eval(struct np_cluster *c, const struct np_obj *pod,
		  const struct np_ruleset *nprs, enum np_direction dir,
		  const struct np_ip *ip, const struct np_obj *peer,
		  uint8_t proto, uint16_t port, struct np_tier_verdict *v,
		  struct np_diag *diag)
{
	struct np_trule *tr = NULL;
	struct np_verdict nv;
	struct np_ctx *ctx;
	size_t n = 0, i;
	bool pass = false;
	int d = dir == NP_DIRECTION_EGRESS, err;

	memset(v, 0, sizeof(*v));
	v->rule = -1;
	err = np__ctx_get(c, &ctx);
	if (!err)
		err = np__service_backends(ctx);
	if (!err)
		err = np__tier_rules(c, ctx, pod, d, &tr, &n);
	if (!err)
		err = check_enforceable(c, pod, d, tr, n, diag);
	if (err)
		goto out;
	if (nprs->node_ip.family == ip->family &&
	    !memcmp(nprs->node_ip.addr, ip->addr, sizeof(ip->addr))) {
		v->allowed = true;
		v->tier = NP_TIER_NODE;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct np_trule *t = &tr[i];

		if (t->pol->cnp.tier != NP_CNP_TIER_ADMIN)
			break;
		if (pass ||
		    !flow_matches(ctx, pod, d, t->r, ip, peer, proto, port))
			continue;
		if (t->r->action == NP_CNP_PASS) {
			pass = true;
			continue;
		}
		v->allowed = t->r->action == NP_CNP_ACCEPT;
		v->tier = NP_TIER_ADMIN;
		goto decided;
	}
	if (nprs->core->isolated[d]) {
		err = np__ruleset_verdict_ip(nprs, dir, ip, proto, port, &nv);
		if (err)
			goto out;
		v->allowed = nv.allowed;
		v->tier = NP_TIER_NETWORK_POLICY;
		goto out;
	}
	for (; i < n; i++) {
		const struct np_trule *t = &tr[i];

		if (!flow_matches(ctx, pod, d, t->r, ip, peer, proto, port))
			continue;
		if (t->r->action == NP_CNP_PASS)
			break;
		v->allowed = t->r->action == NP_CNP_ACCEPT;
		v->tier = NP_TIER_BASELINE;
		goto decided;
	}
	v->allowed = true;
	v->tier = NP_TIER_DEFAULT;
	goto out;
decided:
	v->pol = tr[i].pol;
	v->rule = tr[i].idx;
	v->action = tr[i].r->action;
out:
	free(tr);
	return err;
}

/* --- interval sets over (protocol << 16 | port) ------------------------- */

/* sorted, disjoint, not adjacent */
struct ivs {
	struct np_tiv *v;
	size_t n;
};

static int iv_cmp(const void *a, const void *b)
{
	const struct np_tiv *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and coalesce in place. */
static void ivs_norm(struct ivs *s)
{
	size_t i, n = 0;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), iv_cmp);
	for (i = 1; i < s->n; i++) {
		if ((uint64_t)s->v[i].lo <= (uint64_t)s->v[n].hi + 1) {
			if (s->v[i].hi > s->v[n].hi)
				s->v[n].hi = s->v[i].hi;
			continue;
		}
		s->v[++n] = s->v[i];
	}
	s->n = n + 1;
}

static int ivs_or(struct np_arena *a, const struct ivs *x, const struct ivs *y,
		  struct ivs *out)
{
	struct ivs r;

	r.n = x->n + y->n;
	r.v = np__arena_alloc(a, (r.n + 1) * sizeof(*r.v));
	if (!r.v)
		return -ENOMEM;
	if (x->n)
		memcpy(r.v, x->v, x->n * sizeof(*r.v));
	if (y->n)
		memcpy(r.v + x->n, y->v, y->n * sizeof(*r.v));
	ivs_norm(&r);
	*out = r;
	return 0;
}

static int ivs_and(struct np_arena *a, const struct ivs *x, const struct ivs *y,
		   struct ivs *out)
{
	struct ivs r = { 0 };
	size_t i = 0, j = 0;

	r.v = np__arena_alloc(a, (x->n + y->n + 1) * sizeof(*r.v));
	if (!r.v)
		return -ENOMEM;
	while (i < x->n && j < y->n) {
		uint32_t lo = x->v[i].lo > y->v[j].lo ? x->v[i].lo : y->v[j].lo;
		uint32_t hi = x->v[i].hi < y->v[j].hi ? x->v[i].hi : y->v[j].hi;

		if (lo <= hi) {
			r.v[r.n].lo = lo;
			r.v[r.n].hi = hi;
			r.n++;
		}
		if (x->v[i].hi < y->v[j].hi)
			i++;
		else
			j++;
	}
	*out = r;
	return 0;
}

/* x minus y */
static int ivs_sub(struct np_arena *a, const struct ivs *x, const struct ivs *y,
		   struct ivs *out)
{
	struct ivs r = { 0 };
	size_t i, j = 0;

	r.v = np__arena_alloc(a, (x->n + y->n + 1) * sizeof(*r.v));
	if (!r.v)
		return -ENOMEM;
	for (i = 0; i < x->n; i++) {
		uint64_t lo = x->v[i].lo, hi = x->v[i].hi;

		while (j < y->n && y->v[j].hi < lo)
			j++;
		for (size_t k = j; k < y->n && y->v[k].lo <= hi; k++) {
			if (y->v[k].lo > lo) {
				r.v[r.n].lo = (uint32_t)lo;
				r.v[r.n].hi = y->v[k].lo - 1;
				r.n++;
			}
			lo = (uint64_t)y->v[k].hi + 1;
			if (lo > hi)
				break;
		}
		if (lo <= hi) {
			r.v[r.n].lo = (uint32_t)lo;
			r.v[r.n].hi = (uint32_t)hi;
			r.n++;
		}
	}
	*out = r;
	return 0;
}

static const struct np_tiv full_iv = { 0, AXMAX };
static const struct ivs full_ivs = { (struct np_tiv *)&full_iv, 1 };

static bool ivs_full(const struct ivs *s)
{
	return s->n == 1 && s->v[0].lo == 0 && s->v[0].hi == AXMAX;
}

static int ivs_from_pset(struct np_arena *a, const struct np_pset *p,
			 struct ivs *out)
{
	size_t i;

	if (p->all) {
		*out = full_ivs;
		return 0;
	}
	out->n = p->n;
	out->v = np__arena_alloc(a, (p->n + 1) * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (i = 0; i < p->n; i++) {
		out->v[i].lo = (uint32_t)p->r[i].proto << 16 | p->r[i].lo;
		out->v[i].hi = (uint32_t)(p->r[i].proto + p->r[i].xproto)
				       << 16 |
			       p->r[i].hi;
	}
	ivs_norm(out);
	return 0;
}

/* The per-protocol port set of an interval set, in scratch memory. */
static int pset_from_ivs(struct np_arena *a, const struct ivs *s,
			 struct np_pset *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (ivs_full(s)) {
		out->all = true;
		return 0;
	}
	/* one range per interval, spanning protocols: one slot each */
	for (i = 0; i < s->n; i++) {
		uint32_t p0 = s->v[i].lo >> 16, p1 = s->v[i].hi >> 16;

		if (np__pset_add(a, out, (uint8_t)p0, s->v[i].lo & 0xffff,
				 s->v[i].hi & 0xffff))
			return -ENOMEM;
		out->r[out->n - 1].xproto = (uint8_t)(p1 - p0);
	}
	return 0;
}

/* --- the fold ------------------------------------------------------------ */

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

/* The rule's ports as intervals; named ones resolved on named_on. */
static int rule_ivs(struct np_arena *a, const struct np_cnp_rule *r,
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
	ivs_norm(out);
	return 0;
}

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

static void host_cidr(const struct np_ip *ip, struct np_cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->family = ip->family;
	c->len = ip->family == 4 ? 32 : 128;
	memcpy(c->addr, ip->addr, sizeof(c->addr));
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

		err = rule_ivs(a, r, dir ? NULL : pod, &own);
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

					if (!svc_hit(ctx, pod, r, k, sp,
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

				if (!node_selected(p, ctx->nodes[k]))
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

				if (!peer_pod_match(ctx, p, q))
					continue;
				peer_ports = own;
				if (dir) {
					err = rule_ivs(a, r, q, &peer_ports);
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

static int cidr_sort_cmp(const void *a, const void *b)
{
	const struct np_cidr *x = a, *y = b;
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->addr, y->addr, x->family == 4 ? 4 : 16);
	if (r)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* A decided piece: ports and who decided them. */
struct piece {
	uint32_t prov;
	struct ivs ports;
};

struct pbuf {
	struct piece *v;
	size_t n, cap;
};

static int piece_add(struct pbuf *b, uint32_t prov, const struct ivs *s)
{
	if (!s->n)
		return 0;
	if (NP_GROW(b->v, b->cap, b->n + 1))
		return -ENOMEM;
	b->v[b->n].prov = prov;
	b->v[b->n].ports = *s;
	b->n++;
	return 0;
}

static int piece_cmp(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	return x->prov < y->prov ? -1 : x->prov > y->prov;
}

/* An entry by its prefix, masked; groups of one family and length. */
struct eix {
	struct np_cidr cidr;
	size_t e;
};

struct egroup {
	uint8_t family, len;
	size_t lo, hi; /* in the sorted eix array */
};

static void mask_to(struct np_cidr *out, const struct np_cidr *in,
		    unsigned int len)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family;
	out->len = (uint8_t)len;
	memcpy(out->addr, in->addr, len / 8);
	if (len % 8)
		out->addr[len / 8] = in->addr[len / 8] &
				     (uint8_t)(0xff << (8 - len % 8));
}

static int eix_cmp(const void *a, const void *b)
{
	const struct eix *x = a, *y = b;

	if (x->cidr.family != y->cidr.family)
		return x->cidr.family < y->cidr.family ? -1 : 1;
	if (x->cidr.len != y->cidr.len)
		return x->cidr.len < y->cidr.len ? -1 : 1;
	return memcmp(x->cidr.addr, y->cidr.addr, sizeof(x->cidr.addr));
}

/* What the fold needs besides the prefix. */
struct fold {
	struct np_arena *a; /* scratch */
	const struct np_frule *tr;
	size_t n, nadmin;
	const struct np_tent *ent;
	size_t nent;
	const struct np_rs_core *np; /* the NetworkPolicy core */
	int dir;
	/* provenance: rule i is rule_prov0 + i (after the other
	 * direction's); NP contribution j of the NP core is np_prov0 + j;
	 * the default is def_prov */
	uint32_t rule_prov0, np_prov0, def_prov;
	/*
	 * fold_at's scratch, n + 1 each, zero between prefixes: the ports
	 * of each rule at the prefix, and the rules that have some (a
	 * prefix meets few of thousands of ClusterPolicyEndpoint entries)
	 */
	struct ivs *rps;
	size_t *hit;
	/* the entries by family, length and (masked) address, in groups */
	const struct eix *ex;
	const struct egroup *grp;
	size_t ngrp;
};

/*
 * The NetworkPolicy step at prefix k: when the NP core isolates the
 * direction, u's part it allows is allowed (pieces by its contributors),
 * the rest denied, and nothing is left undecided.
 */
static int np_step(const struct fold *f, const struct np_cidr *k, struct ivs *u,
		   struct ivs *acc, struct pbuf *pieces)
{
	const struct np_rs_key *nk = NULL;
	struct ivs npset = { 0 }, m, t;
	size_t j;
	int err;

	for (j = 0; j < f->np->nkeys[f->dir]; j++) {
		const struct np_rs_key *q = &f->np->keys[f->dir][j];

		if (np__cidr_contains(&q->cidr, k) &&
		    (!nk || q->cidr.len > nk->cidr.len))
			nk = q;
	}
	if (nk) {
		err = ivs_from_pset(f->a, nk->ports, &npset);
		if (err)
			return err;
	}
	err = ivs_and(f->a, u, &npset, &m);
	if (!err)
		err = ivs_or(f->a, acc, &m, acc);
	for (j = 0; !err && nk && j < nk->ncontrib; j++) {
		err = ivs_from_pset(f->a, nk->contrib[j].ports, &t);
		if (!err)
			err = ivs_and(f->a, &t, &m, &t);
		if (!err)
			err = piece_add(pieces,
					f->np_prov0 + nk->contrib[j].prov, &t);
	}
	u->n = 0;
	return err;
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The allowed set at prefix k, the pieces that allowed it, and the pieces
 * a Deny rule denied (for verdicts: never in the maps).
 */
static int fold_at(const struct fold *f, const struct np_cidr *k,
		   struct ivs *acc, struct pbuf *pieces, struct pbuf *denied)
{
	struct ivs u = full_ivs, pass = { 0 }, m, rp, *rps = f->rps;
	size_t i, g, h, nhit = 0;
	bool npdone = false;
	int err = 0;

	pieces->n = 0;
	denied->n = 0;
	*acc = (struct ivs){ 0 };
	/*
	 * the ports of each rule at k: all its prefixes containing k, found
	 * by length (a few) and address (a binary search), not by a scan
	 */
	for (g = 0; g < f->ngrp; g++) {
		const struct egroup *gr = &f->grp[g];
		struct np_cidr key;
		size_t lo = gr->lo, hi = gr->hi;

		if (gr->family != k->family || gr->len > k->len)
			continue;
		mask_to(&key, k, gr->len);
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (memcmp(f->ex[mid].cidr.addr, key.addr,
				   sizeof(key.addr)) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < gr->hi &&
		       !memcmp(f->ex[lo].cidr.addr, key.addr, sizeof(key.addr));
		     lo++) {
			const struct np_tent *t = &f->ent[f->ex[lo].e];
			struct ivs ep = { (struct np_tiv *)t->iv, t->niv };
			size_t r = t->rule;

			if (!ep.n)
				continue;
			if (!rps[r].n)
				f->hit[nhit++] = r;
			err = ivs_or(f->a, &rps[r], &ep, &rps[r]);
			if (err)
				goto out;
		}
	}
	if (nhit > 1)
		qsort(f->hit, nhit, sizeof(*f->hit), size_cmp);
	/* the rules in order; those with no ports at k change nothing */
	for (h = 0; h <= nhit; h++) {
		i = h < nhit ? f->hit[h] : f->n;
		if (!npdone && i >= f->nadmin) {
			npdone = true;
			/* Admin Pass goes on to the NetworkPolicy step */
			err = ivs_or(f->a, &u, &pass, &u);
			if (err)
				goto out;
			pass.n = 0;
			if (f->np->isolated[f->dir]) {
				err = np_step(f, k, &u, acc, pieces);
				if (err)
					goto out;
				break;
			}
		}
		if (i == f->n || (!u.n && !pass.n))
			break;
		rp = rps[i];
		err = ivs_and(f->a, &u, &rp, &m);
		if (err)
			goto out;
		if (!m.n)
			continue;
		err = ivs_sub(f->a, &u, &m, &u);
		if (err)
			goto out;
		if (f->tr[i].action == NP_CNP_ACCEPT) {
			err = ivs_or(f->a, acc, &m, acc);
			if (!err)
				err = piece_add(pieces,
						f->rule_prov0 + (uint32_t)i,
						&m);
		} else if (f->tr[i].action == NP_CNP_PASS) {
			err = ivs_or(f->a, &pass, &m, &pass);
		} else {
			err = piece_add(denied, f->rule_prov0 + (uint32_t)i,
					&m);
		}
		if (err)
			goto out;
	}
	/* what is left, or passed by Baseline: the default, allowed */
	err = ivs_or(f->a, &u, &pass, &u);
	if (!err)
		err = ivs_or(f->a, acc, &u, acc);
	if (!err)
		err = piece_add(pieces, f->def_prov, &u);
out:
	for (h = 0; h < nhit; h++)
		rps[f->hit[h]] = (struct ivs){ 0 };
	return err;
}

/* A new provenance entry in co (malloc'd array, moved later). */
static uint32_t prov_push(struct np_rs_core *co, size_t *cap,
			  const struct np_prov *p)
{
	if (NP_GROW(co->prov, *cap, co->nprov + 1))
		return UINT32_MAX;
	co->prov[co->nprov] = *p;
	return (uint32_t)co->nprov++;
}

/* pieces as a key's contributors, sorted by provenance, in co's arena. */
static int pieces_contrib(struct np_arena *a, struct np_rs_core *co,
			  struct np_intern *in, struct pbuf *pieces,
			  struct np_rs_contrib **out)
{
	struct np_rs_contrib *ct;
	struct np_pset ps;
	size_t j;
	int err;

	qsort(pieces->v, pieces->n, sizeof(*pieces->v), piece_cmp);
	ct = np__arena_zalloc(&co->arena, (pieces->n + 1) * sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	for (j = 0; j < pieces->n; j++) {
		err = pset_from_ivs(a, &pieces->v[j].ports, &ps);
		if (err)
			return err;
		ct[j].prov = pieces->v[j].prov;
		ct[j].ports = np__intern_pset(in, &ps);
		if (!ct[j].ports)
			return -ENOMEM;
	}
	*out = ct;
	return 0;
}

/* d gets the pieces of p too. */
static int pieces_join(struct pbuf *d, const struct pbuf *p)
{
	if (NP_GROW(d->v, d->cap, d->n + p->n))
		return -ENOMEM;
	memcpy(d->v + d->n, p->v, p->n * sizeof(*p->v));
	d->n += p->n;
	return 0;
}

/* The keys of direction dir of the new core co. */
static int fold_dir(const struct np_fsrc *src, const struct np_rs_core *np,
		    int dir, struct np_rs_core *co, size_t *pcap,
		    struct np_intern *in, struct np_arena *a)
{
	const struct np_frule *tr = src->r;
	struct pbuf pieces = { 0 }, denied = { 0 };
	struct np_cidr *pre = NULL, *stack[130];
	struct np_rs_key *vkeys = NULL;
	const struct np_pset **val = NULL;
	struct np_rs_key *keys = NULL;
	struct fold f = { 0 };
	size_t n = src->n, npre, i, j, nkeys = 0, sp = 0, *sidx = NULL;
	int err;

	f.a = a;
	f.tr = tr;
	f.n = n;
	for (f.nadmin = 0; f.nadmin < n; f.nadmin++)
		if (tr[f.nadmin].tier != NP_CNP_TIER_ADMIN)
			break;
	f.ent = src->e;
	f.nent = src->ne;
	f.np = np;
	f.dir = dir;
	f.rps = np__arena_zalloc(a, (n + 1) * sizeof(*f.rps));
	f.hit = np__arena_zalloc(a, (n + 1) * sizeof(*f.hit));
	{
		struct eix *ex =
			np__arena_alloc(a, (src->ne + 1) * sizeof(*ex));
		struct egroup *grp =
			np__arena_alloc(a, (src->ne + 1) * sizeof(*grp));

		if (!f.rps || !f.hit || !ex || !grp)
			goto nomem;
		for (i = 0; i < src->ne; i++) {
			mask_to(&ex[i].cidr, &src->e[i].cidr,
				src->e[i].cidr.len);
			ex[i].e = i;
		}
		if (src->ne)
			qsort(ex, src->ne, sizeof(*ex), eix_cmp);
		for (i = 0; i < src->ne; i++) {
			if (!i || ex[i].cidr.family != ex[i - 1].cidr.family ||
			    ex[i].cidr.len != ex[i - 1].cidr.len) {
				grp[f.ngrp].family = ex[i].cidr.family;
				grp[f.ngrp].len = ex[i].cidr.len;
				grp[f.ngrp].lo = i;
				f.ngrp++;
			}
			grp[f.ngrp - 1].hi = i + 1;
		}
		f.ex = ex;
		f.grp = grp;
	}
	/* provenance: the rules, the NP core's, the default */
	f.rule_prov0 = (uint32_t)co->nprov;
	for (i = 0; i < n; i++) {
		struct np_prov p = { 0 };

		p.pol_ns = "";
		p.pol_name = np__arena_strdup(&co->arena, tr[i].pol);
		p.rule = tr[i].rule;
		p.tier = tr[i].tier == NP_CNP_TIER_ADMIN ? NP_TIER_ADMIN :
							   NP_TIER_BASELINE;
		if (!p.pol_name || prov_push(co, pcap, &p) == UINT32_MAX)
			goto nomem;
	}
	f.np_prov0 = (uint32_t)co->nprov;
	for (i = 0; i < np->nprov; i++) {
		struct np_prov p = np->prov[i];

		p.pol_ns = p.pol_ns ? np__arena_strdup(&co->arena, p.pol_ns) :
				      NULL;
		p.pol_name = np__arena_strdup(&co->arena, p.pol_name);
		if (!p.pol_name || prov_push(co, pcap, &p) == UINT32_MAX)
			goto nomem;
	}
	{
		struct np_prov p = { .pol_ns = "",
				     .pol_name = "default",
				     .rule = -1,
				     .tier = NP_TIER_DEFAULT };

		f.def_prov = prov_push(co, pcap, &p);
		if (f.def_prov == UINT32_MAX)
			goto nomem;
	}
	/* the prefixes: rules', NP keys', and /0 of both families */
	npre = src->ne + np->nkeys[dir] + 2;
	pre = np__arena_zalloc(a, npre * sizeof(*pre));
	val = np__arena_zalloc(a, npre * sizeof(*val));
	sidx = np__arena_zalloc(a, npre * sizeof(*sidx));
	keys = np__arena_zalloc(&co->arena, npre * sizeof(*keys));
	vkeys = np__arena_zalloc(&co->arena, npre * sizeof(*vkeys));
	if (!pre || !val || !sidx || !keys || !vkeys)
		goto nomem;
	for (i = 0; i < src->ne; i++)
		pre[i] = src->e[i].cidr;
	for (j = 0; j < np->nkeys[dir]; j++)
		pre[i++] = np->keys[dir][j].cidr;
	pre[i++].family = 4;
	pre[i++].family = 6;
	qsort(pre, npre, sizeof(*pre), cidr_sort_cmp);
	for (i = j = 0; i < npre; i++)
		if (!j || cidr_sort_cmp(&pre[j - 1], &pre[i]))
			pre[j++] = pre[i];
	npre = j;
	for (i = 0; i < npre; i++) {
		const struct np_pset *parent;
		struct np_rs_contrib *ct, *vct;
		struct np_pset ps;
		struct ivs acc;

		/* the nearest containing prefix: its value, else the miss */
		while (sp && !np__cidr_contains(stack[sp - 1], &pre[i]))
			sp--;
		parent = sp ? val[sidx[sp - 1]] : NULL;
		err = fold_at(&f, &pre[i], &acc, &pieces, &denied);
		if (!err)
			err = pset_from_ivs(a, &acc, &ps);
		if (err)
			goto out;
		val[i] = np__intern_pset(in, &ps);
		if (!val[i])
			goto nomem;
		if (sp < sizeof(stack) / sizeof(stack[0])) {
			sidx[sp] = i;
			stack[sp++] = &pre[i];
		}
		/* every prefix, with who allowed and who denied what */
		err = pieces_contrib(a, co, in, &pieces, &ct);
		if (!err)
			err = pieces_join(&denied, &pieces);
		if (!err)
			err = pieces_contrib(a, co, in, &denied, &vct);
		if (err)
			goto out;
		vkeys[i].cidr = pre[i];
		vkeys[i].contrib = vct;
		vkeys[i].ncontrib = (uint32_t)denied.n;
		/* equal to where a lookup falls back: no key */
		if (parent ? np__pset_eq(parent, val[i]) :
			     !val[i]->all && !val[i]->n)
			continue;
		keys[nkeys].cidr = pre[i];
		keys[nkeys].ports = val[i];
		keys[nkeys].contrib = ct;
		keys[nkeys].ncontrib = (uint32_t)pieces.n;
		nkeys++;
	}
	co->keys[dir] = keys;
	co->nkeys[dir] = nkeys;
	co->vkeys[dir] = vkeys;
	co->nvkeys[dir] = npre;
	co->isolated[dir] = true;
	/* only /0 keys that allow everything: not isolated at all */
	for (i = 0; i < nkeys; i++)
		if (keys[i].cidr.len || !keys[i].ports->all)
			break;
	if (i == nkeys && nkeys == 2) {
		co->isolated[dir] = false;
		co->nkeys[dir] = 0;
	}
	err = 0;
	goto out;
nomem:
	err = -ENOMEM;
out:
	free(pieces.v);
	free(denied.v);
	return err;
}

/* The policies' side of a fold: tier_rules, checked, expanded. */
struct cnp_arg {
	struct np_cluster *c;
	struct np_ctx *ctx;
	const struct np_obj *pod;
};

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

static int cnp_src(void *arg, int dir, struct np_arena *a, struct np_fsrc *src,
		   struct np_diag *diag)
{
	struct cnp_arg *x = arg;
	struct np_trule *tr = NULL;
	size_t n = 0, i;
	int err;

	err = np__tier_rules(x->c, x->ctx, x->pod, dir, &tr, &n);
	if (!err)
		err = check_enforceable(x->c, x->pod, dir, tr, n, diag);
	if (!err) {
		warn_ties(x->c, x->pod, dir, tr, n);
		warn_own_node(x->c, x->ctx, x->pod, dir, tr, n);
	}
	if (!err)
		err = np__tier_entries(x->ctx, a, x->pod, dir, tr, n, &src->e,
				       &src->ne);
	if (!err && n) {
		src->r = np__arena_alloc(a, n * sizeof(*src->r));
		if (!src->r)
			err = -ENOMEM;
	}
	for (i = 0; !err && i < n; i++) {
		src->r[i].action = tr[i].r->action;
		src->r[i].tier = tr[i].pol->cnp.tier;
		src->r[i].pol = tr[i].pol->meta.name;
		src->r[i].rule = tr[i].idx;
	}
	if (!err)
		src->n = n;
	free(tr);
	return err;
}

int np__tier_fold_with(struct np_cluster *c, const char *ns, const char *name,
		       struct np_ruleset *rs, np__fsrc_fn fn, void *arg,
		       struct np_diag *diag)
{
	struct np_arena arena = { 0 }, scratch = { 0 };
	struct np_intern in = { 0 };
	struct np_fsrc src[2] = { { 0 } };
	struct np_rs_core *co;
	size_t pcap = 0;
	struct np_prov *p;
	unsigned int big = 0;
	int d, err;

	(void)c;
	for (d = 0; d < 2; d++) {
		err = fn(arg, d, &scratch, &src[d], diag);
		if (err) {
			np__arena_release(&scratch);
			return err;
		}
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
	for (d = 0; d < 2; d++) {
		err = fold_dir(&src[d], rs->core, d, co, &pcap, &in, &scratch);
		if (!err) {
			err = np__check_slots(co, d, ns, name,
					      big ? NULL : diag);
			if (err == -E2BIG) {
				big |= 1u << d;
				err = 0;
			}
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
	err = -ENOMEM;
	p = np__arena_alloc(&co->arena, (co->nprov + 1) * sizeof(*p));
	if (!p)
		goto fail;
	if (co->nprov)
		memcpy(p, co->prov, co->nprov * sizeof(*p));
	free(co->prov);
	co->prov = p;
	np__core_hash(co);
	np__intern_release(&in);
	np__arena_release(&scratch);
	np__core_put(rs->core);
	rs->core = co;
	return 0;
fail:
	np__intern_release(&in);
	np__arena_release(&scratch);
	free(co->prov);
	arena = co->arena;
	np__arena_release(&arena);
	return err;
}

int np__tier_fold(struct np_cluster *c, const struct np_obj *pod,
		  struct np_ruleset *rs, struct np_diag *diag)
{
	struct cnp_arg x = { c, NULL, pod };
	int err;

	if (!np__tier_any(c))
		return 0;
	err = np__ctx_get(c, &x.ctx);
	if (err)
		return err;
	return np__tier_fold_with(c, pod->meta.ns, pod->meta.name, rs, cnp_src,
				  &x, diag);
}
