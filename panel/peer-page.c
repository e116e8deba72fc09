/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib/gi18n.h>

#include "create-dialog.h"
#include "allow-dialog.h"
#include "peer-actions.h"
#include "peer-page.h"
#include "stream-row.h"

struct _TbsPeerPage {
	GtkBox parent;
	TbsClient *client;
	GDBusProxy *peer;
	GtkWidget *title, *name, *save_name, *connection, *vendor, *seen;
	GtkWidget *access, *allow, *revoke, *forget;
	GtkWidget *streams_group, *streams_list, *no_streams, *new_stream;
	GHashTable *rows;	/* stream object path -> TbsStreamRow */
	char *shown_name;	/* what the name field showed last, unless edited since */
	gboolean watching;	/* a WatchThroughput of ours is in force */
	gboolean follows_owner; /* connected to the manager's notify::g-name-owner */
};

G_DEFINE_FINAL_TYPE(TbsPeerPage, tbs_peer_page, GTK_TYPE_BOX)

enum { SIGNAL_BACK, N_SIGNALS };
static guint signals[N_SIGNALS];

static void update_access(TbsPeerPage *page)
{
	gboolean enrolled = tbs_peer_is_enrolled(page->peer);
	gboolean allowed = tbs_peer_is_allowed(page->peer);
	g_autofree char *rule = tbs_proxy_dup_string(page->peer, "PolicyOverride");
	g_autofree char *named = NULL;
	const char *title, *subtitle;

	if (enrolled && !tbs_peer_is_overridden(page->peer)) {
		title = _("Allowed");
		subtitle = _("This computer may exchange streams with this one.");
	} else if (enrolled) {
		title = _("Allowed, but Overridden");
		/* the rule's name is what an administrator looks for in the policy files */
		if (*rule)
			subtitle = named = g_strdup_printf(
				/* TRANSLATORS: %s names a [Peer NAME] section of the policy */
				_("The administrator’s rule “%s” denies this computer."), rule);
		else
			subtitle = _("An administrator’s rule denies this computer.");
	} else if (allowed) {
		title = _("Allowed by the System Policy");
		subtitle = _("An administrator’s rule allows this computer.");
	} else {
		title = _("Not Allowed");
		subtitle = _("Allow this computer to let it exchange streams with this one.");
	}
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(page->access), title);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(page->access), subtitle);
	gtk_widget_set_visible(page->allow, !enrolled);
	gtk_widget_set_visible(page->revoke, enrolled);
}

static void update(TbsPeerPage *page)
{
	g_autofree char *display = NULL, *label = NULL, *name = NULL, *vendor = NULL;
	g_autofree char *link = NULL, *seen = NULL, *conn = NULL;
	gboolean connected;

	if (!page->peer)
		return;
	display = tbs_proxy_dup_string(page->peer, "DisplayName");
	label = tbs_proxy_dup_string(page->peer, "Label");
	name = tbs_proxy_dup_string(page->peer, "Name");
	vendor = tbs_proxy_dup_string(page->peer, "Vendor");
	link = tbs_peer_link_text(page->peer);
	seen = tbs_peer_last_seen_text(page->peer);
	connected = tbs_proxy_get_boolean(page->peer, "Connected");

	adw_window_title_set_title(ADW_WINDOW_TITLE(page->title), display);
	/* do not overwrite what the person is typing, unless it is what the daemon now says */
	if (g_strcmp0(gtk_editable_get_text(GTK_EDITABLE(page->name)), page->shown_name) == 0 ||
	    g_strcmp0(gtk_editable_get_text(GTK_EDITABLE(page->name)), *label ? label : name) ==
		    0) {
		g_free(page->shown_name);
		page->shown_name = g_strdup(*label ? label : name);
		if (g_strcmp0(gtk_editable_get_text(GTK_EDITABLE(page->name)), page->shown_name))
			gtk_editable_set_text(GTK_EDITABLE(page->name), page->shown_name);
	}
	gtk_widget_set_visible(
		page->save_name,
		g_strcmp0(gtk_editable_get_text(GTK_EDITABLE(page->name)), page->shown_name) != 0);
	if (connected)
		conn = *link ? g_strdup_printf(_("Connected, %s"), link) : g_strdup(_("Connected"));
	else
		conn = g_strdup(_("Not connected"));
	adw_action_row_set_subtitle(ADW_ACTION_ROW(page->connection), conn);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(page->vendor), *vendor ? vendor : _("Unknown"));
	adw_action_row_set_subtitle(ADW_ACTION_ROW(page->seen), connected ? _("Now")
								: seen	  ? seen
									  : _("Never"));
	gtk_widget_set_sensitive(page->new_stream, connected);
	update_access(page);
}

