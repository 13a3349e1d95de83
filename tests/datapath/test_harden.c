// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Owns the regression tests of issue 13's datapath items, against the
 * real kernel in network namespaces: inspection is read-only (7), a reused
 * ifindex is a new endpoint (2), the wrong network namespace is refused
 * (8), the hook is owned by a TCX link where the kernel has one, what runs
 * ahead of our program is reported and a second datapath on the same veth
 * is refused (3). The netpol tool is $NETPOL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
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
#include "pins.h"

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#endif

#define A4 "198.18.1.1"
#define B4 "198.18.1.2"
#define P4 "198.18.1.3"
#define TMO 800
#define TCP IPPROTO_TCP

static char workdir[64];
static char manifest[128];
static char other_ns[32]; /* a namespace not made by npt_pod_create */
static struct np_empty_bpf *skel;
static unsigned int tcx_ifindex;

static const char yaml[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: test}\n---\n"
	"apiVersion: v1\nkind: Pod\n"
	"metadata: {name: a, namespace: test, labels: {app: a}}\n"
	"spec: {containers: [{name: c}]}\n"
	"status: {phase: Running, podIP: " A4 ", podIPs: [{ip: " A4 "}]}\n---\n"
	"apiVersion: v1\nkind: Pod\n"
	"metadata: {name: b, namespace: test, labels: {app: b}}\n"
	"spec: {containers: [{name: c}]}\n"
	"status: {phase: Running, podIP: " B4 ", podIPs: [{ip: " B4 "}]}\n---\n"
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: deny-b, namespace: test}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {app: b}}\n"
	"  policyTypes: [Ingress]\n";

static void setup(void)
{
	FILE *f;

	dpt_setup();
	dpt_workdir(workdir, sizeof(workdir), "harden");
	snprintf(manifest, sizeof(manifest), "%s/cluster.yaml", workdir);
	f = fopen(manifest, "w");
	cr_assert_not_null(f);
	fputs(yaml, f);
	fclose(f);
}

static void teardown(void)
{
	if (tcx_ifindex && skel)
		bpf_prog_detach2(bpf_program__fd(skel->progs.np_tc_empty),
				 tcx_ifindex, BPF_TCX_EGRESS);
	tcx_ifindex = 0;
	np_empty_bpf__destroy(skel);
	skel = NULL;
	if (other_ns[0])
		npt_sh("ip netns del %s 2>/dev/null", other_ns);
	other_ns[0] = '\0';
	dpt_teardown();
	dpt_workdir_rm(workdir);
}

TestSuite(harden, .init = setup, .fini = teardown, .timeout = 240);

static int probe(struct npt_pod *from, const char *dst, uint16_t port)
{
	int r = npt_probe(from, TCP, dst, port, TMO);

	cr_assert_geq(r, 0, "probe setup failed");
	return r;
}

/* Compile pod name from the manifest and apply it to ifindex. */
static void apply_manifest(const char *name, unsigned int ifindex)
{
	struct np_cluster *c;
	struct np_ruleset *rs;
	struct np_diag d;
	int err;

	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	err = np_cluster_load_file(c, manifest, NULL, NULL);
	cr_assert_eq(err, 0, "manifests: %s", strerror(-err));
	err = np_ruleset_compile(&rs, c, "test", name, NULL, &d);
	cr_assert_eq(err, 0, "compile: %s", d.message);
	err = np_datapath_apply(T.dp, ifindex, rs, &d);
	np_ruleset_free(rs);
	np_cluster_free(c);
	cr_assert_eq(err, 0, "apply: %s", d.message);
}

