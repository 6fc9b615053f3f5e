// SPDX-License-Identifier: GPL-2.0
/*
 * recparse (and nlclient, against a fake kernel at the end): messages are
 * built in memory with libnl the way the module builds them (PAD attributes
 * before 64-bit values, NLA_F_NESTED nests), then decoded. Malformed and random inputs are copied into buffers of
 * exactly their claimed size so that ASan catches any overread.
 */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "nlclient.h"
#include "recparse.h"

#define FAMILY_ID 0x22

static struct nl_msg *new_msg(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc_size(128 * 1024);

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(genlmsg_put(m, 0, 0, FAMILY_ID, 0, 0, cmd,
					  EXEFLOW_GENL_VERSION));
	return m;
}

/* Like nla_put_u64_64bit() in the kernel: a PAD may precede a u64. */
static void put_u64(struct nl_msg *m, int type, int pad, uint64_t v)
{
	ck_assert_int_eq(nla_put(m, pad, 0, NULL), 0);
	ck_assert_int_eq(nla_put_u64(m, type, v), 0);
}

static void put_str(struct nl_msg *m, int type, const char *s)
{
	if (*s)
		ck_assert_int_eq(nla_put_string(m, type, s), 0);
}

static void put_proc_attrs(struct nl_msg *m, const struct ef_proc *p)
{
	const int pad = EXEFLOW_P_PAD;

	nla_put_u32(m, EXEFLOW_P_TGID, p->tgid);
	nla_put_u32(m, EXEFLOW_P_PID, p->pid);
	nla_put_u32(m, EXEFLOW_P_PPID, p->ppid);
	nla_put_u32(m, EXEFLOW_P_SID, p->sid);
	nla_put_u32(m, EXEFLOW_P_PGID, p->pgid);
	put_u64(m, EXEFLOW_P_START_NS, pad, p->start_ns);
	nla_put_u32(m, EXEFLOW_P_UID, p->uid);
	nla_put_u32(m, EXEFLOW_P_GID, p->gid);
	nla_put_u32(m, EXEFLOW_P_EUID, p->euid);
	nla_put_u32(m, EXEFLOW_P_EGID, p->egid);
	put_str(m, EXEFLOW_P_COMM, p->comm);
	put_str(m, EXEFLOW_P_EXE_PATH, p->exe_path);
	nla_put_u32(m, EXEFLOW_P_EXE_MAJOR, p->exe_major);
	nla_put_u32(m, EXEFLOW_P_EXE_MINOR, p->exe_minor);
	put_u64(m, EXEFLOW_P_EXE_INO, pad, p->exe_ino);
	put_u64(m, EXEFLOW_P_EXE_SIZE, pad, p->exe_size);
	put_u64(m, EXEFLOW_P_EXE_MTIME_NS, pad, p->exe_mtime_ns);
	put_u64(m, EXEFLOW_P_CGROUP_ID, pad, p->cgroup_id);
	nla_put_u32(m, EXEFLOW_P_PIDNS_INUM, p->pidns_inum);
	nla_put_u32(m, EXEFLOW_P_FLAGS, p->flags);
}

#define OMIT(id) (1ull << (id))

/* Every flow attribute except PROC, skipping those in 'omit'. */
static void put_flow_attrs(struct nl_msg *m, const struct ef_record *r,
			   uint64_t omit)
{
	const int pad = EXEFLOW_F_PAD;
	int alen = r->family == AF_INET6 ? 16 : 4;

#define U(id, put) do { if (!(omit & OMIT(id))) put; } while (0)
	U(EXEFLOW_F_SEQ, put_u64(m, EXEFLOW_F_SEQ, pad, r->seq));
	U(EXEFLOW_F_EVENT, nla_put_u8(m, EXEFLOW_F_EVENT, r->event));
	U(EXEFLOW_F_FLOW_ID, put_u64(m, EXEFLOW_F_FLOW_ID, pad, r->flow_id));
	U(EXEFLOW_F_NETNS_ID, put_u64(m, EXEFLOW_F_NETNS_ID, pad, r->netns_id));
	U(EXEFLOW_F_FAMILY, nla_put_u8(m, EXEFLOW_F_FAMILY, r->family));
	U(EXEFLOW_F_PROTO, nla_put_u8(m, EXEFLOW_F_PROTO, r->proto));
	U(EXEFLOW_F_SRC_ADDR, nla_put(m, EXEFLOW_F_SRC_ADDR, alen, r->src));
	U(EXEFLOW_F_DST_ADDR, nla_put(m, EXEFLOW_F_DST_ADDR, alen, r->dst));
	U(EXEFLOW_F_SRC_PORT, nla_put_u16(m, EXEFLOW_F_SRC_PORT, r->sport));
	U(EXEFLOW_F_DST_PORT, nla_put_u16(m, EXEFLOW_F_DST_PORT, r->dport));
	U(EXEFLOW_F_ICMP_ID, nla_put_u16(m, EXEFLOW_F_ICMP_ID, r->icmp_id));
	U(EXEFLOW_F_DIRECTION, nla_put_u8(m, EXEFLOW_F_DIRECTION, r->direction));
	U(EXEFLOW_F_FWD_PACKETS,
	  put_u64(m, EXEFLOW_F_FWD_PACKETS, pad, r->fwd_packets));
	U(EXEFLOW_F_FWD_BYTES, put_u64(m, EXEFLOW_F_FWD_BYTES, pad, r->fwd_bytes));
	U(EXEFLOW_F_REV_PACKETS,
	  put_u64(m, EXEFLOW_F_REV_PACKETS, pad, r->rev_packets));
	U(EXEFLOW_F_REV_BYTES, put_u64(m, EXEFLOW_F_REV_BYTES, pad, r->rev_bytes));
	U(EXEFLOW_F_FWD_TCP_FLAGS,
	  nla_put_u8(m, EXEFLOW_F_FWD_TCP_FLAGS, r->fwd_tcp_flags));
	U(EXEFLOW_F_REV_TCP_FLAGS,
	  nla_put_u8(m, EXEFLOW_F_REV_TCP_FLAGS, r->rev_tcp_flags));
	U(EXEFLOW_F_FIRST_NS, put_u64(m, EXEFLOW_F_FIRST_NS, pad, r->first_ns));
	U(EXEFLOW_F_LAST_NS, put_u64(m, EXEFLOW_F_LAST_NS, pad, r->last_ns));
	U(EXEFLOW_F_IN_IFINDEX,
	  nla_put_u32(m, EXEFLOW_F_IN_IFINDEX, r->in_ifindex));
	U(EXEFLOW_F_OUT_IFINDEX,
	  nla_put_u32(m, EXEFLOW_F_OUT_IFINDEX, r->out_ifindex));
	U(EXEFLOW_F_END_REASON,
	  nla_put_u8(m, EXEFLOW_F_END_REASON, r->end_reason));
	U(EXEFLOW_F_METHOD, nla_put_u8(m, EXEFLOW_F_METHOD, r->method));
	U(EXEFLOW_F_SOCK_COOKIE,
	  put_u64(m, EXEFLOW_F_SOCK_COOKIE, pad, r->sock_cookie));
	if (r->has_sock_uid)
		U(EXEFLOW_F_SOCK_UID,
		  nla_put_u32(m, EXEFLOW_F_SOCK_UID, r->sock_uid));
	U(EXEFLOW_F_SOCK_CGROUP,
	  put_u64(m, EXEFLOW_F_SOCK_CGROUP, pad, r->sock_cgroup));
	U(EXEFLOW_F_IN_IFNAME, put_str(m, EXEFLOW_F_IN_IFNAME, r->in_ifname));
	U(EXEFLOW_F_OUT_IFNAME, put_str(m, EXEFLOW_F_OUT_IFNAME, r->out_ifname));
#undef U
}

