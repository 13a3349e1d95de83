/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What userspace sets and the programs only read: the runtime switches,
 * node IPs and conntrack timeouts of np_rt (.bss), the kernel's HZ
 * (.kconfig), and the clock the conntrack and fragment entries are
 * stamped with.
 */
#ifndef NETPOL_BPF_LIB_CONFIG_H
#define NETPOL_BPF_LIB_CONFIG_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "netpol_abi.h"

/* Mutable at run time through the pinned, mmapable .bss map. */
struct np_dp_runtime np_rt;

/* From the kernel's config when libbpf finds it; 0 otherwise. */
extern unsigned int CONFIG_HZ __kconfig __weak;

/* The clock of conntrack and fragment entries: jiffies, low 32 bits. */
static __always_inline __u32 now_jiffies(void)
{
	return (__u32)bpf_jiffies64();
}

#endif /* NETPOL_BPF_LIB_CONFIG_H */
