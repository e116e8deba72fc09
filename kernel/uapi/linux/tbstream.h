/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tbstream: ioctls of /dev/tbstreamX, for sending from dma-bufs.
 *
 * A stream sends the bytes of a dma-buf (a camera's V4L2 buffer, a GPU's
 * render target, a udmabuf) without copying them through user space: attach
 * the buffer once, queue byte ranges of it, learn when each has left so the
 * buffer may be reused, detach.  The peer sees ordinary DATA frames, in the
 * order of every write(2) and send on the stream.
 *
 * Rules of the ABI:
 *  - every struct has a fixed size (a multiple of 8, __u64 on 8-byte
 *    offsets: the same layout for 32- and 64-bit callers); the size is part
 *    of the ioctl number, so a grown struct is a new ioctl and the old one
 *    stays;
 *  - fields named reserved must be zero, unknown flags are refused: both
 *    are EINVAL, so they can gain a meaning later;
 *  - out fields are ignored on entry;
 *  - a failed ioctl changes nothing.
 *
 * See kernel/README.md ("Sending from dma-bufs") for errors and semantics.
 */
#ifndef _UAPI_LINUX_TBSTREAM_H
#define _UAPI_LINUX_TBSTREAM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define TBSTREAM_IOC_MAGIC		0xE4
#define TBSTREAM_ABI_VERSION		1

/*
 * How a dma-buf's bytes reach the wire.  The stream offers what its fabric
 * can do; each attachment records what it got.
 *  DIRECT  the buffer is mapped for the host interface's DMA device and
 *          frames point into it: no CPU copy
 *  P2P     the same, for memory of another PCIe device (a GPU's VRAM):
 *          only where the exporter and the platform allow peer-to-peer
 *  CPU     the buffer is mapped into the kernel and copied into frames: one
 *          copy, as write(2) has, but no trip through user space
 */
#define TBSTREAM_PATH_ANY		0	/* attach: no preference */
#define TBSTREAM_PATH_DIRECT		1
#define TBSTREAM_PATH_P2P		2
#define TBSTREAM_PATH_CPU		3
#define TBSTREAM_PATH_BIT(path)		(1U << (path))

/**
 * struct tbstream_info - what the stream offers
 * @abi_version: out: %TBSTREAM_ABI_VERSION
 * @paths: out: the paths this stream can use, %TBSTREAM_PATH_BIT()s
 * @max_attachments: out: dma-bufs attached to one open stream at most
 * @frame_size: out: the largest frame (a send is cut into frames no larger)
 * @reserved: zero
 */
struct tbstream_info {
	__u32 abi_version;
	__u32 paths;
	__u32 max_attachments;
	__u32 frame_size;
	__u64 reserved[4];
};

/* Fail rather than fall back when @path cannot be had. */
#define TBSTREAM_ATTACH_REQUIRE		0x00000001U
#define TBSTREAM_ATTACH_FLAGS		TBSTREAM_ATTACH_REQUIRE

/**
 * struct tbstream_dmabuf_attach - attach a dma-buf to the open stream
 * @fd: in: the dma-buf's file descriptor (the stream keeps its own
 *	reference: the fd may be closed afterwards)
 * @flags: in: %TBSTREAM_ATTACH_REQUIRE or 0
 * @path: in: the path wanted (%TBSTREAM_PATH_ANY: the best that works);
 *	without REQUIRE it is tried first and the others follow in the
 *	order DIRECT, P2P, CPU.  out: the path the attachment uses
 * @handle: out: names the attachment in later ioctls on this file only
 * @size: out: bytes of the dma-buf
 * @reserved: zero
 */
struct tbstream_dmabuf_attach {
	__s32 fd;
	__u32 flags;
	__u32 path;
	__u32 handle;
	__u64 size;
	__u64 reserved[2];
};

