/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Document trees into typed, validated objects: which kinds there are, the
 * dispatch from a document (an object, or a List of them) to its kind's
 * decoder, and an object's lifetime.
 *
 * Validation follows the Kubernetes API server (pkg/apis/networking/
 * validation and apimachinery's label and selector rules), and the
 * messages follow its field.Error style:
 *   spec.ingress[0].ports[1].endPort: Invalid value: 70: must be greater
 *   than or equal to port
 * Every problem of an object is reported (not just the first); an object
 * with any problem is not returned.
 *
 * Where the rest lives: fields.c (field paths, diagnostics, typed
 * access), names.c (names, label keys and values, label sets), cidr.c,
 * ports.c, selector.c, kind_*.c (one kind each; kind_meta.c has the
 * metadata of all of them and Namespace; kind_cnp.c has both
 * ClusterNetworkPolicy kinds; kind_node.c has Node), to_doc.c (objects back to
 * documents).
 */
#include <stdio.h>

#include "fields.h"
#include "kinds.h"
#include "np_limits.h"
#include "objects.h"

static const struct {
	const char *kind;
	const char *api;
	enum np_kind k;
} kinds[] = {
	{ "Namespace", "v1", NP_KIND_NAMESPACE },
	{ "Pod", "v1", NP_KIND_POD },
	{ "Service", "v1", NP_KIND_SERVICE },
	{ "NetworkPolicy", "networking.k8s.io/v1", NP_KIND_NETWORK_POLICY },
	{ "PolicyEndpoint", "networking.k8s.aws/v1alpha1",
	  NP_KIND_POLICY_ENDPOINT },
	/* the first row of a kind gives the apiVersion of its export */
	{ "ClusterNetworkPolicy", "policy.networking.k8s.io/v1beta1",
	  NP_KIND_CLUSTER_NETWORK_POLICY },
	{ "ClusterNetworkPolicy", "policy.networking.k8s.io/v1alpha2",
	  NP_KIND_CLUSTER_NETWORK_POLICY },
	{ "ClusterNetworkPolicy", "networking.k8s.aws/v1alpha1",
	  NP_KIND_AWS_CLUSTER_NETWORK_POLICY },
	{ "ClusterPolicyEndpoint", "networking.k8s.aws/v1alpha1",
	  NP_KIND_CLUSTER_POLICY_ENDPOINT },
	{ "Node", "v1", NP_KIND_NODE },
};

const char *np_kind_name(enum np_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].k == kind)
			return kinds[i].kind;
	return NULL;
}

const char *np__kind_api(enum np_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].k == kind)
			return kinds[i].api;
	return "";
}

uint64_t np__serial_next(void)
{
	static uint64_t serial;

	return __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED);
}

void np__obj_free(struct np_obj *o)
{
	struct np_arena a;

	if (!o)
		return;
	a = o->arena;
	np__arena_release(&a);
}

/*
 * A cluster policy kind of an API group none of its rows has (Antrea's
 * crd.antrea.io ClusterNetworkPolicy): another project's kind, skipped
 * like any other. The older kinds keep rejecting a wrong apiVersion.
 */
static bool other_group(enum np_kind k, const char *kind, const char *api)
{
	const char *slash = strchr(api, '/');
	size_t i, n = slash ? (size_t)(slash - api) : 0;

	if (k != NP_KIND_CLUSTER_NETWORK_POLICY &&
	    k != NP_KIND_AWS_CLUSTER_NETWORK_POLICY &&
	    k != NP_KIND_CLUSTER_POLICY_ENDPOINT)
		return false;
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].kind, kind) && slash &&
		    !strncmp(kinds[i].api, api, n) && kinds[i].api[n] == '/')
			return false;
	return true;
}

