/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <glib.h>

#include "util.h"

/*
 * The policy: which peers get streams, which streams, and who may open them.
 * Loaded from GLib key files the systemd way (see tbstreamd.conf(5)); a policy
 * object is immutable once loaded, so a reload builds a new one and swaps it in
 * only if it loaded without a single error.
 */

typedef enum TbsHopIdMode {
	TBS_HOPIDS_AUTO,  /* write -1: the kernel allocates */
	TBS_HOPIDS_PEER,  /* write nothing: the kernel takes them from the peer's announcement */
	TBS_HOPIDS_FIXED, /* write in_hopid/out_hopid as given */
} TbsHopIdMode;

typedef enum TbsUnplugAction {
	TBS_UNPLUG_REMOVE, /* remove the stream (and the group if it is empty and ours) */
	TBS_UNPLUG_KEEP,   /* keep it: the stream comes back on re-plug at the same port */
} TbsUnplugAction;

typedef struct TbsStreamTemplate {
	char name[TBS_STREAM_NAME_MAX + 1];
	TbsHopIdMode hopid_mode;
	int in_hopid, out_hopid; /* TBS_HOPIDS_FIXED only */
	int ring_size;		 /* 0: kernel default */
	int throttling;		 /* -1: kernel default */
	uid_t owner;		 /* (uid_t)-1: leave as created */
	gid_t group;		 /* (gid_t)-1: leave as created */
	mode_t mode;		 /* (mode_t)-1: leave as created */
	TbsUnplugAction on_unplug;
} TbsStreamTemplate;

typedef struct TbsPeerRule {
	char *id; /* from "[Peer <id>]" */
	char **uuids;
	char **names; /* fnmatch(3) patterns, case-insensitive like hostnames */
	bool match_trusted;
	bool match_enrolled; /* the user enrolled the peer (D-Bus Peer.Enroll) */
	bool match_any;
	bool allow;
	char **streams;
	char *file;
	unsigned line;
} TbsPeerRule;

typedef struct TbsPolicy {
	char **subsystems;
	bool identify_by_name;
	TbsUnplugAction on_unplug;
	GPtrArray *rules;   /* TbsPeerRule*, in section name order */
	GPtrArray *streams; /* TbsStreamTemplate* */
	GPtrArray *files;   /* char*, the files the policy came from, in load order */
} TbsPolicy;

/* The built-in policy: deny every peer, watch "thunderbolt". */
TbsPolicy *tbs_policy_new_default(void);
void tbs_policy_free(TbsPolicy *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbsPolicy, tbs_policy_free)

/*
 * Load <config_dir>/tbstreamd.conf (else <vendor_dir>/tbstreamd.conf) and then
 * policy.d/\*.conf from both directories, sorted by file name, a file in
 * config_dir replacing (or, if empty or a link to /dev/null, masking) the
 * vendor file of the same name. Later files override single keys of earlier ones.
 * Every problem is appended to errors (if non-NULL) as "file:line: message",
 * sorted by file name and line; returns -EINVAL if there was any, and then
 * *ret is left untouched.
 */
int tbs_policy_load(const char *config_dir, const char *vendor_dir, TbsPolicy **ret,
		    GPtrArray *errors);

/* Stable codes of policy errors, for programs (D-Bus PolicyErrorList); see docs/dbus-api.md. */
#define TBS_POLICY_ERROR_UNREADABLE "unreadable"
#define TBS_POLICY_ERROR_SYNTAX "syntax"
#define TBS_POLICY_ERROR_UNKNOWN_SECTION "unknown-section"
#define TBS_POLICY_ERROR_UNKNOWN_KEY "unknown-key"
#define TBS_POLICY_ERROR_INVALID_VALUE "invalid-value"
#define TBS_POLICY_ERROR_UNKNOWN_USER "unknown-user"
#define TBS_POLICY_ERROR_UNKNOWN_GROUP "unknown-group"
#define TBS_POLICY_ERROR_INCOMPLETE_RULE "incomplete-rule"
#define TBS_POLICY_ERROR_TOO_MANY "too-many"

