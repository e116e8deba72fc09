/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * monitor: the daemon's signals (objects added and removed, properties
 * changed, the daemon coming and going) as they happen, and each stream's
 * throughput. The throughput comes from Manager.WatchThroughput: the daemon
 * samples the kernel's counters once a second while someone watches and
 * signals the rates, so the monitor's watch ends when it does. A daemon
 * without WatchThroughput (older) has its Counters polled every --interval.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "bus.h"
#include "format.h"
#include "objects.h"

#define OWNER_MATCH                                                                                \
	"type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"            \
	"member='NameOwnerChanged',arg0='" TBS_BUS_NAME "'"
#define CHANGED_MATCH                                                                              \
	"type='signal',sender='" TBS_BUS_NAME "',interface='org.freedesktop.DBus.Properties',"     \
	"member='PropertiesChanged',path_namespace='" TBS_BUS_PATH "'"

typedef struct Monitor Monitor;

typedef struct Tracked {
	Monitor *mon;
	char *path;
	char *label; /* "alpha" for a peer, "alpha/backup" for a stream */
	bool stream;
	Value *props; /* as last known: change lines show only what differs */
	sd_bus_slot *counters_call;
	bool sampled, active;
	uint64_t rx, tx, usec;
} Tracked;

struct Monitor {
	Ctl *c;
	sd_event *event;
	sd_event_source *tick; /* polls Counters, only while the daemon has no watch of ours */
	bool watched;	       /* the running daemon accepted our WatchThroughput */
	Tracked **objs;
	size_t n;
};

/* The daemon's sample period, for IntervalUSec of the rates it signals. */
#define WATCH_PERIOD_USEC 1000000
/* Properties the daemon signals only while watched: throughput events, not changes. */
static const char *const throughput_props[] = {"RxBytes", "TxBytes", "RxRate", "TxRate"};

static Tracked *tracked_free(Tracked *t)
{
	if (!t)
		return NULL;
	sd_bus_slot_unref(t->counters_call);
	value_free(t->props);
	free(t->path);
	free(t->label);
	free(t);
	return NULL;
}

static Tracked *find(Monitor *mon, const char *path)
{
	for (size_t i = 0; i < mon->n; i++)
		if (strcmp(mon->objs[i]->path, path) == 0)
			return mon->objs[i];
	return NULL;
}

static void forget(Monitor *mon, const char *path)
{
	for (size_t i = 0; i < mon->n; i++)
		if (strcmp(mon->objs[i]->path, path) == 0) {
			tracked_free(mon->objs[i]);
			mon->objs[i] = mon->objs[--mon->n];
			return;
		}
}

static void forget_all(Monitor *mon)
{
	while (mon->n)
		tracked_free(mon->objs[--mon->n]);
}

/* Remembers an object and the name it is shown by; peers must come before their streams. */
static int track(Monitor *mon, const char *path, bool stream, const Value *props)
{
	Tracked **objs, *t;
	const char *name;
	int r;

	forget(mon, path);
	t = calloc(1, sizeof(*t));
	objs = reallocarray(mon->objs, mon->n + 1, sizeof(*objs));
	if (!t || !objs) {
		free(t);
		if (objs)
			mon->objs = objs;
		return -ENOMEM;
	}
	mon->objs = objs;
	t->mon = mon;
	t->stream = stream;
	t->path = strdup(path);
	if (stream) {
		const Tracked *peer = find(mon, value_get_str(props, "Peer", "/"));
		name = value_get_str(props, "Name", "?");
		r = asprintf(&t->label, "%s/%s",
			     peer ? peer->label : value_get_str(props, "Group", "?"), name);
	} else {
		r = asprintf(&t->label, "%s", value_get_str(props, "DisplayName", "?"));
	}
	if (r < 0)
		t->label = NULL;
	t->props = value_copy(props);
	if (!t->path || !t->label || !t->props) {
		tracked_free(t);
		return -ENOMEM;
	}
	mon->objs[mon->n++] = t;
	return 0;
}

static void print_time(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[16];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!localtime_r(&ts.tv_sec, &tm) || !strftime(buf, sizeof(buf), "%H:%M:%S", &tm))
		buf[0] = 0;
	printf("%s ", buf);
}

