// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Golden tests: for each tests/data/golden/<case>/input.yaml, the
 * PolicyEndpoints, every pod's rule set, and every pod's map bytes (both
 * layouts, hex) must equal the files under <case>/expected/. TAP output.
 * A case whose input lives elsewhere (the Stars demo: examples/stars) has
 * <case>/inputs instead: one path per line, relative to <case>, loaded in
 * order into one cluster ('#' lines are comments).
 * NP_GOLDEN_UPDATE=1 rewrites the expected files (review the diff!).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <netpol.h>

struct buf {
	char *s;
	size_t len, cap;
};

static void bput(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static void hex(struct buf *b, const void *p, size_t n)
{
	const unsigned char *c = p;
	char h[3];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(h, sizeof(h), "%02x", c[i]);
		bput(b, h);
	}
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	bput(&b, "");
	while ((n = fread(chunk, 1, sizeof(chunk) - 1, f)) > 0) {
		chunk[n] = '\0';
		bput(&b, chunk);
	}
	fclose(f);
	return b.s;
}

static int maps_of(struct np_cluster *c, const char *ns, const char *name,
		   struct buf *out)
{
	static const char *const dirs[] = { "ingress", "egress" };
	struct np_ruleset *rs;
	struct np_mapset *ms;
	char line[512];
	int fam, d, lay, err;

	err = np_ruleset_compile(&rs, c, ns, name, NULL, NULL);
	if (err)
		return err;
	err = np_mapset_encode(&ms, rs);
	np_ruleset_free(rs);
	if (err)
		return err;
	snprintf(line, sizeof(line), "pod %s/%s\n", ns, name);
	bput(out, line);
	for (d = 0; d < 2; d++)
		for (fam = 4; fam <= 6; fam += 2)
			for (lay = 0; lay < 2; lay++) {
				NP_OPTS(np_mapset_lpm_opts, lo, .layout = lay,
					.ruleset_id = 1);
				struct np_mapset_lpm_data ld;
				void *k, *v;
				size_t ks, vs, n, i;

				err = np_mapset_lpm(ms, fam, d, &lo, &ld);
				if (err)
					goto out;
				k = ld.keys;
				v = ld.values;
				ks = ld.key_size;
				vs = ld.value_size;
				n = ld.count;
				for (i = 0; i < n; i++) {
					snprintf(line, sizeof(line),
						 "%s v%d %s key=", dirs[d], fam,
						 lay ? "eks" : "netpol");
					bput(out, line);
					hex(out, (char *)k + i * ks, ks);
					bput(out, " value=");
					hex(out, (char *)v + i * vs, vs);
					bput(out, "\n");
				}
				np_free(k);
				np_free(v);
			}
	{
		void *sets;
		size_t ss, n, i;

		err = np_mapset_portsets(ms, &sets, &ss, &n);
		if (err)
			goto out;
		for (i = 0; i < n; i++) {
			snprintf(line, sizeof(line), "portset %zu ", i);
			bput(out, line);
			hex(out, (char *)sets + i * ss, ss);
			bput(out, "\n");
		}
		np_free(sets);
	}
out:
	np_mapset_free(ms);
	return err;
}

/* Compare (or with update, write) one expected file. */
static int check(const char *dir, const char *file, const char *got,
		 bool update, int *n, const char *cas)
{
	char path[4096];
	char *want;
	int ok;

	snprintf(path, sizeof(path), "%s/expected/%s", dir, file);
	if (update) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/expected", dir);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/expected/%s", dir, file);
		f = fopen(path, "w");
		if (!f || fputs(got, f) < 0 || fclose(f))
			return -errno;
	}
	want = slurp(path);
	ok = want && !strcmp(want, got);
	printf("%s %d - %s %s\n", ok ? "ok" : "not ok", ++*n, cas, file);
	if (!ok && want) {
		size_t i = 0, line = 1;

		while (want[i] && want[i] == got[i])
			line += want[i++] == '\n';
		printf("# first difference at line %zu\n", line);
	} else if (!ok) {
		printf("# missing %s\n", path);
	}
	free(want);
	return ok ? 0 : 1;
}

/* Load <dir>/inputs (when present) or <dir>/input.yaml into c. */
static int load_case(struct np_cluster *c, const char *dir,
		     struct np_diag *diag)
{
	char path[4096], *list, *line, *save = NULL;
	int err = 0;

	snprintf(path, sizeof(path), "%s/inputs", dir);
	list = slurp(path);
	if (!list) {
		snprintf(path, sizeof(path), "%s/input.yaml", dir);
		return np_cluster_load_file(c, path, NULL, diag);
	}
	for (line = strtok_r(list, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		err = np_cluster_load_file(c, path, NULL, diag);
	}
	free(list);
	return err;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : "tests/data/golden";
	bool update = getenv("NP_GOLDEN_UPDATE") != NULL;
	char *names[256];
	int n = 0, nc = 0, failed = 0, i;
	struct dirent *de;
	DIR *d = opendir(root);

	if (!d) {
		printf("Bail out! cannot open %s\n", root);
		return 1;
	}
	while ((de = readdir(d)) && nc < 256)
		if (de->d_name[0] != '.')
			names[nc++] = strdup(de->d_name);
	closedir(d);
	qsort(names, (size_t)nc, sizeof(*names), cmp);
	printf("TAP version 13\n1..%d\n", nc * 3);
	for (i = 0; i < nc; i++) {
		char dir[2048], *text, *pods, *line, *save = NULL;
		struct buf rules = { 0 }, maps = { 0 };
		struct np_cluster *c;
		struct np_diag diag;

		snprintf(dir, sizeof(dir), "%s/%s", root, names[i]);
		np_cluster_new(&c, NULL);
		if (load_case(c, dir, &diag)) {
			printf("not ok %d - %s load: %s\n", ++n, names[i],
			       diag.message);
			n += 2;
			printf("not ok %d - %s\nnot ok %d - %s\n", n - 1,
			       names[i], n, names[i]);
			failed += 3;
			np_cluster_free(c);
			continue;
		}
		if (np_cluster_endpoints(c, NP_FORMAT_YAML, &text, NULL))
			text = strdup("error\n");
		failed += check(dir, "endpoints.yaml", text, update, &n,
				names[i]);
		np_free(text);
		bput(&rules, "");
		bput(&maps, "");
		np_cluster_names(c, NP_KIND_POD, &pods);
		for (line = strtok_r(pods, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			struct np_ruleset *rs;
			char *slash = strchr(line, '/'), *out;

			*slash = '\0';
			if (np_ruleset_compile(&rs, c, line, slash + 1, NULL,
					       &diag)) {
				bput(&rules, "error: ");
				bput(&rules, diag.message);
				bput(&rules, "\n");
				continue;
			}
			np_ruleset_export(rs, NP_FORMAT_YAML, &out);
			bput(&rules, "---\n");
			bput(&rules, out);
			np_free(out);
			np_ruleset_free(rs);
			maps_of(c, line, slash + 1, &maps);
		}
		np_free(pods);
		failed += check(dir, "rulesets.yaml", rules.s, update, &n,
				names[i]);
		failed += check(dir, "maps.txt", maps.s, update, &n, names[i]);
		free(rules.s);
		free(maps.s);
		free(names[i]);
		np_cluster_free(c);
	}
	return failed ? 1 : 0;
}
