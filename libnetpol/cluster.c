// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The cluster snapshot: objects by kind, namespace and name; loading,
 * deleting, counting, listing and exporting them; and the hooks through
 * which the compiler follows every change (it registers itself: the
 * snapshot calls nothing above it).
 *
 * Loading is transactional per call (np_load_opts.skip_invalid false): the
 * input is parsed and every object validated before anything changes, and
 * the table space for the new objects is reserved first, so applying them
 * cannot fail half way. With skip_invalid, each invalid object is left out
 * (and its previous version stays) while the valid ones are applied.
 *
 * Every public call that takes a cluster holds its lock (a recursive
 * mutex) for the whole call: here, and at the entry points of the stages
 * above (a public wrapper around a static body). Parsing and validating a
 * load needs no snapshot and runs before the lock is taken.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster_internal.h"
#include "np_limits.h"
#include "opts.h"

/* --- tables ------------------------------------------------------------- */

static uint64_t key_hash(const char *ns, const char *name)
{
	return np__hash_str(name, np__hash_str(ns, 0x9e3779b97f4a7c15ULL));
}

struct obj_key {
	const char *ns, *name;
};

static bool key_eq(const void *val, const void *key)
{
	const struct np_obj *o = val;
	const struct obj_key *k = key;

	return !strcmp(o->meta.ns, k->ns) && !strcmp(o->meta.name, k->name);
}

static size_t tab_find(const struct np_hashmap *t, const char *ns,
		       const char *name)
{
	struct obj_key k = { ns, name };
	size_t i;

	if (!t->cap)
		return SIZE_MAX;
	i = np__hashmap_probe(t, key_hash(ns, name), key_eq, &k);
	return t->slots[i].val ? i : SIZE_MAX;
}

static int tab_reserve(struct np_hashmap *t, size_t n)
{
	return np__hashmap_reserve(t, n, 16);
}

/* Needs room reserved: never fails. Returns the replaced version. */
static struct np_obj *tab_upsert(struct np_hashmap *t, struct np_obj *o)
{
	struct obj_key k = { o->meta.ns, o->meta.name };
	uint64_t h = key_hash(k.ns, k.name);
	size_t i = np__hashmap_probe(t, h, key_eq, &k);
	struct np_obj *old = t->slots[i].val;

	if (old)
		t->slots[i].val = o;
	else
		np__hashmap_fill(t, i, h, o);
	return old;
}

struct np_obj *np__cluster_find(const struct np_cluster *c, enum np_kind k,
				const char *ns, const char *name)
{
	size_t i =
		tab_find(&c->t[k], np__kind_cluster_scoped(k) ? "" : ns, name);

	return i == SIZE_MAX ? NULL : c->t[k].slots[i].val;
}

static int obj_cmp(const void *a, const void *b)
{
	const struct np_obj *x = *(struct np_obj *const *)a;
	const struct np_obj *y = *(struct np_obj *const *)b;
	int r = strcmp(x->meta.ns, y->meta.ns);

	return r ? r : strcmp(x->meta.name, y->meta.name);
}

int np__cluster_sorted(const struct np_cluster *c, enum np_kind k,
		       struct np_obj ***out, size_t *n)
{
	const struct np_hashmap *t = &c->t[k];
	size_t i, m = 0;

	*out = malloc((t->n + 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i].val)
			(*out)[m++] = t->slots[i].val;
	qsort(*out, m, sizeof(**out), obj_cmp);
	*n = m;
	return 0;
}

/* --- hooks ------------------------------------------------------------- */

void np__cluster_set_hooks(struct np_cluster *c,
			   const struct np_cluster_hooks *hooks, void *ctx)
{
	c->hooks = hooks;
	c->hooks_ctx = ctx;
}

void np__cluster_set_watch(struct np_cluster *c,
			   const struct np_cluster_hooks *hooks, void *ctx)
{
	c->watch = hooks;
	c->watch_ctx = ctx;
}

/* A hook may unregister itself: read c->hooks again for every call. */
static void changed(struct np_cluster *c, enum np_kind kind,
		    const struct np_obj *old, const struct np_obj *new_)
{
	if (c->hooks && c->hooks->on_change)
		c->hooks->on_change(c->hooks_ctx, c, kind, old, new_);
	if (c->watch && c->watch->on_change)
		c->watch->on_change(c->watch_ctx, c, kind, old, new_);
}

static void synced(struct np_cluster *c)
{
	c->gen++;
	if (c->hooks && c->hooks->on_synced)
		c->hooks->on_synced(c->hooks_ctx, c->gen);
	if (c->watch && c->watch->on_synced)
		c->watch->on_synced(c->watch_ctx, c->gen);
}

/* --- the lock ---------------------------------------------------------- */

/* The object was made writable (calloc): casting const away is defined. */
void np__cluster_lock(const struct np_cluster *c)
{
	if (c)
		pthread_mutex_lock((pthread_mutex_t *)&c->lock);
}

void np__cluster_unlock(const struct np_cluster *c)
{
	if (c)
		pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
}