/* What an inspection must not change: pins, filters, the ep_cache slot. */
static void snapshot(char *out, size_t size, const struct npt_pod *p)
{
	char path[128];
	uint32_t k = 0;
	int fd, n;

	n = dpt_run_sh(out, size,
		       "ls %s; tc filter show dev %s ingress; "
		       "tc filter show dev %s egress; tc qdisc show dev %s",
		       T.pin_root, p->host_if, p->host_if, p->host_if);
	cr_assert_eq(n, 0, "%s", out);
	/* the ep_cache map holds one slot per endpoint: count live ones */
	snprintf(path, sizeof(path), "%s/endpoints", T.pin_root);
	fd = bpf_obj_get(path);
	cr_assert_geq(fd, 0);
	n = 0;
	{
		uint32_t key, next;
		void *prev = NULL;

		while (!bpf_map_get_next_key(fd, prev, &next)) {
			key = next;
			prev = &key;
			n++;
		}
	}
	close(fd);
	k = strlen(out);
	snprintf(out + k, size - k, "endpoints %d\ntcx %u %u\n", n,
		 dpt_tcx_progs(p->ifindex, false),
		 dpt_tcx_progs(p->ifindex, true));
}

/* TCX programs on both hooks of interface name in network namespace ns. */
static unsigned int tcx_in_netns(const char *ns, const char *name)
{
	char path[96];
	unsigned int n = 0, ifx;
	int self, fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(self >= 0 && fd >= 0);
	cr_assert_eq(setns(fd, CLONE_NEWNET), 0);
	ifx = if_nametoindex(name);
	if (ifx)
		n = dpt_tcx_progs(ifx, false) + dpt_tcx_progs(ifx, true);
	cr_assert_eq(setns(self, CLONE_NEWNET), 0);
	close(fd);
	close(self);
	cr_assert_neq(ifx, 0, "%s in %s", name, ns);
	return n;
}

/*
 * Item 7: status, dump, explain, verify, metrics and flows change nothing
 * on a node whose state is broken (a filter of ours deleted), and create no
 * directory under a pin root that does not exist.
 */
Test(harden, inspection_is_read_only)
{
	static const char *const cmds[] = {
		"status",
		"dump --pod test/a",
		"explain --pod test/a --peer " B4 " --port 80 "
		"--direction ingress @",
		"verify @",
		"metrics",
		"flows --duration 1 @",
	};
	char before[8192], after[8192], out[8192], fmt[256], args[512];
	char missing[96];
	struct npt_pod *a;
	struct stat st;
	size_t i;
	int rc;

	dpt_tool();
	a = dpt_pod("a", A4, NULL);
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(dpt_attach(T.dp, a->host_if, 0, "test", "a"), 0);
	dpt_close();
	/* break it: our program off the veth's ingress hook (pod egress) */
	dpt_unhook(a->ifindex, false);
	snapshot(before, sizeof(before), a);
	snprintf(missing, sizeof(missing), "%s-none/x", T.pin_root);

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *at = strchr(cmds[i], '@');

		snprintf(args, sizeof(args), "%.*s%s",
			 at ? (int)(at - cmds[i]) : (int)strlen(cmds[i]),
			 cmds[i], at ? manifest : "");
		rc = dpt_run_sh(out, sizeof(out),
				"timeout 60 %s %s --pin-root %s", dpt_tool(),
				args, T.pin_root);
		if (i == 0 || i == 3) /* status and verify see the hole */
			cr_expect_neq(rc, 0,
				      "netpol %s exits %d on a broken state",
				      args, rc);
		snapshot(after, sizeof(after), a);
		cr_expect_str_eq(after, before, "netpol %s changed the node",
				 args);
		rc = dpt_run_sh(out, sizeof(out),
				"timeout 60 %s %s --pin-root %s", dpt_tool(),
				args, missing);
		cr_expect_neq(rc, 0, "netpol %s: no datapath: exit %d", args,
			      rc);
		cr_expect(stat(missing, &st) && errno == ENOENT,
			  "netpol %s created %s", args, missing);
		snprintf(fmt, sizeof(fmt), "%s-none", T.pin_root);
		rmdir(missing);
		rmdir(fmt);
	}

	/* the explicit repair puts it back and says so, once */
	rc = dpt_run_sh(out, sizeof(out), "timeout 60 %s repair --pin-root %s",
			dpt_tool(), T.pin_root);
	cr_expect_eq(rc, 0, "repair: %s", out);
	cr_expect_not_null(strstr(out, "repaired: "), "repair: %s", out);
	cr_expect_not_null(strstr(out, a->host_if), "repair: %s", out);
	rc = dpt_run_sh(out, sizeof(out), "%s status --pin-root %s", dpt_tool(),
			T.pin_root);
	cr_expect_eq(rc, 0, "status after the repair: %s", out);
	rc = dpt_run_sh(out, sizeof(out), "timeout 60 %s repair --pin-root %s",
			dpt_tool(), T.pin_root);
	cr_expect_eq(rc, 0, "repair: %s", out);
	cr_expect_str_eq(out, "nothing to repair\n");
}

