// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Owns the traffic tests' pods: network namespaces and veths. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"

#define MSG "netpol-probe"

static int vsh(const char *fmt, va_list ap)
{
	char cmd[1024];
	int st;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int npt_sh(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsh(fmt, ap);
	va_end(ap);
	return r;
}

int npt_pod_exec(const struct npt_pod *pod, const char *fmt, ...)
{
	char cmd[900], full[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "ip netns exec %s %s", pod->netns, cmd);
	return npt_sh("%s", full);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

int npt_node_isolate(void)
{
	if (unshare(CLONE_NEWNET))
		return -1;
	if (write_file("/proc/sys/net/ipv4/ip_forward", "1") ||
	    write_file("/proc/sys/net/ipv6/conf/all/forwarding", "1") ||
	    write_file("/proc/sys/net/ipv6/conf/default/accept_dad", "0"))
		return -1;
	if (npt_sh("ip link set lo up && ip addr add %s/32 dev lo && "
		   "ip -6 addr add %s/128 dev lo",
		   NPT_NODE_IP4, NPT_NODE_IP6))
		return -1;
	return 0;
}

int npt_netns_enter(const char *name)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	return r;
}

int npt_pod_create(struct npt_pod *pod, const char *tag, const char *ip4,
		   const char *ip6)
{
	int pid = getpid();

	memset(pod, 0, sizeof(*pod));
	if (strlen(tag) > 4)
		return -1;
	snprintf(pod->netns, sizeof(pod->netns), "npt-%d-%s", pid, tag);
	snprintf(pod->host_if, sizeof(pod->host_if), "npt%d%s", pid, tag);
	snprintf(pod->ip4, sizeof(pod->ip4), "%s", ip4 ? ip4 : "");
	snprintf(pod->ip6, sizeof(pod->ip6), "%s", ip6 ? ip6 : "");

	if (npt_sh("ip netns add %s", pod->netns))
		return -1;
	if (npt_pod_exec(pod, "sh -c 'echo 0 > "
			      "/proc/sys/net/ipv6/conf/default/accept_dad'") ||
	    npt_sh("ip link add %s type veth peer name eth0 netns %s",
		   pod->host_if, pod->netns) ||
	    npt_sh("ip link set %s up", pod->host_if) ||
	    npt_sh("ip -6 addr add fe80::1/64 dev %s nodad", pod->host_if) ||
	    npt_pod_exec(pod, "ip link set lo up") ||
	    npt_pod_exec(pod, "ip link set eth0 up"))
		goto fail;
	pod->ifindex = if_nametoindex(pod->host_if);
	if (!pod->ifindex)
		goto fail;
	if (*pod->ip4 &&
	    (npt_pod_exec(pod, "ip addr add %s/32 dev eth0", pod->ip4) ||
	     npt_pod_exec(pod, "ip route add %s/32 dev eth0 scope link",
			  NPT_NODE_IP4) ||
	     npt_pod_exec(pod, "ip route add default via %s dev eth0",
			  NPT_NODE_IP4) ||
	     npt_sh("ip route add %s/32 dev %s", pod->ip4, pod->host_if)))
		goto fail;
	if (*pod->ip6 &&
	    (npt_pod_exec(pod, "ip -6 addr add %s/128 dev eth0 nodad",
			  pod->ip6) ||
	     npt_pod_exec(pod, "ip -6 route add default via fe80::1 "
			       "dev eth0") ||
	     npt_sh("ip -6 route add %s/128 dev %s", pod->ip6, pod->host_if)))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "npt: setting up pod %s failed\n", pod->netns);
	npt_pod_destroy(pod);
	return -1;
}

void npt_pod_destroy(struct npt_pod *pod)
{
	int i;

	for (i = 0; i < pod->nservers; i++) {
		kill(-pod->servers[i], SIGKILL);
		kill(pod->servers[i], SIGKILL);
		waitpid(pod->servers[i], NULL, 0);
	}
	pod->nservers = 0;
	if (*pod->netns)
		npt_sh("ip netns del %s 2>/dev/null", pod->netns);
	if (*pod->host_if)
		npt_sh("ip link del %s 2>/dev/null", pod->host_if);
	pod->netns[0] = '\0';
	pod->host_if[0] = '\0';
}

void npt_cleanup_stale(void)
{
	struct dirent *de;
	DIR *d = opendir("/run/netns");

	if (!d)
		return;
	while ((de = readdir(d))) {
		int pid;

		if (sscanf(de->d_name, "npt-%d-", &pid) != 1)
			continue;
		if (kill(pid, 0) && errno == ESRCH)
			npt_sh("ip netns pids %s 2>/dev/null | xargs -r kill -9; "
			       "ip netns del %s 2>/dev/null",
			       de->d_name, de->d_name);
	}
	closedir(d);
}