static int one_object(struct np_vctx *c, const struct np_node *doc,
		      const char *where, struct np_obj ***objs, size_t *nobjs,
		      size_t *cap)
{
	const struct np_node *kn, *an, *meta, *nn, *nsn;
	struct np_arena arena = { 0 };
	struct np_obj *o;
	const char *kind, *api;
	size_t i, before = c->nerr;
	bool scoped;
	int k = -1;

	c->objnode = doc;
	c->plen = 0;
	c->path[0] = '\0';
	snprintf(c->object, sizeof(c->object), "%s", where);
	if (doc->type != NP_N_MAP) {
		np__verr(c, doc, -EINVAL,
			 "Invalid type: expected an object, got %s",
			 np__node_type_name(doc));
		return 0;
	}
	kn = np__field(doc, "kind");
	an = np__field(doc, "apiVersion");
	if (!kn || kn->type != NP_N_STR) {
		if (kn)
			np__path_push(c, "kind"), np__err_type(c, kn, "string");
		else
			np__err_required(c, doc, "kind", NULL);
		return 0;
	}
	kind = kn->str.s;
	api = an && an->type == NP_N_STR ? an->str.s : NULL;
	/* the row of this kind and apiVersion, else its first row */
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].kind, kind) &&
		    (k < 0 || (api && !strcmp(kinds[i].api, api))))
			k = (int)i;
	meta = np__field(doc, "metadata");
	nn = meta && meta->type == NP_N_MAP ? np__field(meta, "name") : NULL;
	nsn = meta && meta->type == NP_N_MAP ? np__field(meta, "namespace") :
					       NULL;
	if (k >= 0 && api && other_group(kinds[k].k, kind, api))
		k = -1;
	if (k < 0) {
		np__log(c->log, c->log_ctx, NP_LOG_INFO,
			"%s:%u: skipping %s %s%s%s: not a policy input",
			c->file ? c->file : "", doc->line, kind,
			nsn && nsn->type == NP_N_STR ? nsn->str.s : "",
			nsn && nsn->type == NP_N_STR ? "/" : "",
			nn && nn->type == NP_N_STR ? nn->str.s : "?");
		return 0;
	}
	scoped = np__kind_cluster_scoped(kinds[k].k);
	snprintf(c->object, sizeof(c->object), "%s %s%s%s", kind,
		 !scoped && nsn && nsn->type == NP_N_STR ?
			 nsn->str.s :
			 (!scoped ? "default" : ""),
		 !scoped ? "/" : "",
		 nn && nn->type == NP_N_STR ? nn->str.s : "<unnamed>");
	if (!api) {
		if (an) {
			size_t p = np__path_push(c, "apiVersion");

			np__err_type(c, an, "string");
			np__path_pop(c, p);
		} else {
			np__err_required(c, doc, "apiVersion", NULL);
		}
	} else if (strcmp(api, kinds[k].api)) {
		size_t p = np__path_push(c, "apiVersion"), len = 0;
		char list[256] = "";

		for (i = 0; i < ARRAY_SIZE(kinds); i++)
			if (!strcmp(kinds[i].kind, kind) && len < sizeof(list))
				len += (size_t)snprintf(list + len,
							sizeof(list) - len,
							"%s\"%s\"",
							len ? ", " : "",
							kinds[i].api);
		np__verr(c, an, -EINVAL,
			 "Unsupported value: \"%s\": supported values: %s", api,
			 list);
		np__path_pop(c, p);
	}

	o = np__arena_zalloc(&arena, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->kind = kinds[k].k;
	o->serial = np__serial_next();
	c->a = &arena;

	np__meta_from(c, o, doc, meta);
	c->plen = 0;
	c->path[0] = '\0';
	switch (o->kind) {
	case NP_KIND_NAMESPACE:
		np__namespace_from(c, o);
		break;
	case NP_KIND_POD:
		np__pod_from(c, o, np__field(doc, "spec"),
			     np__field(doc, "status"));
		break;
	case NP_KIND_SERVICE:
		np__service_from(c, o, np__field(doc, "spec"));
		break;
	case NP_KIND_NETWORK_POLICY:
		np__netpol_from(c, o, np__field(doc, "spec"));
		break;
	case NP_KIND_POLICY_ENDPOINT:
		np__pe_from(c, o, np__field(doc, "spec"));
		break;
	case NP_KIND_CLUSTER_NETWORK_POLICY:
	case NP_KIND_AWS_CLUSTER_NETWORK_POLICY:
		np__cnp_from(c, o, np__field(doc, "spec"));
		break;
	case NP_KIND_CLUSTER_POLICY_ENDPOINT:
		np__cpe_from(c, o, np__field(doc, "spec"));
		break;
	case NP_KIND_NODE:
		np__kube_node_from(c, o, np__field(doc, "status"));
		break;
	default:
		break;
	}
	c->a = NULL;
	o->arena = arena;
	if (c->nerr != before) {
		np__obj_free(o);
		return 0;
	}
	if (*nobjs >= NP_MAX_OBJECTS) {
		np__obj_free(o);
		np__verr(c, doc, -E2BIG, "Too many objects: more than %u",
			 NP_MAX_OBJECTS);
		return -E2BIG;
	}
	if (NP_GROW(*objs, *cap, *nobjs + 1)) {
		np__obj_free(o);
		return -ENOMEM;
	}
	(*objs)[(*nobjs)++] = o;
	return 0;
}

int np__objects_from_doc(struct np_vctx *c, const struct np_node *doc,
			 struct np_obj ***objs, size_t *nobjs, size_t *cap)
{
	const struct np_node *kn = np__field(doc, "kind"), *items;
	char where[64];
	size_t i;
	int err;

	if (doc->type == NP_N_MAP && kn && kn->type == NP_N_STR &&
	    kn->str.len >= 4 && !strcmp(kn->str.s + kn->str.len - 4, "List") &&
	    (items = np__field(doc, "items"))) {
		if (items->type != NP_N_SEQ) {
			c->objnode = doc;
			c->plen = 0;
			snprintf(c->object, sizeof(c->object), "%s", kn->str.s);
			np__path_push(c, "items");
			np__err_type(c, items, "list");
			return 0;
		}
		for (i = 0; i < items->seq.n; i++) {
			snprintf(where, sizeof(where), "%s items[%zu]",
				 kn->str.s, i);
			err = one_object(c, items->seq.v[i], where, objs, nobjs,
					 cap);
			if (err)
				return err;
		}
		return 0;
	}
	return one_object(c, doc, "", objs, nobjs, cap);
}
