// SPDX-License-Identifier: GPL-2.0
/*
 * dpath: exeflowd's per-record path on this machine, without a kernel.
 *
 *   dpath [-n FLOWS] [-R REPS] [-z none|lz4|lzo] [-t SECS] [-k] DIR
 *       Builds EXEFLOW_CMD_RECORDS messages the way the module does
 *       (kmod/record.c's attributes in its order, as many nested records
 *       per message as fit in NLMSG_GOODSIZE) and feeds them to exeflowd's
 *       own code: ef_client_recv() (libnl's nl_recvmsgs_report() on an
 *       event socket whose recv hands out a copy of the next message) ->
 *       ef_parse_records_buf() -> exeflowd's on_record() ->
 *       pipeline_record() (hash cache with one worker, flowconv(),
 *       nfw_write()) -> nfcapd file in DIR, polled and finished the way
 *       exeflowd's run() and shutdown_all() do (-z and -t as exeflowd's;
 *       FLOWS default 100000, REPS 1). DIR is scratch: its nfcapd.*
 *       files are removed first (and after each rep, unless -k).
 *       Per rep, one line:
 *         BENCH dpath ... records=R secs=S rps=R/S cpu_us_per_rec=C ...
 *       R netlink records (NEW, UPDATE, END), S seconds of the timed
 *       parts, C process CPU time (CLOCK_PROCESS_CPUTIME_ID, the hash
 *       worker included) per record. The stream is built 256 messages
 *       at a time (what one ef_client_recv() takes), outside the clock.
 *       Fails unless the file has one flow per UPDATE/END, every flow
 *       with a process has its hashes, and nothing was malformed,
 *       dropped or missing from the sequence.
 *   dpath cmp FILE_A FILE_B
 *       Compares two nfcapd files block by block and byte by byte (the
 *       records as decompressed), except for what depends on the wall
 *       clock: the header's creation time, each flow's "received" time
 *       and, compressed, the appendix offset. Exit 0 if equal.
 *
 * The hash cache is warm when the clock starts (every program hashed once,
 * through NEW records on the same path), as in a daemon that has run for a
 * while: the end-to-end benchmark saw a 99.997 % hit rate. The flows are
 * FLOWS connections of 256 processes of up to 16 programs (real files on
 * this machine, so the hashes are real), Zipf-like; 70 % TCP, 25 % UDP,
 * 5 % ICMP, 10 % IPv6, 15 % inbound; 3 % with socket credentials only, 2 %
 * kernel-owned; 2 % with an UPDATE before their END. NEW records and, 1000
 * flows behind, END records share the messages, as the module's exporter
 * interleaves them. Flow times are fixed: the same options give the same
 * stream, and with `cmp` the same file, whatever userspace/ does inside.
 *
 * Build: bench/host.sh (gcc ... bench/tools/dpath.c userspace/libexeflow.a).
 * Profile: valgrind --tool=callgrind --collect-atstart=no
 *   --toggle-collect='timed_*' build/bench/dpath -n 20000 DIR
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "hashcache.h"
#include "nffile.h"
#include "nlclient.h"
#include "nfrotate.h"
#include "pipeline.h"
#include "record.h"
#include "uapi/exeflow.h"

#define FAMILY_ID 0x1f
/* NLMSG_GOODSIZE on x86-64 (SKB_WITH_OVERHEAD(4096)): what the module's
 * genlmsg_new() asks for; records are added until the next one fails. */
#define GOODSIZE 3776
#define NPROCS 256
#define END_LAG 1000
#define CHUNK_MSGS 256	/* nlclient.c's RECV_BATCH */
/* Flow times: fixed, so that the same options give the same file. */
#define T0_NS (1767225600ull * 1000000000ull)	/* 2026-01-01 00:00 UTC */

/* ---- the stream -------------------------------------------------------- */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct dgram {
	size_t off;
	int len;
};

struct stream {
	uint8_t *buf;		/* finished messages, back to back */
	size_t used, cap;
	struct dgram *d;
	size_t nd, capd, next;	/* messages; the next one to deliver */
	uint64_t records, ends;	/* records so far; END/UPDATE among them */
	uint64_t hashed_ends;	/* ... of which name an executable */
	uint64_t msgs;		/* messages so far */
	struct nl_msg *cur;	/* message being filled */
	unsigned cur_n;
};

static void die(const char *what)
{
	fprintf(stderr, "dpath: %s\n", what);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

static void stream_close_msg(struct stream *s)
{
	struct nlmsghdr *nlh;
	size_t len;

	if (!s->cur)
		return;
	nlh = nlmsg_hdr(s->cur);
	len = nlh->nlmsg_len;
	if (s->used + len > s->cap) {
		s->cap = (s->used + len) * 2;
		s->buf = xrealloc(s->buf, s->cap);
	}
	if (s->nd == s->capd) {
		s->capd = s->capd ? 2 * s->capd : 1024;
		s->d = xrealloc(s->d, s->capd * sizeof(*s->d));
	}
	memcpy(s->buf + s->used, nlh, len);
	s->d[s->nd].off = s->used;
	s->d[s->nd].len = (int)len;
	s->nd++;
	s->msgs++;
	s->used += NLMSG_ALIGN(len);
	nlmsg_free(s->cur);
	s->cur = NULL;
}

static void stream_open_msg(struct stream *s)
{
	s->cur = nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN + GOODSIZE);
	if (!s->cur || !genlmsg_put(s->cur, 0, 0, FAMILY_ID, 0, 0,
				    EXEFLOW_CMD_RECORDS, EXEFLOW_GENL_VERSION))
		die("cannot build a message");
	s->cur_n = 0;
}

