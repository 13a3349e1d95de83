/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Protocols and ports (ports.c). */
#ifndef NP_PORTS_H
#define NP_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct np_node;
struct np_vctx;

enum np_proto {
	NP_PROTO_ANY = 0, /* internal: every protocol */
	NP_PROTO_TCP = 6,
	NP_PROTO_UDP = 17,
	NP_PROTO_SCTP = 132,
};

/* One NetworkPolicyPort / PolicyEndpoint port. */
struct np_port {
	uint8_t proto; /* NP_PROTO_TCP/UDP/SCTP */
	bool has_port; /* false: every port of proto */
	const char *name; /* named port (NetworkPolicy only) */
	uint16_t port;
	uint16_t end_port; /* 0: none */
};

/* "TCP", "UDP", "SCTP", "ANY"; "?" for anything else. */
const char *np__proto_name(uint8_t proto);
/*
 * The protocol field of map (TCP when absent): 0, or -1 reported. netpol:
 * list the supported values as NetworkPolicy validation does.
 */
int np__get_proto(struct np_vctx *c, const struct np_node *map, uint8_t *out,
		  bool netpol);
/* A port number field: 1 valid, 0 absent, -1 reported. */
int np__get_port_num(struct np_vctx *c, const struct np_node *n, uint16_t *out);
/* A list of ports; named_ok: a port may be a name (NetworkPolicy). */
void np__get_ports(struct np_vctx *c, const struct np_node *n,
		   struct np_port **out, size_t *nout, bool named_ok);

#endif /* NP_PORTS_H */
