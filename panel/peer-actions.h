/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "client.h"

/*
 * What a person can do to a peer, each one asynchronous D-Bus call with
 * interactive authorization; a failure becomes a toast on the window of
 * widget, success shows through the daemon's PropertiesChanged signals.
 */
void tbs_peer_revoke(GtkWidget *widget, TbsClient *c, GDBusProxy *peer);
void tbs_peer_rename(GtkWidget *widget, TbsClient *c, GDBusProxy *peer, const char *label);
void tbs_peer_forget(GtkWidget *widget, TbsClient *c, GDBusProxy *peer);
/* Whether the peer may use streams now (the policy's decision). */
gboolean tbs_peer_is_allowed(GDBusProxy *peer);
/* Whether a person has allowed it (Enrolled); allowing is tbs_allow_dialog_present(). */
gboolean tbs_peer_is_enrolled(GDBusProxy *peer);
gboolean tbs_peer_is_overridden(GDBusProxy *peer);
/* tbs_link_describe() of its Rx and Tx sides: "2 × 20 Gb/s", "" when unknown; free. */
char *tbs_peer_link_text(GDBusProxy *peer);
/* "today at 14:05" style text for LastSeen, or NULL if never; free. */
char *tbs_peer_last_seen_text(GDBusProxy *peer);
