// SPDX-License-Identifier: GPL-2.0
#include "hashcache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

enum entry_state { E_QUEUED, E_RUNNING, E_DONE };

struct hc_entry {
	struct hc_identity id;
	struct hc_entry *hnext;		/* bucket chain */
	struct hc_entry *prev, *next;	/* jobs FIFO if QUEUED, LRU if DONE */
	enum entry_state state;
	bool transient;		/* DONE, not ok, may succeed from another pid */
	pid_t pid;		/* pid of the queued or last attempt */
	char *path;		/* QUEUED only */
	uint64_t cookie;
	struct hc_result res;
};

struct list {
	struct hc_entry *head, *tail;
	size_t n;
};

struct hashcache {
	pthread_mutex_t lock;
	pthread_cond_t work_cv;		/* jobs queued or stopping */
	pthread_cond_t done_cv;		/* a job finished */
	struct hc_entry **buckets;
	size_t mask;
	struct list jobs, lru;
	size_t entries;
	struct hc_completion *ring;
	size_t ring_head, ring_n;
	int efd;
	atomic_bool stop;
	pthread_t *threads;
	unsigned nthreads;
	struct hashcache_config cfg;
	struct hc_stats st;
};

/* ---- source choice and identity checks (no locks) ---- */

static uint64_t st_mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000u +
	       (uint64_t)st->st_mtim.tv_nsec;
}

static bool same_identity(const struct stat *st, const struct hc_identity *id)
{
	return S_ISREG(st->st_mode) &&
	       major(st->st_dev) == id->major && minor(st->st_dev) == id->minor &&
	       (uint64_t)st->st_ino == id->ino &&
	       (uint64_t)st->st_size == id->size &&
	       st_mtime_ns(st) == id->mtime_ns;
}

static const char *errname(int err)
{
	const char *s = strerrorname_np(err);

	return s ? s : "unknown error";
}

/*
 * Hashes name if the opened file is the identified one. Returns true with
 * out hashed, or false with a short reason in why.
 *
 * The fstat on the opened fd is what makes this safe: whatever the name
 * resolved to, only the file we will read is compared. No O_NOFOLLOW for
 * /proc/<pid>/exe, a magic link that must be followed; O_NOFOLLOW for the
 * path (the kernel reports a resolved one, a symlink there is not it).
 * O_NONBLOCK keeps a FIFO planted at the path from blocking the worker.
 */
static bool try_source(const char *name, bool is_proc,
		       const struct hc_identity *id, const atomic_bool *cancel,
		       struct hc_result *out, struct exehash *xh,
		       char *why, size_t whylen)
{
	const char *what = is_proc ? "process exe" : "file";
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	struct stat st;
	int fd, err;

	if (!is_proc) {
		/* Cheap pre-check so a replaced path to a device is never
		 * even opened; the fstat below is still the real check. */
		if (lstat(name, &st) == 0 && !same_identity(&st, id)) {
			snprintf(why, whylen, "file replaced");
			return false;
		}
		flags |= O_NOFOLLOW;
	}
	fd = open(name, flags);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT || err == ESRCH)
			snprintf(why, whylen, is_proc ? "process gone" : "file gone");
		else
			snprintf(why, whylen, "%snot readable: %s",
				 is_proc ? "process exe " : "", errname(err));
		return false;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "%s fstat: %s", what, errname(errno));
		goto fail;
	}
	if (!same_identity(&st, id)) {
		/* /proc: pid reused or exec'd since; path: replaced or
		 * modified. Either way not the file the kernel saw. */
		snprintf(why, whylen, is_proc ? "process runs another file" :
			 "file replaced");
		goto fail;
	}
	/* Reading more than id->size bytes means it grew: -EFBIG. */
	err = exehash_fd(fd, id->size, cancel, xh);
	if (err == 0 && (xh->bytes != id->size || fstat(fd, &st) < 0 ||
			 !same_identity(&st, id)))
		err = -EFBIG;
	if (err) {
		if (err == -EFBIG)
			snprintf(why, whylen, "%s changed while hashing", what);
		else if (err == -ECANCELED)
			snprintf(why, whylen, "shutting down");
		else if (err == -ENOTSUP)
			snprintf(why, whylen, "digest unavailable");
		else
			snprintf(why, whylen, "%s read error: %s", what,
				 errname(-err));
		goto fail;
	}
	close(fd);
	memcpy(out->md5, xh->md5, sizeof(out->md5));
	memcpy(out->sha256, xh->sha256, sizeof(out->sha256));
	out->ok = true;
	out->source = is_proc ? HC_SRC_PROC : HC_SRC_PATH;
	return true;
