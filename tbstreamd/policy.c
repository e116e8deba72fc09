/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"

#define POLICY_FILE_MAX (64 * 1024)
#define POLICY_LIST_MAX 64

/* One "key=value" after merging, remembering where it came from for error messages. */
typedef struct Entry {
	char *value;
	const char *file; /* interned in Loader.files */
	unsigned line;
	bool used;
} Entry;

typedef struct Section {
	char *name;
	const char *file;
	unsigned line;
	GHashTable *keys; /* char* -> Entry* */
} Section;

typedef struct Loader {
	GHashTable *sections; /* char* -> Section* */
	GPtrArray *files;
	GPtrArray *details; /* TbsPolicyError*, sorted and handed out at the end */
} Loader;

static void entry_free(Entry *e)
{
	g_free(e->value);
	g_free(e);
}

static void section_free(Section *s)
{
	g_hash_table_unref(s->keys);
	g_free(s->name);
	g_free(s);
}

static void loader_error(Loader *l, const char *code, const char *file, unsigned line,
			 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void loader_error(Loader *l, const char *code, const char *file, unsigned line,
			 const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	TbsPolicyError *pe = g_new0(TbsPolicyError, 1);

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	pe->code = g_strdup(code);
	pe->file = g_strdup(file);
	pe->line = line;
	pe->message = g_steal_pointer(&msg);
	g_ptr_array_add(l->details, pe);
}

static void rule_free(TbsPeerRule *r)
{
	g_free(r->id);
	g_strfreev(r->uuids);
	g_strfreev(r->names);
	g_strfreev(r->streams);
	g_free(r->file);
	g_free(r);
}

TbsPolicy *tbs_policy_new_default(void)
{
	TbsPolicy *p = g_new0(TbsPolicy, 1);
	const char *subsystems[] = {"thunderbolt", NULL};

	p->subsystems = g_strdupv((char **)subsystems);
	p->on_unplug = TBS_UNPLUG_REMOVE;
	p->rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	p->streams = g_ptr_array_new_with_free_func(g_free);
	p->files = g_ptr_array_new_with_free_func(g_free);
	return p;
}

void tbs_policy_free(TbsPolicy *p)
{
	if (!p)
		return;
	g_strfreev(p->subsystems);
	g_ptr_array_unref(p->rules);
	g_ptr_array_unref(p->streams);
	g_ptr_array_unref(p->files);
	g_free(p);
}

/*
 * GKeyFile reports syntax errors without a line number, so a first pass walks
 * the lines itself: it finds the syntax errors GKeyFile would find, with their
 * line, and remembers the line of every group and key for later messages.
 */
static bool scan_lines(Loader *l, const char *file, const char *data, GHashTable *lines)
{
	g_auto(GStrv) v = g_strsplit(data, "\n", -1);
	g_autofree char *group = NULL;
	bool ok = true;

	for (unsigned i = 0; v[i]; i++) {
		char *s = g_strstrip(v[i]);
		unsigned ln = i + 1;

		if (!g_utf8_validate(s, -1, NULL)) {
			loader_error(l, TBS_POLICY_ERROR_UNREADABLE, file, ln,
				     "Line is not valid UTF-8");
			ok = false;
			continue;
		}
		if (*s == '\0' || *s == '#')
			continue;
		if (*s == '[') {
			size_t n = strlen(s);
			if (n < 3 || s[n - 1] != ']' || memchr(s + 1, '[', n - 2) ||
			    memchr(s + 1, ']', n - 2)) {
				loader_error(l, TBS_POLICY_ERROR_SYNTAX, file, ln,
					     "Malformed section header \"%s\"", s);
				ok = false;
				continue;
			}
			g_free(group);
			group = g_strndup(s + 1, n - 2);
			g_hash_table_insert(lines, g_strdup_printf("[%s]", group),
					    GUINT_TO_POINTER(ln));
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			loader_error(
				l, TBS_POLICY_ERROR_SYNTAX, file, ln,
				"Line is neither a section, a key=value nor a comment: \"%.40s\"",
				s);
			ok = false;
			continue;
		}
		g_autofree char *key = g_strstrip(g_strndup(s, eq - s));
		if (*key == '\0') {
			loader_error(l, TBS_POLICY_ERROR_SYNTAX, file, ln,
				     "Missing key name before '='");
			ok = false;
			continue;
		}
		if (!group) {
			loader_error(l, TBS_POLICY_ERROR_SYNTAX, file, ln,
				     "Key \"%s\" outside of any section", key);
			ok = false;
			continue;
		}
		if (strchr(key, '[')) {
			loader_error(l, TBS_POLICY_ERROR_SYNTAX, file, ln,
				     "Localized keys are not supported: \"%s\"", key);
			ok = false;
			continue;
		}
		g_hash_table_insert(lines, g_strdup_printf("[%s]%s", group, key),
				    GUINT_TO_POINTER(ln));
	}
	return ok;
}

static void load_file(Loader *l, const char *path)
{
	g_autoptr(GHashTable) lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) groups = NULL;
	_cleanup_free_ char *data = NULL;
	const char *file;
	size_t len;
	int r;

	file = g_strdup(path);
	g_ptr_array_add(l->files, (char *)file);

	r = tbs_read_file(path, POLICY_FILE_MAX, &data, &len);
	if (r == -EFBIG) {
		loader_error(l, TBS_POLICY_ERROR_UNREADABLE, file, 0,
			     "File is larger than %u bytes", POLICY_FILE_MAX);
		return;
	}
	if (r == -EBADFD) {
		loader_error(l, TBS_POLICY_ERROR_UNREADABLE, file, 0, "Not a regular file");
		return;
	}
	if (r < 0) {
		loader_error(l, TBS_POLICY_ERROR_UNREADABLE, file, 0, "Cannot read: %s",
			     strerror(-r));
		return;
	}
	if (memchr(data, '\0', len)) {
		loader_error(l, TBS_POLICY_ERROR_UNREADABLE, file, 0, "File contains a NUL byte");
		return;
	}
	if (!scan_lines(l, file, data, lines))
		return;
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &error)) {
		loader_error(l, TBS_POLICY_ERROR_SYNTAX, file, 0, "%s", error->message);
		return;
	}

	groups = g_key_file_get_groups(kf, NULL);
	for (unsigned i = 0; groups[i]; i++) {
		g_autofree char *hdr = g_strdup_printf("[%s]", groups[i]);
		g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
		Section *sec = g_hash_table_lookup(l->sections, groups[i]);

		if (!sec) {
			sec = g_new0(Section, 1);
			sec->name = g_strdup(groups[i]);
			sec->file = file;
			sec->line = GPOINTER_TO_UINT(g_hash_table_lookup(lines, hdr));
			sec->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							  (GDestroyNotify)entry_free);
			g_hash_table_insert(l->sections, sec->name, sec);
		}
		for (unsigned k = 0; keys && keys[k]; k++) {
			g_autofree char *lk = g_strdup_printf("[%s]%s", groups[i], keys[k]);
			g_autoptr(GError) verr = NULL;
			unsigned ln = GPOINTER_TO_UINT(g_hash_table_lookup(lines, lk));
			char *value = g_key_file_get_string(kf, groups[i], keys[k], &verr);
			Entry *e;

			if (!value) {
				loader_error(l, TBS_POLICY_ERROR_SYNTAX, file, ln, "%s",
					     verr->message);
				continue;
			}
			e = g_new0(Entry, 1);
			e->value = value;
			e->file = file;
			e->line = ln;
			g_hash_table_replace(sec->keys, g_strdup(keys[k]), e);
		}
	}
}

