/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tbstreamctl against the real daemon on a private system bus, with
 * python3-dbusmock's polkitd and umockdev peers (bus-world.h): every verb,
 * its JSON parsed by Python's json module, exit codes and messages of the
 * failures scripts must tell apart. Runs under umockdev-wrapper.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/helpers.h"
#include "bus-world.h"

#define UUID_A "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d"
#define UUID_B "11111111-2222-3333-4444-555555555555"
#define MASKED_A "3a1cb984-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
#define PATH "/io/github/tbstream1"
#define STREAM_BACKUP PATH "/stream/_30_2d1_2e0/backup"

/* exit codes from tbstreamctl(1) */
#define EXIT_USAGE 2
#define EXIT_NOT_FOUND 3
#define EXIT_DENIED 4
#define EXIT_NO_DAEMON 5

static BusEnv env;
static BusWorld bw;

static void env_with_polkit(void)
{
	bus_env_start(&env, true);
}

static void env_stop(void)
{
	bus_env_stop(&env);
}

static void setup_world(void)
{
	bus_world_init(&bw, &env);
	g_free(world_add_peer(&bw.w, "thunderbolt", "0-1", UUID_A, "alpha"));
	g_free(world_add_peer(&bw.w, "thunderbolt", "0-3", UUID_B, "beta"));
}

static void setup_denied(void)
{
	setup_world();
	bus_world_start(&bw);
}

static void setup_allowed(void)
{
	setup_denied();
	bus_env_polkit_allow_all(&env, true);
}

static void teardown(void)
{
	bus_world_destroy(&bw);
}

static GPtrArray *argv_new(const char *first, va_list ap)
{
	GPtrArray *a = g_ptr_array_new();

	g_ptr_array_add(a, (char *)TBSTREAMCTL_PATH);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		g_ptr_array_add(a, (char *)s);
	g_ptr_array_add(a, NULL);
	return a;
}

/* Runs tbstreamctl ARGS... NULL; returns its exit status, output in out/err (may be NULL). */
static int ctl(char **out, char **err, const char *first, ...)
{
	g_autofree char *o = NULL, *e = NULL;
	g_autoptr(GPtrArray) a = NULL;
	va_list ap;
	int r;

	va_start(ap, first);
	a = argv_new(first, ap);
	va_end(ap);
	r = bus_world_tool(&bw, (const char *const *)a->pdata, &o, &e);
	if (out)
		*out = g_steal_pointer(&o);
	if (err)
		*err = g_steal_pointer(&e);
	return r;
}

static void ctl_start(BusTool *t, const char *first, ...)
{
	g_autoptr(GPtrArray) a = NULL;
	va_list ap;

	va_start(ap, first);
	a = argv_new(first, ap);
	va_end(ap);
	bus_world_tool_start(&bw, t, (const char *const *)a->pdata);
}

#define ASSERT_CTL_OK(r, err) ck_assert_msg((r) == 0, "tbstreamctl exited %d: %s", (r), (err))
#define ASSERT_HAS(haystack, needle)                                                               \
	ck_assert_msg(strstr((haystack), (needle)), "'%s' not in:\n%s", (needle), (haystack))
#define ASSERT_HAS_NOT(haystack, needle)                                                           \
	ck_assert_msg(!strstr((haystack), (needle)), "'%s' unexpectedly in:\n%s", (needle),        \
		      (haystack))

/*
 * Evaluates a Python expression over the JSON document (lines: a list of one
 * document per line) with json's strict parser, and returns what it prints.
 */
static char *json_query(const char *json, bool lines, const char *expr)
{
	static const char script[] =
		"import json, sys\n"
		"def strict(c): raise ValueError('not JSON: ' + c)\n"
		"text = open(sys.argv[1], encoding='utf-8', errors='strict').read()\n"
		"if sys.argv[3] == 'lines':\n"
		"    d = [json.loads(l, parse_constant=strict) for l in text.splitlines() if l]\n"
		"else:\n"
		"    d = json.loads(text, parse_constant=strict)\n"
		"r = eval(sys.argv[2])\n"
		"print(r if isinstance(r, str) else json.dumps(r), end='')\n";
	g_autofree char *file = g_build_filename(env.dir, "query.json", NULL);
	g_auto(GStrv) cenv = g_environ_unsetenv(g_get_environ(), "LD_PRELOAD");
	const char *argv[] = {"/usr/bin/python3",      "-c", script, file, expr,
			      lines ? "lines" : "doc", NULL};
	g_autofree char *err = NULL;
	char *out = NULL;
	int status;

	ck_assert(g_file_set_contents(file, json, -1, NULL));
	ck_assert(
		g_spawn_sync(NULL, (char **)argv, cenv, 0, NULL, NULL, &out, &err, &status, NULL));
	ck_assert_msg(g_spawn_check_wait_status(status, NULL), "%s on\n%s\nfailed: %s", expr, json,
		      err);
	return out;
}

#define ASSERT_JSON(json, expr, want)                                                              \
	do {                                                                                       \
		g_autofree char *_got = json_query((json), false, (expr));                         \
		ck_assert_msg(strcmp(_got, (want)) == 0, "%s: got '%s', want '%s'", (expr), _got,  \
			      (want));                                                             \
	} while (0)

static char *device_of(const char *name)
{
	TbsStream *s = world_stream(&bw.w, "0-1.0", name);

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(s->devnode);
	return g_strdup(s->devnode);
}

static void request_persistent(const char *peer, const char *name)
{
	g_autofree char *err = NULL;

	ASSERT_CTL_OK(ctl(NULL, &err, "request", peer, name, "--persistent", NULL), err);
}

/* ---- list and info ------------------------------------------------------------------------ */

