/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "helpers.h"
#include "log.h"
#include "policy.h"

static char *etc, *vendor;
static GPtrArray *errors;

static void setup(void)
{
	tbs_log_set_target(TBS_LOG_TARGET_NULL);
	etc = th_mkdtemp();
	vendor = th_mkdtemp();
	errors = g_ptr_array_new_with_free_func(g_free);
}

static void teardown(void)
{
	th_rm_rf(etc);
	th_rm_rf(vendor);
	g_free(etc);
	g_free(vendor);
	g_ptr_array_unref(errors);
}

static TbsPolicy *load_ok(void)
{
	TbsPolicy *p = NULL;
	int r = tbs_policy_load(etc, vendor, &p, errors);
	g_autofree char *all = th_join(errors);
	ck_assert_msg(r == 0, "policy failed to load:\n%s", all);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Loads must fail, leave *ret alone, and report needle ("file:line: ..."). */
static void load_fails_with(const char *needle)
{
	TbsPolicy *p = (TbsPolicy *)0x1;
	int r = tbs_policy_load(etc, vendor, &p, errors);
	g_autofree char *all = th_join(errors);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_eq(p, (TbsPolicy *)0x1);
	ck_assert_msg(th_any_contains(errors, needle), "expected \"%s\" in:\n%s", needle, all);
}

static const char good_conf[] = "# the commit message's backup receiver, and a camera\n"
				"[Daemon]\n"
				"Subsystems=thunderbolt;tbstream_sim\n"
				"OnUnplug=keep\n"
				"\n"
				"[Stream backup]\n"
				"HopIDs=auto\n"
				"RingSize=1024\n"
				"Owner=0\n"
				"Group=0\n"
				"Mode=0660\n"
				"\n"
				"[Stream camera]\n"
				"HopIDs=peer\n"
				"OnUnplug=remove\n"
				"Throttling=0\n"
				"\n"
				"[Stream ctl]\n"
				"HopIDs=8,9\n"
				"\n"
				"[Peer laptop]\n"
				"MatchUUID=3A1CB984-C4D9-4469-A277-CE2FDFD11F0D\n"
				"Streams=backup;camera\n"
				"\n"
				"[Peer lab]\n"
				"MatchName=lab-*\n"
				"MatchTrusted=yes\n"
				"Streams=ctl backup\n";

START_TEST(test_good_policy_parses_every_setting)
{
	th_write(etc, "tbstreamd.conf", good_conf);
	g_autoptr(TbsPolicy) p = load_ok();
	const TbsStreamTemplate *t;

	ck_assert_uint_eq(g_strv_length(p->subsystems), 2);
	ck_assert_str_eq(p->subsystems[1], "tbstream_sim");
	ck_assert_int_eq(p->on_unplug, TBS_UNPLUG_KEEP);
	ck_assert_uint_eq(p->rules->len, 2);
	ck_assert_uint_eq(p->streams->len, 3);

	t = tbs_policy_find_stream(p, "backup");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->hopid_mode, TBS_HOPIDS_AUTO);
	ck_assert_int_eq(t->ring_size, 1024);
	ck_assert_int_eq(t->throttling, -1);
	ck_assert_uint_eq(t->owner, 0);
	ck_assert_uint_eq(t->group, 0);
	ck_assert_uint_eq(t->mode, 0660);
	ck_assert_int_eq(t->on_unplug, TBS_UNPLUG_KEEP); /* from [Daemon] */

	t = tbs_policy_find_stream(p, "camera");
	ck_assert_int_eq(t->hopid_mode, TBS_HOPIDS_PEER);
	ck_assert_int_eq(t->on_unplug, TBS_UNPLUG_REMOVE);
	ck_assert_int_eq(t->throttling, 0);
	ck_assert_uint_eq(t->mode, (mode_t)-1);

	t = tbs_policy_find_stream(p, "ctl");
	ck_assert_int_eq(t->hopid_mode, TBS_HOPIDS_FIXED);
	ck_assert_int_eq(t->in_hopid, 8);
	ck_assert_int_eq(t->out_hopid, 9);

	/* rules are kept in name order, UUIDs normalized */
	ck_assert_str_eq(((TbsPeerRule *)p->rules->pdata[0])->id, "lab");
	ck_assert_str_eq(((TbsPeerRule *)p->rules->pdata[1])->uuids[0],
			 "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d");
}
END_TEST

START_TEST(test_no_files_means_deny_everyone)
{
	g_autoptr(TbsPolicy) p = load_ok();
	TbsPeerFacts f = {
		.uuid = "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d", .name = "x", .trusted = true};
	TbsDecision d;

	ck_assert_str_eq(p->subsystems[0], "thunderbolt");
	tbs_policy_decide(p, &f, &d);
	ck_assert(!d.allowed);
	ck_assert_uint_eq(d.streams->len, 0);
	tbs_decision_clear(&d);
}
END_TEST