/* Counting conntrack entries. */
static int count_conn(void *ctx, const struct np_datapath_conn *c)
{
	size_t *n = ctx;

	(void)c;
	(*n)++;
	return 0;
}

static size_t conns(unsigned int ifindex)
{
	size_t n = 0;

	cr_assert_eq(np_datapath_conn_foreach(T.dp, ifindex, count_conn, &n),
		     0);
	return n;
}

/* A pod whose host veth gets ifindex idx (the kernel lets us choose). */
static struct npt_pod *pod_at_index(const char *tag, const char *ip4,
				    unsigned int idx)
{
	struct npt_pod *p;
	int pid = getpid();

	cr_assert_lt(T.npods, DPT_MAX_PODS);
	p = &T.pods[T.npods++];
	memset(p, 0, sizeof(*p));
	snprintf(p->netns, sizeof(p->netns), "npt-%d-%s", pid, tag);
	snprintf(p->host_if, sizeof(p->host_if), "npt%d%s", pid, tag);
	snprintf(p->ip4, sizeof(p->ip4), "%s", ip4);
	cr_assert_eq(npt_sh("ip netns add %s", p->netns), 0);
	cr_assert_eq(npt_sh("ip link add %s index %u type veth peer name eth0 "
			    "netns %s",
			    p->host_if, idx, p->netns),
		     0);
	cr_assert_eq(npt_sh("ip link set %s up", p->host_if), 0);
	cr_assert_eq(npt_pod_exec(p, "ip link set lo up"), 0);
	cr_assert_eq(npt_pod_exec(p, "ip link set eth0 up"), 0);
	cr_assert_eq(npt_pod_exec(p, "ip addr add %s/32 dev eth0", ip4), 0);
	cr_assert_eq(npt_pod_exec(p, "ip route add %s/32 dev eth0 scope link",
				  NPT_NODE_IP4),
		     0);
	cr_assert_eq(npt_pod_exec(p, "ip route add default via %s dev eth0",
				  NPT_NODE_IP4),
		     0);
	cr_assert_eq(npt_sh("ip route add %s/32 dev %s", ip4, p->host_if), 0);
	p->ifindex = if_nametoindex(p->host_if);
	cr_assert_eq(p->ifindex, idx);
	return p;
}

/*
 * Item 2: pod A (strict, admits P on TCP 8080) dies without a detach; a
 * new veth gets A's ifindex and pod B is attached there in strict mode: P
 * cannot reach B, and A's conntrack and counters are gone.
 */
