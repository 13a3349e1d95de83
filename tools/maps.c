/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol maps: a pod's eBPF map contents from the manifests alone, in
 * libnetpol's layout (np_mapset_export) or the EKS agent's
 * (--layout eks: ingress_map / egress_map and, for a rule set with
 * ClusterNetworkPolicy tiers, cp_ingress_map / cp_egress_map, from
 * np_mapset_lpm). --diff: the maps from the policies against the maps from
 * the endpoints, read alone as the agent does: the PolicyEndpoints and
 * ClusterPolicyEndpoints in the files (a controller's output), or, when
 * the files have none, those the policies resolve into
 * (np_cluster_endpoints); "- / + / ~ MAP KEY" lines, exit 1 when they
 * differ.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"

/* The maps of one layout: [map][family][dir]. */
struct eks_maps {
	struct np_mapset_lpm_data d[2][2][2];
};

static const char *const map_names[2][2] = {
	{ "ingress_map", "egress_map" },
	{ "cp_ingress_map", "cp_egress_map" },
};

static void eks_free(struct eks_maps *m)
{
	int i, f, d;

	for (i = 0; i < 2; i++)
		for (f = 0; f < 2; f++)
			for (d = 0; d < 2; d++) {
				np_free(m->d[i][f][d].keys);
				np_free(m->d[i][f][d].values);
			}
}

static int eks_get(const struct np_mapset *ms, struct eks_maps *m)
{
	int i, f, d, err = 0;

	memset(m, 0, sizeof(*m));
	for (i = 0; !err && i < 2; i++)
		for (f = 0; !err && f < 2; f++)
			for (d = 0; !err && d < 2; d++) {
				NP_OPTS(np_mapset_lpm_opts, o,
					.layout = i ? NP_LAYOUT_EKS_CP :
						      NP_LAYOUT_EKS);

				err = np_mapset_lpm(ms, f ? 6 : 4, d, &o,
						    &m->d[i][f][d]);
			}
	if (err)
		eks_free(m);
	return err;
}

static uint32_t u32_at(const void *p, size_t i)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)p + 4 * i, 4);
	return v;
}

static void key_text(const struct np_mapset_lpm_data *d, size_t i, int f,
		     char *buf, size_t size)
{
	const uint8_t *k = (const uint8_t *)d->keys + i * d->key_size;
	char a[INET6_ADDRSTRLEN];

	inet_ntop(f ? AF_INET6 : AF_INET, k + 4, a, sizeof(a));
	snprintf(buf, size, "%s/%u", a, u32_at(k, 0));
}

static const char *proto_text(uint32_t p, char buf[8])
{
	if (p == 254)
		return "ANY";
	return tool_ip_proto_name(p, buf);
}

static void ports_text(FILE *out, uint32_t start, uint32_t end)
{
	if (!start)
		return;
	if (end)
		fprintf(out, " %u-%u", start, end);
	else
		fprintf(out, " %u", start);
}

/* One value as text: the agent's slots, empty ones left out. */
static void value_text(FILE *out, const struct np_mapset_lpm_data *d, size_t i,
		       bool cp)
{
	const uint8_t *v = (const uint8_t *)d->values + i * d->value_size;
	size_t nslot = d->value_size / (cp ? 16 : 12), s, w = cp ? 4 : 3;
	bool any = false;
	char pb[8];

	for (s = 0; s < nslot; s++) {
		uint32_t p = u32_at(v, s * w),
			 prio = cp ? u32_at(v, s * w + 1) : 0;
		uint32_t start = u32_at(v, s * w + w - 2);
		uint32_t end = u32_at(v, s * w + w - 1);

		if (!p && !prio && !start && !end)
			continue;
		fprintf(out, "%s", any ? ", " : " ");
		any = true;
		if (!cp && p == 255) {
			fprintf(out, "deny");
			continue;
		}
		fprintf(out, "%s", proto_text(p, pb));
		ports_text(out, start, end);
		if (cp)
			fprintf(out, " %s@%u",
				prio % 10 == 0 ? "Deny" :
				prio % 10 == 1 ? "Accept" :
						 "Pass",
				prio / 10);
	}
	if (!any)
		fprintf(out, cp ? " (no slot: %s decides)" : " (empty)",
			cp ? "the ingress_map/egress_map key" : "");
}

static void eks_text(const struct eks_maps *m)
{
	char kb[64];
	size_t i;
	int map, f, d;

	for (map = 0; map < 2; map++)
		for (d = 0; d < 2; d++) {
			printf("%s\n", map_names[map][d]);
			for (f = 0; f < 2; f++) {
				const struct np_mapset_lpm_data *x =
					&m->d[map][f][d];

				for (i = 0; i < x->count; i++) {
					key_text(x, i, f, kb, sizeof(kb));
					printf("  Key : %s  Value :", kb);
					value_text(stdout, x, i, map);
					putchar('\n');
				}
			}
		}
}

