// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's view: load PolicyEndpoints (and whatever else the input
 * holds), then compile with NP_SOURCE_ENDPOINTS every pod a PolicyEndpoint
 * names and every Pod object, and encode the result.
 *
 * Input without PolicyEndpoints checks the two views against each other:
 * every pod's rule set from the NetworkPolicies equals the one from the
 * PolicyEndpoints np_cluster_endpoints() writes for them.
 */
#include <errno.h>

#include "cluster_internal.h"
#include "fuzz.h"

#define FZ_MAX_PODS 32

/* Compile every pod from source; hashes into h (0: an error). */
static void hashes(struct np_cluster *c, enum np_source source, uint64_t *h,
		   char **ids, size_t n)
{
	NP_OPTS(np_compile_opts, co, .source = source);
	size_t i;

	for (i = 0; i < n; i++) {
		struct np_ruleset *rs = NULL;
		char *slash = strchr(ids[i], '/');

		*slash = '\0';
		h[i] = np_ruleset_compile(&rs, c, ids[i], slash + 1, &co,
					  NULL) ?
			       0 :
			       np_ruleset_hash(rs);
		*slash = '/';
		np_ruleset_free(rs);
	}
}

static void two_views(struct np_cluster *c)
{
	uint64_t want[FZ_MAX_PODS], got[FZ_MAX_PODS];
	char *names = NULL, *pes = NULL, *ids[FZ_MAX_PODS], *save = NULL;
	NP_OPTS(np_load_opts, o, .format = NP_FORMAT_YAML);
	struct np_diag d;
	size_t n = 0, i;
	char *l;
	int err;

	if (np_cluster_count(c, NP_KIND_POD) > FZ_MAX_PODS ||
	    np_cluster_names(c, NP_KIND_POD, &names))
		goto out;
	for (l = strtok_r(names, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		ids[n++] = l;
	hashes(c, NP_SOURCE_POLICIES, want, ids, n);
	if (np_cluster_endpoints(c, NP_FORMAT_YAML, &pes, NULL))
		goto out;
	err = np_cluster_load_buffer(c, pes, strlen(pes), "endpoints", &o, &d);
	FZ_CHECK(err == 0);
	hashes(c, NP_SOURCE_ENDPOINTS, got, ids, n);
	for (i = 0; i < n; i++) {
		if (want[i] != got[i])
			fprintf(stderr, "%s: policies and endpoints disagree\n",
				ids[i]);
		FZ_CHECK(want[i] == got[i]);
	}
	FZ_TRACE("policyendpoint: %zu pods, two views agree\n", n);
out:
	np_free(pes);
	np_free(names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_cluster *c = NULL;
	struct np_obj **pes = NULL;
	size_t npes = 0, i, j, n = 0;
	NP_OPTS(np_cluster_opts, co, .log = fz_log);

	FZ_CHECK(np_cluster_new(&c, &co) == 0);
	if (fz_load(c, data, size, NP_FORMAT_AUTO, 1))
		goto out;
	if (!np_cluster_count(c, NP_KIND_POLICY_ENDPOINT))
		two_views(c);
	FZ_CHECK(np__cluster_sorted(c, NP_KIND_POLICY_ENDPOINT, &pes, &npes) ==
		 0);
	for (i = 0; i < npes && n < FZ_MAX_PODS; i++) {
		const struct np_policyendpoint *pe = &pes[i]->pe;

		for (j = 0; j < pe->npods && n < FZ_MAX_PODS; j++, n++) {
			const char *ns = pe->pods[j].ns ? pe->pods[j].ns :
							  pes[i]->meta.ns;
			struct np_ruleset *rs = NULL;

			/* name is optional in a PolicyEndpoint */
			if (!pe->pods[j].name) {
				FZ_CHECK(np_ruleset_compile(&rs, c, ns, NULL,
							    NULL,
							    NULL) == -EINVAL);
				continue;
			}
			fz_compile_pod(c, ns, pe->pods[j].name,
				       NP_SOURCE_ENDPOINTS);
		}
	}
	free(pes);
	/* pods nothing names: -ENOENT or an unisolated rule set */
	fz_compile_all(c, NP_SOURCE_ENDPOINTS, 8);
	/* and a pod that does not exist */
	fz_compile_pod(c, "no-such-ns", "no-such-pod", NP_SOURCE_ENDPOINTS);
out:
	np_cluster_free(c);
	return 0;
}
