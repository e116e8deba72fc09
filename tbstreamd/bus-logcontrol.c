/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * org.freedesktop.LogControl1, as every systemd daemon has it, so that
 * `systemctl service-log-level tbstreamd debug` works without a restart.
 *
 * The setters carry no SD_BUS_VTABLE_UNPRIVILEGED flag on purpose: sd-bus then
 * lets only callers with CAP_SYS_ADMIN (or our own uid) write them, the same
 * rule systemd's daemons rely on; polkit is not involved.
 */
#include <errno.h>

#include "bus-private.h"
#include "log.h"

#define LOG_CONTROL_PATH "/org/freedesktop/LogControl1"
#define LOG_CONTROL_IFACE "org.freedesktop.LogControl1"

static int get_log_level(sd_bus *bus, const char *path, const char *interface, const char *property,
			 sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", tbs_log_level_to_string(tbs_log_get_max_level()));
}

static int set_log_level(sd_bus *bus, const char *path, const char *interface, const char *property,
			 sd_bus_message *value, void *userdata, sd_bus_error *error)
{
	const char *s;
	int r, level;

	r = sd_bus_message_read(value, "s", &s);
	if (r < 0)
		return r;
	level = tbs_log_parse_level(s);
	if (level < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Unknown log level \"%s\" (emerg, alert, crit, err, "
					 "warning, notice, info or debug)",
					 s);
	log_info("Log level set to %s over D-Bus", tbs_log_level_to_string(level));
	tbs_log_set_max_level(level);
	return 0;
}

static int get_log_target(sd_bus *bus, const char *path, const char *interface,
			  const char *property, sd_bus_message *reply, void *userdata,
			  sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", tbs_log_target_to_string(tbs_log_get_target()));
}

static int set_log_target(sd_bus *bus, const char *path, const char *interface,
			  const char *property, sd_bus_message *value, void *userdata,
			  sd_bus_error *error)
{
	const char *s;
	int r, t;

	r = sd_bus_message_read(value, "s", &s);
	if (r < 0)
		return r;
	t = tbs_log_parse_target(s);
	if (t < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Unsupported log target \"%s\" (auto, journal, console or "
					 "null)",
					 s);
	log_info("Log target set to %s over D-Bus", tbs_log_target_to_string(t));
	tbs_log_set_target(t);
	return 0;
}

static int get_syslog_identifier(sd_bus *bus, const char *path, const char *interface,
				 const char *property, sd_bus_message *reply, void *userdata,
				 sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", "tbstreamd");
}

static const sd_bus_vtable log_control_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_WRITABLE_PROPERTY("LogLevel", "s", get_log_level, set_log_level, 0, 0),
	SD_BUS_WRITABLE_PROPERTY("LogTarget", "s", get_log_target, set_log_target, 0, 0),
	SD_BUS_PROPERTY("SyslogIdentifier", "s", get_syslog_identifier, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

int bus_log_control_add(sd_bus *bus)
{
	return sd_bus_add_object_vtable(bus, NULL, LOG_CONTROL_PATH, LOG_CONTROL_IFACE,
					log_control_vtable, NULL);
}
