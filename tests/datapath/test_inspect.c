// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Flow logs, metrics and inspection against the real kernel: pods are
 * network namespaces joined to a private node namespace (tests/datapath
 * helpers), the rules come from manifests, and the netpol tool ($NETPOL)
 * runs against this test's own pin root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <jansson.h>

#include "dp_helpers.h"

#define A4 "198.18.0.1"
#define B4 "198.18.0.2"
#define C4 "198.18.0.3"
#define A6 "fd00::1"
#define B6 "fd00::2"
#define C6 "fd00::3"
#define TMO 800

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP

static char manifest[128];
static char workdir[64];
static struct npt_pod *A, *B, *C;
static struct np_cluster *cluster;

static const char yaml[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: test}\n---\n"
	"apiVersion: v1\nkind: Pod\n"
	"metadata: {name: a, namespace: test, labels: {app: a}}\n"
	"spec: {containers: [{name: c}]}\n"
	"status: {phase: Running, podIP: " A4 ", podIPs: [{ip: " A4
	"}, {ip: '" A6 "'}]}\n---\n"
	"apiVersion: v1\nkind: Pod\n"
	"metadata: {name: b, namespace: test, labels: {app: b}}\n"
	"spec: {containers: [{name: c}]}\n"
	"status: {phase: Running, podIP: " B4 ", podIPs: [{ip: " B4
	"}, {ip: '" B6 "'}]}\n---\n"
	"apiVersion: v1\nkind: Pod\n"
	"metadata: {name: c, namespace: test, labels: {app: c}}\n"
	"spec: {containers: [{name: c}]}\n"
	"status: {phase: Running, podIP: " C4 ", podIPs: [{ip: " C4
	"}, {ip: '" C6 "'}]}\n---\n"
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: allow-a, namespace: test}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {app: b}}\n"
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from: [{podSelector: {matchLabels: {app: a}}}]\n"
	"    ports: [{port: 8080}, {port: 5353, protocol: UDP}]\n";

static void setup(void)
{
	FILE *f;

	dpt_setup();
	dpt_workdir(workdir, sizeof(workdir), "inspect");
	snprintf(manifest, sizeof(manifest), "%s/cluster.yaml", workdir);
	f = fopen(manifest, "w");
	cr_assert_not_null(f);
	fputs(yaml, f);
	fclose(f);
}

static void teardown(void)
{
	np_cluster_free(cluster);
	cluster = NULL;
	dpt_teardown();
	dpt_workdir_rm(workdir);
}

TestSuite(inspect, .init = setup, .fini = teardown, .timeout = 180);

/* Pods a, b, c attached; b admits a on TCP 8080 and UDP 5353. */
static void three_pods(void)
{
	struct pod_name {
		struct npt_pod **p;
		const char *name;
	} pods[] = { { &A, "a" }, { &B, "b" }, { &C, "c" } };
	NP_OPTS(np_compile_opts, co);
	size_t i;
	int err;

	A = dpt_pod("a", A4, A6);
	B = dpt_pod("b", B4, B6);
	C = dpt_pod("c", C4, C6);
	cr_assert_eq(npt_serve(B, TCP, 8080), 0);
	cr_assert_eq(npt_serve(B, TCP, 8081), 0);
	cr_assert_eq(npt_serve(B, UDP, 5353), 0);
	cr_assert_eq(npt_serve(B, UDP, 5354), 0);
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(np_cluster_new(&cluster, NULL), 0);
	err = np_cluster_load_file(cluster, manifest, NULL, NULL);
	cr_assert_eq(err, 0, "manifests: %s", strerror(-err));
	for (i = 0; i < 3; i++) {
		struct np_ruleset *rs;
		struct np_diag d;

		err = dpt_attach(T.dp, (*pods[i].p)->host_if, 0, "test",
				 pods[i].name);
		cr_assert_eq(err, 0, "attach: %s", strerror(-err));
		err = np_ruleset_compile(&rs, cluster, "test", pods[i].name,
					 &co, &d);
		cr_assert_eq(err, 0, "compile: %s", d.message);
		err = np_datapath_apply(T.dp, (*pods[i].p)->ifindex, rs, &d);
		np_ruleset_free(rs);
		cr_assert_eq(err, 0, "apply: %s", d.message);
	}
}

static int probe(struct npt_pod *from, int proto, const char *dst,
		 uint16_t port)
{
	int r = npt_probe(from, proto, dst, port, TMO);

	cr_assert_geq(r, 0, "probe setup failed");
	return r;
}

/* Run the tool to completion; its stdout into out, its exit status. */
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
	snprintf(cmd, sizeof(cmd), "timeout 60 %s %s --pin-root %s", dpt_tool(),
		 args, T.pin_root);
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

/* Start `netpol flows ARGS` with stdout into file; its pid. */
static pid_t flows_start(const char *file, const char *const *args)
{
	const char *argv[32];
	size_t n = 0;
	pid_t pid;
	int i;

	argv[n++] = dpt_tool();
	argv[n++] = "flows";
	for (i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n++] = "--pin-root";
	argv[n++] = T.pin_root;
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(file ? file : "/dev/null",
			      O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(127);
		alarm(120); /* bounded whatever happens */
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static size_t file_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static bool wait_lines(const char *path, size_t n)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (file_lines(path) >= n)
			return true;
		dpt_sleep_ms(10);
	}
	return false;
}

static const char *jstr(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s ? s : "";
}

