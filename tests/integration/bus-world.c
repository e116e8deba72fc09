/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bus-world.h"
#include "util.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define MOCK_IFACE "org.freedesktop.DBus.Mock"

/* Debian's system.conf, cut to what matters, plus our shipped policy. */
static const char bus_config[] =
	"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
	" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	"<busconfig>\n"
	"  <type>system</type>\n"
	"  <listen>unix:tmpdir=/tmp</listen>\n"
	"  <auth>EXTERNAL</auth>\n"
	"  <policy context=\"default\">\n"
	"    <allow user=\"*\"/>\n"
	"    <deny own=\"*\"/>\n"
	"    <deny send_type=\"method_call\"/>\n"
	"    <allow send_type=\"signal\"/>\n"
	"    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
	"    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
	"    <allow receive_type=\"method_call\"/>\n"
	"    <allow receive_type=\"method_return\"/>\n"
	"    <allow receive_type=\"error\"/>\n"
	"    <allow receive_type=\"signal\"/>\n"
	"    <allow send_destination=\"org.freedesktop.DBus\" "
	"send_interface=\"org.freedesktop.DBus\"/>\n"
	"    <allow send_destination=\"org.freedesktop.DBus\" "
	"send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
	"  </policy>\n"
	"  <include>%s/dbus/io.github.tbstream1.conf</include>\n"
	/* Test-only holes: CI runs everything as one (maybe non-root) user. */
	"  <policy context=\"default\">\n"
	"    <allow own=\"io.github.tbstream1\"/>\n"
	"    <allow own=\"org.freedesktop.PolicyKit1\"/>\n"
	"    <allow send_destination=\"org.freedesktop.PolicyKit1\"/>\n"
	"  </policy>\n"
	"  <limit name=\"max_replies_per_connection\">1024</limit>\n"
	"</busconfig>\n";

/* Children get a clean environment: no umockdev preload, the private bus as system bus. */
static char **child_env(const char *address)
{
	char **env = g_get_environ();

	env = g_environ_unsetenv(env, "LD_PRELOAD");
	env = g_environ_unsetenv(env, "UMOCKDEV_DIR");
	if (address)
		env = g_environ_setenv(env, "DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
	return env;
}

static sd_bus *control_bus(BusEnv *e)
{
	sd_bus *c = NULL;

	g_assert(sd_bus_new(&c) >= 0);
	g_assert(sd_bus_set_address(c, e->address) >= 0);
	g_assert(sd_bus_set_bus_client(c, true) >= 0);
	g_assert(sd_bus_start(c) >= 0);
	return c;
}

static bool name_has_owner(BusEnv *e, const char *name)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *c = control_bus(e);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int has = 0;

	if (sd_bus_call_method(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "NameHasOwner", NULL, &reply, "s",
			       name) < 0 ||
	    sd_bus_message_read(reply, "b", &has) < 0)
		return false;
	return has;
}

void bus_env_start(BusEnv *e, bool with_polkit)
{
	g_autofree char *conf = NULL, *content = NULL, *line = NULL;
	g_auto(GStrv) env = NULL;
	int out_fd = -1;
	FILE *f;
	size_t n = 0;

	memset(e, 0, sizeof(*e));
	e->dir = g_dir_make_tmp("tbstreamd-bus-XXXXXX", NULL);
	g_assert(e->dir);
	conf = g_build_filename(e->dir, "system.conf", NULL);
	content = g_strdup_printf(bus_config, TBS_SOURCE_DIR);
	g_assert(g_file_set_contents(conf, content, -1, NULL));

	env = child_env(NULL);
	const char *dargv[] = {"dbus-daemon", "--config-file",	   conf,
			       "--nofork",    "--print-address=1", NULL};
	g_assert(g_spawn_async_with_pipes(NULL, (char **)dargv, env,
					  G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
						  G_SPAWN_STDERR_TO_DEV_NULL,
					  NULL, NULL, &e->dbus_pid, NULL, &out_fd, NULL, NULL));
	f = fdopen(out_fd, "r");
	g_assert(f);
	g_assert(getline(&line, &n, f) > 0);
	fclose(f);
	g_strstrip(line);
	e->address = g_strdup(line);

	if (!with_polkit)
		return;
	g_strfreev(env);
	env = child_env(e->address);
	const char *pargv[] = {"/usr/bin/python3", "-m",       "dbusmock", "--template",
			       "polkitd",	   "--system", NULL};
	g_assert(g_spawn_async(NULL, (char **)pargv, env,
			       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
			       &e->polkit_pid, NULL));
	for (int i = 0; i < 1000 && !name_has_owner(e, POLKIT_NAME); i++)
		g_usleep(10000);
	g_assert(name_has_owner(e, POLKIT_NAME));
}

