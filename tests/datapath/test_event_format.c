// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * np_event_format(): flow events as EKS-compatible JSON lines and as text,
 * exact strings, IPv4 and IPv6, every reason. No kernel needed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include <jansson.h>

#include <netpol.h>

/* 2023-05-30T16:05:32.573Z, the EKS guide's example */
#define T0 (1685462732ull * 1000000000ull + 573999999ull)

static struct np_event ev4(bool allowed, enum np_reason r)
{
	struct np_event e;

	memset(&e, 0, sizeof(e));
	e.time_ns = T0;
	e.ifindex = 7;
	e.direction = NP_DIRECTION_INGRESS;
	e.family = 4;
	inet_pton(AF_INET, "198.18.0.1", e.src);
	inet_pton(AF_INET, "198.18.0.2", e.dst);
	strcpy(e.src_text, "198.18.0.1");
	strcpy(e.dst_text, "198.18.0.2");
	e.sport = 38971;
	e.dport = 8080;
	e.protocol = 6;
	e.allowed = allowed;
	e.reason = r;
	e.prefixlen = -1;
	e.pod_ns = "test";
	e.pod_name = "b";
	return e;
}

static struct np_event ev6(bool allowed, enum np_reason r)
{
	struct np_event e = ev4(allowed, r);

	e.family = 6;
	e.direction = NP_DIRECTION_EGRESS;
	inet_pton(AF_INET6, "fd00::2", e.src);
	inet_pton(AF_INET6, "fd00:1::53", e.dst);
	strcpy(e.src_text, "fd00::2");
	strcpy(e.dst_text, "fd00:1::53");
	e.sport = 40000;
	e.dport = 53;
	e.protocol = 17;
	return e;
}

static void expect_line(const struct np_event *e, enum np_format f,
			const char *want)
{
	char buf[NP_EVENT_LINE_MAX];
	size_t len = 0;
	int err = np_event_format(e, f, buf, sizeof(buf), &len);

	cr_assert_eq(err, 0, "np_event_format: %d", err);
	cr_expect_str_eq(buf, want);
	cr_expect_eq(len, strlen(want));
	if (f == NP_FORMAT_JSON) {
		json_error_t je;
		json_t *j = json_loads(buf, 0, &je);

		cr_expect_not_null(j, "not JSON: %s: %s", je.text, buf);
		json_decref(j);
	}
}

Test(event_format, v4_accept_rule_json)
{
	struct np_event e = ev4(true, NP_REASON_RULE);

	e.ruleset = 3;
	e.prefixlen = 24;
	strcpy(e.rule_cidr, "198.18.0.0/24");
	e.policies = "test/allow-a ingress[0]";
	expect_line(
		&e, NP_FORMAT_JSON,
		"{\"level\":\"info\",\"timestamp\":\"2023-05-30T16:05:32.573Z\","
		"\"logger\":\"ebpf-client\",\"msg\":\"Flow Info: \","
		"\"Src IP\":\"198.18.0.1\",\"Src Port\":38971,"
		"\"Dest IP\":\"198.18.0.2\",\"Dest Port\":8080,"
		"\"Proto\":\"TCP\",\"Verdict\":\"ACCEPT\","
		"\"Namespace\":\"test\",\"Pod\":\"b\","
		"\"Direction\":\"ingress\",\"Reason\":\"rule\","
		"\"Rule Set\":3,\"Rule\":\"198.18.0.0/24\","
		"\"Policy\":\"test/allow-a ingress[0]\"}");
	expect_line(&e, NP_FORMAT_TEXT,
		    "2023-05-30T16:05:32.573Z ALLOW ingress test/b "
		    "198.18.0.1:38971 > 198.18.0.2:8080 TCP rule "
		    "rule 198.18.0.0/24 policy test/allow-a ingress[0]");
}

