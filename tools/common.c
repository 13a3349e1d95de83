/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What more than one netpol command uses: loading manifests, printing
 * diagnostics and log lines, option values (NS/NAME, format, source, IP
 * protocol), opening the datapath (existing only, or loading it), the
 * attached pods and a live rule printed. Calls no command.
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "main.h"

int verbose;
const char *tool_cmd = "netpol";
char tool_usage_text[1024];
bool tool_quiet_warnings;

void tool_log(void *ctx, enum np_log_level lvl, const char *msg)
{
	char esc[4096];

	(void)ctx;
	if ((lvl < NP_LOG_WARN || verbose ||
	     (lvl == NP_LOG_WARN && !tool_quiet_warnings)))
		fprintf(stderr, "netpol: %s\n",
			tool_esc(msg, esc, sizeof(esc)));
}

const char *tool_esc(const char *s, char *buf, size_t size)
{
	/* -E2BIG: cut at a whole character or escape, still terminated */
	if (np_escape(s ? s : "", NP_ESCAPE_TEXT, buf, size, NULL) == -EINVAL &&
	    size)
		buf[0] = '\0';
	return buf;
}

void tool_print_diag(const struct np_diag *d)
{
	char buf[2048], esc[4096];

	np_diag_format(d, buf, sizeof(buf));
	fprintf(stderr, "netpol: %s\n", tool_esc(buf, esc, sizeof(esc)));
}

int tool_fail(const char *what, int err)
{
	char esc[1024];

	if (what)
		fprintf(stderr, "netpol: %s: %s: %s\n", tool_cmd,
			tool_esc(what, esc, sizeof(esc)), np_strerror(err));
	else
		fprintf(stderr, "netpol: %s: %s\n", tool_cmd, np_strerror(err));
	return err;
}

int tool_fail_pod(const char *ns, const char *name, int err)
{
	char pod[512];

	snprintf(pod, sizeof(pod), "%s/%s", ns, name);
	return tool_fail(pod, err);
}

/* A load's problem: one line, no "netpol: " (it starts with file:line). */
static void on_diag(void *ctx, const struct np_diag *d)
{
	char buf[2048], esc[4096];
	size_t *count = ctx;

	np_diag_format(d, buf, sizeof(buf));
	fprintf(stderr, "%s\n", tool_esc(buf, esc, sizeof(esc)));
	if (count)
		(*count)++;
}

int tool_load(struct np_cluster **out, char **files, int nfiles,
	      bool skip_invalid, size_t *problems)
{
	NP_OPTS(np_cluster_opts, copts, .log = tool_log);
	NP_OPTS(np_load_opts, lopts, .skip_invalid = skip_invalid,
		.on_diag = on_diag, .diag_ctx = problems);
	struct np_cluster *c;
	int i, err, ret = 0;

	err = np_cluster_new(&c, &copts);
	if (err) {
		fprintf(stderr, "netpol: %s\n", np_strerror(err));
		return err;
	}
	for (i = 0; i < nfiles; i++) {
		err = np_cluster_load_file(c, files[i], &lopts, NULL);
		if (err && !ret)
			ret = err;
	}
	*out = c;
	return ret;
}

int tool_load_args(struct np_cluster **c, int argc, char **argv)
{
	size_t problems = 0;
	int err;

	if (optind >= argc) {
		fprintf(stderr, "netpol: %s: no input files\n", tool_cmd);
		return -EINVAL;
	}
	err = tool_load(c, argv + optind, argc - optind, true, &problems);
	if (err && err != -EINVAL) {
		np_cluster_free(*c);
		*c = NULL;
		return err;
	}
	return 0;
}

/* --- option values -------------------------------------------------------- */

int tool_split_name(const char *s, char *ns, size_t nsz, char *name,
		    size_t namesz)
{
	const char *slash = strchr(s, '/');

	if (!slash || slash == s || !slash[1])
		return -EINVAL;
	snprintf(ns, nsz, "%.*s", (int)(slash - s), s);
	snprintf(name, namesz, "%s", slash + 1);
	return 0;
}

