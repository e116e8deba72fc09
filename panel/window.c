/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib/gi18n.h>

#include "controllers-group.h"
#include "errors.h"
#include "peer-actions.h"
#include "peer-page.h"
#include "peer-row.h"
#include "window.h"

struct _TbsWindow {
	AdwApplicationWindow parent;
	TbsClient *client;
	GDBusObjectManager *om; /* the one whose signals we hold */
	GtkWidget *toasts, *leaflet, *main_page, *stack;
	GtkWidget *unavailable, *no_kernel;
	/* what the status pages say, over the list once a computer is listed */
	GtkWidget *problem_group, *problem_row;
	GtkWidget *peers_group, *peers_list;
	/* the host's domains: under the list, and on the empty "no cable" page */
	GtkWidget *controllers_list, *controllers_empty;
	GtkWidget *peer_page;
	GHashTable *rows; /* peer object path -> TbsPeerRow */
};

G_DEFINE_FINAL_TYPE(TbsWindow, tbs_window, ADW_TYPE_APPLICATION_WINDOW)

void tbs_show_toast(GtkWidget *widget, const char *text)
{
	GtkRoot *root = gtk_widget_get_root(widget);
	AdwToast *toast;

	if (!TBS_IS_WINDOW(root))
		return;
	toast = adw_toast_new(text);
	adw_toast_set_timeout(toast, 8);
	adw_toast_overlay_add_toast(ADW_TOAST_OVERLAY(TBS_WINDOW(root)->toasts), toast);
}

void tbs_show_error(GtkWidget *widget, const char *action, const GError *error)
{
	g_autofree char *text = NULL;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	text = tbs_error_describe(action, error);
	tbs_show_toast(widget, text);
}

typedef struct {
	GtkWidget *widget;
	char *action;
} FailureToast;

gpointer tbs_toast_on_failure_data(GtkWidget *widget, const char *action)
{
	FailureToast *t = g_new0(FailureToast, 1);

	t->widget = g_object_ref(widget);
	t->action = g_strdup(action);
	return t;
}

void tbs_toast_on_failure(GObject *source, GAsyncResult *res, gpointer user_data)
{
	FailureToast *t = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = tbs_client_call_finish(source, res, &error);

	if (!reply)
		tbs_show_error(t->widget, t->action, error);
	g_object_unref(t->widget);
	g_free(t->action);
	g_free(t);
}

static GDBusProxy *peer_of(GDBusObject *object)
{
	GDBusInterface *i = g_dbus_object_get_interface(object, TBS_IFACE_PEER);
	return i ? G_DBUS_PROXY(i) : NULL; /* a new reference */
}

static gboolean any_peer_connected(TbsWindow *w)
{
	GHashTableIter it;
	gpointer row;

	g_hash_table_iter_init(&it, w->rows);
	while (g_hash_table_iter_next(&it, NULL, &row))
		if (tbs_proxy_get_boolean(tbs_peer_row_get_proxy(row), "Connected"))
			return TRUE;
	return FALSE;
}

/*
 * Why no stream can work on this computer, whether or not a computer is
 * listed: "no-kernel", "no-controller", or NULL. A connected computer proves
 * a controller, whatever Controllers says.
 */
static const char *problem_state(TbsWindow *w)
{
	GDBusProxy *m = tbs_client_get_manager(w->client);
	g_autofree char *state = tbs_proxy_dup_string(m, "StatusCode");
	g_autoptr(GVariant) controllers = NULL;

	if (g_str_equal(state, "no-configfs") || g_str_equal(state, "no-stream-module"))
		return "no-kernel";
	controllers = m ? g_dbus_proxy_get_cached_property(m, "Controllers") : NULL;
	if (controllers && g_variant_n_children(controllers) == 0 && !any_peer_connected(w))
		return "no-controller";
	return NULL;
}

