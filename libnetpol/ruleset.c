// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Rule sets: the PolicyEndpoints that select a pod (np__ruleset_compile_np;
 * np_ruleset_compile(), tier_cpe.c, folds the cluster policy tiers in)
 * become its rule set, one canonical list of LPM keys per direction; and
 * np_ruleset_free/hash/verdict/export, the verdicts with who decided them.
 *
 * ruleset_core.c builds the core of keys from the PolicyEndpoints (and
 * says what the keys mean), ruleset_cache.c keeps cores in a cache on the
 * resolution context; closure.c has the port sets and the closure itself.
 */
#include <stdio.h>
#include <stdlib.h>

#include "opts.h"
#include "ruleset_internal.h"

/* --- public: compile, free, hash ---------------------------------------- */

static bool pe_has_pod(const struct np_obj *pe, const char *ns,
		       const char *name, const struct np_pe_pod **which)
{
	size_t i;

	/*
	 * A PolicyEndpoint governs pods of its own namespace only: one in
	 * namespace a listing b's pods (and a hostIP of its choosing, which
	 * is always allowed) must not open them.
	 */
	if (strcmp(pe->meta.ns, ns))
		return false;
	for (i = 0; i < pe->pe.npods; i++)
		if (pe->pe.pods[i].ns && pe->pe.pods[i].name &&
		    !strcmp(pe->pe.pods[i].ns, ns) &&
		    !strcmp(pe->pe.pods[i].name, name)) {
			if (which)
				*which = &pe->pe.pods[i];
			return true;
		}
	return false;
}

/* The policies of pod's namespace are a contiguous range of ctx->pols. */
static size_t pols_lower(const struct np_ctx *ctx, const char *ns)
{
	size_t lo = 0, hi = ctx->npols;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(ctx->pols[mid]->meta.ns, ns) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* np_ruleset_compile (tier.c) is this and the tiers folded in. */
int np__ruleset_compile_np(struct np_ruleset **out, struct np_cluster *c,
			   const char *ns, const char *name,
			   const struct np_compile_opts *opts,
			   struct np_diag *diag)
{
	enum np_source src = NP_SOURCE_POLICIES;
	const struct np_obj **pes = NULL, *pod;
	const struct np_pe_pod *ident = NULL;
	struct np_ctx *ctx;
	size_t npes = 0, cap = 0, i, j;
	int err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!out || !c || !ns || !name)
		return -EINVAL;
	err = NP_OPTS_CHECK(opts, np_compile_opts, diag);
	if (err)
		return err;
	src = NP_OPTS_GET(opts, source, NP_SOURCE_POLICIES);
	err = np__ctx_get(c, &ctx);
	if (err)
		return err;
	pod = np__cluster_find(c, NP_KIND_POD, ns, name);
	if (src == NP_SOURCE_POLICIES) {
		if (!pod)
			goto noent;
		for (i = pols_lower(ctx, ns);
		     np__pod_selectable(pod) && i < ctx->npols &&
		     !strcmp(ctx->pols[i]->meta.ns, ns);
		     i++) {
			if (!np__selector_matches(&ctx->pols[i]->np.pod_sel,
						  &pod->meta.labels))
				continue;
			err = np__resolve_policy(ctx, i, diag);
			if (err)
				goto out;
			for (j = 0; j < ctx->npe_of[i]; j++) {
				if (!pe_has_pod(ctx->pe_of[i][j], ns, name,
						NULL))
					continue;
				if (NP_GROW(pes, cap, npes + 1)) {
					err = -ENOMEM;
					goto out;
				}
				pes[npes++] = ctx->pe_of[i][j];
			}
		}
	} else if (src == NP_SOURCE_ENDPOINTS) {
		for (i = 0; i < ctx->npes; i++) {
			if (!pe_has_pod(ctx->pes[i], ns, name, &ident))
				continue;
			if (NP_GROW(pes, cap, npes + 1)) {
				err = -ENOMEM;
				goto out;
			}
			pes[npes++] = ctx->pes[i];
		}
		if (!npes && !pod)
			goto noent;
	} else {
		return -EINVAL;
	}
	err = np__ruleset_build(out, ctx, pod, pes, npes, ident, diag);
out:
	free(pes);
	return err;
noent:
	if (diag) {
		diag->err = -ENOENT;
		snprintf(diag->object, sizeof(diag->object), "Pod %s/%s", ns,
			 name);
		snprintf(diag->message, sizeof(diag->message), "%s",
			 src == NP_SOURCE_POLICIES ?
				 "Not found: no such pod in the snapshot" :
				 "Not found: no PolicyEndpoint, "
				 "ClusterPolicyEndpoint or Pod names it");
	}
	free(pes);
	return -ENOENT;
}

