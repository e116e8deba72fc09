/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The D-Bus API a settings panel needs (issue 20): enrollment, controllers,
 * codes beside every text, and throughput published only while watched. The
 * daemon's bus layer on a private system bus with the shipped bus policy,
 * python3-dbusmock's polkitd and umockdev peers; runs under umockdev-wrapper.
 * Every check reads the daemon's state back over D-Bus or from the fake
 * kernel's ConfigFS and the state directory, not from what a call returned.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/helpers.h"
#include "bus-errors.h"
#include "bus-world.h"
#include "idle.h"

#define UUID_A "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d"
#define PATH "/io/github/tbstream1"
#define PEER_A PATH "/peer/_33a1cb984_2dc4d9_2d4469_2da277_2dce2fdfd11f0d"
#define MANAGER "io.github.tbstream1.Manager"
#define PEER_IFACE "io.github.tbstream1.Peer"
#define STREAM_IFACE "io.github.tbstream1.Stream"
#define ERR "io.github.tbstream1.Error."
#define CALL_MS 5000
#define WAIT_MS 10000

static BusEnv env;
static BusWorld bw;
static sd_bus *client;
static char *xd_a; /* peer A's XDomain syspath while plugged */

#define ASSERT_ERROR(r, err, want)                                                                 \
	do {                                                                                       \
		ck_assert_msg((r) < 0, "call succeeded, expected %s", want);                       \
		ck_assert_msg(sd_bus_error_has_name(&(err), want), "expected %s, got %s: %s",      \
			      want, (err).name, (err).message);                                    \
	} while (0)

static void env_with_polkit(void)
{
	bus_env_start(&env, true);
}

static void env_stop(void)
{
	bus_env_stop(&env);
}

/* The shipped vendor policy, so the tests use the rule that honours enrollment. */
static void install_vendor_policy(void)
{
	g_autofree char *src = g_build_filename(TBS_SOURCE_DIR, "tbstreamd", "vendor", "policy.d",
						"50-enrolled.conf", NULL);
	g_autofree char *dir = g_build_filename(bw.w.vendor, "policy.d", NULL);
	g_autofree char *dst = g_build_filename(dir, "50-enrolled.conf", NULL);
	g_autofree char *data = NULL;

	ck_assert(g_file_get_contents(src, &data, NULL, NULL));
	ck_assert_int_eq(g_mkdir_with_parents(dir, 0755), 0);
	ck_assert(g_file_set_contents(dst, data, -1, NULL));
}

static void setup_world(void)
{
	bus_world_init(&bw, &env);
	install_vendor_policy();
	xd_a = world_add_peer(&bw.w, "thunderbolt", "0-1", UUID_A, "alpha");
}

static void start(void)
{
	bus_world_start(&bw);
	client = bus_world_client(&bw);
}

/* An idle exit and re-activation, as far as the daemon's state goes. */
static void restart(void)
{
	client = sd_bus_flush_close_unref(client);
	bus_world_stop(&bw);
	start();
}

static void setup(void)
{
	setup_world();
	start();
}

static void setup_allow_all(void)
{
	setup();
	bus_env_polkit_allow_all(&env, true);
}

static void teardown(void)
{
	client = sd_bus_flush_close_unref(client);
	bus_world_destroy(&bw);
	g_clear_pointer(&xd_a, g_free);
}

/* ---- helpers ---------------------------------------------------------------------------- */

static int get_property(sd_bus *c, const char *path, const char *iface, const char *prop,
			sd_bus_message **reply, sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m =
		bus_world_method(c, path, "org.freedesktop.DBus.Properties", "Get");

	ck_assert_int_ge(sd_bus_message_append(m, "ss", iface, prop), 0);
	return bus_world_call(&bw, m, CALL_MS, reply, e);
}

static char *get_s(const char *path, const char *iface, const char *prop)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *s;

	ck_assert_msg(get_property(client, path, iface, prop, &reply, &e) == 0, "Get %s: %s", prop,
		      e.message);
	ck_assert_int_ge(sd_bus_message_read(reply, "v", "s", &s), 0);
	return g_strdup(s);
}

static bool get_b(const char *path, const char *iface, const char *prop)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	int v;

	ck_assert_msg(get_property(client, path, iface, prop, &reply, &e) == 0, "Get %s: %s", prop,
		      e.message);
	ck_assert_int_ge(sd_bus_message_read(reply, "v", "b", &v), 0);
	return v;
}

static uint64_t get_t(const char *path, const char *iface, const char *prop)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	uint64_t v;

	ck_assert_msg(get_property(client, path, iface, prop, &reply, &e) == 0, "Get %s: %s", prop,
		      e.message);
	ck_assert_int_ge(sd_bus_message_read(reply, "v", "t", &v), 0);
	return v;
}

