/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The library's private limits. The ones callers can read (every
 * input-controlled count, exceeding one is -E2BIG with a diagnostic) are
 * in the public netpol/limits.h, documented in libnetpol(3), LIMITS.
 */
#ifndef NP_LIMITS_H
#define NP_LIMITS_H

#include "netpol/limits.h"

/*
 * Not input limits: bounds of the library's own caches. The rule-set core
 * cache, which lives across changes, by np_cluster_opts.cache_bytes
 * (NP_CLUSTER_CACHE_BYTES_DEFAULT, cluster.h); the tiers' folds and
 * shares, emptied by every change of the snapshot, each by this.
 */
#define NP_TIER_CACHE (256u << 20) /* bytes */

#endif /* NP_LIMITS_H */
