// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Document trees into typed, validated objects.
 *
 * Validation follows the Kubernetes API server (pkg/apis/networking/
 * validation and apimachinery's label and selector rules), and the
 * messages follow its field.Error style:
 *   spec.ingress[0].ports[1].endPort: Invalid value: 70: must be greater
 *   than or equal to port
 * Every problem of an object is reported (not just the first); an object
 * with any problem is not returned.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "objects.h"

/* --- paths and diagnostics ---------------------------------------------- */

static size_t path_push(struct np_vctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t path_push(struct np_vctx *c, const char *fmt, ...)
{
	size_t old = c->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + c->plen, sizeof(c->path) - c->plen, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->plen = NP_MIN(c->plen + (size_t)n, sizeof(c->path) - 1);
	return old;
}

static void path_pop(struct np_vctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

static void verr(struct np_vctx *c, const struct np_node *at, int err,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void verr(struct np_vctx *c, const struct np_node *at, int err,
		 const char *fmt, ...)
{
	struct np_diag d;
	va_list ap;

	memset(&d, 0, sizeof(d));
	d.err = err;
	if (!at || !at->line)
		at = c->objnode;
	if (at) {
		d.line = at->line;
		d.column = at->col;
	}
	snprintf(d.file, sizeof(d.file), "%s", c->file ? c->file : "");
	snprintf(d.object, sizeof(d.object), "%s", c->object);
	snprintf(d.path, sizeof(d.path), "%s",
		 c->path[0] == '.' ? c->path + 1 : c->path);
	va_start(ap, fmt);
	vsnprintf(d.message, sizeof(d.message), fmt, ap);
	va_end(ap);
	if (c->first && !c->nerr)
		*c->first = d;
	c->nerr++;
	if (c->cb)
		c->cb(c->cbctx, &d);
}

/* A field's value as the API server quotes it in "Invalid value: X". */
static const char *repr(const struct np_node *n, char *buf, size_t size)
{
	if (!n)
		return "null";
	switch (n->type) {
	case NP_N_STR:
		snprintf(buf, size, "\"%.*s\"", (int)NP_MIN(n->str.len, 200),
			 n->str.s);
		return buf;
	case NP_N_SEQ:
		return "[...]";
	case NP_N_MAP:
		return "{...}";
	default:
		snprintf(buf, size, "%.*s", (int)NP_MIN(n->str.len, 200),
			 n->str.s);
		return buf;
	}
}

#define REPR(n) repr((n), (char[256]){ 0 }, 256)

static void err_type(struct np_vctx *c, const struct np_node *n,
		     const char *want)
{
	verr(c, n, -EINVAL, "Invalid type: expected %s, got %s: %s", want,
	     np__node_type_name(n), REPR(n));
}

static void err_required(struct np_vctx *c, const struct np_node *parent,
			 const char *field, const char *detail)
{
	size_t p = path_push(c, ".%s", field);

	if (detail)
		verr(c, parent, -EINVAL, "Required value: %s", detail);
	else
		verr(c, parent, -EINVAL, "Required value");
	path_pop(c, p);
}

/* --- typed field access ------------------------------------------------- */

static const struct np_node *field(const struct np_node *map, const char *k)
{
	const struct np_node *n = np__map_get(map, k);

	return n && n->type == NP_N_NULL ? NULL : n;
}

static bool is_map(struct np_vctx *c, const struct np_node *n)
{
	if (n->type == NP_N_MAP)
		return true;
	err_type(c, n, "object");
	return false;
}

static bool is_seq(struct np_vctx *c, const struct np_node *n, size_t limit)
{
	if (n->type != NP_N_SEQ) {
		err_type(c, n, "list");
		return false;
	}
	if (n->seq.n > limit) {
		verr(c, n, -E2BIG, "Too many: %zu: must have at most %zu items",
		     n->seq.n, limit);
		return false;
	}
	return true;
}

static const char *str_dup(struct np_vctx *c, const struct np_node *n)
{
	return np__arena_strndup(c->a, n->str.s, n->str.len);
}

/* A string field; NULL (reported) when of another type. */
static const char *get_str(struct np_vctx *c, const struct np_node *map,
			   const char *key, const struct np_node **at)
{
	const struct np_node *n = field(map, key);
	size_t p;

	if (at)
		*at = n;
	if (!n)
		return NULL;
	if (n->type != NP_N_STR) {
		p = path_push(c, ".%s", key);
		err_type(c, n, "string");
		path_pop(c, p);
		return NULL;
	}
	return str_dup(c, n);
}

/* An integer field: 1 when present and valid, 0 absent, -1 reported. */
static int get_int(struct np_vctx *c, const struct np_node *n, int64_t *out)
{
	if (!n)
		return 0;
	if (n->type != NP_N_INT) {
		err_type(c, n, "integer");
		return -1;
	}
	if (n->overflow) {
		verr(c, n, -EINVAL, "Invalid value: %s: out of range", REPR(n));
		return -1;
	}
	*out = n->i;
	return 1;
}

static bool get_bool(struct np_vctx *c, const struct np_node *map,
		     const char *key)
{
	const struct np_node *n = field(map, key);
	size_t p;

	if (!n)
		return false;
	if (n->type != NP_N_BOOL) {
		p = path_push(c, ".%s", key);
		err_type(c, n, "boolean");
		path_pop(c, p);
		return false;
	}
	return n->b;
}

/* --- names, labels, ports ----------------------------------------------- */

static bool alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

static bool lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* RFC 1123 label: lowercase alnum and '-', alnum at both ends, <= 63. */
static const char *dns1123_label(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return "must not be empty";
	if (n > 63)
		return "must be no more than 63 characters";
	for (i = 0; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '-')
			goto bad;
	if (!lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		goto bad;
	return NULL;
bad:
	return "a lowercase RFC 1123 label must consist of lower case "
	       "alphanumeric characters or '-', and must start and end with "
	       "an alphanumeric character";
}

/* RFC 1123 subdomain: dot-separated labels, <= 253. */
static const char *dns1123_subdomain(const char *s, size_t n)
{
	size_t i, start = 0;

	if (!n)
		return "must not be empty";
	if (n > 253)
		return "must be no more than 253 characters";
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (i == start || dns1123_label(s + start, i - start))
				goto bad;
			start = i + 1;
		}
	}
	return NULL;
bad:
	return "a lowercase RFC 1123 subdomain must consist of lower case "
	       "alphanumeric characters, '-' or '.', and must start and end "
	       "with an alphanumeric character";
}

/* Qualified-name part: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, <= 63. */
static const char *name_part(const char *s, size_t n, const char *what)
{
	size_t i;

	(void)what;
	if (!n)
		return "name part must be non-empty";
	if (n > 63)
		return "name part must be no more than 63 characters";
	for (i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			goto bad;
	if (!alnum(s[0]) || !alnum(s[n - 1]))
		goto bad;
	return NULL;
bad:
	return "name part must consist of alphanumeric characters, '-', '_' "
	       "or '.', and must start and end with an alphanumeric character";
}

static const char *label_key(const char *s)
{
	const char *slash = strchr(s, '/');

	if (slash) {
		if (dns1123_subdomain(s, (size_t)(slash - s)))
			return "prefix part a lowercase RFC 1123 subdomain must "
			       "consist of lower case alphanumeric characters, "
			       "'-' or '.', and must start and end with an "
			       "alphanumeric character";
		s = slash + 1;
	}
	return name_part(s, strlen(s), "key");
}

static const char *label_value(const char *s)
{
	size_t n = strlen(s), i;

	if (!n)
		return NULL;
	if (n > 63)
		return "must be no more than 63 characters";
	for (i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			goto bad;
	if (!alnum(s[0]) || !alnum(s[n - 1]))
		goto bad;
	return NULL;
bad:
	return "a valid label must be an empty string or consist of "
	       "alphanumeric characters, '-', '_' or '.', and must start and "
	       "end with an alphanumeric character";
}

/* IANA_SVC_NAME, as the API server checks named ports. */
static const char *port_name(const char *s)
{
	size_t n = strlen(s), i;
	bool letter = false;

	if (!n)
		return "must not be empty";
	if (n > 15)
		return "must be no more than 15 characters";
	for (i = 0; i < n; i++) {
		if (!lower_alnum(s[i]) && s[i] != '-')
			return "must contain only alpha-numeric characters "
			       "(a-z, 0-9), and hyphens (-)";
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		if (s[i] == '-' && i + 1 < n && s[i + 1] == '-')
			return "must not contain consecutive hyphens";
	}
	if (s[0] == '-' || s[n - 1] == '-')
		return "must not begin or end with a hyphen";
	if (!letter)
		return "must contain at least one letter (a-z)";
	return NULL;
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct np_label *)a)->key,
		      ((const struct np_label *)b)->key);
}

/* A map of string to string: labels, matchLabels, Service selector. */
static void get_labels(struct np_vctx *c, const struct np_node *n,
		       struct np_labels *out, bool validate)
{
	size_t i, k = 0;

	out->v = NULL;
	out->n = 0;
	if (!n || !is_map(c, n))
		return;
	if (n->map.n > NP_MAX_LABELS) {
		verr(c, n, -E2BIG, "Too many: %zu: must have at most %d items",
		     n->map.n, NP_MAX_LABELS);
		return;
	}
	out->v = np__arena_alloc(c->a, (n->map.n + 1) * sizeof(*out->v));
	if (!out->v)
		return;
	for (i = 0; i < n->map.n; i++) {
		const struct np_node *v = n->map.v[i];
		const char *key = n->map.k[i], *why;

		if (validate && (why = label_key(key))) {
			verr(c, v, -EINVAL, "Invalid value: \"%s\": %s", key,
			     why);
			continue;
		}
		if (v->type == NP_N_NULL) {
			/* an empty value written as `key:` */
			out->v[k].key = np__arena_strdup(c->a, key);
			out->v[k++].val = "";
			continue;
		}
		if (v->type != NP_N_STR) {
			size_t p = path_push(c, ".%s", key);

			err_type(c, v, "string");
			path_pop(c, p);
			continue;
		}
		if (validate && (why = label_value(v->str.s))) {
			verr(c, v, -EINVAL, "Invalid value: \"%s\": %s",
			     v->str.s, why);
			continue;
		}
		out->v[k].key = np__arena_strdup(c->a, key);
		out->v[k++].val = str_dup(c, v);
	}
	out->n = k;
	qsort(out->v, out->n, sizeof(*out->v), label_cmp);
}

/*
 * The API server lists the supported protocols in declaration order for
 * NetworkPolicy ports and sorted for Pod and Service ports.
 */
static int get_proto(struct np_vctx *c, const struct np_node *map, uint8_t *out,
		     bool netpol)
{
	const struct np_node *n = field(map, "protocol");
	size_t p;
	int ret = 0;

	*out = NP_PROTO_TCP;
	if (!n)
		return 0;
	p = path_push(c, ".protocol");
	if (n->type != NP_N_STR) {
		err_type(c, n, "string");
		ret = -1;
	} else if (!strcmp(n->str.s, "TCP")) {
		*out = NP_PROTO_TCP;
	} else if (!strcmp(n->str.s, "UDP")) {
		*out = NP_PROTO_UDP;
	} else if (!strcmp(n->str.s, "SCTP")) {
		*out = NP_PROTO_SCTP;
	} else {
		verr(c, n, -EINVAL,
		     "Unsupported value: %s: supported values: %s", REPR(n),
		     netpol ? "\"TCP\", \"UDP\", \"SCTP\"" :
			      "\"SCTP\", \"TCP\", \"UDP\"");
		ret = -1;
	}
	path_pop(c, p);
	return ret;
}

/* A port number field: 1 valid, 0 absent, -1 reported. */
static int get_port_num(struct np_vctx *c, const struct np_node *n,
			uint16_t *out)
{
	int64_t v;
	int r = get_int(c, n, &v);

	if (r <= 0)
		return r;
	if (v < 1 || v > 65535) {
		verr(c, n, -EINVAL,
		     "Invalid value: %lld: must be between 1 and 65535, "
		     "inclusive",
		     (long long)v);
		return -1;
	}
	*out = (uint16_t)v;
	return 1;
}

/* --- addresses ---------------------------------------------------------- */

int np__ip_parse(const char *s, struct np_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, ip->addr) != 1)
			return -EINVAL;
		ip->family = 6;
		return 0;
	}
	if (inet_pton(AF_INET, s, ip->addr) != 1)
		return -EINVAL;
	ip->family = 4;
	return 0;
}

