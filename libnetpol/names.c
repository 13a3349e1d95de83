/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names and labels as apimachinery validates them: DNS-1123 labels and
 * subdomains (object names, namespaces), qualified label keys, label
 * values, IANA service names (named ports), and label sets: reading one
 * from a map, keeping it sorted, looking a key up.
 */
#include <stdlib.h>

#include "fields.h"
#include "names.h"
#include "np_limits.h"

static bool alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

static bool lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* RFC 1123 label: lowercase alnum and '-', alnum at both ends, <= 63. */
const char *np__dns1123_label(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return "must not be empty";
	if (n > 63)
		return "must be no more than 63 characters";
	for (i = 0; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '-')
			goto bad;
	if (!lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		goto bad;
	return NULL;
bad:
	return "a lowercase RFC 1123 label must consist of lower case "
	       "alphanumeric characters or '-', and must start and end with "
	       "an alphanumeric character";
}

/* RFC 1123 subdomain: dot-separated labels, <= 253. */
const char *np__dns1123_subdomain(const char *s, size_t n)
{
	size_t i, start = 0;

	if (!n)
		return "must not be empty";
	if (n > 253)
		return "must be no more than 253 characters";
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (i == start ||
			    np__dns1123_label(s + start, i - start))
				goto bad;
			start = i + 1;
		}
	}
	return NULL;
bad:
	return "a lowercase RFC 1123 subdomain must consist of lower case "
	       "alphanumeric characters, '-' or '.', and must start and end "
	       "with an alphanumeric character";
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?: a name part, a label value. */
static bool qualified_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return alnum(s[0]) && alnum(s[n - 1]);
}

/* Qualified-name part: qualified characters, 1 to 63 of them. */
static const char *name_part(const char *s, size_t n)
{
	if (!n)
		return "name part must be non-empty";
	if (n > 63)
		return "name part must be no more than 63 characters";
	if (!qualified_chars(s, n))
		return "name part must consist of alphanumeric characters, "
		       "'-', '_' or '.', and must start and end with an "
		       "alphanumeric character";
	return NULL;
}

const char *np__label_key(const char *s)
{
	const char *slash = strchr(s, '/');

	if (slash) {
		if (np__dns1123_subdomain(s, (size_t)(slash - s)))
			return "prefix part a lowercase RFC 1123 subdomain must "
			       "consist of lower case alphanumeric characters, "
			       "'-' or '.', and must start and end with an "
			       "alphanumeric character";
		s = slash + 1;
	}
	return name_part(s, strlen(s));
}

const char *np__label_value(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return NULL;
	if (n > 63)
		return "must be no more than 63 characters";
	if (!qualified_chars(s, n))
		return "a valid label must be an empty string or consist of "
		       "alphanumeric characters, '-', '_' or '.', and must "
		       "start and end with an alphanumeric character";
	return NULL;
}

/* IANA_SVC_NAME, as the API server checks named ports. */
const char *np__port_name(const char *s)
{
	size_t n = strlen(s), i;
	bool letter = false;

	if (!n)
		return "must not be empty";
	if (n > 15)
		return "must be no more than 15 characters";
	for (i = 0; i < n; i++) {
		if (!lower_alnum(s[i]) && s[i] != '-')
			return "must contain only alpha-numeric characters "
			       "(a-z, 0-9), and hyphens (-)";
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		if (s[i] == '-' && i + 1 < n && s[i + 1] == '-')
			return "must not contain consecutive hyphens";
	}
	if (s[0] == '-' || s[n - 1] == '-')
		return "must not begin or end with a hyphen";
	if (!letter)
		return "must contain at least one letter (a-z)";
	return NULL;
}

int np__label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct np_label *)a)->key,
		      ((const struct np_label *)b)->key);
}

/* A map of string to string: labels, matchLabels, Service selector. */
void np__get_labels(struct np_vctx *c, const struct np_node *n,
		    struct np_labels *out, bool validate)
{
	size_t i, k = 0;

	out->v = NULL;
	out->n = 0;
	if (!n || !np__is_map(c, n))
		return;
	if (n->map.n > NP_MAX_LABELS) {
		np__verr(c, n, -E2BIG,
			 "Too many: %zu: must have at most %d items", n->map.n,
			 NP_MAX_LABELS);
		return;
	}
	out->v = np__arena_alloc(c->a, (n->map.n + 1) * sizeof(*out->v));
	if (!out->v)
		return;
	for (i = 0; i < n->map.n; i++) {
		const struct np_node *v = n->map.v[i];
		const char *key = n->map.k[i], *why;

		if (validate && (why = np__label_key(key))) {
			np__verr(c, v, -EINVAL, "Invalid value: \"%s\": %s",
				 key, why);
			continue;
		}
		if (v->type == NP_N_NULL) {
			/* an empty value written as `key:` */
			out->v[k].key = np__arena_strdup(c->a, key);
			out->v[k++].val = "";
			continue;
		}
		if (v->type != NP_N_STR) {
			size_t p = np__path_push(c, ".%s", key);

			np__err_type(c, v, "string");
			np__path_pop(c, p);
			continue;
		}
		if (validate && (why = np__label_value(v->str.s))) {
			np__verr(c, v, -EINVAL, "Invalid value: \"%s\": %s",
				 v->str.s, why);
			continue;
		}
		out->v[k].key = np__arena_strdup(c->a, key);
		out->v[k++].val = np__str_dup(c, v);
	}
	out->n = k;
	qsort(out->v, out->n, sizeof(*out->v), np__label_cmp);
}

const char *np__labels_get(const struct np_labels *l, const char *key)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(l->v[mid].key, key);

		if (!r)
			return l->v[mid].val;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
