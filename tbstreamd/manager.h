/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

#include <systemd/sd-event.h>

#include "model.h"

/*
 * The daemon core: udev events -> peer model -> policy decision -> ConfigFS.
 * Everything runs on the caller's sd-event loop and never blocks on it.
 */

typedef struct TbsManagerConfig {
	const char *configfs_root;    /* default /sys/kernel/config */
	const char *dev_root;	      /* default /dev */
	const char *state_dir;	      /* default $STATE_DIRECTORY, else /var/lib/tbstreamd */
	const char *config_dir;	      /* default /etc/tbstreamd */
	const char *vendor_dir;	      /* default where vendor/ is installed (/usr/lib/tbstreamd) */
	char **subsystems;	      /* non-NULL: overrides the policy's Subsystems= */
	uint64_t configfs_retry_usec; /* re-probe period while ConfigFS is missing (default 5 s) */
	uint64_t attr_timeout_usec;   /* give up on an item the kernel never populates (5 s) */
	const char *boot_id;	      /* NULL: /proc/sys/kernel/random/boot_id */
	unsigned store_peers_max;     /* records kept before untrusted ones expire (4096) */
	/*
	 * udev subsystem of the device nodes: a stream is ready once udev has handled
	 * its node's event. NULL: "tbstream" when dev_root is /dev and udev runs
	 * (/run/udev/control), else ready as soon as the node exists.
	 */
	const char *node_subsystem;
	uint64_t udev_timeout_usec; /* then go on without udev's event (10 s) */
} TbsManagerConfig;

int tbs_manager_new(sd_event *event, const TbsManagerConfig *config, TbsManager **ret);
/* The policy's search path as the daemon would use it with this config (new strings). */
void tbs_manager_policy_dirs(const TbsManagerConfig *config, char **config_dir, char **vendor_dir);
TbsManager *tbs_manager_free(TbsManager *m);

/* Load policy and store, adopt ConfigFS, enumerate and monitor udev. */
int tbs_manager_start(TbsManager *m);
/*
 * Re-read the policy (SIGHUP, D-Bus Reload): on any error the last good policy
 * stays (the built-in deny-all one if none loaded yet). Re-probes ConfigFS.
 * Asynchronous: the files are read and Owner=/Group= names resolved on a
 * worker thread (NSS may be slow), the policy is applied to one peer per loop
 * iteration, then done(m, r, userdata) is called from the loop with 0 or the
 * load's error. A reload asked for while one runs follows it. Returns a
 * negative errno (done is then not called) if none can be started.
 */
typedef void (*TbsReloadDone)(TbsManager *m, int r, void *userdata);
int tbs_manager_reload(TbsManager *m, TbsReloadDone done, void *userdata);
/* Forget a done callback (its owner goes away); the reload itself goes on. */
void tbs_manager_reload_cancel(TbsManager *m, TbsReloadDone done, void *userdata);
bool tbs_manager_reloading(TbsManager *m);

int tbs_manager_add_observer(TbsManager *m, const TbsObserver *obs, void *userdata);
void tbs_manager_remove_observer(TbsManager *m, const TbsObserver *obs, void *userdata);

/*
 * Whether the core has anything to do: a peer connected, a reload running, a
 * stream still being set up or being removed. Kept (detached) and ready
 * streams of unplugged peers need nothing.
 */
bool tbs_manager_is_busy(TbsManager *m);

/* One line for sd_notify STATUS= and humans. */
const char *tbs_manager_status(TbsManager *m);
/* The same as a stable code: starting, ok, no-configfs, no-stream-module, policy-errors. */
const char *tbs_manager_status_code(TbsManager *m);
TbsConfigfsState tbs_manager_configfs_state(TbsManager *m);
const TbsPolicy *tbs_manager_policy(TbsManager *m);
/* Errors of the last policy load ("file:line: message"), empty if it was good. */
const GPtrArray *tbs_manager_policy_errors(TbsManager *m);
/* Whether a policy ever loaded without errors (else every peer is denied). */
bool tbs_manager_policy_loaded(TbsManager *m);
/* The same errors as TbsPolicyError* (code, file, line, message). */
const GPtrArray *tbs_manager_policy_error_details(TbsManager *m);
TbsStore *tbs_manager_store(TbsManager *m);
/* $STATE_DIRECTORY, known before start (the store opens at start) */
const char *tbs_manager_state_dir(TbsManager *m);
/* this boot's ID ("" if unknown): state from another boot is stale */
const char *tbs_manager_boot_id(TbsManager *m);

