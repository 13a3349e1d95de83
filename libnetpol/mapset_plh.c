// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A map set's prefix keys as the datapath writes them (mapset.h): the
 * lengths of the per-length hash, adjacent ones merged where that is
 * cheap, and the keys cut in pieces of the longer length.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mapset.h"

/*
 * The per-length hash (DESIGN §4): the program probes one hash per prefix
 * length of a rule set, longest first, so every length costs a probe on
 * the way to the key that decides, and to a miss. Cluster tiers nest
 * prefixes (an Admin Deny /25 inside a NetworkPolicy's /24) and rule sets
 * easily have more lengths than NP_PLH_MAX, which sends them to the trie.
 * So adjacent lengths are merged where that is cheap: a key of length l
 * whose group writes at t > l is written as its 2^(t-l) pieces at t, each
 * carrying the key's own value (port set, counter number and l, which the
 * read-back, events and explain report), less the pieces a longer key of
 * the group holds, which win there as they did before. Probing the groups
 * longest first still finds the longest key that covers an address: a
 * group's pieces cover exactly what its keys cover, and each piece holds
 * the longest of them.
 *
 * The plan takes the fewest groups whose pieces stay within the budget:
 * PLH_EXTRA_MIN more keys than the entries, or an eighth more when that
 * is larger (the per-length hash is the node's, 262,144 keys). A plan
 * that would leave a key no piece (a longer key of its group covers all
 * of it) is not taken: the read-back could not show that key. Without a
 * plan of at most NP_PLH_MAX groups the keys stay as they are, in the
 * trie.
 */
#define PLH_EXTRA_MIN 32
#define PLH_MAX_SHIFT 24 /* no key is cut in more pieces than 2^24 */

/*
 * tgt[l]: the length keys of prefix length l are written at (l when not
 * merged), for family fam of direction d; merge false: the identity.
 * Returns the number of distinct lengths written, 0 when there are none
 * or more than NP_PLH_MAX (the trie: tgt is the identity).
 */
static unsigned int plh_plan(const struct np_mapset *ms, int d, int fam,
			     bool merge, uint8_t tgt[129])
{
	unsigned int host = fam ? 128 : 32, k = 0, l, g, best_g = 0;
	size_t cnt[129] = { 0 }, nprefix = 0, budget, i, j, m;
	/* cost[j][g]: fewest pieces for ls[0..j] in g groups, the last ending
	 * at j; from[j][g]: where that last group starts */
	size_t cost[128][NP_PLH_MAX + 1];
	uint8_t from[128][NP_PLH_MAX + 1], ls[128];

	for (l = 0; l <= 128; l++)
		tgt[l] = (uint8_t)l;
	for (i = 0; i < ms->nent[fam][d]; i++) {
		l = ms->ent[fam][d][i].cidr.len;
		if (l < host) {
			cnt[l]++;
			nprefix++;
		}
	}
	for (l = 0; l < host; l++)
		if (cnt[l])
			ls[k++] = (uint8_t)l;
	if (k <= 1)
		return k;
	budget = nprefix +
		 (nprefix / 8 > PLH_EXTRA_MIN ? nprefix / 8 : PLH_EXTRA_MIN);
	if (!merge)
		return k <= NP_PLH_MAX ? k : 0;
	for (j = 0; j < k; j++) {
		size_t c = 0;

		for (g = 0; g <= NP_PLH_MAX; g++) {
			cost[j][g] = SIZE_MAX;
			from[j][g] = 0;
		}
		/* the last group ls[i..j], written at ls[j]: widen it down */
		for (i = j + 1; i-- > 0;) {
			unsigned int sh = ls[j] - ls[i];

			if (sh > PLH_MAX_SHIFT)
				break;
			c += cnt[ls[i]] << sh;
			if (c > budget)
				break;
			for (g = 1; g <= NP_PLH_MAX; g++) {
				size_t p = i	  ? cost[i - 1][g - 1] :
					   g == 1 ? 0 :
						    SIZE_MAX;

				if (p == SIZE_MAX || p + c > budget ||
				    p + c >= cost[j][g])
					continue;
				cost[j][g] = p + c;
				from[j][g] = (uint8_t)i;
			}
		}
	}
	for (g = 1; g <= NP_PLH_MAX && !best_g; g++)
		if (cost[k - 1][g] != SIZE_MAX)
			best_g = g;
	if (!best_g)
		return 0; /* the trie */
	for (j = k, g = best_g; g > 0; g--) {
		size_t start = from[j - 1][g];

		for (m = start; m < j; m++)
			tgt[ls[m]] = ls[j - 1];
		j = start;
	}
	return best_g;
}

struct piece {
	uint8_t addr[16];
	uint8_t len; /* the length it is written at */
	uint8_t from; /* its key's length: the longer wins */
	uint32_t ent;
};

static int piece_cmp(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);

	if (c)
		return c;
	if (x->len != y->len)
		return (int)x->len - (int)y->len;
	if (x->from != y->from)
		return (int)y->from - (int)x->from;
	return x->ent < y->ent ? -1 : x->ent > y->ent;
}

/*
 * Family fam of direction d as written: with tgt the identity, one key per
 * entry; else every entry's pieces (out NULL: not asked for); lens[] the
 * lengths written, longest first. Returns their number as plh_plan()
 * does, or -ENOMEM.
 */
