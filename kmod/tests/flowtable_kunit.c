// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: timeout decisions of the flow table (included at the end of
 * flowtable.c): end reasons, the eviction quota, the active-timeout
 * UPDATE. The last two read the module's globals; they run on a private
 * table while the module is not initialised yet and skip otherwise.
 */
#include "kunit.h"

#ifdef EF_HAVE_KUNIT_SUITES

#define EF_KT_S(s)	((u32)((s) * HZ))

u32 ef_kunit_hash(const struct ef_key *k)
{
	return ef_hash(k);
}

/* Private flow table and counters; skips if the module's are live. */
static void ef_kt_table_setup(struct kunit *test)
{
	int err;

	if (ef_tab.buckets || ef_stats)
		kunit_skip(test, "the module's flow table is live");
	KUNIT_ASSERT_EQ(test, ef_stats_init(), 0);
	err = ef_flowtable_init(16);
	if (err)
		ef_stats_exit();
	KUNIT_ASSERT_EQ(test, err, 0);
}

static void ef_kt_table_teardown(void)
{
	ef_flowtable_exit();
	ef_tab.buckets = NULL;
	ef_tab.stripes = NULL;
	ef_flow_cache4 = NULL;
	ef_flow_cache6 = NULL;
	ef_snap_cache = NULL;
	ef_stats_exit();
}

static u8 ef_kt_end(u32 now, u32 last, u16 flags, const struct ef_proc *p)
{
	struct ef_flow f = {
		.last = last,
		.flags = flags,
	};

	if (p)
		ef_flow_set_owner(&f, (struct ef_proc *)p, EXEFLOW_M_TASK);
	return ef_end_reason(&f, now, EF_KT_S(15), EF_KT_S(2));
}

/* Inactive timeout (15 s here): reached at exactly idle, not before. */
static void ef_kt_end_idle(struct kunit *test)
{
	u32 now = EF_KT_S(1000);

	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now, 0, NULL), EXEFLOW_END_NONE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - EF_KT_S(15) + 1, 0, NULL),
			EXEFLOW_END_NONE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - EF_KT_S(15), 0, NULL),
			EXEFLOW_END_IDLE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, 0, 0, NULL), EXEFLOW_END_IDLE);
	/* jiffies wrap: quiet is the distance across the wrap */
	KUNIT_EXPECT_EQ(test, ef_kt_end(EF_KT_S(10), -EF_KT_S(5), 0, NULL),
			EXEFLOW_END_IDLE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(EF_KT_S(5), -EF_KT_S(5), 0, NULL),
			EXEFLOW_END_NONE);
	/* one FIN is not a close */
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - EF_KT_S(2), EF_FL_FIN_FWD,
					NULL), EXEFLOW_END_NONE);
}

/* Closing flows end after the close grace (2 s here), FIN before IDLE. */
static void ef_kt_end_fin(struct kunit *test)
{
	u32 now = EF_KT_S(1000);

	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now, EF_FL_CLOSING, NULL),
			EXEFLOW_END_NONE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - EF_KT_S(2) + 1,
					EF_FL_CLOSING, NULL),
			EXEFLOW_END_NONE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - EF_KT_S(2), EF_FL_CLOSING,
					NULL), EXEFLOW_END_FIN);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - EF_KT_S(60), EF_FL_CLOSING,
					NULL), EXEFLOW_END_FIN);
}

/* A packet stamped the flow after the scan read now: quiet, not ancient. */
static void ef_kt_end_stamped_after_now(struct kunit *test)
{
	struct ef_flow f = { .flags = EF_FL_CLOSING };
	u32 now = EF_KT_S(1000);

	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now + 1, 0, NULL),
			EXEFLOW_END_NONE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now + EF_KT_S(100), 0, NULL),
			EXEFLOW_END_NONE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now + 1, EF_FL_CLOSING, NULL),
			EXEFLOW_END_NONE);
	/* even with the shortest timeouts */
	f.last = now + 1;
	KUNIT_EXPECT_EQ(test, ef_end_reason(&f, now, 1, 1), EXEFLOW_END_NONE);
}

