// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attribution (the query stage, over the rule sets): why a connection is
 * allowed or denied. The verdict of each side is the compiled rule set's
 * (np__ruleset_verdict_ip), so attribution never disagrees with verdicts;
 * who decided comes from the provenance behind that verdict (allows, and
 * the cluster policy rules that deny), and for a NetworkPolicy deny from
 * the policies isolating the pod, rule by rule, with the resolution
 * stage's own selector matching and peer expansion (np__peer_pods).
 */
#include <stdio.h>
#include <stdlib.h>

#include "netpol/attrib.h"
#include "node.h"
#include "opts.h"
#include "ruleset_internal.h"
#include "tier.h"

/* Pods named per selector by default. */
#define ATTRIB_MAX_PODS 3

struct item {
	struct np_attrib_item pub;
	const char **pods; /* the first ones, escaped */
	size_t npods;
	size_t total; /* how many the selector selects */
};

struct side {
	bool judged;
	struct np_verdict v;
	const char *pod; /* "ns/name", escaped */
	const char **iso; /* policies isolating it (denied), escaped */
	size_t niso, isocap;
	struct item *items;
	size_t n, cap;
};

struct np_attrib {
	struct np_arena arena;
	const char *from, *to; /* as given, escaped */
	const char *from_pod, *to_pod; /* "ns/name" or NULL */
	char from_ip[64], to_ip[64]; /* "" when not chosen */
	enum np_protocol proto;
	uint16_t port;
	bool allowed;
	bool self;
	struct side side[2]; /* by enum np_direction */
};

/* What one attribution call works with. */
struct actx {
	struct np_attrib *a;
	struct np_cluster *c;
	struct np_compile_opts copts;
	unsigned int max_pods;
	struct np_diag *diag;
};

static const char *const reason_names[] = {
	[NP_ATTRIB_MATCH] = "match",
	[NP_ATTRIB_POD_SELECTOR_NONE] = "pod-selector-none",
	[NP_ATTRIB_POD_SELECTOR_OTHERS] = "pod-selector-others",
	[NP_ATTRIB_NAMESPACE_SELECTOR] = "namespace-selector",
	[NP_ATTRIB_NAMESPACE] = "namespace",
	[NP_ATTRIB_NOT_A_POD] = "not-a-pod",
	[NP_ATTRIB_IPBLOCK_CIDR] = "ipblock-cidr",
	[NP_ATTRIB_IPBLOCK_EXCEPT] = "ipblock-except",
	[NP_ATTRIB_PORT] = "port",
	[NP_ATTRIB_NAMED_PORT] = "named-port",
	[NP_ATTRIB_NO_RULES] = "no-rules",
	[NP_ATTRIB_CLUSTER_DENY] = "cluster-deny",
	[NP_ATTRIB_UNKNOWN] = "unknown",
};

const char *np_attrib_reason_name(enum np_attrib_reason r)
{
	if ((unsigned int)r >= sizeof(reason_names) / sizeof(reason_names[0]))
		return NULL;
	return reason_names[r];
}

static const char *const dir_names[] = { "ingress", "egress" };

/* --- text helpers ----------------------------------------------------- */

/* s escaped (np_escape(), TEXT) into the attribution's arena. */
static const char *esc_dup(struct np_attrib *a, const char *s)
{
	struct np_strbuf sb = { 0 };
	const char *r;

	np__sb_puts_text(&sb, s);
	r = sb.err ? NULL : np__arena_strdup(&a->arena, sb.buf ? sb.buf : "");
	np__sb_release(&sb);
	return r;
}

/* "ns/name" of a pod, escaped. */
static const char *pod_dup(struct np_attrib *a, const struct np_obj *pod)
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

