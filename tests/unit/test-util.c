/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"
#include "log.h"
#include "util.h"

START_TEST(test_stream_names_accept_kernel_compatible_names)
{
	const char *good[] = {"a", "backup", "cam_1", "x-y", "ABCDEFGH", "0", "a_b-c"};
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
		ck_assert_msg(tbs_stream_name_is_valid(good[i]), "%s should be valid", good[i]);
}
END_TEST

START_TEST(test_stream_names_reject_paths_spaces_long_and_non_ascii)
{
	const char *bad[] = {"", "ABCDEFGHI", "a/b", ".", "..", "a.b", "a b", "tab\t", "\n",
			     "-lead", "é", "cam\x7f", "*", "a;b", "$x",
			     /* the stream service's own property keys (kernel/props.c) */
			     "prtcid", "prtcvers", "prtcrevs", "prtcstns", "padding"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		ck_assert_msg(!tbs_stream_name_is_valid(bad[i]), "\"%s\" should be invalid",
			      bad[i]);
	ck_assert(!tbs_stream_name_is_valid(NULL));
}
END_TEST

START_TEST(test_uuid_is_normalized_to_lower_case)
{
	char out[37];
	ck_assert_int_eq(tbs_uuid_normalize("3A1CB984-C4D9-4469-A277-CE2FDFD11F0D", out), 0);
	ck_assert_str_eq(out, "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d");
}
END_TEST

START_TEST(test_uuid_rejects_malformed)
{
	const char *bad[] = {"",
			     "3a1cb984c4d94469a277ce2fdfd11f0d",
			     "3a1cb984-c4d9-4469-a277-ce2fdfd11f0",
			     "3a1cb984-c4d9-4469-a277-ce2fdfd11f0dd",
			     "3a1cb984-c4d9-4469-a277_ce2fdfd11f0d",
			     "za1cb984-c4d9-4469-a277-ce2fdfd11f0d",
			     "3a1cb984-c4d9-4469-a277-ce2fdfd11f\xc3\xa9"};
	char out[37];
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		ck_assert_int_eq(tbs_uuid_normalize(bad[i], out), -EINVAL);
	ck_assert_int_eq(tbs_uuid_normalize(NULL, out), -EINVAL);
}
END_TEST

START_TEST(test_group_names_parse_route_as_hex)
{
	unsigned d, svc;
	uint64_t route;

	ck_assert_int_eq(tbs_group_name_parse("0-1.0", &d, &route, &svc), 0);
	ck_assert_uint_eq(d, 0);
	ck_assert_uint_eq(route, 1);
	ck_assert_uint_eq(svc, 0);
	ck_assert_int_eq(tbs_group_name_parse("0-503.0", &d, &route, &svc), 0);
	ck_assert_uint_eq(route, 0x503);
	ck_assert_int_eq(tbs_group_name_parse("12-ffffffffffffffff.7", &d, &route, &svc), 0);
	ck_assert_uint_eq(d, 12);
	ck_assert(route == UINT64_MAX);
	ck_assert_uint_eq(svc, 7);
	ck_assert_int_eq(tbs_xdomain_name_parse("1-3", &d, &route), 0);
	ck_assert_uint_eq(route, 3);
}
END_TEST

START_TEST(test_group_names_reject_everything_else)
{
	const char *bad[] = {"",
			     "0-1",
			     "0-1.",
			     "-1.0",
			     "0-g.0",
			     "0-1.0x",
			     "+0-1.0",
			     " 0-1.0",
			     "0-1.0 ",
			     "0--1.0",
			     "0-1ffffffffffffffff.0",
			     "0-1.0/..",
			     "99999999999-1.0",
			     "0-1.-1",
			     "0x1-1.0"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		ck_assert_msg(tbs_group_name_parse(bad[i], NULL, NULL, NULL) < 0, "\"%s\" accepted",
			      bad[i]);
	ck_assert(tbs_xdomain_name_parse("0-1.0", NULL, NULL) < 0);
}
END_TEST

START_TEST(test_sanitize_cuts_huge_strings_on_a_character_boundary)
{
	g_autofree char *in = g_strnfill(100000, 'x');
	_cleanup_free_ char *out = tbs_sanitize_string(in, strlen(in), 64);
	ck_assert_uint_eq(strlen(out), 64);

	/* 'é' is two bytes: 33 of them do not fit in 65 bytes, 32 do */
	GString *s = g_string_new(NULL);
	for (int i = 0; i < 40; i++)
		g_string_append(s, "é");
	_cleanup_free_ char *out2 = tbs_sanitize_string(s->str, s->len, 65);
	ck_assert_uint_eq(strlen(out2), 64);
	ck_assert(g_utf8_validate(out2, -1, NULL));
	g_string_free(s, TRUE);
}
END_TEST

START_TEST(test_sanitize_replaces_invalid_utf8_and_control_characters)
{
	const char in[] = "ho\xffst\x01na\xc3me\tx";
	_cleanup_free_ char *out = tbs_sanitize_string(in, sizeof(in) - 1, 64);
	ck_assert_str_eq(out, "ho?st?na?me?x");
	ck_assert(g_utf8_validate(out, -1, NULL));

	_cleanup_free_ char *trimmed = tbs_sanitize_string("  laptop \n", 10, 64);
	ck_assert_str_eq(trimmed, "laptop");

	/* a cut inside inner spaces must not leave them at the end (fuzz/store) */
	_cleanup_free_ char *cut = tbs_sanitize_string("my laptop    end", 16, 12);
	ck_assert_str_eq(cut, "my laptop");

	_cleanup_free_ char *empty = tbs_sanitize_string("", 0, 64);
	ck_assert_str_eq(empty, "");

	/* an embedded NUL ends the string */
	_cleanup_free_ char *nul = tbs_sanitize_string("ab\0cd", 5, 64);
	ck_assert_str_eq(nul, "ab");
}
END_TEST

START_TEST(test_sanitize_random_bytes_is_always_bounded_valid_utf8)
{
	GRand *rnd = g_rand_new_with_seed(1);

	for (int iter = 0; iter < 2000; iter++) {
		char in[256];
		size_t n = (size_t)g_rand_int_range(rnd, 0, sizeof(in));
		for (size_t i = 0; i < n; i++)
			in[i] = (char)g_rand_int_range(rnd, 0, 256);
		_cleanup_free_ char *out = tbs_sanitize_string(in, n, 64);
		ck_assert_ptr_nonnull(out);
		ck_assert_uint_le(strlen(out), 64);
		ck_assert(g_utf8_validate(out, -1, NULL));
		for (const char *p = out; *p; p = g_utf8_next_char(p))
			ck_assert(!g_unichar_iscntrl(g_utf8_get_char(p)));
	}
	g_rand_free(rnd);
}
END_TEST

START_TEST(test_parse_speed_accepts_kernel_format_only)
{
	unsigned v;
	ck_assert_int_eq(tbs_parse_speed("20.0 Gb/s", &v), 0);
	ck_assert_uint_eq(v, 20);
	ck_assert_int_eq(tbs_parse_speed("40 Gb/s", &v), 0);
	ck_assert_uint_eq(v, 40);
	ck_assert_int_eq(tbs_parse_speed("fast", &v), -EINVAL);
	ck_assert_int_eq(tbs_parse_speed("20.5 Gb/s", &v), -EINVAL);
	ck_assert_int_eq(tbs_parse_speed("99999999999999.0 Gb/s", &v), -EINVAL);
	ck_assert_int_eq(tbs_parse_speed("", &v), -EINVAL);
}
END_TEST

START_TEST(test_parse_long_and_bool_are_strict)
{
	long v;
	bool b;
	ck_assert_int_eq(tbs_parse_long("256", 32, 4096, &v), 0);
	ck_assert_int_eq(v, 256);
	ck_assert_int_eq(tbs_parse_long("16", 32, 4096, &v), -ERANGE);
	ck_assert_int_eq(tbs_parse_long("12abc", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tbs_parse_long(" 1", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tbs_parse_long("", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tbs_parse_long("99999999999999999999999", 0, 100, &v), -ERANGE);
	/* decimal only: no octal, hex or sign (HopIDs "010,011" were 8 and 9) */
	ck_assert_int_eq(tbs_parse_long("010", 0, 100, &v), 0);
	ck_assert_int_eq(v, 10);
	ck_assert_int_eq(tbs_parse_long("0x8", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tbs_parse_long("+8", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tbs_parse_long("-8", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tbs_parse_long("8 ", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tbs_parse_long("-1", -1, 100, &v), 0);
	ck_assert_int_eq(v, -1);
	ck_assert_int_eq(tbs_parse_long("-", -1, 100, &v), -EINVAL);
	ck_assert_int_eq(tbs_parse_bool("yes", &b), 0);
	ck_assert(b);
	ck_assert_int_eq(tbs_parse_bool("Off", &b), 0);
	ck_assert(!b);
	ck_assert_int_eq(tbs_parse_bool("maybe", &b), -EINVAL);
}
END_TEST

START_TEST(test_parse_seconds_takes_decimal_seconds_only)
{
	uint64_t u;
	ck_assert_int_eq(tbs_parse_seconds("60", 86400, &u), 0);
	ck_assert_uint_eq(u, 60000000);
	ck_assert_int_eq(tbs_parse_seconds("0.25", 86400, &u), 0);
	ck_assert_uint_eq(u, 250000);
	ck_assert_int_eq(tbs_parse_seconds("1.000001", 86400, &u), 0);
	ck_assert_uint_eq(u, 1000001);
	ck_assert_int_eq(tbs_parse_seconds("86400", 86400, &u), 0);
	ck_assert_uint_eq(u, 86400000000ULL);
	ck_assert_int_eq(tbs_parse_seconds("86400.5", 86400, &u), -ERANGE);
	ck_assert_int_eq(tbs_parse_seconds("86401", 86400, &u), -ERANGE);
	ck_assert_int_eq(tbs_parse_seconds("99999999999999999999999", 86400, &u), -ERANGE);
	ck_assert_int_eq(tbs_parse_seconds("1.0000001", 86400, &u), -EINVAL);
	ck_assert_int_eq(tbs_parse_seconds("", 86400, &u), -EINVAL);
	ck_assert_int_eq(tbs_parse_seconds("-1", 86400, &u), -EINVAL);
	ck_assert_int_eq(tbs_parse_seconds(" 1", 86400, &u), -EINVAL);
	ck_assert_int_eq(tbs_parse_seconds("1.", 86400, &u), -EINVAL);
	ck_assert_int_eq(tbs_parse_seconds(".5", 86400, &u), -EINVAL);
	ck_assert_int_eq(tbs_parse_seconds("5s", 86400, &u), -EINVAL);
	ck_assert_int_eq(tbs_parse_seconds("1e3", 86400, &u), -EINVAL);
}
END_TEST

START_TEST(test_read_attr_is_bounded_and_strips_newlines)
{
	g_autofree char *dir = th_mkdtemp();
	g_autofree char *big = g_strnfill(1 << 20, 'y');
	char buf[128];

	th_write(dir, "big", big);
	ck_assert_int_eq(tbs_read_attr(dir, "big", buf, sizeof(buf)), 127);
	th_write(dir, "small", "20.0 Gb/s\n\n");
	ck_assert_int_eq(tbs_read_attr(dir, "small", buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "20.0 Gb/s");
	ck_assert_int_eq(tbs_read_attr(dir, "missing", buf, sizeof(buf)), -ENOENT);
	th_rm_rf(dir);
}
END_TEST

START_TEST(test_write_attr_never_creates_files)
{
	g_autofree char *dir = th_mkdtemp();

	ck_assert_int_eq(tbs_write_attr(dir, "in_hopid", "-1"), -ENOENT);
	ck_assert(!th_exists(dir, "in_hopid"));
	th_write(dir, "throttling", "8192\n");
	ck_assert_int_eq(tbs_write_attr(dir, "throttling", "0"), 0);
	g_autofree char *v = th_read(dir, "throttling");
	ck_assert_str_eq(v, "0");
	th_rm_rf(dir);
}
END_TEST

START_TEST(test_atomic_write_replaces_and_leaves_no_temporary)
{
	g_autofree char *dir = th_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "f", NULL);
	_cleanup_free_ char *data = NULL;
	size_t len;

	ck_assert_int_eq(tbs_write_file_atomic(path, "one", 3, 0644), 0);
	ck_assert_int_eq(tbs_write_file_atomic(path, "second", 6, 0644), 0);
	ck_assert_int_eq(tbs_read_file(path, 100, &data, &len), 0);
	ck_assert_str_eq(data, "second");
	GDir *d = g_dir_open(dir, 0, NULL);
	int n = 0;
	while (g_dir_read_name(d))
		n++;
	g_dir_close(d);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(tbs_read_file(path, 3, &data, &len), -EFBIG);
	th_rm_rf(dir);
}
END_TEST

/* A FIFO where a file belongs (policy, store, state) is refused at once, not waited on. */
START_TEST(test_read_file_refuses_fifos_and_devices_without_blocking)
{
	g_autofree char *dir = th_mkdtemp();
	g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
	_cleanup_free_ char *data = NULL;
	size_t len;

	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(tbs_read_file(fifo, 100, &data, &len), -EBADFD);
	ck_assert_int_eq(tbs_read_file("/dev/null", 100, &data, &len), -EBADFD);
	ck_assert_int_eq(tbs_read_file(dir, 100, &data, &len), -EBADFD);
	ck_assert_ptr_null(data);
	th_rm_rf(dir);
}
END_TEST

/* fsync(2) of the test executable: records which files were synced, then syncs. */
static GPtrArray *synced;

int fsync(int fd)
{
	static int (*real_fsync)(int);
	char link[64], target[PATH_MAX];
	ssize_t n;

	if (!real_fsync)
		real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (synced && n > 0)
		g_ptr_array_add(synced, g_strndup(target, (gsize)n));
	return real_fsync(fd);
}

/* Durable, not just atomic: the data before the rename, the directory after it. */
START_TEST(test_atomic_write_syncs_file_and_directory)
{
	g_autofree char *dir = th_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "f", NULL);
	g_autofree char *tmp = g_strdup_printf("%s.tmp.%ld", path, (long)getpid());

	synced = g_ptr_array_new_with_free_func(g_free);
	ck_assert_int_eq(tbs_write_file_atomic(path, "data", 4, 0600), 0);
	ck_assert_uint_eq(synced->len, 2);
	ck_assert_str_eq(synced->pdata[0], tmp);
	ck_assert_str_eq(synced->pdata[1], dir);
	g_clear_pointer(&synced, g_ptr_array_unref);
	th_rm_rf(dir);
}
END_TEST

START_TEST(test_log_returns_negative_errno)
{
	tbs_log_set_target(TBS_LOG_TARGET_NULL);
	ck_assert_int_eq(log_error_errno(EIO, "x %m"), -EIO);
	ck_assert_int_eq(log_error_errno(-ENOENT, "y"), -ENOENT);
	ck_assert_int_eq(log_debug_errno(-EPERM, "hidden at info level"), -EPERM);
	ck_assert_int_eq(tbs_log_parse_level("debug"), LOG_DEBUG);
	ck_assert_int_eq(tbs_log_parse_level("nope"), -EINVAL);
}
END_TEST

/* ---- node permissions as the kernel checks them ---------------------------------------- */

static size_t acl_build(unsigned char *buf, const unsigned (*entries)[3], size_t n)
{
	buf[0] = 2, buf[1] = buf[2] = buf[3] = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char *e = buf + 4 + i * 8;
		e[0] = entries[i][0] & 0xff, e[1] = entries[i][0] >> 8;
		e[2] = entries[i][1], e[3] = 0;
		e[4] = entries[i][2] & 0xff, e[5] = entries[i][2] >> 8 & 0xff;
		e[6] = entries[i][2] >> 16 & 0xff, e[7] = entries[i][2] >> 24;
	}
	return 4 + n * 8;
}

START_TEST(test_node_permits_follows_mode_bits)
{
	struct stat st = {.st_uid = 1000, .st_gid = 100, .st_mode = S_IFCHR | 0640};
	const gid_t users[] = {5, 100}, other[] = {5};
	const unsigned R = TBS_ACCESS_READ, W = TBS_ACCESS_WRITE;

	ck_assert(tbs_node_permits(&st, NULL, 0, 1000, other, 1, R | W));
	ck_assert(tbs_node_permits(&st, NULL, 0, 1001, users, 2, R));
	ck_assert(!tbs_node_permits(&st, NULL, 0, 1001, users, 2, W));
	ck_assert(!tbs_node_permits(&st, NULL, 0, 1001, other, 1, R));
	ck_assert(tbs_node_permits(&st, NULL, 0, 0, NULL, 0, R | W));
	/* the owner gets the owner's bits only, even where group or other would give more */
	st.st_mode = S_IFCHR | 0066;
	ck_assert(!tbs_node_permits(&st, NULL, 0, 1000, users, 2, R));
	ck_assert(tbs_node_permits(&st, NULL, 0, 1001, other, 1, R | W));
	/* groups unknown: other bits cannot be trusted to apply */
	ck_assert(!tbs_node_permits(&st, NULL, 0, 1001, NULL, -1, R));
	st.st_mode = S_IFCHR | 0600;
	ck_assert(tbs_node_permits(&st, NULL, 0, 1000, NULL, -1, R | W));
}
END_TEST

START_TEST(test_node_permits_follows_an_access_acl)
{
	/* udev's uaccess: user:1001:rw on a root:root 0600 node (mask rw) */
	static const unsigned uaccess[][3] = {
		{0x01, 6, 0}, {0x02, 6, 1001}, {0x04, 0, 0}, {0x10, 6, 0}, {0x20, 0, 0}};
	/* group:100:rw with a mask of r */
	static const unsigned masked[][3] = {
		{0x01, 6, 0}, {0x04, 0, 0}, {0x08, 6, 100}, {0x10, 4, 0}, {0x20, 4, 0}};
	struct stat st = {.st_uid = 0, .st_gid = 0, .st_mode = S_IFCHR | 0660};
	const gid_t g100[] = {100}, g5[] = {5}, g0[] = {0};
	const unsigned R = TBS_ACCESS_READ, W = TBS_ACCESS_WRITE;
	unsigned char acl[64];
	size_t n;

	n = acl_build(acl, uaccess, G_N_ELEMENTS(uaccess));
	ck_assert(tbs_node_permits(&st, acl, n, 1001, g5, 1, R | W));
	ck_assert(!tbs_node_permits(&st, acl, n, 1002, g5, 1, R));
	/* a named user needs no groups */
	ck_assert(tbs_node_permits(&st, acl, n, 1001, NULL, -1, W));

	n = acl_build(acl, masked, G_N_ELEMENTS(masked));
	ck_assert(tbs_node_permits(&st, acl, n, 1002, g100, 1, R));
	ck_assert(!tbs_node_permits(&st, acl, n, 1002, g100, 1, W));
	/* no group matches: other applies, if the groups are known */
	ck_assert(tbs_node_permits(&st, acl, n, 1003, g5, 1, R));
	ck_assert(!tbs_node_permits(&st, acl, n, 1003, NULL, -1, R));
	/* a matching group that does not grant denies, although other would */
	ck_assert(!tbs_node_permits(&st, acl, n, 1004, g0, 1, R));

	/* malformed: wrong version, odd length, unknown tag */
	acl[0] = 3;
	ck_assert(!tbs_node_permits(&st, acl, n, 1002, g100, 1, R));
	acl[0] = 2;
	ck_assert(!tbs_node_permits(&st, acl, n - 1, 1002, g100, 1, R));
	acl[4] = 0x40;
	ck_assert(!tbs_node_permits(&st, acl, n, 1002, g100, 1, R));
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_stream_names_accept_kernel_compatible_names);
	tcase_add_test(tc, test_stream_names_reject_paths_spaces_long_and_non_ascii);
	tcase_add_test(tc, test_uuid_is_normalized_to_lower_case);
	tcase_add_test(tc, test_uuid_rejects_malformed);
	tcase_add_test(tc, test_group_names_parse_route_as_hex);
	tcase_add_test(tc, test_group_names_reject_everything_else);
	tcase_add_test(tc, test_sanitize_cuts_huge_strings_on_a_character_boundary);
	tcase_add_test(tc, test_sanitize_replaces_invalid_utf8_and_control_characters);
	tcase_add_test(tc, test_sanitize_random_bytes_is_always_bounded_valid_utf8);
	tcase_add_test(tc, test_parse_speed_accepts_kernel_format_only);
	tcase_add_test(tc, test_parse_long_and_bool_are_strict);
	tcase_add_test(tc, test_read_attr_is_bounded_and_strips_newlines);
	tcase_add_test(tc, test_write_attr_never_creates_files);
	tcase_add_test(tc, test_atomic_write_replaces_and_leaves_no_temporary);
	tcase_add_test(tc, test_read_file_refuses_fifos_and_devices_without_blocking);
	tcase_add_test(tc, test_atomic_write_syncs_file_and_directory);
	tcase_add_test(tc, test_log_returns_negative_errno);
	tcase_add_test(tc, test_parse_seconds_takes_decimal_seconds_only);
	tcase_add_test(tc, test_node_permits_follows_mode_bits);
	tcase_add_test(tc, test_node_permits_follows_an_access_acl);
	suite_add_tcase(s, tc);
	return s;
}

TH_RUN_SUITE(util_suite)