START_TEST(test_list_tree_masks_uuids_unless_asked)
{
	g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *dev = NULL;

	request_persistent("alpha", "backup");
	dev = device_of("backup");
	ASSERT_CTL_OK(ctl(&out, &err, "list", NULL), err);
	ASSERT_HAS(out, "tbstreamd " TBSTREAM_VERSION ": running");
	ASSERT_HAS(out, "alpha  " MASKED_A);
	ASSERT_HAS(out, "beta  11111111-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
	ASSERT_HAS_NOT(out, UUID_A);
	ASSERT_HAS(out, "Intel, connected, 2 x 20 Gb/s, not trusted, not allowed");
	ASSERT_HAS(out, "`- backup  ");
	ASSERT_HAS(out, dev);
	ASSERT_HAS(out, "configured");
	ASSERT_HAS(out, "(no streams)");
	/* the default verb is list */
	g_free(err);
	ASSERT_CTL_OK(ctl(&out2, &err, "--show-uuid", NULL), err);
	ASSERT_HAS(out2, "alpha  " UUID_A);
}
END_TEST

START_TEST(test_list_json_is_complete_and_unmasked)
{
	g_autofree char *out = NULL, *err = NULL, *pretty = NULL, *dev = NULL;

	request_persistent(UUID_A, "backup");
	dev = device_of("backup");
	ASSERT_CTL_OK(ctl(&out, &err, "list", "--json=short", NULL), err);
	/* short: one line */
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	ASSERT_JSON(out, "d['Manager']['Version']", TBSTREAM_VERSION);
	ASSERT_JSON(out, "[p['Name'] for p in d['Peers']]", "[\"alpha\", \"beta\"]");
	ASSERT_JSON(out, "d['Peers'][0]['UUID']", UUID_A);
	ASSERT_JSON(out, "d['Peers'][0]['Streams']", "[\"" STREAM_BACKUP "\"]");
	ASSERT_JSON(out, "d['Peers'][0]['RxSpeed'] * d['Peers'][0]['RxLanes']", "40");
	ASSERT_JSON(out, "d['Peers'][0]['Trusted']", "false");
	ASSERT_JSON(out, "d['Streams'][0]['Path']", STREAM_BACKUP);
	ASSERT_JSON(out, "d['Streams'][0]['Device']", dev);
	ASSERT_JSON(out, "d['Streams'][0]['State']", "configured");
	ASSERT_JSON(out, "d['Streams'][0]['Persistent']", "true");
	ASSERT_JSON(out, "type(d['Streams'][0]['Counters']).__name__", "dict");

	g_free(err);
	ASSERT_CTL_OK(ctl(&pretty, &err, "list", "--json=pretty", NULL), err);
	ASSERT_HAS(pretty, "\n  \"Peers\": [\n    {\n      \"Path\": ");
	ASSERT_JSON(pretty,
		    "d == "
		    "__import__('json').loads(open(sys.argv[1]).read())",
		    "true");
	{
		g_autofree char *same = json_query(out, false, "json.dumps(d, sort_keys=True)");
		g_autofree char *same2 = json_query(pretty, false, "json.dumps(d, sort_keys=True)");
		/* Counters and LinkState are read live; both are idle here */
		ck_assert_str_eq(same, same2);
	}
}
END_TEST

START_TEST(test_list_quiet_names_what_arguments_accept)
{
	g_autofree char *out = NULL, *err = NULL;

	request_persistent("beta", "cam");
	ASSERT_CTL_OK(ctl(&out, &err, "list", "-q", NULL), err);
	ck_assert_str_eq(out, UUID_A "\n" UUID_B "\n0-3.0/cam\n");
}
END_TEST

START_TEST(test_info_peer_and_stream)
{
	g_autofree char *out = NULL, *err = NULL, *json = NULL, *sout = NULL, *sjson = NULL;

	request_persistent("alpha", "backup");
	ASSERT_CTL_OK(ctl(&out, &err, "info", "3a1cb984", NULL), err);
	ASSERT_HAS(out, "        Peer: alpha\n");
	ASSERT_HAS(out, "          Id: " MASKED_A "\n");
	ASSERT_HAS(out, "      Vendor: Intel (8086:0001)\n");
	ASSERT_HAS(out, "   Connected: yes, group 0-1.0, 2 x 20 Gb/s\n");
	ASSERT_HAS(out, "     Streams: backup\n");
	ASSERT_HAS_NOT(out, "_33a1cb984"); /* the path would show the UUID */

	g_free(err);
	ASSERT_CTL_OK(ctl(&json, &err, "info", "--json=short", "alpha", NULL), err);
	ASSERT_JSON(json, "d['Peer']['Id']", UUID_A);
	ASSERT_JSON(json, "d['Peer']['MaxHopID']", "15");

	g_free(err);
	ASSERT_CTL_OK(ctl(&sout, &err, "info", "alpha/backup", NULL), err);
	ASSERT_HAS(sout, "      Stream: backup\n");
	ASSERT_HAS(sout, "        Peer: alpha (" MASKED_A ")\n");
	ASSERT_HAS(sout, "   Ring size: 256 frames\n");
	ASSERT_HAS(sout, "      Origin: request, persistent\n");
	ASSERT_HAS(sout, "        Path: " STREAM_BACKUP "\n");

	g_free(err);
	ASSERT_CTL_OK(ctl(&sjson, &err, "info", "-j", STREAM_BACKUP, NULL), err);
	ASSERT_JSON(sjson, "d['Stream']['Group']", "0-1.0");
	ASSERT_JSON(sjson, "d['Stream']['Origin']", "request");
}
END_TEST

/* ---- request and remove -------------------------------------------------------------------- */

START_TEST(test_request_options_reach_configfs)
{
	g_autofree char *out = NULL, *err = NULL, *dev = NULL;

	ASSERT_CTL_OK(ctl(&out, &err, "request", "alpha", "fixed", "--in-hopid=8", "--out-hopid",
			  "9", "--ring-size=64", "--throttling=256", "--on-unplug=keep",
			  "--persistent", "--json=short", NULL),
		      err);
	g_autofree char *in = th_read(bw.w.stream_dir, "0-1.0/fixed/in_hopid");
	g_autofree char *o = th_read(bw.w.stream_dir, "0-1.0/fixed/out_hopid");
	g_autofree char *ring = th_read(bw.w.stream_dir, "0-1.0/fixed/ring_size");
	ck_assert_str_eq(in, "8");
	ck_assert_str_eq(o, "9");
	ck_assert_str_eq(ring, "64");
	dev = device_of("fixed");
	ASSERT_JSON(out, "d['Stream']['Device']", dev);
	ASSERT_JSON(out, "d['Stream']['Path']", PATH "/stream/_30_2d1_2e0/fixed");
	ASSERT_JSON(out, "d['Stream']['Persistent']", "true");
}
END_TEST

START_TEST(test_request_without_persistent_holds_stream_until_interrupted)
{
	g_autofree char *out = NULL, *err = NULL;
	BusTool t;

	ctl_start(&t, "request", "beta", "temp", NULL);
	for (int i = 0; i < 1000; i++) {
		g_autofree char *so_far = bus_world_tool_stdout(&t);
		if (strstr(so_far, "is ready"))
			break;
		bus_world_run(&bw, 10);
	}
	ck_assert_ptr_nonnull(world_stream(&bw.w, "0-3.0", "temp"));
	/* still held a while later */
	bus_world_run(&bw, 200);
	ck_assert_ptr_nonnull(world_stream(&bw.w, "0-3.0", "temp"));
	ck_assert_int_eq(kill(t.pid, SIGINT), 0);
	ck_assert_int_eq(bus_world_tool_wait(&bw, &t, 10000, &out, &err), 0);
	ASSERT_HAS(out, "Stream temp to beta is ready: ");
	ASSERT_HAS(err, "--persistent");
	for (int i = 0; i < 300 && world_stream(&bw.w, "0-3.0", "temp"); i++)
		bus_world_run(&bw, 10);
	ck_assert_ptr_null(world_stream(&bw.w, "0-3.0", "temp"));
}
END_TEST

START_TEST(test_remove)
{
	g_autofree char *out = NULL, *err = NULL, *err2 = NULL;

	request_persistent("alpha", "gone");
	ASSERT_CTL_OK(ctl(&out, &err, "remove", "gone", NULL), err);
	ck_assert_str_eq(out, "");
	ck_assert_ptr_null(world_stream(&bw.w, "0-1.0", "gone"));
	ck_assert_int_eq(ctl(NULL, &err2, "remove", "gone", NULL), EXIT_NOT_FOUND);
	ASSERT_HAS(err2, "No stream 'gone'");
}
END_TEST

/* ---- open ---------------------------------------------------------------------------------- */

static char *checksum_of(const char *path)
{
	g_autofree char *data = NULL;
	gsize n = 0;

	ck_assert(g_file_get_contents(path, &data, &n, NULL));
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, n);
}

