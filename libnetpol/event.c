/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Flow events, decoded: np_event_format(), EKS JSON and text lines, with
 * the reason and protocol names of enums.c. No kernel access here, so it
 * builds (and is tested) without the datapath too.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "netpol/datapath.h"
#include "util.h"

/* The reason's token; "unknown" for a value that is not one. */
static const char *reason_name(enum np_reason r)
{
	const char *s = np_reason_name(r);

	return s ? s : "unknown";
}

/* A bounded writer: counts what it would write, stores what fits. */
struct lw {
	char *buf;
	size_t size;
	size_t pos;
};

static void lw_putn(struct lw *w, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, w->pos++)
		if (w->pos + 1 < w->size)
			w->buf[w->pos] = s[i];
}

static void lw_puts(struct lw *w, const char *s)
{
	lw_putn(w, s, strlen(s));
}

/* s escaped as np_escape() does with flags. */
static void lw_escape(struct lw *w, const char *s, unsigned int flags)
{
	char u[NP__ESCAPE_UNIT_MAX];
	size_t i = 0, n = strlen(s), m;

	while (i < n) {
		i += np__escape_unit(s + i, n - i, flags, u, &m);
		lw_putn(w, u, m);
	}
}

/*
 * Text that came from outside (pod names given to attach, policy names):
 * a control character (C0, DEL or C1) would let it forge log lines, so it
 * becomes '?'; invalid UTF-8 becomes U+FFFD (np_escape(), LOSSY).
 */
static void lw_puts_safe(struct lw *w, const char *s)
{
	lw_escape(w, s, NP_ESCAPE_TEXT | NP_ESCAPE_LOSSY);
}

static void lw_printf(struct lw *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void lw_printf(struct lw *w, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		lw_putn(w, tmp,
			(size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A JSON string, quoted and escaped (np_escape(), JSON). */
static void lw_json_str(struct lw *w, const char *s)
{
	lw_putn(w, "\"", 1);
	lw_escape(w, s, NP_ESCAPE_JSON);
	lw_putn(w, "\"", 1);
}

/*
 * "TCP", "UDP", "SCTP" (np_protocol_name()), "ICMP", "ICMPv6"; the number
 * for others, in tmp.
 */
static const char *proto_name(uint8_t proto, char tmp[4])
{
	const char *s = np_protocol_name((enum np_protocol)proto);

	if (s)
		return s;
	switch (proto) {
	case 1:
		return "ICMP";
	case 58:
		return "ICMPv6";
	}
	snprintf(tmp, 4, "%u", proto);
	return tmp;
}

/* RFC 3339, UTC, milliseconds: "2023-05-30T16:05:32.573Z". */
static void rfc3339(uint64_t ns, char out[64])
{
	time_t sec = (time_t)(ns / 1000000000ull);
	unsigned int ms = (unsigned int)(ns % 1000000000ull / 1000000ull);
	struct tm tm;

	if (!gmtime_r(&sec, &tm)) {
		snprintf(out, 64, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ms);
}

static const char *dir_name(enum np_direction d)
{
	return np_direction_name(d == NP_DIRECTION_EGRESS ?
					 NP_DIRECTION_EGRESS :
					 NP_DIRECTION_INGRESS);
}

static bool known(const char *s)
{
	return s && *s;
}

static void format_json(struct lw *w, const struct np_event *ev, const char *ts,
			const char *proto)
{
	lw_puts(w, "{\"level\":\"info\",\"timestamp\":\"");
	lw_puts(w, ts);
	lw_puts(w, "\",\"logger\":\"ebpf-client\",\"msg\":\"Flow Info: \","
		   "\"Src IP\":");
	lw_json_str(w, ev->src_text);
	lw_printf(w, ",\"Src Port\":%u,\"Dest IP\":", ev->sport);
	lw_json_str(w, ev->dst_text);
	lw_printf(w, ",\"Dest Port\":%u,\"Proto\":", ev->dport);
	lw_json_str(w, proto);
	lw_puts(w, ev->allowed ? ",\"Verdict\":\"ACCEPT\"" :
				 ",\"Verdict\":\"DENY\"");
	if (known(ev->pod_ns) || known(ev->pod_name)) {
		lw_puts(w, ",\"Namespace\":");
		lw_json_str(w, ev->pod_ns ? ev->pod_ns : "");
		lw_puts(w, ",\"Pod\":");
		lw_json_str(w, ev->pod_name ? ev->pod_name : "");
	}
	lw_printf(w, ",\"Direction\":\"%s\",\"Reason\":\"%s\"",
		  dir_name(ev->direction), reason_name(ev->reason));
	if (ev->ruleset)
		lw_printf(w, ",\"Rule Set\":%" PRIu32, ev->ruleset);
	if (ev->rule_cidr[0]) {
		lw_puts(w, ",\"Rule\":");
		lw_json_str(w, ev->rule_cidr);
	}
	if (known(ev->policies)) {
		lw_puts(w, ",\"Policy\":");
		lw_json_str(w, ev->policies);
	}
	if (np_tier_name(ev->tier) && ev->tier != NP_TIER_UNKNOWN)
		lw_printf(w, ",\"Tier\":\"%s\"", np_tier_name(ev->tier));
	lw_puts(w, "}");
}

static void text_endpoint(struct lw *w, const struct np_event *ev,
			  const char *addr, uint16_t port)
{
	if (ev->family == 6)
		lw_printf(w, "[%s]:%u", addr, port);
	else
		lw_printf(w, "%s:%u", addr, port);
}

static void format_text(struct lw *w, const struct np_event *ev, const char *ts,
			const char *proto)
{
	lw_printf(w, "%s %s %s ", ts, ev->allowed ? "ALLOW" : "DENY",
		  dir_name(ev->direction));
	if (known(ev->pod_ns) || known(ev->pod_name)) {
		lw_puts_safe(w, known(ev->pod_ns) ? ev->pod_ns : "-");
		lw_puts(w, "/");
		lw_puts_safe(w, known(ev->pod_name) ? ev->pod_name : "-");
	} else {
		lw_printf(w, "ifindex:%u", ev->ifindex);
	}
	lw_puts(w, " ");
	text_endpoint(w, ev, ev->src_text, ev->sport);
	lw_puts(w, " > ");
	text_endpoint(w, ev, ev->dst_text, ev->dport);
	lw_printf(w, " %s %s", proto, reason_name(ev->reason));
	if (ev->rule_cidr[0])
		lw_printf(w, " rule %s", ev->rule_cidr);
	if (known(ev->policies)) {
		lw_puts(w, " policy ");
		lw_puts_safe(w, ev->policies);
	}
	if (np_tier_name(ev->tier) && ev->tier != NP_TIER_UNKNOWN)
		lw_printf(w, " tier %s", np_tier_name(ev->tier));
}

NP_API int np_event_format(const struct np_event *ev, enum np_format format,
			   char *buf, size_t size, size_t *len)
{
	struct lw w = { .buf = buf, .size = size };
	char ts[64], num[4];
	const char *proto;

	if (!ev || (!buf && size) ||
	    (format != NP_FORMAT_JSON && format != NP_FORMAT_TEXT))
		return -EINVAL;
	rfc3339(ev->time_ns, ts);
	proto = proto_name(ev->protocol, num);
	if (format == NP_FORMAT_JSON)
		format_json(&w, ev, ts, proto);
	else
		format_text(&w, ev, ts, proto);
	if (size)
		buf[w.pos < size ? w.pos : size - 1] = '\0';
	if (len)
		*len = w.pos;
	return w.pos < size ? 0 : -E2BIG;
}
