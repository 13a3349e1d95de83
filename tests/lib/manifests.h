/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Manifest fragments the load tests (parse, objects, cluster) build on:
 * their line counts matter, the diagnostics' line numbers depend on them.
 */
#ifndef NPT_MANIFESTS_H
#define NPT_MANIFESTS_H

/* Seven lines: a NetworkPolicy prod/web up to its podSelector. */
#define NPH                                  \
	"apiVersion: networking.k8s.io/v1\n" \
	"kind: NetworkPolicy\n"              \
	"metadata:\n"                        \
	"  name: web\n"                      \
	"  namespace: prod\n"                \
	"spec:\n"                            \
	"  podSelector: {}\n"
/* Six lines: the same without the podSelector. */
#define NPS                                  \
	"apiVersion: networking.k8s.io/v1\n" \
	"kind: NetworkPolicy\n"              \
	"metadata:\n"                        \
	"  name: web\n"                      \
	"  namespace: prod\n"                \
	"spec:\n"
#define NS "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n"
/* A kubectl List (three lines); items follow. */
#define LIST_HEAD "apiVersion: v1\nkind: List\nitems:\n"

#endif /* NPT_MANIFESTS_H */
