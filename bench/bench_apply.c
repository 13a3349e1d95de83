// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Control plane against the kernel, in a private network namespace with
 * the datapath under /sys/fs/bpf/netpol-bench-<pid>:
 *
 *   apply       1,000 attached pods, each with its own rule set of 100
 *               IPv4 entries (np__datapath_apply_mapset, batch writes),
 *               next to the EKS agent's layout written the way that agent
 *               does: one BPF_MAP_TYPE_LPM_TRIE per pod (key 8 bytes,
 *               value 288 bytes, from np_mapset_lpm(NP_LAYOUT_EKS)), one
 *               bpf_map_update_elem per entry. 5 runs each, min and median.
 *   change      one policy change touching 1,000 entries: 10 pods get new
 *               100-entry contents; 200 changes 20 ms apart (the deletion
 *               of retired rule sets, a second later, falls in them); p50
 *               and p99, next to the EKS per-element rewrite of 1,000
 *               entries (10 maps x 100).
 *   attach      attach and detach of one pod, p50 of 20, next to the empty
 *               TC program attached and detached with libbpf (bpf_tc_*).
 *
 * Usage: bench_apply [pods [entries]]  (default 1000 100). JSON lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_util.h"
#include "empty.skel.h"

#define RUNS 5
#define CHANGES 200
#define CHANGE_PODS 10
#define CHANGE_GAP_US 20000
#define ATTACHES 20

static unsigned npods = 1000, nent = 100;
static struct np_datapath *dp;
static unsigned *ifx;
static struct bu_ms *ms; /* one per pod */

/* Pod p's content, generation g: distinct per pod and generation. */
static void build(struct bu_ms *b, unsigned p, unsigned g)
{
	static const uint16_t web[] = { 80, 443, 8080 };
	static const uint16_t dns[] = { 53 };
	uint8_t a[16];
	uint32_t ps[4];
	unsigned j;

	bu_ms_free(b);
	bu_ms_init(b, true, false, nent, 0, NP_DIRECTION_INGRESS);
	ps[0] = bu_ps_ports(b, 6, web, 3);
	ps[1] = bu_ps_ports(b, 17, dns, 1);
	ps[2] = bu_ps_ports(b, 6, dns, 1);
	ps[3] = bu_ps_all(b);
	for (j = 0; j < nent; j++) {
		/* peers: pod-like /32s, every 10th a CIDR */
		uint32_t i = (g * npods + p) * nent + j;

		bu_peer(4, i * 3, a);
		if (j % 10 == 9) { /* a /24 of its own */
			a[0] = 11;
			a[1] = i >> 8;
			a[2] = i;
		}
		bu_ms_set(b, 4, NP_DIRECTION_INGRESS, j, a,
			  j % 10 == 9 ? 24 : 32, ps[j % 4]);
	}
}

static void apply_all(unsigned g, double *secs)
{
	struct np_diag d;
	unsigned p;
	double t0;

	for (p = 0; p < npods; p++)
		build(&ms[p], p, g);
	t0 = bu_now();
	for (p = 0; p < npods; p++)
		if (np__datapath_apply_mapset(dp, ifx[p], &ms[p].ms, &d))
			bu_die("apply pod %u: %s", p, d.message);
	*secs = bu_now() - t0;
}

/*
 * The same in one node-wide transaction (what `netpol apply` does): the
 * whole, and the commit alone (the flip, a grace period, the copy of
 * every pod's new words over the old).
 */
static void apply_all_txn(unsigned g, double *secs, double *commit)
{
	struct np_diag d;
	unsigned p;
	double t0, t1;

	for (p = 0; p < npods; p++)
		build(&ms[p], p, g);
	t0 = bu_now();
	if (np_datapath_begin(dp, NULL))
		bu_die("begin");
	for (p = 0; p < npods; p++)
		if (np__datapath_apply_mapset(dp, ifx[p], &ms[p].ms, &d))
			bu_die("apply pod %u: %s", p, d.message);
	t1 = bu_now();
	if (np_datapath_commit(dp, &d))
		bu_die("commit: %s", d.message);
	*commit = bu_now() - t1;
	*secs = bu_now() - t0;
}

/* Back to unisolated, retired rule sets deleted: a clean node. */
static void clear_all(void)
{
	struct bu_ms b = { 0 };
	struct np_diag d;
	unsigned p;

	bu_ms_init(&b, false, false, 0, 0, NP_DIRECTION_INGRESS);
	for (p = 0; p < npods; p++)
		if (np__datapath_apply_mapset(dp, ifx[p], &b.ms, &d))
			bu_die("clear pod %u: %s", p, d.message);
	bu_ms_free(&b);
	np_datapath_gc(dp);
}

struct eks {
	int *fd;
	void **keys;
	void **vals;
	size_t ksz, vsz, n;
};

