// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * YAML and JSON text into the document tree, with positions and limits:
 * the readers. The tree's nodes are built with node.c.
 *
 * YAML goes through libyaml's event API. Plain scalars are resolved with
 * the YAML 1.2 core schema (null, true/false, integers, floats; everything
 * else is a string), so `on` or `yes` stay strings. Duplicate keys are an
 * error, as they are for kubectl. Aliases are followed (the node is shared,
 * not copied) and every node reached through one counts against
 * NP_MAX_ALIAS_NODES, which defuses "billion laughs".
 *
 * JSON is first checked by jansson (strict RFC 8259, duplicate keys
 * rejected, its error positions), then read by the same event code for the
 * positions, since JSON text is YAML flow syntax. Should libyaml refuse
 * text that jansson accepted, the jansson tree is converted instead and the
 * positions are those of the enclosing object.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

#include "hashmap.h"
#include "np_limits.h"
#include "node.h"

struct frame {
	struct np_node *node;
	const char *key;
	size_t size; /* nodes below, aliases expanded */
	long anchor; /* index in anchors, or -1 */
};

struct anchor {
	char *name;
	struct np_node *node;
	size_t size;
	bool done;
};

struct pstate {
	struct np_docset *ds;
	struct np_arena *a;
	struct np_diag *diag;
	const char *name;
	struct frame stack[NP_MAX_DEPTH + 1];
	int depth;
	struct anchor *anchors;
	size_t nanchors, acap;
	/*
	 * Anchor names, hashed: index + 1 into anchors of a name's latest
	 * definition. A linear search made a document of n anchors and
	 * aliases cost O(n^2).
	 */
	struct np_hashmap aslots;
	size_t nodes;
	size_t alias_nodes;
	struct np_node *root;
};

static void diag_set(struct np_diag *d, const char *name, unsigned line,
		     unsigned col, int err, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void diag_set(struct np_diag *d, const char *name, unsigned line,
		     unsigned col, int err, const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return;
	memset(d, 0, sizeof(*d));
	d->err = err;
	d->line = line;
	d->column = col;
	snprintf(d->file, sizeof(d->file), "%s", name ? name : "");
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
}

/* --- scalar resolution (YAML 1.2 core schema) --------------------------- */

static bool all_digits(const char *s, size_t n, int base)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (base == 10 && !(c >= '0' && c <= '9'))
			return false;
		if (base == 8 && !(c >= '0' && c <= '7'))
			return false;
		if (base == 16 &&
		    !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

static bool is_float(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (n - i == 4 &&
	    (!strncmp(s + i, ".inf", 4) || !strncmp(s + i, ".Inf", 4) ||
	     !strncmp(s + i, ".INF", 4)))
		return true;
	if (n == 4 && (!strncmp(s, ".nan", 4) || !strncmp(s, ".NaN", 4) ||
		       !strncmp(s, ".NAN", 4)))
		return true;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !(s[i] >= '0' && s[i] <= '9'))
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

void np__resolve_plain(struct np_node *n)
{
	const char *s = n->str.s;
	size_t len = n->str.len;
	size_t off = 0;
	int base = 10;
	bool neg = false;
	uint64_t v = 0, lim;

	n->type = NP_N_STR;
	if (!len || (len == 1 && s[0] == '~') ||
	    (len == 4 && (!strcmp(s, "null") || !strcmp(s, "Null") ||
			  !strcmp(s, "NULL")))) {
		n->type = NP_N_NULL;
		return;
	}
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
		n->type = NP_N_BOOL;
		n->b = true;
		return;
	}
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
		n->type = NP_N_BOOL;
		n->b = false;
		return;
	}
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		off = 1;
	}
	if (len - off > 2 && s[off] == '0' &&
	    (s[off + 1] == 'x' || s[off + 1] == 'o')) {
		base = s[off + 1] == 'x' ? 16 : 8;
		off += 2;
		if (off != 2 && off != 3)
			return;
	}
	if (all_digits(s + off, len - off, base)) {
		size_t i;

		lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		n->type = NP_N_INT;
		for (i = off; i < len; i++) {
			unsigned d = s[i] <= '9' ? (unsigned)(s[i] - '0') :
						   (unsigned)((s[i] | 0x20) -
							      'a' + 10);

			if (v > (lim - d) / (unsigned)base) {
				n->overflow = true;
				v = lim;
				break;
			}
			v = v * (unsigned)base + d;
		}
		n->i = neg ? (int64_t)(0 - v) : (int64_t)v;
		return;
	}
	if (base == 10 && is_float(s, len)) {
		n->type = NP_N_FLOAT;
		n->f = strtod(s, NULL);
	}
}

