/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <adwaita.h>

#include "client.h"

/*
 * One peer: rename it, allow or revoke it, forget it, and its streams
 * (create, copy a device path, remove). Follows the peer's and its streams'
 * objects live; tbs_peer_page_set_peer(NULL) when the peer's object goes.
 */
#define TBS_TYPE_PEER_PAGE (tbs_peer_page_get_type())
G_DECLARE_FINAL_TYPE(TbsPeerPage, tbs_peer_page, TBS, PEER_PAGE, GtkBox)

GtkWidget *tbs_peer_page_new(TbsClient *c);
void tbs_peer_page_set_peer(TbsPeerPage *page, GDBusProxy *peer);
GDBusProxy *tbs_peer_page_get_peer(TbsPeerPage *page);
/* A stream object appeared or went: the page shows the peer's current streams. */
void tbs_peer_page_sync_streams(TbsPeerPage *page);
