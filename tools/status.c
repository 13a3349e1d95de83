/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol status | dump: what the datapath enforces now, read from the live
 * maps of an existing datapath (never loaded here): every attached pod's
 * state, rule sets, hooks and counters, or one pod's rules and conntrack.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/*
 * The pod's addresses when the datapath has none recorded (it has them
 * from the rule sets applied and attach --ip): as the node reaches them,
 * the host routes (/32,
 * /128, main table) through its veth, as a CNI sets them up. Read once
 * with one rtnetlink dump per family.
 */
struct route {
	unsigned int oif;
	char addr[INET6_ADDRSTRLEN];
};

struct routes {
	struct route *v;
	size_t n;
};

#define ROUTES_MAX 1000000 /* a bound on what one dump may hold */

static int routes_family(struct routes *r, int family)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
	} req = { .nh = { .nlmsg_len = sizeof(req),
			  .nlmsg_type = RTM_GETROUTE,
			  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			  .nlmsg_seq = 1 },
		  .rt = { .rtm_family = (unsigned char)family } };
	static char buf[32768] __attribute__((aligned(4)));
	int fd, err = 0, done = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) < 0)
		err = -errno;
	while (!err && !done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;

		if (len < 0) {
			err = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (!len)
			break;
		for (; NLMSG_OK(nh, (size_t)len); nh = NLMSG_NEXT(nh, len)) {
			struct rtmsg *rt = NLMSG_DATA(nh);
			struct rtattr *at;
			int alen;
			const void *dst = NULL;
			unsigned int oif = 0;
			struct route *n;

			if (nh->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				err = -EIO;
				break;
			}
			if (nh->nlmsg_type != RTM_NEWROUTE ||
			    rt->rtm_table != RT_TABLE_MAIN ||
			    rt->rtm_type != RTN_UNICAST ||
			    rt->rtm_dst_len != (family == AF_INET ? 32 : 128))
				continue;
			alen = (int)RTM_PAYLOAD(nh);
			for (at = RTM_RTA(rt); RTA_OK(at, alen);
			     at = RTA_NEXT(at, alen)) {
				if (at->rta_type == RTA_DST)
					dst = RTA_DATA(at);
				else if (at->rta_type == RTA_OIF &&
					 RTA_PAYLOAD(at) >= 4)
					memcpy(&oif, RTA_DATA(at), 4);
			}
			if (!dst || !oif || r->n >= ROUTES_MAX)
				continue;
			n = realloc(r->v, (r->n + 1) * sizeof(*n));
			if (!n) {
				err = -ENOMEM;
				break;
			}
			r->v = n;
			r->v[r->n].oif = oif;
			inet_ntop(family, dst, r->v[r->n].addr,
				  sizeof(r->v[r->n].addr));
			r->n++;
		}
	}
	close(fd);
	return err;
}

/* Best effort: without them status still says all the rest. */
static void routes_read(struct routes *r)
{
	if (routes_family(r, AF_INET) || routes_family(r, AF_INET6)) {
		free(r->v);
		r->v = NULL;
		r->n = 0;
	}
}

static const char *const dir_names[2] = { "ingress", "egress" };

