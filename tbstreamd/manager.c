/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "manager.h"
#include "udev.h"

#define DEFAULT_RETRY_USEC (5 * 1000000ULL)
#define DEFAULT_ATTR_TIMEOUT_USEC (5 * 1000000ULL)
#define PEERS_CONNECTED_MAX 256
#define STREAMS_MAX 4096

typedef struct Observer {
	const TbsObserver *obs;
	void *userdata;
} Observer;

struct TbsManager {
	sd_event *event;
	char *configfs_root, *stream_dir, *dev_root, *state_dir, *config_dir, *vendor_dir;
	char **subsystems_override;
	uint64_t retry_usec, attr_timeout_usec;
	char boot_id[64];
	bool real_configfs; /* the root is the system's: insist on a ConfigFS mount */

	TbsPolicy *policy;
	GPtrArray *policy_errors;
	TbsStore *store;
	TbsUdev *udev;

	GHashTable *peers;   /* id -> TbsPeer* (owning) */
	GHashTable *streams; /* key -> TbsStream* (owning) */
	GHashTable *owned;   /* "group" -> "", "group/name" -> peer id: what we created */

	TbsConfigfsState cfs_state;
	sd_event_source *cfs_retry;
	sd_event_source *dev_watch;
	unsigned n_waiting_device;

	GArray *observers; /* Observer */
	char *status;
};

static void update_status(TbsManager *m);
static void evaluate_peer(TbsManager *m, TbsPeer *p);
static void stream_refresh(TbsStream *s);

/* ---- notifications ---------------------------------------------------------------------- */

static void notify_peer(TbsManager *m, TbsPeer *p, TbsChange c)
{
	for (unsigned i = 0; i < m->observers->len; i++) {
		Observer *o = &g_array_index(m->observers, Observer, i);
		if (o->obs->peer)
			o->obs->peer(m, p, c, o->userdata);
	}
}

static void notify_stream(TbsManager *m, TbsStream *s, TbsChange c)
{
	for (unsigned i = 0; i < m->observers->len; i++) {
		Observer *o = &g_array_index(m->observers, Observer, i);
		if (o->obs->stream)
			o->obs->stream(m, s, c, o->userdata);
	}
	if (c != TBS_CHANGED || s->state == TBS_STREAM_READY || s->state == TBS_STREAM_FAILED)
		update_status(m);
}

int tbs_manager_add_observer(TbsManager *m, const TbsObserver *obs, void *userdata)
{
	Observer o = {obs, userdata};
	g_array_append_val(m->observers, o);
	return 0;
}

void tbs_manager_remove_observer(TbsManager *m, const TbsObserver *obs, void *userdata)
{
	for (unsigned i = 0; i < m->observers->len; i++) {
		Observer *o = &g_array_index(m->observers, Observer, i);
		if (o->obs == obs && o->userdata == userdata) {
			g_array_remove_index(m->observers, i);
			return;
		}
	}
}

static void update_status(TbsManager *m)
{
	unsigned connected = 0, ready = 0, total = g_hash_table_size(m->streams);
	g_autofree char *s = NULL;
	GHashTableIter it;
	TbsPeer *p;
	TbsStream *st;

	g_hash_table_iter_init(&it, m->peers);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&p))
		connected += p->connected;
	g_hash_table_iter_init(&it, m->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&st))
		ready += st->state == TBS_STREAM_READY;

	if (m->cfs_state != TBS_CONFIGFS_READY)
		s = g_strdup_printf("Waiting: %s at %s; %u peer(s) connected",
				    tbs_configfs_state_to_string(m->cfs_state), m->configfs_root,
				    connected);
	else
		s = g_strdup_printf(
			"%u peer(s) connected, %u of %u stream(s) ready%s", connected, ready, total,
			m->policy_errors->len ? "; policy has errors, using last good" : "");
	if (m->status && strcmp(m->status, s) == 0)
		return;
	g_free(m->status);
	m->status = g_steal_pointer(&s);
	for (unsigned i = 0; i < m->observers->len; i++) {
		Observer *o = &g_array_index(m->observers, Observer, i);
		if (o->obs->status)
			o->obs->status(m, m->status, o->userdata);
	}
}

/* ---- ownership bookkeeping -------------------------------------------------------------- */

static void owned_save(TbsManager *m)
{
	(void)tbs_store_save_owned(m->store, m->boot_id, m->owned);
}

