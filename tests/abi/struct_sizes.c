/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The sizes of the public structs, fixed at compile time: an output or
 * callback struct never changes size (new fields come out of its reserved
 * tail), an options struct only grows (common.h). A change here is an ABI
 * change: it fails to build until it is deliberate. LP64 sizes.
 */
#include <stddef.h>
#include <stdio.h>

#include <netpol.h>

#define SIZE(type, n) \
	_Static_assert(sizeof(struct type) == (n), "sizeof(struct " #type ")")
/* where a field taken from a reserved tail sits: where the tail was */
#define OFFSET(type, field, n)                              \
	_Static_assert(offsetof(struct type, field) == (n), \
		       "offsetof(struct " #type ", " #field ")")

#if __SIZEOF_POINTER__ == 8 && __SIZEOF_LONG__ == 8
SIZE(np_cluster_opts, 32);
SIZE(np_load_opts, 32);
SIZE(np_compile_opts, 16);
SIZE(np_matrix_opts, 64);
SIZE(np_datapath_opts, 80);
SIZE(np_attach_opts, 64);
SIZE(np_txn_opts, 16);
SIZE(np_mapset_lpm_opts, 16);
SIZE(np_attrib_opts, 24);
SIZE(np_changes_opts, 16);
SIZE(np_diag, 1328);
SIZE(np_verdict, 624);
SIZE(np_attrib_item, 80);
SIZE(np_mapset_diff_stats, 56);
SIZE(np_mapset_lpm_data, 72);
SIZE(np_datapath_counters, 64);
SIZE(np_datapath_stats, 128);
SIZE(np_datapath_hook, 56);
SIZE(np_datapath_ruleset, 72);
SIZE(np_datapath_verdict, 624);
SIZE(np_event, 288);
SIZE(np_datapath_pod, 88);
SIZE(np_datapath_rule, 248);
SIZE(np_datapath_conn, 152);
SIZE(np_port_range, 6);
SIZE(np_change, 128);
SIZE(np_endpoint_change, 80);
/* object_kind was reserved32 */
OFFSET(np_endpoint_change, kind, 24);
OFFSET(np_endpoint_change, object_kind, 28);
OFFSET(np_endpoint_change, old_hash, 32);
OFFSET(np_endpoint_change, reserved, 48);
#endif

int main(void)
{
	puts("1..1\nok 1 - public struct sizes");
	return 0;
}
