/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The resolution stage's internals (resolve.c, resolve_ctx.c,
 * resolve_idx.c, endpoints.c): the context of indexes over a snapshot that
 * the compiler keeps and patches as the snapshot changes, peer expansions,
 * Service backends, and the resolution of a NetworkPolicy into
 * PolicyEndpoints.
 */
#ifndef NP_RESOLVE_H
#define NP_RESOLVE_H

#include <string.h>

#include "cluster_internal.h"
#include "hashmap.h"

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
	/* bytes of unused cores the core cache may keep (np_cluster_opts) */
	size_t cache_budget;
	struct np_arena arena;
	struct np_obj **pods, **svcs, **pols, **pes, **nss;
	size_t npods, nsvcs, npols, npes, nnss;
	/* Nodes, by name: ClusterNetworkPolicy nodes peers (tier.c) */
	struct np_obj **nodes;
	size_t nnodes;
	bool nodes_stale; /* a Node changed: sort them again */
	size_t podcap, polcap, pecap;
	struct np_nsgroup *groups; /* namespaces that have pods */
	size_t ngroups, groupcap;
	struct np_touch *touched; /* by policy */
	size_t resolving; /* policy being resolved */
	struct np_labels *implied; /* labels of namespaces without object */
	/* peer expansions (struct np_peer_slot, in arena), by canonical text */
	struct np_hashmap peers;
	size_t npeers;
	/*
	 * The same slots by namespace: the first slot of each namespace's
	 * list (ns_next), by hash of the namespace; and the list of those
	 * with a namespace selector, which may select a pod of any.
	 */
	struct np_hashmap peers_ns;
	struct np_peer_slot *peers_nssel;
	/* eligible backends of each Service (ctx->svcs order), lazily */
	const struct np_obj ***svc_pods;
	size_t *nsvc_pods;
	/* and every backend address, sorted: which Services a CIDR reaches */
	struct np_backend *bk;
	size_t nbk;
	/*
	 * The rule-set stage's cache (ruleset_cache.c's own, opaque here): it
	 * installs it with its release function on first use, and the
	 * context releases it with the rest.
	 */
	void *rs_cache;
	void (*rs_cache_free)(void *rs_cache);
	/* the same for tier_cpe.c's index of ClusterPolicyEndpoints by pod */
	void *cpe_index;
	void (*cpe_index_free)(void *cpe_index);
	/* and the tiers' (tier.c), the same way */
	void *tier_cache;
	void (*tier_cache_free)(void *tier_cache);
	/*
	 * Told of every policy whose resolution a change drops (it had
	 * one): the change tracker (changes_track.c) follows the context's own
	 * decisions through it. NULL: nobody.
	 */
	void (*on_invalidate)(void *arg, const struct np_obj *pol);
	void *invalidate_arg;
	/* resolved PolicyEndpoints, per policy, lazily */
	struct np_obj ***pe_of;
	size_t *npe_of;
	bool *resolved;
};

bool np__pod_selectable(const struct np_obj *pod);

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
	/*
	 * The next slot of the same namespace (ns), or with a namespace
	 * selector: the lists a pod's change walks (np_ctx.peers_ns).
	 */
	struct np_peer_slot *ns_next;
};

/* np_ctx.peers_ns's equality: a slot of namespace key. */
static inline bool np__slot_ns_eq(const void *val, const void *key)
{
	return !strcmp(((const struct np_peer_slot *)val)->ns, key);
}

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

/*
 * The snapshot's context, built or brought up to date; it stays the
 * cluster's (freed with it or when a change drops it).
 */
int np__ctx_get(struct np_cluster *c, struct np_ctx **out);
int np__resolve_policy(struct np_ctx *ctx, size_t pol, struct np_diag *diag);
bool np__pod_eligible(const struct np_obj *pod);
/*
 * Whether peer of policy pol selects pod by its labels and its
 * namespace's labels nsl (eligibility is the caller's); whether one of
 * pod's addresses is in ipBlock b.
 */
bool np__peer_matches(const struct np_obj *pol, const struct np_peer *peer,
		      const struct np_obj *pod, const struct np_labels *nsl);
bool np__pod_in_block(const struct np_ipblock *b, const struct np_obj *pod);
const struct np_container_port *np__pod_port(const struct np_obj *pod,
					     const char *name, uint8_t proto);
/*
 * Consistency of the cluster's context with its snapshot, for tests: 0 or a
 * negative number naming the first broken invariant.
 */
int np__ctx_check(struct np_cluster *c);
/*
 * The core cache's budget the cluster's context takes now (brought up to
 * date first), for tests; 0 on -ENOMEM.
 */
