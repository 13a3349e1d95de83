/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The datapath's internal entry points: the compiler, tests, benchmarks.
 * (What the datapath files share among themselves is dp_internal.h.)
 */
#ifndef NP_DATAPATH_INTERNAL_H
#define NP_DATAPATH_INTERNAL_H

#include "netpol/datapath.h"
#include "mapset.h"

/*
 * Enforce encoded map contents on an attached pod (np_datapath_apply after
 * compiling and encoding). Atomic, see DESIGN §4: each isolated direction's
 * content gets a rule-set id (shared by every pod with the same content,
 * refcounted), written before the endpoint record flips to it with one map
 * update; a rule set no pod uses any more is deleted once no packet can be
 * reading it. -ENOENT: not attached; -EINVAL: malformed map set; -E2BIG: a
 * map is full. On error the previous rules stay and diag says why.
 */
int np__datapath_apply_mapset(struct np_datapath *dp, unsigned int ifindex,
			      const struct np_mapset *ms, struct np_diag *diag);

/*
 * Benchmarks only: the programs stop inserting conntrack entries, so that
 * BPF_PROG_TEST_RUN repeats of one packet keep taking the new-flow path.
 * Node-wide; never on a node that carries traffic.
 */
int np__datapath_set_bench_no_ct_insert(struct np_datapath *dp, bool on);

/* The program fd of a direction (borrowed), for benchmarks. */
int np__datapath_prog_fd(struct np_datapath *dp, enum np_direction dir);

/*
 * The programs' clock, for tests: now (jiffies, low 32 bits, the unit of
 * conntrack and fragment last_seen) and jiffies per second.
 */
int np__datapath_clock(struct np_datapath *dp, uint32_t *now, uint32_t *hz);

/*
 * How often a writing handle collects stale records in its calls (default
 * 30 s; 0: at every call), for tests.
 */
void np__datapath_set_stale_interval(struct np_datapath *dp, uint64_t ns);
/* The rule-set ids in use and their reference counts, for tests. */
size_t np__datapath_nrulesets(struct np_datapath *dp);
/* Entries (v4 + v6) written under a rule-set id; 0 when unknown. */
size_t np__datapath_ruleset_keys(struct np_datapath *dp, uint32_t id);
/* Port sets in use (refcount > 0). */
size_t np__datapath_nportsets(struct np_datapath *dp);

/* Tests: AND-ed into every rule-set digest (0 makes all collide). */
extern uint64_t np__datapath_digest_mask;

#endif /* NP_DATAPATH_INTERNAL_H */
