/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bus connection, object registration and the bridge from the manager's
 * observer callbacks to D-Bus signals (ObjectManager and PropertiesChanged).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-private.h"
#include "log.h"

static void message_unref(gpointer m)
{
	sd_bus_message_unref(m);
}

static void bus_peer_free(BusPeer *bp)
{
	if (!bp)
		return;
	free(bp->path);
	g_free(bp);
}

static BusPeer *peer_attach(TbsBus *b, TbsPeer *p)
{
	BusPeer *bp = g_hash_table_lookup(b->peers, p->id);

	if (bp) {
		bp->p = p;
		return bp;
	}
	bp = g_new0(BusPeer, 1);
	bp->b = b;
	bp->p = p;
	bp->path = bus_peer_path(p->id);
	if (!bp->path) {
		g_free(bp);
		return NULL;
	}
	g_hash_table_insert(b->peers, g_strdup(p->id), bp);
	return bp;
}

static BusStream *stream_attach(TbsBus *b, TbsStream *s)
{
	BusStream *bs = g_hash_table_lookup(b->streams, s->key);

	if (bs) {
		bs->s = s;
		return bs;
	}
	bs = g_new0(BusStream, 1);
	bs->b = b;
	bs->s = s;
	bs->persistent = true;
	bs->path = bus_stream_path(s->group, s->name);
	if (!bs->path) {
		g_free(bs);
		return NULL;
	}
	g_hash_table_insert(b->streams, g_strdup(s->key), bs);
	/* made for the RequestStream running right now (its owner is on disk already) */
	if (b->creating && b->creating->key && strcmp(b->creating->key, s->key) == 0 && s->made) {
		bs->persistent = b->creating->persistent;
		bs->owner = g_strdup(sd_bus_message_get_sender(b->creating->m));
		if (!bs->persistent)
			(void)bus_stream_track_owner(bs, b->creating->m);
	} else {
		bus_owners_restore(bs);
	}
	return bs;
}

static void emit_peer_streams(TbsBus *b, const char *peer_id)
{
	BusPeer *bp = peer_id ? g_hash_table_lookup(b->peers, peer_id) : NULL;

	if (bp)
		(void)sd_bus_emit_properties_changed(b->bus, bp->path, TBS_BUS_IFACE_PEER,
						     "Streams", NULL);
}

static void on_peer(TbsManager *m, TbsPeer *p, TbsChange change, void *userdata)
{
	TbsBus *b = userdata;
	BusPeer *bp;
	int r;

	switch (change) {
	case TBS_ADDED:
		bp = peer_attach(b, p);
		if (bp && (r = sd_bus_emit_object_added(b->bus, bp->path)) < 0)
			log_debug_errno(r, "Cannot announce peer %s: %m", p->id);
		break;
	case TBS_CHANGED:
		bp = peer_attach(b, p);
		/* NULL: every property marked EMITS_CHANGE; the peer has few and they change rarely
		 */
		if (bp && (r = sd_bus_emit_properties_changed_strv(b->bus, bp->path,
								   TBS_BUS_IFACE_PEER, NULL)) < 0)
			log_debug_errno(r, "Cannot signal changes of peer %s: %m", p->id);
		break;
	case TBS_REMOVED:
		bp = g_hash_table_lookup(b->peers, p->id);
		if (!bp)
			break;
		/* the object must still resolve while sd-bus lists its interfaces */
		(void)sd_bus_emit_object_removed(b->bus, bp->path);
		g_hash_table_remove(b->peers, p->id);
		break;
	}
}

