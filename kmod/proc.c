// SPDX-License-Identifier: GPL-2.0
/*
 * Process records. ef_proc_get_current() is the only reader of `current`
 * (called from the hook's attribution gate and the accept probe, both in
 * the task's own context, never sleeping). It snapshots the process once
 * and takes a reference on its executable file; the resolver workqueue
 * turns that into path, device, inode, size and mtime and drops the file
 * at once, so mounts are not pinned. A process that exits right after
 * sending still gets its exe identity: the file was referenced in the hook.
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/kdev_t.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stat.h>
#include <linux/tty.h>
#include <linux/workqueue.h>
#include <uapi/exeflow.h>

#include "compat.h"
#include "export.h"
#include "main.h"
#include "params.h"
#include "proc.h"
#include "record.h"
#include "stats.h"

#define EF_PROC_BITS	10
/* an unreferenced record is kept this long for the next connection */
#define EF_PROC_LINGER	(60 * HZ)

static struct hlist_head ef_procs[1 << EF_PROC_BITS];
static DEFINE_SPINLOCK(ef_proc_lock);
static struct kmem_cache *ef_proc_cache;
static atomic_t ef_nprocs = ATOMIC_INIT(0);

static LIST_HEAD(ef_resolve_list);
static DEFINE_SPINLOCK(ef_resolve_lock);
static void ef_resolve_fn(struct work_struct *work);
static DECLARE_WORK(ef_resolve_work, ef_resolve_fn);

unsigned int ef_proc_count(void)
{
	return atomic_read(&ef_nprocs);
}

static struct hlist_head *ef_proc_bucket(u32 tgid, u64 start)
{
	return &ef_procs[hash_32(tgid ^ (u32)start ^ (u32)(start >> 32),
				 EF_PROC_BITS)];
}

/* A NULL @mm (exiting task) matches any record of the process. */
static struct ef_proc *ef_proc_find(u32 tgid, u64 start, const void *mm)
{
	struct ef_proc *p;

	hlist_for_each_entry(p, ef_proc_bucket(tgid, start), hnode)
		if (p->tgid == tgid && p->start_ns == start &&
		    (!mm || p->mm_key == mm))
			return p;
	return NULL;
}

static void ef_proc_free(struct ef_proc *p)
{
	if (p->exe_file)
		fput(p->exe_file);
	kfree(p->exe_path);
	kfree(p->attrs);
	atomic_dec(&ef_nprocs);
	kmem_cache_free(ef_proc_cache, p);
}

void ef_proc_put(struct ef_proc *p)
{
	WRITE_ONCE(p->last_used, jiffies);
	if (refcount_dec_and_test(&p->ref))
		ef_proc_free(p);
}

static u32 ef_tty_flags(struct task_struct *t)
{
	struct tty_struct *tty = get_current_tty();
	struct pid *pgrp;
	u32 flags;

	if (!tty)
		return 0;
	flags = EXEFLOW_PF_HAS_TTY;
	pgrp = tty_get_pgrp(tty);
	if (pgrp && pgrp == task_pgrp(t))
		flags |= EXEFLOW_PF_FOREGROUND;
	put_pid(pgrp);
	tty_kref_put(tty);
	return flags;
}

/*
 * The exe path of a task in a private mount namespace, resolved now,
 * relative to the task's root. From the worker it would be resolved too
 * late for a short-lived process: when the last task of the namespace
 * exits, its mounts are detached and the path comes out relative to the
 * detached mount (/k10/x for /tmp/k10/x). The initial namespace never goes
 * away, so there the worker resolves from the host root as usual (a
 * chrooted process then shows its host path). d_path() does not sleep and
 * is safe in task context (never in softirq, kernel-notes 3.3); this runs
 * once per process record.
 */
static char *ef_path_now(struct task_struct *t, struct file *file)
{
	char *buf, *path, *res = NULL;

	if (!in_task() || !t->fs || !t->nsproxy ||
	    t->nsproxy->mnt_ns == init_task.nsproxy->mnt_ns)
		return NULL;
	buf = kmalloc(PATH_MAX, GFP_ATOMIC | __GFP_NOWARN);
	if (!buf)
		return NULL;	/* the worker will try */
	path = d_path(&file->f_path, buf, PATH_MAX);
	if (!IS_ERR(path))
		res = kstrdup(path, GFP_ATOMIC | __GFP_NOWARN);
	kfree(buf);
	return res;
}

