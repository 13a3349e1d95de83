/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names and labels (names.c): apimachinery's rules for names, label keys
 * and values and port names, and label sets.
 */
#ifndef NP_NAMES_H
#define NP_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct np_node;
struct np_vctx;

struct np_label {
	const char *key;
	const char *val;
};

/* Sorted by key, keys unique. */
struct np_labels {
	struct np_label *v;
	size_t n;
};

/*
 * The rules: NULL when s (of n bytes) is valid, else why not, in the API
 * server's words.
 */
/* RFC 1123 label: namespaces, Namespace names. */
const char *np__dns1123_label(const char *s, size_t n);
/* RFC 1123 subdomain: the names of other objects. */
const char *np__dns1123_subdomain(const char *s, size_t n);
/* A qualified label key: [prefix/]name. */
const char *np__label_key(const char *s);
const char *np__label_value(const char *s);
/* IANA_SVC_NAME, as the API server checks named ports. */
const char *np__port_name(const char *s);

/* qsort order of struct np_label: by key. */
int np__label_cmp(const void *a, const void *b);
/*
 * A map of string to string (labels, matchLabels, Service selector) into
 * a sorted label set; with validate, keys and values are checked.
 */
void np__get_labels(struct np_vctx *c, const struct np_node *n,
		    struct np_labels *out, bool validate);
/* A label's value, NULL when l has no such key. */
const char *np__labels_get(const struct np_labels *l, const char *key);

#endif /* NP_NAMES_H */