/* Map p's entries in the EKS layout. */
static void eks_lpm(const struct np_mapset *m, struct eks *e, unsigned p)
{
	NP_OPTS(np_mapset_lpm_opts, o, .layout = NP_LAYOUT_EKS);
	struct np_mapset_lpm_data d;

	if (np_mapset_lpm(m, 4, NP_DIRECTION_INGRESS, &o, &d))
		bu_die("np_mapset_lpm");
	e->keys[p] = d.keys;
	e->vals[p] = d.values;
	e->ksz = d.key_size;
	e->vsz = d.value_size;
	e->n = d.count;
}

static void eks_prepare(struct eks *e, unsigned maps)
{
	unsigned p;

	e->fd = calloc(maps, sizeof(int));
	e->keys = calloc(maps, sizeof(void *));
	e->vals = calloc(maps, sizeof(void *));
	if (!e->fd || !e->keys || !e->vals)
		bu_die("out of memory");
	for (p = 0; p < maps; p++) {
		eks_lpm(&ms[p].ms, e, p);
		e->fd[p] = -1;
	}
}

static void eks_create(struct eks *e, unsigned maps)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	unsigned p;

	for (p = 0; p < maps; p++) {
		if (e->fd[p] >= 0)
			close(e->fd[p]);
		e->fd[p] = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "eks_ingress",
					  e->ksz, e->vsz, 65536, &o);
		if (e->fd[p] < 0)
			bu_die("creating an EKS LPM trie: %s",
			       strerror(-e->fd[p]));
	}
}

/* The EKS agent's way: one update per entry. */
static double eks_write(struct eks *e, unsigned first, unsigned maps)
{
	double t0 = bu_now();
	unsigned p;
	size_t i;

	for (p = first; p < first + maps; p++)
		for (i = 0; i < e->n; i++)
			if (bpf_map_update_elem(
				    e->fd[p], (char *)e->keys[p] + i * e->ksz,
				    (char *)e->vals[p] + i * e->vsz, BPF_ANY))
				bu_die("EKS update: %s", strerror(errno));
	return bu_now() - t0;
}

static void eks_free(struct eks *e, unsigned maps)
{
	unsigned p;

	for (p = 0; p < maps; p++) {
		if (e->fd[p] >= 0)
			close(e->fd[p]);
		np_free(e->keys[p]);
		np_free(e->vals[p]);
	}
	free(e->fd);
	free(e->keys);
	free(e->vals);
}

static void bench_apply(void)
{
	double t[RUNS], te[RUNS];
	struct eks e = { 0 };
	int r;

	for (r = 0; r < RUNS; r++) {
		clear_all();
		apply_all(r + 1, &t[r]);
		if (!r)
			eks_prepare(&e, npods);
		/* the same contents, EKS layout, fresh maps */
		{
			unsigned p;

			for (p = 0; p < npods; p++) {
				np_free(e.keys[p]);
				np_free(e.vals[p]);
				eks_lpm(&ms[p].ms, &e, p);
			}
		}
		eks_create(&e, npods);
		te[r] = eks_write(&e, 0, npods);
	}
	bu_json_begin("apply", "apply_pods");
	bu_json_num("pods", npods);
	bu_json_num("entries_per_pod", nent);
	bu_json_num("s_min", bu_min(t, RUNS));
	bu_json_num("s_median", bu_pct(t, RUNS, 50));
	bu_json_num("eks_s_min", bu_min(te, RUNS));
	bu_json_num("eks_s_median", bu_pct(te, RUNS, 50));
	bu_json_num("speedup_median",
		    bu_pct(te, RUNS, 50) / bu_pct(t, RUNS, 50));
	bu_json_num("speedup_min", bu_min(te, RUNS) / bu_min(t, RUNS));
	bu_json_end();

	/* one transaction: the same contents, staged, then one commit */
	{
		double tt[RUNS], tcm[RUNS];

		for (r = 0; r < RUNS; r++) {
			clear_all();
			apply_all_txn(50 + r, &tt[r], &tcm[r]);
		}
		bu_json_begin("apply", "apply_pods_txn");
		bu_json_num("pods", npods);
		bu_json_num("entries_per_pod", nent);
		bu_json_num("s_median", bu_pct(tt, RUNS, 50));
		bu_json_num("s_min", bu_min(tt, RUNS));
		bu_json_num("commit_ms_median", bu_pct(tcm, RUNS, 50) * 1e3);
		bu_json_num("per_pod_s_median", bu_pct(t, RUNS, 50));
		bu_json_end();
	}

	/* one policy change: CHANGE_PODS pods, new contents */
	{
		double *tc = calloc(CHANGES, sizeof(double));
		double *tk = calloc(CHANGES, sizeof(double));
		struct np_diag d;
		unsigned c, k;

		if (!tc || !tk)
			bu_die("out of memory");
		for (c = 0; c < CHANGES; c++) {
			unsigned first = (c * CHANGE_PODS) % npods;
			double t0;

			for (k = 0; k < CHANGE_PODS; k++)
				build(&ms[first + k], first + k, 100 + c);
			usleep(CHANGE_GAP_US);
			t0 = bu_now();
			for (k = 0; k < CHANGE_PODS; k++)
				if (np__datapath_apply_mapset(
					    dp, ifx[first + k],
					    &ms[first + k].ms, &d))
					bu_die("change: %s", d.message);
			tc[c] = bu_now() - t0;
			/* EKS: rewrite the same entries in place */
			tk[c] = eks_write(&e, first, CHANGE_PODS);
		}
		bu_json_begin("apply", "policy_change");
		bu_json_num("entries", CHANGE_PODS * nent);
		bu_json_num("changes", CHANGES);
		bu_json_num("gap_ms", CHANGE_GAP_US / 1000.0);
		bu_json_num("ms_p50", bu_pct(tc, CHANGES, 50) * 1e3);
		bu_json_num("ms_p99", bu_pct(tc, CHANGES, 99) * 1e3);
		bu_json_num("ms_max", bu_pct(tc, CHANGES, 100) * 1e3);
		bu_json_num("eks_ms_p50", bu_pct(tk, CHANGES, 50) * 1e3);
		bu_json_num("eks_ms_p99", bu_pct(tk, CHANGES, 99) * 1e3);
		bu_json_end();
		free(tc);
		free(tk);
	}
	eks_free(&e, npods);
}

