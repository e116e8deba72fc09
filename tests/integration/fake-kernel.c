/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "fake-kernel.h"

#define MAX_INDEX 8192

struct FakeKernel {
	sd_event *event;
	char *stream_dir;
	char *dev_root;
	uint64_t device_delay;
	bool async;
	GHashTable *items; /* item path -> index + 1 */
	bool used[MAX_INDEX];
	void (*mkdir_hook)(const char *path, void *userdata);
	void *mkdir_hook_userdata;
	void (*step_hook)(const char *op, const char *path, void *userdata);
	void *step_hook_userdata;
	bool hold_rmdir;
	unsigned rmdirs_held;
	bool hold_expired;
	bool names_per_host;
};

/* A daemon that removes on its loop would wait for good: fail instead, later. */
#define HOLD_MAX_USEC (10 * G_USEC_PER_SEC)

static FakeKernel *the_fake;
/*
 * The daemon removes items from a worker thread while its loop makes others:
 * items, used and the hold are shared between the two.
 */
static GMutex fake_lock;
static GCond fake_cond;

typedef struct Pending {
	FakeKernel *fk;
	char *path;
	int index;
} Pending;

static void put(const char *dir, const char *name, const char *value)
{
	g_autofree char *p = g_build_filename(dir, name, NULL);
	g_autofree char *tmp = g_strdup_printf("%s/.%s.tmp", dir, name);
	/* write + rename: the daemon must never see a half-written attribute */
	g_assert(g_file_set_contents(tmp, value, -1, NULL));
	g_assert(rename(tmp, p) == 0);
}

static void make_node(FakeKernel *fk, int index)
{
	g_autofree char *node = g_strdup_printf("%s/tbstream%d", fk->dev_root, index);
	g_assert(g_file_set_contents(node, "", 0, NULL));
	chmod(node, 0600);
}

static void pending_free(void *userdata)
{
	Pending *p = userdata;

	g_free(p->path);
	g_free(p);
}

static bool item_exists(FakeKernel *fk, const char *path)
{
	bool exists;

	g_mutex_lock(&fake_lock);
	exists = g_hash_table_lookup(fk->items, path);
	g_mutex_unlock(&fake_lock);
	return exists;
}

static int on_node_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	Pending *p = userdata;

	/* the item may be gone already */
	if (item_exists(p->fk, p->path))
		make_node(p->fk, p->index);
	return 0;
}

/* One-shot sources owned by the loop; their Pending goes with them. */
static void add_floating(sd_event_source *s, Pending *p)
{
	sd_event_source_set_destroy_callback(s, pending_free);
	sd_event_source_set_floating(s, true);
	sd_event_source_unref(s);
}

static void populate(FakeKernel *fk, const char *path, int index)
{
	char buf[16];

	if (!g_file_test(path, G_FILE_TEST_IS_DIR))
		return;
	put(path, "in_hopid", "0\n");
	put(path, "out_hopid", "0\n");
	put(path, "ring_size", "256\n");
	put(path, "throttling", "8192\n");
	put(path, "state", "detached\n"); /* one of our module's optional extras */
	snprintf(buf, sizeof(buf), "%d\n", index);
	put(path, "index", buf);

	if (fk->device_delay == 0)
		make_node(fk, index);
	else {
		Pending *p = g_new0(Pending, 1);
		sd_event_source *s;
		p->fk = fk;
		p->path = g_strdup(path);
		p->index = index;
		g_assert(sd_event_add_time_relative(fk->event, &s, CLOCK_MONOTONIC,
						    fk->device_delay, 0, on_node_timer, p) >= 0);
		add_floating(s, p);
	}
}

static int on_defer(sd_event_source *s, void *userdata)
{
	Pending *p = userdata;

	if (item_exists(p->fk, p->path))
		populate(p->fk, p->path, p->index);
	sd_event_source_set_enabled(s, SD_EVENT_OFF);
	return 0;
}

