/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * np_escape() (libnetpol/escape.c) with hostile input: C0, DEL, C1,
 * U+2028/U+2029, invalid, truncated, overlong and surrogate UTF-8; every
 * buffer size, where the output must stay a clean prefix of whole
 * characters and escapes; and the JSON it makes read back by jansson.
 * The library's JSON and YAML writer (emit.c) with the same strings, as
 * values and keys: valid UTF-8, no raw control, reading back.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include <jansson.h>

#include <netpol.h>

#include "node.h"
#include <yaml.h>

/* Every hostile thing at once, with valid UTF-8 between. */
static const char hostile[] =
	"a\x01\n\t\x1b[31m\x7f\\\"" /* C0, DEL, backslash, quote */
	"\xc2\x85\xc2\x9b\xc2\x80" /* C1: NEL, CSI, PAD */
	"\xe2\x80\xa8\xe2\x80\xa9" /* U+2028, U+2029 */
	"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" /* é, €, 😀 */
	"\xff\xc3\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82" /* invalid */
	"z";

static size_t trailing_backslashes(const char *s)
{
	size_t n = strlen(s), k = 0;

	while (k < n && s[n - 1 - k] == '\\')
		k++;
	return k;
}

Test(escape, text)
{
	char buf[512];
	size_t len = 0;

	cr_assert_eq(np_escape(hostile, NP_ESCAPE_TEXT, buf, sizeof(buf), &len),
		     0);
	cr_expect_eq(len, strlen(buf));
	cr_expect(t_clean_utf8(buf, true), "%s", buf);
	cr_expect_str_eq(buf, "a\\x01\\x0a\\x09\\x1b[31m\\x7f\\\\\""
			      "\\xc2\\x85\\xc2\\x9b\\xc2\\x80"
			      "\\xe2\\x80\\xa8\\xe2\\x80\\xa9"
			      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"
			      "\\xff\\xc3\\xc0\\xaf\\xed\\xa0\\x80"
			      "\\xf4\\x90\\x80\\x80\\xe2\\x82z");
	/* valid text passes unchanged */
	cr_assert_eq(np_escape("x/web-1 caf\xc3\xa9", NP_ESCAPE_TEXT, buf,
			       sizeof(buf), NULL),
		     0);
	cr_expect_str_eq(buf, "x/web-1 caf\xc3\xa9");
}

Test(escape, text_lossy)
{
	char buf[512];

	cr_assert_eq(np_escape(hostile, NP_ESCAPE_TEXT | NP_ESCAPE_LOSSY, buf,
			       sizeof(buf), NULL),
		     0);
	cr_expect(t_clean_utf8(buf, true), "%s", buf);
	cr_expect_str_eq(buf, "a????[31m?\\\"???"
			      "??"
			      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"
			      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			      "\xef\xbf\xbdz");
}

/*
 * Bidirectional marks, embeddings, overrides and isolates reorder what a
 * terminal shows ("Trojan source"): text output escapes them, JSON (for
 * programs) keeps them.
 */
Test(escape, bidi_controls_in_text)
{
	static const char bidi[] = "pod\xe2\x80\xae"
				   "1gpj.exe\xe2\x81\xa6x\xe2\x80\x8f";
	char buf[256];

	cr_assert_eq(np_escape(bidi, NP_ESCAPE_TEXT, buf, sizeof(buf), NULL),
		     0);
	cr_expect_str_eq(buf, "pod\\xe2\\x80\\xae1gpj.exe\\xe2\\x81\\xa6x"
			      "\\xe2\\x80\\x8f");
	cr_assert_eq(np_escape(bidi, NP_ESCAPE_TEXT | NP_ESCAPE_LOSSY, buf,
			       sizeof(buf), NULL),
		     0);
	cr_expect_str_eq(buf, "pod?1gpj.exe?x?");
	cr_assert_eq(np_escape(bidi, NP_ESCAPE_JSON, buf, sizeof(buf), NULL),
		     0);
	cr_expect_str_eq(buf, bidi);
}

