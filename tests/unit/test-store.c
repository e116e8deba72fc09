/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "helpers.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define UUID1 "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d"
#define UUID2 "00000000-0000-0000-0000-000000000002"

static char *dir;

static void setup(void)
{
	tbs_log_set_target(TBS_LOG_TARGET_NULL);
	dir = th_mkdtemp();
}

static void teardown(void)
{
	th_rm_rf(dir);
	g_free(dir);
}

START_TEST(test_peer_record_round_trips_through_disk)
{
	{
		g_autoptr(TbsStore) s = NULL;
		ck_assert_int_eq(tbs_store_open(dir, &s), 0);
		TbsPeerRecord *r = tbs_store_ensure(s, UUID1);
		r->name = strdup("laptop");
		r->vendor = strdup("Intel");
		r->label = strdup("my = laptop\n[x]");
		r->trusted = true;
		r->first_seen = 1000;
		r->last_seen = 2000;
		ck_assert_int_eq(tbs_store_save(s, r), 0);
	}
	ck_assert(th_exists(dir, "peers/" UUID1 ".peer"));
	{
		g_autoptr(TbsStore) s = NULL;
		ck_assert_int_eq(tbs_store_open(dir, &s), 0);
		TbsPeerRecord *r = tbs_store_lookup(s, UUID1);
		ck_assert_ptr_nonnull(r);
		ck_assert_str_eq(r->name, "laptop");
		ck_assert_str_eq(r->vendor, "Intel");
		/* the newline is control garbage and comes back as '?': labels are one line */
		ck_assert_str_eq(r->label, "my = laptop?[x]");
		ck_assert(r->trusted);
		ck_assert_uint_eq(r->first_seen, 1000);
		ck_assert_uint_eq(r->last_seen, 2000);
		ck_assert_ptr_eq(tbs_store_lookup_by_name(s, "laptop"), r);
	}
}
END_TEST

START_TEST(test_enrollment_round_trips_and_bad_ones_are_corrupt)
{
	char *streams[] = {(char *)"backup", (char *)"sync", NULL};
	TbsEnrollment e = {.streams = streams,
			   .persistent = true,
			   .owner = 1000,
			   .group = TBS_ENROLL_UNSET,
			   .mode = 0640};
	const char *what;

	{
		g_autoptr(TbsStore) s = NULL;
		ck_assert_int_eq(tbs_store_open(dir, &s), 0);
		TbsPeerRecord *r = tbs_store_ensure(s, UUID1);
		r->enrolled = true;
		tbs_enrollment_copy(&r->enrollment, &e);
		ck_assert_int_eq(tbs_store_save(s, r), 0);
		r = tbs_store_ensure(s, UUID2);
		ck_assert_int_eq(tbs_store_save(s, r), 0);
	}
	{
		g_autoptr(TbsStore) s = NULL;
		ck_assert_int_eq(tbs_store_open(dir, &s), 0);
		TbsPeerRecord *r = tbs_store_lookup(s, UUID1);
		ck_assert(r && r->enrolled);
		ck_assert_uint_eq(g_strv_length(r->enrollment.streams), 2);
		ck_assert_str_eq(r->enrollment.streams[1], "sync");
		ck_assert(r->enrollment.persistent);
		ck_assert_uint_eq(r->enrollment.owner, 1000);
		ck_assert_uint_eq(r->enrollment.group, TBS_ENROLL_UNSET);
		ck_assert_uint_eq(r->enrollment.mode, 0640);
		r = tbs_store_lookup(s, UUID2);
		ck_assert(r && !r->enrolled);
	}

	/* a hand-edited enrollment is checked like Enroll's input */
	static const char *const bad[] = {"Streams=-x;\n", "Streams=a;a;\n", "Mode=4755\n",
					  "Owner=4294967295\n"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *data = g_strdup_printf(
			"[Peer]\nVersion=1\nUUID=" UUID1 "\n[Enrollment]\n%s", bad[i]);
		TbsPeerRecord *r = NULL;
		ck_assert_int_eq(tbs_peer_record_parse(data, strlen(data), &r), -EBADMSG);
	}
	e.mode = 04755;
	ck_assert_int_eq(tbs_enrollment_validate(&e, &what), -EINVAL);
	ck_assert_str_eq(what, "Mode");
}
END_TEST

