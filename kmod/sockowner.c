// SPDX-License-Identifier: GPL-2.0
/*
 * The socket-owner map. Keyed by socket cookie (never by struct sock *,
 * which is reused; cookies never are), capped by max_owners, one spinlock
 * (_bh: looked up from the exporter and the hooks). The first owner of a
 * socket stays. An entry goes when its TCP connection has closed, or when
 * nobody has looked it up for EF_OWNER_IDLE (a stale entry can only cost
 * memory and pin a process record: its cookie never comes back).
 */
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <uapi/exeflow.h>

#include "proc.h"
#include "sockowner.h"
#include "stats.h"

#define EF_OWNER_IDLE	(120 * HZ)

struct ef_owner {
	struct hlist_node hnode;
	u64 cookie;
	struct ef_proc *proc;
	unsigned long last_used;
	bool accepted;		/* filled by the accept probe */
};

static struct hlist_head *ef_owners;
static unsigned int ef_owner_bits;
static unsigned int ef_owner_max;
static DEFINE_SPINLOCK(ef_owner_lock);
static atomic_t ef_nowners = ATOMIC_INIT(0);
static atomic_t ef_owner_gen = ATOMIC_INIT(0);

unsigned int ef_sockowner_count(void)
{
	return atomic_read(&ef_nowners);
}

/* Changes whenever an entry is added: flows without owner look again. */
u32 ef_sockowner_gen(void)
{
	return atomic_read(&ef_owner_gen);
}

static struct hlist_head *ef_owner_bucket(u64 cookie)
{
	return &ef_owners[hash_64(cookie, ef_owner_bits)];
}

static struct ef_owner *ef_owner_find(u64 cookie)
{
	struct ef_owner *e;

	hlist_for_each_entry(e, ef_owner_bucket(cookie), hnode)
		if (e->cookie == cookie)
			return e;
	return NULL;
}

/* Record @p as the owner of @cookie unless it has one; true if added. */
bool ef_sockowner_set(u64 cookie, struct ef_proc *p, bool accepted)
{
	struct ef_owner *e;
	bool added = false;

	spin_lock_bh(&ef_owner_lock);
	e = ef_owner_find(cookie);
	if (e) {
		e->last_used = jiffies;
		goto out;
	}
	if (atomic_inc_return(&ef_nowners) > ef_owner_max) {
		atomic_dec(&ef_nowners);
		ef_stat_inc(EXEFLOW_S_DROP_OWNER_FULL);
		goto out;
	}
	e = kmalloc(sizeof(*e), GFP_ATOMIC | __GFP_NOWARN);
	if (!e) {
		atomic_dec(&ef_nowners);
		ef_stat_inc(EXEFLOW_S_DROP_ALLOC);
		goto out;
	}
	ef_proc_hold(p);
	e->cookie = cookie;
	e->proc = p;
	e->accepted = accepted;
	e->last_used = jiffies;
	hlist_add_head(&e->hnode, ef_owner_bucket(cookie));
	atomic_inc(&ef_owner_gen);
	added = true;
out:
	spin_unlock_bh(&ef_owner_lock);
	return added;
}

/* The owner of @cookie with a reference, and how it became known. */
struct ef_proc *ef_sockowner_get(u64 cookie, u8 *method)
{
	struct ef_proc *p = NULL;
	struct ef_owner *e;

	spin_lock_bh(&ef_owner_lock);
	e = ef_owner_find(cookie);
	if (e) {
		e->last_used = jiffies;
		p = e->proc;
		ef_proc_hold(p);
		*method = e->accepted ? EXEFLOW_M_ACCEPT : EXEFLOW_M_SOCKET;
	}
	spin_unlock_bh(&ef_owner_lock);
	return p;
}

/* The socket is closed (TCP FIN/RST seen and the flow ended). */
void ef_sockowner_del(u64 cookie)
{
	struct ef_owner *e;

	spin_lock_bh(&ef_owner_lock);
	e = ef_owner_find(cookie);
	if (e) {
		hlist_del(&e->hnode);
		atomic_dec(&ef_nowners);
	}
	spin_unlock_bh(&ef_owner_lock);
	if (e) {
		ef_proc_put(e->proc);
		kfree(e);
	}
}

static void ef_owner_reap(bool all)
{
	unsigned long now = jiffies;
	struct hlist_node *tmp;
	struct ef_owner *e;
	HLIST_HEAD(dead);
	unsigned int i;

	spin_lock_bh(&ef_owner_lock);
	for (i = 0; i < (1U << ef_owner_bits); i++) {
		hlist_for_each_entry_safe(e, tmp, &ef_owners[i], hnode) {
			if (!all &&
			    time_before(now, e->last_used + EF_OWNER_IDLE))
				continue;
			hlist_del(&e->hnode);
			hlist_add_head(&e->hnode, &dead);
			atomic_dec(&ef_nowners);
		}
	}
	spin_unlock_bh(&ef_owner_lock);

	hlist_for_each_entry_safe(e, tmp, &dead, hnode) {
		ef_proc_put(e->proc);
		kfree(e);
	}
}

void ef_sockowner_gc(void)
{
	ef_owner_reap(false);
}

int ef_sockowner_init(unsigned int max)
{
	unsigned int i;

	ef_owner_max = max;
	ef_owner_bits = ilog2(roundup_pow_of_two(clamp(max / 4, 64U,
						       1U << 18)));
	ef_owners = kvcalloc(1U << ef_owner_bits, sizeof(*ef_owners),
			     GFP_KERNEL);
	if (!ef_owners)
		return -ENOMEM;
	for (i = 0; i < (1U << ef_owner_bits); i++)
		INIT_HLIST_HEAD(&ef_owners[i]);
	return 0;
}

void ef_sockowner_exit(void)
{
	ef_owner_reap(true);
	kvfree(ef_owners);
}
