// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floor for benchmarks: a TC program that does nothing. Whatever
 * np_tc_*_pod costs beyond this one is the cost of policy enforcement.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tc")
int np_tc_empty(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}
