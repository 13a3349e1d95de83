// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Validation: every bad input is rejected with the exact field path,
 * position and API-server-style message; valid edge cases are accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "helpers.h"
#include "manifests.h"
#include "np_limits.h"

/* Nine lines: ports of the first ingress rule follow on line 10. */
#define ING NPH "  ingress:\n  - ports:\n"
/* Nine lines: peers of the first ingress rule follow on line 10. */
#define FROM NPH "  ingress:\n  - from:\n"
/* Ten lines: an ipBlock whose fields follow on line 11. */
#define IPB FROM "    - ipBlock:\n"
#define POD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: x\n"
#define SVC                                                     \
	"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n" \
	"  namespace: x\nspec:\n  ports:\n"
#define PE                                                                \
	"apiVersion: networking.k8s.aws/v1alpha1\nkind: PolicyEndpoint\n" \
	"metadata:\n  name: pe\n  namespace: x\nspec:\n"
#define PEREF PE "  policyRef: {name: web, namespace: x}\n"

#define OBJ "NetworkPolicy prod/web"
#define P0 "spec.ingress[0].ports[0]"
#define F0 "spec.ingress[0].from[0]"

#define PORTNUM "must be between 1 and 65535, inclusive"
#define CIDRMSG \
	"must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
#define IPMSG "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
#define LBLVAL                                                              \
	"a valid label must be an empty string or consist of "              \
	"alphanumeric characters, '-', '_' or '.', and must start and end " \
	"with an alphanumeric character"
#define LBLKEY                                                         \
	"name part must consist of alphanumeric characters, '-', '_' " \
	"or '.', and must start and end with an alphanumeric character"
#define SUBDOM                                                              \
	"a lowercase RFC 1123 subdomain must consist of lower case "        \
	"alphanumeric characters, '-' or '.', and must start and end with " \
	"an alphanumeric character"
#define DNSLBL                                                            \
	"a lowercase RFC 1123 label must consist of lower case "          \
	"alphanumeric characters or '-', and must start and end with an " \
	"alphanumeric character"
#define PNCHARS                                                   \
	"must contain only alpha-numeric characters (a-z, 0-9), " \
	"and hyphens (-)"
#define NPPROTO "supported values: \"TCP\", \"UDP\", \"SCTP\""
#define PODPROTO "supported values: \"SCTP\", \"TCP\", \"UDP\""
#define PTYPES "supported values: \"Ingress\", \"Egress\""
#define UNKNOWN(t)                                                     \
	"Unknown field: not a field of " t " (the API server rejects " \
	"it; ignored, it could allow more than written)"

struct bad {
	const char *name;
	const char *text;
	int err;
	const char *object;
	const char *path;
	unsigned int line, col;
	const char *message;
};