static uint64_t realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static bool is_stream_path(const char *path)
{
	return strncmp(path, TBS_BUS_PATH "/stream/", strlen(TBS_BUS_PATH "/stream/")) == 0;
}

static const char *kind_of(const char *path)
{
	if (strcmp(path, TBS_BUS_PATH) == 0)
		return "manager";
	return is_stream_path(path) ? "stream" : "peer";
}

/* Starts a JSON event, or a human line with the time and the object's name. */
static void event_begin(Monitor *mon, JsonWriter *j, const char *event, const char *path)
{
	const Tracked *t = path ? find(mon, path) : NULL;

	if (mon->c->json != JSON_OFF) {
		json_init(j, stdout, mon->c->json == JSON_PRETTY);
		json_begin_object(j);
		json_key(j, "Time");
		json_uint(j, realtime_usec());
		json_key(j, "Event");
		json_string(j, event);
		if (path) {
			json_key(j, "Type");
			json_string(j, kind_of(path));
			json_key(j, "Path");
			json_string(j, path);
		}
		return;
	}
	print_time();
	if (!path)
		return;
	if (strcmp(path, TBS_BUS_PATH) == 0)
		fputs("tbstreamd", stdout);
	else {
		printf("%s ", kind_of(path));
		fputs_safe(t ? t->label : path, stdout);
	}
	fputs(": ", stdout);
}

static void event_end(Monitor *mon, JsonWriter *j)
{
	if (mon->c->json != JSON_OFF) {
		json_end_object(j);
		json_finish(j);
	} else {
		fputc('\n', stdout);
		fflush(stdout);
	}
}

static void report_added(Monitor *mon, const char *path, const Value *props)
{
	JsonWriter j;

	event_begin(mon, &j, "added", path);
	if (mon->c->json != JSON_OFF) {
		json_key(&j, "Properties");
		value_to_json(props, &j);
	} else if (is_stream_path(path)) {
		printf("added, ");
		fputs_safe(value_get_str(props, "State", "?"), stdout);
	} else {
		_cleanup_(freep) char *id = format_peer_id(props, mon->c->show_uuid);
		printf("added (");
		fputs_safe(id ? id : "?", stdout);
		printf("), %s",
		       value_get_bool(props, "Connected", false) ? "connected" : "not connected");
	}
	event_end(mon, &j);
}

static int add_object(Monitor *mon, const char *path, const Value *props, bool report)
{
	int r = track(mon, path, is_stream_path(path), props);

	if (r < 0)
		return r;
	if (report)
		report_added(mon, path, props);
	return 0;
}

/* InterfacesAdded: o a{sa{sv}} */
static int on_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Monitor *mon = userdata;
	_cleanup_(value_freep) Value *ifaces = NULL;
	const char *path;
	const Value *props;

	if (sd_bus_message_read(m, "o", &path) < 0 || value_read(m, &ifaces) < 0)
		return 0;
	props = value_get(ifaces, TBS_IFACE_STREAM);
	if (!props)
		props = value_get(ifaces, TBS_IFACE_PEER);
	if (props && add_object(mon, path, props, true) < 0)
		return sd_event_exit(mon->event, -ENOMEM);
	return 0;
}

static int on_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Monitor *mon = userdata;
	const char *path;
	JsonWriter j;

	if (sd_bus_message_read(m, "o", &path) < 0 || !find(mon, path))
		return 0;
	event_begin(mon, &j, "removed", path);
	if (mon->c->json == JSON_OFF)
		printf("removed");
	event_end(mon, &j);
	forget(mon, path);
	return 0;
}

static void report_throughput(Monitor *mon, Tracked *t, uint64_t rx_rate, uint64_t tx_rate,
			      uint64_t interval);

static bool only_throughput(const Value *changed)
{
	if (changed->n_items == 0)
		return false;
	for (size_t i = 0; i + 1 < changed->n_items; i += 2) {
		bool known = false;
		for (size_t k = 0; k < sizeof(throughput_props) / sizeof(*throughput_props); k++)
			known |= strcmp(changed->items[i]->str, throughput_props[k]) == 0;
		if (!known)
			return false;
	}
	return true;
}