/* Which page of the main stack tells the truth now. */
static const char *main_state(TbsWindow *w)
{
	GDBusProxy *m;
	g_autofree char *owner = NULL;
	const char *problem;

	switch (tbs_client_get_state(w->client)) {
	case TBS_CLIENT_STARTING:
		return "starting";
	case TBS_CLIENT_UNAVAILABLE:
		return "unavailable";
	case TBS_CLIENT_RUNNING:
		break;
	}
	m = tbs_client_get_manager(w->client);
	owner = m ? g_dbus_proxy_get_name_owner(m) : NULL;
	if (!owner)
		return "starting"; /* the owner is there, its objects are on their way */
	/* known computers stay listed; update_problem() puts the problem above them */
	if (g_hash_table_size(w->rows) > 0)
		return "peers";
	problem = problem_state(w);
	return problem ? problem : "no-cable";
}

static const char *kernel_problem_text(TbsWindow *w)
{
	GDBusProxy *m = tbs_client_get_manager(w->client);
	g_autofree char *code = tbs_proxy_dup_string(m, "StatusCode");

	if (g_str_equal(code, "no-configfs"))
		return _("ConfigFS is not mounted. Ask your administrator to mount it on "
			 "/sys/kernel/config, or restart the computer.");
	return _("The tbstream kernel module is not loaded. Ask your administrator to "
		 "install the tbstream package and run “modprobe tbstream”.");
}

static const char *no_controller_text(void)
{
	return _("This computer has no Thunderbolt or USB4 controller, or it is turned off in "
		 "the firmware settings.");
}

static void update_kernel_page(TbsWindow *w)
{
	adw_status_page_set_description(ADW_STATUS_PAGE(w->no_kernel), kernel_problem_text(w));
}

/*
 * libadwaita 1.2 has no AdwBanner: a row with a warning icon at the top of
 * the list says what the status page would, so a listed computer does not
 * hide why its streams cannot work.
 */
static void update_problem(TbsWindow *w, const char *page)
{
	const char *problem = g_str_equal(page, "peers") ? problem_state(w) : NULL;
	const char *title = NULL, *text = NULL;

	if (problem && g_str_equal(problem, "no-kernel")) {
		title = _("Streams Are Not Available");
		text = kernel_problem_text(w);
	} else if (problem) {
		title = _("No Thunderbolt or USB4 Port");
		text = no_controller_text();
	}
	gtk_widget_set_visible(w->problem_group, problem != NULL);
	if (!problem)
		return;
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(w->problem_row), title);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(w->problem_row), text);
	gtk_accessible_update_property(GTK_ACCESSIBLE(w->problem_row),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, title,
				       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
}

static void update_unavailable_page(TbsWindow *w)
{
	const GError *error = tbs_client_get_error(w->client);
	const char *text = _("The stream service (tbstreamd) could not be started.");

	if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN))
		text = _("The stream service (tbstreamd) is not installed on this computer.");
	else if (error && error->domain == G_IO_ERROR)
		text = _("The system bus is not available.");
	adw_status_page_set_description(ADW_STATUS_PAGE(w->unavailable), text);
}

static void update_peers_group(TbsWindow *w)
{
	adw_preferences_group_set_description(
		ADW_PREFERENCES_GROUP(w->peers_group),
		any_peer_connected(w)
			? NULL
			: _("No computer is connected. Connect one with a Thunderbolt or "
			    "USB4 cable to use its streams."));
}

/*
 * GTK 4.8 exposes every page of a stack (and both leaflet pages) to AT-SPI
 * without telling which one shows; only the current one stays visible, so a
 * screen reader reads what is on screen.
 */
static void show_page(TbsWindow *w, const char *name)
{
	GtkWidget *page = gtk_stack_get_child_by_name(GTK_STACK(w->stack), name);

	gtk_widget_set_visible(page, TRUE);
	gtk_stack_set_visible_child(GTK_STACK(w->stack), page);
	for (GtkWidget *c = gtk_widget_get_first_child(w->stack); c;
	     c = gtk_widget_get_next_sibling(c))
		if (c != page)
			gtk_widget_set_visible(c, FALSE);
}

