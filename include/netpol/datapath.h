/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libnetpol: the eBPF datapath.
 *
 * TC programs on the host side of each pod's veth enforce compiled rule
 * sets: pod egress on the veth's TC ingress hook, pod ingress on its TC
 * egress hook, IPv4 and IPv6, with their own conntrack (replies to allowed
 * flows always pass), per-CPU counters and a ring buffer of flow events.
 * The programs and maps are loaded once per node and pinned under a bpffs
 * directory; a later open (an agent restart, the netpol tool) reuses them,
 * so enforcement and conntrack continue while no agent runs. Every call
 * needs CAP_BPF and CAP_NET_ADMIN (root). Calls that change the datapath
 * take a lock on the pin directory, so several processes may share it.
 * A datapath belongs to the network namespace it was loaded in: an open
 * from another one fails with -EXDEV. An attach records what the
 * interface is (name, MAC, veth peer): a new interface on a reused
 * ifindex starts as a new pod, and stale records are forgotten by every
 * writing open and attach. A second datapath cannot take a hook another
 * one holds (-EBUSY). An existing_only open is read-only: it repairs
 * nothing.
 *
 * Owning the hook: where the kernel has TCX (6.6+), attach creates one
 * bpf_link per hook, first in the hook's program list, pinned under the
 * pin root; nothing can replace or delete it over netlink, and every tc
 * filter runs after it. Elsewhere (or with NP_HOOK_KIND_TC) it adds a tc
 * filter at priority 1 on a clsact qdisc. Either way np_datapath_hooks()
 * reports anything that runs before our program.
 *
 *   np_datapath_open()          load and pin, or reuse the pinned datapath
 *   np_datapath_close()         free the handle; hooks and pins stay
 *   np_datapath_destroy()       detach every pod, unpin everything, free
 *   np_datapath_attach()        attach the programs to a pod's host veth
 *                               (struct np_attach_opts)
 *   np_datapath_detach()        detach them and forget the pod
 *   np_datapath_apply()         enforce a compiled rule set, atomically
 *   np_datapath_begin()         start a node-wide transaction (lock held)
 *   np_datapath_commit()        make its staged changes at once
 *   np_datapath_abort()         drop them
 *   np_datapath_fail_closed()   deny a pod's new flows in some directions,
 *                               for rules that cannot be enforced
 *   np_datapath_gc()            forget vanished veths, expire conntrack
 *   np_datapath_set_events()    switch flow events on or off
 *   np_datapath_set_rule_counters()  switch per-rule-key counters on
 *                               or off
 *   np_datapath_set_node_ips()  the node addresses, allowed both ways
 *   np_datapath_poll_events()   hand flow events to a callback
 *   np_datapath_events_fd()     a descriptor readable when events wait,
 *                               for poll(2), epoll or an event loop
 *   np_datapath_test_packet()   run the real program on a crafted frame
 *   np_datapath_counters()      packets and bytes allowed and denied
 *   np_datapath_pod_foreach()   call back for each attached pod
 *   np_mode_name()              "standard" or "strict"
 *   np_pod_state_name()         "default-allow", "enforced", ...
 *   np_hook_state_name()        "ok", "missing", "stale", "no-device",
 *                               "preceded"
 *   np_hook_kind_name()         "none", "tc", "tcx"
 *   np_conn_state_name()        "new", "established", "closing"
 *   (each a static string, NULL for a value that is not the enum's)
 *
 * Flow logs and inspection (netpol flows, metrics, status, dump, verify,
 * explain), reading the live maps:
 *   np_event_format()           a flow event as a JSON line (EKS agent
 *                               compatible) or a text line
 *   np_datapath_stats()         node-wide numbers: events lost, conntrack
 *                               occupancy, capacity and evictions
 *   np_datapath_latency()       the histogram of policy programming
 *                               latency (apply and commit)
 *   np_datapath_hooks()         whether a pod's hooks run our programs
 *                               first, and how they are attached
 *   np_datapath_ruleset()       one loaded rule set: digest, keys, users
 *   np_datapath_ruleset_id()    the loaded id holding a compiled rule set
 *   np_datapath_rule_foreach()  call back for each LPM entry of a rule set
 *   np_datapath_conn_foreach()  call back for each conntrack entry
 *   np_datapath_explain()       decide a new flow against the live maps
 *   np_datapath_verify()        compare a pod's live maps with a rule set
 */
#ifndef NETPOL_DATAPATH_H
#define NETPOL_DATAPATH_H

#include "common.h"
#include "diag.h"
#include "limits.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef NP_DIRECTION_DEFINED
#define NP_DIRECTION_DEFINED
/* Seen from the pod. */
enum np_direction {
	NP_DIRECTION_INGRESS = 0, /* into the pod */
	NP_DIRECTION_EGRESS = 1, /* out of the pod */
};
#endif

/* What a pod gets before its first rule set arrives. */
enum np_mode {
	NP_MODE_STANDARD = 0, /* allow everything until rules arrive */
	NP_MODE_STRICT = 1, /* deny everything until rules arrive */
};

/* Enforcement state of a pod in one direction. */
enum np_pod_state {
	NP_POD_DEFAULT_ALLOW = 0, /* standard mode, no rules yet */
	NP_POD_DEFAULT_DENY = 1, /* strict mode, no rules yet */
	NP_POD_ENFORCED = 2, /* its rule set decides */
	NP_POD_UNISOLATED = 3, /* rules known, none isolate it */
	/* its rules cannot be enforced: new flows denied, but node IPs */
	NP_POD_FAIL_CLOSED = 4,
};

/* A node-wide switch in np_datapath_opts. */
enum np_switch {
	NP_SWITCH_KEEP = 0, /* as the loaded datapath has it */
	NP_SWITCH_ON = 1,
	NP_SWITCH_OFF = 2,
};

/* How our program is attached to a hook of a pod's host veth. */
enum np_hook_kind {
	/*
	 * In np_attach_opts: let the library choose, TCX where the kernel
	 * has it, else tc. In np_datapath_hook: nothing of ours attached.
	 */
	NP_HOOK_KIND_NONE = 0,
	NP_HOOK_KIND_TC = 1, /* a tc filter on the clsact qdisc */
	NP_HOOK_KIND_TCX = 2, /* a pinned TCX link (kernel 6.6+) */
};

struct np_datapath;
struct np_ruleset;

struct np_datapath_opts {
	size_t sz;
	/*
	 * A directory on a bpffs, default "/sys/fs/bpf/netpol". When the
	 * path is under /sys/fs/bpf and no bpffs is mounted there, one is.
	 */
	const char *pin_root;
	enum np_mode mode; /* for pods attached through this handle */
	/*
	 * Conntrack entries per address family (default 524288, the EKS
	 * agent's). Used when this open loads the datapath; a reused one
	 * keeps its size. When full, a new flow evicts the least recently
	 * used entry of any pod (np_datapath_stats().ct_evictions).
	 */
	uint32_t ct_size;
	bool events; /* switch flow events on (see set_events) */
	np_log_fn log; /* optional */
	void *log_ctx;
	/*
	 * Node addresses, always allowed in both directions: up to two IPv4
	 * and two IPv6 ("192.0.2.10", "2001:db8::10"). n_node_ips == 0
	 * keeps the addresses already set on the node.
	 */
	const char *const *node_ips;
	size_t n_node_ips;
	/*
	 * Open a datapath that is already loaded and pinned under pin_root;
	 * -ENOENT when none is (a completed load is marked by the pinned
	 * prog_clock, which the library pins last). Never mounts, creates,
	 * loads or pins anything, and neither the open nor the close
	 * repairs or reaps anything: a handle for inspection (node_ips,
	 * revoke and source_check must be unset: -EINVAL).
	 */
	bool existing_only;
	/*
	 * Established flows judged again when the rules of their pod change
	 * (on, the default of a new datapath): a packet of a tracked flow
	 * whose rules now deny it is dropped (reason "revoked"), and so is
	 * the rest of the flow. Off: a flow is judged once, at its first
	 * packet, as the EKS agent does. Node-wide.
	 */
	enum np_switch revoke;
	/*
	 * Pod source addresses enforced on egress (on, the default): see
	 * np_attach_opts.ips. Node-wide.
	 */
	enum np_switch source_check;
};

/* A decoded flow event: the first packet of a new flow, or a drop. */
struct np_event {
	uint64_t time_ns; /* CLOCK_REALTIME, nanoseconds */
	uint64_t mono_ns; /* CLOCK_MONOTONIC, as the kernel stamped it */
	unsigned int ifindex; /* host veth */
	enum np_direction direction;
	int family; /* 4 or 6 */
	uint8_t src[16]; /* network byte order; IPv4: the first 4 */
	uint8_t dst[16];
	char src_text[46]; /* "198.18.0.1", "fd00::1" */
	char dst_text[46];
	uint16_t sport; /* 0 without ports; ICMP echo: its id */
	uint16_t dport;
	uint8_t protocol; /* IPPROTO_* */
	bool allowed;
	enum np_reason reason;
	uint32_t ruleset; /* the direction's rule-set id, 0 if none */
	int prefixlen; /* the matching key's prefix, -1: none */
	char rule_cidr[50]; /* that rule's CIDR, "" if none */
	uint32_t length; /* bytes */
	const char *pod_ns; /* NULL if unknown; valid during the call */
	const char *pod_name;
	/*
	 * The policies that allowed it ("ns/name ingress[0], ..."), NULL
	 * when unknown. The datapath knows rule sets only by content digest,
	 * so np_datapath_poll_events() leaves it NULL; a caller holding the
	 * pod's compiled rule set fills it from np_ruleset_verdict() (see
	 * np_datapath_ruleset_id()) before np_event_format().
	 */
	const char *policies;
	/*
	 * The tier that decided (the flow log's "Tier"), NP_TIER_UNKNOWN
	 * (0) when unknown: filled like policies, from np_verdict.tier.
	 */
	enum np_tier tier;
	uint32_t reserved32; /* zeroed */
	uint64_t reserved[3]; /* zeroed; for later fields */
};

/* Return 0 to go on, a negative errno to stop polling with that error. */
typedef int (*np_event_fn)(void *ctx, const struct np_event *ev);

struct np_datapath_counters {
	uint64_t allowed_packets;
	uint64_t allowed_bytes;
	uint64_t denied_packets;
	uint64_t denied_bytes;
	uint64_t reserved[4]; /* zeroed; for later fields */
};

struct np_datapath_pod {
	unsigned int ifindex;
	char ifname[16]; /* "" when the interface is gone */
	const char *ns; /* "" when not given */
	const char *name;
	enum np_pod_state state[2]; /* by enum np_direction */
	uint32_t ruleset[2]; /* rule-set ids, 0 if none */
	/*
	 * The pod's addresses as the datapath holds them (from the rule
	 * sets applied: source checks use them), network byte order, valid
	 * when ip_flags has NP_POD_IP4 / NP_POD_IP6.
	 */
	uint8_t ip4[4];
	uint8_t ip6[16];
	uint32_t ip_flags; /* NP_POD_IP4 | NP_POD_IP6 */
	uint64_t reserved[1]; /* zeroed; for later fields */
};

#define NP_POD_IP4 0x1u /* np_datapath_pod.ip4 is the pod's IPv4 */
#define NP_POD_IP6 0x2u /* np_datapath_pod.ip6 is the pod's IPv6 */

/* Return 0 to go on, a negative errno to stop with that error. */
typedef int (*np_pod_fn)(void *ctx, const struct np_datapath_pod *pod);

/*
 * Load the programs and maps and pin them under opts->pin_root, or reuse
 * the ones pinned there: no program is loaded again, every conntrack entry
 * and rule set stays; unless existing_only, filters of known pods found
 * missing or pointing at another program are reported and fixed, and
 * records of vanished or replaced interfaces forgotten. -EEXIST when the
 * pinned maps do not match this library's layout (destroy them first),
 * -EXDEV from another network namespace than the datapath's, -EPERM
 * without privileges (logged naming the capability). A failed open
 * removes the pin directory it created.
 */
NP_API int np_datapath_open(struct np_datapath **out,
			    const struct np_datapath_opts *opts);

/* Free the handle (NULL-safe). Pods stay enforced. */
NP_API void np_datapath_close(struct np_datapath *dp);

/*
 * Detach the programs from every pod (their TCX links, or tc filters),
 * remove the clsact qdiscs this library created (when nothing else is left in them), unpin every map and
 * program and remove the pin directory, then free the handle. Nothing is
 * left behind; other handles on the same datapath become useless.
 */
NP_API int np_datapath_destroy(struct np_datapath *dp);

/* Which interface np_datapath_attach() attaches to, and for which pod. */
struct np_attach_opts {
	size_t sz;
	const char *ifname; /* the pod's host veth by name, or NULL */
	unsigned int ifindex; /* or by index (0: by name); both: must agree */
	const char *pod_ns; /* optional */
	const char *pod_name; /* optional */
	/*
	 * How to attach: NP_HOOK_KIND_NONE (the default) for TCX where the
	 * kernel has it, else tc; NP_HOOK_KIND_TCX fails with -EOPNOTSUPP
	 * where it has not. A pod attached the other way is moved over
	 * without a gap: the new hook is attached before the old goes.
	 */
	enum np_hook_kind hook;
	/*
	 * The pod's own addresses ("198.18.0.5", "fd00::5"; at most one
	 * IPv4 and one IPv6, as Kubernetes podIPs): packets leaving the pod
	 * from any other source are dropped (reason "spoofed"; IPv6
	 * link-local sources pass). n_ips 0 keeps the ones the pod has
	 * (none: its sources are not checked until an apply brings them).
	 */
	const char *const *ips;
	size_t n_ips;
};

/*
 * Attach both programs to a pod's host veth, given by opts->ifname or
 * opts->ifindex (opts is required), and remember the pod (pod_ns and
 * pod_name may be NULL). A pod new to the datapath starts in its mode's
 * default state; attaching an attached pod keeps its rules and repairs
 * its hooks, but a record of another interface that had this ifindex
 * (its name, MAC or veth peer differ and no program of ours is on it) is
 * dropped with its conntrack and counters: a new pod. -ENODEV: no such
 * interface; -E2BIG: NP_MAX_ENDPOINTS pods attached; -EBUSY: a datapath
 * under another pin root holds the veth (diag names it); -EOPNOTSUPP:
 * NP_HOOK_KIND_TCX on a kernel without TCX. diag (optional) names the
 * interface and says why.
 */
NP_API int np_datapath_attach(struct np_datapath *dp,
			      const struct np_attach_opts *opts,
			      struct np_diag *diag);

/* How np_datapath_begin() waits for the datapath lock. */
struct np_txn_opts {
	size_t sz;
	bool nowait; /* -EAGAIN at once when another writer holds it */
};

/*
 * Node-wide transactions. np_datapath_begin() takes the datapath lock
 * (other writers, in any process, wait until the commit) and from then on
 * np_datapath_apply() and np_datapath_fail_closed() on this handle stage
 * their change instead of making it: packets keep the node's old state.
 * np_datapath_commit() makes every staged change at once (one store flips
 * the generation of every endpoint record: each packet is judged wholly
 * by the old state or wholly by the new), waits an RCU grace period and
 * releases the lock. np_datapath_abort(), np_datapath_close() or a crash
 * before the commit leave the old state everywhere (the next writer
 * removes what was staged). Attach and detach inside a transaction take
 * effect at once. -EALREADY: a transaction is open; -EROFS: an
 * existing_only handle.
 */
NP_API int np_datapath_begin(struct np_datapath *dp,
			     const struct np_txn_opts *opts);
NP_API int np_datapath_commit(struct np_datapath *dp, struct np_diag *diag);
NP_API void np_datapath_abort(struct np_datapath *dp);

/* Detach the programs and forget the pod. -ENOENT when not attached. */
NP_API int np_datapath_detach(struct np_datapath *dp, unsigned int ifindex);

/*
 * Enforce a compiled rule set on an attached pod. Atomic: packets see the
 * old rules or the new, never a mix; on error the old rules stay. -E2BIG
 * when a map is full: diag->fail_closed_dirs then holds the directions the
 * rule set isolates (pass them to np_datapath_fail_closed()).
 */
NP_API int np_datapath_apply(struct np_datapath *dp, unsigned int ifindex,
			     const struct np_ruleset *rs, struct np_diag *diag);

/*
 * Fail closed: put directions dirs (bit 1u << enum np_direction; nonzero,
 * no other bits) of an attached pod in state NP_POD_FAIL_CLOSED, for a
 * pod whose rules cannot be enforced (np_ruleset_compile() or
 * np_datapath_apply() -E2BIG, diag->fail_closed_dirs). Every new flow of
 * such a direction is dropped (reason NP_REASON_UNENFORCEABLE), but those
 * of node IPs; flows already in conntrack are revoked (with revoke on, the
 * default: np_datapath_opts). The other direction keeps
 * its state. Atomic, like apply; a later successful np_datapath_apply()
 * replaces it. -EINVAL for bad arguments, -ENOENT when not attached.
 */
NP_API int np_datapath_fail_closed(struct np_datapath *dp, unsigned int ifindex,
				   unsigned int dirs, struct np_diag *diag);

/*
 * Forget pods whose interface is gone, delete expired conntrack entries
 * and release rule sets no pod uses any more.
 */
NP_API int np_datapath_gc(struct np_datapath *dp);

/*
 * Flow events on or off, for the whole node. While off, the programs pay
 * one branch. Closing a handle that switched events on switches them off.
 */
NP_API int np_datapath_set_events(struct np_datapath *dp, bool on);

/*
 * Per-rule-key counters on or off, for the whole node: while on, the
 * programs count the packets and bytes each rule key allows (the first
 * packet of a flow and every later one, replies included) and denies (a
 * key matched, its ports did not, or an ipBlock except hole), read with
 * np_datapath_rule_foreach(). While off they pay one branch and count
 * nothing (what was counted stays). Pods sharing a rule set (same
 * content) share its counters. The counters of a rule set go with it.
 * Unlike events, closing the handle leaves the switch as it is.
 */
NP_API int np_datapath_set_rule_counters(struct np_datapath *dp, bool on);

/* Replace the node addresses (see np_datapath_opts.node_ips). */
NP_API int np_datapath_set_node_ips(struct np_datapath *dp,
				    const char *const *ips, size_t n);

/*
 * Wait up to timeout_ms (-1: forever, 0: not at all) for flow events and
 * hand each to cb. Returns 0, the callback's error, or -EINTR.
 */
NP_API int np_datapath_poll_events(struct np_datapath *dp, int timeout_ms,
				   np_event_fn cb, void *ctx);

/*
 * A descriptor that polls readable (POLLIN) while flow events wait, for an
 * event loop: then np_datapath_poll_events() with timeout_ms 0 reads them.
 * The handle owns it (valid until np_datapath_close()); do not read it.
 */
NP_API int np_datapath_events_fd(struct np_datapath *dp, int *fd);

/*
 * Run the program of direction dir on an Ethernet frame as if it crossed
 * the host veth ifindex (which must exist), with the real maps: conntrack
 * entries it creates stay. *verdict receives TC_ACT_OK (0) or
 * TC_ACT_SHOT (2).
 */
NP_API int np_datapath_test_packet(struct np_datapath *dp, unsigned int ifindex,
				   enum np_direction dir, const void *pkt,
				   size_t len, int *verdict);

/* Totals over all CPUs since the pod was attached. */
NP_API int np_datapath_counters(struct np_datapath *dp, unsigned int ifindex,
				enum np_direction dir,
				struct np_datapath_counters *out);

/* Call cb for each attached pod, in ifindex order. */
NP_API int np_datapath_pod_foreach(struct np_datapath *dp, np_pod_fn cb,
				   void *ctx);

/* "standard", "strict"; NULL for any other value. */
NP_API const char *np_mode_name(enum np_mode m);
/*
 * "default-allow", "default-deny", "enforced", "unisolated", "fail-closed";
 * NULL for any other value.
 */
NP_API const char *np_pod_state_name(enum np_pod_state s);

/* --- flow logs and inspection ------------------------------------------- */

/* A buffer this large holds any line np_event_format() writes. */
#define NP_EVENT_LINE_MAX 4096

/*
 * One flow event as one line, without a newline, NUL-terminated in buf.
 * NP_FORMAT_JSON: the EKS agent's network-policy-agent.log line ("level",
 * "timestamp" RFC 3339 UTC with milliseconds, "logger" "ebpf-client",
 * "msg" "Flow Info: ", "Src IP", "Src Port", "Dest IP", "Dest Port",
 * "Proto", "Verdict" ACCEPT or DENY, in that order) followed by "Namespace",
 * "Pod", "Direction", "Reason", "Rule Set", "Rule" and "Policy" when known.
 * NP_FORMAT_TEXT: "TIME VERDICT DIRECTION NS/POD SRC:PORT > DST:PORT PROTO
 * REASON [rule CIDR] [policy ...]". *len (optional) receives the line's
 * length; -E2BIG when it needs more than size - 1 bytes (buf then holds
 * as much as fits).
 */
NP_API int np_event_format(const struct np_event *ev, enum np_format format,
			   char *buf, size_t size, size_t *len);

/* Node-wide numbers. */
struct np_datapath_stats {
	uint64_t events_lost; /* ring buffer full, since load */
	uint64_t ct_entries[2]; /* conntrack, [0] IPv4, [1] IPv6 */
	uint64_t ct_capacity[2];
	/*
	 * rule keys of every rule set: host keys (hash) + prefixes (the
	 * per-length hash or the trie)
	 */
	uint64_t lpm_entries[2];
	uint64_t lpm_capacity[2]; /* of the three maps */
	uint64_t pods; /* attached */
	uint64_t rulesets; /* distinct rule sets loaded */
	bool events_on; /* flow events switched on */
	/*
	 * Conntrack entries the kernel evicted to make room (the table was
	 * full), since load: entries created - deleted by gc or detach -
	 * present. Counted per CPU, so a packet racing the read may move it
	 * by a few.
	 */
	uint64_t ct_evictions[2];
	bool rule_counters_on; /* per-rule-key counters switched on */
	uint8_t reserved8[7]; /* zeroed */
	uint64_t reserved[1]; /* zeroed; for later fields */
};

NP_API int np_datapath_stats(struct np_datapath *dp,
			     struct np_datapath_stats *out);

#define NP_LATENCY_MAX_BUCKETS 96

/*
 * Policy programming latency: how long np_datapath_apply() took from its
 * call to the new rules being visible to packets (the endpoint flip), and
 * a transaction from np_datapath_begin() to its commit's flip, for every
 * successful one on the node since load (any process), as a Prometheus
 * histogram in seconds (awsnodeagent_policy_programming_latency_seconds).
 * Updated by several counters, not at once: a reader racing a writer may
 * see an observation in count before its bucket.
 */
struct np_latency_hist {
	size_t nbuckets; /* bounds in use, <= NP_LATENCY_MAX_BUCKETS */
	double bounds[NP_LATENCY_MAX_BUCKETS]; /* seconds, ascending */
	/* cumulative: observations <= bounds[i] (Prometheus "le") */
	uint64_t counts[NP_LATENCY_MAX_BUCKETS];
	uint64_t count; /* every observation: the +Inf bucket */
	double sum; /* seconds, of every observation */
	uint64_t reserved[4]; /* zeroed; for later fields */
};

NP_API int np_datapath_latency(struct np_datapath *dp,
			       struct np_latency_hist *out);

/* Whether a hook of a pod runs this datapath's program first. */
enum np_hook_state {
	NP_HOOK_OK = 0, /* our program runs first */
	NP_HOOK_MISSING = 1, /* no program of ours on the hook */
	NP_HOOK_STALE = 2, /* our tc handle and priority, another program */
	NP_HOOK_NO_DEVICE = 3, /* the interface is gone */
	/*
	 * Ours runs, but something runs before it and may let a packet
	 * through unjudged: a TCX program before our link; when ours is a
	 * tc filter, any TCX program, or a tc filter at a lower priority
	 * number or at ours (ahead_* name the first one).
	 */
	NP_HOOK_PRECEDED = 4,
};

struct np_datapath_hook {
	enum np_hook_state state;
	uint32_t prog_id; /* the program our link or filter runs, 0: none */
	uint32_t expected_id; /* this datapath's program */
	/* every TCX program and tc filter on the hook, ours included */
	size_t filters;
	/* what runs before ours (whatever the state); 0 and "": nothing */
	uint16_t ahead; /* TCX programs, or tc filters, ahead of ours */
	uint16_t ahead_prio; /* a tc filter's priority, 0 for TCX */
	uint32_t ahead_prog_id; /* the first one's BPF program, 0: none */
	uint32_t ahead_handle; /* a tc filter's handle, 0 for TCX */
	char ahead_kind[12]; /* "tcx", or the tc filter's kind ("bpf") */
	enum np_hook_kind kind; /* how ours is attached; NONE: it is not */
	uint32_t reserved; /* zeroed; for later fields */
};

/*
 * Query the kernel for the hooks of a pod's host veth (TCX programs and
 * tc filters): out[d] for pod direction d (ingress is the veth's egress
 * hook). The interface need not be attached.
 */
NP_API int np_datapath_hooks(struct np_datapath *dp, unsigned int ifindex,
			     struct np_datapath_hook out[2]);
/*
 * "ok", "missing", "stale", "no-device", "preceded"; NULL for any other
 * value.
 */
NP_API const char *np_hook_state_name(enum np_hook_state s);
/* "none", "tc", "tcx"; NULL for any other value. */
NP_API const char *np_hook_kind_name(enum np_hook_kind k);

struct np_datapath_ruleset {
	uint32_t id;
	enum np_direction direction;
	uint64_t hash; /* content digest of its entries */
	size_t keys[2]; /* live LPM keys, [0] IPv4, [1] IPv6 */
	size_t users; /* pod directions enforcing it */
	uint64_t reserved[4]; /* zeroed; for later fields */
};

/* A loaded rule set by id. -ENOENT when no such id is loaded. */
NP_API int np_datapath_ruleset(struct np_datapath *dp, uint32_t id,
			       struct np_datapath_ruleset *out);

/*
 * The loaded id whose content is direction dir of rs (as np_datapath_apply
 * would write it), so that a caller can tell whether a flow event or a pod
 * uses that rule set. -ENOENT when no loaded rule set has that content,
 * -ENODATA when rs does not isolate dir (nothing is loaded for it).
 */
NP_API int np_datapath_ruleset_id(struct np_datapath *dp,
				  const struct np_ruleset *rs,
				  enum np_direction dir, uint32_t *id);

/* A port range of one protocol. */
struct np_port_range {
	uint8_t protocol; /* IPPROTO_* */
	uint16_t first;
	uint16_t last;
};

/* One live LPM entry, decoded. */
struct np_datapath_rule {
	int family; /* 4 or 6 */
	char cidr[50]; /* "198.18.0.0/24" */
	uint32_t portset; /* index in the port map */
	bool all; /* every protocol and port */
	size_t nranges; /* 0 and !all: nothing (an except hole) */
	struct np_port_range ranges[NP_MAX_PORT_SLOTS];
	/*
	 * What the key counted while rule counters were on
	 * (np_datapath_set_rule_counters()): allowed, the packets of the
	 * flows it allowed; denied, those it denied. NULL: it counted
	 * nothing. Borrowed for the callback.
	 */
	const struct np_datapath_counters *counters;
	uint64_t reserved[3]; /* zeroed; for later fields */
};

typedef int (*np_rule_fn)(void *ctx, const struct np_datapath_rule *rule);

/*
 * Call cb for every LPM entry of rule set id as the kernel holds it,
 * IPv4 then IPv6, by address then prefix length.
 */
NP_API int np_datapath_rule_foreach(struct np_datapath *dp, uint32_t id,
				    np_rule_fn cb, void *ctx);

enum np_conn_state {
	NP_CONN_NEW = 0, /* the responder has sent nothing yet */
	NP_CONN_ESTABLISHED = 1, /* both sides have sent */
	NP_CONN_CLOSING = 2, /* TCP FIN or RST seen */
};

/* One conntrack entry, decoded. */
struct np_datapath_conn {
	unsigned int ifindex; /* host veth (modulo 2^24) */
	int family;
	uint8_t protocol;
	char src[46]; /* the originator */
	char dst[46];
	uint16_t sport; /* ICMP echo: the identifier, both */
	uint16_t dport;
	enum np_conn_state state;
	uint32_t age; /* seconds since its last packet */
	uint32_t timeout; /* idle timeout of its state, seconds */
	uint64_t reserved[4]; /* zeroed; for later fields */
};

typedef int (*np_conn_fn)(void *ctx, const struct np_datapath_conn *conn);

/*
 * Call cb for every conntrack entry of host veth ifindex (0: of every
 * pod), expired ones included (age > timeout), in no particular order.
 */
NP_API int np_datapath_conn_foreach(struct np_datapath *dp,
				    unsigned int ifindex, np_conn_fn cb,
				    void *ctx);
/* "new", "established", "closing"; NULL for any other value. */
NP_API const char *np_conn_state_name(enum np_conn_state s);

/* A new flow decided against the live maps. */
struct np_datapath_verdict {
	bool allowed;
	enum np_reason reason; /* what the program would report */
	enum np_pod_state state; /* the pod's, in that direction */
	uint32_t ruleset; /* the direction's id, 0 if none */
	char key[50]; /* matching LPM prefix, "" if none */
	uint32_t portset; /* its port set, 0 if none */
	int slot; /* matching slot, -1 if none or all */
	char policies[512]; /* see np_datapath_explain() */
	/* the tier that decided, when policies can be named; else UNKNOWN */
	enum np_tier tier;
	uint32_t reserved32; /* zeroed */
	uint64_t reserved[3]; /* zeroed; for later fields */
};

/*
 * Decide the first packet of a flow of pod ifindex in direction dir as the
 * program would: peer is the other end's address, port the destination
 * port (the pod's own for ingress), protocol an IPPROTO_* number. Reads the
 * endpoint record, the node addresses, the LPM trie and the port set; not
 * conntrack. When rs (optional) is the pod's compiled rule set and its
 * direction is what is loaded, policies names the policies that allow the
 * flow. -ENOENT when ifindex is not attached.
 */
NP_API int np_datapath_explain(struct np_datapath *dp, unsigned int ifindex,
			       enum np_direction dir, const char *peer,
			       uint8_t protocol, uint16_t port,
			       const struct np_ruleset *rs,
			       struct np_datapath_verdict *out);

/*
 * Compare what the kernel enforces for pod ifindex with rule set rs:
 * endpoint state per direction, every LPM key (missing, extra, changed
 * port set), the rule set's digest and both hooks (our program missing,
 * replaced, or something running before it). *report receives
 * one line per drift (freed with np_free(); "" when none) and *ndrift
 * their count. -ENOENT when ifindex is not attached.
 */
NP_API int np_datapath_verify(struct np_datapath *dp, unsigned int ifindex,
			      const struct np_ruleset *rs, char **report,
			      size_t *ndrift);

#ifdef __cplusplus
}
#endif

#endif /* NETPOL_DATAPATH_H */