static struct item *item_add(struct actx *x, struct side *s, const char *policy,
			     enum np_tier tier, int rule, const char *rule_name,
			     int peer, enum np_attrib_reason reason,
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

static int iso_add(struct side *s, const char *policy)
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
		it->pods[i] = pod_dup(x->a, pods[i]);
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

/* The rule set's verdict on one side. */
struct judge {
	enum np_direction dir;
	const struct np_obj *pod; /* the judging pod */
	const struct np_ip *ip; /* the peer's address */
	const char *ip_text;
	const struct np_obj *peer; /* the peer pod, or NULL */
	uint8_t proto;
	uint16_t port;
};

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
	it = item_add(x, s, pname, NP_TIER_NETWORK_POLICY, ri, NULL, pi, why,
		      &sb);
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
		if (!item_add(x, s, pname, NP_TIER_NETWORK_POLICY, ri, NULL, -1,
			      NP_ATTRIB_NAMED_PORT, &sb)) {
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
	if (!item_add(x, s, pname, NP_TIER_NETWORK_POLICY, ri, NULL, -1,
		      NP_ATTRIB_PORT, &sb)) {
		np__sb_release(&sb);
		return -ENOMEM;
	}
	np__sb_release(&sb);
	return 0;
}

/* Every rule of NetworkPolicy pol in the side's direction, checked. */
static int policy_check(struct actx *x, struct side *s, struct np_ctx *ctx,
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
	if (!pname || iso_add(s, pname))
		return -ENOMEM;
	if (!nrules) {
		np__sb_printf(&sb,
			      "policyTypes has %s and no %s rule: it allows "
			      "nothing",
			      j->dir == NP_DIRECTION_INGRESS ? "Ingress" :
							       "Egress",
			      dir_names[j->dir]);
		err = item_add(x, s, pname, NP_TIER_NETWORK_POLICY, -1, NULL,
			       -1, NP_ATTRIB_NO_RULES, &sb) ?
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
		    !item_add(x, s, pname, NP_TIER_NETWORK_POLICY, (int)ri,
			      NULL, -1, NP_ATTRIB_MATCH, NULL))
			return -ENOMEM;
	}
	return 0;
}

/* The name of rule idx of cluster policy name in dir, or NULL. */
static const char *cnp_rule_name(struct np_cluster *c, const char *name,
				 int dir, int idx)
{
	static const enum np_kind kinds[] = {
		NP_KIND_CLUSTER_NETWORK_POLICY,
		NP_KIND_AWS_CLUSTER_NETWORK_POLICY,
	};
	const struct np_obj *o;
	size_t k;

	for (k = 0; k < 2; k++) {
		o = np__cluster_find(c, kinds[k], "", name);
		if (!o || idx < 0)
			continue;
		if (dir == NP_DIRECTION_INGRESS &&
		    (size_t)idx < o->cnp.ningress)
			return o->cnp.ingress[idx].name;
		if (dir == NP_DIRECTION_EGRESS && (size_t)idx < o->cnp.negress)
			return o->cnp.egress[idx].name;
	}
	return NULL;
}

/*
 * The rules behind the verdict (its provenance): those that allowed it,
 * or the cluster policy rule that denied it.
 */
static int prov_items(struct actx *x, struct side *s,
		      const struct np_ruleset *rs, const struct judge *j,
		      bool deny)
{
	const struct np_prov *pv[64];
	struct np_strbuf sb = { 0 };
	size_t n, i;

	n = np__ruleset_verdict_provs(rs, j->dir, j->ip, j->proto, j->port, pv,
				      64);
	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++) {
		const struct np_prov *p = pv[i];
		bool cnp = p->tier == NP_TIER_ADMIN ||
			   p->tier == NP_TIER_BASELINE;
		const char *pname, *rname = NULL;
		int rule = p->rule >= 0 ? p->rule : -1;

		if (!p->pol_ns || p->tier == NP_TIER_DEFAULT)
			continue;
		if (deny && !cnp)
			continue;
		if (cnp) {
			np__sb_puts(&sb, "cnp/");
		} else {
			np__sb_puts_text(&sb, p->pol_ns);
			np__sb_putc(&sb, '/');
		}
		np__sb_puts_text(&sb, p->pol_name);
		pname = sb.err ? NULL : np__arena_strdup(&x->a->arena, sb.buf);
		np__sb_release(&sb);
		memset(&sb, 0, sizeof(sb));
		if (!pname)
			return -ENOMEM;
		if (cnp) {
			rname = cnp_rule_name(x->c, p->pol_name, j->dir, rule);
			if (rname && !(rname = esc_dup(x->a, rname)))
				return -ENOMEM;
			np__sb_printf(&sb, "%s tier, %s",
				      p->tier == NP_TIER_ADMIN ? "Admin" :
								 "Baseline",
				      deny ? "action Deny" : "allows it");
		} else if (p->rule == -2) {
			np__sb_printf(&sb, "egress to a Service every backend "
					   "of which the policy allows");
		}
		if (deny && iso_add(s, pname))
			return -ENOMEM;
		if (!item_add(x, s, pname,
			      cnp ? p->tier : NP_TIER_NETWORK_POLICY, rule,
			      rname, -1,
			      deny ? NP_ATTRIB_CLUSTER_DENY : NP_ATTRIB_MATCH,
			      &sb)) {
			np__sb_release(&sb);
			return -ENOMEM;
		}
		np__sb_release(&sb);
		memset(&sb, 0, sizeof(sb));
	}
	return 0;
}

