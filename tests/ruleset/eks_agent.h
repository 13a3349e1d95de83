/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A reference of the EKS agent's per-flow decision over its maps, written
 * from the design note (/work/notes/i15-design.md 3.3), not from our
 * encoder: the cp map's LPM answer, every slot scanned, the least
 * (priority / 10, action) among matching ones; rank <= 1000 with Deny or
 * Accept decides (ADMIN); else the NP map (no key: Pass unless the pod is
 * POLICIES_APPLIED, then Deny; the deny marker: Deny; a matching slot:
 * Allow; else Deny); on Pass the Baseline candidate (rank > 1000), else
 * the default (DEFAULT_ALLOW: allow). The node address is always allowed
 * (the agent seeds it).
 */
#ifndef TEST_EKS_AGENT_H
#define TEST_EKS_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <netpol.h>

struct agent_maps {
	struct np_mapset_lpm_data np, cp;
	bool applied; /* NP pod state POLICIES_APPLIED */
};

/* The index of the longest key holding addr (alen bytes), or -1. */
static inline long agent_lpm(const struct np_mapset_lpm_data *d,
			     const uint8_t *addr, size_t alen)
{
	long best = -1;
	uint32_t bestlen = 0;
	size_t i;

	for (i = 0; i < d->count; i++) {
		const uint8_t *k = (const uint8_t *)d->keys + i * d->key_size;
		uint32_t plen, b;

		memcpy(&plen, k, 4);
		for (b = 0; b < plen; b++) {
			uint8_t m = (uint8_t)(0x80 >> (b % 8));

			if ((k[4 + b / 8] & m) != (addr[b / 8] & m))
				break;
		}
		if (b == plen && (best < 0 || plen >= bestlen)) {
			best = (long)i;
			bestlen = plen;
		}
	}
	return best;
}

static inline bool agent_port_match(uint32_t sproto, uint32_t start,
				    uint32_t end, uint8_t proto, uint16_t port)
{
	if (sproto != 254 && sproto != proto)
		return false;
	if (!start)
		return true;
	if (!end)
		return port == start;
	return port >= start && port <= end;
}

/* allowed? ip: alen bytes of the peer; node: the node address or NULL */
static inline bool agent_decide(const struct agent_maps *m, const uint8_t *ip,
				size_t alen, const uint8_t *node, uint8_t proto,
				uint16_t port)
{
	uint32_t arank = UINT32_MAX, aact = 0, brank = UINT32_MAX, bact = 0;
	long i;
	int s;

	if (node && !memcmp(node, ip, alen))
		return true;
	i = agent_lpm(&m->cp, ip, alen);
	if (i >= 0) {
		const uint32_t *v =
			(const uint32_t *)((const uint8_t *)m->cp.values +
					   (size_t)i * m->cp.value_size);

		for (s = 0; s < 24; s++) {
			const uint32_t *sl = v + 4 * s;
			uint32_t rank = sl[1] / 10, act = sl[1] % 10;

			if (!agent_port_match(sl[0], sl[2], sl[3], proto, port))
				continue;
			if (rank <= 1000) {
				if (rank < arank ||
				    (rank == arank && act < aact)) {
					arank = rank;
					aact = act;
				}
			} else if (rank < brank ||
				   (rank == brank && act < bact)) {
				brank = rank;
				bact = act;
			}
		}
	}
	if (arank != UINT32_MAX && aact != 2)
		return aact == 1;
	i = agent_lpm(&m->np, ip, alen);
	if (i >= 0) {
		const uint32_t *v =
			(const uint32_t *)((const uint8_t *)m->np.values +
					   (size_t)i * m->np.value_size);

		for (s = 0; s < 24; s++) {
			const uint32_t *sl = v + 3 * s;

			if (sl[0] == 255)
				return false;
			if (agent_port_match(sl[0], sl[1], sl[2], proto, port))
				return true;
		}
		return false;
	}
	if (m->applied)
		return false;
	if (brank != UINT32_MAX && bact != 2)
		return bact == 1;
	return true;
}

#endif /* TEST_EKS_AGENT_H */
