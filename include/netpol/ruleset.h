/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libnetpol: the policy compiler.
 *
 * NetworkPolicies resolve against the snapshot into PolicyEndpoints (what
 * the EKS controller writes), and PolicyEndpoints normalize into one rule
 * set per pod (what the node agent enforces): isolation per direction and
 * a canonical list of prefixes, each with its merged port set.
 *
 *   np_cluster_endpoints()  every NetworkPolicy resolved into PolicyEndpoints,
 *                           every ClusterNetworkPolicy into
 *                           ClusterPolicyEndpoints
 *   np_ruleset_compile()    the rule set of one pod
 *   np_ruleset_free()       free it (NULL-safe)
 *   np_ruleset_export()     a rule set as YAML, JSON or text
 *   np_ruleset_hash()       content hash: equal rule sets, equal hashes
 *   np_ruleset_verdict()    decide one flow against a rule set
 *   np_cluster_verdict()    decide a connection between two endpoints
 *   np_cluster_matrix()     the reachability matrix over every pod
 *   np_cluster_check()      warnings: ClusterNetworkPolicy ties, peers
 *                           that cannot be enforced
 *   np_cluster_changes()    the pods whose rule set changed since the last
 *                           call, with their map diffs (a change set)
 *   np_changes_count()      how many pods a change set holds
 *   np_changes_get()        one of them (struct np_change)
 *   np_changes_ruleset()    its new rule set (borrowed)
 *   np_changes_mapset()     its map contents before or after
 *   np_changes_diff()       its map diff as text
 *   np_changes_endpoints_count()  how many PolicyEndpoints and
 *                           ClusterPolicyEndpoints changed
 *   np_changes_endpoint()   one of them (struct np_endpoint_change)
 *   np_changes_endpoint_export()  its new object as YAML or JSON
 *   np_changes_free()       free a change set (NULL-safe)
 */
#ifndef NETPOL_RULESET_H
#define NETPOL_RULESET_H

#include "cluster.h"

