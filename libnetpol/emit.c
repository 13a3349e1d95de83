// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The document tree printed as JSON (our own writer: 2-space indent, as
 * kubectl -o json) or YAML (libyaml's emitter, block style, strings quoted
 * where a plain scalar would read back as another type).
 */
#include <stdio.h>
#include <yaml.h>

#include "node.h"

/* A JSON string: always valid UTF-8, every control escaped (np_escape()). */
static void json_string(struct np_strbuf *sb, const char *s, size_t n)
{
	np__sb_putc(sb, '"');
	np__sb_escape(sb, s, n, NP_ESCAPE_JSON);
	np__sb_putc(sb, '"');
}

static void indent(struct np_strbuf *sb, int level)
{
	np__sb_putc(sb, '\n');
	while (level-- > 0)
		np__sb_puts(sb, "  ");
}

static void emit_json(const struct np_node *n, struct np_strbuf *sb, int lvl)
{
	size_t i;

	switch (n->type) {
	case NP_N_NULL:
		np__sb_puts(sb, "null");
		break;
	case NP_N_BOOL:
		np__sb_puts(sb, n->b ? "true" : "false");
		break;
	case NP_N_INT:
		np__sb_printf(sb, "%lld", (long long)n->i);
		break;
	case NP_N_FLOAT:
		np__sb_printf(sb, "%.17g", n->f);
		break;
	case NP_N_STR:
		json_string(sb, n->str.s, n->str.len);
		break;
	case NP_N_SEQ:
		if (!n->seq.n) {
			np__sb_puts(sb, "[]");
			break;
		}
		np__sb_putc(sb, '[');
		for (i = 0; i < n->seq.n; i++) {
			indent(sb, lvl + 1);
			emit_json(n->seq.v[i], sb, lvl + 1);
			if (i + 1 < n->seq.n)
				np__sb_putc(sb, ',');
		}
		indent(sb, lvl);
		np__sb_putc(sb, ']');
		break;
	case NP_N_MAP:
		if (!n->map.n) {
			np__sb_puts(sb, "{}");
			break;
		}
		np__sb_putc(sb, '{');
		for (i = 0; i < n->map.n; i++) {
			indent(sb, lvl + 1);
			json_string(sb, n->map.k[i], strlen(n->map.k[i]));
			np__sb_puts(sb, ": ");
			emit_json(n->map.v[i], sb, lvl + 1);
			if (i + 1 < n->map.n)
				np__sb_putc(sb, ',');
		}
		indent(sb, lvl);
		np__sb_putc(sb, '}');
		break;
	}
}

static int yaml_write(void *data, unsigned char *buf, size_t size)
{
	np__sb_putn(data, (const char *)buf, size);
	return ((struct np_strbuf *)data)->err ? 0 : 1;
}

/*
 * Words YAML 1.1 readers (kubectl's go-yaml among them) take for booleans
 * or null although the 1.2 core schema keeps them strings.
 */
static bool yaml11_word(const char *s, size_t len)
{
	static const char *const words[] = {
		"y",  "Y",  "yes", "Yes", "YES", "n",	"N",   "no",
		"No", "NO", "on",  "On",  "ON",	 "off", "Off", "OFF",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strlen(words[i]) == len && !memcmp(words[i], s, len))
			return true;
	return false;
}

/* Would this string, printed plain, read back as something else? */
static bool needs_quotes(const char *s, size_t len)
{
	struct np_node probe = { .type = NP_N_STR };

	if (!len || yaml11_word(s, len))
		return true;
	probe.str.s = s;
	probe.str.len = len;
	np__resolve_plain(&probe);
	return probe.type != NP_N_STR;
}

/*
 * Emit ev. libyaml's allocations and our writer (a strbuf) fail only for
 * memory: -ENOMEM; anything else is a bug of ours: -EINVAL.
 */
static int emit_ev(yaml_emitter_t *e, yaml_event_t *ev)
{
	if (yaml_emitter_emit(e, ev))
		return 0;
	return e->error == YAML_MEMORY_ERROR || e->error == YAML_WRITER_ERROR ?
		       -ENOMEM :
		       -EINVAL;
}

/*
 * A string with a control, U+2028, U+2029 or invalid UTF-8 in it is
 * double-quoted, where libyaml escapes every control and line break
 * (\t, \n, \N, \L, \x7F...); invalid bytes become U+FFFD first, as
 * libyaml refuses them.
 */
