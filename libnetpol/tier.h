/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ClusterNetworkPolicy tiers (tier.c): the ordered cluster-policy rules of
 * a pod, the reference evaluator of one flow through the tiers, and the
 * fold of the tiers into a pod's rule set.
 */
#ifndef NP_TIER_H
#define NP_TIER_H

#include "ruleset_internal.h"

/* One rule of a cluster policy whose subject selects the pod. */
struct np_trule {
	const struct np_obj *pol;
	const struct np_cnp_rule *r;
	int idx; /* in the policy's ingress or egress list */
};

/* Which step decided a flow. */
struct np_tier_verdict {
	bool allowed;
	enum np_tier tier;
	const struct np_obj *pol; /* ADMIN, BASELINE: the policy */
	int rule; /* ADMIN, BASELINE: its rule index; else -1 */
	enum np_cnp_action action;
};

/* Port intervals over the axis proto << 16 | port, lo <= hi. */
struct np_tiv {
	uint32_t lo, hi;
};

#define NP_TIV_MAX ((uint32_t)255 << 16 | 65535)

/* One rule of a fold, in evaluation order, and its provenance. */
struct np_frule {
	enum np_cnp_action action;
	enum np_cnp_tier tier;
	const char *pol; /* the policy's name (or a CPE's policyRef) */
	int rule; /* its rule index (or the CPE's entry index) */
};

/* One prefix of rule np_fsrc.r[rule] with the rule's ports there. */
struct np_tent {
	struct np_cidr cidr;
	size_t rule;
	const struct np_tiv *iv; /* sorted, disjoint; niv 0: nothing */
	size_t niv;
};

/* What one direction of a pod folds: its ordered rules, their prefixes. */
struct np_fsrc {
	struct np_frule *r;
	size_t n;
	struct np_tent *e;
	size_t ne;
};

/*
 * Fill *src for direction dir (0 ingress, 1 egress) in memory from a. An
 * error stops the fold (diag, fail_closed_dirs as np__tier_fold).
 */
typedef int (*np__fsrc_fn)(void *arg, int dir, struct np_arena *a,
			   struct np_fsrc *src, struct np_diag *diag);

/*
 * The fold of what fn gives into rs (the pod ns/name's NetworkPolicy rule
 * set), as np__tier_fold: rs unchanged when neither direction has a rule.
 */
int np__tier_fold_with(struct np_cluster *c, const char *ns, const char *name,
		       struct np_ruleset *rs, np__fsrc_fn fn, void *arg,
		       struct np_diag *diag);

/* Whether the subject of cluster policy p selects pod. */
bool np__tier_subject_has(const struct np_ctx *ctx, const struct np_cnp *p,
			  const struct np_obj *pod);

/* Whether a peer can be enforced (else: Accept matches nothing, etc.). */
bool np__tier_peer_enforceable(const struct np_cluster *c,
			       const struct np_cnp_peer *p);

/*
 * The peer expansion of the ordered rules tr[0..n) of pod (the subject;
 * NULL: none, ingress named ports resolve to nothing) in dir: every prefix
 * each rule reaches with its ports there, egress Service ClusterIPs judged
 * by their backends included. np_tent.rule indexes tr. Memory from a.
 */
int np__tier_entries(struct np_ctx *ctx, struct np_arena *a,
		     const struct np_obj *pod, int dir,
		     const struct np_trule *tr, size_t n, struct np_tent **out,
		     size_t *nout);

/*
 * Every ClusterNetworkPolicy's ClusterPolicyEndpoints (endpoints_cpe.c), in
 * the order np_cluster_endpoints() writes them, each handed to fn: cpe
 * lives until fn returns, what it points to as long as arena a. An error
 * of fn stops the walk and is returned; -ENOTSUP (diag) for one that
 * cannot be written.
 */
typedef int (*np__cpe_fn)(void *arg, struct np_arena *a,
			  const struct np_obj *cpe);
int np__cluster_cpes(struct np_cluster *c, struct np_ctx *ctx,
		     struct np_arena *a, np__cpe_fn fn, void *arg,
		     struct np_diag *diag);

/*
 * tier.c's helpers that the fold (tier_fold.c) shares with the reference
 * evaluator, as there: the subject test with the namespace's labels nsl;
 * the order of np__tier_rules (qsort of struct np_trule); the checks and
 * warnings of a pod's rules; a selector peer's match of a pod; a rule's
 * ports; svc_hit: whether egress rule r matches a flow to Service port sp
 * of ctx->svcs[s] by its backends; Node selection and addresses.
 */
bool np__tier_subject_nsl(const struct np_cnp *p, const struct np_labels *nsl,
			  const struct np_obj *pod);