static long jint(json_t *j, const char *k)
{
	json_t *v = json_object_get(j, k);

	return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

/* The expected "Policy" of an accept by b's ingress. */
static void expected_policy(const char *peer, int proto, uint16_t port,
			    char *out, size_t size)
{
	struct np_ruleset *rs;
	struct np_verdict v;

	cr_assert_eq(np_ruleset_compile(&rs, cluster, "test", "b", NULL, NULL),
		     0);
	cr_assert_eq(np_ruleset_verdict(rs, NP_DIRECTION_INGRESS, peer,
					(enum np_protocol)proto, port, &v),
		     0);
	np_ruleset_free(rs);
	cr_assert(v.allowed && v.policies[0]);
	snprintf(out, size, "%s", v.policies);
}

Test(inspect, flow_log_json_lines)
{
	const char *args[] = { "--follow", "-o", "json", "--pod",
			       "test/b",   NULL, NULL };
	char log[192], policy[512], line[8192];
	bool accept4 = false, accept6 = false, deny_port = false,
	     deny_peer = false;
	size_t n = 0;
	FILE *f;
	pid_t pid;

	three_pods();
	args[5] = manifest;
	snprintf(log, sizeof(log), "%s/flows.json", workdir);
	expected_policy(A4, TCP, 8080, policy, sizeof(policy));
	cr_expect(strstr(policy, "test/allow-a"), "%s", policy);
	pid = flows_start(log, args);
	dpt_wait_events_on();
	cr_expect_eq(probe(A, TCP, B4, 8080), 0);
	cr_expect_eq(probe(A, TCP, B6, 8080), 0);
	cr_expect_eq(probe(A, TCP, B4, 8081), 1);
	cr_expect_eq(probe(C, TCP, B4, 8080), 1);
	cr_expect(wait_lines(log, 4), "flow lines: %zu", file_lines(log));
	dpt_sleep_ms(200);
	dpt_tool_stop(pid, "flows");

	f = fopen(log, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);
		const char *ts;

		cr_assert_not_null(j, "not JSON: %s: %s", je.text, line);
		n++;
		/* the EKS agent's fields first, in its order */
		cr_expect_eq(strncmp(line,
				     "{\"level\":\"info\",\"timestamp\":\"",
				     29),
			     0, "%s", line);
		cr_expect(strstr(line, "\"logger\":\"ebpf-client\",\"msg\":"
				       "\"Flow Info: \",\"Src IP\":"),
			  "%s", line);
		ts = jstr(j, "timestamp");
		cr_expect(strlen(ts) == 24 && ts[10] == 'T' && ts[19] == '.' &&
				  ts[23] == 'Z',
			  "timestamp %s", ts);
		cr_expect_str_eq(jstr(j, "Namespace"), "test");
		cr_expect_str_eq(jstr(j, "Pod"), "b", "--pod test/b: %s", line);
		cr_expect_str_eq(jstr(j, "Direction"), "ingress");
		cr_expect_str_eq(jstr(j, "Proto"), "TCP");
		if (!strcmp(jstr(j, "Verdict"), "ACCEPT") &&
		    jint(j, "Dest Port") == 8080) {
			cr_expect_str_eq(jstr(j, "Reason"), "rule");
			cr_expect_str_eq(jstr(j, "Policy"), policy);
			cr_expect_str_eq(jstr(j, "Tier"), "NETWORK_POLICY");
			cr_expect_gt(jint(j, "Rule Set"), 0);
			cr_expect_gt(jint(j, "Src Port"), 0);
			if (!strcmp(jstr(j, "Src IP"), A4)) {
				cr_expect_str_eq(jstr(j, "Dest IP"), B4);
				cr_expect_str_eq(jstr(j, "Rule"), A4 "/32");
				accept4 = true;
			} else if (!strcmp(jstr(j, "Src IP"), A6)) {
				cr_expect_str_eq(jstr(j, "Dest IP"), B6);
				cr_expect_str_eq(jstr(j, "Rule"), A6 "/128");
				accept6 = true;
			}
		}
		if (!strcmp(jstr(j, "Verdict"), "DENY")) {
			/* b's NetworkPolicy isolates it; none allowed this */
			cr_expect_null(json_object_get(j, "Policy"));
			cr_expect_str_eq(jstr(j, "Tier"), "NETWORK_POLICY");
			if (jint(j, "Dest Port") == 8081 &&
			    !strcmp(jstr(j, "Src IP"), A4)) {
				cr_expect_str_eq(jstr(j, "Reason"), "port");
				deny_port = true;
			}
			if (!strcmp(jstr(j, "Src IP"), C4)) {
				cr_expect_str_eq(jstr(j, "Reason"), "no-match");
				cr_expect_null(json_object_get(j, "Rule"));
				deny_peer = true;
			}
		}
		json_decref(j);
	}
	fclose(f);
	cr_expect(accept4, "no ACCEPT line for a -> b (IPv4)");
	cr_expect(accept6, "no ACCEPT line for a -> b (IPv6)");
	cr_expect(deny_port, "no port line for a -> b:8081");
	cr_expect(deny_peer, "no no-match line for c -> b");
	cr_expect_geq(n, 4);
}

/*
 * A ClusterNetworkPolicy over b: the flow log names the rule that decided
 * and the tier, for accepts and for drops, with real packets.
 */
Test(inspect, flow_log_names_cluster_policy_tier)
{
	static const char cnp[] =
		"---\napiVersion: policy.networking.k8s.io/v1alpha2\n"
		"kind: ClusterNetworkPolicy\nmetadata: {name: tiers}\n"
		"spec:\n  tier: Admin\n  priority: 3\n"
		"  subject: {pods: {namespaceSelector: {}, podSelector: "
		"{matchLabels: {app: b}}}}\n  ingress:\n"
		"  - action: Accept\n"
		"    from: [{pods: {namespaceSelector: {}, podSelector: "
		"{matchLabels: {app: c}}}}]\n"
		"    protocols: [{tcp: {destinationPort: {number: 8080}}}]\n"
		"  - action: Deny\n"
		"    from: [{pods: {namespaceSelector: {}, podSelector: "
		"{matchLabels: {app: a}}}}]\n"
		"    protocols: [{udp: {destinationPort: {number: 5353}}}]\n";
	const char *args[] = { "--follow", "-o",     "json",
			       "--pod",	   "test/b", "--source",
			       "policies", NULL,     NULL };
	bool seen[4] = { false };
	char log[192], line[8192];
	FILE *f;
	pid_t pid;

	f = fopen(manifest, "w");
	cr_assert_not_null(f);
	fputs(yaml, f);
	fputs(cnp, f);
	fclose(f);
	three_pods();
	args[7] = manifest;
	snprintf(log, sizeof(log), "%s/flows.json", workdir);
	pid = flows_start(log, args);
	dpt_wait_events_on();
	cr_expect_eq(probe(C, TCP, B4, 8080), 0, "Admin Accept");
	cr_expect_eq(probe(A, TCP, B4, 8080), 0, "NetworkPolicy");
	cr_expect_eq(probe(A, UDP, B4, 5353), 1, "Admin Deny");
	cr_expect_eq(probe(C, TCP, B4, 8081), 1, "isolated");
	cr_expect(wait_lines(log, 4), "flow lines: %zu", file_lines(log));
	dpt_sleep_ms(200);
	dpt_tool_stop(pid, "flows");

	f = fopen(log, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *src, *verdict, *tier;
		json_t *pol;
		long port;

		cr_assert_not_null(j, "not JSON: %s", line);
		src = jstr(j, "Src IP");
		verdict = jstr(j, "Verdict");
		tier = jstr(j, "Tier");
		pol = json_object_get(j, "Policy");
		port = jint(j, "Dest Port");
		if (!strcmp(src, C4) && port == 8080) {
			cr_expect_str_eq(verdict, "ACCEPT");
			cr_expect_str_eq(tier, "ADMIN", "%s", line);
			cr_expect_str_eq(json_string_value(pol),
					 "cnp/tiers ingress[0] (Admin)");
			seen[0] = true;
		} else if (!strcmp(src, A4) && port == 8080) {
			cr_expect_str_eq(verdict, "ACCEPT");
			cr_expect_str_eq(tier, "NETWORK_POLICY", "%s", line);
			cr_expect_str_eq(json_string_value(pol),
					 "test/allow-a ingress[0]");
			seen[1] = true;
		} else if (!strcmp(src, A4) && port == 5353) {
			cr_expect_str_eq(verdict, "DENY");
			cr_expect_str_eq(tier, "ADMIN", "%s", line);
			cr_expect_str_eq(json_string_value(pol),
					 "cnp/tiers ingress[1] (Admin)");
			seen[2] = true;
		} else if (!strcmp(src, C4) && port == 8081) {
			cr_expect_str_eq(verdict, "DENY");
			cr_expect_str_eq(tier, "NETWORK_POLICY", "%s", line);
			cr_expect_null(pol, "%s", line);
			seen[3] = true;
		}
		json_decref(j);
	}
	fclose(f);
	cr_expect(seen[0] && seen[1] && seen[2] && seen[3],
		  "lines: c:8080 %d a:8080 %d a:5353 %d c:8081 %d", seen[0],
		  seen[1], seen[2], seen[3]);
}

