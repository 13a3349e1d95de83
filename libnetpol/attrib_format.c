// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An attribution written out (attrib.c computes it): as text, one line
 * per finding, or as a JSON or YAML document; and the names of the
 * reasons of findings.
 */
#include "attrib_internal.h"
#include "node.h"

static const char *const reason_names[] = {
	[NP_ATTRIB_MATCH] = "match",
	[NP_ATTRIB_POD_SELECTOR_NONE] = "pod-selector-none",
	[NP_ATTRIB_POD_SELECTOR_OTHERS] = "pod-selector-others",
	[NP_ATTRIB_NAMESPACE_SELECTOR] = "namespace-selector",
	[NP_ATTRIB_NAMESPACE] = "namespace",
	[NP_ATTRIB_NOT_A_POD] = "not-a-pod",
	[NP_ATTRIB_IPBLOCK_CIDR] = "ipblock-cidr",
	[NP_ATTRIB_IPBLOCK_EXCEPT] = "ipblock-except",
	[NP_ATTRIB_PORT] = "port",
	[NP_ATTRIB_NAMED_PORT] = "named-port",
	[NP_ATTRIB_NO_RULES] = "no-rules",
	[NP_ATTRIB_CLUSTER_DENY] = "cluster-deny",
	[NP_ATTRIB_UNKNOWN] = "unknown",
};

const char *np_attrib_reason_name(enum np_attrib_reason r)
{
	if ((unsigned int)r >= sizeof(reason_names) / sizeof(reason_names[0]))
		return NULL;
	return reason_names[r];
}

/* --- output ------------------------------------------------------------- */

/* "shop/db-from-web ingress[0] from[0]" */
static void item_where(struct np_strbuf *sb, const struct np_attrib_item *it,
		       int dir)
{
	np__sb_puts(sb, it->policy);
	if (it->rule >= 0) {
		np__sb_printf(sb, " %s[%d]", np_direction_name(dir), it->rule);
		if (it->rule_name)
			np__sb_printf(sb, " \"%s\"", it->rule_name);
	}
	if (it->peer >= 0)
		np__sb_printf(sb, " %s[%d]",
			      dir == NP_DIRECTION_INGRESS ? "from" : "to",
			      it->peer);
}

static void endpoint_text(struct np_strbuf *sb, const char *given,
			  const char *pod, const char *ip)
{
	np__sb_puts(sb, pod ? pod : given);
	if (ip[0] && pod)
		np__sb_printf(sb, " (%s)", ip);
}

static int format_text(const struct np_attrib *a, char **out)
{
	struct np_strbuf sb = { 0 };
	static const int order[2] = { NP_DIRECTION_EGRESS,
				      NP_DIRECTION_INGRESS };
	size_t i, k;

	np__sb_puts(&sb, a->allowed ? "ALLOW " : "DENY ");
	endpoint_text(&sb, a->from, a->from_pod, a->from_ip);
	np__sb_puts(&sb, " -> ");
	endpoint_text(&sb, a->to, a->to_pod, a->to_ip);
	np__sb_printf(&sb, " %s/%u", np_protocol_name(a->proto), a->port);
	if (a->self)
		np__sb_puts(&sb, ": self (a pod to itself never crosses its "
				 "veth)");
	np__sb_putc(&sb, '\n');
	for (k = 0; k < 2; k++) {
		int d = order[k];
		const struct side *s = &a->side[d];
		const struct np_verdict *v = &s->v;

		if (!s->judged)
			continue;
		np__sb_printf(&sb, "  %s of %s: %s %s", np_direction_name(d),
			      s->pod, v->allowed ? "ALLOW" : "DENY",
			      np_reason_name(v->reason));
		if (v->key[0])
			np__sb_printf(&sb, " (key %s%s", v->key,
				      v->slot >= 0 ? "" : ")");
		if (v->key[0] && v->slot >= 0)
			np__sb_printf(&sb, ", slot %d)", v->slot + 1);
		np__sb_printf(&sb, " tier %s\n", np_tier_name(v->tier));
		if (s->niso) {
			np__sb_puts(&sb, "    isolated by ");
			for (i = 0; i < s->niso; i++)
				np__sb_printf(&sb, "%s%s", i ? ", " : "",
					      s->iso[i]);
			np__sb_putc(&sb, '\n');
		}
		for (i = 0; i < s->n; i++) {
			const struct np_attrib_item *it = &s->items[i].pub;

			np__sb_puts(&sb, it->reason == NP_ATTRIB_MATCH ?
						 "    allowed by " :
						 "    ");
			item_where(&sb, it, d);
			if (it->reason != NP_ATTRIB_MATCH)
				np__sb_printf(
					&sb, ": %s",
					np_attrib_reason_name(it->reason));
			if (it->detail[0])
				np__sb_printf(&sb, ": %s", it->detail);
			if (it->pods)
				np__sb_printf(&sb, " (%s)", it->pods);
			np__sb_putc(&sb, '\n');
		}
	}
	return np__sb_finish(&sb, out);
}

static struct np_node *str_or_null(struct np_arena *ar, const char *s)
{
	return s ? np__node_str(ar, s) : np__node_new(ar, NP_N_NULL);
}

