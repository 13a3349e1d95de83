/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Enforcing rule sets (np_datapath_apply) and failing pods closed
 * (np_datapath_fail_closed), under the datapath lock of datapath.c.
 *
 * Rule sets (DESIGN §4): each isolated direction's content gets a rule-set
 * id, shared by content (see datapath.c); a new content is written under a
 * fresh id, then the endpoint record is flipped with one update (ep_flip)
 * and its ep_cache words follow. Failing closed is the same flip to
 * NP_EP_FAIL_CLOSED, which the programs drop (but node IPs).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netpol/mapset.h"

#include "dp_internal.h"
#include "ruleset_internal.h"

/* --- apply --------------------------------------------------------------- */

/* Write direction d of ms under a fresh id; *out gets it with one ref. */
static int rs_create(struct np_datapath *dp, const struct np_mapset *ms, int d,
		     uint64_t hash, uint32_t *out, struct np_diag *diag)
{
	struct np_ruleset_value rv = { .hash = hash, .dir = d };
	struct np_lpm_value *v4 = NULL, *v6 = NULL;
	struct np_kkey *kk[2] = { NULL, NULL };
	size_t n4 = 0, n6 = 0, nk[2] = { 0, 0 }, i;
	uint32_t id = np__rs_id_alloc(dp), gidx, *memo = NULL;
	uint32_t x = id & (NP_RS_PLENS_SIZE - 1);
	struct np_rs_plens plens;
	struct rs *r;
	int err;

	if (!id)
		return -E2BIG;
	err = bpf_map_update_elem(dp->map_fd[M_RULESETS], &id, &rv,
				  BPF_NOEXIST);
	if (err) {
		np__dp_diag_set(diag, err, "rule-set table: %s",
				strerror(-err));
		return err == -ENOSPC ? -E2BIG : err;
	}
	r = np__rs_add(dp, id, hash);
	if (!r) {
		bpf_map_delete_elem(dp->map_fd[M_RULESETS], &id);
		return -ENOMEM;
	}
	r->refs = 1;
	/*
	 * few prefix lengths: their keys go to the per-length hash, short
	 * ones maybe as pieces of a longer length (np__mapset_kkeys())
	 */
	err = np__mapset_layout(ms, d, &plens, kk, nk);
	if (err)
		goto fail;
	n4 = nk[0];
	n6 = nk[1];
	r->plh = (plens.n[0] ? NP_EPL_PLH_V4 : 0) |
		 (plens.n[1] ? NP_EPL_PLH_V6 : 0);
	r->k4 = calloc(n4 ? n4 : 1, sizeof(*r->k4));
	r->k6 = calloc(n6 ? n6 : 1, sizeof(*r->k6));
	r->g4 = calloc(n4 ? n4 : 1, sizeof(*r->g4));
	r->g6 = calloc(n6 ? n6 : 1, sizeof(*r->g6));
	v4 = calloc(n4 ? n4 : 1, sizeof(*v4));
	v6 = calloc(n6 ? n6 : 1, sizeof(*v6));
	/* the global slot of each of ms's port sets, once found */
	memo = calloc(ms->nportsets + 1, sizeof(*memo));
	if (!r->k4 || !r->k6 || !r->g4 || !r->g6 || !v4 || !v6 || !memo) {
		err = -ENOMEM;
		goto fail;
	}
	r->cap4 = n4 ? n4 : 1;
	r->cap6 = n6 ? n6 : 1;
	for (i = 0; i < n4 + n6; i++) {
		bool six = i >= n4;
		const struct np_kkey *k = six ? &kk[1][i - n4] : &kk[0][i];
		const struct np_map_entry *e = &ms->ent[six][d][k->ent];
		struct np_lpm_value *v = six ? &v6[i - n4] : &v4[i];

		gidx = memo[e->portset];
		err = gidx ? 0 :
			     np__gps_get(dp, r, &ms->portsets[e->portset],
					 &gidx);
		if (err) {
			np__dp_diag_set(diag, err, "port sets: %s",
					err == -E2BIG ? "table full" :
							strerror(-err));
			goto fail;
		}
		memo[e->portset] = gidx;
		/*
		 * the entry's length, port set and number (1.., IPv4 first:
		 * its counters' key), in each of its pieces
		 */
		v->portset = gidx | (uint32_t)e->cidr.len << NP_LPM_PLEN_SHIFT;
		v->ctr = (uint32_t)((six ? ms->nent[0][d] : 0) + k->ent + 1);
		if (six) {
			struct np_lpm_key_v6 *lk = &r->k6[i - n4];

			lk->prefixlen = NP_RULESET_BITS + k->len;
			lk->ruleset = htonl(id);
			memcpy(lk->addr, k->addr, 16);
			r->g6[i - n4] = gidx;
		} else {
			struct np_lpm_key_v4 *lk = &r->k4[i];

			lk->prefixlen = NP_RULESET_BITS + k->len;
			lk->ruleset = htonl(id);
			memcpy(lk->addr, k->addr, 4);
			r->g4[i] = gidx;
		}
	}
	/* keys are recorded first so that a failure deletes what was sent */
	r->n4 = n4;
	r->n6 = n6;
	err = np__rules_write(dp, 0, r->k4, v4, n4, r->plh & NP_EPL_PLH_V4);
	if (!err)
		err = np__rules_write(dp, 1, r->k6, v6, n6,
				      r->plh & NP_EPL_PLH_V6);
	/* the lengths before any endpoint word names the id */
	if (!err && r->plh) {
		plens.ruleset = id;
		err = bpf_map_update_elem(dp->map_fd[M_PLENS], &x, &plens,
					  BPF_ANY);
	}
	if (err) {
		/* full: -ENOSPC from the trie, -E2BIG from the hash */
		if (err == -ENOSPC)
			err = -E2BIG;
		np__dp_diag_set(
			diag, err, "writing %zu IPv4 and %zu IPv6 keys: %s", n4,
			n6, err == -E2BIG ? "rule maps full" : strerror(-err));
		goto fail;
	}
	free(v4);
	free(v6);
	free(memo);
	free(kk[0]);
	free(kk[1]);
	*out = id;
	return 0;
fail:
	free(v4);
	free(v6);
	free(memo);
	free(kk[0]);
	free(kk[1]);
	/* never published: no packet can see it, delete at once */
	np__rs_destroy(dp, np__rs_by_id(dp, id));
	return err;
}

