// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Conformance scenarios with real traffic: the upstream e2e model
 * (tests/conformance/model.yaml: namespaces x, y, z, pods a, b, c, each
 * serving 80 and 81 on TCP and UDP) as network namespaces on a private
 * node namespace, the library's datapath on their host veths. For each
 * scenario every pod's rule set is compiled and applied, then every pod
 * connects to every pod on TCP and UDP 80 and 81, all at once; the
 * observed tables must print exactly as np_cluster_matrix() (what
 * `netpol matrix` prints) does, and every cell must equal the scenario's
 * expect.txt where it has that table. SCTP is left out (not every kernel
 * has it).
 *
 *   model_traffic CONFORMANCE_DIR CASE...
 *
 * TAP: one result per scenario; one diagnostic line per wrong cell.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netpol.h>

#include "netns.h"

#define MAXPODS 16
#define TMO 400 /* ms: the first try of every probe */
#define RETRY 2000 /* ms: the second try of a cell that looks wrong */

struct mpod {
	char name[64]; /* ns/name */
	char ip4[16], ip6[48];
	struct npt_pod p;
	bool created;
};

static struct mpod mp[MAXPODS];
static int nmp;
static const char *confdir;
static char pin_root[64];
static struct np_datapath *dp;

static const uint16_t ports[] = { 80, 81 };
static const enum np_protocol protos[] = { NP_PROTOCOL_TCP, NP_PROTOCOL_UDP };

static void log_warn(void *ctx, enum np_log_level l, const char *msg)
{
	(void)ctx;
	if (l <= NP_LOG_WARN)
		fprintf(stderr, "netpol: %s\n", msg);
}

static void teardown(void)
{
	int i;

	if (dp)
		np_datapath_destroy(dp);
	dp = NULL;
	for (i = 0; i < nmp; i++)
		if (mp[i].created)
			npt_pod_destroy(&mp[i].p);
	nmp = 0;
	if (*pin_root)
		npt_sh("rm -rf '%s'", pin_root);
}

static void bail(const char *fmt, const char *arg, int err)
{
	printf("Bail out! %s%s%s\n", fmt, arg ? arg : "",
	       err ? np_strerror(err) : "");
	teardown();
	exit(1);
}

static struct mpod *find(const char *name)
{
	int i;

	for (i = 0; i < nmp; i++)
		if (!strcmp(mp[i].name, name))
			return &mp[i];
	return NULL;
}

/* --- the pods of the model ---------------------------------------------- */

static int collect(void *ctx, const char *from, const char *from_ip,
		   const char *to, const char *to_ip, enum np_protocol proto,
		   uint16_t port, bool *allowed)
{
	int family = *(int *)ctx;
	struct mpod *m = find(from);

	(void)to;
	(void)to_ip;
	(void)proto;
	(void)port;
	*allowed = false;
	if (!m) {
		if (nmp == MAXPODS)
			return -E2BIG;
		m = &mp[nmp++];
		snprintf(m->name, sizeof(m->name), "%s", from);
	}
	if (family == 4)
		snprintf(m->ip4, sizeof(m->ip4), "%s", from_ip);
	else
		snprintf(m->ip6, sizeof(m->ip6), "%s", from_ip);
	return 0;
}

static struct np_cluster *load(const char *policy)
{
	NP_OPTS(np_cluster_opts, co, .log = log_warn);
	NP_OPTS(np_load_opts, lo);
	struct np_cluster *c = NULL;
	struct np_diag d;
	char path[512];
	int err;

	memset(&d, 0, sizeof(d));
	err = np_cluster_new(&c, &co);
	snprintf(path, sizeof(path), "%s/model.yaml", confdir);
	if (!err)
		err = np_cluster_load_file(c, path, &lo, &d);
	if (!err && policy)
		err = np_cluster_load_file(c, policy, &lo, &d);
	if (err) {
		char buf[1024];

		np_diag_format(&d, buf, sizeof(buf));
		fprintf(stderr, "%s: %s\n", policy ? policy : path, buf);
		np_cluster_free(c);
		return NULL;
	}
	return c;
}

static void setup_pods(void)
{
	NP_OPTS(np_datapath_opts, o, .pin_root = pin_root, .log = log_warn);
	struct np_cluster *c = load(NULL);
	int fam, i, err = 0;
	char *out = NULL;

	if (!c)
		bail("cannot load the model", NULL, 0);
	for (fam = 4; !err && fam <= 6; fam += 2) {
		NP_OPTS(np_matrix_opts, mo, .family = fam, .decide = collect,
			.decide_ctx = &fam);
		struct np_diag d;

		err = np_cluster_matrix(c, &mo, NP_FORMAT_TEXT, &out, &d);
		np_free(out);
	}
	np_cluster_free(c);
	if (err || !nmp)
		bail("no pods in the model: ", NULL, err);
	err = np_datapath_open(&dp, &o);
	if (err)
		bail("np_datapath_open: ", NULL, err);
	for (i = 0; i < nmp; i++) {
		struct mpod *m = &mp[i];
		char tag[16], ns[sizeof(m->name)], *name;
		size_t k;

		memcpy(ns, m->name, sizeof(ns));
		name = strchr(ns, '/');
		if (!name)
			bail("bad pod name ", m->name, 0);
		*name++ = '\0';
		snprintf(tag, sizeof(tag), "p%d", i);
		if (npt_pod_create(&m->p, tag, *m->ip4 ? m->ip4 : NULL,
				   *m->ip6 ? m->ip6 : NULL))
			bail("cannot create pod ", m->name, 0);
		m->created = true;
		for (k = 0; k < 4; k++)
			if (npt_serve(&m->p, k & 1 ? IPPROTO_UDP : IPPROTO_TCP,
				      ports[k / 2]))
				bail("cannot serve in ", m->name, 0);
		NP_OPTS(np_attach_opts, ao, .ifname = m->p.host_if,
			.pod_ns = ns, .pod_name = name);

		err = np_datapath_attach(dp, &ao, NULL);
		if (err)
			bail("np_datapath_attach: ", NULL, err);
	}
}

