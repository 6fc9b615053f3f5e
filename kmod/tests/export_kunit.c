// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the export backlog (included at the end of export.c). A queued
 * record keeps 32 bits of its sequence number; the full number is rebuilt
 * from next_seq, and gaps stop growing before that becomes ambiguous.
 * Records that waited too long leave it, oldest first; when it is full,
 * an END takes a snapshot's place. Runs on the exporter's state while the
 * module is not initialised yet and skips otherwise.
 */
#include "kunit.h"

#ifdef EF_HAVE_KUNIT_SUITES

static bool ef_kt_export_idle(void)
{
	return !ef_export_running && !ef_exp.portid && !ef_exp.count;
}

/* @q holds the flows of @ids (@n of them), in that order: pops them all. */
static void ef_kt_expect_queue(struct kunit *test, struct ef_queue *q,
			       const u64 *ids, unsigned int n)
{
	struct ef_flow *f;
	unsigned int i;

	for (i = 0; (f = ef_queue_pop(q)); i++)
		KUNIT_EXPECT_EQ(test, f->id, i < n ? ids[i] : 0);
	KUNIT_EXPECT_EQ(test, i, n);
}

/* An empty backlog (what was on it belongs to the test). */
static void ef_kt_backlog_reset(void)
{
	ef_queue_init(&ef_exp.backlog);
	INIT_HLIST_HEAD(&ef_exp.interim);
	ef_exp.count = 0;
}

/* Rebuilt across the 32-bit wrap, up to 2^32 - 1 behind next_seq. */
static void ef_kt_seq64(struct kunit *test)
{
	u64 next = ef_exp.next_seq;

	if (!ef_kt_export_idle())
		kunit_skip(test, "the module's exporter is live");
	ef_exp.next_seq = (1ULL << 32) + 10;
	KUNIT_EXPECT_EQ(test, ef_seq64(9), (1ULL << 32) + 9);
	KUNIT_EXPECT_EQ(test, ef_seq64(0xfffffff0U), 0xfffffff0ULL);
	KUNIT_EXPECT_EQ(test, ef_seq64(11), 11ULL);	/* 2^32 - 1 behind */
	ef_exp.next_seq = 5;
	KUNIT_EXPECT_EQ(test, ef_seq64(1), 1ULL);
	ef_exp.next_seq = next;
}

/*
 * A record lost to a full backlog takes a sequence number (the gap), until
 * the oldest queued record is 2^31 behind; without a listener, none.
 */
static void ef_kt_gap_bounded(struct kunit *test)
{
	struct ef_flow *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	u64 next = ef_exp.next_seq, head = (3ULL << 32) + 7;
	u32 portid = ef_exp.portid;

	KUNIT_ASSERT_NOT_NULL(test, f);
	if (!ef_kt_export_idle())
		kunit_skip(test, "the module's exporter is live");
	f->seq = (u32)head;
	ef_queue_init(&ef_exp.backlog);
	ef_queue_add(&ef_exp.backlog, f);
	ef_exp.portid = 1;
	ef_exp.next_seq = head + (1ULL << 31) - 2;
	ef_export_gap();
	KUNIT_EXPECT_EQ(test, ef_exp.next_seq, head + (1ULL << 31) - 1);
	ef_export_gap();
	KUNIT_EXPECT_EQ(test, ef_exp.next_seq, head + (1ULL << 31));
	ef_export_gap();
	KUNIT_EXPECT_EQ(test, ef_exp.next_seq, head + (1ULL << 31));
	KUNIT_EXPECT_EQ(test, ef_seq64(f->seq), head);
	/* nobody listens: no numbers at all */
	ef_exp.portid = 0;
	ef_exp.next_seq = 1;
	ef_export_gap();
	KUNIT_EXPECT_EQ(test, ef_exp.next_seq, 1ULL);
	/* empty backlog: every loss is a gap */
	ef_exp.portid = 1;
	ef_queue_init(&ef_exp.backlog);
	ef_export_gap();
	KUNIT_EXPECT_EQ(test, ef_exp.next_seq, 2ULL);

	ef_exp.portid = portid;
	ef_exp.next_seq = next;
}

