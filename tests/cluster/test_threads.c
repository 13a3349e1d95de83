/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One cluster from several threads at once (its lock, cluster.c): loader
 * threads load and delete pods, NetworkPolicies and a
 * ClusterNetworkPolicy, each thread its own objects; reader threads
 * compile rule sets, ask for verdicts, attributions, matrices, isolating
 * policies, PolicyEndpoints, checks, names and exports, and trim; one
 * thread follows the change sets. Every call must return what it could
 * return in a serial run, and at the end the cluster must equal a fresh
 * one loaded with the final objects: the same rule-set hash for every
 * pod, the same export of every kind, and the change sets added up to the
 * same hashes. Then callbacks that call back into their cluster under its
 * (recursive) lock. Bounded iterations, no timing. NP_THREAD_ITERS sets
 * the loaders' iterations (default 1000). With -DNPT_NO_CRITERION the
 * file has a main of its own, for ThreadSanitizer (.ci/run).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef NPT_NO_CRITERION
#include <criterion/criterion.h>
#endif

#include <netpol.h>

#define NLOADERS 2
#define NREADERS 2
#define NPODS 8 /* per loader */
#define NPOLS 3 /* NetworkPolicies per loader */
/* a loader's objects: pods, then policies, then (loader 0) the CNP */
#define NOBJS (NPODS + NPOLS + 1)
#define NVARIANTS 3

static const char namespaces[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: "
	"{team: a}}\n---\n"
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: b, labels: "
	"{team: b}}\n";

/* Pod i of loader l: namespace a or b, its address fixed, labels by v. */
static void put_pod(FILE *f, int l, int i, int v)
{
	fprintf(f,
		"apiVersion: v1\nkind: Pod\nmetadata: {name: l%dp%d, "
		"namespace: %s, labels: {app: x%d, l: \"%d\"}}\n"
		"spec: {containers: [{name: c, ports: [{name: http, "
		"containerPort: %d}]}]}\n"
		"status: {phase: Running, hostIP: 198.19.255.1, "
		"podIP: 10.%d.0.%d}\n---\n",
		l, i, i % 2 ? "b" : "a", v, l, 8080 + v, l + 1, i + 1);
}

/* NetworkPolicy j of loader l: what it selects and allows, by v. */
static void put_pol(FILE *f, int l, int j, int v)
{
	fprintf(f,
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: l%dn%d, namespace: %s}\n"
		"spec:\n  podSelector: {matchLabels: {app: x%d}}\n"
		"  policyTypes: [Ingress, Egress]\n"
		"  ingress:\n  - from:\n    - podSelector: {matchLabels: "
		"{app: x%d}}\n      namespaceSelector: {matchLabels: "
		"{team: %s}}\n    ports: [{port: %s}]\n"
		"  egress:\n  - to: [{ipBlock: {cidr: 10.%d.0.0/16, "
		"except: [10.%d.0.%d/32]}}]\n---\n",
		l, j, j % 2 ? "a" : "b", (j + v) % NVARIANTS,
		(j + v + 1) % NVARIANTS, v % 2 ? "a" : "b",
		v == 2 ? "http" : "80", (l + v) % NLOADERS + 1,
		(l + v) % NLOADERS + 1, j + v + 1);
}

/* The ClusterNetworkPolicy (loader 0's): Admin denies team b, by v. */
static void put_cnp(FILE *f, int v)
{
	fprintf(f,
		"apiVersion: policy.networking.k8s.io/v1alpha2\n"
		"kind: ClusterNetworkPolicy\nmetadata: {name: deny-b}\n"
		"spec:\n  tier: %s\n  priority: %d\n"
		"  subject: {pods: {podSelector: {matchLabels: {app: x%d}}}}\n"
		"  ingress:\n  - {action: Deny, from: [{namespaces: "
		"{matchLabels: {team: b}}}], protocols: [{tcp: "
		"{destinationPort: {number: %d}}}]}\n---\n",
		v == 1 ? "Baseline" : "Admin", v + 1, v, 80 + v);
}