/* Manager.Reload, the message freed here (bus_world_call() borrows it). */
static int reload(sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m =
		bus_world_method(client, PATH, MANAGER, "Reload");

	return bus_world_call(&bw, m, CALL_MS, NULL, e);
}

/* Peer method on peer A: Enroll with a profile built by the caller, or Revoke/Forget. */
static int peer_call(const char *member, sd_bus_message *m, sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *own = NULL;

	if (!m) {
		own = bus_world_method(client, PEER_A, PEER_IFACE, member);
		m = own;
	}
	return bus_world_call(&bw, m, CALL_MS, NULL, e);
}

/* Enroll peer A with streams (a NULL-terminated list) and Persistent. */
static int enroll(const char *const *streams, bool persistent, sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m =
		bus_world_method(client, PEER_A, PEER_IFACE, "Enroll");

	ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
	ck_assert_int_ge(sd_bus_message_open_container(m, 'e', "sv"), 0);
	ck_assert_int_ge(sd_bus_message_append(m, "s", "Streams"), 0);
	ck_assert_int_ge(sd_bus_message_open_container(m, 'v', "as"), 0);
	ck_assert_int_ge(sd_bus_message_append_strv(m, (char **)streams), 0);
	ck_assert_int_ge(sd_bus_message_close_container(m), 0);
	ck_assert_int_ge(sd_bus_message_close_container(m), 0);
	ck_assert_int_ge(sd_bus_message_append(m, "{sv}{sv}", "Persistent", "b", (int)persistent,
					       "Mode", "u", 0640),
			 0);
	ck_assert_int_ge(sd_bus_message_close_container(m), 0);
	return peer_call("Enroll", m, e);
}

static bool item_exists(const char *name)
{
	g_autofree char *d = g_build_filename(bw.w.stream_dir, "0-1.0", name, NULL);
	return g_file_test(d, G_FILE_TEST_IS_DIR);
}

static bool cond_ready(World *w, const void *name)
{
	TbsStream *s = world_stream(w, "0-1.0", name);
	return s && s->state == TBS_STREAM_READY;
}

static bool cond_gone(World *w, const void *name)
{
	return !world_stream(w, "0-1.0", name) && !item_exists(name);
}

static char *record_file(void)
{
	g_autofree char *p = g_build_filename(bw.w.state, "peers", UUID_A ".peer", NULL);
	char *data = NULL;

	if (!g_file_get_contents(p, &data, NULL, NULL))
		return NULL;
	return data;
}

static void unplug_a(void)
{
	world_remove_peer(&bw.w, xd_a);
	g_clear_pointer(&xd_a, g_free);
}

static bool cond_peer_connected(World *w, const void *id)
{
	TbsPeer *p = tbs_manager_find_peer(w->m, id);
	return p && p->connected && p->group;
}

static void plug_a(void)
{
	xd_a = world_add_peer(&bw.w, "thunderbolt", "0-1", UUID_A, "alpha");
	ck_assert(world_run_until(&bw.w, cond_peer_connected, UUID_A, WAIT_MS));
}

#define STREAM_PATH(name) PATH "/stream/_30_2d1_2e0/" name

static const char *strempty_test(const char *s)
{
	return s ? s : "";
}

/* ---- enrollment ------------------------------------------------------------------------- */

START_TEST(test_unenrolled_peer_is_denied_by_default)
{
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Enrolled"));
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Allowed"));
	ck_assert_uint_eq(fake_kernel_live_items(bw.w.fk), 0);
}
END_TEST