static void on_stream(TbsManager *m, TbsStream *s, TbsChange change, void *userdata)
{
	TbsBus *b = userdata;
	bool had_owner;
	BusStream *bs;
	int r;

	switch (change) {
	case TBS_ADDED:
		bs = stream_attach(b, s);
		if (bs && (r = sd_bus_emit_object_added(b->bus, bs->path)) < 0)
			log_debug_errno(r, "Cannot announce stream %s: %m", s->key);
		emit_peer_streams(b, s->peer_id);
		break;
	case TBS_CHANGED:
		bs = stream_attach(b, s);
		if (!bs)
			break;
		bus_stream_forget_live(bs);
		r = sd_bus_emit_properties_changed_strv(b->bus, bs->path, TBS_BUS_IFACE_STREAM,
							NULL);
		if (r < 0)
			log_debug_errno(r, "Cannot signal changes of stream %s: %m", s->key);
		bus_stream_settle_request(bs, 0);
		break;
	case TBS_REMOVED:
		bs = g_hash_table_lookup(b->streams, s->key);
		if (!bs)
			break;
		bus_stream_settle_request(bs, -ECANCELED);
		(void)sd_bus_emit_object_removed(b->bus, bs->path);
		had_owner = bs->owner != NULL;
		g_hash_table_remove(b->streams, s->key);
		/* a burst of removals ends at different times: one write once all have */
		if (had_owner && tbs_manager_removing(m))
			b->owners_after_removals = true;
		else if (had_owner)
			bus_owners_save_later(b);
		emit_peer_streams(b, s->peer_id);
		break;
	}
}

static void on_status(TbsManager *m, const char *status, void *userdata)
{
	bus_manager_emit_state(userdata);
}

static void on_controllers(TbsManager *m, void *userdata)
{
	TbsBus *b = userdata;
	int r;

	r = sd_bus_emit_properties_changed(b->bus, TBS_BUS_PATH, TBS_BUS_IFACE_MANAGER,
					   "Controllers", NULL);
	if (r < 0)
		log_debug_errno(r, "Cannot signal the change of Controllers: %m");
}

static void on_removals_done(TbsManager *m, void *userdata)
{
	TbsBus *b = userdata;

	if (b->owners_after_removals) {
		b->owners_after_removals = false;
		bus_owners_save_later(b);
	}
}

static const TbsObserver bus_observer = {
	.removals_done = on_removals_done,
	.controllers = on_controllers,
	.peer = on_peer,
	.stream = on_stream,
	.status = on_status,
};

/*
 * Only authorized verbs are work that keeps the daemon from its idle exit.
 * Reads (Get, GetManagedObjects, Introspect) and signals are not, nor calls
 * polkit refused or arguments the daemon refused before asking: otherwise any
 * user could keep it running forever by asking for what it will not do. A
 * call waits for its polkit check as pending work (tbs_bus_has_work()).
 */
static void on_authorized(void *userdata)
{
	TbsBus *b = userdata;

	if (b->activity)
		b->activity(b->activity_userdata);
}

/* Any check ended: a refused one restarts nothing, but is no longer work either. */
static void on_check_done(void *userdata)
{
	TbsBus *b = userdata;

	if (b->work_done)
		b->work_done(b->work_done_userdata);
}

static int bus_open(const char *address, sd_bus **ret)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (!address)
		return sd_bus_open_system_with_description(ret, "tbstreamd");
	r = sd_bus_new(&bus);
	if (r < 0)
		return r;
	(void)sd_bus_set_description(bus, "tbstreamd");
	r = sd_bus_set_address(bus, address);
	if (r < 0)
		return r;
	r = sd_bus_set_bus_client(bus, true);
	if (r < 0)
		return r;
	/* fds for OpenStream; credentials for the log lines */
	r = sd_bus_negotiate_fds(bus, true);
	if (r < 0)
		return r;
	r = sd_bus_start(bus);
	if (r < 0)
		return r;
	*ret = g_steal_pointer(&bus);
	return 0;
}

