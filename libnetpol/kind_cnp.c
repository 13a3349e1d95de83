/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ClusterNetworkPolicy kinds, decoded and validated as their CRDs'
 * schemas and CEL rules do:
 *
 *  - policy.networking.k8s.io/v1alpha2 and v1beta1 (one shape): tier,
 *    priority 0..1000, a subject, at most 25 ingress and egress rules,
 *    each with an action, 1..25 peers and optional protocols
 *    (tcp/udp/sctp destinationPort number or range, destinationNamedPort);
 *  - networking.k8s.aws/v1alpha1: the same frame with AWS limits (100
 *    rules, 100 peers), no nodes peer, ANP-style ports (portNumber,
 *    portRange, namedPort) and domainNames not allowed in Deny rules.
 *
 * Messages follow the API server's for CRD schemas ("... in body should
 * be ..."); a CEL rule reports "Invalid value: \"object\": <message>".
 * Where this is stricter than the API server (the object could not be
 * represented or enforced otherwise), the comment says so.
 *
 * Not enforced yet: the compiler ignores these kinds (README, status).
 */
#include <ctype.h>
#include <stdio.h>

#include "cidr.h"
#include "fields.h"
#include "kinds.h"
#include "np_limits.h"
#include "objects.h"
#include "ports.h"
#include "selector.h"

#define UP_MAX_RULES 25
#define UP_MAX_PEERS 25
#define UP_MAX_PROTOCOLS 25
#define AWS_MAX_RULES 100
#define AWS_MAX_PEERS 100
#define AWS_MAX_PORTS 100
#define MAX_NETWORKS 25
#define MAX_DOMAINS 25
#define MAX_CIDR_LEN 43
#define MAX_RULE_NAME 100
#define MAX_PRIORITY 1000

/* The current path as the API server writes it into "in body" messages. */
static const char *body(const struct np_vctx *c)
{
	return c->path[0] == '.' ? c->path + 1 : c->path;
}

/* An integer within [lo, hi]; false when absent (not reported) or bad. */
static bool get_bounded(struct np_vctx *c, const struct np_node *n, int64_t lo,
			int64_t hi, int64_t *out)
{
	if (np__get_int(c, n, out) <= 0)
		return false;
	if (*out < lo) {
		np__verr(c, n, -EINVAL,
			 "Invalid value: %lld: %s in body should be greater "
			 "than or equal to %lld",
			 (long long)*out, body(c), (long long)lo);
		return false;
	}
	if (*out > hi) {
		np__verr(c, n, -EINVAL,
			 "Invalid value: %lld: %s in body should be less than "
			 "or equal to %lld",
			 (long long)*out, body(c), (long long)hi);
		return false;
	}
	return true;
}

/* A list of min..max items; false (reported) otherwise. */
static bool is_list(struct np_vctx *c, const struct np_node *n, size_t min,
		    size_t max)
{
	if (!np__is_seq(c, n, max))
		return false;
	if (n->seq.n < min) {
		np__verr(c, n, -EINVAL,
			 "Invalid value: %zu: %s in body should have at least "
			 "%zu items",
			 n->seq.n, body(c), min);
		return false;
	}
	return true;
}

/* A required field below the current path; NULL (reported) when absent. */
static const struct np_node *need(struct np_vctx *c, const struct np_node *map,
				  const char *key)
{
	const struct np_node *n = np__field(map, key);

	if (!n)
		np__err_required(c, map, key, NULL);
	return n;
}

/*
 * How many of the keys map has (minProperties/maxProperties 1 over a
 * union); reports 0 or more than 1, unless zero_ok and map has only other
 * fields, none a peer field of this API: a peer of a newer API version,
 * kept as NP_CNP_PEER_UNKNOWN (upstream: fail closed). The API server
 * prunes a field its schema lacks, so a peer field in the wrong place
 * (networks in ingress, nodes in an AWS peer) leaves no property.
 */
