// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attribution (the query stage, over the rule sets): why a connection is
 * allowed or denied. The verdict of each side is the compiled rule set's
 * (np__ruleset_verdict_ip), so attribution never disagrees with verdicts;
 * who decided comes from the provenance behind that verdict (allows, and
 * the cluster policy rules that deny), and for a NetworkPolicy deny from
 * the policies isolating the pod, rule by rule, with the resolution
 * stage's own selector matching and peer expansion (np__peer_pods).
 *
 * This file judges each side (provenance, PolicyEndpoints, the policies
 * isolating a pod) and has the entry points and accessors. attrib_rules.c
 * checks a NetworkPolicy's rules one by one and keeps the findings;
 * attrib_format.c writes an attribution out (attrib_internal.h: what they
 * share).
 */
#include <stdio.h>
#include <stdlib.h>

#include "attrib_internal.h"
#include "opts.h"
#include "ruleset_internal.h"
#include "tier.h"

/* Pods named per selector by default. */
#define ATTRIB_MAX_PODS 3

/* --- findings ----------------------------------------------------------- */

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
			if (rname && !(rname = np__attrib_esc_dup(x->a, rname)))
				return -ENOMEM;
			np__sb_printf(&sb, "%s tier, %s",
				      p->tier == NP_TIER_ADMIN ? "Admin" :
								 "Baseline",
				      deny ? "action Deny" : "allows it");
		} else if (p->rule == -2) {
			np__sb_printf(&sb, "egress to a Service every backend "
					   "of which the policy allows");
		}
		if (deny && np__attrib_iso_add(s, pname))
			return -ENOMEM;
		if (!np__attrib_item_add(
			    x, s, pname, cnp ? p->tier : NP_TIER_NETWORK_POLICY,
			    rule, rname, -1,
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
		if (!pname || np__attrib_iso_add(s, pname))
			return -ENOMEM;
		np__sb_puts(&sb, "compiled from PolicyEndpoint ");
		np__sb_puts_text(&sb, ctx->pes[i]->meta.name);
		np__sb_puts(&sb, ": its entries do not name rules or peers");
		if (!np__attrib_item_add(x, s, pname, NP_TIER_NETWORK_POLICY,
					 -1, NULL, -1, NP_ATTRIB_UNKNOWN,
					 &sb)) {
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
	s->pod = np__attrib_pod_dup(x->a, j->pod);
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
			err = np__attrib_policy_check(x, s, ctx, ctx->pols[i],
						      j);
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
	a->from = np__attrib_esc_dup(a, from);
	a->to = np__attrib_esc_dup(a, to);
	if (!a->from || !a->to)
		goto fail;
	if ((ea.pod && !(a->from_pod = np__attrib_pod_dup(a, ea.pod))) ||
	    (eb.pod && !(a->to_pod = np__attrib_pod_dup(a, eb.pod))))
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
	return np__diag_fail(diag, err);
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
	return np__diag_fail(diag, err);
}