START_TEST(test_enroll_makes_streams_at_once_on_replug_and_after_restart)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *streams[] = {"backup", "sync", NULL};
	g_autofree char *origin = NULL, *override = NULL, *rec = NULL;
	g_autofree char *node = NULL;
	struct stat st;

	ck_assert_msg(enroll(streams, false, &e) == 0, "Enroll: %s", e.message);
	/* at once, made by the daemon in ConfigFS, ready with the profile's mode */
	ck_assert(world_run_until(&bw.w, cond_ready, "backup", WAIT_MS));
	ck_assert(world_run_until(&bw.w, cond_ready, "sync", WAIT_MS));
	ck_assert(item_exists("backup") && item_exists("sync"));
	node = g_strdup(world_stream(&bw.w, "0-1.0", "backup")->devnode);
	ck_assert_int_eq(stat(node, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert(get_b(PEER_A, PEER_IFACE, "Enrolled"));
	ck_assert(get_b(PEER_A, PEER_IFACE, "Trusted"));
	ck_assert(get_b(PEER_A, PEER_IFACE, "Allowed"));
	override = get_s(PEER_A, PEER_IFACE, "PolicyOverride");
	ck_assert_str_eq(override, "");
	origin = get_s(STREAM_PATH("backup"), STREAM_IFACE, "Origin");
	ck_assert_str_eq(origin, "enrollment");
	/* in the store before the reply */
	rec = record_file();
	ck_assert_ptr_nonnull(rec);
	ck_assert_ptr_nonnull(strstr(rec, "[Enrollment]"));
	ck_assert_ptr_nonnull(strstr(rec, "Streams=backup;sync;"));

	/* not persistent: gone on unplug, made again on the next plug */
	unplug_a();
	ck_assert(world_run_until(&bw.w, cond_gone, "backup", WAIT_MS));
	ck_assert(world_run_until(&bw.w, cond_gone, "sync", WAIT_MS));
	plug_a();
	ck_assert(world_run_until(&bw.w, cond_ready, "backup", WAIT_MS));
	ck_assert(world_run_until(&bw.w, cond_ready, "sync", WAIT_MS));

	/* unplugged while the daemon restarts: it knows the peer before it plugs in */
	unplug_a();
	ck_assert(world_run_until(&bw.w, cond_gone, "backup", WAIT_MS));
	restart();
	ck_assert(get_b(PEER_A, PEER_IFACE, "Enrolled"));
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Connected"));
	plug_a();
	ck_assert(world_run_until(&bw.w, cond_ready, "backup", WAIT_MS));
	ck_assert(world_run_until(&bw.w, cond_ready, "sync", WAIT_MS));
}
END_TEST

START_TEST(test_persistent_enrollment_keeps_streams_on_unplug)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *streams[] = {"keep", NULL};
	g_autofree char *state = NULL;

	ck_assert_msg(enroll(streams, true, &e) == 0, "Enroll: %s", e.message);
	ck_assert(world_run_until(&bw.w, cond_ready, "keep", WAIT_MS));
	unplug_a();
	world_settle(&bw.w);
	ck_assert(item_exists("keep"));
	state = get_s(STREAM_PATH("keep"), STREAM_IFACE, "State");
	ck_assert_str_eq(state, "detached");

	/* revoking a disconnected peer removes what its enrollment kept */
	ck_assert_msg(peer_call("Revoke", NULL, &e) == 0, "Revoke: %s", e.message);
	ck_assert(world_run_until(&bw.w, cond_gone, "keep", WAIT_MS));
}
END_TEST

START_TEST(test_bad_profile_is_refused_and_changes_nothing)
{
	static const struct {
		const char *key, *type, *want;
		unsigned value;
	} cases[] = {
		{"Colour", "u", ERR "UnknownOption", 1},
		{"Mode", "u", ERR "InvalidArgument", 04755},
		{"Mode", "s", ERR "InvalidArgument", 0},
		{"Owner", "u", ERR "InvalidArgument", 0xffffffffu},
	};
	const char *bad_names[] = {"-dash", "has space", "toolongname", "prtcid", NULL};
	g_autofree char *before = (world_settle(&bw.w), record_file());

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m =
			bus_world_method(client, PEER_A, PEER_IFACE, "Enroll");

		if (strcmp(cases[i].type, "u") == 0)
			ck_assert_int_ge(sd_bus_message_append(m, "a{sv}", 1, cases[i].key, "u",
							       cases[i].value),
					 0);
		else
			ck_assert_int_ge(
				sd_bus_message_append(m, "a{sv}", 1, cases[i].key, "s", "0600"), 0);
		ASSERT_ERROR(peer_call("Enroll", m, &e), e, cases[i].want);
	}
	for (size_t i = 0; bad_names[i]; i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
		const char *one[] = {bad_names[i], NULL};
		ASSERT_ERROR(enroll(one, false, &e), e, ERR "InvalidArgument");
	}
	{
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
		const char *dup[] = {"a", "a", NULL};
		ASSERT_ERROR(enroll(dup, false, &e), e, ERR "InvalidArgument");
	}
	world_settle(&bw.w);
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Enrolled"));
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Trusted"));
	ck_assert_uint_eq(fake_kernel_live_items(bw.w.fk), 0);
	{
		g_autofree char *after = record_file();
		ck_assert_str_eq(strempty_test(after), strempty_test(before));
	}
}
END_TEST

START_TEST(test_admin_deny_rule_overrides_enrollment)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *streams[] = {"backup", NULL};
	g_autofree char *override = NULL, *rule = NULL;

	world_policy(&bw.w, "[Peer lockdown]\nMatchUUID=" UUID_A "\nAllow=no\n");
	ck_assert_msg(reload(&e) == 0, "Reload: %s", e.message);
	ck_assert_msg(enroll(streams, false, &e) == 0, "Enroll: %s", e.message);
	world_settle(&bw.w);
	ck_assert(get_b(PEER_A, PEER_IFACE, "Enrolled"));
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Allowed"));
	override = get_s(PEER_A, PEER_IFACE, "PolicyOverride");
	ck_assert_str_eq(override, "lockdown");
	rule = get_s(PEER_A, PEER_IFACE, "Rule");
	ck_assert_str_eq(rule, "lockdown");
	ck_assert(!item_exists("backup"));
	ck_assert_uint_eq(fake_kernel_live_items(bw.w.fk), 0);

	/* the administrator lifts the rule: the enrollment takes effect */
	world_policy(&bw.w, "");
	ck_assert_msg(reload(&e) == 0, "Reload: %s", e.message);
	ck_assert(world_run_until(&bw.w, cond_ready, "backup", WAIT_MS));
	g_free(override);
	override = get_s(PEER_A, PEER_IFACE, "PolicyOverride");
	ck_assert_str_eq(override, "");
}
END_TEST