static size_t one_of(struct np_vctx *c, const struct np_node *map,
		     const char *const *keys, bool zero_ok)
{
	static const char *const peer_keys[] = {
		"namespaces", "pods", "nodes", "networks", "domainNames", NULL,
	};
	size_t i, n = 0;

	for (i = 0; keys[i]; i++)
		n += !!np__field(map, keys[i]);
	/* a peer field of another direction or API is not a newer one */
	for (i = 0; zero_ok && peer_keys[i]; i++)
		if (np__map_get(map, peer_keys[i]))
			zero_ok = false;
	if (n > 1)
		np__verr(c, map, -EINVAL,
			 "Invalid value: %zu: %s in body should have at most "
			 "1 properties",
			 n, body(c));
	else if (!n && !(zero_ok && map->map.n))
		np__verr(c, map, -EINVAL,
			 "Invalid value: 0: %s in body should have at least 1 "
			 "properties",
			 body(c));
	return n;
}

/* An enum string field; -1 when absent or reported. */
static int get_enum(struct np_vctx *c, const struct np_node *map,
		    const char *key, const char *const *names, size_t nnames,
		    bool required)
{
	const struct np_node *n = np__field(map, key);
	char list[128] = "";
	size_t i, p, len = 0;
	int ret = -1;

	if (!n) {
		if (required)
			np__err_required(c, map, key, NULL);
		return -1;
	}
	p = np__path_push(c, ".%s", key);
	if (n->type != NP_N_STR) {
		np__err_type(c, n, "string");
		np__path_pop(c, p);
		return -1;
	}
	for (i = 0; i < nnames; i++) {
		if (!strcmp(n->str.s, names[i]))
			ret = (int)i;
		len += (size_t)snprintf(list + len, sizeof(list) - len,
					"%s\"%s\"", i ? ", " : "", names[i]);
	}
	if (ret < 0)
		np__verr(c, n, -EINVAL,
			 "Unsupported value: %s: supported values: %s",
			 NP_REPR(n), list);
	np__path_pop(c, p);
	return ret;
}

/*
 * A domain name as the CRD's pattern has it: an optional leading "*.",
 * at least two dot-separated labels of [a-zA-Z0-9]([-a-zA-Z0-9_]*
 * [a-zA-Z0-9])? and an optional trailing dot.
 */
static bool domain_ok(const char *s)
{
	size_t labels = 0, len;
	const char *e;

	if (!strncmp(s, "*.", 2))
		s += 2;
	while (*s) {
		e = strchr(s, '.');
		len = e ? (size_t)(e - s) : strlen(s);
		if (!len || !isalnum((unsigned char)s[0]) ||
		    !isalnum((unsigned char)s[len - 1]))
			return false;
		for (size_t i = 1; i + 1 < len; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
			    s[i] != '_')
				return false;
		labels++;
		if (!e)
			break;
		s = e + 1;
	}
	return labels >= 2;
}

/* An earlier item of list equal to item i (listType=set). */
static bool dup_before(const struct np_node *list, size_t i)
{
	const struct np_node *a = list->seq.v[i];
	size_t j;

	for (j = 0; j < i; j++) {
		const struct np_node *b = list->seq.v[j];

		if (b->type == NP_N_STR && b->str.len == a->str.len &&
		    !memcmp(a->str.s, b->str.s, a->str.len))
			return true;
	}
	return false;
}

static void get_networks(struct np_vctx *c, const struct np_node *n,
			 struct np_cnp_peer *pe)
{
	size_t i, p;

