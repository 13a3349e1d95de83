// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Issue 16's datapath numbers: per-rule-key counters switched at run time
 * (np_datapath_set_rule_counters, np_datapath_rule_foreach's counters),
 * the pod addresses of np_datapath_pod, and the policy programming latency
 * histogram (np_datapath_latency), on crafted frames through the real
 * programs (BPF_PROG_TEST_RUN).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <criterion/criterion.h>

#include "dp_helpers.h"

#define OK 0 /* TC_ACT_OK */
#define SHOT 2 /* TC_ACT_SHOT */
#define POD4 "198.18.0.10"
#define POD6 "fd00::10"

TestSuite(counters, .init = dpt_setup, .fini = dpt_teardown, .timeout = 60);

static unsigned int ifx;

/* Send s in direction dir; *bytes gets the frame's length added. */
static int sendp(enum np_direction dir, struct pktspec s, uint64_t *bytes)
{
	uint8_t buf[2048];

	if (bytes)
		*bytes += pkt_build(buf, sizeof(buf), &s);
	return dpt_verdict(ifx, dir, &s);
}

#define EGB(b, ...) \
	sendp(NP_DIRECTION_EGRESS, (struct pktspec){ __VA_ARGS__ }, (b))
#define INB(b, ...) \
	sendp(NP_DIRECTION_INGRESS, (struct pktspec){ __VA_ARGS__ }, (b))

struct keyc {
	char cidr[50];
	bool has;
	struct np_datapath_counters c;
};

struct keys {
	size_t n;
	struct keyc k[16];
};

static int on_rule(void *ctx, const struct np_datapath_rule *r)
{
	struct keys *ks = ctx;
	struct keyc *k;

	cr_assert_lt(ks->n, 16);
	k = &ks->k[ks->n++];
	snprintf(k->cidr, sizeof(k->cidr), "%s", r->cidr);
	k->has = r->counters != NULL;
	if (r->counters)
		k->c = *r->counters;
	return 0;
}

static struct keyc key_of(uint32_t id, const char *cidr)
{
	struct keys ks = { 0 };
	size_t i;

	cr_assert_eq(np_datapath_rule_foreach(T.dp, id, on_rule, &ks), 0);
	for (i = 0; i < ks.n; i++)
		if (!strcmp(ks.k[i].cidr, cidr))
			return ks.k[i];
	cr_assert_fail("no key %s in rule set %u", cidr, id);
	return ks.k[0];
}

/* Entries of the pinned rule_ctrs map, of rule set id (0: all). */
static size_t ctr_entries(uint32_t id)
{
	struct np_rule_ctr_key k, prev;
	char path[128];
	size_t n = 0;
	bool first = true;
	int fd;

	snprintf(path, sizeof(path), "%s/rule_ctrs", T.pin_root);
	fd = bpf_obj_get(path);
	cr_assert_geq(fd, 0);
	while (!bpf_map_get_next_key(fd, first ? NULL : &prev, &k)) {
		if (!id || k.ruleset == id)
			n++;
		prev = k;
		first = false;
	}
	close(fd);
	return n;
}

static int on_pod(void *ctx, const struct np_datapath_pod *p)
{
	struct np_datapath_pod *out = ctx;

	if (p->ifindex == ifx)
		*out = *p;
	return 0;
}

static uint32_t egress_id(void)
{
	struct np_datapath_pod p = { 0 };

	cr_assert_eq(np_datapath_pod_foreach(T.dp, on_pod, &p), 0);
	cr_assert_eq(p.ifindex, ifx);
	return p.ruleset[NP_DIRECTION_EGRESS];
}

/*
 * Egress: 198.18.1.0/24 TCP 80 with an except hole 198.18.1.128/25,
 * 198.18.2.0/24 TCP 80-90, fd00:1::/64 TCP 443.
 */
static void apply_rules(void)
{
	static const uint16_t tcp80[][3] = { { IPPROTO_TCP, 80, 80 } };
	static const uint16_t tcp8090[][3] = { { IPPROTO_TCP, 80, 90 } };
	static const uint16_t tcp443[][3] = { { IPPROTO_TCP, 443, 443 } };
	struct msb b;

	msb_init(&b, false, true);
	msb_add(&b, NP_DIRECTION_EGRESS, "198.18.1.0/24",
		msb_ps(&b, 0, tcp80, 1));
	msb_add(&b, NP_DIRECTION_EGRESS, "198.18.1.128/25",
		msb_ps(&b, 0, NULL, 0));
	msb_add(&b, NP_DIRECTION_EGRESS, "198.18.2.0/24",
		msb_ps(&b, 0, tcp8090, 1));
	msb_add(&b, NP_DIRECTION_EGRESS, "fd00:1::/64",
		msb_ps(&b, 0, tcp443, 1));
	cr_assert_eq(dpt_apply(ifx, &b, NULL), 0);
}

static void one_pod(void)
{
	struct npt_pod *p = dpt_pod("a", NULL, NULL);

	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(dpt_attach(T.dp, p->host_if, 0, "ns1", "pod-a"), 0);
	ifx = p->ifindex;
}

Test(counters, off_counts_nothing)
{
	struct np_datapath_stats st;
	struct keyc k;

	one_pod();
	apply_rules();
	cr_assert_eq(np_datapath_stats(T.dp, &st), 0);
	cr_expect_not(st.rule_counters_on, "off by default");
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.1.1",
			 .proto = IPPROTO_TCP, .sport = 41000, .dport = 80),
		     OK);
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.1.2",
			 .proto = IPPROTO_TCP, .sport = 41001, .dport = 81),
		     SHOT);
	cr_expect_eq(ctr_entries(0), 0);
	k = key_of(egress_id(), "198.18.1.0/24");
	cr_expect_not(k.has, "no counters: NULL");
}

