/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The NetworkPolicy kind: its spec decoded and validated as
 * pkg/apis/networking/validation does (podSelector, ingress and egress
 * rules with their peers, ipBlocks and ports, policyTypes and their
 * defaulting).
 */
#include "cidr.h"
#include "fields.h"
#include "kinds.h"
#include "np_limits.h"
#include "objects.h"
#include "ports.h"
#include "selector.h"

/* The fields of each type the NetworkPolicy spec holds (networking/v1). */
static const char *const ipblock_fields[] = { "cidr", "except", NULL };
static const char *const peer_fields[] = { "podSelector", "namespaceSelector",
					   "ipBlock", NULL };
static const char *const ingress_fields[] = { "from", "ports", NULL };
static const char *const egress_fields[] = { "to", "ports", NULL };
static const char *const spec_fields[] = { "podSelector", "ingress", "egress",
					   "policyTypes", NULL };

static struct np_ipblock *get_ipblock(struct np_vctx *c,
				      const struct np_node *n)
{
	struct np_ipblock *b = np__arena_zalloc(c->a, sizeof(*b));
	const struct np_node *cn, *ex;
	bool have_cidr = false;
	size_t i, p;

	if (!b || !np__is_map(c, n))
		return b;
	np__known_fields(c, n, "IPBlock", ipblock_fields);
	cn = np__field(n, "cidr");
	if (!cn) {
		np__err_required(c, n, "cidr", NULL);
	} else {
		p = np__path_push(c, ".cidr");
		have_cidr = np__get_cidr(c, cn, &b->cidr, false);
		np__path_pop(c, p);
	}
	ex = np__field(n, "except");
	if (!ex)
		return b;
	p = np__path_push(c, ".except");
	if (np__is_seq(c, ex, NP_MAX_LIST)) {
		b->except = np__arena_zalloc(c->a, (ex->seq.n + 1) *
							   sizeof(*b->except));
		for (i = 0; b->except && i < ex->seq.n; i++) {
			struct np_cidr *e = &b->except[b->nexcept];
			size_t p2 = np__path_push(c, "[%zu]", i);

			if (np__get_cidr(c, ex->seq.v[i], e, false)) {
				if (have_cidr &&
				    (!np__cidr_contains(&b->cidr, e) ||
				     e->len == b->cidr.len))
					np__verr(c, ex->seq.v[i], -EINVAL,
						 "Invalid value: %s: must be a "
						 "strict subset of `cidr`",
						 NP_REPR(ex->seq.v[i]));
				else
					b->nexcept++;
			}
			np__path_pop(c, p2);
		}
	}
	np__path_pop(c, p);
	return b;
}

/* One NetworkPolicyPeer: a pod and/or namespace selector, or an ipBlock. */
static void get_peer(struct np_vctx *c, const struct np_node *pe,
		     struct np_peer *peer)
{
	const struct np_node *ps, *ns, *ib;
	size_t p;
	int kinds;

	np__known_fields(c, pe, "NetworkPolicyPeer", peer_fields);
	ps = np__field(pe, "podSelector");
	ns = np__field(pe, "namespaceSelector");
	ib = np__field(pe, "ipBlock");
	kinds = !!ps + !!ns + !!ib;
	if (!kinds) {
		np__verr(c, pe, -EINVAL, "Required value: must specify a peer");
	} else if (ib && kinds > 1) {
		np__verr(c, pe, -EINVAL,
			 "Forbidden: may not specify both ipBlock and another "
			 "peer");
	}
	if (ps) {
		p = np__path_push(c, ".podSelector");
		peer->pod_sel = np__get_selector(c, ps);
		np__path_pop(c, p);
	}
	if (ns) {
		p = np__path_push(c, ".namespaceSelector");
		peer->ns_sel = np__get_selector(c, ns);
		np__path_pop(c, p);
	}
	if (ib) {
		p = np__path_push(c, ".ipBlock");
		peer->ipblock = get_ipblock(c, ib);
		np__path_pop(c, p);
	}
}

/* The peers of a rule (from, to). */
static void get_peers(struct np_vctx *c, const struct np_node *pl,
		      struct np_rule *rule)
{
	size_t j, p;

	if (!np__is_seq(c, pl, NP_MAX_LIST))
		return;
	rule->peers =
		np__arena_zalloc(c->a, (pl->seq.n + 1) * sizeof(*rule->peers));
	for (j = 0; rule->peers && j < pl->seq.n; j++) {
		p = np__path_push(c, "[%zu]", j);
		if (np__is_map(c, pl->seq.v[j])) {
			get_peer(c, pl->seq.v[j], &rule->peers[rule->npeers]);
			rule->npeers++;
		}
		np__path_pop(c, p);
	}
}