	if (!is_list(c, n, 1, MAX_NETWORKS))
		return;
	pe->nets = np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(*pe->nets));
	for (i = 0; pe->nets && i < n->seq.n; i++) {
		const struct np_node *x = n->seq.v[i];

		p = np__path_push(c, "[%zu]", i);
		if (x->type != NP_N_STR) {
			np__err_type(c, x, "string");
		} else if (x->str.len > MAX_CIDR_LEN) {
			np__verr(c, x, -EINVAL,
				 "Too long: may not be more than %d bytes",
				 MAX_CIDR_LEN);
		} else if (dup_before(n, i)) {
			np__verr(c, x, -EINVAL, "Duplicate value: %s",
				 NP_REPR(x));
		} else if (np__cidr_parse(x->str.s, &pe->nets[pe->nnets],
					  false)) {
			/*
			 * Upstream: CEL isCIDR(self). The AWS CRD has no such
			 * rule; an entry that is not a CIDR cannot be
			 * enforced, so it is rejected here too.
			 */
			np__verr(c, x, -EINVAL,
				 "Invalid value: \"string\": Invalid CIDR "
				 "format provided");
		} else {
			pe->nnets++;
		}
		np__path_pop(c, p);
	}
}

static void get_domains(struct np_vctx *c, const struct np_node *n,
			struct np_cnp_peer *pe)
{
	size_t i, p;

	if (!is_list(c, n, 1, MAX_DOMAINS))
		return;
	pe->domains =
		np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(*pe->domains));
	for (i = 0; pe->domains && i < n->seq.n; i++) {
		const struct np_node *x = n->seq.v[i];

		p = np__path_push(c, "[%zu]", i);
		if (x->type != NP_N_STR)
			np__err_type(c, x, "string");
		else if (!domain_ok(x->str.s))
			np__verr(c, x, -EINVAL,
				 "Invalid value: %s: %s in body should be a "
				 "domain name such as example.com or "
				 "*.example.com",
				 NP_REPR(x), body(c));
		else if (dup_before(n, i))
			np__verr(c, x, -EINVAL, "Duplicate value: %s",
				 NP_REPR(x));
		else
			pe->domains[pe->ndomains++] = np__str_dup(c, x);
		np__path_pop(c, p);
	}
}

/*
 * The fields of the types read here besides the peers' unions (a peer or
 * protocol field of a newer version stays NP_CNP_PEER_UNKNOWN, one_of()):
 * anything else is reported (np__known_fields(): ignored, a misspelt
 * field would allow more than written).
 */
static const char *const spec_fields[] = { "tier",    "priority", "subject",
					   "ingress", "egress",	  NULL };
static const char *const rule_in_fields[] = { "name", "action", "from",
					      "protocols", NULL };
static const char *const rule_eg_fields[] = { "name", "action", "to",
					      "protocols", NULL };
static const char *const aws_rule_in_fields[] = { "name", "action", "from",
						  "ports", NULL };
static const char *const aws_rule_eg_fields[] = { "name", "action", "to",
						  "ports", NULL };
static const char *const pods_fields[] = { "namespaceSelector", "podSelector",
					   NULL };
static const char *const l4_fields[] = { "destinationPort", NULL };
static const char *const range_fields[] = { "start", "end", NULL };
static const char *const aws_number_fields[] = { "protocol", "port", NULL };
static const char *const aws_range_fields[] = { "protocol", "start", "end",
						NULL };

/* A NamespacedPod; AWS requires namespaceSelector too. */
static void get_pods(struct np_vctx *c, const struct np_node *n,
		     struct np_cnp_peer *pe, bool aws)
{
	const struct np_node *ns, *ps;
	size_t p;

	if (!np__is_map(c, n))
		return;
	np__known_fields(c, n, "NamespacedPod", pods_fields);
	ns = np__field(n, "namespaceSelector");
	if (ns) {
		p = np__path_push(c, ".namespaceSelector");
		pe->ns_sel = np__get_selector(c, ns);
		np__path_pop(c, p);
	} else if (aws) {
		np__err_required(c, n, "namespaceSelector", NULL);
	}
	ps = need(c, n, "podSelector");
	if (ps) {
		p = np__path_push(c, ".podSelector");
		pe->sel = np__get_selector(c, ps);
		np__path_pop(c, p);
	}
}

