/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib/gi18n.h>

#include "controllers-group.h"
#include "security.h"

struct _TbsControllersGroup {
	AdwPreferencesGroup parent;
	GVariant *shown; /* what the rows say now */
	GPtrArray *rows;
};

G_DEFINE_FINAL_TYPE(TbsControllersGroup, tbs_controllers_group, ADW_TYPE_PREFERENCES_GROUP)

static GtkWidget *controller_row(GVariant *controller, guint n, guint total)
{
	GtkWidget *row = adw_action_row_new(), *icon;
	const char *level = "";
	gboolean iommu = FALSE;
	g_autofree char *title = NULL, *security = NULL, *subtitle = NULL;

	g_variant_lookup(controller, "SecurityLevel", "&s", &level);
	g_variant_lookup(controller, "IOMMUProtection", "b", &iommu);
	if (total == 1)
		title = g_strdup(_("Thunderbolt or USB4 Controller"));
	else
		/* TRANSLATORS: %u counts the controllers from 1 */
		title = g_strdup_printf(_("Thunderbolt or USB4 Controller %u"), n);
	security = tbs_security_level_describe(level);
	subtitle = g_strjoin("\n", security, tbs_dma_protection_describe(iommu), NULL);
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
	icon = gtk_image_new_from_icon_name(iommu ? "security-high-symbolic"
						  : "security-low-symbolic");
	/* the subtitle says it in words */
	gtk_accessible_update_state(GTK_ACCESSIBLE(icon), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
	adw_action_row_add_prefix(ADW_ACTION_ROW(row), icon);
	gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, title,
				       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, subtitle, -1);
	return row;
}

void tbs_controllers_group_set_controllers(TbsControllersGroup *g, GVariant *controllers)
{
	gsize n = controllers ? g_variant_n_children(controllers) : 0;

	/* the window updates on every signal; rebuild only what changed */
	if (g->shown && controllers && g_variant_equal(g->shown, controllers))
		return;
	for (guint i = 0; i < g->rows->len; i++)
		adw_preferences_group_remove(ADW_PREFERENCES_GROUP(g), g->rows->pdata[i]);
	g_ptr_array_set_size(g->rows, 0);
	g_clear_pointer(&g->shown, g_variant_unref);
	if (controllers)
		g->shown = g_variant_ref(controllers);
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) c = g_variant_get_child_value(controllers, i);
		GtkWidget *row = controller_row(c, i + 1, n);

		adw_preferences_group_add(ADW_PREFERENCES_GROUP(g), row);
		g_ptr_array_add(g->rows, row);
	}
	gtk_widget_set_visible(GTK_WIDGET(g), n > 0);
}

static void tbs_controllers_group_finalize(GObject *object)
{
	TbsControllersGroup *g = TBS_CONTROLLERS_GROUP(object);

	g_clear_pointer(&g->shown, g_variant_unref);
	g_ptr_array_unref(g->rows);
	G_OBJECT_CLASS(tbs_controllers_group_parent_class)->finalize(object);
}

static void tbs_controllers_group_class_init(TbsControllersGroupClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = tbs_controllers_group_finalize;
}

static void tbs_controllers_group_init(TbsControllersGroup *g)
{
	g->rows = g_ptr_array_new();
	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(g), _("This Computer"));
	/*
	 * The kernel's documentation describes every level by the PCIe (and
	 * DisplayPort, USB) tunnels it gives devices and names none that stops
	 * host-to-host connections, which are DMA paths, not PCIe tunnels: say
	 * that much, and no more (a firmware might still refuse them).
	 */
	adw_preferences_group_set_description(
		ADW_PREFERENCES_GROUP(g),
		_("The security level decides which devices may connect over PCIe. Streams "
		  "between computers do not go over PCIe."));
	gtk_widget_set_visible(GTK_WIDGET(g), FALSE);
}

GtkWidget *tbs_controllers_group_new(void)
{
	return g_object_new(TBS_TYPE_CONTROLLERS_GROUP, NULL);
}
