/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Manager.WatchThroughput: the streams' byte counters and rates, published at
 * most once a second per stream and only while someone watches. With no
 * watcher there is no timer at all, so an idle desktop causes no wake-ups.
 *
 * Watching is open to everyone (the counters are readable by all), so it must
 * not be a way to hold the daemon: watches never hold off the idle exit, and
 * one user cannot take every slot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-private.h"
#include "log.h"

#define SAMPLE_USEC (1000000ULL)
/* a late wake-up costs nothing: let the kernel batch ours with others */
#define SAMPLE_ACCURACY_USEC (100000ULL)
#define WATCHES_MAX 64
/* a panel watches once, a tbstreamctl monitor or two beside it: room to spare */
#define WATCHES_PER_UID_MAX 4

static bool read_u64(const char *dir, const char *attr, uint64_t *ret)
{
	char buf[32], *end;
	unsigned long long v;

	if (!dir || tbs_read_attr(dir, attr, buf, sizeof(buf)) <= 0)
		return false;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

static uint64_t rate(uint64_t now, uint64_t then, uint64_t elapsed_usec)
{
	/* a counter that went back was reset (module reload): no rate for this period */
	if (now < then || elapsed_usec == 0)
		return 0;
	return (uint64_t)((double)(now - then) * 1e6 / (double)elapsed_usec);
}

static void sample_one(TbsBus *b, BusStream *bs, uint64_t elapsed_usec)
{
	const TbsStream *s = bs->s;
	const char *changed[5];
	unsigned n = 0;
	uint64_t rx = bs->rx_bytes, tx = bs->tx_bytes, rx_rate = 0, tx_rate = 0;
	int r;

	if (s->index >= 0 && read_u64(s->dir, "rx_bytes", &rx) &&
	    read_u64(s->dir, "tx_bytes", &tx) && bs->sampled) {
		rx_rate = rate(rx, bs->rx_bytes, elapsed_usec);
		tx_rate = rate(tx, bs->tx_bytes, elapsed_usec);
	}
	bs->sampled = true;
	if (rx != bs->rx_bytes)
		changed[n++] = "RxBytes";
	if (tx != bs->tx_bytes)
		changed[n++] = "TxBytes";
	if (rx_rate != bs->rx_rate)
		changed[n++] = "RxRate";
	if (tx_rate != bs->tx_rate)
		changed[n++] = "TxRate";
	changed[n] = NULL;
	bs->rx_bytes = rx;
	bs->tx_bytes = tx;
	bs->rx_rate = rx_rate;
	bs->tx_rate = tx_rate;
	if (n > 0 && (r = sd_bus_emit_properties_changed_strv(
			      b->bus, bs->path, TBS_BUS_IFACE_STREAM, (char **)changed)) < 0)
		log_debug_errno(r, "Cannot signal the throughput of %s: %m", s->key);
}

static void sample_all(TbsBus *b, uint64_t now)
{
	uint64_t elapsed = b->sample_last_usec ? now - b->sample_last_usec : 0;
	GHashTableIter it;
	BusStream *bs;

	g_hash_table_iter_init(&it, b->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&bs))
		sample_one(b, bs, elapsed);
	b->sample_last_usec = now;
}

static int on_sample(sd_event_source *s, uint64_t usec, void *userdata)
{
	TbsBus *b = userdata;
	int r;

	sample_all(b, usec);
	r = sd_event_source_set_time(s, usec + SAMPLE_USEC);
	if (r >= 0)
		r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	if (r < 0)
		log_error_errno(r, "Cannot re-arm the throughput timer, rates stop: %m");
	return 0;
}

