/* SPDX-License-Identifier: GPL-2.0-or-later */
/* list and info: what the daemon knows, for people (a tree) and programs (JSON). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "objects.h"

#define KEY_WIDTH 12

static bool stream_of(const Object *stream, const Object *peer)
{
	return strcmp(value_get_str(stream->props, "Peer", "/"), peer->path) == 0;
}

static void print_peer_name(const Value *p)
{
	const char *label = value_get_str(p, "Label", ""), *name = value_get_str(p, "Name", "");

	fputs_safe(value_get_str(p, "DisplayName", "?"), stdout);
	if (*label && *name && strcmp(label, name) != 0) {
		fputs(" (", stdout);
		fputs_safe(name, stdout);
		fputc(')', stdout);
	}
}

static void print_peer_summary(const Value *p)
{
	const char *vendor = value_get_str(p, "Vendor", ""), *rule = value_get_str(p, "Rule", "");
	bool connected = value_get_bool(p, "Connected", false);
	char speed[64];

	if (*vendor) {
		fputs_safe(vendor, stdout);
		fputs(", ", stdout);
	}
	printf("%s", connected ? "connected" : "not connected");
	if (connected)
		printf(", %s", format_speed(speed, sizeof(speed), p));
	printf(", %s, ", value_get_bool(p, "Trusted", false) ? "trusted" : "not trusted");
	printf("%s", value_get_bool(p, "Allowed", false) ? "allowed" : "not allowed");
	if (*rule) {
		fputs(" by rule \"", stdout);
		fputs_safe(rule, stdout);
		fputc('"', stdout);
	}
	fputc('\n', stdout);
}

static void print_counters_short(const Value *s)
{
	const Value *counters = value_get(s, "Counters");
	char rx[FORMAT_BYTES_MAX], tx[FORMAT_BYTES_MAX];

	/* upstream's module has no counters: then say nothing rather than 0 */
	if (!counters || !value_get(counters, "rx_bytes"))
		return;
	printf("  rx %s  tx %s",
	       format_bytes(rx, sizeof(rx), value_get_uint(counters, "rx_bytes", 0)),
	       format_bytes(tx, sizeof(tx), value_get_uint(counters, "tx_bytes", 0)));
}

static void print_state(const Value *s)
{
	const char *error = value_get_str(s, "Error", "");

	fputs_safe(value_get_str(s, "State", "?"), stdout);
	if (*error) {
		fputs(" (", stdout);
		fputs_safe(error, stdout);
		fputc(')', stdout);
	}
}

/* The streams of one peer (or of none: peer NULL) as tree rows. */
static void print_stream_rows(const Objects *o, const Object *peer, const char *indent)
{
	size_t wname = 0, wdev = 1, n = 0, k = 0;

	for (size_t i = 0; i < o->n_streams; i++) {
		const Object *s = &o->streams[i];
		if (peer ? !stream_of(s, peer)
			 : !!objects_peer_by_path(o, value_get_str(s->props, "Peer", "/")))
			continue;
		n++;
		if (width_safe(value_get_str(s->props, "Name", "")) > wname)
			wname = width_safe(value_get_str(s->props, "Name", ""));
		if (width_safe(value_get_str(s->props, "Device", "")) > wdev)
			wdev = width_safe(value_get_str(s->props, "Device", ""));
	}
	if (!n) {
		printf("%s(no streams)\n", indent);
		return;
	}
	for (size_t i = 0; i < o->n_streams; i++) {
		const Object *s = &o->streams[i];
		const char *dev = value_get_str(s->props, "Device", ""),
			   *link = value_get_str(s->props, "LinkState", "");
		if (peer ? !stream_of(s, peer)
			 : !!objects_peer_by_path(o, value_get_str(s->props, "Peer", "/")))
			continue;
		printf("%s%s", indent, glyph_branch(++k == n));
		if (!peer) {
			fputs_safe(value_get_str(s->props, "Group", ""), stdout);
			fputc('/', stdout);
		}
		fputs_safe_pad(value_get_str(s->props, "Name", ""), wname, stdout);
		fputs("  ", stdout);
		fputs_safe_pad(*dev ? dev : "-", wdev, stdout);
		fputs("  ", stdout);
		print_state(s->props);
		if (*link) {
			fputs(", link ", stdout);
			fputs_safe(link, stdout);
		}
		print_counters_short(s->props);
		fputc('\n', stdout);
	}
}

