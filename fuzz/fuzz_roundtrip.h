/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The parse targets' oracle: whatever a load accepted exports, and the
 * export loads back into the same objects (export, load, export gives the
 * same text), as np_cluster_export() promises.
 */
#ifndef NP_FUZZ_ROUNDTRIP_H
#define NP_FUZZ_ROUNDTRIP_H

#include "fuzz.h"

static void fz_roundtrip(struct np_cluster *c, enum np_format fmt)
{
	int k;

	for (k = 0; k < NP_KIND__MAX; k++) {
		struct np_cluster *c2 = NULL;
		char *a = NULL, *b = NULL;
		struct np_diag d;
		NP_OPTS(np_load_opts, o, .format = fmt);
		int err;

		if (!np_cluster_count(c, (enum np_kind)k))
			continue;
		err = np_cluster_export(c, (enum np_kind)k, fmt, &a);
		FZ_CHECK(err == 0);
		FZ_CHECK(np_cluster_new(&c2, NULL) == 0);
		err = np_cluster_load_buffer(c2, a, strlen(a), "export", &o,
					     &d);
		if (err) {
			fz_diag(&d);
			fprintf(stderr,
				"export does not load back: %s: %s\n"
				"%s\n",
				d.path, d.message, a);
		}
		FZ_CHECK(err == 0);
		FZ_CHECK(np_cluster_count(c2, (enum np_kind)k) ==
			 np_cluster_count(c, (enum np_kind)k));
		FZ_CHECK(np_cluster_export(c2, (enum np_kind)k, fmt, &b) == 0);
		if (strcmp(a, b))
			fprintf(stderr,
				"export changes on reload:\n%s\n---\n"
				"%s\n",
				a, b);
		FZ_CHECK(!strcmp(a, b));
		np_free(a);
		np_free(b);
		np_cluster_free(c2);
	}
}

/* Load as fmt; whatever was accepted must round-trip in both formats. */
static int fz_parse_target(const uint8_t *data, size_t size, enum np_format fmt)
{
	struct np_cluster *c = NULL;
	char *names = NULL;
	int err, k;

	NP_OPTS(np_cluster_opts, co, .log = fz_log);
	FZ_CHECK(np_cluster_new(&c, &co) == 0);
	/* all or nothing first: on failure nothing may be applied */
	err = fz_load(c, data, size, fmt, 0);
	for (k = 0; err && k < NP_KIND__MAX; k++)
		FZ_CHECK(!np_cluster_count(c, (enum np_kind)k));
	if (err) {
		/* then skipping the invalid objects */
		err = fz_load(c, data, size, fmt, 1);
	}
	if (!err) {
		for (k = 0; k < NP_KIND__MAX; k++) {
			FZ_CHECK(np_cluster_names(c, (enum np_kind)k, &names) ==
				 0);
			np_free(names);
		}
		fz_roundtrip(c, NP_FORMAT_YAML);
		fz_roundtrip(c, NP_FORMAT_JSON);
	}
	np_cluster_free(c);
	return 0;
}

#endif /* NP_FUZZ_ROUNDTRIP_H */
