/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <adwaita.h>

#include "client.h"

/*
 * One stream of a peer: name, state, its /dev/tbstream/by-name path with a
 * copy button, who made it and for how long, live throughput each way with a
 * small graph, and a remove button. Updates itself from PropertiesChanged.
 */
#define TBS_TYPE_STREAM_ROW (tbs_stream_row_get_type())
G_DECLARE_FINAL_TYPE(TbsStreamRow, tbs_stream_row, TBS, STREAM_ROW, AdwActionRow)

GtkWidget *tbs_stream_row_new(TbsClient *c, GDBusProxy *stream, GDBusProxy *peer);
GDBusProxy *tbs_stream_row_get_proxy(TbsStreamRow *row);