int tbs_bus_new(sd_event *event, TbsManager *m, const char *address, TbsBus **ret)
{
	TbsBus *b;
	GHashTableIter it;
	TbsPeer *p;
	TbsStream *s;
	int r;

	b = g_new0(TbsBus, 1);
	b->event = sd_event_ref(event);
	b->m = m;
	b->request_timeout_usec = TBS_BUS_REQUEST_TIMEOUT_USEC;
	b->live_interval_usec = TBS_BUS_LIVE_INTERVAL_USEC;
	/* keys are copies: the bus layer's entries may outlive a re-keyed core object */
	b->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)bus_peer_free);
	b->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)bus_stream_free);

	r = bus_open(address, &b->bus);
	if (r < 0) {
		log_error_errno(r, "Cannot connect to the %s bus: %m",
				address ? address : "system");
		goto fail;
	}
	r = sd_bus_attach_event(b->bus, event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0) {
		log_error_errno(r, "Cannot attach the bus to the event loop: %m");
		goto fail;
	}
	b->restored_pending = g_ptr_array_new_with_free_func(g_free);
	b->reloads = g_ptr_array_new_with_free_func(message_unref);
	(void)bus_owners_load(b);
	r = tbs_polkit_new(b->bus, &b->polkit);
	if (r < 0)
		goto fail;
	tbs_polkit_set_authorized_hook(b->polkit, on_authorized, b);
	tbs_polkit_set_done_hook(b->polkit, on_check_done, b);

	if ((r = sd_bus_add_object_manager(b->bus, NULL, TBS_BUS_PATH)) < 0 ||
	    (r = sd_bus_add_object_vtable(b->bus, NULL, TBS_BUS_PATH, TBS_BUS_IFACE_MANAGER,
					  bus_manager_vtable, b)) < 0 ||
	    (r = sd_bus_add_fallback(b->bus, NULL, TBS_BUS_PEER_PREFIX, bus_peer_filter_set, b)) <
		    0 ||
	    (r = sd_bus_add_fallback_vtable(b->bus, NULL, TBS_BUS_PEER_PREFIX, TBS_BUS_IFACE_PEER,
					    bus_peer_vtable, bus_peer_find, b)) < 0 ||
	    (r = sd_bus_add_node_enumerator(b->bus, NULL, TBS_BUS_PEER_PREFIX, bus_peer_enumerate,
					    b)) < 0 ||
	    (r = sd_bus_add_fallback_vtable(b->bus, NULL, TBS_BUS_STREAM_PREFIX,
					    TBS_BUS_IFACE_STREAM, bus_stream_vtable,
					    bus_stream_find, b)) < 0 ||
	    (r = sd_bus_add_node_enumerator(b->bus, NULL, TBS_BUS_STREAM_PREFIX,
					    bus_stream_enumerate, b)) < 0 ||
	    (r = bus_log_control_add(b->bus)) < 0) {
		log_error_errno(r, "Cannot register D-Bus objects: %m");
		goto fail;
	}

	/* whatever the manager knows already (normally nothing: we come before start) */
	g_hash_table_iter_init(&it, tbs_manager_peers(m));
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&p))
		(void)peer_attach(b, p);
	g_hash_table_iter_init(&it, tbs_manager_streams(m));
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		(void)stream_attach(b, s);
	tbs_manager_add_observer(m, &bus_observer, b);
	*ret = b;
	return 0;
fail:
	tbs_bus_free(b);
	return r;
}

/* RequestName's answer: DBUS_REQUEST_NAME_REPLY_* */
#define NAME_PRIMARY_OWNER 1
#define NAME_EXISTS 3
#define NAME_ALREADY_OWNER 4

static int on_name_requested(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	TbsBus *b = userdata;
	const sd_bus_error *e;
	uint32_t reply = 0;
	int r = 0;

	b->name_slot = sd_bus_slot_unref(b->name_slot);
	if ((e = sd_bus_message_get_error(m))) {
		r = -sd_bus_message_get_errno(m) ?: -EIO;
		log_error("Cannot own the bus name %s: %s: %s", TBS_BUS_NAME, e->name,
			  strna(e->message));
	} else if ((r = sd_bus_message_read(m, "u", &reply)) < 0) {
		log_error_errno(r, "Cannot own the bus name %s: unreadable reply: %m",
				TBS_BUS_NAME);
	} else if (reply == NAME_EXISTS) {
		r = -EEXIST;
		log_error("Cannot own the bus name %s: another program owns it (is tbstreamd "
			  "running already?)",
			  TBS_BUS_NAME);
	} else if (reply != NAME_PRIMARY_OWNER && reply != NAME_ALREADY_OWNER) {
		r = -EBUSY;
		log_error("Cannot own the bus name %s: the bus answered %u", TBS_BUS_NAME, reply);
	} else {
		r = 0;
		log_debug("Acquired bus name %s", TBS_BUS_NAME);
	}
	b->started(b, r, b->started_userdata);
	return 0;
}

