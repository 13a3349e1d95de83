// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-packet cost of the real TC programs on the real maps, next to the
 * empty TC program (bpf/empty.bpf.c) loaded in the same process: the floor.
 * Also the verifier's cost of the node programs (once per node), the
 * program loads per pod (none), and the read-back of a rule set of 10,000
 * and 65,536 keys per family that status, dump and verify do (readback_N:
 * seconds, 5 runs; the 10,000-key run is the baseline, per key).
 *
 * A private network namespace holds a veth whose host end is attached; the
 * datapath lives under /sys/fs/bpf/netpol-bench-<pid> and is destroyed at
 * exit. Each row is BPF_PROG_TEST_RUN of one frame, repeat 1,000,000
 * (kernel-timed: the reported duration excludes reschedules), 5 runs, each
 * run next to a run of the empty program on the same frame; min and median
 * of both, their ratio, and the median of the ratios of adjacent runs (the
 * figure judged: a shared VM's speed drifts between runs, not within a
 * pair).
 *
 * New-flow rows set the benchmark switch np_rt.bench_no_ct_insert
 * (np__datapath_set_bench_no_ct_insert), so that repeats of the frame do not
 * become conntrack hits. The real first packet, with its conntrack insert,
 * is measured separately: repeat 1 for 20,000 distinct flows, p50, next to
 * the empty program run the same way.
 *
 * Events on: the ring buffer holds ~3,600 events, so those rows run in
 * batches of 3,000 repeats drained between batches (1,000,002 packets per
 * run, all events checked as received).
 *
 * Cluster policies (issue 15): the pod under 10 NetworkPolicies alone
 * (np10_*), then under the same and 10 Admin and 10 Baseline
 * ClusterNetworkPolicies (tiers_*), compiled by np_ruleset_compile and
 * applied with np_datapath_apply: a new flow allowed (an Admin Pass, then a
 * NetworkPolicy allows) and one denied (an Admin Deny), v4 and v6. The
 * tiers fold into the one rule set per pod: same program path, same maps.
 *
 * Usage: bench_packet [repeat [row]]: repeat (default 1000000); only the
 * rows whose name contains row. Prints JSON lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bench_util.h"
#include "empty.skel.h"

#define RUNS 5
#define FIRST_FLOWS 20000
#define EV_BATCH 3000
#define NP_TC_HANDLE 0x4e50 /* libnetpol/datapath.c */
#define NP_TC_PRIO 1

static unsigned repeat = 1000000;
static const char *only; /* argv[2]: rows whose name contains it */
static struct np_datapath *dp;
static int empty_fd;
static unsigned ifx;
static const uint8_t pod4[4] = { 198, 18, 0, 10 };
static const uint8_t pod6[16] = { 0xfd, 0, [15] = 0x10 };
static const uint8_t nomatch4[4] = { 192, 0, 2, 1 };
static const uint8_t nomatch6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

#define SLOT1_PORT 1000
#define SLOT24_PORT (1000 + 23 * 10)

static double test_run(int fd, const uint8_t *pkt, size_t len, unsigned rep,
		       int expect)
{
	struct __sk_buff ctx = { .ifindex = ifx };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = rep);
	int err = bpf_prog_test_run_opts(fd, &o);

	if (err)
		bu_die("BPF_PROG_TEST_RUN: %s", strerror(-err));
	if (expect >= 0 && (int)o.retval != expect)
		bu_die("verdict %u, expected %d", o.retval, expect);
	return o.duration;
}

static int count_ev(void *ctx, const struct np_event *ev)
{
	(void)ev;
	(*(size_t *)ctx)++;
	return 0;
}

static size_t drain(void)
{
	size_t n = 0, before;

	do {
		before = n;
		if (np_datapath_poll_events(dp, 0, count_ev, &n))
			bu_die("polling events");
	} while (n != before);
	return n;
}