/* Queries; tables are owned by the manager: id -> TbsPeer*, "group/name" -> TbsStream*. */
GHashTable *tbs_manager_peers(TbsManager *m);
GHashTable *tbs_manager_streams(TbsManager *m);
TbsPeer *tbs_manager_find_peer(TbsManager *m, const char *id);
/* The domains, sorted by name; caller frees the array (not the controllers). */
GPtrArray *tbs_manager_controllers(TbsManager *m);
TbsStream *tbs_manager_find_stream(TbsManager *m, const char *group, const char *name);
/* Streams in a peer's current group; caller frees the array (not the streams). */
GPtrArray *tbs_manager_peer_streams(TbsManager *m, TbsPeer *p);

/*
 * Actions for the future D-Bus layer (polkit checks are the caller's business).
 * request_stream makes a stream for a connected peer outside the policy's list
 * (origin TBS_ORIGIN_REQUEST); exclusive: -EEXIST if the ConfigFS item was
 * already there (it is adopted, not made); remove_stream refuses streams we did
 * not create unless force.
 */
int tbs_manager_request_stream(TbsManager *m, TbsPeer *p, const TbsStreamTemplate *t,
			       bool exclusive, TbsStream **ret);
/*
 * Creations in a batch (RequestStream calls answered in one loop iteration):
 * intend_stream records that p's stream t is about to be made on request,
 * intend_commit writes every intent recorded so far in one write, before the
 * mkdirs; request_stream then finds its intent on disk and writes nothing
 * itself, and intend_end drops what was intended but not made.
 */
void tbs_manager_intend_stream(TbsManager *m, TbsPeer *p, const TbsStreamTemplate *t);
int tbs_manager_intend_commit(TbsManager *m);
void tbs_manager_intend_end(TbsManager *m);

/*
 * Removal is asynchronous (an rmdir may wait in the kernel): 0 means it is
 * under way, and done (may be NULL) then runs on the loop with its result
 * once the stream is gone or the rmdir failed. A stream already being removed
 * gets one more waiter. A negative errno: nothing was started, done never runs.
 */
typedef void (*TbsStreamRemoved)(int r, void *userdata);
int tbs_manager_remove_stream(TbsManager *m, TbsStream *s, bool force, TbsStreamRemoved done,
			      void *userdata);
/*
 * Wait for the removals under way and report them (for a stopping daemon:
 * their callers get replies and records are written while it still can).
 */
void tbs_manager_finish_removals(TbsManager *m);
/* Is any stream removal under way? */
bool tbs_manager_removing(TbsManager *m);
/* Is an rmdir of it still under way? */
bool tbs_stream_is_removing(const TbsStream *s);
int tbs_manager_set_peer_label(TbsManager *m, TbsPeer *p, const char *label);
int tbs_manager_set_peer_trusted(TbsManager *m, TbsPeer *p, bool trusted);

/*
 * Enrollment (D-Bus Peer.Enroll/Revoke/Forget). The record is written before
 * these return; on a write error nothing changed. -EOPNOTSUPP without a UUID.
 * enroll copies e (validated by the caller). forget may free p: it returns 1
 * then (the peer was not connected and its object went away).
 */
int tbs_manager_enroll_peer(TbsManager *m, TbsPeer *p, const TbsEnrollment *e);
int tbs_manager_revoke_peer(TbsManager *m, TbsPeer *p);
int tbs_manager_forget_peer(TbsManager *m, TbsPeer *p);
