/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib/gi18n.h>

#include "allow-dialog.h"
#include "peer-actions.h"
#include "peer-row.h"

struct _TbsPeerRow {
	AdwActionRow parent;
	TbsClient *client;
	GDBusProxy *peer;
	GtkWidget *icon, *badge, *allow, *open;
};

G_DEFINE_FINAL_TYPE(TbsPeerRow, tbs_peer_row, ADW_TYPE_ACTION_ROW)

static char *subtitle_text(GDBusProxy *peer)
{
	g_autofree char *link = tbs_peer_link_text(peer);
	g_autofree char *seen = NULL;
	const char *access;

	if (tbs_peer_is_enrolled(peer))
		access = tbs_peer_is_overridden(peer) ? _("Allowed, but overridden") : _("Allowed");
	else
		access = tbs_peer_is_allowed(peer) ? _("Allowed by the system policy")
						   : _("Not allowed");
	if (tbs_proxy_get_boolean(peer, "Connected")) {
		if (*link)
			/* TRANSLATORS: "Connected, 2 × 20 Gb/s · Allowed" */
			return g_strdup_printf(_("Connected, %s · %s"), link, access);
		/* TRANSLATORS: "Connected · Allowed" */
		return g_strdup_printf(_("Connected · %s"), access);
	}
	seen = tbs_peer_last_seen_text(peer);
	if (seen)
		/* TRANSLATORS: "Last seen today at 14:05 · Allowed" */
		return g_strdup_printf(_("Last seen %s · %s"), seen, access);
	/* TRANSLATORS: "Not connected · Allowed" */
	return g_strdup_printf(_("Not connected · %s"), access);
}

static void update(TbsPeerRow *row)
{
	g_autofree char *name = tbs_proxy_dup_string(row->peer, "DisplayName");
	g_autofree char *subtitle = subtitle_text(row->peer);
	g_autofree char *allow_label = NULL, *open_label = NULL;
	gboolean connected = tbs_proxy_get_boolean(row->peer, "Connected");
	gboolean fresh =
		connected && !tbs_peer_is_enrolled(row->peer) && !tbs_peer_is_allowed(row->peer);

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), name);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
	gtk_image_set_from_icon_name(GTK_IMAGE(row->icon),
				     connected ? "computer-symbolic" : "network-offline-symbolic");
	gtk_widget_set_visible(row->allow, fresh);
	gtk_widget_set_visible(row->badge, fresh);
	if (fresh)
		gtk_widget_add_css_class(GTK_WIDGET(row), "tbs-new-peer");
	else
		gtk_widget_remove_css_class(GTK_WIDGET(row), "tbs-new-peer");
	/* TRANSLATORS: accessible name of the row's Allow button */
	allow_label = g_strdup_printf(_("Allow %s"), name);
	gtk_accessible_update_property(GTK_ACCESSIBLE(row->allow), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       allow_label, -1);
	/* TRANSLATORS: accessible name of the button that opens a computer's page */
	open_label = g_strdup_printf(_("Details of %s"), name);
	gtk_accessible_update_property(GTK_ACCESSIBLE(row->open), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       open_label, -1);
	gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
				       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, subtitle, -1);
}

static void on_properties(GDBusProxy *p, GVariant *changed, GStrv invalidated, gpointer user_data)
{
	update(user_data);
}

static void on_allow(GtkButton *button, gpointer user_data)
{
	TbsPeerRow *row = user_data;

	tbs_allow_dialog_present(GTK_WIDGET(row), row->client, row->peer);
}

/* The arrow is a button too: GTK 4.8 gives rows no AT-SPI action to open them. */
static void on_open(GtkButton *button, gpointer user_data)
{
	gtk_widget_activate(GTK_WIDGET(user_data));
}

static void tbs_peer_row_dispose(GObject *object)
{
	TbsPeerRow *row = TBS_PEER_ROW(object);

	if (row->peer)
		g_signal_handlers_disconnect_by_data(row->peer, row);
	g_clear_object(&row->peer);
	g_clear_object(&row->client);
	G_OBJECT_CLASS(tbs_peer_row_parent_class)->dispose(object);
}

static void tbs_peer_row_class_init(TbsPeerRowClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = tbs_peer_row_dispose;
}

static void tbs_peer_row_init(TbsPeerRow *row)
{
	row->icon = gtk_image_new();
	gtk_accessible_update_state(GTK_ACCESSIBLE(row->icon), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE,
				    -1);
	adw_action_row_add_prefix(ADW_ACTION_ROW(row), row->icon);
	row->badge = gtk_label_new(_("New"));
	gtk_widget_add_css_class(row->badge, "tbs-badge");
	gtk_widget_set_valign(row->badge, GTK_ALIGN_CENTER);
	row->allow = gtk_button_new_with_mnemonic(_("_Allow"));
	gtk_widget_add_css_class(row->allow, "suggested-action");
	gtk_widget_set_valign(row->allow, GTK_ALIGN_CENTER);
	gtk_widget_set_tooltip_text(row->allow,
				    _("Let this computer exchange streams with this one"));
	adw_action_row_add_suffix(ADW_ACTION_ROW(row), row->badge);
	adw_action_row_add_suffix(ADW_ACTION_ROW(row), row->allow);
	row->open = gtk_button_new_from_icon_name("go-next-symbolic");
	gtk_widget_add_css_class(row->open, "flat");
	gtk_widget_set_valign(row->open, GTK_ALIGN_CENTER);
	gtk_widget_set_tooltip_text(row->open, _("Details"));
	adw_action_row_add_suffix(ADW_ACTION_ROW(row), row->open);
	g_signal_connect(row->open, "clicked", G_CALLBACK(on_open), row);
	gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
	g_signal_connect(row->allow, "clicked", G_CALLBACK(on_allow), row);
}

GtkWidget *tbs_peer_row_new(TbsClient *c, GDBusProxy *peer)
{
	TbsPeerRow *row = g_object_new(TBS_TYPE_PEER_ROW, NULL);

	row->client = g_object_ref(c);
	row->peer = g_object_ref(peer);
	g_signal_connect(peer, "g-properties-changed", G_CALLBACK(on_properties), row);
	update(row);
	return GTK_WIDGET(row);
}

GDBusProxy *tbs_peer_row_get_proxy(TbsPeerRow *row)
{
	return row->peer;
}
