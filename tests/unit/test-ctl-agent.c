/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tbstreamctl's polkit agent: started only for a person at a terminal who is
 * not root, with the arguments systemd's tools use, registered (notify fd
 * closed) before polkit_agent_open() returns, and stopped by
 * polkit_agent_close().  pkttyagent is replaced by tests/unit/fake-pkttyagent.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "polkit-agent.h"

static char dir[] = "/tmp/tbstreamctl-agent-XXXXXX";
static char log_path[sizeof(dir) + 16];

/* once, in the parent: tests may run as nobody, who could not clean up */
static void make_dir(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* the agent may run as nobody */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(log_path, sizeof(log_path), "%s/agent", dir);
	setenv("FAKE_AGENT_LOG", log_path, 1);
}

static void remove_dir(void)
{
	unlink(log_path);
	rmdir(dir);
}

static void forget_log(void)
{
	unlink(log_path);
}

static char *slurp(const char *path)
{
	static char buf[512];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* stdin becomes a new pseudo-terminal, as for a person at a terminal */
static void stdin_is_a_terminal(void)
{
	int master, slave;

	ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
	ck_assert_int_ge(dup2(slave, STDIN_FILENO), 0);
	close(slave);
}

static void become_nobody(void)
{
	if (geteuid() != 0)
		return;
	ck_assert_int_eq(setgroups(0, NULL), 0);
	ck_assert_int_eq(setresgid(65534, 65534, 65534), 0);
	ck_assert_int_eq(setresuid(65534, 65534, 65534), 0);
}

static bool running(pid_t pid)
{
	return kill(pid, 0) == 0;
}

START_TEST(test_agent_for_a_person_at_a_terminal)
{
	char *log;
	pid_t pid;

	stdin_is_a_terminal();
	become_nobody();
	pid = polkit_agent_open();
	ck_assert_int_gt(pid, 0);
	/* registered before we return: the fake wrote its log before closing the fd */
	log = slurp(log_path);
	ck_assert_ptr_nonnull(log);
	ck_assert_msg(strstr(log, "args: --notify-fd ") && strstr(log, " --fallback\n"),
		      "agent started as: %s", log);
	ck_assert_msg(strstr(log, "stdin: tty"), "agent has no terminal: %s", log);
	ck_assert(running(pid));
	polkit_agent_close(pid);
	ck_assert_int_eq(kill(pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

START_TEST(test_no_agent_without_a_terminal)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(dup2(null, STDIN_FILENO), 0);
	become_nobody();
	ck_assert_int_eq(polkit_agent_open(), 0);
	ck_assert_ptr_null(slurp(log_path));
}
END_TEST

START_TEST(test_no_agent_for_root)
{
	if (geteuid() != 0)
		return; /* nothing to show as another user */
	stdin_is_a_terminal();
	ck_assert_int_eq(polkit_agent_open(), 0);
	ck_assert_ptr_null(slurp(log_path));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl-agent");
	TCase *tc = tcase_create("agent");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, make_dir, remove_dir);
	tcase_add_checked_fixture(tc, forget_log, NULL);
	tcase_add_test(tc, test_agent_for_a_person_at_a_terminal);
	tcase_add_test(tc, test_no_agent_without_a_terminal);
	tcase_add_test(tc, test_no_agent_for_root);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
