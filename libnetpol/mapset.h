/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Encoded map contents of one rule set (DESIGN §4): what the datapath
 * writes under a rule-set id. Built by encode.c, consumed by datapath.c.
 */
#ifndef NP_MAPSET_H
#define NP_MAPSET_H

#include "../bpf/netpol_abi.h"
#include "objects.h"

struct np_map_entry {
	struct np_cidr cidr; /* masked; family 4 or 6 */
	uint32_t portset; /* index into np_mapset.portsets */
};

struct np_mapset {
	/* [family: 0 = IPv4, 1 = IPv6][enum np_dir], sorted by address, len */
	struct np_map_entry *ent[2][2];
	size_t nent[2][2];
	bool isolated[2]; /* by enum np_dir */
	struct np_portset *portsets; /* distinct sets, deterministic order */
	size_t nportsets;
	uint64_t hash; /* content hash: equal sets share ids */
};

#endif /* NP_MAPSET_H */
