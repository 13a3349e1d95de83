/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared pieces of the datapath suites: a fixture that gives every test its
 * own node network namespace and pin root (and removes them whatever
 * happens), crafted frames, and hand-built map sets.
 */
#ifndef DPT_HELPERS_H
#define DPT_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/types.h>

#include <netpol.h>
#include <netpol/datapath.h>

#include "datapath_internal.h"
#include "netns.h"

#define DPT_MAX_PODS 4

struct dpt_log {
	size_t n;
	size_t nwarn;
	char last[1024];
	char last_warn[1024];
};

struct dpt {
	char pin_root[64];
	struct np_datapath *dp;
	struct npt_pod pods[DPT_MAX_PODS];
	int npods;
	struct dpt_log log;
	/* how dpt_attach() attaches (0: the library's choice, TCX here) */
	enum np_hook_kind hook;
};

extern struct dpt T;

/* Criterion .init / .fini: skip when bpf() or netns are refused. */
void dpt_setup(void);
void dpt_teardown(void);

/* Open the datapath of this test (T.pin_root) into T.dp. */
struct np_datapath *dpt_open(enum np_mode mode, bool events,
			     const char *const *node_ips, size_t n);
void dpt_close(void);

/* A pod in T.pods (torn down by the fixture). */
struct npt_pod *dpt_pod(const char *tag, const char *ip4, const char *ip6);

/* A crafted frame. Unset fields: IPv4, TCP SYN, IHL 5, no fragments. */
struct pktspec {
	int family; /* 4 or 6 */
	const char *src;
	const char *dst;
	uint8_t proto;
	uint16_t sport;
	uint16_t dport;
	uint8_t tcp_flags; /* 0: SYN */
	uint8_t icmp_type;
	uint16_t icmp_id;
	int ihl; /* IPv4 header words, 0: 5 (options: NOPs) */
	uint16_t frag; /* v4: MF | offset; v6: offset << 3 | M */
	uint32_t frag_id;
	bool v6_frag; /* IPv6: add a fragment header */
	int v6_ext; /* IPv6: destination options headers */
	bool no_l4; /* stop after the IP header */
	const uint8_t *inner; /* ICMP error: embedded IP packet */
	size_t inner_len;
	uint16_t ethertype; /* 0: from family */
};

#define TCPF_SYN 0x02
#define TCPF_ACK 0x10
#define TCPF_FIN 0x01

size_t pkt_build(uint8_t *buf, size_t cap, const struct pktspec *s);

/* The program's verdict (TC_ACT_OK 0, TC_ACT_SHOT 2) on the frame. */
int dpt_verdict(unsigned int ifindex, enum np_direction dir,
		const struct pktspec *s);

/* Hand-built map sets. */
#define MSB_MAX 64
struct msb {
	struct np_mapset ms;
	struct np_map_entry ent[2][2][MSB_MAX]; /* [fam][dir] */
	struct np_portset ps[MSB_MAX];
};

void msb_init(struct msb *b, bool iso_ingress, bool iso_egress);
/* A port set; slots as {proto, first, last}; returns its index. */
uint32_t msb_ps(struct msb *b, uint8_t flags, const uint16_t (*slots)[3],
		size_t n);
void msb_add(struct msb *b, enum np_direction dir, const char *cidr,
	     uint32_t ps);
int dpt_apply(unsigned int ifindex, struct msb *b, struct np_diag *diag);
/*
 * np_datapath_attach() of host veth ifname (or ifindex) as pod ns/name,
 * the way T.hook says.
 */
int dpt_attach(struct np_datapath *dp, const char *ifname, unsigned int ifindex,
	       const char *ns, const char *name);
/* TCX programs on a veth's ingress (or egress) hook, as the kernel says. */
unsigned int dpt_tcx_progs(unsigned int ifindex, bool egress);
/*
 * Take our program off one hook of ifindex behind the datapath's back, the
 * way an operator could: delete our tc filter, or unpin our TCX link (the
 * pin is its only reference, so it goes).
 */
void dpt_unhook(unsigned int ifindex, bool egress);

/* A fresh /tmp/netpol-TAG-PID into dir (mode 0700), and its removal. */
void dpt_workdir(char *dir, size_t size, const char *tag);
void dpt_workdir_rm(char *dir);

/* The netpol tool under test ($NETPOL); skips the test when it is not set. */
const char *dpt_tool(void);
/* Sleep ms milliseconds. */
void dpt_sleep_ms(int ms);
/* Until a reader (netpol flows) has switched T.dp's events on, 5 s. */
void dpt_wait_events_on(void);
/*
 * SIGTERM to the tool's process pid (what: its command, for messages),
 * then wait 5 s for it to exit 0; else SIGKILL and fail.
 */
void dpt_tool_stop(pid_t pid, const char *what);
/* Run a shell command line; its stdout and stderr into out; exit status. */
int dpt_run_sh(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* DPT_HELPERS_H */
