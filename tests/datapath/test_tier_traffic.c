// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ClusterNetworkPolicy tiers with real connections (issue 15): pods are
 * network namespaces on a private node namespace (tests/lib/netns.c), each
 * pod's rule set comes from np_ruleset_compile() over a manifest and goes
 * to the kernel with np_datapath_apply(), and real TCP connections, UDP
 * exchanges, SCTP associations and ICMP echoes say what is allowed. Each
 * case is written from the API's semantics (Admin -> NetworkPolicy ->
 * Baseline -> allow; the first matching rule of a tier decides, Pass goes
 * on), not from the compiler's output.
 *
 * SCTP: a real association where the kernel has SCTP sockets; without them
 * (CONFIG_IP_SCTP off) an INIT and its INIT-ACK from raw sockets, which is
 * all the datapath judges of an association (its first packet, by ports,
 * and the answer through conntrack).
 *
 * Pods (addresses from 198.18.0.0/15 and fd00::/8 only), their node being
 * the node namespace (NPT_NODE_IP4/6, every pod's hostIP):
 *   x/a  198.18.0.1 fd00::1  app: a
 *   x/b  198.18.0.2 fd00::2  app: b  serves TCP, UDP and SCTP 80 and 81
 *   y/c  198.18.0.3 fd00::3  app: c  serves TCP 80
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dp_helpers.h"

#define A4 "198.18.0.1"
#define B4 "198.18.0.2"
#define C4 "198.18.0.3"
#define A6 "fd00::1"
#define B6 "fd00::2"
#define C6 "fd00::3"
#define TMO 700 /* ms: what a denied probe costs */

#define ALLOWED 0
#define DENIED 1

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define SCTP IPPROTO_SCTP

TestSuite(tier_traffic, .init = dpt_setup, .fini = dpt_teardown, .timeout = 90);

#define NS(n)                                                  \
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: " n \
	", labels: {ns: " n "}}\n---\n"
#define POD(ns, name, ip4, ip6, ports)                                         \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: " name ", namespace: " ns \
	", labels: {app: " name "}}\n"                                         \
	"spec: {containers: [{name: c, ports: " ports "}]}\n"                  \
	"status: {phase: Running, hostIP: " NPT_NODE_IP4                       \
	", podIPs: [{ip: " ip4 "}, {ip: \"" ip6 "\"}]}\n---\n"
#define CNP(name, tier, prio, subject)                                        \
	"apiVersion: policy.networking.k8s.io/v1alpha2\n"                     \
	"kind: ClusterNetworkPolicy\nmetadata: {name: " name "}\n"            \
	"spec:\n  tier: " tier "\n  priority: " #prio "\n  subject: " subject \
	"\n"
#define NPOL(ns, name, body)                                      \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" \
	"metadata: {name: " name ", namespace: " ns "}\nspec:\n" body "---\n"
#define TO_B "{pods: {podSelector: {matchLabels: {app: b}}}}"
#define FROM_A                                                              \
	"[{pods: {namespaceSelector: {matchLabels: {ns: x}}, podSelector: " \
	"{matchLabels: {app: a}}}}]"
#define ALL_NS "[{namespaces: {}}]"

static const char base[] = NS("x") NS("y") POD("x", "a", A4, A6, "[]")
	POD("x", "b", B4, B6,
	    "[{name: http, containerPort: 80}, {containerPort: 81}]")
		POD("y", "c", C4, C6, "[{containerPort: 80}]");

static struct npt_pod *A, *B, *C;

