// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libnetpol datapath: Kubernetes NetworkPolicy enforced on the host side of
 * each pod's veth (DESIGN §4).
 *
 *   np_tc_egress_pod    TC ingress of the host veth: packets leaving the pod
 *   np_tc_ingress_pod   TC egress of the host veth: packets into the pod
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
 *      UNISOLATED allow; DEFAULT_DENY drops; POLICIES_APPLIED looks the peer
 *      up under the direction's rule-set id, as a host key in an exact-match
 *      hash and, on a miss, in the LPM trie of shorter prefixes (only when
 *      the rule set has any), and the packet's destination port in the port
 *      set the key points to.
 *   4. An allowed packet creates a conntrack entry; a new flow and every drop
 *      emit a flow event while events are switched on.
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
 * parameter problem) are related to the flow of the header they embed:
 * allowed when that flow is in conntrack. Otherwise they are judged as any
 * other ICMP packet of their sender (so an unisolated pod still gets them,
 * an isolated one only from a peer allowed every protocol), and they never
 * create conntrack entries.
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "netpol_abi.h"

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

#define NP_MAX_EXTHDR 6 /* IPv6 extension headers walked */
#define NP_MAX_HDR_OFF 512 /* no header starts beyond this */

#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct np_ep_value);
} endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NP_MAX_LPM_KEYS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct np_lpm_key_v4);
	__type(value, struct np_lpm_value);
} lpm_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NP_MAX_LPM_KEYS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct np_lpm_key_v6);
	__type(value, struct np_lpm_value);
} lpm_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NP_EPA_SIZE);
	__type(key, __u32);
	__type(value, struct np_epa);
} ep_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_HOST_KEYS);
	__type(key, struct np_host_key_v4);
	__type(value, struct np_lpm_value);
} host_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_HOST_KEYS);
	__type(key, struct np_host_key_v6);
	__type(value, struct np_lpm_value);
} host_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NP_MAX_PORTSETS);
	__type(key, __u32);
	__type(value, struct np_portset);
} portsets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * NP_MAX_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct np_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_CT_DEFAULT_SIZE);
	__type(key, struct np_ct_key_v4);
	__type(value, struct np_ct_value);
} ct_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_CT_DEFAULT_SIZE);
	__type(key, struct np_ct_key_v6);
	__type(value, struct np_ct_value);
} ct_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_FRAG_SIZE);
	__type(key, struct np_frag_key);
	__type(value, struct np_frag_value);
} frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NP_EVENTS_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NP_STATS_N);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Userspace bookkeeping, pinned with the rest; the programs never read it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_ENDPOINTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct np_pod_value);
} pods SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * NP_MAX_ENDPOINTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct np_ruleset_value);
} rulesets SEC(".maps");

/* Mutable at run time through the pinned, mmapable .bss map. */
struct np_dp_runtime np_rt;

/* From the kernel's config when libbpf finds it; 0 otherwise. */
extern unsigned int CONFIG_HZ __kconfig __weak;

enum parse_res {
	P_OK = 0,
	P_PASS, /* not ours to judge: let it through */
	P_BAD, /* malformed: drop */
};

enum frag_kind {
	FRAG_NONE = 0,
	FRAG_FIRST,
	FRAG_LATER,
};

/* The flow of one packet. Addresses and ports in network byte order. */
struct tuple {
	__u32 saddr[4];
	__u32 daddr[4];
	__u16 sport;
	__u16 dport;
	__u8 proto;
};

struct pkt {
	struct tuple t; /* the packet itself */
	struct tuple in; /* ICMP error: the embedded header's flow */
	__u32 frag_id;
	__u8 frag_proto; /* v4 protocol; v6 next header of the frag hdr */
	__u8 family; /* 4 or 6 */
	__u8 tcp_flags;
	__u8 frag; /* enum frag_kind */
	__u8 icmp_err; /* an ICMP error: creates no conntrack */
	__u8 related; /* icmp_err and .in parsed */
};

