/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Shared by bus.c, bus-manager.c, bus-peer.c and bus-stream.c; not for other layers. */

#include <glib.h>

#include "bus-errors.h"
#include "bus-watch.h"
#include "bus.h"
#include "polkit.h"

/* One version for bus name, object paths and interfaces; see "Versioning" in the docs. */
#define TBS_BUS_NAME "io.github.tbstream1"
#define TBS_BUS_PATH "/io/github/tbstream1"
#define TBS_BUS_IFACE_MANAGER TBS_BUS_NAME ".Manager"
#define TBS_BUS_IFACE_PEER TBS_BUS_NAME ".Peer"
#define TBS_BUS_IFACE_STREAM TBS_BUS_NAME ".Stream"
#define TBS_BUS_PEER_PREFIX TBS_BUS_PATH "/peer"
#define TBS_BUS_STREAM_PREFIX TBS_BUS_PATH "/stream"

/* polkit actions, see polkit/io.github.tbstream1.policy */
#define TBS_ACTION_REQUEST_STREAM TBS_BUS_NAME ".request-stream"
#define TBS_ACTION_REMOVE_STREAM TBS_BUS_NAME ".remove-stream"
#define TBS_ACTION_OPEN_STREAM TBS_BUS_NAME ".open-stream"
#define TBS_ACTION_MANAGE_PEERS TBS_BUS_NAME ".manage-peers"
#define TBS_ACTION_RELOAD TBS_BUS_NAME ".reload"
/* implies all of the above; checked itself only where a node's permissions refuse (OpenStream) */
#define TBS_ACTION_MANAGE TBS_BUS_NAME ".manage"

/* OpenStream flags */
#define TBS_OPEN_READ (UINT32_C(1) << 0)
#define TBS_OPEN_WRITE (UINT32_C(1) << 1)
#define TBS_OPEN_NONBLOCK (UINT32_C(1) << 2)
#define TBS_OPEN_ALL (TBS_OPEN_READ | TBS_OPEN_WRITE | TBS_OPEN_NONBLOCK)

#define TBS_BUS_REQUEST_TIMEOUT_USEC (10 * 1000000ULL)
#define TBS_BUS_LIVE_INTERVAL_USEC (250 * 1000ULL)

static inline const char *strna(const char *s)
{
	return s ? s : "n/a";
}

static inline const char *strempty(const char *s)
{
	return s ? s : "";
}

#define BUS_STREAM_N_COUNTERS 6

/* An authorized RequestStream about to be made (bus-manager.c), as the owners file records it. */
typedef struct BusCreation {
	char *key; /* group/name; NULL: the peer has no group, nothing will be made */
	bool persistent;
	sd_bus_message *m; /* the call: its sender is the owner */
} BusCreation;

/* What the bus layer keeps per peer; find callbacks hand these to the vtables. */
typedef struct BusPeer {
	TbsBus *b;
	TbsPeer *p; /* valid until the observer sees TBS_REMOVED */
	char *path;
} BusPeer;

/* ... and per stream. */
typedef struct BusStream {
	TbsBus *b;
	TbsStream *s;
	char *path;
	bool persistent;	 /* false: removed when owner leaves the bus */
	char *owner;		 /* unique name of the RequestStream caller, NULL if none */
	TbsNameWatch *track;	 /* the owner, for streams that live only as long as it */
	sd_bus_message *request; /* RequestStream waiting for the stream to be ready */
	sd_event_source *request_timeout;
	/* bus-throughput.c: the last sample, published while someone watches */
	uint64_t rx_bytes, tx_bytes, rx_rate, tx_rate;
	bool sampled; /* rx_bytes/tx_bytes are a baseline for the next rate */
	/* bus-stream.c: LinkState and Counters as last read, and when (0: read at the next Get) */
	char link_state[32];
	uint64_t link_read_usec;
	uint64_t counters[BUS_STREAM_N_COUNTERS];
	unsigned counters_present; /* bit i: counters[i] was read */
	uint64_t counters_read_usec;
} BusStream;

