/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the change-set files share and nobody else sees: pod keys and the
 * sets of them, the records of what was reported last, the tracker, the
 * change set itself, and the prototypes each file offers the others. Who
 * calls whom (no file calls back up):
 *   changes.c (change sets, diffs, commit)  -> changes_ep.c, changes_track.c
 *   changes_ep.c (endpoints' changes)       -> changes_track.c
 *   changes_track.c (keys, the tracker)     -> the stages below
 */
#ifndef NP_CHANGES_INTERNAL_H
#define NP_CHANGES_INTERNAL_H

#include "ruleset_internal.h"

/* "ns\0name\0", malloc'd; the unit of the tracker's tables. */
struct pkey {
	uint64_t h;
	size_t nslen;
	char s[]; /* ns, NUL, name, NUL */
};

struct pkey_probe {
	const char *ns, *name;
};

/* A mark: a pod or a NetworkPolicy to look at. */
struct mark {
	struct pkey *key;
};

/* What was reported last of a pod. */
struct base {
	struct pkey *key;
	uint64_t hash; /* 0: no rule set (it failed) */
	struct np_rs_core *core; /* a reference; NULL with hash 0 */
};

/* The PolicyEndpoints of one NetworkPolicy as last reported. */
struct pe_rec {
	struct pkey *key; /* the policy */
	size_t n;
	char **names;
	uint64_t *hash; /* of each one's JSON */
};

/* A ClusterPolicyEndpoint as last reported. */
struct cpe_rec {
	char *name;
	char *policy; /* its ClusterNetworkPolicy */
	uint64_t hash; /* of its JSON */
};

struct tracker {
	struct np_hashmap base; /* struct base */
	struct np_hashmap pods; /* struct mark: pods to compile */
	struct np_hashmap pols; /* struct mark: their selected pods too */
	bool all; /* every pod */
	bool failed; /* a mark could not be kept: every pod */
	enum np_source source;
	/* PolicyEndpoints (np_changes_opts.endpoints) */
	struct np_hashmap eps; /* struct pe_rec, by policy */
	struct np_hashmap epols; /* struct mark: policies to look at */
	bool ep_on; /* reported last time: eps holds what */
	bool ep_all; /* every policy */
	/* ClusterPolicyEndpoints as last reported (ep_on), sorted by name */
	struct cpe_rec *cpes;
	size_t ncpes;
	bool cpe_dirty; /* an event since may have changed one */
};

/* --- the change set: changes.c, its endpoints changes_ep.c -------------- */

/* A pod whose rule set changed. */
struct change {
	struct np_change c; /* ns, name: into key */
	struct pkey *key;
	struct np_ruleset *rs; /* the new rule set, or NULL */
	struct np_rs_core *old; /* a reference, or NULL */
};

/* A PolicyEndpoint that changed. */
struct ep_change {
	struct np_endpoint_change c; /* strings: below */
	char *ns, *name, *policy;
	char *text[2]; /* the new object: [0] YAML, [1] JSON; NULL: removed */
};

struct np_changes {
	struct change *v;
	size_t n, cap;
	size_t compiled; /* pods compiled to find them (tests) */
	struct ep_change *ev;
	size_t nev, evcap;
	/* the records to commit: policy key, new record (NULL: none) */
	struct pe_pending {
		struct pkey *key;
		struct pe_rec *rec;
	} * pend;
	size_t npend, pendcap;
	/* the ClusterPolicyEndpoints to commit, when resolved again (cpe_new) */
	struct cpe_rec *cpend;
	size_t ncpend, cpendcap;
	bool cpe_new;
	size_t cpes_built; /* ClusterPolicyEndpoints built to find them (tests) */
};

/* --- changes_track.c: pod keys, records, the tracker -------------------- */

/* np__hashmap's eq of a table of keys: val's key against a pkey_probe. */
bool np__pkey_eq(const void *val, const void *key);
/* A key of ns/name (malloc'd), or NULL. */
struct pkey *np__pkey_new(const char *ns, const char *name);
const char *np__pkey_ns(const struct pkey *p);
const char *np__pkey_name(const struct pkey *p);
/*
 * A table of keys (a set) whose values start with a struct pkey pointer:
 * the value of ns/name (NULL: none); ns/name marked (a struct mark) when
 * it is not there; every mark freed.
 */
void *np__kset_get(const struct np_hashmap *m, const char *ns,
		   const char *name);
int np__kset_mark(struct np_hashmap *m, const char *ns, const char *name);
void np__kset_clear(struct np_hashmap *m);
void np__pe_rec_free(void *p);
void np__cpe_recs_free(struct cpe_rec *v, size_t n);

/* The next object of a kind from slot *i on (NULL: none), *i past it. */
const struct np_obj *np__next_obj(const struct np_cluster *c, enum np_kind k,
				  size_t *i);

/*
 * The pods of a namespace, one at a time (NULL: no more): from the
 * resolution context's group of the namespace when there is a context
 * (it follows every change before this stage hears of it, or goes), else
 * every Pod of the snapshot, filtered. Which of the two is decided at the
 * first call: a compile in between may build a context. A policy's event
 * must not cost a walk over every pod of a large cluster.
 */
struct ns_pods {
	struct np_cluster *c;
	const char *ns;
	const struct np_ctx *ctx;
	const struct np_nsgroup *g;
	size_t i;
};

void np__ns_pods_init(struct ns_pods *it, struct np_cluster *c, const char *ns);
const struct np_obj *np__ns_pods_next(struct ns_pods *it);

/*
 * The tracker as the cluster's second watcher (np__cluster_set_watch()),
 * and what the resolution context calls (np_ctx.on_invalidate) to tell it
 * which policy it drops.
 */
extern const struct np_cluster_hooks np__tracker_hooks;
void np__tracker_invalidated(void *p, const struct np_obj *pol);

/* --- changes_ep.c: the endpoints' changes and records ------------------- */

/*
 * The PolicyEndpoints of the policies the tracker marked (or all), and
 * the ClusterPolicyEndpoints, into ch; their records committed (cannot
 * fail when t->eps has room for ch->npend more); or forgotten.
 */
int np__ep_collect(struct np_cluster *c, struct tracker *t,
		   struct np_changes *ch, struct np_diag *diag);
int np__ep_commit(struct tracker *t, struct np_changes *ch);
void np__ep_forget(struct tracker *t);

#endif /* NP_CHANGES_INTERNAL_H */
