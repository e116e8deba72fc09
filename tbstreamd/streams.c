/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

#include <systemd/sd-device.h>

#include "log.h"
#include "manager-private.h"

/* ---- ownership bookkeeping -------------------------------------------------------------- */

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

void mgr_stream_set_state(TbsStream *s, TbsStreamState state)
{
	TbsManager *m = s->manager;

	/* its end is decided: what the kernel does to it meanwhile is not news */
	if (s->state == state || s->removal)
		return;
	if (s->state == TBS_STREAM_WAITING_DEVICE)
		m->n_waiting_device--;
	if (state == TBS_STREAM_WAITING_DEVICE)
		m->n_waiting_device++;
	s->state = state;
	if (state == TBS_STREAM_READY)
		s->ready_usec = tbs_now(CLOCK_MONOTONIC);
	dev_watch_update(m);
	mgr_notify_stream(m, s, TBS_CHANGED);
}

static void stream_fail(TbsStream *s, int error)
{
	s->error = error;
	mgr_stream_set_state(s, TBS_STREAM_FAILED);
}

/* Owner/mode only on nodes of streams we made: adopted ones are someone else's setup. */
static int apply_permissions(TbsStream *s)
{
	const TbsStreamTemplate *t = &s->tmpl;
	_cleanup_close_ int fd = -1;
	char proc[64];
	struct stat st;

	/*
	 * Everything on one O_PATH descriptor of the node that was checked: a node
	 * replaced by a symbolic link (or anything else) after the check is never
	 * what gets the owner and mode. O_PATH opens no device.
	 */
	fd = open(s->devnode, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	/* devtmpfs makes character devices; test roots use regular files. Never follow links. */
	if (!S_ISCHR(st.st_mode) && !S_ISREG(st.st_mode))
		return -ENOTTY;
	if (!s->has_template || !s->owned)
		return 0;
	if ((t->owner != (uid_t)-1 || t->group != (gid_t)-1) &&
	    fchownat(fd, "", t->owner, t->group, AT_EMPTY_PATH) < 0)
		return log_stream(LOG_ERR, errno, s->peer_id, s->name, "Cannot set owner of %s: %m",
				  s->devnode);
	/* fchmod() refuses O_PATH descriptors; the /proc link reaches the same inode */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (t->mode != (mode_t)-1 && chmod(proc, t->mode) < 0)
		return log_stream(LOG_ERR, errno, s->peer_id, s->name, "Cannot set mode of %s: %m",
				  s->devnode);
	return 0;
}

static void stream_check_device(TbsStream *s);

static int on_udev_timeout(sd_event_source *src, uint64_t usec, void *userdata)
{
	TbsStream *s = userdata;

	s->udev_timeout = sd_event_source_disable_unref(s->udev_timeout);
	log_stream(LOG_WARNING, 0, s->peer_id, s->name,
		   "udev has not handled %s after %llu ms; going on without its rules and links",
		   s->devnode, (unsigned long long)(s->manager->udev_timeout_usec / 1000));
	s->udev_seen = true;
	stream_check_device(s);
	return 0;
}

/*
 * Whether udev has handled the node's event: its rules ran and its links
 * (/dev/tbstream/by-name/...) exist, so a client told "ready" finds them, and
 * our owner and mode come after anything a rule does. udev keeps a database
 * entry for every device node once it is done with it.
 */
static bool udev_done(TbsStream *s)
{
	TbsManager *m = s->manager;
	_cleanup_(sd_device_unrefp) sd_device *d = NULL;
	const char *sysname = strrchr(s->devnode, '/') + 1;
	int r;

	if (!m->node_subsystem || s->udev_seen)
		return true;
	if (sd_device_new_from_subsystem_sysname(&d, m->node_subsystem, sysname) >= 0 &&
	    sd_device_get_is_initialized(d) > 0) {
		s->udev_seen = true;
		return true;
	}
	if (!s->udev_timeout) {
		r = sd_event_add_time_relative(m->event, &s->udev_timeout, CLOCK_MONOTONIC,
					       m->udev_timeout_usec, 0, on_udev_timeout, s);
		if (r < 0) {
			log_stream(LOG_WARNING, r, s->peer_id, s->name,
				   "Cannot wait for udev's event for %s, not waiting: %m",
				   s->devnode);
			s->udev_seen = true;
			return true;
		}
	}
	return false;
}

void mgr_node_processed(void *userdata, const char *sysname)
{
	TbsManager *m = userdata;
	g_autoptr(GPtrArray) waiting = g_ptr_array_new();
	GHashTableIter it;
	TbsStream *s;

	g_hash_table_iter_init(&it, m->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		if (s->devnode && !s->udev_seen &&
		    strcmp(strrchr(s->devnode, '/') + 1, sysname) == 0)
			g_ptr_array_add(waiting, s);
	for (unsigned i = 0; i < waiting->len; i++) {
		s = waiting->pdata[i];
		s->udev_seen = true;
		if (s->state == TBS_STREAM_WAITING_DEVICE)
			stream_check_device(s);
	}
}

static void stream_check_device(TbsStream *s)
{
	int r;

	if (s->removal)
		return;
	if (!udev_done(s)) {
		mgr_stream_set_state(s, TBS_STREAM_WAITING_DEVICE);
		return;
	}
	s->udev_timeout = sd_event_source_disable_unref(s->udev_timeout);
	r = apply_permissions(s);

	if (r == -ENOENT) {
		mgr_stream_set_state(s, TBS_STREAM_WAITING_DEVICE);
		return;
	}
	if (r < 0) {
		log_stream(LOG_ERR, r, s->peer_id, s->name, "Device node %s unusable: %m",
			   s->devnode);
		stream_fail(s, r);
		return;
	}
	log_stream(LOG_INFO, 0, s->peer_id, s->name, "Stream %s ready as %s", s->key, s->devnode);
	mgr_stream_set_state(s, TBS_STREAM_READY);
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

void mgr_attr_wait_stop(TbsStream *s)
{
	s->attr_watch = sd_event_source_disable_unref(s->attr_watch);
	s->attr_timeout = sd_event_source_disable_unref(s->attr_timeout);
}

static int on_attr_timeout(sd_event_source *src, uint64_t usec, void *userdata)
{
	TbsStream *s = userdata;

	mgr_attr_wait_stop(s);
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
		mgr_attr_wait_stop(s);
		log_stream(LOG_ERR, r, s->peer_id, s->name, "Cannot watch %s: %m", s->dir);
		stream_fail(s, r);
		return;
	}
	mgr_stream_set_state(s, TBS_STREAM_CONFIGURING);
	/* it may have been populated between our check and the watch */
	if (!g_file_test(s->dir, G_FILE_TEST_IS_DIR))
		return;
	g_autofree char *idx = g_build_filename(s->dir, "index", NULL);
	if (access(idx, F_OK) == 0) {
		mgr_attr_wait_stop(s);
		s->owned ? stream_configure(s) : mgr_stream_refresh(s);
	}
}

static int on_attr_event(sd_event_source *src, const struct inotify_event *ev, void *userdata)
{
	TbsStream *s = userdata;

	if (ev->len == 0 || strcmp(ev->name, "index") != 0)
		return 0;
	mgr_attr_wait_stop(s);
	if (s->owned && s->state == TBS_STREAM_CONFIGURING && s->has_template)
		stream_configure(s);
	else
		mgr_stream_refresh(s);
	return 0;
}

void mgr_stream_refresh(TbsStream *s)
{
	TbsManager *m = s->manager;
	TbsItemInfo info;
	int r;

	if (s->removal)
		return;
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
		/* another node: its udev event is still to come */
		s->udev_seen = false;
		s->udev_timeout = sd_event_source_disable_unref(s->udev_timeout);
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
	mgr_stream_refresh(s);
}

TbsStream *mgr_stream_add(TbsManager *m, const char *group, const char *name)
{
	TbsStream *s = tbs_stream_new(m, m->stream_dir, group, name);

	s->created_usec = tbs_now(CLOCK_MONOTONIC);
	s->state = TBS_STREAM_CONFIGURING;
	g_hash_table_insert(m->streams, s->key, s);
	return s;
}

/* ---- removal ---------------------------------------------------------------------------- */

typedef struct RemovalWaiter {
	TbsStreamRemoved done;
	void *userdata;
} RemovalWaiter;

/*
 * One stream's rmdir, queued on the manager's remover. The stream stays in the
 * model (so its name cannot be made again before the directory is gone) but
 * ignores what happens to it until the result is back.
 */
struct MgrRemoval {
	TbsManager *m;
	TbsStream *s; /* NULL once it was dropped some other way */
	char *key, *group, *peer_id, *why;
	char name[TBS_STREAM_NAME_MAX + 1];
	GArray *waiters; /* RemovalWaiter */
	bool reevaluate; /* a decision wanted a stream of this name while it went */
};

void mgr_stream_drop(TbsManager *m, TbsStream *s)
{
	if (s->removal)
		/* gone another way (ConfigFS went away) while its rmdir was queued */
		s->removal->s = NULL;
	if (s->state == TBS_STREAM_WAITING_DEVICE)
		m->n_waiting_device--;
	dev_watch_update(m);
	mgr_notify_stream(m, s, TBS_REMOVED);
	g_hash_table_remove(m->streams, s->key);
	mgr_update_status(m);
}

static void removal_free(MgrRemoval *rm)
{
	g_free(rm->key);
	g_free(rm->group);
	g_free(rm->peer_id);
	g_free(rm->why);
	g_array_unref(rm->waiters);
	g_free(rm);
}

static void removal_add_waiter(MgrRemoval *rm, TbsStreamRemoved done, void *userdata)
{
	RemovalWaiter w = {done, userdata};

	if (done)
		g_array_append_val(rm->waiters, w);
}

void mgr_group_remove_if_unused(TbsManager *m, const char *group)
{
	g_autofree char *gpath = NULL;
	int r;

	if (!g_hash_table_contains(m->owned, group) || group_has_streams(m, group))
		return;
	/* an empty group has no session to wait for: its rmdir is quick */
	gpath = g_build_filename(m->stream_dir, group, NULL);
	r = tbs_configfs_remove_group(m->stream_dir, group);
	if (r < 0)
		log_warning_errno(r, "Cannot remove ConfigFS group %s: %m", group);
	else if (!g_file_test(gpath, G_FILE_TEST_EXISTS)) {
		g_hash_table_remove(m->owned, group);
		g_hash_table_remove(m->owned_ids, group);
	}
}

static void on_removed(int r, void *userdata)
{
	MgrRemoval *rm = userdata;
	TbsManager *m = rm->m;
	TbsStream *s = rm->s;

	if (s)
		s->removal = NULL;
	if (r < 0) {
		log_stream(LOG_ERR, r, rm->peer_id, rm->name, "Cannot remove stream %s: %m",
			   rm->key);
		if (s)
			/* still there: show what the kernel has now */
			mgr_stream_refresh(s);
	} else {
		log_stream(LOG_INFO, 0, rm->peer_id, rm->name, "Removed stream %s (%s)", rm->key,
			   rm->why);
		/*
		 * Dropped another way meanwhile: that path kept the records, and
		 * an item of this name may be a new one of ours by now.
		 */
		if (s) {
			g_hash_table_remove(m->owned, rm->key);
			g_hash_table_remove(m->requested, rm->key);
			g_hash_table_remove(m->owned_ids, rm->key);
			mgr_stream_drop(m, s);
			mgr_group_remove_if_unused(m, rm->group);
			mgr_owned_save(m);
		}
	}
	for (unsigned i = 0; i < rm->waiters->len; i++) {
		RemovalWaiter *w = &g_array_index(rm->waiters, RemovalWaiter, i);

		w->done(r, w->userdata);
	}
	if (tbs_remover_pending(m->remover) == 0)
		mgr_notify_removals_done(m);
	if (rm->reevaluate && !m->stopping) {
		TbsPeer *p = mgr_group_peer(m, rm->group);

		if (p)
			mgr_evaluate_peer(m, p);
	}
	removal_free(rm);
}

int mgr_stream_remove(TbsManager *m, TbsStream *s, bool force, const char *why,
		      TbsStreamRemoved done, void *userdata)
{
	MgrRemoval *rm;
	int r;

	if (s->removal) {
		removal_add_waiter(s->removal, done, userdata);
		return 0;
	}
	if (!s->owned && !force) {
		log_stream(LOG_INFO, 0, s->peer_id, s->name,
			   "Not removing stream %s (%s): this daemon did not create it", s->key,
			   why);
		return -EPERM;
	}
	if (!tbs_stream_name_is_valid(s->name) ||
	    tbs_group_name_parse(s->group, NULL, NULL, NULL) < 0)
		return log_stream(LOG_ERR, EINVAL, s->peer_id, s->name,
				  "Not removing stream %s: not a stream item's name", s->key);

	rm = g_new0(MgrRemoval, 1);
	rm->m = m;
	rm->s = s;
	rm->key = g_strdup(s->key);
	rm->group = g_strdup(s->group);
	rm->peer_id = g_strdup(s->peer_id);
	rm->why = g_strdup(why);
	g_strlcpy(rm->name, s->name, sizeof(rm->name));
	rm->waiters = g_array_new(false, false, sizeof(RemovalWaiter));
	removal_add_waiter(rm, done, userdata);
	r = tbs_remover_queue(m->remover, s->dir, on_removed, rm);
	if (r < 0) {
		removal_free(rm);
		return log_stream(LOG_ERR, r, s->peer_id, s->name, "Cannot remove stream %s: %m",
				  s->key);
	}
	log_stream(LOG_DEBUG, 0, s->peer_id, s->name, "Removing stream %s (%s)", s->key, why);
	mgr_attr_wait_stop(s);
	s->udev_timeout = sd_event_source_disable_unref(s->udev_timeout);
	s->removal = rm;
	return 0;
}

bool tbs_stream_is_removing(const TbsStream *s)
{
	return s->removal;
}

void mgr_stream_removal_wanted(TbsStream *s)
{
	s->removal->reevaluate = true;
}

/*
 * Ownership is recorded before the mkdir, on disk: a daemon killed right after
 * it must still know the item is its own. An intent that was not carried out
 * (mkdir failed, the item was there already, or a crash before the mkdir) is
 * dropped: here, or at the next start when the item does not exist.
 */
static bool owned_intent(TbsManager *m, const char *key, const char *peer_id, bool requested)
{
	if (g_hash_table_contains(m->owned, key))
		return false;
	/* an identity left from an earlier item of this name is not this one's */
	g_hash_table_remove(m->owned_ids, key);
	g_hash_table_replace(m->owned, g_strdup(key), g_strdup(peer_id));
	if (requested)
		g_hash_table_add(m->requested, g_strdup(key));
	return true;
}

static void owned_intent_drop(TbsManager *m, const char *key)
{
	g_hash_table_remove(m->owned, key);
	g_hash_table_remove(m->requested, key);
	g_hash_table_remove(m->owned_ids, key);
}

/* An intent mgr_streams_intend() wrote ahead: taken by the stream it was for. */
static bool intent_take(TbsManager *m, const char *key)
{
	if (!m->intended)
		return false;
	for (unsigned i = 0; i < m->intended->len; i++)
		if (strcmp(m->intended->pdata[i], key) == 0) {
			g_ptr_array_remove_index_fast(m->intended, i);
			return true;
		}
	return false;
}

/* What was intended but not made (too many streams, a failure before): not ours after all. */
void mgr_streams_intend_end(TbsManager *m)
{
	g_autoptr(GPtrArray) left = g_steal_pointer(&m->intended);

	m->intended_unsaved = false;
	if (!left || left->len == 0)
		return;
	for (unsigned i = 0; i < left->len; i++)
		owned_intent_drop(m, left->pdata[i]);
	mgr_owned_save(m);
}

/* Record in memory that p's stream t is about to be made; false if there is nothing to record. */
static bool intend_one(TbsManager *m, TbsPeer *p, const TbsStreamTemplate *t,
		       TbsStreamOrigin origin)
{
	g_autofree char *key = NULL;

	if (!p->connected || !p->group)
		return false;
	key = g_strdup_printf("%s/%s", p->group, t->name);
	/* one that exists (or is being removed) is not made now */
	if (g_hash_table_contains(m->streams, key) ||
	    !owned_intent(m, key, p->id, origin == TBS_ORIGIN_REQUEST))
		return false;
	if (!m->intended)
		m->intended = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(m->intended, g_steal_pointer(&key));
	if (owned_intent(m, p->group, "", false))
		g_ptr_array_add(m->intended, g_strdup(p->group));
	m->intended_unsaved = true;
	return true;
}

/* Every intent recorded since the last write goes to disk in one write. */
int tbs_manager_intend_commit(TbsManager *m)
{
	int r;

	if (!m->intended_unsaved)
		return 0;
	m->intended_unsaved = false;
	r = mgr_owned_save_now(m);
	if (r < 0)
		log_warning_errno(r,
				  "Cannot record %u stream(s) before creating them; a crash now "
				  "would leave them unowned: %m",
				  m->intended ? m->intended->len : 0);
	return r;
}

/*
 * A plug makes all of a peer's streams at once: their intents go to disk in
 * one write before the first mkdir, instead of one write (with its fsyncs)
 * per stream, which made a cold plug of many peers quadratic in writes of an
 * ever longer file. mgr_stream_create() then finds its intent on disk.
 */
void mgr_streams_intend(TbsManager *m, TbsPeer *p, const GPtrArray *templates)
{
	/* a plug inside a plug (a ConfigFS probe re-evaluates every peer): the outer one ends */
	mgr_streams_intend_end(m);
	for (unsigned i = 0; i < templates->len; i++)
		(void)intend_one(m, p, templates->pdata[i], TBS_ORIGIN_POLICY);
	(void)tbs_manager_intend_commit(m);
}

void tbs_manager_intend_stream(TbsManager *m, TbsPeer *p, const TbsStreamTemplate *t)
{
	(void)intend_one(m, p, t, TBS_ORIGIN_REQUEST);
}

void tbs_manager_intend_end(TbsManager *m)
{
	mgr_streams_intend_end(m);
}

TbsStream *mgr_stream_create(TbsManager *m, TbsPeer *p, const TbsStreamTemplate *t,
			     TbsStreamOrigin origin, int *ret_error)
{
	g_autofree char *key = g_strdup_printf("%s/%s", p->group, t->name);
	bool new_group, new_item, unsaved, dirty = false;
	TbsStream *s;
	int r;

	*ret_error = 0;
	if (g_hash_table_size(m->streams) >= STREAMS_MAX) {
		*ret_error = log_peer(LOG_ERR, ENOSPC, p->id, "Too many streams, not creating %s",
				      t->name);
		return NULL;
	}
	new_group = owned_intent(m, p->group, "", false);
	new_item = owned_intent(m, key, p->id, origin == TBS_ORIGIN_REQUEST);
	unsaved = new_group || new_item;
	/* written ahead with the rest of the plug's streams */
	new_group = intent_take(m, p->group) || new_group;
	new_item = intent_take(m, key) || new_item;
	if (unsaved && (r = mgr_owned_save_now(m)) < 0)
		log_stream(LOG_WARNING, r, p->id, t->name,
			   "Cannot record stream %s before creating it; a crash now would leave "
			   "it unowned: %m",
			   key);

	r = tbs_configfs_make_group(m->stream_dir, p->group);
	if (r < 0) {
		*ret_error = log_stream(LOG_ERR, r, p->id, t->name,
					"Cannot create ConfigFS group %s: %m", p->group);
		if (new_group)
			owned_intent_drop(m, p->group);
		if (new_item)
			owned_intent_drop(m, key);
		mgr_owned_save(m);
		/* the stream directory went away under us: the module was unloaded */
		if (r == -ENOENT)
			mgr_probe_configfs(m);
		return NULL;
	}
	if (r == 0 && new_group) {
		/* someone else's group */
		owned_intent_drop(m, p->group);
		dirty = true;
	} else if (r > 0 && g_hash_table_contains(m->owned, p->group)) {
		mgr_owned_identify(m, p->group);
		dirty = true;
	}
	r = tbs_configfs_make_item(m->stream_dir, p->group, t->name);
	if (r <= 0 && new_item) {
		owned_intent_drop(m, key);
		dirty = true;
	}
	if (r == -EADDRINUSE)
		*ret_error =
			log_stream(LOG_ERR, r, p->id, t->name,
				   "Cannot create stream %s/%s: another peer has a stream of "
				   "that name, and this kernel tells every peer the same names",
				   p->group, t->name);
	else if (r < 0)
		*ret_error = log_stream(LOG_ERR, r, p->id, t->name,
					"Cannot create stream %s/%s: %m", p->group, t->name);
	if (r < 0) {
		if (dirty)
			mgr_owned_save(m);
		return NULL;
	}

	s = mgr_stream_add(m, p->group, t->name);
	s->peer_id = g_strdup(p->id);
	s->tmpl = *t;
	s->has_template = true;
	if (r > 0) {
		s->owned = true;
		s->made = true;
		s->origin = origin;
		mgr_owned_identify(m, s->key);
		dirty = true;
		if (!new_item) {
			/* a record of an earlier item of this name that vanished meanwhile */
			g_hash_table_replace(m->owned, g_strdup(s->key), g_strdup(p->id));
			if (origin == TBS_ORIGIN_REQUEST)
				g_hash_table_add(m->requested, g_strdup(s->key));
			dirty = true;
		}
	} else {
		/* made by hand since we last looked: adopt, do not reconfigure */
		s->owned = g_hash_table_contains(m->owned, s->key);
		s->origin = s->owned ? origin : TBS_ORIGIN_ADOPTED;
	}
	if (dirty)
		mgr_owned_save(m);
	log_stream(LOG_INFO, 0, p->id, s->name, "%s stream %s for peer %s",
		   r > 0 ? "Created" : "Adopted", s->key, tbs_peer_display_name(p));
	mgr_notify_stream(m, s, TBS_ADDED);
	if (r > 0)
		stream_configure(s);
	else
		mgr_stream_refresh(s);
	return s;
}
