/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Typed Kubernetes objects, validated: the types of every kind and the
 * umbrella over the headers of their parts (cidr.h, names.h, selector.h,
 * ports.h, fields.h). Each object owns one arena holding all of its
 * strings and arrays, so upsert and delete free it in one go.
 */
#ifndef NP_OBJECTS_H
#define NP_OBJECTS_H

#include "netpol/cluster.h"
#include "cidr.h"
#include "fields.h"
#include "names.h"
#include "node.h"
#include "np_limits.h"
#include "ports.h"
#include "selector.h"

struct np_ipblock {
	struct np_cidr cidr;
	struct np_cidr *except;
	size_t nexcept;
};

struct np_peer {
	struct np_selector *pod_sel; /* NULL: absent */
	struct np_selector *ns_sel; /* NULL: absent */
	struct np_ipblock *ipblock; /* NULL: absent */
};

struct np_rule {
	struct np_peer *peers; /* npeers == 0: every peer */
	size_t npeers;
	struct np_port *ports; /* nports == 0: every port, every protocol */
	size_t nports;
};

struct np_meta {
	const char *ns; /* "" for Namespaces */
	const char *name;
	struct np_labels labels;
};

struct np_netpol {
	struct np_selector pod_sel;
	bool ingress_type, egress_type; /* after policyTypes defaulting */
	bool policy_types_set;
	struct np_rule *ingress, *egress;
	size_t ningress, negress;
};

struct np_container_port {
	const char *name; /* may be NULL */
	uint16_t port;
	uint8_t proto;
};

enum np_pod_phase {
	NP_PHASE_UNKNOWN = 0,
	NP_PHASE_PENDING,
	NP_PHASE_RUNNING,
	NP_PHASE_SUCCEEDED,
	NP_PHASE_FAILED,
};

struct np_pod {
	bool host_network;
	enum np_pod_phase phase;
	const char *phase_text; /* as written, NULL when absent */
	const char *node_name;
	struct np_ip ips[NP_MAX_IPS];
	size_t nips;
	struct np_ip host_ip; /* family 0: absent */
	struct np_container_port *ports;
	size_t nports;
};

struct np_service_port {
	const char *name;
	uint16_t port;
	uint8_t proto;
	uint16_t target_port; /* 0 when named */
	const char *target_name;
};

struct np_service {
	bool has_selector;
	struct np_labels selector;
	const char *type;
	struct np_service_port *ports;
	size_t nports;
	struct np_ip ips[NP_MAX_IPS];
	size_t nips;
};

struct np_pe_pod {
	struct np_ip host_ip;
	struct np_ip pod_ip;
	const char *name;
	const char *ns;
};

struct np_pe_entry {
	struct np_cidr cidr;
	struct np_cidr *except;
	size_t nexcept;
	struct np_port *ports; /* nports == 0: every port */
	size_t nports;
	int rule; /* source rule index; -1: unknown */
};

struct np_policyendpoint {
	const char *ref_ns, *ref_name;
	bool iso_ingress, iso_egress;
	struct np_selector *pod_sel; /* optional */
	struct np_pe_pod *pods;
	size_t npods;
	struct np_pe_entry *ingress, *egress;
	size_t ningress, negress;
	/*
	 * Resolved ones: the serial of the PolicyEndpoint that first had
	 * exactly these rules (a new version that only selects other pods
	 * keeps it, and so its compiled cores). 0: the object's own serial.
	 */
	uint64_t rules_id;
	/*
	 * The content of what a rule set is built from (references,
	 * isolation, entries): the core cache's key (ruleset_cache.c), computed
	 * there on first use; both 0: not yet. Copied with the rules.
	 */
	uint64_t rules_hash[2];
};

/*
 * ClusterNetworkPolicy: policy.networking.k8s.io/v1alpha2 and v1beta1
 * (one shape) and networking.k8s.aws/v1alpha1 (kind_cnp.c), and the AWS
 * ClusterPolicyEndpoint (kind_cpe.c). Cluster-scoped: meta.ns is "".
 */
enum np_cnp_tier {
	NP_CNP_TIER_ADMIN = 0,
	NP_CNP_TIER_BASELINE,
};

enum np_cnp_action {
	NP_CNP_ACCEPT = 0,
	NP_CNP_DENY,
	NP_CNP_PASS,
};

enum np_cnp_peer_kind {
	NP_CNP_PEER_NAMESPACES = 0, /* sel: the namespaces */
	NP_CNP_PEER_PODS, /* sel: pods, ns_sel: their namespaces */
	NP_CNP_PEER_NODES, /* sel: the Nodes (upstream egress only) */
	NP_CNP_PEER_NETWORKS, /* nets */
	NP_CNP_PEER_DOMAINS, /* domains (not enforceable without DNS) */
	/*
	 * Only fields this version does not know (a newer API): upstream says
	 * fail closed (an Accept matches nothing, a Deny or Pass denies all).
	 */
	NP_CNP_PEER_UNKNOWN,
};