/* A direction of a pod in the status: its state, rule set, hook, counters. */
static json_t *status_dir_json(struct np_datapath *dp,
			       const struct np_datapath_pod *p, int d,
			       const struct np_datapath_hook *hk,
			       const struct np_datapath_counters *c)
{
	struct np_datapath_ruleset r;
	json_t *o = json_object(), *h = json_object(), *ahead = json_null();
	char digest[17];

	json_object_set_new(
		o, "state",
		tool_json_str(tool_name(np_pod_state_name(p->state[d]))));
	if (p->ruleset[d] && !np_datapath_ruleset(dp, p->ruleset[d], &r)) {
		snprintf(digest, sizeof(digest), "%016" PRIx64, r.hash);
		json_object_set_new(o, "ruleset",
				    json_pack("{s:I, s:s, s:{s:I, s:I}, s:I}",
					      "id", (json_int_t)r.id, "digest",
					      digest, "keys", "ipv4",
					      (json_int_t)r.keys[0], "ipv6",
					      (json_int_t)r.keys[1], "users",
					      (json_int_t)r.users));
	} else {
		json_object_set_new(o, "ruleset", json_null());
	}
	json_object_set_new(h, "point", json_string(d ? "ingress" : "egress"));
	json_object_set_new(h, "kind",
			    hk->kind ? tool_json_str(tool_name(
					       np_hook_kind_name(hk->kind))) :
				       json_null());
	json_object_set_new(
		h, "state",
		tool_json_str(tool_name(np_hook_state_name(hk->state))));
	json_object_set_new(h, "ours",
			    json_boolean(hk->prog_id &&
					 hk->prog_id == hk->expected_id));
	json_object_set_new(h, "first", json_boolean(hk->state == NP_HOOK_OK));
	json_object_set_new(h, "prog_id", json_integer(hk->prog_id));
	json_object_set_new(h, "expected_prog_id",
			    json_integer(hk->expected_id));
	json_object_set_new(h, "filters",
			    json_integer((json_int_t)hk->filters));
	if (hk->ahead) {
		json_decref(ahead);
		ahead = json_pack("{s:o, s:i, s:I, s:i, s:I}", "kind",
				  tool_json_str(hk->ahead_kind), "count",
				  (int)hk->ahead, "prog_id",
				  (json_int_t)hk->ahead_prog_id, "prio",
				  (int)hk->ahead_prio, "handle",
				  (json_int_t)hk->ahead_handle);
	}
	json_object_set_new(h, "ahead", ahead);
	json_object_set_new(o, "hook", h);
	json_object_set_new(
		o, "counters",
		json_pack("{s:o, s:o, s:o, s:o}", "allowed_packets",
			  tool_json_u64(c->allowed_packets), "allowed_bytes",
			  tool_json_u64(c->allowed_bytes), "denied_packets",
			  tool_json_u64(c->denied_packets), "denied_bytes",
			  tool_json_u64(c->denied_bytes)));
	return o;
}

static void status_dir_text(struct np_datapath *dp,
			    const struct np_datapath_pod *p, int d,
			    const struct np_datapath_hook *hk,
			    const struct np_datapath_counters *c)
{
	struct np_datapath_ruleset r = { 0 };
	char rs[96] = "-", ab[16], db[16];

	if (p->ruleset[d] && !np_datapath_ruleset(dp, p->ruleset[d], &r))
		snprintf(rs, sizeof(rs),
			 "rule set %u digest %016" PRIx64 " keys %zu+%zu", r.id,
			 r.hash, r.keys[0], r.keys[1]);
	print_bytes(c->allowed_bytes, ab, sizeof(ab));
	print_bytes(c->denied_bytes, db, sizeof(db));
	printf("  %-7s %-13s %-48s hook %s%s%s %s", np_direction_name(d),
	       tool_name(np_pod_state_name(p->state[d])), rs,
	       hk->kind ? tool_name(np_hook_kind_name(hk->kind)) : "",
	       hk->kind ? "-" : "", d ? "ingress" : "egress",
	       tool_name(np_hook_state_name(hk->state)));
	if (hk->state == NP_HOOK_STALE)
		printf(" (prog %u, ours %u)", hk->prog_id, hk->expected_id);
	if (hk->ahead && !strcmp(hk->ahead_kind, "tcx"))
		printf(" (tcx program %u runs first)", hk->ahead_prog_id);
	else if (hk->ahead)
		printf(" (tc filter %s prio %u handle %#x, program %u, runs "
		       "first)",
		       tool_name(hk->ahead_kind), hk->ahead_prio,
		       hk->ahead_handle, hk->ahead_prog_id);
	printf("  allowed %" PRIu64 " pkts %s B, denied %" PRIu64
	       " pkts %s B\n",
	       c->allowed_packets, ab, c->denied_packets, db);
}

static json_t *status_node_json(const struct dp_args *a,
				const struct np_datapath_stats *st)
{
	return json_pack(
		"{s:s, s:o, s:o, s:{s:{s:o, s:o}, s:{s:o, s:o}}, "
		"s:{s:{s:o, s:o, s:o}, s:{s:o, s:o, s:o}}, s:{s:b, s:o}}",
		"schema", "netpol.status/v1", "pin_root",
		tool_json_str(a->pin_root ? a->pin_root : DEFAULT_PIN_ROOT),
		"rulesets", tool_json_u64(st->rulesets), "keys", "ipv4",
		"entries", tool_json_u64(st->lpm_entries[0]), "capacity",
		tool_json_u64(st->lpm_capacity[0]), "ipv6", "entries",
		tool_json_u64(st->lpm_entries[1]), "capacity",
		tool_json_u64(st->lpm_capacity[1]), "conntrack", "ipv4",
		"entries", tool_json_u64(st->ct_entries[0]), "capacity",
		tool_json_u64(st->ct_capacity[0]), "evictions",
		tool_json_u64(st->ct_evictions[0]), "ipv6", "entries",
		tool_json_u64(st->ct_entries[1]), "capacity",
		tool_json_u64(st->ct_capacity[1]), "evictions",
		tool_json_u64(st->ct_evictions[1]), "events", "on",
		(int)st->events_on, "lost", tool_json_u64(st->events_lost));
}

