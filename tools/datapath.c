/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netpol attach | detach | apply | destroy: the commands that change the
 * kernel datapath (loading and pinning it when it is not there).
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "main.h"

/* --ct-size: 64 Mi entries per family is some 6 GiB of kernel memory */
#define CT_SIZE_MAX (64u << 20)

/* --- the summary line ----------------------------------------------------- */

/*
 * What a writing command changed, from the datapath's pods and rule sets
 * before and after it: a pod changed when it came, went, or its name,
 * state or rule set of either direction differs; keys added are those of
 * the rule sets loaded by it, keys removed those of the rule sets it
 * deleted (rule sets are shared by content: a pod moved to one that was
 * loaded already adds none).
 */
struct snap_pod {
	unsigned int ifindex;
	enum np_pod_state state[2];
	uint32_t ruleset[2];
	char label[520]; /* ns/name, "" without one */
	char ifname[16];
};

struct snap_rs {
	uint32_t id;
	uint64_t hash;
	size_t keys;
};

struct snap {
	struct snap_pod *pods;
	size_t npods;
	struct snap_rs *rs;
	size_t nrs;
};

static int snap_pod(void *ctx, const struct np_datapath_pod *p)
{
	struct snap *s = ctx;
	struct snap_pod *n = realloc(s->pods, (s->npods + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	s->pods = n;
	n = &s->pods[s->npods++];
	n->ifindex = p->ifindex;
	memcpy(n->state, p->state, sizeof(n->state));
	memcpy(n->ruleset, p->ruleset, sizeof(n->ruleset));
	if ((p->ns && p->ns[0]) || (p->name && p->name[0]))
		snprintf(n->label, sizeof(n->label), "%s/%s",
			 p->ns ? p->ns : "", p->name ? p->name : "");
	else
		n->label[0] = '\0';
	snprintf(n->ifname, sizeof(n->ifname), "%s", p->ifname);
	return 0;
}

static bool snap_has_rs(const struct snap *s, uint32_t id, uint64_t hash)
{
	size_t i;

	for (i = 0; i < s->nrs; i++)
		if (s->rs[i].id == id && s->rs[i].hash == hash)
			return true;
	return false;
}

static void snap_free(struct snap *s)
{
	free(s->pods);
	free(s->rs);
	memset(s, 0, sizeof(*s));
}

static int snap_take(struct np_datapath *dp, struct snap *s)
{
	size_t i;
	int d, err;

	memset(s, 0, sizeof(*s));
	err = np_datapath_pod_foreach(dp, snap_pod, s);
	for (i = 0; !err && i < s->npods; i++)
		for (d = 0; d < 2 && !err; d++) {
			struct np_datapath_ruleset r;
			struct snap_rs *n;

			if (!s->pods[i].ruleset[d] ||
			    np_datapath_ruleset(dp, s->pods[i].ruleset[d],
						&r) ||
			    snap_has_rs(s, r.id, r.hash))
				continue;
			n = realloc(s->rs, (s->nrs + 1) * sizeof(*n));
			if (!n) {
				err = -ENOMEM;
				break;
			}
			s->rs = n;
			s->rs[s->nrs++] =
				(struct snap_rs){ r.id, r.hash,
						  r.keys[0] + r.keys[1] };
		}
	if (err)
		snap_free(s);
	return err;
}

static const struct snap_pod *snap_find(const struct snap *s,
					unsigned int ifindex)
{
	size_t i;

	for (i = 0; i < s->npods; i++)
		if (s->pods[i].ifindex == ifindex)
			return &s->pods[i];
	return NULL;
}

struct change {
	size_t pods, keys_added, keys_removed;
};

static void snap_diff(const struct snap *a, const struct snap *b,
		      struct change *c)
{
	const struct snap_pod *p;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < a->npods; i++) {
		p = snap_find(b, a->pods[i].ifindex);
		if (!p ||
		    memcmp(p->state, a->pods[i].state, sizeof(p->state)) ||
		    memcmp(p->ruleset, a->pods[i].ruleset,
			   sizeof(p->ruleset)) ||
		    strcmp(p->label, a->pods[i].label))
			c->pods++;
	}
	for (i = 0; i < b->npods; i++)
		if (!snap_find(a, b->pods[i].ifindex))
			c->pods++;
	for (i = 0; i < b->nrs; i++)
		if (!snap_has_rs(a, b->rs[i].id, b->rs[i].hash))
			c->keys_added += b->rs[i].keys;
	for (i = 0; i < a->nrs; i++)
		if (!snap_has_rs(b, a->rs[i].id, a->rs[i].hash))
			c->keys_removed += a->rs[i].keys;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "WHAT N pods changed, keys +A -R, T ms" on stdout (netpol(8)). */
static void summary(const char *what, const struct change *c, uint64_t t0)
{
	printf("%s %zu pod%s changed, keys +%zu -%zu, %llu ms\n", what, c->pods,
	       c->pods == 1 ? "" : "s", c->keys_added, c->keys_removed,
	       (unsigned long long)(now_ms() - t0));
}

/* "veth1 (ifindex 7) shop/cart", escaped, for the summary lines. */
static void pod_words(const struct snap_pod *p, unsigned int ifindex, char *buf,
		      size_t size)
{
	char e1[80], e2[1100];

	if (!p) {
		snprintf(buf, size, "ifindex %u", ifindex);
		return;
	}
	snprintf(buf, size, "%s%sifindex %u%s%s%s",
		 tool_esc(p->ifname, e1, sizeof(e1)), p->ifname[0] ? " (" : "",
		 ifindex, p->ifname[0] ? ")" : "", p->label[0] ? " " : "",
		 tool_esc(p->label, e2, sizeof(e2)));
}

int cmd_attach(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "ifname", 1, 0, 'i' },
					    { "ifindex", 1, 0, 'x' },
					    { "pod", 1, 0, 'p' },
					    { "ct-size", 1, 0, 'C' },
					    { "hook", 1, 0, 'H' },
					    { "quiet", 0, 0, 'q' },
					    { 0, 0, 0, 0 } };
	static const enum np_hook_kind hooks[] = { NP_HOOK_KIND_NONE,
						   NP_HOOK_KIND_TCX,
						   NP_HOOK_KIND_TC };
	NP_OPTS(np_attach_opts, aopts);
	struct np_diag diag;
	struct np_datapath_stats st;
	struct snap before = { 0 }, after = { 0 };
	unsigned long long ct;
	char *end;
	struct dp_args a = { 0 };
	const char *ifname = NULL, *pod = NULL;
	char ns[256] = "", name[256] = "", words[1200];
	struct np_datapath *dp;
	unsigned ifindex = 0;
	uint64_t t0 = now_ms();
	bool quiet = false;
	int opt, err, r, i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
		r = dp_option(&a, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'x':
			ifindex = (unsigned)strtoul(optarg, &end, 10);
			if (!ifindex || *end)
				return tool_bad_value("--ifindex", optarg,
						      "an interface index");
			break;
		case 'p':
			pod = optarg;
			break;
		case 'C':
			errno = 0;
			ct = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || !ct ||
			    ct > CT_SIZE_MAX)
				return tool_bad_value(
					"--ct-size", optarg,
					"a whole number from 1 to 67108864");
			a.ct_size = (uint32_t)ct;
			break;
		case 'H':
			i = tool_enum("--hook", V_HOOK, optarg);
			if (i < 0)
				return 2;
			aopts.hook = hooks[i];
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return tool_usage();
		}
	}
	if ((!ifname && !ifindex) || (ifname && ifindex)) {
		fprintf(stderr, "netpol: attach: give one of --ifname and "
				"--ifindex\n");
		return tool_usage();
	}
	if (optind < argc) {
		fprintf(stderr, "netpol: attach: unexpected argument '%s'\n",
			tool_esc(argv[optind], words, sizeof(words)));
		return tool_usage();
	}
	if (pod && tool_split_name(pod, ns, sizeof(ns), name, sizeof(name)))
		return tool_bad_value("--pod", pod, "NS/NAME");
	aopts.ifname = ifname;
	aopts.ifindex = ifindex;
	aopts.pod_ns = pod ? ns : NULL;
	aopts.pod_name = pod ? name : NULL;
	if (dp_open(&dp, &a))
		return 2;
	if (a.ct_size && !np_datapath_stats(dp, &st) &&
	    st.ct_capacity[0] != a.ct_size)
		fprintf(stderr,
			"netpol: the loaded datapath keeps its conntrack size "
			"%llu per family; --ct-size takes effect after "
			"destroy\n",
			(unsigned long long)st.ct_capacity[0]);
	if (!quiet && snap_take(dp, &before))
		quiet = true;
	err = np_datapath_attach(dp, &aopts, &diag);
	if (!err && !quiet && !snap_take(dp, &after)) {
		struct change c;

		if (!ifindex)
			ifindex = if_nametoindex(ifname);
		snap_diff(&before, &after, &c);
		snprintf(words, sizeof(words), "attach: ");
		pod_words(snap_find(&after, ifindex), ifindex, words + 8,
			  sizeof(words) - 9);
		strcat(words, ":");
		summary(words, &c, t0);
	}
	snap_free(&before);
	snap_free(&after);
	np_datapath_close(dp);
	if (err) {
		char e1[256], e2[4096];

		fprintf(stderr, "netpol: attach %s: %s\n",
			tool_esc(ifname ? ifname : "", e1, sizeof(e1)),
			tool_esc(diag.message[0] ? diag.message :
						   np_strerror(err),
				 e2, sizeof(e2)));
		return 2;
	}
	return 0;
}

