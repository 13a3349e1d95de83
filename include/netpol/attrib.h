/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libnetpol: attribution, why a connection is allowed or denied.
 *
 * From a cluster snapshot, for a connection from one endpoint to another
 * (each "ns/pod" or an IP address), the verdict of each side that judges
 * it (the source pod's egress, the destination pod's ingress) and who
 * decided: for an allow, the policies and rules that allowed it; for a
 * deny, the policies that isolate the pod in that direction and, rule by
 * rule, why none of them matched the peer (a selector that matched no
 * pod or other pods, a namespace selector, an ipBlock, a port).
 *
 *   np_cluster_attribute()      compute the attribution of one connection
 *   np_attrib_free()            free it (NULL-safe)
 *   np_attrib_allowed()         the connection's verdict
 *   np_attrib_verdict()         the verdict of one side (direction)
 *   np_attrib_pod()             the pod of one end, as resolved
 *   np_attrib_ip()              the address of one end it judged
 *   np_attrib_count()           how many findings a direction has
 *   np_attrib_get()             one finding
 *   np_attrib_format()          the whole as text, JSON or YAML
 *   np_cluster_isolating()      the policies that apply to a pod in one
 *                               direction, whatever the peer
 *   np_attrib_reason_name()     "match", "pod-selector-none", ... for an
 *                               enum np_attrib_reason
 */
#ifndef NETPOL_ATTRIB_H
#define NETPOL_ATTRIB_H

#include "ruleset.h"

