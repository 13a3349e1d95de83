// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Map sets. Encoding: a rule set's keys become LPM entries pointing at
 * distinct port sets (DESIGN §4), in a deterministic order: entries sorted
 * by address and length; port sets numbered in order of first use
 * (ingress v4, v6, then egress v4, v6). The same keys can also be written
 * in the EKS agent's layout for comparison with its maps. Export and diff
 * as text. And the datapath's pure maths over map sets (mapset.h): port
 * sets normalized, hashed and printed, digests, equality, prefix flags.
 * The keys as the loader writes them (lengths merged, pieces) are in
 * mapset_plh.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include "netpol/mapset.h"
#include "mapset.h"
#include "opts.h"
#include "ruleset_internal.h"

/* -E2BIG past the slots (compiling refuses that first: never truncate). */
static int portset_from(const struct np_pset *s, struct np_portset *ps)
{
	size_t i;

	memset(ps, 0, sizeof(*ps));
	if (s->all) {
		ps->flags = NP_PS_ALL;
		return 0;
	}
	if (s->n > NP_MAX_SLOTS)
		return -E2BIG;
	ps->count = (uint8_t)s->n;
	for (i = 0; i < s->n && i < NP_MAX_SLOTS; i++) {
		ps->slots[i].lo = (uint32_t)s->r[i].proto << 16 | s->r[i].lo;
		ps->slots[i].hi = (uint32_t)(s->r[i].proto + s->r[i].xproto)
					  << 16 |
				  s->r[i].hi;
	}
	return 0;
}

int np_mapset_encode(struct np_mapset **out, const struct np_ruleset *rs)
{
	struct np_mapset *ms;
	size_t cap = 0, i, j, fi;
	uint64_t h;
	int d;

	if (!out || !rs)
		return -EINVAL;
	ms = calloc(1, sizeof(*ms));
	if (!ms)
		return -ENOMEM;
	const struct np_rs_core *co = rs->core;

	h = co->hash;
	for (d = 0; d < 2; d++) {
		ms->isolated[d] = co->isolated[d];
		for (fi = 0; fi < 2; fi++) {
			uint8_t fam = fi ? 6 : 4;
			size_t n = 0;

			for (i = 0; i < co->nkeys[d]; i++)
				n += co->keys[d][i].cidr.family == fam;
			ms->ent[fi][d] =
				calloc(n + 1, sizeof(struct np_map_entry));
			if (!ms->ent[fi][d])
				goto nomem;
			for (i = 0; co->isolated[d] && i < co->nkeys[d]; i++) {
				const struct np_rs_key *k = &co->keys[d][i];
				struct np_portset ps;

				if (k->cidr.family != fam)
					continue;
				if (portset_from(k->ports, &ps)) {
					np_mapset_free(ms);
					return -E2BIG;
				}
				for (j = 0; j < ms->nportsets; j++)
					if (!memcmp(&ms->portsets[j], &ps,
						    sizeof(ps)))
						break;
				if (j == ms->nportsets) {
					if (NP_GROW(ms->portsets, cap,
						    ms->nportsets + 1))
						goto nomem;
					ms->portsets[ms->nportsets++] = ps;
				}
				ms->ent[fi][d][ms->nent[fi][d]].cidr = k->cidr;
				ms->ent[fi][d][ms->nent[fi][d]++].portset =
					(uint32_t)j;
			}
		}
	}
	ms->hash = h;
	for (i = 0; i < co->nprov; i++)
		if (co->prov[i].tier == NP_TIER_ADMIN ||
		    co->prov[i].tier == NP_TIER_BASELINE ||
		    co->prov[i].tier == NP_TIER_DEFAULT)
			ms->tiered = true;
	*out = ms;
	return 0;
nomem:
	np_mapset_free(ms);
	return -ENOMEM;
}

void np_mapset_free(struct np_mapset *ms)
{
	int f, d;

	if (!ms)
		return;
	for (f = 0; f < 2; f++)
		for (d = 0; d < 2; d++)
			free(ms->ent[f][d]);
	free(ms->portsets);
	free(ms);
}

static int fam_index(int family)
{
	return family == 4 ? 0 : family == 6 ? 1 : -1;
}

size_t np_mapset_count(const struct np_mapset *ms, int family,
		       enum np_direction dir)
{
	int f = fam_index(family);