START_TEST(test_open_carries_bytes_both_ways)
{
	g_autofree char *src = g_build_filename(bw.w.tmp, "src", NULL);
	g_autofree char *dst = g_build_filename(bw.w.tmp, "dst", NULL);
	g_autofree char *to_dst = g_strdup_printf("cat > '%s'", dst);
	g_autofree char *err = NULL, *err2 = NULL, *dev = NULL;
	g_autofree char *sum_src = NULL, *sum_dev = NULL, *sum_dst = NULL;
	g_autofree guchar *data = g_malloc(300000);
	struct stat st;

	for (size_t i = 0; i < 300000; i++)
		data[i] = (guchar)g_random_int();
	ck_assert(g_file_set_contents(src, (const char *)data, 300000, NULL));
	request_persistent("alpha", "io");
	dev = device_of("io");

	/* --write: the stream is COMMAND's stdout */
	ASSERT_CTL_OK(ctl(NULL, &err, "open", "io", "--write", "--", "cat", src, NULL), err);
	sum_src = checksum_of(src);
	sum_dev = checksum_of(dev);
	ck_assert_str_eq(sum_dev, sum_src);
	ck_assert_int_eq(stat(dst, &st), -1);

	/* --read: the stream is COMMAND's stdin */
	ASSERT_CTL_OK(
		ctl(NULL, &err2, "open", "alpha/io", "--read", "--", "sh", "-c", to_dst, NULL),
		err2);
	sum_dst = checksum_of(dst);
	ck_assert_str_eq(sum_dst, sum_src);
}
END_TEST

START_TEST(test_open_exit_status_is_the_commands)
{
	g_autofree char *err = NULL, *err2 = NULL, *err3 = NULL, *out = NULL;

	request_persistent("alpha", "io");
	ck_assert_int_eq(ctl(NULL, NULL, "open", "io", "--read", "--", "sh", "-c", "exit 42", NULL),
			 42);
	ck_assert_int_eq(ctl(NULL, NULL, "open", "io", "--read", "--write", "--", "false", NULL),
			 1);
	/* COMMAND's own options after "--" are COMMAND's */
	ck_assert_int_eq(ctl(&out, NULL, "open", "io", "--read", "--", "sh", "-c",
			     "echo \"$1\" >&2", "sh", "--read", NULL),
			 0);
	ck_assert_int_eq(ctl(NULL, &err, "open", "io", "--read", "--", "/nonexistent/cmd", NULL),
			 127);
	ASSERT_HAS(err, "Cannot run /nonexistent/cmd");
	ck_assert_int_eq(ctl(NULL, &err2, "open", "io", "--", "true", NULL), EXIT_USAGE);
	ASSERT_HAS(err2, "--read, --write");
	ck_assert_int_eq(ctl(NULL, &err3, "open", "nope", "--read", "--", "true", NULL),
			 EXIT_NOT_FOUND);
}
END_TEST

/* ---- peers and the daemon ------------------------------------------------------------------ */

START_TEST(test_trust_and_label)
{
	g_autofree char *err = NULL, *err2 = NULL, *err3 = NULL, *out = NULL, *err4 = NULL,
			*err5 = NULL, *info = NULL, *err6 = NULL;
	TbsPeer *p = tbs_manager_find_peer(bw.w.m, UUID_A);

	ASSERT_CTL_OK(ctl(NULL, &err, "trust", "alpha", "yes", NULL), err);
	ck_assert(p->record->trusted);
	ASSERT_CTL_OK(ctl(NULL, &err2, "label", "alpha", "Desk PC", NULL), err2);
	ck_assert_str_eq(p->record->label, "Desk PC");
	/* a label names the peer from now on */
	ASSERT_CTL_OK(ctl(NULL, &err3, "trust", "Desk PC", "off", NULL), err3);
	ck_assert(!p->record->trusted);
	ASSERT_CTL_OK(ctl(&out, &err4, "list", NULL), err4);
	ASSERT_HAS(out, "Desk PC (alpha)  " MASKED_A);
	ASSERT_HAS(out, "not trusted");
	ck_assert_int_eq(ctl(NULL, &err5, "trust", "alpha", "maybe", NULL), EXIT_USAGE);
	ASSERT_HAS(err5, "yes or no");
	ck_assert(!p->record->trusted);

	/* control characters in a label never reach the terminal (unit-ctl-output tests the
	 * escaping) */
	ASSERT_CTL_OK(ctl(NULL, &err6, "label", UUID_A, "evil\x1b]0;x\a", NULL), err6);
	ASSERT_CTL_OK(ctl(&info, NULL, "info", UUID_A, NULL), "");
	ASSERT_HAS(info, "       Label: evil");
	ASSERT_HAS_NOT(info, "\x1b");
	ASSERT_HAS_NOT(info, "\a");
}
END_TEST

static bool cond_item(World *w, const void *name)
{
	TbsStream *s = world_stream(w, "0-1.0", name);
	return s && s->state == TBS_STREAM_READY;
}

static bool cond_no_item(World *w, const void *name)
{
	return !world_stream(w, "0-1.0", name);
}