static void kill_wait(GPid pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	(void)waitpid(pid, NULL, 0);
}

void bus_env_stop(BusEnv *e)
{
	g_autofree char *cmd = NULL;

	kill_wait(e->polkit_pid);
	kill_wait(e->dbus_pid);
	cmd = g_strdup_printf("rm -rf '%s'", e->dir);
	g_assert(system(cmd) == 0);
	g_free(e->dir);
	g_free(e->address);
	memset(e, 0, sizeof(*e));
}

static void mock_call(BusEnv *e, const char *member, const char *types, ...)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *c = control_bus(e);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	va_list ap;

	g_assert(e->polkit_pid > 0);
	g_assert(sd_bus_message_new_method_call(c, &m, POLKIT_NAME, POLKIT_PATH, MOCK_IFACE,
						member) >= 0);
	if (types) {
		va_start(ap, types);
		g_assert(sd_bus_message_appendv(m, types, ap) >= 0);
		va_end(ap);
	}
	if (sd_bus_call(c, m, 0, &error, NULL) < 0)
		g_error("polkit mock %s: %s", member, error.message);
}

static void mock_strv(BusEnv *e, const char *member, const char *const *actions)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *c = control_bus(e);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	g_assert(sd_bus_message_new_method_call(c, &m, POLKIT_NAME, POLKIT_PATH, MOCK_IFACE,
						member) >= 0);
	g_assert(sd_bus_message_append_strv(
			 m, (char **)(actions ? actions : (const char *[]){NULL})) >= 0);
	if (sd_bus_call(c, m, 0, &error, NULL) < 0)
		g_error("polkit mock %s: %s", member, error.message);
}

void bus_env_polkit_allow(BusEnv *e, const char *const *actions)
{
	mock_strv(e, "SetAllowed", actions);
}

void bus_env_polkit_allow_all(BusEnv *e, bool all)
{
	mock_call(e, "AllowUnknown", "b", (int)all);
}

void bus_env_polkit_hang(BusEnv *e, const char *const *actions)
{
	mock_strv(e, "SimulateHangActions", actions);
}

void bus_env_polkit_release(BusEnv *e)
{
	mock_call(e, "ReleaseHangingCalls", NULL);
}

bool bus_env_polkit_has_hanging(BusEnv *e)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *c = control_bus(e);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int b = 0;

	g_assert(sd_bus_call_method(c, POLKIT_NAME, POLKIT_PATH, MOCK_IFACE, "HaveHangingCalls",
				    NULL, &reply, NULL) >= 0);
	g_assert(sd_bus_message_read(reply, "b", &b) >= 0);
	return b;
}

void bus_env_polkit_fail(BusEnv *e, const char *error_name, const char *message)
{
	g_autofree char *code = NULL;

	g_assert(!strpbrk(error_name, "'\\\n") && !strpbrk(message, "'\\\n"));
	code = g_strdup_printf("raise dbus.exceptions.DBusException('%s', name='%s')", message,
			       error_name);
	/* a method added at run time is looked up before the template's own */
	mock_call(e, "AddMethod", "sssss", "org.freedesktop.PolicyKit1.Authority",
		  "CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})", code);
}

void bus_env_polkit_reset(BusEnv *e)
{
	if (e->polkit_pid <= 0)
		return;
	bus_env_polkit_hang(e, NULL);
	bus_env_polkit_release(e);
	bus_env_polkit_allow(e, NULL);
	bus_env_polkit_allow_all(e, false);
}

