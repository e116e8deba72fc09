/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib/gi18n.h>

#include <string.h>

#include "devpath.h"
#include "errors.h"
#include "graph.h"
#include "stream-row.h"
#include "window.h"

struct _TbsStreamRow {
	AdwActionRow parent;
	TbsClient *client;
	GDBusProxy *stream, *peer;
	GtkWidget *graph, *rates, *copy, *remove;
	char *path;  /* the by-name device path, NULL if none */
	char *owner; /* the program that requested the stream, NULL until known or if none */
	GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE(TbsStreamRow, tbs_stream_row, ADW_TYPE_ACTION_ROW)

static const char *state_text(const char *state)
{
	if (g_str_equal(state, "configured"))
		return _("Ready");
	if (g_str_equal(state, "configuring") || g_str_equal(state, "waiting-device"))
		return _("Setting up");
	if (g_str_equal(state, "detached"))
		return _("Waiting for the cable");
	if (g_str_equal(state, "failed"))
		return _("Failed");
	return state;
}

static const char *origin_text(GDBusProxy *s)
{
	g_autofree char *origin = tbs_proxy_dup_string(s, "Origin");
	gboolean persistent = tbs_proxy_get_boolean(s, "Persistent");

	if (g_str_equal(origin, "policy"))
		return _("made by the system policy");
	if (g_str_equal(origin, "enrollment"))
		return _("made when the computer was allowed");
	if (g_str_equal(origin, "adopted"))
		return _("made outside the service");
	return persistent ? _("made on request, kept until removed")
			  : _("made on request, kept while its program runs");
}

/* "1.5 MB/s": g_format_size is locale-aware and translated by GLib */
static char *rate_text(double bytes_per_sec)
{
	g_autofree char *size = g_format_size((guint64)bytes_per_sec);
	/* TRANSLATORS: a transfer rate, e.g. "1.5 MB/s" */
	return g_strdup_printf(_("%s/s"), size);
}

static gboolean get_rate(GDBusProxy *s, const char *property, double *out)
{
	g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(s, property);

	if (!v)
		return FALSE;
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
		*out = (double)g_variant_get_uint64(v);
	else if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE))
		*out = g_variant_get_double(v);
	else
		return FALSE;
	return TRUE;
}

static void update_rates(TbsStreamRow *row)
{
	double rx, tx;
	g_autofree char *rxs = NULL, *txs = NULL, *text = NULL, *a11y = NULL;

	if (!get_rate(row->stream, "RxRate", &rx) || !get_rate(row->stream, "TxRate", &tx)) {
		gtk_widget_set_visible(row->graph, FALSE);
		gtk_widget_set_visible(row->rates, FALSE);
		return;
	}
	rxs = rate_text(rx);
	txs = rate_text(tx);
	/* TRANSLATORS: received and sent rates, with arrows */
	text = g_strdup_printf(_("↓ %s  ↑ %s"), rxs, txs);
	/* TRANSLATORS: what a screen reader says for the throughput graph */
	a11y = g_strdup_printf(_("Receiving %s, sending %s"), rxs, txs);
	gtk_label_set_text(GTK_LABEL(row->rates), text);
	tbs_graph_push(TBS_GRAPH(row->graph), rx, tx);
	gtk_accessible_update_property(GTK_ACCESSIBLE(row->graph), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       a11y, -1);
	gtk_widget_set_visible(row->graph, TRUE);
	gtk_widget_set_visible(row->rates, TRUE);
}

static void update(TbsStreamRow *row)
{
	g_autofree char *name = tbs_proxy_dup_string(row->stream, "Name");
	g_autofree char *state = tbs_proxy_dup_string(row->stream, "State");
	g_autofree char *code = tbs_proxy_dup_string(row->stream, "ErrorCode");
	g_autofree char *pname = tbs_proxy_dup_string(row->peer, "Name");
	g_autofree char *uuid = tbs_proxy_dup_string(row->peer, "UUID");
	g_autofree char *subtitle = NULL, *copy_label = NULL, *remove_label = NULL, *origin = NULL;
	gboolean owned = tbs_proxy_get_boolean(row->stream, "Owned");

	g_free(row->path);
	row->path = tbs_stream_dev_path(pname, uuid, name);
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), name);
	if (row->owner)
		/* TRANSLATORS: "<origin>, requested by <program>", e.g. "made on request,
		   kept until removed, requested by rsync" */
		origin = g_strdup_printf(_("%s, requested by %s"), origin_text(row->stream),
					 row->owner);
	else
		origin = g_strdup(origin_text(row->stream));
	if (g_str_equal(state, "failed") && g_str_has_prefix(code, TBS_ERROR_PREFIX) &&
	    tbs_error_code_text(code + strlen(TBS_ERROR_PREFIX)))
		/* TRANSLATORS: "<state>: <why it failed>", e.g. "Failed: The stream ..." */
		subtitle = g_strdup_printf(_("%s: %s"), state_text(state),
					   tbs_error_code_text(code + strlen(TBS_ERROR_PREFIX)));
	else
		/* TRANSLATORS: "<state> · <origin>\n<device path>" */
		subtitle = g_strdup_printf(_("%s · %s\n%s"), state_text(state), origin,
					   row->path ? row->path : "");
	adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
	gtk_widget_set_sensitive(row->copy, row->path != NULL);
	gtk_widget_set_sensitive(row->remove, owned);
	copy_label = g_strdup_printf(_("Copy the device path of stream %s"), name);
	remove_label = g_strdup_printf(_("Remove stream %s"), name);
	gtk_accessible_update_property(GTK_ACCESSIBLE(row->copy), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       copy_label, -1);
	gtk_accessible_update_property(GTK_ACCESSIBLE(row->remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       remove_label, -1);
	gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
				       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, subtitle, -1);
	update_rates(row);
}

