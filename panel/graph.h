/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gtk/gtk.h>

/*
 * A small throughput graph: the last samples of two rates (received and
 * sent, bytes per second), scaled to the larger peak, drawn in the theme's
 * accent and foreground colours so it follows dark mode.
 */
#define TBS_TYPE_GRAPH (tbs_graph_get_type())
G_DECLARE_FINAL_TYPE(TbsGraph, tbs_graph, TBS, GRAPH, GtkWidget)

GtkWidget *tbs_graph_new(void);
void tbs_graph_push(TbsGraph *g, double rx, double tx);
