/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol status | dump: what the datapath enforces now, read from the live
 * maps of an existing datapath (never loaded here): every attached pod's
 * state, rule sets, hooks and counters, or one pod's rules and conntrack.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"

/* --- status --------------------------------------------------------------- */

static void print_bytes(uint64_t b, char *buf, size_t size)
{
	if (b >= 10ull << 30)
		snprintf(buf, size, "%" PRIu64 "G", b >> 30);
	else if (b >= 10ull << 20)
		snprintf(buf, size, "%" PRIu64 "M", b >> 20);
	else if (b >= 10ull << 10)
		snprintf(buf, size, "%" PRIu64 "K", b >> 10);
	else
		snprintf(buf, size, "%" PRIu64, b);
}

int cmd_status(int argc, char **argv)
{
	struct np_datapath_stats st;
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_datapath *dp;
	size_t i;
	int err, d, bad = 0;

	if (dp_args_only(argc, argv, "status", &a))
		return 2;
	if (dp_open_existing(&dp, &a))
		return 2;
	err = np_datapath_stats(dp, &st);
	if (!err)
		printf("datapath %s: %" PRIu64 " pods, %" PRIu64 " rule sets, "
		       "LPM %" PRIu64 "/%" PRIu64 " + %" PRIu64 "/%" PRIu64
		       ", conntrack %" PRIu64 "/%" PRIu64 " + %" PRIu64
		       "/%" PRIu64 ", events %s, %" PRIu64 " lost\n",
		       a.pin_root ? a.pin_root : DEFAULT_PIN_ROOT, st.pods,
		       st.rulesets, st.lpm_entries[0], st.lpm_capacity[0],
		       st.lpm_entries[1], st.lpm_capacity[1], st.ct_entries[0],
		       st.ct_capacity[0], st.ct_entries[1], st.ct_capacity[1],
		       st.events_on ? "on" : "off", st.events_lost);
	if (!err)
		err = np_datapath_pod_foreach(dp, pod_list_collect, &l);
	for (i = 0; !err && i < l.n; i++) {
		struct np_datapath_hook hk[2];
		char pod[1040], ifn[80];

		pod_list_label(&l, i, pod, sizeof(pod));
		printf("\n%s ifindex %u %s\n", pod, l.v[i].ifindex,
		       l.v[i].ifname[0] ?
			       tool_esc(l.v[i].ifname, ifn, sizeof(ifn)) :
			       "(gone)");
		if (np_datapath_hooks(dp, l.v[i].ifindex, hk))
			memset(hk, 0, sizeof(hk));
		for (d = 0; d < 2; d++) {
			struct np_datapath_counters c = { 0 };
			struct np_datapath_ruleset r = { 0 };
			char rs[96] = "-", ab[16], db[16];

			np_datapath_counters(dp, l.v[i].ifindex, d, &c);
			if (l.v[i].ruleset[d] &&
			    !np_datapath_ruleset(dp, l.v[i].ruleset[d], &r))
				snprintf(rs, sizeof(rs),
					 "rule set %u digest %016" PRIx64
					 " keys %zu+%zu",
					 r.id, r.hash, r.keys[0], r.keys[1]);
			print_bytes(c.allowed_bytes, ab, sizeof(ab));
			print_bytes(c.denied_bytes, db, sizeof(db));
			printf("  %-7s %-13s %-48s hook %s%s%s %s",
			       np_direction_name(d),
			       tool_name(np_pod_state_name(l.v[i].state[d])),
			       rs,
			       hk[d].kind ? tool_name(np_hook_kind_name(
						    hk[d].kind)) :
					    "",
			       hk[d].kind ? "-" : "", d ? "ingress" : "egress",
			       tool_name(np_hook_state_name(hk[d].state)));
			if (hk[d].state == NP_HOOK_STALE)
				printf(" (prog %u, ours %u)", hk[d].prog_id,
				       hk[d].expected_id);
			if (hk[d].ahead && !strcmp(hk[d].ahead_kind, "tcx"))
				printf(" (tcx program %u runs first)",
				       hk[d].ahead_prog_id);
			else if (hk[d].ahead)
				printf(" (tc filter %s prio %u handle %#x, "
				       "program %u, runs first)",
				       tool_name(hk[d].ahead_kind),
				       hk[d].ahead_prio, hk[d].ahead_handle,
				       hk[d].ahead_prog_id);
			if (hk[d].state != NP_HOOK_OK)
				bad = 1;
			printf("  allowed %" PRIu64
			       " pkts %s B, denied %" PRIu64 " pkts %s B\n",
			       c.allowed_packets, ab, c.denied_packets, db);
		}
	}
	pod_list_free(&l);
	np_datapath_close(dp);
	if (err) {
		fprintf(stderr, "netpol: status: %s\n", np_strerror(err));
		return 2;
	}
	return bad;
}

