// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Memory under churn (issue 17): a controller's loop on the synthetic
 * cluster of synth.c (1,000 pods, 50 namespaces by default), 100,000
 * random updates, each followed by np_cluster_changes() (the rule sets
 * that changed, with their map diffs) and freeing the change set. Updates:
 * a pod relabelled (its app, 80%; monitor, which every pod's metrics policy
 * admits, one time in twenty), a pod deleted and added back (5%), a
 * policy's port changed (10%), a namespace relabelled (1%: the resolution
 * context starts over), a Service's selector changed (4%). RSS (VmRSS) after 10,000, 50,000 and 100,000
 * updates, after np_cluster_trim() at the end, and the time per update.
 *
 * Baseline: the peak RSS (VmHWM) of a fresh process that loads the same
 * cluster and compiles every pod once, keeping every rule set (a
 * controller's start: the change tracker keeps them too). Goal: RSS
 * flat within 10% from 10,000 to 100,000 updates, and below 2x the
 * baseline.
 *
 *   bench_churn [pods [updates [cache_bytes]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netpol.h>

#include "synth.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A field of /proc/self/status in KiB (VmRSS, VmHWM), or -1. */
static long status_kib(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_churn: %s: %s\n", what, np_strerror(err));
	exit(1);
}

static void load(struct np_cluster *c, const char *text, size_t len)
{
	struct np_diag d;
	int err = np_cluster_load_buffer(c, text, len, "churn", NULL, &d);

	if (err) {
		fprintf(stderr, "%s %s: %s\n", d.object, d.path, d.message);
		die("load", err);
	}
}

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const apps[] = { "web", "front", "db", "monitor" };

/* Pod i as synth.c writes it, with app as given. */
static void pod(struct np_cluster *c, unsigned i, unsigned nns, const char *app)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf),
			 "apiVersion: v1\nkind: Pod\n"
			 "metadata:\n  name: p%u\n  namespace: ns%u\n"
			 "  labels: {app: %s, idx: i%u}\n"
			 "spec:\n  nodeName: node%u\n  containers:\n"
			 "  - name: c\n    ports:\n"
			 "    - {name: http-alt, containerPort: %u}\n"
			 "    - {containerPort: 8080}\n"
			 "status:\n  phase: Running\n"
			 "  hostIP: 198.19.255.%u\n  podIP: 198.18.%u.%u\n",
			 i, i % nns, app, i, i / 110, 8000 + i % 3,
			 i / 110 % 250 + 1, i / 250, i % 250 + 1);

	load(c, buf, (size_t)n);
}

/*
 * A pod's new app: monitor (which every namespace's metrics policy lets
 * in, so that every pod's rule set changes) one time in twenty.
 */
static const char *app(void)
{
	return rnd(20) ? apps[rnd(3)] : "monitor";
}

static void update(struct np_cluster *c, unsigned npods, unsigned nns)
{
	unsigned op = rnd(100), i = rnd(npods), ns = rnd(nns);
	char buf[1024], name[32], nsn[32];
	int n;

	if (op < 80) {
		pod(c, i, nns, app());
	} else if (op < 85) {
		snprintf(name, sizeof(name), "p%u", i);
		snprintf(nsn, sizeof(nsn), "ns%u", i % nns);
		np_cluster_delete(c, NP_KIND_POD, nsn, name);
		pod(c, i, nns, app());
	} else if (op < 95) {
		n = snprintf(
			buf, sizeof(buf),
			"apiVersion: networking.k8s.io/v1\n"
			"kind: NetworkPolicy\n"
			"metadata: {name: metrics, namespace: ns%u}\n"
			"spec:\n  podSelector: {}\n"
			"  ingress:\n  - from:\n"
			"    - namespaceSelector: {}\n"
			"      podSelector: {matchLabels: {app: monitor}}\n"
			"    ports: [{port: %u}]\n",
			ns, 9090 + rnd(4));
		load(c, buf, (size_t)n);
	} else if (op < 96) {
		n = snprintf(buf, sizeof(buf),
			     "apiVersion: v1\nkind: Namespace\nmetadata:\n"
			     "  name: ns%u\n  labels:\n    team: t%u\n",
			     ns, rnd(20));
		load(c, buf, (size_t)n);
	} else {
		n = snprintf(buf, sizeof(buf),
			     "apiVersion: v1\nkind: Service\n"
			     "metadata: {name: web, namespace: ns%u}\n"
			     "spec:\n  clusterIP: 198.19.%u.%u\n"
			     "  selector: {app: %s}\n"
			     "  ports: [{port: 80, targetPort: 8080}]\n",
			     ns, 128 + ns / 250, ns % 250 + 1, apps[rnd(4)]);
		load(c, buf, (size_t)n);
	}
}

