// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream: the real fabric, on the host's Thunderbolt/USB4 NHI.
 *
 * A port per probed `stream` service (the peer announced one); rings are
 * tb_rings in frame mode with end-to-end flow control; buffers are kmalloc'd
 * pages streaming-mapped on the ring's DMA device; paths and HopIDs go
 * through tb_xdomain_*().
 *
 * Publishing on 6.1.  There is one global XDomain property directory per
 * host and no per-service local properties.  A registered directory is
 * copied and formatted by the thunderbolt core under its private
 * xdomain_lock whenever a peer asks, so mutating a registered directory
 * races with that copy (use-after-free at worst).  tbstream therefore never
 * mutates a published directory: the core builds a complete new one and
 * this file swaps it in with tb_unregister_property_dir() immediately
 * followed by tb_register_property_dir().  Changes are coalesced by the
 * core (one work item per fabric), the thunderbolt core itself coalesces
 * the change notifications it sends peers (a 50 ms delayed work), so a peer
 * normally reads the new directory once.  The residual window - a peer read
 * landing between the two calls, a few microseconds - is accepted: the
 * peer then sees no `stream` directory until the notification that follows
 * makes it read again.
 *
 * The core's reader does not check that the chunks of one read belong to
 * one block.  tb_xdp_properties_request() (6.1 and 7.2 alike) reads the
 * block in 45-dword pieces and files the result under the generation of
 * the last one, so a read that straddles our swap is a mix of two blocks
 * taken as the newer one, and the re-read our change notification asks
 * for is then dropped as not newer.  The peer may see a truncated or
 * unparsable `stream` directory until something changes again.  So every
 * announcement is registered once more, TBS_NHI_REANNOUNCE_MS after the
 * last change (tbs_nhi_reannounce()): a read then has nothing to straddle,
 * and the new generation makes every peer read the settled block.
 *
 * Publishing on 7.2.  The core builds each peer's block from the host-wide
 * directories plus the local_properties of that peer's service, merged
 * under svc->lock (xdomain.c, update_property_block()).  The host-wide
 * `stream` directory then holds the protocol keys alone, registered once,
 * and each port's streams go into its service's local_properties
 * (tbs_nhi_publish_port()): a peer sees only the streams configured for it.
 * Swapping that pointer under svc->lock is safe against the core's copy.
 * The re-announcement above still applies: registering the host-wide
 * directory again bumps the generation every block is built under.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/thunderbolt.h>
#include <linux/utsname.h>
#include <linux/workqueue.h>
#include <linux/version.h>

#include "compat.h"
#include "tbstream.h"

/**
 * struct tbs_nhi_port - a port on a real XDomain service
 * @port: what the core sees
 * @svc: the service device
 * @xd: its XDomain
 * @removed: tbs_nhi_remove() has begun: announce nothing more to this peer
 *	(7.2; under svc->lock)
 */
struct tbs_nhi_port {
	struct tbs_port port;
	struct tb_service *svc;
	struct tb_xdomain *xd;
	bool removed;
};

/**
 * struct tbs_nhi_frame - the real fabric's per-frame state
 * @rf: the descriptor handed to the ring
 * @frame: the core's frame
 * @dev: the device the buffer is mapped on
 * @dir: the mapping's direction
 */
struct tbs_nhi_frame {
	struct ring_frame rf;
	struct tbs_frame *frame;
	struct device *dev;
	enum dma_data_direction dir;
};

#define TBS_NHI_REANNOUNCE_MS	2000

static DEFINE_MUTEX(tbs_nhi_publish_lock);
static struct tb_property_dir *tbs_nhi_dir;	/* the registered one */

static void tbs_nhi_reannounce(struct work_struct *work);
static DECLARE_DELAYED_WORK(tbs_nhi_reannounce_work, tbs_nhi_reannounce);

static struct tb_xdomain *tbs_nhi_xd(struct tbs_port *port)
{
	return container_of(port, struct tbs_nhi_port, port)->xd;
}

static struct tb_ring *tbs_nhi_ring(struct tbs_ring *ring)
{
	return ring->fabric_priv;
}

