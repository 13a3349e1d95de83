/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The document tree: what YAML and JSON parse into, and what the emitters
 * print. Unlike jansson's json_t every node carries its source position
 * (jansson shares one true/false/null singleton, so it cannot), which every
 * diagnostic needs. All nodes live in one arena.
 */
#ifndef NP_NODE_H
#define NP_NODE_H

#include "netpol/diag.h"
#include "util.h"

enum np_node_type {
	NP_N_NULL = 0,
	NP_N_BOOL,
	NP_N_INT,
	NP_N_FLOAT,
	NP_N_STR,
	NP_N_SEQ,
	NP_N_MAP,
};

struct np_node {
	uint8_t type;
	bool overflow; /* NP_N_INT out of int64 range */
	unsigned int line, col;
	/* Scalars: the text as written (also for numbers and booleans). */
	struct {
		const char *s;
		size_t len;
	} str;
	union {
		bool b;
		int64_t i;
		double f;
		struct {
			struct np_node **v;
			size_t n, cap;
		} seq;
		struct {
			const char **k;
			struct np_node **v;
			size_t n, cap;
		} map;
	};
};

/* A parsed input: one root per document (kind: List not yet expanded). */
struct np_docset {
	struct np_arena arena;
	struct np_node **docs;
	size_t ndocs, cap;
};

/* --- the readers (parse.c) --- */

/*
 * Parse YAML or JSON text into docs. On a syntax error or a limit, fills
 * diag (file, line, column, message) and returns -EINVAL or -E2BIG.
 */
int np__parse(struct np_docset *ds, const char *buf, size_t len,
	      const char *name, enum np_format fmt, struct np_diag *diag);
void np__docset_release(struct np_docset *ds);

/*
 * Give a plain (unquoted) scalar its YAML 1.2 core-schema type (also what
 * the YAML emitter asks before printing a string plain).
 */
void np__resolve_plain(struct np_node *n);

/* --- nodes (node.c) --- */

/* "string", "object", ...; "nothing" for NULL. */
const char *np__node_type_name(const struct np_node *n);
/* A map's value for key; NULL when absent or map is not a map. */
struct np_node *np__map_get(const struct np_node *map, const char *key);

/*
 * Builders, used by the readers and the emitters of the library's own
 * output. NULL or -ENOMEM when out of memory; np__seq_push and np__map_put
 * take a NULL v as that failure, so calls can nest.
 */
struct np_node *np__node_new(struct np_arena *a, enum np_node_type t);
struct np_node *np__node_str(struct np_arena *a, const char *s);
struct np_node *np__node_int(struct np_arena *a, int64_t v);
struct np_node *np__node_bool(struct np_arena *a, bool v);
int np__seq_push(struct np_arena *a, struct np_node *seq, struct np_node *v);
int np__map_put(struct np_arena *a, struct np_node *map, const char *key,
		struct np_node *v);

/* A `apiVersion: v1, kind: List` object; *items receives its list. */
struct np_node *np__list_new(struct np_arena *a, struct np_node **items);

/* --- the writers (emit.c) --- */

/* Print a tree into a new string (freed with np_free). */
int np__emit_string(const struct np_node *root, enum np_format fmt, char **out);

/* Print a tree. JSON: 2-space indented, as kubectl -o json. */
int np__emit(const struct np_node *root, enum np_format fmt,
	     struct np_strbuf *sb);

#endif /* NP_NODE_H */
