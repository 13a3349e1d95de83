/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Verify: a compiled rule set against what the kernel holds for a pod
 * (endpoint state and flags, the per-length hash's lengths and keys, the
 * live keys and port sets, the rule-set table, the endpoint cache, the
 * hooks), with its drift text. Reads the live maps without the lock, as
 * the inspection of dp_inspect.c does, and uses its hooks and CIDR text.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "netpol/mapset.h"
#include "netpol/ruleset.h"

#include "dp_internal.h"

/* --- verify: a rule set against the live maps --------------------------- */

/* "all", "none" or "TCP 80, UDP 53-54", cut to size. */
static void ps_text(const struct np_portset *s, char *buf, size_t size)
{
	struct np_strbuf sb = { 0 };
	char *txt;

	np__portset_text(&sb, s, NP_PSET_TEXT_LIST);
	if (np__sb_finish(&sb, &txt)) {
		snprintf(buf, size, "%s", "?");
		return;
	}
	snprintf(buf, size, "%s", txt);
	free(txt);
}

static const char *ep_state_name(unsigned int s)
{
	switch (s) {
	case NP_EP_DEFAULT_ALLOW:
		return "default-allow";
	case NP_EP_DEFAULT_DENY:
		return "default-deny";
	case NP_EP_POLICIES_APPLIED:
		return "enforced";
	case NP_EP_UNISOLATED:
		return "unisolated";
	case NP_EP_FAIL_CLOSED:
		return "fail-closed";
	}
	return "unknown";
}

/*
 * Whether the programs find direction d's prefix keys where they are: a
 * family the endpoint word sends to the per-length hash has its rule
 * set's rs_plens entry, listing the lengths ms's prefix keys are written
 * at, and each key as written (np__mapset_kkeys(): maybe in pieces) is
 * in the hash (np__rule_lookup() finds a key in either map).
 */
static int plh_drift(struct np_datapath *dp, const struct np_mapset *ms, int d,
		     const struct np_ep_dir *w, struct np_strbuf *sb,
		     size_t *nd)
{
	uint32_t x = w->ruleset & (NP_RS_PLENS_SIZE - 1);
	struct np_rs_plens want, have;
	struct np_lpm_value v;
	int fam, err;

	err = np__mapset_plens(ms, d, &want);
	if (err)
		return err;
	if (bpf_map_lookup_elem(dp->map_fd[M_PLENS], &x, &have) ||
	    have.ruleset != w->ruleset)
		memset(&have, 0, sizeof(have));
	for (fam = 0; fam < 2; fam++) {
		uint8_t bit = fam ? NP_EPL_PLH_V6 : NP_EPL_PLH_V4;
		size_t i, n, miss = 0;
		struct np_kkey *kk;

		if (!(w->lpm & bit))
			continue;
		if (have.n[fam] != want.n[fam] ||
		    memcmp(have.len[fam], want.len[fam], NP_PLH_MAX) ||
		    (fam ? memcmp(have.mask6, want.mask6, sizeof(want.mask6)) :
			   memcmp(have.mask4, want.mask4,
				  sizeof(want.mask4)))) {
			np__sb_printf(sb,
				      "%s: IPv%d prefix lengths of rule set "
				      "%u not as its keys need\n",
				      np_direction_name(d), fam ? 6 : 4,
				      w->ruleset);
			(*nd)++;
			continue;
		}
		err = np__mapset_kkeys(ms, d, fam, &kk, &n);
		if (err)
			return err;
		for (i = 0; i < n; i++) {
			struct np_lpm_key_v6 k = { 0 };

			if (kk[i].len >= (fam ? 128 : 32))
				continue;
			k.prefixlen = NP_RULESET_BITS + kk[i].len;
			k.ruleset = htonl(w->ruleset);
			memcpy(k.addr, kk[i].addr, fam ? 16 : 4);
			if (bpf_map_lookup_elem(
				    dp->map_fd[fam ? M_PFX6 : M_PFX4], &k, &v))
				miss++;
		}
		free(kk);
		if (miss) {
			np__sb_printf(sb,
				      "%s: %zu IPv%d prefix keys of rule set "
				      "%u not in the per-length hash\n",
				      np_direction_name(d), miss, fam ? 6 : 4,
				      w->ruleset);
			(*nd)++;
		}
	}
	return 0;
}

