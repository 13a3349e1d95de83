/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The map layout shared by the TC programs (bpf/netpol.bpf.c) and
 * userspace (libnetpol/encode.c, libnetpol/datapath.c). Fixed-width types,
 * explicit padding, every size asserted.
 *
 * Policy lookup for a new flow of endpoint E in direction D:
 *   ep   = endpoints[ifindex]                  (rule-set id per direction)
 *   v    = lpm_v4|lpm_v6[{prefixlen, ep.ruleset[D], peer address}]
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

#define NP_MAX_SLOTS		24	/* port slots per LPM key, as on EKS */
#define NP_RULESET_BITS		32	/* leading, always fully matched */

enum np_dir {
	NP_DIR_INGRESS = 0,	/* into the pod: TC egress of the host veth */
	NP_DIR_EGRESS = 1,	/* out of the pod: TC ingress of the host veth */
};

/* Endpoint state per direction. */
enum np_ep_state {
	NP_EP_DEFAULT_ALLOW = 0,	/* standard mode, no rules yet */
	NP_EP_DEFAULT_DENY = 1,		/* strict mode, no rules yet */
	NP_EP_POLICIES_APPLIED = 2,	/* look up ruleset[dir] */
	NP_EP_UNISOLATED = 3,		/* rules known: no policy selects */
};

/* endpoints: BPF_MAP_TYPE_HASH, key __u32 host-veth ifindex. */
struct np_ep_value {
	__u32 ruleset[2];	/* by enum np_dir */
	__u8 state[2];		/* enum np_ep_state, by enum np_dir */
	__u16 slot;		/* counters index: slot * 2 + dir */
};

/* lpm_v4: BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC. */
struct np_lpm_key_v4 {
	__u32 prefixlen;	/* NP_RULESET_BITS + address prefix */
	__u32 ruleset;		/* big-endian, so it is matched first */
	__u8 addr[4];
};

/* lpm_v6: BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC. */
struct np_lpm_key_v6 {
	__u32 prefixlen;
	__u32 ruleset;
	__u8 addr[16];
};

struct np_lpm_value {
	__u32 portset;		/* index into portsets */
};

#define NP_PS_ALL	0x1	/* every protocol and port (ports absent) */

/* One range of one protocol: lo = proto << 16 | first, hi = ... | last. */
struct np_slot {
	__u32 lo;
	__u32 hi;
};

/* portsets: BPF_MAP_TYPE_ARRAY of sets shared by every key and rule set. */
struct np_portset {
	__u8 count;		/* slots in use; the rest never match */
	__u8 flags;		/* NP_PS_* */
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

_Static_assert(sizeof(struct np_ep_value) == 12, "np_ep_value");
_Static_assert(sizeof(struct np_lpm_key_v4) == 12, "np_lpm_key_v4");
_Static_assert(sizeof(struct np_lpm_key_v6) == 24, "np_lpm_key_v6");
_Static_assert(sizeof(struct np_lpm_value) == 4, "np_lpm_value");
_Static_assert(sizeof(struct np_slot) == 8, "np_slot");
_Static_assert(sizeof(struct np_portset) == 4 + 8 * NP_MAX_SLOTS,
	       "np_portset");
_Static_assert(sizeof(struct np_counters) == 32, "np_counters");

/*
 * The EKS agent's layout, for the interop export only (never loaded by our
 * programs): key u32 prefixlen + 4/16 address bytes; value 24 slots.
 */
#define NP_EKS_PROTO_ANY	254
#define NP_EKS_PROTO_DENY	255

struct np_eks_slot {
	__u32 protocol;
	__u32 start_port;	/* 0: any port */
	__u32 end_port;		/* 0: single port */
};

struct np_eks_value {
	struct np_eks_slot slots[NP_MAX_SLOTS];
};

_Static_assert(sizeof(struct np_eks_value) == 288, "np_eks_value");

#endif /* NETPOL_ABI_H */
