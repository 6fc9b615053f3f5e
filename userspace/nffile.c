// SPDX-License-Identifier: GPL-2.0
/* nfdump 1.7 file layout: header, blocks, compression, appendix, repair. */
#include "nffile.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAGIC 0xA50C
#define LAYOUT_VERSION_2 2
#define NFDVERSION 0x01070100u	/* what 1.7.1 writes; only printed by -v */
#define BLOCK_TYPE_3 3

_Static_assert(sizeof(struct nff_stat) == 144, "stat_record_t is 18 u64");

/* Worst-case compressed size of n bytes, for LZO and LZ4 alike. */
#define ZBOUND(n) ((n) + (n) / 16 + 64 + 3 + 4096)

/*
 * Double buffering: records go into buf; a full buf is swapped with blk
 * (and zbuf with zblk) and handed to a writer thread, which compresses and
 * writes it while buf fills again, so encoding and compression use both
 * cores as nfdump's reader and writer threads do. blk_state says who owns
 * blk and, while a block is on its way, the file position:
 *
 *   BLK_IDLE    the caller's; blk is empty (or not allocated yet)
 *   BLK_BUSY    the thread's, with zblk, blk_wrk, fd, end and nblocks
 *   BLK_FAILED  the caller's again; blk holds records whose write failed
 *               (the file already cut back), to be written before buf's
 *
 * blk_state is only touched under lock: the caller sets BUSY, the thread
 * clears it; inflight and retry are the caller's copy of what it last saw,
 * and everything else in here is the caller's alone. A failed block is
 * retried synchronously the next time it has to be out of the way (an
 * append, flush, finalise), so -1 keeps meaning what it did without the
 * thread: that record was not stored, or nothing more was written.
 */
enum { BLK_IDLE, BLK_BUSY, BLK_FAILED };

struct nff_out {
	int fd, comp, sealed;
	int64_t created;
	off_t end;		/* end of the last data block */
	uint32_t nblocks;
	uint8_t *buf;		/* records being appended */
	size_t used;		/* record bytes in buf */
	uint32_t nrec;
	uint8_t *zbuf;		/* buf's block, compressed */
	void *wrk;		/* LZO work memory of the caller */
	uint8_t *blk;		/* records of the block handed over */
	size_t blk_used;	/* until the caller sees it written */
	uint32_t blk_nrec;
	long blk_zl;		/* already compressed into zblk, or -1 */
	uint8_t *zblk;
	void *blk_wrk;		/* the thread's */
	int blk_state;		/* under lock */
	int inflight;		/* BUSY may be set */
	int retry;		/* blk holds a block whose write failed */
	uint64_t failures;	/* background writes that failed */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cv;	/* blk_state or stop changed */
	int started, stop;
};

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

void nff_header_put(uint8_t b[NFF_HEADER_LEN], const struct nff_header *h)
{
	put16(b, h->magic);
	put16(b + 2, h->version);
	put32(b + 4, h->nfdversion);
	put64(b + 8, (uint64_t)h->created);
	b[16] = h->compression;
	b[17] = h->encryption;
	put16(b + 18, h->appendix_blocks);
	put32(b + 20, h->unused);
	put64(b + 24, (uint64_t)h->off_appendix);
	put32(b + 32, h->block_size);
	put32(b + 36, h->num_blocks);
}

static int comp_known(int c)
{
	return c == NFF_COMP_NONE || c == NFF_COMP_LZO || c == NFF_COMP_LZ4;
}

int nff_header_get(const uint8_t b[NFF_HEADER_LEN], struct nff_header *h)
{
	h->magic = get16(b);
	h->version = get16(b + 2);
	h->nfdversion = get32(b + 4);
	h->created = (int64_t)get64(b + 8);
	h->compression = b[16];
	h->encryption = b[17];
	h->appendix_blocks = get16(b + 18);
	h->unused = get32(b + 20);
	h->off_appendix = (int64_t)get64(b + 24);
	h->block_size = get32(b + 32);
	h->num_blocks = get32(b + 36);
	return h->magic == MAGIC && h->version == LAYOUT_VERSION_2 &&
	       !h->encryption && comp_known(h->compression) ? 0 : -1;
}

static void header_init(struct nff_header *h, int comp, int64_t created)
{
	memset(h, 0, sizeof(*h));
	h->magic = MAGIC;
	h->version = LAYOUT_VERSION_2;
	h->nfdversion = NFDVERSION;
	h->created = created;
	h->compression = (uint8_t)comp;
}

