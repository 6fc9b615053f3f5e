// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately broken module: it dereferences NULL at load time. The
 * harness self-test boots it and must report a failure; if it ever passes,
 * the VM tests can no longer see a crashing exeflow.ko either.
 */
#include <linux/module.h>

static int __init broken_init(void)
{
	int *volatile p = NULL;

	return *p;
}

static void __exit broken_exit(void)
{
}

module_init(broken_init);
module_exit(broken_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("exeflow VM harness self-test: oopses on load");
