/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Inspection, read from the live maps without the lock: test packets,
 * counters, pods, statistics, TC hooks, rule sets and their rules,
 * conntrack, and explaining a verdict. Verify (a compiled rule set
 * against what the kernel holds) and its drift text: dp_verify.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netpol/mapset.h"
#include "netpol/ruleset.h"

#include "dp_internal.h"

/* --- observing ----------------------------------------------------------- */

NP_API int np_datapath_test_packet(struct np_datapath *dp, unsigned int ifindex,
				   enum np_direction dir, const void *pkt,
				   size_t len, int *verdict)
{
	struct __sk_buff ctx = { .ifindex = ifindex };
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
			    .data_size_in = len, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err;

	if (!dp || !pkt || !verdict || len < ETH_HLEN || len > 65535 ||
	    (dir != NP_DIRECTION_INGRESS && dir != NP_DIRECTION_EGRESS))
		return -EINVAL;
	err = bpf_prog_test_run_opts(dp->prog_fd[dir], &o);
	if (err)
		return err;
	*verdict = (int)o.retval;
	return 0;
}

NP_API int np_datapath_counters(struct np_datapath *dp, unsigned int ifindex,
				enum np_direction dir,
				struct np_datapath_counters *out)
{
	struct np_counters *pc;
	struct np_ep_value ep;
	uint32_t k;
	int i, err;