/*
 * The flip of one pod outside a transaction: one update of the endpoint
 * record with both generations (a packet reads ids and states at once),
 * then its ep_cache words. On error the old record stays.
 */
static int ep_flip(struct np_datapath *dp, uint32_t ifindex,
		   const struct np_ep_rec *old, const struct np_ep_value *nep,
		   const struct np_ep_rec *src)
{
	struct np_ep_rec rec = *old;
	int err;

	np__ep_rec_set(&rec, 0, nep);
	np__ep_rec_set(&rec, 1, nep);
	if (src)
		np__ep_rec_src(&rec, src);
	err = bpf_map_update_elem(dp->map_fd[M_ENDPOINTS], &ifindex, &rec,
				  BPF_EXIST);
	if (!err) {
		err = np__epa_sync(dp, ifindex, &rec, 0xf);
		if (err) /* the cache is stale: put the old record back */
			bpf_map_update_elem(dp->map_fd[M_ENDPOINTS], &ifindex,
					    old, BPF_EXIST);
	}
	return err;
}

/*
 * Change pod ifindex's words from live (what packets see now) to nep:
 * at once outside a transaction, else into the other generation (the
 * staged words of a pod staged before are replaced). The references of
 * nep's rule sets are taken by the caller; this drops live's (at once, or
 * at commit) and a replaced staging's. src: new source addresses or NULL.
 */
static int ep_change(struct np_datapath *dp, uint32_t ifindex,
		     const struct np_ep_rec *rec,
		     const struct np_ep_value *live,
		     const struct np_ep_value *nep, const struct np_ep_rec *src)
{
	struct np_ep_rec r = *rec;
	struct txn_ent *t;
	uint32_t g;
	int err;

	if (!dp->txn) {
		err = ep_flip(dp, ifindex, rec, nep, src);
		if (!err)
			np__words_put(dp, live, 3);
		return err;
	}
	g = np__ep_live(dp) ^ 1;
	np__ep_rec_set(&r, g, nep);
	if (src)
		np__ep_rec_src(&r, src);
	t = np__txn_find(dp, ifindex);
	if (!t) {
		if (NP_GROW(dp->txe, dp->captxe, dp->ntxe + 1))
			return -ENOMEM;
		t = &dp->txe[dp->ntxe];
		t->ifindex = ifindex;
		t->old = *live;
		t->nep = *live;
	}
	err = np__ep_write(dp, ifindex, &r, BPF_EXIST, 3u << (g * 2));
	if (err)
		return err;
	if (t == &dp->txe[dp->ntxe])
		dp->ntxe++;
	else
		np__words_put(dp, &t->nep, 3); /* the staging it replaces */
	t->nep = *nep;
	return 0;
}

