// SPDX-License-Identifier: GPL-2.0
/*
 * kernel/props.c under libFuzzer, in userspace (kernel-shim/).
 *
 * The input is a little program that builds (a) a `stream` directory as a
 * peer could announce it, of any shape the core's parser can produce, and
 * (b) this host's own streams.  Checked:
 *  - tbs_props_find_stream() on the peer's directory returns 0, -ENOENT or
 *    -EINVAL only, and on 0 HopIDs in [8, 2047] that the directory holds;
 *  - what tbs_props_build() announces for our streams, a peer running the
 *    same code finds again with the same HopIDs (the first of a name wins).
 *    This found that a stream named like one of the service's own keys
 *    ("prtcstns") was announced but could never be found: ConfigFS refuses
 *    such names now (corpus/props/regression-*).
 */
#include <string.h>

#include "fuzz.h"
#include "kernel-shim/tbstream-shim.h"

struct mutex tbs_lock;
LIST_HEAD(tbs_groups);

#define MAX_DEPTH 8
#define MAX_OPS 512
#define MAX_STREAMS 64

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t take32(struct input *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | take(in);
	return v;
}

/* A key or name of 0..max bytes (NUL ends it early, as a C string would). */
static void take_string(struct input *in, char *buf, size_t max)
{
	size_t len = take(in) % (max + 1);

	for (size_t i = 0; i < len; i++)
		buf[i] = (char)take(in);
	buf[len] = '\0';
}

static void check_peer_lookup(struct tb_property_dir *dir, const char *name)
{
	struct tb_property *p;
	int in = -1, out = -1;
	int ret = tbs_props_find_stream(dir, name, &in, &out);

	if (ret == -ENOENT || ret == -EINVAL)
		return;
	if (ret != 0)
		abort();
	if (in < TBS_MIN_HOPID || in > TBS_MAX_HOPID || out < TBS_MIN_HOPID || out > TBS_MAX_HOPID)
		abort();
	p = tb_property_find(dir, name, TB_PROPERTY_TYPE_DIRECTORY);
	if (!p)
		abort();
	if (!tb_property_find(p->value.dir, "inhopid", TB_PROPERTY_TYPE_VALUE) ||
	    tb_property_find(p->value.dir, "inhopid", TB_PROPERTY_TYPE_VALUE)->value.immediate !=
		    (u32)in ||
	    tb_property_find(p->value.dir, "outhopid", TB_PROPERTY_TYPE_VALUE)->value.immediate !=
		    (u32)out)
		abort();
}

/* The same keys, types and values in the same order, recursively. */
static bool same_dir(const struct tb_property_dir *a, const struct tb_property_dir *b)
{
	const struct list_head *la = a->properties.next, *lb = b->properties.next;

	if (!a->uuid != !b->uuid || (a->uuid && memcmp(a->uuid, b->uuid, sizeof(*a->uuid))))
		return false;
	for (; la != &a->properties && lb != &b->properties; la = la->next, lb = lb->next) {
		const struct tb_property *pa = list_entry(la, struct tb_property, list);
		const struct tb_property *pb = list_entry(lb, struct tb_property, list);

		if (memcmp(pa->key, pb->key, sizeof(pa->key)) || pa->type != pb->type)
			return false;
		if (pa->type == TB_PROPERTY_TYPE_VALUE &&
		    pa->value.immediate != pb->value.immediate)
			return false;
		if (pa->type == TB_PROPERTY_TYPE_DIRECTORY &&
		    !same_dir(pa->value.dir, pb->value.dir))
			return false;
	}
	return la == &a->properties && lb == &b->properties;
}

/*
 * With one port holding every stream, the port's own directory (7.2's
 * per-service one) is the host's; with neither, the protocol keys alone.
 */
static void check_same_for_port(const struct tb_property_dir *host, struct tbs_port *port)
{
	struct tb_property_dir *own = tbs_props_build(NULL, port);
	struct tb_property_dir *keys = tbs_props_build(NULL, NULL);
	const struct tb_property *p;
	int n = 0;

	if (!own || !keys || !same_dir(host, own))
		abort();
	list_for_each_entry(p, &keys->properties, list)
	{
		if (p->type != TB_PROPERTY_TYPE_VALUE)
			abort();
		n++;
	}
	if (n != 4)
		abort();
	tb_property_free_dir(own);
	tb_property_free_dir(keys);
}