/* Whether NetworkPolicy pol isolates pod in direction dir. */
static bool isolates(const struct np_obj *pol, const struct np_obj *pod,
		     enum np_direction dir)
{
	return !strcmp(pol->meta.ns, pod->meta.ns) && np__pod_selectable(pod) &&
	       np__selector_matches(&pol->np.pod_sel, &pod->meta.labels) &&
	       (dir == NP_DIRECTION_INGRESS ? pol->np.ingress_type :
					      pol->np.egress_type);
}

/* Whether PolicyEndpoint pe names pod ns/name and isolates it in dir. */
static bool pe_isolates(const struct np_policyendpoint *pe, const char *ns,
			const char *name, enum np_direction dir)
{
	size_t k;

	if (!(dir == NP_DIRECTION_INGRESS ? pe->iso_ingress : pe->iso_egress))
		return false;
	for (k = 0; k < pe->npods; k++)
		if (pe->pods[k].ns && pe->pods[k].name &&
		    !strcmp(pe->pods[k].ns, ns) &&
		    !strcmp(pe->pods[k].name, name))
			return true;
	return false;
}

/* The PolicyEndpoints isolating the pod (rules not known from them). */
static int pe_items(struct actx *x, struct side *s, struct np_ctx *ctx,
		    const struct judge *j)
{
	struct np_strbuf sb = { 0 };
	size_t i;

	for (i = 0; i < ctx->npes; i++) {
		const struct np_policyendpoint *pe = &ctx->pes[i]->pe;
		const char *pname;

		if (!pe_isolates(pe, j->pod->meta.ns, j->pod->meta.name,
				 j->dir))
			continue;
		np__sb_puts_text(&sb, pe->ref_ns ? pe->ref_ns : "");
		np__sb_putc(&sb, '/');
		np__sb_puts_text(&sb, pe->ref_name ? pe->ref_name : "");
		pname = sb.err ? NULL : np__arena_strdup(&x->a->arena, sb.buf);
		np__sb_release(&sb);
		memset(&sb, 0, sizeof(sb));
		if (!pname || iso_add(s, pname))
			return -ENOMEM;
		np__sb_puts(&sb, "compiled from PolicyEndpoint ");
		np__sb_puts_text(&sb, ctx->pes[i]->meta.name);
		np__sb_puts(&sb, ": its entries do not name rules or peers");
		if (!item_add(x, s, pname, NP_TIER_NETWORK_POLICY, -1, NULL, -1,
			      NP_ATTRIB_UNKNOWN, &sb)) {
			np__sb_release(&sb);
			return -ENOMEM;
		}
		np__sb_release(&sb);
		memset(&sb, 0, sizeof(sb));
	}
	return 0;
}