/* Snapshot `current`; may run with BH or preemption disabled. */
static void ef_proc_fill(struct ef_proc *p, struct task_struct *t)
{
	const struct cred *cred = current_cred();
	struct task_struct *leader = t->group_leader;
	struct pid_namespace *pidns;

	p->tgid = t->tgid;
	p->pid = t->pid;
	p->start_ns = leader->start_boottime;
	rcu_read_lock();
	p->ppid = task_tgid_nr(rcu_dereference(t->real_parent));
#ifdef CONFIG_CGROUPS
	p->cgroup_id = cgroup_id(task_dfl_cgroup(t));
#endif
	rcu_read_unlock();
	p->sid = task_session_nr_ns(t, &init_pid_ns);
	p->pgid = task_pgrp_nr_ns(t, &init_pid_ns);
	pidns = task_active_pid_ns(t);
	p->pidns_inum = pidns ? pidns->ns.inum : 0;
	p->uid = from_kuid_munged(&init_user_ns, cred->uid);
	p->gid = from_kgid_munged(&init_user_ns, cred->gid);
	p->euid = from_kuid_munged(&init_user_ns, cred->euid);
	p->egid = from_kgid_munged(&init_user_ns, cred->egid);
	/* racy against prctl(PR_SET_NAME) at worst; always terminated */
	memcpy(p->comm, leader->comm, TASK_COMM_LEN);
	p->comm[TASK_COMM_LEN - 1] = '\0';
	if (t->signal->leader)
		p->flags |= EXEFLOW_PF_SESSION_LEADER;
	p->flags |= ef_tty_flags(t);

	/* exit_mm() runs before exit_files(): a closing FIN may have no mm */
	p->mm_key = t->mm;
	if (t->mm)
		p->exe_file = ef_get_mm_exe_file(t->mm);
	if (p->exe_file)
		p->exe_path = ef_path_now(t, p->exe_file);
	p->exe_state = p->exe_file ? EF_EXE_PENDING : EF_EXE_NONE;
}

static void ef_resolve_queue(struct ef_proc *p)
{
	ef_proc_hold(p);
	spin_lock_bh(&ef_resolve_lock);
	list_add_tail(&p->resolve, &ef_resolve_list);
	spin_unlock_bh(&ef_resolve_lock);
	queue_work(ef_wq, &ef_resolve_work);
}

/*
 * The current task's record, with a reference, or NULL (kernel thread,
 * max_procs reached, no memory). Task context only.
 */
struct ef_proc *ef_proc_get_current(void)
{
	struct task_struct *t = current;
	u64 start = t->group_leader->start_boottime;
	const void *mm = t->mm;
	struct ef_proc *p, *n;

	if (t->flags & PF_KTHREAD)
		return NULL;

	spin_lock_bh(&ef_proc_lock);
	p = ef_proc_find(t->tgid, start, mm);
	if (p) {
		refcount_inc(&p->ref);
		WRITE_ONCE(p->last_used, jiffies);
	}
	spin_unlock_bh(&ef_proc_lock);
	if (p)
		return p;

	if (atomic_inc_return(&ef_nprocs) > ef_param(max_procs)) {
		atomic_dec(&ef_nprocs);
		ef_stat_inc(EXEFLOW_S_DROP_PROC_FULL);
		return NULL;
	}
	n = kmem_cache_zalloc(ef_proc_cache, GFP_ATOMIC | __GFP_NOWARN);
	if (!n) {
		atomic_dec(&ef_nprocs);
		ef_stat_inc(EXEFLOW_S_DROP_ALLOC);
		return NULL;
	}
	INIT_LIST_HEAD(&n->resolve);
	ef_proc_fill(n, t);
	refcount_set(&n->ref, 2);	/* the hash's and the caller's */
	n->last_used = jiffies;

	spin_lock_bh(&ef_proc_lock);
	p = ef_proc_find(t->tgid, start, mm);
	if (p) {			/* another thread won the race */
		refcount_inc(&p->ref);
		spin_unlock_bh(&ef_proc_lock);
		ef_proc_free(n);
		return p;
	}
	hlist_add_head(&n->hnode, ef_proc_bucket(t->tgid, start));
	spin_unlock_bh(&ef_proc_lock);

	if (n->exe_file)
		ef_resolve_queue(n);
	return n;
}

static void ef_strip_deleted(char *s)
{
	static const char sfx[] = " (deleted)";
	size_t len = strlen(s), n = sizeof(sfx) - 1;

	if (len > n && !strcmp(s + len - n, sfx))
		s[len - n] = '\0';
}

