// SPDX-License-Identifier: GPL-2.0
/*
 * gen_corpus OUTDIR: writes the seed corpora of the fuzz targets into
 * OUTDIR/<target>/, deterministically (fixed times, no pids or host names),
 * so that `make -C tests/fuzz corpus` reproduces the committed files byte
 * for byte. Messages are built with libnl the way the module builds them,
 * nfcapd files with the project's own writer; inputs of the targets that
 * read their input field by field (fuzz.h) are written in that order.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "flowconv.h"
#include "label.h"
#include "nffile.h"
#include "nfrecord.h"
#include "uapi/exeflow.h"

#define T0 1700000000LL	/* 2023-11-14 22:13:20 UTC */

static const char *outdir;

static void die(const char *what)
{
	fprintf(stderr, "gen_corpus: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void save(const char *target, const char *name, const void *p,
		 size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		die(path);
}

/* ---- byte writer mirroring fuzz.h's reader ---- */

struct bw {
	uint8_t b[65536];
	size_t n;
};

static void bw_be(struct bw *w, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		w->b[w->n++] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void bw_str(struct bw *w, const char *s, size_t max)
{
	size_t l = strlen(s);

	bw_be(w, l, max > 255 ? 2 : 1);
	memcpy(w->b + w->n, s, l);
	w->n += l;
}

static void bw_raw(struct bw *w, const void *p, size_t n)
{
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

/* ---- recparse: whole messages ---- */

static struct nl_msg *msg(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc_size(65536);

	if (!m || !genlmsg_put(m, 0, 7, 0x22, 0, 0, cmd, EXEFLOW_GENL_VERSION))
		die("nlmsg");
	return m;
}

/* The kernel's nla_put_u64_64bit: a PAD first where alignment wants it. */
static void u64(struct nl_msg *m, int type, int pad, uint64_t v)
{
	nla_put(m, pad, 0, NULL);
	nla_put_u64(m, type, v);
}

static void flow(struct nl_msg *m, int v6, int with_proc, const char *comm,
		 const char *exe)
{
	static const uint8_t s4[4] = { 10, 0, 0, 1 }, d4[4] = { 10, 0, 0, 2 };
	static const uint8_t s6[16] = { 0xfd, [15] = 1 }, d6[16] = { 0xfd, [15] = 2 };
	struct nlattr *fl = nla_nest_start(m, EXEFLOW_A_FLOW), *pr;
	const int pad = EXEFLOW_F_PAD;

	u64(m, EXEFLOW_F_SEQ, pad, 42);
	nla_put_u8(m, EXEFLOW_F_EVENT, EXEFLOW_EV_END);
	u64(m, EXEFLOW_F_FLOW_ID, pad, 1234);
	u64(m, EXEFLOW_F_NETNS_ID, pad, 1);
	nla_put_u8(m, EXEFLOW_F_FAMILY, v6 ? AF_INET6 : AF_INET);
	nla_put_u8(m, EXEFLOW_F_PROTO, IPPROTO_TCP);
	nla_put(m, EXEFLOW_F_SRC_ADDR, v6 ? 16 : 4, v6 ? s6 : s4);
	nla_put(m, EXEFLOW_F_DST_ADDR, v6 ? 16 : 4, v6 ? d6 : d4);
	nla_put_u16(m, EXEFLOW_F_SRC_PORT, 40000);
	nla_put_u16(m, EXEFLOW_F_DST_PORT, 443);
	nla_put_u8(m, EXEFLOW_F_DIRECTION, EXEFLOW_DIR_OUTBOUND);
	u64(m, EXEFLOW_F_FWD_PACKETS, pad, 10);
	u64(m, EXEFLOW_F_FWD_BYTES, pad, 1500);
	u64(m, EXEFLOW_F_REV_PACKETS, pad, 8);
	u64(m, EXEFLOW_F_REV_BYTES, pad, 9000);
	nla_put_u8(m, EXEFLOW_F_FWD_TCP_FLAGS, 0x1b);
	nla_put_u8(m, EXEFLOW_F_REV_TCP_FLAGS, 0x1b);
	u64(m, EXEFLOW_F_FIRST_NS, pad, T0 * 1000000000ULL);
	u64(m, EXEFLOW_F_LAST_NS, pad, (T0 + 3) * 1000000000ULL);
	nla_put_u32(m, EXEFLOW_F_IN_IFINDEX, 2);
	nla_put_u32(m, EXEFLOW_F_OUT_IFINDEX, 2);
	nla_put_u8(m, EXEFLOW_F_END_REASON, EXEFLOW_END_FIN);
	nla_put_u8(m, EXEFLOW_F_METHOD, with_proc ? EXEFLOW_M_TASK :
		   EXEFLOW_M_SOCKET_CREDS);
	u64(m, EXEFLOW_F_SOCK_COOKIE, pad, 77);
	nla_put_u32(m, EXEFLOW_F_SOCK_UID, 1000);
	u64(m, EXEFLOW_F_SOCK_CGROUP, pad, 5);
	if (with_proc) {
		pr = nla_nest_start(m, EXEFLOW_F_PROC | NLA_F_NESTED);
		nla_put_u32(m, EXEFLOW_P_TGID, 321);
		nla_put_u32(m, EXEFLOW_P_PID, 322);
		nla_put_u32(m, EXEFLOW_P_PPID, 1);
		nla_put_u32(m, EXEFLOW_P_SID, 321);
		nla_put_u32(m, EXEFLOW_P_PGID, 321);
		u64(m, EXEFLOW_P_START_NS, EXEFLOW_P_PAD, 123456789);
		nla_put_u32(m, EXEFLOW_P_UID, 1000);
		nla_put_u32(m, EXEFLOW_P_GID, 1000);
		nla_put_u32(m, EXEFLOW_P_EUID, 1000);
		nla_put_u32(m, EXEFLOW_P_EGID, 1000);
		nla_put_string(m, EXEFLOW_P_COMM, comm);
		if (exe)
			nla_put_string(m, EXEFLOW_P_EXE_PATH, exe);
		nla_put_u32(m, EXEFLOW_P_EXE_MAJOR, 8);
		nla_put_u32(m, EXEFLOW_P_EXE_MINOR, 1);
		u64(m, EXEFLOW_P_EXE_INO, EXEFLOW_P_PAD, 4242);
		u64(m, EXEFLOW_P_EXE_SIZE, EXEFLOW_P_PAD, 100000);
		u64(m, EXEFLOW_P_EXE_MTIME_NS, EXEFLOW_P_PAD, T0 * 1000000000ULL);
		u64(m, EXEFLOW_P_CGROUP_ID, EXEFLOW_P_PAD, 9);
		nla_put_u32(m, EXEFLOW_P_PIDNS_INUM, 4026531836u);
		nla_put_u32(m, EXEFLOW_P_FLAGS, EXEFLOW_PF_EXE_KNOWN |
			    EXEFLOW_PF_HAS_TTY | EXEFLOW_PF_FOREGROUND);
		nla_nest_end(m, pr);
	}
	nla_put_string(m, EXEFLOW_F_IN_IFNAME, "eth0");
	nla_put_string(m, EXEFLOW_F_OUT_IFNAME, "eth0");
	nla_nest_end(m, fl);
}

static void save_msg(const char *name, struct nl_msg *m)
{
	struct nlmsghdr *h = nlmsg_hdr(m);

	save("recparse", name, h, h->nlmsg_len);
	nlmsg_free(m);
}

static void gen_recparse(void)
{
	struct nl_msg *m;
	struct nlattr *st;

	m = msg(EXEFLOW_CMD_RECORDS);
	flow(m, 0, 1, "curl", "/usr/bin/curl");
	save_msg("records-v4-proc", m);

	m = msg(EXEFLOW_CMD_RECORDS);
	flow(m, 1, 1, "a comm = 16 chr", "/opt/my app/bin/%weird\"path");
	flow(m, 1, 0, "", NULL);
	save_msg("records-v6-two", m);

	m = msg(EXEFLOW_CMD_RECORDS);
	flow(m, 0, 1, "sshd", "/usr/sbin/sshd");
	nla_put(m, 99, 3, "abc");	/* an attribute from the future */
	nla_put(m, EXEFLOW_A_FLOW, 5, "\x04\x00\x03\x00\x01");	/* malformed */
	flow(m, 0, 0, "", NULL);
	save_msg("records-mixed", m);

	m = msg(EXEFLOW_CMD_GET_STATS);
	nla_put_u32(m, EXEFLOW_A_VERSION, EXEFLOW_GENL_VERSION);
	nla_put_u32(m, EXEFLOW_A_LISTENER, 4242);
	st = nla_nest_start(m, EXEFLOW_A_STATS);
	for (int i = EXEFLOW_S_PAD + 1; i <= EXEFLOW_S_MAX; i++)
		u64(m, i, EXEFLOW_S_PAD, (uint64_t)i * 1000);
	nla_nest_end(m, st);
	save_msg("stats", m);

	m = msg(EXEFLOW_CMD_RECORDS);
	save_msg("empty", m);
}

/* ---- nfrecord: fuzz.h field order of fuzz_nfrecord.c ---- */

static void gen_nfrecord(void)
{
	static const char *const labels[] = {
		"pid=321 ppid=1 uid=1000 gid=1000 euid=1000 user=alice comm=curl "
		"exe=/usr/bin/curl md5=0123456789abcdef0123456789abcdef "
		"sha256=- fg=1 cgroup=9 netns=1 how=task",
		"pid=- exe=/a%20b%25c user=%2D how=kernel",
		"broken%4",
	};
	struct bw w;

	/* lbl_encode: every field known, names with characters to escape */
	memset(&w, 0, sizeof(w));
	bw_be(&w, 0, 1);
	bw_be(&w, 0x7f, 1);
	for (int i = 0; i < 5; i++)
		bw_be(&w, 1000 + i, 4);
	bw_be(&w, 9, 8);
	bw_be(&w, 4026531840u, 8);
	bw_be(&w, 2, 1);	/* fg = 1 */
	bw_str(&w, "alice", 255);
	bw_str(&w, "my prog=1", 16);
	bw_str(&w, "/opt/a b/%x\"y\\z\x7f", 4095);
	bw_str(&w, "0123456789abcdef0123456789abcdef", 64);
	bw_str(&w, "-", 64);
	bw_str(&w, "task", 32);
	bw_be(&w, 0, 1);	/* how given */
	bw_be(&w, 64, 2);	/* a smaller buffer */
	save("nfrecord", "label-encode", w.b, w.n);

	/* lbl_get on some labels */
	for (unsigned i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		char name[32];

		memset(&w, 0, sizeof(w));
		bw_be(&w, 1, 1);
		bw_be(&w, 200, 2);	/* outlen */
		bw_str(&w, labels[i], 4096);
		bw_str(&w, "exe", 16);
		snprintf(name, sizeof(name), "label-get-%u", i);
		save("nfrecord", name, w.b, w.n);
	}

	/* nfr_flow: v4 and v6 with every optional part */
	for (int v6 = 0; v6 < 2; v6++) {
		memset(&w, 0, sizeof(w));
		bw_be(&w, 2, 1);
		bw_be(&w, v6 ? 0x90 : 0x10, 1);	/* family */
		bw_be(&w, 0x7f | 0x100, 2);	/* opts: all parts, cap max */
		bw_be(&w, T0 * 1000, 8);
		bw_be(&w, T0 * 1000 + 3000, 8);
		bw_be(&w, T0 * 1000 + 4000, 8);
		for (int i = 0; i < 16; i++) {
			bw_be(&w, i < 4 || v6 ? 10 + i : 0, 1);
			bw_be(&w, i < 4 || v6 ? 20 + i : 0, 1);
		}
		bw_be(&w, 40000, 2);
		bw_be(&w, 443, 2);
		bw_be(&w, IPPROTO_TCP, 1);
		bw_be(&w, 0x1b, 1);
		bw_be(&w, 0x1b, 1);
		bw_be(&w, 1, 1);	/* dir */
		bw_be(&w, 3, 1);	/* end reason */
		bw_be(&w, 10, 8);
		bw_be(&w, 1500, 8);
		bw_be(&w, 8, 8);
		bw_be(&w, 9000, 8);
		bw_be(&w, 2, 4);
		bw_be(&w, 3, 4);
		bw_str(&w, "eth0", 39);
		bw_str(&w, "veth-long-name-0", 39);
		bw_str(&w, "alice", 99);
		bw_be(&w, NFR_APP_ID_LEN, 1);
		for (int i = 0; i < 20; i++)
			bw_be(&w, i == 0 ? NFR_ENGINE_USER : i, 1);
		bw_str(&w, "curl", 299);
		bw_str(&w, "/usr/bin/curl", 299);
		bw_str(&w, labels[0], NFR_LABEL_MAX + 199);
		bw_be(&w, 300, 2);	/* nbar cap */
		bw_be(&w, 2, 1);	/* entries */
		bw_be(&w, 8, 1);	/* id len */
		bw_be(&w, 16, 2);
		bw_be(&w, 40, 2);
		save("nfrecord", v6 ? "flow-v6" : "flow-v4", w.b, w.n);
	}

	/* nfr_block_valid: a real block (flow + tables) */
	{
		struct nfw_flow f = { .family = AF_INET, .proto = IPPROTO_UDP,
				      .first_ms = T0 * 1000, .last_ms = T0 * 1000,
				      .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 },
				      .in_pkts = 1, .in_bytes = 100,
				      .user = "root", .label = labels[1] };
		struct nfr_ifname e = { 2, "eth0" };
		uint8_t id[NFR_APP_ID_LEN] = { NFR_ENGINE_USER, 1, 2, 3, 4, 5, 6, 7 };
		uint8_t *rec = malloc(NFR_FLOW_MAX);
		size_t n;

		if (!rec)
			die("malloc");
		memset(&w, 0, sizeof(w));
		bw_be(&w, 3, 1);
		bw_be(&w, 3, 1);	/* nrec */
		n = nfr_nbar1(rec, 512, id, sizeof(id), "dig", "/usr/bin/dig");
		bw_raw(&w, rec, n);
		n = nfr_ifname(rec, 64, &e, 1);
		bw_raw(&w, rec, n);
		f.app_id = id;
		f.app_id_len = sizeof(id);
		n = nfr_flow(rec, NFR_FLOW_MAX, &f);
		bw_raw(&w, rec, n);
		free(rec);
		save("nfrecord", "block", w.b, w.n);
	}
}

/* ---- flowconv: fuzz.h field order of fuzz_flowconv.c ---- */

static void gen_flowconv(void)
{
	for (int k = 0; k < 3; k++) {
		/* k 0: v4 task with hash; 1: v6 socket-creds; 2: kernel RST */
		uint8_t opts = k == 0 ? 4 | 8 : k == 1 ? 1 | 2 : 0;
		char name[32];
		struct bw w;

		memset(&w, 0, sizeof(w));
		bw_be(&w, opts, 1);
		bw_be(&w, 7, 8);		/* seq */
		bw_be(&w, EXEFLOW_EV_END, 1);
		bw_be(&w, 99, 8);		/* flow id */
		bw_be(&w, 1, 8);		/* netns */
		bw_be(&w, k == 2 ? IPPROTO_TCP : IPPROTO_UDP, 1);
		for (int i = 0; i < (opts & 1 ? 16 : 4); i++) {
			bw_be(&w, 10 + i, 1);
			bw_be(&w, 20 + i, 1);
		}
		bw_be(&w, 5353, 2);
		bw_be(&w, 53, 2);
		bw_be(&w, 0, 2);		/* icmp id */
		bw_be(&w, k == 2 ? EXEFLOW_DIR_INBOUND : EXEFLOW_DIR_OUTBOUND, 1);
		bw_be(&w, 1, 8);
		bw_be(&w, 60, 8);
		bw_be(&w, 1, 8);
		bw_be(&w, 120, 8);
		bw_be(&w, 0, 1);
		bw_be(&w, 0, 1);
		bw_be(&w, T0 * 1000000000ULL, 8);
		bw_be(&w, (T0 + 1) * 1000000000ULL, 8);
		bw_be(&w, 2, 4);
		bw_be(&w, 0, 4);
		bw_str(&w, "eth0", EF_IFNAME_LEN);
		bw_str(&w, "", EF_IFNAME_LEN);
		bw_be(&w, EXEFLOW_END_IDLE, 1);
		bw_be(&w, k == 0 ? EXEFLOW_M_TASK : k == 1 ?
		      EXEFLOW_M_SOCKET_CREDS : EXEFLOW_M_KERNEL, 1);
		bw_be(&w, 12345, 8);		/* cookie */
		if (opts & 2)
			bw_be(&w, 65534, 4);	/* sock uid */
		bw_be(&w, 11, 8);		/* sock cgroup */
		if (opts & 4) {
			bw_be(&w, 321, 4);
			bw_be(&w, 321, 4);
			bw_be(&w, 1, 4);
			for (int i = 0; i < 4; i++)
				bw_be(&w, 0, 4);	/* root */
			bw_str(&w, "dig", EF_COMM_LEN);
			bw_str(&w, "/usr/bin/dig", EF_PATH_LEN - 1);
			bw_be(&w, 8, 4);
			bw_be(&w, 1, 4);
			bw_be(&w, 4242, 8);
			bw_be(&w, 100000, 8);
			bw_be(&w, T0 * 1000000000ULL, 8);
			bw_be(&w, 9, 8);
			bw_be(&w, EXEFLOW_PF_EXE_KNOWN, 4);
		}
		for (int i = 0; i < EXEHASH_MD5_LEN + EXEHASH_SHA256_LEN; i++)
			bw_be(&w, i * 7, 1);
		bw_be(&w, T0 * 1000 + 5000, 8);	/* now */
		snprintf(name, sizeof(name), "record-%d", k);
		save("flowconv", name, w.b, w.n);
	}
}

/* ---- recover: nfcapd files as a killed writer leaves them ---- */

static uint8_t filebuf[1 << 20];

/* A current file with @blocks blocks of flows, unsealed (or sealed). */
static size_t make_file(int comp, int blocks, int sealed)
{
	char dir[] = "/tmp/exeflow-gen.XXXXXX", path[64];
	struct nff_out *o = nff_out_new(comp);
	struct nff_stat st;
	uint8_t *rec = malloc(NFR_FLOW_MAX);
	struct nfr_ifname e = { 2, "eth0" };
	uint8_t id[NFR_APP_ID_LEN] = { NFR_ENGINE_USER, 9, 8, 7, 6, 5, 4, 3 };
	ssize_t n;
	int dfd, fd;

	if (!o || !rec || !mkdtemp(dir))
		die("make_file");
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || nff_out_create(o, dfd, "cur", 0640, T0) < 0)
		die("nff_out_create");
	nfr_stat_init(&st);
	for (int b = 0; b < blocks; b++) {
		for (int i = 0; i < 3; i++) {
			char label[128];
			struct nfw_flow f = {
				.family = i == 1 ? AF_INET6 : AF_INET,
				.proto = i == 2 ? IPPROTO_ICMP : IPPROTO_TCP,
				.first_ms = T0 * 1000 + i, .last_ms = T0 * 1000 + 9,
				.src = { 10, 0, 0, (uint8_t)b }, .dst = { 10, 0, 0, 9 },
				.sport = (uint16_t)(1000 + i), .dport = 80,
				.in_pkts = 3, .in_bytes = 300, .out_pkts = 2,
				.out_bytes = 200, .in_if = 2, .user = "alice",
				.app_id = id, .app_id_len = sizeof(id),
				.label = label,
			};
			size_t m;

			snprintf(label, sizeof(label),
				 "pid=%d user=alice comm=curl exe=/usr/bin/curl how=task",
				 100 + i);
			m = nfr_nbar1(rec, 512, id, sizeof(id), "curl",
				      "/usr/bin/curl");
			nff_out_append(o, rec, m);
			m = nfr_ifname(rec, 64, &e, 1);
			nff_out_append(o, rec, m);
			m = nfr_flow(rec, NFR_FLOW_MAX, &f);
			if (nff_out_append(o, rec, m) < 0)
				die("append");
			nfr_stat_add_flow(&st, &f);
		}
		if (nff_out_flush(o) < 0)
			die("flush");
	}
	if (sealed && nff_out_finalise(o, "seed", &st) < 0)
		die("finalise");
	snprintf(path, sizeof(path), "%s/cur", dir);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, filebuf, sizeof(filebuf));
	if (n < 0)
		die("read back");
	close(fd);
	unlink(path);
	rmdir(dir);
	close(dfd);
	nff_out_free(o);
	free(rec);
	return (size_t)n;
}

