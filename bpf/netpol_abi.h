/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The map layout shared by the TC programs (bpf/netpol.bpf.c) and
 * userspace (libnetpol/mapset.c, the libnetpol/dp_*.c loader). Fixed-width types,
 * explicit padding, every size asserted.
 *
 * Policy lookup for a new flow of endpoint E in direction D:
 *   ep   = endpoints[ifindex]                  (rule-set id per direction)
 *   v    = host_v4|host_v6[{ep.ruleset[D], peer address}]     (exact)
 *   else, when ep.lpm[D] has the family's bit (NP_EPL_V4/V6),
 *     with NP_EPL_PLH_V4/V6: for each length L of
 *       m = rs_plens[ep.ruleset[D] % NP_RS_PLENS_SIZE] (m.ruleset must
 *       be ep.ruleset[D]), longest first, until one is found:
 *     v  = pfx_v4|pfx_v6[{L, ep.ruleset[D], peer address masked to L}]
 *     else
 *     v  = lpm_v4|lpm_v6[{prefixlen, ep.ruleset[D], peer address}]
 *   set  = portsets[v.portset]
 *   allow iff set.flags & NP_PS_ALL, or (proto << 16 | port) falls in one
 *   of set.slots[0 .. set.count) (sorted, disjoint: binary search).
 */
#ifndef NETPOL_ABI_H
#define NETPOL_ABI_H

#ifdef __BPF__
#include <linux/types.h>
#else
#include <linux/types.h>
#endif

/* The public limits (NP_MAX_PORT_SLOTS, NP_MAX_ENDPOINTS, ...). */
#include "../include/netpol/limits.h"

#define NP_MAX_SLOTS NP_MAX_PORT_SLOTS /* port slots per LPM key */
#define NP_RULESET_BITS 32 /* leading, always fully matched */

enum np_dir {
	NP_DIR_INGRESS = 0, /* into the pod: TC egress of the host veth */
	NP_DIR_EGRESS = 1, /* out of the pod: TC ingress of the host veth */
};

/* Endpoint state per direction. */
enum np_ep_state {
	NP_EP_DEFAULT_ALLOW = 0, /* standard mode, no rules yet */
	NP_EP_DEFAULT_DENY = 1, /* strict mode, no rules yet */
	NP_EP_POLICIES_APPLIED = 2, /* look up ruleset[dir] */
	NP_EP_UNISOLATED = 3, /* rules known: no policy selects */
	NP_EP_FAIL_CLOSED = 4, /* rules cannot be enforced: deny new flows */
};

/*
 * np_ep_dir.lpm: the rule set has prefix keys in that family (V4, V6),
 * none of host keys (NOHOST: no exact-match lookup needed), and its
 * prefix keys are in the per-length hash instead of the LPM trie (PLH:
 * written at most at NP_PLH_MAX distinct lengths, listed in rs_plens).
 */
#define NP_EPL_V4 0x1
#define NP_EPL_V6 0x2
#define NP_EPL_NOHOST_V4 0x4
#define NP_EPL_NOHOST_V6 0x8
#define NP_EPL_PLH_V4 0x10
#define NP_EPL_PLH_V6 0x20
#define NP_EPL_PLH (NP_EPL_PLH_V4 | NP_EPL_PLH_V6)

/*
 * One direction of an endpoint, read by the programs as one 8-byte word
 * (from the endpoints hash or from ep_cache: one layout for both).
 */
struct np_ep_dir {
	__u32 ruleset;
	__u8 state; /* enum np_ep_state */
	__u8 lpm; /* NP_EPL_* */
	__u16 slot; /* counters index: slot * 2 + dir; equal in both */
} __attribute__((aligned(8)));

/* One generation of an endpoint record: both directions' words. */
struct np_ep_value {
	struct np_ep_dir dir[2]; /* by enum np_dir */
};

/* np_ep_rec.src_flags: the pod's source addresses known (see below) */
#define NP_SRC_V4 0x1 /* ip4 is the pod's IPv4 address */
#define NP_SRC_V6 0x2 /* ip6 is the pod's IPv6 address */