START_TEST(test_record_file_carries_a_format_version)
{
	g_autoptr(TbsPeerRecord) r = calloc(1, sizeof(TbsPeerRecord));
	g_autoptr(TbsPeerRecord) back = NULL;
	size_t len;

	strcpy(r->uuid, UUID1);
	g_autofree char *data = tbs_peer_record_serialize(r, &len);
	ck_assert_ptr_nonnull(strstr(data, "Version=1\n"));
	ck_assert_int_eq(tbs_peer_record_parse(data, len, &back), 0);
	ck_assert_str_eq(back->uuid, UUID1);
	ck_assert_ptr_null(back->label);
	ck_assert(!back->trusted);
}
END_TEST

static const char *corrupt[] = {
	"",
	"garbage\n",
	"[Peer]\nUUID=" UUID1 "\n",			   /* no version */
	"[Peer]\nVersion=0\nUUID=" UUID1 "\n",		   /* bad version */
	"[Peer]\nVersion=1\n",				   /* no UUID */
	"[Peer]\nVersion=1\nUUID=nope\n",		   /* bad UUID */
	"[Peer]\nVersion=1\nUUID=" UUID2 "\n",		   /* not the file's UUID */
	"[Peer]\nVersion=1\nUUID=" UUID1 "\nTrusted=si\n", /* bad boolean */
	"[Peer]\nVersion=1\nUUID=" UUID1 "\nName=\xff\xfe\n",
};

START_TEST(test_corrupt_record_is_moved_aside_and_not_fatal)
{
	g_autoptr(TbsStore) s = NULL;

	th_write(dir, "peers/" UUID1 ".peer", corrupt[_i]);
	th_write(dir, "peers/" UUID2 ".peer", "[Peer]\nVersion=1\nUUID=" UUID2 "\nName=ok\n");
	ck_assert_int_eq(tbs_store_open(dir, &s), 0);
	ck_assert_ptr_null(tbs_store_lookup(s, UUID1));
	ck_assert_ptr_nonnull(tbs_store_lookup(s, UUID2));
	ck_assert(!th_exists(dir, "peers/" UUID1 ".peer"));
	ck_assert(th_exists(dir, "peers/" UUID1 ".peer.corrupt"));
}
END_TEST

START_TEST(test_huge_record_is_moved_aside)
{
	g_autoptr(TbsStore) s = NULL;
	g_autofree char *huge = g_strnfill(100000, '#');

	th_write(dir, "peers/" UUID1 ".peer", huge);
	ck_assert_int_eq(tbs_store_open(dir, &s), 0);
	ck_assert_ptr_null(tbs_store_lookup(s, UUID1));
	ck_assert(th_exists(dir, "peers/" UUID1 ".peer.corrupt"));
}
END_TEST

START_TEST(test_newer_version_is_left_alone)
{
	g_autoptr(TbsStore) s = NULL;
	g_autofree char *content = NULL;

	th_write(dir, "peers/" UUID1 ".peer", "[Peer]\nVersion=99\nUUID=" UUID1 "\n");
	ck_assert_int_eq(tbs_store_open(dir, &s), 0);
	ck_assert_ptr_null(tbs_store_lookup(s, UUID1));
	content = th_read(dir, "peers/" UUID1 ".peer");
	ck_assert_ptr_nonnull(strstr(content, "Version=99"));
	ck_assert(!th_exists(dir, "peers/" UUID1 ".peer.corrupt"));
}
END_TEST

