/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The hooks of a pod's host veth. Two ways to own one:
 *   - TCX (kernel 6.6+): a bpf_link per hook, created first in the hook's
 *     program list (BPF_F_BEFORE) and pinned as pin_root/link_IFINDEX_HOOK.
 *     Links cannot be replaced or deleted over netlink, and every tc filter
 *     runs after them.
 *   - tc: our filter (handle NP_TC_HANDLE, priority NP_TC_PRIO) on the
 *     clsact qdisc, attached, replaced and removed through libbpf; the
 *     qdisc created and released.
 * Also: the filters on a hook counted by a raw rtnetlink dump, and what runs
 * ahead of ours (TCX programs, tc filters); which other datapath holds a
 * hook; an interface's identity (RTM_GETLINK) against the one recorded at
 * attach.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <linux/limits.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_internal.h"

/* libbpf 1.1's headers predate TCX (kernel 6.6) */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#endif
#define NP_LINK_TYPE_TCX 11 /* BPF_LINK_TYPE_TCX */

/* The TCX programs one query reads; a hook with more is an error. */
#define NP_TCX_MAX 64

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
	    (unsigned int)tc->tcm_ifindex != fc->ifindex || !tc->tcm_handle)
		return; /* not a filter (a priority's header has handle 0) */
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

/* The first attribute of type t in [a, a + len), or NULL. */
static const struct rtattr *attr_find(const struct rtattr *a, int len, int t)
{
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == t)
			return a;
	return NULL;
}

struct ahead_ctx {
	unsigned int ifindex;
	struct np_ahead *out;
};

/*
 * A filter runs before ours when it is in chain 0 at a lower priority
 * number, or at ours but not ours: cls_bpf runs the filters of one
 * priority newest first.
 */
static void ahead_filter(const struct nlmsghdr *nh, void *ctx)
{
	const struct tcmsg *tc = NLMSG_DATA(nh);
	const struct rtattr *a =
		(const void *)((const char *)tc + NLMSG_ALIGN(sizeof(*tc)));
	int len = (int)nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc));
	const struct rtattr *kind, *chain, *opt, *id;
	struct ahead_ctx *c = ctx;
	uint32_t prio = TC_H_MAJ(tc->tcm_info) >> 16;

	if (nh->nlmsg_type != RTM_NEWTFILTER ||
	    (unsigned int)tc->tcm_ifindex != c->ifindex || !tc->tcm_handle)
		return; /* not a filter (a priority's header has handle 0) */
	if (prio > NP_TC_PRIO ||
	    (prio == NP_TC_PRIO && tc->tcm_handle == NP_TC_HANDLE))
		return;
	chain = attr_find(a, len, TCA_CHAIN);
	if (chain && *(const uint32_t *)RTA_DATA(chain))
		return; /* only reached through a filter of chain 0 */
	if (c->out->n++)
		return;
	c->out->prio = prio;
	c->out->handle = tc->tcm_handle;
	kind = attr_find(a, len, TCA_KIND);
	if (kind)
		snprintf(c->out->kind, sizeof(c->out->kind), "%.*s",
			 (int)RTA_PAYLOAD(kind), (const char *)RTA_DATA(kind));
	opt = attr_find(a, len, TCA_OPTIONS);
	id = opt ? attr_find(RTA_DATA(opt), RTA_PAYLOAD(opt), TCA_BPF_ID) :
		   NULL;
	if (id && kind && !strcmp(c->out->kind, "bpf"))
		c->out->prog_id = *(const uint32_t *)RTA_DATA(id);
}

static uint32_t tcx_type(enum bpf_tc_attach_point ap)
{
	return ap == BPF_TC_INGRESS ? BPF_TCX_INGRESS : BPF_TCX_EGRESS;
}