void np_ruleset_free(struct np_ruleset *rs)
{
	struct np_arena a;

	if (!rs)
		return;
	np__core_put(rs->core);
	a = rs->arena;
	np__arena_release(&a);
}

uint64_t np_ruleset_hash(const struct np_ruleset *rs)
{
	return rs ? rs->core->hash : 0;
}

/* --- verdicts ----------------------------------------------------------- */

static const struct np_rs_key *lpm(const struct np_ruleset *rs, int dir,
				   const struct np_ip *ip)
{
	const struct np_rs_key *best = NULL;
	size_t i;

	for (i = 0; i < rs->core->nkeys[dir]; i++) {
		const struct np_rs_key *k = &rs->core->keys[dir][i];

		if (np__cidr_has_ip(&k->cidr, ip) &&
		    (!best || k->cidr.len > best->cidr.len))
			best = k;
	}
	return best;
}

/* The public tier of a provenance. */
static enum np_tier prov_tier(const struct np_prov *pv)
{
	switch (pv->tier) {
	case NP_TIER_ADMIN:
	case NP_TIER_BASELINE:
	case NP_TIER_NETWORK_POLICY:
		return pv->tier;
	default:
		return NP_TIER_DEFAULT;
	}
}

/*
 * Who decided a flow of a rule set with tiers: the contributors holding
 * it at the longest prefix the fold decided at that holds ip (one rule of
 * a tier, the default, or the NetworkPolicies that allowed it); none: the
 * NetworkPolicies isolating the direction denied it.
 */
static int tier_attribute(const struct np_rs_core *co, int dir,
			  const struct np_ip *ip, uint8_t proto, uint16_t port,
			  struct np_verdict *v)
{
	const struct np_rs_key *best = NULL;
	struct np_strbuf sb = { 0 };
	uint32_t last = UINT32_MAX;
	size_t i;

	v->tier = NP_TIER_NETWORK_POLICY;
	v->policies[0] = '\0';
	for (i = 0; i < co->nvkeys[dir]; i++) {
		const struct np_rs_key *k = &co->vkeys[dir][i];

		if (np__cidr_has_ip(&k->cidr, ip) &&
		    (!best || k->cidr.len > best->cidr.len))
			best = k;
	}
	for (i = 0; best && i < best->ncontrib; i++) {
		const struct np_rs_contrib *c = &best->contrib[i];

		if (c->prov == last || np__pset_find(c->ports, proto, port) < 0)
			continue;
		if (last == UINT32_MAX)
			v->tier = prov_tier(&co->prov[c->prov]);
		else
			np__sb_puts(&sb, ", ");
		last = c->prov;
		np__prov_format(co, c->prov, dir, true, &sb);
	}
	snprintf(v->policies, sizeof(v->policies), "%s", sb.buf ? sb.buf : "");
	np__sb_release(&sb);
	return sb.err;
}

int np__ruleset_verdict_ip(const struct np_ruleset *rs, enum np_direction dir,
			   const struct np_ip *ip, uint8_t proto, uint16_t port,
			   struct np_verdict *v)
{
	const struct np_rs_key *k;
	struct np_strbuf sb = { 0 };
	int slot;

	memset(v, 0, sizeof(*v));
	v->direction = dir;
	v->slot = -1;
	v->tier = NP_TIER_DEFAULT;
	if (!rs->core->isolated[dir] && !rs->core->nvkeys[dir]) {
		v->allowed = true;
		v->reason = NP_REASON_NOT_ISOLATED;
		return 0;
	}
	if (rs->node_ip.family == ip->family &&
	    !memcmp(rs->node_ip.addr, ip->addr, sizeof(ip->addr))) {
		v->allowed = true;
		v->reason = NP_REASON_NODE;
		return 0;
	}
	if (!rs->core->isolated[dir]) {
		/* the tiers allow everything (an Admin Accept of all): who */
		v->allowed = true;
		v->reason = NP_REASON_NOT_ISOLATED;
		return tier_attribute(rs->core, dir, ip, proto, port, v);
	}
	v->tier = NP_TIER_NETWORK_POLICY;
	k = lpm(rs, dir, ip);
	if (!k) {
		v->reason = NP_REASON_NO_MATCH;
		goto attribute;
	}
	np__cidr_format(&k->cidr, v->key, sizeof(v->key));
	slot = np__pset_find(k->ports, proto, port);
	if (slot < 0) {
		v->reason = !k->ports->n && !k->ports->all ? NP_REASON_EXCEPT :
							     NP_REASON_PORT;
		goto attribute;
	}
	v->allowed = true;
	v->reason = NP_REASON_RULE;
	v->slot = slot;
attribute:
	if (rs->core->nvkeys[dir])
		return tier_attribute(rs->core, dir, ip, proto, port, v);
	if (!v->allowed)
		return 0;
	np__key_policies(rs->core, dir, k, proto, port, true, &sb);
	snprintf(v->policies, sizeof(v->policies), "%s", sb.buf ? sb.buf : "");
	np__sb_release(&sb);
	return sb.err;
}

