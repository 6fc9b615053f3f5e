// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the daemon's decoder of EXEFLOW messages (recparse.c).
 *
 * The input is one whole generic netlink message (nlmsghdr, genlmsghdr,
 * attributes) as the module would send it; nlmsg_len is set to the input
 * size, which is what libnl guarantees for a received message. The message
 * lies in a heap buffer of exactly that size, so ASan reports any read past
 * it. Beyond "no crash", every record delivered must be sane (known family,
 * strings terminated) and must survive a round trip (up to bytes that mean
 * nothing: after a string's NUL, past a v4 address): encoded again with
 * libnl, it decodes to the very same struct. Every EXEFLOW_A_FLOW is either
 * delivered or counted as malformed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "fuzz.h"
#include "recparse.h"

struct seen {
	unsigned int n;
	struct nl_msg *again;	/* every delivered record, encoded again */
};

static void put_u64(struct nl_msg *m, int type, uint64_t v)
{
	FZ_CHECK(nla_put_u64(m, type, v) == 0, "nla_put_u64 %d", type);
}

static void put_u32(struct nl_msg *m, int type, uint32_t v)
{
	FZ_CHECK(nla_put_u32(m, type, v) == 0, "nla_put_u32 %d", type);
}

static void put_u16(struct nl_msg *m, int type, uint16_t v)
{
	FZ_CHECK(nla_put_u16(m, type, v) == 0, "nla_put_u16 %d", type);
}

static void put_u8(struct nl_msg *m, int type, uint8_t v)
{
	FZ_CHECK(nla_put_u8(m, type, v) == 0, "nla_put_u8 %d", type);
}

static void put_str(struct nl_msg *m, int type, const char *s)
{
	FZ_CHECK(nla_put_string(m, type, s) == 0, "nla_put_string %d", type);
}

/* Every field the decoder knows, in the module's encoding. */
static void encode(struct nl_msg *m, const struct ef_record *r)
{
	struct nlattr *fl = nla_nest_start(m, EXEFLOW_A_FLOW), *pr;
	int alen = r->family == AF_INET ? 4 : 16;

	FZ_CHECK(fl, "nest");
	put_u64(m, EXEFLOW_F_SEQ, r->seq);
	put_u8(m, EXEFLOW_F_EVENT, r->event);
	put_u64(m, EXEFLOW_F_FLOW_ID, r->flow_id);
	put_u64(m, EXEFLOW_F_NETNS_ID, r->netns_id);
	put_u8(m, EXEFLOW_F_FAMILY, r->family);
	put_u8(m, EXEFLOW_F_PROTO, r->proto);
	FZ_CHECK(nla_put(m, EXEFLOW_F_SRC_ADDR, alen, r->src) == 0, "src");
	FZ_CHECK(nla_put(m, EXEFLOW_F_DST_ADDR, alen, r->dst) == 0, "dst");
	put_u16(m, EXEFLOW_F_SRC_PORT, r->sport);
	put_u16(m, EXEFLOW_F_DST_PORT, r->dport);
	put_u16(m, EXEFLOW_F_ICMP_ID, r->icmp_id);
	put_u8(m, EXEFLOW_F_DIRECTION, r->direction);
	put_u64(m, EXEFLOW_F_FWD_PACKETS, r->fwd_packets);
	put_u64(m, EXEFLOW_F_FWD_BYTES, r->fwd_bytes);
	put_u64(m, EXEFLOW_F_REV_PACKETS, r->rev_packets);
	put_u64(m, EXEFLOW_F_REV_BYTES, r->rev_bytes);
	put_u8(m, EXEFLOW_F_FWD_TCP_FLAGS, r->fwd_tcp_flags);
	put_u8(m, EXEFLOW_F_REV_TCP_FLAGS, r->rev_tcp_flags);
	put_u64(m, EXEFLOW_F_FIRST_NS, r->first_ns);
	put_u64(m, EXEFLOW_F_LAST_NS, r->last_ns);
	put_u32(m, EXEFLOW_F_IN_IFINDEX, r->in_ifindex);
	put_u32(m, EXEFLOW_F_OUT_IFINDEX, r->out_ifindex);
	put_u8(m, EXEFLOW_F_END_REASON, r->end_reason);
	put_u8(m, EXEFLOW_F_METHOD, r->method);
	put_u64(m, EXEFLOW_F_SOCK_COOKIE, r->sock_cookie);
	if (r->has_sock_uid)
		put_u32(m, EXEFLOW_F_SOCK_UID, r->sock_uid);
	put_u64(m, EXEFLOW_F_SOCK_CGROUP, r->sock_cgroup);
	put_str(m, EXEFLOW_F_IN_IFNAME, r->in_ifname);
	put_str(m, EXEFLOW_F_OUT_IFNAME, r->out_ifname);
	if (r->proc.present) {
		const struct ef_proc *p = &r->proc;

		pr = nla_nest_start(m, EXEFLOW_F_PROC);
		FZ_CHECK(pr, "proc nest");
		put_u32(m, EXEFLOW_P_TGID, p->tgid);
		put_u32(m, EXEFLOW_P_PID, p->pid);
		put_u32(m, EXEFLOW_P_PPID, p->ppid);
		put_u32(m, EXEFLOW_P_SID, p->sid);
		put_u32(m, EXEFLOW_P_PGID, p->pgid);
		put_u64(m, EXEFLOW_P_START_NS, p->start_ns);
		put_u32(m, EXEFLOW_P_UID, p->uid);
		put_u32(m, EXEFLOW_P_GID, p->gid);
		put_u32(m, EXEFLOW_P_EUID, p->euid);
		put_u32(m, EXEFLOW_P_EGID, p->egid);
		put_str(m, EXEFLOW_P_COMM, p->comm);
		put_str(m, EXEFLOW_P_EXE_PATH, p->exe_path);
		put_u32(m, EXEFLOW_P_EXE_MAJOR, p->exe_major);
		put_u32(m, EXEFLOW_P_EXE_MINOR, p->exe_minor);
		put_u64(m, EXEFLOW_P_EXE_INO, p->exe_ino);
		put_u64(m, EXEFLOW_P_EXE_SIZE, p->exe_size);
		put_u64(m, EXEFLOW_P_EXE_MTIME_NS, p->exe_mtime_ns);
		put_u64(m, EXEFLOW_P_CGROUP_ID, p->cgroup_id);
		put_u32(m, EXEFLOW_P_PIDNS_INUM, p->pidns_inum);
		put_u32(m, EXEFLOW_P_FLAGS, p->flags);
		nla_nest_end(m, pr);
	}
	nla_nest_end(m, fl);
}

static void check_record(const struct ef_record *r)
{
	FZ_CHECK(r->family == AF_INET || r->family == AF_INET6, "family %u",
		 r->family);
	FZ_CHECK(memchr(r->in_ifname, 0, sizeof(r->in_ifname)), "in_ifname");
	FZ_CHECK(memchr(r->out_ifname, 0, sizeof(r->out_ifname)), "out_ifname");
	FZ_CHECK(memchr(r->proc.comm, 0, sizeof(r->proc.comm)), "comm");
	FZ_CHECK(memchr(r->proc.exe_path, 0, sizeof(r->proc.exe_path)), "exe");
	if (!r->proc.present)
		FZ_CHECK(!r->proc.tgid && !r->proc.comm[0] &&
			 !r->proc.exe_path[0], "proc fields without PROC");
}

static void on_record(const struct ef_record *r, void *arg)
{
	struct seen *s = arg;

	check_record(r);
	encode(s->again, r);
	s->n++;
}

/* Bytes after a string's NUL mean nothing (a repeated attribute may leave
 * some of the first value there): clear them before comparing. */
static void tidy(char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n < size)
		memset(s + n, 0, size - n);
}

