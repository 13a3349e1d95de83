// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Owns the regression tests of issue 13 item 4(b), against the real kernel
 * in network namespaces: a policy that cannot be enforced on a pod makes
 * that pod fail closed in the directions it names (new flows denied with
 * reason "unenforceable", node IPs still allowed, tracked flows go on)
 * until a manifest that can be enforced is applied; and the argument
 * checks of np_datapath_fail_closed(). The netpol tool is $NETPOL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "dp_helpers.h"

#define A4 "198.18.2.1" /* the selected pod, standard mode */
#define B4 "198.18.2.2" /* a peer */
#define N4 "198.18.2.3" /* a node IP: the kubelet's probes */
#define TMO 800
#define TCP IPPROTO_TCP

static char workdir[64];

static void setup(void)
{
	dpt_setup();
	dpt_workdir(workdir, sizeof(workdir), "failclosed");
}

static void teardown(void)
{
	dpt_teardown();
	dpt_workdir_rm(workdir);
}

TestSuite(failclosed, .init = setup, .fini = teardown, .timeout = 240);

/*
 * Pods a and b of namespace test, and policy test/wide selecting a: ingress
 * from 198.18.0.0/15 on TCP 80 and nports - 1 more single ports, each its
 * own range under that one prefix. Written to workdir/name.
 */
static const char *manifest(const char *name, int nports)
{
	static char path[128];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/%s", workdir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("apiVersion: v1\nkind: Namespace\nmetadata: {name: test}\n---\n"
	      "apiVersion: v1\nkind: Pod\n"
	      "metadata: {name: a, namespace: test, labels: {app: a}}\n"
	      "spec: {containers: [{name: c}]}\n"
	      "status: {phase: Running, podIP: " A4 "}\n---\n"
	      "apiVersion: v1\nkind: Pod\n"
	      "metadata: {name: b, namespace: test, labels: {app: b}}\n"
	      "spec: {containers: [{name: c}]}\n"
	      "status: {phase: Running, podIP: " B4 "}\n---\n"
	      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	      "metadata: {name: wide, namespace: test}\n"
	      "spec:\n"
	      "  podSelector: {matchLabels: {app: a}}\n"
	      "  ingress:\n"
	      "  - from: [{ipBlock: {cidr: 198.18.0.0/15}}]\n"
	      "    ports:\n"
	      "    - {port: 80}\n",
	      f);
	for (i = 1; i < nports; i++)
		fprintf(f, "    - {port: %d}\n", 1000 + 2 * i);
	fclose(f);
	return path;
}

static int probe(struct npt_pod *from, const char *dst, uint16_t port)
{
	int r = npt_probe(from, TCP, dst, port, TMO);

	cr_assert_geq(r, 0, "probe setup failed");
	return r;
}

struct seen {
	unsigned int ifindex;
	size_t unenforceable; /* denied ingress from B4 for that reason */
	size_t other; /* any other verdict of that flow */
};

static int on_event(void *ctx, const struct np_event *ev)
{
	struct seen *s = ctx;

	if (ev->ifindex != s->ifindex || strcmp(ev->src_text, B4) ||
	    ev->direction != NP_DIRECTION_INGRESS)
		return 0;
	if (!ev->allowed && ev->reason == NP_REASON_UNENFORCEABLE)
		s->unenforceable++;
	else
		s->other++;
	return 0;
}

static void drain_events(void)
{
	struct seen none = { 0 };

	cr_assert_eq(np_datapath_poll_events(T.dp, 0, on_event, &none), 0);
}

/*
 * A pod in standard mode selected by a policy with 25 port ranges under
 * one prefix (more than NP_MAX_PORT_SLOTS): `netpol apply` exits non-zero
 * naming policy, pod and limit, and the pod's ingress fails closed: a
 * peer's new connection is denied (reason unenforceable in its flow
 * event), the node IP still gets through, a connection opened before goes
 * on, status says fail-closed. A manifest that fits enforces it again.
 */
