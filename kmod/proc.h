/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_PROC_H
#define EXEFLOW_PROC_H

#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/types.h>

struct file;

enum ef_exe_state {
	EF_EXE_PENDING,		/* file reference taken, worker not done */
	EF_EXE_DONE,		/* exe_* fields valid */
	EF_EXE_FAILED,		/* could not be resolved */
	EF_EXE_NONE,		/* no executable (no mm) */
};

/*
 * A snapshot of one process, taken once in its own context. Identity is
 * (tgid, start_ns) plus the mm it ran with (a new exec is a new record).
 * Refcounted: the hash holds one reference, each flow, socket-owner entry
 * and pending resolution another. The exe_* fields are written once by
 * the resolver and published by exe_state (acquire/release).
 */
struct ef_proc {
	struct hlist_node hnode;
	struct list_head resolve;	/* resolver queue */
	refcount_t ref;
	unsigned long last_used;	/* jiffies */
	const void *mm_key;		/* identity only, never dereferenced */
	struct file *exe_file;		/* held until resolved */
	u64 start_ns;
	u64 cgroup_id;
	u32 tgid, pid, ppid, sid, pgid;
	u32 uid, gid, euid, egid;
	u32 pidns_inum;
	u32 flags;			/* EXEFLOW_PF_*, fixed at creation */
	char comm[TASK_COMM_LEN];
	int exe_state;			/* enum ef_exe_state */
	u32 exe_flags;			/* EXEFLOW_PF_EXE_*, by the resolver */
	char *exe_path;
	u32 exe_major, exe_minor;
	u64 exe_ino, exe_size, exe_mtime_ns;
	/*
	 * Once resolved: the record attributes of all the above, encoded
	 * once (record.c), or NULL. Published with exe_state; exe_path is
	 * then freed, the attributes hold it.
	 */
	void *attrs;
	u32 attrs_len;
};

int ef_proc_init(void);
void ef_proc_exit(void);
struct ef_proc *ef_proc_get_current(void);
void ef_proc_put(struct ef_proc *p);
void ef_proc_gc(void);
void ef_proc_flush_resolver(void);
unsigned int ef_proc_count(void);

static inline void ef_proc_hold(struct ef_proc *p)
{
	refcount_inc(&p->ref);
}

static inline int ef_proc_exe_state(const struct ef_proc *p)
{
	/* pairs with the resolver's smp_store_release() */
	return smp_load_acquire(&p->exe_state);
}

static inline bool ef_proc_exe_pending(const struct ef_proc *p)
{
	return ef_proc_exe_state(p) == EF_EXE_PENDING;
}

/* EXEFLOW_P_FLAGS as exported now. */
static inline u32 ef_proc_flags(const struct ef_proc *p)
{
	if (ef_proc_exe_pending(p))
		return p->flags;
	return p->flags | p->exe_flags;
}

#endif /* EXEFLOW_PROC_H */
