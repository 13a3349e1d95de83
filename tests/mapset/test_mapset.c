/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The datapath's pure map-set maths (libnetpol/mapset.h): port sets
 * normalized, hashed and printed; per-direction digests; equality with a
 * rule set's keys; prefix flags; well-formedness. No kernel, no root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "netpol/mapset.h"

#include "mapset.h"
#include "util.h"

#define SLOT(proto, lo, hi)                                                    \
	{                                                                      \
		(uint32_t)(proto) << 16 | (lo), (uint32_t)(proto) << 16 | (hi) \
	}

static struct np_portset pset(unsigned int n, const struct np_slot *s)
{
	struct np_portset ps;

	memset(&ps, 0, sizeof(ps));
	ps.count = (uint8_t)n;
	memcpy(ps.slots, s, n * sizeof(*s));
	return ps;
}

static struct np_map_entry v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
			      uint8_t len, uint32_t portset)
{
	struct np_map_entry e;

	memset(&e, 0, sizeof(e));
	e.cidr.family = 4;
	e.cidr.len = len;
	e.cidr.addr[0] = a;
	e.cidr.addr[1] = b;
	e.cidr.addr[2] = c;
	e.cidr.addr[3] = d;
	e.portset = portset;
	return e;
}

static struct np_map_entry v6(uint8_t first, uint8_t last, uint8_t len,
			      uint32_t portset)
{
	struct np_map_entry e;

	memset(&e, 0, sizeof(e));
	e.cidr.family = 6;
	e.cidr.len = len;
	e.cidr.addr[0] = first;
	e.cidr.addr[15] = last;
	e.portset = portset;
	return e;
}

/* A map set over caller-owned arrays: ingress only unless set otherwise. */
static void ms_init(struct np_mapset *ms, struct np_portset *ps, size_t nps,
		    struct np_map_entry *e4, size_t n4, struct np_map_entry *e6,
		    size_t n6)
{
	memset(ms, 0, sizeof(*ms));
	ms->portsets = ps;
	ms->nportsets = nps;
	ms->ent[0][NP_DIR_INGRESS] = e4;
	ms->nent[0][NP_DIR_INGRESS] = n4;
	ms->ent[1][NP_DIR_INGRESS] = e6;
	ms->nent[1][NP_DIR_INGRESS] = n6;
	ms->isolated[NP_DIR_INGRESS] = true;
}

static char *text(const struct np_portset *ps, enum np_pset_style style)
{
	struct np_strbuf sb = { 0 };
	char *out = NULL;

	np__portset_text(&sb, ps, style);
	cr_assert_eq(np__sb_finish(&sb, &out), 0);
	return out;
}

/* --- port sets ------------------------------------------------------------ */

Test(portset, normalize_clamps_and_zeroes)
{
	struct np_portset in, out, zero;
	unsigned int i;

	memset(&in, 0xab, sizeof(in));
	in.count = 2;
	in.flags = 0;
	in.slots[0] = (struct np_slot)SLOT(IPPROTO_TCP, 80, 80);
	in.slots[1] = (struct np_slot)SLOT(IPPROTO_UDP, 53, 54);
	np__portset_normalize(&out, &in);
	cr_expect_eq(out.count, 2);
	cr_expect_eq(out.flags, 0);
	cr_expect_eq(out.pad, 0);
	cr_expect_eq(out.slots[0].lo, (6u << 16) | 80);
	cr_expect_eq(out.slots[0].hi, (6u << 16) | 80);
	cr_expect_eq(out.slots[1].lo, (17u << 16) | 53);
	cr_expect_eq(out.slots[1].hi, (17u << 16) | 54);
	memset(&zero, 0, sizeof(zero));
	for (i = 2; i < NP_MAX_SLOTS; i++)
		cr_expect_eq(memcmp(&out.slots[i], &zero.slots[i],
				    sizeof(zero.slots[i])),
			     0, "slot %u not zeroed", i);

	/* a count past the slots is clamped; flags are kept */
	memset(&in, 0x11, sizeof(in));
	in.count = NP_MAX_SLOTS + 6;
	in.flags = NP_PS_ALL;
	np__portset_normalize(&out, &in);
	cr_expect_eq(out.count, NP_MAX_SLOTS);
	cr_expect_eq(out.flags, NP_PS_ALL);
	cr_expect_eq(out.pad, 0);
	cr_expect_eq(out.slots[NP_MAX_SLOTS - 1].lo, 0x11111111u);
}

