/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tbstream-panel: the desktop's view of tbstreamd. Peers, their permission
 * and their streams, over the D-Bus API (docs/dbus-api.md); every change is a
 * call that polkit authorizes, with the desktop's agent asking for a
 * password where the policy says so.
 */
#include <locale.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "client.h"
#include "window.h"

/* A new peer stands out in the list; colours from the theme, so dark mode follows. */
static const char css[] =
	"row.tbs-new-peer { background-color: alpha(@accent_bg_color, 0.12); }\n"
	".tbs-badge { background-color: @accent_bg_color; color: @accent_fg_color;"
	" border-radius: 999px; padding: 2px 8px; font-size: smaller; font-weight: bold; }\n";

static void on_activate(GApplication *app, gpointer user_data)
{
	TbsClient *client = user_data;
	GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(app));

	if (!window)
		window = GTK_WINDOW(tbs_window_new(ADW_APPLICATION(app), client));
	gtk_window_present(window);
}

static void on_startup(GApplication *app, gpointer user_data)
{
	g_autoptr(GtkCssProvider) provider = gtk_css_provider_new();

	gtk_css_provider_load_from_data(provider, css, -1);
	gtk_style_context_add_provider_for_display(gdk_display_get_default(),
						   GTK_STYLE_PROVIDER(provider),
						   GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void about_activated(GSimpleAction *a, GVariant *param, gpointer user_data)
{
	GtkApplication *app = user_data;
	GtkWidget *about = adw_about_window_new();

	gtk_window_set_transient_for(GTK_WINDOW(about), gtk_application_get_active_window(app));
	adw_about_window_set_application_name(ADW_ABOUT_WINDOW(about), _("Thunderbolt Streams"));
	adw_about_window_set_application_icon(ADW_ABOUT_WINDOW(about), TBS_PANEL_APP_ID);
	adw_about_window_set_version(ADW_ABOUT_WINDOW(about), TBSTREAM_VERSION);
	adw_about_window_set_developer_name(ADW_ABOUT_WINDOW(about), _("The tbstream developers"));
	adw_about_window_set_license_type(ADW_ABOUT_WINDOW(about), GTK_LICENSE_GPL_2_0);
	gtk_window_present(GTK_WINDOW(about));
}

int main(int argc, char **argv)
{
	g_autoptr(AdwApplication) app = NULL;
	g_autoptr(TbsClient) client = NULL;
	const char *localedir;
	static const GActionEntry actions[] = {{.name = "about", .activate = about_activated}};

	setlocale(LC_ALL, "");
	/*
	 * The tests run the panel from the build tree, whose catalogues are not
	 * under the install prefix yet; the panel is no privileged program, so
	 * its environment may point elsewhere.
	 */
	localedir = g_getenv("TBSTREAM_PANEL_LOCALEDIR");
	bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	g_set_application_name(_("Thunderbolt Streams"));

	app = adw_application_new(TBS_PANEL_APP_ID, G_APPLICATION_DEFAULT_FLAGS);
	client = tbs_client_new();
	g_action_map_add_action_entries(G_ACTION_MAP(app), actions, G_N_ELEMENTS(actions), app);
	g_signal_connect(app, "startup", G_CALLBACK(on_startup), NULL);
	g_signal_connect(app, "activate", G_CALLBACK(on_activate), client);
	return g_application_run(G_APPLICATION(app), argc, argv);
}
