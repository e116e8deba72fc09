// SPDX-License-Identifier: GPL-2.0
/*
 * stream-probe: run a sequence of operations on one file and print one line
 * per operation, so VM tests assert device semantics by comparing text.
 *
 *   stream-probe FILE OP...
 *
 *   open:rdonly|wronly|rdwr[,nonblock]   "open OK" / "open ENXIO"
 *   read:N        one read(2) of up to N bytes: "read 5" / "read EOF" /
 *                 "read EAGAIN"
 *   readfresh:N   the same into N bytes of new anonymous memory, none of
 *                 whose pages is there yet: "readfresh 5"
 *   readall:N     read until N bytes, EOF or an error: "readall 4096" or
 *                 "readall 100 EOF" / "readall 0 ENXIO"
 *   write:N       one write(2) of N pattern bytes: "write N" / "write EPIPE"
 *   poll:MS       poll(2) for IN|OUT: "poll IN|OUT" / "poll none"
 *   pollin:MS     poll(2) for IN only
 *   nonblock:0|1  clear or set O_NONBLOCK (prints nothing)
 *   sleep:MS      (prints nothing)
 *   touch:PATH    create PATH (prints nothing), to signal another process
 *   wait:PATH     wait up to 20 s until PATH exists (prints nothing)
 *   sendfile:N    sendfile(2) N pattern bytes from a memfd: "sendfile N"
 *   splice:N      splice(2) from the file into a pipe until N bytes or EOF:
 *                 "splice N"
 *   alarm:MS      SIGALRM in MS ms, handler without SA_RESTART (prints
 *                 nothing): the next blocking call is interrupted
 *   close         "close OK"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "probe-util.h"

static char buf[1 << 20];

static void on_alarm(int sig)
{
	(void)sig;
}

static void print_revents(const char *op, int r, short rev)
{
	if (r < 0) {
		printf("%s %s\n", op, ename(errno));
		return;
	}
	if (!r || !rev) {
		printf("%s none\n", op);
		return;
	}
	printf("%s %s%s%s%s\n", op, rev & POLLIN ? "IN" : "",
	       rev & POLLOUT ? (rev & POLLIN ? "|OUT" : "OUT") : "", rev & POLLHUP ? "|HUP" : "",
	       rev & POLLERR ? "|ERR" : "");
}

int main(int argc, char **argv)
{
	const char *path;
	int fd = -1, i;

	if (argc < 3) {
		fprintf(stderr, "usage: stream-probe FILE OP...\n");
		return 2;
	}
	path = argv[1];
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 3);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 2; i < argc; i++) {
		char *op = argv[i], *arg = strchr(op, ':');
		long n = 0;
		ssize_t r = 0;

		if (arg) {
			*arg++ = '\0';
			n = strtol(arg, NULL, 0);
		}
		if (!strcmp(op, "open")) {
			int flags = O_RDONLY;

			if (!strncmp(arg, "wronly", 6))
				flags = O_WRONLY;
			else if (!strncmp(arg, "rdwr", 4))
				flags = O_RDWR;
			if (strstr(arg, "nonblock"))
				flags |= O_NONBLOCK;
			fd = open(path, flags);
			printf("open %s\n", fd < 0 ? ename(errno) : "OK");
		} else if (!strcmp(op, "read")) {
			if (n > (long)sizeof(buf))
				n = sizeof(buf);
			r = read(fd, buf, n);
			if (r < 0)
				printf("read %s\n", ename(errno));
			else if (!r)
				printf("read EOF\n");
			else
				printf("read %zd\n", r);
		} else if (!strcmp(op, "readfresh")) {
			void *fresh = mmap(NULL, n, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (fresh == MAP_FAILED) {
				printf("readfresh mmap %s\n", ename(errno));
				continue;
			}
			r = read(fd, fresh, n);
			if (r < 0)
				printf("readfresh %s\n", ename(errno));
			else if (!r)
				printf("readfresh EOF\n");
			else
				printf("readfresh %zd\n", r);
			munmap(fresh, n);
		} else if (!strcmp(op, "readall")) {
			long got = 0;
			const char *end = "";

			while (got < n) {
				long want = n - got;

				if (want > (long)sizeof(buf))
					want = sizeof(buf);
				r = read(fd, buf, want);
				if (r <= 0) {
					end = r ? ename(errno) : "EOF";
					break;
				}
				got += r;
			}
			printf("readall %ld%s%s\n", got, *end ? " " : "", end);
		} else if (!strcmp(op, "write")) {
			if (n > (long)sizeof(buf))
				n = sizeof(buf);
			r = write(fd, buf, n);
			if (r < 0)
				printf("write %s\n", ename(errno));
			else
				printf("write %zd\n", r);
		} else if (!strcmp(op, "poll") || !strcmp(op, "pollin")) {
			struct pollfd p = {fd, POLLIN, 0};

			if (!strcmp(op, "poll"))
				p.events |= POLLOUT;
			r = poll(&p, 1, n);
			print_revents(op, r, p.revents);
		} else if (!strcmp(op, "nonblock")) {
			int fl = fcntl(fd, F_GETFL);

			fcntl(fd, F_SETFL, n ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
		} else if (!strcmp(op, "sleep")) {
			msleep(n);
		} else if (!strcmp(op, "touch")) {
			close(open(arg, O_CREAT | O_WRONLY, 0644));
		} else if (!strcmp(op, "wait")) {
			struct stat st;
			int t;

			for (t = 0; t < 200 && stat(arg, &st); t++)
				msleep(100);
		} else if (!strcmp(op, "sendfile")) {
			int mfd = memfd_create("src", 0);
			long done = 0;

			while (done < n) {
				long c =
					n - done < (long)sizeof(buf) ? n - done : (long)sizeof(buf);

				if (write(mfd, buf, c) != c)
					break;
				done += c;
			}
			lseek(mfd, 0, SEEK_SET);
			done = 0;
			while (done < n) {
				r = sendfile(fd, mfd, NULL, n - done);
				if (r <= 0)
					break;
				done += r;
			}
			if (done < n && r < 0)
				printf("sendfile %s\n", ename(errno));
			else
				printf("sendfile %ld\n", done);
			close(mfd);
		} else if (!strcmp(op, "splice")) {
			int p[2];
			long done = 0;

			if (pipe(p))
				return 1;
			while (done < n) {
				r = splice(fd, NULL, p[1], NULL, 65536, 0);
				if (r <= 0)
					break;
				if (read(p[0], buf, r) != r)
					break;
				done += r;
			}
			if (!done && r < 0)
				printf("splice %s\n", ename(errno));
			else
				printf("splice %ld\n", done);
			close(p[0]);
			close(p[1]);
		} else if (!strcmp(op, "alarm")) {
			struct sigaction sa = {.sa_handler = on_alarm};
			struct itimerval it = {
				.it_value = {n / 1000, (n % 1000) * 1000},
			};

			sigaction(SIGALRM, &sa, NULL);
			setitimer(ITIMER_REAL, &it, NULL);
		} else if (!strcmp(op, "close")) {
			printf("close %s\n", close(fd) ? ename(errno) : "OK");
			fd = -1;
		} else {
			fprintf(stderr, "stream-probe: unknown op %s\n", op);
			return 2;
		}
	}
	return 0;
}