static const struct bad bad_cases[] = {
	/* protocols */
	{ "proto-lowercase", ING "    - protocol: tcp\n", -EINVAL, OBJ,
	  P0 ".protocol", 10, 17, "Unsupported value: \"tcp\": " NPPROTO },
	{ "proto-icmp", ING "    - protocol: ICMP\n      port: 8\n", -EINVAL,
	  OBJ, P0 ".protocol", 10, 17,
	  "Unsupported value: \"ICMP\": " NPPROTO },
	{ "proto-int", ING "    - protocol: 6\n", -EINVAL, OBJ, P0 ".protocol",
	  10, 17, "Invalid type: expected string, got integer: 6" },
	/* port numbers and names */
	{ "port-0", ING "    - port: 0\n", -EINVAL, OBJ, P0 ".port", 10, 13,
	  "Invalid value: 0: " PORTNUM },
	{ "port-65536", ING "    - port: 65536\n", -EINVAL, OBJ, P0 ".port", 10,
	  13, "Invalid value: 65536: " PORTNUM },
	{ "port-negative", ING "    - port: -1\n", -EINVAL, OBJ, P0 ".port", 10,
	  13, "Invalid value: -1: " PORTNUM },
	{ "port-huge", ING "    - port: 99999999999999999999\n", -EINVAL, OBJ,
	  P0 ".port", 10, 13,
	  "Invalid value: 99999999999999999999: out of range" },
	{ "port-name-upper", ING "    - port: HTTP\n", -EINVAL, OBJ, P0 ".port",
	  10, 13, "Invalid value: \"HTTP\": " PNCHARS },
	{ "port-name-long", ING "    - port: abcdefghijklmnop\n", -EINVAL, OBJ,
	  P0 ".port", 10, 13,
	  "Invalid value: \"abcdefghijklmnop\": must be no more than 15 "
	  "characters" },
	{ "port-name-no-letter", ING "    - port: 12-34\n", -EINVAL, OBJ,
	  P0 ".port", 10, 13,
	  "Invalid value: \"12-34\": must contain at least one letter (a-z)" },
	{ "port-name-double-hyphen", ING "    - port: a--b\n", -EINVAL, OBJ,
	  P0 ".port", 10, 13,
	  "Invalid value: \"a--b\": must not contain consecutive hyphens" },
	{ "port-name-leading-hyphen", ING "    - port: -http\n", -EINVAL, OBJ,
	  P0 ".port", 10, 13,
	  "Invalid value: \"-http\": must not begin or end with a hyphen" },
	{ "port-string-80", ING "    - port: \"80\"\n", -EINVAL, OBJ,
	  P0 ".port", 10, 13,
	  "Invalid value: \"80\": must contain at least one letter (a-z)" },
	{ "port-bool", ING "    - port: true\n", -EINVAL, OBJ, P0 ".port", 10,
	  13, "Invalid type: expected integer, got boolean: true" },
	{ "port-float", ING "    - port: 80.5\n", -EINVAL, OBJ, P0 ".port", 10,
	  13, "Invalid type: expected integer, got number: 80.5" },
	/* endPort */
	{ "endport-without-port", ING "    - endPort: 90\n", -EINVAL, OBJ,
	  P0 ".endPort", 10, 16,
	  "Invalid value: 90: may not be specified when `port` is not "
	  "specified" },
	{ "endport-named-port", ING "    - port: http\n      endPort: 90\n",
	  -EINVAL, OBJ, P0 ".endPort", 11, 16,
	  "Invalid value: 90: may not be specified when `port` is "
	  "non-numeric" },
	{ "endport-below-port", ING "    - port: 80\n      endPort: 70\n",
	  -EINVAL, OBJ, P0 ".endPort", 11, 16,
	  "Invalid value: 70: must be greater than or equal to `port`" },
	{ "endport-range", ING "    - port: 80\n      endPort: 70000\n",
	  -EINVAL, OBJ, P0 ".endPort", 11, 16,
	  "Invalid value: 70000: " PORTNUM },
	{ "endport-second-port",
	  ING "    - port: 53\n      protocol: UDP\n"
	      "    - port: 8080\n      endPort: 8000\n",
	  -EINVAL, OBJ, "spec.ingress[0].ports[1].endPort", 13, 16,
	  "Invalid value: 8000: must be greater than or equal to `port`" },
	/* CIDRs */
	{ "cidr-v4-33", IPB "        cidr: 10.0.0.0/33\n", -EINVAL, OBJ,
	  F0 ".ipBlock.cidr", 11, 15,
	  "Invalid value: \"10.0.0.0/33\": " CIDRMSG },
	{ "cidr-v6-129", IPB "        cidr: fd00::/129\n", -EINVAL, OBJ,
	  F0 ".ipBlock.cidr", 11, 15,
	  "Invalid value: \"fd00::/129\": " CIDRMSG },
	{ "cidr-garbage", IPB "        cidr: not-a-cidr\n", -EINVAL, OBJ,
	  F0 ".ipBlock.cidr", 11, 15,
	  "Invalid value: \"not-a-cidr\": " CIDRMSG },
	{ "cidr-no-slash", IPB "        cidr: 10.0.0.1\n", -EINVAL, OBJ,
	  F0 ".ipBlock.cidr", 11, 15, "Invalid value: \"10.0.0.1\": " CIDRMSG },
	{ "cidr-missing", IPB "        except: [10.0.0.0/24]\n", -EINVAL, OBJ,
	  F0 ".ipBlock.cidr", 11, 9, "Required value" },
	{ "except-outside",
	  IPB "        cidr: 10.0.0.0/8\n        except:\n"
	      "        - 192.168.0.0/16\n",
	  -EINVAL, OBJ, F0 ".ipBlock.except[0]", 13, 11,
	  "Invalid value: \"192.168.0.0/16\": must be a strict subset of "
	  "`cidr`" },
	{ "except-equal",
	  IPB "        cidr: 10.0.0.0/8\n        except:\n"
	      "        - 10.1.0.0/24\n        - 10.0.0.0/8\n",
	  -EINVAL, OBJ, F0 ".ipBlock.except[1]", 14, 11,
	  "Invalid value: \"10.0.0.0/8\": must be a strict subset of "
	  "`cidr`" },
	{ "except-other-family",
	  IPB "        cidr: 10.0.0.0/8\n        except: [\"fd00::/64\"]\n",
	  -EINVAL, OBJ, F0 ".ipBlock.except[0]", 12, 18,
	  "Invalid value: \"fd00::/64\": must be a strict subset of `cidr`" },
	{ "except-garbage",
	  IPB "        cidr: 10.0.0.0/8\n        except: [10.0.0.0/99]\n",
	  -EINVAL, OBJ, F0 ".ipBlock.except[0]", 12, 18,
	  "Invalid value: \"10.0.0.0/99\": " CIDRMSG },
	/* peers */
	{ "peer-empty", FROM "    - {}\n", -EINVAL, OBJ, F0, 10, 7,
	  "Required value: must specify a peer" },
	{ "peer-ipblock-and-selector",
	  FROM "    - podSelector: {}\n      ipBlock:\n"
	       "        cidr: 10.0.0.0/8\n",
	  -EINVAL, OBJ, F0, 10, 7,
	  "Forbidden: may not specify both ipBlock and another peer" },
	{ "peer-string", FROM "    - everyone\n", -EINVAL, OBJ, F0, 10, 7,
	  "Invalid type: expected object, got string: \"everyone\"" },
	{ "egress-peer-empty", NPH "  egress:\n  - to:\n    - {}\n", -EINVAL,
	  OBJ, "spec.egress[0].to[0]", 10, 7,
	  "Required value: must specify a peer" },
	/* policyTypes */
	{ "policytypes-value", NPH "  policyTypes: [Ingress, Sideways]\n",
	  -EINVAL, OBJ, "spec.policyTypes[1]", 8, 26,
	  "Unsupported value: \"Sideways\": " PTYPES },
	{ "policytypes-lowercase", NPH "  policyTypes: [ingress]\n", -EINVAL,
	  OBJ, "spec.policyTypes[0]", 8, 17,
	  "Unsupported value: \"ingress\": " PTYPES },
	{ "policytypes-three",
	  NPH "  policyTypes: [Ingress, Egress, Ingress]\n", -EINVAL, OBJ,
	  "spec.policyTypes", 8, 16,
	  "Invalid value: [...]: may not specify more than two policyTypes" },
	/* labels */
	{ "label-key", NS "  labels:\n    \"bad key!\": x\n", -EINVAL,
	  "Namespace prod", "metadata.labels", 6, 17,
	  "Invalid value: \"bad key!\": " LBLKEY },
	{ "label-key-prefix", NS "  labels:\n    Example.com/app: x\n", -EINVAL,
	  "Namespace prod", "metadata.labels", 6, 22,
	  "Invalid value: \"Example.com/app\": prefix part " SUBDOM },
	{ "label-value", NS "  labels:\n    app: \"-bad\"\n", -EINVAL,
	  "Namespace prod", "metadata.labels", 6, 10,
	  "Invalid value: \"-bad\": " LBLVAL },
	{ "label-value-long",
	  NS
	  "  labels:\n    app: "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  -EINVAL, "Namespace prod", "metadata.labels", 6, 10,
	  "Invalid value: "
	  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""
	  ": must be no more than 63 characters" },
	{ "label-value-int", NS "  labels:\n    tier: 1\n", -EINVAL,
	  "Namespace prod", "metadata.labels.tier", 6, 11,
	  "Invalid type: expected string, got integer: 1" },
	{ "labels-list", NS "  labels: [a, b]\n", -EINVAL, "Namespace prod",
	  "metadata.labels", 5, 11,
	  "Invalid type: expected object, got list: [...]" },
	{ "matchlabels-value",
	  NPS "  podSelector:\n    matchLabels:\n      app: \"a b\"\n", -EINVAL,
	  OBJ, "spec.podSelector.matchLabels", 9, 12,
	  "Invalid value: \"a b\": " LBLVAL },
	/* selector expressions */
	{ "expr-in-no-values",
	  NPS "  podSelector:\n    matchExpressions:\n    - key: app\n"
	      "      operator: In\n",
	  -EINVAL, OBJ, "spec.podSelector.matchExpressions[0].values", 9, 7,
	  "Required value: must be specified when `operator` is 'In' or "
	  "'NotIn'" },
	{ "expr-notin-empty-values",
	  NPS "  podSelector:\n    matchExpressions:\n    - key: app\n"
	      "      operator: NotIn\n      values: []\n",
	  -EINVAL, OBJ, "spec.podSelector.matchExpressions[0].values", 9, 7,
	  "Required value: must be specified when `operator` is 'In' or "
	  "'NotIn'" },
	{ "expr-exists-values",
	  NPS "  podSelector:\n    matchExpressions:\n    - key: app\n"
	      "      operator: Exists\n      values: [a]\n",
	  -EINVAL, OBJ, "spec.podSelector.matchExpressions[0].values", 11, 15,
	  "Forbidden: may not be specified when `operator` is 'Exists' or "
	  "'DoesNotExist'" },
	/* an invalid entry, then a valid one (the fuzz-regress corpus holds
	 * the reproducers of the slot-reuse overflow this once caused) */
	{ "expr-invalid-then-valid",
	  NPS "  podSelector:\n    matchExpressions:\n    - key: app\n"
	      "      operator: In\n      values: [a, b, \"c d\"]\n"
	      "    - key: tier\n      operator: In\n      values: [x]\n",
	  -EINVAL, OBJ, "spec.podSelector.matchExpressions[0].values[2]", 11,
	  22, "Invalid value: \"c d\": " LBLVAL },
	{ "expr-bad-operator",
	  NPS "  podSelector:\n    matchExpressions:\n    - key: app\n"
	      "      operator: Equals\n      values: [a]\n",
	  -EINVAL, OBJ, "spec.podSelector.matchExpressions[0].operator", 10, 17,
	  "Invalid value: \"Equals\": not a valid selector operator" },
	{ "expr-operator-case",
	  FROM "    - namespaceSelector:\n        matchExpressions:\n"
	       "        - {key: team, operator: in, values: [a]}\n",
	  -EINVAL, OBJ, F0 ".namespaceSelector.matchExpressions[0].operator",
	  12, 33, "Invalid value: \"in\": not a valid selector operator" },
	{ "expr-missing-key",
	  NPS "  podSelector:\n    matchExpressions:\n    - operator: Exists\n",
	  -EINVAL, OBJ, "spec.podSelector.matchExpressions[0].key", 9, 7,
	  "Required value" },
	{ "expr-missing-operator",
	  NPS "  podSelector:\n    matchExpressions:\n    - key: app\n",
	  -EINVAL, OBJ, "spec.podSelector.matchExpressions[0].operator", 9, 7,
	  "Required value" },
	{ "expr-bad-value",
	  NPS "  podSelector:\n    matchExpressions:\n    - key: app\n"
	      "      operator: In\n      values: [ok, \"not ok\"]\n",
	  -EINVAL, OBJ, "spec.podSelector.matchExpressions[0].values[1]", 11,
	  20, "Invalid value: \"not ok\": " LBLVAL },
	/* wrong types */
	{ "ingress-string", NPH "  ingress: everything\n", -EINVAL, OBJ,
	  "spec.ingress", 8, 12,
	  "Invalid type: expected list, got string: \"everything\"" },
	{ "ports-map", NPH "  ingress:\n  - ports:\n      port: 80\n", -EINVAL,
	  OBJ, "spec.ingress[0].ports", 10, 7,
	  "Invalid type: expected list, got object: {...}" },
	{ "from-map", NPH "  ingress:\n  - from:\n      podSelector: {}\n",
	  -EINVAL, OBJ, "spec.ingress[0].from", 10, 7,
	  "Invalid type: expected list, got object: {...}" },
	{ "podselector-list", NPS "  podSelector: []\n", -EINVAL, OBJ,
	  "spec.podSelector", 7, 16,
	  "Invalid type: expected object, got list: [...]" },
	{ "spec-string", NPS "  nothing\n", -EINVAL, OBJ, "spec", 7, 3,
	  "Invalid type: expected object, got string: \"nothing\"" },
	{ "rule-int", NPH "  egress: [7]\n", -EINVAL, OBJ, "spec.egress[0]", 8,
	  12, "Invalid type: expected object, got integer: 7" },
	{ "hostnetwork-yes", POD "spec:\n  hostNetwork: yes\n", -EINVAL,
	  "Pod x/a", "spec.hostNetwork", 7, 16,
	  "Invalid type: expected boolean, got string: \"yes\"" },
	/* metadata */
	{ "name-missing",
	  "apiVersion: v1\nkind: Namespace\nmetadata:\n"
	  "  labels: {}\n",
	  -EINVAL, "Namespace <unnamed>", "metadata.name", 4, 3,
	  "Required value: name or generateName is required" },
	{ "metadata-missing", "apiVersion: v1\nkind: Namespace\n", -EINVAL,
	  "Namespace <unnamed>", "metadata", 1, 1, "Required value" },
	{ "name-invalid",
	  "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	  "metadata:\n  name: Web_1\n  namespace: prod\n",
	  -EINVAL, "NetworkPolicy prod/Web_1", "metadata.name", 4, 9,
	  "Invalid value: \"Web_1\": " SUBDOM },
	{ "name-int",
	  NS "  namespace: x\n  labels: {}\n"
	     "---\napiVersion: v1\nkind: Namespace\nmetadata:\n"
	     "  name: 42\n",
	  -EINVAL, "Namespace <unnamed>", "metadata.name", 11, 9,
	  "Invalid type: expected string, got integer: 42" },
	{ "namespace-name-dot",
	  "apiVersion: v1\nkind: Namespace\n"
	  "metadata:\n  name: a.b\n",
	  -EINVAL, "Namespace a.b", "metadata.name", 4, 9,
	  "Invalid value: \"a.b\": " DNSLBL },
	{ "namespace-invalid",
	  "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	  "metadata:\n  name: web\n  namespace: Prod\n",
	  -EINVAL, "NetworkPolicy Prod/web", "metadata.namespace", 5, 14,
	  "Invalid value: \"Prod\": " DNSLBL },
	{ "apiversion-wrong",
	  "apiVersion: v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n"
	  "  namespace: prod\n",
	  -EINVAL, OBJ, "apiVersion", 1, 13,
	  "Unsupported value: \"v1\": supported values: "
	  "\"networking.k8s.io/v1\"" },
	{ "apiversion-missing", "kind: Pod\nmetadata: {name: a}\n", -EINVAL,
	  "Pod default/a", "apiVersion", 1, 1, "Required value" },
	{ "kind-missing", "apiVersion: v1\nmetadata:\n  name: x\n", -EINVAL, "",
	  "kind", 1, 1, "Required value" },
	{ "kind-in-list-missing",
	  "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n"
	  "  kind: Namespace\n  metadata: {name: a}\n- apiVersion: v1\n"
	  "  metadata: {name: b}\n",
	  -EINVAL, "List items[1]", "kind", 7, 3, "Required value" },
	{ "document-scalar", "just a string\n", -EINVAL, "", "", 1, 1,
	  "Invalid type: expected an object, got string" },
	/* Pods */
	{ "pod-containerport-range",
	  POD "spec:\n  containers:\n  - name: c\n    ports:\n"
	      "    - containerPort: 70000\n",
	  -EINVAL, "Pod x/a", "spec.containers[0].ports[0].containerPort", 10,
	  22, "Invalid value: 70000: " PORTNUM },
	{ "pod-containerport-missing",
	  POD "spec:\n  containers:\n  - name: c\n    ports:\n"
	      "    - name: http\n",
	  -EINVAL, "Pod x/a", "spec.containers[0].ports[0].containerPort", 10,
	  7, "Required value" },
	{ "pod-port-name",
	  POD "spec:\n  containers:\n  - name: c\n    ports:\n"
	      "    - name: Web\n      containerPort: 80\n",
	  -EINVAL, "Pod x/a", "spec.containers[0].ports[0].name", 10, 13,
	  "Invalid value: \"Web\": " PNCHARS },
	{ "pod-port-protocol",
	  POD "spec:\n  containers:\n  - name: c\n    ports:\n"
	      "    - containerPort: 80\n      protocol: ICMP\n",
	  -EINVAL, "Pod x/a", "spec.containers[0].ports[0].protocol", 11, 17,
	  "Unsupported value: \"ICMP\": " PODPROTO },
	{ "pod-podip", POD "status:\n  podIP: 10.0.0.300\n", -EINVAL, "Pod x/a",
	  "status.podIP", 7, 10, "Invalid value: \"10.0.0.300\": " IPMSG },
	{ "pod-podips",
	  POD "status:\n  podIPs:\n  - ip: 10.0.0.1\n"
	      "  - ip: fd00::zz\n",
	  -EINVAL, "Pod x/a", "status.podIPs[1].ip", 9, 9,
	  "Invalid value: \"fd00::zz\": " IPMSG },
	{ "pod-hostip", POD "status:\n  hostIP: host-1\n", -EINVAL, "Pod x/a",
	  "status.hostIP", 7, 11, "Invalid value: \"host-1\": " IPMSG },
	{ "pod-status-list", POD "status: []\n", -EINVAL, "Pod x/a", "status",
	  6, 9, "Invalid type: expected object, got list: [...]" },
	/* Services */
	{ "svc-targetport-name", SVC "  - port: 80\n    targetPort: HTTP_X\n",
	  -EINVAL, "Service x/s", "spec.ports[0].targetPort", 9, 17,
	  "Invalid value: \"HTTP_X\": " PNCHARS },
	{ "svc-targetport-range", SVC "  - port: 80\n    targetPort: 0\n",
	  -EINVAL, "Service x/s", "spec.ports[0].targetPort", 9, 17,
	  "Invalid value: 0: " PORTNUM },
	{ "svc-unknown-port-field", SVC "  - port: 80\n    targetport: 8080\n",
	  -EINVAL, "Service x/s", "spec.ports[0].targetport", 9, 17,
	  UNKNOWN("ServicePort") },
	{ "svc-port-missing", SVC "  - targetPort: 80\n", -EINVAL,
	  "Service x/s", "spec.ports[0].port", 8, 5, "Required value" },
	{ "svc-clusterip", SVC "  - port: 80\n  clusterIP: 10.96.0.999\n",
	  -EINVAL, "Service x/s", "spec.clusterIP", 9, 14,
	  "Invalid value: \"10.96.0.999\": must be a valid IP address" },
	/* PolicyEndpoints */
	{ "pe-policyref-missing", PE "  podIsolation: [Ingress]\n", -EINVAL,
	  "PolicyEndpoint x/pe", "spec.policyRef", 7, 3, "Required value" },
	{ "pe-policyref-name-missing", PE "  policyRef: {namespace: x}\n",
	  -EINVAL, "PolicyEndpoint x/pe", "spec.policyRef.name", 7, 14,
	  "Required value" },
	{ "pe-spec-missing", PE "", -EINVAL, "PolicyEndpoint x/pe", "spec", 1,
	  1, "Required value" },
	{ "pe-podisolation", PEREF "  podIsolation: [Inbound]\n", -EINVAL,
	  "PolicyEndpoint x/pe", "spec.podIsolation[0]", 8, 18,
	  "Unsupported value: \"Inbound\": " PTYPES },
	{ "pe-cidr", PEREF "  ingress:\n  - cidr: 10.1.0.0/40\n", -EINVAL,
	  "PolicyEndpoint x/pe", "spec.ingress[0].cidr", 9, 11,
	  "Invalid value: \"10.1.0.0/40\": " CIDRMSG },
	{ "pe-cidr-missing", PEREF "  egress:\n  - ports: [{port: 80}]\n",
	  -EINVAL, "PolicyEndpoint x/pe", "spec.egress[0].cidr", 9, 5,
	  "Required value" },
	{ "pe-except-outside",
	  PEREF "  egress:\n  - cidr: 10.0.0.0/8\n    except: [11.0.0.0/16]\n",
	  -EINVAL, "PolicyEndpoint x/pe", "spec.egress[0].except[0]", 10, 14,
	  "Invalid value: \"11.0.0.0/16\": must be a subset of `cidr`" },
	{ "pe-named-port",
	  PEREF "  ingress:\n  - cidr: 10.0.0.0/8\n    ports: [{port: http}]\n",
	  -EINVAL, "PolicyEndpoint x/pe", "spec.ingress[0].ports[0].port", 10,
	  20, "Invalid type: expected integer, got string: \"http\"" },
	{ "pe-action-deny",
	  PEREF "  ingress:\n  - cidr: 10.0.0.0/8\n    action: Deny\n",
	  -ENOTSUP, "PolicyEndpoint x/pe", "spec.ingress[0].action", 10, 13,
	  "Unsupported value: \"Deny\": supported values: \"Allow\"" },
	{ "pe-podip",
	  PEREF "  podSelectorEndpoints:\n  - hostIP: 192.168.1.1\n"
		"    name: a\n    namespace: x\n",
	  -EINVAL, "PolicyEndpoint x/pe", "spec.podSelectorEndpoints[0].podIP",
	  9, 5, "Required value" },
	/* JSON */
	{ "json-endport",
	  "{\"apiVersion\": \"networking.k8s.io/v1\",\n"
	  " \"kind\": \"NetworkPolicy\",\n"
	  " \"metadata\": {\"name\": \"web\", \"namespace\": \"prod\"},\n"
	  " \"spec\": {\"podSelector\": {},\n"
	  "  \"egress\": [{\"ports\": [{\"port\": 80, \"endPort\": 70}]}]}}\n",
	  -EINVAL, OBJ, "spec.egress[0].ports[0].endPort", 5, 49,
	  "Invalid value: 70: must be greater than or equal to `port`" },
	{ "json-port-string",
	  "{\"apiVersion\": \"networking.k8s.io/v1\",\n"
	  " \"kind\": \"NetworkPolicy\",\n"
	  " \"metadata\": {\"name\": \"web\", \"namespace\": \"prod\"},\n"
	  " \"spec\": {\"ingress\": [{\"ports\": [{\"port\": \"80\"}]}]}}\n",
	  -EINVAL, OBJ, P0 ".port", 4, 43,
	  "Invalid value: \"80\": must contain at least one letter (a-z)" },
	/* syntax */
	{ "yaml-syntax", "apiVersion: v1\nkind: [Pod\nmetadata: {}\n", -EINVAL,
	  "", "", 3, 9,
	  "syntax error: did not find expected ',' or ']' while parsing a "
	  "flow sequence" },
	{ "yaml-tab-indent",
	  "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n", -EINVAL, "", "",
	  4, 1,
	  "syntax error: found character that cannot start any token while "
	  "scanning for the next token" },
	/* unknown fields: a misspelt one ignored would allow more */
	{ "unknown-rule-field",
	  NPH "  ingress:\n  - from: [{podSelector: {}}]\n"
	      "    portz: [{port: 80}]\n",
	  -EINVAL, OBJ, "spec.ingress[0].portz", 10, 12,
	  UNKNOWN("NetworkPolicyIngressRule") },
	{ "unknown-egress-rule-field",
	  NPH "  egress:\n  - to: [{podSelector: {}}]\n    port: 80\n", -EINVAL,
	  OBJ, "spec.egress[0].port", 10, 11,
	  UNKNOWN("NetworkPolicyEgressRule") },
	{ "unknown-selector-field",
	  FROM "    - podSelector: {matchLabel: {app: db}}\n", -EINVAL, OBJ,
	  F0 ".podSelector.matchLabel", 10, 33, UNKNOWN("LabelSelector") },
	{ "unknown-expression-field",
	  FROM "    - namespaceSelector: {matchExpressions: [{key: a, "
	       "operator: In, value: [b]}]}\n",
	  -EINVAL, OBJ, F0 ".namespaceSelector.matchExpressions[0].value", 10,
	  76, UNKNOWN("LabelSelectorRequirement") },
	{ "unknown-port-field", ING "    - port: 53\n      protocl: UDP\n",
	  -EINVAL, OBJ, P0 ".protocl", 11, 16, UNKNOWN("NetworkPolicyPort") },
	{ "unknown-peer-field", FROM "    - podselector: {}\n", -EINVAL, OBJ,
	  F0 ".podselector", 10, 20, UNKNOWN("NetworkPolicyPeer") },
	{ "unknown-ipblock-field",
	  IPB "        cidr: 10.0.0.0/8\n        exept: [10.1.0.0/16]\n",
	  -EINVAL, OBJ, F0 ".ipBlock.exept", 12, 16, UNKNOWN("IPBlock") },
	{ "unknown-spec-field", NPH "  egres: [{}]\n", -EINVAL, OBJ,
	  "spec.egres", 8, 10, UNKNOWN("NetworkPolicySpec") },
	{ "unknown-metadata-field", POD "  lables: {app: db}\n", -EINVAL,
	  "Pod x/a", "metadata.lables", 6, 11, UNKNOWN("ObjectMeta") },
	{ "pe-unknown-entry-field",
	  PEREF "  ingress: [{cidr: 10.0.0.0/8, portz: [{port: 80}]}]\n",
	  -EINVAL, "PolicyEndpoint x/pe", "spec.ingress[0].portz", 8, 39,
	  UNKNOWN("EndpointInfo") },
	{ "json-syntax", "{\"kind\": \"Pod\",\n \"apiVersion\": }\n", -EINVAL,
	  "", "", 2, 16, "syntax error: unexpected token near '}'" },
	{ "json-trailing-comma", "[1, 2,]\n", -EINVAL, "", "", 1, 7,
	  "syntax error: unexpected token near ']'" },
	{ "yaml-duplicate-key", NS "  name: prod2\n", -EINVAL, "", "", 5, 9,
	  "syntax error: duplicate key \"name\"" },
	{ "yaml-duplicate-key-nested",
	  NPH "  ingress:\n  - ports: [{port: 80, port: 81}]\n", -EINVAL, "",
	  "", 9, 30, "syntax error: duplicate key \"port\"" },
	{ "json-duplicate-key",
	  "{\"kind\": \"Namespace\", \"apiVersion\": \"v1\",\n"
	  " \"kind\": \"Pod\"}\n",
	  -EINVAL, "", "", 2, 7,
	  "syntax error: duplicate object key near '\"kind\"'" },
	{ "yaml-unknown-alias", "a: *nothing\n", -EINVAL, "", "", 1, 4,
	  "syntax error: unknown alias \"nothing\"" },
};

