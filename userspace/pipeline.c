// SPDX-License-Identifier: GPL-2.0
#include "pipeline.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "flowconv.h"
#include "log.h"
#include "uapi/exeflow.h"

/*
 * A record waiting for its hash (or for the disk). 4 KiB of a 4.4 KB
 * struct ef_record is exe_path[], mostly unused: an entry keeps the bytes
 * before and after that array and the path as a string, ~0.4 KB, and the
 * record is put back together in struct pipeline's scratch when it goes.
 * Up to max_parked of them wait while a disk is full.
 */
#define PATH_OFF offsetof(struct ef_record, proc.exe_path)
#define PATH_END (PATH_OFF + EF_PATH_LEN)

struct parked {
	struct parked *next;
	uint64_t since_ms;
	bool known;		/* id is the executable's identity */
	struct hc_identity id;	/* ... kept for the hash cache, as is pid */
	pid_t pid;
	unsigned char head[PATH_OFF];
	unsigned char tail[sizeof(struct ef_record) - PATH_END];
	char path[];		/* proc.exe_path */
};

struct pipeline {
	struct pipeline_config cfg;
	struct parked *head, *tail;
	struct pipeline_stats st;
	int writer_failing;	/* log a full disk once, and its end */
	struct ef_record scratch;	/* a parked record, put together */
	struct flowconv_buf buf;
};

/*
 * The coarse clock (the last tick, a few ms old) is enough for a received
 * stamp and the hash wait, and is read from the vDSO page even where the
 * clocksource has no vDSO (the HPET of many VMs): there each precise
 * reading is a system call, and this one is taken for every flow.
 */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct pipeline *pipeline_create(const struct pipeline_config *cfg)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cfg = *cfg;
	if (!p->cfg.hash_wait_ms)
		p->cfg.hash_wait_ms = 10000;
	if (!p->cfg.max_parked)
		p->cfg.max_parked = 16384;
	return p;
}

void pipeline_destroy(struct pipeline *p)
{
	struct parked *e, *next;

	if (!p)
		return;
	for (e = p->head; e; e = next) {
		next = e->next;
		free(e);
	}
	free(p);
}

static void submit(struct pipeline *p, const struct hc_identity *id,
		   pid_t pid, const char *path)
{
	struct hc_request req = { 0 };

	req.id = *id;
	req.pid = pid;
	req.path = path;
	if (hashcache_submit(p->cfg.hc, &req) == HC_EFULL)
		p->st.hash_submit_full++;
}

static void submit_hash(struct pipeline *p, const struct ef_record *r)
{
	struct hc_identity id;

	if (flowconv_identity(r, &id))
		submit(p, &id, (pid_t)r->proc.tgid, r->proc.exe_path);
}

static struct parked *park(const struct ef_record *r, uint64_t now)
{
	size_t len = strlen(r->proc.exe_path) + 1;
	struct parked *e = malloc(sizeof(*e) + len);

	if (!e)
		return NULL;
	e->next = NULL;
	e->since_ms = now;
	e->known = flowconv_identity(r, &e->id) != NULL;
	e->pid = (pid_t)r->proc.tgid;
	memcpy(e->head, r, sizeof(e->head));
	memcpy(e->tail, (const char *)r + PATH_END, sizeof(e->tail));
	memcpy(e->path, r->proc.exe_path, len);
	return e;
}

/* The parked record as it came; exe_path[] past its NUL is not kept. */
static const struct ef_record *unpark(struct pipeline *p,
				      const struct parked *e)
{
	struct ef_record *r = &p->scratch;

	memcpy(r, e->head, sizeof(e->head));
	memcpy((char *)r + PATH_END, e->tail, sizeof(e->tail));
	memcpy(r->proc.exe_path, e->path, strlen(e->path) + 1);
	return r;
}

/*
 * Returns false if the writer could not take the flow (keep it parked).
 * @received_ms is the caller's reading of now_ms(), which it needed anyway.
 */
static bool emit(struct pipeline *p, const struct ef_record *r,
		 const struct hc_result *hash, uint64_t received_ms)
{
	struct nfw_flow f;
	int ret;

	flowconv(r, hash, received_ms, &f, &p->buf);
	ret = nfw_write(p->cfg.writer, &f, time(NULL));
	if (ret < 0) {
		if (!p->writer_failing)
			ef_log("cannot store flows, keeping them in memory: %s",
			       nfw_error(p->cfg.writer));
		p->writer_failing = 1;
		return false;
	}
	if (ret == NFW_WARN && !p->writer_failing) {
		ef_log("writing the flow file failed, will retry: %s",
		       nfw_error(p->cfg.writer));
		p->writer_failing = 1;
	} else if (ret == 0 && p->writer_failing) {
		ef_log("flow file writable again");
		p->writer_failing = 0;
	}
	p->st.written++;
	if (hash && hash->ok)
		p->st.with_hash++;
	return true;
}

