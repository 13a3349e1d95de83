// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The cluster snapshot: objects by kind, namespace and name.
 *
 * Loading is transactional per call (np_load_opts.skip_invalid false): the
 * input is parsed and every object validated before anything changes, and
 * the table space for the new objects is reserved first, so applying them
 * cannot fail half way. With skip_invalid, each invalid object is left out
 * (and its previous version stays) while the valid ones are applied.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster_internal.h"
#include "np_limits.h"

const char *np_version(void)
{
	return "0.1.0";
}

void np_free(void *ptr)
{
	free(ptr);
}

const char *np_strerror(int err)
{
	/* long: -INT_MIN does not fit an int */
	switch (err < 0 ? -(long)err : (long)err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid input";
	case E2BIG:
		return "over a limit";
	case ENOENT:
		return "no such object";
	case ENOMEM:
		return "out of memory";
	case EPERM:
		return "operation not permitted";
	case EACCES:
		return "permission denied";
	case ENOTSUP:
		return "not supported";
	case EEXIST:
		return "already exists";
	case EBUSY:
		return "busy";
	case ENODEV:
		return "no such device";
	case EIO:
		return "input/output error";
	case ENOSPC:
		return "no space left";
	case EAGAIN:
		return "try again";
	}
	return "unknown error";
}

int np_diag_format(const struct np_diag *d, char *buf, size_t size)
{
	struct np_strbuf sb = { 0 };
	char *s;
	int err;

	if (!d || !buf || !size)
		return -EINVAL;
	if (d->file[0]) {
		np__sb_puts(&sb, d->file);
		if (d->line) {
			np__sb_printf(&sb, ":%u", d->line);
			if (d->column)
				np__sb_printf(&sb, ":%u", d->column);
		}
		np__sb_puts(&sb, ": ");
	}
	if (d->object[0])
		np__sb_printf(&sb, "%s: ", d->object);
	if (d->path[0])
		np__sb_printf(&sb, "%s: ", d->path);
	np__sb_puts(&sb, d->message[0] ? d->message : np_strerror(d->err));
	err = np__sb_finish(&sb, &s);
	if (err)
		return err;
	snprintf(buf, size, "%s", s);
	err = strlen(s) >= size ? -ENOSPC : 0;
	free(s);
	return err;
}

/* --- tables ------------------------------------------------------------- */

static uint64_t key_hash(const char *ns, const char *name)
{
	return np__hash_str(name, np__hash_str(ns, 0x9e3779b97f4a7c15ULL));
}

static bool key_eq(const struct np_obj *o, const char *ns, const char *name)
{
	return !strcmp(o->meta.ns, ns) && !strcmp(o->meta.name, name);
}

static size_t tab_find(const struct np_table *t, const char *ns,
		       const char *name)
{
	size_t i;

	if (!t->cap)
		return SIZE_MAX;
	i = key_hash(ns, name) & (t->cap - 1);
	for (; t->slots[i]; i = (i + 1) & (t->cap - 1))
		if (key_eq(t->slots[i], ns, name))
			return i;
	return SIZE_MAX;
}

static int tab_reserve(struct np_table *t, size_t n)
{
	struct np_obj **old = t->slots;
	size_t oldcap = t->cap, cap = t->cap ? t->cap : 16, i, j;

	while (cap / 2 < n)
		cap *= 2;
	if (cap == t->cap)
		return 0;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return -ENOMEM;
	}
	t->cap = cap;
	for (i = 0; i < oldcap; i++) {
		if (!old[i])
			continue;
		j = key_hash(old[i]->meta.ns, old[i]->meta.name) & (cap - 1);
		while (t->slots[j])
			j = (j + 1) & (cap - 1);
		t->slots[j] = old[i];
	}
	free(old);
	return 0;
}

/* Needs room reserved: never fails. Returns the replaced version. */
static struct np_obj *tab_upsert(struct np_table *t, struct np_obj *o)
{
	size_t i = tab_find(t, o->meta.ns, o->meta.name);
	struct np_obj *old;

	if (i != SIZE_MAX) {
		old = t->slots[i];
		t->slots[i] = o;
		return old;
	}
	i = key_hash(o->meta.ns, o->meta.name) & (t->cap - 1);
	while (t->slots[i])
		i = (i + 1) & (t->cap - 1);
	t->slots[i] = o;
	t->n++;
	return NULL;
}

