/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Label selectors: reading and validating one (matchLabels,
 * matchExpressions), and matching a label set against it with
 * apimachinery's semantics.
 */
#include "fields.h"
#include "names.h"
#include "np_limits.h"
#include "selector.h"

static const char *const selector_fields[] = { "matchLabels",
					       "matchExpressions", NULL };
static const char *const expr_fields[] = { "key", "operator", "values", NULL };

struct np_selector *np__get_selector(struct np_vctx *c, const struct np_node *n)
{
	struct np_selector *s = np__arena_zalloc(c->a, sizeof(*s));
	const struct np_node *ml, *me;
	size_t p, i, j;

	if (!s || !np__is_map(c, n))
		return s;
	/* a misspelt matchLabels would leave {}: every pod */
	np__known_fields(c, n, "LabelSelector", selector_fields);
	ml = np__field(n, "matchLabels");
	if (ml) {
		p = np__path_push(c, ".matchLabels");
		np__get_labels(c, ml, &s->match, true);
		np__path_pop(c, p);
	}
	me = np__field(n, "matchExpressions");
	if (!me)
		return s;
	p = np__path_push(c, ".matchExpressions");
	if (!np__is_seq(c, me, NP_MAX_LABELS)) {
		np__path_pop(c, p);
		return s;
	}
	s->exprs = np__arena_zalloc(c->a, (me->seq.n + 1) * sizeof(*s->exprs));
	if (!s->exprs)
		goto out;
	for (i = 0; i < me->seq.n; i++) {
		const struct np_node *e = me->seq.v[i], *opn, *vals, *keyn;
		struct np_sel_expr *x = &s->exprs[s->nexprs];
		const char *op, *why;
		size_t p2 = np__path_push(c, "[%zu]", i);
		bool ok = true;

		/* an invalid entry leaves this slot to the next one: start clean */
		memset(x, 0, sizeof(*x));
		if (!np__is_map(c, e)) {
			np__path_pop(c, p2);
			continue;
		}
		np__known_fields(c, e, "LabelSelectorRequirement", expr_fields);
		x->key = np__get_str(c, e, "key", &keyn);
		if (!x->key) {
			if (!keyn)
				np__err_required(c, e, "key", NULL);
			ok = false;
		} else if ((why = np__label_key(x->key))) {
			size_t p3 = np__path_push(c, ".key");

			np__verr(c, keyn, -EINVAL, "Invalid value: \"%s\": %s",
				 x->key, why);
			np__path_pop(c, p3);
			ok = false;
		}
		op = np__get_str(c, e, "operator", &opn);
		if (!op) {
			if (!opn)
				np__err_required(c, e, "operator", NULL);
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
			size_t p3 = np__path_push(c, ".operator");

			np__verr(c, opn, -EINVAL,
				 "Invalid value: \"%s\": not a valid selector "
				 "operator",
				 op);
			np__path_pop(c, p3);
			op = NULL;
			ok = false;
		}
		vals = np__field(e, "values");
		if (vals) {
			size_t p3 = np__path_push(c, ".values");

			if (!np__is_seq(c, vals, NP_MAX_LIST)) {
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
					size_t p4 =
						np__path_push(c, "[%zu]", j);

					if (v->type != NP_N_STR) {
						np__err_type(c, v, "string");
						ok = false;
					} else if ((why = np__label_value(
							    v->str.s))) {
						np__verr(
							c, v, -EINVAL,
							"Invalid value: \"%s\": %s",
							v->str.s, why);
						ok = false;
					} else {
						x->values[x->nvalues++] =
							np__str_dup(c, v);
					}
					np__path_pop(c, p4);
				}
			}
			np__path_pop(c, p3);
		}
		if (ok && op && (x->op == NP_OP_IN || x->op == NP_OP_NOTIN) &&
		    (!vals || !vals->seq.n)) {
			np__err_required(c, e, "values",
					 "must be specified when `operator` is "
					 "'In' or 'NotIn'");
			ok = false;
		}
		if (op &&
		    (x->op == NP_OP_EXISTS || x->op == NP_OP_DOESNOTEXIST) &&
		    vals && vals->type == NP_N_SEQ && vals->seq.n) {
			size_t p3 = np__path_push(c, ".values");

			np__verr(
				c, vals, -EINVAL,
				"Forbidden: may not be specified when `operator` "
				"is 'Exists' or 'DoesNotExist'");
			np__path_pop(c, p3);
			ok = false;
		}
		if (ok)
			s->nexprs++;
		np__path_pop(c, p2);
	}
out:
	np__path_pop(c, p);
	return s;
}

bool np__selector_empty(const struct np_selector *s)
{
	return !s->match.n && !s->nexprs;
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
