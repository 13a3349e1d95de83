/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Options structs (libnetpol/opts.h), through every public call that takes
 * one: sz too small is -EINVAL, a larger sz with a zero tail is accepted,
 * a non-zero tail is -EINVAL, NULL means defaults.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <netpol.h>

#include "opts.h"

static const char snapshot[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, "
	"labels: {pod: a}}\n"
	"spec: {containers: [{name: c}]}\n"
	"status: {phase: Running, hostIP: 198.19.255.1, podIP: 198.18.0.1}\n"
	"---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x, "
	"labels: {pod: b}}\n"
	"spec: {containers: [{name: c}]}\n"
	"status: {phase: Running, hostIP: 198.19.255.1, podIP: 198.18.0.2}\n"
	"---\n"
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: p, namespace: x}\n"
	"spec: {podSelector: {matchLabels: {pod: a}}, ingress: [{from: "
	"[{ipBlock: {cidr: 10.0.0.0/8}}]}]}\n";

/* An options struct of a newer library: the same, then unknown fields. */
#define BIGGER(type)            \
	struct {                \
		struct type o;  \
		char newer[24]; \
	}

static struct np_cluster *cluster(void)
{
	struct np_cluster *c;

	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	cr_assert_eq(np_cluster_load_buffer(c, snapshot, strlen(snapshot), NULL,
					    NULL, NULL),
		     0);
	return c;
}

static void expect_too_small(const struct np_diag *d, const char *type)
{
	char want[128];

	snprintf(want, sizeof(want), "%s: sz too small", type);
	cr_expect_eq(d->err, -EINVAL);
	cr_expect_str_eq(d->message, want);
}

static void expect_unknown(const struct np_diag *d, const char *type,
			   size_t known)
{
	char want[128];

	snprintf(want, sizeof(want),
		 "%s: unknown non-zero fields past byte %zu", type, known);
	cr_expect_eq(d->err, -EINVAL);
	cr_expect_str_eq(d->message, want);
}

Test(opts, macros)
{
	struct np_compile_opts small_s = { .sz = sizeof(size_t) };
	struct np_compile_opts full_s = { .sz = sizeof(full_s),
					  .source = NP_SOURCE_ENDPOINTS };
	const struct np_compile_opts *none = NULL, *small = &small_s,
				     *full = &full_s, *bigger;
	BIGGER(np_compile_opts) big;

	cr_expect(NP_OPTS_VALID(none, np_compile_opts));
	cr_expect(!NP_OPTS_VALID(small, np_compile_opts));
	cr_expect(NP_OPTS_VALID(full, np_compile_opts));
	cr_expect(!NP_OPTS_HAS(none, source));
	cr_expect(!NP_OPTS_HAS(small, source));
	cr_expect(NP_OPTS_HAS(full, source));
	cr_expect_eq(NP_OPTS_GET(none, source, NP_SOURCE_POLICIES),
		     NP_SOURCE_POLICIES);
	cr_expect_eq(NP_OPTS_GET(full, source, NP_SOURCE_POLICIES),
		     NP_SOURCE_ENDPOINTS);
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	bigger = &big.o;
	cr_expect(NP_OPTS_VALID(bigger, np_compile_opts));
	big.newer[sizeof(big.newer) - 1] = 1;
	cr_expect(!NP_OPTS_VALID(bigger, np_compile_opts));
}

Test(opts, cluster_opts)
{
	struct np_cluster_opts small = { .sz = sizeof(size_t) };
	BIGGER(np_cluster_opts) big;
	struct np_cluster *c = NULL;

	cr_expect_eq(np_cluster_new(&c, &small), -EINVAL);
	cr_expect_null(c);
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	cr_expect_eq(np_cluster_new(&c, &big.o), 0);
	np_cluster_free(c);
	c = NULL;
	big.newer[0] = 1;
	cr_expect_eq(np_cluster_new(&c, &big.o), -EINVAL);
	cr_expect_null(c);
	cr_expect_eq(np_cluster_new(&c, NULL), 0);
	np_cluster_free(c);
}