/* Hooks for a test to append extra (malformed or unknown) attributes. */
typedef void (*extra_fn)(struct nl_msg *m, void *ctx);

static void put_flow_ex(struct nl_msg *m, const struct ef_record *r,
			uint64_t omit, extra_fn flow_extra, extra_fn proc_extra,
			void *ctx)
{
	struct nlattr *f = nla_nest_start(m, EXEFLOW_A_FLOW), *p;

	ck_assert_ptr_nonnull(f);
	put_flow_attrs(m, r, omit);
	if (r->proc.present) {
		p = nla_nest_start(m, EXEFLOW_F_PROC);
		ck_assert_ptr_nonnull(p);
		put_proc_attrs(m, &r->proc);
		if (proc_extra)
			proc_extra(m, ctx);
		nla_nest_end(m, p);
	}
	if (flow_extra)
		flow_extra(m, ctx);
	nla_nest_end(m, f);
}

static void put_flow(struct nl_msg *m, const struct ef_record *r)
{
	put_flow_ex(m, r, 0, NULL, NULL, NULL);
}

static void ref_v4(struct ef_record *r)
{
	static const uint8_t s[4] = { 10, 1, 2, 3 }, d[4] = { 192, 0, 2, 7 };

	memset(r, 0, sizeof(*r));
	r->seq = 0x0102030405060708ull;
	r->event = EXEFLOW_EV_END;
	r->flow_id = 0xf00000000000002aull;
	r->netns_id = 0x1100000000000003ull;
	r->family = AF_INET;
	r->proto = IPPROTO_TCP;
	memcpy(r->src, s, 4);
	memcpy(r->dst, d, 4);
	r->sport = 51234;
	r->dport = 443;
	r->icmp_id = 0x7777;
	r->direction = EXEFLOW_DIR_OUTBOUND;
	r->fwd_packets = 0x2200000000000011ull;
	r->fwd_bytes = 0x3300000000000022ull;
	r->rev_packets = 0x4400000000000033ull;
	r->rev_bytes = 0x5500000000000044ull;
	r->fwd_tcp_flags = 0x1b;
	r->rev_tcp_flags = 0x12;
	r->first_ns = 1700000000123456789ull;
	r->last_ns = 1700000009987654321ull;
	r->in_ifindex = 0x01000002;
	r->out_ifindex = 0x02000003;
	strcpy(r->in_ifname, "eth0");
	strcpy(r->out_ifname, "wlp0s20f3");
	r->end_reason = EXEFLOW_END_FIN;
	r->method = EXEFLOW_M_TASK;
	r->sock_cookie = 0x6600000000000055ull;
	r->sock_uid = 1000;
	r->has_sock_uid = true;
	r->sock_cgroup = 0x7700000000000066ull;
	r->proc.present = true;
	r->proc.tgid = 4242;
	r->proc.pid = 4243;
	r->proc.ppid = 4000;
	r->proc.sid = 3999;
	r->proc.pgid = 4001;
	r->proc.start_ns = 0x8800000000000077ull;
	r->proc.uid = 1001;
	r->proc.gid = 1002;
	r->proc.euid = 1003;
	r->proc.egid = 1004;
	strcpy(r->proc.comm, "curl");
	strcpy(r->proc.exe_path, "/usr/bin/curl");
	r->proc.exe_major = 8;
	r->proc.exe_minor = 1;
	r->proc.exe_ino = 0x9900000000000088ull;
	r->proc.exe_size = 0xaa00000000000099ull;
	r->proc.exe_mtime_ns = 0xbb000000000000aaull;
	r->proc.cgroup_id = 0xcc000000000000bbull;
	r->proc.pidns_inum = 4026531836u;
	r->proc.flags = EXEFLOW_PF_HAS_TTY | EXEFLOW_PF_FOREGROUND |
			EXEFLOW_PF_EXE_KNOWN;
}

static void ref_v6(struct ef_record *r)
{
	static const uint8_t s[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t d[16] = { 0xfe, 0x80, [8] = 0xaa, [15] = 0xbb };

	ref_v4(r);
	r->family = AF_INET6;
	r->proto = IPPROTO_UDP;
	memcpy(r->src, s, 16);
	memcpy(r->dst, d, 16);
	r->direction = EXEFLOW_DIR_INBOUND;
	r->method = EXEFLOW_M_ACCEPT;
}

static const struct nlattr *first_flow(struct nl_msg *m)
{
	const struct nlattr *a = nlmsg_find_attr(nlmsg_hdr(m), GENL_HDRLEN,
						 EXEFLOW_A_FLOW);

	ck_assert_ptr_nonnull(a);
	return a;
}

/* Parse the message's first FLOW; returns the parser's result. */
static int parse_first(struct nl_msg *m, struct ef_record *out,
		       struct ef_perr *e)
{
	return ef_parse_flow_ex(first_flow(m), out, e);
}

static void assert_same(const struct ef_record *a, const struct ef_record *b)
{
	ck_assert_uint_eq(a->seq, b->seq);
	ck_assert_uint_eq(a->flow_id, b->flow_id);
	ck_assert_uint_eq(a->family, b->family);
	ck_assert_mem_eq(a->src, b->src, 16);
	ck_assert_mem_eq(a->dst, b->dst, 16);
	ck_assert_uint_eq(a->sport, b->sport);
	ck_assert_uint_eq(a->dport, b->dport);
	ck_assert_uint_eq(a->rev_bytes, b->rev_bytes);
	ck_assert_str_eq(a->in_ifname, b->in_ifname);
	ck_assert_str_eq(a->out_ifname, b->out_ifname);
	ck_assert_int_eq(a->proc.present, b->proc.present);
	ck_assert_str_eq(a->proc.comm, b->proc.comm);
	ck_assert_str_eq(a->proc.exe_path, b->proc.exe_path);
	ck_assert_uint_eq(a->proc.exe_mtime_ns, b->proc.exe_mtime_ns);
	/* Both sides start from memset(0), so this covers every field. */
	ck_assert_mem_eq(a, b, sizeof(*a));
}

static void roundtrip(void (*ref)(struct ef_record *))
{
	struct ef_record want, got;
	struct ef_perr e;
	struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);

	ref(&want);
	put_flow(m, &want);
	ck_assert_int_eq(parse_first(m, &got, &e), 0);
	assert_same(&got, &want);
	nlmsg_free(m);
}

START_TEST(test_roundtrip_v4)
{
	roundtrip(ref_v4);
}
END_TEST

START_TEST(test_roundtrip_v6)
{
	roundtrip(ref_v6);
}
END_TEST