/* The programs on TCX hook ap, in the order they run: 0 and *n, or -errno. */
static int tcx_list(unsigned int ifindex, enum bpf_tc_attach_point ap,
		    uint32_t ids[NP_TCX_MAX], uint32_t *n)
{
	uint32_t flags = 0;
	int err;

	*n = NP_TCX_MAX;
	err = bpf_prog_query((int)ifindex, tcx_type(ap), 0, &flags, ids, n);
	if (err == -EINVAL) /* a kernel without TCX: no programs */
		*n = 0;
	return err == -EINVAL ? 0 : err;
}

/* Whether the kernel has TCX: a query of lo's hook answers (6.6+). */
bool np__tcx_available(void)
{
	uint32_t cnt = 0, flags = 0;

	return !bpf_prog_query(1, BPF_TCX_INGRESS, 0, &flags, NULL, &cnt);
}

/* Where program id runs on TCX hook ap: its position, or -1; n: all. */
int np__tcx_pos(unsigned int ifindex, enum bpf_tc_attach_point ap, uint32_t id,
		uint32_t *n, uint32_t *first)
{
	uint32_t ids[NP_TCX_MAX], cnt, i;
	int err = tcx_list(ifindex, ap, ids, &cnt);

	if (n)
		*n = err ? 0 : cnt;
	if (first)
		*first = !err && cnt ? ids[0] : 0;
	if (err)
		return err == -ENOSPC ? -E2BIG : err;
	for (i = 0; i < cnt; i++)
		if (ids[i] == id)
			return (int)i;
	return -1;
}

/*
 * What runs before our program on hook ap (id: ours). Attached by TCX: the
 * TCX programs before it (tc filters run after every TCX program). Else,
 * by tc: every TCX program, or when there is none, the tc filters ahead of
 * ours in chain 0.
 */
int np__tc_ahead(unsigned int ifindex, enum bpf_tc_attach_point ap, uint32_t id,
		 struct np_ahead *out)
{
	struct ahead_ctx c = { .ifindex = ifindex, .out = out };
	uint32_t n = 0, first = 0;
	int pos, err;

	memset(out, 0, sizeof(*out));
	pos = np__tcx_pos(ifindex, ap, id, &n, &first);
	if (pos < -1)
		return pos;
	if (pos >= 0 || n) {
		out->n = pos >= 0 ? (uint32_t)pos : n;
		if (out->n) {
			out->prog_id = first;
			snprintf(out->kind, sizeof(out->kind), "tcx");
		}
		return 0;
	}
	err = tc_dump(RTM_GETTFILTER, ifindex,
		      TC_H_MAKE(TC_H_CLSACT, ap == BPF_TC_INGRESS ?
						     TC_H_MIN_INGRESS :
						     TC_H_MIN_EGRESS),
		      ahead_filter, &c);
	return err == -EINVAL ? 0 : err; /* -EINVAL: no clsact qdisc */
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

/* Whether the pinned program at root/name has id. */
static bool pin_is(const char *root, const char *name, uint32_t id)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	char path[PATH_MAX];
	bool is;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", root, name) >=
	    (int)sizeof(path))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	is = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.id == id;
	close(fd);
	return is;
}