Test(inspect, verdict_filter_and_text)
{
	const char *args[] = { "--follow",  "-o",   "text",
			       "--verdict", "deny", NULL };
	char log[192], buf[4096];
	FILE *f;

	three_pods();
	snprintf(log, sizeof(log), "%s/flows.txt", workdir);
	{
		pid_t pid = flows_start(log, args);

		dpt_wait_events_on();
		cr_expect_eq(probe(A, UDP, B4, 5353), 0);
		cr_expect_eq(probe(C, UDP, B4, 5353), 1);
		cr_expect(wait_lines(log, 1));
		dpt_sleep_ms(200);
		dpt_tool_stop(pid, "flows");
	}
	f = fopen(log, "r");
	cr_assert_not_null(f);
	while (fgets(buf, sizeof(buf), f)) {
		cr_expect(strstr(buf, " DENY ingress test/b " C4 ":"), "%s",
			  buf);
		cr_expect(strstr(buf, " > " B4 ":5353 UDP no-match"), "%s",
			  buf);
	}
	fclose(f);
	cr_expect_geq(file_lines(log), 1);
}

/* One UDP datagram each way: exactly one packet of 55 bytes each. */
Test(inspect, counters_move_exactly)
{
	struct np_datapath_counters in0, out0, in1, out1;
	/* Ethernet 14 + IPv4 20 + UDP 8 + "netpol-probe\0" 13 */
	const uint64_t len = 14 + 20 + 8 + 13;

	three_pods();
	/* a first exchange resolves neighbours; then measure */
	cr_expect_eq(probe(A, UDP, B4, 5353), 0);
	cr_assert_eq(np_datapath_counters(T.dp, B->ifindex,
					  NP_DIRECTION_INGRESS, &in0),
		     0);
	cr_assert_eq(np_datapath_counters(T.dp, B->ifindex, NP_DIRECTION_EGRESS,
					  &out0),
		     0);
	cr_expect_eq(probe(A, UDP, B4, 5353), 0);
	cr_expect_eq(probe(A, UDP, B4, 5354), 1);
	cr_assert_eq(np_datapath_counters(T.dp, B->ifindex,
					  NP_DIRECTION_INGRESS, &in1),
		     0);
	cr_assert_eq(np_datapath_counters(T.dp, B->ifindex, NP_DIRECTION_EGRESS,
					  &out1),
		     0);
	cr_expect_eq(in1.allowed_packets - in0.allowed_packets, 1);
	cr_expect_eq(in1.allowed_bytes - in0.allowed_bytes, len);
	cr_expect_eq(in1.denied_packets - in0.denied_packets, 1);
	cr_expect_eq(in1.denied_bytes - in0.denied_bytes, len);
	cr_expect_eq(out1.allowed_packets - out0.allowed_packets, 1,
		     "the echo of the allowed datagram");
	cr_expect_eq(out1.allowed_bytes - out0.allowed_bytes, len);
	cr_expect_eq(out1.denied_packets, out0.denied_packets);
}

/* Read the pinned lpm_v4 behind the library's back. */
static int pinned(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", T.pin_root, name);
	fd = bpf_obj_get(path);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	return fd;
}

static uint32_t b_ingress_id(void)
{
	struct np_datapath_verdict v;

	cr_assert_eq(np_datapath_explain(T.dp, B->ifindex, NP_DIRECTION_INGRESS,
					 A4, TCP, 8080, NULL, &v),
		     0);
	cr_assert_neq(v.ruleset, 0);
	return v.ruleset;
}

Test(inspect, verify_clean_then_drift)
{
	struct np_ruleset *rs;
	struct np_host_key_v4 k4 = { 0 };
	struct np_host_key_v6 k6 = { 0 };
	struct np_lpm_value val;
	char out[8192], *report;
	size_t nd;
	uint32_t id;
	int fd, r;

	three_pods();
	cr_assert_eq(np_ruleset_compile(&rs, cluster, "test", "b", NULL, NULL),
		     0);
	cr_assert_eq(np_datapath_verify(T.dp, B->ifindex, rs, &report, &nd), 0);
	cr_expect_eq(nd, 0, "drift: %s", report);
	cr_expect_str_eq(report, "");
	np_free(report);
	r = run(out, sizeof(out), "verify %s", manifest);
	cr_expect_eq(r, 0, "netpol verify: %d: %s", r, out);
	cr_expect(strstr(out, "3 pods"), "%s", out);

	/* the port set of b's key for a, changed behind the library */
	id = b_ingress_id();
	/* host keys (/32, /128) live in the exact-match maps */
	fd = pinned("host_v4");
	k4.ruleset = htonl(id);
	inet_pton(AF_INET, A4, k4.addr);
	cr_assert_eq(bpf_map_lookup_elem(fd, &k4, &val), 0);
	val.portset = (val.portset & 0xff000000u) |
		      ((val.portset & 0x00ffffffu) + 100);
	cr_assert_eq(bpf_map_update_elem(fd, &k4, &val, BPF_EXIST), 0);
	close(fd);
	/* and a key deleted */
	fd = pinned("host_v6");
	k6.ruleset = htonl(id);
	inet_pton(AF_INET6, A6, k6.addr);
	cr_assert_eq(bpf_map_delete_elem(fd, &k6), 0);
	close(fd);

	cr_assert_eq(np_datapath_verify(T.dp, B->ifindex, rs, &report, &nd), 0);
	cr_expect_eq(nd, 2, "%s", report);
	cr_expect(strstr(report, "ingress: key " A4 "/32: port set "), "%s",
		  report);
	cr_expect(strstr(report, "has none, expected TCP 8080, UDP 5353"), "%s",
		  report);
	cr_expect(strstr(report, "ingress: missing key " A6 "/128 (ports "
				 "TCP 8080, UDP 5353)"),
		  "%s", report);
	np_free(report);
	r = run(out, sizeof(out), "verify %s", manifest);
	cr_expect_eq(r, 1, "netpol verify: %d: %s", r, out);
	cr_expect(strstr(out, "test/b: ingress: key " A4 "/32: port set"), "%s",
		  out);
	cr_expect(strstr(out, "test/b: ingress: missing key " A6 "/128"), "%s",
		  out);
	/* one line per drift, nothing else */
	{
		size_t lines = 0;
		char *p;

		for (p = out; *p; p++)
			lines += *p == '\n';
		cr_expect_eq(lines, 2, "%s", out);
	}

	/* explain reads the live maps: the changed key now denies */
	{
		struct np_datapath_verdict v;

		cr_assert_eq(np_datapath_explain(T.dp, B->ifindex,
						 NP_DIRECTION_INGRESS, A4, TCP,
						 8080, rs, &v),
			     0);
		cr_expect(!v.allowed);
		cr_expect_eq(v.reason, NP_REASON_PORT);
		cr_expect_str_eq(v.key, A4 "/32");
	}

	/* our program taken off a hook behind the library's back */
	dpt_unhook(B->ifindex, true);
	cr_assert_eq(np_datapath_verify(T.dp, B->ifindex, rs, &report, &nd), 0);
	cr_expect_eq(nd, 3, "%s", report);
	cr_expect(strstr(report, "ingress: no program of ours on the "
				 "egress hook"),
		  "%s", report);
	np_free(report);
	np_ruleset_free(rs);
}

