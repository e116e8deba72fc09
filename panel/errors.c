/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <gio/gio.h>
#include <glib/gi18n.h>

#include "errors.h"

typedef struct {
	const char *code;
	const char *text;
} CodeText;

/* Codes from docs/dbus-api.md ("Errors"); N_() so xgettext sees them. */
static const CodeText codes[] = {
	{"NoSuchPeer", N_("That computer is no longer known.")},
	{"NoSuchStream", N_("That stream no longer exists.")},
	{"InvalidName",
	 N_("Stream names have 1 to 8 letters, digits, “_” or “-”, and do not start with “-”.")},
	{"InvalidArgument", N_("A setting has a value out of range.")},
	{"UnknownOption", N_("The service is too old for this setting.")},
	{"PeerNotConnected", N_("The computer is not connected. Plug the cable in and try again.")},
	{"StreamExists", N_("This computer already has a stream of that name.")},
	{"NoKernelSupport",
	 N_("The stream module is not loaded or ConfigFS is not mounted on this computer.")},
	{"NotReady", N_("The stream is not ready yet.")},
	{"NotAttached", N_("The other computer has no stream of that name yet.")},
	{"Busy", N_("The connection has no free channel for another stream.")},
	{"NotOurs", N_("This stream was made outside this service and cannot be removed here.")},
	{"TooManyStreams", N_("The service has as many streams as it can handle.")},
	{"Timeout", N_("The stream did not become ready in time; it may still appear.")},
	{"StreamFailed", N_("The system could not set up the stream.")},
	{"StreamRemoved", N_("The stream was removed before it was ready.")},
	{"NotSupported",
	 N_("This computer cannot be named or allowed: it has no stable identity.")},
	{"PolicyInvalid", N_("The administrator’s stream policy has errors.")},
	{"TooManyWatchers", N_("Too many programs are watching the throughput.")},
	{"NotWatching", N_("The throughput was not being watched.")},
	{"Failed", N_("Something went wrong in the stream service.")},
};

const char *tbs_error_code_text(const char *code)
{
	for (gsize i = 0; code && i < G_N_ELEMENTS(codes); i++)
		if (g_str_equal(codes[i].code, code))
			return _(codes[i].text);
	return NULL;
}

static const char *describe(const GError *error)
{
	g_autofree char *name = g_dbus_error_get_remote_error(error);

	if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED) ||
	    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_AUTH_FAILED))
		return _("You are not allowed to do this.");
	/* GLib has no GDBusError for this one: compare its name */
	if (g_strcmp0(name, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired") == 0)
		return _("This needs an administrator’s password, and no password prompt is "
			 "available.");
	if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
	    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND))
		return _("The stream service is not installed.");
	if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		return _("The stream service did not answer.");
	if (name && g_str_has_prefix(name, TBS_ERROR_PREFIX)) {
		const char *text = tbs_error_code_text(name + strlen(TBS_ERROR_PREFIX));
		if (text)
			return text;
	}
	return _("Something went wrong in the stream service.");
}

char *tbs_error_describe(const char *action, const GError *error)
{
	/* the daemon's own words, for whoever runs the panel from a terminal */
	g_message("%s: %s", action, error->message);
	/* TRANSLATORS: "<what failed>: <why>", e.g. "Could not remove the stream: ..." */
	return g_strdup_printf(_("%s: %s"), action, describe(error));
}