fail:
	close(fd);
	return false;
}

/* Returns true when the failure is a property of the identity itself
 * (retrying cannot help), false when another source might succeed. */
static bool hash_one(const struct hc_identity *id, pid_t pid, const char *path,
		     uint64_t size_cap, const atomic_bool *cancel,
		     struct hc_result *out, struct exehash *xh)
{
	/* Sized so "<proc> and <path>" always fits in reason. */
	char why_proc[(HC_REASON_LEN - 5) / 2] = "";
	char why_path[(HC_REASON_LEN - 5) / 2] = "";
	char name[32];

	memset(out, 0, sizeof(*out));
	memset(xh, 0, sizeof(*xh));
	if (id->size > size_cap) {
		snprintf(out->reason, sizeof(out->reason), "size above cap");
		return true;
	}
	if (pid > 0) {
		snprintf(name, sizeof(name), "/proc/%d/exe", (int)pid);
		if (try_source(name, true, id, cancel, out, xh, why_proc,
			       sizeof(why_proc)))
			return false;
		if (cancel && atomic_load(cancel))
			goto reason;
	}
	if (path && *path) {
		if (try_source(path, false, id, cancel, out, xh, why_path,
			       sizeof(why_path)))
			return false;
	}
reason:
	if (*why_proc && *why_path)
		snprintf(out->reason, sizeof(out->reason), "%s and %s",
			 why_proc, why_path);
	else if (*why_proc || *why_path)
		snprintf(out->reason, sizeof(out->reason), "%s",
			 *why_proc ? why_proc : why_path);
	else
		snprintf(out->reason, sizeof(out->reason), "no pid and no path");
	return false;
}

void hashcache_hash_one(const struct hc_identity *id, pid_t pid,
			const char *path, uint64_t size_cap,
			struct hc_result *out, struct exehash *stats)
{
	struct exehash xh;

	hash_one(id, pid, path, size_cap, NULL, out, stats ? stats : &xh);
}

/* ---- cache structure (callers hold hc->lock) ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static size_t bucket_of(const struct hashcache *hc, const struct hc_identity *id)
{
	uint64_t h = mix64(((uint64_t)id->major << 32 | id->minor) ^
			   mix64(id->ino ^ mix64(id->size ^ mix64(id->mtime_ns))));

	return (size_t)h & hc->mask;
}

static bool id_eq(const struct hc_identity *a, const struct hc_identity *b)
{
	return a->major == b->major && a->minor == b->minor &&
	       a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns;
}

static struct hc_entry *find(struct hashcache *hc, const struct hc_identity *id)
{
	struct hc_entry *e = hc->buckets[bucket_of(hc, id)];

	while (e && !id_eq(&e->id, id))
		e = e->hnext;
	return e;
}

static void list_del(struct list *l, struct hc_entry *e)
{
	*(e->prev ? &e->prev->next : &l->head) = e->next;
	*(e->next ? &e->next->prev : &l->tail) = e->prev;
	e->prev = e->next = NULL;
	l->n--;
}

static void list_add_tail(struct list *l, struct hc_entry *e)
{
	e->next = NULL;
	e->prev = l->tail;
	*(l->tail ? &l->tail->next : &l->head) = e;
	l->tail = e;
	l->n++;
}

static void list_add_head(struct list *l, struct hc_entry *e)
{
	e->prev = NULL;
	e->next = l->head;
	*(l->head ? &l->head->prev : &l->tail) = e;
	l->head = e;
	l->n++;
}

static void free_entry(struct hashcache *hc, struct hc_entry *e)
{
	struct hc_entry **pp = &hc->buckets[bucket_of(hc, &e->id)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	hc->entries--;
	free(e->path);
	free(e);
}

/* Only finished entries are evicted: queued/running ones are referenced
 * by jobs, so the cache may overshoot by at most queue_max + workers. */
