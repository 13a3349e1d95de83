// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libnetpol datapath: Kubernetes NetworkPolicy enforced on the host side of
 * each pod's veth (DESIGN §4).
 *
 *   np_tc_egress_pod    TC ingress of the host veth: packets leaving the pod
 *   np_tc_ingress_pod   TC egress of the host veth: packets into the pod
 *   np_tc_clock         the programs' clock for userspace (never attached)
 *   np_epa_set          the loader's writer of ep_cache
 *
 * This file keeps the entry points and the per-packet path they share
 * (handle); the building blocks are in bpf/lib/, one header per concern:
 *   lib/maps.h       every map definition
 *   lib/config.h     np_rt (.bss), CONFIG_HZ (.kconfig), the clock
 *   lib/parse.h      packet parsing, the inner header of an ICMP error
 *   lib/events.h     counters, flow events to the ring buffer
 *   lib/conntrack.h  conntrack keys, entry states, timeouts; fragment keys
 *   lib/policy.h     endpoint record, node IPs, host hash and LPM lookup,
 *                    port sets
 * and the layouts they share with userspace in netpol_abi.h.
 *
 * Per packet:
 *   1. Parse strictly. ARP, IPv6 neighbour discovery and MLD, and non-IP
 *      frames pass untouched (NetworkPolicy governs IP only; the host routes
 *      only IP). IPv4 honours the IHL; IPv6 walks at most NP_MAX_EXTHDR
 *      extension headers. Truncated or invalid headers are dropped.
 *   2. Conntrack: one probe of a direction-normalized key serves the flow
 *      and its replies. A live entry allows; that path touches only the
 *      conntrack entry and the per-CPU counters.
 *   3. Otherwise the endpoint record of skb->ifindex decides: none (not a
 *      pod of ours) passes; a node IP peer is allowed; DEFAULT_ALLOW and
 *      UNISOLATED allow; DEFAULT_DENY drops; FAIL_CLOSED (a policy that
 *      cannot be enforced) drops with its own reason; POLICIES_APPLIED looks
 *      the peer up under the direction's rule-set id, as a host key in an
 *      exact-match hash and, on a miss, among the shorter prefixes (only
 *      when the rule set has any): one hash probe per prefix length when
 *      they have few lengths, else the LPM trie; and the packet's
 *      destination port in the port set the key points to.
 *   4. An allowed packet creates a conntrack entry; a new flow and every drop
 *      emit a flow event while events are switched on. Conntrack is an LRU
 *      hash per family (NP_CT_DEFAULT_SIZE, 524,288 entries, or the open's
 *      ct_size): when full, an insert evicts the least recently used entry,
 *      whatever its pod. Inserts of new entries are counted per CPU
 *      (NP_STAT_CT_INSERTED) so that userspace can tell evictions apart.
 *
 * Fragments: a non-first fragment has no ports. The first fragment gets the
 * full decision and, when allowed, records (ifindex, proto, addresses, IP
 * id) in the frag map; later fragments of that datagram are allowed by that
 * record and dropped without it. A first fragment too short to hold the
 * ports is malformed. So a fragment never reaches a peer the policy denies,
 * and reassembly needs no state beyond one small LRU entry per datagram.
 * (Linux sends the first fragment first; a reordered datagram is lost.)
 *
 * ICMP errors (v4: destination unreachable, time exceeded, parameter
 * problem; v6: destination unreachable, packet too big, time exceeded,
 * parameter problem) are related to the flow of the header they embed, and
 * allowed when that flow is in conntrack on this veth, only when they go
 * to the sender of the quoted packet (outer destination == quoted source)
 * and are no larger than a router may send (576 bytes of IPv4, 1280 of
 * IPv6; lib/parse.h). So an error can answer a flow but cannot carry data
 * to anyone else: an error from a pod to a third party, quoting one of the
 * pod's allowed flows, is no longer related. Errors that are not related
 * are judged as the new flows they are: any other ICMP packet of their
 * sender (so an unisolated pod still gets them, an isolated one only from
 * a peer allowed every protocol), dropped and logged when denied. They
 * never create conntrack entries.
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "netpol_abi.h"
#include "lib/maps.h"
#include "lib/config.h"
#include "lib/parse.h"
#include "lib/events.h"
#include "lib/conntrack.h"
#include "lib/policy.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * The decision for the first packet of a flow (a new one, or one judged
 * again), in direction jdir of the pod whose word for it is w: the packet
 * p travels in direction dir, so when jdir differs it is a reply and the
 * flow's peer and port are its source's. Returns allowed (bit 0), the
 * reason (bits 8-15) and the matched prefix length (bits 16-23); *ctr
 * the number of the key that decided (np_lpm_value.ctr), 0: none.
 *
 * Inline for a new flow, the path whose cost the goals are about: a call
 * and its return cost a new IPv6 flow about 9 ns on a host with return
 * thunks (3.92x the empty program inline, 4.23x called, under the cluster
 * tiers). A flow judged again after a rule change calls np_judge, the same
 * code as a global function that the verifier checks once: inline on both
 * paths, the programs took 85,000 instructions to verify, against 31,600.
 */
