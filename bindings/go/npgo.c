/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#include "npgo.h"

#include <errno.h>
#include <string.h>

#include "_cgo_export.h"

static void on_log(void *ctx, enum np_log_level level, const char *msg)
{
	npGoLog((uintptr_t)ctx, (int)level, (char *)msg);
}

static void on_diag(void *ctx, const struct np_diag *diag)
{
	npGoDiag((uintptr_t)ctx, (struct np_diag *)diag);
}

static int on_event(void *ctx, const struct np_event *ev)
{
	return npGoEvent((uintptr_t)ctx, (struct np_event *)ev);
}

static int on_pod(void *ctx, const struct np_datapath_pod *pod)
{
	return npGoPod((uintptr_t)ctx, (struct np_datapath_pod *)pod);
}

int np_go_cluster_new(struct np_cluster **out, uintptr_t log,
		      size_t cache_bytes)
{
	NP_OPTS(np_cluster_opts, o, .cache_bytes = cache_bytes);

	if (log) {
		o.log = on_log;
		o.log_ctx = (void *)log;
	}
	return np_cluster_new(out, &o);
}

int np_go_load(struct np_cluster *c, const char *path, const void *buf,
	       size_t len, const char *name, bool skip_invalid, int format,
	       uintptr_t diags, struct np_diag *diag)
{
	NP_OPTS(np_load_opts, o, .skip_invalid = skip_invalid,
		.format = (enum np_format)format);

	if (diags) {
		o.on_diag = on_diag;
		o.diag_ctx = (void *)diags;
	}
	if (!buf)
		return np_cluster_load_file(c, path, &o, diag);
	return np_cluster_load_buffer(c, buf, len, name, &o, diag);
}

int np_go_datapath_open(struct np_datapath **out, struct np_datapath_opts *opts,
			uintptr_t log)
{
	if (!opts)
		return -EINVAL;
	if (log) {
		opts->log = on_log;
		opts->log_ctx = (void *)log;
	}
	return np_datapath_open(out, opts);
}

int np_go_poll_events(struct np_datapath *dp, int timeout_ms, uintptr_t h)
{
	return np_datapath_poll_events(dp, timeout_ms, on_event, (void *)h);
}

int np_go_pod_foreach(struct np_datapath *dp, uintptr_t h)
{
	return np_datapath_pod_foreach(dp, on_pod, (void *)h);
}