static void show_peer_page(TbsWindow *w, gboolean show)
{
	GtkWidget *to = show ? w->peer_page : w->main_page;

	gtk_widget_set_visible(to, TRUE);
	adw_leaflet_set_visible_child(ADW_LEAFLET(w->leaflet), to);
	/* the other one goes once the transition is over (on_leaflet_child) */
}

static void update_controllers(TbsWindow *w)
{
	GDBusProxy *m = tbs_client_get_manager(w->client);
	g_autoptr(GVariant) controllers = NULL;

	if (m && tbs_client_get_state(w->client) == TBS_CLIENT_RUNNING)
		controllers = g_dbus_proxy_get_cached_property(m, "Controllers");
	if (controllers && !g_variant_is_of_type(controllers, G_VARIANT_TYPE("aa{sv}")))
		g_clear_pointer(&controllers, g_variant_unref);
	tbs_controllers_group_set_controllers(TBS_CONTROLLERS_GROUP(w->controllers_list),
					      controllers);
	tbs_controllers_group_set_controllers(TBS_CONTROLLERS_GROUP(w->controllers_empty),
					      controllers);
}

static void update(TbsWindow *w)
{
	const char *page = main_state(w);

	update_kernel_page(w);
	update_controllers(w);
	update_unavailable_page(w);
	update_peers_group(w);
	update_problem(w, page);
	gtk_list_box_invalidate_sort(GTK_LIST_BOX(w->peers_list));
	show_page(w, page);
	/* the open peer page follows its peer; back to the list when it goes */
	if (!tbs_peer_page_get_peer(TBS_PEER_PAGE(w->peer_page)))
		show_peer_page(w, FALSE);
}

static void on_peer_properties(GDBusProxy *p, GVariant *changed, GStrv invalidated,
			       gpointer user_data)
{
	update(user_data);
}

static void add_peer(TbsWindow *w, GDBusProxy *peer)
{
	const char *path = g_dbus_proxy_get_object_path(peer);
	GtkWidget *row;

	if (g_hash_table_contains(w->rows, path))
		return;
	row = tbs_peer_row_new(w->client, peer);
	g_hash_table_insert(w->rows, g_strdup(path), row);
	gtk_list_box_append(GTK_LIST_BOX(w->peers_list), row);
	g_signal_connect_object(peer, "g-properties-changed", G_CALLBACK(on_peer_properties), w, 0);
}

static void remove_peer(TbsWindow *w, const char *path)
{
	GtkWidget *row = g_hash_table_lookup(w->rows, path);
	GDBusProxy *shown = tbs_peer_page_get_peer(TBS_PEER_PAGE(w->peer_page));

	if (!row)
		return;
	g_signal_handlers_disconnect_by_data(tbs_peer_row_get_proxy(TBS_PEER_ROW(row)), w);
	if (shown && g_str_equal(g_dbus_proxy_get_object_path(shown), path))
		tbs_peer_page_set_peer(TBS_PEER_PAGE(w->peer_page), NULL);
	gtk_list_box_remove(GTK_LIST_BOX(w->peers_list), row);
	g_hash_table_remove(w->rows, path);
}

static void on_object_added(GDBusObjectManager *om, GDBusObject *object, gpointer user_data)
{
	TbsWindow *w = user_data;
	g_autoptr(GDBusProxy) peer = peer_of(object);

	if (peer)
		add_peer(w, peer);
	tbs_peer_page_sync_streams(TBS_PEER_PAGE(w->peer_page));
	update(w);
}

static void on_object_removed(GDBusObjectManager *om, GDBusObject *object, gpointer user_data)
{
	TbsWindow *w = user_data;

	remove_peer(w, g_dbus_object_get_object_path(object));
	tbs_peer_page_sync_streams(TBS_PEER_PAGE(w->peer_page));
	update(w);
}

static void on_manager_properties(GDBusProxy *p, GVariant *changed, GStrv invalidated,
				  gpointer user_data)
{
	update(user_data);
}