static void cidr_mask(struct np_cidr *c)
{
	unsigned bits = c->family == 4 ? 32 : 128, i;

	for (i = c->len; i < bits; i++)
		c->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

int np__cidr_parse(const char *s, struct np_cidr *c, bool bare_ip_ok)
{
	const char *slash = strchr(s, '/');
	char addr[64];
	struct np_ip ip;
	unsigned long len;
	char *end;

	memset(c, 0, sizeof(*c));
	if (!slash) {
		if (!bare_ip_ok || np__ip_parse(s, &ip))
			return -EINVAL;
		c->family = ip.family;
		c->len = ip.family == 4 ? 32 : 128;
		memcpy(c->addr, ip.addr, sizeof(c->addr));
		return 0;
	}
	if ((size_t)(slash - s) >= sizeof(addr) || !slash[1] ||
	    (slash[1] == '0' && slash[2]))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (np__ip_parse(addr, &ip))
		return -EINVAL;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	len = strtoul(slash + 1, &end, 10);
	if (*end || len > (ip.family == 4 ? 32u : 128u))
		return -EINVAL;
	c->family = ip.family;
	c->len = (uint8_t)len;
	memcpy(c->addr, ip.addr, sizeof(c->addr));
	cidr_mask(c);
	return 0;
}

void np__ip_format(const struct np_ip *ip, char *buf, size_t size)
{
	if (!inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->addr, buf,
		       (socklen_t)size))
		snprintf(buf, size, "?");
}