/* The tier (EKS "Tier"): after Policy; not written when unknown. */
Test(event_format, tier)
{
	static const char *const names[] = { "", "ADMIN", "NETWORK_POLICY",
					     "BASELINE", "DEFAULT" };
	struct np_event e = ev4(false, NP_REASON_PORT);
	char buf[NP_EVENT_LINE_MAX], want[64];
	int t;

	e.policies = "cnp/no-http egress[0] (Admin)";
	for (t = NP_TIER_UNKNOWN; t <= NP_TIER_DEFAULT; t++) {
		e.tier = (enum np_tier)t;
		cr_assert_eq(np_event_format(&e, NP_FORMAT_JSON, buf,
					     sizeof(buf), NULL),
			     0);
		snprintf(want, sizeof(want), "(Admin)\",\"Tier\":\"%s\"}",
			 names[t]);
		if (t == NP_TIER_UNKNOWN)
			cr_expect(!strstr(buf, "Tier") &&
					  strstr(buf, "(Admin)\"}"),
				  "%s", buf);
		else
			cr_expect(strstr(buf, want), "%s", buf);
		cr_assert_eq(np_event_format(&e, NP_FORMAT_TEXT, buf,
					     sizeof(buf), NULL),
			     0);
		snprintf(want, sizeof(want), "(Admin) tier %s", names[t]);
		if (t == NP_TIER_UNKNOWN)
			cr_expect(!strstr(buf, "tier") &&
					  strstr(buf, "(Admin)") &&
					  !strstr(buf, "(Admin) "),
				  "%s", buf);
		else
			cr_expect(strstr(buf, want) &&
					  !strcmp(strstr(buf, want), want),
				  "%s", buf);
	}
	/* a value the library does not know: not written */
	e.tier = (enum np_tier)9;
	cr_assert_eq(
		np_event_format(&e, NP_FORMAT_JSON, buf, sizeof(buf), NULL), 0);
	cr_expect(!strstr(buf, "Tier"), "%s", buf);
}

Test(event_format, v6_deny_json)
{
	struct np_event e = ev6(false, NP_REASON_NO_MATCH);

	e.ruleset = 12;
	expect_line(
		&e, NP_FORMAT_JSON,
		"{\"level\":\"info\",\"timestamp\":\"2023-05-30T16:05:32.573Z\","
		"\"logger\":\"ebpf-client\",\"msg\":\"Flow Info: \","
		"\"Src IP\":\"fd00::2\",\"Src Port\":40000,"
		"\"Dest IP\":\"fd00:1::53\",\"Dest Port\":53,"
		"\"Proto\":\"UDP\",\"Verdict\":\"DENY\","
		"\"Namespace\":\"test\",\"Pod\":\"b\","
		"\"Direction\":\"egress\",\"Reason\":\"no-match\","
		"\"Rule Set\":12}");
	expect_line(&e, NP_FORMAT_TEXT,
		    "2023-05-30T16:05:32.573Z DENY egress test/b "
		    "[fd00::2]:40000 > [fd00:1::53]:53 UDP no-match");
}