/* An owner whose exe is unresolved holds END up to idle + 10 s. */
static void ef_kt_end_exe_pending(struct kunit *test)
{
	struct ef_proc p = { .exe_state = EF_EXE_PENDING };
	u32 now = EF_KT_S(1000), wait = EF_KT_S(15) + EF_EXE_WAIT;

	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - EF_KT_S(15), 0, &p),
			EXEFLOW_END_NONE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - wait + 1, 0, &p),
			EXEFLOW_END_NONE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - wait, 0, &p),
			EXEFLOW_END_IDLE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - EF_KT_S(2), EF_FL_CLOSING,
					&p), EXEFLOW_END_NONE);
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - wait, EF_FL_CLOSING, &p),
			EXEFLOW_END_FIN);
	/* resolved, failed or no exe: no wait */
	p.exe_state = EF_EXE_DONE;
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - EF_KT_S(15), 0, &p),
			EXEFLOW_END_IDLE);
	p.exe_state = EF_EXE_FAILED;
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - EF_KT_S(2), EF_FL_CLOSING,
					&p), EXEFLOW_END_FIN);
	p.exe_state = EF_EXE_NONE;
	KUNIT_EXPECT_EQ(test, ef_kt_end(now, now - EF_KT_S(15), 0, &p),
			EXEFLOW_END_IDLE);
}

static unsigned int ef_kt_quota(unsigned int max, unsigned int n)
{
	WRITE_ONCE(ef_p_max_flows.val, max);
	atomic_set(&ef_nflows, n);
	return ef_evict_quota();
}

/*
 * PARAMETERS.md: above 7/8 of max_flows (when at least 16) the exporter
 * ends flows until 3/4 remain.
 */
static void ef_kt_evict_quota(struct kunit *test)
{
	static const struct {
		unsigned int max, n, want;
	} cases[] = {
		{ 8, 8, 0 }, { 15, 1000, 0 },	/* too small to evict */
		{ 16, 0, 0 }, { 16, 14, 0 }, { 16, 15, 3 }, { 16, 16, 4 },
		{ 1000, 875, 0 }, { 1000, 876, 126 }, { 1000, 1000, 250 },
		{ 1000, 1001, 251 },		/* one over: a racing insert */
		{ 100, 1000, 925 },		/* max_flows lowered */
		{ 131072, 114688, 0 }, { 131072, 114689, 16385 },
		{ 1U << 24, 1U << 24, 1U << 22 },
	};
	static const unsigned int maxes[] = { 16, 64, 1000, 4096 };
	unsigned int max = ef_p_max_flows.val, n = atomic_read(&ef_nflows);
	unsigned int i, m, c, q;

	if (ef_tab.buckets)
		kunit_skip(test, "the module's flow table is live");
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, ef_kt_quota(cases[i].max, cases[i].n),
				    cases[i].want, "max_flows %u, %u flows",
				    cases[i].max, cases[i].n);
	for (i = 0; i < ARRAY_SIZE(maxes); i++) {
		m = maxes[i];
		for (c = 0; c <= 2 * m; c++) {
			q = ef_kt_quota(m, c);
			if (c * 8 <= m * 7)
				KUNIT_EXPECT_EQ_MSG(test, q, 0U, "%u/%u", c, m);
			else
				KUNIT_EXPECT_EQ_MSG(test, c - q, m / 4 * 3,
						    "%u/%u", c, m);
		}
	}
	WRITE_ONCE(ef_p_max_flows.val, max);
	atomic_set(&ef_nflows, n);
}