Test(portset, hash_follows_content)
{
	struct np_slot s[] = { SLOT(IPPROTO_TCP, 80, 80),
			       SLOT(IPPROTO_UDP, 53, 54) };
	struct np_portset a = pset(2, s), b, c, na, nb, nc;

	/* the same set with garbage past count: equal once normalized */
	memset(&b, 0x5a, sizeof(b));
	b.count = 2;
	b.flags = 0;
	b.slots[0] = s[0];
	b.slots[1] = s[1];
	np__portset_normalize(&na, &a);
	np__portset_normalize(&nb, &b);
	cr_expect_eq(np__portset_hash(&na), np__portset_hash(&nb));
	cr_expect_eq(np__portset_hash(&na), np__portset_hash(&na));

	c = a;
	c.slots[1].hi++;
	np__portset_normalize(&nc, &c);
	cr_expect_neq(np__portset_hash(&na), np__portset_hash(&nc));
	c = a;
	c.flags = NP_PS_ALL;
	np__portset_normalize(&nc, &c);
	cr_expect_neq(np__portset_hash(&na), np__portset_hash(&nc));
	c = a;
	c.count = 1;
	np__portset_normalize(&nc, &c);
	cr_expect_neq(np__portset_hash(&na), np__portset_hash(&nc));
}

Test(portset, text_list)
{
	struct np_slot s[] = { SLOT(IPPROTO_TCP, 80, 80),
			       SLOT(IPPROTO_UDP, 53, 54),
			       SLOT(IPPROTO_SCTP, 1000, 2000), SLOT(47, 0, 0) };
	struct np_portset ps = pset(4, s), all = pset(0, s), none = pset(0, s);
	char *t;

	all.flags = NP_PS_ALL;
	t = text(&ps, NP_PSET_TEXT_LIST);
	cr_expect_str_eq(t, "TCP 80, UDP 53-54, SCTP 1000-2000, 47 0");
	free(t);
	t = text(&all, NP_PSET_TEXT_LIST);
	cr_expect_str_eq(t, "all");
	free(t);
	t = text(&none, NP_PSET_TEXT_LIST);
	cr_expect_str_eq(t, "none");
	free(t);
}

Test(portset, text_map)
{
	struct np_slot s[] = { SLOT(IPPROTO_TCP, 80, 80),
			       SLOT(IPPROTO_UDP, 53, 54),
			       SLOT(IPPROTO_SCTP, 0, 65535), SLOT(47, 0, 0) };
	struct np_portset ps = pset(4, s), all = pset(0, s), none = pset(0, s);
	char *t;

	all.flags = NP_PS_ALL;
	t = text(&ps, NP_PSET_TEXT_MAP);
	cr_expect_str_eq(t, " TCP/80-80 UDP/53-54 SCTP/0-65535 ?/0-0");
	free(t);
	t = text(&all, NP_PSET_TEXT_MAP);
	cr_expect_str_eq(t, " proto=ANY");
	free(t);
	t = text(&none, NP_PSET_TEXT_MAP);
	cr_expect_str_eq(t, " deny");
	free(t);
}

/* np_mapset_export's text goes through the same function. */
Test(portset, export_text)
{
	struct np_slot s[] = { SLOT(IPPROTO_TCP, 443, 443) };
	struct np_portset ps[] = { pset(1, s), pset(0, s) };
	struct np_map_entry e4[] = { v4(10, 0, 0, 0, 8, 0),
				     v4(10, 1, 2, 3, 32, 1) };
	struct np_mapset ms;
	char *t = NULL;

	ms_init(&ms, ps, 2, e4, 2, NULL, 0);
	cr_assert_eq(np_mapset_export(&ms, NP_FORMAT_TEXT, &t), 0);
	cr_expect_str_eq(t, "ingress\n"
			    "  Key : 10.0.0.0/8  Value : TCP/443-443\n"
			    "  Key : 10.1.2.3/32  Value : deny\n"
			    "egress (not isolated)\n");
	np_free(t);
}