Test(opts, load_opts)
{
	struct np_load_opts small = { .sz = sizeof(size_t) };
	BIGGER(np_load_opts) big;
	struct np_cluster *c = cluster();
	struct np_diag d;

	cr_expect_eq(np_cluster_load_buffer(c, snapshot, strlen(snapshot), NULL,
					    &small, &d),
		     -EINVAL);
	expect_too_small(&d, "np_load_opts");
	cr_expect_eq(np_cluster_load_file(c, "/nonexistent", &small, &d),
		     -EINVAL);
	expect_too_small(&d, "np_load_opts");
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.o.format = NP_FORMAT_YAML;
	cr_expect_eq(np_cluster_load_buffer(c, snapshot, strlen(snapshot), NULL,
					    &big.o, &d),
		     0);
	big.newer[5] = 1;
	cr_expect_eq(np_cluster_load_buffer(c, snapshot, strlen(snapshot), NULL,
					    &big.o, &d),
		     -EINVAL);
	expect_unknown(&d, "np_load_opts", sizeof(struct np_load_opts));
	cr_expect_eq(np_cluster_load_file(c, "/nonexistent", &big.o, &d),
		     -EINVAL);
	expect_unknown(&d, "np_load_opts", sizeof(struct np_load_opts));
	cr_expect_eq(np_cluster_load_buffer(c, snapshot, strlen(snapshot), NULL,
					    NULL, &d),
		     0);
	np_cluster_free(c);
}

Test(opts, compile_opts)
{
	struct np_compile_opts small = { .sz = sizeof(size_t) };
	BIGGER(np_compile_opts) big;
	struct np_cluster *c = cluster();
	struct np_ruleset *rs = NULL;
	struct np_verdict v;
	struct np_diag d;

	cr_expect_eq(np_ruleset_compile(&rs, c, "x", "a", &small, &d), -EINVAL);
	expect_too_small(&d, "np_compile_opts");
	cr_expect_eq(np_cluster_verdict(c, "x/b", "x/a", NP_PROTOCOL_TCP, 80,
					&small, &v, &d),
		     -EINVAL);
	expect_too_small(&d, "np_compile_opts");
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	cr_expect_eq(np_ruleset_compile(&rs, c, "x", "a", &big.o, &d), 0);
	np_ruleset_free(rs);
	cr_expect_eq(np_cluster_verdict(c, "x/b", "x/a", NP_PROTOCOL_TCP, 80,
					&big.o, &v, &d),
		     0);
	cr_expect(!v.allowed);
	big.newer[23] = 0x80;
	cr_expect_eq(np_ruleset_compile(&rs, c, "x", "a", &big.o, &d), -EINVAL);
	expect_unknown(&d, "np_compile_opts", sizeof(struct np_compile_opts));
	cr_expect_eq(np_cluster_verdict(c, "x/b", "x/a", NP_PROTOCOL_TCP, 80,
					&big.o, &v, &d),
		     -EINVAL);
	expect_unknown(&d, "np_compile_opts", sizeof(struct np_compile_opts));
	cr_expect_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, &d), 0);
	np_ruleset_free(rs);
	cr_expect_eq(np_cluster_verdict(c, "x/b", "x/a", NP_PROTOCOL_TCP, 80,
					NULL, &v, &d),
		     0);
	np_cluster_free(c);
}

Test(opts, matrix_opts)
{
	struct np_matrix_opts small = { .sz = sizeof(size_t) };
	BIGGER(np_matrix_opts) big;
	struct np_cluster *c = cluster();
	struct np_diag d;
	char *out = NULL;

	cr_expect_eq(np_cluster_matrix(c, &small, NP_FORMAT_TEXT, &out, &d),
		     -EINVAL);
	expect_too_small(&d, "np_matrix_opts");
	cr_expect_null(out);
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	cr_expect_eq(np_cluster_matrix(c, &big.o, NP_FORMAT_TEXT, &out, &d), 0);
	np_free(out);
	out = NULL;
	big.newer[1] = 1;
	cr_expect_eq(np_cluster_matrix(c, &big.o, NP_FORMAT_TEXT, &out, &d),
		     -EINVAL);
	expect_unknown(&d, "np_matrix_opts", sizeof(struct np_matrix_opts));
	cr_expect_null(out);
	cr_expect_eq(np_cluster_matrix(c, NULL, NP_FORMAT_TEXT, &out, &d), 0);
	cr_expect_not_null(out);
	np_free(out);
	np_cluster_free(c);
}