START_TEST(test_enroll_revoke_forget_and_controllers)
{
	g_autofree char *src = g_build_filename(TBS_SOURCE_DIR, "tbstreamd", "vendor", "policy.d",
						"50-enrolled.conf", NULL);
	g_autofree char *dir = g_build_filename(bw.w.vendor, "policy.d", NULL);
	g_autofree char *dst = g_build_filename(dir, "50-enrolled.conf", NULL);
	g_autofree char *data = NULL, *err = NULL, *err2 = NULL, *err3 = NULL, *out = NULL,
			*err4 = NULL, *err5 = NULL, *err6 = NULL, *err7 = NULL, *err8 = NULL,
			*err9 = NULL, *err10 = NULL, *err11 = NULL, *out2 = NULL, *out3 = NULL;
	TbsPeer *p;

	/* the shipped rule that honours enrollment */
	ck_assert(g_file_get_contents(src, &data, NULL, NULL));
	ck_assert_int_eq(g_mkdir_with_parents(dir, 0755), 0);
	ck_assert(g_file_set_contents(dst, data, -1, NULL));
	ASSERT_CTL_OK(ctl(NULL, &err, "reload", NULL), err);

	ASSERT_CTL_OK(ctl(NULL, &err2, "enroll", "alpha", "--stream", "backup", "--stream", "sync",
			  "--persistent", NULL),
		      err2);
	p = tbs_manager_find_peer(bw.w.m, UUID_A);
	ck_assert(p->record->enrolled && p->record->enrollment.persistent);
	ck_assert(world_run_until(&bw.w, cond_item, "backup", 10000));
	ck_assert(world_run_until(&bw.w, cond_item, "sync", 10000));

	/* --stream belongs to enroll */
	ck_assert_int_eq(ctl(NULL, &err5, "request", "alpha", "x", "--stream", "y", NULL),
			 EXIT_USAGE);

	/* revoke: the enrollment and its streams go, the record (label) stays */
	ASSERT_CTL_OK(ctl(NULL, &err6, "label", "alpha", "Lab bench", NULL), err6);
	ASSERT_CTL_OK(ctl(&out2, &err7, "revoke", "alpha", NULL), err7);
	ASSERT_HAS(out2, "Revoked Lab bench: it is no longer enrolled.");
	ck_assert(world_run_until(&bw.w, cond_no_item, "backup", 10000));
	ck_assert(world_run_until(&bw.w, cond_no_item, "sync", 10000));
	p = tbs_manager_find_peer(bw.w.m, UUID_A);
	ck_assert(p && !p->record->enrolled && !p->record->trusted);
	ck_assert_str_eq(p->record->label, "Lab bench");
	/* not enrolled: nothing to do, and no error */
	ASSERT_CTL_OK(ctl(&out3, &err8, "revoke", "alpha", "--json=short", NULL), err8);
	ck_assert_str_eq(out3, "");
	ck_assert_int_eq(ctl(NULL, &err9, "revoke", "nobody", NULL), EXIT_NOT_FOUND);
	ASSERT_HAS(err9, "No peer 'nobody'");
	ck_assert_int_eq(ctl(NULL, &err10, "revoke", NULL), EXIT_USAGE);

	ASSERT_CTL_OK(ctl(NULL, &err11, "enroll", "alpha", "--stream", "backup", NULL), err11);
	ck_assert(world_run_until(&bw.w, cond_item, "backup", 10000));
	ASSERT_CTL_OK(ctl(NULL, &err3, "forget", "alpha", NULL), err3);
	ck_assert(world_run_until(&bw.w, cond_no_item, "backup", 10000));
	ck_assert(world_run_until(&bw.w, cond_no_item, "sync", 10000));
	p = tbs_manager_find_peer(bw.w.m, UUID_A);
	ck_assert(p && !p->record->enrolled);

	/* the world has no domain device */
	ASSERT_CTL_OK(ctl(&out, &err4, "controllers", NULL), err4);
	ASSERT_HAS(out, "No USB4/Thunderbolt controller");
}
END_TEST

/* info says a peer is enrolled, with what, and which administrator's rule denies it anyway */
START_TEST(test_info_shows_the_enrollment_and_the_rule_that_overrides_it)
{
	g_autofree char *err = NULL, *err2 = NULL, *err3 = NULL, *err4 = NULL, *out = NULL,
			*out2 = NULL, *out3 = NULL;

	ASSERT_CTL_OK(ctl(&out, &err, "info", "alpha", NULL), err);
	ASSERT_HAS(out, "    Enrolled: no\n");
	ASSERT_HAS_NOT(out, "Overridden");

	world_policy(&bw.w, "[Peer lockdown]\nMatchUUID=" UUID_A "\nAllow=no\n");
	ASSERT_CTL_OK(ctl(NULL, &err2, "reload", NULL), err2);
	ASSERT_CTL_OK(ctl(NULL, &err3, "enroll", "alpha", "--stream", "backup", "--stream", "sync",
			  "--persistent", NULL),
		      err3);
	world_settle(&bw.w);
	ASSERT_CTL_OK(ctl(&out2, &err4, "info", "alpha", NULL), err4);
	ASSERT_HAS(out2, "    Enrolled: yes, streams backup, sync, kept on unplug\n");
	ASSERT_HAS(out2,
		   "  Overridden: denied by policy rule \"lockdown\" despite the enrollment\n");

	/* the administrator lifts the rule: still enrolled, nothing overrides it */
	g_free(err2);
	err2 = NULL;
	world_policy(&bw.w, "");
	ASSERT_CTL_OK(ctl(NULL, &err2, "reload", NULL), err2);
	world_settle(&bw.w);
	g_free(err4);
	err4 = NULL;
	ASSERT_CTL_OK(ctl(&out3, &err4, "info", "alpha", NULL), err4);
	ASSERT_HAS(out3, "    Enrolled: yes, streams backup, sync, kept on unplug\n");
	ASSERT_HAS_NOT(out3, "Overridden");
}
END_TEST

/* enroll says who may open the streams: owner and group by name or number, octal mode */
START_TEST(test_enroll_sets_the_owner_group_and_mode_of_the_streams)
{
	g_autofree char *err = NULL, *err2 = NULL, *err3 = NULL, *err4 = NULL, *err5 = NULL,
			*err6 = NULL, *out = NULL;
	TbsPeer *p;

	ASSERT_CTL_OK(ctl(NULL, &err, "enroll", "alpha", "--stream", "backup", "--owner", "root",
			  "--group", "0", "--mode", "0640", NULL),
		      err);
	p = tbs_manager_find_peer(bw.w.m, UUID_A);
	ck_assert(p->record->enrolled);
	ck_assert_uint_eq(p->record->enrollment.owner, 0);
	ck_assert_uint_eq(p->record->enrollment.group, 0);
	ck_assert_uint_eq(p->record->enrollment.mode, 0640);
	ASSERT_CTL_OK(ctl(&out, &err2, "info", "alpha", NULL), err2);
	ASSERT_HAS(out, "    Enrolled: yes, streams backup, removed on unplug, owner 0, group 0, "
			"mode 0640\n");

	/* refused before anything is sent: set-id bits, unknown names, the wrong verb */
	ck_assert_int_eq(ctl(NULL, &err3, "enroll", "alpha", "--mode", "4755", NULL), EXIT_USAGE);
	ASSERT_HAS(err3, "--mode wants octal permission bits from 0 to 0777, not '4755'");
	ck_assert_int_eq(ctl(NULL, &err4, "enroll", "alpha", "--owner", "no-such-user-tbs", NULL),
			 EXIT_USAGE);
	ASSERT_HAS(err4, "--owner: no user 'no-such-user-tbs'");
	ck_assert_int_eq(ctl(NULL, &err5, "enroll", "alpha", "--group", "no-such-group-tbs", NULL),
			 EXIT_USAGE);
	ASSERT_HAS(err5, "--group: no group 'no-such-group-tbs'");
	ck_assert_int_eq(ctl(NULL, &err6, "request", "alpha", "x", "--mode", "0600", NULL),
			 EXIT_USAGE);
	p = tbs_manager_find_peer(bw.w.m, UUID_A);
	ck_assert_uint_eq(p->record->enrollment.mode, 0640);
}
END_TEST