/*
 * endpoints: BPF_MAP_TYPE_HASH, key __u32 host-veth ifindex, value this
 * record; ep_cache (below) holds copies of the same record.
 *
 * Double-buffered: w[g][d] is direction d's word (struct np_ep_dir) of
 * generation g, and a packet uses generation np_dp_runtime.gen & 1, read
 * once. Outside a transaction both generations are equal, and a change of
 * one pod writes both. A transaction (np_datapath_begin()) writes the
 * other generation of every pod it changes, then flips np_rt.gen with one
 * store: every packet is judged by the whole old node state or the whole
 * new one. After an RCU grace period the commit copies the new generation
 * over the old; a writer that finds them different (a transaction that
 * died before or after its flip) copies the live one over the other.
 *
 * Source addresses: on pod egress, when src_flags has any bit, a packet's
 * source must be ip4 (IPv4; none allowed without NP_SRC_V4) or ip6 or a
 * link-local address (IPv6; the host never forwards link-local sources).
 */
struct np_ep_rec {
	__u32 ifindex; /* ep_cache: the owner, 0: free; endpoints: 0 */
	__u32 ip4; /* network byte order */
	__u64 w[2][2]; /* [generation][enum np_dir]: struct np_ep_dir */
	__u8 ip6[16];
	__u32 src_flags; /* NP_SRC_* */
	__u32 pad;
};

/*
 * ep_cache: BPF_MAP_TYPE_ARRAY of NP_EPA_SIZE, index ifindex % NP_EPA_SIZE.
 * A copy of endpoint records the programs read without a hash lookup (an
 * array lookup is inlined; a hash lookup costs ~25 ns). An entry serves
 * the ifindex it names; another ifindex with the same index (rare: live
 * pods whose ifindexes differ by a multiple of NP_EPA_SIZE) falls back to
 * the endpoints hash, which stays the truth. Each word is written by the
 * np_epa_set program with a single store, so a packet sees a direction's
 * rule-set id, state and flags of one generation, as with the hash's
 * atomic replace. The owner is set after the words and cleared before
 * them (BPF_XCHG: ordered).
 */
#define NP_EPA_SIZE 65536

/* The context of np_epa_set (BPF_PROG_TYPE_SYSCALL, BPF_PROG_TEST_RUN). */
#define NP_EPA_CLAIM 1 /* write the words and addresses, then the owner */
#define NP_EPA_UPDATE 2 /* the owner's words in mask, and addresses */
#define NP_EPA_RELEASE 3 /* clear the owner, then the words */

/* Its return values. */
#define NP_EPA_OK 0
#define NP_EPA_NOT_OWNER 1 /* UPDATE, RELEASE: the entry is another's */
#define NP_EPA_BAD 2 /* unknown op */

struct np_epa_args {
	__u32 op; /* NP_EPA_* */
	__u32 mask; /* UPDATE: words to write, bit g * 2 + d */
	struct np_ep_rec rec; /* its ifindex is the entry's */
};

/*
 * A rule set's keys are split by prefix length. Host keys (/32, /128: pod
 * IPs, the common case) live in an exact-match hash, one probe whatever the
 * number of keys; the longest prefix of an address is its host key when
 * there is one, so it is looked up first. Shorter prefixes (ipBlock CIDRs)
 * live in the LPM trie, looked up only on a host miss and only when the
 * rule set has any (np_ep_dir.lpm), so a rule set of pod IPs alone never
 * walks the trie.
 */
/*
 * host_v4, host_v6: BPF_MAP_TYPE_HASH of NP_MAX_HOST_KEYS, preallocated
 * (writes take no allocation: 3x faster, and a full map is a clean -E2BIG
 * at apply), value np_lpm_value. That is 10 MiB (v4) and 12 MiB (v6) of
 * kernel memory from load, 80 and 96 bytes per key of capacity.
 */
struct np_host_key_v4 {
	__u32 ruleset; /* big-endian, as in np_lpm_key_v4 */
	__u8 addr[4];
};

struct np_host_key_v6 {
	__u32 ruleset;
	__u8 addr[16];
};

