/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libnetpol: common definitions.
 *
 *   np_version()     library version string ("0.1.0")
 *   np_strerror()    static text for a negative errno returned by np_*()
 *   np_free()        free memory the library handed to the caller
 *   np_kind_name()   "NetworkPolicy", "Pod", ... for an enum np_kind
 *   np_protocol_name()    "TCP", "UDP" or "SCTP" for an enum np_protocol
 *   np_protocol_parse()   the enum np_protocol of "TCP", "udp", ...
 *   np_direction_name()   "ingress" or "egress" for an enum np_direction
 *   np_direction_parse()  the enum np_direction of "ingress" or "egress"
 *   np_reason_name()      "rule", "no-match", ... for an enum np_reason
 *   np_tier_name()   "ADMIN", "NETWORK_POLICY", ... for an enum np_tier
 *   np_escape()      text from outside made safe for a terminal or JSON
 *
 * The name functions return a static string, or NULL for a value that is
 * not one of the enum's; the parse functions return 0, or -EINVAL for
 * NULL arguments or a name they do not know, and leave *out unchanged then.
 */
#ifndef NETPOL_COMMON_H
#define NETPOL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef NP_API
#define NP_API __attribute__((visibility("default")))
#endif

#define NP_VERSION_MAJOR 0
#define NP_VERSION_MINOR 1
#define NP_VERSION_PATCH 0

/*
 * Public structs grow without a soname bump:
 *   - Input structs (options, struct np_*_opts) start with size_t sz, the
 *     caller's sizeof, which tells the library which fields the caller
 *     has; NP_OPTS() sets it. NULL means defaults. A call returns -EINVAL
 *     when sz is smaller than the end of the first field after it, or when
 *     the caller's struct is larger than the library's and a byte past the
 *     library's last field is not zero (an option this version does not
 *     know).
 *       NP_OPTS(np_load_opts, o, .skip_invalid = true);
 *   - Output structs the caller allocates (struct np_diag, np_verdict,
 *     np_mapset_diff_stats, np_mapset_lpm_data, np_datapath_counters,
 *     np_datapath_stats, np_datapath_hook, np_datapath_ruleset,
 *     np_datapath_verdict, np_attrib_item) and structs the library hands to callbacks
 *     (np_event, np_datapath_pod, np_datapath_rule, np_datapath_conn) have
 *     a fixed size and end in a reserved tail, which the library zeroes
 *     and later versions take new fields from. Their fields are never
 *     reordered.
 */
#define NP_OPTS(TYPE, NAME, ...) \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

/* Kinds of Kubernetes objects the library understands. */
enum np_kind {
	NP_KIND_NAMESPACE = 0,
	NP_KIND_POD,
	NP_KIND_SERVICE,
	NP_KIND_NETWORK_POLICY,
	NP_KIND_POLICY_ENDPOINT,
	/* policy.networking.k8s.io v1alpha2, v1beta1 (parsed, not enforced) */
	NP_KIND_CLUSTER_NETWORK_POLICY,
	/* networking.k8s.aws/v1alpha1 ClusterNetworkPolicy (not enforced) */
	NP_KIND_AWS_CLUSTER_NETWORK_POLICY,
	/* networking.k8s.aws/v1alpha1 (parsed, not enforced) */
	NP_KIND_CLUSTER_POLICY_ENDPOINT,
	/* v1 Node: labels and IP addresses, for ClusterNetworkPolicy nodes */
	NP_KIND_NODE,
	NP_KIND__MAX,
};

/* Text formats for input and output. */
enum np_format {
	NP_FORMAT_AUTO = 0, /* input only: JSON when it starts with { or [ */
	NP_FORMAT_YAML,
	NP_FORMAT_JSON,
	NP_FORMAT_TEXT, /* output only, where a command offers it */
};

/* Traffic direction, seen from the pod. */
#define NP_DIRECTION_DEFINED 1
enum np_direction {
	NP_DIRECTION_INGRESS = 0, /* into the pod */
	NP_DIRECTION_EGRESS = 1, /* out of the pod */
};

/* Transport protocols NetworkPolicy knows, by IP protocol number. */
enum np_protocol {
	NP_PROTOCOL_TCP = 6,
	NP_PROTOCOL_UDP = 17,
	NP_PROTOCOL_SCTP = 132,
};

/*
 * Why a flow was allowed or denied: one vocabulary for the compiler
 * (np_verdict), the datapath (np_datapath_verdict, np_event), flow logs
 * and the bindings. The verdict itself is allowed or denied; the reason
 * says which rule of the model decided it. The kernel reports its own
 * codes (bpf/netpol_abi.h), which the library maps to these.
 */