void np__cidr_format(const struct np_cidr *c, char *buf, size_t size)
{
	struct np_ip ip = { .family = c->family };
	char a[INET6_ADDRSTRLEN + 8];

	memcpy(ip.addr, c->addr, sizeof(ip.addr));
	np__ip_format(&ip, a, sizeof(a));
	snprintf(buf, size, "%.*s/%u", (int)NP_MIN(sizeof(a), size), a, c->len);
}

/*
 * The first len bits of two 16-byte addresses agree. Two big-endian words
 * instead of memcmp: this runs for every address against every rule.
 */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned len)
{
	uint64_t x;

	if (!len)
		return true;
	x = np__be64(a) ^ np__be64(b);
	if (len <= 64)
		return !(x >> (64 - len));
	if (x)
		return false;
	if (len > 128)
		len = 128;
	x = np__be64(a + 8) ^ np__be64(b + 8);
	return !(x >> (128 - len));
}

bool np__cidr_contains(const struct np_cidr *outer, const struct np_cidr *in)
{
	return outer->family == in->family && outer->len <= in->len &&
	       prefix_eq(outer->addr, in->addr, outer->len);
}

bool np__cidr_has_ip(const struct np_cidr *c, const struct np_ip *ip)
{
	return c->family == ip->family && prefix_eq(c->addr, ip->addr, c->len);
}

const char *np__proto_name(uint8_t proto)
{
	switch (proto) {
	case NP_PROTO_TCP:
		return "TCP";
	case NP_PROTO_UDP:
		return "UDP";
	case NP_PROTO_SCTP:
		return "SCTP";
	case NP_PROTO_ANY:
		return "ANY";
	}
	return "?";
}

static bool get_ip(struct np_vctx *c, const struct np_node *map,
		   const char *key, struct np_ip *out)
{
	const struct np_node *n;
	const char *s = get_str(c, map, key, &n);
	size_t p;

	memset(out, 0, sizeof(*out));
	if (!s)
		return false;
	if (!*s)
		return false;
	if (np__ip_parse(s, out)) {
		p = path_push(c, ".%s", key);
		verr(c, n, -EINVAL,
		     "Invalid value: \"%s\": must be a valid IP address, (e.g. "
		     "10.9.8.7 or 2001:db8::ffff)",
		     s);
		path_pop(c, p);
		return false;
	}
	return true;
}

#define CIDR_HINT \
	"must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"

static bool get_cidr(struct np_vctx *c, const struct np_node *n,
		     struct np_cidr *out, bool bare_ok)
{
	if (n->type != NP_N_STR) {
		err_type(c, n, "string");
		return false;
	}
	if (np__cidr_parse(n->str.s, out, bare_ok)) {
		verr(c, n, -EINVAL, "Invalid value: %s: " CIDR_HINT, REPR(n));
		return false;
	}
	return true;
}

/* --- selectors ---------------------------------------------------------- */

static struct np_selector *get_selector(struct np_vctx *c,
					const struct np_node *n)
{
	struct np_selector *s = np__arena_zalloc(c->a, sizeof(*s));
	const struct np_node *ml, *me;
	size_t p, i, j;

	if (!s || !is_map(c, n))
		return s;
	ml = field(n, "matchLabels");
	if (ml) {
		p = path_push(c, ".matchLabels");
		get_labels(c, ml, &s->match, true);
		path_pop(c, p);
	}
	me = field(n, "matchExpressions");
	if (!me)
		return s;
	p = path_push(c, ".matchExpressions");
	if (!is_seq(c, me, NP_MAX_LABELS)) {
		path_pop(c, p);
		return s;
	}
	s->exprs = np__arena_zalloc(c->a, (me->seq.n + 1) * sizeof(*s->exprs));
	if (!s->exprs)
		goto out;
	for (i = 0; i < me->seq.n; i++) {
		const struct np_node *e = me->seq.v[i], *opn, *vals, *keyn;
		struct np_sel_expr *x = &s->exprs[s->nexprs];
		const char *op, *why;
		size_t p2 = path_push(c, "[%zu]", i);
		bool ok = true;

		/* an invalid entry leaves this slot to the next one: start clean */
		memset(x, 0, sizeof(*x));
		if (!is_map(c, e)) {
			path_pop(c, p2);
			continue;
		}
		x->key = get_str(c, e, "key", &keyn);
		if (!x->key) {
			if (!keyn)
				err_required(c, e, "key", NULL);
			ok = false;
		} else if ((why = label_key(x->key))) {
			size_t p3 = path_push(c, ".key");

			verr(c, keyn, -EINVAL, "Invalid value: \"%s\": %s",
			     x->key, why);
			path_pop(c, p3);
			ok = false;
		}
		op = get_str(c, e, "operator", &opn);
		if (!op) {
			if (!opn)
				err_required(c, e, "operator", NULL);
			ok = false;
		} else if (!strcmp(op, "In")) {
			x->op = NP_OP_IN;
		} else if (!strcmp(op, "NotIn")) {
			x->op = NP_OP_NOTIN;
		} else if (!strcmp(op, "Exists")) {
			x->op = NP_OP_EXISTS;
		} else if (!strcmp(op, "DoesNotExist")) {
			x->op = NP_OP_DOESNOTEXIST;
		} else {
			size_t p3 = path_push(c, ".operator");

			verr(c, opn, -EINVAL,
			     "Invalid value: \"%s\": not a valid selector "
			     "operator",
			     op);
			path_pop(c, p3);
			op = NULL;
			ok = false;
		}
		vals = field(e, "values");
		if (vals) {
			size_t p3 = path_push(c, ".values");

			if (!is_seq(c, vals, NP_MAX_LIST)) {
				ok = false;
			} else {
				x->values = np__arena_zalloc(
					c->a,
					(vals->seq.n + 1) * sizeof(*x->values));
				if (!x->values)
					ok = false;
				for (j = 0; x->values && j < vals->seq.n; j++) {
					const struct np_node *v =
						vals->seq.v[j];
					size_t p4 = path_push(c, "[%zu]", j);

					if (v->type != NP_N_STR) {
						err_type(c, v, "string");
						ok = false;
					} else if ((why = label_value(
							    v->str.s))) {
						verr(c, v, -EINVAL,
						     "Invalid value: \"%s\": %s",
						     v->str.s, why);
						ok = false;
					} else {
						x->values[x->nvalues++] =
							str_dup(c, v);
					}
					path_pop(c, p4);
				}
			}
			path_pop(c, p3);
		}
		if (ok && op && (x->op == NP_OP_IN || x->op == NP_OP_NOTIN) &&
		    (!vals || !vals->seq.n)) {
			err_required(c, e, "values",
				     "must be specified when `operator` is "
				     "'In' or 'NotIn'");
			ok = false;
		}
		if (op &&
		    (x->op == NP_OP_EXISTS || x->op == NP_OP_DOESNOTEXIST) &&
		    vals && vals->type == NP_N_SEQ && vals->seq.n) {
			size_t p3 = path_push(c, ".values");

			verr(c, vals, -EINVAL,
			     "Forbidden: may not be specified when `operator` "
			     "is 'Exists' or 'DoesNotExist'");
			path_pop(c, p3);
			ok = false;
		}
		if (ok)
			s->nexprs++;
		path_pop(c, p2);
	}
out:
	path_pop(c, p);
	return s;
}

