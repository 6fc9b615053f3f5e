// SPDX-License-Identifier: GPL-2.0
/*
 * Planted bugs for the debug-kernel harness self-test (tests/debug/check.sh).
 * Each boot loads this module with one bug= value and unloads it; the
 * harness must report the bug, or it could not see the same bug in
 * exeflow.ko either:
 *   bug=leak   a kmalloc()ed buffer is never freed (kmemleak, after rmmod)
 *   bug=sleep  kmalloc(GFP_KERNEL) and msleep() under a spinlock
 *              (DEBUG_ATOMIC_SLEEP, the scheduler's atomic check)
 *   bug=slab   a kmem_cache destroyed with an object still allocated
 *   bug=none   nothing (a clean control)
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *bug = "none";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "Which bug to plant: none, leak, sleep, slab");

static DEFINE_SPINLOCK(planted_lock);
static void *planted_leak;		/* forgotten at unload */
static struct kmem_cache *planted_cache;
static void *planted_obj;		/* never returned to planted_cache */

static int __init planted_init(void)
{
	if (!strcmp(bug, "leak")) {
		planted_leak = kmalloc(128, GFP_KERNEL);
		if (!planted_leak)
			return -ENOMEM;
		memset(planted_leak, 0x5a, 128);
	} else if (!strcmp(bug, "sleep")) {
		void *p;

		spin_lock(&planted_lock);
		p = kmalloc(64, GFP_KERNEL);	/* may sleep */
		msleep(20);			/* sleeps */
		spin_unlock(&planted_lock);
		kfree(p);
	} else if (!strcmp(bug, "slab")) {
		planted_cache = kmem_cache_create("exeflow_planted", 64, 0, 0,
						  NULL);
		if (!planted_cache)
			return -ENOMEM;
		planted_obj = kmem_cache_alloc(planted_cache, GFP_KERNEL);
		if (!planted_obj) {
			kmem_cache_destroy(planted_cache);
			return -ENOMEM;
		}
	} else if (strcmp(bug, "none")) {
		return -EINVAL;
	}
	pr_info("exeflow_planted: loaded with bug=%s\n", bug);
	return 0;
}

static void __exit planted_exit(void)
{
	if (planted_cache)
		kmem_cache_destroy(planted_cache);
}

module_init(planted_init);
module_exit(planted_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("exeflow debug-kernel harness self-test: planted bugs");
