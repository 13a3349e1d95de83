/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol metrics: the counters of an existing datapath in the Prometheus
 * text format, under the EKS agent's names and netpol's own; printed
 * once, or served over HTTP at /metrics (--listen) until a signal stops
 * it. With manifests, the drops of each pod are also labelled with the
 * policies that apply to it.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

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

static void prom_head(FILE *o, const char *name, const char *type,
		      const char *help)
{
	fprintf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The pod's labels, without the closing brace. */
static void prom_pod_open(FILE *o, const struct pod_list *l, size_t i, int d)
{
	fputs("{namespace=\"", o);
	prom_label(o, l->ns[i]);
	fputs("\",pod=\"", o);
	/* an unnamed pod: its interface, so series stay distinct */
	prom_label(o, l->name[i][0] ? l->name[i] : l->v[i].ifname);
	fprintf(o, "\",direction=\"%s\"", np_direction_name(d));
}

static void prom_pod(FILE *o, const struct pod_list *l, size_t i, int d,
		     const char *verdict)
{
	prom_pod_open(o, l, i, d);
	if (verdict)
		fprintf(o, ",verdict=\"%s\"", verdict);
	fputs("}", o);
}

/* One series of a pod and direction: name{labels} value. */
static void prom_line(FILE *o, const char *name, const struct pod_list *l,
		      size_t i, int d, const char *verdict, uint64_t v)
{
	fputs(name, o);
	prom_pod(o, l, i, d, verdict);
	fprintf(o, " %" PRIu64 "\n", v);
}

/* What a scrape reads: the datapath, and the manifests when given. */
struct msrc {
	struct dp_args a;
	struct np_cluster *c; /* NULL: no manifests */
	enum np_source source;
};

/*
 * The next item of a list "a, b (Admin), c": *p ends at the item (its
 * tier suffix cut off) and the rest follows; its tier's name.
 */
static const char *next_policy(char *p, char **rest)
{
	char *next = strstr(p, ", "), *end;

	if (next) {
		*next = '\0';
		next += 2;
	} else {
		next = p + strlen(p);
	}
	*rest = next;
	end = p + strlen(p);
	if (end - p > 8 && !strcmp(end - 8, " (Admin)")) {
		end[-8] = '\0';
		return "Admin";
	}
	if (end - p > 11 && !strcmp(end - 11, " (Baseline)")) {
		end[-11] = '\0';
		return "Baseline";
	}
	return "NetworkPolicy";
}

/*
 * Each policy that applies to pod i in direction d (np_cluster_isolating:
 * "ns/a, ns/b, cnp/x (Admin)"), labelled with the pod's drops there.
 */
static void prom_policy_drops(FILE *o, const struct msrc *m,
			      const struct pod_list *l, size_t i, int d,
			      const struct np_datapath_counters *c)
{
	NP_OPTS(np_attrib_opts, ao, .source = m->source);
	char *pol = NULL, *p, *next;

	if (!l->name[i][0] ||
	    np_cluster_isolating(m->c, l->ns[i], l->name[i], d, &ao, &pol,
				 NULL) ||
	    !pol)
		return;
	for (p = pol; *p; p = next) {
		const char *tier = next_policy(p, &next);

		fputs("netpol_policy_drop_packets_total", o);
		prom_pod_open(o, l, i, d);
		fputs(",policy=\"", o);
		prom_label(o, p);
		fprintf(o, "\",tier=\"%s\"} %" PRIu64 "\n", tier,
			c->denied_packets);
	}
	np_free(pol);
}

/* One policy's packets and bytes of one pod and direction. */
struct pol_count {
	char policy[512];
	const char *tier;
	struct np_datapath_counters c;
};

struct key_walk {
	const struct np_ruleset *rs;
	int dir;
	struct pol_count *v;
	size_t n, cap;
};

/* "ns/p ingress[0], cnp/x egress[1] (Admin)": each policy's name, tier. */
static int add_policies(struct key_walk *w, const char *policies,
			const struct np_datapath_counters *c)
{
	char buf[512], *p, *next;

	snprintf(buf, sizeof(buf), "%s", policies);
	for (p = buf; *p; p = next) {
		const char *tier = next_policy(p, &next);
		char *sp;
		size_t i;

		sp = strchr(p, ' '); /* the rule ("ingress[0]") goes */
		if (sp)
			*sp = '\0';
		for (i = 0; i < w->n; i++)
			if (!strcmp(w->v[i].policy, p))
				break;
		if (i == w->n) {
			if (w->n == w->cap) {
				size_t cap = w->cap ? 2 * w->cap : 8;
				struct pol_count *v =
					realloc(w->v, cap * sizeof(*v));

				if (!v)
					return -ENOMEM;
				w->v = v;
				w->cap = cap;
			}
			memset(&w->v[i], 0, sizeof(w->v[i]));
			snprintf(w->v[i].policy, sizeof(w->v[i].policy), "%s",
				 p);
			w->v[i].tier = tier;
			w->n++;
		}
		w->v[i].c.allowed_packets += c->allowed_packets;
		w->v[i].c.allowed_bytes += c->allowed_bytes;
		w->v[i].c.denied_packets += c->denied_packets;
		w->v[i].c.denied_bytes += c->denied_bytes;
	}
	return 0;
}

/*
 * One live key that counted something: the policies that decide it, by
 * the compiled rule set (the verdict of the key's first address for each
 * port range, or any port when the key allows every port or none), get
 * its counters, once each.
 */
static int key_counted(void *ctx, const struct np_datapath_rule *r)
{
	struct key_walk *w = ctx;
	char addr[64], all[512] = "";
	struct np_verdict v;
	size_t i, n;
	char *slash;

	if (!r->counters)
		return 0;
	snprintf(addr, sizeof(addr), "%s", r->cidr);
	slash = strchr(addr, '/');
	if (slash)
		*slash = '\0';
	n = r->all || !r->nranges ? 1 : r->nranges;
	for (i = 0; i < n; i++) {
		enum np_protocol proto = NP_PROTOCOL_TCP;
		uint16_t port = 1;

		if (!r->all && r->nranges) {
			proto = (enum np_protocol)r->ranges[i].protocol;
			port = r->ranges[i].first;
		}
		if (np_ruleset_verdict(w->rs, w->dir, addr, proto, port, &v) ||
		    !v.policies[0] || strstr(all, v.policies))
			continue;
		if (all[0])
			strncat(all, ", ", sizeof(all) - strlen(all) - 1);
		strncat(all, v.policies, sizeof(all) - strlen(all) - 1);
	}
	return all[0] ? add_policies(w, all, r->counters) : 0;
}

/*
 * With per-key counters on: pod i's packets in direction d under each
 * policy whose rules its live keys hold (the manifests compiled), by
 * verdict.
 */
static void prom_policy_keys(FILE *o, struct np_datapath *dp,
			     const struct msrc *m, const struct pod_list *l,
			     size_t i, int d)
{
	NP_OPTS(np_compile_opts, co, .source = m->source);
	struct key_walk w = { .dir = d };
	struct np_ruleset *rs = NULL;
	size_t k;

	if (!l->name[i][0] || !l->v[i].ruleset[d] ||
	    np_ruleset_compile(&rs, m->c, l->ns[i], l->name[i], &co, NULL))
		return;
	w.rs = rs;
	if (!np_datapath_rule_foreach(dp, l->v[i].ruleset[d], key_counted, &w))
		for (k = 0; k < w.n; k++) {
			static const char *const vd[2] = { "allow", "deny" };
			int x;

			for (x = 0; x < 2; x++) {
				fputs("netpol_policy_packets_total", o);
				prom_pod_open(o, l, i, d);
				fputs(",policy=\"", o);
				prom_label(o, w.v[k].policy);
				fprintf(o,
					"\",tier=\"%s\",verdict=\"%s\"} %" PRIu64
					"\n",
					w.v[k].tier, vd[x],
					x ? w.v[k].c.denied_packets :
					    w.v[k].c.allowed_packets);
			}
		}
	free(w.v);
	np_ruleset_free(rs);
}

/* The policy programming latency histogram, under the EKS agent's name. */
static void prom_latency(FILE *o, struct np_datapath *dp)
{
	static const char name[] =
		"awsnodeagent_policy_programming_latency_seconds";
	struct np_latency_hist h;
	size_t i;

	if (np_datapath_latency(dp, &h))
		return;
	prom_head(o, name, "histogram",
		  "Time from a policy change to its maps and endpoint records "
		  "being in force (np_datapath_apply(), or a transaction's "
		  "begin to its commit).");
	for (i = 0; i < h.nbuckets && i < NP_LATENCY_MAX_BUCKETS; i++)
		fprintf(o, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
			h.bounds[i], h.counts[i]);
	fprintf(o, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h.count);
	fprintf(o, "%s_sum %.9g\n", name, h.sum);
	fprintf(o, "%s_count %" PRIu64 "\n", name, h.count);
}

/* The whole exposition into o. 0, or a negative errno (nothing useful). */
static int metrics_write(FILE *o, const struct msrc *m)
{
	static const char *const fams[2] = { "ipv4", "ipv6" };
	struct np_datapath_stats st;
	struct np_datapath_counters(*c)[2] = NULL;
	struct np_datapath_hook(*hk)[2] = NULL;
	struct pod_list l = { 0 };
	struct np_datapath *dp;
	size_t i;
	int err, d, fam;

	if (dp_open_existing(&dp, &m->a))
		return -ENOENT;
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
	prom_head(o, "network_policy_drop_count_total", "counter",
		  "Packets dropped by network policy.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++)
			prom_line(o, "network_policy_drop_count_total", &l, i,
				  d, NULL, c[i][d].denied_packets);
	prom_head(o, "network_policy_drop_bytes_total", "counter",
		  "Bytes dropped by network policy.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++)
			prom_line(o, "network_policy_drop_bytes_total", &l, i,
				  d, NULL, c[i][d].denied_bytes);
	prom_head(o, "netpol_packets_total", "counter",
		  "Packets judged by network policy, by verdict.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++) {
			prom_line(o, "netpol_packets_total", &l, i, d, "allow",
				  c[i][d].allowed_packets);
			prom_line(o, "netpol_packets_total", &l, i, d, "deny",
				  c[i][d].denied_packets);
		}
	prom_head(o, "netpol_bytes_total", "counter",
		  "Bytes judged by network policy, by verdict.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++) {
			prom_line(o, "netpol_bytes_total", &l, i, d, "allow",
				  c[i][d].allowed_bytes);
			prom_line(o, "netpol_bytes_total", &l, i, d, "deny",
				  c[i][d].denied_bytes);
		}
	if (m->c && st.rule_counters_on) {
		prom_head(o, "netpol_policy_packets_total", "counter",
			  "Packets of the keys a policy's rules made, by "
			  "verdict (per-key counters on; by the manifests).");
		for (i = 0; i < l.n; i++)
			for (d = 0; d < 2; d++)
				if (l.v[i].state[d] == NP_POD_ENFORCED)
					prom_policy_keys(o, dp, m, &l, i, d);
	}
	if (m->c) {
		prom_head(o, "netpol_policy_drop_packets_total", "counter",
			  "Packets the pod dropped in that direction, under "
			  "each policy that applies to it there (by the "
			  "manifests).");
		for (i = 0; i < l.n; i++)
			for (d = 0; d < 2; d++)
				if (l.v[i].state[d] == NP_POD_ENFORCED)
					prom_policy_drops(o, m, &l, i, d,
							  &c[i][d]);
	}
	prom_head(o, "netpol_pod_enforced", "gauge",
		  "1 when a rule set decides the pod's traffic in that "
		  "direction, 0 in a default or unisolated state.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++) {
			fputs("netpol_pod_enforced", o);
			prom_pod(o, &l, i, d, NULL);
			fprintf(o, " %d\n", l.v[i].state[d] == NP_POD_ENFORCED);
		}
	prom_head(o, "netpol_hook_ok", "gauge",
		  "1 when the pod's tc filter for that direction runs this "
		  "datapath's program.");
	for (i = 0; i < l.n; i++)
		for (d = 0; d < 2; d++) {
			fputs("netpol_hook_ok", o);
			prom_pod(o, &l, i, d, NULL);
			fprintf(o, " %d\n", hk[i][d].state == NP_HOOK_OK);
		}
	prom_head(o, "netpol_conntrack_entries", "gauge",
		  "Conntrack entries in use (expired ones until reused).");
	for (fam = 0; fam < 2; fam++)
		fprintf(o,
			"netpol_conntrack_entries{family=\"%s\"} %" PRIu64 "\n",
			fams[fam], st.ct_entries[fam]);
	prom_head(o, "netpol_conntrack_capacity", "gauge",
		  "Conntrack entries the map holds.");
	for (fam = 0; fam < 2; fam++)
		fprintf(o,
			"netpol_conntrack_capacity{family=\"%s\"} %" PRIu64
			"\n",
			fams[fam], st.ct_capacity[fam]);
	prom_head(o, "netpol_conntrack_occupancy_ratio", "gauge",
		  "Conntrack entries in use over the map's capacity.");
	for (fam = 0; fam < 2; fam++)
		fprintf(o,
			"netpol_conntrack_occupancy_ratio{family=\"%s\"} %g\n",
			fams[fam],
			st.ct_capacity[fam] ?
				(double)st.ct_entries[fam] /
					(double)st.ct_capacity[fam] :
				0.0);
	prom_head(o, "netpol_conntrack_evictions_total", "counter",
		  "Conntrack entries evicted to make room for new flows (the "
		  "table was full): created - deleted by gc - present.");
	for (fam = 0; fam < 2; fam++)
		fprintf(o,
			"netpol_conntrack_evictions_total{family=\"%s\"} %" PRIu64
			"\n",
			fams[fam], st.ct_evictions[fam]);
	prom_head(o, "netpol_lpm_entries", "gauge",
		  "Rule keys of every loaded rule set (host hash, "
		  "per-length hash and LPM trie).");
	for (fam = 0; fam < 2; fam++)
		fprintf(o, "netpol_lpm_entries{family=\"%s\"} %" PRIu64 "\n",
			fams[fam], st.lpm_entries[fam]);
	prom_head(o, "netpol_lpm_capacity", "gauge",
		  "Rule keys the host hash, the per-length hash and the LPM "
		  "trie hold.");
	for (fam = 0; fam < 2; fam++)
		fprintf(o, "netpol_lpm_capacity{family=\"%s\"} %" PRIu64 "\n",
			fams[fam], st.lpm_capacity[fam]);
	prom_latency(o, dp);
	prom_head(o, "netpol_rule_counters_enabled", "gauge",
		  "1 while per-key counters are switched on.");
	fprintf(o, "netpol_rule_counters_enabled %d\n",
		st.rule_counters_on ? 1 : 0);
	prom_head(o, "netpol_events_lost_total", "counter",
		  "Flow events dropped because the ring buffer was full.");
	fprintf(o, "netpol_events_lost_total %" PRIu64 "\n", st.events_lost);
	prom_head(o, "netpol_events_enabled", "gauge",
		  "1 while flow events are switched on.");
	fprintf(o, "netpol_events_enabled %d\n", st.events_on ? 1 : 0);
	prom_head(o, "netpol_pods", "gauge", "Pods attached.");
	fprintf(o, "netpol_pods %" PRIu64 "\n", st.pods);
	prom_head(
		o, "netpol_rulesets", "gauge",
		"Distinct rule sets loaded (pods with equal rules share one).");
	fprintf(o, "netpol_rulesets %" PRIu64 "\n", st.rulesets);
out:
	free(c);
	free(hk);
	pod_list_free(&l);
	np_datapath_close(dp);
	return err;
}

/* --- the HTTP endpoint ----------------------------------------------------- */

static volatile sig_atomic_t stop_sig, reload_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_sig = 1;
}

/*
 * ADDR:PORT into a socket address: an IPv4 address, [IPv6] or an empty
 * ADDR (every address, both families). -EINVAL when it is neither.
 */
static int listen_addr(const char *arg, struct sockaddr_storage *ss,
		       socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	const char *colon = strrchr(arg, ':');
	char host[64];
	unsigned long port;
	char *end;
	size_t n;

	if (!colon || !colon[1])
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !port || port > 65535 || colon[1] == '+' ||
	    colon[1] == '-')
		return -EINVAL;
	n = (size_t)(colon - arg);
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, arg, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (!n) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -EINVAL;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	*len = sizeof(*s4);
	return 0;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return; /* the client went: nothing to tell it */
		p += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, int code, const char *reason, const char *extra,
		    const char *body, size_t len, bool head)
{
	char h[512];
	int n = snprintf(h, sizeof(h),
			 "HTTP/1.1 %d %s\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "%s"
			 "Connection: close\r\n\r\n",
			 code, reason,
			 code == 200 ?
				 "text/plain; version=0.0.4; charset=utf-8" :
				 "text/plain; charset=utf-8",
			 len, extra ? extra : "");

	if (n > 0 && (size_t)n < sizeof(h))
		send_all(fd, h, (size_t)n);
	if (!head)
		send_all(fd, body, len);
}

/*
 * One connection: read the request head (at most 8 KiB, 5 s), answer
 * GET or HEAD of /metrics with a fresh scrape, anything else with its
 * error, then close. One at a time: a scrape takes milliseconds.
 */
static void serve_one(int fd, const struct msrc *m)
{
	struct timeval tv = { .tv_sec = 5 };
	char req[8192], *sp, *path, *eol;
	size_t got = 0;
	bool head;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t r = recv(fd, req + got, sizeof(req) - 1 - got, 0);

		if (r <= 0)
			return;
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
		if (got == sizeof(req) - 1) {
			respond(fd, 431, "Request Header Fields Too Large",
				NULL, "request too large\n", 18, false);
			return;
		}
	}
	eol = strpbrk(req, "\r\n");
	*eol = '\0';
	sp = strchr(req, ' ');
	path = sp ? sp + 1 : NULL;
	sp = path ? strchr(path, ' ') : NULL;
	if (!sp || strncmp(sp + 1, "HTTP/1.", 7)) {
		respond(fd, 400, "Bad Request", NULL, "bad request\n", 12,
			false);
		return;
	}
	*sp = '\0';
	path[-1] = '\0';
	head = !strcmp(req, "HEAD");
	if (!head && strcmp(req, "GET")) {
		respond(fd, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n",
			"only GET and HEAD\n", 18, false);
		return;
	}
	if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9)) {
		respond(fd, 404, "Not Found", NULL, "not found: try /metrics\n",
			24, head);
		return;
	}
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *o = open_memstream(&buf, &len);
		int err = o ? metrics_write(o, m) : -ENOMEM;

		if (o)
			fclose(o);
		if (err) {
			static const char msg[] =
				"the datapath cannot be read\n";

			respond(fd, 503, "Service Unavailable", NULL, msg,
				sizeof(msg) - 1, head);
		} else {
			respond(fd, 200, "OK", NULL, buf, len, head);
		}
		free(buf);
	}
}

