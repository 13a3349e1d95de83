/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ClusterPolicyEndpoint kind (networking.k8s.aws/v1alpha1, what the AWS
 * network policy controller makes of a ClusterNetworkPolicy and the agent
 * reads): policyRef.name, tier, priority, an optional subject, the selected
 * pods and ordered ingress and egress entries, each with an action, a CIDR
 * (or, egress, a domain name) and ports. List order is rule order.
 *
 * Enforced with NP_SOURCE_ENDPOINTS (tier_cpe.c); np_cluster_endpoints()
 * writes them (endpoints_cpe.c).
 */
#include <stdint.h>

#include "cidr.h"
#include "fields.h"
#include "kinds.h"
#include "np_limits.h"
#include "objects.h"
#include "ports.h"

/*
 * An entry's fields: anything else is reported (domainName in ingress is
 * the CRD's field, refused below as the missing cidr).
 */
static const char *const entry_fields[] = { "action", "cidr", "domainName",
					    "ports", NULL };

static void cpe_entries(struct np_vctx *c, const struct np_node *n, bool egress,
			struct np_cpe_entry **out, size_t *nout)
{
	size_t i, p, p2;

	if (!np__is_seq(c, n, NP_MAX_LIST * 16))
		return;
	*out = np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(**out));
	for (i = 0; *out && i < n->seq.n; i++) {
		const struct np_node *e = n->seq.v[i], *act, *cn, *dn, *ports;
		struct np_cpe_entry *ce = &(*out)[*nout];
		size_t before = c->nerr;

		p = np__path_push(c, "[%zu]", i);
		if (!np__is_map(c, e)) {
			np__path_pop(c, p);
			continue;
		}
		np__known_fields(c, e, "ClusterEndpointInfo", entry_fields);
		act = np__field(e, "action");
		p2 = np__path_push(c, ".action");
		if (!act)
			np__verr(c, e, -EINVAL, "Required value");
		else if (act->type == NP_N_STR && !strcmp(act->str.s, "Accept"))
			ce->action = NP_CNP_ACCEPT;
		else if (act->type == NP_N_STR && !strcmp(act->str.s, "Deny"))
			ce->action = NP_CNP_DENY;
		else if (act->type == NP_N_STR && !strcmp(act->str.s, "Pass"))
			ce->action = NP_CNP_PASS;
		else
			np__verr(c, act, -EINVAL,
				 "Unsupported value: %s: supported values: "
				 "\"Accept\", \"Deny\", \"Pass\"",
				 NP_REPR(act));
		np__path_pop(c, p2);
		cn = np__field(e, "cidr");
		dn = egress ? np__field(e, "domainName") : NULL;
		if (cn && dn) {
			np__verr(c, e, -EINVAL,
				 "Invalid value: \"object\": may not specify "
				 "both cidr and domainName");
		} else if (!cn && !dn) {
			np__err_required(c, e, "cidr", NULL);
		} else if (cn) {
			p2 = np__path_push(c, ".cidr");
			np__get_cidr(c, cn, &ce->cidr, true);
			np__path_pop(c, p2);
		} else {
			ce->domain = np__get_str(c, e, "domainName", NULL);
		}
		ports = np__field(e, "ports");
		if (ports) {
			p2 = np__path_push(c, ".ports");
			np__get_ports(c, ports, &ce->ports, &ce->nports, false);
			np__path_pop(c, p2);
		}
		if (c->nerr == before)
			(*nout)++;
		np__path_pop(c, p);
	}
}

void np__cpe_from(struct np_vctx *c, struct np_obj *o,
		  const struct np_node *spec)
{
	struct np_cpe *cpe = &o->cpe;
	const struct np_node *ref, *n;
	size_t p, p2;

	if (!spec) {
		np__err_required(c, c->objnode, "spec", NULL);
		return;
	}
	p = np__path_push(c, ".spec");
	if (!np__is_map(c, spec)) {
		np__path_pop(c, p);
		return;
	}
	ref = np__field(spec, "policyRef");
	if (!ref) {
		np__err_required(c, spec, "policyRef", NULL);
	} else {
		p2 = np__path_push(c, ".policyRef");
		if (np__is_map(c, ref)) {
			cpe->ref_name = np__get_str(c, ref, "name", &n);
			if (!n)
				np__err_required(c, ref, "name", NULL);
		}
		np__path_pop(c, p2);
	}
	/* the schema has no bounds: copied from a CNP's 0..1000 */
	np__cnp_tier_priority(c, spec, INT32_MAX, &cpe->tier, &cpe->priority);
	n = np__field(spec, "subject");
	if (n) {
		cpe->has_subject = true;
		np__cnp_subject(c, n, true, &cpe->subject);
	}
	n = np__field(spec, "podSelectorEndpoints");
	if (n) {
		p2 = np__path_push(c, ".podSelectorEndpoints");
		np__pe_pods(c, n, &cpe->pods, &cpe->npods);
		np__path_pop(c, p2);
	}
	n = np__field(spec, "ingress");
	if (n) {
		p2 = np__path_push(c, ".ingress");
		cpe_entries(c, n, false, &cpe->ingress, &cpe->ningress);
		np__path_pop(c, p2);
	}
	n = np__field(spec, "egress");
	if (n) {
		p2 = np__path_push(c, ".egress");
		cpe_entries(c, n, true, &cpe->egress, &cpe->negress);
		np__path_pop(c, p2);
	}
	np__path_pop(c, p);
}