static int tbs_nhi_alloc_in_hopid(struct tbs_port *port, int hopid)
{
	struct tb_xdomain *xd = tbs_nhi_xd(port);
	int ret;

	ret = tb_xdomain_alloc_in_hopid(xd, hopid);
	if (ret >= 0 && hopid > 0 && ret != hopid) {
		/* 6.1 returns the lowest free HopID >= the one asked for. */
		tb_xdomain_release_in_hopid(xd, ret);
		return -EBUSY;
	}
	return ret;
}

static int tbs_nhi_alloc_out_hopid(struct tbs_port *port, int hopid)
{
	struct tb_xdomain *xd = tbs_nhi_xd(port);
	int ret;

	ret = tb_xdomain_alloc_out_hopid(xd, hopid);
	if (ret >= 0 && hopid > 0 && ret != hopid) {
		tb_xdomain_release_out_hopid(xd, ret);
		return -EBUSY;
	}
	return ret;
}

static void tbs_nhi_release_in_hopid(struct tbs_port *port, int hopid)
{
	tb_xdomain_release_in_hopid(tbs_nhi_xd(port), hopid);
}

static void tbs_nhi_release_out_hopid(struct tbs_port *port, int hopid)
{
	tb_xdomain_release_out_hopid(tbs_nhi_xd(port), hopid);
}

static int tbs_nhi_peer_stream_hopids(struct tbs_port *port, const char *name,
				      int *inhopid, int *outhopid)
{
	struct tb_xdomain *xd = tbs_nhi_xd(port);
	struct tb_property *p = NULL;
	int ret = -ENOENT;

	mutex_lock(&xd->lock);
	if (xd->remote_properties)
		p = tb_property_find(xd->remote_properties, TBS_PROTOCOL_KEY,
				     TB_PROPERTY_TYPE_DIRECTORY);
	if (p)
		ret = tbs_props_find_stream(p->value.dir, name, inhopid,
					    outhopid);
	mutex_unlock(&xd->lock);
	return ret;
}

static int tbs_nhi_ring_alloc(struct tbs_port *port, struct tbs_ring *ring)
{
	struct tb_nhi *nhi = tbs_nhi_xd(port)->tb->nhi;
	struct tb_ring *r;

	if (ring->tx)
		r = tb_ring_alloc_tx(nhi, -1, ring->size,
				     RING_FLAG_FRAME | RING_FLAG_E2E);
	else
		r = tb_ring_alloc_rx(nhi, -1, ring->size,
				     RING_FLAG_FRAME | RING_FLAG_E2E,
				     ring->e2e_tx_hop, BIT(TBS_PDF_SOF),
				     BIT(TBS_PDF_DATA) | BIT(TBS_PDF_CLOSE),
				     NULL, NULL);
	/*
	 * NULL says nothing more; a free hop or MSI-X vector running out is by
	 * far the likeliest reason (every XDomain service driver takes some).
	 */
	if (!r)
		return -EBUSY;
	ring->port = port;
	ring->hop = r->hop;
	ring->fabric_priv = r;
	return 0;
}

static void tbs_nhi_ring_free(struct tbs_ring *ring)
{
	tb_ring_free(tbs_nhi_ring(ring));
	ring->fabric_priv = NULL;
}

static int tbs_nhi_ring_start(struct tbs_ring *ring)
{
	struct tb_ring *r = tbs_nhi_ring(ring);
	int ret;

	/*
	 * Since 7.2 a ring's interrupt moderation is the driver's to set and
	 * is off unless it does (before, the core hard-coded 128 us).
	 */
	ret = tbs_ring_throttling(r, ring->throttling);
	if (ret)
		return ret;
	tb_ring_start(r);
	return 0;
}

static void tbs_nhi_ring_stop(struct tbs_ring *ring)
{
	tb_ring_stop(tbs_nhi_ring(ring));
}

static void tbs_nhi_frame_done(struct tb_ring *r, struct ring_frame *rf,
			       bool canceled)
{
	struct tbs_nhi_frame *nf = container_of(rf, struct tbs_nhi_frame, rf);
	struct tbs_frame *f = nf->frame;
	struct tbs_ring *ring = f->ring;

	if (!ring->tx) {
		dma_sync_single_for_cpu(nf->dev, f->dma, TBS_FRAME_SIZE,
					DMA_FROM_DEVICE);
		/* A 12-bit length: 0 means a full 4096-byte frame. */
		f->size = rf->size ? rf->size : TBS_FRAME_SIZE;
		f->sof = rf->sof;
		f->eof = rf->eof;
		f->status = 0;
		if (rf->flags & RING_DESC_CRC_ERROR)
			f->status |= TBS_FRAME_CRC_ERROR;
		if (rf->flags & RING_DESC_BUFFER_OVERRUN)
			f->status |= TBS_FRAME_OVERRUN;
	}
	ring->done(ring, f, canceled);
}