/* One run with events on: batches that fit in the ring buffer. */
static double run_events(int fd, const uint8_t *pkt, size_t len, int expect)
{
	unsigned done = 0;
	double sum = 0;
	size_t got = 0;

	drain();
	while (done < repeat) {
		sum += test_run(fd, pkt, len, EV_BATCH, expect) * EV_BATCH;
		done += EV_BATCH;
		got += drain();
	}
	if (got < done)
		bu_die("events: %zu of %u received", got, done);
	return sum / done;
}

static void row(const char *name, int fam, enum np_direction dir,
		const uint8_t *pkt, size_t len, int expect, bool events,
		unsigned keys)
{
	double t[RUNS], f[RUNS], r[RUNS];
	int fd = np__datapath_prog_fd(dp, dir), i;

	if (only && !strstr(name, only))
		return;
	for (i = 0; i < RUNS; i++) {
		f[i] = test_run(empty_fd, pkt, len, repeat, 0);
		t[i] = events ? run_events(fd, pkt, len, expect) :
				test_run(fd, pkt, len, repeat, expect);
		r[i] = t[i] / f[i]; /* adjacent runs: the VM's drift cancels */
	}
	bu_json_begin("packet", name);
	bu_json_num("family", fam);
	bu_json_num("keys", keys);
	bu_json_num("events", events);
	bu_json_num("repeat", repeat);
	bu_json_num("runs", RUNS);
	bu_json_num("ns_min", bu_min(t, RUNS));
	bu_json_num("ns_median", bu_pct(t, RUNS, 50));
	bu_json_num("floor_ns_min", bu_min(f, RUNS));
	bu_json_num("floor_ns_median", bu_pct(f, RUNS, 50));
	bu_json_num("ratio_min", bu_min(t, RUNS) / bu_min(f, RUNS));
	bu_json_num("ratio_median", bu_pct(t, RUNS, 50) / bu_pct(f, RUNS, 50));
	bu_json_num("ratio_pair_median", bu_pct(r, RUNS, 50));
	bu_json_end();
}

/*
 * N keys per family in the pod's egress rule set, port set of 24 slots:
 * pod-like host keys, or with mixed every 10th a prefix (a /24 in 11/8, a
 * /64 in fd00:11::/32, consulted when the host key misses): with mixed 1
 * all of one length (the per-length hash: one probe), with mixed 2 of 8
 * lengths (/24 to /31, /64 to /71: more than NP_PLH_MAX, the LPM trie).
 */
static void apply_keys(unsigned n, int mixed)
{
	uint16_t ports[NP_MAX_SLOTS];
	uint8_t a[16];
	struct bu_ms b;
	struct np_diag d;
	uint32_t ps;
	unsigned i;

	for (i = 0; i < NP_MAX_SLOTS; i++)
		ports[i] = 1000 + i * 10;
	bu_ms_init(&b, false, true, n, n, NP_DIRECTION_EGRESS);
	ps = bu_ps_ports(&b, 6, ports, NP_MAX_SLOTS);
	for (i = 0; i < n; i++) {
		bool pfx = mixed && i % 10 == 9;
		/* key 9 (the allowed row's) is a /24 and a /64 either way */
		unsigned sh = mixed == 2 ? (i / 10) % 8 : 0;

		bu_peer(4, i, a);
		if (pfx) {
			a[0] = 11; /* 11.(i >> 8).(i & 255).0/24 */
			a[1] = i >> 8;
			a[2] = i;
			a[3] = 0;
		}
		bu_ms_set(&b, 4, NP_DIRECTION_EGRESS, i, a, pfx ? 24 + sh : 32,
			  ps);
		bu_peer(6, i, a);
		if (pfx) {
			memset(a, 0, 16);
			a[0] = 0xfd;
			a[3] = 0x11;
			a[4] = i >> 24;
			a[5] = i >> 16;
			a[6] = i >> 8;
			a[7] = i;
		}
		bu_ms_set(&b, 6, NP_DIRECTION_EGRESS, i, a, pfx ? 64 + sh : 128,
			  ps);
	}
	if (np__datapath_apply_mapset(dp, ifx, &b.ms, &d))
		bu_die("apply %u keys: %s", n, d.message);
	bu_ms_free(&b);
	/* retired rule sets deleted: only this one is in the maps */
	np_datapath_gc(dp);
}

