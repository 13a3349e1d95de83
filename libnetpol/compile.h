/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The compiler's internals: resolution (resolve.c), normalization and
 * verdicts (ruleset.c), encoding (mapset.c).
 */
#ifndef NP_COMPILE_H
#define NP_COMPILE_H

#include "netpol/mapset.h"
#include "netpol/ruleset.h"
#include "cluster_internal.h"
#include "mapset.h"

/* A port range of one protocol; a merged set is sorted and disjoint. */
struct np_prange {
	uint8_t proto;
	uint16_t lo, hi;
};

struct np_pset {
	bool all; /* every protocol and port */
	struct np_prange *r;
	size_t n;
};

/* Where an entry came from: "ns/name ingress[2]", or the node. */
struct np_prov {
	const char *pol_ns; /* NULL: the node's own address */
	const char *pol_name;
	int rule;
};

/* A rule entry while a core is built (scratch memory). */
struct np_rs_entry {
	struct np_cidr cidr;
	const struct np_cidr *except;
	size_t nexcept;
	struct np_pset ports;
	const struct np_pset *iports; /* ports, interned in the core */
	uint32_t prov; /* index into np_rs_core.prov */
};

/* A rule behind a key: its policy and its own ports. */
struct np_rs_contrib {
	uint32_t prov;
	const struct np_pset *ports;
};

/*
 * One LPM key: the longest-prefix match for an address decides. Port sets
 * and contributor lists are interned per core: thousands of host keys
 * from one peer share one of each.
 */
struct np_rs_key {
	struct np_cidr cidr;
	uint32_t ncontrib;
	const struct np_pset *ports; /* empty and !all: a hole, deny */
	const struct np_rs_contrib *contrib;
};

/*
 * The rules of a set of PolicyEndpoints: shared, immutable once built, and
 * refcounted, so pods selected by the same endpoints share one core.
 */
struct np_rs_core {
	struct np_arena arena;
	unsigned long refs; /* atomic */
	bool isolated[2];
	struct np_rs_key *keys[2]; /* sorted: family, address, length */
	size_t nkeys[2];
	struct np_prov *prov;
	size_t nprov;
	uint64_t hash;
};

/* One pod's rule set: its identity and a core. */
struct np_ruleset {
	struct np_arena arena;
	const char *ns, *name;
	struct np_ip ips[NP_MAX_IPS];
	size_t nips;
	struct np_ip node_ip; /* family 0: none */
	struct np_rs_core *core;
};

void np__core_put(struct np_rs_core *co);

/* An address of a backend of ctx->svcs[svc]. */
struct np_backend {
	struct np_ip ip;
	size_t svc;
};

/* A namespace with its pods (a range of ctx->pods). */
struct np_nsgroup {
	const char *name;
	const struct np_labels *labels;
	size_t first, count;
};

/* A snapshot's indexes and resolution results, rebuilt on change. */
struct np_ctx {
	uint64_t gen;
	struct np_arena arena;
	struct np_obj **pods, **svcs, **pols, **pes, **nss;
	size_t npods, nsvcs, npols, npes, nnss;
	size_t podcap, polcap, pecap;
	struct np_nsgroup *groups; /* namespaces that have pods */
	size_t ngroups, groupcap;
	struct np_touch *touched; /* by policy */
	size_t resolving; /* policy being resolved */
	struct np_labels *implied; /* labels of namespaces without object */
	/* peer expansions, by the peer's canonical text */
	struct np_peer_slot *peers;
	size_t npeers, peercap;
	/* eligible backends of each Service (ctx->svcs order), lazily */
	const struct np_obj ***svc_pods;
	size_t *nsvc_pods;
	/* and every backend address, sorted: which Services a CIDR reaches */
	struct np_backend *bk;
	size_t nbk;
	/* cores by the serials of the PolicyEndpoints that produced them */
	struct np_core_slot *cores;
	size_t ncores, corecap;
	size_t core_bytes; /* arena bytes of the cached cores */
	/* resolved PolicyEndpoints, per policy, lazily */
	struct np_obj ***pe_of;
	size_t *npe_of;
	bool *resolved;
};

int np__ctx_get(struct np_cluster *c, struct np_ctx **out);
int np__resolve_policy(struct np_ctx *ctx, size_t pol, struct np_diag *diag);
bool np__pod_eligible(const struct np_obj *pod);
const struct np_container_port *np__pod_port(const struct np_obj *pod,
					     const char *name, uint8_t proto);

/* Port sets. */
int np__pset_add(struct np_arena *a, struct np_pset *s, uint8_t proto,
		 uint16_t lo, uint16_t hi);
void np__pset_merge(struct np_pset *s);
bool np__pset_eq(const struct np_pset *a, const struct np_pset *b);
int np__pset_find(const struct np_pset *s, uint8_t proto, uint16_t port);

/* A selector peer's pods; kept sorted and patched as pods change. */
struct np_peer_slot {
	uint64_t h;
	const char *key;
	const struct np_selector *ns_sel; /* copies, in ctx->arena */
	const struct np_selector *pod_sel;
	const char *ns; /* without ns_sel */
	const struct np_obj **pods; /* malloc'd */
	size_t n, cap;
	size_t id; /* stable: 0, 1, ... in order of creation */
	/* pods by address (ties: as in pods), lazily; NULL when stale */
	const struct np_obj **by_ip;
};

/*
 * Services whose backends a policy's egress allowed some of; and, once
 * indexed, what else a resolved policy depends on, so that a pod change
 * looks closely only at the policies it can matter to: the peer slots
 * (ids) of its selector peers, and whether a rule looks at addresses
 * (ipBlock or no peers in egress: always with named ports, else for
 * Service backends).
 */
struct np_touch {
	const struct np_obj **v;
	size_t n, cap;
	bool indexed;
	bool addr_named, addr_any;
	size_t *slots;
	size_t nslots, slotcap;
};

struct np_core_slot {
	uint64_t key; /* hash of the serials */
	uint64_t *serials;
	size_t nserials;
	struct np_rs_core *core;
};

int np__ruleset_build(struct np_ruleset **out, struct np_ctx *ctx,
		      const struct np_obj *pod, const struct np_obj **pes,
		      size_t npes, const struct np_pe_pod *ident,
		      struct np_diag *diag);
void np__ctx_cores_release(struct np_ctx *ctx);

#endif /* NP_COMPILE_H */