static int tbs_nhi_ring_post(struct tbs_ring *ring, struct tbs_frame *f)
{
	struct tbs_nhi_frame *nf = f->fabric_priv;
	struct tb_ring *r = tbs_nhi_ring(ring);

	f->ring = ring;
	nf->rf.buffer_phy = f->dma;
	nf->rf.callback = tbs_nhi_frame_done;
	if (ring->tx) {
		/* A dma-buf segment (no @buf) is the exporter's to sync. */
		if (f->buf)
			dma_sync_single_for_device(nf->dev, f->dma, f->size,
						   DMA_TO_DEVICE);
		nf->rf.size = f->size & 0xfff;
		nf->rf.sof = f->sof;
		nf->rf.eof = f->eof;
		return tb_ring_tx(r, &nf->rf);
	}
	dma_sync_single_for_device(nf->dev, f->dma, TBS_FRAME_SIZE,
				   DMA_FROM_DEVICE);
	return tb_ring_rx(r, &nf->rf);
}

static int tbs_nhi_buf_alloc(struct tbs_ring *ring, struct tbs_frame *f)
{
	struct tbs_nhi_frame *nf;
	void *buf;

	nf = kzalloc(sizeof(*nf), GFP_KERNEL);
	if (!nf)
		return -ENOMEM;
	buf = tbs_frame_buf_alloc();
	if (!buf)
		goto err_nf;
	nf->frame = f;
	nf->dev = tb_ring_dma_device(tbs_nhi_ring(ring));
	nf->dir = ring->tx ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
	f->dma = dma_map_single(nf->dev, buf, TBS_FRAME_SIZE, nf->dir);
	if (dma_mapping_error(nf->dev, f->dma))
		goto err_buf;
	f->buf = buf;
	f->fabric_priv = nf;
	return 0;

err_buf:
	tbs_frame_buf_free(buf);
err_nf:
	kfree(nf);
	return -ENOMEM;
}

static void tbs_nhi_buf_free(struct tbs_ring *ring, struct tbs_frame *f)
{
	struct tbs_nhi_frame *nf = f->fabric_priv;

	if (!nf)
		return;
	dma_unmap_single(nf->dev, f->dma, TBS_FRAME_SIZE, nf->dir);
	tbs_frame_buf_free(f->buf);
	kfree(nf);
	f->buf = NULL;
	f->fabric_priv = NULL;
}

static struct device *tbs_nhi_dma_device(struct tbs_ring *ring)
{
	return tb_ring_dma_device(tbs_nhi_ring(ring));
}

/*
 * Peer-to-peer reads by the NHI need the kernel's PCI P2PDMA support; the
 * exporter still decides per buffer (pci_p2pdma_distance() on its side).
 */
static bool tbs_nhi_dma_p2p(struct tbs_ring *ring)
{
	return IS_ENABLED(CONFIG_PCI_P2PDMA);
}

/*
 * The software connection manager leaks a DMA tunnel when an enable waited
 * for tb->lock across the hot-unplug of its XDomain (6.1 and 7.2 alike):
 * tb_handle_hotplug() marks the XDomain unplugged and tears its tunnels
 * down under tb->lock, then the waiting tb_approve_xdomain_paths(), which
 * does not look at is_unplugged, builds a new tunnel for it, and
 * tb_xdomain_disable_paths() skips an unplugged XDomain.  An open here
 * waits on tb->lock with no tbstream lock held (stream.c), so it can be
 * that enable.  The leaked tunnel keeps its HopIDs on the lane adapter and
 * its ring's HopID on the NHI's, and after the replug every enable that
 * needs one of them fails with -ENOMEM until thunderbolt.ko is reloaded
 * (the emulated fabric showed it: tests/vm/emu/tbstream-enable-vs-unplug.sh).
 * A DMA tunnel on this adapter that uses one of the HopIDs the new XDomain
 * just gave this stream, or one of the rings it now owns, can only be such
 * a leftover: remove it and try once more.  Each HopID or ring alone, since
 * the leftover may share only one of them; never all four as -1, which
 * would match every tunnel of the XDomain, thunderbolt_net's too.  Each
 * disable also drops the XDomain's ntunnels count, which only the
 * firmware connection manager reads, and there an enable's -ENOMEM does
 * not come from this leak.
 */
