/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Node kind (v1, cluster-scoped), as kubectl prints it: what a
 * ClusterNetworkPolicy egress nodes peer needs of it, its labels
 * (metadata) and the addresses in status.addresses[] of type InternalIP
 * and ExternalIP, both families. Every item needs a type and an address,
 * as in the API; the address of an IP type must be an IP address; items
 * of other types (Hostname, InternalDNS, ExternalDNS) are read and left
 * out.
 */
#include "cidr.h"
#include "fields.h"
#include "kinds.h"
#include "np_limits.h"
#include "objects.h"

/* One status.addresses item; true when it is an address to keep. */
static bool node_address(struct np_vctx *c, const struct np_node *e,
			 struct np_node_addr *out)
{
	const struct np_node *tn, *an;
	const char *type, *addr;
	bool ip_type;
	size_t p;

	type = np__get_str(c, e, "type", &tn);
	addr = np__get_str(c, e, "address", &an);
	if (!tn)
		np__err_required(c, e, "type", NULL);
	if (!an)
		np__err_required(c, e, "address", NULL);
	if (!type || !addr)
		return false;
	ip_type = !strcmp(type, "InternalIP") || !strcmp(type, "ExternalIP");
	if (!ip_type)
		return false;
	if (!*addr) {
		p = np__path_push(c, ".address");
		np__verr(c, an, -EINVAL,
			 "Required value: an %s needs an IP address", type);
		np__path_pop(c, p);
		return false;
	}
	if (!np__get_ip(c, e, "address", &out->ip))
		return false;
	out->external = type[0] == 'E';
	return true;
}

void np__kube_node_from(struct np_vctx *c, struct np_obj *o,
			const struct np_node *status)
{
	struct np_kube_node *kn = &o->node;
	const struct np_node *addrs;
	size_t p, p2, i;

	if (!status)
		return;
	p = np__path_push(c, ".status");
	if (!np__is_map(c, status)) {
		np__path_pop(c, p);
		return;
	}
	addrs = np__field(status, "addresses");
	p2 = np__path_push(c, ".addresses");
	if (addrs && np__is_seq(c, addrs, NP_MAX_LIST)) {
		kn->addrs = np__arena_zalloc(c->a, (addrs->seq.n + 1) *
							   sizeof(*kn->addrs));
		for (i = 0; kn->addrs && i < addrs->seq.n; i++) {
			size_t p3 = np__path_push(c, "[%zu]", i);

			if (np__is_map(c, addrs->seq.v[i]) &&
			    node_address(c, addrs->seq.v[i],
					 &kn->addrs[kn->naddrs]))
				kn->naddrs++;
			np__path_pop(c, p3);
		}
	}
	np__path_pop(c, p2);
	np__path_pop(c, p);
}
