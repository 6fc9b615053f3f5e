// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table: a power-of-two bucket array split into stripes. Each
 * stripe has a spinlock (taken with _bh: the hooks run in task and softirq
 * context) guarding its buckets, an LRU list of its flows and a list of
 * flows ended on the packet path. Counters are plain fields updated under
 * the stripe lock. Flows come from two kmem_caches (IPv4 flows are
 * shorter), GFP_ATOMIC, and their number is capped by max_flows; nothing
 * here sleeps except the exporter's scan, which runs in a workqueue and
 * drops the lock between stripes.
 */
#include <linux/jhash.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <net/tcp.h>

#include "flowtable.h"
#include "params.h"
#include "proc.h"
#include "sk.h"
#include "sockowner.h"
#include "stats.h"

#define EF_STRIPES_MAX	256U

/* How long an ended flow may wait for its owner's exe path. */
#define EF_EXE_WAIT_NS	(10ULL * NSEC_PER_SEC)

struct ef_stripe {
	spinlock_t lock;
	struct list_head lru;	/* least recently active first */
	struct list_head dead;	/* ended on the packet path */
} ____cacheline_aligned_in_smp;

static struct hlist_head *ef_buckets;
static unsigned int ef_hmask;
static struct ef_stripe *ef_stripes;
static unsigned int ef_smask;
static struct kmem_cache *ef_flow_cache4, *ef_flow_cache6;
static atomic_t ef_nflows = ATOMIC_INIT(0);
static atomic64_t ef_flow_ids = ATOMIC64_INIT(0);
static u32 ef_seed __read_mostly;

static u32 ef_hash(const struct ef_key *k)
{
	BUILD_BUG_ON(EF_KEY_LEN4 % sizeof(u32) || EF_KEY_LEN6 % sizeof(u32));
	return jhash2((const u32 *)k, ef_key_len(k) / sizeof(u32), ef_seed);
}

unsigned int ef_flowtable_count(void)
{
	return atomic_read(&ef_nflows);
}

static struct ef_flow *ef_find(const struct hlist_head *b,
			       const struct ef_key *k)
{
	struct ef_flow *f;

	/* same family first: an IPv4 flow has no room for an IPv6 key */
	hlist_for_each_entry(f, b, hnode)
		if (f->key.family == k->family &&
		    !memcmp(&f->key, k, ef_key_len(k)))
			return f;
	return NULL;
}

static struct kmem_cache *ef_flow_cache_of(u8 family)
{
	return family == AF_INET6 ? ef_flow_cache6 : ef_flow_cache4;
}

struct ef_flow *ef_flow_clone(const struct ef_flow *f, gfp_t gfp)
{
	struct ef_flow *n = kmem_cache_alloc(ef_flow_cache_of(f->key.family),
					     gfp);

	if (!n)
		return NULL;
	memcpy(n, f, ef_flow_size(f));
	INIT_HLIST_NODE(&n->hnode);
	INIT_LIST_HEAD(&n->node);
	if (n->owner)
		ef_proc_hold(n->owner);
	return n;
}

void ef_flow_free(struct ef_flow *f)
{
	if (f->owner)
		ef_proc_put(f->owner);
	kmem_cache_free(ef_flow_cache_of(f->key.family), f);
}

static struct ef_flow *ef_flow_new(const struct ef_pkt *pkt, u64 now)
{
	struct ef_flow *f;
	bool local_init;

