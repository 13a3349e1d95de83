/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Policy: whether a peer is a node IP, the key of a rule set that covers a
 * peer (host hash, then LPM trie), whether a port set holds a port, and the
 * endpoint record of a host veth (from ep_cache, else the endpoints hash).
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

/*
 * The value of the key that covers peer in rule set ruleset: the host key
 * first (when there is one, it is the longest prefix), then, when the rule
 * set has prefix keys in the family (lpm: NP_EPL_*), the LPM trie. NULL:
 * no key covers the peer.
 */
static __always_inline struct np_lpm_value *
rule_lookup(const struct pkt *p, const __u32 *peer, __u32 ruleset, __u8 lpm)
{
	struct np_lpm_value *lv;

	if (p->family == 4) {
		struct np_lpm_key_v4 lk = {
			.prefixlen = NP_RULESET_BITS + 32,
			.ruleset = bpf_htonl(ruleset),
		};

		__builtin_memcpy(lk.addr, peer, 4);
		lv = bpf_map_lookup_elem(&host_v4, &lk.ruleset);
		if (!lv && (lpm & NP_EPL_V4))
			lv = bpf_map_lookup_elem(&lpm_v4, &lk);
	} else {
		struct np_lpm_key_v6 lk = {
			.prefixlen = NP_RULESET_BITS + 128,
			.ruleset = bpf_htonl(ruleset),
		};

		__builtin_memcpy(lk.addr, peer, 16);
		lv = bpf_map_lookup_elem(&host_v6, &lk.ruleset);
		if (!lv && (lpm & NP_EPL_V6))
			lv = bpf_map_lookup_elem(&lpm_v6, &lk);
	}
	return lv;
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
 * Direction dir of ifindex's endpoint record, into *out: from ep_cache when
 * the entry is ifindex's, else from the endpoints hash. False: not a pod of
 * ours.
 */
static __always_inline bool ep_get(__u32 ifindex, __u32 dir, union ep_word *out)
{
	__u32 idx = ifindex & (NP_EPA_SIZE - 1);
	struct np_epa *ea = bpf_map_lookup_elem(&ep_cache, &idx);
	struct np_ep_value *ev;
	const void *w;

	if (ea && ea->ifindex == ifindex) {
		w = &ea->dir[dir & 1];
	} else {
		ev = bpf_map_lookup_elem(&endpoints, &ifindex);
		if (!ev)
			return false;
		w = &ev->dir[dir & 1];
	}
	/* one 8-byte load: one generation of the word */
	out->w = *(volatile const __u64 *)w;
	return true;
}

#endif /* NETPOL_BPF_LIB_POLICY_H */
