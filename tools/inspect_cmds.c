// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * netpol status | flows | metrics | dump | verify | explain: what an
 * operator needs when a connection is dropped. Read-only: they never load
 * a datapath that is not there, and change nothing but the events switch
 * (flows).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "netpol_tool.h"

#define DEFAULT_PIN_ROOT "/sys/fs/bpf/netpol"

static const char *const dirs[2] = { "ingress", "egress" };

/* Open an existing datapath only: inspection never loads one. */
static int dp_open_existing(struct np_datapath **dp, const struct dp_args *a)
{
	const char *root = a->pin_root && *a->pin_root ? a->pin_root :
							 DEFAULT_PIN_ROOT;
	char path[PATH_MAX];

	/* the library pins this program last: a completed load */
	snprintf(path, sizeof(path), "%s/prog_clock", root);
	if (access(path, F_OK)) {
		fprintf(stderr, "netpol: no datapath under %s\n", root);
		return -ENOENT;
	}
	return dp_open(dp, a);
}

static const char *state_name(enum np_pod_state s)
{
	switch (s) {
	case NP_POD_DEFAULT_ALLOW:
		return "default-allow";
	case NP_POD_DEFAULT_DENY:
		return "default-deny";
	case NP_POD_ENFORCED:
		return "enforced";
	case NP_POD_UNISOLATED:
		return "unisolated";
	}
	return "?";
}

static const char *hook_state_name(enum np_hook_state s)
{
	switch (s) {
	case NP_HOOK_OK:
		return "ok";
	case NP_HOOK_MISSING:
		return "missing";
	case NP_HOOK_STALE:
		return "stale";
	case NP_HOOK_NO_DEVICE:
		return "no-device";
	}
	return "?";
}

static const char *proto_name(unsigned int p, char buf[8])
{
	switch (p) {
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_ICMPV6:
		return "ICMPv6";
	case IPPROTO_SCTP:
		return "SCTP";
	}
	snprintf(buf, 8, "%u", p);
	return buf;
}

/* TCP, UDP, SCTP, ICMP, ICMPv6 or a number 1..255. */
static int parse_proto(const char *s, uint8_t *out)
{
	static const char *const names[] = { "ICMP", "TCP", "UDP", "ICMPv6",
					     "SCTP" };
	static const uint8_t nums[] = { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP,
					IPPROTO_ICMPV6, IPPROTO_SCTP };
	char *end;
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i])) {
			*out = nums[i];
			return 0;
		}
	v = strtoul(s, &end, 10);
	if (*s && !*end && v >= 1 && v <= 255) {
		*out = (uint8_t)v;
		return 0;
	}
	return -EINVAL;
}

static int parse_dir(const char *s, enum np_direction *out)
{
	if (!strcmp(s, "ingress"))
		*out = NP_DIRECTION_INGRESS;
	else if (!strcmp(s, "egress"))
		*out = NP_DIRECTION_EGRESS;
	else
		return -EINVAL;
	return 0;
}

static void pod_label(const struct pod_list *l, size_t i, char *buf,
		      size_t size)
{
	if (l->ns[i][0] || l->name[i][0])
		snprintf(buf, size, "%s/%s", l->ns[i], l->name[i]);
	else
		snprintf(buf, size, "-");
}

