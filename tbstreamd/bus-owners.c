/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who asked for which stream over D-Bus, kept in
 * $STATE_DIRECTORY/bus-owners.state, so that a restarted tbstreamd still
 * reports a stream's Owner and still removes a non-persistent stream when the
 * client that asked for it leaves the bus, or already left while the daemon
 * was not running.  Without this a restart turned every temporary stream into
 * a permanent one that nobody would ever remove.
 *
 * Unique bus names are only meaningful on the bus instance that handed them
 * out, so the file names the boot and the bus; a file from another instance
 * is ignored.
 *
 * A new owner is written before RequestStream replies: a crash right after the
 * reply must not turn the caller's temporary stream into a permanent one. A
 * removal only drops a record, so it is written later, once for a whole burst
 * (a cable pulled from under many streams, a client leaving with many): each
 * write is the whole file plus two fsyncs, and one per removal made a burst
 * quadratic. A crash before that write leaves a record of a stream that is
 * gone; it is never applied to a stream that the daemon did not make on
 * request, and the next write drops it.
 */
#include <errno.h>
#include <string.h>

#include "bus-private.h"
#include "log.h"
#include "util.h"

#define OWNERS_FILE "bus-owners.state"
#define OWNERS_VERSION 1
#define OWNERS_FILE_MAX (1024 * 1024)
#define OWNERS_MAX 4096

typedef struct BusOwnerRecord {
	char *owner;
	bool persistent;
} BusOwnerRecord;

static void owner_record_free(BusOwnerRecord *r)
{
	if (!r)
		return;
	g_free(r->owner);
	g_free(r);
}

static char *owners_path(TbsBus *b)
{
	return g_build_filename(tbs_manager_state_dir(b->m), OWNERS_FILE, NULL);
}

/* boot ID and bus ID: where a unique name like ":1.42" means one client */
static char *bus_instance(TbsBus *b)
{
	sd_id128_t id;
	char s[SD_ID128_STRING_MAX];

	if (sd_bus_get_bus_id(b->bus, &id) < 0)
		return NULL;
	return g_strdup_printf("%s/%s", strempty(tbs_manager_boot_id(b->m)),
			       sd_id128_to_string(id, s));
}

/* ":" then digits and dots, as dbus-daemon and sd-bus hand them out */
static bool unique_name_is_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 2 || n > 255 || s[0] != ':')
		return false;
	return strspn(s + 1, "0123456789.") == n - 1;
}

static bool stream_key_is_valid(const char *key)
{
	g_autofree char *group = g_strdup(key);
	char *slash = strchr(group, '/');

	if (!slash)
		return false;
	*slash = '\0';
	return tbs_group_name_parse(group, NULL, NULL, NULL) == 0 &&
	       tbs_stream_name_is_valid(slash + 1);
}

int bus_owners_load(TbsBus *b)
{
	g_autofree char *path = owners_path(b), *instance = bus_instance(b), *file_instance = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) groups = NULL;
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	b->restored = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)owner_record_free);
	r = tbs_read_file(path, OWNERS_FILE_MAX, &data, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_warning_errno(r, "Cannot read %s, stream owners are forgotten: %m",
					 path);
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, NULL) ||
	    g_key_file_get_int64(kf, "BusOwners", "Version", NULL) != OWNERS_VERSION) {
		log_warning("Ignoring %s: not a version %d owners file", path, OWNERS_VERSION);
		return 0;
	}
	file_instance = g_key_file_get_string(kf, "BusOwners", "Instance", NULL);
	if (!instance || !file_instance || strcmp(instance, file_instance) != 0) {
		log_debug("%s is from another boot or bus, forgetting it", path);
		return 0;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (unsigned i = 0; groups[i] && g_hash_table_size(b->restored) < OWNERS_MAX; i++) {
		const char *key = groups[i] + strlen("Stream ");
		BusOwnerRecord *rec;
		char *owner;

		if (!g_str_has_prefix(groups[i], "Stream ") || !stream_key_is_valid(key))
			continue;
		owner = g_key_file_get_string(kf, groups[i], "Owner", NULL);
		if (!unique_name_is_valid(owner)) {
			log_warning("%s: [%s] has no valid Owner=, ignored", path, groups[i]);
			g_free(owner);
			continue;
		}
		rec = g_new0(BusOwnerRecord, 1);
		rec->owner = owner;
		rec->persistent = g_key_file_get_boolean(kf, groups[i], "Persistent", NULL);
		g_hash_table_replace(b->restored, g_strdup(key), rec);
	}
	log_debug("Restored the owners of %u stream(s) from %s", g_hash_table_size(b->restored),
		  path);
	return 0;
}

