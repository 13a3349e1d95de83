// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attribution's findings (attrib.c): the text of selectors and ports as a
 * policy writes them, the findings a side collects (items, the policies
 * isolating it, pods named), and a NetworkPolicy's rules checked one by
 * one against the connection, with the resolution stage's own selector
 * matching and peer expansion (np__peer_pods).
 */
#include "attrib_internal.h"

/* --- text helpers ----------------------------------------------------- */

/* s escaped (np_escape(), TEXT) into the attribution's arena. */
const char *np__attrib_esc_dup(struct np_attrib *a, const char *s)
{
	struct np_strbuf sb = { 0 };
	const char *r;

	np__sb_puts_text(&sb, s);
	r = sb.err ? NULL : np__arena_strdup(&a->arena, sb.buf ? sb.buf : "");
	np__sb_release(&sb);
	return r;
}

/* "ns/name" of a pod, escaped. */
const char *np__attrib_pod_dup(struct np_attrib *a, const struct np_obj *pod)
{
	struct np_strbuf sb = { 0 };
	const char *r;

	np__sb_puts_text(&sb, pod->meta.ns);
	np__sb_putc(&sb, '/');
	np__sb_puts_text(&sb, pod->meta.name);
	r = sb.err ? NULL : np__arena_strdup(&a->arena, sb.buf);
	np__sb_release(&sb);
	return r;
}

/*
 * A label selector as kubectl writes one: "app=web,tier in (a,b),!x";
 * "{}" when empty (it selects everything). Escaped: labels come from
 * manifests.
 */
static void sel_text(struct np_strbuf *sb, const struct np_selector *s)
{
	bool first = true;
	size_t i, j;

	if (np__selector_empty(s)) {
		np__sb_puts(sb, "{}");
		return;
	}
	for (i = 0; i < s->match.n; i++) {
		if (!first)
			np__sb_putc(sb, ',');
		first = false;
		np__sb_puts_text(sb, s->match.v[i].key);
		np__sb_putc(sb, '=');
		np__sb_puts_text(sb, s->match.v[i].val);
	}
	for (i = 0; i < s->nexprs; i++) {
		const struct np_sel_expr *x = &s->exprs[i];

		if (!first)
			np__sb_putc(sb, ',');
		first = false;
		if (x->op == NP_OP_DOESNOTEXIST)
			np__sb_putc(sb, '!');
		np__sb_puts_text(sb, x->key);
		if (x->op != NP_OP_IN && x->op != NP_OP_NOTIN)
			continue;
		np__sb_puts(sb, x->op == NP_OP_IN ? " in (" : " notin (");
		for (j = 0; j < x->nvalues; j++) {
			if (j)
				np__sb_putc(sb, ',');
			np__sb_puts_text(sb, x->values[j]);
		}
		np__sb_putc(sb, ')');
	}
}

/* A rule's ports as the policy writes them: "TCP/80, TCP/pg, UDP". */
static void ports_text(struct np_strbuf *sb, const struct np_port *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			np__sb_puts(sb, ", ");
		np__sb_puts(sb, np__proto_name(p[i].proto));
		if (p[i].name) {
			np__sb_putc(sb, '/');
			np__sb_puts_text(sb, p[i].name);
		} else if (p[i].has_port) {
			np__sb_printf(sb, "/%u", p[i].port);
			if (p[i].end_port)
				np__sb_printf(sb, "-%u", p[i].end_port);
		}
	}
}

/* --- findings ----------------------------------------------------------- */

struct item *np__attrib_item_add(struct actx *x, struct side *s,
				 const char *policy, enum np_tier tier,
				 int rule, const char *rule_name, int peer,
				 enum np_attrib_reason reason,
				 struct np_strbuf *detail)
{
	struct np_attrib *a = x->a;
	struct item *it;

	if (detail && detail->err)
		return NULL;
	if (NP_GROW(s->items, s->cap, s->n + 1))
		return NULL;
	it = &s->items[s->n];
	memset(it, 0, sizeof(*it));
	it->pub.policy = policy;
	it->pub.tier = tier;
	it->pub.rule = rule;
	it->pub.rule_name = rule_name;
	it->pub.peer = peer;
	it->pub.reason = reason;
	it->pub.detail = np__arena_strdup(
		&a->arena, detail && detail->buf ? detail->buf : "");
	if (!it->pub.detail)
		return NULL;
	s->n++;
	return it;
}

