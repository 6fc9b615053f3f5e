// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: record encoding (included at the end of record.c). Records are
 * encoded with ef_record_put() and parsed back strictly (nla_parse() with
 * the policies below, which follow the attribute tree in uapi/exeflow.h).
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if.h>
#include <linux/limits.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <net/tcp.h>

#include "kunit.h"

#ifdef EF_HAVE_KUNIT_SUITES

static const struct nla_policy ef_kt_proc_policy[EXEFLOW_P_MAX + 1] = {
	[EXEFLOW_P_PAD]		= { .type = NLA_BINARY },
	[EXEFLOW_P_TGID]	= { .type = NLA_U32 },
	[EXEFLOW_P_PID]		= { .type = NLA_U32 },
	[EXEFLOW_P_PPID]	= { .type = NLA_U32 },
	[EXEFLOW_P_SID]		= { .type = NLA_U32 },
	[EXEFLOW_P_PGID]	= { .type = NLA_U32 },
	[EXEFLOW_P_START_NS]	= { .type = NLA_U64 },
	[EXEFLOW_P_UID]		= { .type = NLA_U32 },
	[EXEFLOW_P_GID]		= { .type = NLA_U32 },
	[EXEFLOW_P_EUID]	= { .type = NLA_U32 },
	[EXEFLOW_P_EGID]	= { .type = NLA_U32 },
	[EXEFLOW_P_COMM]	= { .type = NLA_NUL_STRING,
				    .len = TASK_COMM_LEN - 1 },
	[EXEFLOW_P_EXE_PATH]	= { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[EXEFLOW_P_EXE_MAJOR]	= { .type = NLA_U32 },
	[EXEFLOW_P_EXE_MINOR]	= { .type = NLA_U32 },
	[EXEFLOW_P_EXE_INO]	= { .type = NLA_U64 },
	[EXEFLOW_P_EXE_SIZE]	= { .type = NLA_U64 },
	[EXEFLOW_P_EXE_MTIME_NS] = { .type = NLA_U64 },
	[EXEFLOW_P_CGROUP_ID]	= { .type = NLA_U64 },
	[EXEFLOW_P_PIDNS_INUM]	= { .type = NLA_U32 },
	[EXEFLOW_P_FLAGS]	= { .type = NLA_U32 },
};

static const struct nla_policy ef_kt_flow_policy[EXEFLOW_F_MAX + 1] = {
	[EXEFLOW_F_PAD]		= { .type = NLA_BINARY },
	[EXEFLOW_F_SEQ]		= { .type = NLA_U64 },
	[EXEFLOW_F_EVENT]	= { .type = NLA_U8 },
	[EXEFLOW_F_FLOW_ID]	= { .type = NLA_U64 },
	[EXEFLOW_F_NETNS_ID]	= { .type = NLA_U64 },
	[EXEFLOW_F_FAMILY]	= { .type = NLA_U8 },
	[EXEFLOW_F_PROTO]	= { .type = NLA_U8 },
	[EXEFLOW_F_SRC_ADDR]	= { .type = NLA_BINARY, .len = 16 },
	[EXEFLOW_F_DST_ADDR]	= { .type = NLA_BINARY, .len = 16 },
	[EXEFLOW_F_SRC_PORT]	= { .type = NLA_U16 },
	[EXEFLOW_F_DST_PORT]	= { .type = NLA_U16 },
	[EXEFLOW_F_ICMP_ID]	= { .type = NLA_U16 },
	[EXEFLOW_F_DIRECTION]	= { .type = NLA_U8 },
	[EXEFLOW_F_FWD_PACKETS]	= { .type = NLA_U64 },
	[EXEFLOW_F_FWD_BYTES]	= { .type = NLA_U64 },
	[EXEFLOW_F_REV_PACKETS]	= { .type = NLA_U64 },
	[EXEFLOW_F_REV_BYTES]	= { .type = NLA_U64 },
	[EXEFLOW_F_FWD_TCP_FLAGS] = { .type = NLA_U8 },
	[EXEFLOW_F_REV_TCP_FLAGS] = { .type = NLA_U8 },
	[EXEFLOW_F_FIRST_NS]	= { .type = NLA_U64 },
	[EXEFLOW_F_LAST_NS]	= { .type = NLA_U64 },
	[EXEFLOW_F_IN_IFINDEX]	= { .type = NLA_U32 },
	[EXEFLOW_F_OUT_IFINDEX]	= { .type = NLA_U32 },
	[EXEFLOW_F_END_REASON]	= { .type = NLA_U8 },
	[EXEFLOW_F_METHOD]	= { .type = NLA_U8 },
	[EXEFLOW_F_SOCK_COOKIE]	= { .type = NLA_U64 },
	[EXEFLOW_F_SOCK_UID]	= { .type = NLA_U32 },
	[EXEFLOW_F_SOCK_CGROUP]	= { .type = NLA_U64 },
	[EXEFLOW_F_PROC]	= NLA_POLICY_NESTED(ef_kt_proc_policy),
	[EXEFLOW_F_IN_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[EXEFLOW_F_OUT_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
};

static const struct nla_policy ef_kt_policy[EXEFLOW_A_MAX + 1] = {
	[EXEFLOW_A_FLOW]	= NLA_POLICY_NESTED(ef_kt_flow_policy),
};

/*
 * Interface names come from ifname.c's table, keyed by namespace id: one
 * no namespace of the running kernel has (ids count up from 1).
 */
#define EF_KT_REC_NETNS	(BIT_ULL(63) | 42)

/*
 * Everything a record can carry: a TCP/IPv4 flow the client initiated, its
 * process known (so no socket cgroup id: ef_kt_record_creds()).
 */
struct ef_kt_rec {
	struct ef_flow f;
	struct ef_proc p;
	char path[PATH_MAX];
};

static struct ef_kt_rec *ef_kt_full(struct kunit *test)
{
	struct ef_kt_rec *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct ef_flow *f;
	struct ef_proc *p;

	KUNIT_ASSERT_NOT_NULL(test, r);
	f = &r->f;
	p = &r->p;
	f->key.netns_id = EF_KT_REC_NETNS;
	f->key.family = AF_INET;
	f->key.proto = IPPROTO_TCP;
	*ef_key_addr(&f->key, 0) = htonl(0x0a000001);	/* 10.0.0.1:80 */
	*ef_key_addr(&f->key, 1) = htonl(0x0a000002);	/* 10.0.0.2:40000 */
	f->key.port[0] = htons(80);
	f->key.port[1] = htons(40000);
	f->init_side = 1;
	f->direction = EXEFLOW_DIR_OUTBOUND;
	f->id = 99;
	f->pkts[EF_FWD] = 10;
	f->pkts[EF_REV] = 8;
	f->bytes[EF_FWD] = 1000;
	f->bytes[EF_REV] = 5000;
	f->tcp_flags[EF_FWD] = TCPHDR_SYN | TCPHDR_ACK | TCPHDR_PSH | TCPHDR_FIN;
	f->tcp_flags[EF_REV] = TCPHDR_SYN | TCPHDR_ACK | TCPHDR_FIN;
	f->last = jiffies - 2;
	f->first = f->last - 30 * HZ;
	f->in_ifindex = 2;
	ef_ifname_set(EF_KT_REC_NETNS, 2, "eth0");
	f->out_ifindex = 3;
	ef_ifname_set(EF_KT_REC_NETNS, 3, "veth-long-name0");
	f->end_reason = EXEFLOW_END_FIN;
	f->flags = EF_FL_COOKIE | EF_FL_CREDS | EF_FL_NEW_SENT;
	f->cookie = 0x1122334455667788ULL;
	f->sock_uid = 1000;
	ef_flow_set_owner(f, p, EXEFLOW_M_TASK);

	p->tgid = 1234;
	p->pid = 1235;
	p->ppid = 1;
	p->sid = 1000;
	p->pgid = 1001;
	p->start_ns = 5ULL * NSEC_PER_SEC;
	p->uid = 1000;
	p->gid = 1001;
	p->euid = 0;
	p->egid = 0;
	strscpy(p->comm, "curl", TASK_COMM_LEN);
	p->cgroup_id = 77;
	p->pidns_inum = 4026531836U;
	p->flags = EXEFLOW_PF_HAS_TTY | EXEFLOW_PF_SESSION_LEADER;
	p->exe_state = EF_EXE_DONE;
	p->exe_flags = EXEFLOW_PF_EXE_KNOWN;
	strscpy(r->path, "/usr/bin/curl", PATH_MAX);
	p->exe_path = r->path;
	p->exe_major = 8;
	p->exe_minor = 1;
	p->exe_ino = 123456;
	p->exe_size = 250000;
	p->exe_mtime_ns = 1700000000ULL * NSEC_PER_SEC;
	return r;
}

struct ef_kt_attrs {
	struct nlattr *f[EXEFLOW_F_MAX + 1];
	struct nlattr *p[EXEFLOW_P_MAX + 1];
	unsigned int records;
};

/*
 * Validate everything in @skb from @from on (strictly: exact attribute
 * sizes, no unknown or trailing attributes) and parse its last record.
 */
static int ef_kt_parse(struct kunit *test, const struct sk_buff *skb,
		       unsigned int from, struct ef_kt_attrs *a)
{
	struct nlattr *head = (struct nlattr *)(skb->data + from);
	struct nlattr *tb[EXEFLOW_A_MAX + 1];
	struct netlink_ext_ack ext = {};
	const struct nlattr *nla;
	int err, rem;

	memset(a, 0, sizeof(*a));
	err = nla_parse(tb, EXEFLOW_A_MAX, head, skb->len - from, ef_kt_policy,
			&ext);
	if (!err && tb[EXEFLOW_A_FLOW])
		err = nla_parse_nested(a->f, EXEFLOW_F_MAX, tb[EXEFLOW_A_FLOW],
				       ef_kt_flow_policy, &ext);
	if (!err && a->f[EXEFLOW_F_PROC])
		err = nla_parse_nested(a->p, EXEFLOW_P_MAX,
				       a->f[EXEFLOW_F_PROC], ef_kt_proc_policy,
				       &ext);
	if (err) {
		kunit_err(test, "parse: %d %s", err, ext._msg ? ext._msg : "");
		return err;
	}
	nla_for_each_attr(nla, head, skb->len - from, rem)
		a->records += nla_type(nla) == EXEFLOW_A_FLOW;
	return 0;
}

static void ef_kt_u64(struct kunit *test, struct nlattr **tb, int type, u64 v)
{
	KUNIT_EXPECT_NOT_NULL_MSG(test, tb[type], "attribute %d", type);
	if (tb[type])
		KUNIT_EXPECT_EQ_MSG(test, nla_get_u64(tb[type]), v,
				    "attribute %d", type);
}

static void ef_kt_u32(struct kunit *test, struct nlattr **tb, int type, u32 v)
{
	KUNIT_EXPECT_NOT_NULL_MSG(test, tb[type], "attribute %d", type);
	if (tb[type])
		KUNIT_EXPECT_EQ_MSG(test, nla_get_u32(tb[type]), v,
				    "attribute %d", type);
}

static void ef_kt_u16(struct kunit *test, struct nlattr **tb, int type, u16 v)
{
	KUNIT_EXPECT_NOT_NULL_MSG(test, tb[type], "attribute %d", type);
	if (tb[type])
		KUNIT_EXPECT_EQ_MSG(test, nla_get_u16(tb[type]), v,
				    "attribute %d", type);
}

static void ef_kt_u8(struct kunit *test, struct nlattr **tb, int type, u8 v)
{
	KUNIT_EXPECT_NOT_NULL_MSG(test, tb[type], "attribute %d", type);
	if (tb[type])
		KUNIT_EXPECT_EQ_MSG(test, nla_get_u8(tb[type]), v,
				    "attribute %d", type);
}

static void ef_kt_str(struct kunit *test, struct nlattr **tb, int type,
		      const char *v)
{
	KUNIT_EXPECT_NOT_NULL_MSG(test, tb[type], "attribute %d", type);
	if (tb[type])
		KUNIT_EXPECT_STREQ_MSG(test, (char *)nla_data(tb[type]), v,
				       "attribute %d", type);
}

static void ef_kt_bin(struct kunit *test, struct nlattr **tb, int type,
		      const void *v, int len)
{
	KUNIT_EXPECT_NOT_NULL_MSG(test, tb[type], "attribute %d", type);
	if (!tb[type])
		return;
	KUNIT_EXPECT_EQ_MSG(test, nla_len(tb[type]), len, "attribute %d",
			    type);
	if (nla_len(tb[type]) == len)
		KUNIT_EXPECT_EQ_MSG(test, memcmp(nla_data(tb[type]), v, len), 0,
				    "attribute %d", type);
}

static void ef_kt_absent(struct kunit *test, struct nlattr **tb, int type)
{
	KUNIT_EXPECT_NULL_MSG(test, tb[type], "attribute %d", type);
}

/* Encode @f into a fresh skb (after a 4-byte prefix) and parse it. */
static struct sk_buff *ef_kt_encode(struct kunit *test,
				    const struct ef_flow *f, u8 event, u64 seq,
				    struct ef_kt_attrs *a)
{
	struct sk_buff *skb = alloc_skb(EF_RECORD_MAX, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put_zero(skb, 4);
	KUNIT_EXPECT_EQ(test, ef_record_put(skb, f, event, seq), 0);
	KUNIT_EXPECT_EQ(test, ef_kt_parse(test, skb, 4, a), 0);
	KUNIT_EXPECT_EQ(test, a->records, 1U);
	return skb;
}

/* Every attribute of a full record, as the uapi header describes it. */
static void ef_kt_record_full(struct kunit *test)
{
	struct ef_kt_rec *r = ef_kt_full(test);
	static const u8 client[4] = { 10, 0, 0, 2 }, server[4] = { 10, 0, 0, 1 };
	struct ef_kt_attrs *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct sk_buff *skb;
	u64 first, last;

	KUNIT_ASSERT_NOT_NULL(test, a);
	skb = ef_kt_encode(test, &r->f, EXEFLOW_EV_END, 5, a);
	ef_kt_u64(test, a->f, EXEFLOW_F_SEQ, 5);
	ef_kt_u8(test, a->f, EXEFLOW_F_EVENT, EXEFLOW_EV_END);
	ef_kt_u64(test, a->f, EXEFLOW_F_FLOW_ID, 99);
	ef_kt_u64(test, a->f, EXEFLOW_F_NETNS_ID, EF_KT_REC_NETNS);
	ef_kt_u8(test, a->f, EXEFLOW_F_FAMILY, AF_INET);
	ef_kt_u8(test, a->f, EXEFLOW_F_PROTO, IPPROTO_TCP);
	/* oriented from the initiator (key side 1) */
	ef_kt_bin(test, a->f, EXEFLOW_F_SRC_ADDR, client, 4);
	ef_kt_bin(test, a->f, EXEFLOW_F_DST_ADDR, server, 4);
	ef_kt_u16(test, a->f, EXEFLOW_F_SRC_PORT, 40000);
	ef_kt_u16(test, a->f, EXEFLOW_F_DST_PORT, 80);
	ef_kt_absent(test, a->f, EXEFLOW_F_ICMP_ID);
	ef_kt_u8(test, a->f, EXEFLOW_F_DIRECTION, EXEFLOW_DIR_OUTBOUND);
	ef_kt_u64(test, a->f, EXEFLOW_F_FWD_PACKETS, 10);
	ef_kt_u64(test, a->f, EXEFLOW_F_FWD_BYTES, 1000);
	ef_kt_u64(test, a->f, EXEFLOW_F_REV_PACKETS, 8);
	ef_kt_u64(test, a->f, EXEFLOW_F_REV_BYTES, 5000);
	ef_kt_u8(test, a->f, EXEFLOW_F_FWD_TCP_FLAGS, r->f.tcp_flags[EF_FWD]);
	ef_kt_u8(test, a->f, EXEFLOW_F_REV_TCP_FLAGS, r->f.tcp_flags[EF_REV]);
	/* wall clock: the span is kept, and "last" is about now */
	if (a->f[EXEFLOW_F_FIRST_NS] && a->f[EXEFLOW_F_LAST_NS]) {
		first = nla_get_u64(a->f[EXEFLOW_F_FIRST_NS]);
		last = nla_get_u64(a->f[EXEFLOW_F_LAST_NS]);
		KUNIT_EXPECT_EQ(test, last - first, 30ULL * NSEC_PER_SEC);
		KUNIT_EXPECT_LE(test, last, ktime_get_coarse_real_ns());
		KUNIT_EXPECT_GT(test, last,
				ktime_get_coarse_real_ns() - 10ULL * NSEC_PER_SEC);
	} else {
		KUNIT_FAIL(test, "FIRST_NS/LAST_NS missing");
	}
	ef_kt_u32(test, a->f, EXEFLOW_F_IN_IFINDEX, 2);
	ef_kt_str(test, a->f, EXEFLOW_F_IN_IFNAME, "eth0");
	ef_kt_u32(test, a->f, EXEFLOW_F_OUT_IFINDEX, 3);
	ef_kt_str(test, a->f, EXEFLOW_F_OUT_IFNAME, "veth-long-name0");
	ef_kt_u8(test, a->f, EXEFLOW_F_END_REASON, EXEFLOW_END_FIN);
	ef_kt_u8(test, a->f, EXEFLOW_F_METHOD, EXEFLOW_M_TASK);
	ef_kt_u64(test, a->f, EXEFLOW_F_SOCK_COOKIE, 0x1122334455667788ULL);
	ef_kt_u32(test, a->f, EXEFLOW_F_SOCK_UID, 1000);
	ef_kt_absent(test, a->f, EXEFLOW_F_SOCK_CGROUP);

	ef_kt_u32(test, a->p, EXEFLOW_P_TGID, 1234);
	ef_kt_u32(test, a->p, EXEFLOW_P_PID, 1235);
	ef_kt_u32(test, a->p, EXEFLOW_P_PPID, 1);
	ef_kt_u32(test, a->p, EXEFLOW_P_SID, 1000);
	ef_kt_u32(test, a->p, EXEFLOW_P_PGID, 1001);
	ef_kt_u64(test, a->p, EXEFLOW_P_START_NS, 5ULL * NSEC_PER_SEC);
	ef_kt_u32(test, a->p, EXEFLOW_P_UID, 1000);
	ef_kt_u32(test, a->p, EXEFLOW_P_GID, 1001);
	ef_kt_u32(test, a->p, EXEFLOW_P_EUID, 0);
	ef_kt_u32(test, a->p, EXEFLOW_P_EGID, 0);
	ef_kt_str(test, a->p, EXEFLOW_P_COMM, "curl");
	ef_kt_u64(test, a->p, EXEFLOW_P_CGROUP_ID, 77);
	ef_kt_u32(test, a->p, EXEFLOW_P_PIDNS_INUM, 4026531836U);
	ef_kt_u32(test, a->p, EXEFLOW_P_FLAGS, EXEFLOW_PF_HAS_TTY |
		  EXEFLOW_PF_SESSION_LEADER | EXEFLOW_PF_EXE_KNOWN);
	ef_kt_str(test, a->p, EXEFLOW_P_EXE_PATH, "/usr/bin/curl");
	ef_kt_u32(test, a->p, EXEFLOW_P_EXE_MAJOR, 8);
	ef_kt_u32(test, a->p, EXEFLOW_P_EXE_MINOR, 1);
	ef_kt_u64(test, a->p, EXEFLOW_P_EXE_INO, 123456);
	ef_kt_u64(test, a->p, EXEFLOW_P_EXE_SIZE, 250000);
	ef_kt_u64(test, a->p, EXEFLOW_P_EXE_MTIME_NS,
		  1700000000ULL * NSEC_PER_SEC);

	/* records append: a second one parses as a second EXEFLOW_A_FLOW */
	KUNIT_EXPECT_EQ(test, ef_record_put(skb, &r->f, EXEFLOW_EV_END, 6), 0);
	KUNIT_EXPECT_EQ(test, ef_kt_parse(test, skb, 4, a), 0);
	KUNIT_EXPECT_EQ(test, a->records, 2U);
	ef_kt_u64(test, a->f, EXEFLOW_F_SEQ, 6);
	kfree_skb(skb);
}

/* IPv6 UDP without socket or owner: the optional attributes are absent. */
static void ef_kt_record_minimal(struct kunit *test)
{
	struct ef_kt_attrs *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct ef_flow *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct sk_buff *skb;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->key.family = AF_INET6;
	f->key.proto = IPPROTO_UDP;
	memset(ef_key_addr(&f->key, 0), 0x20, 16);
	memset(ef_key_addr(&f->key, 1), 0xfe, 16);
	f->key.port[0] = htons(53);
	f->key.port[1] = htons(5353);
	f->init_side = 0;
	f->direction = EXEFLOW_DIR_INBOUND;
	f->last = jiffies;	/* no packets: the period restarted */
	f->first = f->last - HZ;	/* stale: not used */
	f->flags = EF_FL_KERNEL;

	skb = ef_kt_encode(test, f, EXEFLOW_EV_LIVE, 0, a);
	ef_kt_u8(test, a->f, EXEFLOW_F_EVENT, EXEFLOW_EV_LIVE);
	ef_kt_u64(test, a->f, EXEFLOW_F_SEQ, 0);
	ef_kt_bin(test, a->f, EXEFLOW_F_SRC_ADDR, ef_key_addr(&f->key, 0), 16);
	ef_kt_bin(test, a->f, EXEFLOW_F_DST_ADDR, ef_key_addr(&f->key, 1), 16);
	ef_kt_u16(test, a->f, EXEFLOW_F_SRC_PORT, 53);
	ef_kt_u16(test, a->f, EXEFLOW_F_DST_PORT, 5353);
	ef_kt_u8(test, a->f, EXEFLOW_F_METHOD, EXEFLOW_M_KERNEL);
	ef_kt_u8(test, a->f, EXEFLOW_F_END_REASON, EXEFLOW_END_NONE);
	if (a->f[EXEFLOW_F_FIRST_NS] && a->f[EXEFLOW_F_LAST_NS])
		KUNIT_EXPECT_EQ(test, nla_get_u64(a->f[EXEFLOW_F_FIRST_NS]),
				nla_get_u64(a->f[EXEFLOW_F_LAST_NS]));
	ef_kt_absent(test, a->f, EXEFLOW_F_FWD_TCP_FLAGS);
	ef_kt_absent(test, a->f, EXEFLOW_F_REV_TCP_FLAGS);
	ef_kt_absent(test, a->f, EXEFLOW_F_ICMP_ID);
	ef_kt_absent(test, a->f, EXEFLOW_F_IN_IFINDEX);
	ef_kt_absent(test, a->f, EXEFLOW_F_IN_IFNAME);
	ef_kt_absent(test, a->f, EXEFLOW_F_OUT_IFINDEX);
	ef_kt_absent(test, a->f, EXEFLOW_F_OUT_IFNAME);
	ef_kt_absent(test, a->f, EXEFLOW_F_SOCK_COOKIE);
	ef_kt_absent(test, a->f, EXEFLOW_F_SOCK_UID);
	ef_kt_absent(test, a->f, EXEFLOW_F_SOCK_CGROUP);
	ef_kt_absent(test, a->f, EXEFLOW_F_PROC);
	kfree_skb(skb);
}

/*
 * The socket's credentials: its uid whenever known, its cgroup id only
 * without a process, whose own cgroup id is in EXEFLOW_F_PROC (and whose
 * pointer takes the socket cgroup's place in the flow).
 */
static void ef_kt_record_creds(struct kunit *test)
{
	struct ef_kt_rec *r = ef_kt_full(test);
	struct ef_kt_attrs *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct sk_buff *skb;

	KUNIT_ASSERT_NOT_NULL(test, a);
	skb = ef_kt_encode(test, &r->f, EXEFLOW_EV_END, 1, a);
	ef_kt_u8(test, a->f, EXEFLOW_F_METHOD, EXEFLOW_M_TASK);
	ef_kt_u32(test, a->f, EXEFLOW_F_SOCK_UID, 1000);
	ef_kt_absent(test, a->f, EXEFLOW_F_SOCK_CGROUP);
	ef_kt_u64(test, a->p, EXEFLOW_P_CGROUP_ID, 77);
	kfree_skb(skb);

	/* the same socket, its process never known */
	r->f.method = EXEFLOW_M_NONE;
	r->f.sock_cgroup = 88;
	skb = ef_kt_encode(test, &r->f, EXEFLOW_EV_END, 2, a);
	ef_kt_u8(test, a->f, EXEFLOW_F_METHOD, EXEFLOW_M_SOCKET_CREDS);
	ef_kt_u32(test, a->f, EXEFLOW_F_SOCK_UID, 1000);
	ef_kt_u64(test, a->f, EXEFLOW_F_SOCK_CGROUP, 88);
	ef_kt_absent(test, a->f, EXEFLOW_F_PROC);
	kfree_skb(skb);

	/* no credentials: neither */
	r->f.flags &= ~EF_FL_CREDS;
	skb = ef_kt_encode(test, &r->f, EXEFLOW_EV_END, 3, a);
	ef_kt_u8(test, a->f, EXEFLOW_F_METHOD, EXEFLOW_M_NONE);
	ef_kt_absent(test, a->f, EXEFLOW_F_SOCK_UID);
	ef_kt_absent(test, a->f, EXEFLOW_F_SOCK_CGROUP);
	kfree_skb(skb);
}

/*
 * Old times: a record encoded 2 h after its last packet, for a period of
 * 2^29 jiffies (the longest the scan lets a period grow). The ages pass
 * 2^32 microseconds: the conversion must not go through 32 bits.
 */
static void ef_kt_record_old_times(struct kunit *test)
{
	struct ef_kt_attrs *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct ef_flow *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	u64 first, last, now;
	struct sk_buff *skb;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->key.family = AF_INET;
	f->key.proto = IPPROTO_UDP;
	f->pkts[EF_FWD] = 1;
	f->last = jiffies - 7200 * HZ;
	f->first = f->last - (1U << 29);

	skb = ef_kt_encode(test, f, EXEFLOW_EV_END, 1, a);
	now = ktime_get_coarse_real_ns();
	if (a->f[EXEFLOW_F_FIRST_NS] && a->f[EXEFLOW_F_LAST_NS]) {
		first = nla_get_u64(a->f[EXEFLOW_F_FIRST_NS]);
		last = nla_get_u64(a->f[EXEFLOW_F_LAST_NS]);
		KUNIT_EXPECT_EQ(test, last - first, jiffies64_to_nsecs(1U << 29));
		KUNIT_EXPECT_LE(test, last, now - 7200ULL * NSEC_PER_SEC);
		KUNIT_EXPECT_GT(test, last, now - 7210ULL * NSEC_PER_SEC);
	} else {
		KUNIT_FAIL(test, "FIRST_NS/LAST_NS missing");
	}
	kfree_skb(skb);
}

/* ICMP: no ports; type/code in DST_PORT, the identifier in ICMP_ID. */
static void ef_kt_record_icmp(struct kunit *test)
{
	struct ef_kt_attrs *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct ef_flow *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct sk_buff *skb;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->key.family = AF_INET;
	f->key.proto = IPPROTO_ICMP;
	f->key.icmp_type = ICMP_ECHO;
	f->key.icmp_code = 0;
	f->key.icmp_id = htons(0x1234);
	*ef_key_addr(&f->key, 0) = htonl(0x0a000009);
	*ef_key_addr(&f->key, 1) = htonl(0x0a000001);
	f->last = jiffies;
	f->pkts[EF_FWD] = 1;
	f->first = f->last;

	skb = ef_kt_encode(test, f, EXEFLOW_EV_END, 1, a);
	ef_kt_u16(test, a->f, EXEFLOW_F_SRC_PORT, 0);
	ef_kt_u16(test, a->f, EXEFLOW_F_DST_PORT, ICMP_ECHO << 8);
	ef_kt_u16(test, a->f, EXEFLOW_F_ICMP_ID, 0x1234);
	ef_kt_bin(test, a->f, EXEFLOW_F_SRC_ADDR, ef_key_addr(&f->key, 0), 4);
	ef_kt_bin(test, a->f, EXEFLOW_F_DST_ADDR, ef_key_addr(&f->key, 1), 4);
	ef_kt_u8(test, a->f, EXEFLOW_F_METHOD, EXEFLOW_M_NONE);
	kfree_skb(skb);

	f->key.family = AF_INET6;
	f->key.proto = IPPROTO_ICMPV6;
	f->key.icmp_type = ICMPV6_DEST_UNREACH;
	f->key.icmp_code = ICMPV6_PORT_UNREACH;
	f->key.icmp_id = 0;
	skb = ef_kt_encode(test, f, EXEFLOW_EV_END, 2, a);
	ef_kt_u16(test, a->f, EXEFLOW_F_DST_PORT,
		  ICMPV6_DEST_UNREACH << 8 | ICMPV6_PORT_UNREACH);
	ef_kt_u16(test, a->f, EXEFLOW_F_ICMP_ID, 0);
	kfree_skb(skb);
}

/*
 * An owner whose exe is not resolved yet: the process without path and
 * exe identity, and without the resolver's flags.
 */
static void ef_kt_record_exe_pending(struct kunit *test)
{
	struct ef_kt_rec *r = ef_kt_full(test);
	struct ef_kt_attrs *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct sk_buff *skb;

	KUNIT_ASSERT_NOT_NULL(test, a);
	r->p.exe_state = EF_EXE_PENDING;
	skb = ef_kt_encode(test, &r->f, EXEFLOW_EV_NEW, 1, a);
	KUNIT_EXPECT_NOT_NULL(test, a->f[EXEFLOW_F_PROC]);
	ef_kt_u32(test, a->p, EXEFLOW_P_TGID, 1234);
	ef_kt_u32(test, a->p, EXEFLOW_P_FLAGS,
		  EXEFLOW_PF_HAS_TTY | EXEFLOW_PF_SESSION_LEADER);
	ef_kt_absent(test, a->p, EXEFLOW_P_EXE_PATH);
	ef_kt_absent(test, a->p, EXEFLOW_P_EXE_MAJOR);
	ef_kt_absent(test, a->p, EXEFLOW_P_EXE_INO);
	ef_kt_absent(test, a->p, EXEFLOW_P_EXE_MTIME_NS);
	kfree_skb(skb);

	/* resolution failed: identity flags are not set, so no EXE_* */
	r->p.exe_state = EF_EXE_FAILED;
	r->p.exe_flags = 0;
	skb = ef_kt_encode(test, &r->f, EXEFLOW_EV_NEW, 1, a);
	ef_kt_absent(test, a->p, EXEFLOW_P_EXE_PATH);
	ef_kt_absent(test, a->p, EXEFLOW_P_EXE_INO);
	kfree_skb(skb);
}

/*
 * With less room than the record needs, at every size: -EMSGSIZE and the
 * skb exactly as before (no partial nest left behind). With exactly the
 * room it needs, success.
 */
static void ef_kt_record_too_small(struct kunit *test)
{
	struct ef_kt_rec *r = ef_kt_full(test);
	unsigned int need, room, used;
	struct sk_buff *skb;
	u8 *tail;

	skb = alloc_skb(EF_RECORD_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, ef_record_put(skb, &r->f, EXEFLOW_EV_END, 1), 0);
	need = skb->len;
	kfree_skb(skb);
	KUNIT_EXPECT_GT(test, need, 200U);

	for (room = 0; room <= need; room++) {
		skb = alloc_skb(need + 64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		/* fill all but @room bytes of tailroom */
		used = skb_tailroom(skb) - room;
		skb_put_zero(skb, used);
		tail = skb_tail_pointer(skb);
		if (room < need) {
			KUNIT_EXPECT_EQ_MSG(test, ef_record_put(skb, &r->f,
								EXEFLOW_EV_END,
								1),
					    -EMSGSIZE, "room %u", room);
			KUNIT_EXPECT_EQ_MSG(test, skb->len, used, "room %u",
					    room);
			KUNIT_EXPECT_PTR_EQ(test, skb_tail_pointer(skb), tail);
		} else {
			KUNIT_EXPECT_EQ(test, ef_record_put(skb, &r->f,
							    EXEFLOW_EV_END, 1),
					0);
			KUNIT_EXPECT_EQ(test, skb->len, used + need);
		}
		kfree_skb(skb);
	}
}

/* EF_RECORD_MAX holds the largest record: longest path and names. */
static void ef_kt_record_max(struct kunit *test)
{
	struct ef_kt_rec *r = ef_kt_full(test);
	struct ef_kt_attrs *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct sk_buff *skb;
	unsigned int fill;

	KUNIT_ASSERT_NOT_NULL(test, a);
	r->f.key.family = AF_INET6;
	memset(r->path, 'x', PATH_MAX - 1);
	r->path[0] = '/';
	r->path[PATH_MAX - 1] = '\0';
	memset(r->p.comm, 'c', TASK_COMM_LEN - 1);
	r->f.in_ifindex = 12;
	ef_ifname_set(EF_KT_REC_NETNS, 12, "iiiiiiiiiiiiiii");
	r->f.out_ifindex = 13;
	ef_ifname_set(EF_KT_REC_NETNS, 13, "ooooooooooooooo");

	skb = alloc_skb(EF_RECORD_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	/* exactly EF_RECORD_MAX of room, whatever alloc_skb() rounded to */
	fill = skb_tailroom(skb) - EF_RECORD_MAX;
	skb_put_zero(skb, fill);
	KUNIT_EXPECT_EQ(test, ef_record_put(skb, &r->f, EXEFLOW_EV_END, 1), 0);
	KUNIT_EXPECT_EQ(test, ef_kt_parse(test, skb, fill, a), 0);
	ef_kt_str(test, a->p, EXEFLOW_P_EXE_PATH, r->path);
	kfree_skb(skb);
}

/*
 * Names are looked up at export: an unknown interface goes out by index
 * alone; an unregistered one keeps its name (its namespace's flows end
 * after its devices are gone), the latest ef_ifname_gone_max() of them.
 */
static void ef_kt_record_ifname(struct kunit *test)
{
	struct ef_kt_rec *r = ef_kt_full(test);
	struct ef_kt_attrs *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct sk_buff *skb;
	unsigned int i, n = ef_ifname_gone_max();

	KUNIT_ASSERT_NOT_NULL(test, a);
	r->f.in_ifindex = 20;		/* never named */
	r->f.out_ifindex = 21;
	ef_ifname_set(EF_KT_REC_NETNS, 21, "old0");
	ef_ifname_set(EF_KT_REC_NETNS, 21, "renamed0");
	ef_ifname_gone(EF_KT_REC_NETNS, 21);
	skb = ef_kt_encode(test, &r->f, EXEFLOW_EV_END, 1, a);
	ef_kt_u32(test, a->f, EXEFLOW_F_IN_IFINDEX, 20);
	ef_kt_absent(test, a->f, EXEFLOW_F_IN_IFNAME);
	ef_kt_u32(test, a->f, EXEFLOW_F_OUT_IFINDEX, 21);
	ef_kt_str(test, a->f, EXEFLOW_F_OUT_IFNAME, "renamed0");
	kfree_skb(skb);

	/* as many more devices go: the oldest gone name is forgotten */
	for (i = 0; i < n; i++) {
		ef_ifname_set(EF_KT_REC_NETNS, 1000 + i, "x");
		ef_ifname_gone(EF_KT_REC_NETNS, 1000 + i);
	}
	memset(a, 0, sizeof(*a));
	skb = ef_kt_encode(test, &r->f, EXEFLOW_EV_END, 2, a);
	ef_kt_u32(test, a->f, EXEFLOW_F_OUT_IFINDEX, 21);
	ef_kt_absent(test, a->f, EXEFLOW_F_OUT_IFNAME);
	kfree_skb(skb);
}

/*
 * A resolved process's attributes, encoded once (ef_record_proc_attrs(),
 * as the resolver does) and copied into every record, are the very bytes
 * a record encodes field by field, resolved or failed (where a u64 needs
 * no padding attribute wherever it lands, as on x86; elsewhere there are
 * none). A record of a process still pending does not use them.
 */
static void ef_kt_record_proc_attrs(struct kunit *test)
{
	static const int states[] = { EF_EXE_FAILED, EF_EXE_DONE };
	struct ef_kt_rec *r = ef_kt_full(test);
	struct ef_kt_attrs *a = kunit_kcalloc(test, 2, sizeof(*a), GFP_KERNEL);
	const struct nlattr *x, *y;
	struct sk_buff *live, *copy;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, a);
	if (!IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS)) {
		/* field by field only (record.c) */
		KUNIT_EXPECT_NULL(test, ef_record_proc_attrs(&r->p, EF_EXE_DONE,
							     &r->p.attrs_len));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(states); i++) {
		r->p.exe_state = states[i];
		r->p.exe_flags = states[i] == EF_EXE_DONE ?
				 EXEFLOW_PF_EXE_KNOWN : 0;
		r->p.exe_path = r->path;
		live = ef_kt_encode(test, &r->f, EXEFLOW_EV_END, 1, &a[0]);
		r->p.attrs = ef_record_proc_attrs(&r->p, states[i],
						  &r->p.attrs_len);
		KUNIT_ASSERT_NOT_NULL(test, r->p.attrs);
		r->p.exe_path = NULL;	/* as the resolver leaves it */
		copy = ef_kt_encode(test, &r->f, EXEFLOW_EV_END, 1, &a[1]);
		x = a[0].f[EXEFLOW_F_PROC];
		y = a[1].f[EXEFLOW_F_PROC];
		KUNIT_ASSERT_NOT_NULL(test, x);
		KUNIT_ASSERT_NOT_NULL(test, y);
		KUNIT_EXPECT_EQ(test, x->nla_type, y->nla_type);
		KUNIT_EXPECT_EQ(test, nla_len(x), nla_len(y));
		KUNIT_EXPECT_EQ(test, memcmp(nla_data(x), nla_data(y),
					     min(nla_len(x), nla_len(y))), 0);
		if (states[i] == EF_EXE_DONE)
			ef_kt_str(test, a[1].p, EXEFLOW_P_EXE_PATH,
				  "/usr/bin/curl");
		kfree_skb(live);
		kfree_skb(copy);
		if (states[i] == EF_EXE_DONE)
			break;
		kfree(r->p.attrs);
		r->p.attrs = NULL;
	}

	/* the resolved attributes, but the state says pending */
	r->p.exe_state = EF_EXE_PENDING;
	r->p.exe_path = r->path;
	copy = ef_kt_encode(test, &r->f, EXEFLOW_EV_NEW, 1, &a[1]);
	ef_kt_u32(test, a[1].p, EXEFLOW_P_FLAGS,
		  EXEFLOW_PF_HAS_TTY | EXEFLOW_PF_SESSION_LEADER);
	ef_kt_absent(test, a[1].p, EXEFLOW_P_EXE_PATH);
	kfree_skb(copy);
	kfree(r->p.attrs);
	r->p.attrs = NULL;
}

/* The same attributes through ef_wr_*() and through nla_put_*(). */
static void ef_kt_wr_sample(struct ef_wr *w)
{
	static const u8 a6[16] = { 0xfd, [15] = 1 }, a4[4] = { 10, 0, 0, 1 };
	unsigned long nest = ef_wr_nest(w, 7);

	ef_wr_u8(w, 1, 0xab);
	ef_wr_u16(w, 2, 0x1234);
	ef_wr_u64(w, 4, 0x0102030405060708ULL, 9);
	ef_wr_u32(w, 3, 0xdeadbeef);
	ef_wr_u64(w, 4, 42, 9);
	ef_wr_str(w, 5, "veth-long-name0");
	ef_wr_str(w, 6, "");
	ef_wr_attr(w, 8, a6, sizeof(a6));
	ef_wr_attr(w, 10, a4, sizeof(a4));
	ef_wr_nest_end(w, nest);
}

static void ef_kt_nla_sample(struct kunit *test, struct sk_buff *skb)
{
	static const u8 a6[16] = { 0xfd, [15] = 1 }, a4[4] = { 10, 0, 0, 1 };
	struct nlattr *nest = nla_nest_start(skb, 7);

	KUNIT_ASSERT_NOT_NULL(test, nest);
	KUNIT_ASSERT_EQ(test, nla_put_u8(skb, 1, 0xab) ||
			nla_put_u16(skb, 2, 0x1234) ||
			nla_put_u64_64bit(skb, 4, 0x0102030405060708ULL, 9) ||
			nla_put_u32(skb, 3, 0xdeadbeef) ||
			nla_put_u64_64bit(skb, 4, 42, 9) ||
			nla_put_string(skb, 5, "veth-long-name0") ||
			nla_put_string(skb, 6, "") ||
			nla_put(skb, 8, sizeof(a6), a6) ||
			nla_put(skb, 10, sizeof(a4), a4), 0);
	nla_nest_end(skb, nest);
}

/*
 * A record's writer (two passes: measure, then write in place) gives the
 * bytes nla_put_*() give, padding included, wherever the skb's tail is.
 */
static void ef_kt_record_writer(struct kunit *test)
{
	unsigned int off;

	for (off = 0; off < 16; off += 4) {
		struct sk_buff *a = alloc_skb(512, GFP_KERNEL);
		struct sk_buff *b = alloc_skb(512, GFP_KERNEL);
		struct ef_wr w;
		unsigned int len;

		KUNIT_ASSERT_NOT_NULL(test, a);
		KUNIT_ASSERT_NOT_NULL(test, b);
		memset(skb_put(a, off), 0x5a, off);
		memset(skb_put(b, off), 0x5a, off);
		/* what the writer must not touch: the room past its bytes */
		memset(skb_tail_pointer(b), 0xee, skb_tailroom(b));
		ef_kt_nla_sample(test, a);
		w.at = (unsigned long)skb_tail_pointer(b);
		w.write = false;
		ef_kt_wr_sample(&w);
		len = w.at - (unsigned long)skb_tail_pointer(b);
		KUNIT_EXPECT_EQ(test, len, a->len - off);
		w.at = (unsigned long)skb_put(b, len);
		w.write = true;
		ef_kt_wr_sample(&w);
		KUNIT_EXPECT_EQ(test, w.at, (unsigned long)skb_tail_pointer(b));
		KUNIT_EXPECT_EQ(test, a->len, b->len);
		KUNIT_EXPECT_EQ(test, memcmp(a->data, b->data,
					     min(a->len, b->len)), 0);
		KUNIT_EXPECT_EQ(test, *skb_tail_pointer(b), 0xee);
		kfree_skb(a);
		kfree_skb(b);
	}
}

static struct kunit_case ef_record_cases[] = {
	KUNIT_CASE(ef_kt_record_full),
	KUNIT_CASE(ef_kt_record_minimal),
	KUNIT_CASE(ef_kt_record_creds),
	KUNIT_CASE(ef_kt_record_old_times),
	KUNIT_CASE(ef_kt_record_icmp),
	KUNIT_CASE(ef_kt_record_exe_pending),
	KUNIT_CASE(ef_kt_record_too_small),
	KUNIT_CASE(ef_kt_record_max),
	KUNIT_CASE(ef_kt_record_ifname),
	KUNIT_CASE(ef_kt_record_proc_attrs),
	KUNIT_CASE(ef_kt_record_writer),
	{}
};

/* The names a test planted must not push the host's out of ifname.c */
static void ef_kt_record_exit(struct kunit *test)
{
	ef_ifname_forget(EF_KT_REC_NETNS);
}

struct kunit_suite ef_record_suite = {
	.name = "exeflow_record",
	.exit = ef_kt_record_exit,
	.test_cases = ef_record_cases,
};

#endif /* EF_HAVE_KUNIT_SUITES */
