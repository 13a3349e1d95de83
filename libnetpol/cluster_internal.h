/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef NP_CLUSTER_INTERNAL_H
#define NP_CLUSTER_INTERNAL_H

#include "objects.h"

/* Objects of one kind: open addressing on (namespace, name). */
struct np_table {
	struct np_obj **slots;
	size_t cap;
	size_t n;
};

struct np_cluster {
	np_log_fn log;
	void *log_ctx;
	struct np_table t[NP_KIND__MAX];
	uint64_t gen; /* bumped on every change */
	struct np_ctx *ctx; /* compiler cache, valid while ctx->gen == gen */
};

void np__ctx_free(struct np_ctx *ctx);
/*
 * Object old (NULL: none) became new (NULL: deleted); the table already
 * holds new and old is still alive. Keeps c->ctx valid, or drops it.
 */
void np__ctx_change(struct np_cluster *c, enum np_kind kind,
		    const struct np_obj *old, const struct np_obj *new_);
void np__ctx_synced(struct np_ctx *ctx, uint64_t gen);
int np__ctx_check(struct np_cluster *c);

struct np_obj *np__cluster_find(const struct np_cluster *c, enum np_kind k,
				const char *ns, const char *name);
/*
 * Every object of a kind sorted by namespace and name. *out is malloc'd
 * (borrowed pointers inside); free it with free().
 */
int np__cluster_sorted(const struct np_cluster *c, enum np_kind k,
		       struct np_obj ***out, size_t *n);

#endif /* NP_CLUSTER_INTERNAL_H */
