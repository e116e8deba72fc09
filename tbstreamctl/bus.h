/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl.h"
#include "value.h"

/*
 * Calls to tbstreamd. Each returns 0 or an exit code, having printed
 * "tbstreamctl: <what>: <reason>". Calls that may need authorization run
 * the polkit agent around them.
 */
int ctl_call_message(Ctl *c, const char *what, sd_bus_message *m, sd_bus_message **reply);
/* A Manager method on the root object. */
int ctl_call(Ctl *c, const char *what, sd_bus_message **reply, const char *member,
	     const char *types, ...);
int ctl_set_property(Ctl *c, const char *what, const char *path, const char *iface,
		     const char *prop, const char *type, ...);
/* Properties.GetAll as a dictionary (no authorization involved). */
int ctl_get_all(Ctl *c, const char *what, const char *path, const char *iface, Value **ret);
