/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol flows: the flow log of an existing datapath, filtered, rate
 * limited, and with who decided each new flow (the policies and the tier)
 * named from the manifests, and the peer pod named from the manifests or,
 * without them, the node's pod table.
 * Changes nothing but the events switch, which closing turns off.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "main.h"

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
	/* without manifests: the node's pod table, to name peers */
	struct pod_list table;
	uint64_t table_at; /* last read, CLOCK_MONOTONIC */
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
	if (!f->cluster || np_datapath_pod_foreach(f->dp, pod_list_collect, &l))
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
	pod_list_free(&l);
}

/*
 * Who decided a new flow (ev->policies, ev->tier), when the manifests name
 * its rule set and their verdict is the kernel's: the rule of a cluster
 * policy tier that allowed or denied it, the NetworkPolicies that allowed
 * it or isolate the pod.
 */
static void flows_attribute(struct flows *f, struct np_event *ev,
			    struct np_verdict *v)
{
	const char *peer = ev->direction == NP_DIRECTION_EGRESS ? ev->dst_text :
								  ev->src_text;
	size_t i;

	if (ev->reason == NP_REASON_NOT_ISOLATED ||
	    ev->reason == NP_REASON_DEFAULT_ALLOW) {
		ev->tier = NP_TIER_DEFAULT;
		return;
	}
	if ((ev->reason != NP_REASON_RULE && ev->reason != NP_REASON_NO_MATCH &&
	     ev->reason != NP_REASON_EXCEPT && ev->reason != NP_REASON_PORT) ||
	    !f->cluster ||
	    (ev->protocol != IPPROTO_TCP && ev->protocol != IPPROTO_UDP &&
	     ev->protocol != IPPROTO_SCTP))
		return;
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
		return;
	if (np_ruleset_verdict(f->named[i].rs, ev->direction, peer,
			       (enum np_protocol)ev->protocol, ev->dport, v) ||
	    v->allowed != ev->allowed)
		return;
	ev->tier = v->tier;
	if (v->policies[0])
		ev->policies = v->policies;
}

/*
 * Who the peer is and, for a deny, which policies isolate the pod: from
 * the manifests (np_cluster_attribute() on the event's addresses), kept
 * for the last few flows (a burst of drops repeats one flow).
 */
#define PEER_CACHE 64

struct peer_note {
	unsigned int ifindex;
	enum np_direction dir;
	uint8_t proto;
	uint16_t port;
	char src[46], dst[46];
	bool allowed;
	char peer[520]; /* "" when no pod */
	char isolated[1024]; /* "" when none or not a deny */
};

static struct peer_note peer_cache[PEER_CACHE];
static size_t peer_next;

/* Distinct policies of the findings of a denying side, in order. */
static void isolating_of(const struct np_attrib *a, enum np_direction dir,
			 char *buf, size_t size)
{
	struct np_attrib_item it;
	size_t i, n = np_attrib_count(a, dir), len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && !np_attrib_get(a, dir, i, &it); i++) {
		size_t pl = strlen(it.policy);
		const char *at = strstr(buf, it.policy);

		/* already listed: the whole name, between separators */
		if (at && (at == buf || at[-1] == ' ') &&
		    (at[pl] == ',' || at[pl] == '\0'))
			continue;
		if (len + pl + 3 >= size)
			break;
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					len ? ", " : "", it.policy);
	}
}

/*
 * Without manifests: the peer named from the node's pod table, the pods
 * attached here whose addresses the datapath holds (np_datapath_pod ip4,
 * ip6), read again at most once a second when an address is not found.
 */
