// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Normalization, the agent's job: the PolicyEndpoints that select a pod
 * become its rule set, one canonical list of LPM keys per direction.
 *
 * A direction is isolated when any PolicyEndpoint lists it in podIsolation
 * or has rules for it. The pod's node address is always allowed (an entry
 * of its own, provenance "node").
 *
 * ipBlock except, exactly: the keys are the laminar family of every rule
 * CIDR and every except CIDR. A key's ports are the union of the ports of
 * every rule whose CIDR contains the key and none of whose excepts does;
 * with longest-prefix match that is exactly "in the cidr and not in an
 * except of that rule, for some rule". A key is kept only where it differs
 * from the key an address would fall back to; a key whose union is empty
 * under a key that allows something is a hole (it denies), the only
 * deny-like key there is. More than NP_MAX_SLOTS merged ranges under one
 * key is -E2BIG, never a truncation.
 *
 * This file builds that core from the PolicyEndpoints (their provenance,
 * their entries, the keys checked against the slots and hashed), writes
 * provenance as text, and releases a core. ruleset_cache.c caches cores,
 * ruleset.c compiles a pod's rule set over one and reads it; closure.c has
 * the port sets and the closure itself.
 */
#include <stdio.h>
#include <stdlib.h>

/* NP_MAX_SLOTS: the datapath's port slots per key, a limit of the format */
#include "../bpf/netpol_abi.h"
#include "ruleset_internal.h"

/* --- building a rule set ------------------------------------------------ */

/*
 * "ns/name ingress[0]": with esc, the names escaped (np_escape(), TEXT),
 * as a PolicyEndpoint's policyRef may carry any bytes and every reader of
 * this text (exports, verdicts, flow events) prints it; without, as they
 * are, for a diagnostic's message (its caller escapes the whole).
 */
void np__prov_format(const struct np_rs_core *co, uint32_t p, int dir, bool esc,
		     struct np_strbuf *sb)
{
	const struct np_prov *pv = &co->prov[p];

	if (pv->tier == NP_TIER_DEFAULT) {
		np__sb_puts(sb, "default (no tier decided)");
		return;
	}
	if (pv->tier == NP_TIER_ADMIN || pv->tier == NP_TIER_BASELINE) {
		np__sb_puts(sb, "cnp/");
		if (esc)
			np__sb_puts_text(sb, pv->pol_name);
		else
			np__sb_puts(sb, pv->pol_name);
		np__sb_printf(sb, " %s[%d] (%s)", np_direction_name(dir),
			      pv->rule,
			      pv->tier == NP_TIER_ADMIN ? "Admin" : "Baseline");
		return;
	}
	if (esc) {
		np__sb_puts_text(sb, pv->pol_ns);
		np__sb_putc(sb, '/');
		np__sb_puts_text(sb, pv->pol_name);
	} else {
		np__sb_printf(sb, "%s/%s", pv->pol_ns, pv->pol_name);
	}
	if (pv->rule == -2)
		np__sb_printf(sb, " %s (Service)", np_direction_name(dir));
	else if (pv->rule < 0)
		np__sb_printf(sb, " %s", np_direction_name(dir));
	else
		np__sb_printf(sb, " %s[%d]", np_direction_name(dir), pv->rule);
}

/* Distinct policies behind a key, "ns/a ingress[0], ns/b ingress[1]". */
void np__key_policies(const struct np_rs_core *co, int dir,
		      const struct np_rs_key *k, uint8_t proto, int port,
		      bool esc, struct np_strbuf *sb)
{
	uint32_t last = UINT32_MAX;
	bool first = true;
	size_t i;

	/* contributors are sorted by provenance: skip repeats */
	for (i = 0; i < k->ncontrib; i++) {
		const struct np_rs_contrib *c = &k->contrib[i];

		if (port >= 0 &&
		    np__pset_find(c->ports, proto, (uint16_t)port) < 0)
			continue;
		if (c->prov == last)
			continue;
		last = c->prov;
		if (!first)
			np__sb_puts(sb, ", ");
		first = false;
		np__prov_format(co, c->prov, dir, esc, sb);
	}
}

/*
 * Provenance (policy, rule) -> index into co->prov, by open addressing: a
 * pod selected by 200,000 policies must not make core_build quadratic.
 * Indexes keep the order of first appearance (the output depends on it).
 */
struct prov_key {
	const struct np_rs_core *co;
	const char *ns, *name;
	int rule;
};

/* Values are indexes + 1 into co->prov, which grows (and moves). */
static bool prov_eq(const void *val, const void *key)
{
	const struct prov_key *k = key;
	const struct np_prov *p = &k->co->prov[(uintptr_t)val - 1];

	return p->rule == k->rule && !strcmp(p->pol_ns, k->ns) &&
	       !strcmp(p->pol_name, k->name);
}

