/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define STORE_FILE_MAX (16 * 1024)
#define LABEL_MAX 64

struct TbsStore {
	char *dir;
	char *peers_dir;
	GHashTable *records; /* uuid -> TbsPeerRecord* */
};

void tbs_enrollment_clear(TbsEnrollment *e)
{
	g_clear_pointer(&e->streams, g_strfreev);
	e->persistent = false;
	e->owner = e->group = e->mode = TBS_ENROLL_UNSET;
}

void tbs_enrollment_copy(TbsEnrollment *dst, const TbsEnrollment *src)
{
	char *const empty[] = {NULL};

	tbs_enrollment_clear(dst);
	dst->streams = g_strdupv((char **)(src->streams ? src->streams : empty));
	dst->persistent = src->persistent;
	dst->owner = src->owner;
	dst->group = src->group;
	dst->mode = src->mode;
}

int tbs_enrollment_validate(const TbsEnrollment *e, const char **what)
{
	unsigned n = 0;

	for (; e->streams && e->streams[n]; n++) {
		if (!tbs_stream_name_is_valid(e->streams[n]))
			goto bad_streams;
		for (unsigned k = 0; k < n; k++)
			if (strcmp(e->streams[k], e->streams[n]) == 0)
				goto bad_streams;
	}
	if (n > TBS_ENROLL_STREAMS_MAX)
		goto bad_streams;
	/* set-id bits on a device node are refused by the unit's RestrictSUIDSGID anyway */
	if (e->mode != TBS_ENROLL_UNSET && e->mode > 0777) {
		*what = "Mode";
		return -EINVAL;
	}
	/* -1 is chown's "leave as is": as an explicit id it would be a lie */
	if ((e->owner != TBS_ENROLL_UNSET && e->owner > 0x7fffffff) ||
	    (e->group != TBS_ENROLL_UNSET && e->group > 0x7fffffff)) {
		*what = e->owner != TBS_ENROLL_UNSET && e->owner > 0x7fffffff ? "Owner" : "Group";
		return -EINVAL;
	}
	return 0;
bad_streams:
	*what = "Streams";
	return -EINVAL;
}

void tbs_peer_record_free(TbsPeerRecord *r)
{
	if (!r)
		return;
	tbs_enrollment_clear(&r->enrollment);
	free(r->name);
	free(r->vendor);
	free(r->label);
	free(r);
}

char *tbs_peer_record_serialize(const TbsPeerRecord *r, size_t *len)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();

	g_key_file_set_integer(kf, "Peer", "Version", TBS_STORE_VERSION);
	g_key_file_set_string(kf, "Peer", "UUID", r->uuid);
	if (r->name)
		g_key_file_set_string(kf, "Peer", "Name", r->name);
	if (r->vendor)
		g_key_file_set_string(kf, "Peer", "Vendor", r->vendor);
	if (r->label)
		g_key_file_set_string(kf, "Peer", "Label", r->label);
	g_key_file_set_boolean(kf, "Peer", "Trusted", r->trusted);
	g_key_file_set_uint64(kf, "Peer", "FirstSeen", r->first_seen);
	g_key_file_set_uint64(kf, "Peer", "LastSeen", r->last_seen);
	if (r->enrolled) {
		const TbsEnrollment *e = &r->enrollment;
		char *const empty[] = {NULL};
		char *const *streams = e->streams ? e->streams : empty;

		g_key_file_set_string_list(kf, "Enrollment", "Streams",
					   (const char *const *)streams,
					   g_strv_length((char **)streams));
		g_key_file_set_boolean(kf, "Enrollment", "Persistent", e->persistent);
		if (e->owner != TBS_ENROLL_UNSET)
			g_key_file_set_uint64(kf, "Enrollment", "Owner", e->owner);
		if (e->group != TBS_ENROLL_UNSET)
			g_key_file_set_uint64(kf, "Enrollment", "Group", e->group);
		if (e->mode != TBS_ENROLL_UNSET)
			g_key_file_set_uint64(kf, "Enrollment", "Mode", e->mode);
	}
	return g_key_file_to_data(kf, len, NULL);
}

/*
 * Optional strings are re-sanitized: the file may have been edited by hand.
 * A key that is there but unreadable (not UTF-8) makes the file corrupt.
 */