Test(harden, reused_ifindex_is_a_new_endpoint)
{
	struct np_datapath_counters c;
	struct npt_conn conn;
	struct npt_pod *a, *b, *p;
	struct msb mb;
	struct np_diag d;
	char out[8192], line[128];
	unsigned int idx;
	char a_if[IF_NAMESIZE];
	uint32_t ps;
	int i, rc;
	static const uint16_t tcp8080[][3] = { { TCP, 8080, 8080 } };

	dpt_tool();
	p = dpt_pod("p", P4, NULL);
	a = dpt_pod("a", A4, NULL);
	idx = a->ifindex;
	snprintf(a_if, sizeof(a_if), "%s", a->host_if);
	cr_assert_eq(npt_serve(a, TCP, 8080), 0);
	dpt_open(NP_MODE_STRICT, false, NULL, 0);
	cr_assert_eq(dpt_attach(T.dp, a->host_if, 0, "test", "a"), 0);
	msb_init(&mb, true, false);
	ps = msb_ps(&mb, 0, tcp8080, 1);
	msb_add(&mb, NP_DIRECTION_INGRESS, P4 "/32", ps);
	cr_assert_eq(dpt_apply(idx, &mb, &d), 0, "%s", d.message);
	cr_assert_eq(probe(p, A4, 8080), 0, "P reaches A");
	cr_assert_eq(npt_conn_open(&conn, p, TCP, A4, 8080, TMO), 0);
	cr_assert_geq(conns(idx), 1);
	dpt_close();

	/* A's namespace goes away without a detach: its veth with it */
	npt_conn_close(&conn);
	npt_pod_destroy(a);
	for (i = 0; i < 200 && if_nametoindex(a_if); i++)
		usleep(10000);
	b = pod_at_index("b", B4, idx);
	cr_assert_eq(npt_serve(b, TCP, 8080), 0);

	/* before any attach, status does not show b's veth as test/a's */
	rc = dpt_run_sh(out, sizeof(out), "%s status --pin-root %s", dpt_tool(),
			T.pin_root);
	snprintf(line, sizeof(line), "test/a ifindex %u %s", idx, b->host_if);
	cr_expect_null(strstr(out, line), "status (%d): %s", rc, out);

	dpt_open(NP_MODE_STRICT, false, NULL, 0);
	cr_assert_eq(dpt_attach(T.dp, b->host_if, 0, "test", "b"), 0);
	cr_expect_eq(conns(idx), 0, "A's conntrack entries are gone");
	cr_assert_eq(np_datapath_counters(T.dp, idx, NP_DIRECTION_INGRESS, &c),
		     0);
	cr_expect_eq(c.allowed_packets, 0, "A's counters are gone");
	cr_expect_eq(probe(p, B4, 8080), 1, "P must not reach B");
}

static int find_pod(void *ctx, const struct np_datapath_pod *pod)
{
	unsigned int *want = ctx;

	if (pod->ifindex == *want)
		*want = 0;
	return 0;
}

/*
 * Item 2, for an agent that keeps one handle open: a pod's veth vanishes
 * without a detach; the handle's next writing call (here an attach of
 * another pod) forgets the record, with its conntrack, without gc.
 */
Test(harden, long_lived_handle_collects_stale_records)
{
	struct npt_pod *a, *p;
	struct npt_conn conn;
	char a_if[IF_NAMESIZE];
	unsigned int idx, want;
	int i;

	p = dpt_pod("p", P4, NULL);
	a = dpt_pod("a", A4, NULL);
	idx = a->ifindex;
	snprintf(a_if, sizeof(a_if), "%s", a->host_if);
	cr_assert_eq(npt_serve(a, TCP, 8080), 0);
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	np__datapath_set_stale_interval(T.dp, 0);
	cr_assert_eq(dpt_attach(T.dp, a->host_if, 0, "test", "a"), 0);
	cr_assert_eq(npt_conn_open(&conn, p, TCP, A4, 8080, TMO), 0);
	cr_assert_geq(conns(idx), 1);
	npt_conn_close(&conn);
	npt_pod_destroy(a);
	for (i = 0; i < 200 && if_nametoindex(a_if); i++)
		usleep(10000);
	want = idx;
	cr_assert_eq(np_datapath_pod_foreach(T.dp, find_pod, &want), 0);
	cr_assert_eq(want, 0, "the record is there before a writing call");
	cr_assert_eq(dpt_attach(T.dp, p->host_if, 0, "test", "p"), 0);
	want = idx;
	cr_assert_eq(np_datapath_pod_foreach(T.dp, find_pod, &want), 0);
	cr_expect_eq(want, idx, "the stale record was not collected");
	cr_expect_eq(conns(idx), 0, "its conntrack entries are gone");
}