/* lpm_v4: BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC. */
struct np_lpm_key_v4 {
	__u32 prefixlen; /* NP_RULESET_BITS + address prefix */
	__u32 ruleset; /* big-endian, so it is matched first */
	__u8 addr[4];
};

/* lpm_v6: BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC. */
struct np_lpm_key_v6 {
	__u32 prefixlen;
	__u32 ruleset;
	__u8 addr[16];
};

struct np_lpm_value {
	__u32 portset; /* index into portsets (NP_LPM_PS_MASK, PLEN_SHIFT) */
	/*
	 * The key's number in its rule set, 1..: with the rule-set id, its
	 * entry in rule_ctrs (np_rule_ctr_key); 0: the key has no counters.
	 */
	__u32 ctr;
};

/*
 * rule_ctrs: BPF_MAP_TYPE_PERCPU_HASH (BPF_F_NO_PREALLOC) of per-key
 * packets and bytes allowed and denied, written by the programs only while
 * np_dp_runtime.rule_counters_on. The key is (rule-set id, key number):
 * rule-set ids are never given again (np__rs_id_alloc()), so an entry can
 * never be counted for another rule set's key, and the loader needs no
 * counter ids of its own. The program creates an entry at the first packet
 * a key decides (allowed: the key and its port set matched; denied: the
 * key matched, its port set did not, an except hole included); a tracked
 * flow records the key number (np_ct_value.ctr; its rule set is
 * np_ct_value.judged) and counts every later packet, replies included, to
 * the entry. Deleting a rule set deletes its entries.
 */
#define NP_RULE_CTRS_SIZE 262144

struct np_rule_ctr_key {
	__u32 ruleset; /* host byte order */
	__u32 key; /* np_lpm_value.ctr */
};

/*
 * The per-length hash (PLH). A trie walk costs a new flow ~30 ns even on a
 * small trie, more than two hash probes; most rule sets have few distinct
 * prefix lengths (an ipBlock /24 and its except /25, a cluster policy's
 * /0). A rule set whose prefix keys of a family have at most NP_PLH_MAX
 * distinct lengths keeps them in pfx_v4/pfx_v6 instead of the trie: a hash
 * (BPF_F_NO_PREALLOC) whose key is the LPM key with the address masked to
 * its length, probed once per length, longest first; the first hit is the
 * longest prefix that covers the peer, as the trie's answer. More lengths
 * keep the trie (a miss costs one probe per length). The lengths are the
 * ones written: the loader may write a shorter key as the pieces of a
 * longer length that its longer keys leave (libnetpol/mapset_plh.c), each
 * piece's value carrying the key's own length (NP_LPM_PLEN_SHIFT).
 *
 * The lengths are in rs_plens, with the address mask of each (so that the
 * program masks with one AND a word, without branches the verifier would
 * walk per length), an array indexed by rule-set id modulo
 * NP_RS_PLENS_SIZE: ids are given so that no two live rule sets share an
 * index (there are at most NP_RS_PLENS_SIZE - 1: the rulesets table's
 * size). An entry is written before any endpoint word names its id and
 * cleared after the id is retired; a program that finds another id there
 * denies (no key).
 */
#define NP_PLH_MAX 6
#define NP_RS_PLENS_SIZE (4 * NP_MAX_ENDPOINTS)

struct np_rs_plens {
	__u32 ruleset; /* the id the entry is for; 0: free */
	__u8 n[2]; /* lengths per family [0] v4, [1] v6 */
	__u8 pad[2];
	__u8 len[2][NP_PLH_MAX]; /* address prefix lengths, longest first */
	__u8 pad2[4];
	/* the masks of those lengths, network byte order */
	__u32 mask4[NP_PLH_MAX];
	__u32 mask6[NP_PLH_MAX][4];
};

#define NP_PS_ALL 0x1 /* every protocol and port (ports absent) */

/* One range of one protocol: lo = proto << 16 | first, hi = ... | last. */
struct np_slot {
	__u32 lo;
	__u32 hi;
};

/* portsets: BPF_MAP_TYPE_ARRAY of sets shared by every key and rule set. */
struct np_portset {
	__u8 count; /* slots in use; the rest never match */
	__u8 flags; /* NP_PS_* */
	__u16 pad;
	struct np_slot slots[NP_MAX_SLOTS];
};

