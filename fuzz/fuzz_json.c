// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JSON text into a cluster (np_cluster_load_buffer, NP_FORMAT_JSON): all or
 * nothing, then skipping invalid objects; what loads must export and load
 * back unchanged.
 */
#include "fuzz_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_parse_target(data, size, NP_FORMAT_JSON);
}
