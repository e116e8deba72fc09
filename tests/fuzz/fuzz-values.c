/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's value parsers under libFuzzer: everything that reads a string
 * from a policy file, a D-Bus argument or sysfs (stream names, UUIDs, group
 * and XDomain names, HopIDs, numbers, booleans, durations, link speeds, modes,
 * peer-supplied names).  Each accepted value must be one the daemon can use
 * as is; each parser that has a canonical form must accept its own output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "policy.h"
#include "util.h"

static void check_uuid(const char *s)
{
	char out[37], again[37];

	if (tbs_uuid_normalize(s, out) < 0)
		return;
	if (strlen(out) != 36 || tbs_uuid_normalize(out, again) < 0 || strcmp(out, again))
		abort();
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? out[i] != '-' : !strchr("0123456789abcdef", out[i]))
			abort();
	}
}

static void check_names(const char *s)
{
	unsigned domain, svc;
	uint64_t route;

	if (tbs_stream_name_is_valid(s)) {
		size_t len = strlen(s);

		/* a ConfigFS directory name and an XDomain property key */
		if (len < 1 || len > TBS_STREAM_NAME_MAX || strchr(s, '/') || !strcmp(s, ".") ||
		    !strcmp(s, ".."))
			abort();
	}
	if (tbs_group_name_parse(s, &domain, &route, &svc) == 0) {
		g_autofree char *back = g_strdup_printf("%u-%" G_GINT64_MODIFIER "x.%u", domain,
							(guint64)route, svc);
		unsigned d2, s2;
		uint64_t r2;

		if (tbs_group_name_parse(back, &d2, &r2, &s2) || d2 != domain || r2 != route ||
		    s2 != svc)
			abort();
	}
	if (tbs_xdomain_name_parse(s, &domain, &route) == 0) {
		g_autofree char *back =
			g_strdup_printf("%u-%" G_GINT64_MODIFIER "x", domain, (guint64)route);
		unsigned d2;
		uint64_t r2;

		if (tbs_xdomain_name_parse(back, &d2, &r2) || d2 != domain || r2 != route)
			abort();
	}
}

static void check_numbers(const char *s)
{
	TbsHopIdMode mode;
	TbsUnplugAction unplug;
	int in = 0, out = 0;
	long l;
	bool b;
	uint64_t usec;
	unsigned speed;
	mode_t m;

	if (tbs_policy_parse_hopids(s, &mode, &in, &out) == 0 && mode == TBS_HOPIDS_FIXED &&
	    (in < 8 || in > 2047 || out < 8 || out > 2047))
		abort();
	(void)tbs_policy_parse_unplug(s, &unplug);
	if (tbs_policy_parse_mode(s, &m) == 0 && (m & ~(mode_t)07777))
		abort();
	if (tbs_parse_long(s, -5, 5, &l) == 0 && (l < -5 || l > 5))
		abort();
	(void)tbs_parse_bool(s, &b);
	if (tbs_parse_seconds(s, 3600, &usec) == 0 && usec > 3600ull * 1000000)
		abort();
	(void)tbs_parse_speed(s, &speed);
}

static void check_sanitize(const uint8_t *data, size_t size)
{
	g_autofree char *clean = tbs_sanitize_string((const char *)data, size, TBS_PEER_STRING_MAX);
	g_autofree char *twice = NULL;
	size_t len;

	if (!clean)
		abort();
	len = strlen(clean);
	if (len > TBS_PEER_STRING_MAX || !g_utf8_validate(clean, -1, NULL))
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)clean[i] < 0x20 || clean[i] == 0x7f)
			abort();
	/* what is already clean stays as it is */
	twice = tbs_sanitize_string(clean, len, TBS_PEER_STRING_MAX);
	if (!twice || strcmp(clean, twice))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *s = g_strndup((const char *)data, size);

	check_uuid(s);
	check_names(s);
	check_numbers(s);
	check_sanitize(data, size);
	return 0;
}
