/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Failed calls: one message for a person and one exit code for a script. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus-errors.h"
#include "ctl.h"

static bool is_any(const sd_bus_error *e, const char *const *names)
{
	for (; *names; names++)
		if (sd_bus_error_has_name(e, *names))
			return true;
	return false;
}

static const char *const not_found[] = {
	TBS_BUS_ERROR_NO_SUCH_PEER,
	TBS_BUS_ERROR_NO_SUCH_STREAM,
	SD_BUS_ERROR_UNKNOWN_OBJECT,
	NULL,
};
static const char *const denied[] = {
	SD_BUS_ERROR_ACCESS_DENIED,
	SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
	NULL,
};
static const char *const no_daemon[] = {
	SD_BUS_ERROR_SERVICE_UNKNOWN,
	SD_BUS_ERROR_NAME_HAS_NO_OWNER,
	NULL,
};
static const char *const usage[] = {
	TBS_BUS_ERROR_INVALID_NAME,
	TBS_BUS_ERROR_INVALID_ARGUMENT,
	TBS_BUS_ERROR_UNKNOWN_OPTION,
	SD_BUS_ERROR_INVALID_ARGS,
	NULL,
};

int ctl_exit_code(const sd_bus_error *error, int r)
{
	if (error && sd_bus_error_is_set(error)) {
		if (is_any(error, not_found))
			return CTL_EXIT_NOT_FOUND;
		if (is_any(error, denied))
			return CTL_EXIT_DENIED;
		if (is_any(error, no_daemon))
			return CTL_EXIT_NO_DAEMON;
		if (is_any(error, usage))
			return CTL_EXIT_USAGE;
		return CTL_EXIT_FAILURE;
	}
	/* transport errors without a D-Bus error: the bus itself went away */
	if (r == -ECONNRESET || r == -ENOTCONN || r == -ECONNREFUSED)
		return CTL_EXIT_NO_DAEMON;
	return CTL_EXIT_FAILURE;
}

int ctl_fail(const char *what, const sd_bus_error *error, int r)
{
	int code = ctl_exit_code(error, r);

	if (!error || !sd_bus_error_is_set(error))
		fprintf(stderr, "tbstreamctl: %s: %s\n", what, strerror(r < 0 ? -r : EIO));
	else if (code == CTL_EXIT_NO_DAEMON)
		fprintf(stderr,
			"tbstreamctl: %s: tbstreamd is not running (no %s on the system bus)\n",
			what, TBS_BUS_NAME);
	else if (sd_bus_error_has_name(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
		fprintf(stderr,
			"tbstreamctl: %s: %s\n"
			"Authentication is required, but asking for a password was not allowed "
			"(--no-ask-password, or no terminal).\n",
			what, error->message ? error->message : "authorization required");
	else
		fprintf(stderr, "tbstreamctl: %s: %s\n", what,
			error->message ? error->message : error->name);
	return code;
}