START_TEST(test_revoke_and_forget)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *label = NULL;
	const char *streams[] = {"backup", NULL};
	g_autofree char *rec = NULL, *l = NULL;

	label = bus_world_method(client, PEER_A, "org.freedesktop.DBus.Properties", "Set");
	ck_assert_int_ge(sd_bus_message_append(label, "ssv", PEER_IFACE, "Label", "s", "Desk"), 0);
	ck_assert_int_eq(bus_world_call(&bw, label, CALL_MS, NULL, &e), 0);
	ck_assert_msg(enroll(streams, false, &e) == 0, "Enroll: %s", e.message);
	ck_assert(world_run_until(&bw.w, cond_ready, "backup", WAIT_MS));

	/* Trusted cannot be withdrawn alone while enrolled */
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m =
			bus_world_method(client, PEER_A, "org.freedesktop.DBus.Properties", "Set");
		ck_assert_int_ge(sd_bus_message_append(m, "ssv", PEER_IFACE, "Trusted", "b", 0), 0);
		ASSERT_ERROR(bus_world_call(&bw, m, CALL_MS, NULL, &e), e, ERR "InvalidArgument");
		sd_bus_error_free(&e);
		ck_assert(get_b(PEER_A, PEER_IFACE, "Trusted"));
	}

	ck_assert_msg(peer_call("Revoke", NULL, &e) == 0, "Revoke: %s", e.message);
	ck_assert(world_run_until(&bw.w, cond_gone, "backup", WAIT_MS));
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Enrolled"));
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Trusted"));
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Allowed"));
	l = get_s(PEER_A, PEER_IFACE, "Label");
	ck_assert_str_eq(l, "Desk");
	rec = record_file();
	ck_assert_ptr_null(strstr(rec, "[Enrollment]"));

	/* connected: the object stays with a fresh record; the label is forgotten */
	ck_assert_msg(enroll(streams, false, &e) == 0, "Enroll: %s", e.message);
	ck_assert(world_run_until(&bw.w, cond_ready, "backup", WAIT_MS));
	ck_assert_msg(peer_call("Forget", NULL, &e) == 0, "Forget: %s", e.message);
	ck_assert(world_run_until(&bw.w, cond_gone, "backup", WAIT_MS));
	g_free(l);
	l = get_s(PEER_A, PEER_IFACE, "Label");
	ck_assert_str_eq(l, "");
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Enrolled"));

	/* disconnected: the object goes away and the record file with it */
	unplug_a();
	world_settle(&bw.w);
	ck_assert_msg(peer_call("Forget", NULL, &e) == 0, "Forget: %s", e.message);
	ck_assert_ptr_null(tbs_manager_find_peer(bw.w.m, UUID_A));
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		_cleanup_(sd_bus_error_free) sd_bus_error e2 = SD_BUS_ERROR_NULL;
		ck_assert_int_lt(get_property(client, PEER_A, PEER_IFACE, "Enrolled", &reply, &e2),
				 0);
	}
	g_free(rec);
	rec = record_file();
	ck_assert_ptr_null(rec);
}
END_TEST

/* Peer objects as a client counts them: GetManagedObjects, not the daemon's memory. */
static unsigned count_peer_objects(void)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = bus_world_method(
		client, PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	unsigned n = 0;

	ck_assert_msg(bus_world_call(&bw, m, CALL_MS, &reply, &e) == 0, "GetManagedObjects: %s",
		      e.message);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}"), 0);
	while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
		const char *path, *iface;

		ck_assert_int_ge(sd_bus_message_read(reply, "o", &path), 0);
		ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{sa{sv}}"), 0);
		while (sd_bus_message_enter_container(reply, 'e', "sa{sv}") > 0) {
			ck_assert_int_ge(sd_bus_message_read(reply, "s", &iface), 0);
			n += strcmp(iface, PEER_IFACE) == 0;
			ck_assert_int_ge(sd_bus_message_skip(reply, "a{sv}"), 0);
			ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
		}
		ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
		ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
	}
	return n;
}

/*
 * A panel lists the computers it knows, not only the enrolled ones: a peer
 * that was merely labelled is still there after an idle exit, disconnected,
 * and is the same object when it plugs in again.
 */
