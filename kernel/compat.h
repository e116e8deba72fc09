/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few places where the pinned kernels (Debian 12's 6.1 and 6.12, Debian
 * sid's 7.2) differ for tbstream.
 * Everything version-dependent lives here and nowhere else.
 */
#ifndef TBSTREAM_COMPAT_H
#define TBSTREAM_COMPAT_H

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/splice.h>
#include <linux/version.h>

/* class_create() lost its owner argument in 6.4. */
#if KERNEL_VERSION(6, 4, 0) > LINUX_VERSION_CODE
#define tbs_class_create(name)	class_create(THIS_MODULE, name)
#else
#define tbs_class_create(name)	class_create(name)
#endif

/*
 * generic_file_splice_read() became copy_splice_read() in 6.5; both end up
 * in ->read_iter for a character device.
 */
#if KERNEL_VERSION(6, 5, 0) > LINUX_VERSION_CODE
#define tbs_splice_read		generic_file_splice_read
#else
#define tbs_splice_read		copy_splice_read
#endif

/*
 * dma_buf_vmap() takes the reservation lock itself up to 6.1 and wants it
 * held from 6.2 on, where dma_buf_vmap_unlocked() takes it.  (Mapping an
 * attachment needs no wrapper: Debian's 6.1.192 carries the backport of
 * dma_buf_map_attachment_unlocked(); an older 6.1.y would call
 * dma_buf_map_attachment() for a static importer instead.)
 */
#if KERNEL_VERSION(6, 2, 0) > LINUX_VERSION_CODE
#define tbs_dma_buf_vmap	dma_buf_vmap
#define tbs_dma_buf_vunmap	dma_buf_vunmap
#else
#define tbs_dma_buf_vmap	dma_buf_vmap_unlocked
#define tbs_dma_buf_vunmap	dma_buf_vunmap_unlocked
#endif

/*
 * MODULE_IMPORT_NS() and EXPORT_SYMBOL_NS_GPL() take a string literal from
 * 6.13 on.  TBS_NS is the namespace of the fabric interface (backend.h).
 */
#if KERNEL_VERSION(6, 13, 0) > LINUX_VERSION_CODE
#define TBS_IMPORT_NS_DMA_BUF()	MODULE_IMPORT_NS(DMA_BUF)
#define TBS_NS			TBSTREAM
#else
#define TBS_IMPORT_NS_DMA_BUF()	MODULE_IMPORT_NS("DMA_BUF")
#define TBS_NS			"TBSTREAM"
#endif

/*
 * dma_buf_attach_ops.move_notify is called invalidate_mappings in 7.2 (the
 * rename landed between 6.12 and 7.2, the pinned kernels either side).
 */
#if KERNEL_VERSION(7, 2, 0) > LINUX_VERSION_CODE
#define tbs_move_notify		move_notify
#else
#define tbs_move_notify		invalidate_mappings
#endif

/*
 * tb_ring_throttling() came with 7.2's helpers for upstream's stream
 * driver; 6.1 and 6.12 throttle every ring at a fixed 128 us and have no
 * way to change it.
 */
#if KERNEL_VERSION(7, 2, 0) > LINUX_VERSION_CODE
#define tbs_ring_throttling(ring, ns)	((void)(ring), (void)(ns), 0)
#else
#define tbs_ring_throttling(ring, ns)	tb_ring_throttling(ring, ns)
#endif

/*
 * 7.2's thunderbolt core builds the property block of each peer from the
 * host-wide directories plus each service's local_properties, announced with
 * tb_service_properties_changed(), so a host can tell each peer only its own
 * streams.  6.1 and 6.12 have one directory for every peer.
 */
#if KERNEL_VERSION(7, 2, 0) > LINUX_VERSION_CODE
#define TBS_SERVICE_PROPERTIES	0
#else
#define TBS_SERVICE_PROPERTIES	1
#endif

/*
 * From 7.x thunderbolt.ko can own the `thunderbolt` ConfigFS subsystem
 * (CONFIG_USB4_CONFIGFS, =m in Debian's 7.2) and exports
 * tb_configfs_register_group() for the groups under it.  Without it (6.1,
 * 6.12) tbstream registers the subsystem itself.
 */
#if IS_ENABLED(CONFIG_USB4_CONFIGFS) && IS_REACHABLE(CONFIG_CONFIGFS_FS)
#define TBS_CORE_CONFIGFS	1
#else
#define TBS_CORE_CONFIGFS	0
#endif

#endif /* TBSTREAM_COMPAT_H */