/*
 * A pointer to len bytes at off, pulling non-linear data in when needed.
 * Callers copy what they need at once: a pull invalidates older pointers.
 */
static __always_inline void *hdr(struct __sk_buff *skb, __u32 off, __u32 len)
{
	void *data, *end;

	if (off > NP_MAX_HDR_OFF)
		return NULL;
	/*
	 * Keep clang from hoisting &skb->data_end into a register: the
	 * verifier wants ctx fields loaded at constant offsets from ctx.
	 */
	asm volatile("" : "+r"(skb));
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + off + len <= end)
		return data + off;
	if (off + len > skb->len || bpf_skb_pull_data(skb, off + len))
		return NULL;
	asm volatile("" : "+r"(skb));
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + off + len > end)
		return NULL;
	return data + off;
}

static __always_inline bool icmp4_is_error(__u8 type)
{
	return type == 3 || type == 11 || type == 12;
}

static __always_inline bool icmp6_is_error(__u8 type)
{
	return type >= 1 && type <= 4;
}

/* ICMP echo carries its identifier in both ports: replies share the key. */
static __always_inline bool icmp_is_echo(__u8 proto, __u8 type)
{
	if (proto == IPPROTO_ICMP)
		return type == 8 || type == 0;
	return type == 128 || type == 129;
}

/* Ports of a TCP/UDP/SCTP header or an ICMP echo at off, into t. */
static __always_inline bool parse_ports(struct __sk_buff *skb, __u32 off,
					struct tuple *t)
{
	__u8 *h;

	switch (t->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		h = hdr(skb, off, 4);
		if (!h)
			return false;
		t->sport = *(__u16 *)h;
		t->dport = *(__u16 *)(h + 2);
		return true;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		h = hdr(skb, off, 8);
		if (!h || !icmp_is_echo(t->proto, h[0]))
			return false;
		t->sport = *(__u16 *)(h + 4);
		t->dport = t->sport;
		return true;
	}
	return false;
}

/*
 * The header embedded in an ICMP error at off. Only its first fragment (or
 * an unfragmented one) and no IPv6 extension headers: anything else is not
 * related to a flow, and the error is judged on its own.
 */
__attribute__((noinline)) int np_parse_inner(struct __sk_buff *skb, __u32 off,
					     struct pkt *p)
{
	__u8 *h;
	__u32 l4;

	if (!p)
		return 0;

	if (p->family == 4) {
		h = hdr(skb, off, 20);
		if (!h || (h[0] >> 4) != 4 || (h[0] & 0xf) < 5)
			return 0;
		if (bpf_ntohs(*(__u16 *)(h + 6)) & IP_OFFMASK)
			return 0;
		p->in.proto = h[9];
		p->in.saddr[0] = *(__u32 *)(h + 12);
		p->in.daddr[0] = *(__u32 *)(h + 16);
		l4 = off + (h[0] & 0xf) * 4;
	} else {
		h = hdr(skb, off, 40);
		if (!h || (h[0] >> 4) != 6)
			return 0;
		p->in.proto = h[6];
		__builtin_memcpy(p->in.saddr, h + 8, 16);
		__builtin_memcpy(p->in.daddr, h + 24, 16);
		l4 = off + 40;
	}
	if (p->in.proto == IPPROTO_ICMP && p->family == 6)
		return 0;
	if (p->in.proto == IPPROTO_ICMPV6 && p->family == 4)
		return 0;
	p->related = parse_ports(skb, l4, &p->in);
	return 0;
}

/* The L4 header at off: ports, TCP flags, ICMP echo ids and errors. */
static __always_inline int parse_l4(struct __sk_buff *skb, __u32 off,
				    struct pkt *p)
{
	__u8 *h;
	__u8 type;

