// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A synthetic cluster for the control-plane benchmarks: P pods in N
 * namespaces, two policies per namespace (1,000 for 500 namespaces), a
 * Service per app, and peers that use namespaceSelector: {}.
 */
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

char *synth_cluster(unsigned npods, unsigned nns, unsigned node_pods,
		    size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *b = malloc(cap);
	unsigned i, ns;

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
		/* monitoring from anywhere in the cluster */
		put(&b, &n, &cap,
		    "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		    "metadata: {name: metrics, namespace: ns%u}\n"
		    "spec:\n  podSelector: {}\n"
		    "  ingress:\n  - from:\n    - namespaceSelector: {}\n"
		    "      podSelector: {matchLabels: {app: monitor}}\n"
		    "    ports: [{port: 9090}]\n",
		    ns);
		put(&b, &n, &cap,
		    "---\napiVersion: v1\nkind: Service\n"
		    "metadata: {name: web, namespace: ns%u}\n"
		    "spec:\n  clusterIP: 198.19.%u.%u\n  selector: {app: web}\n"
		    "  ports: [{port: 80, targetPort: 8080}]\n",
		    ns, 128 + ns / 250, ns % 250 + 1);
	}
	for (i = 0; i < npods; i++) {
		static const char *const apps[] = { "web", "front", "db",
						    "web", "front", "monitor" };
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
		    "  podIP: 198.18.%u.%u\n",
		    i, ns, app, i, i / node_pods, 8000 + i % 3,
		    i / node_pods % 250 + 1, i / 250, i % 250 + 1);
	}
	*len = n;
	return b;
}