START_TEST(test_matching_by_uuid_name_and_trust)
{
	th_write(etc, "tbstreamd.conf", good_conf);
	g_autoptr(TbsPolicy) p = load_ok();
	TbsDecision d;

	TbsPeerFacts laptop = {.uuid = "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d", .name = "whatever"};
	tbs_policy_decide(p, &laptop, &d);
	ck_assert(d.allowed);
	ck_assert_str_eq(d.rule, "laptop");
	ck_assert_uint_eq(d.streams->len, 2);
	tbs_decision_clear(&d);

	/* name matches but not trusted: denied */
	TbsPeerFacts lab = {.uuid = "00000000-0000-0000-0000-000000000001", .name = "LAB-7"};
	tbs_policy_decide(p, &lab, &d);
	ck_assert(!d.allowed);
	tbs_decision_clear(&d);

	lab.trusted = true;
	tbs_policy_decide(p, &lab, &d);
	ck_assert(d.allowed);
	ck_assert_str_eq(d.rule, "lab");
	ck_assert_uint_eq(d.streams->len, 2);
	tbs_decision_clear(&d);

	/* no UUID at all: can still match by name */
	TbsPeerFacts nouuid = {.uuid = NULL, .name = "lab-1", .trusted = true};
	tbs_policy_decide(p, &nouuid, &d);
	ck_assert(d.allowed);
	tbs_decision_clear(&d);

	TbsPeerFacts stranger = {.uuid = NULL, .name = NULL, .trusted = true};
	tbs_policy_decide(p, &stranger, &d);
	ck_assert(!d.allowed);
	tbs_decision_clear(&d);
}
END_TEST

START_TEST(test_deny_rule_wins_and_streams_are_a_deduplicated_union)
{
	th_write(etc, "tbstreamd.conf",
		 "[Stream a]\n[Stream b]\n"
		 "[Peer all]\nMatchAny=yes\nStreams=a\n"
		 "[Peer more]\nMatchName=*\nStreams=a;b\n"
		 "[Peer zz-evil]\nMatchName=evil\nAllow=no\n");
	g_autoptr(TbsPolicy) p = load_ok();
	TbsDecision d;

	TbsPeerFacts good = {.name = "good"};
	tbs_policy_decide(p, &good, &d);
	ck_assert(d.allowed);
	ck_assert_uint_eq(d.streams->len, 2);
	tbs_decision_clear(&d);

	TbsPeerFacts evil = {.name = "EVIL"};
	tbs_policy_decide(p, &evil, &d);
	ck_assert(!d.allowed);
	ck_assert_str_eq(d.rule, "zz-evil");
	ck_assert_uint_eq(d.streams->len, 0);
	tbs_decision_clear(&d);
}
END_TEST

/* A FIFO among the drop-ins is an error in that file, not a daemon stuck in open(). */
START_TEST(test_fifo_in_policy_dir_is_refused_without_blocking)
{
	g_autofree char *fifo = g_build_filename(etc, "policy.d", "30-x.conf", NULL);

	th_write(etc, "policy.d/20-ok.conf", "[Stream ok]\n");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	load_fails_with("30-x.conf: Not a regular file");
}
END_TEST

START_TEST(test_etc_overrides_vendor_and_dropins_merge_by_key)
{
	th_write(vendor, "tbstreamd.conf", "[Daemon]\nSubsystems=vendor\n");
	th_write(vendor, "policy.d/10-cam.conf", "[Stream camera]\nRingSize=64\n");
	th_write(vendor, "policy.d/20-masked.conf", "[Bogus]\n");
	th_write(vendor, "policy.d/30-replaced.conf", "[Stream gone]\n");
	th_write(etc, "policy.d/20-masked.conf", "");
	th_write(etc, "policy.d/30-replaced.conf", "[Stream here]\n");
	th_write(etc, "policy.d/40-later.conf", "[Stream camera]\nThrottling=100\nRingSize=128\n");
	th_write(etc, "policy.d/notconf.txt", "garbage");
	{
		g_autoptr(TbsPolicy) p = load_ok();
		ck_assert_str_eq(p->subsystems[0], "vendor");
		const TbsStreamTemplate *cam = tbs_policy_find_stream(p, "camera");
		ck_assert_int_eq(cam->ring_size, 128);
		ck_assert_int_eq(cam->throttling, 100);
		ck_assert_ptr_nonnull(tbs_policy_find_stream(p, "here"));
		ck_assert_ptr_null(tbs_policy_find_stream(p, "gone"));
		ck_assert_uint_eq(p->files->len, 4); /* vendor main, 10, etc 30, 40 */
	}
	th_write(etc, "tbstreamd.conf", "[Daemon]\nSubsystems=etc\n");
	{
		g_autoptr(TbsPolicy) p = load_ok();
		ck_assert_str_eq(p->subsystems[0], "etc");
	}
}
END_TEST