/* --- matrix text: "PROTO/PORT", a header row, then rows of cells -------- */

/* The cell of from -> to in table "TCP/80" of text, or 0. */
static char lookup(const char *text, const char *table, const char *from,
		   const char *to)
{
	char head[32], *copy = strdup(text), *save = NULL, *line;
	char *cols[MAXPODS];
	int ncols = 0, state = 0, i;
	char r = 0;

	snprintf(head, sizeof(head), "%s", table);
	for (line = strtok_r(copy, "\n", &save); line && !r;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tok, *s2 = NULL;

		if (state == 0) {
			state = !strcmp(line, head);
			continue;
		}
		if (state == 1) { /* "-\tx/a\tx/b..." */
			for (tok = strtok_r(line, "\t", &s2), ncols = 0;
			     tok && ncols < MAXPODS;
			     tok = strtok_r(NULL, "\t", &s2))
				cols[ncols++] = tok;
			state = 2;
			continue;
		}
		if (!strchr(line, '\t'))
			break; /* the next table */
		tok = strtok_r(line, "\t", &s2);
		if (strcmp(tok, from))
			continue;
		for (i = 1; i < ncols; i++) {
			tok = strtok_r(NULL, "\t", &s2);
			if (tok && !strcmp(cols[i], to))
				r = *tok;
		}
		break;
	}
	free(copy);
	return r;
}

/* --- one scenario --------------------------------------------------------- */

struct cell {
	const struct mpod *from, *to;
	enum np_protocol proto;
	uint16_t port;
	struct npt_probe_req req;
};

struct run {
	struct cell *cells;
	size_t n, cap;
	bool replay; /* second pass: answer from the probes */
	size_t next;
};