bool np__selector_empty(const struct np_selector *s)
{
	return !s->match.n && !s->nexprs;
}

const char *np__labels_get(const struct np_labels *l, const char *key)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(l->v[mid].key, key);

		if (!r)
			return l->v[mid].val;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * apimachinery semantics: matchLabels and every expression ANDed; NotIn
 * matches objects without the key; NotIn [a, b] is one conjunction.
 */
bool np__selector_matches(const struct np_selector *s,
			  const struct np_labels *labels)
{
	size_t i, j;

	for (i = 0; i < s->match.n; i++) {
		const char *v = np__labels_get(labels, s->match.v[i].key);

		if (!v || strcmp(v, s->match.v[i].val))
			return false;
	}
	for (i = 0; i < s->nexprs; i++) {
		const struct np_sel_expr *x = &s->exprs[i];
		const char *v = np__labels_get(labels, x->key);
		bool in = false;

		switch (x->op) {
		case NP_OP_EXISTS:
			if (!v)
				return false;
			break;
		case NP_OP_DOESNOTEXIST:
			if (v)
				return false;
			break;
		case NP_OP_IN:
		case NP_OP_NOTIN:
			for (j = 0; v && j < x->nvalues; j++)
				if (!strcmp(v, x->values[j]))
					in = true;
			if ((x->op == NP_OP_IN) != in)
				return false;
			break;
		}
	}
	return true;
}

/* --- NetworkPolicy ------------------------------------------------------ */

static void get_ports(struct np_vctx *c, const struct np_node *n,
		      struct np_port **out, size_t *nout, bool named_ok)
{
	size_t i;

	*out = NULL;
	*nout = 0;
	if (!is_seq(c, n, NP_MAX_LIST))
		return;
	*out = np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(**out));
	if (!*out)
		return;
	for (i = 0; i < n->seq.n; i++) {
		const struct np_node *e = n->seq.v[i], *pn, *en;
		struct np_port *pt = &(*out)[*nout];
		size_t p = path_push(c, "[%zu]", i), p2;
		bool ok = true;
		int r;

		if (!is_map(c, e)) {
			path_pop(c, p);
			continue;
		}
		if (get_proto(c, e, &pt->proto, true))
			ok = false;
		pn = field(e, "port");
		en = field(e, "endPort");
		if (pn) {
			p2 = path_push(c, ".port");
			if (pn->type == NP_N_STR && named_ok) {
				const char *why = port_name(pn->str.s);

				if (why) {
					verr(c, pn, -EINVAL,
					     "Invalid value: %s: %s", REPR(pn),
					     why);
					ok = false;
				} else {
					pt->name = str_dup(c, pn);
					pt->has_port = true;
				}
			} else if (get_port_num(c, pn, &pt->port) > 0) {
				pt->has_port = true;
			} else {
				ok = false;
			}
			path_pop(c, p2);
		}
		if (en) {
			uint16_t end = 0;

			p2 = path_push(c, ".endPort");
			r = get_port_num(c, en, &end);
			path_pop(c, p2);
			if (r < 0) {
				ok = false;
			} else if (!pn) {
				p2 = path_push(c, ".endPort");
				verr(c, en, -EINVAL,
				     "Invalid value: %u: may not be specified "
				     "when `port` is not specified",
				     end);
				path_pop(c, p2);
				ok = false;
			} else if (pt->name || pn->type == NP_N_STR) {
				p2 = path_push(c, ".endPort");
				verr(c, en, -EINVAL,
				     "Invalid value: %u: may not be specified "
				     "when `port` is non-numeric",
				     end);
				path_pop(c, p2);
				ok = false;
			} else if (pt->has_port && end < pt->port) {
				p2 = path_push(c, ".endPort");
				verr(c, en, -EINVAL,
				     "Invalid value: %u: must be greater than "
				     "or equal to `port`",
				     end);
				path_pop(c, p2);
				ok = false;
			} else if (pt->has_port) {
				pt->end_port = end;
			}
		}
		if (ok)
			(*nout)++;
		path_pop(c, p);
	}
}

static struct np_ipblock *get_ipblock(struct np_vctx *c,
				      const struct np_node *n)
{
	struct np_ipblock *b = np__arena_zalloc(c->a, sizeof(*b));
	const struct np_node *cn, *ex;
	bool have_cidr = false;
	size_t i, p;

	if (!b || !is_map(c, n))
		return b;
	cn = field(n, "cidr");
	if (!cn) {
		err_required(c, n, "cidr", NULL);
	} else {
		p = path_push(c, ".cidr");
		have_cidr = get_cidr(c, cn, &b->cidr, false);
		path_pop(c, p);
	}
	ex = field(n, "except");
	if (!ex)
		return b;
	p = path_push(c, ".except");
	if (is_seq(c, ex, NP_MAX_LIST)) {
		b->except = np__arena_zalloc(c->a, (ex->seq.n + 1) *
							   sizeof(*b->except));
		for (i = 0; b->except && i < ex->seq.n; i++) {
			struct np_cidr *e = &b->except[b->nexcept];
			size_t p2 = path_push(c, "[%zu]", i);

			if (get_cidr(c, ex->seq.v[i], e, false)) {
				if (have_cidr &&
				    (!np__cidr_contains(&b->cidr, e) ||
				     e->len == b->cidr.len))
					verr(c, ex->seq.v[i], -EINVAL,
					     "Invalid value: %s: must be a "
					     "strict subset of `cidr`",
					     REPR(ex->seq.v[i]));
				else
					b->nexcept++;
			}
			path_pop(c, p2);
		}
	}
	path_pop(c, p);
	return b;
}

