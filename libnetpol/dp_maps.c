/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Map helpers: a map's keys, and the rule keys of the rule sets. Userspace
 * keeps every rule key in the LPM trie's form; host keys (/32, /128) live
 * in the exact-match hashes, prefix keys in the trie or, for a rule set
 * with few prefix lengths, in the per-length hash (pfx_v4/v6: the same
 * key). Here they are split by map, written and deleted in batches when
 * the kernel can, walked and collected per id.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_internal.h"

/*
 * A map's keys into a malloc'd array of ksz-byte keys. A walk restarts
 * when its previous key is deleted under it (conntrack): duplicates are
 * possible, and the walk is bounded (NP_MAX_WALK).
 */
int np__map_keys(int fd, size_t ksz, void **out, size_t *n)
{
	unsigned char prev[64], *keys = NULL;
	size_t cnt = 0, cap = 0;
	bool first = true;
	int err;

	while (cnt < NP_MAX_WALK) {
		unsigned char *k;

		if (NP_GROW(keys, cap, (cnt + 1) * ksz)) {
			free(keys);
			return -ENOMEM;
		}
		k = keys + cnt * ksz;
		err = bpf_map_get_next_key(fd, first ? NULL : prev, k);
		if (err == -ENOENT)
			break;
		if (err) {
			free(keys);
			return err;
		}
		memcpy(prev, k, ksz);
		first = false;
		cnt++;
	}
	*out = keys;
	*n = cnt;
	return 0;
}

/*
 * Rule keys. Userspace keeps every key in the LPM trie's form (struct
 * np_lpm_key_v4/v6); host keys (/32, /128) live in host_v4/host_v6, whose
 * key is the LPM key without its prefixlen (netpol_abi.h).
 */
static bool key_is_host(int fam, const void *k)
{
	uint32_t pl = ((const struct np_lpm_key_v4 *)k)->prefixlen;

	return pl == NP_RULESET_BITS + (fam ? 128u : 32u);
}

static const void *key_in_map(int fam, const void *k)
{
	return key_is_host(fam, k) ? (const char *)k + 4 : k;
}

/*
 * A key of unknown placement: a host key is in the host hash, a prefix
 * key in the per-length hash or else in the trie.
 */
int np__rule_lookup(const struct np_datapath *dp, int fam, const void *k,
		    struct np_lpm_value *v)
{
	if (key_is_host(fam, k))
		return bpf_map_lookup_elem(dp->map_fd[fam ? M_HOST6 : M_HOST4],
					   key_in_map(fam, k), v);
	if (!bpf_map_lookup_elem(dp->map_fd[fam ? M_PFX6 : M_PFX4], k, v))
		return 0;
	return bpf_map_lookup_elem(dp->map_fd[fam ? M_LPM6 : M_LPM4], k, v);
}

void np__rule_delete(const struct np_datapath *dp, int fam, const void *k)
{
	if (key_is_host(fam, k)) {
		bpf_map_delete_elem(dp->map_fd[fam ? M_HOST6 : M_HOST4],
				    key_in_map(fam, k));
		return;
	}
	bpf_map_delete_elem(dp->map_fd[fam ? M_PFX6 : M_PFX4], k);
	bpf_map_delete_elem(dp->map_fd[fam ? M_LPM6 : M_LPM4], k);
}

/*
 * The value of the key of rule set id that covers addr (family fam: 0 v4,
 * 1 v6), found as the programs find it (bpf/lib/policy.h) under the
 * endpoint flags lpm (NP_EPL_*): the host key, then the per-length hash or
 * the trie. -ENOENT when none covers it.
 */
