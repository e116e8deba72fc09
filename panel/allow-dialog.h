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
