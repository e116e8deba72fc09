/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few places where Debian 12's 6.1 and 6.12 kernels differ for tbstream.
 * Everything version-dependent lives here and nowhere else.
 */
#ifndef TBSTREAM_COMPAT_H
#define TBSTREAM_COMPAT_H

#include <linux/device.h>
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

#endif /* TBSTREAM_COMPAT_H */
