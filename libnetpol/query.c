// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The query stage, on top of the rule sets: questions about a whole
 * snapshot, the verdict on one connection between two endpoints and the
 * reachability matrix over its pods.
 */
#include <stdio.h>
#include <stdlib.h>

#include "opts.h"
#include "ruleset_internal.h"

int np__endpoint_parse(struct np_cluster *c, const char *s,
		       struct np_endpoint *e, struct np_diag *diag)
{
	const char *slash = strchr(s, '/');
	struct np_ctx *ctx;
	size_t i, j;
	int err;

	memset(e, 0, sizeof(*e));
	if (slash && !strchr(s, ':') && !strchr(s, '.')) {
		snprintf(e->ns, sizeof(e->ns), "%.*s", (int)(slash - s), s);
		snprintf(e->name, sizeof(e->name), "%s", slash + 1);
		e->pod = np__cluster_find(c, NP_KIND_POD, e->ns, e->name);
		if (!e->pod) {
			if (diag) {
				memset(diag, 0, sizeof(*diag));
				diag->err = -ENOENT;
				snprintf(diag->object, sizeof(diag->object),
					 "Pod %s", s);
				snprintf(diag->message, sizeof(diag->message),
					 "Not found: no such pod in the "
					 "snapshot");
			}
			return -ENOENT;
		}
		e->nips = e->pod->pod.nips;
		memcpy(e->ip, e->pod->pod.ips, sizeof(e->ip));
		return 0;
	}
	if (np__ip_parse(s, &e->ip[0])) {
		if (diag) {
			memset(diag, 0, sizeof(*diag));
			diag->err = -EINVAL;
			snprintf(diag->message, sizeof(diag->message),
				 "Invalid value: \"%s\": must be NAMESPACE/POD "
				 "or an IP address",
				 s);
		}
		return -EINVAL;
	}
	e->nips = 1;
	/* an address that belongs to a pod is that pod */
	err = np__ctx_get(c, &ctx);
	if (err)
		return err;
	for (i = 0; i < ctx->npods; i++)
		for (j = 0; j < ctx->pods[i]->pod.nips; j++)
			if (!memcmp(&ctx->pods[i]->pod.ips[j], &e->ip[0],
				    sizeof(e->ip[0])) &&
			    np__pod_eligible(ctx->pods[i])) {
				e->pod = ctx->pods[i];
				snprintf(e->ns, sizeof(e->ns), "%s",
					 e->pod->meta.ns);
				snprintf(e->name, sizeof(e->name), "%s",
					 e->pod->meta.name);
				return 0;
			}
	return 0;
}

int np__endpoints_parse(struct np_cluster *c, const char *from, const char *to,
			struct np_endpoint *a, struct np_endpoint *b,
			struct np_diag *diag)
{
	int err = np__endpoint_parse(c, from, a, diag);

	if (!err)
		err = np__endpoint_parse(c, to, b, diag);
	if (err)
		return err;
	if (!a->pod && !b->pod) {
		if (diag) {
			diag->err = -EINVAL;
			snprintf(diag->message, sizeof(diag->message),
				 "Invalid value: neither end is a pod of the "
				 "snapshot");
		}
		return -EINVAL;
	}
	return 0;
}

static int verdict_locked(struct np_cluster *c, const char *from,
			  const char *to, enum np_protocol proto, uint16_t port,
			  const struct np_compile_opts *opts,
			  struct np_verdict *out, struct np_diag *diag)
{
	struct np_endpoint a, b;
	struct np_ruleset *rs = NULL;
	const struct np_ip *ia = NULL, *ib = NULL;
	size_t i, j;
	int err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!c || !from || !to || !out || !np__proto_ok(proto))
		return -EINVAL;
	err = NP_OPTS_CHECK(opts, np_compile_opts, diag);
	if (err)
		return err;
	err = np__endpoints_parse(c, from, to, &a, &b, diag);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->slot = -1;
	/* hostNetwork pods are the node: nothing to check on their side */
	out->allowed = true;
	out->reason = NP_REASON_NOT_ISOLATED;
	if (a.pod && a.pod == b.pod) {
		out->allowed = true;
		out->reason = NP_REASON_SELF;
		return 0;
	}
	/* the first address family both ends have, IPv4 first */
	for (i = 0; i < a.nips && !ia; i++)
		for (j = 0; j < b.nips && !ia; j++)
			if (a.ip[i].family == b.ip[j].family) {
				ia = &a.ip[i];
				ib = &b.ip[j];
			}
	if (!ia) {
		if (diag) {
			diag->err = -EINVAL;
			snprintf(diag->message, sizeof(diag->message),
				 "Invalid value: the two ends share no address "
				 "family");
		}
		return -EINVAL;
	}
	if (a.pod && np__pod_eligible(a.pod)) {
		err = np_ruleset_compile(&rs, c, a.ns, a.name, opts, diag);
		if (err)
			return err;
		err = np__ruleset_verdict_ip(rs, NP_DIRECTION_EGRESS, ib,
					     (uint8_t)proto, port, out);
		np_ruleset_free(rs);
		if (err || !out->allowed)
			return err;
	}
	if (b.pod && np__pod_eligible(b.pod)) {
		err = np_ruleset_compile(&rs, c, b.ns, b.name, opts, diag);
		if (err)
			return err;
		err = np__ruleset_verdict_ip(rs, NP_DIRECTION_INGRESS, ia,
					     (uint8_t)proto, port, out);
		np_ruleset_free(rs);
	}
	return err;
}

