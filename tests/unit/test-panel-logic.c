/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The panel's pure parts: the by-name device path it shows (the same as
 * systemd/tbstream-devname makes), stream names as the daemon checks them,
 * the enrollment dialog's list of names, translated error texts chosen by
 * error name, never by the daemon's English message, what a domain's
 * security level and DMA protection mean, and a peer's link in each direction.
 */
#include <check.h>
#include <gio/gio.h>
#include <string.h>

#include "devpath.h"
#include "errors.h"
#include "link.h"
#include "names.h"
#include "security.h"

#define ASSERT_PATH(name, uuid, stream, want)                                                      \
	do {                                                                                       \
		g_autofree char *_p = tbs_stream_dev_path((name), (uuid), (stream));               \
		ck_assert_str_eq(_p ? _p : "(null)", (want));                                      \
	} while (0)

START_TEST(test_dev_path_cleans_names_like_tbstream_devname)
{
	ASSERT_PATH("alpha", "3a1cb984-c4d9", "backup", "/dev/tbstream/by-name/alpha/backup");
	ASSERT_PATH("my laptop/é", "u", "cam", "/dev/tbstream/by-name/my_laptop___/cam");
	ASSERT_PATH("-x", "u", "s", "/dev/tbstream/by-name/_x/s");
	ASSERT_PATH("..", "3a1c-b984", "s", "/dev/tbstream/by-uuid/3a1c-b984/s");
	ASSERT_PATH("", "not a uuid", "s", "(null)");
	{
		g_autofree char *long_name = g_strnfill(80, 'a');
		g_autofree char *want = g_strdup_printf("/dev/tbstream/by-name/%.64s/s", long_name);
		ASSERT_PATH(long_name, "", "s", want);
	}
}
END_TEST

START_TEST(test_stream_names_follow_the_daemons_rule)
{
	ck_assert(tbs_stream_name_is_valid("backup"));
	ck_assert(tbs_stream_name_is_valid("a_b-c9"));
	ck_assert(!tbs_stream_name_is_valid(""));
	ck_assert(!tbs_stream_name_is_valid("toolongnm"));
	ck_assert(!tbs_stream_name_is_valid("-lead"));
	ck_assert(!tbs_stream_name_is_valid("a b"));
	ck_assert(!tbs_stream_name_is_valid("prtcid"));
}
END_TEST

START_TEST(test_profile_names_split_dedupe_and_reject)
{
	g_auto(GStrv) names = tbs_parse_stream_names(" backup, cam  backup,,", NULL);
	g_auto(GStrv) none = tbs_parse_stream_names("", NULL);
	g_autofree char *bad = NULL;
	g_autoptr(GString) many = g_string_new(NULL);

	ck_assert_uint_eq(g_strv_length(names), 2);
	ck_assert_str_eq(names[0], "backup");
	ck_assert_str_eq(names[1], "cam");
	ck_assert_uint_eq(g_strv_length(none), 0);
	ck_assert_ptr_null(tbs_parse_stream_names("ok, -bad", &bad));
	ck_assert_str_eq(bad, "-bad");
	for (int i = 0; i < 17; i++)
		g_string_append_printf(many, "s%d ", i);
	ck_assert_ptr_null(tbs_parse_stream_names(many->str, NULL));
}
END_TEST

START_TEST(test_errors_are_told_by_name_not_by_message)
{
	g_autoptr(GError) busy = g_dbus_error_new_for_dbus_error("io.github.tbstream1.Error.Busy",
								 "english text from the daemon");
	g_autoptr(GError) denied = g_dbus_error_new_for_dbus_error(
		"org.freedesktop.DBus.Error.AccessDenied", "whatever");
	g_autoptr(GError) unknown =
		g_dbus_error_new_for_dbus_error("io.github.tbstream1.Error.SomethingNew", "new");
	g_autofree char *b = tbs_error_describe("Could not create the stream", busy);
	g_autofree char *d = tbs_error_describe("Could not rename", denied);
	g_autofree char *u = tbs_error_describe("X", unknown);

	ck_assert_str_eq(b, "Could not create the stream: The connection has no free channel "
			    "for another stream.");
	ck_assert_str_eq(d, "Could not rename: You are not allowed to do this.");
	ck_assert_str_eq(u, "X: Something went wrong in the stream service.");
	ck_assert_ptr_null(tbs_error_code_text("SomethingNew"));
}
END_TEST

START_TEST(test_every_kernel_security_level_has_its_own_text)
{
	static const char *const kernel[] = {"none",   "user",	  "secure",
					     "dponly", "usbonly", "nopcie"};
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *empty = tbs_security_level_describe("");
	g_autofree char *null = tbs_security_level_describe(NULL);
	g_autofree char *later = tbs_security_level_describe("sl9");

	for (size_t i = 0; i < G_N_ELEMENTS(kernel); i++) {
		char *text = tbs_security_level_describe(kernel[i]);

		/* a level the panel knows is described, not named as the kernel spells it */
		ck_assert_ptr_null(strstr(text, "“"));
		ck_assert_msg(g_hash_table_add(seen, text), "%s shares its text", kernel[i]);
	}
	ck_assert_str_eq(empty, "The security level is not reported.");
	ck_assert_str_eq(null, empty);
	ck_assert_str_eq(later, "Security level “sl9”.");
	ck_assert_str_ne(tbs_dma_protection_describe(TRUE), tbs_dma_protection_describe(FALSE));
}
END_TEST

/* Peer.Rx* and Tx* as the daemon reports them: lanes, Gb/s per lane, 0 unknown */
START_TEST(test_link_names_each_direction_when_they_differ)
{
	g_autofree char *same = tbs_link_describe(2, 20, 2, 20);
	g_autofree char *asym = tbs_link_describe(3, 40, 1, 40);
	g_autofree char *speeds = tbs_link_describe(1, 20, 1, 10);
	g_autofree char *rx_only = tbs_link_describe(2, 20, 0, 0);
	g_autofree char *tx_only = tbs_link_describe(0, 20, 2, 20);
	g_autofree char *none = tbs_link_describe(0, 0, 0, 0);

	ck_assert_str_eq(same, "2 × 20 Gb/s");
	ck_assert_str_eq(asym, "receiving 3 × 40 Gb/s, sending 1 × 40 Gb/s");
	ck_assert_str_eq(speeds, "receiving 1 × 20 Gb/s, sending 1 × 10 Gb/s");
	ck_assert_str_eq(rx_only, "receiving 2 × 20 Gb/s");
	ck_assert_str_eq(tx_only, "sending 2 × 20 Gb/s");
	ck_assert_str_eq(none, "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("panel-logic");
	TCase *tc = tcase_create("pure");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_dev_path_cleans_names_like_tbstream_devname);
	tcase_add_test(tc, test_stream_names_follow_the_daemons_rule);
	tcase_add_test(tc, test_profile_names_split_dedupe_and_reject);
	tcase_add_test(tc, test_errors_are_told_by_name_not_by_message);
	tcase_add_test(tc, test_every_kernel_security_level_has_its_own_text);
	tcase_add_test(tc, test_link_names_each_direction_when_they_differ);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