/* The module's ef_put_proc(): same attributes, same order. On x86-64 the
 * kernel needs no PAD before a u64 (efficient unaligned access). */
static int put_proc(struct nl_msg *m, const struct ef_proc *p)
{
	struct nlattr *n = nla_nest_start(m, EXEFLOW_F_PROC);

	if (!n)
		return -1;
	if (nla_put_u32(m, EXEFLOW_P_TGID, p->tgid) ||
	    nla_put_u32(m, EXEFLOW_P_PID, p->pid) ||
	    nla_put_u32(m, EXEFLOW_P_PPID, p->ppid) ||
	    nla_put_u32(m, EXEFLOW_P_SID, p->sid) ||
	    nla_put_u32(m, EXEFLOW_P_PGID, p->pgid) ||
	    nla_put_u64(m, EXEFLOW_P_START_NS, p->start_ns) ||
	    nla_put_u32(m, EXEFLOW_P_UID, p->uid) ||
	    nla_put_u32(m, EXEFLOW_P_GID, p->gid) ||
	    nla_put_u32(m, EXEFLOW_P_EUID, p->euid) ||
	    nla_put_u32(m, EXEFLOW_P_EGID, p->egid) ||
	    nla_put_string(m, EXEFLOW_P_COMM, p->comm) ||
	    nla_put_u64(m, EXEFLOW_P_CGROUP_ID, p->cgroup_id) ||
	    nla_put_u32(m, EXEFLOW_P_PIDNS_INUM, p->pidns_inum) ||
	    nla_put_u32(m, EXEFLOW_P_FLAGS, p->flags) ||
	    (p->exe_path[0] &&
	     nla_put_string(m, EXEFLOW_P_EXE_PATH, p->exe_path)) ||
	    ((p->flags & EXEFLOW_PF_EXE_KNOWN) &&
	     (nla_put_u32(m, EXEFLOW_P_EXE_MAJOR, p->exe_major) ||
	      nla_put_u32(m, EXEFLOW_P_EXE_MINOR, p->exe_minor) ||
	      nla_put_u64(m, EXEFLOW_P_EXE_INO, p->exe_ino) ||
	      nla_put_u64(m, EXEFLOW_P_EXE_SIZE, p->exe_size) ||
	      nla_put_u64(m, EXEFLOW_P_EXE_MTIME_NS, p->exe_mtime_ns)))) {
		nla_nest_cancel(m, n);
		return -1;
	}
	nla_nest_end(m, n);
	return 0;
}

/* The module's ef_record_put(). */
static int put_record(struct nl_msg *m, const struct ef_record *r)
{
	int alen = r->family == AF_INET ? 4 : 16;
	bool icmp = r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6;
	struct nlattr *n = nla_nest_start(m, EXEFLOW_A_FLOW);

	if (!n)
		return -1;
	if (nla_put_u64(m, EXEFLOW_F_SEQ, r->seq) ||
	    nla_put_u8(m, EXEFLOW_F_EVENT, r->event) ||
	    nla_put_u64(m, EXEFLOW_F_FLOW_ID, r->flow_id) ||
	    nla_put_u64(m, EXEFLOW_F_NETNS_ID, r->netns_id) ||
	    nla_put_u8(m, EXEFLOW_F_FAMILY, r->family) ||
	    nla_put_u8(m, EXEFLOW_F_PROTO, r->proto) ||
	    nla_put(m, EXEFLOW_F_SRC_ADDR, alen, r->src) ||
	    nla_put(m, EXEFLOW_F_DST_ADDR, alen, r->dst) ||
	    nla_put_u16(m, EXEFLOW_F_SRC_PORT, r->sport) ||
	    nla_put_u16(m, EXEFLOW_F_DST_PORT, r->dport) ||
	    (icmp && nla_put_u16(m, EXEFLOW_F_ICMP_ID, r->icmp_id)) ||
	    nla_put_u8(m, EXEFLOW_F_DIRECTION, r->direction) ||
	    nla_put_u64(m, EXEFLOW_F_FWD_PACKETS, r->fwd_packets) ||
	    nla_put_u64(m, EXEFLOW_F_FWD_BYTES, r->fwd_bytes) ||
	    nla_put_u64(m, EXEFLOW_F_REV_PACKETS, r->rev_packets) ||
	    nla_put_u64(m, EXEFLOW_F_REV_BYTES, r->rev_bytes) ||
	    nla_put_u64(m, EXEFLOW_F_FIRST_NS, r->first_ns) ||
	    nla_put_u64(m, EXEFLOW_F_LAST_NS, r->last_ns) ||
	    (r->in_ifindex &&
	     (nla_put_u32(m, EXEFLOW_F_IN_IFINDEX, r->in_ifindex) ||
	      nla_put_string(m, EXEFLOW_F_IN_IFNAME, r->in_ifname))) ||
	    (r->out_ifindex &&
	     (nla_put_u32(m, EXEFLOW_F_OUT_IFINDEX, r->out_ifindex) ||
	      nla_put_string(m, EXEFLOW_F_OUT_IFNAME, r->out_ifname))) ||
	    nla_put_u8(m, EXEFLOW_F_END_REASON, r->end_reason) ||
	    nla_put_u8(m, EXEFLOW_F_METHOD, r->method) ||
	    (r->proto == IPPROTO_TCP &&
	     (nla_put_u8(m, EXEFLOW_F_FWD_TCP_FLAGS, r->fwd_tcp_flags) ||
	      nla_put_u8(m, EXEFLOW_F_REV_TCP_FLAGS, r->rev_tcp_flags))) ||
	    (r->sock_cookie &&
	     nla_put_u64(m, EXEFLOW_F_SOCK_COOKIE, r->sock_cookie)) ||
	    (r->has_sock_uid &&
	     (nla_put_u32(m, EXEFLOW_F_SOCK_UID, r->sock_uid) ||
	      nla_put_u64(m, EXEFLOW_F_SOCK_CGROUP, r->sock_cgroup))) ||
	    (r->proc.present && put_proc(m, &r->proc))) {
		nla_nest_cancel(m, n);
		return -1;
	}
	nla_nest_end(m, n);
	return 0;
}