static const uint8_t *pod(int fam)
{
	return fam == 4 ? pod4 : pod6;
}

/*
 * New flows through the prefixes (kind "prefix": the per-length hash,
 * "trie": the LPM trie): a peer inside a prefix, a peer outside.
 */
static void rows_prefix(int fam, unsigned n, const char *kind)
{
	static const uint8_t in4[4] = { 11, 0, 9, 5 }; /* key i = 9 */
	static const uint8_t in6[16] = {
		0xfd, 0, 0, 0x11, 0, 0, 0, 9, [15] = 5
	};
	uint8_t pkt[128];
	char name[64];
	size_t len;

	len = bu_frame(pkt, fam, pod(fam), fam == 4 ? in4 : in6, 40000,
		       SLOT1_PORT, BU_SYN);
	snprintf(name, sizeof(name), "new_allowed_%s_v%d_%u", kind, fam, n);
	row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 0, false, n);
	len = bu_frame(pkt, fam, pod(fam), fam == 4 ? nomatch4 : nomatch6,
		       40000, SLOT1_PORT, BU_SYN);
	snprintf(name, sizeof(name), "new_denied_%s_v%d_%u", kind, fam, n);
	row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 2, false, n);
}

static void rows_keys(int fam, unsigned n)
{
	uint8_t pkt[128], peer[16];
	char name[64];
	size_t len;

	bu_peer(fam, n / 2, peer);
	len = bu_frame(pkt, fam, pod(fam), peer, 40000, SLOT1_PORT, BU_SYN);
	snprintf(name, sizeof(name), "new_allowed_slot1_v%d_%u", fam, n);
	row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 0, false, n);
	len = bu_frame(pkt, fam, pod(fam), peer, 40000, SLOT24_PORT, BU_SYN);
	snprintf(name, sizeof(name), "new_allowed_slot24_v%d_%u", fam, n);
	row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 0, false, n);
	if (n != 100 && n != 10000)
		return;
	len = bu_frame(pkt, fam, pod(fam), fam == 4 ? nomatch4 : nomatch6,
		       40000, SLOT1_PORT, BU_SYN);
	snprintf(name, sizeof(name), "new_denied_v%d_%u", fam, n);
	row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 2, false, n);
	if (n != 10000)
		return;
	np_datapath_set_events(dp, true);
	snprintf(name, sizeof(name), "new_denied_events_v%d_%u", fam, n);
	row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 2, true, n);
	len = bu_frame(pkt, fam, pod(fam), peer, 40000, SLOT1_PORT, BU_SYN);
	snprintf(name, sizeof(name), "new_allowed_slot1_events_v%d_%u", fam, n);
	row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 0, true, n);
	np_datapath_set_events(dp, false);
	/* per-rule-key counters on (events off): the key's entry exists
	 * after the first repeat, as for any key with traffic */
	if (np_datapath_set_rule_counters(dp, true))
		bu_die("rule counters on");
	snprintf(name, sizeof(name), "new_allowed_slot1_ctrs_v%d_%u", fam, n);
	row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 0, false, n);
	np_datapath_set_rule_counters(dp, false);
}

/*
 * The pod bench/pod (pod4, pod6) under 10 NetworkPolicies, each allowing
 * egress to 10.0.i.0/24 and fd00:10::i:0/112 on TCP 1000 + 10 i. With
 * tiers, 10 Admin policies, each in egress: Deny TCP 1000-1009 to
 * 10.0.i.128/25 and fd00:10::i:8000/113 (a hole in the NetworkPolicy's
 * allow), Accept UDP 53 to 172.20.i.0/24 and fd00:20:i::/48, Pass to
 * 10.0.0.0/16 and fd00:10::/96; and 10 Baseline policies (Accept UDP to
 * 172.16.i.0/24, the last a Deny of 0.0.0.0/0 and ::/0: shadowed in egress,
 * which the NetworkPolicies isolate; in ingress Accept from the pod's
 * namespace on one port, the last a Deny from every namespace).
 */
