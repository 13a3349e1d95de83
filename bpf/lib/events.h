/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the programs report: the per-endpoint, per-direction allow and deny
 * counters, and flow events to the ring buffer (np_emit, a global function
 * the verifier checks once, so one object only includes this) with the
 * node-wide count of events lost.
 */
#ifndef NETPOL_BPF_LIB_EVENTS_H
#define NETPOL_BPF_LIB_EVENTS_H

#include <stdbool.h>

#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "netpol_abi.h"
#include "maps.h"
#include "parse.h"

/* skb into counters c: its segments (1 when not GSO) and bytes. */
static __always_inline void ctr_add(struct np_counters *c,
				    const struct __sk_buff *skb, bool deny)
{
	__u32 segs = skb->gso_segs;

	if (!segs)
		segs = 1;
	if (deny) {
		c->deny_pkts += segs;
		c->deny_bytes += skb->len;
	} else {
		c->allow_pkts += segs;
		c->allow_bytes += skb->len;
	}
}

static __always_inline void count(struct __sk_buff *skb, __u32 slot, __u32 dir,
				  bool deny)
{
	__u32 idx = slot * 2 + dir;
	struct np_counters *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		ctr_add(c, skb, deny);
}

/*
 * Count skb to key number key of rule set ruleset (rule_ctrs), creating
 * its entry when create. Global: verified once for its three callers; the
 * callers test np_rt.rule_counters_on, so that switched off it costs a
 * load and a branch.
 */
__attribute__((noinline)) int np_rule_count(struct __sk_buff *skb,
					    __u32 ruleset, __u32 key,
					    __u32 deny, __u32 create)
{
	struct np_rule_ctr_key k = { .ruleset = ruleset, .key = key };
	struct np_counters *c, z = {};

	if (!skb || !key)
		return 0;
	c = bpf_map_lookup_elem(&rule_ctrs, &k);
	if (!c) {
		if (!create)
			return 0;
		bpf_map_update_elem(&rule_ctrs, &k, &z, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&rule_ctrs, &k);
		if (!c)
			return 0; /* full */
	}
	ctr_add(c, skb, deny);
	return 0;
}

#define EV_META(dir, verdict, reason, plen)                      \
	((dir) | (__u32)(verdict) << 8 | (__u32)(reason) << 16 | \
	 (__u32)(plen) << 24)

/*
 * Global: verified once, not on every path that emits. At most five
 * arguments: meta is EV_META(dir, verdict, reason, prefix length).
 */
__attribute__((noinline)) int
np_emit(struct __sk_buff *skb, const struct pkt *p, __u32 meta, __u32 ruleset)
{
	struct np_flow_event *e;

	if (!p)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__u32 k = NP_STAT_EVENTS_LOST;
		__u64 *lost = bpf_map_lookup_elem(&stats, &k);

		if (lost)
			*lost += 1; /* per CPU: no atomic needed */
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->ifindex = skb->ifindex;
	e->ruleset = ruleset;
	e->pkt_len = skb->len;
	e->dir = meta & 0xff;
	e->family = p->family;
	e->proto = p->t.proto;
	e->verdict = (meta >> 8) & 0xff;
	e->reason = (meta >> 16) & 0xff;
	e->prefixlen = meta >> 24;
	e->pad = 0;
	e->sport = bpf_ntohs(p->t.sport);
	e->dport = bpf_ntohs(p->t.dport);
	__builtin_memcpy(e->saddr, p->t.saddr, 16);
	__builtin_memcpy(e->daddr, p->t.daddr, 16);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* A conntrack entry created where none was (NP_STAT_CT_INSERTED). */
static __always_inline void count_ct_insert(__u8 family)
{
	__u32 k = NP_STAT_CT_INSERTED + (family == 6);
	__u64 *n = bpf_map_lookup_elem(&stats, &k);

	if (n)
		*n += 1; /* per CPU: no atomic needed */
}

#endif /* NETPOL_BPF_LIB_EVENTS_H */