/*
 * The source addresses of rs's pod for its record: NULL when it has
 * none (the record keeps what it has).
 */
static const struct np_ep_rec *rs_src(const struct np_ruleset *rs,
				      struct np_ep_rec *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; rs && i < rs->nips; i++) {
		if (rs->ips[i].family == 4 && !(out->src_flags & NP_SRC_V4)) {
			memcpy(&out->ip4, rs->ips[i].addr, 4);
			out->src_flags |= NP_SRC_V4;
		} else if (rs->ips[i].family == 6 &&
			   !(out->src_flags & NP_SRC_V6)) {
			memcpy(out->ip6, rs->ips[i].addr, 16);
			out->src_flags |= NP_SRC_V6;
		}
	}
	return out->src_flags ? out : NULL;
}

static int apply_mapset(struct np_datapath *dp, unsigned int ifindex,
			const struct np_mapset *ms, const struct np_ep_rec *src,
			struct np_diag *diag);

int np__datapath_apply_mapset(struct np_datapath *dp, unsigned int ifindex,
			      const struct np_mapset *ms, struct np_diag *diag)
{
	return apply_mapset(dp, ifindex, ms, NULL, diag);
}

static int apply_mapset(struct np_datapath *dp, unsigned int ifindex,
			const struct np_mapset *ms, const struct np_ep_rec *src,
			struct np_diag *diag)
{
	struct np_ep_value old, nep;
	struct np_ep_rec rec;
	uint32_t got[2] = { 0, 0 };
	int d, err;

