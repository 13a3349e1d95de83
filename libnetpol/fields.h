/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading a document tree's fields into an object (fields.c): the
 * validation context with its field path, the diagnostics in the style of
 * Kubernetes validation errors, and typed field access that reports a
 * wrongly typed value where it is.
 */
#ifndef NP_FIELDS_H
#define NP_FIELDS_H

#include "netpol/diag.h"
#include "node.h"

struct np_ip;
struct np_cidr;

/* Where objects come from, for diagnostics and the skip log. */
struct np_vctx {
	const char *file;
	np_diag_fn cb;
	void *cbctx;
	struct np_diag *first;
	np_log_fn log;
	void *log_ctx;
	size_t nerr;
	/* per object */
	struct np_arena *a;
	char object[256];
	char path[256];
	size_t plen;
	const struct np_node *objnode;
};

/*
 * The field path: push a step (".ports", "[1]"), get back the old length,
 * pop to it. The path is truncated, never overflowed.
 */
size_t np__path_push(struct np_vctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void np__path_pop(struct np_vctx *c, size_t old);

/*
 * Report a problem at the current path, positioned at node at (or at the
 * object when at has no position); counts it in c->nerr.
 */
void np__verr(struct np_vctx *c, const struct np_node *at, int err,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A field's value as the API server quotes it in "Invalid value: X". */
const char *np__repr(const struct np_node *n, char *buf, size_t size);
#define NP_REPR(n) np__repr((n), (char[256]){ 0 }, 256)
/* "Invalid type: expected want, got ...". */
void np__err_type(struct np_vctx *c, const struct np_node *n, const char *want);
/* "Required value" for field (below the current path) of parent. */
void np__err_required(struct np_vctx *c, const struct np_node *parent,
		      const char *field, const char *detail);

/*
 * Report every field of map that keys (NULL-terminated) does not list:
 * "Unknown field" at its path, naming the type (what). Policy specs are
 * read strictly, as the API server's strict field validation does: a
 * misspelt field ignored (`portz`, `matchLabel`) would make a rule or a
 * selector allow more than written. Not a map: nothing (reported
 * elsewhere).
 */
void np__known_fields(struct np_vctx *c, const struct np_node *map,
		      const char *what, const char *const *keys);
/* A map's field; NULL when absent or null. */
const struct np_node *np__field(const struct np_node *map, const char *k);
/* Is n a map (a list of at most limit items)? Reported when not. */
bool np__is_map(struct np_vctx *c, const struct np_node *n);
bool np__is_seq(struct np_vctx *c, const struct np_node *n, size_t limit);
/* A scalar's text, copied into the object's arena. */
const char *np__str_dup(struct np_vctx *c, const struct np_node *n);
/* A string field; NULL (reported) when of another type. *at: the node. */
const char *np__get_str(struct np_vctx *c, const struct np_node *map,
			const char *key, const struct np_node **at);
/* An integer field: 1 when present and valid, 0 absent, -1 reported. */
int np__get_int(struct np_vctx *c, const struct np_node *n, int64_t *out);
/* A boolean field; false when absent or reported. */
bool np__get_bool(struct np_vctx *c, const struct np_node *map,
		  const char *key);
/* An IP address field; false when absent, empty or reported. */
bool np__get_ip(struct np_vctx *c, const struct np_node *map, const char *key,
		struct np_ip *out);
/* A CIDR (or, with bare_ok, a bare address); false when reported. */
bool np__get_cidr(struct np_vctx *c, const struct np_node *n,
		  struct np_cidr *out, bool bare_ok);
/* A list of "Ingress"/"Egress" (policyTypes, podIsolation). */
void np__get_directions(struct np_vctx *c, const struct np_node *n,
			bool *ingress, bool *egress);

#endif /* NP_FIELDS_H */