static void save_recover(const char *name, uint8_t flags, uint8_t merge,
			 const uint8_t *pre,
			 size_t pre_len, const uint8_t *p, size_t n)
{
	static uint8_t b[2 << 20];
	size_t k = 0;

	b[k++] = flags;
	if (!(flags & 1))
		b[k++] = 240;		/* twin 60 + 240 = 300 */
	b[k++] = merge;
	if (flags & 0x20) {
		b[k++] = (uint8_t)(pre_len >> 8);
		b[k++] = (uint8_t)pre_len;
		memcpy(b + k, pre, pre_len);
		k += pre_len;
	}
	memcpy(b + k, p, n);
	save("recover", name, b, k + n);
}

static void gen_recover(const char *golden)
{
	static uint8_t sealed[1 << 16];
	size_t n, sn;
	FILE *f;

	/* flags: fuzz_recover.c; bits 6-7: 1 LZO, 2 LZ4 for what it writes */
	n = make_file(NFF_COMP_NONE, 2, 0);
	save_recover("plain-2blocks", 0x01, 0, NULL, 0, filebuf, n);
	save_recover("plain-torn", 0x01, 0, NULL, 0, filebuf, n - 7);
	save_recover("plain-subdir", 0x03, 0, NULL, 0, filebuf, n);
	n = make_file(NFF_COMP_LZ4, 2, 0);
	save_recover("lz4-2blocks", 0x81, 0, NULL, 0, filebuf, n);
	n = make_file(NFF_COMP_LZO, 1, 0);
	save_recover("lzo-1block", 0x40, 0, NULL, 0, filebuf, n);
	save_recover("header-only", 0x01, 0, NULL, 0, filebuf, NFF_HEADER_LEN);
	sn = make_file(NFF_COMP_NONE, 1, 1);
	memcpy(sealed, filebuf, sn);
	save_recover("sealed", 0x01, 0, NULL, 0, sealed, sn);
	/* a finished merge whose rename did not happen */
	save_recover("merge-file", 0x01, 1, NULL, 0, sealed, sn);
	/* the slot's file exists already: merge */
	n = make_file(NFF_COMP_LZ4, 1, 0);
	save_recover("merge", 0x21, 0, sealed, sn, filebuf, n);
	f = fopen(golden, "rb");
	if (f) {
		n = fread(filebuf, 1, sizeof(filebuf), f);
		fclose(f);
		save_recover("nfcapd-1.7.1", 0x01, 0, NULL, 0, filebuf, n);
	} else {
		fprintf(stderr, "gen_corpus: %s: %s (skipped)\n", golden,
			strerror(errno));
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gen_corpus OUTDIR GOLDEN.nfcapd\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST)
		die(outdir);
	gen_recparse();
	gen_nfrecord();
	gen_flowconv();
	gen_recover(argv[2]);
	return 0;
}
