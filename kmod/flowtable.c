// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table: a power-of-two bucket array split into stripes (struct
 * ef_table, flowpath.h, which also holds the per-packet path). Each stripe
 * has a spinlock (taken with _bh: the hooks run in task and softirq
 * context) guarding its buckets and a queue of flows ended on the packet
 * path. Buckets are singly linked chains (a flow's @next), ended flows
 * queue on the same link. Counters are plain fields updated under the
 * stripe lock. There is no LRU list (16 bytes a flow):
 * the exporter's scan visits every flow anyway, and eviction picks the
 * longest quiet flows by a histogram of quiet times (ef_evict_class()).
 * Flows come from two kmem_caches (IPv4 flows are shorter), GFP_ATOMIC,
 * and their number is capped by max_flows; nothing here sleeps except the
 * exporter's scan, which runs in a workqueue and drops the lock between
 * stripes.
 */
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/in.h>

#include "flowpath.h"
#include "flowtable.h"
#include "params.h"
#include "proc.h"
#include "sockowner.h"
#include "stats.h"

#define EF_STRIPES_MAX	256U

/* How long an ended flow may wait for its owner's exe path. */
#define EF_EXE_WAIT	(10 * HZ)

/*
 * A period ends (UPDATE) before its u32 packet counts or times could wrap,
 * listener or not: jiffies differences are read as s32, and the scan runs
 * at least once a minute, far less than 2^31 packets at any rate (byte
 * counts grow too fast for that: ef_flow_period_full()). A record waits
 * on the backlog for at most EF_BACKLOG_AGE_MAX more (export.c), so its
 * times stay within 2^31 jiffies of now as well.
 */
#define EF_PERIOD_MAX	(1U << 29)	/* jiffies: 6 days at HZ=1000 */
#define EF_PKTS_MAX	(1U << 31)

/* Quiet-time classes for eviction: class c = quiet jiffies < 2^c. */
#define EF_QUIET_CLASSES	33

struct ef_table ef_tab __read_mostly;
static struct kmem_cache *ef_flow_cache4, *ef_flow_cache6, *ef_snap_cache;
static atomic_t ef_nflows = ATOMIC_INIT(0);
static atomic64_t ef_flow_ids = ATOMIC64_INIT(0);

unsigned int ef_flowtable_count(void)
{
	return atomic_read(&ef_nflows);
}

static struct kmem_cache *ef_flow_cache_of(u8 family)
{
	return family == AF_INET6 ? ef_flow_cache6 : ef_flow_cache4;
}

/*
 * A NEW/UPDATE snapshot: longer than a flow (struct ef_snap), short-lived,
 * from a cache of its own for both families.
 */
static struct ef_flow *ef_flow_snapshot(const struct ef_flow *f, gfp_t gfp)
{
	struct ef_snap *s = kmem_cache_alloc(ef_snap_cache, gfp);
	struct ef_proc *p = ef_flow_owner(f);

	if (!s)
		return NULL;
	memcpy(&s->f, f, ef_flow_size(f));
	INIT_HLIST_NODE(&s->interim);
	s->pprev = NULL;
	s->f.next = NULL;
	s->f.flags |= EF_FL_SNAP;
	if (p)
		ef_proc_hold(p);
	return &s->f;
}

void ef_flow_free(struct ef_flow *f)
{
	struct ef_proc *p = ef_flow_owner(f);

	if (p)
		ef_proc_put(p);
	if (f->flags & EF_FL_SNAP)
		kmem_cache_free(ef_snap_cache, container_of(f, struct ef_snap, f));
	else
		kmem_cache_free(ef_flow_cache_of(f->key.family), f);
}

static struct ef_flow *ef_flow_new(const struct ef_pkt *pkt)
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
	ef_stat_inc(EXEFLOW_S_FLOWS_CREATED);
	return f;
}

/* A new flow goes first in its bucket's chain @b. */
static inline void ef_chain_add(struct ef_flow **b, struct ef_flow *f)
{
	f->next = *b;
	*b = f;
}