static void on_properties(GDBusProxy *p, GVariant *changed, GStrv invalidated, gpointer user_data)
{
	TbsPeerPage *page = user_data;
	g_autoptr(GVariant) streams = g_variant_lookup_value(changed, "Streams", NULL);

	update(page);
	if (streams ||
	    (invalidated && g_strv_contains((const char *const *)invalidated, "Streams")))
		tbs_peer_page_sync_streams(page);
}

void tbs_peer_page_sync_streams(TbsPeerPage *page)
{
	g_auto(GStrv) paths = page->peer ? tbs_proxy_dup_objv(page->peer, "Streams") : NULL;
	g_autoptr(GHashTable) keep = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTableIter it;
	gpointer key, row;

	for (char **p = paths; p && *p; p++) {
		GDBusProxy *s = tbs_client_get_proxy(page->client, *p, TBS_IFACE_STREAM);
		if (!s)
			continue; /* its object is not loaded yet: object-added syncs again */
		g_hash_table_add(keep, *p);
		if (!g_hash_table_contains(page->rows, *p)) {
			GtkWidget *r = tbs_stream_row_new(page->client, s, page->peer);
			gtk_list_box_append(GTK_LIST_BOX(page->streams_list), r);
			g_hash_table_insert(page->rows, g_strdup(*p), r);
		}
	}
	g_hash_table_iter_init(&it, page->rows);
	while (g_hash_table_iter_next(&it, &key, &row))
		if (!g_hash_table_contains(keep, key)) {
			gtk_list_box_remove(GTK_LIST_BOX(page->streams_list), row);
			g_hash_table_iter_remove(&it);
		}
	gtk_widget_set_visible(page->no_streams, g_hash_table_size(page->rows) == 0);
}

static void clear_streams(TbsPeerPage *page)
{
	GHashTableIter it;
	gpointer row;

	g_hash_table_iter_init(&it, page->rows);
	while (g_hash_table_iter_next(&it, NULL, &row)) {
		gtk_list_box_remove(GTK_LIST_BOX(page->streams_list), row);
		g_hash_table_iter_remove(&it);
	}
}

static void on_owner(GObject *manager, GParamSpec *pspec, gpointer user_data);

void tbs_peer_page_set_peer(TbsPeerPage *page, GDBusProxy *peer)
{
	if (page->peer == peer)
		return;
	if (page->peer)
		g_signal_handlers_disconnect_by_data(page->peer, page);
	clear_streams(page);
	g_set_object(&page->peer, peer);
	if (!peer)
		return;
	g_signal_connect(peer, "g-properties-changed", G_CALLBACK(on_properties), page);
	if (!page->follows_owner && tbs_client_get_manager(page->client)) {
		page->follows_owner = TRUE;
		g_signal_connect_object(tbs_client_get_manager(page->client),
					"notify::g-name-owner", G_CALLBACK(on_owner), page, 0);
	}
	/* a new peer: the name field shows its name, not the last one's */
	g_free(page->shown_name);
	page->shown_name = g_strdup(gtk_editable_get_text(GTK_EDITABLE(page->name)));
	update(page);
	tbs_peer_page_sync_streams(page);
}

GDBusProxy *tbs_peer_page_get_peer(TbsPeerPage *page)
{
	return page->peer;
}

static void on_watch_reply(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = tbs_client_call_finish(source, res, &error);

	/* no graph then, nothing a person must act on: the log says why */
	if (!reply)
		g_message("Throughput watch: %s", error->message);
}

/*
 * The daemon samples counters only while someone watches: watch exactly while
 * a peer's page is on screen. The watch does not keep the daemon from its idle
 * exit (which comes only with no peer connected); on_owner watches the next one.
 */
static void set_watching(TbsPeerPage *page, gboolean watch)
{
	if (page->watching == watch)
		return;
	page->watching = watch;
	tbs_client_call(page->client, TBS_ROOT_PATH, TBS_IFACE_MANAGER,
			watch ? "WatchThroughput" : "UnwatchThroughput", NULL, NULL, NULL,
			on_watch_reply, NULL);
}

static void on_map(GtkWidget *widget, gpointer user_data)
{
	set_watching(TBS_PEER_PAGE(widget), gtk_widget_get_mapped(widget));
}

/* A watch ends with the daemon that had it: watch the new one again. */
static void on_owner(GObject *manager, GParamSpec *pspec, gpointer user_data)
{
	TbsPeerPage *page = user_data;

	page->watching = FALSE;
	if (gtk_widget_get_mapped(GTK_WIDGET(page)))
		set_watching(page, TRUE);
}

static void on_back(GtkButton *b, gpointer user_data)
{
	g_signal_emit(user_data, signals[SIGNAL_BACK], 0);
}

static void on_rename(GtkWidget *widget, gpointer user_data)
{
	TbsPeerPage *page = user_data;
	g_autofree char *text =
		g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(page->name))));

	if (page->peer && g_strcmp0(text, page->shown_name) != 0)
		tbs_peer_rename(GTK_WIDGET(page), page->client, page->peer, text);
}

