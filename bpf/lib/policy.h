/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Policy: whether a peer is a node IP, the key of a rule set that covers a
 * peer (host hash, then the per-length hash or the LPM trie), whether a
 * port set holds a port, the endpoint record of a host veth (from
 * ep_cache, else the endpoints hash), its words by generation, and whether
 * a pod's packet has its source.
 */
#ifndef NETPOL_BPF_LIB_POLICY_H
#define NETPOL_BPF_LIB_POLICY_H

#include <stdbool.h>

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "netpol_abi.h"
#include "config.h"
#include "maps.h"
#include "parse.h"

static __always_inline bool is_node_ip(const struct pkt *p, const __u32 *a)
{
	__u32 i;

	if (p->family == 4) {
#pragma unroll
		for (i = 0; i < 2; i++)
			if (i < np_rt.node_ip4_n && np_rt.node_ip4[i] == a[0])
				return true;
		return false;
	}
#pragma unroll
	for (i = 0; i < 2; i++)
		if (i < np_rt.node_ip6_n && np_rt.node_ip6[i][0] == a[0] &&
		    np_rt.node_ip6[i][1] == a[1] &&
		    np_rt.node_ip6[i][2] == a[2] &&
		    np_rt.node_ip6[i][3] == a[3])
			return true;
	return false;
}

/* The lengths of rule set ruleset's prefix keys (PLH); NULL: none. */
static __always_inline const struct np_rs_plens *plens_of(__u32 ruleset)
{
	__u32 idx = ruleset & (NP_RS_PLENS_SIZE - 1);
	const struct np_rs_plens *m = bpf_map_lookup_elem(&rs_plens, &idx);

	/* another id's entry: none of this rule set's keys can be found */
	return m && m->ruleset == ruleset ? m : NULL;
}

/*
 * The per-length hash: lk holds the rule set and the peer; probe each of
 * the family's lengths in m, longest first, the peer masked with the
 * length's mask. The first hit is the longest prefix that covers the peer.
 */
static __always_inline struct np_lpm_value *
plh_lookup4(struct np_lpm_key_v4 *lk, const struct np_rs_plens *m)
{
	struct np_lpm_value *lv;
	__u32 a, i, w;

	__builtin_memcpy(&a, lk->addr, 4);
	for (i = 0; i < NP_PLH_MAX; i++) {
		if (i >= m->n[0])
			break;
		lk->prefixlen = NP_RULESET_BITS + m->len[0][i];
		w = a & m->mask4[i];
		__builtin_memcpy(lk->addr, &w, 4);
		lv = bpf_map_lookup_elem(&pfx_v4, lk);
		if (lv)
			return lv;
	}
	return NULL;
}

static __always_inline struct np_lpm_value *
plh_lookup6(struct np_lpm_key_v6 *lk, const __u32 *peer,
	    const struct np_rs_plens *m)
{
	struct np_lpm_value *lv;
	__u32 i, w[4];

	for (i = 0; i < NP_PLH_MAX; i++) {
		if (i >= m->n[1])
			break;
		lk->prefixlen = NP_RULESET_BITS + m->len[1][i];
		w[0] = peer[0] & m->mask6[i][0];
		w[1] = peer[1] & m->mask6[i][1];
		w[2] = peer[2] & m->mask6[i][2];
		w[3] = peer[3] & m->mask6[i][3];
		__builtin_memcpy(lk->addr, w, 16);
		lv = bpf_map_lookup_elem(&pfx_v6, lk);
		if (lv)
			return lv;
	}
	return NULL;
}

/*
 * The value of the key that covers peer in rule set ruleset: the host key
 * first (when there is one, it is the longest prefix), then, when the rule
 * set has prefix keys in the family (lpm: NP_EPL_*), the per-length hash
 * or the LPM trie. NULL: no key covers the peer.
 */