static int judge_side(struct actx *x, const struct judge *j)
{
	struct side *s = &x->a->side[j->dir];
	struct np_ruleset *rs = NULL;
	struct np_ctx *ctx;
	size_t i;
	int err;

	s->judged = true;
	s->pod = pod_dup(x->a, j->pod);
	if (!s->pod)
		return -ENOMEM;
	err = np_ruleset_compile(&rs, x->c, j->pod->meta.ns, j->pod->meta.name,
				 &x->copts, x->diag);
	if (err)
		return err;
	err = np__ruleset_verdict_ip(rs, j->dir, j->ip, j->proto, j->port,
				     &s->v);
	if (err)
		goto out;
	if (s->v.allowed) {
		if (s->v.reason == NP_REASON_RULE ||
		    s->v.tier == NP_TIER_ADMIN || s->v.tier == NP_TIER_BASELINE)
			err = prov_items(x, s, rs, j, false);
		goto out;
	}
	if (s->v.tier == NP_TIER_ADMIN || s->v.tier == NP_TIER_BASELINE) {
		err = prov_items(x, s, rs, j, true);
		goto out;
	}
	/* the NetworkPolicies (or PolicyEndpoints) isolating the pod */
	err = np__ctx_get(x->c, &ctx);
	if (err)
		goto out;
	if (x->copts.source == NP_SOURCE_ENDPOINTS) {
		err = pe_items(x, s, ctx, j);
		goto out;
	}
	for (i = 0; !err && i < ctx->npols; i++)
		if (isolates(ctx->pols[i], j->pod, j->dir))
			err = policy_check(x, s, ctx, ctx->pols[i], j);
out:
	np_ruleset_free(rs);
	return err;
}

static int attribute_locked(struct np_attrib **out, struct np_cluster *c,
			    const char *from, const char *to,
			    enum np_protocol proto, uint16_t port,
			    const struct np_attrib_opts *opts,
			    struct np_diag *diag)
{
	struct np_endpoint ea, eb;
	struct actx x = { .c = c, .diag = diag };
	const struct np_ip *ia = NULL, *ib = NULL;
	unsigned int dirs;
	struct np_attrib *a;
	size_t i, k;
	int err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!out || !c || !from || !to || !np__proto_ok(proto))
		return -EINVAL;
	*out = NULL;
	err = NP_OPTS_CHECK(opts, np_attrib_opts, diag);
	if (err)
		return err;
	x.copts.sz = sizeof(x.copts);
	x.copts.source = NP_OPTS_GET(opts, source, NP_SOURCE_POLICIES);
	if (x.copts.source != NP_SOURCE_POLICIES &&
	    x.copts.source != NP_SOURCE_ENDPOINTS)
		return -EINVAL;
	dirs = NP_OPTS_GET(opts, directions, 0u);
	if (dirs & ~3u)
		return -EINVAL;
	if (!dirs)
		dirs = 3;
	x.max_pods = NP_OPTS_GET(opts, max_pods, 0u);
	if (!x.max_pods)
		x.max_pods = ATTRIB_MAX_PODS;
	err = np__endpoints_parse(c, from, to, &ea, &eb, diag);
	if (err)
		return err;
	/* the first address family both ends have, IPv4 first */
	for (i = 0; i < ea.nips && !ia; i++)
		for (k = 0; k < eb.nips && !ia; k++)
			if (ea.ip[i].family == eb.ip[k].family) {
				ia = &ea.ip[i];
				ib = &eb.ip[k];
			}
	if (!ia && ea.pod != eb.pod) {
		if (diag) {
			diag->err = -EINVAL;
			snprintf(diag->message, sizeof(diag->message),
				 "Invalid value: the two ends share no address "
				 "family");
		}
		return -EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	x.a = a;
	a->proto = proto;
	a->port = port;
	a->allowed = true;
	err = -ENOMEM;
	a->from = esc_dup(a, from);
	a->to = esc_dup(a, to);
	if (!a->from || !a->to)
		goto fail;
	if ((ea.pod && !(a->from_pod = pod_dup(a, ea.pod))) ||
	    (eb.pod && !(a->to_pod = pod_dup(a, eb.pod))))
		goto fail;
	if (ea.pod && ea.pod == eb.pod) {
		a->self = true;
		*out = a;
		return 0;
	}
	np__ip_format(ia, a->from_ip, sizeof(a->from_ip));
	np__ip_format(ib, a->to_ip, sizeof(a->to_ip));
	if (ea.pod && np__pod_eligible(ea.pod) &&
	    (dirs & (1u << NP_DIRECTION_EGRESS))) {
		struct judge j = {
			NP_DIRECTION_EGRESS, ea.pod, ib, a->to_ip, eb.pod,
			(uint8_t)proto,	     port
		};

		err = judge_side(&x, &j);
		if (err)
			goto fail;
	}
	if (eb.pod && np__pod_eligible(eb.pod) &&
	    (dirs & (1u << NP_DIRECTION_INGRESS))) {
		struct judge j = {
			NP_DIRECTION_INGRESS, eb.pod, ia, a->from_ip, ea.pod,
			(uint8_t)proto,	      port
		};

		err = judge_side(&x, &j);
		if (err)
			goto fail;
	}
	for (k = 0; k < 2; k++)
		if (a->side[k].judged && !a->side[k].v.allowed)
			a->allowed = false;
	*out = a;
	return 0;
fail:
	np_attrib_free(a);
	return err;
}

