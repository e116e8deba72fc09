/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tbstreamd binary as systemd sees it: READY=1 and STATUS= on the notify
 * socket, RELOADING=1 around SIGHUP with the policy errors in the status, a
 * clean exit on SIGTERM, and refusal of bad options. Runs under umockdev-wrapper
 * (an empty testbed: no peers).
 */
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testbed.h"

#include "../unit/helpers.h"

static UMockdevTestbed *tb;
static char *tmp;
/* what the daemon and the tool run with: the testbed's, plus the test's variables */
static char **child_env;
static int notify_fd = -1;
static pid_t daemon_pid;

static void setup(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	g_autofree char *sock = NULL, *stream = NULL;

	tmp = th_mkdtemp();
	tb = testbed_new(tmp);
	stream = g_build_filename(tmp, "cfg", "thunderbolt", "stream", NULL);
	ck_assert_int_eq(g_mkdir_with_parents(stream, 0755), 0);
	sock = g_build_filename(tmp, "notify", NULL);
	ck_assert_uint_lt(strlen(sock), sizeof(sa.sun_path));
	strcpy(sa.sun_path, sock);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(notify_fd, 0);
	ck_assert_int_eq(bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	child_env = g_environ_setenv(g_get_environ(), "NOTIFY_SOCKET", sock, TRUE);
	th_write(tmp, "etc/tbstreamd.conf", "[Daemon]\nSubsystems=thunderbolt\n");
}

static void teardown(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = 0;
	}
	g_clear_pointer(&child_env, g_strfreev);
	close(notify_fd);
	th_rm_rf(tmp);
	g_free(tmp);
	g_object_unref(tb);
}

/* Adds NAME=VALUE to the environment of the daemons and tools this test starts. */
static void child_setenv(const char *name, const char *value)
{
	child_env = g_environ_setenv(child_env, name, value, TRUE);
}

/*
 * tbstreamd with its roots under tmp (the dev root made), then OPTION...
 * up to NULL: its argument vector, to free with g_strfreev().
 */
static char **daemon_argv(const char *option, ...)
{
	g_autofree char *dev = g_build_filename(tmp, "dev", NULL);
	GPtrArray *a = g_ptr_array_new();
	va_list ap;

	ck_assert_int_eq(g_mkdir_with_parents(dev, 0755), 0);
	g_ptr_array_add(a, g_strdup(TBSTREAMD_PATH));
	g_ptr_array_add(a, g_strdup_printf("--configfs-root=%s/cfg", tmp));
	g_ptr_array_add(a, g_strdup_printf("--dev-root=%s", dev));
	g_ptr_array_add(a, g_strdup_printf("--state-dir=%s/state", tmp));
	g_ptr_array_add(a, g_strdup_printf("--config-dir=%s/etc", tmp));
	g_ptr_array_add(a, g_strdup_printf("--vendor-dir=%s/vendor", tmp));
	va_start(ap, option);
	for (const char *o = option; o; o = va_arg(ap, const char *))
		g_ptr_array_add(a, g_strdup(o));
	va_end(ap);
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/* extra: one more option, or NULL */
static pid_t spawn_full(bool bus, const char *extra)
{
	g_auto(GStrv) argv = daemon_argv("--log-target=null", bus ? "--log-level=info" : "--no-bus",
					 extra, NULL);
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execve(TBSTREAMD_PATH, argv, child_env);
		_exit(127);
	}
	return pid;
}

static pid_t spawn(const char *extra)
{
	return spawn_full(false, extra);
}

/* waitpid with a deadline: the exit status, or -1 if it still runs after timeout_ms */
static int wait_exit(pid_t pid, unsigned timeout_ms)
{
	int status;

	for (unsigned i = 0; i < timeout_ms / 10; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		ck_assert_int_ge(r, 0);
		if (r == pid)
			return status;
		usleep(10000);
	}
	return -1;
}

static char *add_peer(void)
{
	char *xd = umockdev_testbed_add_device(
		tb, "thunderbolt", "0-1", NULL, "device_name", "alpha", "unique_id",
		"3a1cb984-c4d9-4469-a277-ce2fdfd11f0d", "vendor", "0x8086", "vendor_name", "Intel",
		"device", "0x1", "maxhopid", "15", NULL, "DEVTYPE", "thunderbolt_xdomain", NULL);
	ck_assert_ptr_nonnull(xd);
	return xd;
}