/*
 * The three pods, with policy yaml more loaded too: b's rule set compiled,
 * applied, and verified clean.
 */
/* Explain b's ingress from ip to TCP 8080, as the program would judge it. */
static void b_explain(const char *ip, struct np_datapath_verdict *v)
{
	cr_assert_eq(np_datapath_explain(T.dp, B->ifindex, NP_DIRECTION_INGRESS,
					 ip, TCP, 8080, NULL, v),
		     0, "%s", ip);
}

static struct np_ruleset *b_with(const char *more)
{
	struct np_ruleset *rs;
	struct np_diag d;
	char *report;
	size_t nd;

	three_pods();
	cr_assert_eq(np_cluster_load_buffer(cluster, more, strlen(more),
					    "more.yaml", NULL, &d),
		     0, "%s", d.message);
	cr_assert_eq(np_ruleset_compile(&rs, cluster, "test", "b", NULL, &d), 0,
		     "%s", d.message);
	cr_assert_eq(np_datapath_apply(T.dp, B->ifindex, rs, &d), 0, "%s",
		     d.message);
	cr_assert_eq(np_datapath_verify(T.dp, B->ifindex, rs, &report, &nd), 0);
	cr_expect_eq(nd, 0, "drift: %s", report);
	np_free(report);
	return rs;
}

/*
 * Prefix keys of few lengths live in the per-length hash, found through
 * their rule set's lengths entry: verify names a lengths entry that does
 * not list what the keys need and a key missing from the hash, and
 * explain, reading the live maps as the program does, follows them.
 */
Test(inspect, verify_checks_the_per_length_hash)
{
	static const char more[] =
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: nets, namespace: test}\n"
		"spec:\n"
		"  podSelector: {matchLabels: {app: b}}\n"
		"  policyTypes: [Ingress]\n"
		"  ingress:\n"
		"  - from: [{ipBlock: {cidr: 198.18.64.0/18, except: "
		"[198.18.65.0/24]}}]\n"
		"    ports: [{port: 8080}]\n";
	struct np_datapath_verdict v;
	struct np_lpm_key_v4 k = { 0 };
	struct np_ruleset *rs;
	struct np_rs_plens m;
	char *report;
	uint32_t id, x;
	size_t nd;
	int fd;

	rs = b_with(more);
	b_explain("198.18.70.1", &v);
	cr_expect(v.allowed);
	cr_expect_str_eq(v.key, "198.18.64.0/18");
	b_explain("198.18.65.1", &v);
	cr_expect(!v.allowed, "the except");
	id = v.ruleset;

	/* the lengths entry without the except's /24 */
	fd = pinned("rs_plens");
	x = id & (NP_RS_PLENS_SIZE - 1);
	cr_assert_eq(bpf_map_lookup_elem(fd, &x, &m), 0);
	cr_assert_eq(m.ruleset, id);
	cr_assert_geq(m.n[0], 2, "the /24 and the /18, at least");
	cr_expect_eq(m.len[0][0], 24, "longest first");
	m.len[0][0] = 25;
	m.mask4[0] = htonl(0xffffff80u);
	cr_assert_eq(bpf_map_update_elem(fd, &x, &m, BPF_ANY), 0);
	cr_assert_eq(np_datapath_verify(T.dp, B->ifindex, rs, &report, &nd), 0);
	cr_expect_eq(nd, 1, "%s", report);
	cr_expect(strstr(report, "ingress: IPv4 prefix lengths of rule set"),
		  "%s", report);
	np_free(report);
	/* as the program would: the except is not found, the /18 allows */
	b_explain("198.18.65.1", &v);
	cr_expect(v.allowed);
	m.len[0][0] = 24;
	m.mask4[0] = htonl(0xffffff00u);
	cr_assert_eq(bpf_map_update_elem(fd, &x, &m, BPF_ANY), 0);
	close(fd);

	/* a key gone from the hash */
	fd = pinned("pfx_v4");
	k.prefixlen = NP_RULESET_BITS + 24;
	k.ruleset = htonl(id);
	inet_pton(AF_INET, "198.18.65.0", k.addr);
	cr_assert_eq(bpf_map_delete_elem(fd, &k), 0);
	close(fd);
	cr_assert_eq(np_datapath_verify(T.dp, B->ifindex, rs, &report, &nd), 0);
	cr_expect_geq(nd, 1, "%s", report);
	cr_expect(strstr(report, "ingress: 1 IPv4 prefix keys of rule set"),
		  "%s", report);
	np_free(report);
	np_ruleset_free(rs);
}
/* Append each rule's CIDR and whether it allows anything to a string. */
static int rule_cidrs(void *ctx, const struct np_datapath_rule *r)
{
	char *s = ctx;
	size_t o = strlen(s);

	snprintf(s + o, 512 - o, "%s%s%s", o ? " " : "", r->cidr,
		 r->all || r->nranges ? "" : "(hole)");
	return 0;
}

/*
 * An except /25 inside an allowed /24 (the shape cluster tiers make): one
 * length in the per-length hash, the /24 written as the /25 the except
 * leaves. Read back, explained and verified, it is the /24 again; a piece
 * gone or one too many is drift, named by its key.
 */