static const char *const subject_keys[] = { "namespaces", "pods", NULL };
static const char *const ingress_keys[] = { "namespaces", "pods", NULL };
static const char *const up_egress_keys[] = {
	"namespaces", "pods", "nodes", "networks", "domainNames", NULL,
};
static const char *const aws_egress_keys[] = {
	"namespaces", "pods", "networks", "domainNames", NULL,
};

/* A subject or a peer, one of keys; unknown_ok: see one_of(). */
static void get_peer(struct np_vctx *c, const struct np_node *n,
		     const char *const *keys, bool aws, bool unknown_ok,
		     struct np_cnp_peer *pe)
{
	const struct np_node *f;
	size_t i, p;

	if (!one_of(c, n, keys, unknown_ok)) {
		pe->kind = NP_CNP_PEER_UNKNOWN;
		if (n->map.n)
			pe->unknown = np__arena_strndup(c->a, n->map.k[0],
							strlen(n->map.k[0]));
		return;
	}
	for (i = 0; keys[i]; i++) {
		f = np__field(n, keys[i]);
		if (!f)
			continue;
		p = np__path_push(c, ".%s", keys[i]);
		if (!strcmp(keys[i], "namespaces")) {
			pe->kind = NP_CNP_PEER_NAMESPACES;
			pe->sel = np__get_selector(c, f);
		} else if (!strcmp(keys[i], "nodes")) {
			pe->kind = NP_CNP_PEER_NODES;
			pe->sel = np__get_selector(c, f);
		} else if (!strcmp(keys[i], "pods")) {
			pe->kind = NP_CNP_PEER_PODS;
			get_pods(c, f, pe, aws);
		} else if (!strcmp(keys[i], "networks")) {
			pe->kind = NP_CNP_PEER_NETWORKS;
			get_networks(c, f, pe);
		} else {
			pe->kind = NP_CNP_PEER_DOMAINS;
			get_domains(c, f, pe);
		}
		np__path_pop(c, p);
	}
}

/* start < end, both 1..65535 (PortRange; AWS portRange). */
static void get_range(struct np_vctx *c, const struct np_node *n,
		      struct np_port *pt)
{
	const struct np_node *s, *e;
	int64_t start = 0, end = 0;
	bool ok;
	size_t p;

	s = need(c, n, "start");
	e = need(c, n, "end");
	p = np__path_push(c, ".start");
	ok = s && get_bounded(c, s, 1, 65535, &start);
	np__path_pop(c, p);
	p = np__path_push(c, ".end");
	ok &= e && get_bounded(c, e, 1, 65535, &end);
	np__path_pop(c, p);
	if (ok && start >= end)
		np__verr(c, n, -EINVAL,
			 "Invalid value: \"object\": Start port must be less "
			 "than End port");
	pt->has_port = true;
	pt->port = (uint16_t)start;
	pt->end_port = (uint16_t)end;
}

/* Upstream: {tcp|udp|sctp: {destinationPort: {number|range}}}. */
static void get_l4(struct np_vctx *c, const struct np_node *n,
		   struct np_port *pt)
{
	static const char *const keys[] = { "number", "range", NULL };
	const struct np_node *dp, *f;
	int64_t v;
	size_t p;

