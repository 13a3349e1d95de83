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

static int sock_any(int proto, struct sockaddr_in6 *sa, uint16_t port)
{
	int type = proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
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

	fd = sock_any(proto, &sa, port);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (proto == IPPROTO_TCP && listen(fd, 64)))
		_exit(1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	close(ready);
	signal(SIGCHLD, SIG_IGN); /* no zombies of connection children */
	for (;;) {
		if (proto == IPPROTO_TCP) {
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
		if (npt_netns_enter(pod->netns))
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
	int type = proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
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

		if (npt_netns_enter(pod->netns))
			_exit(2);
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