static int cells_cb(void *ctx, const char *from, const char *from_ip,
		    const char *to, const char *to_ip, enum np_protocol proto,
		    uint16_t port, bool *allowed)
{
	struct run *r = ctx;
	struct cell *c;

	(void)from_ip;
	if (r->replay) {
		if (r->next >= r->n)
			return -ERANGE;
		c = &r->cells[r->next++];
		if (strcmp(c->from->name, from) || strcmp(c->to->name, to) ||
		    c->proto != proto || c->port != port)
			return -ERANGE;
		*allowed = c->req.result == 0;
		return 0;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 512;
		r->cells = realloc(r->cells, r->cap * sizeof(*r->cells));
		if (!r->cells)
			return -ENOMEM;
	}
	c = &r->cells[r->n++];
	memset(c, 0, sizeof(*c));
	c->from = find(from);
	c->to = find(to);
	if (!c->from || !c->to)
		return -ENOENT;
	c->proto = proto;
	c->port = port;
	c->req.from = &c->from->p;
	c->req.proto = proto == NP_PROTOCOL_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	c->req.dst = strchr(to_ip, ':') ? c->to->ip6 : c->to->ip4;
	c->req.port = port;
	*allowed = false;
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int family_of(const char *casedir)
{
	char path[600], *args, *p;
	int fam = 4;

	snprintf(path, sizeof(path), "%s/args", casedir);
	args = slurp(path);
	p = args ? strstr(args, "--family") : NULL;
	if (p && strstr(p, "6"))
		fam = 6;
	free(args);
	return fam;
}

static const char *pname(enum np_protocol p)
{
	return p == NP_PROTOCOL_TCP ? "TCP" : "UDP";
}

static bool run_case(int nr, const char *name)
{
	char casedir[512], path[600], table[32];
	struct np_cluster *c;
	struct run r = { 0 };
	char *user = NULL, *real = NULL, *expect;
	size_t i, compared = 0, wrong = 0;
	int fam, err = 0, j;
	struct np_diag d;
	bool ok = true;

	snprintf(casedir, sizeof(casedir), "%s/cases/%s", confdir, name);
	snprintf(path, sizeof(path), "%s/policy.yaml", casedir);
	fam = family_of(casedir);
	c = load(path);
	if (!c) {
		printf("not ok %d - %s # cannot load it\n", nr, name);
		return false;
	}
	/* what an agent does: every pod gets its compiled rule set */
	for (j = 0; !err && j < nmp; j++) {
		NP_OPTS(np_compile_opts, copts);
		struct np_ruleset *rs;
		char ns[sizeof(mp->name)], *pod;

		memcpy(ns, mp[j].name, sizeof(ns));
		pod = strchr(ns, '/');
		*pod++ = '\0';
		memset(&d, 0, sizeof(d));
		err = np_ruleset_compile(&rs, c, ns, pod, &copts, &d);
		if (!err) {
			err = np_datapath_apply(dp, mp[j].p.ifindex, rs, &d);
			np_ruleset_free(rs);
		}
	}
	{
		NP_OPTS(np_matrix_opts, mo, .ports = ports, .nports = 2,
			.protocols = protos, .nprotocols = 2, .family = fam);

		if (!err)
			err = np_cluster_matrix(c, &mo, NP_FORMAT_TEXT, &user,
						&d);
		mo.decide = cells_cb;
		mo.decide_ctx = &r;
		if (!err)
			err = np_cluster_matrix(c, &mo, NP_FORMAT_TEXT, &real,
						&d);
		np_free(real);
		real = NULL;
		if (!err) {
			struct npt_probe_req *reqs;

			reqs = calloc(r.n, sizeof(*reqs));
			for (i = 0; reqs && i < r.n; i++)
				reqs[i] = r.cells[i].req;
			if (!reqs || npt_probe_many(reqs, r.n, TMO))
				err = -EIO;
			for (i = 0; !err && i < r.n; i++)
				r.cells[i].req = reqs[i];
			free(reqs);
		}
		snprintf(path, sizeof(path), "%s/expect.txt", casedir);
		expect = slurp(path);
		/* a cell that disagrees gets a second, slower chance */
		for (i = 0; !err && i < r.n; i++) {
			struct cell *ce = &r.cells[i];
			char u, e, got = ce->req.result ? 'X' : '.';

			snprintf(table, sizeof(table), "%s/%u",
				 pname(ce->proto), ce->port);
			u = lookup(user, table, ce->from->name, ce->to->name);
			e = expect ? lookup(expect, table, ce->from->name,
					    ce->to->name) :
				     0;
			if ((got != u || (e && got != e)) &&
			    npt_probe_many(&ce->req, 1, RETRY))
				err = -EIO;
		}
		r.replay = true;
		if (!err)
			err = np_cluster_matrix(c, &mo, NP_FORMAT_TEXT, &real,
						&d);
	}
	np_cluster_free(c);
	if (err) {
		printf("not ok %d - %s # %s\n", nr, name, np_strerror(err));
		ok = false;
		goto out;
	}
	for (i = 0; i < r.n; i++) {
		struct cell *ce = &r.cells[i];
		char got = ce->req.result == 0 ? '.' :
			   ce->req.result == 1 ? 'X' :
						 '?';
		char u, e;

		snprintf(table, sizeof(table), "%s/%u", pname(ce->proto),
			 ce->port);
		u = lookup(user, table, ce->from->name, ce->to->name);
		e = expect ? lookup(expect, table, ce->from->name,
				    ce->to->name) :
			     0;
		compared += e != 0;
		if (got == u && (!e || got == e))
			continue;
		if (ok)
			printf("not ok %d - %s (IPv%d)\n", nr, name, fam);
		ok = false;
		if (++wrong <= 40)
			printf("# %s -> %s %s: real %c, netpol matrix %c, "
			       "expect.txt %c\n",
			       ce->from->name, ce->to->name, table, got, u,
			       e ? e : '-');
	}
	if (ok && strcmp(user, real)) {
		printf("not ok %d - %s # the tables differ in form\n", nr,
		       name);
		ok = false;
	}
	if (ok && !compared) {
		printf("not ok %d - %s # no table of expect.txt compared\n", nr,
		       name);
		ok = false;
	}
	if (ok)
		printf("ok %d - %s (IPv%d, %zu connections, %zu cells of "
		       "expect.txt)\n",
		       nr, name, fam, r.n, compared);
	free(expect);
out:
	np_free(user);
	np_free(real);
	free(r.cells);
	return ok;
}

int main(int argc, char **argv)
{
	bool ok = true;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: %s CONFORMANCE_DIR CASE...\n", argv[0]);
		return 2;
	}
	confdir = argv[1];
	if (geteuid()) {
		printf("1..0 # SKIP needs root (network namespaces, bpf)\n");
		return 0;
	}
	npt_cleanup_stale();
	npt_cleanup_stale_pins("/sys/fs/bpf/netpol-model-");
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/netpol-model-%d",
		 (int)getpid());
	if (npt_reaper_start(pin_root))
		bail("cannot start the cleanup watcher", NULL, 0);
	if (npt_node_isolate()) {
		if (errno == EPERM) {
			printf("1..0 # SKIP network namespaces refused\n");
			return 0;
		}
		bail("cannot set up the node namespace", NULL, 0);
	}
	setup_pods();
	printf("1..%d\n", argc - 2);
	for (i = 2; i < argc; i++)
		ok &= run_case(i - 1, argv[i]);
	teardown();
	return ok ? 0 : 1;
}