static __always_inline int judge(const struct pkt *p, __u64 w, __u32 jdir,
				 __u32 dir, __u32 *ctr)
{
	union ep_word ep = { .w = w };
	const __u32 *peer;
	struct np_lpm_value *lv;
	struct np_portset *ps;
	__u32 psidx, plen;
	__u16 port;

	if (!p || !ctr)
		return NP_DPR_DENY_MALFORMED << 8;
	*ctr = 0;
	/*
	 * The flow as its first packet was: from the originator, the peer
	 * is the far end in direction jdir and the port the destination's.
	 */
	if (jdir == dir) {
		peer = dir == NP_DIR_EGRESS ? p->t.daddr : p->t.saddr;
		port = p->t.dport;
	} else {
		peer = jdir == NP_DIR_EGRESS ? p->t.saddr : p->t.daddr;
		port = p->t.sport;
	}
	if (is_node_ip(p, peer))
		return NP_DPR_ALLOW_NODE << 8 | NP_EV_PLEN_NONE << 16 | 1;
	switch (ep.d.state) {
	case NP_EP_DEFAULT_ALLOW:
		return NP_DPR_ALLOW_DEFAULT << 8 | NP_EV_PLEN_NONE << 16 | 1;
	case NP_EP_UNISOLATED:
		return NP_DPR_ALLOW_UNISOLATED << 8 | NP_EV_PLEN_NONE << 16 | 1;
	case NP_EP_POLICIES_APPLIED:
		break;
	case NP_EP_FAIL_CLOSED:
		return NP_DPR_DENY_UNENFORCEABLE << 8 | NP_EV_PLEN_NONE << 16;
	default:
		return NP_DPR_DENY_STRICT_DEFAULT << 8 | NP_EV_PLEN_NONE << 16;
	}
	lv = rule_lookup(p, peer, ep.d.ruleset, ep.d.lpm);
	if (!lv)
		return NP_DPR_DENY_NO_MATCH << 8 | NP_EV_PLEN_NONE << 16;
	plen = (lv->portset >> NP_LPM_PLEN_SHIFT) & 0xff;
	psidx = lv->portset & NP_LPM_PS_MASK;
	*ctr = lv->ctr;
	ps = bpf_map_lookup_elem(&portsets, &psidx);
	if (!ps || !portset_match(ps, p->t.proto, bpf_ntohs(port)))
		return NP_DPR_DENY_PORT << 8 | plen << 16;
	return NP_DPR_ALLOW_RULE << 8 | plen << 16 | 1;
}

/* judge(), called: for a flow judged again, a rare path. */
__noinline int np_judge(const struct pkt *p, __u64 w, __u32 jdir, __u32 dir,
			__u32 *ctr)
{
	return judge(p, w, jdir, dir, ctr);
}