/* The three pods, their servers, the datapath, every pod attached. */
static void pods(void)
{
	static const char *const node_ips[] = { NPT_NODE_IP4, NPT_NODE_IP6 };
	static const int protos[] = { TCP, UDP, SCTP };
	struct {
		struct npt_pod **p;
		const char *ns, *name;
	} at[] = { { &A, "x", "a" }, { &B, "x", "b" }, { &C, "y", "c" } };
	size_t i;
	int err;

	A = dpt_pod("a", A4, A6);
	B = dpt_pod("b", B4, B6);
	C = dpt_pod("c", C4, C6);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(npt_serve(B, protos[i], 80), 0);
		cr_assert_eq(npt_serve(B, protos[i], 81), 0);
	}
	cr_assert_eq(npt_serve(C, TCP, 80), 0);
	dpt_open(NP_MODE_STANDARD, false, node_ips, 2);
	for (i = 0; i < 3; i++) {
		err = dpt_attach(T.dp, (*at[i].p)->host_if, 0, at[i].ns,
				 at[i].name);
		cr_assert_eq(err, 0, "attach %s: %s", at[i].name,
			     strerror(-err));
	}
}

/*
 * What an agent does: compile every pod's rule set from base + more and
 * apply it (the cluster is freed: rule sets own what they need).
 */
static void enforce(const char *more)
{
	struct {
		struct npt_pod *p;
		const char *ns, *name;
	} at[] = { { A, "x", "a" }, { B, "x", "b" }, { C, "y", "c" } };
	size_t n = strlen(base) + strlen(more) + 1, i;
	char *text = malloc(n);
	struct np_cluster *c;
	struct np_diag d;
	int err;

	cr_assert_not_null(text);
	snprintf(text, n, "%s%s", base, more);
	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	err = np_cluster_load_buffer(c, text, strlen(text), "tiers", NULL, &d);
	cr_assert_eq(err, 0, "load: %s: %s", d.path, d.message);
	for (i = 0; i < 3; i++) {
		struct np_ruleset *rs = NULL;

		err = np_ruleset_compile(&rs, c, at[i].ns, at[i].name, NULL,
					 &d);
		cr_assert_eq(err, 0, "compile %s: %s", at[i].name, d.message);
		err = np_datapath_apply(T.dp, at[i].p->ifindex, rs, &d);
		np_ruleset_free(rs);
		cr_assert_eq(err, 0, "apply %s: %s", at[i].name, d.message);
	}
	np_cluster_free(c);
	free(text);
}

static int probe(struct npt_pod *from, int proto, const char *dst,
		 uint16_t port)
{
	int r = npt_probe(from, proto, dst, port, TMO);

	cr_assert_geq(r, 0, "probe setup failed");
	return r;
}

static int ping(struct npt_pod *from, const char *dst)
{
	int r = npt_ping(from, dst, TMO);

	cr_assert_geq(r, 0, "ping setup failed");
	return r;
}

/*
 * Allowed by default with one exception: an Admin Deny of TCP and SCTP 81
 * into b. The denied ports fail, every other port and protocol connects,
 * ICMP echo passes; both families.
 */
Test(tier_traffic, admin_deny_one_port_default_allow)
{
	pods();
	enforce(CNP(
		"no-81", "Admin", 10,
		"{pods: {podSelector: "
		"{matchLabels: {app: b}}}}") "  ingress:\n  - action: Deny\n    from: " ALL_NS
					     "\n"
					     "    protocols: [{tcp: {destinationPort: {number: 81}}}, "
					     "{sctp: {destinationPort: {number: 81}}}]\n");
	cr_log_info("SCTP: %s", npt_sctp_native() ? "kernel associations" :
						    "raw INIT, INIT-ACK");
	cr_expect_eq(probe(A, TCP, B4, 81), DENIED, "the denied port");
	cr_expect_eq(probe(A, TCP, B6, 81), DENIED);
	cr_expect_eq(probe(C, TCP, B4, 81), DENIED, "from every namespace");
	cr_expect_eq(probe(A, SCTP, B4, 81), DENIED);
	cr_expect_eq(probe(A, SCTP, B6, 81), DENIED);
	cr_expect_eq(probe(A, TCP, B4, 80), ALLOWED, "another port");
	cr_expect_eq(probe(A, TCP, B6, 80), ALLOWED);
	cr_expect_eq(probe(A, UDP, B4, 81), ALLOWED, "UDP 81 is not denied");
	cr_expect_eq(probe(A, UDP, B6, 81), ALLOWED);
	cr_expect_eq(probe(A, SCTP, B4, 80), ALLOWED);
	cr_expect_eq(probe(A, SCTP, B6, 80), ALLOWED);
	cr_expect_eq(ping(A, B4), ALLOWED, "ICMP echo passes");
	cr_expect_eq(ping(A, B6), ALLOWED);
	cr_expect_eq(probe(B, TCP, C4, 80), ALLOWED, "b's egress untouched");
}