static inline struct ef_flow **ef_chain_step(struct ef_flow **link,
					     struct ef_flow *f)
{
	return *link == f ? &f->next : link;	/* else @f left */
}

/*
 * A bucket chain, with @link the link to @f. A loop body that unlinks @f
 * (*@link = @f->next) must not step @link: the loop does not either, the
 * flow now at *@link being the next one.
 */
#define ef_chain_for_each(f, link, head)				\
	for (link = (head); (f = *link); link = ef_chain_step(link, f))

/*
 * Unlink a live flow from the table, given the link that points to it
 * (its bucket's head or its predecessor's @next); the caller owns it
 * afterwards.
 */
static void ef_flow_unlink(struct ef_flow **link, struct ef_flow *f, u8 reason)
{
	*link = f->next;
	f->next = NULL;		/* the same link: now on queues only */
	f->event = EXEFLOW_EV_END;
	f->end_reason = reason;
	atomic_dec(&ef_nflows);
	ef_stat_inc(EXEFLOW_S_FLOWS_EXPIRED);
	if (reason == EXEFLOW_END_EVICTED)
		ef_stat_inc(EXEFLOW_S_FLOWS_EVICTED);
}

/*
 * A flow for @pkt where there is none; where @old is a closing connection
 * whose tuple a new SYN reuses, @old ends first. NULL when the table is
 * full or memory is short (counted).
 */
struct ef_flow *ef_flow_start(struct ef_stripe *st, struct ef_flow **b,
			      struct ef_flow *old, const struct ef_pkt *pkt)
{
	struct ef_flow **link = b;
	struct ef_flow *f;

	if (old) {
		while (*link != old)
			link = &(*link)->next;
		ef_flow_unlink(link, old, EXEFLOW_END_FIN);
		ef_queue_add(&st->dead, old);
	}
	f = ef_flow_new(pkt);
	if (f)
		ef_chain_add(b, f);
	return f;
}

/* Give the flow of @pkt its owner unless it found one meanwhile. */
void ef_flow_attach(const struct ef_pkt *pkt, u64 cookie,
		    struct ef_proc *proc, u8 method)
{
	u32 h = ef_hash(&pkt->key);
	struct ef_stripe *st = &ef_tab.stripes[h & ef_tab.smask];
	struct ef_flow *f;
	bool bh;

	bh = ef_stripe_lock_pkt(st);
	f = ef_find(&ef_tab.buckets[h & ef_tab.hmask], &pkt->key);
	if (f && !ef_flow_owner(f) && (f->flags & EF_FL_COOKIE) &&
	    f->cookie == cookie) {
		ef_proc_hold(proc);
		ef_flow_set_owner(f, proc, method);
	}
	ef_stripe_unlock_pkt(st, bh);
}

/* A flow without an owner takes its socket's, once the map knows it. */
static void ef_owner_from_map(struct ef_flow *f, u32 gen)
{
	struct ef_proc *p;
	u8 method;

	if (ef_flow_owner(f) || !(f->flags & EF_FL_COOKIE) || f->so_gen == gen)
		return;
	f->so_gen = gen;
	/* not straight into @owner: a miss would overwrite @sock_cgroup */
	p = ef_sockowner_get(f->cookie, &method);
	if (p)
		ef_flow_set_owner(f, p, method);
}

static void ef_emit(struct ef_queue *out, struct ef_flow *f, u8 event,
		    u8 reason)
{
	struct ef_flow *n = ef_flow_snapshot(f, GFP_ATOMIC | __GFP_NOWARN);

	if (!n) {
		ef_stat_inc(EXEFLOW_S_DROP_ALLOC);
		return;
	}
	n->event = event;
	n->end_reason = reason;
	ef_queue_add(out, n);
}

/*
 * Queue an unlinked flow's END. A NEW not sent yet is not sent at all: it
 * would go out in the same batch as the END, which carries everything it
 * says, and short flows would cost two records each.
 */