/* A datapath directory in dir (one level down) pinning program id. */
static bool owner_in(const char *dir, const char *mine, uint32_t id, char *root,
		     size_t size)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char sub[PATH_MAX];

		if (de->d_name[0] == '.' ||
		    snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >=
			    (int)sizeof(sub) ||
		    !strcmp(sub, mine))
			continue;
		if (pin_is(sub, "prog_ingress", id) ||
		    pin_is(sub, "prog_egress", id)) {
			snprintf(root, size, "%s", sub);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* Whether id is one of this datapath's programs. */
static bool prog_mine(const struct np_datapath *dp, uint32_t id)
{
	int i;

	for (i = 0; i < NPROGS; i++)
		if (id == dp->prog_id[i])
			return true;
	return false;
}

/* Another datapath's pin root pinning program id, looked for in the bpffs
 * root and beside ours: 1 and root, or 0. */
static int owner_of(struct np_datapath *dp, uint32_t id, char *root,
		    size_t size)
{
	char parent[PATH_MAX];
	char *slash;

	if (!id || prog_mine(dp, id))
		return 0;
	snprintf(parent, sizeof(parent), "%s", dp->pin_root);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	return owner_in(NP_BPFFS, dp->pin_root, id, root, size) ||
	       (strcmp(parent, NP_BPFFS) &&
		owner_in(parent, dp->pin_root, id, root, size));
}

/*
 * Another live datapath holding hook ap: a TCX program, or the program at
 * our tc handle and priority, pinned under another pin root. 1 and its pin
 * root, or 0: free, ours, or a program no datapath pins any more (a
 * left-over, replaced by attach).
 */
int np__tc_owner(struct np_datapath *dp, unsigned int ifindex,
		 enum bpf_tc_attach_point ap, char *root, size_t size)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = ap);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = NP_TC_HANDLE,
			    .priority = NP_TC_PRIO);
	uint32_t ids[NP_TCX_MAX], n = 0, i;

	if (!tcx_list(ifindex, ap, ids, &n))
		for (i = 0; i < n; i++)
			if (owner_of(dp, ids[i], root, size))
				return 1;
	if (filter_query(&hook, &q))
		return 0;
	return owner_of(dp, q.prog_id, root, size);
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
		char other[PATH_MAX];

		if (q.prog_id == dp->prog_id[dir])
			return 0;
		if (np__tc_owner(dp, ifindex, ap, other, sizeof(other))) {
			LOG(dp, NP_LOG_ERROR,
			    "ifindex %u: tc %s hook held by the datapath "
			    "under %s",
			    ifindex, hook_name(ap), other);
			return -EBUSY;
		}
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

/* --- TCX links ----------------------------------------------------------- */

static int link_path(const struct np_datapath *dp, unsigned int ifindex,
		     enum bpf_tc_attach_point ap, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/link_%u_%s", dp->pin_root, ifindex,
			 hook_name(ap));

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Whether path pins a live TCX link running program id on ifindex (a link
 * whose interface went away has ifindex 0). The kernel's bpf_link_info
 * carries tcx.ifindex first in its union; libbpf 1.1's header predates it.
 */
static bool link_live(const char *path, unsigned int ifindex, uint32_t id)
{
	struct bpf_link_info info;
	uint32_t len = sizeof(info), lif;
	bool live;
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	live = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	       info.type == NP_LINK_TYPE_TCX && info.prog_id == id;
	if (live) {
		memcpy(&lif, &info.raw_tracepoint, sizeof(lif));
		live = lif == ifindex;
	}
	close(fd);
	return live;
}

/*
 * Make program dir run first on TCX hook ap through a pinned link of ours.
 * 0 when it does (already, or now); -EBUSY when another datapath holds the
 * hook. A link of ours that is pinned but dead (its interface gone) is
 * replaced.
 */
int np__tcx_ensure(struct np_datapath *dp, unsigned int ifindex,
		   enum bpf_tc_attach_point ap, int dir)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = BPF_F_BEFORE);
	char path[PATH_MAX], other[PATH_MAX];
	int fd, err, pos;

	err = link_path(dp, ifindex, ap, path, sizeof(path));
	if (err)
		return err;
	pos = np__tcx_pos(ifindex, ap, dp->prog_id[dir], NULL, NULL);
	if (pos < -1)
		return pos;
	if (pos >= 0 && link_live(path, ifindex, dp->prog_id[dir]))
		return 0;
	if (np__tc_owner(dp, ifindex, ap, other, sizeof(other))) {
		LOG(dp, NP_LOG_ERROR,
		    "ifindex %u: %s hook held by the datapath under %s",
		    ifindex, hook_name(ap), other);
		return -EBUSY;
	}
	if (unlink(path) && errno != ENOENT)
		return -errno;
	fd = bpf_link_create(dp->prog_fd[dir], (int)ifindex, tcx_type(ap), &lo);
	if (fd < 0) {
		if (fd == -EEXIST)
			LOG(dp, NP_LOG_ERROR,
			    "ifindex %u: our program is on the TCX %s hook "
			    "through a link that is not pinned under %s",
			    ifindex, hook_name(ap), dp->pin_root);
		return fd;
	}
	/* the pin keeps the link; without it the link goes with the fd */
	err = bpf_obj_pin(fd, path);
	close(fd);
	return err;
}

