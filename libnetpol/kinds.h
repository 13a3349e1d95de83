/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The decoder of each kind, called by objects.c once it knows the kind:
 * each reads its part of the document into o and reports every problem
 * through c (kind_meta.c, kind_pod.c, kind_service.c, kind_netpol.c,
 * kind_pe.c, kind_cnp.c, kind_cpe.c, kind_node.c).
 */
#ifndef NP_KINDS_H
#define NP_KINDS_H

struct np_node;
struct np_obj;
struct np_vctx;

/* metadata (name, namespace, labels) of any kind; meta may be NULL. */
void np__meta_from(struct np_vctx *c, struct np_obj *o,
		   const struct np_node *doc, const struct np_node *meta);
/* Namespace: the kubernetes.io/metadata.name label, after np__meta_from. */
void np__namespace_from(struct np_vctx *c, struct np_obj *o);
void np__pod_from(struct np_vctx *c, struct np_obj *o,
		  const struct np_node *spec, const struct np_node *status);
void np__service_from(struct np_vctx *c, struct np_obj *o,
		      const struct np_node *spec);
void np__netpol_from(struct np_vctx *c, struct np_obj *o,
		     const struct np_node *spec);
void np__pe_from(struct np_vctx *c, struct np_obj *o,
		 const struct np_node *spec);

/* Both ClusterNetworkPolicy kinds (o->kind tells which). */
void np__cnp_from(struct np_vctx *c, struct np_obj *o,
		  const struct np_node *spec);
void np__cpe_from(struct np_vctx *c, struct np_obj *o,
		  const struct np_node *spec);
/* v1 Node (a document node is struct np_node; a Kubernetes one, kube). */
void np__kube_node_from(struct np_vctx *c, struct np_obj *o,
			const struct np_node *status);

#endif /* NP_KINDS_H */
