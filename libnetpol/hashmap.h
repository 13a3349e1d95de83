/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The library's one hash table: open addressing, a power-of-two capacity
 * kept at least twice the number of entries, linear probing and
 * backward-shift deletion (no tombstones). The caller hashes (64 bits) and
 * compares; a slot keeps the hash beside the value, so growing and
 * deleting never hash again and probes compare hashes before keys.
 *
 * Values are non-NULL pointers (NULL marks an empty slot). The probe is
 * inline: with a static equality function the compiler inlines it too,
 * which matters on the compile hot path. Iterate with
 * `for (i = 0; i < m->cap; i++) if (m->slots[i].val) ...`.
 */
#ifndef NP_HASHMAP_H
#define NP_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct np_hashmap_slot {
	uint64_t hash;
	void *val; /* NULL: empty */
};

struct np_hashmap {
	struct np_hashmap_slot *slots;
	size_t cap; /* 0 or a power of two */
	size_t n;
};

/* Whether the stored value val has the key the caller looks for. */
typedef bool (*np__hashmap_eq_fn)(const void *val, const void *key);

/*
 * The slot of key in m (val set), or the empty slot where it would go (val
 * NULL). m must have a capacity: see np__hashmap_reserve().
 */
static inline size_t np__hashmap_probe(const struct np_hashmap *m,
				       uint64_t hash, np__hashmap_eq_fn eq,
				       const void *key)
{
	size_t mask = m->cap - 1, i = hash & mask;

	for (; m->slots[i].val; i = (i + 1) & mask)
		if (m->slots[i].hash == hash && eq(m->slots[i].val, key))
			break;
	return i;
}

/* The value stored under key, or NULL. */
static inline void *np__hashmap_get(const struct np_hashmap *m, uint64_t hash,
				    np__hashmap_eq_fn eq, const void *key)
{
	if (!m->cap)
		return NULL;
	return m->slots[np__hashmap_probe(m, hash, eq, key)].val;
}

/*
 * Fill the empty slot i that np__hashmap_probe() returned. No room check:
 * reserve first (and probe again if the reserve grew the table).
 */
static inline void np__hashmap_fill(struct np_hashmap *m, size_t i,
				    uint64_t hash, void *val)
{
	m->slots[i].hash = hash;
	m->slots[i].val = val;
	m->n++;
}

/*
 * Room for n entries without growing: the capacity becomes the smallest
 * power of two, at least min_cap (a power of two) and at least 2 * n.
 * Existing slots may move. 0 or -ENOMEM (m unchanged).
 */
int np__hashmap_reserve(struct np_hashmap *m, size_t n, size_t min_cap);

/*
 * Add val under a key not in m, growing as needed (first capacity:
 * min_cap). 0 or -ENOMEM.
 */
int np__hashmap_add(struct np_hashmap *m, uint64_t hash, void *val,
		    size_t min_cap);

/* Empty slot i (a slot holding a value), shifting its successors back. */
void np__hashmap_remove_at(struct np_hashmap *m, size_t i);

/* Forget every entry, keep nothing: the values are the caller's. */
void np__hashmap_release(struct np_hashmap *m);
/* The same, once free_val(val) has run for every value. */
void np__hashmap_release_each(struct np_hashmap *m, void (*free_val)(void *));

#endif /* NP_HASHMAP_H */
