/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Text from outside (names from manifests or given to attach, messages
 * quoting them) made safe to print: the one escaper of the library, used
 * by every writer of text, JSON and YAML (event.c, emit.c, the text
 * exports) and, through np_escape(), by applications such as netpol.
 */
#include <stdio.h>

#include "util.h"

/*
 * The next character of the n bytes at s, as a code point in *cp, and its
 * length in bytes: an invalid, truncated, overlong or surrogate sequence,
 * or one past U+10FFFF, is one byte of U+FFFD.
 */
size_t np__u8_next(const char *str, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c;
	size_t k, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 1, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 2, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 3, c = s[0] & 0x07;
	else
		goto bad;
	if (k >= n)
		goto bad;
	for (i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[k] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		goto bad;
	*cp = c;
	return k + 1;
bad:
	*cp = NP__U8_INVALID;
	return 1;
}

bool np__is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/*
 * Not controls, but they move or break text on a terminal or in a log
 * viewer (a line or paragraph separator, a bidirectional mark, embedding,
 * override or isolate): text output escapes them too ("Trojan source").
 */
static bool text_hazard(uint32_t c)
{
	return c == 0x2028 || c == 0x2029 || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

bool np__has_control(const char *s, size_t n)
{
	uint32_t c;
	size_t i = 0;

	while (i < n) {
		i += np__u8_next(s + i, n - i, &c);
		if (c == NP__U8_INVALID || np__is_control(c) || c == 0x2028 ||
		    c == 0x2029)
			return true;
	}
	return false;
}

static size_t put_cp(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static size_t put_hex(char *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 4 * i, 5, "\\x%02x", (unsigned char)s[i]);
	return 4 * n;
}

size_t np__escape_unit(const char *s, size_t n, unsigned int flags,
		       char out[NP__ESCAPE_UNIT_MAX], size_t *outlen)
{
	uint32_t c;
	size_t len = np__u8_next(s, n, &c);
	bool bad = c == NP__U8_INVALID;

	if (flags & NP__ESCAPE_UTF8) {
		*outlen = put_cp(out, bad ? 0xfffd : c);
	} else if (flags & NP_ESCAPE_JSON) {
		if (c == '"' || c == '\\') {
			out[0] = '\\';
			out[1] = (char)c;
			*outlen = 2;
		} else if (np__is_control(c) || c == 0x2028 || c == 0x2029) {
			snprintf(out, NP__ESCAPE_UNIT_MAX, "\\u%04x",
				 (unsigned int)c);
			*outlen = 6;
		} else {
			*outlen = put_cp(out, bad ? 0xfffd : c);
		}
	} else if (flags & NP_ESCAPE_LOSSY) {
		if (np__is_control(c) || text_hazard(c)) {
			out[0] = '?';
			*outlen = 1;
		} else {
			*outlen = put_cp(out, bad ? 0xfffd : c);
		}
	} else if (c == '\\') {
		out[0] = out[1] = '\\';
		*outlen = 2;
	} else if (bad || np__is_control(c) || text_hazard(c)) {
		*outlen = put_hex(out, s, len);
	} else {
		memcpy(out, s, len);
		*outlen = len;
	}
	return len;
}

void np__sb_escape(struct np_strbuf *sb, const char *s, size_t n,
		   unsigned int flags)
{
	char u[NP__ESCAPE_UNIT_MAX];
	size_t i = 0, j, m;

	while (i < n) {
		/* a run of printable ASCII that no mode changes, at once */
		for (j = i; j < n && s[j] >= 0x20 && s[j] < 0x7f &&
			    s[j] != '"' && s[j] != '\\';
		     j++)
			;
		if (j > i)
			np__sb_putn(sb, s + i, j - i);
		if (j == n)
			break;
		i = j + np__escape_unit(s + j, n - j, flags, u, &m);
		np__sb_putn(sb, u, m);
	}
}

void np__sb_puts_text(struct np_strbuf *sb, const char *s)
{
	np__sb_escape(sb, s, strlen(s), NP_ESCAPE_TEXT);
}

NP_API int np_escape(const char *s, unsigned int flags, char *buf, size_t size,
		     size_t *len)
{
	char u[NP__ESCAPE_UNIT_MAX];
	size_t i = 0, n, pos = 0, stored = 0, m;

	if (!s || (!buf && size) ||
	    (flags & ~(NP_ESCAPE_TEXT | NP_ESCAPE_JSON | NP_ESCAPE_LOSSY)) ||
	    !(flags & NP_ESCAPE_TEXT) == !(flags & NP_ESCAPE_JSON) ||
	    (flags & NP_ESCAPE_JSON && flags & NP_ESCAPE_LOSSY))
		return -EINVAL;
	n = strlen(s);
	while (i < n) {
		i += np__escape_unit(s + i, n - i, flags, u, &m);
		/* whole units only: a cut never splits a character */
		if (stored == pos && pos + m < size) {
			memcpy(buf + pos, u, m);
			stored += m;
		}
		pos += m;
	}
	if (size)
		buf[stored] = '\0';
	if (len)
		*len = pos;
	return pos < size ? 0 : -E2BIG;
}