/* --- digests -------------------------------------------------------------- */

Test(digest, equal_content_equal_digest)
{
	struct np_slot s1[] = { SLOT(IPPROTO_TCP, 80, 80) };
	struct np_slot s2[] = { SLOT(IPPROTO_UDP, 53, 53) };
	/* the same content, port sets numbered the other way round */
	struct np_portset pa[] = { pset(1, s1), pset(1, s2) };
	struct np_portset pb[] = { pset(1, s2), pset(1, s1) };
	struct np_map_entry ea[] = { v4(10, 0, 0, 0, 8, 0),
				     v4(192, 168, 0, 1, 32, 1) };
	struct np_map_entry eb[] = { v4(10, 0, 0, 0, 8, 1),
				     v4(192, 168, 0, 1, 32, 0) };
	struct np_map_entry a6[] = { v6(0xfd, 0, 64, 1) };
	struct np_map_entry b6[] = { v6(0xfd, 0, 64, 0) };
	struct np_mapset a, b;

	ms_init(&a, pa, 2, ea, 2, a6, 1);
	ms_init(&b, pb, 2, eb, 2, b6, 1);
	cr_expect_eq(np__mapset_digest(&a, NP_DIR_INGRESS),
		     np__mapset_digest(&b, NP_DIR_INGRESS));

	/* garbage past a port set's count is not content */
	pb[0].slots[5].lo = 12345;
	cr_expect_eq(np__mapset_digest(&a, NP_DIR_INGRESS),
		     np__mapset_digest(&b, NP_DIR_INGRESS));

	/* the other direction is not part of this one's digest */
	b.ent[0][NP_DIR_EGRESS] = eb;
	b.nent[0][NP_DIR_EGRESS] = 2;
	cr_expect_eq(np__mapset_digest(&a, NP_DIR_INGRESS),
		     np__mapset_digest(&b, NP_DIR_INGRESS));
	cr_expect_neq(np__mapset_digest(&b, NP_DIR_INGRESS),
		      np__mapset_digest(&b, NP_DIR_EGRESS));
}

Test(digest, differing_content_differs)
{
	struct np_slot s1[] = { SLOT(IPPROTO_TCP, 80, 80) };
	struct np_portset pa[] = { pset(1, s1) }, pb[1];
	struct np_map_entry ea[] = { v4(10, 0, 0, 0, 8, 0) }, eb[1];
	struct np_map_entry a6[] = { v6(0xfd, 1, 128, 0) }, b6[1];
	struct np_mapset a, b;
	uint64_t ha;

	ms_init(&a, pa, 1, ea, 1, a6, 1);
	ha = np__mapset_digest(&a, NP_DIR_INGRESS);

	/* another prefix length */
	memcpy(pb, pa, sizeof(pb));
	memcpy(eb, ea, sizeof(eb));
	memcpy(b6, a6, sizeof(b6));
	ms_init(&b, pb, 1, eb, 1, b6, 1);
	eb[0].cidr.len = 16;
	cr_expect_neq(np__mapset_digest(&b, NP_DIR_INGRESS), ha);
	/* another address */
	eb[0] = ea[0];
	eb[0].cidr.addr[0] = 11;
	cr_expect_neq(np__mapset_digest(&b, NP_DIR_INGRESS), ha);
	/* another port */
	eb[0] = ea[0];
	pb[0].slots[0].hi++;
	cr_expect_neq(np__mapset_digest(&b, NP_DIR_INGRESS), ha);
	/* another IPv6 key */
	pb[0] = pa[0];
	b6[0].cidr.addr[15] = 2;
	cr_expect_neq(np__mapset_digest(&b, NP_DIR_INGRESS), ha);
	/* a key fewer */
	b6[0] = a6[0];
	cr_expect_eq(np__mapset_digest(&b, NP_DIR_INGRESS), ha);
	b.nent[1][NP_DIR_INGRESS] = 0;
	cr_expect_neq(np__mapset_digest(&b, NP_DIR_INGRESS), ha);
}