int np__rule_find(const struct np_datapath *dp, int fam, uint32_t id,
		  uint8_t lpm, const uint8_t *addr, struct np_lpm_value *v)
{
	uint8_t nohost = fam ? NP_EPL_NOHOST_V6 : NP_EPL_NOHOST_V4;
	uint8_t any = fam ? NP_EPL_V6 : NP_EPL_V4;
	uint8_t plh = fam ? NP_EPL_PLH_V6 : NP_EPL_PLH_V4;
	unsigned int bits = fam ? 128 : 32, i, b;
	uint32_t x = id & (NP_RS_PLENS_SIZE - 1);
	struct np_lpm_key_v6 key; /* v4: its first 12 bytes */
	struct np_rs_plens m;

	memset(&key, 0, sizeof(key));
	key.prefixlen = NP_RULESET_BITS + bits;
	key.ruleset = htonl(id);
	memcpy(key.addr, addr, bits / 8);
	if (!(lpm & nohost) &&
	    !bpf_map_lookup_elem(dp->map_fd[fam ? M_HOST6 : M_HOST4],
				 &key.ruleset, v))
		return 0;
	if (!(lpm & any))
		return -ENOENT;
	if (!(lpm & plh))
		return bpf_map_lookup_elem(dp->map_fd[fam ? M_LPM6 : M_LPM4],
					   &key, v) ?
			       -ENOENT :
			       0;
	if (bpf_map_lookup_elem(dp->map_fd[M_PLENS], &x, &m) || m.ruleset != id)
		return -ENOENT;
	for (i = 0; i < m.n[fam] && i < NP_PLH_MAX; i++) {
		const uint32_t *mask = fam ? m.mask6[i] : &m.mask4[i];
		uint32_t w;

		key.prefixlen = NP_RULESET_BITS + m.len[fam][i];
		/* the entry's masks, as the program applies them */
		for (b = 0; b < bits / 32; b++) {
			memcpy(&w, addr + 4 * b, 4);
			w &= mask[b];
			memcpy(key.addr + 4 * b, &w, 4);
		}
		if (!bpf_map_lookup_elem(dp->map_fd[fam ? M_PFX6 : M_PFX4],
					 &key, v))
			return 0;
	}
	return -ENOENT;
}

/*
 * Every rule key of family fam, host keys and the per-length hash's
 * included, in the LPM form.
 */
int np__rule_keys(struct np_datapath *dp, int fam, void **out, size_t *n)
{
	size_t ksz = fam ? sizeof(struct np_lpm_key_v6) :
			   sizeof(struct np_lpm_key_v4);
	unsigned char *lk, *hk, *pk, *all;
	size_t nl, nh, np, i;
	int err;

	err = np__map_keys(dp->map_fd[fam ? M_LPM6 : M_LPM4], ksz, (void **)&lk,
			   &nl);
	if (err)
		return err;
	err = np__map_keys(dp->map_fd[fam ? M_HOST6 : M_HOST4], ksz - 4,
			   (void **)&hk, &nh);
	if (err) {
		free(lk);
		return err;
	}
	err = np__map_keys(dp->map_fd[fam ? M_PFX6 : M_PFX4], ksz, (void **)&pk,
			   &np);
	if (err) {
		free(lk);
		free(hk);
		return err;
	}
	all = realloc(lk, (nl + nh + np + 1) * ksz);
	if (!all) {
		free(lk);
		free(hk);
		free(pk);
		return -ENOMEM;
	}
	for (i = 0; i < nh; i++) {
		unsigned char *k = all + (nl + i) * ksz;
		uint32_t pl = NP_RULESET_BITS + (fam ? 128 : 32);

		memcpy(k, &pl, 4);
		memcpy(k + 4, hk + i * (ksz - 4), ksz - 4);
	}
	if (np)
		memcpy(all + (nl + nh) * ksz, pk, np * ksz);
	free(hk);
	free(pk);
	*out = all;
	*n = nl + nh + np;
	return 0;
}

/* Delete n keys of ksz bytes from fd: one batch when the kernel can. */
static void map_delete_many(int fd, const unsigned char *keys, size_t n,
			    size_t ksz)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, bo);
	uint32_t cnt = n;
	size_t i;

	if (!n)
		return;
	if (bpf_map_delete_batch(fd, keys, &cnt, &bo)) {
		/* stopped at a missing key (a crash mid-apply) or unsupported:
		 * the rest one by one */
		for (i = cnt < n ? cnt : 0; i < n; i++)
			bpf_map_delete_elem(fd, keys + i * ksz);
	}
}

/*
 * Family fam's rule keys (LPM form) split by the map they live in: [0] the
 * host keys, in the hash's form (no prefixlen), [1] the prefix keys (the
 * per-length hash when plh, else the trie); with their values when vals is
 * given.
 */
struct rules_split {
	unsigned char *k[2];
	struct np_lpm_value *v[2];
	size_t n[2];
	size_t ksz[2];
	int fd[2];
};

static void rules_split_free(struct rules_split *s)
{
	int m;

	for (m = 0; m < 2; m++) {
		free(s->k[m]);
		free(s->v[m]);
		s->k[m] = NULL;
		s->v[m] = NULL;
	}
}