/* Every kind of malformed file, each with the file:line it must be reported at. */
static const struct {
	const char *content;
	const char *needle;
} malformed[] = {
	{"[Daemon]\nthis is not a key\n", "tbstreamd.conf:2: Line is neither"},
	{"[Daemon\n", "tbstreamd.conf:1: Malformed section header"},
	{"[]\n", "tbstreamd.conf:1: Malformed section header"},
	{"Subsystems=x\n[Daemon]\n", "tbstreamd.conf:1: Key \"Subsystems\" outside"},
	{"[Daemon]\n=x\n", "tbstreamd.conf:2: Missing key name"},
	{"[Daemon]\nName[de]=x\n", "tbstreamd.conf:2: Localized keys"},
	{"[Daemon]\n\nFoo=1\n", "tbstreamd.conf:3: Unknown key Foo= in [Daemon]"},
	{"# c\n[Bogus]\n", "tbstreamd.conf:2: Unknown section [Bogus]"},
	{"[Peer]\n", "tbstreamd.conf:1: Unknown section [Peer]"},
	{"[Daemon]\nOnUnplug=sometimes\n", "tbstreamd.conf:2: OnUnplug="},
	{"[Daemon]\nSubsystems=\n", "tbstreamd.conf:2: Subsystems= must name"},
	{"[Daemon]\nSubsystems=a/b\n", "tbstreamd.conf:2: Invalid subsystem"},
	{"[Daemon]\nIdentifyByName=perhaps\n",
	 "tbstreamd.conf:2: IdentifyByName= expects a boolean"},
	{"[Stream x]\nHopIDs=3,9\n", "tbstreamd.conf:2: HopIDs="},
	{"[Stream x]\nHopIDs=fixed\n", "tbstreamd.conf:2: HopIDs="},
	{"[Stream x]\nHopIDs=8,99999\n", "tbstreamd.conf:2: HopIDs="},
	{"[Stream x]\nHopIDs=0x8,9\n", "tbstreamd.conf:2: HopIDs="},
	{"[Stream x]\nHopIDs=+8,9\n", "tbstreamd.conf:2: HopIDs="},
	{"[Stream x]\nRingSize=0x40\n", "tbstreamd.conf:2: RingSize="},
	{"[Stream x]\nRingSize=16\n", "tbstreamd.conf:2: RingSize="},
	{"[Stream x]\nRingSize=5000\n", "tbstreamd.conf:2: RingSize="},
	{"[Stream x]\nRingSize=lots\n", "tbstreamd.conf:2: RingSize="},
	{"[Stream x]\nThrottling=-5\n", "tbstreamd.conf:2: Throttling="},
	{"[Stream x]\nMode=0999\n", "tbstreamd.conf:2: Mode="},
	{"[Stream x]\nMode=rw\n", "tbstreamd.conf:2: Mode="},
	{"[Stream x]\nMode=4660\n", "tbstreamd.conf:2: Mode="},
	{"[Stream x]\nMode=2660\n", "tbstreamd.conf:2: Mode="},
	{"[Stream x]\nMode=1666\n", "tbstreamd.conf:2: Mode="},
	{"[Stream x]\nOwner=no-such-user-tbs\n", "tbstreamd.conf:2: Owner="},
	{"[Stream x]\nGroup=no-such-group-tbs\n", "tbstreamd.conf:2: Group="},
	{"[Stream toolongname]\n", "tbstreamd.conf:1: Invalid stream name"},
	{"[Stream a.b]\n", "tbstreamd.conf:1: Invalid stream name"},
	{"[Stream ..]\n", "tbstreamd.conf:1: Invalid stream name"},
	{"[Peer p]\nMatchAny=yes\nStreams=nope\n", "tbstreamd.conf:3: Streams= names \"nope\""},
	{"[Peer p]\nAllow=yes\n", "tbstreamd.conf:1: [Peer p] has no Match"},
	{"[Peer p]\nMatchUUID=not-a-uuid\n", "tbstreamd.conf:2: Invalid UUID"},
	{"[Peer p]\nMatchAny=maybe\n", "tbstreamd.conf:2: MatchAny= expects a boolean"},
	{"[Daemon]\nSubsystems=\xff\xfe\n", "tbstreamd.conf:2: Line is not valid UTF-8"},
};

