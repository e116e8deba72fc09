/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "switch-row.h"

GtkWidget *tbs_switch_row_new(const char *title, const char *subtitle, const char *a11y,
			      gboolean active, GtkWidget **sw)
{
	GtkWidget *row = adw_action_row_new();

	*sw = gtk_switch_new();
	gtk_switch_set_active(GTK_SWITCH(*sw), active);
	/* a switch stretched to the row's height looks like a slider */
	gtk_widget_set_valign(*sw, GTK_ALIGN_CENTER);
	gtk_accessible_update_property(GTK_ACCESSIBLE(*sw), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y,
				       -1);
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
	adw_action_row_add_suffix(ADW_ACTION_ROW(row), *sw);
	adw_action_row_set_activatable_widget(ADW_ACTION_ROW(row), *sw);
	return row;
}
