// SPDX-License-Identifier: GPL-2.0
/*
 * Rotating nfcapd-style writer and crash recovery.
 *
 * Placing a sealed current file C under its slot name T:
 *   - T absent: renameat2(RENAME_NOREPLACE). One atomic step.
 *   - T present: build M = T's records + C's records as
 *     nfcapd.current.<pid>.merge, seal + fsync it, unlink C, rename M over
 *     T. T is whole at every instant. After a crash: M and C both present
 *     means M was not finished (drop M, place C again); M without C means
 *     only the final rename is missing (do it). So nothing is lost or
 *     counted twice, which nfcapd's in-place RenameAppend cannot promise.
 * Every name we leave behind starts with "nfcapd.current", which nfdump's
 * -R lister and nfexpire both skip.
 */
#include "nfrotate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CUR_PREFIX "nfcapd.current."
#define MERGE_SUFFIX ".merge"
#define BROKEN_SUFFIX ".broken"
#define NAME_MAX_LEN 96
#define PATH_LEN 160

struct cfg {
	int dirfd;
	unsigned twin, flush_secs;
	int comp, subdir;
	mode_t mode, dmode;
	char ident[NFF_IDENT_MAX + 1];
};

/* Small u64 -> u64 map: what this file already holds (NBAR ids, ifnames). */
struct kset {
	uint64_t *k, *v;
	size_t cap, n;
};

struct nfw {
	struct cfg c;
	struct nff_out *out;
	int open;		/* a current file exists */
	time_t slot, created, retry_at, flushed_at;
	char cur[NAME_MAX_LEN];
	struct nff_stat stat;	/* of the flows of the current file */
	struct kset apps, ifs;
	struct nfw_stats st;
	char err[256];
	uint8_t rec[NFR_FLOW_MAX];
};

static const char *const subdir_fmt[9] = {
	"", "%Y/%m/%d", "%Y/%m/%d/%H", "%Y/%W/%u", "%Y/%W/%u/%H",
	"%Y/%j", "%Y/%j/%H", "%Y-%m-%d", "%Y-%m-%d/%H",
};

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t len, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	errno = e;
}

/* ---- kset ---- */

/*
 * Eight bytes per multiply, each step invertible and folded so high bits
 * reach the low ones the kset indexes by; a tail is read as one or two
 * overlapping loads (which bytes, its length says). emit_app() and
 * emit_ifname() hash ~60 bytes per flow, and byte-wise FNV was a third of
 * nfw_write(). Only the ksets' keys and values depend on it, nothing that
 * is written.
 */
#define HASH_SEED 0xcbf29ce484222325ull

static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ull;
	return h ^ h >> 29;
}

static uint64_t whash(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	uint32_t x, y;

	if (n >= 8) {
		for (; n >= 8; n -= 8, b += 8) {
			memcpy(&v, b, 8);
			h = mix(h, v);
		}
		if (n)
			memcpy(&v, b + n - 8, 8);
	} else if (n >= 4) {
		memcpy(&x, b, 4);
		memcpy(&y, b + n - 4, 4);
		v = (uint64_t)y << 32 | x;
	} else if (n) {
		v = (uint64_t)b[0] << 16 | (uint64_t)b[n / 2] << 8 | b[n - 1];
	}
	return mix(h, v ^ (uint64_t)n << 59);
}

/* cap is 0 or a power of two (64, doubled): masks, not divisions, on the
 * three lookups nfw_write() does per flow. */
static uint64_t *kset_find(const struct kset *s, uint64_t key)
{
	size_t mask = s->cap - 1;

	if (!s->cap)
		return NULL;
	for (size_t i = key & mask;; i = (i + 1) & mask) {
		if (!s->k[i])
			return NULL;
		if (s->k[i] == key)
			return &s->v[i];
	}	/* ends: kset_put keeps at least half the slots empty */
}

