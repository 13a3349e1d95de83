// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Real traffic: pods are network namespaces joined to a private node
 * namespace by veth pairs, the library attaches to the host ends, and real
 * TCP connections and UDP exchanges decide allow or deny.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "dp_helpers.h"
#include "empty.skel.h"

#define A4 "198.18.0.1"
#define B4 "198.18.0.2"
#define C4 "198.18.0.3"
#define A6 "fd00::1"
#define B6 "fd00::2"
#define C6 "fd00::3"
#define TMO 800 /* ms: a denied probe costs this much */

#define ALLOWED 0
#define DENIED 1

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP

TestSuite(traffic, .init = dpt_setup, .fini = dpt_teardown, .timeout = 120);

static struct npt_pod *A, *B, *C;

static void three_pods(void)
{
	A = dpt_pod("a", A4, A6);
	B = dpt_pod("b", B4, B6);
	C = dpt_pod("c", C4, C6);
	cr_assert_eq(npt_serve(B, TCP, 8080), 0);
	cr_assert_eq(npt_serve(B, TCP, 8081), 0);
	cr_assert_eq(npt_serve(B, UDP, 5353), 0);
	cr_assert_eq(npt_serve(B, UDP, 5354), 0);
	cr_assert_eq(npt_serve(A, TCP, 9000), 0);
	cr_assert_eq(npt_serve(A, UDP, 9001), 0);
	cr_assert_eq(npt_serve(C, TCP, 8080), 0);
}

static void attach(struct npt_pod *p, const char *name)
{
	int err = dpt_attach(T.dp, p->host_if, 0, "test", name);

	cr_assert_eq(err, 0, "attach %s: %s", name, strerror(-err));
}

static int probe(struct npt_pod *from, int proto, const char *dst,
		 uint16_t port)
{
	int r = npt_probe(from, proto, dst, port, TMO);

	cr_assert_geq(r, 0, "probe setup failed");
	return r;
}

Test(traffic, standard_and_strict_defaults)
{
	three_pods();
	/* before anything is attached */
	cr_expect_eq(probe(A, TCP, B4, 8080), ALLOWED);

	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	attach(A, "a");
	attach(B, "b");
	cr_expect_eq(probe(A, TCP, B4, 8080), ALLOWED);
	cr_expect_eq(probe(A, TCP, B6, 8080), ALLOWED);
	cr_expect_eq(probe(A, UDP, B4, 5353), ALLOWED);
	cr_expect_eq(probe(A, UDP, B6, 5353), ALLOWED);
	dpt_close();

	dpt_open(NP_MODE_STRICT, false, NULL, 0);
	attach(C, "c");
	cr_expect_eq(probe(A, TCP, C4, 8080), DENIED, "c admits nothing");
	cr_expect_eq(probe(A, TCP, C6, 8080), DENIED);
	cr_expect_eq(probe(C, TCP, B4, 8080), DENIED, "c sends nothing");
	cr_expect_eq(probe(C, UDP, B6, 5353), DENIED);
	cr_expect_eq(probe(A, TCP, B4, 8080), ALLOWED, "a, b keep theirs");
}

/* b admits a on TCP 8080 and UDP 5353, v4 and v6; egress open. */
static void b_admits_a(uint16_t extra_tcp)
{
	/* sorted by (protocol, port), as the encoder makes them */
	uint16_t ports[3][3] = { { TCP, 8080, 8080 },
				 { TCP, extra_tcp, extra_tcp },
				 { UDP, 5353, 5353 } };
	struct msb m;
	uint32_t ps;
	int err;

	msb_init(&m, true, false);
	if (!extra_tcp)
		memmove(ports[1], ports[2], sizeof(ports[1]));
	ps = msb_ps(&m, 0, (const uint16_t(*)[3])ports, extra_tcp ? 3 : 2);
	msb_add(&m, NP_DIRECTION_INGRESS, A4 "/32", ps);
	msb_add(&m, NP_DIRECTION_INGRESS, A6 "/128", ps);
	err = dpt_apply(B->ifindex, &m, NULL);
	cr_assert_eq(err, 0, "%s", strerror(-err));
}

