// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Interval sets over (protocol << 16 | port) for the fold of the tiers
 * (tier_fold.h): sorted, disjoint, not adjacent; union, intersection and
 * difference into an arena, and the way to and from a port set.
 */
#include <stdlib.h>

#include "tier_fold.h"

#define AXMAX NP_TIV_MAX

static int iv_cmp(const void *a, const void *b)
{
	const struct np_tiv *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and coalesce in place. */
void np__ivs_norm(struct ivs *s)
{
	size_t i, n = 0;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), iv_cmp);
	for (i = 1; i < s->n; i++) {
		if ((uint64_t)s->v[i].lo <= (uint64_t)s->v[n].hi + 1) {
			if (s->v[i].hi > s->v[n].hi)
				s->v[n].hi = s->v[i].hi;
			continue;
		}
		s->v[++n] = s->v[i];
	}
	s->n = n + 1;
}

int np__ivs_or(struct np_arena *a, const struct ivs *x, const struct ivs *y,
	       struct ivs *out)
{
	struct ivs r;

	r.n = x->n + y->n;
	r.v = np__arena_alloc(a, (r.n + 1) * sizeof(*r.v));
	if (!r.v)
		return -ENOMEM;
	if (x->n)
		memcpy(r.v, x->v, x->n * sizeof(*r.v));
	if (y->n)
		memcpy(r.v + x->n, y->v, y->n * sizeof(*r.v));
	np__ivs_norm(&r);
	*out = r;
	return 0;
}

int np__ivs_and(struct np_arena *a, const struct ivs *x, const struct ivs *y,
		struct ivs *out)
{
	struct ivs r = { 0 };
	size_t i = 0, j = 0;

	r.v = np__arena_alloc(a, (x->n + y->n + 1) * sizeof(*r.v));
	if (!r.v)
		return -ENOMEM;
	while (i < x->n && j < y->n) {
		uint32_t lo = x->v[i].lo > y->v[j].lo ? x->v[i].lo : y->v[j].lo;
		uint32_t hi = x->v[i].hi < y->v[j].hi ? x->v[i].hi : y->v[j].hi;

		if (lo <= hi) {
			r.v[r.n].lo = lo;
			r.v[r.n].hi = hi;
			r.n++;
		}
		if (x->v[i].hi < y->v[j].hi)
			i++;
		else
			j++;
	}
	*out = r;
	return 0;
}

/* x minus y */
int np__ivs_sub(struct np_arena *a, const struct ivs *x, const struct ivs *y,
		struct ivs *out)
{
	struct ivs r = { 0 };
	size_t i, j = 0;

	r.v = np__arena_alloc(a, (x->n + y->n + 1) * sizeof(*r.v));
	if (!r.v)
		return -ENOMEM;
	for (i = 0; i < x->n; i++) {
		uint64_t lo = x->v[i].lo, hi = x->v[i].hi;

		while (j < y->n && y->v[j].hi < lo)
			j++;
		for (size_t k = j; k < y->n && y->v[k].lo <= hi; k++) {
			if (y->v[k].lo > lo) {
				r.v[r.n].lo = (uint32_t)lo;
				r.v[r.n].hi = y->v[k].lo - 1;
				r.n++;
			}
			lo = (uint64_t)y->v[k].hi + 1;
			if (lo > hi)
				break;
		}
		if (lo <= hi) {
			r.v[r.n].lo = (uint32_t)lo;
			r.v[r.n].hi = (uint32_t)hi;
			r.n++;
		}
	}
	*out = r;
	return 0;
}

bool np__ivs_full(const struct ivs *s)
{
	return s->n == 1 && s->v[0].lo == 0 && s->v[0].hi == AXMAX;
}

int np__ivs_from_pset(struct np_arena *a, const struct np_pset *p,
		      struct ivs *out)
{
	size_t i;

	if (p->all) {
		*out = full_ivs;
		return 0;
	}
	out->n = p->n;
	out->v = np__arena_alloc(a, (p->n + 1) * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (i = 0; i < p->n; i++) {
		out->v[i].lo = (uint32_t)p->r[i].proto << 16 | p->r[i].lo;
		out->v[i].hi = (uint32_t)(p->r[i].proto + p->r[i].xproto)
				       << 16 |
			       p->r[i].hi;
	}
	np__ivs_norm(out);
	return 0;
}

/* The per-protocol port set of an interval set, in scratch memory. */
int np__pset_from_ivs(struct np_arena *a, const struct ivs *s,
		      struct np_pset *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (np__ivs_full(s)) {
		out->all = true;
		return 0;
	}
	/* one range per interval, spanning protocols: one slot each */
	for (i = 0; i < s->n; i++) {
		uint32_t p0 = s->v[i].lo >> 16, p1 = s->v[i].hi >> 16;

		if (np__pset_add(a, out, (uint8_t)p0, s->v[i].lo & 0xffff,
				 s->v[i].hi & 0xffff))
			return -ENOMEM;
		out->r[out->n - 1].xproto = (uint8_t)(p1 - p0);
	}
	return 0;
}
