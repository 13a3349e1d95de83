// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Round trips: load, export (YAML and JSON), load the export into a new
 * cluster, export again: byte-identical, for every kind and every form;
 * the normalized form; the kinds' names.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers.h"

static const char ns_text[] =
	"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n"
	"  labels: {team: web, empty: \"\", example.com/tier: \"1\"}\n"
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n";

static const char pod_text[] =
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-0\n"
	"  namespace: prod\n  labels: {app: web}\n"
	"spec:\n  nodeName: node-1\n  containers:\n"
	"  - name: a\n    ports:\n    - {name: http, containerPort: 80}\n"
	"    - {containerPort: 53, protocol: UDP}\n"
	"  - name: b\n    ports:\n"
	"    - {name: sctp, containerPort: 9000, protocol: SCTP}\n"
	"status:\n  phase: Running\n  hostIP: 192.168.1.10\n"
	"  podIP: 10.0.0.5\n  podIPs: [{ip: 10.0.0.5}, {ip: \"fd00::5\"}]\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {name: host, namespace: kube}\n"
	"spec: {hostNetwork: true}\nstatus: {podIP: 192.168.1.10}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {name: pending}\n"
	"status: {phase: Pending}\n";

static const char svc_text[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: prod}\n"
	"spec:\n  type: ClusterIP\n  selector: {app: web}\n"
	"  clusterIP: 10.96.0.10\n  clusterIPs: [10.96.0.10, \"fd00:96::10\"]\n"
	"  ports:\n  - {name: http, port: 80, targetPort: http}\n"
	"  - {port: 53, protocol: UDP, targetPort: 5353}\n"
	"  - {port: 443}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: ext, namespace: prod}\n"
	"spec: {type: ExternalName, clusterIP: None}\n";

static const char np_text[] =
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: all-forms, namespace: prod, labels: {a: b}}\n"
	"spec:\n"
	"  podSelector:\n"
	"    matchLabels: {app: web}\n"
	"    matchExpressions:\n"
	"    - {key: tier, operator: In, values: [a, b]}\n"
	"    - {key: env, operator: NotIn, values: [prod]}\n"
	"    - {key: x, operator: Exists}\n"
	"    - {key: y, operator: DoesNotExist}\n"
	"  ingress:\n"
	"  - from:\n"
	"    - podSelector: {matchLabels: {role: fe}}\n"
	"    - namespaceSelector: {matchLabels: {team: a}}\n"
	"    - podSelector: {}\n      namespaceSelector: {}\n"
	"    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}\n"
	"    - ipBlock: {cidr: \"fd00::/48\", except: [\"fd00:0:0:1::/64\"]}\n"
	"    ports:\n"
	"    - {port: 80}\n"
	"    - {port: http, protocol: TCP}\n"
	"    - {port: 8000, endPort: 8100, protocol: UDP}\n"
	"    - {protocol: SCTP}\n"
	"  - {}\n"
	"  egress:\n"
	"  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n"
	"  - ports: [{port: dns, protocol: UDP}]\n"
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: deny-all, namespace: prod}\n"
	"spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n"
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: no-spec, namespace: dev}\n";

static const char pe_text[] =
	"apiVersion: networking.k8s.aws/v1alpha1\nkind: PolicyEndpoint\n"
	"metadata: {name: web-abcde, namespace: prod}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {app: web}}\n"
	"  policyRef: {name: web, namespace: prod}\n"
	"  podIsolation: [Ingress, Egress]\n"
	"  podSelectorEndpoints:\n"
	"  - {hostIP: 192.168.1.10, podIP: 10.0.0.5, name: web-0, "
	"namespace: prod}\n"
	"  - {podIP: \"fd00::5\", name: web-1, namespace: prod}\n"
	"  ingress:\n"
	"  - cidr: 10.0.0.0/8\n    except: [10.1.0.0/16]\n"
	"    ports: [{port: 80}, {port: 8000, endPort: 8080, protocol: UDP}]\n"
	"  - cidr: 10.2.3.4\n"
	"  - {cidr: \"fd00::/64\", ports: [{protocol: SCTP}]}\n"
	"  egress:\n"
	"  - {cidr: 0.0.0.0/0, action: Allow}\n"
	"---\napiVersion: networking.k8s.aws/v1alpha1\nkind: PolicyEndpoint\n"
	"metadata: {name: empty, namespace: prod}\n"
	"spec: {policyRef: {name: x, namespace: prod}}\n";

