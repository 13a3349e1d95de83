/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Internal helpers: arena, string buffer, growable arrays, hashing. */
#ifndef NP_UTIL_H
#define NP_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netpol/common.h"

#define NP__HIDDEN __attribute__((visibility("hidden")))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NP_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Bump allocator: everything it hands out is freed at once. */
struct np_arena {
	struct np_arena_chunk *head;
	size_t total; /* bytes of all chunks */
	size_t used; /* bytes handed out */
};

void *np__arena_alloc(struct np_arena *a, size_t size);
void *np__arena_zalloc(struct np_arena *a, size_t size);
char *np__arena_strndup(struct np_arena *a, const char *s, size_t len);
char *np__arena_strdup(struct np_arena *a, const char *s);
char *np__arena_printf(struct np_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void np__arena_release(struct np_arena *a);

/* Growable string. On allocation failure it records the error and stops. */
struct np_strbuf {
	char *buf;
	size_t len;
	size_t cap;
	int err;
};

struct np_diag;
/*
 * A public call's failure that no problem describes (out of memory, say):
 * a diag given and still empty gets err, so that np_diag_format() names
 * the reason and no caller prints "success" for a failure. Returns err.
 */
int np__diag_fail(struct np_diag *diag, int err);

void np__sb_putn(struct np_strbuf *sb, const char *s, size_t n);
void np__sb_puts(struct np_strbuf *sb, const char *s);
void np__sb_putc(struct np_strbuf *sb, char c);
void np__sb_printf(struct np_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void np__sb_vprintf(struct np_strbuf *sb, const char *fmt, va_list ap);
/* Hand the string over (NUL-terminated), or return the error. */
int np__sb_finish(struct np_strbuf *sb, char **out);
void np__sb_release(struct np_strbuf *sb);

/* Grow *arr (of elem-sized items, capacity *cap) to hold at least n. */
int np__grow(void **arr, size_t *cap, size_t n, size_t elem);
#define NP_GROW(arr, cap, n) \
	np__grow((void **)&(arr), &(cap), (n), sizeof(*(arr)))

uint64_t np__hash_bytes(const void *data, size_t len, uint64_t seed);
/*
 * A faster hash for in-memory tables only (8 bytes a step): its values
 * never reach any output, unlike np__hash_bytes (names, rule set hashes).
 */
uint64_t np__hash_fast(const void *data, size_t len, uint64_t seed);
static inline uint64_t np__hash_str(const char *s, uint64_t seed)
{
	return np__hash_bytes(s, strlen(s), seed);
}

/*
 * Escaping (escape.c), behind np_escape(): np__u8_next() decodes one
 * character of the n bytes at s (NP__U8_INVALID, 1 byte, for invalid
 * UTF-8); np__has_control() finds a control, U+2028, U+2029 or invalid
 * UTF-8; np__escape_unit() escapes one into out (NP__ESCAPE_UTF8: only
 * invalid bytes, as U+FFFD); np__sb_escape() escapes n bytes of s into
 * sb.
 */
#define NP__U8_INVALID 0x110000u
#define NP__ESCAPE_UNIT_MAX 17
#define NP__ESCAPE_UTF8 0x100u
size_t np__u8_next(const char *s, size_t n, uint32_t *cp);
bool np__is_control(uint32_t c);
bool np__has_control(const char *s, size_t n);
size_t np__escape_unit(const char *s, size_t n, unsigned int flags,
		       char out[NP__ESCAPE_UNIT_MAX], size_t *outlen);
void np__sb_escape(struct np_strbuf *sb, const char *s, size_t n,
		   unsigned int flags);
/* np__sb_escape(sb, s, strlen(s), NP_ESCAPE_TEXT): a name in a text line. */
void np__sb_puts_text(struct np_strbuf *sb, const char *s);

void np__log(np_log_fn fn, void *ctx, enum np_log_level lvl, const char *fmt,
	     ...) __attribute__((format(printf, 4, 5)));

/* Big-endian loads from unaligned bytes (addresses compared as words). */
static inline uint64_t np__be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint32_t np__be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

#endif /* NP_UTIL_H */