static char *get_opt_string(GKeyFile *kf, const char *key, bool *bad)
{
	g_autofree char *v = NULL;

	if (!g_key_file_has_key(kf, "Peer", key, NULL))
		return NULL;
	v = g_key_file_get_string(kf, "Peer", key, NULL);
	if (!v) {
		*bad = true;
		return NULL;
	}
	return tbs_sanitize_string(v, strlen(v), LABEL_MAX);
}

static int get_opt_id(GKeyFile *kf, const char *key, uint32_t *ret)
{
	g_autoptr(GError) err = NULL;
	guint64 v;

	*ret = TBS_ENROLL_UNSET;
	if (!g_key_file_has_key(kf, "Enrollment", key, NULL))
		return 0;
	v = g_key_file_get_uint64(kf, "Enrollment", key, &err);
	if (err || v >= TBS_ENROLL_UNSET)
		return -EBADMSG;
	*ret = (uint32_t)v;
	return 0;
}

/* The file may have been edited by hand: an enrollment is checked like Enroll's input. */
static int parse_enrollment(GKeyFile *kf, TbsPeerRecord *r)
{
	TbsEnrollment *e = &r->enrollment;
	g_autoptr(GError) err = NULL;
	const char *what;

	tbs_enrollment_clear(e);
	if (!g_key_file_has_group(kf, "Enrollment"))
		return 0;
	e->streams = g_key_file_get_string_list(kf, "Enrollment", "Streams", NULL, NULL);
	if (!e->streams)
		e->streams = g_new0(char *, 1);
	if (g_key_file_has_key(kf, "Enrollment", "Persistent", NULL)) {
		e->persistent = g_key_file_get_boolean(kf, "Enrollment", "Persistent", &err);
		if (err)
			return -EBADMSG;
	}
	if (get_opt_id(kf, "Owner", &e->owner) < 0 || get_opt_id(kf, "Group", &e->group) < 0 ||
	    get_opt_id(kf, "Mode", &e->mode) < 0 || tbs_enrollment_validate(e, &what) < 0)
		return -EBADMSG;
	r->enrolled = true;
	return 0;
}

int tbs_peer_record_parse(const char *data, size_t len, TbsPeerRecord **ret)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(TbsPeerRecord) r = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *uuid = NULL;
	bool bad = false;
	gint64 version;

	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, NULL))
		return -EBADMSG;
	version = g_key_file_get_int64(kf, "Peer", "Version", &err);
	if (err || version < 1)
		return -EBADMSG;
	if (version > TBS_STORE_VERSION)
		return -EPROTONOSUPPORT;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	tbs_enrollment_clear(&r->enrollment);
	uuid = g_key_file_get_string(kf, "Peer", "UUID", NULL);
	if (!uuid || tbs_uuid_normalize(uuid, r->uuid) < 0)
		return -EBADMSG;
	r->name = get_opt_string(kf, "Name", &bad);
	r->vendor = get_opt_string(kf, "Vendor", &bad);
	r->label = get_opt_string(kf, "Label", &bad);
	if (bad)
		return -EBADMSG;
	if (g_key_file_has_key(kf, "Peer", "Trusted", NULL)) {
		r->trusted = g_key_file_get_boolean(kf, "Peer", "Trusted", &err);
		if (err)
			return -EBADMSG;
	}
	r->first_seen = g_key_file_get_uint64(kf, "Peer", "FirstSeen", NULL);
	r->last_seen = g_key_file_get_uint64(kf, "Peer", "LastSeen", NULL);
	if (parse_enrollment(kf, r) < 0)
		return -EBADMSG;
	*ret = g_steal_pointer(&r);
	return 0;
}

static void move_aside(const char *path, const char *why)
{
	g_autofree char *dst = g_strdup_printf("%s.corrupt", path);

	if (rename(path, dst) < 0)
		log_warning_errno(errno, "Corrupt state file %s (%s), and cannot move it aside: %m",
				  path, why);
	else
		log_warning("Corrupt state file %s (%s), moved to %s", path, why, dst);
}