static __always_inline int handle(struct __sk_buff *skb, const __u32 dir)
{
	/* every byte of these keys is written before use: no padding */
	struct np_ct_key_v4 k4;
	struct np_ct_key_v6 k6;
	struct np_frag_key fk;
	struct np_ct_value *ct = NULL, nct;
	struct np_frag_value *fv, nfv;
	const struct np_ep_rec *e;
	union ep_word ep, epd, epo;
	const struct tuple *t;
	struct pkt p = {};
	__u32 ifindex = skb->ifindex;
	__u32 ruleset = 0, now, g, jdir = dir, judged, mark, ctr = 0;
	__u8 reason, plen = NP_EV_PLEN_NONE;
	bool hi = false, rejudge = false, spoofed;
	int res;

	res = np_parse(skb, &p);
	if (res == P_PASS)
		return TC_ACT_OK;
	e = ep_find(ifindex);
	if (!e)
		return TC_ACT_OK; /* not a pod of ours */
	/*
	 * One generation of the node's endpoint records for this packet: the
	 * one its sending pod's hook stamped, else the live one, stamped for
	 * the receiving pod's hook.
	 */
	mark = skb->mark;
	if (dir == NP_DIR_INGRESS && (mark & NP_MARK_SEEN)) {
		g = !!(mark & NP_MARK_GEN);
		skb->mark = mark & ~(NP_MARK_SEEN | NP_MARK_GEN);
	} else {
		g = *(volatile const __u32 *)&np_rt.gen & 1;
		if (dir == NP_DIR_EGRESS)
			skb->mark = (mark & ~NP_MARK_GEN) | NP_MARK_SEEN |
				    (g ? NP_MARK_GEN : 0);
	}
	/*
	 * All this packet needs of the record, read now: the words of both
	 * directions and whether its source is the pod's (a pod sends from
	 * its own addresses, on every path). e is dead below, so the
	 * verifier merges the ep_cache and the hash paths.
	 */
	ep_word(e, g, dir, &epd);
	ep_word(e, g, dir ^ 1, &epo);
	spoofed = dir == NP_DIR_EGRESS && !np_rt.src_check_off &&
		  !src_ok(e, &p);
	if (res == P_BAD) {
		reason = NP_DPR_DENY_MALFORMED;
		goto deny;
	}
	if (spoofed) {
		reason = NP_DPR_DENY_SPOOFED;
		goto deny;
	}

	now = now_jiffies();
	if (p.frag == FRAG_LATER) {
		frag_key(&fk, &p, ifindex);
		fv = bpf_map_lookup_elem(&frags, &fk);
		if (fv && now - fv->last_seen <= np_rt.to.frag) {
			count(skb, fv->slot, dir, false);
			return TC_ACT_OK;
		}
		reason = NP_DPR_DENY_FRAGMENT;
		goto deny;
	}

	/* One conntrack probe: the packet's flow, or the embedded one. */
	t = p.related ? &p.in : &p.t;
	if (p.family == 4) {
		hi = ct_key4(&k4, t, ifindex);
		ct = bpf_map_lookup_elem(&ct_v4, &k4);
	} else {
		hi = ct_key6(&k6, t, ifindex);
		ct = bpf_map_lookup_elem(&ct_v6, &k6);
	}
	if (ct && now - ct->last_seen <= ct_timeout(t->proto, ct->state)) {
		if (p.related) {
			/*
			 * An error is related to a flow as its rules judge it
			 * now: of a revoked flow, or one whose rules changed
			 * since, it is judged as the new flow it is. The
			 * quoted packet went the other way than the error.
			 */
			if (!np_rt.revoke_off) {
				jdir = hi != !!(ct->flags & NP_CTF_ORIG_HI) ?
					       dir :
					       dir ^ 1;
				ep = jdir == dir ? epd : epo;
				if ((ct->flags & NP_CTF_REVOKED) ||
				    ep_judged(&ep) != ct->judged)
					goto miss;
			}
			count(skb, ct->slot, dir, false);
			return TC_ACT_OK;
		}
		if (!np_rt.revoke_off) {
			/* the flow's originating direction, as it is now */
			if (hi != !!(ct->flags & NP_CTF_ORIG_HI))
				jdir = dir ^ 1;
			ep = jdir == dir ? epd : epo;
			judged = ep_judged(&ep);
			if (judged != ct->judged) {
				/* its rules changed: judge it again */
				rejudge = true;
				goto again;
			}
			if (ct->flags & NP_CTF_REVOKED) {
				reason = NP_DPR_DENY_REVOKED;
				ruleset = ep.d.ruleset;
				goto deny_ep;
			}
		}
hit:
		if (!ct_refresh(ct, &p, hi, now))
			goto miss;
		nfv.slot = ct->slot;
		count(skb, ct->slot, dir, false);
		/* revoke_off: judged may name a deleted rule set, never revive */
		if (np_rt.rule_counters_on && ct->ctr)
			np_rule_count(skb, ct->judged, ct->ctr, 0,
				      !np_rt.revoke_off);
		if (p.frag == FRAG_FIRST)
			goto frag_first;
		return TC_ACT_OK;
	}

miss:
	jdir = dir;
	ep = epd;
	judged = ep_judged(&ep);
	rejudge = false;
	nct.slot = ep.d.slot;
	ruleset = ep.d.state == NP_EP_POLICIES_APPLIED ? ep.d.ruleset : 0;
	res = judge(&p, ep.w, dir, dir, &ctr);
	goto decided;
again:
	/* as at miss: set once after the join, they cost the verifier 20% more */
	nct.slot = ep.d.slot;
	ruleset = ep.d.state == NP_EP_POLICIES_APPLIED ? ep.d.ruleset : 0;
	res = np_judge(&p, ep.w, jdir, dir, &ctr);
decided:
	reason = (__u8)(res >> 8);
	plen = (__u8)(res >> 16);
	if (!(res & 1))
		goto deny_ep;
	/* allowed */
	if (rejudge && ct) {
		/* still allowed under the new rules: the flow goes on */
		if (!np_rt.bench_no_ct_insert)
			ct->judged = judged;
		if (ct->flags & NP_CTF_REVOKED)
			ct->flags &= ~NP_CTF_REVOKED;
		ct->ctr = ctr;
		rejudge = false;
		goto hit;
	}
	count(skb, nct.slot, dir, false);
	if (np_rt.rule_counters_on && ctr)
		np_rule_count(skb, ep.d.ruleset, ctr, 0, 1);
	if (!p.icmp_err && !np_rt.bench_no_ct_insert) {
		ct_init(&nct, &p, hi, now);
		nct.judged = judged;
		nct.ctr = ctr;
		if (ct_insert(&p, &k4, &k6, &nct))
			count_ct_insert(p.family);
	}
	if (np_rt.events_on)
		np_emit(skb, &p, EV_META(dir, NP_EV_ALLOW, reason, plen),
			ruleset);
	nfv.slot = nct.slot;
	if (p.frag != FRAG_FIRST)
		return TC_ACT_OK;
frag_first:
	frag_key(&fk, &p, ifindex);
	nfv.last_seen = now;
	nfv.pad = 0;
	bpf_map_update_elem(&frags, &fk, &nfv, BPF_ANY);
	return TC_ACT_OK;

deny:
	ep = epd;
deny_ep:
	if (rejudge && ct) {
		/* its new rules deny it: every packet of it from now on */
		ct->judged = judged;
		if (!(ct->flags & NP_CTF_REVOKED))
			ct->flags |= NP_CTF_REVOKED;
		reason = NP_DPR_DENY_REVOKED;
		ctr = 0;
	}
	count(skb, ep.d.slot, dir, true);
	if (np_rt.rule_counters_on && ctr)
		np_rule_count(skb, ep.d.ruleset, ctr, 1, 1);
	if (np_rt.events_on)
		np_emit(skb, &p, EV_META(dir, NP_EV_DENY, reason, plen),
			ruleset);
	return TC_ACT_SHOT;
}