struct TbsBus {
	sd_event *event;
	sd_bus *bus;
	TbsManager *m;
	TbsPolkit *polkit;
	GHashTable *peers;   /* peer id -> BusPeer* (owning) */
	GHashTable *streams; /* stream key -> BusStream* (owning) */
	/* RequestStream in progress: ownership to attach when the core reports the stream */
	const BusCreation *creating;
	/* bus-manager.c: authorized requests waiting for their batch, and the batch being made */
	GPtrArray *queued; /* Request* (owning) */
	GPtrArray *batch;  /* BusCreation*: their owners go to disk before the mkdirs */
	sd_event_source *create_batch;
	uint64_t request_timeout_usec;
	uint64_t live_interval_usec; /* LinkState and Counters are read at most this often */
	char *last_state;
	/* bus-owners.c: owners read at start, applied as the streams are adopted */
	GHashTable *restored;	     /* stream key -> BusOwnerRecord* */
	GPtrArray *restored_pending; /* keys of non-persistent streams to re-track */
	sd_event_source *restored_check;
	sd_event_source *save_later; /* a removal not yet written (bus_owners_save_later) */
	bool owners_after_removals;  /* to write once the removals under way have ended */
	void (*activity)(void *userdata);
	void *activity_userdata;
	void (*work_done)(void *userdata);
	void *work_done_userdata;
	void (*released)(void *userdata);
	void *released_userdata;
	bool releasing;		/* the name is being given up: nothing lasting starts */
	bool name_released;	/* calls already routed to us are still served */
	sd_bus_slot *name_slot; /* RequestName in flight */
	TbsBusStarted started;
	void *started_userdata;
	/* bus-throughput.c */
	GHashTable *watchers;	 /* WatchThroughput caller -> Watcher* (its watches, counted) */
	sd_event_source *sample; /* the once-a-second sample; NULL without watchers */
	uint64_t sample_last_usec;
	sd_event_source *drain_post; /* looks for the end of that work after each event */
	GPtrArray *reloads;	     /* Reload calls waiting for the policy to be applied */
};

extern const sd_bus_vtable bus_manager_vtable[];
extern const sd_bus_vtable bus_peer_vtable[];
extern const sd_bus_vtable bus_stream_vtable[];

/* bus-owners.c: who requested which stream, across restarts */
int bus_owners_load(TbsBus *b);
/* Write the owners file now: before RequestStream replies with a new stream. */
void bus_owners_save(TbsBus *b);
/* Write it once the events already queued are handled: for removals, which come in bursts. */
void bus_owners_save_later(TbsBus *b);
/* A deferred write still pending is done now (the daemon stops). */
void bus_owners_flush(TbsBus *b);
/* A stream seen for the first time: take its owner from the previous instance, if any. */
void bus_owners_restore(BusStream *bs);

/*
 * bus.c: 0, or (the daemon is letting go of its name) a retryable error for a
 * call that would start work outliving it (what: for the caller and the log).
 */
int bus_refuse_if_exiting(TbsBus *b, sd_bus_message *m, const char *what, sd_bus_error *error);

/* bus-manager.c: Reload calls still waiting get an error (the daemon stops). */
void bus_manager_stop_reloads(TbsBus *b);
/* ... and so do authorized RequestStream calls waiting for their batch. */
void bus_manager_stop_requests(TbsBus *b);

/* bus-logcontrol.c: org.freedesktop.LogControl1 at /org/freedesktop/LogControl1 */
int bus_log_control_add(sd_bus *bus);

/* bus-peer.c */
/*
 * The object paths of every value of @objects (a table of BusPeer* or
 * BusStream*, whose path member is at @path_offset) as an sd-bus node list.
 */
int bus_object_paths(GHashTable *objects, size_t path_offset, char ***ret);

char *bus_peer_path(const char *id);
int bus_peer_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
		  void **found, sd_bus_error *error);
int bus_peer_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
		       sd_bus_error *error);
/* Properties.Set on peers goes through polkit: this runs before sd-bus's own handling. */
int bus_peer_filter_set(sd_bus_message *m, void *userdata, sd_bus_error *error);
/* "UUID", peer Id or peer object path -> peer */
TbsPeer *bus_lookup_peer(TbsBus *b, const char *arg);

/* bus-stream.c */
char *bus_stream_path(const char *group, const char *name);
int bus_stream_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
		    void **found, sd_bus_error *error);
int bus_stream_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
			 sd_bus_error *error);
BusStream *bus_lookup_stream(TbsBus *b, const char *path);
void bus_stream_free(BusStream *bs);
/* The stream's state changed: answer a waiting RequestStream if it is settled. */
void bus_stream_settle_request(BusStream *bs, int removed_error);
int bus_stream_track_owner(BusStream *bs, sd_bus_message *m);
/* The stream changed: LinkState and Counters are read again at the next Get. */
void bus_stream_forget_live(BusStream *bs);
/* The same for an owner known by name (asynchronous: a name not on the bus removes the stream
 * later). */
int bus_stream_track_owner_name(BusStream *bs, const char *name);
/* Reply to m with the stream's path once it is ready (or a named error), at most after the timeout.
 */
int bus_stream_wait_ready(BusStream *bs, sd_bus_message *m);
const char *bus_stream_state(const TbsStream *s);

/* bus-throughput.c */
int bus_throughput_method_watch(sd_bus_message *m, void *userdata, sd_bus_error *error);
int bus_throughput_method_unwatch(sd_bus_message *m, void *userdata, sd_bus_error *error);
void bus_throughput_free(TbsBus *b);

/* bus-manager.c */
void bus_manager_emit_state(TbsBus *b);
