/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Shared between manager.c (lifecycle, status, ConfigFS availability), peers.c
 * (udev events, policy decisions) and streams.c (ConfigFS items, device nodes).
 * Not for the D-Bus layer: it uses manager.h.
 */

#include "configfs-remover.h"
#include "manager.h"
#include "udev.h"

#define DEFAULT_RETRY_USEC (5 * 1000000ULL)
#define DEFAULT_ATTR_TIMEOUT_USEC (5 * 1000000ULL)
#define DEFAULT_UDEV_TIMEOUT_USEC (10 * 1000000ULL)
#define PEERS_CONNECTED_MAX 256
#define STREAMS_MAX 4096

typedef struct MgrReload MgrReload;
typedef struct MgrRemoval MgrRemoval;

typedef struct Observer {
	const TbsObserver *obs;
	void *userdata;
} Observer;

struct TbsManager {
	sd_event *event;
	char *configfs_root, *stream_dir, *dev_root, *state_dir, *config_dir, *vendor_dir;
	char **subsystems_override;
	uint64_t retry_usec, attr_timeout_usec, udev_timeout_usec;
	char *node_subsystem; /* NULL: streams do not wait for udev's event for their node */
	unsigned store_peers_max;
	char boot_id[64];
	bool real_configfs; /* the root is the system's: insist on a ConfigFS mount */

	TbsPolicy *policy;
	bool policy_loaded; /* false: the built-in deny-all policy, nothing loaded yet */
	GPtrArray *policy_errors;
	GPtrArray *policy_error_details; /* TbsPolicyError*, the same errors with codes */
	TbsStore *store;
	TbsUdev *udev;

	GHashTable *peers;	 /* id -> TbsPeer* (owning) */
	GHashTable *controllers; /* syspath -> TbsController* (owning) */
	GHashTable *streams;	 /* key -> TbsStream* (owning) */
	GHashTable *owned;	 /* "group" -> "", "group/name" -> peer id: what we created */
	GHashTable *requested;	 /* keys of owned streams made on request, not by policy */
	GHashTable *owned_ids;	 /* key of owned -> identity of the directory we made */
	/* identity of thunderbolt/stream now ("" while not ready), and as configfs.state had it */
	char module_id[TBS_IDENTITY_MAX];
	char saved_module_id[TBS_IDENTITY_MAX];
	bool enumerated; /* udev's first enumeration is done: who is not here has left */

	TbsRemover *remover; /* stream rmdirs, off the loop */
	bool stopping;	     /* removals that end now start nothing new */

	TbsConfigfsState cfs_state;
	sd_event_source *cfs_retry;
	sd_event_source *dev_watch;
	unsigned n_waiting_device;

	/* write-behind: state files are written after the event that changed them */
	sd_event_source *save_source;
	sd_event_source *save_retry; /* a state write failed: try again later */
	bool owned_dirty;
	GHashTable *dirty_records; /* peer UUIDs whose record needs writing */
	GPtrArray *intended;	   /* keys whose intent was recorded ahead of their mkdir */
	bool intended_unsaved;	   /* ... and some of them are not on disk yet */

	MgrReload *reload; /* manager-reload.c */

	GArray *observers; /* Observer */
	char *status;
};

/* manager.c */
void mgr_notify_peer(TbsManager *m, TbsPeer *p, TbsChange c);
void mgr_notify_stream(TbsManager *m, TbsStream *s, TbsChange c);
void mgr_notify_removals_done(TbsManager *m);
void mgr_update_status(TbsManager *m);
void mgr_probe_configfs(TbsManager *m);
void mgr_owned_save(TbsManager *m);
/* Written before returning: an intent to record before acting on ConfigFS. */
int mgr_owned_save_now(TbsManager *m);
void mgr_record_save(TbsManager *m, const TbsPeerRecord *rec);
void mgr_flush(TbsManager *m);
/*
 * A loaded policy (r from tbs_policy_load_full(), p NULL on error) becomes the
 * manager's, or its errors are kept and logged; returns r.
 */
int mgr_policy_apply(TbsManager *m, int r, TbsPolicy *p, GPtrArray *errors, GPtrArray *details);

/* manager-reload.c */
int mgr_reload_new(TbsManager *m);
void mgr_reload_free(TbsManager *m);

/* streams.c */
TbsStream *mgr_stream_add(TbsManager *m, const char *group, const char *name);
TbsStream *mgr_stream_create(TbsManager *m, TbsPeer *p, const TbsStreamTemplate *t,
			     TbsStreamOrigin origin, int *ret_error);
/*
 * Record, in one write, the intent for every policy stream in templates that
 * p does not have yet, before the mkdirs of the mgr_stream_create() calls that
 * follow; mgr_streams_intend_end() drops what they did not make.
 */
void mgr_streams_intend(TbsManager *m, TbsPeer *p, const GPtrArray *templates);
void mgr_streams_intend_end(TbsManager *m);
/* As tbs_manager_remove_stream; why is for the log. */
int mgr_stream_remove(TbsManager *m, TbsStream *s, bool force, const char *why,
		      TbsStreamRemoved done, void *userdata);
/* Remove a group we made once it has no streams (it stays if it is not ours). */
void mgr_group_remove_if_unused(TbsManager *m, const char *group);
/* A decision wanted this stream, which is being removed: decide again once it is gone. */
void mgr_stream_removal_wanted(TbsStream *s);
void mgr_stream_drop(TbsManager *m, TbsStream *s);
/* Records the identity of an item or group we just made (the key must be owned). */
void mgr_owned_identify(TbsManager *m, const char *key);
void mgr_stream_refresh(TbsStream *s);
void mgr_stream_set_state(TbsStream *s, TbsStreamState state);
void mgr_attr_wait_stop(TbsStream *s);
/* udev has handled the event of the node called sysname ("tbstreamN"). */
void mgr_node_processed(void *userdata, const char *sysname);

/* controllers.c (udev handlers) */
void mgr_domain_added(void *userdata, const TbsDomainInfo *d);
void mgr_domain_removed(void *userdata, const char *syspath);

/* peers.c */
extern const TbsUdevHandler mgr_udev_handler;
void mgr_evaluate_peer(TbsManager *m, TbsPeer *p);
/* The connected peer whose stream service is group, or NULL. */
TbsPeer *mgr_group_peer(TbsManager *m, const char *group);
bool mgr_peer_enrolled(const TbsPeer *p);
/* At start: stored peers are known before they plug in (a panel lists and revokes them). */
void mgr_add_known_peers(TbsManager *m);
GPtrArray *mgr_streams_in_group(TbsManager *m, const char *group);
/* After udev's first enumeration: streams whose peer left while we were not looking. */
void mgr_reconcile_unplugged(TbsManager *m);