static void evict(struct hashcache *hc)
{
	while (hc->entries > hc->cfg.max_entries && hc->lru.tail) {
		struct hc_entry *e = hc->lru.tail;

		list_del(&hc->lru, e);
		free_entry(hc, e);
		hc->st.evicted++;
	}
}

static void complete(struct hashcache *hc, struct hc_entry *e)
{
	size_t cap = hc->cfg.completion_max, slot;

	if (hc->ring_n == cap) {
		hc->ring_head = (hc->ring_head + 1) % cap;
		hc->ring_n--;
		hc->st.completions_dropped++;
	}
	slot = (hc->ring_head + hc->ring_n++) % cap;
	hc->ring[slot].cookie = e->cookie;
	hc->ring[slot].id = e->id;
	hc->ring[slot].result = e->res;
	/* Cannot fail short of counter overflow (2^64 - 2 completions). */
	(void)eventfd_write(hc->efd, 1);
}

/* Takes the oldest job and runs it with the lock dropped. */
static bool run_one(struct hashcache *hc)
{
	struct hc_entry *e = hc->jobs.head;
	struct hc_identity id;
	struct hc_result res;
	struct exehash xh;
	bool permanent;
	char *path;
	pid_t pid;

	if (!e)
		return false;
	list_del(&hc->jobs, e);
	e->state = E_RUNNING;	/* pins e: not evicted, not re-queued */
	id = e->id;
	pid = e->pid;
	path = e->path;
	e->path = NULL;
	pthread_mutex_unlock(&hc->lock);

	permanent = hash_one(&id, pid, path, hc->cfg.size_cap, &hc->stop,
			     &res, &xh);
	free(path);

	pthread_mutex_lock(&hc->lock);
	e->res = res;
	e->transient = !res.ok && !permanent;
	e->state = E_DONE;
	list_add_head(&hc->lru, e);
	if (res.ok) {
		hc->st.hashed++;
		hc->st.bytes_hashed += xh.bytes;
		hc->st.hash_ns += xh.elapsed_ns;
	} else {
		hc->st.hash_failed++;
	}
	complete(hc, e);
	evict(hc);
	pthread_cond_broadcast(&hc->done_cv);
	return true;
}

static void *worker(void *arg)
{
	struct hashcache *hc = arg;

	pthread_mutex_lock(&hc->lock);
	while (!atomic_load(&hc->stop)) {
		if (!run_one(hc))
			pthread_cond_wait(&hc->work_cv, &hc->lock);
	}
	pthread_mutex_unlock(&hc->lock);
	return NULL;
}

/* ---- API ---- */

struct hashcache *hashcache_create(const struct hashcache_config *cfg)
{
	struct hashcache *hc = calloc(1, sizeof(*hc));
	pthread_condattr_t ca;
	size_t nb = 16;