START_TEST(test_malformed_policy_is_reported_with_file_and_line)
{
	th_write(etc, "tbstreamd.conf", malformed[_i].content);
	load_fails_with(malformed[_i].needle);
}
END_TEST

START_TEST(test_nul_bytes_and_huge_files_are_refused)
{
	g_autofree char *path = g_build_filename(etc, "tbstreamd.conf", NULL);
	g_autofree char *huge = g_strnfill(70000, '#');

	ck_assert(g_file_set_contents(path, "[Daemon]\n\0x=1\n", 14, NULL));
	load_fails_with("tbstreamd.conf: File contains a NUL byte");
	g_ptr_array_set_size(errors, 0);
	th_write(etc, "tbstreamd.conf", huge);
	load_fails_with("tbstreamd.conf: File is larger than");
}
END_TEST

START_TEST(test_errors_in_dropins_name_the_dropin)
{
	th_write(etc, "tbstreamd.conf", "[Daemon]\n");
	th_write(etc, "policy.d/50-bad.conf", "[Stream ok]\n\n\nRingSize=1\n");
	load_fails_with("policy.d/50-bad.conf:4: RingSize=");
}
END_TEST

START_TEST(test_all_errors_are_reported_not_just_the_first)
{
	th_write(etc, "tbstreamd.conf", "[Daemon]\nFoo=1\nBar=2\n[Stream x]\nRingSize=1\n");
	load_fails_with("tbstreamd.conf:2: Unknown key Foo=");
	ck_assert(th_any_contains(errors, "tbstreamd.conf:3: Unknown key Bar="));
	ck_assert(th_any_contains(errors, "tbstreamd.conf:5: RingSize="));
}
END_TEST

START_TEST(test_bad_section_name_is_one_error_not_one_per_key)
{
	th_write(etc, "tbstreamd.conf", "[Stream a.b]\nRingSize=64\nMode=0600\n");
	load_fails_with("tbstreamd.conf:1: Invalid stream name \"a.b\"");
	ck_assert_uint_eq(errors->len, 1);
}
END_TEST

/* Mutated policies: never a crash, and a failed load always says why. */
START_TEST(test_mutated_policies_fail_cleanly_or_load)
{
	GRand *rnd = g_rand_new_with_seed(4242);
	size_t n = strlen(good_conf);

	for (int iter = 0; iter < 300; iter++) {
		g_autofree char *buf = g_strdup(good_conf);
		TbsPolicy *p = NULL;
		int r;

		for (int k = g_rand_int_range(rnd, 1, 6); k > 0; k--)
			buf[g_rand_int_range(rnd, 0, (gint32)n)] =
				(char)g_rand_int_range(rnd, 1, 256);
		th_write(etc, "tbstreamd.conf", buf);
		g_ptr_array_set_size(errors, 0);
		r = tbs_policy_load(etc, vendor, &p, errors);
		if (r == 0) {
			ck_assert_ptr_nonnull(p);
			tbs_policy_free(p);
		} else {
			ck_assert_int_eq(r, -EINVAL);
			ck_assert_uint_gt(errors->len, 0);
		}
	}
	g_rand_free(rnd);
}
END_TEST

START_TEST(test_value_parsers)
{
	TbsHopIdMode mode;
	int in, out;
	mode_t m;
	TbsUnplugAction a;

	ck_assert_int_eq(tbs_policy_parse_hopids("peer", &mode, &in, &out), 0);
	ck_assert_int_eq(mode, TBS_HOPIDS_PEER);
	ck_assert_int_eq(tbs_policy_parse_hopids("8,2047", &mode, &in, &out), 0);
	ck_assert_int_eq(out, 2047);
	ck_assert_int_lt(tbs_policy_parse_hopids("8,", &mode, &in, &out), 0);
	ck_assert_int_lt(tbs_policy_parse_hopids(",8", &mode, &in, &out), 0);
	ck_assert_int_eq(tbs_policy_parse_mode("0600", &m), 0);
	ck_assert_uint_eq(m, 0600);
	ck_assert_int_lt(tbs_policy_parse_mode("", &m), 0);
	ck_assert_int_lt(tbs_policy_parse_mode("17777", &m), 0);
	ck_assert_int_eq(tbs_policy_parse_unplug("keep", &a), 0);
	ck_assert_int_eq(a, TBS_UNPLUG_KEEP);
	ck_assert_int_lt(tbs_policy_parse_unplug("Keep", &a), 0);
}
END_TEST