static char *tiers_yaml(bool tiers)
{
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	unsigned i;

	if (!b)
		bu_die("out of memory");
#define PUT(...)                                                \
	do {                                                    \
		int k_ = snprintf(b + n, cap - n, __VA_ARGS__); \
		if (k_ < 0 || (size_t)k_ >= cap - n)            \
			bu_die("tiers_yaml: too long");         \
		n += (size_t)k_;                                \
	} while (0)
	PUT("apiVersion: v1\nkind: Namespace\nmetadata: {name: bench, "
	    "labels: {team: b}}\n---\n"
	    "apiVersion: v1\nkind: Pod\nmetadata: {name: pod, namespace: "
	    "bench, labels: {app: bench}}\nspec: {nodeName: n1, containers: "
	    "[{name: c}]}\nstatus: {phase: Running, hostIP: 198.19.255.1, "
	    "podIPs: [{ip: 198.18.0.10}, {ip: \"fd00::10\"}]}\n---\n");
	for (i = 0; i < 10; i++)
		PUT("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		    "metadata: {name: np%u, namespace: bench}\n"
		    "spec:\n  podSelector: {matchLabels: {app: bench}}\n"
		    "  policyTypes: [Egress]\n  egress:\n  - to:\n"
		    "    - ipBlock: {cidr: 10.0.%u.0/24}\n"
		    "    - ipBlock: {cidr: \"fd00:10::%x:0/112\"}\n"
		    "    ports: [{port: %u}]\n---\n",
		    i, i, i, 1000 + 10 * i);
	for (i = 0; tiers && i < 10; i++)
		PUT("apiVersion: policy.networking.k8s.io/v1alpha2\n"
		    "kind: ClusterNetworkPolicy\nmetadata: {name: admin%u}\n"
		    "spec:\n  tier: Admin\n  priority: %u\n"
		    "  subject: {pods: {namespaceSelector: {matchLabels: "
		    "{team: b}}, podSelector: {matchLabels: {app: bench}}}}\n"
		    "  egress:\n"
		    "  - {action: Deny, to: [{networks: [10.0.%u.128/25, "
		    "\"fd00:10::%x:8000/113\"]}], protocols: [{tcp: "
		    "{destinationPort: {range: {start: 1000, end: 1009}}}}]}\n"
		    "  - {action: Accept, to: [{networks: [172.20.%u.0/24, "
		    "\"fd00:20:%x::/48\"]}], protocols: [{udp: "
		    "{destinationPort: {number: 53}}}]}\n"
		    "  - {action: Pass, to: [{networks: [10.0.0.0/16, "
		    "\"fd00:10::/96\"]}]}\n---\n",
		    i, 10 * i, i, i, i, i);
	for (i = 0; tiers && i < 10; i++) {
		PUT("apiVersion: policy.networking.k8s.io/v1alpha2\n"
		    "kind: ClusterNetworkPolicy\nmetadata: {name: base%u}\n"
		    "spec:\n  tier: Baseline\n  priority: %u\n"
		    "  subject: {namespaces: {matchLabels: {team: b}}}\n",
		    i, 10 * i);
		if (i < 9)
			PUT("  egress:\n  - {action: Accept, to: [{networks: "
			    "[172.16.%u.0/24]}], protocols: [{udp: "
			    "{destinationPort: {number: %u}}}]}\n"
			    "  ingress:\n  - {action: Accept, from: "
			    "[{namespaces: {matchLabels: {team: b}}}], "
			    "protocols: [{tcp: {destinationPort: {number: "
			    "%u}}}]}\n---\n",
			    i, 5000 + i, 8000 + i);
		else
			PUT("  egress:\n  - {action: Deny, to: [{networks: "
			    "[0.0.0.0/0, \"::/0\"]}]}\n"
			    "  ingress:\n  - {action: Deny, from: "
			    "[{namespaces: {}}]}\n---\n");
	}
#undef PUT
	return b;
}

/*
 * The pod's rule set compiled from tiers_yaml(tiers), applied; keys[0],
 * keys[1]: its egress LPM entries, v4 and v6.
 */
