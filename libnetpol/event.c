// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Flow events, decoded: names and formatting. No kernel access here, so
 * it builds (and is tested) without the datapath too.
 */
#include "netpol/datapath.h"
#include "util.h"

const char *np_event_reason_name(enum np_event_reason reason)
{
	switch (reason) {
	case NP_EVENT_ALLOW_RULE:
		return "ALLOW_RULE";
	case NP_EVENT_ALLOW_DEFAULT:
		return "ALLOW_DEFAULT";
	case NP_EVENT_ALLOW_UNISOLATED:
		return "ALLOW_UNISOLATED";
	case NP_EVENT_ALLOW_NODE:
		return "ALLOW_NODE";
	case NP_EVENT_ALLOW_CONNTRACK:
		return "ALLOW_CONNTRACK";
	case NP_EVENT_ALLOW_RELATED:
		return "ALLOW_RELATED";
	case NP_EVENT_DENY_NO_MATCH:
		return "DENY_NO_MATCH";
	case NP_EVENT_DENY_PORT:
		return "DENY_PORT";
	case NP_EVENT_DENY_STRICT_DEFAULT:
		return "DENY_STRICT_DEFAULT";
	case NP_EVENT_DENY_MALFORMED:
		return "DENY_MALFORMED";
	case NP_EVENT_DENY_FRAGMENT:
		return "DENY_FRAGMENT";
	}
	return "UNKNOWN";
}
