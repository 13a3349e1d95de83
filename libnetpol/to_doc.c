/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Objects back to documents: each kind as a normalized node tree (what the
 * validated object means, defaults written out), for `netpol get` and the
 * round-trip tests.
 */
#include "cidr.h"
#include "names.h"
#include "objects.h"
#include "ports.h"
#include "selector.h"

#define PUT(m, k, v)                               \
	do {                                       \
		if (np__map_put(a, (m), (k), (v))) \
			return NULL;               \
	} while (0)
#define PUSH(s, v)                             \
	do {                                   \
		if (np__seq_push(a, (s), (v))) \
			return NULL;           \
	} while (0)

static struct np_node *labels_node(struct np_arena *a,
				   const struct np_labels *l)
{
	struct np_node *m = np__node_new(a, NP_N_MAP);
	size_t i;

	if (!m)
		return NULL;
	for (i = 0; i < l->n; i++)
		PUT(m, l->v[i].key, np__node_str(a, l->v[i].val));
	return m;
}

static const char *const op_names[] = { "In", "NotIn", "Exists",
					"DoesNotExist" };

static struct np_node *selector_node(struct np_arena *a,
				     const struct np_selector *s)
{
	struct np_node *m = np__node_new(a, NP_N_MAP), *ex, *e, *vals;
	size_t i, j;

	if (!m)
		return NULL;
	if (s->match.n)
		PUT(m, "matchLabels", labels_node(a, &s->match));
	if (!s->nexprs)
		return m;
	ex = np__node_new(a, NP_N_SEQ);
	PUT(m, "matchExpressions", ex);
	for (i = 0; i < s->nexprs; i++) {
		e = np__node_new(a, NP_N_MAP);
		PUSH(ex, e);
		PUT(e, "key", np__node_str(a, s->exprs[i].key));
		PUT(e, "operator", np__node_str(a, op_names[s->exprs[i].op]));
		if (s->exprs[i].op == NP_OP_IN ||
		    s->exprs[i].op == NP_OP_NOTIN) {
			vals = np__node_new(a, NP_N_SEQ);
			PUT(e, "values", vals);
			for (j = 0; j < s->exprs[i].nvalues; j++)
				PUSH(vals,
				     np__node_str(a, s->exprs[i].values[j]));
		}
	}
	return m;
}

static struct np_node *ports_node(struct np_arena *a, const struct np_port *p,
				  size_t n)
{
	struct np_node *s = np__node_new(a, NP_N_SEQ), *e;
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		e = np__node_new(a, NP_N_MAP);
		PUSH(s, e);
		PUT(e, "protocol", np__node_str(a, np__proto_name(p[i].proto)));
		if (p[i].name)
			PUT(e, "port", np__node_str(a, p[i].name));
		else if (p[i].has_port)
			PUT(e, "port", np__node_int(a, p[i].port));
		if (p[i].end_port)
			PUT(e, "endPort", np__node_int(a, p[i].end_port));
	}
	return s;
}

static struct np_node *cidr_node(struct np_arena *a, const struct np_cidr *c)
{
	char buf[64];

	np__cidr_format(c, buf, sizeof(buf));
	return np__node_str(a, buf);
}

static struct np_node *ip_node(struct np_arena *a, const struct np_ip *ip)
{
	char buf[64];

	np__ip_format(ip, buf, sizeof(buf));
	return np__node_str(a, buf);
}

static struct np_node *rules_node(struct np_arena *a, const struct np_rule *r,
				  size_t n, const char *peers_key)
{
	struct np_node *s = np__node_new(a, NP_N_SEQ), *e, *pl, *pe, *ib, *ex;
	size_t i, j, k;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		e = np__node_new(a, NP_N_MAP);
		PUSH(s, e);
		if (r[i].npeers) {
			pl = np__node_new(a, NP_N_SEQ);
			PUT(e, peers_key, pl);
			for (j = 0; j < r[i].npeers; j++) {
				const struct np_peer *p = &r[i].peers[j];

				pe = np__node_new(a, NP_N_MAP);
				PUSH(pl, pe);
				if (p->pod_sel)
					PUT(pe, "podSelector",
					    selector_node(a, p->pod_sel));
				if (p->ns_sel)
					PUT(pe, "namespaceSelector",
					    selector_node(a, p->ns_sel));
				if (!p->ipblock)
					continue;
				ib = np__node_new(a, NP_N_MAP);
				PUT(pe, "ipBlock", ib);
				PUT(ib, "cidr",
				    cidr_node(a, &p->ipblock->cidr));
				if (!p->ipblock->nexcept)
					continue;
				ex = np__node_new(a, NP_N_SEQ);
				PUT(ib, "except", ex);
				for (k = 0; k < p->ipblock->nexcept; k++)
					PUSH(ex,
					     cidr_node(a,
						       &p->ipblock->except[k]));
			}
		}
		if (r[i].nports)
			PUT(e, "ports", ports_node(a, r[i].ports, r[i].nports));
	}
	return s;
}

