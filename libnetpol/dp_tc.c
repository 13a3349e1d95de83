/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TC: our filter (handle NP_TC_HANDLE, priority NP_TC_PRIO) on a pod's
 * clsact hooks, attached, replaced and removed through libbpf; the filters
 * on a hook counted by a raw rtnetlink dump; the clsact qdisc created and
 * released.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "dp_internal.h"

static const char *hook_name(enum bpf_tc_attach_point ap)
{
	return ap == BPF_TC_INGRESS ? "ingress" : "egress";
}

/*
 * An rtnetlink dump of tc objects (RTM_GETTFILTER, RTM_GETQDISC), each
 * reply handed to cb. Dumps rather than libbpf's queries: the kernel
 * reports a missing object with an error message that libbpf prints.
 */
static int tc_dump(int type, unsigned int ifindex, uint32_t parent,
		   void (*cb)(const struct nlmsghdr *nh, void *ctx), void *ctx)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		.nh.nlmsg_type = type,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.nh.nlmsg_seq = 1,
		.tc.tcm_family = AF_UNSPEC,
		.tc.tcm_ifindex = ifindex,
		.tc.tcm_parent = parent,
	};
	char buf[16384];
	int fd, err = 0;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		err = -errno;
		goto out;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (len == 0)
			break;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				err = e->error;
				goto out;
			}
			cb(nh, ctx);
		}
	}
out:
	close(fd);
	return err;
}

struct filter_count {
	unsigned int ifindex;
	size_t n;
	bool ours;
};

static void count_filter(const struct nlmsghdr *nh, void *ctx)
{
	const struct tcmsg *tc = NLMSG_DATA(nh);
	struct filter_count *fc = ctx;

	if (nh->nlmsg_type != RTM_NEWTFILTER ||
	    (unsigned int)tc->tcm_ifindex != fc->ifindex)
		return;
	fc->n++;
	if (tc->tcm_handle == NP_TC_HANDLE &&
	    TC_H_MAJ(tc->tcm_info) >> 16 == NP_TC_PRIO)
		fc->ours = true;
}

/* The filters on one clsact hook, and whether ours is among them. */
int np__tc_filters(unsigned int ifindex, uint32_t parent, size_t *n, bool *ours)
{
	struct filter_count fc = { .ifindex = ifindex };
	int err = tc_dump(RTM_GETTFILTER, ifindex, parent, count_filter, &fc);

	*n = fc.n;
	if (ours)
		*ours = fc.ours;
	return err;
}

/* Our filter on a hook: 0 and q->prog_id, or -ENOENT. */
static int filter_query(struct bpf_tc_hook *hook, struct bpf_tc_opts *q)
{
	uint32_t parent =
		TC_H_MAKE(TC_H_CLSACT, hook->attach_point == BPF_TC_INGRESS ?
					       TC_H_MIN_INGRESS :
					       TC_H_MIN_EGRESS);
	bool ours;
	size_t n;
	int err;

	err = np__tc_filters(hook->ifindex, parent, &n, &ours);
	if (err == -EINVAL || (!err && !ours))
		return -ENOENT; /* no clsact qdisc or no filter of ours */
	if (err)
		return err;
	return bpf_tc_query(hook, q);
}

/* Create the clsact qdisc: 0, or -EEXIST when one is there already. */
int np__tc_qdisc_create(unsigned int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	return bpf_tc_hook_create(&hook);
}

/* Make the filter at our handle/prio on hook ap run prog dir. */
int np__tc_filter_ensure(struct np_datapath *dp, unsigned int ifindex,
			 enum bpf_tc_attach_point ap, int dir)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = ap);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = NP_TC_HANDLE,
			    .priority = NP_TC_PRIO);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .handle = NP_TC_HANDLE,
			    .priority = NP_TC_PRIO,
			    .prog_fd = dp->prog_fd[dir]);
	int err;

	err = filter_query(&hook, &q);
	if (!err) {
		if (q.prog_id == dp->prog_id[dir])
			return 0;
		LOG(dp, NP_LOG_WARN,
		    "ifindex %u: tc %s filter %#x prio %u runs BPF program %u, "
		    "not ours (%u): replacing it",
		    ifindex, hook_name(ap), NP_TC_HANDLE, NP_TC_PRIO, q.prog_id,
		    dp->prog_id[dir]);
		o.flags = BPF_TC_F_REPLACE;
	} else if (err != -ENOENT) {
		return err;
	}
	return bpf_tc_attach(&hook, &o);
}

/* Remove our filter from hook ap if it runs our program. */
int np__tc_filter_remove(struct np_datapath *dp, unsigned int ifindex,
			 enum bpf_tc_attach_point ap, int dir)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = ap);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = NP_TC_HANDLE,
			    .priority = NP_TC_PRIO);
	int err;

	err = filter_query(&hook, &q);
	if (err)
		return err == -ENOENT || err == -ENODEV ? 0 : err;
	if (q.prog_id != dp->prog_id[dir]) {
		LOG(dp, NP_LOG_WARN,
		    "ifindex %u: tc %s filter %#x runs "
		    "program %u, not ours: left alone",
		    ifindex, hook_name(ap), NP_TC_HANDLE, q.prog_id);
		return 0;
	}
	q.prog_id = 0;
	q.flags = 0;
	err = bpf_tc_detach(&hook, &q);
	return err == -ENOENT ? 0 : err;
}

/* Remove the clsact qdisc if we created it and nothing else is in it. */
void np__tc_qdisc_release(struct np_datapath *dp, unsigned int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	size_t in = 0, eg = 0;

	if (np__tc_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
			   &in, NULL) ||
	    np__tc_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS),
			   &eg, NULL))
		return;
	if (in || eg) {
		LOG(dp, NP_LOG_INFO,
		    "ifindex %u: clsact qdisc kept: %zu "
		    "other filters",
		    ifindex, in + eg);
		return;
	}
	bpf_tc_hook_destroy(&hook);
}
