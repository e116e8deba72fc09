/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "configfs.h"
#include "policy.h"
#include "store.h"

/*
 * The model: peers and streams as the daemon knows them. The manager owns every
 * object; others (the D-Bus layer) read them and learn about changes through a
 * TbsObserver. Pointers stay valid until the observer sees TBS_REMOVED for them.
 */

typedef struct TbsManager TbsManager;

typedef enum TbsChange {
	TBS_ADDED,
	TBS_CHANGED,
	TBS_REMOVED,
} TbsChange;

typedef struct TbsPeer {
	char *id;      /* UUID, or "sysname:<sysname>" for a peer without a usable UUID */
	char uuid[37]; /* "" if the peer has none */
	char *syspath; /* XDomain device while connected, else NULL */
	char *sysname;
	char *name;	   /* device_name (peer's hostname), sanitized */
	char *vendor_name; /* sanitized */
	unsigned vendor, device, maxhopid;
	unsigned rx_speed, tx_speed, rx_lanes, tx_lanes; /* Gb/s per lane, lanes; 0: unknown */
	bool connected;
	char *service_syspath; /* its "stream" service while present */
	char *group;	       /* = the service's name, its ConfigFS group */
	bool allowed;	       /* last policy decision */
	char *rule;	       /* the rule that decided, NULL if none matched */
	char *override;	       /* enrolled, but this rule denies it; NULL if none */
	bool decided;	       /* a decision was logged since it connected */
	TbsPeerRecord *record; /* store record (first/last seen, label, trust); NULL without UUID */
} TbsPeer;

typedef enum TbsStreamState {
	TBS_STREAM_CONFIGURING,	   /* made, waiting for the kernel to populate the item */
	TBS_STREAM_WAITING_DEVICE, /* configured, /dev/tbstreamN not there yet */
	TBS_STREAM_READY,	   /* configured, device node present with its permissions */
	TBS_STREAM_DETACHED,	   /* its peer is unplugged; kept for re-plug */
	TBS_STREAM_FAILED,	   /* see error */
} TbsStreamState;

typedef enum TbsStreamOrigin {
	TBS_ORIGIN_POLICY,  /* made by this daemon (now or by a previous instance this boot) */
	TBS_ORIGIN_REQUEST, /* made on explicit request (the future D-Bus RequestStream) */
	TBS_ORIGIN_ADOPTED, /* found in ConfigFS, not made by us: never removed unless forced */
} TbsStreamOrigin;

typedef struct TbsStream {
	TbsManager *manager;
	char *key;   /* "<group>/<name>" */
	char *group; /* "<domain>-<route>.<svc>" */
	char name[TBS_STREAM_NAME_MAX + 1];
	char *dir;     /* ConfigFS item directory */
	char *peer_id; /* peer it was made for, NULL if unknown */
	TbsStreamOrigin origin;
	bool owned;	 /* we created the item: we may remove it */
	bool enrollment; /* a policy-origin stream made because its peer's enrollment lists it */
	bool made;	 /* the call that announced it made the item (it was not found) */
	TbsStreamState state;
	int error; /* negative errno when FAILED */
	int index; /* -1 until known */
	char *devnode;
	TbsItemInfo info; /* last read back from ConfigFS */
	bool has_template;
	TbsStreamTemplate tmpl;
	sd_event_source *attr_watch;
	sd_event_source *attr_timeout;
	bool udev_seen;		       /* udev has handled the node's event (rules, links) */
	sd_event_source *udev_timeout; /* waiting for that event */
	uint64_t created_usec;	       /* CLOCK_MONOTONIC */
	uint64_t ready_usec;
	/* its rmdir is queued (streams.c): it stays in the model until that returns */
	struct MgrRemoval *removal;
} TbsStream;

/* A USB4/Thunderbolt domain (host controller) udev reported. */
typedef struct TbsController {
	char *syspath;
	char *name;	   /* "domain0" */
	char *subsystem;   /* "thunderbolt", "tbstream_sim" */
	char security[16]; /* "" where the kernel does not say */
	bool iommu;
} TbsController;

void tbs_controller_free(TbsController *c);

typedef struct TbsObserver {
	void (*peer)(TbsManager *m, TbsPeer *p, TbsChange change, void *userdata);
	void (*stream)(TbsManager *m, TbsStream *s, TbsChange change, void *userdata);
	void (*status)(TbsManager *m, const char *status, void *userdata);
	/* a domain appeared, changed or went away */
	void (*controllers)(TbsManager *m, void *userdata);
	/* the last stream removal under way has ended (removed or failed) */
	void (*removals_done)(TbsManager *m, void *userdata);
} TbsObserver;

const char *tbs_stream_state_to_string(TbsStreamState s);
const char *tbs_stream_origin_to_string(TbsStreamOrigin o);
const char *tbs_peer_display_name(const TbsPeer *p);

TbsPeer *tbs_peer_new(const char *id);
void tbs_peer_free(TbsPeer *p);
TbsStream *tbs_stream_new(TbsManager *m, const char *stream_dir, const char *group,
			  const char *name);
void tbs_stream_free(TbsStream *s);