static void load_one(TbsStore *s, const char *fname)
{
	g_autofree char *path = g_build_filename(s->peers_dir, fname, NULL);
	g_autofree char *stem = g_strndup(fname, strlen(fname) - strlen(".peer"));
	_cleanup_free_ char *data = NULL;
	TbsPeerRecord *rec = NULL;
	char norm[37];
	size_t len;
	int r;

	if (tbs_uuid_normalize(stem, norm) < 0 || strcmp(norm, stem) != 0) {
		log_debug("Ignoring %s: not named after a UUID", path);
		return;
	}
	r = tbs_read_file(path, STORE_FILE_MAX, &data, &len);
	if (r == -EFBIG) {
		move_aside(path, "too large");
		return;
	}
	if (r < 0) {
		log_warning_errno(r, "Cannot read %s: %m", path);
		return;
	}
	r = tbs_peer_record_parse(data, len, &rec);
	if (r == -EPROTONOSUPPORT) {
		log_warning("Ignoring %s: written by a newer tbstreamd", path);
		return;
	}
	if (r == -ENOMEM) {
		log_error("Out of memory loading %s", path);
		return;
	}
	if (r < 0 || strcmp(rec->uuid, norm) != 0) {
		tbs_peer_record_free(rec);
		move_aside(path, r < 0 ? "does not parse" : "UUID does not match file name");
		return;
	}
	g_hash_table_replace(s->records, rec->uuid, rec);
}

int tbs_store_open(const char *dir, TbsStore **ret)
{
	g_autoptr(TbsStore) s = g_new0(TbsStore, 1);
	struct dirent *de;
	DIR *dh;

	s->dir = g_strdup(dir);
	s->peers_dir = g_build_filename(dir, "peers", NULL);
	s->records = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					   (GDestroyNotify)tbs_peer_record_free);

	/* labels and trust are nobody else's business, whatever the unit's UMask= */
	if (g_mkdir_with_parents(s->peers_dir, 0700) < 0)
		return log_error_errno(errno, "Cannot create state directory %s: %m", s->peers_dir);
	if (chmod(s->peers_dir, 0700) < 0)
		log_warning_errno(errno, "Cannot restrict %s to its owner: %m", s->peers_dir);

	dh = opendir(s->peers_dir);
	if (!dh)
		return log_error_errno(errno, "Cannot open %s: %m", s->peers_dir);
	while ((de = readdir(dh))) {
		if (!g_str_has_suffix(de->d_name, ".peer"))
			continue;
		if (g_hash_table_size(s->records) >= TBS_STORE_PEERS_MAX) {
			log_warning("More than %d known peers in %s, ignoring the rest",
				    TBS_STORE_PEERS_MAX, s->peers_dir);
			break;
		}
		load_one(s, de->d_name);
	}
	closedir(dh);
	*ret = g_steal_pointer(&s);
	return 0;
}

void tbs_store_free(TbsStore *s)
{
	if (!s)
		return;
	if (s->records)
		g_hash_table_unref(s->records);
	g_free(s->dir);
	g_free(s->peers_dir);
	g_free(s);
}

const char *tbs_store_dir(TbsStore *s)
{
	return s->dir;
}

GHashTable *tbs_store_records(TbsStore *s)
{
	return s->records;
}

TbsPeerRecord *tbs_store_lookup(TbsStore *s, const char *uuid)
{
	return uuid ? g_hash_table_lookup(s->records, uuid) : NULL;
}

TbsPeerRecord *tbs_store_lookup_by_name(TbsStore *s, const char *name)
{
	GHashTableIter it;
	TbsPeerRecord *r, *best = NULL;

	if (!name || !*name)
		return NULL;
	g_hash_table_iter_init(&it, s->records);
	/* several records may carry the name: the most recently seen one is the live one */
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&r))
		if (r->name && strcmp(r->name, name) == 0 &&
		    (!best || r->last_seen > best->last_seen))
			best = r;
	return best;
}

TbsPeerRecord *tbs_store_ensure(TbsStore *s, const char *uuid)
{
	TbsPeerRecord *r = g_hash_table_lookup(s->records, uuid);

	if (r)
		return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	tbs_enrollment_clear(&r->enrollment);
	g_strlcpy(r->uuid, uuid, sizeof(r->uuid));
	g_hash_table_insert(s->records, r->uuid, r);
	return r;
}