Test(escape, json)
{
	char buf[512], doc[600];
	json_error_t je;
	json_t *j;
	const char *v;

	cr_assert_eq(np_escape(hostile, NP_ESCAPE_JSON, buf, sizeof(buf), NULL),
		     0);
	cr_expect(t_clean_utf8(buf, false), "%s", buf);
	cr_expect(strstr(buf, "a\\u0001\\u000a\\u0009\\u001b[31m\\u007f\\\\"
			      "\\\"\\u0085\\u009b\\u0080\\u2028\\u2029caf"),
		  "%s", buf);
	snprintf(doc, sizeof(doc), "[\"%s\"]", buf);
	j = json_loads(doc, 0, &je);
	cr_assert_not_null(j, "not JSON: %s: %s", je.text, doc);
	v = json_string_value(json_array_get(j, 0));
	cr_assert_not_null(v);
	cr_expect_eq(strncmp(v, hostile, 10), 0, "reads back: %s", v);
	cr_expect(strstr(v, "\xe2\x82\xac \xf0\x9f\x98\x80\xef\xbf\xbd"), "%s",
		  v);
	json_decref(j);
}

/*
 * Every size from 0 to the whole: the length needed is always the same,
 * -E2BIG until it fits, and what is written is a clean prefix of the
 * whole output made of whole units.
 */
Test(escape, truncation_at_every_size)
{
	static const unsigned int modes[] = {
		NP_ESCAPE_TEXT,
		NP_ESCAPE_TEXT | NP_ESCAPE_LOSSY,
		NP_ESCAPE_JSON,
	};
	char full[512], buf[512];
	size_t m, size, need, len, prev;

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		cr_assert_eq(np_escape(hostile, modes[m], full, sizeof(full),
				       &need),
			     0);
		prev = 0;
		for (size = 0; size <= need + 1; size++) {
			int err;

			memset(buf, 'Z', sizeof(buf));
			len = 0;
			err = np_escape(hostile, modes[m], size ? buf : NULL,
					size, &len);
			cr_expect_eq(len, need, "mode %u size %zu", modes[m],
				     size);
			cr_expect_eq(err, size > need ? 0 : -E2BIG,
				     "mode %u size %zu", modes[m], size);
			if (!size)
				continue;
			cr_expect_lt(strlen(buf), size);
			cr_expect_eq(buf[size], 'Z', "wrote past size %zu",
				     size);
			cr_expect_eq(strncmp(buf, full, strlen(buf)), 0);
			cr_expect(t_clean_utf8(buf, modes[m] != NP_ESCAPE_JSON),
				  "mode %u size %zu: %s", modes[m], size, buf);
			/*
			 * never the start of an escape without its end: a
			 * backslash is doubled, so a clean cut leaves an
			 * even run of them (LOSSY keeps a backslash as is)
			 */
			if (!(modes[m] & NP_ESCAPE_LOSSY))
				cr_expect(trailing_backslashes(buf) % 2 == 0,
					  "mode %u size %zu: %s", modes[m],
					  size, buf);
			cr_expect_geq(strlen(buf), prev);
			/* the longest unit: a 3-byte character as \\xNN x 3 */
			cr_expect(size < 13 || strlen(buf) + 11 >= size - 1,
				  "mode %u size %zu: too short: %s", modes[m],
				  size, buf);
			prev = strlen(buf);
		}
	}
	/* a cut inside "\x1b" leaves none of it */
	cr_expect_eq(np_escape("a\x1b", NP_ESCAPE_TEXT, buf, 4, &len), -E2BIG);
	cr_expect_str_eq(buf, "a");
	cr_expect_eq(len, 5);
	/* a cut inside a 4-byte character leaves none of it */
	cr_expect_eq(np_escape("a\xf0\x9f\x98\x80", NP_ESCAPE_JSON, buf, 5,
			       NULL),
		     -E2BIG);
	cr_expect_str_eq(buf, "a");
}