int np_cluster_attribute(struct np_attrib **out, struct np_cluster *c,
			 const char *from, const char *to,
			 enum np_protocol proto, uint16_t port,
			 const struct np_attrib_opts *opts,
			 struct np_diag *diag)
{
	int err;

	np__cluster_lock(c);
	err = attribute_locked(out, c, from, to, proto, port, opts, diag);
	np__cluster_unlock(c);
	return err;
}

void np_attrib_free(struct np_attrib *a)
{
	size_t d;

	if (!a)
		return;
	for (d = 0; d < 2; d++) {
		free(a->side[d].items);
		free(a->side[d].iso);
	}
	np__arena_release(&a->arena);
	free(a);
}

bool np_attrib_allowed(const struct np_attrib *a)
{
	return a && a->allowed;
}

static bool dir_ok(enum np_direction d)
{
	return d == NP_DIRECTION_INGRESS || d == NP_DIRECTION_EGRESS;
}

int np_attrib_verdict(const struct np_attrib *a, enum np_direction dir,
		      struct np_verdict *out)
{
	if (!a || !out || !dir_ok(dir))
		return -EINVAL;
	if (!a->side[dir].judged)
		return -ENOENT;
	*out = a->side[dir].v;
	return 0;
}

const char *np_attrib_pod(const struct np_attrib *a, enum np_direction dir)
{
	if (!a || !dir_ok(dir))
		return NULL;
	return dir == NP_DIRECTION_EGRESS ? a->from_pod : a->to_pod;
}

const char *np_attrib_ip(const struct np_attrib *a, enum np_direction dir)
{
	if (!a || !dir_ok(dir))
		return NULL;
	return dir == NP_DIRECTION_EGRESS ? a->from_ip : a->to_ip;
}

size_t np_attrib_count(const struct np_attrib *a, enum np_direction dir)
{
	if (!a || !dir_ok(dir))
		return 0;
	return a->side[dir].n;
}

int np_attrib_get(const struct np_attrib *a, enum np_direction dir, size_t i,
		  struct np_attrib_item *out)
{
	if (!a || !out || !dir_ok(dir))
		return -EINVAL;
	if (i >= a->side[dir].n)
		return -ENOENT;
	*out = a->side[dir].items[i].pub;
	return 0;
}

/* --- what applies to a pod ------------------------------------------- */

