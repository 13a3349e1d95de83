/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The shared hash table's growing, deleting and freeing (hashmap.h has the
 * inline probe).
 */
#include <errno.h>
#include <stdlib.h>

#include "hashmap.h"

/* Place a value into a table known to hold no equal key and to have room. */
static void place(struct np_hashmap_slot *slots, size_t cap,
		  const struct np_hashmap_slot *s)
{
	size_t i = s->hash & (cap - 1);

	while (slots[i].val)
		i = (i + 1) & (cap - 1);
	slots[i] = *s;
}

int np__hashmap_reserve(struct np_hashmap *m, size_t n, size_t min_cap)
{
	struct np_hashmap_slot *slots;
	size_t cap = m->cap ? m->cap : min_cap, i;

	if (!cap)
		cap = 1;
	while (cap / 2 < n) {
		if (cap > SIZE_MAX / 2 / sizeof(*slots))
			return -ENOMEM;
		cap *= 2;
	}
	if (cap == m->cap)
		return 0;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].val)
			place(slots, cap, &m->slots[i]);
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int np__hashmap_add(struct np_hashmap *m, uint64_t hash, void *val,
		    size_t min_cap)
{
	struct np_hashmap_slot s = { .hash = hash, .val = val };

	if (np__hashmap_reserve(m, m->n + 1, min_cap))
		return -ENOMEM;
	place(m->slots, m->cap, &s);
	m->n++;
	return 0;
}

void np__hashmap_remove_at(struct np_hashmap *m, size_t i)
{
	size_t mask = m->cap - 1, j = i, k;

	m->slots[i].val = NULL;
	m->n--;
	for (;;) {
		j = (j + 1) & mask;
		if (!m->slots[j].val)
			return;
		k = m->slots[j].hash & mask;
		/* j stays unless its home k lies cyclically outside (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		m->slots[i] = m->slots[j];
		m->slots[j].val = NULL;
		i = j;
	}
}

void np__hashmap_release_each(struct np_hashmap *m, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->slots[i].val)
			free_val(m->slots[i].val);
	np__hashmap_release(m);
}

void np__hashmap_release(struct np_hashmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
	m->n = 0;
}