/* --- prefix flags --------------------------------------------------------- */

Test(lpm_flags, sample_sets)
{
	struct np_slot s[] = { SLOT(IPPROTO_TCP, 80, 80) };
	struct np_portset ps[] = { pset(1, s) };
	struct np_map_entry host4[] = { v4(10, 0, 0, 1, 32, 0) };
	struct np_map_entry net4[] = { v4(10, 0, 0, 1, 32, 0),
				       v4(10, 1, 0, 0, 16, 0) };
	struct np_map_entry host6[] = { v6(0xfd, 1, 128, 0) };
	struct np_map_entry net6[] = { v6(0xfd, 0, 64, 0) };
	struct np_map_entry any4[] = { v4(0, 0, 0, 0, 0, 0) };
	struct np_mapset ms;

	/* no key of a family: no host key to look up either */
	ms_init(&ms, ps, 1, NULL, 0, NULL, 0);
	cr_expect_eq(np__mapset_lpm_flags(&ms, NP_DIR_INGRESS),
		     NP_EPL_NOHOST_V4 | NP_EPL_NOHOST_V6);
	ms_init(&ms, ps, 1, host4, 1, host6, 1);
	cr_expect_eq(np__mapset_lpm_flags(&ms, NP_DIR_INGRESS), 0);
	/* where prefix keys go (PLH) is the rule set's: never here */
	ms_init(&ms, ps, 1, net4, 2, host6, 1);
	cr_expect_eq(np__mapset_lpm_flags(&ms, NP_DIR_INGRESS), NP_EPL_V4);
	ms_init(&ms, ps, 1, host4, 1, net6, 1);
	cr_expect_eq(np__mapset_lpm_flags(&ms, NP_DIR_INGRESS),
		     NP_EPL_V6 | NP_EPL_NOHOST_V6);
	ms_init(&ms, ps, 1, any4, 1, net6, 1);
	cr_expect_eq(np__mapset_lpm_flags(&ms, NP_DIR_INGRESS),
		     NP_EPL_V4 | NP_EPL_V6 | NP_EPL_NOHOST_V4 |
			     NP_EPL_NOHOST_V6);
	cr_expect_eq(np__mapset_lpm_flags(&ms, NP_DIR_EGRESS),
		     NP_EPL_NOHOST_V4 | NP_EPL_NOHOST_V6);
}

/*
 * The per-length hash takes a family's prefix keys of at most NP_PLH_MAX
 * distinct lengths, listed longest first (host keys are not among them);
 * lengths whose keys cannot be cut into pieces of a longer one cheaply
 * stay apart, and past NP_PLH_MAX such lengths the family keeps the trie.
 */
