// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ClusterNetworkPolicy (policy.networking.k8s.io v1alpha2 and v1beta1,
 * networking.k8s.aws/v1alpha1) and ClusterPolicyEndpoint: every schema
 * bound, union and CEL rule with an invalid manifest, read as YAML and
 * again as JSON (the same document printed by the library's emitter),
 * reported with the object, the field path and the API server's message;
 * valid manifests at the bounds; round trips; cluster scope; and that
 * loading them changes no compiled rule set (they are not enforced yet).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "helpers.h"
#include "manifests.h"
#include "node.h"

#define UPV "policy.networking.k8s.io/v1alpha2"
#define UPB "policy.networking.k8s.io/v1beta1"
#define AWSV "networking.k8s.aws/v1alpha1"
#define HEAD(api, kind) \
	"apiVersion: " api "\nkind: " kind "\nmetadata:\n  name: c\nspec:\n"
#define CNP HEAD(UPV, "ClusterNetworkPolicy")
#define ACNP HEAD(AWSV, "ClusterNetworkPolicy")
#define CPE HEAD(AWSV, "ClusterPolicyEndpoint")
/* a valid frame: rules follow */
#define TP "  tier: Admin\n  priority: 10\n"
#define SUBJ "  subject:\n    namespaces: {}\n"
#define UP CNP TP SUBJ
#define AWS ACNP TP SUBJ
#define CPEOK CPE TP "  policyRef: {name: c}\n"
/* one rule with peers p (a flow list) and the rest r */
#define IN(p, r) "  ingress:\n  - {action: Deny, from: " p r "}\n"
#define EG(a, p, r) "  egress:\n  - {action: " a ", to: " p r "}\n"
#define NSP "[{namespaces: {}}]"
#define PR(x) ", protocols: [" x "]"
#define AP(x) ", ports: [" x "]"

#define OBJ "ClusterNetworkPolicy c"
#define I0 "spec.ingress[0]"
#define E0 "spec.egress[0]"
#define Q0 I0 ".protocols[0]"
#define DP Q0 ".tcp.destinationPort"

#define X5(s) s s s s s
#define X25(s) X5(X5(s))
#define X100(s) X25(s) X25(s) X25(s) X25(s)
#define RULE "{action: Deny, from: [{namespaces: {}}]},"
#define PEER "{namespaces: {}},"
#define NET(i) "10.0.0." #i "/32,"
#define NETS5(a, b, c, d, e) NET(a) NET(b) NET(c) NET(d) NET(e)
#define NETS25                    \
	NETS5(1, 2, 3, 4, 5)      \
	NETS5(6, 7, 8, 9, 10)     \
	NETS5(11, 12, 13, 14, 15) \
	NETS5(16, 17, 18, 19, 20) NETS5(21, 22, 23, 24, 25)
#define TCP80 "{tcp: {destinationPort: {number: 80}}},"
#define N10 "abcdefghij"
#define NAME100 X5(N10) X5(N10)
#define MIN1(p) "Invalid value: 0: " p " in body should have at least 1 items"
#define PROP0(p) \
	"Invalid value: 0: " p " in body should have at least 1 properties"
#define PROP2(p) \
	"Invalid value: 2: " p " in body should have at most 1 properties"
#define ACTIONS "supported values: \"Accept\", \"Deny\", \"Pass\""
#define TIERS "supported values: \"Admin\", \"Baseline\""
#define NAMEDMSG                                                       \
	"Invalid value: \"object\": networks/nodes/domainNames peer "  \
	"cannot be set with namedPorts since there are no namedPorts " \
	"for networks/nodes/domainNames"
#define RANGEMSG \
	"Invalid value: \"object\": Start port must be less than End port"
#define DOMMSG(v, p)                                                       \
	"Invalid value: \"" v "\": " p " in body should be a domain name " \
	"such as example.com or *.example.com"

#define UNKNOWN(t)                                                     \
	"Unknown field: not a field of " t " (the API server rejects " \
	"it; ignored, it could allow more than written)"

struct bad {
	const char *name;
	const char *text;
	const char *object;
	const char *path;
	const char *message;
};

static const struct bad bad_cases[] = {
	/* --- unknown fields: a misspelt one ignored would allow more --- */
	{ "unknown-spec", UP "  ingres: []\n", OBJ, "spec.ingres",
	  UNKNOWN("ClusterNetworkPolicySpec") },
	/* the AWS API's ports in the upstream one: all ports, ignored */
	{ "unknown-rule-ports",
	  UP IN(NSP, AP("{portNumber: {protocol: TCP, port: 80}}")), OBJ,
	  I0 ".ports", UNKNOWN("ingress rule") },
	{ "unknown-rule-protocols-aws", AWS IN(NSP, PR(TCP80)),
	  "ClusterNetworkPolicy c", I0 ".protocols", UNKNOWN("ingress rule") },
	{ "unknown-pods-field",
	  UP IN("[{pods: {podSelector: {}, namespaceSelectr: {}}}]", ""), OBJ,
	  I0 ".from[0].pods.namespaceSelectr", UNKNOWN("NamespacedPod") },
	{ "unknown-l4-field",
	  UP IN(NSP, PR("{tcp: {destinationPort: {number: 80}, srcPort: 1}}")),
	  OBJ, I0 ".protocols[0].tcp.srcPort", UNKNOWN("ProtocolPort") },
	{ "unknown-range-field",
	  UP IN(NSP, PR("{tcp: {destinationPort: {range: {start: 1, end: 9, "
			"step: 2}}}}")),
	  OBJ, I0 ".protocols[0].tcp.destinationPort.range.step",
	  UNKNOWN("PortRange") },
	{ "unknown-aws-port-field",
	  AWS IN(NSP, AP("{portNumber: {protocol: TCP, port: 80, endPort: "
			 "90}}")),
	  OBJ, I0 ".ports[0].portNumber.endPort", UNKNOWN("portNumber") },
	{ "cpe-unknown-entry-field",
	  CPEOK "  egress: [{action: Accept, cidr: 1.2.3.4, protocols: []}]\n",
	  "ClusterPolicyEndpoint c", "spec.egress[0].protocols",
	  UNKNOWN("ClusterEndpointInfo") },
	/* --- the frame --- */
	{ "api-version",
	  HEAD("policy.networking.k8s.io/v1", "ClusterNetworkPolicy") TP SUBJ,
	  OBJ, "apiVersion",
	  "Unsupported value: \"policy.networking.k8s.io/v1\": supported "
	  "values: \"" UPB "\", \"" UPV "\", \"" AWSV "\"" },
	{ "spec-missing",
	  "apiVersion: " UPB "\nkind: ClusterNetworkPolicy\n"
	  "metadata: {name: c}\n",
	  OBJ, "spec", "Required value" },
	{ "tier-missing", CNP "  priority: 1\n" SUBJ, OBJ, "spec.tier",
	  "Required value" },
	{ "tier-enum", CNP "  tier: admin\n  priority: 1\n" SUBJ, OBJ,
	  "spec.tier", "Unsupported value: \"admin\": " TIERS },
	{ "priority-missing", CNP "  tier: Admin\n" SUBJ, OBJ, "spec.priority",
	  "Required value" },
	{ "priority-max", CNP "  tier: Baseline\n  priority: 1001\n" SUBJ, OBJ,
	  "spec.priority",
	  "Invalid value: 1001: spec.priority in body should be less than or "
	  "equal to 1000" },
	{ "priority-min", CNP "  tier: Admin\n  priority: -1\n" SUBJ, OBJ,
	  "spec.priority",
	  "Invalid value: -1: spec.priority in body should be greater than or "
	  "equal to 0" },
	{ "priority-type", CNP "  tier: Admin\n  priority: \"1\"\n" SUBJ, OBJ,
	  "spec.priority",
	  "Invalid type: expected integer, got string: \"1\"" },
	{ "subject-missing", CNP TP, OBJ, "spec.subject", "Required value" },
	{ "subject-empty", CNP TP "  subject: {}\n", OBJ, "spec.subject",
	  PROP0("spec.subject") },
	{ "subject-unknown", CNP TP "  subject: {nodes: {}}\n", OBJ,
	  "spec.subject", PROP0("spec.subject") },
	{ "subject-two",
	  CNP TP "  subject: {namespaces: {}, pods: "
		 "{podSelector: {}}}\n",
	  OBJ, "spec.subject", PROP2("spec.subject") },
	{ "subject-pods-podselector", CNP TP "  subject: {pods: {}}\n", OBJ,
	  "spec.subject.pods.podSelector", "Required value" },
	{ "subject-selector",
	  CNP TP "  subject: {namespaces: {matchExpressions: [{key: a, "
		 "operator: In}]}}\n",
	  OBJ, "spec.subject.namespaces.matchExpressions[0].values",
	  "Required value: must be specified when `operator` is 'In' or "
	  "'NotIn'" },
	/* --- rules --- */
	{ "ingress-max", UP "  ingress: [" X25(RULE) RULE "]\n", OBJ,
	  "spec.ingress", "Too many: 26: must have at most 25 items" },
	{ "egress-max",
	  UP "  egress: [" X25("{action: Deny, to: " NSP "},") "{action: "
							       "Deny, to: " NSP
							       "}]\n",
	  OBJ, "spec.egress", "Too many: 26: must have at most 25 items" },
	{ "name-long",
	  UP "  ingress:\n  - {name: " NAME100 "x, action: Pass, from: " NSP
	     "}\n",
	  OBJ, I0 ".name", "Too long: may not be more than 100 bytes" },
	{ "action-missing", UP "  ingress:\n  - {from: " NSP "}\n", OBJ,
	  I0 ".action", "Required value" },
	{ "action-enum", UP "  ingress:\n  - {action: Allow, from: " NSP "}\n",
	  OBJ, I0 ".action", "Unsupported value: \"Allow\": " ACTIONS },
	{ "from-missing", UP "  ingress:\n  - {action: Deny}\n", OBJ,
	  I0 ".from", "Required value" },
	{ "to-missing", UP "  egress:\n  - {action: Deny}\n", OBJ, E0 ".to",
	  "Required value" },
	{ "from-min", UP IN("[]", ""), OBJ, I0 ".from", MIN1(I0 ".from") },
	{ "from-max", UP IN("[" X25(PEER) PEER "]", ""), OBJ, I0 ".from",
	  "Too many: 26: must have at most 25 items" },
	{ "peer-empty", UP IN("[{}]", ""), OBJ, I0 ".from[0]",
	  PROP0(I0 ".from[0]") },
	{ "peer-two", UP IN("[{namespaces: {}, pods: {podSelector: {}}}]", ""),
	  OBJ, I0 ".from[0]", PROP2(I0 ".from[0]") },
	{ "ingress-networks", UP IN("[{networks: [10.0.0.0/8]}]", ""), OBJ,
	  I0 ".from[0]", PROP0(I0 ".from[0]") },
	{ "peer-pods-podselector",
	  UP IN("[{pods: {namespaceSelector: {}}}]", ""), OBJ,
	  I0 ".from[0].pods.podSelector", "Required value" },
	{ "peer-label",
	  UP IN("[{pods: {podSelector: {matchLabels: {a: \"b c\"}}}}]", ""),
	  OBJ, I0 ".from[0].pods.podSelector.matchLabels",
	  "Invalid value: \"b c\": a valid label must be an empty string or "
	  "consist of alphanumeric characters, '-', '_' or '.', and must "
	  "start and end with an alphanumeric character" },
	/* --- egress peers --- */
	{ "networks-min", UP EG("Deny", "[{networks: []}]", ""), OBJ,
	  E0 ".to[0].networks", MIN1(E0 ".to[0].networks") },
	{ "networks-max",
	  UP EG("Deny", "[{networks: [" NETS25 "10.0.1.0/24]}]", ""), OBJ,
	  E0 ".to[0].networks", "Too many: 26: must have at most 25 items" },
	{ "networks-cidr", UP EG("Deny", "[{networks: [10.0.0.0/33]}]", ""),
	  OBJ, E0 ".to[0].networks[0]",
	  "Invalid value: \"string\": Invalid CIDR format provided" },
	{ "networks-bare-ip", UP EG("Deny", "[{networks: [10.0.0.1]}]", ""),
	  OBJ, E0 ".to[0].networks[0]",
	  "Invalid value: \"string\": Invalid CIDR format provided" },
	{ "networks-duplicate",
	  UP EG("Deny", "[{networks: [10.0.0.0/8, 10.0.0.0/8]}]", ""), OBJ,
	  E0 ".to[0].networks[1]", "Duplicate value: \"10.0.0.0/8\"" },
	{ "networks-long",
	  UP EG("Deny",
		"[{networks: [\"2001:0db8:0000:0000:0000:0000:0000:0000/0128\"]}]",
		""),
	  OBJ, E0 ".to[0].networks[0]",
	  "Too long: may not be more than 43 bytes" },
	{ "domains-min", UP EG("Accept", "[{domainNames: []}]", ""), OBJ,
	  E0 ".to[0].domainNames", MIN1(E0 ".to[0].domainNames") },
	{ "domains-one-label",
	  UP EG("Accept", "[{domainNames: [example]}]", ""), OBJ,
	  E0 ".to[0].domainNames[0]",
	  DOMMSG("example", E0 ".to[0].domainNames[0]") },
	{ "domains-bad-wildcard",
	  UP EG("Accept", "[{domainNames: [\"a.*.example.com\"]}]", ""), OBJ,
	  E0 ".to[0].domainNames[0]",
	  DOMMSG("a.*.example.com", E0 ".to[0].domainNames[0]") },
	{ "domains-duplicate",
	  UP EG("Accept", "[{domainNames: [a.io, a.io]}]", ""), OBJ,
	  E0 ".to[0].domainNames[1]", "Duplicate value: \"a.io\"" },
	{ "nodes-selector",
	  UP EG("Deny", "[{nodes: {matchLabels: {\"-a\": b}}}]", ""), OBJ,
	  E0 ".to[0].nodes.matchLabels",
	  "Invalid value: \"-a\": name part must consist of alphanumeric "
	  "characters, '-', '_' or '.', and must start and end with an "
	  "alphanumeric character" },
	/* --- protocols --- */
	{ "protocols-min", UP IN(NSP, PR("")), OBJ, I0 ".protocols",
	  MIN1(I0 ".protocols") },
	{ "protocols-max", UP IN(NSP, PR(X25(TCP80) TCP80)), OBJ,
	  I0 ".protocols", "Too many: 26: must have at most 25 items" },
	{ "protocol-empty", UP IN(NSP, PR("{}")), OBJ, Q0, PROP0(Q0) },
	{ "protocol-two", UP IN(NSP, PR("{tcp: {}, destinationNamedPort: x}")),
	  OBJ, Q0, PROP2(Q0) },
	{ "tcp-empty", UP IN(NSP, PR("{tcp: {}}")), OBJ, Q0 ".tcp",
	  PROP0(Q0 ".tcp") },
	{ "port-empty", UP IN(NSP, PR("{tcp: {destinationPort: {}}}")), OBJ, DP,
	  PROP0(DP) },
	{ "port-two",
	  UP IN(NSP, PR("{tcp: {destinationPort: {number: 1, range: {start: "
			"1, end: 2}}}}")),
	  OBJ, DP, PROP2(DP) },
	{ "port-min", UP IN(NSP, PR("{tcp: {destinationPort: {number: 0}}}")),
	  OBJ, DP ".number",
	  "Invalid value: 0: " DP ".number in body should be greater than or "
	  "equal to 1" },
	{ "port-max",
	  UP IN(NSP, PR("{udp: {destinationPort: {number: 65536}}}")), OBJ,
	  Q0 ".udp.destinationPort.number",
	  "Invalid value: 65536: " Q0 ".udp.destinationPort.number in body "
	  "should be less than or equal to 65535" },
	{ "range-equal",
	  UP IN(NSP, PR("{sctp: {destinationPort: {range: {start: 80, end: "
			"80}}}}")),
	  OBJ, Q0 ".sctp.destinationPort.range", RANGEMSG },
	{ "range-end-missing",
	  UP IN(NSP, PR("{tcp: {destinationPort: {range: {start: 80}}}}")), OBJ,
	  DP ".range.end", "Required value" },
	{ "range-start-min",
	  UP IN(NSP, PR("{tcp: {destinationPort: {range: {start: 0, end: "
			"80}}}}")),
	  OBJ, DP ".range.start",
	  "Invalid value: 0: " DP ".range.start in body should be greater "
	  "than or equal to 1" },
	{ "named-port-type", UP IN(NSP, PR("{destinationNamedPort: 80}")), OBJ,
	  Q0 ".destinationNamedPort",
	  "Invalid type: expected string, got integer: 80" },
	/* --- the egress CEL rule --- */
	{ "named-networks",
	  UP EG("Accept",
		"[{pods: {podSelector: {}}}, {networks: [10.0.0.0/8]}]",
		PR("{destinationNamedPort: http}")),
	  OBJ, E0, NAMEDMSG },
	{ "named-nodes",
	  UP EG("Deny", "[{nodes: {}}]", PR("{destinationNamedPort: http}")),
	  OBJ, E0, NAMEDMSG },
	{ "named-domains",
	  UP EG("Accept", "[{domainNames: [a.io]}]",
		PR("{destinationNamedPort: http}")),
	  OBJ, E0, NAMEDMSG },
	/* --- AWS --- */
	{ "aws-ingress-max", AWS "  ingress: [" X100(RULE) RULE "]\n", OBJ,
	  "spec.ingress", "Too many: 101: must have at most 100 items" },
	{ "aws-from-max", AWS IN("[" X100(PEER) PEER "]", ""), OBJ, I0 ".from",
	  "Too many: 101: must have at most 100 items" },
	{ "aws-priority", ACNP "  tier: Admin\n  priority: 1001\n" SUBJ, OBJ,
	  "spec.priority",
	  "Invalid value: 1001: spec.priority in body should be less than or "
	  "equal to 1000" },
	{ "aws-subject-nsselector",
	  ACNP TP "  subject: {pods: {podSelector: "
		  "{}}}\n",
	  OBJ, "spec.subject.pods.namespaceSelector", "Required value" },
	{ "aws-peer-nsselector",
	  AWS EG("Deny", "[{pods: {podSelector: {}}}]", ""), OBJ,
	  E0 ".to[0].pods.namespaceSelector", "Required value" },
	{ "aws-nodes", AWS EG("Deny", "[{nodes: {}}]", ""), OBJ, E0 ".to[0]",
	  PROP0(E0 ".to[0]") },
	{ "aws-deny-domains", AWS EG("Deny", "[{domainNames: [a.io]}]", ""),
	  OBJ, E0,
	  "Invalid value: \"object\": domainNames peer cannot be used with "
	  "Deny action, only Accept and Pass actions are supported for "
	  "domainNames" },
	{ "aws-networks-cidr", AWS EG("Deny", "[{networks: [10.0.0/8]}]", ""),
	  OBJ, E0 ".to[0].networks[0]",
	  "Invalid value: \"string\": Invalid CIDR format provided" },
	{ "aws-ports-min", AWS IN(NSP, AP("")), OBJ, I0 ".ports",
	  MIN1(I0 ".ports") },
	{ "aws-ports-max",
	  AWS IN(NSP, AP(X100("{namedPort: a},") "{namedPort: b}")), OBJ,
	  I0 ".ports", "Too many: 101: must have at most 100 items" },
	{ "aws-port-two",
	  AWS IN(NSP, AP("{namedPort: a, portNumber: {port: 1}}")), OBJ,
	  I0 ".ports[0]", PROP2(I0 ".ports[0]") },
	{ "aws-port-empty", AWS IN(NSP, AP("{}")), OBJ, I0 ".ports[0]",
	  PROP0(I0 ".ports[0]") },
	{ "aws-port-required", AWS IN(NSP, AP("{portNumber: {protocol: UDP}}")),
	  OBJ, I0 ".ports[0].portNumber.port", "Required value" },
	{ "aws-port-max", AWS IN(NSP, AP("{portNumber: {port: 65536}}")), OBJ,
	  I0 ".ports[0].portNumber.port",
	  "Invalid value: 65536: " I0 ".ports[0].portNumber.port in body "
	  "should be less than or equal to 65535" },
	{ "aws-protocol",
	  AWS IN(NSP, AP("{portNumber: {protocol: ICMP, port: "
			 "1}}")),
	  OBJ, I0 ".ports[0].portNumber.protocol",
	  "Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", "
	  "\"SCTP\"" },
	{ "aws-range", AWS IN(NSP, AP("{portRange: {start: 90, end: 80}}")),
	  OBJ, I0 ".ports[0].portRange", RANGEMSG },
	/* --- ClusterPolicyEndpoint --- */
	{ "cpe-policyref", CPE TP, "ClusterPolicyEndpoint c", "spec.policyRef",
	  "Required value" },
	{ "cpe-policyref-name", CPE TP "  policyRef: {}\n",
	  "ClusterPolicyEndpoint c", "spec.policyRef.name", "Required value" },
	{ "cpe-tier", CPE "  priority: 1\n  policyRef: {name: c}\n",
	  "ClusterPolicyEndpoint c", "spec.tier", "Required value" },
	{ "cpe-action", CPEOK "  ingress: [{cidr: 10.0.0.0/8}]\n",
	  "ClusterPolicyEndpoint c", "spec.ingress[0].action",
	  "Required value" },
	{ "cpe-action-enum",
	  CPEOK "  ingress: [{action: Allow, cidr: 10.0.0.0/8}]\n",
	  "ClusterPolicyEndpoint c", "spec.ingress[0].action",
	  "Unsupported value: \"Allow\": " ACTIONS },
	{ "cpe-cidr-required", CPEOK "  egress: [{action: Deny}]\n",
	  "ClusterPolicyEndpoint c", "spec.egress[0].cidr", "Required value" },
	{ "cpe-ingress-domain",
	  CPEOK "  ingress: [{action: Accept, domainName: a.io}]\n",
	  "ClusterPolicyEndpoint c", "spec.ingress[0].cidr", "Required value" },
	{ "cpe-cidr-and-domain",
	  CPEOK "  egress: [{action: Accept, cidr: 1.2.3.4, domainName: "
		"a.io}]\n",
	  "ClusterPolicyEndpoint c", "spec.egress[0]",
	  "Invalid value: \"object\": may not specify both cidr and "
	  "domainName" },
	{ "cpe-cidr", CPEOK "  egress: [{action: Deny, cidr: 300.0.0.0/8}]\n",
	  "ClusterPolicyEndpoint c", "spec.egress[0].cidr",
	  "Invalid value: \"300.0.0.0/8\": must be a valid CIDR value, (e.g. "
	  "10.9.8.0/24 or 2001:db8::/64)" },
	{ "cpe-port",
	  CPEOK "  egress: [{action: Deny, cidr: 1.2.3.4, ports: [{port: "
		"0}]}]\n",
	  "ClusterPolicyEndpoint c", "spec.egress[0].ports[0].port",
	  "Invalid value: 0: must be between 1 and 65535, inclusive" },
};

/* Load text as fmt (auto-detection would read JSON-looking YAML as JSON). */
static void load_fmt(struct np_cluster *c, const char *text, enum np_format fmt,
		     struct np_diag *d, int *ret)
{
	NP_OPTS(np_load_opts, opts, .format = fmt);

	memset(d, 0, sizeof(*d));
	*ret = np_cluster_load_buffer(c, text, strlen(text), "in", &opts, d);
}

/* The same document as JSON, printed by the library's emitter. */
static char *to_json(const char *yaml)
{
	struct np_docset ds = { 0 };
	struct np_diag d;
	char *out = NULL;

	cr_assert_eq(np__parse(&ds, yaml, strlen(yaml), "in", NP_FORMAT_YAML,
			       &d),
		     0, "%s", d.message);
	cr_assert_eq(ds.ndocs, 1);
	cr_assert_eq(np__emit_string(ds.docs[0], NP_FORMAT_JSON, &out), 0);
	np__docset_release(&ds);
	return out;
}

ParameterizedTestParameters(cnp, bad)
{
	static size_t idx[ARRAY_LEN(bad_cases)];
	size_t i;

	for (i = 0; i < ARRAY_LEN(bad_cases); i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, ARRAY_LEN(idx));
}

ParameterizedTest(size_t *i, cnp, bad)
{
	const struct bad *b = &bad_cases[*i];
	char *json = to_json(b->text);
	const char *texts[] = { b->text, json };
	const enum np_format fmts[] = { NP_FORMAT_YAML, NP_FORMAT_JSON };
	size_t f;

	for (f = 0; f < 2; f++) {
		struct np_cluster *c = t_cluster(NULL);
		struct np_diag d;
		int ret;

		load_fmt(c, texts[f], fmts[f], &d, &ret);
		cr_expect_eq(ret,
			     strncmp(b->message, "Too many", 8) ? -EINVAL :
								  -E2BIG,
			     "%s/%zu: ret %d", b->name, f, ret);
		cr_expect_str_eq(d.object, b->object, "%s/%zu: object \"%s\"",
				 b->name, f, d.object);
		cr_expect_str_eq(d.path, b->path, "%s/%zu: path \"%s\"",
				 b->name, f, d.path);
		cr_expect_str_eq(d.message, b->message,
				 "%s/%zu: message \"%s\"", b->name, f,
				 d.message);
		cr_expect_gt(d.line, 0, "%s/%zu", b->name, f);
		for (int k = 0; k < NP_KIND__MAX; k++)
			cr_expect_eq(np_cluster_count(c, (enum np_kind)k), 0,
				     "%s: kind %d", b->name, k);
		np_cluster_free(c);
	}
	np_free(json);
}

/* --- valid manifests, YAML and JSON ------------------------------------- */

/* Every field, each bound at its limit. */
#define UP_FULL                                                                                  \
	"  tier: Baseline\n  priority: 1000\n"                                                   \
	"  subject:\n    pods:\n      podSelector: {matchLabels: {app: web}}\n"                  \
	"  ingress:\n"                                                                           \
	"  - name: " NAME100 "\n    action: Accept\n"                                            \
	"    from:\n"                                                                            \
	"    - namespaces: {matchLabels: {team: a}}\n"                                           \
	"    - pods:\n        namespaceSelector: {}\n"                                           \
	"        podSelector: {matchExpressions: [{key: x, operator: "                           \
	"Exists}]}\n"                                                                            \
	"    protocols:\n"                                                                       \
	"    - tcp: {destinationPort: {number: 80}}\n"                                           \
	"    - udp: {destinationPort: {range: {start: 1, end: 65535}}}\n"                        \
	"    - sctp: {destinationPort: {number: 65535}}\n"                                       \
	"    - destinationNamedPort: http\n"                                                     \
	"  egress:\n"                                                                            \
	"  - action: Deny\n    to:\n"                                                            \
	"    - networks: [" NETS25 "]\n"                                                         \
	"    - nodes: {}\n"                                                                      \
	"    - domainNames: [\"*.example.com\", \"a_b.example.com.\"]\n"                         \
	"    protocols: [" X25(                                                                  \
		TCP80) "]\n"                                                                     \
		       "  - action: Pass\n    to: [" X25(                                        \
			       PEER) "]\n"                                                       \
				     "  - action: Accept\n    to: [{pods: {podSelector: {}}}]\n" \
				     "    protocols: [{destinationNamedPort: http}]\n"

#define AWS_FULL                                                               \
	"  tier: Admin\n  priority: 0\n"                                       \
	"  subject:\n    pods: {namespaceSelector: {}, podSelector: {}}\n"     \
	"  ingress: [" X100(                                                   \
		RULE) "]\n"                                                    \
		      "  egress:\n"                                            \
		      "  - action: Pass\n    to:\n"                            \
		      "    - domainNames: [a.io]\n"                            \
		      "    - networks: [\"fd00::/8\", 10.1.2.3/8]\n"           \
		      "    - pods: {namespaceSelector: {}, podSelector: {}}\n" \
		      "    ports:\n"                                           \
		      "    - portNumber: {port: 53, protocol: UDP}\n"          \
		      "    - portNumber: {port: 443}\n"                        \
		      "    - portRange: {protocol: SCTP, start: 1, end: 2}\n"  \
		      "    - namedPort: dns\n"                                 \
		      "  - action: Accept\n    to: [{domainNames: [b.io]}]\n"

#define CPE_FULL                                                                \
	"  tier: Baseline\n  priority: 7\n  policyRef: {name: c}\n"             \
	"  subject: {namespaces: {}}\n"                                         \
	"  podSelectorEndpoints:\n"                                             \
	"  - {hostIP: 192.168.1.1, podIP: 10.0.0.1, name: a, namespace: x}\n"   \
	"  ingress:\n"                                                          \
	"  - {action: Deny, cidr: 10.0.0.0/8, ports: [{port: 80}]}\n"           \
	"  - {action: Pass, cidr: \"::/0\"}\n"                                  \
	"  egress:\n"                                                           \
	"  - {action: Accept, domainName: a.io, ports: [{protocol: UDP, port: " \
	"53, endPort: 54}]}\n"                                                  \
	"  - {action: Accept, cidr: 1.2.3.4}\n"

static void load_both(const char *text, enum np_kind kind)
{
	char *json = to_json(text);
	const char *texts[] = { text, json };
	const enum np_format fmts[] = { NP_FORMAT_YAML, NP_FORMAT_JSON };

	for (size_t f = 0; f < 2; f++) {
		struct np_cluster *c = t_cluster(NULL);
		struct np_diag d;
		int ret;

		load_fmt(c, texts[f], fmts[f], &d, &ret);
		cr_expect_eq(ret, 0, "%zu: %s: %s", f, d.path, d.message);
		cr_expect_eq(np_cluster_count(c, kind), 1);
		np_cluster_free(c);
	}
	np_free(json);
}

Test(cnp, valid_upstream)
{
	load_both(CNP "  tier: Admin\n  priority: 0\n" SUBJ,
		  NP_KIND_CLUSTER_NETWORK_POLICY);
	load_both(CNP "  tier: Admin\n  priority: 0\n"
		      "  subject: {pods: {podSelector: {}}}\n"
		      "  ingress: []\n  egress: []\n",
		  NP_KIND_CLUSTER_NETWORK_POLICY);
	load_both(UP "  ingress: [" X25(RULE) "]\n",
		  NP_KIND_CLUSTER_NETWORK_POLICY);
	load_both(CNP UP_FULL, NP_KIND_CLUSTER_NETWORK_POLICY);
	load_both(HEAD(UPB, "ClusterNetworkPolicy") UP_FULL,
		  NP_KIND_CLUSTER_NETWORK_POLICY);
	/* a named port with pods peers only */
	load_both(UP EG("Deny", "[{pods: {podSelector: {}}}, {namespaces: {}}]",
			PR("{destinationNamedPort: http}")),
		  NP_KIND_CLUSTER_NETWORK_POLICY);
}

Test(cnp, valid_aws)
{
	load_both(ACNP AWS_FULL, NP_KIND_AWS_CLUSTER_NETWORK_POLICY);
	/* Pass with domainNames: the permissive reading of the AWS CRDs */
	load_both(AWS EG("Pass", "[{domainNames: [a.io]}]", ""),
		  NP_KIND_AWS_CLUSTER_NETWORK_POLICY);
	/* no destinationNamedPort rule in the AWS CRD */
	load_both(AWS EG("Accept", "[{networks: [10.0.0.0/8]}]",
			 AP("{namedPort: http}")),
		  NP_KIND_AWS_CLUSTER_NETWORK_POLICY);
}

Test(cnp, valid_cpe)
{
	load_both(CPE CPE_FULL, NP_KIND_CLUSTER_POLICY_ENDPOINT);
	load_both(CPEOK, NP_KIND_CLUSTER_POLICY_ENDPOINT);
}

/* --- the normalized form and round trips -------------------------------- */

static void roundtrip(enum np_kind kind, const char *text)
{
	static const enum np_format fmts[] = { NP_FORMAT_YAML, NP_FORMAT_JSON };
	struct np_cluster *c = t_cluster(NULL);

	t_load_ok(c, text);
	for (size_t i = 0; i < 2; i++) {
		struct np_cluster *c2 = t_cluster(NULL);
		char *once = t_export(c, kind, fmts[i]), *twice;

		t_load_ok(c2, once);
		cr_expect_eq(np_cluster_count(c2, kind), 1);
		twice = t_export(c2, kind, fmts[i]);
		cr_expect_str_eq(twice, once);
		np_free(once);
		np_free(twice);
		np_cluster_free(c2);
	}
	np_cluster_free(c);
}

Test(cnp, roundtrip)
{
	roundtrip(NP_KIND_CLUSTER_NETWORK_POLICY, CNP UP_FULL);
	roundtrip(NP_KIND_AWS_CLUSTER_NETWORK_POLICY, ACNP AWS_FULL);
	roundtrip(NP_KIND_CLUSTER_POLICY_ENDPOINT, CPE CPE_FULL);
}

Test(cnp, normalized)
{
	struct np_cluster *c = t_cluster(NULL);
	char *y;

	t_load_ok(c, UP EG("Deny", "[{networks: [10.1.2.3/8]}]",
			   PR("{tcp: {destinationPort: {range: {start: 1, "
			      "end: 2}}}}")) "---\n" AWS
			     EG("Accept", "[{networks: [10.0.0.0/8]}]",
				AP("{portNumber: {port: 80}}")));
	y = t_export(c, NP_KIND_CLUSTER_NETWORK_POLICY, NP_FORMAT_YAML);
	/* v1alpha2 in, the storage version v1beta1 out; host bits masked */
	cr_expect_str_eq(y, LIST_HEAD
			 "- apiVersion: " UPB "\n"
			 "  kind: ClusterNetworkPolicy\n"
			 "  metadata:\n    name: c\n"
			 "  spec:\n    tier: Admin\n    priority: 10\n"
			 "    subject:\n      namespaces: {}\n"
			 "    egress:\n    - action: Deny\n      to:\n"
			 "      - networks:\n        - 10.0.0.0/8\n"
			 "      protocols:\n      - tcp:\n"
			 "          destinationPort:\n            range:\n"
			 "              start: 1\n              end: 2\n");
	np_free(y);
	y = t_export(c, NP_KIND_AWS_CLUSTER_NETWORK_POLICY, NP_FORMAT_YAML);
	/* the protocol default written out */
	cr_expect(strstr(y, "apiVersion: " AWSV "\n"), "%s", y);
	cr_expect(strstr(y, "      ports:\n      - portNumber:\n"
			    "          protocol: TCP\n          port: 80\n"),
		  "%s", y);
	np_free(y);
	np_cluster_free(c);
}

/* --- cluster scope, two API groups, peers of a newer API ---------------- */

Test(cnp, cluster_scoped)
{
	struct np_cluster *c = t_cluster(NULL);
	char *names;

	/* the API server drops a namespace of a cluster-scoped object */
	t_load_ok(c, "apiVersion: " UPV "\nkind: ClusterNetworkPolicy\n"
		     "metadata: {name: c, namespace: prod}\nspec:\n" TP SUBJ
		     "---\n" AWS "---\n" CPEOK);
	cr_expect_eq(np_cluster_count(c, NP_KIND_CLUSTER_NETWORK_POLICY), 1);
	cr_expect_eq(np_cluster_count(c, NP_KIND_AWS_CLUSTER_NETWORK_POLICY),
		     1);
	cr_expect_eq(np_cluster_count(c, NP_KIND_CLUSTER_POLICY_ENDPOINT), 1);
	cr_assert_eq(
		np_cluster_names(c, NP_KIND_CLUSTER_NETWORK_POLICY, &names), 0);
	cr_expect_str_eq(names, "c\n");
	np_free(names);
	/* the same name again replaces it */
	t_load_ok(c, UP);
	cr_expect_eq(np_cluster_count(c, NP_KIND_CLUSTER_NETWORK_POLICY), 1);
	/* ns is ignored, may be NULL */
	cr_expect_eq(np_cluster_delete(c, NP_KIND_CLUSTER_NETWORK_POLICY, NULL,
				       "c"),
		     0);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_AWS_CLUSTER_NETWORK_POLICY,
				       "x", "c"),
		     0);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_CLUSTER_POLICY_ENDPOINT, NULL,
				       "c"),
		     0);
	cr_expect_eq(np_cluster_delete(c, NP_KIND_CLUSTER_POLICY_ENDPOINT, NULL,
				       "c"),
		     -ENOENT);
	np_cluster_free(c);
}