/* "a, b or c" from "a|b|c". */
void tool_enum_text(const char *values, char *buf, size_t size)
{
	const char *p = values, *bar;
	size_t len = 0;

	buf[0] = '\0';
	while (p && *p && len < size) {
		bar = strchr(p, '|');
		len += (size_t)snprintf(buf + len, size - len, "%s%.*s",
					p == values ? "" :
					bar	    ? ", " :
						      " or ",
					bar ? (int)(bar - p) : (int)strlen(p),
					p);
		p = bar ? bar + 1 : NULL;
	}
}

int tool_enum_index(const char *values, const char *s, bool icase)
{
	const char *p = values, *bar;
	size_t len;
	int i = 0;

	for (; p; p = bar ? bar + 1 : NULL, i++) {
		bar = strchr(p, '|');
		len = bar ? (size_t)(bar - p) : strlen(p);
		if (strlen(s) == len &&
		    !(icase ? strncasecmp(s, p, len) : strncmp(s, p, len)))
			return i;
	}
	return -1;
}

int tool_bad_value(const char *opt, const char *s, const char *expected)
{
	char esc[1024];

	fprintf(stderr, "netpol: %s: %s: invalid value '%s' (expected %s)\n",
		tool_cmd, opt, tool_esc(s, esc, sizeof(esc)), expected);
	return 2;
}

int tool_enum(const char *opt, const char *values, const char *s)
{
	int i = tool_enum_index(values, s, false);
	char e[256];

	if (i < 0) {
		tool_enum_text(values, e, sizeof(e));
		tool_bad_value(opt, s, e);
	}
	return i;
}

int tool_usage(void)
{
	fprintf(stderr, "%sTry 'netpol %s --help' or 'netpol help %s'.\n",
		tool_usage_text, tool_cmd, tool_cmd);
	return 2;
}

int tool_parse_format(const char *s, enum np_format *out)
{
	if (!strcmp(s, "yaml"))
		*out = NP_FORMAT_YAML;
	else if (!strcmp(s, "json"))
		*out = NP_FORMAT_JSON;
	else if (!strcmp(s, "text") || !strcmp(s, "table"))
		*out = NP_FORMAT_TEXT;
	else
		return -EINVAL;
	return 0;
}

int tool_parse_source(const char *s, enum np_source *out)
{
	int i = tool_enum("--source", V_SOURCE, s);

	if (i < 0)
		return -EINVAL;
	*out = i ? NP_SOURCE_ENDPOINTS : NP_SOURCE_POLICIES;
	return 0;
}

/*
 * The IP protocols a flow, a conntrack entry or a rule may carry besides
 * those of a NetworkPolicy (np_protocol_name()).
 */
static const struct {
	const char *name;
	uint8_t num;
} icmp_protos[] = {
	{ "ICMP", IPPROTO_ICMP },
	{ "ICMPv6", IPPROTO_ICMPV6 },
};

int tool_parse_ip_proto(const char *s, uint8_t *out)
{
	enum np_protocol p;
	char *end;
	unsigned long v;
	size_t i;

	if (!np_protocol_parse(s, &p)) {
		*out = (uint8_t)p;
		return 0;
	}
	for (i = 0; i < sizeof(icmp_protos) / sizeof(icmp_protos[0]); i++)
		if (!strcasecmp(s, icmp_protos[i].name)) {
			*out = icmp_protos[i].num;
			return 0;
		}
	v = strtoul(s, &end, 10);
	if (*s && !*end && v >= 1 && v <= 255) {
		*out = (uint8_t)v;
		return 0;
	}
	return -EINVAL;
}

const char *tool_ip_proto_name(unsigned int p, char buf[8])
{
	const char *name = np_protocol_name((enum np_protocol)p);
	size_t i;

	if (name)
		return name;
	for (i = 0; i < sizeof(icmp_protos) / sizeof(icmp_protos[0]); i++)
		if (icmp_protos[i].num == p)
			return icmp_protos[i].name;
	snprintf(buf, 8, "%u", p);
	return buf;
}

const char *tool_name(const char *name)
{
	return name ? name : "?";
}

/* --- JSON ----------------------------------------------------------------- */

json_t *tool_json_str(const char *s)
{
	char esc[4096];

	return json_string(tool_esc(s, esc, sizeof(esc)));
}

json_t *tool_json_u64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

int tool_json_print(json_t *root)
{
	char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;

	json_decref(root);
	if (!text) {
		fprintf(stderr, "netpol: %s: %s\n", tool_cmd,
			np_strerror(-ENOMEM));
		return -ENOMEM;
	}
	puts(text);
	free(text);
	return 0;
}