START_TEST(test_reload)
{
	g_autofree char *err = NULL, *err2 = NULL;

	ASSERT_CTL_OK(ctl(NULL, &err, "reload", NULL), err);
	world_policy(&bw.w, "[Peer x]\nMatchBogus=1\n");
	ck_assert_int_eq(ctl(NULL, &err2, "reload", NULL), 1);
	ASSERT_HAS(err2, "Cannot reload the policy: ");
	ASSERT_HAS(err2, "tbstreamd.conf:1: ");
}
END_TEST

/* ---- monitor ------------------------------------------------------------------------------- */

static void wait_for_text(BusTool *t, bool on_stderr, const char *text)
{
	for (int i = 0; i < 1000; i++) {
		g_autofree char *s =
			on_stderr ? bus_world_tool_stderr(t) : bus_world_tool_stdout(t);
		if (strstr(s, text))
			return;
		bus_world_run(&bw, 10);
	}
	g_autofree char *got = on_stderr ? bus_world_tool_stderr(t) : bus_world_tool_stdout(t);
	ck_abort_msg("'%s' never appeared in: %s", text, got);
}

/* throughput: the text that shows the 2 MB arrived */
static void monitor_scenario(BusTool *t, const char *throughput)
{
	g_autofree char *item = g_build_filename(bw.w.stream_dir, "0-1.0", "mon", NULL);
	g_autofree char *err = NULL;

	wait_for_text(t, true, "Monitoring tbstreamd");
	request_persistent("alpha", "mon");
	th_write(item, "rx_bytes", "0\n");
	th_write(item, "tx_bytes", "0\n");
	/*
	 * The daemon reads Counters at most every 250 ms and the monitor's first
	 * Get may have come before the files: give it time for a fresh read of
	 * the zeros, the baseline the 2 MB are measured against.
	 */
	bus_world_run(&bw, 1000);
	/* 2 MB arrive: some sample must see them */
	th_write(item, "rx_bytes", "2000000\n");
	wait_for_text(t, false, throughput);
	ASSERT_CTL_OK(ctl(NULL, &err, "label", "alpha", "Desk", NULL), err);
	g_free(err);
	ASSERT_CTL_OK(ctl(NULL, &err, "remove", "alpha/mon", NULL), err);
	wait_for_text(t, false, "removed");
	ck_assert_int_eq(kill(t->pid, SIGINT), 0);
}

static bool cond_sampling(World *w, const void *want)
{
	return tbs_bus_throughput_sampling(bw.bus) == *(const bool *)want;
}

START_TEST(test_monitor_json_events_and_throughput)
{
	g_autofree char *out = NULL, *err = NULL;
	const bool yes = true, no = false;
	BusTool t;

	ck_assert(!tbs_bus_throughput_sampling(bw.bus));
	ctl_start(&t, "monitor", "--json=short", "--interval=0.05", NULL);
	/* the rates come from the daemon's watch, not from polling every stream */
	ck_assert(world_run_until(&bw.w, cond_sampling, &yes, 10000));
	monitor_scenario(&t, "\"RxBytes\":2000000");
	ck_assert_int_eq(bus_world_tool_wait(&bw, &t, 10000, &out, &err), 0);
	/* the watch ends with the monitor: an idle daemon samples nothing again */
	ck_assert(world_run_until(&bw.w, cond_sampling, &no, 10000));
	g_autofree char *period = json_query(
		out, true, "str(set(e['IntervalUSec'] for e in d if e['Event'] == 'throughput'))");
	ck_assert_str_eq(period, "{1000000}");
	g_autofree char *noise =
		json_query(out, true,
			   "str([e for e in d if e['Event'] == 'changed' and "
			   "set(e['Changed']) <= {'RxBytes', 'TxBytes', 'RxRate', 'TxRate'}])");
	ck_assert_str_eq(noise, "[]");
	g_autofree char *events = json_query(out, true, "' '.join(e['Event'] for e in d)");
	ck_assert_msg(g_str_has_prefix(events, "added "), "%s", events);
	g_autofree char *added = json_query(
		out, true, "[e['Properties']['Name'] for e in d if e['Event'] == 'added'][0]");
	ck_assert_str_eq(added, "mon");
	g_autofree char *rate = json_query(
		out, true,
		"str(max(e['RxBytesPerSecond'] for e in d if e['Event'] == 'throughput') > 0)");
	ck_assert_str_eq(rate, "True");
	g_autofree char *total = json_query(
		out, true, "str(max(e['RxBytes'] for e in d if e['Event'] == 'throughput'))");
	ck_assert_str_eq(total, "2000000");
	g_autofree char *label =
		json_query(out, true,
			   "[e['Changed']['Label'] for e in d if e['Event'] == 'changed' and "
			   "e['Type'] == 'peer' and 'Label' in e['Changed']][0]");
	ck_assert_str_eq(label, "Desk");
	g_autofree char *removed =
		json_query(out, true, "[e['Path'] for e in d if e['Event'] == 'removed'][0]");
	ck_assert_str_eq(removed, PATH "/stream/_30_2d1_2e0/mon");
}
END_TEST

START_TEST(test_monitor_for_people)
{
	g_autofree char *out = NULL, *err = NULL;
	BusTool t;

	ctl_start(&t, "monitor", "--interval=0.05", NULL);
	monitor_scenario(&t, "/s, tx ");
	ck_assert_int_eq(bus_world_tool_wait(&bw, &t, 10000, &out, &err), 0);
	ASSERT_HAS(out, "stream alpha/mon: added, ");
	ASSERT_HAS(out, "stream alpha/mon: rx ");
	ASSERT_HAS(out, "peer alpha: ");
	ASSERT_HAS(out, "Label=Desk");
	ASSERT_HAS(out, "stream alpha/mon: removed");
}
END_TEST