/* "<stream_dir>/<group>" or "<stream_dir>/<group>/<name>" */
static bool under_stream_dir(FakeKernel *fk, const char *path)
{
	size_t n = strlen(fk->stream_dir);

	return strncmp(path, fk->stream_dir, n) == 0 && path[n] == '/' && path[n + 1];
}

static void step(FakeKernel *fk, const char *op, const char *path)
{
	if (fk->step_hook && under_stream_dir(fk, path))
		fk->step_hook(op, path, fk->step_hook_userdata);
}

/* "<stream_dir>/<group>/<name>" -> true */
static bool is_item(FakeKernel *fk, const char *path)
{
	size_t n = strlen(fk->stream_dir);
	const char *rest, *slash;

	if (strncmp(path, fk->stream_dir, n) != 0 || path[n] != '/')
		return false;
	rest = path + n + 1;
	slash = strchr(rest, '/');
	return slash && slash != rest && slash[1] && !strchr(slash + 1, '/');
}

static void on_mkdir(FakeKernel *fk, const char *path)
{
	int index = 0;

	if (!is_item(fk, path))
		return;
	if (fk->mkdir_hook)
		fk->mkdir_hook(path, fk->mkdir_hook_userdata);
	g_mutex_lock(&fake_lock);
	while (index < MAX_INDEX && fk->used[index])
		index++;
	g_assert(index < MAX_INDEX);
	fk->used[index] = true;
	g_hash_table_insert(fk->items, g_strdup(path), GINT_TO_POINTER(index + 1));
	g_mutex_unlock(&fake_lock);
	if (fk->async) {
		Pending *p = g_new0(Pending, 1);
		sd_event_source *s;
		p->fk = fk;
		p->path = g_strdup(path);
		p->index = index;
		g_assert(sd_event_add_defer(fk->event, &s, on_defer, p) >= 0);
		add_floating(s, p);
	} else
		populate(fk, path, index);
}

static void on_rmdir(FakeKernel *fk, const char *path)
{
	/* our module's counters too, which tests write when they play traffic */
	const char *attrs[] = {"in_hopid",  "out_hopid", "ring_size", "throttling",
			       "state",	    "index",	 "rx_bytes",  "tx_bytes",
			       "rx_frames", "tx_frames", "rx_errors", "tx_errors"};
	g_autofree char *node = NULL;
	gpointer v;

	if (!is_item(fk, path))
		return;
	g_mutex_lock(&fake_lock);
	/* as the kernel waits for an open stream's CLOSE to leave */
	fk->rmdirs_held++;
	g_cond_broadcast(&fake_cond);
	gint64 end = g_get_monotonic_time() + HOLD_MAX_USEC;
	while (fk->hold_rmdir && !fk->hold_expired)
		if (!g_cond_wait_until(&fake_cond, &fake_lock, end))
			fk->hold_expired = true;
	fk->rmdirs_held--;
	v = g_hash_table_lookup(fk->items, path);
	if (v) {
		/* the node before its index is free: the next mkdir may take the index at once */
		for (size_t i = 0; i < G_N_ELEMENTS(attrs); i++) {
			g_autofree char *p = g_build_filename(path, attrs[i], NULL);
			unlink(p);
		}
		node = g_strdup_printf("%s/tbstream%d", fk->dev_root, GPOINTER_TO_INT(v) - 1);
		unlink(node);
		fk->used[GPOINTER_TO_INT(v) - 1] = false;
		g_hash_table_remove(fk->items, path);
	}
	g_mutex_unlock(&fake_lock);
}

/* Another group has an item of the name in path (an item's). */
static bool name_taken_elsewhere(FakeKernel *fk, const char *path)
{
	const char *name = strrchr(path, '/') + 1;
	GHashTableIter it;
	gpointer key;
	bool taken = false;

	g_mutex_lock(&fake_lock);
	g_hash_table_iter_init(&it, fk->items);
	while (!taken && g_hash_table_iter_next(&it, &key, NULL))
		taken = !strcmp(strrchr(key, '/') + 1, name) && strcmp(key, path);
	g_mutex_unlock(&fake_lock);
	return taken;
}