size_t np__ctx_cache_budget(struct np_cluster *c);
/* Drop the cluster's context and its caches (np_cluster_trim()). */
void np__ctx_drop(struct np_cluster *c);
/* The cluster's context as it is (NULL: none), neither built nor updated. */
struct np_ctx *np__ctx_peek(struct np_cluster *c);
/*
 * Whether the context holds a resolution of pol (resolved, or endpoints
 * kept to reuse): a change that can affect it goes through
 * on_invalidate.
 */
bool np__ctx_holds(const struct np_ctx *ctx, const struct np_obj *pol);
/* Policy ns/name's index in ctx->pols, or SIZE_MAX. */
size_t np__ctx_pol_index(const struct np_ctx *ctx, const char *ns,
			 const char *name);
/* Whether Service svc selects pod (a backend, eligible or not). */
bool np__svc_selects(const struct np_obj *svc, const struct np_obj *pod);
/* A namespace's labels, also without pods or object (tmp, one: scratch). */
const struct np_labels *np__ns_labels(const struct np_ctx *ctx, const char *ns,
				      struct np_labels *tmp,
				      struct np_label *one);

/*
 * Between the stage's files: resolve.c resolves rules into entries,
 * endpoints.c groups them into PolicyEndpoints, resolve_ctx.c keeps the
 * context in step (and asks what a rule looks at) with the pieces of its
 * indexes in resolve_idx.c.
 */

/* A growing list of PolicyEndpoint entries. */
struct np_ebuf {
	struct np_pe_entry *v;
	size_t n, cap;
};

const struct np_nsgroup *np__group_of(const struct np_ctx *ctx, const char *ns);
int np__peer_pods(struct np_ctx *ctx, const struct np_obj *pol,
		  const struct np_peer *peer, const struct np_obj ***out,
		  size_t *n, struct np_peer_slot **slotp);
int np__ingress_rule(struct np_ctx *ctx, struct np_arena *a,
		     const struct np_obj *pol, const struct np_rule *r, int ri,
		     const struct np_obj *rep, struct np_ebuf *b);
int np__egress_rule(struct np_ctx *ctx, struct np_arena *a,
		    const struct np_obj *pol, const struct np_rule *r, int ri,
		    struct np_ebuf *b);
/* ctx->svc_pods, nsvc_pods and bk, once (lazily). */
int np__service_backends(struct np_ctx *ctx);
/* Forget them (a change, or out of memory half-way): built again on use. */
void np__service_backends_drop(struct np_ctx *ctx);
/* Entries to the ClusterIPs of Services every backend of which b allows. */
int np__add_services(struct np_ctx *ctx, struct np_arena *a, struct np_ebuf *b);
/* b's entries sorted and deduplicated into a, b emptied. */
int np__ebuf_take(struct np_arena *a, struct np_ebuf *b,
		  struct np_pe_entry **out, size_t *n);

/*
 * resolve_idx.c, for resolve_ctx.c: every address two eligible pods share
 * (warned about, once per pair); those a pod that comes or changes shares;
 * whether an eligible pod shares one with another eligible pod.
 */
int np__warn_shared_all(const struct np_cluster *c, const struct np_ctx *ctx);
void np__warn_shared_one(const struct np_cluster *c, const struct np_ctx *ctx,
			 const struct np_obj *pod);
bool np__shares_addr(const struct np_ctx *ctx, const struct np_obj *pod);
/*
 * Sorted object arrays, by namespace and name: the order; the first index
 * whose object sorts at or after ns/name; an element of size bytes
 * inserted at or removed from index at; old removed (by identity) and
 * new_ inserted, with where (SIZE_MAX: nowhere).
 */
int np__obj_key_cmp(const struct np_obj *o, const char *ns, const char *name);
size_t np__lower(struct np_obj *const *v, size_t n, const char *ns,
		 const char *name);
int np__arr_insert(void **arr, size_t *n, size_t *cap, size_t at,
		   const void *elem, size_t size);
void np__arr_remove(void *arr, size_t *n, size_t at, size_t size);
int np__sorted_swap(struct np_obj ***v, size_t *n, size_t *cap,
		    const struct np_obj *old, const struct np_obj *new_,
		    size_t *removed_at, size_t *inserted_at);
/*
 * The Namespace object named name, or NULL; pod, at index at of
 * ctx->pods, added to or removed from its namespace's group.
 */
const struct np_obj *np__find_ns(const struct np_ctx *ctx, const char *name);
int np__groups_insert(struct np_ctx *ctx, const struct np_obj *pod, size_t at);
void np__groups_remove(struct np_ctx *ctx, const struct np_obj *pod, size_t at);

#endif /* NP_RESOLVE_H */