static void get_rules(struct np_vctx *c, const struct np_node *n,
		      const char *peers_key, struct np_rule **out, size_t *nout)
{
	size_t i, j;

	*out = NULL;
	*nout = 0;
	if (!is_seq(c, n, NP_MAX_LIST))
		return;
	*out = np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(**out));
	if (!*out)
		return;
	for (i = 0; i < n->seq.n; i++) {
		const struct np_node *r = n->seq.v[i], *pl, *ports;
		struct np_rule *rule = &(*out)[*nout];
		size_t p = path_push(c, "[%zu]", i);

		if (!is_map(c, r)) {
			path_pop(c, p);
			continue;
		}
		ports = field(r, "ports");
		if (ports) {
			size_t p2 = path_push(c, ".ports");

			get_ports(c, ports, &rule->ports, &rule->nports, true);
			path_pop(c, p2);
		}
		pl = field(r, peers_key);
		if (pl) {
			size_t p2 = path_push(c, ".%s", peers_key);

			if (is_seq(c, pl, NP_MAX_LIST)) {
				rule->peers = np__arena_zalloc(
					c->a,
					(pl->seq.n + 1) * sizeof(*rule->peers));
				for (j = 0; rule->peers && j < pl->seq.n; j++) {
					const struct np_node *pe = pl->seq.v[j];
					const struct np_node *ps, *ns, *ib;
					struct np_peer *peer =
						&rule->peers[rule->npeers];
					size_t p3 = path_push(c, "[%zu]", j);
					size_t p4;
					int kinds;

					if (!is_map(c, pe)) {
						path_pop(c, p3);
						continue;
					}
					ps = field(pe, "podSelector");
					ns = field(pe, "namespaceSelector");
					ib = field(pe, "ipBlock");
					kinds = !!ps + !!ns + !!ib;
					if (!kinds) {
						verr(c, pe, -EINVAL,
						     "Required value: must "
						     "specify a peer");
					} else if (ib && kinds > 1) {
						verr(c, pe, -EINVAL,
						     "Forbidden: may not specify "
						     "both ipBlock and another "
						     "peer");
					}
					if (ps) {
						p4 = path_push(c,
							       ".podSelector");
						peer->pod_sel =
							get_selector(c, ps);
						path_pop(c, p4);
					}
					if (ns) {
						p4 = path_push(
							c,
							".namespaceSelector");
						peer->ns_sel =
							get_selector(c, ns);
						path_pop(c, p4);
					}
					if (ib) {
						p4 = path_push(c, ".ipBlock");
						peer->ipblock =
							get_ipblock(c, ib);
						path_pop(c, p4);
					}
					rule->npeers++;
					path_pop(c, p3);
				}
			}
			path_pop(c, p2);
		}
		(*nout)++;
		path_pop(c, p);
	}
}

/* A list of "Ingress"/"Egress" (policyTypes, podIsolation). */
static void get_directions(struct np_vctx *c, const struct np_node *n,
			   bool *ingress, bool *egress)
{
	size_t i;

	if (!is_seq(c, n, NP_MAX_LIST))
		return;
	for (i = 0; i < n->seq.n; i++) {
		const struct np_node *t = n->seq.v[i];
		size_t p = path_push(c, "[%zu]", i);

		if (t->type == NP_N_STR && !strcmp(t->str.s, "Ingress"))
			*ingress = true;
		else if (t->type == NP_N_STR && !strcmp(t->str.s, "Egress"))
			*egress = true;
		else
			verr(c, t, -EINVAL,
			     "Unsupported value: %s: supported values: "
			     "\"Ingress\", \"Egress\"",
			     REPR(t));
		path_pop(c, p);
	}
}

static void netpol_from(struct np_vctx *c, struct np_obj *o,
			const struct np_node *spec)
{
	struct np_netpol *np = &o->np;
	const struct np_node *ps, *pt, *in, *eg;
	size_t p = path_push(c, ".spec"), p2;

	if (!spec) {
		/* spec absent: podSelector {} and defaults */
		np->ingress_type = true;
		path_pop(c, p);
		return;
	}
	if (!is_map(c, spec)) {
		path_pop(c, p);
		return;
	}
	ps = field(spec, "podSelector");
	if (ps) {
		struct np_selector *s;

		p2 = path_push(c, ".podSelector");
		s = get_selector(c, ps);
		if (s)
			np->pod_sel = *s;
		path_pop(c, p2);
	}
	in = field(spec, "ingress");
	if (in) {
		p2 = path_push(c, ".ingress");
		get_rules(c, in, "from", &np->ingress, &np->ningress);
		path_pop(c, p2);
	}
	eg = field(spec, "egress");
	if (eg) {
		p2 = path_push(c, ".egress");
		get_rules(c, eg, "to", &np->egress, &np->negress);
		path_pop(c, p2);
	}
	pt = field(spec, "policyTypes");
	if (pt) {
		p2 = path_push(c, ".policyTypes");
		if (pt->type == NP_N_SEQ && pt->seq.n > 2 &&
		    pt->seq.n <= NP_MAX_LIST)
			verr(c, pt, -EINVAL,
			     "Invalid value: [...]: may not specify more than "
			     "two policyTypes");
		get_directions(c, pt, &np->ingress_type, &np->egress_type);
		np->policy_types_set = pt->type == NP_N_SEQ && pt->seq.n > 0;
		path_pop(c, p2);
	}
	if (!np->policy_types_set) {
		/* defaulting: Ingress always, Egress iff egress rules */
		np->ingress_type = true;
		np->egress_type = eg && eg->type == NP_N_SEQ && eg->seq.n > 0;
	}
	path_pop(c, p);
}

/* --- Pod, Service, Namespace -------------------------------------------- */

