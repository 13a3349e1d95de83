// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The whole pipeline on hostile input: load (format detected, invalid
 * objects skipped) -> np_cluster_endpoints -> compile every pod -> encode
 * -> LPM contents in both layouts -> reachability matrix. The resolved
 * PolicyEndpoints must themselves load back.
 */
#include <errno.h>

#include "fuzz.h"

/* Compile at most this many pods per input: keeps executions fast. */
#define FZ_MAX_PODS 32

static void endpoints(struct np_cluster *c)
{
	struct np_cluster *c2 = NULL;
	struct np_diag d;
	char *out = NULL;
	int err, f;

	for (f = 0; f < 2; f++) {
		enum np_format fmt = f ? NP_FORMAT_JSON : NP_FORMAT_YAML;
		NP_OPTS(np_load_opts, o, .format = fmt);

		err = np_cluster_endpoints(c, fmt, &out, &d);
		FZ_CHECK(fz_expected_err(err));
		if (err) {
			FZ_CHECK(d.err == err);
			fz_diag(&d);
			return;
		}
		/* what the controller would write, the agent must read */
		FZ_CHECK(np_cluster_new(&c2, NULL) == 0);
		err = np_cluster_load_buffer(c2, out, strlen(out), "endpoints",
					     &o, &d);
		if (err)
			fprintf(stderr, "endpoints do not load back: %s: %s\n",
				d.path, d.message);
		FZ_CHECK(err == 0);
		np_cluster_free(c2);
		np_free(out);
	}
}

static void matrix(struct np_cluster *c, int family, enum np_format fmt)
{
	static const uint16_t ports[] = { 80, 81 };
	static const enum np_protocol protos[] = { NP_PROTOCOL_TCP,
						   NP_PROTOCOL_UDP };
	NP_OPTS(np_matrix_opts, mo, .ports = ports, .nports = 2,
		.protocols = protos, .nprotocols = 2, .family = family);
	struct np_diag d;
	char *out = NULL;
	int err;

	err = np_cluster_matrix(c, &mo, fmt, &out, &d);
	FZ_CHECK(fz_expected_err(err));
	if (err)
		fz_diag(&d);
	np_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_cluster *c = NULL;
	NP_OPTS(np_cluster_opts, co, .log = fz_log);

	FZ_CHECK(np_cluster_new(&c, &co) == 0);
	if (fz_load(c, data, size, NP_FORMAT_AUTO, 1))
		goto out;
	endpoints(c);
	fz_compile_all(c, NP_SOURCE_POLICIES, FZ_MAX_PODS);
	if (np_cluster_count(c, NP_KIND_POD) <= FZ_MAX_PODS) {
		matrix(c, 4, NP_FORMAT_TEXT);
		matrix(c, 6, NP_FORMAT_JSON);
	}
out:
	np_cluster_free(c);
	return 0;
}