/*
 * Records leave the backlog once they waited EF_BACKLOG_AGE_MAX since
 * their last packet, from the head (oldest) up to the first younger one,
 * across the jiffies wrap; a snapshot leaves the interim list too.
 */
static void ef_kt_backlog_age(struct kunit *test)
{
	static const u32 now = 100;	/* just after the wrap */
	static const u32 age[] = {
		EF_BACKLOG_AGE_MAX + 5, EF_BACKLOG_AGE_MAX,
		EF_BACKLOG_AGE_MAX - 1, EF_BACKLOG_AGE_MAX + 9, 0,
	};
	struct ef_snap *s[ARRAY_SIZE(age)];
	unsigned int i;
	struct ef_queue old = EF_QUEUE_INIT(old);

	if (!ef_kt_export_idle())
		kunit_skip(test, "the module's exporter is live");
	ef_kt_backlog_reset();
	for (i = 0; i < ARRAY_SIZE(age); i++) {
		s[i] = kunit_kzalloc(test, sizeof(*s[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s[i]);
		s[i]->f.last = now - age[i];
		s[i]->f.flags = EF_FL_SNAP;
		ef_backlog_add(&s[i]->f);
	}

	KUNIT_EXPECT_EQ(test, ef_backlog_take_old(now, &old), 2U);
	KUNIT_EXPECT_EQ(test, ef_exp.count, ARRAY_SIZE(age) - 2);
	KUNIT_EXPECT_PTR_EQ(test, old.first, &s[0]->f);
	KUNIT_EXPECT_PTR_EQ(test, ef_queue_pop(&old), &s[0]->f);
	KUNIT_EXPECT_PTR_EQ(test, ef_queue_pop(&old), &s[1]->f);
	KUNIT_EXPECT_TRUE(test, ef_queue_empty(&old));
	KUNIT_EXPECT_TRUE(test, hlist_unhashed(&s[0]->interim));
	KUNIT_EXPECT_TRUE(test, hlist_unhashed(&s[1]->interim));
	KUNIT_EXPECT_FALSE(test, hlist_unhashed(&s[2]->interim));
	/* the one behind a younger record waits for it */
	KUNIT_EXPECT_PTR_EQ(test, ef_exp.backlog.first, &s[2]->f);
	KUNIT_EXPECT_PTR_EQ(test, s[2]->pprev, &ef_exp.backlog.first);
	KUNIT_EXPECT_EQ(test, ef_backlog_take_old(now, &old), 0U);
	/* a second later the head is old enough, and the one behind it */
	KUNIT_EXPECT_EQ(test, ef_backlog_take_old(now + 1, &old), 2U);
	KUNIT_EXPECT_EQ(test, ef_exp.count, 1U);
	KUNIT_EXPECT_PTR_EQ(test, ef_exp.backlog.first, &s[4]->f);
	KUNIT_EXPECT_PTR_EQ(test, ef_exp.backlog.tail, &s[4]->f.next);

	ef_kt_backlog_reset();
}

/* The backlog in order, as flow ids: 0x123 for ids 1, 2, 3. */
static unsigned long ef_kt_backlog_ids(void)
{
	unsigned long ids = 0;
	struct ef_flow *f;

	ef_queue_for_each(f, &ef_exp.backlog)
		ids = ids << 4 | f->id;
	return ids;
}

/* Every snapshot's link points at it, and the tail at the last link. */
static void ef_kt_backlog_links(struct kunit *test)
{
	struct ef_flow *f, **link;

	for (link = &ef_exp.backlog.first; (f = *link); link = &f->next)
		if (f->flags & EF_FL_SNAP)
			KUNIT_EXPECT_PTR_EQ_MSG(test, ef_snap_of(f)->pprev, link,
						"flow %llu", f->id);
	KUNIT_EXPECT_PTR_EQ(test, ef_exp.backlog.tail, link);
}

/*
 * The backlog is singly linked: a snapshot leaves from its middle through
 * the link it remembers, which changes when its predecessor leaves. After
 * every step the queue's order, its tail and every snapshot's link are
 * checked, for a snapshot in the middle, at the tail and at the head, down
 * to an empty backlog and up again.
 */
static void ef_kt_backlog_unlink(struct kunit *test)
{
	/* ids 1..7: END, snapshot, snapshot, END, snapshot, snapshot; 7 */
	static const bool snap[] = { false, true, true, false, true, true,
				     true };
	static const u64 taken[] = { 6, 1, 2, 5, 7, 4, 3 };
	struct ef_snap *s[ARRAY_SIZE(snap)];
	struct ef_flow *f;
	unsigned int i;
	struct ef_queue out = EF_QUEUE_INIT(out);

	if (!ef_kt_export_idle())
		kunit_skip(test, "the module's exporter is live");
	ef_kt_backlog_reset();
	for (i = 0; i < ARRAY_SIZE(snap); i++) {
		s[i] = kunit_kzalloc(test, sizeof(*s[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s[i]);
		s[i]->f.id = i + 1;
		s[i]->f.flags = snap[i] ? EF_FL_SNAP : 0;
		if (i < 6)
			ef_backlog_add(&s[i]->f);
	}
	KUNIT_EXPECT_EQ(test, ef_kt_backlog_ids(), 0x123456UL);
	KUNIT_EXPECT_PTR_EQ(test, ef_snap_flow(ef_exp.interim.first),
			    &s[5]->f);
	ef_kt_backlog_links(test);

	/* 3 from the middle: 4's link is no snapshot's business */
	ef_backlog_take(s[2]->pprev, &s[2]->f, &out);
	KUNIT_EXPECT_EQ(test, ef_kt_backlog_ids(), 0x12456UL);
	ef_kt_backlog_links(test);
	/* 6 from the tail: the tail moves back to 5 */
	ef_backlog_take(s[5]->pprev, &s[5]->f, &out);
	KUNIT_EXPECT_EQ(test, ef_kt_backlog_ids(), 0x1245UL);
	KUNIT_EXPECT_PTR_EQ(test, ef_snap_flow(ef_exp.interim.first),
			    &s[4]->f);
	ef_kt_backlog_links(test);
	/* the head leaves: 2, now first, links from the head */
	KUNIT_EXPECT_PTR_EQ(test, ef_backlog_take_first(&out), &s[0]->f);
	KUNIT_EXPECT_PTR_EQ(test, s[1]->pprev, &ef_exp.backlog.first);
	ef_kt_backlog_links(test);
	/* 2 leaves as a snapshot, from the head */
	ef_backlog_take(s[1]->pprev, &s[1]->f, &out);
	KUNIT_EXPECT_EQ(test, ef_kt_backlog_ids(), 0x45UL);
	ef_kt_backlog_links(test);
	/* an addition after a removal at the tail links to the right place */
	ef_backlog_add(&s[6]->f);
	KUNIT_EXPECT_PTR_EQ(test, s[6]->pprev, &s[4]->f.next);
	ef_backlog_take(s[4]->pprev, &s[4]->f, &out);
	KUNIT_EXPECT_EQ(test, ef_kt_backlog_ids(), 0x47UL);
	ef_kt_backlog_links(test);
	KUNIT_EXPECT_EQ(test, ef_exp.count, 2U);
	/* down to empty, from the tail, then the head, and up again */
	ef_backlog_take(s[6]->pprev, &s[6]->f, &out);
	ef_kt_backlog_links(test);
	KUNIT_EXPECT_PTR_EQ(test, ef_backlog_take_first(&out), &s[3]->f);
	KUNIT_EXPECT_TRUE(test, ef_queue_empty(&ef_exp.backlog));
	KUNIT_EXPECT_PTR_EQ(test, ef_exp.backlog.tail, &ef_exp.backlog.first);
	KUNIT_EXPECT_TRUE(test, hlist_empty(&ef_exp.interim));
	KUNIT_EXPECT_EQ(test, ef_exp.count, 0U);
	f = ef_queue_pop(&out);		/* 3, a snapshot */
	ef_backlog_add(f);
	KUNIT_EXPECT_PTR_EQ(test, s[2]->pprev, &ef_exp.backlog.first);
	ef_kt_backlog_links(test);
	ef_backlog_take(s[2]->pprev, f, &out);
	/* the ones taken, in the order taken */
	ef_kt_expect_queue(test, &out, taken, ARRAY_SIZE(taken));
	ef_kt_backlog_reset();
}

/*
 * A full backlog: an END takes the place of the newest queued snapshot,
 * whose number becomes the gap; a snapshot, or an END with no snapshot
 * left to replace, is dropped and leaves a gap of its own.
 */
static void ef_kt_backlog_full(struct kunit *test)
{
	/* ids 1..7: END, snapshot, snapshot; then END, snapshot, END, END */
	static const bool end[] = { true, false, false, true, false, true,
				    true };
	static const u64 dropped[] = { 3, 5, 2, 7 };
	u64 next = ef_exp.next_seq;
	u32 portid = ef_exp.portid;
	struct ef_queue recs = EF_QUEUE_INIT(recs);
	struct ef_queue drop = EF_QUEUE_INIT(drop);
	struct ef_snap *s[ARRAY_SIZE(end)];
	unsigned int i;

	if (!ef_kt_export_idle())
		kunit_skip(test, "the module's exporter is live");
	ef_kt_backlog_reset();
	ef_exp.portid = 1;
	ef_exp.next_seq = 1;
	for (i = 0; i < ARRAY_SIZE(end); i++) {
		s[i] = kunit_kzalloc(test, sizeof(*s[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s[i]);
		s[i]->f.id = i + 1;
		s[i]->f.event = end[i] ? EXEFLOW_EV_END : EXEFLOW_EV_NEW;
		s[i]->f.flags = end[i] ? 0 : EF_FL_SNAP;
		ef_queue_add(&recs, &s[i]->f);
		if (i == 2) {	/* room for these three */
			KUNIT_EXPECT_EQ(test, ef_backlog_admit(&recs, 3, &drop),
					0U);
			KUNIT_EXPECT_EQ(test, ef_kt_backlog_ids(), 0x123UL);
		}
	}

	KUNIT_EXPECT_EQ(test, ef_backlog_admit(&recs, 3, &drop), 4U);
	KUNIT_EXPECT_TRUE(test, ef_queue_empty(&recs));
	KUNIT_EXPECT_EQ(test, ef_kt_backlog_ids(), 0x146UL);
	KUNIT_EXPECT_EQ(test, ef_exp.count, 3U);
	ef_kt_backlog_links(test);
	KUNIT_EXPECT_TRUE(test, hlist_empty(&ef_exp.interim));
	/* 3 and 2 gave their numbers up, 5 and 7 took one each */
	KUNIT_EXPECT_EQ(test, ef_seq64(s[0]->f.seq), 1ULL);
	KUNIT_EXPECT_EQ(test, ef_seq64(s[3]->f.seq), 4ULL);
	KUNIT_EXPECT_EQ(test, ef_seq64(s[5]->f.seq), 6ULL);
	KUNIT_EXPECT_EQ(test, ef_exp.next_seq, 8ULL);
	ef_kt_expect_queue(test, &drop, dropped, ARRAY_SIZE(dropped));

	ef_kt_backlog_reset();
	ef_exp.portid = portid;
	ef_exp.next_seq = next;
}

static struct kunit_case ef_export_cases[] = {
	KUNIT_CASE(ef_kt_seq64),
	KUNIT_CASE(ef_kt_gap_bounded),
	KUNIT_CASE(ef_kt_backlog_age),
	KUNIT_CASE(ef_kt_backlog_unlink),
	KUNIT_CASE(ef_kt_backlog_full),
	{}
};

struct kunit_suite ef_export_suite = {
	.name = "exeflow_export",
	.test_cases = ef_export_cases,
};

#endif /* EF_HAVE_KUNIT_SUITES */