	if (!dp || !out ||
	    (dir != NP_DIRECTION_INGRESS && dir != NP_DIRECTION_EGRESS))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (np__ep_read(dp, ifindex, NULL, &ep))
		return -ENOENT;
	pc = calloc(dp->ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	k = ep.dir[0].slot * 2 + dir;
	err = bpf_map_lookup_elem(dp->map_fd[M_COUNTERS], &k, pc);
	for (i = 0; !err && i < dp->ncpus; i++) {
		out->allowed_packets += pc[i].allow_pkts;
		out->allowed_bytes += pc[i].allow_bytes;
		out->denied_packets += pc[i].deny_pkts;
		out->denied_bytes += pc[i].deny_bytes;
	}
	free(pc);
	return err;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The pod's addresses from its endpoint record, when it has them. */
static void pod_addrs(struct np_datapath *dp, uint32_t ifindex,
		      struct np_datapath_pod *p)
{
	struct np_ep_rec rec;

	if (np__ep_read(dp, ifindex, &rec, NULL))
		return;
	if (rec.src_flags & NP_SRC_V4) {
		memcpy(p->ip4, &rec.ip4, 4);
		p->ip_flags |= NP_POD_IP4;
	}
	if (rec.src_flags & NP_SRC_V6) {
		memcpy(p->ip6, rec.ip6, 16);
		p->ip_flags |= NP_POD_IP6;
	}
}

NP_API int np_datapath_pod_foreach(struct np_datapath *dp, np_pod_fn cb,
				   void *ctx)
{
	uint32_t *ifx;
	size_t n, i;
	int err;

	if (!dp || !cb)
		return -EINVAL;
	err = np__pods_list(dp, &ifx, &n);
	if (err)
		return err;
	qsort(ifx, n, sizeof(*ifx), cmp_u32);
	for (i = 0; i < n && !err; i++) {
		struct np_datapath_pod p = { .ifindex = ifx[i] };
		struct np_pod_value pod;
		struct np_ep_value ep;
		int d;

		if (bpf_map_lookup_elem(dp->map_fd[M_PODS], &ifx[i], &pod) ||
		    np__ep_read(dp, ifx[i], NULL, &ep))
			continue;
		pod.ns[sizeof(pod.ns) - 1] = '\0';
		pod.name[sizeof(pod.name) - 1] = '\0';
		/* a new interface on a dead pod's ifindex is not that pod's */
		if (!if_indextoname(ifx[i], p.ifname) ||
		    np__ifid_check(dp, ifx[i]) == 0)
			p.ifname[0] = '\0';
		p.ns = pod.ns;
		p.name = pod.name;
		for (d = 0; d < 2; d++) {
			p.state[d] = (enum np_pod_state)ep.dir[d].state;
			p.ruleset[d] = ep.dir[d].ruleset;
		}
		pod_addrs(dp, ifx[i], &p);
		err = cb(ctx, &p);
	}
	free(ifx);
	return err;
}

/* --- inspection: live maps, read without the lock ----------------------- */

/* Keys of a map, counted; bounded as np__map_keys(). */
static uint64_t map_count(int fd)
{
	unsigned char a[64], b[64], *prev = NULL, *next = a;
	uint64_t n = 0;

	while (n < NP_MAX_WALK && !bpf_map_get_next_key(fd, prev, next)) {
		n++;
		prev = next;
		next = next == a ? b : a;
	}
	return n;
}

static uint32_t map_capacity(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

NP_API int np_datapath_stats(struct np_datapath *dp,
			     struct np_datapath_stats *out)
{
	struct np_datapath_stats s;
	uint64_t *pc;
	uint32_t k = NP_STAT_EVENTS_LOST;
	int i, fam;

	if (!dp || !out)
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	pc = calloc(dp->ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	if (!bpf_map_lookup_elem(dp->map_fd[M_STATS], &k, pc))
		for (i = 0; i < dp->ncpus; i++)
			s.events_lost += pc[i];
	free(pc);
	for (fam = 0; fam < 2; fam++) {
		int ct = dp->map_fd[fam ? M_CT6 : M_CT4];
		int lpm = dp->map_fd[fam ? M_LPM6 : M_LPM4];
		int host = dp->map_fd[fam ? M_HOST6 : M_HOST4];
		int pfx = dp->map_fd[fam ? M_PFX6 : M_PFX4];
		uint64_t made, gone;

		s.ct_entries[fam] = map_count(ct);
		s.ct_capacity[fam] = map_capacity(ct);
		/* the programs never delete: the rest the LRU evicted */
		made = np__stat_sum(dp, NP_STAT_CT_INSERTED + fam);
		gone = np__stat_sum(dp, NP_STAT_CT_DELETED + fam) +
		       s.ct_entries[fam];
		s.ct_evictions[fam] = made > gone ? made - gone : 0;
		s.lpm_entries[fam] =
			map_count(lpm) + map_count(host) + map_count(pfx);
		s.lpm_capacity[fam] = (uint64_t)map_capacity(lpm) +
				      map_capacity(host) + map_capacity(pfx);
	}
	s.pods = map_count(dp->map_fd[M_PODS]);
	s.rulesets = map_count(dp->map_fd[M_RULESETS]);
	k = 0;
	if (s.rulesets && !bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &k,
					       &(struct np_ruleset_value){ 0 }))
		s.rulesets--; /* key 0 is the generation counter */
	s.events_on = __atomic_load_n(&dp->rt->events_on, __ATOMIC_ACQUIRE);
	s.rule_counters_on =
		__atomic_load_n(&dp->rt->rule_counters_on, __ATOMIC_ACQUIRE);
	*out = s;
	return 0;
}

NP_API int np_datapath_latency(struct np_datapath *dp,
			       struct np_latency_hist *out)
{
	uint64_t run = 0;
	size_t i;

	if (!dp || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->nbuckets = np__lat_bounds(out->bounds, NP_LATENCY_MAX_BUCKETS);
	for (i = 0; i < out->nbuckets; i++) {
		run += np__stat_sum(dp, NP_STAT_LAT_BUCKET + (uint32_t)i);
		out->counts[i] = run;
	}
	out->count = np__stat_sum(dp, NP_STAT_LAT_COUNT);
	if (out->count < run) /* read while a writer was between them */
		out->count = run;
	out->sum = (double)np__stat_sum(dp, NP_STAT_LAT_SUM_NS) / 1e9;
	return 0;
}

NP_API int np_datapath_hooks(struct np_datapath *dp, unsigned int ifindex,
			     struct np_datapath_hook out[2])
{
	char name[IF_NAMESIZE];
	int d, err;

	if (!dp || !ifindex || !out)
		return -EINVAL;
	for (d = 0; d < 2; d++) {
		enum bpf_tc_attach_point ap = np__dir_hook(d);
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = ap);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = NP_TC_HANDLE,
				    .priority = NP_TC_PRIO);
		uint32_t parent = TC_H_MAKE(
			TC_H_CLSACT, ap == BPF_TC_INGRESS ? TC_H_MIN_INGRESS :
							    TC_H_MIN_EGRESS);
		struct np_datapath_hook *h = &out[d];
		struct np_ahead ah;
		bool ours = false;
		uint32_t ntcx = 0;
		int pos;

		memset(h, 0, sizeof(*h));
		h->expected_id = dp->prog_id[d];
		if (!if_indextoname(ifindex, name)) {
			h->state = NP_HOOK_NO_DEVICE;
			continue;
		}
		pos = np__tcx_pos(ifindex, ap, dp->prog_id[d], &ntcx, NULL);
		if (pos < -1)
			return pos;
		err = np__tc_filters(ifindex, parent, &h->filters, &ours);
		if (err && err != -EINVAL) /* -EINVAL: no clsact qdisc */
			return err;
		h->filters += ntcx;
		if (pos >= 0) {
			h->kind = NP_HOOK_KIND_TCX;
			h->prog_id = dp->prog_id[d];
			h->state = NP_HOOK_OK;
		} else if (!err && ours) {
			err = bpf_tc_query(&hook, &q);
			if (err && err != -ENOENT)
				return err;
			if (!err) {
				h->kind = NP_HOOK_KIND_TC;
				h->prog_id = q.prog_id;
				h->state = q.prog_id == dp->prog_id[d] ?
						   NP_HOOK_OK :
						   NP_HOOK_STALE;
			} else {
				h->state = NP_HOOK_MISSING;
			}
		} else {
			h->state = NP_HOOK_MISSING;
		}
		if (h->state == NP_HOOK_MISSING)
			continue;
		err = np__tc_ahead(ifindex, ap, dp->prog_id[d], &ah);
		if (err)
			return err;
		h->ahead = ah.n > 0xffff ? 0xffff : (uint16_t)ah.n;
		h->ahead_prog_id = ah.prog_id;
		h->ahead_handle = ah.handle;
		h->ahead_prio = ah.prio;
		memcpy(h->ahead_kind, ah.kind, sizeof(h->ahead_kind));
		if (ah.n && h->state == NP_HOOK_OK)
			h->state = NP_HOOK_PRECEDED;
	}
	return 0;
}

void np__cidr_text(int fam, const uint8_t *addr, unsigned int len, char *buf,
		   size_t size)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(fam ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(buf, size, "%s/%u", a, len);
}

/* Users of id: pod directions whose endpoint record enforces it. */
static size_t ruleset_users(struct np_datapath *dp, uint32_t id)
{
	uint32_t *ifx;
	size_t n, i, users = 0;
	int d;

	if (np__map_keys(dp->map_fd[M_ENDPOINTS], 4, (void **)&ifx, &n))
		return 0;
	for (i = 0; i < n; i++) {
		struct np_ep_value ep;

		if (np__ep_read(dp, ifx[i], NULL, &ep))
			continue;
		for (d = 0; d < 2; d++)
			if (ep.dir[d].state == NP_EP_POLICIES_APPLIED &&
			    ep.dir[d].ruleset == id)
				users++;
	}
	free(ifx);
	return users;
}

NP_API int np_datapath_ruleset(struct np_datapath *dp, uint32_t id,
			       struct np_datapath_ruleset *out)
{
	struct np_ruleset_value rv;
	int fam;

	if (!dp || !id || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &id, &rv))
		return -ENOENT;
	out->id = id;
	out->direction = rv.dir ? NP_DIRECTION_EGRESS : NP_DIRECTION_INGRESS;
	out->hash = rv.hash;
	for (fam = 0; fam < 2; fam++) {
		struct live_ent *v;
		int err = np__rules_collect(dp, fam, id, &v, &out->keys[fam]);

		if (err)
			return err;
		free(v);
	}
	out->users = ruleset_users(dp, id);
	return 0;
}

/* The loaded id whose digest is h, 0 when none. */
static uint32_t id_by_hash(struct np_datapath *dp, uint64_t h)
{
	uint32_t *ids, best = 0;
	size_t n, i;

	if (np__map_keys(dp->map_fd[M_RULESETS], 4, (void **)&ids, &n))
		return 0;
	for (i = 0; i < n; i++) {
		struct np_ruleset_value rv;

		if (!ids[i] ||
		    bpf_map_lookup_elem(dp->map_fd[M_RULESETS], &ids[i], &rv))
			continue;
		if (rv.hash == h && (!best || ids[i] < best))
			best = ids[i];
	}
	free(ids);
	return best;
}

NP_API int np_datapath_ruleset_id(struct np_datapath *dp,
				  const struct np_ruleset *rs,
				  enum np_direction dir, uint32_t *id)
{
	struct np_mapset *ms;
	int err;

