/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <adwaita.h>

/*
 * A preferences row with a switch at its end that the whole row toggles.
 * a11y names the switch for screen readers (and the panel's AT-SPI tests),
 * in sentence case where the row's title is in title case. *sw is set to
 * the switch, owned by the row.
 */
GtkWidget *tbs_switch_row_new(const char *title, const char *subtitle, const char *a11y,
			      gboolean active, GtkWidget **sw);