/*
 * Criterion runs each case in a re-executed child where addresses differ:
 * pass the index into the (static, identical) table, not pointers.
 */
ParameterizedTestParameters(validate, bad)
{
	static size_t idx[ARRAY_LEN(bad_cases)];
	size_t i;

	for (i = 0; i < ARRAY_LEN(bad_cases); i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, ARRAY_LEN(idx));
}

ParameterizedTest(size_t *i, validate, bad)
{
	const struct bad *b = &bad_cases[*i];
	struct np_cluster *c = t_cluster(NULL);
	struct t_load r;

	t_load(c, b->text, false, &r);
	cr_expect_eq(r.ret, b->err, "%s: ret %d", b->name, r.ret);
	cr_expect_eq(r.diag.err, b->err, "%s: diag.err %d", b->name,
		     r.diag.err);
	cr_expect_str_eq(r.diag.file, "in.yaml", "%s", b->name);
	cr_expect_str_eq(r.diag.object, b->object, "%s: object \"%s\"", b->name,
			 r.diag.object);
	cr_expect_str_eq(r.diag.path, b->path, "%s: path \"%s\"", b->name,
			 r.diag.path);
	cr_expect_eq(r.diag.line, b->line, "%s: line %u", b->name, r.diag.line);
	cr_expect_eq(r.diag.column, b->col, "%s: column %u", b->name,
		     r.diag.column);
	cr_expect_str_eq(r.diag.message, b->message, "%s: message \"%s\"",
			 b->name, r.diag.message);
	/* on_diag saw the same first problem */
	cr_expect_geq(r.ncb, 1, "%s", b->name);
	cr_expect_str_eq(r.cb_first.message, r.diag.message, "%s", b->name);
	/* nothing applied */
	for (int k = 0; k < NP_KIND__MAX; k++)
		cr_expect_eq(np_cluster_count(c, (enum np_kind)k), 0,
			     "%s: kind %d", b->name, k);
	np_cluster_free(c);
}