static bool group_has_streams(TbsManager *m, const char *group)
{
	GHashTableIter it;
	TbsStream *s;

	g_hash_table_iter_init(&it, m->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		if (strcmp(s->group, group) == 0)
			return true;
	return false;
}

/* ---- device nodes ----------------------------------------------------------------------- */

static int on_dev_event(sd_event_source *src, const struct inotify_event *ev, void *userdata);

static void dev_watch_update(TbsManager *m)
{
	int r;

	if (m->n_waiting_device > 0 && !m->dev_watch) {
		r = sd_event_add_inotify(m->event, &m->dev_watch, m->dev_root,
					 IN_CREATE | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR,
					 on_dev_event, m);
		if (r < 0)
			log_error_errno(r, "Cannot watch %s for device nodes: %m", m->dev_root);
	} else if (m->n_waiting_device == 0 && m->dev_watch)
		m->dev_watch = sd_event_source_disable_unref(m->dev_watch);
}

static void stream_set_state(TbsStream *s, TbsStreamState state)
{
	TbsManager *m = s->manager;

	if (s->state == state)
		return;
	if (s->state == TBS_STREAM_WAITING_DEVICE)
		m->n_waiting_device--;
	if (state == TBS_STREAM_WAITING_DEVICE)
		m->n_waiting_device++;
	s->state = state;
	if (state == TBS_STREAM_READY)
		s->ready_usec = tbs_now(CLOCK_MONOTONIC);
	dev_watch_update(m);
	notify_stream(m, s, TBS_CHANGED);
}

static void stream_fail(TbsStream *s, int error)
{
	s->error = error;
	stream_set_state(s, TBS_STREAM_FAILED);
}

/* Owner/mode only on nodes of streams we made: adopted ones are someone else's setup. */
static int apply_permissions(TbsStream *s)
{
	const TbsStreamTemplate *t = &s->tmpl;
	struct stat st;

	if (lstat(s->devnode, &st) < 0)
		return -errno;
	/* devtmpfs makes character devices; test roots use regular files. Never follow links. */
	if (!S_ISCHR(st.st_mode) && !S_ISREG(st.st_mode))
		return -ENOTTY;
	if (!s->has_template || !s->owned)
		return 0;
	if ((t->owner != (uid_t)-1 || t->group != (gid_t)-1) &&
	    lchown(s->devnode, t->owner, t->group) < 0)
		return log_stream(LOG_ERR, errno, s->peer_id, s->name, "Cannot set owner of %s: %m",
				  s->devnode);
	if (t->mode != (mode_t)-1 && chmod(s->devnode, t->mode) < 0)
		return log_stream(LOG_ERR, errno, s->peer_id, s->name, "Cannot set mode of %s: %m",
				  s->devnode);
	return 0;
}

static void stream_check_device(TbsStream *s)
{
	int r = apply_permissions(s);

	if (r == -ENOENT) {
		stream_set_state(s, TBS_STREAM_WAITING_DEVICE);
		return;
	}
	if (r < 0) {
		log_stream(LOG_ERR, r, s->peer_id, s->name, "Device node %s unusable: %m",
			   s->devnode);
		stream_fail(s, r);
		return;
	}
	log_stream(LOG_INFO, 0, s->peer_id, s->name, "Stream %s ready as %s", s->key, s->devnode);
	stream_set_state(s, TBS_STREAM_READY);
}

static int on_dev_event(sd_event_source *src, const struct inotify_event *ev, void *userdata)
{
	TbsManager *m = userdata;
	g_autoptr(GPtrArray) waiting = g_ptr_array_new();
	GHashTableIter it;
	TbsStream *s;

	if (ev->len == 0 || !g_str_has_prefix(ev->name, "tbstream"))
		return 0;
	g_hash_table_iter_init(&it, m->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		if (s->state == TBS_STREAM_WAITING_DEVICE && s->devnode &&
		    strcmp(strrchr(s->devnode, '/') + 1, ev->name) == 0)
			g_ptr_array_add(waiting, s);
	for (unsigned i = 0; i < waiting->len; i++)
		stream_check_device(waiting->pdata[i]);
	return 0;
}

/* ---- ConfigFS items --------------------------------------------------------------------- */

static int on_attr_event(sd_event_source *src, const struct inotify_event *ev, void *userdata);
static void stream_configure(TbsStream *s);

static void attr_wait_stop(TbsStream *s)
{
	s->attr_watch = sd_event_source_disable_unref(s->attr_watch);
	s->attr_timeout = sd_event_source_disable_unref(s->attr_timeout);
}

static int on_attr_timeout(sd_event_source *src, uint64_t usec, void *userdata)
{
	TbsStream *s = userdata;

	attr_wait_stop(s);
	log_stream(LOG_ERR, ETIMEDOUT, s->peer_id, s->name,
		   "The kernel never populated ConfigFS item %s", s->dir);
	stream_fail(s, -ETIMEDOUT);
	return 0;
}

/*
 * A real ConfigFS item has its attributes the moment mkdir returns; this wait
 * only matters for kernels (or test roots) that populate items asynchronously.
 */
static void attr_wait_start(TbsStream *s)
{
	TbsManager *m = s->manager;
	int r;

	if (s->attr_watch)
		return;
	r = sd_event_add_inotify(m->event, &s->attr_watch, s->dir,
				 IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR,
				 on_attr_event, s);
	if (r >= 0)
		r = sd_event_add_time_relative(m->event, &s->attr_timeout, CLOCK_MONOTONIC,
					       m->attr_timeout_usec, 0, on_attr_timeout, s);
	if (r < 0) {
		attr_wait_stop(s);
		log_stream(LOG_ERR, r, s->peer_id, s->name, "Cannot watch %s: %m", s->dir);
		stream_fail(s, r);
		return;
	}
	stream_set_state(s, TBS_STREAM_CONFIGURING);
	/* it may have been populated between our check and the watch */
	if (!g_file_test(s->dir, G_FILE_TEST_IS_DIR))
		return;
	g_autofree char *idx = g_build_filename(s->dir, "index", NULL);
	if (access(idx, F_OK) == 0) {
		attr_wait_stop(s);
		s->owned ? stream_configure(s) : stream_refresh(s);
	}
}

static int on_attr_event(sd_event_source *src, const struct inotify_event *ev, void *userdata)
{
	TbsStream *s = userdata;

	if (ev->len == 0 || strcmp(ev->name, "index") != 0)
		return 0;
	attr_wait_stop(s);
	if (s->owned && s->state == TBS_STREAM_CONFIGURING && s->has_template)
		stream_configure(s);
	else
		stream_refresh(s);
	return 0;
}

static void stream_refresh(TbsStream *s)
{
	TbsManager *m = s->manager;
	TbsItemInfo info;
	int r;

	r = tbs_configfs_read(s->dir, &info);
	if (r == -EAGAIN) {
		attr_wait_start(s);
		return;
	}
	if (r < 0) {
		log_stream(LOG_ERR, r, s->peer_id, s->name, "Cannot read ConfigFS item %s: %m",
			   s->dir);
		stream_fail(s, r);
		return;
	}
	s->info = info;
	if (s->index != info.index || !s->devnode) {
		g_free(s->devnode);
		s->devnode = g_strdup_printf("%s/tbstream%d", m->dev_root, info.index);
		s->index = info.index;
	}
	stream_check_device(s);
}

static void stream_configure(TbsStream *s)
{
	int r = tbs_configfs_configure(s->dir, &s->tmpl);

	if (r == -EAGAIN) {
		attr_wait_start(s);
		return;
	}
	if (r < 0) {
		log_stream(LOG_ERR, r, s->peer_id, s->name, "Cannot configure stream %s: %m",
			   s->key);
		stream_fail(s, r);
		return;
	}
	stream_refresh(s);
}

static TbsStream *stream_add(TbsManager *m, const char *group, const char *name)
{
	TbsStream *s = tbs_stream_new(m, m->stream_dir, group, name);

	s->created_usec = tbs_now(CLOCK_MONOTONIC);
	s->state = TBS_STREAM_CONFIGURING;
	g_hash_table_insert(m->streams, s->key, s);
	return s;
}

static void stream_drop(TbsManager *m, TbsStream *s)
{
	if (s->state == TBS_STREAM_WAITING_DEVICE)
		m->n_waiting_device--;
	dev_watch_update(m);
	notify_stream(m, s, TBS_REMOVED);
	g_hash_table_remove(m->streams, s->key);
	update_status(m);
}

static int remove_stream(TbsManager *m, TbsStream *s, bool force, const char *why)
{
	g_autofree char *group = g_strdup(s->group);
	g_autofree char *peer = g_strdup(s->peer_id);
	char name[TBS_STREAM_NAME_MAX + 1];
	int r;

	if (!s->owned && !force) {
		log_stream(LOG_INFO, 0, s->peer_id, s->name,
			   "Not removing stream %s (%s): this daemon did not create it", s->key,
			   why);
		return -EPERM;
	}
	g_strlcpy(name, s->name, sizeof(name));
	r = tbs_configfs_remove_item(m->stream_dir, group, name);
	if (r < 0)
		return log_stream(LOG_ERR, r, peer, name, "Cannot remove stream %s: %m", s->key);
	log_stream(LOG_INFO, 0, peer, name, "Removed stream %s (%s)", s->key, why);
	g_hash_table_remove(m->owned, s->key);
	stream_drop(m, s);

	if (g_hash_table_contains(m->owned, group) && !group_has_streams(m, group)) {
		g_autofree char *gpath = g_build_filename(m->stream_dir, group, NULL);
		r = tbs_configfs_remove_group(m->stream_dir, group);
		if (r < 0)
			log_warning_errno(r, "Cannot remove ConfigFS group %s: %m", group);
		else if (!g_file_test(gpath, G_FILE_TEST_EXISTS))
			g_hash_table_remove(m->owned, group);
	}
	owned_save(m);
	return 0;
}

static TbsStream *create_stream(TbsManager *m, TbsPeer *p, const TbsStreamTemplate *t,
				TbsStreamOrigin origin, int *ret_error)
{
	TbsStream *s;
	bool dirty = false;
	int r;

	*ret_error = 0;
	if (g_hash_table_size(m->streams) >= STREAMS_MAX) {
		*ret_error = log_peer(LOG_ERR, ENOSPC, p->id, "Too many streams, not creating %s",
				      t->name);
		return NULL;
	}
	r = tbs_configfs_make_group(m->stream_dir, p->group);
	if (r < 0) {
		*ret_error = log_stream(LOG_ERR, r, p->id, t->name,
					"Cannot create ConfigFS group %s: %m", p->group);
		return NULL;
	}
	if (r > 0) {
		g_hash_table_replace(m->owned, g_strdup(p->group), g_strdup(""));
		dirty = true;
	}
	r = tbs_configfs_make_item(m->stream_dir, p->group, t->name);
	if (r < 0) {
		*ret_error = log_stream(LOG_ERR, r, p->id, t->name,
					"Cannot create stream %s/%s: %m", p->group, t->name);
		if (dirty)
			owned_save(m);
		return NULL;
	}

	s = stream_add(m, p->group, t->name);
	s->peer_id = g_strdup(p->id);
	s->tmpl = *t;
	s->has_template = true;
	if (r > 0) {
		s->owned = true;
		s->origin = origin;
		g_hash_table_replace(m->owned, g_strdup(s->key), g_strdup(p->id));
		dirty = true;
	} else {
		/* made by hand since we last looked: adopt, do not reconfigure */
		s->owned = g_hash_table_contains(m->owned, s->key);
		s->origin = s->owned ? origin : TBS_ORIGIN_ADOPTED;
	}
	if (dirty)
		owned_save(m);
	log_stream(LOG_INFO, 0, p->id, s->name, "%s stream %s for peer %s",
		   r > 0 ? "Created" : "Adopted", s->key, tbs_peer_display_name(p));
	notify_stream(m, s, TBS_ADDED);
	if (r > 0)
		stream_configure(s);
	else
		stream_refresh(s);
	return s;
}

/* ---- ConfigFS availability -------------------------------------------------------------- */

static void adopt_one(const char *group, const char *name, void *userdata)
{
	TbsManager *m = userdata;
	const char *peer_id;
	TbsStream *s;

	if (!name)
		return;
	s = tbs_manager_find_stream(m, group, name);
	if (s)
		return;
	s = stream_add(m, group, name);
	peer_id = g_hash_table_lookup(m->owned, s->key);
	s->owned = peer_id != NULL;
	s->origin = s->owned ? TBS_ORIGIN_POLICY : TBS_ORIGIN_ADOPTED;
	s->peer_id = peer_id && *peer_id ? g_strdup(peer_id) : NULL;
	log_stream(LOG_INFO, 0, s->peer_id, s->name, "Found existing stream %s (%s)", s->key,
		   s->owned ? "made by an earlier tbstreamd" : "not ours, leaving it alone");
	notify_stream(m, s, TBS_ADDED);
	stream_refresh(s);
}

static void adopt_existing(TbsManager *m)
{
	g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	const char *key;
	int r;

	r = tbs_configfs_scan(m->stream_dir, adopt_one, m);
	if (r < 0)
		log_warning_errno(r, "Cannot scan %s: %m", m->stream_dir);

	/* forget what we made that is gone now (removed by hand, module reloaded) */
	g_hash_table_iter_init(&it, m->owned);
	while (g_hash_table_iter_next(&it, (gpointer *)&key, NULL)) {
		g_autofree char *path = g_build_filename(m->stream_dir, key, NULL);
		if (!g_file_test(path, G_FILE_TEST_IS_DIR))
			g_ptr_array_add(stale, g_strdup(key));
	}
	for (unsigned i = 0; i < stale->len; i++)
		g_hash_table_remove(m->owned, stale->pdata[i]);
	owned_save(m);
}

static int on_cfs_retry(sd_event_source *src, uint64_t usec, void *userdata);

static void probe_configfs(TbsManager *m)
{
	TbsConfigfsState old = m->cfs_state;
	GHashTableIter it;
	TbsPeer *p;

	m->cfs_state = tbs_configfs_probe(m->configfs_root, m->real_configfs);
	if (m->cfs_state == TBS_CONFIGFS_READY) {
		m->cfs_retry = sd_event_source_disable_unref(m->cfs_retry);
		if (old != TBS_CONFIGFS_READY) {
			log_info("ConfigFS stream directory %s is available", m->stream_dir);
			adopt_existing(m);
			g_hash_table_iter_init(&it, m->peers);
			while (g_hash_table_iter_next(&it, NULL, (gpointer *)&p))
				evaluate_peer(m, p);
		}
		update_status(m);
		return;
	}

	if (old != m->cfs_state)
		log_warning("Cannot manage streams: %s (%s); waiting for it",
			    tbs_configfs_state_to_string(m->cfs_state), m->stream_dir);
	if (old == TBS_CONFIGFS_READY) {
		/* the module went away and took every item with it */
		g_autoptr(GPtrArray) all = g_ptr_array_new();
		TbsStream *s;
		g_hash_table_iter_init(&it, m->streams);
		while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
			g_ptr_array_add(all, s);
		for (unsigned i = 0; i < all->len; i++)
			stream_drop(m, all->pdata[i]);
		g_hash_table_remove_all(m->owned);
		owned_save(m);
	}
	/* Periodic only while degraded; a module load (uevent) re-probes at once. */
	if (!m->cfs_retry)
		(void)sd_event_add_time_relative(m->event, &m->cfs_retry, CLOCK_MONOTONIC,
						 m->retry_usec, 0, on_cfs_retry, m);
	update_status(m);
}

static int on_cfs_retry(sd_event_source *src, uint64_t usec, void *userdata)
{
	TbsManager *m = userdata;

	m->cfs_retry = sd_event_source_disable_unref(m->cfs_retry);
	probe_configfs(m);
	return 0;
}

/* ---- peers and policy ------------------------------------------------------------------- */

static GPtrArray *streams_in_group(TbsManager *m, const char *group)
{
	GPtrArray *a = g_ptr_array_new();
	GHashTableIter it;
	TbsStream *s;

	g_hash_table_iter_init(&it, m->streams);
	while (group && g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		if (strcmp(s->group, group) == 0)
			g_ptr_array_add(a, s);
	return a;
}

static bool decision_has(const TbsDecision *d, const char *name)
{
	for (unsigned i = 0; i < d->streams->len; i++)
		if (strcmp(((const TbsStreamTemplate *)d->streams->pdata[i])->name, name) == 0)
			return true;
	return false;
}

static void evaluate_peer(TbsManager *m, TbsPeer *p)
{
	TbsPeerFacts facts = {
		.uuid = p->uuid[0] ? p->uuid : NULL,
		.name = p->name,
		.trusted = p->record && p->record->trusted,
	};
	TbsDecision d = {0};
	g_autoptr(GPtrArray) current = NULL;
	bool was_allowed = p->allowed;

	if (!p->connected || !p->group || m->cfs_state != TBS_CONFIGFS_READY)
		return;

	tbs_policy_decide(m->policy, &facts, &d);
	p->allowed = d.allowed;
	g_free(p->rule);
	p->rule = g_strdup(d.rule);
	if (d.allowed)
		log_peer(LOG_INFO, 0, p->id, "Peer %s allowed by [Peer %s]: %u stream(s)",
			 tbs_peer_display_name(p), d.rule, d.streams->len);
	else if (d.rule)
		log_peer(LOG_NOTICE, 0, p->id, "Peer %s denied by [Peer %s]",
			 tbs_peer_display_name(p), d.rule);
	else
		log_peer(LOG_INFO, 0, p->id, "Peer %s: no policy rule allows it, no streams",
			 tbs_peer_display_name(p));
	if (was_allowed != p->allowed)
		notify_peer(m, p, TBS_CHANGED);

	current = streams_in_group(m, p->group);
	for (unsigned i = 0; i < current->len; i++) {
		TbsStream *s = current->pdata[i];

		if (s->owned && s->peer_id && strcmp(s->peer_id, p->id) != 0)
			/* kept for another peer that used this port: not for this one */
			(void)remove_stream(m, s, false, "kept for a different peer");
		else if (s->owned && s->origin == TBS_ORIGIN_POLICY && !decision_has(&d, s->name))
			(void)remove_stream(m, s, false, "no longer in the policy");
		else if (s->state == TBS_STREAM_DETACHED || s->state == TBS_STREAM_FAILED) {
			if (s->owned && !s->peer_id)
				s->peer_id = g_strdup(p->id);
			stream_refresh(s);
		}
	}

	for (unsigned i = 0; i < d.streams->len; i++) {
		const TbsStreamTemplate *t = d.streams->pdata[i];
		TbsStream *s = tbs_manager_find_stream(m, p->group, t->name);
		int r;

		if (s) {
			/* the policy may have changed the unplug action or permissions */
			if (s->owned) {
				s->tmpl = *t;
				s->has_template = true;
			}
			continue;
		}
		(void)create_stream(m, p, t, TBS_ORIGIN_POLICY, &r);
	}
	tbs_decision_clear(&d);
	update_status(m);
}

static void unplug_streams(TbsManager *m, TbsPeer *p)
{
	g_autoptr(GPtrArray) current = streams_in_group(m, p->group);

	for (unsigned i = 0; i < current->len; i++) {
		TbsStream *s = current->pdata[i];
		const TbsStreamTemplate *t =
			s->has_template ? &s->tmpl : tbs_policy_find_stream(m->policy, s->name);
		TbsUnplugAction action = t ? t->on_unplug : TBS_UNPLUG_KEEP;

		attr_wait_stop(s);
		if (s->owned && s->origin != TBS_ORIGIN_REQUEST && action == TBS_UNPLUG_REMOVE &&
		    remove_stream(m, s, false, "peer unplugged") == 0)
			continue;
		stream_set_state(s, TBS_STREAM_DETACHED);
	}
}

static TbsPeer *find_by_syspath(TbsManager *m, const char *syspath, bool service)
{
	GHashTableIter it;
	TbsPeer *p;

	g_hash_table_iter_init(&it, m->peers);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&p)) {
		const char *sp = service ? p->service_syspath : p->syspath;
		if (p->connected && sp && strcmp(sp, syspath) == 0)
			return p;
	}
	return NULL;
}

static bool str_update(char **field, const char *value)
{
	if (g_strcmp0(*field, value) == 0)
		return false;
	g_free(*field);
	*field = g_strdup(value);
	return true;
}

/*
 * IdentifyByName=: some controllers make up a new UUID every boot. When allowed,
 * an unknown UUID whose hostname matches a known, unplugged peer takes over that
 * peer's record (label, trust, first seen).
 */
static TbsPeerRecord *identify(TbsManager *m, const TbsXdomainInfo *x)
{
	TbsPeerRecord *rec = tbs_store_lookup(m->store, x->uuid);
	TbsPeer *old;

	if (rec || !m->policy->identify_by_name)
		return rec;
	rec = tbs_store_lookup_by_name(m->store, x->name);
	if (!rec)
		return NULL;
	old = g_hash_table_lookup(m->peers, rec->uuid);
	if (old && old->connected)
		return NULL;
	log_peer(LOG_NOTICE, 0, x->uuid, "Peer %s changed its UUID from %s, identified by name",
		 x->name, rec->uuid);
	if (old) {
		notify_peer(m, old, TBS_REMOVED);
		g_hash_table_remove(m->peers, old->id);
	}
	if (tbs_store_rename(m->store, rec, x->uuid) < 0)
		return tbs_store_lookup(m->store, x->uuid);
	return rec;
}

static void on_xdomain(void *userdata, const TbsXdomainInfo *x, bool change)
{
	TbsManager *m = userdata;
	g_autofree char *id = NULL;
	bool added = false, changed = false, connected_now;
	TbsPeer *p;

	if (x->uuid[0])
		id = g_strdup(x->uuid);
	else {
		id = g_strdup_printf("sysname:%s", x->sysname);
		log_peer(LOG_WARNING, 0, NULL,
			 "XDomain %s has no valid unique_id; it can only match by name",
			 x->sysname);
	}

	/* the same device may show up under a new identity (change event): drop the old one */
	p = find_by_syspath(m, x->syspath, false);
	if (p && strcmp(p->id, id) != 0) {
		unplug_streams(m, p);
		p->connected = false;
		notify_peer(m, p, TBS_CHANGED);
		p = NULL;
	}

	if (x->uuid[0])
		(void)identify(m, x);
	p = g_hash_table_lookup(m->peers, id);
	if (!p) {
		unsigned n = 0;
		GHashTableIter it;
		TbsPeer *q;
		g_hash_table_iter_init(&it, m->peers);
		while (g_hash_table_iter_next(&it, NULL, (gpointer *)&q))
			n += q->connected;
		if (n >= PEERS_CONNECTED_MAX) {
			log_peer(LOG_ERR, 0, id, "More than %d peers connected, ignoring %s",
				 PEERS_CONNECTED_MAX, x->sysname);
			return;
		}
		p = tbs_peer_new(id);
		if (x->uuid[0])
			g_strlcpy(p->uuid, x->uuid, sizeof(p->uuid));
		g_hash_table_insert(m->peers, p->id, p);
		added = true;
	}
	connected_now = !p->connected;
	p->connected = true;
	changed |= str_update(&p->syspath, x->syspath);
	changed |= str_update(&p->sysname, x->sysname);
	changed |= str_update(&p->name, x->name);
	changed |= str_update(&p->vendor_name, x->vendor_name);
	if (p->vendor != x->vendor || p->device != x->device || p->maxhopid != x->maxhopid ||
	    p->rx_speed != x->rx_speed || p->tx_speed != x->tx_speed ||
	    p->rx_lanes != x->rx_lanes || p->tx_lanes != x->tx_lanes) {
		p->vendor = x->vendor;
		p->device = x->device;
		p->maxhopid = x->maxhopid;
		p->rx_speed = x->rx_speed;
		p->tx_speed = x->tx_speed;
		p->rx_lanes = x->rx_lanes;
		p->tx_lanes = x->tx_lanes;
		changed = true;
	}

	if (p->uuid[0]) {
		TbsPeerRecord *rec = tbs_store_ensure(m->store, p->uuid);
		uint64_t now = tbs_now(CLOCK_REALTIME);
		if (rec) {
			p->record = rec;
			if (!rec->first_seen)
				rec->first_seen = now;
			if (connected_now || changed) {
				rec->last_seen = now;
				free(rec->name);
				rec->name = strdup(p->name);
				free(rec->vendor);
				rec->vendor = strdup(p->vendor_name);
				(void)tbs_store_save(m->store, rec);
			}
		}
	}

	if (connected_now)
		log_peer(LOG_INFO, 0, p->id, "Peer %s (%s) connected at %s",
			 tbs_peer_display_name(p), p->vendor_name, p->sysname);
	if (added)
		notify_peer(m, p, TBS_ADDED);
	else if (changed || connected_now)
		notify_peer(m, p, TBS_CHANGED);
	if (change || connected_now)
		evaluate_peer(m, p);
	update_status(m);
}

static void peer_disconnect(TbsManager *m, TbsPeer *p)
{
	if (p->group)
		unplug_streams(m, p);
	p->connected = false;
	g_clear_pointer(&p->syspath, g_free);
	g_clear_pointer(&p->service_syspath, g_free);
	g_clear_pointer(&p->group, g_free);
	if (p->record) {
		p->record->last_seen = tbs_now(CLOCK_REALTIME);
		(void)tbs_store_save(m->store, p->record);
	}
	log_peer(LOG_INFO, 0, p->id, "Peer %s disconnected", tbs_peer_display_name(p));
	if (!p->record) {
		/* nothing to remember a peer without a UUID by */
		notify_peer(m, p, TBS_REMOVED);
		g_hash_table_remove(m->peers, p->id);
	} else
		notify_peer(m, p, TBS_CHANGED);
	update_status(m);
}

static void on_xdomain_removed(void *userdata, const char *syspath)
{
	TbsManager *m = userdata;
	TbsPeer *p = find_by_syspath(m, syspath, false);

	if (p)
		peer_disconnect(m, p);
}

static int on_service(void *userdata, const TbsServiceInfo *s)
{
	TbsManager *m = userdata;
	TbsPeer *p = find_by_syspath(m, s->parent_syspath, false);

	if (!p)
		return -ENOENT;
	if (p->group && strcmp(p->group, s->sysname) != 0) {
		/* only one stream service per peer makes sense; the newest wins */
		unplug_streams(m, p);
	}
	if (str_update(&p->group, s->sysname) | str_update(&p->service_syspath, s->syspath))
		notify_peer(m, p, TBS_CHANGED);
	evaluate_peer(m, p);
	return 0;
}

static void on_service_removed(void *userdata, const char *syspath)
{
	TbsManager *m = userdata;
	TbsPeer *p = find_by_syspath(m, syspath, true);

	if (!p)
		return;
	unplug_streams(m, p);
	g_clear_pointer(&p->service_syspath, g_free);
	g_clear_pointer(&p->group, g_free);
	notify_peer(m, p, TBS_CHANGED);
	update_status(m);
}

static void on_module(void *userdata, const char *name)
{
	TbsManager *m = userdata;

	if (m->cfs_state != TBS_CONFIGFS_READY) {
		log_debug("Module %s loaded, probing ConfigFS again", name);
		probe_configfs(m);
	}
}

static const TbsUdevHandler udev_handler = {
	.xdomain_added = on_xdomain,
	.xdomain_removed = on_xdomain_removed,
	.service_added = on_service,
	.service_removed = on_service_removed,
	.module_added = on_module,
};

/* ---- lifecycle -------------------------------------------------------------------------- */

static void read_boot_id(TbsManager *m, const char *override)
{
	char buf[64];

	if (override)
		g_strlcpy(m->boot_id, override, sizeof(m->boot_id));
	else if (tbs_read_attr("/proc/sys/kernel/random", "boot_id", buf, sizeof(buf)) > 0)
		g_strlcpy(m->boot_id, buf, sizeof(m->boot_id));
}

int tbs_manager_new(sd_event *event, const TbsManagerConfig *c, TbsManager **ret)
{
	TbsManager *m = g_new0(TbsManager, 1);
	const char *sd = getenv("STATE_DIRECTORY");
	const char *cd = getenv("CONFIGURATION_DIRECTORY");

	m->event = sd_event_ref(event);
	m->configfs_root = g_strdup(c->configfs_root ? c->configfs_root : "/sys/kernel/config");
	m->real_configfs = strcmp(m->configfs_root, "/sys/kernel/config") == 0;
	m->stream_dir = g_build_filename(m->configfs_root, "thunderbolt", "stream", NULL);
	m->dev_root = g_strdup(c->dev_root ? c->dev_root : "/dev");
	/* $STATE_DIRECTORY may list several paths separated by ':'; the first is ours */
	if (c->state_dir)
		m->state_dir = g_strdup(c->state_dir);
	else if (sd && *sd)
		m->state_dir = g_strndup(sd, strcspn(sd, ":"));
	else
		m->state_dir = g_strdup("/var/lib/tbstreamd");
	if (c->config_dir)
		m->config_dir = g_strdup(c->config_dir);
	else if (cd && *cd)
		m->config_dir = g_strndup(cd, strcspn(cd, ":"));
	else
		m->config_dir = g_strdup("/etc/tbstreamd");
	m->vendor_dir = g_strdup(c->vendor_dir ? c->vendor_dir : "/usr/lib/tbstreamd");
	m->subsystems_override = g_strdupv(c->subsystems);
	m->retry_usec = c->configfs_retry_usec ? c->configfs_retry_usec : DEFAULT_RETRY_USEC;
	m->attr_timeout_usec =
		c->attr_timeout_usec ? c->attr_timeout_usec : DEFAULT_ATTR_TIMEOUT_USEC;
	read_boot_id(m, c->boot_id);

	m->policy = tbs_policy_new_default();
	m->policy_errors = g_ptr_array_new_with_free_func(g_free);
	m->peers =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)tbs_peer_free);
	m->streams = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					   (GDestroyNotify)tbs_stream_free);
	m->owned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	m->observers = g_array_new(FALSE, FALSE, sizeof(Observer));
	m->cfs_state = TBS_CONFIGFS_NOT_MOUNTED;
	*ret = m;
	return 0;
}