	if (!ms || f < 0 || (unsigned)dir > 1)
		return 0;
	return ms->nent[f][dir];
}

/* --- the EKS agent's layouts -------------------------------------------- */

/*
 * The agent's slots name one protocol (TCP, UDP, SCTP) or any, so a port
 * set is said one of four ways: everything (ALL), nothing (HOLE), allowed
 * ranges of the three protocols and nothing else (FINITE), or everything
 * but denied ranges of the three (COMPLEMENT, what a folded "allow by
 * default with exceptions" is). Protocols other than the three (ICMP, ...)
 * must then be all allowed or all denied; protocol 0 never matches.
 */
enum eks_class {
	EKS_ALL,
	EKS_HOLE,
	EKS_FINITE,
	EKS_COMPLEMENT,
};

struct eks_range {
	uint8_t proto;
	uint16_t lo, hi;
};

struct eks_split {
	enum eks_class cls;
	/* FINITE: the allowed ranges; COMPLEMENT: the denied ones */
	struct eks_range r[3 * (NP_MAX_SLOTS + 1)];
	size_t n;
};

static const uint8_t eks_protos[] = { NP_PROTO_TCP, NP_PROTO_UDP,
				      NP_PROTO_SCTP };

static bool eks_known(uint32_t p)
{
	return p == NP_PROTO_TCP || p == NP_PROTO_UDP || p == NP_PROTO_SCTP;
}

/* How much of protocol p the set allows: 0 none, 2 all, 1 some. */
static int eks_cover(const struct np_portset *ps, uint32_t p)
{
	uint32_t lo = p << 16, hi = p << 16 | 0xffff;
	unsigned int i;

	for (i = 0; i < ps->count; i++) {
		if (ps->slots[i].hi < lo || ps->slots[i].lo > hi)
			continue;
		return ps->slots[i].lo <= lo && ps->slots[i].hi >= hi ? 2 : 1;
	}
	return 0;
}

static int eks_split(const struct np_portset *ps, struct eks_split *sp)
{
	bool simple = true, others;
	unsigned int i, k;
	uint32_t p;
	int c0 = -1;

	memset(sp, 0, sizeof(*sp));
	if (ps->flags & NP_PS_ALL) {
		sp->cls = EKS_ALL;
		return 0;
	}
	if (!ps->count) {
		sp->cls = EKS_HOLE;
		return 0;
	}
	for (i = 0; i < ps->count; i++)
		if (ps->slots[i].lo >> 16 != ps->slots[i].hi >> 16 ||
		    !eks_known(ps->slots[i].lo >> 16))
			simple = false;
	/* the other protocols: all allowed or all denied */
	for (p = 1; !simple && p < 256; p++) {
		int c;

		if (eks_known(p))
			continue;
		c = eks_cover(ps, p);
		if (c == 1 || (c0 >= 0 && c != c0))
			return -ENOTSUP;
		c0 = c;
	}
	others = c0 == 2;
	sp->cls = others ? EKS_COMPLEMENT : EKS_FINITE;
	for (k = 0; k < 3; k++) {
		uint32_t base = (uint32_t)eks_protos[k] << 16, next = 0;

		/* the allowed ranges of this protocol, in order */
		for (i = 0; i < ps->count; i++) {
			uint32_t lo = ps->slots[i].lo, hi = ps->slots[i].hi;

			if (hi < base || lo > (base | 0xffff))
				continue;
			lo = lo < base ? 0 : lo & 0xffff;
			hi = hi > (base | 0xffff) ? 0xffff : hi & 0xffff;
			if (!others) {
				sp->r[sp->n++] =
					(struct eks_range){ eks_protos[k],
							    (uint16_t)lo,
							    (uint16_t)hi };
				continue;
			}
			if (lo > next)
				sp->r[sp->n++] = (struct eks_range){
					eks_protos[k], (uint16_t)next,
					(uint16_t)(lo - 1)
				};
			next = hi + 1;
		}
		if (others && next <= 0xffff)
			sp->r[sp->n++] = (struct eks_range){ eks_protos[k],
							     (uint16_t)next,
							     0xffff };
	}
	if (!sp->n)
		sp->cls = others ? EKS_ALL : EKS_HOLE;
	return 0;
}