START_TEST(test_known_peer_survives_a_restart_unplugged)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *label =
		bus_world_method(client, PEER_A, "org.freedesktop.DBus.Properties", "Set");
	g_autofree char *l = NULL, *name = NULL;
	uint64_t last_seen;

	ck_assert_int_ge(sd_bus_message_append(label, "ssv", PEER_IFACE, "Label", "s", "Desk"), 0);
	ck_assert_int_eq(bus_world_call(&bw, label, CALL_MS, NULL, &e), 0);
	unplug_a();
	world_settle(&bw.w);
	last_seen = get_t(PEER_A, PEER_IFACE, "LastSeen");

	restart();
	ck_assert_uint_eq(count_peer_objects(), 1);
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Connected"));
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Enrolled"));
	l = get_s(PEER_A, PEER_IFACE, "Label");
	ck_assert_str_eq(l, "Desk");
	name = get_s(PEER_A, PEER_IFACE, "Name");
	ck_assert_str_eq(name, "alpha");
	ck_assert_uint_eq(get_t(PEER_A, PEER_IFACE, "LastSeen"), last_seen);

	/* it plugs in: the known object becomes connected, no second one appears */
	plug_a();
	world_settle(&bw.w);
	ck_assert_uint_eq(count_peer_objects(), 1);
	ck_assert(get_b(PEER_A, PEER_IFACE, "Connected"));
	g_free(l);
	l = get_s(PEER_A, PEER_IFACE, "Label");
	ck_assert_str_eq(l, "Desk");
}
END_TEST

/* Merely seen, neither labelled nor trusted: known all the same, as before the exit. */
START_TEST(test_seen_peer_survives_a_restart_unplugged)
{
	unplug_a();
	world_settle(&bw.w);
	ck_assert_uint_eq(count_peer_objects(), 1);
	restart();
	ck_assert_uint_eq(count_peer_objects(), 1);
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Connected"));
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Trusted"));
}
END_TEST

/* polkit says no: nothing changes, in memory, in ConfigFS or on disk */
START_TEST(test_denied_enrollment_changes_nothing)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *streams[] = {"backup", NULL};
	g_autofree char *before = (world_settle(&bw.w), record_file());

	ck_assert_ptr_nonnull(before);
	ASSERT_ERROR(enroll(streams, false, &e), e, SD_BUS_ERROR_ACCESS_DENIED);
	sd_bus_error_free(&e);
	ASSERT_ERROR(peer_call("Forget", NULL, &e), e, SD_BUS_ERROR_ACCESS_DENIED);
	world_settle(&bw.w);
	ck_assert(!get_b(PEER_A, PEER_IFACE, "Enrolled"));
	ck_assert_uint_eq(fake_kernel_live_items(bw.w.fk), 0);
	ck_assert_ptr_nonnull(tbs_manager_find_peer(bw.w.m, UUID_A));
	{
		g_autofree char *after = record_file();
		ck_assert_str_eq(strempty_test(after), strempty_test(before));
	}
}
END_TEST

/* ---- controllers and kernel interface ----------------------------------------------------- */

typedef struct Domain {
	char name[32], security[16];
	bool iommu;
} Domain;

static unsigned read_controllers(Domain *out, unsigned max)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	unsigned n = 0;

	ck_assert_msg(get_property(client, PATH, MANAGER, "Controllers", &reply, &e) == 0,
		      "Get Controllers: %s", e.message);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'v', "aa{sv}"), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
	while (sd_bus_message_enter_container(reply, 'a', "{sv}") > 0) {
		Domain d = {0};
		const char *key;

		while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
			ck_assert_int_ge(sd_bus_message_read(reply, "s", &key), 0);
			if (strcmp(key, "Name") == 0 || strcmp(key, "SecurityLevel") == 0) {
				const char *v;
				ck_assert_int_ge(sd_bus_message_read(reply, "v", "s", &v), 0);
				g_strlcpy(key[0] == 'N' ? d.name : d.security, v,
					  key[0] == 'N' ? sizeof(d.name) : sizeof(d.security));
			} else if (strcmp(key, "IOMMUProtection") == 0) {
				int v;
				ck_assert_int_ge(sd_bus_message_read(reply, "v", "b", &v), 0);
				d.iommu = v;
			} else
				ck_assert_int_ge(sd_bus_message_skip(reply, "v"), 0);
			ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
		}
		ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
		if (n < max)
			out[n] = d;
		n++;
	}
	return n;
}

static char *add_domain(const char *name, const char *security, const char *iommu)
{
	char *p = umockdev_testbed_add_device(bw.w.tb, "thunderbolt", name, NULL, "security",
					      security, "iommu_dma_protection", iommu, NULL,
					      "DEVTYPE", "thunderbolt_domain", NULL);
	ck_assert_ptr_nonnull(p);
	return p;
}

static bool cond_n_controllers(World *w, const void *n)
{
	g_autoptr(GPtrArray) cs = tbs_manager_controllers(w->m);
	return cs->len == GPOINTER_TO_UINT(n);
}