static Entry *get(Section *s, const char *key)
{
	Entry *e = g_hash_table_lookup(s->keys, key);
	if (e)
		e->used = true;
	return e;
}

static char **parse_list(const char *value)
{
	g_auto(GStrv) parts = g_strsplit_set(value, "; \t", -1);
	GPtrArray *out = g_ptr_array_new();

	for (unsigned i = 0; parts[i]; i++)
		if (*parts[i])
			g_ptr_array_add(out, g_strdup(parts[i]));
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static bool get_bool(Loader *l, Section *s, const char *key, bool *v)
{
	Entry *e = get(s, key);
	if (!e)
		return true;
	if (tbs_parse_bool(e->value, v) < 0) {
		loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, e->file, e->line,
			     "%s= expects a boolean, got \"%s\"", key, e->value);
		return false;
	}
	return true;
}

static bool get_list(Loader *l, Section *s, const char *key, char ***v)
{
	Entry *e = get(s, key);
	if (!e)
		return true;
	g_strfreev(*v);
	*v = parse_list(e->value);
	if (g_strv_length(*v) > POLICY_LIST_MAX) {
		loader_error(l, TBS_POLICY_ERROR_TOO_MANY, e->file, e->line,
			     "%s= has more than %u entries", key, POLICY_LIST_MAX);
		return false;
	}
	return true;
}

