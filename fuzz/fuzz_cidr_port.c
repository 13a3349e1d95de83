// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CIDRs, addresses and ports. The input is up to five lines: cidr, except,
 * port, endPort, protocol.
 *
 * The first two lines go straight through np__cidr_parse and np__ip_parse:
 * a parsed prefix has no host bits, formats and parses back to itself, and
 * contains itself. Then all five fill the ipBlock and ports of an ingress
 * rule of a fixed policy; when it validates, the compiled rule set must
 * admit the prefix's first address on the rule's port unless an except
 * covers it, and refuse the ports around the range.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "cluster_internal.h"
#include "fuzz.h"

static void cidr_props(const char *s)
{
	struct np_cidr c, c2;
	struct np_ip ip, ip2;
	char buf[80];
	unsigned i, bits;
	int bare;

	for (bare = 0; bare < 2; bare++) {
		if (np__cidr_parse(s, &c, bare))
			continue;
		FZ_CHECK(c.family == 4 || c.family == 6);
		bits = c.family == 4 ? 32 : 128;
		FZ_CHECK(c.len <= bits);
		for (i = c.len; i < 128; i++)
			FZ_CHECK(!(c.addr[i / 8] & (0x80u >> (i % 8))));
		np__cidr_format(&c, buf, sizeof(buf));
		FZ_CHECK(np__cidr_parse(buf, &c2, false) == 0);
		FZ_CHECK(c.family == c2.family && c.len == c2.len &&
			 !memcmp(c.addr, c2.addr, sizeof(c.addr)));
		FZ_CHECK(np__cidr_contains(&c, &c2));
		ip.family = c.family;
		memcpy(ip.addr, c.addr, sizeof(ip.addr));
		FZ_CHECK(np__cidr_has_ip(&c, &ip));
		/* a slash is required unless bare addresses are allowed */
		if (!bare)
			FZ_CHECK(strchr(s, '/'));
	}
	if (!np__ip_parse(s, &ip)) {
		FZ_CHECK(ip.family == 4 || ip.family == 6);
		np__ip_format(&ip, buf, sizeof(buf));
		FZ_CHECK(np__ip_parse(buf, &ip2) == 0);
		FZ_CHECK(ip.family == ip2.family &&
			 !memcmp(ip.addr, ip2.addr, sizeof(ip.addr)));
		/* and a bare address is a full-length prefix */
		FZ_CHECK(np__cidr_parse(s, &c, true) == 0);
		FZ_CHECK(c.len == (ip.family == 4 ? 32 : 128));
	}
}

static const char head[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n"
	"spec:\n  containers:\n  - name: c\n    ports:\n"
	"    - {name: http, containerPort: 8080}\n"
	"    - {name: dns, containerPort: 53, protocol: UDP}\n"
	"status: {phase: Running, podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1},"
	" {ip: \"fd00::1\"}]}\n"
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: p, namespace: a}\nspec:\n  podSelector: {}\n"
	"  ingress:\n  - from:\n    - ipBlock:\n";

static char *build(char **l, size_t n, size_t *len)
{
	size_t cap = sizeof(head) + 256, i;
	char *buf;

	for (i = 0; i < n; i++)
		cap += strlen(l[i]);
	buf = malloc(cap);
	if (!buf)
		return NULL;
	*len = (size_t)snprintf(
		buf, cap,
		"%s        cidr: %s\n%s%s%s    ports:\n    - port: %s\n"
		"%s%s%s%s%s",
		head, n > 0 ? l[0] : "",
		n > 1 && *l[1] ? "        except:\n        - " : "",
		n > 1 && *l[1] ? l[1] : "", n > 1 && *l[1] ? "\n" : "",
		n > 2 ? l[2] : "80", n > 3 && *l[3] ? "      endPort: " : "",
		n > 3 && *l[3] ? l[3] : "", n > 3 && *l[3] ? "\n" : "",
		n > 4 && *l[4] ? "      protocol: " : "",
		n > 4 && *l[4] ? l[4] : "");
	return buf;
}

