// SPDX-License-Identifier: GPL-2.0
/*
 * kernel-throughput: one-way throughput of a transport, in the guest.
 *
 *   kernel-throughput pipe|socketpair BS TOTAL
 *   kernel-throughput stream BS TOTAL WRITEDEV READDEV
 *   kernel-throughput tcp BS TOTAL ADDR NSPID
 *
 * A child writes TOTAL bytes in BS-byte write(2)s, the parent reads them
 * with BS-byte read(2)s; prints "MB/s CPU" measured from the first write
 * to the last byte read: MB/s in 10^6 bytes per second, CPU the whole
 * guest's busy time (every CPU's user, system, irq and softirq in
 * /proc/stat) in seconds per GiB moved.  The whole guest's, because a
 * transport's cost is spread over both processes, interrupt handlers and
 * kernel workers; so nothing else should run beside it.
 *
 * tcp: the reader joins the network namespace of process NSPID and listens
 * there; the writer connects to ADDR from the namespace it was started in,
 * so with each end of a link in its own namespace the bytes cross the link
 * rather than the loopback.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
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

/* The guest's busy CPU so far, in clock ticks. */
static long long busy_ticks(void)
{
	long long user, nice, sys, idle, iowait, irq, softirq;
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld", &user, &nice, &sys, &idle, &iowait,
		   &irq, &softirq);
	fclose(f);
	return n == 7 ? user + nice + sys + irq + softirq : -1;
}

#define TCP_PORT 5202

/* In the namespace of @nspid: a listening socket on TCP_PORT. */
static int tcp_listen(const char *nspid)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(TCP_PORT)};
	char path[64];
	int ns, s, one = 1;

	snprintf(path, sizeof(path), "/proc/%s/ns/net", nspid);
	ns = open(path, O_RDONLY);
	if (ns < 0 || setns(ns, CLONE_NEWNET)) {
		perror(path);
		return -1;
	}
	close(ns);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 1)) {
		perror("listen");
		return -1;
	}
	return s;
}

static int tcp_connect(const char *addr)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(TCP_PORT)};
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		perror(addr);
		return -1;
	}
	return s;
}

int main(int argc, char **argv)
{
	long long bs, total, got = 0, busy0;
	int rfd, wfd, fds[2], sync[2], listener, tcp;
	double t0, secs;
	char *buf, c;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: kernel-throughput pipe|socketpair|stream|tcp BS TOTAL "
				"[WDEV RDEV | ADDR NSPID]\n");
		return 2;
	}
	tcp = !strcmp(argv[1], "tcp");
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
	} else if (tcp && argc == 6) {
		rfd = -1;
		wfd = -1;
	} else if (!strcmp(argv[1], "stream") && argc == 6) {
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

		if (rfd >= 0)
			close(rfd);
		if (tcp) {
			/* after the parent listens */
			if (read(sync[0], &c, 1) != 1)
				_exit(1);
			wfd = tcp_connect(argv[4]);
			if (wfd < 0)
				_exit(1);
		} else if (wfd < 0) {
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
	if (tcp) {
		listener = tcp_listen(argv[5]);
		if (listener < 0 || write(sync[1], "l", 1) != 1) {
			kill(pid, SIGKILL);
			return 1;
		}
		rfd = accept(listener, NULL, NULL);
		if (rfd < 0) {
			perror("accept");
			return 1;
		}
	}
	if (read(sync[0], &c, 1) != 1)
		return 1;
	busy0 = busy_ticks();
	t0 = now();
	while (got < total) {
		ssize_t r = read(rfd, buf, bs);

		if (r <= 0) {
			fprintf(stderr, "read ended at %lld\n", got);
			return 1;
		}
		got += r;
	}
	secs = now() - t0;
	printf("%.0f %.2f\n", total / secs / 1e6,
	       (double)(busy_ticks() - busy0) / sysconf(_SC_CLK_TCK) / (total / 1073741824.0));
	waitpid(pid, NULL, 0);
	return 0;
}
