// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * failalloc.c's allocator, preloaded (LD_PRELOAD) into a program not built
 * with it: the netpol tool. NPT_FAIL_AT=N: the N-th allocation from this
 * library's constructor on fails (ENOMEM), once; unset, none fails.
 * NPT_FAIL_COUNT=FILE: at exit, how many allocations were made (or tried)
 * is written to FILE, so that a test knows how many points there are.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failalloc.h"

__attribute__((constructor)) static void fa_start(void)
{
	const char *at = getenv("NPT_FAIL_AT");

	failalloc_arm(at && *at ? strtol(at, NULL, 10) : -1);
}

__attribute__((destructor)) static void fa_stop(void)
{
	const char *path = getenv("NPT_FAIL_COUNT");
	long n = failalloc_disarm();
	char buf[32];
	int fd, len;

	if (!path)
		return;
	len = snprintf(buf, sizeof(buf), "%ld\n", n);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return;
	if (write(fd, buf, (size_t)len) != len)
		(void)0;
	close(fd);
}