/* One change set: how many pods it holds. */
static size_t changes(struct np_cluster *c)
{
	struct np_changes *ch;
	struct np_diag d;
	size_t n;
	int err = np_cluster_changes(c, NULL, &ch, &d);

	if (err) {
		fprintf(stderr, "%s\n", d.message);
		die("np_cluster_changes", err);
	}
	n = np_changes_count(ch);
	np_changes_free(ch);
	return n;
}

/* The baseline, in a child: load and compile every pod once; VmHWM. */
static long fresh_peak(const char *text, size_t len)
{
	int fd[2];
	pid_t pid;
	long v = -1;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct np_cluster *c;
		char *names, *line, *save = NULL;

		close(fd[0]);
		if (np_cluster_new(&c, NULL))
			_exit(1);
		load(c, text, len);
		if (np_cluster_names(c, NP_KIND_POD, &names))
			_exit(1);
		for (line = strtok_r(names, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *slash = strchr(line, '/');
			struct np_ruleset *rs;

			*slash = '\0';
			/* kept, as a controller keeps what it applied */
			if (np_ruleset_compile(&rs, c, line, slash + 1, NULL,
					       NULL))
				_exit(1);
		}
		np_free(names);
		v = status_kib("VmHWM");
		if (write(fd[1], &v, sizeof(v)) != sizeof(v))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], &v, sizeof(v)) != sizeof(v))
		v = -1;
	close(fd[0]);
	waitpid(pid, NULL, 0);
	return v;
}

/*
 * The budget the library takes for 0 (np_cluster_new(3)) once a change
 * tracker holds every pod's core: the floor.
 */
static size_t churn_default_budget(void)
{
	return NP_CLUSTER_CACHE_BYTES_DEFAULT;
}

int main(int argc, char **argv)
{
	unsigned npods = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
	unsigned nupd = argc > 2 ? (unsigned)atoi(argv[2]) : 100000;
	unsigned nns = npods / 20 ? npods / 20 : 1, k, at = 0;
	static const unsigned marks[] = { 10000, 50000, 100000 };
	long rss[3] = { -1, -1, -1 }, base, trimmed, rss_load, rss_start;
	size_t len, changed = 0;
	struct np_cluster *c;
	double t0, t;
	char *text;
	int err;
	NP_OPTS(np_cluster_opts, o,
		.cache_bytes = argc > 3 ? strtoull(argv[3], NULL, 0) : 0);

	text = synth_cluster(npods, nns, 110, &len);
	base = fresh_peak(text, len);
	err = np_cluster_new(&c, &o);
	if (err)
		die("np_cluster_new", err);
	load(c, text, len);
	rss_load = status_kib("VmRSS");
	changes(c); /* every pod, as a controller starts */
	rss_start = status_kib("VmRSS");
	t0 = now();
	for (k = 1; k <= nupd; k++) {
		update(c, npods, nns);
		changed += changes(c);
		if (at < 3 &&
		    k == (unsigned long long)marks[at] * nupd / 100000)
			rss[at++] = status_kib("VmRSS");
	}
	t = now() - t0;
	np_cluster_trim(c);
	trimmed = status_kib("VmRSS");
	printf("{\"bench\": \"churn\", \"name\": \"churn\", \"pods\": %u, "
	       "\"namespaces\": %u, \"updates\": %u, "
	       "\"rss_kib_10k\": %ld, \"rss_kib_50k\": %ld, "
	       "\"rss_kib_100k\": %ld, \"rss_kib_trimmed\": %ld, "
	       "\"rss_kib_loaded\": %ld, \"rss_kib_first_changes\": %ld, "
	       "\"fresh_peak_rss_kib\": %ld, \"update_ms_mean\": %.4f, "
	       "\"changed_pods_mean\": %.2f, \"cache_bytes\": %zu}\n",
	       npods, nns, nupd, rss[0], rss[1], rss[2], trimmed, rss_load,
	       rss_start, base, nupd ? t * 1e3 / nupd : 0.0,
	       nupd ? (double)changed / nupd : 0.0,
	       o.cache_bytes ? o.cache_bytes : churn_default_budget());
	np_cluster_free(c);
	free(text);
	return 0;
}
