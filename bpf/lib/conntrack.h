/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Conntrack and fragment tracking: the direction-normalized conntrack keys
 * and the idle timeout of an entry by protocol and state; the key that
 * lets the later fragments of an allowed datagram follow its first.
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

static __always_inline void frag_key(struct np_frag_key *k, const struct pkt *p,
				     __u32 ifindex)
{
	__builtin_memcpy(k->saddr, p->t.saddr, 16);
	__builtin_memcpy(k->daddr, p->t.daddr, 16);
	k->id = p->frag_id;
	k->ifproto = NP_CT_IFPROTO(ifindex, p->frag_proto);
}

#endif /* NETPOL_BPF_LIB_CONNTRACK_H */