static void eks_json(const struct eks_maps *m)
{
	char kb[64];
	size_t i, s;
	int map, f, d;

	printf("{");
	for (map = 0; map < 2; map++)
		for (d = 0; d < 2; d++) {
			printf("%s\n  \"%s\": [", map || d ? "," : "",
			       map_names[map][d]);
			for (f = 0; f < 2; f++) {
				const struct np_mapset_lpm_data *x =
					&m->d[map][f][d];
				size_t w = map ? 4 : 3;

				for (i = 0; i < x->count; i++) {
					const uint8_t *v =
						(const uint8_t *)x->values +
						i * x->value_size;
					bool first = true;

					key_text(x, i, f, kb, sizeof(kb));
					printf("%s\n    {\"key\": \"%s\", "
					       "\"slots\": [",
					       f || i ? "," : "", kb);
					for (s = 0; s < 24; s++) {
						uint32_t p = u32_at(v, s * w);

						if (!p &&
						    !u32_at(v, s * w + 1) &&
						    !u32_at(v, s * w + w - 1))
							continue;
						printf("%s{\"protocol\": %u, ",
						       first ? "" : ", ", p);
						first = false;
						if (map)
							printf("\"priority\": %u, ",
							       u32_at(v,
								      s * w + 1));
						printf("\"start_port\": %u, "
						       "\"end_port\": %u}",
						       u32_at(v, s * w + w - 2),
						       u32_at(v,
							      s * w + w - 1));
					}
					printf("]}");
				}
			}
			printf("\n  ]");
		}
	printf("\n}\n");
}

static int keycmp(const struct np_mapset_lpm_data *a, size_t i,
		  const struct np_mapset_lpm_data *b, size_t j)
{
	return memcmp((const uint8_t *)a->keys + i * a->key_size,
		      (const uint8_t *)b->keys + j * b->key_size, a->key_size);
}

/* Differences of two EKS map sets, "- / + / ~ map key" lines. */
static size_t eks_diff(const struct eks_maps *a, const struct eks_maps *b)
{
	char kb[64];
	size_t n = 0, i, j, k;
	int map, f, d;

	for (map = 0; map < 2; map++)
		for (d = 0; d < 2; d++)
			for (f = 0; f < 2; f++) {
				const struct np_mapset_lpm_data *x =
					&a->d[map][f][d];
				const struct np_mapset_lpm_data *y =
					&b->d[map][f][d];

				for (i = 0; i < x->count; i++) {
					for (j = 0; j < y->count; j++)
						if (!keycmp(x, i, y, j))
							break;
					key_text(x, i, f, kb, sizeof(kb));
					if (j == y->count) {
						printf("- %s %s\n",
						       map_names[map][d], kb);
						n++;
					} else if (
						memcmp((const uint8_t
								*)x->values +
							       i * x->value_size,
						       (const uint8_t
								*)y->values +
							       j * y->value_size,
						       x->value_size)) {
						printf("~ %s %s\n",
						       map_names[map][d], kb);
						n++;
					}
				}
				for (j = 0; j < y->count; j++) {
					for (k = 0; k < x->count; k++)
						if (!keycmp(x, k, y, j))
							break;
					if (k < x->count)
						continue;
					key_text(y, j, f, kb, sizeof(kb));
					printf("+ %s %s\n", map_names[map][d],
					       kb);
					n++;
				}
			}
	return n;
}

/* The pod's map set from cluster c. */
static int pod_maps(struct np_cluster *c, const char *ns, const char *name,
		    const struct np_compile_opts *o, struct np_mapset **ms)
{
	struct np_ruleset *rs = NULL;
	struct np_diag d;
	int err;

	*ms = NULL;
	err = np_ruleset_compile(&rs, c, ns, name, o, &d);
	if (err) {
		tool_print_diag(&d);
		return err;
	}
	err = np_mapset_encode(ms, rs);
	np_ruleset_free(rs);
	return err ? tool_fail_pod(ns, name, err) : 0;
}

/* The agent's view of c: its endpoints loaded alone. */
static int endpoints_view(struct np_cluster *c, struct np_cluster **out)
{
	NP_OPTS(np_cluster_opts, co, .log = tool_log);
	struct np_diag d;
	char *text = NULL;
	int err;

	*out = NULL;
	err = np_cluster_endpoints(c, NP_FORMAT_JSON, &text, &d);
	if (!err)
		err = np_cluster_new(out, &co);
	if (!err)
		err = np_cluster_load_buffer(*out, text, strlen(text),
					     "endpoints", NULL, &d);
	if (err)
		tool_print_diag(&d);
	np_free(text);
	return err;
}