int mkdir(const char *path, mode_t mode)
{
	static int (*real_mkdir)(const char *, mode_t);
	int r;

	if (!real_mkdir)
		real_mkdir = (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "mkdir");
	if (the_fake && the_fake->names_per_host && is_item(the_fake, path) &&
	    name_taken_elsewhere(the_fake, path)) {
		errno = EEXIST;
		return -1;
	}
	r = real_mkdir(path, mode);
	if (r == 0 && the_fake) {
		on_mkdir(the_fake, path);
		step(the_fake, "mkdir", path);
	}
	return r;
}

int rmdir(const char *path)
{
	static int (*real_rmdir)(const char *);
	int r;

	if (!real_rmdir)
		real_rmdir = (int (*)(const char *))dlsym(RTLD_NEXT, "rmdir");
	if (the_fake)
		on_rmdir(the_fake, path);
	r = real_rmdir(path);
	if (r == 0 && the_fake)
		step(the_fake, "rmdir", path);
	return r;
}

FakeKernel *fake_kernel_new(sd_event *event, const char *configfs_root, const char *dev_root)
{
	FakeKernel *fk = g_new0(FakeKernel, 1);

	g_assert(!the_fake);
	fk->event = sd_event_ref(event);
	fk->stream_dir = g_build_filename(configfs_root, "thunderbolt", "stream", NULL);
	fk->dev_root = g_strdup(dev_root);
	fk->items = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	the_fake = fk;
	return fk;
}

void fake_kernel_free(FakeKernel *fk)
{
	if (!fk)
		return;
	the_fake = NULL;
	g_hash_table_unref(fk->items);
	g_free(fk->stream_dir);
	g_free(fk->dev_root);
	sd_event_unref(fk->event);
	g_free(fk);
}

void fake_kernel_set_names_per_host(FakeKernel *fk, bool on)
{
	fk->names_per_host = on;
}

void fake_kernel_set_mkdir_hook(FakeKernel *fk, void (*hook)(const char *path, void *userdata),
				void *userdata)
{
	fk->mkdir_hook = hook;
	fk->mkdir_hook_userdata = userdata;
}

void fake_kernel_set_step_hook(FakeKernel *fk,
			       void (*hook)(const char *op, const char *path, void *userdata),
			       void *userdata)
{
	fk->step_hook = hook;
	fk->step_hook_userdata = userdata;
}

void fake_kernel_set_device_delay(FakeKernel *fk, uint64_t usec)
{
	fk->device_delay = usec;
}

void fake_kernel_set_async(FakeKernel *fk, bool async)
{
	fk->async = async;
}

unsigned fake_kernel_live_items(FakeKernel *fk)
{
	unsigned n;

	g_mutex_lock(&fake_lock);
	n = g_hash_table_size(fk->items);
	g_mutex_unlock(&fake_lock);
	return n;
}

void fake_kernel_hold_rmdir(FakeKernel *fk, bool hold)
{
	g_mutex_lock(&fake_lock);
	fk->hold_rmdir = hold;
	g_cond_broadcast(&fake_cond);
	g_mutex_unlock(&fake_lock);
}

unsigned fake_kernel_rmdirs_held(FakeKernel *fk)
{
	unsigned n;

	g_mutex_lock(&fake_lock);
	n = fk->rmdirs_held;
	g_mutex_unlock(&fake_lock);
	return n;
}

bool fake_kernel_rmdir_hold_expired(FakeKernel *fk)
{
	bool expired;

	g_mutex_lock(&fake_lock);
	expired = fk->hold_expired;
	g_mutex_unlock(&fake_lock);
	return expired;
}