static void pod_from(struct np_vctx *c, struct np_obj *o,
		     const struct np_node *spec, const struct np_node *status)
{
	struct np_pod *pod = &o->pod;
	const struct np_node *conts, *ips;
	size_t p = path_push(c, ".spec"), i, j, total = 0;

	if (spec && is_map(c, spec)) {
		pod->host_network = get_bool(c, spec, "hostNetwork");
		pod->node_name = get_str(c, spec, "nodeName", NULL);
		conts = field(spec, "containers");
		if (conts) {
			size_t p2 = path_push(c, ".containers");

			if (is_seq(c, conts, NP_MAX_POD_PORTS))
				for (i = 0; i < conts->seq.n; i++) {
					const struct np_node *cp =
						conts->seq.v[i];
					const struct np_node *pl =
						cp->type == NP_N_MAP ?
							field(cp, "ports") :
							NULL;

					if (pl && pl->type == NP_N_SEQ)
						total += pl->seq.n;
				}
			if (total > NP_MAX_POD_PORTS) {
				verr(c, conts, -E2BIG,
				     "Too many: %zu: container ports must be "
				     "at most %d",
				     total, NP_MAX_POD_PORTS);
				total = 0;
			}
			pod->ports = np__arena_zalloc(
				c->a, (total + 1) * sizeof(*pod->ports));
			for (i = 0; total && pod->ports && i < conts->seq.n;
			     i++) {
				const struct np_node *cp = conts->seq.v[i], *pl;
				size_t p3 = path_push(c, "[%zu].ports", i);

				pl = cp->type == NP_N_MAP ? field(cp, "ports") :
							    NULL;
				if (cp->type != NP_N_MAP) {
					path_pop(c, p3);
					p3 = path_push(c, "[%zu]", i);
					err_type(c, cp, "object");
				} else if (pl &&
					   is_seq(c, pl, NP_MAX_POD_PORTS)) {
					for (j = 0; j < pl->seq.n; j++) {
						const struct np_node *e =
							pl->seq.v[j];
						struct np_container_port *cport =
							&pod->ports[pod->nports];
						const struct np_node *nn;
						size_t p4 = path_push(
							c, "[%zu]", j);
						size_t p5;
						bool ok = true;
						const char *why;

						if (!is_map(c, e)) {
							path_pop(c, p4);
							continue;
						}
						cport->name = get_str(
							c, e, "name", &nn);
						if (cport->name &&
						    (why = port_name(
							     cport->name))) {
							p5 = path_push(c,
								       ".name");
							verr(c, nn, -EINVAL,
							     "Invalid value: "
							     "\"%s\": %s",
							     cport->name, why);
							path_pop(c, p5);
							ok = false;
						}
						p5 = path_push(
							c, ".containerPort");
						if (!field(e,
							   "containerPort")) {
							path_pop(c, p5);
							err_required(
								c, e,
								"containerPort",
								NULL);
							ok = false;
						} else {
							if (get_port_num(
								    c,
								    field(e,
									  "containerPort"),
								    &cport->port) <=
							    0)
								ok = false;
							path_pop(c, p5);
						}
						if (get_proto(c, e,
							      &cport->proto,
							      false))
							ok = false;
						if (ok)
							pod->nports++;
						path_pop(c, p4);
					}
				}
				path_pop(c, p3);
			}
			path_pop(c, p2);
		}
	}
	path_pop(c, p);
	if (!status)
		return;
	p = path_push(c, ".status");
	if (!is_map(c, status)) {
		path_pop(c, p);
		return;
	}
	{
		const char *phase = get_str(c, status, "phase", NULL);

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
	get_ip(c, status, "hostIP", &pod->host_ip);
	ips = field(status, "podIPs");
	if (ips) {
		size_t p2 = path_push(c, ".podIPs");

		if (is_seq(c, ips, NP_MAX_IPS)) {
			for (i = 0; i < ips->seq.n; i++) {
				size_t p3 = path_push(c, "[%zu]", i);

				if (is_map(c, ips->seq.v[i]) &&
				    get_ip(c, ips->seq.v[i], "ip",
					   &pod->ips[pod->nips]))
					pod->nips++;
				path_pop(c, p3);
			}
		}
		path_pop(c, p2);
	}
	if (!pod->nips) {
		if (get_ip(c, status, "podIP", &pod->ips[0]))
			pod->nips = 1;
	} else {
		struct np_ip one;

		/* podIP, when given, must be podIPs[0] */
		if (get_ip(c, status, "podIP", &one) &&
		    memcmp(&one, &pod->ips[0], sizeof(one))) {
			size_t p2 = path_push(c, ".podIP");

			verr(c, field(status, "podIP"), -EINVAL,
			     "Invalid value: \"%s\": must match podIPs[0]",
			     field(status, "podIP")->str.s);
			path_pop(c, p2);
		}
	}
	path_pop(c, p);
}

static void service_from(struct np_vctx *c, struct np_obj *o,
			 const struct np_node *spec)
{
	struct np_service *svc = &o->svc;
	const struct np_node *sel, *ports, *ips;
	size_t p = path_push(c, ".spec"), i;
	const char *cip;

	if (!spec || !is_map(c, spec)) {
		path_pop(c, p);
		return;
	}
	svc->type = get_str(c, spec, "type", NULL);
	sel = field(spec, "selector");
	if (sel) {
		size_t p2 = path_push(c, ".selector");

		svc->has_selector = true;
		get_labels(c, sel, &svc->selector, true);
		path_pop(c, p2);
	}
	ports = field(spec, "ports");
	if (ports) {
		size_t p2 = path_push(c, ".ports");

		if (is_seq(c, ports, NP_MAX_LIST)) {
			svc->ports = np__arena_zalloc(
				c->a, (ports->seq.n + 1) * sizeof(*svc->ports));
			for (i = 0; svc->ports && i < ports->seq.n; i++) {
				const struct np_node *e = ports->seq.v[i], *tp;
				struct np_service_port *sp =
					&svc->ports[svc->nports];
				size_t p3 = path_push(c, "[%zu]", i), p4;
				bool ok = true;

				if (!is_map(c, e)) {
					path_pop(c, p3);
					continue;
				}
				sp->name = get_str(c, e, "name", NULL);
				if (get_proto(c, e, &sp->proto, false))
					ok = false;
				p4 = path_push(c, ".port");
				if (!field(e, "port")) {
					path_pop(c, p4);
					err_required(c, e, "port", NULL);
					p4 = c->plen;
					ok = false;
				} else if (get_port_num(c, field(e, "port"),
							&sp->port) <= 0) {
					ok = false;
				}
				path_pop(c, p4);
				tp = field(e, "targetPort");
				p4 = path_push(c, ".targetPort");
				if (!tp) {
					sp->target_port = sp->port;
				} else if (tp->type == NP_N_STR) {
					const char *why = port_name(tp->str.s);

					if (why) {
						verr(c, tp, -EINVAL,
						     "Invalid value: %s: %s",
						     REPR(tp), why);
						ok = false;
					}
					sp->target_name = str_dup(c, tp);
				} else if (get_port_num(c, tp,
							&sp->target_port) <=
					   0) {
					ok = false;
				}
				path_pop(c, p4);
				if (ok)
					svc->nports++;
				path_pop(c, p3);
			}
		}
		path_pop(c, p2);
	}
	ips = field(spec, "clusterIPs");
	if (ips) {
		size_t p2 = path_push(c, ".clusterIPs");

		if (is_seq(c, ips, NP_MAX_IPS))
			for (i = 0; i < ips->seq.n; i++) {
				const struct np_node *v = ips->seq.v[i];
				size_t p3 = path_push(c, "[%zu]", i);

				if (v->type != NP_N_STR)
					err_type(c, v, "string");
				else if (strcmp(v->str.s, "None") &&
					 np__ip_parse(v->str.s,
						      &svc->ips[svc->nips]))
					verr(c, v, -EINVAL,
					     "Invalid value: %s: must be a "
					     "valid IP address",
					     REPR(v));
				else if (strcmp(v->str.s, "None"))
					svc->nips++;
				path_pop(c, p3);
			}
		path_pop(c, p2);
	}
	cip = get_str(c, spec, "clusterIP", NULL);
	if (!svc->nips && cip && *cip && strcmp(cip, "None")) {
		if (np__ip_parse(cip, &svc->ips[0])) {
			size_t p2 = path_push(c, ".clusterIP");

			verr(c, field(spec, "clusterIP"), -EINVAL,
			     "Invalid value: \"%s\": must be a valid IP "
			     "address",
			     cip);
			path_pop(c, p2);
		} else {
			svc->nips = 1;
		}
	}
	path_pop(c, p);
}

/* --- PolicyEndpoint ----------------------------------------------------- */

static void pe_entries(struct np_vctx *c, const struct np_node *n,
		       struct np_pe_entry **out, size_t *nout)
{
	size_t i, j;

	if (!is_seq(c, n, NP_MAX_LIST * 16))
		return;
	*out = np__arena_zalloc(c->a, (n->seq.n + 1) * sizeof(**out));
	for (i = 0; *out && i < n->seq.n; i++) {
		const struct np_node *e = n->seq.v[i], *cn, *ex, *ports, *act;
		struct np_pe_entry *pe = &(*out)[*nout];
		size_t p = path_push(c, "[%zu]", i), p2;
		bool ok = true;

		if (!is_map(c, e)) {
			path_pop(c, p);
			continue;
		}
		act = field(e, "action");
		if (act &&
		    (act->type != NP_N_STR || strcmp(act->str.s, "Allow"))) {
			p2 = path_push(c, ".action");
			verr(c, act, -ENOTSUP,
			     "Unsupported value: %s: supported values: "
			     "\"Allow\"",
			     REPR(act));
			path_pop(c, p2);
			ok = false;
		}
		cn = field(e, "cidr");
		if (!cn) {
			err_required(c, e, "cidr", NULL);
			ok = false;
		} else {
			p2 = path_push(c, ".cidr");
			ok &= get_cidr(c, cn, &pe->cidr, true);
			path_pop(c, p2);
		}
		ex = field(e, "except");
		if (ex) {
			p2 = path_push(c, ".except");
			if (is_seq(c, ex, NP_MAX_LIST)) {
				pe->except = np__arena_zalloc(
					c->a,
					(ex->seq.n + 1) * sizeof(*pe->except));
				for (j = 0; pe->except && j < ex->seq.n; j++) {
					size_t p3 = path_push(c, "[%zu]", j);

					if (get_cidr(c, ex->seq.v[j],
						     &pe->except[pe->nexcept],
						     true)) {
						if (ok &&
						    !np__cidr_contains(
							    &pe->cidr,
							    &pe->except
								     [pe->nexcept])) {
							verr(c, ex->seq.v[j],
							     -EINVAL,
							     "Invalid value: %s: "
							     "must be a subset of "
							     "`cidr`",
							     REPR(ex->seq.v[j]));
							ok = false;
						} else {
							pe->nexcept++;
						}
					} else {
						ok = false;
					}
					path_pop(c, p3);
				}
			} else {
				ok = false;
			}
			path_pop(c, p2);
		}
		ports = field(e, "ports");
		if (ports) {
			size_t before = c->nerr;

			p2 = path_push(c, ".ports");
			get_ports(c, ports, &pe->ports, &pe->nports, false);
			path_pop(c, p2);
			if (c->nerr != before)
				ok = false;
		}
		pe->rule = (int)i;
		if (ok)
			(*nout)++;
		path_pop(c, p);
	}
}

static void pe_from(struct np_vctx *c, struct np_obj *o,
		    const struct np_node *spec)
{
	struct np_policyendpoint *pe = &o->pe;
	const struct np_node *ref, *iso, *pods, *n;
	size_t p, p2, i;

	if (!spec) {
		err_required(c, c->objnode, "spec", NULL);
		return;
	}
	p = path_push(c, ".spec");
	if (!is_map(c, spec)) {
		path_pop(c, p);
		return;
	}
	ref = field(spec, "policyRef");
	if (!ref) {
		err_required(c, spec, "policyRef", NULL);
	} else {
		p2 = path_push(c, ".policyRef");
		if (is_map(c, ref)) {
			pe->ref_name = get_str(c, ref, "name", &n);
			if (!n)
				err_required(c, ref, "name", NULL);
			pe->ref_ns = get_str(c, ref, "namespace", &n);
			if (!n)
				err_required(c, ref, "namespace", NULL);
		}
		path_pop(c, p2);
	}
	n = field(spec, "podSelector");
	if (n) {
		p2 = path_push(c, ".podSelector");
		pe->pod_sel = get_selector(c, n);
		path_pop(c, p2);
	}
	iso = field(spec, "podIsolation");
	if (iso) {
		p2 = path_push(c, ".podIsolation");
		get_directions(c, iso, &pe->iso_ingress, &pe->iso_egress);
		path_pop(c, p2);
	}
	pods = field(spec, "podSelectorEndpoints");
	if (pods) {
		p2 = path_push(c, ".podSelectorEndpoints");
		if (is_seq(c, pods, NP_MAX_OBJECTS)) {
			pe->pods = np__arena_zalloc(
				c->a, (pods->seq.n + 1) * sizeof(*pe->pods));
			for (i = 0; pe->pods && i < pods->seq.n; i++) {
				const struct np_node *e = pods->seq.v[i];
				struct np_pe_pod *pp = &pe->pods[pe->npods];
				size_t p3 = path_push(c, "[%zu]", i);
				size_t before = c->nerr;

				if (is_map(c, e)) {
					if (!get_ip(c, e, "podIP",
						    &pp->pod_ip) &&
					    c->nerr == before)
						err_required(c, e, "podIP",
							     NULL);
					get_ip(c, e, "hostIP", &pp->host_ip);
					pp->name = get_str(c, e, "name", NULL);
					pp->ns = get_str(c, e, "namespace",
							 NULL);
					if (c->nerr == before)
						pe->npods++;
				}
				path_pop(c, p3);
			}
		}
		path_pop(c, p2);
	}
	n = field(spec, "ingress");
	if (n) {
		p2 = path_push(c, ".ingress");
		pe_entries(c, n, &pe->ingress, &pe->ningress);
		path_pop(c, p2);
	}
	n = field(spec, "egress");
	if (n) {
		p2 = path_push(c, ".egress");
		pe_entries(c, n, &pe->egress, &pe->negress);
		path_pop(c, p2);
	}
	path_pop(c, p);
}

/* --- objects ------------------------------------------------------------ */

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
};