static void roundtrip(enum np_kind kind, const char *text, size_t count)
{
	static const enum np_format fmts[] = { NP_FORMAT_YAML, NP_FORMAT_JSON };
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;
	size_t i;

	t_load(c, text, false, &r);
	cr_assert_eq(r.ret, 0, "%s: %u:%u: %s: %s", np_kind_name(kind),
		     r.diag.line, r.diag.column, r.diag.path, r.diag.message);
	cr_assert_eq(np_cluster_count(c, kind), count);
	for (i = 0; i < ARRAY_LEN(fmts); i++) {
		struct np_cluster *c2 = t_cluster(NULL);
		char *once = t_export(c, kind, fmts[i]), *twice, *other;

		t_load(c2, once, false, &r);
		cr_assert_eq(r.ret, 0, "%s: %u:%u: %s: %s\n%s",
			     np_kind_name(kind), r.diag.line, r.diag.column,
			     r.diag.path, r.diag.message, once);
		cr_expect_eq(np_cluster_count(c2, kind), count);
		twice = t_export(c2, kind, fmts[i]);
		cr_expect_str_eq(twice, once);
		/* and across formats: YAML back from JSON is the same */
		other = t_export(c2, kind, fmts[1 - i]);
		np_free(twice);
		twice = t_export(c, kind, fmts[1 - i]);
		cr_expect_str_eq(other, twice);
		np_free(once);
		np_free(twice);
		np_free(other);
		np_cluster_free(c2);
	}
	np_cluster_free(c);
}

Test(roundtrip, namespace)
{
	roundtrip(NP_KIND_NAMESPACE, ns_text, 2);
}

Test(roundtrip, pod)
{
	roundtrip(NP_KIND_POD, pod_text, 3);
}

Test(roundtrip, service)
{
	roundtrip(NP_KIND_SERVICE, svc_text, 2);
}

Test(roundtrip, networkpolicy)
{
	roundtrip(NP_KIND_NETWORK_POLICY, np_text, 3);
}

Test(roundtrip, policyendpoint)
{
	roundtrip(NP_KIND_POLICY_ENDPOINT, pe_text, 2);
}

Test(roundtrip, empty_kind)
{
	struct np_cluster *c = t_cluster(NULL);
	char *out = t_export(c, NP_KIND_POD, NP_FORMAT_YAML);

	cr_expect_str_eq(out, "apiVersion: v1\nkind: List\nitems: []\n");
	np_free(out);
	out = t_export(c, NP_KIND_POD, NP_FORMAT_JSON);
	cr_expect_str_eq(out, "{\n  \"apiVersion\": \"v1\",\n"
			      "  \"kind\": \"List\",\n  \"items\": []\n}\n");
	np_free(out);
	np_cluster_free(c);
}

/* --- the normalized form ------------------------------------------------ */

#define NPH                                                       \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" \
	"metadata: {name: p, namespace: n}\n"

static char *export_one(const char *text)
{
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;
	char *out;

	t_load(c, text, false, &r);
	cr_assert_eq(r.ret, 0, "%s", r.diag.message);
	out = t_export(c, NP_KIND_NETWORK_POLICY, NP_FORMAT_JSON);
	np_cluster_free(c);
	return out;
}

#define TYPES(...) "\"policyTypes\": [\n" __VA_ARGS__ "        ]"