/*
 * A range as the agent's start and end: start 0 is any port, end 0 a
 * single port. Port 0 cannot be named: a range from 0 starts at 1 (no
 * flow has destination port 0), port 0 alone is -ENOTSUP.
 */
static int eks_ports(const struct eks_range *r, uint32_t *start, uint32_t *end)
{
	uint32_t lo = r->lo;

	*start = *end = 0;
	if (!r->lo && r->hi == 0xffff)
		return 0;
	if (!lo) {
		if (!r->hi)
			return -ENOTSUP;
		lo = 1;
	}
	*start = lo;
	*end = r->hi > lo ? r->hi : 0;
	return 0;
}

/* ingress_map / egress_map: what is allowed; COMPLEMENT is the cp map's. */
static int eks_value(const struct eks_split *sp, struct np_eks_value *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	switch (sp->cls) {
	case EKS_ALL:
		v->slots[0].protocol = NP_EKS_PROTO_ANY;
		return 0;
	case EKS_HOLE:
	case EKS_COMPLEMENT:
		v->slots[0].protocol = NP_EKS_PROTO_DENY;
		return 0;
	default:
		break;
	}
	if (sp->n > NP_MAX_SLOTS)
		return -E2BIG;
	for (i = 0; i < sp->n; i++) {
		v->slots[i].protocol = sp->r[i].proto;
		if (eks_ports(&sp->r[i], &v->slots[i].start_port,
			      &v->slots[i].end_port))
			return -ENOTSUP;
	}
	return 0;
}

static void cp_slot(struct np_eks_cp_slot *s, uint32_t proto, unsigned rank,
		    unsigned action)
{
	s->protocol = proto;
	s->priority = rank * 10 + action;
}

/*
 * cp_ingress_map / cp_egress_map: the whole decision at Admin ranks 0 and
 * 1, so the agent's least (rank, action) among matching slots is ours:
 * ALL an Accept of any, HOLE a Deny of any, COMPLEMENT the denied ranges
 * at rank 0 over an Accept of any at rank 1, FINITE the allowed ranges at
 * rank 0 over a Deny of any at rank 1, or, when that needs more than the
 * 24 slots, no slot: the agent goes on to the same key of the
 * ingress_map / egress_map, which holds the allowed ranges.
 */
static int eks_cp_value(const struct eks_split *sp, struct np_eks_cp_value *v)
{
	unsigned act = sp->cls == EKS_COMPLEMENT ? NP_EKS_CP_DENY :
						   NP_EKS_CP_ACCEPT;
	size_t i;

	memset(v, 0, sizeof(*v));
	switch (sp->cls) {
	case EKS_ALL:
		cp_slot(&v->slots[0], NP_EKS_PROTO_ANY, 0, NP_EKS_CP_ACCEPT);
		return 0;
	case EKS_HOLE:
		cp_slot(&v->slots[0], NP_EKS_PROTO_ANY, 0, NP_EKS_CP_DENY);
		return 0;
	case EKS_FINITE:
		if (sp->n + 1 > NP_MAX_SLOTS)
			return 0;
		break;
	default:
		if (sp->n + 1 > NP_MAX_SLOTS)
			return -E2BIG;
		break;
	}
	for (i = 0; i < sp->n; i++) {
		cp_slot(&v->slots[i], sp->r[i].proto, 0, act);
		if (eks_ports(&sp->r[i], &v->slots[i].start_port,
			      &v->slots[i].end_port))
			return -ENOTSUP;
	}
	cp_slot(&v->slots[i], NP_EKS_PROTO_ANY, 1,
		act == NP_EKS_CP_DENY ? NP_EKS_CP_ACCEPT : NP_EKS_CP_DENY);
	return 0;
}

static int eks_lpm(const struct np_mapset *ms, int f, int dir, bool cp,
		   struct np_mapset_lpm_data *out)
{
	const struct np_map_entry *ent = ms->ent[f][dir];
	size_t n = ms->nent[f][dir], alen = f ? 16 : 4, ks = 4 + alen, vs, i;
	size_t m = 0;
	bool zero = false;
	uint8_t *k, *v;
	int err = 0;