static int serve(const char *addr, struct msrc *m, char **files, int nfiles)
{
	struct sockaddr_storage ss;
	struct sigaction sa = { 0 };
	socklen_t len;
	int fd, one = 1, zero = 0;

	if (listen_addr(addr, &ss, &len)) {
		fprintf(stderr,
			"netpol: metrics: --listen: invalid value '%s' "
			"(expected ADDR:PORT: an IPv4 address, [IPv6] or "
			"nothing, and a port from 1 to 65535)\n",
			addr);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "netpol: metrics: socket: %s\n",
			strerror(errno));
		return 2;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		fprintf(stderr, "netpol: metrics: --listen %s: %s\n", addr,
			strerror(errno));
		close(fd);
		return 2;
	}
	/* no SA_RESTART: a signal ends the wait in accept() */
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	fprintf(stderr, "netpol: metrics: serving http://%s/metrics\n", addr);
	while (!stop_sig) {
		int c;

		if (reload_sig) {
			struct np_cluster *nc = NULL;
			size_t problems = 0;
			int err;

			reload_sig = 0;
			err = nfiles ? tool_load(&nc, files, nfiles, true,
						 &problems) :
				       -ENOENT;
			/* -EINVAL: some objects were invalid, the rest kept */
			if (!err || err == -EINVAL) {
				np_cluster_free(m->c);
				m->c = nc;
				fprintf(stderr, "netpol: metrics: manifests "
						"reloaded\n");
			}
		}
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue; /* EINTR: a signal; else try again */
		serve_one(c, m);
		close(c);
	}
	close(fd);
	return 0;
}

int cmd_metrics(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "listen", 1, 0, 'l' },
					    { "source", 1, 0, 's' },
					    { 0, 0, 0, 0 } };
	struct msrc m = { .source = NP_SOURCE_POLICIES };
	const char *listen_on = NULL;
	size_t problems = 0;
	int opt, r, err = 0;
	FILE *o;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		r = dp_option(&m.a, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (opt == 'l')
			listen_on = optarg;
		else if (opt == 's') {
			if (tool_parse_source(optarg, &m.source))
				return 2;
		} else
			return tool_usage();
	}
	if (optind < argc) {
		err = tool_load(&m.c, argv + optind, argc - optind, true,
				&problems);
		if (err && err != -EINVAL) {
			np_cluster_free(m.c);
			return 2;
		}
	}
	if (listen_on) {
		r = serve(listen_on, &m, argv + optind, argc - optind);
		np_cluster_free(m.c);
		return r;
	}
	o = stdout;
	err = metrics_write(o, &m);
	np_cluster_free(m.c);
	return err ? 2 : 0;
}
