// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the export backlog (included at the end of export.c). A queued
 * record keeps 32 bits of its sequence number; the full number is rebuilt
 * from next_seq, and gaps stop growing before that becomes ambiguous.
 * Records that waited too long leave it, oldest first. Runs on the
 * exporter's state while the module is not initialised yet and skips
 * otherwise.
 */
#include "kunit.h"

#ifdef EF_HAVE_KUNIT_SUITES

static bool ef_kt_export_idle(void)
{
	return !ef_export_running && !ef_exp.portid && !ef_exp.count;
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
	INIT_LIST_HEAD(&ef_exp.backlog);
	list_add_tail(&f->node, &ef_exp.backlog);
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
	list_del(&f->node);
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
	LIST_HEAD(old);

	if (!ef_kt_export_idle())
		kunit_skip(test, "the module's exporter is live");
	INIT_LIST_HEAD(&ef_exp.backlog);
	INIT_HLIST_HEAD(&ef_exp.interim);
	for (i = 0; i < ARRAY_SIZE(age); i++) {
		s[i] = kunit_kzalloc(test, sizeof(*s[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s[i]);
		s[i]->f.last = now - age[i];
		s[i]->f.flags = EF_FL_SNAP;
		list_add_tail(&s[i]->f.node, &ef_exp.backlog);
		hlist_add_head(&s[i]->interim, &ef_exp.interim);
		ef_exp.count++;
	}

	KUNIT_EXPECT_EQ(test, ef_backlog_take_old(now, &old), 2U);
	KUNIT_EXPECT_EQ(test, ef_exp.count, ARRAY_SIZE(age) - 2);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&old, struct ef_flow, node),
			    &s[0]->f);
	KUNIT_EXPECT_PTR_EQ(test, list_last_entry(&old, struct ef_flow, node),
			    &s[1]->f);
	KUNIT_EXPECT_TRUE(test, hlist_unhashed(&s[0]->interim));
	KUNIT_EXPECT_TRUE(test, hlist_unhashed(&s[1]->interim));
	KUNIT_EXPECT_FALSE(test, hlist_unhashed(&s[2]->interim));
	/* the one behind a younger record waits for it */
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&ef_exp.backlog,
						   struct ef_flow, node),
			    &s[2]->f);
	KUNIT_EXPECT_EQ(test, ef_backlog_take_old(now, &old), 0U);
	/* a second later the head is old enough, and the one behind it */
	KUNIT_EXPECT_EQ(test, ef_backlog_take_old(now + 1, &old), 2U);
	KUNIT_EXPECT_EQ(test, ef_exp.count, 1U);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&ef_exp.backlog,
						   struct ef_flow, node),
			    &s[4]->f);

	INIT_LIST_HEAD(&ef_exp.backlog);
	INIT_HLIST_HEAD(&ef_exp.interim);
	ef_exp.count = 0;
}

static struct kunit_case ef_export_cases[] = {
	KUNIT_CASE(ef_kt_seq64),
	KUNIT_CASE(ef_kt_gap_bounded),
	KUNIT_CASE(ef_kt_backlog_age),
	{}
};

struct kunit_suite ef_export_suite = {
	.name = "exeflow_export",
	.test_cases = ef_export_cases,
};

#endif /* EF_HAVE_KUNIT_SUITES */