#ifdef __cplusplus
extern "C" {
#endif

struct np_attrib;

/* Why a rule did (or did not) match the peer of a connection. */
enum np_attrib_reason {
	/* the rule matches the peer and the port: it allows the connection */
	NP_ATTRIB_MATCH = 0,
	/* a peer's podSelector (in its namespaces) selects no pod at all */
	NP_ATTRIB_POD_SELECTOR_NONE = 1,
	/* a peer's podSelector selects pods, not this one (pods names some) */
	NP_ATTRIB_POD_SELECTOR_OTHERS = 2,
	/* a peer's namespaceSelector does not select the peer's namespace */
	NP_ATTRIB_NAMESPACE_SELECTOR = 3,
	/* a podSelector without namespaceSelector: the peer is in another
	 * namespace than the policy's */
	NP_ATTRIB_NAMESPACE = 4,
	/* a selector peer, but the peer is an address outside the snapshot's
	 * pods */
	NP_ATTRIB_NOT_A_POD = 5,
	/* an ipBlock's cidr does not contain the peer's address */
	NP_ATTRIB_IPBLOCK_CIDR = 6,
	/* an ipBlock's cidr contains the address, one of its excepts too */
	NP_ATTRIB_IPBLOCK_EXCEPT = 7,
	/* the peer matches, the protocol or port is not listed (detail
	 * lists the ones that are) */
	NP_ATTRIB_PORT = 8,
	/* a named port the rule lists is not a port of the destination pod
	 * (with that protocol) */
	NP_ATTRIB_NAMED_PORT = 9,
	/* the policy isolates the pod in that direction with no rule there */
	NP_ATTRIB_NO_RULES = 10,
	/* a ClusterNetworkPolicy rule (tier Admin or Baseline) denied it */
	NP_ATTRIB_CLUSTER_DENY = 11,
	/* the rules are not known: compiled from PolicyEndpoints, whose
	 * entries no longer say which rule and peer they came from */
	NP_ATTRIB_UNKNOWN = 12,
};

/*
 * One finding: a rule and why it matched or did not, or a policy as a
 * whole (rule -1). Strings are borrowed from the attribution and escaped
 * as np_escape() does with NP_ESCAPE_TEXT (names come from manifests).
 */
struct np_attrib_item {
	/*
	 * "ns/name" of a NetworkPolicy (or a PolicyEndpoint's policyRef),
	 * "cnp/name" of a ClusterNetworkPolicy
	 */
	const char *policy;
	enum np_tier tier; /* NETWORK_POLICY, ADMIN or BASELINE */
	int rule; /* index in the policy's rules of that direction; -1: none */
	const char *rule_name; /* as written; NULL when the rule has none */
	/* index in the rule's from/to peers; -1: the ports or the rule */
	int peer;
	enum np_attrib_reason reason;
	/* "podSelector app=web matches no pod", "port TCP/5432 not in ..." */
	const char *detail;
	/*
	 * POD_SELECTOR_OTHERS: some pods the selector selects
	 * ("shop/web-2, shop/web-3, and 4 more"); else NULL
	 */
	const char *pods;
	uint64_t reserved[4]; /* zeroed; for later fields */
};

struct np_attrib_opts {
	size_t sz;
	enum np_source source; /* the rule sets of NP_SOURCE_POLICIES */
	/*
	 * Judge these sides only, bits 1u << enum np_direction (the
	 * destination's ingress, the source's egress); 0: both
	 */
	unsigned int directions;
	/* at most this many pods named per selector; 0: 3 */
	unsigned int max_pods;
};

/*
 * The attribution of a connection from one endpoint to another, each
 * "ns/pod" or an IP address (an address of a pod of the snapshot is that
 * pod), for protocol proto and destination port port. Each side that is a
 * pod of the snapshot (not hostNetwork, with an address) judges it: the
 * source's egress, the destination's ingress, both always (np_verdict()
 * stops at the first deny). Errors as np_cluster_verdict(): -ENOENT for a
 * pod not in the snapshot, -EINVAL (diag) for a bad endpoint or no pod
 * on either side; and np_ruleset_compile()'s. *out is freed with
 * np_attrib_free().
 */
NP_API int np_cluster_attribute(struct np_attrib **out,
				struct np_cluster *cluster, const char *from,
				const char *to, enum np_protocol proto,
				uint16_t port,
				const struct np_attrib_opts *opts,
				struct np_diag *diag);
NP_API void np_attrib_free(struct np_attrib *a);

/* Allowed when every side that judged it allowed it. */
NP_API bool np_attrib_allowed(const struct np_attrib *a);

/*
 * The verdict of direction dir (the destination's ingress, the source's
 * egress) as np_ruleset_verdict() gives it. -ENOENT when that side did not
 * judge (not a pod, hostNetwork, or left out by opts->directions).
 */
NP_API int np_attrib_verdict(const struct np_attrib *a, enum np_direction dir,
			     struct np_verdict *out);

/*
 * The end whose side is dir (NP_DIRECTION_EGRESS: the source,
 * NP_DIRECTION_INGRESS: the destination): np_attrib_pod() its pod
 * "ns/name" (escaped; also when it was given as the pod's address), NULL
 * for an address that is no pod; np_attrib_ip() the address the verdicts
 * used ("" for a pod to itself). NULL for bad arguments. Borrowed.
 */
NP_API const char *np_attrib_pod(const struct np_attrib *a,
				 enum np_direction dir);
NP_API const char *np_attrib_ip(const struct np_attrib *a,
				enum np_direction dir);

/*
 * The findings of direction dir: allowed by rules, the rules that allowed
 * it (reason MATCH); denied, for each policy that isolates the pod in
 * that direction, each of its rules and why it did not match (one item
 * per peer that did not, one for the ports), or the cluster policy rule
 * that denied it. 0 when the side did not judge or nothing isolates it.
 */
NP_API size_t np_attrib_count(const struct np_attrib *a, enum np_direction dir);
/* Finding i of direction dir; -ENOENT past the end. */
NP_API int np_attrib_get(const struct np_attrib *a, enum np_direction dir,
			 size_t i, struct np_attrib_item *out);

/*
 * The attribution as text (NP_FORMAT_TEXT: a verdict line, then per side
 * its verdict, the policies isolating it and one line per finding), or as
 * a document (NP_FORMAT_JSON, NP_FORMAT_YAML) with the schema that
 * netpol(8) documents under ATTRIBUTION. *out is freed with np_free().
 */
NP_API int np_attrib_format(const struct np_attrib *a, enum np_format format,
			    char **out);

/*
 * The policies that apply to pod ns/name in direction dir, whatever the
 * peer, as one line (escaped): the NetworkPolicies that isolate it
 * ("shop/a, shop/b"; with NP_SOURCE_ENDPOINTS the policyRefs of its
 * PolicyEndpoints), then the ClusterNetworkPolicies with rules for it in
 * that direction, in evaluation order ("cnp/x (Admin), cnp/y
 * (Baseline)"); "" when none. opts: source only. -ENOENT (diag) for a pod
 * not in the snapshot. *out is freed with np_free().
 */
NP_API int np_cluster_isolating(struct np_cluster *cluster, const char *ns,
				const char *name, enum np_direction dir,
				const struct np_attrib_opts *opts, char **out,
				struct np_diag *diag);

/*
 * "match", "pod-selector-none", "pod-selector-others",
 * "namespace-selector", "namespace", "not-a-pod", "ipblock-cidr",
 * "ipblock-except", "port", "named-port", "no-rules", "cluster-deny",
 * "unknown"; NULL for any other value.
 */
NP_API const char *np_attrib_reason_name(enum np_attrib_reason r);

#ifdef __cplusplus
}
#endif

#endif /* NETPOL_ATTRIB_H */