/* The UPDATE snapshot carries the period's counters; they restart. */
static void ef_kt_update_snapshot(struct kunit *test)
{
	struct ef_flow f = {
		.id = 7,
		.pkts = { 3, 2 },
		.bytes = { 300, 200 },
		.tcp_flags = { TCPHDR_SYN | TCPHDR_ACK, TCPHDR_SYN },
		.first = EF_KT_S(10),
		.last = EF_KT_S(20),
	};
	bool own = !ef_flow_cache4;
	struct ef_flow *r;
	struct ef_queue out = EF_QUEUE_INIT(out);

	if (own)
		ef_kt_table_setup(test);
	ef_emit_update(&out, &f);
	KUNIT_EXPECT_TRUE(test, out.first && !out.first->next);
	ef_queue_for_each(r, &out) {
		KUNIT_EXPECT_EQ(test, r->id, 7ULL);
		KUNIT_EXPECT_EQ(test, r->event, EXEFLOW_EV_UPDATE);
		KUNIT_EXPECT_EQ(test, r->end_reason, EXEFLOW_END_ACTIVE);
		KUNIT_EXPECT_EQ(test, r->pkts[EF_FWD], 3U);
		KUNIT_EXPECT_EQ(test, r->pkts[EF_REV], 2U);
		KUNIT_EXPECT_EQ(test, r->bytes[EF_FWD], 300U);
		KUNIT_EXPECT_EQ(test, r->bytes[EF_REV], 200U);
		KUNIT_EXPECT_EQ(test, r->tcp_flags[EF_REV], TCPHDR_SYN);
		KUNIT_EXPECT_EQ(test, r->first, EF_KT_S(10));
		KUNIT_EXPECT_EQ(test, r->last, EF_KT_S(20));
		KUNIT_EXPECT_TRUE(test, r->flags & EF_FL_SNAP);
	}
	KUNIT_EXPECT_FALSE(test, f.flags & EF_FL_SNAP);
	KUNIT_EXPECT_EQ(test, f.pkts[EF_FWD] | f.pkts[EF_REV], 0U);
	KUNIT_EXPECT_EQ(test, f.bytes[EF_FWD] | f.bytes[EF_REV], 0U);
	KUNIT_EXPECT_EQ(test, f.tcp_flags[EF_FWD] | f.tcp_flags[EF_REV], 0);
	KUNIT_EXPECT_FALSE(test, ef_flow_has_pkts(&f));
	KUNIT_EXPECT_EQ(test, f.last, EF_KT_S(20));

	/* an idle period: no record */
	ef_emit_update(&out, &f);
	KUNIT_EXPECT_TRUE(test, out.first && !out.first->next);

	while ((r = ef_queue_pop(&out)))
		ef_flow_free(r);
	if (own)
		ef_kt_table_teardown();
}

/*
 * A snapshot holds a reference to its flow's process, put when it is freed.
 * The process shares space with the socket's cgroup id: a flow without one
 * keeps the id and no reference is taken or put through it.
 */
static void ef_kt_snapshot_owner(struct kunit *test)
{
	struct ef_proc p = { .ref = REFCOUNT_INIT(1) };
	struct ef_flow f = {
		.pkts = { 1, 0 },
		.flags = EF_FL_COOKIE | EF_FL_CREDS,
		.sock_cgroup = 0x4d,	/* no pointer: put() would fault */
	};
	bool own = !ef_flow_cache4;
	struct ef_flow *r;
	unsigned int n = 0;
	struct ef_queue out = EF_QUEUE_INIT(out);

	if (own)
		ef_kt_table_setup(test);
	ef_emit_update(&out, &f);
	f.pkts[EF_FWD] = 1;
	ef_flow_set_owner(&f, &p, EXEFLOW_M_SOCKET);
	ef_emit_update(&out, &f);
	KUNIT_EXPECT_EQ(test, refcount_read(&p.ref), 2U);

	while ((r = ef_queue_pop(&out))) {
		if (n++ == 0) {
			KUNIT_EXPECT_NULL(test, ef_flow_owner(r));
			KUNIT_EXPECT_EQ(test, ef_flow_method(r),
					EXEFLOW_M_SOCKET_CREDS);
			KUNIT_EXPECT_EQ(test, r->sock_cgroup, 0x4dULL);
		} else {
			KUNIT_EXPECT_PTR_EQ(test, ef_flow_owner(r), &p);
			KUNIT_EXPECT_EQ(test, ef_flow_method(r),
					EXEFLOW_M_SOCKET);
		}
		ef_flow_free(r);
	}
	KUNIT_EXPECT_EQ(test, n, 2U);
	KUNIT_EXPECT_EQ(test, refcount_read(&p.ref), 1U);
	if (own)
		ef_kt_table_teardown();
}

static struct ef_queue ef_kt_recs = EF_QUEUE_INIT(ef_kt_recs);

static void ef_kt_emit(struct ef_queue *recs)
{
	struct ef_flow *r;

	while ((r = ef_queue_pop(recs)))
		ef_queue_add(&ef_kt_recs, r);
}

/* A live UDP flow in the table, one packet each way, period from @period. */
static struct ef_flow *ef_kt_insert(u16 port, u32 period, u32 last)
{
	struct ef_flow *f = kmem_cache_zalloc(ef_flow_cache4, GFP_KERNEL);
	u32 h;

	if (!f)
		return NULL;
	f->key.netns_id = 42;
	f->key.family = AF_INET;
	f->key.proto = IPPROTO_UDP;
	f->key.port[0] = htons(port);
	f->id = port;
	f->pkts[EF_FWD] = 1;
	f->pkts[EF_REV] = 1;
	f->first = period;
	f->last = last;
	h = ef_hash(&f->key);
	ef_chain_add(&ef_tab.buckets[h & ef_tab.hmask], f);
	atomic_inc(&ef_nflows);
	return f;
}