/* counters: BPF_MAP_TYPE_PERCPU_ARRAY, index slot * 2 + dir. */
struct np_counters {
	__u64 allow_pkts;
	__u64 allow_bytes;
	__u64 deny_pkts;
	__u64 deny_bytes;
};

_Static_assert(sizeof(struct np_ep_value) == 16, "np_ep_value");
_Static_assert(sizeof(struct np_host_key_v4) == 8, "np_host_key_v4");
_Static_assert(sizeof(struct np_ep_dir) == 8, "np_ep_dir");
_Static_assert(sizeof(struct np_ep_rec) == 64, "np_ep_rec");
_Static_assert(sizeof(struct np_epa_args) == 72, "np_epa_args");
_Static_assert(sizeof(struct np_host_key_v6) == 20, "np_host_key_v6");
_Static_assert(sizeof(struct np_lpm_key_v4) == 12, "np_lpm_key_v4");
_Static_assert(sizeof(struct np_lpm_key_v6) == 24, "np_lpm_key_v6");
_Static_assert(sizeof(struct np_lpm_value) == 8, "np_lpm_value");
_Static_assert(sizeof(struct np_rule_ctr_key) == 8, "np_rule_ctr_key");
_Static_assert(sizeof(struct np_slot) == 8, "np_slot");
_Static_assert(sizeof(struct np_portset) == 4 + 8 * NP_MAX_SLOTS, "np_portset");
_Static_assert(sizeof(struct np_counters) == 32, "np_counters");

/*
 * The EKS agent's layout, for the interop export only (never loaded by our
 * programs): key u32 prefixlen + 4/16 address bytes; value 24 slots.
 */
#define NP_EKS_PROTO_ANY 254
#define NP_EKS_PROTO_DENY 255

struct np_eks_slot {
	__u32 protocol;
	__u32 start_port; /* 0: any port */
	__u32 end_port; /* 0: single port */
};

struct np_eks_value {
	struct np_eks_slot slots[NP_MAX_SLOTS];
};

_Static_assert(sizeof(struct np_eks_value) == 288, "np_eks_value");

/*
 * The agent's cluster-policy maps (cp_ingress_map, cp_egress_map): per
 * slot a priority, rank * 10 + action; the agent takes the matching slot
 * with the least (priority / 10, action).
 */
#define NP_EKS_CP_DENY 0
#define NP_EKS_CP_ACCEPT 1
#define NP_EKS_CP_PASS 2

struct np_eks_cp_slot {
	__u32 protocol; /* 6, 17, 132, or NP_EKS_PROTO_ANY */
	__u32 priority;
	__u32 start_port; /* 0: any port */
	__u32 end_port; /* 0: single port */
};

struct np_eks_cp_value {
	struct np_eks_cp_slot slots[NP_MAX_SLOTS];
};

_Static_assert(sizeof(struct np_eks_cp_value) == 384, "np_eks_cp_value");

/* --- datapath-private ABI (conntrack, events) --- */

/* Map sizes of bpf/netpol.bpf.c (the loader may resize the conntrack). */
/*
 * The capacity limits NP_MAX_ENDPOINTS (endpoints), NP_MAX_PORTSETS
 * (portsets, [0] unused), NP_MAX_LPM_KEYS (lpm_v4, lpm_v6) and
 * NP_MAX_HOST_KEYS (host_v4, host_v6) come from netpol/limits.h.
 */
#define NP_CT_DEFAULT_SIZE 524288 /* conntrack entries per family */
#define NP_FRAG_SIZE 8192 /* datagrams in reassembly */
#define NP_EVENTS_BYTES (256 * 1024) /* ring buffer */

/*
 * Conntrack and fragment entries are stamped with the low 32 bits of
 * jiffies (bpf_jiffies64(), which the verifier inlines into one load: a
 * clock read costs nothing per packet). Userspace reads the same clock
 * through the np_tc_clock program (BPF_PROG_TEST_RUN) and converts with
 * np_dp_runtime.hz. Timeouts are in jiffies, written by the loader.
 */