static bool pin_path_ok(const char *path)
{
	return !strncmp(path, "/sys/fs/bpf/netpol-", 19) && path[19] &&
	       !strchr(path, '\'') && !strstr(path, "..");
}

void npt_cleanup_stale_pins(const char *prefix)
{
	const char *base;
	size_t blen;
	struct dirent *de;
	DIR *d;

	if (!pin_path_ok(prefix))
		return;
	base = strrchr(prefix, '/') + 1;
	blen = strlen(base);
	d = opendir("/sys/fs/bpf");
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, base, blen))
			continue;
		pid = strtol(de->d_name + blen, &end, 10);
		if (pid <= 0 || *end)
			continue;
		if (kill((pid_t)pid, 0) && errno == ESRCH)
			npt_sh("rm -rf '/sys/fs/bpf/%s'", de->d_name);
	}
	closedir(d);
}

int npt_reaper_start(const char *pin_root)
{
	pid_t parent = getpid(), pid;
	sigset_t set;
	int sig, fd;

	if (pin_root && !pin_path_ok(pin_root))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		return 0;
	/* the watcher: out of the test's process group and output */
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	if (getppid() == parent)
		sigwait(&set, &sig);
	npt_sh("for n in $(ls /run/netns 2>/dev/null | grep '^npt-%d-'); do "
	       "ip netns pids $n 2>/dev/null | xargs -r kill -9; "
	       "ip netns del $n 2>/dev/null; done",
	       (int)parent);
	if (pin_root)
		npt_sh("rm -rf '%s'", pin_root);
	_exit(0);
}

static int to_sockaddr(const char *dst, uint16_t port,
		       struct sockaddr_storage *ss, socklen_t *len);
static int wait_fd(int fd, short ev, int timeout_ms);

/* TCP and SCTP (one-to-one style) stream, UDP datagrams. */
static int sock_type(int proto)
{
	return proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
}

bool npt_sctp_native(void)
{
	static int have = -1;

	if (have < 0) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
				IPPROTO_SCTP);

		have = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return have;
}

/* --- SCTP without the kernel's SCTP: INIT and INIT-ACK on raw sockets ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* CRC32c (Castagnoli), as SCTP checksums its packets. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = ~0u;
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = c >> 1 ^ (0x82f63b78u & -(c & 1));
	}
	return ~c;
}

/*
 * An SCTP packet of one chunk: INIT (type 1; vtag 0) or INIT-ACK (type 2,
 * with a State Cookie parameter), initiate tag itag. Its length.
 */
static size_t sctp_pkt(uint8_t *b, uint16_t sport, uint16_t dport,
		       uint32_t vtag, uint8_t type, uint32_t itag)
{
	size_t n = type == 1 ? 32 : 40;
	uint32_t crc;

	memset(b, 0, n);
	put16(b, sport);
	put16(b + 2, dport);
	put32(b + 4, vtag);
	b[12] = type;
	put16(b + 14, (uint16_t)(n - 12));
	put32(b + 16, itag); /* initiate tag */
	put32(b + 20, 65536); /* a_rwnd */
	put16(b + 24, 1); /* outbound streams */
	put16(b + 26, 1); /* inbound streams */
	put32(b + 28, itag); /* initial TSN */
	if (type == 2) {
		put16(b + 32, 7); /* State Cookie */
		put16(b + 34, 8);
		put32(b + 36, itag);
	}
	crc = crc32c(b, n);
	/* stored least significant byte first (RFC 9260, appendix A) */
	b[8] = crc & 0xff;
	b[9] = crc >> 8 & 0xff;
	b[10] = crc >> 16 & 0xff;
	b[11] = crc >> 24;
	return n;
}

/* The SCTP packet in what a raw socket of family af read (v4: after IP). */
static const uint8_t *sctp_of(int af, const uint8_t *b, ssize_t n)
{
	ssize_t off = af == AF_INET && n > 0 ? (b[0] & 0xf) * 4 : 0;

	return n - off >= 32 ? b + off : NULL;
}