int cmd_detach(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "ifname", 1, 0, 'i' },
					    { "ifindex", 1, 0, 'x' },
					    { "quiet", 0, 0, 'q' },
					    { 0, 0, 0, 0 } };
	struct snap before = { 0 }, after = { 0 };
	struct dp_args a = { 0 };
	struct np_datapath *dp;
	unsigned ifindex = 0;
	uint64_t t0 = now_ms();
	bool quiet = false;
	char esc[1200], *end;
	int opt, err, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
		r = dp_option(&a, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (opt == 'i') {
			ifindex = if_nametoindex(optarg);
			if (!ifindex) {
				fprintf(stderr,
					"netpol: detach: no interface %s (a "
					"pod whose veth is gone needs no "
					"detach: its record is forgotten)\n",
					tool_esc(optarg, esc, sizeof(esc)));
				return 2;
			}
		} else if (opt == 'x') {
			ifindex = (unsigned)strtoul(optarg, &end, 10);
			if (!ifindex || *end)
				return tool_bad_value("--ifindex", optarg,
						      "an interface index");
		} else if (opt == 'q') {
			quiet = true;
		} else {
			return tool_usage();
		}
	}
	if (!ifindex) {
		fprintf(stderr, "netpol: detach: give --ifname or --ifindex\n");
		return tool_usage();
	}
	if (optind < argc) {
		fprintf(stderr, "netpol: detach: unexpected argument '%s'\n",
			tool_esc(argv[optind], esc, sizeof(esc)));
		return tool_usage();
	}
	if (dp_open(&dp, &a))
		return 2;
	if (!quiet && snap_take(dp, &before))
		quiet = true;
	err = np_datapath_detach(dp, ifindex);
	if (!err && !quiet && !snap_take(dp, &after)) {
		struct change c;

		snap_diff(&before, &after, &c);
		snprintf(esc, sizeof(esc), "detach: ");
		pod_words(snap_find(&before, ifindex), ifindex, esc + 8,
			  sizeof(esc) - 9);
		strcat(esc, ":");
		summary(esc, &c, t0);
	}
	snap_free(&before);
	snap_free(&after);
	np_datapath_close(dp);
	if (err == -ENOENT) {
		fprintf(stderr,
			"netpol: detach: ifindex %u is not attached (a record "
			"of a vanished interface is forgotten by every "
			"writing command)\n",
			ifindex);
		return 2;
	}
	if (err) {
		fprintf(stderr, "netpol: detach %u: %s\n", ifindex,
			np_strerror(err));
		return 2;
	}
	return 0;
}

