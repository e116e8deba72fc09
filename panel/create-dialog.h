/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "client.h"

/*
 * "New Stream" for a peer: a name (checked as the daemon checks it, so the
 * Create button is off for a name it would refuse) and whether the stream is
 * kept until removed or only while the panel runs; RequestStream on Create.
 */
void tbs_create_dialog_present(GtkWidget *parent, TbsClient *c, GDBusProxy *peer);