typedef struct TbsPolicyError {
	char *code; /* TBS_POLICY_ERROR_* */
	char *file;
	unsigned line; /* 0: the whole file */
	char *message;
} TbsPolicyError;

void tbs_policy_error_free(TbsPolicyError *e);

/* As tbs_policy_load, and also every error as a TbsPolicyError* appended to details. */
int tbs_policy_load_full(const char *config_dir, const char *vendor_dir, TbsPolicy **ret,
			 GPtrArray *errors, GPtrArray *details);
/*
 * The same over a search path: dirs (NULL-terminated) from the highest
 * precedence to the lowest, e.g. {"/etc/tbstreamd", "/usr/lib/tbstreamd", NULL}.
 */
int tbs_policy_load_dirs(const char *const *dirs, TbsPolicy **ret, GPtrArray *errors,
			 GPtrArray *details);

/* "file:line: message", or "file: message" for an error about the whole file. */
char *tbs_policy_error_format(const TbsPolicyError *e);
/* By file name, then line; errors of one line keep their order. */
void tbs_policy_errors_sort(GPtrArray *details);

/* policy-files.c: the files of a search path, in the order they apply. */
typedef struct TbsPolicyFile {
	char *name;	       /* "tbstreamd.conf" or "policy.d/NAME.conf" */
	char *path;	       /* the file of that name in the first directory that has one */
	bool masked;	       /* path is empty or a link to /dev/null: none of them applies */
	GPtrArray *overridden; /* char*, the same name further down the path, not used */
} TbsPolicyFile;

/*
 * tbstreamd.conf first, then the drop-ins sorted by name. Problems with the
 * directories themselves (unreadable, too many drop-ins) are appended to
 * details as TbsPolicyError*.
 */
GPtrArray *tbs_policy_files(const char *const *dirs, GPtrArray *details);

/*
 * tbstreamd --check-policy: errors to err as "file:line: message" (sorted),
 * a summary to out; returns the exit status (0 clean, 1 errors). dirs_given:
 * the directories were named by the user, so one without any policy in it
 * is an error (a typo, or policy.d itself) instead of an empty policy.
 */
int tbs_policy_check(const char *const *dirs, bool dirs_given, FILE *out, FILE *err);
/*
 * tbstreamd --cat-policy: every file in the order it applies, each under a
 * "# PATH" line, masked and replaced files said so; returns the exit status.
 */
int tbs_policy_cat(const char *const *dirs, bool dirs_given, FILE *out, FILE *err);

typedef struct TbsPeerFacts {
	const char *uuid; /* normalized, may be NULL if the peer had none */
	const char *name; /* sanitized device_name, may be NULL */
	bool trusted;
	bool enrolled;
} TbsPeerFacts;

typedef struct TbsDecision {
	bool allowed;
	const char *rule;   /* id of the first allowing rule, or the denying one */
	GPtrArray *streams; /* const TbsStreamTemplate*, owned by the policy */
} TbsDecision;

/*
 * Default deny: a peer is allowed if at least one matching rule allows it and no
 * matching rule denies it; it gets the union of the allowing rules' streams.
 */
void tbs_policy_decide(const TbsPolicy *p, const TbsPeerFacts *facts, TbsDecision *ret);
void tbs_decision_clear(TbsDecision *d);
bool tbs_policy_rule_matches(const TbsPeerRule *rule, const TbsPeerFacts *facts);
const TbsStreamTemplate *tbs_policy_find_stream(const TbsPolicy *p, const char *name);

/* Pure value parsers, exposed for the unit tests. */
int tbs_policy_parse_hopids(const char *s, TbsHopIdMode *mode, int *in, int *out);
int tbs_policy_parse_unplug(const char *s, TbsUnplugAction *ret);
int tbs_policy_parse_mode(const char *s, mode_t *ret);
