/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libnetpol: diagnostics.
 *
 * A caller-owned struct np_diag receives where and why a call failed:
 * the input's name, line and column (1-based, 0 when unknown), the object
 * ("NetworkPolicy default/web"), the field path
 * ("spec.ingress[0].ports[1].endPort") and a message in the style of the
 * Kubernetes API server ("Invalid value: 70: must be greater than or equal
 * to port").
 *
 *   np_diag_format()  "file:line:col: object: path: message" into a buffer
 */
#ifndef NETPOL_DIAG_H
#define NETPOL_DIAG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct np_diag {
	int err; /* negative errno of the problem */
	unsigned int line; /* 1-based; 0 when unknown */
	unsigned int column; /* 1-based; 0 when unknown */
	char file[256]; /* input name, "-" for stdin, "" when none */
	char object[256]; /* "NetworkPolicy default/web", or "" */
	char path[256]; /* field path, or "" */
	char message[512]; /* reason, API-server style */
	/*
	 * -E2BIG of np_ruleset_compile() or np_datapath_apply(): the
	 * directions that cannot be enforced, bit 1u << enum np_direction,
	 * for np_datapath_fail_closed(); 0 otherwise.
	 */
	uint32_t fail_closed_dirs;
	uint32_t reserved32; /* zeroed */
	uint64_t reserved[3]; /* zeroed; for later fields */
};

/* Receives every problem of a call that can find several. */
typedef void (*np_diag_fn)(void *ctx, const struct np_diag *diag);

/*
 * Format as "file:line:col: object: path: message", leaving out the parts
 * that are empty. Returns 0, -EINVAL, or -ENOSPC when truncated (the buffer
 * still holds a terminated prefix).
 */
NP_API int np_diag_format(const struct np_diag *diag, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* NETPOL_DIAG_H */