Test(opts, mapset_lpm_opts)
{
	struct np_mapset_lpm_opts small = { .sz = sizeof(size_t) };
	BIGGER(np_mapset_lpm_opts) big;
	struct np_mapset_lpm_data out;
	struct np_cluster *c = cluster();
	struct np_ruleset *rs;
	struct np_mapset *ms;

	cr_assert_eq(np_ruleset_compile(&rs, c, "x", "a", NULL, NULL), 0);
	cr_assert_eq(np_mapset_encode(&ms, rs), 0);
	cr_expect_eq(np_mapset_lpm(ms, 4, NP_DIRECTION_INGRESS, &small, &out),
		     -EINVAL);
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.o.layout = NP_LAYOUT_EKS;
	memset(&out, 0xff, sizeof(out));
	cr_expect_eq(np_mapset_lpm(ms, 4, NP_DIRECTION_INGRESS, &big.o, &out),
		     0);
	cr_expect_eq(out.count, 1);
	cr_expect_eq(out.key_size, 8);
	cr_expect_eq(out.reserved[0], 0); /* the library zeroes the tail */
	np_free(out.keys);
	np_free(out.values);
	big.newer[10] = 1;
	cr_expect_eq(np_mapset_lpm(ms, 4, NP_DIRECTION_INGRESS, &big.o, &out),
		     -EINVAL);
	/* defaults: libnetpol's layout, rule-set id 0 */
	cr_expect_eq(np_mapset_lpm(ms, 4, NP_DIRECTION_INGRESS, NULL, &out), 0);
	cr_expect_eq(out.count, 1);
	cr_expect_eq(out.key_size, 12);
	np_free(out.keys);
	np_free(out.values);
	np_mapset_free(ms);
	np_ruleset_free(rs);
	np_cluster_free(c);
}

/*
 * No datapath is opened here: existing_only on an empty pin root answers
 * -ENOENT once the options passed (a build without the datapath too).
 */
Test(opts, datapath_opts)
{
	char root[] = "/tmp/np-opts-XXXXXX";
	char missing[64];
	struct np_datapath_opts small = { .sz = sizeof(size_t) };
	BIGGER(np_datapath_opts) big;
	struct np_datapath *dp = NULL;

	cr_assert_not_null(mkdtemp(root));
	snprintf(missing, sizeof(missing), "%s/none", root);
	small.existing_only = true;
	cr_expect_eq(np_datapath_open(&dp, &small), -EINVAL);
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.o.pin_root = missing;
	big.o.existing_only = true;
	cr_expect_eq(np_datapath_open(&dp, &big.o), -ENOENT);
	big.newer[0] = 1;
	cr_expect_eq(np_datapath_open(&dp, &big.o), -EINVAL);
	cr_expect_null(dp);
	rmdir(root);
	/* NULL would load the datapath: covered by the integration suites */
}

/* Without a handle, the options are still checked first. */
Test(opts, attach_opts)
{
	struct np_attach_opts small = { .sz = sizeof(size_t) };
	BIGGER(np_attach_opts) big;
	struct np_diag d;
	int err;

	cr_expect_eq(np_datapath_attach(NULL, &small, &d), -EINVAL);
	expect_too_small(&d, "np_attach_opts");
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.o.ifname = "lo";
	err = np_datapath_attach(NULL, &big.o, &d);
	cr_expect(err == -EINVAL || err == -ENOTSUP);
	cr_expect(strncmp(d.message, "np_attach_opts", 14), "%s", d.message);
	big.newer[7] = 1;
	cr_expect_eq(np_datapath_attach(NULL, &big.o, &d), -EINVAL);
	expect_unknown(&d, "np_attach_opts", sizeof(struct np_attach_opts));
	err = np_datapath_attach(NULL, NULL, &d);
	cr_expect(err == -EINVAL || err == -ENOTSUP);
	cr_expect(strncmp(d.message, "np_attach_opts", 14), "%s", d.message);
}
