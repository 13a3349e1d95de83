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
 * The fold itself is in tier_fold.c (the entry points), tier_cache.c (its
 * caches) and tier_walk.c (the walk), with its interval sets in tier_ivs.c
 * and the rules' entries in tier_ents.c.
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

#include "ruleset_internal.h"
#include "tier.h"

/* --- the ordered rules of a pod ----------------------------------------- */

bool np__tier_any(const struct np_cluster *c)
{
	return c->t[NP_KIND_CLUSTER_NETWORK_POLICY].n ||
	       c->t[NP_KIND_AWS_CLUSTER_NETWORK_POLICY].n;
}

/* nsl: the labels of the pod's namespace. */
static bool subject_nsl(const struct np_cnp *p, const struct np_labels *nsl,
			const struct np_obj *pod)
{
	if (p->subject.kind == NP_CNP_PEER_NAMESPACES)
		return p->subject.sel &&
		       np__selector_matches(p->subject.sel, nsl);
	if (p->subject.kind != NP_CNP_PEER_PODS || !p->subject.sel)
		return false;
	if (p->subject.ns_sel && !np__selector_matches(p->subject.ns_sel, nsl))
		return false;
	return np__selector_matches(p->subject.sel, &pod->meta.labels);
}

static bool subject_has(const struct np_ctx *ctx, const struct np_cnp *p,
			const struct np_obj *pod)
{
	struct np_labels tmp;
	struct np_label one;

	return np__pod_selectable(pod) &&
	       subject_nsl(p, np__ns_labels(ctx, pod->meta.ns, &tmp, &one),
			   pod);
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
					tr[i].pol->meta.name,
					np_direction_name(dir), tr[i].idx, j,
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
					 np_direction_name(dir));
				snprintf(
					diag->message, sizeof(diag->message),
					"cnp/%s spec.%s[%d].%s[%zu]: Not "
					"supported: a %s rule with a peer that "
					"cannot be enforced (%s): failing "
					"closed",
					tr[i].pol->meta.name,
					np_direction_name(dir), tr[i].idx,
					dir ? "to" : "from", j,
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
			np_direction_name(dir), pod->meta.ns, pod->meta.name,
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
				tr[i].pol->meta.name, np_direction_name(dir),
				tr[i].idx, j, pod->meta.ns, pod->meta.name,
				buf);
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

bool np__tier_svc_by(const struct np_ctx *ctx, const struct np_cnp_rule *r,
		     size_t s, const struct np_service_port *sp, int family,
		     np__tier_backend_fn match, const void *arg)
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
			    match(arg, r, bp, &bp->pod.ips[y], sp->proto,
				  target))
				hit = true;
		any |= hit;
		all &= hit;
	}
	return r->action == NP_CNP_ACCEPT ? any && all : any;
}

struct rule_arg {
	const struct np_ctx *ctx;
	const struct np_obj *pod;
};

/* rule_matches() of one backend, egress from a->pod. */
static bool backend_rule_matches(const void *arg, const struct np_cnp_rule *r,
				 const struct np_obj *bp,
				 const struct np_ip *ip, uint8_t proto,
				 uint16_t port)
{
	const struct rule_arg *a = arg;

	return rule_matches(a->ctx, a->pod, 1, r, ip, bp, proto, port);
}

/* np__tier_svc_by() through rule_matches(). */
static bool svc_hit(const struct np_ctx *ctx, const struct np_obj *pod,
		    const struct np_cnp_rule *r, size_t s,
		    const struct np_service_port *sp, int family)
{
	const struct rule_arg a = { ctx, pod };

	return np__tier_svc_by(ctx, r, s, sp, family, backend_rule_matches, &a);
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

/* --- for the fold (tier_fold.c) ---------------------------------------- */

bool np__tier_subject_nsl(const struct np_cnp *p, const struct np_labels *nsl,
			  const struct np_obj *pod)
{
	return subject_nsl(p, nsl, pod);
}

int np__tier_check_enforceable(struct np_cluster *c, const struct np_obj *pod,
			       int dir, const struct np_trule *tr, size_t n,
			       struct np_diag *diag)
{
	return check_enforceable(c, pod, dir, tr, n, diag);
}

void np__tier_warn_ties(struct np_cluster *c, const struct np_obj *pod, int dir,
			const struct np_trule *tr, size_t n)
{
	warn_ties(c, pod, dir, tr, n);
}

void np__tier_warn_own_node(struct np_cluster *c, const struct np_ctx *ctx,
			    const struct np_obj *pod, int dir,
			    const struct np_trule *tr, size_t n)
{
	warn_own_node(c, ctx, pod, dir, tr, n);
}

bool np__tier_peer_pod_match(const struct np_ctx *ctx,
			     const struct np_cnp_peer *p,
			     const struct np_obj *peer)
{
	return peer_pod_match(ctx, p, peer);
}

bool np__tier_ports_hold(const struct np_cnp_rule *r,
			 const struct np_obj *named_on, uint8_t proto,
			 uint16_t port)
{
	return ports_hold(r, named_on, proto, port);
}

bool np__tier_svc_hit(const struct np_ctx *ctx, const struct np_obj *pod,
		      const struct np_cnp_rule *r, size_t s,
		      const struct np_service_port *sp, int family)
{
	return svc_hit(ctx, pod, r, s, sp, family);
}

bool np__tier_node_selected(const struct np_cnp_peer *p, const struct np_obj *n)
{
	return node_selected(p, n);
}

bool np__tier_node_peer_has(const struct np_ctx *ctx,
			    const struct np_cnp_peer *p, const struct np_ip *ip)
{
	return node_peer_has(ctx, p, ip);
}

int np__tier_trule_cmp(const void *a, const void *b)
{
	return trule_cmp(a, b);
}