START_TEST(test_proc_absent)
{
	struct ef_record want, got;
	struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);

	ref_v4(&want);
	memset(&want.proc, 0, sizeof(want.proc));
	want.method = EXEFLOW_M_SOCKET_CREDS;
	put_flow(m, &want);
	/* Stale data in the output must not survive. */
	memset(&got, 0x5a, sizeof(got));
	ck_assert_int_eq(ef_parse_flow(first_flow(m), &got), 0);
	ck_assert(!got.proc.present);
	ck_assert_str_eq(got.proc.exe_path, "");
	ck_assert_str_eq(got.proc.comm, "");
	assert_same(&got, &want);
	nlmsg_free(m);
}
END_TEST

START_TEST(test_minimal_record)
{
	struct ef_record want, got;
	struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);
	struct nlattr *f;

	/* Only the required attributes: everything else reads as 0 / "". */
	ref_v4(&want);
	f = nla_nest_start(m, EXEFLOW_A_FLOW);
	nla_put_u8(m, EXEFLOW_F_EVENT, EXEFLOW_EV_NEW);
	put_u64(m, EXEFLOW_F_FLOW_ID, EXEFLOW_F_PAD, 7);
	nla_put_u8(m, EXEFLOW_F_FAMILY, AF_INET);
	nla_put_u8(m, EXEFLOW_F_PROTO, IPPROTO_ICMP);
	nla_put(m, EXEFLOW_F_SRC_ADDR, 4, want.src);
	nla_put(m, EXEFLOW_F_DST_ADDR, 4, want.dst);
	nla_nest_end(m, f);
	ck_assert_int_eq(ef_parse_flow(first_flow(m), &got), 0);
	ck_assert_uint_eq(got.flow_id, 7);
	ck_assert_uint_eq(got.event, EXEFLOW_EV_NEW);
	ck_assert(!got.has_sock_uid);
	ck_assert(!got.proc.present);
	ck_assert_uint_eq(got.fwd_bytes, 0);
	ck_assert_str_eq(got.in_ifname, "");
	nlmsg_free(m);
}
END_TEST

START_TEST(test_proc_without_exe)
{
	struct ef_record want, got;
	struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);

	ref_v4(&want);
	memset(want.proc.exe_path, 0, sizeof(want.proc.exe_path));
	want.proc.flags = EXEFLOW_PF_KTHREAD;
	put_flow(m, &want);
	ck_assert_int_eq(ef_parse_flow(first_flow(m), &got), 0);
	ck_assert(got.proc.present);
	ck_assert_str_eq(got.proc.exe_path, "");
	assert_same(&got, &want);
	nlmsg_free(m);
}
END_TEST

static void keep_cb(const struct ef_record *r, void *arg)
{
	memcpy(arg, r, sizeof(*r));
}

static void put_unknown(struct nl_msg *m, void *ctx)
{
	static const uint8_t junk[37] = { 1, 2, 3 };
	int base = *(int *)ctx;

	/* Ids past the known maximum, with lengths no known type has. */
	nla_put(m, base + 1, sizeof(junk), junk);
	nla_put(m, base + 2, 0, NULL);
	nla_put(m, 200, 3, junk);
	nla_put(m, 0, 5, junk);	/* UNSPEC */
}

START_TEST(test_unknown_ignored)
{
	struct ef_record want, got;
	struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);
	int fmax = EXEFLOW_F_MAX, pmax = EXEFLOW_P_MAX;
	struct nlattr *n;
	unsigned int bad = 0;

	/* An unknown top-level attribute, nested even, before the flow. */
	n = nla_nest_start(m, EXEFLOW_A_MAX + 3);
	nla_put_u32(m, 1, 99);
	nla_nest_end(m, n);
	ref_v6(&want);
	put_flow_ex(m, &want, 0, put_unknown, NULL, &fmax);
	ck_assert_int_eq(ef_parse_flow(first_flow(m), &got), 0);
	assert_same(&got, &want);
	nlmsg_free(m);

	memset(&got, 0, sizeof(got));
	m = new_msg(EXEFLOW_CMD_RECORDS);
	n = nla_nest_start(m, EXEFLOW_A_MAX + 3);
	nla_put_u32(m, 1, 99);
	nla_nest_end(m, n);
	put_flow_ex(m, &want, 0, NULL, put_unknown, &pmax);
	ck_assert_int_eq(ef_parse_flow(first_flow(m), &got), 0);
	assert_same(&got, &want);
	/* ... and the unknown top-level attribute is skipped too. */
	ck_assert_int_eq(ef_parse_records_msg(nlmsg_hdr(m), keep_cb, &got,
					      &bad), 1);
	ck_assert_uint_eq(bad, 0);
	assert_same(&got, &want);
	nlmsg_free(m);
}
END_TEST

struct fixed {
	int id;
	int len;
};

static const struct fixed flow_fixed[] = {
	{ EXEFLOW_F_SEQ, 8 }, { EXEFLOW_F_EVENT, 1 }, { EXEFLOW_F_FLOW_ID, 8 },
	{ EXEFLOW_F_NETNS_ID, 8 }, { EXEFLOW_F_FAMILY, 1 },
	{ EXEFLOW_F_PROTO, 1 }, { EXEFLOW_F_SRC_PORT, 2 },
	{ EXEFLOW_F_DST_PORT, 2 }, { EXEFLOW_F_ICMP_ID, 2 },
	{ EXEFLOW_F_DIRECTION, 1 }, { EXEFLOW_F_FWD_PACKETS, 8 },
	{ EXEFLOW_F_FWD_BYTES, 8 }, { EXEFLOW_F_REV_PACKETS, 8 },
	{ EXEFLOW_F_REV_BYTES, 8 }, { EXEFLOW_F_FWD_TCP_FLAGS, 1 },
	{ EXEFLOW_F_REV_TCP_FLAGS, 1 }, { EXEFLOW_F_FIRST_NS, 8 },
	{ EXEFLOW_F_LAST_NS, 8 }, { EXEFLOW_F_IN_IFINDEX, 4 },
	{ EXEFLOW_F_OUT_IFINDEX, 4 }, { EXEFLOW_F_END_REASON, 1 },
	{ EXEFLOW_F_METHOD, 1 }, { EXEFLOW_F_SOCK_COOKIE, 8 },
	{ EXEFLOW_F_SOCK_UID, 4 }, { EXEFLOW_F_SOCK_CGROUP, 8 },
};

static const struct fixed proc_fixed[] = {
	{ EXEFLOW_P_TGID, 4 }, { EXEFLOW_P_PID, 4 }, { EXEFLOW_P_PPID, 4 },
	{ EXEFLOW_P_SID, 4 }, { EXEFLOW_P_PGID, 4 },
	{ EXEFLOW_P_START_NS, 8 }, { EXEFLOW_P_UID, 4 }, { EXEFLOW_P_GID, 4 },
	{ EXEFLOW_P_EUID, 4 }, { EXEFLOW_P_EGID, 4 },
	{ EXEFLOW_P_EXE_MAJOR, 4 }, { EXEFLOW_P_EXE_MINOR, 4 },
	{ EXEFLOW_P_EXE_INO, 8 }, { EXEFLOW_P_EXE_SIZE, 8 },
	{ EXEFLOW_P_EXE_MTIME_NS, 8 }, { EXEFLOW_P_CGROUP_ID, 8 },
	{ EXEFLOW_P_PIDNS_INUM, 4 }, { EXEFLOW_P_FLAGS, 4 },
};