static void ef_emit_end(struct ef_queue *out, struct ef_flow *f)
{
	/* a TCP connection that closed: its socket's owner entry is done */
	if (f->key.proto == IPPROTO_TCP && (f->flags & EF_FL_CLOSING) &&
	    (f->flags & EF_FL_COOKIE))
		ef_sockowner_del(f->cookie);
	if (ef_flow_method(f) == EXEFLOW_M_NONE)
		ef_stat_inc(EXEFLOW_S_UNATTRIBUTED);
	ef_queue_add(out, f);
}

/* Does the flow's process still wait for its exe path? */
static bool ef_flow_exe_pending(const struct ef_flow *f)
{
	struct ef_proc *p = ef_flow_owner(f);

	return p && ef_proc_exe_pending(p);
}

/* @now, @idle and @close in jiffies */
static u8 ef_end_reason(const struct ef_flow *f, u32 now, u32 idle, u32 close)
{
	u32 quiet = ef_since(now, f->last);
	u8 reason;

	if ((f->flags & EF_FL_CLOSING) && quiet >= close)
		reason = EXEFLOW_END_FIN;
	else if (quiet >= idle)
		reason = EXEFLOW_END_IDLE;
	else
		return EXEFLOW_END_NONE;
	/* let the owner's exe path resolve first, within reason */
	if (ef_flow_exe_pending(f) && quiet < idle + EF_EXE_WAIT)
		return EXEFLOW_END_NONE;
	return reason;
}

/*
 * Interim record: snapshot the period's counters and restart them. The
 * next period starts with its first packet.
 */
static void ef_emit_update(struct ef_queue *out, struct ef_flow *f)
{
	if (ef_flow_has_pkts(f))
		ef_emit(out, f, EXEFLOW_EV_UPDATE, EXEFLOW_END_ACTIVE);
	memset(f->pkts, 0, sizeof(f->pkts));
	memset(f->bytes, 0, sizeof(f->bytes));
	memset(f->tcp_flags, 0, sizeof(f->tcp_flags));
}

/*
 * The packet path (flowpath.h), stripe lock held: a packet would wrap the
 * period's u32 byte count, which a scan cannot prevent (4 GiB take 0.3 s
 * at 100 Gbit/s). The period ends here with an UPDATE on the stripe's
 * dead queue, which the next scan sends on (it may go out before the
 * flow's NEW: exeflowd takes an UPDATE first); the packet starts the next
 * period. Without memory for the record the period's counts are lost, and
 * counted (DROP_ALLOC).
 */
void ef_flow_period_full(struct ef_stripe *st, struct ef_flow *f)
{
	ef_emit_update(&st->dead, f);
}

/*
 * Is the period due for an UPDATE: at the active timeout when someone
 * listens, and always before its packet counts or times could wrap.
 */
static bool ef_period_due(const struct ef_flow *f, u32 now, u32 active,
			  bool listener)
{
	u32 age;

	if (!ef_flow_has_pkts(f))
		return false;
	age = ef_since(now, f->first);
	if (listener && age >= active)
		return true;
	return age >= EF_PERIOD_MAX || f->pkts[EF_FWD] >= EF_PKTS_MAX ||
	       f->pkts[EF_REV] >= EF_PKTS_MAX;
}

/* Above 7/8 of max_flows, end the longest quiet flows (ef_evict_class()). */
static unsigned int ef_evict_quota(void)
{
	unsigned int max = ef_param(max_flows), n = ef_flowtable_count();

	if (max < 16 || n <= max - max / 8)
		return 0;
	return n - (max - max / 4);
}

/* The stripe's buckets are i, i + stripes, i + 2 * stripes, ... */
#define ef_for_each_stripe_flow(f, link, b, i)				\
	for (b = (i); b <= ef_tab.hmask; b += ef_tab.smask + 1)		\
		ef_chain_for_each(f, link, &ef_tab.buckets[b])

/* Eviction class of @f: quiet for fewer than 2^class jiffies. */
static unsigned int ef_quiet_class(const struct ef_flow *f, u32 now)
{
	return fls(ef_since(now, f->last));
}