/* Like ef_export_fill(): a record that does not fit starts a new message. */
static void stream_add(struct stream *s, const struct ef_record *r)
{
	if (!s->cur)
		stream_open_msg(s);
	if (put_record(s->cur, r)) {
		if (!s->cur_n)
			die("a record does not fit in an empty message");
		stream_close_msg(s);
		stream_open_msg(s);
		if (put_record(s->cur, r))
			die("a record does not fit in an empty message");
	}
	s->cur_n++;
	s->records++;
	if (r->event == EXEFLOW_EV_END || r->event == EXEFLOW_EV_UPDATE) {
		s->ends++;
		s->hashed_ends += r->proc.present &&
				  (r->proc.flags & EXEFLOW_PF_EXE_KNOWN);
	}
}

/* Delivered messages are dropped, so the next chunk is built in memory the
 * previous one used (in cache, as an skb the module just wrote). */
static void stream_reset(struct stream *s)
{
	s->used = s->nd = s->next = 0;
}

static void stream_free(struct stream *s)
{
	if (s->cur)
		nlmsg_free(s->cur);
	free(s->buf);
	free(s->d);
	memset(s, 0, sizeof(*s));
}

/* ---- processes and flows ----------------------------------------------- */

static struct ef_proc procs[NPROCS];
static unsigned nexes;

/* Programs that exist here, so that the hash cache really hashes them. */
static const char *const cand[] = {
	"/usr/bin/nfdump", "/usr/bin/gcc", "/usr/bin/make", "/usr/bin/git",
	"/usr/bin/ssh", "/usr/bin/perl", "/usr/bin/awk", "/usr/bin/gzip",
	"/usr/sbin/ip", "/usr/bin/tar", "/usr/bin/sort", "/usr/bin/stat",
	"/usr/bin/curl", "/usr/bin/python3", "/usr/bin/wget", "/usr/bin/rsync",
};
#define NCAND (sizeof(cand) / sizeof(cand[0]))

static bool exe_ok(const char *name, char *real, struct stat *st)
{
	return realpath(name, real) && !stat(real, st) && S_ISREG(st->st_mode);
}

/* The (i mod nexes)-th candidate that exists; ourselves if none does. */
static int real_exe(unsigned i, struct ef_proc *p)
{
	char real[PATH_MAX];
	const char *path = NULL;
	struct stat st;

	for (unsigned k = 0, seen = 0; k < NCAND; k++) {
		if (exe_ok(cand[k], real, &st) && seen++ == i % nexes) {
			path = real;
			break;
		}
	}
	if (!path) {
		if (!exe_ok("/proc/self/exe", real, &st))
			return -1;
		path = real;
	}
	snprintf(p->exe_path, sizeof(p->exe_path), "%s", path);
	snprintf(p->comm, sizeof(p->comm), "%.15s", strrchr(path, '/') + 1);
	p->exe_major = major(st.st_dev);
	p->exe_minor = minor(st.st_dev);
	p->exe_ino = st.st_ino;
	p->exe_size = (uint64_t)st.st_size;
	p->exe_mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
			  (uint64_t)st.st_mtim.tv_nsec;
	return 0;
}