/* --- valid edge cases --------------------------------------------------- */

#define NPO                                                           \
	"- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n" \
	"  metadata:\n    name: web\n    namespace: prod\n"

Test(valid, cidr_host_bits_masked)
{
	struct np_cluster *c = t_cluster(NULL);
	char *y;

	t_load_ok(c, IPB "        cidr: 10.1.2.3/8\n        except:\n"
			 "        - 10.1.2.3/16\n"
			 "    - ipBlock: {cidr: \"fd00::1/64\"}\n");
	y = t_np_yaml(c);
	cr_expect_str_eq(y, LIST_HEAD NPO
			 "  spec:\n    podSelector: {}\n"
			 "    policyTypes:\n    - Ingress\n"
			 "    ingress:\n    - from:\n"
			 "      - ipBlock:\n          cidr: 10.0.0.0/8\n"
			 "          except:\n          - 10.1.0.0/16\n"
			 "      - ipBlock:\n          cidr: fd00::/64\n");
	np_free(y);
	np_cluster_free(c);
}

Test(valid, port_without_protocol_is_tcp)
{
	struct np_cluster *c = t_cluster(NULL);
	char *y;

	t_load_ok(c, ING "    - port: 80\n    - port: 81\n      endPort: 81\n"
			 "    - {}\n    - protocol: SCTP\n");
	y = t_np_yaml(c);
	cr_expect_str_eq(y, LIST_HEAD NPO
			 "  spec:\n    podSelector: {}\n"
			 "    policyTypes:\n    - Ingress\n"
			 "    ingress:\n    - ports:\n"
			 "      - protocol: TCP\n        port: 80\n"
			 "      - protocol: TCP\n        port: 81\n"
			 "        endPort: 81\n"
			 "      - protocol: TCP\n"
			 "      - protocol: SCTP\n");
	np_free(y);
	np_cluster_free(c);
}

