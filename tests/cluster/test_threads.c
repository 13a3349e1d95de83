/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One cluster from several threads at once (its lock, cluster.c): loader
 * threads load and delete pods, NetworkPolicies and a
 * ClusterNetworkPolicy, each thread its own objects; reader threads
 * compile rule sets, ask for verdicts, attributions, PolicyEndpoints,
 * names and exports; one thread follows the change sets. Every call must
 * return what it could return in a serial run, and at the end the
 * cluster must equal a fresh one loaded with the final objects: the same
 * rule-set hash for every pod, the same export of every kind, and the
 * change sets added up to the same hashes. Bounded iterations, no timing.
 * NP_THREAD_ITERS sets the loaders' iterations (default 1000).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

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

static void dump_one(struct np_cluster *c, int i)
{
	char *out = NULL;
	struct np_diag d;
	int err;

	switch (i % 4) {
	case 0:
		err = np_cluster_endpoints(c, NP_FORMAT_JSON, &out, &d);
		break;
	case 1:
		err = np_cluster_export(c, NP_KIND_POD, NP_FORMAT_YAML, &out);
		break;
	case 2:
		err = np_cluster_names(c, NP_KIND_NETWORK_POLICY, &out);
		break;
	default:
		err = np_cluster_check(c, &out, NULL);
	}
	if (err)
		fail("dump %d: %d", i % 4, err);
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
		if (i % 16 == 0)
			dump_one(sh->c, i / 16);
		if (i % 32 == 0)
			(void)np_cluster_count(sh->c, NP_KIND_POD);
		if (i % 128 == 0)
			np_cluster_trim(sh->c);
	}
	__atomic_add_fetch(&sh->reads, (unsigned long)i, __ATOMIC_RELAXED);
	return NULL;
}

/* Pod hashes as the change sets report them: "ns/name" by hash. */
struct tracked {
	char name[NLOADERS * NPODS][16];
	uint64_t hash[NLOADERS * NPODS];
	size_t n;
};