static void make_procs(void)
{
	static const uint32_t uids[] = { 0, 1000, 33, 1001, 0, 1000, 101, 0 };
	char real[PATH_MAX];
	struct stat st;

	nexes = 0;
	for (unsigned k = 0; k < NCAND; k++)
		nexes += exe_ok(cand[k], real, &st);
	if (!nexes)
		nexes = 1;
	for (unsigned i = 0; i < NPROCS; i++) {
		struct ef_proc *p = &procs[i];

		memset(p, 0, sizeof(*p));
		p->present = true;
		p->tgid = p->pid = 2000 + i * 13;
		p->ppid = i % 7 ? 1 : 1999;
		p->sid = p->pgid = p->tgid - i % 3;
		p->start_ns = 1000000000ull * (10 + i);
		p->uid = p->euid = uids[i % 8];
		p->gid = p->egid = uids[i % 8];
		p->cgroup_id = 5000 + i % 40;
		p->pidns_inum = 4026531836u;
		p->flags = EXEFLOW_PF_EXE_KNOWN |
			   (i % 4 ? 0 : EXEFLOW_PF_HAS_TTY | EXEFLOW_PF_FOREGROUND);
		if (real_exe(i, p))
			die("no executable to hash");
	}
}

static void set_v4(uint8_t *a, uint32_t host)
{
	uint32_t n = htonl(host);

	memset(a, 0, 16);
	memcpy(a, &n, 4);
}

/* Flow @i: one connection of process @p, as the module would report it. */
static void make_flow(struct ef_record *r, uint64_t i, uint64_t t0_ns)
{
	uint64_t x = rnd();
	unsigned p = (unsigned)(x % NPROCS);

	if (x % 4)
		p %= 16;	/* Zipf-ish: a few busy processes */
	memset(r, 0, sizeof(*r));
	r->flow_id = 100000 + i;
	r->netns_id = x % 11 == 0 ? 2 : 1;
	switch ((x >> 8) % 20) {
	case 0:
		r->proto = IPPROTO_ICMP;
		r->dport = 8 << 8;
		r->icmp_id = (uint16_t)(x >> 16);
		break;
	case 1: case 2: case 3: case 4: case 5:
		r->proto = IPPROTO_UDP;
		r->sport = (uint16_t)(32768 + (x >> 16) % 28000);
		r->dport = (x >> 20) % 3 ? 53 : 443;
		break;
	default:
		r->proto = IPPROTO_TCP;
		r->sport = (uint16_t)(32768 + (x >> 16) % 28000);
		r->dport = (uint16_t[]){ 443, 80, 22, 25, 8080, 993 }[(x >> 24) % 6];
		break;
	}
	r->direction = (x >> 30) % 100 < 15 ? EXEFLOW_DIR_INBOUND
					      : EXEFLOW_DIR_OUTBOUND;
	if ((x >> 40) % 10 == 9) {
		static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

		r->family = AF_INET6;
		if (r->proto == IPPROTO_ICMP)
			r->proto = IPPROTO_ICMPV6;
		memcpy(r->src, v6, 16);
		memcpy(r->dst, v6, 16);
		memcpy(r->src + 8, &i, 8);
		r->dst[15] = (uint8_t)(x >> 48);
	} else {
		r->family = AF_INET;
		set_v4(r->src, 0x0a000000u | (uint32_t)(i % 250) << 8 | 10);
		set_v4(r->dst, (uint32_t)(x >> 32) | 0x01000000u);
	}
	r->in_ifindex = r->out_ifindex = 2;
	snprintf(r->in_ifname, sizeof(r->in_ifname), "eth0");
	snprintf(r->out_ifname, sizeof(r->out_ifname), "eth0");
	r->first_ns = r->last_ns = t0_ns + i * 50000;
	switch ((x >> 52) % 100) {
	case 0: case 1:			/* kernel socket: no process */
		r->method = EXEFLOW_M_KERNEL;
		break;
	case 2: case 3: case 4:		/* socket owner gone: creds only */
		r->method = EXEFLOW_M_SOCKET_CREDS;
		r->sock_cookie = 0x5000 + i;
		r->has_sock_uid = true;
		r->sock_uid = procs[p].uid;
		r->sock_cgroup = procs[p].cgroup_id;
		break;
	default:
		r->method = r->direction == EXEFLOW_DIR_INBOUND
				    ? EXEFLOW_M_ACCEPT : EXEFLOW_M_TASK;
		r->sock_cookie = 0x5000 + i;
		r->proc = procs[p];
		break;
	}
	r->fwd_packets = 1;
	r->fwd_bytes = r->family == AF_INET ? 60 : 80;
	if (r->proto == IPPROTO_TCP)
		r->fwd_tcp_flags = 0x02;
}

/* The flow's END (or UPDATE) record, from its NEW. */
static void finish_flow(struct ef_record *r, uint8_t event)
{
	uint64_t x = rnd();

	r->event = event;
	r->fwd_packets = 1 + x % 200;
	r->fwd_bytes = r->fwd_packets * (60 + (x >> 8) % 1400);
	r->rev_packets = (x >> 20) % 300;
	r->rev_bytes = r->rev_packets * (60 + (x >> 30) % 1400);
	r->last_ns = r->first_ns + 1000000 * ((x >> 40) % 30000);
	if (event == EXEFLOW_EV_UPDATE) {
		r->end_reason = EXEFLOW_END_ACTIVE;
		return;
	}
	if (r->proto == IPPROTO_TCP) {
		r->fwd_tcp_flags = 0x1b;
		r->rev_tcp_flags = 0x1b;
		r->end_reason = EXEFLOW_END_FIN;
	} else {
		r->end_reason = EXEFLOW_END_IDLE;
	}
}

static uint64_t seq;