static int maps_diff(struct np_cluster *c, const char *ns, const char *name,
		     bool eks)
{
	NP_OPTS(np_compile_opts, eo, .source = NP_SOURCE_ENDPOINTS);
	struct np_mapset *a = NULL, *b = NULL;
	struct np_cluster *e = NULL;
	struct np_mapset_diff_stats st;
	struct eks_maps ma, mb;
	size_t n = 0;
	char *text;
	int err;

	err = pod_maps(c, ns, name, NULL, &a);
	/* the endpoints given (a controller's output), else resolved */
	if (!err && (np_cluster_count(c, NP_KIND_POLICY_ENDPOINT) ||
		     np_cluster_count(c, NP_KIND_CLUSTER_POLICY_ENDPOINT)))
		err = pod_maps(c, ns, name, &eo, &b);
	else if (!err)
		err = endpoints_view(c, &e);
	if (!err && e)
		err = pod_maps(e, ns, name, &eo, &b);
	if (!err && !eks) {
		err = np_mapset_diff(a, b, &st, &text);
		if (!err) {
			fputs(text, stdout);
			np_free(text);
			n = st.added + st.changed + st.removed;
		}
	} else if (!err) {
		err = eks_get(a, &ma);
		if (!err) {
			err = eks_get(b, &mb);
			if (!err) {
				n = eks_diff(&ma, &mb);
				eks_free(&mb);
			}
			eks_free(&ma);
		}
	}
	np_mapset_free(a);
	np_mapset_free(b);
	np_cluster_free(e);
	if (err) {
		fprintf(stderr, "netpol: maps: %s\n", np_strerror(err));
		return 2;
	}
	return n ? 1 : 0;
}

int cmd_maps(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", 1, 0, 'o' }, { "pod", 1, 0, 'p' },
		{ "source", 1, 0, 's' }, { "layout", 1, 0, 'l' },
		{ "diff", 0, 0, 'd' },	 { 0, 0, 0, 0 }
	};
	NP_OPTS(np_compile_opts, copts);
	enum np_format fmt = NP_FORMAT_TEXT;
	struct np_cluster *c = NULL;
	struct np_mapset *ms = NULL;
	const char *pod = NULL;
	char ns[256], name[256], *out;
	bool eks = false, diff = false;
	struct eks_maps m;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:p:s:l:d", lo, NULL)) != -1) {
		switch (opt) {
		case 'o':
			switch (tool_enum("-o", V_FMT_TEXT_JSON, optarg)) {
			case 0:
				fmt = NP_FORMAT_TEXT;
				break;
			case 1:
				fmt = NP_FORMAT_JSON;
				break;
			default:
				return 2;
			}
			break;
		case 'p':
			pod = optarg;
			break;
		case 's':
			if (tool_parse_source(optarg, &copts.source))
				return 2;
			break;
		case 'l':
			switch (tool_enum("--layout", V_LAYOUT, optarg)) {
			case 0:
				eks = false;
				break;
			case 1:
				eks = true;
				break;
			default:
				return 2;
			}
			break;
		case 'd':
			diff = true;
			break;
		default:
			goto usage;
		}
	}
	if (!pod) {
		fprintf(stderr, "netpol: maps: --pod is required\n");
		goto usage;
	}
	if (tool_split_name(pod, ns, sizeof(ns), name, sizeof(name)))
		return tool_bad_value("--pod", pod, "NS/NAME");
	if (tool_load_args(&c, argc, argv))
		return 2;
	if (diff) {
		err = maps_diff(c, ns, name, eks);
		np_cluster_free(c);
		return err;
	}
	err = pod_maps(c, ns, name, &copts, &ms);
	if (!err && !eks) {
		err = np_mapset_export(ms, fmt, &out);
		if (!err) {
			fputs(out, stdout);
			np_free(out);
		} else {
			tool_fail_pod(ns, name, err);
		}
	} else if (!err) {
		err = eks_get(ms, &m);
		if (!err) {
			if (fmt == NP_FORMAT_JSON)
				eks_json(&m);
			else
				eks_text(&m);
			eks_free(&m);
		} else {
			fprintf(stderr, "netpol: maps: %s\n", np_strerror(err));
		}
	}
	np_mapset_free(ms);
	np_cluster_free(c);
	return err ? 2 : 0;
usage:
	return tool_usage();
}