static void ef_resolve_one(struct ef_proc *p, char *buf)
{
	struct file *file = p->exe_file;
	int state = EF_EXE_FAILED;
	struct kstat st;
	char *path;

	/* a path taken in the hook (ef_path_now()) is kept */
	if (!p->exe_path && buf) {
		path = file_path(file, buf, PATH_MAX);
		if (!IS_ERR(path))
			p->exe_path = kstrdup(path, GFP_KERNEL);
	}
	if (p->exe_path && d_unlinked(file->f_path.dentry)) {
		ef_strip_deleted(p->exe_path);
		p->exe_flags |= EXEFLOW_PF_EXE_DELETED;
	}
	if (!vfs_getattr_nosec(&file->f_path, &st, STATX_BASIC_STATS,
			       AT_STATX_DONT_SYNC)) {
		p->exe_major = MAJOR(st.dev);
		p->exe_minor = MINOR(st.dev);
		p->exe_ino = st.ino;
		p->exe_size = st.size;
		p->exe_mtime_ns = timespec64_to_ns(&st.mtime);
		p->exe_flags |= EXEFLOW_PF_EXE_KNOWN;
		state = EF_EXE_DONE;
	}
	if (!p->exe_path || state != EF_EXE_DONE)
		ef_stat_inc(EXEFLOW_S_EXE_UNRESOLVED);
	if (p->exe_path)
		state = EF_EXE_DONE;
	p->attrs = ef_record_proc_attrs(p, state, &p->attrs_len);
	if (p->attrs) {
		kfree(p->exe_path);
		p->exe_path = NULL;
	}
	p->exe_file = NULL;
	/* publish exe_* and exe_flags; pairs with ef_proc_exe_state() */
	smp_store_release(&p->exe_state, state);
	fput(file);
}

static void ef_resolve_fn(struct work_struct *work)
{
	char *buf = kmalloc(PATH_MAX, GFP_KERNEL);
	struct ef_proc *p;
	bool any = false;

	for (;;) {
		spin_lock_bh(&ef_resolve_lock);
		p = list_first_entry_or_null(&ef_resolve_list, struct ef_proc,
					     resolve);
		if (p)
			list_del_init(&p->resolve);
		spin_unlock_bh(&ef_resolve_lock);
		if (!p)
			break;
		ef_resolve_one(p, buf);
		ef_proc_put(p);
		any = true;
		cond_resched();
	}
	kfree(buf);
	/* flows waiting for these paths can be exported now */
	if (any)
		ef_export_kick();
}

void ef_proc_flush_resolver(void)
{
	flush_work(&ef_resolve_work);
}

/* Free records nobody has used for a while (only the hash refers to them). */
static void ef_proc_reap(bool all)
{
	unsigned long now = jiffies;
	struct hlist_node *tmp;
	struct ef_proc *p;
	HLIST_HEAD(dead);
	unsigned int i;

	spin_lock_bh(&ef_proc_lock);
	for (i = 0; i < ARRAY_SIZE(ef_procs); i++) {
		hlist_for_each_entry_safe(p, tmp, &ef_procs[i], hnode) {
			if (!all && (refcount_read(&p->ref) != 1 ||
				     time_before(now, READ_ONCE(p->last_used) +
						 EF_PROC_LINGER)))
				continue;
			hlist_del(&p->hnode);
			hlist_add_head(&p->hnode, &dead);
		}
	}
	spin_unlock_bh(&ef_proc_lock);

	hlist_for_each_entry_safe(p, tmp, &dead, hnode) {
		hlist_del(&p->hnode);
		WARN_ONCE(refcount_read(&p->ref) != 1,
			  "exeflow: process record still referenced\n");
		ef_proc_put(p);
	}
}

void ef_proc_gc(void)
{
	ef_proc_reap(false);
}

int ef_proc_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ef_procs); i++)
		INIT_HLIST_HEAD(&ef_procs[i]);
	ef_proc_cache = kmem_cache_create("exeflow_proc",
					  sizeof(struct ef_proc), 0, 0, NULL);
	return ef_proc_cache ? 0 : -ENOMEM;
}

/*
 * After every flow, owner entry and backlog record has been released and
 * the workqueue destroyed.
 */
void ef_proc_exit(void)
{
	struct ef_proc *p, *tmp;

	/* the workqueue is gone; nothing may be left to resolve */
	list_for_each_entry_safe(p, tmp, &ef_resolve_list, resolve) {
		WARN_ONCE(1, "exeflow: unresolved process record at unload\n");
		list_del_init(&p->resolve);
		ef_proc_put(p);
	}
	ef_proc_reap(true);
	kmem_cache_destroy(ef_proc_cache);
}