static uint64_t *tracked_slot(struct tracked *t, const char *ns,
			      const char *name)
{
	char key[16];
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

static struct np_cluster *fresh(const char *text, size_t len)
{
	struct np_cluster *c;

	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	cr_assert_eq(load_text(c, text, len), 0, "%s", failed.text);
	return c;
}

/* The final objects of every loader, in one buffer. */
static char *final_objects(const struct shared *sh, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	int l, o;

	cr_assert_not_null(f);
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
	cr_assert_eq(err, 0, "compile %s/%s: %s", ns, name, d.message);
	h = np_ruleset_hash(rs);
	np_ruleset_free(rs);
	return h;
}

static void expect_same_export(struct np_cluster *a, struct np_cluster *b,
			       enum np_kind kind)
{
	char *x = NULL, *y = NULL;

	cr_assert_eq(np_cluster_export(a, kind, NP_FORMAT_JSON, &x), 0);
	cr_assert_eq(np_cluster_export(b, kind, NP_FORMAT_JSON, &y), 0);
	cr_expect_str_eq(x, y, "kind %d", kind);
	np_free(x);
	np_free(y);
}

Test(threads, one_cluster_many_threads, .timeout = 600)
{
	static struct shared sh;
	pthread_t lt[NLOADERS], rt[NREADERS], tt;
	struct loader ld[NLOADERS];
	struct np_cluster *ref;
	struct tracked *t;
	char *text, *eps[2];
	size_t len, i, npods = 0;
	int l, p;

	memset(&sh, 0, sizeof(sh));
	sh.iters = iterations();
	memset(sh.state, 0xff, sizeof(sh.state));
	cr_assert_eq(np_cluster_new(&sh.c, NULL), 0);
	cr_assert_eq(load_text(sh.c, namespaces, strlen(namespaces)), 0);
	cr_assert_eq(
		pthread_barrier_init(&sh.go, NULL, NLOADERS + NREADERS + 1), 0);
	for (l = 0; l < NLOADERS; l++) {
		ld[l].sh = &sh;
		ld[l].id = l;
		cr_assert_eq(pthread_create(&lt[l], NULL, loader_run, &ld[l]),
			     0);
	}
	for (i = 0; i < NREADERS; i++)
		cr_assert_eq(pthread_create(&rt[i], NULL, reader_run, &sh), 0);
	cr_assert_eq(pthread_create(&tt, NULL, tracker_run, &sh), 0);
	for (l = 0; l < NLOADERS; l++)
		pthread_join(lt[l], NULL);
	for (i = 0; i < NREADERS; i++)
		pthread_join(rt[i], NULL);
	pthread_join(tt, (void **)&t);
	pthread_barrier_destroy(&sh.go);
	cr_assert_not_null(t);
	cr_assert_str_empty(failed.text, "%s", failed.text);
	if (getenv("NP_THREAD_VERBOSE"))
		fprintf(stderr,
			"%d loads a loader, %lu reader rounds, "
			"%lu change sets\n",
			sh.iters, sh.reads, sh.tracks);

	/* the same as a fresh cluster loaded with the final objects */
	text = final_objects(&sh, &len);
	ref = fresh(text, len);
	free(text);
	track(sh.c, t);
	cr_assert_str_empty(failed.text, "%s", failed.text);
	for (l = 0; l < NLOADERS; l++) {
		for (p = 0; p < NPODS; p++) {
			const char *ns = p % 2 ? "b" : "a";
			char name[16];
			uint64_t want, *got;

			snprintf(name, sizeof(name), "l%dp%d", l, p);
			want = pod_hash(ref, ns, name);
			cr_expect_eq(pod_hash(sh.c, ns, name), want,
				     "pod %s/%s", ns, name);
			got = tracked_slot(t, ns, name);
			cr_assert_not_null(got);
			cr_expect_eq(*got, want, "change sets: pod %s/%s", ns,
				     name);
			npods += want != 0;
		}
	}
	cr_expect_eq(np_cluster_count(sh.c, NP_KIND_POD), npods);
	for (i = 0; i < NP_KIND__MAX; i++)
		expect_same_export(sh.c, ref, (enum np_kind)i);
	cr_assert_eq(np_cluster_endpoints(sh.c, NP_FORMAT_JSON, &eps[0], NULL),
		     0);
	cr_assert_eq(np_cluster_endpoints(ref, NP_FORMAT_JSON, &eps[1], NULL),
		     0);
	cr_expect_str_eq(eps[0], eps[1]);
	np_free(eps[0]);
	np_free(eps[1]);
	free(t);
	np_cluster_free(ref);
	np_cluster_free(sh.c);
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

	/* inside np_ruleset_compile(), which holds the lock */
	r->logs++;
	cr_expect_eq(np_cluster_names(r->c, NP_KIND_POD, &out), 0, "%s", msg);
	cr_expect(strstr(out, "a/l0p0") != NULL, "%s", out);
	np_free(out);
}

static void diag_calls_back(void *ctx, const struct np_diag *d)
{
	struct reenter *r = ctx;

	r->diags++;
	cr_expect_eq(np_cluster_count(r->c, NP_KIND_NAMESPACE), 0, "%s",
		     d->message);
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

Test(threads, callbacks_reenter, .timeout = 60)
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

	cr_assert_eq(np_cluster_new(&r.c, &co), 0);
	f = open_memstream(&text, &len);
	cr_assert_not_null(f);
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
	cr_assert_eq(np_cluster_load_buffer(r.c, text, len, "t", &lo, NULL), 0);
	free(text);
	cr_expect_eq(r.diags, 1);
	cr_expect_eq(np_cluster_count(r.c, NP_KIND_POD), 3);
	/* the shared address is logged while the compile holds the lock */
	cr_assert_eq(np_ruleset_compile(&rs, r.c, "a", "l0p0", NULL, NULL), 0);
	np_ruleset_free(rs);
	cr_expect_gt(r.logs, 0);
	mo.decide = decide_calls_back;
	mo.decide_ctx = r.c;
	cr_assert_eq(np_cluster_matrix(r.c, &mo, NP_FORMAT_TEXT, &out, NULL),
		     0);
	cr_expect(strchr(out, '.') != NULL, "%s", out);
	np_free(out);
	np_cluster_free(r.c);
}
