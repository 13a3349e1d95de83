/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Label selectors (selector.c): reading one, and matching labels. */
#ifndef NP_SELECTOR_H
#define NP_SELECTOR_H

#include "names.h"

enum np_sel_op {
	NP_OP_IN = 0,
	NP_OP_NOTIN,
	NP_OP_EXISTS,
	NP_OP_DOESNOTEXIST,
};

struct np_sel_expr {
	const char *key;
	enum np_sel_op op;
	const char **values;
	size_t nvalues;
};

/* A label selector. An empty one matches everything. */
struct np_selector {
	struct np_labels match;
	struct np_sel_expr *exprs;
	size_t nexprs;
};

/*
 * A LabelSelector; invalid terms are reported and left out. NULL only when
 * out of memory.
 */
struct np_selector *np__get_selector(struct np_vctx *c,
				     const struct np_node *n);
bool np__selector_matches(const struct np_selector *s,
			  const struct np_labels *labels);
bool np__selector_empty(const struct np_selector *s);

#endif /* NP_SELECTOR_H */