static char *record_path(TbsStore *s, const char *uuid)
{
	return g_strdup_printf("%s/%s.peer", s->peers_dir, uuid);
}

int tbs_store_save(TbsStore *s, const TbsPeerRecord *rec)
{
	g_autofree char *path = record_path(s, rec->uuid);
	g_autofree char *data = NULL;
	size_t len;
	int r;

	data = tbs_peer_record_serialize(rec, &len);
	r = tbs_write_file_atomic(path, data, len, 0600);
	if (r < 0)
		return log_peer(LOG_ERR, r, rec->uuid, "Cannot write %s: %m", path);
	return 0;
}

int tbs_store_rename(TbsStore *s, TbsPeerRecord *rec, const char *new_uuid)
{
	g_autofree char *old = record_path(s, rec->uuid);

	char old_uuid[sizeof(rec->uuid)];
	int r;

	if (g_hash_table_contains(s->records, new_uuid))
		return -EEXIST;
	g_strlcpy(old_uuid, rec->uuid, sizeof(old_uuid));
	g_hash_table_steal(s->records, rec->uuid);
	g_strlcpy(rec->uuid, new_uuid, sizeof(rec->uuid));
	g_hash_table_insert(s->records, rec->uuid, rec);
	/* the new file first: a crash in between leaves two records, never none */
	r = tbs_store_save(s, rec);
	if (r < 0) {
		g_hash_table_steal(s->records, rec->uuid);
		g_strlcpy(rec->uuid, old_uuid, sizeof(rec->uuid));
		g_hash_table_insert(s->records, rec->uuid, rec);
		return r;
	}
	if (unlink(old) < 0 && errno != ENOENT)
		log_warning_errno(errno, "Cannot remove %s: %m", old);
	return 0;
}

int tbs_store_forget(TbsStore *s, const char *uuid)
{
	g_autofree char *path = record_path(s, uuid);

	g_hash_table_remove(s->records, uuid);
	if (unlink(path) < 0 && errno != ENOENT)
		return log_peer(LOG_ERR, errno, uuid, "Cannot remove %s: %m", path);
	return 0;
}

int tbs_path_identity(const char *path, char buf[TBS_IDENTITY_MAX])
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	snprintf(buf, TBS_IDENTITY_MAX, "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	return 0;
}

/* "<decimal>:<decimal>", nothing else: the file is ours but may have been edited */
static bool identity_is_valid(const char *v)
{
	const char *colon = strchr(v, ':');
	size_t n = strlen(v);

	if (!colon || colon == v || !colon[1] || n >= TBS_IDENTITY_MAX)
		return false;
	for (const char *c = v; *c; c++)
		if (c != colon && (*c < '0' || *c > '9'))
			return false;
	return true;
}

int tbs_store_load_owned(TbsStore *s, const char *boot_id, GHashTable *owned, GHashTable *requested)
{
	return tbs_store_load_owned_full(s, boot_id, owned, requested, NULL, NULL);
}

