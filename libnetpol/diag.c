/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every caller needs whatever it does: the library's version,
 * np_free() for what it hands out, and the text of an error
 * (np_strerror() of netpol/common.h, np_diag_format() of netpol/diag.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"
#include "netpol/diag.h"

const char *np_version(void)
{
	return "0.1.0";
}

void np_free(void *ptr)
{
	free(ptr);
}

/*
 * Every code a libnetpol function returns, its own or passed through from
 * libbpf and the kernel, with what it means here. EOPNOTSUPP is ENOTSUP on
 * Linux. libnetpol(3), section ERRORS, lists the same codes.
 */
const char *np_strerror(int err)
{
	/* long: -INT_MIN does not fit an int */
	switch (err < 0 ? -(long)err : (long)err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid input";
	case E2BIG:
		return "over a limit";
	case ENOENT:
		return "no such object";
	case ENOMEM:
		return "out of memory";
	case EPERM:
		return "operation not permitted";
	case EACCES:
		return "permission denied: the datapath needs CAP_BPF and "
		       "CAP_NET_ADMIN, files need read access";
	case ENOTSUP:
		return "not supported";
	case EEXIST:
		return "already exists, or pinned maps of another layout";
	case EBUSY:
		return "busy: the pin directory or a tc hook is in use";
	case ENODEV:
		return "no such network interface";
	case EIO:
		return "input/output error reading a file or the kernel";
	case ENOSPC:
		return "no space left";
	case EAGAIN:
		return "try again: nothing ready, or the kernel is short of "
		       "resources";
	case EADDRINUSE:
		return "interface index aliases an attached pod's "
		       "(modulo 2^24)";
	case ENODATA:
		return "no data: the rule set does not isolate that direction";
	case EINTR:
		return "interrupted by a signal";
	case ENAMETOOLONG:
		return "path too long";
	case ETIME:
		return "timed out: the kernel's clock does not advance";
	case ESTALE:
		return "stale: another pod owns the entry";
	case EBADF:
		return "bad file descriptor: a pinned object is not a map or "
		       "program";
	case ENOTDIR:
		return "not a directory: the pin root";
	case EROFS:
		return "read-only file system: the pin root";
	case EMFILE:
		return "too many open files";
	case EFAULT:
		return "bad address";
	case ENOEXEC:
		return "the kernel refused the BPF program";
	}
	return "unknown error";
}

int np_diag_format(const struct np_diag *d, char *buf, size_t size)
{
	struct np_strbuf sb = { 0 };
	char *s;
	int err;

	if (!d || !buf || !size)
		return -EINVAL;
	if (d->file[0]) {
		np__sb_puts(&sb, d->file);
		if (d->line) {
			np__sb_printf(&sb, ":%u", d->line);
			if (d->column)
				np__sb_printf(&sb, ":%u", d->column);
		}
		np__sb_puts(&sb, ": ");
	}
	if (d->object[0])
		np__sb_printf(&sb, "%s: ", d->object);
	if (d->path[0])
		np__sb_printf(&sb, "%s: ", d->path);
	np__sb_puts(&sb, d->message[0] ? d->message : np_strerror(d->err));
	err = np__sb_finish(&sb, &s);
	if (err)
		return err;
	snprintf(buf, size, "%s", s);
	err = strlen(s) >= size ? -ENOSPC : 0;
	free(s);
	return err;
}

int np__diag_fail(struct np_diag *diag, int err)
{
	if (diag && err && !diag->err && !diag->message[0])
		diag->err = err;
	return err;
}
