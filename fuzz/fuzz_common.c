// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What several harnesses do with a loaded cluster. */
#include <errno.h>

#include "fuzz.h"
#include "mapset.h"

int fz_load(struct np_cluster *c, const void *data, size_t size,
	    enum np_format fmt, int skip)
{
	size_t ndiag = 0;
	struct np_diag d;
	NP_OPTS(np_load_opts, o, .skip_invalid = skip, .format = fmt,
		.on_diag = fz_on_diag, .diag_ctx = &ndiag);
	int err;

	memset(&d, 0xa5, sizeof(d));
	err = np_cluster_load_buffer(c, data, size, "fuzz", &o, &d);
	FZ_CHECK(fz_expected_err(err));
	if (err) {
		FZ_CHECK(d.err == err);
		fz_diag(&d);
	}
	/* with skip_invalid only a syntax error or a limit fails the call */
	if (skip && err)
		FZ_CHECK(err == -EINVAL || err == -E2BIG || err == -ENOMEM);
	return err;
}

static void fz_lpm(const struct np_mapset *ms, int family,
		   enum np_direction dir, enum np_layout layout)
{
	NP_OPTS(np_mapset_lpm_opts, o, .layout = layout, .ruleset_id = 7);
	struct np_mapset_lpm_data d = { 0 };
	void *keys, *values;
	size_t ksz, vsz, n;
	int err;

	err = np_mapset_lpm(ms, family, dir, &o, &d);
	/* what the agent's slots cannot say exactly is refused */
	if (err == -ENOTSUP && layout != NP_LAYOUT_NETPOL)
		return;
	FZ_CHECK(err == 0);
	keys = d.keys;
	values = d.values;
	ksz = d.key_size;
	vsz = d.value_size;
	n = d.count;
	/* the cp map: every key, and a /0 where the rule set has none */
	if (layout == NP_LAYOUT_EKS_CP)
		FZ_CHECK(n <= np_mapset_count(ms, family, dir) + 1);
	else
		FZ_CHECK(n == np_mapset_count(ms, family, dir));
	if (n) {
		/* touch every byte: ASan checks the sizes */
		volatile uint8_t x = 0;
		size_t i;

		for (i = 0; i < n * ksz; i++)
			x ^= ((uint8_t *)keys)[i];
		for (i = 0; i < n * vsz; i++)
			x ^= ((uint8_t *)values)[i];
		(void)x;
	}
	np_free(keys);
	np_free(values);
}

/*
 * The keys the loader would write for family fam (0, 1) of direction d:
 * every entry has at least one, each inside its entry and at a length
 * the rule set's lengths list (when it uses the per-length hash), sorted
 * by address then length, none twice.
 */
static void fz_kkeys(const struct np_mapset *ms, int fam, int d)
{
	unsigned int host = fam ? 128 : 32, b;
	struct np_rs_plens m;
	struct np_kkey *k;
	uint8_t *seen;
	size_t n, i, j;

	FZ_CHECK(np__mapset_plens(ms, d, &m) == 0);
	FZ_CHECK(m.n[fam] <= NP_PLH_MAX);
	FZ_CHECK(np__mapset_kkeys(ms, d, fam, &k, &n) == 0);
	seen = calloc(ms->nent[fam][d] + 1, 1);
	FZ_CHECK(seen);
	for (i = 0; i < n; i++) {
		const struct np_map_entry *e;
		bool listed = !m.n[fam] || k[i].len == host;

		FZ_CHECK(k[i].ent < ms->nent[fam][d]);
		e = &ms->ent[fam][d][k[i].ent];
		seen[k[i].ent] = 1;
		FZ_CHECK(k[i].len >= e->cidr.len && k[i].len <= host);
		for (b = 0; b < e->cidr.len; b++)
			FZ_CHECK(!((k[i].addr[b / 8] ^ e->cidr.addr[b / 8]) &
				   (0x80 >> b % 8)));
		for (j = 0; j < m.n[fam]; j++)
			listed |= m.len[fam][j] == k[i].len;
		FZ_CHECK(listed);
		if (i) {
			int c = memcmp(k[i - 1].addr, k[i].addr, 16);

			FZ_CHECK(c < 0 || (c == 0 && k[i - 1].len < k[i].len));
		}
	}
	for (i = 0; i < ms->nent[fam][d]; i++)
		FZ_CHECK(seen[i]);
	free(seen);
	free(k);
}