static void check(struct np_cluster *c)
{
	const struct np_obj *pol =
		np__cluster_find(c, NP_KIND_NETWORK_POLICY, "a", "p");
	const struct np_ipblock *ib;
	const struct np_port *pt;
	struct np_ruleset *rs = NULL;
	struct np_verdict v;
	struct np_ip ip;
	char peer[64];
	bool excepted = false;
	size_t i;

	FZ_CHECK(pol && pol->np.ningress == 1);
	FZ_CHECK(pol->np.ingress[0].npeers == 1);
	ib = pol->np.ingress[0].peers[0].ipblock;
	FZ_CHECK(ib);
	pt = pol->np.ingress[0].nports ? &pol->np.ingress[0].ports[0] : NULL;
	FZ_CHECK(np_ruleset_compile(&rs, c, "a", "p", NULL, NULL) == 0);
	ip.family = ib->cidr.family;
	memcpy(ip.addr, ib->cidr.addr, sizeof(ip.addr));
	np__ip_format(&ip, peer, sizeof(peer));
	for (i = 0; i < ib->nexcept; i++)
		excepted |= np__cidr_has_ip(&ib->except[i], &ip);
	if (!pt || !pt->has_port || pt->name)
		goto out;
	FZ_CHECK(np_ruleset_verdict(rs, NP_DIRECTION_INGRESS, peer,
				    (enum np_protocol)pt->proto, pt->port,
				    &v) == 0);
	/* the pod's own addresses decide otherwise */
	if (v.reason == NP_REASON_SELF || v.reason == NP_REASON_NODE)
		goto out;
	if (v.allowed == excepted)
		fprintf(stderr, "%s port %u: %s, reason %d\n", peer, pt->port,
			v.allowed ? "allowed" : "denied", (int)v.reason);
	FZ_CHECK(v.allowed == !excepted);
	FZ_TRACE("cidr_port: verdicts checked\n");
	if (pt->end_port)
		FZ_CHECK(np_ruleset_verdict(rs, NP_DIRECTION_INGRESS, peer,
					    (enum np_protocol)pt->proto,
					    pt->end_port, &v) == 0 &&
			 v.allowed == !excepted);
	if (!excepted && pt->port > 1) {
		FZ_CHECK(np_ruleset_verdict(rs, NP_DIRECTION_INGRESS, peer,
					    (enum np_protocol)pt->proto,
					    (uint16_t)(pt->port - 1), &v) == 0);
		FZ_CHECK(!v.allowed && v.reason == NP_REASON_PORT);
	}
	if (!excepted) {
		uint16_t last = pt->end_port ? pt->end_port : pt->port;

		if (last < 65535) {
			FZ_CHECK(np_ruleset_verdict(
					 rs, NP_DIRECTION_INGRESS, peer,
					 (enum np_protocol)pt->proto,
					 (uint16_t)(last + 1), &v) == 0);
			FZ_CHECK(!v.allowed && v.reason == NP_REASON_PORT);
		}
	}
out:
	np_ruleset_free(rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_cluster *c = NULL;
	char *copy, *text, *l[5];
	size_t n, i, len;

	if (size > 4096)
		return 0;
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	n = fz_lines(copy, l, 5);
	for (i = 0; i < n && i < 2; i++)
		cidr_props(l[i]);
	text = build(l, n, &len);
	if (text) {
		FZ_CHECK(np_cluster_new(&c, NULL) == 0);
		if (!fz_load(c, text, len, NP_FORMAT_YAML, 0) &&
		    np_cluster_count(c, NP_KIND_NETWORK_POLICY) == 1 &&
		    np_cluster_count(c, NP_KIND_POD) == 1)
			check(c);
		fz_compile_all(c, NP_SOURCE_POLICIES, 4);
		np_cluster_free(c);
		free(text);
	}
	free(copy);
	return 0;
}
