/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "polkit-agent.h"

#ifndef PKTTYAGENT_PATH
#define PKTTYAGENT_PATH "/usr/bin/pkttyagent"
#endif

/* How long to wait for the agent to register before calling anyway. */
#define REGISTER_TIMEOUT_MS 10000

static void agent_child(int notify_fd, pid_t parent) __attribute__((noreturn));
static void agent_child(int notify_fd, pid_t parent)
{
	char fd_str[16];
	int tty;

	/* never outlive tbstreamctl; and catch a parent that died before prctl() */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(EXIT_FAILURE);
	/* the agent prompts on stdout: if that is a pipe, use the terminal of stdin */
	if (!isatty(STDOUT_FILENO)) {
		tty = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (tty >= 0) {
			(void)dup2(tty, STDOUT_FILENO);
			(void)dup2(tty, STDERR_FILENO);
			close(tty);
		}
	}
	/* the one descriptor the agent inherits besides stdio */
	notify_fd = fcntl(notify_fd, F_DUPFD, 3);
	if (notify_fd < 0)
		_exit(EXIT_FAILURE);
	snprintf(fd_str, sizeof(fd_str), "%d", notify_fd);
	execl(PKTTYAGENT_PATH, PKTTYAGENT_PATH, "--notify-fd", fd_str, "--fallback", (char *)NULL);
	_exit(EXIT_FAILURE);
}

pid_t polkit_agent_open(void)
{
	pid_t parent = getpid(), pid;
	int fds[2];

	/* root needs no password from polkit, and a pipe has nobody to ask */
	if (geteuid() == 0 || !isatty(STDIN_FILENO))
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return 0;
	}
	if (pid == 0) {
		close(fds[0]);
		agent_child(fds[1], parent);
	}
	close(fds[1]);
	/*
	 * The agent closes its end once it is registered (or dies trying, which
	 * closes it too): only then may the call go out, or polkit finds no agent.
	 */
	for (;;) {
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		int r = poll(&p, 1, REGISTER_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	close(fds[0]);
	return pid;
}

void polkit_agent_close(pid_t pid)
{
	if (pid <= 0)
		return;
	(void)kill(pid, SIGTERM);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
