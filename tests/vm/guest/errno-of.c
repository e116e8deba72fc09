// SPDX-License-Identifier: GPL-2.0
/*
 * errno-of: perform one system call and print the name of the errno it set
 * ("OK" if it succeeded), so VM tests compare errno names, not strerror text.
 *
 *   errno-of mkdir DIR
 *   errno-of rmdir DIR
 *   errno-of write FILE VALUE      (one write(2) of VALUE, no newline added)
 *   errno-of open FILE rdonly|wronly|rdwr[,nonblock]
 *   errno-of read FILE [COUNT]     (opens, then one read(2) of COUNT bytes)
 *   errno-of load FILE.ko          (one finit_module(2): busybox insmod retries
 *                                  with init_module(2), so a refusing module's
 *                                  init would run, and log, twice)
 *
 * Exit status: 0 when the call ran (whatever its result), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct errno_name {
	int value;
	const char *name;
};

#define E(x)                                                                                       \
	{                                                                                          \
		x, #x                                                                              \
	}
static const struct errno_name names[] = {
	E(EPERM),      E(ENOENT),      E(EINTR),	E(EIO),	      E(ENXIO),	    E(E2BIG),
	E(EBADF),      E(EAGAIN),      E(ENOMEM),	E(EACCES),    E(EFAULT),    E(EBUSY),
	E(EEXIST),     E(ENODEV),      E(ENOTDIR),	E(EISDIR),    E(EINVAL),    E(ENFILE),
	E(EMFILE),     E(ENOTTY),      E(EFBIG),	E(ENOSPC),    E(ESPIPE),    E(EROFS),
	E(EPIPE),      E(ERANGE),      E(ENAMETOOLONG), E(ENOSYS),    E(ENOTEMPTY), E(ENODATA),
	E(EOPNOTSUPP), E(ECONNRESET),  E(ESHUTDOWN),	E(ETIMEDOUT), E(ECANCELED), E(ENOTCONN),
	E(EALREADY),   E(EINPROGRESS), E(ENOLINK),	E(EPROTO),    E(EBADMSG),   E(EOVERFLOW),
	E(ENOMSG),     E(ENOTSUP),
};
#undef E

static const char *errno_name(int e)
{
	static char buf[32];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].value == e)
			return names[i].name;
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

static int open_flags(const char *s)
{
	int flags = 0;

	if (!strncmp(s, "rdonly", 6))
		flags = O_RDONLY;
	else if (!strncmp(s, "wronly", 6))
		flags = O_WRONLY;
	else if (!strncmp(s, "rdwr", 4))
		flags = O_RDWR;
	else
		return -1;
	if (strstr(s, ",nonblock"))
		flags |= O_NONBLOCK;
	return flags;
}

static int usage(void)
{
	fprintf(stderr, "usage: errno-of mkdir|rmdir|write|open|read|load ARGS\n");
	return 2;
}

int main(int argc, char **argv)
{
	int r = 0;

	if (argc < 3)
		return usage();

	if (!strcmp(argv[1], "mkdir")) {
		r = mkdir(argv[2], 0755);
	} else if (!strcmp(argv[1], "rmdir")) {
		r = rmdir(argv[2]);
	} else if (!strcmp(argv[1], "write") && argc == 4) {
		int fd = open(argv[2], O_WRONLY);

		if (fd < 0)
			r = -1;
		else if (write(fd, argv[3], strlen(argv[3])) < 0)
			r = -1;
		if (fd >= 0) {
			int saved = errno;

			close(fd);
			errno = saved;
		}
	} else if (!strcmp(argv[1], "open") && argc == 4) {
		int flags = open_flags(argv[3]);
		int fd;

		if (flags < 0)
			return usage();
		fd = open(argv[2], flags);
		if (fd < 0)
			r = -1;
		else
			close(fd);
	} else if (!strcmp(argv[1], "read")) {
		size_t count = argc > 3 ? strtoul(argv[3], NULL, 0) : 4096;
		char *buf = malloc(count ? count : 1);
		int fd = open(argv[2], O_RDONLY);
		ssize_t n = -1;

		if (!buf || fd < 0)
			r = -1;
		else if ((n = read(fd, buf, count)) < 0)
			r = -1;
		if (r == 0 && n == 0) {
			puts("EOF");
			return 0;
		}
		free(buf);
	} else if (!strcmp(argv[1], "load")) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0)
			r = -1;
		if (fd >= 0)
			close(fd);
	} else {
		return usage();
	}

	puts(r == 0 ? "OK" : errno_name(errno));
	return 0;
}