Test(inspect, verify_checks_keys_written_in_pieces)
{
	static const char more[] =
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: nets, namespace: test}\n"
		"spec:\n"
		"  podSelector: {matchLabels: {app: b}}\n"
		"  policyTypes: [Ingress]\n"
		"  ingress:\n"
		"  - from: [{ipBlock: {cidr: 198.18.64.0/24, except: "
		"[198.18.64.0/25]}}]\n"
		"    ports: [{port: 8080}]\n";
	struct np_datapath_verdict v;
	struct np_lpm_key_v4 k = { 0 };
	struct np_lpm_value val;
	struct np_ruleset *rs;
	struct np_rs_plens m;
	char rules[512] = "";
	char *report;
	uint32_t id, x;
	size_t nd;
	int fd;

	rs = b_with(more);
	b_explain("198.18.64.200", &v);
	cr_expect(v.allowed);
	cr_expect_str_eq(v.key, "198.18.64.0/24", "the key, not its piece");
	b_explain("198.18.64.1", &v);
	cr_expect(!v.allowed, "the except");
	cr_expect_str_eq(v.key, "198.18.64.0/25");
	id = v.ruleset;

	/* one length: the /24 was written as a /25 */
	fd = pinned("rs_plens");
	x = id & (NP_RS_PLENS_SIZE - 1);
	cr_assert_eq(bpf_map_lookup_elem(fd, &x, &m), 0);
	close(fd);
	cr_assert_eq(m.ruleset, id);
	cr_expect_eq(m.n[0], 1);
	cr_expect_eq(m.len[0][0], 25);
	fd = pinned("pfx_v4");
	k.prefixlen = NP_RULESET_BITS + 25;
	k.ruleset = htonl(id);
	inet_pton(AF_INET, "198.18.64.128", k.addr);
	cr_assert_eq(bpf_map_lookup_elem(fd, &k, &val), 0);
	cr_expect_eq(val.portset >> NP_LPM_PLEN_SHIFT, 24, "the key's length");
	/* read back: the keys as compiled, the piece is the /24 */
	cr_assert_eq(np_datapath_rule_foreach(T.dp, id, rule_cidrs, rules), 0);
	cr_expect(strstr(rules, "198.18.64.0/24 198.18.64.0/25(hole)"), "%s",
		  rules);
	cr_expect(!strstr(rules, "198.18.64.128"), "%s", rules);

	/* the piece gone: the /24 is missing, and the program denies there */
	cr_assert_eq(bpf_map_delete_elem(fd, &k), 0);
	cr_assert_eq(np_datapath_verify(T.dp, B->ifindex, rs, &report, &nd), 0);
	cr_expect_geq(nd, 1, "%s", report);
	cr_expect(strstr(report, "ingress: missing key 198.18.64.0/24"), "%s",
		  report);
	np_free(report);
	b_explain("198.18.64.200", &v);
	cr_expect(!v.allowed);
	cr_assert_eq(bpf_map_update_elem(fd, &k, &val, BPF_NOEXIST), 0);
	/* a piece too many (at a length nobody probes) */
	k.prefixlen = NP_RULESET_BITS + 26;
	cr_assert_eq(bpf_map_update_elem(fd, &k, &val, BPF_NOEXIST), 0);
	cr_assert_eq(np_datapath_verify(T.dp, B->ifindex, rs, &report, &nd), 0);
	cr_expect_eq(nd, 1, "%s", report);
	cr_expect(strstr(report, "ingress: key 198.18.64.0/24: written as 2 "
				 "keys, expected 1"),
		  "%s", report);
	np_free(report);
	cr_assert_eq(bpf_map_delete_elem(fd, &k), 0);
	close(fd);
	cr_assert_eq(np_datapath_verify(T.dp, B->ifindex, rs, &report, &nd), 0);
	cr_expect_eq(nd, 0, "drift: %s", report);
	np_free(report);
	np_ruleset_free(rs);
}

/*
 * The endpoint's prefix-key flags steer the program, and the programs read
 * a copy of the record: verify checks both.
 */
Test(inspect, verify_names_wrong_prefix_flags)
{
	struct np_ruleset *rs;
	struct np_ep_rec ep;
	struct np_ep_dir w;
	char *report, want[96];
	unsigned int ifx;
	size_t nd;
	int fd;

	three_pods();
	cr_assert_eq(np_ruleset_compile(&rs, cluster, "test", "b", NULL, NULL),
		     0);
	cr_assert_eq(np_datapath_verify(T.dp, B->ifindex, rs, &report, &nd), 0);
	cr_expect_eq(nd, 0, "drift: %s", report);
	np_free(report);

	fd = pinned("endpoints");
	ifx = B->ifindex;
	cr_assert_eq(bpf_map_lookup_elem(fd, &ifx, &ep), 0);
	memcpy(&w, &ep.w[0][NP_DIR_INGRESS], sizeof(w));
	snprintf(want, sizeof(want),
		 "ingress: endpoint prefix-key flags 0x%x, expected 0x%x\n",
		 w.lpm ^ NP_EPL_V4, w.lpm);
	w.lpm ^= NP_EPL_V4;
	memcpy(&ep.w[0][NP_DIR_INGRESS], &w, sizeof(w));
	memcpy(&ep.w[1][NP_DIR_INGRESS], &w, sizeof(w));
	cr_assert_eq(bpf_map_update_elem(fd, &ifx, &ep, BPF_EXIST), 0);
	close(fd);
	/* the record changed, not the programs' copy of it: both named */
	cr_assert_eq(np_datapath_verify(T.dp, B->ifindex, rs, &report, &nd), 0);
	cr_expect_eq(nd, 2, "%s", report);
	cr_expect(!strncmp(report, want, strlen(want)), "%s", report);
	cr_expect(strstr(report, "ingress: endpoint cache differs from the "
				 "endpoint record\n"),
		  "%s", report);
	np_free(report);
	np_ruleset_free(rs);
}

Test(inspect, sighup_reopens_the_log)
{
	const char *args[] = {
		"--follow", "-o", "json", "--output", NULL, NULL
	};
	char log[192], old[200];
	size_t before;
	pid_t pid;

	three_pods();
	snprintf(log, sizeof(log), "%s/np.log", workdir);
	snprintf(old, sizeof(old), "%s.1", log);
	args[4] = log;
	pid = flows_start(NULL, args);
	dpt_wait_events_on();
	cr_expect_eq(probe(C, UDP, B4, 5353), 1);
	cr_assert(wait_lines(log, 1), "no line in %s", log);
	dpt_sleep_ms(100);
	cr_assert_eq(rename(log, old), 0);
	before = file_lines(old);
	kill(pid, SIGHUP);
	{
		int i;

		for (i = 0; i < 500 && access(log, F_OK); i++)
			dpt_sleep_ms(10);
		cr_assert_eq(access(log, F_OK), 0, "SIGHUP: not reopened");
	}
	cr_expect_eq(probe(C, UDP, B6, 5353), 1);
	cr_expect(wait_lines(log, 1), "no line in the new file");
	dpt_sleep_ms(100);
	dpt_tool_stop(pid, "flows");
	cr_expect_eq(file_lines(old), before, "the old file got more lines");
	{
		char buf[4096];
		FILE *f = fopen(log, "r");

		cr_assert_not_null(f);
		cr_assert_not_null(fgets(buf, sizeof(buf), f));
		cr_expect(strstr(buf, "\"Src IP\":\"" C6 "\""), "%s", buf);
		fclose(f);
	}
}

/*
 * Issue 13 item 10: the log reopened on SIGHUP is opened as at start: a
 * new file mode 0600, and a symbolic link put in its place refused (the
 * reader stops with 2 rather than write through it).
 */
