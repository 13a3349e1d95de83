/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading fields of a document tree into an object, and saying where they
 * went wrong: the field path (`spec.ingress[0].ports[1].port`), the
 * diagnostics in the style of Kubernetes validation errors, and typed
 * access (string, integer, boolean, IP, CIDR, Ingress/Egress lists) that
 * reports a wrongly typed value at its path. Every kind decoder uses these.
 */
#include <stdio.h>

#include "cidr.h"
#include "fields.h"
#include "np_limits.h"

/* --- paths and diagnostics ---------------------------------------------- */

size_t np__path_push(struct np_vctx *c, const char *fmt, ...)
{
	size_t old = c->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + c->plen, sizeof(c->path) - c->plen, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->plen = NP_MIN(c->plen + (size_t)n, sizeof(c->path) - 1);
	return old;
}

void np__path_pop(struct np_vctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

void np__verr(struct np_vctx *c, const struct np_node *at, int err,
	      const char *fmt, ...)
{
	struct np_diag d;
	va_list ap;

	memset(&d, 0, sizeof(d));
	d.err = err;
	if (!at || !at->line)
		at = c->objnode;
	if (at) {
		d.line = at->line;
		d.column = at->col;
	}
	snprintf(d.file, sizeof(d.file), "%s", c->file ? c->file : "");
	snprintf(d.object, sizeof(d.object), "%s", c->object);
	snprintf(d.path, sizeof(d.path), "%s",
		 c->path[0] == '.' ? c->path + 1 : c->path);
	va_start(ap, fmt);
	vsnprintf(d.message, sizeof(d.message), fmt, ap);
	va_end(ap);
	if (c->first && !c->nerr)
		*c->first = d;
	c->nerr++;
	if (c->cb)
		c->cb(c->cbctx, &d);
}

/* A field's value as the API server quotes it in "Invalid value: X". */
const char *np__repr(const struct np_node *n, char *buf, size_t size)
{
	if (!n)
		return "null";
	switch (n->type) {
	case NP_N_STR:
		snprintf(buf, size, "\"%.*s\"", (int)NP_MIN(n->str.len, 200),
			 n->str.s);
		return buf;
	case NP_N_SEQ:
		return "[...]";
	case NP_N_MAP:
		return "{...}";
	default:
		snprintf(buf, size, "%.*s", (int)NP_MIN(n->str.len, 200),
			 n->str.s);
		return buf;
	}
}

void np__err_type(struct np_vctx *c, const struct np_node *n, const char *want)
{
	np__verr(c, n, -EINVAL, "Invalid type: expected %s, got %s: %s", want,
		 np__node_type_name(n), NP_REPR(n));
}

void np__err_required(struct np_vctx *c, const struct np_node *parent,
		      const char *np__field, const char *detail)
{
	size_t p = np__path_push(c, ".%s", np__field);

	if (detail)
		np__verr(c, parent, -EINVAL, "Required value: %s", detail);
	else
		np__verr(c, parent, -EINVAL, "Required value");
	np__path_pop(c, p);
}

/* --- typed field access ------------------------------------------------- */

const struct np_node *np__field(const struct np_node *map, const char *k)
{
	const struct np_node *n = np__map_get(map, k);

	return n && n->type == NP_N_NULL ? NULL : n;
}

void np__known_fields(struct np_vctx *c, const struct np_node *map,
		      const char *what, const char *const *keys)
{
	size_t i, j, p;

	if (!map || map->type != NP_N_MAP)
		return;
	for (i = 0; i < map->map.n; i++) {
		for (j = 0; keys[j] && strcmp(keys[j], map->map.k[i]); j++)
			;
		if (keys[j])
			continue;
		p = np__path_push(c, ".%s", map->map.k[i]);
		np__verr(c, map->map.v[i], -EINVAL,
			 "Unknown field: not a field of %s (the API server "
			 "rejects it; ignored, it could allow more than "
			 "written)",
			 what);
		np__path_pop(c, p);
	}
}

bool np__is_map(struct np_vctx *c, const struct np_node *n)
{
	if (n->type == NP_N_MAP)
		return true;
	np__err_type(c, n, "object");
	return false;
}

bool np__is_seq(struct np_vctx *c, const struct np_node *n, size_t limit)
{
	if (n->type != NP_N_SEQ) {
		np__err_type(c, n, "list");
		return false;
	}
	if (n->seq.n > limit) {
		np__verr(c, n, -E2BIG,
			 "Too many: %zu: must have at most %zu items", n->seq.n,
			 limit);
		return false;
	}
	return true;
}

const char *np__str_dup(struct np_vctx *c, const struct np_node *n)
{
	return np__arena_strndup(c->a, n->str.s, n->str.len);
}

/* A string field; NULL (reported) when of another type. */
const char *np__get_str(struct np_vctx *c, const struct np_node *map,
			const char *key, const struct np_node **at)
{
	const struct np_node *n = np__field(map, key);
	size_t p;

	if (at)
		*at = n;
	if (!n)
		return NULL;
	if (n->type != NP_N_STR) {
		p = np__path_push(c, ".%s", key);
		np__err_type(c, n, "string");
		np__path_pop(c, p);
		return NULL;
	}
	return np__str_dup(c, n);
}

/* An integer field: 1 when present and valid, 0 absent, -1 reported. */
int np__get_int(struct np_vctx *c, const struct np_node *n, int64_t *out)
{
	if (!n)
		return 0;
	if (n->type != NP_N_INT) {
		np__err_type(c, n, "integer");
		return -1;
	}
	if (n->overflow) {
		np__verr(c, n, -EINVAL, "Invalid value: %s: out of range",
			 NP_REPR(n));
		return -1;
	}
	*out = n->i;
	return 1;
}

bool np__get_bool(struct np_vctx *c, const struct np_node *map, const char *key)
{
	const struct np_node *n = np__field(map, key);
	size_t p;

	if (!n)
		return false;
	if (n->type != NP_N_BOOL) {
		p = np__path_push(c, ".%s", key);
		np__err_type(c, n, "boolean");
		np__path_pop(c, p);
		return false;
	}
	return n->b;
}

bool np__get_ip(struct np_vctx *c, const struct np_node *map, const char *key,
		struct np_ip *out)
{
	const struct np_node *n;
	const char *s = np__get_str(c, map, key, &n);
	size_t p;

	memset(out, 0, sizeof(*out));
	if (!s)
		return false;
	if (!*s)
		return false;
	if (np__ip_parse(s, out)) {
		p = np__path_push(c, ".%s", key);
		np__verr(
			c, n, -EINVAL,
			"Invalid value: \"%s\": must be a valid IP address, (e.g. "
			"10.9.8.7 or 2001:db8::ffff)",
			s);
		np__path_pop(c, p);
		return false;
	}
	return true;
}

#define CIDR_HINT \
	"must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"

bool np__get_cidr(struct np_vctx *c, const struct np_node *n,
		  struct np_cidr *out, bool bare_ok)
{
	if (n->type != NP_N_STR) {
		np__err_type(c, n, "string");
		return false;
	}
	if (np__cidr_parse(n->str.s, out, bare_ok)) {
		np__verr(c, n, -EINVAL, "Invalid value: %s: " CIDR_HINT,
			 NP_REPR(n));
		return false;
	}
	return true;
}

/* A list of "Ingress"/"Egress" (policyTypes, podIsolation). */
void np__get_directions(struct np_vctx *c, const struct np_node *n,
			bool *ingress, bool *egress)
{
	size_t i;

	if (!np__is_seq(c, n, NP_MAX_LIST))
		return;
	for (i = 0; i < n->seq.n; i++) {
		const struct np_node *t = n->seq.v[i];
		size_t p = np__path_push(c, "[%zu]", i);

		if (t->type == NP_N_STR && !strcmp(t->str.s, "Ingress"))
			*ingress = true;
		else if (t->type == NP_N_STR && !strcmp(t->str.s, "Egress"))
			*egress = true;
		else
			np__verr(c, t, -EINVAL,
				 "Unsupported value: %s: supported values: "
				 "\"Ingress\", \"Egress\"",
				 NP_REPR(t));
		np__path_pop(c, p);
	}
}