/* The daemon's rates (only the values that changed are signalled): merged, then reported. */
static int on_rates(Monitor *mon, Tracked *t, const Value *changed)
{
	uint64_t rx_rate, tx_rate;

	for (size_t i = 0; i + 1 < changed->n_items; i += 2)
		if (value_dict_set(t->props, changed->items[i]->str, changed->items[i + 1]) < 0)
			return sd_event_exit(mon->event, -ENOMEM);
	rx_rate = value_get_uint(t->props, "RxRate", 0);
	tx_rate = value_get_uint(t->props, "TxRate", 0);
	t->rx = value_get_uint(t->props, "RxBytes", 0);
	t->tx = value_get_uint(t->props, "TxBytes", 0);
	/* report activity, and its end once */
	if (rx_rate || tx_rate || t->active)
		report_throughput(mon, t, rx_rate, tx_rate, WATCH_PERIOD_USEC);
	t->active = rx_rate || tx_rate;
	return 0;
}

/* PropertiesChanged: s a{sv} as */
static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Monitor *mon = userdata;
	_cleanup_(value_freep) Value *changed = NULL, *invalidated = NULL;
	const char *path = sd_bus_message_get_path(m), *iface;
	Tracked *t;
	bool first = true;
	JsonWriter j;

	if (!path || sd_bus_message_read(m, "s", &iface) < 0 || value_read(m, &changed) < 0 ||
	    value_read(m, &invalidated) < 0)
		return 0;
	if (strncmp(iface, "io.github.tbstream1.", strlen("io.github.tbstream1.")) != 0 ||
	    changed->kind != VALUE_DICT || invalidated->kind != VALUE_ARRAY)
		return 0;
	t = find(mon, path);
	if (t && t->stream && only_throughput(changed) && invalidated->n_items == 0)
		return on_rates(mon, t, changed);
	if (mon->c->json != JSON_OFF) {
		event_begin(mon, &j, "changed", path);
		json_key(&j, "Changed");
		value_to_json(changed, &j);
		json_key(&j, "Invalidated");
		value_to_json(invalidated, &j);
		event_end(mon, &j);
		return 0;
	}
	/* the daemon may resend unchanged values: people see only what differs */
	for (size_t i = 0; i + 1 < changed->n_items; i += 2) {
		const char *name = changed->items[i]->str;
		const Value *now = changed->items[i + 1],
			    *before = value_get(t ? t->props : NULL, name);

		if (before && value_equal(before, now))
			continue;
		if (t && value_dict_set(t->props, name, now) < 0)
			return sd_event_exit(mon->event, -ENOMEM);
		/* stream added/removed lines say this already */
		if (strcmp(name, "Streams") == 0)
			continue;
		if (first)
			event_begin(mon, &j, "changed", path);
		printf("%s%s=", first ? "" : " ", name);
		format_value(now, stdout);
		first = false;
	}
	for (size_t i = 0; i < invalidated->n_items; i++) {
		if (first)
			event_begin(mon, &j, "changed", path);
		printf("%s%s changed", first ? "" : " ", invalidated->items[i]->str);
		first = false;
	}
	if (!first)
		event_end(mon, &j);
	return 0;
}

static void report_daemon(Monitor *mon, bool running)
{
	JsonWriter j;

	event_begin(mon, &j, running ? "daemon-started" : "daemon-stopped", NULL);
	if (mon->c->json == JSON_OFF)
		printf("tbstreamd %s", running ? "started" : "stopped");
	event_end(mon, &j);
}

/* Every object the daemon has now, tracked (and reported as added if report). */
static int load(Monitor *mon, bool report)
{
	_cleanup_(objects_free) Objects o = {};
	int r;

	r = objects_fetch(mon->c, &o);
	if (r)
		return r;
	if (track(mon, TBS_BUS_PATH, false, o.manager) < 0)
		return ctl_fail("Cannot track the daemon's objects", NULL, -ENOMEM);
	for (size_t i = 0; i < o.n_peers; i++)
		if (add_object(mon, o.peers[i].path, o.peers[i].props, report) < 0)
			return ctl_fail("Cannot track the daemon's objects", NULL, -ENOMEM);
	for (size_t i = 0; i < o.n_streams; i++)
		if (add_object(mon, o.streams[i].path, o.streams[i].props, report) < 0)
			return ctl_fail("Cannot track the daemon's objects", NULL, -ENOMEM);
	return 0;
}