Test(inspect, sighup_reopen_refuses_a_symlink)
{
	const char *args[] = {
		"--follow", "-o", "json", "--output", NULL, NULL
	};
	char log[192], old[200], target[200];
	struct stat sb;
	pid_t pid;
	int st, i;

	three_pods();
	snprintf(log, sizeof(log), "%s/np.log", workdir);
	snprintf(old, sizeof(old), "%s.1", log);
	snprintf(target, sizeof(target), "%s/elsewhere", workdir);
	args[4] = log;
	umask(0);
	pid = flows_start(NULL, args);
	umask(022);
	dpt_wait_events_on();
	cr_assert_eq(stat(log, &sb), 0);
	cr_expect_eq(sb.st_mode & 0777, 0600, "mode %o", sb.st_mode & 0777);
	/* rotated: the new file comes back 0600 */
	cr_assert_eq(rename(log, old), 0);
	kill(pid, SIGHUP);
	for (i = 0; i < 500 && access(log, F_OK); i++)
		dpt_sleep_ms(10);
	cr_assert_eq(stat(log, &sb), 0, "SIGHUP: not reopened");
	cr_expect_eq(sb.st_mode & 0777, 0600, "mode %o", sb.st_mode & 0777);
	/* rotated again, and a symlink in the log's place */
	cr_assert_eq(rename(log, old), 0);
	cr_assert_eq(symlink(target, log), 0);
	kill(pid, SIGHUP);
	for (i = 0; i < 500 && waitpid(pid, &st, WNOHANG) != pid; i++)
		dpt_sleep_ms(10);
	if (i == 500) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		cr_assert_fail("netpol flows went on through a symlink");
	}
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 2, "exit %d", st);
	cr_expect_neq(access(target, F_OK), 0, "written through the link");
}

/* A metric sample: name, labels and value. */
static bool sample(const char *line, char *name, size_t nsz)
{
	static regex_t re;
	static bool compiled;
	regmatch_t m[4];

	if (!compiled) {
		cr_assert_eq(regcomp(&re,
				     "^([a-zA-Z_:][a-zA-Z0-9_:]*)"
				     "(\\{[^}]*\\})? (-?[0-9.eE+-]+)$",
				     REG_EXTENDED),
			     0);
		compiled = true;
	}
	if (regexec(&re, line, 4, m, 0))
		return false;
	snprintf(name, nsz, "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
		 line + m[1].rm_so);
	return true;
}

/* Valid UTF-8, and no control byte but newline (and C1 not at all)? */
static bool clean_output(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		if (*p == '\n' || (*p >= 0x20 && *p < 0x7f)) {
			p++;
		} else if (*p >= 0xc2 && *p <= 0xdf && (p[1] & 0xc0) == 0x80) {
			if (*p == 0xc2 && p[1] < 0xa0)
				return false; /* C1 */
			p += 2;
		} else if (*p >= 0xe0 && *p <= 0xef && (p[1] & 0xc0) == 0x80 &&
			   (p[2] & 0xc0) == 0x80) {
			p += 3;
		} else {
			return false;
		}
	}
	return true;
}

/*
 * Issue 13 item 9: a pod attached under a hostile name (newline, C1,
 * invalid UTF-8, quote, backslash): status, dump and metrics escape it.
 */
Test(inspect, hostile_pod_name_escaped)
{
	static const char hname[] = "h\nFAKE 1\xc2\x85\xff\"q\\";
	static char out[65536];
	struct npt_pod *h;
	int err, r;

	three_pods();
	h = dpt_pod("h", "198.18.0.9", "fd00::9");
	err = dpt_attach(T.dp, h->host_if, 0, "test", hname);
	cr_assert_eq(err, 0, "attach: %s", strerror(-err));
	r = run(out, sizeof(out), "status");
	cr_expect(clean_output(out), "status: %s", out);
	cr_expect(strstr(out, "test/h\\x0aFAKE 1\\xc2\\x85\\xff\"q\\\\ "),
		  "status: %s", out);
	(void)r;
	r = run(out, sizeof(out), "dump --ifname %s", h->host_if);
	cr_expect(clean_output(out), "dump: %s", out);
	cr_expect(strstr(out, "test/h\\x0aFAKE"), "dump: %s", out);
	r = run(out, sizeof(out), "metrics");
	cr_expect_eq(r, 0, "%s", out);
	cr_expect(clean_output(out), "metrics: %s", out);
	cr_expect(strstr(out, "pod=\"h\\\\x0aFAKE 1\\\\xc2\\\\x85\\\\xff"
			      "\\\"q\\\\\\\\\""),
		  "metrics: %s", out);
}

Test(inspect, metrics_prometheus_text)
{
	static char out[65536];
	char help[64][96], type[64][96], name[96], *line, *save = NULL;
	size_t nh = 0, nt = 0, ns = 0, i;
	struct np_datapath_stats st;
	int r;

	three_pods();
	cr_expect_eq(probe(C, UDP, B4, 5353), 1);
	cr_expect_eq(probe(A, UDP, B4, 5353), 0);
	r = run(out, sizeof(out), "metrics");
	cr_assert_eq(r, 0, "%s", out);
	cr_expect(strstr(out, "\nnetwork_policy_drop_count_total{namespace="
			      "\"test\",pod=\"b\",direction=\"ingress\"} 1\n"),
		  "%s", out);
	cr_expect(strstr(out, "\nnetwork_policy_drop_bytes_total{namespace="
			      "\"test\",pod=\"b\",direction=\"ingress\"} 55\n"),
		  "%s", out);
	cr_expect(strstr(out,
			 "\nnetpol_packets_total{namespace=\"test\","
			 "pod=\"b\",direction=\"ingress\",verdict=\"allow\"} "
			 "1\n"),
		  "%s", out);
	cr_expect(strstr(out, "\nnetpol_conntrack_capacity{family=\"ipv4\"} "
			      "524288\n"),
		  "%s", out);
	cr_expect(strstr(out, "\nnetpol_conntrack_evictions_total{family="
			      "\"ipv6\"} 0\n"),
		  "%s", out);
	cr_expect(strstr(out, "\nnetpol_pods 3\n"), "%s", out);
	cr_expect(strstr(out, "\nnetpol_hook_ok{namespace=\"test\",pod=\"c\","
			      "direction=\"egress\"} 1\n"),
		  "%s", out);
	cr_expect(strstr(out, "\nnetpol_events_lost_total "), "%s", out);
	cr_assert_eq(np_datapath_stats(T.dp, &st), 0);
	cr_expect_geq(st.ct_entries[0], 1, "the allowed exchange's entry");

	/* every sample's name has HELP and TYPE lines before it */
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char t[32];

		if (!strncmp(line, "# HELP ", 7)) {
			cr_assert_lt(nh, 64);
			cr_assert_eq(sscanf(line + 7, "%95s", help[nh++]), 1);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			cr_assert_lt(nt, 64);
			cr_assert_eq(sscanf(line + 7, "%95s %31s", type[nt], t),
				     2);
			cr_expect(!strcmp(t, "counter") ||
					  !strcmp(t, "gauge") ||
					  !strcmp(t, "histogram"),
				  "%s", line);
			if (!strcmp(t, "counter"))
				cr_expect(strstr(type[nt], "_total"), "%s",
					  line);
			nt++;
			continue;
		}
		cr_assert(sample(line, name, sizeof(name)),
			  "not a sample: "
			  "'%s'",
			  line);
		ns++;
		/* a histogram's series: its name and _bucket, _sum, _count */
		for (i = 0; i < nt; i++) {
			size_t tl = strlen(type[i]);

			if (!strcmp(type[i], name) ||
			    (!strncmp(type[i], name, tl) &&
			     (!strcmp(name + tl, "_bucket") ||
			      !strcmp(name + tl, "_sum") ||
			      !strcmp(name + tl, "_count"))))
				break;
		}
		if (i < nt)
			snprintf(name, sizeof(name), "%s", type[i]);
		cr_expect_lt(i, nt, "%s has no TYPE", name);
		for (i = 0; i < nh; i++)
			if (!strcmp(help[i], name))
				break;
		cr_expect_lt(i, nh, "%s has no HELP", name);
	}
	cr_expect_eq(nh, nt);
	cr_expect_gt(ns, 30);
}

