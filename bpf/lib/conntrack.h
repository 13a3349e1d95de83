/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Conntrack and fragment tracking: a new entry and how a live one follows
 * the packets of its flow (state, last seen), the idle timeout of an entry
 * by protocol and state, the direction-normalized conntrack keys; the key
 * that lets the later fragments of an allowed datagram follow its first.
 */
#ifndef NETPOL_BPF_LIB_CONNTRACK_H
#define NETPOL_BPF_LIB_CONNTRACK_H

#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "netpol_abi.h"
#include "config.h"
#include "maps.h"
#include "parse.h"

static __always_inline __u32 ct_timeout(__u8 proto, __u8 state)
{
	if (proto != IPPROTO_TCP)
		return np_rt.to.other;
	if (state == NP_CT_ESTABLISHED)
		return np_rt.to.tcp_established;
	if (state == NP_CT_CLOSING)
		return np_rt.to.tcp_closing;
	return np_rt.to.tcp_new;
}

/*
 * A live entry meets another packet of its flow (hi: the packet's source is
 * the key's [1]): its state and time follow the packet. False, and the
 * entry untouched, when the packet opens a new TCP connection on a closing
 * tuple: that one is judged anew.
 */
static __always_inline bool ct_refresh(struct np_ct_value *ct,
				       const struct pkt *p, bool hi, __u32 now)
{
	if (p->t.proto == IPPROTO_TCP) {
		if ((p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN &&
		    ct->state == NP_CT_CLOSING)
			return false;
		if (p->tcp_flags & (TCPF_FIN | TCPF_RST)) {
			if (ct->state != NP_CT_CLOSING)
				ct->state = NP_CT_CLOSING;
		} else if (ct->state == NP_CT_NEW &&
			   hi != !!(ct->flags & NP_CTF_ORIG_HI)) {
			ct->state = NP_CT_ESTABLISHED;
		}
	} else if (ct->state == NP_CT_NEW &&
		   hi != !!(ct->flags & NP_CTF_ORIG_HI)) {
		ct->state = NP_CT_ESTABLISHED;
	}
	if (ct->last_seen != now)
		ct->last_seen = now;
	return true;
}

/*
 * The new entry of an allowed packet's flow, its counters slot already set
 * (hi as for ct_refresh).
 */
static __always_inline void ct_init(struct np_ct_value *v, const struct pkt *p,
				    bool hi, __u32 now)
{
	v->last_seen = now;
	v->state = NP_CT_NEW;
	v->flags = hi ? NP_CTF_ORIG_HI : 0;
	if (p->t.proto == IPPROTO_TCP && (p->tcp_flags & (TCPF_FIN | TCPF_RST)))
		v->state = NP_CT_CLOSING;
}

/*
 * The direction-normalized key of t; returns true when t's source is the
 * key's endpoint [1].
 */
static __always_inline bool ct_key4(struct np_ct_key_v4 *k,
				    const struct tuple *t, __u32 ifindex)
{
	bool hi = t->saddr[0] > t->daddr[0] ||
		  (t->saddr[0] == t->daddr[0] && t->sport > t->dport);

	if (hi) {
		k->addr[0] = t->daddr[0];
		k->port[0] = t->dport;
		k->addr[1] = t->saddr[0];
		k->port[1] = t->sport;
	} else {
		k->addr[0] = t->saddr[0];
		k->port[0] = t->sport;
		k->addr[1] = t->daddr[0];
		k->port[1] = t->dport;
	}
	k->ifproto = NP_CT_IFPROTO(ifindex, t->proto);
	return hi;
}

static __always_inline bool ct_key6(struct np_ct_key_v6 *k,
				    const struct tuple *t, __u32 ifindex)
{
	bool hi = false;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		if (t->saddr[i] != t->daddr[i]) {
			hi = bpf_ntohl(t->saddr[i]) > bpf_ntohl(t->daddr[i]);
			goto order;
		}
	}
	hi = t->sport > t->dport;
order:
	if (hi) {
		__builtin_memcpy(k->addr[1], t->saddr, 16);
		__builtin_memcpy(k->addr[0], t->daddr, 16);
		k->port[1] = t->sport;
		k->port[0] = t->dport;
	} else {
		__builtin_memcpy(k->addr[0], t->saddr, 16);
		__builtin_memcpy(k->addr[1], t->daddr, 16);
		k->port[0] = t->sport;
		k->port[1] = t->dport;
	}
	k->ifproto = NP_CT_IFPROTO(ifindex, t->proto);
	return hi;
}

/*
 * Write the entry of the packet's flow: true when it is a new element, not
 * one replacing an expired or closing entry of the same key (an LRU map
 * that is full evicts another entry for it).
 */
static __always_inline bool ct_insert(const struct pkt *p,
				      const struct np_ct_key_v4 *k4,
				      const struct np_ct_key_v6 *k6,
				      const struct np_ct_value *v)
{
	if (p->family == 4) {
		if (!bpf_map_update_elem(&ct_v4, k4, v, BPF_NOEXIST))
			return true;
		bpf_map_update_elem(&ct_v4, k4, v, BPF_ANY);
		return false;
	}
	if (!bpf_map_update_elem(&ct_v6, k6, v, BPF_NOEXIST))
		return true;
	bpf_map_update_elem(&ct_v6, k6, v, BPF_ANY);
	return false;
}

static __always_inline void frag_key(struct np_frag_key *k, const struct pkt *p,
				     __u32 ifindex)
{
	__builtin_memcpy(k->saddr, p->t.saddr, 16);
	__builtin_memcpy(k->daddr, p->t.daddr, 16);
	k->id = p->frag_id;
	k->ifproto = NP_CT_IFPROTO(ifindex, p->frag_proto);
}

#endif /* NETPOL_BPF_LIB_CONNTRACK_H */
