/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Options structs, the libbpf way: validating the caller's struct and
 * reading its fields (CONVENTIONS §6).
 *
 * Every public options struct starts with size_t sz, the caller's
 * sizeof. The library accepts:
 *   - NULL (every field takes its default);
 *   - sz at least the end of the first field after sz;
 *   - sz larger than the library's struct (a caller built against a newer
 *     header) only when every byte past the library's sizeof is zero, i.e.
 *     the caller asked for nothing this library does not know. Trailing
 *     padding inside the library's sizeof is not checked: NP_OPTS() does
 *     not promise to zero padding (libbpf's memset needs a GNU statement
 *     expression, and the public headers are C99), so a later field that
 *     an older struct's padding could hold must come with explicit room.
 * Anything else is -EINVAL, with a diagnostic "<type>: sz too small" or
 * "<type>: unknown non-zero fields past byte N".
 *
 *   NP_OPTS_VALID(opts, type)        true when the struct is acceptable
 *   NP_OPTS_CHECK(opts, type, diag)  0, or -EINVAL with diag (optional) set
 *   NP_OPTS_HAS(opts, field)         the caller's struct has that field
 *   NP_OPTS_GET(opts, field, def)    that field, or def when it has not
 *
 * Each options type names its first field after sz below (the least a
 * caller's sz must cover).
 */
#ifndef NP_OPTS_H
#define NP_OPTS_H

#include <stddef.h>

#include "netpol/diag.h"

#define np_cluster_opts__first log
#define np_load_opts__first skip_invalid
#define np_compile_opts__first source
#define np_matrix_opts__first ports
#define np_datapath_opts__first pin_root
#define np_attach_opts__first ifname
#define np_mapset_lpm_opts__first layout
#define np_txn_opts__first nowait
#define np_attrib_opts__first source
#define np_changes_opts__first source

#define np__offsetofend(TYPE, FIELD) \
	(offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))

/*
 * sz is the caller's, min_sz the end of the first field after sz, known_sz
 * the library's sizeof. 0 or -EINVAL (diag set, when given).
 */
int np__opts_check(const void *opts, size_t sz, size_t min_sz, size_t known_sz,
		   const char *type, struct np_diag *diag);

#define NP_OPTS_CHECK(opts, type, diag)                                       \
	((opts) ? np__opts_check((opts), (opts)->sz,                          \
				 np__offsetofend(struct type, type##__first), \
				 sizeof(struct type), #type, (diag)) :        \
		  0)

#define NP_OPTS_VALID(opts, type) (NP_OPTS_CHECK(opts, type, NULL) == 0)

#define NP_OPTS_HAS(opts, field) \
	((opts) && (opts)->sz >= np__offsetofend(__typeof__(*(opts)), field))

#define NP_OPTS_GET(opts, field, fallback) \
	(NP_OPTS_HAS(opts, field) ? (opts)->field : (fallback))

#endif /* NP_OPTS_H */
