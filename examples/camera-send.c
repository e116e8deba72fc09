// SPDX-License-Identifier: GPL-2.0
/*
 * camera-send: lend a camera to the machine at the other end of the cable,
 * without the CPU touching a pixel.
 *
 *   camera-send [-n FRAMES] [-s WIDTHxHEIGHT] [-t FILE] VIDEO STREAM
 *
 * The V4L2 capture device VIDEO fills its buffers by DMA; each buffer is
 * exported as a dma-buf (VIDIOC_EXPBUF) and attached to the tbstream device
 * STREAM once.  Every captured frame is then queued for transmission
 * straight from its buffer, and the buffer goes back to the camera only when
 * the stream says the frame has left (EPOLLPRI + TBSTREAM_IOC_DMABUF_WAIT).
 * The peer reads raw frames, back to back, with plain read(2):
 *
 *   gst-launch-1.0 filesrc location=/dev/tbstream0 blocksize=FRAMESIZE !
 *       rawvideoparse width=W height=H format=yuy2 ! videoconvert ! autovideosink
 *
 * -n   stop after FRAMES frames (default: run until interrupted)
 * -s   ask the camera for this size (it keeps its pixel format)
 * -t   also write every frame sent to FILE (through a mapping of the
 *      camera's buffer: a debugging aid that costs the copy it writes)
 *
 * See examples/README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/tbstream.h>
#include <linux/videodev2.h>

#define NBUF 4

struct camera_buffer {
	int dmabuf;	 /* the exported buffer */
	uint32_t handle; /* its attachment to the stream */
	uint64_t seq;	 /* its frame in flight, 0 if with the camera */
	void *map;	 /* -t only */
	size_t length;
};

static struct camera_buffer bufs[NBUF];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR && !stop);
	return r;
}

static int queue_to_camera(int vfd, unsigned int i)
{
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
		.index = i,
	};

	bufs[i].seq = 0;
	if (xioctl(vfd, VIDIOC_QBUF, &b)) {
		perror("VIDIOC_QBUF");
		return -1;
	}
	return 0;
}

/*
 * Give the camera back every buffer whose frame has left, after waiting up
 * to @timeout_ms for frame @seq (0: no wait); how many went back.
 */
static int return_sent(int vfd, int sfd, unsigned int timeout_ms, uint64_t seq)
{
	struct tbstream_dmabuf_wait w = {.seq = seq, .timeout_ms = timeout_ms};
	int n = 0;
	unsigned int i;

	if (xioctl(sfd, TBSTREAM_IOC_DMABUF_WAIT, &w)) {
		perror("TBSTREAM_IOC_DMABUF_WAIT");
		return -1;
	}
	if (w.status) {
		fprintf(stderr, "camera-send: stream gone: %s\n", strerror(-w.status));
		return -1;
	}
	for (i = 0; i < NBUF; i++) {
		if (bufs[i].seq && bufs[i].seq <= w.completed) {
			if (queue_to_camera(vfd, i))
				return -1;
			n++;
		}
	}
	return n;
}

static uint64_t newest_in_flight(void)
{
	uint64_t newest = 0;
	unsigned int i;

	for (i = 0; i < NBUF; i++)
		if (bufs[i].seq > newest)
			newest = bufs[i].seq;
	return newest;
}