/* Compare direction d's live entries with the encoded ones. */
static int verify_keys(struct np_datapath *dp, const struct np_mapset *ms,
		       int d, uint32_t id, struct np_strbuf *sb, size_t *nd)
{
	size_t before = *nd;
	int fam;

	for (fam = 0; fam < 2; fam++) {
		const struct np_map_entry *ex = ms->ent[fam][d];
		size_t nex = ms->nent[fam][d], nl, nk, i = 0, j = 0;
		struct live_ent *lv;
		uint32_t *pieces;
		struct np_kkey *kk;
		int err = np__mapset_kkeys(ms, d, fam, &kk, &nk);

		if (err)
			return err;
		/* how many keys each entry is written as */
		pieces = calloc(nex + 1, sizeof(*pieces));
		if (!pieces) {
			free(kk);
			return -ENOMEM;
		}
		for (i = 0; i < nk; i++)
			pieces[kk[i].ent]++;
		free(kk);
		i = 0;
		err = np__rules_collect(dp, fam, id, &lv, &nl);
		if (err) {
			free(pieces);
			return err;
		}
		/* both sorted by address then length */
		while (i < nex || j < nl) {
			char cidr[64], a[160], b[160];
			struct np_portset want;
			int c;

			if (i < nex && j < nl) {
				uint8_t ea[16] = { 0 };

				memcpy(ea, ex[i].cidr.addr, fam ? 16 : 4);
				c = memcmp(ea, lv[j].addr, 16);
				if (!c)
					c = (int)ex[i].cidr.len - lv[j].len;
			} else {
				c = i < nex ? -1 : 1;
			}
			if (c < 0) {
				np__cidr_text(fam, ex[i].cidr.addr,
					      ex[i].cidr.len, cidr,
					      sizeof(cidr));
				np__portset_normalize(
					&want, &ms->portsets[ex[i].portset]);
				ps_text(&want, a, sizeof(a));
				np__sb_printf(sb,
					      "%s: missing key %s (ports "
					      "%s)\n",
					      np_direction_name(d), cidr, a);
				(*nd)++;
				i++;
				continue;
			}
			np__cidr_text(fam, lv[j].addr, lv[j].len, cidr,
				      sizeof(cidr));
			if (c > 0) {
				ps_text(&lv[j].set, a, sizeof(a));
				np__sb_printf(sb,
					      "%s: extra key %s (ports "
					      "%s)\n",
					      np_direction_name(d), cidr, a);
				(*nd)++;
				j++;
				continue;
			}
			np__portset_normalize(&want,
					      &ms->portsets[ex[i].portset]);
			if (memcmp(&want, &lv[j].set, sizeof(want))) {
				ps_text(&lv[j].set, a, sizeof(a));
				ps_text(&want, b, sizeof(b));
				np__sb_printf(sb,
					      "%s: key %s: port set %u "
					      "has %s, expected %s\n",
					      np_direction_name(d), cidr,
					      lv[j].psidx, a, b);
				(*nd)++;
			} else if (lv[j].tag != lv[j].len) {
				np__sb_printf(sb,
					      "%s: key %s: value names "
					      "prefix length %u\n",
					      np_direction_name(d), cidr,
					      lv[j].tag);
				(*nd)++;
			} else if (lv[j].pieces != pieces[i]) {
				np__sb_printf(sb,
					      "%s: key %s: written as %u "
					      "keys, expected %u\n",
					      np_direction_name(d), cidr,
					      lv[j].pieces, pieces[i]);
				(*nd)++;
			}
			i++;
			j++;
		}
		free(lv);
		free(pieces);
	}
	if (*nd == before) {
		struct np_ruleset_value rv;

		if (bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &id, &rv)) {
			np__sb_printf(sb,
				      "%s: rule set %u is not in the "
				      "rule-set table\n",
				      np_direction_name(d), id);
			(*nd)++;
		} else if (rv.hash != np__dp_digest(ms, d)) {
			np__sb_printf(sb,
				      "%s: rule set %u digest %016llx, "
				      "expected %016llx\n",
				      np_direction_name(d), id,
				      (unsigned long long)rv.hash,
				      (unsigned long long)np__dp_digest(ms, d));
			(*nd)++;
		}
	}
	return 0;
}