Test(failclosed, oversized_policy_fails_closed)
{
	static const char *const node_ips[] = { N4 };
	struct npt_pod *a, *b, *n;
	struct npt_conn conn;
	struct seen s = { 0 };
	char out[8192];
	const char *m;
	int rc;

	dpt_tool();
	a = dpt_pod("a", A4, NULL);
	b = dpt_pod("b", B4, NULL);
	n = dpt_pod("n", N4, NULL);
	cr_assert_eq(npt_serve(a, TCP, 80), 0);
	dpt_open(NP_MODE_STANDARD, true, node_ips, 1);
	cr_assert_eq(dpt_attach(T.dp, a->host_if, 0, "test", "a"), 0);
	s.ifindex = a->ifindex;
	cr_assert_eq(probe(b, A4, 80), 0, "standard mode, no rules: allowed");
	cr_assert_eq(npt_conn_open(&conn, b, TCP, A4, 80, TMO), 0);

	m = manifest("wide.yaml", 25);
	rc = dpt_run_sh(out, sizeof(out),
			"timeout 60 %s apply %s --pin-root %s", dpt_tool(), m,
			T.pin_root);
	cr_expect_neq(rc, 0, "apply of an oversized policy exits 0: %s", out);
	cr_expect_not_null(strstr(out, "test/wide"), "no policy: %s", out);
	cr_expect_not_null(strstr(out, "test/a"), "no pod: %s", out);
	cr_expect_not_null(strstr(out, "most 24"), "no limit: %s", out);
	cr_expect_not_null(strstr(out, "failing closed (ingress)"),
			   "not failing closed: %s", out);

	drain_events();
	cr_expect_eq(probe(b, A4, 80), 1,
		     "a peer reaches the pod its policy "
		     "could not be enforced on");
	cr_expect_eq(probe(n, A4, 80), 0, "the node IP is cut off");
	cr_expect_eq(npt_conn_exchange(&conn, TMO), 1,
		     "a tracked connection its pod now fails closed on goes on "
		     "(revoked: the rules it was judged under changed)");
	npt_conn_close(&conn);
	cr_assert_eq(np_datapath_poll_events(T.dp, 200, on_event, &s), 0);
	cr_assert_eq(np_datapath_poll_events(T.dp, 0, on_event, &s), 0);
	cr_expect_gt(s.unenforceable, 0,
		     "no flow event with reason unenforceable (%zu others)",
		     s.other);

	rc = dpt_run_sh(out, sizeof(out), "%s status --pin-root %s", dpt_tool(),
			T.pin_root);
	cr_expect_not_null(strstr(out, "ingress fail-closed"), "status: %s",
			   out);
	rc = dpt_run_sh(out, sizeof(out), "%s dump --pod test/a --pin-root %s",
			dpt_tool(), T.pin_root);
	cr_expect_not_null(strstr(out, "ingress: fail-closed"), "dump: %s",
			   out);
	rc = dpt_run_sh(out, sizeof(out),
			"%s explain --pod test/a --peer " B4 " --port 80 "
			"--direction ingress --pin-root %s",
			dpt_tool(), T.pin_root);
	cr_expect_eq(rc, 1, "explain: %s", out);
	cr_expect_not_null(strstr(out, "unenforceable"), "explain: %s", out);

	/* a manifest that fits: verify sees the state, apply enforces it */
	m = manifest("fixed.yaml", 2);
	rc = dpt_run_sh(out, sizeof(out), "%s verify %s --pin-root %s",
			dpt_tool(), m, T.pin_root);
	cr_expect_neq(rc, 0, "verify of a fail-closed pod: %s", out);
	cr_expect_not_null(strstr(out, "endpoint state fail-closed"),
			   "verify: %s", out);
	rc = dpt_run_sh(out, sizeof(out),
			"timeout 60 %s apply %s --pin-root %s", dpt_tool(), m,
			T.pin_root);
	cr_expect_eq(rc, 0, "apply of the fixed manifest: %s", out);
	rc = dpt_run_sh(out, sizeof(out), "%s status --pin-root %s", dpt_tool(),
			T.pin_root);
	cr_expect_not_null(strstr(out, "ingress enforced"), "status: %s", out);
	cr_expect_eq(probe(b, A4, 80), 0, "the fixed policy admits the peer");
}

static int pod_state(void *ctx, const struct np_datapath_pod *pod)
{
	enum np_pod_state *st = ctx;

	st[0] = pod->state[0];
	st[1] = pod->state[1];
	return 0;
}

/* np_datapath_fail_closed(): what it refuses, and what it changes. */
Test(failclosed, arguments)
{
	enum np_pod_state st[2] = { NP_POD_ENFORCED, NP_POD_ENFORCED };
	struct np_diag d;
	struct npt_pod *a;

	a = dpt_pod("a", A4, NULL);
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_expect_eq(np_datapath_fail_closed(NULL, a->ifindex, 1, &d), -EINVAL);
	cr_expect_eq(np_datapath_fail_closed(T.dp, a->ifindex, 1, &d), -ENOENT,
		     "not attached yet");
	cr_expect_eq(d.err, -ENOENT);
	cr_expect_neq(d.message[0], '\0');
	cr_assert_eq(dpt_attach(T.dp, a->host_if, 0, "test", "a"), 0);
	cr_expect_eq(np_datapath_fail_closed(T.dp, 0, 1, &d), -EINVAL);
	cr_expect_eq(np_datapath_fail_closed(T.dp, a->ifindex, 0, &d), -EINVAL,
		     "no direction");
	cr_expect_eq(np_datapath_fail_closed(T.dp, a->ifindex, 4, &d), -EINVAL,
		     "a bit that is no direction");
	cr_expect_eq(np_datapath_pod_foreach(T.dp, pod_state, st), 0);
	cr_expect_eq(st[0], NP_POD_DEFAULT_ALLOW, "refused calls change it");
	cr_expect_eq(np_datapath_fail_closed(T.dp, a->ifindex, 2, NULL), 0);
	cr_expect_eq(np_datapath_pod_foreach(T.dp, pod_state, st), 0);
	cr_expect_eq(st[0], NP_POD_DEFAULT_ALLOW, "ingress changed");
	cr_expect_eq(st[1], NP_POD_FAIL_CLOSED);
	cr_expect_str_eq(np_pod_state_name(st[1]), "fail-closed");
	cr_expect_eq(np_datapath_fail_closed(T.dp, a->ifindex, 3, NULL), 0);
	cr_expect_eq(np_datapath_pod_foreach(T.dp, pod_state, st), 0);
	cr_expect_eq(st[0], NP_POD_FAIL_CLOSED);
	cr_expect_eq(st[1], NP_POD_FAIL_CLOSED);
}