static void apply_tiers(bool tiers, unsigned *keys)
{
	struct np_cluster *c;
	struct np_ruleset *rs;
	struct np_mapset *ms;
	struct np_diag d;
	char *y = tiers_yaml(tiers);

	if (np_cluster_new(&c, NULL) ||
	    np_cluster_load_buffer(c, y, strlen(y), "tiers", NULL, &d))
		bu_die("tiers: load: %s %s", d.path, d.message);
	if (np_ruleset_compile(&rs, c, "bench", "pod", NULL, &d))
		bu_die("tiers: compile: %s", d.message);
	if (np_datapath_apply(dp, ifx, rs, &d))
		bu_die("tiers: apply: %s", d.message);
	if (np_mapset_encode(&ms, rs))
		bu_die("tiers: encode");
	keys[0] = np_mapset_count(ms, 4, NP_DIRECTION_EGRESS);
	keys[1] = np_mapset_count(ms, 6, NP_DIRECTION_EGRESS);
	np_mapset_free(ms);
	np_datapath_gc(dp);
	np_ruleset_free(rs);
	np_cluster_free(c);
	free(y);
}

/*
 * New flows of the pod under 10 NetworkPolicies (prefix np10), or under
 * them and 10 Admin and 10 Baseline policies (prefix tiers), TCP port
 * 1000: allowed to 10.0.0.5 / fd00:10::5 (with tiers: an Admin Pass, then
 * NetworkPolicy np0 allows); denied, without tiers to 192.0.2.1 /
 * 2001:db8::1 (no NetworkPolicy allows it: no key), with tiers to
 * 10.0.0.200 / fd00:10::8005 (an Admin Deny carves it out of np0's
 * allow: the longer key of the two).
 */
static void rows_tiers(bool tiers)
{
	static const uint8_t ok4[4] = { 10, 0, 0, 5 };
	static const uint8_t ok6[16] = { 0xfd, 0, 0, 0x10, [15] = 5 };
	static const uint8_t hole4[4] = { 10, 0, 0, 200 };
	static const uint8_t hole6[16] = { 0xfd, 0,	      0,
					   0x10, [14] = 0x80, [15] = 5 };
	static const char *const rows_[] = { "_new_allowed_v4",
					     "_new_denied_v4",
					     "_new_allowed_v6",
					     "_new_denied_v6" };
	const char *pfx = tiers ? "tiers" : "np10";
	uint8_t pkt[128];
	char name[64];
	unsigned i, keys[2];
	size_t len;
	int fam;

	for (i = 0; only && i < 4; i++) {
		snprintf(name, sizeof(name), "%s%s", pfx, rows_[i]);
		if (strstr(name, only))
			break;
	}
	if (only && i == 4)
		return;
	apply_tiers(tiers, keys);
	for (fam = 4; fam <= 6; fam += 2) {
		len = bu_frame(pkt, fam, pod(fam), fam == 4 ? ok4 : ok6, 40000,
			       1000, BU_SYN);
		snprintf(name, sizeof(name), "%s_new_allowed_v%d", pfx, fam);
		row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 0, false,
		    keys[fam == 6]);
		len = bu_frame(pkt, fam, pod(fam),
			       !tiers	? (fam == 4 ? nomatch4 : nomatch6) :
			       fam == 4 ? hole4 :
					  hole6,
			       40000, 1000, BU_SYN);
		snprintf(name, sizeof(name), "%s_new_denied_v%d", pfx, fam);
		row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 2, false,
		    keys[fam == 6]);
	}
}

/* Every conntrack entry of family fam: judged under rule set 1, none. */
static void ct_misjudge(int fam)
{
	char path[160];
	uint8_t key[64], next[64];
	struct np_ct_value v;
	void *prev = NULL;
	size_t ksz = fam == 4 ? sizeof(struct np_ct_key_v4) :
				sizeof(struct np_ct_key_v6);
	int fd;

	snprintf(path, sizeof(path), "%s/ct_v%d", bu_pin_root(), fam);
	fd = bpf_obj_get(path);
	if (fd < 0)
		bu_die("%s: %s", path, strerror(errno));
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksz);
		prev = key;
		if (!bpf_map_lookup_elem(fd, key, &v)) {
			v.judged = 1;
			bpf_map_update_elem(fd, key, &v, BPF_EXIST);
		}
	}
	close(fd);
}