/*
 * Check and free the records emitted so far; returns the set of their flow
 * ids (1 << id). An ended flow is its own record: @flows forgets it.
 */
static unsigned long ef_kt_take(struct kunit *test, struct ef_flow **flows,
				u8 event, u8 reason)
{
	unsigned long ids = 0;
	struct ef_flow *r;
	unsigned int i;

	while ((r = ef_queue_pop(&ef_kt_recs))) {
		for (i = 0; i < 3; i++)
			if (r == flows[i])
				flows[i] = NULL;
		KUNIT_EXPECT_EQ_MSG(test, r->event, event, "flow %llu", r->id);
		KUNIT_EXPECT_EQ_MSG(test, r->end_reason, reason, "flow %llu",
				    r->id);
		ids |= BIT(r->id % BITS_PER_LONG);
		ef_flow_free(r);
	}
	return ids;
}

/*
 * The exporter's scan with active_timeout 5 s: a flow whose period began
 * 6 s ago gets an UPDATE, one that began now does not, and neither does
 * one stamped after the scan read its time (now - first must not wrap);
 * none ends. Without a listener there is no UPDATE, except for a period
 * whose u32 counters or times come near wrapping. Then a FLUSH scan ends
 * them all.
 */
static void ef_kt_scan_active_timeout(struct kunit *test)
{
	unsigned int active = ef_p_active_timeout.val;
	unsigned int idle = ef_p_inactive_timeout.val;
	struct ef_flow *f[3];	/* ids 1, 2, 3: due, fresh, later */
	unsigned long live = 0;
	unsigned int i;
	u32 now;

	ef_kt_table_setup(test);
	WRITE_ONCE(ef_p_active_timeout.val, 5);
	WRITE_ONCE(ef_p_inactive_timeout.val, 60);
	now = jiffies;
	f[0] = ef_kt_insert(1, now - EF_KT_S(6), now);
	f[1] = ef_kt_insert(2, now, now);
	f[2] = ef_kt_insert(3, now + EF_KT_S(30), now + EF_KT_S(30));
	if (!f[0] || !f[1] || !f[2]) {
		KUNIT_FAIL(test, "no memory for test flows");
		goto out;
	}

	/* nobody listens: periods go on */
	ef_flowtable_scan(false, 0, 0, ef_kt_emit);
	KUNIT_EXPECT_EQ(test, ef_kt_take(test, f, 0, 0), 0UL);
	KUNIT_EXPECT_EQ(test, f[0]->pkts[EF_FWD], 1U);

	ef_flowtable_scan(true, 0, 0, ef_kt_emit);
	KUNIT_EXPECT_EQ(test, ef_kt_take(test, f, EXEFLOW_EV_UPDATE,
					 EXEFLOW_END_ACTIVE), BIT(1));
	KUNIT_EXPECT_EQ(test, ef_flowtable_count(), 3U);
	if (f[0])
		KUNIT_EXPECT_FALSE(test, ef_flow_has_pkts(f[0]));
	if (f[1])
		KUNIT_EXPECT_EQ(test, f[1]->pkts[EF_FWD], 1U);
	if (f[2])
		KUNIT_EXPECT_EQ(test, f[2]->pkts[EF_FWD], 1U);

	/* near the u32 limits the period ends, listener or not */
	if (f[1] && f[2]) {
		f[1]->pkts[EF_REV] = EF_PKTS_MAX;
		f[2]->first = now - EF_PERIOD_MAX;
		ef_flowtable_scan(false, 0, 0, ef_kt_emit);
		KUNIT_EXPECT_EQ(test, ef_kt_take(test, f, EXEFLOW_EV_UPDATE,
						 EXEFLOW_END_ACTIVE),
				BIT(2) | BIT(3));
		KUNIT_EXPECT_FALSE(test, ef_flow_has_pkts(f[1]));
		KUNIT_EXPECT_FALSE(test, ef_flow_has_pkts(f[2]));
	}
out:
	/* FLUSH ends (and frees, through the records) what is left */
	for (i = 0; i < 3; i++)
		if (f[i])
			live |= BIT(f[i]->id);
	ef_flowtable_scan(true, EXEFLOW_END_FLUSH, 0, ef_kt_emit);
	KUNIT_EXPECT_EQ(test, ef_kt_take(test, f, EXEFLOW_EV_END,
					 EXEFLOW_END_FLUSH), live);
	KUNIT_EXPECT_EQ(test, ef_flowtable_count(), 0U);
	WRITE_ONCE(ef_p_active_timeout.val, active);
	WRITE_ONCE(ef_p_inactive_timeout.val, idle);
	ef_kt_table_teardown();
}