void fz_compile_pod(struct np_cluster *c, const char *ns, const char *name,
		    enum np_source source)
{
	NP_OPTS(np_compile_opts, co, .source = source);
	static const enum np_layout layouts[] = { NP_LAYOUT_NETPOL,
						  NP_LAYOUT_EKS,
						  NP_LAYOUT_EKS_CP };
	struct np_mapset_diff_stats st;
	struct np_ruleset *rs = NULL, *rs2 = NULL;
	struct np_mapset *ms = NULL, *ms2 = NULL;
	struct np_verdict v;
	struct np_diag d;
	char *text = NULL;
	void *sets = NULL;
	size_t ssz, sn, l;
	int err, fam, dir;

	err = np_ruleset_compile(&rs, c, ns, name, &co, &d);
	FZ_CHECK(fz_expected_err(err));
	if (err) {
		FZ_CHECK(!rs);
		if (d.err != err)
			fprintf(stderr, "compile %s/%s: %d, diag %d: %s\n",
				ns ? ns : "(null)", name ? name : "(null)", err,
				d.err, d.message);
		FZ_CHECK(d.err == err);
		fz_diag(&d);
		return;
	}
	/* compiling again gives the same rule set */
	err = np_ruleset_compile(&rs2, c, ns, name, &co, NULL);
	FZ_CHECK(err == 0);
	FZ_CHECK(np_ruleset_hash(rs) == np_ruleset_hash(rs2));
	np_ruleset_free(rs2);

	FZ_CHECK(np_ruleset_export(rs, NP_FORMAT_TEXT, &text) == 0);
	np_free(text);
	FZ_CHECK(np_ruleset_export(rs, NP_FORMAT_JSON, &text) == 0);
	np_free(text);
	FZ_CHECK(np_ruleset_export(rs, NP_FORMAT_YAML, &text) == 0);
	np_free(text);

	for (dir = 0; dir < 2; dir++) {
		static const char *const peers[] = {
			"10.0.0.1", "0.0.0.0", "255.255.255.255",
			"::",	    "fd00::1", "::ffff:10.0.0.1",
		};

		for (l = 0; l < sizeof(peers) / sizeof(peers[0]); l++) {
			err = np_ruleset_verdict(rs, (enum np_direction)dir,
						 peers[l], NP_PROTOCOL_TCP,
						 (uint16_t)(80 + l), &v);
			FZ_CHECK(err == 0);
			FZ_CHECK(memchr(v.key, '\0', sizeof(v.key)));
			FZ_CHECK(memchr(v.policies, '\0', sizeof(v.policies)));
		}
	}

	err = np_mapset_encode(&ms, rs);
	FZ_CHECK(fz_expected_err(err));
	if (err)
		goto out;
	for (fam = 4; fam <= 6; fam += 2)
		for (dir = 0; dir < 2; dir++)
			for (l = 0; l < sizeof(layouts) / sizeof(*layouts); l++)
				fz_lpm(ms, fam, (enum np_direction)dir,
				       layouts[l]);
	for (fam = 0; fam < 2; fam++)
		for (dir = 0; dir < 2; dir++)
			fz_kkeys(ms, fam, dir);
	FZ_CHECK(np_mapset_portsets(ms, &sets, &ssz, &sn) == 0);
	np_free(sets);
	FZ_CHECK(np_mapset_export(ms, NP_FORMAT_TEXT, &text) == 0);
	np_free(text);
	FZ_CHECK(np_mapset_export(ms, NP_FORMAT_JSON, &text) == 0);
	np_free(text);
	/* a mapset differs from itself in nothing */
	FZ_CHECK(np_mapset_encode(&ms2, rs) == 0);
	FZ_CHECK(np_mapset_diff(ms, ms2, &st, &text) == 0);
	FZ_CHECK(!st.added && !st.changed && !st.removed);
	np_free(text);
	np_mapset_free(ms2);
	np_mapset_free(ms);
out:
	np_ruleset_free(rs);
}

void fz_compile_all(struct np_cluster *c, enum np_source source, size_t max)
{
	char *names = NULL, *line, *save = NULL;
	size_t n = 0;

	if (np_cluster_names(c, NP_KIND_POD, &names))
		return;
	for (line = strtok_r(names, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save), n++) {
		char *slash = strchr(line, '/');

		FZ_CHECK(slash);
		*slash = '\0';
		fz_compile_pod(c, line, slash + 1, source);
	}
	np_free(names);
}
