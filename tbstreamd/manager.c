/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "manager-private.h"

#ifndef TBSTREAMD_VENDOR_DIR
#define TBSTREAMD_VENDOR_DIR "/usr/lib/tbstreamd"
#endif

/* ---- notifications ---------------------------------------------------------------------- */

void mgr_notify_peer(TbsManager *m, TbsPeer *p, TbsChange c)
{
	for (unsigned i = 0; i < m->observers->len; i++) {
		Observer *o = &g_array_index(m->observers, Observer, i);
		if (o->obs->peer)
			o->obs->peer(m, p, c, o->userdata);
	}
}

void mgr_notify_removals_done(TbsManager *m)
{
	for (unsigned i = 0; i < m->observers->len; i++) {
		Observer *o = &g_array_index(m->observers, Observer, i);
		if (o->obs->removals_done)
			o->obs->removals_done(m, o->userdata);
	}
}

void mgr_notify_stream(TbsManager *m, TbsStream *s, TbsChange c)
{
	for (unsigned i = 0; i < m->observers->len; i++) {
		Observer *o = &g_array_index(m->observers, Observer, i);
		if (o->obs->stream)
			o->obs->stream(m, s, c, o->userdata);
	}
	if (c != TBS_CHANGED || s->state == TBS_STREAM_READY || s->state == TBS_STREAM_FAILED)
		mgr_update_status(m);
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

bool tbs_manager_is_busy(TbsManager *m)
{
	GHashTableIter it;
	TbsPeer *p;
	TbsStream *s;

	if (tbs_manager_reloading(m) || tbs_remover_pending(m->remover) > 0)
		return true;
	g_hash_table_iter_init(&it, m->peers);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&p))
		if (p->connected)
			return true;
	g_hash_table_iter_init(&it, m->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		if (s->state == TBS_STREAM_CONFIGURING || s->state == TBS_STREAM_WAITING_DEVICE)
			return true;
	return false;
}

void mgr_update_status(TbsManager *m)
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
			!m->policy_errors->len ? ""
			: m->policy_loaded     ? "; policy has errors, using the last good one"
					       : "; policy has errors, every peer denied");
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
	s = mgr_stream_add(m, group, name);
	peer_id = g_hash_table_lookup(m->owned, s->key);
	s->owned = peer_id != NULL;
	if (!s->owned)
		s->origin = TBS_ORIGIN_ADOPTED;
	else if (g_hash_table_contains(m->requested, s->key))
		s->origin = TBS_ORIGIN_REQUEST;
	else
		s->origin = TBS_ORIGIN_POLICY;
	s->peer_id = peer_id && *peer_id ? g_strdup(peer_id) : NULL;
	log_stream(LOG_INFO, 0, s->peer_id, s->name, "Found existing stream %s (%s)", s->key,
		   s->owned ? "made by an earlier tbstreamd" : "not ours, leaving it alone");
	mgr_notify_stream(m, s, TBS_ADDED);
	mgr_stream_refresh(s);
}

static void forget_owned(TbsManager *m, const char *key)
{
	g_hash_table_remove(m->owned, key);
	g_hash_table_remove(m->requested, key);
	g_hash_table_remove(m->owned_ids, key);
}

static void forget_all_owned(TbsManager *m)
{
	g_hash_table_remove_all(m->owned);
	g_hash_table_remove_all(m->requested);
	g_hash_table_remove_all(m->owned_ids);
}

/*
 * What configfs.state lists is ours only if it is still the same kernel object:
 * a name that was made again since (by someone else, or by the module after a
 * reload) is someone else's item. Entries without an identity are intents whose
 * outcome was never written (a crash right after the mkdir): the module check
 * is all we have for them.
 */
