/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* IP addresses and CIDRs (cidr.c): parsing, formatting, prefix maths. */
#ifndef NP_CIDR_H
#define NP_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An address: family 4 uses addr[0..3]. */
struct np_ip {
	uint8_t family;
	uint8_t addr[16];
};

struct np_cidr {
	uint8_t family;
	uint8_t len;
	uint8_t addr[16]; /* host bits masked */
};

/* 0 or -EINVAL. */
int np__ip_parse(const char *s, struct np_ip *ip);
/* "a/len" (host bits masked), or with bare_ip_ok also "a" as a /32 or /128. */
int np__cidr_parse(const char *s, struct np_cidr *c, bool bare_ip_ok);
void np__cidr_format(const struct np_cidr *c, char *buf, size_t size);
void np__ip_format(const struct np_ip *ip, char *buf, size_t size);
bool np__cidr_contains(const struct np_cidr *outer, const struct np_cidr *in);
bool np__cidr_has_ip(const struct np_cidr *c, const struct np_ip *ip);

#endif /* NP_CIDR_H */