/*
 * Item 8: a datapath made in the node's namespace; from another one, where
 * an unrelated interface has the attached pod's ifindex, every command is
 * refused naming the namespace it expected, and nothing is attached there.
 */
Test(harden, wrong_netns_refused)
{
	static const char *const cmds[] = {
		"status",
		"metrics",
		"attach --ifname npxdummy --pod test/x",
		"detach --ifname npxdummy",
	};
	char out[8192], nspath[96];
	struct npt_pod *a;
	size_t i;
	int rc;

	dpt_tool();
	a = dpt_pod("a", A4, NULL);
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(dpt_attach(T.dp, a->host_if, 0, "test", "a"), 0);
	dpt_close();
	snprintf(other_ns, sizeof(other_ns), "npt-%d-o", (int)getpid());
	cr_assert_eq(npt_sh("ip netns add %s", other_ns), 0);
	cr_assert_eq(npt_sh("ip -n %s link add npxdummy index %u type veth "
			    "peer name npxpeer index %u",
			    other_ns, a->ifindex, a->ifindex + 100),
		     0);
	cr_assert_eq(npt_sh("ip -n %s link set npxdummy up", other_ns), 0);
	snprintf(nspath, sizeof(nspath), "/run/netns/%s", other_ns);

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		rc = dpt_run_sh(
			out, sizeof(out),
			"nsenter --net=%s timeout 60 %s %s --pin-root %s",
			nspath, dpt_tool(), cmds[i], T.pin_root);
		cr_expect_neq(rc, 0, "netpol %s ran: %s", cmds[i], out);
		cr_expect_not_null(strstr(out, "network namespace"),
				   "netpol %s: %s", cmds[i], out);
		rc = dpt_run_sh(out, sizeof(out),
				"ip -n %s -o link show npxdummy; "
				"tc -n %s filter show dev npxdummy ingress; "
				"tc -n %s filter show dev npxdummy egress",
				other_ns, other_ns, other_ns);
		cr_expect_null(strstr(out, "bpf"), "netpol %s attached: %s",
			       cmds[i], out);
		cr_expect_null(strstr(out, "clsact"), "netpol %s: %s", cmds[i],
			       out);
		cr_expect_eq(tcx_in_netns(other_ns, "npxdummy"), 0,
			     "netpol %s attached a TCX program", cmds[i]);
	}
}

/* Attach b, isolate it, and check that a is denied and all reads clean. */
static void ahead_setup(struct npt_pod **a, struct npt_pod **b)
{
	char out[16384];
	int rc;

	dpt_tool();
	*a = dpt_pod("a", A4, NULL);
	*b = dpt_pod("b", B4, NULL);
	cr_assert_eq(npt_serve(*b, TCP, 8080), 0);
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(dpt_attach(T.dp, (*b)->host_if, 0, "test", "b"), 0);
	apply_manifest("b", (*b)->ifindex);
	cr_assert_eq(probe(*a, B4, 8080), 1, "a is denied");
	rc = dpt_run_sh(out, sizeof(out), "%s status --pin-root %s", dpt_tool(),
			T.pin_root);
	cr_assert_eq(rc, 0, "clean status: %s", out);
	rc = dpt_run_sh(out, sizeof(out), "%s verify %s --pin-root %s",
			dpt_tool(), manifest, T.pin_root);
	cr_assert_eq(rc, 0, "clean verify: %s", out);
	skel = np_empty_bpf__open_and_load();
	cr_assert_not_null(skel);
}

/* status and verify both exit want, and name what (when want is 1). */
static void expect_reads(int want, const char *what, const char *when)
{
	char out[16384];
	int rc;

	rc = dpt_run_sh(out, sizeof(out), "%s status --pin-root %s", dpt_tool(),
			T.pin_root);
	cr_expect_eq(rc, want, "status %s: %s", when, out);
	if (want)
		cr_expect_not_null(strstr(out, what), "status %s: %s", when,
				   out);
	rc = dpt_run_sh(out, sizeof(out), "%s verify %s --pin-root %s",
			dpt_tool(), manifest, T.pin_root);
	cr_expect_eq(rc, want, "verify %s: %s", when, out);
	if (want)
		cr_expect_not_null(strstr(out, what), "verify %s: %s", when,
				   out);
}