static int count_rules(void *ctx, const struct np_datapath_rule *r)
{
	size_t *n = ctx;

	cr_expect(!r->all);
	cr_expect_eq(r->nranges, 2);
	cr_expect_eq(r->ranges[0].protocol, TCP);
	cr_expect_eq(r->ranges[0].first, 8080);
	cr_expect_eq(r->ranges[0].last, 8080);
	cr_expect_eq(r->ranges[1].protocol, UDP);
	cr_expect_eq(r->ranges[1].first, 5353);
	cr_expect_str_eq(r->cidr, (*n)++ ? A6 "/128" : A4 "/32");
	return 0;
}

static int find_conn(void *ctx, const struct np_datapath_conn *c)
{
	int *found = ctx;

	if (c->protocol == TCP && !strcmp(c->src, A4) && !strcmp(c->dst, B4) &&
	    c->dport == 8080) {
		cr_expect_eq(c->family, 4);
		cr_expect_eq(c->ifindex, B->ifindex);
		cr_expect_neq(c->state, NP_CONN_NEW);
		cr_expect_leq(c->age, 5);
		cr_expect_gt(c->timeout, 0);
		(*found)++;
	}
	return 0;
}

Test(inspect, dump_explain_status)
{
	struct np_datapath_hook hk[2];
	struct np_datapath_ruleset r;
	struct np_datapath_verdict v;
	struct np_ruleset *rs;
	char out[16384], policy[512];
	size_t n = 0;
	uint32_t id;
	int found = 0, rc;

	three_pods();
	cr_expect_eq(probe(A, TCP, B4, 8080), 0);

	/* the library */
	id = b_ingress_id();
	cr_assert_eq(np_datapath_ruleset(T.dp, id, &r), 0);
	cr_expect_eq(r.keys[0], 1);
	cr_expect_eq(r.keys[1], 1);
	cr_expect_eq(r.users, 1);
	cr_assert_eq(np_datapath_rule_foreach(T.dp, id, count_rules, &n), 0);
	cr_expect_eq(n, 2);
	cr_assert_eq(np_datapath_conn_foreach(T.dp, B->ifindex, find_conn,
					      &found),
		     0);
	cr_expect_eq(found, 1);
	cr_assert_eq(np_datapath_hooks(T.dp, B->ifindex, hk), 0);
	cr_expect_eq(hk[0].state, NP_HOOK_OK);
	cr_expect_eq(hk[1].state, NP_HOOK_OK);
	cr_expect_eq(hk[0].prog_id, hk[0].expected_id);
	cr_expect_neq(hk[0].prog_id, hk[1].prog_id);
	cr_assert_eq(np_ruleset_compile(&rs, cluster, "test", "b", NULL, NULL),
		     0);
	cr_expect_eq(
		np_datapath_ruleset_id(T.dp, rs, NP_DIRECTION_INGRESS, &id), 0);
	cr_expect_eq(id, r.id);
	cr_expect_eq(np_datapath_ruleset_id(T.dp, rs, NP_DIRECTION_EGRESS, &id),
		     -ENODATA);
	expected_policy(A4, TCP, 8080, policy, sizeof(policy));
	cr_assert_eq(np_datapath_explain(T.dp, B->ifindex, NP_DIRECTION_INGRESS,
					 A6, TCP, 8080, rs, &v),
		     0);
	cr_expect(v.allowed);
	cr_expect_eq(v.reason, NP_REASON_RULE);
	cr_expect_str_eq(v.key, A6 "/128");
	cr_expect_eq(v.slot, 0);
	cr_expect_str_eq(v.policies, policy);
	cr_expect_eq(v.tier, NP_TIER_NETWORK_POLICY);
	cr_assert_eq(np_datapath_explain(T.dp, B->ifindex, NP_DIRECTION_INGRESS,
					 A4, UDP, 5353, rs, &v),
		     0);
	cr_expect(v.allowed);
	cr_expect_eq(v.slot, 1);
	cr_assert_eq(np_datapath_explain(T.dp, B->ifindex, NP_DIRECTION_INGRESS,
					 C4, TCP, 8080, rs, &v),
		     0);
	cr_expect(!v.allowed);
	cr_expect_eq(v.reason, NP_REASON_NO_MATCH);
	cr_expect_str_eq(v.key, "");
	/* b's NetworkPolicy isolates it: no policy named, its tier */
	cr_expect_str_eq(v.policies, "");
	cr_expect_eq(v.tier, NP_TIER_NETWORK_POLICY);
	cr_assert_eq(np_datapath_explain(T.dp, A->ifindex, NP_DIRECTION_EGRESS,
					 C4, TCP, 80, NULL, &v),
		     0);
	cr_expect(v.allowed);
	cr_expect_eq(v.reason, NP_REASON_NOT_ISOLATED);
	cr_expect_eq(np_datapath_explain(T.dp, 999999, NP_DIRECTION_EGRESS, C4,
					 TCP, 80, NULL, &v),
		     -ENOENT);
	cr_expect_eq(np_datapath_explain(T.dp, A->ifindex, NP_DIRECTION_EGRESS,
					 "nope", TCP, 80, NULL, &v),
		     -EINVAL);
	np_ruleset_free(rs);

	/* the tool */
	rc = run(out, sizeof(out), "dump --pod test/b");
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "ingress: enforced, rule set "), "%s", out);
	cr_expect(strstr(out, A4 "/32"), "%s", out);
	cr_expect(strstr(out, "-> TCP 8080, UDP 5353"), "%s", out);
	cr_expect(strstr(out, "egress: unisolated"), "%s", out);
	cr_expect(strstr(out, "TCP    " A4 ":"), "%s", out);
	/* the probe has closed its connection by now */
	cr_expect(strstr(out, " > " B4 ":8080 closing age "), "%s", out);
	rc = run(out, sizeof(out), "dump --ifname %s --direction egress",
		 B->host_if);
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect(!strstr(out, A4 "/32"), "%s", out);

	rc = run(out, sizeof(out),
		 "explain --pod test/b --peer " A4
		 " --port 8080 --protocol tcp --direction ingress %s",
		 manifest);
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect(strstr(out,
			 "ALLOW test/b ingress from " A4 " TCP/8080: rule"),
		  "%s", out);
	cr_expect(strstr(out, "key " A4 "/32, port set "), "%s", out);
	cr_expect(strstr(out, "policy test/allow-a"), "%s", out);
	rc = run(out, sizeof(out),
		 "explain --pod test/b --peer " A4
		 " --port 8081 --direction ingress");
	cr_expect_eq(rc, 1, "%s", out);
	cr_expect(strstr(out, "DENY test/b ingress from " A4 " TCP/8081: port"),
		  "%s", out);
	cr_expect(strstr(out, "-> TCP 8080, UDP 5353"),
		  "what the key allows: "
		  "%s",
		  out);
	rc = run(out, sizeof(out),
		 "explain --pod test/b --peer " C6
		 " --port 8080 --direction ingress");
	cr_expect_eq(rc, 1, "%s", out);
	cr_expect(strstr(out, "no-match"), "%s", out);

	rc = run(out, sizeof(out), "status");
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "test/b ifindex "), "%s", out);
	/* owned by TCX links where the kernel has them, else tc filters */
	cr_expect(strstr(out, "hook tcx-egress ok") ||
			  strstr(out, "hook tc-egress ok"),
		  "%s", out);
	cr_expect(strstr(out, "hook tcx-ingress ok") ||
			  strstr(out, "hook tc-ingress ok"),
		  "%s", out);
	cr_expect(strstr(out, "3 pods, 1 rule sets"), "%s", out);
}