	if (!hc)
		return NULL;
	hc->efd = -1;
	if (cfg)
		hc->cfg = *cfg;
	if (!hc->cfg.max_entries)
		hc->cfg.max_entries = 4096;
	if (!hc->cfg.queue_max)
		hc->cfg.queue_max = 1024;
	if (!hc->cfg.completion_max)
		hc->cfg.completion_max = 1024;
	if (!hc->cfg.size_cap)
		hc->cfg.size_cap = 256u << 20;
	/* Sized for the worst case up front: the table never resizes. */
	while (nb < hc->cfg.max_entries + hc->cfg.queue_max + hc->cfg.workers)
		nb <<= 1;
	hc->mask = nb - 1;
	atomic_init(&hc->stop, false);

	hc->buckets = calloc(nb, sizeof(*hc->buckets));
	hc->ring = calloc(hc->cfg.completion_max, sizeof(*hc->ring));
	hc->threads = calloc(hc->cfg.workers + 1, sizeof(*hc->threads));
	hc->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!hc->buckets || !hc->ring || !hc->threads || hc->efd < 0)
		goto fail;

	pthread_mutex_init(&hc->lock, NULL);
	pthread_condattr_init(&ca);
	/* lookup_wait deadlines must not jump with the wall clock. */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hc->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&hc->work_cv, NULL);

	for (; hc->nthreads < hc->cfg.workers; hc->nthreads++) {
		if (pthread_create(&hc->threads[hc->nthreads], NULL, worker, hc)) {
			hashcache_destroy(hc);
			return NULL;
		}
	}
	return hc;
fail:
	if (hc->efd >= 0)
		close(hc->efd);
	free(hc->buckets);
	free(hc->ring);
	free(hc->threads);
	free(hc);
	return NULL;
}

void hashcache_destroy(struct hashcache *hc)
{
	if (!hc)
		return;
	pthread_mutex_lock(&hc->lock);
	atomic_store(&hc->stop, true);
	pthread_cond_broadcast(&hc->work_cv);
	pthread_mutex_unlock(&hc->lock);
	for (unsigned i = 0; i < hc->nthreads; i++)
		pthread_join(hc->threads[i], NULL);

	for (size_t b = 0; b <= hc->mask; b++) {
		while (hc->buckets[b])
			free_entry(hc, hc->buckets[b]);
	}
	pthread_cond_destroy(&hc->work_cv);
	pthread_cond_destroy(&hc->done_cv);
	pthread_mutex_destroy(&hc->lock);
	close(hc->efd);
	free(hc->buckets);
	free(hc->ring);
	free(hc->threads);
	free(hc);
}

static enum hc_submit_ret queue_job(struct hashcache *hc, struct hc_entry *e,
				    const struct hc_request *req)
{
	if (req->path && *req->path) {
		e->path = strdup(req->path);
		if (!e->path)
			return HC_ENOMEM;
	}
	e->pid = req->pid;
	e->cookie = req->cookie;
	e->state = E_QUEUED;
	list_add_tail(&hc->jobs, e);
	hc->st.submit_queued++;
	pthread_cond_signal(&hc->work_cv);
	return HC_QUEUED;
}

enum hc_submit_ret hashcache_submit(struct hashcache *hc,
				    const struct hc_request *req)
{
	enum hc_submit_ret ret;
	struct hc_entry *e;

	pthread_mutex_lock(&hc->lock);
	hc->st.submits++;
	e = find(hc, &req->id);
	if (e && e->state != E_DONE) {
		hc->st.submit_inflight++;
		ret = HC_INFLIGHT;
	} else if (e && !(e->transient && req->pid > 0 && req->pid != e->pid)) {
		list_del(&hc->lru, e);
		list_add_head(&hc->lru, e);
		hc->st.submit_cached++;
		ret = HC_CACHED;
	} else if (hc->jobs.n >= hc->cfg.queue_max) {
		hc->st.queue_full++;
		ret = HC_EFULL;
	} else if (e) {
		/* Retry a transient failure; keeps the old result on ENOMEM. */
		list_del(&hc->lru, e);
		ret = queue_job(hc, e, req);
		if (ret != HC_QUEUED)
			list_add_head(&hc->lru, e);
	} else if (!(e = calloc(1, sizeof(*e)))) {
		ret = HC_ENOMEM;
	} else {
		e->id = req->id;
		ret = queue_job(hc, e, req);
		if (ret == HC_QUEUED) {
			size_t b = bucket_of(hc, &e->id);

			e->hnext = hc->buckets[b];
			hc->buckets[b] = e;
			hc->entries++;
			evict(hc);
		} else {
			free(e);
		}
	}
	pthread_mutex_unlock(&hc->lock);
	return ret;
}

