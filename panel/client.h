/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

/*
 * The panel's view of tbstreamd: one GDBusObjectManagerClient on the system
 * bus that lives as long as the panel, whatever the daemon does. The daemon
 * exits when idle and comes back through D-Bus activation; the client asks
 * for it (StartServiceByName) at start and again when it has gone while
 * someone looks at the panel, so a vanished name is normal, not an error.
 */

#define TBS_BUS_NAME "io.github.tbstream1"
#define TBS_ROOT_PATH "/io/github/tbstream1"
#define TBS_IFACE_MANAGER "io.github.tbstream1.Manager"
#define TBS_IFACE_PEER "io.github.tbstream1.Peer"
#define TBS_IFACE_STREAM "io.github.tbstream1.Stream"

typedef enum {
	TBS_CLIENT_STARTING,	/* asking the bus to start the daemon */
	TBS_CLIENT_RUNNING,	/* the daemon owns the name, objects are loaded */
	TBS_CLIENT_UNAVAILABLE, /* no system bus, or the daemon cannot be started */
} TbsClientState;

#define TBS_TYPE_CLIENT (tbs_client_get_type())
G_DECLARE_FINAL_TYPE(TbsClient, tbs_client, TBS, CLIENT, GObject)

TbsClient *tbs_client_new(void);
TbsClientState tbs_client_get_state(TbsClient *c);
/* Why the client is unavailable (a D-Bus error for a person), or NULL. */
const GError *tbs_client_get_error(TbsClient *c);
/* NULL until the bus connection is up. */
GDBusObjectManager *tbs_client_get_object_manager(TbsClient *c);
/*
 * The Manager's proxy (the root object is not among the object manager's
 * objects); its properties are empty while the daemon is not running.
 * NULL until the bus connection is up. Transfer none.
 */
GDBusProxy *tbs_client_get_manager(TbsClient *c);
/* The proxy of iface on path, or NULL (not loaded, or gone). Transfer none. */
GDBusProxy *tbs_client_get_proxy(TbsClient *c, const char *path, const char *iface);
/* Every proxy of iface, sorted by object path. Free with g_list_free_full(g_object_unref). */
GList *tbs_client_list(TbsClient *c, const char *iface);
/*
 * Whether a person is looking: while wanted, a daemon that left (idle exit) is
 * started again; while not, the panel leaves it stopped.
 */
void tbs_client_set_wanted(TbsClient *c, gboolean wanted);
/* Start the daemon through D-Bus activation (the Retry of the error page). */
void tbs_client_activate(TbsClient *c);

/*
 * Calls with ALLOW_INTERACTIVE_AUTHORIZATION: polkit may ask the person for a
 * password through the desktop's agent, so no timeout either (-1 would cut a
 * person typing a password off after 25 s).
 */
void tbs_client_call(TbsClient *c, const char *path, const char *iface, const char *method,
		     GVariant *params, const GVariantType *reply_type, GCancellable *cancellable,
		     GAsyncReadyCallback cb, gpointer user_data);
/* source: the source object the callback got. */
GVariant *tbs_client_call_finish(GObject *source, GAsyncResult *res, GError **error);
/* org.freedesktop.DBus.Properties.Set, interactive; finish with tbs_client_call_finish. */
void tbs_client_set_property(TbsClient *c, const char *path, const char *iface,
			     const char *property, GVariant *value, GCancellable *cancellable,
			     GAsyncReadyCallback cb, gpointer user_data);

/* Property helpers that tolerate a missing property (an older daemon). */
char *tbs_proxy_dup_string(GDBusProxy *p, const char *property);
gboolean tbs_proxy_get_boolean(GDBusProxy *p, const char *property);
guint32 tbs_proxy_get_uint32(GDBusProxy *p, const char *property);
guint64 tbs_proxy_get_uint64(GDBusProxy *p, const char *property);
gint32 tbs_proxy_get_int32(GDBusProxy *p, const char *property);
/* NULL-terminated; free with g_strfreev. */
char **tbs_proxy_dup_objv(GDBusProxy *p, const char *property);
