/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libnetpol: Kubernetes NetworkPolicy compiled to eBPF.
 *
 * The umbrella header. See libnetpol(3) for the model, errors, ownership
 * and thread safety, and each netpol/<object>.h for its functions.
 */
#ifndef NETPOL_H
#define NETPOL_H

#include "netpol/common.h"
#include "netpol/limits.h"
#include "netpol/diag.h"
#include "netpol/cluster.h"
#include "netpol/ruleset.h"
#include "netpol/attrib.h"
#include "netpol/mapset.h"
#include "netpol/datapath.h"

#endif /* NETPOL_H */