/* --- event-driven tree building ----------------------------------------- */

static int perr(struct pstate *ps, const yaml_mark_t *m, int err,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int perr(struct pstate *ps, const yaml_mark_t *m, int err,
		const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_set(ps->diag, ps->name, m ? (unsigned)m->line + 1 : 0,
		 m ? (unsigned)m->column + 1 : 0, err, "%s", msg);
	return err;
}

/* A slot's value points at a map key (a C string). */
static bool key_eq(const void *val, const void *key)
{
	return !strcmp(*(const char *const *)val, key);
}

static int check_dup_keys(struct pstate *ps, struct np_node *map,
			  const yaml_mark_t *m)
{
	size_t n = map->map.n, i, j;

	if (n <= 1)
		return 0;
	if (n <= 32) {
		for (i = 1; i < n; i++)
			for (j = 0; j < i; j++)
				if (!strcmp(map->map.k[i], map->map.k[j]))
					goto dup;
		return 0;
	} else {
		/* large maps: a hash of the keys */
		struct np_hashmap seen = { 0 };
		uint64_t h;
		size_t k;

		if (np__hashmap_reserve(&seen, n, 64))
			return perr(ps, m, -ENOMEM, "out of memory");
		for (i = 0; i < n; i++) {
			h = np__hash_str(map->map.k[i], 0);
			k = np__hashmap_probe(&seen, h, key_eq, map->map.k[i]);
			if (seen.slots[k].val) {
				np__hashmap_release(&seen);
				goto dup;
			}
			np__hashmap_fill(&seen, k, h, &map->map.k[i]);
		}
		np__hashmap_release(&seen);
		return 0;
	}
dup : {
	struct np_node *v = map->map.v[i];
	yaml_mark_t vm = { .line = v->line ? v->line - 1 : m->line,
			   .column = v->col ? v->col - 1 : m->column };

	return perr(ps, &vm, -EINVAL, "syntax error: duplicate key \"%s\"",
		    map->map.k[i]);
}
}

/*
 * Attach node to the open container. size: the nodes of its subtree (what
 * an alias to it would reach); count: the nodes not counted yet (1 for a
 * scalar or a closed container, whose children were counted as they came;
 * the subtree's size for an alias).
 */
static int attach(struct pstate *ps, struct np_node *node, size_t size,
		  size_t count, const yaml_mark_t *m)
{
	struct frame *f;

	ps->nodes += count;
	if (ps->nodes > NP_MAX_NODES)
		return perr(ps, m, -E2BIG,
			    "too many nodes: more than %u in one input",
			    NP_MAX_NODES);
	if (!ps->depth) {
		ps->root = node;
		return 0;
	}
	f = &ps->stack[ps->depth - 1];
	f->size += size;
	if (f->node->type == NP_N_SEQ)
		return np__seq_push(ps->a, f->node, node) ?
			       perr(ps, m, -ENOMEM, "out of memory") :
			       0;
	if (!f->key) {
		if (node->type == NP_N_SEQ || node->type == NP_N_MAP)
			return perr(
				ps, m, -EINVAL,
				"syntax error: a mapping key must be a scalar");
		f->key = node->str.s;
		f->size -= size;
		ps->nodes -= count;
		return 0;
	}
	if (np__map_put(ps->a, f->node, f->key, node))
		return perr(ps, m, -ENOMEM, "out of memory");
	f->key = NULL;
	return 0;
}

struct anchor_key {
	const struct pstate *ps;
	const char *name;
};

/* A slot's value is the index + 1 of an anchor. */
static bool anchor_eq(const void *val, const void *key)
{
	const struct anchor_key *k = key;

	return !strcmp(k->ps->anchors[(uintptr_t)val - 1].name, k->name);
}

/* The slot of name: where it is, or the empty slot where it would go. */
static size_t anchor_slot(struct pstate *ps, const char *name, uint64_t h)
{
	struct anchor_key k = { ps, name };

	return np__hashmap_probe(&ps->aslots, h, anchor_eq, &k);
}

/* The latest definition of an anchor in this document, or -1. */
static long anchor_find(struct pstate *ps, const char *name)
{
	uint64_t h = np__hash_str(name, 0);

	if (!ps->aslots.cap)
		return -1;
	return (long)(uintptr_t)ps->aslots.slots[anchor_slot(ps, name, h)].val -
	       1;
}

static long anchor_add(struct pstate *ps, const char *name, struct np_node *n)
{
	struct anchor *an;
	uint64_t h;
	size_t i;

	if (np__hashmap_reserve(&ps->aslots, ps->nanchors + 1, 64))
		return -1;
	if (NP_GROW(ps->anchors, ps->acap, ps->nanchors + 1))
		return -1;
	an = &ps->anchors[ps->nanchors];
	an->name = np__arena_strdup(ps->a, name);
	if (!an->name)
		return -1;
	an->node = n;
	an->size = 1;
	an->done = false;
	/* a redefined anchor hides the old one */
	h = np__hash_str(an->name, 0);
	i = anchor_slot(ps, an->name, h);
	if (ps->aslots.slots[i].val)
		ps->aslots.slots[i].val = (void *)(uintptr_t)(ps->nanchors + 1);
	else
		np__hashmap_fill(&ps->aslots, i, h,
				 (void *)(uintptr_t)(ps->nanchors + 1));
	return (long)ps->nanchors++;
}

static int on_event(struct pstate *ps, yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct np_node *n;
	enum np_node_type t;
	const char *anchor = NULL;
	long ai = -1, i;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_NO_EVENT:
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		ps->root = NULL;
		/* anchors are per document; the table goes with them */
		ps->nanchors = 0;
		np__hashmap_release(&ps->aslots);
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		if (ps->root && ps->root->type != NP_N_NULL) {
			if (NP_GROW(ps->ds->docs, ps->ds->cap,
				    ps->ds->ndocs + 1))
				return perr(ps, m, -ENOMEM, "out of memory");
			ps->ds->docs[ps->ds->ndocs++] = ps->root;
		}
		ps->root = NULL;
		return 0;
	case YAML_ALIAS_EVENT:
		i = anchor_find(ps, (const char *)ev->data.alias.anchor);
		if (i < 0)
			return perr(ps, m, -EINVAL,
				    "syntax error: unknown alias \"%s\"",
				    (const char *)ev->data.alias.anchor);
		if (!ps->anchors[i].done)
			return perr(ps, m, -EINVAL,
				    "syntax error: recursive alias \"%s\"",
				    (const char *)ev->data.alias.anchor);
		ps->alias_nodes += ps->anchors[i].size;
		if (ps->alias_nodes > NP_MAX_ALIAS_NODES)
			return perr(
				ps, m, -E2BIG,
				"too many nodes reached through aliases: more than %u",
				NP_MAX_ALIAS_NODES);
		return attach(ps, ps->anchors[i].node, ps->anchors[i].size,
			      ps->anchors[i].size, m);
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.length > NP_MAX_SCALAR_BYTES)
			return perr(
				ps, m, -E2BIG,
				"scalar too long: %zu bytes, the limit is %u",
				ev->data.scalar.length, NP_MAX_SCALAR_BYTES);
		n = np__node_new(ps->a, NP_N_STR);
		if (!n)
			return perr(ps, m, -ENOMEM, "out of memory");
		n->line = (unsigned)m->line + 1;
		n->col = (unsigned)m->column + 1;
		n->str.len = ev->data.scalar.length;
		n->str.s = np__arena_strndup(
			ps->a, (const char *)ev->data.scalar.value, n->str.len);
		if (!n->str.s)
			return perr(ps, m, -ENOMEM, "out of memory");
		if (memchr(n->str.s, '\0', n->str.len))
			return perr(ps, m, -EINVAL,
				    "syntax error: NUL byte in a string");
		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    !(ev->data.scalar.tag &&
		      !strcmp((const char *)ev->data.scalar.tag, YAML_STR_TAG)))
			np__resolve_plain(n);
		if (ev->data.scalar.anchor) {
			ai = anchor_add(
				ps, (const char *)ev->data.scalar.anchor, n);
			if (ai < 0)
				return perr(ps, m, -ENOMEM, "out of memory");
			ps->anchors[ai].done = true;
		}
		return attach(ps, n, 1, 1, m);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		t = ev->type == YAML_SEQUENCE_START_EVENT ? NP_N_SEQ : NP_N_MAP;
		anchor = (const char *)(t == NP_N_SEQ ?
						ev->data.sequence_start.anchor :
						ev->data.mapping_start.anchor);
		if (ps->depth >= NP_MAX_DEPTH)
			return perr(ps, m, -E2BIG,
				    "nesting too deep: more than %d levels",
				    NP_MAX_DEPTH);
		if (ps->depth &&
		    ps->stack[ps->depth - 1].node->type == NP_N_MAP &&
		    !ps->stack[ps->depth - 1].key)
			return perr(
				ps, m, -EINVAL,
				"syntax error: a mapping key must be a scalar");
		n = np__node_new(ps->a, t);
		if (!n)
			return perr(ps, m, -ENOMEM, "out of memory");
		n->line = (unsigned)m->line + 1;
		n->col = (unsigned)m->column + 1;
		if (anchor) {
			ai = anchor_add(ps, anchor, n);
			if (ai < 0)
				return perr(ps, m, -ENOMEM, "out of memory");
		}
		ps->stack[ps->depth++] = (struct frame){
			.node = n, .key = NULL, .size = 1, .anchor = ai
		};
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame f = ps->stack[--ps->depth];
		int err;

		if (f.node->type == NP_N_MAP) {
			err = check_dup_keys(ps, f.node, m);
			if (err)
				return err;
		}
		if (f.anchor >= 0) {
			ps->anchors[f.anchor].size = f.size;
			ps->anchors[f.anchor].done = true;
		}
		/* the node itself was not counted yet, its children were */
		return attach(ps, f.node, f.size, 1, m);
	}
	}
	return 0;
}