void bus_owners_save(TbsBus *b)
{
	g_autofree char *path = owners_path(b), *instance = bus_instance(b), *data = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	GHashTableIter it;
	BusStream *bs;
	size_t len;
	int r;

	/* this write carries every change so far, the deferred one included */
	if (b->save_later)
		(void)sd_event_source_set_enabled(b->save_later, SD_EVENT_OFF);
	g_key_file_set_integer(kf, "BusOwners", "Version", OWNERS_VERSION);
	g_key_file_set_string(kf, "BusOwners", "Instance", strempty(instance));
	g_hash_table_iter_init(&it, b->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&bs)) {
		g_autofree char *group = NULL;

		if (!bs->owner)
			continue;
		group = g_strdup_printf("Stream %s", bs->s->key);
		g_key_file_set_string(kf, group, "Owner", bs->owner);
		g_key_file_set_boolean(kf, group, "Persistent", bs->persistent);
	}
	/* the RequestStreams about to make their items: who asked is on disk before the mkdirs */
	for (unsigned i = 0; b->batch && i < b->batch->len; i++) {
		const BusCreation *c = b->batch->pdata[i];
		g_autofree char *group = NULL;

		if (!c->key || g_hash_table_contains(b->streams, c->key))
			continue;
		group = g_strdup_printf("Stream %s", c->key);
		/* two requests for one name: the first is made, the second finds it there */
		if (g_key_file_has_group(kf, group))
			continue;
		g_key_file_set_string(kf, group, "Owner", sd_bus_message_get_sender(c->m));
		g_key_file_set_boolean(kf, group, "Persistent", c->persistent);
	}
	data = g_key_file_to_data(kf, &len, NULL);
	r = tbs_write_file_atomic(path, data, len, 0600);
	if (r < 0)
		log_error_errno(r, "Cannot write %s; a restart will forget who owns streams: %m",
				path);
}

static int on_save_later(sd_event_source *src, void *userdata)
{
	bus_owners_save(userdata);
	return 0;
}

void bus_owners_save_later(TbsBus *b)
{
	int r;

	if (b->save_later) {
		r = sd_event_source_set_enabled(b->save_later, SD_EVENT_ONESHOT);
	} else {
		r = sd_event_add_defer(b->event, &b->save_later, on_save_later, b);
		/* idle priority: after the rest of the burst that is already queued */
		if (r >= 0)
			r = sd_event_source_set_priority(b->save_later, SD_EVENT_PRIORITY_IDLE);
		if (r >= 0)
			(void)sd_event_source_set_description(b->save_later, "bus-owners-save");
	}
	if (r < 0) {
		log_warning_errno(r,
				  "Cannot defer writing the stream owners, writing them now: %m");
		bus_owners_save(b);
	}
}

void bus_owners_flush(TbsBus *b)
{
	int enabled = SD_EVENT_OFF;

	if (b->save_later && sd_event_source_get_enabled(b->save_later, &enabled) >= 0 &&
	    enabled != SD_EVENT_OFF)
		bus_owners_save(b);
}

/* Deferred: the manager is still announcing streams when they are restored. */
static int on_check_restored(sd_event_source *src, void *userdata)
{
	TbsBus *b = userdata;
	g_autoptr(GPtrArray) keys = g_steal_pointer(&b->restored_pending);

	b->restored_pending = g_ptr_array_new_with_free_func(g_free);
	for (unsigned i = 0; i < keys->len; i++) {
		BusStream *bs = g_hash_table_lookup(b->streams, keys->pdata[i]);
		int r;

		if (!bs || bs->persistent || bs->track)
			continue;
		/* asynchronous: an owner that left meanwhile is noticed by the watch */
		r = bus_stream_track_owner_name(bs, bs->owner);
		if (r >= 0)
			continue;
		log_stream(LOG_WARNING, r, bs->s->peer_id, bs->s->name,
			   "Cannot watch the owner %s of stream %s; removing the stream: %m",
			   bs->owner, bs->s->key);
		r = tbs_manager_remove_stream(b->m, bs->s, false, NULL, NULL);
		if (r < 0)
			log_stream(LOG_ERR, r, NULL, NULL, "Cannot remove stream %s: %m",
				   (const char *)keys->pdata[i]);
	}
	/* the removals, and the owners restored this time (the file already had them) */
	bus_owners_save_later(b);
	return 0;
}

void bus_owners_restore(BusStream *bs)
{
	TbsBus *b = bs->b;
	BusOwnerRecord *rec = b->restored ? g_hash_table_lookup(b->restored, bs->s->key) : NULL;
	int r;

	if (!rec)
		return;
	/*
	 * Only a stream made on request has a requester. A record left by a crash
	 * before a removal was written must not make a stream of the same name,
	 * made since by the policy or by hand, someone's temporary stream.
	 */
	if (bs->s->origin != TBS_ORIGIN_REQUEST) {
		log_debug("Not restoring the owner %s of %s: the stream was not made on request",
			  strna(rec->owner), bs->s->key);
		g_hash_table_remove(b->restored, bs->s->key);
		return;
	}
	bs->owner = g_steal_pointer(&rec->owner);
	bs->persistent = rec->persistent;
	g_hash_table_remove(b->restored, bs->s->key);
	if (bs->persistent)
		return;
	g_ptr_array_add(b->restored_pending, g_strdup(bs->s->key));
	if (!b->restored_check)
		r = sd_event_add_defer(b->event, &b->restored_check, on_check_restored, b);
	else
		r = sd_event_source_set_enabled(b->restored_check, SD_EVENT_ONESHOT);
	if (r < 0)
		log_stream(LOG_WARNING, r, bs->s->peer_id, bs->s->name,
			   "Cannot check the owner of %s: %m", bs->s->key);
}