SEC("tc")
int np_tc_egress_pod(struct __sk_buff *skb)
{
	return handle(skb, NP_DIR_EGRESS);
}

SEC("tc")
int np_tc_ingress_pod(struct __sk_buff *skb)
{
	return handle(skb, NP_DIR_INGRESS);
}

/*
 * The programs' clock for userspace, by BPF_PROG_TEST_RUN: the low 32 bits
 * of jiffies, or with skb->mark 1 the kernel's HZ (0 when unknown). Never
 * attached.
 */
SEC("tc")
int np_tc_clock(struct __sk_buff *skb)
{
	if (skb->mark == 1)
		return CONFIG_HZ;
	return (__u32)bpf_jiffies64();
}

/*
 * The loader's writer of ep_cache (BPF_PROG_TYPE_SYSCALL, run with
 * BPF_PROG_TEST_RUN): userspace map updates copy bytes in an unspecified
 * order, a program's 8-byte store is single-copy atomic. Returns NP_EPA_*.
 */
SEC("syscall")
int np_epa_set(struct np_epa_args *a)
{
	__u32 idx = a->rec.ifindex & (NP_EPA_SIZE - 1);
	struct np_ep_rec *e = bpf_map_lookup_elem(&ep_cache, &idx);
	__u32 op = a->op, mask = a->mask, i;

	if (!e)
		return NP_EPA_BAD;
	switch (op) {
	case NP_EPA_CLAIM:
		if (e->ifindex)
			return NP_EPA_NOT_OWNER;
		mask = 0xf;
		break;
	case NP_EPA_UPDATE:
		if (e->ifindex != a->rec.ifindex)
			return NP_EPA_NOT_OWNER;
		break;
	case NP_EPA_RELEASE:
		if (e->ifindex != a->rec.ifindex)
			return NP_EPA_NOT_OWNER;
		__sync_lock_test_and_set(&e->ifindex, 0);
		e->src_flags = 0;
		for (i = 0; i < 4; i++)
			e->w[i >> 1][i & 1] = 0;
		return NP_EPA_OK;
	default:
		return NP_EPA_BAD;
	}
	/* addresses first: they never loosen a word written after them */
	e->ip4 = a->rec.ip4;
	__builtin_memcpy(e->ip6, a->rec.ip6, 16);
	e->src_flags = a->rec.src_flags;
	for (i = 0; i < 4; i++)
		if (mask & (1u << i))
			e->w[i >> 1][i & 1] = a->rec.w[i >> 1][i & 1];
	if (op == NP_EPA_CLAIM)
		__sync_lock_test_and_set(&e->ifindex, a->rec.ifindex);
	return NP_EPA_OK;
}