/* Answer every INIT to port with an INIT-ACK, v4 and v6. */
static void __attribute__((noreturn)) sctp_raw_serve(uint16_t port, int ready)
{
	int fds[2] = { socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_SCTP),
		       socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC,
			      IPPROTO_SCTP) };
	uint8_t buf[2048], out[64];

	if (fds[0] < 0 || fds[1] < 0 || write(ready, "r", 1) != 1)
		_exit(1);
	close(ready);
	for (;;) {
		struct pollfd p[2] = { { .fd = fds[0], .events = POLLIN },
				       { .fd = fds[1], .events = POLLIN } };
		int i;

		if (poll(p, 2, -1) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			const uint8_t *s;
			ssize_t n;

			if (!(p[i].revents & POLLIN))
				continue;
			n = recvfrom(fds[i], buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);
			s = sctp_of(i ? AF_INET6 : AF_INET, buf, n);
			if (!s || get16(s + 2) != port || s[12] != 1)
				continue;
			n = (ssize_t)sctp_pkt(out, port, get16(s),
					      get32(s + 16), 2,
					      get32(s + 16) ^ 0x5a5a5a5a);
			sendto(fds[i], out, (size_t)n, 0,
			       (struct sockaddr *)&from, fl);
		}
	}
}

/* Send an INIT to dst:port, wait for its INIT-ACK: 0, else 1. */
static int sctp_raw_probe(const char *dst, uint16_t port, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int af = to_sockaddr(dst, 0, &ss, &len), fd;
	uint16_t sport = (uint16_t)(32768 + getpid() % 28000);
	uint32_t itag = (uint32_t)getpid() * 2654435761u | 1;
	struct timespec t0, t;
	uint8_t out[64], buf[2048];
	size_t n;

	if (af < 0)
		return 1;
	fd = socket(af, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_SCTP);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len))
		return 1;
	n = sctp_pkt(out, sport, port, 0, 1, itag);
	if (send(fd, out, n, 0) != (ssize_t)n)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		const uint8_t *s;
		long left;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 +
				     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || wait_fd(fd, POLLIN, (int)left))
			return 1;
		r = recv(fd, buf, sizeof(buf), 0);
		s = sctp_of(af, buf, r);
		if (s && get16(s) == port && get16(s + 2) == sport &&
		    s[12] == 2 && get32(s + 4) == itag)
			return 0;
	}
}

static int sock_any(int proto, struct sockaddr_in6 *sa, uint16_t port)
{
	int type = sock_type(proto);
	int fd = socket(AF_INET6, type | SOCK_CLOEXEC, proto);
	int off = 0, on = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons(port);
	sa->sin6_addr = in6addr_any;
	return fd;
}

static void echo_tcp(int c)
{
	char buf[2048];
	ssize_t n;

	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (write(c, buf, n) != n)
			break;
	_exit(0);
}

static void serve_child(int proto, uint16_t port, int ready)
{
	struct sockaddr_in6 sa;
	char buf[2048];
	int fd;

	if (proto == IPPROTO_SCTP && !npt_sctp_native())
		sctp_raw_serve(port, ready);
	fd = sock_any(proto, &sa, port);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (proto != IPPROTO_UDP && listen(fd, 64)))
		_exit(1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	close(ready);
	signal(SIGCHLD, SIG_IGN); /* no zombies of connection children */
	for (;;) {
		if (proto != IPPROTO_UDP) {
			int c = accept(fd, NULL, NULL);

			if (c < 0)
				continue;
			if (fork() == 0) {
				close(fd);
				echo_tcp(c);
			}
			close(c);
		} else {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
					     (struct sockaddr *)&from, &fl);

			if (n > 0)
				sendto(fd, buf, n, 0, (struct sockaddr *)&from,
				       fl);
		}
	}
}

int npt_serve(struct npt_pod *pod, int proto, uint16_t port)
{
	int p[2];
	char c;
	pid_t pid;

	if (pod->nservers == NPT_MAX_SERVERS || pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		close(p[0]);
		/* the node's: no netns to clean up, so die with the caller */
		if (!*pod->netns && prctl(PR_SET_PDEATHSIG, SIGKILL))
			_exit(1);
		if (*pod->netns && npt_netns_enter(pod->netns))
			_exit(1);
		serve_child(proto, port, p[1]);
	}
	close(p[1]);
	pod->servers[pod->nservers++] = pid;
	if (read(p[0], &c, 1) != 1) {
		close(p[0]);
		fprintf(stderr, "npt: server %s:%u did not start\n", pod->netns,
			port);
		return -1;
	}
	close(p[0]);
	return 0;
}

static int to_sockaddr(const char *dst, uint16_t port,
		       struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, dst, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, dst, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	return -1;
}

static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, timeout_ms) == 1 ? 0 : -1;
}

/* A connected socket to dst:port (TCP: handshake done), or -1. */
static int dial(int proto, const char *dst, uint16_t port, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int af = to_sockaddr(dst, port, &ss, &len);
	int type = sock_type(proto);
	int fd, err = 0;
	socklen_t el = sizeof(err);

	if (af < 0)
		return -1;
	fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, timeout_ms) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/*
 * One round trip. On a held connection an earlier exchange that timed out
 * (its message dropped, then retransmitted once allowed) may have its echo
 * arrive with this one's: whole echoes, one or more, are an answer.
 */