static int kset_put(struct kset *s, uint64_t key, uint64_t val)
{
	uint64_t *v = kset_find(s, key);
	size_t i;

	if (v) {
		*v = val;
		return 0;
	}
	if (2 * (s->n + 1) > s->cap) {
		struct kset g = { .cap = s->cap ? 2 * s->cap : 64 };

		g.k = calloc(g.cap, sizeof(*g.k));
		g.v = calloc(g.cap, sizeof(*g.v));
		if (!g.k || !g.v) {
			free(g.k);
			free(g.v);
			errno = ENOMEM;
			return -1;
		}
		for (i = 0; i < s->cap; i++)
			if (s->k[i])
				kset_put(&g, s->k[i], s->v[i]);
		free(s->k);
		free(s->v);
		*s = g;
	}
	for (i = key & (s->cap - 1); s->k[i]; i = (i + 1) & (s->cap - 1))
		;
	s->k[i] = key;
	s->v[i] = val;
	s->n++;
	return 0;
}

static void kset_clear(struct kset *s)
{
	if (s->cap > 4096) {	/* a burst of apps should not pin memory */
		free(s->k);
		free(s->v);
		memset(s, 0, sizeof(*s));
		return;
	}
	if (s->cap)
		memset(s->k, 0, s->cap * sizeof(*s->k));
	s->n = 0;
}

/* ---- names and directories ---- */

int nfw_slot_path(const struct nfw_options *o, time_t slot, char *buf,
		  size_t len)
{
	unsigned twin = o->twin ? o->twin : 300;
	struct tm tm;
	size_t n = 0;

	if (o->subdir < 0 || o->subdir > 8 || !localtime_r(&slot, &tm))
		return -1;
	if (o->subdir) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"	/* constant table */
		n = strftime(buf, len, subdir_fmt[o->subdir], &tm);
#pragma GCC diagnostic pop
		if (!n || n + 1 >= len)
			return -1;
		buf[n++] = '/';
	}
	if (len - n < 8)
		return -1;
	memcpy(buf + n, "nfcapd.", 7);
	n += 7;
	if (!strftime(buf + n, len - n, twin < 60 ? "%Y%m%d%H%M%S" : "%Y%m%d%H%M",
		      &tm))
		return -1;
	return 0;
}

/* Open (creating) each component of @rel under @dirfd without following
 * symlinks, so a link planted in the output tree cannot redirect us. */