static void attach_object_manager(TbsWindow *w)
{
	GDBusObjectManager *om = tbs_client_get_object_manager(w->client);
	GList *objects;

	if (!om || om == w->om || !tbs_client_get_manager(w->client))
		return;
	w->om = g_object_ref(om);
	g_signal_connect_object(om, "object-added", G_CALLBACK(on_object_added), w, 0);
	g_signal_connect_object(om, "object-removed", G_CALLBACK(on_object_removed), w, 0);
	g_signal_connect_object(tbs_client_get_manager(w->client), "g-properties-changed",
				G_CALLBACK(on_manager_properties), w, 0);
	objects = g_dbus_object_manager_get_objects(om);
	for (GList *l = objects; l; l = l->next) {
		g_autoptr(GDBusProxy) peer = peer_of(l->data);
		if (peer)
			add_peer(w, peer);
	}
	g_list_free_full(objects, g_object_unref);
}

static void on_client_state(TbsClient *c, gpointer user_data)
{
	TbsWindow *w = user_data;

	attach_object_manager(w);
	update(w);
}

static int sort_peers(GtkListBoxRow *a, GtkListBoxRow *b, gpointer user_data)
{
	GDBusProxy *pa = tbs_peer_row_get_proxy(TBS_PEER_ROW(a));
	GDBusProxy *pb = tbs_peer_row_get_proxy(TBS_PEER_ROW(b));
	gboolean ca = tbs_proxy_get_boolean(pa, "Connected");
	gboolean cb = tbs_proxy_get_boolean(pb, "Connected");
	g_autofree char *na = NULL, *nb = NULL;

	if (ca != cb)
		return ca ? -1 : 1; /* connected computers first */
	na = tbs_proxy_dup_string(pa, "DisplayName");
	nb = tbs_proxy_dup_string(pb, "DisplayName");
	return g_utf8_collate(na, nb);
}

static void on_peer_activated(GtkListBox *list, GtkListBoxRow *row, gpointer user_data)
{
	TbsWindow *w = user_data;

	tbs_peer_page_set_peer(TBS_PEER_PAGE(w->peer_page),
			       tbs_peer_row_get_proxy(TBS_PEER_ROW(row)));
	show_peer_page(w, TRUE);
}

static void on_back(TbsPeerPage *page, gpointer user_data)
{
	show_peer_page(user_data, FALSE);
}

/* After a transition (ours, or Alt+Left and the mouse's back button), hide the other page. */
static void on_leaflet_child(AdwLeaflet *leaflet, GParamSpec *pspec, gpointer user_data)
{
	TbsWindow *w = user_data;
	GtkWidget *shown = adw_leaflet_get_visible_child(leaflet);

	if (adw_leaflet_get_child_transition_running(leaflet))
		return;
	if (shown == w->main_page)
		gtk_widget_set_visible(w->peer_page, FALSE);
	else
		gtk_widget_set_visible(w->main_page, FALSE);
}

static void on_retry(GtkButton *b, gpointer user_data)
{
	tbs_client_activate(TBS_WINDOW(user_data)->client);
}

/* Someone looks at the panel while it is mapped: keep the daemon's view live. */
static void on_mapped(GtkWidget *widget, gpointer user_data)
{
	TbsWindow *w = TBS_WINDOW(widget);

	tbs_client_set_wanted(w->client, gtk_widget_get_mapped(widget));
}

static GtkWidget *status_page(GtkStack *stack, const char *name, const char *icon,
			      const char *title, const char *description)
{
	GtkWidget *page = adw_status_page_new();

	adw_status_page_set_icon_name(ADW_STATUS_PAGE(page), icon);
	adw_status_page_set_title(ADW_STATUS_PAGE(page), title);
	if (description)
		adw_status_page_set_description(ADW_STATUS_PAGE(page), description);
	gtk_stack_add_named(stack, page, name);
	return page;
}

static void tbs_window_dispose(GObject *object)
{
	TbsWindow *w = TBS_WINDOW(object);

	if (w->client)
		g_signal_handlers_disconnect_by_data(w->client, w);
	g_clear_object(&w->om);
	g_clear_object(&w->client);
	g_clear_pointer(&w->rows, g_hash_table_unref);
	G_OBJECT_CLASS(tbs_window_parent_class)->dispose(object);
}