static const struct peer_note *flows_peer_table(struct flows *f,
						const struct np_event *ev)
{
	static struct peer_note n;
	const char *peer = ev->direction == NP_DIRECTION_EGRESS ? ev->dst_text :
								  ev->src_text;
	uint8_t a[16];
	int fam = strchr(peer, ':') ? AF_INET6 : AF_INET, pass;
	size_t i;

	memset(&n, 0, sizeof(n));
	if (inet_pton(fam, peer, a) != 1)
		return NULL;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < f->table.n; i++) {
			const struct np_datapath_pod *p = &f->table.v[i];
			bool hit = fam == AF_INET ?
					   (p->ip_flags & NP_POD_IP4) &&
						   !memcmp(p->ip4, a, 4) :
					   (p->ip_flags & NP_POD_IP6) &&
						   !memcmp(p->ip6, a, 16);

			if (!hit || !f->table.name[i][0])
				continue;
			snprintf(n.peer, sizeof(n.peer), "%s/%s",
				 f->table.ns[i], f->table.name[i]);
			return &n;
		}
		if (pass ||
		    now_ns(CLOCK_MONOTONIC) - f->table_at < 1000000000ull)
			break;
		pod_list_free(&f->table);
		memset(&f->table, 0, sizeof(f->table));
		f->table_at = now_ns(CLOCK_MONOTONIC);
		if (np_datapath_pod_foreach(f->dp, pod_list_collect, &f->table))
			break;
	}
	return NULL;
}

static const struct peer_note *flows_peer(struct flows *f,
					  const struct np_event *ev)
{
	NP_OPTS(np_attrib_opts, ao, .source = f->copts.source,
		.directions = 1u << ev->direction);
	bool l4 = ev->protocol == IPPROTO_TCP || ev->protocol == IPPROTO_UDP ||
		  ev->protocol == IPPROTO_SCTP;
	enum np_direction other = ev->direction == NP_DIRECTION_INGRESS ?
					  NP_DIRECTION_EGRESS :
					  NP_DIRECTION_INGRESS;
	struct peer_note *n;
	struct np_attrib *a;
	struct np_verdict v;
	const char *pod;
	size_t i;

	if (!f->cluster)
		return flows_peer_table(f, ev);
	for (i = 0; i < PEER_CACHE; i++) {
		n = &peer_cache[i];
		if (n->ifindex == ev->ifindex && n->dir == ev->direction &&
		    n->proto == ev->protocol && n->port == ev->dport &&
		    n->allowed == ev->allowed &&
		    !strcmp(n->src, ev->src_text) &&
		    !strcmp(n->dst, ev->dst_text))
			return n;
	}
	n = &peer_cache[peer_next++ % PEER_CACHE];
	memset(n, 0, sizeof(*n));
	n->ifindex = ev->ifindex;
	n->dir = ev->direction;
	n->proto = ev->protocol;
	n->port = ev->dport;
	n->allowed = ev->allowed;
	snprintf(n->src, sizeof(n->src), "%s", ev->src_text);
	snprintf(n->dst, sizeof(n->dst), "%s", ev->dst_text);
	/* other protocols (ICMP): the ends only, judged as TCP */
	if (np_cluster_attribute(&a, f->cluster, ev->src_text, ev->dst_text,
				 l4 ? (enum np_protocol)ev->protocol :
				      NP_PROTOCOL_TCP,
				 l4 ? ev->dport : 0, &ao, NULL))
		return n;
	pod = np_attrib_pod(a, other);
	if (pod)
		snprintf(n->peer, sizeof(n->peer), "%s", pod);
	/* a new flow the manifests deny as the kernel did */
	if (!ev->allowed && l4 &&
	    (ev->reason == NP_REASON_NO_MATCH ||
	     ev->reason == NP_REASON_EXCEPT || ev->reason == NP_REASON_PORT) &&
	    !np_attrib_verdict(a, ev->direction, &v) && !v.allowed)
		isolating_of(a, ev->direction, n->isolated,
			     sizeof(n->isolated));
	np_attrib_free(a);
	return n;
}

/*
 * The new fields after the EKS agent's and the existing ones: "Peer" (the
 * other end's pod) and "Isolated By" (a deny: the policies isolating the
 * pod in that direction); in text " peer NS/NAME isolated-by P, ...".
 * The names are escaped already (np_escape(), TEXT).
 */
