/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The shared hash table (libnetpol/hashmap.h): lookups, growth, collisions
 * on one home slot, backward-shift deletion across the wrap-around, and a
 * randomized comparison with a plain array; release_each frees each value.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

struct item {
	unsigned key;
};

static bool item_eq(const void *val, const void *key)
{
	return ((const struct item *)val)->key == *(const unsigned *)key;
}

/* A poor hash on purpose: many keys share a home slot. */
static uint64_t weak_hash(unsigned key)
{
	return key % 7;
}

static uint64_t good_hash(unsigned key)
{
	uint64_t x = key * 0x9e3779b97f4a7c15ULL;

	return x ^ (x >> 29);
}

static struct item *find(const struct np_hashmap *m, uint64_t (*h)(unsigned),
			 unsigned key)
{
	return np__hashmap_get(m, h(key), item_eq, &key);
}

Test(hashmap, empty)
{
	struct np_hashmap m = { 0 };
	unsigned k = 1;

	cr_assert_null(np__hashmap_get(&m, 1, item_eq, &k));
	np__hashmap_release(&m);
	cr_assert_eq(m.cap, 0);
}

Test(hashmap, reserve_sizes)
{
	struct np_hashmap m = { 0 };

	cr_assert_eq(np__hashmap_reserve(&m, 0, 16), 0);
	cr_assert_eq(m.cap, 16);
	cr_assert_eq(np__hashmap_reserve(&m, 8, 16), 0);
	cr_assert_eq(m.cap, 16);
	cr_assert_eq(np__hashmap_reserve(&m, 9, 16), 0);
	cr_assert_eq(m.cap, 32);
	cr_assert_eq(np__hashmap_reserve(&m, 3, 16), 0);
	cr_assert_eq(m.cap, 32, "never shrinks");
	np__hashmap_release(&m);
	cr_assert_eq(np__hashmap_reserve(&m, 100, 64), 0);
	cr_assert_eq(m.cap, 256);
	np__hashmap_release(&m);
}

Test(hashmap, add_get_grow)
{
	struct np_hashmap m = { 0 };
	struct item v[1000];
	unsigned i;

	for (i = 0; i < 1000; i++) {
		v[i].key = i * 3;
		cr_assert_eq(
			np__hashmap_add(&m, good_hash(v[i].key), &v[i], 64), 0);
		cr_assert_geq(m.cap, 2 * m.n);
	}
	cr_assert_eq(m.n, 1000);
	cr_assert_eq(m.cap, 2048);
	for (i = 0; i < 3000; i++)
		cr_assert_eq(find(&m, good_hash, i), i % 3 ? NULL : &v[i / 3],
			     "key %u", i);
	np__hashmap_release(&m);
}

Test(hashmap, probe_and_fill)
{
	struct np_hashmap m = { 0 };
	struct item a = { 5 }, b = { 12 };
	unsigned k = 5;
	size_t i;

	cr_assert_eq(np__hashmap_reserve(&m, 2, 8), 0);
	i = np__hashmap_probe(&m, weak_hash(5), item_eq, &k);
	cr_assert_null(m.slots[i].val);
	np__hashmap_fill(&m, i, weak_hash(5), &a);
	k = 12; /* same home slot as 5 */
	i = np__hashmap_probe(&m, weak_hash(12), item_eq, &k);
	cr_assert_null(m.slots[i].val);
	np__hashmap_fill(&m, i, weak_hash(12), &b);
	cr_assert_eq(m.n, 2);
	cr_assert_eq(find(&m, weak_hash, 5), &a);
	cr_assert_eq(find(&m, weak_hash, 12), &b);
	k = 12;
	i = np__hashmap_probe(&m, weak_hash(12), item_eq, &k);
	cr_assert_eq(m.slots[i].val, &b, "an existing key's own slot");
	np__hashmap_release(&m);
}