static void add(struct stream *s, struct ef_record *r, uint8_t event)
{
	r->seq = seq++;
	r->event = event;
	stream_add(s, r);
}

/* Warm-up: one NEW per process, so every program gets hashed. */
static void build_warm(struct stream *s, uint64_t t0_ns)
{
	struct ef_record *r = malloc(sizeof(*r));

	if (!r)
		die("out of memory");
	for (unsigned p = 0; p < NPROCS; p++) {
		memset(r, 0, sizeof(*r));
		r->flow_id = 1 + p;
		r->netns_id = 1;
		r->family = AF_INET;
		r->proto = IPPROTO_UDP;
		set_v4(r->src, 0x0a00000a);
		set_v4(r->dst, 0x0a000001);
		r->sport = (uint16_t)(40000 + p);
		r->dport = 53;
		r->first_ns = r->last_ns = t0_ns;
		r->method = EXEFLOW_M_TASK;
		r->proc = procs[p];
		add(s, r, EXEFLOW_EV_NEW);
	}
	stream_close_msg(s);
	free(r);
}

/* The timed stream, built a chunk at a time between the timed parts. */
struct gen {
	uint64_t i, flows;
	struct ef_record *ring;	/* flows waiting for their END */
	struct ef_record *r;
};

static void gen_init(struct gen *g, uint64_t flows)
{
	g->i = 0;
	g->flows = flows;
	g->ring = calloc(END_LAG, sizeof(*g->ring));
	g->r = malloc(sizeof(*g->r));
	if (!g->ring || !g->r)
		die("out of memory");
}

static void gen_free(struct gen *g)
{
	free(g->ring);
	free(g->r);
}

/* Adds records to @s until @nmsgs messages are finished; false when the
 * stream is complete (its last message finished too). */
static bool gen_more(struct gen *g, struct stream *s, size_t nmsgs)
{
	for (; g->i < g->flows + END_LAG && s->nd < nmsgs; g->i++) {
		struct ef_record *slot = &g->ring[g->i % END_LAG];

		if (g->i >= END_LAG) {	/* the flow that started END_LAG ago */
			if (slot->flow_id % 50 == 7) {
				*g->r = *slot;
				finish_flow(g->r, EXEFLOW_EV_UPDATE);
				add(s, g->r, EXEFLOW_EV_UPDATE);
			}
			finish_flow(slot, EXEFLOW_EV_END);
			add(s, slot, EXEFLOW_EV_END);
		}
		if (g->i < g->flows) {
			make_flow(slot, g->i, T0_NS);
			*g->r = *slot;
			add(s, g->r, EXEFLOW_EV_NEW);
		}
	}
	if (g->i < g->flows + END_LAG)
		return true;
	stream_close_msg(s);
	return false;
}

/* ---- the fake kernel ---------------------------------------------------- */

static struct stream *feed;	/* what the event socket delivers */
static struct {
	uint8_t *p[4];
	int len[4];
	unsigned n;
} replies;			/* answers to our requests, first */
static struct nl_sock *ev_sk;

static void reply(struct nl_msg *m)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);

	if (replies.n == 4)
		die("reply queue full");
	replies.p[replies.n] = xrealloc(NULL, nlh->nlmsg_len);
	memcpy(replies.p[replies.n], nlh, nlh->nlmsg_len);
	replies.len[replies.n++] = (int)nlh->nlmsg_len;
	nlmsg_free(m);
}

/* REGISTER and UNREGISTER: the GET_STATS attributes, then an ACK. */
static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct nlmsghdr *req = nlmsg_hdr(msg);
	struct genlmsghdr *g = nlmsg_data(req);
	struct nlmsgerr e = { .error = 0, .msg = *req };
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *n;

	(void)sk;
	if (!m || !genlmsg_put(m, 0, req->nlmsg_seq, FAMILY_ID, 0, 0, g->cmd,
			       EXEFLOW_GENL_VERSION))
		die("cannot build a reply");
	nla_put_u32(m, EXEFLOW_A_VERSION, EXEFLOW_GENL_VERSION);
	nla_put_u32(m, EXEFLOW_A_LISTENER, 4242);
	nla_put_u64(m, EXEFLOW_A_LAST_SEQ, 0);
	n = nla_nest_start(m, EXEFLOW_A_STATS);
	nla_put_u64(m, EXEFLOW_S_PACKETS, 0);
	nla_nest_end(m, n);
	reply(m);
	m = nlmsg_alloc_simple(NLMSG_ERROR, 0);
	if (!m || nlmsg_append(m, &e, sizeof(e), NLMSG_ALIGNTO))
		die("cannot build an ACK");
	nlmsg_hdr(m)->nlmsg_seq = req->nlmsg_seq;
	reply(m);
	return (int)req->nlmsg_len;
}

/*
 * recvmsg() of the next datagram. libnl frees the buffer after parsing, as
 * it does the one it allocates for a real recvmsg(); the copy stands for
 * the kernel's copy to userspace.
 */
