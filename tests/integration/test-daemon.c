/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon core against fake udev (umockdev) and a fake ConfigFS: plug,
 * unplug, adopt, recover, and survive garbage. Runs under umockdev-wrapper.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/helpers.h"
#include "world.h"

#define UUID_A "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d"
#define UUID_B "11111111-2222-3333-4444-555555555555"
#define WAIT_MS 5000

static World w;

static void setup(void)
{
	world_init(&w);
}

static void teardown(void)
{
	world_destroy(&w);
}

typedef struct Want {
	const char *group, *name;
	TbsStreamState state;
} Want;

static bool stream_in_state(World *wd, const void *data)
{
	const Want *want = data;
	TbsStream *s = world_stream(wd, want->group, want->name);
	return s && s->state == want->state;
}

static bool stream_gone(World *wd, const void *data)
{
	const Want *want = data;
	return !world_stream(wd, want->group, want->name);
}

static bool stream_settled(World *wd, const void *data)
{
	TbsStream *s = world_stream(wd, "0-1.0", data);
	return s && (s->state == TBS_STREAM_READY || s->state == TBS_STREAM_FAILED);
}

static bool n_ready(World *wd, const void *data)
{
	return world_count_ready(wd) == *(const unsigned *)data;
}

static bool no_streams(World *wd, const void *data)
{
	return g_hash_table_size(tbs_manager_streams(wd->m)) == 0;
}

static bool peer_connected(World *wd, const void *data)
{
	TbsPeer *p = tbs_manager_find_peer(wd->m, data);
	return p && p->connected;
}

static bool peer_disconnected(World *wd, const void *data)
{
	TbsPeer *p = tbs_manager_find_peer(wd->m, data);
	return !p || !p->connected;
}

#define WAIT_STATE(g, n, st)                                                                       \
	do {                                                                                       \
		Want _w = {g, n, st};                                                              \
		ck_assert_msg(world_run_until(&w, stream_in_state, &_w, WAIT_MS),                  \
			      "stream %s/%s never reached %s (status: %s)", g, n,                  \
			      tbs_stream_state_to_string(st), tbs_manager_status(w.m));            \
	} while (0)

#define WAIT_GONE(g, n)                                                                            \
	do {                                                                                       \
		Want _w = {g, n, 0};                                                               \
		ck_assert_msg(world_run_until(&w, stream_gone, &_w, WAIT_MS),                      \
			      "stream %s/%s never went away", g, n);                               \
	} while (0)

#define WAIT_FOR(cond, data)                                                                       \
	ck_assert_msg(world_run_until(&w, cond, data, WAIT_MS), "timed out: " #cond)

static const char allow_a[] = "[Stream backup]\n"
			      "RingSize=512\n"
			      "Mode=0640\n"
			      "Owner=0\n"
			      "Group=0\n"
			      "[Peer laptop]\n"
			      "MatchUUID=" UUID_A "\n"
			      "Streams=backup\n";

static char *item_attr(const char *group, const char *name, const char *attr)
{
	g_autofree char *rel = g_build_filename(group, name, attr, NULL);
	return th_read(w.stream_dir, rel);
}

START_TEST(test_coldplugged_peer_gets_configured_stream_with_permissions)
{
	struct stat st;

	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);

	g_autofree char *in = item_attr("0-1.0", "backup", "in_hopid");
	g_autofree char *out = item_attr("0-1.0", "backup", "out_hopid");
	g_autofree char *ring = item_attr("0-1.0", "backup", "ring_size");
	ck_assert_str_eq(in, "-1");
	ck_assert_str_eq(out, "-1");
	ck_assert_str_eq(ring, "512");

	TbsStream *s = world_stream(&w, "0-1.0", "backup");
	ck_assert_int_eq(s->index, 0);
	g_autofree char *node = g_build_filename(w.dev, "tbstream0", NULL);
	ck_assert_str_eq(s->devnode, node);
	ck_assert_int_eq(stat(node, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_str_eq(s->peer_id, UUID_A);
	ck_assert(s->owned);
	ck_assert_str_eq(s->info.state, "detached");

	TbsPeer *p = tbs_manager_find_peer(w.m, UUID_A);
	ck_assert(p->connected && p->allowed);
	ck_assert_str_eq(p->name, "laptop");
	ck_assert_str_eq(p->group, "0-1.0");
	ck_assert_uint_eq(p->rx_speed, 20);
	ck_assert_uint_eq(p->rx_lanes, 2);
	ck_assert_uint_eq(p->vendor, 0x8086);

	world_settle(&w);
	g_autofree char *rec = th_read(w.state, "peers/" UUID_A ".peer");
	ck_assert_ptr_nonnull(rec);
	ck_assert_ptr_nonnull(strstr(rec, "Name=laptop"));
	ck_assert_ptr_nonnull(strstr(tbs_manager_status(w.m), "1 peer(s) connected, 1 of 1"));
}
END_TEST

START_TEST(test_hotplug_creates_and_unplug_removes_owned_stream_and_group)
{
	world_policy(&w, allow_a);
	world_start(&w);
	ck_assert_uint_eq(g_hash_table_size(tbs_manager_peers(w.m)), 0);

	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	ck_assert(th_exists(w.stream_dir, "0-1.0/backup"));
	world_settle(&w);
	g_autofree char *owned = th_read(w.state, "configfs.state");
	ck_assert_ptr_nonnull(strstr(owned, "0-1.0/backup/" UUID_A));

	world_remove_peer(&w, xd);
	WAIT_GONE("0-1.0", "backup");
	ck_assert(!th_exists(w.stream_dir, "0-1.0/backup"));
	ck_assert(!th_exists(w.stream_dir, "0-1.0"));
	ck_assert(!th_exists(w.dev, "tbstream0"));
	world_settle(&w);
	g_autofree char *owned2 = th_read(w.state, "configfs.state");
	ck_assert_ptr_null(strstr(owned2, "0-1.0"));
	WAIT_FOR(peer_disconnected, UUID_A);
	TbsPeer *p = tbs_manager_find_peer(w.m, UUID_A);
	ck_assert(p && !p->connected);
}
END_TEST

START_TEST(test_keep_on_unplug_keeps_item_and_replug_brings_it_back)
{
	g_autofree char *conf = g_strdup_printf("[Daemon]\nOnUnplug=keep\n%s", allow_a);
	world_policy(&w, conf);
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);

	world_remove_peer(&w, xd);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_DETACHED);
	ck_assert(th_exists(w.stream_dir, "0-1.0/backup"));
	ck_assert(th_exists(w.dev, "tbstream0"));

	g_autofree char *xd2 = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	ck_assert_int_eq(world_stream(&w, "0-1.0", "backup")->index, 0);
	ck_assert_uint_eq(fake_kernel_live_items(w.fk), 1);
}
END_TEST

START_TEST(test_default_policy_denies_every_peer)
{
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_FOR(peer_connected, UUID_A);
	/* give a wrongly created stream every chance to show up */
	for (int i = 0; i < 10; i++)
		sd_event_run(w.event, 5000);
	TbsPeer *p = tbs_manager_find_peer(w.m, UUID_A);
	ck_assert(!p->allowed);
	ck_assert(!th_exists(w.stream_dir, "0-1.0"));
	world_settle(&w);
	ck_assert(th_exists(w.state, "peers/" UUID_A ".peer"));
}
END_TEST