/* Conntrack hits: a flow opened (SYN out, SYN-ACK in), then ACKs. */
static void rows_established(int fam, unsigned n)
{
	uint8_t pkt[128], peer[16];
	char name[64];
	size_t len;
	int eg = np__datapath_prog_fd(dp, NP_DIRECTION_EGRESS);
	int in = np__datapath_prog_fd(dp, NP_DIRECTION_INGRESS);

	bu_peer(fam, n / 2, peer);
	np__datapath_set_bench_no_ct_insert(dp, false);
	len = bu_frame(pkt, fam, pod(fam), peer, 40001, SLOT1_PORT, BU_SYN);
	test_run(eg, pkt, len, 1, 0);
	len = bu_frame(pkt, fam, peer, pod(fam), SLOT1_PORT, 40001,
		       BU_SYN | BU_ACK);
	test_run(in, pkt, len, 1, 0);
	len = bu_frame(pkt, fam, pod(fam), peer, 40001, SLOT1_PORT, BU_ACK);
	snprintf(name, sizeof(name), "established_v%d", fam);
	row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 0, false, n);
	len = bu_frame(pkt, fam, peer, pod(fam), SLOT1_PORT, 40001, BU_ACK);
	snprintf(name, sizeof(name), "reply_v%d", fam);
	row(name, fam, NP_DIRECTION_INGRESS, pkt, len, 0, false, n);
	/* the same hits counted to the flow's key */
	if (np_datapath_set_rule_counters(dp, true))
		bu_die("rule counters on");
	len = bu_frame(pkt, fam, pod(fam), peer, 40001, SLOT1_PORT, BU_ACK);
	snprintf(name, sizeof(name), "established_ctrs_v%d", fam);
	row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 0, false, n);
	np_datapath_set_rule_counters(dp, false);
	np__datapath_set_bench_no_ct_insert(dp, true);
	/*
	 * The flow's rules changed: its entry says it was judged under
	 * another rule set, and (the benchmark switch) keeps saying so, so
	 * every repeat judges it again, allowed.
	 */
	ct_misjudge(fam);
	len = bu_frame(pkt, fam, pod(fam), peer, 40001, SLOT1_PORT, BU_ACK);
	snprintf(name, sizeof(name), "rejudged_v%d", fam);
	row(name, fam, NP_DIRECTION_EGRESS, pkt, len, 0, false, n);
}

/* The real first packet of 20,000 flows: repeat 1, conntrack insert. */
static void first_packets(int fam, unsigned n)
{
	double *t = calloc(FIRST_FLOWS, sizeof(double));
	double *f = calloc(FIRST_FLOWS, sizeof(double));
	int eg = np__datapath_prog_fd(dp, NP_DIRECTION_EGRESS);
	uint8_t pkt[128], peer[16];
	char name[64];
	size_t len;
	unsigned i;

	if (!t || !f)
		bu_die("out of memory");
	snprintf(name, sizeof(name), "first_packet_v%d", fam);
	if (only && !strstr(name, only)) {
		free(t);
		free(f);
		return;
	}
	bu_peer(fam, n / 2, peer);
	np__datapath_set_bench_no_ct_insert(dp, false);
	for (i = 0; i < FIRST_FLOWS; i++) {
		/* distinct flows: source port and peer port vary */
		len = bu_frame(pkt, fam, pod(fam), peer,
			       (uint16_t)(10000 + i % 50000),
			       (uint16_t)(SLOT1_PORT + (i / 50000) * 10),
			       BU_SYN);
		f[i] = test_run(empty_fd, pkt, len, 1, 0);
		t[i] = test_run(eg, pkt, len, 1, 0);
	}
	/* all conntrack hits now: each flow was inserted once */
	np__datapath_set_bench_no_ct_insert(dp, true);
	snprintf(name, sizeof(name), "first_packet_v%d", fam);
	bu_json_begin("packet", name);
	bu_json_num("family", fam);
	bu_json_num("keys", n);
	bu_json_num("flows", FIRST_FLOWS);
	bu_json_num("ns_p50", bu_pct(t, FIRST_FLOWS, 50));
	bu_json_num("ns_p99", bu_pct(t, FIRST_FLOWS, 99));
	bu_json_num("floor_ns_p50", bu_pct(f, FIRST_FLOWS, 50));
	bu_json_num("floor_ns_p99", bu_pct(f, FIRST_FLOWS, 99));
	bu_json_num("above_floor_ns_p50",
		    bu_pct(t, FIRST_FLOWS, 50) - bu_pct(f, FIRST_FLOWS, 50));
	bu_json_end();
	free(t);
	free(f);
}