struct np_dp_timeouts {
	__u32 tcp_new; /* SYN seen, no answer yet */
	__u32 tcp_established;
	__u32 tcp_closing; /* FIN or RST seen */
	__u32 other; /* UDP, SCTP, ICMP, other protocols */
	__u32 frag; /* first fragment to the last */
};

/* Idle timeouts in seconds (the loader multiplies by hz). */
#define NP_TMO_TCP_NEW 60
#define NP_TMO_TCP_ESTABLISHED 3600
#define NP_TMO_TCP_CLOSING 10
#define NP_TMO_OTHER 60
#define NP_TMO_FRAG 30

/*
 * Mutable runtime switches (.bss of netpol.bpf.c, mmapable and pinned):
 * flipped by the loader while the programs run. Unused node IP slots are
 * zero and counted out by node_ip4_n / node_ip6_n.
 */
struct np_dp_runtime {
	__u32 events_on; /* write flow events to the ring buffer */
	/*
	 * Benchmarks only: never insert conntrack entries, so that repeated
	 * BPF_PROG_TEST_RUN of one packet measures the new-flow path, and
	 * never record a re-judged flow's new rules, so that it measures the
	 * re-judge path. Never set it on a node: replies to allowed flows
	 * would be dropped.
	 */
	__u32 bench_no_ct_insert;
	__u32 node_ip4_n;
	__u32 node_ip6_n;
	__u32 node_ip4[2]; /* network byte order */
	__u32 node_ip6[2][4];
	struct np_dp_timeouts to; /* jiffies; set once, before any attach */
	__u32 hz; /* jiffies per second */
	/*
	 * The live generation of the endpoint records (low bit), flipped by
	 * a transaction's commit with one store.
	 */
	__u32 gen;
	/* established flows are not judged again when their rules change */
	__u32 revoke_off;
	/* pod source addresses are not checked */
	__u32 src_check_off;
	/* count packets and bytes per rule key (rule_ctrs) */
	__u32 rule_counters_on;
};

/*
 * Written by the loader (libnetpol/datapath.c, dp_cache.c) only, never by the encoder:
 * np_lpm_value.portset carries the portsets index in its low 24 bits and
 * the key's address prefix length (0..128) in its top 8 bits, so that a
 * flow event can name the CIDR that matched.
 */
#define NP_LPM_PS_MASK 0x00ffffffu
#define NP_LPM_PLEN_SHIFT 24

/*
 * Conntrack, one LRU hash per family. The key is direction-normalized:
 * (addr[0], port[0]) is the smaller of the packet's two (address, port)
 * endpoints, so a flow and its replies share one entry and one probe. It is
 * scoped by the host veth (two pods on the node keep separate entries for
 * one flow between them) and packs the ifindex with the protocol to keep
 * the IPv4 key at 16 bytes: 48 (htab_elem) + 16 (key) + 16 (value, 8
 * aligned) + 16 (bucket) = 96 bytes of kernel memory per IPv4 flow, as
 * bench_memory measures, no more than the EKS agent's layout. Ifindexes alias modulo 2^24; the
 * loader refuses to attach one that aliases an attached endpoint.
 * Ports are in network byte order; ICMP echo uses its identifier as both
 * ports; protocols without ports use 0.
 */
#define NP_CT_IFPROTO(ifindex, proto) (((__u32)(ifindex) << 8) | (__u8)(proto))

struct np_ct_key_v4 {
	__u32 addr[2]; /* network byte order */
	__u16 port[2];
	__u32 ifproto; /* NP_CT_IFPROTO() */
};

struct np_ct_key_v6 {
	__u32 addr[2][4];
	__u16 port[2];
	__u32 ifproto;
};

enum np_ct_state {
	NP_CT_NEW = 0, /* the responder has sent nothing yet */
	NP_CT_ESTABLISHED = 1, /* both sides have sent */
	NP_CT_CLOSING = 2, /* TCP FIN or RST seen */
};

#define NP_CTF_ORIG_HI 0x1 /* the originator is the key's [1] */
/* judged again under the rules of judged and denied: dropped */
#define NP_CTF_REVOKED 0x2

