/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <adwaita.h>

#include "client.h"

/*
 * A peer in the list: its name, connection and link, whether it is allowed,
 * when it was last seen. A connected peer nobody has allowed yet is
 * highlighted and has an "Allow" button. Activating the row opens its page.
 */
#define TBS_TYPE_PEER_ROW (tbs_peer_row_get_type())
G_DECLARE_FINAL_TYPE(TbsPeerRow, tbs_peer_row, TBS, PEER_ROW, AdwActionRow)

GtkWidget *tbs_peer_row_new(TbsClient *c, GDBusProxy *peer);
GDBusProxy *tbs_peer_row_get_proxy(TbsPeerRow *row);
