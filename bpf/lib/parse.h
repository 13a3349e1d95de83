/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet parsing: the flow of one packet (struct pkt) from its Ethernet,
 * IPv4 or IPv6 (with extension headers), and L4 headers; fragment kind;
 * the inner header an ICMP error quotes. The rare paths, the inner header
 * (np_parse_inner) and the IPv6 extension header walk (np_parse_ext6), are
 * global functions the verifier checks once, so one object only includes
 * this.
 */
#ifndef NETPOL_BPF_LIB_PARSE_H
#define NETPOL_BPF_LIB_PARSE_H

#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

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

/*
 * The addresses of the IPv6 header at h into t, a word at a time, as the
 * IPv4 ones: a memcpy from a byte pointer is 32 byte loads and the shifts
 * that join them (about 100 instructions a packet).
 */
static __always_inline void addrs6(struct tuple *t, const __u8 *h)
{
	const __u32 *a = (const __u32 *)(h + 8);

	t->saddr[0] = a[0];
	t->saddr[1] = a[1];
	t->saddr[2] = a[2];
	t->saddr[3] = a[3];
	t->daddr[0] = a[4];
	t->daddr[1] = a[5];
	t->daddr[2] = a[6];
	t->daddr[3] = a[7];
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
 * The largest ICMP error (IP packet, bytes) that can be related to a flow:
 * what a router may send, RFC 1812 4.3.2.3 (576) and RFC 4443 2.4 (c)
 * (1280, the IPv6 minimum MTU).
 */
#define NP_ICMP4_ERR_MAX 576
#define NP_ICMP6_ERR_MAX 1280

/*
 * The header embedded in an ICMP error at off. The error is related to the
 * flow of that header (p->related) only when it goes back to the quoted
 * packet's sender (outer destination == inner source: whoever reports on a
 * packet reports to the packet's source), is no larger than a router may
 * send (NP_ICMP*_ERR_MAX), and quotes a first fragment (or an unfragmented
 * packet) with no IPv6 extension headers. Anything else is not related to a
 * flow, and the error is judged on its own, as the new flow it is. The
 * same veth is the conntrack key's: the caller probes with its ifindex.
 */
__attribute__((noinline)) int np_parse_inner(struct __sk_buff *skb, __u32 off,
					     struct pkt *p)
{
	__u8 *h;
	__u32 l4;
	int i;

	if (!p)
		return 0;
	if (skb->len - ETH_HLEN >
	    (p->family == 4 ? NP_ICMP4_ERR_MAX : NP_ICMP6_ERR_MAX))
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
		addrs6(&p->in, h);
		l4 = off + 40;
	}
	if (p->in.proto == IPPROTO_ICMP && p->family == 6)
		return 0;
	if (p->in.proto == IPPROTO_ICMPV6 && p->family == 4)
		return 0;
	for (i = 0; i < (p->family == 4 ? 1 : 4); i++)
		if (p->in.saddr[i] != p->t.daddr[i])
			return 0; /* not to the quoted packet's sender */
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

/* Whether an IPv6 next header is an extension header that parse_v6 walks. */
static __always_inline bool is_exthdr6(__u8 nexthdr)
{
	switch (nexthdr) {
	case 0: /* hop-by-hop options */
	case 43: /* routing */
	case 44: /* fragment */
	case 51: /* authentication header */
	case 60: /* destination options */
	case 135: /* mobility */
		return true;
	}
	return false;
}

/*
 * Where an IPv6 extension header walk stands: the next header and its
 * offset; the fragment header's kind, id and next header when one was
 * walked.
 */
struct np_ext6 {
	__u32 off;
	__u32 frag_id;
	__u8 nexthdr;
	__u8 frag; /* enum frag_kind */
	__u8 frag_proto;
	__u8 pad;
};

/*
 * Walk at most NP_MAX_EXTHDR extension headers from x->nexthdr at x->off
 * to the upper-layer header, or to a non-first fragment's fragment header
 * (x->frag FRAG_LATER: no upper-layer header follows). Returns P_OK or
 * P_BAD (truncated, or more extension headers than walked).
 *
 * A global function, which the verifier checks once: inline, the unrolled
 * walk was half the verifier's work on both programs (26,600 of 53,800
 * instructions with np_judge inline). Only packets that carry extension
 * headers call it.
 */
__attribute__((noinline)) int np_parse_ext6(struct __sk_buff *skb,
					    struct np_ext6 *x)
{
	__u32 off;
	__u16 frag_off;
	__u8 nexthdr, *h;
	int i;

	if (!x)
		return P_BAD;
	off = x->off;
	nexthdr = x->nexthdr;
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
			x->frag_id = *(__u32 *)(h + 4);
			x->frag_proto = nexthdr;
			if (frag_off & 0xfff8) {
				x->nexthdr = nexthdr;
				x->frag = FRAG_LATER;
				return P_OK;
			}
			x->frag = FRAG_FIRST;
			break;
		default:
			x->off = off;
			x->nexthdr = nexthdr;
			return P_OK;
		}
	}
	if (is_exthdr6(nexthdr))
		return P_BAD; /* too many extension headers */
	x->off = off;
	x->nexthdr = nexthdr;
	return P_OK;
}

static __always_inline int parse_v6(struct __sk_buff *skb, struct pkt *p)
{
	__u32 off = ETH_HLEN + 40;
	__u8 *h = hdr(skb, ETH_HLEN, 40);
	__u8 nexthdr;

	if (!h || (h[0] >> 4) != 6)
		return P_BAD;
	p->family = 6;
	nexthdr = h[6];
	addrs6(&p->t, h);
	if (is_exthdr6(nexthdr)) {
		struct np_ext6 x = { .off = off, .nexthdr = nexthdr };

		if (np_parse_ext6(skb, &x) != P_OK)
			return P_BAD;
		nexthdr = x.nexthdr;
		off = x.off;
		if (x.frag != FRAG_NONE) {
			p->frag_id = x.frag_id;
			p->frag_proto = x.frag_proto;
			if (x.frag == FRAG_LATER) {
				p->t.proto = nexthdr;
				p->frag = FRAG_LATER;
				return P_OK;
			}
			p->frag = FRAG_FIRST;
		}
	}
	p->t.proto = nexthdr;
	return parse_l4(skb, off, p);
}

/*
 * Inline: as a global function it kept the packet's fields in memory and
 * needed the whole struct zeroed, 5-11 ns per packet. The rare paths are
 * global functions instead (np_parse_inner, np_parse_ext6, np_emit), which
 * keeps the verifier's work for both programs near 30,000 instructions.
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

#endif /* NETPOL_BPF_LIB_PARSE_H */