	if (!dp || !rs || !id ||
	    (dir != NP_DIRECTION_INGRESS && dir != NP_DIRECTION_EGRESS))
		return -EINVAL;
	*id = 0;
	err = np_mapset_encode(&ms, rs);
	if (err)
		return err;
	if (!ms->isolated[dir])
		err = -ENODATA;
	else if (np__mapset_check(ms))
		err = -EINVAL;
	else
		*id = id_by_hash(dp, np__dp_digest(ms, dir));
	np_mapset_free(ms);
	if (!err && !*id)
		err = -ENOENT;
	return err;
}

static void rule_from(struct np_datapath_rule *r, int fam,
		      const struct live_ent *e)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->family = fam ? 6 : 4;
	np__cidr_text(fam, e->addr, e->len, r->cidr, sizeof(r->cidr));
	r->portset = e->psidx;
	r->all = e->set.flags & NP_PS_ALL;
	r->nranges = r->all ? 0 : e->set.count;
	for (i = 0; i < r->nranges; i++) {
		r->ranges[i].protocol = (uint8_t)(e->set.slots[i].lo >> 16);
		r->ranges[i].first = (uint16_t)e->set.slots[i].lo;
		r->ranges[i].last = (uint16_t)e->set.slots[i].hi;
	}
}

NP_API int np_datapath_rule_foreach(struct np_datapath *dp, uint32_t id,
				    np_rule_fn cb, void *ctx)
{
	int fam, err = 0;

	if (!dp || !id || !cb)
		return -EINVAL;
	for (fam = 0; fam < 2 && !err; fam++) {
		struct live_ent *v;
		size_t n, i;

		err = np__rules_collect(dp, fam, id, &v, &n);
		for (i = 0; !err && i < n; i++) {
			struct np_datapath_counters c;
			struct np_counters k;
			struct np_datapath_rule r;

			rule_from(&r, fam, &v[i]);
			if (!np__rule_ctrs_read(dp, id, v[i].ctr, &k)) {
				memset(&c, 0, sizeof(c));
				c.allowed_packets = k.allow_pkts;
				c.allowed_bytes = k.allow_bytes;
				c.denied_packets = k.deny_pkts;
				c.denied_bytes = k.deny_bytes;
				r.counters = &c;
			}
			err = cb(ctx, &r);
		}
		free(v);
	}
	return err;
}

