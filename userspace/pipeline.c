// SPDX-License-Identifier: GPL-2.0
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "flowconv.h"
#include "log.h"
#include "uapi/exeflow.h"

struct parked {
	struct parked *next;
	uint64_t since_ms;
	struct ef_record rec;
};

struct pipeline {
	struct pipeline_config cfg;
	struct parked *head, *tail;
	struct pipeline_stats st;
	int writer_failing;	/* log a full disk once, and its end */
	struct flowconv_buf buf;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
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

static void submit_hash(struct pipeline *p, const struct ef_record *r)
{
	struct hc_identity id;
	struct hc_request req = { 0 };

	if (!flowconv_identity(r, &id))
		return;
	req.id = id;
	req.pid = (pid_t)r->proc.tgid;
	req.path = r->proc.exe_path;
	if (hashcache_submit(p->cfg.hc, &req) == HC_EFULL)
		p->st.hash_submit_full++;
}

/* Returns false if the writer could not take the flow (keep it parked). */
static bool emit(struct pipeline *p, const struct ef_record *r,
		 const struct hc_result *hash)
{
	struct nfw_flow f;
	int ret;

	flowconv(r, hash, now_ms(), &f, &p->buf);
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
 * Decides whether a parked record can go now: its hash is known (or will
 * never be), or it waited long enough. *hash is set when there is one.
 */
static bool ready(struct pipeline *p, struct parked *e, uint64_t now,
		  bool force, struct hc_result *hash, bool *have)
{
	struct hc_identity id;
	enum hc_lookup_ret lr;

	*have = false;
	if (!flowconv_identity(&e->rec, &id))
		return true;
	lr = hashcache_lookup(p->cfg.hc, &id, hash);
	if (lr == HC_DONE) {
		*have = true;
		return true;
	}
	if (lr == HC_MISS)
		submit_hash(p, &e->rec);	/* evicted meanwhile */
	if (force || now - e->since_ms >= p->cfg.hash_wait_ms) {
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
	bool have;

	p->tail = NULL;
	while ((e = *link)) {
		if (ready(p, e, now, force, &hash, &have)) {
			if (!emit(p, &e->rec, have ? &hash : NULL)) {
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

void pipeline_record(struct pipeline *p, const struct ef_record *rec)
{
	struct parked *e;

	p->st.records++;
	if (rec->event == EXEFLOW_EV_NEW) {
		submit_hash(p, rec);
		return;
	}
	if (rec->event != EXEFLOW_EV_UPDATE && rec->event != EXEFLOW_EV_END)
		return;
	/* Also for UPDATE/END: the NEW may predate this daemon. */
	submit_hash(p, rec);
	if (p->st.parked >= p->cfg.max_parked) {
		if (!p->st.dropped)
			ef_log("too many records waiting (%zu): dropping, see counters",
			       p->st.parked);
		p->st.dropped++;
		return;
	}
	e = malloc(sizeof(*e));
	if (!e) {
		p->st.dropped++;
		return;
	}
	e->next = NULL;
	e->since_ms = now_ms();
	e->rec = *rec;
	if (p->tail)
		p->tail->next = e;
	else
		p->head = e;
	p->tail = e;
	p->st.parked++;
	/* Cheap when the head is waiting: records behind it are tried on
	 * the next completion anyway. */
	if (p->st.parked == 1 || !flowconv_identity(rec, &(struct hc_identity){0}))
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
