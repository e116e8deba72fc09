/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "client.h"

/*
 * "Allow <computer>?": the enrollment profile (docs/dbus-api.md, Peer.Enroll)
 * in a person's terms: which streams to make whenever it is connected,
 * whether they stay when the cable is pulled, and whether only this user may
 * open them. Enroll on Allow; the daemon then makes the streams.
 */
void tbs_allow_dialog_present(GtkWidget *parent, TbsClient *c, GDBusProxy *peer);
/*
 * "a, b c" -> {"a", "b", "c"}: names split at commas and spaces, empty ones
 * dropped. NULL (and *bad set to the first offender) if one is not a valid
 * stream name or there are more than 16.
 */
char **tbs_parse_stream_names(const char *text, char **bad);