int np_cluster_verdict(struct np_cluster *c, const char *from, const char *to,
		       enum np_protocol proto, uint16_t port,
		       const struct np_compile_opts *opts,
		       struct np_verdict *out, struct np_diag *diag)
{
	int err;

	np__cluster_lock(c);
	err = verdict_locked(c, from, to, proto, port, opts, out, diag);
	np__cluster_unlock(c);
	return np__diag_fail(diag, err);
}

/* "ns/name" of a pod in the text matrix, escaped (np_escape(), TEXT). */
static void pod_text(struct np_strbuf *sb, const struct np_obj *pod)
{
	np__sb_puts_text(sb, pod->meta.ns);
	np__sb_putc(sb, '/');
	np__sb_puts_text(sb, pod->meta.name);
}

static int matrix_locked(struct np_cluster *c, const struct np_matrix_opts *o,
			 enum np_format fmt, char **out, struct np_diag *diag)
{
	static const uint16_t def_port = 80;
	static const enum np_protocol def_proto = NP_PROTOCOL_TCP;
	struct np_compile_opts copts = { .sz = sizeof(copts) };
	const uint16_t *ports = &def_port;
	const enum np_protocol *protos = &def_proto;
	size_t nports = 1, nprotos = 1, npods = 0, i, j, p, q;
	struct np_ruleset **rs = NULL;
	const struct np_ip **ip = NULL;
	const struct np_obj **pods = NULL;
	struct np_arena a = { 0 };
	struct np_strbuf sb = { 0 };
	struct np_node *list = NULL;
	struct np_ctx *ctx;
	np_matrix_fn decide = NULL;
	void *decide_ctx = NULL;
	int family = 4, err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!c || !out || fmt == NP_FORMAT_AUTO)
		return -EINVAL;
	err = NP_OPTS_CHECK(o, np_matrix_opts, diag);
	if (err)
		return err;
	if (NP_OPTS_GET(o, nports, 0)) {
		ports = o->ports;
		nports = o->nports;
	}
	if (NP_OPTS_GET(o, nprotocols, 0)) {
		protos = o->protocols;
		nprotos = o->nprotocols;
	}
	family = NP_OPTS_GET(o, family, 0);
	if (!family)
		family = 4;
	copts.source = NP_OPTS_GET(o, source, NP_SOURCE_POLICIES);
	decide = NP_OPTS_GET(o, decide, NULL);
	decide_ctx = NP_OPTS_GET(o, decide_ctx, NULL);
	if ((family != 4 && family != 6) || !ports || !protos)
		return -EINVAL;
	for (i = 0; i < nprotos; i++)
		if (protos[i] != NP_PROTOCOL_TCP &&
		    protos[i] != NP_PROTOCOL_UDP &&
		    protos[i] != NP_PROTOCOL_SCTP)
			return -EINVAL;
	err = np__ctx_get(c, &ctx);
	if (err)
		return err;
	err = -ENOMEM;
	rs = calloc(ctx->npods + 1, sizeof(*rs));
	ip = calloc(ctx->npods + 1, sizeof(*ip));
	pods = calloc(ctx->npods + 1, sizeof(*pods));
	if (!rs || !ip || !pods)
		goto out;
	for (i = 0; i < ctx->npods; i++) {
		const struct np_obj *pod = ctx->pods[i];

		if (!np__pod_eligible(pod))
			continue;
		for (j = 0; j < pod->pod.nips; j++)
			if (pod->pod.ips[j].family == family)
				break;
		if (j == pod->pod.nips)
			continue;
		ip[npods] = &pod->pod.ips[j];
		pods[npods++] = pod;
	}
	/* pods^2 x ports x protocols, without overflow */
	if ((npods && npods > NP_MAX_MATRIX_CELLS / npods) ||
	    (npods &&
	     nports * nprotos > NP_MAX_MATRIX_CELLS / (npods * npods))) {
		err = -E2BIG;
		if (diag) {
			diag->err = err;
			snprintf(diag->message, sizeof(diag->message),
				 "matrix: %zu pods, %zu ports, %zu protocols: "
				 "Too many cells: must have at most %u",
				 npods, nports, nprotos, NP_MAX_MATRIX_CELLS);
		}
		goto out;
	}
	for (i = 0; !decide && i < npods; i++) {
		err = np_ruleset_compile(&rs[i], c, pods[i]->meta.ns,
					 pods[i]->meta.name, &copts, diag);
		if (err)
			goto out;
		/* compiling may rebuild the context: pods stay valid, the
		 * snapshot does not change under us */
	}
	if (fmt != NP_FORMAT_TEXT) {
		list = np__node_new(&a, NP_N_SEQ);
		if (!list)
			goto nomem;
	}
	for (q = 0; q < nprotos; q++)
		for (p = 0; p < nports; p++) {
			if (fmt == NP_FORMAT_TEXT) {
				np__sb_printf(&sb, "%s/%u\n-",
					      np_protocol_name(protos[q]),
					      ports[p]);
				for (j = 0; j < npods; j++) {
					np__sb_putc(&sb, '\t');
					pod_text(&sb, pods[j]);
				}
				np__sb_putc(&sb, '\n');
			}
			for (i = 0; i < npods; i++) {
				if (fmt == NP_FORMAT_TEXT)
					pod_text(&sb, pods[i]);
				for (j = 0; j < npods; j++) {
					struct np_verdict ve, vi;
					bool ok = true;

					/* a pod reaches itself: never crosses
					 * the veth */
					if (i != j && decide) {
						char fi[64], ti[64], fn[512],
							tn[512];

						np__ip_format(ip[i], fi,
							      sizeof(fi));
						np__ip_format(ip[j], ti,
							      sizeof(ti));
						snprintf(fn, sizeof(fn),
							 "%s/%s",
							 pods[i]->meta.ns,
							 pods[i]->meta.name);
						snprintf(tn, sizeof(tn),
							 "%s/%s",
							 pods[j]->meta.ns,
							 pods[j]->meta.name);
						err = decide(decide_ctx, fn, fi,
							     tn, ti, protos[q],
							     ports[p], &ok);
						if (err)
							goto out;
					} else if (i != j) {
						char buf[64];

						np__ip_format(ip[j], buf,
							      sizeof(buf));
						np_ruleset_verdict(
							rs[i],
							NP_DIRECTION_EGRESS,
							buf, protos[q],
							ports[p], &ve);
						np__ip_format(ip[i], buf,
							      sizeof(buf));
						np_ruleset_verdict(
							rs[j],
							NP_DIRECTION_INGRESS,
							buf, protos[q],
							ports[p], &vi);
						ok = ve.allowed && vi.allowed;
					}
					if (fmt == NP_FORMAT_TEXT) {
						np__sb_printf(&sb, "\t%c",
							      ok ? '.' : 'X');
						continue;
					}
					{
						struct np_node *e =
							np__node_new(&a,
								     NP_N_MAP);
						char *f = np__arena_printf(
							&a, "%s/%s",
							pods[i]->meta.ns,
							pods[i]->meta.name);
						char *t = np__arena_printf(
							&a, "%s/%s",
							pods[j]->meta.ns,
							pods[j]->meta.name);

						if (!e || !f || !t ||
						    np__seq_push(&a, list, e) ||
						    np__map_put(
							    &a, e, "from",
							    np__node_str(&a,
									 f)) ||
						    np__map_put(
							    &a, e, "to",
							    np__node_str(&a,
									 t)) ||
						    np__map_put(
							    &a, e, "protocol",
							    np__node_str(
								    &a,
								    np_protocol_name(
									    protos[q]))) ||
						    np__map_put(
							    &a, e, "port",
							    np__node_int(
								    &a,
								    ports[p])) ||
						    np__map_put(
							    &a, e, "allowed",
							    np__node_bool(&a,
									  ok)))
							goto nomem;
					}
				}
				if (fmt == NP_FORMAT_TEXT)
					np__sb_putc(&sb, '\n');
			}
			if (fmt == NP_FORMAT_TEXT &&
			    (p + 1 < nports || q + 1 < nprotos))
				np__sb_putc(&sb, '\n');
		}
	if (list) {
		err = np__emit(list, fmt, &sb);
		if (err)
			goto out;
	}
	err = np__sb_finish(&sb, out);
	goto out;
nomem:
	err = -ENOMEM;
out:
	for (i = 0; rs && i < npods; i++)
		np_ruleset_free(rs[i]);
	free(rs);
	free(ip);
	free(pods);
	np__sb_release(&sb);
	np__arena_release(&a);
	return err;
}

int np_cluster_matrix(struct np_cluster *c, const struct np_matrix_opts *o,
		      enum np_format fmt, char **out, struct np_diag *diag)
{
	int err;

	np__cluster_lock(c);
	err = matrix_locked(c, o, fmt, out, diag);
	np__cluster_unlock(c);
	return np__diag_fail(diag, err);
}