/* Collects notify messages until one contains needle; returns all of them. */
static char *wait_notify(const char *needle)
{
	GString *all = g_string_new(NULL);

	while (!strstr(all->str, needle)) {
		struct pollfd p = {.fd = notify_fd, .events = POLLIN};
		char buf[4096];
		ssize_t n;

		ck_assert_msg(poll(&p, 1, 20000) == 1, "no \"%s\" from tbstreamd; got:\n%s", needle,
			      all->str);
		n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		g_string_append_printf(all, "%s\n", buf);
	}
	return g_string_free(all, FALSE);
}

START_TEST(test_daemon_notifies_ready_reload_and_stopping)
{
	int status;

	daemon_pid = spawn(NULL);
	g_autofree char *start = wait_notify("READY=1");
	ck_assert_ptr_nonnull(strstr(start, "STATUS=0 peer(s) connected, 0 of 0 stream(s) ready"));

	th_write(tmp, "etc/tbstreamd.conf", "[Daemon]\nBogus=1\n");
	ck_assert_int_eq(kill(daemon_pid, SIGHUP), 0);
	g_autofree char *reload = wait_notify("READY=1");
	ck_assert_ptr_nonnull(strstr(reload, "RELOADING=1"));
	ck_assert_ptr_nonnull(strstr(reload, "policy has errors"));

	ck_assert_int_eq(kill(daemon_pid, SIGTERM), 0);
	g_autofree char *stop = wait_notify("STOPPING=1");
	ck_assert_int_eq(waitpid(daemon_pid, &status, 0), daemon_pid);
	daemon_pid = 0;
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_daemon_reports_missing_stream_module_in_status)
{
	g_autofree char *tbdir = g_build_filename(tmp, "cfg", "thunderbolt", NULL);
	th_rm_rf(tbdir);
	daemon_pid = spawn(NULL);
	g_autofree char *start = wait_notify("READY=1");
	ck_assert_ptr_nonnull(strstr(start, "stream module not loaded"));
}
END_TEST

static unsigned long context_switches(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *content = NULL;
	unsigned long total = 0;

	ck_assert(g_file_get_contents(path, &content, NULL, NULL));
	for (char *l = content; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long v;
		if (sscanf(l, "voluntary_ctxt_switches: %lu", &v) == 1 ||
		    sscanf(l, "nonvoluntary_ctxt_switches: %lu", &v) == 1)
			total += v;
	}
	return total;
}

START_TEST(test_idle_daemon_does_not_wake_up)
{
	daemon_pid = spawn(NULL);
	g_autofree char *start = wait_notify("READY=1");
	/* let start-up settle (write-behind of state files), then watch it sleep */
	usleep(300000);
	unsigned long before = context_switches(daemon_pid);
	usleep(1500000);
	ck_assert_uint_eq(context_switches(daemon_pid), before);
}
END_TEST

START_TEST(test_watchdog_is_pinged_when_systemd_asks)
{
	child_setenv("WATCHDOG_USEC", "200000");
	daemon_pid = spawn(NULL);
	g_autofree char *start = wait_notify("READY=1");
	/* and again, periodically, after start-up */
	g_autofree char *later = wait_notify("WATCHDOG=1");
	ck_assert_ptr_null(strstr(later, "READY=1"));
}
END_TEST

