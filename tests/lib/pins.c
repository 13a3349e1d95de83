/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Owns npt_rm_pins(): removing a pin root the datapath left in bpffs. */
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include "pins.h"

void npt_rm_pins(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}
