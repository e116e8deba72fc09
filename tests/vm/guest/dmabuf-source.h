/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmabuf-source.h: where the guest's test and benchmark programs get
 * dma-bufs from, with no libdrm in the guest: vgem dumb buffers exported
 * with PRIME (Debian's 6.1 and 6.12 both have vgem as a module), udmabuf
 * (6.12), and vgem's fences, which stand in for a producer still writing.
 * Every buffer is mapped for filling; fill between dmabuf_cpu_begin() and
 * dmabuf_cpu_end(), as with any dma-buf.
 */
#ifndef TBSTREAM_DMABUF_SOURCE_H
#define TBSTREAM_DMABUF_SOURCE_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>

/* The few DRM and vgem uapi definitions needed (include/uapi/drm/). */
struct dmabuf_drm_create_dumb {
	uint32_t height, width, bpp, flags, handle, pitch;
	uint64_t size;
};

struct dmabuf_drm_prime_handle {
	uint32_t handle, flags;
	int32_t fd;
};

struct dmabuf_vgem_fence_attach {
	uint32_t handle, flags, out_fence, pad;
};

struct dmabuf_vgem_fence_signal {
	uint32_t fence, flags;
};

#define DMABUF_DRM_CREATE_DUMB _IOWR('d', 0xB2, struct dmabuf_drm_create_dumb)
#define DMABUF_DRM_PRIME_TO_FD _IOWR('d', 0x2d, struct dmabuf_drm_prime_handle)
#define DMABUF_VGEM_FENCE_ATTACH _IOWR('d', 0x41, struct dmabuf_vgem_fence_attach)
#define DMABUF_VGEM_FENCE_SIGNAL _IOW('d', 0x42, struct dmabuf_vgem_fence_signal)
#define DMABUF_VGEM_FENCE_WRITE 0x1

/**
 * struct dmabuf_buf - a dma-buf and its CPU mapping
 * @fd: the dma-buf
 * @map: its mmap (read-write, shared)
 * @size: bytes
 * @gem: vgem's GEM handle (fences), 0 for udmabuf
 */
struct dmabuf_buf {
	int fd;
	uint8_t *map;
	uint64_t size;
	uint32_t gem;
};

static inline int dmabuf_map(struct dmabuf_buf *b)
{
	b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		return -1;
	}
	return 0;
}

/* vgem's DRM device (the first card: the guest has no other), or -1. */
static inline int dmabuf_vgem_open(void)
{
	return open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
}

/* A vgem dumb buffer of at least @size bytes, exported. 0 or -1 (errno). */
static inline int dmabuf_vgem_new(int drm, uint64_t size, struct dmabuf_buf *b)
{
	struct dmabuf_drm_create_dumb c = {0};
	struct dmabuf_drm_prime_handle p = {0};

	c.width = 1024; /* 4096-byte rows */
	c.bpp = 32;
	c.height = (size + 4095) / 4096;
	if (ioctl(drm, DMABUF_DRM_CREATE_DUMB, &c))
		return -1;
	p.handle = c.handle;
	p.flags = O_CLOEXEC | O_RDWR;
	if (ioctl(drm, DMABUF_DRM_PRIME_TO_FD, &p))
		return -1;
	b->fd = p.fd;
	b->size = c.size;
	b->gem = c.handle;
	return dmabuf_map(b);
}

/* A udmabuf over a sealed memfd of @size bytes (a page multiple). */
static inline int dmabuf_udmabuf_new(uint64_t size, struct dmabuf_buf *b)
{
	struct udmabuf_create c = {0};
	int dev, mfd, err;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -1;
	mfd = memfd_create("dmabuf-source", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, size) || fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		err = errno;
		goto out;
	}
	c.memfd = mfd;
	c.flags = UDMABUF_FLAGS_CLOEXEC;
	c.size = size;
	b->fd = ioctl(dev, UDMABUF_CREATE, &c);
	err = b->fd < 0 ? errno : 0;
out:
	if (mfd >= 0)
		close(mfd);
	close(dev);
	if (err) {
		errno = err;
		return -1;
	}
	b->size = size;
	b->gem = 0;
	return dmabuf_map(b);
}

static inline int dmabuf_cpu_sync(struct dmabuf_buf *b, uint64_t flags)
{
	struct dma_buf_sync s = {.flags = flags};

	return ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &s);
}

static inline int dmabuf_cpu_begin(struct dmabuf_buf *b)
{
	return dmabuf_cpu_sync(b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
}

static inline int dmabuf_cpu_end(struct dmabuf_buf *b)
{
	return dmabuf_cpu_sync(b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

/* An unsignalled write fence on a vgem buffer; its id, or -1. */
static inline int dmabuf_vgem_fence(int drm, struct dmabuf_buf *b)
{
	struct dmabuf_vgem_fence_attach f = {0};

	f.handle = b->gem;
	f.flags = DMABUF_VGEM_FENCE_WRITE;
	if (ioctl(drm, DMABUF_VGEM_FENCE_ATTACH, &f))
		return -1;
	return (int)f.out_fence;
}

static inline int dmabuf_vgem_signal(int drm, int fence)
{
	struct dmabuf_vgem_fence_signal s = {(uint32_t)fence, 0};

	return ioctl(drm, DMABUF_VGEM_FENCE_SIGNAL, &s);
}

#endif /* TBSTREAM_DMABUF_SOURCE_H */