static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		     unsigned char **buf, struct ucred **creds)
{
	const struct dgram *d;
	int len;

	(void)creds;
	nla->nl_family = AF_NETLINK;
	nla->nl_pid = 0;
	if (replies.n && sk == ev_sk) {
		*buf = replies.p[0];
		len = replies.len[0];
		memmove(replies.p, replies.p + 1, --replies.n * sizeof(replies.p[0]));
		memmove(replies.len, replies.len + 1, replies.n * sizeof(int));
		return len;
	}
	if (sk != ev_sk || !feed || feed->next == feed->nd)
		return -NLE_AGAIN;
	d = &feed->d[feed->next++];
	*buf = malloc((size_t)d->len);
	if (!*buf)
		return -NLE_NOMEM;
	memcpy(*buf, feed->buf + d->off, (size_t)d->len);
	return d->len;
}

static struct nl_sock *fake_sock(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cb *cb;

	if (!sk)
		die("nl_socket_alloc");
	cb = nl_socket_get_cb(sk);
	nl_cb_overwrite_send(cb, fake_send);
	nl_cb_overwrite_recv(cb, fake_recv);
	nl_cb_put(cb);
	return sk;
}

/* ---- exeflowd ------------------------------------------------------------ */

/* exeflowd.c's struct daemon and on_record(), minus the netlink upkeep. */
struct daemon {
	struct ef_client *nl;
	struct hashcache *hc;
	struct nfw *writer;
	struct pipeline *pipe;
	uint64_t next_seq, seq_gaps;
	time_t last_tick;
};

static void on_record(const struct ef_record *rec, void *arg)
{
	struct daemon *d = arg;

	if (rec->seq) {
		if (rec->seq > d->next_seq)
			d->seq_gaps += rec->seq - d->next_seq;
		if (rec->seq >= d->next_seq)
			d->next_seq = rec->seq + 1;
	}
	pipeline_record(d->pipe, rec);
}

/* exeflowd's run() loop while records arrive: poll, receive, and the
 * pipeline's turn when a hash completed or a second passed. Not inlined:
 * the warm-up calls it directly, outside what callgrind collects. */
__attribute__((noinline)) static void drain(struct daemon *d,
					    struct stream *s)
{
	struct pollfd pfd = { .fd = hashcache_eventfd(d->hc), .events = POLLIN };

	feed = s;
	while (s->next < s->nd) {
		int n = ef_client_recv(d->nl);

		if (n < 0) {
			fprintf(stderr, "dpath: receive: %s\n", ef_strerror(n));
			exit(1);
		}
		if (poll(&pfd, 1, 0) < 0)
			die("poll");
		if (pfd.revents || time(NULL) != d->last_tick) {
			d->last_tick = time(NULL);
			pipeline_poll(d->pipe, d->last_tick);
		}
	}
	feed = NULL;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Time and process CPU time (every thread) of the timed parts, in ns. */
struct spent {
	uint64_t wall, cpu;
};

/*
 * The timed parts, and what callgrind collects (--toggle-collect='timed_*'):
 * the chunks of the stream through the daemon, then shutdown_all()'s
 * pipeline_finish() and nfw_close(), which seals and places the file.
 * Each reads the clocks itself (no tail call for callgrind to misread).
 */
__attribute__((noinline)) static void timed_drain(struct daemon *d,
						  struct stream *s,
						  struct spent *sp)
{
	uint64_t w = clock_ns(CLOCK_MONOTONIC);
	uint64_t c = clock_ns(CLOCK_PROCESS_CPUTIME_ID);

	drain(d, s);
	sp->cpu += clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c;
	sp->wall += clock_ns(CLOCK_MONOTONIC) - w;
}

__attribute__((noinline)) static void timed_finish(struct daemon *d,
						   struct spent *sp)
{
	uint64_t w = clock_ns(CLOCK_MONOTONIC);
	uint64_t c = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	size_t left = pipeline_finish(d->pipe, 5000);

	if (left)
		fprintf(stderr, "dpath: %zu records not written\n", left);
	if (nfw_close(d->writer))
		die("finishing the file failed");
	d->writer = NULL;
	sp->cpu += clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c;
	sp->wall += clock_ns(CLOCK_MONOTONIC) - w;
}

/* ---- checking the output ------------------------------------------------- */

static int count_v3(void *ctx, const uint8_t *p, size_t len, uint32_t n)
{
	size_t q = 0;

	for (uint32_t i = 0; i < n && q + 4 <= len; i++) {
		uint16_t type, size;

		memcpy(&type, p + q, 2);
		memcpy(&size, p + q + 2, 2);
		if (type == NFR_TYPE_V3)
			(*(uint64_t *)ctx)++;
		q += size;
	}
	return 0;
}

/* The nfcapd files in @dir: count their flows, optionally remove them. */
static int scan_files(const char *dir, uint64_t *flows, char *first,
		      size_t firstlen, bool remove)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int nfiles = 0;

	if (!dp)
		return -1;
	while ((de = readdir(dp))) {
		char path[PATH_MAX];
		struct nff_walk w;
		int fd;

		if (strncmp(de->d_name, "nfcapd.", 7))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (remove) {
			unlink(path);
			continue;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || nff_walk(fd, &w, count_v3, flows) < 0 ||
		    w.stopped) {
			fprintf(stderr, "dpath: %s: not a whole nfcapd file\n",
				path);
			exit(1);
		}
		close(fd);
		if (!nfiles++ && first)
			snprintf(first, firstlen, "%s", path);
	}
	closedir(dp);
	return nfiles;
}

