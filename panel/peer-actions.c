/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib/gi18n.h>

#include "link.h"
#include "peer-actions.h"
#include "window.h"

void tbs_peer_revoke(GtkWidget *widget, TbsClient *c, GDBusProxy *peer)
{
	tbs_client_call(
		c, g_dbus_proxy_get_object_path(peer), TBS_IFACE_PEER, "Revoke", NULL, NULL, NULL,
		tbs_toast_on_failure,
		tbs_toast_on_failure_data(widget, _("Could not revoke the computer’s access")));
}

void tbs_peer_rename(GtkWidget *widget, TbsClient *c, GDBusProxy *peer, const char *label)
{
	tbs_client_set_property(
		c, g_dbus_proxy_get_object_path(peer), TBS_IFACE_PEER, "Label",
		g_variant_new_string(label), NULL, tbs_toast_on_failure,
		tbs_toast_on_failure_data(widget, _("Could not rename the computer")));
}

void tbs_peer_forget(GtkWidget *widget, TbsClient *c, GDBusProxy *peer)
{
	tbs_client_call(c, g_dbus_proxy_get_object_path(peer), TBS_IFACE_PEER, "Forget", NULL, NULL,
			NULL, tbs_toast_on_failure,
			tbs_toast_on_failure_data(widget, _("Could not forget the computer")));
}

gboolean tbs_peer_is_allowed(GDBusProxy *peer)
{
	return tbs_proxy_get_boolean(peer, "Allowed");
}

gboolean tbs_peer_is_enrolled(GDBusProxy *peer)
{
	return tbs_proxy_get_boolean(peer, "Enrolled");
}

/* Not Allowed alone: a peer the daemon has not judged yet (unplugged since it
 * started, no stream module) is not allowed either, and no rule names it. */
gboolean tbs_peer_is_overridden(GDBusProxy *peer)
{
	g_autofree char *rule = tbs_proxy_dup_string(peer, "PolicyOverride");

	return tbs_peer_is_enrolled(peer) && !tbs_peer_is_allowed(peer) && *rule;
}

char *tbs_peer_link_text(GDBusProxy *peer)
{
	return tbs_link_describe(
		tbs_proxy_get_uint32(peer, "RxLanes"), tbs_proxy_get_uint32(peer, "RxSpeed"),
		tbs_proxy_get_uint32(peer, "TxLanes"), tbs_proxy_get_uint32(peer, "TxSpeed"));
}

char *tbs_peer_last_seen_text(GDBusProxy *peer)
{
	guint64 usec = tbs_proxy_get_uint64(peer, "LastSeen");
	g_autoptr(GDateTime) when = NULL, now = NULL;

	if (!usec)
		return NULL;
	when = g_date_time_new_from_unix_local((gint64)(usec / G_USEC_PER_SEC));
	now = g_date_time_new_now_local();
	if (!when || !now)
		return NULL;
	if (g_date_time_get_year(when) == g_date_time_get_year(now) &&
	    g_date_time_get_day_of_year(when) == g_date_time_get_day_of_year(now))
		/* TRANSLATORS: a time of today, strftime format */
		return g_date_time_format(when, _("today at %H:%M"));
	/* TRANSLATORS: a date and time, strftime format */
	return g_date_time_format(when, _("%e %B %Y at %H:%M"));
}