static void tbs_nhi_remove_leftover_tunnels(struct tbs_port *port,
					    int tx_hopid, int tx_ring,
					    int rx_hopid, int rx_ring)
{
	struct tb_xdomain *xd = tbs_nhi_xd(port);

	dev_warn(port->dev, "DMA paths refused; removing what the core left on HopIDs %d/%d, rings %d/%d\n",
		 tx_hopid, rx_hopid, tx_ring, rx_ring);
	if (tx_hopid > 0)
		tb_xdomain_disable_paths(xd, tx_hopid, -1, -1, -1);
	if (tx_ring > 0)
		tb_xdomain_disable_paths(xd, -1, tx_ring, -1, -1);
	if (rx_hopid > 0)
		tb_xdomain_disable_paths(xd, -1, -1, rx_hopid, -1);
	if (rx_ring > 0)
		tb_xdomain_disable_paths(xd, -1, -1, -1, rx_ring);
}

static int tbs_nhi_enable_paths(struct tbs_port *port, int tx_hopid,
				struct tbs_ring *tx, int rx_hopid,
				struct tbs_ring *rx)
{
	int tx_path = tx ? tx_hopid : -1, tx_ring = tx ? tx->hop : -1;
	int rx_path = rx ? rx_hopid : -1, rx_ring = rx ? rx->hop : -1;
	int ret;

	ret = tb_xdomain_enable_paths(tbs_nhi_xd(port), tx_path, tx_ring,
				      rx_path, rx_ring);
	if (ret != -ENOMEM)
		return ret;
	tbs_nhi_remove_leftover_tunnels(port, tx_path, tx_ring, rx_path,
					rx_ring);
	return tb_xdomain_enable_paths(tbs_nhi_xd(port), tx_path, tx_ring,
				       rx_path, rx_ring);
}

static void tbs_nhi_disable_paths(struct tbs_port *port, int tx_hopid,
				  struct tbs_ring *tx, int rx_hopid,
				  struct tbs_ring *rx)
{
	int ret;

	ret = tb_xdomain_disable_paths(tbs_nhi_xd(port),
				       tx ? tx_hopid : -1, tx ? tx->hop : -1,
				       rx ? rx_hopid : -1, rx ? rx->hop : -1);
	if (ret && ret != -ENODEV)
		dev_warn(port->dev, "cannot disable DMA paths: %d\n", ret);
}

/*
 * The core is done with a removed port.  Until now it may still have torn
 * down a session on it, so the service (and its XDomain, the parent) stayed
 * referenced since probe.
 */
static void tbs_nhi_port_release(struct tbs_port *port)
{
	struct tbs_nhi_port *np = container_of(port, struct tbs_nhi_port, port);

	put_device(&np->svc->dev);
	kfree(np);
}

static const struct tbs_port_ops tbs_nhi_port_ops = {
	.alloc_in_hopid		= tbs_nhi_alloc_in_hopid,
	.alloc_out_hopid	= tbs_nhi_alloc_out_hopid,
	.release_in_hopid	= tbs_nhi_release_in_hopid,
	.release_out_hopid	= tbs_nhi_release_out_hopid,
	.peer_stream_hopids	= tbs_nhi_peer_stream_hopids,
	.ring_alloc		= tbs_nhi_ring_alloc,
	.ring_free		= tbs_nhi_ring_free,
	.ring_start		= tbs_nhi_ring_start,
	.ring_stop		= tbs_nhi_ring_stop,
	.ring_post		= tbs_nhi_ring_post,
	.buf_alloc		= tbs_nhi_buf_alloc,
	.buf_free		= tbs_nhi_buf_free,
	.dma_device		= tbs_nhi_dma_device,
	.dma_p2p		= tbs_nhi_dma_p2p,
	.enable_paths		= tbs_nhi_enable_paths,
	.disable_paths		= tbs_nhi_disable_paths,
	.release		= tbs_nhi_port_release,
};

