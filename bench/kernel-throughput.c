// SPDX-License-Identifier: GPL-2.0
/*
 * kernel-throughput: one-way throughput of a transport, in the guest.
 *
 *   kernel-throughput pipe|socketpair BS TOTAL
 *   kernel-throughput stream BS TOTAL WRITEDEV READDEV
 *
 * A child writes TOTAL bytes in BS-byte write(2)s, the parent reads them
 * with BS-byte read(2)s; prints "MB/s" (10^6 bytes per second) measured
 * from the first write to the last byte read.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long long bs, total, got = 0;
	int rfd, wfd, fds[2], sync[2];
	double t0;
	char *buf, c;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr,
			"usage: kernel-throughput pipe|socketpair|stream BS TOTAL [WDEV RDEV]\n");
		return 2;
	}
	bs = atoll(argv[2]);
	total = atoll(argv[3]);
	buf = malloc(bs);
	memset(buf, 0x5a, bs);
	if (pipe(sync))
		return 1;

	if (!strcmp(argv[1], "pipe")) {
		if (pipe(fds))
			return 1;
		fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
		rfd = fds[0];
		wfd = fds[1];
	} else if (!strcmp(argv[1], "socketpair")) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
			return 1;
		rfd = fds[0];
		wfd = fds[1];
	} else if (argc == 6) {
		rfd = open(argv[5], O_RDONLY);
		if (rfd < 0) {
			perror(argv[5]);
			return 1;
		}
		wfd = -1;
	} else {
		return 2;
	}

	pid = fork();
	if (!pid) {
		long long sent = 0;

		close(rfd);
		if (wfd < 0) {
			wfd = open(argv[4], O_WRONLY);
			if (wfd < 0) {
				perror(argv[4]);
				_exit(1);
			}
		}
		if (write(sync[1], "x", 1) != 1)
			_exit(1);
		while (sent < total) {
			long long n = total - sent < bs ? total - sent : bs;
			ssize_t r = write(wfd, buf, n);

			if (r <= 0) {
				perror("write");
				_exit(1);
			}
			sent += r;
		}
		close(wfd);
		_exit(0);
	}
	if (wfd >= 0)
		close(wfd);
	if (read(sync[0], &c, 1) != 1)
		return 1;
	t0 = now();
	while (got < total) {
		ssize_t r = read(rfd, buf, bs);

		if (r <= 0) {
			fprintf(stderr, "read ended at %lld\n", got);
			return 1;
		}
		got += r;
	}
	printf("%.0f\n", total / (now() - t0) / 1e6);
	waitpid(pid, NULL, 0);
	return 0;
}
