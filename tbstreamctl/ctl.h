/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#ifndef _cleanup_
#define _cleanup_(f) __attribute__((cleanup(f)))
#endif

static inline void freep(void *p)
{
	free(*(void **)p);
}

/*
 * tbstreamctl's shared state: the parsed command line, the bus connection and
 * the exit codes scripts can rely on (documented in tbstreamctl(1)).
 */

#define TBS_BUS_NAME "io.github.tbstream1"
#define TBS_BUS_PATH "/io/github/tbstream1"
#define TBS_IFACE_MANAGER "io.github.tbstream1.Manager"
#define TBS_IFACE_PEER "io.github.tbstream1.Peer"
#define TBS_IFACE_STREAM "io.github.tbstream1.Stream"

enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILURE = 1,
	CTL_EXIT_USAGE = 2,	/* bad command line, or arguments the daemon refused as invalid */
	CTL_EXIT_NOT_FOUND = 3, /* no such peer or stream */
	CTL_EXIT_DENIED = 4,	/* polkit said no, or wanted a password we may not ask for */
	CTL_EXIT_NO_DAEMON = 5, /* no system bus, or tbstreamd is not on it */
};

typedef enum JsonMode {
	JSON_OFF,
	JSON_SHORT,
	JSON_PRETTY,
} JsonMode;

typedef struct Ctl {
	/* global options */
	JsonMode json;
	bool ask_password;
	bool show_uuid;
	bool quiet;
	bool legend; /* headers, footers and "none" lines; off with --no-legend */
	/* request */
	int64_t in_hopid, out_hopid; /* -1: not given */
	int64_t ring_size, throttling;
	const char *on_unplug;
	bool persistent; /* request, enroll */
	/* enroll: --stream names (argv's strings), NULL-terminated, NULL if none */
	char **streams;
	/* enroll: the device nodes' uid, gid and permission bits; -1: not given */
	int64_t owner, group, mode;
	/* open */
	bool read, write;
	/* monitor */
	uint64_t interval_usec;

	sd_bus *bus;
	pid_t agent_pid;
} Ctl;

/*
 * Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS, if set). Returns 0 or an
 * exit code, having printed why.
 */
int ctl_connect(Ctl *c);
/* Starts the polkit text agent if allowed (see polkit-agent.h) before a call that may need it. */
void ctl_agent_open(Ctl *c);
void ctl_agent_close(Ctl *c);

/*
 * Prints "tbstreamctl: <what>: <reason>" for a failed call (error filled, or
 * r < 0 only) and returns the exit code for it.
 */
int ctl_fail(const char *what, const sd_bus_error *error, int r);
/* The exit code for a failed call. */
int ctl_exit_code(const sd_bus_error *error, int r);

/* Verbs: argv[0] is the verb; they return an exit code. */
int verb_list(Ctl *c, int argc, char **argv);
int verb_info(Ctl *c, int argc, char **argv);
int verb_request(Ctl *c, int argc, char **argv);
int verb_remove(Ctl *c, int argc, char **argv);
int verb_open(Ctl *c, int argc, char **argv);
int verb_monitor(Ctl *c, int argc, char **argv);
int verb_trust(Ctl *c, int argc, char **argv);
int verb_label(Ctl *c, int argc, char **argv);
int verb_reload(Ctl *c, int argc, char **argv);
int verb_enroll(Ctl *c, int argc, char **argv);
int verb_revoke(Ctl *c, int argc, char **argv);
int verb_forget(Ctl *c, int argc, char **argv);
int verb_check_policy(Ctl *c, int argc, char **argv);
int verb_cat_policy(Ctl *c, int argc, char **argv);
int verb_controllers(Ctl *c, int argc, char **argv);
int verb_status(Ctl *c, int argc, char **argv);
int verb_help(Ctl *c, int argc, char **argv);
