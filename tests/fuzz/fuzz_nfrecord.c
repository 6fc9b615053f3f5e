// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the nfcapd record encoder and the EXlabel codec, in
 * memory (label.c, nfrecord.c).
 *
 *   - lbl_encode of arbitrary process fields into a buffer of arbitrary
 *     size: never past the buffer, ERANGE or a label whose every key
 *     decodes back (lbl_get) to what went in, in the documented charset;
 *   - lbl_get on an arbitrary label string, with an arbitrary output size;
 *   - nfr_flow of an arbitrary flow into a buffer of arbitrary size: the
 *     record must be one that nfdump can walk (nfr_block_valid), and the
 *     stat arithmetic from the record must equal the one from the flow;
 *   - nfr_nbar1 / nfr_nbar / nfr_ifname tables, likewise walkable;
 *   - nfr_block_valid and nfr_stat_add_record on arbitrary bytes.
 * Output buffers are heap blocks of exactly the size passed, so ASan sees
 * any write past them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "label.h"
#include "nfrecord.h"

static const char *const keys[] = {
	"pid", "ppid", "uid", "gid", "euid", "user", "comm", "exe", "md5",
	"sha256", "fg", "cgroup", "netns", "how",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static char user[256], comm[17], exe[4096], md5[65], sha[65], how[33];
static char dec[LBL_MAX];

/* What lbl_get must give for a string field. */
static void expect_str(const char *label, const char *key, const char *v)
{
	int r = lbl_get(label, key, dec, sizeof(dec));

	if (!*v) {
		FZ_CHECK(r == 0, "%s: unknown value decoded as %d", key, r);
		return;
	}
	FZ_CHECK(r == 1 && !strcmp(dec, v), "%s: got %d '%s', want '%s'", key,
		 r, dec, v);
}

static void expect_num(const char *label, const char *key, int known,
		       uint64_t v)
{
	char want[24];

	snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
	expect_str(label, key, known ? want : "");
}

static void fuzz_label(struct fz *f)
{
	struct lbl_proc p = { 0 };
	size_t len;
	char *buf;
	int n;

	p.have = fz_u8(f);
	p.pid = fz_u32(f);
	p.ppid = fz_u32(f);
	p.uid = fz_u32(f);
	p.gid = fz_u32(f);
	p.euid = fz_u32(f);
	p.cgroup = fz_u64(f);
	p.netns = fz_u64(f);
	p.fg = fz_u8(f) % 3 - 1;
	fz_str(f, user, sizeof(user) - 1);
	fz_str(f, comm, sizeof(comm) - 1);
	fz_str(f, exe, sizeof(exe) - 1);
	fz_str(f, md5, sizeof(md5) - 1);
	fz_str(f, sha, sizeof(sha) - 1);
	fz_str(f, how, sizeof(how) - 1);
	p.user = user;
	p.comm = comm;
	p.exe = exe;
	p.md5 = md5;
	p.sha256 = sha;
	/* NULL and "" both mean unknown */
	p.how = fz_bool(f) ? NULL : how;

	/* Within the daemon's limits a label always fits in LBL_MAX. */
	buf = malloc(LBL_MAX);
	FZ_CHECK(buf, "malloc");
	n = lbl_encode(buf, LBL_MAX, &p);
	FZ_CHECK(n >= 0 && (size_t)n < LBL_MAX && buf[n] == 0 &&
		 strlen(buf) == (size_t)n, "encode returned %d", n);
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		FZ_CHECK(c == ' ' || (c > 0x20 && c < 0x7f && c != '"' &&
				      c != '\\'), "byte 0x%02x in label", c);
		FZ_CHECK(c != ' ' || (i > 0 && buf[i - 1] != ' '), "empty token");
	}
	expect_num(buf, "pid", p.have & LBL_PID, p.pid);
	expect_num(buf, "ppid", p.have & LBL_PPID, p.ppid);
	expect_num(buf, "uid", p.have & LBL_UID, p.uid);
	expect_num(buf, "gid", p.have & LBL_GID, p.gid);
	expect_num(buf, "euid", p.have & LBL_EUID, p.euid);
	expect_str(buf, "user", user);
	expect_str(buf, "comm", comm);
	expect_str(buf, "exe", exe);
	expect_str(buf, "md5", md5);
	expect_str(buf, "sha256", sha);
	expect_num(buf, "fg", p.fg >= 0, p.fg > 0);
	expect_num(buf, "cgroup", p.have & LBL_CGROUP, p.cgroup);
	expect_num(buf, "netns", p.have & LBL_NETNS, p.netns);
	expect_str(buf, "how", p.how ? how : "");

	/* A smaller buffer: the same label, or ERANGE and an empty string. */
	{
		size_t full = (size_t)n;
		char *copy = strdup(buf);

		FZ_CHECK(copy, "strdup");
		free(buf);
		len = fz_u16(f) % (full + 8);
		buf = len ? malloc(len) : NULL;
		errno = 0;
		n = lbl_encode(buf, len, &p);
		if (len > full) {
			FZ_CHECK(n == (int)full && !strcmp(buf, copy),
				 "encode into %zu: %d", len, n);
		} else {
			FZ_CHECK(n == -1 && errno == ERANGE, "encode into %zu: %d",
				 len, n);
			FZ_CHECK(!len || buf[0] == 0, "ERANGE left a partial label");
		}
		free(copy);
	}
	free(buf);
}