/*
 * A pod whose rules cannot be enforced (-E2BIG: a limit, a full map;
 * -ENOTSUP: a cluster-policy Deny or Pass with a peer it cannot enforce) fails
 * closed in the directions the diag names; on any other error it keeps its
 * last good rules. Either way one line on stderr names the pod and why.
 */
static void apply_failed(struct np_datapath *dp, const char *pod,
			 unsigned int ifindex, int err, const struct np_diag *d)
{
	static const char *const dn[4] = { "", "ingress", "egress",
					   "ingress and egress" };
	unsigned int dirs =
		err == -E2BIG || err == -ENOTSUP ? d->fail_closed_dirs & 3 : 0;
	char raw[2048], buf[4096], name[1040];
	int fc = 0;

	if (dirs)
		fc = np_datapath_fail_closed(dp, ifindex, dirs, NULL);
	np_diag_format(d, raw, sizeof(raw));
	if (!d->message[0])
		snprintf(raw, sizeof(raw), "%s", np_strerror(err));
	tool_esc(raw, buf, sizeof(buf));
	pod = tool_esc(pod, name, sizeof(name));
	if (dirs && !fc)
		fprintf(stderr, "netpol: apply %s: %s; failing closed (%s)\n",
			pod, buf, dn[dirs]);
	else if (dirs)
		fprintf(stderr,
			"netpol: apply %s: %s; cannot fail closed (%s), "
			"its last good rules stay\n",
			pod, buf, np_strerror(fc));
	else
		fprintf(stderr, "netpol: apply %s: %s\n", pod, buf);
}