/* Polling runs exactly while the daemon has no watch of ours. */
static void set_watched(Monitor *mon, bool watched)
{
	mon->watched = watched;
	if (!mon->tick)
		return;
	if (!watched)
		(void)sd_event_source_set_time_relative(mon->tick, 0);
	(void)sd_event_source_set_enabled(mon->tick, watched ? SD_EVENT_OFF : SD_EVENT_ONESHOT);
}

static int on_watch_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Monitor *mon = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	/* an older daemon (UnknownMethod) or a full one (TooManyWatchers): keep polling */
	if (e) {
		if (!sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD))
			fprintf(stderr,
				"Cannot watch the throughput (%s), reading counters instead.\n",
				e->message);
		return 0;
	}
	set_watched(mon, true);
	return 0;
}

/* Not auto-started: the monitor watches a daemon that runs, it does not start one. */
static void watch_throughput(Monitor *mon)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

	if (sd_bus_message_new_method_call(mon->c->bus, &m, TBS_BUS_NAME, TBS_BUS_PATH,
					   TBS_IFACE_MANAGER, "WatchThroughput") < 0 ||
	    sd_bus_message_set_auto_start(m, false) < 0 ||
	    sd_bus_call_async(mon->c->bus, NULL, m, on_watch_reply, mon, 0) < 0)
		fprintf(stderr, "Cannot watch the throughput, reading counters instead.\n");
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Monitor *mon = userdata;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0)
		return 0;
	forget_all(mon);
	/* a watch ends with the daemon that had it */
	set_watched(mon, false);
	report_daemon(mon, *new);
	/* a daemon that just started has not announced its objects: read them */
	if (*new &&load(mon, true) == 0)
		watch_throughput(mon);
	return 0;
}

static void report_throughput(Monitor *mon, Tracked *t, uint64_t rx_rate, uint64_t tx_rate,
			      uint64_t interval)
{
	char a[FORMAT_BYTES_MAX], b[FORMAT_BYTES_MAX];
	JsonWriter j;

	event_begin(mon, &j, "throughput", t->path);
	if (mon->c->json != JSON_OFF) {
		json_key(&j, "RxBytesPerSecond");
		json_uint(&j, rx_rate);
		json_key(&j, "TxBytesPerSecond");
		json_uint(&j, tx_rate);
		json_key(&j, "RxBytes");
		json_uint(&j, t->rx);
		json_key(&j, "TxBytes");
		json_uint(&j, t->tx);
		json_key(&j, "IntervalUSec");
		json_uint(&j, interval);
	} else if (!rx_rate && !tx_rate)
		printf("idle");
	else
		printf("rx %s/s, tx %s/s", format_bytes(a, sizeof(a), rx_rate),
		       format_bytes(b, sizeof(b), tx_rate));
	event_end(mon, &j);
}

static uint64_t rate(uint64_t now, uint64_t before, uint64_t usec)
{
	/* a counter that went back belongs to a new stream of the same name */
	if (now < before || !usec)
		return 0;
	return (uint64_t)((double)(now - before) * 1e6 / (double)usec);
}

