/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "client.h"

struct _TbsClient {
	GObject parent;
	GCancellable *cancellable;
	GDBusConnection *bus;
	GDBusObjectManager *om;
	GDBusProxy *manager;
	TbsClientState state;
	GError *error;
	gboolean wanted;
	gboolean activating;
};

G_DEFINE_FINAL_TYPE(TbsClient, tbs_client, G_TYPE_OBJECT)

enum { SIGNAL_STATE_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void set_state(TbsClient *c, TbsClientState state, const GError *error)
{
	g_clear_error(&c->error);
	if (error)
		c->error = g_error_copy(error);
	if (c->state == state && !error)
		return;
	c->state = state;
	g_signal_emit(c, signals[SIGNAL_STATE_CHANGED], 0);
}

static gboolean has_owner(TbsClient *c)
{
	g_autofree char *owner = NULL;

	if (!c->om || !c->manager)
		return FALSE;
	owner = g_dbus_object_manager_client_get_name_owner(G_DBUS_OBJECT_MANAGER_CLIENT(c->om));
	return owner != NULL;
}

static void on_started(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(TbsClient) c = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;

	/* the reply carries only StartServiceByName's status; the owner change is what counts */
	reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	c->activating = FALSE;
	if (error) {
		g_dbus_error_strip_remote_error(error);
		g_warning("Cannot start %s: %s", TBS_BUS_NAME, error->message);
		set_state(c, TBS_CLIENT_UNAVAILABLE, error);
		return;
	}
	/* the object manager reports the new owner through notify::name-owner */
	if (has_owner(c))
		set_state(c, TBS_CLIENT_RUNNING, NULL);
}

void tbs_client_activate(TbsClient *c)
{
	if (!c->bus || c->activating || has_owner(c))
		return;
	c->activating = TRUE;
	set_state(c, TBS_CLIENT_STARTING, NULL);
	g_dbus_connection_call(c->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "StartServiceByName",
			       g_variant_new("(su)", TBS_BUS_NAME, 0u), G_VARIANT_TYPE("(u)"),
			       G_DBUS_CALL_FLAGS_NONE, -1, c->cancellable, on_started,
			       g_object_ref(c));
}

static void on_name_owner(GObject *om, GParamSpec *pspec, gpointer user_data)
{
	TbsClient *c = user_data;

	if (has_owner(c)) {
		set_state(c, TBS_CLIENT_RUNNING, NULL);
		return;
	}
	/* the daemon exits when idle: normal, start it again if someone looks */
	if (c->wanted)
		tbs_client_activate(c);
	else
		set_state(c, TBS_CLIENT_STARTING, NULL);
}

static void on_manager_ready(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(TbsClient) c = user_data;
	g_autoptr(GError) error = NULL;
	GDBusProxy *manager = g_dbus_proxy_new_finish(res, &error);

	if (!manager) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		g_warning("Cannot watch %s's manager: %s", TBS_BUS_NAME, error->message);
		set_state(c, TBS_CLIENT_UNAVAILABLE, error);
		return;
	}
	c->manager = manager;
	g_signal_connect_object(c->om, "notify::name-owner", G_CALLBACK(on_name_owner), c, 0);
	if (has_owner(c))
		set_state(c, TBS_CLIENT_RUNNING, NULL);
	else
		tbs_client_activate(c);
	/* listeners look up the object manager when the state changes */
	g_signal_emit(c, signals[SIGNAL_STATE_CHANGED], 0);
}

static void on_om_ready(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(TbsClient) c = user_data;
	g_autoptr(GError) error = NULL;
	GDBusObjectManager *om = g_dbus_object_manager_client_new_for_bus_finish(res, &error);

	if (!om) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		g_warning("Cannot watch %s on the system bus: %s", TBS_BUS_NAME, error->message);
		set_state(c, TBS_CLIENT_UNAVAILABLE, error);
		return;
	}
	c->om = om;
	c->bus = g_object_ref(
		g_dbus_object_manager_client_get_connection(G_DBUS_OBJECT_MANAGER_CLIENT(om)));
	/* a proxy with a well-known name reloads its properties when the owner changes */
	g_dbus_proxy_new(c->bus, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, NULL, TBS_BUS_NAME,
			 TBS_ROOT_PATH, TBS_IFACE_MANAGER, c->cancellable, on_manager_ready,
			 g_object_ref(c));
}

static void tbs_client_dispose(GObject *object)
{
	TbsClient *c = TBS_CLIENT(object);

	g_cancellable_cancel(c->cancellable);
	g_clear_object(&c->manager);
	g_clear_object(&c->om);
	g_clear_object(&c->bus);
	G_OBJECT_CLASS(tbs_client_parent_class)->dispose(object);
}

static void tbs_client_finalize(GObject *object)
{
	TbsClient *c = TBS_CLIENT(object);

	g_clear_object(&c->cancellable);
	g_clear_error(&c->error);
	G_OBJECT_CLASS(tbs_client_parent_class)->finalize(object);
}

static void tbs_client_class_init(TbsClientClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);

	oc->dispose = tbs_client_dispose;
	oc->finalize = tbs_client_finalize;
	signals[SIGNAL_STATE_CHANGED] =
		g_signal_new("state-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 0);
}

static void tbs_client_init(TbsClient *c)
{
	c->cancellable = g_cancellable_new();
	c->state = TBS_CLIENT_STARTING;
	c->wanted = TRUE;
}