static int rules_split(const struct np_datapath *dp, int fam, const void *keys,
		       const struct np_lpm_value *vals, size_t n, bool plh,
		       struct rules_split *s)
{
	size_t ksz = fam ? sizeof(struct np_lpm_key_v6) :
			   sizeof(struct np_lpm_key_v4);
	size_t i;
	int m;

	memset(s, 0, sizeof(*s));
	s->ksz[0] = ksz - 4;
	s->ksz[1] = ksz;
	s->fd[0] = dp->map_fd[fam ? M_HOST6 : M_HOST4];
	s->fd[1] = plh ? dp->map_fd[fam ? M_PFX6 : M_PFX4] :
			 dp->map_fd[fam ? M_LPM6 : M_LPM4];
	for (m = 0; m < 2; m++) {
		s->k[m] = malloc(n * ksz + 1);
		s->v[m] = vals ? malloc((n + 1) * sizeof(*vals)) : NULL;
		if (!s->k[m] || (vals && !s->v[m])) {
			rules_split_free(s);
			return -ENOMEM;
		}
	}
	for (i = 0; i < n; i++) {
		const unsigned char *k = (const unsigned char *)keys + i * ksz;

		m = key_is_host(fam, k) ? 0 : 1;
		memcpy(s->k[m] + s->n[m] * s->ksz[m], k + ksz - s->ksz[m],
		       s->ksz[m]);
		if (vals)
			s->v[m][s->n[m]] = vals[i];
		s->n[m]++;
	}
	return 0;
}

/*
 * Family fam's keys (LPM form) out of their maps (prefix keys: the
 * per-length hash when plh, else the trie), in batches.
 */
void np__rules_delete(struct np_datapath *dp, int fam, const void *keys,
		      size_t n, bool plh)
{
	size_t ksz = fam ? sizeof(struct np_lpm_key_v6) :
			   sizeof(struct np_lpm_key_v4);
	struct rules_split s;
	size_t i;
	int m;

	if (rules_split(dp, fam, keys, NULL, n, plh, &s)) {
		for (i = 0; i < n; i++)
			np__rule_delete(dp, fam,
					(const unsigned char *)keys + i * ksz);
		return;
	}
	for (m = 0; m < 2; m++)
		map_delete_many(s.fd[m], s.k[m], s.n[m], s.ksz[m]);
	rules_split_free(&s);
}

/* Write keys[0..n) with values; batch when the kernel can. */
static int map_write(struct np_datapath *dp, int fd, const void *keys,
		     const struct np_lpm_value *vals, size_t n, size_t ksz)
{
	/* generic batch updates take no BPF_NOEXIST; the id is fresh */
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = 0);
	size_t i;
	int err;

	if (!n)
		return 0;
	if (dp->lpm_batch != 0) {
		uint32_t cnt = n;

		err = bpf_map_update_batch(fd, keys, vals, &cnt, &bo);
		if (!err) {
			dp->lpm_batch = 1;
			return 0;
		}
		if (err != -EINVAL && err != -ENOTSUP && err != -EOPNOTSUPP &&
		    err != -524 /* ENOTSUPP */)
			return err;
		if (dp->lpm_batch == 1 && err == -EINVAL)
			return err;
		dp->lpm_batch = 0;
		LOG(dp, NP_LOG_INFO, "batch map update: %s; one by one",
		    strerror(-err));
	}
	for (i = 0; i < n; i++) {
		err = bpf_map_update_elem(fd, (const char *)keys + i * ksz,
					  &vals[i], BPF_NOEXIST);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Write family fam's rule keys (LPM form) with their values: host keys
 * into the exact-match hash, shorter prefixes into the per-length hash
 * (plh; their addresses are masked to their lengths) or else the trie.
 */
int np__rules_write(struct np_datapath *dp, int fam, const void *keys,
		    const struct np_lpm_value *vals, size_t n, bool plh)
{
	struct rules_split s;
	int m, err;

	if (!n)
		return 0;
	err = rules_split(dp, fam, keys, vals, n, plh, &s);
	for (m = 0; m < 2 && !err; m++)
		err = map_write(dp, s.fd[m], s.k[m], s.v[m], s.n[m], s.ksz[m]);
	rules_split_free(&s);
	return err;
}

static int live_cmp(const void *a, const void *b)
{
	const struct live_ent *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);

	return c ? c : (int)x->len - (int)y->len;
}