/* docs/examples/ and the vendor default must stay valid and mean what they say */
static TbsPolicy *load_example(const char *name)
{
	g_autofree char *src = g_build_filename(TBS_SOURCE_DIR, name, NULL);
	g_autofree char *content = NULL;
	ck_assert_msg(g_file_get_contents(src, &content, NULL, NULL), "cannot read %s", src);
	th_write(etc, "tbstreamd.conf", content);
	return load_ok();
}

static bool allowed(const TbsPolicy *p, const char *uuid, const char *name, bool trusted,
		    const char *stream)
{
	TbsPeerFacts f = {.uuid = uuid, .name = name, .trusted = trusted};
	TbsDecision d;
	bool ok;

	tbs_policy_decide(p, &f, &d);
	ok = d.allowed;
	if (ok && stream)
		ok = d.streams->len == 1 &&
		     strcmp(((const TbsStreamTemplate *)d.streams->pdata[0])->name, stream) == 0;
	tbs_decision_clear(&d);
	return ok;
}

#define ALICE "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d"
#define OTHER "00000000-0000-0000-0000-000000000009"

START_TEST(test_documented_examples_load_and_decide_as_described)
{
	{
		g_autoptr(TbsPolicy) p = load_example("docs/examples/backup-receiver.conf");
		const TbsStreamTemplate *t = tbs_policy_find_stream(p, "backup");
		ck_assert(allowed(p, ALICE, "host1", false, "backup"));
		ck_assert(!allowed(p, OTHER, "host1", true, NULL));
		ck_assert_int_eq(t->on_unplug, TBS_UNPLUG_KEEP);
		ck_assert_uint_eq(t->group, 6); /* Debian's disk */
		ck_assert_uint_eq(t->mode, 0660);
	}
	{
		g_autoptr(TbsPolicy) p = load_example("docs/examples/backup-sender.conf");
		ck_assert(allowed(p, OTHER, "host2", false, "backup"));
		ck_assert(!allowed(p, OTHER, "host3", false, NULL));
		ck_assert_int_eq(tbs_policy_find_stream(p, "backup")->hopid_mode, TBS_HOPIDS_PEER);
	}
	{
		g_autoptr(TbsPolicy) p = load_example("docs/examples/camera.conf");
		ck_assert(!allowed(p, OTHER, "laptop", false, NULL));
		ck_assert(allowed(p, OTHER, "laptop", true, "camera"));
		ck_assert_uint_eq(tbs_policy_find_stream(p, "camera")->mode, 0640);
	}
	{
		g_autoptr(TbsPolicy) p = load_example("docs/examples/one-laptop.conf");
		ck_assert(allowed(p, ALICE, "anything", false, "data"));
		ck_assert(!allowed(p, OTHER, "alices-laptop", true, NULL));
		ck_assert(!allowed(p, NULL, NULL, true, NULL));
		ck_assert_uint_eq(tbs_policy_find_stream(p, "data")->owner, 1000);
	}
}
END_TEST

START_TEST(test_vendor_default_denies_everyone)
{
	g_autofree char *src =
		g_build_filename(TBS_SOURCE_DIR, "tbstreamd/vendor/tbstreamd.conf", NULL);
	g_autofree char *content = NULL;
	ck_assert(g_file_get_contents(src, &content, NULL, NULL));
	th_write(vendor, "tbstreamd.conf", content);
	g_autoptr(TbsPolicy) p = load_ok();
	ck_assert_uint_eq(p->files->len, 1);
	ck_assert_uint_eq(p->rules->len, 0);
	ck_assert_str_eq(p->subsystems[0], "thunderbolt");
	ck_assert(!allowed(p, ALICE, "laptop", true, NULL));
}
END_TEST

/* The shipped rule that honours enrollment, and an administrator's deny beside it. */
START_TEST(test_vendor_enrollment_rule_and_admin_override)
{
	g_autofree char *src = g_build_filename(TBS_SOURCE_DIR,
						"tbstreamd/vendor/policy.d/50-enrolled.conf", NULL);
	g_autofree char *content = NULL;
	TbsPeerFacts enrolled = {
		.uuid = ALICE, .name = "laptop", .trusted = true, .enrolled = true};
	TbsPeerFacts stranger = {.uuid = ALICE, .name = "laptop", .trusted = true};
	TbsDecision d;

	ck_assert(g_file_get_contents(src, &content, NULL, NULL));
	th_write(vendor, "policy.d/50-enrolled.conf", content);
	{
		g_autoptr(TbsPolicy) p = load_ok();
		tbs_policy_decide(p, &enrolled, &d);
		ck_assert(d.allowed);
		ck_assert_str_eq(d.rule, "enrolled");
		tbs_decision_clear(&d);
		/* trusted but not enrolled: still denied by default */
		tbs_policy_decide(p, &stranger, &d);
		ck_assert(!d.allowed);
		tbs_decision_clear(&d);
	}
	th_write(etc, "policy.d/60-lab.conf", "[Peer lab]\nMatchUUID=" ALICE "\nAllow=no\n");
	{
		g_autoptr(TbsPolicy) p = load_ok();
		tbs_policy_decide(p, &enrolled, &d);
		ck_assert(!d.allowed);
		ck_assert_str_eq(d.rule, "lab");
		tbs_decision_clear(&d);
	}
}
END_TEST