enum np_reason {
	NP_REASON_RULE = 0, /* allowed by a rule (see policies) */
	NP_REASON_NOT_ISOLATED = 1, /* no policy isolates this direction */
	NP_REASON_NODE = 2, /* the peer is the pod's node: always allowed */
	NP_REASON_SELF = 3, /* a pod to itself never crosses the veth */
	NP_REASON_NO_MATCH = 4, /* no rule covers the peer address */
	/* the address is in an except of every rule covering it */
	NP_REASON_EXCEPT = 5,
	NP_REASON_PORT = 6, /* the address matches, the port does not */
	NP_REASON_DEFAULT_ALLOW = 7, /* standard mode, no rules yet */
	NP_REASON_DEFAULT_DENY = 8, /* strict mode, no rules yet */
	NP_REASON_CONNTRACK = 9, /* part of a tracked, allowed flow */
	NP_REASON_RELATED = 10, /* ICMP error of a tracked flow */
	NP_REASON_MALFORMED = 11, /* truncated or invalid headers: denied */
	/* a later fragment whose first fragment was not allowed: denied */
	NP_REASON_FRAGMENT = 12,
	/* the pod's rules cannot be enforced: the direction fails closed */
	NP_REASON_UNENFORCEABLE = 13,
	/*
	 * a tracked flow judged again after its pod's rules changed, and
	 * denied by them: every packet of it is dropped (np_datapath_opts
	 * .revoke)
	 */
	NP_REASON_REVOKED = 14,
	/* the pod sent from an address not its own (np_attach_opts.ips) */
	NP_REASON_SPOOFED = 15,
};

enum np_log_level {
	NP_LOG_ERROR = 0,
	NP_LOG_WARN,
	NP_LOG_INFO,
	NP_LOG_DEBUG,
};

/*
 * Which step decided a flow (np_verdict.tier, np_event.tier): the Admin
 * tier of ClusterNetworkPolicies, the NetworkPolicies, the Baseline tier,
 * or none of them (the default: allowed). The numbers and names are the
 * EKS agent's flow-log "Tier" field; 0 is "not known".
 */
enum np_tier {
	NP_TIER_UNKNOWN = 0,
	NP_TIER_ADMIN = 1,
	NP_TIER_NETWORK_POLICY = 2,
	NP_TIER_BASELINE = 3,
	NP_TIER_DEFAULT = 4,
};

/* The library never prints; it hands log lines to this callback. */
typedef void (*np_log_fn)(void *ctx, enum np_log_level level, const char *msg);

NP_API const char *np_version(void);
NP_API const char *np_strerror(int err);
NP_API void np_free(void *ptr);
NP_API const char *np_kind_name(enum np_kind kind);
/* "TCP", "UDP", "SCTP"; NULL for any other value (ICMP included). */
NP_API const char *np_protocol_name(enum np_protocol p);
/* "TCP", "UDP" or "SCTP", in any case. */
NP_API int np_protocol_parse(const char *s, enum np_protocol *out);
/* "ingress", "egress"; NULL for any other value. */
NP_API const char *np_direction_name(enum np_direction d);
/* "ingress" or "egress", lower case only. */
NP_API int np_direction_parse(const char *s, enum np_direction *out);
/*
 * "rule", "not-isolated", "node", "self", "no-match", "except", "port",
 * "default-allow", "default-deny", "conntrack", "related", "malformed",
 * "fragment", "unenforceable", "revoked", "spoofed"; NULL for any other
 * value.
 */
NP_API const char *np_reason_name(enum np_reason r);
/* "ADMIN", "NETWORK_POLICY", "BASELINE", "DEFAULT", "UNKNOWN"; else NULL. */
NP_API const char *np_tier_name(enum np_tier tier);

/*
 * np_escape() flags: exactly one of NP_ESCAPE_TEXT and NP_ESCAPE_JSON.
 *   NP_ESCAPE_TEXT   for a terminal or a log line: every control (C0,
 *                    DEL, C1 = U+0080..U+009F), every character that
 *                    breaks or reorders a line (U+2028, U+2029, the
 *                    bidirectional marks, embeddings, overrides and
 *                    isolates) and every byte of invalid UTF-8 as \xNN,
 *                    each byte of it (U+0085 is \xc2\x85), a backslash as
 *                    \\; other valid UTF-8 passes.
 *   NP_ESCAPE_LOSSY  with TEXT: those characters as '?', an invalid byte
 *                    as U+FFFD, a backslash as it is (the flow log's text).
 *   NP_ESCAPE_JSON   the inside of a JSON string: '"' and '\' backslashed,
 *                    controls, U+2028 and U+2029 as \u00XX / \u2028,
 *                    invalid bytes as U+FFFD.
 * The output is always valid UTF-8 with no control character in it.
 */
#define NP_ESCAPE_TEXT 0x1u
#define NP_ESCAPE_JSON 0x2u
#define NP_ESCAPE_LOSSY 0x4u
/*
 * s escaped into buf (size bytes, NUL-terminated when size > 0); *len (if
 * not NULL) is the length of the whole escaped string, without the NUL.
 * -E2BIG when it did not fit: buf holds as many whole characters and
 * escapes as fit, never part of one. -EINVAL for a NULL s, a NULL buf
 * with a size, or flags not as above.
 */
NP_API int np_escape(const char *s, unsigned int flags, char *buf, size_t size,
		     size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* NETPOL_COMMON_H */