/*
 * Item 3, owned by TCX (the default where the kernel has it): our link
 * runs first, so a TCX program appended after it and a tc filter at any
 * priority never see what we judge: b stays closed and the reads stay
 * clean. Nobody can replace our program on the hook. A TCX program put
 * before ours (BPF_F_BEFORE) does let a in: status and verify exit 1 and
 * name it.
 */
Test(harden, tcx_link_owns_the_hook)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, fo, .handle = 7, .priority = 1);
	DECLARE_LIBBPF_OPTS(bpf_prog_attach_opts, ro, .flags = BPF_F_REPLACE);
	struct np_datapath_hook hk[2];
	struct npt_pod *a, *b;
	int fd, rc;

	ahead_setup(&a, &b);
	cr_assert_eq(np_datapath_hooks(T.dp, b->ifindex, hk), 0);
	if (hk[0].kind != NP_HOOK_KIND_TCX)
		cr_skip_test("no TCX on this kernel: owned by tc");
	cr_expect_eq(hk[1].kind, NP_HOOK_KIND_TCX);
	fd = bpf_program__fd(skel->progs.np_tc_empty);

	/* a pass-all TCX program appended on the veth's egress hook */
	cr_assert_eq(bpf_prog_attach(fd, b->ifindex, BPF_TCX_EGRESS, 0), 0);
	tcx_ifindex = b->ifindex;
	cr_expect_eq(probe(a, B4, 8080), 1, "a TCX program after ours");
	expect_reads(0, NULL, "with a TCX program after ours");

	/* a pass-all tc filter at our old priority */
	cr_assert_eq(npt_sh("tc qdisc add dev %s clsact", b->host_if), 0);
	hook.ifindex = b->ifindex;
	fo.prog_fd = fd;
	cr_assert_eq(bpf_tc_attach(&hook, &fo), 0);
	cr_expect_eq(probe(a, B4, 8080), 1, "a tc filter at priority 1");
	expect_reads(0, NULL, "with a tc filter");

	/* replacing our program on the hook is refused by the kernel */
	ro.replace_prog_fd = np__datapath_prog_fd(T.dp, NP_DIRECTION_INGRESS);
	rc = bpf_prog_attach_opts(fd, b->ifindex, BPF_TCX_EGRESS, &ro);
	cr_expect_neq(rc, 0, "our link was replaced");
	cr_expect_eq(probe(a, B4, 8080), 1, "after the replace attempt");

	/* the same program put before ours: it bypasses, and is named */
	cr_assert_eq(bpf_prog_detach2(fd, b->ifindex, BPF_TCX_EGRESS), 0);
	cr_assert_eq(bpf_prog_attach(fd, b->ifindex, BPF_TCX_EGRESS,
				     BPF_F_BEFORE),
		     0);
	cr_assert_eq(np_datapath_hooks(T.dp, b->ifindex, hk), 0);
	cr_expect_eq(hk[NP_DIRECTION_INGRESS].state, NP_HOOK_PRECEDED);
	cr_expect_eq(hk[NP_DIRECTION_INGRESS].ahead, 1);
	cr_expect_str_eq(hk[NP_DIRECTION_INGRESS].ahead_kind, "tcx");
	cr_expect_eq(probe(a, B4, 8080), 0, "the TCX program ahead bypasses");
	expect_reads(1, "tcx", "with a TCX program ahead");
}

/*
 * Item 3, owned by a tc filter (kernels without TCX, or NP_HOOK_KIND_TC):
 * a program that passes everything run ahead of ours (any TCX program,
 * then a tc filter at our priority added after ours) lets a in: status
 * and verify exit 1 and name it.
 */