struct raw {
	int id;
	int len;
	const void *data;
};

static void put_raw(struct nl_msg *m, void *ctx)
{
	const struct raw *r = ctx;

	ck_assert_int_eq(nla_put(m, r->id, r->len, r->data), 0);
}

/* A record whose FLOW (or PROC) also holds 'raw' must be rejected. */
static void expect_reject(const struct raw *raw, bool in_proc,
			  uint64_t omit, int want_attr, int want_proc_attr)
{
	struct ef_record rec, got;
	struct ef_perr e;
	struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);

	ref_v4(&rec);
	put_flow_ex(m, &rec, omit, in_proc ? NULL : put_raw,
		    in_proc ? put_raw : NULL, (void *)raw);
	ck_assert_int_eq(parse_first(m, &got, &e), -EINVAL);
	ck_assert_ptr_nonnull(e.why);
	if (want_attr >= 0)
		ck_assert_int_eq(e.attr, want_attr);
	if (want_proc_attr >= 0)
		ck_assert_int_eq(e.proc_attr, want_proc_attr);
	nlmsg_free(m);
}

START_TEST(test_wrong_lengths)
{
	static const uint8_t zeros[32];
	const int deltas[] = { -1, +1, +4, +8 };
	size_t i, j;

	for (i = 0; i < sizeof(flow_fixed) / sizeof(flow_fixed[0]); i++) {
		for (j = 0; j < sizeof(deltas) / sizeof(deltas[0]); j++) {
			struct raw r = { flow_fixed[i].id,
					 flow_fixed[i].len + deltas[j], zeros };

			expect_reject(&r, false, 0, r.id, -1);
		}
	}
	for (i = 0; i < sizeof(proc_fixed) / sizeof(proc_fixed[0]); i++) {
		for (j = 0; j < sizeof(deltas) / sizeof(deltas[0]); j++) {
			struct raw r = { proc_fixed[i].id,
					 proc_fixed[i].len + deltas[j], zeros };

			expect_reject(&r, true, 0, EXEFLOW_F_PROC, r.id);
		}
	}
}
END_TEST

START_TEST(test_addresses)
{
	static const uint8_t a16[16], a5[5];
	struct raw r;
	struct ef_record rec, got;
	struct nl_msg *m;

	/* v4 family with a 16-byte address */
	r = (struct raw){ EXEFLOW_F_SRC_ADDR, 16, a16 };
	expect_reject(&r, false, 0, 0, -1);
	r = (struct raw){ EXEFLOW_F_DST_ADDR, 16, a16 };
	expect_reject(&r, false, 0, 0, -1);
	/* neither 4 nor 16 */
	r = (struct raw){ EXEFLOW_F_DST_ADDR, 5, a5 };
	expect_reject(&r, false, 0, EXEFLOW_F_DST_ADDR, -1);
	r = (struct raw){ EXEFLOW_F_SRC_ADDR, 0, NULL };
	expect_reject(&r, false, 0, EXEFLOW_F_SRC_ADDR, -1);
	/* a family we do not know */
	r = (struct raw){ EXEFLOW_F_FAMILY, 1, &(uint8_t){ AF_UNIX } };
	expect_reject(&r, false, 0, EXEFLOW_F_FAMILY, -1);

	/* v6 family with 4-byte addresses */
	ref_v6(&rec);
	rec.family = AF_INET;		/* makes the writer emit 4 bytes */
	m = new_msg(EXEFLOW_CMD_RECORDS);
	put_flow_ex(m, &rec, OMIT(EXEFLOW_F_FAMILY), put_raw, NULL,
		    &(struct raw){ EXEFLOW_F_FAMILY, 1,
				   &(uint8_t){ AF_INET6 } });
	ck_assert_int_eq(ef_parse_flow(first_flow(m), &got), -EINVAL);
	nlmsg_free(m);
}
END_TEST

START_TEST(test_required)
{
	const int req[] = { EXEFLOW_F_EVENT, EXEFLOW_F_FLOW_ID,
			    EXEFLOW_F_FAMILY, EXEFLOW_F_PROTO,
			    EXEFLOW_F_SRC_ADDR, EXEFLOW_F_DST_ADDR };
	struct ef_record rec, got;
	struct ef_perr e;
	size_t i;

	ref_v4(&rec);
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);

		put_flow_ex(m, &rec, OMIT(req[i]), NULL, NULL, NULL);
		ck_assert_int_eq(parse_first(m, &got, &e), -EINVAL);
		ck_assert_str_eq(e.why, "required attribute missing");
		nlmsg_free(m);
	}
	/* Optional ones can go. */
	{
		struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);

		put_flow_ex(m, &rec, OMIT(EXEFLOW_F_SEQ) |
			    OMIT(EXEFLOW_F_SOCK_UID) | OMIT(EXEFLOW_F_IN_IFNAME),
			    NULL, NULL, NULL);
		ck_assert_int_eq(parse_first(m, &got, &e), 0);
		ck_assert(!got.has_sock_uid);
		ck_assert_str_eq(got.in_ifname, "");
		ck_assert_uint_eq(got.seq, 0);
		nlmsg_free(m);
	}
}
END_TEST

static int parse_with_comm(const void *data, int len, struct ef_record *got)
{
	struct ef_record rec;
	struct ef_perr e;
	struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);
	int err;

	ref_v4(&rec);
	rec.proc.comm[0] = '\0';
	put_flow_ex(m, &rec, 0, NULL, put_raw,
		    &(struct raw){ EXEFLOW_P_COMM, len, data });
	err = parse_first(m, got, &e);
	nlmsg_free(m);
	return err;
}

START_TEST(test_strings)
{
	static char path[EF_PATH_LEN + 8];
	struct ef_record rec, got;
	struct nl_msg *m;

	ck_assert_int_eq(parse_with_comm("abc", 3, &got), -EINVAL);	/* no NUL */
	ck_assert_int_eq(parse_with_comm("", 0, &got), -EINVAL);
	ck_assert_int_eq(parse_with_comm("abc\0", 4, &got), 0);
	ck_assert_str_eq(got.proc.comm, "abc");
	/* Bytes after the NUL are padding, not part of the name. */
	ck_assert_int_eq(parse_with_comm("ab\0cd\0", 6, &got), 0);
	ck_assert_str_eq(got.proc.comm, "ab");
	/* A longer comm (a future kernel) is truncated, not fatal. */
	ck_assert_int_eq(parse_with_comm("0123456789abcdefghijklmnop", 27,
					 &got), 0);
	ck_assert_str_eq(got.proc.comm, "0123456789abcdef");
	ck_assert_int_eq(parse_with_comm("0123456789abcdef", 17, &got), 0);
	ck_assert_str_eq(got.proc.comm, "0123456789abcdef");

	/* Longest path that fits; one more character is rejected. */
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[EF_PATH_LEN - 1] = '\0';
	ref_v4(&rec);
	memcpy(rec.proc.exe_path, path, EF_PATH_LEN);
	m = new_msg(EXEFLOW_CMD_RECORDS);
	put_flow(m, &rec);
	ck_assert_int_eq(ef_parse_flow(first_flow(m), &got), 0);
	ck_assert_uint_eq(strlen(got.proc.exe_path), EF_PATH_LEN - 1);
	nlmsg_free(m);

	path[EF_PATH_LEN - 1] = 'p';
	path[EF_PATH_LEN] = '\0';
	expect_reject(&(struct raw){ EXEFLOW_P_EXE_PATH, EF_PATH_LEN + 1,
				     path }, true, 0, EXEFLOW_F_PROC,
		      EXEFLOW_P_EXE_PATH);

	/* Interface names: truncated like comm. */
	ref_v4(&rec);
	rec.in_ifname[0] = '\0';
	m = new_msg(EXEFLOW_CMD_RECORDS);
	put_flow_ex(m, &rec, 0, put_raw, NULL,
		    &(struct raw){ EXEFLOW_F_IN_IFNAME, 21,
				   "abcdefghijklmnopqrst" });
	ck_assert_int_eq(ef_parse_flow(first_flow(m), &got), 0);
	ck_assert_str_eq(got.in_ifname, "abcdefghijklmnop");
	nlmsg_free(m);
	expect_reject(&(struct raw){ EXEFLOW_F_OUT_IFNAME, 3, "eth" }, false,
		      0, EXEFLOW_F_OUT_IFNAME, -1);
}
END_TEST

