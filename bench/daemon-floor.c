/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The footprint floor for daemon-bench: a program that does the least any
 * tbstreamd could do (link libsystemd and GLib, run an sd-event loop with a
 * udev monitor, keep one hash table) and then sits idle.  Its RSS, measured in
 * the same run under the same preloads, separates what the shared libraries
 * cost from what the daemon itself costs.  Built twice: with GLib
 * (daemon-floor) and without (daemon-floor-no-glib), to show what GLib alone
 * costs.
 */
#ifdef FLOOR_WITH_GLIB
#include <glib.h>
#endif
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

int main(void)
{
#ifdef FLOOR_WITH_GLIB
	g_autoptr(GHashTable) table = g_hash_table_new(g_str_hash, g_str_equal);
#endif
	sd_device_monitor *monitor = NULL;
	sd_event *event = NULL;
	int r;

#ifdef FLOOR_WITH_GLIB
	g_hash_table_insert(table, (char *)"floor", (char *)"floor");
#endif
	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_device_monitor_new(&monitor);
	if (r >= 0)
		r = sd_device_monitor_filter_add_match_subsystem_devtype(monitor, "thunderbolt",
									 NULL);
	if (r >= 0)
		r = sd_device_monitor_attach_event(monitor, event);
	if (r >= 0)
		r = sd_device_monitor_start(monitor, NULL, NULL);
	if (r >= 0)
		r = sd_event_loop(event);
	sd_device_monitor_unref(monitor);
	sd_event_unref(event);
	return r < 0 ? 1 : 0;
}