Test(traffic, rules_allow_and_deny)
{
	struct np_datapath_counters c;

	three_pods();
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	attach(A, "a");
	attach(B, "b");
	attach(C, "c");
	b_admits_a(0);
	cr_expect_eq(probe(A, TCP, B4, 8080), ALLOWED);
	cr_expect_eq(probe(A, TCP, B6, 8080), ALLOWED);
	cr_expect_eq(probe(A, UDP, B4, 5353), ALLOWED);
	cr_expect_eq(probe(A, UDP, B6, 5353), ALLOWED);
	cr_expect_eq(probe(A, TCP, B4, 8081), DENIED, "port not allowed");
	cr_expect_eq(probe(A, TCP, B6, 8081), DENIED);
	cr_expect_eq(probe(A, UDP, B4, 5354), DENIED);
	cr_expect_eq(probe(C, TCP, B4, 8080), DENIED, "peer not allowed");
	cr_expect_eq(probe(C, UDP, B6, 5353), DENIED);
	cr_expect_eq(probe(B, TCP, C4, 8080), ALLOWED, "b egress is open");

	cr_assert_eq(np_datapath_counters(T.dp, B->ifindex,
					  NP_DIRECTION_INGRESS, &c),
		     0);
	cr_expect_geq(c.denied_packets, 5);
	cr_expect_geq(c.allowed_packets, 8);
	cr_expect_gt(c.allowed_bytes, c.allowed_packets * 40);
}

Test(traffic, reply_passes_when_reverse_is_denied)
{
	uint16_t ports[2][3] = { { TCP, 8080, 8080 }, { UDP, 5353, 5353 } };
	struct msb m;
	uint32_t ps;

	three_pods();
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	attach(A, "a");
	attach(B, "b");
	/* a: egress to b on two ports; ingress isolated, nothing admitted */
	msb_init(&m, true, true);
	ps = msb_ps(&m, 0, (const uint16_t(*)[3])ports, 2);
	msb_add(&m, NP_DIRECTION_EGRESS, B4 "/32", ps);
	msb_add(&m, NP_DIRECTION_EGRESS, B6 "/128", ps);
	cr_assert_eq(dpt_apply(A->ifindex, &m, NULL), 0);

	cr_expect_eq(probe(A, TCP, B4, 8080), ALLOWED, "replies come back");
	cr_expect_eq(probe(A, TCP, B6, 8080), ALLOWED);
	cr_expect_eq(probe(A, UDP, B4, 5353), ALLOWED);
	cr_expect_eq(probe(A, UDP, B6, 5353), ALLOWED);
	cr_expect_eq(probe(B, TCP, A4, 9000), DENIED, "a admits nothing");
	cr_expect_eq(probe(B, TCP, A6, 9000), DENIED);
	cr_expect_eq(probe(B, UDP, A4, 9001), DENIED);
	cr_expect_eq(probe(A, TCP, C4, 8080), DENIED, "a may not reach c");
	cr_expect_eq(probe(A, TCP, B4, 8081), DENIED);
}

/*
 * Issue 14 item 2: an established connection is judged again when its
 * pod's rules change. Rules that still allow it: it goes on, through
 * 1,000 changes. Rules that deny it: its next packet is dropped (reason
 * "revoked") and so is the rest of it; allowed again, it resumes. With
 * revoke off (the EKS agent's behaviour) it goes on under any rules.
 */
Test(traffic, established_connection_judged_again_on_rule_changes)
{
	NP_OPTS(np_datapath_opts, off, .revoke = NP_SWITCH_OFF);
	struct npt_conn conn;
	struct msb none;
	int i;

	three_pods();
	dpt_open(NP_MODE_STRICT, false, NULL, 0);
	attach(B, "b");
	b_admits_a(0);
	cr_assert_eq(npt_conn_open(&conn, A, TCP, B4, 8080, TMO), 0);
	/* new contents that still allow the connection */
	for (i = 0; i < 1000; i++)
		b_admits_a(i % 2 ? 8081 : 8082);
	cr_expect_eq(npt_conn_exchange(&conn, TMO), ALLOWED);
	cr_expect_eq(probe(A, TCP, B4, 8081), ALLOWED);
	/* rules that deny it: new connections stop, and this one */
	msb_init(&none, true, true);
	cr_assert_eq(dpt_apply(B->ifindex, &none, NULL), 0);
	cr_expect_eq(probe(A, TCP, B4, 8080), DENIED);
	cr_expect_eq(npt_conn_exchange(&conn, TMO), DENIED, "not revoked");
	/*
	 * allowed again: the same connection resumes, when TCP retransmits
	 * what was dropped (its timer backs off: 0.2, 0.4, 0.8 s, ...)
	 */
	b_admits_a(8081);
	cr_expect_eq(npt_conn_exchange(&conn, 5000), ALLOWED);
	npt_conn_close(&conn);

	/* revoke off: a flow is judged once, at its first packet */
	dpt_close();
	{
		struct np_datapath *dp2;

		off.pin_root = T.pin_root;
		cr_assert_eq(np_datapath_open(&dp2, &off), 0);
		T.dp = dp2;
	}
	cr_assert_eq(npt_conn_open(&conn, A, TCP, B4, 8080, TMO), 0);
	cr_assert_eq(dpt_apply(B->ifindex, &none, NULL), 0);
	cr_expect_eq(probe(A, TCP, B4, 8080), DENIED);
	cr_expect_eq(npt_conn_exchange(&conn, TMO), ALLOWED,
		     "revoke off cut a tracked connection");
	npt_conn_close(&conn);
}