	if (atomic_inc_return(&ef_nflows) > ef_param(max_flows)) {
		atomic_dec(&ef_nflows);
		ef_stat_inc(EXEFLOW_S_DROP_TABLE_FULL);
		return NULL;
	}
	f = kmem_cache_zalloc(ef_flow_cache_of(pkt->key.family),
			      GFP_ATOMIC | __GFP_NOWARN);
	if (!f) {
		atomic_dec(&ef_nflows);
		ef_stat_inc(EXEFLOW_S_DROP_ALLOC);
		return NULL;
	}
	memcpy(&f->key, &pkt->key, ef_key_len(&pkt->key));
	f->id = atomic64_inc_return(&ef_flow_ids);
	f->init_side = pkt->init_side;
	/* the initiator is local if it sent this LOCAL_OUT packet */
	local_init = pkt->out == (pkt->side == pkt->init_side);
	f->direction = local_init ? EXEFLOW_DIR_OUTBOUND : EXEFLOW_DIR_INBOUND;
	f->first_ns = now;
	f->period_ns = now;
	ef_stat_inc(EXEFLOW_S_FLOWS_CREATED);
	return f;
}

/* Unlink a live flow from the table; the caller owns it afterwards. */
static void ef_flow_unlink(struct ef_flow *f, u8 reason)
{
	hlist_del(&f->hnode);
	list_del_init(&f->node);
	f->event = EXEFLOW_EV_END;
	f->end_reason = reason;
	atomic_dec(&ef_nflows);
	ef_stat_inc(EXEFLOW_S_FLOWS_EXPIRED);
	if (reason == EXEFLOW_END_EVICTED)
		ef_stat_inc(EXEFLOW_S_FLOWS_EVICTED);
}

/* the name is looked up at export (ifname.c) */
static void ef_set_if(int *ifindex, const struct net_device *dev)
{
	if (dev)
		*ifindex = dev->ifindex;
}

static void ef_tcp_state(struct ef_flow *f, u8 flags, int dir)
{
	if (flags & TCPHDR_RST)
		f->flags |= EF_FL_CLOSING;
	if (flags & TCPHDR_FIN)
		f->flags |= dir == EF_FWD ? EF_FL_FIN_FWD : EF_FL_FIN_REV;
	if ((f->flags & (EF_FL_FIN_FWD | EF_FL_FIN_REV)) ==
	    (EF_FL_FIN_FWD | EF_FL_FIN_REV))
		f->flags |= EF_FL_CLOSING;
}