static void validate_owned(TbsManager *m)
{
	g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	const char *key;

	if (m->saved_module_id[0] && strcmp(m->saved_module_id, m->module_id) != 0) {
		if (g_hash_table_size(m->owned) > 0)
			log_notice("%s is not the one configfs.state was written for (the stream "
				   "module was reloaded): forgetting %u item(s) recorded as ours",
				   m->stream_dir, g_hash_table_size(m->owned));
		forget_all_owned(m);
	}
	/* only at the first look: later reloads are seen as the module going away */
	m->saved_module_id[0] = '\0';

	g_hash_table_iter_init(&it, m->owned);
	while (g_hash_table_iter_next(&it, (gpointer *)&key, NULL)) {
		g_autofree char *path = g_build_filename(m->stream_dir, key, NULL);
		const char *want = g_hash_table_lookup(m->owned_ids, key);
		char now[TBS_IDENTITY_MAX];

		/* gone: removed by hand, or a crash before our mkdir */
		if (!g_file_test(path, G_FILE_TEST_IS_DIR) || tbs_path_identity(path, now) < 0) {
			g_ptr_array_add(stale, g_strdup(key));
			continue;
		}
		if (want && strcmp(want, now) != 0) {
			log_notice(
				"ConfigFS %s was made again by someone else since we created it; "
				"it is not ours",
				key);
			g_ptr_array_add(stale, g_strdup(key));
		} else if (!want)
			g_hash_table_replace(m->owned_ids, g_strdup(key), g_strdup(now));
	}
	for (unsigned i = 0; i < stale->len; i++)
		forget_owned(m, stale->pdata[i]);
}

static void adopt_existing(TbsManager *m)
{
	int r;

	validate_owned(m);
	r = tbs_configfs_scan(m->stream_dir, adopt_one, m);
	if (r < 0)
		log_warning_errno(r, "Cannot scan %s: %m", m->stream_dir);
	mgr_owned_save(m);
}

void mgr_owned_identify(TbsManager *m, const char *key)
{
	g_autofree char *path = g_build_filename(m->stream_dir, key, NULL);
	char id[TBS_IDENTITY_MAX];
	int r;

	r = tbs_path_identity(path, id);
	if (r < 0) {
		/* without it, the module check alone decides after a restart */
		log_warning_errno(r, "Cannot stat %s, which we just made: %m", path);
		g_hash_table_remove(m->owned_ids, key);
		return;
	}
	g_hash_table_replace(m->owned_ids, g_strdup(key), g_strdup(id));
}

/* The module went away (or was reloaded) and took every item with it. */
static void drop_all_streams(TbsManager *m)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	GHashTableIter it;
	TbsStream *s;

	g_hash_table_iter_init(&it, m->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		g_ptr_array_add(all, s);
	for (unsigned i = 0; i < all->len; i++)
		mgr_stream_drop(m, all->pdata[i]);
	forget_all_owned(m);
	mgr_owned_save(m);
}

static int on_cfs_retry(sd_event_source *src, uint64_t usec, void *userdata);

void mgr_probe_configfs(TbsManager *m)
{
	TbsConfigfsState old = m->cfs_state;
	char module_id[TBS_IDENTITY_MAX];
	GHashTableIter it;
	TbsPeer *p;

	m->cfs_state = tbs_configfs_probe(m->configfs_root, m->real_configfs);
	if (m->cfs_state == TBS_CONFIGFS_READY && tbs_path_identity(m->stream_dir, module_id) < 0)
		m->cfs_state = TBS_CONFIGFS_NO_MODULE; /* gone between the probe and now */
	if (m->cfs_state == TBS_CONFIGFS_READY) {
		m->cfs_retry = sd_event_source_disable_unref(m->cfs_retry);
		if (old == TBS_CONFIGFS_READY && strcmp(module_id, m->module_id) != 0) {
			/* unloaded and loaded again between two looks */
			log_notice("The stream module was reloaded: %s is a new directory",
				   m->stream_dir);
			drop_all_streams(m);
			old = TBS_CONFIGFS_NO_MODULE;
		}
		g_strlcpy(m->module_id, module_id, sizeof(m->module_id));
		if (old != TBS_CONFIGFS_READY) {
			log_info("ConfigFS stream directory %s is available", m->stream_dir);
			adopt_existing(m);
			g_hash_table_iter_init(&it, m->peers);
			while (g_hash_table_iter_next(&it, NULL, (gpointer *)&p))
				mgr_evaluate_peer(m, p);
			if (m->enumerated)
				mgr_reconcile_unplugged(m);
		}
		mgr_update_status(m);
		return;
	}
	m->module_id[0] = '\0';

	if (old != m->cfs_state)
		log_warning("Cannot manage streams: %s (%s); waiting for it",
			    tbs_configfs_state_to_string(m->cfs_state), m->stream_dir);
	if (old == TBS_CONFIGFS_READY)
		drop_all_streams(m);
	/* Periodic only while degraded; a module load (uevent) re-probes at once. */
	if (!m->cfs_retry)
		(void)sd_event_add_time_relative(m->event, &m->cfs_retry, CLOCK_MONOTONIC,
						 m->retry_usec, 0, on_cfs_retry, m);
	mgr_update_status(m);
}