/* The index in l of --pod NS/NAME, --ifname IF or --ifindex N. */
static int find_pod(const struct pod_list *l, const char *pod,
		    const char *ifname, unsigned int ifindex, size_t *out)
{
	char full[520];
	size_t i;

	if (ifname) {
		ifindex = if_nametoindex(ifname);
		if (!ifindex)
			return -ENODEV;
	}
	for (i = 0; i < l->n; i++) {
		snprintf(full, sizeof(full), "%s/%s", l->ns[i], l->name[i]);
		if ((pod && !strcmp(pod, full)) ||
		    (!pod && l->v[i].ifindex == ifindex)) {
			*out = i;
			return 0;
		}
	}
	return -ENOENT;
}

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
	static const struct option lo[] = { DP_LONGOPTS, { 0, 0, 0, 0 } };
	NP_OPTS(np_datapath_stats, st);
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_datapath *dp;
	size_t i;
	int opt, err, d, bad = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1)
		if (dp_option(&a, opt, optarg) <= 0) {
			fputs("usage: netpol status [--pin-root DIR]\n",
			      stderr);
			return 2;
		}
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
		err = np_datapath_pods(dp, collect, &l);
	for (i = 0; !err && i < l.n; i++) {
		struct np_datapath_hook hk[2];
		char pod[520];

		pod_label(&l, i, pod, sizeof(pod));
		printf("\n%s ifindex %u %s\n", pod, l.v[i].ifindex,
		       l.v[i].ifname[0] ? l.v[i].ifname : "(gone)");
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
			printf("  %-7s %-13s %-48s hook tc-%s %s", dirs[d],
			       state_name(l.v[i].state[d]), rs,
			       d ? "ingress" : "egress",
			       hook_state_name(hk[d].state));
			if (hk[d].state == NP_HOOK_STALE)
				printf(" (prog %u, ours %u)", hk[d].prog_id,
				       hk[d].expected_id);
			if (hk[d].state != NP_HOOK_OK)
				bad = 1;
			printf("  allowed %" PRIu64
			       " pkts %s B, denied %" PRIu64 " pkts %s B\n",
			       c.allowed_packets, ab, c.denied_packets, db);
		}
	}
	list_free(&l);
	np_datapath_close(dp);
	if (err) {
		fprintf(stderr, "netpol: status: %s\n", np_strerror(err));
		return 2;
	}
	return bad;
}

/* --- flows ----------------------------------------------------------------- */

static volatile sig_atomic_t flows_stop, flows_reopen;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		flows_reopen = 1;
	else
		flows_stop = 1;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A pod's compiled rule set, to name the policies of its accepts. */
struct named {
	unsigned int ifindex;
	struct np_ruleset *rs;
	uint32_t id[2]; /* loaded ids holding rs, 0: none */
};

struct flows {
	struct np_datapath *dp;
	FILE *out;
	const char *path;
	enum np_format fmt;
	const char *pod; /* NS/NAME filter */
	int verdict; /* -1 any, 0 deny, 1 accept */
	uint64_t count; /* stop after this many lines, 0: never */
	uint64_t lines;
	/* rate limit: token bucket of lines, and a budget of reads */
	double rate, burst, tokens;
	uint64_t last_ns;
	uint64_t read_budget; /* events read per window */
	uint64_t window_ns;
	uint64_t window_start;
	uint64_t window_reads;
	uint64_t suppressed; /* not printed: rate limit */
	/* names */
	struct np_cluster *cluster;
	struct np_compile_opts copts;
	struct named *named;
	size_t nnamed;
	uint64_t named_at; /* last refresh, CLOCK_MONOTONIC */
};

/* (Re)compile the rule set of every attached pod found in the manifests. */
static void flows_refresh_names(struct flows *f)
{
	struct pod_list l = { 0 };
	size_t i;
	int d;

	for (i = 0; i < f->nnamed; i++)
		np_ruleset_free(f->named[i].rs);
	free(f->named);
	f->named = NULL;
	f->nnamed = 0;
	f->named_at = now_ns(CLOCK_MONOTONIC);
	if (!f->cluster || np_datapath_pods(f->dp, collect, &l))
		goto out;
	f->named = calloc(l.n ? l.n : 1, sizeof(*f->named));
	if (!f->named)
		goto out;
	for (i = 0; i < l.n; i++) {
		struct named *n = &f->named[f->nnamed];

		if (!l.ns[i][0] ||
		    np_ruleset_compile(&n->rs, f->cluster, l.ns[i], l.name[i],
				       &f->copts, NULL))
			continue;
		n->ifindex = l.v[i].ifindex;
		for (d = 0; d < 2; d++)
			if (np_datapath_ruleset_id(f->dp, n->rs, d, &n->id[d]))
				n->id[d] = 0;
		f->nnamed++;
	}
out:
	list_free(&l);
}

/* The policies behind an accept, when the manifests name its rule set. */
static const char *flows_policies(struct flows *f, const struct np_event *ev,
				  struct np_verdict *v)
{
	const char *peer = ev->direction == NP_DIRECTION_EGRESS ? ev->dst_text :
								  ev->src_text;
	size_t i;