Test(cnp, other_groups_skipped)
{
	struct t_log log;
	struct np_cluster *c = t_cluster(&log);
	struct t_load r;

	/* Antrea's kind of the same name is not an error, as before */
	t_load_ok(c, "apiVersion: crd.antrea.io/v1beta1\n"
		     "kind: ClusterNetworkPolicy\nmetadata: {name: a}\n"
		     "spec: {priority: 5}\n---\n"
		     "apiVersion: v1\nkind: ClusterPolicyEndpoint\n"
		     "metadata: {name: b}\n");
	cr_expect_eq(log.n, 2);
	cr_expect_str_eq(log.last, "in.yaml:6: skipping ClusterPolicyEndpoint "
				   "b: not a policy input");
	for (int k = 0; k < NP_KIND__MAX; k++)
		cr_expect_eq(np_cluster_count(c, (enum np_kind)k), 0);
	/* a version of one of ours that does not exist is */
	t_load(c, HEAD("networking.k8s.aws/v1", "ClusterPolicyEndpoint"), false,
	       &r);
	cr_expect_eq(r.ret, -EINVAL);
	cr_expect_str_eq(r.diag.path, "apiVersion");
	np_cluster_free(c);
}

Test(cnp, newer_peer_kept)
{
	struct np_cluster *c = t_cluster(NULL);
	char *y;

	/* upstream: a peer whose only field this version lacks fails closed
	 * when enforced; it is kept, not rejected */
	t_load_ok(c, UP EG("Deny", "[{services: {name: x}}]", ""));
	y = t_export(c, NP_KIND_CLUSTER_NETWORK_POLICY, NP_FORMAT_YAML);
	cr_expect(strstr(y, "      to:\n      - services: {}\n"), "%s", y);
	np_free(y);
	np_cluster_free(c);
}