/* A full ring buffer counts what it drops. */
Test(inspect, events_lost_counted)
{
	struct pktspec s = {
		.family = 4, .src = C4, .dst = B4, .proto = TCP, .dport = 8080
	};
	struct np_datapath_stats st;
	int i;

	three_pods();
	cr_assert_eq(np_datapath_set_events(T.dp, true), 0);
	/* 64-byte records + 8-byte headers: 256 KiB hold 3640 */
	for (i = 0; i < 5000; i++) {
		s.sport = (uint16_t)(10000 + i);
		cr_assert_eq(dpt_verdict(B->ifindex, NP_DIRECTION_INGRESS, &s),
			     2);
	}
	cr_assert_eq(np_datapath_stats(T.dp, &st), 0);
	cr_expect_geq(st.events_lost, 5000 - 3641, "lost %llu",
		      (unsigned long long)st.events_lost);
	cr_expect_leq(st.events_lost, 5000);
	cr_expect(st.events_on);
	np_datapath_set_events(T.dp, false);
}

/*
 * Issue 13 item 13: `netpol attach --ct-size N` sizes the conntrack of the
 * datapath it loads; bad sizes are refused; a loaded one keeps its size.
 */
Test(inspect, attach_ct_size)
{
	static char out[4096];
	struct np_datapath_stats st;

	A = dpt_pod("a", A4, A6);
	cr_expect_eq(run(out, sizeof(out), "attach --ifname %s --ct-size 0",
			 A->host_if),
		     2);
	cr_expect_eq(run(out, sizeof(out), "attach --ifname %s --ct-size 12x",
			 A->host_if),
		     2);
	cr_assert_eq(run(out, sizeof(out), "attach --ifname %s --ct-size 2048",
			 A->host_if),
		     0, "%s", out);
	dpt_open(NP_MODE_STANDARD, false, NULL, 0);
	cr_assert_eq(np_datapath_stats(T.dp, &st), 0);
	cr_expect_eq(st.ct_capacity[0], 2048);
	cr_expect_eq(st.ct_capacity[1], 2048);
	cr_expect_eq(run(out, sizeof(out), "attach --ifname %s --ct-size 4096",
			 A->host_if),
		     0, "a loaded datapath keeps its size, and says so");
	cr_assert_eq(np_datapath_stats(T.dp, &st), 0);
	cr_expect_eq(st.ct_capacity[0], 2048);
}

/* netpol attach --rule-counters, and what dump shows of them. */
Test(inspect, rule_counters_in_dump)
{
	static char out[16384];
	struct np_datapath_stats st;
	json_error_t je;
	json_t *j, *rules, *r;
	size_t i;
	int rc, seen = 0;

	three_pods();
	cr_expect_eq(run(out, sizeof(out),
			 "attach --ifname %s --rule-counters maybe",
			 B->host_if),
		     2);
	cr_expect_eq(run(out, sizeof(out), "status --rule-counters on"), 2,
		     "a command that reads refuses it");
	rc = run(out, sizeof(out), "attach --ifname %s --rule-counters on -q",
		 B->host_if);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert_eq(np_datapath_stats(T.dp, &st), 0);
	cr_expect(st.rule_counters_on);
	cr_expect_eq(probe(A, TCP, B4, 8080), 0);

	rc = run(out, sizeof(out), "dump --pod test/b --direction ingress");
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "  allowed "), "%s", out);
	cr_expect(strstr(out, " pkts "), "%s", out);
	cr_expect(strstr(out, ", denied 0 pkts 0 bytes\n"), "%s", out);

	rc = run(out, sizeof(out),
		 "dump --pod test/b --direction ingress -o json");
	cr_assert_eq(rc, 0, "%s", out);
	j = json_loads(out, 0, &je);
	cr_assert_not_null(j, "%s", out);
	rules = json_object_get(json_object_get(j, "ingress"), "rules");
	cr_assert(json_is_array(rules), "%s", out);
	json_array_foreach(rules, i, r)
	{
		json_t *c = json_object_get(r, "counters");
		const char *cidr =
			json_string_value(json_object_get(r, "cidr"));

		if (cidr && !strcmp(cidr, A4 "/32")) {
			cr_assert(json_is_object(c), "%s", out);
			/* the SYN and the rest of the connection, both ways */
			cr_expect_geq(json_integer_value(json_object_get(
					      c, "allowed_packets")),
				      3);
			cr_expect_gt(json_integer_value(json_object_get(
					     c, "allowed_bytes")),
				     120);
			seen = 1;
		} else {
			cr_expect(json_is_null(c), "%s: no traffic", cidr);
		}
	}
	cr_expect(seen, "%s", out);
	json_decref(j);

	rc = run(out, sizeof(out), "attach --ifname %s --rule-counters off -q",
		 B->host_if);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert_eq(np_datapath_stats(T.dp, &st), 0);
	cr_expect_not(st.rule_counters_on);
}
