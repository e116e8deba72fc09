/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io.github.tbstream1.Stream at /io/github/tbstream1/stream/<group>/<name>
 * (both escaped): one object per stream the manager knows, whoever made it.
 * Also the bus layer's per-stream bookkeeping: who requested it, whether it
 * lives only as long as that caller, and a RequestStream waiting for it.
 */
#include <errno.h>
#include <string.h>

#include "bus-private.h"
#include "log.h"

char *bus_stream_path(const char *group, const char *name)
{
	char *path = NULL;

	return sd_bus_path_encode_many(&path, TBS_BUS_STREAM_PREFIX "/%/%", group, name) < 0 ? NULL
											     : path;
}

BusStream *bus_lookup_stream(TbsBus *b, const char *path)
{
	_cleanup_free_ char *group = NULL, *name = NULL;
	g_autofree char *key = NULL;

	if (!path ||
	    sd_bus_path_decode_many(path, TBS_BUS_STREAM_PREFIX "/%/%", &group, &name) <= 0)
		return NULL;
	key = g_strdup_printf("%s/%s", group, name);
	return g_hash_table_lookup(b->streams, key);
}

int bus_stream_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
		    void **found, sd_bus_error *error)
{
	BusStream *bs = bus_lookup_stream(userdata, path);

	if (!bs)
		return 0;
	*found = bs;
	return 1;
}

int bus_stream_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
			 sd_bus_error *error)
{
	TbsBus *b = userdata;

	return bus_object_paths(b->streams, offsetof(BusStream, path), nodes);
}

static void request_finish(BusStream *bs)
{
	bs->request = sd_bus_message_unref(bs->request);
	bs->request_timeout = sd_event_source_disable_unref(bs->request_timeout);
}

void bus_stream_free(BusStream *bs)
{
	if (!bs)
		return;
	if (bs->request)
		(void)sd_bus_reply_method_errorf(bs->request, TBS_BUS_ERROR_STREAM_REMOVED,
						 "tbstreamd is stopping; stream %s was not ready",
						 bs->path);
	request_finish(bs);
	tbs_name_watch_free(bs->track);
	g_free(bs->owner);
	free(bs->path);
	g_free(bs);
}

const char *bus_stream_state(const TbsStream *s)
{
	switch (s->state) {
	case TBS_STREAM_CONFIGURING:
		return "configuring";
	case TBS_STREAM_WAITING_DEVICE:
		return "waiting-device";
	case TBS_STREAM_READY:
		return "configured";
	case TBS_STREAM_DETACHED:
		return "detached";
	case TBS_STREAM_FAILED:
		return "failed";
	}
	return "unknown";
}

void bus_stream_settle_request(BusStream *bs, int removed_error)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	TbsStream *s = bs->s;

	if (!bs->request)
		return;
	if (removed_error)
		tbs_bus_error_set_name(&e, TBS_BUS_ERROR_STREAM_REMOVED, ECANCELED,
				       "Stream %s was removed before it became ready "
				       "(peer unplugged, module unloaded or RemoveStream)",
				       s->key);
	else if (s->state == TBS_STREAM_FAILED)
		tbs_bus_error_set_name(&e, TBS_BUS_ERROR_STREAM_FAILED, EIO,
				       "Stream %s failed: %s; see journalctl -u tbstreamd", s->key,
				       strerror(s->error < 0 ? -s->error : EIO));
	else if (s->state == TBS_STREAM_DETACHED)
		tbs_bus_error_set_name(&e, TBS_BUS_ERROR_NOT_CONNECTED, ENOTCONN,
				       "The peer of stream %s was unplugged before the stream "
				       "became ready",
				       s->key);
	else if (s->state != TBS_STREAM_READY)
		return; /* still on its way */

	if (sd_bus_error_is_set(&e))
		(void)sd_bus_reply_method_error(bs->request, &e);
	else
		(void)sd_bus_reply_method_return(bs->request, "o", bs->path);
	request_finish(bs);
}

static int on_request_timeout(sd_event_source *src, uint64_t usec, void *userdata)
{
	BusStream *bs = userdata;

	log_stream(LOG_WARNING, ETIMEDOUT, bs->s->peer_id, bs->s->name,
		   "Stream %s not ready in time for RequestStream (state %s)", bs->s->key,
		   bus_stream_state(bs->s));
	(void)sd_bus_reply_method_errorf(
		bs->request, TBS_BUS_ERROR_TIMEOUT,
		"Stream %s is not ready after %llu ms (state %s); it was kept: watch its State "
		"property or remove it",
		bs->s->key, (unsigned long long)(bs->b->request_timeout_usec / 1000),
		bus_stream_state(bs->s));
	request_finish(bs);
	return 0;
}

int bus_stream_wait_ready(BusStream *bs, sd_bus_message *m)
{
	int r;

	if (bs->request)
		return -EBUSY;
	r = sd_event_add_time_relative(bs->b->event, &bs->request_timeout, CLOCK_MONOTONIC,
				       bs->b->request_timeout_usec, 0, on_request_timeout, bs);
	if (r < 0)
		return r;
	bs->request = sd_bus_message_ref(m);
	bus_stream_settle_request(bs, 0);
	return 0;
}

