// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A build without the eBPF datapath (-Dbpf=disabled, or no clang/bpftool)
 * keeps the same ABI: every datapath call fails with -ENOTSUP.
 */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "netpol/datapath.h"
#include "util.h"

/*
 * existing_only answers as the real open would up to the load: -ENOENT
 * when no completed load (its pinned prog_clock) is under pin_root.
 */
int np_datapath_open(struct np_datapath **out,
		     const struct np_datapath_opts *opts)
{
	size_t end = offsetof(struct np_datapath_opts, existing_only) +
		     sizeof(opts->existing_only);
	const char *root = "/sys/fs/bpf/netpol";
	char path[PATH_MAX];

	if (out)
		*out = NULL;
	if (!opts || opts->sz < end || !opts->existing_only)
		return -ENOTSUP;
	if (opts->pin_root && *opts->pin_root)
		root = opts->pin_root;
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

int np_datapath_attach(struct np_datapath *dp, const char *ifname,
		       unsigned int ifindex, const char *pod_ns,
		       const char *pod_name)
{
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