TbsManager *tbs_manager_free(TbsManager *m)
{
	if (!m)
		return NULL;
	m->udev = tbs_udev_free(m->udev);
	/* streams hold event sources: free them while the loop is still referenced */
	g_hash_table_unref(m->streams);
	g_hash_table_unref(m->peers);
	g_hash_table_unref(m->owned);
	sd_event_source_disable_unref(m->cfs_retry);
	sd_event_source_disable_unref(m->dev_watch);
	tbs_store_free(m->store);
	tbs_policy_free(m->policy);
	g_ptr_array_unref(m->policy_errors);
	g_array_unref(m->observers);
	g_strfreev(m->subsystems_override);
	g_free(m->configfs_root);
	g_free(m->stream_dir);
	g_free(m->dev_root);
	g_free(m->state_dir);
	g_free(m->config_dir);
	g_free(m->vendor_dir);
	g_free(m->status);
	sd_event_unref(m->event);
	g_free(m);
	return NULL;
}

static int load_policy(TbsManager *m)
{
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
	TbsPolicy *p = NULL;
	int r;

	r = tbs_policy_load(m->config_dir, m->vendor_dir, &p, errors);
	g_ptr_array_set_size(m->policy_errors, 0);
	if (r < 0) {
		for (unsigned i = 0; i < errors->len; i++) {
			log_error("Policy: %s", (char *)errors->pdata[i]);
			g_ptr_array_add(m->policy_errors, g_strdup(errors->pdata[i]));
		}
		log_error("Policy has %u error(s), keeping the last good policy", errors->len);
		return r;
	}
	for (unsigned i = 0; i < p->files->len; i++)
		log_debug("Policy file %s loaded", (char *)p->files->pdata[i]);
	log_info("Policy loaded: %u rule(s), %u stream template(s) from %u file(s)", p->rules->len,
		 p->streams->len, p->files->len);
	if (m->policy && m->udev &&
	    !g_strv_equal((const char *const *)m->policy->subsystems,
			  (const char *const *)p->subsystems) &&
	    !m->subsystems_override)
		log_notice("Subsystems= changed; it takes effect when tbstreamd restarts");
	tbs_policy_free(m->policy);
	m->policy = p;
	return 0;
}