void bus_world_init(BusWorld *bw, BusEnv *env)
{
	memset(bw, 0, sizeof(*bw));
	bw->env = env;
	world_init(&bw->w);
	bus_env_polkit_reset(env);
	/* the previous test's daemon may still be leaving the bus */
	for (int i = 0; i < 500 && name_has_owner(env, "io.github.tbstream1"); i++)
		g_usleep(2000);
}

static void on_started(TbsBus *b, int error, void *userdata)
{
	*(int *)userdata = error;
}

static bool started(World *w, const void *result)
{
	return *(const int *)result != 1;
}

int bus_world_start_bus(BusWorld *bw, TbsBus *b)
{
	int result = 1;

	g_assert(tbs_bus_start(b, on_started, &result) >= 0);
	g_assert(world_run_until(&bw->w, started, &result, 10000));
	return result;
}

void bus_world_start(BusWorld *bw)
{
	World *w = &bw->w;

	g_assert(!w->m);
	g_assert(tbs_manager_new(w->event, &w->config, &w->m) >= 0);
	g_assert(tbs_bus_new(w->event, w->m, bw->env->address, &bw->bus) >= 0);
	g_assert(tbs_manager_start(w->m) >= 0);
	g_assert(bus_world_start_bus(bw, bw->bus) == 0);
}

void bus_world_stop(BusWorld *bw)
{
	bw->bus = tbs_bus_free(bw->bus);
	world_stop(&bw->w);
}

void bus_world_destroy(BusWorld *bw)
{
	bw->bus = tbs_bus_free(bw->bus);
	world_destroy(&bw->w);
}

sd_bus *bus_world_client(BusWorld *bw)
{
	sd_bus *c = NULL;

	g_assert(sd_bus_new(&c) >= 0);
	g_assert(sd_bus_set_address(c, bw->env->address) >= 0);
	g_assert(sd_bus_set_bus_client(c, true) >= 0);
	g_assert(sd_bus_negotiate_fds(c, true) >= 0);
	g_assert(sd_bus_start(c) >= 0);
	g_assert(sd_bus_attach_event(c, bw->w.event, 0) >= 0);
	return c;
}

sd_bus *bus_world_client_as(BusWorld *bw, uid_t uid)
{
	uid_t euid = geteuid();
	sd_bus *c = NULL;
	int r;

	if (uid == euid)
		return bus_world_client(bw);
	g_assert(sd_bus_new(&c) >= 0);
	g_assert(sd_bus_set_address(c, bw->env->address) >= 0);
	g_assert(sd_bus_set_bus_client(c, true) >= 0);
	/*
	 * The bus daemon takes the uid from the socket (SO_PEERCRED, fixed at
	 * connect()) and sd-bus sends geteuid() in its AUTH EXTERNAL: both are
	 * settled inside sd_bus_start(), after which we are root again.
	 */
	g_assert(setresuid(-1, uid, -1) == 0);
	r = sd_bus_start(c);
	g_assert(setresuid(-1, euid, -1) == 0);
	g_assert(r >= 0);
	g_assert(sd_bus_attach_event(c, bw->w.event, 0) >= 0);
	return c;
}

typedef struct CallState {
	bool done;
	sd_bus_message *reply;
} CallState;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	CallState *cs = userdata;

	cs->done = true;
	cs->reply = sd_bus_message_ref(m);
	return 0;
}

static bool call_done(World *w, const void *data)
{
	return ((const CallState *)data)->done;
}

int bus_world_call(BusWorld *bw, sd_bus_message *m, unsigned timeout_ms, sd_bus_message **reply,
		   sd_bus_error *error)
{
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	CallState cs = {};
	const sd_bus_error *e;
	int r;

	r = sd_bus_call_async(sd_bus_message_get_bus(m), &slot, m, on_reply, &cs,
			      (uint64_t)timeout_ms * 1000);
	g_assert(r >= 0);
	if (!world_run_until(&bw->w, call_done, &cs, timeout_ms + 1000)) {
		sd_bus_error_set(error, SD_BUS_ERROR_TIMEOUT, "no reply");
		return -ETIMEDOUT;
	}
	e = sd_bus_message_get_error(cs.reply);
	if (e) {
		r = sd_bus_message_get_errno(cs.reply);
		sd_bus_error_copy(error, e);
		sd_bus_message_unref(cs.reply);
		return -(r ? r : EIO);
	}
	if (reply)
		*reply = cs.reply;
	else
		sd_bus_message_unref(cs.reply);
	return 0;
}