int tbs_bus_start(TbsBus *b, TbsBusStarted started, void *userdata)
{
	int r;

	/*
	 * Asynchronous: a busy bus daemon must not stall the loop (udev events,
	 * the watchdog). Not queued: a second instance fails when the answer comes.
	 */
	b->started = started;
	b->started_userdata = userdata;
	r = sd_bus_request_name_async(b->bus, &b->name_slot, TBS_BUS_NAME, 0, on_name_requested, b);
	if (r < 0)
		return log_error_errno(r, "Cannot ask for the bus name %s: %m", TBS_BUS_NAME);
	return 0;
}

void tbs_bus_set_activity_handler(TbsBus *b, void (*handler)(void *userdata), void *userdata)
{
	b->activity = handler;
	b->activity_userdata = userdata;
}

void tbs_bus_set_work_done_handler(TbsBus *b, void (*handler)(void *userdata), void *userdata)
{
	b->work_done = handler;
	b->work_done_userdata = userdata;
}

bool tbs_bus_has_work(TbsBus *b)
{
	GHashTableIter it;
	BusStream *bs;

	/*
	 * Throughput watches are not work: anyone may watch, and the idle exit
	 * comes only with no peer connected, when there is no traffic to show.
	 * A panel that watches is told the name left and watches the next instance.
	 */
	if (tbs_polkit_n_pending(b->polkit) > 0 || b->reloads->len > 0 ||
	    (b->queued && b->queued->len > 0))
		return true;
	g_hash_table_iter_init(&it, b->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&bs))
		if (bs->request || bs->track)
			return true;
	return false;
}

/* Done once the name is gone and every call that reached us has its reply. */
static bool drained(TbsBus *b)
{
	if (!b->name_released || tbs_bus_has_work(b))
		return false;
	b->drain_post = sd_event_source_disable_unref(b->drain_post);
	if (b->released)
		b->released(b->released_userdata);
	return true;
}

static int on_drain_post(sd_event_source *s, void *userdata)
{
	(void)drained(userdata);
	return 0;
}

static int on_name_released(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	int r;

	if (sd_bus_message_is_method_error(m, NULL))
		log_warning("Cannot release the bus name %s: %s", TBS_BUS_NAME,
			    sd_bus_message_get_error(m)->message);
	b->name_released = true;
	if (drained(b))
		return 0;
	/*
	 * Calls that arrived before the release started polkit checks or wait for a
	 * stream: answer them first. A post source runs only after other events, so
	 * this costs no wake-up of its own.
	 */
	log_info("Bus name released; finishing %u authorization checks and %u requests first",
		 tbs_bus_n_pending_checks(b), tbs_bus_n_pending_requests(b));
	r = sd_event_add_post(b->event, &b->drain_post, on_drain_post, b);
	if (r < 0) {
		log_error_errno(r, "Cannot wait for calls in flight, exiting now: %m");
		if (b->released)
			b->released(b->released_userdata);
	}
	return 0;
}

/*
 * Refused rather than taking the name back: once it is released, D-Bus
 * activation may already be starting the next instance, which the name then
 * belongs to; a caller that simply calls again reaches that one.
 */
int bus_refuse_if_exiting(TbsBus *b, sd_bus_message *m, const char *what, sd_bus_error *error)
{
	if (!b->releasing)
		return 0;
	log_info("Refusing %s to %s: exiting on idle, it would keep this instance running", what,
		 strna(sd_bus_message_get_sender(m)));
	return tbs_bus_error_set_name(
		error, SD_BUS_ERROR_NO_SERVER, ESHUTDOWN,
		"tbstreamd is exiting after a quiet period and starts nothing "
		"that would outlive it (%s); call again, which starts it anew",
		what);
}