static void normalise(struct ef_record *r)
{
	tidy(r->in_ifname, sizeof(r->in_ifname));
	tidy(r->out_ifname, sizeof(r->out_ifname));
	tidy(r->proc.comm, sizeof(r->proc.comm));
	tidy(r->proc.exe_path, sizeof(r->proc.exe_path));
	/* likewise the last 12 address bytes of a v4 record (a repeated
	 * 16-byte SRC_ADDR before the 4-byte one leaves some there; nothing
	 * reads them) */
	if (r->family == AF_INET) {
		memset(r->src + 4, 0, 12);
		memset(r->dst + 4, 0, 12);
	}
}

static struct ef_record *expect, got;
static unsigned int expect_n, expect_i;

static void on_again(const struct ef_record *r, void *arg)
{
	(void)arg;
	FZ_CHECK(expect_i < expect_n, "more records on the round trip");
	memcpy(&got, r, sizeof(got));
	normalise(&got);
	normalise(&expect[expect_i]);
	FZ_CHECK(!memcmp(&got, &expect[expect_i], sizeof(got)),
		 "record %u differs after a round trip", expect_i);
	expect_i++;
}

static void keep(const struct ef_record *r, void *arg)
{
	(void)arg;
	memcpy(&expect[expect_n++], r, sizeof(*r));
}