Test(valid, ports_list_of_empty)
{
	struct np_cluster *c = t_cluster(NULL);

	t_load_ok(c, NPH "  egress:\n  - ports: [{}]\n");
	cr_expect_eq(np_cluster_count(c, NP_KIND_NETWORK_POLICY), 1);
	np_cluster_free(c);
}

Test(valid, selectors)
{
	struct np_cluster *c = t_cluster(NULL);

	/* empty label value, NotIn, Exists, DoesNotExist, prefixed keys */
	t_load_ok(c,
		  NPS "  podSelector:\n    matchLabels:\n      empty: \"\"\n"
		      "      example.com/app: web\n"
		      "    matchExpressions:\n"
		      "    - {key: tier, operator: NotIn, values: [db, \"\"]}\n"
		      "    - {key: x, operator: Exists}\n"
		      "    - {key: y, operator: DoesNotExist, values: []}\n");
	np_cluster_free(c);
}

Test(valid, policytypes_duplicated)
{
	struct np_cluster *c = t_cluster(NULL);
	char *y;

	t_load_ok(c, NPH "  policyTypes: [Egress, Egress]\n");
	y = t_np_yaml(c);
	/* normalized: each type once */
	cr_expect(strstr(y, "    policyTypes:\n    - Egress\n") ==
			  y + strlen(y) -
				  strlen("    policyTypes:\n    - Egress\n"),
		  "%s", y);
	np_free(y);
	np_cluster_free(c);
}

