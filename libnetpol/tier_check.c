// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * np_cluster_check(): what is valid by the API yet worth a warning in a
 * snapshot's ClusterNetworkPolicies, for `netpol validate`:
 *
 *   - two policies of one tier at one priority, both with rules in one
 *     direction for a pod both select: the API leaves their order to the
 *     implementation (libnetpol's: by name, then group; tier.c);
 *   - a peer that cannot be enforced (domainNames, nodes without Node
 *     objects, a peer of a newer API): in an Accept rule it matches
 *     nothing; in a Deny or Pass rule every pod the policy selects fails
 *     closed in that direction when compiled (an error there).
 *
 * One line each, in a stable order (tier, priority, names). Names are
 * escaped as np_escape() does with NP_ESCAPE_TEXT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_internal.h"
#include "objects.h"
#include "resolve.h"
#include "tier.h"
#include "util.h"

/* Policies in the fold's order: tier, priority, name, group. */
static int cpol_cmp(const void *a, const void *b)
{
	const struct np_obj *x = *(const struct np_obj *const *)a;
	const struct np_obj *y = *(const struct np_obj *const *)b;
	int r;

	if (x->cnp.tier != y->cnp.tier)
		return x->cnp.tier < y->cnp.tier ? -1 : 1;
	if (x->cnp.priority != y->cnp.priority)
		return x->cnp.priority < y->cnp.priority ? -1 : 1;
	r = strcmp(x->meta.name, y->meta.name);
	if (r)
		return r;
	return x->cnp.aws == y->cnp.aws ? 0 : x->cnp.aws ? 1 : -1;
}

static void put_name(struct np_strbuf *sb, const struct np_obj *o)
{
	np__sb_puts(sb, "cnp/");
	np__sb_puts_text(sb, o->meta.name);
	if (o->cnp.aws)
		np__sb_puts(sb, " (networking.k8s.aws)");
}

static size_t nrules(const struct np_obj *o, int dir)
{
	return dir ? o->cnp.negress : o->cnp.ningress;
}

/* p and q tie: the pods both select, when both have rules in dir. */
static void check_tie(struct np_ctx *ctx, const struct np_obj *p,
		      const struct np_obj *q, int dir, struct np_strbuf *sb,
		      size_t *n)
{
	const struct np_obj *first = NULL;
	size_t i, shared = 0;

	if (!nrules(p, dir) || !nrules(q, dir))
		return;
	for (i = 0; i < ctx->npods; i++) {
		if (!np__tier_subject_has(ctx, &p->cnp, ctx->pods[i]) ||
		    !np__tier_subject_has(ctx, &q->cnp, ctx->pods[i]))
			continue;
		if (!shared++)
			first = ctx->pods[i];
	}
	if (!shared)
		return;
	put_name(sb, p);
	np__sb_puts(sb, " and ");
	put_name(sb, q);
	np__sb_printf(sb, ": both %s priority %d with %s rules for ",
		      np__cnp_tier_name(p->cnp.tier), (int)p->cnp.priority,
		      np_direction_name(dir));
	np__sb_puts_text(sb, first->meta.ns);
	np__sb_putc(sb, '/');
	np__sb_puts_text(sb, first->meta.name);
	if (shared > 1)
		np__sb_printf(sb, " and %zu more pods", shared - 1);
	np__sb_puts(sb, ": the order is the implementation's; ");
	put_name(sb, p);
	np__sb_puts(sb, " goes first (name order)\n");
	(*n)++;
}

static const char *peer_need(enum np_cnp_peer_kind k, const char **field)
{
	switch (k) {
	case NP_CNP_PEER_DOMAINS:
		*field = "domainNames";
		return "DNS awareness";
	case NP_CNP_PEER_NODES:
		*field = "nodes";
		return "Node objects in the snapshot";
	default:
		*field = "an unknown peer type";
		return "a newer API version";
	}
}

/* The peers of p's rules that cannot be enforced. */
static void check_peers(const struct np_cluster *c, const struct np_obj *p,
			struct np_strbuf *sb, size_t *n)
{
	size_t dir, i, j;

	for (dir = 0; dir < 2; dir++) {
		const struct np_cnp_rule *r = dir ? p->cnp.egress :
						    p->cnp.ingress;

		for (i = 0; i < nrules(p, (int)dir); i++) {
			for (j = 0; j < r[i].npeers; j++) {
				const char *field, *need;

				if (np__tier_peer_enforceable(c,
							      &r[i].peers[j]))
					continue;
				need = peer_need(r[i].peers[j].kind, &field);
				put_name(sb, p);
				np__sb_printf(sb, " spec.%s[%zu].%s[%zu]: ",
					      np_direction_name(dir), i,
					      dir ? "to" : "from", j);
				if (r[i].action == NP_CNP_ACCEPT)
					np__sb_printf(sb,
						      "%s not enforced (needs "
						      "%s): it matches nothing"
						      "\n",
						      field, need);
				else
					np__sb_printf(
						sb,
						"%s cannot be enforced "
						"(needs %s): a %s rule, so "
						"every pod the policy selects "
						"fails closed in %s\n",
						field, need,
						np__cnp_action_name(
							r[i].action),
						np_direction_name(dir));
				(*n)++;
			}
		}
	}
}

static int check_locked(struct np_cluster *cluster, char **report,
			size_t *nwarn)
{
	static const enum np_kind kinds[] = {
		NP_KIND_CLUSTER_NETWORK_POLICY,
		NP_KIND_AWS_CLUSTER_NETWORK_POLICY,
	};
	struct np_strbuf sb = { 0 };
	const struct np_obj **v = NULL;
	struct np_ctx *ctx;
	size_t cap = 0, m = 0, n = 0, i, j, k, nobj;
	struct np_obj **objs;
	int dir, err;

	if (!cluster || !report)
		return -EINVAL;
	*report = NULL;
	err = np__ctx_get(cluster, &ctx);
	if (err)
		return err;
	for (k = 0; k < 2; k++) {
		err = np__cluster_sorted(cluster, kinds[k], &objs, &nobj);
		if (err)
			goto out;
		for (i = 0; i < nobj; i++) {
			if (NP_GROW(v, cap, m + 1)) {
				free(objs);
				err = -ENOMEM;
				goto out;
			}
			v[m++] = objs[i];
		}
		free(objs);
	}
	if (m)
		qsort(v, m, sizeof(*v), cpol_cmp);
	for (i = 0; i < m; i++) {
		check_peers(cluster, v[i], &sb, &n);
		for (j = i + 1; j < m && v[j]->cnp.tier == v[i]->cnp.tier &&
				v[j]->cnp.priority == v[i]->cnp.priority;
		     j++)
			for (dir = 0; dir < 2; dir++)
				check_tie(ctx, v[i], v[j], dir, &sb, &n);
	}
	if (!sb.buf)
		np__sb_puts(&sb, "");
	err = np__sb_finish(&sb, report);
out:
	np__sb_release(&sb);
	free(v);
	if (!err && nwarn)
		*nwarn = n;
	return err;
}

int np_cluster_check(struct np_cluster *cluster, char **report, size_t *nwarn)
{
	int err;

	np__cluster_lock(cluster);
	err = check_locked(cluster, report, nwarn);
	np__cluster_unlock(cluster);
	return err;
}
