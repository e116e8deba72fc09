/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <glib/gstdio.h>

#include "log.h"
#include "testbed.h"
#include "world.h"

static void on_stream(TbsManager *m, TbsStream *s, TbsChange c, void *userdata)
{
	World *w = userdata;

	if (c == TBS_REMOVED)
		w->n_removed++;
	else if (c == TBS_CHANGED && s->state == TBS_STREAM_READY) {
		w->n_ready++;
		w->last_ready_usec = s->ready_usec;
	} else if (c == TBS_CHANGED && s->state == TBS_STREAM_WAITING_DEVICE)
		w->n_waiting++;
}

static const TbsObserver observer = {.stream = on_stream};

void world_init(World *w)
{
	memset(w, 0, sizeof(*w));
	if (!getenv("TBS_TEST_DEBUG"))
		tbs_log_set_target(TBS_LOG_TARGET_NULL);
	else
		tbs_log_set_max_level(LOG_DEBUG);
	w->tmp = g_dir_make_tmp("tbstreamd-world-XXXXXX", NULL);
	g_assert(w->tmp);
	w->tb = testbed_new(w->tmp);
	g_assert(w->tb);
	w->cfs = g_build_filename(w->tmp, "config", NULL);
	w->stream_dir = g_build_filename(w->cfs, "thunderbolt", "stream", NULL);
	w->dev = g_build_filename(w->tmp, "dev", NULL);
	w->state = g_build_filename(w->tmp, "state", NULL);
	w->etc = g_build_filename(w->tmp, "etc", NULL);
	w->vendor = g_build_filename(w->tmp, "vendor", NULL);
	g_assert(g_mkdir_with_parents(w->stream_dir, 0755) == 0);
	g_assert(g_mkdir_with_parents(w->dev, 0755) == 0);
	g_assert(g_mkdir_with_parents(w->etc, 0755) == 0);
	g_assert(sd_event_new(&w->event) >= 0);
	w->fk = fake_kernel_new(w->event, w->cfs, w->dev);
	w->subsystems[0] = (char *)"thunderbolt";
	w->config = (TbsManagerConfig){
		.configfs_root = w->cfs,
		.dev_root = w->dev,
		.state_dir = w->state,
		.config_dir = w->etc,
		.vendor_dir = w->vendor,
		.subsystems = w->subsystems,
		.configfs_retry_usec = 20000,
		.attr_timeout_usec = 2000000,
		.boot_id = "test-boot",
	};
}

void world_start(World *w)
{
	g_assert(!w->m);
	g_assert(tbs_manager_new(w->event, &w->config, &w->m) >= 0);
	tbs_manager_add_observer(w->m, &observer, w);
	g_assert(tbs_manager_start(w->m) >= 0);
}

void world_stop(World *w)
{
	w->m = tbs_manager_free(w->m);
}

void world_destroy(World *w)
{
	g_autofree char *cmd = NULL;

	world_stop(w);
	fake_kernel_free(w->fk);
	sd_event_unref(w->event);
	g_object_unref(w->tb);
	cmd = g_strdup_printf("rm -rf '%s'", w->tmp);
	g_assert(system(cmd) == 0);
	g_free(w->tmp);
	g_free(w->cfs);
	g_free(w->stream_dir);
	g_free(w->dev);
	g_free(w->state);
	g_free(w->etc);
	g_free(w->vendor);
}

void world_policy(World *w, const char *content)
{
	g_autofree char *p = g_build_filename(w->etc, "tbstreamd.conf", NULL);
	g_assert(g_file_set_contents(p, content, -1, NULL));
}

static void on_reloaded(TbsManager *m, int r, void *userdata)
{
	*(int *)userdata = r;
}

static bool reloaded(World *w, const void *result)
{
	return *(const int *)result != 1;
}

int world_reload(World *w)
{
	int result = 1;

	g_assert(tbs_manager_reload(w->m, on_reloaded, &result) == 0);
	g_assert(world_run_until(w, reloaded, &result, 10000));
	return result;
}

char *world_add_peer(World *w, const char *subsystem, const char *xd, const char *uuid,
		     const char *name)
{
	g_autofree char *svc_name = g_strdup_printf("%s.0", xd);
	g_autofree char *svc = NULL;
	char *path;

	path = umockdev_testbed_add_device(
		w->tb, subsystem, xd, NULL, "device_name", name, "unique_id", uuid, "vendor",
		"0x8086", "vendor_name", "Intel", "device", "0x1", "maxhopid", "15", "rx_speed",
		"20.0 Gb/s", "tx_speed", "20.0 Gb/s", "rx_lanes", "2", "tx_lanes", "2", NULL,
		"DEVTYPE", "thunderbolt_xdomain", NULL);
	g_assert(path);
	svc = umockdev_testbed_add_device(
		w->tb, subsystem, svc_name, path, "key", "stream", "prtcid", "1", "prtcvers", "1",
		"prtcrevs", "0", "prtcstns", "0x00000000", "modalias",
		"tbsvc:kstreamp00000001v00000001r00000000", NULL, "DEVTYPE", "thunderbolt_service",
		"MODALIAS", "tbsvc:kstreamp00000001v00000001r00000000", NULL);
	g_assert(svc);
	return path;
}

void world_remove_peer(World *w, const char *xd_syspath)
{
	g_autofree char *base = g_path_get_basename(xd_syspath);
	g_autofree char *svc = g_strdup_printf("%s/%s.0", xd_syspath, base);

	/* the kernel removes children first, and sends "remove" before sysfs goes */
	umockdev_testbed_uevent(w->tb, svc, "remove");
	umockdev_testbed_uevent(w->tb, xd_syspath, "remove");
	umockdev_testbed_remove_device(w->tb, svc);
	umockdev_testbed_remove_device(w->tb, xd_syspath);
}

bool world_run_until(World *w, bool (*cond)(World *, const void *), const void *data,
		     unsigned timeout_ms)
{
	uint64_t end = tbs_now(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000;

	while (!cond(w, data)) {
		if (tbs_now(CLOCK_MONOTONIC) > end)
			return false;
		g_assert(sd_event_run(w->event, 10000) >= 0);
	}
	return true;
}

void world_settle(World *w)
{
	/* removals come back from the daemon's worker thread: wait for them too (at most 10 s) */
	for (int i = 0; i < 100 && w->m && tbs_manager_removing(w->m); i++)
		(void)sd_event_run(w->event, 100 * 1000);
	for (int i = 0; i < 100 && sd_event_run(w->event, 0) > 0; i++)
		;
}

TbsStream *world_stream(World *w, const char *group, const char *name)
{
	return w->m ? tbs_manager_find_stream(w->m, group, name) : NULL;
}

unsigned world_count_ready(World *w)
{
	GHashTableIter it;
	TbsStream *s;
	unsigned n = 0;

	g_hash_table_iter_init(&it, tbs_manager_streams(w->m));
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		n += s->state == TBS_STREAM_READY;
	return n;
}
