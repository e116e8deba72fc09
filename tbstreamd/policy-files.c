/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which files make up the policy, and in which order they apply: the search
 * path of tbstreamd.conf(5) (a directory replaces or masks the files of the
 * same name in the directories after it), shared by the daemon's loader,
 * tbstreamd --check-policy and tbstreamd --cat-policy.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"

#define POLICY_DROPINS_MAX 256

static bool is_masked(const char *path)
{
	struct stat st;
	char target[16];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n > 0) {
		target[n] = '\0';
		if (strcmp(target, "/dev/null") == 0)
			return true;
	}
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

static gint cmp_strp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void file_free(TbsPolicyFile *f)
{
	if (!f)
		return;
	g_free(f->name);
	g_free(f->path);
	g_ptr_array_unref(f->overridden);
	g_free(f);
}

static TbsPolicyFile *file_new(const char *name, const char *path)
{
	TbsPolicyFile *f = g_new0(TbsPolicyFile, 1);

	f->name = g_strdup(name);
	f->path = g_strdup(path);
	f->masked = is_masked(path);
	f->overridden = g_ptr_array_new_with_free_func(g_free);
	return f;
}

static void add_error(GPtrArray *details, const char *code, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_error(GPtrArray *details, const char *code, const char *file, const char *fmt, ...)
{
	TbsPolicyError *e = g_new0(TbsPolicyError, 1);
	va_list ap;

	va_start(ap, fmt);
	e->message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	e->code = g_strdup(code);
	e->file = g_strdup(file);
	g_ptr_array_add(details, e);
}

/* The *.conf of <dir>/policy.d; the first directory to have a name wins it. */
static void collect_dropins(const char *dir, GHashTable *byname, GPtrArray *details, bool *full)
{
	g_autofree char *d = g_build_filename(dir, "policy.d", NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	DIR *dh;
	struct dirent *de;

	dh = opendir(d);
	if (!dh) {
		if (errno != ENOENT)
			add_error(details, TBS_POLICY_ERROR_UNREADABLE, d,
				  "Cannot open directory: %s", strerror(errno));
		return;
	}
	while ((de = readdir(dh)))
		if (de->d_name[0] != '.' && g_str_has_suffix(de->d_name, ".conf"))
			g_ptr_array_add(names, g_strdup(de->d_name));
	closedir(dh);
	/* which drop-ins pass the limit must not depend on readdir's order */
	g_ptr_array_sort(names, cmp_strp);

	for (unsigned i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		g_autofree char *path = g_build_filename(d, name, NULL);
		TbsPolicyFile *f = g_hash_table_lookup(byname, name);

		if (f) {
			g_ptr_array_add(f->overridden, g_steal_pointer(&path));
			continue;
		}
		if (g_hash_table_size(byname) >= POLICY_DROPINS_MAX) {
			if (!*full)
				add_error(details, TBS_POLICY_ERROR_TOO_MANY, d,
					  "More than %u drop-ins, ignoring the rest",
					  POLICY_DROPINS_MAX);
			*full = true;
			continue;
		}
		f = file_new(name, path);
		g_free(f->name);
		f->name = g_build_filename("policy.d", name, NULL);
		g_hash_table_insert(byname, g_strdup(name), f);
	}
}

static gint cmp_file(gconstpointer a, gconstpointer b)
{
	return strcmp((*(TbsPolicyFile *const *)a)->name, (*(TbsPolicyFile *const *)b)->name);
}

GPtrArray *tbs_policy_files(const char *const *dirs, GPtrArray *details)
{
	GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify)file_free);
	g_autoptr(GHashTable) byname = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) dropins = g_ptr_array_new();
	TbsPolicyFile *main_file = NULL;
	GHashTableIter it;
	gpointer f;
	bool full = false;

	for (unsigned i = 0; dirs[i]; i++) {
		g_autofree char *path = g_build_filename(dirs[i], "tbstreamd.conf", NULL);
		struct stat st;

		/* lstat: a dangling link is there, and fails loudly when read */
		if (lstat(path, &st) < 0)
			continue;
		if (!main_file)
			main_file = file_new("tbstreamd.conf", path);
		else
			g_ptr_array_add(main_file->overridden, g_steal_pointer(&path));
	}
	if (main_file)
		g_ptr_array_add(files, main_file);

	for (unsigned i = 0; dirs[i]; i++)
		collect_dropins(dirs[i], byname, details, &full);
	g_hash_table_iter_init(&it, byname);
	while (g_hash_table_iter_next(&it, NULL, &f))
		g_ptr_array_add(dropins, f);
	g_ptr_array_sort(dropins, cmp_file);
	for (unsigned i = 0; i < dropins->len; i++)
		g_ptr_array_add(files, dropins->pdata[i]);
	return files;
}