static int isolating_locked(struct np_cluster *c, const char *ns,
			    const char *name, enum np_direction dir,
			    const struct np_attrib_opts *opts, char **out,
			    struct np_diag *diag)
{
	enum np_source src;
	struct np_strbuf sb = { 0 };
	struct np_trule *tr = NULL;
	const struct np_obj *pod, *last = NULL;
	struct np_ctx *ctx;
	size_t i, n = 0;
	bool first = true;
	int err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!c || !ns || !name || !out || !dir_ok(dir))
		return -EINVAL;
	err = NP_OPTS_CHECK(opts, np_attrib_opts, diag);
	if (err)
		return err;
	src = NP_OPTS_GET(opts, source, NP_SOURCE_POLICIES);
	if (src != NP_SOURCE_POLICIES && src != NP_SOURCE_ENDPOINTS)
		return -EINVAL;
	err = np__ctx_get(c, &ctx);
	if (err)
		return err;
	pod = np__cluster_find(c, NP_KIND_POD, ns, name);
	if (!pod && src == NP_SOURCE_POLICIES) {
		if (diag) {
			diag->err = -ENOENT;
			snprintf(diag->object, sizeof(diag->object),
				 "Pod %s/%s", ns, name);
			snprintf(diag->message, sizeof(diag->message),
				 "Not found: no such pod in the snapshot");
		}
		return -ENOENT;
	}
	for (i = 0; src == NP_SOURCE_POLICIES && i < ctx->npols; i++) {
		if (!isolates(ctx->pols[i], pod, dir))
			continue;
		np__sb_puts(&sb, first ? "" : ", ");
		first = false;
		np__sb_puts_text(&sb, ctx->pols[i]->meta.ns);
		np__sb_putc(&sb, '/');
		np__sb_puts_text(&sb, ctx->pols[i]->meta.name);
	}
	for (i = 0; src == NP_SOURCE_ENDPOINTS && i < ctx->npes; i++) {
		const struct np_policyendpoint *pe = &ctx->pes[i]->pe;

		if (!pe_isolates(pe, ns, name, dir))
			continue;
		np__sb_puts(&sb, first ? "" : ", ");
		first = false;
		np__sb_puts_text(&sb, pe->ref_ns ? pe->ref_ns : "");
		np__sb_putc(&sb, '/');
		np__sb_puts_text(&sb, pe->ref_name ? pe->ref_name : "");
	}
	if (src == NP_SOURCE_POLICIES && np__tier_any(c) &&
	    np__pod_selectable(pod)) {
		err = np__tier_rules(c, ctx, pod, dir, &tr, &n);
		for (i = 0; !err && i < n; i++) {
			if (tr[i].pol == last)
				continue;
			last = tr[i].pol;
			np__sb_puts(&sb, first ? "cnp/" : ", cnp/");
			first = false;
			np__sb_puts_text(&sb, last->meta.name);
			np__sb_puts(&sb, last->cnp.tier == NP_CNP_TIER_ADMIN ?
						 " (Admin)" :
						 " (Baseline)");
		}
		free(tr);
		if (err) {
			np__sb_release(&sb);
			return err;
		}
	}
	return np__sb_finish(&sb, out);
}

int np_cluster_isolating(struct np_cluster *c, const char *ns, const char *name,
			 enum np_direction dir,
			 const struct np_attrib_opts *opts, char **out,
			 struct np_diag *diag)
{
	int err;

	np__cluster_lock(c);
	err = isolating_locked(c, ns, name, dir, opts, out, diag);
	np__cluster_unlock(c);
	return err;
}

/* --- output ------------------------------------------------------------- */

/* "shop/db-from-web ingress[0] from[0]" */
static void item_where(struct np_strbuf *sb, const struct np_attrib_item *it,
		       int dir)
{
	np__sb_puts(sb, it->policy);
	if (it->rule >= 0) {
		np__sb_printf(sb, " %s[%d]", dir_names[dir], it->rule);
		if (it->rule_name)
			np__sb_printf(sb, " \"%s\"", it->rule_name);
	}
	if (it->peer >= 0)
		np__sb_printf(sb, " %s[%d]",
			      dir == NP_DIRECTION_INGRESS ? "from" : "to",
			      it->peer);
}

static void endpoint_text(struct np_strbuf *sb, const char *given,
			  const char *pod, const char *ip)
{
	np__sb_puts(sb, pod ? pod : given);
	if (ip[0] && pod)
		np__sb_printf(sb, " (%s)", ip);
}