START_TEST(test_idle_daemon_exits_cleanly_after_idle_timeout)
{
	daemon_pid = spawn("--idle-timeout=0.5");
	g_autofree char *start = wait_notify("READY=1");
	g_autofree char *stop = wait_notify("STOPPING=1");
	int status = wait_exit(daemon_pid, 10000);
	daemon_pid = 0;
	ck_assert(status != -1 && WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_ptr_nonnull(strstr(stop, "STATUS=Idle, exiting"));
}
END_TEST

START_TEST(test_connected_peer_keeps_daemon_until_unplugged)
{
	g_autofree char *xd = add_peer();

	daemon_pid = spawn("--idle-timeout=0.3");
	g_autofree char *start = wait_notify("READY=1");
	ck_assert_ptr_nonnull(strstr(start, "1 peer(s) connected"));
	/* many idle periods with the peer plugged: still there */
	ck_assert_int_eq(wait_exit(daemon_pid, 1500), -1);

	umockdev_testbed_uevent(tb, xd, "remove");
	umockdev_testbed_remove_device(tb, xd);
	g_autofree char *stop = wait_notify("STOPPING=1");
	int status = wait_exit(daemon_pid, 10000);
	daemon_pid = 0;
	ck_assert(status != -1 && WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_daemon_without_system_bus_keeps_running)
{
	g_autofree char *nobus = g_strdup_printf("unix:path=%s/no-bus-here", tmp);
	g_autofree char *xd = add_peer();

	/* as in a recovery initramfs: no system bus at all */
	child_setenv("DBUS_SYSTEM_BUS_ADDRESS", nobus);
	daemon_pid = spawn_full(true, NULL);
	g_autofree char *start = wait_notify("READY=1");
	ck_assert_ptr_nonnull(strstr(start, "1 peer(s) connected"));
	ck_assert_ptr_nonnull(strstr(start, "no D-Bus API"));
	ck_assert_int_eq(wait_exit(daemon_pid, 500), -1);
	ck_assert_int_eq(kill(daemon_pid, SIGTERM), 0);
	int status = wait_exit(daemon_pid, 10000);
	daemon_pid = 0;
	ck_assert(status != -1 && WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_bad_option_fails_and_help_succeeds)
{
	int status;
	pid_t pid = spawn("--no-such-option");

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	pid = spawn("--idle-timeout=soon");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	pid = spawn("--help");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* Runs tbstreamd with args (NULL-terminated) to completion; its exit status, output in out/err. */
static int run_tool(char **out, char **err, const char *first, ...)
{
	g_autoptr(GPtrArray) a = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	const char *arg;
	va_list ap;
	int status;

	g_ptr_array_add(a, (char *)TBSTREAMD_PATH);
	va_start(ap, first);
	for (arg = first; arg; arg = va_arg(ap, const char *))
		g_ptr_array_add(a, (char *)arg);
	va_end(ap);
	g_ptr_array_add(a, NULL);
	ck_assert_msg(g_spawn_sync(NULL, (char **)a->pdata, child_env, G_SPAWN_DEFAULT, NULL, NULL,
				   out, err, &status, &error),
		      "%s", error ? error->message : "");
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_check_policy_reports_errors_by_file_and_line_without_a_bus)
{
	g_autofree char *etc = g_build_filename(tmp, "etc", NULL);
	g_autofree char *vendor = g_build_filename(tmp, "vendor", NULL);
	g_autofree char *cd = g_strdup_printf("--config-dir=%s", etc);
	g_autofree char *vd = g_strdup_printf("--vendor-dir=%s", vendor);
	g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL,
			*err3 = NULL, *out4 = NULL, *err4 = NULL;

	/* no bus at all: the check must not need one */
	child_setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent");
	th_write(tmp, "etc/policy.d/20-b.conf", "[Peer p]\nMatchAny=yes\nStreams=nope\n");
	th_write(tmp, "vendor/tbstreamd.conf", "[Daemon]\nOnUnplug=later\n");
	th_write(tmp, "etc/tbstreamd.conf", "[Stream x]\nRingSize=1\n[Daemon]\nColour=blue\n");
	ck_assert_int_eq(run_tool(&out, &err, "--check-policy", cd, vd, NULL), 1);
	/* etc's tbstreamd.conf replaces vendor's: its OnUnplug= error is not there */
	g_autofree char *want = g_strdup_printf(
		"%1$s/policy.d/20-b.conf:3: Streams= names \"nope\" but there is no [Stream nope]\n"
		"%1$s/tbstreamd.conf:2: RingSize= expects 32..4096, got \"1\"\n"
		"%1$s/tbstreamd.conf:4: Unknown key Colour= in [Daemon]\n",
		etc);
	ck_assert_str_eq(err, want);
	ck_assert_str_eq(out, "Policy has 3 error(s); tbstreamd would not use it.\n");

	/* DIR arguments replace the search path: vendor alone has one error */
	ck_assert_int_eq(run_tool(&out2, &err2, "--check-policy", vendor, NULL), 1);
	g_autofree char *want2 = g_strdup_printf(
		"%s/tbstreamd.conf:2: OnUnplug= expects keep or remove, got \"later\"\n", vendor);
	ck_assert_str_eq(err2, want2);

	th_write(tmp, "etc/tbstreamd.conf", "[Stream nope]\n");
	ck_assert_int_eq(run_tool(&out3, &err3, "--check-policy", cd, vd, NULL), 0);
	ck_assert_str_eq(err3, "");
	ck_assert_str_eq(out3,
			 "Policy is valid: 1 rule(s), 1 stream template(s) from 2 file(s).\n");
	/* a directory without any policy is a mistake, not a clean policy */
	ck_assert_int_eq(run_tool(&out4, &err4, "--check-policy", tmp, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err4, "holds neither tbstreamd.conf nor policy.d/"));
}
END_TEST

START_TEST(test_cat_policy_shows_each_file_under_its_path)
{
	g_autofree char *etc = g_build_filename(tmp, "etc", NULL);
	g_autofree char *vendor = g_build_filename(tmp, "vendor", NULL);
	g_autofree char *out = NULL, *err = NULL;

	th_write(tmp, "vendor/policy.d/50-enrolled.conf", "[Peer enrolled]\nMatchEnrolled=yes\n");
	th_write(tmp, "etc/policy.d/50-enrolled.conf", "");
	ck_assert_int_eq(run_tool(&out, &err, "--cat-policy", etc, vendor, NULL), 0);
	g_autofree char *want = g_strdup_printf(
		"# %1$s/tbstreamd.conf\n[Daemon]\nSubsystems=thunderbolt\n\n"
		"# %1$s/policy.d/50-enrolled.conf: masked (a link to /dev/null or empty)\n"
		"# (so %2$s/policy.d/50-enrolled.conf is not used)\n",
		etc, vendor);
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(err, "");
}
END_TEST

/* Starts tbstreamd logging to a file (stderr); returns the file's name. */
static char *spawn_logging(void)
{
	g_auto(GStrv) argv = daemon_argv("--log-target=console", "--no-bus", NULL);
	char *log = g_build_filename(tmp, "log", NULL);

	daemon_pid = fork();
	ck_assert_int_ge(daemon_pid, 0);
	if (daemon_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(126);
		execve(TBSTREAMD_PATH, argv, child_env);
		_exit(127);
	}
	return log;
}

START_TEST(test_broken_policy_at_start_says_every_peer_is_denied)
{
	g_autofree char *log = NULL, *text = NULL, *text2 = NULL;

	th_write(tmp, "etc/tbstreamd.conf", "[Daemon]\nBogus=1\n");
	log = spawn_logging();
	g_autofree char *start = wait_notify("READY=1");
	ck_assert_ptr_nonnull(strstr(start, "policy has errors, every peer denied"));
	ck_assert(g_file_get_contents(log, &text, NULL, NULL));
	ck_assert_msg(strstr(text, "tbstreamd.conf:2: Unknown key Bogus= in [Daemon]"), "%s", text);
	ck_assert_msg(strstr(text, "Policy has 1 error(s) and no earlier policy was loaded: "
				   "every peer is denied until it is fixed"),
		      "%s", text);
	ck_assert_msg(!strstr(text, "last good"), "%s", text);

	/* once a good policy loaded, a broken one on reload leaves that one in force */
	th_write(tmp, "etc/tbstreamd.conf", "[Daemon]\n");
	ck_assert_int_eq(kill(daemon_pid, SIGHUP), 0);
	g_free(wait_notify("READY=1"));
	th_write(tmp, "etc/tbstreamd.conf", "[Daemon]\nBogus=2\n");
	ck_assert_int_eq(kill(daemon_pid, SIGHUP), 0);
	g_autofree char *reload = wait_notify("READY=1");
	ck_assert_ptr_nonnull(strstr(reload, "policy has errors, using the last good one"));
	ck_assert(g_file_get_contents(log, &text2, NULL, NULL));
	ck_assert_msg(strstr(text2, "Policy has 1 error(s), keeping the last good policy"), "%s",
		      text2);
}
END_TEST

static Suite *main_suite(void)
{
	Suite *s = suite_create("main");
	TCase *tc = tcase_create("binary");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_daemon_notifies_ready_reload_and_stopping);
	tcase_add_test(tc, test_daemon_reports_missing_stream_module_in_status);
	tcase_add_test(tc, test_idle_daemon_does_not_wake_up);
	tcase_add_test(tc, test_watchdog_is_pinged_when_systemd_asks);
	tcase_add_test(tc, test_idle_daemon_exits_cleanly_after_idle_timeout);
	tcase_add_test(tc, test_connected_peer_keeps_daemon_until_unplugged);
	tcase_add_test(tc, test_daemon_without_system_bus_keeps_running);
	tcase_add_test(tc, test_bad_option_fails_and_help_succeeds);
	tcase_add_test(tc, test_check_policy_reports_errors_by_file_and_line_without_a_bus);
	tcase_add_test(tc, test_cat_policy_shows_each_file_under_its_path);
	tcase_add_test(tc, test_broken_policy_at_start_says_every_peer_is_denied);
	suite_add_tcase(s, tc);
	return s;
}

TH_RUN_SUITE(main_suite)