	/*
	 * The cp map of a rule set with tiers has a key for every address:
	 * a /0 where the rule set has none (a miss denies when isolated; a
	 * direction that is not isolated is one /0 allowing everything), so
	 * the agent's pod state never decides.
	 */
	if (cp && ms->tiered)
		zero = !ms->isolated[dir] || !n || ent[0].cidr.len;
	if (cp && !ms->tiered)
		n = 0;
	if (cp && !ms->isolated[dir])
		n = 0;
	vs = cp ? sizeof(struct np_eks_cp_value) : sizeof(struct np_eks_value);
	k = calloc(n + 2, ks);
	v = calloc(n + 2, vs);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	if (zero) {
		struct eks_split sp = { .cls = ms->isolated[dir] ? EKS_HOLE :
								   EKS_ALL };
		struct np_eks_cp_value cv;

		eks_cp_value(&sp, &cv);
		memcpy(v, &cv, sizeof(cv));
		m++;
	}
	for (i = 0; !err && i < n; i++, m++) {
		const struct np_map_entry *e = &ent[i];
		uint32_t plen = e->cidr.len;
		struct eks_split sp;

		memcpy(k + m * ks, &plen, 4);
		memcpy(k + m * ks + 4, e->cidr.addr, alen);
		err = eks_split(&ms->portsets[e->portset], &sp);
		if (!err && cp) {
			struct np_eks_cp_value cv;

			err = eks_cp_value(&sp, &cv);
			memcpy(v + m * vs, &cv, sizeof(cv));
		} else if (!err) {
			struct np_eks_value ev;

			/* without tiers a set is never a complement */
			if (sp.cls == EKS_COMPLEMENT && !ms->tiered)
				err = -ENOTSUP;
			if (!err)
				err = eks_value(&sp, &ev);
			memcpy(v + m * vs, &ev, sizeof(ev));
		}
	}
	if (err) {
		free(k);
		free(v);
		return err;
	}
	memset(out, 0, sizeof(*out));
	out->keys = k;
	out->values = v;
	out->key_size = ks;
	out->value_size = vs;
	out->count = m;
	return 0;
}

int np_mapset_lpm(const struct np_mapset *ms, int family, enum np_direction dir,
		  const struct np_mapset_lpm_opts *opts,
		  struct np_mapset_lpm_data *out)
{
	enum np_layout layout = NP_OPTS_GET(opts, layout, NP_LAYOUT_NETPOL);
	uint32_t ruleset_id = NP_OPTS_GET(opts, ruleset_id, 0);
	int f = fam_index(family);
	size_t n, i, ks, vs, alen;
	uint8_t *k, *v;

	if (!ms || f < 0 || (unsigned)dir > 1 || !out ||
	    !NP_OPTS_VALID(opts, np_mapset_lpm_opts) ||
	    (layout != NP_LAYOUT_NETPOL && layout != NP_LAYOUT_EKS &&
	     layout != NP_LAYOUT_EKS_CP))
		return -EINVAL;
	if (layout != NP_LAYOUT_NETPOL)
		return eks_lpm(ms, f, dir, layout == NP_LAYOUT_EKS_CP, out);
	n = ms->nent[f][dir];
	alen = f ? 16 : 4;
	ks = f ? sizeof(struct np_lpm_key_v6) : sizeof(struct np_lpm_key_v4);
	vs = sizeof(struct np_lpm_value);
	k = calloc(n + 1, ks);
	v = calloc(n + 1, vs);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct np_map_entry *e = &ms->ent[f][dir][i];
		uint8_t *kp = k + i * ks;
		uint32_t id = htonl(ruleset_id), plen;
		struct np_lpm_value lv = { .portset = e->portset };

		plen = NP_RULESET_BITS + e->cidr.len;
		memcpy(kp, &plen, 4);
		memcpy(kp + 4, &id, 4);
		memcpy(kp + 8, e->cidr.addr, alen);
		memcpy(v + i * vs, &lv, sizeof(lv));
	}
	memset(out, 0, sizeof(*out));
	out->keys = k;
	out->values = v;
	out->key_size = ks;
	out->value_size = vs;
	out->count = n;
	return 0;
}

