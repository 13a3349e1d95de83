// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Owns the regression tests of issue 14, with real traffic between network
 * namespaces: node-wide transactions (no packet judged by a mix of the old
 * and new states while many pods change; concurrent `netpol apply` runs
 * serialize; a kill -9 before the commit leaves the old state), and pod
 * source addresses (spoofed IPv4 and IPv6 sources dropped, on new flows and
 * on a tracked flow's tuple). Revocation is in test_traffic.c
 * (established_connection_judged_again_on_rule_changes). The netpol tool
 * is $NETPOL.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <criterion/criterion.h>

#include "dp_helpers.h"

#define A4 "198.18.4.1"
#define B4 "198.18.4.2"
#define C4 "198.18.4.3"
#define A6 "fd00::4:1"
#define B6 "fd00::4:2"
#define C6 "fd00::4:3"
#define UDP IPPROTO_UDP
#define TMO 800

static char workdir[64];

static void setup(void)
{
	dpt_setup();
	dpt_workdir(workdir, sizeof(workdir), "txn");
}

static void teardown(void)
{
	dpt_teardown();
	dpt_workdir_rm(workdir);
}

TestSuite(txn, .init = setup, .fini = teardown, .timeout = 300);

/* --- a UDP prober: how many answers came back from two ports ----------- */

struct prober {
	pid_t pid;
	int stop; /* close: stop */
	int result; /* "sent answered80 answered81" */
};

/*
 * From pod from, rounds of one new datagram (a new socket: a new flow) to
 * dst:80 and one to dst:81 until stopped, counting the answers of each.
 */
static void prober_start(struct prober *pr, const struct npt_pod *from,
			 const char *dst)
{
	int s[2], r[2];

	cr_assert_eq(pipe2(s, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(r, O_CLOEXEC), 0);
	pr->pid = fork();
	cr_assert_geq(pr->pid, 0);
	if (pr->pid == 0) {
		long sent = 0, got[2] = { 0, 0 };
		struct pollfd stopped = { .fd = s[0], .events = POLLIN };
		char out[96], buf[16];

		close(s[1]);
		close(r[0]);
		if (npt_netns_enter(from->netns))
			_exit(1);
		while (poll(&stopped, 1, 0) == 0) {
			struct sockaddr_in d = { .sin_family = AF_INET };
			struct pollfd pf[2];
			int fd[2], i, waited;

			inet_pton(AF_INET, dst, &d.sin_addr);
			for (i = 0; i < 2; i++) {
				fd[i] = socket(AF_INET,
					       SOCK_DGRAM | SOCK_NONBLOCK, 0);
				d.sin_port = htons(80 + i);
				if (fd[i] < 0 || sendto(fd[i], "x", 1, 0,
							(struct sockaddr *)&d,
							sizeof(d)) != 1)
					_exit(1);
				pf[i].fd = fd[i];
				pf[i].events = POLLIN;
			}
			sent++;
			/* 80 answers at once; 81 must never */
			for (waited = 0; waited < 300; waited += 2) {
				if (poll(pf, 2, 2) < 0)
					_exit(1);
				if (pf[0].revents)
					break;
			}
			poll(pf, 2, 2);
			for (i = 0; i < 2; i++) {
				if (pf[i].revents &&
				    recv(fd[i], buf, sizeof(buf), 0) > 0)
					got[i]++;
				close(fd[i]);
			}
		}
		snprintf(out, sizeof(out), "%ld %ld %ld", sent, got[0], got[1]);
		if (write(r[1], out, strlen(out) + 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(s[0]);
	close(r[1]);
	pr->stop = s[1];
	pr->result = r[0];
}

static void prober_stop(struct prober *pr, long *sent, long *got80, long *got81)
{
	char buf[96] = "";
	int st;

	close(pr->stop);
	cr_assert_gt(read(pr->result, buf, sizeof(buf) - 1), 0);
	close(pr->result);
	waitpid(pr->pid, &st, 0);
	cr_assert_eq(sscanf(buf, "%ld %ld %ld", sent, got80, got81), 3);
}

/* A UDP receiver in a pod that counts what reaches it, until stopped. */
static void counter_start(struct prober *pr, const struct npt_pod *pod,
			  uint16_t port)
{
	int s[2], r[2];

	cr_assert_eq(pipe2(s, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(r, O_CLOEXEC), 0);
	pr->pid = fork();
	cr_assert_geq(pr->pid, 0);
	if (pr->pid == 0) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(port) };
		long n = 0;
		char b[32];
		int fd;

		close(s[1]);
		close(r[0]);
		if (npt_netns_enter(pod->netns))
			_exit(1);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
			_exit(1);
		if (write(r[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			struct pollfd pf[2] = { { .fd = fd, .events = POLLIN },
						{ .fd = s[0],
						  .events = POLLIN } };

			if (poll(pf, 2, -1) < 0)
				_exit(1);
			if (pf[0].revents && recv(fd, b, sizeof(b), 0) > 0)
				n++;
			if (pf[1].revents)
				break;
		}
		snprintf(b, sizeof(b), "%ld", n);
		if (write(r[1], b, strlen(b) + 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(s[0]);
	close(r[1]);
	pr->stop = s[1];
	pr->result = r[0];
	{
		char c;

		cr_assert_eq(read(pr->result, &c, 1), 1);
	}
}

static long counter_stop(struct prober *pr)
{
	char buf[32] = "";
	int st;

	close(pr->stop);
	cr_assert_gt(read(pr->result, buf, sizeof(buf) - 1), 0);
	close(pr->result);
	waitpid(pr->pid, &st, 0);
	return strtol(buf, NULL, 10);
}

/* --- transactions ------------------------------------------------------ */

static struct npt_pod *B, *C;

/* Pods b and c attached, unisolated, with a UDP echo server on b:port. */
static void two_pods(uint16_t port)
{
	B = dpt_pod("b", B4, NULL);
	C = dpt_pod("c", C4, NULL);
	cr_assert_eq(npt_serve(B, UDP, port), 0);
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(dpt_attach(T.dp, B->host_if, 0, "t", "b"), 0);
	cr_assert_eq(dpt_attach(T.dp, C->host_if, 0, "t", "c"), 0);
}

/*
 * State 1: b's ingress admits c on UDP 80 only; c's egress is open.
 * State 2: b's ingress is open; c's egress reaches b on UDP 80 only.
 * Both allow c -> b:80 and deny c -> b:81, at different pods.
 */
static void stage(int state, bool b_first)
{
	static const uint16_t udp80[][3] = { { UDP, 80, 80 } };
	struct msb mb, mc;
	uint32_t ps;
	int i;

	msb_init(&mb, state == 1, false);
	msb_init(&mc, false, state == 2);
	if (state == 1) {
		ps = msb_ps(&mb, 0, udp80, 1);
		msb_add(&mb, NP_DIRECTION_INGRESS, C4 "/32", ps);
	} else {
		ps = msb_ps(&mc, 0, udp80, 1);
		msb_add(&mc, NP_DIRECTION_EGRESS, B4 "/32", ps);
	}
	for (i = 0; i < 2; i++) {
		bool b = (i == 0) == b_first;

		cr_assert_eq(dpt_apply(b ? B->ifindex : C->ifindex,
				       b ? &mb : &mc, NULL),
			     0);
	}
}

/*
 * The mid-apply case, 1,000 times: b and c change in one transaction,
 * staged in the order that would open a window (the side that opens
 * first); a prober in c sends a new flow to b:80 and one to b:81 all the
 * while. Not one datagram to 81 gets through, not one to 80 is lost.
 */
Test(txn, no_packet_sees_a_mix_of_states)
{
	struct prober pr, rx;
	long sent, got80, got81;
	int i, err;

	two_pods(80);
	/* what reaches b:81 is counted there (answers could be revoked) */
	counter_start(&rx, B, 81);
	cr_assert_eq(npt_probe(C, UDP, B4, 81, TMO), 1); /* no echo */
	cr_assert_eq(counter_stop(&rx), 1, "b:81 unreachable unisolated");
	counter_start(&rx, B, 81);
	stage(1, true);
	cr_assert_eq(npt_probe(C, UDP, B4, 80, TMO), 0);

	prober_start(&pr, C, B4);
	usleep(100000);
	for (i = 0; i < 1000; i++) {
		int next = i % 2 ? 1 : 2;

		err = np_datapath_begin(T.dp, NULL);
		cr_assert_eq(err, 0, "begin: %s", strerror(-err));
		/* 1 -> 2: b opens first; 2 -> 1: c opens first */
		stage(next, next == 2);
		err = np_datapath_commit(T.dp, NULL);
		cr_assert_eq(err, 0, "commit: %s", strerror(-err));
	}
	usleep(100000);
	prober_stop(&pr, &sent, &got80, &got81);
	got81 = counter_stop(&rx);
	fprintf(stderr,
		"%ld rounds during 1000 transactions: %ld answers from 80, "
		"%ld datagrams reached 81\n",
		sent, got80, got81);
	cr_expect_gt(sent, 100, "the prober ran %ld rounds", sent);
	cr_expect_eq(got81, 0, "%ld datagrams reached b:81", got81);
	cr_expect_eq(got80, sent, "%ld of %ld datagrams to 80 lost",
		     sent - got80, sent);
}

/* A transaction not committed never happened, nor one aborted. */
Test(txn, abort_and_close_leave_the_old_state)
{
	two_pods(81);
	stage(1, true);
	cr_assert_eq(np_datapath_begin(T.dp, NULL), 0);
	cr_expect_eq(np_datapath_begin(T.dp, NULL), -EALREADY);
	stage(2, true);
	/* staged, not committed: state 1 still decides (81 denied at b) */
	cr_expect_eq(npt_probe(C, UDP, B4, 81, TMO), 1);
	np_datapath_abort(T.dp);
	cr_expect_eq(npt_probe(C, UDP, B4, 81, TMO), 1);
	cr_expect_eq(np_datapath_commit(T.dp, NULL), -EINVAL);
	/* staged, then the handle closed */
	cr_assert_eq(np_datapath_begin(T.dp, NULL), 0);
	{
		struct msb open_b;

		msb_init(&open_b, false, false);
		cr_assert_eq(dpt_apply(B->ifindex, &open_b, NULL), 0);
	}
	dpt_close();
	cr_expect_eq(npt_probe(C, UDP, B4, 81, TMO), 1,
		     "a closed transaction took effect");
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_expect_eq(npt_probe(C, UDP, B4, 81, TMO), 1);
}

/* --- netpol apply: serialized, and killed mid-way ---------------------- */

static const char base[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: t}\n---\n"
	"apiVersion: v1\nkind: Pod\n"
	"metadata: {name: b, namespace: t, labels: {app: b}}\n"
	"spec: {containers: [{name: c}]}\n"
	"status: {phase: Running, podIP: " B4 ", podIPs: [{ip: " B4 "}]}\n"
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {name: c, namespace: t, labels: {app: c}}\n"
	"spec: {containers: [{name: c}]}\n"
	"status: {phase: Running, podIP: " C4 ", podIPs: [{ip: " C4 "}]}\n";

/* Manifest n: 1 isolates b's ingress to c on UDP 80; 2 isolates c's egress
 * to b on UDP 80. */
static void write_manifest(int n, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/m%d.yaml", workdir, n);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(base, f);
	if (n == 1)
		fputs("---\napiVersion: networking.k8s.io/v1\n"
		      "kind: NetworkPolicy\n"
		      "metadata: {name: one, namespace: t}\n"
		      "spec:\n  podSelector: {matchLabels: {app: b}}\n"
		      "  ingress: [{from: [{podSelector: {matchLabels: "
		      "{app: c}}}], ports: [{protocol: UDP, port: 80}]}]\n",
		      f);
	else
		fputs("---\napiVersion: networking.k8s.io/v1\n"
		      "kind: NetworkPolicy\n"
		      "metadata: {name: two, namespace: t}\n"
		      "spec:\n  podSelector: {matchLabels: {app: c}}\n"
		      "  policyTypes: [Egress]\n"
		      "  egress: [{to: [{podSelector: {matchLabels: "
		      "{app: b}}}], ports: [{protocol: UDP, port: 80}]}]\n",
		      f);
	fclose(f);
}

static int verify(const char *manifest)
{
	char out[8192];

	return dpt_run_sh(out, sizeof(out), "%s verify %s --pin-root %s",
			  dpt_tool(), manifest, T.pin_root);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Two `netpol apply` runs at once: the first holds its transaction open
 * (a test pause between staging and commit); the second waits for it, so
 * the node ends on the second manifest and verify agrees with it alone.
 */
Test(txn, concurrent_applies_serialize)
{
	char m1[128], m2[128], out[8192];
	double t0, t1;
	pid_t p1;
	int st, rc;

	dpt_tool();
	two_pods(81);
	dpt_close();
	write_manifest(1, m1, sizeof(m1));
	write_manifest(2, m2, sizeof(m2));

	t0 = now_s();
	p1 = fork();
	cr_assert_geq(p1, 0);
	if (p1 == 0) {
		setenv("NETPOL_TEST_PAUSE_BEFORE_COMMIT", "1500", 1);
		execl(dpt_tool(), "netpol", "apply", "-q", m1, "--pin-root",
		      T.pin_root, (char *)NULL);
		_exit(127);
	}
	usleep(300000);
	rc = dpt_run_sh(out, sizeof(out), "%s apply %s --pin-root %s",
			dpt_tool(), m2, T.pin_root);
	t1 = now_s();
	cr_expect_eq(rc, 0, "apply 2: %s", out);
	cr_assert_eq(waitpid(p1, &st, 0), p1);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "apply 1: %d", st);
	cr_expect_geq(t1 - t0, 1.4, "apply 2 did not wait for apply 1");
	cr_expect_eq(verify(m2), 0, "the node is not on manifest 2");
	cr_expect_neq(verify(m1), 0, "manifest 1 matches too");
	cr_expect_eq(npt_probe(C, UDP, B4, 81, TMO), 1);
}

/* Pods whose endpoint record holds two different generations. */
static int records_apart(void)
{
	char path[160];
	uint32_t key, next;
	void *prev = NULL;
	int fd, n = 0;

	snprintf(path, sizeof(path), "%s/endpoints", T.pin_root);
	fd = bpf_obj_get(path);
	cr_assert_geq(fd, 0, "%s", path);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct np_ep_rec rec;

		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &rec) &&
		    memcmp(rec.w[0], rec.w[1], sizeof(rec.w[0])))
			n++;
	}
	close(fd);
	return n;
}

/*
 * kill -9 of `netpol apply` between staging and commit: the old state
 * holds on every pod, and the next writer removes what was staged.
 */
Test(txn, kill_before_commit_keeps_the_old_state)
{
	char m1[128], m2[128], out[8192];
	pid_t p;
	int st, rc;

	dpt_tool();
	two_pods(81);
	dpt_close();
	write_manifest(1, m1, sizeof(m1));
	write_manifest(2, m2, sizeof(m2));
	rc = dpt_run_sh(out, sizeof(out), "%s apply %s --pin-root %s",
			dpt_tool(), m1, T.pin_root);
	cr_assert_eq(rc, 0, "apply 1: %s", out);

	p = fork();
	cr_assert_geq(p, 0);
	if (p == 0) {
		setenv("NETPOL_TEST_PAUSE_BEFORE_COMMIT", "10000", 1);
		execl(dpt_tool(), "netpol", "apply", "-q", m2, "--pin-root",
		      T.pin_root, (char *)NULL);
		_exit(127);
	}
	usleep(1500000); /* staged by now: it pauses before its commit */
	kill(p, SIGKILL);
	waitpid(p, &st, 0);
	cr_expect_eq(verify(m1), 0, "the old state does not hold");
	cr_expect_eq(npt_probe(C, UDP, B4, 81, TMO), 1);
	cr_expect_eq(records_apart(), 2, "what the dead apply staged");
	/* the next writer settles the records: no generation apart */
	rc = dpt_run_sh(out, sizeof(out), "%s apply %s --pin-root %s",
			dpt_tool(), m1, T.pin_root);
	cr_expect_eq(rc, 0, "apply 1 again: %s", out);
	cr_expect_eq(records_apart(), 0, "staged leftovers stay");
	rc = dpt_run_sh(out, sizeof(out), "%s verify %s --pin-root %s",
			dpt_tool(), m1, T.pin_root);
	cr_expect_eq(rc, 0, "verify: %s", out);
}

/* --- source addresses -------------------------------------------------- */

/*
 * Datagrams from pod from, from source src (added to the pod's eth0 when
 * it is not the pod's, so the kernel sends from it), to dst:port: how many
 * reached a counting receiver in pod to.
 */
static long spoof_count(const struct npt_pod *from, const struct npt_pod *to,
			int fam, const char *src, const char *dst,
			uint16_t port, uint16_t sport, int n)
{
	int r[2], st, i;
	char buf[32] = "";
	pid_t rx, tx;
	long got = -1;

	cr_assert_eq(pipe2(r, O_CLOEXEC), 0);
	rx = fork();
	cr_assert_geq(rx, 0);
	if (rx == 0) {
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
					   .sin6_port = htons(port) };
		struct sockaddr_in a4 = { .sin_family = AF_INET,
					  .sin_port = htons(port) };
		int fd, k = 0;
		char b[16];

		close(r[0]);
		if (npt_netns_enter(to->netns))
			_exit(1);
		fd = socket(fam == 4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd,
				   fam == 4 ? (struct sockaddr *)&a4 :
					      (struct sockaddr *)&a6,
				   fam == 4 ? sizeof(a4) : sizeof(a6)))
			_exit(1);
		if (write(r[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			struct pollfd pf = { .fd = fd, .events = POLLIN };

			if (poll(&pf, 1, 600) != 1)
				break;
			if (recv(fd, b, sizeof(b), 0) > 0)
				k++;
		}
		snprintf(b, sizeof(b), "%d", k);
		if (write(r[1], b, strlen(b) + 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(r[1]);
	cr_assert_eq(read(r[0], buf, 1), 1);
	/* the forged source on the pod's eth0: the kernel sends from it */
	if (strcmp(src, fam == 4 ? from->ip4 : from->ip6))
		npt_pod_exec(from, "ip addr add %s/%d dev eth0 %s 2>/dev/null",
			     src, fam == 4 ? 32 : 128, fam == 4 ? "" : "nodad");
	tx = fork();
	cr_assert_geq(tx, 0);
	if (tx == 0) {
		struct sockaddr_storage s = { 0 }, d = { 0 };
		socklen_t len = fam == 4 ? sizeof(struct sockaddr_in) :
					   sizeof(struct sockaddr_in6);
		int fd;

		if (npt_netns_enter(from->netns))
			_exit(1);
		if (fam == 4) {
			struct sockaddr_in *x = (void *)&s, *y = (void *)&d;

			x->sin_family = y->sin_family = AF_INET;
			x->sin_port = htons(sport);
			y->sin_port = htons(port);
			inet_pton(AF_INET, src, &x->sin_addr);
			inet_pton(AF_INET, dst, &y->sin_addr);
		} else {
			struct sockaddr_in6 *x = (void *)&s, *y = (void *)&d;

			x->sin6_family = y->sin6_family = AF_INET6;
			x->sin6_port = htons(sport);
			y->sin6_port = htons(port);
			inet_pton(AF_INET6, src, &x->sin6_addr);
			inet_pton(AF_INET6, dst, &y->sin6_addr);
		}
		fd = socket(fam == 4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&s, len))
			_exit(1);
		for (i = 0; i < n; i++) {
			if (sendto(fd, "x", 1, 0, (struct sockaddr *)&d, len) !=
			    1)
				_exit(1);
			usleep(2000);
		}
		_exit(0);
	}
	waitpid(tx, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sender failed");
	memset(buf, 0, sizeof(buf));
	cr_assert_gt(read(r[0], buf, sizeof(buf) - 1), 0);
	close(r[0]);
	waitpid(rx, &st, 0);
	got = strtol(buf, NULL, 10);
	return got;
}

/*
 * A pod sends from another pod's address and from a random one, IPv4 and
 * IPv6, with rp_filter off on the node: nothing arrives; from its own
 * address everything does. A forged tuple that conntrack already holds
 * (tracked while the check was off) is dropped too once it is on.
 */
Test(txn, spoofed_sources_are_dropped)
{
	NP_OPTS(np_datapath_opts, off, .source_check = NP_SWITCH_OFF);
	NP_OPTS(np_datapath_opts, on, .source_check = NP_SWITCH_ON);
	NP_OPTS(np_attach_opts, ao);
	const char *ips[] = { A4, A6 };
	struct np_datapath_counters c;
	struct npt_pod *a, *b;
	struct np_diag d;
	int err;

	a = dpt_pod("a", A4, A6);
	b = dpt_pod("b", B4, B6);
	dpt_pod("c", C4, C6);
	cr_assert_eq(npt_sh("sysctl -qw net.ipv4.conf.all.rp_filter=0 "
			    "net.ipv4.conf.default.rp_filter=0"),
		     0);
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	ao.ifname = a->host_if;
	ao.pod_ns = "t";
	ao.pod_name = "a";
	ao.ips = ips;
	ao.n_ips = 2;
	err = np_datapath_attach(T.dp, &ao, &d);
	cr_assert_eq(err, 0, "attach: %s", d.message);

	cr_expect_eq(spoof_count(a, b, 4, A4, B4, 7000, 40000, 20), 20,
		     "the pod's own IPv4 address");
	cr_expect_eq(spoof_count(a, b, 6, A6, B6, 7000, 40000, 20), 20,
		     "the pod's own IPv6 address");
	cr_expect_eq(spoof_count(a, b, 4, C4, B4, 7000, 40001, 20), 0,
		     "another pod's IPv4 address");
	cr_expect_eq(spoof_count(a, b, 4, "198.18.77.7", B4, 7000, 40002, 20),
		     0, "a random IPv4 address");
	cr_expect_eq(spoof_count(a, b, 6, C6, B6, 7000, 40003, 20), 0,
		     "another pod's IPv6 address");
	cr_expect_eq(spoof_count(a, b, 6, "fd00::77:7", B6, 7000, 40004, 20), 0,
		     "a random IPv6 address");
	cr_assert_eq(np_datapath_counters(T.dp, a->ifindex, NP_DIRECTION_EGRESS,
					  &c),
		     0);
	cr_expect_geq(c.denied_packets, 80, "drops counted: %llu",
		      (unsigned long long)c.denied_packets);

	/* a forged flow tracked while the check was off */
	dpt_close();
	off.pin_root = T.pin_root;
	cr_assert_eq(np_datapath_open(&T.dp, &off), 0);
	cr_expect_eq(spoof_count(a, b, 4, C4, B4, 7001, 40005, 5), 5,
		     "source check off");
	np_datapath_close(T.dp);
	on.pin_root = T.pin_root;
	cr_assert_eq(np_datapath_open(&T.dp, &on), 0);
	cr_expect_eq(spoof_count(a, b, 4, C4, B4, 7001, 40005, 5), 0,
		     "a forged packet rode a tracked flow's entry");
}