START_TEST(test_errors_carry_codes)
{
	g_autoptr(GPtrArray) details =
		g_ptr_array_new_with_free_func((GDestroyNotify)tbs_policy_error_free);
	TbsPolicy *p = NULL;
	static const char *const want[][2] = {
		{"unknown-key", "2"},	  {"invalid-value", "3"}, {"unknown-section", "4"},
		{"incomplete-rule", "5"}, {"syntax", "1"},
	};

	th_write(etc, "tbstreamd.conf",
		 "[Daemon]\nColour=blue\nOnUnplug=later\n[Gadget]\n[Peer x]\nAllow=yes\n");
	/* a file with a syntax error is not read further: its own drop-in */
	th_write(etc, "policy.d/10-broken.conf", "garbage\n");
	ck_assert_int_eq(tbs_policy_load_full(etc, vendor, &p, errors, details), -EINVAL);
	ck_assert_uint_eq(details->len, errors->len);
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		bool found = false;
		for (unsigned k = 0; k < details->len; k++) {
			const TbsPolicyError *e = details->pdata[k];
			g_autofree char *line = g_strdup_printf("%u", e->line);
			ck_assert(*e->file && *e->message);
			found |= strcmp(e->code, want[i][0]) == 0 && strcmp(line, want[i][1]) == 0;
		}
		ck_assert_msg(found, "no %s error at line %s", want[i][0], want[i][1]);
	}
}
END_TEST

/* Errors come from a hash table of sections: the report must not follow its order. */
START_TEST(test_errors_are_sorted_by_file_then_line)
{
	g_autoptr(GPtrArray) details =
		g_ptr_array_new_with_free_func((GDestroyNotify)tbs_policy_error_free);
	g_autoptr(GString) conf = g_string_new(NULL);
	TbsPolicy *p = NULL;

	for (int i = 0; i < 30; i++)
		g_string_append_printf(conf, "[Stream s%d]\nRingSize=%d\n", i, i);
	th_write(etc, "tbstreamd.conf", conf->str);
	th_write(etc, "policy.d/20-b.conf", "[Peer b]\nBogus=1\n[Gadget]\n[Peer c]\nAllow=no\n");
	th_write(vendor, "policy.d/10-a.conf", "[Widget]\n[Daemon]\nOnUnplug=later\n");
	ck_assert_int_eq(tbs_policy_load_full(etc, vendor, &p, errors, details), -EINVAL);
	ck_assert_uint_eq(errors->len, 30 + 4 + 2);
	ck_assert_uint_eq(details->len, errors->len);
	for (unsigned i = 0; i < details->len; i++) {
		const TbsPolicyError *e = details->pdata[i];
		g_autofree char *s = tbs_policy_error_format(e);

		/* the strings and the details are the same list in the same order */
		ck_assert_str_eq(s, errors->pdata[i]);
		if (i == 0)
			continue;
		const TbsPolicyError *prev = details->pdata[i - 1];
		int c = strcmp(prev->file, e->file);
		ck_assert_msg(c < 0 || (c == 0 && prev->line <= e->line), "not sorted:\n%s\n%s",
			      (char *)errors->pdata[i - 1], (char *)errors->pdata[i]);
	}
	/* etc's tbstreamd.conf: its 30 errors together, line 2, 4, ... 60 */
	unsigned k = 0;
	while (k < details->len &&
	       !g_str_has_suffix(((TbsPolicyError *)details->pdata[k])->file, "tbstreamd.conf"))
		k++;
	for (unsigned i = 0; i < 30; i++, k++) {
		ck_assert_uint_lt(k, details->len);
		ck_assert_uint_eq(((TbsPolicyError *)details->pdata[k])->line, 2 * i + 2);
	}
}
END_TEST