/*
 * Admin Pass of namespace x into b (priority 1) before an Admin Deny of
 * everything (priority 2), both for every pod: x goes on to b's
 * NetworkPolicy, which allows a on TCP 80 and isolates the rest; y is
 * denied by the Admin tier.
 */
Test(tier_traffic, admin_pass_to_networkpolicy_that_allows)
{
	pods();
	enforce(CNP(
		"pass-x", "Admin", 1,
		"{namespaces: {}}") "  ingress:\n  - {action: Pass, from: [{namespaces: "
				    "{matchLabels: {ns: x}}}]}\n---\n" CNP(
					    "deny-all", "Admin", 2,
					    "{namespaces: {}}") "  ingress:\n  - {action: Deny, from: " ALL_NS
								"}\n---\n" NPOL(
									"x",
									"b-from-a",
									"  podSelector: {matchLabels: {app: b}}\n"
									"  ingress: [{from: [{podSelector: {matchLabels: "
									"{app: a}}}], ports: [{port: 80}]}]\n"));
	cr_expect_eq(probe(A, TCP, B4, 80), ALLOWED, "passed, NP allows");
	cr_expect_eq(probe(A, TCP, B6, 80), ALLOWED);
	cr_expect_eq(probe(A, TCP, B4, 81), DENIED, "passed, NP isolates");
	cr_expect_eq(probe(A, UDP, B4, 80), DENIED, "NP: TCP only");
	cr_expect_eq(probe(C, TCP, B4, 80), DENIED, "y: the Admin Deny");
	cr_expect_eq(probe(C, TCP, B6, 80), DENIED);
	cr_expect_eq(probe(B, TCP, C4, 80), ALLOWED,
		     "x passes into c too; c has no NetworkPolicy");
}

/*
 * Baseline Deny of everything into every pod, a NetworkPolicy allowing a
 * into b on TCP 80: the NetworkPolicy decides for b (Baseline never comes
 * to it), the Baseline for c, which has none.
 */
Test(tier_traffic, baseline_deny_all_with_networkpolicy_allow)
{
	pods();
	enforce(CNP(
		"deny-all", "Baseline", 1,
		"{namespaces: {}}") "  ingress:\n  - {action: Deny, from: " ALL_NS
				    "}\n---\n" NPOL(
					    "x", "b-from-a",
					    "  podSelector: {matchLabels: {app: b}}\n"
					    "  ingress: [{from: [{podSelector: {matchLabels: "
					    "{app: a}}}], ports: [{port: 80}, {port: 80, protocol: "
					    "SCTP}]}]\n"));
	cr_expect_eq(probe(A, TCP, B4, 80), ALLOWED, "the NP allows");
	cr_expect_eq(probe(A, TCP, B6, 80), ALLOWED);
	cr_expect_eq(probe(A, SCTP, B4, 80), ALLOWED);
	cr_expect_eq(probe(A, TCP, B4, 81), DENIED, "the NP isolates b");
	cr_expect_eq(probe(A, UDP, B6, 80), DENIED);
	cr_expect_eq(probe(A, TCP, C4, 80), DENIED, "c: the Baseline Deny");
	cr_expect_eq(probe(A, TCP, C6, 80), DENIED);
	cr_expect_eq(probe(C, TCP, B4, 80), DENIED);
}