/*
 * Eviction ends the longest quiet flows first, to the power of two of
 * jiffies. Without an LRU list, a pass over the table (only when it is
 * nearly full) counts the flows that would not end anyway by quiet-time
 * class and returns the lowest class to evict from; *above is how many
 * flows are in higher classes, all of which go. Flows of the returned class
 * go in table order while the quota lasts. Flows that end by timeout in
 * this scan make room too: *quota is reduced by them. If flows counted
 * above become active before the scan reaches them, fewer go this time;
 * the next scan counts again.
 */
static unsigned int ef_evict_class(unsigned int *quota, u32 idle, u32 close,
				   u32 gen, unsigned int *above)
{
	unsigned int hist[EF_QUIET_CLASSES] = { 0 };
	unsigned int i, b, c, n = 0, ending = 0;
	struct ef_flow *f, **link;
	u32 now;

	for (i = 0; i <= ef_tab.smask; i++) {
		spin_lock_bh(&ef_tab.stripes[i].lock);
		now = jiffies;
		ef_for_each_stripe_flow(f, link, b, i) {
			ef_owner_from_map(f, gen);
			if (ef_end_reason(f, now, idle, close))
				ending++;
			else
				hist[ef_quiet_class(f, now)]++;
		}
		spin_unlock_bh(&ef_tab.stripes[i].lock);
		cond_resched();
	}
	*quota -= min(*quota, ending);
	for (c = EF_QUIET_CLASSES - 1; c > 0; c--) {
		if (n + hist[c] >= *quota)
			break;
		n += hist[c];
	}
	*above = n;
	return c;
}

