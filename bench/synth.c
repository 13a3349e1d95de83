// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A synthetic cluster for the control-plane benchmarks: P pods in N
 * namespaces, two policies per namespace (1,000 for 500 namespaces) and
 * optionally more (app k's pods from app k + 1's on one port), a Service
 * per namespace, and peers that use namespaceSelector: {}. Pod i's
 * address is the (i + 1)th of 198.18.0.0/15 (131,071 pods at most);
 * Services are in 198.19.240.0/21, nodes in 198.19.255.0/24.
 *
 * With struct synth_cnp, Admin and Baseline ClusterNetworkPolicies too,
 * drawn from a seed (the same seed, the same text): subjects by namespace
 * (a team, or every namespace) or by pods (an app, in a team or anywhere);
 * 1 to 2 rules a direction, mixed Accept, Deny and Pass; peers namespaces,
 * pods and (egress) networks; no ports, or port numbers, ranges and the
 * pods' named port http-alt (not beside networks, as upstream requires).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"

static void put(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if ((size_t)n < *cap - *len)
			break;
		*cap *= 2;
		*buf = realloc(*buf, *cap);
		if (!*buf)
			abort();
	}
	*len += (size_t)n;
}

/* xorshift32: the same sequence from the same seed everywhere */
static unsigned rnd(unsigned *st, unsigned n)
{
	unsigned x = *st;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*st = x;
	return x % n;
}

static const char *const apps[] = { "web", "front", "db",
				    "web", "front", "monitor" };

static void put_peer(char **b, size_t *n, size_t *cap, unsigned *st,
		     bool egress, bool *nets)
{
	switch (rnd(st, egress ? 5 : 4)) {
	case 0:
		put(b, n, cap, "{namespaces: {matchLabels: {team: t%u}}}",
		    rnd(st, 20));
		break;
	case 1:
		put(b, n, cap,
		    "{pods: {namespaceSelector: {matchLabels: {team: t%u}}, "
		    "podSelector: {matchLabels: {app: %s}}}}",
		    rnd(st, 20), apps[rnd(st, 6)]);
		break;
	case 2:
		/* namespaceSelector omitted: every namespace */
		put(b, n, cap,
		    "{pods: {podSelector: {matchLabels: {app: %s}}}}",
		    apps[rnd(st, 6)]);
		break;
	case 3:
		put(b, n, cap,
		    "{namespaces: {matchLabels: "
		    "{kubernetes.io/metadata.name: ns%u}}}",
		    rnd(st, 500));
		break;
	default:
		*nets = true;
		switch (rnd(st, 3)) {
		case 0:
			put(b, n, cap, "{networks: [\"0.0.0.0/0\", \"::/0\"]}");
			break;
		case 1:
			put(b, n, cap,
			    "{networks: [10.%u.0.0/16, 192.168.%u.0/24]}",
			    rnd(st, 256), rnd(st, 256));
			break;
		default:
			/* a range of pod addresses: 198.18.0.0/15 */
			put(b, n, cap, "{networks: [198.18.%u.0/24]}",
			    rnd(st, 40));
		}
	}
}

static void put_ports(char **b, size_t *n, size_t *cap, unsigned *st,
		      bool named_ok)
{
	unsigned k = rnd(st, 4), i;

	if (!k)
		return;
	put(b, n, cap, ", protocols: [");
	for (i = 0; i < k; i++) {
		unsigned p = 1000 + rnd(st, 9000);

		if (i)
			put(b, n, cap, ", ");
		switch (rnd(st, named_ok ? 5 : 4)) {
		case 0:
			put(b, n, cap, "{tcp: {destinationPort: {number: %u}}}",
			    p);
			break;
		case 1:
			put(b, n, cap,
			    "{tcp: {destinationPort: {range: {start: %u, "
			    "end: %u}}}}",
			    p, p + 1 + rnd(st, 100));
			break;
		case 2:
			put(b, n, cap, "{udp: {destinationPort: {number: %u}}}",
			    p);
			break;
		case 3:
			put(b, n, cap,
			    "{tcp: {destinationPort: {number: 8080}}}");
			break;
		default:
			put(b, n, cap, "{destinationNamedPort: http-alt}");
		}
	}
	put(b, n, cap, "]");
}

