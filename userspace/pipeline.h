/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records -> hashes -> nfcapd file. A NEW record only starts hashing (the
 * process is alive, so /proc/<pid>/exe still shows the running image); the
 * UPDATE and END records are what the file gets. They wait ("park") until
 * the hash of their executable is known, for at most hash_wait_ms, and also
 * while the writer cannot store them (full disk): nothing is dropped until
 * max_parked records wait, and then the loss is counted and logged.
 */
#ifndef EXEFLOW_PIPELINE_H
#define EXEFLOW_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hashcache.h"
#include "nfrotate.h"
#include "record.h"

struct pipeline_config {
	struct nfw *writer;
	struct hashcache *hc;
	unsigned hash_wait_ms;	/* 0: 10000 */
	size_t max_parked;	/* 0: 262144 */
};

struct pipeline_stats {
	uint64_t records;	/* received, any event */
	uint64_t written;	/* flows stored by the writer */
	uint64_t with_hash;	/* ... of which carried MD5/SHA-256 */
	uint64_t dropped;	/* lost: parked queue full */
	uint64_t hash_timeouts;	/* written without hash: wait expired */
	uint64_t hash_submit_full;	/* hash queue full at submit */
	size_t parked;		/* gauge */
};

struct pipeline;

struct pipeline *pipeline_create(const struct pipeline_config *cfg);
void pipeline_destroy(struct pipeline *p);

void pipeline_record(struct pipeline *p, const struct ef_record *rec);
/* Call when hashcache_eventfd() is readable, and about once a second. */
void pipeline_poll(struct pipeline *p, time_t now);
/* Shutdown: wait up to wait_ms for hashes still running, then write every
 * parked record (without hash if need be). Returns the number left unwritten
 * (disk failing). */
size_t pipeline_finish(struct pipeline *p, unsigned wait_ms);
void pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *st);

#endif