/* Copy attribute 'a' into a heap block of exactly 'len' bytes, claiming
 * that length, so any read past it trips ASan. */
static struct nlattr *exact_copy(const struct nlattr *a, int len)
{
	struct nlattr *c = malloc((size_t)len);

	ck_assert_ptr_nonnull(c);
	memcpy(c, a, (size_t)len);
	c->nla_len = (uint16_t)len;
	return c;
}

START_TEST(test_truncated)
{
	struct ef_record rec, got;
	struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);
	const struct nlattr *f, *a;
	char boundary[4096] = { 0 };
	int len, cut, rem, off;

	ref_v6(&rec);
	put_flow(m, &rec);
	f = first_flow(m);
	len = f->nla_len;
	ck_assert_int_lt(len, (int)sizeof(boundary));
	/* Acceptable ends: after an attribute, with or without (some of)
	 * its alignment padding. */
	nla_for_each_nested(a, f, rem) {
		off = (int)((const char *)a - (const char *)f);
		for (cut = off + a->nla_len; cut <= off + NLA_ALIGN(a->nla_len);
		     cut++)
			boundary[cut] = 1;
	}

	for (cut = NLA_HDRLEN; cut < len; cut++) {
		struct nlattr *c = exact_copy(f, cut);
		int err = ef_parse_flow(c, &got);

		/* Cut inside an attribute (the PROC nest is the last one,
		 * so this also covers cuts inside it): always rejected. */
		if (!boundary[cut])
			ck_assert_msg(err == -EINVAL, "cut at %d accepted", cut);
		free(c);
	}
	nlmsg_free(m);
}
END_TEST

static void count_cb(const struct ef_record *r, void *arg)
{
	uint64_t *sum = arg;

	*sum += r->flow_id;
}

START_TEST(test_records_msg)
{
	struct ef_record rec;
	struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);
	unsigned int bad = 0;
	uint64_t sum = 0;
	struct nlmsghdr *nlh;

	ref_v4(&rec);
	rec.flow_id = 1;
	put_flow(m, &rec);
	rec.flow_id = 10;	/* this one loses its FLOW_ID */
	put_flow_ex(m, &rec, OMIT(EXEFLOW_F_FLOW_ID), NULL, NULL, NULL);
	ref_v6(&rec);
	rec.flow_id = 100;
	put_flow(m, &rec);
	nla_put_u32(m, EXEFLOW_A_VERSION, 1);	/* not a FLOW: skipped */

	nlh = nlmsg_hdr(m);
	ck_assert_int_eq(ef_parse_records_msg(nlh, count_cb, &sum, &bad), 2);
	ck_assert_uint_eq(sum, 101);
	ck_assert_uint_eq(bad, 1);

	/* No room for the genl header. */
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	ck_assert_int_eq(ef_parse_records_msg(nlh, count_cb, &sum, &bad),
			 -EINVAL);
	nlmsg_free(m);
}
END_TEST

static struct nl_msg *stats_msg(bool version, bool stats, int bad_len)
{
	struct nl_msg *m = new_msg(EXEFLOW_CMD_GET_STATS);
	struct nlattr *n;
	unsigned int i;

	if (version)
		nla_put_u32(m, EXEFLOW_A_VERSION, EXEFLOW_GENL_VERSION);
	nla_put_u32(m, EXEFLOW_A_LISTENER, 0x12345);
	if (stats) {
		n = nla_nest_start(m, EXEFLOW_A_STATS);
		for (i = EXEFLOW_S_PACKETS; i <= EXEFLOW_S_MAX; i++)
			put_u64(m, (int)i, EXEFLOW_S_PAD,
				(uint64_t)i << 40 | i);
		put_u64(m, EXEFLOW_S_MAX + 5, EXEFLOW_S_PAD, 77);
		if (bad_len)
			nla_put(m, EXEFLOW_S_BACKLOG, bad_len, "xxxxxxxxxxxx");
		nla_nest_end(m, n);
	}
	return m;
}

START_TEST(test_stats)
{
	struct ef_stats st;
	struct nl_msg *m = stats_msg(true, true, 0);
	unsigned int i;

	ck_assert_int_eq(ef_parse_stats_msg(nlmsg_hdr(m), &st), 0);
	ck_assert_uint_eq(st.version, EXEFLOW_GENL_VERSION);
	ck_assert_uint_eq(st.listener, 0x12345);
	ck_assert(!st.has[EXEFLOW_S_UNSPEC] && !st.has[EXEFLOW_S_PAD]);
	for (i = EXEFLOW_S_PACKETS; i <= EXEFLOW_S_MAX; i++) {
		ck_assert(st.has[i]);
		ck_assert_uint_eq(st.counter[i], (uint64_t)i << 40 | i);
	}
	nlmsg_free(m);

	m = stats_msg(true, true, 4);
	ck_assert_int_eq(ef_parse_stats_msg(nlmsg_hdr(m), &st), -EINVAL);
	nlmsg_free(m);
	m = stats_msg(false, true, 0);
	ck_assert_int_eq(ef_parse_stats_msg(nlmsg_hdr(m), &st), -EINVAL);
	nlmsg_free(m);
	m = stats_msg(true, false, 0);
	ck_assert_int_eq(ef_parse_stats_msg(nlmsg_hdr(m), &st), -EINVAL);
	nlmsg_free(m);
}
END_TEST

