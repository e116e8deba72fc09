/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus.h"
#include "objects.h"

/* A UUID prefix shorter than the masked display's first group is too easy to mistype. */
#define MIN_UUID_PREFIX 8

void objects_free(Objects *o)
{
	for (size_t i = 0; i < o->n_peers; i++) {
		free(o->peers[i].path);
		value_free(o->peers[i].props);
	}
	for (size_t i = 0; i < o->n_streams; i++) {
		free(o->streams[i].path);
		value_free(o->streams[i].props);
	}
	free(o->peers);
	free(o->streams);
	value_free(o->manager);
	*o = (Objects){};
}

static int add(Object **list, size_t *n, const char *path, Value *props)
{
	Object *l = reallocarray(*list, *n + 1, sizeof(**list));

	if (!l)
		return -ENOMEM;
	*list = l;
	l[*n].path = strdup(path);
	if (!l[*n].path)
		return -ENOMEM;
	l[*n].props = props;
	(*n)++;
	return 0;
}

/* One a{sa{sv}} of GetManagedObjects: keep our interface's properties. */
static int read_object(sd_bus_message *m, const char *path, Objects *o)
{
	const char *iface;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
		Value *props = NULL;

		r = sd_bus_message_read(m, "s", &iface);
		if (r < 0)
			return r;
		if (strcmp(iface, TBS_IFACE_PEER) != 0 && strcmp(iface, TBS_IFACE_STREAM) != 0)
			r = sd_bus_message_skip(m, "a{sv}");
		else {
			r = value_read(m, &props);
			if (r >= 0)
				r = strcmp(iface, TBS_IFACE_PEER) == 0
					    ? add(&o->peers, &o->n_peers, path, props)
					    : add(&o->streams, &o->n_streams, path, props);
			if (r < 0)
				value_free(props);
		}
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int cmp_peers(const void *a, const void *b)
{
	const Object *x = a, *y = b;
	int d = strcmp(value_get_str(x->props, "DisplayName", ""),
		       value_get_str(y->props, "DisplayName", ""));

	return d ? d : strcmp(x->path, y->path);
}

static int cmp_streams(const void *a, const void *b)
{
	const Object *x = a, *y = b;
	int d = strcmp(value_get_str(x->props, "Group", ""), value_get_str(y->props, "Group", ""));

	if (!d)
		d = strcmp(value_get_str(x->props, "Name", ""),
			   value_get_str(y->props, "Name", ""));
	return d ? d : strcmp(x->path, y->path);
}

int objects_fetch(Ctl *c, Objects *o)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;
	int r;

	*o = (Objects){};
	r = ctl_get_all(c, "Cannot read the daemon's state", TBS_BUS_PATH, TBS_IFACE_MANAGER,
			&o->manager);
	if (r)
		return r;
	r = sd_bus_call_method(c->bus, TBS_BUS_NAME, TBS_BUS_PATH,
			       "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &error,
			       &reply, NULL);
	if (r < 0)
		return ctl_fail("Cannot list peers and streams", &error, r);
	r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
		r = sd_bus_message_read(reply, "o", &path);
		if (r >= 0)
			r = read_object(reply, path, o);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	if (r < 0) {
		objects_free(o);
		return ctl_fail("Cannot parse the list of peers and streams", NULL, r);
	}
	if (o->n_peers)
		qsort(o->peers, o->n_peers, sizeof(*o->peers), cmp_peers);
	if (o->n_streams)
		qsort(o->streams, o->n_streams, sizeof(*o->streams), cmp_streams);
	return 0;
}

const Object *objects_peer_by_path(const Objects *o, const char *path)
{
	for (size_t i = 0; i < o->n_peers; i++)
		if (strcmp(o->peers[i].path, path) == 0)
			return &o->peers[i];
	return NULL;
}

static bool is_uuid_prefix(const char *arg, const char *uuid)
{
	size_t n = strlen(arg);

	if (n < MIN_UUID_PREFIX || !*uuid || n > strlen(uuid))
		return false;
	return strncasecmp(arg, uuid, n) == 0;
}

/*
 * Matches in tiers, most specific first; the first tier with any match wins.
 * Fills out (room for every peer) and returns the number of matches.
 */
static size_t match_peers(const Objects *o, const char *arg, const Object **out)
{
	for (int tier = 0; tier < 4; tier++) {
		size_t n = 0;

		for (size_t i = 0; i < o->n_peers; i++) {
			const Object *p = &o->peers[i];
			const Value *v = p->props;
			bool hit;

			switch (tier) {
			case 0:
				hit = strcmp(p->path, arg) == 0 ||
				      strcasecmp(value_get_str(v, "Id", ""), arg) == 0 ||
				      (*value_get_str(v, "UUID", "") &&
				       strcasecmp(value_get_str(v, "UUID", ""), arg) == 0);
				break;
			case 1:
				hit = strcmp(value_get_str(v, "Label", ""), arg) == 0;
				break;
			case 2:
				hit = strcmp(value_get_str(v, "Name", ""), arg) == 0;
				break;
			default:
				hit = is_uuid_prefix(arg, value_get_str(v, "UUID", ""));
				break;
			}
			if (hit && *arg)
				out[n++] = p;
		}
		if (n)
			return n;
	}
	return 0;
}