/* --- dump ----------------------------------------------------------------- */

static int print_conn(void *ctx, const struct np_datapath_conn *c)
{
	size_t *n = ctx;
	char pb[8];
	bool v6 = c->family == 6;

	printf("    %-6s %s%s%s:%u > %s%s%s:%u %s age %us%s (timeout %us)\n",
	       tool_ip_proto_name(c->protocol, pb), v6 ? "[" : "", c->src,
	       v6 ? "]" : "", c->sport, v6 ? "[" : "", c->dst, v6 ? "]" : "",
	       c->dport, tool_name(np_conn_state_name(c->state)), c->age,
	       c->age > c->timeout ? " expired" : "", c->timeout);
	(*n)++;
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "pod", 1, 0, 'p' },
					    { "ifname", 1, 0, 'i' },
					    { "ifindex", 1, 0, 'x' },
					    { "direction", 1, 0, 'D' },
					    { 0, 0, 0, 0 } };
	const char *pod = NULL, *ifname = NULL;
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_datapath *dp;
	unsigned int ifindex = 0;
	int opt, err, d, only = -1;
	size_t i, nconn = 0;
	char label[1040], ifn[520];

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (dp_option(&a, opt, optarg) > 0)
			continue;
		if (opt == 'p')
			pod = optarg;
		else if (opt == 'i')
			ifname = optarg;
		else if (opt == 'x')
			ifindex = (unsigned int)strtoul(optarg, NULL, 10);
		else if (opt == 'D') {
			enum np_direction dd;

			if (np_direction_parse(optarg, &dd))
				goto usage;
			only = dd;
		} else
			goto usage;
	}
	if (!!pod + !!ifname + !!ifindex != 1 || optind < argc)
		goto usage;
	if (dp_open_existing(&dp, &a))
		return 2;
	err = np_datapath_pod_foreach(dp, pod_list_collect, &l);
	if (!err)
		err = pod_list_find(&l, pod, ifname, ifindex, &i);
	if (err) {
		fprintf(stderr, "netpol: dump: %s: %s\n",
			tool_esc(pod	? pod :
				 ifname ? ifname :
					  "ifindex",
				 ifn, sizeof(ifn)),
			err == -ENOENT ? "not attached" : np_strerror(err));
		goto out;
	}
	pod_list_label(&l, i, label, sizeof(label));
	printf("%s ifindex %u %s\n", label, l.v[i].ifindex,
	       l.v[i].ifname[0] ? tool_esc(l.v[i].ifname, ifn, sizeof(ifn)) :
				  "(gone)");
	for (d = 0; d < 2 && !err; d++) {
		struct np_datapath_ruleset r;

		if (only >= 0 && d != only)
			continue;
		printf("  %s: %s", np_direction_name(d),
		       tool_name(np_pod_state_name(l.v[i].state[d])));
		if (l.v[i].state[d] != NP_POD_ENFORCED || !l.v[i].ruleset[d]) {
			printf("\n");
			continue;
		}
		if (np_datapath_ruleset(dp, l.v[i].ruleset[d], &r)) {
			printf(", rule set %u (not loaded!)\n",
			       l.v[i].ruleset[d]);
			continue;
		}
		printf(", rule set %u digest %016" PRIx64 ", %zu IPv4 + %zu "
		       "IPv6 keys, %zu users\n",
		       r.id, r.hash, r.keys[0], r.keys[1], r.users);
		err = np_datapath_rule_foreach(dp, r.id, tool_print_rule, NULL);
	}
	if (!err) {
		printf("  conntrack:\n");
		err = np_datapath_conn_foreach(dp, l.v[i].ifindex, print_conn,
					       &nconn);
		if (!nconn)
			printf("    (none)\n");
	}
	if (err)
		fprintf(stderr, "netpol: dump: %s\n", np_strerror(err));
out:
	pod_list_free(&l);
	np_datapath_close(dp);
	return err ? 2 : 0;
usage:
	fputs("usage: netpol dump --pod NS/NAME|--ifname IF|--ifindex N "
	      "[--direction ingress|egress] [--pin-root DIR]\n",
	      stderr);
	return 2;
}