	switch (p->t.proto) {
	case IPPROTO_TCP:
		h = hdr(skb, off, 14);
		if (!h)
			return P_BAD;
		p->t.sport = *(__u16 *)h;
		p->t.dport = *(__u16 *)(h + 2);
		p->tcp_flags = h[13];
		return P_OK;
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		h = hdr(skb, off, 4);
		if (!h)
			return P_BAD;
		p->t.sport = *(__u16 *)h;
		p->t.dport = *(__u16 *)(h + 2);
		return P_OK;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((p->t.proto == IPPROTO_ICMP) != (p->family == 4))
			return P_OK; /* no ports, judged by address */
		h = hdr(skb, off, 8);
		if (!h)
			return P_BAD;
		type = h[0];
		if (icmp_is_echo(p->t.proto, type)) {
			p->t.sport = *(__u16 *)(h + 4);
			p->t.dport = p->t.sport;
			return P_OK;
		}
		if (p->family == 6) {
			/* MLD (130-132, 143) and ND (133-137): link-local */
			if ((type >= 130 && type <= 137) || type == 143)
				return P_PASS;
			if (!icmp6_is_error(type))
				return P_OK;
		} else if (!icmp4_is_error(type)) {
			return P_OK;
		}
		if (p->frag == FRAG_NONE) {
			p->icmp_err = 1;
			np_parse_inner(skb, off + 8, p);
		}
		return P_OK;
	}
	return P_OK; /* other protocols: no ports */
}

static __always_inline int parse_v4(struct __sk_buff *skb, struct pkt *p)
{
	__u8 *h = hdr(skb, ETH_HLEN, 20);
	__u16 frag_off;
	__u8 ihl;

	if (!h || (h[0] >> 4) != 4)
		return P_BAD;
	ihl = h[0] & 0xf;
	if (ihl < 5)
		return P_BAD;
	p->family = 4;
	p->t.proto = h[9];
	p->t.saddr[0] = *(__u32 *)(h + 12);
	p->t.daddr[0] = *(__u32 *)(h + 16);
	frag_off = bpf_ntohs(*(__u16 *)(h + 6));
	if (frag_off & (IP_MF | IP_OFFMASK)) {
		p->frag_id = *(__u16 *)(h + 4);
		p->frag_proto = p->t.proto;
		if (frag_off & IP_OFFMASK) {
			p->frag = FRAG_LATER;
			return P_OK;
		}
		p->frag = FRAG_FIRST;
	}
	return parse_l4(skb, ETH_HLEN + ihl * 4, p);
}

static __always_inline int parse_v6(struct __sk_buff *skb, struct pkt *p)
{
	__u32 off = ETH_HLEN + 40;
	__u8 *h = hdr(skb, ETH_HLEN, 40);
	__u16 frag_off;
	__u8 nexthdr;
	int i;

	if (!h || (h[0] >> 4) != 6)
		return P_BAD;
	p->family = 6;
	nexthdr = h[6];
	__builtin_memcpy(p->t.saddr, h + 8, 16);
	__builtin_memcpy(p->t.daddr, h + 24, 16);

#pragma unroll
	for (i = 0; i < NP_MAX_EXTHDR; i++) {
		switch (nexthdr) {
		case 0: /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
		case 135: /* mobility */
			h = hdr(skb, off, 2);
			if (!h)
				return P_BAD;
			nexthdr = h[0];
			off += (h[1] + 1) * 8;
			break;
		case 51: /* authentication header */
			h = hdr(skb, off, 2);
			if (!h)
				return P_BAD;
			nexthdr = h[0];
			off += (h[1] + 2) * 4;
			break;
		case 44: /* fragment */
			h = hdr(skb, off, 8);
			if (!h)
				return P_BAD;
			nexthdr = h[0];
			frag_off = bpf_ntohs(*(__u16 *)(h + 2));
			off += 8;
			if (!(frag_off & 0xfff9))
				break; /* atomic fragment (RFC 6946) */
			p->frag_id = *(__u32 *)(h + 4);
			p->frag_proto = nexthdr;
			if (frag_off & 0xfff8) {
				p->t.proto = nexthdr;
				p->frag = FRAG_LATER;
				return P_OK;
			}
			p->frag = FRAG_FIRST;
			break;
		default:
			goto l4;
		}
	}
	switch (nexthdr) {
	case 0:
	case 43:
	case 44:
	case 51:
	case 60:
	case 135:
		return P_BAD; /* too many extension headers */
	}
l4:
	p->t.proto = nexthdr;
	return parse_l4(skb, off, p);
}

