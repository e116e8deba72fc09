/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <adwaita.h>

/*
 * "This Computer": one row per USB4/Thunderbolt domain with its security
 * level and IOMMU DMA protection, as GNOME Settings' Thunderbolt panel shows
 * bolt's. Hidden while there is no domain.
 */
#define TBS_TYPE_CONTROLLERS_GROUP (tbs_controllers_group_get_type())
G_DECLARE_FINAL_TYPE(TbsControllersGroup, tbs_controllers_group, TBS, CONTROLLERS_GROUP,
		     AdwPreferencesGroup)

GtkWidget *tbs_controllers_group_new(void);
/* controllers: Manager.Controllers (aa{sv}), or NULL while it is not known */
void tbs_controllers_group_set_controllers(TbsControllersGroup *g, GVariant *controllers);
