// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-stall: one read(2) or write(2) on a stream whose user buffer is
 * backed by userfaultfd, so the system call stops in a page fault for as
 * long as the test wants (as with a FUSE- or network-backed mapping, or a
 * hostile user):
 *
 *   uffd-stall read|write DEV BYTES RELEASE
 *
 * Prints "faulting" once the call waits in the fault, resolves that fault
 * (and any later one) only once the file RELEASE exists, then prints the
 * call's outcome: "read 4096", "write ENXIO".  The buffer's pages read as
 * 'u' once resolved.
 */
#include "probe-util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int uffd;
static long page;
static const char *release;

static void *handle_faults(void *arg)
{
	char *fill = malloc(page);
	bool released = false;
	struct uffd_msg msg;
	struct stat st;

	(void)arg;
	if (!fill)
		exit(1);
	memset(fill, 'u', page);
	for (;;) {
		struct pollfd p = {.fd = uffd, .events = POLLIN};
		struct uffdio_copy copy;

		if (poll(&p, 1, -1) < 0 || read(uffd, &msg, sizeof(msg)) != sizeof(msg)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("uffd-stall: userfaultfd");
			exit(1);
		}
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		if (!released) {
			printf("faulting\n");
			fflush(stdout);
			while (stat(release, &st))
				msleep(50);
			released = true;
		}
		copy.dst = msg.arg.pagefault.address & ~(page - 1);
		copy.src = (unsigned long)fill;
		copy.len = page;
		copy.mode = 0;
		if (ioctl(uffd, UFFDIO_COPY, &copy) && errno != EEXIST) {
			perror("uffd-stall: UFFDIO_COPY");
			exit(1);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct uffdio_register reg = {0};
	struct uffdio_api api = {.api = UFFD_API};
	bool writing;
	pthread_t t;
	size_t len;
	ssize_t n;
	char *buf;
	int fd;

	if (argc != 5 || (strcmp(argv[1], "read") && strcmp(argv[1], "write"))) {
		fprintf(stderr, "usage: uffd-stall read|write DEV BYTES RELEASE\n");
		return 2;
	}
	writing = !strcmp(argv[1], "write");
	release = argv[4];
	page = sysconf(_SC_PAGESIZE);
	len = (strtoul(argv[3], NULL, 0) + page - 1) & ~(page - 1);
	if (!len)
		return 2;

	fd = open(argv[2], writing ? O_WRONLY : O_RDONLY);
	if (fd < 0) {
		printf("open %s\n", ename(errno));
		return 1;
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (buf == MAP_FAILED || uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		perror("uffd-stall: setup");
		return 1;
	}
	reg.range.start = (unsigned long)buf;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) || pthread_create(&t, NULL, handle_faults, NULL)) {
		perror("uffd-stall: register");
		return 1;
	}

	n = writing ? write(fd, buf, len) : read(fd, buf, len);
	if (n < 0)
		printf("%s %s\n", argv[1], ename(errno));
	else
		printf("%s %zd\n", argv[1], n);
	fflush(stdout);
	return 0;
}
