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
uint64_t np__serial_next(void);

/* The object back as a document tree (normalized), built in arena a. */
struct np_node *np__obj_to_node(struct np_arena *a, const struct np_obj *o);

/* The apiVersion of a kind ("" for none), as np_kind_name names it. */
const char *np__kind_api(enum np_kind kind);

#endif /* NP_OBJECTS_H */