static int exchange(int fd, int timeout_ms)
{
	char buf[64 * sizeof(MSG)];
	ssize_t n, i;

	if (send(fd, MSG, sizeof(MSG), MSG_NOSIGNAL) != sizeof(MSG))
		return 1;
	if (wait_fd(fd, POLLIN, timeout_ms))
		return 1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n <= 0 || n % (ssize_t)sizeof(MSG))
		return 1;
	for (i = 0; i < n; i += sizeof(MSG))
		if (memcmp(buf + i, MSG, sizeof(MSG)))
			return 1;
	return 0;
}

/* Reap pid within ms milliseconds (then kill it); its exit code or -1. */
static int reap_child(pid_t pid, int ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int st, i;

	for (i = 0; i < ms / 10 + 1; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (r < 0)
			return -1;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

int npt_probe(const struct npt_pod *pod, int proto, const char *dst,
	      uint16_t port, int timeout_ms)
{
	pid_t pid = fork();
	int r;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		if (pod && npt_netns_enter(pod->netns))
			_exit(2);
		if (proto == IPPROTO_SCTP && !npt_sctp_native())
			_exit(sctp_raw_probe(dst, port, timeout_ms));
		fd = dial(proto, dst, port, timeout_ms);
		if (fd < 0)
			_exit(1);
		_exit(exchange(fd, timeout_ms));
	}
	r = reap_child(pid, 2 * timeout_ms + 2000);
	return r == 0 || r == 1 ? r : -1;
}

int npt_conn_open(struct npt_conn *c, const struct npt_pod *pod, int proto,
		  const char *dst, uint16_t port, int timeout_ms)
{
	int cmd[2], res[2];
	char r;

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	if (pipe2(cmd, O_CLOEXEC))
		return -1;
	if (pipe2(res, O_CLOEXEC)) {
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		char b = 1, t;
		int fd = -1;

		close(cmd[1]);
		close(res[0]);
		if (!npt_netns_enter(pod->netns)) {
			fd = dial(proto, dst, port, timeout_ms);
			b = fd < 0 ? 1 : exchange(fd, timeout_ms);
		}
		if (write(res[1], &b, 1) != 1 || b)
			_exit(1);
		while (read(cmd[0], &t, 1) == 1) {
			b = exchange(fd, t * 100);
			if (write(res[1], &b, 1) != 1)
				break;
		}
		_exit(0);
	}
	close(cmd[0]);
	close(res[1]);
	c->cmd = cmd[1];
	c->res = res[0];
	if (wait_fd(c->res, POLLIN, 2 * timeout_ms + 2000) ||
	    read(c->res, &r, 1) != 1 || r) {
		npt_conn_close(c);
		return -1;
	}
	return 0;
}

int npt_conn_exchange(struct npt_conn *c, int timeout_ms)
{
	char t = (timeout_ms + 99) / 100, r;

	if (c->pid <= 0 || write(c->cmd, &t, 1) != 1)
		return 1;
	if (wait_fd(c->res, POLLIN, timeout_ms + 2000) ||
	    read(c->res, &r, 1) != 1)
		return 1;
	return r ? 1 : 0;
}

void npt_conn_close(struct npt_conn *c)
{
	if (c->pid > 0) {
		close(c->cmd);
		close(c->res);
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	c->pid = -1;
}

/* --- many probes at once ---------------------------------------------------- */

enum { PR_CONNECTING, PR_WAITING, PR_DONE };

struct pr_state {
	int fd;
	int state;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Open and start probe r in its pod's netns: its fd or -1. */
static int pr_start(const struct npt_probe_req *r, int *state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int af = to_sockaddr(r->dst, r->port, &ss, &len);
	int type = r->proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int fd;

	if (af < 0 || npt_netns_enter(r->from->netns))
		return -1;
	fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, r->proto);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		if (errno != EINPROGRESS) {
			close(fd);
			return -1;
		}
		*state = PR_CONNECTING;
		return fd;
	}
	*state = PR_WAITING;
	if (send(fd, MSG, sizeof(MSG), MSG_NOSIGNAL) != sizeof(MSG)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void pr_event(struct pr_state *st, short rev, signed char *res)
{
	char buf[64];
	int err = 0;
	socklen_t el = sizeof(err);
	ssize_t n;

	if (st->state == PR_CONNECTING) {
		if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &el) ||
		    err ||
		    send(st->fd, MSG, sizeof(MSG), MSG_NOSIGNAL) !=
			    sizeof(MSG)) {
			st->state = PR_DONE;
			return;
		}
		st->state = PR_WAITING;
		return;
	}
	if (!(rev & (POLLIN | POLLERR | POLLHUP)))
		return;
	n = recv(st->fd, buf, sizeof(buf), 0);
	if (n < 0 && errno == EAGAIN)
		return;
	*res = n == sizeof(MSG) && !memcmp(buf, MSG, sizeof(MSG)) ? 0 : 1;
	st->state = PR_DONE;
}

static void pr_child(struct npt_probe_req *reqs, size_t n, int timeout_ms,
		     signed char *res)
{
	struct pr_state *st = calloc(n, sizeof(*st));
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	size_t *idx = calloc(n, sizeof(*idx));
	struct rlimit rl;
	long deadline;
	size_t i;

	if (!st || !pfd || !idx)
		_exit(1);
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < n; i++) {
		st[i].fd = pr_start(&reqs[i], &st[i].state);
		res[i] = st[i].fd < 0 ? -1 : 1;
		if (st[i].fd < 0)
			st[i].state = PR_DONE;
	}
	deadline = now_ms() + timeout_ms;
	for (;;) {
		size_t np = 0;
		long left = deadline - now_ms();
		int k;

		for (i = 0; i < n; i++) {
			if (st[i].state == PR_DONE)
				continue;
			pfd[np].fd = st[i].fd;
			pfd[np].events =
				st[i].state == PR_CONNECTING ? POLLOUT : POLLIN;
			pfd[np].revents = 0;
			idx[np++] = i;
		}
		if (!np || left <= 0)
			break;
		k = poll(pfd, np, (int)left);
		if (k < 0 && errno != EINTR)
			_exit(1);
		for (i = 0; k > 0 && i < np; i++)
			if (pfd[i].revents)
				pr_event(&st[idx[i]], pfd[i].revents,
					 &res[idx[i]]);
	}
	_exit(0);
}