Test(lpm_flags, prefix_lengths)
{
	struct np_slot s[] = { SLOT(IPPROTO_TCP, 80, 80) };
	struct np_portset ps[] = { pset(1, s) };
	struct np_map_entry e4[NP_PLH_MAX + 2], f6[NP_PLH_MAX + 2];
	struct np_map_entry e6[] = { v6(0xfd, 0, 8, 0), v6(0xfd, 0, 113, 0),
				     v6(0xfd, 1, 128, 0), v6(0xfd, 0, 64, 0),
				     v6(0xfd, 0, 113, 0) };
	struct np_rs_plens m;
	struct np_mapset ms;
	int i;

	/* /32, then /1, /7, /13, ... /31: 6 bits apart, 64 pieces a merge */
	e4[0] = v4(10, 0, 0, 1, 32, 0);
	for (i = 1; i <= NP_PLH_MAX; i++)
		e4[i] = v4(0, 0, 0, 0, (uint8_t)(6 * i - 5), 0);
	ms_init(&ms, ps, 1, e4, NP_PLH_MAX + 1, e6, 5);
	cr_assert_eq(np__mapset_plens(&ms, NP_DIR_INGRESS, &m), 0);
	cr_expect_eq(m.n[0], NP_PLH_MAX);
	for (i = 0; i < NP_PLH_MAX; i++)
		cr_expect_eq(m.len[0][i], 6 * (NP_PLH_MAX - i) - 5,
			     "longest first");
	cr_expect_eq(m.mask4[0], htonl(0xfffffffeu));
	cr_expect_eq(m.mask4[1], htonl(0xffffff80u));
	/* 2^49 and 2^56 pieces: apart */
	cr_expect_eq(m.n[1], 3);
	cr_expect_eq(m.len[1][0], 113);
	cr_expect_eq(m.len[1][1], 64);
	cr_expect_eq(m.len[1][2], 8);
	/* a /30 more: 7 lengths, but written as 2 pieces of /31 */
	e4[NP_PLH_MAX + 1] = v4(0, 0, 0, 0, 30, 0);
	ms_init(&ms, ps, 1, e4, NP_PLH_MAX + 2, e6, 5);
	cr_assert_eq(np__mapset_plens(&ms, NP_DIR_INGRESS, &m), 0);
	cr_expect_eq(m.n[0], NP_PLH_MAX);
	cr_expect_eq(m.len[0][0], 31);
	cr_expect_eq(m.len[0][1], 25);
	/* NP_PLH_MAX + 2 lengths 8 bits apart: no merge in budget, the trie */
	for (i = 0; i < NP_PLH_MAX + 2; i++)
		f6[i] = v6(0xfd, 0, (uint8_t)(16 + 8 * i), 0);
	ms_init(&ms, ps, 1, e4, NP_PLH_MAX + 1, f6, NP_PLH_MAX + 2);
	cr_assert_eq(np__mapset_plens(&ms, NP_DIR_INGRESS, &m), 0);
	cr_expect_eq(m.n[0], NP_PLH_MAX);
	cr_expect_eq(m.n[1], 0);
}

/* The keys of family fam of ms's ingress, as written, as text. */
static char *kkeys_text(const struct np_mapset *ms, int fam)
{
	static char buf[4096];
	struct np_kkey *k;
	size_t n, i, o = 0;

	cr_assert_eq(np__mapset_kkeys(ms, NP_DIR_INGRESS, fam, &k, &n), 0);
	buf[0] = 0;
	for (i = 0; i < n; i++) {
		char a[64];

		inet_ntop(fam ? AF_INET6 : AF_INET, k[i].addr, a, sizeof(a));
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s/%u=%u",
				      i ? " " : "", a, k[i].len, k[i].ent);
		cr_assert_lt(o, sizeof(buf));
	}
	free(k);
	return buf;
}

/*
 * An Admin Deny /25 inside a NetworkPolicy's /24 (the cluster tiers'
 * shape): one length, the /24 written as the /25 the other leaves; the
 * IPv6 /112 and /113 the same. A host key stays as it is.
 */
Test(kkeys, nested_prefix_in_pieces)
{
	struct np_slot s[] = { SLOT(IPPROTO_TCP, 80, 80) };
	struct np_portset ps[] = { pset(1, s), pset(0, s) };
	struct np_map_entry e4[] = { v4(10, 0, 0, 0, 24, 0),
				     v4(10, 0, 0, 0, 25, 1),
				     v4(10, 0, 1, 7, 32, 0) };
	struct np_map_entry e6[] = { v6(0xfd, 0, 112, 0), v6(0xfd, 0, 113, 1) };
	struct np_rs_plens m;
	struct np_mapset ms;

	ms_init(&ms, ps, 2, e4, 3, e6, 2);
	cr_assert_eq(np__mapset_plens(&ms, NP_DIR_INGRESS, &m), 0);
	cr_expect_eq(m.n[0], 1);
	cr_expect_eq(m.len[0][0], 25);
	cr_expect_eq(m.mask4[0], htonl(0xffffff80u));
	cr_expect_eq(m.n[1], 1);
	cr_expect_eq(m.len[1][0], 113);
	cr_expect_str_eq(kkeys_text(&ms, 0),
			 "10.0.0.0/25=1 10.0.0.128/25=0 10.0.1.7/32=2");
	cr_expect_str_eq(kkeys_text(&ms, 1), "fd00::/113=1 fd00::8000/113=0");
}

