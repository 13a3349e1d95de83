/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ObjectMeta, which every kind has (name, namespace, labels), decoded and
 * validated; and the Namespace kind, which is nothing more than its
 * metadata plus the kubernetes.io/metadata.name label the API server adds.
 */
#include <stdlib.h>

#include "fields.h"
#include "kinds.h"
#include "names.h"
#include "objects.h"

/* Namespaces, Nodes and the cluster policies have no namespace. */
bool np__kind_cluster_scoped(enum np_kind kind)
{
	return kind == NP_KIND_NAMESPACE || kind == NP_KIND_NODE ||
	       kind == NP_KIND_CLUSTER_NETWORK_POLICY ||
	       kind == NP_KIND_AWS_CLUSTER_NETWORK_POLICY ||
	       kind == NP_KIND_CLUSTER_POLICY_ENDPOINT;
}

/*
 * ObjectMeta's fields (clusterName: older servers'): anything else is
 * reported. A misspelt labels would leave a pod unlabelled, out of the
 * policies that select it to isolate it.
 */
static const char *const meta_fields[] = {
	"name",
	"generateName",
	"namespace",
	"selfLink",
	"uid",
	"resourceVersion",
	"generation",
	"creationTimestamp",
	"deletionTimestamp",
	"deletionGracePeriodSeconds",
	"labels",
	"annotations",
	"ownerReferences",
	"finalizers",
	"managedFields",
	"clusterName",
	NULL,
};

void np__meta_from(struct np_vctx *c, struct np_obj *o,
		   const struct np_node *doc, const struct np_node *meta)
{
	const struct np_node *nn, *nsn;
	const char *why;

	nn = meta && meta->type == NP_N_MAP ? np__field(meta, "name") : NULL;
	nsn = meta && meta->type == NP_N_MAP ? np__field(meta, "namespace") :
					       NULL;
	if (!meta) {
		np__err_required(c, doc, "metadata", NULL);
	} else {
		size_t p = np__path_push(c, "metadata"), p2;

		if (np__is_map(c, meta)) {
			np__known_fields(c, meta, "ObjectMeta", meta_fields);
			o->meta.name = np__get_str(c, meta, "name", NULL);
			p2 = np__path_push(c, ".name");
			if (!nn)
				np__verr(
					c, meta, -EINVAL,
					"Required value: name or generateName is "
					"required");
			else if (o->meta.name &&
				 (why = o->kind == NP_KIND_NAMESPACE ?
						np__dns1123_label(
							o->meta.name,
							strlen(o->meta.name)) :
						np__dns1123_subdomain(
							o->meta.name,
							strlen(o->meta.name))))
				np__verr(c, nn, -EINVAL,
					 "Invalid value: \"%s\": %s",
					 o->meta.name, why);
			np__path_pop(c, p2);
			/* cluster-scoped: the API server drops a namespace */
			if (!np__kind_cluster_scoped(o->kind)) {
				o->meta.ns =
					np__get_str(c, meta, "namespace", NULL);
				if (!o->meta.ns)
					o->meta.ns = "default";
				else if ((why = np__dns1123_label(
						  o->meta.ns,
						  strlen(o->meta.ns)))) {
					p2 = np__path_push(c, ".namespace");
					np__verr(c, nsn, -EINVAL,
						 "Invalid value: \"%s\": %s",
						 o->meta.ns, why);
					np__path_pop(c, p2);
				}
			} else {
				o->meta.ns = "";
			}
			p2 = np__path_push(c, ".labels");
			np__get_labels(c, np__field(meta, "labels"),
				       &o->meta.labels, true);
			np__path_pop(c, p2);
		}
		np__path_pop(c, p);
	}
}

void np__namespace_from(struct np_vctx *c, struct np_obj *o)
{
	/* the API server adds kubernetes.io/metadata.name */
	if (o->meta.name &&
	    !np__labels_get(&o->meta.labels, "kubernetes.io/metadata.name")) {
		struct np_label *v = np__arena_alloc(
			c->a, (o->meta.labels.n + 1) * sizeof(*v));

		if (v) {
			if (o->meta.labels.n)
				memcpy(v, o->meta.labels.v,
				       o->meta.labels.n * sizeof(*v));
			v[o->meta.labels.n].key = "kubernetes.io/metadata.name";
			v[o->meta.labels.n].val = o->meta.name;
			o->meta.labels.v = v;
			o->meta.labels.n++;
			qsort(v, o->meta.labels.n, sizeof(*v), np__label_cmp);
		}
	}
}
