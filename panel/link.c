/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib/gi18n.h>

#include "link.h"

static char *one_direction(guint32 lanes, guint32 speed)
{
	if (!lanes || !speed)
		return NULL;
	/* TRANSLATORS: link speed: lanes × Gb/s per lane */
	return g_strdup_printf(_("%u × %u Gb/s"), lanes, speed);
}

char *tbs_link_describe(guint32 rx_lanes, guint32 rx_speed, guint32 tx_lanes, guint32 tx_speed)
{
	g_autofree char *rx = one_direction(rx_lanes, rx_speed);
	g_autofree char *tx = one_direction(tx_lanes, tx_speed);

	if (rx && tx && g_str_equal(rx, tx))
		return g_steal_pointer(&rx);
	if (rx && tx)
		/* TRANSLATORS: an asymmetric link, "receiving 3 × 40 Gb/s, sending 1 × 40 Gb/s" */
		return g_strdup_printf(_("receiving %s, sending %s"), rx, tx);
	/* one side unknown: do not pass the other off as both */
	if (rx)
		/* TRANSLATORS: "receiving 2 × 20 Gb/s" (the sending side is not known) */
		return g_strdup_printf(_("receiving %s"), rx);
	if (tx)
		/* TRANSLATORS: "sending 2 × 20 Gb/s" (the receiving side is not known) */
		return g_strdup_printf(_("sending %s"), tx);
	return g_strdup("");
}
