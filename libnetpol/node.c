/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Nodes of the document tree: building them (what the readers in parse.c
 * and every emitter of the library's own output use), and looking into a
 * map and a node's type.
 */
#include "node.h"

struct np_node *np__node_new(struct np_arena *a, enum np_node_type t)
{
	struct np_node *n = np__arena_zalloc(a, sizeof(*n));

	if (n)
		n->type = t;
	return n;
}

struct np_node *np__node_str(struct np_arena *a, const char *s)
{
	struct np_node *n = np__node_new(a, NP_N_STR);

	if (!n)
		return NULL;
	n->str.len = strlen(s);
	n->str.s = np__arena_strndup(a, s, n->str.len);
	return n->str.s ? n : NULL;
}

struct np_node *np__node_int(struct np_arena *a, int64_t v)
{
	struct np_node *n = np__node_new(a, NP_N_INT);

	if (!n)
		return NULL;
	n->i = v;
	n->str.s = np__arena_printf(a, "%lld", (long long)v);
	if (!n->str.s)
		return NULL;
	n->str.len = strlen(n->str.s);
	return n;
}

struct np_node *np__node_bool(struct np_arena *a, bool v)
{
	struct np_node *n = np__node_new(a, NP_N_BOOL);

	if (!n)
		return NULL;
	n->b = v;
	n->str.s = v ? "true" : "false";
	n->str.len = strlen(n->str.s);
	return n;
}

static int arena_grow(struct np_arena *a, void **arr, size_t *cap, size_t n,
		      size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 4;
	void *p;

	if (n < *cap)
		return 0;
	p = np__arena_alloc(a, ncap * elem);
	if (!p)
		return -ENOMEM;
	if (*arr)
		memcpy(p, *arr, *cap * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}

int np__seq_push(struct np_arena *a, struct np_node *seq, struct np_node *v)
{
	if (!v || arena_grow(a, (void **)&seq->seq.v, &seq->seq.cap, seq->seq.n,
			     sizeof(*seq->seq.v)))
		return -ENOMEM;
	seq->seq.v[seq->seq.n++] = v;
	return 0;
}

int np__map_put(struct np_arena *a, struct np_node *map, const char *key,
		struct np_node *v)
{
	size_t cap = map->map.cap;

	if (!v || !key)
		return -ENOMEM;
	if (arena_grow(a, (void **)&map->map.v, &map->map.cap, map->map.n,
		       sizeof(*map->map.v)))
		return -ENOMEM;
	if (arena_grow(a, (void **)&map->map.k, &cap, map->map.n,
		       sizeof(*map->map.k)))
		return -ENOMEM;
	map->map.k[map->map.n] = key;
	map->map.v[map->map.n++] = v;
	return 0;
}

struct np_node *np__map_get(const struct np_node *map, const char *key)
{
	size_t i;

	if (!map || map->type != NP_N_MAP)
		return NULL;
	for (i = 0; i < map->map.n; i++)
		if (!strcmp(map->map.k[i], key))
			return map->map.v[i];
	return NULL;
}

const char *np__node_type_name(const struct np_node *n)
{
	static const char *const names[] = {
		[NP_N_NULL] = "null",	[NP_N_BOOL] = "boolean",
		[NP_N_INT] = "integer", [NP_N_FLOAT] = "number",
		[NP_N_STR] = "string",	[NP_N_SEQ] = "list",
		[NP_N_MAP] = "object",
	};

	return n ? names[n->type] : "nothing";
}

struct np_node *np__list_new(struct np_arena *a, struct np_node **items)
{
	struct np_node *root = np__node_new(a, NP_N_MAP);

	*items = np__node_new(a, NP_N_SEQ);
	if (!root || !*items ||
	    np__map_put(a, root, "apiVersion", np__node_str(a, "v1")) ||
	    np__map_put(a, root, "kind", np__node_str(a, "List")) ||
	    np__map_put(a, root, "items", *items))
		return NULL;
	return root;
}
