/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tbstreamctl's output without a bus: JSON escaping and layout, terminal-safe text, values. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "json.h"
#include "value.h"

/* Runs fn on a memory stream and returns what it wrote. */
#define CAPTURE(buf, code)                                                                         \
	do {                                                                                       \
		size_t _n = 0;                                                                     \
		FILE *f = open_memstream(&(buf), &_n);                                             \
		ck_assert_ptr_nonnull(f);                                                          \
		code;                                                                              \
		ck_assert_int_eq(fclose(f), 0);                                                    \
	} while (0)

static void assert_escaped(const char *in, size_t n, const char *want)
{
	char *got = NULL;

	CAPTURE(got, json_write_escaped(f, in, n));
	ck_assert_msg(strcmp(got, want) == 0, "escaped: got %s, want %s", got, want);
	free(got);
}

#define ESCAPED(lit, want) assert_escaped(lit, sizeof(lit) - 1, want)

START_TEST(test_json_escapes_what_rfc8259_requires)
{
	ESCAPED("plain", "\"plain\"");
	ESCAPED("", "\"\"");
	ESCAPED("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	ESCAPED("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	ESCAPED("\x01\x1f\x1b[31m", "\"\\u0001\\u001f\\u001b[31m\"");
	ESCAPED("a\0b", "\"a\\u0000b\"");
	/* DEL is legal raw, escaped so it never reaches a terminal */
	ESCAPED("\x7f", "\"\\u007f\"");
}
END_TEST

START_TEST(test_json_keeps_valid_utf8_and_replaces_invalid_bytes)
{
	ESCAPED("é€😀", "\"é€😀\"");
	/* the largest scalar values of each length */
	ESCAPED("\x7f\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf",
		"\"\\u007f\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
	/* line and paragraph separators end lines in JavaScript */
	ESCAPED("a\xe2\x80\xa8"
		"b\xe2\x80\xa9",
		"\"a\\u2028b\\u2029\"");
	ESCAPED("\x80", "\"\\ufffd\"");
	ESCAPED("\xff\xfe", "\"\\ufffd\\ufffd\"");
	/* overlong "/" */
	ESCAPED("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	ESCAPED("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	/* a UTF-16 surrogate encoded as UTF-8 */
	ESCAPED("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	/* above U+10FFFF */
	ESCAPED("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* cut short, at the end and before ASCII */
	ESCAPED("ok\xe2\x82", "\"ok\\ufffd\\ufffd\"");
	ESCAPED("\xe2\x82x", "\"\\ufffd\\ufffdx\"");
	ESCAPED("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"");
}
END_TEST

static void document(JsonWriter *j)
{
	json_begin_object(j);
	json_key(j, "a");
	json_begin_array(j);
	json_int(j, INT64_MIN);
	json_uint(j, UINT64_MAX);
	json_bool(j, true);
	json_null(j);
	json_string(j, NULL);
	json_double(j, NAN);
	json_double(j, 0.5);
	json_begin_object(j);
	json_end_object(j);
	json_end_array(j);
	json_key(j, "k\"ey");
	json_begin_object(j);
	json_key(j, "c");
	json_string(j, "d");
	json_end_object(j);
	json_key(j, "e");
	json_begin_array(j);
	json_end_array(j);
	json_end_object(j);
	json_finish(j);
}

START_TEST(test_json_layout_short_and_pretty)
{
	char *s = NULL, *p = NULL;
	JsonWriter j;

	CAPTURE(s, (json_init(&j, f, false), document(&j)));
	ck_assert_str_eq(s, "{\"a\":[-9223372036854775808,18446744073709551615,true,null,null,"
			    "null,0.5,{}],\"k\\\"ey\":{\"c\":\"d\"},\"e\":[]}\n");
	CAPTURE(p, (json_init(&j, f, true), document(&j)));
	ck_assert_str_eq(p, "{\n"
			    "  \"a\": [\n"
			    "    -9223372036854775808,\n"
			    "    18446744073709551615,\n"
			    "    true,\n"
			    "    null,\n"
			    "    null,\n"
			    "    null,\n"
			    "    0.5,\n"
			    "    {}\n"
			    "  ],\n"
			    "  \"k\\\"ey\": {\n"
			    "    \"c\": \"d\"\n"
			    "  },\n"
			    "  \"e\": []\n"
			    "}\n");
	free(s);
	free(p);
}
END_TEST

START_TEST(test_json_documents_in_sequence)
{
	char *s = NULL;
	JsonWriter j;

	/* monitor writes one document per event with the same stream */
	CAPTURE(s,
		(json_init(&j, f, false), json_begin_object(&j), json_end_object(&j),
		 json_finish(&j), json_init(&j, f, false), json_string(&j, "x"), json_finish(&j)));
	ck_assert_str_eq(s, "{}\n\"x\"\n");
	free(s);
}
END_TEST

START_TEST(test_terminal_text_escapes_controls)
{
	char *s = NULL;

	CAPTURE(s, fputs_safe("a\x1b[31mb\a\x7f\xc2\x9b"
			      "c é",
			      f));
	ck_assert_str_eq(s, "a\\x1b[31mb\\x07\\x7f\\xc2\\x9bc é");
	free(s);
	ck_assert_uint_eq(width_safe("é\x01"), 5);
	ck_assert_uint_eq(width_safe("abc"), 3);
	CAPTURE(s, fputs_safe_pad("é", 3, f));
	ck_assert_str_eq(s, "é  ");
	free(s);
}
END_TEST

START_TEST(test_uuid_mask_and_sizes)
{
	char *m = format_uuid("3a1cb984-c4d9-4469-a277-ce2fdfd11f0d", false);
	char *full = format_uuid("3a1cb984-c4d9-4469-a277-ce2fdfd11f0d", true);
	char buf[FORMAT_BYTES_MAX];

	ck_assert_str_eq(m, "3a1cb984-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
	ck_assert_str_eq(full, "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d");
	free(m);
	free(full);
	ck_assert_str_eq(format_bytes(buf, sizeof(buf), 0), "0 B");
	ck_assert_str_eq(format_bytes(buf, sizeof(buf), 1023), "1023 B");
	ck_assert_str_eq(format_bytes(buf, sizeof(buf), 1536), "1.5 KiB");
	ck_assert_str_eq(format_bytes(buf, sizeof(buf), 1ULL << 30), "1.0 GiB");
	ck_assert_str_eq(format_bytes(buf, sizeof(buf), UINT64_MAX), "16.0 EiB");
}
END_TEST

static Value *str(const char *s)
{
	Value *v = calloc(1, sizeof(*v));

	v->kind = VALUE_STRING;
	v->str = strdup(s);
	return v;
}

START_TEST(test_value_dict_set_copy_equal)
{
	Value *d = calloc(1, sizeof(*d)), *x = str("x"), *y = str("y"), *c;

	d->kind = VALUE_DICT;
	ck_assert_int_eq(value_dict_set(d, "Label", x), 0);
	ck_assert_str_eq(value_get_str(d, "Label", "?"), "x");
	c = value_copy(d);
	ck_assert(value_equal(c, d));
	ck_assert_int_eq(value_dict_set(d, "Label", y), 0);
	ck_assert_uint_eq(d->n_items, 2);
	ck_assert_str_eq(value_get_str(d, "Label", "?"), "y");
	ck_assert(!value_equal(c, d));
	ck_assert_str_eq(value_get_str(c, "Label", "?"), "x");
	ck_assert_int_eq(value_dict_set(d, "Name", x), 0);
	ck_assert_uint_eq(d->n_items, 4);
	/* wrong kind or missing: the fallback */
	ck_assert(value_get_bool(d, "Name", true));
	ck_assert_int_eq(value_get_int(d, "Nope", -1), -1);
	ck_assert_int_eq(value_dict_set(x, "k", y), -EINVAL);
	value_free(d);
	value_free(c);
	value_free(x);
	value_free(y);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl-output");
	TCase *tc = tcase_create("output");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_json_escapes_what_rfc8259_requires);
	tcase_add_test(tc, test_json_keeps_valid_utf8_and_replaces_invalid_bytes);
	tcase_add_test(tc, test_json_layout_short_and_pretty);
	tcase_add_test(tc, test_json_documents_in_sequence);
	tcase_add_test(tc, test_terminal_text_escapes_controls);
	tcase_add_test(tc, test_uuid_mask_and_sizes);
	tcase_add_test(tc, test_value_dict_set_copy_equal);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