const char *np_kind_name(enum np_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].k == kind)
			return kinds[i].kind;
	return NULL;
}

static const char *kind_api(enum np_kind kind)
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

static int one_object(struct np_vctx *c, const struct np_node *doc,
		      const char *where, struct np_obj ***objs, size_t *nobjs,
		      size_t *cap)
{
	const struct np_node *kn, *an, *meta, *nn, *nsn;
	struct np_arena arena = { 0 };
	struct np_obj *o;
	const char *kind, *api, *why;
	size_t i, before = c->nerr;
	int k = -1;

	c->objnode = doc;
	c->plen = 0;
	c->path[0] = '\0';
	snprintf(c->object, sizeof(c->object), "%s", where);
	if (doc->type != NP_N_MAP) {
		verr(c, doc, -EINVAL,
		     "Invalid type: expected an object, got %s",
		     np__node_type_name(doc));
		return 0;
	}
	kn = field(doc, "kind");
	an = field(doc, "apiVersion");
	if (!kn || kn->type != NP_N_STR) {
		if (kn)
			path_push(c, "kind"), err_type(c, kn, "string");
		else
			err_required(c, doc, "kind", NULL);
		return 0;
	}
	kind = kn->str.s;
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].kind, kind))
			k = (int)i;
	meta = field(doc, "metadata");
	nn = meta && meta->type == NP_N_MAP ? field(meta, "name") : NULL;
	nsn = meta && meta->type == NP_N_MAP ? field(meta, "namespace") : NULL;
	if (k < 0) {
		np__log(c->log, c->log_ctx, NP_LOG_INFO,
			"%s:%u: skipping %s %s%s%s: not a policy input",
			c->file ? c->file : "", doc->line, kind,
			nsn && nsn->type == NP_N_STR ? nsn->str.s : "",
			nsn && nsn->type == NP_N_STR ? "/" : "",
			nn && nn->type == NP_N_STR ? nn->str.s : "?");
		return 0;
	}
	snprintf(c->object, sizeof(c->object), "%s %s%s%s", kind,
		 kinds[k].k != NP_KIND_NAMESPACE && nsn &&
				 nsn->type == NP_N_STR ?
			 nsn->str.s :
			 (kinds[k].k != NP_KIND_NAMESPACE ? "default" : ""),
		 kinds[k].k != NP_KIND_NAMESPACE ? "/" : "",
		 nn && nn->type == NP_N_STR ? nn->str.s : "<unnamed>");
	api = an && an->type == NP_N_STR ? an->str.s : NULL;
	if (!api) {
		if (an) {
			size_t p = path_push(c, "apiVersion");

			err_type(c, an, "string");
			path_pop(c, p);
		} else {
			err_required(c, doc, "apiVersion", NULL);
		}
	} else if (strcmp(api, kinds[k].api)) {
		size_t p = path_push(c, "apiVersion");

		verr(c, an, -EINVAL,
		     "Unsupported value: \"%s\": supported values: \"%s\"", api,
		     kinds[k].api);
		path_pop(c, p);
	}

	o = np__arena_zalloc(&arena, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->kind = kinds[k].k;
	o->serial = np__serial_next();
	c->a = &arena;

	/* metadata */
	if (!meta) {
		err_required(c, doc, "metadata", NULL);
	} else {
		size_t p = path_push(c, "metadata"), p2;

		if (is_map(c, meta)) {
			o->meta.name = get_str(c, meta, "name", NULL);
			p2 = path_push(c, ".name");
			if (!nn)
				verr(c, meta, -EINVAL,
				     "Required value: name or generateName is "
				     "required");
			else if (o->meta.name &&
				 (why = o->kind == NP_KIND_NAMESPACE ?
						dns1123_label(
							o->meta.name,
							strlen(o->meta.name)) :
						dns1123_subdomain(
							o->meta.name,
							strlen(o->meta.name))))
				verr(c, nn, -EINVAL,
				     "Invalid value: \"%s\": %s", o->meta.name,
				     why);
			path_pop(c, p2);
			if (o->kind != NP_KIND_NAMESPACE) {
				o->meta.ns =
					get_str(c, meta, "namespace", NULL);
				if (!o->meta.ns)
					o->meta.ns = "default";
				else if ((why = dns1123_label(
						  o->meta.ns,
						  strlen(o->meta.ns)))) {
					p2 = path_push(c, ".namespace");
					verr(c, nsn, -EINVAL,
					     "Invalid value: \"%s\": %s",
					     o->meta.ns, why);
					path_pop(c, p2);
				}
			} else {
				o->meta.ns = "";
			}
			p2 = path_push(c, ".labels");
			get_labels(c, field(meta, "labels"), &o->meta.labels,
				   true);
			path_pop(c, p2);
		}
		path_pop(c, p);
	}
	c->plen = 0;
	c->path[0] = '\0';
	switch (o->kind) {
	case NP_KIND_NAMESPACE:
		/* the API server adds kubernetes.io/metadata.name */
		if (o->meta.name &&
		    !np__labels_get(&o->meta.labels,
				    "kubernetes.io/metadata.name")) {
			struct np_label *v = np__arena_alloc(
				c->a, (o->meta.labels.n + 1) * sizeof(*v));

			if (v) {
				if (o->meta.labels.n)
					memcpy(v, o->meta.labels.v,
					       o->meta.labels.n * sizeof(*v));
				v[o->meta.labels.n].key =
					"kubernetes.io/metadata.name";
				v[o->meta.labels.n].val = o->meta.name;
				o->meta.labels.v = v;
				o->meta.labels.n++;
				qsort(v, o->meta.labels.n, sizeof(*v),
				      label_cmp);
			}
		}
		break;
	case NP_KIND_POD:
		pod_from(c, o, field(doc, "spec"), field(doc, "status"));
		break;
	case NP_KIND_SERVICE:
		service_from(c, o, field(doc, "spec"));
		break;
	case NP_KIND_NETWORK_POLICY:
		netpol_from(c, o, field(doc, "spec"));
		break;
	case NP_KIND_POLICY_ENDPOINT:
		pe_from(c, o, field(doc, "spec"));
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
		verr(c, doc, -E2BIG, "Too many objects: more than %u",
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
	const struct np_node *kn = field(doc, "kind"), *items;
	char where[64];
	size_t i;
	int err;

	if (doc->type == NP_N_MAP && kn && kn->type == NP_N_STR &&
	    kn->str.len >= 4 && !strcmp(kn->str.s + kn->str.len - 4, "List") &&
	    (items = field(doc, "items"))) {
		if (items->type != NP_N_SEQ) {
			c->objnode = doc;
			c->plen = 0;
			snprintf(c->object, sizeof(c->object), "%s", kn->str.s);
			path_push(c, "items");
			err_type(c, items, "list");
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

/* --- back to documents -------------------------------------------------- */

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

struct np_node *np__obj_to_node(struct np_arena *a, const struct np_obj *o)
{
	struct np_node *root = np__node_new(a, NP_N_MAP), *meta, *spec, *st, *s,
		       *e;
	size_t i;

	if (!root)
		return NULL;
	PUT(root, "apiVersion", np__node_str(a, kind_api(o->kind)));
	PUT(root, "kind", np__node_str(a, np_kind_name(o->kind)));
	meta = np__node_new(a, NP_N_MAP);
	PUT(root, "metadata", meta);
	PUT(meta, "name", np__node_str(a, o->meta.name));
	if (o->kind != NP_KIND_NAMESPACE)
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
				PUT(e, "podIP", ip_node(a, &pp->pod_ip));
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
	default:
		break;
	}
	return root;
}