/*
 * The daemon's chown, whichever call it uses: when armed, the node is replaced by
 * a symbolic link to swap_target right after it, as a racing attacker would.
 */
static const char *swap_node, *swap_target;

static void swap_after_chown(void)
{
	if (!swap_node)
		return;
	ck_assert_int_eq(unlink(swap_node), 0);
	ck_assert_int_eq(symlink(swap_target, swap_node), 0);
	swap_node = NULL;
}

int lchown(const char *path, uid_t uid, gid_t gid)
{
	static int (*real)(const char *, uid_t, gid_t);
	int r;

	if (!real)
		real = (int (*)(const char *, uid_t, gid_t))dlsym(RTLD_NEXT, "lchown");
	r = real(path, uid, gid);
	swap_after_chown();
	return r;
}

int fchownat(int dfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	static int (*real)(int, const char *, uid_t, gid_t, int);
	int r;

	if (!real)
		real = (int (*)(int, const char *, uid_t, gid_t, int))dlsym(RTLD_NEXT, "fchownat");
	r = real(dfd, path, uid, gid, flags);
	swap_after_chown();
	return r;
}

/* The node swapped for a link between chown and chmod: the link's target keeps its mode. */
START_TEST(test_node_swapped_for_a_symlink_does_not_redirect_chmod)
{
	g_autofree char *node = g_build_filename(w.dev, "tbstream0", NULL);
	g_autofree char *victim = g_build_filename(w.tmp, "victim", NULL);
	struct stat st;

	ck_assert(g_file_set_contents(victim, "secret", -1, NULL));
	ck_assert_int_eq(chmod(victim, 0600), 0);
	world_policy(&w, allow_a); /* Mode=0640 */
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	swap_node = node;
	swap_target = victim;
	world_start(&w);
	WAIT_FOR(stream_settled, "backup");
	ck_assert_ptr_null(swap_node);
	ck_assert_int_eq(stat(victim, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

START_TEST(test_hand_made_stream_is_adopted_untouched_and_never_removed)
{
	g_autofree char *g = g_build_filename(w.stream_dir, "0-1.0", NULL);
	g_autofree char *i = g_build_filename(g, "backup", NULL);
	ck_assert_int_eq(mkdir(g, 0755), 0);
	ck_assert_int_eq(mkdir(i, 0755), 0);
	th_write(i, "ring_size", "100\n");

	world_policy(&w, "[Stream backup]\nRingSize=512\nOnUnplug=remove\n"
			 "[Peer laptop]\nMatchUUID=" UUID_A "\nStreams=backup\n");
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	TbsStream *s = world_stream(&w, "0-1.0", "backup");
	ck_assert(!s->owned);
	ck_assert_int_eq(s->origin, TBS_ORIGIN_ADOPTED);
	g_autofree char *ring = item_attr("0-1.0", "backup", "ring_size");
	ck_assert_str_eq(ring, "100");

	world_remove_peer(&w, xd);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_DETACHED);
	ck_assert(th_exists(w.stream_dir, "0-1.0/backup"));

	ck_assert_int_eq(tbs_manager_remove_stream(w.m, s, false, NULL, NULL), -EPERM);
	ck_assert(th_exists(w.stream_dir, "0-1.0/backup"));
	ck_assert_int_eq(tbs_manager_remove_stream(w.m, s, true, NULL, NULL), 0);
	WAIT_GONE("0-1.0", "backup");
	ck_assert(!th_exists(w.stream_dir, "0-1.0/backup"));
	/* the group was not ours either */
	ck_assert(th_exists(w.stream_dir, "0-1.0"));
}
END_TEST

typedef struct Snapshot {
	char *path;
	char *data; /* the state file when an item's mkdir returned; NULL if absent */
	bool taken;
} Snapshot;

static void snapshot_state(const char *item, void *userdata)
{
	Snapshot *snap = userdata;

	if (snap->taken)
		return;
	snap->taken = true;
	if (!g_file_get_contents(snap->path, &snap->data, NULL, NULL))
		snap->data = NULL;
}

/*
 * A daemon killed right after its mkdir: what it had written by then must name
 * the item as its own, or the next instance adopts it as someone else's and
 * never removes it.
 */
START_TEST(test_crash_right_after_mkdir_keeps_ownership)
{
	Snapshot snap = {.path = g_build_filename(w.state, "configfs.state", NULL)};

	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	fake_kernel_set_mkdir_hook(w.fk, snapshot_state, &snap);
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	fake_kernel_set_mkdir_hook(w.fk, NULL, NULL);
	ck_assert(snap.taken);
	world_stop(&w);
	/* the disk as the crash left it */
	if (snap.data)
		ck_assert(g_file_set_contents(snap.path, snap.data, -1, NULL));
	else
		ck_assert_int_eq(unlink(snap.path), 0);

	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	TbsStream *s = world_stream(&w, "0-1.0", "backup");
	ck_assert_msg(s->owned, "state at the crash: %s", snap.data ? snap.data : "(none)");
	world_remove_peer(&w, xd);
	WAIT_GONE("0-1.0", "backup");
	ck_assert(!th_exists(w.stream_dir, "0-1.0"));
	g_free(snap.path);
	g_free(snap.data);
}
END_TEST

/*
 * The disk as a daemon killed right after one ConfigFS call left it: the state
 * file then, and which of the group and item existed.
 */
typedef struct CrashPoint {
	int at;	     /* which call (0: the first) */
	int calls;   /* seen so far */
	char *state; /* configfs.state then; NULL if absent */
	bool group, item;
	char *what; /* "mkdir <path>", for the messages */
	char *state_path, *group_dir, *item_dir;
} CrashPoint;

static void crash_point(const char *op, const char *path, void *userdata)
{
	CrashPoint *c = userdata;

	if (c->calls++ != c->at)
		return;
	c->what = g_strdup_printf("%s %s", op, path);
	if (!g_file_get_contents(c->state_path, &c->state, NULL, NULL))
		c->state = NULL;
	c->group = g_file_test(c->group_dir, G_FILE_TEST_IS_DIR);
	c->item = g_file_test(c->item_dir, G_FILE_TEST_IS_DIR);
}

/*
 * A directory made again by the test stands for the one the kill left, which
 * would still have its inode: the state file's identity of key follows it.
 */
static void keep_identity(char **state, const char *key, const char *dir)
{
	g_autofree char *pattern = NULL, *id = NULL, *escaped = g_regex_escape_string(key, -1);
	g_autoptr(GRegex) re = NULL;
	struct stat st;
	char *out;

	if (!*state)
		return;
	ck_assert_int_eq(stat(dir, &st), 0);
	id = g_strdup_printf("%llu:%llu", (unsigned long long)st.st_dev,
			     (unsigned long long)st.st_ino);
	pattern = g_strdup_printf("(?<=[=;]%s=)[0-9]+:[0-9]+", escaped);
	re = g_regex_new(pattern, 0, 0, NULL);
	ck_assert_ptr_nonnull(re);
	out = g_regex_replace_literal(re, *state, -1, 0, id, 0, NULL);
	ck_assert_ptr_nonnull(out);
	g_free(*state);
	*state = out;
}

/*
 * A stream's whole life (made on plug, removed on unplug: group mkdir, item
 * mkdir, item rmdir, group rmdir) with the daemon killed after each call in
 * turn, then started again on the disk that call left: what was ours is still
 * ours and is finished as it would have been, and nothing stays behind.
 */
START_TEST(test_killed_after_any_configfs_call_leaves_nothing_behind)
{
	CrashPoint c = {.at = _i};

	c.state_path = g_build_filename(w.state, "configfs.state", NULL);
	c.group_dir = g_build_filename(w.stream_dir, "0-1.0", NULL);
	c.item_dir = g_build_filename(c.group_dir, "backup", NULL);
	world_policy(&w, "[Stream backup]\nOnUnplug=remove\n"
			 "[Peer laptop]\nMatchUUID=" UUID_A "\nStreams=backup\n");
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	fake_kernel_set_step_hook(w.fk, crash_point, &c);
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	world_remove_peer(&w, xd);
	WAIT_GONE("0-1.0", "backup");
	world_settle(&w);
	world_stop(&w);
	fake_kernel_set_step_hook(w.fk, NULL, NULL);
	ck_assert_msg(c.calls == 4, "%d ConfigFS calls, not 4: the test needs changing", c.calls);

	/* the disk as the kill left it */
	if (c.group) {
		ck_assert_int_eq(mkdir(c.group_dir, 0755), 0);
		keep_identity(&c.state, "0-1.0", c.group_dir);
	}
	if (c.item) {
		ck_assert_int_eq(mkdir(c.item_dir, 0755), 0);
		keep_identity(&c.state, "0-1.0/backup", c.item_dir);
	}
	if (c.state)
		ck_assert(g_file_set_contents(c.state_path, c.state, -1, NULL));
	else
		ck_assert(unlink(c.state_path) == 0 || errno == ENOENT);
	/* the first two calls came while the peer was there, the last two after it left */
	bool plugged = _i < 2;
	g_autofree char *xd2 =
		plugged ? world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop") : NULL;

	world_start(&w);
	world_settle(&w);
	if (plugged) {
		WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
		ck_assert_msg(world_stream(&w, "0-1.0", "backup")->owned,
			      "killed after %s: the stream is no longer ours", c.what);
		world_remove_peer(&w, xd2);
		WAIT_GONE("0-1.0", "backup");
		world_settle(&w);
	}
	ck_assert_ptr_null(world_stream(&w, "0-1.0", "backup"));
	ck_assert_msg(!g_file_test(c.group_dir, G_FILE_TEST_EXISTS),
		      "killed after %s: %s stays behind", c.what, c.group_dir);
	g_free(c.state);
	g_free(c.what);
	g_free(c.state_path);
	g_free(c.group_dir);
	g_free(c.item_dir);
}
END_TEST

static bool state_written(World *wd, const void *data)
{
	return th_exists(wd->state, "configfs.state");
}

/* A state write that failed is tried again, not forgotten. */
START_TEST(test_failed_state_write_is_retried)
{
	g_autofree char *blocker = g_build_filename(w.state, "configfs.state", NULL);

	/* rename(2) cannot replace a non-empty directory: every write of the file fails */
	th_write(blocker, "x", "");
	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	world_settle(&w);
	th_rm_rf(blocker);
	/* the next write of anything or the retry timer writes what failed before */
	ck_assert_int_eq(tbs_manager_set_peer_label(w.m, tbs_manager_find_peer(w.m, UUID_A), "l"),
			 0);
	ck_assert(world_run_until(&w, state_written, NULL, 5000));
	g_autofree char *state = th_read(w.state, "configfs.state");
	ck_assert_ptr_nonnull(state);
	ck_assert_ptr_nonnull(strstr(state, "0-1.0/backup"));
}
END_TEST

static bool peer_has_group(World *wd, const void *data)
{
	TbsPeer *p = tbs_manager_find_peer(wd->m, data);
	return p && p->connected && p->group;
}

/* The same device announcing a new UUID keeps its stream service: the new peer gets the group. */
START_TEST(test_uuid_change_at_same_syspath_keeps_the_service)
{
	world_policy(&w, "[Stream backup]\n[Peer a]\nMatchUUID=" UUID_A "\nStreams=backup\n"
			 "[Peer b]\nMatchUUID=" UUID_B "\nStreams=backup\n");
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);

	umockdev_testbed_set_attribute(w.tb, xd, "unique_id", UUID_B);
	umockdev_testbed_uevent(w.tb, xd, "change");
	WAIT_FOR(peer_connected, UUID_B);
	ck_assert_msg(world_run_until(&w, peer_has_group, UUID_B, WAIT_MS),
		      "the new identity has no stream service");
	ck_assert_str_eq(tbs_manager_find_peer(w.m, UUID_B)->group, "0-1.0");
	TbsPeer *old = tbs_manager_find_peer(w.m, UUID_A);
	ck_assert(!old || (!old->connected && !old->group && !old->syspath));
}
END_TEST

/*
 * UUIDs are the peer's choice: the store stays bounded, the oldest records
 * nobody approved go; trusted and enrolled (the panel's Allow) ones stay.
 */
START_TEST(test_store_is_bounded_by_expiring_oldest_untrusted_records)
{
	static const char *const uuids[] = {UUID_A, UUID_B, "22222222-3333-4444-5555-666666666666",
					    "33333333-4444-5555-6666-777777777777",
					    "44444444-5555-6666-7777-888888888888"};
	g_autofree char *a_rec = g_build_filename(w.state, "peers", UUID_A ".peer", NULL);
	g_autofree char *b_rec = g_build_filename(w.state, "peers", UUID_B ".peer", NULL);
	TbsEnrollment e = {
		.owner = TBS_ENROLL_UNSET, .group = TBS_ENROLL_UNSET, .mode = TBS_ENROLL_UNSET};

	w.config.store_peers_max = 3;
	world_start(&w);
	for (size_t i = 0; i < G_N_ELEMENTS(uuids); i++) {
		/* no two peers share a name: IdentifyByName= is not what this is about */
		g_autofree char *name = g_strdup_printf("laptop%zu", i);
		g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", uuids[i], name);
		WAIT_FOR(peer_connected, uuids[i]);
		if (i == 0)
			ck_assert_int_eq(tbs_manager_set_peer_trusted(
						 w.m, tbs_manager_find_peer(w.m, UUID_A), true),
					 0);
		if (i == 1) {
			TbsPeer *b = tbs_manager_find_peer(w.m, UUID_B);

			ck_assert_int_eq(tbs_manager_enroll_peer(w.m, b, &e), 0);
			/* enrolling trusts too; without the trust it is still an approval */
			ck_assert_int_eq(tbs_manager_set_peer_trusted(w.m, b, false), 0);
			ck_assert(b->record->enrolled);
		}
		world_remove_peer(&w, xd);
		WAIT_FOR(peer_disconnected, uuids[i]);
		world_settle(&w);
	}
	/* A (trusted) and B (enrolled) are the oldest; the next two went for the last two */
	ck_assert_uint_eq(g_hash_table_size(tbs_manager_peers(w.m)), 3);
	ck_assert_ptr_nonnull(tbs_manager_find_peer(w.m, UUID_A));
	ck_assert_ptr_nonnull(tbs_manager_find_peer(w.m, UUID_B));
	ck_assert_ptr_null(tbs_manager_find_peer(w.m, uuids[2]));
	ck_assert_ptr_null(tbs_manager_find_peer(w.m, uuids[3]));
	ck_assert_ptr_nonnull(tbs_manager_find_peer(w.m, uuids[4]));
	ck_assert(g_file_test(a_rec, G_FILE_TEST_EXISTS));
	ck_assert(g_file_test(b_rec, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST(test_restart_adopts_own_streams_without_touching_them)
{
	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	world_stop(&w);
	/* a restart must not recreate (the kernel would hand out a new index) */
	ck_assert(th_exists(w.stream_dir, "0-1.0/backup"));
	th_write(w.stream_dir, "0-1.0/backup/throttling", "777\n");

	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	TbsStream *s = world_stream(&w, "0-1.0", "backup");
	ck_assert(s->owned);
	ck_assert_int_eq(s->origin, TBS_ORIGIN_POLICY);
	ck_assert_int_eq(s->index, 0);
	g_autofree char *thr = item_attr("0-1.0", "backup", "throttling");
	ck_assert_str_eq(thr, "777");

	world_remove_peer(&w, xd);
	WAIT_GONE("0-1.0", "backup");
	ck_assert(!th_exists(w.stream_dir, "0-1.0"));
}
END_TEST

/*
 * The peer left while the daemon was down: no remove event will ever come, so
 * the start gives its streams what the unplug would have: OnUnplug=remove
 * goes (and our group with it), keep stays, detached.
 */
START_TEST(test_restart_applies_unplug_to_a_peer_that_left_while_down)
{
	world_policy(&w, "[Stream backup]\nOnUnplug=remove\n[Stream kept]\nOnUnplug=keep\n"
			 "[Peer laptop]\nMatchUUID=" UUID_A "\nStreams=backup;kept\n");
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	WAIT_STATE("0-1.0", "kept", TBS_STREAM_READY);
	world_stop(&w);
	world_remove_peer(&w, xd);

	world_start(&w);
	world_settle(&w);
	ck_assert_msg(!th_exists(w.stream_dir, "0-1.0/backup"),
		      "OnUnplug=remove stream of a departed peer is still there");
	ck_assert_ptr_null(world_stream(&w, "0-1.0", "backup"));
	ck_assert(th_exists(w.stream_dir, "0-1.0/kept"));
	TbsStream *s = world_stream(&w, "0-1.0", "kept");
	ck_assert_ptr_nonnull(s);
	ck_assert(s->owned);
	ck_assert_int_eq(s->state, TBS_STREAM_DETACHED);

	/* the peer comes back: the kept stream is its again */
	g_autofree char *xd2 = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_STATE("0-1.0", "kept", TBS_STREAM_READY);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
}
END_TEST

/* A peer that is still there at the restart keeps its streams as they were. */
START_TEST(test_restart_leaves_the_streams_of_a_present_peer_alone)
{
	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	world_stop(&w);

	world_start(&w);
	world_settle(&w);
	TbsStream *s = world_stream(&w, "0-1.0", "backup");
	ck_assert_ptr_nonnull(s);
	ck_assert(s->owned);
	ck_assert_int_eq(s->state, TBS_STREAM_READY);
	ck_assert_int_eq(w.n_removed, 0);
}
END_TEST

/*
 * "rmmod; modprobe" while the daemon is down, and someone makes an item of
 * the same name in the new module's tree: it is theirs, not ours. The new tree
 * is built before the old one goes so that no inode number can be reused.
 */
static void reload_module_with_foreign_item(World *wd)
{
	g_autofree char *old = g_strdup_printf("%s.old", wd->stream_dir);
	g_autofree char *g = g_build_filename(wd->stream_dir, "0-1.0", NULL);
	g_autofree char *i = g_build_filename(g, "backup", NULL);

	ck_assert_int_eq(rename(wd->stream_dir, old), 0);
	ck_assert_int_eq(mkdir(wd->stream_dir, 0755), 0);
	ck_assert_int_eq(mkdir(g, 0755), 0);
	ck_assert_int_eq(mkdir(i, 0755), 0);
	th_rm_rf(old);
}

START_TEST(test_restart_does_not_own_items_of_a_reloaded_module)
{
	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	world_stop(&w);
	reload_module_with_foreign_item(&w);

	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	TbsStream *s = world_stream(&w, "0-1.0", "backup");
	ck_assert_msg(!s->owned, "someone else's item after a module reload is taken as ours");
	ck_assert_int_eq(s->origin, TBS_ORIGIN_ADOPTED);
	world_remove_peer(&w, xd);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_DETACHED);
	ck_assert(th_exists(w.stream_dir, "0-1.0/backup"));
	ck_assert(th_exists(w.stream_dir, "0-1.0"));
}
END_TEST

/* The same, with the daemon running and the reload seen only at the next look (SIGHUP). */
START_TEST(test_module_reloaded_between_two_looks_is_noticed)
{
	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	reload_module_with_foreign_item(&w);

	ck_assert_int_eq(world_reload(&w), 0);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	TbsStream *s = world_stream(&w, "0-1.0", "backup");
	ck_assert(!s->owned);
	world_remove_peer(&w, xd);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_DETACHED);
	ck_assert(th_exists(w.stream_dir, "0-1.0/backup"));
}
END_TEST

/*
 * Our item was removed by hand while the daemon was down and someone made one
 * of the same name: a new directory (made under another name first, so that
 * no inode number can be reused), not ours.
 */
START_TEST(test_restart_does_not_own_an_item_made_again_by_someone_else)
{
	g_autofree char *g = g_build_filename(w.stream_dir, "0-1.0", NULL);
	g_autofree char *mine = g_build_filename(g, "backup", NULL);
	g_autofree char *theirs = g_build_filename(g, "theirs", NULL);

	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	world_stop(&w);
	ck_assert_int_eq(mkdir(theirs, 0755), 0);
	ck_assert_int_eq(rmdir(mine), 0);
	ck_assert_int_eq(rename(theirs, mine), 0);

	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	TbsStream *s = world_stream(&w, "0-1.0", "backup");
	ck_assert_msg(!s->owned, "an item made again by someone else is taken as ours");
	world_remove_peer(&w, xd);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_DETACHED);
	ck_assert(th_exists(w.stream_dir, "0-1.0/backup"));
	/* the group is still ours, but not empty */
	ck_assert(th_exists(w.stream_dir, "0-1.0"));
}
END_TEST

/*
 * A stream is ready once udev has handled its node's event (rules, by-name
 * links), not when devtmpfs makes the node; the policy's mode comes after
 * udev's rules.
 */
START_TEST(test_stream_is_ready_only_after_udevs_event_for_its_node)
{
	g_autofree char *node = g_build_filename(w.dev, "tbstream0", NULL);
	struct stat st;

	w.config.node_subsystem = "tbstream";
	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_WAITING_DEVICE);
	/* the node is there; udev has not said anything about it */
	ck_assert_int_eq(stat(node, &st), 0);
	g_usleep(200000);
	world_settle(&w);
	ck_assert_int_eq(world_stream(&w, "0-1.0", "backup")->state, TBS_STREAM_WAITING_DEVICE);
	ck_assert_uint_eq(w.n_ready, 0);

	g_autofree char *dev = umockdev_testbed_add_device(w.tb, "tbstream", "tbstream0", NULL,
							   NULL, "DEVNAME", "tbstream0", NULL);
	ck_assert_ptr_nonnull(dev);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	ck_assert_int_eq(stat(node, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
}
END_TEST

/* udev that never answers (a lost event) delays a stream, it does not keep it forever. */
START_TEST(test_stream_goes_ready_without_udevs_event_after_the_timeout)
{
	w.config.node_subsystem = "tbstream";
	w.config.udev_timeout_usec = 300000;
	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_WAITING_DEVICE);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	TbsStream *s = world_stream(&w, "0-1.0", "backup");
	ck_assert_uint_ge(s->ready_usec - s->created_usec, 300000);
}
END_TEST

static bool configfs_ready(World *wd, const void *data)
{
	return tbs_manager_configfs_state(wd->m) == TBS_CONFIGFS_READY;
}

START_TEST(test_missing_stream_module_is_reported_and_recovered_from)
{
	g_autofree char *tb = g_build_filename(w.cfs, "thunderbolt", NULL);
	th_rm_rf(tb);
	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	ck_assert_int_eq(tbs_manager_configfs_state(w.m), TBS_CONFIGFS_NO_MODULE);
	ck_assert_ptr_nonnull(strstr(tbs_manager_status(w.m), "stream module not loaded"));
	ck_assert_ptr_null(world_stream(&w, "0-1.0", "backup"));

	ck_assert_int_eq(g_mkdir_with_parents(w.stream_dir, 0755), 0);
	WAIT_FOR(configfs_ready, NULL);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
}
END_TEST

START_TEST(test_module_unloaded_while_running_is_noticed_and_recovered_from)
{
	world_policy(&w, allow_a);
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	world_remove_peer(&w, xd);
	WAIT_GONE("0-1.0", "backup");

	/* "rmmod": the whole thunderbolt/stream tree goes */
	g_autofree char *tb = g_build_filename(w.cfs, "thunderbolt", NULL);
	th_rm_rf(tb);
	g_autofree char *xd2 = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_FOR(peer_connected, UUID_A);
	world_settle(&w);
	ck_assert_int_eq(tbs_manager_configfs_state(w.m), TBS_CONFIGFS_NO_MODULE);
	ck_assert_ptr_null(world_stream(&w, "0-1.0", "backup"));

	/* "modprobe": the retry finds it and the plugged peer gets its stream */
	ck_assert_int_eq(g_mkdir_with_parents(w.stream_dir, 0755), 0);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
}
END_TEST

START_TEST(test_unmounted_configfs_root_is_reported)
{
	g_autofree char *saved = g_strdup(w.config.configfs_root);
	w.config.configfs_root = "/nonexistent/tbstreamd-test";
	world_start(&w);
	ck_assert_int_eq(tbs_manager_configfs_state(w.m), TBS_CONFIGFS_NOT_MOUNTED);
	ck_assert_ptr_nonnull(strstr(tbs_manager_status(w.m), "ConfigFS is not mounted"));
	w.config.configfs_root = w.cfs;
}
END_TEST

START_TEST(test_late_device_node_is_waited_for_not_polled)
{
	fake_kernel_set_device_delay(w.fk, 100000);
	world_policy(&w, allow_a);
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	ck_assert_uint_ge(w.n_waiting, 1);
	struct stat st;
	g_autofree char *node = g_build_filename(w.dev, "tbstream0", NULL);
	ck_assert_int_eq(stat(node, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
}
END_TEST

START_TEST(test_asynchronously_populated_item_is_waited_for)
{
	fake_kernel_set_async(w.fk, true);
	world_policy(&w, allow_a);
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	g_autofree char *ring = item_attr("0-1.0", "backup", "ring_size");
	ck_assert_str_eq(ring, "512");
}
END_TEST

START_TEST(test_peer_hopids_mode_leaves_hopids_to_the_kernel)
{
	world_policy(&w, "[Stream backup]\nHopIDs=peer\n"
			 "[Stream ctl]\nHopIDs=8,9\n"
			 "[Peer all]\nMatchAny=yes\nStreams=backup;ctl\n");
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	WAIT_STATE("0-1.0", "ctl", TBS_STREAM_READY);
	g_autofree char *in = item_attr("0-1.0", "backup", "in_hopid");
	g_autofree char *cin = item_attr("0-1.0", "ctl", "in_hopid");
	g_autofree char *cout = item_attr("0-1.0", "ctl", "out_hopid");
	ck_assert_str_eq(in, "0"); /* the fake kernel's "unset" */
	ck_assert_str_eq(cin, "8");
	ck_assert_str_eq(cout, "9");
	ck_assert_int_eq(world_stream(&w, "0-1.0", "ctl")->info.in_hopid, 8);
}
END_TEST

START_TEST(test_change_event_reevaluates_policy_with_new_name)
{
	world_policy(&w, "[Stream backup]\n[Peer byname]\nMatchName=laptop\nStreams=backup\n");
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "other");
	WAIT_FOR(peer_connected, UUID_A);
	ck_assert(!tbs_manager_find_peer(w.m, UUID_A)->allowed);

	umockdev_testbed_set_attribute(w.tb, xd, "device_name", "laptop");
	umockdev_testbed_uevent(w.tb, xd, "change");
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	ck_assert_str_eq(tbs_manager_find_peer(w.m, UUID_A)->name, "laptop");
}
END_TEST

START_TEST(test_hostile_sysfs_values_are_bounded_and_sanitized)
{
	GString *huge = g_string_new(NULL);
	for (int i = 0; i < 100000; i++)
		g_string_append_c(huge, 'A');
	g_string_append(huge, "\xff\xfe\x01");

	world_policy(&w, "[Stream s]\n[Peer byname]\nMatchName=A*\nStreams=s\n");
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", "not-a-uuid\xff", huge->str);
	umockdev_testbed_set_attribute(w.tb, xd, "rx_speed", "\xff lots");
	umockdev_testbed_set_attribute(w.tb, xd, "rx_lanes", "-7");
	umockdev_testbed_uevent(w.tb, xd, "add");
	g_autofree char *svc = g_build_filename(xd, "0-1.0", NULL);
	umockdev_testbed_uevent(w.tb, svc, "add");
	WAIT_STATE("0-1.0", "s", TBS_STREAM_READY);

	TbsPeer *p = tbs_manager_find_peer(w.m, "sysname:0-1");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_le(strlen(p->name), 64);
	ck_assert(g_utf8_validate(p->name, -1, NULL));
	ck_assert_str_eq(p->uuid, "");
	ck_assert_uint_eq(p->rx_speed, 0);
	ck_assert_uint_eq(p->rx_lanes, 0);
	ck_assert_ptr_null(p->record); /* nothing to store it under */

	/* a peer with no attributes at all */
	g_autofree char *bare = umockdev_testbed_add_device(w.tb, "thunderbolt", "0-3", NULL, NULL,
							    "DEVTYPE", "thunderbolt_xdomain", NULL);
	umockdev_testbed_uevent(w.tb, bare, "add");
	WAIT_FOR(peer_connected, "sysname:0-3");
	TbsPeer *q = tbs_manager_find_peer(w.m, "sysname:0-3");
	ck_assert_str_eq(q->name, "");
	ck_assert(!q->allowed);

	/* a device whose name is not <domain>-<route> is ignored */
	g_autofree char *odd = umockdev_testbed_add_device(
		w.tb, "thunderbolt", "../evil", NULL, NULL, "DEVTYPE", "thunderbolt_xdomain", NULL);
	if (odd)
		umockdev_testbed_uevent(w.tb, odd, "add");
	for (int i = 0; i < 10; i++)
		sd_event_run(w.event, 5000);
	ck_assert_uint_eq(g_hash_table_size(tbs_manager_peers(w.m)), 2);

	world_remove_peer(&w, xd);
	WAIT_GONE("0-1.0", "s");
	WAIT_FOR(peer_disconnected, "sysname:0-1");
	ck_assert_ptr_null(tbs_manager_find_peer(w.m, "sysname:0-1"));
	g_string_free(huge, TRUE);
}
END_TEST

START_TEST(test_cable_flapping_100_times_leaves_nothing_behind)
{
	world_policy(&w, allow_a);
	world_start(&w);
	for (int i = 0; i < 100; i++) {
		g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
		WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
		world_remove_peer(&w, xd);
		WAIT_GONE("0-1.0", "backup");
		WAIT_FOR(peer_disconnected, UUID_A);
	}
	ck_assert_uint_eq(w.n_ready, 100);
	ck_assert_uint_eq(fake_kernel_live_items(w.fk), 0);
	ck_assert(!th_exists(w.stream_dir, "0-1.0"));
	GHashTableIter it;
	TbsPeer *p;
	g_hash_table_iter_init(&it, tbs_manager_peers(w.m));
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&p))
		ck_assert_msg(strcmp(p->id, UUID_A) == 0, "unexpected peer %s (%s)", p->id,
			      p->name);
	ck_assert_uint_eq(g_hash_table_size(tbs_manager_streams(w.m)), 0);
}
END_TEST

