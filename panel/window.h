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

/*
 * For tbs_client_call(): pass tbs_toast_on_failure as the callback and
 * tbs_toast_on_failure_data(widget, action) as its data; a failed call shows
 * tbs_show_error(widget, action, error). Success needs nothing here: it shows
 * through the daemon's PropertiesChanged and InterfacesAdded signals. Keep
 * widget one that outlives the call's purpose (the window, for a row that
 * may go with the object it shows).
 */
gpointer tbs_toast_on_failure_data(GtkWidget *widget, const char *action);
void tbs_toast_on_failure(GObject *source, GAsyncResult *res, gpointer user_data);
