/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names of the public enums, both ways: protocol, direction and the
 * verdict reason (common.h),
 * datapath mode, pod state, hook state and conntrack state (datapath.h),
 * the tier that decided a verdict (common.h).
 * Every name function returns a static string, or NULL for a value that is
 * not the enum's; every parse function returns 0 or -EINVAL.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "netpol/common.h"
#include "netpol/datapath.h"
#include "util.h"

NP_API const char *np_protocol_name(enum np_protocol p)
{
	switch (p) {
	case NP_PROTOCOL_TCP:
		return "TCP";
	case NP_PROTOCOL_UDP:
		return "UDP";
	case NP_PROTOCOL_SCTP:
		return "SCTP";
	}
	return NULL;
}

NP_API int np_protocol_parse(const char *s, enum np_protocol *out)
{
	static const enum np_protocol all[] = { NP_PROTOCOL_TCP,
						NP_PROTOCOL_UDP,
						NP_PROTOCOL_SCTP };
	size_t i;

	if (!s || !out)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (!strcasecmp(s, np_protocol_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	return -EINVAL;
}

NP_API const char *np_direction_name(enum np_direction d)
{
	switch (d) {
	case NP_DIRECTION_INGRESS:
		return "ingress";
	case NP_DIRECTION_EGRESS:
		return "egress";
	}
	return NULL;
}

NP_API int np_direction_parse(const char *s, enum np_direction *out)
{
	if (!s || !out)
		return -EINVAL;
	if (!strcmp(s, "ingress"))
		*out = NP_DIRECTION_INGRESS;
	else if (!strcmp(s, "egress"))
		*out = NP_DIRECTION_EGRESS;
	else
		return -EINVAL;
	return 0;
}

NP_API const char *np_reason_name(enum np_reason r)
{
	switch (r) {
	case NP_REASON_RULE:
		return "rule";
	case NP_REASON_NOT_ISOLATED:
		return "not-isolated";
	case NP_REASON_NODE:
		return "node";
	case NP_REASON_SELF:
		return "self";
	case NP_REASON_NO_MATCH:
		return "no-match";
	case NP_REASON_EXCEPT:
		return "except";
	case NP_REASON_PORT:
		return "port";
	case NP_REASON_DEFAULT_ALLOW:
		return "default-allow";
	case NP_REASON_DEFAULT_DENY:
		return "default-deny";
	case NP_REASON_CONNTRACK:
		return "conntrack";
	case NP_REASON_RELATED:
		return "related";
	case NP_REASON_MALFORMED:
		return "malformed";
	case NP_REASON_FRAGMENT:
		return "fragment";
	case NP_REASON_UNENFORCEABLE:
		return "unenforceable";
	case NP_REASON_REVOKED:
		return "revoked";
	case NP_REASON_SPOOFED:
		return "spoofed";
	}
	return NULL;
}

NP_API const char *np_mode_name(enum np_mode m)
{
	switch (m) {
	case NP_MODE_STANDARD:
		return "standard";
	case NP_MODE_STRICT:
		return "strict";
	}
	return NULL;
}

NP_API const char *np_pod_state_name(enum np_pod_state s)
{
	switch (s) {
	case NP_POD_DEFAULT_ALLOW:
		return "default-allow";
	case NP_POD_DEFAULT_DENY:
		return "default-deny";
	case NP_POD_ENFORCED:
		return "enforced";
	case NP_POD_UNISOLATED:
		return "unisolated";
	case NP_POD_FAIL_CLOSED:
		return "fail-closed";
	}
	return NULL;
}

NP_API const char *np_hook_state_name(enum np_hook_state s)
{
	switch (s) {
	case NP_HOOK_OK:
		return "ok";
	case NP_HOOK_MISSING:
		return "missing";
	case NP_HOOK_STALE:
		return "stale";
	case NP_HOOK_NO_DEVICE:
		return "no-device";
	case NP_HOOK_PRECEDED:
		return "preceded";
	}
	return NULL;
}

NP_API const char *np_hook_kind_name(enum np_hook_kind k)
{
	switch (k) {
	case NP_HOOK_KIND_NONE:
		return "none";
	case NP_HOOK_KIND_TC:
		return "tc";
	case NP_HOOK_KIND_TCX:
		return "tcx";
	}
	return NULL;
}

NP_API const char *np_conn_state_name(enum np_conn_state s)
{
	switch (s) {
	case NP_CONN_NEW:
		return "new";
	case NP_CONN_ESTABLISHED:
		return "established";
	case NP_CONN_CLOSING:
		return "closing";
	}
	return NULL;
}

NP_API const char *np_tier_name(enum np_tier tier)
{
	switch (tier) {
	case NP_TIER_UNKNOWN:
		return "UNKNOWN";
	case NP_TIER_ADMIN:
		return "ADMIN";
	case NP_TIER_NETWORK_POLICY:
		return "NETWORK_POLICY";
	case NP_TIER_BASELINE:
		return "BASELINE";
	case NP_TIER_DEFAULT:
		return "DEFAULT";
	}
	return NULL;
}