	if (!np__is_map(c, n))
		return;
	if (!n->map.n) {
		np__verr(c, n, -EINVAL,
			 "Invalid value: 0: %s in body should have at least 1 "
			 "properties",
			 body(c));
		return;
	}
	np__known_fields(c, n, "ProtocolPort", l4_fields);
	dp = need(c, n, "destinationPort");
	if (!dp)
		return;
	p = np__path_push(c, ".destinationPort");
	if (np__is_map(c, dp) && one_of(c, dp, keys, false) == 1) {
		f = np__field(dp, "number");
		if (f) {
			size_t p2 = np__path_push(c, ".number");

			if (get_bounded(c, f, 1, 65535, &v)) {
				pt->has_port = true;
				pt->port = (uint16_t)v;
			}
			np__path_pop(c, p2);
		}
		f = np__field(dp, "range");
		if (f) {
			size_t p2 = np__path_push(c, ".range");

			if (np__is_map(c, f)) {
				np__known_fields(c, f, "PortRange",
						 range_fields);
				get_range(c, f, pt);
			}
			np__path_pop(c, p2);
		}
	}
	np__path_pop(c, p);
}

static void get_protocols(struct np_vctx *c, const struct np_node *n,
			  struct np_cnp_rule *r)
{
	static const char *const keys[] = {
		"tcp", "udp", "sctp", "destinationNamedPort", NULL,
	};
	static const uint8_t protos[] = { NP_PROTO_TCP, NP_PROTO_UDP,
					  NP_PROTO_SCTP };
	size_t i, k, p;

	if (!is_list(c, n, 1, UP_MAX_PROTOCOLS))
		return;
	r->ports = np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(*r->ports));
	for (i = 0; r->ports && i < n->seq.n; i++) {
		const struct np_node *x = n->seq.v[i], *f;
		struct np_port *pt = &r->ports[r->nports];

		p = np__path_push(c, "[%zu]", i);
		if (!np__is_map(c, x) || one_of(c, x, keys, false) != 1) {
			np__path_pop(c, p);
			continue;
		}
		for (k = 0; k < 3; k++) {
			f = np__field(x, keys[k]);
			if (f) {
				size_t p2 = np__path_push(c, ".%s", keys[k]);

				pt->proto = protos[k];
				get_l4(c, f, pt);
				np__path_pop(c, p2);
			}
		}
		pt->name = np__get_str(c, x, "destinationNamedPort", NULL);
		r->nports++;
		np__path_pop(c, p);
	}
}

/* AWS: [{portNumber: {protocol, port}} | {portRange: {...}} | {namedPort}]. */
static void get_aws_ports(struct np_vctx *c, const struct np_node *n,
			  struct np_cnp_rule *r)
{
	static const char *const keys[] = {
		"portNumber",
		"portRange",
		"namedPort",
		NULL,
	};
	size_t i, p, p2;

	if (!is_list(c, n, 1, AWS_MAX_PORTS))
		return;
	r->ports = np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(*r->ports));
	for (i = 0; r->ports && i < n->seq.n; i++) {
		const struct np_node *x = n->seq.v[i], *f;
		struct np_port *pt = &r->ports[r->nports];
		int64_t v;

		p = np__path_push(c, "[%zu]", i);
		/*
		 * The AWS CRD does not say exactly one (its resolver emits
		 * each); one item meaning two things is rejected here.
		 */
		if (!np__is_map(c, x) || one_of(c, x, keys, false) != 1) {
			np__path_pop(c, p);
			continue;
		}
		f = np__field(x, "portNumber");
		if (f) {
			p2 = np__path_push(c, ".portNumber");
			if (np__is_map(c, f)) {
				const struct np_node *pn = need(c, f, "port");

				np__known_fields(c, f, "portNumber",
						 aws_number_fields);
				/* stricter: TCP, UDP, SCTP (free text) */
				np__get_proto(c, f, &pt->proto, true);
				pt->has_port = true;
				if (pn) {
					size_t p3 = np__path_push(c, ".port");

					if (get_bounded(c, pn, 1, 65535, &v))
						pt->port = (uint16_t)v;
					np__path_pop(c, p3);
				}
			}
			np__path_pop(c, p2);
		}
		f = np__field(x, "portRange");
		if (f) {
			p2 = np__path_push(c, ".portRange");
			if (np__is_map(c, f)) {
				np__known_fields(c, f, "portRange",
						 aws_range_fields);
				np__get_proto(c, f, &pt->proto, true);
				get_range(c, f, pt);
			}
			np__path_pop(c, p2);
		}
		pt->name = np__get_str(c, x, "namedPort", NULL);
		r->nports++;
		np__path_pop(c, p);
	}
}