static int format_text(const struct np_attrib *a, char **out)
{
	struct np_strbuf sb = { 0 };
	static const int order[2] = { NP_DIRECTION_EGRESS,
				      NP_DIRECTION_INGRESS };
	size_t i, k;

	np__sb_puts(&sb, a->allowed ? "ALLOW " : "DENY ");
	endpoint_text(&sb, a->from, a->from_pod, a->from_ip);
	np__sb_puts(&sb, " -> ");
	endpoint_text(&sb, a->to, a->to_pod, a->to_ip);
	np__sb_printf(&sb, " %s/%u", np_protocol_name(a->proto), a->port);
	if (a->self)
		np__sb_puts(&sb, ": self (a pod to itself never crosses its "
				 "veth)");
	np__sb_putc(&sb, '\n');
	for (k = 0; k < 2; k++) {
		int d = order[k];
		const struct side *s = &a->side[d];
		const struct np_verdict *v = &s->v;

		if (!s->judged)
			continue;
		np__sb_printf(&sb, "  %s of %s: %s %s", dir_names[d], s->pod,
			      v->allowed ? "ALLOW" : "DENY",
			      np_reason_name(v->reason));
		if (v->key[0])
			np__sb_printf(&sb, " (key %s%s", v->key,
				      v->slot >= 0 ? "" : ")");
		if (v->key[0] && v->slot >= 0)
			np__sb_printf(&sb, ", slot %d)", v->slot + 1);
		np__sb_printf(&sb, " tier %s\n", np_tier_name(v->tier));
		if (s->niso) {
			np__sb_puts(&sb, "    isolated by ");
			for (i = 0; i < s->niso; i++)
				np__sb_printf(&sb, "%s%s", i ? ", " : "",
					      s->iso[i]);
			np__sb_putc(&sb, '\n');
		}
		for (i = 0; i < s->n; i++) {
			const struct np_attrib_item *it = &s->items[i].pub;

			np__sb_puts(&sb, it->reason == NP_ATTRIB_MATCH ?
						 "    allowed by " :
						 "    ");
			item_where(&sb, it, d);
			if (it->reason != NP_ATTRIB_MATCH)
				np__sb_printf(
					&sb, ": %s",
					np_attrib_reason_name(it->reason));
			if (it->detail[0])
				np__sb_printf(&sb, ": %s", it->detail);
			if (it->pods)
				np__sb_printf(&sb, " (%s)", it->pods);
			np__sb_putc(&sb, '\n');
		}
	}
	return np__sb_finish(&sb, out);
}

static struct np_node *str_or_null(struct np_arena *ar, const char *s)
{
	return s ? np__node_str(ar, s) : np__node_new(ar, NP_N_NULL);
}

static struct np_node *endpoint_node(struct np_arena *ar, const char *given,
				     const char *pod, const char *ip)
{
	struct np_node *m = np__node_new(ar, NP_N_MAP);

	if (!m || np__map_put(ar, m, "endpoint", np__node_str(ar, given)) ||
	    np__map_put(ar, m, "pod", str_or_null(ar, pod)) ||
	    np__map_put(ar, m, "ip", str_or_null(ar, ip[0] ? ip : NULL)))
		return NULL;
	return m;
}