Test(counters, on_counts_per_key_then_off_stops)
{
	uint64_t a_bytes = 0, a_deny = 0, hole = 0, b_bytes = 0, v6 = 0;
	struct np_datapath_stats st;
	uint32_t id;
	struct keyc k;

	one_pod();
	apply_rules();
	id = egress_id();
	cr_assert_eq(np_datapath_set_rule_counters(T.dp, true), 0);
	cr_assert_eq(np_datapath_stats(T.dp, &st), 0);
	cr_expect(st.rule_counters_on);

	/* a flow the /24 allows: its SYN, the reply, a later packet */
	cr_expect_eq(EGB(&a_bytes, .src = POD4, .dst = "198.18.1.1",
			 .proto = IPPROTO_TCP, .sport = 41000, .dport = 80),
		     OK);
	cr_expect_eq(INB(&a_bytes, .src = "198.18.1.1", .dst = POD4,
			 .proto = IPPROTO_TCP, .sport = 80, .dport = 41000,
			 .tcp_flags = TCPF_SYN | TCPF_ACK),
		     OK);
	cr_expect_eq(EGB(&a_bytes, .src = POD4, .dst = "198.18.1.1",
			 .proto = IPPROTO_TCP, .sport = 41000, .dport = 80,
			 .tcp_flags = TCPF_ACK),
		     OK);
	/* the /24 matched, its ports did not */
	cr_expect_eq(EGB(&a_deny, .src = POD4, .dst = "198.18.1.2",
			 .proto = IPPROTO_TCP, .sport = 41001, .dport = 81),
		     SHOT);
	/* the except hole */
	cr_expect_eq(EGB(&hole, .src = POD4, .dst = "198.18.1.200",
			 .proto = IPPROTO_TCP, .sport = 41002, .dport = 80),
		     SHOT);
	/* another key, counted apart */
	cr_expect_eq(EGB(&b_bytes, .src = POD4, .dst = "198.18.2.2",
			 .proto = IPPROTO_TCP, .sport = 41003, .dport = 85),
		     OK);
	/* no key: nothing to count */
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.9.9",
			 .proto = IPPROTO_TCP, .sport = 41004, .dport = 80),
		     SHOT);
	/* IPv6 */
	cr_expect_eq(EGB(&v6, .family = 6, .src = POD6, .dst = "fd00:1::5",
			 .proto = IPPROTO_TCP, .sport = 41005, .dport = 443),
		     OK);
	cr_expect_eq(INB(&v6, .family = 6, .src = "fd00:1::5", .dst = POD6,
			 .proto = IPPROTO_TCP, .sport = 443, .dport = 41005,
			 .tcp_flags = TCPF_SYN | TCPF_ACK),
		     OK);

	k = key_of(id, "198.18.1.0/24");
	cr_assert(k.has);
	cr_expect_eq(k.c.allowed_packets, 3);
	cr_expect_eq(k.c.allowed_bytes, a_bytes);
	cr_expect_eq(k.c.denied_packets, 1);
	cr_expect_eq(k.c.denied_bytes, a_deny);
	k = key_of(id, "198.18.1.128/25");
	cr_assert(k.has);
	cr_expect_eq(k.c.allowed_packets, 0);
	cr_expect_eq(k.c.denied_packets, 1);
	cr_expect_eq(k.c.denied_bytes, hole);
	k = key_of(id, "198.18.2.0/24");
	cr_assert(k.has);
	cr_expect_eq(k.c.allowed_packets, 1);
	cr_expect_eq(k.c.allowed_bytes, b_bytes);
	cr_expect_eq(k.c.denied_packets, 0);
	k = key_of(id, "fd00:1::/64");
	cr_assert(k.has);
	cr_expect_eq(k.c.allowed_packets, 2);
	cr_expect_eq(k.c.allowed_bytes, v6);
	cr_expect_eq(ctr_entries(id), 4);

	/* off: neither new flows nor established ones count */
	cr_assert_eq(np_datapath_set_rule_counters(T.dp, false), 0);
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.1.1",
			 .proto = IPPROTO_TCP, .sport = 41000, .dport = 80,
			 .tcp_flags = TCPF_ACK),
		     OK);
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.1.3",
			 .proto = IPPROTO_TCP, .sport = 41010, .dport = 80),
		     OK);
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.1.3",
			 .proto = IPPROTO_TCP, .sport = 41011, .dport = 82),
		     SHOT);
	k = key_of(id, "198.18.1.0/24");
	cr_expect_eq(k.c.allowed_packets, 3);
	cr_expect_eq(k.c.allowed_bytes, a_bytes);
	cr_expect_eq(k.c.denied_packets, 1);

	/* on again: the established flow counts to its key */
	cr_assert_eq(np_datapath_set_rule_counters(T.dp, true), 0);
	cr_expect_eq(EGB(&a_bytes, .src = POD4, .dst = "198.18.1.1",
			 .proto = IPPROTO_TCP, .sport = 41000, .dport = 80,
			 .tcp_flags = TCPF_ACK),
		     OK);
	k = key_of(id, "198.18.1.0/24");
	cr_expect_eq(k.c.allowed_packets, 4);
	cr_expect_eq(k.c.allowed_bytes, a_bytes);
}