/*
 * A packet that would wrap the period's u32 byte count ends the period on
 * the packet path: an UPDATE with the counts so far waits on the stripe's
 * dead queue, and the packet starts the next period. One that reaches
 * U32_MAX exactly does not. The scan sends the UPDATE on as a snapshot,
 * not as an ended flow (which would count as unattributed here).
 */
static void ef_kt_bytes_full(struct kunit *test)
{
	struct ef_pkt pkt = {
		.key = {
			.netns_id = 42,
			.family = AF_INET,
			.proto = IPPROTO_UDP,
			.port = { htons(5353), htons(9) },
		},
		.len = 1000,
		.segs = 1,
		.out = 1,
	};
	u64 before[__EXEFLOW_S_MAX], after[__EXEFLOW_S_MAX];
	struct ef_stripe *st;
	struct ef_flow *f, *r;
	u64 cookie = 0;
	u32 h;

	ef_kt_table_setup(test);
	h = ef_hash(&pkt.key);
	st = &ef_tab.stripes[h & ef_tab.smask];
	ef_flow_packet(&pkt, &cookie);
	f = ef_find(&ef_tab.buckets[h & ef_tab.hmask], &pkt.key);
	if (!f) {
		KUNIT_FAIL(test, "no flow created");
		goto out;
	}
	KUNIT_EXPECT_EQ(test, f->bytes[EF_FWD], 1000U);

	/* exactly to the limit: same period */
	f->bytes[EF_FWD] = U32_MAX - 1000;
	ef_flow_packet(&pkt, &cookie);
	KUNIT_EXPECT_EQ(test, f->bytes[EF_FWD], U32_MAX);
	KUNIT_EXPECT_EQ(test, f->pkts[EF_FWD], 2U);
	KUNIT_EXPECT_TRUE(test, ef_queue_empty(&st->dead));

	/* one byte more would wrap: the period ends first */
	f->bytes[EF_FWD] = U32_MAX - 999;
	f->bytes[EF_REV] = 77;
	f->pkts[EF_FWD] = 5;
	f->pkts[EF_REV] = 1;
	ef_flow_packet(&pkt, &cookie);
	KUNIT_EXPECT_EQ(test, f->bytes[EF_FWD], 1000U);
	KUNIT_EXPECT_EQ(test, f->bytes[EF_REV], 0U);
	KUNIT_EXPECT_EQ(test, f->pkts[EF_FWD], 1U);
	KUNIT_EXPECT_EQ(test, f->pkts[EF_REV], 0U);
	KUNIT_EXPECT_FALSE(test, ef_queue_empty(&st->dead));

	ef_stats_read(before);
	ef_flowtable_scan(false, 0, 0, ef_kt_emit);
	ef_stats_read(after);
	KUNIT_EXPECT_TRUE(test, ef_queue_empty(&st->dead));
	KUNIT_EXPECT_EQ(test, after[EXEFLOW_S_UNATTRIBUTED],
			before[EXEFLOW_S_UNATTRIBUTED]);
	r = ef_queue_pop(&ef_kt_recs);
	if (!r) {
		KUNIT_FAIL(test, "no UPDATE for the full period");
		goto out;
	}
	KUNIT_EXPECT_EQ(test, r->event, EXEFLOW_EV_UPDATE);
	KUNIT_EXPECT_EQ(test, r->end_reason, EXEFLOW_END_ACTIVE);
	KUNIT_EXPECT_EQ(test, r->id, f->id);
	KUNIT_EXPECT_EQ(test, r->bytes[EF_FWD], U32_MAX - 999);
	KUNIT_EXPECT_EQ(test, r->bytes[EF_REV], 77U);
	KUNIT_EXPECT_EQ(test, r->pkts[EF_FWD], 5U);
	KUNIT_EXPECT_TRUE(test, r->flags & EF_FL_SNAP);
	ef_flow_free(r);
	KUNIT_EXPECT_TRUE(test, ef_queue_empty(&ef_kt_recs));
	KUNIT_EXPECT_EQ(test, ef_flowtable_count(), 1U);
out:
	ef_flowtable_scan(false, EXEFLOW_END_FLUSH, 0, ef_kt_emit);
	while ((r = ef_queue_pop(&ef_kt_recs)))
		ef_flow_free(r);
	KUNIT_EXPECT_EQ(test, ef_flowtable_count(), 0U);
	ef_kt_table_teardown();
}