static uint32_t prog_id(int fd, uint32_t *insns)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		bu_die("bpf_obj_get_info_by_fd: %s", strerror(errno));
	if (insns)
		*insns = info.verified_insns;
	return info.id;
}

/* Verifier cost and load time: the node programs vs the empty one. */
static void verifier(void)
{
	double tl[RUNS], te[RUNS];
	uint32_t ins[2], ein = 0;
	char root[96];
	int i;

	for (i = 0; i < RUNS; i++) {
		NP_OPTS(np_datapath_opts, o, .pin_root = root);
		struct np_empty_bpf *e;
		struct np_datapath *d;
		double t0;
		int err;

		snprintf(root, sizeof(root), "%s-load%d", bu_pin_root(), i);
		t0 = bu_now();
		err = np_datapath_open(&d, &o);
		tl[i] = bu_now() - t0;
		if (err)
			bu_die("np_datapath_open: %s", strerror(-err));
		prog_id(np__datapath_prog_fd(d, NP_DIRECTION_INGRESS), &ins[0]);
		prog_id(np__datapath_prog_fd(d, NP_DIRECTION_EGRESS), &ins[1]);
		np_datapath_destroy(d);
		t0 = bu_now();
		e = np_empty_bpf__open_and_load();
		te[i] = bu_now() - t0;
		if (!e)
			bu_die("loading the empty program");
		prog_id(bpf_program__fd(e->progs.np_tc_empty), &ein);
		np_empty_bpf__destroy(e);
	}
	bu_json_begin("verifier", "node_programs");
	bu_json_num("insns_ingress", ins[0]);
	bu_json_num("insns_egress", ins[1]);
	bu_json_num("insns_total", ins[0] + ins[1]);
	bu_json_num("empty_insns", ein);
	bu_json_num("load_s_min", bu_min(tl, RUNS));
	bu_json_num("load_s_median", bu_pct(tl, RUNS, 50));
	bu_json_num("empty_load_s_min", bu_min(te, RUNS));
	bu_json_num("empty_load_s_median", bu_pct(te, RUNS, 50));
	bu_json_end();
}

/* Attach pods: every hook (TCX link or tc filter) runs the node's two
 * programs. */
static void loads_per_pod(void)
{
	enum { NPODS = 16 };
	unsigned px[NPODS], i, foreign = 0;
	uint32_t ids[2];
	int d;

	bu_veths("npl", NPODS, px);
	ids[0] = prog_id(np__datapath_prog_fd(dp, NP_DIRECTION_INGRESS), NULL);
	ids[1] = prog_id(np__datapath_prog_fd(dp, NP_DIRECTION_EGRESS), NULL);
	for (i = 0; i < NPODS; i++) {
		if (bu_attach(dp, px[i]))
			bu_die("attach");
		struct np_datapath_hook hk[2];

		if (np_datapath_hooks(dp, px[i], hk))
			bu_die("hooks of ifindex %u", px[i]);
		for (d = 0; d < 2; d++) {
			if (hk[d].state != NP_HOOK_OK)
				bu_die("no program of ours on ifindex %u",
				       px[i]);
			if (hk[d].prog_id != ids[d])
				foreign++;
		}
	}
	for (i = 0; i < NPODS; i++)
		np_datapath_detach(dp, px[i]);
	bu_json_begin("verifier", "loads_per_pod");
	bu_json_num("pods", NPODS);
	bu_json_num("programs_loaded_per_pod", (double)foreign / NPODS);
	bu_json_end();
}