Test(counters, deleted_with_their_rule_set)
{
	static const uint16_t any[][3] = { { IPPROTO_UDP, 53, 53 } };
	uint32_t id, id2;
	struct msb b;

	one_pod();
	apply_rules();
	id = egress_id();
	cr_assert_eq(np_datapath_set_rule_counters(T.dp, true), 0);
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.1.1",
			 .proto = IPPROTO_TCP, .sport = 41000, .dport = 80),
		     OK);
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.2.1",
			 .proto = IPPROTO_TCP, .sport = 41001, .dport = 99),
		     SHOT);
	cr_expect_eq(ctr_entries(id), 2);

	/* the pod moves to other rules: the old rule set goes, and with
	 * it its counters; the new one counts under its own id */
	msb_init(&b, false, true);
	msb_add(&b, NP_DIRECTION_EGRESS, "198.18.1.0/24",
		msb_ps(&b, 0, any, 1));
	cr_assert_eq(dpt_apply(ifx, &b, NULL), 0);
	id2 = egress_id();
	cr_assert_neq(id, id2);
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.1.1",
			 .proto = IPPROTO_UDP, .sport = 41002, .dport = 53),
		     OK);
	cr_expect_eq(np_datapath_gc(T.dp), 0);
	cr_expect_eq(ctr_entries(id), 0, "deleted with rule set %u", id);
	cr_expect_eq(ctr_entries(id2), 1);
	cr_expect_eq(key_of(id2, "198.18.1.0/24").c.allowed_packets, 1);
}

