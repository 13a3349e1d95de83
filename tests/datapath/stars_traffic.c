// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Stars demo of the EKS user guide (steps 1-12) with real traffic.
 *
 * The four pods of examples/stars/00-resources.yaml are network namespaces
 * joined to a private node namespace by veth pairs, each serving its port
 * on TCP and UDP. `netpol attach` puts the datapath on the host ends and
 * `netpol apply` enforces the cumulative manifests after each step; then
 * every pod connects to every other pod's port, TCP and UDP, and the
 * matrix must be the one the user guide describes (written below from the
 * guide, not from the tool), as must the library's userspace verdicts.
 *
 *   stars_traffic NETPOL STARS_DIR
 *
 * TAP: one result per step, and one for `netpol destroy`; on failure one
 * diagnostic line per wrong cell.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netpol.h>

#include "netns.h"

#define NPODS 4
#define TMO 500 /* ms: the first try of every probe */
#define RETRY 2000 /* ms: the second try of a cell that looks wrong */

/* In the order of the management UI: client, front-end, back-end, UI. */
static const struct spod {
	const char *letter;
	const char *tag;
	const char *ns;
	const char *name;
	const char *ip;
	uint16_t port;
} spods[NPODS] = {
	{ "C", "c", "client", "client-xlffc", "198.18.0.13", 9000 },
	{ "F", "f", "stars", "frontend-cscnf", "198.18.0.12", 80 },
	{ "B", "b", "stars", "backend-sz87q", "198.18.0.11", 6379 },
	{ "M", "m", "management-ui", "management-ui-qrb2g", "198.18.0.10",
	  9001 },
};

/*
 * What the user guide says, rows from and columns to in the order C F B M:
 * "." the connection works, "X" it does not, "-" the pod itself (not
 * probed). Egress is never isolated: every pod keeps reaching the UI.
 */
struct step {
	const char *file;
	const char *title;
	const char *tcp[NPODS];
	const char *udp[NPODS];
};

static const struct step steps[] = {
	{ "00-resources.yaml",
	  "steps 1-4, no policy: every node reaches every other",
	  { "-...", ".-..", "..-.", "...-" },
	  { "-...", ".-..", "..-.", "...-" } },
	{ "01-default-deny.yaml",
	  "steps 5-6, default-deny: nothing reaches stars or client",
	  { "-XX.", "X-X.", "XX-.", "XXX-" },
	  { "-XX.", "X-X.", "XX-.", "XXX-" } },
	{ "02-allow-ui.yaml",
	  "steps 7-8, allow-ui: the UI reaches every node, they not each other",
	  { "-XX.", "X-X.", "XX-.", "...-" },
	  { "-XX.", "X-X.", "XX-.", "...-" } },
	{ "03-backend-policy.yaml",
	  "steps 9-10, backend-policy: front-end -> back-end on 6379/TCP",
	  { "-XX.", "X-..", "XX-.", "...-" },
	  { "-XX.", "X-X.", "XX-.", "...-" } },
	{ "04-frontend-policy.yaml",
	  "steps 11-12, frontend-policy: client -> front-end on 80/TCP",
	  { "-.X.", "X-..", "XX-.", "...-" },
	  { "-XX.", "X-X.", "XX-.", "...-" } },
};

#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

static const char *netpol, *dir;
static char pin_root[64];
static struct npt_pod pods[NPODS];
static int npods;

static void quiet(void *ctx, enum np_log_level l, const char *msg)
{
	(void)ctx;
	(void)l;
	(void)msg;
}

static void teardown(void)
{
	int i;

	if (*pin_root) {
		npt_sh("%s destroy --pin-root %s >/dev/null 2>&1", netpol,
		       pin_root);
		npt_sh("rm -rf '%s'", pin_root);
	}
	for (i = 0; i < npods; i++)
		npt_pod_destroy(&pods[i]);
	npods = 0;
}

static void bail(const char *why)
{
	printf("Bail out! %s\n", why);
	teardown();
	exit(1);
}

/* The userspace verdict of one cell from the manifests up to step s. */
static int predict(size_t s, int from, int to, int proto, bool *allowed)
{
	NP_OPTS(np_cluster_opts, co, .log = quiet);
	NP_OPTS(np_load_opts, lo);
	NP_OPTS(np_compile_opts, copts);
	struct np_cluster *c = NULL;
	struct np_verdict v;
	struct np_diag d;
	char path[512], a[128], b[128];
	size_t i;
	int err = np_cluster_new(&c, &co);

	for (i = 0; !err && i <= s; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, steps[i].file);
		memset(&d, 0, sizeof(d));
		err = np_cluster_load_file(c, path, &lo, &d);
	}
	snprintf(a, sizeof(a), "%s/%s", spods[from].ns, spods[from].name);
	snprintf(b, sizeof(b), "%s/%s", spods[to].ns, spods[to].name);
	if (!err)
		err = np_cluster_verdict(c, a, b,
					 proto == IPPROTO_TCP ?
						 NP_PROTOCOL_TCP :
						 NP_PROTOCOL_UDP,
					 spods[to].port, &copts, &v, &d);
	np_cluster_free(c);
	*allowed = !err && v.allowed;
	return err;
}

static char cell(int r)
{
	return r == 0 ? '.' : r == 1 ? 'X' : '?';
}

