/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Flow events: the programs' ring buffer, polled through libbpf, each
 * record turned into a struct np_event with the pod's name.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_internal.h"

/*
 * The kernel's reason code (enum np_dp_reason, bpf/netpol_abi.h) as the
 * public enum np_reason. A code this library does not know (a newer
 * program) becomes 256 + code, which np_reason_name() does not name.
 */
static enum np_reason reason_of(uint8_t code)
{
	switch (code) {
	case NP_DPR_ALLOW_RULE:
		return NP_REASON_RULE;
	case NP_DPR_ALLOW_DEFAULT:
		return NP_REASON_DEFAULT_ALLOW;
	case NP_DPR_ALLOW_UNISOLATED:
		return NP_REASON_NOT_ISOLATED;
	case NP_DPR_ALLOW_NODE:
		return NP_REASON_NODE;
	case NP_DPR_ALLOW_CONNTRACK:
		return NP_REASON_CONNTRACK;
	case NP_DPR_ALLOW_RELATED:
		return NP_REASON_RELATED;
	case NP_DPR_DENY_NO_MATCH:
		return NP_REASON_NO_MATCH;
	case NP_DPR_DENY_PORT:
		return NP_REASON_PORT;
	case NP_DPR_DENY_STRICT_DEFAULT:
		return NP_REASON_DEFAULT_DENY;
	case NP_DPR_DENY_MALFORMED:
		return NP_REASON_MALFORMED;
	case NP_DPR_DENY_FRAGMENT:
		return NP_REASON_FRAGMENT;
	case NP_DPR_DENY_UNENFORCEABLE:
		return NP_REASON_UNENFORCEABLE;
	case NP_DPR_DENY_REVOKED:
		return NP_REASON_REVOKED;
	case NP_DPR_DENY_SPOOFED:
		return NP_REASON_SPOOFED;
	}
	return (enum np_reason)(256 + code);
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct np_flow_event *fe = data;
	struct np_datapath *dp = ctx;
	struct np_event ev;
	int af, err;

	if (size < sizeof(*fe))
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.mono_ns = fe->ts_ns;
	ev.time_ns = fe->ts_ns + dp->rt_offset_ns;
	ev.ifindex = fe->ifindex;
	ev.direction = fe->dir ? NP_DIRECTION_EGRESS : NP_DIRECTION_INGRESS;
	ev.family = fe->family;
	af = fe->family == 6 ? AF_INET6 : AF_INET;
	memcpy(ev.src, fe->saddr, 16);
	memcpy(ev.dst, fe->daddr, 16);
	inet_ntop(af, ev.src, ev.src_text, sizeof(ev.src_text));
	inet_ntop(af, ev.dst, ev.dst_text, sizeof(ev.dst_text));
	ev.sport = fe->sport;
	ev.dport = fe->dport;
	ev.protocol = fe->proto;
	ev.allowed = fe->verdict == NP_EV_ALLOW;
	ev.reason = reason_of(fe->reason);
	ev.ruleset = fe->ruleset;
	ev.length = fe->pkt_len;
	ev.prefixlen = -1;
	if (fe->prefixlen != NP_EV_PLEN_NONE &&
	    fe->prefixlen <= (fe->family == 6 ? 128 : 32)) {
		const uint8_t *peer = fe->dir == NP_DIR_EGRESS ? ev.dst :
								 ev.src;
		uint8_t net[16] = { 0 };
		char txt[46];
		int b;

		ev.prefixlen = fe->prefixlen;
		for (b = 0; b < fe->prefixlen; b++)
			net[b / 8] |= peer[b / 8] & (0x80 >> (b % 8));
		inet_ntop(af, net, txt, sizeof(txt));
		snprintf(ev.rule_cidr, sizeof(ev.rule_cidr), "%s/%d", txt,
			 fe->prefixlen);
	}
	/* a flood comes from few pods: one lookup per pod and poll */
	if (dp->ev_pod_ifindex != ev.ifindex) {
		dp->ev_pod_ifindex = ev.ifindex;
		dp->ev_pod_found = !bpf_map_lookup_elem(
			dp->map_fd[M_PODS], &ev.ifindex, &dp->ev_pod);
		dp->ev_pod.ns[sizeof(dp->ev_pod.ns) - 1] = '\0';
		dp->ev_pod.name[sizeof(dp->ev_pod.name) - 1] = '\0';
	}
	if (dp->ev_pod_found) {
		ev.pod_ns = dp->ev_pod.ns;
		ev.pod_name = dp->ev_pod.name;
	}
	err = dp->ev_cb(dp->ev_ctx, &ev);
	if (err < 0) {
		dp->ev_err = err;
		return err;
	}
	return 0;
}

/* The ring buffer reader, made on first use. */
static int events_rb(struct np_datapath *dp)
{
	if (!dp->rb) {
		dp->rb = ring_buffer__new(dp->map_fd[M_EVENTS], on_event, dp,
					  NULL);
		if (!dp->rb)
			return -errno;
	}
	return 0;
}

NP_API int np_datapath_events_fd(struct np_datapath *dp, int *fd)
{
	int err;

	if (!dp || !fd)
		return -EINVAL;
	*fd = -1;
	err = events_rb(dp);
	if (err)
		return err;
	*fd = ring_buffer__epoll_fd(dp->rb);
	return 0;
}

NP_API int np_datapath_poll_events(struct np_datapath *dp, int timeout_ms,
				   np_event_fn cb, void *ctx)
{
	int n;

	if (!dp || !cb)
		return -EINVAL;
	n = events_rb(dp);
	if (n)
		return n;
	dp->ev_cb = cb;
	dp->ev_ctx = ctx;
	dp->ev_err = 0;
	dp->ev_pod_ifindex = 0;
	dp->rt_offset_ns =
		(int64_t)(mono_ns(CLOCK_REALTIME) - mono_ns(CLOCK_MONOTONIC));
	n = ring_buffer__poll(dp->rb, timeout_ms);
	if (dp->ev_err)
		return dp->ev_err;
	return n < 0 ? n : 0;
}