/* --- enforced by the rule set; endpoints add ClusterPolicyEndpoints ------ */

Test(cnp, enforced_in_ruleset_endpoints_appended)
{
	static const char base[] = NS
		"---\napiVersion: v1\nkind: Pod\n"
		"metadata: {name: a, namespace: prod, labels: {app: a}}\n"
		"spec: {nodeName: n}\n"
		"status: {phase: Running, podIP: 10.0.0.1}\n"
		"---\n" NPH "  ingress: [{}]\n";
	struct np_cluster *c = t_cluster(NULL);
	struct np_ruleset *rs;
	char *ep1, *ep2;
	uint64_t h1;

	t_load_ok(c, base);
	cr_assert_eq(np_ruleset_compile(&rs, c, "prod", "a", NULL, NULL), 0);
	h1 = np_ruleset_hash(rs);
	np_ruleset_free(rs);
	cr_assert_eq(np_cluster_endpoints(c, NP_FORMAT_YAML, &ep1, NULL), 0);
	/* a Deny of everything in both directions, from every kind */
	t_load_ok(
		c,
		CNP TP SUBJ IN(NSP, "") EG(
			"Deny", "[{networks: [0.0.0.0/0, \"::/0\"]}]",
			"") "---\n" ACNP TP SUBJ
			IN(NSP,
			   "") "---\n" CPEOK
			       "  podSelectorEndpoints: [{hostIP: 1.1.1.1, "
			       "podIP: 10.0.0.1, name: a, namespace: prod}]\n"
			       "  ingress: [{action: Deny, cidr: 0.0.0.0/0}]\n");
	cr_assert_eq(np_ruleset_compile(&rs, c, "prod", "a", NULL, NULL), 0);
	/* the tiers fold into the rule set (tier.c) */
	cr_expect_neq(np_ruleset_hash(rs), h1);
	np_ruleset_free(rs);
	cr_assert_eq(np_cluster_endpoints(c, NP_FORMAT_YAML, &ep2, NULL), 0);
	/* the PolicyEndpoints first, unchanged; then ClusterPolicyEndpoints */
	cr_expect(!strncmp(ep2, ep1, strlen(ep1) - 1), "%s", ep2);
	cr_expect(strstr(ep2, "kind: ClusterPolicyEndpoint"), "%s", ep2);
	np_free(ep1);
	np_free(ep2);
	np_cluster_free(c);
}