/*
 * What a flow's first packet was judged under: the rule-set id of the
 * originating direction when rules decide (ids are not given again: they
 * grow past deleted ones, np__rs_id_alloc()), else
 * NP_JUDGED_STATE | state. A packet of an entry whose direction now says
 * something else is judged again (np_rt.revoke_off: never).
 */
#define NP_JUDGED_STATE 0x80000000u

/*
 * skb->mark bits that carry a packet's generation from the hook of the pod
 * that sends it (set there: entering the node's namespace scrubbed the
 * mark, so a pod cannot forge them) to the hook of the pod that receives
 * it on the same node (read and cleared there), so that both hooks judge
 * it under one generation even when a commit flips np_rt.gen between them
 * (the two hooks run in one RCU read-side section: the commit's grace
 * period covers the packet). Node-side rules that match these bits of the
 * mark (fwmark policy routing, iptables) see them on pod egress.
 */
#define NP_MARK_SEEN 0x00400000u
#define NP_MARK_GEN 0x00800000u

struct np_ct_value {
	__u32 last_seen; /* jiffies, low 32 bits */
	__u8 state; /* enum np_ct_state */
	__u8 flags; /* NP_CTF_* */
	__u16 slot; /* counters slot (np_ep_dir.slot) */
	__u32 judged; /* NP_JUDGED_* */
	/*
	 * The key that allowed the flow (np_lpm_value.ctr of rule set
	 * judged), 0: none. 16 bytes as 12 were: htab values are 8-aligned.
	 */
	__u32 ctr;
};

/*
 * IP fragments after the first carry no ports. The first fragment gets the
 * full decision; when it is allowed, (ifindex, proto, addresses, IP id) is
 * remembered here so that the later fragments of that datagram follow it.
 * A later fragment without its first fragment is dropped.
 */
struct np_frag_key {
	__u32 saddr[4]; /* IPv4: [0] only, rest zero */
	__u32 daddr[4];
	__u32 id; /* IPv4 id (16 bit) or IPv6 fragment id */
	__u32 ifproto; /* NP_CT_IFPROTO(), with the IPv4 protocol or
				 * the fragment header's next header */
};

struct np_frag_value {
	__u32 last_seen; /* jiffies, as np_ct_value */
	__u16 slot;
	__u16 pad;
};

/* Why a packet got its verdict; carried by flow events. */
enum np_dp_reason {
	NP_DPR_ALLOW_RULE = 0, /* an LPM key and its port set matched */
	NP_DPR_ALLOW_DEFAULT = 1, /* standard mode, no rules yet */
	NP_DPR_ALLOW_UNISOLATED = 2, /* rules known, direction open */
	NP_DPR_ALLOW_NODE = 3, /* the peer is a node IP */
	NP_DPR_ALLOW_CONNTRACK = 4, /* tracked flow (not in events) */
	NP_DPR_ALLOW_RELATED = 5, /* ICMP error of a tracked flow */
	NP_DPR_DENY_NO_MATCH = 16, /* no LPM key covers the peer */
	NP_DPR_DENY_PORT = 17, /* a key matched, its ports did not */
	NP_DPR_DENY_STRICT_DEFAULT = 18, /* strict mode, no rules yet */
	NP_DPR_DENY_MALFORMED = 19, /* truncated or invalid headers */
	NP_DPR_DENY_FRAGMENT = 20, /* later fragment, no first allowed */
	NP_DPR_DENY_UNENFORCEABLE = 21, /* fail closed: rules too large */
	NP_DPR_DENY_REVOKED = 22, /* tracked flow its new rules deny */
	NP_DPR_DENY_SPOOFED = 23, /* pod egress from another address */
};

#define NP_EV_ALLOW 0
#define NP_EV_DENY 1

#define NP_EV_PLEN_NONE 0xff /* no LPM key matched */