START_TEST(test_files_not_named_after_a_uuid_are_ignored)
{
	g_autoptr(TbsStore) s = NULL;

	th_write(dir, "peers/notes.peer", "garbage");
	th_write(dir, "peers/README", "hello");
	ck_assert_int_eq(tbs_store_open(dir, &s), 0);
	ck_assert_uint_eq(g_hash_table_size(tbs_store_records(s)), 0);
	ck_assert(th_exists(dir, "peers/notes.peer"));
}
END_TEST

START_TEST(test_rename_moves_the_record_to_the_new_uuid)
{
	g_autoptr(TbsStore) s = NULL;
	ck_assert_int_eq(tbs_store_open(dir, &s), 0);
	TbsPeerRecord *r = tbs_store_ensure(s, UUID1);
	r->label = strdup("desk");
	ck_assert_int_eq(tbs_store_save(s, r), 0);
	ck_assert_int_eq(tbs_store_rename(s, r, UUID2), 0);
	ck_assert(!th_exists(dir, "peers/" UUID1 ".peer"));
	ck_assert(th_exists(dir, "peers/" UUID2 ".peer"));
	ck_assert_ptr_eq(tbs_store_lookup(s, UUID2), r);
	ck_assert_ptr_null(tbs_store_lookup(s, UUID1));
	ck_assert_int_eq(tbs_store_forget(s, UUID2), 0);
	ck_assert(!th_exists(dir, "peers/" UUID2 ".peer"));
}
END_TEST

START_TEST(test_owned_items_survive_restart_only_within_a_boot)
{
	g_autoptr(TbsStore) s = NULL;
	g_autoptr(GHashTable) owned =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) back = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) other =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) requested =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) requested_back =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	ck_assert_int_eq(tbs_store_open(dir, &s), 0);
	g_hash_table_insert(owned, g_strdup("0-1.0"), g_strdup(""));
	g_hash_table_insert(owned, g_strdup("0-1.0/backup"), g_strdup(UUID1));
	g_hash_table_insert(owned, g_strdup("0-1.0/asked"), g_strdup(UUID1));
	g_hash_table_add(requested, g_strdup("0-1.0/asked"));
	ck_assert_int_eq(tbs_store_save_owned(s, "boot-a", owned, requested), 0);

	ck_assert_int_eq(tbs_store_load_owned(s, "boot-a", back, requested_back), 0);
	ck_assert_uint_eq(g_hash_table_size(back), 3);
	ck_assert_str_eq(g_hash_table_lookup(back, "0-1.0/backup"), UUID1);
	ck_assert_str_eq(g_hash_table_lookup(back, "0-1.0"), "");
	ck_assert_uint_eq(g_hash_table_size(requested_back), 1);
	ck_assert(g_hash_table_contains(requested_back, "0-1.0/asked"));

	ck_assert_int_eq(tbs_store_load_owned(s, "boot-b", other, NULL), 0);
	ck_assert_uint_eq(g_hash_table_size(other), 0);
}
END_TEST