/* Jiffies to seconds, rounded to the nearest. */
static uint32_t jiffies_s(const struct np_datapath *dp, uint32_t j)
{
	return (uint32_t)(((uint64_t)j + dp->rt->hz / 2) / dp->rt->hz);
}

static uint32_t ct_timeout(const struct np_dp_timeouts *to, uint8_t proto,
			   uint8_t state)
{
	if (proto != IPPROTO_TCP)
		return to->other;
	if (state == NP_CT_ESTABLISHED)
		return to->tcp_established;
	if (state == NP_CT_CLOSING)
		return to->tcp_closing;
	return to->tcp_new;
}

NP_API int np_datapath_conn_foreach(struct np_datapath *dp,
				    unsigned int ifindex, np_conn_fn cb,
				    void *ctx)
{
	uint32_t now;
	int fam, err = 0;

	if (!dp || !cb)
		return -EINVAL;
	err = np__clock_now(dp, &now);
	for (fam = 0; fam < 2 && !err; fam++) {
		int fd = dp->map_fd[fam ? M_CT6 : M_CT4];
		size_t ksz = np__maps[fam ? M_CT6 : M_CT4].key, n, i;
		unsigned char *keys;

		err = np__map_keys(fd, ksz, (void **)&keys, &n);
		if (err)
			break;
		for (i = 0; i < n && !err; i++) {
			const unsigned char *k = keys + i * ksz;
			const uint8_t *a[2];
			const uint16_t *port;
			struct np_datapath_conn c;
			struct np_ct_value v;
			uint32_t ifproto;
			int o;

			if (fam) {
				const struct np_ct_key_v6 *k6 = (const void *)k;

				a[0] = (const uint8_t *)k6->addr[0];
				a[1] = (const uint8_t *)k6->addr[1];
				port = k6->port;
				ifproto = k6->ifproto;
			} else {
				const struct np_ct_key_v4 *k4 = (const void *)k;

				a[0] = (const uint8_t *)&k4->addr[0];
				a[1] = (const uint8_t *)&k4->addr[1];
				port = k4->port;
				ifproto = k4->ifproto;
			}
			if (ifindex &&
			    (ifproto >> 8) != (ifindex & NP_IFX_MASK))
				continue;
			if (bpf_map_lookup_elem(fd, k, &v))
				continue; /* gone meanwhile */
			memset(&c, 0, sizeof(c));
			o = v.flags & NP_CTF_ORIG_HI ? 1 : 0;
			c.ifindex = ifindex ? ifindex : ifproto >> 8;
			c.family = fam ? 6 : 4;
			c.protocol = (uint8_t)ifproto;
			inet_ntop(fam ? AF_INET6 : AF_INET, a[o], c.src,
				  sizeof(c.src));
			inet_ntop(fam ? AF_INET6 : AF_INET, a[!o], c.dst,
				  sizeof(c.dst));
			c.sport = ntohs(port[o]);
			c.dport = ntohs(port[!o]);
			c.state = (enum np_conn_state)v.state;
			/* jiffies wrap: the difference is right, not > */
			c.age = jiffies_s(dp, now - v.last_seen);
			c.timeout =
				jiffies_s(dp, ct_timeout(&dp->rt->to,
							 c.protocol, v.state));
			err = cb(ctx, &c);
		}
		free(keys);
	}
	return err;
}