static uint64_t prov_hash(const char *ns, const char *name, int rule)
{
	uint64_t h = np__hash_fast(ns, strlen(ns), 0x70726f76ull);

	h = np__hash_fast(name, strlen(name), h);
	return np__hash_fast(&rule, sizeof(rule), h);
}

static uint32_t prov_add(struct np_rs_core *co, size_t *cap,
			 struct np_hashmap *t, const char *ns, const char *name,
			 int rule)
{
	struct prov_key k = { co, ns, name, rule };
	uint64_t h = prov_hash(ns, name, rule);
	size_t i;

	if (np__hashmap_reserve(t, co->nprov + 1, 64))
		return UINT32_MAX;
	i = np__hashmap_probe(t, h, prov_eq, &k);
	if (t->slots[i].val)
		return (uint32_t)((uintptr_t)t->slots[i].val - 1);
	if (co->nprov >= UINT32_MAX - 1 ||
	    NP_GROW(co->prov, *cap, co->nprov + 1))
		return UINT32_MAX;
	co->prov[co->nprov].pol_ns = ns;
	co->prov[co->nprov].pol_name = name;
	co->prov[co->nprov].rule = rule;
	co->prov[co->nprov].tier = NP_TIER_NETWORK_POLICY;
	np__hashmap_fill(t, i, h, (void *)(uintptr_t)(co->nprov + 1));
	return (uint32_t)co->nprov++;
}

static int entry_from_pe(struct np_arena *a, struct np_intern *in,
			 struct np_rs_entry *e, const struct np_pe_entry *pe)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	e->cidr = pe->cidr;
	/* the PolicyEndpoint outlives the build: borrow its excepts */
	e->except = pe->except;
	e->nexcept = pe->nexcept;
	if (!pe->nports) {
		e->ports.all = true;
		e->iports = np__intern_pset(in, &e->ports);
		return e->iports ? 0 : -ENOMEM;
	}
	for (i = 0; i < pe->nports; i++) {
		const struct np_port *p = &pe->ports[i];
		uint16_t lo = p->has_port ? p->port : 0;
		uint16_t hi = p->has_port ?
				      (p->end_port ? p->end_port : p->port) :
				      65535;

		if (np__pset_add(a, &e->ports, p->proto, lo, hi))
			return -ENOMEM;
	}
	np__pset_merge(&e->ports);
	e->iports = np__intern_pset(in, &e->ports);
	return e->iports ? 0 : -ENOMEM;
}

/* *h = np__hash_bytes(p, n, *h), inline: the same value. */
static inline void hash_mix(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t x = 0xcbf29ce484222325ULL ^ *h;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= b[i];
		x *= 0x100000001b3ULL;
	}
	*h = x;
}

void np__core_hash(struct np_rs_core *co)
{
	uint64_t h = 0x6e6574706f6cULL;
	size_t i, j;
	int d;

	for (d = 0; d < 2; d++) {
		hash_mix(&h, &co->isolated[d], sizeof(co->isolated[d]));
		for (i = 0; i < co->nkeys[d]; i++) {
			const struct np_rs_key *k = &co->keys[d][i];
			uint8_t all = k->ports->all;

			hash_mix(&h, &k->cidr, sizeof(k->cidr));
			hash_mix(&h, &all, 1);
			hash_mix(&h, &k->ports->n, sizeof(k->ports->n));
			/* field by field: np_prange has padding */
			for (j = 0; j < k->ports->n; j++) {
				hash_mix(&h, &k->ports->r[j].proto, 1);
				/* only when set: NP-only hashes unchanged */
				if (k->ports->r[j].xproto)
					hash_mix(&h, &k->ports->r[j].xproto, 1);
				hash_mix(&h, &k->ports->r[j].lo, 2);
				hash_mix(&h, &k->ports->r[j].hi, 2);
			}
		}
	}
	co->hash = h;
}

int np__check_slots(const struct np_rs_core *co, int dir, const char *ns,
		    const char *name, struct np_diag *diag)
{
	struct np_strbuf sb = { 0 };
	char cidr[64];
	size_t i;

	for (i = 0; i < co->nkeys[dir]; i++) {
		const struct np_rs_key *k = &co->keys[dir][i];

		if (k->ports->n <= NP_MAX_SLOTS)
			continue;
		if (diag) {
			memset(diag, 0, sizeof(*diag));
			diag->err = -E2BIG;
			snprintf(diag->object, sizeof(diag->object),
				 "Pod %s/%s", ns, name);
			snprintf(diag->path, sizeof(diag->path), "%s",
				 np_direction_name(dir));
			np__cidr_format(&k->cidr, cidr, sizeof(cidr));
			np__key_policies(co, dir, k, 0, -1, false, &sb);
			snprintf(diag->message, sizeof(diag->message),
				 "%s: Too many: %zu port ranges: must have at "
				 "most %d (policies: %s)",
				 cidr, k->ports->n, NP_MAX_SLOTS,
				 sb.buf ? sb.buf : "");
			np__sb_release(&sb);
		}
		return -E2BIG;
	}
	return 0;
}

