/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps of the TC programs, every one of them: definitions only, in the
 * order the object has always declared them (the skeleton and the pinned
 * maps are named after them). Their key and value layouts are the ABI in
 * netpol_abi.h.
 */
#ifndef NETPOL_BPF_LIB_MAPS_H
#define NETPOL_BPF_LIB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "netpol_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct np_ep_rec);
} endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NP_MAX_LPM_KEYS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct np_lpm_key_v4);
	__type(value, struct np_lpm_value);
} lpm_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NP_MAX_LPM_KEYS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct np_lpm_key_v6);
	__type(value, struct np_lpm_value);
} lpm_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NP_EPA_SIZE);
	__type(key, __u32);
	__type(value, struct np_ep_rec);
} ep_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_HOST_KEYS);
	__type(key, struct np_host_key_v4);
	__type(value, struct np_lpm_value);
} host_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_HOST_KEYS);
	__type(key, struct np_host_key_v6);
	__type(value, struct np_lpm_value);
} host_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NP_MAX_PORTSETS);
	__type(key, __u32);
	__type(value, struct np_portset);
} portsets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * NP_MAX_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct np_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_CT_DEFAULT_SIZE);
	__type(key, struct np_ct_key_v4);
	__type(value, struct np_ct_value);
} ct_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_CT_DEFAULT_SIZE);
	__type(key, struct np_ct_key_v6);
	__type(value, struct np_ct_value);
} ct_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_FRAG_SIZE);
	__type(key, struct np_frag_key);
	__type(value, struct np_frag_value);
} frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NP_EVENTS_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NP_STATS_N);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Userspace bookkeeping, pinned with the rest; the programs never read it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_ENDPOINTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct np_pod_value);
} pods SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * NP_MAX_ENDPOINTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct np_ruleset_value);
} rulesets SEC(".maps");

/* The per-length hash of prefix keys and its lengths (netpol_abi.h, PLH). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_LPM_KEYS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct np_lpm_key_v4);
	__type(value, struct np_lpm_value);
} pfx_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_LPM_KEYS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct np_lpm_key_v6);
	__type(value, struct np_lpm_value);
} pfx_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NP_RS_PLENS_SIZE);
	__type(key, __u32);
	__type(value, struct np_rs_plens);
} rs_plens SEC(".maps");

/* Per-key counters (netpol_abi.h, np_rule_ctr_key). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NP_RULE_CTRS_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct np_rule_ctr_key);
	__type(value, struct np_counters);
} rule_ctrs SEC(".maps");

#endif /* NETPOL_BPF_LIB_MAPS_H */