/* A search path of three: the first directory to have a name wins it, or masks it. */
START_TEST(test_search_path_first_directory_wins_or_masks)
{
	g_autofree char *run = th_mkdtemp();
	const char *dirs[] = {run, etc, vendor, NULL};
	g_autoptr(GPtrArray) details =
		g_ptr_array_new_with_free_func((GDestroyNotify)tbs_policy_error_free);
	g_autoptr(GPtrArray) files = NULL;
	g_autofree char *masked = g_build_filename(run, "policy.d", "30-m.conf", NULL);
	TbsPolicy *p = NULL;

	th_write(vendor, "tbstreamd.conf", "[Daemon]\nSubsystems=vendor\n");
	th_write(etc, "tbstreamd.conf", "[Daemon]\nSubsystems=etc\n");
	th_write(vendor, "policy.d/10-a.conf", "[Stream a]\nRingSize=64\n");
	th_write(etc, "policy.d/10-a.conf", "[Stream a]\nRingSize=128\n");
	th_write(run, "policy.d/10-a.conf", "[Stream a]\nRingSize=256\n");
	th_write(vendor, "policy.d/30-m.conf", "[Bogus]\n");
	th_write(etc, "policy.d/20-e.conf", "[Stream e]\n");
	ck_assert_int_eq(symlink("/dev/null", masked), 0);

	files = tbs_policy_files(dirs, details);
	ck_assert_uint_eq(details->len, 0);
	ck_assert_uint_eq(files->len, 4);
	const TbsPolicyFile *f0 = files->pdata[0], *f1 = files->pdata[1], *f2 = files->pdata[2],
			    *f3 = files->pdata[3];
	ck_assert_str_eq(f0->name, "tbstreamd.conf");
	ck_assert(g_str_has_prefix(f0->path, etc));
	ck_assert_uint_eq(f0->overridden->len, 1);
	ck_assert_str_eq(f1->name, "policy.d/10-a.conf");
	ck_assert(g_str_has_prefix(f1->path, run));
	ck_assert_uint_eq(f1->overridden->len, 2);
	ck_assert(g_str_has_prefix(f1->overridden->pdata[0], etc));
	ck_assert(g_str_has_prefix(f1->overridden->pdata[1], vendor));
	ck_assert_str_eq(f2->name, "policy.d/20-e.conf");
	ck_assert(!f2->masked);
	ck_assert_str_eq(f3->name, "policy.d/30-m.conf");
	ck_assert(f3->masked);

	ck_assert_int_eq(tbs_policy_load_dirs(dirs, &p, errors, NULL), 0);
	ck_assert_str_eq(p->subsystems[0], "etc");
	ck_assert_int_eq(tbs_policy_find_stream(p, "a")->ring_size, 256);
	ck_assert_ptr_nonnull(tbs_policy_find_stream(p, "e"));
	ck_assert_uint_eq(p->files->len, 3);
	tbs_policy_free(p);
	th_rm_rf(run);
}
END_TEST

static char *run_tool(int (*tool)(const char *const *, bool, FILE *, FILE *), bool given,
		      int *status, char **err)
{
	const char *dirs[] = {etc, vendor, NULL};
	char *out = NULL, *e = NULL;
	size_t n_out = 0, n_err = 0;
	FILE *fo = open_memstream(&out, &n_out), *fe = open_memstream(&e, &n_err);

	ck_assert(fo && fe);
	*status = tool(dirs, given, fo, fe);
	fclose(fo);
	fclose(fe);
	*err = e;
	return out;
}

START_TEST(test_check_reports_sorted_errors_and_exit_status)
{
	g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL,
			*err3 = NULL;
	int status;

	th_write(etc, "tbstreamd.conf", "[Stream x]\nRingSize=1\n[Stream y]\nMode=9\n");
	out = run_tool(tbs_policy_check, false, &status, &err);
	ck_assert_int_eq(status, 1);
	g_autofree char *want = g_strdup_printf(
		"%s/tbstreamd.conf:2: RingSize= expects 32..4096, got \"1\"\n"
		"%s/tbstreamd.conf:4: Mode= expects octal permission bits (0..0777, no set-id or "
		"sticky bit), got \"9\"\n",
		etc, etc);
	ck_assert_str_eq(err, want);
	ck_assert_str_eq(out, "Policy has 2 error(s); tbstreamd would not use it.\n");

	th_write(etc, "tbstreamd.conf", "[Stream x]\n[Peer p]\nMatchAny=yes\nStreams=x\n");
	out2 = run_tool(tbs_policy_check, false, &status, &err2);
	ck_assert_int_eq(status, 0);
	ck_assert_str_eq(err2, "");
	ck_assert_str_eq(out2,
			 "Policy is valid: 1 rule(s), 1 stream template(s) from 1 file(s).\n");

	/* named directories must hold a policy: policy.d itself is a mistake */
	th_rm_rf(vendor);
	ck_assert_int_eq(g_mkdir(vendor, 0755), 0);
	out3 = run_tool(tbs_policy_check, true, &status, &err3);
	ck_assert_int_eq(status, 1);
	ck_assert_msg(strstr(err3, "holds neither tbstreamd.conf nor policy.d/"), "%s", err3);
}
END_TEST