static void check_own_announcement(struct tbs_stream *streams, int count)
{
	struct tbs_fabric fabric = {0};
	struct tbs_port port = {.fabric = &fabric};
	struct tbs_group group = {.port = &port};
	struct tb_property_dir *dir;

	INIT_LIST_HEAD(&group.streams);
	for (int i = 0; i < count; i++)
		list_add_tail(&streams[i].node, &group.streams);
	list_add_tail(&group.node, &tbs_groups);

	dir = tbs_props_build(&fabric, NULL);
	if (!dir)
		abort(); /* every stream here has a name ConfigFS accepts */
	check_same_for_port(dir, &port);
	for (int i = 0; i < count; i++) {
		struct tbs_stream *s = &streams[i], *first = s;
		int in, out, ret;

		if (s->in_hopid < TBS_MIN_HOPID || s->out_hopid < TBS_MIN_HOPID)
			continue;
		for (int j = 0; j < i; j++) {
			if (!strcmp(streams[j].name, s->name) &&
			    streams[j].in_hopid >= TBS_MIN_HOPID &&
			    streams[j].out_hopid >= TBS_MIN_HOPID) {
				first = &streams[j];
				break;
			}
		}
		ret = tbs_props_find_stream(dir, s->name, &in, &out);
		if (ret || in != first->in_hopid || out != first->out_hopid) {
			fprintf(stderr, "announced stream '%s' (%d, %d) found as %d (%d, %d)\n",
				s->name, first->in_hopid, first->out_hopid, ret, in, out);
			abort();
		}
	}
	tb_property_free_dir(dir);
	list_del(&group.node);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct tb_property_dir *stack[MAX_DEPTH];
	struct tbs_stream streams[MAX_STREAMS];
	int depth = 0, nstreams = 0;
	char name[TBS_NAME_MAX + 1];
	char key[TB_PROPERTY_KEY_SIZE + 2];
	char text[32];

	take_string(&in, name, TBS_NAME_MAX);
	stack[0] = tb_property_create_dir(&tbs_service_uuid);
	for (int op = 0; in.n && op < MAX_OPS; op++) {
		struct tb_property_dir *top = stack[depth], *sub;

		switch (take(&in) % 6) {
		case 0:
			take_string(&in, key, sizeof(key) - 1);
			tb_property_add_immediate(top, key, take32(&in));
			break;
		case 1:
			take_string(&in, key, sizeof(key) - 1);
			if (depth + 1 >= MAX_DEPTH)
				break;
			sub = tb_property_create_dir(NULL);
			if (tb_property_add_dir(top, key, sub)) {
				tb_property_free_dir(sub);
				break;
			}
			stack[++depth] = sub;
			break;
		case 2:
			if (depth)
				depth--;
			break;
		case 3:
			take_string(&in, key, sizeof(key) - 1);
			take_string(&in, text, sizeof(text) - 1);
			tb_property_add_text(top, key, text);
			break;
		case 4:
			/* The name under test itself, so lookups do not depend on luck. */
			if (depth + 1 >= MAX_DEPTH)
				break;
			sub = tb_property_create_dir(NULL);
			if (tb_property_add_dir(top, name, sub)) {
				tb_property_free_dir(sub);
				break;
			}
			stack[++depth] = sub;
			break;
		case 5:
			if (nstreams == MAX_STREAMS)
				break;
			/* What ConfigFS lets exist: a 1..8 character name, 0..2047. */
			take_string(&in, streams[nstreams].name, TBS_NAME_MAX);
			if (!streams[nstreams].name[0] ||
			    tbs_props_name_reserved(streams[nstreams].name))
				break;
			streams[nstreams].in_hopid = (int)(take32(&in) % (TBS_MAX_HOPID + 1));
			streams[nstreams].out_hopid = (int)(take32(&in) % (TBS_MAX_HOPID + 1));
			memset(&streams[nstreams].uuid, nstreams, sizeof(uuid_t));
			nstreams++;
			break;
		}
	}
	check_peer_lookup(stack[0], name);
	check_own_announcement(streams, nstreams);
	tb_property_free_dir(stack[0]);
	return 0;
}