/* lbl_get on whatever label the input holds. */
static void fuzz_label_get(struct fz *f)
{
	char *label = malloc(4097), key[17], *out;
	size_t outlen = fz_u16(f) % 300;
	int r;

	FZ_CHECK(label, "malloc");
	fz_str(f, label, 4096);
	fz_str(f, key, 16);
	out = outlen ? malloc(outlen) : NULL;
	for (size_t i = 0; i <= NKEYS; i++) {
		const char *k = i < NKEYS ? keys[i] : key;

		r = lbl_get(label, k, out, outlen);
		FZ_CHECK(r >= -1 && r <= 1, "lbl_get returned %d", r);
		if (r >= 0 && outlen)
			FZ_CHECK(memchr(out, 0, outlen), "unterminated value");
		if (r == 0 && outlen)
			FZ_CHECK(out[0] == 0, "unknown value not empty");
	}
	free(out);
	free(label);
}

static void check_block(const uint8_t *p, size_t len, uint32_t nrec,
			const char *what)
{
	int app;

	FZ_CHECK(nfr_block_valid(p, len, nrec, &app) == 1 && !app,
		 "%s: not a walkable block (%zu bytes)", what, len);
}

static char label[NFR_LABEL_MAX + 200], fuser[100], aname[300], adesc[300];
static char ifn1[40], ifn2[40];