static bool rule_has_peer(const struct np_cnp_rule *r, enum np_cnp_peer_kind k)
{
	size_t i;

	for (i = 0; i < r->npeers; i++)
		if (r->peers[i].kind == k)
			return true;
	return false;
}

static void get_rules(struct np_vctx *c, const struct np_node *n, bool aws,
		      bool egress, struct np_cnp_rule **out, size_t *nout)
{
	static const char *const actions[] = { "Accept", "Deny", "Pass" };
	const char *peers_key = egress ? "to" : "from";
	const char *const *keys = !egress ? ingress_keys :
				  aws	  ? aws_egress_keys :
					    up_egress_keys;
	size_t i, j, p, p2;

	if (!np__is_seq(c, n, aws ? AWS_MAX_RULES : UP_MAX_RULES))
		return;
	*out = np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(**out));
	for (i = 0; *out && i < n->seq.n; i++) {
		const struct np_node *x = n->seq.v[i], *f, *pl;
		struct np_cnp_rule *r = &(*out)[*nout];
		size_t before = c->nerr;
		int act;

		p = np__path_push(c, "[%zu]", i);
		if (!np__is_map(c, x)) {
			np__path_pop(c, p);
			continue;
		}
		np__known_fields(c, x, egress ? "egress rule" : "ingress rule",
				 aws ? (egress ? aws_rule_eg_fields :
						 aws_rule_in_fields) :
				       (egress ? rule_eg_fields :
						 rule_in_fields));
		r->name = np__get_str(c, x, "name", &f);
		if (r->name && strlen(r->name) > MAX_RULE_NAME) {
			p2 = np__path_push(c, ".name");
			np__verr(c, f, -EINVAL,
				 "Too long: may not be more than %d bytes",
				 MAX_RULE_NAME);
			np__path_pop(c, p2);
		}
		act = get_enum(c, x, "action", actions, 3, true);
		r->action = act < 0 ? NP_CNP_DENY : (enum np_cnp_action)act;
		pl = need(c, x, peers_key);
		if (pl) {
			p2 = np__path_push(c, ".%s", peers_key);
			if (is_list(c, pl, 1,
				    aws ? AWS_MAX_PEERS : UP_MAX_PEERS)) {
				r->peers = np__arena_zalloc(
					c->a,
					(pl->seq.n + 1) * sizeof(*r->peers));
				for (j = 0; r->peers && j < pl->seq.n; j++) {
					size_t p3 =
						np__path_push(c, "[%zu]", j);

					if (np__is_map(c, pl->seq.v[j]))
						get_peer(
							c, pl->seq.v[j], keys,
							aws, true,
							&r->peers[r->npeers++]);
					np__path_pop(c, p3);
				}
			}
			np__path_pop(c, p2);
		}
		f = np__field(x, aws ? "ports" : "protocols");
		if (f) {
			p2 = np__path_push(c, aws ? ".ports" : ".protocols");
			if (aws)
				get_aws_ports(c, f, r);
			else
				get_protocols(c, f, r);
			np__path_pop(c, p2);
		}
		if (c->nerr == before && egress && !aws &&
		    np__cnp_rule_has_named(r) &&
		    (rule_has_peer(r, NP_CNP_PEER_NETWORKS) ||
		     rule_has_peer(r, NP_CNP_PEER_NODES) ||
		     rule_has_peer(r, NP_CNP_PEER_DOMAINS)))
			np__verr(
				c, x, -EINVAL,
				"Invalid value: \"object\": "
				"networks/nodes/domainNames peer cannot be set "
				"with namedPorts since there are no namedPorts "
				"for networks/nodes/domainNames");
		/*
		 * AWS: the CRD copies disagree (not Accept, or Deny); the
		 * permissive reading is taken, Accept and Pass are allowed.
		 */
		if (c->nerr == before && egress && aws &&
		    r->action == NP_CNP_DENY &&
		    rule_has_peer(r, NP_CNP_PEER_DOMAINS))
			np__verr(c, x, -EINVAL,
				 "Invalid value: \"object\": domainNames peer "
				 "cannot be used with Deny action, only Accept "
				 "and Pass actions are supported for "
				 "domainNames");
		(*nout)++;
		np__path_pop(c, p);
	}
}