/* Backward-shift deletion keeps probe chains intact. */
static void tab_remove(struct np_table *t, size_t i)
{
	size_t j = i, k;

	t->slots[i] = NULL;
	t->n--;
	for (;;) {
		j = (j + 1) & (t->cap - 1);
		if (!t->slots[j])
			return;
		k = key_hash(t->slots[j]->meta.ns, t->slots[j]->meta.name) &
		    (t->cap - 1);
		/* move j back to i unless k lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->slots[i] = t->slots[j];
		t->slots[j] = NULL;
		i = j;
	}
}

struct np_obj *np__cluster_find(const struct np_cluster *c, enum np_kind k,
				const char *ns, const char *name)
{
	size_t i = tab_find(&c->t[k], k == NP_KIND_NAMESPACE ? "" : ns, name);

	return i == SIZE_MAX ? NULL : c->t[k].slots[i];
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
	const struct np_table *t = &c->t[k];
	size_t i, m = 0;

	*out = malloc((t->n + 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i])
			(*out)[m++] = t->slots[i];
	qsort(*out, m, sizeof(**out), obj_cmp);
	*n = m;
	return 0;
}

/* --- public ------------------------------------------------------------- */

int np_cluster_new(struct np_cluster **out, const struct np_cluster_opts *opts)
{
	struct np_cluster *c;

	if (!out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (opts && opts->sz >= offsetof(struct np_cluster_opts, log_ctx) +
					sizeof(void *)) {
		c->log = opts->log;
		c->log_ctx = opts->log_ctx;
	}
	*out = c;
	return 0;
}

void np_cluster_free(struct np_cluster *c)
{
	size_t k, i;

	if (!c)
		return;
	for (k = 0; k < NP_KIND__MAX; k++) {
		for (i = 0; i < c->t[k].cap; i++)
			np__obj_free(c->t[k].slots[i]);
		free(c->t[k].slots);
	}
	np__ctx_free(c->ctx);
	free(c);
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
	if (opts && opts->sz >= offsetof(struct np_load_opts, diag_ctx) +
					sizeof(void *)) {
		skip = opts->skip_invalid;
		fmt = opts->format;
		vc.cb = opts->on_diag;
		vc.cbctx = opts->diag_ctx;
	}
	if (fmt == NP_FORMAT_TEXT)
		return -EINVAL;
	if (!name)
		name = "<buffer>";
	err = np__parse(&ds, buf ? buf : "", len, name, fmt, diag);
	if (err) {
		if (vc.cb)
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
			goto fail;
	}
	if (vc.nerr && !skip) {
		err = diag->err ? diag->err : -EINVAL;
		goto fail;
	}
	for (i = 0; i < nobjs; i++)
		add[objs[i]->kind]++;
	for (i = 0; i < NP_KIND__MAX; i++) {
		err = tab_reserve(&c->t[i], c->t[i].n + add[i]);
		if (err)
			goto fail;
	}
	for (i = 0; i < nobjs; i++) {
		struct np_obj *old = tab_upsert(&c->t[objs[i]->kind], objs[i]);

		/* the compiler's indexes follow the change, then old goes */
		np__ctx_change(c, objs[i]->kind, old, objs[i]);
		np__obj_free(old);
	}
	if (nobjs) {
		c->gen++;
		if (c->ctx)
			np__ctx_synced(c->ctx, c->gen);
	}
	free(objs);
	np__docset_release(&ds);
	return 0;
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
	char *buf = NULL;
	size_t len = 0;
	int fd, err;

	/* on_diag hears about an unreadable file even without diag */
	if (!diag)
		diag = &local;
	memset(diag, 0, sizeof(*diag));
	if (!c || !path)
		return -EINVAL;
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
	diag->err = err;
	snprintf(diag->file, sizeof(diag->file), "%s", path);
	snprintf(diag->message, sizeof(diag->message), "%s",
		 err == -E2BIG ? "input too large" : strerror(-err));
	if (opts &&
	    opts->sz >=
		    offsetof(struct np_load_opts, diag_ctx) + sizeof(void *) &&
	    opts->on_diag)
		opts->on_diag(opts->diag_ctx, diag);
	return err;
}

int np_cluster_delete(struct np_cluster *c, enum np_kind kind, const char *ns,
		      const char *name)
{
	struct np_obj *old;
	size_t i;

	if (!c || (unsigned)kind >= NP_KIND__MAX || !name ||
	    (kind != NP_KIND_NAMESPACE && !ns))
		return -EINVAL;
	i = tab_find(&c->t[kind], kind == NP_KIND_NAMESPACE ? "" : ns, name);
	if (i == SIZE_MAX)
		return -ENOENT;
	old = c->t[kind].slots[i];
	tab_remove(&c->t[kind], i);
	np__ctx_change(c, kind, old, NULL);
	np__obj_free(old);
	c->gen++;
	if (c->ctx)
		np__ctx_synced(c->ctx, c->gen);
	return 0;
}

size_t np_cluster_count(const struct np_cluster *c, enum np_kind kind)
{
	if (!c || (unsigned)kind >= NP_KIND__MAX)
		return 0;
	return c->t[kind].n;
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
	err = np__cluster_sorted(c, kind, &objs, &n);
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
	free(objs);
	np__arena_release(&a);
	return err;
}
