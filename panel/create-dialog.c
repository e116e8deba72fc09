/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "create-dialog.h"
#include "names.h"
#include "switch-row.h"
#include "window.h"

typedef struct {
	TbsClient *client;
	GDBusProxy *peer;
	GtkWidget *parent, *name, *persistent;
} Dialog;

static void dialog_free(gpointer data, GClosure *closure)
{
	Dialog *d = data;

	g_object_unref(d->client);
	g_object_unref(d->peer);
	g_object_unref(d->parent);
	g_free(d);
}

static void on_response(AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
	Dialog *d = user_data;
	const char *name = gtk_editable_get_text(GTK_EDITABLE(d->name));
	GVariantBuilder options;

	if (!g_str_equal(response, "create") || !tbs_stream_name_is_valid(name))
		return;
	g_variant_builder_init(&options, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(
		&options, "{sv}", "Persistent",
		g_variant_new_boolean(gtk_switch_get_active(GTK_SWITCH(d->persistent))));
	tbs_client_call(
		d->client, TBS_ROOT_PATH, TBS_IFACE_MANAGER, "RequestStream",
		g_variant_new("(ssa{sv})", g_dbus_proxy_get_object_path(d->peer), name, &options),
		G_VARIANT_TYPE("(o)"), NULL, tbs_toast_on_failure,
		tbs_toast_on_failure_data(d->parent, _("Could not create the stream")));
}

static void on_name_changed(GtkEditable *editable, gpointer user_data)
{
	AdwMessageDialog *dialog = user_data;
	gboolean valid = tbs_stream_name_is_valid(gtk_editable_get_text(editable));
	const char *text = gtk_editable_get_text(editable);

	adw_message_dialog_set_response_enabled(dialog, "create", valid);
	if (valid || !*text)
		gtk_widget_remove_css_class(GTK_WIDGET(editable), "error");
	else
		gtk_widget_add_css_class(GTK_WIDGET(editable), "error");
}

static void on_entry_activate(AdwEntryRow *row, gpointer user_data)
{
	AdwMessageDialog *dialog = user_data;

	if (!adw_message_dialog_get_response_enabled(dialog, "create"))
		return;
	adw_message_dialog_response(dialog, "create");
	gtk_window_close(GTK_WINDOW(dialog));
}

void tbs_create_dialog_present(GtkWidget *parent, TbsClient *c, GDBusProxy *peer)
{
	g_autofree char *pname = tbs_proxy_dup_string(peer, "DisplayName");
	g_autofree char *body = NULL;
	GtkWidget *window = GTK_WIDGET(gtk_widget_get_root(parent));
	GtkWidget *group = adw_preferences_group_new();
	Dialog *d = g_new0(Dialog, 1);
	AdwMessageDialog *dialog;

	body = g_strdup_printf(_("A stream to %s appears on both computers as a device once "
				 "the other one creates a stream of the same name."),
			       pname);
	dialog = ADW_MESSAGE_DIALOG(
		adw_message_dialog_new(GTK_WINDOW(window), _("New Stream"), body));
	d->client = g_object_ref(c);
	d->peer = g_object_ref(peer);
	d->parent = g_object_ref(window);

	d->name = adw_entry_row_new();
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(d->name), _("Name"));
	gtk_widget_set_tooltip_text(d->name, _("1 to 8 letters, digits, “_” or “-”"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(d->name), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Stream name"), -1);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), d->name);
	adw_preferences_group_add(
		ADW_PREFERENCES_GROUP(group),
		tbs_switch_row_new(_("Keep Until Removed"),
				   _("Otherwise the stream goes when this window closes"),
				   _("Keep until removed"), TRUE, &d->persistent));
	adw_message_dialog_set_extra_child(dialog, group);

	adw_message_dialog_add_responses(dialog, "cancel", _("_Cancel"), "create", _("C_reate"),
					 NULL);
	adw_message_dialog_set_response_appearance(dialog, "create", ADW_RESPONSE_SUGGESTED);
	adw_message_dialog_set_default_response(dialog, "create");
	adw_message_dialog_set_close_response(dialog, "cancel");
	adw_message_dialog_set_response_enabled(dialog, "create", FALSE);
	g_signal_connect(d->name, "changed", G_CALLBACK(on_name_changed), dialog);
	g_signal_connect(d->name, "entry-activated", G_CALLBACK(on_entry_activate), dialog);
	g_signal_connect_data(dialog, "response", G_CALLBACK(on_response), d, dialog_free, 0);
	gtk_window_present(GTK_WINDOW(dialog));
	gtk_widget_grab_focus(d->name);
}
