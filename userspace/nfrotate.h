/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rotating nfcapd-style writer: flows go to DIR/nfcapd.current.<pid>; at
 * the end of each slot of @twin seconds (aligned like nfcapd:
 * start = now - now % twin) the file is sealed and renamed to
 * [subdir/]nfcapd.YYYYMMDDhhmm (local time of the slot start; ...hhmmss
 * when twin < 60), so stock nfdump -R and nfexpire see what nfcapd makes.
 *
 * Existing target (a restart or SIGHUP within one slot): the old file and
 * the new one are merged into DIR/nfcapd.current.<pid>.merge, which then
 * replaces the target with one rename. The target is complete at every
 * instant; a crash in between is finished by nfw_recover() without
 * duplicating or losing flows (see nfrotate.c).
 *
 * Per file, each NBAR app entry and interface name a flow refers to is
 * written once, before that flow, because nfdump resolves them at print
 * time from tables it builds while reading.
 *
 * Write failures (ENOSPC, EFBIG, EIO) never leave a file nfdump would
 * choke on: the current file is cut back to its last whole block and
 * records stay buffered (1 to 2 MiB: a block may be on its way when the
 * disk fills) until a later call succeeds.
 */
#ifndef EXEFLOW_NFROTATE_H
#define EXEFLOW_NFROTATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "nffile.h"
#include "nfrecord.h"

struct nfw_options {
	const char *dir;	/* must exist; may itself be a symlink */
	unsigned twin;		/* rotation seconds, >= 2; 0 = 300 */
	int compression;	/* NFF_COMP_NONE / _LZO / _LZ4 */
	const char *ident;	/* appendix ident (host name); NULL = "none" */
	int subdir;		/* nfcapd -S layout 0..8 */
	mode_t mode;		/* file mode; 0 = 0640. Dirs get x where r */
	unsigned flush_secs;	/* nfw_tick writes buffered flows older than
				 * this, bounding loss on SIGKILL; 0 = 10 */
};

struct nfw_stats {
	uint64_t flows;		/* accepted */
	uint64_t dropped;	/* refused: buffer full and disk failing */
	uint64_t files;		/* placed under their slot name */
	uint64_t errors;	/* failed writes/rotations (retried) */
	uint64_t recovered;	/* orphaned files repaired by nfw_open */
};

struct nfw;

/* Return value of nfw_write/nfw_rotate besides 0 and -1: the flow was
 * stored / the file placed, but file upkeep failed or left a merge for
 * recovery to finish; nfw_error() says what. Retries are automatic, at most
 * one per second. */
#define NFW_WARN 1

/*
 * Repair what a killed writer left in opts->dir (see nfw_recover), then
 * open the current file for the slot of @now. Returns NULL with a message
 * in @err on failure. A leftover that cannot be finished now does not fail
 * the open (the daemon must come up): it stays for the next start, and
 * nfw_error()/stats.errors say so; stats.recovered counts the rest.
 *
 * Not thread safe: one thread owns a struct nfw.
 */
struct nfw *nfw_open(const struct nfw_options *opts, time_t now, char *err,
		     size_t errlen);

/*
 * Store one flow. Rotates first if @now is past the slot's end (sealing
 * the old file and writing empty files for skipped slots, up to a day's
 * worth). Returns 0, NFW_WARN, or -1 if the flow was not stored (errno).
 */
int nfw_write(struct nfw *w, const struct nfw_flow *f, time_t now);

/* Call every second or so: rotates on time even without traffic (empty
 * slots still get a file), retries failed upkeep, flushes old buffers. */
int nfw_tick(struct nfw *w, time_t now);

/* Write buffered flows to the current file now. */
int nfw_flush(struct nfw *w);

/* Seal and place the current file now and start a new one (SIGHUP). */
int nfw_rotate(struct nfw *w, time_t now);

/* Seal and place the current file, free @w (SIGTERM). Returns -1 if the
 * last flows could not be written; what is on disk is then left for
 * nfw_recover. */
int nfw_close(struct nfw *w);

const char *nfw_error(const struct nfw *w);	/* last failure, "" if none */
void nfw_get_stats(const struct nfw *w, struct nfw_stats *st);
/* Path of the current file relative to opts->dir. */
const char *nfw_current_name(const struct nfw *w);

/*
 * Finish files left by writers that died (SIGKILL, power loss): for each
 * DIR/nfcapd.current.<pid>[.merge] that no live writer holds (flock) and
 * whose pid is gone, drop a torn last block, recompute the stat record
 * from the records, seal it and place it under its slot name (merging
 * into an existing one). The slot comes from the header's creation time
 * and opts->twin. A file that cannot be parsed is renamed to
 * nfcapd.current.<pid>.broken, which nfdump and nfexpire skip. Returns
 * the number of files placed, or -1 with a message in @err.
 */
int nfw_recover(const struct nfw_options *opts, char *err, size_t errlen);

/* "[subdir/]nfcapd.<time>" for a slot starting at @slot (for logs/tests). */
int nfw_slot_path(const struct nfw_options *opts, time_t slot, char *buf,
		  size_t len);

#endif
