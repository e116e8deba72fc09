// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream: how a dma-buf attached to a stream is reached, negotiated per
 * attachment.
 *
 * Modelled on the dma-buf "private interconnect" proposal: the importer (the
 * stream) states what it can use, the exporter accepts or refuses each, and
 * the attachment records the outcome, as PCIe peer-to-peer is negotiated.
 * Nothing of that proposal exists in 6.1 or 6.12, so the stream tries the
 * mappings those kernels have, best first, and lets the exporter's answer
 * decide:
 *   DIRECT  dma_buf_attach() to the fabric's DMA device + map: frames point
 *           into the buffer's DMA segments;
 *   P2P     dma_buf_dynamic_attach() with allow_peer2peer, pinned: only a
 *           dynamic exporter (one that can place buffers in device memory)
 *           that kept peer2peer set, and only if the fabric says its DMA
 *           device can reach PCIe peers (tbs_port_ops.dma_p2p);
 *   CPU     dma_buf_vmap(): the buffer is copied into the frames' own
 *           buffers.
 * A path the stream does not offer is never tried; a required path that is
 * not offered is EOPNOTSUPP, one the exporter refuses is EMEDIUMTYPE.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/iosys-map.h>
#include <linux/scatterlist.h>

#include "compat.h"
#include "tbstream.h"
#include "uapi/linux/tbstream.h"

/**
 * struct tbs_dmabuf_path - one way of reaching a dma-buf's bytes
 * @name: for messages
 * @map: make the mapping for @dev; 0 or a negative errno
 * @unmap: release it
 */
struct tbs_dmabuf_path {
	const char *name;
	int (*map)(struct tbs_dmabuf *att, struct device *dev);
	void (*unmap)(struct tbs_dmabuf *att);
};

/* The exporter's table must cover the buffer: frames are cut from it. */
static int tbs_dmabuf_check_sgt(struct tbs_dmabuf *att, struct sg_table *sgt)
{
	struct scatterlist *sg;
	u64 total = 0;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i)
		total += sg_dma_len(sg);
	if (total < att->dmabuf->size)
		return -EINVAL;
	att->sgt = sgt;
	att->nsegs = sgt->nents;
	return 0;
}

static int tbs_dmabuf_direct_map(struct tbs_dmabuf *att, struct device *dev)
{
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	int ret;

	attach = dma_buf_attach(att->dmabuf, dev);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_TO_DEVICE);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto err_detach;
	}
	ret = tbs_dmabuf_check_sgt(att, sgt);
	if (ret)
		goto err_unmap;
	att->attach = attach;
	return 0;

err_unmap:
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_TO_DEVICE);
err_detach:
	dma_buf_detach(att->dmabuf, attach);
	return ret;
}

static void tbs_dmabuf_direct_unmap(struct tbs_dmabuf *att)
{
	dma_buf_unmap_attachment_unlocked(att->attach, att->sgt, DMA_TO_DEVICE);
	dma_buf_detach(att->dmabuf, att->attach);
}

/*
 * The buffer stays pinned while attached, so an exporter has no business
 * moving it; frames may be in flight, so nothing can be done but say so.
 */
static void tbs_dmabuf_move_notify(struct dma_buf_attachment *attach)
{
	struct tbs_dmabuf *att = attach->importer_priv;

	pr_warn_ratelimited("dma-buf from %s moved while pinned for peer-to-peer\n",
			    att->dmabuf->exp_name);
}

static const struct dma_buf_attach_ops tbs_dmabuf_p2p_ops = {
	.allow_peer2peer = true,
	.tbs_move_notify = tbs_dmabuf_move_notify,
};

static int tbs_dmabuf_p2p_map(struct tbs_dmabuf *att, struct device *dev)
{
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	int ret;

	/* A static exporter's buffers are system memory: that is DIRECT. */
	if (!dma_buf_is_dynamic(att->dmabuf))
		return -EOPNOTSUPP;
	attach = dma_buf_dynamic_attach(att->dmabuf, dev, &tbs_dmabuf_p2p_ops,
					att);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	if (!attach->peer2peer) {
		ret = -EOPNOTSUPP;
		goto err_detach;
	}
	dma_resv_lock(att->dmabuf->resv, NULL);
	ret = dma_buf_pin(attach);
	if (ret)
		goto err_unlock;
	sgt = dma_buf_map_attachment(attach, DMA_TO_DEVICE);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto err_unpin;
	}
	ret = tbs_dmabuf_check_sgt(att, sgt);
	if (ret)
		goto err_unmap;
	dma_resv_unlock(att->dmabuf->resv);
	att->attach = attach;
	return 0;

err_unmap:
	dma_buf_unmap_attachment(attach, sgt, DMA_TO_DEVICE);
err_unpin:
	dma_buf_unpin(attach);
err_unlock:
	dma_resv_unlock(att->dmabuf->resv);
err_detach:
	dma_buf_detach(att->dmabuf, attach);
	return ret;
}

static void tbs_dmabuf_p2p_unmap(struct tbs_dmabuf *att)
{
	dma_resv_lock(att->dmabuf->resv, NULL);
	dma_buf_unmap_attachment(att->attach, att->sgt, DMA_TO_DEVICE);
	dma_buf_unpin(att->attach);
	dma_resv_unlock(att->dmabuf->resv);
	dma_buf_detach(att->dmabuf, att->attach);
}