static int emit_scalar(yaml_emitter_t *e, const char *s, size_t len,
		       yaml_scalar_style_t style)
{
	struct np_strbuf sb = { 0 };
	yaml_event_t ev;
	int ok;

	if (np__has_control(s, len)) {
		np__sb_escape(&sb, s, len, NP__ESCAPE_UTF8);
		if (sb.err)
			return sb.err;
		s = sb.buf ? sb.buf : "";
		len = sb.len;
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	}
	ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
					  (int)len, 1, 1, style);
	np__sb_release(&sb);
	if (!ok)
		return -ENOMEM;
	return emit_ev(e, &ev);
}

static int emit_yaml(yaml_emitter_t *e, const struct np_node *n)
{
	yaml_event_t ev;
	size_t i;
	int err;

	switch (n->type) {
	case NP_N_NULL:
		return emit_scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE);
	case NP_N_BOOL:
		return emit_scalar(e, n->b ? "true" : "false", n->b ? 4 : 5,
				   YAML_PLAIN_SCALAR_STYLE);
	case NP_N_INT: {
		char buf[32];

		snprintf(buf, sizeof(buf), "%lld", (long long)n->i);
		return emit_scalar(e, buf, strlen(buf),
				   YAML_PLAIN_SCALAR_STYLE);
	}
	case NP_N_FLOAT: {
		char buf[40];

		snprintf(buf, sizeof(buf), "%.17g", n->f);
		return emit_scalar(e, buf, strlen(buf),
				   YAML_PLAIN_SCALAR_STYLE);
	}
	case NP_N_STR:
		return emit_scalar(e, n->str.s, n->str.len,
				   needs_quotes(n->str.s, n->str.len) ?
					   YAML_SINGLE_QUOTED_SCALAR_STYLE :
					   YAML_ANY_SCALAR_STYLE);
	case NP_N_SEQ:
		if (!yaml_sequence_start_event_initialize(
			    &ev, NULL, NULL, 1,
			    n->seq.n ? YAML_BLOCK_SEQUENCE_STYLE :
				       YAML_FLOW_SEQUENCE_STYLE))
			return -ENOMEM;
		err = emit_ev(e, &ev);
		if (err)
			return err;
		for (i = 0; i < n->seq.n; i++) {
			err = emit_yaml(e, n->seq.v[i]);
			if (err)
				return err;
		}
		yaml_sequence_end_event_initialize(&ev);
		return emit_ev(e, &ev);
	case NP_N_MAP:
		if (!yaml_mapping_start_event_initialize(
			    &ev, NULL, NULL, 1,
			    n->map.n ? YAML_BLOCK_MAPPING_STYLE :
				       YAML_FLOW_MAPPING_STYLE))
			return -ENOMEM;
		err = emit_ev(e, &ev);
		if (err)
			return err;
		for (i = 0; i < n->map.n; i++) {
			const char *k = n->map.k[i];

			err = emit_scalar(
				e, k, strlen(k),
				needs_quotes(k, strlen(k)) ?
					YAML_SINGLE_QUOTED_SCALAR_STYLE :
					YAML_ANY_SCALAR_STYLE);
			if (!err)
				err = emit_yaml(e, n->map.v[i]);
			if (err)
				return err;
		}
		yaml_mapping_end_event_initialize(&ev);
		return emit_ev(e, &ev);
	}
	return -EINVAL;
}

int np__emit(const struct np_node *root, enum np_format fmt,
	     struct np_strbuf *sb)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int err;

	if (fmt == NP_FORMAT_JSON) {
		emit_json(root, sb, 0);
		np__sb_putc(sb, '\n');
		return sb->err;
	}
	if (!yaml_emitter_initialize(&e))
		return -ENOMEM;
	yaml_emitter_set_output(&e, yaml_write, sb);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	/* an event that cannot be made is out of memory, as emit_ev() says */
	err = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ?
		      emit_ev(&e, &ev) :
		      -ENOMEM;
	if (!err)
		err = yaml_document_start_event_initialize(&ev, NULL, NULL,
							   NULL, 1) ?
			      emit_ev(&e, &ev) :
			      -ENOMEM;
	if (!err)
		err = emit_yaml(&e, root);
	if (!err)
		err = yaml_document_end_event_initialize(&ev, 1) ?
			      emit_ev(&e, &ev) :
			      -ENOMEM;
	if (!err)
		err = yaml_stream_end_event_initialize(&ev) ? emit_ev(&e, &ev) :
							      -ENOMEM;
	yaml_emitter_delete(&e);
	return err ? err : sb->err;
}

int np__emit_string(const struct np_node *root, enum np_format fmt, char **out)
{
	struct np_strbuf sb = { 0 };
	int err = np__emit(root, fmt, &sb);

	if (err) {
		np__sb_release(&sb);
		return err;
	}
	return np__sb_finish(&sb, out);
}
