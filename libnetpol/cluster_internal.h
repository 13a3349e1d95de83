/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The cluster snapshot's internals (cluster.c): its tables, lookups, and
 * the hooks through which the stages above it follow its changes.
 */
#ifndef NP_CLUSTER_INTERNAL_H
#define NP_CLUSTER_INTERNAL_H

#include <pthread.h>

#include "hashmap.h"
#include "objects.h"

/*
 * Who watches the snapshot (the compiler, which sits above it): the
 * snapshot calls these and knows nothing else of it. on_change: object old
 * (NULL: none) became new_ (NULL: deleted); the table already holds new_
 * and old is still alive. on_synced: every change of one call is in, the
 * snapshot's generation is now gen. on_free: the cluster goes. A hook may
 * replace or clear the registration (np__cluster_set_hooks()) from inside.
 */
struct np_cluster_hooks {
	void (*on_change)(void *ctx, struct np_cluster *c, enum np_kind kind,
			  const struct np_obj *old, const struct np_obj *new_);
	void (*on_synced)(void *ctx, uint64_t gen);
	void (*on_free)(void *ctx);
};

struct np_cluster {
	np_log_fn log;
	void *log_ctx;
	/* objects of one kind by (namespace, name) */
	struct np_hashmap t[NP_KIND__MAX];
	uint64_t gen; /* bumped on every change */
	const struct np_cluster_hooks *hooks; /* NULL: nobody watches */
	void *hooks_ctx;
	/* a second watcher: the change tracker (changes_track.c), likewise */
	const struct np_cluster_hooks *watch;
	void *watch_ctx;
	size_t cache_bytes; /* np_cluster_opts.cache_bytes; 0: by size */
	/*
	 * Held by every public call that takes the cluster, for its whole
	 * run, so that calls from several threads take turns. Recursive: a
	 * public call made from inside another (the library's own, or a log
	 * or on_diag callback on the same thread) goes through. It guards
	 * everything above, and what the hooks' contexts keep (the
	 * compiler's caches, the change tracker).
	 */
	pthread_mutex_t lock;
};

/*
 * Take and release c's lock (NULL: nothing). A const cluster is locked
 * too: another thread may be changing what it reads.
 */
void np__cluster_lock(const struct np_cluster *c);
void np__cluster_unlock(const struct np_cluster *c);

/* One watcher at a time: hooks NULL unregisters. */
void np__cluster_set_hooks(struct np_cluster *c,
			   const struct np_cluster_hooks *hooks, void *ctx);
/* The second watcher's slot (the change tracker), the same way. */
void np__cluster_set_watch(struct np_cluster *c,
			   const struct np_cluster_hooks *hooks, void *ctx);

struct np_obj *np__cluster_find(const struct np_cluster *c, enum np_kind k,
				const char *ns, const char *name);
/*
 * Every object of a kind sorted by namespace and name. *out is malloc'd
 * (borrowed pointers inside); free it with free().
 */
int np__cluster_sorted(const struct np_cluster *c, enum np_kind k,
		       struct np_obj ***out, size_t *n);

#endif /* NP_CLUSTER_INTERNAL_H */