void np__core_put(struct np_rs_core *co)
{
	struct np_rs_core *sh[2];
	struct np_arena a;

	if (!co || __atomic_sub_fetch(&co->refs, 1, __ATOMIC_ACQ_REL))
		return;
	/* co lives in its arena: read what it holds first */
	sh[0] = co->shared[0];
	sh[1] = co->shared[1];
	a = co->arena;
	np__arena_release(&a);
	np__core_put(sh[0]);
	np__core_put(sh[1]);
}

/* Normalize the entries of these PolicyEndpoints into a new core. */
int np__core_build(struct np_rs_core **out, const struct np_obj **pes,
		   size_t npes, const char *ns, const char *name,
		   struct np_diag *diag)
{
	struct np_arena arena = { 0 }, scratch = { 0 };
	struct np_hashmap pt = { 0 };
	struct np_intern in = { 0 };
	struct np_rs_core *co;
	struct np_rs_entry *ent;
	size_t pcap = 0, i, j, n, nent, *run, nrun;
	struct np_prov *p;
	unsigned int big = 0;
	int d, err = -ENOMEM;

	co = np__arena_zalloc(&arena, sizeof(*co));
	if (!co)
		return -ENOMEM;
	co->arena = arena;
	co->refs = 1;
	in.a = &co->arena;
	for (d = 0; d < 2; d++) {
		n = 1;
		nent = 0;
		for (i = 0; i < npes; i++) {
			const struct np_policyendpoint *pe = &pes[i]->pe;

			if (d ? pe->iso_egress || pe->negress :
				pe->iso_ingress || pe->ningress)
				co->isolated[d] = true;
			n += d ? pe->negress : pe->ningress;
		}
		ent = np__arena_zalloc(&scratch, n * sizeof(*ent));
		run = np__arena_alloc(&scratch, (npes + 1) * sizeof(*run));
		nrun = 0;
		if (!ent || !run)
			goto fail;
		for (i = 0; i < npes; i++) {
			const struct np_policyendpoint *pe = &pes[i]->pe;
			const struct np_pe_entry *v = d ? pe->egress :
							  pe->ingress;
			size_t m = d ? pe->negress : pe->ningress;
			const char *pns, *pname;

			pns = np__arena_strdup(&co->arena,
					       pe->ref_ns ? pe->ref_ns : "");
			pname = np__arena_strdup(
				&co->arena, pe->ref_name ? pe->ref_name : "");
			if (!pns || !pname)
				goto fail;
			run[nrun++] = nent;
			for (j = 0; j < m; j++) {
				struct np_rs_entry *e = &ent[nent];

				/*
				 * Resolution hands every host of a peer one
				 * ports array: the same array, the same set.
				 */
				if (j && v[j].ports == v[j - 1].ports &&
				    v[j].nports == v[j - 1].nports) {
					*e = ent[nent - 1];
					e->cidr = v[j].cidr;
					e->except = v[j].except;
					e->nexcept = v[j].nexcept;
				} else if (entry_from_pe(&scratch, &in, e,
							 &v[j])) {
					goto fail;
				}
				/* one policy per endpoint: same rule, same */
				if (j && v[j].rule == v[j - 1].rule)
					e->prov = ent[nent - 1].prov;
				else
					e->prov = prov_add(co, &pcap, &pt, pns,
							   pname, v[j].rule);
				if (e->prov == UINT32_MAX)
					goto fail;
				nent++;
			}
		}
		err = np__sort_runs(&scratch, ent, run, nrun, nent);
		if (!err)
			err = np__closure(co, ent, nent, d, &in);
		if (!err) {
			/* the first overflow's diag; both directions checked */
			err = np__check_slots(co, d, ns, name,
					      big ? NULL : diag);
			if (err == -E2BIG) {
				big |= 1u << d;
				err = 0;
			}
		}
		if (err)
			goto fail;
		err = -ENOMEM;
	}
	if (big) {
		if (diag)
			diag->fail_closed_dirs = big;
		err = -E2BIG;
		goto fail;
	}
	/* the prov array was malloc'd: move it into the arena */
	p = np__arena_alloc(&co->arena, (co->nprov + 1) * sizeof(*p));
	if (!p)
		goto fail;
	if (co->nprov)
		memcpy(p, co->prov, co->nprov * sizeof(*p));
	free(co->prov);
	co->prov = p;
	np__core_hash(co);
	np__intern_release(&in);
	np__hashmap_release(&pt);
	np__arena_release(&scratch);
	*out = co;
	return 0;
fail:
	np__intern_release(&in);
	np__hashmap_release(&pt);
	np__arena_release(&scratch);
	free(co->prov);
	arena = co->arena;
	np__arena_release(&arena);
	return err;
}