static void put_rule(char **b, size_t *n, size_t *cap, unsigned *st,
		     bool egress)
{
	static const char *const actions[] = { "Accept", "Deny", "Pass" };
	unsigned k = 1 + rnd(st, 2), i;
	bool nets = false;

	put(b, n, cap, "  - {action: %s, %s: [", actions[rnd(st, 3)],
	    egress ? "to" : "from");
	for (i = 0; i < k; i++) {
		if (i)
			put(b, n, cap, ", ");
		put_peer(b, n, cap, st, egress, &nets);
	}
	put(b, n, cap, "]");
	/* a named port never beside networks (upstream's CEL rule) */
	put_ports(b, n, cap, st, !nets);
	put(b, n, cap, "}\n");
}

static void put_cnps(char **b, size_t *n, size_t *cap,
		     const struct synth_cnp *cnp)
{
	unsigned st = cnp->seed ? cnp->seed : 1, i, d, k, any;

	for (i = 0; i < cnp->admin + cnp->baseline; i++) {
		bool admin = i < cnp->admin;

		put(b, n, cap,
		    "---\napiVersion: policy.networking.k8s.io/v1alpha2\n"
		    "kind: ClusterNetworkPolicy\n"
		    "metadata: {name: %s-%u}\n"
		    "spec:\n  tier: %s\n  priority: %u\n  subject: ",
		    admin ? "admin" : "baseline", i,
		    admin ? "Admin" : "Baseline", (i * 37) % 1001);
		switch (rnd(&st, 10)) {
		case 0:
		case 1:
		case 2:
		case 3:
		case 4:
			put(b, n, cap,
			    "{namespaces: {matchLabels: {team: t%u}}}",
			    rnd(&st, 20));
			break;
		case 5:
			put(b, n, cap, "{namespaces: {}}");
			break;
		case 6:
		case 7:
			put(b, n, cap,
			    "{pods: {namespaceSelector: {matchLabels: "
			    "{team: t%u}}, podSelector: {matchLabels: "
			    "{app: %s}}}}",
			    rnd(&st, 20), apps[rnd(&st, 6)]);
			break;
		default:
			put(b, n, cap,
			    "{pods: {podSelector: {matchLabels: {app: %s}}}}",
			    apps[rnd(&st, 6)]);
		}
		put(b, n, cap, "\n");
		for (d = any = 0; d < 2; d++) {
			/* 0 to 2 rules; at least one in some direction */
			k = rnd(&st, 3);
			if (!k && d && !any)
				k = 1;
			if (!k)
				continue;
			any += k;
			put(b, n, cap, "  %s:\n", d ? "egress" : "ingress");
			while (k--)
				put_rule(b, n, cap, &st, d);
		}
	}
}

char *synth_cluster(unsigned npods, unsigned nns, unsigned node_pods,
		    size_t *len)
{
	return synth_cluster_cnp(npods, nns, node_pods, NULL, len);
}

char *synth_cluster_cnp(unsigned npods, unsigned nns, unsigned node_pods,
			const struct synth_cnp *cnp, size_t *len)
{
	return synth_cluster_np(npods, nns, node_pods, 0, cnp, len);
}

