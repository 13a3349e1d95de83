// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A build without the eBPF datapath (-Dbpf=disabled, or no clang/bpftool)
 * keeps the same ABI: every datapath call fails with -ENOTSUP.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netpol/datapath.h"
#include "opts.h"
#include "util.h"

/*
 * existing_only answers as the real open would up to the load: -ENOENT
 * when no completed load (its pinned prog_clock) is under pin_root.
 */
int np_datapath_open(struct np_datapath **out,
		     const struct np_datapath_opts *opts)
{
	const char *root = NP_OPTS_GET(opts, pin_root, NULL);
	char path[PATH_MAX];

	if (!out || !NP_OPTS_VALID(opts, np_datapath_opts))
		return -EINVAL;
	*out = NULL;
	if (!NP_OPTS_GET(opts, existing_only, false))
		return -ENOTSUP;
	if (!root || !*root)
		root = "/sys/fs/bpf/netpol";
	if ((size_t)snprintf(path, sizeof(path), "%s/prog_clock", root) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	return access(path, F_OK) ? -ENOENT : -ENOTSUP;
}

void np_datapath_close(struct np_datapath *dp)
{
	(void)dp;
}

int np_datapath_destroy(struct np_datapath *dp)
{
	(void)dp;
	return -ENOTSUP;
}

int np_datapath_attach(struct np_datapath *dp,
		       const struct np_attach_opts *opts, struct np_diag *diag)
{
	int err = NP_OPTS_CHECK(opts, np_attach_opts, diag);

	if (err)
		return err;
	if (diag) {
		memset(diag, 0, sizeof(*diag));
		diag->err = -ENOTSUP;
		snprintf(diag->message, sizeof(diag->message),
			 "libnetpol was built without the eBPF datapath");
	}
	return -ENOTSUP;
}

int np_datapath_detach(struct np_datapath *dp, unsigned int ifindex)
{
	return -ENOTSUP;
}

int np_datapath_apply(struct np_datapath *dp, unsigned int ifindex,
		      const struct np_ruleset *rs, struct np_diag *diag)
{
	return -ENOTSUP;
}

int np_datapath_fail_closed(struct np_datapath *dp, unsigned int ifindex,
			    unsigned int dirs, struct np_diag *diag)
{
	return -ENOTSUP;
}

int np_datapath_begin(struct np_datapath *dp, const struct np_txn_opts *opts)
{
	return -ENOTSUP;
}

int np_datapath_commit(struct np_datapath *dp, struct np_diag *diag)
{
	return -ENOTSUP;
}

void np_datapath_abort(struct np_datapath *dp)
{
}

int np_datapath_gc(struct np_datapath *dp)
{
	return -ENOTSUP;
}

int np_datapath_set_events(struct np_datapath *dp, bool on)
{
	return -ENOTSUP;
}

int np_datapath_set_node_ips(struct np_datapath *dp, const char *const *ips,
			     size_t n)
{
	return -ENOTSUP;
}

int np_datapath_poll_events(struct np_datapath *dp, int timeout_ms,
			    np_event_fn cb, void *ctx)
{
	return -ENOTSUP;
}

int np_datapath_events_fd(struct np_datapath *dp, int *fd)
{
	if (fd)
		*fd = -1;
	return -ENOTSUP;
}

int np_datapath_test_packet(struct np_datapath *dp, unsigned int ifindex,
			    enum np_direction dir, const void *pkt, size_t len,
			    int *verdict)
{
	return -ENOTSUP;
}

int np_datapath_counters(struct np_datapath *dp, unsigned int ifindex,
			 enum np_direction dir,
			 struct np_datapath_counters *out)
{
	return -ENOTSUP;
}

int np_datapath_pod_foreach(struct np_datapath *dp, np_pod_fn cb, void *ctx)
{
	return -ENOTSUP;
}

int np_datapath_stats(struct np_datapath *dp, struct np_datapath_stats *out)
{
	return -ENOTSUP;
}

int np_datapath_latency(struct np_datapath *dp, struct np_latency_hist *out)
{
	return -ENOTSUP;
}

int np_datapath_set_rule_counters(struct np_datapath *dp, bool on)
{
	return -ENOTSUP;
}

int np_datapath_hooks(struct np_datapath *dp, unsigned int ifindex,
		      struct np_datapath_hook out[2])
{
	return -ENOTSUP;
}

int np_datapath_ruleset(struct np_datapath *dp, uint32_t id,
			struct np_datapath_ruleset *out)
{
	return -ENOTSUP;
}

int np_datapath_ruleset_id(struct np_datapath *dp, const struct np_ruleset *rs,
			   enum np_direction dir, uint32_t *id)
{
	return -ENOTSUP;
}

int np_datapath_rule_foreach(struct np_datapath *dp, uint32_t id, np_rule_fn cb,
			     void *ctx)
{
	return -ENOTSUP;
}

int np_datapath_conn_foreach(struct np_datapath *dp, unsigned int ifindex,
			     np_conn_fn cb, void *ctx)
{
	return -ENOTSUP;
}

int np_datapath_explain(struct np_datapath *dp, unsigned int ifindex,
			enum np_direction dir, const char *peer,
			uint8_t protocol, uint16_t port,
			const struct np_ruleset *rs,
			struct np_datapath_verdict *out)
{
	return -ENOTSUP;
}

int np_datapath_verify(struct np_datapath *dp, unsigned int ifindex,
		       const struct np_ruleset *rs, char **report,
		       size_t *ndrift)
{
	return -ENOTSUP;
}