static int lock_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;
	int err;

	err = pthread_mutexattr_init(&attr);
	if (err)
		return -err;
	err = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	if (!err)
		err = pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	return -err;
}

/* --- public ------------------------------------------------------------- */

int np_cluster_new(struct np_cluster **out, const struct np_cluster_opts *opts)
{
	struct np_cluster *c;
	int err;

	if (!out || !NP_OPTS_VALID(opts, np_cluster_opts))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = lock_init(&c->lock);
	if (err) {
		free(c);
		return err;
	}
	c->log = NP_OPTS_GET(opts, log, NULL);
	c->log_ctx = NP_OPTS_GET(opts, log_ctx, NULL);
	/* 0: by the snapshot's size, when a resolution context is made */
	c->cache_bytes = NP_OPTS_GET(opts, cache_bytes, 0);
	*out = c;
	return 0;
}

void np_cluster_free(struct np_cluster *c)
{
	size_t k, i;

	if (!c)
		return;
	/* a call still running in another thread is the caller's bug */
	np__cluster_lock(c);
	for (k = 0; k < NP_KIND__MAX; k++) {
		for (i = 0; i < c->t[k].cap; i++)
			np__obj_free(c->t[k].slots[i].val);
		np__hashmap_release(&c->t[k]);
	}
	if (c->hooks && c->hooks->on_free)
		c->hooks->on_free(c->hooks_ctx);
	if (c->watch && c->watch->on_free)
		c->watch->on_free(c->watch_ctx);
	np__cluster_unlock(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/*
 * A failure of a whole input, which no problem of an object names (an
 * unreadable file, out of memory): diag says so, and on_diag hears it, so
 * that a caller who reports problems through on_diag never fails silently.
 */
static void input_diag(struct np_diag *diag, const char *file, int err,
		       np_diag_fn cb, void *cbctx)
{
	memset(diag, 0, sizeof(*diag));
	diag->err = err;
	snprintf(diag->file, sizeof(diag->file), "%s", file);
	snprintf(diag->message, sizeof(diag->message), "%s",
		 err == -E2BIG	? "input too large" :
		 err == -ENOMEM ? "out of memory" :
				  strerror(-err));
	if (cb)
		cb(cbctx, diag);
}

int np_cluster_load_buffer(struct np_cluster *c, const void *buf, size_t len,
			   const char *name, const struct np_load_opts *opts,
			   struct np_diag *diag)
{
	struct np_docset ds = { 0 };
	struct np_vctx vc = { 0 };
	struct np_diag local;
	struct np_obj **objs = NULL;
	size_t nobjs = 0, cap = 0, i, add[NP_KIND__MAX] = { 0 };
	bool skip = false;
	enum np_format fmt = NP_FORMAT_AUTO;
	int err;

	/* the first problem decides the return code, with or without diag */
	if (!diag)
		diag = &local;
	memset(diag, 0, sizeof(*diag));
	if (!c || (!buf && len))
		return -EINVAL;
	err = NP_OPTS_CHECK(opts, np_load_opts, diag);
	if (err)
		return err;
	skip = NP_OPTS_GET(opts, skip_invalid, false);
	fmt = NP_OPTS_GET(opts, format, NP_FORMAT_AUTO);
	vc.cb = NP_OPTS_GET(opts, on_diag, NULL);
	vc.cbctx = NP_OPTS_GET(opts, diag_ctx, NULL);
	if (fmt == NP_FORMAT_TEXT)
		return -EINVAL;
	if (!name)
		name = "<buffer>";
	err = np__parse(&ds, buf ? buf : "", len, name, fmt, diag);
	if (err) {
		if (!diag->message[0])
			input_diag(diag, name, err, vc.cb, vc.cbctx);
		else if (vc.cb)
			vc.cb(vc.cbctx, diag);
		np__docset_release(&ds);
		return err;
	}
	vc.file = name;
	vc.first = diag;
	vc.log = c->log;
	vc.log_ctx = c->log_ctx;
	for (i = 0; i < ds.ndocs; i++) {
		err = np__objects_from_doc(&vc, ds.docs[i], &objs, &nobjs,
					   &cap);
		if (err)
			goto fail_unreported;
	}
	if (vc.nerr && !skip) {
		err = diag->err ? diag->err : -EINVAL;
		goto fail;
	}
	for (i = 0; i < nobjs; i++)
		add[objs[i]->kind]++;
	/* the snapshot from here: parsing and validating need none */
	np__cluster_lock(c);
	for (i = 0; i < NP_KIND__MAX; i++) {
		err = tab_reserve(&c->t[i], c->t[i].n + add[i]);
		if (err) {
			np__cluster_unlock(c);
			goto fail_unreported;
		}
	}
	for (i = 0; i < nobjs; i++) {
		struct np_obj *old = tab_upsert(&c->t[objs[i]->kind], objs[i]);

		/* whoever watches follows the change, then old goes */
		changed(c, objs[i]->kind, old, objs[i]);
		np__obj_free(old);
	}
	if (nobjs)
		synced(c);
	np__cluster_unlock(c);
	free(objs);
	np__docset_release(&ds);
	return 0;
fail_unreported:
	input_diag(diag, name, err, vc.cb, vc.cbctx);
fail:
	for (i = 0; i < nobjs; i++)
		np__obj_free(objs[i]);
	free(objs);
	np__docset_release(&ds);
	return err;
}

/*
 * The whole of fd, up to NP_MAX_INPUT_BYTES: past it, -E2BIG. The buffer
 * never grows beyond the limit (a last doubling to limit + 1 would copy
 * 256 MiB into 512); one byte read into the stack says there is more.
 */
static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap), *p, more;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap && cap < NP_MAX_INPUT_BYTES) {
			size_t ncap =
				NP_MIN(cap * 2, (size_t)NP_MAX_INPUT_BYTES);

			p = realloc(buf, ncap);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap = ncap;
		}
		r = n < cap ? read(fd, buf + n, cap - n) : read(fd, &more, 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (!r)
			break;
		if (n == cap) {
			free(buf);
			return -E2BIG;
		}
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

int np_cluster_load_file(struct np_cluster *c, const char *path,
			 const struct np_load_opts *opts, struct np_diag *diag)
{
	struct np_diag local;
	np_diag_fn on_diag;
	char *buf = NULL;
	size_t len = 0;
	int fd, err;

	/* on_diag hears about an unreadable file even without diag */
	if (!diag)
		diag = &local;
	memset(diag, 0, sizeof(*diag));
	if (!c || !path)
		return -EINVAL;
	err = NP_OPTS_CHECK(opts, np_load_opts, diag);
	if (err)
		return err;
	on_diag = NP_OPTS_GET(opts, on_diag, NULL);
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		err = -errno;
		goto diag;
	}
	err = read_all(fd, &buf, &len);
	if (fd)
		close(fd);
	if (err)
		goto diag;
	err = np_cluster_load_buffer(c, buf, len, path, opts, diag);
	free(buf);
	return err;
diag:
	input_diag(diag, path, err, on_diag, NP_OPTS_GET(opts, diag_ctx, NULL));
	return err;
}