char *synth_cluster_np(unsigned npods, unsigned nns, unsigned node_pods,
		       unsigned extra, const struct synth_cnp *cnp, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *b = malloc(cap);
	unsigned i, ns, k;

	if (!b)
		abort();
	b[0] = '\0';
	for (ns = 0; ns < nns; ns++) {
		put(&b, &n, &cap,
		    "---\napiVersion: v1\nkind: Namespace\nmetadata:\n"
		    "  name: ns%u\n  labels:\n    team: t%u\n",
		    ns, ns % 20);
		/* default deny + allow same-namespace frontends to 8080 */
		put(&b, &n, &cap,
		    "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		    "metadata: {name: web, namespace: ns%u}\n"
		    "spec:\n  podSelector: {matchLabels: {app: web}}\n"
		    "  policyTypes: [Ingress, Egress]\n"
		    "  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: front}}\n"
		    "    - namespaceSelector: {matchLabels: {team: t%u}}\n"
		    "      podSelector: {matchLabels: {app: front}}\n"
		    "    ports: [{port: 8080}, {port: http-alt}]\n"
		    "  egress:\n  - to:\n    - namespaceSelector: "
		    "{matchLabels: {kubernetes.io/metadata.name: ns0}}\n"
		    "    ports: [{port: 53, protocol: UDP}, {port: 53}]\n"
		    "  - to:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}\n",
		    ns, (ns + 1) % 20);
		/*
		 * monitoring from anywhere in the cluster; in the scale row
		 * (extra policies) from the monitors of one namespace, ns1,
		 * as a cluster of that size runs them: a peer of every pod
		 * in the cluster makes each rule set hold a sixth of the
		 * pods (16,667 keys at 100,000), more than a node's maps
		 */
		put(&b, &n, &cap,
		    "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		    "metadata: {name: metrics, namespace: ns%u}\n"
		    "spec:\n  podSelector: {}\n"
		    "  ingress:\n  - from:\n    - namespaceSelector: %s\n"
		    "      podSelector: {matchLabels: {app: monitor}}\n"
		    "    ports: [{port: 9090}]\n",
		    ns,
		    extra ? "{matchLabels: {kubernetes.io/metadata.name: ns1}}" :
			    "{}");
		put(&b, &n, &cap,
		    "---\napiVersion: v1\nkind: Service\n"
		    "metadata: {name: web, namespace: ns%u}\n"
		    "spec:\n  clusterIP: 198.19.%u.%u\n  selector: {app: web}\n"
		    "  ports: [{port: 80, targetPort: 8080}]\n",
		    ns, 240 + ns / 250, ns % 250 + 1);
		/* more policies: app k's pods from app k + 1's, one port */
		for (k = 0; k < extra; k++)
			put(&b, &n, &cap,
			    "---\napiVersion: networking.k8s.io/v1\n"
			    "kind: NetworkPolicy\n"
			    "metadata: {name: app%u, namespace: ns%u}\n"
			    "spec:\n  podSelector: {matchLabels: {app: %s}}\n"
			    "  ingress:\n  - from:\n    - podSelector: "
			    "{matchLabels: {app: %s}}\n"
			    "    ports: [{port: %u}]\n",
			    k, ns, apps[k % 6], apps[(k + 1) % 6], 7000 + k);
	}
	for (i = 0; i < npods; i++) {
		const char *app = apps[i % 6];

		ns = i % nns;
		put(&b, &n, &cap,
		    "---\napiVersion: v1\nkind: Pod\n"
		    "metadata:\n  name: p%u\n  namespace: ns%u\n"
		    "  labels: {app: %s, idx: i%u}\n"
		    "spec:\n  nodeName: node%u\n  containers:\n  - name: c\n"
		    "    ports:\n    - {name: http-alt, containerPort: %u}\n"
		    "    - {containerPort: 8080}\n"
		    "status:\n  phase: Running\n  hostIP: 198.19.255.%u\n"
		    "  podIP: 198.%u.%u.%u\n",
		    i, ns, app, i, i / node_pods, 8000 + i % 3,
		    i / node_pods % 250 + 1, 18 + ((i + 1) >> 16),
		    ((i + 1) >> 8) & 255, (i + 1) & 255);
	}
	if (cnp)
		put_cnps(&b, &n, &cap, cnp);
	*len = n;
	return b;
}