int tbs_manager_start(TbsManager *m)
{
	char *const *subsystems;
	int r;

	(void)load_policy(m);
	r = tbs_store_open(m->state_dir, &m->store);
	if (r < 0)
		return r;
	(void)tbs_store_load_owned(m->store, m->boot_id, m->owned);
	probe_configfs(m);
	subsystems = m->subsystems_override ? m->subsystems_override : m->policy->subsystems;
	g_autofree char *list = g_strjoinv(" ", (char **)subsystems);
	log_info("Watching udev subsystem(s): %s", list);
	r = tbs_udev_new(m->event, subsystems, &udev_handler, m, &m->udev);
	if (r < 0)
		return r;
	r = tbs_udev_start(m->udev);
	if (r < 0)
		return r;
	update_status(m);
	return 0;
}

int tbs_manager_reload(TbsManager *m)
{
	GHashTableIter it;
	TbsPeer *p;
	int r;

	r = load_policy(m);
	probe_configfs(m);
	if (r == 0) {
		g_hash_table_iter_init(&it, m->peers);
		while (g_hash_table_iter_next(&it, NULL, (gpointer *)&p))
			evaluate_peer(m, p);
	}
	update_status(m);
	return r;
}

/* ---- queries and actions ---------------------------------------------------------------- */