/* Detach and unpin our TCX link on hook ap, if there is one. */
void np__tcx_remove(struct np_datapath *dp, unsigned int ifindex,
		    enum bpf_tc_attach_point ap)
{
	char path[PATH_MAX];
	int fd;

	if (link_path(dp, ifindex, ap, path, sizeof(path)))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	/* detached now, whoever else holds the link (a dead one: no-op) */
	bpf_link_detach(fd);
	close(fd);
	unlink(path);
}

/* --- a pod's two hooks ------------------------------------------------ */

/* Our program on both hooks of ifindex, by TCX links or tc filters. */
int np__hooks_ensure(struct np_datapath *dp, uint32_t ifindex, bool tcx)
{
	int d, err = 0;

	for (d = 0; d < 2 && !err; d++)
		err = tcx ? np__tcx_ensure(dp, ifindex, np__dir_hook(d), d) :
			    np__tc_filter_ensure(dp, ifindex, np__dir_hook(d),
						 d);
	return err;
}

/* Remove what attaches our programs to ifindex the other way than tcx
 * says (both ways when all): the pod's flags say what is left. */
void np__hooks_drop(struct np_datapath *dp, uint32_t ifindex, bool tcx,
		    bool all, uint32_t *flags)
{
	int d;

	for (d = 0; d < 2; d++) {
		if (!tcx || all)
			np__tcx_remove(dp, ifindex, np__dir_hook(d));
		if (tcx || all)
			np__tc_filter_remove(dp, ifindex, np__dir_hook(d), d);
	}
	if ((tcx || all) && (*flags & NP_PODF_QDISC)) {
		np__tc_qdisc_release(dp, ifindex);
		*flags &= ~NP_PODF_QDISC;
	}
}

/* At open: every known pod's hooks run our programs, first. */
void np__hooks_check(struct np_datapath *dp)
{
	uint32_t *ifx;
	size_t n, i;

	if (np__pods_list(dp, &ifx, &n))
		return;
	for (i = 0; i < n; i++) {
		struct np_pod_value pod = { 0 };
		char name[IF_NAMESIZE];
		bool tcx;
		int err, d;

		if (!if_indextoname(ifx[i], name))
			continue; /* gone: stale_collect() forgets it */
		bpf_map_lookup_elem(dp->map_fd[M_PODS], &ifx[i], &pod);
		tcx = pod.flags & NP_PODF_TCX;
		/* a writing command repairs, and says so */
		for (d = 0; d < 2; d++) {
			enum bpf_tc_attach_point ap = np__dir_hook(d);
			uint32_t parent = TC_H_MAKE(TC_H_CLSACT,
						    ap == BPF_TC_EGRESS ?
							    TC_H_MIN_EGRESS :
							    TC_H_MIN_INGRESS);
			bool ours = false;
			size_t nf;

			if (tcx) {
				ours = np__tcx_pos(ifx[i], ap, dp->prog_id[d],
						   NULL, NULL) >= 0;
			} else {
				err = np__tc_filters(ifx[i], parent, &nf,
						     &ours);
				if (err == -EINVAL) /* no clsact qdisc */
					np__tc_qdisc_create(ifx[i]);
			}
			if (!ours)
				LOG(dp, NP_LOG_WARN,
				    "%s: no program of ours on the %s %s hook: "
				    "putting it back",
				    name, tcx ? "TCX" : "tc",
				    ap == BPF_TC_EGRESS ? "egress" : "ingress");
		}
		err = np__hooks_ensure(dp, ifx[i], tcx);
		if (err)
			LOG(dp, NP_LOG_ERROR, "%s: restoring hooks: %s", name,
			    strerror(-err));
	}
	free(ifx);
}

