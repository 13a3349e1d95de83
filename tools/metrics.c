/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol metrics: the counters of an existing datapath in the Prometheus
 * text format, under the EKS agent's names and netpol's own.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"

/*
 * A label value: made safe first (tool_esc: controls and invalid UTF-8 as
 * \xNN, so the value is valid UTF-8 on one line), then Prometheus's
 * escapes: backslash, double quote and newline.
 */
static void prom_label(FILE *o, const char *raw)
{
	char esc[1024];
	const char *s = tool_esc(raw, esc, sizeof(esc));

	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', o);
		if (*s == '\n') {
			fputs("\\n", o);
			continue;
		}
		fputc(*s, o);
	}
}

static void prom_head(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_pod(const struct pod_list *l, size_t i, int d,
		     const char *verdict)
{
	fputs("{namespace=\"", stdout);
	prom_label(stdout, l->ns[i]);
	fputs("\",pod=\"", stdout);
	/* an unnamed pod: its interface, so series stay distinct */
	prom_label(stdout, l->name[i][0] ? l->name[i] : l->v[i].ifname);
	printf("\",direction=\"%s\"", np_direction_name(d));
	if (verdict)
		printf(",verdict=\"%s\"", verdict);
	fputs("}", stdout);
}

/* One series of a pod and direction: name{labels} value. */
static void prom_line(const char *name, const struct pod_list *l, size_t i,
		      int d, const char *verdict, uint64_t v)
{
	fputs(name, stdout);
	prom_pod(l, i, d, verdict);
	printf(" %" PRIu64 "\n", v);
}

int cmd_metrics(int argc, char **argv)
{
	static const char *const fams[2] = { "ipv4", "ipv6" };
	struct np_datapath_stats st;
	struct np_datapath_counters(*c)[2] = NULL;
	struct np_datapath_hook(*hk)[2] = NULL;
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_datapath *dp;
	size_t i;
	int err, d, fam;

	if (dp_args_only(argc, argv, "metrics", &a))
		return 2;
	if (dp_open_existing(&dp, &a))
		return 2;
	err = np_datapath_stats(dp, &st);
	if (!err)
		err = np_datapath_pod_foreach(dp, pod_list_collect, &l);
	if (!err) {
		c = calloc(l.n + 1, sizeof(*c));
		hk = calloc(l.n + 1, sizeof(*hk));
		if (!c || !hk)
			err = -ENOMEM;
	}
	for (i = 0; !err && i < l.n; i++) {
		for (d = 0; d < 2; d++)
			np_datapath_counters(dp, l.v[i].ifindex, d, &c[i][d]);
		if (np_datapath_hooks(dp, l.v[i].ifindex, hk[i]))
			memset(hk[i], 0xff, sizeof(hk[i]));
	}
	if (err) {
		fprintf(stderr, "netpol: metrics: %s\n", np_strerror(err));
		goto out;
	}

	/* the EKS agent's names: its dashboards and alerts keep working */
	prom_head("network_policy_drop_count_total", "counter",
		  "Packets dropped by network policy.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++) {
			prom_line("network_policy_drop_count_total", &l, i, d,
				  NULL, c[i][d].denied_packets);
		}
	prom_head("network_policy_drop_bytes_total", "counter",
		  "Bytes dropped by network policy.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++) {
			prom_line("network_policy_drop_bytes_total", &l, i, d,
				  NULL, c[i][d].denied_bytes);
		}
	prom_head("netpol_packets_total", "counter",
		  "Packets judged by network policy, by verdict.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++) {
			prom_line("netpol_packets_total", &l, i, d, "allow",
				  c[i][d].allowed_packets);
			prom_line("netpol_packets_total", &l, i, d, "deny",
				  c[i][d].denied_packets);
		}
	prom_head("netpol_bytes_total", "counter",
		  "Bytes judged by network policy, by verdict.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++) {
			prom_line("netpol_bytes_total", &l, i, d, "allow",
				  c[i][d].allowed_bytes);
			prom_line("netpol_bytes_total", &l, i, d, "deny",
				  c[i][d].denied_bytes);
		}
	prom_head("netpol_pod_enforced", "gauge",
		  "1 when a rule set decides the pod's traffic in that "
		  "direction, 0 in a default or unisolated state.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++) {
			fputs("netpol_pod_enforced", stdout);
			prom_pod(&l, i, d, NULL);
			printf(" %d\n", l.v[i].state[d] == NP_POD_ENFORCED);
		}
	prom_head("netpol_hook_ok", "gauge",
		  "1 when the pod's tc filter for that direction runs this "
		  "datapath's program.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++) {
			fputs("netpol_hook_ok", stdout);
			prom_pod(&l, i, d, NULL);
			printf(" %d\n", hk[i][d].state == NP_HOOK_OK);
		}
	prom_head("netpol_conntrack_entries", "gauge",
		  "Conntrack entries in use (expired ones until reused).");
	for (fam = 0; fam < 2; fam++)
		printf("netpol_conntrack_entries{family=\"%s\"} %" PRIu64 "\n",
		       fams[fam], st.ct_entries[fam]);
	prom_head("netpol_conntrack_capacity", "gauge",
		  "Conntrack entries the map holds.");
	for (fam = 0; fam < 2; fam++)
		printf("netpol_conntrack_capacity{family=\"%s\"} %" PRIu64 "\n",
		       fams[fam], st.ct_capacity[fam]);
	prom_head("netpol_conntrack_evictions_total", "counter",
		  "Conntrack entries evicted to make room for new flows (the "
		  "table was full): created - deleted by gc - present.");
	for (fam = 0; fam < 2; fam++)
		printf("netpol_conntrack_evictions_total{family=\"%s\"} %" PRIu64
		       "\n",
		       fams[fam], st.ct_evictions[fam]);
	prom_head("netpol_lpm_entries", "gauge",
		  "Rule keys of every loaded rule set (host hash, "
		  "per-length hash and LPM trie).");
	for (fam = 0; fam < 2; fam++)
		printf("netpol_lpm_entries{family=\"%s\"} %" PRIu64 "\n",
		       fams[fam], st.lpm_entries[fam]);
	prom_head("netpol_lpm_capacity", "gauge",
		  "Rule keys the host hash, the per-length hash and the LPM "
		  "trie hold.");
	for (fam = 0; fam < 2; fam++)
		printf("netpol_lpm_capacity{family=\"%s\"} %" PRIu64 "\n",
		       fams[fam], st.lpm_capacity[fam]);
	prom_head("netpol_events_lost_total", "counter",
		  "Flow events dropped because the ring buffer was full.");
	printf("netpol_events_lost_total %" PRIu64 "\n", st.events_lost);
	prom_head("netpol_events_enabled", "gauge",
		  "1 while flow events are switched on.");
	printf("netpol_events_enabled %d\n", st.events_on ? 1 : 0);
	prom_head("netpol_pods", "gauge", "Pods attached.");
	printf("netpol_pods %" PRIu64 "\n", st.pods);
	prom_head(
		"netpol_rulesets", "gauge",
		"Distinct rule sets loaded (pods with equal rules share one).");
	printf("netpol_rulesets %" PRIu64 "\n", st.rulesets);
out:
	free(c);
	free(hk);
	pod_list_free(&l);
	np_datapath_close(dp);
	return err ? 2 : 0;
}