/*
 * A key that longer keys of its group cover whole would have no piece
 * left, and the read-back could not show it: its lengths stay apart.
 * Pieces past the budget too: a /8 beside a /24 is 65,536 keys.
 */
Test(kkeys, hidden_key_and_budget_keep_lengths)
{
	struct np_slot s[] = { SLOT(IPPROTO_TCP, 80, 80) };
	struct np_portset ps[] = { pset(1, s), pset(0, s) };
	struct np_map_entry hidden[] = { v4(10, 0, 0, 0, 24, 0),
					 v4(10, 0, 0, 0, 25, 1),
					 v4(10, 0, 0, 128, 25, 1) };
	struct np_map_entry wide[] = { v4(10, 0, 0, 0, 8, 0),
				       v4(11, 0, 0, 0, 24, 1) };
	struct np_rs_plens m;
	struct np_mapset ms;

	ms_init(&ms, ps, 2, hidden, 3, NULL, 0);
	cr_assert_eq(np__mapset_plens(&ms, NP_DIR_INGRESS, &m), 0);
	cr_expect_eq(m.n[0], 2);
	cr_expect_str_eq(kkeys_text(&ms, 0),
			 "10.0.0.0/24=0 10.0.0.0/25=1 10.0.0.128/25=2");
	ms_init(&ms, ps, 2, wide, 2, NULL, 0);
	cr_assert_eq(np__mapset_plens(&ms, NP_DIR_INGRESS, &m), 0);
	cr_expect_eq(m.n[0], 2);
	cr_expect_eq(m.len[0][0], 24);
	cr_expect_eq(m.len[0][1], 8);
}

/* A 32-bit LCG: the same sequence on every run. */
static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1664525u + 1013904223u;
	return *x >> 8;
}

/*
 * Random nested IPv4 prefixes: probing the written keys as the program
 * does (the host key, then each written length, longest first) finds the
 * entry the longest match over the entries finds, for addresses in and
 * around them; and every entry keeps at least one key.
 */