START_TEST(test_names)
{
	unsigned int i;

	ck_assert_str_eq(ef_method_name(EXEFLOW_M_TASK), "task");
	ck_assert_str_eq(ef_method_name(EXEFLOW_M_ACCEPT), "accept");
	ck_assert_str_eq(ef_method_name(EXEFLOW_M_SOCKET), "socket");
	ck_assert_str_eq(ef_method_name(EXEFLOW_M_SOCKET_CREDS),
			 "socket-creds");
	ck_assert_str_eq(ef_method_name(EXEFLOW_M_KERNEL), "kernel");
	ck_assert_str_eq(ef_method_name(EXEFLOW_M_NONE), "none");
	ck_assert_str_eq(ef_method_name(__EXEFLOW_M_MAX), "unknown");
	ck_assert_str_eq(ef_method_name(255), "unknown");
	ck_assert_str_eq(ef_event_name(EXEFLOW_EV_LIVE), "live");
	ck_assert_str_eq(ef_event_name(9), "unknown");
	ck_assert_str_eq(ef_end_reason_name(EXEFLOW_END_EVICTED), "evicted");
	ck_assert_str_eq(ef_end_reason_name(EXEFLOW_END_IDLE), "idle");
	ck_assert_str_eq(ef_direction_name(EXEFLOW_DIR_INBOUND), "inbound");
	ck_assert_str_eq(ef_proto_name(IPPROTO_TCP), "tcp");
	ck_assert_ptr_null(ef_proto_name(253));
	ck_assert_ptr_null(ef_stat_name(EXEFLOW_S_UNSPEC));
	ck_assert_ptr_null(ef_stat_name(EXEFLOW_S_PAD));
	ck_assert_ptr_null(ef_stat_name(EXEFLOW_S_MAX + 1));
	/* Every counter has a name, so exeflowctl shows all of them. */
	for (i = EXEFLOW_S_PACKETS; i <= EXEFLOW_S_MAX; i++)
		ck_assert_ptr_nonnull(ef_stat_name(i));
	ck_assert(ef_stat_is_drop(EXEFLOW_S_DROP_BACKLOG));
	ck_assert(!ef_stat_is_drop(EXEFLOW_S_PACKETS));
	ck_assert(ef_stat_is_gauge(EXEFLOW_S_BACKLOG));
}
END_TEST

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void mutate(uint8_t *p, int len)
{
	int n = 1 + (int)(rnd() % 8), i, at;

	for (i = 0; i < n; i++) {
		at = (int)(rnd() % (uint64_t)len);
		switch (rnd() % 4) {
		case 0: p[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
		case 1: p[at] = (uint8_t)rnd(); break;
		case 2: p[at] = 0; break;
		/* attribute lengths are the interesting bytes */
		default: p[at & ~3] = (uint8_t)(rnd() % 40); break;
		}
	}
}

static void ignore_cb(const struct ef_record *r, void *arg)
{
	(void)r;
	(void)arg;
}

START_TEST(test_fuzz)
{
	struct ef_record rec, got;
	struct nl_msg *m = new_msg(EXEFLOW_CMD_RECORDS);
	const struct nlattr *f;
	struct nlmsghdr *nlh;
	uint8_t *buf;
	unsigned int bad;
	int i, len, mlen, ok = 0;

	ref_v6(&rec);
	put_flow(m, &rec);
	ref_v4(&rec);
	put_flow(m, &rec);
	f = first_flow(m);
	nlh = nlmsg_hdr(m);
	mlen = (int)nlh->nlmsg_len;

	for (i = 0; i < 20000; i++) {
		/* One mutated FLOW, possibly cut short. */
		len = f->nla_len;
		if (rnd() % 4 == 0)
			len = NLA_HDRLEN + (int)(rnd() % (uint64_t)(len - 3));
		buf = (uint8_t *)exact_copy(f, len);
		if (len > NLA_HDRLEN)
			mutate(buf + NLA_HDRLEN, len - NLA_HDRLEN);
		((struct nlattr *)buf)->nla_len = (uint16_t)len;
		ok += ef_parse_flow((struct nlattr *)buf, &got) == 0;
		free(buf);

		/* Pure noise behind a well-formed nest header. */
		len = NLA_HDRLEN + (int)(rnd() % 256);
		buf = malloc((size_t)len);
		ck_assert_ptr_nonnull(buf);
		for (int j = 0; j < len; j++)
			buf[j] = (uint8_t)rnd();
		((struct nlattr *)buf)->nla_len = (uint16_t)len;
		ef_parse_flow((struct nlattr *)buf, &got);
		free(buf);

		/* A mutated whole message, genl header included. */
		len = mlen - (int)(rnd() % 64);
		buf = malloc((size_t)len);
		ck_assert_ptr_nonnull(buf);
		memcpy(buf, nlh, (size_t)len);
		mutate(buf + NLMSG_HDRLEN, len - NLMSG_HDRLEN);
		((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)len;
		bad = 0;
		ef_parse_records_msg((struct nlmsghdr *)buf, ignore_cb, NULL,
				     &bad);
		{
			struct ef_stats st;

			ef_parse_stats_msg((struct nlmsghdr *)buf, &st);
		}
		free(buf);
	}
	/* Sanity: mutations in values (not lengths) often still parse. */
	ck_assert_int_gt(ok, 0);
	nlmsg_free(m);
}
END_TEST


/* ---- nlclient against a scripted fake kernel --------------------------
 * libnl lets a socket's send and recv be overridden; the fake answers each
 * request by queueing datagrams exactly as the module would, which lets us
 * check the request/ACK bookkeeping, records racing a REGISTER reply, dump
 * endings and overruns without a kernel. */

#define FQ 32

struct fake_sock {
	struct nl_sock *sk;
	struct {
		unsigned char *p;
		int len;	/* -1: an ENOBUFS from recvmsg */
	} q[FQ];
	unsigned int head, tail;
};

static struct fake_sock fk_cmd, fk_ev;
static void (*script)(struct fake_sock *fs, struct nlmsghdr *req);
static int fake_mode;
static unsigned int requests;

static struct fake_sock *fake_of(struct nl_sock *sk)
{
	return sk == fk_ev.sk ? &fk_ev : &fk_cmd;
}

static bool fake_empty(const struct fake_sock *fs)
{
	return fs->head == fs->tail;
}

/* Datagram under construction: messages appended back to back. */
struct dgram {
	unsigned char *p;
	int len;
};

static void dg_add(struct dgram *d, struct nl_msg *m)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	int n = NLMSG_ALIGN((int)nlh->nlmsg_len);

	d->p = realloc(d->p, (size_t)(d->len + n));
	ck_assert_ptr_nonnull(d->p);
	memset(d->p + d->len, 0, (size_t)n);
	memcpy(d->p + d->len, nlh, nlh->nlmsg_len);
	d->len += n;
	nlmsg_free(m);
}

static void fake_push(struct fake_sock *fs, struct dgram *d)
{
	ck_assert_uint_lt(fs->tail - fs->head, FQ);
	fs->q[fs->tail % FQ].p = d->p;
	fs->q[fs->tail % FQ].len = d->len;
	fs->tail++;
	d->p = NULL;
	d->len = 0;
}

static void fake_push_msg(struct fake_sock *fs, struct nl_msg *m)
{
	struct dgram d = { 0 };

	dg_add(&d, m);
	fake_push(fs, &d);
}

static void fake_push_enobufs(struct fake_sock *fs)
{
	struct dgram d = { NULL, -1 };

	fake_push(fs, &d);
}

static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	requests++;
	ck_assert_int_eq(nlh->nlmsg_type, FAMILY_ID);
	ck_assert(genlmsg_valid_hdr(nlh, 0));
	script(fake_of(sk), nlh);
	return (int)nlh->nlmsg_len;
}

