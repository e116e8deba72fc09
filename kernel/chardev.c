// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream: /dev/tbstreamX.
 *
 * One char region of TBS_MAX_STREAMS minors with a single cdev; a stream's
 * index is its minor and an IDR maps it back (under tbs_lock).  Not a misc
 * device on purpose: misc_open() calls ->open() with the global misc_mtx
 * held, and open(2) here blocks until a peer attaches, which would stall
 * every misc device of the system (and rmdir, which unregisters).
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/uio.h>

#include "compat.h"
#include "tbstream.h"

static dev_t tbs_devt;
static struct cdev tbs_cdev;
static struct class *tbs_class;
static DEFINE_IDR(tbs_idr);

static int tbs_open(struct inode *inode, struct file *file)
{
	struct tbs_session *sess;
	struct tbs_stream *s;
	int ret;

	mutex_lock(&tbs_lock);
	s = idr_find(&tbs_idr, iminor(inode));
	if (s)
		kref_get(&s->kref);
	mutex_unlock(&tbs_lock);
	if (!s)
		return -ENODEV;

	ret = tbs_session_open(s, file->f_flags & O_NONBLOCK, &sess);
	if (ret) {
		tbs_stream_put(s);
		return ret;
	}
	file->private_data = sess;
	return stream_open(inode, file);
}

static int tbs_release(struct inode *inode, struct file *file)
{
	tbs_dmabuf_release_file(file->private_data, file);
	tbs_session_release(file->private_data);
	return 0;
}

static bool tbs_nonblock(struct kiocb *iocb)
{
	return (iocb->ki_filp->f_flags & O_NONBLOCK) ||
	       (iocb->ki_flags & IOCB_NOWAIT);
}

static ssize_t tbs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return tbs_session_read(iocb->ki_filp->private_data, to,
				tbs_nonblock(iocb));
}

static ssize_t tbs_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return tbs_session_write(iocb->ki_filp->private_data, from,
				 tbs_nonblock(iocb));
}

static __poll_t tbs_poll(struct file *file, poll_table *wait)
{
	return tbs_session_poll(file->private_data, file, wait);
}

static long tbs_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return tbs_dmabuf_ioctl(file->private_data, file, cmd, arg);
}

static const struct file_operations tbs_fops = {
	.owner		= THIS_MODULE,
	.open		= tbs_open,
	.release	= tbs_release,
	.read_iter	= tbs_read_iter,
	.write_iter	= tbs_write_iter,
	.poll		= tbs_poll,
	.unlocked_ioctl	= tbs_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.splice_read	= tbs_splice_read,
	.splice_write	= iter_file_splice_write,
};

/**
 * tbs_chardev_add() - give a new stream its index and /dev/tbstreamX
 * @s: the stream (tbs_lock held)
 *
 * Return: 0, -ENOSPC (all indexes used) or -ENOMEM.
 */
int tbs_chardev_add(struct tbs_stream *s)
{
	struct device *dev;
	int index;

	lockdep_assert_held(&tbs_lock);
	index = idr_alloc(&tbs_idr, s, 0, TBS_MAX_STREAMS, GFP_KERNEL);
	if (index < 0)
		return index;
	dev = device_create(tbs_class, NULL, MKDEV(MAJOR(tbs_devt), index), s,
			    "tbstream%d", index);
	if (IS_ERR(dev)) {
		idr_remove(&tbs_idr, index);
		return PTR_ERR(dev);
	}
	s->index = index;
	s->dev = dev;
	return 0;
}

/**
 * tbs_chardev_remove() - remove /dev/tbstreamX; later opens fail
 * @s: the stream (tbs_lock held)
 *
 * Files already open keep working on their session.
 */
void tbs_chardev_remove(struct tbs_stream *s)
{
	lockdep_assert_held(&tbs_lock);
	idr_remove(&tbs_idr, s->index);
	device_destroy(tbs_class, MKDEV(MAJOR(tbs_devt), s->index));
	s->dev = NULL;
}

/**
 * tbs_chardev_init() - register the char region and the class
 *
 * Return: 0 or a negative errno.
 */
int tbs_chardev_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&tbs_devt, 0, TBS_MAX_STREAMS, "tbstream");
	if (ret)
		return ret;
	tbs_class = tbs_class_create("tbstream");
	if (IS_ERR(tbs_class)) {
		ret = PTR_ERR(tbs_class);
		goto err_region;
	}
	cdev_init(&tbs_cdev, &tbs_fops);
	tbs_cdev.owner = THIS_MODULE;
	ret = cdev_add(&tbs_cdev, tbs_devt, TBS_MAX_STREAMS);
	if (ret)
		goto err_class;
	return 0;

err_class:
	class_destroy(tbs_class);
err_region:
	unregister_chrdev_region(tbs_devt, TBS_MAX_STREAMS);
	return ret;
}

/**
 * tbs_chardev_exit() - undo tbs_chardev_init(); no stream exists any more
 */
void tbs_chardev_exit(void)
{
	cdev_del(&tbs_cdev);
	class_destroy(tbs_class);
	unregister_chrdev_region(tbs_devt, TBS_MAX_STREAMS);
	idr_destroy(&tbs_idr);
}
