/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * IP addresses and CIDRs: parsing (as the API server accepts them),
 * formatting, and the prefix maths the compiler runs for every address
 * against every rule.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "cidr.h"
#include "util.h"

int np__ip_parse(const char *s, struct np_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, ip->addr) != 1)
			return -EINVAL;
		ip->family = 6;
		return 0;
	}
	if (inet_pton(AF_INET, s, ip->addr) != 1)
		return -EINVAL;
	ip->family = 4;
	return 0;
}

static void cidr_mask(struct np_cidr *c)
{
	unsigned bits = c->family == 4 ? 32 : 128, i;

	for (i = c->len; i < bits; i++)
		c->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

int np__cidr_parse(const char *s, struct np_cidr *c, bool bare_ip_ok)
{
	const char *slash = strchr(s, '/');
	char addr[64];
	struct np_ip ip;
	unsigned long len;
	char *end;

	memset(c, 0, sizeof(*c));
	if (!slash) {
		if (!bare_ip_ok || np__ip_parse(s, &ip))
			return -EINVAL;
		c->family = ip.family;
		c->len = ip.family == 4 ? 32 : 128;
		memcpy(c->addr, ip.addr, sizeof(c->addr));
		return 0;
	}
	if ((size_t)(slash - s) >= sizeof(addr) || !slash[1] ||
	    (slash[1] == '0' && slash[2]))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (np__ip_parse(addr, &ip))
		return -EINVAL;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	len = strtoul(slash + 1, &end, 10);
	if (*end || len > (ip.family == 4 ? 32u : 128u))
		return -EINVAL;
	c->family = ip.family;
	c->len = (uint8_t)len;
	memcpy(c->addr, ip.addr, sizeof(c->addr));
	cidr_mask(c);
	return 0;
}

void np__ip_format(const struct np_ip *ip, char *buf, size_t size)
{
	if (!inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->addr, buf,
		       (socklen_t)size))
		snprintf(buf, size, "?");
}

void np__cidr_format(const struct np_cidr *c, char *buf, size_t size)
{
	struct np_ip ip = { .family = c->family };
	char a[INET6_ADDRSTRLEN + 8];

	memcpy(ip.addr, c->addr, sizeof(ip.addr));
	np__ip_format(&ip, a, sizeof(a));
	snprintf(buf, size, "%.*s/%u", (int)NP_MIN(sizeof(a), size), a, c->len);
}

/*
 * The first len bits of two 16-byte addresses agree. Two big-endian words
 * instead of memcmp: this runs for every address against every rule.
 */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned len)
{
	uint64_t x;

	if (!len)
		return true;
	x = np__be64(a) ^ np__be64(b);
	if (len <= 64)
		return !(x >> (64 - len));
	if (x)
		return false;
	if (len > 128)
		len = 128;
	x = np__be64(a + 8) ^ np__be64(b + 8);
	return !(x >> (128 - len));
}

bool np__cidr_contains(const struct np_cidr *outer, const struct np_cidr *in)
{
	return outer->family == in->family && outer->len <= in->len &&
	       prefix_eq(outer->addr, in->addr, outer->len);
}

bool np__cidr_has_ip(const struct np_cidr *c, const struct np_ip *ip)
{
	return c->family == ip->family && prefix_eq(c->addr, ip->addr, c->len);
}