typedef struct Departed {
	TbsBus *b; /* the bus layer waits for removals before it goes */
	char *key;
} Departed;

static Departed *departed_new(TbsBus *b, const char *key)
{
	Departed *d = g_new0(Departed, 1);

	d->b = b;
	d->key = g_strdup(key);
	return d;
}

/* A watch fires once: no retry loop; the stream stays for RemoveStream, and is no work. */
static void departed_leave(TbsBus *b, const char *key, int r)
{
	BusStream *bs = g_hash_table_lookup(b->streams, key);

	log_stream(LOG_ERR, r, bs ? bs->s->peer_id : NULL, bs ? bs->s->name : NULL,
		   "Cannot remove stream %s of departed owner, leaving it: %m", key);
	if (bs)
		bs->track = tbs_name_watch_free(bs->track);
}

static void on_departed_removed(int r, void *userdata)
{
	Departed *d = userdata;

	if (r < 0)
		departed_leave(d->b, d->key, r);
	g_free(d->key);
	g_free(d);
}

/* The owner left (or cannot be watched, so it could leave unnoticed): nothing stays for it. */
static void on_owner_gone(TbsNameWatch *w, int error, void *userdata)
{
	BusStream *bs = userdata;
	TbsBus *b = bs->b;
	Departed *d;
	int r;

	if (error < 0)
		log_stream(LOG_WARNING, error, bs->s->peer_id, bs->s->name,
			   "Cannot watch the owner %s of stream %s; removing the stream: %m",
			   strna(bs->owner), bs->s->key);
	else
		log_stream(LOG_INFO, 0, bs->s->peer_id, bs->s->name,
			   "Owner %s of stream %s left the bus; removing the stream",
			   strna(bs->owner), bs->s->key);
	/* bs (and w) go with the REMOVED notification, once the rmdir is done */
	d = departed_new(b, bs->s->key);
	r = tbs_manager_remove_stream(b->m, bs->s, false, on_departed_removed, d);
	if (r < 0)
		on_departed_removed(r, d);
}

/*
 * Asynchronous: a caller that already left is noticed by the watch's first
 * answer, and its stream removed then.
 */
int bus_stream_track_owner(BusStream *bs, sd_bus_message *m)
{
	int r = bus_stream_track_owner_name(bs, sd_bus_message_get_sender(m));

	if (r < 0)
		/* no watch: the request's end removes the stream */
		return log_stream(LOG_WARNING, r, bs->s->peer_id, bs->s->name,
				  "Cannot watch the owner %s of %s: %m", strna(bs->owner),
				  bs->s->key);
	return 0;
}

int bus_stream_track_owner_name(BusStream *bs, const char *name)
{
	return tbs_name_watch_new(bs->b->bus, name, on_owner_gone, bs, &bs->track);
}

/* ---- properties ------------------------------------------------------------------------- */

#define GETTER(fn, type, expr)                                                                     \
	static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,  \
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)                  \
	{                                                                                          \
		const BusStream *bs = userdata;                                                    \
		const TbsStream *s = bs->s;                                                        \
		(void)s;                                                                           \
		return sd_bus_message_append(reply, type, (expr));                                 \
	}

/* the kernel's values are only known once the item is populated */
#define INFO(field) (s->index >= 0 ? (int32_t)s->info.field : -1)

GETTER(get_name, "s", s->name)
GETTER(get_group, "s", s->group)
GETTER(get_peer_id, "s", strempty(s->peer_id))
GETTER(get_origin, "s",
       s->origin == TBS_ORIGIN_POLICY && s->enrollment ? "enrollment"
						       : tbs_stream_origin_to_string(s->origin))
GETTER(get_owned, "b", (int)s->owned)
GETTER(get_persistent, "b", (int)bs->persistent)
GETTER(get_owner, "s", strempty(bs->owner))
GETTER(get_state, "s", bus_stream_state(s))
GETTER(get_error, "s", s->state == TBS_STREAM_FAILED && s->error ? strerror(-s->error) : "")
/*
 * The errno that made Error, as the error name a call would carry for it. Only
 * the failures a stream can have: EPERM of a chown is not NotOurs, ENOENT not
 * NoSuchPeer; everything else is StreamFailed.
 */
static const char *stream_error_code(const TbsStream *s)
{
	if (s->state != TBS_STREAM_FAILED)
		return "";
	switch (-s->error) {
	case ETIMEDOUT:
		return TBS_BUS_ERROR_TIMEOUT;
	case EBUSY:
		return TBS_BUS_ERROR_BUSY;
	case ENOSPC:
		return TBS_BUS_ERROR_TOO_MANY;
	case ENODEV:
		return TBS_BUS_ERROR_NO_KERNEL_SUPPORT;
	default:
		return TBS_BUS_ERROR_STREAM_FAILED;
	}
}