static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		     unsigned char **buf, struct ucred **creds)
{
	struct fake_sock *fs = fake_of(sk);
	int len;

	(void)creds;
	if (fake_empty(fs))
		return -NLE_AGAIN;
	len = fs->q[fs->head % FQ].len;
	*buf = fs->q[fs->head % FQ].p;
	fs->head++;
	if (len < 0)
		return -NLE_NOMEM;	/* what libnl makes of ENOBUFS */
	nla->nl_family = AF_NETLINK;
	nla->nl_pid = 0;
	return len;
}

static struct nl_msg *k_msg(uint8_t cmd, uint32_t seq, int flags)
{
	struct nl_msg *m = nlmsg_alloc_size(64 * 1024);

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(genlmsg_put(m, 0, seq, FAMILY_ID, 0, flags, cmd,
					  EXEFLOW_GENL_VERSION));
	return m;
}

static struct nl_msg *k_stats(uint8_t cmd, uint32_t seq, bool good)
{
	struct nl_msg *m = k_msg(cmd, seq, 0);
	struct nlattr *n;

	if (good)
		nla_put_u32(m, EXEFLOW_A_VERSION, EXEFLOW_GENL_VERSION);
	nla_put_u32(m, EXEFLOW_A_LISTENER, 777);
	n = nla_nest_start(m, EXEFLOW_A_STATS);
	put_u64(m, EXEFLOW_S_PACKETS, EXEFLOW_S_PAD, 12345);
	put_u64(m, EXEFLOW_S_DROP_BACKLOG, EXEFLOW_S_PAD, 6);
	nla_nest_end(m, n);
	return m;
}

static struct nl_msg *k_records(uint8_t cmd, uint32_t seq, int flags,
				uint64_t first_id, int n)
{
	struct nl_msg *m = k_msg(cmd, seq, flags);
	struct ef_record r;
	int i;

	ref_v4(&r);
	for (i = 0; i < n; i++) {
		r.flow_id = first_id + (uint64_t)i;
		r.seq = first_id + (uint64_t)i;
		put_flow(m, &r);
	}
	return m;
}

/* NLMSG_ERROR: error 0 is an ACK. */
static struct nl_msg *k_ack(const struct nlmsghdr *req, int error)
{
	struct nl_msg *m = nlmsg_alloc_simple(NLMSG_ERROR, 0);
	struct nlmsgerr e = { .error = error, .msg = *req };

	ck_assert_ptr_nonnull(m);
	nlmsg_hdr(m)->nlmsg_seq = req->nlmsg_seq;
	ck_assert_int_eq(nlmsg_append(m, &e, sizeof(e), NLMSG_ALIGNTO), 0);
	return m;
}

static struct nl_msg *k_done(uint32_t seq, int error)
{
	struct nl_msg *m = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);

	ck_assert_ptr_nonnull(m);
	nlmsg_hdr(m)->nlmsg_seq = seq;
	ck_assert_int_eq(nlmsg_append(m, &error, sizeof(error), NLMSG_ALIGNTO),
			 0);
	return m;
}

static void fake_install(struct fake_sock *fs, struct nl_sock *sk)
{
	struct nl_cb *cb = nl_socket_get_cb(sk);

	memset(fs, 0, sizeof(*fs));
	fs->sk = sk;
	nl_cb_overwrite_send(cb, fake_send);
	nl_cb_overwrite_recv(cb, fake_recv);
	nl_cb_put(cb);
}

static struct ef_client *fake_client(bool events, int timeout_ms)
{
	struct ef_client_opts o = { .timeout_ms = timeout_ms };
	struct nl_sock *cmd = nl_socket_alloc(), *ev = NULL;
	struct ef_client *c;

	ck_assert_ptr_nonnull(cmd);
	fake_install(&fk_cmd, cmd);
	memset(&fk_ev, 0, sizeof(fk_ev));
	if (events) {
		ev = nl_socket_alloc();
		ck_assert_ptr_nonnull(ev);
		fake_install(&fk_ev, ev);
	}
	fake_mode = 0;
	requests = 0;
	ck_assert_int_eq(ef_client_wrap(&c, cmd, ev, FAMILY_ID, &o), 0);
	return c;
}

/* Drop whatever a test left queued. */
static void fake_close(struct ef_client *c)
{
	struct fake_sock *fss[] = { &fk_cmd, &fk_ev };
	size_t i;

	for (i = 0; i < 2; i++)
		while (!fake_empty(fss[i]))
			free(fss[i]->q[fss[i]->head++ % FQ].p);
	ef_client_close(c);
}

/* The module's side. fake_mode picks a variant per test. */
static void kernel(struct fake_sock *fs, struct nlmsghdr *req)
{
	struct genlmsghdr *g = nlmsg_data(req);
	uint32_t seq = req->nlmsg_seq;
	struct dgram d = { 0 };

	switch (g->cmd) {
	case EXEFLOW_CMD_GET_STATS:
	case EXEFLOW_CMD_FLUSH:
		if (fake_mode == 1) {		/* not permitted */
			fake_push_msg(fs, k_ack(req, -EPERM));
		} else if (fake_mode == 2) {	/* silent */
		} else {
			/* Reply and ACK arrive as separate datagrams. */
			fake_push_msg(fs, k_stats(g->cmd, seq, fake_mode != 3));
			fake_push_msg(fs, k_ack(req, 0));
		}
		break;
	case EXEFLOW_CMD_GET_FLOWS:
		ck_assert(req->nlmsg_flags & NLM_F_DUMP);
		if (fake_mode == 1) {
			fake_push_msg(fs, k_ack(req, -EPERM));
			break;
		}
		dg_add(&d, k_records(g->cmd, seq, NLM_F_MULTI, 1, 2));
		dg_add(&d, k_records(g->cmd, seq, NLM_F_MULTI, 3, 1));
		fake_push(fs, &d);
		dg_add(&d, k_records(g->cmd, seq, NLM_F_MULTI |
				     (fake_mode == 4 ? NLM_F_DUMP_INTR : 0),
				     4, 2));
		dg_add(&d, k_done(seq, fake_mode == 5 ? -EMSGSIZE : 0));
		fake_push(fs, &d);
		break;
	case EXEFLOW_CMD_REGISTER:
		/* The exporter races the reply: records before and after. */
		fake_push_msg(fs, k_records(EXEFLOW_CMD_RECORDS, 0, 0, 100, 2));
		fake_push_msg(fs, k_stats(EXEFLOW_CMD_REGISTER, seq, true));
		fake_push_msg(fs, k_records(EXEFLOW_CMD_RECORDS, 0, 0, 102, 1));
		if (fake_mode == 6)
			fake_push_enobufs(fs);
		fake_push_msg(fs, k_ack(req, 0));
		break;
	case EXEFLOW_CMD_UNREGISTER:
		fake_push_msg(fs, k_ack(req, 0));
		break;
	default:
		ck_abort_msg("unexpected command %u", g->cmd);
	}
}

struct seen {
	int n;
	uint64_t ids;	/* sum of flow ids */
};

static void seen_cb(const struct ef_record *r, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->ids += r->flow_id;
}