static struct np_node *pe_entries_node(struct np_arena *a,
				       const struct np_pe_entry *en, size_t n)
{
	struct np_node *s = np__node_new(a, NP_N_SEQ), *e, *ex;
	size_t i, k;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		e = np__node_new(a, NP_N_MAP);
		PUSH(s, e);
		PUT(e, "cidr", cidr_node(a, &en[i].cidr));
		if (en[i].nexcept) {
			ex = np__node_new(a, NP_N_SEQ);
			PUT(e, "except", ex);
			for (k = 0; k < en[i].nexcept; k++)
				PUSH(ex, cidr_node(a, &en[i].except[k]));
		}
		if (en[i].nports)
			PUT(e, "ports",
			    ports_node(a, en[i].ports, en[i].nports));
	}
	return s;
}

/* --- ClusterNetworkPolicy, ClusterPolicyEndpoint ------------------------ */

static struct np_node *cpeer_node(struct np_arena *a,
				  const struct np_cnp_peer *pe)
{
	static const char *const keys[] = {
		[NP_CNP_PEER_NAMESPACES] = "namespaces",
		[NP_CNP_PEER_PODS] = "pods",
		[NP_CNP_PEER_NODES] = "nodes",
		[NP_CNP_PEER_NETWORKS] = "networks",
		[NP_CNP_PEER_DOMAINS] = "domainNames",
	};
	struct np_node *m = np__node_new(a, NP_N_MAP), *v;
	size_t i;

	if (!m)
		return NULL;
	switch (pe->kind) {
	case NP_CNP_PEER_NAMESPACES:
	case NP_CNP_PEER_NODES:
		PUT(m, keys[pe->kind], selector_node(a, pe->sel));
		break;
	case NP_CNP_PEER_PODS:
		v = np__node_new(a, NP_N_MAP);
		PUT(m, "pods", v);
		if (pe->ns_sel)
			PUT(v, "namespaceSelector",
			    selector_node(a, pe->ns_sel));
		PUT(v, "podSelector", selector_node(a, pe->sel));
		break;
	case NP_CNP_PEER_NETWORKS:
		v = np__node_new(a, NP_N_SEQ);
		PUT(m, "networks", v);
		for (i = 0; i < pe->nnets; i++)
			PUSH(v, cidr_node(a, &pe->nets[i]));
		break;
	case NP_CNP_PEER_DOMAINS:
		v = np__node_new(a, NP_N_SEQ);
		PUT(m, "domainNames", v);
		for (i = 0; i < pe->ndomains; i++)
			PUSH(v, np__node_str(a, pe->domains[i]));
		break;
	default:
		if (pe->unknown)
			PUT(m, pe->unknown, np__node_new(a, NP_N_MAP));
		break;
	}
	return m;
}

/* Upstream protocols: [{tcp: {destinationPort: ...}}, ...]. */
static struct np_node *protocols_node(struct np_arena *a,
				      const struct np_port *p, size_t n)
{
	struct np_node *s = np__node_new(a, NP_N_SEQ), *e, *l4, *dp, *r;
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		e = np__node_new(a, NP_N_MAP);
		PUSH(s, e);
		if (p[i].name) {
			PUT(e, "destinationNamedPort",
			    np__node_str(a, p[i].name));
			continue;
		}
		l4 = np__node_new(a, NP_N_MAP);
		PUT(e,
		    p[i].proto == NP_PROTO_UDP	? "udp" :
		    p[i].proto == NP_PROTO_SCTP ? "sctp" :
						  "tcp",
		    l4);
		dp = np__node_new(a, NP_N_MAP);
		PUT(l4, "destinationPort", dp);
		if (!p[i].end_port) {
			PUT(dp, "number", np__node_int(a, p[i].port));
			continue;
		}
		r = np__node_new(a, NP_N_MAP);
		PUT(dp, "range", r);
		PUT(r, "start", np__node_int(a, p[i].port));
		PUT(r, "end", np__node_int(a, p[i].end_port));
	}
	return s;
}