const char *np__cnp_tier_name(enum np_cnp_tier t)
{
	return t == NP_CNP_TIER_BASELINE ? "Baseline" : "Admin";
}

const char *np__cnp_action_name(enum np_cnp_action a)
{
	switch (a) {
	case NP_CNP_ACCEPT:
		return "Accept";
	case NP_CNP_DENY:
		return "Deny";
	default:
		return "Pass";
	}
}

bool np__cnp_rule_has_named(const struct np_cnp_rule *r)
{
	size_t i;

	for (i = 0; i < r->nports; i++)
		if (r->ports[i].name)
			return true;
	return false;
}

/* Tier (Admin, Baseline) and priority 0..max; shared with kind_cpe.c. */
void np__cnp_tier_priority(struct np_vctx *c, const struct np_node *spec,
			   int64_t max, enum np_cnp_tier *tier,
			   int32_t *priority)
{
	static const char *const tiers[] = { "Admin", "Baseline" };
	const struct np_node *n;
	int64_t v;
	int t;
	size_t p;

	t = get_enum(c, spec, "tier", tiers, 2, true);
	*tier = t < 0 ? NP_CNP_TIER_ADMIN : (enum np_cnp_tier)t;
	n = need(c, spec, "priority");
	if (n) {
		p = np__path_push(c, ".priority");
		if (get_bounded(c, n, 0, max, &v))
			*priority = (int32_t)v;
		np__path_pop(c, p);
	}
}

/* The subject: namespaces or pods. */
void np__cnp_subject(struct np_vctx *c, const struct np_node *n, bool aws,
		     struct np_cnp_peer *out)
{
	size_t p = np__path_push(c, ".subject");

	if (np__is_map(c, n))
		get_peer(c, n, subject_keys, aws, false, out);
	np__path_pop(c, p);
}

void np__cnp_from(struct np_vctx *c, struct np_obj *o,
		  const struct np_node *spec)
{
	struct np_cnp *cnp = &o->cnp;
	const struct np_node *n;
	size_t p, p2;

	cnp->aws = o->kind == NP_KIND_AWS_CLUSTER_NETWORK_POLICY;
	if (!spec) {
		np__err_required(c, c->objnode, "spec", NULL);
		return;
	}
	p = np__path_push(c, ".spec");
	if (!np__is_map(c, spec)) {
		np__path_pop(c, p);
		return;
	}
	np__known_fields(c, spec, "ClusterNetworkPolicySpec", spec_fields);
	np__cnp_tier_priority(c, spec, MAX_PRIORITY, &cnp->tier,
			      &cnp->priority);
	n = need(c, spec, "subject");
	if (n)
		np__cnp_subject(c, n, cnp->aws, &cnp->subject);
	n = np__field(spec, "ingress");
	if (n) {
		p2 = np__path_push(c, ".ingress");
		get_rules(c, n, cnp->aws, false, &cnp->ingress, &cnp->ningress);
		np__path_pop(c, p2);
	}
	n = np__field(spec, "egress");
	if (n) {
		p2 = np__path_push(c, ".egress");
		get_rules(c, n, cnp->aws, true, &cnp->egress, &cnp->negress);
		np__path_pop(c, p2);
	}
	np__path_pop(c, p);
}