static size_t match_streams(const Objects *o, const char *arg, const Object **out)
{
	const char *slash = strchr(arg, '/');
	size_t n = 0;

	if (arg[0] == '/') {
		for (size_t i = 0; i < o->n_streams; i++)
			if (strcmp(o->streams[i].path, arg) == 0)
				out[n++] = &o->streams[i];
		return n;
	}
	if (!slash) {
		for (size_t i = 0; i < o->n_streams; i++)
			if (strcmp(value_get_str(o->streams[i].props, "Name", ""), arg) == 0)
				out[n++] = &o->streams[i];
		return n;
	}

	/* PEER/NAME or GROUP/NAME */
	_cleanup_(freep) char *left = strndup(arg, (size_t)(slash - arg));
	_cleanup_(freep) const Object **peers = calloc(o->n_peers + 1, sizeof(*peers));
	size_t n_peers;

	if (!left || !peers)
		return 0;
	n_peers = match_peers(o, left, peers);
	for (size_t i = 0; i < o->n_streams; i++) {
		const Value *v = o->streams[i].props;
		bool hit = strcmp(value_get_str(v, "Group", ""), left) == 0;

		if (strcmp(value_get_str(v, "Name", ""), slash + 1) != 0)
			continue;
		for (size_t k = 0; !hit && k < n_peers; k++)
			hit = strcmp(value_get_str(v, "Peer", ""), peers[k]->path) == 0;
		if (hit)
			out[n++] = &o->streams[i];
	}
	return n;
}

static void print_candidates(const char *arg, const char *kind, const Object **c, size_t n,
			     bool stream)
{
	fprintf(stderr, "tbstreamctl: '%s' names %zu %ss:", arg, n, kind);
	for (size_t i = 0; i < n; i++) {
		const Value *v = c[i]->props;
		if (stream)
			fprintf(stderr, " %s/%s", value_get_str(v, "Group", "?"),
				value_get_str(v, "Name", "?"));
		else
			fprintf(stderr, " %s", value_get_str(v, "Id", "?"));
	}
	fprintf(stderr, "; name one of them\n");
}

static const Object *find(const Objects *o, const char *arg, int *code, bool stream)
{
	size_t room = (stream ? o->n_streams : o->n_peers) + 1;
	_cleanup_(freep) const Object **c = calloc(room, sizeof(*c));
	const char *kind = stream ? "stream" : "peer";
	size_t n;

	if (!c) {
		*code = ctl_fail("Cannot look up the argument", NULL, -ENOMEM);
		return NULL;
	}
	n = stream ? match_streams(o, arg, c) : match_peers(o, arg, c);
	if (n == 1)
		return c[0];
	if (n == 0) {
		fprintf(stderr, "tbstreamctl: No %s '%s' (see 'tbstreamctl list')\n", kind, arg);
		*code = CTL_EXIT_NOT_FOUND;
	} else {
		print_candidates(arg, kind, c, n, stream);
		*code = CTL_EXIT_USAGE;
	}
	return NULL;
}

const Object *objects_find_peer(const Objects *o, const char *arg, int *code)
{
	return find(o, arg, code, false);
}

const Object *objects_find_stream(const Objects *o, const char *arg, int *code)
{
	return find(o, arg, code, true);
}

int objects_find_any(const Objects *o, const char *arg, const Object **peer, const Object **stream)
{
	_cleanup_(freep) const Object **p = calloc(o->n_peers + 1, sizeof(*p));
	_cleanup_(freep) const Object **s = calloc(o->n_streams + 1, sizeof(*s));
	size_t np, ns;
	int code = 0;

	*peer = *stream = NULL;
	if (!p || !s)
		return ctl_fail("Cannot look up the argument", NULL, -ENOMEM);
	np = match_peers(o, arg, p);
	ns = match_streams(o, arg, s);
	if (np && ns) {
		fprintf(stderr,
			"tbstreamctl: '%s' names both a peer and a stream; use PEER/NAME for the "
			"stream or the peer's Id\n",
			arg);
		return CTL_EXIT_USAGE;
	}
	if (np)
		*peer = objects_find_peer(o, arg, &code);
	else if (ns)
		*stream = objects_find_stream(o, arg, &code);
	else {
		fprintf(stderr, "tbstreamctl: No peer or stream '%s' (see 'tbstreamctl list')\n",
			arg);
		code = CTL_EXIT_NOT_FOUND;
	}
	return code;
}

void object_to_json(const Object *obj, JsonWriter *j)
{
	const Value *v = obj->props;

	json_begin_object(j);
	json_key(j, "Path");
	json_string(j, obj->path);
	for (size_t i = 0; v && i + 1 < v->n_items; i += 2) {
		if (v->items[i]->kind != VALUE_STRING)
			continue;
		json_key(j, v->items[i]->str);
		value_to_json(v->items[i + 1], j);
	}
	json_end_object(j);
}

static int load_and_find(Ctl *c, Objects *o, const char *arg, const Object **ret,
			 const Object *(*lookup)(const Objects *, const char *, int *))
{
	int r;

	r = ctl_connect(c);
	if (!r)
		r = objects_fetch(c, o);
	if (r)
		return r;
	*ret = lookup(o, arg, &r);
	return *ret ? 0 : r;
}

int objects_load_peer(Ctl *c, Objects *o, const char *arg, const Object **ret)
{
	return load_and_find(c, o, arg, ret, objects_find_peer);
}

int objects_load_stream(Ctl *c, Objects *o, const char *arg, const Object **ret)
{
	return load_and_find(c, o, arg, ret, objects_find_stream);
}
