/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The YAML and JSON readers: every input-controlled limit (aliases, depth,
 * list length, scalar size) is -E2BIG with a diagnostic, NUL bytes and
 * invalid UTF-8 are syntax errors, YAML 1.2 core schema scalars, kubectl
 * Lists and multi-document streams.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "manifests.h"
#include "np_limits.h"

/* --- hostile input: each limit is -E2BIG with a diagnostic -------------- */

static void expect_limit(const char *text, size_t len, const char *message,
			 unsigned int line)
{
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;

	t_load_n(c, text, len, false, &r);
	cr_expect_eq(r.ret, -E2BIG);
	cr_expect_eq(r.diag.err, -E2BIG);
	cr_expect_str_eq(r.diag.message, message);
	cr_expect_eq(r.diag.line, line);
	cr_expect_eq(r.ncb, 1);
	cr_expect_eq(np_cluster_count(c, NP_KIND_NETWORK_POLICY), 0);
	np_cluster_free(c);
}

Test(limits, alias_bomb)
{
	/* nine levels of ten aliases each: 10^9 nodes once expanded */
	static const char bomb[] =
		"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	char msg[128];

	snprintf(msg, sizeof(msg),
		 "too many nodes reached through aliases: more than %u",
		 NP_MAX_ALIAS_NODES);
	expect_limit(bomb, 0, msg, 5);
}

Test(limits, alias_small_ok)
{
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;

	/* aliases are followed: a shared selector is fine */
	t_load(c,
	       NPS "  podSelector: &sel {matchLabels: {app: web}}\n"
		   "  ingress:\n  - from:\n    - podSelector: *sel\n",
	       false, &r);
	cr_expect_eq(r.ret, 0, "%s", r.diag.message);
	cr_expect_eq(np_cluster_count(c, NP_KIND_NETWORK_POLICY), 1);
	np_cluster_free(c);
}

Test(limits, depth_yaml)
{
	/* a map holding NP_MAX_DEPTH lists: one level too many */
	char *open = t_repeat("[", NP_MAX_DEPTH);
	char *text = malloc(NP_MAX_DEPTH + 8);
	char msg[64];

	snprintf(msg, sizeof(msg), "nesting too deep: more than %d levels",
		 NP_MAX_DEPTH);
	sprintf(text, "a: %s", open);
	expect_limit(text, 0, msg, 1);
	free(open);
	free(text);
}

Test(limits, depth_at_limit_is_not_e2big)
{
	char *open = t_repeat("[", NP_MAX_DEPTH);
	char *close = t_repeat("]", NP_MAX_DEPTH);
	char *text = malloc(2 * NP_MAX_DEPTH + 2);
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;

	sprintf(text, "%s%s\n", open, close);
	t_load(c, text, false, &r);
	/* parses; a list is just not an object */
	cr_expect_eq(r.ret, -EINVAL);
	cr_expect_str_eq(r.diag.message,
			 "Invalid type: expected an object, got list");
	np_cluster_free(c);
	free(open);
	free(close);
	free(text);
}

Test(limits, depth_json)
{
	/* deeper than jansson's own limit, and just over ours */
	char *deep = t_repeat("[", 5000);
	char *open = t_repeat("[", NP_MAX_DEPTH + 1);
	char *close = t_repeat("]", NP_MAX_DEPTH + 1);
	char *text = malloc(2 * NP_MAX_DEPTH + 4);
	char msg[64];

	snprintf(msg, sizeof(msg), "nesting too deep: more than %d levels",
		 NP_MAX_DEPTH);
	expect_limit(deep, 0, msg, 1);
	sprintf(text, "%s%s\n", open, close);
	expect_limit(text, 0, msg, 1);
	free(deep);
	free(open);
	free(close);
	free(text);
}

Test(limits, million_element_list)
{
	char *items = t_repeat("  - {}\n", 1000000);
	size_t len = strlen(NPH "  ingress:\n") + strlen(items);
	char *text = malloc(len + 1);
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;

	sprintf(text, "%s%s", NPH "  ingress:\n", items);
	t_load(c, text, false, &r);
	cr_expect_eq(r.ret, -E2BIG);
	cr_expect_eq(r.diag.err, -E2BIG);
	cr_expect_str_eq(r.diag.path, "spec.ingress");
	cr_expect_eq(r.diag.line, 9);
	cr_expect_eq(r.diag.column, 3);
	cr_expect_str_eq(r.diag.message,
			 "Too many: 1000000: must have at most 786432 items");
	cr_expect_eq(np_cluster_count(c, NP_KIND_NETWORK_POLICY), 0);
	np_cluster_free(c);
	free(items);
	free(text);
}

Test(limits, huge_scalar)
{
	char *big = t_repeat("a", NP_MAX_SCALAR_BYTES + 1);
	char *text = malloc(NP_MAX_SCALAR_BYTES + 64);
	char msg[128];

	cr_assert_not_null(text);
	snprintf(msg, sizeof(msg), "scalar too long: %u bytes, the limit is %u",
		 NP_MAX_SCALAR_BYTES + 1, NP_MAX_SCALAR_BYTES);
	sprintf(text, "apiVersion: v1\nkind: %s\n", big);
	expect_limit(text, 0, msg, 2);
	sprintf(text, "{\"apiVersion\": \"v1\",\n \"kind\": \"%s\"}", big);
	expect_limit(text, 0, msg, 2);
	free(big);
	free(text);
}