int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "pod", 1, 0, 'p' },
					    { "output", 1, 0, 'o' },
					    { 0, 0, 0, 0 } };
	struct np_datapath_stats st;
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct routes routes = { 0 };
	struct np_datapath *dp;
	json_t *root = NULL, *pods = NULL;
	const char *pod = NULL;
	char esc[1040];
	size_t i, j, only = 0;
	bool json = false;
	int opt, err, d, bad = 0, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		r = dp_option(&a, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (opt == 'p') {
			pod = optarg;
		} else if (opt == 'o') {
			r = tool_enum("-o", V_FMT_TEXT_JSON, optarg);
			if (r < 0)
				return 2;
			json = r == 1;
		} else {
			return tool_usage();
		}
	}
	if (optind < argc) {
		fprintf(stderr, "netpol: status: unexpected argument '%s'\n",
			tool_esc(argv[optind], esc, sizeof(esc)));
		return tool_usage();
	}
	if (dp_open_existing(&dp, &a))
		return 2;
	err = np_datapath_stats(dp, &st);
	if (!err)
		err = np_datapath_pod_foreach(dp, pod_list_collect, &l);
	if (!err && pod) {
		err = pod_list_find(&l, pod, NULL, 0, &only);
		if (err == -ENOENT) {
			fprintf(stderr, "netpol: status: %s: not attached\n",
				tool_esc(pod, esc, sizeof(esc)));
			goto out;
		}
	}
	if (err)
		goto out;
	routes_read(&routes);
	if (json) {
		root = status_node_json(&a, &st);
		pods = json_array();
		json_object_set_new(root, "pods", pods);
	} else {
		printf("datapath %s: %" PRIu64 " pods, %" PRIu64
		       " rule sets, LPM %" PRIu64 "/%" PRIu64 " + %" PRIu64
		       "/%" PRIu64 ", conntrack %" PRIu64 "/%" PRIu64
		       " + %" PRIu64 "/%" PRIu64 ", events %s, %" PRIu64
		       " lost\n",
		       a.pin_root ? a.pin_root : DEFAULT_PIN_ROOT, st.pods,
		       st.rulesets, st.lpm_entries[0], st.lpm_capacity[0],
		       st.lpm_entries[1], st.lpm_capacity[1], st.ct_entries[0],
		       st.ct_capacity[0], st.ct_entries[1], st.ct_capacity[1],
		       st.events_on ? "on" : "off", st.events_lost);
	}
	for (i = 0; i < l.n; i++) {
		const struct np_datapath_pod *p = &l.v[i];
		struct np_datapath_hook hk[2];
		struct np_datapath_counters c[2] = { { 0 } };
		json_t *jp = NULL, *ips = NULL;
		char label[1040], ifn[80];
		size_t nip = 0;

		if (pod && i != only)
			continue;
		if (np_datapath_hooks(dp, p->ifindex, hk))
			memset(hk, 0, sizeof(hk));
		for (d = 0; d < 2; d++) {
			np_datapath_counters(dp, p->ifindex, d, &c[d]);
			if (hk[d].state != NP_HOOK_OK)
				bad = 1;
		}
		if (json) {
			jp = json_pack("{s:o, s:o, s:I, s:o}", "namespace",
				       tool_json_str(p->ns), "name",
				       tool_json_str(p->name), "ifindex",
				       (json_int_t)p->ifindex, "ifname",
				       p->ifname[0] ? tool_json_str(p->ifname) :
						      json_null());
			ips = json_array();
			json_object_set_new(jp, "ips", ips);
			json_array_append_new(pods, jp);
		} else {
			pod_list_label(&l, i, label, sizeof(label));
			printf("\n%s ifindex %u %s ips", label, p->ifindex,
			       p->ifname[0] ?
				       tool_esc(p->ifname, ifn, sizeof(ifn)) :
				       "(gone)");
		}
		/* the datapath's record of the pod first, else its routes */
		for (j = 0; j < 2; j++) {
			char ab[INET6_ADDRSTRLEN];

			if (!(p->ip_flags & (j ? NP_POD_IP6 : NP_POD_IP4)) ||
			    !inet_ntop(j ? AF_INET6 : AF_INET,
				       j ? (const void *)p->ip6 :
					   (const void *)p->ip4,
				       ab, sizeof(ab)))
				continue;
			if (json)
				json_array_append_new(ips, json_string(ab));
			else
				printf("%s%s", nip ? "," : " ", ab);
			nip++;
		}
		for (j = 0; !p->ip_flags && p->ifname[0] && j < routes.n; j++) {
			if (routes.v[j].oif != p->ifindex)
				continue;
			if (json)
				json_array_append_new(
					ips, json_string(routes.v[j].addr));
			else
				printf("%s%s", nip ? "," : " ",
				       routes.v[j].addr);
			nip++;
		}
		if (!json)
			printf("%s\n", nip ? "" : " -");
		for (d = 0; d < 2; d++) {
			if (json)
				json_object_set_new(jp, dir_names[d],
						    status_dir_json(dp, p, d,
								    &hk[d],
								    &c[d]));
			else
				status_dir_text(dp, p, d, &hk[d], &c[d]);
		}
	}
	if (json) {
		json_object_set_new(root, "ok", json_boolean(!bad));
		err = tool_json_print(root);
	}