static int run(const char *dir, uint64_t flows, int comp, unsigned twin,
	       unsigned rep, bool keep)
{
	struct nfw_options o = { .dir = dir, .twin = twin, .compression = comp,
				 .ident = "dpath", .mode = 0640 };
	struct hashcache_config hcfg = { .workers = 1 };
	struct pipeline_config pcfg = { 0 };
	struct ef_client_opts copts = { .flags = EF_OPEN_EVENTS };
	uint64_t got = 0;
	struct spent sp = { 0, 0 };
	struct stream warm = { 0 }, main_s = { 0 };
	struct gen g;
	struct daemon d = { .next_seq = 1 };
	struct ef_client_counters cc;
	struct pipeline_stats ps;
	struct hc_stats hs;
	struct ef_stats st;
	char err[256], file[PATH_MAX] = "";
	bool more;
	int nfiles;

	/* Same stream for the same options, whatever the rep. */
	rng = 0x9e3779b97f4a7c15ull;
	seq = 1;
	make_procs();
	build_warm(&warm, T0_NS);
	gen_init(&g, flows);

	if (scan_files(dir, NULL, NULL, 0, true) < 0)
		die("cannot read the output directory");
	ev_sk = fake_sock();
	if (ef_client_wrap(&d.nl, fake_sock(), ev_sk, FAMILY_ID, &copts))
		die("ef_client_wrap");
	d.writer = nfw_open(&o, time(NULL), err, sizeof(err));
	if (!d.writer) {
		fprintf(stderr, "dpath: %s\n", err);
		return 1;
	}
	d.hc = hashcache_create(&hcfg);
	pcfg.writer = d.writer;
	pcfg.hc = d.hc;
	d.pipe = d.hc ? pipeline_create(&pcfg) : NULL;
	if (!d.pipe)
		die("cannot start the pipeline");
	if (ef_client_register(d.nl, on_record, &d, &st))
		die("register");

	/* Warm the hash cache, then wait until every program is hashed. */
	drain(&d, &warm);
	for (unsigned p = 0; p < NPROCS; p++) {
		struct hc_identity id = {
			procs[p].exe_major, procs[p].exe_minor, procs[p].exe_ino,
			procs[p].exe_size, procs[p].exe_mtime_ns };
		struct hc_result res;

		if (hashcache_lookup_wait(d.hc, &id, 30000, &res) != HC_DONE ||
		    !res.ok)
			die("an executable could not be hashed");
	}
	pipeline_poll(d.pipe, time(NULL));

	/* A chunk as large as one ef_client_recv() call takes. */
	do {
		stream_reset(&main_s);
		more = gen_more(&g, &main_s, CHUNK_MSGS);
		timed_drain(&d, &main_s, &sp);
	} while (more);
	timed_finish(&d, &sp);

	pipeline_get_stats(d.pipe, &ps);
	hashcache_stats(d.hc, &hs);
	ef_client_counters(d.nl, &cc);
	nfiles = scan_files(dir, &got, file, sizeof(file), false);
	printf("BENCH dpath rep=%u flows=%llu records=%llu msgs=%llu "
	       "recs_per_msg=%.1f secs=%.6f rps=%.0f cpu_us_per_rec=%.3f "
	       "written=%llu with_hash=%llu in_file=%llu "
	       "files=%d hashed=%llu comp=%s%s%s\n",
	       rep, (unsigned long long)flows,
	       (unsigned long long)main_s.records,
	       (unsigned long long)main_s.msgs,
	       (double)main_s.records / (double)main_s.msgs,
	       (double)sp.wall / 1e9,
	       (double)main_s.records / ((double)sp.wall / 1e9),
	       (double)sp.cpu / 1e3 / (double)main_s.records,
	       (unsigned long long)ps.written,
	       (unsigned long long)ps.with_hash, (unsigned long long)got,
	       nfiles, (unsigned long long)hs.hashed,
	       comp == NFF_COMP_LZ4 ? "lz4" : comp == NFF_COMP_LZO ? "lzo" : "none",
	       keep ? " file=" : "", keep ? file : "");
	fflush(stdout);
	/* Nothing may be lost, and nothing may go without its hash. */
	if (cc.malformed || d.seq_gaps || ps.dropped || ps.hash_timeouts ||
	    ps.written != main_s.ends || got != main_s.ends ||
	    ps.with_hash != main_s.hashed_ends) {
		fprintf(stderr, "dpath: malformed %llu, gaps %llu, dropped %llu, "
			"hash timeouts %llu, written %llu of %llu, in file %llu\n",
			(unsigned long long)cc.malformed,
			(unsigned long long)d.seq_gaps,
			(unsigned long long)ps.dropped,
			(unsigned long long)ps.hash_timeouts,
			(unsigned long long)ps.written,
			(unsigned long long)main_s.ends,
			(unsigned long long)got);
		return 1;
	}
	ef_client_close(d.nl);
	pipeline_destroy(d.pipe);
	hashcache_destroy(d.hc);
	stream_free(&warm);
	stream_free(&main_s);
	gen_free(&g);
	if (!keep)
		scan_files(dir, NULL, NULL, 0, true);
	return 0;
}