/*
 * A peer running Linux cannot read a property block whose length in dwords
 * is 45n + 1 or 45n + 2.  Responses carry 45 dwords of it each
 * (TB_XDP_PROPERTIES_MAX_DATA_LENGTH); the receiver,
 * tb_xdp_properties_request() in drivers/thunderbolt/xdomain.c (6.1.192:
 * line 373; unchanged in mainline's), checks the header's length field,
 * which counts the dwords after the 3-dword XDomain header (15 + the data
 * dwords), against the whole response structure (18 dwords), so a last
 * chunk of 1 or 2 dwords is -EINVAL, retried and given up: the peer never
 * sees our services.  The block is the core's (6.x: xdomain.c
 * tb_xdomain_init() and update_property_block()): a root directory (2
 * dwords), vendorid immediate and text "Intel Corp." (4 + 4 + 3), deviceid
 * immediate, devicerv immediate (4 + 4), deviceid text with the host name
 * (4 + its dwords), maxhopid immediate (4), and each registered service
 * directory (4 + its length + 1): ours, and thunderbolt-net's "network"
 * (25) if that driver is loaded, which we cannot tell.  So a "padding"
 * text is added to ours when the block would be unreadable with or
 * without thunderbolt-net's.  A host name changed after we published is
 * not seen until our next publish.  7.x's vendorid text is "Linux" (2
 * dwords), and its block for a peer holds our `stream` directory merged
 * with that peer's service's local_properties: there the padding goes into
 * each port's directory (tbs_nhi_publish_port()), the host-wide one holding
 * the protocol keys alone, as upstream's.
 */
#define TBS_XDP_CHUNK_DWORDS	45
#if KERNEL_VERSION(7, 0, 0) > LINUX_VERSION_CODE
#define TBS_XDP_VENDOR_DWORDS	3	/* "Intel Corp." */
#else
#define TBS_XDP_VENDOR_DWORDS	2	/* "Linux" */
#endif
#define TBS_XDP_ROOT_DWORDS	(2 + 4 + 4 + TBS_XDP_VENDOR_DWORDS + 4 + 4 + 4 + 4)
#define TBS_XDP_NET_DIR_DWORDS	25

static bool tbs_nhi_block_unreadable(size_t len)
{
	size_t last = len % TBS_XDP_CHUNK_DWORDS;

	return last == 1 || last == 2;
}

/* Its length in a block, as the core formats it (property.c). */
static size_t tbs_nhi_dir_dwords(const struct tb_property_dir *dir)
{
	const struct tb_property *p;
	size_t len = dir->uuid ? 4 : 2;

	list_for_each_entry(p, &dir->properties, list) {
		len += 4;
		if (p->type == TB_PROPERTY_TYPE_DIRECTORY)
			len += tbs_nhi_dir_dwords(p->value.dir) + 1;
		else if (p->type == TB_PROPERTY_TYPE_TEXT ||
			 p->type == TB_PROPERTY_TYPE_DATA)
			len += p->length;
	}
	return len;
}