/* AWS ports: [{portNumber: ...} | {portRange: ...} | {namedPort}]. */
static struct np_node *aws_ports_node(struct np_arena *a,
				      const struct np_port *p, size_t n)
{
	struct np_node *s = np__node_new(a, NP_N_SEQ), *e, *v;
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		e = np__node_new(a, NP_N_MAP);
		PUSH(s, e);
		if (p[i].name) {
			PUT(e, "namedPort", np__node_str(a, p[i].name));
			continue;
		}
		v = np__node_new(a, NP_N_MAP);
		PUT(e, p[i].end_port ? "portRange" : "portNumber", v);
		PUT(v, "protocol", np__node_str(a, np__proto_name(p[i].proto)));
		if (!p[i].end_port) {
			PUT(v, "port", np__node_int(a, p[i].port));
			continue;
		}
		PUT(v, "start", np__node_int(a, p[i].port));
		PUT(v, "end", np__node_int(a, p[i].end_port));
	}
	return s;
}

static struct np_node *cnp_rules_node(struct np_arena *a,
				      const struct np_cnp_rule *r, size_t n,
				      bool aws, const char *peers_key)
{
	struct np_node *s = np__node_new(a, NP_N_SEQ), *e, *pl;
	size_t i, j;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		e = np__node_new(a, NP_N_MAP);
		PUSH(s, e);
		if (r[i].name)
			PUT(e, "name", np__node_str(a, r[i].name));
		PUT(e, "action",
		    np__node_str(a, np__cnp_action_name(r[i].action)));
		pl = np__node_new(a, NP_N_SEQ);
		PUT(e, peers_key, pl);
		for (j = 0; j < r[i].npeers; j++)
			PUSH(pl, cpeer_node(a, &r[i].peers[j]));
		if (r[i].nports)
			PUT(e, aws ? "ports" : "protocols",
			    aws ? aws_ports_node(a, r[i].ports, r[i].nports) :
				  protocols_node(a, r[i].ports, r[i].nports));
	}
	return s;
}

static struct np_node *cpe_entries_node(struct np_arena *a,
					const struct np_cpe_entry *en, size_t n)
{
	struct np_node *s = np__node_new(a, NP_N_SEQ), *e;
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		e = np__node_new(a, NP_N_MAP);
		PUSH(s, e);
		PUT(e, "action",
		    np__node_str(a, np__cnp_action_name(en[i].action)));
		if (en[i].domain)
			PUT(e, "domainName", np__node_str(a, en[i].domain));
		else
			PUT(e, "cidr", cidr_node(a, &en[i].cidr));
		if (en[i].nports)
			PUT(e, "ports",
			    ports_node(a, en[i].ports, en[i].nports));
	}
	return s;
}

/* spec of both ClusterNetworkPolicy kinds; of a ClusterPolicyEndpoint. */
static struct np_node *cnp_spec_node(struct np_arena *a, const struct np_obj *o)
{
	struct np_node *spec = np__node_new(a, NP_N_MAP), *e, *s;
	const struct np_cnp *p = &o->cnp;
	const struct np_cpe *q = &o->cpe;
	size_t i;

	if (!spec)
		return NULL;
	if (o->kind != NP_KIND_CLUSTER_POLICY_ENDPOINT) {
		PUT(spec, "tier", np__node_str(a, np__cnp_tier_name(p->tier)));
		PUT(spec, "priority", np__node_int(a, p->priority));
		PUT(spec, "subject", cpeer_node(a, &p->subject));
		if (p->ningress)
			PUT(spec, "ingress",
			    cnp_rules_node(a, p->ingress, p->ningress, p->aws,
					   "from"));
		if (p->negress)
			PUT(spec, "egress",
			    cnp_rules_node(a, p->egress, p->negress, p->aws,
					   "to"));
		return spec;
	}
	e = np__node_new(a, NP_N_MAP);
	PUT(spec, "policyRef", e);
	PUT(e, "name", np__node_str(a, q->ref_name));
	PUT(spec, "tier", np__node_str(a, np__cnp_tier_name(q->tier)));
	PUT(spec, "priority", np__node_int(a, q->priority));
	if (q->has_subject)
		PUT(spec, "subject", cpeer_node(a, &q->subject));
	if (q->npods) {
		s = np__node_new(a, NP_N_SEQ);
		PUT(spec, "podSelectorEndpoints", s);
		for (i = 0; i < q->npods; i++) {
			const struct np_pe_pod *pp = &q->pods[i];

			e = np__node_new(a, NP_N_MAP);
			PUSH(s, e);
			PUT(e, "hostIP",
			    pp->host_ip.family ? ip_node(a, &pp->host_ip) :
						 np__node_str(a, ""));
			PUT(e, "podIP",
			    pp->pod_ip.family ? ip_node(a, &pp->pod_ip) :
						np__node_str(a, ""));
			PUT(e, "name",
			    np__node_str(a, pp->name ? pp->name : ""));
			PUT(e, "namespace",
			    np__node_str(a, pp->ns ? pp->ns : ""));
		}
	}
	if (q->ningress)
		PUT(spec, "ingress",
		    cpe_entries_node(a, q->ingress, q->ningress));
	if (q->negress)
		PUT(spec, "egress", cpe_entries_node(a, q->egress, q->negress));
	return spec;
}

