/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Pod kind: what policy needs of it, decoded and validated
 * (hostNetwork, nodeName, container ports; phase, hostIP, podIP(s)).
 */
#include "cidr.h"
#include "fields.h"
#include "kinds.h"
#include "names.h"
#include "np_limits.h"
#include "objects.h"
#include "ports.h"

/* One container port: name, containerPort, protocol. false: reported. */
static bool container_port(struct np_vctx *c, const struct np_node *e,
			   struct np_container_port *cport)
{
	const struct np_node *nn;
	const char *why;
	bool ok = true;
	size_t p;

	cport->name = np__get_str(c, e, "name", &nn);
	if (cport->name && (why = np__port_name(cport->name))) {
		p = np__path_push(c, ".name");
		np__verr(c, nn, -EINVAL, "Invalid value: \"%s\": %s",
			 cport->name, why);
		np__path_pop(c, p);
		ok = false;
	}
	p = np__path_push(c, ".containerPort");
	if (!np__field(e, "containerPort")) {
		np__path_pop(c, p);
		np__err_required(c, e, "containerPort", NULL);
		ok = false;
	} else {
		if (np__get_port_num(c, np__field(e, "containerPort"),
				     &cport->port) <= 0)
			ok = false;
		np__path_pop(c, p);
	}
	if (np__get_proto(c, e, &cport->proto, false))
		ok = false;
	return ok;
}

/*
 * The ports of all containers (spec.containers[*].ports), at most
 * NP_MAX_POD_PORTS in all.
 */
static void pod_ports(struct np_vctx *c, struct np_pod *pod,
		      const struct np_node *conts)
{
	size_t p2 = np__path_push(c, ".containers"), i, j, total = 0;

	if (np__is_seq(c, conts, NP_MAX_POD_PORTS))
		for (i = 0; i < conts->seq.n; i++) {
			const struct np_node *cp = conts->seq.v[i];
			const struct np_node *pl =
				cp->type == NP_N_MAP ? np__field(cp, "ports") :
						       NULL;

			if (pl && pl->type == NP_N_SEQ)
				total += pl->seq.n;
		}
	if (total > NP_MAX_POD_PORTS) {
		np__verr(c, conts, -E2BIG,
			 "Too many: %zu: container ports must be at most %d",
			 total, NP_MAX_POD_PORTS);
		total = 0;
	}
	pod->ports = np__arena_zalloc(c->a, (total + 1) * sizeof(*pod->ports));
	for (i = 0; total && pod->ports && i < conts->seq.n; i++) {
		const struct np_node *cp = conts->seq.v[i], *pl;
		size_t p3 = np__path_push(c, "[%zu].ports", i);

		pl = cp->type == NP_N_MAP ? np__field(cp, "ports") : NULL;
		if (cp->type != NP_N_MAP) {
			np__path_pop(c, p3);
			p3 = np__path_push(c, "[%zu]", i);
			np__err_type(c, cp, "object");
		} else if (pl && np__is_seq(c, pl, NP_MAX_POD_PORTS)) {
			for (j = 0; j < pl->seq.n; j++) {
				size_t p4 = np__path_push(c, "[%zu]", j);

				if (np__is_map(c, pl->seq.v[j]) &&
				    container_port(c, pl->seq.v[j],
						   &pod->ports[pod->nports]))
					pod->nports++;
				np__path_pop(c, p4);
			}
		}
		np__path_pop(c, p3);
	}
	np__path_pop(c, p2);
}

void np__pod_from(struct np_vctx *c, struct np_obj *o,
		  const struct np_node *spec, const struct np_node *status)
{
	struct np_pod *pod = &o->pod;
	const struct np_node *conts, *ips;
	size_t p = np__path_push(c, ".spec"), i;

	if (spec && np__is_map(c, spec)) {
		pod->host_network = np__get_bool(c, spec, "hostNetwork");
		pod->node_name = np__get_str(c, spec, "nodeName", NULL);
		conts = np__field(spec, "containers");
		if (conts)
			pod_ports(c, pod, conts);
	}
	np__path_pop(c, p);
	if (!status)
		return;
	p = np__path_push(c, ".status");
	if (!np__is_map(c, status)) {
		np__path_pop(c, p);
		return;
	}
	{
		const char *phase = np__get_str(c, status, "phase", NULL);

		pod->phase_text = phase;
		if (!phase)
			pod->phase = NP_PHASE_UNKNOWN;
		else if (!strcmp(phase, "Pending"))
			pod->phase = NP_PHASE_PENDING;
		else if (!strcmp(phase, "Running"))
			pod->phase = NP_PHASE_RUNNING;
		else if (!strcmp(phase, "Succeeded"))
			pod->phase = NP_PHASE_SUCCEEDED;
		else if (!strcmp(phase, "Failed"))
			pod->phase = NP_PHASE_FAILED;
	}
	np__get_ip(c, status, "hostIP", &pod->host_ip);
	ips = np__field(status, "podIPs");
	if (ips) {
		size_t p2 = np__path_push(c, ".podIPs");

		if (np__is_seq(c, ips, NP_MAX_IPS)) {
			for (i = 0; i < ips->seq.n; i++) {
				size_t p3 = np__path_push(c, "[%zu]", i);

				if (np__is_map(c, ips->seq.v[i]) &&
				    np__get_ip(c, ips->seq.v[i], "ip",
					       &pod->ips[pod->nips]))
					pod->nips++;
				np__path_pop(c, p3);
			}
		}
		np__path_pop(c, p2);
	}
	if (!pod->nips) {
		if (np__get_ip(c, status, "podIP", &pod->ips[0]))
			pod->nips = 1;
	} else {
		struct np_ip one;

		/* podIP, when given, must be podIPs[0] */
		if (np__get_ip(c, status, "podIP", &one) &&
		    memcmp(&one, &pod->ips[0], sizeof(one))) {
			size_t p2 = np__path_push(c, ".podIP");

			np__verr(c, np__field(status, "podIP"), -EINVAL,
				 "Invalid value: \"%s\": must match podIPs[0]",
				 np__field(status, "podIP")->str.s);
			np__path_pop(c, p2);
		}
	}
	np__path_pop(c, p);
}