GETTER(get_error_code, "s", stream_error_code(s))
GETTER(get_device, "s", s->state == TBS_STREAM_READY ? strempty(s->devnode) : "")
GETTER(get_index, "i", (int32_t)s->index)
GETTER(get_in_hopid, "i", INFO(in_hopid))
GETTER(get_out_hopid, "i", INFO(out_hopid))
GETTER(get_ring_size, "i", INFO(ring_size))
GETTER(get_throttling, "i", INFO(throttling))

static int get_peer(sd_bus *bus, const char *path, const char *interface, const char *property,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const BusStream *bs = userdata;
	_cleanup_free_ char *p = bs->s->peer_id ? bus_peer_path(bs->s->peer_id) : NULL;

	return sd_bus_message_append(reply, "o", p ? p : "/");
}

/*
 * LinkState and Counters come from ConfigFS, which does not notify, so they carry
 * no change signal and are read when asked for. Any user may ask (Get, GetAll,
 * GetManagedObjects) in a loop: a stream's attributes are read at most once per
 * live interval (250 ms) whoever asks, and served from that read in between, so
 * the sysfs reads do not grow with the callers' rate. A change of the stream
 * (bus.c) forgets the last read.
 */
static bool live_read_due(BusStream *bs, uint64_t *read_usec)
{
	uint64_t now;

	if (sd_event_now(bs->b->event, CLOCK_MONOTONIC, &now) < 0)
		return true;
	if (*read_usec != 0 && now - *read_usec < bs->b->live_interval_usec)
		return false;
	*read_usec = now;
	return true;
}

void bus_stream_forget_live(BusStream *bs)
{
	bs->link_read_usec = 0;
	bs->counters_read_usec = 0;
}

static int get_link_state(sd_bus *bus, const char *path, const char *interface,
			  const char *property, sd_bus_message *reply, void *userdata,
			  sd_bus_error *error)
{
	BusStream *bs = userdata;
	const TbsStream *s = bs->s;
	char buf[sizeof(bs->link_state)] = "";

	if (live_read_due(bs, &bs->link_read_usec)) {
		if (s->dir && s->index >= 0 && tbs_read_attr(s->dir, "state", buf, sizeof(buf)) < 0)
			buf[0] = 0;
		/* the kernel's "ready" means a peer stream is attached and it can be opened */
		g_strlcpy(bs->link_state, strcmp(buf, "ready") == 0 ? "attached" : buf,
			  sizeof(bs->link_state));
	}
	return sd_bus_message_append(reply, "s", bs->link_state);
}

static const char *const counter_names[BUS_STREAM_N_COUNTERS] = {
	"rx_bytes", "tx_bytes", "rx_frames", "tx_frames", "rx_errors", "tx_errors"};

static void read_counters(BusStream *bs)
{
	const TbsStream *s = bs->s;
	char buf[32];

	bs->counters_present = 0;
	for (size_t i = 0; i < ELEMENTSOF(counter_names); i++) {
		unsigned long long v;
		char *end;
		/* upstream's module has no counters: then the dictionary is empty */
		if (!s->dir || tbs_read_attr(s->dir, counter_names[i], buf, sizeof(buf)) <= 0)
			continue;
		errno = 0;
		v = strtoull(buf, &end, 10);
		if (errno || *end)
			continue;
		bs->counters[i] = (uint64_t)v;
		bs->counters_present |= 1u << i;
	}
}

static int get_counters(sd_bus *bus, const char *path, const char *interface, const char *property,
			sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	BusStream *bs = userdata;
	int r;

	if (live_read_due(bs, &bs->counters_read_usec))
		read_counters(bs);
	r = sd_bus_message_open_container(reply, 'a', "{st}");
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(counter_names); i++)
		if (bs->counters_present & (1u << i))
			r = sd_bus_message_append(reply, "{st}", counter_names[i], bs->counters[i]);
	return r < 0 ? r : sd_bus_message_close_container(reply);
}

const sd_bus_vtable bus_stream_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Name", "s", get_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Group", "s", get_group, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Peer", "o", get_peer, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("PeerId", "s", get_peer_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Origin", "s", get_origin, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Owned", "b", get_owned, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Persistent", "b", get_persistent, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Owner", "s", get_owner, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("State", "s", get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Error", "s", get_error, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ErrorCode", "s", get_error_code, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Device", "s", get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Index", "i", get_index, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("InHopID", "i", get_in_hopid, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("OutHopID", "i", get_out_hopid, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("RingSize", "i", get_ring_size, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Throttling", "i", get_throttling, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LinkState", "s", get_link_state, 0, 0),
	SD_BUS_PROPERTY("Counters", "a{st}", get_counters, 0, 0),
	SD_BUS_PROPERTY("RxBytes", "t", NULL, offsetof(BusStream, rx_bytes),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("TxBytes", "t", NULL, offsetof(BusStream, tx_bytes),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("RxRate", "t", NULL, offsetof(BusStream, rx_rate),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("TxRate", "t", NULL, offsetof(BusStream, tx_rate),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};