Test(limits, nul_byte)
{
	static const char yaml[] = "apiVersion: v1\nkind: Namespace\0\n";
	static const char json[] = "{\"kind\": \"Namespace\"\0}";
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;

	t_load_n(c, yaml, sizeof(yaml) - 1, false, &r);
	cr_expect_eq(r.ret, -EINVAL);
	cr_expect_eq(r.diag.line, 2);
	cr_expect_eq(r.diag.column, 16);
	cr_expect_str_eq(r.diag.message,
			 "syntax error: control characters are not allowed");
	/* jansson stops at the NUL */
	t_load_n(c, json, sizeof(json) - 1, false, &r);
	cr_expect_eq(r.ret, -EINVAL);
	cr_expect_eq(r.diag.line, 1);
	cr_expect_eq(r.diag.column, 21);
	cr_expect_str_eq(r.diag.message,
			 "syntax error: '}' expected near end of file");
	cr_expect_eq(np_cluster_count(c, NP_KIND_NAMESPACE), 0);
	np_cluster_free(c);
}

Test(limits, nul_escape_in_string)
{
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;

	t_load(c,
	       "apiVersion: v1\nkind: Namespace\nmetadata:\n"
	       "  name: \"a\\0b\"\n",
	       false, &r);
	cr_expect_eq(r.ret, -EINVAL);
	cr_expect_eq(r.diag.line, 4);
	cr_expect_eq(r.diag.column, 9);
	cr_expect_str_eq(r.diag.message, "syntax error: NUL byte in a string");
	np_cluster_free(c);
}

Test(limits, invalid_utf8)
{
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;

	t_load(c,
	       "apiVersion: v1\nkind: Namespace\nmetadata:\n"
	       "  name: \xc3\x28\n",
	       false, &r);
	cr_expect_eq(r.ret, -EINVAL);
	cr_expect_eq(r.diag.line, 4);
	cr_expect_eq(r.diag.column, 10); /* the bad trailing byte */
	cr_expect_str_eq(r.diag.message,
			 "syntax error: invalid trailing UTF-8 octet");
	t_load(c, "{\"kind\": \"\xff\"}", false, &r);
	cr_expect_eq(r.ret, -EINVAL);
	cr_expect_eq(r.diag.line, 1);
	cr_expect_eq(r.diag.column, 10);
	cr_expect_str_eq(r.diag.message,
			 "syntax error: unable to decode byte 0xff near '\"'");
	np_cluster_free(c);
}

Test(limits, null_args)
{
	struct np_cluster *c = t_cluster(NULL);
	struct np_diag d;

	cr_expect_eq(np_cluster_load_buffer(NULL, "a: b", 4, NULL, NULL, &d),
		     -EINVAL);
	cr_expect_eq(np_cluster_load_buffer(c, NULL, 4, NULL, NULL, &d),
		     -EINVAL);
	/* an empty buffer holds no objects */
	cr_expect_eq(np_cluster_load_buffer(c, NULL, 0, NULL, NULL, &d), 0);
	cr_expect_eq(np_cluster_load_buffer(c, "", 0, NULL, NULL, NULL), 0);
	np_cluster_free(c);
}

/* --- documents: scalars, Lists, streams ---------------------------------- */

Test(valid, yaml12_core_schema)
{
	struct np_cluster *c = t_cluster(NULL);
	char *y;

	/* on, yes, no and 0777-style words stay strings */
	t_load_ok(c, NS
		  "  labels: {a: on, b: yes, c: No, d: 'true', e: \"007\"}\n");
	y = t_export(c, NP_KIND_NAMESPACE, NP_FORMAT_YAML);
	cr_expect_str_eq(y, LIST_HEAD
			 "- apiVersion: v1\n  kind: Namespace\n"
			 "  metadata:\n    name: prod\n    labels:\n"
			 "      a: 'on'\n      b: 'yes'\n      c: 'No'\n"
			 "      d: 'true'\n      e: '007'\n"
			 "      kubernetes.io/metadata.name: prod\n");
	np_free(y);
	np_cluster_free(c);
}

Test(valid, kubectl_list_and_multidoc)
{
	struct np_cluster *c = t_cluster(NULL);

	t_load_ok(c,
		  "apiVersion: v1\nkind: List\nitems:\n"
		  "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n"
		  "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: b}\n"
		  "---\n" NS "---\n---\n"
		  "apiVersion: v1\nkind: PodList\nitems: []\n");
	cr_expect_eq(np_cluster_count(c, NP_KIND_NAMESPACE), 3);
	t_load_ok(c,
		  "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
		  " {\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n"
		  "  \"metadata\": {\"name\": \"p\", \"namespace\": \"a\"}},\n"
		  " {\"apiVersion\": \"v1\", \"kind\": \"Service\",\n"
		  "  \"metadata\": {\"name\": \"s\"}, \"spec\": {}}]}\n");
	cr_expect_eq(np_cluster_count(c, NP_KIND_POD), 1);
	cr_expect_eq(np_cluster_count(c, NP_KIND_SERVICE), 1);
	/* no namespace means "default" */
	cr_expect_eq(np_cluster_delete(c, NP_KIND_SERVICE, "default", "s"), 0);
	np_cluster_free(c);
}