static void put_obj(FILE *f, int l, int o, int v)
{
	if (o < NPODS)
		put_pod(f, l, o, v);
	else if (o < NPODS + NPOLS)
		put_pol(f, l, o - NPODS, v);
	else
		put_cnp(f, v);
}

/* Object o of loader l: its kind, namespace and name (16 bytes). */
static enum np_kind obj_id(int l, int o, const char **ns, char *name)
{
	if (o < NPODS) {
		*ns = o % 2 ? "b" : "a";
		snprintf(name, 16, "l%dp%d", l, o);
		return NP_KIND_POD;
	}
	if (o < NPODS + NPOLS) {
		*ns = (o - NPODS) % 2 ? "a" : "b";
		snprintf(name, 16, "l%dn%d", l, o - NPODS);
		return NP_KIND_NETWORK_POLICY;
	}
	*ns = NULL;
	snprintf(name, 16, "deny-b");
	return NP_KIND_CLUSTER_NETWORK_POLICY;
}

/* What went wrong in a thread (the first thing), for the main thread. */
struct failure {
	pthread_mutex_t m;
	char text[512];
};

static struct failure failed = { .m = PTHREAD_MUTEX_INITIALIZER };

static void fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&failed.m);
	if (!failed.text[0]) {
		va_start(ap, fmt);
		vsnprintf(failed.text, sizeof(failed.text), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&failed.m);
}

/* Record a failure and leave the function (through its label out). */
#define CHECK(cond, ...)                   \
	do {                               \
		if (!(cond)) {             \
			fail(__VA_ARGS__); \
			goto out;          \
		}                          \
	} while (0)

struct shared {
	struct np_cluster *c;
	int iters;
	int done; /* loaders finished (atomic) */
	pthread_barrier_t go; /* every thread starts at once */
	unsigned long reads, tracks; /* reader rounds, change sets (atomic) */
	/* the final variant of each loader's object; -1: deleted */
	int state[NLOADERS][NOBJS];
};

struct loader {
	struct shared *sh;
	int id;
};

static int load_text(struct np_cluster *c, const char *text, size_t len)
{
	struct np_diag d;
	int err = np_cluster_load_buffer(c, text, len, "t", NULL, &d);

	if (err)
		fail("load: %d %s %s: %s\n%s", err, d.object, d.path, d.message,
		     text);
	return err;
}