Test(harden, foreign_program_ahead_of_tc_filter_is_reported)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, fo, .handle = 7, .priority = 1);
	struct np_datapath_hook hk[2];
	struct npt_pod *a, *b;
	int rc, fd;

	T.hook = NP_HOOK_KIND_TC;
	ahead_setup(&a, &b);
	cr_assert_eq(np_datapath_hooks(T.dp, b->ifindex, hk), 0);
	cr_expect_eq(hk[0].kind, NP_HOOK_KIND_TC);
	cr_expect_eq(hk[1].kind, NP_HOOK_KIND_TC);
	fd = bpf_program__fd(skel->progs.np_tc_empty);

	/* a TCX program on the veth's egress (the pod's ingress) */
	rc = bpf_prog_attach(fd, b->ifindex, BPF_TCX_EGRESS, 0);
	if (rc)
		cr_log_warn("no TCX here (%s): that case skipped",
			    strerror(-rc));
	if (!rc) {
		tcx_ifindex = b->ifindex;
		cr_expect_eq(probe(a, B4, 8080), 0, "the TCX program bypasses");
		expect_reads(1, "tcx", "with a TCX program ahead");
		bpf_prog_detach2(fd, b->ifindex, BPF_TCX_EGRESS);
		tcx_ifindex = 0;
	}

	/* a tc filter at our priority, added after ours: it runs first */
	hook.ifindex = b->ifindex;
	fo.prog_fd = fd;
	cr_assert_eq(bpf_tc_attach(&hook, &fo), 0);
	cr_expect_eq(probe(a, B4, 8080), 0, "the filter ahead bypasses");
	expect_reads(1, "handle 0x7", "with a filter ahead");
}

/*
 * Moving a pod from a tc filter to a TCX link and back leaves no gap (the
 * new hook is attached before the old goes) and nothing behind.
 */
Test(harden, hook_kind_moves_without_a_gap)
{
	struct np_datapath_hook hk[2];
	struct npt_pod *a, *b;
	int d;

	T.hook = NP_HOOK_KIND_TC;
	ahead_setup(&a, &b);
	T.hook = NP_HOOK_KIND_TCX;
	d = dpt_attach(T.dp, b->host_if, 0, "test", "b");
	if (d == -EOPNOTSUPP)
		cr_skip_test("no TCX on this kernel");
	cr_assert_eq(d, 0, "%s", strerror(-d));
	cr_assert_eq(np_datapath_hooks(T.dp, b->ifindex, hk), 0);
	for (d = 0; d < 2; d++) {
		cr_expect_eq(hk[d].kind, NP_HOOK_KIND_TCX);
		cr_expect_eq(hk[d].state, NP_HOOK_OK);
		cr_expect_eq(hk[d].filters, 1, "only our link is left");
	}
	cr_expect_neq(npt_sh("tc qdisc show dev %s | grep -q clsact",
			     b->host_if),
		      0, "our clsact qdisc went");
	cr_expect_eq(probe(a, B4, 8080), 1, "a is still denied");
	expect_reads(0, NULL, "after moving to TCX");

	T.hook = NP_HOOK_KIND_TC;
	cr_assert_eq(dpt_attach(T.dp, b->host_if, 0, "test", "b"), 0);
	cr_assert_eq(np_datapath_hooks(T.dp, b->ifindex, hk), 0);
	for (d = 0; d < 2; d++) {
		cr_expect_eq(hk[d].kind, NP_HOOK_KIND_TC);
		cr_expect_eq(hk[d].state, NP_HOOK_OK);
		cr_expect_eq(hk[d].filters, 1, "only our filter is left");
	}
	cr_expect_eq(dpt_tcx_progs(b->ifindex, false) +
			     dpt_tcx_progs(b->ifindex, true),
		     0);
	cr_expect_eq(probe(a, B4, 8080), 1, "a is still denied");
	expect_reads(0, NULL, "after moving back to tc");
}

