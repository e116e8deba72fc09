/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "bus.h"
#include "world.h"

/*
 * A private system bus (dbus-daemon with the shipped dbus/ policy plus
 * test-only holes), optionally python3-dbusmock's polkitd, and tbstreamd's bus
 * layer on a test World, everything on the World's event loop. The bus and the
 * mock are per process (start them once, e.g. in an unchecked fixture); the
 * World and the daemon are per test.
 */

typedef struct BusEnv {
	char *dir;
	char *address;
	GPid dbus_pid;
	GPid polkit_pid; /* 0: no polkit on this bus */
} BusEnv;

void bus_env_start(BusEnv *e, bool with_polkit);
void bus_env_stop(BusEnv *e);

/* polkit mock control (synchronous; the mock does not depend on the daemon) */
void bus_env_polkit_allow(BusEnv *e, const char *const *actions); /* NULL: none */
void bus_env_polkit_allow_all(BusEnv *e, bool all);
void bus_env_polkit_hang(BusEnv *e, const char *const *actions);
void bus_env_polkit_release(BusEnv *e);
bool bus_env_polkit_has_hanging(BusEnv *e);
void bus_env_polkit_reset(BusEnv *e);
/*
 * From now on every CheckAuthorization fails with that D-Bus error, as a
 * polkitd that is there but broken would: for the whole life of e (reset
 * does not undo it), so give such tests a BusEnv of their own.
 */
void bus_env_polkit_fail(BusEnv *e, const char *error_name, const char *message);

typedef struct BusWorld {
	World w;
	BusEnv *env;
	TbsBus *bus;
} BusWorld;

/* world_init + the daemon's bus layer (not started: add peers/policy, then bus_world_start) */
void bus_world_init(BusWorld *bw, BusEnv *env);
void bus_world_start(BusWorld *bw);
/* tbs_bus_start(b) and run the loop until the bus answered: 0 or the error. */
int bus_world_start_bus(BusWorld *bw, TbsBus *b);
void bus_world_destroy(BusWorld *bw);
/* Stop the daemon (bus layer and manager) as a restart would; the world stays. */
void bus_world_stop(BusWorld *bw);

/* A client connection on the World's loop. */
sd_bus *bus_world_client(BusWorld *bw);
/* The same as another user, as the bus daemon sees it (needs root when uid is not ours). */
sd_bus *bus_world_client_as(BusWorld *bw, uid_t uid);
/*
 * Send m and run the loop until its reply (or timeout_ms). Returns 0 and *reply,
 * or the error's errno with error filled.
 */
int bus_world_call(BusWorld *bw, sd_bus_message *m, unsigned timeout_ms, sd_bus_message **reply,
		   sd_bus_error *error);
/* New method call to the daemon. */
sd_bus_message *bus_world_method(sd_bus *c, const char *path, const char *iface,
				 const char *member);

/*
 * Run busctl with the private bus as system bus, pumping the loop meanwhile.
 * argv without "busctl"; returns its exit status, stdout and stderr in out and err.
 */
int bus_world_busctl(BusWorld *bw, const char *const *argv, char **out, char **err);
/* The same as another user (needs root when uid is not ours). */
int bus_world_busctl_as(BusWorld *bw, uid_t uid, const char *const *argv, char **out, char **err);

/*
 * Any program (argv[0], searched in PATH) with the private bus as system bus,
 * stdin from /dev/null, stdout and stderr to files. Start it, look at what it
 * has written so far, and wait for it while the loop runs (the daemon serves it).
 */
typedef struct BusTool {
	GPid pid;
	char *out_path, *err_path;
	int status; /* exit status, or 128 + signal */
	bool exited;
} BusTool;

void bus_world_tool_start(BusWorld *bw, BusTool *t, const char *const *argv);
char *bus_world_tool_stdout(BusTool *t);
char *bus_world_tool_stderr(BusTool *t);
/* Waits up to timeout_ms (asserting it exits); returns the status; frees t's paths. */
int bus_world_tool_wait(BusWorld *bw, BusTool *t, unsigned timeout_ms, char **out, char **err);
/* Start and wait (20 s). */
int bus_world_tool(BusWorld *bw, const char *const *argv, char **out, char **err);
/* Run the loop for ms milliseconds. */
void bus_world_run(BusWorld *bw, unsigned ms);
