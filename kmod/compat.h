/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference exeflow cares about lives here. Features
 * that stable and distribution kernels backport are detected by the compile
 * probes in probe/ (gen-compat.sh writes compat-generated.h); the rest of
 * the module reads like mainline code. Targets: 5.10 .. 7.x; tested on
 * every Debian kernel line by tests/matrix (make check-matrix).
 */
#ifndef EXEFLOW_COMPAT_H
#define EXEFLOW_COMPAT_H

#include <linux/fs.h>
#include <linux/kconfig.h>
#include <linux/mm_types.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>

/* Missing? Run kmod/gen-compat.sh KDIR kmod before building. */
#include "compat-generated.h"

/*
 * A counted reference to mm->exe_file. get_{mm,task}_exe_file() are not
 * exported since 5.15, so open-code it. get_file_rcu() was a macro on a
 * struct file * up to 6.6 and is an exported function on the __rcu slot
 * since 6.7 (struct file became SLAB_TYPESAFE_BY_RCU). Never touch f_count
 * (file_ref_t since 6.13). Only for current->mm.
 */
static inline struct file *ef_get_mm_exe_file(struct mm_struct *mm)
{
	struct file *exe;

	rcu_read_lock();
#ifdef EF_HAVE_GET_FILE_RCU_FUNC
	exe = get_file_rcu(&mm->exe_file);
#else
	exe = rcu_dereference(mm->exe_file);
	if (exe && !get_file_rcu(exe))
		exe = NULL;
#endif
	rcu_read_unlock();
	return exe;
}

/*
 * Multicast groups: admin-only flag. exeflow sends nothing by multicast
 * (records are unicast to the registered listener); kept for any future
 * notification group, which must never carry flow data on kernels where
 * the flag is not enforced.
 */
#ifdef EF_HAVE_GENL_MCAST_CAP
#define EF_GENL_MCAST_ADMIN	GENL_MCAST_CAP_NET_ADMIN
#else
#define EF_GENL_MCAST_ADMIN	GENL_UNS_ADMIN_PERM
#endif

/*
 * resv_start_op (6.1+) is deliberately left 0 in struct genl_family: every
 * command then gets strict header/attribute validation. Nothing to do on
 * older kernels, where small_ops with validate = 0 are strict as well.
 */

/* Dump request attributes (not used by exeflow's dumps today). */
#ifndef EF_HAVE_GENL_INFO_DUMP
static inline const struct genl_dumpit_info *
ef_genl_dump_info(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb);
}
#define ef_genl_dump_attrs(cb)	(ef_genl_dump_info(cb)->attrs)
#else
#define ef_genl_dump_attrs(cb)	(genl_info_dump(cb)->attrs)
#endif

#ifndef EF_HAVE_NLA_STRSCPY
#define nla_strscpy nla_strlcpy
#endif

/*
 * kretprobe return handlers. Up to 5.10 they run under the kretprobe hash
 * lock, taken with irqsave, where the _bh locks of exeflow's tables must
 * not be taken: the accept probe could never do anything there, so it is
 * not offered at all (accept_probe reads 0, writing 1 fails). From 5.11
 * (lockless instance list; rethook on x86 since 5.19) handlers run with
 * interrupts enabled. The handler still checks irqs_disabled().
 */
#if IS_ENABLED(CONFIG_KRETPROBES) && !defined(EF_HAVE_KRETPROBE_HASH)
#define EF_KRETPROBE_USABLE	1
#endif

/*
 * Stack variables the packet path fills itself, exempt from
 * CONFIG_INIT_STACK_ALL_ZERO's clearing: mainline since 6.8, stable
 * 5.10.223, 5.15.163 and 6.1.100; without it they are cleared, as before.
 */
#ifndef __uninitialized
#define __uninitialized
#endif

#endif /* EXEFLOW_COMPAT_H */