	if (ev->reason != NP_EVENT_ALLOW_RULE || !f->cluster ||
	    (ev->protocol != IPPROTO_TCP && ev->protocol != IPPROTO_UDP &&
	     ev->protocol != IPPROTO_SCTP))
		return NULL;
	for (i = 0; i < f->nnamed; i++)
		if (f->named[i].ifindex == ev->ifindex)
			break;
	/* a rule set applied since: look again, at most once a second */
	if ((i == f->nnamed || f->named[i].id[ev->direction] != ev->ruleset) &&
	    now_ns(CLOCK_MONOTONIC) - f->named_at > 1000000000ull) {
		flows_refresh_names(f);
		for (i = 0; i < f->nnamed; i++)
			if (f->named[i].ifindex == ev->ifindex)
				break;
	}
	if (i == f->nnamed || f->named[i].id[ev->direction] != ev->ruleset)
		return NULL;
	if (np_ruleset_verdict(f->named[i].rs, ev->direction, peer,
			       (enum np_protocol)ev->protocol, ev->dport, v) ||
	    !v->allowed || !v->policies[0])
		return NULL;
	return v->policies;
}

/* One token per line: rate per second, at most burst saved up. */
static bool flows_take_token(struct flows *f)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	f->tokens += (double)(now - f->last_ns) * f->rate / 1e9;
	if (f->tokens > f->burst)
		f->tokens = f->burst;
	f->last_ns = now;
	if (f->tokens < 1.0)
		return false;
	f->tokens -= 1.0;
	return true;
}

static int flows_on_event(void *ctx, const struct np_event *ev)
{
	struct flows *f = ctx;
	char line[NP_EVENT_LINE_MAX];
	struct np_event e = *ev;
	struct np_verdict v;
	size_t len;

	if (++f->window_reads > f->read_budget) {
		/* this one is consumed: count it, leave the rest queued */
		f->suppressed++;
		return -EAGAIN;
	}
	if (f->verdict >= 0 && e.allowed != (f->verdict == 1))
		return 0;
	if (f->pod) {
		char full[520];

		snprintf(full, sizeof(full), "%s/%s", e.pod_ns ? e.pod_ns : "",
			 e.pod_name ? e.pod_name : "");
		if (strcmp(full, f->pod))
			return 0;
	}
	if (!flows_take_token(f)) {
		f->suppressed++;
		return 0;
	}
	e.policies = flows_policies(f, &e, &v);
	np_event_format(&e, f->fmt, line, sizeof(line), &len);
	fputs(line, f->out);
	fputc('\n', f->out);
	if (f->count && ++f->lines >= f->count)
		return -ECANCELED;
	return 0;
}

/* The rate limiter's report, as a line of the log's own format. */
static void flows_report(struct flows *f, uint64_t suppressed, uint64_t lost)
{
	struct np_event ts = { .time_ns = now_ns(CLOCK_REALTIME) };
	char buf[NP_EVENT_LINE_MAX], *t;

	/* borrow the event formatter's timestamp: the line's first field */
	np_event_format(&ts, NP_FORMAT_TEXT, buf, sizeof(buf), NULL);
	t = strchr(buf, ' ');
	if (t)
		*t = '\0';
	if (f->fmt == NP_FORMAT_JSON)
		fprintf(f->out,
			"{\"level\":\"warn\",\"timestamp\":\"%s\","
			"\"logger\":\"netpol\",\"msg\":\"Flow events not "
			"logged\",\"Suppressed\":%" PRIu64 ",\"Lost\":%" PRIu64
			"}\n",
			buf, suppressed, lost);
	else
		fprintf(f->out,
			"%s WARN flow events not logged: %" PRIu64
			" suppressed by the rate limit, %" PRIu64
			" lost (ring buffer full)\n",
			buf, suppressed, lost);
	fflush(f->out);
}

static int flows_open_output(struct flows *f)
{
	FILE *o;

	if (!f->path) {
		f->out = stdout;
		return 0;
	}
	o = fopen(f->path, "ae");
	if (!o) {
		fprintf(stderr, "netpol: %s: %s\n", f->path, strerror(errno));
		return -errno;
	}
	if (f->out && f->out != stdout)
		fclose(f->out);
	f->out = o;
	return 0;
}

static uint64_t lost_now(struct np_datapath *dp)
{
	NP_OPTS(np_datapath_stats, st);

	return np_datapath_stats(dp, &st) ? 0 : st.events_lost;
}

