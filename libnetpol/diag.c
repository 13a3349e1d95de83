/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every caller needs whatever it does: the library's version,
 * np_free() for what it hands out, and the text of an error
 * (np_strerror() of netpol/common.h, np_diag_format() of netpol/diag.h).
 */
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
		return "permission denied";
	case ENOTSUP:
		return "not supported";
	case EEXIST:
		return "already exists";
	case EBUSY:
		return "busy";
	case ENODEV:
		return "no such device";
	case EIO:
		return "input/output error";
	case ENOSPC:
		return "no space left";
	case EAGAIN:
		return "try again";
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
