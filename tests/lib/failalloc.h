/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Out of memory on demand (failalloc.c, compiled into the test program
 * itself, which exports them: meson's export_dynamic): malloc, calloc,
 * realloc and free are the program's, so the library's allocations, and
 * libyaml's, jansson's and libbpf's, go through them. Not for sanitizer
 * builds, which bring their own; valgrind takes them over (nothing
 * fails there: failalloc_disarm() counts 0).
 */
#ifndef NPT_FAILALLOC_H
#define NPT_FAILALLOC_H

#include <stdbool.h>

/*
 * Count allocations from now; the at-th one fails (ENOMEM), once. at -1:
 * none fails (to count them).
 */
void failalloc_arm(long at);
/* Stop; returns how many allocations were made (or tried) while armed. */
long failalloc_disarm(void);
/* Blocks allocated and not freed, since the start (for leak checks). */
long failalloc_live(void);

#endif /* NPT_FAILALLOC_H */
