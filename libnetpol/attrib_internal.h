/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Attribution's internals (attrib.c, attrib_rules.c, attrib_format.c): an
 * attribution with each side's verdict and findings, what one call works
 * with, and the findings' helpers attrib.c calls in attrib_rules.c.
 */
#ifndef NP_ATTRIB_INTERNAL_H
#define NP_ATTRIB_INTERNAL_H

#include "netpol/attrib.h"
#include "ruleset_internal.h"

struct item {
	struct np_attrib_item pub;
	const char **pods; /* the first ones, escaped */
	size_t npods;
	size_t total; /* how many the selector selects */
};

struct side {
	bool judged;
	struct np_verdict v;
	const char *pod; /* "ns/name", escaped */
	const char **iso; /* policies isolating it (denied), escaped */
	size_t niso, isocap;
	struct item *items;
	size_t n, cap;
};

struct np_attrib {
	struct np_arena arena;
	const char *from, *to; /* as given, escaped */
	const char *from_pod, *to_pod; /* "ns/name" or NULL */
	char from_ip[64], to_ip[64]; /* "" when not chosen */
	enum np_protocol proto;
	uint16_t port;
	bool allowed;
	bool self;
	struct side side[2]; /* by enum np_direction */
};

/* What one attribution call works with. */
struct actx {
	struct np_attrib *a;
	struct np_cluster *c;
	struct np_compile_opts copts;
	unsigned int max_pods;
	struct np_diag *diag;
};

/* The rule set's verdict on one side. */
struct judge {
	enum np_direction dir;
	const struct np_obj *pod; /* the judging pod */
	const struct np_ip *ip; /* the peer's address */
	const char *ip_text;
	const struct np_obj *peer; /* the peer pod, or NULL */
	uint8_t proto;
	uint16_t port;
};

/* s escaped (np_escape(), TEXT) into the attribution's arena. */
const char *np__attrib_esc_dup(struct np_attrib *a, const char *s);
/* "ns/name" of a pod, escaped. */
const char *np__attrib_pod_dup(struct np_attrib *a, const struct np_obj *pod);
/* A finding of side s (detail copied); NULL: out of memory. */
struct item *np__attrib_item_add(struct actx *x, struct side *s,
				 const char *policy, enum np_tier tier,
				 int rule, const char *rule_name, int peer,
				 enum np_attrib_reason reason,
				 struct np_strbuf *detail);
/* policy among those isolating side s (once). */
int np__attrib_iso_add(struct side *s, const char *policy);
/*
 * Every rule of NetworkPolicy pol in the side's direction, checked: its
 * findings, or the rules that match.
 */
int np__attrib_policy_check(struct actx *x, struct side *s, struct np_ctx *ctx,
			    const struct np_obj *pol, const struct judge *j);

#endif /* NP_ATTRIB_INTERNAL_H */
