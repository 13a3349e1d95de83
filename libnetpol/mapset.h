/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Encoded map contents of one rule set (DESIGN §4): what the datapath
 * writes under a rule-set id. Built by mapset.c, consumed by datapath.c and
 * the dp_*.c files. Also the pure maths over map sets the datapath needs:
 * port-set normalisation, hashes and text, per-direction digests, equality
 * with a rule set's keys, prefix flags, well-formedness.
 */
#ifndef NP_MAPSET_H
#define NP_MAPSET_H

#include "../bpf/netpol_abi.h"
#include "objects.h"
#include "ruleset_internal.h"

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
	bool tiered; /* cluster tiers folded in: NP_LAYOUT_EKS_CP has it */
};

struct np_strbuf;

/*
 * A port set as the datapath stores it: count clamped to NP_MAX_SLOTS, the
 * slots past it and every other byte zero, so equal sets compare (and
 * hash) equal byte for byte.
 */
void np__portset_normalize(struct np_portset *out, const struct np_portset *in);
/* The hash of a normalized port set (its global slot's dedup key). */
uint64_t np__portset_hash(const struct np_portset *set);

/*
 * A port set as text, appended to sb in the given style (ruleset_internal.h:
 * the one port-set text, shared with the compiler's output).
 */
void np__portset_text(struct np_strbuf *sb, const struct np_portset *ps,
		      enum np_pset_style style);

/*
 * 0 if ms is well-formed for the datapath, else -EINVAL: port-set indexes
 * in range, at most NP_MAX_SLOTS slots, sorted and disjoint (the program
 * searches them binarily), entries of the right family and length, no
 * address bit set past the length (the per-length hash matches them whole).
 */
int np__mapset_check(const struct np_mapset *ms);

/*
 * The content digest of direction d (enum np_dir) of ms: its entries and
 * their port sets, normalized. Equal content gives equal digests whatever
 * the port sets' indexes; it is what the rule-set table records.
 */
uint64_t np__mapset_digest(const struct np_mapset *ms, int d);

/*
 * NP_EPL_* of direction d of ms: the families with prefix (non-host) keys
 * and those without host keys. Where the prefix keys go (NP_EPL_PLH_*) is
 * the rule set's: np__mapset_plens().
 */
uint8_t np__mapset_lpm_flags(const struct np_mapset *ms, int d);

/*
 * The prefix (non-host) lengths the datapath writes direction d of ms at,
 * per family, longest first, into m->n, m->len and their masks (m->ruleset
 * untouched). Adjacent lengths are merged where their keys can be cut in
 * pieces of the longer one cheaply (mapset.c, the per-length hash); a
 * family with more than NP_PLH_MAX lengths after that gets n = 0 (it keeps
 * the trie). -ENOMEM, else 0.
 */
int np__mapset_plens(const struct np_mapset *ms, int d, struct np_rs_plens *m);

/*
 * One key as the datapath writes it: entry ent of ms->ent[fam][d], or one
 * piece of it when its length was merged into a longer one (len > the
 * entry's; the value written carries the entry's length, port set and
 * counter number).
 */
struct np_kkey {
	uint8_t addr[16];
	uint8_t len;
	uint32_t ent;
};

/*
 * Family fam of direction d of ms as the datapath writes it, sorted by
 * address then length, into *out (n keys; free()). 0 or -ENOMEM.
 */
int np__mapset_kkeys(const struct np_mapset *ms, int d, int fam,
		     struct np_kkey **out, size_t *n);

/*
 * Both at once, each family's keys planned and cut once: np__mapset_plens()
 * into m and, when kk is not NULL, np__mapset_kkeys() of IPv4 into kk[0],
 * nk[0] and of IPv6 into kk[1], nk[1] (nothing to free on error).
 */
int np__mapset_layout(const struct np_mapset *ms, int d, struct np_rs_plens *m,
		      struct np_kkey *kk[2], size_t nk[2]);

/*
 * One direction's keys as a rule set holds them: LPM form, as written
 * (np__mapset_kkeys() order: address, then length), each with the global index of its port set; set()
 * gives the port set (normalized) at a valid index 1..NP_MAX_PORTSETS-1.
 */
struct np_rule_keys {
	const struct np_lpm_key_v4 *k4;
	const uint32_t *g4;
	size_t n4;
	const struct np_lpm_key_v6 *k6;
	const uint32_t *g6;
	size_t n6;
	const struct np_portset *(*set)(const void *ctx, uint32_t g);
	const void *ctx;
};

/* Do rk hold exactly direction d of ms: equal keys and equal port sets? */
bool np__mapset_dir_equal(const struct np_mapset *ms, int d,
			  const struct np_rule_keys *rk);

#endif /* NP_MAPSET_H */