/* Every reason, v4 and v6: the line names it, the verdict follows it. */
Test(event_format, every_reason)
{
	static const struct {
		enum np_reason r;
		const char *name;
		bool allowed;
	} rs[] = {
		{ NP_REASON_RULE, "rule", true },
		{ NP_REASON_DEFAULT_ALLOW, "default-allow", true },
		{ NP_REASON_NOT_ISOLATED, "not-isolated", true },
		{ NP_REASON_NODE, "node", true },
		{ NP_REASON_CONNTRACK, "conntrack", true },
		{ NP_REASON_RELATED, "related", true },
		{ NP_REASON_NO_MATCH, "no-match", false },
		{ NP_REASON_PORT, "port", false },
		{ NP_REASON_DEFAULT_DENY, "default-deny", false },
		{ NP_REASON_MALFORMED, "malformed", false },
		{ NP_REASON_FRAGMENT, "fragment", false },
		{ NP_REASON_UNENFORCEABLE, "unenforceable", false },
		{ NP_REASON_REVOKED, "revoked", false },
		{ NP_REASON_SPOOFED, "spoofed", false },
	};
	size_t i;
	int fam;

	for (i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		for (fam = 4; fam <= 6; fam += 2) {
			struct np_event e =
				fam == 4 ? ev4(rs[i].allowed, rs[i].r) :
					   ev6(rs[i].allowed, rs[i].r);
			char want[1024], text[512];

			snprintf(want, sizeof(want),
				 "{\"level\":\"info\",\"timestamp\":"
				 "\"2023-05-30T16:05:32.573Z\",\"logger\":"
				 "\"ebpf-client\",\"msg\":\"Flow Info: \","
				 "\"Src IP\":\"%s\",\"Src Port\":%u,"
				 "\"Dest IP\":\"%s\",\"Dest Port\":%u,"
				 "\"Proto\":\"%s\",\"Verdict\":\"%s\","
				 "\"Namespace\":\"test\",\"Pod\":\"b\","
				 "\"Direction\":\"%s\",\"Reason\":\"%s\"}",
				 e.src_text, e.sport, e.dst_text, e.dport,
				 fam == 4 ? "TCP" : "UDP",
				 rs[i].allowed ? "ACCEPT" : "DENY",
				 fam == 4 ? "ingress" : "egress", rs[i].name);
			expect_line(&e, NP_FORMAT_JSON, want);
			if (fam == 4)
				snprintf(text, sizeof(text),
					 "2023-05-30T16:05:32.573Z %s ingress "
					 "test/b 198.18.0.1:38971 > "
					 "198.18.0.2:8080 TCP %s",
					 rs[i].allowed ? "ALLOW" : "DENY",
					 rs[i].name);
			else
				snprintf(text, sizeof(text),
					 "2023-05-30T16:05:32.573Z %s egress "
					 "test/b [fd00::2]:40000 > "
					 "[fd00:1::53]:53 UDP %s",
					 rs[i].allowed ? "ALLOW" : "DENY",
					 rs[i].name);
			expect_line(&e, NP_FORMAT_TEXT, text);
		}
	}
	cr_expect_null(np_reason_name((enum np_reason)99));
}

Test(event_format, protocols)
{
	static const struct {
		uint8_t p;
		const char *name;
	} ps[] = { { 1, "ICMP" },    { 6, "TCP" },    { 17, "UDP" },
		   { 58, "ICMPv6" }, { 132, "SCTP" }, { 47, "47" } };
	char buf[NP_EVENT_LINE_MAX], want[64];
	size_t i;

	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		struct np_event e = ev4(false, NP_REASON_PORT);

		e.protocol = ps[i].p;
		cr_assert_eq(np_event_format(&e, NP_FORMAT_JSON, buf,
					     sizeof(buf), NULL),
			     0);
		snprintf(want, sizeof(want), "\"Proto\":\"%s\"", ps[i].name);
		cr_expect(strstr(buf, want), "%s not in %s", want, buf);
	}
}

/* No pod known: no pod fields in JSON, the ifindex in text. */
Test(event_format, unknown_pod)
{
	struct np_event e = ev4(false, NP_REASON_DEFAULT_DENY);

	e.pod_ns = NULL;
	e.pod_name = NULL;
	e.time_ns = 0;
	expect_line(
		&e, NP_FORMAT_JSON,
		"{\"level\":\"info\",\"timestamp\":\"1970-01-01T00:00:00.000Z\","
		"\"logger\":\"ebpf-client\",\"msg\":\"Flow Info: \","
		"\"Src IP\":\"198.18.0.1\",\"Src Port\":38971,"
		"\"Dest IP\":\"198.18.0.2\",\"Dest Port\":8080,"
		"\"Proto\":\"TCP\",\"Verdict\":\"DENY\","
		"\"Direction\":\"ingress\",\"Reason\":\"default-deny\"}");
	expect_line(&e, NP_FORMAT_TEXT,
		    "1970-01-01T00:00:00.000Z DENY ingress ifindex:7 "
		    "198.18.0.1:38971 > 198.18.0.2:8080 TCP default-deny");
}

Test(event_format, escaping)
{
	struct np_event e = ev4(true, NP_REASON_RULE);
	char buf[NP_EVENT_LINE_MAX];

	e.policies = "a\"b\\c\nd";
	cr_assert_eq(
		np_event_format(&e, NP_FORMAT_JSON, buf, sizeof(buf), NULL), 0);
	cr_expect(strstr(buf, "\"Policy\":\"a\\\"b\\\\c\\u000ad\"}"), "%s",
		  buf);
}