/* Line and column (0-based, in characters) of a byte offset. */
static yaml_mark_t offset_mark(const char *buf, size_t len, size_t off)
{
	yaml_mark_t m = { .index = off };
	size_t i;

	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

static int parse_yaml(struct np_docset *ds, const char *buf, size_t len,
		      const char *name, struct np_diag *diag)
{
	struct pstate *ps;
	yaml_parser_t p;
	yaml_event_t ev;
	int err = 0;
	bool done = false;

	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	ps->ds = ds;
	ps->a = &ds->arena;
	ps->diag = diag;
	ps->name = name;
	if (!yaml_parser_initialize(&p)) {
		free(ps);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && !err) {
		if (!yaml_parser_parse(&p, &ev)) {
			if (p.error == YAML_MEMORY_ERROR) {
				err = perr(ps, NULL, -ENOMEM, "out of memory");
				break;
			}
			/* the reader reports an offset, not a mark */
			if (p.error == YAML_READER_ERROR)
				p.problem_mark =
					offset_mark(buf, len, p.problem_offset);
			err = perr(ps, &p.problem_mark, -EINVAL,
				   "syntax error: %s%s%s",
				   p.problem ? p.problem : "invalid input",
				   p.context ? " " : "",
				   p.context ? p.context : "");
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		err = on_event(ps, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	free(ps->anchors);
	np__hashmap_release(&ps->aslots);
	free(ps);
	return err;
}

/* --- JSON through jansson (fallback tree) ------------------------------- */

/* Why from_json() returned NULL. */
struct jstate {
	size_t count;
	enum { J_NOMEM = 0, J_NODES, J_DEPTH, J_SCALAR } why;
	size_t len; /* J_SCALAR: the string's length */
};

/*
 * The same limits as the event code: nodes, depth (jansson allows 2048
 * levels) and string length.
 */
static struct np_node *from_json(struct np_arena *a, json_t *j,
				 struct jstate *js, int depth)
{
	struct np_node *n;
	const char *key;
	json_t *v;
	size_t i;

	if (++js->count > NP_MAX_NODES) {
		js->why = J_NODES;
		return NULL;
	}
	if ((json_is_object(j) || json_is_array(j)) && depth >= NP_MAX_DEPTH) {
		js->why = J_DEPTH;
		return NULL;
	}
	if (json_is_string(j) && json_string_length(j) > NP_MAX_SCALAR_BYTES) {
		js->why = J_SCALAR;
		js->len = json_string_length(j);
		return NULL;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		n = np__node_new(a, NP_N_MAP);
		if (!n)
			return NULL;
		json_object_foreach(j, key, v)
		{
			char *k = np__arena_strdup(a, key);

			if (!k || np__map_put(a, n, k,
					      from_json(a, v, js, depth + 1)))
				return NULL;
		}
		return n;
	case JSON_ARRAY:
		n = np__node_new(a, NP_N_SEQ);
		if (!n)
			return NULL;
		json_array_foreach(
			j, i,
			v) if (np__seq_push(a, n,
					    from_json(a, v, js,
						      depth + 1))) return NULL;
		return n;
	case JSON_STRING:
		n = np__node_new(a, NP_N_STR);
		if (!n)
			return NULL;
		n->str.len = json_string_length(j);
		n->str.s =
			np__arena_strndup(a, json_string_value(j), n->str.len);
		return n->str.s ? n : NULL;
	case JSON_INTEGER:
		return np__node_int(a, json_integer_value(j));
	case JSON_REAL:
		n = np__node_new(a, NP_N_FLOAT);
		if (!n)
			return NULL;
		n->f = json_real_value(j);
		n->str.s = np__arena_printf(a, "%g", n->f);
		if (!n->str.s)
			return NULL;
		n->str.len = strlen(n->str.s);
		return n;
	case JSON_TRUE:
	case JSON_FALSE:
		return np__node_bool(a, json_is_true(j));
	case JSON_NULL:
		n = np__node_new(a, NP_N_NULL);
		if (n)
			n->str.s = "null", n->str.len = 4;
		return n;
	}
	return NULL;
}

static bool looks_like_json(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		return c == '{' || c == '[';
	}
	return false;
}

/*
 * jansson builds its whole tree before anything can count it, and knows no
 * limit but a depth of 2048: 256 MiB of "[1,1,..." would take gigabytes.
 * So count the values and the nesting of the text first, without
 * allocating. Exact for valid JSON (keys are not nodes, as in the event
 * code); text that is not JSON jansson rejects afterwards.
 */
static int json_prescan(struct np_diag *diag, const char *name, const char *buf,
			size_t len)
{
	char stack[NP_MAX_DEPTH];
	size_t nodes = 1, i, j;
	yaml_mark_t m;
	int depth = 0;
	bool str = false;

	for (i = 0; i < len; i++) {
		char ch = buf[i];

		if (str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				str = false;
			continue;
		}
		switch (ch) {
		case '"':
			str = true;
			break;
		case '[':
		case '{':
			if (depth == NP_MAX_DEPTH) {
				m = offset_mark(buf, len, i);
				diag_set(
					diag, name, (unsigned)m.line + 1,
					(unsigned)m.column + 1, -E2BIG,
					"nesting too deep: more than %d levels",
					NP_MAX_DEPTH);
				return -E2BIG;
			}
			stack[depth++] = ch;
			for (j = i + 1;
			     j < len && (buf[j] == ' ' || buf[j] == '\t' ||
					 buf[j] == '\r' || buf[j] == '\n');
			     j++)
				;
			if (ch == '[' && j < len && buf[j] != ']')
				nodes++;
			break;
		case ']':
		case '}':
			if (depth)
				depth--;
			break;
		case ',':
			nodes += depth && stack[depth - 1] == '[';
			break;
		case ':':
			nodes += depth && stack[depth - 1] == '{';
			break;
		}
		if (nodes > NP_MAX_NODES) {
			m = offset_mark(buf, len, i);
			diag_set(diag, name, (unsigned)m.line + 1,
				 (unsigned)m.column + 1, -E2BIG,
				 "too many nodes: more than %u in one input",
				 NP_MAX_NODES);
			return -E2BIG;
		}
	}
	return 0;
}

int np__parse(struct np_docset *ds, const char *buf, size_t len,
	      const char *name, enum np_format fmt, struct np_diag *diag)
{
	json_error_t jerr;
	json_t *j;
	int err;

	if (len > NP_MAX_INPUT_BYTES) {
		diag_set(diag, name, 0, 0, -E2BIG,
			 "input too large: %zu bytes, the limit is %u", len,
			 NP_MAX_INPUT_BYTES);
		return -E2BIG;
	}
	if (fmt == NP_FORMAT_AUTO)
		fmt = looks_like_json(buf, len) ? NP_FORMAT_JSON :
						  NP_FORMAT_YAML;
	if (fmt != NP_FORMAT_JSON)
		return parse_yaml(ds, buf, len, name, diag);

	err = json_prescan(diag, name, buf, len);
	if (err)
		return err;
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
		       &jerr);
	if (!j) {
		unsigned int line = jerr.line > 0 ? (unsigned int)jerr.line : 0;
		unsigned int col = jerr.column > 0 ? (unsigned int)jerr.column :
						     0;

		/* jansson's own depth limit (2048) is a limit, not a typo */
		if (json_error_code(&jerr) == json_error_stack_overflow) {
			diag_set(diag, name, line, col, -E2BIG,
				 "nesting too deep: more than %d levels",
				 NP_MAX_DEPTH);
			return -E2BIG;
		}
		diag_set(diag, name, line, col, -EINVAL, "syntax error: %s",
			 jerr.text);
		return -EINVAL;
	}
	/* valid JSON: not two trees at once */
	json_decref(j);
	err = parse_yaml(ds, buf, len, name, diag);
	if (err && err != -E2BIG && err != -ENOMEM) {
		struct jstate js = { 0 };
		struct np_node *root;

		/* text jansson accepts but libyaml does not: use jansson's */
		ds->ndocs = 0;
		j = json_loadb(buf, len,
			       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
		if (!j) {
			diag_set(diag, name, 0, 0, -ENOMEM, "out of memory");
			return -ENOMEM;
		}
		root = from_json(&ds->arena, j, &js, 0);
		if (!root) {
			json_decref(j);
			/* the messages of the event code, without positions */
			err = js.why == J_NOMEM ? -ENOMEM : -E2BIG;
			if (js.why == J_NODES)
				diag_set(diag, name, 0, 0, err,
					 "too many nodes: more than %u in one "
					 "input",
					 NP_MAX_NODES);
			else if (js.why == J_DEPTH)
				diag_set(diag, name, 0, 0, err,
					 "nesting too deep: more than %d "
					 "levels",
					 NP_MAX_DEPTH);
			else if (js.why == J_SCALAR)
				diag_set(
					diag, name, 0, 0, err,
					"scalar too long: %zu bytes, the limit "
					"is %u",
					js.len, NP_MAX_SCALAR_BYTES);
			else
				diag_set(diag, name, 0, 0, err,
					 "out of memory");
			return err;
		}
		err = NP_GROW(ds->docs, ds->cap, 1);
		if (!err)
			ds->docs[ds->ndocs++] = root;
		if (diag && !err)
			memset(diag, 0, sizeof(*diag));
		json_decref(j);
	}
	return err;
}

void np__docset_release(struct np_docset *ds)
{
	np__arena_release(&ds->arena);
	free(ds->docs);
	ds->docs = NULL;
	ds->ndocs = ds->cap = 0;
}