/* A subject or a peer: exactly one kind. */
struct np_cnp_peer {
	enum np_cnp_peer_kind kind;
	struct np_selector *sel;
	struct np_selector *ns_sel; /* pods: NULL means every namespace */
	struct np_cidr *nets;
	size_t nnets;
	const char **domains;
	size_t ndomains;
	const char *unknown; /* UNKNOWN: the first field, exported as {} */
};

struct np_cnp_rule {
	const char *name; /* NULL: none */
	enum np_cnp_action action;
	struct np_cnp_peer *peers; /* at least one */
	size_t npeers;
	/*
	 * nports == 0: every protocol and port. A range is port..end_port
	 * (port < end_port); a named port has name set and proto
	 * NP_PROTO_ANY (upstream destinationNamedPort, AWS namedPort).
	 */
	struct np_port *ports;
	size_t nports;
};

struct np_cnp {
	bool aws; /* networking.k8s.aws/v1alpha1 */
	enum np_cnp_tier tier;
	int32_t priority; /* 0..1000, lower first */
	struct np_cnp_peer subject; /* NAMESPACES or PODS */
	struct np_cnp_rule *ingress, *egress;
	size_t ningress, negress;
};

/* One ingress or egress entry of a ClusterPolicyEndpoint. */
struct np_cpe_entry {
	enum np_cnp_action action;
	struct np_cidr cidr; /* family 0: none (a domainName entry) */
	const char *domain; /* egress only; NULL: none */
	struct np_port *ports; /* nports == 0: every port */
	size_t nports;
};

struct np_cpe {
	const char *ref_name;
	enum np_cnp_tier tier;
	int32_t priority;
	bool has_subject;
	struct np_cnp_peer subject;
	struct np_pe_pod *pods;
	size_t npods;
	struct np_cpe_entry *ingress, *egress;
	size_t ningress, negress;
};

/*
 * A Node: its InternalIP and ExternalIP addresses (status.addresses), as
 * the egress nodes peer of a ClusterNetworkPolicy selects them. Other
 * address types (Hostname, InternalDNS, ...) are not kept.
 */
struct np_node_addr {
	struct np_ip ip;
	bool external; /* ExternalIP, else InternalIP */
};

struct np_kube_node {
	struct np_node_addr *addrs;
	size_t naddrs;
};

struct np_obj {
	enum np_kind kind;
	uint64_t serial; /* unique in the process: names this version */
	struct np_arena arena;
	struct np_meta meta;
	union {
		struct np_pod pod;
		struct np_service svc;
		struct np_netpol np;
		struct np_policyendpoint pe;
		struct np_cnp cnp; /* both ClusterNetworkPolicy kinds */
		struct np_cpe cpe;
		struct np_kube_node node; /* NP_KIND_NODE */
	};
};

/*
 * Convert one document (an object, or a List whose items are objects) into
 * validated objects. Valid ones are appended to *objs; each invalid one is
 * reported through ctx and counted in ctx->nerr. Other kinds are logged and
 * skipped. Returns 0 or a hard error (-ENOMEM, -E2BIG).
 */
int np__objects_from_doc(struct np_vctx *ctx, const struct np_node *doc,
			 struct np_obj ***objs, size_t *nobjs, size_t *cap);
void np__obj_free(struct np_obj *o);

/* podSelectorEndpoints items, valid ones into *out (kind_pe.c). */
void np__pe_pods(struct np_vctx *c, const struct np_node *pods,
		 struct np_pe_pod **out, size_t *n);
/* Questions about a decoded NetworkPolicy (kind_netpol.c). */
bool np__rule_has_named(const struct np_rule *r);
/* In the block's CIDR and in none of its excepts. */
bool np__ip_in_block(const struct np_ipblock *b, const struct np_ip *ip);
/* The distinct (name, protocol) pairs of a policy's ingress named ports. */
struct np_pname {
	const char *name;
	uint8_t proto;
};
size_t np__ingress_names(const struct np_obj *pol, struct np_pname *v,
			 size_t max);
/* Tier (Admin, Baseline) and priority 0..max (kind_cnp.c, kind_cpe.c). */
void np__cnp_tier_priority(struct np_vctx *c, const struct np_node *spec,
			   int64_t max, enum np_cnp_tier *tier,
			   int32_t *priority);
/* A subject (namespaces or pods) at .subject. */
void np__cnp_subject(struct np_vctx *c, const struct np_node *n, bool aws,
		     struct np_cnp_peer *out);
/* A ClusterNetworkPolicy rule with a named port (kind_cnp.c). */
bool np__cnp_rule_has_named(const struct np_cnp_rule *r);
uint64_t np__serial_next(void);

/* The object back as a document tree (normalized), built in arena a. */
struct np_node *np__obj_to_node(struct np_arena *a, const struct np_obj *o);

/* Cluster-scoped kinds: no namespace (Namespace, cluster policies). */
bool np__kind_cluster_scoped(enum np_kind kind);
/* Text of a tier, of an action. */
const char *np__cnp_tier_name(enum np_cnp_tier t);
const char *np__cnp_action_name(enum np_cnp_action a);

/* The apiVersion of a kind ("" for none), as np_kind_name names it. */
const char *np__kind_api(enum np_kind kind);

#endif /* NP_OBJECTS_H */
