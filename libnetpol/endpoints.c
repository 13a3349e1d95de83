/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The resolution stage's output: each NetworkPolicy becomes one or more
 * PolicyEndpoints (split by how its selected pods resolve named ports),
 * resolved lazily per policy and reused until a change invalidates them.
 * np_cluster_endpoints() (endpoints_cpe.c) writes them all out.
 */
#include <stdio.h>
#include <stdlib.h>

#include "netpol/ruleset.h"
#include "resolve.h"

static void signature(const struct np_obj *pod, const struct np_pname *names,
		      size_t n, uint16_t *sig)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct np_container_port *cp =
			np__pod_port(pod, names[i].name, names[i].proto);

		sig[i] = cp ? cp->port : 0;
	}
}

/*
 * The podSelectorEndpoints: every address of the selected pods, and one
 * entry without an address (pod_ip.family 0, podIP "" in documents) for a
 * selected pod that has none yet: it is selected all the same.
 */
static int pe_pods(struct np_arena *a, struct np_obj *o,
		   const struct np_obj *const *sel, size_t nsel)
{
	size_t i, j, npods = 0;

	for (i = 0; i < nsel; i++)
		npods += NP_MAX(sel[i]->pod.nips, (size_t)1);
	o->pe.npods = 0;
	o->pe.pods = np__arena_zalloc(a, (npods + 1) * sizeof(*o->pe.pods));
	if (!o->pe.pods)
		return -ENOMEM;
	for (i = 0; i < nsel; i++)
		for (j = 0; j < NP_MAX(sel[i]->pod.nips, (size_t)1); j++) {
			struct np_pe_pod *pp = &o->pe.pods[o->pe.npods++];

			if (j < sel[i]->pod.nips)
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
	struct np_ebuf b = { 0 };
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
			err = np__ingress_rule(ctx, &arena, pol,
					       &pol->np.ingress[i], (int)i,
					       nsel ? sel[0] : NULL, &b);
			if (err)
				goto fail;
		}
		err = np__ebuf_take(&arena, &b, &o->pe.ingress,
				    &o->pe.ningress);
		if (err)
			goto fail;
	}
	if (pol->np.egress_type) {
		for (i = 0; i < pol->np.negress; i++) {
			err = np__egress_rule(ctx, &arena, pol,
					      &pol->np.egress[i], (int)i, &b);
			if (err)
				goto fail;
		}
		err = np__add_services(ctx, &arena, &b);
		if (!err)
			err = np__ebuf_take(&arena, &b, &o->pe.egress,
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
			bool named = d && np__rule_has_named(&r[i]);

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
				if (np__peer_pods(ctx, pol, p, &pods, &n,
						  &ps) ||
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
	const struct np_nsgroup *g = np__group_of(ctx, pol->meta.ns);
	struct np_pname names[64];
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
	nnames = np__ingress_names(pol, names, ARRAY_SIZE(names));
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
			if (np__pod_selectable(ctx->pods[k]) &&
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