const char *tbs_manager_status(TbsManager *m)
{
	return m->status ? m->status : "Starting";
}

TbsConfigfsState tbs_manager_configfs_state(TbsManager *m)
{
	return m->cfs_state;
}

const TbsPolicy *tbs_manager_policy(TbsManager *m)
{
	return m->policy;
}

const GPtrArray *tbs_manager_policy_errors(TbsManager *m)
{
	return m->policy_errors;
}

TbsStore *tbs_manager_store(TbsManager *m)
{
	return m->store;
}

GHashTable *tbs_manager_peers(TbsManager *m)
{
	return m->peers;
}

GHashTable *tbs_manager_streams(TbsManager *m)
{
	return m->streams;
}

TbsPeer *tbs_manager_find_peer(TbsManager *m, const char *id)
{
	return g_hash_table_lookup(m->peers, id);
}

TbsStream *tbs_manager_find_stream(TbsManager *m, const char *group, const char *name)
{
	g_autofree char *key = g_strdup_printf("%s/%s", group, name);
	return g_hash_table_lookup(m->streams, key);
}

GPtrArray *tbs_manager_peer_streams(TbsManager *m, TbsPeer *p)
{
	return streams_in_group(m, p->group);
}

int tbs_manager_request_stream(TbsManager *m, TbsPeer *p, const TbsStreamTemplate *t,
			       TbsStream **ret)
{
	TbsStream *s;
	int r;

	if (!tbs_stream_name_is_valid(t->name))
		return -EINVAL;
	if (!p->connected || !p->group)
		return -ENOTCONN;
	if (m->cfs_state != TBS_CONFIGFS_READY)
		return -ENODEV;
	if (tbs_manager_find_stream(m, p->group, t->name))
		return -EEXIST;
	s = create_stream(m, p, t, TBS_ORIGIN_REQUEST, &r);
	if (!s)
		return r;
	if (ret)
		*ret = s;
	return 0;
}

int tbs_manager_remove_stream(TbsManager *m, TbsStream *s, bool force)
{
	return remove_stream(m, s, force, "requested");
}

int tbs_manager_set_peer_label(TbsManager *m, TbsPeer *p, const char *label)
{
	_cleanup_free_ char *clean = NULL;

	if (!p->record)
		return -EOPNOTSUPP;
	if (label) {
		clean = tbs_sanitize_string(label, strlen(label), TBS_PEER_STRING_MAX);
		if (!clean)
			return -ENOMEM;
	}
	free(p->record->label);
	p->record->label = clean && *clean ? g_steal_pointer(&clean) : NULL;
	notify_peer(m, p, TBS_CHANGED);
	return tbs_store_save(m->store, p->record);
}

int tbs_manager_set_peer_trusted(TbsManager *m, TbsPeer *p, bool trusted)
{
	int r;

	if (!p->record)
		return -EOPNOTSUPP;
	p->record->trusted = trusted;
	r = tbs_store_save(m->store, p->record);
	notify_peer(m, p, TBS_CHANGED);
	/* trust is a policy input: MatchTrusted= rules may now (not) apply */
	evaluate_peer(m, p);
	return r;
}