int cmd_flows(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "follow", 0, 0, 'f' },
					    { "pod", 1, 0, 'p' },
					    { "verdict", 1, 0, 'V' },
					    { "output", 1, 0, 'O' },
					    { "rate", 1, 0, 'r' },
					    { "burst", 1, 0, 'b' },
					    { "count", 1, 0, 'c' },
					    { "duration", 1, 0, 'd' },
					    { "source", 1, 0, 's' },
					    { 0, 0, 0, 0 } };
	struct flows f = { .fmt = NP_FORMAT_JSON,
			   .verdict = -1,
			   .rate = 1000,
			   .burst = 2000,
			   .read_budget = 2000,
			   .window_ns = 100000000ull };
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t deadline = 0, start, next_report, lost0, lost_seen;
	uint64_t supp_seen = 0;
	struct dp_args a = { 0 };
	double duration = 1.0;
	bool follow = false;
	size_t problems = 0, i;
	int opt, err = 0, ret = 0;

	f.copts.sz = sizeof(f.copts);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "fo:", lo, NULL)) != -1) {
		if (dp_option(&a, opt, optarg) > 0)
			continue;
		switch (opt) {
		case 'f':
			follow = true;
			break;
		case 'p':
			f.pod = optarg;
			break;
		case 'V':
			if (!strcasecmp(optarg, "accept") ||
			    !strcasecmp(optarg, "allow"))
				f.verdict = 1;
			else if (!strcasecmp(optarg, "deny"))
				f.verdict = 0;
			else
				goto usage;
			break;
		case 'o':
			if (!strcmp(optarg, "json"))
				f.fmt = NP_FORMAT_JSON;
			else if (!strcmp(optarg, "text"))
				f.fmt = NP_FORMAT_TEXT;
			else
				goto usage;
			break;
		case 'O':
			f.path = optarg;
			break;
		case 'r':
			f.rate = strtod(optarg, NULL);
			break;
		case 'b':
			f.burst = strtod(optarg, NULL);
			break;
		case 'c':
			f.count = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			duration = strtod(optarg, NULL);
			break;
		case 's': {
			if (tool_parse_source(optarg, &f.copts.source))
				goto usage;
		} break;
		default:
			goto usage;
		}
	}
	if (f.rate <= 0 || f.rate > 1e6 || f.burst < 1 || f.burst > 1e7 ||
	    duration < 0)
		goto usage;
	if (optind < argc) {
		err = tool_load(&f.cluster, argv + optind, argc - optind, true,
				&problems);
		if (err && err != -EINVAL) {
			np_cluster_free(f.cluster);
			return 2;
		}
	}
	if (flows_open_output(&f) || dp_open_existing(&f.dp, &a)) {
		np_cluster_free(f.cluster);
		return 2;
	}
	flows_refresh_names(&f);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	err = np_datapath_set_events(f.dp, true);
	if (err) {
		fprintf(stderr, "netpol: flows: %s\n", np_strerror(err));
		ret = 2;
		goto out;
	}
	start = now_ns(CLOCK_MONOTONIC);
	f.last_ns = start;
	f.tokens = f.burst;
	f.window_start = start;
	next_report = start + 10000000000ull;
	lost0 = lost_seen = lost_now(f.dp);
	if (!follow)
		deadline = start + (uint64_t)(duration * 1e9);
	while (!flows_stop) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		int tmo = 100;

		if (flows_reopen) {
			flows_reopen = 0;
			fflush(f.out);
			if (flows_open_output(&f)) {
				ret = 2;
				break;
			}
		}
		if (deadline && now >= deadline)
			break;
		if (now - f.window_start >= f.window_ns) {
			f.window_start = now;
			f.window_reads = 0;
		}
		if (now >= next_report) {
			uint64_t lost = lost_now(f.dp);

			if (f.suppressed != supp_seen || lost != lost_seen)
				flows_report(&f, f.suppressed - supp_seen,
					     lost - lost_seen);
			supp_seen = f.suppressed;
			lost_seen = lost;
			next_report = now + 10000000000ull;
		}
		if (f.window_reads >= f.read_budget) {
			/* over budget: let the kernel queue (or drop) */
			struct timespec ts = {
				0, (long)(f.window_ns - (now - f.window_start))
			};

			nanosleep(&ts, NULL);
			continue;
		}
		if (deadline && (deadline - now) / 1000000 < (uint64_t)tmo)
			tmo = (int)((deadline - now) / 1000000);
		err = np_datapath_poll_events(f.dp, tmo, flows_on_event, &f);
		fflush(f.out);
		if (err == -EINTR || err == -EAGAIN) {
			err = 0;
			continue;
		}
		if (err == -ECANCELED) {
			err = 0;
			break;
		}
		if (err) {
			fprintf(stderr, "netpol: flows: %s\n",
				np_strerror(err));
			ret = 2;
			break;
		}
	}
	if (f.suppressed != supp_seen || lost_now(f.dp) != lost_seen)
		flows_report(&f, f.suppressed - supp_seen,
			     lost_now(f.dp) - lost_seen);
	if (verbose)
		fprintf(stderr,
			"netpol: flows: %" PRIu64 " lines, %" PRIu64
			" suppressed, %" PRIu64 " lost\n",
			f.lines, f.suppressed, lost_now(f.dp) - lost0);