/*
 * The live entries of rule set id in family fam, sorted; the pieces of a
 * key written at a longer length joined into that key.
 */
int np__rules_collect(struct np_datapath *dp, int fam, uint32_t id,
		      struct live_ent **out, size_t *n)
{
	size_t ksz = fam ? sizeof(struct np_lpm_key_v6) :
			   sizeof(struct np_lpm_key_v4);
	struct live_ent *v = NULL;
	unsigned char *keys;
	size_t nk, i, cnt = 0, cap = 0;
	int err;

	*out = NULL;
	*n = 0;
	err = np__rule_keys(dp, fam, (void **)&keys, &nk);
	if (err)
		return err;
	for (i = 0; i < nk; i++) {
		const unsigned char *k = keys + i * ksz;
		const struct np_lpm_key_v4 *k4 = (const void *)k;
		struct np_lpm_value val;
		struct np_portset raw;
		struct live_ent *e;

		if (ntohl(k4->ruleset) != id ||
		    np__rule_lookup(dp, fam, k, &val))
			continue;
		if (NP_GROW(v, cap, cnt + 1)) {
			free(keys);
			free(v);
			return -ENOMEM;
		}
		e = &v[cnt++];
		memset(e, 0, sizeof(*e));
		memcpy(e->addr, k + 8, fam ? 16 : 4);
		e->len = (uint8_t)(k4->prefixlen - NP_RULESET_BITS);
		e->tag = (uint8_t)(val.portset >> NP_LPM_PLEN_SHIFT);
		e->psidx = val.portset & NP_LPM_PS_MASK;
		e->ctr = val.ctr;
		if (cnt > 1 && e->psidx == v[cnt - 2].psidx) {
			e->set = v[cnt - 2].set; /* keys share few sets */
			continue;
		}
		memset(&raw, 0, sizeof(raw));
		if (e->psidx >= NP_MAX_PORTSETS ||
		    bpf_map_lookup_elem(dp->map_fd[M_PORTSETS], &e->psidx,
					&raw))
			memset(&raw, 0, sizeof(raw));
		np__portset_normalize(&e->set, &raw);
	}
	free(keys);
	/*
	 * A walk that restarts (a key deleted under it) repeats keys: sort,
	 * then keep the first of each run of equal keys. O(n log n); the
	 * linear search per key it replaces took a minute at 65,536 keys.
	 */
	qsort(v, cnt, sizeof(*v), live_cmp);
	for (i = 0, nk = 0; i < cnt; i++)
		if (!nk || live_cmp(&v[nk - 1], &v[i]))
			v[nk++] = v[i];
	/*
	 * The pieces of a key written at a longer length (np__mapset_kkeys())
	 * are that key again: its length is the one its value carries. Pieces
	 * of one key agree on their value; ones that do not stay apart.
	 */
	cnt = nk;
	for (i = 0; i < cnt; i++) {
		unsigned int b;

		v[i].pieces = 1;
		if (v[i].tag >= v[i].len)
			continue;
		for (b = v[i].tag; b < 128; b++)
			v[i].addr[b / 8] &= (uint8_t) ~(0x80 >> b % 8);
		v[i].len = v[i].tag;
	}
	qsort(v, cnt, sizeof(*v), live_cmp);
	for (i = 0, nk = 0; i < cnt; i++) {
		struct live_ent *p = nk ? &v[nk - 1] : NULL;

		if (p && !live_cmp(p, &v[i]) && p->tag == v[i].tag &&
		    p->psidx == v[i].psidx && p->ctr == v[i].ctr) {
			p->pieces++;
			continue;
		}
		v[nk++] = v[i];
	}
	*out = v;
	*n = nk;
	return 0;
}

uint64_t np__stat_sum(struct np_datapath *dp, uint32_t k)
{
	uint64_t *pc = calloc(dp->ncpus, sizeof(*pc)), sum = 0;
	int i;

	if (pc && !bpf_map_lookup_elem(dp->map_fd[M_STATS], &k, pc))
		for (i = 0; i < dp->ncpus; i++)
			sum += pc[i];
	free(pc);
	return sum;
}

/*
 * Userspace's counters (NP_STAT_CT_DELETED) live on CPU 0's copy; the
 * programs never write them, and writers hold the datapath lock.
 */
