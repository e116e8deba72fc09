/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

/*
 * What the daemon remembers across restarts, under $STATE_DIRECTORY:
 *   peers/<uuid>.peer   one small key file per known peer
 *   configfs.state      the ConfigFS groups and streams this daemon created
 * Every file carries Version=; writes are atomic (rename); a file that does not
 * parse is renamed to *.corrupt and logged, never fatal. Files of a newer
 * version are left alone and ignored.
 */

#define TBS_STORE_VERSION 1
#define TBS_STORE_PEERS_MAX 4096

/*
 * A user's enrollment of a peer (D-Bus Peer.Enroll): the streams to make on
 * every plug and their device node settings. Kept in the record's [Enrollment]
 * group; a record without it is not enrolled (older daemons ignore the group).
 */
#define TBS_ENROLL_STREAMS_MAX 16
#define TBS_ENROLL_UNSET UINT32_MAX

typedef struct TbsEnrollment {
	char **streams;		     /* NULL-terminated, valid stream names, no duplicates */
	bool persistent;	     /* keep the streams on unplug */
	uint32_t owner, group, mode; /* TBS_ENROLL_UNSET: leave as created */
} TbsEnrollment;

void tbs_enrollment_clear(TbsEnrollment *e);
void tbs_enrollment_copy(TbsEnrollment *dst, const TbsEnrollment *src);
/* -EINVAL with *what set to the offending key ("Streams", "Mode") */
int tbs_enrollment_validate(const TbsEnrollment *e, const char **what);

typedef struct TbsPeerRecord {
	char uuid[37];
	char *name;   /* last seen device_name (sanitized) */
	char *vendor; /* last seen vendor_name (sanitized) */
	char *label;  /* user's label, may be NULL */
	bool trusted;
	bool enrolled;
	TbsEnrollment enrollment; /* when enrolled */
	uint64_t first_seen;	  /* CLOCK_REALTIME, usec */
	uint64_t last_seen;
} TbsPeerRecord;

typedef struct TbsStore TbsStore;

int tbs_store_open(const char *dir, TbsStore **ret);
void tbs_store_free(TbsStore *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbsStore, tbs_store_free)

const char *tbs_store_dir(TbsStore *s);
TbsPeerRecord *tbs_store_lookup(TbsStore *s, const char *uuid);
TbsPeerRecord *tbs_store_lookup_by_name(TbsStore *s, const char *name);
/* Returns the record for uuid, creating an in-memory one (not yet saved) if needed. */
TbsPeerRecord *tbs_store_ensure(TbsStore *s, const char *uuid);
int tbs_store_save(TbsStore *s, const TbsPeerRecord *rec);
/* Re-key a record (a controller that changes its UUID every boot, see IdentifyByName=). */
int tbs_store_rename(TbsStore *s, TbsPeerRecord *rec, const char *new_uuid);
int tbs_store_forget(TbsStore *s, const char *uuid);
/* All records, uuid -> TbsPeerRecord*, owned by the store. */
GHashTable *tbs_store_records(TbsStore *s);

/*
 * owned: "group" -> "" and "group/name" -> peer uuid ("" if none).
 * requested: the "group/name" keys among them made on request (D-Bus), not by
 * policy, so that a restart does not mistake them for policy streams the
 * policy no longer lists; may be NULL.
 */
int tbs_store_load_owned(TbsStore *s, const char *boot_id, GHashTable *owned,
			 GHashTable *requested);
int tbs_store_save_owned(TbsStore *s, const char *boot_id, GHashTable *owned,
			 GHashTable *requested);

/*
 * Names are not enough to know an item is ours: after the stream module is
 * reloaded, or an item removed and made again by someone else while we were
 * down, the same name is a different kernel object. ConfigFS gives every
 * directory a new inode when it is made, so "<st_dev>:<st_ino>" identifies
 * one. ids: key of owned -> identity (keys without one: an intent whose mkdir
 * outcome was never recorded); module: the identity of thunderbolt/stream,
 * which the module makes when it loads ("" if unknown). Both may be NULL.
 */
#define TBS_IDENTITY_MAX 48
int tbs_store_load_owned_full(TbsStore *s, const char *boot_id, GHashTable *owned,
			      GHashTable *requested, GHashTable *ids,
			      char module[TBS_IDENTITY_MAX]);
int tbs_store_save_owned_full(TbsStore *s, const char *boot_id, GHashTable *owned,
			      GHashTable *requested, GHashTable *ids, const char *module);
/* "<st_dev>:<st_ino>" of path (not following a symbolic link), or a negative errno. */
int tbs_path_identity(const char *path, char buf[TBS_IDENTITY_MAX]);

void tbs_peer_record_free(TbsPeerRecord *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbsPeerRecord, tbs_peer_record_free)
char *tbs_peer_record_serialize(const TbsPeerRecord *r, size_t *len);
/* -EBADMSG: corrupt; -EPROTONOSUPPORT: written by a newer tbstreamd. */
int tbs_peer_record_parse(const char *data, size_t len, TbsPeerRecord **ret);
