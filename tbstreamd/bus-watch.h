/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <systemd/sd-bus.h>

/*
 * Watch a bus name until it leaves, without a round trip on the event loop.
 * sd_bus_track_add_name() asks the bus daemon with a synchronous GetNameOwner
 * (systemd's sd_bus_get_name_creds() with mask 0, unique names included):
 * a slow or busy dbus-daemon then stalls every other caller for up to the
 * call timeout. Here the NameOwnerChanged match and the GetNameOwner check
 * are both asynchronous; the match is sent first, so a name that leaves in
 * between is seen by one or the other.
 */

typedef struct TbsNameWatch TbsNameWatch;

/*
 * Called once: error 0 when the name left the bus (or was never on it), a
 * negative errno when it cannot be watched. The watch may be freed inside.
 */
typedef void (*TbsNameGone)(TbsNameWatch *w, int error, void *userdata);

int tbs_name_watch_new(sd_bus *bus, const char *name, TbsNameGone gone, void *userdata,
		       TbsNameWatch **ret);
TbsNameWatch *tbs_name_watch_free(TbsNameWatch *w);
const char *tbs_name_watch_name(const TbsNameWatch *w);
