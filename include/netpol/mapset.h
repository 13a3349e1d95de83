/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libnetpol: eBPF map contents of a rule set.
 *
 *   np_mapset_encode()   a rule set's LPM-trie and port-map contents
 *   np_mapset_free()     free it (NULL-safe)
 *   np_mapset_count()    LPM entries of one family and direction
 *   np_mapset_lpm()      those entries as packed key and value bytes, in
 *                        libnetpol's layout or the EKS agent's
 *                        (struct np_mapset_lpm_opts in,
 *                        struct np_mapset_lpm_data out)
 *   np_mapset_portsets() the distinct port sets, as packed bytes
 *   np_mapset_export()   the contents as text (like the EKS dump-maps) or
 *                        JSON
 *   np_mapset_diff()     what changes from one mapset to another
 */
#ifndef NETPOL_MAPSET_H
#define NETPOL_MAPSET_H

#include "ruleset.h"

#ifdef __cplusplus
extern "C" {
#endif

struct np_mapset;

enum np_layout {
	/* key {u32 prefixlen, u32 rule-set id (big-endian), addr},
	 * value {u32 port-set index} */
	NP_LAYOUT_NETPOL = 0,
	/* the EKS agent's ingress_map / egress_map: key {u32 prefixlen,
	 * addr}, value 24 x {u32 protocol, u32 start_port, u32 end_port} */
	NP_LAYOUT_EKS,
	/* the EKS agent's cp_ingress_map / cp_egress_map (cluster tiers):
	 * key {u32 prefixlen, addr}, value 24 x {u32 protocol, u32 priority,
	 * u32 start_port, u32 end_port}; no entry for a rule set without
	 * cluster tiers */
	NP_LAYOUT_EKS_CP,
};

struct np_mapset_diff_stats {
	size_t added;
	size_t changed;
	size_t removed;
	uint64_t reserved[4]; /* zeroed; for later fields */
};

struct np_mapset_lpm_opts {
	size_t sz;
	enum np_layout layout; /* NP_LAYOUT_NETPOL by default */
	uint32_t ruleset_id; /* NP_LAYOUT_NETPOL only: the key's id */
};

/* Packed arrays of count keys and count values. */
struct np_mapset_lpm_data {
	void *keys; /* freed with np_free() */
	size_t key_size;
	void *values; /* freed with np_free() */
	size_t value_size;
	size_t count;
	uint64_t reserved[4]; /* zeroed; for later fields */
};

NP_API int np_mapset_encode(struct np_mapset **out,
			    const struct np_ruleset *rs);
NP_API void np_mapset_free(struct np_mapset *ms);
/* family is 4 or 6. */
NP_API size_t np_mapset_count(const struct np_mapset *ms, int family,
			      enum np_direction dir);
/*
 * The LPM entries of one family and direction into *out (every field
 * set); out->keys and out->values are freed with np_free(). opts may be
 * NULL (libnetpol's layout, rule-set id 0). -ENOTSUP when the EKS layouts
 * cannot say the set exactly, -E2BIG past the EKS slots (never a
 * truncation).
 */
NP_API int np_mapset_lpm(const struct np_mapset *ms, int family,
			 enum np_direction dir,
			 const struct np_mapset_lpm_opts *opts,
			 struct np_mapset_lpm_data *out);
NP_API int np_mapset_portsets(const struct np_mapset *ms, void **sets,
			      size_t *set_size, size_t *count);
NP_API int np_mapset_export(const struct np_mapset *ms, enum np_format format,
			    char **out);
/* stats is required; text (optional) lists each difference, one a line. */
NP_API int np_mapset_diff(const struct np_mapset *from,
			  const struct np_mapset *to,
			  struct np_mapset_diff_stats *stats, char **text);

#ifdef __cplusplus
}
#endif

#endif /* NETPOL_MAPSET_H */
