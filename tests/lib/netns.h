/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Pods for tests and demos: network namespaces joined to the "node"
 * namespace (the caller's) by veth pairs, set up as a CNI plugin does:
 *
 *   pod netns                     node netns
 *   eth0  IP/32, IPv6/128  <--->  <host_if>  route IP/32, IPv6/128
 *   default via NPT_NODE_IP4 (the node's address, answered by ARP) and
 *   via fe80::1 (on every host end) for IPv6.
 *
 *   npt_node_isolate()  move the calling process into a fresh node netns
 *                       with forwarding on and the node addresses on lo
 *   npt_pod_create()    a pod: netns, veth, addresses, routes
 *   npt_pod_destroy()   stop its servers, delete the netns (and veth)
 *   npt_serve()         an echo server (TCP, UDP or SCTP, v4 and v6) in a pod
 *   npt_probe()         one exchange from a pod (or the node), bounded
 *   npt_ping()          one ICMP or ICMPv6 echo, bounded in time
 *   npt_sctp_native()   whether the kernel has SCTP sockets
 *   npt_conn_open()     a connection held open by a child process
 *   npt_conn_exchange() one more round trip on it
 *   npt_conn_close()
 *   npt_netns_enter()   move the calling process into a pod's netns
 *   npt_probe_many()    many probes at once, from many pods, in parallel
 *   npt_cleanup_stale() remove pod netns of test processes that died
 *   npt_cleanup_stale_pins()  and their bpffs pin roots
 *   npt_reaper_start()  remove this process's pods and pins when it dies,
 *                       however it dies (SIGKILL included)
 *
 * Names: netns "npt-<pid>-<tag>", host end "npt<pid><tag>"; tags are at
 * most 4 characters. Every call runs `ip` (iproute2) or forks; errors are
 * returned as -1 and explained on stderr.
 */
#ifndef NPT_NETNS_H
#define NPT_NETNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define NPT_NODE_IP4 "198.18.255.253"
#define NPT_NODE_IP6 "fd00::fffd"
#define NPT_MAX_SERVERS 8

struct npt_pod {
	char netns[32];
	char host_if[16];
	unsigned int ifindex; /* of host_if, in the node netns */
	char ip4[16]; /* "" when none */
	char ip6[48];
	pid_t servers[NPT_MAX_SERVERS];
	int nservers;
};

struct npt_conn {
	pid_t pid;
	int cmd; /* write a byte: one exchange */
	int res; /* read a byte: 0 ok, 1 failed */
};

/* 0, or -1 with errno (EPERM when namespaces are refused). */
int npt_node_isolate(void);

int npt_pod_create(struct npt_pod *pod, const char *tag, const char *ip4,
		   const char *ip6);
void npt_pod_destroy(struct npt_pod *pod);

/*
 * Start an echo server on port for proto (IPPROTO_TCP, IPPROTO_UDP or
 * IPPROTO_SCTP). SCTP without the kernel's SCTP (npt_sctp_native() false,
 * CONFIG_IP_SCTP off): a raw-socket responder that answers each INIT to
 * port with an INIT-ACK, which is what a datapath sees of an association's
 * start (the first packet, judged by its ports, and the answer). A pod
 * with an empty netns name (a zeroed struct) serves in the caller's netns,
 * the node, and dies with the caller; npt_pod_destroy() stops its servers.
 */
int npt_serve(struct npt_pod *pod, int proto, uint16_t port);

/*
 * From pod (NULL: the caller's netns, the node), send a message to
 * dst:port and wait for its echo, at most timeout_ms for the connect and
 * as much for the answer. 0 when it came back, 1 when it did not
 * (refused, timed out), -1 on a setup error. SCTP without the kernel's
 * SCTP: an INIT and its INIT-ACK, from raw sockets.
 */
int npt_probe(const struct npt_pod *pod, int proto, const char *dst,
	      uint16_t port, int timeout_ms);

/* Whether socket(IPPROTO_SCTP) works (else SCTP is raw INIT, INIT-ACK). */
bool npt_sctp_native(void);

/*
 * One ICMP (ICMPv6) echo from pod (NULL: the node) to dst: 0 when the
 * reply came within timeout_ms, 1 when not, -1 on a setup error.
 */
int npt_ping(const struct npt_pod *pod, const char *dst, int timeout_ms);

/* One probe of npt_probe_many(). */
struct npt_probe_req {
	const struct npt_pod *from;
	int proto; /* IPPROTO_TCP or IPPROTO_UDP */
	const char *dst; /* an IPv4 or IPv6 address */
	uint16_t port;
	int result; /* out: 0 answered, 1 not, -1 setup error */
};

/*
 * All of reqs at the same time: each a fresh connection (TCP) or datagram
 * (UDP) from its pod, answered when its echo comes back within timeout_ms
 * of the start. 0, or -1 when the probes could not run at all.
 */
int npt_probe_many(struct npt_probe_req *reqs, size_t n, int timeout_ms);

/* The same, held open: 0 when the first exchange worked, else -1. */
int npt_conn_open(struct npt_conn *c, const struct npt_pod *pod, int proto,
		  const char *dst, uint16_t port, int timeout_ms);
/* 0: the round trip worked; 1: it did not (within timeout_ms). */
int npt_conn_exchange(struct npt_conn *c, int timeout_ms);
void npt_conn_close(struct npt_conn *c);

/* Run a command in pod's netns through system(); its exit status. */
int npt_pod_exec(const struct npt_pod *pod, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Run a shell command; 0 when it exited 0. */
int npt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* setns() into netns name (a child after fork, usually); 0 or -1. */
int npt_netns_enter(const char *name);

void npt_cleanup_stale(void);

/*
 * Remove the bpffs directories "<prefix><pid>" whose process is gone;
 * prefix must start with "/sys/fs/bpf/netpol-".
 */
void npt_cleanup_stale_pins(const char *prefix);

/*
 * Start a watcher, in its own session, that outlives this process: when it
 * exits or is killed, the watcher kills what runs in this process's pod
 * namespaces ("npt-<pid>-*"), deletes them and removes pin_root (when not
 * NULL; it must start with "/sys/fs/bpf/netpol-"). 0 or -1.
 */
int npt_reaper_start(const char *pin_root);

#endif /* NPT_NETNS_H */