/*
 * Rule order inside one policy, overlapping peers (a is in namespace x):
 * Deny a then Accept x denies a; Accept x then Deny a allows a. b's
 * NetworkPolicy admits nothing, so only an Admin Accept lets a flow in.
 */
#define ORDER(first, second)                                    \
	CNP("order", "Admin", 5,                                \
	    "{pods: {podSelector: {matchLabels: "               \
	    "{app: b}}}}")                                      \
	"  ingress:\n" first second                             \
	"---\n" NPOL("x", "b-isolated",                         \
		     "  podSelector: {matchLabels: {app: b}}\n" \
		     "  policyTypes: [Ingress]\n")
#define DENY_A "  - {action: Deny, from: " FROM_A "}\n"
#define ACCEPT_X \
	"  - {action: Accept, from: [{namespaces: {matchLabels: {ns: x}}}]}\n"

Test(tier_traffic, rule_order_deny_then_accept)
{
	pods();
	enforce(ORDER(DENY_A, ACCEPT_X));
	cr_expect_eq(probe(A, TCP, B4, 80), DENIED, "the Deny comes first");
	cr_expect_eq(probe(A, UDP, B6, 81), DENIED);
	cr_expect_eq(probe(A, SCTP, B4, 80), DENIED);
	cr_expect_eq(probe(C, TCP, B4, 80), DENIED, "y: the NP isolates");
}

Test(tier_traffic, rule_order_accept_then_deny)
{
	pods();
	enforce(ORDER(ACCEPT_X, DENY_A));
	cr_expect_eq(probe(A, TCP, B4, 80), ALLOWED, "the Accept comes first");
	cr_expect_eq(probe(A, UDP, B6, 81), ALLOWED);
	cr_expect_eq(probe(A, SCTP, B4, 80), ALLOWED);
	cr_expect_eq(probe(A, TCP, B6, 81), ALLOWED);
	cr_expect_eq(probe(C, TCP, B4, 80), DENIED, "y: the NP isolates");
}

/*
 * IPv6: from a, an Admin egress Deny of fd00::2/128 on TCP 80, then an
 * Accept of fd00::/8, then a Deny of ::/0: the first rule that holds the
 * flow decides; IPv4 to the same pod is covered by none of them.
 */
Test(tier_traffic, ipv6_networks)
{
	pods();
	enforce(CNP(
		"v6", "Admin", 3,
		"{pods: {podSelector: {matchLabels: "
		"{app: a}}}}") "  egress:\n"
			       "  - {action: Deny, to: [{networks: [\"fd00::2/128\"]}], "
			       "protocols: [{tcp: {destinationPort: {number: 80}}}]}\n"
			       "  - {action: Accept, to: [{networks: [\"fd00::/8\"]}]}\n"
			       "  - {action: Deny, to: [{networks: [\"::/0\"]}]}\n");
	cr_expect_eq(probe(A, TCP, B6, 80), DENIED, "the /128 Deny");
	cr_expect_eq(probe(A, TCP, B6, 81), ALLOWED, "another port");
	cr_expect_eq(probe(A, UDP, B6, 80), ALLOWED, "another protocol");
	cr_expect_eq(probe(A, SCTP, B6, 80), ALLOWED);
	cr_expect_eq(probe(A, TCP, C6, 80), ALLOWED, "fd00::/8 Accept");
	cr_expect_eq(ping(A, B6), ALLOWED, "ICMPv6 under the Accept");
	cr_expect_eq(probe(A, TCP, B4, 80), ALLOWED, "IPv4: not covered");
	cr_expect_eq(probe(C, TCP, B6, 80), ALLOWED, "c is no subject");
}

/*
 * A connection established while allowed is revoked when a new Admin Deny
 * is applied (revocation is on by default): its next exchange fails.
 */