int npt_probe_many(struct npt_probe_req *reqs, size_t n, int timeout_ms)
{
	signed char *res;
	size_t i;
	pid_t pid;
	int r;

	if (!n)
		return 0;
	res = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	if (res == MAP_FAILED)
		return -1;
	memset(res, -1, n);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		munmap(res, n);
		return -1;
	}
	if (pid == 0)
		pr_child(reqs, n, timeout_ms, res);
	r = reap_child(pid, timeout_ms + 10000);
	for (i = 0; i < n; i++)
		reqs[i].result = r ? -1 : res[i];
	munmap(res, n);
	if (r)
		fprintf(stderr, "npt: the probes did not run (%d)\n", r);
	return r ? -1 : 0;
}

/* --- ICMP echo ------------------------------------------------------------ */

static uint16_t inet_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int ping_child(const char *dst, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int af = to_sockaddr(dst, 0, &ss, &len), fd, i;
	uint16_t id = (uint16_t)getpid();
	uint8_t pkt[16] = { 0 }, buf[2048];

	if (af < 0)
		return 1;
	fd = socket(af, SOCK_RAW | SOCK_CLOEXEC,
		    af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len))
		return 1;
	pkt[0] = af == AF_INET ? 8 : 128; /* echo request */
	put16(pkt + 4, id);
	put16(pkt + 6, 1);
	memcpy(pkt + 8, "netpol!", 8);
	if (af == AF_INET) /* the kernel sums ICMPv6 */
		put16(pkt + 2, inet_csum(pkt, sizeof(pkt)));
	if (send(fd, pkt, sizeof(pkt), 0) != sizeof(pkt))
		return 1;
	for (i = 0; i < 16; i++) {
		const uint8_t *r = buf;
		ssize_t n;

		if (wait_fd(fd, POLLIN, timeout_ms))
			return 1;
		n = recv(fd, buf, sizeof(buf), 0);
		if (af == AF_INET && n > 0) {
			n -= (buf[0] & 0xf) * 4;
			r += (buf[0] & 0xf) * 4;
		}
		if (n >= 8 && r[0] == (af == AF_INET ? 0 : 129) &&
		    get16(r + 4) == id)
			return 0;
	}
	return 1;
}

int npt_ping(const struct npt_pod *pod, const char *dst, int timeout_ms)
{
	pid_t pid = fork();
	int r;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (pod && npt_netns_enter(pod->netns))
			_exit(2);
		_exit(ping_child(dst, timeout_ms));
	}
	r = reap_child(pid, timeout_ms + 2000);
	return r == 0 || r == 1 ? r : -1;
}
