/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <adwaita.h>

#include "client.h"

#define TBS_TYPE_WINDOW (tbs_window_get_type())
G_DECLARE_FINAL_TYPE(TbsWindow, tbs_window, TBS, WINDOW, AdwApplicationWindow)

TbsWindow *tbs_window_new(AdwApplication *app, TbsClient *client);

/*
 * An in-app toast on the window that holds widget: "<action>: <why>", the
 * why translated from the error's name.
 */
void tbs_show_error(GtkWidget *widget, const char *action, const GError *error);
void tbs_show_toast(GtkWidget *widget, const char *text);
