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

/* Whether policy p's subject selects pod (the fold's own test). */
bool np__cnp_subject_has(const struct np_ctx *ctx, const struct np_cnp *p,
			 const struct np_obj *pod);
/* Whether peer p of a rule can be enforced in this snapshot. */
bool np__cnp_peer_enforceable(const struct np_cluster *c,
			      const struct np_cnp_peer *p);

#endif /* NP_TIER_H */