int np__attrib_iso_add(struct side *s, const char *policy)
{
	size_t i;

	for (i = 0; i < s->niso; i++)
		if (!strcmp(s->iso[i], policy))
			return 0;
	if (NP_GROW(s->iso, s->isocap, s->niso + 1))
		return -ENOMEM;
	s->iso[s->niso++] = policy;
	return 0;
}

/* Name some pods of a selector that did not select the peer. */
static int item_pods(struct actx *x, struct item *it,
		     const struct np_obj *const *pods, size_t n)
{
	struct np_strbuf sb = { 0 };
	size_t i, m = n < x->max_pods ? n : x->max_pods;

	it->total = n;
	it->pods = np__arena_zalloc(&x->a->arena, (m + 1) * sizeof(*it->pods));
	if (!it->pods)
		return -ENOMEM;
	for (i = 0; i < m; i++) {
		it->pods[i] = np__attrib_pod_dup(x->a, pods[i]);
		if (!it->pods[i])
			return -ENOMEM;
		if (i)
			np__sb_puts(&sb, ", ");
		np__sb_puts(&sb, it->pods[i]);
	}
	it->npods = m;
	if (n > m)
		np__sb_printf(&sb, ", and %zu more", n - m);
	it->pub.pods =
		sb.err ? NULL :
			 np__arena_strdup(&x->a->arena, sb.buf ? sb.buf : "");
	np__sb_release(&sb);
	return it->pub.pods ? 0 : -ENOMEM;
}

/*
 * Whether one peer of a NetworkPolicy rule matches; if not, its finding.
 * The selectors are the resolution stage's (np__selector_matches,
 * np__peer_pods): what they select is what the rule set was built from.
 */
static int peer_check(struct actx *x, struct side *s, struct np_ctx *ctx,
		      const struct np_obj *pol, const char *pname,
		      const struct np_peer *peer, int ri, int pi,
		      const struct judge *j, bool *ok)
{
	struct np_strbuf sb = { 0 };
	enum np_attrib_reason why;
	const struct np_obj **pods = NULL;
	struct item *it = NULL;
	size_t n = 0, i;
	int err;

	*ok = false;
	if (peer->ipblock) {
		const struct np_ipblock *b = peer->ipblock;
		char cidr[64];

		np__cidr_format(&b->cidr, cidr, sizeof(cidr));
		if (!np__cidr_has_ip(&b->cidr, j->ip)) {
			why = NP_ATTRIB_IPBLOCK_CIDR;
			np__sb_printf(&sb, "ipBlock %s does not contain %s",
				      cidr, j->ip_text);
			goto found;
		}
		for (i = 0; i < b->nexcept; i++)
			if (np__cidr_has_ip(&b->except[i], j->ip))
				break;
		if (i == b->nexcept) {
			*ok = true;
			return 0;
		}
		np__cidr_format(&b->except[i], cidr, sizeof(cidr));
		why = NP_ATTRIB_IPBLOCK_EXCEPT;
		np__sb_puts(&sb, "ipBlock ");
		np__cidr_format(&b->cidr, cidr, sizeof(cidr));
		np__sb_puts(&sb, cidr);
		np__cidr_format(&b->except[i], cidr, sizeof(cidr));
		np__sb_printf(&sb, " except %s covers %s", cidr, j->ip_text);
		goto found;
	}
	/* a selector peer: "namespaceSelector X podSelector Y" */
	if (!j->peer) {
		why = NP_ATTRIB_NOT_A_POD;
		if (peer->ns_sel) {
			np__sb_puts(&sb, "namespaceSelector ");
			sel_text(&sb, peer->ns_sel);
		}
		if (peer->pod_sel) {
			np__sb_puts(&sb, peer->ns_sel ? " podSelector " :
							"podSelector ");
			sel_text(&sb, peer->pod_sel);
		}
		np__sb_printf(&sb,
			      " selects pods; %s is not a pod of the "
			      "snapshot",
			      j->ip_text);
		goto found;
	}
	if (peer->ns_sel) {
		struct np_labels tmp;
		struct np_label one;
		const struct np_labels *nsl =
			np__ns_labels(ctx, j->peer->meta.ns, &tmp, &one);

		if (!np__selector_matches(peer->ns_sel, nsl)) {
			why = NP_ATTRIB_NAMESPACE_SELECTOR;
			np__sb_puts(&sb, "namespaceSelector ");
			sel_text(&sb, peer->ns_sel);
			np__sb_puts(&sb, " does not select namespace ");
			np__sb_puts_text(&sb, j->peer->meta.ns);
			goto found;
		}
	} else if (strcmp(j->peer->meta.ns, pol->meta.ns)) {
		why = NP_ATTRIB_NAMESPACE;
		np__sb_puts(&sb, "podSelector ");
		sel_text(&sb, peer->pod_sel);
		np__sb_puts(&sb, " selects pods of namespace ");
		np__sb_puts_text(&sb, pol->meta.ns);
		np__sb_puts(&sb, " only; the peer is in namespace ");
		np__sb_puts_text(&sb, j->peer->meta.ns);
		goto found;
	}
	if (!peer->pod_sel ||
	    np__selector_matches(peer->pod_sel, &j->peer->meta.labels)) {
		*ok = true;
		return 0;
	}
	err = np__peer_pods(ctx, pol, peer, &pods, &n, NULL);
	if (err)
		return err;
	np__sb_puts(&sb, "podSelector ");
	sel_text(&sb, peer->pod_sel);
	why = n ? NP_ATTRIB_POD_SELECTOR_OTHERS : NP_ATTRIB_POD_SELECTOR_NONE;
	if (!n)
		np__sb_puts(&sb, " matches no pod");
	else
		np__sb_printf(&sb, " matches %zu other pod%s", n,
			      n == 1 ? "" : "s");
	if (peer->ns_sel) {
		np__sb_puts(&sb, " in the namespaces of namespaceSelector ");
		sel_text(&sb, peer->ns_sel);
	} else {
		np__sb_puts(&sb, " in namespace ");
		np__sb_puts_text(&sb, pol->meta.ns);
	}
found:
	it = np__attrib_item_add(x, s, pname, NP_TIER_NETWORK_POLICY, ri, NULL,
				 pi, why, &sb);
	np__sb_release(&sb);
	if (!it)
		return -ENOMEM;
	if (why == NP_ATTRIB_POD_SELECTOR_OTHERS)
		return item_pods(x, it, pods, n);
	return 0;
}

