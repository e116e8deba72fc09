/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "graph.h"

#define N_SAMPLES 30

struct _TbsGraph {
	GtkWidget parent;
	double rx[N_SAMPLES], tx[N_SAMPLES];
	guint n, head; /* ring: head is the next slot to write */
};

G_DEFINE_FINAL_TYPE(TbsGraph, tbs_graph, GTK_TYPE_WIDGET)

static double sample(const double *ring, const TbsGraph *g, guint i)
{
	/* i = 0 is the oldest of the n stored samples */
	return ring[(g->head + N_SAMPLES - g->n + i) % N_SAMPLES];
}

static void draw_series(cairo_t *cr, const TbsGraph *g, const double *ring, double peak, int width,
			int height)
{
	double step = (double)width / (N_SAMPLES - 1);

	for (guint i = 0; i < g->n; i++) {
		double x = width - (g->n - 1 - i) * step;
		double y = height - 1 - (height - 2) * sample(ring, g, i) / peak;
		if (i == 0)
			cairo_move_to(cr, x, y);
		else
			cairo_line_to(cr, x, y);
	}
	cairo_stroke(cr);
}

static void tbs_graph_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
	TbsGraph *g = TBS_GRAPH(widget);
	int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
	GdkRGBA fg, accent = {0.21, 0.52, 0.89, 1.0};
	double peak = 1.0;
	cairo_t *cr;

	if (g->n < 2 || width <= 0 || height <= 0)
		return;
	for (guint i = 0; i < g->n; i++)
		peak = MAX(peak, MAX(sample(g->rx, g, i), sample(g->tx, g, i)));
	gtk_style_context_get_color(gtk_widget_get_style_context(widget), &fg);
	/* the theme's accent colour, if the style defines it (libadwaita does) */
	(void)gtk_style_context_lookup_color(gtk_widget_get_style_context(widget), "accent_color",
					     &accent);
	cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, width, height));
	cairo_set_line_width(cr, 1.5);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	gdk_cairo_set_source_rgba(cr, &accent);
	draw_series(cr, g, g->rx, peak, width, height);
	fg.alpha *= 0.6;
	gdk_cairo_set_source_rgba(cr, &fg);
	draw_series(cr, g, g->tx, peak, width, height);
	cairo_destroy(cr);
}

static void tbs_graph_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
			      int *minimum, int *natural, int *minimum_baseline,
			      int *natural_baseline)
{
	*minimum = *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 72 : 24;
	*minimum_baseline = *natural_baseline = -1;
}

static void tbs_graph_class_init(TbsGraphClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	wc->snapshot = tbs_graph_snapshot;
	wc->measure = tbs_graph_measure;
	gtk_widget_class_set_accessible_role(wc, GTK_ACCESSIBLE_ROLE_IMG);
}

static void tbs_graph_init(TbsGraph *g)
{
	gtk_widget_set_valign(GTK_WIDGET(g), GTK_ALIGN_CENTER);
}

GtkWidget *tbs_graph_new(void)
{
	return g_object_new(TBS_TYPE_GRAPH, NULL);
}

void tbs_graph_push(TbsGraph *g, double rx, double tx)
{
	g->rx[g->head] = MAX(rx, 0);
	g->tx[g->head] = MAX(tx, 0);
	g->head = (g->head + 1) % N_SAMPLES;
	g->n = MIN(g->n + 1, N_SAMPLES);
	gtk_widget_queue_draw(GTK_WIDGET(g));
}