static int on_cfs_retry(sd_event_source *src, uint64_t usec, void *userdata)
{
	TbsManager *m = userdata;

	m->cfs_retry = sd_event_source_disable_unref(m->cfs_retry);
	mgr_probe_configfs(m);
	return 0;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static void read_boot_id(TbsManager *m, const char *override)
{
	char buf[64];

	if (override)
		g_strlcpy(m->boot_id, override, sizeof(m->boot_id));
	else if (tbs_read_attr("/proc/sys/kernel/random", "boot_id", buf, sizeof(buf)) > 0)
		g_strlcpy(m->boot_id, buf, sizeof(m->boot_id));
}

/*
 * State files are written after the event that changed them has been handled
 * (an idle-priority defer source): a plug gets its stream first, and a burst of
 * changes costs one write per file.
 */
static int on_save(sd_event_source *src, void *userdata)
{
	mgr_flush(userdata);
	return 0;
}

static void schedule_save(TbsManager *m)
{
	int r;

	if (m->save_source) {
		r = sd_event_source_set_enabled(m->save_source, SD_EVENT_ONESHOT);
	} else {
		r = sd_event_add_defer(m->event, &m->save_source, on_save, m);
		if (r >= 0)
			r = sd_event_source_set_priority(m->save_source, SD_EVENT_PRIORITY_IDLE);
	}
	if (r < 0) {
		log_warning_errno(r, "Cannot schedule a state write, writing now: %m");
		mgr_flush(m);
	}
}

void mgr_owned_save(TbsManager *m)
{
	m->owned_dirty = true;
	schedule_save(m);
}

static int on_save_retry(sd_event_source *src, uint64_t usec, void *userdata)
{
	TbsManager *m = userdata;

	m->save_retry = sd_event_source_disable_unref(m->save_retry);
	mgr_flush(m);
	return 0;
}

/* A write failed (disk full, read-only for a while): what is dirty stays so, and is tried again. */
static void schedule_save_retry(TbsManager *m)
{
	int r;

	if (m->save_retry)
		return;
	r = sd_event_add_time_relative(m->event, &m->save_retry, CLOCK_MONOTONIC, m->retry_usec, 0,
				       on_save_retry, m);
	if (r < 0)
		log_warning_errno(r, "Cannot schedule another try of a failed state write: %m");
}

int mgr_owned_save_now(TbsManager *m)
{
	int r;

	if (!m->store)
		return 0;
	r = tbs_store_save_owned_full(m->store, m->boot_id, m->owned, m->requested, m->owned_ids,
				      m->module_id);
	m->owned_dirty = r < 0;
	if (r < 0)
		schedule_save_retry(m);
	return r;
}

void mgr_record_save(TbsManager *m, const TbsPeerRecord *rec)
{
	g_hash_table_add(m->dirty_records, g_strdup(rec->uuid));
	schedule_save(m);
}

void mgr_flush(TbsManager *m)
{
	GHashTableIter it;
	const char *uuid;

	if (!m->store)
		return;
	if (m->owned_dirty &&
	    tbs_store_save_owned_full(m->store, m->boot_id, m->owned, m->requested, m->owned_ids,
				      m->module_id) >= 0)
		m->owned_dirty = false;
	g_hash_table_iter_init(&it, m->dirty_records);
	while (g_hash_table_iter_next(&it, (gpointer *)&uuid, NULL)) {
		TbsPeerRecord *rec = tbs_store_lookup(m->store, uuid);
		/* gone if renamed meanwhile (IdentifyByName=), which wrote it already */
		if (!rec || tbs_store_save(m->store, rec) >= 0)
			g_hash_table_iter_remove(&it);
	}
	if (m->owned_dirty || g_hash_table_size(m->dirty_records) > 0)
		schedule_save_retry(m);
	if (m->save_source)
		(void)sd_event_source_set_enabled(m->save_source, SD_EVENT_OFF);
}

int tbs_manager_new(sd_event *event, const TbsManagerConfig *c, TbsManager **ret)
{
	TbsManager *m = g_new0(TbsManager, 1);
	const char *sd = getenv("STATE_DIRECTORY");
	int r;

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
	tbs_manager_policy_dirs(c, &m->config_dir, &m->vendor_dir);
	m->subsystems_override = g_strdupv(c->subsystems);
	m->retry_usec = c->configfs_retry_usec ? c->configfs_retry_usec : DEFAULT_RETRY_USEC;
	m->store_peers_max = c->store_peers_max ? c->store_peers_max : TBS_STORE_PEERS_MAX;
	m->attr_timeout_usec =
		c->attr_timeout_usec ? c->attr_timeout_usec : DEFAULT_ATTR_TIMEOUT_USEC;
	m->udev_timeout_usec =
		c->udev_timeout_usec ? c->udev_timeout_usec : DEFAULT_UDEV_TIMEOUT_USEC;
	if (c->node_subsystem)
		m->node_subsystem = *c->node_subsystem ? g_strdup(c->node_subsystem) : NULL;
	else if (strcmp(m->dev_root, "/dev") == 0 && access("/run/udev/control", F_OK) == 0)
		/* without udev (a container, an initramfs) nobody would ever send the event */
		m->node_subsystem = g_strdup("tbstream");
	read_boot_id(m, c->boot_id);

	m->policy = tbs_policy_new_default();
	m->policy_errors = g_ptr_array_new_with_free_func(g_free);
	m->policy_error_details =
		g_ptr_array_new_with_free_func((GDestroyNotify)tbs_policy_error_free);
	m->peers =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)tbs_peer_free);
	m->controllers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					       (GDestroyNotify)tbs_controller_free);
	m->streams = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					   (GDestroyNotify)tbs_stream_free);
	m->owned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	m->requested = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	m->owned_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	m->dirty_records = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	m->observers = g_array_new(FALSE, FALSE, sizeof(Observer));
	m->cfs_state = TBS_CONFIGFS_NOT_MOUNTED;
	r = mgr_reload_new(m);
	if (r >= 0)
		r = tbs_remover_new(m->event, &m->remover);
	if (r < 0) {
		tbs_manager_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

TbsManager *tbs_manager_free(TbsManager *m)
{
	if (!m)
		return NULL;
	mgr_reload_free(m);
	/* a removal under way ends before its stream's record is written */
	m->stopping = true;
	m->remover = tbs_remover_free(m->remover);
	mgr_flush(m);
	m->save_source = sd_event_source_disable_unref(m->save_source);
	m->save_retry = sd_event_source_disable_unref(m->save_retry);
	m->udev = tbs_udev_free(m->udev);
	/* streams hold event sources: free them while the loop is still referenced */
	g_hash_table_unref(m->streams);
	g_hash_table_unref(m->peers);
	g_hash_table_unref(m->controllers);
	g_hash_table_unref(m->owned);
	g_hash_table_unref(m->requested);
	g_hash_table_unref(m->owned_ids);
	g_hash_table_unref(m->dirty_records);
	sd_event_source_disable_unref(m->cfs_retry);
	sd_event_source_disable_unref(m->dev_watch);
	tbs_store_free(m->store);
	tbs_policy_free(m->policy);
	g_ptr_array_unref(m->policy_errors);
	g_ptr_array_unref(m->policy_error_details);
	g_array_unref(m->observers);
	g_strfreev(m->subsystems_override);
	g_free(m->configfs_root);
	g_free(m->stream_dir);
	g_free(m->dev_root);
	g_free(m->node_subsystem);
	g_free(m->state_dir);
	g_free(m->config_dir);
	g_free(m->vendor_dir);
	g_free(m->status);
	sd_event_unref(m->event);
	g_free(m);
	return NULL;
}

void tbs_manager_policy_dirs(const TbsManagerConfig *c, char **config_dir, char **vendor_dir)
{
	const char *cd = getenv("CONFIGURATION_DIRECTORY");

	/* $CONFIGURATION_DIRECTORY may list several paths separated by ':'; the first is ours */
	if (c->config_dir)
		*config_dir = g_strdup(c->config_dir);
	else if (cd && *cd)
		*config_dir = g_strndup(cd, strcspn(cd, ":"));
	else
		*config_dir = g_strdup("/etc/tbstreamd");
	*vendor_dir = g_strdup(c->vendor_dir ? c->vendor_dir : TBSTREAMD_VENDOR_DIR);
}

int mgr_policy_apply(TbsManager *m, int r, TbsPolicy *p, GPtrArray *errors, GPtrArray *details)
{
	g_ptr_array_set_size(m->policy_errors, 0);
	g_ptr_array_set_size(m->policy_error_details, 0);
	if (r < 0) {
		for (unsigned i = 0; i < errors->len; i++) {
			log_error("Policy: %s", (char *)errors->pdata[i]);
			g_ptr_array_add(m->policy_errors, g_strdup(errors->pdata[i]));
		}
		for (unsigned i = 0; i < details->len; i++)
			g_ptr_array_add(m->policy_error_details,
					g_steal_pointer(&details->pdata[i]));
		g_ptr_array_set_free_func(details, NULL);
		if (m->policy_loaded)
			log_error("Policy has %u error(s), keeping the last good policy; "
				  "fix it (" TBSTREAMD_INSTALLED_PATH " --check-policy) and reload",
				  errors->len);
		else
			/* the built-in policy is in force: say what that means for peers */
			log_error(
				"Policy has %u error(s) and no earlier policy was loaded: "
				"every peer is denied until it is fixed (" TBSTREAMD_INSTALLED_PATH
				" --check-policy) and reloaded",
				errors->len);
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
	m->policy_loaded = true;
	return 0;
}

/* At start only: nothing is served yet, so waiting on NSS here stalls nobody. */
static int load_policy(TbsManager *m)
{
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) details =
		g_ptr_array_new_with_free_func((GDestroyNotify)tbs_policy_error_free);
	TbsPolicy *p = NULL;
	int r;

	r = tbs_policy_load_full(m->config_dir, m->vendor_dir, &p, errors, details);
	return mgr_policy_apply(m, r, p, errors, details);
}

int tbs_manager_start(TbsManager *m)
{
	char *const *subsystems;
	int r;

	(void)load_policy(m);
	r = tbs_store_open(m->state_dir, &m->store);
	if (r < 0)
		return r;
	(void)tbs_store_load_owned_full(m->store, m->boot_id, m->owned, m->requested, m->owned_ids,
					m->saved_module_id);
	mgr_add_known_peers(m);
	mgr_probe_configfs(m);
	subsystems = m->subsystems_override ? m->subsystems_override : m->policy->subsystems;
	g_autofree char *list = g_strjoinv(" ", (char **)subsystems);
	log_info("Watching udev subsystem(s): %s", list);
	r = tbs_udev_new(m->event, subsystems, &mgr_udev_handler, m, &m->udev);
	if (r < 0)
		return r;
	if (m->node_subsystem)
		tbs_udev_set_node_subsystem(m->udev, m->node_subsystem);
	r = tbs_udev_start(m->udev);
	if (r < 0)
		return r;
	/* every peer that is here has been announced: the others left while we were down */
	m->enumerated = true;
	if (m->cfs_state == TBS_CONFIGFS_READY)
		mgr_reconcile_unplugged(m);
	mgr_update_status(m);
	return 0;
}

/* ---- queries and actions ---------------------------------------------------------------- */

const char *tbs_manager_status_code(TbsManager *m)
{
	if (!m->status)
		return "starting";
	if (m->cfs_state == TBS_CONFIGFS_NOT_MOUNTED)
		return "no-configfs";
	if (m->cfs_state == TBS_CONFIGFS_NO_MODULE)
		return "no-stream-module";
	if (m->policy_errors->len > 0)
		return "policy-errors";
	return "ok";
}

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

bool tbs_manager_policy_loaded(TbsManager *m)
{
	return m->policy_loaded;
}

const GPtrArray *tbs_manager_policy_errors(TbsManager *m)
{
	return m->policy_errors;
}

const GPtrArray *tbs_manager_policy_error_details(TbsManager *m)
{
	return m->policy_error_details;
}

TbsStore *tbs_manager_store(TbsManager *m)
{
	return m->store;
}

const char *tbs_manager_state_dir(TbsManager *m)
{
	return m->state_dir;
}

const char *tbs_manager_boot_id(TbsManager *m)
{
	return m->boot_id;
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
	return mgr_streams_in_group(m, p->group);
}

int tbs_manager_request_stream(TbsManager *m, TbsPeer *p, const TbsStreamTemplate *t,
			       bool exclusive, TbsStream **ret)
{
	TbsStream *s;
	int r;

	if (!tbs_stream_name_is_valid(t->name))
		return -EINVAL;
	if (!p->connected || !p->group)
		return -ENOTCONN;
	if (m->cfs_state != TBS_CONFIGFS_READY)
		return -ENODEV;
	s = tbs_manager_find_stream(m, p->group, t->name);
	if (s)
		/* until its directory is gone, the name cannot be made again */
		return s->removal ? -EINPROGRESS : -EEXIST;
	s = mgr_stream_create(m, p, t, TBS_ORIGIN_REQUEST, &r);
	if (!s)
		return r;
	/* someone made the item behind our back: it stays, adopted, but it is not the caller's */
	if (exclusive && !s->made)
		return -EEXIST;
	if (ret)
		*ret = s;
	return 0;
}

bool tbs_manager_removing(TbsManager *m)
{
	return tbs_remover_pending(m->remover) > 0;
}

void tbs_manager_finish_removals(TbsManager *m)
{
	m->stopping = true;
	tbs_remover_drain(m->remover);
}

int tbs_manager_remove_stream(TbsManager *m, TbsStream *s, bool force, TbsStreamRemoved done,
			      void *userdata)
{
	return mgr_stream_remove(m, s, force, "requested", done, userdata);
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
	mgr_notify_peer(m, p, TBS_CHANGED);
	return tbs_store_save(m->store, p->record);
}

int tbs_manager_set_peer_trusted(TbsManager *m, TbsPeer *p, bool trusted)
{
	int r;

	if (!p->record)
		return -EOPNOTSUPP;
	p->record->trusted = trusted;
	r = tbs_store_save(m->store, p->record);
	mgr_notify_peer(m, p, TBS_CHANGED);
	/* trust is a policy input: MatchTrusted= rules may now (not) apply */
	mgr_evaluate_peer(m, p);
	return r;
}