static int setup_camera(int vfd, int sfd, const char *size, int tee, struct v4l2_format *fmt)
{
	static const char *const paths[] = {"any", "direct", "p2p", "cpu"};
	struct v4l2_requestbuffers req = {
		.count = NBUF,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	unsigned int i;

	fmt->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (xioctl(vfd, VIDIOC_G_FMT, fmt)) {
		perror("VIDIOC_G_FMT");
		return -1;
	}
	if (size && sscanf(size, "%ux%u", &fmt->fmt.pix.width, &fmt->fmt.pix.height) == 2 &&
	    xioctl(vfd, VIDIOC_S_FMT, fmt)) {
		perror("VIDIOC_S_FMT");
		return -1;
	}
	if (xioctl(vfd, VIDIOC_REQBUFS, &req) || req.count != NBUF) {
		fprintf(stderr, "camera-send: the camera gives %u buffers, not %d\n", req.count,
			NBUF);
		return -1;
	}
	for (i = 0; i < NBUF; i++) {
		struct v4l2_exportbuffer exp = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.index = i,
			.flags = O_RDONLY | O_CLOEXEC,
		};
		struct tbstream_dmabuf_attach a = {0};
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};

		if (xioctl(vfd, VIDIOC_EXPBUF, &exp) || xioctl(vfd, VIDIOC_QUERYBUF, &b)) {
			perror("VIDIOC_EXPBUF");
			return -1;
		}
		bufs[i].dmabuf = exp.fd;
		bufs[i].length = b.length;
		if (tee) {
			bufs[i].map = mmap(NULL, b.length, PROT_READ, MAP_SHARED, vfd, b.m.offset);
			if (bufs[i].map == MAP_FAILED) {
				perror("mmap");
				return -1;
			}
		}
		a.fd = exp.fd;
		if (xioctl(sfd, TBSTREAM_IOC_DMABUF_ATTACH, &a)) {
			perror("TBSTREAM_IOC_DMABUF_ATTACH");
			return -1;
		}
		bufs[i].handle = a.handle;
		fprintf(stderr, "camera-send: buffer %u: %llu bytes, path %s\n", i,
			(unsigned long long)a.size, a.path < 4 ? paths[a.path] : "?");
		if (queue_to_camera(vfd, i))
			return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: camera-send [-n FRAMES] [-s WIDTHxHEIGHT] [-t FILE] VIDEO STREAM\n");
	exit(2);
}

int main(int argc, char **argv)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	long frames = -1, sent = 0;
	const char *size = NULL, *tee = NULL;
	struct v4l2_format fmt = {0};
	int vfd, sfd, tfd = -1, with_camera = NBUF, opt, ret = 1;

	while ((opt = getopt(argc, argv, "n:s:t:")) != -1) {
		switch (opt) {
		case 'n':
			frames = strtol(optarg, NULL, 0);
			break;
		case 's':
			size = optarg;
			break;
		case 't':
			tee = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	vfd = open(argv[optind], O_RDWR | O_CLOEXEC);
	sfd = open(argv[optind + 1], O_WRONLY | O_CLOEXEC);
	if (vfd < 0 || sfd < 0) {
		perror(vfd < 0 ? argv[optind] : argv[optind + 1]);
		return 1;
	}
	if (tee) {
		tfd = open(tee, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (tfd < 0) {
			perror(tee);
			return 1;
		}
	}
	if (setup_camera(vfd, sfd, size, tee != NULL, &fmt))
		return 1;
	fprintf(stderr, "camera-send: %ux%u %.4s, %u bytes per frame\n", fmt.fmt.pix.width,
		fmt.fmt.pix.height, (const char *)&fmt.fmt.pix.pixelformat, fmt.fmt.pix.sizeimage);
	if (xioctl(vfd, VIDIOC_STREAMON, &type)) {
		perror("VIDIOC_STREAMON");
		return 1;
	}

	while (!stop && (frames < 0 || sent < frames)) {
		/* vb2 reports POLLERR while the camera has no buffer to fill. */
		struct pollfd p[2] = {
			{.fd = sfd, .events = POLLPRI},
			{.fd = vfd, .events = POLLIN},
		};
		struct tbstream_dmabuf_send s = {0};
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
		};
		int n;

		if (poll(p, with_camera ? 2 : 1, 5000) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			goto out;
		}
		if (p[0].revents & (POLLPRI | POLLERR | POLLHUP)) {
			n = return_sent(vfd, sfd, 0, 0);
			if (n < 0)
				goto out;
			with_camera += n;
		}
		if (!with_camera || !(p[1].revents & POLLIN))
			continue;

		if (xioctl(vfd, VIDIOC_DQBUF, &b)) {
			perror("VIDIOC_DQBUF");
			goto out;
		}
		with_camera--;
		s.handle = bufs[b.index].handle;
		s.length = b.bytesused;
		if (xioctl(sfd, TBSTREAM_IOC_DMABUF_SEND, &s) || s.queued != s.length) {
			perror("TBSTREAM_IOC_DMABUF_SEND");
			goto out;
		}
		bufs[b.index].seq = s.seq;
		if (tfd >= 0 &&
		    write(tfd, bufs[b.index].map, b.bytesused) != (ssize_t)b.bytesused) {
			perror(tee);
			goto out;
		}
		sent++;
	}
	/* Let the last frames leave before the buffers go. */
	if (newest_in_flight() && return_sent(vfd, sfd, 10000, newest_in_flight()) < 0)
		goto out;
	ret = 0;
	fprintf(stderr, "camera-send: %ld frames sent\n", sent);
out:
	xioctl(vfd, VIDIOC_STREAMOFF, &type);
	return ret;
}