int tbs_policy_parse_hopids(const char *s, TbsHopIdMode *mode, int *in, int *out)
{
	long a, b;
	char *comma;

	if (strcmp(s, "auto") == 0) {
		*mode = TBS_HOPIDS_AUTO;
		*in = *out = -1;
		return 0;
	}
	if (strcmp(s, "peer") == 0) {
		*mode = TBS_HOPIDS_PEER;
		*in = *out = 0;
		return 0;
	}
	comma = strchr(s, ',');
	if (!comma)
		return -EINVAL;
	g_autofree char *first = g_strndup(s, comma - s);
	/* HopIDs below 8 are reserved by the USB4 spec; the kernel refuses them too. */
	if (tbs_parse_long(first, 8, 2047, &a) < 0 || tbs_parse_long(comma + 1, 8, 2047, &b) < 0)
		return -ERANGE;
	*mode = TBS_HOPIDS_FIXED;
	*in = (int)a;
	*out = (int)b;
	return 0;
}

int tbs_policy_parse_unplug(const char *s, TbsUnplugAction *ret)
{
	if (strcmp(s, "keep") == 0)
		*ret = TBS_UNPLUG_KEEP;
	else if (strcmp(s, "remove") == 0)
		*ret = TBS_UNPLUG_REMOVE;
	else
		return -EINVAL;
	return 0;
}

int tbs_policy_parse_mode(const char *s, mode_t *ret)
{
	char *end;
	long v;

	if (!*s || strspn(s, "01234567") != strlen(s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 8);
	/*
	 * Permission bits only: set-user-ID, set-group-ID and sticky mean nothing on
	 * a device node, and the unit's RestrictSUIDSGID= would refuse them at run
	 * time, failing the stream; better an error in the policy.
	 */
	if (errno || *end || v < 0 || v > 0777)
		return -ERANGE;
	*ret = (mode_t)v;
	return 0;
}

/*
 * Owner= and Group= take a number or a name. Names are resolved when the
 * policy is loaded, which a reload does on a worker thread (manager-reload.c):
 * NSS may ask LDAP or another network service, and the event loop must not
 * wait for it. Hence the reentrant calls.
 */
static int parse_id(const char *s, bool group, unsigned *ret)
{
	long size = sysconf(group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
	size_t len = size > 0 ? (size_t)size : 1024;
	long v;

	if (tbs_parse_long(s, 0, 0x7fffffff, &v) == 0) {
		*ret = (unsigned)v;
		return 0;
	}
	for (;;) {
		g_autofree char *buf = g_malloc(len);
		struct passwd pw, *pwp = NULL;
		struct group gr, *grp = NULL;
		int r;

		if (group)
			r = getgrnam_r(s, &gr, buf, len, &grp);
		else
			r = getpwnam_r(s, &pw, buf, len, &pwp);
		if (r == ERANGE && len < 1024 * 1024) {
			len *= 4;
			continue;
		}
		if (r != 0)
			return -r;
		if (group && grp) {
			*ret = grp->gr_gid;
			return 0;
		}
		if (!group && pwp) {
			*ret = pwp->pw_uid;
			return 0;
		}
		return -ESRCH;
	}
}

static void parse_daemon(Loader *l, Section *s, TbsPolicy *p)
{
	Entry *e;

	get_list(l, s, "Subsystems", &p->subsystems);
	for (unsigned i = 0; p->subsystems[i]; i++)
		if (strlen(p->subsystems[i]) > 64 || strchr(p->subsystems[i], '/')) {
			e = get(s, "Subsystems");
			loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, e->file, e->line,
				     "Invalid subsystem name \"%s\"", p->subsystems[i]);
		}
	if (p->subsystems[0] == NULL) {
		e = get(s, "Subsystems");
		loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, e->file, e->line,
			     "Subsystems= must name at least one subsystem");
	}
	get_bool(l, s, "IdentifyByName", &p->identify_by_name);
	if ((e = get(s, "OnUnplug")) && tbs_policy_parse_unplug(e->value, &p->on_unplug) < 0)
		loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, e->file, e->line,
			     "OnUnplug= expects keep or remove, got \"%s\"", e->value);
}

