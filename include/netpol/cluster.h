/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libnetpol: the cluster snapshot.
 *
 * A struct np_cluster holds Namespaces, Pods, Services, NetworkPolicies
 * (networking.k8s.io/v1) and PolicyEndpoints (networking.k8s.aws/v1alpha1),
 * and ClusterNetworkPolicies (policy.networking.k8s.io v1alpha2/v1beta1,
 * networking.k8s.aws/v1alpha1) and ClusterPolicyEndpoints, which are
 * validated but not enforced yet (cluster-scoped: no namespace).
 * Load whole files or buffers (YAML with several documents, JSON, kind: List)
 * or upsert and delete single objects, as a controller watching the API does.
 *
 *   np_cluster_new()          create an empty snapshot
 *   np_cluster_free()         free it (NULL-safe)
 *   np_cluster_load_file()    parse, validate and upsert a file ("-": stdin)
 *   np_cluster_load_buffer()  the same for a buffer
 *   np_cluster_delete()       remove one object
 *   np_cluster_count()        how many objects of a kind
 *   np_cluster_export()       every object of a kind as a kind: List
 *   np_cluster_names()        "namespace/name" of every object of a kind
 *   np_cluster_trim()         drop the compiler's caches (memory back)
 *
 * The rule sets that changed since the last time the caller asked:
 * np_cluster_changes() in ruleset.h.
 *
 * One cluster may be used from several threads: every call that takes a
 * cluster (here, in ruleset.h and attrib.h) holds the cluster's lock for
 * the whole call, so calls take turns and each is whole. The lock is
 * recursive: a callback (log, on_diag, a matrix's decide) may call into
 * the cluster from its own thread. np_cluster_free() must not overlap any
 * other call on the cluster. No call returns a pointer into the cluster:
 * what comes back is the caller's and stays valid whatever changes next.
 */
#ifndef NETPOL_CLUSTER_H
#define NETPOL_CLUSTER_H

#include "common.h"
#include "diag.h"

#ifdef __cplusplus
extern "C" {
#endif

struct np_cluster;

/*
 * The default of np_cluster_opts.cache_bytes: 16 KiB per Pod of the
 * snapshot, at least 2 MiB and at most 256 MiB; 2 MiB once
 * np_cluster_changes() tracks the pods (its tracker holds every pod's
 * core, so the cache alone keeps only superseded ones).
 */
#define NP_CLUSTER_CACHE_BYTES_DEFAULT ((size_t)2 << 20)
#define NP_CLUSTER_CACHE_BYTES_PER_POD ((size_t)16 << 10)
#define NP_CLUSTER_CACHE_BYTES_MAX ((size_t)256 << 20)

struct np_cluster_opts {
	size_t sz;
	np_log_fn log; /* optional: skipped kinds, warnings */
	void *log_ctx;
	/*
	 * Bytes of compiled rule-set cores (the rules of a set of
	 * PolicyEndpoints) the compiler keeps for reuse once nothing else
	 * uses them; 0: NP_CLUSTER_CACHE_BYTES_PER_POD per Pod, at least
	 * NP_CLUSTER_CACHE_BYTES_DEFAULT, at most NP_CLUSTER_CACHE_BYTES_MAX;
	 * NP_CLUSTER_CACHE_BYTES_DEFAULT once np_cluster_changes() was
	 * called (the change tracker holds every pod's core).
	 * Cores a rule set, a
	 * change set or the change tracker holds are shared through the
	 * cache and do not count; past the budget the unused ones least
	 * recently used go until half the budget is free.
	 * Cached cores are keyed by content, so equal rules built again
	 * hit. (The ClusterNetworkPolicy folds have caches of their own,
	 * emptied by every change.)
	 */
	size_t cache_bytes;
};

struct np_load_opts {
	size_t sz;
	/*
	 * false (default): all or nothing. When any object is invalid nothing
	 * is applied and the call returns -EINVAL.
	 * true: valid objects are applied, each invalid one is reported and
	 * skipped (its previous version, if any, stays), and the call returns
	 * 0. A syntax error always rejects the whole input.
	 */
	bool skip_invalid;
	enum np_format format; /* NP_FORMAT_AUTO by default */
	np_diag_fn on_diag; /* optional: every problem, not just the first */
	void *diag_ctx;
};

NP_API int np_cluster_new(struct np_cluster **out,
			  const struct np_cluster_opts *opts);
/*
 * NULL-safe. Not while another thread is inside a call on the cluster or
 * may still make one: that is the caller's bug (join those threads first).
 */
NP_API void np_cluster_free(struct np_cluster *cluster);

/*
 * A load parses and validates before it takes the cluster's lock (that
 * needs no snapshot): loads from several threads parse at once, and
 * on_diag hears of invalid objects without the lock held. Then it
 * applies the objects under the lock, all at once.
 */
NP_API int np_cluster_load_file(struct np_cluster *cluster, const char *path,
				const struct np_load_opts *opts,
				struct np_diag *diag);
NP_API int np_cluster_load_buffer(struct np_cluster *cluster, const void *buf,
				  size_t len, const char *name,
				  const struct np_load_opts *opts,
				  struct np_diag *diag);

/*
 * ns is ignored for cluster-scoped kinds (Namespace, both
 * ClusterNetworkPolicy kinds, ClusterPolicyEndpoint). -ENOENT when absent.
 */
NP_API int np_cluster_delete(struct np_cluster *cluster, enum np_kind kind,
			     const char *ns, const char *name);
NP_API size_t np_cluster_count(const struct np_cluster *cluster,
			       enum np_kind kind);

/*
 * Every object of a kind, sorted by namespace and name, as a kind: List in
 * its normalized form (defaults applied); loading it back gives the same
 * objects. *out is freed with np_free().
 */
NP_API int np_cluster_export(const struct np_cluster *cluster,
			     enum np_kind kind, enum np_format format,
			     char **out);

/*
 * One line per object of a kind, "namespace/name" (Namespaces: "name"),
 * sorted. *out is freed with np_free().
 */
NP_API int np_cluster_names(const struct np_cluster *cluster, enum np_kind kind,
			    char **out);

/*
 * Drop every cache the compiler keeps on the cluster (indexes, resolved
 * PolicyEndpoints, cached rule-set cores and folds) and hand freed heap
 * memory back to the system where the C library can. Nothing else
 * changes: the next compile rebuilds what it needs, and
 * np_cluster_changes() still reports against what it reported last.
 * NULL-safe.
 */
NP_API void np_cluster_trim(struct np_cluster *cluster);

#ifdef __cplusplus
}
#endif

#endif /* NETPOL_CLUSTER_H */