static __always_inline struct np_lpm_value *
rule_lookup(const struct pkt *p, const __u32 *peer, __u32 ruleset, __u8 lpm)
{
	const struct np_rs_plens *m;
	struct np_lpm_value *lv;

	if (p->family == 4) {
		struct np_lpm_key_v4 lk = {
			.prefixlen = NP_RULESET_BITS + 32,
			.ruleset = bpf_htonl(ruleset),
		};

		__builtin_memcpy(lk.addr, peer, 4);
		lv = lpm & NP_EPL_NOHOST_V4 ?
			     NULL :
			     bpf_map_lookup_elem(&host_v4, &lk.ruleset);
		if (lv || !(lpm & NP_EPL_V4))
			return lv;
		if (!(lpm & NP_EPL_PLH_V4))
			return bpf_map_lookup_elem(&lpm_v4, &lk);
		m = plens_of(ruleset);
		return m ? plh_lookup4(&lk, m) : NULL;
	} else {
		struct np_lpm_key_v6 lk = {
			.prefixlen = NP_RULESET_BITS + 128,
			.ruleset = bpf_htonl(ruleset),
		};

		__builtin_memcpy(lk.addr, peer, 16);
		lv = lpm & NP_EPL_NOHOST_V6 ?
			     NULL :
			     bpf_map_lookup_elem(&host_v6, &lk.ruleset);
		if (lv || !(lpm & NP_EPL_V6))
			return lv;
		if (!(lpm & NP_EPL_PLH_V6))
			return bpf_map_lookup_elem(&lpm_v6, &lk);
		m = plens_of(ruleset);
		return m ? plh_lookup6(&lk, peer, m) : NULL;
	}
}

/* Whether (proto, port) falls in one of ps->slots[0 .. count). */
static __always_inline bool portset_match(const struct np_portset *ps,
					  __u8 proto, __u16 port)
{
	__u32 x = (__u32)proto << 16 | port;
	__u32 lo = 0, hi = ps->count, mid;
	int i;

	if (ps->flags & NP_PS_ALL)
		return true;
	if (!proto)
		return false;
	if (hi > NP_MAX_SLOTS)
		hi = NP_MAX_SLOTS;
	/* 2^5 > NP_MAX_SLOTS: five halvings settle any count */
	for (i = 0; i < 5; i++) {
		if (lo >= hi)
			return false;
		mid = (lo + hi) / 2;
		if (mid >= NP_MAX_SLOTS)
			return false;
		if (x < ps->slots[mid].lo)
			hi = mid;
		else if (x > ps->slots[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

union ep_word {
	__u64 w;
	struct np_ep_dir d;
};

/*
 * ifindex's endpoint record: from ep_cache when the entry is ifindex's,
 * else from the endpoints hash. NULL: not a pod of ours.
 */
static __always_inline const struct np_ep_rec *ep_find(__u32 ifindex)
{
	__u32 idx = ifindex & (NP_EPA_SIZE - 1);
	const struct np_ep_rec *ea = bpf_map_lookup_elem(&ep_cache, &idx);

	if (ea && ea->ifindex == ifindex)
		return ea;
	return bpf_map_lookup_elem(&endpoints, &ifindex);
}

/* Direction dir's word of generation g: one 8-byte load, one generation. */
static __always_inline void ep_word(const struct np_ep_rec *e, __u32 g,
				    __u32 dir, union ep_word *out)
{
	out->w = *(volatile const __u64 *)&e->w[g & 1][dir & 1];
}

/* What a flow judged under word w records (np_ct_value.judged). */
static __always_inline __u32 ep_judged(const union ep_word *w)
{
	if (w->d.state == NP_EP_POLICIES_APPLIED)
		return w->d.ruleset;
	return NP_JUDGED_STATE | w->d.state;
}

/*
 * Whether a packet leaving pod e may carry its source address: always
 * when the pod's addresses are not known; else IPv4 from ip4 only, IPv6
 * from ip6 or a link-local address (fe80::/10).
 */
static __always_inline bool src_ok(const struct np_ep_rec *e,
				   const struct pkt *p)
{
	__u32 f = e->src_flags;
	const __u32 *a6;

	if (!(f & (NP_SRC_V4 | NP_SRC_V6)))
		return true;
	if (p->family == 4)
		return (f & NP_SRC_V4) && p->t.saddr[0] == e->ip4;
	if ((p->t.saddr[0] & bpf_htonl(0xffc00000)) == bpf_htonl(0xfe800000))
		return true;
	a6 = (const __u32 *)e->ip6;
	return (f & NP_SRC_V6) && p->t.saddr[0] == a6[0] &&
	       p->t.saddr[1] == a6[1] && p->t.saddr[2] == a6[2] &&
	       p->t.saddr[3] == a6[3];
}

#endif /* NETPOL_BPF_LIB_POLICY_H */