static bool ef_is_new_syn(const struct ef_pkt *pkt)
{
	return pkt->key.proto == IPPROTO_TCP &&
	       (pkt->tcp_flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN;
}

/*
 * Account one packet. Returns EF_NEED_* when the caller should look for an
 * owner (outside the stripe lock) and attach it with ef_flow_attach();
 * *cookie is then the local socket's cookie.
 */
int ef_flow_packet(struct ef_pkt *pkt, u64 *cookie)
{
	u64 now = ktime_get_coarse_ns();
	u32 h = ef_hash(&pkt->key);
	struct hlist_head *b = &ef_buckets[h & ef_hmask];
	struct ef_stripe *st = &ef_stripes[h & ef_smask];
	struct ef_flow *f;
	int need = 0;
	int dir;

	spin_lock_bh(&st->lock);
	f = ef_find(b, &pkt->key);
	if (f && (f->flags & EF_FL_CLOSING) && ef_is_new_syn(pkt)) {
		/* a new connection reuses a closing flow's tuple */
		ef_flow_unlink(f, EXEFLOW_END_FIN);
		list_add_tail(&f->node, &st->dead);
		f = NULL;
	}
	if (!f) {
		f = ef_flow_new(pkt, now);
		if (!f)
			goto out;
		hlist_add_head(&f->hnode, b);
		list_add_tail(&f->node, &st->lru);
	} else {
		list_move_tail(&f->node, &st->lru);
	}

	dir = pkt->side == f->init_side ? EF_FWD : EF_REV;
	f->pkts[dir] += pkt->segs;
	f->bytes[dir] += pkt->len;
	f->tcp_flags[dir] |= pkt->tcp_flags;
	if (pkt->key.proto == IPPROTO_TCP)
		ef_tcp_state(f, pkt->tcp_flags, dir);
	if (!f->first_ns)
		f->first_ns = now;
	f->last_ns = now;

	if (pkt->loopback) {
		ef_set_if(&f->in_ifindex, pkt->dev);
		ef_set_if(&f->out_ifindex, pkt->dev);
	} else if (pkt->out) {
		ef_set_if(&f->out_ifindex, pkt->dev);
	} else {
		ef_set_if(&f->in_ifindex, pkt->dev);
	}

	if (pkt->kernel)
		f->flags |= EF_FL_KERNEL;
	if (!pkt->user_sk || f->owner)
		goto out;
	/*
	 * The first user socket seen on a flow is its local endpoint (on
	 * loopback, the initiator's). Only that socket's packets attribute.
	 */
	*cookie = ef_sk_cookie(pkt->sk);
	if (!(f->flags & EF_FL_COOKIE)) {
		f->cookie = *cookie;
		f->flags |= EF_FL_COOKIE;
		if (ef_sk_creds(pkt->sk, &f->sock_uid, &f->sock_cgroup))
			f->flags |= EF_FL_CREDS;
		f->so_gen = ef_sockowner_gen();
		need |= EF_NEED_OWNER;
	}
	if (pkt->gate && *cookie == f->cookie)
		need |= EF_NEED_TASK;
out:
	spin_unlock_bh(&st->lock);
	return need;
}

/* Give the flow of @pkt its owner unless it found one meanwhile. */
void ef_flow_attach(const struct ef_pkt *pkt, u64 cookie,
		    struct ef_proc *proc, u8 method)
{
	u32 h = ef_hash(&pkt->key);
	struct ef_stripe *st = &ef_stripes[h & ef_smask];
	struct ef_flow *f;

	spin_lock_bh(&st->lock);
	f = ef_find(&ef_buckets[h & ef_hmask], &pkt->key);
	if (f && !f->owner && (f->flags & EF_FL_COOKIE) &&
	    f->cookie == cookie) {
		ef_proc_hold(proc);
		f->owner = proc;
		f->method = method;
	}
	spin_unlock_bh(&st->lock);
}

/* A flow without an owner takes its socket's, once the map knows it. */
static void ef_owner_from_map(struct ef_flow *f, u32 gen)
{
	u8 method;

	if (f->owner || !(f->flags & EF_FL_COOKIE) || f->so_gen == gen)
		return;
	f->so_gen = gen;
	f->owner = ef_sockowner_get(f->cookie, &method);
	if (f->owner)
		f->method = method;
}

static void ef_emit(struct list_head *out, struct ef_flow *f, u8 event,
		    u8 reason)
{
	struct ef_flow *n = ef_flow_clone(f, GFP_ATOMIC | __GFP_NOWARN);

	if (!n) {
		ef_stat_inc(EXEFLOW_S_DROP_ALLOC);
		return;
	}
	n->event = event;
	n->end_reason = reason;
	list_add_tail(&n->node, out);
}

/*
 * Queue an unlinked flow's END. A NEW not sent yet is not sent at all: it
 * would go out in the same batch as the END, which carries everything it
 * says, and short flows would cost two records each.
 */
static void ef_emit_end(struct list_head *out, struct ef_flow *f)
{
	/* a TCP connection that closed: its socket's owner entry is done */
	if (f->key.proto == IPPROTO_TCP && (f->flags & EF_FL_CLOSING) &&
	    (f->flags & EF_FL_COOKIE))
		ef_sockowner_del(f->cookie);
	if (ef_flow_method(f) == EXEFLOW_M_NONE)
		ef_stat_inc(EXEFLOW_S_UNATTRIBUTED);
	list_add_tail(&f->node, out);
}

static u8 ef_end_reason(const struct ef_flow *f, u64 now, u64 idle,
			u64 close)
{
	/* a packet may have stamped the flow after @now was read */
	u64 quiet = time_after64(now, f->last_ns) ? now - f->last_ns : 0;
	u8 reason;

	if ((f->flags & EF_FL_CLOSING) && quiet >= close)
		reason = EXEFLOW_END_FIN;
	else if (quiet >= idle)
		reason = EXEFLOW_END_IDLE;
	else
		return EXEFLOW_END_NONE;
	/* let the owner's exe path resolve first, within reason */
	if (f->owner && ef_proc_exe_pending(f->owner) &&
	    quiet < idle + EF_EXE_WAIT_NS)
		return EXEFLOW_END_NONE;
	return reason;
}

/* Interim record: snapshot the period's counters and restart them. */
static void ef_emit_update(struct list_head *out, struct ef_flow *f, u64 now)
{
	if (f->pkts[EF_FWD] || f->pkts[EF_REV])
		ef_emit(out, f, EXEFLOW_EV_UPDATE, EXEFLOW_END_ACTIVE);
	memset(f->pkts, 0, sizeof(f->pkts));
	memset(f->bytes, 0, sizeof(f->bytes));
	memset(f->tcp_flags, 0, sizeof(f->tcp_flags));
	f->first_ns = 0;
	f->period_ns = now;
}

/* Above 7/8 of max_flows, end the least recently active flows. */
static unsigned int ef_evict_quota(void)
{
	unsigned int max = ef_param(max_flows), n = ef_flowtable_count();

	if (max < 16 || n <= max - max / 8)
		return 0;
	return n - (max - max / 4);
}

void ef_flowtable_scan(bool listener, u8 force, u64 netns_id,
		       void (*emit)(struct list_head *recs))
{
	LIST_HEAD(recs);
	struct list_head *out = &recs;
	u64 idle = (u64)ef_param(inactive_timeout) * NSEC_PER_SEC;
	u64 active = (u64)ef_param(active_timeout) * NSEC_PER_SEC;
	u64 close = (u64)ef_param(tcp_close_timeout) * NSEC_PER_SEC;
	unsigned int evict = force ? 0 : ef_evict_quota();
	u32 gen = ef_sockowner_gen();
	struct ef_flow *f, *tmp;
	unsigned int i, ev;
	u64 now;
	u8 reason;

	for (i = 0; i <= ef_smask; i++) {
		struct ef_stripe *st = &ef_stripes[i];

		/*
		 * The quota left, spread over the stripes left: a fixed
		 * share per stripe evicted up to one flow per stripe when
		 * the quota was below the number of stripes (small max_flows,
		 * large hash_size), i.e. nearly the whole table.
		 */
		ev = DIV_ROUND_UP(evict, ef_smask + 1 - i);
		spin_lock_bh(&st->lock);
		/*
		 * Read under the lock: the scan of all stripes takes long
		 * enough for packets to stamp flows later than a time read
		 * at its start, and an unsigned "now - last" would wrap.
		 */
		now = ktime_get_coarse_ns();
		list_for_each_entry_safe(f, tmp, &st->dead, node) {
			list_del_init(&f->node);
			ef_owner_from_map(f, gen);
			ef_emit_end(out, f);
		}
		list_for_each_entry_safe(f, tmp, &st->lru, node) {
			if (netns_id && f->key.netns_id != netns_id)
				continue;
			ef_owner_from_map(f, gen);
			if (force)
				reason = force;
			else
				reason = ef_end_reason(f, now, idle, close);
			if (!reason && ev)
				reason = EXEFLOW_END_EVICTED;
			if (reason) {
				if (reason == EXEFLOW_END_EVICTED) {
					ev--;
					evict--;
				}
				ef_flow_unlink(f, reason);
				ef_emit_end(out, f);
				continue;
			}
			if (!listener)
				continue;
			if (!(f->flags & EF_FL_NEW_SENT) && f->owner &&
			    !ef_proc_exe_pending(f->owner)) {
				f->flags |= EF_FL_NEW_SENT;
				ef_emit(out, f, EXEFLOW_EV_NEW, EXEFLOW_END_NONE);
			}
			if (time_after64(now, f->period_ns) &&
			    now - f->period_ns >= active)
				ef_emit_update(out, f, now);
		}
		spin_unlock_bh(&st->lock);
		if (!list_empty(out))
			emit(out);
		cond_resched();
	}
}

int ef_flowtable_walk(unsigned long cursor[2],
		      int (*fn)(const struct ef_flow *f, void *arg), void *arg)
{
	unsigned long bucket, idx;
	struct ef_flow *f;
	int ret;

	for (bucket = cursor[0]; bucket <= ef_hmask; bucket++, cursor[1] = 0) {
		struct ef_stripe *st = &ef_stripes[bucket & ef_smask];

		idx = 0;
		spin_lock_bh(&st->lock);
		hlist_for_each_entry(f, &ef_buckets[bucket], hnode) {
			if (idx++ < cursor[1])
				continue;
			ret = fn(f, arg);
			if (ret) {
				spin_unlock_bh(&st->lock);
				cursor[0] = bucket;
				cursor[1] = idx - 1;
				return ret;
			}
		}
		spin_unlock_bh(&st->lock);
	}
	cursor[0] = bucket;
	cursor[1] = 0;
	return 0;
}

int ef_flowtable_init(unsigned int hash_size)
{
	unsigned int i, nstripes;

	ef_seed = get_random_u32();
	ef_hmask = hash_size - 1;
	nstripes = min(hash_size, EF_STRIPES_MAX);
	ef_smask = nstripes - 1;

	/*
	 * Not SLAB_HWCACHE_ALIGN: it would round 176 and 200 bytes up to 192
	 * and 256. Flows are touched under their stripe's lock; false
	 * sharing with a neighbour costs less than a quarter more memory.
	 */
	ef_flow_cache4 = kmem_cache_create("exeflow_flow4",
					   offsetof(struct ef_flow, key) +
					   EF_KEY_LEN4, 0, 0, NULL);
	ef_flow_cache6 = kmem_cache_create("exeflow_flow6",
					   sizeof(struct ef_flow), 0, 0, NULL);
	ef_buckets = kvcalloc(hash_size, sizeof(*ef_buckets), GFP_KERNEL);
	ef_stripes = kcalloc(nstripes, sizeof(*ef_stripes), GFP_KERNEL);
	if (!ef_flow_cache4 || !ef_flow_cache6 || !ef_buckets || !ef_stripes) {
		kvfree(ef_buckets);
		kfree(ef_stripes);
		kmem_cache_destroy(ef_flow_cache4);
		kmem_cache_destroy(ef_flow_cache6);
		return -ENOMEM;
	}
	for (i = 0; i < hash_size; i++)
		INIT_HLIST_HEAD(&ef_buckets[i]);
	for (i = 0; i < nstripes; i++) {
		spin_lock_init(&ef_stripes[i].lock);
		INIT_LIST_HEAD(&ef_stripes[i].lru);
		INIT_LIST_HEAD(&ef_stripes[i].dead);
	}
	return 0;
}

/* After every netns is gone and the backlog is freed: must be empty. */
void ef_flowtable_exit(void)
{
	struct ef_flow *f, *tmp;
	unsigned int i;

	for (i = 0; i <= ef_smask; i++) {
		struct ef_stripe *st = &ef_stripes[i];

		list_for_each_entry_safe(f, tmp, &st->dead, node) {
			WARN_ONCE(1, "exeflow: ended flow left at unload\n");
			list_del(&f->node);
			ef_flow_free(f);
		}
		list_for_each_entry_safe(f, tmp, &st->lru, node) {
			WARN_ONCE(1, "exeflow: live flow left at unload\n");
			hlist_del(&f->hnode);
			list_del(&f->node);
			ef_flow_free(f);
		}
	}
	kvfree(ef_buckets);
	kfree(ef_stripes);
	kmem_cache_destroy(ef_flow_cache4);
	kmem_cache_destroy(ef_flow_cache6);
}

#if IS_ENABLED(CONFIG_KUNIT) && defined(EXEFLOW_KUNIT)
#include "tests/flowtable_kunit.c"
#endif