Test(kkeys, probes_agree_with_longest_match)
{
	struct np_slot s[] = { SLOT(IPPROTO_TCP, 80, 80) };
	struct np_portset ps[] = { pset(1, s) };
	uint32_t x = 7;
	int round, merged = 0;

	for (round = 0; round < 300; round++) {
		struct np_map_entry e[24];
		uint32_t base = 0x0a000000u | (lcg(&x) & 0xff) << 16;
		size_t n = 0, nk, i, j;
		struct np_rs_plens m;
		struct np_kkey *k;
		struct np_mapset ms;
		uint8_t used[24] = { 0 };
		int probe;

		while (n < 2 + (size_t)round % 20) {
			unsigned int l = 14 + lcg(&x) % 19; /* 14..32 */
			uint32_t a = (base | (lcg(&x) & 0xffff)) &
				     (l ? 0xffffffffu << (32 - l) : 0);
			bool dup = false;

			for (i = 0; i < n; i++)
				dup |= e[i].cidr.len == l &&
				       !memcmp(e[i].cidr.addr,
					       (uint8_t[4]){ a >> 24, a >> 16,
							     a >> 8, a },
					       4);
			if (dup)
				continue;
			e[n++] = v4(a >> 24, a >> 16, a >> 8, a, (uint8_t)l, 0);
		}
		ms_init(&ms, ps, 1, e, n, NULL, 0);
		cr_assert_eq(np__mapset_plens(&ms, NP_DIR_INGRESS, &m), 0);
		cr_assert_eq(np__mapset_kkeys(&ms, NP_DIR_INGRESS, 0, &k, &nk),
			     0);
		for (i = 0; i < nk; i++)
			used[k[i].ent] = 1;
		for (i = 0; i < n; i++)
			cr_expect(used[i], "round %d: entry %zu lost", round,
				  i);
		merged += nk != n;
		for (probe = 0; probe < 200; probe++) {
			const struct np_map_entry *t = &e[lcg(&x) % n];
			uint32_t a = (uint32_t)t->cidr.addr[0] << 24 |
				     t->cidr.addr[1] << 16 |
				     t->cidr.addr[2] << 8 | t->cidr.addr[3];
			int want = -1, got = -1, best = -1, li;

			a ^= lcg(&x) >> (t->cidr.len > 8 ? t->cidr.len - 8 : 0);
			for (i = 0; i < n; i++) {
				unsigned int l = e[i].cidr.len;
				uint32_t ea = (uint32_t)e[i].cidr.addr[0]
						      << 24 |
					      e[i].cidr.addr[1] << 16 |
					      e[i].cidr.addr[2] << 8 |
					      e[i].cidr.addr[3];
				uint32_t mk = l ? 0xffffffffu << (32 - l) : 0;

				if ((a & mk) == ea && (int)l > best) {
					best = (int)l;
					want = (int)i;
				}
			}
			/* as the program: host key, then each length */
			for (li = -1;
			     li < (int)(m.n[0] ? m.n[0] : 0) && got < 0; li++) {
				unsigned int l = li < 0 ? 32 : m.len[0][li];
				uint32_t mk = l ? 0xffffffffu << (32 - l) : 0;

				for (j = 0; j < nk; j++) {
					uint32_t ka = (uint32_t)k[j].addr[0]
							      << 24 |
						      k[j].addr[1] << 16 |
						      k[j].addr[2] << 8 |
						      k[j].addr[3];

					if (k[j].len == l && ka == (a & mk)) {
						got = (int)k[j].ent;
						break;
					}
				}
			}
			if (!m.n[0])
				continue; /* the trie: the kernel's own LPM */
			cr_expect_eq(got, want, "round %d: %08x", round, a);
		}
		free(k);
	}
	cr_expect_gt(merged, 50, "rule sets with pieces");
}

/* --- well-formedness ------------------------------------------------------ */

Test(check, malformed_sets)
{
	struct np_slot s[] = { SLOT(IPPROTO_TCP, 80, 80),
			       SLOT(IPPROTO_TCP, 443, 443) };
	struct np_portset ps[1];
	struct np_map_entry e4[1], e6[1];
	struct np_mapset ms;

#define RESET()                                    \
	do {                                       \
		ps[0] = pset(2, s);                \
		e4[0] = v4(10, 0, 0, 0, 8, 0);     \
		e6[0] = v6(0xfd, 0, 64, 0);        \
		ms_init(&ms, ps, 1, e4, 1, e6, 1); \
	} while (0)

	RESET();
	cr_expect_eq(np__mapset_check(&ms), 0);
	/* slots out of order, overlapping, inverted, too many */
	RESET();
	ps[0].slots[0] = s[1];
	ps[0].slots[1] = s[0];
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	RESET();
	ps[0].slots[1].lo = ps[0].slots[0].hi;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	RESET();
	ps[0].slots[0].lo = ps[0].slots[0].hi + 1;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	RESET();
	ps[0].count = NP_MAX_SLOTS + 1;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	/* entries: port set index, family, length, missing array */
	RESET();
	e4[0].portset = 1;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	RESET();
	e4[0].cidr.family = 6;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	RESET();
	e4[0].cidr.len = 33;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	RESET();
	e6[0].cidr.len = 129;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	/* an address bit past the length: the per-length hash misses it */
	RESET();
	e4[0].cidr.addr[1] = 1;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	RESET();
	e6[0].cidr.addr[15] = 0x80;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	RESET();
	ms.ent[1][NP_DIR_INGRESS] = NULL;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	RESET();
	ms.portsets = NULL;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
	RESET();
	ms.nportsets = NP_MAX_PORTSETS + 1;
	cr_expect_eq(np__mapset_check(&ms), -EINVAL);
#undef RESET
}

