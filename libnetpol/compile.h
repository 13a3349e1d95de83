/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Transitional: what mapset.c included when the compiler had one internal
 * header. The compiler's internals now live per stage (resolve.h,
 * ruleset_internal.h); mapset.c should include ruleset_internal.h and
 * mapset.h itself, and this file then goes.
 */
#ifndef NP_COMPILE_H
#define NP_COMPILE_H

#include "netpol/mapset.h"
#include "mapset.h"
#include "ruleset_internal.h"

#endif /* NP_COMPILE_H */