int cmd_apply(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "pod", 1, 0, 'p' },
					    { "source", 1, 0, 's' },
					    { "quiet", 0, 0, 'q' },
					    { 0, 0, 0, 0 } };
	NP_OPTS(np_compile_opts, copts);
	struct snap before = { 0 }, after = { 0 };
	struct dp_args a = { 0 };
	struct pod_list l = { 0 };
	struct np_cluster *c = NULL;
	struct np_datapath *dp;
	const char *pod = NULL;
	char esc[2048], ns[256], name[256];
	size_t problems = 0, i, applied = 0;
	uint64_t t0 = now_ms();
	bool quiet = false;
	int opt, err, ret = 0, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
		r = dp_option(&a, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (opt == 'p')
			pod = optarg;
		else if (opt == 's') {
			if (tool_parse_source(optarg, &copts.source))
				return 2;
		} else if (opt == 'q')
			quiet = true;
		else
			return tool_usage();
	}
	if (optind >= argc) {
		fprintf(stderr, "netpol: apply: no input files\n");
		return tool_usage();
	}
	if (pod && tool_split_name(pod, ns, sizeof(ns), name, sizeof(name)))
		return tool_bad_value("--pod", pod, "NS/NAME");
	/* an agent keeps the valid objects of a file with invalid ones */
	if (dp_load_open(argv + optind, argc - optind, dp_open, &a, &c,
			 &problems, &dp))
		return 2;
	/* one transaction: the node goes from the old state to the new */
	err = np_datapath_begin(dp, NULL);
	if (err) {
		fprintf(stderr, "netpol: apply: %s\n", np_strerror(err));
		np_datapath_close(dp);
		np_cluster_free(c);
		return 2;
	}
	if (!quiet && snap_take(dp, &before))
		quiet = true;
	err = np_datapath_pod_foreach(dp, pod_list_collect, &l);
	for (i = 0; !err && i < l.n; i++) {
		char full[520];
		struct np_ruleset *rs;
		struct np_diag d;

		snprintf(full, sizeof(full), "%s/%s", l.ns[i], l.name[i]);
		if (!l.ns[i][0] || (pod && strcmp(pod, full)))
			continue;
		err = np_ruleset_compile(&rs, c, l.ns[i], l.name[i], &copts,
					 &d);
		if (!err) {
			err = np_datapath_apply(dp, l.v[i].ifindex, rs, &d);
			np_ruleset_free(rs);
		}
		if (err) {
			apply_failed(dp, full, l.v[i].ifindex, err, &d);
			ret = 2;
			err = 0;
			continue;
		}
		applied++;
	}
	if (!err) {
		struct np_diag d;
		const char *pause = getenv("NETPOL_TEST_PAUSE_BEFORE_COMMIT");

		/* tests only: hold the staged state (milliseconds) */
		if (pause)
			usleep((useconds_t)strtoul(pause, NULL, 10) * 1000);
		err = np_datapath_commit(dp, &d);
		if (err)
			fprintf(stderr, "netpol: apply: commit: %s\n",
				tool_esc(d.message[0] ? d.message :
							np_strerror(err),
					 esc, sizeof(esc)));
	} else {
		np_datapath_abort(dp);
	}
	if (pod && !applied && !ret) {
		fprintf(stderr, "netpol: apply: %s is not attached\n",
			tool_esc(pod, esc, sizeof(esc)));
		ret = 2;
	}
	if (!err && !quiet && !snap_take(dp, &after)) {
		struct change ch;

		snap_diff(&before, &after, &ch);
		snprintf(esc, sizeof(esc), "apply: %zu pod%s applied,", applied,
			 applied == 1 ? "" : "s");
		summary(esc, &ch, t0);
	}
	snap_free(&before);
	snap_free(&after);
	pod_list_free(&l);
	np_datapath_close(dp);
	np_cluster_free(c);
	return err ? 2 : ret;
}

int cmd_destroy(int argc, char **argv)
{
	static const struct option lo[] = { DP_LONGOPTS,
					    { "quiet", 0, 0, 'q' },
					    { 0, 0, 0, 0 } };
	struct snap before = { 0 }, none = { 0 };
	struct dp_args a = { 0 };
	struct np_datapath *dp;
	uint64_t t0 = now_ms();
	bool quiet = false;
	char esc[256];
	int opt, err, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
		r = dp_option(&a, opt, optarg);
		if (r < 0)
			return 2;
		if (opt == 'q')
			quiet = true;
		else if (!r)
			return tool_usage();
	}
	if (optind < argc) {
		fprintf(stderr, "netpol: destroy: unexpected argument '%s'\n",
			tool_esc(argv[optind], esc, sizeof(esc)));
		return tool_usage();
	}
	if (dp_open(&dp, &a))
		return 2;
	if (!quiet && snap_take(dp, &before))
		quiet = true;
	err = np_datapath_destroy(dp);
	if (err) {
		snap_free(&before);
		fprintf(stderr, "netpol: destroy: %s\n", np_strerror(err));
		return 2;
	}
	if (!quiet) {
		struct change c;

		snap_diff(&before, &none, &c);
		summary("destroy:", &c, t0);
	}
	snap_free(&before);
	return 0;
}