/**
 * struct tbstream_dmabuf_query - what an attachment got
 * @handle: in: the attachment
 * @path: out: its path
 * @size: out: bytes of the dma-buf
 * @segments: out: DMA segments of its mapping (DIRECT, P2P); 0 for CPU, or
 *	once the stream is gone (the mapping is released then)
 * @sends: out: its sends that have not completed
 * @reserved: zero
 */
struct tbstream_dmabuf_query {
	__u32 handle;
	__u32 path;
	__u64 size;
	__u32 segments;
	__u32 sends;
	__u64 reserved[2];
};

/**
 * struct tbstream_dmabuf_send - queue bytes of an attached dma-buf
 * @handle: in: the attachment
 * @flags: in: zero
 * @offset: in: first byte of the range in the buffer
 * @length: in: bytes to send, > 0; @offset + @length <= size
 * @seq: out: the send's sequence number (> 0), see &struct
 *	tbstream_dmabuf_wait; valid when @queued > 0
 * @queued: out: bytes queued: @length, or fewer when a signal or
 *	O_NONBLOCK stopped the send after it queued some (as write(2))
 * @reserved: zero
 *
 * Write fences of the buffer are waited for first.  The buffer's bytes are
 * read until the send completes: change them only afterwards.
 */
struct tbstream_dmabuf_send {
	__u32 handle;
	__u32 flags;
	__u64 offset;
	__u64 length;
	__u64 seq;
	__u64 queued;
	__u64 reserved[2];
};

/**
 * struct tbstream_dmabuf_wait - learn which sends have completed
 * @seq: in: wait until the send numbered @seq has completed; 0: do not wait
 * @timeout_ms: in: wait at most this long (0: do not wait)
 * @flags: in: zero
 * @completed: out: every send numbered <= @completed has completed: its
 *	frames have left the buffer, which may be reused
 * @queued: out: the number of the last send queued on the stream
 * @status: out: 0, or -ENXIO (unplugged) / -EPIPE (stream removed) once the
 *	stream is gone: every send has then completed, and those that had not
 *	left by then never will
 * @reserved0: zero
 * @reserved: zero
 *
 * Returns 0 when the wait ends (done, timed out or stream gone): compare
 * @completed.  Sends complete in order.  poll(2) reports EPOLLPRI while
 * sends have completed that no wait has reported yet.
 */
struct tbstream_dmabuf_wait {
	__u64 seq;
	__u32 timeout_ms;
	__u32 flags;
	__u64 completed;
	__u64 queued;
	__s32 status;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct tbstream_dmabuf_detach - detach a dma-buf
 * @handle: in: the attachment; the handle is invalid afterwards
 * @flags: in: zero
 * @reserved: zero
 *
 * Returns at once; the mapping is released when the attachment's last
 * frame has left (or the stream is gone).
 */
struct tbstream_dmabuf_detach {
	__u32 handle;
	__u32 flags;
	__u64 reserved[2];
};

#define TBSTREAM_IOC_INFO \
	_IOWR(TBSTREAM_IOC_MAGIC, 0x00, struct tbstream_info)
#define TBSTREAM_IOC_DMABUF_ATTACH \
	_IOWR(TBSTREAM_IOC_MAGIC, 0x01, struct tbstream_dmabuf_attach)
#define TBSTREAM_IOC_DMABUF_QUERY \
	_IOWR(TBSTREAM_IOC_MAGIC, 0x02, struct tbstream_dmabuf_query)
#define TBSTREAM_IOC_DMABUF_SEND \
	_IOWR(TBSTREAM_IOC_MAGIC, 0x03, struct tbstream_dmabuf_send)
#define TBSTREAM_IOC_DMABUF_WAIT \
	_IOWR(TBSTREAM_IOC_MAGIC, 0x04, struct tbstream_dmabuf_wait)
#define TBSTREAM_IOC_DMABUF_DETACH \
	_IOWR(TBSTREAM_IOC_MAGIC, 0x05, struct tbstream_dmabuf_detach)

#endif /* _UAPI_LINUX_TBSTREAM_H */