out:
	free(routes.v);
	pod_list_free(&l);
	np_datapath_close(dp);
	if (err) {
		if (err != -ENOENT)
			fprintf(stderr, "netpol: status: %s\n",
				np_strerror(err));
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

static int conn_json(void *ctx, const struct np_datapath_conn *c)
{
	char pb[8];

	return json_array_append_new(
		       ctx,
		       json_pack("{s:i, s:s, s:s, s:i, s:s, s:i, s:o, s:I, "
				 "s:I, s:b}",
				 "family", c->family, "protocol",
				 tool_ip_proto_name(c->protocol, pb), "src",
				 c->src, "sport", (int)c->sport, "dst", c->dst,
				 "dport", (int)c->dport, "state",
				 tool_json_str(tool_name(
					 np_conn_state_name(c->state))),
				 "age", (json_int_t)c->age, "timeout",
				 (json_int_t)c->timeout, "expired",
				 c->age > c->timeout)) ?
		       -ENOMEM :
		       0;
}

static int rule_json(void *ctx, const struct np_datapath_rule *r)
{
	const struct np_datapath_counters *c = r->counters;
	json_t *ports = json_array(), *cj;
	size_t i;
	char pb[8];

	for (i = 0; i < r->nranges; i++)
		json_array_append_new(
			ports,
			json_pack("{s:s, s:i, s:i}", "protocol",
				  tool_ip_proto_name(r->ranges[i].protocol, pb),
				  "first", (int)r->ranges[i].first, "last",
				  (int)r->ranges[i].last));
	/* counters: null when the key counted nothing (or they are off) */
	cj = c ? json_pack("{s:o, s:o, s:o, s:o}", "allowed_packets",
			   tool_json_u64(c->allowed_packets), "allowed_bytes",
			   tool_json_u64(c->allowed_bytes), "denied_packets",
			   tool_json_u64(c->denied_packets), "denied_bytes",
			   tool_json_u64(c->denied_bytes)) :
		 json_null();

	return json_array_append_new(
		       ctx,
		       json_pack("{s:i, s:s, s:I, s:b, s:o, s:o}", "family",
				 r->family, "cidr", r->cidr, "portset",
				 (json_int_t)r->portset, "all", (int)r->all,
				 "ports", ports, "counters", cj)) ?
		       -ENOMEM :
		       0;
}

/* One direction of the pod in dump -o json. */
static int dump_dir_json(struct np_datapath *dp,
			 const struct np_datapath_pod *p, int d, json_t *root)
{
	struct np_datapath_ruleset r;
	json_t *o = json_object(), *rules = json_array();
	char digest[17];
	int err = 0;

	json_object_set_new(root, dir_names[d], o);
	json_object_set_new(
		o, "state",
		tool_json_str(tool_name(np_pod_state_name(p->state[d]))));
	if (p->state[d] != NP_POD_ENFORCED || !p->ruleset[d]) {
		json_object_set_new(o, "ruleset", json_null());
	} else if (np_datapath_ruleset(dp, p->ruleset[d], &r)) {
		json_object_set_new(o, "ruleset",
				    json_pack("{s:I, s:b}", "id",
					      (json_int_t)p->ruleset[d],
					      "loaded", 0));
	} else {
		snprintf(digest, sizeof(digest), "%016" PRIx64, r.hash);
		json_object_set_new(
			o, "ruleset",
			json_pack("{s:I, s:b, s:s, s:{s:I, s:I}, s:I}", "id",
				  (json_int_t)r.id, "loaded", 1, "digest",
				  digest, "keys", "ipv4", (json_int_t)r.keys[0],
				  "ipv6", (json_int_t)r.keys[1], "users",
				  (json_int_t)r.users));
		err = np_datapath_rule_foreach(dp, r.id, rule_json, rules);
	}
	json_object_set_new(o, "rules", rules);
	return err;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "pod", 1, 0, 'p' },
					    { "ifname", 1, 0, 'i' },
					    { "ifindex", 1, 0, 'x' },
					    { "direction", 1, 0, 'D' },
					    { "output", 1, 0, 'o' },
					    { 0, 0, 0, 0 } };
	const char *pod = NULL, *ifname = NULL;
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_datapath *dp;
	json_t *root = NULL, *conns;
	unsigned int ifindex = 0;
	int opt, err, d, only = -1, k;
	size_t i, nconn = 0;
	bool json = false;
	char label[1040], ifn[520], *end;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		k = dp_option(&a, opt, optarg);
		if (k < 0)
			return 2;
		if (k > 0)
			continue;
		switch (opt) {
		case 'p':
			pod = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'x':
			ifindex = (unsigned int)strtoul(optarg, &end, 10);
			if (!ifindex || *end)
				return tool_bad_value("--ifindex", optarg,
						      "an interface index");
			break;
		case 'D':
			only = tool_enum("--direction", V_DIRECTION, optarg);
			if (only < 0)
				return 2;
			break;
		case 'o':
			k = tool_enum("-o", V_FMT_TEXT_JSON, optarg);
			if (k < 0)
				return 2;
			json = k == 1;
			break;
		default:
			return tool_usage();
		}
	}
	if (!!pod + !!ifname + !!ifindex != 1) {
		fprintf(stderr, "netpol: dump: give one of --pod, --ifname and "
				"--ifindex\n");
		return tool_usage();
	}
	if (optind < argc) {
		fprintf(stderr, "netpol: dump: unexpected argument '%s'\n",
			tool_esc(argv[optind], ifn, sizeof(ifn)));
		return tool_usage();
	}
	if (dp_open_existing(&dp, &a))
		return 2;
	err = np_datapath_pod_foreach(dp, pod_list_collect, &l);
	if (!err)
		err = pod_list_find(&l, pod, ifname, ifindex, &i);
	if (err) {
		if (pod || ifname)
			tool_esc(pod ? pod : ifname, ifn, sizeof(ifn));
		else
			snprintf(ifn, sizeof(ifn), "ifindex %u", ifindex);
		fprintf(stderr, "netpol: dump: %s: %s\n", ifn,
			err == -ENOENT ? "not attached" :
			err == -ENODEV ? "no such interface" :
					 np_strerror(err));
		goto out;
	}
	if (json) {
		const struct np_datapath_pod *p = &l.v[i];

		root = json_pack(
			"{s:s, s:o, s:o, s:I, s:o}", "schema", "netpol.dump/v1",
			"namespace", tool_json_str(p->ns), "name",
			tool_json_str(p->name), "ifindex",
			(json_int_t)p->ifindex, "ifname",
			p->ifname[0] ? tool_json_str(p->ifname) : json_null());
		for (d = 0; d < 2 && !err; d++)
			if (only < 0 || d == only)
				err = dump_dir_json(dp, p, d, root);
		conns = json_array();
		json_object_set_new(root, "conntrack", conns);
		if (!err)
			err = np_datapath_conn_foreach(dp, p->ifindex,
						       conn_json, conns);
		if (!err)
			err = tool_json_print(root);
		else
			json_decref(root);
		if (err)
			fprintf(stderr, "netpol: dump: %s\n", np_strerror(err));
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
}