/* events: BPF_MAP_TYPE_RINGBUF, one record per new flow and per drop. */
struct np_flow_event {
	__u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 ifindex; /* host veth */
	__u32 ruleset; /* ep.ruleset[dir], 0 when none applied */
	__u32 pkt_len; /* skb->len */
	__u8 dir; /* enum np_dir */
	__u8 family; /* 4 or 6 */
	__u8 proto; /* IPPROTO_* */
	__u8 verdict; /* NP_EV_ALLOW, NP_EV_DENY */
	__u8 reason; /* enum np_dp_reason */
	__u8 prefixlen; /* matched address bits, NP_EV_PLEN_NONE */
	__u16 pad;
	__u16 sport; /* host byte order; ICMP: identifier or 0 */
	__u16 dport;
	__u8 saddr[16]; /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
};

/*
 * stats: BPF_MAP_TYPE_PERCPU_ARRAY of __u64 node-wide counters, by index.
 * Per CPU, so that a flood that fills the ring buffer does not also bounce
 * a shared cache line between CPUs (np_rt.events_on is read per packet).
 */
#define NP_STAT_EVENTS_LOST 0 /* ring buffer full: event dropped */
/*
 * Conntrack entries created where none was (a lookup that found no entry
 * for the flow, then an insert), [+0] IPv4, [+1] IPv6: written by the
 * programs. Entries deleted by userspace (gc, detach), by family: written
 * by the library, on CPU 0's copy, under the datapath lock. The programs
 * never delete an entry, so inserted - deleted - present is what the LRU
 * evicted (np_datapath_stats).
 */
#define NP_STAT_CT_INSERTED 1
#define NP_STAT_CT_DELETED 3
/*
 * Policy programming latency (np_datapath_latency()), written by the
 * library on CPU 0's copy under the datapath lock: observations, their sum
 * in nanoseconds, then one (not cumulative) count per bucket of the
 * library's bounds, from NP_STAT_LAT_BUCKET.
 */
#define NP_STAT_LAT_COUNT 8
#define NP_STAT_LAT_SUM_NS 9
#define NP_STAT_LAT_BUCKET 10
#define NP_STATS_N 128 /* the rest are reserved, zero */

/* pods: BPF_MAP_TYPE_HASH, key ifindex; userspace bookkeeping only. */
#define NP_POD_NS_LEN 64 /* DNS label 63 + NUL */
#define NP_POD_NAME_LEN 256 /* DNS subdomain 253 + NUL */
#define NP_PODF_QDISC 0x1 /* the loader created the clsact */
#define NP_PODF_TCX 0x2 /* attached by TCX links, not tc filters */

struct np_pod_value {
	__u32 flags; /* NP_PODF_* */
	__u32 pad;
	char ns[NP_POD_NS_LEN];
	char name[NP_POD_NAME_LEN];
};

/* rulesets: BPF_MAP_TYPE_HASH, key rule-set id; userspace bookkeeping. */
struct np_ruleset_value {
	__u64 hash; /* content digest; key 0: the generation counter */
	__u8 dir; /* enum np_dir */
	__u8 pad[7]; /* key 0: pad[0..3], the next rule-set id */
};

_Static_assert(sizeof(struct np_dp_runtime) == 96, "np_dp_runtime");
_Static_assert(sizeof(struct np_dp_timeouts) == 20, "np_dp_timeouts");
_Static_assert(sizeof(struct np_ct_key_v4) == 16, "np_ct_key_v4");
_Static_assert(sizeof(struct np_ct_key_v6) == 40, "np_ct_key_v6");
_Static_assert(sizeof(struct np_ct_value) == 16, "np_ct_value");
_Static_assert(sizeof(struct np_frag_key) == 40, "np_frag_key");
_Static_assert(sizeof(struct np_frag_value) == 8, "np_frag_value");
_Static_assert(sizeof(struct np_flow_event) == 64, "np_flow_event");
_Static_assert(sizeof(struct np_pod_value) == 8 + 64 + 256, "np_pod_value");
_Static_assert(sizeof(struct np_ruleset_value) == 16, "np_ruleset_value");
_Static_assert(sizeof(struct np_rs_plens) == 144, "np_rs_plens");
_Static_assert((NP_RS_PLENS_SIZE & (NP_RS_PLENS_SIZE - 1)) == 0,
	       "NP_RS_PLENS_SIZE: a power of two");

#endif /* NETPOL_ABI_H */
