/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probe-util.h: what the one-operation-per-argument probes share: errno
 * names (tests compare "EINVAL", never strerror text) and short sleeps.
 */
#ifndef TBSTREAM_PROBE_UTIL_H
#define TBSTREAM_PROBE_UTIL_H

#define _GNU_SOURCE
#include <string.h>
#include <time.h>

static inline const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static inline void msleep(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

#endif /* TBSTREAM_PROBE_UTIL_H */