Test(hashmap, remove_keeps_chains)
{
	struct np_hashmap m = { 0 };
	struct item v[6];
	unsigned i, k;
	size_t s;

	/* 6 keys in a table of 16, all home at slot 5 or 6 */
	for (i = 0; i < 6; i++) {
		v[i].key = i;
		cr_assert_eq(np__hashmap_add(&m, 5 + (i & 1), &v[i], 16), 0);
	}
	cr_assert_eq(m.cap, 16);
	for (i = 0; i < 6; i += 2) {
		k = i;
		s = np__hashmap_probe(&m, 5, item_eq, &k);
		cr_assert_eq(m.slots[s].val, &v[i]);
		np__hashmap_remove_at(&m, s);
		for (k = 0; k < 6; k++) {
			struct item *f =
				np__hashmap_get(&m, 5 + (k & 1), item_eq, &k);

			cr_assert_eq(f, (k & 1) || k > i ? &v[k] : NULL,
				     "after removing %u: key %u", i, k);
		}
	}
	cr_assert_eq(m.n, 3);
	np__hashmap_release(&m);
}

Test(hashmap, remove_across_wrap)
{
	struct np_hashmap m = { 0 };
	struct item v[5];
	unsigned i, k;
	size_t s;

	/* homes at the last slots: the chain wraps to slot 0 */
	for (i = 0; i < 5; i++) {
		v[i].key = i;
		cr_assert_eq(np__hashmap_add(&m, 14 + (i % 2), &v[i], 16), 0);
	}
	k = 0;
	s = np__hashmap_probe(&m, 14, item_eq, &k);
	cr_assert_eq(s, 14);
	np__hashmap_remove_at(&m, s);
	for (k = 1; k < 5; k++)
		cr_assert_eq(np__hashmap_get(&m, 14 + (k % 2), item_eq, &k),
			     &v[k], "key %u", k);
	k = 0;
	cr_assert_null(np__hashmap_get(&m, 14, item_eq, &k));
	np__hashmap_release(&m);
}

Test(hashmap, random_against_array)
{
	enum { N = 512 };
	static struct item v[N];
	static bool in[N];
	struct np_hashmap m = { 0 };
	unsigned long long r = 88172645463325252ULL;
	unsigned step, k;
	size_t s;

	for (k = 0; k < N; k++)
		v[k].key = k;
	for (step = 0; step < 20000; step++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		k = (unsigned)(r % N);
		cr_assert_eq(np__hashmap_reserve(&m, m.n + 1, 16), 0);
		s = np__hashmap_probe(&m, weak_hash(k), item_eq, &k);
		cr_assert_eq(m.slots[s].val != NULL, in[k], "step %u", step);
		if (in[k])
			np__hashmap_remove_at(&m, s);
		else
			np__hashmap_fill(&m, s, weak_hash(k), &v[k]);
		in[k] = !in[k];
	}
	for (k = 0, s = 0; k < N; k++) {
		cr_assert_eq(find(&m, weak_hash, k), in[k] ? &v[k] : NULL);
		s += in[k];
	}
	cr_assert_eq(m.n, s);
	np__hashmap_release(&m);
}

static unsigned freed[64];

static void item_free(void *p)
{
	freed[((struct item *)p)->key]++;
}

/* Every value goes through free_val once, empty slots never; m is empty. */
Test(hashmap, release_each)
{
	struct np_hashmap m = { 0 };
	struct item v[64];
	unsigned k;

	np__hashmap_release_each(&m, item_free);
	for (k = 0; k < 64; k++) {
		v[k].key = k;
		if (k % 3)
			cr_assert_eq(
				np__hashmap_add(&m, good_hash(k), &v[k], 4), 0);
	}
	np__hashmap_release_each(&m, item_free);
	for (k = 0; k < 64; k++)
		cr_assert_eq(freed[k], k % 3 ? 1u : 0u, "key %u", k);
	cr_assert_null(m.slots);
	cr_assert_eq(m.n, 0);
	cr_assert_eq(m.cap, 0);
}