void ef_flowtable_scan(bool listener, u8 force, u64 netns_id,
		       void (*emit)(struct ef_queue *recs))
{
	struct ef_queue recs = EF_QUEUE_INIT(recs);
	struct ef_queue *out = &recs;
	u32 idle = ef_param(inactive_timeout) * HZ;
	u32 active = ef_param(active_timeout) * HZ;
	u32 close = ef_param(tcp_close_timeout) * HZ;
	unsigned int evict = force ? 0 : ef_evict_quota();
	u32 gen = ef_sockowner_gen();
	struct ef_flow *f, **link;
	unsigned int i, b, cls = 0, above = 0;
	u32 now;
	u8 reason;

	if (evict)
		cls = ef_evict_class(&evict, idle, close, gen, &above);
	for (i = 0; i <= ef_tab.smask; i++) {
		struct ef_stripe *st = &ef_tab.stripes[i];

		spin_lock_bh(&st->lock);
		/*
		 * Read under the lock: the scan of all stripes takes long
		 * enough for packets to stamp flows later than a time read
		 * at its start, and an unsigned "now - last" would wrap.
		 */
		now = jiffies;
		while ((f = ef_queue_pop(&st->dead))) {
			ef_owner_from_map(f, gen);
			if (f->flags & EF_FL_SNAP) {	/* ef_flow_period_full() */
				ef_queue_add(out, f);
				continue;
			}
			ef_emit_end(out, f);
		}
		ef_for_each_stripe_flow(f, link, b, i) {
			if (netns_id && f->key.netns_id != netns_id)
				continue;
			ef_owner_from_map(f, gen);
			if (force)
				reason = force;
			else
				reason = ef_end_reason(f, now, idle, close);
			/*
			 * The table may have changed since the count: a
			 * flow that became quieter only takes a lower one's
			 * turn, and the quota is never passed.
			 */
			if (!reason && evict) {
				unsigned int c = ef_quiet_class(f, now);

				if (c > cls && above)
					above--;
				if (c > cls || (c == cls && evict > above))
					reason = EXEFLOW_END_EVICTED;
			}
			if (reason) {
				if (reason == EXEFLOW_END_EVICTED)
					evict--;
				ef_flow_unlink(link, f, reason);
				ef_emit_end(out, f);
				continue;
			}
			if (listener && !(f->flags & EF_FL_NEW_SENT) &&
			    ef_flow_owner(f) && !ef_flow_exe_pending(f)) {
				f->flags |= EF_FL_NEW_SENT;
				ef_emit(out, f, EXEFLOW_EV_NEW, EXEFLOW_END_NONE);
			}
			if (ef_period_due(f, now, active, listener))
				ef_emit_update(out, f);
		}
		spin_unlock_bh(&st->lock);
		if (!ef_queue_empty(out))
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

	for (bucket = cursor[0]; bucket <= ef_tab.hmask; bucket++, cursor[1] = 0) {
		struct ef_stripe *st = &ef_tab.stripes[bucket & ef_tab.smask];

		idx = 0;
		spin_lock_bh(&st->lock);
		for (f = ef_tab.buckets[bucket]; f; f = f->next) {
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

	/* the memory target of bench/README.md, figure 4 */
	BUILD_BUG_ON(offsetof(struct ef_flow, key) + EF_KEY_LEN4 > 104);
	BUILD_BUG_ON(sizeof(struct ef_flow) > 128);
	ef_tab.seed = get_random_u32();
	ef_tab.hmask = hash_size - 1;
	nstripes = min(hash_size, EF_STRIPES_MAX);
	ef_tab.smask = nstripes - 1;

	/*
	 * Not SLAB_HWCACHE_ALIGN: it would round 104 bytes (IPv4) up to
	 * 128. Flows are touched under their stripe's lock; false
	 * sharing with a neighbour costs less than a third more memory.
	 */
	ef_flow_cache4 = kmem_cache_create("exeflow_flow4",
					   offsetof(struct ef_flow, key) +
					   EF_KEY_LEN4, 0, 0, NULL);
	ef_flow_cache6 = kmem_cache_create("exeflow_flow6",
					   sizeof(struct ef_flow), 0, 0, NULL);
	ef_tab.buckets = kvcalloc(hash_size, sizeof(*ef_tab.buckets), GFP_KERNEL);
	ef_tab.stripes = kcalloc(nstripes, sizeof(*ef_tab.stripes), GFP_KERNEL);
	ef_snap_cache = kmem_cache_create("exeflow_snap", sizeof(struct ef_snap),
					  0, 0, NULL);
	if (!ef_flow_cache4 || !ef_flow_cache6 || !ef_snap_cache ||
	    !ef_tab.buckets || !ef_tab.stripes) {
		kvfree(ef_tab.buckets);
		kfree(ef_tab.stripes);
		kmem_cache_destroy(ef_flow_cache4);
		kmem_cache_destroy(ef_flow_cache6);
		kmem_cache_destroy(ef_snap_cache);
		return -ENOMEM;
	}
	for (i = 0; i < nstripes; i++) {
		spin_lock_init(&ef_tab.stripes[i].lock);
		ef_queue_init(&ef_tab.stripes[i].dead);
	}
	return 0;
}

/* After every netns is gone and the backlog is freed: must be empty. */
void ef_flowtable_exit(void)
{
	struct ef_flow *f, **link;
	unsigned int i, b;

	for (i = 0; i <= ef_tab.smask; i++) {
		struct ef_stripe *st = &ef_tab.stripes[i];

		while ((f = ef_queue_pop(&st->dead))) {
			WARN_ONCE(1, "exeflow: record left at unload\n");
			ef_flow_free(f);
		}
		ef_for_each_stripe_flow(f, link, b, i) {
			WARN_ONCE(1, "exeflow: live flow left at unload\n");
			*link = f->next;
			ef_flow_free(f);
		}
	}
	kvfree(ef_tab.buckets);
	kfree(ef_tab.stripes);
	kmem_cache_destroy(ef_flow_cache4);
	kmem_cache_destroy(ef_flow_cache6);
	kmem_cache_destroy(ef_snap_cache);
}

#if IS_ENABLED(CONFIG_KUNIT) && defined(EXEFLOW_KUNIT)
#include "tests/flowtable_kunit.c"
#endif