static int sampling_start(TbsBus *b)
{
	uint64_t now;
	int r;

	if (b->sample)
		return 0;
	r = sd_event_now(b->event, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	r = sd_event_add_time(b->event, &b->sample, CLOCK_MONOTONIC, now + SAMPLE_USEC,
			      SAMPLE_ACCURACY_USEC, on_sample, b);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(b->sample, "throughput");
	/* the first sample is the baseline the first rates are measured from */
	b->sample_last_usec = 0;
	sample_all(b, now);
	log_debug("Throughput sampling started");
	return 0;
}

/* No watcher left: no timer, and rates that nobody measures read 0. */
static void sampling_stop(TbsBus *b)
{
	GHashTableIter it;
	BusStream *bs;

	if (!b->sample)
		return;
	b->sample = sd_event_source_disable_unref(b->sample);
	g_hash_table_iter_init(&it, b->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&bs)) {
		bool was_nonzero = bs->rx_rate || bs->tx_rate;

		bs->rx_rate = bs->tx_rate = 0;
		bs->sampled = false;
		if (was_nonzero)
			(void)sd_bus_emit_properties_changed(b->bus, bs->path, TBS_BUS_IFACE_STREAM,
							     "RxRate", "TxRate", NULL);
	}
	/*
	 * Not bus activity for the idle exit: anyone may watch and unwatch, and a
	 * loop of both must not keep restarting the quiet period.
	 */
	log_debug("Throughput sampling stopped: nobody watches");
}

/* One caller's watches: each WatchThroughput counts, each UnwatchThroughput takes one back. */
typedef struct Watcher {
	TbsBus *b;
	char *name;
	uid_t uid; /* as the bus daemon knows the connection */
	unsigned n;
	TbsNameWatch *watch; /* until the caller leaves */
} Watcher;

static void watcher_free(void *p)
{
	Watcher *w = p;

	tbs_name_watch_free(w->watch);
	g_free(w->name);
	g_free(w);
}

static void watcher_drop(TbsBus *b, const char *name)
{
	g_hash_table_remove(b->watchers, name);
	if (g_hash_table_size(b->watchers) == 0)
		sampling_stop(b);
}

static void on_watcher_gone(TbsNameWatch *nw, int error, void *userdata)
{
	Watcher *w = userdata;

	if (error < 0)
		/* it could leave unnoticed and keep the daemon sampling forever: end its watches */
		log_warning_errno(error, "Cannot watch %s, ending its throughput watches: %m",
				  w->name);
	else
		log_debug("Throughput watcher %s left the bus", w->name);
	watcher_drop(w->b, w->name);
}

#define EVERY_UID ((uid_t)-1)

/* The watches held by uid's connections, or by everyone's (EVERY_UID). */
static unsigned n_watches_of(TbsBus *b, uid_t uid)
{
	GHashTableIter it;
	Watcher *w;
	unsigned n = 0;

	if (!b->watchers)
		return 0;
	g_hash_table_iter_init(&it, b->watchers);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&w))
		if (uid == EVERY_UID || w->uid == uid)
			n += w->n;
	return n;
}

bool tbs_bus_throughput_sampling(TbsBus *b)
{
	return b->sample != NULL;
}

unsigned tbs_bus_n_throughput_watches(TbsBus *b)
{
	return n_watches_of(b, EVERY_UID);
}

static int check_limits(TbsBus *b, uid_t uid, sd_bus_error *error)
{
	if (tbs_bus_n_throughput_watches(b) >= WATCHES_MAX)
		return tbs_bus_error_set_name(
			error, TBS_BUS_ERROR_TOO_MANY_WATCHERS, EUSERS,
			"%d throughput watches exist already; call UnwatchThroughput when done",
			WATCHES_MAX);
	if (n_watches_of(b, uid) >= WATCHES_PER_UID_MAX)
		return tbs_bus_error_set_name(
			error, TBS_BUS_ERROR_TOO_MANY_WATCHERS, EUSERS,
			"uid %u has %d throughput watches already, the most one user may have; "
			"call UnwatchThroughput when done",
			(unsigned)uid, WATCHES_PER_UID_MAX);
	return 0;
}