/*
 * Decides whether a record (executable @id, NULL if unknown; waiting since
 * @since) can go now: its hash is known (or will never be), or it waited
 * long enough. *hash is set when there is one; *miss when the cache does
 * not know the identity (evicted meanwhile: submit again).
 */
static bool ready(struct pipeline *p, const struct hc_identity *id,
		  uint64_t since, uint64_t now, bool force,
		  struct hc_result *hash, bool *have, bool *miss)
{
	enum hc_lookup_ret lr;

	*have = *miss = false;
	if (!id)
		return true;
	lr = hashcache_lookup(p->cfg.hc, id, hash);
	if (lr == HC_DONE) {
		*have = true;
		return true;
	}
	*miss = lr == HC_MISS;
	if (force || now - since >= p->cfg.hash_wait_ms) {
		p->st.hash_timeouts++;
		return true;
	}
	return false;
}

static void run_queue(struct pipeline *p, bool force)
{
	struct parked **link = &p->head, *e;
	uint64_t now = now_ms();
	struct hc_result hash;
	bool have, miss, go;

	p->tail = NULL;
	while ((e = *link)) {
		go = ready(p, e->known ? &e->id : NULL, e->since_ms, now, force,
			   &hash, &have, &miss);
		if (miss)
			submit(p, &e->id, e->pid, e->path);
		if (go) {
			if (!emit(p, unpark(p, e), have ? &hash : NULL, now)) {
				/* Disk failing: keep order, try later. */
				while (*link) {
					p->tail = *link;
					link = &(*link)->next;
				}
				return;
			}
			*link = e->next;
			free(e);
			p->st.parked--;
			continue;
		}
		p->tail = e;
		link = &e->next;
	}
}

/*
 * Nothing waits: what run_queue() would do with this record alone, without
 * parking it first (the usual case, its hash known since its NEW). Returns
 * false if it has to wait.
 */
static bool emit_now(struct pipeline *p, const struct ef_record *rec,
		     uint64_t now)
{
	struct hc_identity idb;
	const struct hc_identity *id = flowconv_identity(rec, &idb);
	struct hc_result hash;
	bool have, miss, go;

	go = ready(p, id, now, now, false, &hash, &have, &miss);
	if (miss)
		submit(p, id, (pid_t)rec->proc.tgid, rec->proc.exe_path);
	return go && emit(p, rec, have ? &hash : NULL, now);
}

void pipeline_record(struct pipeline *p, const struct ef_record *rec)
{
	struct parked *e;
	uint64_t now;
	bool alone;

	p->st.records++;
	if (rec->event == EXEFLOW_EV_NEW) {
		submit_hash(p, rec);
		return;
	}
	if (rec->event != EXEFLOW_EV_UPDATE && rec->event != EXEFLOW_EV_END)
		return;
	/* Also for UPDATE/END: the NEW may predate this daemon. */
	submit_hash(p, rec);
	now = now_ms();
	alone = !p->head;
	if (alone && emit_now(p, rec, now))
		return;
	if (p->st.parked >= p->cfg.max_parked) {
		if (!p->st.dropped)
			ef_log("too many records waiting (%zu): dropping, see counters",
			       p->st.parked);
		p->st.dropped++;
		return;
	}
	e = park(rec, now);
	if (!e) {
		p->st.dropped++;
		return;
	}
	if (p->tail)
		p->tail->next = e;
	else
		p->head = e;
	p->tail = e;
	p->st.parked++;
	/* Cheap when the head is waiting: records behind it are tried on
	 * the next completion anyway. A record without identity is ready
	 * at once, and so may be others parked ahead of it. */
	if (!alone && !e->known)
		run_queue(p, false);
}

static void log_completions(struct pipeline *p)
{
	struct hc_completion done[64];
	size_t n;

	while ((n = hashcache_drain(p->cfg.hc, done, 64)) > 0) {
		for (size_t i = 0; i < n; i++) {
			if (done[i].result.ok)
				continue;
			ef_log("no hash for executable dev %u:%u inode %llu: %s",
			       done[i].id.major, done[i].id.minor,
			       (unsigned long long)done[i].id.ino,
			       done[i].result.reason);
		}
	}
}

void pipeline_poll(struct pipeline *p, time_t now)
{
	log_completions(p);
	run_queue(p, false);
	nfw_tick(p->cfg.writer, now);
}

size_t pipeline_finish(struct pipeline *p, unsigned wait_ms)
{
	struct timespec step = { 0, 50 * 1000000L };
	unsigned waited = 0;

	while (p->head && waited < wait_ms) {
		log_completions(p);
		run_queue(p, false);
		if (!p->head)
			break;
		nanosleep(&step, NULL);
		waited += 50;
	}
	log_completions(p);
	run_queue(p, true);
	return p->st.parked;
}

void pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *st)
{
	*st = p->st;
}