/* Every complete write of the ownership state ends in a rename onto it. */
static unsigned n_state_writes;

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);

	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	if (g_str_has_suffix(to, "/configfs.state"))
		n_state_writes++;
	return real(from, to);
}

/* At every item's mkdir the state on disk already names it as ours. */
static void intent_on_disk(const char *path, void *userdata)
{
	g_autofree char *state = th_read(w.state, "configfs.state");
	const char *key = path + strlen(w.stream_dir) + 1;

	(*(unsigned *)userdata)++;
	ck_assert_msg(state && strstr(state, key), "mkdir of %s before its intent was written:\n%s",
		      key, state ? state : "(no file)");
}

#define N_PLUG_STREAMS 8

static void policy_n_streams_for_all(unsigned n)
{
	GString *conf = g_string_new("[Peer all]\nMatchAny=yes\nStreams=");

	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(conf, "s%u;", i);
	g_string_append(conf, "\n");
	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(conf, "[Stream s%u]\n", i);
	world_policy(&w, conf->str);
	g_string_free(conf, TRUE);
}

/*
 * The intents of all of a plugged peer's streams go to disk in one write
 * before their mkdirs, then one write records what was made: not one fsynced
 * write per stream, which made a cold plug of many peers quadratic.
 */
START_TEST(test_plug_records_its_streams_in_one_write)
{
	g_autoptr(GPtrArray) xds = g_ptr_array_new_with_free_func(g_free);
	unsigned want = 4 * N_PLUG_STREAMS, mkdirs = 0;

	policy_n_streams_for_all(N_PLUG_STREAMS);
	for (int i = 0; i < 4; i++) {
		g_autofree char *name = g_strdup_printf("0-%x", i + 1);
		g_autofree char *uuid = g_strdup_printf("00000000-0000-0000-0000-%012d", i);
		g_autofree char *host = g_strdup_printf("host%d", i);
		g_ptr_array_add(xds, world_add_peer(&w, "thunderbolt", name, uuid, host));
	}
	fake_kernel_set_mkdir_hook(w.fk, intent_on_disk, &mkdirs);
	n_state_writes = 0;
	world_start(&w);
	ck_assert_msg(world_run_until(&w, n_ready, &want, 10000), "only %u ready",
		      world_count_ready(&w));
	world_settle(&w);
	ck_assert_uint_eq(mkdirs, want);
	/* cold plug: one intent per peer, and the records of what was made, batched */
	ck_assert_msg(n_state_writes <= 4 + 2, "%u writes for 4 peers with %d streams each",
		      n_state_writes, N_PLUG_STREAMS);

	/* hot plug: one intent, one record */
	n_state_writes = 0;
	want += N_PLUG_STREAMS;
	g_ptr_array_add(xds, world_add_peer(&w, "thunderbolt", "0-9", UUID_A, "late"));
	ck_assert_msg(world_run_until(&w, n_ready, &want, 10000), "only %u ready",
		      world_count_ready(&w));
	world_settle(&w);
	fake_kernel_set_mkdir_hook(w.fk, NULL, NULL);
	ck_assert_uint_eq(mkdirs, want);
	ck_assert_msg(n_state_writes <= 2, "%u writes for one peer with %d streams", n_state_writes,
		      N_PLUG_STREAMS);
	GHashTableIter it;
	TbsStream *st;
	g_hash_table_iter_init(&it, tbs_manager_streams(w.m));
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&st))
		ck_assert_msg(st->owned, "%s is not ours", st->key);
}
END_TEST