static enum hc_lookup_ret lookup_locked(struct hashcache *hc,
					const struct hc_identity *id,
					struct hc_result *out)
{
	struct hc_entry *e = find(hc, id);

	if (!e)
		return HC_MISS;
	if (e->state != E_DONE)
		return HC_PENDING;
	list_del(&hc->lru, e);
	list_add_head(&hc->lru, e);
	*out = e->res;
	return HC_DONE;
}

static enum hc_lookup_ret unknown(struct hc_result *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->reason, sizeof(out->reason), HC_REASON_IDENTITY_UNKNOWN);
	return HC_DONE;
}

enum hc_lookup_ret hashcache_lookup(struct hashcache *hc,
				    const struct hc_identity *id,
				    struct hc_result *out)
{
	return hashcache_lookup_wait(hc, id, 0, out);
}

enum hc_lookup_ret hashcache_lookup_wait(struct hashcache *hc,
					 const struct hc_identity *id,
					 int timeout_ms, struct hc_result *out)
{
	enum hc_lookup_ret ret;
	struct timespec dl;

	if (!id)
		return unknown(out);
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&hc->lock);
	hc->st.lookups++;
	/* Only the final outcome is counted, not each wake-up. */
	while ((ret = lookup_locked(hc, id, out)) == HC_PENDING &&
	       timeout_ms > 0 && !atomic_load(&hc->stop)) {
		if (pthread_cond_timedwait(&hc->done_cv, &hc->lock, &dl) ==
		    ETIMEDOUT) {
			ret = lookup_locked(hc, id, out);
			break;
		}
	}
	if (ret == HC_DONE)
		hc->st.lookup_hits++;
	else if (ret == HC_PENDING)
		hc->st.lookup_pending++;
	else if (ret == HC_MISS)
		hc->st.lookup_misses++;
	pthread_mutex_unlock(&hc->lock);
	return ret;
}

int hashcache_eventfd(const struct hashcache *hc)
{
	return hc->efd;
}

size_t hashcache_drain(struct hashcache *hc, struct hc_completion *out,
		       size_t max)
{
	eventfd_t cnt;
	size_t n = 0;

	pthread_mutex_lock(&hc->lock);
	for (; n < max && hc->ring_n; n++) {
		out[n] = hc->ring[hc->ring_head];
		hc->ring_head = (hc->ring_head + 1) % hc->cfg.completion_max;
		hc->ring_n--;
	}
	/* Pushes signal under the lock too, so an empty ring here means the
	 * counter covers only what was taken: reset it, no spurious wake-up.
	 * Left set when out was too small. */
	if (!hc->ring_n)
		(void)eventfd_read(hc->efd, &cnt);	/* EAGAIN if unset */
	pthread_mutex_unlock(&hc->lock);
	return n;
}

size_t hashcache_work(struct hashcache *hc, size_t max)
{
	size_t n = 0;

	if (hc->cfg.workers)
		return 0;
	pthread_mutex_lock(&hc->lock);
	while (n < max && run_one(hc))
		n++;
	pthread_mutex_unlock(&hc->lock);
	return n;
}

void hashcache_stats(struct hashcache *hc, struct hc_stats *out)
{
	pthread_mutex_lock(&hc->lock);
	*out = hc->st;
	out->entries = hc->entries;
	out->queued = hc->jobs.n;
	pthread_mutex_unlock(&hc->lock);
}