static int tbs_dmabuf_cpu_map(struct tbs_dmabuf *att, struct device *dev)
{
	return tbs_dma_buf_vmap(att->dmabuf, &att->map);
}

static void tbs_dmabuf_cpu_unmap(struct tbs_dmabuf *att)
{
	tbs_dma_buf_vunmap(att->dmabuf, &att->map);
}

static const struct tbs_dmabuf_path tbs_dmabuf_paths[] = {
	[TBSTREAM_PATH_DIRECT] = {
		.name = "direct",
		.map = tbs_dmabuf_direct_map,
		.unmap = tbs_dmabuf_direct_unmap,
	},
	[TBSTREAM_PATH_P2P] = {
		.name = "p2p",
		.map = tbs_dmabuf_p2p_map,
		.unmap = tbs_dmabuf_p2p_unmap,
	},
	[TBSTREAM_PATH_CPU] = {
		.name = "cpu",
		.map = tbs_dmabuf_cpu_map,
		.unmap = tbs_dmabuf_cpu_unmap,
	},
};

/**
 * tbs_dmabuf_device() - the fabric's DMA device for the session's TX ring
 * @sess: the session (io_lock held, not gone: the ring exists)
 *
 * Return: the device, valid while the caller holds a reference on the
 * session's port, or %NULL.
 */
struct device *tbs_dmabuf_device(struct tbs_session *sess)
{
	const struct tbs_port_ops *ops = sess->port->ops;

	return ops->dma_device ? ops->dma_device(&sess->tx) : NULL;
}

/**
 * tbs_dmabuf_offered() - the paths a session can use
 * @sess: the session (io_lock held, not gone)
 *
 * Return: %TBSTREAM_PATH_BIT()s.
 */
u32 tbs_dmabuf_offered(struct tbs_session *sess)
{
	const struct tbs_port_ops *ops = sess->port->ops;
	u32 paths = TBSTREAM_PATH_BIT(TBSTREAM_PATH_CPU);

	if (!tbs_dmabuf_device(sess))
		return paths;
	paths |= TBSTREAM_PATH_BIT(TBSTREAM_PATH_DIRECT);
	if (ops->dma_p2p && ops->dma_p2p(&sess->tx))
		paths |= TBSTREAM_PATH_BIT(TBSTREAM_PATH_P2P);
	return paths;
}

/* Errors that say nothing about the buffer: give up, do not fall back. */
static bool tbs_dmabuf_fatal(int err)
{
	return err == -ENOMEM || err == -EINTR || err == -ERESTARTSYS;
}

static int tbs_dmabuf_try(struct tbs_session *sess, struct tbs_dmabuf *att,
			  u32 path, struct device *dev)
{
	int ret = tbs_dmabuf_paths[path].map(att, dev);

	dev_dbg(sess->port->dev, "%s: dma-buf from %s, %zu bytes: %s %s (%d)\n",
		sess->stream->name, att->dmabuf->exp_name, att->dmabuf->size,
		tbs_dmabuf_paths[path].name, ret ? "refused" : "mapped", ret);
	if (!ret) {
		att->path = path;
		att->mapped = true;
	}
	return ret;
}

/**
 * tbs_dmabuf_negotiate() - map an attachment by the best path that works
 * @sess: the session; no lock held (the exporter may sleep), the caller
 *	holds a reference on its port
 * @att: the attachment, not mapped; gets @path and @mapped
 * @offered: tbs_dmabuf_offered(), read while the session was not gone
 * @dev: tbs_dmabuf_device(), read then
 * @want: the path to try first, or %TBSTREAM_PATH_ANY
 * @require: try only @want
 *
 * Return: 0; -EOPNOTSUPP (@want required, not offered), -EMEDIUMTYPE
 * (refused by the exporter, or no offered path worked), -ENOMEM, -EINTR.
 */
int tbs_dmabuf_negotiate(struct tbs_session *sess, struct tbs_dmabuf *att,
			 u32 offered, struct device *dev, u32 want, bool require)
{
	static const u32 order[] = {
		TBSTREAM_PATH_DIRECT, TBSTREAM_PATH_P2P, TBSTREAM_PATH_CPU,
	};
	unsigned int i;
	int ret;

	if (want != TBSTREAM_PATH_ANY) {
		if (!(offered & TBSTREAM_PATH_BIT(want))) {
			if (require)
				return -EOPNOTSUPP;
		} else {
			ret = tbs_dmabuf_try(sess, att, want, dev);
			if (!ret || tbs_dmabuf_fatal(ret))
				return ret;
			if (require)
				return -EMEDIUMTYPE;
		}
	}
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (order[i] == want || !(offered & TBSTREAM_PATH_BIT(order[i])))
			continue;
		ret = tbs_dmabuf_try(sess, att, order[i], dev);
		if (!ret || tbs_dmabuf_fatal(ret))
			return ret;
	}
	return -EMEDIUMTYPE;
}

/**
 * tbs_dmabuf_unmap() - release an attachment's mapping
 * @att: the attachment, mapped (its session's att_lock held)
 */
void tbs_dmabuf_unmap(struct tbs_dmabuf *att)
{
	tbs_dmabuf_paths[att->path].unmap(att);
	att->mapped = false;
}