int np_cluster_delete(struct np_cluster *c, enum np_kind kind, const char *ns,
		      const char *name)
{
	struct np_obj *old;
	size_t i;

	if (!c || (unsigned)kind >= NP_KIND__MAX || !name ||
	    (!np__kind_cluster_scoped(kind) && !ns))
		return -EINVAL;
	np__cluster_lock(c);
	i = tab_find(&c->t[kind], np__kind_cluster_scoped(kind) ? "" : ns,
		     name);
	if (i == SIZE_MAX) {
		np__cluster_unlock(c);
		return -ENOENT;
	}
	old = c->t[kind].slots[i].val;
	np__hashmap_remove_at(&c->t[kind], i);
	changed(c, kind, old, NULL);
	np__obj_free(old);
	synced(c);
	np__cluster_unlock(c);
	return 0;
}

size_t np_cluster_count(const struct np_cluster *c, enum np_kind kind)
{
	size_t n;

	if (!c || (unsigned)kind >= NP_KIND__MAX)
		return 0;
	np__cluster_lock(c);
	n = c->t[kind].n;
	np__cluster_unlock(c);
	return n;
}

/* np__cluster_sorted() taking c's lock: held on success, for the caller */
static int lock_sorted(const struct np_cluster *c, enum np_kind kind,
		       struct np_obj ***objs, size_t *n)
{
	int err;

	np__cluster_lock(c);
	err = np__cluster_sorted(c, kind, objs, n);
	if (err)
		np__cluster_unlock(c);
	return err;
}

int np_cluster_names(const struct np_cluster *c, enum np_kind kind, char **out)
{
	struct np_strbuf sb = { 0 };
	struct np_obj **objs;
	size_t n, i;
	int err;

	if (!c || !out || (unsigned)kind >= NP_KIND__MAX)
		return -EINVAL;
	err = lock_sorted(c, kind, &objs, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (!np__kind_cluster_scoped(kind))
			np__sb_printf(&sb, "%s/", objs[i]->meta.ns);
		np__sb_printf(&sb, "%s\n", objs[i]->meta.name);
	}
	np__cluster_unlock(c);
	free(objs);
	return np__sb_finish(&sb, out);
}

int np_cluster_export(const struct np_cluster *c, enum np_kind kind,
		      enum np_format fmt, char **out)
{
	struct np_arena a = { 0 };
	struct np_node *root, *items;
	struct np_obj **objs;
	size_t n, i;
	int err;

	if (!c || (unsigned)kind >= NP_KIND__MAX || !out ||
	    (fmt != NP_FORMAT_YAML && fmt != NP_FORMAT_JSON))
		return -EINVAL;
	err = lock_sorted(c, kind, &objs, &n);
	if (err)
		return err;
	err = -ENOMEM;
	root = np__list_new(&a, &items);
	for (i = 0; root && i < n; i++)
		if (np__seq_push(&a, items, np__obj_to_node(&a, objs[i])))
			goto out;
	if (root)
		err = np__emit_string(root, fmt, out);
out:
	np__cluster_unlock(c);
	free(objs);
	np__arena_release(&a);
	return err;
}