/* Text lines: names from outside cannot forge a second log line. */
Test(event_format, text_control_characters)
{
	struct np_event e = ev4(false, NP_REASON_PORT);
	char buf[NP_EVENT_LINE_MAX];

	e.pod_ns = "ns\nFAKE";
	e.pod_name = "pod\r\x1b[31m";
	e.policies = "p\n2026-01-01 ACCEPT";
	cr_assert_eq(
		np_event_format(&e, NP_FORMAT_TEXT, buf, sizeof(buf), NULL), 0);
	cr_expect(!strpbrk(buf, "\n\r\x1b"), "%s", buf);
	cr_expect(strstr(buf, "ns?FAKE/pod??[31m") != NULL, "%s", buf);
}

Test(event_format, small_buffer_and_errors)
{
	struct np_event e = ev4(true, NP_REASON_RULE);
	char full[NP_EVENT_LINE_MAX], small[16];
	size_t len = 0, need = 0;

	cr_assert_eq(np_event_format(&e, NP_FORMAT_JSON, full, sizeof(full),
				     &need),
		     0);
	cr_expect_eq(np_event_format(&e, NP_FORMAT_JSON, small, sizeof(small),
				     &len),
		     -E2BIG);
	cr_expect_eq(len, need, "the length it needs");
	cr_expect_eq(strlen(small), sizeof(small) - 1);
	cr_expect_eq(strncmp(small, full, sizeof(small) - 1), 0);
	/* size 0: measure only */
	cr_expect_eq(np_event_format(&e, NP_FORMAT_JSON, NULL, 0, &len),
		     -E2BIG);
	cr_expect_eq(len, need);
	/* exactly enough */
	cr_expect_eq(np_event_format(&e, NP_FORMAT_JSON, full, need + 1, &len),
		     0);
	cr_expect_eq(np_event_format(NULL, NP_FORMAT_JSON, full, sizeof(full),
				     NULL),
		     -EINVAL);
	cr_expect_eq(np_event_format(&e, NP_FORMAT_YAML, full, sizeof(full),
				     NULL),
		     -EINVAL);
}

/*
 * Issue 13 item 9: hostile names (C1 controls, invalid UTF-8, overlong
 * and surrogate encodings, quotes, newlines) in both formats: JSON stays
 * valid UTF-8 (U+FFFD for invalid bytes, C1 escaped), text lines carry no
 * control and no invalid byte; valid UTF-8 passes through.
 */
Test(event_format, hostile_names_utf8_and_c1)
{
	struct np_event e = ev4(false, NP_REASON_PORT);
	char buf[NP_EVENT_LINE_MAX];
	json_error_t je;
	json_t *j;

	e.pod_ns = "ns\xc2\x85NEL\xc2\x9b"
		   "31m";
	e.pod_name = "caf\xc3\xa9\xff\xc3\"q\nx\x7f";
	e.policies = "p\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80z";
	cr_assert_eq(
		np_event_format(&e, NP_FORMAT_JSON, buf, sizeof(buf), NULL), 0);
	j = json_loads(buf, 0, &je);
	cr_expect_not_null(j, "not JSON: %s: %s", je.text, buf);
	json_decref(j);
	cr_expect(strstr(buf, "\"Namespace\":\"ns\\u0085NEL\\u009b31m\""), "%s",
		  buf);
	cr_expect(strstr(buf, "\"Pod\":\"caf\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd"
			      "\\\"q\\u000ax\\u007f\""),
		  "%s", buf);
	cr_expect(strstr(buf, "\"Policy\":\"p\xef\xbf\xbd"), "%s", buf);
	cr_assert_eq(
		np_event_format(&e, NP_FORMAT_TEXT, buf, sizeof(buf), NULL), 0);
	cr_expect(t_clean_utf8(buf, true), "text line not clean: %s", buf);
	cr_expect(strstr(buf, "caf\xc3\xa9"), "%s", buf);
}
