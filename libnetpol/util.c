// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The shared stage's memory and text helpers (util.h): arenas of small
 * allocations freed at once, growable string buffers, growable arrays,
 * string hashing and the log callback's formatting.
 */
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

struct np_arena_chunk {
	struct np_arena_chunk *next;
	size_t used;
	size_t cap;
	max_align_t data[];
};

#define ARENA_CHUNK (64 * 1024)
#define ARENA_FIRST 1024

/*
 * Chunks start small and double up to ARENA_CHUNK, so the many small
 * arenas (one per object) stay small; a request larger than a quarter
 * chunk gets a block of its own.
 */
void *np__arena_alloc(struct np_arena *a, size_t size)
{
	struct np_arena_chunk *c = a->head;
	size_t need = (size + 15) & ~(size_t)15;

	if (need < size)
		return NULL;
	if (!c || c->cap - c->used < need) {
		size_t cap = c ? NP_MIN(c->cap * 2, (size_t)ARENA_CHUNK) :
				 ARENA_FIRST;
		bool own = need > ARENA_CHUNK / 4;

		if (own || cap < need)
			cap = own ? need : NP_MAX(cap, need);
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		if (own && a->head) {
			/* big block: keep the current chunk on top */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
		a->total += cap;
	}
	c->used += need;
	a->used += need;
	return (char *)c->data + c->used - need;
}

void *np__arena_zalloc(struct np_arena *a, size_t size)
{
	void *p = np__arena_alloc(a, size);

	if (p)
		memset(p, 0, size);
	return p;
}

char *np__arena_strndup(struct np_arena *a, const char *s, size_t len)
{
	char *p = np__arena_alloc(a, len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

char *np__arena_strdup(struct np_arena *a, const char *s)
{
	return np__arena_strndup(a, s, strlen(s));
}

char *np__arena_printf(struct np_arena *a, const char *fmt, ...)
{
	va_list ap;
	char small[128];
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = np__arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void np__arena_release(struct np_arena *a)
{
	struct np_arena_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->total = 0;
	a->used = 0;
}

static bool sb_reserve(struct np_strbuf *sb, size_t more)
{
	size_t cap;
	char *p;

	if (sb->err)
		return false;
	if (sb->len + more + 1 <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 256;
	while (cap < sb->len + more + 1)
		cap *= 2;
	p = realloc(sb->buf, cap);
	if (!p) {
		sb->err = -ENOMEM;
		return false;
	}
	sb->buf = p;
	sb->cap = cap;
	return true;
}

void np__sb_putn(struct np_strbuf *sb, const char *s, size_t n)
{
	if (!sb_reserve(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void np__sb_puts(struct np_strbuf *sb, const char *s)
{
	np__sb_putn(sb, s, strlen(s));
}

void np__sb_putc(struct np_strbuf *sb, char c)
{
	np__sb_putn(sb, &c, 1);
}

void np__sb_vprintf(struct np_strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !sb_reserve(sb, (size_t)n))
		return;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void np__sb_printf(struct np_strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	np__sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

int np__sb_finish(struct np_strbuf *sb, char **out)
{
	if (!sb->err && !sb->buf)
		sb_reserve(sb, 0);
	if (sb->err) {
		int err = sb->err;

		np__sb_release(sb);
		return err;
	}
	sb->buf[sb->len] = '\0';
	*out = sb->buf;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return 0;
}

void np__sb_release(struct np_strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

int np__grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n <= *cap)
		return 0;
	ncap = *cap ? *cap : 4;
	while (ncap < n) {
		if (ncap > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* FNV-1a, 64 bit, with a seed folded in. */
uint64_t np__hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return h;
}

uint64_t np__hash_fast(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL), w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return mix64(h);
}

void np__log(np_log_fn fn, void *ctx, enum np_log_level lvl, const char *fmt,
	     ...)
{
	char buf[1024];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fn(ctx, lvl, buf);
}