Test(escape, bad_arguments)
{
	char buf[16];
	size_t len = 7;

	cr_expect_eq(np_escape(NULL, NP_ESCAPE_TEXT, buf, sizeof(buf), &len),
		     -EINVAL);
	cr_expect_eq(np_escape("a", NP_ESCAPE_TEXT, NULL, 4, &len), -EINVAL);
	cr_expect_eq(np_escape("a", 0, buf, sizeof(buf), &len), -EINVAL);
	cr_expect_eq(np_escape("a", NP_ESCAPE_TEXT | NP_ESCAPE_JSON, buf,
			       sizeof(buf), &len),
		     -EINVAL);
	cr_expect_eq(np_escape("a", NP_ESCAPE_JSON | NP_ESCAPE_LOSSY, buf,
			       sizeof(buf), &len),
		     -EINVAL);
	cr_expect_eq(np_escape("a", NP_ESCAPE_LOSSY, buf, sizeof(buf), &len),
		     -EINVAL);
	cr_expect_eq(np_escape("a", NP_ESCAPE_TEXT | 0x80, buf, sizeof(buf),
			       &len),
		     -EINVAL);
	cr_expect_eq(len, 7, "*len untouched on -EINVAL");
	cr_expect_eq(np_escape("", NP_ESCAPE_JSON, buf, 1, &len), 0);
	cr_expect_str_eq(buf, "");
	cr_expect_eq(len, 0);
	cr_expect_eq(np_escape("ab", NP_ESCAPE_TEXT, NULL, 0, NULL), -E2BIG);
}

/* The value of key "k" of the one-document YAML in s; NULL if unreadable. */
static char *yaml_value(const char *s)
{
	yaml_parser_t p;
	yaml_event_t ev;
	char *val = NULL;
	bool next = false, done = false;

	if (!yaml_parser_initialize(&p))
		return NULL;
	yaml_parser_set_input_string(&p, (const unsigned char *)s, strlen(s));
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			free(val);
			val = NULL;
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT) {
			if (next && !val)
				val = strdup(
					(const char *)ev.data.scalar.value);
			next = !strcmp((const char *)ev.data.scalar.value, "k");
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return val;
}

Test(escape, emit_json_and_yaml)
{
	struct np_arena a = { 0 };
	struct np_node *root = np__node_new(&a, NP_N_MAP);
	char *out = NULL, *v;
	size_t lines;
	json_error_t je;
	json_t *j;

	cr_assert_not_null(root);
	cr_assert_eq(np__map_put(&a, root, "k", np__node_str(&a, hostile)), 0);
	cr_assert_eq(np__map_put(&a, root, hostile, np__node_str(&a, "v")), 0);

	cr_assert_eq(np__emit_string(root, NP_FORMAT_JSON, &out), 0);
	/* the line ends and indentation of the document are its own */
	for (v = out; *v; v++)
		if (*v == '\n')
			*v = ' ';
	cr_expect(t_clean_utf8(out, false), "%s", out);
	j = json_loads(out, 0, &je);
	cr_expect_not_null(j, "not JSON: %s: %s", je.text, out);
	if (j)
		cr_expect(!strncmp(json_string_value(json_object_get(j, "k")),
				   hostile, 10));
	json_decref(j);
	np_free(out);

	cr_assert_eq(np__emit_string(root, NP_FORMAT_YAML, &out), 0);
	/* a line for each entry, at most "---" and "..." more: no line
	 * break inside a value */
	for (v = out, lines = 0; *v; v++)
		if (*v == '\n') {
			*v = ' ';
			lines++;
		}
	cr_expect_leq(lines, 4, "%s", out);
	cr_expect(t_clean_utf8(out, true), "%s", out);
	np_free(out);
	cr_assert_eq(np__emit_string(root, NP_FORMAT_YAML, &out), 0);
	v = yaml_value(out);
	cr_expect_not_null(v, "not YAML: %s", out);
	if (v)
		cr_expect(!strncmp(v, hostile, 10), "%s", v);
	free(v);
	np_free(out);
	np__arena_release(&a);
}