START_TEST(test_64_peers_with_8_streams_each)
{
	GString *conf = g_string_new("[Peer all]\nMatchAny=yes\nStreams=");
	g_autoptr(GPtrArray) xds = g_ptr_array_new_with_free_func(g_free);
	unsigned want = 64 * 8, zero = 0;

	for (int i = 0; i < 8; i++)
		g_string_append_printf(conf, "s%d;", i);
	g_string_append(conf, "\n");
	for (int i = 0; i < 8; i++)
		g_string_append_printf(conf, "[Stream s%d]\n", i);
	world_policy(&w, conf->str);
	g_string_free(conf, TRUE);
	world_start(&w);

	for (int i = 0; i < 64; i++) {
		g_autofree char *name = g_strdup_printf("0-%x", i + 1);
		g_autofree char *uuid = g_strdup_printf("00000000-0000-0000-0000-%012d", i);
		g_autofree char *host = g_strdup_printf("host%d", i);
		g_ptr_array_add(xds, world_add_peer(&w, "thunderbolt", name, uuid, host));
		/* umockdev's uevent socket is small: let the daemon drain it as udev would */
		WAIT_FOR(peer_connected, uuid);
	}
	ck_assert_msg(world_run_until(&w, n_ready, &want, 30000), "only %u ready",
		      world_count_ready(&w));
	ck_assert_uint_eq(fake_kernel_live_items(w.fk), 512);
	ck_assert(th_exists(w.stream_dir, "0-40.0/s7"));
	ck_assert(th_exists(w.dev, "tbstream511"));

	for (unsigned i = 0; i < xds->len; i++) {
		g_autofree char *uuid = g_strdup_printf("00000000-0000-0000-0000-%012u", i);
		world_remove_peer(&w, xds->pdata[i]);
		WAIT_FOR(peer_disconnected, uuid);
	}
	WAIT_FOR(no_streams, NULL);
	ck_assert(world_run_until(&w, n_ready, &zero, WAIT_MS));
	ck_assert_uint_eq(fake_kernel_live_items(w.fk), 0);
}
END_TEST