char *tbs_policy_error_format(const TbsPolicyError *e)
{
	return e->line > 0 ? g_strdup_printf("%s:%u: %s", e->file, e->line, e->message)
			   : g_strdup_printf("%s: %s", e->file, e->message);
}

static gint cmp_error(gconstpointer a, gconstpointer b)
{
	const TbsPolicyError *x = *(TbsPolicyError *const *)a, *y = *(TbsPolicyError *const *)b;
	int r = strcmp(x->file, y->file);

	if (r)
		return r;
	return x->line < y->line ? -1 : x->line > y->line;
}

void tbs_policy_errors_sort(GPtrArray *details)
{
	/* stable (GLib >= 2.32): errors of one line stay in the order they were found */
	g_ptr_array_sort(details, cmp_error);
}

/* ---- tbstreamd --check-policy and --cat-policy -------------------------------------------- */

/*
 * A directory named on the command line that holds no policy at all is most
 * likely a typo or policy.d itself: say so rather than report "no errors".
 */
static int check_dir_arg(const char *dir, FILE *err)
{
	g_autofree char *conf = g_build_filename(dir, "tbstreamd.conf", NULL);
	g_autofree char *dropins = g_build_filename(dir, "policy.d", NULL);
	struct stat st;

	if (stat(dir, &st) < 0) {
		fprintf(err, "%s: %s\n", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(err,
			"%s: not a directory (name the directory that holds tbstreamd.conf "
			"and policy.d/, e.g. /etc/tbstreamd)\n",
			dir);
		return -ENOTDIR;
	}
	if (lstat(conf, &st) < 0 && stat(dropins, &st) < 0) {
		fprintf(err,
			"%s: holds neither tbstreamd.conf nor policy.d/ (name the directory "
			"that holds them, e.g. /etc/tbstreamd)\n",
			dir);
		return -ENOENT;
	}
	return 0;
}

int tbs_policy_check(const char *const *dirs, bool dirs_given, FILE *out, FILE *err)
{
	g_autoptr(GPtrArray) details =
		g_ptr_array_new_with_free_func((GDestroyNotify)tbs_policy_error_free);
	g_autoptr(TbsPolicy) p = NULL;
	unsigned n_bad_dirs = 0;
	int r;

	for (unsigned i = 0; dirs_given && dirs[i]; i++)
		n_bad_dirs += check_dir_arg(dirs[i], err) < 0;
	r = tbs_policy_load_dirs(dirs, &p, NULL, details);
	for (unsigned i = 0; i < details->len; i++) {
		g_autofree char *s = tbs_policy_error_format(details->pdata[i]);
		fprintf(err, "%s\n", s);
	}
	if (r < 0 && details->len == 0)
		fprintf(err, "Cannot load the policy: %s\n", strerror(-r));
	if (r < 0 || n_bad_dirs) {
		fprintf(out, "Policy has %u error(s); tbstreamd would not use it.\n",
			details->len + n_bad_dirs);
		return 1;
	}
	if (p->files->len == 0)
		fprintf(out, "No policy files: the built-in policy denies every peer.\n");
	else
		fprintf(out,
			"Policy is valid: %u rule(s), %u stream template(s) from %u file(s).\n",
			p->rules->len, p->streams->len, p->files->len);
	return 0;
}

#define CAT_FILE_MAX (64 * 1024)

/* The section and key a line sets ("Section\nKey"), or NULL (comments, headers, blanks). */
static char *line_key(const char *line, char **section)
{
	g_autofree char *s = g_strstrip(g_strdup(line));
	size_t n = strlen(s);
	char *eq;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		g_free(*section);
		*section = g_strndup(s + 1, n - 2);
		return NULL;
	}
	if (!*section || s[0] == '#' || !(eq = strchr(s, '=')))
		return NULL;
	*eq = '\0';
	return g_strdup_printf("%s\n%s", *section, g_strstrip(s));
}