/*
 * Whether the ports of a NetworkPolicy rule hold the connection's; if not,
 * the findings: one per named port the destination pod does not have, one
 * for the ports when the others do not hold it either.
 */
static int ports_check(struct actx *x, struct side *s, const char *pname,
		       const struct np_rule *r, int ri, const struct judge *j,
		       bool *ok)
{
	/* named ports are the destination's: the pod for ingress */
	const struct np_obj *dst = j->dir == NP_DIRECTION_INGRESS ? j->pod :
								    j->peer;
	const char *pn = np__proto_name(j->proto);
	struct np_strbuf sb = { 0 };
	size_t i, nnamed = 0;
	bool named = false;

	*ok = !r->nports;
	for (i = 0; i < r->nports && !*ok; i++) {
		const struct np_port *p = &r->ports[i];
		const struct np_container_port *cp;

		if (p->proto != j->proto)
			continue;
		if (p->name) {
			cp = dst ? np__pod_port(dst, p->name, p->proto) : NULL;
			*ok = cp && cp->port == j->port;
		} else {
			*ok = !p->has_port ||
			      (j->port >= p->port &&
			       j->port <=
				       (p->end_port ? p->end_port : p->port));
		}
	}
	if (*ok)
		return 0;
	for (i = 0; i < r->nports; i++) {
		const struct np_port *p = &r->ports[i];

		if (!p->name || (dst && np__pod_port(dst, p->name, p->proto)))
			continue;
		nnamed++;
		np__sb_printf(&sb, "named port ");
		np__sb_puts_text(&sb, p->name);
		np__sb_printf(&sb, " (%s) ", np__proto_name(p->proto));
		if (dst) {
			np__sb_puts(&sb, "is not a port of ");
			np__sb_puts_text(&sb, dst->meta.ns);
			np__sb_putc(&sb, '/');
			np__sb_puts_text(&sb, dst->meta.name);
		} else {
			np__sb_printf(&sb,
				      "cannot be resolved: %s is not a pod "
				      "of the snapshot",
				      j->ip_text);
		}
		if (!np__attrib_item_add(x, s, pname, NP_TIER_NETWORK_POLICY,
					 ri, NULL, -1, NP_ATTRIB_NAMED_PORT,
					 &sb)) {
			np__sb_release(&sb);
			return -ENOMEM;
		}
		np__sb_release(&sb);
		memset(&sb, 0, sizeof(sb));
	}
	if (nnamed == r->nports)
		return 0;
	np__sb_printf(&sb, "%s/%u is not in the rule's ports: ", pn ? pn : "?",
		      j->port);
	ports_text(&sb, r->ports, r->nports);
	/* what the named ones are on the destination */
	for (i = 0; dst && i < r->nports; i++) {
		const struct np_container_port *cp;

		if (!r->ports[i].name)
			continue;
		cp = np__pod_port(dst, r->ports[i].name, r->ports[i].proto);
		if (!cp)
			continue;
		np__sb_puts(&sb, named ? "; " : " (");
		named = true;
		np__sb_puts_text(&sb, r->ports[i].name);
		np__sb_printf(&sb, " is %u on ", cp->port);
		np__sb_puts_text(&sb, dst->meta.ns);
		np__sb_putc(&sb, '/');
		np__sb_puts_text(&sb, dst->meta.name);
	}
	if (named)
		np__sb_putc(&sb, ')');
	if (!np__attrib_item_add(x, s, pname, NP_TIER_NETWORK_POLICY, ri, NULL,
				 -1, NP_ATTRIB_PORT, &sb)) {
		np__sb_release(&sb);
		return -ENOMEM;
	}
	np__sb_release(&sb);
	return 0;
}