/* -j as systemd's tools have it: pretty on a terminal, one line per document otherwise. */
START_TEST(test_j_is_pretty_on_a_terminal_and_short_in_a_pipe)
{
	g_autofree char *out = NULL, *err = NULL, *tty = NULL, *err2 = NULL;
	g_autofree char *cmd = g_strdup_printf("'%s' list -j", TBSTREAMCTL_PATH);
	/* script(1) gives tbstreamctl a pseudo-terminal as its standard output */
	const char *argv[] = {"script", "-qec", cmd, "/dev/null", NULL};

	ASSERT_CTL_OK(ctl(&out, &err, "list", "-j", NULL), err);
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	ASSERT_JSON(out, "[p['Name'] for p in d['Peers']]", "[\"alpha\", \"beta\"]");

	ck_assert_int_eq(bus_world_tool(&bw, argv, &tty, &err2), 0);
	/* the terminal turns \n into \r\n */
	ASSERT_HAS(tty, "{\r\n  \"Manager\": {\r\n");
	ASSERT_HAS(tty, "\r\n  \"Peers\": [\r\n    {\r\n");
}
END_TEST

START_TEST(test_policy_errors_show_in_status_and_list)
{
	g_autofree char *out = NULL, *err = NULL, *list = NULL, *err2 = NULL, *err3 = NULL,
			*bare = NULL, *json = NULL, *err4 = NULL, *err5 = NULL;

	/* errors in two sections of one file: shown in file and line order */
	world_policy(&bw.w, "[Peer x]\nMatchAny=yes\nBogus=1\n[Stream s]\nRingSize=1\n");
	ck_assert_int_eq(ctl(NULL, &err, "reload", NULL), 1);
	ASSERT_CTL_OK(ctl(&out, &err2, "status", NULL), err2);
	ASSERT_HAS(out, "      Daemon: tbstreamd " TBSTREAM_VERSION ", degraded\n");
	ASSERT_HAS(out, "      Policy: 2 errors, not in force (tbstreamctl check-policy):\n"
			"              ");
	ASSERT_HAS(out, "tbstreamd.conf:3: Unknown key Bogus= in [Peer x]\n              ");
	ASSERT_HAS(out, "tbstreamd.conf:5: RingSize= expects 32..4096, got \"1\"\n");
	ck_assert((uintptr_t)strstr(out, ":3: Unknown key") <
		  (uintptr_t)strstr(out, ":5: RingSize="));
	ASSERT_HAS(out, "      Kernel: ready (ConfigFS mounted, stream module loaded)\n");
	ASSERT_HAS(out, "       Peers: 2 known, 2 connected, 0 allowed\n");
	ASSERT_HAS(out, "     Streams: 0, 0 configured\n");

	ASSERT_CTL_OK(ctl(&list, &err3, "list", NULL), err3);
	ASSERT_HAS(list, "  policy error: ");
	ASSERT_HAS(list, "tbstreamd.conf:3: Unknown key Bogus= in [Peer x]\n");
	/* --no-legend: the peers, without the daemon's line and its policy errors */
	ASSERT_CTL_OK(ctl(&bare, &err5, "list", "--no-legend", "--no-pager", NULL), err5);
	ASSERT_HAS_NOT(bare, "tbstreamd ");
	ASSERT_HAS_NOT(bare, "policy error");
	ck_assert_msg(g_str_has_prefix(bare, "* alpha  " MASKED_A "\n") ||
			      g_str_has_prefix(bare, "● alpha  " MASKED_A "\n"),
		      "%s", bare);

	ASSERT_CTL_OK(ctl(&json, &err4, "status", "--json=short", NULL), err4);
	ASSERT_JSON(json, "d['Peers']", "{\"Known\": 2, \"Connected\": 2, \"Allowed\": 0}");
	ASSERT_JSON(json, "[e[2] for e in d['Manager']['PolicyErrorList']]", "[3, 5]");
}
END_TEST

START_TEST(test_status_of_a_healthy_daemon)
{
	g_autofree char *out = NULL, *err = NULL, *ctrl = NULL, *err2 = NULL;

	request_persistent("alpha", "backup");
	ASSERT_CTL_OK(ctl(&out, &err, "status", NULL), err);
	ASSERT_HAS(out, "      Daemon: tbstreamd " TBSTREAM_VERSION ", running\n");
	ASSERT_HAS(out, "      Policy: loaded, no errors\n");
	ASSERT_HAS(out, "     Streams: 1, 1 configured\n");
	ASSERT_HAS(out, " Controllers: ");
	/* without controllers, --no-legend leaves nothing to say */
	ASSERT_CTL_OK(ctl(&ctrl, &err2, "controllers", "--no-legend", NULL), err2);
	ck_assert_str_eq(ctrl, "");
}
END_TEST

/* ---- usage and lookup errors --------------------------------------------------------------- */

START_TEST(test_usage_errors_exit_2_and_change_nothing)
{
	static const char *const cases[][6] = {
		{"bogus"},
		{"info"},
		{"request", "alpha"},
		{"list", "--json=yaml"},
		{"list", "--read"},
		{"request", "alpha", "x", "--in-hopid=8"},
		{"request", "alpha", "x", "--ring-size=-1"},
		{"request", "alpha", "x", "--ring-size=12abc"},
		{"request", "alpha", "x", "--on-unplug=explode"},
		{"monitor", "--interval=0"},
		{"remove", "a", "b"},
		{"open", "io", "extra", "--read", "--", "true"},
		{"--no-such-option"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) a = g_ptr_array_new();
		g_autofree char *err = NULL;
		int r;

		g_ptr_array_add(a, (char *)TBSTREAMCTL_PATH);
		for (size_t k = 0; k < 6 && cases[i][k]; k++)
			g_ptr_array_add(a, (char *)cases[i][k]);
		g_ptr_array_add(a, NULL);
		r = bus_world_tool(&bw, (const char *const *)a->pdata, NULL, &err);
		ck_assert_msg(r == EXIT_USAGE, "case %zu (%s) exited %d", i, cases[i][0], r);
		ck_assert_msg(*err, "case %zu: no message", i);
	}
	ck_assert_uint_eq(g_hash_table_size(tbs_manager_streams(bw.w.m)), 0);
}
END_TEST

