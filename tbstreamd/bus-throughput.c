/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Manager.WatchThroughput: the streams' byte counters and rates, published at
 * most once a second per stream and only while someone watches. With no
 * watcher there is no timer at all, so an idle desktop causes no wake-ups.
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
	if (n > 0 && (r = sd_bus_emit_properties_changed_strv(b->bus, bs->path,
							       TBS_BUS_IFACE_STREAM,
							       (char **)changed)) < 0)
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
	log_debug("Throughput sampling stopped: nobody watches");
	/* the watch kept the daemon from its idle exit: the quiet period starts now */
	if (b->activity)
		b->activity(b->activity_userdata);
}

static int on_watchers_gone(sd_bus_track *t, void *userdata)
{
	TbsBus *b = userdata;

	b->watchers = sd_bus_track_unref(b->watchers);
	sampling_stop(b);
	return 0;
}

unsigned bus_throughput_n_watches(TbsBus *b)
{
	unsigned n = 0;

	if (!b->watchers)
		return 0;
	for (const char *name = sd_bus_track_first(b->watchers); name;
	     name = sd_bus_track_next(b->watchers))
		n += (unsigned)MAX(sd_bus_track_count_name(b->watchers, name), 0);
	return n;
}

bool tbs_bus_throughput_sampling(TbsBus *b)
{
	return b->sample != NULL;
}

int bus_throughput_method_watch(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	int r;

	if (bus_throughput_n_watches(b) >= WATCHES_MAX)
		return tbs_bus_error_set_name(
			error, TBS_BUS_ERROR_TOO_MANY_WATCHERS, EUSERS,
			"%d throughput watches exist already; call UnwatchThroughput when done",
			WATCHES_MAX);
	if (!b->watchers) {
		r = sd_bus_track_new(b->bus, &b->watchers, on_watchers_gone, b);
		if (r >= 0)
			r = sd_bus_track_set_recursive(b->watchers, true);
		if (r < 0) {
			b->watchers = sd_bus_track_unref(b->watchers);
			log_error_errno(r, "Cannot track throughput watchers: %m");
			return tbs_bus_error_set(error, r, "Cannot track watchers: %s",
						 strerror(-r));
		}
	}
	r = sd_bus_track_add_sender(b->watchers, m);
	if (r < 0) {
		log_warning_errno(r, "Cannot watch %s for its throughput watch: %m",
				  strna(sd_bus_message_get_sender(m)));
		if (sd_bus_track_count(b->watchers) == 0)
			b->watchers = sd_bus_track_unref(b->watchers);
		return tbs_bus_error_set(error, r, "Cannot track the caller: %s", strerror(-r));
	}
	r = sampling_start(b);
	if (r < 0) {
		log_error_errno(r, "Cannot start sampling throughput: %m");
		(void)sd_bus_track_remove_sender(b->watchers, m);
		return tbs_bus_error_set(error, r, "Cannot start sampling: %s", strerror(-r));
	}
	log_debug("Throughput watch added by %s (%u in all)", strna(sd_bus_message_get_sender(m)),
		  bus_throughput_n_watches(b));
	return sd_bus_reply_method_return(m, NULL);
}

int bus_throughput_method_unwatch(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	int r;

	if (!b->watchers || sd_bus_track_count_sender(b->watchers, m) <= 0)
		return tbs_bus_error_set_name(error, TBS_BUS_ERROR_NOT_WATCHING, ESRCH,
					      "%s has no throughput watch to end",
					      strna(sd_bus_message_get_sender(m)));
	r = sd_bus_track_remove_sender(b->watchers, m);
	if (r < 0)
		return tbs_bus_error_set(error, r, "Cannot end the watch: %s", strerror(-r));
	/* at once, not when sd-bus gets round to the empty tracker's handler */
	if (sd_bus_track_count(b->watchers) == 0) {
		b->watchers = sd_bus_track_unref(b->watchers);
		sampling_stop(b);
	}
	return sd_bus_reply_method_return(m, NULL);
}

void bus_throughput_free(TbsBus *b)
{
	b->sample = sd_event_source_disable_unref(b->sample);
	b->watchers = sd_bus_track_unref(b->watchers);
}