size_t np__ruleset_verdict_provs(const struct np_ruleset *rs,
				 enum np_direction dir, const struct np_ip *ip,
				 uint8_t proto, uint16_t port,
				 const struct np_prov **out, size_t max)
{
	const struct np_rs_core *co = rs->core;
	const struct np_rs_key *best = NULL;
	uint32_t last = UINT32_MAX;
	size_t i, n = 0;

	if (co->nvkeys[dir]) {
		for (i = 0; i < co->nvkeys[dir]; i++) {
			const struct np_rs_key *k = &co->vkeys[dir][i];

			if (np__cidr_has_ip(&k->cidr, ip) &&
			    (!best || k->cidr.len > best->cidr.len))
				best = k;
		}
	} else if (co->isolated[dir]) {
		best = lpm(rs, dir, ip);
	}
	/* contributors are sorted by provenance: skip repeats */
	for (i = 0; best && i < best->ncontrib; i++) {
		const struct np_rs_contrib *c = &best->contrib[i];

		if (c->prov == last || np__pset_find(c->ports, proto, port) < 0)
			continue;
		last = c->prov;
		if (n < max)
			out[n] = &co->prov[c->prov];
		n++;
	}
	return n;
}

bool np__proto_ok(int proto)
{
	return proto == NP_PROTOCOL_TCP || proto == NP_PROTOCOL_UDP ||
	       proto == NP_PROTOCOL_SCTP;
}

int np_ruleset_verdict(const struct np_ruleset *rs, enum np_direction dir,
		       const char *peer, enum np_protocol proto, uint16_t port,
		       struct np_verdict *out)
{
	struct np_ip ip;

	if (!rs || !peer || !out ||
	    (dir != NP_DIRECTION_INGRESS && dir != NP_DIRECTION_EGRESS) ||
	    !np__proto_ok(proto) || np__ip_parse(peer, &ip))
		return -EINVAL;
	return np__ruleset_verdict_ip(rs, dir, &ip, (uint8_t)proto, port, out);
}

/* --- output ------------------------------------------------------------- */

#define TRY(x)                      \
	do {                        \
		if (x)              \
			goto nomem; \
	} while (0)

static struct np_node *pset_node(struct np_arena *a, const struct np_pset *s)
{
	struct np_node *seq, *e;
	size_t i;

	if (s->all)
		return np__node_str(a, "all");
	seq = np__node_new(a, NP_N_SEQ);
	for (i = 0; seq && i < s->n; i++) {
		e = np__node_new(a, NP_N_MAP);
		if (!e || np__seq_push(a, seq, e) ||
		    np__map_put(a, e, "protocol",
				np__node_str(a, np__proto_name(s->r[i].proto))))
			return NULL;
		if (s->r[i].xproto &&
		    (np__map_put(
			     a, e, "endProtocol",
			     np__node_str(a,
					  np__proto_name((
						  uint8_t)(s->r[i].proto +
							   s->r[i].xproto)))) ||
		     np__map_put(a, e, "port", np__node_int(a, s->r[i].lo)) ||
		     np__map_put(a, e, "endPort", np__node_int(a, s->r[i].hi))))
			return NULL;
		if (s->r[i].xproto || (s->r[i].lo == 0 && s->r[i].hi == 65535))
			continue;
		if (np__map_put(a, e, "port", np__node_int(a, s->r[i].lo)))
			return NULL;
		if (s->r[i].hi != s->r[i].lo &&
		    np__map_put(a, e, "endPort", np__node_int(a, s->r[i].hi)))
			return NULL;
	}
	return seq;
}

