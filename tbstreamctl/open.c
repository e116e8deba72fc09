/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * open: the daemon opens the stream's device (OpenStream) and passes the
 * descriptor; it becomes COMMAND's standard input (--read), output (--write)
 * or both, and tbstreamctl turns into COMMAND, whose exit status is then ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "objects.h"

/* OpenStream's flags (docs/dbus-api.md) */
#define OPEN_READ 1u
#define OPEN_WRITE 2u

/* The shell's and env(1)'s codes for a command that cannot be run. */
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND_EXEC 127

int verb_open(Ctl *c, int argc, char **argv)
{
	_cleanup_(objects_free) Objects o = {};
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint32_t flags = (c->read ? OPEN_READ : 0) | (c->write ? OPEN_WRITE : 0);
	char **command = argv + 2;
	const Object *stream;
	int r, fd, passed;

	r = objects_load_stream(c, &o, argv[1], &stream);
	if (r)
		return r;
	r = ctl_call(c, "Cannot open the stream", &reply, "OpenStream", "ou", stream->path, flags);
	if (r)
		return r;
	r = sd_bus_message_read(reply, "h", &passed);
	if (r < 0)
		return ctl_fail("Cannot read the reply", NULL, r);
	/* the message owns its descriptor; keep our own above stdio, closed on exec */
	fd = fcntl(passed, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return ctl_fail("Cannot take the stream's descriptor", NULL, -errno);
	reply = sd_bus_message_unref(reply);
	objects_free(&o);
	/* COMMAND must not inherit our connection to the bus */
	c->bus = sd_bus_flush_close_unref(c->bus);

	/* dup2() clears close-on-exec on the copy, which is what COMMAND gets */
	if ((c->read && dup2(fd, STDIN_FILENO) < 0) || (c->write && dup2(fd, STDOUT_FILENO) < 0)) {
		r = -errno;
		close(fd);
		return ctl_fail("Cannot hand the stream to the command", NULL, r);
	}
	close(fd);
	fflush(NULL);
	execvp(command[0], command);
	r = errno;
	fprintf(stderr, "tbstreamctl: Cannot run %s: %s\n", command[0], strerror(r));
	return r == ENOENT ? EXIT_NOT_FOUND_EXEC : EXIT_CANNOT_EXEC;
}