START_TEST(test_broken_policy_on_reload_keeps_the_last_good_one)
{
	world_policy(&w, allow_a);
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);

	world_policy(&w, "[Stream backup]\nRingSize=huge\n[Peer laptop]\nMatchUUID=" UUID_A
			 "\nStreams=backup\n");
	ck_assert_int_eq(world_reload(&w), -EINVAL);
	ck_assert(th_any_contains(tbs_manager_policy_errors(w.m), "tbstreamd.conf:2: RingSize="));
	ck_assert_ptr_nonnull(strstr(tbs_manager_status(w.m), "policy has errors"));
	ck_assert_int_eq(world_stream(&w, "0-1.0", "backup")->state, TBS_STREAM_READY);
	ck_assert_int_eq(tbs_policy_find_stream(tbs_manager_policy(w.m), "backup")->ring_size, 512);

	/* a good policy that no longer lists the stream takes it away */
	world_policy(&w, "[Stream other]\n[Peer laptop]\nMatchUUID=" UUID_A "\nStreams=other\n");
	ck_assert_int_eq(world_reload(&w), 0);
	WAIT_GONE("0-1.0", "backup");
	WAIT_STATE("0-1.0", "other", TBS_STREAM_READY);
	ck_assert_uint_eq(tbs_manager_policy_errors(w.m)->len, 0);
}
END_TEST