/* Every rule of NetworkPolicy pol in the side's direction, checked. */
int np__attrib_policy_check(struct actx *x, struct side *s, struct np_ctx *ctx,
			    const struct np_obj *pol, const struct judge *j)
{
	const struct np_rule *rules = j->dir == NP_DIRECTION_INGRESS ?
					      pol->np.ingress :
					      pol->np.egress;
	size_t nrules = j->dir == NP_DIRECTION_INGRESS ? pol->np.ningress :
							 pol->np.negress;
	struct np_strbuf sb = { 0 };
	const char *pname;
	size_t ri, pi, mark;
	int err;

	np__sb_puts_text(&sb, pol->meta.ns);
	np__sb_putc(&sb, '/');
	np__sb_puts_text(&sb, pol->meta.name);
	pname = sb.err ? NULL : np__arena_strdup(&x->a->arena, sb.buf);
	np__sb_release(&sb);
	if (!pname || np__attrib_iso_add(s, pname))
		return -ENOMEM;
	if (!nrules) {
		np__sb_printf(&sb,
			      "policyTypes has %s and no %s rule: it allows "
			      "nothing",
			      j->dir == NP_DIRECTION_INGRESS ? "Ingress" :
							       "Egress",
			      np_direction_name(j->dir));
		err = np__attrib_item_add(x, s, pname, NP_TIER_NETWORK_POLICY,
					  -1, NULL, -1, NP_ATTRIB_NO_RULES,
					  &sb) ?
			      0 :
			      -ENOMEM;
		np__sb_release(&sb);
		return err;
	}
	for (ri = 0; ri < nrules; ri++) {
		const struct np_rule *r = &rules[ri];
		bool peer_ok = !r->npeers, port_ok, ok;

		mark = s->n;
		for (pi = 0; pi < r->npeers && !peer_ok; pi++) {
			err = peer_check(x, s, ctx, pol, pname, &r->peers[pi],
					 (int)ri, (int)pi, j, &ok);
			if (err)
				return err;
			peer_ok = ok;
		}
		/* a peer matched: the others' findings do not matter */
		if (peer_ok)
			s->n = mark;
		err = ports_check(x, s, pname, r, (int)ri, j, &port_ok);
		if (err)
			return err;
		if (peer_ok && port_ok &&
		    !np__attrib_item_add(x, s, pname, NP_TIER_NETWORK_POLICY,
					 (int)ri, NULL, -1, NP_ATTRIB_MATCH,
					 NULL))
			return -ENOMEM;
	}
	return 0;
}