/* Identities of what we made and of the module's directory survive; malformed ones do not. */
START_TEST(test_owned_identities_round_trip)
{
	g_autoptr(TbsStore) s = NULL;
	g_autoptr(GHashTable) owned =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) back = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) ids_back =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	char module[TBS_IDENTITY_MAX];

	ck_assert_int_eq(tbs_store_open(dir, &s), 0);
	g_hash_table_insert(owned, g_strdup("0-1.0"), g_strdup(""));
	g_hash_table_insert(owned, g_strdup("0-1.0/backup"), g_strdup(UUID1));
	g_hash_table_insert(owned, g_strdup("0-1.0/intent"), g_strdup(UUID1));
	g_hash_table_insert(ids, g_strdup("0-1.0"), g_strdup("44:1001"));
	g_hash_table_insert(ids, g_strdup("0-1.0/backup"), g_strdup("44:1002"));
	/* not owned (any more): not written */
	g_hash_table_insert(ids, g_strdup("0-1.0/gone"), g_strdup("44:1003"));
	ck_assert_int_eq(tbs_store_save_owned_full(s, "boot", owned, NULL, ids, "44:7"), 0);

	ck_assert_int_eq(tbs_store_load_owned_full(s, "boot", back, NULL, ids_back, module), 0);
	ck_assert_uint_eq(g_hash_table_size(back), 3);
	ck_assert_uint_eq(g_hash_table_size(ids_back), 2);
	ck_assert_str_eq(g_hash_table_lookup(ids_back, "0-1.0"), "44:1001");
	ck_assert_str_eq(g_hash_table_lookup(ids_back, "0-1.0/backup"), "44:1002");
	ck_assert_str_eq(module, "44:7");

	g_hash_table_remove_all(back);
	g_hash_table_remove_all(ids_back);
	th_write(dir, "configfs.state",
		 "[Configfs]\nVersion=1\nBootID=boot\nModule=44:x\nOwned=0-1.0;0-1.0/a/" UUID1
		 "\nIdentity=0-1.0=1:;0-1.0/a=-1:2;0-1.0/a=1:2:3;0-9.0=1:2;0-1.0/a\n");
	ck_assert_int_eq(tbs_store_load_owned_full(s, "boot", back, NULL, ids_back, module), 0);
	ck_assert_uint_eq(g_hash_table_size(back), 2);
	ck_assert_uint_eq(g_hash_table_size(ids_back), 0);
	ck_assert_str_eq(module, "");
}
END_TEST

START_TEST(test_owned_state_garbage_is_moved_aside)
{
	g_autoptr(TbsStore) s = NULL;
	g_autoptr(GHashTable) back = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	ck_assert_int_eq(tbs_store_open(dir, &s), 0);
	th_write(dir, "configfs.state", "\x01\x02 not a key file");
	ck_assert_int_eq(tbs_store_load_owned(s, "boot", back, NULL), 0);
	ck_assert_uint_eq(g_hash_table_size(back), 0);
	ck_assert(th_exists(dir, "configfs.state.corrupt"));

	/* entries that are not group names or stream names are dropped, not trusted */
	th_write(dir, "configfs.state",
		 "[Configfs]\nVersion=1\nBootID=boot\nOwned=0-1.0/ok/x;../etc;0-1.0/../../"
		 "x;0-2.0\nRequested=../etc;0-9.0/never-owned;0-1.0/ok\n");
	g_autoptr(GHashTable) requested =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ck_assert_int_eq(tbs_store_load_owned(s, "boot", back, requested), 0);
	ck_assert_uint_eq(g_hash_table_size(back), 2);
	/* only streams that are owned can have been requested */
	ck_assert_uint_eq(g_hash_table_size(requested), 1);
	ck_assert(g_hash_table_contains(requested, "0-1.0/ok"));
	ck_assert(g_hash_table_contains(back, "0-1.0/ok"));
	ck_assert(g_hash_table_contains(back, "0-2.0"));
}
END_TEST

/* Random bytes and mutated records: parse or refuse, never crash or leak. */
START_TEST(test_random_records_parse_or_are_refused)
{
	GRand *rnd = g_rand_new_with_seed(77);
	TbsPeerRecord good = {.uuid = UUID1, .name = (char *)"laptop", .label = (char *)"desk"};
	size_t len;
	g_autofree char *data = tbs_peer_record_serialize(&good, &len);

	for (int iter = 0; iter < 500; iter++) {
		g_autofree char *buf = g_memdup2(data, len + 1);
		TbsPeerRecord *r = NULL;
		int ret;

		for (int k = g_rand_int_range(rnd, 1, 8); k > 0; k--)
			buf[g_rand_int_range(rnd, 0, (gint32)len)] =
				(char)g_rand_int_range(rnd, 0, 256);
		ret = tbs_peer_record_parse(buf, len, &r);
		if (ret == 0) {
			ck_assert_int_eq(tbs_uuid_normalize(r->uuid, (char[37]){0}), 0);
			ck_assert(!r->label || g_utf8_validate(r->label, -1, NULL));
			tbs_peer_record_free(r);
		} else
			ck_assert_msg(ret == -EBADMSG || ret == -EPROTONOSUPPORT, "ret %d", ret);
	}
	g_rand_free(rnd);
}
END_TEST

