// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Out of memory while the datapath changes (failalloc.c: each allocation
 * of the work failing in turn): an attached pod's rule set replaced with
 * np_datapath_apply(), and inside a node-wide transaction. Whatever
 * fails, the kernel enforces the old rule set wholly or the new one
 * wholly, as np_datapath_verify() and packets through the real program
 * say, and the handle goes on working: the old rule set applies again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dp_helpers.h"
#include "failalloc.h"

#define A4 "198.18.6.1"
#define B4 "198.18.6.2"
#define C4 "198.18.6.3"

TestSuite(oom_dp, .init = dpt_setup, .fini = dpt_teardown, .timeout = 300);

/*
 * Pod test/a's rule set under one NetworkPolicy: egress to peer on TCP
 * 80, and to net (a prefix) on UDP 53.
 */
static struct np_ruleset *compiled(const char *peer, const char *net)
{
	struct np_ruleset *rs = NULL;
	struct np_cluster *c;
	struct np_diag d;
	char y[1024];
	int n;

	n = snprintf(
		y, sizeof(y),
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a, "
		"namespace: test, labels: {app: a}}\nspec: {containers: "
		"[{name: c}]}\nstatus: {phase: Running, hostIP: "
		"198.19.255.1, podIP: " A4 "}\n---\n"
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: np, namespace: test}\nspec:\n"
		"  podSelector: {}\n  policyTypes: [Egress]\n"
		"  egress:\n"
		"  - {to: [{ipBlock: {cidr: %s/32}}], ports: [{port: 80}]}\n"
		"  - {to: [{ipBlock: {cidr: %s}}], ports: [{port: 53, "
		"protocol: UDP}]}\n",
		peer, net);
	cr_assert(n > 0 && (size_t)n < sizeof(y));
	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	cr_assert_eq(np_cluster_load_buffer(c, y, (size_t)n, "oom", NULL, &d),
		     0, "%s: %s", d.path, d.message);
	cr_assert_eq(np_ruleset_compile(&rs, c, "test", "a", NULL, &d), 0, "%s",
		     d.message);
	np_cluster_free(c);
	return rs;
}

/* 0 allowed, 2 dropped: a new TCP flow from the pod to dst port 80. */
static int to(const char *dst)
{
	struct pktspec s = {
		.family = 4,
		.src = A4,
		.dst = dst,
		.proto = IPPROTO_TCP,
		.dport = 80,
	};

	return dpt_verdict(T.pods[0].ifindex, NP_DIRECTION_EGRESS, &s);
}

/* The kernel enforces want wholly (which: for messages). */
static void enforces(const struct np_ruleset *want, const char *which, long at,
		     bool b_allowed)
{
	char *report = NULL;
	size_t ndrift = 99;

	cr_assert_eq(np_datapath_verify(T.dp, T.pods[0].ifindex, want, &report,
					&ndrift),
		     0);
	cr_expect_eq(ndrift, 0,
		     "allocation %ld failed: the kernel is not wholly the %s "
		     "rule set:\n%s",
		     at, which, report);
	np_free(report);
	cr_expect_eq(to(B4), b_allowed ? 0 : 2,
		     "allocation %ld failed: B (%s rule set)", at, which);
	cr_expect_eq(to(C4), b_allowed ? 2 : 0,
		     "allocation %ld failed: C (%s rule set)", at, which);
}

static void one_pod(void)
{
	struct npt_pod *a = dpt_pod("a", A4, NULL);

	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(dpt_attach(T.dp, a->host_if, 0, "test", "a"), 0);
}

static int by_apply(const struct np_ruleset *rs, struct np_diag *d)
{
	return np_datapath_apply(T.dp, T.pods[0].ifindex, rs, d);
}

static int by_transaction(const struct np_ruleset *rs, struct np_diag *d)
{
	int err = np_datapath_begin(T.dp, NULL);

	if (err)
		return err;
	err = np_datapath_apply(T.dp, T.pods[0].ifindex, rs, d);
	if (!err)
		err = np_datapath_commit(T.dp, d);
	if (err)
		np_datapath_abort(T.dp);
	return err;
}

/*
 * The pod's old rule set replaced by a new one through change, with each
 * of change's allocations failing in turn (what: for messages).
 */
static void each_failure(int (*change)(const struct np_ruleset *,
				       struct np_diag *),
			 const char *what)
{
	struct np_ruleset *old = compiled(B4, "198.18.7.0/24");
	struct np_ruleset *new = compiled(C4, "198.18.8.0/25");
	struct np_diag d;
	long total, at, failed = 0;
	int err;

	one_pod();
	cr_assert_eq(by_apply(old, &d), 0, "%s", d.message);
	enforces(old, "old", 0, true);
	failalloc_arm(-1);
	err = change(new, &d);
	total = failalloc_disarm();
	cr_assert_eq(err, 0, "%s: %s", what, d.message);
	cr_assert_gt(total, 0, "%s allocates nothing: not interposed", what);
	for (at = 1; at <= total; at++) {
		cr_assert_eq(by_apply(old, &d), 0,
			     "allocation %ld: the old rule set again: %s", at,
			     d.message);
		failalloc_arm(at);
		err = change(new, &d);
		failalloc_disarm();
		failed += err != 0;
		if (err)
			enforces(old, "old", at, true);
		else
			enforces(new, "new", at, false);
	}
	cr_expect_gt(failed, 0, "no %s failed of %ld allocations", what, total);
	cr_log_info("%s: %ld allocations, %ld failed", what, total, failed);
	np_ruleset_free(old);
	np_ruleset_free(new);
}