NP_API int np_datapath_verify(struct np_datapath *dp, unsigned int ifindex,
			      const struct np_ruleset *rs, char **report,
			      size_t *ndrift)
{
	struct np_datapath_hook hooks[2];
	struct np_strbuf sb = { 0 };
	struct np_mapset *ms = NULL;
	struct np_ep_value ep;
	struct np_ep_rec epa, rec;
	size_t nd = 0;
	int d, err;

	if (!dp || !ifindex || !rs || !report || !ndrift)
		return -EINVAL;
	*report = NULL;
	*ndrift = 0;
	if (np__ep_read(dp, ifindex, NULL, &ep))
		return -ENOENT;
	err = np_mapset_encode(&ms, rs);
	if (!err)
		err = np__mapset_check(ms);
	if (err)
		goto out;
	for (d = 0; d < 2; d++) {
		unsigned int want = ms->isolated[d] ? NP_EP_POLICIES_APPLIED :
						      NP_EP_UNISOLATED;
		uint8_t wantf;

		if (ep.dir[d].state != want) {
			np__sb_printf(&sb,
				      "%s: endpoint state %s, expected "
				      "%s\n",
				      np_direction_name(d),
				      ep_state_name(ep.dir[d].state),
				      ep_state_name(want));
			nd++;
			continue;
		}
		/* where the prefixes are (PLH) is the rule set's: checked below */
		wantf = (np__mapset_lpm_flags(ms, d) & ~NP_EPL_PLH) |
			(ep.dir[d].lpm & NP_EPL_PLH);
		if (want == NP_EP_POLICIES_APPLIED && ep.dir[d].lpm != wantf) {
			/* the program would skip (or walk) the trie wrongly */
			np__sb_printf(&sb,
				      "%s: endpoint prefix-key flags 0x%x, "
				      "expected 0x%x\n",
				      np_direction_name(d), ep.dir[d].lpm,
				      wantf);
			nd++;
		} else if (want == NP_EP_POLICIES_APPLIED) {
			err = plh_drift(dp, ms, d, &ep.dir[d], &sb, &nd);
			if (err)
				goto out;
		}
		if (want == NP_EP_POLICIES_APPLIED) {
			err = verify_keys(dp, ms, d, ep.dir[d].ruleset, &sb,
					  &nd);
			if (err)
				goto out;
		}
	}
	if (np__ep_read(dp, ifindex, &rec, NULL)) {
		err = -ENOENT;
		goto out;
	}
	/*
	 * The other generation may hold what a dead transaction staged: no
	 * packet reads it, and the next writer removes it; not a drift.
	 */
	if (!bpf_map_lookup_elem(dp->map_fd[M_EPA],
				 &(uint32_t){ ifindex & (NP_EPA_SIZE - 1) },
				 &epa) &&
	    epa.ifindex == ifindex) {
		uint32_t g = np__ep_live(dp);

		for (d = 0; d < 2; d++)
			if (epa.w[g][d] != rec.w[g][d]) {
				/* the programs read the copy */
				np__sb_printf(&sb,
					      "%s: endpoint cache differs "
					      "from the endpoint record\n",
					      np_direction_name(d));
				nd++;
			}
		if (epa.src_flags != rec.src_flags || epa.ip4 != rec.ip4 ||
		    memcmp(epa.ip6, rec.ip6, 16)) {
			np__sb_printf(&sb,
				      "egress: endpoint cache source "
				      "addresses differ from the record\n");
			nd++;
		}
	}
	err = np_datapath_hooks(dp, ifindex, hooks);
	if (err)
		goto out;
	for (d = 0; d < 2; d++) {
		const char *hk = d == NP_DIR_INGRESS ? "egress" : "ingress";

		switch (hooks[d].state) {
		case NP_HOOK_OK:
			break;
		case NP_HOOK_MISSING:
			np__sb_printf(&sb,
				      "%s: no program of ours on the %s "
				      "hook\n",
				      np_direction_name(d), hk);
			nd++;
			break;
		case NP_HOOK_STALE:
			np__sb_printf(&sb,
				      "%s: tc %s filter runs program "
				      "%u, not ours (%u)\n",
				      np_direction_name(d), hk,
				      hooks[d].prog_id, hooks[d].expected_id);
			nd++;
			break;
		case NP_HOOK_NO_DEVICE:
			np__sb_printf(&sb, "%s: interface %u is gone\n",
				      np_direction_name(d), ifindex);
			nd++;
			break;
		case NP_HOOK_PRECEDED:
			if (!strcmp(hooks[d].ahead_kind, "tcx"))
				np__sb_printf(&sb,
					      "%s: tcx program %u runs before "
					      "ours on the %s hook\n",
					      np_direction_name(d),
					      hooks[d].ahead_prog_id, hk);
			else
				np__sb_printf(&sb,
					      "%s: tc %s filter %s prio %u "
					      "handle %#x (program %u) runs "
					      "before ours\n",
					      np_direction_name(d), hk,
					      hooks[d].ahead_kind,
					      hooks[d].ahead_prio,
					      hooks[d].ahead_handle,
					      hooks[d].ahead_prog_id);
			nd++;
			break;
		}
	}
	err = np__sb_finish(&sb, report);
	if (!err)
		*ndrift = nd;
out:
	if (err)
		np__sb_release(&sb);
	np_mapset_free(ms);
	return err;
}
