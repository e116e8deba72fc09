// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately broken module: loading it oopses.  The harness self-test
 * loads it to prove that a kernel bug fails a VM test at once, with the oops
 * in its output, instead of hanging until the timeout.
 */
#include <linux/module.h>

static int *tbstream_oops_target;

static int __init tbstream_oops_init(void)
{
	/* READ_ONCE keeps the compiler from proving the NULL dereference away */
	return READ_ONCE(*READ_ONCE(tbstream_oops_target));
}
module_init(tbstream_oops_init);

MODULE_DESCRIPTION("tbstream VM harness self-test: oopses on load");
MODULE_LICENSE("GPL");