Test(oom_dp, apply)
{
	each_failure(by_apply, "apply");
}

Test(oom_dp, transaction)
{
	each_failure(by_transaction, "transaction");
}

/* Our programs on the pod's two hooks (TCX, as the kernel says). */
static unsigned int hooked(void)
{
	return dpt_tcx_progs(T.pods[0].ifindex, false) +
	       dpt_tcx_progs(T.pods[0].ifindex, true);
}

/*
 * Attach and detach with each of their allocations failing: a failed
 * attach leaves no program on the pod's hooks and can be retried; a
 * failed detach leaves the pod attached and enforcing, and can be
 * retried; neither leaves the other half.
 */
Test(oom_dp, attach_detach)
{
	struct np_ruleset *rs = compiled(B4, "198.18.7.0/24");
	struct npt_pod *a = dpt_pod("a", A4, NULL);
	long total[2], at, failed[2] = { 0, 0 };
	struct np_diag d;
	int err;

	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	failalloc_arm(-1);
	err = dpt_attach(T.dp, a->host_if, 0, "test", "a");
	total[0] = failalloc_disarm();
	cr_assert_eq(err, 0);
	if (!hooked())
		cr_skip_test(
			"no TCX here: the hooks are tc filters, not counted");
	cr_assert_eq(hooked(), 2, "attached: %u programs", hooked());
	failalloc_arm(-1);
	err = np_datapath_detach(T.dp, a->ifindex);
	total[1] = failalloc_disarm();
	cr_assert_eq(err, 0);
	cr_assert_eq(hooked(), 0, "detached: %u programs", hooked());
	for (at = 1; at <= total[0]; at++) {
		failalloc_arm(at);
		err = dpt_attach(T.dp, a->host_if, 0, "test", "a");
		failalloc_disarm();
		if (err) {
			failed[0]++;
			cr_expect_eq(hooked(), 0,
				     "allocation %ld: a failed attach left %u "
				     "programs",
				     at, hooked());
			cr_assert_eq(dpt_attach(T.dp, a->host_if, 0, "test",
						"a"),
				     0, "allocation %ld: attach again", at);
		}
		cr_assert_eq(hooked(), 2, "allocation %ld: attached", at);
		cr_assert_eq(np_datapath_detach(T.dp, a->ifindex), 0);
		cr_assert_eq(hooked(), 0, "allocation %ld: detached", at);
	}
	for (at = 1; at <= total[1]; at++) {
		cr_assert_eq(dpt_attach(T.dp, a->host_if, 0, "test", "a"), 0);
		cr_assert_eq(np_datapath_apply(T.dp, a->ifindex, rs, &d), 0);
		failalloc_arm(at);
		err = np_datapath_detach(T.dp, a->ifindex);
		failalloc_disarm();
		if (err) {
			failed[1]++;
			cr_expect_eq(hooked(), 2,
				     "allocation %ld: a failed detach left %u "
				     "programs",
				     at, hooked());
			enforces(rs, "attached", at, true);
			cr_assert_eq(np_datapath_detach(T.dp, a->ifindex), 0,
				     "allocation %ld: detach again", at);
		}
		cr_assert_eq(hooked(), 0, "allocation %ld: detached", at);
	}
	cr_log_info("attach: %ld allocations, %ld failed; detach: %ld, %ld",
		    total[0], failed[0], total[1], failed[1]);
	np_ruleset_free(rs);
}

/*
 * Opening the datapath (loading the programs, pinning the maps) from
 * nothing, with allocations failing (150 of them, evenly spread): a failed
 * open leaves what a later open can take up, which then enforces as any
 * other.
 */
Test(oom_dp, open, .timeout = 600)
{
	NP_OPTS(np_datapath_opts, o, .pin_root = T.pin_root,
		.mode = NP_MODE_STANDARD);
	struct np_ruleset *rs = compiled(B4, "198.18.7.0/24");
	long total, at, step, failed = 0, opened = 0;
	struct np_datapath *dp = NULL;
	struct np_diag d;
	int err;

	dpt_pod("a", A4, NULL);
	failalloc_arm(-1);
	err = np_datapath_open(&dp, &o);
	total = failalloc_disarm();
	cr_assert_eq(err, 0);
	cr_assert_eq(np_datapath_destroy(dp), 0);
	step = total / 150 + 1;
	for (at = 1; at <= total; at += step) {
		dp = NULL;
		failalloc_arm(at);
		err = np_datapath_open(&dp, &o);
		failalloc_disarm();
		if (err) {
			failed++;
			cr_assert_null(dp);
			continue;
		}
		opened++;
		cr_assert_eq(np_datapath_destroy(dp), 0);
	}
	/* whatever the failures left: an open that works, and enforces */
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(dpt_attach(T.dp, T.pods[0].host_if, 0, "test", "a"), 0);
	cr_assert_eq(np_datapath_apply(T.dp, T.pods[0].ifindex, rs, &d), 0);
	enforces(rs, "opened", 0, true);
	cr_expect_gt(failed, 0, "no open failed");
	cr_log_info("open: %ld allocations, every %ld-th failed: %ld opens "
		    "failed, %ld succeeded",
		    total, step, failed, opened);
	np_ruleset_free(rs);
}
