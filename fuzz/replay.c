// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Replay driver: runs LLVMFuzzerTestOneInput on every file named on the
 * command line, or found (recursively, in sorted order) in a directory
 * named there, so each corpus file is a regression test in builds without
 * libFuzzer. Prints TAP: one line per file. A crash ends the process, so
 * meson reports the test failed, and the last "# running" line names the
 * file.
 *
 *   replay_yaml fuzz/corpus/yaml [more files or directories...]
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Optional in a harness, as in libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct files {
	char **v;
	size_t n, cap;
};

static int add(struct files *f, const char *path)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		char **v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n] = strdup(path);
	return f->v[f->n++] ? 0 : -ENOMEM;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect(struct files *f, const char *path, int depth)
{
	struct dirent *de;
	struct stat st;
	char sub[4096];
	DIR *d;
	int err = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? add(f, path) : 0;
	if (depth > 8)
		return 0;
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		err = collect(f, sub, depth + 1);
	}
	closedir(d);
	return err;
}

/* The whole file in a buffer of exactly its size, for ASan. */
static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET))
		goto out;
	buf = malloc(len ? (size_t)len : 1);
	if (buf && len && fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	*size = (size_t)len;
out:
	fclose(fp);
	return buf;
}

int main(int argc, char **argv)
{
	struct files f = { 0 };
	size_t i, bad = 0;
	int a;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (a = 1; a < argc; a++)
		if (collect(&f, argv[a], 0))
			return 1;
	if (f.n)
		qsort(f.v, f.n, sizeof(*f.v), cmp);
	printf("TAP version 13\n1..%zu\n", f.n);
	if (!f.n)
		printf("# no input files\n");
	for (i = 0; i < f.n; i++) {
		size_t size = 0;
		uint8_t *buf;

		printf("# running %s\n", f.v[i]);
		fflush(stdout);
		buf = slurp(f.v[i], &size);
		if (!buf) {
			printf("not ok %zu - %s: cannot read\n", i + 1, f.v[i]);
			bad++;
		} else {
			LLVMFuzzerTestOneInput(buf, size);
			printf("ok %zu - %s\n", i + 1, f.v[i]);
		}
		fflush(stdout);
		free(buf);
		free(f.v[i]);
	}
	free(f.v);
	return bad ? 1 : 0;
}
