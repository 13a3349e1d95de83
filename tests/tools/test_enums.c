/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The public enum names the netpol tool prints (np_protocol_name() and
 * the others of enums.c), and np_datapath_open()'s existing_only mode on
 * a pin root without a datapath: what the tool's inspection commands use
 * instead of reading pin files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <netpol.h>

Test(enums, protocol_name)
{
	cr_expect_str_eq(np_protocol_name(NP_PROTOCOL_TCP), "TCP");
	cr_expect_str_eq(np_protocol_name(NP_PROTOCOL_UDP), "UDP");
	cr_expect_str_eq(np_protocol_name(NP_PROTOCOL_SCTP), "SCTP");
	/* the enum is the IP protocol number: ICMP is not one of its */
	cr_expect_null(np_protocol_name((enum np_protocol)1));
	cr_expect_null(np_protocol_name((enum np_protocol)58));
	cr_expect_null(np_protocol_name((enum np_protocol)0));
}

Test(enums, protocol_parse)
{
	enum np_protocol p = NP_PROTOCOL_SCTP;

	cr_expect_eq(np_protocol_parse("TCP", &p), 0);
	cr_expect_eq(p, NP_PROTOCOL_TCP);
	cr_expect_eq(np_protocol_parse("udp", &p), 0);
	cr_expect_eq(p, NP_PROTOCOL_UDP);
	cr_expect_eq(np_protocol_parse("Sctp", &p), 0);
	cr_expect_eq(p, NP_PROTOCOL_SCTP);
	cr_expect_eq(np_protocol_parse("ICMP", &p), -EINVAL);
	cr_expect_eq(np_protocol_parse("", &p), -EINVAL);
	cr_expect_eq(np_protocol_parse("TCPX", &p), -EINVAL);
	cr_expect_eq(np_protocol_parse("6", &p), -EINVAL);
	cr_expect_eq(p, NP_PROTOCOL_SCTP, "unchanged on failure");
	cr_expect_eq(np_protocol_parse(NULL, &p), -EINVAL);
	cr_expect_eq(np_protocol_parse("TCP", NULL), -EINVAL);
}

Test(enums, direction)
{
	enum np_direction d = NP_DIRECTION_EGRESS;

	cr_expect_str_eq(np_direction_name(NP_DIRECTION_INGRESS), "ingress");
	cr_expect_str_eq(np_direction_name(NP_DIRECTION_EGRESS), "egress");
	cr_expect_null(np_direction_name((enum np_direction)2));
	cr_expect_eq(np_direction_parse("ingress", &d), 0);
	cr_expect_eq(d, NP_DIRECTION_INGRESS);
	cr_expect_eq(np_direction_parse("egress", &d), 0);
	cr_expect_eq(d, NP_DIRECTION_EGRESS);
	cr_expect_eq(np_direction_parse("Ingress", &d), -EINVAL);
	cr_expect_eq(np_direction_parse("in", &d), -EINVAL);
	cr_expect_eq(d, NP_DIRECTION_EGRESS, "unchanged on failure");
	cr_expect_eq(np_direction_parse(NULL, &d), -EINVAL);
	cr_expect_eq(np_direction_parse("egress", NULL), -EINVAL);
}