Test(traffic, close_and_reopen_keep_enforcement_and_conntrack)
{
	uint16_t ports[1][3] = { { TCP, 8080, 8080 } };
	struct npt_conn conn;
	struct msb m;
	uint32_t ps;

	three_pods();
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	attach(A, "a");
	msb_init(&m, true, true);
	ps = msb_ps(&m, 0, (const uint16_t(*)[3])ports, 1);
	msb_add(&m, NP_DIRECTION_EGRESS, B4 "/32", ps);
	cr_assert_eq(dpt_apply(A->ifindex, &m, NULL), 0);
	/* a admits nothing: this connection lives on conntrack alone */
	cr_assert_eq(npt_conn_open(&conn, A, TCP, B4, 8080, TMO), 0);

	dpt_close(); /* no process holds the datapath now */
	cr_expect_eq(npt_conn_exchange(&conn, TMO), ALLOWED);
	cr_expect_eq(probe(B, TCP, A4, 9000), DENIED);
	cr_expect_eq(probe(A, TCP, B4, 8081), DENIED);
	cr_expect_eq(probe(A, TCP, B4, 8080), ALLOWED);

	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_expect_eq(T.log.nwarn, 0, "%s", T.log.last_warn);
	cr_expect_eq(npt_conn_exchange(&conn, TMO), ALLOWED);
	cr_expect_eq(probe(B, TCP, A4, 9000), DENIED);
	cr_expect_eq(probe(A, TCP, B4, 8080), ALLOWED);
	npt_conn_close(&conn);
}

static bool has_clsact(const char *ifname)
{
	return npt_sh("tc qdisc show dev %s | grep -q clsact", ifname) == 0;
}

static bool has_filters(const char *ifname, const char *hook)
{
	return npt_sh("tc filter show dev %s %s | grep -q .", ifname, hook) ==
	       0;
}

/*
 * Owned by tc filters: destroy removes our filters and the clsact qdiscs
 * we made, and leaves someone else's qdisc and filter alone.
 */