static void tbs_window_class_init(TbsWindowClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = tbs_window_dispose;
}

static GtkWidget *main_page_new(TbsWindow *w)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	GtkWidget *header = adw_header_bar_new(), *menu = gtk_menu_button_new();
	GtkWidget *prefs = adw_preferences_page_new(), *retry, *spinner, *starting, *no_cable,
		  *icon;
	g_autoptr(GMenu) model = g_menu_new();

	g_menu_append(model, _("_About Thunderbolt Streams"), "app.about");
	gtk_menu_button_set_icon_name(GTK_MENU_BUTTON(menu), "open-menu-symbolic");
	gtk_menu_button_set_menu_model(GTK_MENU_BUTTON(menu), G_MENU_MODEL(model));
	gtk_menu_button_set_primary(GTK_MENU_BUTTON(menu), TRUE);
	gtk_widget_set_tooltip_text(menu, _("Main Menu"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(menu), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Main menu"), -1);
	adw_header_bar_pack_end(ADW_HEADER_BAR(header), menu);
	gtk_box_append(GTK_BOX(box), header);

	w->stack = gtk_stack_new();
	gtk_widget_set_vexpand(w->stack, TRUE);
	gtk_stack_set_transition_type(GTK_STACK(w->stack), GTK_STACK_TRANSITION_TYPE_NONE);
	gtk_box_append(GTK_BOX(box), w->stack);

	starting = status_page(GTK_STACK(w->stack), "starting", "content-loading-symbolic",
			       _("Starting the Stream Service…"), NULL);
	spinner = gtk_spinner_new();
	gtk_spinner_set_spinning(GTK_SPINNER(spinner), TRUE);
	gtk_widget_set_size_request(spinner, 32, 32);
	adw_status_page_set_child(ADW_STATUS_PAGE(starting), spinner);

	w->unavailable = status_page(GTK_STACK(w->stack), "unavailable", "dialog-error-symbolic",
				     _("The Stream Service Is Not Running"), NULL);
	retry = gtk_button_new_with_mnemonic(_("_Try Again"));
	gtk_widget_set_halign(retry, GTK_ALIGN_CENTER);
	gtk_widget_add_css_class(retry, "pill");
	gtk_widget_add_css_class(retry, "suggested-action");
	g_signal_connect(retry, "clicked", G_CALLBACK(on_retry), w);
	adw_status_page_set_child(ADW_STATUS_PAGE(w->unavailable), retry);

	w->no_kernel = status_page(GTK_STACK(w->stack), "no-kernel", "dialog-warning-symbolic",
				   _("Streams Are Not Available"), NULL);
	status_page(GTK_STACK(w->stack), "no-controller", "computer-fail-symbolic",
		    _("No Thunderbolt or USB4 Port"), no_controller_text());
	no_cable = status_page(GTK_STACK(w->stack), "no-cable", "io.github.tbstream.Panel-symbolic",
			       _("No Computer Connected"),
			       _("Connect another computer with a Thunderbolt or USB4 cable. It "
				 "appears here, and you can allow it to exchange streams with this "
				 "one."));
	w->controllers_empty = tbs_controllers_group_new();
	adw_status_page_set_child(ADW_STATUS_PAGE(no_cable), w->controllers_empty);

	w->problem_group = adw_preferences_group_new();
	w->problem_row = adw_action_row_new();
	icon = gtk_image_new_from_icon_name("dialog-warning-symbolic");
	gtk_widget_add_css_class(icon, "warning");
	/* the title says it in words */
	gtk_accessible_update_state(GTK_ACCESSIBLE(icon), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
	adw_action_row_add_prefix(ADW_ACTION_ROW(w->problem_row), icon);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(w->problem_group), w->problem_row);
	gtk_widget_set_visible(w->problem_group, FALSE);
	adw_preferences_page_add(ADW_PREFERENCES_PAGE(prefs),
				 ADW_PREFERENCES_GROUP(w->problem_group));

	w->peers_group = adw_preferences_group_new();
	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(w->peers_group), _("Computers"));
	w->peers_list = gtk_list_box_new();
	gtk_list_box_set_selection_mode(GTK_LIST_BOX(w->peers_list), GTK_SELECTION_NONE);
	gtk_widget_add_css_class(w->peers_list, "boxed-list");
	gtk_accessible_update_property(GTK_ACCESSIBLE(w->peers_list), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Computers"), -1);
	gtk_list_box_set_sort_func(GTK_LIST_BOX(w->peers_list), sort_peers, NULL, NULL);
	g_signal_connect(w->peers_list, "row-activated", G_CALLBACK(on_peer_activated), w);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(w->peers_group), w->peers_list);
	adw_preferences_page_add(ADW_PREFERENCES_PAGE(prefs),
				 ADW_PREFERENCES_GROUP(w->peers_group));
	w->controllers_list = tbs_controllers_group_new();
	adw_preferences_page_add(ADW_PREFERENCES_PAGE(prefs),
				 ADW_PREFERENCES_GROUP(w->controllers_list));
	gtk_stack_add_named(GTK_STACK(w->stack), prefs, "peers");
	return box;
}