START_TEST(test_controllers_follow_udev)
{
	g_autofree char *d1 = NULL;
	Domain d[4];

	/* a domain present at start (enumerated) and one plugged later (udev event) */
	g_free(add_domain("domain0", "user", "1"));
	start();
	ck_assert_uint_eq(read_controllers(d, 4), 1);
	ck_assert_str_eq(d[0].name, "domain0");
	ck_assert_str_eq(d[0].security, "user");
	ck_assert(d[0].iommu);
	ck_assert(get_b(PATH, MANAGER, "ConfigFS"));
	ck_assert(get_b(PATH, MANAGER, "StreamModule"));

	d1 = add_domain("domain1", "", "0");
	ck_assert(world_run_until(&bw.w, cond_n_controllers, GUINT_TO_POINTER(2), WAIT_MS));
	ck_assert_uint_eq(read_controllers(d, 4), 2);
	ck_assert_str_eq(d[1].name, "domain1");
	ck_assert_str_eq(d[1].security, "");
	ck_assert(!d[1].iommu);

	umockdev_testbed_uevent(bw.w.tb, d1, "remove");
	umockdev_testbed_remove_device(bw.w.tb, d1);
	ck_assert(world_run_until(&bw.w, cond_n_controllers, GUINT_TO_POINTER(1), WAIT_MS));
	ck_assert_uint_eq(read_controllers(d, 4), 1);
	ck_assert_str_eq(d[0].name, "domain0");
}
END_TEST

START_TEST(test_no_controller_and_no_module_are_told_apart)
{
	g_autofree char *code = NULL;
	Domain d[1];

	/* ConfigFS is there, thunderbolt/stream is not: the module is missing */
	g_autofree char *tb = g_build_filename(bw.w.cfs, "thunderbolt", NULL);
	ck_assert_int_eq(rmdir(bw.w.stream_dir), 0);
	ck_assert_int_eq(rmdir(tb), 0);
	start();
	ck_assert_uint_eq(read_controllers(d, 1), 0);
	ck_assert(get_b(PATH, MANAGER, "ConfigFS"));
	ck_assert(!get_b(PATH, MANAGER, "StreamModule"));
	code = get_s(PATH, MANAGER, "StatusCode");
	ck_assert_str_eq(code, "no-stream-module");
}
END_TEST

/* ---- codes ------------------------------------------------------------------------------ */

START_TEST(test_policy_errors_have_codes)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	g_autofree char *code = NULL;
	const char *c, *file, *msg;
	uint32_t line;
	bool unknown_key = false, invalid_value = false;

	code = get_s(PATH, MANAGER, "StatusCode");
	ck_assert_str_eq(code, "ok");
	world_policy(&bw.w, "[Daemon]\nColour=blue\nOnUnplug=later\n");
	ASSERT_ERROR(reload(&e), e, ERR "PolicyInvalid");
	sd_bus_error_free(&e);
	g_free(code);
	code = get_s(PATH, MANAGER, "StatusCode");
	ck_assert_str_eq(code, "policy-errors");

	ck_assert_int_eq(get_property(client, PATH, MANAGER, "PolicyErrorList", &reply, &e), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'v', "a(ssus)"), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(ssus)"), 0);
	while (sd_bus_message_read(reply, "(ssus)", &c, &file, &line, &msg) > 0) {
		ck_assert(g_str_has_suffix(file, "/tbstreamd.conf"));
		if (strcmp(c, "unknown-key") == 0 && line == 2)
			unknown_key = true;
		if (strcmp(c, "invalid-value") == 0 && line == 3)
			invalid_value = true;
		ck_assert(*msg);
	}
	ck_assert(unknown_key && invalid_value);
}
END_TEST

static bool cond_failed(World *w, const void *name)
{
	TbsStream *s = world_stream(w, "0-1.0", name);
	return s && s->state == TBS_STREAM_FAILED;
}

START_TEST(test_failed_stream_has_error_code)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *streams[] = {"broken", NULL};
	g_autofree char *code = NULL, *text = NULL, *squat = NULL;

	/* something that is not a device sits where the node will appear */
	fake_kernel_set_device_delay(bw.w.fk, 60 * 1000000ULL);
	squat = g_build_filename(bw.w.dev, "tbstream0", NULL);
	ck_assert_int_eq(mkdir(squat, 0755), 0);
	ck_assert_msg(enroll(streams, false, &e) == 0, "Enroll: %s", e.message);
	ck_assert(world_run_until(&bw.w, cond_failed, "broken", WAIT_MS));
	code = get_s(STREAM_PATH("broken"), STREAM_IFACE, "ErrorCode");
	ck_assert_str_eq(code, ERR "StreamFailed");
	text = get_s(STREAM_PATH("broken"), STREAM_IFACE, "Error");
	ck_assert(*text);
	ck_assert_int_eq(rmdir(squat), 0);
}
END_TEST