static void ruleset_text(const struct np_ruleset *rs, struct np_strbuf *sb)
{
	char buf[64];
	size_t i;
	int d;

	np__sb_puts(sb, "pod ");
	np__sb_puts_text(sb, rs->ns);
	np__sb_putc(sb, '/');
	np__sb_puts_text(sb, rs->name);
	for (i = 0; i < rs->nips; i++) {
		struct np_ip ip = rs->ips[i];

		np__ip_format(&ip, buf, sizeof(buf));
		np__sb_printf(sb, "%s%s", i ? ", " : " (", buf);
	}
	np__sb_printf(sb, "%s ruleset %016llx\n", rs->nips ? ")" : "",
		      (unsigned long long)rs->core->hash);
	for (d = 0; d < 2; d++) {
		np__sb_printf(sb, "%s: %s\n", np_direction_name(d),
			      rs->core->isolated[d] ?
				      "isolated" :
				      "not isolated (all allowed)");
		for (i = 0; rs->core->isolated[d] && i < rs->core->nkeys[d];
		     i++) {
			const struct np_rs_key *k = &rs->core->keys[d][i];

			np__cidr_format(&k->cidr, buf, sizeof(buf));
			np__sb_printf(sb, "  %-22s ", buf);
			np__pset_text(sb, k->ports, NP_PSET_TEXT_RULES);
			np__sb_puts(sb, "  [");
			np__key_policies(rs->core, d, k, 0, -1, true, sb);
			np__sb_puts(sb, "]\n");
		}
	}
}

int np_ruleset_export(const struct np_ruleset *rs, enum np_format fmt,
		      char **out)
{
	struct np_arena a = { 0 };
	struct np_strbuf sb = { 0 };
	struct np_node *root, *ips, *dn, *keys, *k;
	char buf[64];
	size_t i;
	int d, err = -ENOMEM;

	if (!rs || !out ||
	    (fmt != NP_FORMAT_YAML && fmt != NP_FORMAT_JSON &&
	     fmt != NP_FORMAT_TEXT))
		return -EINVAL;
	if (fmt == NP_FORMAT_TEXT) {
		ruleset_text(rs, &sb);
		return np__sb_finish(&sb, out);
	}
	root = np__node_new(&a, NP_N_MAP);
	ips = np__node_new(&a, NP_N_SEQ);
	if (!root || !ips)
		goto nomem;
	TRY(np__map_put(&a, root, "namespace", np__node_str(&a, rs->ns)));
	TRY(np__map_put(&a, root, "name", np__node_str(&a, rs->name)));
	TRY(np__map_put(&a, root, "podIPs", ips));
	for (i = 0; i < rs->nips; i++) {
		struct np_ip ip = rs->ips[i];

		np__ip_format(&ip, buf, sizeof(buf));
		TRY(np__seq_push(&a, ips, np__node_str(&a, buf)));
	}
	if (rs->node_ip.family) {
		struct np_ip ip = rs->node_ip;

		np__ip_format(&ip, buf, sizeof(buf));
		TRY(np__map_put(&a, root, "nodeIP", np__node_str(&a, buf)));
	}
	snprintf(buf, sizeof(buf), "%016llx",
		 (unsigned long long)rs->core->hash);
	TRY(np__map_put(&a, root, "hash", np__node_str(&a, buf)));
	for (d = 0; d < 2; d++) {
		dn = np__node_new(&a, NP_N_MAP);
		keys = np__node_new(&a, NP_N_SEQ);
		if (!dn || !keys)
			goto nomem;
		TRY(np__map_put(&a, root, np_direction_name(d), dn));
		TRY(np__map_put(&a, dn, "isolated",
				np__node_bool(&a, rs->core->isolated[d])));
		if (!rs->core->isolated[d])
			continue;
		TRY(np__map_put(&a, dn, "keys", keys));
		for (i = 0; i < rs->core->nkeys[d]; i++) {
			const struct np_rs_key *key = &rs->core->keys[d][i];

			k = np__node_new(&a, NP_N_MAP);
			if (!k)
				goto nomem;
			TRY(np__seq_push(&a, keys, k));
			np__cidr_format(&key->cidr, buf, sizeof(buf));
			TRY(np__map_put(&a, k, "cidr", np__node_str(&a, buf)));
			TRY(np__map_put(&a, k, "ports",
					pset_node(&a, key->ports)));
			np__key_policies(rs->core, d, key, 0, -1, true, &sb);
			if (sb.err)
				goto nomem;
			TRY(np__map_put(&a, k, "from",
					np__node_str(&a,
						     sb.buf ? sb.buf : "")));
			np__sb_release(&sb);
		}
	}
	err = np__emit_string(root, fmt, out);
	np__arena_release(&a);
	return err;
nomem:
	np__sb_release(&sb);
	np__arena_release(&a);
	return -ENOMEM;
}
