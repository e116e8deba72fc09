/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-errors.h"

/*
 * One name per errno the core returns. The first entry for an errno is the one
 * the daemon sends; a few names share an errno so clients see the errno they
 * would have seen locally (e.g. InvalidName and InvalidArgument are both EINVAL).
 */
const sd_bus_error_map tbs_bus_error_map[] = {
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_NO_SUCH_PEER, ENOENT),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_NO_SUCH_STREAM, ENOENT),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_INVALID_NAME, EINVAL),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_UNKNOWN_OPTION, EINVAL),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_NOT_CONNECTED, ENOTCONN),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_EXISTS, EEXIST),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_NO_KERNEL_SUPPORT, ENODEV),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_NOT_ATTACHED, ENXIO),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_NOT_READY, EAGAIN),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_BUSY, EBUSY),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_NOT_OURS, EPERM),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_TOO_MANY, ENOSPC),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_TIMEOUT, ETIMEDOUT),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_STREAM_FAILED, EIO),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_STREAM_REMOVED, ECANCELED),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_NOT_SUPPORTED, EOPNOTSUPP),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_POLICY_INVALID, EBADMSG),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_TOO_MANY_WATCHERS, EUSERS),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_NOT_WATCHING, ESRCH),
	SD_BUS_ERROR_MAP(TBS_BUS_ERROR_FAILED, EIO),
	SD_BUS_ERROR_MAP_END,
};

const char *tbs_bus_error_name(int error)
{
	error = abs(error);
	if (error == ENAMETOOLONG)
		return TBS_BUS_ERROR_INVALID_NAME;
	for (const sd_bus_error_map *e = tbs_bus_error_map; e->name; e++)
		if (e->code == error)
			return e->name;
	return TBS_BUS_ERROR_FAILED;
}

static int error_setv(sd_bus_error *e, const char *name, int error, const char *format, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int error_setv(sd_bus_error *e, const char *name, int error, const char *format, va_list ap)
{
	char *msg = NULL;

	if (vasprintf(&msg, format, ap) < 0)
		return sd_bus_error_set_errno(e, -ENOMEM);
	sd_bus_error_set(e, name, msg);
	free(msg);
	return -abs(error);
}

int tbs_bus_error_set(sd_bus_error *e, int error, const char *format, ...)
{
	va_list ap;
	int r;

	va_start(ap, format);
	r = error_setv(e, tbs_bus_error_name(error), error, format, ap);
	va_end(ap);
	return r;
}

int tbs_bus_error_set_name(sd_bus_error *e, const char *name, int error, const char *format, ...)
{
	va_list ap;
	int r;

	va_start(ap, format);
	r = error_setv(e, name, error, format, ap);
	va_end(ap);
	return r;
}
