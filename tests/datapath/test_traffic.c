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

Test(traffic, established_connection_survives_rule_updates)
{
	struct npt_conn conn;
	struct msb none;

	three_pods();
	dpt_open(NP_MODE_STRICT, false, NULL, 0);
	attach(B, "b");
	b_admits_a(0);
	cr_assert_eq(npt_conn_open(&conn, A, TCP, B4, 8080, TMO), 0);
	/* new content that still allows the connection */
	b_admits_a(8081);
	cr_expect_eq(npt_conn_exchange(&conn, TMO), ALLOWED);
	cr_expect_eq(probe(A, TCP, B4, 8081), ALLOWED);
	/* rules that deny it: new connections stop, this one is tracked */
	msb_init(&none, true, true);
	cr_assert_eq(dpt_apply(B->ifindex, &none, NULL), 0);
	cr_expect_eq(probe(A, TCP, B4, 8080), DENIED);
	cr_expect_eq(npt_conn_exchange(&conn, TMO), ALLOWED);
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