/* --- equality with a rule set's keys -------------------------------------- */

struct slots {
	struct np_portset set[8]; /* by global index; [0] unused */
};

static const struct np_portset *slot_at(const void *ctx, uint32_t g)
{
	const struct slots *s = ctx;

	cr_assert_lt(g, 8);
	return &s->set[g];
}

Test(dir_equal, keys_and_port_sets)
{
	struct np_slot s1[] = { SLOT(IPPROTO_TCP, 80, 80) };
	struct np_slot s2[] = { SLOT(IPPROTO_UDP, 53, 53) };
	struct np_portset ps[] = { pset(1, s1), pset(1, s2) };
	struct np_map_entry e4[] = { v4(10, 0, 0, 0, 8, 0),
				     v4(10, 1, 2, 3, 32, 1) };
	struct np_map_entry e6[] = { v6(0xfd, 0, 64, 1) };
	struct np_lpm_key_v4 k4[2];
	struct np_lpm_key_v6 k6[1];
	uint32_t g4[] = { 3, 5 }, g6[] = { 5 };
	struct slots gs;
	struct np_rule_keys rk = { .k4 = k4,
				   .g4 = g4,
				   .n4 = 2,
				   .k6 = k6,
				   .g6 = g6,
				   .n6 = 1,
				   .set = slot_at,
				   .ctx = &gs };
	struct np_mapset ms;
	size_t i;

	ms_init(&ms, ps, 2, e4, 2, e6, 1);
	memset(&gs, 0, sizeof(gs));
	np__portset_normalize(&gs.set[3], &ps[0]);
	np__portset_normalize(&gs.set[5], &ps[1]);
	memset(k4, 0, sizeof(k4));
	memset(k6, 0, sizeof(k6));
	for (i = 0; i < 2; i++) {
		k4[i].prefixlen = NP_RULESET_BITS + e4[i].cidr.len;
		k4[i].ruleset = htonl(7);
		memcpy(k4[i].addr, e4[i].cidr.addr, 4);
	}
	k6[0].prefixlen = NP_RULESET_BITS + 64;
	k6[0].ruleset = htonl(7);
	memcpy(k6[0].addr, e6[0].cidr.addr, 16);

	cr_expect(np__mapset_dir_equal(&ms, NP_DIR_INGRESS, &rk));
	/* the egress direction of ms is empty: different */
	cr_expect_not(np__mapset_dir_equal(&ms, NP_DIR_EGRESS, &rk));

	/* a port set's content differs */
	gs.set[5].slots[0].hi++;
	cr_expect_not(np__mapset_dir_equal(&ms, NP_DIR_INGRESS, &rk));
	gs.set[5].slots[0].hi--;
	/* a key's length, a key's address */
	k4[1].prefixlen--;
	cr_expect_not(np__mapset_dir_equal(&ms, NP_DIR_INGRESS, &rk));
	k4[1].prefixlen++;
	k6[0].addr[1] = 1;
	cr_expect_not(np__mapset_dir_equal(&ms, NP_DIR_INGRESS, &rk));
	k6[0].addr[1] = 0;
	/* no port set, or one past the table */
	g4[0] = 0;
	cr_expect_not(np__mapset_dir_equal(&ms, NP_DIR_INGRESS, &rk));
	g4[0] = NP_MAX_PORTSETS;
	cr_expect_not(np__mapset_dir_equal(&ms, NP_DIR_INGRESS, &rk));
	g4[0] = 3;
	/* a key fewer */
	rk.n6 = 0;
	cr_expect_not(np__mapset_dir_equal(&ms, NP_DIR_INGRESS, &rk));
	rk.n6 = 1;
	cr_expect(np__mapset_dir_equal(&ms, NP_DIR_INGRESS, &rk));
}
