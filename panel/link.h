/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

/*
 * A peer's link as a person reads it, translated, from Peer.RxLanes/RxSpeed
 * and TxLanes/TxSpeed (lanes, Gb/s per lane; 0: unknown): "2 × 20 Gb/s"
 * when both directions agree, each direction named when they differ (an
 * asymmetric USB4 link) or only one is known, "" when neither is. Free it.
 */
char *tbs_link_describe(guint32 rx_lanes, guint32 rx_speed, guint32 tx_lanes, guint32 tx_speed);