int np_mapset_portsets(const struct np_mapset *ms, void **sets,
		       size_t *set_size, size_t *count)
{
	struct np_portset *p;

	if (!ms || !sets || !set_size || !count)
		return -EINVAL;
	p = calloc(ms->nportsets + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (ms->nportsets)
		memcpy(p, ms->portsets, ms->nportsets * sizeof(*p));
	*sets = p;
	*set_size = sizeof(*p);
	*count = ms->nportsets;
	return 0;
}

void np__portset_text(struct np_strbuf *sb, const struct np_portset *ps,
		      enum np_pset_style style)
{
	struct np_prange r[NP_MAX_SLOTS];
	struct np_pset s = { .all = ps->flags & NP_PS_ALL, .r = r };

	for (; s.n < ps->count && s.n < NP_MAX_SLOTS; s.n++) {
		r[s.n].proto = (uint8_t)(ps->slots[s.n].lo >> 16);
		r[s.n].xproto = (uint8_t)((ps->slots[s.n].hi >> 16) -
					  (ps->slots[s.n].lo >> 16));
		r[s.n].lo = ps->slots[s.n].lo & 0xffff;
		r[s.n].hi = ps->slots[s.n].hi & 0xffff;
	}
	np__pset_text(sb, &s, style);
}

int np_mapset_export(const struct np_mapset *ms, enum np_format fmt, char **out)
{
	struct np_strbuf sb = { 0 };
	struct np_arena a = { 0 };
	struct np_node *root, *dn, *fn, *e, *sl;
	char buf[64];
	size_t i, j;
	int d, f, err;

	if (!ms || !out)
		return -EINVAL;
	if (fmt == NP_FORMAT_TEXT) {
		for (d = 0; d < 2; d++) {
			np__sb_printf(&sb, "%s%s\n", np_direction_name(d),
				      ms->isolated[d] ? "" : " (not isolated)");
			for (f = 0; f < 2; f++)
				for (i = 0; i < ms->nent[f][d]; i++) {
					const struct np_map_entry *me =
						&ms->ent[f][d][i];

					np__cidr_format(&me->cidr, buf,
							sizeof(buf));
					np__sb_printf(
						&sb,
						"  Key : %s  Value :", buf);
					np__portset_text(
						&sb, &ms->portsets[me->portset],
						NP_PSET_TEXT_MAP);
					np__sb_putc(&sb, '\n');
				}
		}
		return np__sb_finish(&sb, out);
	}
	if (fmt != NP_FORMAT_JSON && fmt != NP_FORMAT_YAML)
		return -EINVAL;
	err = -ENOMEM;
	root = np__node_new(&a, NP_N_MAP);
	if (!root)
		goto out;
	snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)ms->hash);
	if (np__map_put(&a, root, "hash", np__node_str(&a, buf)))
		goto out;
	for (d = 0; d < 2; d++) {
		dn = np__node_new(&a, NP_N_MAP);
		if (!dn || np__map_put(&a, root, np_direction_name(d), dn) ||
		    np__map_put(&a, dn, "isolated",
				np__node_bool(&a, ms->isolated[d])))
			goto out;
		for (f = 0; f < 2; f++) {
			fn = np__node_new(&a, NP_N_SEQ);
			if (!fn || np__map_put(&a, dn, f ? "ipv6" : "ipv4", fn))
				goto out;
			for (i = 0; i < ms->nent[f][d]; i++) {
				const struct np_map_entry *me =
					&ms->ent[f][d][i];
				const struct np_portset *ps =
					&ms->portsets[me->portset];

				e = np__node_new(&a, NP_N_MAP);
				sl = np__node_new(&a, NP_N_SEQ);
				np__cidr_format(&me->cidr, buf, sizeof(buf));
				if (!e || !sl || np__seq_push(&a, fn, e) ||
				    np__map_put(&a, e, "prefix",
						np__node_str(&a, buf)) ||
				    np__map_put(&a, e, "portset",
						np__node_int(&a,
							     me->portset)) ||
				    np__map_put(
					    &a, e, "all",
					    np__node_bool(&a,
							  ps->flags &
								  NP_PS_ALL)) ||
				    np__map_put(&a, e, "slots", sl))
					goto out;
				for (j = 0; j < ps->count; j++) {
					struct np_node *s =
						np__node_new(&a, NP_N_MAP);

					if (!s || np__seq_push(&a, sl, s) ||
					    np__map_put(
						    &a, s, "protocol",
						    np__node_str(
							    &a,
							    np__proto_name((
								    uint8_t)(ps->slots[j]
										     .lo >>
									     16)))) ||
					    np__map_put(
						    &a, s, "first",
						    np__node_int(
							    &a,
							    ps->slots[j].lo &
								    0xffff)) ||
					    np__map_put(
						    &a, s, "last",
						    np__node_int(
							    &a,
							    ps->slots[j].hi &
								    0xffff)))
						goto out;
				}
			}
		}
	}
	err = np__emit_string(root, fmt, out);
