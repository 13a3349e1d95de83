/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared pieces of the datapath and memory benchmarks: clocks and order
 * statistics, JSON lines, a private network namespace with veth pairs, a
 * private pin root, crafted frames and hand-built map sets.
 */
#ifndef NP_BENCH_UTIL_H
#define NP_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netpol.h>
#include <netpol/datapath.h>

#include "datapath_internal.h"
#include "mapset.h"

double bu_now(void); /* CLOCK_MONOTONIC, seconds */
void bu_sort(double *v, size_t n);
double bu_min(double *v, size_t n); /* sorts v */
double bu_pct(double *v, size_t n, double p); /* sorts v; p in [0,100] */

/* Leave on error with a message on stderr (and the cleanup done). */
void bu_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
int bu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Move into a fresh network namespace (lo up) and pick the pin root
 * /sys/fs/bpf/netpol-bench-<pid>; the datapath and pins are removed at
 * exit whatever happens.
 */
void bu_isolate(void);
const char *bu_pin_root(void);
/* Open (load) the datapath under the private pin root. */
struct np_datapath *bu_open(void);
/* Attach host veth ifindex as pod bench/pod: np_datapath_attach(). */
int bu_attach(struct np_datapath *dp, unsigned ifindex);
/* The datapath bu_open() gave, destroyed at exit (or now). */
void bu_destroy(void);

/*
 * Create n veth pairs named <prefix><i> / <prefix>p<i> (one `ip -batch`),
 * up; ifx[i] receives the index of <prefix><i>.
 */
void bu_veths(const char *prefix, unsigned n, unsigned *ifx);

/* A TCP frame: Ethernet, IPv4 or IPv6 (fam 4/6), TCP with flags. */
size_t bu_frame(uint8_t *buf, int fam, const uint8_t *src, const uint8_t *dst,
		uint16_t sport, uint16_t dport, uint8_t flags);
#define BU_SYN 0x02
#define BU_ACK 0x10

/* Map sets built by hand: n entries per family for one direction. */
struct bu_ms {
	struct np_mapset ms;
	struct np_portset ps[8];
};
void bu_ms_init(struct bu_ms *b, bool iso_ingress, bool iso_egress, size_t n4,
		size_t n6, enum np_direction dir);
void bu_ms_free(struct bu_ms *b);
/* A port set of n slots {proto, port, port}; returns its index. */
uint32_t bu_ps_ports(struct bu_ms *b, uint8_t proto, const uint16_t *ports,
		     size_t n);
uint32_t bu_ps_all(struct bu_ms *b);
/* Entry i of family fam (4/6) in direction dir. */
void bu_ms_set(struct bu_ms *b, int fam, enum np_direction dir, size_t i,
	       const uint8_t *addr, unsigned plen, uint32_t ps);

/* The i-th synthetic peer address: 10.x.y.z (v4) or fd00:10::i (v6). */
void bu_peer(int fam, uint32_t i, uint8_t *out);

/* JSON lines: bu_json_begin("bench"); fields; bu_json_end(). */
void bu_json_begin(const char *bench, const char *name);
void bu_json_num(const char *key, double v);
void bu_json_str(const char *key, const char *v);
void bu_json_end(void);

#endif