Test(traffic, destroy_leaves_no_pin_and_no_filter)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = 7, .priority = 7);
	struct np_empty_bpf *empty;
	uint32_t ids[2];
	struct stat st;
	int prog, i;
	char path[128];

	three_pods();
	/* c has a clsact qdisc with someone else's filter already */
	empty = np_empty_bpf__open_and_load();
	cr_assert_not_null(empty);
	cr_assert_eq(npt_sh("tc qdisc add dev %s clsact", C->host_if), 0);
	hook.ifindex = C->ifindex;
	o.prog_fd = bpf_program__fd(empty->progs.np_tc_empty);
	cr_assert_eq(bpf_tc_attach(&hook, &o), 0);
	np_empty_bpf__destroy(empty); /* the filter holds the program */
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);

	T.hook = NP_HOOK_KIND_TC;
	dpt_open(NP_MODE_STRICT, false, NULL, 0);
	attach(A, "a");
	attach(B, "b");
	attach(C, "c");
	cr_expect_eq(probe(A, TCP, B4, 8080), DENIED);
	for (i = 0; i < 2; i++) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);

		memset(&info, 0, sizeof(info));
		prog = np__datapath_prog_fd(T.dp, i);
		cr_assert_eq(bpf_obj_get_info_by_fd(prog, &info, &len), 0);
		ids[i] = info.id;
	}
	cr_expect(has_clsact(A->host_if));
	cr_expect(has_filters(A->host_if, "ingress"));
	cr_expect(has_filters(A->host_if, "egress"));

	cr_assert_eq(np_datapath_destroy(T.dp), 0);
	T.dp = NULL;
	cr_expect_neq(stat(T.pin_root, &st), 0, "pin root removed");
	cr_expect(!has_clsact(A->host_if), "our clsact qdisc removed");
	cr_expect(!has_clsact(B->host_if));
	cr_expect(!has_filters(A->host_if, "ingress"));
	cr_expect(!has_filters(B->host_if, "egress"));
	cr_expect(has_clsact(C->host_if), "a qdisc we did not create stays");
	cr_expect(has_filters(C->host_if, "ingress"), "and its filter");
	cr_expect(!has_filters(C->host_if, "egress"));
	cr_expect_neq(npt_sh("tc filter show dev %s ingress | grep -q "
			     "'handle 0x4e50'",
			     C->host_if),
		      0);
	cr_expect_eq(npt_sh("tc filter show dev %s ingress | grep -q "
			    "'handle 0x7'",
			    C->host_if),
		     0);
	snprintf(path, sizeof(path), "%s/endpoints", T.pin_root);
	cr_expect_neq(stat(path, &st), 0);
	/* the programs are gone once the kernel frees them */
	for (i = 0; i < 2; i++) {
		int fd = -1, tries;

		for (tries = 0; tries < 100; tries++) {
			fd = bpf_prog_get_fd_by_id(ids[i]);
			if (fd < 0)
				break;
			close(fd);
			usleep(20000);
		}
		cr_expect_lt(fd, 0, "program %u still loaded", ids[i]);
	}
	cr_expect_eq(probe(A, TCP, B4, 8080), ALLOWED, "no enforcement left");
}

/*
 * Owned by TCX links (the default where the kernel has them): attach makes
 * no clsact qdisc; destroy detaches and unpins every link, leaves another
 * program's TCX attachment alone, and the programs go.
 */
Test(traffic, destroy_leaves_no_link)
{
	struct np_empty_bpf *empty;
	struct np_datapath_hook hk[2];
	struct stat st;
	uint32_t ids[2];
	int i, efd;

	three_pods();
	dpt_open(NP_MODE_STRICT, false, NULL, 0);
	attach(A, "a");
	attach(B, "b");
	cr_assert_eq(np_datapath_hooks(T.dp, A->ifindex, hk), 0);
	if (hk[0].kind != NP_HOOK_KIND_TCX)
		cr_skip_test("no TCX on this kernel");
	cr_expect_eq(probe(A, TCP, B4, 8080), DENIED);
	cr_expect(!has_clsact(A->host_if), "no clsact qdisc with TCX");
	cr_expect_eq(dpt_tcx_progs(A->ifindex, false), 1);
	cr_expect_eq(dpt_tcx_progs(A->ifindex, true), 1);
	/* someone else's TCX program on b, after ours */
	empty = np_empty_bpf__open_and_load();
	cr_assert_not_null(empty);
	efd = bpf_program__fd(empty->progs.np_tc_empty);
	cr_assert_eq(bpf_prog_attach(efd, B->ifindex, 46 /* TCX ingress */, 0),
		     0);
	for (i = 0; i < 2; i++) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);

		memset(&info, 0, sizeof(info));
		cr_assert_eq(
			bpf_obj_get_info_by_fd(np__datapath_prog_fd(T.dp, i),
					       &info, &len),
			0);
		ids[i] = info.id;
	}

	cr_assert_eq(np_datapath_destroy(T.dp), 0);
	T.dp = NULL;
	cr_expect_neq(stat(T.pin_root, &st), 0, "pin root removed");
	cr_expect_eq(dpt_tcx_progs(A->ifindex, false) +
			     dpt_tcx_progs(A->ifindex, true),
		     0, "our links detached");
	cr_expect_eq(dpt_tcx_progs(B->ifindex, false), 1,
		     "the other program stays");
	cr_expect_eq(dpt_tcx_progs(B->ifindex, true), 0);
	bpf_prog_detach2(efd, B->ifindex, 46);
	np_empty_bpf__destroy(empty);
	for (i = 0; i < 2; i++) {
		int fd = -1, tries;

		for (tries = 0; tries < 100; tries++) {
			fd = bpf_prog_get_fd_by_id(ids[i]);
			if (fd < 0)
				break;
			close(fd);
			usleep(20000);
		}
		cr_expect_lt(fd, 0, "program %u still loaded", ids[i]);
	}
	cr_expect_eq(probe(A, TCP, B4, 8080), ALLOWED, "no enforcement left");
}

