/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Service kind: selector, ports with their target ports, cluster
 * IPs, decoded and validated.
 */
#include "cidr.h"
#include "fields.h"
#include "kinds.h"
#include "names.h"
#include "np_limits.h"
#include "objects.h"
#include "ports.h"

/* ServicePort's fields: anything else is reported (np__known_fields()). */
static const char *const port_fields[] = { "name", "protocol",	 "appProtocol",
					   "port", "targetPort", "nodePort",
					   NULL };

void np__service_from(struct np_vctx *c, struct np_obj *o,
		      const struct np_node *spec)
{
	struct np_service *svc = &o->svc;
	const struct np_node *sel, *ports, *ips;
	size_t p = np__path_push(c, ".spec"), i;
	const char *cip;

	if (!spec || !np__is_map(c, spec)) {
		np__path_pop(c, p);
		return;
	}
	svc->type = np__get_str(c, spec, "type", NULL);
	sel = np__field(spec, "selector");
	if (sel) {
		size_t p2 = np__path_push(c, ".selector");

		svc->has_selector = true;
		np__get_labels(c, sel, &svc->selector, true);
		np__path_pop(c, p2);
	}
	ports = np__field(spec, "ports");
	if (ports) {
		size_t p2 = np__path_push(c, ".ports");

		if (np__is_seq(c, ports, NP_MAX_LIST)) {
			svc->ports = np__arena_zalloc(
				c->a, (ports->seq.n + 1) * sizeof(*svc->ports));
			for (i = 0; svc->ports && i < ports->seq.n; i++) {
				const struct np_node *e = ports->seq.v[i], *tp;
				struct np_service_port *sp =
					&svc->ports[svc->nports];
				size_t p3 = np__path_push(c, "[%zu]", i), p4;
				bool ok = true;

				if (!np__is_map(c, e)) {
					np__path_pop(c, p3);
					continue;
				}
				/* a misspelt targetPort would take port's */
				np__known_fields(c, e, "ServicePort",
						 port_fields);
				sp->name = np__get_str(c, e, "name", NULL);
				if (np__get_proto(c, e, &sp->proto, false))
					ok = false;
				p4 = np__path_push(c, ".port");
				if (!np__field(e, "port")) {
					np__path_pop(c, p4);
					np__err_required(c, e, "port", NULL);
					p4 = c->plen;
					ok = false;
				} else if (np__get_port_num(
						   c, np__field(e, "port"),
						   &sp->port) <= 0) {
					ok = false;
				}
				np__path_pop(c, p4);
				tp = np__field(e, "targetPort");
				p4 = np__path_push(c, ".targetPort");
				if (!tp) {
					sp->target_port = sp->port;
				} else if (tp->type == NP_N_STR) {
					const char *why =
						np__port_name(tp->str.s);

					if (why) {
						np__verr(
							c, tp, -EINVAL,
							"Invalid value: %s: %s",
							NP_REPR(tp), why);
						ok = false;
					}
					sp->target_name = np__str_dup(c, tp);
				} else if (np__get_port_num(c, tp,
							    &sp->target_port) <=
					   0) {
					ok = false;
				}
				np__path_pop(c, p4);
				if (ok)
					svc->nports++;
				np__path_pop(c, p3);
			}
		}
		np__path_pop(c, p2);
	}
	ips = np__field(spec, "clusterIPs");
	if (ips) {
		size_t p2 = np__path_push(c, ".clusterIPs");

		if (np__is_seq(c, ips, NP_MAX_IPS))
			for (i = 0; i < ips->seq.n; i++) {
				const struct np_node *v = ips->seq.v[i];
				size_t p3 = np__path_push(c, "[%zu]", i);

				if (v->type != NP_N_STR)
					np__err_type(c, v, "string");
				else if (strcmp(v->str.s, "None") &&
					 np__ip_parse(v->str.s,
						      &svc->ips[svc->nips]))
					np__verr(c, v, -EINVAL,
						 "Invalid value: %s: must be a "
						 "valid IP address",
						 NP_REPR(v));
				else if (strcmp(v->str.s, "None"))
					svc->nips++;
				np__path_pop(c, p3);
			}
		np__path_pop(c, p2);
	}
	cip = np__get_str(c, spec, "clusterIP", NULL);
	if (!svc->nips && cip && *cip && strcmp(cip, "None")) {
		if (np__ip_parse(cip, &svc->ips[0])) {
			size_t p2 = np__path_push(c, ".clusterIP");

			np__verr(c, np__field(spec, "clusterIP"), -EINVAL,
				 "Invalid value: \"%s\": must be a valid IP "
				 "address",
				 cip);
			np__path_pop(c, p2);
		} else {
			svc->nips = 1;
		}
	}
	np__path_pop(c, p);
}