/* ---- throughput ------------------------------------------------------------------------- */

static void put_counter(const char *name, const char *attr, uint64_t v)
{
	g_autofree char *p = g_build_filename(bw.w.stream_dir, "0-1.0", name, attr, NULL);
	g_autofree char *s = g_strdup_printf("%" PRIu64 "\n", v);
	ck_assert(g_file_set_contents(p, s, -1, NULL));
}

static int watch(sd_bus *c, const char *member, sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m =
		bus_world_method(c, PATH, MANAGER, member);
	return bus_world_call(&bw, m, CALL_MS, NULL, e);
}

typedef struct Want {
	const char *prop;
	uint64_t min;
} Want;

/* read over D-Bus: what a client sees, not the daemon's memory */
static bool cond_prop_at_least(World *w, const void *data)
{
	const Want *want = data;
	return get_t(STREAM_PATH("rate"), STREAM_IFACE, want->prop) >= want->min;
}

static bool cond_not_sampling(World *w, const void *unused)
{
	return !tbs_bus_throughput_sampling(bw.bus);
}

START_TEST(test_throughput_only_while_watched)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *streams[] = {"rate", NULL};
	sd_bus *watcher = bus_world_client(&bw);
	Want bytes = {"RxBytes", 1000}, rate = {"RxRate", 1};

	ck_assert_msg(enroll(streams, false, &e) == 0, "Enroll: %s", e.message);
	ck_assert(world_run_until(&bw.w, cond_ready, "rate", WAIT_MS));
	/* nobody watches: no timer at all */
	ck_assert(!tbs_bus_throughput_sampling(bw.bus));
	ASSERT_ERROR(watch(client, "UnwatchThroughput", &e), e, ERR "NotWatching");
	sd_bus_error_free(&e);

	put_counter("rate", "rx_bytes", 1000);
	put_counter("rate", "tx_bytes", 7);
	ck_assert_msg(watch(watcher, "WatchThroughput", &e) == 0, "Watch: %s", e.message);
	ck_assert(tbs_bus_throughput_sampling(bw.bus));
	/* a watch is not work (anyone may watch): the idle exit ends it, the panel watches again */
	ck_assert(!tbs_bus_has_work(bw.bus));
	ck_assert(world_run_until(&bw.w, cond_prop_at_least, &bytes, WAIT_MS));
	ck_assert_uint_eq(get_t(STREAM_PATH("rate"), STREAM_IFACE, "RxBytes"), 1000);
	ck_assert_uint_eq(get_t(STREAM_PATH("rate"), STREAM_IFACE, "TxBytes"), 7);
	put_counter("rate", "rx_bytes", 500000);
	ck_assert(world_run_until(&bw.w, cond_prop_at_least, &rate, WAIT_MS));
	ck_assert_uint_gt(get_t(STREAM_PATH("rate"), STREAM_IFACE, "RxRate"), 0);

	/* the watcher's connection closes without Unwatch: sampling stops, rates read 0 */
	watcher = sd_bus_flush_close_unref(watcher);
	ck_assert(world_run_until(&bw.w, cond_not_sampling, NULL, WAIT_MS));
	ck_assert_uint_eq(get_t(STREAM_PATH("rate"), STREAM_IFACE, "RxRate"), 0);
	ck_assert(!tbs_bus_has_work(bw.bus));

	/* counted: two watches need two Unwatch calls */
	ck_assert_int_eq(watch(client, "WatchThroughput", &e), 0);
	ck_assert_int_eq(watch(client, "WatchThroughput", &e), 0);
	ck_assert_int_eq(watch(client, "UnwatchThroughput", &e), 0);
	ck_assert(tbs_bus_throughput_sampling(bw.bus));
	ck_assert_int_eq(watch(client, "UnwatchThroughput", &e), 0);
	ck_assert(!tbs_bus_throughput_sampling(bw.bus));
}
END_TEST

/* Watching is open to everyone: another user than the tests' own where we can be one. */
static uid_t other_uid(void)
{
	return geteuid() == 0 ? 65534 : geteuid();
}

static void on_idle_fired(TbsIdle *idle, void *userdata)
{
	*(bool *)userdata = true;
}

/*
 * Any user may watch, so a watch must not be a way to keep the daemon running
 * for good: neither a watch held, nor watching and unwatching in a loop.
 */