/* --- interface identity ------------------------------------------------- */

/* The interface's identity now: -ENODEV when it is gone. */
int np__link_ident(unsigned int ifindex, struct np_ifid *out)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.nh.nlmsg_type = RTM_GETLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST,
		.nh.nlmsg_seq = 1,
		.ifi.ifi_family = AF_UNSPEC,
		.ifi.ifi_index = (int)ifindex,
	};
	const size_t bufsz = 32768;
	char *buf = malloc(bufsz);
	const struct nlmsghdr *nh = (const void *)buf;
	const struct ifinfomsg *ifi;
	const struct rtattr *a, *x;
	ssize_t len;
	int fd, alen, err = 0;

	memset(out, 0, sizeof(*out));
	out->link_nsid = -1;
	if (!buf)
		return -ENOMEM;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		err = -errno;
		goto out;
	}
	do
		len = recv(fd, buf, bufsz, 0);
	while (len < 0 && errno == EINTR);
	if (len < 0) {
		err = -errno;
		goto out;
	}
	if (!NLMSG_OK(nh, (size_t)len)) {
		err = -EIO;
		goto out;
	}
	if (nh->nlmsg_type == NLMSG_ERROR) {
		err = ((const struct nlmsgerr *)NLMSG_DATA(nh))->error;
		err = err ? err : -EIO;
		goto out;
	}
	ifi = NLMSG_DATA(nh);
	a = (const void *)((const char *)ifi + NLMSG_ALIGN(sizeof(*ifi)));
	alen = (int)nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	x = attr_find(a, alen, IFLA_IFNAME);
	if (x)
		snprintf(out->name, sizeof(out->name), "%.*s",
			 (int)RTA_PAYLOAD(x), (const char *)RTA_DATA(x));
	x = attr_find(a, alen, IFLA_ADDRESS);
	if (x && RTA_PAYLOAD(x) <= sizeof(out->mac)) {
		out->mac_len = RTA_PAYLOAD(x);
		memcpy(out->mac, RTA_DATA(x), out->mac_len);
	}
	x = attr_find(a, alen, IFLA_LINK);
	if (x && RTA_PAYLOAD(x) >= 4)
		out->link = *(const uint32_t *)RTA_DATA(x);
	x = attr_find(a, alen, IFLA_LINK_NETNSID);
	if (x && RTA_PAYLOAD(x) >= 4)
		out->link_nsid = *(const int32_t *)RTA_DATA(x);
out:
	close(fd);
	free(buf);
	return err;
}

/*
 * Whether ifindex is still the interface attached there: 1 yes, 0 gone or
 * another one (a new veth that got the ifindex), or a negative errno. The
 * identity recorded at attach decides; when it differs, a filter of ours
 * still on a hook says it is the same interface renamed or given another
 * address (filters and TCX links die with their interface, a new one
 * has none).
 */
int np__ifid_check(struct np_datapath *dp, uint32_t ifindex)
{
	struct np_ifid rec, cur;
	int err, d;

	err = np__link_ident(ifindex, &cur);
	if (err == -ENODEV)
		return 0;
	if (err)
		return err;
	if (!bpf_map_lookup_elem(dp->map_fd[M_IFID], &ifindex, &rec) &&
	    !memcmp(&rec, &cur, sizeof(rec)))
		return 1;
	for (d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = d == NP_DIR_INGRESS ?
							    BPF_TC_EGRESS :
							    BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = NP_TC_HANDLE,
				    .priority = NP_TC_PRIO);

		if (!filter_query(&hook, &q) && q.prog_id == dp->prog_id[d])
			return 1;
		if (np__tcx_pos(ifindex, hook.attach_point, dp->prog_id[d],
				NULL, NULL) >= 0)
			return 1;
	}
	return 0;
}