int tbs_bus_release_name(TbsBus *b, void (*done)(void *userdata), void *userdata)
{
	int r;

	b->released = done;
	b->released_userdata = userdata;
	/* calls in flight are answered, but what would outlive them is refused */
	b->releasing = true;
	/*
	 * Calls already routed to us arrive before the reply and are answered
	 * (done waits for them); later ones make the bus activate the service again.
	 */
	r = sd_bus_release_name_async(b->bus, NULL, TBS_BUS_NAME, on_name_released, b);
	if (r < 0)
		return log_error_errno(r, "Cannot release the bus name %s: %m", TBS_BUS_NAME);
	return 0;
}

/*
 * The last replies (NoServer to callers still waiting) must reach their
 * callers before the connection closes: flushed into the socket is not
 * enough, dbus-daemon was seen to answer a caller NoReply for a call whose
 * reply we had written just before closing, in half the runs of a loaded
 * machine.  A round trip to the bus driver, ordered after them on this
 * connection, returns once the broker has routed them.  Bounded: at exit.
 */
static void bus_sync_with_broker(sd_bus *bus)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					   "org.freedesktop.DBus", "GetId");
	if (r >= 0)
		r = sd_bus_call(bus, m, 2 * G_USEC_PER_SEC, NULL, NULL);
	if (r < 0)
		(void)sd_bus_flush(bus);
}

TbsBus *tbs_bus_free(TbsBus *b)
{
	if (!b)
		return NULL;
	/* removals under way end while we listen: replies go out, the owners file sees them */
	tbs_manager_finish_removals(b->m);
	tbs_manager_remove_observer(b->m, &bus_observer, b);
	bus_owners_flush(b);
	/* pending checks and requests first: their callbacks still see the tables */
	b->polkit = tbs_polkit_free(b->polkit);
	bus_manager_stop_reloads(b);
	bus_manager_stop_requests(b);
	bus_throughput_free(b);
	b->restored_check = sd_event_source_disable_unref(b->restored_check);
	b->save_later = sd_event_source_disable_unref(b->save_later);
	b->drain_post = sd_event_source_disable_unref(b->drain_post);
	b->name_slot = sd_bus_slot_unref(b->name_slot);
	if (b->restored_pending)
		g_ptr_array_unref(b->restored_pending);
	if (b->restored)
		g_hash_table_unref(b->restored);
	g_hash_table_unref(b->streams);
	g_hash_table_unref(b->peers);
	if (b->bus) {
		bus_sync_with_broker(b->bus);
		(void)sd_bus_detach_event(b->bus);
		b->bus = sd_bus_close_unref(b->bus);
	}
	sd_event_unref(b->event);
	g_free(b->last_state);
	g_free(b);
	return NULL;
}

void tbs_bus_set_request_timeout(TbsBus *b, uint64_t usec)
{
	b->request_timeout_usec = usec;
}

void tbs_bus_set_live_interval(TbsBus *b, uint64_t usec)
{
	b->live_interval_usec = usec;
}

unsigned tbs_bus_n_pending_checks(TbsBus *b)
{
	return tbs_polkit_n_pending(b->polkit);
}

unsigned tbs_bus_n_pending_requests(TbsBus *b)
{
	GHashTableIter it;
	BusStream *bs;
	unsigned n = 0;

	g_hash_table_iter_init(&it, b->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&bs))
		n += bs->request != NULL;
	return n;
}

int bus_object_paths(GHashTable *objects, size_t path_offset, char ***ret)
{
	GHashTableIter it;
	gpointer obj;
	char **l;
	size_t n = 0;

	/* sd-bus frees the list with free(): allocate with libc */
	l = calloc(g_hash_table_size(objects) + 1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	g_hash_table_iter_init(&it, objects);
	while (g_hash_table_iter_next(&it, NULL, &obj)) {
		l[n] = strdup(*(char **)(void *)((char *)obj + path_offset));
		if (!l[n]) {
			while (n > 0)
				free(l[--n]);
			free(l);
			return -ENOMEM;
		}
		n++;
	}
	*ret = l;
	return 0;
}
