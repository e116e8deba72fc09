// SPDX-License-Identifier: GPL-2.0
/*
 * A module with one deliberate bug of the kind only the debug kernel's
 * checkers see, chosen by bug=: a leak (kmemleak), a lock-order inversion
 * (lockdep), an allocation that may sleep under a spinlock
 * (DEBUG_ATOMIC_SLEEP), an RCU dereference outside a read-side section
 * (PROVE_RCU), a use after free (KASAN), an oversized shift (UBSAN).  None of
 * them crashes or hangs by itself, which is the point: the harness
 * self-test proves each one fails a VM test on the debug kernel.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *bug = "none";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "none, leak, lockdep, atomic-sleep, rcu, kasan or ubsan");

static void *lost;
static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DEFINE_SPINLOCK(spin);
static int __rcu *rcu_ptr;
static int shift = 40;

static int __init tbstream_debugbug_init(void)
{
	if (!strcmp(bug, "leak")) {
		/* the only reference is dropped at once */
		WRITE_ONCE(lost, kmalloc(128, GFP_KERNEL));
		WRITE_ONCE(lost, NULL);
	} else if (!strcmp(bug, "lockdep")) {
		/* A then B, later B then A: never a deadlock on one thread */
		mutex_lock(&lock_a);
		mutex_lock(&lock_b);
		mutex_unlock(&lock_b);
		mutex_unlock(&lock_a);
		mutex_lock(&lock_b);
		mutex_lock(&lock_a);
		mutex_unlock(&lock_a);
		mutex_unlock(&lock_b);
	} else if (!strcmp(bug, "atomic-sleep")) {
		void *p;

		spin_lock(&spin);
		p = kmalloc(64, GFP_KERNEL);
		spin_unlock(&spin);
		kfree(p);
	} else if (!strcmp(bug, "rcu")) {
		int *p = rcu_dereference(rcu_ptr);

		return p ? *p : 0;
	} else if (!strcmp(bug, "kasan")) {
		char *p = kmalloc(32, GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		kfree(p);
		return READ_ONCE(p[3]) ? 0 : 0;
	} else if (!strcmp(bug, "ubsan")) {
		return (1 << READ_ONCE(shift)) ? 0 : 0;
	} else if (strcmp(bug, "none")) {
		return -EINVAL;
	}
	return 0;
}
module_init(tbstream_debugbug_init);

static void __exit tbstream_debugbug_exit(void)
{
}
module_exit(tbstream_debugbug_exit);

MODULE_DESCRIPTION("tbstream VM harness self-test: one bug for the debug kernel's checkers");
MODULE_LICENSE("GPL");
