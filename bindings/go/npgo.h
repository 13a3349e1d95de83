/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * C helpers of the cgo binding: the library's callbacks lead to exported
 * Go functions (callbacks.go) with a runtime/cgo.Handle as their context,
 * and options structs that carry a callback are filled here, so no Go
 * code turns a handle into a pointer.
 */
#ifndef NETPOL_GO_H
#define NETPOL_GO_H

#include <stdint.h>
#include <stdlib.h>

#include <netpol.h>

/*
 * np_cluster_new() with the log callback when log is a handle, else none,
 * and np_cluster_opts.cache_bytes
 */
int np_go_cluster_new(struct np_cluster **out, uintptr_t log,
		      size_t cache_bytes);

/*
 * np_cluster_load_file() (buf NULL) or np_cluster_load_buffer(), each
 * problem to the Go slice of handle diags when it is not 0
 */
int np_go_load(struct np_cluster *c, const char *path, const void *buf,
	       size_t len, const char *name, bool skip_invalid, int format,
	       uintptr_t diags, struct np_diag *diag);

/* np_datapath_open() with the log callback when log is a handle */
int np_go_datapath_open(struct np_datapath **out, struct np_datapath_opts *opts,
			uintptr_t log);

/* np_datapath_poll_events() into the Go collector of handle h */
int np_go_poll_events(struct np_datapath *dp, int timeout_ms, uintptr_t h);

/* np_datapath_pod_foreach() into the Go slice of handle h */
int np_go_pod_foreach(struct np_datapath *dp, uintptr_t h);

#endif /* NETPOL_GO_H */