/*
 * Owner is a bus name (":1.42"), which says nothing to a person: the program
 * behind it is. The bus tells its process; a name that left the bus (a
 * persistent stream outlives its requester) shows no owner.
 */
static void on_owner_pid(GObject *source, GAsyncResult *res, gpointer user_data)
{
	TbsStreamRow *row = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
		g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	g_autofree char *proc = NULL, *comm = NULL;
	guint32 pid;

	if (!reply) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_debug("The owner of a stream: %s", error->message);
		return;
	}
	g_variant_get(reply, "(u)", &pid);
	proc = g_strdup_printf("/proc/%u/comm", pid);
	/* procfs: a read that does not wait on anything */
	if (!g_file_get_contents(proc, &comm, NULL, NULL))
		return;
	g_strchomp(comm);
	if (!*comm || !g_utf8_validate(comm, -1, NULL))
		return;
	g_free(row->owner);
	row->owner = g_steal_pointer(&comm);
	update(row);
}

static void find_owner(TbsStreamRow *row)
{
	g_autofree char *owner = tbs_proxy_dup_string(row->stream, "Owner");

	if (!*owner)
		return;
	g_dbus_connection_call(g_dbus_proxy_get_connection(row->stream), "org.freedesktop.DBus",
			       "/org/freedesktop/DBus", "org.freedesktop.DBus",
			       "GetConnectionUnixProcessID", g_variant_new("(s)", owner),
			       G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, row->cancellable,
			       on_owner_pid, row);
}

static void on_properties(GDBusProxy *p, GVariant *changed, GStrv invalidated, gpointer user_data)
{
	update(user_data);
}

static void on_copy(GtkButton *button, gpointer user_data)
{
	TbsStreamRow *row = user_data;

	if (!row->path)
		return;
	gdk_clipboard_set_text(gtk_widget_get_clipboard(GTK_WIDGET(row)), row->path);
	tbs_show_toast(GTK_WIDGET(row), _("Device path copied"));
}

static void on_remove(GtkButton *button, gpointer user_data)
{
	TbsStreamRow *row = user_data;
	/* the window outlives the row, which goes when the stream does */
	GtkWidget *root = GTK_WIDGET(gtk_widget_get_root(GTK_WIDGET(row)));

	tbs_client_call(row->client, TBS_ROOT_PATH, TBS_IFACE_MANAGER, "RemoveStream",
			g_variant_new("(o)", g_dbus_proxy_get_object_path(row->stream)), NULL, NULL,
			tbs_toast_on_failure,
			tbs_toast_on_failure_data(root, _("Could not remove the stream")));
}

static void tbs_stream_row_dispose(GObject *object)
{
	TbsStreamRow *row = TBS_STREAM_ROW(object);

	/* a reply after this finds the call cancelled and the row untouched */
	if (row->cancellable)
		g_cancellable_cancel(row->cancellable);
	g_clear_object(&row->cancellable);
	g_clear_pointer(&row->owner, g_free);
	if (row->stream)
		g_signal_handlers_disconnect_by_data(row->stream, row);
	g_clear_object(&row->stream);
	g_clear_object(&row->peer);
	g_clear_object(&row->client);
	g_clear_pointer(&row->path, g_free);
	G_OBJECT_CLASS(tbs_stream_row_parent_class)->dispose(object);
}

static void tbs_stream_row_class_init(TbsStreamRowClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = tbs_stream_row_dispose;
}

static GtkWidget *icon_button(const char *icon)
{
	GtkWidget *b = gtk_button_new_from_icon_name(icon);

	gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
	gtk_widget_add_css_class(b, "flat");
	return b;
}

static void tbs_stream_row_init(TbsStreamRow *row)
{
	adw_action_row_set_subtitle_lines(ADW_ACTION_ROW(row), 2);
	row->rates = gtk_label_new(NULL);
	gtk_widget_add_css_class(row->rates, "caption");
	gtk_widget_add_css_class(row->rates, "numeric");
	row->graph = tbs_graph_new();
	row->copy = icon_button("edit-copy-symbolic");
	gtk_widget_set_tooltip_text(row->copy, _("Copy device path"));
	row->remove = icon_button("user-trash-symbolic");
	gtk_widget_set_tooltip_text(row->remove, _("Remove stream"));
	adw_action_row_add_suffix(ADW_ACTION_ROW(row), row->rates);
	adw_action_row_add_suffix(ADW_ACTION_ROW(row), row->graph);
	adw_action_row_add_suffix(ADW_ACTION_ROW(row), row->copy);
	adw_action_row_add_suffix(ADW_ACTION_ROW(row), row->remove);
	g_signal_connect(row->copy, "clicked", G_CALLBACK(on_copy), row);
	g_signal_connect(row->remove, "clicked", G_CALLBACK(on_remove), row);
}

GtkWidget *tbs_stream_row_new(TbsClient *c, GDBusProxy *stream, GDBusProxy *peer)
{
	TbsStreamRow *row = g_object_new(TBS_TYPE_STREAM_ROW, NULL);

	row->client = g_object_ref(c);
	row->stream = g_object_ref(stream);
	row->peer = g_object_ref(peer);
	row->cancellable = g_cancellable_new();
	g_signal_connect(stream, "g-properties-changed", G_CALLBACK(on_properties), row);
	update(row);
	find_owner(row);
	return GTK_WIDGET(row);
}

GDBusProxy *tbs_stream_row_get_proxy(TbsStreamRow *row)
{
	return row->stream;
}
