// SPDX-License-Identifier: GPL-2.0
/*
 * Interface names for export. A flow keeps only its ifindexes: two names
 * per flow were 32 of its bytes. The name is looked up when a record is
 * encoded, from this table of (netns id, ifindex) -> name, which a
 * netdevice notifier keeps for every device of every namespace.
 *
 * Records are encoded after the fact (the backlog may hold them for long),
 * and a namespace's devices are unregistered before its flows end (the
 * device pernet exits run before ours), so the names of unregistered
 * devices are kept too, the most recent max_backlog / 8 of them (at least
 * EF_IFNAME_GONE_MIN): records wait at most in the backlog, and a
 * destroyed namespace leaves a few devices per several flows. The table is
 * bounded by the host's devices plus that.
 *
 * Writers are the notifier (RTNL, process context) and the KUnit suites;
 * readers are the exporter and GET_FLOWS under spinlocks, hence RCU.
 */
#include <linux/hash.h>
#include <linux/netdevice.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "ifname.h"
#include "netns.h"
#include "params.h"

#define EF_IFNAME_BITS		10
#define EF_IFNAME_GONE_MIN	1024

struct ef_ifname {
	struct hlist_node hnode;
	struct list_head gone;	/* on ef_if_gone once unregistered */
	struct rcu_head rcu;
	u64 netns_id;
	int ifindex;
	char name[IFNAMSIZ];
};

static struct hlist_head ef_if_hash[1 << EF_IFNAME_BITS];
static LIST_HEAD(ef_if_gone);
static unsigned int ef_if_ngone;
static unsigned int ef_if_gone_max = EF_IFNAME_GONE_MIN;
static DEFINE_SPINLOCK(ef_if_lock);
static bool ef_if_stopping;

static struct hlist_head *ef_if_bucket(u64 netns_id, int ifindex)
{
	return &ef_if_hash[hash_64(netns_id << 32 ^ (u32)ifindex,
				   EF_IFNAME_BITS)];
}

static struct ef_ifname *ef_if_find(u64 netns_id, int ifindex)
{
	struct ef_ifname *e;

	hlist_for_each_entry_rcu(e, ef_if_bucket(netns_id, ifindex), hnode,
				 lockdep_is_held(&ef_if_lock))
		if (e->netns_id == netns_id && e->ifindex == ifindex)
			return e;
	return NULL;
}

/* ef_if_lock held; @e is off the hash already */
static void ef_if_free(struct ef_ifname *e)
{
	if (!list_empty(&e->gone)) {
		list_del(&e->gone);
		ef_if_ngone--;
	}
	kfree_rcu(e, rcu);
}

/* ef_if_lock held */
static void ef_if_unlink(struct ef_ifname *e)
{
	hlist_del_rcu(&e->hnode);
	ef_if_free(e);
}

void ef_ifname_set(u64 netns_id, int ifindex, const char *name)
{
	struct ef_ifname *n = kzalloc(sizeof(*n), GFP_KERNEL), *old;

	if (!n)		/* records of this device go out without its name */
		return;
	n->netns_id = netns_id;
	n->ifindex = ifindex;
	INIT_LIST_HEAD(&n->gone);
	strscpy(n->name, name, IFNAMSIZ);
	spin_lock(&ef_if_lock);
	old = ef_if_find(netns_id, ifindex);
	if (old) {
		/* a reader finds one or the other, never neither */
		hlist_replace_rcu(&old->hnode, &n->hnode);
		ef_if_free(old);
	} else {
		hlist_add_head_rcu(&n->hnode, ef_if_bucket(netns_id, ifindex));
	}
	spin_unlock(&ef_if_lock);
}

void ef_ifname_gone(u64 netns_id, int ifindex)
{
	struct ef_ifname *e;

	spin_lock(&ef_if_lock);
	e = ef_if_find(netns_id, ifindex);
	if (e && list_empty(&e->gone)) {
		list_add_tail(&e->gone, &ef_if_gone);
		if (++ef_if_ngone > ef_if_gone_max)
			ef_if_unlink(list_first_entry(&ef_if_gone,
						      struct ef_ifname, gone));
	}
	spin_unlock(&ef_if_lock);
}

bool ef_ifname_get(u64 netns_id, int ifindex, char name[IFNAMSIZ])
{
	const struct ef_ifname *e;

	rcu_read_lock();
	e = ef_if_find(netns_id, ifindex);
	if (e)
		memcpy(name, e->name, IFNAMSIZ);
	rcu_read_unlock();
	return e;
}

unsigned int ef_ifname_gone_max(void)
{
	return READ_ONCE(ef_if_gone_max);
}

/* Drop the names of @netns_id (a KUnit test's), or all of them (0). */
void ef_ifname_forget(u64 netns_id)
{
	struct ef_ifname *e;
	struct hlist_node *tmp;
	unsigned int i;

	spin_lock(&ef_if_lock);
	for (i = 0; i < ARRAY_SIZE(ef_if_hash); i++)
		hlist_for_each_entry_safe(e, tmp, &ef_if_hash[i], hnode)
			if (!netns_id || e->netns_id == netns_id)
				ef_if_unlink(e);
	spin_unlock(&ef_if_lock);
}

static int ef_if_event(struct notifier_block *nb, unsigned long event,
		       void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	u64 id;

	/* unregistering replays UNREGISTER for every device: keep names */
	if (READ_ONCE(ef_if_stopping))
		return NOTIFY_DONE;
	id = ef_netns_id(dev_net(dev));
	if (!id)	/* a namespace exeflow has not set up */
		return NOTIFY_DONE;
	switch (event) {
	case NETDEV_REGISTER:
	case NETDEV_CHANGENAME:
		ef_ifname_set(id, dev->ifindex, dev->name);
		break;
	case NETDEV_UNREGISTER:
		ef_ifname_gone(id, dev->ifindex);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block ef_if_notifier = {
	.notifier_call = ef_if_event,
};

/* After ef_netns_init(): namespaces must have their ids. */
int ef_ifname_init(void)
{
	WRITE_ONCE(ef_if_gone_max,
		   max_t(unsigned int, EF_IFNAME_GONE_MIN,
			 ef_param(max_backlog) / 8));
	/* replays REGISTER for the devices of every namespace */
	return register_netdevice_notifier(&ef_if_notifier);
}

/* Before ef_netns_exit(): the notifier needs the namespaces' ids. */
void ef_ifname_stop(void)
{
	WRITE_ONCE(ef_if_stopping, true);
	unregister_netdevice_notifier(&ef_if_notifier);
}

/* When nothing encodes records any more. */
void ef_ifname_exit(void)
{
	ef_ifname_forget(0);
}