static void parse_stream(Loader *l, Section *s, const char *name, TbsPolicy *p)
{
	TbsStreamTemplate *t = g_new0(TbsStreamTemplate, 1);
	Entry *e;
	long v;

	if (!tbs_stream_name_is_valid(name)) {
		loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, s->file, s->line,
			     "Invalid stream name \"%s\": 1 to %d characters of A-Z a-z 0-9 _ -, "
			     "not starting with '-'",
			     name, TBS_STREAM_NAME_MAX);
		/* one error for the section, not one more per key in it */
		GHashTableIter it;
		Entry *k;
		g_hash_table_iter_init(&it, s->keys);
		while (g_hash_table_iter_next(&it, NULL, (gpointer *)&k))
			k->used = true;
		g_free(t);
		return;
	}
	g_strlcpy(t->name, name, sizeof(t->name));
	t->hopid_mode = TBS_HOPIDS_AUTO;
	t->in_hopid = t->out_hopid = -1;
	t->throttling = -1;
	t->owner = (uid_t)-1;
	t->group = (gid_t)-1;
	t->mode = (mode_t)-1;
	t->on_unplug = p->on_unplug;

	if ((e = get(s, "HopIDs")) &&
	    tbs_policy_parse_hopids(e->value, &t->hopid_mode, &t->in_hopid, &t->out_hopid) < 0)
		loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, e->file, e->line,
			     "HopIDs= expects auto, peer or IN,OUT (each 8..2047), got \"%s\"",
			     e->value);
	if ((e = get(s, "RingSize"))) {
		if (tbs_parse_long(e->value, 32, 4096, &v) < 0)
			loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, e->file, e->line,
				     "RingSize= expects 32..4096, got \"%s\"", e->value);
		else
			t->ring_size = (int)v;
	}
	if ((e = get(s, "Throttling"))) {
		if (tbs_parse_long(e->value, 0, 16776960, &v) < 0)
			loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, e->file, e->line,
				     "Throttling= expects 0..16776960 (ns), got \"%s\"", e->value);
		else
			t->throttling = (int)v;
	}
	if ((e = get(s, "Owner")) && parse_id(e->value, false, &t->owner) < 0)
		loader_error(l, TBS_POLICY_ERROR_UNKNOWN_USER, e->file, e->line,
			     "Owner= \"%s\" is not a known user", e->value);
	if ((e = get(s, "Group")) && parse_id(e->value, true, &t->group) < 0)
		loader_error(l, TBS_POLICY_ERROR_UNKNOWN_GROUP, e->file, e->line,
			     "Group= \"%s\" is not a known group", e->value);
	if ((e = get(s, "Mode")) && tbs_policy_parse_mode(e->value, &t->mode) < 0)
		loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, e->file, e->line,
			     "Mode= expects octal permission bits (0..0777, no set-id or sticky "
			     "bit), got \"%s\"",
			     e->value);
	if ((e = get(s, "OnUnplug"))) {
		if (tbs_policy_parse_unplug(e->value, &t->on_unplug) < 0)
			loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, e->file, e->line,
				     "OnUnplug= expects keep or remove, got \"%s\"", e->value);
	}
	g_ptr_array_add(p->streams, t);
}