START_TEST(test_stream_kept_for_one_peer_is_not_handed_to_another)
{
	world_policy(&w, "[Daemon]\nOnUnplug=keep\n[Stream backup]\n"
			 "[Peer a]\nMatchUUID=" UUID_A "\nStreams=backup\n"
			 "[Peer b]\nMatchUUID=" UUID_B "\n");
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "a");
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	world_remove_peer(&w, xd);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_DETACHED);

	g_autofree char *xd2 = world_add_peer(&w, "thunderbolt", "0-1", UUID_B, "b");
	WAIT_GONE("0-1.0", "backup");
	ck_assert(!th_exists(w.stream_dir, "0-1.0/backup"));
}
END_TEST

START_TEST(test_simulated_fabric_subsystem_is_handled_like_real_hardware)
{
	w.subsystems[0] = (char *)"tbstream_sim";
	world_policy(&w, allow_a);
	world_start(&w);
	g_autofree char *real = world_add_peer(&w, "thunderbolt", "0-1", UUID_B, "real");
	g_autofree char *sim = world_add_peer(&w, "tbstream_sim", "1-1", UUID_A, "sim");
	WAIT_STATE("1-1.0", "backup", TBS_STREAM_READY);
	ck_assert_ptr_null(tbs_manager_find_peer(w.m, UUID_B));
}
END_TEST

