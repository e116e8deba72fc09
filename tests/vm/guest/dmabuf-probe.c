// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-probe: drive the dma-buf ioctls of /dev/tbstreamX one operation per
 * argument and print one line per operation, so VM tests compare text.
 *
 *   dmabuf-probe OP...
 *
 * Files and buffers
 *   open:DEV[,rdonly][,nonblock]  open a stream (write-only by default); it
 *                 becomes the current file: "open OK"
 *   close         close the current file: "close OK"
 *   use:N         make file N (0, 1, ... in opening order) current
 *   nonblock:0|1  O_NONBLOCK on the current file (prints nothing)
 *   vgem:SIZE     a new buffer: a vgem dumb buffer exported with PRIME:
 *                 "vgem OK" / "vgem ENOENT" (no vgem)
 *   udmabuf:SIZE  a new buffer from /dev/udmabuf (a sealed memfd)
 *   buf:N         make buffer N (0, 1, ... in creation order) current
 *   fill:SEED     write a pattern into the current buffer through its
 *                 mmap, bracketed by DMA_BUF_IOCTL_SYNC (prints nothing)
 *   closebuf      close the current buffer's fd and unmap it (an
 *                 attachment keeps the dma-buf alive): "closebuf OK"
 *   fence         attach an unsignalled vgem write fence to it: "fence OK"
 *   signal-after:MS  a child signals that fence MS ms later, after
 *                 creating /tmp/signalled (prints nothing)
 *
 * The ioctls (OPTS: comma-separated)
 *   info          "info abi=1 paths=direct|cpu max=64 frame=4096"
 *   attach[:OPTS] OPTS: any|direct|p2p|cpu (path), require, fd=bad|pipe,
 *                 flags=N, reserved, path=N.  "attach OK direct" /
 *                 "attach EOPNOTSUPP"
 *   query[:OPTS]  "query direct size=N segments=N sends=N"
 *   send:OFF:LEN[:OPTS]  OPTS: handle=N|foreign, flags=N, reserved.
 *                 "send OK queued=N" / "send ERANGE"; remembers the seq
 *   wait:SEQ:MS   SEQ a number or "last": "wait completed=N queued=N
 *                 status=OK" (status: OK, ENXIO, EPIPE)
 *   waitdone:MS   wait for the last send; "waitdone yes" / "waitdone no"
 *   detach[:OPTS] OPTS: handle=N|foreign. "detach OK"
 *   badioctl      an unknown command: "badioctl ENOTTY"
 *   poll:MS       poll(2) for PRI|OUT: "poll PRI|OUT" / "poll none"
 *   pollpri:MS    poll(2) for PRI only, same output
 *
 * Data
 *   record:FILE   from now on append every byte queued on the stream (by
 *                 send or write) to FILE, as it was when queued
 *   write:N:SEED  one write(2) of N pattern bytes: "write N"
 *   camera:NBUF:FRAMES:SIZE  a camera's loop: NBUF vgem buffers of SIZE
 *                 bytes; per frame, write(2) a 16-byte header, fill the next
 *                 buffer (waiting for its previous send to complete first)
 *                 and send it: "camera FRAMES OK"
 *
 * Misc
 *   live          "live attachments N sends N" (the module's counters)
 *   exists:PATH   "exists yes" / "exists no"
 *   cat:PATH      "cat " and the first line of PATH
 *   sleep:MS, touch:PATH, waitfile:PATH  (print nothing)
 *
 * The handle of the last attach on any file is "foreign" to every other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/tbstream.h>

#include "dmabuf-source.h"
#include "probe-util.h"

#define MAX_FILES 4
#define MAX_BUFS 8

/**
 * struct buffer - a dma-buf of the probe
 * @b: the buffer
 * @handle: its tbstream attachment, 0 if none
 * @seq: its last send
 * @fence: its vgem fence
 */
struct buffer {
	struct dmabuf_buf b;
	uint32_t handle;
	uint64_t seq;
	int fence;
};

static int files[MAX_FILES], nfiles, cur_file = -1;
static struct buffer bufs[MAX_BUFS];
static int nbufs, cur_buf = -1;
static int drm_fd = -1, record_fd = -1;
static uint32_t last_handle;
static uint64_t last_seq;

static uint8_t pattern(unsigned int seed, uint64_t i)
{
	return (uint8_t)((i * 31) ^ (i >> 9) ^ (seed * 0x9d));
}

static const char *path_name(uint32_t p)
{
	static const char *const names[] = {"any", "direct", "p2p", "cpu"};

	return p < 4 ? names[p] : "?";
}

static int cur(void)
{
	return cur_file >= 0 ? files[cur_file] : -1;
}

static void record(const void *data, size_t len)
{
	if (record_fd >= 0 && write(record_fd, data, len) != (ssize_t)len)
		perror("record");
}

static int new_buffer(int vgem, uint64_t size)
{
	struct buffer *b = &bufs[nbufs];

	if (nbufs == MAX_BUFS) {
		errno = ENOSPC;
		return -1;
	}
	memset(b, 0, sizeof(*b));
	if (vgem) {
		if (drm_fd < 0)
			drm_fd = dmabuf_vgem_open();
		if (drm_fd < 0 || dmabuf_vgem_new(drm_fd, size, &b->b))
			return -1;
	} else if (dmabuf_udmabuf_new(size, &b->b)) {
		return -1;
	}
	cur_buf = nbufs++;
	return 0;
}

static void fill(struct buffer *b, unsigned int seed)
{
	uint64_t i;

	dmabuf_cpu_begin(&b->b);
	for (i = 0; i < b->b.size; i++)
		b->b.map[i] = pattern(seed, i);
	dmabuf_cpu_end(&b->b);
}

/* Value of KEY=... in OPTS, or NULL; a bare KEY yields "". */
static const char *opt(const char *opts, const char *key)
{
	size_t kl = strlen(key);
	const char *p = opts;

	while (p && *p) {
		if (!strncmp(p, key, kl) && (p[kl] == '=' || p[kl] == ',' || !p[kl]))
			return p[kl] == '=' ? p + kl + 1 : "";
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return NULL;
}

static uint32_t opt_handle(const char *opts, uint32_t dflt)
{
	const char *h = opt(opts, "handle");

	if (!h)
		return dflt;
	if (!strncmp(h, "foreign", 7))
		return last_handle;
	return strtoul(h, NULL, 0);
}

static void do_attach(const char *opts)
{
	struct tbstream_dmabuf_attach a = {0};
	struct buffer *b = cur_buf >= 0 ? &bufs[cur_buf] : NULL;
	const char *v;
	int pfd[2] = {-1, -1};

	a.fd = b ? b->b.fd : -1;
	if (opt(opts, "direct"))
		a.path = TBSTREAM_PATH_DIRECT;
	else if (opt(opts, "p2p"))
		a.path = TBSTREAM_PATH_P2P;
	else if (opt(opts, "cpu"))
		a.path = TBSTREAM_PATH_CPU;
	if ((v = opt(opts, "path")))
		a.path = strtoul(v, NULL, 0);
	if (opt(opts, "require"))
		a.flags |= TBSTREAM_ATTACH_REQUIRE;
	if ((v = opt(opts, "flags")))
		a.flags = strtoul(v, NULL, 0);
	if (opt(opts, "reserved"))
		a.reserved[1] = 1;
	if ((v = opt(opts, "fd"))) {
		if (!strncmp(v, "pipe", 4)) {
			if (pipe(pfd))
				return;
			a.fd = pfd[0];
		} else {
			a.fd = 1000; /* not open */
		}
	}
	if (ioctl(cur(), TBSTREAM_IOC_DMABUF_ATTACH, &a)) {
		printf("attach %s\n", ename(errno));
	} else {
		printf("attach OK %s\n", path_name(a.path));
		if (b)
			b->handle = a.handle;
		last_handle = a.handle;
		if (b && a.size != b->b.size)
			printf("attach: size %llu, buffer %llu\n", (unsigned long long)a.size,
			       (unsigned long long)b->b.size);
	}
	if (pfd[0] >= 0) {
		close(pfd[0]);
		close(pfd[1]);
	}
}

static uint32_t own_handle(void)
{
	return cur_buf >= 0 ? bufs[cur_buf].handle : 0;
}

static void do_query(const char *opts)
{
	struct tbstream_dmabuf_query q = {0};

	q.handle = opt_handle(opts, own_handle());
	if (opt(opts, "reserved"))
		q.reserved[0] = 1;
	if (ioctl(cur(), TBSTREAM_IOC_DMABUF_QUERY, &q))
		printf("query %s\n", ename(errno));
	else
		printf("query %s size=%llu segments=%u sends=%u\n", path_name(q.path),
		       (unsigned long long)q.size, q.segments, q.sends);
}

/* Returns bytes queued, or -1 (errno set). */
static long send_range(uint32_t handle, uint64_t off, uint64_t len, const char *opts, uint64_t *seq)
{
	struct tbstream_dmabuf_send s = {0};
	struct buffer *b = cur_buf >= 0 ? &bufs[cur_buf] : NULL;
	const char *v;

	s.handle = handle;
	s.offset = off;
	s.length = len;
	if ((v = opt(opts, "flags")))
		s.flags = strtoul(v, NULL, 0);
	if (opt(opts, "reserved"))
		s.reserved[0] = 1;
	if (ioctl(cur(), TBSTREAM_IOC_DMABUF_SEND, &s))
		return -1;
	*seq = s.seq;
	last_seq = s.seq;
	if (b) {
		b->seq = s.seq;
		if (b->b.map && off + s.queued <= b->b.size)
			record(b->b.map + off, s.queued);
	}
	return (long)s.queued;
}

static int wait_seq(uint64_t seq, unsigned int ms, struct tbstream_dmabuf_wait *w)
{
	memset(w, 0, sizeof(*w));
	w->seq = seq;
	w->timeout_ms = ms;
	return ioctl(cur(), TBSTREAM_IOC_DMABUF_WAIT, w);
}

static const char *status_name(int st)
{
	return st ? ename(-st) : "OK";
}

static void do_write(long n, unsigned int seed)
{
	static uint8_t data[1 << 20];
	long i;
	ssize_t r;

	if (n > (long)sizeof(data))
		n = sizeof(data);
	for (i = 0; i < n; i++)
		data[i] = pattern(seed, i) ^ 0x5a;
	r = write(cur(), data, n);
	if (r < 0) {
		printf("write %s\n", ename(errno));
		return;
	}
	record(data, r);
	printf("write %zd\n", r);
}

static void do_camera(int nbuf, int frames, uint64_t size)
{
	struct tbstream_dmabuf_wait w;
	struct tbstream_dmabuf_attach a;
	int first = nbufs, i;
	uint64_t seq;
	char hdr[32];

	for (i = 0; i < nbuf; i++) {
		if (new_buffer(1, size)) {
			printf("camera vgem %s\n", ename(errno));
			return;
		}
		memset(&a, 0, sizeof(a));
		a.fd = bufs[nbufs - 1].b.fd;
		if (ioctl(cur(), TBSTREAM_IOC_DMABUF_ATTACH, &a)) {
			printf("camera attach %s\n", ename(errno));
			return;
		}
		bufs[nbufs - 1].handle = a.handle;
	}
	for (i = 0; i < frames; i++) {
		struct buffer *b = &bufs[first + i % nbuf];

		cur_buf = b - bufs;
		if (b->seq) {
			/* A camera may refill a buffer only once it has left. */
			if (wait_seq(b->seq, 10000, &w) || w.completed < b->seq) {
				printf("camera frame %d: not completed (%s)\n", i,
				       status_name(w.status));
				return;
			}
		}
		snprintf(hdr, sizeof(hdr), "frame %9u\n", (unsigned int)i % 1000000000u);
		if (write(cur(), hdr, 16) != 16) {
			printf("camera write %s\n", ename(errno));
			return;
		}
		record(hdr, 16);
		fill(b, i);
		if (send_range(b->handle, 0, b->b.size, "", &seq) != (long)b->b.size) {
			printf("camera send %s\n", ename(errno));
			return;
		}
	}
	printf("camera %d OK\n", frames);
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: dmabuf-probe OP...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 1; i < argc; i++) {
		char *op = argv[i], *arg = strchr(op, ':');
		char *arg2 = NULL, *arg3 = NULL;
		long n = 0;

		if (arg) {
			*arg++ = '\0';
			n = strtol(arg, NULL, 0);
			arg2 = strchr(arg, ':');
			if (arg2) {
				*arg2++ = '\0';
				arg3 = strchr(arg2, ':');
				if (arg3)
					*arg3++ = '\0';
			}
		}
		if (!strcmp(op, "open")) {
			int flags = strstr(arg, "rdonly") ? O_RDONLY : O_WRONLY;
			char *comma = strchr(arg, ',');

			if (strstr(arg, "nonblock"))
				flags |= O_NONBLOCK;
			if (comma)
				*comma = '\0';
			if (nfiles == MAX_FILES)
				return 2;
			files[nfiles] = open(arg, flags);
			printf("open %s\n", files[nfiles] < 0 ? ename(errno) : "OK");
			cur_file = nfiles++;
		} else if (!strcmp(op, "use")) {
			cur_file = n;
		} else if (!strcmp(op, "close")) {
			printf("close %s\n", close(cur()) ? ename(errno) : "OK");
		} else if (!strcmp(op, "nonblock")) {
			int fl = fcntl(cur(), F_GETFL);

			fcntl(cur(), F_SETFL, n ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
		} else if (!strcmp(op, "vgem")) {
			printf("vgem %s\n", new_buffer(1, n) ? ename(errno) : "OK");
		} else if (!strcmp(op, "udmabuf")) {
			printf("udmabuf %s\n", new_buffer(0, n) ? ename(errno) : "OK");
		} else if (!strcmp(op, "buf")) {
			cur_buf = n;
		} else if (!strcmp(op, "fill")) {
			fill(&bufs[cur_buf], n);
		} else if (!strcmp(op, "closebuf")) {
			struct buffer *b = &bufs[cur_buf];

			munmap(b->b.map, b->b.size);
			b->b.map = NULL;
			printf("closebuf %s\n", close(b->b.fd) ? ename(errno) : "OK");
		} else if (!strcmp(op, "fence")) {
			struct buffer *b = &bufs[cur_buf];

			b->fence = dmabuf_vgem_fence(drm_fd, &b->b);
			printf("fence %s\n", b->fence < 0 ? ename(errno) : "OK");
		} else if (!strcmp(op, "signal-after")) {
			struct buffer *b = &bufs[cur_buf];

			if (fork() == 0) {
				msleep(n);
				close(open("/tmp/signalled", O_CREAT | O_WRONLY, 0644));
				_exit(dmabuf_vgem_signal(drm_fd, b->fence) ? 1 : 0);
			}
		} else if (!strcmp(op, "info")) {
			struct tbstream_info in = {0};

			if (ioctl(cur(), TBSTREAM_IOC_INFO, &in)) {
				printf("info %s\n", ename(errno));
			} else {
				printf("info abi=%u paths=", in.abi_version);
				for (uint32_t p = 1, sep = 0; p < 32; p++) {
					if (in.paths & TBSTREAM_PATH_BIT(p)) {
						printf("%s%s", sep ? "|" : "", path_name(p));
						sep = 1;
					}
				}
				printf(" max=%u frame=%u\n", in.max_attachments, in.frame_size);
			}
		} else if (!strcmp(op, "attach")) {
			do_attach(arg ? arg : "");
		} else if (!strcmp(op, "query")) {
			do_query(arg ? arg : "");
		} else if (!strcmp(op, "send")) {
			uint64_t seq;
			long r = send_range(opt_handle(arg3, own_handle()), n,
					    arg2 ? strtoull(arg2, NULL, 0) : 0, arg3 ? arg3 : "",
					    &seq);

			if (r < 0)
				printf("send %s\n", ename(errno));
			else
				printf("send OK queued=%ld\n", r);
		} else if (!strcmp(op, "wait")) {
			struct tbstream_dmabuf_wait w;
			uint64_t seq = strcmp(arg, "last") ? (uint64_t)n : last_seq;

			if (wait_seq(seq, arg2 ? strtoul(arg2, NULL, 0) : 0, &w))
				printf("wait %s\n", ename(errno));
			else
				printf("wait completed=%llu queued=%llu status=%s\n",
				       (unsigned long long)w.completed,
				       (unsigned long long)w.queued, status_name(w.status));
		} else if (!strcmp(op, "waitdone")) {
			struct tbstream_dmabuf_wait w;

			if (wait_seq(last_seq, n, &w))
				printf("waitdone %s\n", ename(errno));
			else
				printf("waitdone %s\n", w.completed >= last_seq ? "yes" : "no");
		} else if (!strcmp(op, "detach")) {
			struct tbstream_dmabuf_detach d = {0};

			d.handle = opt_handle(arg, own_handle());
			if (arg && opt(arg, "reserved"))
				d.reserved[0] = 1;
			printf("detach %s\n",
			       ioctl(cur(), TBSTREAM_IOC_DMABUF_DETACH, &d) ? ename(errno) : "OK");
		} else if (!strcmp(op, "badioctl")) {
			int dummy = 0;

			printf("badioctl %s\n",
			       ioctl(cur(), _IOWR(TBSTREAM_IOC_MAGIC, 0x7f, int), &dummy)
				       ? ename(errno)
				       : "OK");
		} else if (!strcmp(op, "poll") || !strcmp(op, "pollpri")) {
			struct pollfd p = {cur(), POLLPRI, 0};
			int r;

			if (!strcmp(op, "poll"))
				p.events |= POLLOUT;
			r = poll(&p, 1, n);
			if (r <= 0)
				printf("poll none\n");
			else
				printf("poll %s%s%s\n", p.revents & POLLPRI ? "PRI" : "",
				       (p.revents & POLLPRI) && (p.revents & POLLOUT) ? "|" : "",
				       p.revents & POLLOUT ? "OUT" : "");
		} else if (!strcmp(op, "record")) {
			record_fd = open(arg, O_WRONLY | O_CREAT | O_APPEND, 0644);
		} else if (!strcmp(op, "write")) {
			do_write(n, arg2 ? strtoul(arg2, NULL, 0) : 0);
		} else if (!strcmp(op, "camera")) {
			do_camera(n, arg2 ? atoi(arg2) : 1, arg3 ? strtoull(arg3, NULL, 0) : 4096);
		} else if (!strcmp(op, "live")) {
			char line[128] = "";
			FILE *f = fopen("/sys/kernel/debug/tbstream/live_dmabuf", "r");

			if (f && fgets(line, sizeof(line), f))
				line[strcspn(line, "\n")] = '\0';
			if (f)
				fclose(f);
			printf("live %s\n", line);
		} else if (!strcmp(op, "cat")) {
			char line[256] = "";
			FILE *f = fopen(arg, "r");

			if (f && fgets(line, sizeof(line), f))
				line[strcspn(line, "\n")] = '\0';
			if (f)
				fclose(f);
			printf("cat %s\n", line);
		} else if (!strcmp(op, "exists")) {
			struct stat st;

			printf("exists %s\n", stat(arg, &st) ? "no" : "yes");
		} else if (!strcmp(op, "sleep")) {
			msleep(n);
		} else if (!strcmp(op, "touch")) {
			close(open(arg, O_CREAT | O_WRONLY, 0644));
		} else if (!strcmp(op, "waitfile")) {
			struct stat st;
			int t;

			for (t = 0; t < 200 && stat(arg, &st); t++)
				msleep(100);
		} else {
			fprintf(stderr, "dmabuf-probe: unknown op %s\n", op);
			return 2;
		}
	}
	return 0;
}
