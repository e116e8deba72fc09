// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-cpu: CPU time per GiB sent through one stream, by write(2) or by
 * dma-buf sends, in the guest.
 *
 *   dmabuf-cpu write|dmabuf WDEV RDEV TOTAL BS [NBUF]
 *
 * A child reads RDEV until TOTAL bytes arrived; the parent sends TOTAL bytes
 * to WDEV in BS-byte write(2)s from one user buffer, or in BS-byte sends
 * from NBUF (default 4) vgem buffers, reusing each only once its previous
 * send completed (what a camera does).  Buffers are filled once, before the
 * clock starts: the bytes are already there in both cases.
 *
 * Prints "MODE MB/s SENDER SYSTEM": MB/s (10^6 bytes per second), the
 * sender's own CPU seconds per GiB (getrusage: user + system, including the
 * kernel work done in its system calls) and the whole guest's busy CPU
 * seconds per GiB (/proc/stat: the receiver, kernel workers, the simulated
 * NHI's engine - which is where the simulator's stand-in for DMA copies a
 * dma-buf frame).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/tbstream.h>

#include "dmabuf-source.h"

#define MAX_BUFS 16

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* Busy CPU seconds of the whole machine so far (all CPUs). */
static double system_cpu(void)
{
	unsigned long long v[10] = {0}, busy = 0;
	FILE *f = fopen("/proc/stat", "r");
	int i;

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			 &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
		perror("/proc/stat");
		exit(1);
	}
	fclose(f);
	for (i = 0; i < 8; i++)
		if (i != 3 && i != 4) /* idle, iowait */
			busy += v[i];
	return busy / (double)sysconf(_SC_CLK_TCK);
}

static void receive(const char *dev, long long total, long long bs, int ready)
{
	char *buf = malloc(bs);
	long long got = 0;
	ssize_t r;
	int fd = open(dev, O_RDONLY);

	if (fd < 0 || !buf)
		_exit(1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	while (got < total) {
		r = read(fd, buf, bs);
		if (r <= 0)
			_exit(1);
		got += r;
	}
	_exit(0);
}

static int send_dmabuf(int fd, long long total, long long bs, const uint32_t *handles, int nbuf)
{
	uint64_t seqs[MAX_BUFS] = {0}, last = 0;
	struct tbstream_dmabuf_wait w;
	struct tbstream_dmabuf_send s;
	long long sent = 0;
	int i = 0;

	while (sent < total) {
		if (seqs[i]) {
			memset(&w, 0, sizeof(w));
			w.seq = seqs[i];
			w.timeout_ms = 10000;
			if (ioctl(fd, TBSTREAM_IOC_DMABUF_WAIT, &w) || w.completed < seqs[i]) {
				perror("wait");
				return -1;
			}
		}
		memset(&s, 0, sizeof(s));
		s.handle = handles[i];
		s.length = total - sent < bs ? total - sent : bs;
		if (ioctl(fd, TBSTREAM_IOC_DMABUF_SEND, &s) || s.queued != s.length) {
			perror("send");
			return -1;
		}
		seqs[i] = last = s.seq;
		sent += s.queued;
		i = (i + 1) % nbuf;
	}
	memset(&w, 0, sizeof(w));
	w.seq = last;
	w.timeout_ms = 10000;
	return ioctl(fd, TBSTREAM_IOC_DMABUF_WAIT, &w);
}

int main(int argc, char **argv)
{
	struct dmabuf_buf bufs[MAX_BUFS];
	uint32_t handles[MAX_BUFS];
	double t0, c0, s0, t, gib;
	long long total, bs, sent;
	int dmabuf, nbuf = 4, fd, drm, i, ready[2], status;
	char *buf = NULL, c;
	pid_t pid;

	if (argc < 6) {
		fprintf(stderr, "usage: dmabuf-cpu write|dmabuf WDEV RDEV TOTAL BS [NBUF]\n");
		return 2;
	}
	dmabuf = !strcmp(argv[1], "dmabuf");
	total = atoll(argv[4]);
	bs = atoll(argv[5]);
	if (argc > 6)
		nbuf = atoi(argv[6]);
	if (nbuf < 1 || nbuf > MAX_BUFS || bs <= 0 || total <= 0)
		return 2;

	fd = open(argv[2], O_WRONLY);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	if (dmabuf) {
		drm = dmabuf_vgem_open();
		for (i = 0; i < nbuf; i++) {
			struct tbstream_dmabuf_attach a = {0};

			if (drm < 0 || dmabuf_vgem_new(drm, bs, &bufs[i])) {
				perror("vgem");
				return 1;
			}
			dmabuf_cpu_begin(&bufs[i]);
			memset(bufs[i].map, 0x5a, bs);
			dmabuf_cpu_end(&bufs[i]);
			a.fd = bufs[i].fd;
			if (ioctl(fd, TBSTREAM_IOC_DMABUF_ATTACH, &a)) {
				perror("attach");
				return 1;
			}
			handles[i] = a.handle;
		}
	} else {
		buf = malloc(bs);
		if (!buf)
			return 1;
		memset(buf, 0x5a, bs);
	}

	if (pipe(ready))
		return 1;
	pid = fork();
	if (pid == 0)
		receive(argv[3], total, bs, ready[1]);
	if (read(ready[0], &c, 1) != 1)
		return 1;
	usleep(200000);

	t0 = now();
	c0 = self_cpu();
	s0 = system_cpu();
	if (dmabuf) {
		if (send_dmabuf(fd, total, bs, handles, nbuf))
			return 1;
	} else {
		for (sent = 0; sent < total; sent += bs) {
			if (write(fd, buf, bs) != bs) {
				perror("write");
				return 1;
			}
		}
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "receiver failed\n");
		return 1;
	}
	t = now() - t0;
	gib = total / (double)(1 << 30);
	printf("%s %.0f %.3f %.3f\n", argv[1], total / t / 1e6, (self_cpu() - c0) / gib,
	       (system_cpu() - s0) / gib);
	return 0;
}