START_TEST(test_subsystems_come_from_the_policy_without_override)
{
	w.config.subsystems = NULL;
	g_autofree char *conf = g_strdup_printf("[Daemon]\nSubsystems=tbstream_sim\n%s", allow_a);
	world_policy(&w, conf);
	world_start(&w);
	g_autofree char *sim = world_add_peer(&w, "tbstream_sim", "1-1", UUID_A, "sim");
	WAIT_STATE("1-1.0", "backup", TBS_STREAM_READY);
}
END_TEST

START_TEST(test_trusting_a_peer_applies_trusted_only_rules)
{
	world_policy(&w, "[Stream backup]\n[Peer trusted]\nMatchTrusted=yes\nStreams=backup\n");
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_FOR(peer_connected, UUID_A);
	TbsPeer *p = tbs_manager_find_peer(w.m, UUID_A);
	ck_assert(!p->allowed);

	ck_assert_int_eq(tbs_manager_set_peer_trusted(w.m, p, true), 0);
	ck_assert_int_eq(tbs_manager_set_peer_label(w.m, p, "desk\nlaptop"), 0);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	world_settle(&w);
	g_autofree char *rec = th_read(w.state, "peers/" UUID_A ".peer");
	ck_assert_ptr_nonnull(strstr(rec, "Trusted=true"));
	ck_assert_ptr_nonnull(strstr(rec, "Label=desk?laptop"));
	ck_assert_str_eq(tbs_peer_display_name(p), "desk?laptop");
}
END_TEST

START_TEST(test_identify_by_name_follows_a_peer_whose_uuid_changed)
{
	world_policy(&w, "[Daemon]\nIdentifyByName=yes\n[Stream backup]\n"
			 "[Peer trusted]\nMatchTrusted=yes\nStreams=backup\n");
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_FOR(peer_connected, UUID_A);
	ck_assert_int_eq(
		tbs_manager_set_peer_label(w.m, tbs_manager_find_peer(w.m, UUID_A), "desk"), 0);
	world_remove_peer(&w, xd);
	WAIT_FOR(peer_disconnected, UUID_A);

	/* "next boot": same host, new UUID; the record (its label) follows */
	g_autofree char *xd2 = world_add_peer(&w, "thunderbolt", "0-1", UUID_B, "laptop");
	WAIT_FOR(peer_connected, UUID_B);
	world_settle(&w);
	ck_assert_ptr_null(tbs_manager_find_peer(w.m, UUID_A));
	TbsPeer *p = tbs_manager_find_peer(w.m, UUID_B);
	ck_assert_str_eq(p->record->label, "desk");
	ck_assert(!p->allowed);
	ck_assert(!th_exists(w.state, "peers/" UUID_A ".peer"));
	g_autofree char *rec = th_read(w.state, "peers/" UUID_B ".peer");
	ck_assert_ptr_nonnull(strstr(rec, "Label=desk"));

	/* trusted by someone allowed to: the new UUID's own decision */
	ck_assert_int_eq(tbs_manager_set_peer_trusted(w.m, p, true), 0);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
}
END_TEST

/*
 * A's cable is pulled (its stream goes), and a peer with A's host name but
 * UUID B plugs in at the same port; returns B's xdomain syspath in *xd_b.
 */
static TbsPeer *impostor_replaces(const char *xd_a, char **xd_b)
{
	world_remove_peer(&w, xd_a);
	WAIT_GONE("0-1.0", "backup");
	*xd_b = world_add_peer(&w, "thunderbolt", "0-1", UUID_B, "laptop");
	WAIT_FOR(peer_connected, UUID_B);
	world_settle(&w);
	return tbs_manager_find_peer(w.m, UUID_B);
}

/*
 * A peer claims any host name: claiming a trusted peer's gets it nothing, and
 * takes nothing from the trusted peer, which is let in when it comes back.
 */