static void parse_peer(Loader *l, Section *s, const char *id, TbsPolicy *p)
{
	TbsPeerRule *r = g_new0(TbsPeerRule, 1);
	Entry *e;

	r->id = g_strdup(id);
	r->allow = true;
	r->file = g_strdup(s->file);
	r->line = s->line;
	r->uuids = g_new0(char *, 1);
	r->names = g_new0(char *, 1);
	r->streams = g_new0(char *, 1);

	if (get_list(l, s, "MatchUUID", &r->uuids)) {
		for (unsigned i = 0; r->uuids[i]; i++) {
			char norm[37];
			if (tbs_uuid_normalize(r->uuids[i], norm) < 0) {
				e = get(s, "MatchUUID");
				loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, e->file, e->line,
					     "Invalid UUID \"%s\"", r->uuids[i]);
			} else
				strcpy(r->uuids[i], norm);
		}
	}
	get_list(l, s, "MatchName", &r->names);
	for (unsigned i = 0; r->names[i]; i++)
		if (strlen(r->names[i]) > 256) {
			e = get(s, "MatchName");
			loader_error(l, TBS_POLICY_ERROR_INVALID_VALUE, e->file, e->line,
				     "Name pattern too long");
		}
	get_bool(l, s, "MatchTrusted", &r->match_trusted);
	get_bool(l, s, "MatchEnrolled", &r->match_enrolled);
	get_bool(l, s, "MatchAny", &r->match_any);
	get_bool(l, s, "Allow", &r->allow);
	get_list(l, s, "Streams", &r->streams);

	/* An empty rule would silently match every peer: make that explicit with MatchAny=. */
	if (!r->uuids[0] && !r->names[0] && !r->match_trusted && !r->match_enrolled &&
	    !r->match_any)
		loader_error(l, TBS_POLICY_ERROR_INCOMPLETE_RULE, s->file, s->line,
			     "[Peer %s] has no MatchUUID=, MatchName=, MatchTrusted=yes, "
			     "MatchEnrolled=yes or MatchAny=yes",
			     id);
	g_ptr_array_add(p->rules, r);
}

static gint cmp_rule(gconstpointer a, gconstpointer b)
{
	return strcmp((*(TbsPeerRule *const *)a)->id, (*(TbsPeerRule *const *)b)->id);
}

void tbs_policy_error_free(TbsPolicyError *e)
{
	if (!e)
		return;
	g_free(e->code);
	g_free(e->file);
	g_free(e->message);
	g_free(e);
}

int tbs_policy_load(const char *config_dir, const char *vendor_dir, TbsPolicy **ret,
		    GPtrArray *errors)
{
	return tbs_policy_load_full(config_dir, vendor_dir, ret, errors, NULL);
}

int tbs_policy_load_full(const char *config_dir, const char *vendor_dir, TbsPolicy **ret,
			 GPtrArray *errors, GPtrArray *details)
{
	const char *dirs[] = {config_dir, vendor_dir, NULL};

	return tbs_policy_load_dirs(dirs, ret, errors, details);
}