/* "Section\nKey" -> "PATH:LINE" of the line that sets it last, the one that applies. */
static void note_origins(const char *path, const char *data, GHashTable *origins)
{
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	g_autofree char *section = NULL;

	for (unsigned i = 0; lines[i]; i++) {
		char *key = line_key(lines[i], &section);
		if (key)
			g_hash_table_replace(origins, key, g_strdup_printf("%s:%u", path, i + 1));
	}
}

/* The file as it is, with a note under each key that a later line overrides. */
static void print_annotated(const char *path, const char *data, GHashTable *origins, FILE *out)
{
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	g_autofree char *section = NULL;
	unsigned n = g_strv_length(lines);

	/* a final newline leaves an empty last piece that is not a line */
	if (n > 0 && !*lines[n - 1])
		n--;
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *key = line_key(lines[i], &section);
		g_autofree char *here = g_strdup_printf("%s:%u", path, i + 1);
		const char *origin = key ? g_hash_table_lookup(origins, key) : NULL;

		fprintf(out, "%s\n", lines[i]);
		if (origin && strcmp(origin, here) != 0)
			fprintf(out, "# (overridden by %s)\n", origin);
	}
}

int tbs_policy_cat(const char *const *dirs, bool dirs_given, FILE *out, FILE *err)
{
	g_autoptr(GPtrArray) details =
		g_ptr_array_new_with_free_func((GDestroyNotify)tbs_policy_error_free);
	g_autoptr(GHashTable) origins =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GPtrArray) contents = NULL;
	int ret = 0;

	for (unsigned i = 0; dirs_given && dirs[i]; i++)
		if (check_dir_arg(dirs[i], err) < 0)
			ret = 1;
	files = tbs_policy_files(dirs, details);
	for (unsigned i = 0; i < details->len; i++) {
		g_autofree char *s = tbs_policy_error_format(details->pdata[i]);
		fprintf(err, "%s\n", s);
		ret = 1;
	}
	if (files->len == 0) {
		g_autofree char *list = g_strjoinv(", ", (char **)dirs);
		fprintf(out, "# No policy files in %s: the built-in policy denies every peer.\n",
			list);
		return ret;
	}

	/* every file first: a key's note names the later file that overrides it */
	contents = g_ptr_array_new_with_free_func(g_free);
	for (unsigned i = 0; i < files->len; i++) {
		const TbsPolicyFile *f = files->pdata[i];
		char *data = NULL;
		size_t len = 0;
		int r = f->masked ? 0 : tbs_read_file(f->path, CAT_FILE_MAX, &data, &len);

		if (r < 0) {
			fprintf(err, "%s: cannot read: %s\n", f->path,
				r == -EBADFD ? "not a regular file" : strerror(-r));
			ret = 1;
		} else if (data && memchr(data, '\0', len)) {
			fprintf(err, "%s: cannot show: it contains a NUL byte\n", f->path);
			g_clear_pointer(&data, free);
			ret = 1;
		}
		if (data)
			note_origins(f->path, data, origins);
		/* tbs_read_file's buffer is malloc()ed; the array frees with g_free */
		g_ptr_array_add(contents, data ? g_strdup(data) : NULL);
		free(data);
	}

	for (unsigned i = 0; i < files->len; i++) {
		const TbsPolicyFile *f = files->pdata[i];
		const char *data = contents->pdata[i];

		if (i > 0)
			fputc('\n', out);
		if (f->masked) {
			fprintf(out, "# %s: masked (a link to /dev/null or empty)\n", f->path);
			for (unsigned k = 0; k < f->overridden->len; k++)
				fprintf(out, "# (so %s is not used)\n",
					(char *)f->overridden->pdata[k]);
			continue;
		}
		fprintf(out, "# %s\n", f->path);
		for (unsigned k = 0; k < f->overridden->len; k++)
			fprintf(out, "# (replaces %s, which is not used)\n",
				(char *)f->overridden->pdata[k]);
		if (!data)
			fprintf(out, "# (cannot be read)\n");
		else
			print_annotated(f->path, data, origins, out);
	}
	return ret;
}