/* The caller's uid is known and the limits allow one more: count it and answer. */
static int watch_add(TbsBus *b, sd_bus_message *m, uid_t uid, sd_bus_error *error)
{
	const char *sender = sd_bus_message_get_sender(m);
	Watcher *w;
	int r;

	r = check_limits(b, uid, error);
	if (r < 0) {
		log_debug("Throughput watch refused to %s: %s", sender, error->message);
		return r;
	}
	if (!b->watchers)
		b->watchers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, watcher_free);
	w = g_hash_table_lookup(b->watchers, sender);
	if (!w) {
		w = g_new0(Watcher, 1);
		w->b = b;
		w->name = g_strdup(sender);
		w->uid = uid;
		/* asynchronous: a caller that left already is dropped by the first answer */
		r = tbs_name_watch_new(b->bus, sender, on_watcher_gone, w, &w->watch);
		if (r < 0) {
			log_warning_errno(r, "Cannot watch %s for its throughput watch: %m",
					  sender);
			watcher_free(w);
			return tbs_bus_error_set(error, r, "Cannot track the caller: %s",
						 strerror(-r));
		}
		g_hash_table_insert(b->watchers, w->name, w);
	}
	r = sampling_start(b);
	if (r < 0) {
		log_error_errno(r, "Cannot start sampling throughput: %m");
		if (w->n == 0)
			watcher_drop(b, sender);
		return tbs_bus_error_set(error, r, "Cannot start sampling: %s", strerror(-r));
	}
	w->n++;
	log_debug("Throughput watch added by %s, uid %u (%u in all)", sender, (unsigned)uid,
		  tbs_bus_n_throughput_watches(b));
	return sd_bus_reply_method_return(m, NULL);
}

typedef struct WatchCall {
	TbsBus *b;
	TbsCallerCreds creds;
} WatchCall;

static void watch_call_free(void *p)
{
	WatchCall *wc = p;

	tbs_caller_creds_clear(&wc->creds);
	g_free(wc);
}

static void on_watch_creds(sd_bus_message *m, int r, const sd_bus_error *error, void *userdata)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	WatchCall *wc = userdata;

	if (r == -ECANCELED)
		return;
	if (r < 0) {
		tbs_polkit_reply_error(m, error);
		return;
	}
	/* other watches may have come while the bus answered: the limits are checked now */
	r = bus_refuse_if_exiting(wc->b, m, "a throughput watch", &e);
	if (r >= 0)
		r = watch_add(wc->b, m, wc->creds.uid, &e);
	if (r < 0 && sd_bus_error_is_set(&e))
		tbs_polkit_reply_error(m, &e);
	else if (r < 0)
		log_debug_errno(r, "Cannot reply to %s: %m", strna(sd_bus_message_get_sender(m)));
}

int bus_throughput_method_watch(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	const char *sender;
	WatchCall *wc;
	Watcher *w;
	int r;

	/* a watch would end with this instance in a moment: the caller should watch the next */
	r = bus_refuse_if_exiting(b, m, "a throughput watch", error);
	if (r < 0)
		return r;
	/* cheap to answer before asking the bus who this is */
	if (tbs_bus_n_throughput_watches(b) >= WATCHES_MAX)
		return check_limits(b, EVERY_UID, error);
	sender = sd_bus_message_get_sender(m);
	if (!sender)
		return tbs_bus_error_set(error, -EINVAL, "A throughput watch needs a bus name");
	w = b->watchers ? g_hash_table_lookup(b->watchers, sender) : NULL;
	if (w)
		return watch_add(b, m, w->uid, error);
	/* the limit is per user: a user could open connections until every slot is theirs */
	wc = g_new0(WatchCall, 1);
	wc->b = b;
	r = tbs_polkit_caller_creds(b->polkit, m, &wc->creds, on_watch_creds, wc, watch_call_free);
	if (r < 0)
		return tbs_bus_error_set(error, r, "Cannot learn who the caller is: %s",
					 strerror(-r));
	return 1;
}

int bus_throughput_method_unwatch(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	const char *sender = sd_bus_message_get_sender(m);
	Watcher *w = b->watchers && sender ? g_hash_table_lookup(b->watchers, sender) : NULL;

	if (!w || w->n == 0)
		return tbs_bus_error_set_name(error, TBS_BUS_ERROR_NOT_WATCHING, ESRCH,
					      "%s has no throughput watch to end", strna(sender));
	/* the last one stops sampling at once */
	if (--w->n == 0)
		watcher_drop(b, sender);
	return sd_bus_reply_method_return(m, NULL);
}

void bus_throughput_free(TbsBus *b)
{
	b->sample = sd_event_source_disable_unref(b->sample);
	if (b->watchers)
		g_hash_table_unref(b->watchers);
	b->watchers = NULL;
}