START_TEST(test_identify_by_name_leaves_a_trusted_record_alone)
{
	world_policy(&w, "[Daemon]\nIdentifyByName=yes\n[Stream backup]\n"
			 "[Peer trusted]\nMatchTrusted=yes\nStreams=backup\n");
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_FOR(peer_connected, UUID_A);
	ck_assert_int_eq(
		tbs_manager_set_peer_trusted(w.m, tbs_manager_find_peer(w.m, UUID_A), true), 0);
	ck_assert_int_eq(
		tbs_manager_set_peer_label(w.m, tbs_manager_find_peer(w.m, UUID_A), "desk"), 0);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	g_autofree char *xd2 = NULL;
	TbsPeer *p = impostor_replaces(xd, &xd2);
	ck_assert(!p->record->trusted);
	ck_assert_ptr_null(p->record->label); /* "desk" would make it look like A */
	ck_assert(!p->allowed);
	ck_assert_ptr_null(world_stream(&w, "0-1.0", "backup"));
	g_autofree char *rec_a = th_read(w.state, "peers/" UUID_A ".peer");
	ck_assert_ptr_nonnull(strstr(rec_a, "Trusted=true"));
	ck_assert_ptr_nonnull(strstr(rec_a, "Label=desk"));

	/* the real A comes back with its own UUID: still trusted, still let in */
	world_remove_peer(&w, xd2);
	WAIT_FOR(peer_disconnected, UUID_B);
	g_autofree char *xd3 = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_FOR(peer_connected, UUID_A);
	ck_assert(tbs_manager_find_peer(w.m, UUID_A)->record->trusted);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
}
END_TEST

/* A peer claims any host name: claiming an enrolled peer's gets it no streams. */
START_TEST(test_identify_by_name_does_not_carry_an_enrollment_over)
{
	world_policy(&w, "[Daemon]\nIdentifyByName=yes\n[Stream backup]\n"
			 "[Peer enrolled]\nMatchEnrolled=yes\nAllow=yes\n");
	world_start(&w);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	WAIT_FOR(peer_connected, UUID_A);
	TbsEnrollment e = {
		.owner = TBS_ENROLL_UNSET, .group = TBS_ENROLL_UNSET, .mode = TBS_ENROLL_UNSET};
	g_auto(GStrv) streams = g_strsplit("backup", ";", -1);
	e.streams = streams;
	ck_assert_int_eq(tbs_manager_enroll_peer(w.m, tbs_manager_find_peer(w.m, UUID_A), &e), 0);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	g_autofree char *xd2 = NULL;
	TbsPeer *p = impostor_replaces(xd, &xd2);
	ck_assert(!p->record->enrolled);
	ck_assert(!p->allowed);
	ck_assert_ptr_null(world_stream(&w, "0-1.0", "backup"));
	g_autofree char *rec = th_read(w.state, "peers/" UUID_B ".peer");
	ck_assert_ptr_null(strstr(rec, "[Enrollment]"));
	/* and the enrolled peer keeps its enrollment for when it comes back */
	g_autofree char *rec_a = th_read(w.state, "peers/" UUID_A ".peer");
	ck_assert_ptr_nonnull(strstr(rec_a, "[Enrollment]"));
}
END_TEST

START_TEST(test_corrupt_store_file_does_not_stop_the_daemon)
{
	th_write(w.state, "peers/" UUID_A ".peer", "\x01garbage");
	world_policy(&w, allow_a);
	g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID_A, "laptop");
	world_start(&w);
	WAIT_STATE("0-1.0", "backup", TBS_STREAM_READY);
	world_settle(&w);
	ck_assert(th_exists(w.state, "peers/" UUID_A ".peer.corrupt"));
	world_settle(&w);
	g_autofree char *rec = th_read(w.state, "peers/" UUID_A ".peer");
	ck_assert_ptr_nonnull(strstr(rec, "Name=laptop"));
}
END_TEST

static Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("udev");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_coldplugged_peer_gets_configured_stream_with_permissions);
	tcase_add_test(tc, test_hotplug_creates_and_unplug_removes_owned_stream_and_group);
	tcase_add_test(tc, test_keep_on_unplug_keeps_item_and_replug_brings_it_back);
	tcase_add_test(tc, test_default_policy_denies_every_peer);
	tcase_add_test(tc, test_hand_made_stream_is_adopted_untouched_and_never_removed);
	tcase_add_test(tc, test_restart_adopts_own_streams_without_touching_them);
	tcase_add_test(tc, test_restart_applies_unplug_to_a_peer_that_left_while_down);
	tcase_add_test(tc, test_restart_leaves_the_streams_of_a_present_peer_alone);
	tcase_add_test(tc, test_restart_does_not_own_items_of_a_reloaded_module);
	tcase_add_test(tc, test_module_reloaded_between_two_looks_is_noticed);
	tcase_add_test(tc, test_restart_does_not_own_an_item_made_again_by_someone_else);
	tcase_add_test(tc, test_crash_right_after_mkdir_keeps_ownership);
	tcase_add_test(tc, test_node_swapped_for_a_symlink_does_not_redirect_chmod);
	tcase_add_test(tc, test_failed_state_write_is_retried);
	tcase_add_test(tc, test_uuid_change_at_same_syspath_keeps_the_service);
	tcase_add_test(tc, test_store_is_bounded_by_expiring_oldest_untrusted_records);
	tcase_add_test(tc, test_missing_stream_module_is_reported_and_recovered_from);
	tcase_add_test(tc, test_module_unloaded_while_running_is_noticed_and_recovered_from);
	tcase_add_test(tc, test_unmounted_configfs_root_is_reported);
	tcase_add_test(tc, test_late_device_node_is_waited_for_not_polled);
	tcase_add_test(tc, test_stream_is_ready_only_after_udevs_event_for_its_node);
	tcase_add_test(tc, test_stream_goes_ready_without_udevs_event_after_the_timeout);
	tcase_add_test(tc, test_asynchronously_populated_item_is_waited_for);
	tcase_add_test(tc, test_peer_hopids_mode_leaves_hopids_to_the_kernel);
	tcase_add_test(tc, test_change_event_reevaluates_policy_with_new_name);
	tcase_add_test(tc, test_hostile_sysfs_values_are_bounded_and_sanitized);
	tcase_add_test(tc, test_cable_flapping_100_times_leaves_nothing_behind);
	tcase_add_test(tc, test_plug_records_its_streams_in_one_write);
	tcase_add_test(tc, test_64_peers_with_8_streams_each);
	tcase_add_test(tc, test_broken_policy_on_reload_keeps_the_last_good_one);
	tcase_add_test(tc, test_stream_kept_for_one_peer_is_not_handed_to_another);
	tcase_add_test(tc, test_simulated_fabric_subsystem_is_handled_like_real_hardware);
	tcase_add_test(tc, test_subsystems_come_from_the_policy_without_override);
	tcase_add_test(tc, test_trusting_a_peer_applies_trusted_only_rules);
	tcase_add_test(tc, test_identify_by_name_follows_a_peer_whose_uuid_changed);
	tcase_add_test(tc, test_identify_by_name_leaves_a_trusted_record_alone);
	tcase_add_loop_test(tc, test_killed_after_any_configfs_call_leaves_nothing_behind, 0, 4);
	tcase_add_test(tc, test_identify_by_name_does_not_carry_an_enrollment_over);
	tcase_add_test(tc, test_corrupt_store_file_does_not_stop_the_daemon);
	suite_add_tcase(s, tc);
	return s;
}

TH_RUN_SUITE(daemon_suite)