/* --- the datapath --------------------------------------------------------- */

int dp_option(struct dp_args *a, int opt, const char *arg)
{
	static const enum np_mode modes[] = { NP_MODE_STANDARD,
					      NP_MODE_STRICT };
	int i;

	switch (opt) {
	case 'R':
		a->pin_root = arg;
		return 1;
	case 'm':
		i = tool_enum("--mode", V_MODE, arg);
		if (i < 0)
			return -1;
		a->mode = modes[i];
		return 1;
	case 'N':
		if (a->n_node_ips >= 4) {
			fprintf(stderr,
				"netpol: %s: --node-ip: at most 4 addresses "
				"(two IPv4 and two IPv6)\n",
				tool_cmd);
			return -1;
		}
		a->node_ips[a->n_node_ips++] = arg;
		return 1;
	case DP_OPT_REVOKE:
	case 'S':
		i = tool_enum(opt == DP_OPT_REVOKE ? "--revoke" :
						     "--source-check",
			      V_ONOFF, arg);
		if (i < 0)
			return -1;
		*(opt == DP_OPT_REVOKE ? &a->revoke : &a->source_check) =
			i == 0 ? NP_SWITCH_ON : NP_SWITCH_OFF;
		return 1;
	case DP_OPT_RULE_COUNTERS:
		i = tool_enum("--rule-counters", V_ONOFF, arg);
		if (i < 0)
			return -1;
		a->rule_counters = i == 0 ? NP_SWITCH_ON : NP_SWITCH_OFF;
		return 1;
	}
	return 0;
}

int dp_args_only(int argc, char **argv, const char *cmd, struct dp_args *a)
{
	static const struct option lo[] = { DP_LONGOPTS, { 0, 0, 0, 0 } };
	int opt, r;

	(void)cmd;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		r = dp_option(a, opt, optarg);
		if (r < 0)
			return 2;
		if (!r)
			return tool_usage();
	}
	if (optind < argc) {
		char esc[256];

		fprintf(stderr, "netpol: %s: unexpected argument '%s'\n",
			tool_cmd, tool_esc(argv[optind], esc, sizeof(esc)));
		return tool_usage();
	}
	return 0;
}

static int open_datapath(struct np_datapath **dp, const struct dp_args *a,
			 bool existing_only, np_log_fn log, void *ctx)
{
	NP_OPTS(np_datapath_opts, o, .pin_root = a->pin_root, .mode = a->mode,
		.log = log, .log_ctx = ctx, .node_ips = a->node_ips,
		.n_node_ips = a->n_node_ips, .existing_only = existing_only,
		.ct_size = a->ct_size, .revoke = a->revoke,
		.source_check = a->source_check);
	int err;

	if (existing_only && (a->n_node_ips || a->revoke || a->source_check ||
			      a->rule_counters)) {
		fprintf(stderr,
			"netpol: --node-ip, --revoke, --source-check and "
			"--rule-counters change the node: use them with "
			"attach or apply, not with a command that reads\n");
		return -EINVAL;
	}
	err = np_datapath_open(dp, &o);
	if (!err && a->rule_counters) {
		err = np_datapath_set_rule_counters(*dp, a->rule_counters ==
								 NP_SWITCH_ON);
		if (err) {
			fprintf(stderr,
				"netpol: --rule-counters: cannot switch: %s\n",
				np_strerror(err));
			np_datapath_close(*dp);
			*dp = NULL;
			return err;
		}
	}
	if (err == -ENOENT && existing_only)
		fprintf(stderr, "netpol: no datapath under %s\n",
			a->pin_root && *a->pin_root ? a->pin_root :
						      DEFAULT_PIN_ROOT);
	else if (err)
		fprintf(stderr, "netpol: cannot open the datapath: %s\n",
			np_strerror(err));
	return err;
}

int dp_open(struct np_datapath **dp, const struct dp_args *a)
{
	return open_datapath(dp, a, false, tool_log, NULL);
}

int dp_open_existing(struct np_datapath **dp, const struct dp_args *a)
{
	return open_datapath(dp, a, true, tool_log, NULL);
}

