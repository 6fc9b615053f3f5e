/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfdump 1.7 file layout (LAYOUT_VERSION_2): 40-byte header, data blocks of
 * records, one appendix block (ident + stat record), optional LZO or LZ4
 * block compression. Knows files and blocks, not what a flow is.
 *
 * A file being written has a header with NumBlocks 0 and no appendix, so
 * nfdump shows nothing of it until nff_seal() writes the appendix and then
 * the real header. Every write failure returns -1 with errno set and cuts
 * the file back to its last complete block, so a later retry continues
 * from a consistent file.
 */
#ifndef EXEFLOW_NFFILE_H
#define EXEFLOW_NFFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nfrecord.h"

#define NFF_HEADER_LEN 40
#define NFF_BLOCK_HDR 12
#define NFF_BLOCK_MAX (1u << 20)	/* payload; nfcapd's WRITE_BUFFSIZE */
#define NFF_READ_MAX (5u << 20)	/* nfdump's BUFFSIZE, a hard limit */
#define NFF_IDENT_MAX 122	/* ident record must stay < 128 bytes */

enum { NFF_COMP_NONE = 0, NFF_COMP_LZO = 1, NFF_COMP_LZ4 = 3 };

struct nff_header {
	uint16_t magic, version;
	uint32_t nfdversion;
	int64_t created;
	uint8_t compression, encryption;
	uint16_t appendix_blocks;
	uint32_t unused;
	int64_t off_appendix;
	uint32_t block_size, num_blocks;
};

/* Serialise / parse the 40-byte header. nff_header_get() returns 0 if the
 * header is one we can read (magic, version 2, no encryption, compression
 * none/LZO/LZ4), else -1. */
void nff_header_put(uint8_t b[NFF_HEADER_LEN], const struct nff_header *h);
int nff_header_get(const uint8_t b[NFF_HEADER_LEN], struct nff_header *h);

/* ---- writing ---- */

struct nff_out;

/*
 * Two record buffers plus, when a file is open, that file. A full buffer
 * is compressed and written by a writer thread (started with the first full
 * block, joined by nff_out_free) while appends fill the other one; the
 * bytes on disk are the same as if it were written inline. The buffers live
 * on across files and failed writes: a block whose write failed in the
 * background stays buffered, and the next append, flush or finalise writes
 * it again, before newer records, and reports the error if that fails too.
 * Until then appends are refused (-1: that record was not stored), so
 * records are only lost when the buffers are full and cannot be written
 * out.
 *
 * One thread owns a struct nff_out; it is not fork safe while a block is
 * being written.
 */
struct nff_out *nff_out_new(int compression);
void nff_out_free(struct nff_out *o);

/*
 * Create @name in @dirfd (O_EXCL|O_NOFOLLOW|O_CLOEXEC, so never through a
 * planted symlink), chmod to @mode, take an exclusive flock (crash recovery
 * treats an unlocked current file as orphaned) and write the open header.
 */
int nff_out_create(struct nff_out *o, int dirfd, const char *name, mode_t mode,
		   int64_t created);
/* Add one record; hands the buffer over as a block first when it would
 * pass 1 MiB. */
int nff_out_append(struct nff_out *o, const void *rec, size_t len);
/*
 * Encode in place, saving append's copy: the free space at the end of the
 * buffer, then nff_out_commit() of the @len bytes put there as one record.
 * A record that does not fit in @room goes through nff_out_append(), which
 * starts the next block exactly where appending it would have.
 */
uint8_t *nff_out_tail(struct nff_out *o, size_t *room);
int nff_out_commit(struct nff_out *o, size_t len);
/* Wait for a block handed to the thread (writing it again if that failed),
 * then write the rest of the records as one block: on return all of them
 * are on disk, or -1. A no-op when nothing is buffered. */
int nff_out_flush(struct nff_out *o);
/* Flush, then append the appendix and the final header and fsync. After a
 * later append/flush the file is reopened for writing automatically. */
int nff_out_finalise(struct nff_out *o, const char *ident,
		     const struct nff_stat *st);
/* Wait for a block being written, then close the file (drops the lock);
 * buffered records, and a block whose write failed, stay. */
void nff_out_close(struct nff_out *o);
/* Only after flush/finalise is the file at this fd complete. */
int nff_out_fd(const struct nff_out *o);
/* Record bytes not known to be on disk, including a block handed over. */
size_t nff_out_buffered(const struct nff_out *o);
int nff_out_compression(const struct nff_out *o);
/* Blocks whose write failed in the writer thread, over @o's life; each was
 * retried by the caller (and counted there again if that failed too), so
 * a retry that succeeds does not hide the failure. */
uint64_t nff_out_failures(const struct nff_out *o);
/* Wait for a block the thread is writing; 1 if that write failed (the next
 * append, flush or finalise retries it first), else 0. */
int nff_out_settle(struct nff_out *o);

/* ---- reading and repair ---- */

struct nff_walk {
	struct nff_header h;
	uint32_t blocks;	/* complete data blocks seen */
	off_t end;		/* offset just past the last of them */
	int stopped;		/* 1 if a torn/invalid block ended the walk */
};

/* Called with the decompressed records of one block; nonzero aborts. */
typedef int (*nff_block_fn)(void *ctx, const uint8_t *recs, size_t len,
			    uint32_t nrec);

/*
 * Walk the data blocks of an open file the way nfdump would read them,
 * stopping at EOF, the appendix, NumBlocks (if the file is sealed), or the
 * first block that is short, undecompressable or would make nfdump exit.
 * Returns 0, or -1 (errno EINVAL: unusable header; other: I/O, or @fn
 * aborted with errno set).
 */
int nff_walk(int fd, struct nff_walk *w, nff_block_fn fn, void *ctx);

/*
 * Seal the data blocks of @fd that end at @end: drop anything after them,
 * write the appendix and the final header, fsync. Used on files a crashed
 * writer left behind; nff_out_finalise() does the same for a live file.
 */
int nff_seal(int fd, int compression, int64_t created, off_t end,
	     uint32_t nblocks, const char *ident, const struct nff_stat *st);

/* Read the appendix stat record and ident of a sealed file (tests, merge). */
int nff_read_appendix(int fd, struct nff_stat *st, char *ident, size_t len);

#endif
