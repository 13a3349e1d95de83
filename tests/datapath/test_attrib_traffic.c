// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Issue 16's scenario with real pods: shop/db-1 (app=db, port 5432 named
 * pg) admits pg only from pods app=web (shop/db-from-web), and the web
 * pod shop/web-1 is labelled app=frontend by mistake. A real connection
 * times out; then `netpol explain` names shop/db-from-web ingress[0] and
 * says that its podSelector app=web matches no pod, the flow log's DENY
 * line names the isolating policy and the peer pod, and `netpol verdict
 * --datapath` has the kernel program decide the probe, pods and outside
 * addresses alike.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "dp_helpers.h"

#define DB4 "198.18.0.2"
#define WEB4 "198.18.0.3"
#define TMO 800

static char manifest[128], fixed[128];
static char workdir[64];
static struct npt_pod *DB, *WEB;

#define SHOP(web_app)                                                     \
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"  \
	"apiVersion: v1\nkind: Pod\n"                                     \
	"metadata: {name: db-1, namespace: shop, labels: {app: db}}\n"    \
	"spec: {containers: [{name: pg, ports: [{name: pg, "              \
	"containerPort: 5432}]}]}\n"                                      \
	"status: {phase: Running, podIP: " DB4 "}\n---\n"                 \
	"apiVersion: v1\nkind: Pod\n"                                     \
	"metadata: {name: web-1, namespace: shop, labels: {app: " web_app \
	"}}\n"                                                            \
	"spec: {containers: [{name: web}]}\n"                             \
	"status: {phase: Running, podIP: " WEB4 "}\n---\n"                \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"         \
	"metadata: {name: db-from-web, namespace: shop}\n"                \
	"spec:\n"                                                         \
	"  podSelector: {matchLabels: {app: db}}\n"                       \
	"  ingress:\n"                                                    \
	"  - from: [{podSelector: {matchLabels: {app: web}}}]\n"          \
	"    ports: [{port: pg}]\n"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	dpt_setup();
	dpt_workdir(workdir, sizeof(workdir), "attrib");
	snprintf(manifest, sizeof(manifest), "%s/shop.yaml", workdir);
	snprintf(fixed, sizeof(fixed), "%s/fixed.yaml", workdir);
	write_file(manifest, SHOP("frontend"));
	write_file(fixed, SHOP("web"));
}

static void teardown(void)
{
	dpt_teardown();
	dpt_workdir_rm(workdir);
}

TestSuite(attrib, .init = setup, .fini = teardown, .timeout = 180);

/* Both pods attached with their names, the manifests' rules applied. */
static void shop_pods(void)
{
	static const char *const names[2] = { "db-1", "web-1" };
	struct npt_pod **pods[2] = { &DB, &WEB };
	struct np_cluster *c;
	size_t i;
	int err;

	DB = dpt_pod("db", DB4, "");
	WEB = dpt_pod("web", WEB4, "");
	cr_assert_eq(npt_serve(DB, IPPROTO_TCP, 5432), 0);
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(np_cluster_new(&c, NULL), 0);
	cr_assert_eq(np_cluster_load_file(c, manifest, NULL, NULL), 0);
	for (i = 0; i < 2; i++) {
		struct np_ruleset *rs;
		struct np_diag d;

		err = dpt_attach(T.dp, (*pods[i])->host_if, 0, "shop",
				 names[i]);
		cr_assert_eq(err, 0, "attach: %s", strerror(-err));
		err = np_ruleset_compile(&rs, c, "shop", names[i], NULL, &d);
		cr_assert_eq(err, 0, "compile: %s", d.message);
		err = np_datapath_apply(T.dp, (*pods[i])->ifindex, rs, &d);
		np_ruleset_free(rs);
		cr_assert_eq(err, 0, "apply: %s", d.message);
	}
	np_cluster_free(c);
}