static int open_dirs(const struct cfg *c, const char *rel)
{
	char tmp[PATH_LEN], *save = NULL, *comp;
	int fd;

	if (strlen(rel) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(tmp, rel);
	fd = dup(c->dirfd);
	if (fd < 0)
		return -1;
	for (comp = strtok_r(tmp, "/", &save); comp;
	     comp = strtok_r(NULL, "/", &save)) {
		int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
		int nfd = openat(fd, comp, flags);

		if (nfd < 0 && errno == ENOENT) {
			if (mkdirat(fd, comp, c->dmode) < 0 && errno != EEXIST)
				goto fail;
			nfd = openat(fd, comp, flags);
			if (nfd >= 0 && fchmod(nfd, c->dmode) < 0) {
				/* umask left it narrower; still usable */
			}
		}
		if (nfd < 0)
			goto fail;
		close(fd);
		fd = nfd;
	}
	return fd;
fail:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

/* Leaf directory fd of the slot's path and the file name within it. */
static int slot_target(const struct cfg *c, time_t slot, char *name, size_t len)
{
	struct nfw_options o = { .twin = c->twin, .subdir = c->subdir };
	char path[PATH_LEN], *base;
	int fd;

	if (nfw_slot_path(&o, slot, path, sizeof(path)) < 0) {
		errno = EINVAL;
		return -1;
	}
	base = strrchr(path, '/');
	if (snprintf(name, len, "%s", base ? base + 1 : path) >= (int)len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (base)
		*base = 0;
	fd = open_dirs(c, base ? path : "");
	return fd;
}

static time_t slot_of(const struct cfg *c, int64_t t)
{
	return (time_t)(t - t % c->twin);
}

static void finish_stat(const struct cfg *c, struct nff_stat *st, time_t slot)
{
	nfr_stat_finish(st, (uint64_t)slot * 1000,
			(uint64_t)(slot + c->twin) * 1000);
}

/* ---- merge and place ---- */

struct copy_ctx {
	struct nff_out *o;
	struct nff_stat *st;
};

static int copy_block(void *ctx, const uint8_t *p, size_t len, uint32_t n)
{
	struct copy_ctx *cc = ctx;
	size_t q = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint16_t size;

		memcpy(&size, p + q + 2, 2);
		if (nff_out_append(cc->o, p + q, size) < 0)
			return -1;
		if (cc->st)
			nfr_stat_add_record(cc->st, p + q, size);
		q += size;
	}
	(void)len;
	return 0;
}

static void sync_dirs(const struct cfg *c, int leaf)
{
	/* Durability of the rename; failure here changes nothing we can fix. */
	if (fsync(leaf) < 0 || fsync(c->dirfd) < 0)
		return;
}

/* T exists but is no nfdump file we can read: move it aside so nfdump -R
 * does not stop at it, and so we do not silently destroy it. */
static int move_aside(int leaf, const char *name)
{
	char aside[2 * NAME_MAX_LEN];

	if (snprintf(aside, sizeof(aside), CUR_PREFIX "broken.%s", name) >=
	    (int)sizeof(aside)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return renameat(leaf, name, leaf, aside);
}

/* Returns 0 placed, -1 C untouched, 1 C consumed but M left for recovery. */
static int merge(const struct cfg *c, const char *cur, int curfd,
		 int64_t created, int leaf, const char *name, time_t slot,
		 char *err, size_t el)
{
	char mname[NAME_MAX_LEN];
	struct nff_stat st;
	struct nff_out *o = nff_out_new(c->comp);
	struct copy_ctx cc = { o, &st };
	struct nff_walk w;
	struct stat sb;
	int tfd = -1, rc = -1, usable;

	snprintf(mname, sizeof(mname), "%s" MERGE_SUFFIX, cur);
	if (!o) {
		seterr(err, el, "merge: %s", strerror(errno));
		return -1;
	}
	nfr_stat_init(&st);
	unlinkat(c->dirfd, mname, 0);
	if (nff_out_create(o, c->dirfd, mname, c->mode, created) < 0) {
		seterr(err, el, "create %s: %s", mname, strerror(errno));
		goto out;
	}
	tfd = openat(leaf, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	usable = tfd >= 0 && fstat(tfd, &sb) == 0 && S_ISREG(sb.st_mode);
	if (usable && nff_walk(tfd, &w, copy_block, &cc) < 0) {
		if (errno != EINVAL) {	/* I/O, or M could not be written */
			seterr(err, el, "merge %s: %s", name, strerror(errno));
			goto out;
		}
		usable = 0;	/* not an nfdump file; nothing was copied */
	}
	if (!usable) {
		if (move_aside(leaf, name) < 0 ||
		    renameat(c->dirfd, cur, leaf, name) < 0) {
			seterr(err, el, "replace unreadable %s: %s", name,
			       strerror(errno));
			goto out;
		}
		unlinkat(c->dirfd, mname, 0);	/* M was not needed */
		rc = 0;
		goto out;
	}
	if (nff_walk(curfd, &w, copy_block, &cc) < 0) {
		seterr(err, el, "read %s: %s", cur, strerror(errno));
		goto out;
	}
	finish_stat(c, &st, slot);
	if (nff_out_finalise(o, c->ident, &st) < 0) {
		seterr(err, el, "write %s: %s", mname, strerror(errno));
		goto out;
	}
	if (unlinkat(c->dirfd, cur, 0) < 0) {
		seterr(err, el, "unlink %s: %s", cur, strerror(errno));
		goto out;
	}
	if (renameat(c->dirfd, mname, leaf, name) < 0) {
		seterr(err, el, "rename %s: %s (kept for recovery)", mname,
		       strerror(errno));
		nff_out_free(o);
		if (tfd >= 0)
			close(tfd);
		return 1;
	}
	rc = 0;
out:
	if (rc < 0)
		unlinkat(c->dirfd, mname, 0);
	if (tfd >= 0)
		close(tfd);
	nff_out_free(o);
	return rc;
}

static int place(const struct cfg *c, const char *cur, int curfd,
		 int64_t created, time_t slot, char *err, size_t el)
{
	char name[NAME_MAX_LEN];
	int leaf = slot_target(c, slot, name, sizeof(name)), r;
	struct stat sb;

	if (leaf < 0) {
		seterr(err, el, "slot directory: %s", strerror(errno));
		return -1;
	}
	r = renameat2(c->dirfd, cur, leaf, name, RENAME_NOREPLACE);
	if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
		/* file system without RENAME_NOREPLACE; we are the only writer */
		if (fstatat(leaf, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
			errno = EEXIST;
		else
			r = renameat(c->dirfd, cur, leaf, name);
	}
	if (r == 0) {
		sync_dirs(c, leaf);
	} else if (errno == EEXIST) {
		r = merge(c, cur, curfd, created, leaf, name, slot, err, el);
		if (r >= 0)
			sync_dirs(c, leaf);
	} else {
		seterr(err, el, "rename %s -> %s: %s", cur, name, strerror(errno));
	}
	close(leaf);
	return r;
}

/* ---- recovery ---- */

static int cfg_init(struct cfg *c, const struct nfw_options *o, char *err,
		    size_t el)
{
	memset(c, 0, sizeof(*c));
	c->dirfd = -1;
	c->twin = o->twin ? o->twin : 300;
	c->flush_secs = o->flush_secs ? o->flush_secs : 10;
	c->comp = o->compression;
	c->subdir = o->subdir;
	c->mode = (o->mode ? o->mode : 0640) & 07777;
	c->dmode = c->mode | ((c->mode & 0444) >> 2);
	snprintf(c->ident, sizeof(c->ident), "%s", o->ident ? o->ident : "none");
	if (!o->dir || c->twin < 2 || c->subdir < 0 || c->subdir > 8 ||
	    (c->comp != NFF_COMP_NONE && c->comp != NFF_COMP_LZO &&
	     c->comp != NFF_COMP_LZ4)) {
		errno = EINVAL;
		seterr(err, el, "invalid writer options");
		return -1;
	}
	c->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		seterr(err, el, "%s: %s", o->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* pid of "nfcapd.current.<pid>[suffix]", 0 if the name is not like that */
static long name_pid(const char *name, const char *suffix)
{
	const char *p = name + strlen(CUR_PREFIX);
	char *end;
	long pid;

	if (strncmp(name, CUR_PREFIX, strlen(CUR_PREFIX)) || *p < '1' || *p > '9')
		return 0;
	pid = strtol(p, &end, 10);
	return pid > 0 && !strcmp(end, suffix) ? pid : 0;
}

static int pid_alive(long pid)
{
	if (pid == getpid())
		return 0;	/* not us (flock says so): a previous life */
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Open a leftover file if it is orphaned; -1 means "leave it alone". */
static int open_orphan(const struct cfg *c, const char *name, long pid,
		       struct stat *sb)
{
	int fd = openat(c->dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
			O_NONBLOCK);

	if (fd < 0) {
		if (errno == ELOOP)	/* planted symlink: remove the link */
			unlinkat(c->dirfd, name, 0);
		return -1;
	}
	/* nlink > 1: a hard link someone planted to make us rewrite a file
	 * elsewhere; we never create those. */
	if (fstat(fd, sb) < 0 || !S_ISREG(sb->st_mode) || sb->st_nlink != 1 ||
	    flock(fd, LOCK_EX | LOCK_NB) < 0 || pid_alive(pid)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void set_aside(const struct cfg *c, const char *name)
{
	char aside[2 * NAME_MAX_LEN];

	if (snprintf(aside, sizeof(aside), "%s" BROKEN_SUFFIX, name) <
	    (int)sizeof(aside))
		renameat(c->dirfd, name, c->dirfd, aside);
}

/* A creation time a slot name can be made of (year 1970..9999); a leftover
 * whose header says otherwise falls back to its mtime, else is set aside. */
static int sane_time(int64_t t)
{
	return t > 0 && t < 253402214400LL;
}

static int add_stats(void *ctx, const uint8_t *p, size_t len, uint32_t n)
{
	size_t q = 0;

	for (uint32_t i = 0; i < n && q + 4 <= len; i++) {
		uint16_t size;

		memcpy(&size, p + q + 2, 2);
		nfr_stat_add_record(ctx, p + q, size);
		q += size;
	}
	return 0;
}

/* A current file: cut the torn tail, seal, place. 1 placed, 0 skipped. */
static int recover_cur(const struct cfg *c, const char *name, long pid,
		       char *err, size_t el)
{
	struct nff_stat st;
	struct nff_walk w;
	struct stat sb;
	int fd = open_orphan(c, name, pid, &sb), r;
	int64_t created;
	time_t slot;

	if (fd < 0)
		return 0;
	if (sb.st_size < NFF_HEADER_LEN) {	/* died before the header */
		unlinkat(c->dirfd, name, 0);
		close(fd);
		return 0;
	}
	nfr_stat_init(&st);
	if (nff_walk(fd, &w, add_stats, &st) < 0) {
		if (errno == EINVAL) {
			set_aside(c, name);
			close(fd);
			return 0;
		}
		seterr(err, el, "%s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	created = sane_time(w.h.created) ? w.h.created : (int64_t)sb.st_mtime;
	if (!sane_time(created)) {
		set_aside(c, name);
		close(fd);
		return 0;
	}
	slot = slot_of(c, created);
	finish_stat(c, &st, slot);
	if (nff_seal(fd, w.h.compression, created, w.end, w.blocks, c->ident,
		     &st) < 0) {
		seterr(err, el, "seal %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	r = place(c, name, fd, created, slot, err, el);
	close(fd);
	return r < 0 ? -1 : 1;
}

/* A merge file: finish its rename only if its source is gone. */
static int recover_merge(const struct cfg *c, const char *name, long pid,
			 char *err, size_t el)
{
	char cur[NAME_MAX_LEN], tname[NAME_MAX_LEN];
	struct nff_walk w;
	struct stat sb;
	int fd = open_orphan(c, name, pid, &sb), leaf, r = 0;

	if (fd < 0)
		return 0;
	snprintf(cur, sizeof(cur), "%.*s", (int)(strlen(name) -
		 strlen(MERGE_SUFFIX)), name);
	if (fstatat(c->dirfd, cur, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		unlinkat(c->dirfd, name, 0);	/* unfinished: redo from C */
	} else if (nff_walk(fd, &w, NULL, NULL) < 0 || !w.h.appendix_blocks ||
		   w.stopped || w.blocks != w.h.num_blocks ||
		   !sane_time(w.h.created)) {
		set_aside(c, name);	/* cannot happen by our protocol */
	} else {
		leaf = slot_target(c, slot_of(c, w.h.created), tname,
				   sizeof(tname));
		if (leaf < 0 || renameat(c->dirfd, name, leaf, tname) < 0) {
			seterr(err, el, "place %s: %s", name, strerror(errno));
			r = -1;
		} else {
			sync_dirs(c, leaf);
			r = 1;
		}
		if (leaf >= 0)
			close(leaf);
	}
	close(fd);
	return r;
}

static int recover(const struct cfg *c, char *err, size_t el)
{
	char (*names)[NAME_MAX_LEN] = NULL;
	size_t n = 0, cap = 0;
	int fd = dup(c->dirfd), placed = 0, failed = 0, nomem = 0;
	struct dirent *de;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		seterr(err, el, "scan: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	/* Collect first: placing files changes the directory. */
	while ((de = readdir(d))) {
		if ((!name_pid(de->d_name, "") &&
		     !name_pid(de->d_name, MERGE_SUFFIX)) ||
		    strlen(de->d_name) >= NAME_MAX_LEN)
			continue;
		if (n == cap) {
			void *g = realloc(names, (cap = cap ? 2 * cap : 16) *
					  sizeof(*names));
			if (!g) {
				nomem = failed = 1;
				break;
			}
			names = g;
		}
		strcpy(names[n++], de->d_name);
	}
	closedir(d);
	/* Merge files first: whether their source C still exists decides.
	 * One file failing does not stop the others. */
	for (int pass = 0; pass < 2 && !nomem; pass++) {
		for (size_t i = 0; i < n; i++) {
			long pm = name_pid(names[i], MERGE_SUFFIX);
			long pc = name_pid(names[i], "");
			int r = pass == 0 ? (pm ? recover_merge(c, names[i], pm, err, el) : 0)
					  : (pc ? recover_cur(c, names[i], pc, err, el) : 0);

			if (r < 0)
				failed = 1;
			else
				placed += r;
		}
	}
	free(names);
	return failed ? -1 : placed;
}

int nfw_recover(const struct nfw_options *opts, char *err, size_t errlen)
{
	struct cfg c;
	int r;

	if (cfg_init(&c, opts, err, errlen) < 0)
		return -1;
	r = recover(&c, err, errlen);
	close(c.dirfd);
	return r;
}

/* ---- the writer ---- */

static void start_file(struct nfw *w)
{
	nfr_stat_init(&w->stat);
	kset_clear(&w->apps);
	kset_clear(&w->ifs);
}

static int open_file(struct nfw *w, time_t now)
{
	if (nff_out_create(w->out, w->c.dirfd, w->cur, w->c.mode, now) < 0) {
		seterr(w->err, sizeof(w->err), "create %s: %s", w->cur,
		       strerror(errno));
		return -1;
	}
	w->open = 1;
	w->created = now;
	w->slot = slot_of(&w->c, now);
	return 0;
}

/* Seal the current file for its slot and put it under its name. */
static int seal_and_place(struct nfw *w, time_t now)
{
	struct nff_stat st = w->stat;
	int r;

	if (!w->open && open_file(w, now) < 0)
		return -1;
	finish_stat(&w->c, &st, w->slot);
	if (nff_out_finalise(w->out, w->c.ident, &st) < 0) {
		seterr(w->err, sizeof(w->err), "write %s: %s", w->cur,
		       strerror(errno));
		return -1;
	}
	r = place(&w->c, w->cur, nff_out_fd(w->out), w->created, w->slot,
		  w->err, sizeof(w->err));
	if (r < 0)
		return -1;	/* stays sealed; the next write reopens it */
	nff_out_close(w->out);
	w->open = 0;
	w->st.files++;
	start_file(w);
	return r;
}

/* A file with no flows for a slot nobody wrote in, as nfcapd leaves. */
static int empty_file(struct nfw *w, time_t slot)
{
	if (open_file(w, slot) < 0)
		return -1;
	w->created = slot;
	return seal_and_place(w, slot);
}

static int rotate(struct nfw *w, time_t now)
{
	time_t old = w->slot, s, next = slot_of(&w->c, now);
	time_t from = next - (time_t)(86400 / w->c.twin) * (time_t)w->c.twin;
	int warn = 0, r = seal_and_place(w, now);

	if (r < 0)
		return -1;
	warn |= r;
	/* Skipped slots (no tick for a while, clock jump): a day at most. */
	for (s = (old + (time_t)w->c.twin > from ? old + (time_t)w->c.twin : from);
	     s < next; s += w->c.twin) {
		if ((r = empty_file(w, s)) < 0)
			return -1;
		warn |= r;
	}
	if (open_file(w, now) < 0)
		return -1;
	return warn ? NFW_WARN : 0;
}

/* Rotation and reopening, at most one failed attempt per second. */
static int upkeep(struct nfw *w, time_t now, int force)
{
	int r;

	if (!force && now < w->retry_at)
		return 0;
	if (force || (w->open && now >= w->slot + (time_t)w->c.twin))
		r = rotate(w, now);
	else if (!w->open)
		r = open_file(w, now);
	else
		return 0;
	if (r < 0) {
		w->st.errors++;
		w->retry_at = now + 1;
		return -1;
	}
	return r;
}

struct nfw *nfw_open(const struct nfw_options *opts, time_t now, char *err,
		     size_t errlen)
{
	struct nfw *w = calloc(1, sizeof(*w));
	int r;

	if (!w) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (cfg_init(&w->c, opts, err, errlen) < 0)
		goto fail;
	/* A file we cannot finish now must not keep the daemon down: it stays
	 * (under a name nfdump skips) for the next start; say so. */
	r = recover(&w->c, w->err, sizeof(w->err));
	if (r < 0)
		w->st.errors++;
	else
		w->st.recovered = (uint64_t)r;
	w->out = nff_out_new(w->c.comp);
	if (!w->out) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(w->cur, sizeof(w->cur), CUR_PREFIX "%ld", (long)getpid());
	start_file(w);
	if (open_file(w, now) < 0) {
		seterr(err, errlen, "%s", w->err);
		goto fail;
	}
	w->flushed_at = now;
	return w;
fail:
	if (w->c.dirfd >= 0)
		close(w->c.dirfd);
	nff_out_free(w->out);
	free(w);
	return NULL;
}

static int emit_app(struct nfw *w, const struct nfw_flow *f)
{
	uint64_t key = whash(f->app_id, f->app_id_len, HASH_SEED) | 1;
	uint64_t val = whash(f->app_name, strlen(f->app_name) + 1, HASH_SEED);
	uint64_t *have = kset_find(&w->apps, key);
	uint8_t buf[512];
	size_t n;

	if (f->app_desc)
		val = whash(f->app_desc, strlen(f->app_desc), val);
	if (have && *have == val)
		return 0;
	n = nfr_nbar1(buf, sizeof(buf), f->app_id, f->app_id_len, f->app_name,
		      f->app_desc);
	if (!n) {
		errno = EINVAL;
		return -1;
	}
	if (nff_out_append(w->out, buf, n) < 0)
		return -1;
	return kset_put(&w->apps, key, val);
}

static int emit_ifname(struct nfw *w, uint32_t ifindex, const char *name)
{
	struct nfr_ifname e = { ifindex, name };
	uint64_t val = whash(name, strlen(name), HASH_SEED);
	uint64_t *have = kset_find(&w->ifs, ifindex);
	uint8_t buf[64];
	size_t n;

	if (!ifindex || (have && *have == val))
		return 0;
	n = nfr_ifname(buf, sizeof(buf), &e, 1);
	if (!n || nff_out_append(w->out, buf, n) < 0)
		return -1;
	return kset_put(&w->ifs, ifindex, val);
}

/* Encoded straight into the block. Only a flow that does not fit there
 * (once a block) goes through w->rec and nff_out_append(), so blocks end
 * where they always did and a malformed flow ends none early. */
static int put_flow(struct nfw *w, const struct nfw_flow *f)
{
	size_t room, n;
	uint8_t *p = nff_out_tail(w->out, &room);

	n = nfr_flow(p, room, f);
	if (n)
		return nff_out_commit(w->out, n);
	n = nfr_flow(w->rec, sizeof(w->rec), f);
	if (!n) {
		errno = EINVAL;
		return -1;
	}
	return nff_out_append(w->out, w->rec, n);
}

int nfw_write(struct nfw *w, const struct nfw_flow *f, time_t now)
{
	int warn = upkeep(w, now, 0) != 0;

	if ((f->app_id_len && f->app_name && emit_app(w, f) < 0) ||
	    (f->in_ifname && emit_ifname(w, f->in_if, f->in_ifname) < 0) ||
	    (f->out_ifname && emit_ifname(w, f->out_if, f->out_ifname) < 0))
		goto drop;
	if (put_flow(w, f) < 0)
		goto drop;
	nfr_stat_add_flow(&w->stat, f);
	w->st.flows++;
	return warn ? NFW_WARN : 0;
drop:
	seterr(w->err, sizeof(w->err), "flow dropped: %s", strerror(errno));
	w->st.dropped++;
	return -1;
}

int nfw_flush(struct nfw *w)
{
	if (nff_out_flush(w->out) < 0) {
		seterr(w->err, sizeof(w->err), "write %s: %s", w->cur,
		       strerror(errno));
		w->st.errors++;
		return -1;
	}
	return 0;
}

int nfw_tick(struct nfw *w, time_t now)
{
	int r = upkeep(w, now, 0);

	if (w->open && nff_out_buffered(w->out) &&
	    now - w->flushed_at >= (time_t)w->c.flush_secs) {
		w->flushed_at = now;
		if (nfw_flush(w) < 0)
			r = -1;
	}
	return r;
}

int nfw_rotate(struct nfw *w, time_t now)
{
	return upkeep(w, now, 1);
}

int nfw_close(struct nfw *w)
{
	int r = 0;

	if (!w)
		return 0;
	if ((w->open || nff_out_buffered(w->out)) &&
	    seal_and_place(w, time(NULL)) < 0)
		r = -1;
	nff_out_free(w->out);
	close(w->c.dirfd);
	free(w->apps.k);
	free(w->apps.v);
	free(w->ifs.k);
	free(w->ifs.v);
	free(w);
	return r;
}

const char *nfw_error(const struct nfw *w) { return w->err; }
void nfw_get_stats(const struct nfw *w, struct nfw_stats *st)
{
	*st = w->st;
	st->errors += nff_out_failures(w->out);
}
const char *nfw_current_name(const struct nfw *w) { return w->cur; }