static void bench_attach(void)
{
	unsigned px[ATTACHES], i;
	double ta[ATTACHES], td[ATTACHES], ea[ATTACHES], ed[ATTACHES];
	struct np_empty_bpf *empty = np_empty_bpf__open_and_load();
	int efd;

	if (!empty)
		bu_die("loading the empty program");
	efd = bpf_program__fd(empty->progs.np_tc_empty);
	bu_veths("npa", ATTACHES, px);
	for (i = 0; i < ATTACHES; i++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = px[i],
				    .attach_point = BPF_TC_INGRESS |
						    BPF_TC_EGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hi, .ifindex = px[i],
				    .attach_point = BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, he, .ifindex = px[i],
				    .attach_point = BPF_TC_EGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, oi, .prog_fd = efd,
				    .handle = 1, .priority = 1);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, oe, .prog_fd = efd,
				    .handle = 1, .priority = 1);
		double t0;

		/* floor: the empty program, qdisc and both filters */
		t0 = bu_now();
		if (bpf_tc_hook_create(&h) || bpf_tc_attach(&hi, &oi) ||
		    bpf_tc_attach(&he, &oe))
			bu_die("bpf_tc_attach");
		ea[i] = bu_now() - t0;
		oi.prog_fd = oi.prog_id = oi.flags = 0;
		oe.prog_fd = oe.prog_id = oe.flags = 0;
		t0 = bu_now();
		if (bpf_tc_detach(&hi, &oi) || bpf_tc_detach(&he, &oe) ||
		    bpf_tc_hook_destroy(&h))
			bu_die("bpf_tc_detach");
		ed[i] = bu_now() - t0;

		t0 = bu_now();
		if (bu_attach(dp, px[i]))
			bu_die("attach");
		ta[i] = bu_now() - t0;
		t0 = bu_now();
		if (np_datapath_detach(dp, px[i]))
			bu_die("detach");
		td[i] = bu_now() - t0;
	}
	bu_json_begin("apply", "attach_detach");
	bu_json_num("pods_attached", npods);
	bu_json_num("attach_ms_p50", bu_pct(ta, ATTACHES, 50) * 1e3);
	bu_json_num("detach_ms_p50", bu_pct(td, ATTACHES, 50) * 1e3);
	bu_json_num("empty_attach_ms_p50", bu_pct(ea, ATTACHES, 50) * 1e3);
	bu_json_num("empty_detach_ms_p50", bu_pct(ed, ATTACHES, 50) * 1e3);
	bu_json_end();
	np_empty_bpf__destroy(empty);
}

int main(int argc, char **argv)
{
	unsigned p;

	if (argc > 1)
		npods = (unsigned)atoi(argv[1]);
	if (argc > 2)
		nent = (unsigned)atoi(argv[2]);
	if (npods < CHANGE_PODS || npods > NP_MAX_ENDPOINTS - 64 || !nent)
		bu_die("pods: %d..%d", CHANGE_PODS, NP_MAX_ENDPOINTS - 64);
	ifx = calloc(npods, sizeof(*ifx));
	ms = calloc(npods, sizeof(*ms));
	if (!ifx || !ms)
		bu_die("out of memory");
	bu_isolate();
	bu_veths("npv", npods, ifx);
	dp = bu_open();
	for (p = 0; p < npods; p++)
		if (bu_attach(dp, ifx[p]))
			bu_die("attach pod %u", p);
	bench_apply();
	bench_attach();
	for (p = 0; p < npods; p++)
		bu_ms_free(&ms[p]);
	return 0;
}