/* Every pod to every other, TCP and UDP; ok when all agree. */
static bool run_step(size_t s)
{
	struct npt_probe_req req[2 * NPODS * NPODS];
	char files[4096] = "";
	size_t n = 0, i, k;
	bool ok = true;
	int f, t;

	for (i = 0; i <= s; i++) {
		size_t len = strlen(files);

		snprintf(files + len, sizeof(files) - len, " '%s/%s'", dir,
			 steps[i].file);
	}
	if (npt_sh("%s apply -q%s --pin-root %s", netpol, files, pin_root)) {
		printf("not ok %zu - %s # netpol apply failed\n", s + 1,
		       steps[s].title);
		return false;
	}
	for (f = 0; f < NPODS; f++)
		for (t = 0; t < NPODS; t++) {
			if (f == t)
				continue;
			for (k = 0; k < 2; k++)
				req[n++] = (struct npt_probe_req){
					.from = &pods[f],
					.proto = k ? IPPROTO_UDP : IPPROTO_TCP,
					.dst = spods[t].ip,
					.port = spods[t].port,
				};
		}
	if (npt_probe_many(req, n, TMO))
		bail("the probes could not run");
	/* a cell that disagrees gets a second, slower chance */
	for (i = 0; i < n; i++) {
		const struct npt_probe_req *r = &req[i];
		int fi = (int)(r->from - pods), ti;
		const char *const *want;

		for (ti = 0; strcmp(spods[ti].ip, r->dst); ti++)
			;
		want = r->proto == IPPROTO_TCP ? steps[s].tcp : steps[s].udp;
		if (cell(r->result) != want[fi][ti] &&
		    npt_probe_many(&req[i], 1, RETRY))
			bail("the probes could not run");
	}
	for (i = 0; i < n; i++) {
		const struct npt_probe_req *r = &req[i];
		int fi = (int)(r->from - pods), ti;
		const char *proto = r->proto == IPPROTO_TCP ? "TCP" : "UDP";
		const char *const *want;
		bool pred;
		int err;

		for (ti = 0; strcmp(spods[ti].ip, r->dst); ti++)
			;
		want = r->proto == IPPROTO_TCP ? steps[s].tcp : steps[s].udp;
		err = predict(s, fi, ti, r->proto, &pred);
		if (cell(r->result) == want[fi][ti] && !err &&
		    (pred ? '.' : 'X') == want[fi][ti])
			continue;
		if (ok)
			printf("not ok %zu - %s\n", s + 1, steps[s].title);
		ok = false;
		printf("# %s -> %s %s/%u: real %c, user guide %c, "
		       "userspace verdict %c\n",
		       spods[fi].letter, spods[ti].letter, proto, r->port,
		       cell(r->result), want[fi][ti],
		       err  ? '?' :
		       pred ? '.' :
			      'X');
	}
	if (ok)
		printf("ok %zu - %s\n", s + 1, steps[s].title);
	return ok;
}

/* After destroy: no pin directory, no filter left on a host end. */
static bool run_destroy(size_t nr)
{
	struct stat st;
	bool ok = true;
	int i;

	if (npt_sh("%s destroy -q --pin-root %s", netpol, pin_root)) {
		printf("# netpol destroy failed\n");
		ok = false;
	}
	if (!stat(pin_root, &st)) {
		printf("# %s is still there\n", pin_root);
		ok = false;
	}
	for (i = 0; i < npods; i++)
		if (!npt_sh("tc filter show dev %s ingress | grep -q . || "
			    "tc filter show dev %s egress | grep -q .",
			    pods[i].host_if, pods[i].host_if)) {
			printf("# %s keeps a filter\n", pods[i].host_if);
			ok = false;
		}
	printf("%s %zu - netpol destroy leaves no pin and no filter\n",
	       ok ? "ok" : "not ok", nr);
	return ok;
}

int main(int argc, char **argv)
{
	bool ok = true;
	size_t s;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3) {
		fprintf(stderr, "usage: %s NETPOL STARS_DIR\n", argv[0]);
		return 2;
	}
	netpol = argv[1];
	dir = argv[2];
	if (geteuid()) {
		printf("1..0 # SKIP needs root (network namespaces, bpf)\n");
		return 0;
	}
	npt_cleanup_stale();
	npt_cleanup_stale_pins("/sys/fs/bpf/netpol-stars-");
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/netpol-stars-%d",
		 (int)getpid());
	if (npt_reaper_start(pin_root))
		bail("cannot start the cleanup watcher");
	if (npt_node_isolate()) {
		if (errno == EPERM) {
			printf("1..0 # SKIP network namespaces refused\n");
			return 0;
		}
		bail("cannot set up the node namespace");
	}
	printf("1..%zu\n", NSTEPS + 1);
	for (i = 0; i < NPODS; i++) {
		const struct spod *p = &spods[i];

		if (npt_pod_create(&pods[i], p->tag, p->ip, NULL))
			bail("cannot create a pod");
		npods++;
		if (npt_serve(&pods[i], IPPROTO_TCP, p->port) ||
		    npt_serve(&pods[i], IPPROTO_UDP, p->port))
			bail("cannot start a server");
		if (npt_sh("%s attach -q --ifname %s --pod %s/%s --pin-root %s "
			   "--node-ip %s",
			   netpol, pods[i].host_if, p->ns, p->name, pin_root,
			   NPT_NODE_IP4))
			bail("netpol attach failed");
	}
	for (s = 0; s < NSTEPS; s++)
		ok &= run_step(s);
	ok &= run_destroy(NSTEPS + 1);
	teardown();
	return ok ? 0 : 1;
}