START_TEST(test_watches_do_not_hold_off_idle_exit)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *held = bus_world_client_as(&bw, other_uid());
	sd_bus *looping = bus_world_client_as(&bw, other_uid());
	TbsIdle *idle = NULL;
	bool fired = false;

	ck_assert_msg(watch(held, "WatchThroughput", &e) == 0, "Watch: %s", e.message);
	ck_assert(tbs_bus_throughput_sampling(bw.bus));
	world_remove_peer(&bw.w, xd_a);
	g_clear_pointer(&xd_a, g_free);
	ck_assert_int_eq(
		tbs_idle_new(bw.w.event, bw.w.m, bw.bus, 1000 * 1000, on_idle_fired, &fired, &idle),
		0);
	for (int i = 0; i < 40 && !fired; i++) {
		ck_assert_msg(watch(looping, "WatchThroughput", &e) == 0, "Watch: %s", e.message);
		ck_assert_msg(watch(looping, "UnwatchThroughput", &e) == 0, "Unwatch: %s",
			      e.message);
		bus_world_run(&bw, 100);
	}
	ck_assert_msg(fired, "no peer, only throughput watches: the daemon must be free to go");
	ck_assert(tbs_bus_throughput_sampling(bw.bus));
	tbs_idle_free(idle);
	sd_bus_flush_close_unref(looping);
	sd_bus_flush_close_unref(held);
}
END_TEST

static bool cond_watches_at_most(World *w, const void *data)
{
	return tbs_bus_n_throughput_watches(bw.bus) <= *(const unsigned *)data;
}

#define PER_UID 4

/* One user cannot take every slot, however many connections it opens; others still watch. */
START_TEST(test_one_user_cannot_take_every_watch)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *c[PER_UID + 1];
	const unsigned left = PER_UID - 1;

	if (geteuid() != 0)
		return; /* every caller would be the same user: nothing to tell apart */
	for (unsigned i = 0; i <= PER_UID; i++)
		c[i] = bus_world_client_as(&bw, other_uid());
	for (unsigned i = 0; i < PER_UID; i++)
		ck_assert_msg(watch(c[i], "WatchThroughput", &e) == 0, "Watch %u: %s", i,
			      e.message);
	ASSERT_ERROR(watch(c[PER_UID], "WatchThroughput", &e), e, ERR "TooManyWatchers");
	ck_assert_msg(strstr(e.message, "uid 65534"), "%s", e.message);
	sd_bus_error_free(&e);
	/* nor by watching again on a connection it has */
	ASSERT_ERROR(watch(c[0], "WatchThroughput", &e), e, ERR "TooManyWatchers");
	sd_bus_error_free(&e);
	ck_assert_uint_eq(tbs_bus_n_throughput_watches(bw.bus), PER_UID);

	/* another user still gets one */
	ck_assert_msg(watch(client, "WatchThroughput", &e) == 0, "Watch: %s", e.message);
	ck_assert_int_eq(watch(client, "UnwatchThroughput", &e), 0);

	/* a connection that closes gives its slot back */
	c[0] = sd_bus_flush_close_unref(c[0]);
	ck_assert(world_run_until(&bw.w, cond_watches_at_most, &left, WAIT_MS));
	ck_assert_msg(watch(c[PER_UID], "WatchThroughput", &e) == 0, "Watch: %s", e.message);
	for (unsigned i = 1; i <= PER_UID; i++)
		sd_bus_flush_close_unref(c[i]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bus-panel");
	TCase *tc;

	tc = tcase_create("allowed");
	tcase_add_unchecked_fixture(tc, env_with_polkit, env_stop);
	tcase_add_checked_fixture(tc, setup_allow_all, teardown);
	tcase_add_test(tc, test_unenrolled_peer_is_denied_by_default);
	tcase_add_test(tc, test_enroll_makes_streams_at_once_on_replug_and_after_restart);
	tcase_add_test(tc, test_persistent_enrollment_keeps_streams_on_unplug);
	tcase_add_test(tc, test_bad_profile_is_refused_and_changes_nothing);
	tcase_add_test(tc, test_admin_deny_rule_overrides_enrollment);
	tcase_add_test(tc, test_revoke_and_forget);
	tcase_add_test(tc, test_known_peer_survives_a_restart_unplugged);
	tcase_add_test(tc, test_seen_peer_survives_a_restart_unplugged);
	tcase_add_test(tc, test_policy_errors_have_codes);
	tcase_add_test(tc, test_failed_stream_has_error_code);
	tcase_add_test(tc, test_throughput_only_while_watched);
	tcase_add_test(tc, test_watches_do_not_hold_off_idle_exit);
	tcase_add_test(tc, test_one_user_cannot_take_every_watch);
	suite_add_tcase(s, tc);

	tc = tcase_create("before-start");
	tcase_add_unchecked_fixture(tc, env_with_polkit, env_stop);
	tcase_add_checked_fixture(tc, setup_world, teardown);
	tcase_add_test(tc, test_controllers_follow_udev);
	tcase_add_test(tc, test_no_controller_and_no_module_are_told_apart);
	suite_add_tcase(s, tc);

	tc = tcase_create("denied");
	tcase_add_unchecked_fixture(tc, env_with_polkit, env_stop);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_denied_enrollment_changes_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