/*
 * A table with max_flows 32 and flows 1..@n, flow i quiet for @quiet(i)
 * seconds; one scan. Returns the set of evicted ids (1 << id); the rest
 * are flushed.
 */
static unsigned long ef_kt_evict(struct kunit *test, unsigned int n,
				 unsigned int (*quiet)(unsigned int i))
{
	unsigned int max = ef_p_max_flows.val;
	unsigned int idle = ef_p_inactive_timeout.val;
	unsigned long evicted = 0;
	struct ef_flow *r;
	unsigned int i;
	u32 now, t;

	ef_kt_table_setup(test);
	WRITE_ONCE(ef_p_max_flows.val, 32);
	WRITE_ONCE(ef_p_inactive_timeout.val, 3600);
	now = jiffies;
	for (i = 1; i <= n; i++) {
		t = now - EF_KT_S(quiet(i));
		if (!ef_kt_insert(i, t, t))
			KUNIT_FAIL(test, "no memory for test flows");
	}
	ef_flowtable_scan(false, 0, 0, ef_kt_emit);
	while ((r = ef_queue_pop(&ef_kt_recs))) {
		KUNIT_EXPECT_EQ(test, r->end_reason, EXEFLOW_END_EVICTED);
		evicted |= BIT(r->id);
		ef_flow_free(r);
	}
	KUNIT_EXPECT_EQ(test, ef_flowtable_count(), n - hweight_long(evicted));

	ef_flowtable_scan(false, EXEFLOW_END_FLUSH, 0, ef_kt_emit);
	while ((r = ef_queue_pop(&ef_kt_recs)))
		ef_flow_free(r);
	KUNIT_EXPECT_EQ(test, ef_flowtable_count(), 0U);
	WRITE_ONCE(ef_p_max_flows.val, max);
	WRITE_ONCE(ef_p_inactive_timeout.val, idle);
	ef_kt_table_teardown();
	return evicted;
}

static unsigned int ef_kt_fresh(unsigned int i)
{
	return 0;
}

/* ids 1-24 had a packet just now, 25-30 are quiet for 100-600 s */
static unsigned int ef_kt_six_quiet(unsigned int i)
{
	return i <= 24 ? 0 : 100 * (i - 24);
}

/*
 * Eviction takes the quota, not one flow from every stripe: 29 fresh flows
 * over 16 stripes with max_flows 32 are above 7/8 (28), so the scan ends
 * 29 - 24 = 5 of them (evicted) and keeps 24.
 */
static void ef_kt_scan_evict_share(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, hweight_long(ef_kt_evict(test, 29, ef_kt_fresh)),
			5);
}

/*
 * Eviction ends the longest quiet flows first: of 30 flows (quota 6) the
 * six quiet ones go, wherever they hash (an LRU per stripe would take one
 * from each of six stripes).
 */
static void ef_kt_scan_evict_quietest(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ef_kt_evict(test, 30, ef_kt_six_quiet),
			GENMASK(30, 25));
}

static struct kunit_case ef_timeout_cases[] = {
	KUNIT_CASE(ef_kt_end_idle),
	KUNIT_CASE(ef_kt_end_fin),
	KUNIT_CASE(ef_kt_end_stamped_after_now),
	KUNIT_CASE(ef_kt_end_exe_pending),
	KUNIT_CASE(ef_kt_evict_quota),
	KUNIT_CASE(ef_kt_update_snapshot),
	KUNIT_CASE(ef_kt_snapshot_owner),
	KUNIT_CASE(ef_kt_scan_active_timeout),
	KUNIT_CASE(ef_kt_bytes_full),
	KUNIT_CASE(ef_kt_scan_evict_share),
	KUNIT_CASE(ef_kt_scan_evict_quietest),
	{}
};

struct kunit_suite ef_timeout_suite = {
	.name = "exeflow_timeout",
	.test_cases = ef_timeout_cases,
};

#endif /* EF_HAVE_KUNIT_SUITES */
