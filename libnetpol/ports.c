/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Protocols and ports: the protocol field and its names, port numbers, and
 * the port lists of NetworkPolicy rules and PolicyEndpoint entries
 * (NetworkPolicyPort: protocol, port or named port, endPort).
 */
#include "fields.h"
#include "names.h"
#include "np_limits.h"
#include "ports.h"

/*
 * The API server lists the supported protocols in declaration order for
 * NetworkPolicy ports and sorted for Pod and Service ports.
 */
int np__get_proto(struct np_vctx *c, const struct np_node *map, uint8_t *out,
		  bool netpol)
{
	const struct np_node *n = np__field(map, "protocol");
	size_t p;
	int ret = 0;

	*out = NP_PROTO_TCP;
	if (!n)
		return 0;
	p = np__path_push(c, ".protocol");
	if (n->type != NP_N_STR) {
		np__err_type(c, n, "string");
		ret = -1;
	} else if (!strcmp(n->str.s, "TCP")) {
		*out = NP_PROTO_TCP;
	} else if (!strcmp(n->str.s, "UDP")) {
		*out = NP_PROTO_UDP;
	} else if (!strcmp(n->str.s, "SCTP")) {
		*out = NP_PROTO_SCTP;
	} else {
		np__verr(c, n, -EINVAL,
			 "Unsupported value: %s: supported values: %s",
			 NP_REPR(n),
			 netpol ? "\"TCP\", \"UDP\", \"SCTP\"" :
				  "\"SCTP\", \"TCP\", \"UDP\"");
		ret = -1;
	}
	np__path_pop(c, p);
	return ret;
}

/* A port number field: 1 valid, 0 absent, -1 reported. */
int np__get_port_num(struct np_vctx *c, const struct np_node *n, uint16_t *out)
{
	int64_t v;
	int r = np__get_int(c, n, &v);

	if (r <= 0)
		return r;
	if (v < 1 || v > 65535) {
		np__verr(c, n, -EINVAL,
			 "Invalid value: %lld: must be between 1 and 65535, "
			 "inclusive",
			 (long long)v);
		return -1;
	}
	*out = (uint16_t)v;
	return 1;
}

const char *np__proto_name(uint8_t proto)
{
	const char *name = np_protocol_name((enum np_protocol)proto);

	if (name)
		return name;
	return proto == NP_PROTO_ANY ? "ANY" : "?";
}

static const char *const port_fields[] = { "protocol", "port", "endPort",
					   NULL };

void np__get_ports(struct np_vctx *c, const struct np_node *n,
		   struct np_port **out, size_t *nout, bool named_ok)
{
	size_t i;

	*out = NULL;
	*nout = 0;
	if (!np__is_seq(c, n, NP_MAX_LIST))
		return;
	*out = np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(**out));
	if (!*out)
		return;
	for (i = 0; i < n->seq.n; i++) {
		const struct np_node *e = n->seq.v[i], *pn, *en;
		struct np_port *pt = &(*out)[*nout];
		size_t p = np__path_push(c, "[%zu]", i), p2;
		bool ok = true;
		int r;

		if (!np__is_map(c, e)) {
			np__path_pop(c, p);
			continue;
		}
		np__known_fields(c, e, "NetworkPolicyPort", port_fields);
		if (np__get_proto(c, e, &pt->proto, true))
			ok = false;
		pn = np__field(e, "port");
		en = np__field(e, "endPort");
		if (pn) {
			p2 = np__path_push(c, ".port");
			if (pn->type == NP_N_STR && named_ok) {
				const char *why = np__port_name(pn->str.s);

				if (why) {
					np__verr(c, pn, -EINVAL,
						 "Invalid value: %s: %s",
						 NP_REPR(pn), why);
					ok = false;
				} else {
					pt->name = np__str_dup(c, pn);
					pt->has_port = true;
				}
			} else if (np__get_port_num(c, pn, &pt->port) > 0) {
				pt->has_port = true;
			} else {
				ok = false;
			}
			np__path_pop(c, p2);
		}
		if (en) {
			uint16_t end = 0;

			p2 = np__path_push(c, ".endPort");
			r = np__get_port_num(c, en, &end);
			np__path_pop(c, p2);
			if (r < 0) {
				ok = false;
			} else if (!pn) {
				p2 = np__path_push(c, ".endPort");
				np__verr(
					c, en, -EINVAL,
					"Invalid value: %u: may not be specified "
					"when `port` is not specified",
					end);
				np__path_pop(c, p2);
				ok = false;
			} else if (pt->name || pn->type == NP_N_STR) {
				p2 = np__path_push(c, ".endPort");
				np__verr(
					c, en, -EINVAL,
					"Invalid value: %u: may not be specified "
					"when `port` is non-numeric",
					end);
				np__path_pop(c, p2);
				ok = false;
			} else if (pt->has_port && end < pt->port) {
				p2 = np__path_push(c, ".endPort");
				np__verr(
					c, en, -EINVAL,
					"Invalid value: %u: must be greater than "
					"or equal to `port`",
					end);
				np__path_pop(c, p2);
				ok = false;
			} else if (pt->has_port) {
				pt->end_port = end;
			}
		}
		if (ok)
			(*nout)++;
		np__path_pop(c, p);
	}
}