/* metadata as kubectl get -o yaml prints it loads (ObjectMeta's fields) */
Test(valid, kubectl_metadata)
{
	struct np_cluster *c = t_cluster(NULL);

	t_load_ok(c,
		  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n"
		  "  namespace: x\n  generateName: a-\n  uid: 0b5c\n"
		  "  resourceVersion: \"42\"\n  generation: 1\n"
		  "  creationTimestamp: \"2026-12-07T00:00:00Z\"\n"
		  "  labels: {app: db}\n  annotations: {a: b}\n"
		  "  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet,"
		  " name: r, uid: u}]\n  finalizers: [f]\n"
		  "  managedFields: [{manager: kubectl}]\n  selfLink: /x\n"
		  "spec: {containers: [{name: c}]}\n"
		  "status: {phase: Running, podIP: 198.18.0.1}\n");
	cr_expect_eq(np_cluster_count(c, NP_KIND_POD), 1);
	np_cluster_free(c);
}

/* a Service port with every ServicePort field, as kubectl prints them */
Test(valid, kubectl_service_ports)
{
	struct np_cluster *c = t_cluster(NULL);

	t_load_ok(c, SVC "  - {name: web, protocol: TCP, appProtocol: http,"
			 " port: 80, targetPort: 8080, nodePort: 30080}\n");
	cr_expect_eq(np_cluster_count(c, NP_KIND_SERVICE), 1);
	np_cluster_free(c);
}

Test(valid, other_kinds_skipped_and_logged)
{
	struct t_log log;
	struct np_cluster *c = t_cluster(&log);

	t_load_ok(c,
		  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
		  "  name: web\n  namespace: prod\nspec: {replicas: 3}\n"
		  "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
		  "data: {a: b}\n");
	cr_expect_eq(log.n, 2);
	cr_expect_eq(log.level, NP_LOG_INFO);
	cr_expect_str_eq(
		log.last,
		"in.yaml:8: skipping ConfigMap cm: not a policy input");
	for (int k = 0; k < NP_KIND__MAX; k++)
		cr_expect_eq(np_cluster_count(c, (enum np_kind)k), 0);
	np_cluster_free(c);
}

Test(valid, deployment_log_message)
{
	struct t_log log;
	struct np_cluster *c = t_cluster(&log);

	t_load_ok(c, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
		     "  name: web\n  namespace: prod\n");
	cr_expect_eq(log.n, 1);
	cr_expect_str_eq(log.last, "in.yaml:1: skipping Deployment prod/web: "
				   "not a policy input");
	np_cluster_free(c);
}
