// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * np_cluster_endpoints(): every NetworkPolicy resolved into PolicyEndpoints
 * (endpoints.c), then every ClusterNetworkPolicy (both API groups) into
 * networking.k8s.aws/v1alpha1 ClusterPolicyEndpoints, in the shape the AWS
 * controller writes (spec.policyRef.name, tier, priority, subject,
 * podSelectorEndpoints, ingress/egress entries {action, cidr, ports} or
 * {action, domainName}), but exact where the controller is not:
 *
 *  - entries in rule order, a rule's entries together (sorted by CIDR):
 *    list order is rule order, the first matching entry decides;
 *  - port ranges keep their endPort;
 *  - the peers expand as tier.c expands them (np__tier_entries(), one
 *    function): pods and namespaces to pod addresses, networks as
 *    written, egress Service ClusterIPs judged by their backends (an
 *    Accept when every backend matches, a Deny or Pass when one does),
 *    named ports resolved per pod: egress on each destination pod (one
 *    entry per address with its ports), ingress on the subject pod. When
 *    subject pods resolve an ingress named port differently, the policy
 *    gets one ClusterPolicyEndpoint per distinct resolution, each listing
 *    its pods;
 *  - a domainNames peer becomes domainName entries (the agent's shape);
 *    a peer that cannot be enforced otherwise (nodes without Node objects,
 *    a peer of a newer API) matches nothing in an Accept rule and is left
 *    out; in a Deny or Pass rule of a policy that selects pods it cannot
 *    be written: -ENOTSUP with a diag naming policy, rule and peer (the
 *    policies' view fails those pods closed).
 *
 * Names: "<policy>-<part>-<hash>" for policy.networking.k8s.io,
 * "<policy>-aws-<part>-<hash>" for networking.k8s.aws (so that, at equal
 * policy name, the first sorts first, as tier.c orders the groups), within
 * 63 characters; part counts the resolutions from 0, in pod order.
 * Objects go out sorted by policy name, group, part.
 */
#include <stdio.h>
#include <stdlib.h>

#include "netpol/ruleset.h"
#include "tier.h"

static int tcidr_cmp(const void *a, const void *b)
{
	const struct np_tent *x = a, *y = b;
	int r;

	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	if (x->cidr.family != y->cidr.family)
		return x->cidr.family < y->cidr.family ? -1 : 1;
	r = memcmp(x->cidr.addr, y->cidr.addr, x->cidr.family == 4 ? 4 : 16);
	if (r)
		return r;
	return x->cidr.len < y->cidr.len ? -1 : x->cidr.len > y->cidr.len;
}

static int tiv_cmp(const void *a, const void *b)
{
	const struct np_tiv *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static bool known_proto(uint32_t p)
{
	return p == NP_PROTO_TCP || p == NP_PROTO_UDP || p == NP_PROTO_SCTP;
}

/*
 * The union of intervals v[0..n) as CPE ports (sorted): none for every
 * protocol and port; -ENOTSUP when the CPE schema cannot say it (a span
 * over other protocols, port 0 alone).
 */
static int tiv_ports(struct np_arena *a, struct np_tiv *v, size_t n,
		     struct np_port **out, size_t *nout)
{
	size_t i, m = 0, k = 0;
	uint32_t p;

	qsort(v, n, sizeof(*v), tiv_cmp);
	for (i = 0; i < n; i++) {
		if (m && (uint64_t)v[i].lo <= (uint64_t)v[m - 1].hi + 1) {
			if (v[i].hi > v[m - 1].hi)
				v[m - 1].hi = v[i].hi;
			continue;
		}
		v[m++] = v[i];
	}
	*out = NULL;
	*nout = 0;
	if (m == 1 && v[0].lo == 0 && v[0].hi == NP_TIV_MAX)
		return 0;
	for (i = 0; i < m; i++)
		k += (v[i].hi >> 16) - (v[i].lo >> 16) + 1;
	*out = np__arena_zalloc(a, (k + 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < m; i++)
		for (p = v[i].lo >> 16; p <= v[i].hi >> 16; p++) {
			struct np_port *pt = &(*out)[(*nout)++];
			uint32_t lo = p == v[i].lo >> 16 ? v[i].lo & 0xffff : 0;
			uint32_t hi = p == v[i].hi >> 16 ? v[i].hi & 0xffff :
							   65535;

			if (!known_proto(p) || (!lo && hi != 65535))
				return -ENOTSUP;
			pt->proto = (uint8_t)p;
			if (!lo && hi == 65535)
				continue;
			pt->has_port = true;
			pt->port = (uint16_t)lo;
			pt->end_port = hi > lo ? (uint16_t)hi : 0;
		}
	return 0;
}

struct ebuf {
	struct np_cpe_entry *v;
	size_t n, cap;
};

static int ebuf_add(struct ebuf *b, const struct np_cpe_entry *e)
{
	if (NP_GROW(b->v, b->cap, b->n + 1))
		return -ENOMEM;
	b->v[b->n++] = *e;
	return 0;
}

/* A diag for what a ClusterPolicyEndpoint cannot say. */
static int cannot(const struct np_obj *pol, int dir, size_t rule,
		  const char *what, struct np_diag *diag)
{
	if (diag) {
		memset(diag, 0, sizeof(*diag));
		diag->err = -ENOTSUP;
		snprintf(diag->object, sizeof(diag->object),
			 "ClusterNetworkPolicy %s", pol->meta.name);
		snprintf(diag->path, sizeof(diag->path), "spec.%s[%zu]",
			 np_direction_name(dir), rule);
		snprintf(diag->message, sizeof(diag->message),
			 "Not supported: %s: cannot be written as a "
			 "ClusterPolicyEndpoint",
			 what);
	}
	return -ENOTSUP;
}

/*
 * The entries of pol's rules tr[0..n) in dir for pod (the subject, or any
 * subject pod for egress, NULL for none), in rule order, into *out
 * (memory from a).
 */
static int dir_entries(const struct np_cluster *c, struct np_ctx *ctx,
		       struct np_arena *a, const struct np_obj *pol,
		       const struct np_obj *pod, int dir,
		       const struct np_trule *tr, size_t n, bool selects,
		       struct np_cpe_entry **out, size_t *nout,
		       struct np_diag *diag)
{
	struct ebuf b = { 0 };
	struct np_tent *t;
	size_t nt, i, j, k, x;
	int err;

	*out = NULL;
	*nout = 0;
	err = np__tier_entries(ctx, a, pod, dir, tr, n, &t, &nt);
	if (err)
		return err;
	if (nt)
		qsort(t, nt, sizeof(*t), tcidr_cmp);
	for (i = 0, j = 0; i < n; i++) {
		const struct np_cnp_rule *r = tr[i].r;

		/* the rule's prefixes, each with the union of its ports */
		for (; j < nt && t[j].rule == i; j = k) {
			struct np_cpe_entry e = { 0 };
			struct np_tiv *v;
			size_t nv = 0;

			for (k = j; k < nt && t[k].rule == i &&
				    !tcidr_cmp(&t[j], &t[k]);
			     k++)
				nv += t[k].niv;
			if (!nv)
				continue; /* a named port it does not have */
			v = np__arena_alloc(a, nv * sizeof(*v));
			if (!v)
				goto nomem;
			for (x = j, nv = 0; x < k; x++) {
				memcpy(v + nv, t[x].iv, t[x].niv * sizeof(*v));
				nv += t[x].niv;
			}
			e.action = r->action;
			e.cidr = t[j].cidr;
			err = tiv_ports(a, v, nv, &e.ports, &e.nports);
			if (err == -ENOTSUP)
				err = cannot(pol, dir, (size_t)tr[i].idx,
					     "ports over other protocols",
					     diag);
			if (!err)
				err = ebuf_add(&b, &e);
			if (err)
				goto fail;
		}
		for (k = 0; k < r->npeers; k++) {
			const struct np_cnp_peer *p = &r->peers[k];

			if (p->kind == NP_CNP_PEER_DOMAINS) {
				for (x = 0; x < p->ndomains; x++) {
					struct np_cpe_entry e = { 0 };

					e.action = r->action;
					e.domain = p->domains[x];
					if (ebuf_add(&b, &e))
						goto nomem;
				}
				continue;
			}
			if (np__tier_peer_enforceable(c, p) ||
			    r->action == NP_CNP_ACCEPT || !selects)
				continue;
			err = cannot(
				pol, dir, (size_t)tr[i].idx,
				p->kind == NP_CNP_PEER_NODES ?
					"a nodes peer without Node objects "
					"in a Deny or Pass rule" :
					"a peer of an unknown type in a "
					"Deny or Pass rule",
				diag);
			goto fail;
		}
	}
	if (b.n) {
		*out = np__arena_alloc(a, b.n * sizeof(**out));
		if (!*out)
			goto nomem;
		memcpy(*out, b.v, b.n * sizeof(**out));
	}
	*nout = b.n;
	free(b.v);
	return 0;
nomem:
	err = -ENOMEM;
fail:
	free(b.v);
	return err;
}

static bool ports_eq(const struct np_port *x, size_t nx,
		     const struct np_port *y, size_t ny)
{
	size_t i;

	if (nx != ny)
		return false;
	for (i = 0; i < nx; i++)
		if (x[i].proto != y[i].proto ||
		    x[i].has_port != y[i].has_port || x[i].port != y[i].port ||
		    x[i].end_port != y[i].end_port)
			return false;
	return true;
}

static bool entries_eq(const struct np_cpe_entry *x, size_t nx,
		       const struct np_cpe_entry *y, size_t ny)
{
	size_t i;

	if (nx != ny)
		return false;
	for (i = 0; i < nx; i++)
		if (x[i].action != y[i].action ||
		    memcmp(&x[i].cidr, &y[i].cidr, sizeof(x[i].cidr)) ||
		    !x[i].domain != !y[i].domain ||
		    (x[i].domain && strcmp(x[i].domain, y[i].domain)) ||
		    !ports_eq(x[i].ports, x[i].nports, y[i].ports, y[i].nports))
			return false;
	return true;
}

/* One resolution of a policy's ingress and the subject pods that have it. */
struct part {
	char *sig; /* what the ingress named ports are on these pods */
	struct np_cpe_entry *in;
	size_t nin;
	const struct np_obj **pods;
	size_t npods;
};

/*
 * What the ingress named ports of rules tr[0..n) are on pod: the only
 * thing the ingress entries take from the subject pod. Into arena a.
 */
static char *named_sig(struct np_arena *a, const struct np_trule *tr, size_t n,
		       const struct np_obj *pod)
{
	struct np_strbuf sb = { 0 };
	size_t i, j, k;
	char *out = NULL;

	for (i = 0; i < n; i++)
		for (j = 0; j < tr[i].r->nports; j++) {
			const char *name = tr[i].r->ports[j].name;

			if (!name)
				continue;
			np__sb_printf(&sb, "%zu.%zu:", i, j);
			for (k = 0; pod && k < pod->pod.nports; k++) {
				const struct np_container_port *cp =
					&pod->pod.ports[k];

				if (cp->name && !strcmp(cp->name, name))
					np__sb_printf(&sb, "%u/%u,", cp->proto,
						      cp->port);
			}
			np__sb_putc(&sb, ';');
		}
	np__sb_putc(&sb, 0);
	if (!sb.err)
		out = np__arena_strdup(a, sb.buf);
	np__sb_release(&sb);
	return out;
}

static int cpe_obj(struct np_arena *a, const struct np_obj *pol, unsigned k,
		   const struct part *pt, const struct np_cpe_entry *eg,
		   size_t neg, struct np_obj *o)
{
	static const struct np_selector every;
	const char *g = pol->cnp.aws ? "-aws" : "";
	size_t i, j, base, np = 0;
	uint64_t h;

	memset(o, 0, sizeof(*o));
	o->kind = NP_KIND_CLUSTER_POLICY_ENDPOINT;
	o->meta.ns = "";
	h = np__hash_str(pol->meta.name,
			 np__hash_str(pol->cnp.aws ? "aws" : "k8s", k));
	base = NP_MIN(strlen(pol->meta.name), (size_t)45);
	while (base && pol->meta.name[base - 1] == '.')
		base--;
	o->meta.name = np__arena_printf(a, "%.*s%s-%u-%05llx", (int)base,
					pol->meta.name, g, k,
					(unsigned long long)(h & 0xfffff));
	o->cpe.ref_name = pol->meta.name;
	o->cpe.tier = pol->cnp.tier;
	o->cpe.priority = pol->cnp.priority;
	o->cpe.has_subject = true;
	o->cpe.subject = pol->cnp.subject;
	/* the agent's schema wants both selectors of a pods subject */
	if (o->cpe.subject.kind == NP_CNP_PEER_PODS && !o->cpe.subject.ns_sel)
		o->cpe.subject.ns_sel = (struct np_selector *)&every;
	for (i = 0; i < pt->npods; i++)
		np += NP_MAX(pt->pods[i]->pod.nips, (size_t)1);
	o->cpe.pods = np__arena_zalloc(a, (np + 1) * sizeof(*o->cpe.pods));
	if (!o->meta.name || !o->cpe.pods)
		return -ENOMEM;
	for (i = 0; i < pt->npods; i++) {
		const struct np_obj *p = pt->pods[i];

		for (j = 0; j < NP_MAX(p->pod.nips, (size_t)1); j++) {
			struct np_pe_pod *pp = &o->cpe.pods[o->cpe.npods++];

			if (j < p->pod.nips)
				pp->pod_ip = p->pod.ips[j];
			pp->host_ip = p->pod.host_ip;
			pp->name = p->meta.name;
			pp->ns = p->meta.ns;
		}
	}
	o->cpe.ingress = pt->in;
	o->cpe.ningress = pt->nin;
	o->cpe.egress = (struct np_cpe_entry *)eg;
	o->cpe.negress = neg;
	return 0;
}

/* The rules of pol in dir as np_trules (malloc'd). */
static int pol_rules(const struct np_obj *pol, int dir, struct np_trule **out,
		     size_t *n)
{
	const struct np_cnp_rule *r = dir ? pol->cnp.egress : pol->cnp.ingress;
	size_t i;

	*n = dir ? pol->cnp.negress : pol->cnp.ningress;
	*out = calloc(*n + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < *n; i++) {
		(*out)[i].pol = pol;
		(*out)[i].r = &r[i];
		(*out)[i].idx = (int)i;
	}
	return 0;
}

/* Every ClusterPolicyEndpoint of pol, each handed to fn. */
static int cnp_cpes(const struct np_cluster *c, struct np_ctx *ctx,
		    struct np_arena *a, const struct np_obj *pol, np__cpe_fn fn,
		    void *arg, struct np_diag *diag)
{
	struct np_trule *tr[2] = { NULL, NULL };
	const struct np_obj **sel = NULL;
	struct part *parts = NULL;
	struct np_cpe_entry *eg = NULL;
	size_t nsel = 0, ntr[2], neg = 0, nparts = 0, i, j;
	bool named = false;
	int err;

	sel = calloc(ctx->npods + 1, sizeof(*sel));
	parts = calloc(ctx->npods + 1, sizeof(*parts));
	if (!sel || !parts) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ctx->npods; i++)
		if (np__tier_subject_has(ctx, &pol->cnp, ctx->pods[i]))
			sel[nsel++] = ctx->pods[i];
	err = pol_rules(pol, 0, &tr[0], &ntr[0]);
	if (!err)
		err = pol_rules(pol, 1, &tr[1], &ntr[1]);
	if (!err)
		err = dir_entries(c, ctx, a, pol, nsel ? sel[0] : NULL, 1,
				  tr[1], ntr[1], nsel, &eg, &neg, diag);
	if (err)
		goto out;
	for (i = 0; i < ntr[0]; i++)
		named |= np__cnp_rule_has_named(tr[0][i].r);
	/*
	 * ingress: one part, or one per distinct named-port resolution
	 * (the same resolution, the same entries: computed once per part)
	 */
	for (i = 0; i < nsel || (!i && !nsel); i++) {
		const struct np_obj *pod = nsel ? sel[i] : NULL;
		struct part cur = { 0 };

		if (i && !named) {
			parts[0].pods[parts[0].npods++] = sel[i];
			continue;
		}
		cur.sig = named ? named_sig(a, tr[0], ntr[0], pod) : "";
		if (!cur.sig) {
			err = -ENOMEM;
			goto out;
		}
		for (j = 0; j < nparts; j++)
			if (!strcmp(parts[j].sig, cur.sig))
				break;
		if (j == nparts) {
			err = dir_entries(c, ctx, a, pol, pod, 0, tr[0], ntr[0],
					  nsel, &cur.in, &cur.nin, diag);
			if (err)
				goto out;
			/* resolutions that differ may still give one list */
			for (j = 0; j < nparts; j++)
				if (entries_eq(parts[j].in, parts[j].nin,
					       cur.in, cur.nin))
					break;
		}
		if (j == nparts) {
			cur.pods = np__arena_alloc(
				a, (nsel + 1) * sizeof(*cur.pods));
			if (!cur.pods) {
				err = -ENOMEM;
				goto out;
			}
			parts[nparts++] = cur;
		}
		if (nsel)
			parts[j].pods[parts[j].npods++] = sel[i];
	}
	for (j = 0; j < nparts; j++) {
		struct np_obj o;

		err = cpe_obj(a, pol, (unsigned)j, &parts[j], eg, neg, &o);
		if (!err)
			err = fn(arg, a, &o);
		if (err)
			goto out;
	}
out:
	free(tr[0]);
	free(tr[1]);
	free(sel);
	free(parts);
	return err;
}

static int pol_cmp(const void *a, const void *b)
{
	const struct np_obj *x = *(const struct np_obj *const *)a;
	const struct np_obj *y = *(const struct np_obj *const *)b;
	int r = strcmp(x->meta.name, y->meta.name);

	return r ? r : x->cnp.aws - y->cnp.aws;
}

/* Every ClusterNetworkPolicy's ClusterPolicyEndpoints (tier.h). */
int np__cluster_cpes(struct np_cluster *c, struct np_ctx *ctx,
		     struct np_arena *a, np__cpe_fn fn, void *arg,
		     struct np_diag *diag)
{
	static const enum np_kind kinds[] = {
		NP_KIND_CLUSTER_NETWORK_POLICY,
		NP_KIND_AWS_CLUSTER_NETWORK_POLICY,
	};
	struct np_obj **all = NULL, **objs;
	size_t n = 0, nobj, i, k;
	int err = 0;

	for (k = 0; !err && k < 2; k++) {
		err = np__cluster_sorted(c, kinds[k], &objs, &nobj);
		if (err)
			break;
		if (nobj) {
			struct np_obj **v =
				realloc(all, (n + nobj) * sizeof(*v));

			if (!v) {
				free(objs);
				err = -ENOMEM;
				break;
			}
			all = v;
			memcpy(all + n, objs, nobj * sizeof(*objs));
			n += nobj;
		}
		free(objs);
	}
	if (!err && n) {
		qsort(all, n, sizeof(*all), pol_cmp);
		err = np__service_backends(ctx);
	}
	for (i = 0; !err && i < n; i++)
		err = cnp_cpes(c, ctx, a, all[i], fn, arg, diag);
	free(all);
	return err;
}

/* --- public ------------------------------------------------------------- */

/* np__cpe_fn of np_cluster_endpoints(): onto the list (arg). */
static int push_item(void *arg, struct np_arena *a, const struct np_obj *cpe)
{
	return np__seq_push(a, arg, np__obj_to_node(a, cpe)) ? -ENOMEM : 0;
}

static int endpoints_locked(struct np_cluster *c, enum np_format fmt,
			    char **out, struct np_diag *diag)
{
	struct np_arena a = { 0 };
	struct np_node *root, *items;
	struct np_ctx *ctx;
	size_t i, j;
	int err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!c || !out || (fmt != NP_FORMAT_YAML && fmt != NP_FORMAT_JSON))
		return -EINVAL;
	err = np__ctx_get(c, &ctx);
	for (i = 0; !err && i < ctx->npols; i++)
		err = np__resolve_policy(ctx, i, diag);
	if (err)
		return err;
	err = -ENOMEM;
	root = np__list_new(&a, &items);
	for (i = 0; root && i < ctx->npols; i++)
		for (j = 0; j < ctx->npe_of[i]; j++)
			if (np__seq_push(&a, items,
					 np__obj_to_node(&a, ctx->pe_of[i][j])))
				goto out;
	if (root && np__tier_any(c))
		err = np__cluster_cpes(c, ctx, &a, push_item, items, diag);
	else if (root)
		err = 0;
	if (!err)
		err = np__emit_string(root, fmt, out);
out:
	np__arena_release(&a);
	return err;
}

int np_cluster_endpoints(struct np_cluster *c, enum np_format fmt, char **out,
			 struct np_diag *diag)
{
	int err;

	np__cluster_lock(c);
	err = endpoints_locked(c, fmt, out, diag);
	np__cluster_unlock(c);
	return np__diag_fail(diag, err);
}
