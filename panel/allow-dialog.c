/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <unistd.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "allow-dialog.h"
#include "names.h"
#include "switch-row.h"
#include "window.h"

typedef struct {
	TbsClient *client;
	GDBusProxy *peer;
	GtkWidget *parent, *streams, *persistent, *private;
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
	g_auto(GStrv) names = NULL;
	GVariantBuilder profile;

	if (!g_str_equal(response, "allow"))
		return;
	names = tbs_parse_stream_names(gtk_editable_get_text(GTK_EDITABLE(d->streams)), NULL);
	if (!names)
		return;
	g_variant_builder_init(&profile, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&profile, "{sv}", "Streams",
			      g_variant_new_strv((const char *const *)names, -1));
	g_variant_builder_add(
		&profile, "{sv}", "Persistent",
		g_variant_new_boolean(gtk_switch_get_active(GTK_SWITCH(d->persistent))));
	if (gtk_switch_get_active(GTK_SWITCH(d->private))) {
		/* the person who allows it opens the streams without a password */
		g_variant_builder_add(&profile, "{sv}", "Owner", g_variant_new_uint32(getuid()));
		g_variant_builder_add(&profile, "{sv}", "Mode", g_variant_new_uint32(0600));
	}
	tbs_client_call(d->client, g_dbus_proxy_get_object_path(d->peer), TBS_IFACE_PEER, "Enroll",
			g_variant_new("(a{sv})", &profile), NULL, NULL, tbs_toast_on_failure,
			tbs_toast_on_failure_data(d->parent, _("Could not allow the computer")));
}

static void on_streams_changed(GtkEditable *editable, gpointer user_data)
{
	g_auto(GStrv) names = tbs_parse_stream_names(gtk_editable_get_text(editable), NULL);

	adw_message_dialog_set_response_enabled(ADW_MESSAGE_DIALOG(user_data), "allow",
						names != NULL);
	if (names)
		gtk_widget_remove_css_class(GTK_WIDGET(editable), "error");
	else
		gtk_widget_add_css_class(GTK_WIDGET(editable), "error");
}

void tbs_allow_dialog_present(GtkWidget *parent, TbsClient *c, GDBusProxy *peer)
{
	g_autofree char *name = tbs_proxy_dup_string(peer, "DisplayName");
	g_autofree char *heading = g_strdup_printf(_("Allow %s?"), name);
	GtkWidget *window = GTK_WIDGET(gtk_widget_get_root(parent));
	GtkWidget *group = adw_preferences_group_new();
	Dialog *d = g_new0(Dialog, 1);
	AdwMessageDialog *dialog;

	dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(
		GTK_WINDOW(window), heading,
		_("It may then exchange streams with this computer whenever the two are "
		  "connected. Only allow computers you know: the name is what the other "
		  "computer says it is.")));
	d->client = g_object_ref(c);
	d->peer = g_object_ref(peer);
	d->parent = g_object_ref(window);

	d->streams = adw_entry_row_new();
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(d->streams),
				      _("Streams to Make on Connection"));
	gtk_widget_set_tooltip_text(d->streams,
				    _("Stream names separated by commas; none is fine too"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(d->streams), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Streams to make on connection"), -1);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), d->streams);
	adw_preferences_group_add(
		ADW_PREFERENCES_GROUP(group),
		tbs_switch_row_new(
			_("Keep When Unplugged"),
			_("Otherwise the streams go with the cable and come back with it"),
			_("Keep streams when unplugged"), FALSE, &d->persistent));
	adw_preferences_group_add(
		ADW_PREFERENCES_GROUP(group),
		tbs_switch_row_new(_("Only Me"),
				   _("Only you may open the streams, without a password"),
				   _("Only I may open the streams"), TRUE, &d->private));
	adw_message_dialog_set_extra_child(dialog, group);

	adw_message_dialog_add_responses(dialog, "cancel", _("_Cancel"), "allow", _("_Allow"),
					 NULL);
	adw_message_dialog_set_response_appearance(dialog, "allow", ADW_RESPONSE_SUGGESTED);
	adw_message_dialog_set_default_response(dialog, "allow");
	adw_message_dialog_set_close_response(dialog, "cancel");
	g_signal_connect(d->streams, "changed", G_CALLBACK(on_streams_changed), dialog);
	g_signal_connect_data(dialog, "response", G_CALLBACK(on_response), d, dialog_free, 0);
	gtk_window_present(GTK_WINDOW(dialog));
}
