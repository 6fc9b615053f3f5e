/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Executable hash cache for exeflowd.
 *
 * Keyed by the kernel-reported identity of the executable, so each binary
 * is hashed once, and a rebuilt/replaced one (new inode, size or mtime) is
 * a new key. Hashing runs on worker thread(s) fed by a bounded queue:
 * submit() never blocks on I/O, it only takes the cache mutex briefly.
 *
 * A file is hashed only if fstat() of the opened fd matches the identity,
 * before and after reading: first /proc/<pid>/exe (the running image, even
 * if its path was replaced or unlinked), then the path. Otherwise the
 * result has no hash and a reason; it is never a hash of another file.
 *
 * Intended use in the daemon:
 *   NEW record   -> hashcache_submit() while the process is alive;
 *   END record   -> hashcache_lookup(); on HC_PENDING park the record and
 *                   emit it when hashcache_drain() reports that identity
 *                   (eventfd readable), or after a timeout of its own;
 *                   on HC_MISS submit now (path fallback) and park likewise.
 *   hashcache_lookup_wait() is the simple blocking alternative.
 */
#ifndef EXEFLOW_HASHCACHE_H
#define EXEFLOW_HASHCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exehash.h"

/* Exactly what the kernel reports (EXEFLOW_P_EXE_*); compared against
 * major()/minor() of st_dev, st_ino, st_size and st_mtim in ns. */
struct hc_identity {
	uint32_t major, minor;
	uint64_t ino, size, mtime_ns;
};

enum hc_source {
	HC_SRC_NONE,
	HC_SRC_PROC,		/* hashed through /proc/<pid>/exe */
	HC_SRC_PATH,		/* hashed through the path */
};

#define HC_REASON_LEN 96
#define HC_REASON_IDENTITY_UNKNOWN "identity unknown"

struct hc_result {
	bool ok;			/* md5 and sha256 are valid */
	enum hc_source source;
	uint8_t md5[EXEHASH_MD5_LEN];
	uint8_t sha256[EXEHASH_SHA256_LEN];
	char reason[HC_REASON_LEN];	/* why not ok, e.g. "size above cap",
					 * "process gone and file replaced" */
};

struct hashcache_config {
	size_t max_entries;	/* finished results kept (LRU); 0: 4096 */
	size_t queue_max;	/* queued jobs; 0: 1024 */
	size_t completion_max;	/* undrained completions kept; 0: 1024 */
	unsigned workers;	/* hashing threads; 0: none, the caller runs
				 * hashcache_work() (tests, single-threaded) */
	uint64_t size_cap;	/* larger files are not hashed; 0: 256 MiB */
};

/* Counters since create. Hit rate for the benchmark:
 * (submit_cached + submit_inflight) / submits, i.e. NEW records that
 * needed no new hashing. */
struct hc_stats {
	uint64_t lookups, lookup_hits, lookup_pending, lookup_misses;
	uint64_t submits, submit_queued, submit_cached, submit_inflight;
	uint64_t queue_full;		/* submit refused, caller may count too */
	uint64_t hashed, hash_failed;	/* finished jobs by outcome */
	uint64_t bytes_hashed, hash_ns;	/* throughput of the workers */
	uint64_t evicted, completions_dropped;
	size_t entries, queued;		/* gauges */
};

enum hc_submit_ret {
	HC_QUEUED,		/* a job was queued; one completion will follow */
	HC_CACHED,		/* result already known, nothing queued */
	HC_INFLIGHT,		/* a job for this identity is queued/running */
	HC_EFULL,		/* queue full, nothing queued (never blocks) */
	HC_ENOMEM,
};

enum hc_lookup_ret {
	HC_DONE,		/* *out filled: ok, or not ok with a reason */
	HC_PENDING,		/* job queued or running */
	HC_MISS,		/* unknown (never submitted, or evicted) */
};

struct hc_request {
	struct hc_identity id;
	pid_t pid;		/* tgid running the image; 0: none */
	const char *path;	/* kernel-reported path; NULL/"": none; copied */
	uint64_t cookie;	/* opaque, handed back in the completion */
};

struct hc_completion {
	uint64_t cookie;
	struct hc_identity id;
	struct hc_result result;
};

struct hashcache;

struct hashcache *hashcache_create(const struct hashcache_config *cfg);
/* Stops and joins the workers; a file being hashed is abandoned between
 * chunks. Must not race with other calls on hc. */
void hashcache_destroy(struct hashcache *hc);

/* A transient failure (process gone, file replaced...) is retried when a
 * submit names another pid: a sibling may still run the old image. */
enum hc_submit_ret hashcache_submit(struct hashcache *hc,
				    const struct hc_request *req);

/* id == NULL means the kernel did not know it: HC_DONE, not ok,
 * reason HC_REASON_IDENTITY_UNKNOWN. */
enum hc_lookup_ret hashcache_lookup(struct hashcache *hc,
				    const struct hc_identity *id,
				    struct hc_result *out);
/* As lookup, but waits up to timeout_ms while the job is pending. */
enum hc_lookup_ret hashcache_lookup_wait(struct hashcache *hc,
					 const struct hc_identity *id,
					 int timeout_ms, struct hc_result *out);

/* Readable (poll POLLIN) while completions wait to be drained. Owned by
 * hc; do not read or close it, hashcache_drain() resets it. */
int hashcache_eventfd(const struct hashcache *hc);
/* Moves up to max completions (one per HC_QUEUED submit) into out,
 * oldest first; returns the count. When more than completion_max pile
 * up, the oldest are dropped (counted). */
size_t hashcache_drain(struct hashcache *hc, struct hc_completion *out,
		       size_t max);

/* workers == 0 only: runs up to max queued jobs in the caller; returns
 * how many ran. */
size_t hashcache_work(struct hashcache *hc, size_t max);

void hashcache_stats(struct hashcache *hc, struct hc_stats *out);

/* Hashes one job synchronously, no cache: the source choice and identity
 * checks of the worker. Exposed for tests and tools. */
void hashcache_hash_one(const struct hc_identity *id, pid_t pid,
			const char *path, uint64_t size_cap,
			struct hc_result *out, struct exehash *stats);

#endif
