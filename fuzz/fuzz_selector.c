// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Label selectors. The input is the body of a podSelector in a fixed
 * cluster (three namespaces, six pods), anchored and reused as the
 * namespaceSelector and podSelector of the policy's only ingress peer.
 * When it validates, the compiled rule sets must agree with the validated
 * selector: a pod of namespace a is ingress-isolated exactly when the
 * selector matches its labels, and an isolated pod admits another pod
 * exactly when the selector matches that pod's labels and its namespace's.
 */
#include <errno.h>

#include "cluster_internal.h"
#include "fuzz.h"

static const char head[] =
	"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"
	"  labels: {team: x, env: prod}\n"
	"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n"
	"  labels: {team: y, env: dev, tier: \"\"}\n"
	"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: c\n"
#define POD(ns, name, labels, ip)                                       \
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: " name "\n" \
	"  namespace: " ns "\n  labels: " labels "\n"                   \
	"spec:\n  containers:\n  - name: c\n    ports:\n"               \
	"    - {name: http, containerPort: 80}\n"                       \
	"status:\n  phase: Running\n  podIP: " ip "\n"
	POD("a", "p1", "{app: web, tier: fe}", "10.0.0.1") POD(
		"a", "p2", "{app: db, version: v1.2}",
		"10.0.0.2") POD("a", "p3", "{}", "10.0.0.3") POD("b", "q1",
								 "{app: web}",
								 "10.0.1.1")
		POD("b", "q2", "{app: web, env: prod, x.io/k: v}", "10.0.1.2") POD(
			"c", "r1", "{x.io/k: v, tier: \"\"}",
			"10.0.2.1") "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
				    "metadata: {name: p, namespace: a}\nspec:\n"
				    "  podSelector: &sel\n";
static const char tail[] =
	"\n  ingress:\n"
	"  - from: [{namespaceSelector: *sel, podSelector: *sel}]\n";

static const struct {
	const char *ns, *name, *ip;
} pods[] = {
	{ "a", "p1", "10.0.0.1" }, { "a", "p2", "10.0.0.2" },
	{ "a", "p3", "10.0.0.3" }, { "b", "q1", "10.0.1.1" },
	{ "b", "q2", "10.0.1.2" }, { "c", "r1", "10.0.2.1" },
};
#define NPODS (sizeof(pods) / sizeof(pods[0]))

/* The input, every line indented under "podSelector: &sel". */
static char *build(const uint8_t *data, size_t size, size_t *len)
{
	size_t cap = sizeof(head) + 4 + size * 5 + sizeof(tail), n, i;
	char *buf;

	/* other YAML line breaks would escape the indentation */
	for (i = 0; i < size; i++)
		if (data[i] == '\r' || data[i] == 0x85 || data[i] == 0xa8 ||
		    data[i] == 0xa9)
			return NULL;
	buf = malloc(cap);
	if (!buf)
		return NULL;
	n = sizeof(head) - 1;
	memcpy(buf, head, n);
	memcpy(buf + n, "    ", 4);
	n += 4;
	for (i = 0; i < size; i++) {
		buf[n++] = (char)data[i];
		if (data[i] == '\n') {
			memcpy(buf + n, "    ", 4);
			n += 4;
		}
	}
	memcpy(buf + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	*len = n;
	return buf;
}

static void check(struct np_cluster *c)
{
	const struct np_obj *pol, *pod, *ns;
	const struct np_selector *sel;
	struct np_ruleset *rs[NPODS] = { 0 };
	bool match_pod[NPODS], match_ns[NPODS];
	struct np_verdict v;
	size_t i, j;
	int err;

	pol = np__cluster_find(c, NP_KIND_NETWORK_POLICY, "a", "p");
	FZ_CHECK(pol);
	sel = &pol->np.pod_sel;
	for (i = 0; i < NPODS; i++) {
		pod = np__cluster_find(c, NP_KIND_POD, pods[i].ns,
				       pods[i].name);
		ns = np__cluster_find(c, NP_KIND_NAMESPACE, "", pods[i].ns);
		FZ_CHECK(pod && ns);
		match_pod[i] = np__selector_matches(sel, &pod->meta.labels);
		match_ns[i] = np__selector_matches(sel, &ns->meta.labels);
		err = np_ruleset_compile(&rs[i], c, pods[i].ns, pods[i].name,
					 NULL, NULL);
		FZ_CHECK(err == 0);
	}
	for (i = 0; i < NPODS; i++) {
		bool isolated = !strcmp(pods[i].ns, "a") && match_pod[i];

		err = np_ruleset_verdict(rs[i], NP_DIRECTION_INGRESS,
					 "203.0.113.9", NP_PROTOCOL_TCP, 80,
					 &v);
		FZ_CHECK(err == 0);
		FZ_CHECK(isolated == (v.reason != NP_REASON_NOT_ISOLATED));
		FZ_CHECK(v.allowed == !isolated);
		if (!isolated)
			continue;
		for (j = 0; j < NPODS; j++) {
			if (j == i)
				continue;
			err = np_ruleset_verdict(rs[i], NP_DIRECTION_INGRESS,
						 pods[j].ip, NP_PROTOCOL_UDP,
						 5353, &v);
			FZ_CHECK(err == 0);
			if (v.allowed != (match_pod[j] && match_ns[j]))
				fprintf(stderr, "%s/%s from %s/%s: %s\n",
					pods[i].ns, pods[i].name, pods[j].ns,
					pods[j].name,
					v.allowed ? "allowed" : "denied");
			FZ_CHECK(v.allowed == (match_pod[j] && match_ns[j]));
		}
	}
	for (i = 0; i < NPODS; i++)
		np_ruleset_free(rs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_cluster *c = NULL;
	size_t len;
	char *text;
	int err;

	if (size > 64 * 1024)
		return 0;
	text = build(data, size, &len);
	if (!text)
		return 0;
	FZ_CHECK(np_cluster_new(&c, NULL) == 0);
	err = fz_load(c, text, len, NP_FORMAT_YAML, 0);
	if (!err && np_cluster_count(c, NP_KIND_NETWORK_POLICY) == 1 &&
	    np_cluster_count(c, NP_KIND_POD) == NPODS &&
	    np_cluster_count(c, NP_KIND_NAMESPACE) == 3) {
		FZ_TRACE("selector: checked\n");
		check(c);
	}
	np_cluster_free(c);
	free(text);
	return 0;
}