static void on_name_changed(GtkEditable *editable, gpointer user_data)
{
	TbsPeerPage *page = user_data;

	gtk_widget_set_visible(page->save_name,
			       g_strcmp0(gtk_editable_get_text(editable), page->shown_name) != 0);
}

static void on_allow(GtkButton *b, gpointer user_data)
{
	TbsPeerPage *page = user_data;

	if (page->peer)
		tbs_allow_dialog_present(GTK_WIDGET(page), page->client, page->peer);
}

static void on_revoke(GtkButton *b, gpointer user_data)
{
	TbsPeerPage *page = user_data;

	if (page->peer)
		tbs_peer_revoke(GTK_WIDGET(page), page->client, page->peer);
}

static void on_forget_response(AdwMessageDialog *d, const char *response, gpointer user_data)
{
	TbsPeerPage *page = user_data;

	if (g_str_equal(response, "forget") && page->peer)
		tbs_peer_forget(GTK_WIDGET(page), page->client, page->peer);
}

static void on_forget(GtkButton *b, gpointer user_data)
{
	TbsPeerPage *page = user_data;
	g_autofree char *name = tbs_proxy_dup_string(page->peer, "DisplayName");
	g_autofree char *heading = g_strdup_printf(_("Forget %s?"), name);
	GtkWidget *d = adw_message_dialog_new(
		GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(page))), heading,
		_("Its name, its permission and the streams made for it are removed. It is "
		  "treated as a new computer the next time it is connected."));

	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(d), "cancel", _("_Cancel"), "forget",
					 _("_Forget"), NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(d), "forget",
						   ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(d), "cancel");
	g_signal_connect_object(d, "response", G_CALLBACK(on_forget_response), page, 0);
	gtk_window_present(GTK_WINDOW(d));
}

static void on_new_stream(GtkButton *b, gpointer user_data)
{
	TbsPeerPage *page = user_data;

	if (page->peer)
		tbs_create_dialog_present(GTK_WIDGET(page), page->client, page->peer);
}

static void tbs_peer_page_dispose(GObject *object)
{
	TbsPeerPage *page = TBS_PEER_PAGE(object);

	if (page->peer)
		g_signal_handlers_disconnect_by_data(page->peer, page);
	g_clear_object(&page->peer);
	g_clear_object(&page->client);
	g_clear_pointer(&page->rows, g_hash_table_unref);
	g_clear_pointer(&page->shown_name, g_free);
	G_OBJECT_CLASS(tbs_peer_page_parent_class)->dispose(object);
}