START_TEST(test_cat_shows_files_in_order_with_their_paths)
{
	g_autofree char *out = NULL, *err = NULL;
	g_autofree char *masked = g_build_filename(etc, "policy.d", "30-m.conf", NULL);
	int status;

	th_write(vendor, "tbstreamd.conf", "[Daemon]\nOnUnplug=keep");
	th_write(vendor, "policy.d/10-a.conf", "[Stream a]\n");
	th_write(etc, "policy.d/10-a.conf", "[Stream a]\nRingSize=64\n");
	th_write(vendor, "policy.d/30-m.conf", "[Stream m]\n");
	th_write(etc, "policy.d/20-b.conf",
		 "[Stream b]\n# later files win\n[Daemon]\n OnUnplug = remove\n");
	ck_assert_int_eq(symlink("/dev/null", masked), 0);
	out = run_tool(tbs_policy_cat, false, &status, &err);
	ck_assert_int_eq(status, 0);
	ck_assert_str_eq(err, "");
	g_autofree char *want = g_strdup_printf(
		"# %1$s/tbstreamd.conf\n[Daemon]\nOnUnplug=keep\n"
		"# (overridden by %2$s/policy.d/20-b.conf:4)\n\n"
		"# %2$s/policy.d/10-a.conf\n# (replaces %1$s/policy.d/10-a.conf, which is not "
		"used)\n[Stream a]\nRingSize=64\n\n"
		"# %2$s/policy.d/20-b.conf\n[Stream b]\n# later files win\n[Daemon]\n"
		" OnUnplug = remove\n\n"
		"# %2$s/policy.d/30-m.conf: masked (a link to /dev/null or empty)\n"
		"# (so %1$s/policy.d/30-m.conf is not used)\n",
		vendor, etc);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(test_cat_reports_an_unreadable_file_without_blocking)
{
	g_autofree char *out = NULL, *err = NULL;
	g_autofree char *fifo = g_build_filename(etc, "policy.d", "40-f.conf", NULL);
	int status;

	th_write(etc, "policy.d/10-a.conf", "[Stream a]\n");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	out = run_tool(tbs_policy_cat, false, &status, &err);
	ck_assert_int_eq(status, 1);
	g_autofree char *want_err = g_strdup_printf("%s: cannot read: not a regular file\n", fifo);
	ck_assert_str_eq(err, want_err);
	g_autofree char *want = g_strdup_printf(
		"# %1$s/policy.d/10-a.conf\n[Stream a]\n\n# %1$s/policy.d/40-f.conf\n"
		"# (cannot be read)\n",
		etc);
	ck_assert_str_eq(out, want);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_good_policy_parses_every_setting);
	tcase_add_test(tc, test_no_files_means_deny_everyone);
	tcase_add_test(tc, test_matching_by_uuid_name_and_trust);
	tcase_add_test(tc, test_deny_rule_wins_and_streams_are_a_deduplicated_union);
	tcase_add_test(tc, test_etc_overrides_vendor_and_dropins_merge_by_key);
	tcase_add_test(tc, test_fifo_in_policy_dir_is_refused_without_blocking);
	tcase_add_loop_test(tc, test_malformed_policy_is_reported_with_file_and_line, 0,
			    G_N_ELEMENTS(malformed));
	tcase_add_test(tc, test_nul_bytes_and_huge_files_are_refused);
	tcase_add_test(tc, test_errors_in_dropins_name_the_dropin);
	tcase_add_test(tc, test_all_errors_are_reported_not_just_the_first);
	tcase_add_test(tc, test_bad_section_name_is_one_error_not_one_per_key);
	tcase_add_test(tc, test_value_parsers);
	tcase_add_test(tc, test_mutated_policies_fail_cleanly_or_load);
	tcase_add_test(tc, test_documented_examples_load_and_decide_as_described);
	tcase_add_test(tc, test_vendor_default_denies_everyone);
	tcase_add_test(tc, test_vendor_enrollment_rule_and_admin_override);
	tcase_add_test(tc, test_errors_carry_codes);
	tcase_add_test(tc, test_errors_are_sorted_by_file_then_line);
	tcase_add_test(tc, test_search_path_first_directory_wins_or_masks);
	tcase_add_test(tc, test_check_reports_sorted_errors_and_exit_status);
	tcase_add_test(tc, test_cat_shows_files_in_order_with_their_paths);
	tcase_add_test(tc, test_cat_reports_an_unreadable_file_without_blocking);
	suite_add_tcase(s, tc);
	return s;
}

TH_RUN_SUITE(policy_suite)