static int on_counters(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Tracked *t = userdata;
	_cleanup_(value_freep) Value *counters = NULL;
	uint64_t rx, tx, usec = 0, rx_rate, tx_rate;

	t->counters_call = sd_bus_slot_unref(t->counters_call);
	/* a stream that has just gone, or a module without counters: nothing to say */
	if (sd_bus_message_is_method_error(m, NULL) || value_read(m, &counters) < 0 ||
	    !value_get(counters, "rx_bytes"))
		return 0;
	rx = value_get_uint(counters, "rx_bytes", 0);
	tx = value_get_uint(counters, "tx_bytes", 0);
	(void)sd_event_now(t->mon->event, CLOCK_MONOTONIC, &usec);
	if (t->sampled) {
		rx_rate = rate(rx, t->rx, usec - t->usec);
		tx_rate = rate(tx, t->tx, usec - t->usec);
		t->rx = rx;
		t->tx = tx;
		/* report activity, and its end once */
		if (rx_rate || tx_rate || t->active)
			report_throughput(t->mon, t, rx_rate, tx_rate, usec - t->usec);
		t->active = rx_rate || tx_rate;
	}
	t->rx = rx;
	t->tx = tx;
	t->usec = usec;
	t->sampled = true;
	return 0;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	Monitor *mon = userdata;
	int r;

	if (mon->watched)
		return 0; /* the daemon signals the rates: no timer until its watch ends */
	for (size_t i = 0; i < mon->n; i++) {
		Tracked *t = mon->objs[i];
		/* one sample in flight per stream: a slow daemon is not flooded */
		if (!t->stream || t->counters_call)
			continue;
		r = sd_bus_call_method_async(mon->c->bus, &t->counters_call, TBS_BUS_NAME, t->path,
					     "org.freedesktop.DBus.Properties", "Get", on_counters,
					     t, "ss", TBS_IFACE_STREAM, "Counters");
		if (r < 0)
			return sd_event_exit(mon->event, r);
	}
	r = sd_event_source_set_time_relative(s, mon->c->interval_usec);
	return r < 0 ? r : sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int daemon_running(Ctl *c)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int has = 0;

	if (sd_bus_call_method(c->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "NameHasOwner", NULL, &reply, "s",
			       TBS_BUS_NAME) < 0 ||
	    sd_bus_message_read(reply, "b", &has) < 0)
		return 0;
	return has;
}

static int subscribe(Monitor *mon)
{
	sd_bus *bus = mon->c->bus;
	int r;

	r = sd_bus_match_signal(bus, NULL, TBS_BUS_NAME, TBS_BUS_PATH,
				"org.freedesktop.DBus.ObjectManager", "InterfacesAdded", on_added,
				mon);
	if (r >= 0)
		r = sd_bus_match_signal(bus, NULL, TBS_BUS_NAME, TBS_BUS_PATH,
					"org.freedesktop.DBus.ObjectManager", "InterfacesRemoved",
					on_removed, mon);
	if (r >= 0)
		r = sd_bus_add_match(bus, NULL, CHANGED_MATCH, on_changed, mon);
	if (r >= 0)
		r = sd_bus_add_match(bus, NULL, OWNER_MATCH, on_owner_changed, mon);
	return r;
}

int verb_monitor(Ctl *c, int argc, char **argv)
{
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	Monitor mon = {.c = c};
	int r;

	r = ctl_connect(c);
	if (r)
		return r;
	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_bus_attach_event(c->bus, event, 0);
	/* the bus going away ends the loop instead of spinning on a dead socket */
	if (r >= 0)
		r = sd_bus_set_exit_on_disconnect(c->bus, true);
	mon.event = event;
	/* subscribe before reading the state, so no change falls in between */
	if (r >= 0)
		r = subscribe(&mon);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, NULL,
					NULL);
	if (r >= 0)
		r = sd_event_add_time_relative(event, &mon.tick, CLOCK_MONOTONIC, 0, 0, on_tick,
					       &mon);
	if (r < 0) {
		forget_all(&mon);
		return ctl_fail("Cannot start monitoring", NULL, r);
	}
	if (daemon_running(c)) {
		r = load(&mon, false);
		if (r) {
			forget_all(&mon);
			free(mon.objs);
			mon.tick = sd_event_source_unref(mon.tick);
			return r;
		}
		watch_throughput(&mon);
	} else
		fprintf(stderr, "tbstreamd is not running; waiting for it.\n");
	/* on stderr, so JSON on stdout stays one document per line */
	fprintf(stderr, "Monitoring tbstreamd; press Ctrl+C to stop.\n");
	r = sd_event_loop(event);
	forget_all(&mon);
	free(mon.objs);
	mon.tick = sd_event_source_unref(mon.tick);
	if (r < 0)
		return ctl_fail("Monitoring failed", NULL, r);
	return r == 0 ? CTL_EXIT_OK : CTL_EXIT_NO_DAEMON;
}