START_TEST(test_daemon_refusals_have_clear_messages)
{
	g_autofree char *err = NULL, *err2 = NULL, *err3 = NULL, *err4 = NULL, *err5 = NULL;

	ck_assert_int_eq(ctl(NULL, &err, "request", "alpha", "../x", "--persistent", NULL),
			 EXIT_USAGE);
	ASSERT_HAS(err, "Cannot create the stream: Invalid stream name");
	ck_assert_int_eq(ctl(NULL, &err2, "request", "gamma", "x", NULL), EXIT_NOT_FOUND);
	ASSERT_HAS(err2, "No peer 'gamma'");
	ck_assert_int_eq(ctl(NULL, &err3, "info", "nothing", NULL), EXIT_NOT_FOUND);
	ASSERT_HAS(err3, "No peer or stream 'nothing'");

	/* one name, two streams: say which, and accept PEER/NAME */
	request_persistent("alpha", "dup");
	request_persistent("beta", "dup");
	ck_assert_int_eq(ctl(NULL, &err4, "remove", "dup", NULL), EXIT_USAGE);
	ASSERT_HAS(err4, "0-1.0/dup 0-3.0/dup");
	ASSERT_CTL_OK(ctl(NULL, &err5, "remove", "beta/dup", NULL), err5);
	ck_assert_ptr_null(world_stream(&bw.w, "0-3.0", "dup"));
	ck_assert_ptr_nonnull(world_stream(&bw.w, "0-1.0", "dup"));
}
END_TEST

/*
 * The bash completion with the real tbstreamctl on PATH; bash-completion's
 * _init_completion and _command_offset are stubbed to what they provide.
 */
static char *complete(const char *line)
{
	static const char script[] =
		"PATH=$1:$PATH\n"
		"_init_completion() { words=(\"${COMP_WORDS[@]}\"); cword=$COMP_CWORD;"
		" cur=${words[cword]}; prev=${words[cword-1]}; }\n"
		"_command_offset() { COMPREPLY=(command-at-$1); }\n"
		"source \"$2\"\n"
		"read -ra COMP_WORDS <<< \"$3\"\n"
		"[[ $3 == *' ' ]] && COMP_WORDS+=('')\n"
		"COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
		"_tbstreamctl\n"
		"printf '%s\\n' \"${COMPREPLY[@]}\"\n";
	g_autofree char *dir = g_path_get_dirname(TBSTREAMCTL_PATH);
	const char *argv[] = {"bash", "-c", script, "bash", dir, COMPLETION_PATH, line, NULL};
	g_autofree char *err = NULL;
	char *out = NULL;

	ck_assert_msg(bus_world_tool(&bw, argv, &out, &err) == 0, "completion of '%s': %s", line,
		      err);
	return out;
}

START_TEST(test_bash_completion_offers_verbs_peers_and_streams)
{
	g_autofree char *verbs = NULL, *streams = NULL, *peers = NULL, *yesno = NULL, *cmd = NULL,
			*opts = NULL, *json = NULL, *info = NULL;

	request_persistent("alpha", "backup");
	verbs = complete("tbstreamctl re");
	ck_assert_str_eq(verbs, "request\nremove\nreload\nrevoke\n");
	streams = complete("tbstreamctl remove ");
	ck_assert_str_eq(streams, "0-1.0/backup\n");
	peers = complete("tbstreamctl --ring-size 64 request ");
	ck_assert_str_eq(peers, UUID_A "\n" UUID_B "\n");
	info = complete("tbstreamctl info 0-");
	ck_assert_str_eq(info, "0-1.0/backup\n");
	yesno = complete("tbstreamctl trust alpha ");
	ck_assert_str_eq(yesno, "yes\nno\n");
	cmd = complete("tbstreamctl open backup --read -- d");
	ck_assert_str_eq(cmd, "command-at-5\n");
	opts = complete("tbstreamctl open backup --r");
	ck_assert_str_eq(opts, "--read\n");
	json = complete("tbstreamctl --json=p");
	ck_assert_str_eq(json, "pretty\n");
	g_autofree char *st = complete("tbstreamctl st");
	ck_assert_str_eq(st, "status\n");
	g_autofree char *legend = complete("tbstreamctl list --no-l");
	ck_assert_str_eq(legend, "--no-legend\n");
	g_autofree char *revoke = complete("tbstreamctl revoke ");
	ck_assert_str_eq(revoke, UUID_A "\n" UUID_B "\n");
}
END_TEST

START_TEST(test_help_and_version)
{
	g_autofree char *out = NULL, *out2 = NULL, *out3 = NULL, *err = NULL, *err2 = NULL;

	ck_assert_int_eq(ctl(&out, NULL, "--help", NULL), 0);
	ASSERT_HAS(out, "Usage: tbstreamctl");
	ck_assert_int_eq(ctl(&out3, NULL, "help", NULL), 0);
	ck_assert_str_eq(out3, out);
	/* usage errors name the program, not the path it was run by */
	ck_assert_int_eq(ctl(NULL, &err, "bogus", NULL), EXIT_USAGE);
	ck_assert_str_eq(err, "tbstreamctl: unknown verb 'bogus'\n");
	ck_assert_int_eq(ctl(NULL, &err2, "--no-such-option", NULL), EXIT_USAGE);
	ck_assert_msg(g_str_has_prefix(err2, "tbstreamctl: "), "%s", err2);
	ck_assert_int_eq(ctl(&out2, NULL, "--version", NULL), 0);
	ck_assert_str_eq(out2, "tbstreamctl " TBSTREAM_VERSION "\n");
}
END_TEST

/* ---- polkit says no ------------------------------------------------------------------------ */

START_TEST(test_denied_authorization_exits_4_and_changes_nothing)
{
	static const char *const only_request[] = {"io.github.tbstream1.request-stream", NULL};
	g_autofree char *err = NULL, *err2 = NULL, *err3 = NULL, *err4 = NULL, *out = NULL;

	ck_assert_int_eq(ctl(NULL, &err, "request", "alpha", "nope", "--persistent",
			     "--no-ask-password", NULL),
			 EXIT_DENIED);
	ASSERT_HAS(err, "Cannot create the stream: ");
	ck_assert_ptr_null(world_stream(&bw.w, "0-1.0", "nope"));
	ck_assert_int_eq(ctl(NULL, &err2, "trust", "alpha", "yes", NULL), EXIT_DENIED);
	ASSERT_HAS(err2, "Cannot set trust: ");
	ck_assert(!tbs_manager_find_peer(bw.w.m, UUID_A)->record->trusted);

	bus_env_polkit_allow(&env, only_request);
	request_persistent("alpha", "mine");
	ck_assert_int_eq(ctl(&out, &err3, "open", "mine", "--write", "--", "echo", "leak", NULL),
			 EXIT_DENIED);
	ASSERT_HAS(err3, "Cannot open the stream: ");
	ck_assert_int_eq(ctl(NULL, &err4, "remove", "mine", NULL), EXIT_DENIED);
	ck_assert_ptr_nonnull(world_stream(&bw.w, "0-1.0", "mine"));
	g_autofree char *dev = device_of("mine");
	g_autofree char *content = NULL;
	ck_assert(g_file_get_contents(dev, &content, NULL, NULL));
	ck_assert_str_eq(content, "");
	ck_assert_str_eq(out, "");
	/* reading needs no authorization */
	ASSERT_CTL_OK(ctl(NULL, NULL, "list", NULL), "");
}
END_TEST