START_TEST(test_client_stats)
{
	struct ef_client *c = fake_client(false, 0);
	struct ef_stats st;
	int i;

	script = kernel;
	/* Twice in a row: a stale ACK would break the second one. */
	for (i = 0; i < 2; i++) {
		memset(&st, 0, sizeof(st));
		ck_assert_int_eq(ef_client_get_stats(c, &st), 0);
		ck_assert(fake_empty(&fk_cmd));
		ck_assert_uint_eq(st.version, EXEFLOW_GENL_VERSION);
		ck_assert_uint_eq(st.listener, 777);
		ck_assert_uint_eq(st.counter[EXEFLOW_S_PACKETS], 12345);
		ck_assert(st.has[EXEFLOW_S_DROP_BACKLOG]);
		ck_assert(!st.has[EXEFLOW_S_DROP_ALLOC]);
	}
	ck_assert_int_eq(ef_client_flush(c, &st), 0);
	ck_assert_uint_eq(requests, 3);

	fake_mode = 3;		/* reply without VERSION */
	ck_assert_int_eq(ef_client_get_stats(c, &st), -EPROTO);
	ck_assert(fake_empty(&fk_cmd));
	fake_mode = 0;
	ck_assert_int_eq(ef_client_get_stats(c, &st), 0);
	fake_close(c);
}
END_TEST

START_TEST(test_client_errors)
{
	struct ef_client *c = fake_client(false, 50);
	struct ef_stats st;
	struct seen s = { 0 };

	script = kernel;
	fake_mode = 1;
	ck_assert_int_eq(ef_client_get_stats(c, &st), EF_EPERM);
	ck_assert_int_eq(ef_client_get_flows(c, seen_cb, &s), EF_EPERM);
	ck_assert_ptr_nonnull(strstr(ef_strerror(EF_EPERM), "CAP_NET_ADMIN"));
	ck_assert_ptr_nonnull(strstr(ef_strerror(EF_ENOTLOADED),
				     "module not loaded"));
	fake_mode = 2;
	ck_assert_int_eq(ef_client_get_stats(c, &st), -ETIMEDOUT);
	/* No event socket: the listener calls refuse cleanly. */
	ck_assert_int_eq(ef_client_event_fd(c), -1);
	ck_assert_int_eq(ef_client_recv(c), -EBADF);
	ck_assert_int_eq(ef_client_register(c, seen_cb, &s, NULL), -EBADF);
	fake_close(c);
}
END_TEST

START_TEST(test_client_dump)
{
	struct ef_client *c = fake_client(false, 0);
	struct seen s = { 0 };

	script = kernel;
	ck_assert_int_eq(ef_client_get_flows(c, seen_cb, &s), 5);
	ck_assert_int_eq(s.n, 5);
	ck_assert_uint_eq(s.ids, 1 + 2 + 3 + 4 + 5);
	ck_assert(fake_empty(&fk_cmd));

	fake_mode = 4;		/* table changed: all delivered, flagged */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(ef_client_get_flows(c, seen_cb, &s), EF_EDUMPINTR);
	ck_assert_int_eq(s.n, 5);

	fake_mode = 5;		/* dump failed part-way */
	ck_assert_int_eq(ef_client_get_flows(c, seen_cb, &s), -EMSGSIZE);

	fake_mode = 0;
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(ef_client_get_flows(c, seen_cb, &s), 5);
	fake_close(c);
}
END_TEST

START_TEST(test_client_listener)
{
	struct ef_client *c = fake_client(true, 0);
	struct ef_client_counters cnt;
	struct ef_stats st;
	struct seen s = { 0 };
	struct dgram d = { 0 };

	script = kernel;
	ck_assert_int_eq(ef_client_register(c, seen_cb, &s, &st), 0);
	ck_assert_uint_eq(st.listener, 777);
	ck_assert_int_eq(s.n, 3);	/* both racing batches delivered */
	ck_assert_uint_eq(s.ids, 100 + 101 + 102);
	ck_assert(fake_empty(&fk_ev));
	ck_assert_int_eq(ef_client_recv(c), 0);

	/* Records, an overrun, more records. */
	fake_push_msg(&fk_ev, k_records(EXEFLOW_CMD_RECORDS, 0, 0, 200, 2));
	fake_push_enobufs(&fk_ev);
	dg_add(&d, k_records(EXEFLOW_CMD_RECORDS, 0, 0, 300, 1));
	dg_add(&d, k_stats(EXEFLOW_CMD_GET_STATS, 0, true)); /* stray */
	fake_push(&fk_ev, &d);
	ck_assert_int_eq(ef_client_recv(c), EF_EOVERRUN);
	ck_assert_int_eq(s.n, 5);
	ck_assert_int_eq(ef_client_recv(c), 1);
	ck_assert_int_eq(ef_client_recv(c), 0);
	ef_client_counters(c, &cnt);
	ck_assert_uint_eq(cnt.records, 6);
	ck_assert_uint_eq(cnt.overruns, 1);
	ck_assert_uint_eq(cnt.ignored, 1);

	/* A malformed record is counted, its neighbours still delivered. */
	{
		struct nl_msg *m = k_msg(EXEFLOW_CMD_RECORDS, 0, 0);
		struct ef_record r;

		ref_v4(&r);
		put_flow(m, &r);
		put_flow_ex(m, &r, OMIT(EXEFLOW_F_FAMILY), NULL, NULL, NULL);
		fake_push_msg(&fk_ev, m);
	}
	ck_assert_int_eq(ef_client_recv(c), 1);
	ef_client_counters(c, &cnt);
	ck_assert_uint_eq(cnt.malformed, 1);

	/* A leftover ACK (of a request that timed out) must not end the
	 * next request early: it would leave that request's ACK behind. */
	{
		struct nlmsghdr old = { .nlmsg_len = NLMSG_HDRLEN,
					.nlmsg_seq = 0xdead };

		fake_push_msg(&fk_ev, k_ack(&old, 0));
		fake_push_msg(&fk_ev, k_ack(&old, -EINVAL));
	}
	ck_assert_int_eq(ef_client_unregister(c), 0);
	ck_assert(fake_empty(&fk_ev));
	fake_close(c);
}
END_TEST

START_TEST(test_client_overrun_during_register)
{
	struct ef_client *c = fake_client(true, 0);
	struct seen s = { 0 };

	script = kernel;
	fake_mode = 6;
	/* The overrun does not fail REGISTER; it is reported next. */
	ck_assert_int_eq(ef_client_register(c, seen_cb, &s, NULL), 0);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(ef_client_recv(c), EF_EOVERRUN);
	ck_assert_int_eq(ef_client_recv(c), 0);
	fake_close(c);
}
END_TEST

static Suite *recparse_suite(void)
{
	Suite *s = suite_create("recparse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_roundtrip_v4);
	tcase_add_test(tc, test_roundtrip_v6);
	tcase_add_test(tc, test_proc_absent);
	tcase_add_test(tc, test_minimal_record);
	tcase_add_test(tc, test_proc_without_exe);
	tcase_add_test(tc, test_unknown_ignored);
	tcase_add_test(tc, test_wrong_lengths);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_required);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_records_msg);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("nlclient");
	tcase_add_test(tc, test_client_stats);
	tcase_add_test(tc, test_client_errors);
	tcase_add_test(tc, test_client_dump);
	tcase_add_test(tc, test_client_listener);
	tcase_add_test(tc, test_client_overrun_during_register);
	suite_add_tcase(s, tc);

	tc = tcase_create("fuzz");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fuzz);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(recparse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