Test(tier_traffic, established_connection_revoked_by_admin_deny)
{
	struct npt_conn tcp, sctp;
	bool sctp_held = npt_sctp_native();

	pods();
	enforce("");
	cr_assert_eq(npt_conn_open(&tcp, A, TCP, B4, 80, TMO), 0);
	if (sctp_held)
		cr_assert_eq(npt_conn_open(&sctp, A, SCTP, B6, 81, TMO), 0);
	cr_expect_eq(npt_conn_exchange(&tcp, TMO), ALLOWED);
	enforce(CNP("cut-a", "Admin", 1,
		    "{pods: {podSelector: {matchLabels: "
		    "{app: b}}}}") "  ingress:\n  - {action: Deny, from: " FROM_A
				   "}\n");
	cr_expect_eq(npt_conn_exchange(&tcp, TMO), DENIED, "revoked");
	cr_expect_eq(probe(A, TCP, B4, 80), DENIED, "and no new one");
	if (sctp_held)
		cr_expect_eq(npt_conn_exchange(&sctp, TMO), DENIED);
	cr_expect_eq(probe(C, TCP, B4, 80), ALLOWED, "c is not denied");
	npt_conn_close(&tcp);
	if (sctp_held)
		npt_conn_close(&sctp);
}

/*
 * The node address (the host side, every pod's hostIP, a node IP of the
 * datapath) is allowed before any tier, for kubelet probes. Neither API
 * has networks in ingress peers, so the widest ingress Deny is of every
 * namespace, here with a NetworkPolicy that admits nothing (b's rule set
 * then holds no key for the node address at all): pods are denied, the
 * node still reaches b. Egress: an Admin Deny of 0.0.0.0/0 and ::/0 from
 * b denies pods, not the node's servers.
 */
Test(tier_traffic, node_reaches_pod_under_admin_deny_all)
{
	struct npt_pod *node;

	pods();
	/* a server on the node: a "pod" without netns, torn down with them */
	cr_assert_lt(T.npods, DPT_MAX_PODS);
	node = &T.pods[T.npods++];
	memset(node, 0, sizeof(*node));
	cr_assert_eq(npt_serve(node, TCP, 8080), 0);
	enforce(CNP(
		"deny-all", "Admin", 0,
		"{pods: {podSelector: "
		"{matchLabels: {app: b}}}}") "  ingress:\n  - {action: Deny, from: " ALL_NS
					     "}\n"
					     "  egress:\n  - {action: Deny, to: [{networks: "
					     "[0.0.0.0/0, \"::/0\"]}]}\n---\n" NPOL(
						     "x", "b-isolated",
						     "  podSelector: {matchLabels: "
						     "{app: b}}\n  policyTypes: [Ingress]\n"));
	cr_expect_eq(probe(A, TCP, B4, 80), DENIED);
	cr_expect_eq(probe(A, TCP, B6, 80), DENIED);
	cr_expect_eq(probe(C, UDP, B4, 80), DENIED);
	cr_expect_eq(ping(A, B4), DENIED, "ICMP too");
	cr_expect_eq(probe(NULL, TCP, B4, 80), ALLOWED, "the node, v4");
	cr_expect_eq(probe(NULL, TCP, B6, 80), ALLOWED, "the node, v6");
	cr_expect_eq(probe(NULL, UDP, B4, 81), ALLOWED);
	cr_expect_eq(probe(NULL, SCTP, B6, 81), ALLOWED);
	cr_expect_eq(ping(NULL, B4), ALLOWED);
	cr_expect_eq(ping(NULL, B6), ALLOWED);
	/* egress from b: pods denied by the networks Deny, the node not */
	cr_expect_eq(probe(B, TCP, C4, 80), DENIED);
	cr_expect_eq(probe(B, TCP, C6, 80), DENIED);
	cr_expect_eq(probe(B, TCP, NPT_NODE_IP4, 8080), ALLOWED);
	cr_expect_eq(probe(B, TCP, NPT_NODE_IP6, 8080), ALLOWED);
}