/* ---- cmp ------------------------------------------------------------------ */

struct blocks {
	uint8_t *p;
	size_t len, cap;
	uint32_t *nrec;
	size_t nb;
};

/* Keep the records of a block, with each flow's received time zeroed. */
static int keep_block(void *ctx, const uint8_t *p, size_t len, uint32_t n)
{
	struct blocks *b = ctx;
	size_t q = 0;

	if (b->len + len > b->cap) {
		b->cap = 2 * (b->len + len);
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, len);
	for (uint32_t i = 0; i < n && q + 12 <= len; i++) {
		uint8_t *r = b->p + b->len + q;
		uint16_t type, size, ne, el, et;
		size_t e = 12;

		memcpy(&type, r, 2);
		memcpy(&size, r + 2, 2);
		memcpy(&ne, r + 4, 2);
		for (unsigned k = 0; type == NFR_TYPE_V3 && k < ne &&
		     e + 4 <= size; k++) {
			memcpy(&et, r + e, 2);
			memcpy(&el, r + e + 2, 2);
			if (et == 1 && el >= 28)	/* EXgenericFlow */
				memset(r + e + 4 + 16, 0, 8);	/* msecReceived */
			if (el < 4)
				break;
			e += el;
		}
		if (size < 4)
			break;
		q += size;
	}
	b->len += len;
	b->nrec = xrealloc(b->nrec, (b->nb + 1) * sizeof(*b->nrec));
	b->nrec[b->nb++] = n;
	return 0;
}

static int load(const char *path, struct blocks *b, struct nff_walk *w,
		struct nff_stat *st, char *ident, size_t il)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || nff_walk(fd, w, keep_block, b) < 0 ||
	    nff_read_appendix(fd, st, ident, il) < 0) {
		fprintf(stderr, "dpath: %s: cannot read\n", path);
		return -1;
	}
	close(fd);
	return 0;
}

static int cmd_cmp(const char *a, const char *b)
{
	struct blocks ba = { 0 }, bb = { 0 };
	struct nff_walk wa, wb;
	struct nff_stat sa, sb;
	char ia[128], ib[128];
	size_t i;

	if (load(a, &ba, &wa, &sa, ia, sizeof(ia)) ||
	    load(b, &bb, &wb, &sb, ib, sizeof(ib)))
		return 2;
	/* Where the appendix starts depends on how well the received times
	 * compressed: compare what the blocks hold instead. */
	wa.h.created = wb.h.created = 0;
	if (wa.h.compression != NFF_COMP_NONE)
		wa.h.off_appendix = wb.h.off_appendix = 0;
	if (memcmp(&wa.h, &wb.h, sizeof(wa.h)) || wa.blocks != wb.blocks) {
		printf("dpath cmp: headers or block counts differ\n");
		return 1;
	}
	if (ba.nb != bb.nb || memcmp(ba.nrec, bb.nrec, ba.nb * sizeof(*ba.nrec))) {
		printf("dpath cmp: block boundaries differ\n");
		return 1;
	}
	if (ba.len != bb.len) {
		printf("dpath cmp: %zu vs %zu record bytes\n", ba.len, bb.len);
		return 1;
	}
	for (i = 0; i < ba.len && ba.p[i] == bb.p[i]; i++)
		;
	if (i < ba.len) {
		printf("dpath cmp: first difference at record byte %zu\n", i);
		return 1;
	}
	if (memcmp(&sa, &sb, sizeof(sa)) || strcmp(ia, ib)) {
		printf("dpath cmp: appendix (stat record or ident) differs\n");
		return 1;
	}
	printf("dpath cmp: identical but for received times: %zu blocks, %zu record bytes, %llu flows\n",
	       ba.nb, ba.len, (unsigned long long)sa.numflows);
	free(ba.p);
	free(bb.p);
	free(ba.nrec);
	free(bb.nrec);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: dpath [-n FLOWS] [-R REPS] [-z none|lz4|lzo] [-t SECS] [-k] DIR\n"
			"       dpath cmp FILE_A FILE_B\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t flows = 100000;
	unsigned reps = 1, twin = 300;
	int comp = NFF_COMP_NONE, c;
	bool keep = false;

	if (argc == 4 && !strcmp(argv[1], "cmp"))
		return cmd_cmp(argv[2], argv[3]);
	while ((c = getopt(argc, argv, "n:R:z:t:k")) != -1) {
		switch (c) {
		case 'n':
			flows = strtoull(optarg, NULL, 10);
			break;
		case 'R':
			reps = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'z':
			if (!strcmp(optarg, "none"))
				comp = NFF_COMP_NONE;
			else if (!strcmp(optarg, "lz4"))
				comp = NFF_COMP_LZ4;
			else if (!strcmp(optarg, "lzo"))
				comp = NFF_COMP_LZO;
			else
				usage();
			break;
		case 't':
			twin = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'k':
			keep = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || !flows || !reps || twin < 2)
		usage();
	for (unsigned r = 1; r <= reps; r++)
		if (run(argv[optind], flows, comp, twin, r, keep))
			return 1;
	return 0;
}