Test(normalized, policytypes_default_egress_rules)
{
	char *out = export_one(NPH "spec:\n  egress: [{}]\n");

	cr_expect(strstr(out, TYPES("          \"Ingress\",\n"
				    "          \"Egress\"\n")) != NULL,
		  "%s", out);
	np_free(out);
}

Test(normalized, policytypes_default_empty_egress)
{
	char *out = export_one(NPH "spec:\n  egress: []\n");

	cr_expect(strstr(out, TYPES("          \"Ingress\"\n")) != NULL, "%s",
		  out);
	cr_expect(strstr(out, "Egress") == NULL, "%s", out);
	np_free(out);
}

Test(normalized, policytypes_default_no_spec)
{
	char *out = export_one(NPH);

	cr_expect(strstr(out, "\"podSelector\": {},\n        " TYPES(
				      "          \"Ingress\"\n")) != NULL,
		  "%s", out);
	np_free(out);
}

Test(normalized, policytypes_explicit_wins)
{
	char *out = export_one(NPH "spec:\n  policyTypes: [Egress]\n"
				   "  ingress: [{}]\n");

	/* rules of an unlisted direction are kept but do not isolate */
	cr_expect(strstr(out, TYPES("          \"Egress\"\n")) != NULL, "%s",
		  out);
	cr_expect(strstr(out, "\"ingress\": [\n          {}\n        ]") !=
			  NULL,
		  "%s", out);
	np_free(out);
}

Test(normalized, protocol_default_and_masking)
{
	char *out = export_one(NPH "spec:\n  egress:\n"
				   "  - to: [{ipBlock: {cidr: 10.9.8.7/24}}]\n"
				   "    ports: [{port: 443}]\n");

	cr_expect(strstr(out, "\"cidr\": \"10.9.8.0/24\"") != NULL, "%s", out);
	cr_expect(strstr(out, "\"protocol\": \"TCP\",\n"
			      "                \"port\": 443\n") != NULL,
		  "%s", out);
	np_free(out);
}

Test(normalized, pod_ips_and_containers)
{
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;
	char *out;

	/* podIP alone becomes podIPs; containers merge into one */
	t_load(c,
	       "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"
	       "spec:\n  containers:\n  - {name: x, ports: [{containerPort: 1}]}\n"
	       "  - {name: y}\nstatus: {podIP: \"fd00::0:1\"}\n",
	       false, &r);
	cr_assert_eq(r.ret, 0, "%s", r.diag.message);
	out = t_export(c, NP_KIND_POD, NP_FORMAT_YAML);
	cr_expect_str_eq(
		out,
		"apiVersion: v1\nkind: List\nitems:\n"
		"- apiVersion: v1\n  kind: Pod\n"
		"  metadata:\n    name: a\n    namespace: default\n"
		"  spec:\n    containers:\n    - name: main\n      ports:\n"
		"      - containerPort: 1\n        protocol: TCP\n"
		"  status:\n    podIP: fd00::1\n    podIPs:\n    - ip: fd00::1\n");
	np_free(out);
	np_cluster_free(c);
}

/* --- the kinds' names ---------------------------------------------------- */

Test(misc, kind_name)
{
	static const char *const names[] = {
		"Namespace",
		"Pod",
		"Service",
		"NetworkPolicy",
		"PolicyEndpoint",
		"ClusterNetworkPolicy",
		"ClusterNetworkPolicy",
		"ClusterPolicyEndpoint",
		"Node",
	};
	int k;

	cr_assert_eq(ARRAY_LEN(names), NP_KIND__MAX);
	for (k = 0; k < NP_KIND__MAX; k++)
		cr_expect_str_eq(np_kind_name((enum np_kind)k), names[k]);
	cr_expect_null(np_kind_name(NP_KIND__MAX));
	cr_expect_null(np_kind_name((enum np_kind) - 1));
}