int tbs_policy_load_dirs(const char *const *dirs, TbsPolicy **ret, GPtrArray *errors,
			 GPtrArray *details)
{
	g_autoptr(TbsPolicy) p = tbs_policy_new_default();
	g_autoptr(GPtrArray) found = NULL;
	Loader l = {
		.sections = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						  (GDestroyNotify)section_free),
		.files = p->files,
		.details = g_ptr_array_new_with_free_func((GDestroyNotify)tbs_policy_error_free),
	};
	GHashTableIter it;
	Section *sec;
	unsigned n_errors;

	found = tbs_policy_files(dirs, l.details);
	for (unsigned i = 0; i < found->len; i++) {
		const TbsPolicyFile *f = found->pdata[i];
		if (!f->masked)
			load_file(&l, f->path);
	}

	/* [Daemon] first: its OnUnplug= is the default of every stream */
	if ((sec = g_hash_table_lookup(l.sections, "Daemon")))
		parse_daemon(&l, sec, p);

	g_hash_table_iter_init(&it, l.sections);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&sec)) {
		if (strcmp(sec->name, "Daemon") == 0)
			continue;
		if (g_str_has_prefix(sec->name, "Stream "))
			parse_stream(&l, sec, sec->name + 7, p);
		else if (g_str_has_prefix(sec->name, "Peer ") && sec->name[5])
			parse_peer(&l, sec, sec->name + 5, p);
		else
			loader_error(&l, TBS_POLICY_ERROR_UNKNOWN_SECTION, sec->file, sec->line,
				     "Unknown section [%s] (expected [Daemon], [Peer ID] or "
				     "[Stream NAME])",
				     sec->name);
	}

	/* unknown keys, and streams that rules refer to but nobody defined */
	g_hash_table_iter_init(&it, l.sections);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&sec)) {
		GHashTableIter kit;
		const char *key;
		Entry *e;

		g_hash_table_iter_init(&kit, sec->keys);
		while (g_hash_table_iter_next(&kit, (gpointer *)&key, (gpointer *)&e))
			if (!e->used)
				loader_error(&l, TBS_POLICY_ERROR_UNKNOWN_KEY, e->file, e->line,
					     "Unknown key %s= in [%s]", key, sec->name);
	}
	for (unsigned i = 0; i < p->rules->len; i++) {
		TbsPeerRule *r = p->rules->pdata[i];
		g_autofree char *secname = g_strdup_printf("Peer %s", r->id);
		Section *s = g_hash_table_lookup(l.sections, secname);
		Entry *e = s ? g_hash_table_lookup(s->keys, "Streams") : NULL;

		for (unsigned k = 0; r->streams[k]; k++)
			if (!tbs_policy_find_stream(p, r->streams[k]))
				loader_error(&l, TBS_POLICY_ERROR_INVALID_VALUE,
					     e ? e->file : r->file, e ? e->line : r->line,
					     "Streams= names \"%s\" but there is no [Stream %s]",
					     r->streams[k], r->streams[k]);
	}
	g_ptr_array_sort(p->rules, cmp_rule);
	g_hash_table_unref(l.sections);

	/* sections come out of a hash table: sort, so every report lists them the same way */
	tbs_policy_errors_sort(l.details);
	n_errors = l.details->len;
	for (unsigned i = 0; i < l.details->len; i++) {
		if (errors)
			g_ptr_array_add(errors, tbs_policy_error_format(l.details->pdata[i]));
		if (details)
			g_ptr_array_add(details, g_steal_pointer(&l.details->pdata[i]));
	}
	g_ptr_array_unref(l.details);
	if (n_errors > 0)
		return -EINVAL;
	*ret = g_steal_pointer(&p);
	return 0;
}

const TbsStreamTemplate *tbs_policy_find_stream(const TbsPolicy *p, const char *name)
{
	for (unsigned i = 0; i < p->streams->len; i++) {
		const TbsStreamTemplate *t = p->streams->pdata[i];
		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

bool tbs_policy_rule_matches(const TbsPeerRule *r, const TbsPeerFacts *f)
{
	bool ok;

	if (r->uuids[0]) {
		ok = false;
		for (unsigned i = 0; r->uuids[i] && f->uuid; i++)
			if (strcmp(r->uuids[i], f->uuid) == 0)
				ok = true;
		if (!ok)
			return false;
	}
	if (r->names[0]) {
		ok = false;
		for (unsigned i = 0; r->names[i] && f->name && *f->name; i++)
			if (fnmatch(r->names[i], f->name, FNM_CASEFOLD) == 0)
				ok = true;
		if (!ok)
			return false;
	}
	if (r->match_trusted && !f->trusted)
		return false;
	if (r->match_enrolled && !f->enrolled)
		return false;
	return true;
}

void tbs_policy_decide(const TbsPolicy *p, const TbsPeerFacts *f, TbsDecision *d)
{
	d->allowed = false;
	d->rule = NULL;
	d->streams = g_ptr_array_new();

	for (unsigned i = 0; i < p->rules->len; i++) {
		const TbsPeerRule *r = p->rules->pdata[i];

		if (!tbs_policy_rule_matches(r, f))
			continue;
		if (!r->allow) {
			d->allowed = false;
			d->rule = r->id;
			g_ptr_array_set_size(d->streams, 0);
			return;
		}
		if (!d->allowed) {
			d->allowed = true;
			d->rule = r->id;
		}
		for (unsigned k = 0; r->streams[k]; k++) {
			const TbsStreamTemplate *t = tbs_policy_find_stream(p, r->streams[k]);
			bool dup = false;
			for (unsigned j = 0; j < d->streams->len; j++)
				dup |= d->streams->pdata[j] == t;
			if (t && !dup)
				g_ptr_array_add(d->streams, (gpointer)t);
		}
	}
}

void tbs_decision_clear(TbsDecision *d)
{
	if (d->streams)
		g_ptr_array_unref(d->streams);
	d->streams = NULL;
}