int dp_open_log(struct np_datapath **dp, const struct dp_args *a, np_log_fn log,
		void *ctx)
{
	return open_datapath(dp, a, false, log, ctx);
}

int dp_load_open(char **files, int nfiles,
		 int (*open)(struct np_datapath **, const struct dp_args *),
		 const struct dp_args *a, struct np_cluster **c,
		 size_t *problems, struct np_datapath **dp)
{
	int err = nfiles ? tool_load(c, files, nfiles, true, problems) : 0;

	/* -EINVAL: some objects were invalid, the valid ones are kept */
	if ((!err || err == -EINVAL) && !open(dp, a))
		return 0;
	np_cluster_free(*c);
	*c = NULL;
	return 2;
}

/* --- the attached pods ---------------------------------------------------- */

int pod_list_collect(void *ctx, const struct np_datapath_pod *p)
{
	struct pod_list *l = ctx;
	size_t i;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct np_datapath_pod *v = realloc(l->v, cap * sizeof(*v));
		char(*ns)[256], (*name)[256];

		if (v)
			l->v = v;
		ns = realloc(l->ns, cap * sizeof(*ns));
		if (ns)
			l->ns = ns;
		name = realloc(l->name, cap * sizeof(*name));
		if (name)
			l->name = name;
		if (!v || !ns || !name)
			return -ENOMEM;
		l->cap = cap;
		/* the strings moved: every pod's pointers follow them */
		for (i = 0; i < l->n; i++) {
			l->v[i].ns = l->ns[i];
			l->v[i].name = l->name[i];
		}
	}
	l->v[l->n] = *p;
	snprintf(l->ns[l->n], 256, "%s", p->ns ? p->ns : "");
	snprintf(l->name[l->n], 256, "%s", p->name ? p->name : "");
	l->v[l->n].ns = l->ns[l->n];
	l->v[l->n].name = l->name[l->n];
	l->n++;
	return 0;
}

void pod_list_free(struct pod_list *l)
{
	free(l->v);
	free(l->ns);
	free(l->name);
}

/* Escaped (tool_esc): the names are whatever attach was given. */
void pod_list_label(const struct pod_list *l, size_t i, char *buf, size_t size)
{
	char raw[520];

	if (l->ns[i][0] || l->name[i][0]) {
		snprintf(raw, sizeof(raw), "%s/%s", l->ns[i], l->name[i]);
		tool_esc(raw, buf, size);
	} else {
		snprintf(buf, size, "-");
	}
}

int pod_list_find(const struct pod_list *l, const char *pod, const char *ifname,
		  unsigned int ifindex, size_t *out)
{
	char full[520];
	size_t i;

	if (ifname) {
		ifindex = if_nametoindex(ifname);
		if (!ifindex)
			return -ENODEV;
	}
	for (i = 0; i < l->n; i++) {
		snprintf(full, sizeof(full), "%s/%s", l->ns[i], l->name[i]);
		if ((pod && !strcmp(pod, full)) ||
		    (!pod && l->v[i].ifindex == ifindex)) {
			*out = i;
			return 0;
		}
	}
	return -ENOENT;
}

int tool_print_rule(void *ctx, const struct np_datapath_rule *r)
{
	const char *only = ctx;
	size_t i;
	char pb[8];

	if (only && strcmp(only, r->cidr))
		return 0;
	printf("    %-43s ->", r->cidr);
	if (r->all)
		printf(" any protocol, any port");
	else if (!r->nranges)
		printf(" nothing (except)");
	for (i = 0; i < r->nranges; i++) {
		const struct np_port_range *p = &r->ranges[i];

		printf("%s %s", i ? "," : "",
		       tool_ip_proto_name(p->protocol, pb));
		if (p->first == 0 && p->last == 65535)
			printf(" any port");
		else if (p->first == p->last)
			printf(" %u", p->first);
		else
			printf(" %u-%u", p->first, p->last);
	}
	printf("   [port set %u]", r->portset);
	/* what the key counted while rule counters were on */
	if (r->counters)
		printf("  allowed %" PRIu64 " pkts %" PRIu64
		       " bytes, denied %" PRIu64 " pkts %" PRIu64 " bytes",
		       r->counters->allowed_packets, r->counters->allowed_bytes,
		       r->counters->denied_packets, r->counters->denied_bytes);
	printf("\n");
	return 0;
}
