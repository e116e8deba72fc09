/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Talking to tbstreamd: the connection and the calls that change its state. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bus-errors.h"
#include "bus.h"
#include "polkit-agent.h"

/* A person typing a password needs longer than sd-bus's default 25 s. */
#define INTERACTIVE_TIMEOUT_USEC (5 * 60 * 1000000ULL)

int ctl_connect(Ctl *c)
{
	int r;

	if (c->bus)
		return 0;
	r = sd_bus_open_system(&c->bus);
	if (r < 0) {
		fprintf(stderr, "tbstreamctl: Cannot connect to the system bus: %s\n",
			strerror(-r));
		return CTL_EXIT_NO_DAEMON;
	}
	/* without the flag the daemon answers InteractiveAuthorizationRequired instead of asking */
	(void)sd_bus_set_allow_interactive_authorization(c->bus, c->ask_password);
	/* turn the daemon's error names back into errnos for messages */
	(void)sd_bus_error_add_map(tbs_bus_error_map);
	return 0;
}

void ctl_agent_open(Ctl *c)
{
	if (c->ask_password && c->agent_pid <= 0)
		c->agent_pid = polkit_agent_open();
}

void ctl_agent_close(Ctl *c)
{
	polkit_agent_close(c->agent_pid);
	c->agent_pid = 0;
}

static uint64_t call_timeout(const Ctl *c)
{
	return c->agent_pid > 0 ? INTERACTIVE_TIMEOUT_USEC : 0;
}

int ctl_call_message(Ctl *c, const char *what, sd_bus_message *m, sd_bus_message **reply)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	ctl_agent_open(c);
	r = sd_bus_call(c->bus, m, call_timeout(c), &error, reply);
	ctl_agent_close(c);
	return r < 0 ? ctl_fail(what, &error, r) : 0;
}

int ctl_call(Ctl *c, const char *what, sd_bus_message **reply, const char *member,
	     const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(c->bus, &m, TBS_BUS_NAME, TBS_BUS_PATH,
					   TBS_IFACE_MANAGER, member);
	if (r >= 0 && types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r < 0)
		return ctl_fail(what, NULL, r);
	return ctl_call_message(c, what, m, reply);
}

int ctl_set_property(Ctl *c, const char *what, const char *path, const char *iface,
		     const char *prop, const char *type, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(c->bus, &m, TBS_BUS_NAME, path,
					   "org.freedesktop.DBus.Properties", "Set");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", iface, prop);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', type);
	if (r >= 0) {
		va_start(ap, type);
		r = sd_bus_message_appendv(m, type, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0)
		return ctl_fail(what, NULL, r);
	return ctl_call_message(c, what, m, NULL);
}

int ctl_get_all(Ctl *c, const char *what, const char *path, const char *iface, Value **ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_call_method(c->bus, TBS_BUS_NAME, path, "org.freedesktop.DBus.Properties",
			       "GetAll", &error, &reply, "s", iface);
	if (r < 0)
		return ctl_fail(what, &error, r);
	r = value_read(reply, ret);
	return r < 0 ? ctl_fail(what, NULL, r) : 0;
}
