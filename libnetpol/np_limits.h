/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every input-controlled count has a limit here. Exceeding one is -E2BIG
 * with a diagnostic. Documented in libnetpol(3), section LIMITS.
 */
#ifndef NP_LIMITS_H
#define NP_LIMITS_H

#define NP_MAX_INPUT_BYTES (256u << 20) /* one file or buffer */
#define NP_MAX_DEPTH 64 /* nesting of maps and lists */
#define NP_MAX_NODES (8u << 20) /* nodes in one input */
#define NP_MAX_ALIAS_NODES 100000 /* nodes reached through aliases */
#define NP_MAX_SCALAR_BYTES (1u << 20) /* one string */
#define NP_MAX_OBJECTS (1u << 20) /* objects in one input */
#define NP_MAX_LIST 4096 /* any list inside a policy object */
#define NP_MAX_LABELS 1024 /* labels or selector terms */
#define NP_MAX_POD_PORTS 1024 /* container ports of one pod */
#define NP_MAX_IPS 16 /* podIPs, clusterIPs */
#define NP_MAX_MATRIX_CELLS (1u << 22) /* np_cluster_matrix: pods^2 x ports */

/* Not input limits: bounds of the library's own caches. */
#define NP_CORE_CACHE (256u << 20) /* bytes of cached rule sets */

#endif /* NP_LIMITS_H */
