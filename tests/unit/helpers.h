/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small test helpers shared by the unit and integration suites. */
#pragma once

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

static inline char *th_mkdtemp(void)
{
	char *d = g_dir_make_tmp("tbstreamd-test-XXXXXX", NULL);
	ck_assert_ptr_nonnull(d);
	return d;
}

static inline void th_rm_rf(const char *path)
{
	g_autofree char *cmd = NULL;
	if (!path)
		return;
	cmd = g_strdup_printf("rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

static inline void th_write(const char *dir, const char *name, const char *content)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *parent = g_path_get_dirname(path);
	ck_assert_int_eq(g_mkdir_with_parents(parent, 0755), 0);
	ck_assert_msg(g_file_set_contents(path, content, -1, NULL), "cannot write %s", path);
}

static inline char *th_read(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *content = NULL;
	if (!g_file_get_contents(path, &content, NULL, NULL))
		return NULL;
	return g_strchomp(content);
}

static inline bool th_exists(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* true if any string in a ptr array contains needle */
static inline bool th_any_contains(const GPtrArray *a, const char *needle)
{
	for (unsigned i = 0; a && i < a->len; i++)
		if (strstr(a->pdata[i], needle))
			return true;
	return false;
}

static inline char *th_join(const GPtrArray *a)
{
	GString *s = g_string_new(NULL);
	for (unsigned i = 0; a && i < a->len; i++)
		g_string_append_printf(s, "  %s\n", (char *)a->pdata[i]);
	return g_string_free(s, FALSE);
}

#define TH_RUN_SUITE(suite_fn)                                                                     \
	int main(void)                                                                             \
	{                                                                                          \
		SRunner *sr = srunner_create(suite_fn());                                          \
		int failed;                                                                        \
		srunner_run_all(sr, CK_ENV);                                                       \
		failed = srunner_ntests_failed(sr);                                                \
		srunner_free(sr);                                                                  \
		return failed == 0 ? 0 : 1;                                                        \
	}
