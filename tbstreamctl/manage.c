/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verbs that change the daemon's state, each behind a polkit action: request, remove, trust,
 * label, reload. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <systemd/sd-event.h>

#include "bus.h"
#include "format.h"
#include "objects.h"

static int append_options(Ctl *c, sd_bus_message *m)
{
	char hopids[48];
	int r;

	r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0 && c->in_hopid >= 0) {
		snprintf(hopids, sizeof(hopids), "%lld,%lld", (long long)c->in_hopid,
			 (long long)c->out_hopid);
		r = sd_bus_message_append(m, "{sv}", "HopIDs", "s", hopids);
	}
	if (r >= 0 && c->ring_size >= 0)
		r = sd_bus_message_append(m, "{sv}", "RingSize", "u", (uint32_t)c->ring_size);
	if (r >= 0 && c->throttling >= 0)
		r = sd_bus_message_append(m, "{sv}", "Throttling", "u", (uint32_t)c->throttling);
	if (r >= 0 && c->on_unplug)
		r = sd_bus_message_append(m, "{sv}", "OnUnplug", "s", c->on_unplug);
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}", "Persistent", "b", (int)c->persistent);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

static void print_requested(const Ctl *c, const char *path, Value *props, const char *peer_name)
{
	const Object obj = {.path = (char *)path, .props = props};
	JsonWriter j;

	if (c->json != JSON_OFF) {
		json_init(&j, stdout, c->json == JSON_PRETTY);
		json_begin_object(&j);
		json_key(&j, "Stream");
		object_to_json(&obj, &j);
		json_end_object(&j);
		json_finish(&j);
		return;
	}
	printf("Stream ");
	fputs_safe(value_get_str(props, "Name", "?"), stdout);
	printf(" to ");
	fputs_safe(peer_name, stdout);
	printf(" is ready: ");
	fputs_safe(value_get_str(props, "Device", "?"), stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

#define OWNER_MATCH                                                                                \
	"type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"            \
	"member='NameOwnerChanged',arg0='" TBS_BUS_NAME "'"

typedef struct Hold {
	const char *path;
	int code;
} Hold;

static int on_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Hold *h = userdata;
	const char *path;

	if (sd_bus_message_read(m, "o", &path) < 0 || strcmp(path, h->path) != 0)
		return 0;
	fprintf(stderr, "tbstreamctl: The stream was removed.\n");
	h->code = CTL_EXIT_FAILURE;
	return sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)), 0);
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Hold *h = userdata;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || *new)
		return 0;
	fprintf(stderr, "tbstreamctl: tbstreamd left the bus; the stream is gone with it.\n");
	h->code = CTL_EXIT_NO_DAEMON;
	return sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)), 0);
}

/*
 * A stream that is not persistent lives as long as its requester is on the bus,
 * so stay until interrupted (like systemd-inhibit) rather than exit and take
 * it away at once.
 */
static int hold(Ctl *c, sd_event *event, Hold *h)
{
	int r;

	fprintf(stderr, "Holding the stream until interrupted (Ctrl+C); use --persistent to "
			"keep it after tbstreamctl exits.\n");
	r = sd_event_add_signal(event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, NULL,
					NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGHUP | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
	if (r >= 0)
		r = sd_event_loop(event);
	if (r < 0)
		return ctl_fail("Cannot wait for signals", NULL, r);
	return h->code;
}

int verb_request(Ctl *c, int argc, char **argv)
{
	_cleanup_(objects_free) Objects o = {};
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(value_freep) Value *props = NULL;
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	_cleanup_(freep) char *path = NULL;
	const Object *peer;
	const char *p;
	Hold h = {};
	int r;

	r = objects_load_peer(c, &o, argv[1], &peer);
	if (r)
		return r;

	if (!c->persistent) {
		/* watch before asking, so a removal right after the reply is not missed */
		r = sd_event_default(&event);
		if (r >= 0)
			r = sd_bus_attach_event(c->bus, event, 0);
		if (r >= 0)
			r = sd_bus_match_signal(c->bus, NULL, TBS_BUS_NAME, TBS_BUS_PATH,
						"org.freedesktop.DBus.ObjectManager",
						"InterfacesRemoved", on_removed, &h);
		if (r >= 0)
			r = sd_bus_add_match(c->bus, NULL, OWNER_MATCH, on_owner_changed, &h);
		if (r < 0)
			return ctl_fail("Cannot watch the stream", NULL, r);
	}

	r = sd_bus_message_new_method_call(c->bus, &m, TBS_BUS_NAME, TBS_BUS_PATH,
					   TBS_IFACE_MANAGER, "RequestStream");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", value_get_str(peer->props, "Id", ""), argv[2]);
	if (r >= 0)
		r = append_options(c, m);
	if (r < 0)
		return ctl_fail("Cannot build the request", NULL, r);
	r = ctl_call_message(c, "Cannot create the stream", m, &reply);
	if (r)
		return r;
	r = sd_bus_message_read(reply, "o", &p);
	if (r < 0 || !(path = strdup(p)))
		return ctl_fail("Cannot read the reply", NULL, r < 0 ? r : -ENOMEM);
	r = ctl_get_all(c, "Cannot read the new stream", path, TBS_IFACE_STREAM, &props);
	if (r)
		return r;
	print_requested(c, path, props, value_get_str(peer->props, "DisplayName", "?"));
	if (c->persistent)
		return CTL_EXIT_OK;
	h.path = path;
	return hold(c, event, &h);
}

int verb_remove(Ctl *c, int argc, char **argv)
{
	_cleanup_(objects_free) Objects o = {};
	const Object *stream;
	int r;

	r = objects_load_stream(c, &o, argv[1], &stream);
	if (r)
		return r;
	return ctl_call(c, "Cannot remove the stream", NULL, "RemoveStream", "o", stream->path);
}

/* yes/no the way systemd's tools accept it */
static int parse_boolean(const char *s)
{
	static const char *const yes[] = {"yes", "y", "true", "t", "on", "1"};
	static const char *const no[] = {"no", "n", "false", "f", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

static int set_peer(Ctl *c, const char *arg, const char *what, const char *prop, const char *type,
		    const void *value)
{
	_cleanup_(objects_free) Objects o = {};
	const Object *peer;
	int r;

	r = objects_load_peer(c, &o, arg, &peer);
	if (r)
		return r;
	if (type[0] == 'b')
		return ctl_set_property(c, what, peer->path, TBS_IFACE_PEER, prop, type,
					*(const int *)value);
	return ctl_set_property(c, what, peer->path, TBS_IFACE_PEER, prop, type,
				(const char *)value);
}

int verb_trust(Ctl *c, int argc, char **argv)
{
	int b = parse_boolean(argv[2]);

	if (b < 0) {
		fprintf(stderr, "tbstreamctl: trust wants yes or no, not '%s'\n", argv[2]);
		return CTL_EXIT_USAGE;
	}
	return set_peer(c, argv[1], "Cannot set trust", "Trusted", "b", &b);
}

int verb_label(Ctl *c, int argc, char **argv)
{
	return set_peer(c, argv[1], "Cannot set the label", "Label", "s", argv[2]);
}

int verb_reload(Ctl *c, int argc, char **argv)
{
	int r = ctl_connect(c);

	return r ? r : ctl_call(c, "Cannot reload the policy", NULL, "Reload", NULL);
}