#ifdef __cplusplus
extern "C" {
#endif

struct np_ruleset;
struct np_mapset;
struct np_changes;

/* Where the rules of a pod come from. */
enum np_source {
	/* resolve the snapshot's NetworkPolicies (the controller's view) */
	NP_SOURCE_POLICIES = 0,
	/* the snapshot's PolicyEndpoint and ClusterPolicyEndpoint objects
	 * alone (the agent's view) */
	NP_SOURCE_ENDPOINTS,
};

struct np_compile_opts {
	size_t sz;
	enum np_source source;
};

/*
 * Every NetworkPolicy resolved into networking.k8s.aws/v1alpha1
 * PolicyEndpoints, then every ClusterNetworkPolicy (both API groups) into
 * ClusterPolicyEndpoints, as a kind: List. *out is freed with np_free().
 * -ENOTSUP (diag) for a Deny or Pass rule with a peer no
 * ClusterPolicyEndpoint can carry.
 */
NP_API int np_cluster_endpoints(struct np_cluster *cluster,
				enum np_format format, char **out,
				struct np_diag *diag);

/*
 * What is valid yet worth a warning in the snapshot's
 * ClusterNetworkPolicies: two policies of one tier at one priority with
 * rules in one direction for a pod both select (their order is the
 * implementation's: by name), and peers that cannot be enforced (in an
 * Accept rule they match nothing; in a Deny or Pass rule the pods the
 * policy selects fail closed). *report gets one line per warning ("" when
 * none), freed with np_free(); *nwarn (optional) their count.
 */
NP_API int np_cluster_check(struct np_cluster *cluster, char **report,
			    size_t *nwarn);

/*
 * The rule set of pod ns/name. -ENOENT when there is no such pod (or, for
 * NP_SOURCE_ENDPOINTS, no PolicyEndpoint names it and no Pod object has
 * it); -E2BIG with a diagnostic when a prefix needs more than
 * NP_MAX_PORT_SLOTS (24) port slots (diag->fail_closed_dirs: each
 * direction that has such a prefix, for np_datapath_fail_closed()).
 * Compiling caches resolution results inside the cluster, under the
 * cluster's lock: compiles from several threads take turns. The rule set
 * is immutable and may be used and freed from any thread (the parts it
 * shares with the cluster's caches are counted atomically).
 */
NP_API int np_ruleset_compile(struct np_ruleset **out,
			      struct np_cluster *cluster, const char *ns,
			      const char *name,
			      const struct np_compile_opts *opts,
			      struct np_diag *diag);
NP_API void np_ruleset_free(struct np_ruleset *rs);
NP_API int np_ruleset_export(const struct np_ruleset *rs, enum np_format format,
			     char **out);
NP_API uint64_t np_ruleset_hash(const struct np_ruleset *rs);

struct np_verdict {
	bool allowed;
	enum np_reason reason;
	enum np_direction direction; /* the side that decided */
	char key[64]; /* matched prefix, "" when none */
	int slot; /* matched port slot, -1 when none */
	/*
	 * "ns/name ingress[0], ..." that allowed it; the names escaped as
	 * np_escape() does with NP_ESCAPE_TEXT (a PolicyEndpoint's policyRef
	 * may carry any bytes), so the text prints as it is
	 */
	char policies[512];
	/*
	 * The tier that decided: ADMIN or BASELINE when a cluster policy's
	 * rule did (policies names it, allowed or denied), NETWORK_POLICY
	 * when a NetworkPolicy isolates the direction, DEFAULT when nothing
	 * did (not isolated, the node's address, or every tier passed).
	 */
	enum np_tier tier;
	uint32_t reserved32; /* zeroed */
	uint64_t reserved[3]; /* zeroed; for later fields */
};

/*
 * Decide a flow of the rule set's pod: peer is the other end's address,
 * port the destination port (the pod's own for ingress, the peer's for
 * egress).
 */
NP_API int np_ruleset_verdict(const struct np_ruleset *rs,
			      enum np_direction dir, const char *peer,
			      enum np_protocol proto, uint16_t port,
			      struct np_verdict *out);

/*
 * Decide a connection from one endpoint to another, each "ns/pod" or an IP
 * address outside the cluster: allowed when the source's egress and the
 * destination's ingress both allow it. out->direction names the side that
 * denied it, or ingress when allowed.
 */
NP_API int np_cluster_verdict(struct np_cluster *cluster, const char *from,
			      const char *to, enum np_protocol proto,
			      uint16_t port, const struct np_compile_opts *opts,
			      struct np_verdict *out, struct np_diag *diag);

/*
 * Decide one cell of a matrix instead of the rule sets: from and to are
 * "ns/pod", with their addresses of the matrix's family. Set *allowed and
 * return 0, or a negative errno to stop.
 */
typedef int (*np_matrix_fn)(void *ctx, const char *from, const char *from_ip,
			    const char *to, const char *to_ip,
			    enum np_protocol proto, uint16_t port,
			    bool *allowed);

struct np_matrix_opts {
	size_t sz;
	const uint16_t *ports; /* default: 80 */
	size_t nports;
	const enum np_protocol *protocols; /* default: TCP */
	size_t nprotocols;
	int family; /* 4 (default) or 6 */
	enum np_source source;
	np_matrix_fn decide; /* optional: decides every cell */
	void *decide_ctx;
};

/*
 * Every pod with an address of the family against every other, for each
 * protocol and port. NP_FORMAT_TEXT: one table per protocol and port, rows
 * from, columns to, "." allowed and "X" denied, as the Kubernetes e2e tests
 * print them. NP_FORMAT_JSON/YAML: a list of {from, to, protocol, port,
 * allowed}. *out is freed with np_free().
 */
NP_API int np_cluster_matrix(struct np_cluster *cluster,
			     const struct np_matrix_opts *opts,
			     enum np_format format, char **out,
			     struct np_diag *diag);

/* What happened to a pod's rule set (struct np_change). */
enum np_change_kind {
	NP_CHANGE_ADDED = 1, /* a pod not reported before */
	NP_CHANGE_CHANGED, /* its rule set's hash differs */
	NP_CHANGE_REMOVED, /* the pod is gone */
};

struct np_changes_opts {
	size_t sz;
	/*
	 * The view the rule sets are compiled in (NP_SOURCE_POLICIES by
	 * default). A call with another view than the previous one compares
	 * every pod against what was last reported.
	 */
	enum np_source source;
	/*
	 * Also the PolicyEndpoints and ClusterPolicyEndpoints of the
	 * controller's view (what np_cluster_endpoints() resolves the
	 * NetworkPolicies and ClusterNetworkPolicies into) that were added,
	 * changed or removed since the previous call that asked (the first:
	 * every one, as added); NP_SOURCE_POLICIES only.
	 */
	bool endpoints;
};

/* One pod of a change set. Strings are borrowed from the change set. */
struct np_change {
	const char *ns;
	const char *name;
	enum np_change_kind kind;
	/*
	 * 0, or why the pod's new rule set could not be compiled (-E2BIG:
	 * too many port ranges, -ENOTSUP: a cluster policy peer that cannot
	 * be enforced): new_hash is 0 and there is no new rule set; the pod
	 * counts as having none until it compiles again.
	 */
	int err;
	uint64_t old_hash; /* np_ruleset_hash() reported before; 0: none */
	uint64_t new_hash; /* and now; 0: none (removed, err) */
	/*
	 * The map diff (np_mapset_encode() of the old and the new rule set,
	 * none counting as empty): LPM entries added, changed (same prefix,
	 * other ports) and removed, by [enum np_direction][family: 0 IPv4,
	 * 1 IPv6].
	 */
	uint32_t added[2][2];
	uint32_t changed[2][2];
	uint32_t removed[2][2];
	/* isolation per enum np_direction, before and now (none: false) */
	bool old_isolated[2];
	bool new_isolated[2];
	uint32_t reserved32; /* zeroed */
	uint64_t reserved[4]; /* zeroed; for later fields */
};

/*
 * The pods whose rule set changed since the previous call on this cluster
 * (the first call: every pod, as added), sorted by namespace and name, in
 * *out (freed with np_changes_free()). Only the pods a load or delete
 * since then can have affected are compiled again (every pod when a
 * ClusterNetworkPolicy, ClusterPolicyEndpoint or, with cluster policies,
 * any object but a NetworkPolicy changed); a pod is reported when its
 * rule-set hash differs
 * from the one last reported (or it appeared, or went). The pods are the
 * snapshot's Pod objects. With opts->endpoints, the ClusterPolicyEndpoints
 * are resolved again (all of them, compared by content hash) only after a
 * ClusterNetworkPolicy changed or, while any exists, a Pod, Namespace,
 * Service or Node; -ENOTSUP (diag) as np_cluster_endpoints() when one
 * cannot be written. On error (-ENOMEM, -ENOTSUP, diag) nothing is
 * consumed: the next call reports the same changes and more. Calls from
 * several threads take turns (the cluster's lock); each reports what
 * changed since the previous call from whichever thread, so one consumer
 * should ask. The change set is immutable and may be read and freed from
 * any thread.
 */
NP_API int np_cluster_changes(struct np_cluster *cluster,
			      const struct np_changes_opts *opts,
			      struct np_changes **out, struct np_diag *diag);
NP_API size_t np_changes_count(const struct np_changes *ch);
/* Change i (below np_changes_count()) into *out; -ENOENT past the end. */
NP_API int np_changes_get(const struct np_changes *ch, size_t i,
			  struct np_change *out);
/*
 * Change i's new rule set, borrowed (valid until np_changes_free()); NULL
 * for a removed pod, one whose rule set failed (err), or i past the end.
 */
NP_API const struct np_ruleset *np_changes_ruleset(const struct np_changes *ch,
						   size_t i);
/*
 * Change i's map contents before (before true: as last reported) or now,
 * encoded on demand into *out (freed with np_mapset_free()); *out NULL
 * where the pod had or has no rule set. -ENOENT past the end.
 */
NP_API int np_changes_mapset(struct np_mapset **out,
			     const struct np_changes *ch, size_t i,
			     bool before);
/*
 * Change i's map diff as text, one entry a line as np_mapset_diff() prints
 * them ("+ ingress 198.18.0.0/16", "~ ...", "- ..."), and a line
 * "isolated DIRECTION true|false" for each direction whose isolation
 * changed; "" when only the hash changed. *text is freed with np_free().
 */
NP_API int np_changes_diff(const struct np_changes *ch, size_t i, char **text);

/*
 * A PolicyEndpoint or ClusterPolicyEndpoint of a change set
 * (np_changes_opts.endpoints).
 */
struct np_endpoint_change {
	const char *ns; /* strings borrowed from the change set */
	const char *name; /* the PolicyEndpoint's or ClusterPolicyEndpoint's */
	/*
	 * The policy it comes from: a NetworkPolicy in ns, or a
	 * ClusterNetworkPolicy of either API group (the name of a
	 * ClusterPolicyEndpoint of a networking.k8s.aws one has "-aws-"
	 * after the policy's name)
	 */
	const char *policy;
	enum np_change_kind kind;
	/*
	 * NP_KIND_POLICY_ENDPOINT (ns is the namespace) or
	 * NP_KIND_CLUSTER_POLICY_ENDPOINT (cluster-scoped: ns is "")
	 */
	enum np_kind object_kind;
	uint64_t old_hash; /* content hash reported before; 0: none */
	uint64_t new_hash; /* and now; 0: removed */
	uint64_t reserved[4]; /* zeroed; for later fields */
};

/*
 * How many PolicyEndpoints and ClusterPolicyEndpoints changed (0 unless
 * asked for, or for NULL).
 */
NP_API size_t np_changes_endpoints_count(const struct np_changes *ch);
/*
 * Endpoint change i into *out; -ENOENT past the end. Sorted by namespace
 * and name: the ClusterPolicyEndpoints (namespace "") first.
 */
NP_API int np_changes_endpoint(const struct np_changes *ch, size_t i,
			       struct np_endpoint_change *out);
/*
 * Endpoint change i's new object as np_cluster_endpoints() prints it
 * (NP_FORMAT_YAML or NP_FORMAT_JSON), in *out freed with np_free();
 * -ENOENT for a removed one or past the end.
 */
NP_API int np_changes_endpoint_export(const struct np_changes *ch, size_t i,
				      enum np_format format, char **out);
NP_API void np_changes_free(struct np_changes *ch);

#ifdef __cplusplus
}
#endif

#endif /* NETPOL_RULESET_H */