static void tbs_window_init(TbsWindow *w)
{
	GtkShortcutController *keys = GTK_SHORTCUT_CONTROLLER(gtk_shortcut_controller_new());

	w->rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	gtk_window_set_title(GTK_WINDOW(w), _("Thunderbolt Streams"));
	gtk_window_set_default_size(GTK_WINDOW(w), 640, 720);
	gtk_widget_set_size_request(GTK_WIDGET(w), 360, 400);

	w->toasts = adw_toast_overlay_new();
	w->leaflet = adw_leaflet_new();
	adw_leaflet_set_can_unfold(ADW_LEAFLET(w->leaflet), FALSE);
	adw_leaflet_set_can_navigate_back(ADW_LEAFLET(w->leaflet), TRUE);
	adw_toast_overlay_set_child(ADW_TOAST_OVERLAY(w->toasts), w->leaflet);
	adw_application_window_set_content(ADW_APPLICATION_WINDOW(w), w->toasts);

	/* Escape leaves a peer's page, as Alt+Left (the leaflet's own) does */
	gtk_shortcut_controller_add_shortcut(
		keys, gtk_shortcut_new(gtk_keyval_trigger_new(GDK_KEY_Escape, 0),
				       gtk_named_action_new("win.back")));
	gtk_widget_add_controller(GTK_WIDGET(w), GTK_EVENT_CONTROLLER(keys));
	g_signal_connect(w, "map", G_CALLBACK(on_mapped), NULL);
	g_signal_connect(w, "unmap", G_CALLBACK(on_mapped), NULL);
}

static void back_activated(GSimpleAction *a, GVariant *param, gpointer user_data)
{
	show_peer_page(user_data, FALSE);
}

TbsWindow *tbs_window_new(AdwApplication *app, TbsClient *client)
{
	TbsWindow *w = g_object_new(TBS_TYPE_WINDOW, "application", app, NULL);
	static const GActionEntry actions[] = {{.name = "back", .activate = back_activated}};

	w->client = g_object_ref(client);
	w->main_page = main_page_new(w);
	adw_leaflet_append(ADW_LEAFLET(w->leaflet), w->main_page);
	w->peer_page = tbs_peer_page_new(client);
	g_signal_connect(w->peer_page, "back", G_CALLBACK(on_back), w);
	adw_leaflet_append(ADW_LEAFLET(w->leaflet), w->peer_page);
	gtk_widget_set_visible(w->peer_page, FALSE);
	g_signal_connect(w->leaflet, "notify::child-transition-running",
			 G_CALLBACK(on_leaflet_child), w);
	g_signal_connect(w->leaflet, "notify::visible-child", G_CALLBACK(on_leaflet_child), w);
	g_action_map_add_action_entries(G_ACTION_MAP(w), actions, G_N_ELEMENTS(actions), w);
	g_signal_connect_object(client, "state-changed", G_CALLBACK(on_client_state), w, 0);
	attach_object_manager(w);
	update(w);
	return w;
}