out:
	for (i = 0; i < f.nnamed; i++)
		np_ruleset_free(f.named[i].rs);
	free(f.named);
	np_datapath_close(f.dp); /* switches events off */
	np_cluster_free(f.cluster);
	if (f.out && f.out != stdout)
		fclose(f.out);
	return ret;
usage:
	fputs("usage: netpol flows [--follow] [--pod NS/NAME] "
	      "[--verdict accept|deny] [-o json|text] [--output FILE]\n"
	      "       [--rate LINES/S] [--burst LINES] [--count N] "
	      "[--duration SEC] [--source policies|endpoints]\n"
	      "       [--pin-root DIR] [FILE...]\n",
	      stderr);
	return 2;
}

/* --- metrics --------------------------------------------------------------- */

/* A label value: backslash, double quote and newline escaped. */
static void prom_label(FILE *o, const char *s)
{
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
	printf("\",direction=\"%s\"", dirs[d]);
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
	static const struct option lo[] = { DP_LONGOPTS, { 0, 0, 0, 0 } };
	static const char *const fams[2] = { "ipv4", "ipv6" };
	NP_OPTS(np_datapath_stats, st);
	struct np_datapath_counters(*c)[2] = NULL;
	struct np_datapath_hook(*hk)[2] = NULL;
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_datapath *dp;
	size_t i;
	int opt, err, d, fam;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1)
		if (dp_option(&a, opt, optarg) <= 0) {
			fputs("usage: netpol metrics [--pin-root DIR]\n",
			      stderr);
			return 2;
		}
	if (dp_open_existing(&dp, &a))
		return 2;
	err = np_datapath_stats(dp, &st);
	if (!err)
		err = np_datapath_pods(dp, collect, &l);
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
	prom_head("netpol_lpm_entries", "gauge",
		  "Rule keys of every loaded rule set (host hash and LPM "
		  "trie).");
	for (fam = 0; fam < 2; fam++)
		printf("netpol_lpm_entries{family=\"%s\"} %" PRIu64 "\n",
		       fams[fam], st.lpm_entries[fam]);
	prom_head("netpol_lpm_capacity", "gauge",
		  "Rule keys the host hash and the LPM trie hold.");
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
	list_free(&l);
	np_datapath_close(dp);
	return err ? 2 : 0;
}

/* --- dump ------------------------------------------------------------------ */

/* Every rule, or (ctx non-NULL) only the one of that CIDR. */
static int print_rule(void *ctx, const struct np_datapath_rule *r)
{
	const char *only = ctx;
	size_t i;
	char pb[8];

	if (only && strcmp(only, r->cidr))
		return 0;
	printf("    %-43s ->", r->cidr);
	if (r->all)
		printf(" any protocol, any port");
	else if (!r->nranges)
		printf(" nothing (except)");
	for (i = 0; i < r->nranges; i++) {
		const struct np_port_range *p = &r->ranges[i];

		printf("%s %s", i ? "," : "", proto_name(p->protocol, pb));
		if (p->first == 0 && p->last == 65535)
			printf(" any port");
		else if (p->first == p->last)
			printf(" %u", p->first);
		else
			printf(" %u-%u", p->first, p->last);
	}
	printf("   [port set %u]\n", r->portset);
	return 0;
}

static const char *conn_state_name(enum np_conn_state s)
{
	switch (s) {
	case NP_CONN_NEW:
		return "new";
	case NP_CONN_ESTABLISHED:
		return "established";
	case NP_CONN_CLOSING:
		return "closing";
	}
	return "?";
}

