// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream: the live-object counters, for leak checks, in debugfs:
 *
 *   /sys/kernel/debug/tbstream/live          streams N sessions N
 *   /sys/kernel/debug/tbstream/live_dmabuf   attachments N sends N
 *   /sys/kernel/debug/tbstream/live_buffers  buffers N (frame buffers)
 *
 * The VM tests check that they return to zero after every scenario.  They
 * are a debugging aid, not an ABI: debugfs, not module parameters.
 *
 * One knob beside them, for the tests on the real thunderbolt core:
 *
 *   /sys/kernel/debug/tbstream/nhi_remove_delay_ms   (0; at most 10000)
 *
 * the real fabric's service remove first sleeps this long.  On hot-unplug
 * the core calls it with tb->lock held, so an open started meanwhile
 * reaches tb_xdomain_enable_paths() and waits there for the unplug to
 * finish: the race nhi.c's tbs_nhi_remove_leftover_tunnels() is about,
 * lined up instead of left to chance.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "tbstream.h"

atomic_t tbs_live_streams = ATOMIC_INIT(0);
atomic_t tbs_live_sessions = ATOMIC_INIT(0);
atomic_t tbs_live_atts = ATOMIC_INIT(0);
atomic_t tbs_live_sends = ATOMIC_INIT(0);
atomic_t tbs_live_bufs = ATOMIC_INIT(0);

static struct dentry *tbs_debugfs_dir;

static int tbs_live_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "streams %d sessions %d\n",
		   atomic_read(&tbs_live_streams),
		   atomic_read(&tbs_live_sessions));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tbs_live);

static int tbs_live_dmabuf_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "attachments %d sends %d\n",
		   atomic_read(&tbs_live_atts),
		   atomic_read(&tbs_live_sends));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tbs_live_dmabuf);

static int tbs_live_buffers_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "buffers %d\n", atomic_read(&tbs_live_bufs));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tbs_live_buffers);

/**
 * tbs_debugfs_init() - create /sys/kernel/debug/tbstream
 *
 * Without debugfs the module works as well, only without the counters.
 */
void tbs_debugfs_init(void)
{
	tbs_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("live", 0444, tbs_debugfs_dir, NULL,
			    &tbs_live_fops);
	debugfs_create_file("live_dmabuf", 0444, tbs_debugfs_dir, NULL,
			    &tbs_live_dmabuf_fops);
	debugfs_create_file("live_buffers", 0444, tbs_debugfs_dir, NULL,
			    &tbs_live_buffers_fops);
	debugfs_create_u32("nhi_remove_delay_ms", 0600, tbs_debugfs_dir,
			   &tbs_nhi_remove_delay_ms);
}

/**
 * tbs_debugfs_exit() - remove it
 */
void tbs_debugfs_exit(void)
{
	debugfs_remove_recursive(tbs_debugfs_dir);
}