/* The revoked flow of a deleted rule set counts to no entry again. */
Test(counters, rejudged_flow_counts_to_its_new_key)
{
	static const uint16_t tcp80[][3] = { { IPPROTO_TCP, 80, 80 } };
	uint32_t id2;
	struct msb b;

	one_pod();
	apply_rules();
	cr_assert_eq(np_datapath_set_rule_counters(T.dp, true), 0);
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.1.1",
			 .proto = IPPROTO_TCP, .sport = 41000, .dport = 80),
		     OK);
	msb_init(&b, false, true);
	msb_add(&b, NP_DIRECTION_EGRESS, "198.18.0.0/16",
		msb_ps(&b, 0, tcp80, 1));
	cr_assert_eq(dpt_apply(ifx, &b, NULL), 0);
	id2 = egress_id();
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.1.1",
			 .proto = IPPROTO_TCP, .sport = 41000, .dport = 80,
			 .tcp_flags = TCPF_ACK),
		     OK);
	cr_expect_eq(EGB(NULL, .src = POD4, .dst = "198.18.1.1",
			 .proto = IPPROTO_TCP, .sport = 41000, .dport = 80,
			 .tcp_flags = TCPF_ACK),
		     OK);
	cr_expect_eq(key_of(id2, "198.18.0.0/16").c.allowed_packets, 2,
		     "the flow judged again counts to the key that allows it");
}

Test(counters, switch_needs_a_datapath)
{
	cr_expect_eq(np_datapath_set_rule_counters(NULL, true), -EINVAL);
	cr_expect_eq(np_datapath_latency(NULL, NULL), -EINVAL);
}

/* --- pod addresses -------------------------------------------------------- */

Test(counters, pod_addresses)
{
	static const char *const ips[] = { "198.18.0.10", "fd00::10" };
	struct npt_pod *p = dpt_pod("a", NULL, NULL);
	struct npt_pod *q = dpt_pod("b", NULL, NULL);
	NP_OPTS(np_attach_opts, o, .ifname = p->host_if, .pod_ns = "n",
		.pod_name = "a", .ips = ips, .n_ips = 2);
	struct np_datapath_pod got;
	uint8_t a4[4], a6[16];

	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(np_datapath_attach(T.dp, &o, NULL), 0);
	cr_assert_eq(dpt_attach(T.dp, q->host_if, 0, "n", "b"), 0);
	inet_pton(AF_INET, ips[0], a4);
	inet_pton(AF_INET6, ips[1], a6);

	ifx = p->ifindex;
	memset(&got, 0, sizeof(got));
	cr_assert_eq(np_datapath_pod_foreach(T.dp, on_pod, &got), 0);
	cr_assert_eq(got.ifindex, ifx);
	cr_expect_eq(got.ip_flags, NP_POD_IP4 | NP_POD_IP6);
	cr_expect_arr_eq(got.ip4, a4, 4);
	cr_expect_arr_eq(got.ip6, a6, 16);
	{
		/* netpol status: the pods have no routes, the record has
		 * the addresses */
		char out[8192];
		int rc = dpt_run_sh(out, sizeof(out),
				    "timeout 60 %s status --pin-root %s",
				    dpt_tool(), T.pin_root);

		cr_expect_eq(rc, 0, "%s", out);
		cr_expect(strstr(out, " ips 198.18.0.10,fd00::10\n"), "%s",
			  out);
		cr_expect(strstr(out, "n/b ifindex "), "%s", out);
	}

	/* a pod attached without addresses has none */
	ifx = q->ifindex;
	memset(&got, 0xff, sizeof(got));
	got.ifindex = 0;
	cr_assert_eq(np_datapath_pod_foreach(T.dp, on_pod, &got), 0);
	cr_assert_eq(got.ifindex, ifx);
	cr_expect_eq(got.ip_flags, 0);
	cr_expect_eq(got.ip4[0], 0);
}