	if (!dp || !ifindex || !ms) {
		np__dp_diag_set(diag, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	err = np__mapset_check(ms);
	if (err) {
		np__dp_diag_set(
			diag, -EINVAL,
			"malformed map set: entries, port set indexes "
			"or slots (sorted, disjoint, at most %d) out of order",
			NP_MAX_SLOTS);
		return err;
	}
	err = np__dp_begin(dp);
	if (err) {
		np__dp_diag_set(diag, err, "datapath: %s", strerror(-err));
		return err;
	}
	if (np__ep_read(dp, ifindex, &rec, &old)) {
		np__dp_diag_set(diag, -ENOENT, "ifindex %u is not attached",
				ifindex);
		np__dp_end(dp, false);
		return -ENOENT;
	}
	nep = old;
	for (d = 0; d < 2; d++) {
		uint64_t h;
		size_t i;

		if (!ms->isolated[d]) {
			nep.dir[d].state = NP_EP_UNISOLATED;
			nep.dir[d].ruleset = 0;
			nep.dir[d].lpm = 0;
			continue;
		}
		h = np__dp_digest(ms, d);
		for (i = 0; i < dp->nrs; i++)
			if (dp->rs[i].hash == h &&
			    np__rs_holds(dp, &dp->rs[i], ms, d))
				break;
		if (i < dp->nrs) {
			/* shared, perhaps revived from retirement */
			dp->rs[i].refs++;
			got[d] = dp->rs[i].id;
		} else {
			err = rs_create(dp, ms, d, h, &got[d], diag);
			if (err)
				goto rollback;
		}
		nep.dir[d].state = NP_EP_POLICIES_APPLIED;
		nep.dir[d].ruleset = got[d];
		/* where its prefix keys are is the rule set's: made so */
		nep.dir[d].lpm = (np__mapset_lpm_flags(ms, d) & ~NP_EPL_PLH) |
				 np__rs_by_id(dp, got[d])->plh;
	}
	err = ep_change(dp, ifindex, &rec, &old, &nep, src);
	if (err) {
		np__dp_diag_set(diag, err, "updating the endpoint: %s",
				strerror(-err));
		goto rollback;
	}
	/* visible now (in a transaction: at its commit, which counts) */
	if (!dp->txn && dp->apply_t0)
		np__lat_observe(dp, mono_ns(CLOCK_MONOTONIC) - dp->apply_t0);
	np__reap(dp, false);
	np__dp_end(dp, true);
	return 0;
rollback:
	for (d = 0; d < 2; d++) {
		struct rs *r = got[d] ? np__rs_by_id(dp, got[d]) : NULL;

		if (r && --r->refs == 0) {
			if (r->retired_ns)
				r->retired_ns = mono_ns(CLOCK_MONOTONIC);
			else
				np__rs_destroy(dp, r); /* never published */
		}
	}
	LOG(dp, NP_LOG_ERROR, "ifindex %u: rules not applied: %s", ifindex,
	    diag ? diag->message : strerror(-err));
	if (err == -E2BIG && diag) /* a map is full: what it isolates */
		diag->fail_closed_dirs = (ms->isolated[0] ? 1u : 0) |
					 (ms->isolated[1] ? 2u : 0);
	np__dp_end(dp, true);
	return err;
}

NP_API int np_datapath_fail_closed(struct np_datapath *dp, unsigned int ifindex,
				   unsigned int dirs, struct np_diag *diag)
{
	struct np_ep_value old, nep;
	struct np_ep_rec rec;
	int d, err;

	if (!dp || !ifindex || !dirs || (dirs & ~3u)) {
		np__dp_diag_set(diag, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	err = np__dp_begin(dp);
	if (err) {
		np__dp_diag_set(diag, err, "datapath: %s", strerror(-err));
		return err;
	}
	if (np__ep_read(dp, ifindex, &rec, &old)) {
		np__dp_diag_set(diag, -ENOENT, "ifindex %u is not attached",
				ifindex);
		np__dp_end(dp, false);
		return -ENOENT;
	}
	/* staged in this transaction: fail closed from there */
	nep = old;
	if (dp->txn && np__txn_find(dp, ifindex))
		nep = np__txn_find(dp, ifindex)->nep;
	np__words_hold(dp, &nep, 3u & ~dirs);
	for (d = 0; d < 2; d++)
		if (dirs & (1u << d)) {
			nep.dir[d].state = NP_EP_FAIL_CLOSED;
			nep.dir[d].ruleset = 0;
			nep.dir[d].lpm = 0;
		}
	err = ep_change(dp, ifindex, &rec, &old, &nep, NULL);
	if (err) {
		np__dp_diag_set(diag, err, "updating the endpoint: %s",
				strerror(-err));
		np__words_put(dp, &nep, 3);
		np__dp_end(dp, false);
		return err;
	}
	np__reap(dp, false);
	LOG(dp, NP_LOG_WARN, "ifindex %u: failing closed (%s%s%s)", ifindex,
	    dirs & 1 ? "ingress" : "", dirs == 3 ? ", " : "",
	    dirs & 2 ? "egress" : "");
	np__dp_end(dp, true);
	return 0;
}

NP_API int np_datapath_apply(struct np_datapath *dp, unsigned int ifindex,
			     const struct np_ruleset *rs, struct np_diag *diag)
{
	struct np_mapset *ms;
	int err;

	if (!dp || !ifindex || !rs) {
		np__dp_diag_set(diag, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	dp->apply_t0 = mono_ns(CLOCK_MONOTONIC);
	err = np_mapset_encode(&ms, rs);
	if (err) {
		np__dp_diag_set(diag, err, "encoding the rule set: %s",
				strerror(-err));
		return err;
	}
	{
		struct np_ep_rec srcbuf;

		err = apply_mapset(dp, ifindex, ms, rs_src(rs, &srcbuf), diag);
	}
	dp->apply_t0 = 0;
	np_mapset_free(ms);
	return err;
}

void np__datapath_set_stale_interval(struct np_datapath *dp, uint64_t ns)
{
	if (dp)
		dp->stale_ns = ns;
}

size_t np__datapath_nrulesets(struct np_datapath *dp)
{
	size_t i, n = 0;

	if (!dp || np__dp_begin(dp))
		return 0;
	for (i = 0; i < dp->nrs; i++)
		n++;
	np__dp_end(dp, false);
	return n;
}

size_t np__datapath_ruleset_keys(struct np_datapath *dp, uint32_t id)
{
	struct rs *r;
	size_t n = 0;

	if (!dp || np__dp_begin(dp))
		return 0;
	r = np__rs_by_id(dp, id);
	if (r)
		n = r->n4 + r->n6;
	np__dp_end(dp, false);
	return n;
}

size_t np__datapath_nportsets(struct np_datapath *dp)
{
	size_t i, n = 0;

	if (!dp || np__dp_begin(dp))
		return 0;
	for (i = 1; i < NP_MAX_PORTSETS; i++)
		if (dp->gps[i].refs)
			n++;
	np__dp_end(dp, false);
	return n;
}