void np__stat_add(struct np_datapath *dp, uint32_t k, uint64_t n)
{
	uint64_t *pc;

	if (!n)
		return;
	pc = calloc(dp->ncpus, sizeof(*pc));
	if (!pc)
		return;
	if (!bpf_map_lookup_elem(dp->map_fd[M_STATS], &k, pc)) {
		pc[0] += n;
		bpf_map_update_elem(dp->map_fd[M_STATS], &k, pc, BPF_ANY);
	}
	free(pc);
}

/*
 * Delete the per-key counters of rule set id (nkeys keys, numbered 1..):
 * key by key when it has few, else by a walk of the entries (only keys
 * that counted a packet have one).
 */
void np__rule_ctrs_delete(struct np_datapath *dp, uint32_t id, size_t nkeys)
{
	int fd = dp->map_fd[M_RCTRS];
	struct np_rule_ctr_key k, *keys;
	size_t n, i;

	if (fd < 0 || bpf_map_get_next_key(fd, NULL, &k))
		return; /* none at all */
	if (nkeys <= 256) {
		for (i = 1; i <= nkeys; i++) {
			k.ruleset = id;
			k.key = (uint32_t)i;
			bpf_map_delete_elem(fd, &k);
		}
		return;
	}
	if (np__map_keys(fd, sizeof(k), (void **)&keys, &n))
		return;
	for (i = 0; i < n; i++)
		if (keys[i].ruleset == id)
			bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
}

/* The counters of key number key of rule set id, summed over CPUs. */
int np__rule_ctrs_read(struct np_datapath *dp, uint32_t id, uint32_t key,
		       struct np_counters *sum)
{
	struct np_rule_ctr_key k = { .ruleset = id, .key = key };
	struct np_counters *pc;
	int i, err;

	memset(sum, 0, sizeof(*sum));
	if (!key)
		return -ENOENT;
	pc = calloc(dp->ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	err = bpf_map_lookup_elem(dp->map_fd[M_RCTRS], &k, pc);
	for (i = 0; !err && i < dp->ncpus; i++) {
		sum->allow_pkts += pc[i].allow_pkts;
		sum->allow_bytes += pc[i].allow_bytes;
		sum->deny_pkts += pc[i].deny_pkts;
		sum->deny_bytes += pc[i].deny_bytes;
	}
	free(pc);
	return err;
}

/*
 * The bounds of the programming latency histogram, in seconds: fine ones
 * for what one apply takes here (milliseconds), then the EKS agent's
 * (0.25, 0.5, every second to 59, every 5 to 115, every 30 to 300), so
 * that dashboards made for awsnodeagent_*_programming_latency_seconds
 * keep their buckets.
 */
size_t np__lat_bounds(double *b, size_t cap)
{
	static const double fine[] = { 0.001, 0.0025, 0.005, 0.01, 0.025,
				       0.05,  0.1,    0.25,  0.5 };
	size_t n = 0, i;
	int s;

	for (i = 0; i < sizeof(fine) / sizeof(fine[0]) && n < cap; i++)
		b[n++] = fine[i];
	for (s = 1; s < 60 && n < cap; s++)
		b[n++] = s;
	for (s = 60; s < 120 && n < cap; s += 5)
		b[n++] = s;
	for (s = 120; s <= 300 && n < cap; s += 30)
		b[n++] = s;
	return n;
}

/* One programming latency observation of ns nanoseconds (lock held). */
void np__lat_observe(struct np_datapath *dp, uint64_t ns)
{
	double b[NP_STATS_N], sec = (double)ns / 1e9;
	size_t n = np__lat_bounds(b, NP_STATS_N - NP_STAT_LAT_BUCKET), i;

	for (i = 0; i < n && sec > b[i]; i++)
		;
	if (i < n)
		np__stat_add(dp, NP_STAT_LAT_BUCKET + (uint32_t)i, 1);
	np__stat_add(dp, NP_STAT_LAT_SUM_NS, ns ? ns : 1);
	np__stat_add(dp, NP_STAT_LAT_COUNT, 1);
}

/* The pods map: the ifindexes of attached pods. */
int np__pods_list(struct np_datapath *dp, uint32_t **ifx, size_t *n)
{
	return np__map_keys(dp->map_fd[M_PODS], 4, (void **)ifx, n);
}
