// SPDX-License-Identifier: GPL-2.0
/*
 * The nfcapd writer's writer thread (nffile.c): blocks written in the
 * background are byte for byte what writing them inline gave; flush and
 * finalise wait for them; a background write that fails keeps its records,
 * the next flush or append retries it, and nothing is lost or written
 * twice; encoding in place (nff_out_tail/commit) ends blocks where
 * nff_out_append() does.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nffile.h"
#include "nfrecord.h"
#include "nfrotate.h"
#include "tmpdir.h"

#define T0 ((time_t)1700000000)
#define NREC 30000	/* ~12 MiB of records: a dozen blocks */

static char label[512];

/* Flow @i: its own ports and byte count, and a label of 20-460 bytes so
 * records come in many sizes and blocks end at odd places. */
static struct nfw_flow flow(unsigned i)
{
	static const uint8_t app[8] = { 6, 1, 2, 3, 4, 5, 6, 7 };
	uint64_t t = (uint64_t)T0 * 1000 + i;
	struct nfw_flow f = {
		.first_ms = t, .last_ms = t + 500, .received_ms = t + 600,
		.family = AF_INET, .sport = (uint16_t)i, .dport = 443,
		.proto = 6, .tcp_flags = 0x1b, .in_pkts = 2,
		.in_bytes = 1000000 + i, .out_pkts = 3, .out_bytes = 1000,
		.out_if = 2, .out_ifname = "eth0", .dir = 1, .user = "alice",
		.app_id = app, .app_id_len = 8, .app_name = "curl",
		.app_desc = "/usr/bin/curl", .label = label,
	};
	size_t n = 20 + (i * 7919u) % 441;

	memset(label, 'a' + i % 26, n);
	label[n] = 0;
	inet_pton(AF_INET, "10.0.0.1", f.src);
	inet_pton(AF_INET, "93.184.216.34", f.dst);
	return f;
}

/* No ck_assert here: while a file size limit is in force, Check cannot
 * record passing assertions either (its message file is limited too). */
static size_t rec(unsigned i, uint8_t *buf, size_t cap)
{
	struct nfw_flow f = flow(i);
	size_t n = nfr_flow(buf, cap, &f);

	if (!n)
		abort();
	return n;
}

/* Records [0, n) encoded once, so appending them is fast enough to catch
 * the thread still busy with the previous block. */
struct recs {
	uint8_t *b;
	size_t *off;	/* n + 1 offsets */
};

static struct recs encode_all(unsigned n)
{
	struct recs r = { malloc((size_t)n * 700),
			  malloc((n + 1) * sizeof(size_t)) };

	ck_assert(r.b && r.off);
	r.off[0] = 0;
	for (unsigned i = 0; i < n; i++)
		r.off[i + 1] = r.off[i] + rec(i, r.b + r.off[i], NFR_FLOW_MAX);
	return r;
}

/* Records read back, checked against rec(first + k) in order. */
struct expect {
	unsigned next, blocks;
	int bad;
};

static int check_block(void *ctx, const uint8_t *p, size_t len, uint32_t n)
{
	struct expect *e = ctx;
	uint8_t want[NFR_FLOW_MAX];
	size_t q = 0;

	e->blocks++;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t size;
		size_t wl = rec(e->next, want, sizeof(want));

		memcpy(&size, p + q + 2, 2);
		if (size != wl || q + size > len || memcmp(p + q, want, wl)) {
			e->bad = 1;
			return 0;
		}
		e->next++;
		q += size;
	}
	return 0;
}

static int open_tmp(const char *rel, int flags)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	return open(p, flags);
}