int np__tier_check_enforceable(struct np_cluster *c, const struct np_obj *pod,
			       int dir, const struct np_trule *tr, size_t n,
			       struct np_diag *diag);
void np__tier_warn_ties(struct np_cluster *c, const struct np_obj *pod, int dir,
			const struct np_trule *tr, size_t n);
void np__tier_warn_own_node(struct np_cluster *c, const struct np_ctx *ctx,
			    const struct np_obj *pod, int dir,
			    const struct np_trule *tr, size_t n);
bool np__tier_peer_pod_match(const struct np_ctx *ctx,
			     const struct np_cnp_peer *p,
			     const struct np_obj *peer);
bool np__tier_ports_hold(const struct np_cnp_rule *r,
			 const struct np_obj *named_on, uint8_t proto,
			 uint16_t port);
bool np__tier_svc_hit(const struct np_ctx *ctx, const struct np_obj *pod,
		      const struct np_cnp_rule *r, size_t s,
		      const struct np_service_port *sp, int family);
/*
 * Whether egress rule r matches a flow to Service port sp of ctx->svcs[s]
 * (family's ClusterIP) by its backends, each judged by match(arg, ...) at
 * its target port (the datapath sees the ClusterIP, before DNAT): for an
 * Accept every backend must match (at least one), for a Deny or Pass one
 * is enough, so that a Service is no way around a Deny.
 * np__tier_svc_hit() is this with the rule's own peer matching.
 */
typedef bool (*np__tier_backend_fn)(const void *arg,
				    const struct np_cnp_rule *r,
				    const struct np_obj *bp,
				    const struct np_ip *ip, uint8_t proto,
				    uint16_t port);
bool np__tier_svc_by(const struct np_ctx *ctx, const struct np_cnp_rule *r,
		     size_t s, const struct np_service_port *sp, int family,
		     np__tier_backend_fn match, const void *arg);
bool np__tier_node_selected(const struct np_cnp_peer *p,
			    const struct np_obj *n);
bool np__tier_node_peer_has(const struct np_ctx *ctx,
			    const struct np_cnp_peer *p,
			    const struct np_ip *ip);
int np__tier_trule_cmp(const void *a, const void *b);

/* Whether the snapshot has any ClusterNetworkPolicy. */
bool np__tier_any(const struct np_cluster *c);

/*
 * The cluster-policy rules for pod in direction dir (0 ingress, 1 egress)
 * in evaluation order: Admin then Baseline, priority, policy name, group
 * (upstream first), rule index. *out is malloc'd.
 */
int np__tier_rules(struct np_cluster *c, struct np_ctx *ctx,
		   const struct np_obj *pod, int dir, struct np_trule **out,
		   size_t *n);

/*
 * The reference: the verdict on one flow of pod in dir with the remote
 * address ip (peer: the pod that has it, or NULL), walking the tiers; the
 * NetworkPolicy step asks nprs, the pod's rule set without cluster
 * policies. -ENOTSUP (diag) when a Deny or Pass rule of the pod in that
 * direction has a peer that cannot be enforced.
 */
int np__tier_eval(struct np_cluster *c, const struct np_obj *pod,
		  const struct np_ruleset *nprs, enum np_direction dir,
		  const struct np_ip *ip, const struct np_obj *peer,
		  uint8_t proto, uint16_t port, struct np_tier_verdict *v,
		  struct np_diag *diag);

/*
 * Replace rs->core (the pod's NetworkPolicy rule set) by the fold of the
 * tiers into it, when a cluster policy has rules for the pod; else leave
 * it. -E2BIG as np_ruleset_compile; -ENOTSUP as np__tier_eval; both set
 * diag->fail_closed_dirs.
 */
int np__tier_fold(struct np_cluster *c, const struct np_obj *pod,
		  struct np_ruleset *rs, struct np_diag *diag);

/*
 * The agent's view (tier_cpe.c): fold the ClusterPolicyEndpoints that name
 * pod ns/name into rs (built from its PolicyEndpoints), as np__tier_fold
 * does with the policies: list order is rule order; tier and priority from
 * each object; order across them as np__tier_rules (priority, policyRef
 * name, then the object's name).
 */
int np__tier_fold_cpe(struct np_cluster *c, const char *ns, const char *name,
		      struct np_ruleset *rs, struct np_diag *diag);

/*
 * The identity (addresses) of pod ns/name from the first
 * ClusterPolicyEndpoint naming it, or NULL.
 */
const struct np_pe_pod *np__cpe_ident(struct np_cluster *c, const char *ns,
				      const char *name);

#endif /* NP_TIER_H */