/*
 * Inline: as a global function it kept the packet's fields in memory and
 * needed the whole struct zeroed, 5-11 ns per packet. The rare paths are
 * global functions instead (np_parse_inner, np_emit), which keeps the
 * verifier's work under 40,000 instructions for both programs.
 */
static __always_inline int np_parse(struct __sk_buff *skb, struct pkt *p)
{
	__u16 *h;
	__u16 proto;

	if (!p)
		return P_BAD;
	h = hdr(skb, 0, ETH_HLEN);
	if (!h)
		return P_BAD;
	proto = h[6];
	if (proto == bpf_htons(ETH_P_IP))
		return parse_v4(skb, p);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_v6(skb, p);
	return P_PASS; /* ARP and every non-IP frame */
}

static __always_inline void count(struct __sk_buff *skb, __u32 slot, __u32 dir,
				  bool deny)
{
	__u32 idx = slot * 2 + dir;
	struct np_counters *c = bpf_map_lookup_elem(&counters, &idx);
	__u32 segs = skb->gso_segs;

	if (!c)
		return;
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

static __always_inline void frag_key(struct np_frag_key *k, const struct pkt *p,
				     __u32 ifindex)
{
	__builtin_memcpy(k->saddr, p->t.saddr, 16);
	__builtin_memcpy(k->daddr, p->t.daddr, 16);
	k->id = p->frag_id;
	k->ifproto = NP_CT_IFPROTO(ifindex, p->frag_proto);
}

static __always_inline __u32 now_jiffies(void)
{
	return (__u32)bpf_jiffies64();
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

static __always_inline int handle(struct __sk_buff *skb, const __u32 dir)
{
	/* every byte of these keys is written before use: no padding */
	struct np_ct_key_v4 k4;
	struct np_ct_key_v6 k6;
	struct np_frag_key fk;
	struct np_ct_value *ct, nct;
	struct np_frag_value *fv, nfv;
	union ep_word ep;
	struct np_portset *ps;
	struct np_lpm_value *lv;
	const struct tuple *t;
	struct pkt p = {};
	__u32 ifindex = skb->ifindex;
	__u32 ruleset = 0, now, psidx, *peer;
	__u8 reason, plen = NP_EV_PLEN_NONE;
	bool hi = false;
	int res;

	res = np_parse(skb, &p);
	if (res == P_PASS)
		return TC_ACT_OK;
	if (res == P_BAD) {
		reason = NP_DPR_DENY_MALFORMED;
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
			count(skb, ct->slot, dir, false);
			return TC_ACT_OK;
		}
		if (p.t.proto == IPPROTO_TCP) {
			/* A new connection on a closing tuple: judge it */
			if ((p.tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN &&
			    ct->state == NP_CT_CLOSING)
				goto miss;
			if (p.tcp_flags & (TCPF_FIN | TCPF_RST)) {
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
		nfv.slot = ct->slot;
		count(skb, ct->slot, dir, false);
		if (p.frag == FRAG_FIRST)
			goto frag_first;
		return TC_ACT_OK;
	}

miss:
	if (!ep_get(ifindex, dir, &ep))
		return TC_ACT_OK; /* not a pod of ours */
	nct.slot = ep.d.slot;

	peer = dir == NP_DIR_EGRESS ? p.t.daddr : p.t.saddr;
	if (is_node_ip(&p, peer)) {
		reason = NP_DPR_ALLOW_NODE;
		goto allow;
	}
	switch (ep.d.state) {
	case NP_EP_DEFAULT_ALLOW:
		reason = NP_DPR_ALLOW_DEFAULT;
		goto allow;
	case NP_EP_UNISOLATED:
		reason = NP_DPR_ALLOW_UNISOLATED;
		goto allow;
	case NP_EP_POLICIES_APPLIED:
		break;
	default:
		reason = NP_DPR_DENY_STRICT_DEFAULT;
		goto deny_ep;
	}

	ruleset = ep.d.ruleset;
	/* the host key first: when there is one, it is the longest prefix */
	if (p.family == 4) {
		struct np_lpm_key_v4 lk = {
			.prefixlen = NP_RULESET_BITS + 32,
			.ruleset = bpf_htonl(ruleset),
		};

		__builtin_memcpy(lk.addr, peer, 4);
		lv = bpf_map_lookup_elem(&host_v4, &lk.ruleset);
		if (!lv && (ep.d.lpm & NP_EPL_V4))
			lv = bpf_map_lookup_elem(&lpm_v4, &lk);
	} else {
		struct np_lpm_key_v6 lk = {
			.prefixlen = NP_RULESET_BITS + 128,
			.ruleset = bpf_htonl(ruleset),
		};

		__builtin_memcpy(lk.addr, peer, 16);
		lv = bpf_map_lookup_elem(&host_v6, &lk.ruleset);
		if (!lv && (ep.d.lpm & NP_EPL_V6))
			lv = bpf_map_lookup_elem(&lpm_v6, &lk);
	}
	if (!lv) {
		reason = NP_DPR_DENY_NO_MATCH;
		goto deny_ep;
	}
	plen = lv->portset >> NP_LPM_PLEN_SHIFT;
	psidx = lv->portset & NP_LPM_PS_MASK;
	ps = bpf_map_lookup_elem(&portsets, &psidx);
	if (!ps || !portset_match(ps, p.t.proto, bpf_ntohs(p.t.dport))) {
		reason = NP_DPR_DENY_PORT;
		goto deny_ep;
	}
	reason = NP_DPR_ALLOW_RULE;

allow:
	count(skb, nct.slot, dir, false);
	if (!p.icmp_err && !np_rt.bench_no_ct_insert) {
		nct.last_seen = now;
		nct.state = NP_CT_NEW;
		nct.flags = hi ? NP_CTF_ORIG_HI : 0;
		if (p.t.proto == IPPROTO_TCP &&
		    (p.tcp_flags & (TCPF_FIN | TCPF_RST)))
			nct.state = NP_CT_CLOSING;
		if (p.family == 4)
			bpf_map_update_elem(&ct_v4, &k4, &nct, BPF_ANY);
		else
			bpf_map_update_elem(&ct_v6, &k6, &nct, BPF_ANY);
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
	if (!ep_get(ifindex, dir, &ep))
		return TC_ACT_OK; /* not a pod of ours */
deny_ep:
	count(skb, ep.d.slot, dir, true);
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
	__u32 idx = a->ifindex & (NP_EPA_SIZE - 1);
	struct np_epa *e = bpf_map_lookup_elem(&ep_cache, &idx);
	__u32 op = a->op;

	if (!e)
		return NP_EPA_BAD;
	switch (op) {
	case NP_EPA_CLAIM:
		if (e->ifindex)
			return NP_EPA_NOT_OWNER;
		e->dir[0] = a->dir[0];
		e->dir[1] = a->dir[1];
		__sync_lock_test_and_set(&e->ifindex, a->ifindex);
		return NP_EPA_OK;
	case NP_EPA_UPDATE:
		if (e->ifindex != a->ifindex)
			return NP_EPA_NOT_OWNER;
		e->dir[0] = a->dir[0];
		e->dir[1] = a->dir[1];
		return NP_EPA_OK;
	case NP_EPA_RELEASE:
		if (e->ifindex != a->ifindex)
			return NP_EPA_NOT_OWNER;
		__sync_lock_test_and_set(&e->ifindex, 0);
		e->dir[0] = 0;
		e->dir[1] = 0;
		return NP_EPA_OK;
	}
	return NP_EPA_BAD;
}