static struct expect read_back(const char *rel, struct nff_walk *w)
{
	struct expect e = { 0 };
	int fd = open_tmp(rel, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(nff_walk(fd, w, check_block, &e), 0);
	close(fd);
	ck_assert_msg(!e.bad, "record %u differs", e.next);
	return e;
}

static off_t file_size(const char *rel)
{
	char p[512];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	return stat(p, &sb) ? -1 : sb.st_size;
}

/* Append records [from, to) of @r, half of them through tail/commit as
 * nfw_write() does; returns how many calls failed. */
static unsigned put_recs(struct nff_out *o, const struct recs *r,
			 unsigned from, unsigned to)
{
	unsigned bad = 0;

	for (unsigned i = from; i < to; i++) {
		const uint8_t *b = r->b + r->off[i];
		size_t room, n = r->off[i + 1] - r->off[i];
		uint8_t *p = nff_out_tail(o, &room);

		if (i % 2 == 0 && n <= room) {
			memcpy(p, b, n);
			bad += nff_out_commit(o, n) != 0;
		} else {
			bad += nff_out_append(o, b, n) != 0;
		}
	}
	return bad;
}

/*
 * The data blocks of a file holding records 0..n-1, built here the way the
 * inline writer did: blocks filled greedily to 1 MiB, each compressed on
 * its own (same library calls), 12-byte header, nothing in between.
 */
static uint8_t *expected_blocks(int comp, unsigned n, size_t *len)
{
	size_t cap = (size_t)n * 700 + (1u << 20), used = 0, off = 0;
	uint8_t *out = malloc(cap), *blk = malloc(NFF_BLOCK_MAX);
	uint8_t *z = malloc(NFF_BLOCK_MAX + NFF_BLOCK_MAX / 16 + 8192);
	int zcap = LZ4_compressBound(NFF_BLOCK_MAX);
	void *wrk = malloc(LZO1X_1_MEM_COMPRESS);
	uint32_t nrec = 0;

	ck_assert(out && blk && z && wrk);
	ck_assert_int_eq(lzo_init(), LZO_E_OK);
	for (unsigned i = 0; i <= n; i++) {
		uint8_t r[NFR_FLOW_MAX];
		size_t rl = i < n ? rec(i, r, sizeof(r)) : 0;

		if (nrec && (i == n || used + rl > NFF_BLOCK_MAX)) {
			uint32_t zl = (uint32_t)used;
			uint16_t type = 3, flags = 0;
			const uint8_t *payload = blk;

			if (comp == NFF_COMP_LZ4) {
				zl = (uint32_t)LZ4_compress_default((char *)blk,
					(char *)z, (int)used, zcap);
				payload = z;
			} else if (comp == NFF_COMP_LZO) {
				lzo_uint l = 0;
				int lr = lzo1x_1_compress(blk, used, z, &l, wrk);

				ck_assert_int_eq(lr, LZO_E_OK);
				zl = (uint32_t)l;
				payload = z;
			}
			ck_assert_uint_lt(off + 12 + zl, cap);
			memcpy(out + off, &nrec, 4);
			memcpy(out + off + 4, &zl, 4);
			memcpy(out + off + 8, &type, 2);
			memcpy(out + off + 10, &flags, 2);
			memcpy(out + off + 12, payload, zl);
			off += 12 + zl;
			used = 0;
			nrec = 0;
		}
		if (i < n) {
			memcpy(blk + used, r, rl);
			used += rl;
			nrec++;
		}
	}
	free(blk);
	free(z);
	free(wrk);
	*len = off;
	return out;
}

/* ---- tests ---- */

/* Many blocks through the thread: the data blocks are the bytes the inline
 * writer made, the header counts them, and every record reads back. */
static void blocks_identical(int comp)
{
	struct nff_out *o = nff_out_new(comp);
	struct recs r = encode_all(NREC);
	struct nff_stat st;
	struct nff_walk w;
	struct expect e;
	size_t want_len;
	uint8_t *want, *got;
	int dfd, fd;

	mk_tmp_named("test_nfwthread");
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(nff_out_create(o, dfd, "f", 0600, T0), 0);
	ck_assert_uint_eq(put_recs(o, &r, 0, NREC), 0);
	nfr_stat_init(&st);
	ck_assert_int_eq(nff_out_finalise(o, "h", &st), 0);
	nff_out_free(o);
	close(dfd);

	e = read_back("f", &w);
	ck_assert_uint_eq(e.next, NREC);
	ck_assert_uint_ge(e.blocks, 10);
	ck_assert_uint_eq(w.h.num_blocks, e.blocks);
	ck_assert_int_eq(w.stopped, 0);

	want = expected_blocks(comp, NREC, &want_len);
	ck_assert_int_eq(w.h.off_appendix, NFF_HEADER_LEN + (off_t)want_len);
	got = malloc(want_len);
	fd = open_tmp("f", O_RDONLY);
	ck_assert_int_eq(pread(fd, got, want_len, NFF_HEADER_LEN),
			 (ssize_t)want_len);
	close(fd);
	ck_assert_mem_eq(got, want, want_len);
	free(got);
	free(want);
	free(r.b);
	free(r.off);
	rm_tmp();
}

START_TEST(blocks_identical_none) { blocks_identical(NFF_COMP_NONE); }
END_TEST
START_TEST(blocks_identical_lz4) { blocks_identical(NFF_COMP_LZ4); }
END_TEST
START_TEST(blocks_identical_lzo) { blocks_identical(NFF_COMP_LZO); }
END_TEST

/* After flush returns, whatever was handed to the thread is in the file,
 * and the file ends with a whole block: a reader sees every record. */
START_TEST(flush_waits_for_thread)
{
	struct nff_out *o = nff_out_new(NFF_COMP_LZ4);
	struct recs r = encode_all(NREC);
	unsigned done = 0;
	int dfd;

	mk_tmp_named("test_nfwthread");
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(nff_out_create(o, dfd, "f", 0600, T0), 0);
	for (int round = 0; round < 4; round++) {
		struct nff_walk w;
		struct expect e;
		unsigned to = done + 2500 + 1700 * (unsigned)round;

		ck_assert_uint_eq(put_recs(o, &r, done, to), 0);
		done = to;
		ck_assert_int_eq(nff_out_flush(o), 0);
		ck_assert_uint_eq(nff_out_buffered(o), 0);
		e = read_back("f", &w);
		ck_assert_uint_eq(e.next, done);
		ck_assert_int_eq(w.stopped, 0);
		ck_assert_int_eq(w.end, file_size("f"));
	}
	nff_out_free(o);
	close(dfd);
	free(r.b);
	free(r.off);
	rm_tmp();
}
END_TEST

/*
 * The file size limit makes writes fail as a full disk would (EFBIG for
 * ENOSPC). It limits Check's own message file too, so the tests note what
 * happened while it is in force and assert only after lifting it.
 */
static void set_fsize(rlim_t lim)
{
	struct rlimit r;

	getrlimit(RLIMIT_FSIZE, &r);
	r.rlim_cur = lim;
	if (setrlimit(RLIMIT_FSIZE, &r))
		abort();
}

/*
 * Append until the first block is handed over, under a file size limit
 * that makes its write fail. Returns the number of records appended, or 0
 * if an append failed: the one that handed the block over must succeed,
 * which inline writing could not have done.
 */
static unsigned fill_past_first_block(struct nff_out *o, size_t *bytes)
{
	uint8_t b[NFR_FLOW_MAX];
	unsigned i;

	*bytes = 0;
	for (i = 0;; i++) {
		size_t n = rec(i, b, sizeof(b));
		int handing_over = nff_out_buffered(o) + n > NFF_BLOCK_MAX;

		if (nff_out_append(o, b, n))
			return 0;
		*bytes += n;
		if (handing_over)
			return i + 1;
	}
}

/*
 * A new file @name in a fresh test directory, then records appended under
 * a 4 KiB file size limit until the first block is handed over (its write
 * fails in the thread). Returns the directory's fd; *k as
 * fill_past_first_block() returns it.
 */
static int open_failing(struct nff_out *o, const char *name, size_t *bytes,
			unsigned *k)
{
	int dfd;

	signal(SIGXFSZ, SIG_IGN);
	mk_tmp_named("test_nfwthread");
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(nff_out_create(o, dfd, name, 0600, T0), 0);
	set_fsize(4096);
	*k = fill_past_first_block(o, bytes);
	return dfd;
}

/* A failed background write is found by flush, which retries it and says
 * so; records are refused, not lost, until a retry succeeds, and then all
 * of them are in the file exactly once, in order. */
START_TEST(background_failure_found_by_flush)
{
	struct nff_out *o = nff_out_new(NFF_COMP_LZ4);
	struct recs r = encode_all(NREC);
	uint8_t b[NFR_FLOW_MAX];
	struct nff_stat st;
	struct nff_walk w;
	struct expect e;
	size_t bytes, n, buffered[2];
	int dfd, fr, fe, ar, ae, fr2;
	off_t size;
	unsigned k;

	dfd = open_failing(o, "f", &bytes, &k);
	errno = 0;
	fr = nff_out_flush(o);
	fe = errno;
	buffered[0] = nff_out_buffered(o);
	size = file_size("f");
	/* The failed block is a full buffer: the next record waits outside. */
	n = rec(k, b, sizeof(b));
	errno = 0;
	ar = nff_out_append(o, b, n);
	ae = errno;
	buffered[1] = nff_out_buffered(o);
	fr2 = nff_out_flush(o);
	set_fsize(RLIM_INFINITY);

	ck_assert_uint_gt(k, 0);
	ck_assert_int_eq(fr, -1);
	ck_assert_int_eq(fe, EFBIG);
	ck_assert_uint_eq(buffered[0], bytes);
	ck_assert_int_eq(size, NFF_HEADER_LEN);	/* cut back */
	ck_assert_int_eq(ar, -1);
	ck_assert_int_eq(ae, EFBIG);
	ck_assert_uint_eq(buffered[1], bytes);
	ck_assert_int_eq(fr2, -1);
	ck_assert_int_eq(nff_out_append(o, b, n), 0);	/* retried first */
	ck_assert_uint_eq(put_recs(o, &r, k + 1, k + 3000), 0);
	nfr_stat_init(&st);
	ck_assert_int_eq(nff_out_finalise(o, "h", &st), 0);
	nff_out_free(o);
	close(dfd);
	e = read_back("f", &w);
	ck_assert_uint_eq(e.next, k + 3000);
	ck_assert_int_eq(w.stopped, 0);
	free(r.b);
	free(r.off);
	rm_tmp();
}
END_TEST

/* The disk recovers before anyone looks: the retry succeeds and no call
 * fails, but the failure is still counted (nfw_stats.errors adds it). */
START_TEST(background_failure_counted_when_retry_succeeds)
{
	struct nff_out *o = nff_out_new(NFF_COMP_NONE);
	struct nff_stat st;
	struct nff_walk w;
	struct expect e;
	uint64_t before;
	size_t bytes;
	unsigned k;
	int dfd, fr, settled;

	dfd = open_failing(o, "f", &bytes, &k);
	before = nff_out_failures(o);	/* counted when seen, not before */
	settled = nff_out_settle(o);
	set_fsize(RLIM_INFINITY);
	fr = nff_out_flush(o);

	ck_assert_uint_gt(k, 0);
	ck_assert_uint_eq(before, 0);
	ck_assert_int_eq(settled, 1);
	ck_assert_int_eq(fr, 0);
	ck_assert_uint_eq(nff_out_failures(o), 1);
	ck_assert_uint_eq(nff_out_buffered(o), 0);
	nfr_stat_init(&st);
	ck_assert_int_eq(nff_out_finalise(o, "h", &st), 0);
	ck_assert_uint_eq(nff_out_failures(o), 1);
	nff_out_free(o);
	close(dfd);
	e = read_back("f", &w);
	ck_assert_uint_eq(e.next, k);
	rm_tmp();
}
END_TEST

/* Found by the append that needs the buffer back: that append fails, with
 * the failed block and everything since kept; after the disk recovers a
 * flush writes both blocks and the refused record can be added again. */
START_TEST(background_failure_found_by_append)
{
	struct nff_out *o = nff_out_new(NFF_COMP_NONE);
	uint8_t b[NFR_FLOW_MAX];
	struct nff_stat st;
	struct nff_walk w;
	struct expect e;
	size_t bytes, n = 0, buffered;
	unsigned k, k0;
	int dfd, r = 0, re, r2;
	off_t size;

	dfd = open_failing(o, "f", &bytes, &k);
	k0 = k;
	for (; k0 && k < 2 * NREC; k++) {
		n = rec(k, b, sizeof(b));
		r = nff_out_append(o, b, n);
		if (r < 0)
			break;
		bytes += n;
	}
	re = errno;
	buffered = nff_out_buffered(o);
	size = file_size("f");
	r2 = nff_out_append(o, b, n);	/* still refused */
	set_fsize(RLIM_INFINITY);

	ck_assert_uint_gt(k0, 0);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(re, EFBIG);
	ck_assert_uint_eq(buffered, bytes);
	ck_assert_uint_gt(bytes, NFF_BLOCK_MAX + NFF_BLOCK_MAX / 2);
	ck_assert_int_eq(size, NFF_HEADER_LEN);
	ck_assert_int_eq(r2, -1);
	ck_assert_int_eq(nff_out_flush(o), 0);
	ck_assert_uint_eq(nff_out_buffered(o), 0);
	e = read_back("f", &w);
	ck_assert_uint_eq(e.next, k);
	ck_assert_uint_eq(e.blocks, 2);
	ck_assert_int_eq(nff_out_append(o, b, n), 0);
	nfr_stat_init(&st);
	ck_assert_int_eq(nff_out_finalise(o, "h", &st), 0);
	nff_out_free(o);
	close(dfd);
	e = read_back("f", &w);
	ck_assert_uint_eq(e.next, k + 1);
	rm_tmp();
}
END_TEST

/* A failed background write, then the file closed and a new one created:
 * the kept records go to the new file (as buffered records always did). */
START_TEST(failed_block_survives_close)
{
	struct nff_out *o = nff_out_new(NFF_COMP_LZO);
	struct nff_stat st;
	struct nff_walk w;
	struct expect e;
	size_t bytes;
	unsigned k;
	int dfd;

	dfd = open_failing(o, "a", &bytes, &k);
	nff_out_close(o);	/* waits for the thread */
	set_fsize(RLIM_INFINITY);
	ck_assert_uint_gt(k, 0);
	ck_assert_uint_eq(nff_out_buffered(o), bytes);
	ck_assert_int_eq(file_size("a"), NFF_HEADER_LEN);
	ck_assert_int_eq(nff_out_create(o, dfd, "b", 0600, T0), 0);
	nfr_stat_init(&st);
	ck_assert_int_eq(nff_out_finalise(o, "h", &st), 0);
	nff_out_free(o);
	close(dfd);
	e = read_back("b", &w);
	ck_assert_uint_eq(e.next, k);
	ck_assert_uint_eq(e.blocks, 2);
	rm_tmp();
}
END_TEST

/* close waits for a block on its way: it is in the file, whole, and only
 * the records appended since stay buffered. */
START_TEST(close_waits_for_thread)
{
	struct nff_out *o = nff_out_new(NFF_COMP_LZ4);
	struct nff_walk w;
	struct expect e;
	size_t bytes, first = 0;
	unsigned k;
	int dfd;

	mk_tmp_named("test_nfwthread");
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(nff_out_create(o, dfd, "f", 0600, T0), 0);
	k = fill_past_first_block(o, &bytes);
	nff_out_close(o);
	ck_assert_uint_gt(k, 1);
	for (unsigned i = 0; i < k - 1; i++) {
		uint8_t b[NFR_FLOW_MAX];

		first += rec(i, b, sizeof(b));
	}
	ck_assert_uint_eq(nff_out_buffered(o), bytes - first);
	e = read_back("f", &w);
	ck_assert_uint_eq(e.next, k - 1);
	ck_assert_uint_eq(e.blocks, 1);
	ck_assert_int_eq(w.stopped, 0);
	nff_out_free(o);
	close(dfd);
	rm_tmp();
}
END_TEST

/* ---- through nfw ---- */

static int count_flows(void *ctx, const uint8_t *p, size_t len, uint32_t n)
{
	size_t q = 0;

	for (uint32_t i = 0; i < n && q + 4 <= len; i++) {
		uint16_t type, size;

		memcpy(&type, p + q, 2);
		memcpy(&size, p + q + 2, 2);
		*(unsigned *)ctx += type == NFR_TYPE_V3;
		q += size;
	}
	return 0;
}

static unsigned flows_in(const char *rel, struct nff_stat *st)
{
	unsigned n = 0;
	struct nff_walk w;
	char ident[128];
	int fd = open_tmp(rel, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(nff_walk(fd, &w, count_flows, &n), 0);
	ck_assert_int_eq(w.stopped, 0);
	ck_assert_int_eq(nff_read_appendix(fd, st, ident, sizeof(ident)), 0);
	close(fd);
	return n;
}

/* nfw_write with no flush in between: the disk fills while blocks are
 * written in the background. Flows are refused only once two buffers'
 * worth wait, each refused flow is counted as dropped and is not in the
 * file, each accepted one is, and the stat record agrees. */
START_TEST(nfw_background_failure)
{
	struct nfw_options o = { .dir = NULL, .twin = 300,
				 .compression = NFF_COMP_LZ4, .ident = "h" };
	struct nfw_stats s;
	struct nff_stat st;
	struct nfw *w;
	char err[256];
	unsigned ok = 0, i;
	int r = 0, re, again = 0;

	signal(SIGXFSZ, SIG_IGN);
	mk_tmp_named("test_nfwthread");
	o.dir = tmpdir;
	w = nfw_open(&o, T0, err, sizeof(err));
	ck_assert_ptr_nonnull(w);
	set_fsize(4096);
	for (i = 0; i < 2 * NREC && r >= 0; i++) {
		struct nfw_flow f = flow(i);

		r = nfw_write(w, &f, T0);
		ok += r >= 0;
	}
	re = errno;
	for (int k = 0; k < 3; k++) {	/* retried, refused, counted */
		struct nfw_flow f = flow(i + (unsigned)k);

		again += nfw_write(w, &f, T0) == -1;
	}
	nfw_get_stats(w, &s);
	set_fsize(RLIM_INFINITY);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(re, EFBIG);
	ck_assert_int_eq(again, 3);
	ck_assert_uint_eq(s.dropped, 4);
	ck_assert_uint_eq(s.flows, ok);
	ck_assert_uint_gt(ok, 3000);
	ck_assert_int_eq(nfw_close(w), 0);
	ck_assert_uint_eq(flows_in("nfcapd.202311142210", &st), ok);
	ck_assert_uint_eq(st.numflows, ok);
	rm_tmp();
}
END_TEST

/* In-place encoding must not move block ends: the same flows, once with a
 * malformed one (refused, EINVAL) wherever a block is nearly full, give a
 * file identical to the one without it. */
START_TEST(nfw_in_place_same_file)
{
	static const char *const sub[2] = { "a", "b" };
	uint8_t *img[2];
	size_t len[2];

	mk_tmp_named("test_nfwthread");
	for (int k = 0; k < 2; k++) {
		struct nfw_options o = { .twin = 300, .ident = "h",
					 .compression = NFF_COMP_NONE };
		char dir[600], p[700], err[256];
		struct nfw *w;
		struct stat sb;
		int fd;

		snprintf(dir, sizeof(dir), "%s/%s", tmpdir, sub[k]);
		ck_assert_int_eq(mkdir(dir, 0700), 0);
		o.dir = dir;
		w = nfw_open(&o, T0, err, sizeof(err));
		ck_assert_ptr_nonnull(w);
		for (unsigned i = 0; i < 8000; i++) {
			struct nfw_flow f = flow(i);

			if (k == 1 && i % 13 == 0) {
				struct nfw_flow bad = f;

				bad.family = 0;
				errno = 0;
				ck_assert_int_eq(nfw_write(w, &bad, T0), -1);
				ck_assert_int_eq(errno, EINVAL);
			}
			ck_assert_int_eq(nfw_write(w, &f, T0), 0);
		}
		ck_assert_int_eq(nfw_close(w), 0);
		snprintf(p, sizeof(p), "%s/nfcapd.202311142210", dir);
		fd = open(p, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fstat(fd, &sb), 0);
		len[k] = (size_t)sb.st_size;
		img[k] = malloc(len[k]);
		ck_assert_int_eq(read(fd, img[k], len[k]), (ssize_t)len[k]);
		close(fd);
	}
	ck_assert_uint_gt(len[0], 3 * NFF_BLOCK_MAX);
	ck_assert_uint_eq(len[0], len[1]);
	ck_assert_mem_eq(img[0], img[1], len[0]);
	free(img[0]);
	free(img[1]);
	rm_tmp();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nfwthread");
	TCase *t = tcase_create("thread");

	tcase_add_test(t, blocks_identical_none);
	tcase_add_test(t, blocks_identical_lz4);
	tcase_add_test(t, blocks_identical_lzo);
	tcase_add_test(t, flush_waits_for_thread);
	tcase_add_test(t, background_failure_found_by_flush);
	tcase_add_test(t, background_failure_found_by_append);
	tcase_add_test(t, background_failure_counted_when_retry_succeeds);
	tcase_add_test(t, failed_block_survives_close);
	tcase_add_test(t, close_waits_for_thread);
	tcase_add_test(t, nfw_background_failure);
	tcase_add_test(t, nfw_in_place_same_file);
	tcase_set_timeout(t, 120);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	setenv("TZ", "UTC", 1);	/* slot names are local time */
	tzset();
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