/* ---- no daemon ----------------------------------------------------------------------------- */

START_TEST(test_no_daemon_exits_5)
{
	g_autofree char *err = NULL, *err2 = NULL;
	g_auto(GStrv) cenv =
		g_environ_setenv(g_environ_unsetenv(g_get_environ(), "LD_PRELOAD"),
				 "DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus", TRUE);
	const char *argv[] = {TBSTREAMCTL_PATH, "list", NULL};
	int status;

	/* a bus without tbstreamd (bus_world_start not called) */
	ck_assert_int_eq(ctl(NULL, &err, "list", NULL), EXIT_NO_DAEMON);
	ASSERT_HAS(err, "tbstreamd is not running");
	/* no bus at all */
	ck_assert(
		g_spawn_sync(NULL, (char **)argv, cenv, 0, NULL, NULL, NULL, &err2, &status, NULL));
	ck_assert_int_eq(WEXITSTATUS(status), EXIT_NO_DAEMON);
	ASSERT_HAS(err2, "Cannot connect to the system bus");
}
END_TEST

/*
 * check-policy and cat-policy run the daemon's offline code (the build tree's
 * tbstreamd here) with no bus at all; a missing daemon is said plainly.
 */
static int ctl_offline(char **out, char **err, const char *daemon, const char *const *args)
{
	g_auto(GStrv) cenv = g_environ_setenv(
		g_environ_setenv(g_environ_unsetenv(g_get_environ(), "LD_PRELOAD"),
				 "DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus", TRUE),
		"TBSTREAMCTL_TBSTREAMD", daemon, TRUE);
	int status;

	ck_assert(g_spawn_sync(NULL, (char **)args, cenv, 0, NULL, NULL, out, err, &status, NULL));
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_check_policy_and_cat_policy_need_no_daemon_running)
{
	g_autofree char *dir = g_dir_make_tmp("tbstreamctl-policy-XXXXXX", NULL);
	g_autofree char *conf = g_build_filename(dir, "tbstreamd.conf", NULL);
	const char *check[] = {TBSTREAMCTL_PATH, "check-policy", dir, NULL};
	const char *cat[] = {TBSTREAMCTL_PATH, "cat-policy", dir, NULL};
	const char *check_j[] = {TBSTREAMCTL_PATH, "-j", "check-policy", NULL};
	g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL,
			*err3 = NULL, *err4 = NULL, *err5 = NULL;

	ck_assert(dir);
	ck_assert(g_file_set_contents(conf, "[Daemon]\nColour=blue\n", -1, NULL));
	ck_assert_int_eq(ctl_offline(&out, &err, TBSTREAMD_PATH, check), 1);
	g_autofree char *want = g_strdup_printf("%s:2: Unknown key Colour= in [Daemon]\n", conf);
	ck_assert_str_eq(err, want);
	ASSERT_HAS(out, "tbstreamd would not use it");

	ck_assert(g_file_set_contents(conf, "[Daemon]\n", -1, NULL));
	ck_assert_int_eq(ctl_offline(&out2, &err2, TBSTREAMD_PATH, check), 0);
	ASSERT_HAS(out2, "Policy is valid");
	ck_assert_int_eq(ctl_offline(&out3, &err3, TBSTREAMD_PATH, cat), 0);
	g_autofree char *want3 = g_strdup_printf("# %s\n[Daemon]\n", conf);
	ck_assert_str_eq(out3, want3);

	ck_assert_int_eq(ctl_offline(NULL, &err4, TBSTREAMD_PATH, check_j), EXIT_USAGE);
	ASSERT_HAS(err4, "tbstreamctl: check-policy has no JSON output");
	ck_assert_int_eq(ctl_offline(NULL, &err5, "/nonexistent/tbstreamd", check), 1);
	ASSERT_HAS(err5, "tbstreamctl: cannot run /nonexistent/tbstreamd: No such file");

	ck_assert_int_eq(unlink(conf), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc;

	tc = tcase_create("allowed");
	tcase_add_unchecked_fixture(tc, env_with_polkit, env_stop);
	tcase_add_checked_fixture(tc, setup_allowed, teardown);
	tcase_add_test(tc, test_list_tree_masks_uuids_unless_asked);
	tcase_add_test(tc, test_list_json_is_complete_and_unmasked);
	tcase_add_test(tc, test_list_quiet_names_what_arguments_accept);
	tcase_add_test(tc, test_info_peer_and_stream);
	tcase_add_test(tc, test_request_options_reach_configfs);
	tcase_add_test(tc, test_request_without_persistent_holds_stream_until_interrupted);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_open_carries_bytes_both_ways);
	tcase_add_test(tc, test_open_exit_status_is_the_commands);
	tcase_add_test(tc, test_trust_and_label);
	tcase_add_test(tc, test_enroll_revoke_forget_and_controllers);
	tcase_add_test(tc, test_info_shows_the_enrollment_and_the_rule_that_overrides_it);
	tcase_add_test(tc, test_enroll_sets_the_owner_group_and_mode_of_the_streams);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_monitor_json_events_and_throughput);
	tcase_add_test(tc, test_monitor_for_people);
	tcase_add_test(tc, test_usage_errors_exit_2_and_change_nothing);
	tcase_add_test(tc, test_daemon_refusals_have_clear_messages);
	tcase_add_test(tc, test_bash_completion_offers_verbs_peers_and_streams);
	tcase_add_test(tc, test_help_and_version);
	tcase_add_test(tc, test_j_is_pretty_on_a_terminal_and_short_in_a_pipe);
	tcase_add_test(tc, test_policy_errors_show_in_status_and_list);
	tcase_add_test(tc, test_status_of_a_healthy_daemon);
	suite_add_tcase(s, tc);

	tc = tcase_create("denied");
	tcase_add_unchecked_fixture(tc, env_with_polkit, env_stop);
	tcase_add_checked_fixture(tc, setup_denied, teardown);
	tcase_add_test(tc, test_denied_authorization_exits_4_and_changes_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("no-daemon");
	tcase_add_unchecked_fixture(tc, env_with_polkit, env_stop);
	tcase_add_checked_fixture(tc, setup_world, teardown);
	tcase_add_test(tc, test_no_daemon_exits_5);
	tcase_add_test(tc, test_check_policy_and_cat_policy_need_no_daemon_running);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	/* ASCII tree glyphs, whatever the caller's locale */
	setenv("LC_ALL", "C", 1);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
