/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The PolicyEndpoint kind (networking.k8s.aws/v1alpha1, as the AWS VPC CNI
 * network policy agent reads it): policyRef, podSelector, podIsolation,
 * the selected pods and the ingress and egress CIDR entries with their
 * ports.
 */
#include "cidr.h"
#include "fields.h"
#include "kinds.h"
#include "np_limits.h"
#include "objects.h"
#include "ports.h"
#include "selector.h"

/*
 * The except list of an entry, each a subset of its cidr. ok: the entry
 * is valid so far (only then is the cidr there to compare with); returns
 * whether it still is.
 */
static bool pe_except(struct np_vctx *c, const struct np_node *ex,
		      struct np_pe_entry *pe, bool ok)
{
	struct np_cidr *x;
	size_t j, p;

	if (!np__is_seq(c, ex, NP_MAX_LIST))
		return false;
	pe->except =
		np__arena_zalloc(c->a, (ex->seq.n + 1) * sizeof(*pe->except));
	for (j = 0; pe->except && j < ex->seq.n; j++) {
		p = np__path_push(c, "[%zu]", j);
		x = &pe->except[pe->nexcept];
		if (!np__get_cidr(c, ex->seq.v[j], x, true)) {
			ok = false;
		} else if (ok && !np__cidr_contains(&pe->cidr, x)) {
			np__verr(c, ex->seq.v[j], -EINVAL,
				 "Invalid value: %s: must be a subset of "
				 "`cidr`",
				 NP_REPR(ex->seq.v[j]));
			ok = false;
		} else {
			pe->nexcept++;
		}
		np__path_pop(c, p);
	}
	return ok;
}

/* The ingress or egress entries of a PolicyEndpoint. */
/* An entry's fields (EndpointInfo): anything else is reported. */
static const char *const entry_fields[] = { "action", "cidr", "except", "ports",
					    NULL };

static void pe_entries(struct np_vctx *c, const struct np_node *n,
		       struct np_pe_entry **out, size_t *nout)
{
	size_t i;

	if (!np__is_seq(c, n, NP_MAX_LIST * 16))
		return;
	*out = np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(**out));
	for (i = 0; *out && i < n->seq.n; i++) {
		const struct np_node *e = n->seq.v[i], *cn, *ex, *ports, *act;
		struct np_pe_entry *pe = &(*out)[*nout];
		size_t p = np__path_push(c, "[%zu]", i), p2;
		bool ok = true;

		if (!np__is_map(c, e)) {
			np__path_pop(c, p);
			continue;
		}
		np__known_fields(c, e, "EndpointInfo", entry_fields);
		act = np__field(e, "action");
		if (act &&
		    (act->type != NP_N_STR || strcmp(act->str.s, "Allow"))) {
			p2 = np__path_push(c, ".action");
			np__verr(c, act, -ENOTSUP,
				 "Unsupported value: %s: supported values: "
				 "\"Allow\"",
				 NP_REPR(act));
			np__path_pop(c, p2);
			ok = false;
		}
		cn = np__field(e, "cidr");
		if (!cn) {
			np__err_required(c, e, "cidr", NULL);
			ok = false;
		} else {
			p2 = np__path_push(c, ".cidr");
			ok &= np__get_cidr(c, cn, &pe->cidr, true);
			np__path_pop(c, p2);
		}
		ex = np__field(e, "except");
		if (ex) {
			p2 = np__path_push(c, ".except");
			ok = pe_except(c, ex, pe, ok);
			np__path_pop(c, p2);
		}
		ports = np__field(e, "ports");
		if (ports) {
			size_t before = c->nerr;

			p2 = np__path_push(c, ".ports");
			np__get_ports(c, ports, &pe->ports, &pe->nports, false);
			np__path_pop(c, p2);
			if (c->nerr != before)
				ok = false;
		}
		pe->rule = (int)i;
		if (ok)
			(*nout)++;
		np__path_pop(c, p);
	}
}

/*
 * podSelectorEndpoints (PolicyEndpoint and ClusterPolicyEndpoint): the
 * valid items into *out, their count in *n.
 */
void np__pe_pods(struct np_vctx *c, const struct np_node *pods,
		 struct np_pe_pod **out, size_t *n)
{
	size_t i;

	if (!np__is_seq(c, pods, NP_MAX_OBJECTS))
		return;
	*out = np__arena_zalloc(c->a, (pods->seq.n + 1) * sizeof(**out));
	for (i = 0; *out && i < pods->seq.n; i++) {
		const struct np_node *e = pods->seq.v[i];
		struct np_pe_pod *pp = &(*out)[*n];
		size_t p = np__path_push(c, "[%zu]", i);
		size_t before = c->nerr;

		if (np__is_map(c, e)) {
			/* "": a selected pod not addressed yet */
			if (!np__get_ip(c, e, "podIP", &pp->pod_ip) &&
			    c->nerr == before &&
			    !np__get_str(c, e, "podIP", NULL))
				np__err_required(c, e, "podIP", NULL);
			np__get_ip(c, e, "hostIP", &pp->host_ip);
			pp->name = np__get_str(c, e, "name", NULL);
			pp->ns = np__get_str(c, e, "namespace", NULL);
			if (c->nerr == before)
				(*n)++;
		}
		np__path_pop(c, p);
	}
}

void np__pe_from(struct np_vctx *c, struct np_obj *o,
		 const struct np_node *spec)
{
	struct np_policyendpoint *pe = &o->pe;
	const struct np_node *ref, *iso, *pods, *n;
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
			pe->ref_name = np__get_str(c, ref, "name", &n);
			if (!n)
				np__err_required(c, ref, "name", NULL);
			pe->ref_ns = np__get_str(c, ref, "namespace", &n);
			if (!n)
				np__err_required(c, ref, "namespace", NULL);
		}
		np__path_pop(c, p2);
	}
	n = np__field(spec, "podSelector");
	if (n) {
		p2 = np__path_push(c, ".podSelector");
		pe->pod_sel = np__get_selector(c, n);
		np__path_pop(c, p2);
	}
	iso = np__field(spec, "podIsolation");
	if (iso) {
		p2 = np__path_push(c, ".podIsolation");
		np__get_directions(c, iso, &pe->iso_ingress, &pe->iso_egress);
		np__path_pop(c, p2);
	}
	pods = np__field(spec, "podSelectorEndpoints");
	if (pods) {
		p2 = np__path_push(c, ".podSelectorEndpoints");
		np__pe_pods(c, pods, &pe->pods, &pe->npods);
		np__path_pop(c, p2);
	}
	n = np__field(spec, "ingress");
	if (n) {
		p2 = np__path_push(c, ".ingress");
		pe_entries(c, n, &pe->ingress, &pe->ningress);
		np__path_pop(c, p2);
	}
	n = np__field(spec, "egress");
	if (n) {
		p2 = np__path_push(c, ".egress");
		pe_entries(c, n, &pe->egress, &pe->negress);
		np__path_pop(c, p2);
	}
	np__path_pop(c, p);
}