struct np_node *np__obj_to_node(struct np_arena *a, const struct np_obj *o)
{
	struct np_node *root = np__node_new(a, NP_N_MAP), *meta, *spec, *st, *s,
		       *e;
	size_t i;

	if (!root)
		return NULL;
	PUT(root, "apiVersion", np__node_str(a, np__kind_api(o->kind)));
	PUT(root, "kind", np__node_str(a, np_kind_name(o->kind)));
	meta = np__node_new(a, NP_N_MAP);
	PUT(root, "metadata", meta);
	PUT(meta, "name", np__node_str(a, o->meta.name));
	if (!np__kind_cluster_scoped(o->kind))
		PUT(meta, "namespace", np__node_str(a, o->meta.ns));
	if (o->meta.labels.n)
		PUT(meta, "labels", labels_node(a, &o->meta.labels));
	switch (o->kind) {
	case NP_KIND_NAMESPACE:
		break;
	case NP_KIND_POD:
		spec = np__node_new(a, NP_N_MAP);
		PUT(root, "spec", spec);
		if (o->pod.host_network)
			PUT(spec, "hostNetwork", np__node_bool(a, true));
		if (o->pod.node_name)
			PUT(spec, "nodeName",
			    np__node_str(a, o->pod.node_name));
		s = np__node_new(a, NP_N_SEQ);
		PUT(spec, "containers", s);
		e = np__node_new(a, NP_N_MAP);
		PUSH(s, e);
		PUT(e, "name", np__node_str(a, "main"));
		if (o->pod.nports) {
			struct np_node *pl = np__node_new(a, NP_N_SEQ);

			PUT(e, "ports", pl);
			for (i = 0; i < o->pod.nports; i++) {
				struct np_node *pe = np__node_new(a, NP_N_MAP);

				PUSH(pl, pe);
				if (o->pod.ports[i].name)
					PUT(pe, "name",
					    np__node_str(a,
							 o->pod.ports[i].name));
				PUT(pe, "containerPort",
				    np__node_int(a, o->pod.ports[i].port));
				PUT(pe, "protocol",
				    np__node_str(
					    a, np__proto_name(
						       o->pod.ports[i].proto)));
			}
		}
		st = np__node_new(a, NP_N_MAP);
		PUT(root, "status", st);
		if (o->pod.phase_text)
			PUT(st, "phase", np__node_str(a, o->pod.phase_text));
		if (o->pod.host_ip.family)
			PUT(st, "hostIP", ip_node(a, &o->pod.host_ip));
		if (o->pod.nips) {
			PUT(st, "podIP", ip_node(a, &o->pod.ips[0]));
			s = np__node_new(a, NP_N_SEQ);
			PUT(st, "podIPs", s);
			for (i = 0; i < o->pod.nips; i++) {
				e = np__node_new(a, NP_N_MAP);
				PUSH(s, e);
				PUT(e, "ip", ip_node(a, &o->pod.ips[i]));
			}
		}
		break;
	case NP_KIND_SERVICE:
		spec = np__node_new(a, NP_N_MAP);
		PUT(root, "spec", spec);
		if (o->svc.type)
			PUT(spec, "type", np__node_str(a, o->svc.type));
		if (o->svc.has_selector)
			PUT(spec, "selector", labels_node(a, &o->svc.selector));
		if (o->svc.nips) {
			PUT(spec, "clusterIP", ip_node(a, &o->svc.ips[0]));
			s = np__node_new(a, NP_N_SEQ);
			PUT(spec, "clusterIPs", s);
			for (i = 0; i < o->svc.nips; i++)
				PUSH(s, ip_node(a, &o->svc.ips[i]));
		}
		s = np__node_new(a, NP_N_SEQ);
		PUT(spec, "ports", s);
		for (i = 0; i < o->svc.nports; i++) {
			const struct np_service_port *sp = &o->svc.ports[i];

			e = np__node_new(a, NP_N_MAP);
			PUSH(s, e);
			if (sp->name)
				PUT(e, "name", np__node_str(a, sp->name));
			PUT(e, "protocol",
			    np__node_str(a, np__proto_name(sp->proto)));
			PUT(e, "port", np__node_int(a, sp->port));
			PUT(e, "targetPort",
			    sp->target_name ? np__node_str(a, sp->target_name) :
					      np__node_int(a, sp->target_port));
		}
		break;
	case NP_KIND_NETWORK_POLICY:
		spec = np__node_new(a, NP_N_MAP);
		PUT(root, "spec", spec);
		PUT(spec, "podSelector", selector_node(a, &o->np.pod_sel));
		s = np__node_new(a, NP_N_SEQ);
		PUT(spec, "policyTypes", s);
		if (o->np.ingress_type)
			PUSH(s, np__node_str(a, "Ingress"));
		if (o->np.egress_type)
			PUSH(s, np__node_str(a, "Egress"));
		if (o->np.ningress)
			PUT(spec, "ingress",
			    rules_node(a, o->np.ingress, o->np.ningress,
				       "from"));
		if (o->np.negress)
			PUT(spec, "egress",
			    rules_node(a, o->np.egress, o->np.negress, "to"));
		break;
	case NP_KIND_POLICY_ENDPOINT:
		spec = np__node_new(a, NP_N_MAP);
		PUT(root, "spec", spec);
		if (o->pe.pod_sel)
			PUT(spec, "podSelector",
			    selector_node(a, o->pe.pod_sel));
		e = np__node_new(a, NP_N_MAP);
		PUT(spec, "policyRef", e);
		PUT(e, "name", np__node_str(a, o->pe.ref_name));
		PUT(e, "namespace", np__node_str(a, o->pe.ref_ns));
		if (o->pe.iso_ingress || o->pe.iso_egress) {
			s = np__node_new(a, NP_N_SEQ);
			PUT(spec, "podIsolation", s);
			if (o->pe.iso_ingress)
				PUSH(s, np__node_str(a, "Ingress"));
			if (o->pe.iso_egress)
				PUSH(s, np__node_str(a, "Egress"));
		}
		if (o->pe.npods) {
			s = np__node_new(a, NP_N_SEQ);
			PUT(spec, "podSelectorEndpoints", s);
			for (i = 0; i < o->pe.npods; i++) {
				const struct np_pe_pod *pp = &o->pe.pods[i];

				e = np__node_new(a, NP_N_MAP);
				PUSH(s, e);
				PUT(e, "hostIP",
				    pp->host_ip.family ?
					    ip_node(a, &pp->host_ip) :
					    np__node_str(a, ""));
				/* "": selected, no address yet */
				PUT(e, "podIP",
				    pp->pod_ip.family ?
					    ip_node(a, &pp->pod_ip) :
					    np__node_str(a, ""));
				PUT(e, "name",
				    np__node_str(a, pp->name ? pp->name : ""));
				PUT(e, "namespace",
				    np__node_str(a, pp->ns ? pp->ns : ""));
			}
		}
		if (o->pe.ningress)
			PUT(spec, "ingress",
			    pe_entries_node(a, o->pe.ingress, o->pe.ningress));
		if (o->pe.negress)
			PUT(spec, "egress",
			    pe_entries_node(a, o->pe.egress, o->pe.negress));
		break;
	case NP_KIND_CLUSTER_NETWORK_POLICY:
	case NP_KIND_AWS_CLUSTER_NETWORK_POLICY:
	case NP_KIND_CLUSTER_POLICY_ENDPOINT:
		PUT(root, "spec", cnp_spec_node(a, o));
		break;
	case NP_KIND_NODE:
		/* the IP addresses, the only ones kept */
		st = np__node_new(a, NP_N_MAP);
		PUT(root, "status", st);
		s = np__node_new(a, NP_N_SEQ);
		PUT(st, "addresses", s);
		for (i = 0; i < o->node.naddrs; i++) {
			e = np__node_new(a, NP_N_MAP);
			PUSH(s, e);
			PUT(e, "type",
			    np__node_str(a, o->node.addrs[i].external ?
						    "ExternalIP" :
						    "InternalIP"));
			PUT(e, "address", ip_node(a, &o->node.addrs[i].ip));
		}
		break;
	default:
		break;
	}
	return root;
}