static int plh_layout(const struct np_mapset *ms, int d, int fam,
		      struct np_kkey **out, size_t *nout,
		      uint8_t lens[NP_PLH_MAX])
{
	const struct np_map_entry *ent = ms->ent[fam][d];
	size_t n = ms->nent[fam][d], np = 0, i, w;
	unsigned int host = fam ? 128 : 32;
	uint8_t tgt[129], seen[129] = { 0 }, *kept = NULL;
	struct piece *p = NULL;
	struct np_kkey *k;
	bool merged = false;
	int ng;

	ng = (int)plh_plan(ms, d, fam, true, tgt);
	for (i = 0; i < n && !merged; i++)
		merged = tgt[ent[i].cidr.len] != ent[i].cidr.len;
	if (merged) {
		for (i = 0; i < n; i++)
			np += (size_t)1
			      << (tgt[ent[i].cidr.len] - ent[i].cidr.len);
		p = malloc(np * sizeof(*p));
		kept = calloc(n + 1, 1);
		if (!p || !kept) {
			free(p);
			free(kept);
			return -ENOMEM;
		}
		for (np = 0, i = 0; i < n; i++) {
			unsigned int l = ent[i].cidr.len, t = tgt[l], b;
			size_t x, cnt = (size_t)1 << (t - l);

			for (x = 0; x < cnt; x++) {
				struct piece *q = &p[np++];

				memset(q, 0, sizeof(*q));
				memcpy(q->addr, ent[i].cidr.addr, host / 8);
				/* bits l .. t-1: x, most significant first */
				for (b = l; b < t; b++)
					if (x >> (t - 1 - b) & 1)
						q->addr[b / 8] |=
							(uint8_t)(0x80 >>
								  b % 8);
				q->len = (uint8_t)t;
				q->from = (uint8_t)l;
				q->ent = (uint32_t)i;
			}
		}
		qsort(p, np, sizeof(*p), piece_cmp);
		/* one key per address and length: the longest key's piece */
		for (w = 0, i = 0; i < np; i++) {
			if (w && p[w - 1].len == p[i].len &&
			    !memcmp(p[w - 1].addr, p[i].addr, 16))
				continue;
			p[w++] = p[i];
			kept[p[i].ent] = 1;
		}
		np = w;
		for (i = 0; i < n && merged; i++)
			merged = kept[i];
		free(kept);
		if (!merged) {
			/* a key a longer one hides: keep the keys as they are */
			free(p);
			p = NULL;
			ng = (int)plh_plan(ms, d, fam, false, tgt);
		}
	}
	memset(lens, 0, NP_PLH_MAX);
	if (ng > 0) {
		unsigned int l, m = 0;

		for (i = 0; i < n; i++)
			seen[ent[i].cidr.len] = 1;
		for (l = host; l-- > 0;)
			if (seen[l] && (!m || lens[m - 1] != tgt[l]) &&
			    m < NP_PLH_MAX)
				lens[m++] = tgt[l];
	}
	if (!out) {
		free(p);
		return ng;
	}
	k = malloc((p ? np : n) * sizeof(*k) + 1);
	if (!k) {
		free(p);
		return -ENOMEM;
	}
	if (p) {
		for (i = 0; i < np; i++) {
			memcpy(k[i].addr, p[i].addr, 16);
			k[i].len = p[i].len;
			k[i].ent = p[i].ent;
		}
	} else {
		np = n;
		for (i = 0; i < n; i++) {
			memset(k[i].addr, 0, 16);
			memcpy(k[i].addr, ent[i].cidr.addr, host / 8);
			k[i].len = ent[i].cidr.len;
			k[i].ent = (uint32_t)i;
		}
	}
	free(p);
	*out = k;
	*nout = np;
	return ng;
}

int np__mapset_kkeys(const struct np_mapset *ms, int d, int fam,
		     struct np_kkey **out, size_t *n)
{
	uint8_t lens[NP_PLH_MAX];
	int err;

	*out = NULL;
	*n = 0;
	err = plh_layout(ms, d, fam, out, n, lens);
	return err < 0 ? err : 0;
}

int np__mapset_layout(const struct np_mapset *ms, int d, struct np_rs_plens *m,
		      struct np_kkey *kk[2], size_t nk[2])
{
	int fam, ng;

	memset(m->len, 0, sizeof(m->len));
	memset(m->mask4, 0, sizeof(m->mask4));
	memset(m->mask6, 0, sizeof(m->mask6));
	for (fam = 0; fam < 2; fam++) {
		ng = plh_layout(ms, d, fam, kk ? &kk[fam] : NULL,
				kk ? &nk[fam] : NULL, m->len[fam]);
		if (ng < 0) {
			if (kk && fam) {
				free(kk[0]);
				kk[0] = NULL;
			}
			return ng;
		}
		m->n[fam] = (uint8_t)ng;
	}
	/* each length's mask, as the program applies it */
	for (fam = 0; fam < 2; fam++) {
		unsigned int i, w;

		for (i = 0; i < m->n[fam]; i++)
			for (w = 0; w < (fam ? 4u : 1u); w++) {
				unsigned int l = m->len[fam][i], b = 32 * w;
				uint32_t k = l >= b + 32 ? 0xffffffffu :
					     l <= b	 ? 0 :
							   0xffffffffu
							      << (b + 32 - l);

				if (fam)
					m->mask6[i][w] = htonl(k);
				else
					m->mask4[i] = htonl(k);
			}
	}
	return 0;
}

int np__mapset_plens(const struct np_mapset *ms, int d, struct np_rs_plens *m)
{
	return np__mapset_layout(ms, d, m, NULL, NULL);
}
