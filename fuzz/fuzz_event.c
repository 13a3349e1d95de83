// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Flow events as the agent logs them: np_event_format() on a struct
 * np_event whose every field comes from the input (numbers and enums of
 * any value, address texts and rule CIDR of any bytes, pod namespace, pod
 * name and policies of any length).
 *
 * The decoding of the ring buffer's struct np_flow_event into struct
 * np_event is static in datapath.c and needs a loaded datapath, so it is
 * not reached here; move it to event.c as a function of bytes to fuzz it.
 *
 * Checked: a line always fits NP_EVENT_LINE_MAX when the strings are
 * Kubernetes-sized and printable; JSON lines parse, and their string
 * fields come back as given; text lines hold no control character the
 * input did not; a short buffer gets the same line cut, NUL-terminated,
 * with the full length and -E2BIG.
 */
#include <jansson.h>

#include <netpol/datapath.h>

#include "fuzz.h"

/* Take n bytes of input (fewer at its end). */
static size_t take(const uint8_t **data, size_t *size, void *out, size_t n)
{
	if (n > *size)
		n = *size;
	memcpy(out, *data, n);
	*data += n;
	*size -= n;
	return n;
}

/* A NUL-terminated string of at most max bytes, up to the next NUL. */
static char *take_str(const uint8_t **data, size_t *size, size_t max)
{
	const uint8_t *nul = memchr(*data, '\0', *size);
	size_t n = nul ? (size_t)(nul - *data) : *size;
	char *s;

	if (n > max)
		n = max;
	s = malloc(n + 1);
	FZ_CHECK(s);
	memcpy(s, *data, n);
	s[n] = '\0';
	*data += n + (n < *size);
	*size -= n + (n < *size);
	return s;
}

static bool printable(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static void check_json(const char *line, const struct np_event *ev)
{
	json_error_t je;
	json_t *j = json_loads(line, 0, &je), *v;

	if (!j)
		fprintf(stderr, "not JSON: %s: %s\n", je.text, line);
	FZ_CHECK(j);
	FZ_CHECK(json_is_string(json_object_get(j, "Src IP")));
	FZ_CHECK(!strcmp(json_string_value(json_object_get(j, "Src IP")),
			 ev->src_text));
	FZ_CHECK(!strcmp(json_string_value(json_object_get(j, "Dest IP")),
			 ev->dst_text));
	FZ_CHECK(json_integer_value(json_object_get(j, "Src Port")) ==
		 ev->sport);
	v = json_object_get(j, "Pod");
	if (v)
		FZ_CHECK(!strcmp(json_string_value(v),
				 ev->pod_name ? ev->pod_name : ""));
	v = json_object_get(j, "Policy");
	if (v)
		FZ_CHECK(!strcmp(json_string_value(v), ev->policies));
	json_decref(j);
	FZ_TRACE("event: JSON checked\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char full[NP_EVENT_LINE_MAX], cut[NP_EVENT_LINE_MAX];
	char *ns, *name, *pol;
	struct np_event ev;
	size_t len, len2, small;
	uint8_t flags = 0;
	uint16_t sz = 0;
	int f, err;
	bool sane;

	memset(&ev, 0, sizeof(ev));
	take(&data, &size, &flags, 1);
	take(&data, &size, &sz, 2);
	take(&data, &size, &ev.time_ns, sizeof(ev.time_ns));
	take(&data, &size, &ev.mono_ns, sizeof(ev.mono_ns));
	take(&data, &size, &ev.ifindex, sizeof(ev.ifindex));
	take(&data, &size, &ev.direction, sizeof(ev.direction));
	take(&data, &size, &ev.family, sizeof(ev.family));
	take(&data, &size, ev.src, sizeof(ev.src));
	take(&data, &size, ev.dst, sizeof(ev.dst));
	take(&data, &size, ev.src_text, sizeof(ev.src_text) - 1);
	take(&data, &size, ev.dst_text, sizeof(ev.dst_text) - 1);
	take(&data, &size, &ev.sport, sizeof(ev.sport));
	take(&data, &size, &ev.dport, sizeof(ev.dport));
	take(&data, &size, &ev.protocol, sizeof(ev.protocol));
	ev.allowed = flags & 1;
	take(&data, &size, &ev.reason, sizeof(ev.reason));
	take(&data, &size, &ev.ruleset, sizeof(ev.ruleset));
	take(&data, &size, &ev.prefixlen, sizeof(ev.prefixlen));
	take(&data, &size, ev.rule_cidr, sizeof(ev.rule_cidr) - 1);
	take(&data, &size, &ev.length, sizeof(ev.length));
	/* Kubernetes sizes unless flag 2: namespace, name, np_verdict text */
	ns = take_str(&data, &size, flags & 2 ? 100000 : 63);
	name = take_str(&data, &size, flags & 2 ? 100000 : 253);
	pol = take_str(&data, &size, flags & 2 ? 100000 : 511);
	ev.pod_ns = flags & 4 ? NULL : ns;
	ev.pod_name = flags & 8 ? NULL : name;
	ev.policies = flags & 16 ? NULL : pol;
	sane = !(flags & 2) && printable(ev.src_text) &&
	       printable(ev.dst_text) && printable(ev.rule_cidr) &&
	       printable(ev.pod_ns) && printable(ev.pod_name) &&
	       printable(ev.policies);

	for (f = 0; f < 2; f++) {
		enum np_format fmt = f ? NP_FORMAT_TEXT : NP_FORMAT_JSON;

		memset(full, 0x5a, sizeof(full));
		err = np_event_format(&ev, fmt, full, sizeof(full), &len);
		FZ_CHECK(err == 0 || err == -E2BIG);
		FZ_CHECK(memchr(full, '\0', sizeof(full)));
		if (sane)
			FZ_CHECK(err == 0);
		if (err)
			continue;
		FZ_CHECK(strlen(full) == len);
		if (sane && fmt == NP_FORMAT_JSON)
			check_json(full, &ev);
		if (sane) {
			size_t i;

			for (i = 0; i < len; i++)
				FZ_CHECK((unsigned char)full[i] >= 0x20);
		}
		/* the same line into a short buffer: cut, terminated */
		small = sz % (len + 2);
		memset(cut, 0x5a, sizeof(cut));
		err = np_event_format(&ev, fmt, small ? cut : NULL, small,
				      &len2);
		FZ_CHECK(len2 == len);
		FZ_CHECK(err == (len < small ? 0 : -E2BIG));
		if (small) {
			size_t want = len < small ? len : small - 1;

			FZ_CHECK(strlen(cut) == want);
			FZ_CHECK(!strncmp(cut, full, strlen(cut)));
		}
	}
	FZ_CHECK(np_event_format(&ev, NP_FORMAT_YAML, full, sizeof(full),
				 NULL) == -EINVAL);
	FZ_CHECK(np_event_format(NULL, NP_FORMAT_JSON, full, sizeof(full),
				 NULL) == -EINVAL);
	free(ns);
	free(name);
	free(pol);
	return 0;
}