static struct np_node *side_node(struct np_arena *ar, const struct side *s,
				 int d)
{
	const struct np_verdict *v = &s->v;
	struct np_node *m = np__node_new(ar, NP_N_MAP);
	struct np_node *iso = np__node_new(ar, NP_N_SEQ);
	struct np_node *fs = np__node_new(ar, NP_N_SEQ);
	size_t i, k;

	if (!m || !iso || !fs ||
	    np__map_put(ar, m, "direction", np__node_str(ar, dir_names[d])) ||
	    np__map_put(ar, m, "pod", np__node_str(ar, s->pod)) ||
	    np__map_put(ar, m, "allowed", np__node_bool(ar, v->allowed)) ||
	    np__map_put(ar, m, "reason",
			np__node_str(ar, np_reason_name(v->reason))) ||
	    np__map_put(ar, m, "tier",
			np__node_str(ar, np_tier_name(v->tier))) ||
	    np__map_put(ar, m, "key",
			str_or_null(ar, v->key[0] ? v->key : NULL)) ||
	    np__map_put(ar, m, "slot",
			v->slot >= 0 ? np__node_int(ar, v->slot + 1) :
				       np__node_new(ar, NP_N_NULL)) ||
	    np__map_put(ar, m, "policies", np__node_str(ar, v->policies)) ||
	    np__map_put(ar, m, "isolatedBy", iso) ||
	    np__map_put(ar, m, "findings", fs))
		return NULL;
	for (i = 0; i < s->niso; i++)
		if (np__seq_push(ar, iso, np__node_str(ar, s->iso[i])))
			return NULL;
	for (i = 0; i < s->n; i++) {
		const struct item *it = &s->items[i];
		struct np_node *f = np__node_new(ar, NP_N_MAP);
		struct np_node *pods = np__node_new(ar, NP_N_SEQ);

		if (!f || !pods || np__seq_push(ar, fs, f) ||
		    np__map_put(ar, f, "policy",
				np__node_str(ar, it->pub.policy)) ||
		    np__map_put(ar, f, "tier",
				np__node_str(ar, np_tier_name(it->pub.tier))) ||
		    np__map_put(ar, f, "rule",
				it->pub.rule >= 0 ?
					np__node_int(ar, it->pub.rule) :
					np__node_new(ar, NP_N_NULL)) ||
		    np__map_put(ar, f, "ruleName",
				str_or_null(ar, it->pub.rule_name)) ||
		    np__map_put(ar, f, "peer",
				it->pub.peer >= 0 ?
					np__node_int(ar, it->pub.peer) :
					np__node_new(ar, NP_N_NULL)) ||
		    np__map_put(ar, f, "reason",
				np__node_str(ar, np_attrib_reason_name(
							 it->pub.reason))) ||
		    np__map_put(ar, f, "detail",
				np__node_str(ar, it->pub.detail)) ||
		    np__map_put(ar, f, "pods", pods) ||
		    np__map_put(ar, f, "podCount",
				np__node_int(ar, (int64_t)it->total)))
			return NULL;
		for (k = 0; k < it->npods; k++)
			if (np__seq_push(ar, pods,
					 np__node_str(ar, it->pods[k])))
				return NULL;
	}
	return m;
}

int np_attrib_format(const struct np_attrib *a, enum np_format format,
		     char **out)
{
	static const int order[2] = { NP_DIRECTION_EGRESS,
				      NP_DIRECTION_INGRESS };
	struct np_arena ar = { 0 };
	struct np_node *root, *sides;
	size_t k;
	int err = -ENOMEM;

	if (!a || !out)
		return -EINVAL;
	if (format == NP_FORMAT_TEXT)
		return format_text(a, out);
	if (format != NP_FORMAT_JSON && format != NP_FORMAT_YAML)
		return -EINVAL;
	root = np__node_new(&ar, NP_N_MAP);
	sides = np__node_new(&ar, NP_N_SEQ);
	if (!root || !sides ||
	    np__map_put(&ar, root, "allowed", np__node_bool(&ar, a->allowed)) ||
	    np__map_put(&ar, root, "from",
			endpoint_node(&ar, a->from, a->from_pod, a->from_ip)) ||
	    np__map_put(&ar, root, "to",
			endpoint_node(&ar, a->to, a->to_pod, a->to_ip)) ||
	    np__map_put(&ar, root, "protocol",
			np__node_str(&ar, np_protocol_name(a->proto))) ||
	    np__map_put(&ar, root, "port", np__node_int(&ar, a->port)) ||
	    np__map_put(&ar, root, "self", np__node_bool(&ar, a->self)) ||
	    np__map_put(&ar, root, "sides", sides))
		goto out;
	for (k = 0; k < 2; k++)
		if (a->side[order[k]].judged &&
		    np__seq_push(&ar, sides,
				 side_node(&ar, &a->side[order[k]], order[k])))
			goto out;
	err = np__emit_string(root, format, out);
out:
	np__arena_release(&ar);
	return err;
}