/* FIFOs where records or the state file belong are skipped, not waited on. */
START_TEST(test_fifos_in_the_store_do_not_block)
{
	g_autoptr(TbsStore) s = NULL;
	g_autoptr(GHashTable) back = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autofree char *rec = g_build_filename(dir, "peers", UUID1 ".peer", NULL);
	g_autofree char *state = g_build_filename(dir, "configfs.state", NULL);

	th_write(dir, "peers/" UUID2 ".peer", "[Peer]\nVersion=1\nUUID=" UUID2 "\nName=ok\n");
	ck_assert_int_eq(mkfifo(rec, 0600), 0);
	ck_assert_int_eq(mkfifo(state, 0600), 0);
	ck_assert_int_eq(tbs_store_open(dir, &s), 0);
	ck_assert_ptr_null(tbs_store_lookup(s, UUID1));
	ck_assert_ptr_nonnull(tbs_store_lookup(s, UUID2));
	(void)tbs_store_load_owned(s, "boot", back, NULL);
	ck_assert_uint_eq(g_hash_table_size(back), 0);
}
END_TEST

/* Labels and trust are the owner's: not readable by others whatever the umask. */
START_TEST(test_store_is_private_to_its_owner)
{
	g_autoptr(TbsStore) s = NULL;
	g_autoptr(GHashTable) owned =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autofree char *peers = g_build_filename(dir, "peers", NULL);
	g_autofree char *rec = g_build_filename(peers, UUID1 ".peer", NULL);
	g_autofree char *state = g_build_filename(dir, "configfs.state", NULL);
	mode_t old = umask(022);
	struct stat st;

	ck_assert_int_eq(g_mkdir_with_parents(peers, 0755), 0);
	ck_assert_int_eq(tbs_store_open(dir, &s), 0);
	ck_assert_int_eq(tbs_store_save(s, tbs_store_ensure(s, UUID1)), 0);
	ck_assert_int_eq(tbs_store_save_owned(s, "boot", owned, NULL), 0);
	umask(old);
	ck_assert_int_eq(stat(peers, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(rec, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(stat(state, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_peer_record_round_trips_through_disk);
	tcase_add_test(tc, test_record_file_carries_a_format_version);
	tcase_add_loop_test(tc, test_corrupt_record_is_moved_aside_and_not_fatal, 0,
			    G_N_ELEMENTS(corrupt));
	tcase_add_test(tc, test_huge_record_is_moved_aside);
	tcase_add_test(tc, test_newer_version_is_left_alone);
	tcase_add_test(tc, test_files_not_named_after_a_uuid_are_ignored);
	tcase_add_test(tc, test_rename_moves_the_record_to_the_new_uuid);
	tcase_add_test(tc, test_owned_items_survive_restart_only_within_a_boot);
	tcase_add_test(tc, test_owned_state_garbage_is_moved_aside);
	tcase_add_test(tc, test_owned_identities_round_trip);
	tcase_add_test(tc, test_random_records_parse_or_are_refused);
	tcase_add_test(tc, test_fifos_in_the_store_do_not_block);
	tcase_add_test(tc, test_store_is_private_to_its_owner);
	tcase_add_test(tc, test_enrollment_round_trips_and_bad_ones_are_corrupt);
	suite_add_tcase(s, tc);
	return s;
}

TH_RUN_SUITE(store_suite)