static struct np_node *endpoint_node(struct np_arena *ar, const char *given,
				     const char *pod, const char *ip)
{
	struct np_node *m = np__node_new(ar, NP_N_MAP);

	if (!m || np__map_put(ar, m, "endpoint", np__node_str(ar, given)) ||
	    np__map_put(ar, m, "pod", str_or_null(ar, pod)) ||
	    np__map_put(ar, m, "ip", str_or_null(ar, ip[0] ? ip : NULL)))
		return NULL;
	return m;
}

static struct np_node *side_node(struct np_arena *ar, const struct side *s,
				 int d)
{
	const struct np_verdict *v = &s->v;
	struct np_node *m = np__node_new(ar, NP_N_MAP);
	struct np_node *iso = np__node_new(ar, NP_N_SEQ);
	struct np_node *fs = np__node_new(ar, NP_N_SEQ);
	size_t i, k;

	if (!m || !iso || !fs ||
	    np__map_put(ar, m, "direction",
			np__node_str(ar, np_direction_name(d))) ||
	    np__map_put(ar, m, "pod", np__node_str(ar, s->pod)) ||
	    np__map_put(ar, m, "allowed", np__node_bool(ar, v->allowed)) ||
	    np__map_put(ar, m, "reason",
			np__node_str(ar, np_reason_name(v->reason))) ||
	    np__map_put(ar, m, "tier",
			np__node_str(ar, np_tier_name(v->tier))) ||
	    np__map_put(ar, m, "key",
			str_or_null(ar, v->key[0] ? v->key : NULL)) ||
	    np__map_put(ar, m, "slot",
			v->slot >= 0 ? np__node_int(ar, v->slot + 1) :
				       np__node_new(ar, NP_N_NULL)) ||
	    np__map_put(ar, m, "policies", np__node_str(ar, v->policies)) ||
	    np__map_put(ar, m, "isolatedBy", iso) ||
	    np__map_put(ar, m, "findings", fs))
		return NULL;
	for (i = 0; i < s->niso; i++)
		if (np__seq_push(ar, iso, np__node_str(ar, s->iso[i])))
			return NULL;
	for (i = 0; i < s->n; i++) {
		const struct item *it = &s->items[i];
		struct np_node *f = np__node_new(ar, NP_N_MAP);
		struct np_node *pods = np__node_new(ar, NP_N_SEQ);

		if (!f || !pods || np__seq_push(ar, fs, f) ||
		    np__map_put(ar, f, "policy",
				np__node_str(ar, it->pub.policy)) ||
		    np__map_put(ar, f, "tier",
				np__node_str(ar, np_tier_name(it->pub.tier))) ||
		    np__map_put(ar, f, "rule",
				it->pub.rule >= 0 ?
					np__node_int(ar, it->pub.rule) :
					np__node_new(ar, NP_N_NULL)) ||
		    np__map_put(ar, f, "ruleName",
				str_or_null(ar, it->pub.rule_name)) ||
		    np__map_put(ar, f, "peer",
				it->pub.peer >= 0 ?
					np__node_int(ar, it->pub.peer) :
					np__node_new(ar, NP_N_NULL)) ||
		    np__map_put(ar, f, "reason",
				np__node_str(ar, np_attrib_reason_name(
							 it->pub.reason))) ||
		    np__map_put(ar, f, "detail",
				np__node_str(ar, it->pub.detail)) ||
		    np__map_put(ar, f, "pods", pods) ||
		    np__map_put(ar, f, "podCount",
				np__node_int(ar, (int64_t)it->total)))
			return NULL;
		for (k = 0; k < it->npods; k++)
			if (np__seq_push(ar, pods,
					 np__node_str(ar, it->pods[k])))
				return NULL;
	}
	return m;
}

int np_attrib_format(const struct np_attrib *a, enum np_format format,
		     char **out)
{
	static const int order[2] = { NP_DIRECTION_EGRESS,
				      NP_DIRECTION_INGRESS };
	struct np_arena ar = { 0 };
	struct np_node *root, *sides;
	size_t k;
	int err = -ENOMEM;

	if (!a || !out)
		return -EINVAL;
	if (format == NP_FORMAT_TEXT)
		return format_text(a, out);
	if (format != NP_FORMAT_JSON && format != NP_FORMAT_YAML)
		return -EINVAL;
	root = np__node_new(&ar, NP_N_MAP);
	sides = np__node_new(&ar, NP_N_SEQ);
	if (!root || !sides ||
	    np__map_put(&ar, root, "allowed", np__node_bool(&ar, a->allowed)) ||
	    np__map_put(&ar, root, "from",
			endpoint_node(&ar, a->from, a->from_pod, a->from_ip)) ||
	    np__map_put(&ar, root, "to",
			endpoint_node(&ar, a->to, a->to_pod, a->to_ip)) ||
	    np__map_put(&ar, root, "protocol",
			np__node_str(&ar, np_protocol_name(a->proto))) ||
	    np__map_put(&ar, root, "port", np__node_int(&ar, a->port)) ||
	    np__map_put(&ar, root, "self", np__node_bool(&ar, a->self)) ||
	    np__map_put(&ar, root, "sides", sides))
		goto out;
	for (k = 0; k < 2; k++)
		if (a->side[order[k]].judged &&
		    np__seq_push(&ar, sides,
				 side_node(&ar, &a->side[order[k]], order[k])))
			goto out;
	err = np__emit_string(root, format, out);
out:
	np__arena_release(&ar);
	return err;
}