static int print_conn(void *ctx, const struct np_datapath_conn *c)
{
	size_t *n = ctx;
	char pb[8];
	bool v6 = c->family == 6;

	printf("    %-6s %s%s%s:%u > %s%s%s:%u %s age %us%s (timeout %us)\n",
	       proto_name(c->protocol, pb), v6 ? "[" : "", c->src,
	       v6 ? "]" : "", c->sport, v6 ? "[" : "", c->dst, v6 ? "]" : "",
	       c->dport, conn_state_name(c->state), c->age,
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
	char label[520];

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

			if (parse_dir(optarg, &dd))
				goto usage;
			only = dd;
		} else
			goto usage;
	}
	if (!!pod + !!ifname + !!ifindex != 1 || optind < argc)
		goto usage;
	if (dp_open_existing(&dp, &a))
		return 2;
	err = np_datapath_pods(dp, collect, &l);
	if (!err)
		err = find_pod(&l, pod, ifname, ifindex, &i);
	if (err) {
		fprintf(stderr, "netpol: dump: %s: %s\n",
			pod    ? pod :
			ifname ? ifname :
				 "ifindex",
			err == -ENOENT ? "not attached" : np_strerror(err));
		goto out;
	}
	pod_label(&l, i, label, sizeof(label));
	printf("%s ifindex %u %s\n", label, l.v[i].ifindex,
	       l.v[i].ifname[0] ? l.v[i].ifname : "(gone)");
	for (d = 0; d < 2 && !err; d++) {
		struct np_datapath_ruleset r;

		if (only >= 0 && d != only)
			continue;
		printf("  %s: %s", dirs[d], state_name(l.v[i].state[d]));
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
		err = np_datapath_rules(dp, r.id, print_rule, NULL);
	}
	if (!err) {
		printf("  conntrack:\n");
		err = np_datapath_conntrack(dp, l.v[i].ifindex, print_conn,
					    &nconn);
		if (!nconn)
			printf("    (none)\n");
	}
	if (err)
		fprintf(stderr, "netpol: dump: %s\n", np_strerror(err));
out:
	list_free(&l);
	np_datapath_close(dp);
	return err ? 2 : 0;
usage:
	fputs("usage: netpol dump --pod NS/NAME|--ifname IF|--ifindex N "
	      "[--direction ingress|egress] [--pin-root DIR]\n",
	      stderr);
	return 2;
}

/* --- verify ---------------------------------------------------------------- */