out:
	np__arena_release(&a);
	return err;
}

static int key_cmp(const struct np_map_entry *x, const struct np_map_entry *y)
{
	int r = memcmp(x->cidr.addr, y->cidr.addr, 16);

	if (r)
		return r;
	return x->cidr.len < y->cidr.len ? -1 : x->cidr.len > y->cidr.len;
}

int np_mapset_diff(const struct np_mapset *from, const struct np_mapset *to,
		   struct np_mapset_diff_stats *st, char **text)
{
	struct np_strbuf sb = { 0 };
	char buf[64];
	int d, f;

	if (!from || !to || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	for (d = 0; d < 2; d++)
		for (f = 0; f < 2; f++) {
			const struct np_map_entry *a = from->ent[f][d];
			const struct np_map_entry *b = to->ent[f][d];
			size_t na = from->nent[f][d], nb = to->nent[f][d];
			size_t i = 0, j = 0;

			/* both sorted by address, length: merge */
			while (i < na || j < nb) {
				int r = i == na ? 1 :
					j == nb ? -1 :
						  key_cmp(&a[i], &b[j]);

				if (r < 0) {
					st->removed++;
					np__cidr_format(&a[i].cidr, buf,
							sizeof(buf));
					np__sb_printf(&sb, "- %s %s\n",
						      np_direction_name(d),
						      buf);
					i++;
				} else if (r > 0) {
					st->added++;
					np__cidr_format(&b[j].cidr, buf,
							sizeof(buf));
					np__sb_printf(&sb, "+ %s %s\n",
						      np_direction_name(d),
						      buf);
					j++;
				} else {
					if (memcmp(&from->portsets[a[i].portset],
						   &to->portsets[b[j].portset],
						   sizeof(struct np_portset))) {
						st->changed++;
						np__cidr_format(&a[i].cidr, buf,
								sizeof(buf));
						np__sb_printf(
							&sb, "~ %s %s\n",
							np_direction_name(d),
							buf);
					}
					i++;
					j++;
				}
			}
		}
	if (text)
		return np__sb_finish(&sb, text);
	np__sb_release(&sb);
	return sb.err;
}

/* --- the datapath's map-set maths ---------------------------------------- */

void np__portset_normalize(struct np_portset *out, const struct np_portset *in)
{
	unsigned int n = in->count > NP_MAX_SLOTS ? NP_MAX_SLOTS : in->count;

	memset(out, 0, sizeof(*out));
	out->count = n;
	out->flags = in->flags;
	memcpy(out->slots, in->slots, n * sizeof(in->slots[0]));
}

uint64_t np__portset_hash(const struct np_portset *set)
{
	return np__hash_bytes(set, sizeof(*set), 0x9e3779b97f4a7c15ull);
}

/* Whether c has no address bit set past its length. */
static bool cidr_masked(const struct np_cidr *c)
{
	unsigned int i, bits = c->family == 6 ? 128 : 32;

	for (i = c->len; i < bits; i++)
		if (c->addr[i / 8] & (0x80u >> (i % 8)))
			return false;
	return true;
}

int np__mapset_check(const struct np_mapset *ms)
{
	int fam, d;
	size_t i;

	if (ms->nportsets > NP_MAX_PORTSETS || (ms->nportsets && !ms->portsets))
		return -EINVAL;
	for (i = 0; i < ms->nportsets; i++) {
		const struct np_portset *ps = &ms->portsets[i];
		unsigned int j;

		if (ps->count > NP_MAX_SLOTS)
			return -EINVAL;
		/* sorted and disjoint: the program searches them binarily */
		for (j = 0; j < ps->count; j++)
			if (ps->slots[j].lo > ps->slots[j].hi ||
			    (j && ps->slots[j].lo <= ps->slots[j - 1].hi))
				return -EINVAL;
	}
	for (fam = 0; fam < 2; fam++) {
		for (d = 0; d < 2; d++) {
			const struct np_map_entry *e = ms->ent[fam][d];

			if (ms->nent[fam][d] && !e)
				return -EINVAL;
			for (i = 0; i < ms->nent[fam][d]; i++)
				if (e[i].cidr.family != (fam ? 6 : 4) ||
				    e[i].cidr.len > (fam ? 128 : 32) ||
				    e[i].portset >= ms->nportsets ||
				    !cidr_masked(&e[i].cidr))
					return -EINVAL;
		}
	}
	return 0;
}

uint64_t np__mapset_digest(const struct np_mapset *ms, int d)
{
	uint64_t h = 0x6e70646972ull; /* "npdir" */
	/* each port set hashed once: a map set has few, its entries many */
	uint64_t *psh = calloc(ms->nportsets + 1, sizeof(*psh));
	struct np_portset set;
	int fam;
	size_t i;

	for (fam = 0; fam < 2; fam++) {
		uint64_t n = ms->nent[fam][d];

		h = np__hash_bytes(&n, sizeof(n), h);
		for (i = 0; i < n; i++) {
			const struct np_map_entry *e = &ms->ent[fam][d][i];
			uint64_t ph;

			h = np__hash_bytes(&e->cidr.len, 1, h);
			h = np__hash_bytes(e->cidr.addr, fam ? 16 : 4, h);
			if (psh && psh[e->portset]) {
				ph = psh[e->portset];
			} else {
				np__portset_normalize(
					&set, &ms->portsets[e->portset]);
				/* never 0: "not yet" */
				ph = np__portset_hash(&set) | 1;
				if (psh)
					psh[e->portset] = ph;
			}
			h = np__hash_bytes(&ph, sizeof(ph), h);
		}
	}
	free(psh);
	return h;
}

uint8_t np__mapset_lpm_flags(const struct np_mapset *ms, int d)
{
	static const uint8_t lpm[2] = { NP_EPL_V4, NP_EPL_V6 };
	static const uint8_t nohost[2] = { NP_EPL_NOHOST_V4, NP_EPL_NOHOST_V6 };
	uint8_t f = NP_EPL_NOHOST_V4 | NP_EPL_NOHOST_V6;
	size_t i;
	int fam;

	/* prefix keys: look past the host hash; no host key: skip it */
	for (fam = 0; fam < 2; fam++)
		for (i = 0; i < ms->nent[fam][d]; i++)
			f = ms->ent[fam][d][i].cidr.len < (fam ? 128 : 32) ?
				    f | lpm[fam] :
				    f & (uint8_t)~nohost[fam];
	return f;
}

bool np__mapset_dir_equal(const struct np_mapset *ms, int d,
			  const struct np_rule_keys *rk)
{
	uint32_t last_ps = UINT32_MAX, last_g = 0;
	struct np_portset set;
	bool eq = true;
	size_t fam;

	for (fam = 0; fam < 2 && eq; fam++) {
		size_t nk = fam ? rk->n6 : rk->n4, n, i;
		struct np_kkey *k;

		/* out of memory: not known equal, so not shared */
		if (np__mapset_kkeys(ms, d, (int)fam, &k, &n))
			return false;
		eq = n == nk;
		for (i = 0; eq && i < n; i++) {
			const struct np_map_entry *e =
				&ms->ent[fam][d][k[i].ent];
			uint32_t plen = NP_RULESET_BITS + k[i].len, g;

			if (fam ? rk->k6[i].prefixlen != plen ||
					    memcmp(rk->k6[i].addr, k[i].addr,
						   16) :
				  rk->k4[i].prefixlen != plen ||
					    memcmp(rk->k4[i].addr, k[i].addr,
						   4)) {
				eq = false;
				break;
			}
			g = fam ? rk->g6[i] : rk->g4[i];
			if (!g || g >= NP_MAX_PORTSETS) {
				eq = false;
				break;
			}
			if (e->portset == last_ps && g == last_g)
				continue; /* the pair compared equal already */
			np__portset_normalize(&set, &ms->portsets[e->portset]);
			if (memcmp(rk->set(rk->ctx, g), &set, sizeof(set)))
				eq = false;
			last_ps = e->portset;
			last_g = g;
		}
		free(k);
	}
	return eq;
}
