/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy loader under libFuzzer, through the files an administrator
 * writes: the input is split at its first NUL into /etc/tbstreamd.conf and
 * a policy.d drop-in, beside the shipped vendor policy.  Checked: the loader
 * fails exactly when it reports errors, each error names file and line, and a
 * policy that loads decides for any peer and frees cleanly (ASan, LSan).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fuzz.h"
#include "policy.h"
#include "util.h"

static char *etc, *vendor;

/*
 * In place and without fsync: g_file_set_contents() replaces an existing
 * file through a temporary, fallocate, fsync and rename, half of each
 * input's time, for a durability no fuzz input needs.
 */
static void write_or_remove(const char *dir, const char *name, const uint8_t *data, size_t len,
			    bool present)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	if (!present) {
		unlink(path);
		return;
	}
	if (!g_file_set_contents_full(path, (const char *)data, (gssize)len,
				      G_FILE_SET_CONTENTS_NONE, 0644, NULL))
		abort();
}

/* tmpfs, as fuzz-sysfs: ten million inputs are ten million sets of files */
static char *make_dir(const char *name)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir();
	g_autofree char *tmpl = g_build_filename(base, name, NULL);

	return g_mkdtemp(g_steal_pointer(&tmpl));
}

/* At libFuzzer's exit (time or runs used up): a run leaves no directories. */
static void remove_tree(void)
{
	static const char *const etc_files[] = {"policy.d/50-fuzz.conf", "policy.d",
						"tbstreamd.conf"};

	for (size_t i = 0; i < G_N_ELEMENTS(etc_files); i++) {
		g_autofree char *path = g_build_filename(etc, etc_files[i], NULL);

		g_remove(path);
	}
	g_autofree char *shipped = g_build_filename(vendor, "tbstreamd.conf", NULL);

	g_remove(shipped);
	g_rmdir(etc);
	g_rmdir(vendor);
}

static void setup(void)
{
	g_autofree char *shipped = NULL;
	g_autofree char *policy_d = NULL;
	gsize len;

	etc = make_dir("fuzz-policy-etc-XXXXXX");
	vendor = make_dir("fuzz-policy-vendor-XXXXXX");
	if (!etc || !vendor)
		abort();
	policy_d = g_build_filename(etc, "policy.d", NULL);
	if (g_mkdir(policy_d, 0755))
		abort();
	if (!g_file_get_contents(TBS_SOURCE_DIR "/tbstreamd/vendor/tbstreamd.conf", &shipped, &len,
				 NULL))
		abort();
	write_or_remove(vendor, "tbstreamd.conf", (const uint8_t *)shipped, len, true);
	atexit(remove_tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t main_len = nul ? (size_t)(nul - data) : size;
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
	TbsPolicy *p = NULL;
	int r;

	if (!etc)
		setup();
	write_or_remove(etc, "tbstreamd.conf", data, main_len, true);
	write_or_remove(etc, "policy.d/50-fuzz.conf", nul ? nul + 1 : NULL,
			nul ? size - main_len - 1 : 0, nul != NULL);

	r = tbs_policy_load(etc, vendor, &p, errors);
	if ((r == 0) != (errors->len == 0))
		abort();
	for (unsigned i = 0; i < errors->len; i++) {
		const char *e = errors->pdata[i];

		/* "file:line: message" */
		if (!strstr(e, ": ") || !strchr(e, ':'))
			abort();
	}
	if (r == 0) {
		static const TbsPeerFacts facts[] = {
			{.uuid = "00000000-0000-0000-0000-000000000000", .name = "desktop"},
			{.uuid = NULL, .name = NULL, .trusted = true},
			{.uuid = "c0ffee00-1234-5678-9abc-def012345678",
			 .name = "",
			 .trusted = false},
		};

		if (!p)
			abort();
		for (size_t i = 0; i < G_N_ELEMENTS(facts); i++) {
			TbsDecision d = {0};

			tbs_policy_decide(p, &facts[i], &d);
			for (unsigned j = 0; d.streams && j < d.streams->len; j++) {
				const TbsStreamTemplate *t = d.streams->pdata[j];

				if (tbs_policy_find_stream(p, t->name) != t)
					abort();
			}
			tbs_decision_clear(&d);
		}
		tbs_policy_free(p);
	} else if (r != -EINVAL) {
		abort();
	}
	return 0;
}