/*
 * In pod a: one UDP exchange with b:5353 after another, each from a new
 * socket (a new flow, so a new policy decision) until stop is closed.
 */
static pid_t traffic_start(int *stop, int *result)
{
	int s[2], r[2];
	pid_t pid;

	cr_assert_eq(pipe2(s, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(r, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		long ok = 0, bad = 0;
		struct sockaddr_in dst = { .sin_family = AF_INET,
					   .sin_port = htons(5353) };
		struct pollfd pf[1];
		char buf[64], out[64];

		close(s[1]);
		close(r[0]);
		inet_pton(AF_INET, B4, &dst.sin_addr);
		if (npt_netns_enter(A->netns))
			_exit(1);
		for (;;) {
			int fd = socket(AF_INET, SOCK_DGRAM, 0);
			struct pollfd stopped = { .fd = s[0],
						  .events = POLLIN };

			if (fd < 0 ||
			    sendto(fd, "x", 1, 0, (struct sockaddr *)&dst,
				   sizeof(dst)) != 1)
				_exit(1);
			pf[0].fd = fd;
			pf[0].events = POLLIN;
			if (poll(pf, 1, 500) == 1 &&
			    recv(fd, buf, sizeof(buf), 0) == 1)
				ok++;
			else
				bad++;
			close(fd);
			if (poll(&stopped, 1, 0) == 1)
				break;
		}
		snprintf(out, sizeof(out), "%ld %ld", ok, bad);
		if (write(r[1], out, strlen(out) + 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(s[0]);
	close(r[1]);
	*stop = s[1];
	*result = r[0];
	return pid;
}

Test(traffic, rule_swaps_under_traffic_lose_nothing)
{
	struct np_datapath_counters c;
	long ok = 0, bad = -1;
	int stop, result, i, st;
	char buf[64] = "";
	pid_t pid;

	three_pods();
	dpt_open(NP_MODE_STRICT, false, NULL, 0);
	attach(B, "b");
	b_admits_a(0);
	cr_assert_eq(probe(A, UDP, B4, 5353), ALLOWED);
	pid = traffic_start(&stop, &result);
	usleep(50000);
	for (i = 0; i < 1000; i++) {
		/* a new content each time: new keys, a flip, a retired id */
		b_admits_a(8081 + i);
		if (i % 100 == 99) /* delete the retired ones meanwhile */
			cr_assert_eq(np_datapath_gc(T.dp), 0);
	}
	usleep(50000);
	close(stop);
	cr_assert_gt(read(result, buf, sizeof(buf)), 0);
	close(result);
	waitpid(pid, &st, 0);
	cr_assert_eq(sscanf(buf, "%ld %ld", &ok, &bad), 2);
	cr_expect_eq(bad, 0, "%ld exchanges failed, %ld worked", bad, ok);
	cr_expect_gt(ok, 100, "%ld exchanges during the swaps", ok);
	cr_log_info("%ld exchanges, %ld failed, during 1000 swaps", ok, bad);
	cr_assert_eq(np_datapath_counters(T.dp, B->ifindex,
					  NP_DIRECTION_INGRESS, &c),
		     0);
	cr_expect_eq(c.denied_packets, 0);
	cr_expect_eq(np_datapath_gc(T.dp), 0);
	cr_expect_eq(np__datapath_nrulesets(T.dp), 1, "retired ids deleted");
}

/* --- issue 13 item 1: ICMP errors are no tunnel ---------------------- */

#define D4 "198.18.0.4"
#define D6 "fd00::4"
#define ICMP_WAIT_MS 1500

static uint16_t csum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * An ICMP error (v4 type 3 / v6 type 1) into buf: quoting a TCP packet
 * qsrc:qsport > qdst:qdport with pad bytes of payload. Its length.
 */
static size_t icmp_error(uint8_t *buf, int fam, const char *qsrc,
			 uint16_t qsport, const char *qdst, uint16_t qdport,
			 size_t pad)
{
	size_t ih = fam == 4 ? 20 : 40, q = ih + 20 + pad;
	uint8_t *ip = buf + 8, *tcp = ip + ih;

	memset(buf, 0, 8 + q);
	buf[0] = fam == 4 ? 3 : 1; /* destination unreachable */
	buf[1] = fam == 4 ? 3 : 4; /* port unreachable */
	if (fam == 4) {
		ip[0] = 0x45;
		ip[2] = q >> 8;
		ip[3] = q;
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		inet_pton(AF_INET, qsrc, ip + 12);
		inet_pton(AF_INET, qdst, ip + 16);
	} else {
		ip[0] = 0x60;
		ip[4] = (q - 40) >> 8;
		ip[5] = q - 40;
		ip[6] = IPPROTO_TCP;
		ip[7] = 64;
		inet_pton(AF_INET6, qsrc, ip + 8);
		inet_pton(AF_INET6, qdst, ip + 24);
	}
	tcp[0] = qsport >> 8;
	tcp[1] = qsport;
	tcp[2] = qdport >> 8;
	tcp[3] = qdport;
	tcp[12] = 5 << 4;
	tcp[13] = TCPF_ACK;
	memset(tcp + 20, 'x', pad);
	if (fam == 4) {
		uint16_t c = csum16(buf, 8 + q);

		buf[2] = c >> 8;
		buf[3] = c;
	}
	return 8 + q;
}

/*
 * A child in pod's netns counting the ICMP errors (v4 type 3, v6 type 1)
 * from src that arrive within ICMP_WAIT_MS; the count comes back on *rfd.
 * Returns once its raw socket is open.
 */
static pid_t icmp_listen(struct npt_pod *pod, int fam, const char *src,
			 int *rfd)
{
	int pfd[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		struct timespec t0, t1;
		uint8_t want[16], buf[4096];
		int s, n = 0;

		close(pfd[0]);
		alarm(10);
		if (npt_netns_enter(pod->netns))
			_exit(1);
		s = socket(fam == 4 ? AF_INET : AF_INET6, SOCK_RAW,
			   fam == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		if (s < 0)
			_exit(1);
		inet_pton(fam == 4 ? AF_INET : AF_INET6, src, want);
		c = 1;
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			struct sockaddr_in6 from;
			socklen_t fl = sizeof(from);
			struct pollfd p = { .fd = s, .events = POLLIN };
			long ms;
			ssize_t r;

			clock_gettime(CLOCK_MONOTONIC, &t1);
			ms = (t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000;
			if (ms >= ICMP_WAIT_MS ||
			    poll(&p, 1, ICMP_WAIT_MS - ms) <= 0)
				break;
			r = recvfrom(s, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);
			if (fam == 4 && r >= 21 && !memcmp(buf + 12, want, 4) &&
			    buf[(buf[0] & 0xf) * 4] == 3)
				n++;
			if (fam == 6 && r >= 1 &&
			    !memcmp(&from.sin6_addr, want, 16) && buf[0] == 1)
				n++;
		}
		c = (char)n;
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	cr_assert_eq(read(pfd[0], &c, 1), 1, "listener in %s", pod->netns);
	*rfd = pfd[0];
	return pid;
}

static int icmp_count(pid_t pid, int rfd)
{
	char c = -1;
	int st;

	if (read(rfd, &c, 1) != 1)
		c = -1;
	close(rfd);
	waitpid(pid, &st, 0);
	return c;
}

/*
 * From C's netns: a TCP connection C:41000 > B:8080 (allowed, now in
 * conntrack), held while C sends, n times each, an error to D quoting
 * that flow with 1,200 bytes of its own, and an error to B quoting B's
 * side of the flow (a port unreachable from C, as a kernel would send).
 */
static int icmp_send(int fam, int n)
{
	pid_t pid = fork();
	int st;

	cr_assert_geq(pid, 0);
	if (!pid) {
		const char *c = fam == 4 ? C4 : C6, *b = fam == 4 ? B4 : B6;
		const char *d = fam == 4 ? D4 : D6;
		int af = fam == 4 ? AF_INET : AF_INET6;
		struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6 };
		struct sockaddr_in sa4 = { .sin_family = AF_INET };
		struct sockaddr *sa = fam == 4 ? (void *)&sa4 : (void *)&sa6;
		socklen_t sl = fam == 4 ? sizeof(sa4) : sizeof(sa6);
		static uint8_t buf[2048];
		size_t len;
		int t, r, i, one = 1;

		alarm(10);
		if (npt_netns_enter(C->netns))
			_exit(10);
		t = socket(af, SOCK_STREAM, 0);
		setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		inet_pton(af, c,
			  fam == 4 ? (void *)&sa4.sin_addr :
				     (void *)&sa6.sin6_addr);
		sa4.sin_port = sa6.sin6_port = htons(41000);
		if (t < 0 || bind(t, sa, sl))
			_exit(11);
		inet_pton(af, b,
			  fam == 4 ? (void *)&sa4.sin_addr :
				     (void *)&sa6.sin6_addr);
		sa4.sin_port = sa6.sin6_port = htons(8080);
		if (connect(t, sa, sl))
			_exit(12);
		r = socket(af, SOCK_RAW,
			   fam == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		if (r < 0)
			_exit(13);
		sa4.sin_port = sa6.sin6_port = 0;
		for (i = 0; i < n; i++) {
			len = icmp_error(buf, fam, c, 41000, b, 8080, 1200);
			inet_pton(af, d,
				  fam == 4 ? (void *)&sa4.sin_addr :
					     (void *)&sa6.sin6_addr);
			if (sendto(r, buf, len, 0, sa, sl) != (ssize_t)len)
				_exit(14);
			len = icmp_error(buf, fam, b, 8080, c, 41000, 8);
			inet_pton(af, b,
				  fam == 4 ? (void *)&sa4.sin_addr :
					     (void *)&sa6.sin6_addr);
			if (sendto(r, buf, len, 0, sa, sl) != (ssize_t)len)
				_exit(15);
			usleep(20000);
		}
		usleep(100000);
		close(t);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct icmp_evs {
	size_t denied[2]; /* [0] v4, [1] v6: C > D ICMP drops */
};

static int on_icmp_ev(void *ctx, const struct np_event *ev)
{
	struct icmp_evs *e = ctx;

	if (!ev->allowed && ev->direction == NP_DIRECTION_EGRESS &&
	    ev->ifindex == C->ifindex &&
	    ev->protocol == (ev->family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6) &&
	    !strcmp(ev->dst_text, ev->family == 4 ? D4 : D6))
		e->denied[ev->family == 6]++;
	return 0;
}

Test(traffic, icmp_errors_are_no_tunnel)
{
	static const uint16_t tcp8080[][3] = { { TCP, 8080, 8080 } };
	struct npt_pod *D;
	struct icmp_evs e = { { 0 } };
	struct msb m;
	int fam, i, err;

	three_pods();
	D = dpt_pod("d", D4, D6);
	dpt_open(NP_MODE_STANDARD, true, NULL, 0);
	attach(B, "b");
	attach(C, "c");
	attach(D, "d");
	/* c may send to b:8080 and nothing else */
	msb_init(&m, false, true);
	i = msb_ps(&m, 0, tcp8080, 1);
	msb_add(&m, NP_DIRECTION_EGRESS, B4 "/32", i);
	msb_add(&m, NP_DIRECTION_EGRESS, B6 "/128", i);
	err = dpt_apply(C->ifindex, &m, NULL);
	cr_assert_eq(err, 0, "%s", strerror(-err));
	cr_expect_eq(probe(C, TCP, D4, 8080), DENIED, "c > d denied");

	for (fam = 4; fam <= 6; fam += 2) {
		int rd, rb, nd, nb, st;
		pid_t pd = icmp_listen(D, fam, fam == 4 ? C4 : C6, &rd);
		pid_t pb = icmp_listen(B, fam, fam == 4 ? C4 : C6, &rb);

		st = icmp_send(fam, 3);
		nd = icmp_count(pd, rd);
		nb = icmp_count(pb, rb);
		cr_expect_eq(st, 0, "IPv%d sender failed: %d", fam, st);
		cr_expect_eq(nd, 0,
			     "IPv%d: d received %d ICMP errors quoting c > b",
			     fam, nd);
		cr_expect_eq(nb, 3,
			     "IPv%d: b received %d of 3 errors on its flow",
			     fam, nb);
	}
	for (i = 0; i < 10 && (e.denied[0] < 3 || e.denied[1] < 3); i++)
		cr_assert_eq(np_datapath_poll_events(T.dp, 100, on_icmp_ev, &e),
			     0);
	cr_expect_eq(e.denied[0], 3, "IPv4 drops logged: %zu", e.denied[0]);
	cr_expect_eq(e.denied[1], 3, "IPv6 drops logged: %zu", e.denied[1]);
}