TbsClient *tbs_client_new(void)
{
	TbsClient *c = g_object_new(TBS_TYPE_CLIENT, NULL);

	/*
	 * No auto-start here: the client starts the daemon itself, so it can
	 * tell "starting" from "cannot be started" and show why.
	 */
	g_dbus_object_manager_client_new_for_bus(
		G_BUS_TYPE_SYSTEM, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
		TBS_BUS_NAME, TBS_ROOT_PATH, NULL, NULL, NULL, c->cancellable, on_om_ready,
		g_object_ref(c));
	return c;
}

TbsClientState tbs_client_get_state(TbsClient *c)
{
	return c->state;
}

const GError *tbs_client_get_error(TbsClient *c)
{
	return c->error;
}

GDBusObjectManager *tbs_client_get_object_manager(TbsClient *c)
{
	return c->om;
}

GDBusProxy *tbs_client_get_manager(TbsClient *c)
{
	return c->manager;
}

GDBusProxy *tbs_client_get_proxy(TbsClient *c, const char *path, const char *iface)
{
	g_autoptr(GDBusInterface) i = NULL;

	if (!c->om || !path)
		return NULL;
	i = g_dbus_object_manager_get_interface(c->om, path, iface);
	/* the object manager keeps its own reference while the object exists */
	return i ? G_DBUS_PROXY(i) : NULL;
}

static gint by_path(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(g_dbus_proxy_get_object_path((GDBusProxy *)a),
			 g_dbus_proxy_get_object_path((GDBusProxy *)b));
}

GList *tbs_client_list(TbsClient *c, const char *iface)
{
	GList *objects, *out = NULL;

	if (!c->om)
		return NULL;
	objects = g_dbus_object_manager_get_objects(c->om);
	for (GList *l = objects; l; l = l->next) {
		GDBusInterface *i = g_dbus_object_get_interface(l->data, iface);
		if (i)
			out = g_list_prepend(out, i);
	}
	g_list_free_full(objects, g_object_unref);
	return g_list_sort(out, by_path);
}

void tbs_client_set_wanted(TbsClient *c, gboolean wanted)
{
	c->wanted = wanted;
	if (wanted && c->om && !has_owner(c) && c->state != TBS_CLIENT_UNAVAILABLE)
		tbs_client_activate(c);
}

void tbs_client_call(TbsClient *c, const char *path, const char *iface, const char *method,
		     GVariant *params, const GVariantType *reply_type, GCancellable *cancellable,
		     GAsyncReadyCallback cb, gpointer user_data)
{
	GTask *task;

	if (!c->bus) {
		if (params)
			g_variant_unref(g_variant_ref_sink(params));
		task = g_task_new(c, cancellable, cb, user_data);
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
					"No connection to the system bus");
		g_object_unref(task);
		return;
	}
	/*
	 * Without NO_AUTO_START: a call to a daemon that has just gone idle
	 * starts it again.
	 */
	g_dbus_connection_call(c->bus, TBS_BUS_NAME, path, iface, method, params, reply_type,
			       G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, G_MAXINT,
			       cancellable, cb, user_data);
}

GVariant *tbs_client_call_finish(GObject *source, GAsyncResult *res, GError **error)
{
	if (G_IS_TASK(res))
		return g_task_propagate_pointer(G_TASK(res), error);
	return g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, error);
}

void tbs_client_set_property(TbsClient *c, const char *path, const char *iface,
			     const char *property, GVariant *value, GCancellable *cancellable,
			     GAsyncReadyCallback cb, gpointer user_data)
{
	tbs_client_call(c, path, "org.freedesktop.DBus.Properties", "Set",
			g_variant_new("(ssv)", iface, property, value), NULL, cancellable, cb,
			user_data);
}

static GVariant *get(GDBusProxy *p, const char *property, const char *type)
{
	GVariant *v = p ? g_dbus_proxy_get_cached_property(p, property) : NULL;

	if (v && !g_variant_is_of_type(v, G_VARIANT_TYPE(type))) {
		g_variant_unref(v);
		return NULL;
	}
	return v;
}

char *tbs_proxy_dup_string(GDBusProxy *p, const char *property)
{
	g_autoptr(GVariant) v = get(p, property, "s");
	return g_strdup(v ? g_variant_get_string(v, NULL) : "");
}

gboolean tbs_proxy_get_boolean(GDBusProxy *p, const char *property)
{
	g_autoptr(GVariant) v = get(p, property, "b");
	return v ? g_variant_get_boolean(v) : FALSE;
}

guint32 tbs_proxy_get_uint32(GDBusProxy *p, const char *property)
{
	g_autoptr(GVariant) v = get(p, property, "u");
	return v ? g_variant_get_uint32(v) : 0;
}

guint64 tbs_proxy_get_uint64(GDBusProxy *p, const char *property)
{
	g_autoptr(GVariant) v = get(p, property, "t");
	return v ? g_variant_get_uint64(v) : 0;
}

gint32 tbs_proxy_get_int32(GDBusProxy *p, const char *property)
{
	g_autoptr(GVariant) v = get(p, property, "i");
	return v ? g_variant_get_int32(v) : -1;
}

char **tbs_proxy_dup_objv(GDBusProxy *p, const char *property)
{
	g_autoptr(GVariant) v = get(p, property, "ao");
	return v ? g_variant_dup_objv(v, NULL) : g_new0(char *, 1);
}