/* Run the tool (its stdout into out); its exit status. */
static int run(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int run(char *out, size_t size, const char *fmt, ...)
{
	char args[1024], cmd[2048];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "timeout 60 %s %s", dpt_tool(), args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (n + 1 < size) {
		size_t r = fread(out + n, 1, size - n - 1, p);

		if (!r)
			break;
		n += r;
	}
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `netpol flows` into file, mf the manifests (NULL: none); its pid. */
static pid_t flows_run(const char *file, const char *fmt, const char *mf)
{
	const char *argv[] = { dpt_tool(), "flows", "--follow",	 "-o",
			       fmt,	   "--pod", "shop/db-1", "--pin-root",
			       T.pin_root, mf,	    NULL };
	pid_t pid;

	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(127);
		alarm(120); /* bounded whatever happens */
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static pid_t flows_start(const char *file, const char *fmt)
{
	return flows_run(file, fmt, manifest);
}

/* A free TCP port on 127.0.0.1 of the test's namespace. */
static unsigned int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* `netpol metrics --listen 127.0.0.1:port` with the manifests; its pid. */
static pid_t metrics_start(unsigned int port)
{
	char addr[32];
	const char *argv[] = { dpt_tool(),   "metrics",	 "--listen", addr,
			       "--pin-root", T.pin_root, manifest,   NULL };
	pid_t pid;

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		alarm(120); /* bounded whatever happens */
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* The whole file, read once the log has a line with needle (or 5 s). */
static void read_log(const char *path, const char *needle, char *buf,
		     size_t size)
{
	int i;

	for (i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		size_t n = 0;

		if (f) {
			n = fread(buf, 1, size - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		if (strstr(buf, needle))
			return;
		dpt_sleep_ms(10);
	}
}

Test(attrib, scenario_connection_times_out_and_every_tool_says_why)
{
	char log[192], out[16384], *line, *save = NULL;
	json_t *j, *f;
	bool deny = false;
	pid_t pid;
	int rc;

	shop_pods();
	snprintf(log, sizeof(log), "%s/flows.json", workdir);
	pid = flows_start(log, "json");
	dpt_wait_events_on();
	/* the real connection: it times out, bounded */
	cr_expect_eq(npt_probe(WEB, IPPROTO_TCP, DB4, 5432, TMO), 1,
		     "web-1 reached db-1:5432");
	read_log(log, "\"DENY\"", out, sizeof(out));
	dpt_sleep_ms(200);
	dpt_tool_stop(pid, "flows");
	read_log(log, "\"DENY\"", out, sizeof(out));

	/* the flow log: the EKS fields first, the peer and policy after */
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_error_t je;

		if (!strstr(line, "\"Verdict\":\"DENY\""))
			continue;
		j = json_loads(line, 0, &je);
		cr_assert_not_null(j, "not JSON: %s", line);
		deny = true;
		cr_expect_str_eq(
			json_string_value(json_object_get(j, "Src IP")), WEB4);
		cr_expect_str_eq(json_string_value(json_object_get(j, "Pod")),
				 "db-1");
		cr_expect_str_eq(json_string_value(json_object_get(j, "Peer")),
				 "shop/web-1", "%s", line);
		cr_expect_str_eq(
			json_string_value(json_object_get(j, "Isolated By")),
			"shop/db-from-web", "%s", line);
		/* appended after the existing fields */
		cr_expect(strstr(line,
				 "\"Verdict\":\"DENY\",\"Namespace\":"
				 "\"shop\",\"Pod\":\"db-1\",\"Direction\""),
			  "%s", line);
		cr_expect(strstr(line, ",\"Peer\":\"shop/web-1\",\"Isolated "
				       "By\":\"shop/db-from-web\"}"),
			  "%s", line);
		json_decref(j);
	}
	cr_expect(deny, "no DENY line in the flow log");

	/* explain, the peer given as a pod */
	rc = run(out, sizeof(out),
		 "explain --pod shop/db-1 --peer shop/web-1 --port 5432 "
		 "--direction ingress --pin-root %s %s",
		 T.pin_root, manifest);
	cr_expect_eq(rc, 1, "explain: %s", out);
	cr_expect(strstr(out, "DENY shop/db-1 ingress from " WEB4
			      " TCP/5432: no-match\n"),
		  "%s", out);
	cr_expect(strstr(out, "  the manifests: the same verdict\n"), "%s",
		  out);
	/* the kernel's counters: the timed-out connection's drops */
	cr_expect(strstr(out, "  counters ingress: allowed 0 packets (0 "
			      "bytes), denied "),
		  "%s", out);
	cr_expect_null(strstr(out, "denied 0 packets"), "%s", out);
	cr_expect(strstr(out, "    isolated by shop/db-from-web\n"), "%s", out);
	cr_expect(strstr(out, "    shop/db-from-web ingress[0] from[0]: "
			      "pod-selector-none: podSelector app=web matches "
			      "no pod in namespace shop\n"),
		  "%s", out);

	/* explain -o json, both ends as addresses */
	rc = run(out, sizeof(out),
		 "explain --pod " DB4 " --peer " WEB4 " --port 5432 "
		 "--direction ingress -o json --pin-root %s %s",
		 T.pin_root, manifest);
	cr_expect_eq(rc, 1, "explain -o json: %s", out);
	j = json_loads(out, 0, NULL);
	cr_assert_not_null(j, "explain -o json: %s", out);
	cr_expect_str_eq(json_string_value(json_object_get(j, "pod")),
			 "shop/db-1");
	cr_expect_str_eq(json_string_value(json_object_get(j, "peerPod")),
			 "shop/web-1");
	cr_expect(json_is_false(json_object_get(j, "allowed")));
	cr_expect(json_is_true(json_object_get(j, "agrees")));
	cr_expect_gt(json_integer_value(json_object_get(
			     json_object_get(j, "counters"), "deniedPackets")),
		     0, "%s", out);
	f = json_array_get(
		json_object_get(
			json_array_get(json_object_get(
					       json_object_get(j, "attribution"),
					       "sides"),
				       0),
			"findings"),
		0);
	cr_expect_str_eq(json_string_value(json_object_get(f, "reason")),
			 "pod-selector-none", "%s", out);
	cr_expect_str_eq(json_string_value(json_object_get(f, "policy")),
			 "shop/db-from-web");
	cr_expect_eq(json_integer_value(json_object_get(f, "rule")), 0);
	json_decref(j);

	/* metrics over HTTP (curl): the drops under the isolating policy */
	{
		unsigned int port = free_port();
		pid_t mp = metrics_start(port);
		char cmd[256], *m = NULL;
		int i;

		snprintf(cmd, sizeof(cmd),
			 "curl -sS -m 5 http://127.0.0.1:%u/metrics", port);
		for (i = 0; i < 50 && !m; i++) {
			FILE *p = popen(cmd, "r");
			size_t n;

			cr_assert_not_null(p);
			n = fread(out, 1, sizeof(out) - 1, p);
			out[n] = '\0';
			if (pclose(p) == 0)
				m = strstr(out,
					   "netpol_policy_drop_packets_total{"
					   "namespace=\"shop\",pod=\"db-1\","
					   "direction=\"ingress\",policy="
					   "\"shop/db-from-web\",tier="
					   "\"NetworkPolicy\"} ");
			else
				dpt_sleep_ms(100);
		}
		dpt_tool_stop(mp, "metrics"); /* SIGTERM, bounded */
		cr_assert_not_null(m, "curl /metrics: %s", out);
		cr_expect_gt(strtoull(strchr(m, '}') + 2, NULL, 10), 0,
			     "%.200s", m);
	}
}

Test(attrib, flow_log_text_names_peer_and_isolating_policy)
{
	char log[192], out[8192];
	pid_t pid;

	shop_pods();
	snprintf(log, sizeof(log), "%s/flows.txt", workdir);
	pid = flows_start(log, "text");
	dpt_wait_events_on();
	cr_expect_eq(npt_probe(WEB, IPPROTO_TCP, DB4, 5432, TMO), 1);
	read_log(log, " DENY ", out, sizeof(out));
	dpt_tool_stop(pid, "flows");
	read_log(log, " DENY ", out, sizeof(out));
	cr_expect(strstr(out, " DENY ingress shop/db-1 " WEB4 ":"), "%s", out);
	cr_expect(strstr(out, " TCP no-match tier NETWORK_POLICY peer "
			      "shop/web-1 isolated-by shop/db-from-web\n"),
		  "%s", out);
}

/*
 * Without manifests the peer is named from the node's pod table (the
 * addresses the datapath holds for its pods); no policy can be named.
 */
Test(attrib, flow_log_names_peer_from_the_pod_table)
{
	char log[192], out[8192];
	pid_t pid;

	shop_pods();
	snprintf(log, sizeof(log), "%s/flows-nomf.txt", workdir);
	pid = flows_run(log, "text", NULL);
	dpt_wait_events_on();
	cr_expect_eq(npt_probe(WEB, IPPROTO_TCP, DB4, 5432, TMO), 1);
	read_log(log, " DENY ", out, sizeof(out));
	dpt_tool_stop(pid, "flows");
	read_log(log, " DENY ", out, sizeof(out));
	cr_expect(strstr(out, " DENY ingress shop/db-1 " WEB4 ":"), "%s", out);
	cr_expect(strstr(out, " TCP no-match peer shop/web-1\n"), "%s", out);
	cr_expect_null(strstr(out, "isolated-by"), "%s", out);
}

Test(attrib, verdict_datapath_decides_with_the_kernel)
{
	char out[8192];
	int rc;

	/* the tool builds its own pods in a private namespace */
	rc = run(out, sizeof(out),
		 "verdict %s --from shop/web-1 --to shop/db-1 --port 5432 "
		 "--datapath",
		 manifest);
	cr_expect_eq(rc, 1, "%s", out);
	cr_expect(strstr(out, "  kernel: DENY (egress ALLOW, ingress DENY): "
			      "agrees with the manifests\n"),
		  "%s", out);
	rc = run(out, sizeof(out),
		 "verdict %s --from 203.0.113.9 --to shop/db-1 --port 5432 "
		 "--datapath -o json",
		 manifest);
	cr_expect_eq(rc, 1, "%s", out);
	cr_expect(strstr(out, "\"datapath\": {\n    \"allowed\": false,\n"
			      "    \"egress\": null,\n    \"ingress\": false,\n"
			      "    \"agrees\": true\n  },"),
		  "%s", out);
	rc = run(out, sizeof(out),
		 "verdict %s --from shop/web-1 --to shop/db-1 --port 5432 "
		 "--datapath",
		 fixed);
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "  kernel: ALLOW (egress ALLOW, ingress ALLOW): "
			      "agrees with the manifests\n"),
		  "%s", out);
	/* an outside destination: the source's egress alone */
	rc = run(out, sizeof(out),
		 "verdict %s --from shop/web-1 --to 203.0.113.9 --port 443 "
		 "--datapath",
		 fixed);
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "kernel: ALLOW (egress ALLOW, ingress -)"), "%s",
		  out);
}