static int rb_pod(void *ctx, const struct np_datapath_pod *p)
{
	if (p->ifindex == ifx)
		*(uint32_t *)ctx = p->ruleset[NP_DIRECTION_EGRESS];
	return 0;
}

static int rb_rule(void *ctx, const struct np_datapath_rule *r)
{
	(void)r;
	++*(size_t *)ctx;
	return 0;
}

/*
 * What status, dump and verify read for the pod's egress rule set of n
 * keys per family: np_datapath_ruleset() and np_datapath_rule_foreach()
 * (each reads both families back and de-duplicates them), 5 runs.
 */
static void readback(unsigned n)
{
	struct np_datapath_ruleset rs;
	double t[RUNS];
	char name[32];
	uint32_t id = 0;
	size_t cnt;
	int i;

	snprintf(name, sizeof(name), "readback_%u", n);
	if (only && !strstr(name, only))
		return;
	if (np_datapath_pod_foreach(dp, rb_pod, &id) || !id)
		bu_die("readback: no rule set");
	for (i = 0; i < RUNS; i++) {
		cnt = 0;
		t[i] = bu_now();
		if (np_datapath_ruleset(dp, id, &rs) ||
		    np_datapath_rule_foreach(dp, id, rb_rule, &cnt))
			bu_die("readback of %u keys", n);
		t[i] = bu_now() - t[i];
		if (cnt != 2 * (size_t)n)
			bu_die("readback: %zu keys of %u", cnt, 2 * n);
	}
	bu_json_begin("packet", name);
	bu_json_num("keys", n);
	bu_json_num("runs", RUNS);
	bu_json_num("s_min", bu_min(t, RUNS));
	bu_json_num("s_median", bu_pct(t, RUNS, 50));
	bu_json_end();
}

int main(int argc, char **argv)
{
	static const unsigned keys[] = { 1, 100, 10000, 65536 };
	struct np_empty_bpf *empty;
	unsigned i;
	int fam;

	if (argc > 1)
		repeat = (unsigned)atoi(argv[1]);
	if (argc > 2)
		only = argv[2];
	if (repeat < EV_BATCH)
		repeat = EV_BATCH;
	bu_isolate();
	if (!only)
		verifier();
	bu_veths("npb", 1, &ifx);
	dp = bu_open();
	if (bu_attach(dp, ifx))
		bu_die("attach");
	if (!only)
		loads_per_pod();
	empty = np_empty_bpf__open_and_load();
	if (!empty)
		bu_die("loading the empty program");
	empty_fd = bpf_program__fd(empty->progs.np_tc_empty);

	np__datapath_set_bench_no_ct_insert(dp, true);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		apply_keys(keys[i], false);
		for (fam = 4; fam <= 6; fam += 2)
			rows_keys(fam, keys[i]);
		if (keys[i] >= 10000)
			readback(keys[i]);
		if (keys[i] == 10000)
			for (fam = 4; fam <= 6; fam += 2) {
				rows_established(fam, keys[i]);
				first_packets(fam, keys[i]);
			}
	}
	/* rule sets with prefixes: the per-length hash's share, the trie's */
	apply_keys(10000, 1);
	for (fam = 4; fam <= 6; fam += 2)
		rows_prefix(fam, 10000, "prefix");
	apply_keys(10000, 2);
	for (fam = 4; fam <= 6; fam += 2)
		rows_prefix(fam, 10000, "trie");
	/* cluster policies: the same pod without, then with the tiers */
	rows_tiers(false);
	rows_tiers(true);
	np__datapath_set_bench_no_ct_insert(dp, false);
	np_empty_bpf__destroy(empty);
	return 0;
}
