/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libnetpol: the limits callers can rely on.
 *
 * Input limits bound every count an input controls: exceeding one fails
 * the call with -E2BIG and a diagnostic naming the limit. Capacity limits
 * bound what one node's datapath holds, over all pods and rule sets:
 * exceeding one fails np_datapath_attach() or np_datapath_apply() with
 * -E2BIG, and the old state stays. libnetpol(3), section LIMITS, says the
 * same. This header is also read by the kernel programs (bpf/netpol_abi.h),
 * so it holds macros only.
 */
#ifndef NETPOL_LIMITS_H
#define NETPOL_LIMITS_H

/* --- input ---------------------------------------------------------------- */

#define NP_MAX_INPUT_BYTES (256u << 20) /* one file or buffer */
#define NP_MAX_DEPTH 64 /* nesting of maps and lists */
#define NP_MAX_NODES (8u << 20) /* nodes in one input, aliases expanded */
#define NP_MAX_ALIAS_NODES 100000 /* nodes reached through aliases */
#define NP_MAX_SCALAR_BYTES (1u << 20) /* one string */
#define NP_MAX_OBJECTS (1u << 20) /* objects in one input */
/*
 * Any list inside a policy object: as many items as an object the API
 * server accepts (1.5 MiB) can hold at two bytes an item, so no object
 * Kubernetes stores is refused; memory stays bounded by NP_MAX_NODES.
 */
#define NP_MAX_LIST 786432
#define NP_MAX_LABELS 1024 /* labels of an object, terms of a selector */
#define NP_MAX_POD_PORTS 1024 /* container ports of one pod */
#define NP_MAX_IPS 16 /* podIPs, clusterIPs */
#define NP_MAX_MATRIX_CELLS (1u << 22) /* np_cluster_matrix: pods^2 x ports */

/* --- rule sets ------------------------------------------------------------ */

/*
 * Port ranges one prefix of a rule set may carry, as on EKS: a prefix
 * whose merged ports need more fails np_ruleset_compile() with -E2BIG.
 */
#define NP_MAX_PORT_SLOTS 24

/* --- datapath capacity, per node ------------------------------------------ */

#define NP_MAX_ENDPOINTS 4096 /* attached pods (host veths) */
#define NP_MAX_PORTSETS 8192 /* distinct port sets, one of them unused */
#define NP_MAX_LPM_KEYS 262144 /* prefix keys per address family */
#define NP_MAX_HOST_KEYS 131072 /* host (/32, /128) keys per family */

#endif /* NETPOL_LIMITS_H */