static bool is_node_ip(const struct np_dp_runtime *rt, int fam,
		       const uint8_t *a)
{
	uint32_t i, n;

	if (!fam) {
		n = NP_MIN(__atomic_load_n(&rt->node_ip4_n, __ATOMIC_ACQUIRE),
			   2u);
		for (i = 0; i < n; i++)
			if (!memcmp(&rt->node_ip4[i], a, 4))
				return true;
		return false;
	}
	n = NP_MIN(__atomic_load_n(&rt->node_ip6_n, __ATOMIC_ACQUIRE), 2u);
	for (i = 0; i < n; i++)
		if (!memcmp(rt->node_ip6[i], a, 16))
			return true;
	return false;
}

NP_API int np_datapath_explain(struct np_datapath *dp, unsigned int ifindex,
			       enum np_direction dir, const char *peer,
			       uint8_t protocol, uint16_t port,
			       const struct np_ruleset *rs,
			       struct np_datapath_verdict *out)
{
	uint8_t addr[16] = { 0 };
	struct np_lpm_value lv;
	struct np_portset ps;
	struct np_ep_value ep;
	unsigned int plen, i;
	uint32_t x;
	int fam;

	if (!dp || !ifindex || !peer || !out ||
	    (dir != NP_DIRECTION_INGRESS && dir != NP_DIRECTION_EGRESS))
		return -EINVAL;
	if (inet_pton(AF_INET, peer, addr) == 1)
		fam = 0;
	else if (inet_pton(AF_INET6, peer, addr) == 1)
		fam = 1;
	else
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->slot = -1;
	if (np__ep_read(dp, ifindex, NULL, &ep))
		return -ENOENT;
	out->state = (enum np_pod_state)ep.dir[dir].state;
	out->allowed = true;
	if (is_node_ip(dp->rt, fam, addr)) {
		out->reason = NP_REASON_NODE;
		return 0;
	}
	switch (ep.dir[dir].state) {
	case NP_EP_DEFAULT_ALLOW:
		out->reason = NP_REASON_DEFAULT_ALLOW;
		out->tier = NP_TIER_DEFAULT;
		return 0;
	case NP_EP_UNISOLATED:
		out->reason = NP_REASON_NOT_ISOLATED;
		out->tier = NP_TIER_DEFAULT;
		return 0;
	case NP_EP_POLICIES_APPLIED:
		break;
	case NP_EP_FAIL_CLOSED:
		out->allowed = false;
		out->reason = NP_REASON_UNENFORCEABLE;
		return 0;
	default:
		out->allowed = false;
		out->reason = NP_REASON_DEFAULT_DENY;
		return 0;
	}
	out->ruleset = ep.dir[dir].ruleset;
	out->allowed = false;
	/* as the program: the host key, then the per-length hash or trie */
	if (np__rule_find(dp, fam, ep.dir[dir].ruleset, ep.dir[dir].lpm, addr,
			  &lv)) {
		out->reason = NP_REASON_NO_MATCH;
		goto attribute;
	}
	plen = lv.portset >> NP_LPM_PLEN_SHIFT;
	if (plen > (fam ? 128u : 32u))
		plen = fam ? 128 : 32;
	for (i = plen; i < 128; i++)
		addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	np__cidr_text(fam, addr, plen, out->key, sizeof(out->key));
	out->portset = lv.portset & NP_LPM_PS_MASK;
	memset(&ps, 0, sizeof(ps));
	if (out->portset >= NP_MAX_PORTSETS ||
	    bpf_map_lookup_elem(dp->map_fd[M_PORTSETS], &out->portset, &ps))
		memset(&ps, 0, sizeof(ps));
	out->reason = NP_REASON_PORT;
	if (ps.flags & NP_PS_ALL) {
		out->allowed = true;
	} else if (protocol) {
		x = (uint32_t)protocol << 16 | port;
		for (i = 0; i < NP_MIN(ps.count, NP_MAX_SLOTS); i++)
			if (x >= ps.slots[i].lo && x <= ps.slots[i].hi) {
				out->allowed = true;
				out->slot = (int)i;
				break;
			}
	}
	if (out->allowed)
		out->reason = NP_REASON_RULE;
attribute:
	/* who decided: from rs, when it is what is loaded and agrees */
	if (rs && (protocol == IPPROTO_TCP || protocol == IPPROTO_UDP ||
		   protocol == IPPROTO_SCTP)) {
		struct np_verdict v;
		uint32_t id;

		if (!np_datapath_ruleset_id(dp, rs, dir, &id) &&
		    id == out->ruleset &&
		    !np_ruleset_verdict(rs, dir, peer,
					(enum np_protocol)protocol, port, &v) &&
		    v.allowed == out->allowed) {
			snprintf(out->policies, sizeof(out->policies), "%s",
				 v.policies);
			out->tier = v.tier;
		}
	}
	return 0;
}
