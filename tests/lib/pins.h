/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpffs pin roots of tests and benchmarks: npt_rm_pins() removes one pin
 * directory and every pin in it. Plain libc, no libbpf and no network
 * namespaces, so bench/ links it (as test_pins_dep) without the netns
 * helpers.
 */
#ifndef NPT_PINS_H
#define NPT_PINS_H

/* Unlink every entry of dir (one level, no recursion), then rmdir it. */
void npt_rm_pins(const char *dir);

#endif /* NPT_PINS_H */