static int tbs_nhi_pad(struct tb_property_dir *dir)
{
	size_t len, extra = 0;
	unsigned int k;
	char *text;
	int ret;

	len = TBS_XDP_ROOT_DWORDS +
	      DIV_ROUND_UP(strlen(utsname()->nodename) + 1, 4) +
	      4 + tbs_nhi_dir_dwords(dir) + 1;
	/* A text of k dwords adds 4 + k; of 4 + 1..3, one always fits. */
	for (k = 0; k <= 8; k++) {
		extra = k ? 4 + k : 0;
		if (!tbs_nhi_block_unreadable(len + extra) &&
		    !tbs_nhi_block_unreadable(len + extra + TBS_XDP_NET_DIR_DWORDS))
			break;
	}
	if (!k)
		return 0;
	text = kmalloc(4 * k, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	memset(text, '-', 4 * k - 1);
	text[4 * k - 1] = '\0';
	ret = tb_property_add_text(dir, "padding", text);
	kfree(text);
	pr_debug("property block of %zu dwords padded by %zu\n",
		 len, extra);
	return ret;
}

static int tbs_nhi_publish(struct tbs_fabric *fabric,
			   struct tb_property_dir *dir)
{
	struct tb_property_dir *old;
	int ret = 0;

	if (dir && !TBS_SERVICE_PROPERTIES) {
		ret = tbs_nhi_pad(dir);
		if (ret) {
			pr_warn("cannot pad the announcement: %d\n", ret);
			ret = 0;
		}
	}
	mutex_lock(&tbs_nhi_publish_lock);
	old = tbs_nhi_dir;
	if (TBS_SERVICE_PROPERTIES && dir && old) {
		/* The protocol keys alone: registered already. */
		tb_property_free_dir(dir);
		mod_delayed_work(system_wq, &tbs_nhi_reannounce_work,
				 msecs_to_jiffies(TBS_NHI_REANNOUNCE_MS));
		mutex_unlock(&tbs_nhi_publish_lock);
		return 0;
	}
	if (old)
		tb_unregister_property_dir(TBS_PROTOCOL_KEY, old);
	if (dir) {
		ret = tb_register_property_dir(TBS_PROTOCOL_KEY, dir);
		if (ret) {
			tb_property_free_dir(dir);
			dir = NULL;
			/* Keep announcing what we had. */
			if (old && !tb_register_property_dir(TBS_PROTOCOL_KEY,
							     old)) {
				dir = old;
				old = NULL;
			}
		}
	}
	tbs_nhi_dir = dir;
	if (dir)
		mod_delayed_work(system_wq, &tbs_nhi_reannounce_work,
				 msecs_to_jiffies(TBS_NHI_REANNOUNCE_MS));
	mutex_unlock(&tbs_nhi_publish_lock);
	if (!dir)
		cancel_delayed_work_sync(&tbs_nhi_reannounce_work);
	if (old)
		tb_property_free_dir(old);
	return ret;
}

/* The same directory again, under a new generation: see the top of file. */
static void tbs_nhi_reannounce(struct work_struct *work)
{
	int ret;

	mutex_lock(&tbs_nhi_publish_lock);
	if (tbs_nhi_dir) {
		tb_unregister_property_dir(TBS_PROTOCOL_KEY, tbs_nhi_dir);
		ret = tb_register_property_dir(TBS_PROTOCOL_KEY, tbs_nhi_dir);
		if (ret) {
			pr_warn("cannot announce the streams again: %d\n",
				ret);
			tb_property_free_dir(tbs_nhi_dir);
			tbs_nhi_dir = NULL;
		}
	}
	mutex_unlock(&tbs_nhi_publish_lock);
}

#if TBS_SERVICE_PROPERTIES
static int tbs_nhi_publish_port(struct tbs_port *port,
				struct tb_property_dir *dir)
{
	struct tbs_nhi_port *np = container_of(port, struct tbs_nhi_port, port);
	struct tb_service *svc = np->svc;
	struct tb_property_dir *old = dir;
	int ret;

	ret = tbs_nhi_pad(dir);
	if (ret)
		dev_warn(&svc->dev, "cannot pad the announcement: %d\n", ret);
	mutex_lock(&svc->lock);
	if (!np->removed) {
		old = svc->local_properties;
		svc->local_properties = dir;
	}
	mutex_unlock(&svc->lock);
	if (old != dir)
		tb_service_properties_changed(svc);
	tb_property_free_dir(old);
	return 0;
}

/* This peer hears of no stream of ours any more. */
static void tbs_nhi_withdraw_port(struct tbs_nhi_port *np)
{
	struct tb_service *svc = np->svc;
	struct tb_property_dir *old;

	mutex_lock(&svc->lock);
	np->removed = true;
	old = svc->local_properties;
	svc->local_properties = NULL;
	mutex_unlock(&svc->lock);
	if (old) {
		tb_property_free_dir(old);
		tb_service_properties_changed(svc);
	}
}
#else
#define tbs_nhi_publish_port	NULL
static void tbs_nhi_withdraw_port(struct tbs_nhi_port *np)
{
}
#endif

static const struct tbs_fabric_ops tbs_nhi_fabric_ops = {
	.publish	= tbs_nhi_publish,
	.publish_port	= tbs_nhi_publish_port,
};

static struct tbs_fabric tbs_nhi_fabric = {
	.name		= "nhi",
	.ops		= &tbs_nhi_fabric_ops,
	.first_domain	= 0,
	.last_domain	= U32_MAX,
};

static int tbs_nhi_probe(struct tb_service *svc, const struct tb_service_id *id)
{
	struct tb_xdomain *xd = tb_service_parent(svc);
	struct tbs_nhi_port *np;
	int ret, max;

	np = kzalloc(sizeof(*np), GFP_KERNEL);
	if (!np)
		return -ENOMEM;
	np->svc = svc;
	np->xd = xd;

	max = xd->local_max_hopid ? xd->local_max_hopid : TBS_MAX_HOPID;
	if (xd->remote_max_hopid && xd->remote_max_hopid < max)
		max = xd->remote_max_hopid;

	np->port.fabric = &tbs_nhi_fabric;
	np->port.ops = &tbs_nhi_port_ops;
	np->port.dev = &svc->dev;
	np->port.domain = xd->tb->index;
	np->port.route = xd->route;
	np->port.service = svc->id;
	np->port.max_hopid = max;

	tb_service_set_drvdata(svc, np);
	get_device(&svc->dev);
	ret = tbs_port_add(&np->port);
	if (ret) {
		dev_err(&svc->dev, "cannot add the stream port: %d\n", ret);
		put_device(&svc->dev);
		kfree(np);
	}
	return ret;
}

/* debugfs.c: a test lines an open up behind an unplug with it */
u32 tbs_nhi_remove_delay_ms;

/*
 * Called under tb->lock on hot-unplug; np goes in tbs_nhi_port_release().
 * The core marks the XDomain unplugged before it removes the services, so
 * tb_service_properties_changed() in tbs_nhi_withdraw_port() returns at once
 * there; on unbind (module unload) it tells the peer.
 */
static void tbs_nhi_remove(struct tb_service *svc)
{
	struct tbs_nhi_port *np = tb_service_get_drvdata(svc);
	u32 delay = READ_ONCE(tbs_nhi_remove_delay_ms);

	if (delay)
		msleep(min(delay, 10000U));
	tbs_nhi_withdraw_port(np);
	tbs_port_remove(&np->port);
}

/*
 * System sleep: the NHI's rings and the XDomain paths do not survive it, so
 * open sessions end (files see -ENXIO, as thunderbolt-net tears its rings
 * down); the streams stay attached and the next open starts afresh.
 */
static int tbs_nhi_suspend(struct device *dev)
{
	struct tbs_nhi_port *np = tb_service_get_drvdata(tb_to_service(dev));

	tbs_port_suspend(&np->port);
	return 0;
}

static DEFINE_SIMPLE_DEV_PM_OPS(tbs_nhi_pm, tbs_nhi_suspend, NULL);

static const struct tb_service_id tbs_nhi_ids[] = {
	{ TB_SERVICE(TBS_PROTOCOL_KEY, TBS_PROTOCOL_ID) },
	{ },
};
MODULE_DEVICE_TABLE(tbsvc, tbs_nhi_ids);

static struct tb_service_driver tbs_nhi_driver = {
	.driver = {
		.owner	= THIS_MODULE,
		.name	= "tbstream",
		.pm	= pm_sleep_ptr(&tbs_nhi_pm),
	},
	.probe		= tbs_nhi_probe,
	.remove		= tbs_nhi_remove,
	.id_table	= tbs_nhi_ids,
};

/**
 * tbs_nhi_init() - register the real fabric and the service driver
 *
 * Return: 0 or a negative errno.
 */
int tbs_nhi_init(void)
{
	int ret;

	ret = tbs_fabric_register(&tbs_nhi_fabric);
	if (ret)
		return ret;
	ret = tb_register_service_driver(&tbs_nhi_driver);
	if (ret) {
		tbs_fabric_unregister(&tbs_nhi_fabric);
		return ret;
	}
	return 0;
}

/**
 * tbs_nhi_exit() - unbind every port, withdraw the announcement
 */
void tbs_nhi_exit(void)
{
	tb_unregister_service_driver(&tbs_nhi_driver);
	tbs_fabric_unregister(&tbs_nhi_fabric);
}