static int pwrite_all(int fd, const void *b, size_t n, off_t off)
{
	const uint8_t *p = b;

	while (n) {
		ssize_t r = pwrite(fd, p, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = EIO;
			return -1;
		}
		p += r, n -= (size_t)r, off += r;
	}
	return 0;
}

static ssize_t pread_all(int fd, void *b, size_t n, off_t off)
{
	uint8_t *p = b;
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, off + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* On a failed write, cut the file back so it ends with a complete block;
 * keep the original errno for the caller. */
static void cut_back(int fd, off_t end)
{
	int e = errno;

	if (ftruncate(fd, end) < 0) {
		/* nothing better to do: the next write starts at @end anyway */
	}
	errno = e;
}

/* Compress @n payload bytes at in + 12 into out + 12; returns the stored
 * payload size. nfdump replaces only the size field, so the header stays. */
static long compress_payload(int comp, const uint8_t *in, size_t n,
			     uint8_t *out, void *wrk)
{
	if (comp == NFF_COMP_LZ4) {
		int r = LZ4_compress_default((const char *)in, (char *)out,
					     (int)n, (int)ZBOUND(n));
		return r > 0 ? r : -1;
	}
	if (comp == NFF_COMP_LZO) {
		lzo_uint zl = ZBOUND(n);

		if (lzo1x_1_compress(in, n, out, &zl, wrk) != LZO_E_OK)
			return -1;
		return (long)zl;
	}
	memcpy(out, in, n);
	return (long)n;
}

static long decompress_payload(int comp, const uint8_t *in, size_t n,
			       uint8_t *out, size_t cap)
{
	if (comp == NFF_COMP_LZ4) {
		int r = LZ4_decompress_safe((const char *)in, (char *)out,
					    (int)n, (int)cap);
		return r > 0 ? r : -1;
	}
	if (comp == NFF_COMP_LZO) {
		lzo_uint ol = cap;

		if (lzo1x_decompress_safe(in, n, out, &ol, NULL) != LZO_E_OK)
			return -1;
		return (long)ol;
	}
	if (n > cap)
		return -1;
	memcpy(out, in, n);
	return (long)n;
}

/* pwrite_all() for a header and a payload in two places. */
static int pwrite2_all(int fd, const void *a, size_t an, const void *b,
		       size_t bn, off_t off)
{
	struct iovec iov[2] = { { (void *)a, an }, { (void *)b, bn } };
	struct iovec *v = iov;
	int cnt = 2;

	while (cnt) {
		ssize_t r = pwritev(fd, v, cnt, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = EIO;
			return -1;
		}
		off += r;
		for (; cnt && (size_t)r >= v->iov_len; v++, cnt--)
			r -= (ssize_t)v->iov_len;
		if (cnt) {
			v->iov_base = (uint8_t *)v->iov_base + r;
			v->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Write one block (records at @recs) at @off; returns the bytes written.
 * @zl is the size of the payload already compressed into @zbuf + 12, or
 * -1 to compress it here. An uncompressed block goes out from @recs itself
 * (pwritev with its header) rather than through a 1 MiB copy into @zbuf. */
static long write_block(int fd, int comp, const uint8_t *recs, size_t n,
			uint32_t nrec, off_t off, uint8_t *zbuf, void *wrk,
			long zl)
{
	int r;

	if (comp == NFF_COMP_NONE)
		zl = (long)n;
	else if (zl < 0)
		zl = compress_payload(comp, recs, n, zbuf + NFF_BLOCK_HDR, wrk);

	if (zl <= 0 || zl > (long)NFF_READ_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	put32(zbuf, nrec);
	put32(zbuf + 4, (uint32_t)zl);
	put16(zbuf + 8, BLOCK_TYPE_3);
	put16(zbuf + 10, 0);
	if (comp == NFF_COMP_NONE)
		r = pwrite2_all(fd, zbuf, NFF_BLOCK_HDR, recs, n, off);
	else
		r = pwrite_all(fd, zbuf, NFF_BLOCK_HDR + (size_t)zl, off);
	return r < 0 ? -1 : NFF_BLOCK_HDR + zl;
}

static int lzo_ready(void)
{
	static int done;

	if (!done)
		done = lzo_init() == LZO_E_OK ? 1 : -1;
	return done > 0 ? 0 : -1;
}

struct nff_out *nff_out_new(int compression)
{
	struct nff_out *o;

	if (!comp_known(compression) || lzo_ready() < 0) {
		errno = EINVAL;
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	if (pthread_mutex_init(&o->lock, NULL)) {
		free(o);
		errno = ENOMEM;
		return NULL;
	}
	if (pthread_cond_init(&o->cv, NULL)) {
		pthread_mutex_destroy(&o->lock);
		free(o);
		errno = ENOMEM;
		return NULL;
	}
	o->fd = -1;
	o->comp = compression;
	o->buf = malloc(NFF_BLOCK_MAX);
	o->zbuf = malloc(ZBOUND(NFF_BLOCK_MAX) + NFF_BLOCK_HDR);
	o->wrk = malloc(LZO1X_1_MEM_COMPRESS);
	if (!o->buf || !o->zbuf || !o->wrk) {
		nff_out_free(o);
		errno = ENOMEM;
		return NULL;
	}
	return o;
}

void nff_out_free(struct nff_out *o)
{
	if (!o)
		return;
	nff_out_close(o);
	if (o->started) {
		pthread_mutex_lock(&o->lock);
		o->stop = 1;
		pthread_cond_signal(&o->cv);
		pthread_mutex_unlock(&o->lock);
		pthread_join(o->thread, NULL);
	}
	pthread_cond_destroy(&o->cv);
	pthread_mutex_destroy(&o->lock);
	free(o->buf);
	free(o->zbuf);
	free(o->wrk);
	free(o->blk);
	free(o->zblk);
	free(o->blk_wrk);
	free(o);
}

int nff_out_fd(const struct nff_out *o) { return o->fd; }
uint64_t nff_out_failures(const struct nff_out *o)
{
	return o->failures;
}

size_t nff_out_buffered(const struct nff_out *o)
{
	return o->used + o->blk_used;
}
int nff_out_compression(const struct nff_out *o) { return o->comp; }

/* Write @len bytes of records at @recs as the next block. The caller owns
 * the file position: the writer thread while BUSY, else the caller. */
static int put_block(struct nff_out *o, const uint8_t *recs, size_t len,
		     uint32_t nrec, uint8_t *zbuf, void *wrk, long zl)
{
	long n = write_block(o->fd, o->comp, recs, len, nrec, o->end, zbuf,
			     wrk, zl);

	if (n < 0) {
		cut_back(o->fd, o->end);
		return -1;
	}
	o->end += n;
	o->nblocks++;
	return 0;
}

static void *writer(void *arg)
{
	struct nff_out *o = arg;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		int r;

		while (o->blk_state != BLK_BUSY && !o->stop)
			pthread_cond_wait(&o->cv, &o->lock);
		if (o->blk_state != BLK_BUSY)
			break;
		pthread_mutex_unlock(&o->lock);
		r = put_block(o, o->blk, o->blk_used, o->blk_nrec, o->zblk,
			      o->blk_wrk, o->blk_zl);
		pthread_mutex_lock(&o->lock);
		o->blk_state = r < 0 ? BLK_FAILED : BLK_IDLE;
		pthread_cond_signal(&o->cv);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

static void set_state(struct nff_out *o, int state)
{
	pthread_mutex_lock(&o->lock);
	o->blk_state = state;
	if (state == BLK_BUSY)
		pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->lock);
}

/* Wait until the thread is done with blk; returns 1 if its write failed
 * (blk then holds that block, the caller's again), else 0. */
static int reap(struct nff_out *o)
{
	if (!o->inflight)
		return o->retry;
	pthread_mutex_lock(&o->lock);
	while (o->blk_state == BLK_BUSY)
		pthread_cond_wait(&o->cv, &o->lock);
	o->retry = o->blk_state == BLK_FAILED;
	pthread_mutex_unlock(&o->lock);
	o->inflight = 0;
	o->failures += (uint64_t)o->retry;
	if (!o->retry) {
		o->blk_used = 0;
		o->blk_nrec = 0;
	}
	return o->retry;
}

int nff_out_settle(struct nff_out *o)
{
	return reap(o);
}

/*
 * The thread and the second buffer come with the first full block, so a
 * writer that never fills one (small merges, idle hosts) costs neither.
 * The thread blocks every signal: it must never run the program's
 * handlers, and a SIGXFSZ from its write then only means EFBIG.
 */
static int start_thread(struct nff_out *o)
{
	sigset_t all, old;
	int r;

	if (o->started)
		return 0;
	if (!o->blk)
		o->blk = malloc(NFF_BLOCK_MAX);
	if (!o->zblk)
		o->zblk = malloc(ZBOUND(NFF_BLOCK_MAX) + NFF_BLOCK_HDR);
	if (!o->blk_wrk)
		o->blk_wrk = malloc(LZO1X_1_MEM_COMPRESS);
	if (!o->blk || !o->zblk || !o->blk_wrk)
		return -1;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&o->thread, NULL, writer, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return -1;
	o->started = 1;
	return 0;
}

void nff_out_close(struct nff_out *o)
{
	reap(o);	/* the thread may still be writing to fd */
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

static int write_open_header(int fd, int comp, int64_t created)
{
	struct nff_header h;
	uint8_t b[NFF_HEADER_LEN];

	header_init(&h, comp, created);
	nff_header_put(b, &h);
	return pwrite_all(fd, b, sizeof(b), 0);
}

int nff_out_create(struct nff_out *o, int dirfd, const char *name, mode_t mode,
		   int64_t created)
{
	int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, mode);

	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 ||
	    write_open_header(fd, o->comp, created) < 0) {
		int e = errno;

		close(fd);
		unlinkat(dirfd, name, 0);
		errno = e;
		return -1;
	}
	nff_out_close(o);
	o->fd = fd;
	o->created = created;
	o->end = NFF_HEADER_LEN;
	o->nblocks = 0;
	o->sealed = 0;
	return 0;
}

/* Back to "being written" after a seal whose rename did not happen. */
static int unseal(struct nff_out *o)
{
	if (!o->sealed)
		return 0;
	if (ftruncate(o->fd, o->end) < 0 ||
	    write_open_header(o->fd, o->comp, o->created) < 0)
		return -1;
	o->sealed = 0;
	return 0;
}

/* The file can take the next block: open, and reopened if sealed. */
static int writable(struct nff_out *o)
{
	if (o->fd < 0) {
		errno = EBADF;
		return -1;
	}
	return unseal(o);
}

/* Get blk out of the way: wait for the thread and, if its write failed,
 * write that block here and now, as its records come before buf's. */
static int drain(struct nff_out *o)
{
	if (!reap(o))
		return 0;
	if (writable(o) < 0 ||
	    put_block(o, o->blk, o->blk_used, o->blk_nrec, o->zblk, o->wrk,
		      -1) < 0)
		return -1;
	o->blk_used = 0;
	o->blk_nrec = 0;
	o->retry = 0;
	set_state(o, BLK_IDLE);
	return 0;
}

/* buf as the next block, written here. */
static int write_buf(struct nff_out *o, long zl)
{
	if (writable(o) < 0 ||
	    put_block(o, o->buf, o->used, o->nrec, o->zbuf, o->wrk, zl) < 0)
		return -1;
	o->used = 0;
	o->nrec = 0;
	return 0;
}

static int busy(struct nff_out *o)
{
	int r;

	pthread_mutex_lock(&o->lock);
	r = o->blk_state == BLK_BUSY;
	pthread_mutex_unlock(&o->lock);
	return r;
}

/* buf is full: swap it with blk for the thread to write, or write it here
 * if there is no thread to be had. */
static int hand_over(struct nff_out *o)
{
	long zl = -1;
	uint8_t *b;

	/*
	 * Compression costs more than encoding, so the thread is often still
	 * on the previous block: rather than wait for it, compress this one
	 * here, and leave the thread only its write. Two cores then share
	 * the compression, which nfdump's writer thread does alone.
	 */
	if (o->comp != NFF_COMP_NONE && o->inflight && busy(o))
		zl = compress_payload(o->comp, o->buf, o->used,
				      o->zbuf + NFF_BLOCK_HDR, o->wrk);
	if (drain(o) < 0)
		return -1;
	if (!o->used)
		return 0;
	if (writable(o) < 0)
		return -1;
	if (start_thread(o) < 0)
		return write_buf(o, zl);
	b = o->blk;
	o->blk = o->buf;
	o->buf = b;
	b = o->zblk;
	o->zblk = o->zbuf;
	o->zbuf = b;
	o->blk_used = o->used;
	o->blk_nrec = o->nrec;
	o->blk_zl = zl;
	o->used = 0;
	o->nrec = 0;
	o->inflight = 1;
	set_state(o, BLK_BUSY);
	return 0;
}

int nff_out_flush(struct nff_out *o)
{
	if (drain(o) < 0)
		return -1;
	if (!o->used)
		return 0;
	return write_buf(o, -1);
}

/*
 * Once the caller has seen a block fail, that block counts as a full buffer:
 * every append retries it first, as every append to a full buffer did when
 * all writes were inline. So a failing disk holds that block plus what
 * reached buf before the failure was seen, not two full buffers, and the
 * callers' retries are paced as before.
 */
int nff_out_append(struct nff_out *o, const void *rec, size_t len)
{
	if (len < 4 || len > NFF_BLOCK_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (o->retry && drain(o) < 0)
		return -1;
	if (o->used + len > NFF_BLOCK_MAX && hand_over(o) < 0)
		return -1;
	memcpy(o->buf + o->used, rec, len);
	o->used += len;
	o->nrec++;
	return 0;
}

/* No room while a failed block waits: the record then goes through
 * nff_out_append(), which retries that block. */
uint8_t *nff_out_tail(struct nff_out *o, size_t *room)
{
	*room = o->retry ? 0 : NFF_BLOCK_MAX - o->used;
	return o->buf + o->used;
}

int nff_out_commit(struct nff_out *o, size_t len)
{
	if (len < 4 || len > NFF_BLOCK_MAX - o->used) {
		errno = EINVAL;
		return -1;
	}
	o->used += len;
	o->nrec++;
	return 0;
}

static size_t appendix_records(uint8_t *b, const char *ident,
			       const struct nff_stat *st)
{
	size_t il = strnlen(ident ? ident : "none", NFF_IDENT_MAX);
	uint64_t v[18];

	put16(b, NFR_TYPE_IDENT);
	put16(b + 2, (uint16_t)(4 + il + 1));
	memcpy(b + 4, ident ? ident : "none", il);
	b[4 + il] = 0;
	b += 4 + il + 1;
	put16(b, NFR_TYPE_STAT);
	put16(b + 2, 4 + sizeof(v));
	/* Field order is stat_record_t's; the struct mirrors it. */
	memcpy(v, st, sizeof(v));
	memcpy(b + 4, v, sizeof(v));
	return 4 + il + 1 + 4 + sizeof(v);
}

static int seal(int fd, int comp, int64_t created, off_t end, uint32_t nblocks,
		const char *ident, const struct nff_stat *st, uint8_t *zbuf,
		void *wrk)
{
	uint8_t recs[NFF_IDENT_MAX + 1 + 4 + 4 + 144], b[NFF_HEADER_LEN];
	struct nff_header h;
	long n;

	n = write_block(fd, comp, recs, appendix_records(recs, ident, st), 2,
			end, zbuf, wrk, -1);
	if (n < 0 || ftruncate(fd, end + n) < 0)
		goto fail;
	header_init(&h, comp, created);
	h.appendix_blocks = 1;
	h.off_appendix = end;
	h.num_blocks = nblocks;
	nff_header_put(b, &h);
	if (pwrite_all(fd, b, sizeof(b), 0) < 0 || fsync(fd) < 0)
		goto fail;
	return 0;
fail:
	cut_back(fd, end);
	return -1;
}

int nff_out_finalise(struct nff_out *o, const char *ident,
		     const struct nff_stat *st)
{
	if (nff_out_flush(o) < 0)
		return -1;
	if (o->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (seal(o->fd, o->comp, o->created, o->end, o->nblocks, ident, st,
		 o->zbuf, o->wrk) < 0)
		return -1;
	o->sealed = 1;
	return 0;
}

int nff_seal(int fd, int compression, int64_t created, off_t end,
	     uint32_t nblocks, const char *ident, const struct nff_stat *st)
{
	uint8_t *zbuf = malloc(ZBOUND(1024) + NFF_BLOCK_HDR);
	void *wrk = malloc(LZO1X_1_MEM_COMPRESS);
	int r = -1;

	if (zbuf && wrk && lzo_ready() == 0)
		r = seal(fd, compression, created, end, nblocks, ident, st,
			 zbuf, wrk);
	else
		errno = ENOMEM;
	free(zbuf);
	free(wrk);
	return r;
}

/* Read block @off into @raw / @plain; 1 = usable block, 0 = end or torn. */
static int read_block(int fd, int comp, off_t off, uint8_t *raw, uint8_t *plain,
		      const uint8_t **recs, size_t *len, uint32_t *nrec,
		      size_t *stored)
{
	uint8_t bh[NFF_BLOCK_HDR];
	ssize_t r = pread_all(fd, bh, sizeof(bh), off);
	uint32_t size;
	uint16_t type;
	long pl;

	if (r != (ssize_t)sizeof(bh))
		return r < 0 ? -1 : 0;
	*nrec = get32(bh);
	size = get32(bh + 4);
	type = get16(bh + 8);
	if (!*nrec || !size || size > NFF_READ_MAX || (type != 2 && type != 3))
		return 0;
	r = pread_all(fd, raw, size, off + NFF_BLOCK_HDR);
	if (r != (ssize_t)size)
		return r < 0 ? -1 : 0;
	if (comp == NFF_COMP_NONE) {
		*recs = raw;
		*len = size;
	} else {
		pl = decompress_payload(comp, raw, size, plain, NFF_READ_MAX);
		if (pl <= 0)
			return 0;
		*recs = plain;
		*len = (size_t)pl;
	}
	*stored = NFF_BLOCK_HDR + size;
	return 1;
}

int nff_walk(int fd, struct nff_walk *w, nff_block_fn fn, void *ctx)
{
	uint8_t hb[NFF_HEADER_LEN], *raw = NULL, *plain = NULL;
	int rc = -1;

	memset(w, 0, sizeof(*w));
	if (pread_all(fd, hb, sizeof(hb), 0) != (ssize_t)sizeof(hb) ||
	    nff_header_get(hb, &w->h) < 0 || lzo_ready() < 0) {
		errno = EINVAL;
		return -1;
	}
	w->end = NFF_HEADER_LEN;
	raw = malloc(NFF_READ_MAX);
	plain = w->h.compression != NFF_COMP_NONE ? malloc(NFF_READ_MAX) : NULL;
	if (!raw || (w->h.compression != NFF_COMP_NONE && !plain)) {
		errno = ENOMEM;
		goto out;
	}
	for (;;) {
		const uint8_t *recs;
		size_t len, stored;
		uint32_t nrec;
		int appendix, r;

		/* A sealed header is what nfdump trusts: read no further. */
		if (w->h.appendix_blocks && w->blocks == w->h.num_blocks)
			break;
		r = read_block(fd, w->h.compression, w->end, raw, plain, &recs,
			       &len, &nrec, &stored);
		if (r < 0)
			goto out;
		if (!r || !nfr_block_valid(recs, len, nrec, &appendix)) {
			/* EOF exactly at a block boundary is not torn */
			struct stat sb;

			w->stopped = fstat(fd, &sb) < 0 || sb.st_size != w->end;
			break;
		}
		if (appendix)
			break;
		if (fn && fn(ctx, recs, len, nrec))
			goto out;
		w->blocks++;
		w->end += (off_t)stored;
	}
	rc = 0;
out:
	free(raw);
	free(plain);
	return rc;
}

static int find_appendix(void *ctx, const uint8_t *p, size_t len, uint32_t n)
{
	struct { struct nff_stat *st; char *ident; size_t il; int found; } *a = ctx;
	size_t q = 0;

	for (uint32_t i = 0; i < n && q + 4 <= len; i++) {
		uint16_t t = get16(p + q), s = get16(p + q + 2);

		if (t == NFR_TYPE_STAT && s == 4 + sizeof(*a->st)) {
			memcpy(a->st, p + q + 4, sizeof(*a->st));
			a->found = 1;
		} else if (t == NFR_TYPE_IDENT && a->ident && a->il) {
			size_t m = s - 4u < a->il ? s - 4u : a->il - 1;

			memcpy(a->ident, p + q + 4, m);
			a->ident[m] = 0;
		}
		q += s;
	}
	return 0;
}

int nff_read_appendix(int fd, struct nff_stat *st, char *ident, size_t len)
{
	struct { struct nff_stat *st; char *ident; size_t il; int found; } a =
		{ st, ident, len, 0 };
	uint8_t hb[NFF_HEADER_LEN], *raw, *plain;
	struct nff_header h;
	const uint8_t *recs;
	size_t rl, stored;
	uint32_t nrec;
	int r = -1;

	if (pread_all(fd, hb, sizeof(hb), 0) != (ssize_t)sizeof(hb) ||
	    nff_header_get(hb, &h) < 0 || !h.appendix_blocks ||
	    lzo_ready() < 0) {
		errno = EINVAL;
		return -1;
	}
	raw = malloc(NFF_READ_MAX);
	plain = malloc(NFF_READ_MAX);
	if (raw && plain &&
	    read_block(fd, h.compression, h.off_appendix, raw, plain, &recs,
		       &rl, &nrec, &stored) == 1) {
		find_appendix(&a, recs, rl, nrec);
		r = a.found ? 0 : -1;
	}
	free(raw);
	free(plain);
	if (r < 0)
		errno = EINVAL;
	return r;
}