static void tbs_peer_page_class_init(TbsPeerPageClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = tbs_peer_page_dispose;
	signals[SIGNAL_BACK] = g_signal_new("back", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					    NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static GtkWidget *info_row(const char *title)
{
	GtkWidget *row = adw_action_row_new();

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	gtk_widget_add_css_class(row, "property");
	return row;
}

static GtkWidget *suffix_button(const char *label, const char *css)
{
	GtkWidget *b = gtk_button_new_with_mnemonic(label);

	gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
	if (css)
		gtk_widget_add_css_class(b, css);
	return b;
}

static void tbs_peer_page_init(TbsPeerPage *page)
{
	GtkWidget *header = adw_header_bar_new(), *back, *prefs = adw_preferences_page_new();
	GtkWidget *computer = adw_preferences_group_new(), *access = adw_preferences_group_new();
	GtkWidget *danger = adw_preferences_group_new(), *forget_row = adw_action_row_new();

	page->rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_signal_connect(page, "map", G_CALLBACK(on_map), NULL);
	g_signal_connect(page, "unmap", G_CALLBACK(on_map), NULL);
	gtk_orientable_set_orientation(GTK_ORIENTABLE(page), GTK_ORIENTATION_VERTICAL);

	back = gtk_button_new_from_icon_name("go-previous-symbolic");
	gtk_widget_set_tooltip_text(back, _("Back"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(back), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Back"), -1);
	g_signal_connect(back, "clicked", G_CALLBACK(on_back), page);
	adw_header_bar_pack_start(ADW_HEADER_BAR(header), back);
	page->title = adw_window_title_new("", "");
	adw_header_bar_set_title_widget(ADW_HEADER_BAR(header), page->title);
	gtk_box_append(GTK_BOX(page), header);
	gtk_widget_set_vexpand(prefs, TRUE);
	gtk_box_append(GTK_BOX(page), prefs);

	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(computer), _("Computer"));
	page->name = adw_entry_row_new();
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(page->name), _("Name"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(page->name), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Computer name"), -1);
	/*
	 * Our own apply button, not AdwEntryRow's: that one shows only while
	 * the row has the keyboard focus, which GTK 4.8's AT-SPI cannot give.
	 */
	page->save_name = gtk_button_new_from_icon_name("object-select-symbolic");
	gtk_widget_set_valign(page->save_name, GTK_ALIGN_CENTER);
	gtk_widget_add_css_class(page->save_name, "suggested-action");
	gtk_widget_add_css_class(page->save_name, "circular");
	gtk_widget_set_tooltip_text(page->save_name, _("Save the Name"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(page->save_name),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, _("Save the name"), -1);
	gtk_widget_set_visible(page->save_name, FALSE);
	adw_entry_row_add_suffix(ADW_ENTRY_ROW(page->name), page->save_name);
	g_signal_connect(page->save_name, "clicked", G_CALLBACK(on_rename), page);
	g_signal_connect(page->name, "entry-activated", G_CALLBACK(on_rename), page);
	g_signal_connect(page->name, "changed", G_CALLBACK(on_name_changed), page);
	page->connection = info_row(_("Connection"));
	page->vendor = info_row(_("Vendor"));
	page->seen = info_row(_("Last Seen"));
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(computer), page->name);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(computer), page->connection);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(computer), page->vendor);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(computer), page->seen);
	adw_preferences_page_add(ADW_PREFERENCES_PAGE(prefs), ADW_PREFERENCES_GROUP(computer));

	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(access), _("Access"));
	page->access = adw_action_row_new();
	page->allow = suffix_button(_("_Allow"), "suggested-action");
	page->revoke = suffix_button(_("_Revoke"), "destructive-action");
	gtk_accessible_update_property(GTK_ACCESSIBLE(page->allow), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Allow this computer"), -1);
	gtk_accessible_update_property(GTK_ACCESSIBLE(page->revoke), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Revoke this computer’s access"), -1);
	g_signal_connect(page->allow, "clicked", G_CALLBACK(on_allow), page);
	g_signal_connect(page->revoke, "clicked", G_CALLBACK(on_revoke), page);
	adw_action_row_add_suffix(ADW_ACTION_ROW(page->access), page->allow);
	adw_action_row_add_suffix(ADW_ACTION_ROW(page->access), page->revoke);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(access), page->access);
	adw_preferences_page_add(ADW_PREFERENCES_PAGE(prefs), ADW_PREFERENCES_GROUP(access));

	page->streams_group = adw_preferences_group_new();
	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(page->streams_group), _("Streams"));
	page->new_stream = gtk_button_new_from_icon_name("list-add-symbolic");
	gtk_widget_add_css_class(page->new_stream, "flat");
	gtk_widget_set_tooltip_text(page->new_stream, _("New Stream…"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(page->new_stream),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, _("New stream"), -1);
	g_signal_connect(page->new_stream, "clicked", G_CALLBACK(on_new_stream), page);
	adw_preferences_group_set_header_suffix(ADW_PREFERENCES_GROUP(page->streams_group),
						page->new_stream);
	page->streams_list = gtk_list_box_new();
	gtk_list_box_set_selection_mode(GTK_LIST_BOX(page->streams_list), GTK_SELECTION_NONE);
	gtk_widget_add_css_class(page->streams_list, "boxed-list");
	gtk_accessible_update_property(GTK_ACCESSIBLE(page->streams_list),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, _("Streams"), -1);
	page->no_streams = adw_action_row_new();
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(page->no_streams), _("No Streams"));
	adw_action_row_set_subtitle(
		ADW_ACTION_ROW(page->no_streams),
		_("Add one with the + button while the computer is connected."));
	gtk_list_box_append(GTK_LIST_BOX(page->streams_list), page->no_streams);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(page->streams_group), page->streams_list);
	adw_preferences_page_add(ADW_PREFERENCES_PAGE(prefs),
				 ADW_PREFERENCES_GROUP(page->streams_group));

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(forget_row), _("Forget This Computer"));
	adw_action_row_set_subtitle(ADW_ACTION_ROW(forget_row),
				    _("Remove its name, permission and streams"));
	page->forget = suffix_button(_("_Forget…"), "destructive-action");
	gtk_accessible_update_property(GTK_ACCESSIBLE(page->forget), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Forget this computer"), -1);
	g_signal_connect(page->forget, "clicked", G_CALLBACK(on_forget), page);
	adw_action_row_add_suffix(ADW_ACTION_ROW(forget_row), page->forget);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(danger), forget_row);
	adw_preferences_page_add(ADW_PREFERENCES_PAGE(prefs), ADW_PREFERENCES_GROUP(danger));
}

GtkWidget *tbs_peer_page_new(TbsClient *c)
{
	TbsPeerPage *page = g_object_new(TBS_TYPE_PEER_PAGE, NULL);

	page->client = g_object_ref(c);
	return GTK_WIDGET(page);
}