/* --- programming latency ---------------------------------------------------- */

static const char lat_yaml[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, "
	"labels: {app: a}}\nstatus: {podIP: 198.18.0.10}\n---\n"
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: p, namespace: x}\nspec:\n"
	"  podSelector: {matchLabels: {app: a}}\n"
	"  ingress: [{from: [{ipBlock: {cidr: 198.18.1.0/24}}]}]\n";

Test(counters, latency_histogram)
{
	struct np_latency_hist h, h2;
	struct np_cluster *c = NULL;
	struct np_ruleset *rs = NULL;
	struct np_diag d;
	struct msb b;
	size_t i;

	one_pod();
	cr_assert_eq(np_datapath_latency(T.dp, &h), 0);
	cr_expect_eq(h.count, 0);
	cr_assert_gt(h.nbuckets, 60);
	cr_assert_leq(h.nbuckets, NP_LATENCY_MAX_BUCKETS);
	for (i = 1; i < h.nbuckets; i++)
		cr_expect_gt(h.bounds[i], h.bounds[i - 1]);
	cr_expect_eq(h.bounds[h.nbuckets - 1], 300, "the EKS agent's last");
	for (i = 0; i < h.nbuckets && h.bounds[i] != 0.25; i++)
		;
	cr_expect_lt(i, h.nbuckets, "the EKS agent's first, 0.25");

	/* an apply is one observation */
	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	cr_assert_eq(np_cluster_load_buffer(c, lat_yaml, strlen(lat_yaml),
					    "t.yaml", NULL, &d),
		     0, "%s", d.message);
	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, &d), 0, "%s",
		     d.message);
	cr_assert_eq(np_datapath_apply(T.dp, ifx, rs, &d), 0, "%s", d.message);
	cr_assert_eq(np_datapath_latency(T.dp, &h), 0);
	cr_expect_eq(h.count, 1, "the apply");
	cr_expect_gt(h.sum, 0);
	cr_expect_lt(h.sum, 60);
	cr_expect_eq(h.counts[h.nbuckets - 1], 1, "cumulative");
	for (i = 1; i < h.nbuckets; i++)
		cr_expect_geq(h.counts[i], h.counts[i - 1]);

	/* a transaction: its commit, once, whatever it applied */
	cr_assert_eq(np_datapath_begin(T.dp, NULL), 0);
	msb_init(&b, false, false);
	cr_assert_eq(dpt_apply(ifx, &b, NULL), 0);
	cr_assert_eq(np_datapath_apply(T.dp, ifx, rs, &d), 0, "%s", d.message);
	cr_assert_eq(np_datapath_commit(T.dp, NULL), 0);
	cr_assert_eq(np_datapath_latency(T.dp, &h2), 0);
	cr_expect_eq(h2.count, 2, "the commit, not the applies in it");
	cr_expect_gt(h2.sum, h.sum);
	/* an empty transaction flips nothing: not an observation */
	cr_assert_eq(np_datapath_begin(T.dp, NULL), 0);
	cr_assert_eq(np_datapath_commit(T.dp, NULL), 0);
	cr_assert_eq(np_datapath_latency(T.dp, &h), 0);
	cr_expect_eq(h.count, 2);
	/* another process reads the same numbers */
	dpt_close();
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(np_datapath_latency(T.dp, &h), 0);
	cr_expect_eq(h.count, 2);
	cr_expect_eq(h.sum, h2.sum);
	np_ruleset_free(rs);
	np_cluster_free(c);
}