static void flows_append(const struct flows *f, const struct peer_note *n,
			 char *line, size_t size, size_t *len)
{
	char esc[1100];
	size_t l = *len;

	if (!n || l >= size - 1)
		return;
	if (f->fmt == NP_FORMAT_JSON && l && line[l - 1] == '}') {
		l--;
		if (n->peer[0]) {
			np_escape(n->peer, NP_ESCAPE_JSON, esc, sizeof(esc),
				  NULL);
			l += (size_t)snprintf(line + l, size - l,
					      ",\"Peer\":\"%s\"", esc);
		}
		if (n->isolated[0] && l < size) {
			np_escape(n->isolated, NP_ESCAPE_JSON, esc, sizeof(esc),
				  NULL);
			l += (size_t)snprintf(line + l, size - l,
					      ",\"Isolated By\":\"%s\"", esc);
		}
		if (l < size)
			l += (size_t)snprintf(line + l, size - l, "}");
	} else if (f->fmt == NP_FORMAT_TEXT) {
		if (n->peer[0])
			l += (size_t)snprintf(line + l, size - l, " peer %s",
					      n->peer);
		if (n->isolated[0] && l < size)
			l += (size_t)snprintf(line + l, size - l,
					      " isolated-by %s", n->isolated);
	}
	*len = l < size ? l : size - 1;
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
	flows_attribute(f, &e, &v);
	np_event_format(&e, f->fmt, line, sizeof(line), &len);
	if (e.reason != NP_REASON_CONNTRACK && e.reason != NP_REASON_RELATED)
		flows_append(f, flows_peer(f, &e), line, sizeof(line), &len);
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

/*
 * The --output file, at start and again on SIGHUP (log rotation): opened
 * for appending, created mode 0600; a symbolic link (O_NOFOLLOW) or
 * anything but a regular file is refused, so that whoever can write the
 * log's directory cannot point the log at another file.
 */
static int flows_open_output(struct flows *f)
{
	struct stat st;
	FILE *o;
	int fd, err;

	if (!f->path) {
		f->out = stdout;
		return 0;
	}
	/* O_NONBLOCK: a FIFO must not block the open */
	fd = open(f->path,
		  O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC |
			  O_NOCTTY | O_NONBLOCK,
		  0600);
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP)
			fprintf(stderr,
				"netpol: %s: a symbolic link: refused\n",
				f->path);
		else if (err == -ENXIO) /* a FIFO without reader, a socket */
			fprintf(stderr,
				"netpol: %s: not a regular file: refused\n",
				f->path);
		else
			fprintf(stderr, "netpol: %s: %s\n", f->path,
				strerror(-err));
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "netpol: %s: not a regular file: refused\n",
			f->path);
		close(fd);
		return -EINVAL;
	}
	o = fdopen(fd, "a");
	if (!o || fcntl(fd, F_SETFL, O_WRONLY | O_APPEND)) {
		err = -errno;
		fprintf(stderr, "netpol: %s: %s\n", f->path, strerror(-err));
		if (o)
			fclose(o);
		else
			close(fd);
		return err;
	}
	if (f->out && f->out != stdout)
		fclose(f->out);
	f->out = o;
	return 0;
}

static uint64_t lost_now(struct np_datapath *dp)
{
	struct np_datapath_stats st;

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
	pod_list_free(&f.table);
	if (f.out && f.out != stdout)
		fclose(f.out);
	return ret;
usage:
	fputs("usage: netpol flows [--follow] [--pod NS/NAME] "
	      "[--verdict allow|deny] [-o json|text] [--output FILE]\n"
	      "       [--rate LINES/S] [--burst LINES] [--count N] "
	      "[--duration SEC] [--source policies|endpoints]\n"
	      "       [--pin-root DIR] [FILE...]\n",
	      stderr);
	return 2;
}