static void *loader_run(void *arg)
{
	struct loader *ld = arg;
	struct shared *sh = ld->sh;
	int *state = sh->state[ld->id];
	int nobj = ld->id ? NOBJS - 1 : NOBJS;
	unsigned int seed = 17u + (unsigned int)ld->id;
	int it, k;

	pthread_barrier_wait(&sh->go);
	for (it = 0; it < sh->iters; it++) {
		int o = rand_r(&seed) % nobj, v = rand_r(&seed) % NVARIANTS;
		int act = rand_r(&seed) % 4;
		char *text = NULL;
		size_t len = 0;
		FILE *f;

		if (act == 0 && state[o] >= 0) {
			char name[16];
			const char *ns;
			enum np_kind kind = obj_id(ld->id, o, &ns, name);
			int err = np_cluster_delete(sh->c, kind, ns, name);

			if (err) {
				fail("delete %s: %d", name, err);
				break;
			}
			state[o] = -1;
			continue;
		}
		f = open_memstream(&text, &len);
		if (!f) {
			fail("open_memstream");
			break;
		}
		put_obj(f, ld->id, o, v);
		state[o] = v;
		/* sometimes a second object in the same load: one change */
		if (act == 1) {
			k = (o + 1) % nobj;
			put_obj(f, ld->id, k, v);
			state[k] = v;
		}
		fclose(f);
		k = load_text(sh->c, text, len);
		free(text);
		if (k)
			break;
	}
	__atomic_add_fetch(&sh->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool loaders_done(struct shared *sh)
{
	return __atomic_load_n(&sh->done, __ATOMIC_ACQUIRE) == NLOADERS;
}

/* Compile pod p of loader l: there or not (-ENOENT), never otherwise. */
static void compile_one(struct np_cluster *c, int l, int p)
{
	struct np_ruleset *rs = NULL;
	struct np_diag d;
	char name[16];
	int err;

	snprintf(name, sizeof(name), "l%dp%d", l, p);
	err = np_ruleset_compile(&rs, c, p % 2 ? "b" : "a", name, NULL, &d);
	if (err && err != -ENOENT)
		fail("compile %s: %d %s", name, err, d.message);
	if (!err && !np_ruleset_hash(rs))
		fail("compile %s: hash 0", name);
	np_ruleset_free(rs);
}

static void query_one(struct np_cluster *c, int l, int p, int q)
{
	struct np_attrib *at = NULL;
	struct np_verdict v;
	struct np_diag d;
	char from[16], to[16];
	int err;

	snprintf(from, sizeof(from), "%s/l%dp%d", p % 2 ? "b" : "a", l, p);
	snprintf(to, sizeof(to), "%s/l%dp%d", q % 2 ? "b" : "a", 1 - l, q);
	err = np_cluster_verdict(c, from, to, NP_PROTOCOL_TCP, 80, NULL, &v,
				 &d);
	/* a pod that is not there (now) is an unknown endpoint */
	if (err && err != -ENOENT && err != -EINVAL)
		fail("verdict %s %s: %d %s", from, to, err, d.message);
	err = np_cluster_attribute(&at, c, from, to, NP_PROTOCOL_TCP, 80, NULL,
				   &d);
	if (err && err != -ENOENT && err != -EINVAL)
		fail("attribute %s %s: %d %s", from, to, err, d.message);
	np_attrib_free(at);
}

/* One of the calls that print the whole cluster (or a pod's policies). */
static void dump_one(struct np_cluster *c, int i)
{
	char *out = NULL;
	struct np_diag d;
	int err;

	switch (i % 6) {
	case 0:
		err = np_cluster_endpoints(c, NP_FORMAT_JSON, &out, &d);
		break;
	case 1:
		err = np_cluster_export(c, NP_KIND_POD, NP_FORMAT_YAML, &out);
		break;
	case 2:
		err = np_cluster_names(c, NP_KIND_NETWORK_POLICY, &out);
		break;
	case 3:
		err = np_cluster_matrix(c, NULL, NP_FORMAT_JSON, &out, &d);
		break;
	case 4:
		err = np_cluster_isolating(c, "a", "l0p0", NP_DIRECTION_INGRESS,
					   NULL, &out, &d);
		/* the pod may be gone (for now) */
		if (err == -ENOENT)
			err = 0;
		break;
	default:
		err = np_cluster_check(c, &out, NULL);
	}
	if (err)
		fail("dump %d: %d", i % 6, err);
	np_free(out);
}

static void *reader_run(void *arg)
{
	struct shared *sh = arg;
	unsigned int seed = 91u;
	int i;

	pthread_barrier_wait(&sh->go);
	/* until the loaders finish, then a few more rounds */
	for (i = 0; !loaders_done(sh) || i % 64; i++) {
		int l = rand_r(&seed) % NLOADERS, p = rand_r(&seed) % NPODS;

		compile_one(sh->c, l, p);
		if (i % 8 == 0)
			query_one(sh->c, l, p, rand_r(&seed) % NPODS);
		if (i % 4 == 0)
			dump_one(sh->c, i / 4);
		if (i % 8 == 0)
			(void)np_cluster_count(sh->c, NP_KIND_POD);
		if (i % 64 == 0)
			np_cluster_trim(sh->c);
	}
	__atomic_add_fetch(&sh->reads, (unsigned long)i, __ATOMIC_RELAXED);
	return NULL;
}

/* Pod hashes as the change sets report them: "ns/name" by hash. */
struct tracked {
	char name[NLOADERS * NPODS][64];
	uint64_t hash[NLOADERS * NPODS];
	size_t n;
};

static uint64_t *tracked_slot(struct tracked *t, const char *ns,
			      const char *name)
{
	char key[64];
	size_t i;

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	for (i = 0; i < t->n; i++)
		if (!strcmp(t->name[i], key))
			return &t->hash[i];
	if (t->n == NLOADERS * NPODS)
		return NULL;
	snprintf(t->name[t->n], sizeof(t->name[t->n]), "%s", key);
	t->hash[t->n] = 0;
	return &t->hash[t->n++];
}

/* Apply one change set to t; each change must follow from the last. */
static void track(struct np_cluster *c, struct tracked *t)
{
	struct np_changes *ch = NULL;
	struct np_change x;
	struct np_diag d;
	size_t i;
	int err;

	err = np_cluster_changes(c, NULL, &ch, &d);
	if (err) {
		fail("changes: %d %s", err, d.message);
		return;
	}
	for (i = 0; i < np_changes_count(ch); i++) {
		uint64_t *h;

		if (np_changes_get(ch, i, &x)) {
			fail("changes_get %zu", i);
			break;
		}
		h = tracked_slot(t, x.ns, x.name);
		if (!h) {
			fail("change of unknown pod %s/%s", x.ns, x.name);
			break;
		}
		if (*h != x.old_hash)
			fail("change %s/%s: old hash %llx, last reported %llx",
			     x.ns, x.name, (unsigned long long)x.old_hash,
			     (unsigned long long)*h);
		if (x.err)
			fail("change %s/%s: err %d", x.ns, x.name, x.err);
		*h = x.kind == NP_CHANGE_REMOVED ? 0 : x.new_hash;
	}
	np_changes_free(ch);
}

static void *tracker_run(void *arg)
{
	struct shared *sh = arg;
	struct tracked *t = calloc(1, sizeof(*t));

	if (!t) {
		fail("calloc");
		return NULL;
	}
	pthread_barrier_wait(&sh->go);
	while (!loaders_done(sh)) {
		track(sh->c, t);
		sh->tracks++;
	}
	return t;
}

static int iterations(void)
{
	const char *s = getenv("NP_THREAD_ITERS");

	return s && atoi(s) > 0 ? atoi(s) : 1000;
}

/* The final objects of every loader, in one buffer (NULL: no memory). */
static char *final_objects(const struct shared *sh, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	int l, o;

	if (!f)
		return NULL;
	fprintf(f, "%s---\n", namespaces);
	for (l = 0; l < NLOADERS; l++)
		for (o = 0; o < NOBJS; o++)
			if (sh->state[l][o] >= 0)
				put_obj(f, l, o, sh->state[l][o]);
	fclose(f);
	return text;
}

/* Pod ns/name's rule-set hash in c; 0 when it is not there. */
static uint64_t pod_hash(struct np_cluster *c, const char *ns, const char *name)
{
	struct np_ruleset *rs;
	struct np_diag d;
	uint64_t h;
	int err = np_ruleset_compile(&rs, c, ns, name, NULL, &d);

	if (err == -ENOENT)
		return 0;
	if (err) {
		fail("compile %s/%s: %d %s", ns, name, err, d.message);
		return 0;
	}
	h = np_ruleset_hash(rs);
	np_ruleset_free(rs);
	return h;
}

/* The same text from both clusters, by one of the calls that print. */
static void same_text(struct np_cluster *a, struct np_cluster *b, int what)
{
	char *x[2] = { NULL, NULL };
	struct np_cluster *c[2] = { a, b };
	int i, err[2];

	for (i = 0; i < 2; i++)
		err[i] = what < NP_KIND__MAX ?
				 np_cluster_export(c[i], (enum np_kind)what,
						   NP_FORMAT_JSON, &x[i]) :
				 np_cluster_endpoints(c[i], NP_FORMAT_JSON,
						      &x[i], NULL);
	CHECK(!err[0] && !err[1], "print %d: %d %d", what, err[0], err[1]);
	CHECK(x[0] && x[1] && !strcmp(x[0], x[1]), "print %d differs:\n%s\n%s",
	      what, x[0], x[1]);
out:
	np_free(x[0]);
	np_free(x[1]);
}

/*
 * The stress run: every thread at once on one cluster, then the cluster
 * against a fresh one loaded with the final objects.
 */
static void stress(int iters)
{
	static struct shared sh;
	pthread_t lt[NLOADERS], rt[NREADERS], tt;
	struct loader ld[NLOADERS];
	struct np_cluster *ref = NULL;
	struct tracked *t = NULL;
	size_t len, i, npods = 0;
	char *text;
	int l, p;

	memset(&sh, 0, sizeof(sh));
	sh.iters = iters;
	memset(sh.state, 0xff, sizeof(sh.state));
	CHECK(!np_cluster_new(&sh.c, NULL), "np_cluster_new");
	CHECK(!load_text(sh.c, namespaces, strlen(namespaces)), "namespaces");
	CHECK(!pthread_barrier_init(&sh.go, NULL, NLOADERS + NREADERS + 1),
	      "barrier");
	for (l = 0; l < NLOADERS; l++) {
		ld[l].sh = &sh;
		ld[l].id = l;
		CHECK(!pthread_create(&lt[l], NULL, loader_run, &ld[l]),
		      "pthread_create");
	}
	for (i = 0; i < NREADERS; i++)
		CHECK(!pthread_create(&rt[i], NULL, reader_run, &sh),
		      "pthread_create");
	CHECK(!pthread_create(&tt, NULL, tracker_run, &sh), "pthread_create");
	for (l = 0; l < NLOADERS; l++)
		pthread_join(lt[l], NULL);
	for (i = 0; i < NREADERS; i++)
		pthread_join(rt[i], NULL);
	pthread_join(tt, (void **)&t);
	pthread_barrier_destroy(&sh.go);
	CHECK(t, "tracker");
	CHECK(!failed.text[0], "during the run");
	if (getenv("NP_THREAD_VERBOSE"))
		fprintf(stderr,
			"%d loads a loader, %lu reader rounds, "
			"%lu change sets\n",
			sh.iters, sh.reads, sh.tracks);

	/* the same as a fresh cluster loaded with the final objects */
	text = final_objects(&sh, &len);
	CHECK(text, "final objects");
	CHECK(!np_cluster_new(&ref, NULL), "np_cluster_new");
	CHECK(!load_text(ref, text, len), "final objects");
	free(text);
	track(sh.c, t);
	for (l = 0; l < NLOADERS; l++) {
		for (p = 0; p < NPODS; p++) {
			const char *ns;
			char name[16];
			uint64_t want, got, *seen;

			obj_id(l, p, &ns, name);
			want = pod_hash(ref, ns, name);
			got = pod_hash(sh.c, ns, name);
			CHECK(got == want, "pod %s/%s: %llx, fresh %llx", ns,
			      name, (unsigned long long)got,
			      (unsigned long long)want);
			seen = tracked_slot(t, ns, name);
			CHECK(seen && *seen == want,
			      "change sets: pod %s/%s: %llx, fresh %llx", ns,
			      name, seen ? (unsigned long long)*seen : 0ULL,
			      (unsigned long long)want);
			npods += want != 0;
		}
	}
	CHECK(np_cluster_count(sh.c, NP_KIND_POD) == npods, "pods: %zu, %zu",
	      np_cluster_count(sh.c, NP_KIND_POD), npods);
	/* every kind's export, then the PolicyEndpoints */
	for (i = 0; i <= NP_KIND__MAX; i++)
		same_text(sh.c, ref, (int)i);
out:
	free(t);
	np_cluster_free(ref);
	np_cluster_free(sh.c);
}

static void stress_default(void)
{
	stress(iterations());
}

/* Callbacks may call into the cluster they came from (same thread). */
struct reenter {
	struct np_cluster *c;
	size_t logs, diags;
};

static void log_calls_back(void *ctx, enum np_log_level level, const char *msg)
{
	struct reenter *r = ctx;
	char *out = NULL;
	int err;

	/* inside np_ruleset_compile(), which holds the lock */
	r->logs++;
	err = np_cluster_names(r->c, NP_KIND_POD, &out);
	if (err || !strstr(out, "a/l0p0"))
		fail("names from the log callback: %d %s (%s)", err, out, msg);
	np_free(out);
}

static void diag_calls_back(void *ctx, const struct np_diag *d)
{
	struct reenter *r = ctx;

	/* validation, before anything is applied */
	r->diags++;
	if (np_cluster_count(r->c, NP_KIND_NAMESPACE))
		fail("count from on_diag (%s)", d->message);
}

static int decide_calls_back(void *ctx, const char *from, const char *from_ip,
			     const char *to, const char *to_ip,
			     enum np_protocol proto, uint16_t port,
			     bool *allowed)
{
	struct np_verdict v;
	int err;

	/* inside np_cluster_matrix(), which holds the lock */
	err = np_cluster_verdict(ctx, from, to, proto, port, NULL, &v, NULL);
	*allowed = v.allowed;
	return err;
}

static void reenter(void)
{
	struct reenter r = { 0 };
	NP_OPTS(np_cluster_opts, co, .log = log_calls_back, .log_ctx = &r);
	NP_OPTS(np_load_opts, lo, .skip_invalid = true,
		.on_diag = diag_calls_back, .diag_ctx = &r);
	NP_OPTS(np_matrix_opts, mo);
	struct np_ruleset *rs = NULL;
	char *text = NULL, *out = NULL;
	size_t len;
	FILE *f;
	int err;

	CHECK(!np_cluster_new(&r.c, &co), "np_cluster_new");
	f = open_memstream(&text, &len);
	CHECK(f, "open_memstream");
	fprintf(f, "%s---\n", namespaces);
	put_pod(f, 0, 0, 0);
	/* the same address as l0p0 */
	fprintf(f, "apiVersion: v1\nkind: Pod\nmetadata: {name: twin, "
		   "namespace: a}\nspec: {containers: [{name: c}]}\n"
		   "status: {phase: Running, podIP: 10.1.0.1}\n---\n");
	put_pod(f, 1, 1, 1);
	put_pol(f, 0, 1, 1);
	fprintf(f, "apiVersion: v1\nkind: Namespace\nmetadata: {name: B!}\n");
	fclose(f);
	err = np_cluster_load_buffer(r.c, text, len, "t", &lo, NULL);
	free(text);
	CHECK(!err, "load: %d", err);
	CHECK(r.diags == 1, "on_diag: %zu calls", r.diags);
	CHECK(np_cluster_count(r.c, NP_KIND_POD) == 3, "pods");
	/* the shared address is logged while the compile holds the lock */
	err = np_ruleset_compile(&rs, r.c, "a", "l0p0", NULL, NULL);
	np_ruleset_free(rs);
	CHECK(!err, "compile: %d", err);
	CHECK(r.logs, "no log line");
	mo.decide = decide_calls_back;
	mo.decide_ctx = r.c;
	err = np_cluster_matrix(r.c, &mo, NP_FORMAT_TEXT, &out, NULL);
	CHECK(!err && strchr(out, '.'), "matrix: %d\n%s", err, out);
out:
	np_free(out);
	np_cluster_free(r.c);
}

#ifndef NPT_NO_CRITERION
Test(threads, one_cluster_many_threads, .timeout = 100)
{
	stress_default();
	cr_assert_str_empty(failed.text, "%s", failed.text);
}

Test(threads, callbacks_reenter, .timeout = 60)
{
	reenter();
	cr_assert_str_empty(failed.text, "%s", failed.text);
}
#else
/*
 * Without Criterion, for ThreadSanitizer (Criterion's test runner does
 * not start under it): the same two cases, one process, TAP on stdout.
 */
int main(void)
{
	static const struct {
		const char *name;
		void (*run)(void);
	} cases[] = {
		{ "threads::one_cluster_many_threads", stress_default },
		{ "threads::callbacks_reenter", reenter },
	};
	size_t i, bad = 0;

	printf("TAP version 13\n1..%zu\n", sizeof(cases) / sizeof(cases[0]));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		failed.text[0] = 0;
		cases[i].run();
		if (failed.text[0])
			bad++;
		printf("%sok %zu - %s\n", failed.text[0] ? "not " : "", i + 1,
		       cases[i].name);
		if (failed.text[0])
			printf("# %s\n", failed.text);
	}
	return bad ? 1 : 0;
}
#endif