int cmd_verify(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "source", 1, 0, 's' },
					    { 0, 0, 0, 0 } };
	NP_OPTS(np_compile_opts, copts);
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_cluster *c = NULL;
	struct np_datapath *dp;
	size_t problems = 0, i, drift = 0, checked = 0;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (dp_option(&a, opt, optarg) > 0)
			continue;
		if (opt == 's') {
			if (tool_parse_source(optarg, &copts.source))
				goto usage;
		} else
			goto usage;
	}
	if (optind >= argc)
		goto usage;
	if (dp_load_open(argv + optind, argc - optind, dp_open_existing, &a, &c,
			 &problems, &dp))
		return 2;
	err = np_datapath_pods(dp, collect, &l);
	for (i = 0; !err && i < l.n; i++) {
		struct np_ruleset *rs;
		struct np_diag d;
		char label[520], *report = NULL, *line, *save = NULL;
		size_t n = 0;
		int e;

		pod_label(&l, i, label, sizeof(label));
		if (!l.ns[i][0]) {
			printf("ifindex %u: attached without a pod name: not "
			       "verified\n",
			       l.v[i].ifindex);
			drift++;
			continue;
		}
		e = np_ruleset_compile(&rs, c, l.ns[i], l.name[i], &copts, &d);
		if (e) {
			printf("%s: %s\n", label,
			       e == -ENOENT ?
				       "attached, but not in the manifests" :
			       d.message[0] ? d.message :
					      np_strerror(e));
			drift++;
			continue;
		}
		e = np_datapath_verify(dp, l.v[i].ifindex, rs, &report, &n);
		np_ruleset_free(rs);
		if (e) {
			fprintf(stderr, "netpol: verify %s: %s\n", label,
				np_strerror(e));
			err = e;
			break;
		}
		for (line = strtok_r(report, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			printf("%s: %s\n", label, line);
		np_free(report);
		drift += n;
		checked++;
	}
	list_free(&l);
	np_datapath_close(dp);
	np_cluster_free(c);
	if (err)
		return 2;
	if (!drift)
		printf("%zu pods: the kernel enforces what the manifests "
		       "say\n",
		       checked);
	return drift ? 1 : 0;
usage:
	fputs("usage: netpol verify FILE... [--source policies|endpoints] "
	      "[--pin-root DIR]\n",
	      stderr);
	return 2;
}

/* --- explain --------------------------------------------------------------- */

int cmd_explain(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "pod", 1, 0, 'p' },
					    { "ifname", 1, 0, 'i' },
					    { "peer", 1, 0, 'P' },
					    { "port", 1, 0, 'n' },
					    { "protocol", 1, 0, 't' },
					    { "direction", 1, 0, 'D' },
					    { "source", 1, 0, 's' },
					    { 0, 0, 0, 0 } };
	NP_OPTS(np_compile_opts, copts);
	const char *pod = NULL, *ifname = NULL, *peer = NULL;
	enum np_direction dir = NP_DIRECTION_INGRESS;
	struct np_datapath_verdict v;
	struct np_ruleset *rs = NULL;
	struct np_cluster *c = NULL;
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_datapath *dp;
	uint8_t proto = IPPROTO_TCP;
	long port = -1;
	bool have_dir = false;
	size_t problems = 0, i;
	char label[520], pb[8];
	int opt, err, ret = 2;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (dp_option(&a, opt, optarg) > 0)
			continue;
		switch (opt) {
		case 'p':
			pod = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'P':
			peer = optarg;
			break;
		case 'n':
			port = strtol(optarg, NULL, 10);
			break;
		case 't':
			if (parse_proto(optarg, &proto))
				goto usage;
			break;
		case 'D':
			if (parse_dir(optarg, &dir))
				goto usage;
			have_dir = true;
			break;
		case 's': {
			if (tool_parse_source(optarg, &copts.source))
				goto usage;
		} break;
		default:
			goto usage;
		}
	}
	if (!!pod + !!ifname != 1 || !peer || !have_dir || port < 0 ||
	    port > 65535)
		goto usage;
	if (dp_load_open(argv + optind, argc - optind, dp_open_existing, &a, &c,
			 &problems, &dp))
		return 2;
	err = np_datapath_pods(dp, collect, &l);
	if (!err)
		err = find_pod(&l, pod, ifname, 0, &i);
	if (err) {
		fprintf(stderr, "netpol: explain: %s: %s\n", pod ? pod : ifname,
			err == -ENOENT ? "not attached" : np_strerror(err));
		goto out;
	}
	pod_label(&l, i, label, sizeof(label));
	if (c && l.ns[i][0] &&
	    np_ruleset_compile(&rs, c, l.ns[i], l.name[i], &copts, NULL))
		rs = NULL;
	err = np_datapath_explain(dp, l.v[i].ifindex, dir, peer, proto,
				  (uint16_t)port, rs, &v);
	if (err) {
		fprintf(stderr, "netpol: explain: %s\n", np_strerror(err));
		goto out;
	}
	printf("%s %s %s %s %s %s/%ld: %s\n", v.allowed ? "ACCEPT" : "DENY",
	       label, dirs[dir], dir == NP_DIRECTION_INGRESS ? "from" : "to",
	       peer, proto_name(proto, pb), port,
	       np_event_reason_name(v.reason));
	printf("  state %s", state_name(v.state));
	if (v.ruleset)
		printf(", rule set %u", v.ruleset);
	printf("\n");
	if (v.key[0]) {
		printf("  key %s, port set %u", v.key, v.portset);
		if (v.slot >= 0)
			printf(", slot %d", v.slot);
		printf("\n");
		np_datapath_rules(dp, v.ruleset, print_rule, v.key);
	}
	if (v.policies[0])
		printf("  policy %s\n", v.policies);
	else if (v.reason == NP_EVENT_ALLOW_RULE && c)
		printf("  policy unknown: the manifests do not compile to "
		       "the loaded rule set\n");
	ret = v.allowed ? 0 : 1;
out:
	np_ruleset_free(rs);
	list_free(&l);
	np_datapath_close(dp);
	np_cluster_free(c);
	return ret;
usage:
	fputs("usage: netpol explain --pod NS/NAME|--ifname IF --peer IP "
	      "--port N [--protocol P]\n"
	      "       --direction ingress|egress [--source "
	      "policies|endpoints] [--pin-root DIR] [FILE...]\n",
	      stderr);
	return 2;
}