int tbs_store_load_owned_full(TbsStore *s, const char *boot_id, GHashTable *owned,
			      GHashTable *requested, GHashTable *ids, char module[TBS_IDENTITY_MAX])
{
	g_autofree char *path = g_build_filename(s->dir, "configfs.state", NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *file_boot = NULL;
	g_auto(GStrv) items = NULL;
	_cleanup_free_ char *data = NULL;
	size_t len;
	gint64 version;
	int r;

	if (module)
		module[0] = '\0';
	r = tbs_read_file(path, 256 * 1024, &data, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0 && r != -EFBIG)
		return log_warning_errno(r, "Cannot read %s: %m", path);
	if (r == -EFBIG || !g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, NULL)) {
		move_aside(path, r == -EFBIG ? "too large" : "does not parse");
		return 0;
	}
	version = g_key_file_get_int64(kf, "Configfs", "Version", NULL);
	if (version > TBS_STORE_VERSION) {
		log_warning("Ignoring %s: written by a newer tbstreamd", path);
		return 0;
	}
	if (version < 1) {
		move_aside(path, "no Version=");
		return 0;
	}
	/* ConfigFS does not survive a reboot: what we made last boot is gone or someone else's */
	file_boot = g_key_file_get_string(kf, "Configfs", "BootID", NULL);
	if (!file_boot || !boot_id || strcmp(file_boot, boot_id) != 0) {
		log_debug("%s is from another boot, forgetting it", path);
		return 0;
	}
	items = g_key_file_get_string_list(kf, "Configfs", "Owned", NULL, NULL);
	for (unsigned i = 0; items && items[i]; i++) {
		char *slash = strchr(items[i], '/');
		char *second = slash ? strchr(slash + 1, '/') : NULL;

		if (!slash) {
			if (tbs_group_name_parse(items[i], NULL, NULL, NULL) == 0)
				g_hash_table_replace(owned, g_strdup(items[i]), g_strdup(""));
			continue;
		}
		if (second)
			*second++ = '\0';
		*slash = '\0';
		if (tbs_group_name_parse(items[i], NULL, NULL, NULL) < 0 ||
		    !tbs_stream_name_is_valid(slash + 1))
			continue;
		*slash = '/';
		g_hash_table_replace(owned, g_strdup(items[i]), g_strdup(second ? second : ""));
	}
	g_strfreev(items);
	items = g_key_file_get_string_list(kf, "Configfs", "Requested", NULL, NULL);
	for (unsigned i = 0; requested && items && items[i]; i++)
		if (g_hash_table_contains(owned, items[i]) && strchr(items[i], '/'))
			g_hash_table_add(requested, g_strdup(items[i]));
	g_strfreev(items);
	items = g_key_file_get_string_list(kf, "Configfs", "Identity", NULL, NULL);
	for (unsigned i = 0; ids && items && items[i]; i++) {
		char *eq = strchr(items[i], '=');

		if (!eq)
			continue;
		*eq = '\0';
		if (g_hash_table_contains(owned, items[i]) && identity_is_valid(eq + 1))
			g_hash_table_replace(ids, g_strdup(items[i]), g_strdup(eq + 1));
	}
	if (module) {
		g_autofree char *mod = g_key_file_get_string(kf, "Configfs", "Module", NULL);
		if (mod && identity_is_valid(mod))
			g_strlcpy(module, mod, TBS_IDENTITY_MAX);
	}
	return 0;
}

int tbs_store_save_owned(TbsStore *s, const char *boot_id, GHashTable *owned, GHashTable *requested)
{
	return tbs_store_save_owned_full(s, boot_id, owned, requested, NULL, NULL);
}

int tbs_store_save_owned_full(TbsStore *s, const char *boot_id, GHashTable *owned,
			      GHashTable *requested, GHashTable *ids, const char *module)
{
	g_autofree char *path = g_build_filename(s->dir, "configfs.state", NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *data = NULL;
	GHashTableIter it;
	const char *k, *v;
	size_t len;
	int r;

	g_hash_table_iter_init(&it, owned);
	while (g_hash_table_iter_next(&it, (gpointer *)&k, (gpointer *)&v))
		g_ptr_array_add(list, *v ? g_strdup_printf("%s/%s", k, v) : g_strdup(k));
	g_key_file_set_integer(kf, "Configfs", "Version", TBS_STORE_VERSION);
	g_key_file_set_string(kf, "Configfs", "BootID", boot_id ? boot_id : "");
	g_key_file_set_string_list(kf, "Configfs", "Owned", (const char *const *)list->pdata,
				   list->len);
	if (module && *module)
		g_key_file_set_string(kf, "Configfs", "Module", module);
	if (ids) {
		g_autoptr(GPtrArray) idl = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_iter_init(&it, ids);
		while (g_hash_table_iter_next(&it, (gpointer *)&k, (gpointer *)&v))
			if (g_hash_table_contains(owned, k))
				g_ptr_array_add(idl, g_strdup_printf("%s=%s", k, v));
		if (idl->len)
			g_key_file_set_string_list(kf, "Configfs", "Identity",
						   (const char *const *)idl->pdata, idl->len);
	}
	if (requested && g_hash_table_size(requested)) {
		g_autofree const char **keys =
			(const char **)g_hash_table_get_keys_as_array(requested, NULL);
		g_key_file_set_string_list(kf, "Configfs", "Requested", keys,
					   g_hash_table_size(requested));
	}
	data = g_key_file_to_data(kf, &len, NULL);
	r = tbs_write_file_atomic(path, data, len, 0600);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", path);
	return 0;
}