sd_bus_message *bus_world_method(sd_bus *c, const char *path, const char *iface, const char *member)
{
	sd_bus_message *m = NULL;

	g_assert(sd_bus_message_new_method_call(c, &m, "io.github.tbstream1", path, iface,
						member) >= 0);
	return m;
}

static bool tool_exited(World *w, const void *data)
{
	BusTool *t = (BusTool *)data;
	int st;

	if (t->exited)
		return true;
	if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
		t->exited = true;
		t->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	return t->exited;
}

/* runs in the child between fork and exec: become @data (a uid), with that gid and no groups */
static void drop_privileges(gpointer data)
{
	uid_t uid = GPOINTER_TO_UINT(data);

	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
		_exit(127);
}

static void tool_start_as(BusWorld *bw, BusTool *t, uid_t uid, const char *const *argv)
{
	static unsigned serial;
	g_auto(GStrv) env = child_env(bw->env->address);
	int ofd, efd;

	memset(t, 0, sizeof(*t));
	serial++;
	t->out_path = g_strdup_printf("%s/tool-%u.out", bw->env->dir, serial);
	t->err_path = g_strdup_printf("%s/tool-%u.err", bw->env->dir, serial);
	ofd = open(t->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	efd = open(t->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	g_assert(ofd >= 0 && efd >= 0);
	g_assert(g_spawn_async_with_fds(NULL, (char **)argv, env,
					G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
					uid != geteuid() ? drop_privileges : NULL,
					GUINT_TO_POINTER(uid), &t->pid, -1, ofd, efd, NULL));
	close(ofd);
	close(efd);
}

void bus_world_tool_start(BusWorld *bw, BusTool *t, const char *const *argv)
{
	tool_start_as(bw, t, geteuid(), argv);
}

static char *slurp(const char *path)
{
	char *s = NULL;

	g_assert(g_file_get_contents(path, &s, NULL, NULL));
	return s;
}

char *bus_world_tool_stdout(BusTool *t)
{
	return slurp(t->out_path);
}

char *bus_world_tool_stderr(BusTool *t)
{
	return slurp(t->err_path);
}

int bus_world_tool_wait(BusWorld *bw, BusTool *t, unsigned timeout_ms, char **out, char **err)
{
	if (!world_run_until(&bw->w, tool_exited, t, timeout_ms)) {
		g_autofree char *e = bus_world_tool_stderr(t);
		kill(t->pid, SIGKILL);
		g_error("%s did not exit within %u ms; stderr: %s", t->out_path, timeout_ms, e);
	}
	if (out)
		*out = bus_world_tool_stdout(t);
	if (err)
		*err = bus_world_tool_stderr(t);
	unlink(t->out_path);
	unlink(t->err_path);
	g_free(t->out_path);
	g_free(t->err_path);
	t->out_path = t->err_path = NULL;
	return t->status;
}

int bus_world_tool(BusWorld *bw, const char *const *argv, char **out, char **err)
{
	BusTool t;

	bus_world_tool_start(bw, &t, argv);
	return bus_world_tool_wait(bw, &t, 20000, out, err);
}

int bus_world_busctl_as(BusWorld *bw, uid_t uid, const char *const *argv, char **out, char **err)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	BusTool t;

	g_ptr_array_add(args, (char *)"busctl");
	for (const char *const *a = argv; *a; a++)
		g_ptr_array_add(args, (char *)*a);
	g_ptr_array_add(args, NULL);
	tool_start_as(bw, &t, uid, (const char *const *)args->pdata);
	return bus_world_tool_wait(bw, &t, 20000, out, err);
}

int bus_world_busctl(BusWorld *bw, const char *const *argv, char **out, char **err)
{
	return bus_world_busctl_as(bw, geteuid(), argv, out, err);
}

static bool never(World *w, const void *data)
{
	return false;
}

void bus_world_run(BusWorld *bw, unsigned ms)
{
	(void)world_run_until(&bw->w, never, NULL, ms);
}