/*
 * Item 3: a second datapath under another pin root attaching to a veth
 * that the first one holds fails, naming the first one's pin root.
 */
Test(harden, second_datapath_on_a_veth_refused)
{
	NP_OPTS(np_datapath_opts, o, .mode = NP_MODE_STANDARD);
	NP_OPTS(np_attach_opts, ao);
	struct np_datapath *dp2 = NULL;
	struct np_datapath_hook hk[2];
	enum np_hook_kind k;
	char root2[96];
	struct np_diag d;
	struct npt_pod *a;
	int err;

	a = dpt_pod("a", A4, NULL);
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(dpt_attach(T.dp, a->host_if, 0, "test", "a"), 0);
	snprintf(root2, sizeof(root2), "%s-2", T.pin_root);
	o.pin_root = root2;
	err = np_datapath_open(&dp2, &o);
	cr_assert_eq(err, 0, "second open: %s", strerror(-err));
	ao.ifname = a->host_if;
	for (k = NP_HOOK_KIND_NONE; k <= NP_HOOK_KIND_TCX; k++) {
		ao.hook = k;
		err = np_datapath_attach(dp2, &ao, &d);
		if (err == -EOPNOTSUPP)
			continue; /* no TCX here */
		cr_expect_neq(err, 0,
			      "the second datapath took the veth over "
			      "(hook %s)",
			      np_hook_kind_name(k));
		cr_expect_not_null(strstr(d.message, T.pin_root),
				   "hook %s: diag: %s", np_hook_kind_name(k),
				   d.message);
	}
	np_datapath_destroy(dp2);
	npt_rm_pins(root2);
	cr_assert_eq(np_datapath_hooks(T.dp, a->ifindex, hk), 0);
	cr_expect_eq(hk[0].state, NP_HOOK_OK);
	cr_expect_eq(hk[1].state, NP_HOOK_OK);
}

/*
 * Item 11: libbpf's own messages (here the kernel's answer to creating a
 * clsact qdisc that exists) reach the log callback, never stderr.
 */
Test(harden, libbpf_messages_go_to_the_log)
{
	char path[128], buf[4096];
	struct npt_pod *a;
	size_t n = 0;
	FILE *f;
	int saved, fd, err;

	a = dpt_pod("a", A4, NULL);
	cr_assert_eq(npt_sh("tc qdisc add dev %s clsact", a->host_if), 0);
	T.hook = NP_HOOK_KIND_TC; /* libbpf says the qdisc exists */
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	snprintf(path, sizeof(path), "%s/stderr", workdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	err = dpt_attach(T.dp, a->host_if, 0, "test", "a");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	cr_assert_eq(err, 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	cr_expect_eq(n, 0, "the library printed: %s", buf);
	cr_expect_not_null(strstr(T.log.last_warn, "libbpf: "),
			   "last warning: %s", T.log.last_warn);
}

/*
 * Item 11: an open that fails for want of CAP_BPF removes the pin
 * directory it made, and says which capability is missing.
 */
Test(harden, failed_open_cleans_up_and_names_the_capability)
{
	char out[8192], root[128];
	struct npt_pod *a;
	struct stat st;
	int rc;

	dpt_tool();
	a = dpt_pod("a", A4, NULL);
	snprintf(root, sizeof(root), "%s-cap", T.pin_root);
	rc = dpt_run_sh(out, sizeof(out),
			"capsh --drop=cap_bpf,cap_sys_admin,cap_perfmon,"
			"cap_net_admin -- -c 'timeout 60 %s attach --ifname %s "
			"--pin-root %s/sub'",
			dpt_tool(), a->host_if, root);
	cr_expect_neq(rc, 0, "attach without CAP_BPF: %s", out);
	cr_expect_not_null(strstr(out, "CAP_BPF"), "%s", out);
	cr_expect(stat(root, &st) && errno == ENOENT, "%s was left behind",
		  root);
	if (!stat(root, &st))
		npt_sh("rm -rf '%s'", root);
}