/* Top-level FLOW attributes and whether the walk ends in a cut-off one. */
static void count_flows(struct nlmsghdr *nlh, unsigned int *flows, int *torn)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a;
	int rem;

	*flows = 0;
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem)
		if (nla_type(a) == EXEFLOW_A_FLOW)
			(*flows)++;
	*torn = rem > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 0 };
	struct nlmsghdr *nlh;
	struct ef_stats st;
	unsigned int malformed = 0, flows;
	int n, torn, r;

	if (size < sizeof(*nlh) || size > 1 << 16)
		return 0;
	nlh = fz_dup(data, size);
	nlh->nlmsg_len = (uint32_t)size;

	/* A delivered record takes >= 56 input bytes and re-encodes to
	 * < 700 plus its strings, which come from the input too. */
	s.again = nlmsg_alloc_size(16 * size + 65536);
	FZ_CHECK(s.again, "alloc");
	FZ_CHECK(genlmsg_put(s.again, 0, 0, 0x22, 0, 0, EXEFLOW_CMD_RECORDS,
			     EXEFLOW_GENL_VERSION), "genlmsg_put");

	n = ef_parse_records_msg(nlh, on_record, &s, &malformed);
	if (n == -EINVAL) {
		FZ_CHECK(!genlmsg_valid_hdr(nlh, 0), "-EINVAL for a valid header");
	} else {
		FZ_CHECK(n >= 0 && (unsigned int)n == s.n, "returned %d, saw %u",
			 n, s.n);
		count_flows(nlh, &flows, &torn);
		FZ_CHECK(s.n + malformed == flows + (unsigned int)torn,
			 "%u delivered + %u malformed for %u flows (torn %d)",
			 s.n, malformed, flows, torn);
	}

	/* Round trip: what was delivered, encoded again, decodes the same. */
	if (s.n) {
		struct nlmsghdr *again = nlmsg_hdr(s.again);
		unsigned int bad = 0;

		expect = calloc(s.n, sizeof(*expect));
		FZ_CHECK(expect, "calloc");
		expect_n = expect_i = 0;
		/* Decode the input once more to keep the records in order. */
		ef_parse_records_msg(nlh, keep, NULL, NULL);
		FZ_CHECK(expect_n == s.n, "second decode differs");
		r = ef_parse_records_msg(again, on_again, NULL, &bad);
		FZ_CHECK(r == (int)s.n && !bad && expect_i == s.n,
			 "round trip: %d records, %u malformed, want %u", r, bad,
			 s.n);
		free(expect);
		expect = NULL;
	}

	r = ef_parse_stats_msg(nlh, &st);
	FZ_CHECK(r == 0 || r == -EINVAL, "stats returned %d", r);
	if (r == 0)
		for (unsigned int i = 0; i <= EXEFLOW_S_MAX; i++)
			FZ_CHECK(st.has[i] || !st.counter[i], "counter %u", i);

	nlmsg_free(s.again);
	free(nlh);
	return 0;
}