static void get_rules(struct np_vctx *c, const struct np_node *n,
		      const char *peers_key, struct np_rule **out, size_t *nout)
{
	size_t i;

	*out = NULL;
	*nout = 0;
	if (!np__is_seq(c, n, NP_MAX_LIST))
		return;
	*out = np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(**out));
	if (!*out)
		return;
	for (i = 0; i < n->seq.n; i++) {
		const struct np_node *r = n->seq.v[i], *pl, *ports;
		struct np_rule *rule = &(*out)[*nout];
		size_t p = np__path_push(c, "[%zu]", i);

		if (!np__is_map(c, r)) {
			np__path_pop(c, p);
			continue;
		}
		np__known_fields(c, r,
				 strcmp(peers_key, "from") ?
					 "NetworkPolicyEgressRule" :
					 "NetworkPolicyIngressRule",
				 strcmp(peers_key, "from") ? egress_fields :
							     ingress_fields);
		ports = np__field(r, "ports");
		if (ports) {
			size_t p2 = np__path_push(c, ".ports");

			np__get_ports(c, ports, &rule->ports, &rule->nports,
				      true);
			np__path_pop(c, p2);
		}
		pl = np__field(r, peers_key);
		if (pl) {
			size_t p2 = np__path_push(c, ".%s", peers_key);

			get_peers(c, pl, rule);
			np__path_pop(c, p2);
		}
		(*nout)++;
		np__path_pop(c, p);
	}
}

void np__netpol_from(struct np_vctx *c, struct np_obj *o,
		     const struct np_node *spec)
{
	struct np_netpol *np = &o->np;
	const struct np_node *ps, *pt, *in, *eg;
	size_t p = np__path_push(c, ".spec"), p2;

	if (!spec) {
		/* spec absent: podSelector {} and defaults */
		np->ingress_type = true;
		np__path_pop(c, p);
		return;
	}
	if (!np__is_map(c, spec)) {
		np__path_pop(c, p);
		return;
	}
	np__known_fields(c, spec, "NetworkPolicySpec", spec_fields);
	ps = np__field(spec, "podSelector");
	if (ps) {
		struct np_selector *s;

		p2 = np__path_push(c, ".podSelector");
		s = np__get_selector(c, ps);
		if (s)
			np->pod_sel = *s;
		np__path_pop(c, p2);
	}
	in = np__field(spec, "ingress");
	if (in) {
		p2 = np__path_push(c, ".ingress");
		get_rules(c, in, "from", &np->ingress, &np->ningress);
		np__path_pop(c, p2);
	}
	eg = np__field(spec, "egress");
	if (eg) {
		p2 = np__path_push(c, ".egress");
		get_rules(c, eg, "to", &np->egress, &np->negress);
		np__path_pop(c, p2);
	}
	pt = np__field(spec, "policyTypes");
	if (pt) {
		p2 = np__path_push(c, ".policyTypes");
		if (pt->type == NP_N_SEQ && pt->seq.n > 2 &&
		    pt->seq.n <= NP_MAX_LIST)
			np__verr(
				c, pt, -EINVAL,
				"Invalid value: [...]: may not specify more than "
				"two policyTypes");
		np__get_directions(c, pt, &np->ingress_type, &np->egress_type);
		np->policy_types_set = pt->type == NP_N_SEQ && pt->seq.n > 0;
		np__path_pop(c, p2);
	}
	if (!np->policy_types_set) {
		/* defaulting: Ingress always, Egress iff egress rules */
		np->ingress_type = true;
		np->egress_type = eg && eg->type == NP_N_SEQ && eg->seq.n > 0;
	}
	np__path_pop(c, p);
}

/* --- queries on decoded NetworkPolicies (the resolver's questions) --- */

bool np__rule_has_named(const struct np_rule *r)
{
	size_t i;

	for (i = 0; i < r->nports; i++)
		if (r->ports[i].name)
			return true;
	return false;
}

bool np__ip_in_block(const struct np_ipblock *b, const struct np_ip *ip)
{
	size_t i;

	if (!np__cidr_has_ip(&b->cidr, ip))
		return false;
	for (i = 0; i < b->nexcept; i++)
		if (np__cidr_has_ip(&b->except[i], ip))
			return false;
	return true;
}

/* The distinct (name, protocol) pairs of a policy's ingress named ports. */
size_t np__ingress_names(const struct np_obj *pol, struct np_pname *v,
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