static void fuzz_flow(struct fz *f)
{
	struct nfw_flow fl = { 0 };
	struct nff_stat a, b;
	uint8_t app_id[20], fam = fz_u8(f), *buf;
	uint16_t opts = fz_u16(f);
	size_t cap, n;

	fl.first_ms = fz_u64(f);
	fl.last_ms = fz_u64(f);
	fl.received_ms = fz_u64(f);
	fl.family = fam < 0x80 ? AF_INET : fam < 0xf0 ? AF_INET6 : fam;
	for (int i = 0; i < 16; i++) {
		fl.src[i] = fz_u8(f);
		fl.dst[i] = fz_u8(f);
	}
	fl.sport = fz_u16(f);
	fl.dport = fz_u16(f);
	fl.proto = fz_u8(f);
	fl.tcp_flags = fz_u8(f);
	fl.rev_tcp_flags = fz_u8(f);
	fl.dir = fz_u8(f);
	fl.end_reason = fz_u8(f);
	fl.in_pkts = fz_u64(f);
	fl.in_bytes = fz_u64(f);
	fl.out_pkts = fz_u64(f);
	fl.out_bytes = fz_u64(f);
	fl.in_if = fz_u32(f);
	fl.out_if = fz_u32(f);
	fz_str(f, ifn1, sizeof(ifn1) - 1);
	fz_str(f, ifn2, sizeof(ifn2) - 1);
	fl.in_ifname = opts & 1 ? ifn1 : NULL;
	fl.out_ifname = opts & 2 ? ifn2 : NULL;
	fz_str(f, fuser, sizeof(fuser) - 1);
	fl.user = opts & 4 ? fuser : NULL;
	fl.app_id_len = fz_u8(f) % 20;
	for (int i = 0; i < 20; i++)
		app_id[i] = fz_u8(f);
	fl.app_id = opts & 8 ? app_id : NULL;
	fz_str(f, aname, sizeof(aname) - 1);
	fz_str(f, adesc, sizeof(adesc) - 1);
	fl.app_name = aname;
	fl.app_desc = opts & 16 ? adesc : NULL;
	fz_str(f, label, sizeof(label) - 1);
	fl.label = opts & 32 ? label : NULL;

	cap = opts & 64 ? NFR_FLOW_MAX : fz_u16(f);
	buf = malloc(cap ? cap : 1);
	FZ_CHECK(buf, "malloc");
	n = nfr_flow(buf, cap, &fl);
	FZ_CHECK(n <= cap, "%zu bytes into %zu", n, cap);
	if (cap == NFR_FLOW_MAX && (fl.family == AF_INET || fl.family == AF_INET6)
	    && fl.app_id_len <= 15 && (!fl.app_id_len || fl.app_id))
		FZ_CHECK(n > 0, "valid flow not encoded");
	if (n) {
		uint16_t t, s;

		memcpy(&t, buf, 2);
		memcpy(&s, buf + 2, 2);
		FZ_CHECK(t == NFR_TYPE_V3 && s == n, "record header %u/%u", t, s);
		check_block(buf, n, 1, "nfr_flow");
		nfr_stat_init(&a);
		nfr_stat_init(&b);
		nfr_stat_add_flow(&a, &fl);
		nfr_stat_add_record(&b, buf, n);
		FZ_CHECK(!memcmp(&a, &b, sizeof(a)),
			 "stat from the record differs from the flow's");
	}
	free(buf);

	/* The tables the writer puts before a flow. */
	buf = malloc(512);
	FZ_CHECK(buf, "malloc");
	if (fl.app_id_len) {
		n = nfr_nbar1(buf, 512, app_id, fl.app_id_len, aname,
			      fl.app_desc);
		if (fl.app_id_len <= 15)
			FZ_CHECK(n > 0 && n % 4 == 0, "nbar1: %zu", n);
		if (n)
			check_block(buf, n, 1, "nfr_nbar1");
	}
	{
		struct nfr_ifname e[2] = { { fl.in_if, ifn1 }, { fl.out_if, ifn2 } };

		n = nfr_ifname(buf, 512, e, 1 + (opts >> 8 & 1));
		FZ_CHECK(n > 0, "ifname");
		check_block(buf, n, 1, "nfr_ifname");
	}
	{
		struct nfr_app apps[3] = {
			{ app_id, aname, adesc }, { app_id, adesc, aname },
			{ app_id, ifn1, NULL },
		};
		size_t c2 = fz_u16(f) % 1024;
		unsigned ne = fz_u8(f) % 4;
		uint8_t il = fz_u8(f) % 16;
		uint16_t nl = fz_u16(f) % 300, dl = fz_u16(f) % 300;
		uint8_t *b2 = malloc(c2 ? c2 : 1);

		FZ_CHECK(b2, "malloc");
		n = nfr_nbar(b2, c2, apps, ne, il, nl, dl);
		FZ_CHECK(n <= c2, "nbar %zu into %zu", n, c2);
		if (n)
			check_block(b2, n, 1, "nfr_nbar");
		free(b2);
	}
	free(buf);
}

/* Whatever is left: an arbitrary block. */
static void fuzz_block(struct fz *f)
{
	uint32_t nrec = fz_u8(f);
	uint8_t *p = fz_dup(f->p, f->n);
	int app;

	if (nfr_block_valid(p, f->n, nrec, &app)) {
		struct nff_stat st;
		size_t q = 0;

		nfr_stat_init(&st);
		for (uint32_t i = 0; i < nrec; i++) {
			uint16_t s;

			FZ_CHECK(q + 4 <= f->n, "valid block overruns");
			memcpy(&s, p + q + 2, 2);
			FZ_CHECK(s >= 4 && q + s <= f->n, "record %u size %u", i, s);
			nfr_stat_add_record(&st, p + q, s);
			q += s;
		}
		FZ_CHECK(q == f->n, "valid block does not tile");
	}
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t which = fz_u8(&f);

	/* Each part sees its own slice of the input as often as the others. */
	switch (which % 4) {
	case 0:
		fuzz_label(&f);
		break;
	case 1:
		fuzz_label_get(&f);
		break;
	case 2:
		fuzz_flow(&f);
		break;
	default:
		fuzz_block(&f);
		break;
	}
	return 0;
}