Test(enums, reason)
{
	static const char *const want[] = {
		"rule",		"not-isolated",	 "node",    "self",
		"no-match",	"except",	 "port",    "default-allow",
		"default-deny", "conntrack",	 "related", "malformed",
		"fragment",	"unenforceable", "revoked", "spoofed",
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_str_eq(np_reason_name((enum np_reason)i), want[i]);
	cr_expect_eq(NP_REASON_SPOOFED + 1, (int)i, "one name per reason");
	cr_expect_null(np_reason_name((enum np_reason)i));
	cr_expect_null(np_reason_name((enum np_reason) - 1));
}

Test(enums, tier)
{
	/* the EKS agent's numbers and names */
	cr_expect_eq(NP_TIER_UNKNOWN, 0);
	cr_expect_eq(NP_TIER_ADMIN, 1);
	cr_expect_eq(NP_TIER_NETWORK_POLICY, 2);
	cr_expect_eq(NP_TIER_BASELINE, 3);
	cr_expect_eq(NP_TIER_DEFAULT, 4);
	cr_expect_str_eq(np_tier_name(NP_TIER_UNKNOWN), "UNKNOWN");
	cr_expect_str_eq(np_tier_name(NP_TIER_ADMIN), "ADMIN");
	cr_expect_str_eq(np_tier_name(NP_TIER_NETWORK_POLICY),
			 "NETWORK_POLICY");
	cr_expect_str_eq(np_tier_name(NP_TIER_BASELINE), "BASELINE");
	cr_expect_str_eq(np_tier_name(NP_TIER_DEFAULT), "DEFAULT");
	cr_expect_null(np_tier_name((enum np_tier)5));
	cr_expect_null(np_tier_name((enum np_tier) - 1));
}

Test(enums, mode)
{
	cr_expect_str_eq(np_mode_name(NP_MODE_STANDARD), "standard");
	cr_expect_str_eq(np_mode_name(NP_MODE_STRICT), "strict");
	cr_expect_null(np_mode_name((enum np_mode)2));
}

Test(enums, pod_state)
{
	cr_expect_str_eq(np_pod_state_name(NP_POD_DEFAULT_ALLOW),
			 "default-allow");
	cr_expect_str_eq(np_pod_state_name(NP_POD_DEFAULT_DENY),
			 "default-deny");
	cr_expect_str_eq(np_pod_state_name(NP_POD_ENFORCED), "enforced");
	cr_expect_str_eq(np_pod_state_name(NP_POD_UNISOLATED), "unisolated");
	cr_expect_str_eq(np_pod_state_name(NP_POD_FAIL_CLOSED), "fail-closed");
	cr_expect_null(np_pod_state_name((enum np_pod_state)5));
}

Test(enums, hook_state)
{
	cr_expect_str_eq(np_hook_state_name(NP_HOOK_OK), "ok");
	cr_expect_str_eq(np_hook_state_name(NP_HOOK_MISSING), "missing");
	cr_expect_str_eq(np_hook_state_name(NP_HOOK_STALE), "stale");
	cr_expect_str_eq(np_hook_state_name(NP_HOOK_NO_DEVICE), "no-device");
	cr_expect_str_eq(np_hook_state_name(NP_HOOK_PRECEDED), "preceded");
	cr_expect_null(np_hook_state_name((enum np_hook_state)5));
	cr_expect_null(np_hook_state_name((enum np_hook_state) - 1));
}

Test(enums, hook_kind)
{
	cr_expect_str_eq(np_hook_kind_name(NP_HOOK_KIND_NONE), "none");
	cr_expect_str_eq(np_hook_kind_name(NP_HOOK_KIND_TC), "tc");
	cr_expect_str_eq(np_hook_kind_name(NP_HOOK_KIND_TCX), "tcx");
	cr_expect_null(np_hook_kind_name((enum np_hook_kind)3));
	cr_expect_null(np_hook_kind_name((enum np_hook_kind) - 1));
}

Test(enums, conn_state)
{
	cr_expect_str_eq(np_conn_state_name(NP_CONN_NEW), "new");
	cr_expect_str_eq(np_conn_state_name(NP_CONN_ESTABLISHED),
			 "established");
	cr_expect_str_eq(np_conn_state_name(NP_CONN_CLOSING), "closing");
	cr_expect_null(np_conn_state_name((enum np_conn_state)3));
}

static size_t entries(const char *dir)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* No datapath loaded: -ENOENT, and nothing created or pinned. */
Test(enums, datapath_open_existing_only_none)
{
	char root[] = "/tmp/np-existing-XXXXXX", sub[64];
	NP_OPTS(np_datapath_opts, o, .pin_root = root, .existing_only = true);
	struct np_datapath *dp = (struct np_datapath *)1;
	int err;

	cr_assert_not_null(mkdtemp(root));
	err = np_datapath_open(&dp, &o);
	cr_expect_eq(err, -ENOENT, "%s", np_strerror(err));
	cr_expect_null(dp);
	cr_expect_eq(entries(root), 0);

	snprintf(sub, sizeof(sub), "%s/absent", root);
	o.pin_root = sub;
	err = np_datapath_open(&dp, &o);
	cr_expect_eq(err, -ENOENT, "%s", np_strerror(err));
	cr_expect_null(dp);
	cr_expect_neq(access(sub, F_OK), 0, "the pin root was created");
	cr_expect_eq(entries(root), 0);
	rmdir(root);
}