static void list_json(const Ctl *c, const Objects *o)
{
	JsonWriter j;

	json_init(&j, stdout, c->json == JSON_PRETTY);
	json_begin_object(&j);
	json_key(&j, "Manager");
	value_to_json(o->manager, &j);
	json_key(&j, "Peers");
	json_begin_array(&j);
	for (size_t i = 0; i < o->n_peers; i++)
		object_to_json(&o->peers[i], &j);
	json_end_array(&j);
	json_key(&j, "Streams");
	json_begin_array(&j);
	for (size_t i = 0; i < o->n_streams; i++)
		object_to_json(&o->streams[i], &j);
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

/* One identifier per line that PEER and STREAM arguments accept (scripts, completion). */
static void list_quiet(const Objects *o)
{
	for (size_t i = 0; i < o->n_peers; i++) {
		fputs_safe(value_get_str(o->peers[i].props, "Id", ""), stdout);
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < o->n_streams; i++) {
		fputs_safe(value_get_str(o->streams[i].props, "Group", ""), stdout);
		fputc('/', stdout);
		fputs_safe(value_get_str(o->streams[i].props, "Name", ""), stdout);
		fputc('\n', stdout);
	}
}

static void list_tree(const Ctl *c, const Objects *o)
{
	bool orphans = false;

	/* the legend: the daemon's state (with what is wrong with the policy) and "No peers." */
	if (c->legend) {
		printf("tbstreamd %s: ", value_get_str(o->manager, "Version", "?"));
		fputs_safe(value_get_str(o->manager, "State", "?"), stdout);
		fputs(", ", stdout);
		fputs_safe(value_get_str(o->manager, "Status", ""), stdout);
		fputc('\n', stdout);
		print_policy_errors(o->manager, "  policy error: ");
		if (!o->n_peers)
			printf("\nNo peers.\n");
	}
	for (size_t i = 0; i < o->n_peers; i++) {
		const Value *p = o->peers[i].props;
		_cleanup_(freep) char *id = format_peer_id(p, c->show_uuid);

		if (c->legend || i > 0)
			fputc('\n', stdout);
		printf("%s ", glyph_bullet());
		print_peer_name(p);
		fputs("  ", stdout);
		fputs_safe(id ? id : "?", stdout);
		fputs("\n  ", stdout);
		print_peer_summary(p);
		print_stream_rows(o, &o->peers[i], "  ");
	}
	for (size_t i = 0; i < o->n_streams; i++)
		orphans |=
			!objects_peer_by_path(o, value_get_str(o->streams[i].props, "Peer", "/"));
	if (orphans) {
		printf("\nStreams of no known peer:\n");
		print_stream_rows(o, NULL, "  ");
	}
}

int verb_list(Ctl *c, int argc, char **argv)
{
	_cleanup_(objects_free) Objects o = {};
	int r;

	r = ctl_connect(c);
	if (r)
		return r;
	r = objects_fetch(c, &o);
	if (r)
		return r;
	if (c->json != JSON_OFF)
		list_json(c, &o);
	else if (c->quiet)
		list_quiet(&o);
	else
		list_tree(c, &o);
	return CTL_EXIT_OK;
}

static void key(const char *k)
{
	printf("%*s: ", KEY_WIDTH, k);
}

static void key_str(const char *k, const char *v)
{
	key(k);
	fputs_safe(v, stdout);
	fputc('\n', stdout);
}

static void key_int(const char *k, int64_t v, const char *unit)
{
	key(k);
	if (v < 0)
		printf("unknown\n");
	else
		printf("%" PRId64 "%s\n", v, unit);
}

/*
 * The enrollment and, when the administrator's policy denies the peer anyway,
 * the rule that does: without it "Allowed: no" of an enrolled peer looks like
 * a failed enroll.
 */
static void key_enrollment(const Value *p)
{
	const Value *profile = value_get(p, "Profile"), *streams = value_get(profile, "Streams");
	const char *override = value_get_str(p, "PolicyOverride", "");
	uint64_t owner = value_get_uint(profile, "Owner", UINT32_MAX);
	uint64_t group = value_get_uint(profile, "Group", UINT32_MAX);
	uint64_t mode = value_get_uint(profile, "Mode", UINT32_MAX);

	key("Enrolled");
	if (!value_get_bool(p, "Enrolled", false)) {
		printf("no\n");
		return;
	}
	printf("yes, streams ");
	for (size_t i = 0; streams && streams->kind == VALUE_ARRAY && i < streams->n_items; i++) {
		fputs(i ? ", " : "", stdout);
		fputs_safe(streams->items[i]->str ? streams->items[i]->str : "?", stdout);
	}
	if (!streams || !streams->n_items)
		printf("(none)");
	printf(", %s", value_get_bool(profile, "Persistent", false) ? "kept on unplug"
								    : "removed on unplug");
	if (owner != UINT32_MAX)
		printf(", owner %" PRIu64, owner);
	if (group != UINT32_MAX)
		printf(", group %" PRIu64, group);
	if (mode != UINT32_MAX)
		printf(", mode %04" PRIo64, mode);
	fputc('\n', stdout);
	if (*override) {
		key("Overridden");
		printf("denied by policy rule \"");
		fputs_safe(override, stdout);
		printf("\" despite the enrollment\n");
	}
}

static void info_peer(const Ctl *c, const Objects *o, const Object *peer)
{
	const Value *p = peer->props;
	const char *label = value_get_str(p, "Label", ""), *group = value_get_str(p, "Group", "");
	const char *rule = value_get_str(p, "Rule", "");
	_cleanup_(freep) char *id = format_peer_id(p, c->show_uuid);
	char buf[64];
	bool first = true;

	key_str("Peer", value_get_str(p, "DisplayName", "?"));
	key_str("Name", value_get_str(p, "Name", ""));
	key_str("Label", *label ? label : "(none)");
	key_str("Id", id ? id : "?");
	key("Vendor");
	fputs_safe(value_get_str(p, "Vendor", ""), stdout);
	printf(" (%04" PRIx64 ":%04" PRIx64 ")\n", value_get_uint(p, "VendorId", 0),
	       value_get_uint(p, "DeviceId", 0));
	key("Connected");
	if (value_get_bool(p, "Connected", false)) {
		printf("yes, group ");
		fputs_safe(group, stdout);
		printf(", %s\n", format_speed(buf, sizeof(buf), p));
	} else
		printf("no\n");
	key_int("Max HopID", (int64_t)value_get_uint(p, "MaxHopID", 0), "");
	key_str("Trusted", value_get_bool(p, "Trusted", false) ? "yes" : "no");
	key("Allowed");
	printf("%s", value_get_bool(p, "Allowed", false) ? "yes" : "no");
	if (*rule) {
		printf(", rule \"");
		fputs_safe(rule, stdout);
		printf("\"");
	}
	fputc('\n', stdout);
	key_enrollment(p);
	key_str("First seen", format_time(buf, sizeof(buf), value_get_uint(p, "FirstSeen", 0)));
	key_str("Last seen", format_time(buf, sizeof(buf), value_get_uint(p, "LastSeen", 0)));
	key("Streams");
	for (size_t i = 0; i < o->n_streams; i++) {
		if (!stream_of(&o->streams[i], peer))
			continue;
		fputs(first ? "" : ", ", stdout);
		fputs_safe(value_get_str(o->streams[i].props, "Name", ""), stdout);
		first = false;
	}
	printf("%s\n", first ? "(none)" : "");
	/* the path encodes the UUID */
	if (c->show_uuid)
		key_str("Path", peer->path);
}

static void key_counters(const Value *counters, const char *k, const char *dir)
{
	char name[32], bytes[FORMAT_BYTES_MAX];

	key(k);
	snprintf(name, sizeof(name), "%s_bytes", dir);
	printf("%s", format_bytes(bytes, sizeof(bytes), value_get_uint(counters, name, 0)));
	snprintf(name, sizeof(name), "%s_frames", dir);
	printf(" in %" PRIu64 " frames", value_get_uint(counters, name, 0));
	snprintf(name, sizeof(name), "%s_errors", dir);
	printf(", %" PRIu64 " errors\n", value_get_uint(counters, name, 0));
}

static void info_stream(const Ctl *c, const Objects *o, const Object *stream)
{
	const Value *s = stream->props;
	const Object *peer = objects_peer_by_path(o, value_get_str(s, "Peer", "/"));
	const char *dev = value_get_str(s, "Device", ""), *link = value_get_str(s, "LinkState", "");
	const Value *counters = value_get(s, "Counters");

	key_str("Stream", value_get_str(s, "Name", "?"));
	key("Peer");
	if (peer) {
		_cleanup_(freep) char *id = format_peer_id(peer->props, c->show_uuid);
		print_peer_name(peer->props);
		printf(" (");
		fputs_safe(id ? id : "?", stdout);
		printf(")\n");
	} else
		printf("unknown\n");
	key_str("Group", value_get_str(s, "Group", ""));
	key("State");
	print_state(s);
	fputc('\n', stdout);
	key_str("Link", *link ? link : "unknown");
	key_str("Device", *dev ? dev : "(none)");
	key_int("In HopID", value_get_int(s, "InHopID", -1), "");
	key_int("Out HopID", value_get_int(s, "OutHopID", -1), "");
	key_int("Ring size", value_get_int(s, "RingSize", -1), " frames");
	key_int("Throttling", value_get_int(s, "Throttling", -1), " ns");
	key("Origin");
	fputs_safe(value_get_str(s, "Origin", "?"), stdout);
	if (!value_get_bool(s, "Owned", false))
		printf(", not made by tbstreamd");
	else if (value_get_bool(s, "Persistent", false))
		printf(", persistent");
	else if (*value_get_str(s, "Owner", "")) {
		printf(", removed when ");
		fputs_safe(value_get_str(s, "Owner", ""), stdout);
		printf(" leaves the bus");
	}
	fputc('\n', stdout);
	if (counters && value_get(counters, "rx_bytes")) {
		key_counters(counters, "Received", "rx");
		key_counters(counters, "Sent", "tx");
	}
	key_str("Path", stream->path);
}

int verb_info(Ctl *c, int argc, char **argv)
{
	_cleanup_(objects_free) Objects o = {};
	const Object *peer, *stream;
	JsonWriter j;
	int r;

	r = ctl_connect(c);
	if (!r)
		r = objects_fetch(c, &o);
	if (!r)
		r = objects_find_any(&o, argv[1], &peer, &stream);
	if (r)
		return r;
	if (c->json != JSON_OFF) {
		json_init(&j, stdout, c->json == JSON_PRETTY);
		json_begin_object(&j);
		json_key(&j, peer ? "Peer" : "Stream");
		object_to_json(peer ? peer : stream, &j);
		json_end_object(&j);
		json_finish(&j);
	} else if (peer)
		info_peer(c, &o, peer);
	else
		info_stream(c, &o, stream);
	return CTL_EXIT_OK;
}
