// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter. A delayed work (every export_interval_ms) scans the flow
 * table, queues ended flows and NEW/UPDATE snapshots on the backlog, and
 * sends the backlog to the listener as EXEFLOW_CMD_RECORDS messages of
 * about a page, many nested records each. Sends never block: on -EAGAIN
 * (listener's buffer full) the records stay queued and are retried soon.
 *
 * Each record gets the listener's next sequence number when it is queued
 * (or, for records queued while nobody listened, when a listener
 * registers), so every record lost to a full backlog leaves a gap. When
 * the backlog is full, an END takes the place of a queued NEW/UPDATE.
 * Without a listener, ended flows wait on the backlog until max_backlog,
 * then are counted as DROP_NO_LISTENER.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <uapi/exeflow.h>

#include "export.h"
#include "flowtable.h"
#include "genl.h"
#include "main.h"
#include "params.h"
#include "proc.h"
#include "record.h"
#include "sockowner.h"
#include "stats.h"

/*
 * A record's times are u32 jiffies, read against now when it is encoded
 * (record.c). One that waited this long on the backlog (no listener for
 * weeks) is dropped and counted before they could wrap: its period began
 * at most EF_PERIOD_MAX before its last packet, so both stay within 2^31.
 */
#define EF_BACKLOG_AGE_MAX	(1U << 30)

/* FLUSH retries a full listener this often before replying anyway */
#define EF_FLUSH_TRIES	50
#define EF_FLUSH_WAIT_MS 4
/* first retry after -EAGAIN; doubles up to export_interval_ms */
#define EF_RETRY_MIN_MS	10

static struct {
	spinlock_t lock;		/* everything below */
	struct ef_queue backlog;	/* snapshots: their pprev kept */
	struct hlist_head interim;	/* queued snapshots, newest first */
	unsigned int count;
	u32 portid;			/* listener, 0 = none */
	u32 gen;			/* listener generation */
	u64 next_seq;
} ef_exp = {
	.lock = __SPIN_LOCK_UNLOCKED(ef_exp.lock),
	.backlog = EF_QUEUE_INIT(ef_exp.backlog),
	.interim = HLIST_HEAD_INIT,
};

static DEFINE_MUTEX(ef_export_mutex);	/* one scan/send at a time */
static DEFINE_SPINLOCK(ef_kick_lock);
static bool ef_export_running;		/* under ef_kick_lock */
static void ef_export_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(ef_export_work, ef_export_fn);

u32 ef_export_listener(void)
{
	return READ_ONCE(ef_exp.portid);
}

/* Last sequence number handed out to the current listener, 0 if none. */
u64 ef_export_last_seq(void)
{
	u64 seq;

	spin_lock_bh(&ef_exp.lock);
	seq = ef_exp.portid ? ef_exp.next_seq - 1 : 0;
	spin_unlock_bh(&ef_exp.lock);
	return seq;
}

/*
 * A queued record keeps the low 32 bits of its sequence number (flows are
 * kept small); it is at most 2^32 - 1 behind next_seq, as gaps stop
 * growing near that (ef_export_gap()).
 */
static u64 ef_seq64(u32 seq)
{
	return ef_exp.next_seq - (u32)((u32)ef_exp.next_seq - seq);
}

/*
 * A record lost to a full backlog leaves a gap in the sequence. Under a
 * listener that stops reading for a very long time the gap stops growing
 * at 2^31 behind the oldest queued record, so that record's number can be
 * told from its 32 bits; drop_backlog still counts every loss.
 */
static void ef_export_gap(void)
{
	struct ef_flow *head;

	if (!ef_exp.portid)
		return;
	head = ef_exp.backlog.first;
	if (!head || ef_exp.next_seq - ef_seq64(head->seq) < (1ULL << 31))
		ef_exp.next_seq++;
}

/*
 * ef_exp.lock held: queue @f on the backlog. A snapshot remembers the link
 * to it, to leave from the middle (ef_export_queue()); the link changes
 * only when its predecessor leaves (ef_backlog_take()).
 */
static void ef_backlog_add(struct ef_flow *f)
{
	struct ef_flow **link = ef_exp.backlog.tail;

	ef_queue_add(&ef_exp.backlog, f);
	if (f->flags & EF_FL_SNAP) {
		ef_snap_of(f)->pprev = link;
		hlist_add_head(ef_snap_node(f), &ef_exp.interim);
	}
	ef_exp.count++;
}

/*
 * ef_exp.lock held: @f, which @link points to (the backlog's head, or a
 * snapshot's pprev), leaves the backlog for @to.
 */
static void ef_backlog_take(struct ef_flow **link, struct ef_flow *f,
			    struct ef_queue *to)
{
	struct ef_flow *next = f->next;

	*link = next;
	if (!next)
		ef_exp.backlog.tail = link;
	else if (next->flags & EF_FL_SNAP)
		ef_snap_of(next)->pprev = link;
	if (f->flags & EF_FL_SNAP) {
		hlist_del_init(ef_snap_node(f));
		ef_snap_of(f)->pprev = NULL;
	}
	ef_queue_add(to, f);
	ef_exp.count--;
}

/* ef_exp.lock held: the oldest record leaves the backlog for @to. */
static struct ef_flow *ef_backlog_take_first(struct ef_queue *to)
{
	struct ef_flow *f = ef_exp.backlog.first;

	if (f)
		ef_backlog_take(&ef_exp.backlog.first, f, to);
	return f;
}

unsigned int ef_export_backlog(void)
{
	return READ_ONCE(ef_exp.count);
}

static void ef_export_schedule(unsigned long delay)
{
	spin_lock_bh(&ef_kick_lock);
	if (ef_export_running)
		mod_delayed_work(ef_wq, &ef_export_work, delay);
	spin_unlock_bh(&ef_kick_lock);
}

/* Current back-off after -EAGAIN, 0 if none; written by the work only. */
static unsigned long ef_retry;
/* Next run of the process/owner garbage collection (work only). */
static unsigned long ef_next_gc;

/* Run the exporter soon (resolved exe paths, new period, netns gone). */
void ef_export_kick(void)
{
	if (!READ_ONCE(ef_retry))	/* a full listener: keep backing off */
		ef_export_schedule(msecs_to_jiffies(10));
}

/*
 * ef_exp.lock held: move @recs onto the backlog, which holds at most @max.
 * When it is full, an END is worth more than an interim record: it has
 * the final counters and the owner too, so it takes the place of the
 * newest queued NEW/UPDATE, whose sequence number becomes the gap. What
 * does not fit goes to @drop. Returns how many records were lost.
 */
static unsigned int ef_backlog_admit(struct ef_queue *recs, unsigned int max,
				     struct ef_queue *drop)
{
	struct ef_flow *f, *victim;
	unsigned int lost = 0;

	while ((f = ef_queue_pop(recs))) {
		if (ef_exp.count >= max) {
			lost++;
			if (f->event == EXEFLOW_EV_END &&
			    !hlist_empty(&ef_exp.interim)) {
				victim = ef_snap_flow(ef_exp.interim.first);
				ef_backlog_take(ef_snap_of(victim)->pprev,
						victim, drop);
			} else {
				ef_export_gap();
				ef_queue_add(drop, f);
				continue;
			}
		}
		f->seq = ef_exp.portid ? ef_exp.next_seq++ : 0;
		ef_backlog_add(f);
	}
	return lost;
}

void ef_export_queue(struct ef_queue *recs)
{
	struct ef_queue drop = EF_QUEUE_INIT(drop);
	unsigned int lost;
	struct ef_flow *f;
	u32 portid;

	spin_lock_bh(&ef_exp.lock);
	lost = ef_backlog_admit(recs, ef_param(max_backlog), &drop);
	portid = ef_exp.portid;
	spin_unlock_bh(&ef_exp.lock);

	if (lost)
		ef_stat_add(portid ? EXEFLOW_S_DROP_BACKLOG :
			    EXEFLOW_S_DROP_NO_LISTENER, lost);
	while ((f = ef_queue_pop(&drop)))
		ef_flow_free(f);
}

void ef_export_register(u32 portid)
{
	struct ef_flow *f;

	spin_lock_bh(&ef_exp.lock);
	ef_exp.portid = portid;
	ef_exp.gen++;
	ef_exp.next_seq = 1;
	/* what waits now goes to this listener, numbered from 1 */
	ef_queue_for_each(f, &ef_exp.backlog)
		f->seq = ef_exp.next_seq++;
	spin_unlock_bh(&ef_exp.lock);
	ef_export_schedule(0);
}

void ef_export_unregister(u32 portid)
{
	spin_lock_bh(&ef_exp.lock);
	if (ef_exp.portid == portid)
		ef_exp.portid = 0;
	spin_unlock_bh(&ef_exp.lock);
}

/* Encode records from the head of the backlog; returns how many fit. */
static unsigned int ef_export_fill(struct sk_buff *skb)
{
	unsigned int n = 0;
	struct ef_flow *f;

	spin_lock_bh(&ef_exp.lock);
	ef_queue_for_each(f, &ef_exp.backlog) {
		if (ef_record_put(skb, f, f->event, ef_seq64(f->seq)))
			break;
		n++;
	}
	spin_unlock_bh(&ef_exp.lock);
	return n;
}

/* Take the first @n records off the backlog (they were delivered). */
static void ef_export_consume(unsigned int n, bool delivered)
{
	unsigned int ends = 0, i;
	struct ef_flow *f;
	struct ef_queue done = EF_QUEUE_INIT(done);

	spin_lock_bh(&ef_exp.lock);
	for (i = 0; i < n && ef_backlog_take_first(&done); i++)
		;
	spin_unlock_bh(&ef_exp.lock);

	while ((f = ef_queue_pop(&done))) {
		if (f->event == EXEFLOW_EV_END)
			ends++;
		ef_flow_free(f);
	}
	if (delivered) {
		ef_stat_add(EXEFLOW_S_RECORDS_EXPORTED, i);
		ef_stat_add(EXEFLOW_S_FLOWS_EXPORTED, ends);
	} else {
		ef_stat_add(EXEFLOW_S_DROP_BACKLOG, i);
	}
}

/*
 * ef_exp.lock held: move the records that waited too long
 * (EF_BACKLOG_AGE_MAX) to @old, oldest first; returns how many.
 */
static unsigned int ef_backlog_take_old(u32 now, struct ef_queue *old)
{
	struct ef_flow *f;
	unsigned int n = 0;

	while ((f = ef_exp.backlog.first) &&
	       ef_since(now, f->last) >= EF_BACKLOG_AGE_MAX) {
		ef_backlog_take_first(old);
		n++;
	}
	return n;
}

/*
 * Drop the records that waited too long. Run every second, far more often
 * than ages grow past the limit towards 2^31 (where ef_since() would stop
 * seeing them as old).
 */
static void ef_export_expire(void)
{
	struct ef_flow *f;
	unsigned int n;
	struct ef_queue old = EF_QUEUE_INIT(old);
	bool listener;

	spin_lock_bh(&ef_exp.lock);
	listener = ef_exp.portid;
	n = ef_backlog_take_old(jiffies, &old);
	spin_unlock_bh(&ef_exp.lock);

	if (!n)
		return;
	/* with a listener their numbers are given: they become the gap */
	ef_stat_add(listener ? EXEFLOW_S_DROP_BACKLOG :
		    EXEFLOW_S_DROP_NO_LISTENER, n);
	while ((f = ef_queue_pop(&old)))
		ef_flow_free(f);
}

/* Send the backlog until it is empty or the listener is full or gone. */
static int ef_export_send(void)
{
	struct sk_buff *skb;
	unsigned int n;
	size_t size;
	u32 portid, gen;
	void *hdr;
	int err;

	lockdep_assert_held(&ef_export_mutex);
	for (;;) {
		spin_lock_bh(&ef_exp.lock);
		portid = ef_exp.portid;
		gen = ef_exp.gen;
		n = ef_exp.count;
		spin_unlock_bh(&ef_exp.lock);
		if (!portid || !n)
			return 0;

		size = NLMSG_GOODSIZE;
retry:
		skb = genlmsg_new(size, GFP_KERNEL);
		if (!skb)
			return -ENOMEM;
		hdr = genlmsg_put(skb, 0, 0, &ef_family, 0,
				  EXEFLOW_CMD_RECORDS);
		if (!hdr) {
			nlmsg_free(skb);
			return -EMSGSIZE;
		}
		n = ef_export_fill(skb);
		if (!n) {
			nlmsg_free(skb);
			if (size < EF_RECORD_MAX) {	/* a very long path */
				size = EF_RECORD_MAX;
				goto retry;
			}
			ef_export_consume(1, false);
			continue;
		}
		genlmsg_end(skb, hdr);
		err = genlmsg_unicast(&init_net, skb, portid);
		if (err == -EAGAIN) {
			ef_stat_inc(EXEFLOW_S_SEND_EAGAIN);
			return err;
		}
		if (err) {
			/* the listener's socket is gone */
			spin_lock_bh(&ef_exp.lock);
			if (ef_exp.gen == gen)
				ef_exp.portid = 0;
			spin_unlock_bh(&ef_exp.lock);
			return err;
		}
		ef_export_consume(n, true);
	}
}

/* During a scan: queue, and send early when half the backlog is used. */
static void ef_export_emit(struct ef_queue *recs)
{
	ef_export_queue(recs);
	if (ef_export_backlog() > ef_param(max_backlog) / 2)
		ef_export_send();
}

/* Scan the table with @force as end reason (0: timeouts), then send. */
static int ef_export_run(u8 force)
{
	int err;

	mutex_lock(&ef_export_mutex);
	ef_flowtable_scan(ef_export_listener() != 0, force, 0,
			  ef_export_emit);
	err = ef_export_send();
	mutex_unlock(&ef_export_mutex);
	return err;
}

static void ef_export_fn(struct work_struct *work)
{
	unsigned long delay = msecs_to_jiffies(ef_param(export_interval_ms));
	unsigned long retry = ef_retry;
	int err;

	err = ef_export_run(0);
	if (time_after_eq(jiffies, ef_next_gc)) {
		ef_next_gc = jiffies + HZ;
		ef_proc_gc();
		ef_sockowner_gc();
		ef_export_expire();
	}
	/* a full listener: retry soon, backing off up to the period */
	if (err == -EAGAIN) {
		retry = retry ? retry * 2 : msecs_to_jiffies(EF_RETRY_MIN_MS);
		delay = retry = min(retry, delay);
	} else {
		retry = 0;
	}
	WRITE_ONCE(ef_retry, retry);

	spin_lock_bh(&ef_kick_lock);
	if (ef_export_running)
		queue_delayed_work(ef_wq, &ef_export_work, delay);
	spin_unlock_bh(&ef_kick_lock);
}

/*
 * FLUSH: end every flow and push the records out before replying. Waits
 * briefly for a full listener (a daemon reading on another thread); what
 * is still queued then goes out on the exporter's retries.
 */
int ef_export_flush(void)
{
	int err, tries = 0;

	ef_proc_flush_resolver();
	err = ef_export_run(EXEFLOW_END_FLUSH);
	while (err == -EAGAIN && ++tries < EF_FLUSH_TRIES) {
		msleep(EF_FLUSH_WAIT_MS);
		mutex_lock(&ef_export_mutex);
		err = ef_export_send();
		mutex_unlock(&ef_export_mutex);
	}
	if (err == -EAGAIN)
		ef_export_schedule(0);
	return 0;
}

/*
 * A namespace is going away: its flows end now (process context). One scan
 * at a time, the exporter's or this one: two would interleave their
 * stripes' records on the way to the backlog, and a flow's UPDATE could
 * follow its END.
 */
void ef_export_end_netns(u64 netns_id)
{
	mutex_lock(&ef_export_mutex);
	ef_flowtable_scan(ef_export_listener() != 0, EXEFLOW_END_FLUSH,
			  netns_id, ef_export_queue);
	mutex_unlock(&ef_export_mutex);
	ef_export_kick();
}

void ef_export_start(void)
{
	ef_next_gc = jiffies + HZ;
	spin_lock_bh(&ef_kick_lock);
	ef_export_running = true;
	queue_delayed_work(ef_wq, &ef_export_work,
			   msecs_to_jiffies(ef_param(export_interval_ms)));
	spin_unlock_bh(&ef_kick_lock);
}

/* Unload: one last non-blocking attempt to deliver what is queued. */
void ef_export_final(void)
{
	mutex_lock(&ef_export_mutex);
	ef_export_send();
	mutex_unlock(&ef_export_mutex);
}

void ef_export_stop(void)
{
	spin_lock_bh(&ef_kick_lock);
	ef_export_running = false;
	spin_unlock_bh(&ef_kick_lock);
	cancel_delayed_work_sync(&ef_export_work);
}

void ef_export_exit(void)
{
	unsigned int n = ef_export_backlog();

	if (n)
		pr_info("exeflow: %u records undelivered at unload\n", n);
	ef_export_consume(UINT_MAX, false);
}

#if IS_ENABLED(CONFIG_KUNIT) && defined(EXEFLOW_KUNIT)
#include "tests/export_kunit.c"
#endif
