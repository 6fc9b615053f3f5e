// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userspace/exehash.c and userspace/hashcache.c.
 * Expected digests come from md5sum/sha256sum at test time or from the
 * standard test vectors. Nothing sleeps for a fixed time: waits are on
 * lookup_wait / poll with generous safety timeouts.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../userspace/exehash.h"
#include "../../userspace/hashcache.h"

#define WAIT_MS 20000	/* safety net only; results normally come in ms */

static char tmpdir[] = "/tmp/test_hashcache.XXXXXX";

static char *tpath(const char *name)
{
	static char buf[4][256];
	static int i;
	char *p = buf[i++ & 3];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* len bytes of a pattern that differs per seed and is not chunk-periodic */
static void write_pattern(const char *path, size_t len, unsigned seed)
{
	unsigned char *b = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;

	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (unsigned char)x;
	}
	write_file(path, b, len);
	free(b);
}

static struct hc_identity ident(const char *path)
{
	struct hc_identity id;
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	id.major = major(st.st_dev);
	id.minor = minor(st.st_dev);
	id.ino = st.st_ino;
	id.size = (uint64_t)st.st_size;
	id.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u +
		      (uint64_t)st.st_mtim.tv_nsec;
	return id;
}

/* First word printed by `tool path`, e.g. sha256sum. */
static void tool_digest(const char *tool, const char *path, char *out, size_t len)
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s '%s'", tool, path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(len, 65);
	ck_assert_int_eq(fscanf(p, "%64s", out), 1);
	ck_assert_int_eq(pclose(p), 0);
}

static void expect_tool_digests(const char *path, const uint8_t *md5,
				const uint8_t *sha256)
{
	char want[130], got[65];

	tool_digest("md5sum", path, want, sizeof(want));
	exehash_hex(md5, EXEHASH_MD5_LEN, got);
	ck_assert_str_eq(got, want);
	tool_digest("sha256sum", path, want, sizeof(want));
	exehash_hex(sha256, EXEHASH_SHA256_LEN, got);
	ck_assert_str_eq(got, want);
}

static void sha_hex(const struct hc_result *r, char *out)
{
	exehash_hex(r->sha256, EXEHASH_SHA256_LEN, out);
}

static struct hc_request req(struct hc_identity id, pid_t pid,
			     const char *path, uint64_t cookie)
{
	struct hc_request r = { .id = id, .pid = pid, .path = path,
				.cookie = cookie };
	return r;
}

static struct hashcache *mk(unsigned workers, size_t max_entries,
			    size_t queue_max, uint64_t cap)
{
	struct hashcache_config c = { .workers = workers,
				      .max_entries = max_entries,
				      .queue_max = queue_max,
				      .size_cap = cap };
	struct hashcache *hc = hashcache_create(&c);

	ck_assert_ptr_nonnull(hc);
	return hc;
}

/* Submit and wait for the result (workers > 0). */
static struct hc_result hash_via(struct hashcache *hc, struct hc_identity id,
				 pid_t pid, const char *path)
{
	struct hc_request r = req(id, pid, path, 0);
	struct hc_result res;

	hashcache_submit(hc, &r);
	ck_assert_int_eq(hashcache_lookup_wait(hc, &id, WAIT_MS, &res), HC_DONE);
	return res;
}

START_TEST(test_vectors)
{
	struct exehash h;
	char hex[65];
	int fd;

	/* both digests fetched, and again: the daemon calls it at startup */
	ck_assert_int_eq(exehash_init(), 0);
	ck_assert_int_eq(exehash_init(), 0);
	write_file(tpath("empty"), "", 0);
	ck_assert_int_eq(exehash_path(tpath("empty"), &h), 0);
	ck_assert_uint_eq(h.bytes, 0);
	exehash_hex(h.md5, 16, hex);
	ck_assert_str_eq(hex, "d41d8cd98f00b204e9800998ecf8427e");
	exehash_hex(h.sha256, 32, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
			      "27ae41e4649b934ca495991b7852b855");

	write_file(tpath("abc"), "abc", 3);
	ck_assert_int_eq(exehash_path(tpath("abc"), &h), 0);
	exehash_hex(h.md5, 16, hex);
	ck_assert_str_eq(hex, "900150983cd24fb0d6963f7d28e17f72");
	exehash_hex(h.sha256, 32, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
			      "b00361a396177a9cb410ff61f20015ad");

	/* Crosses several read buffers and ends mid-buffer. */
	write_pattern(tpath("multi"), 3 * EXEHASH_BUF_SIZE + 123, 1);
	ck_assert_int_eq(exehash_path(tpath("multi"), &h), 0);
	ck_assert_uint_eq(h.bytes, 3 * EXEHASH_BUF_SIZE + 123);
	expect_tool_digests(tpath("multi"), h.md5, h.sha256);

	/* Exactly at the limit is fine, one byte less is -EFBIG. */
	fd = open(tpath("multi"), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(exehash_fd(fd, 3 * EXEHASH_BUF_SIZE + 123, NULL, &h), 0);
	ck_assert_int_eq(exehash_fd(fd, 3 * EXEHASH_BUF_SIZE + 122, NULL, &h),
			 -EFBIG);
	close(fd);
	ck_assert_int_eq(exehash_path(tpath("missing"), &h), -ENOENT);
}
END_TEST

START_TEST(test_hash_once)
{
	struct hashcache *hc = mk(1, 0, 0, 0);
	const char *p = tpath("once");
	struct hc_identity id;
	struct hc_request r;
	struct hc_result res;
	struct hc_stats st;

	write_pattern(p, 100000, 2);
	id = ident(p);
	r = req(id, 0, p, 1);
	ck_assert_int_eq(hashcache_submit(hc, &r), HC_QUEUED);
	ck_assert_int_eq(hashcache_lookup_wait(hc, &id, WAIT_MS, &res), HC_DONE);
	ck_assert(res.ok);
	ck_assert_int_eq(res.source, HC_SRC_PATH);
	ck_assert_str_eq(res.reason, "");
	expect_tool_digests(p, res.md5, res.sha256);

	ck_assert_int_eq(hashcache_submit(hc, &r), HC_CACHED);
	ck_assert_int_eq(hashcache_lookup(hc, &id, &res), HC_DONE);
	ck_assert(res.ok);
	hashcache_stats(hc, &st);
	ck_assert_uint_eq(st.hashed, 1);
	ck_assert_uint_eq(st.hash_failed, 0);
	ck_assert_uint_eq(st.submits, 2);
	ck_assert_uint_eq(st.submit_cached, 1);
	ck_assert_uint_eq(st.lookups, 2);
	ck_assert_uint_eq(st.lookup_hits, 2);
	ck_assert_uint_eq(st.bytes_hashed, 100000);
	ck_assert_uint_eq(st.entries, 1);
	hashcache_destroy(hc);
}
END_TEST

START_TEST(test_rehash_on_change)
{
	struct hashcache *hc = mk(1, 0, 0, 0);
	const char *p = tpath("change");
	struct hc_identity id1, id2, id3;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 5 } };
	struct hc_result r1, r2, r3, tmp;
	char h1[65], h2[65], h3[65];
	struct hc_stats st;
	FILE *f;

	write_pattern(p, 5000, 3);
	id1 = ident(p);
	r1 = hash_via(hc, id1, 0, p);
	ck_assert(r1.ok);

	f = fopen(p, "ab");	/* new size (and mtime) */
	ck_assert_ptr_nonnull(f);
	fputs("more", f);
	fclose(f);
	id2 = ident(p);
	ck_assert_int_eq(hashcache_lookup(hc, &id2, &tmp), HC_MISS);
	r2 = hash_via(hc, id2, 0, p);
	ck_assert(r2.ok);
	expect_tool_digests(p, r2.md5, r2.sha256);

	/* Same size and content, only the mtime differs: still a new key. */
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	id3 = ident(p);
	ck_assert_uint_eq(id3.size, id2.size);
	r3 = hash_via(hc, id3, 0, p);
	ck_assert(r3.ok);

	sha_hex(&r1, h1);
	sha_hex(&r2, h2);
	sha_hex(&r3, h3);
	ck_assert_str_ne(h1, h2);
	ck_assert_str_eq(h2, h3);
	hashcache_stats(hc, &st);
	ck_assert_uint_eq(st.hashed, 3);
	hashcache_destroy(hc);
}
END_TEST

static pid_t dead_pid(void)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return pid;
}

START_TEST(test_replaced_file)
{
	struct hashcache *hc = mk(1, 0, 0, 0);
	const char *p = tpath("victim"), *q = tpath("intruder");
	uint8_t zero[EXEHASH_SHA256_LEN] = { 0 };
	struct hc_identity id;
	struct hc_result res;
	struct exehash ih;

	write_pattern(p, 4096, 4);
	id = ident(p);
	write_pattern(q, 4096, 5);	/* same size, different inode */
	ck_assert_int_eq(exehash_path(q, &ih), 0);
	ck_assert_int_eq(rename(q, p), 0);

	res = hash_via(hc, id, 0, p);
	ck_assert(!res.ok);
	ck_assert_int_eq(res.source, HC_SRC_NONE);
	ck_assert_str_eq(res.reason, "file replaced");
	ck_assert_mem_eq(res.sha256, zero, sizeof(zero));
	ck_assert_mem_ne(res.sha256, ih.sha256, sizeof(ih.sha256));

	/* A new pid retries the transient failure; the pid is gone now. */
	res = hash_via(hc, id, dead_pid(), p);
	ck_assert(!res.ok);
	/* "process gone" unless the pid was reused at once, which the
	 * identity check turns into "process runs another file". */
	ck_assert_msg(strncmp(res.reason, "process ", 8) == 0 &&
		      strstr(res.reason, " and file replaced"), "%s", res.reason);

	/* Removed altogether. */
	unlink(p);
	hashcache_hash_one(&id, 0, p, UINT64_MAX, &res, NULL);
	ck_assert(!res.ok);
	ck_assert_str_eq(res.reason, "file gone");
	hashcache_hash_one(&id, 0, NULL, UINT64_MAX, &res, NULL);
	ck_assert_str_eq(res.reason, "no pid and no path");
	hashcache_destroy(hc);
}
END_TEST

/*
 * Files whose reported size is not what a read returns stand in for a
 * file modified during hashing: procfs says 0 and has more, sysfs says
 * 4096 and has less. Both must fail rather than hash what was read.
 */
START_TEST(test_changed_while_hashing)
{
	const char *more = "/proc/self/status", *less = "/sys/kernel/profiling";
	struct hc_identity id = ident(more);
	struct hc_result res;
	struct stat st;

	ck_assert_uint_eq(id.size, 0);
	hashcache_hash_one(&id, 0, more, UINT64_MAX, &res, NULL);
	ck_assert(!res.ok);
	ck_assert_str_eq(res.reason, "file changed while hashing");

	if (stat(less, &st) != 0)
		return;	/* no sysfs here */
	id = ident(less);
	hashcache_hash_one(&id, 0, less, UINT64_MAX, &res, NULL);
	ck_assert(!res.ok);
	ck_assert_str_eq(res.reason, "file changed while hashing");
}
END_TEST

/* Unreadable sources: as root, a child drops to nobody for the check. */
START_TEST(test_not_readable)
{
	const char *p = tpath("secret");
	struct hc_identity id;
	struct hc_result res;
	pid_t parent = getpid(), child;
	int status;

	write_file(p, "secret", 6);
	ck_assert_int_eq(chmod(p, 0), 0);
	id = ident(p);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		/* Non-root: the parent's exe is readable but not this file. */
		const char *want = "process runs another file and "
				   "not readable: EACCES";

		if (geteuid() == 0) {
			if (setresuid(65534, 65534, 65534) != 0)
				_exit(2);
			/* Our root parent's exe is off limits to nobody. */
			want = "process exe not readable: EACCES and "
			       "not readable: EACCES";
		}
		hashcache_hash_one(&id, parent, p, UINT64_MAX, &res, NULL);
		if (res.ok || strcmp(res.reason, want) != 0) {
			fprintf(stderr, "got \"%s\"\n", res.reason);
			_exit(1);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* The running image is hashed through /proc/<pid>/exe after its path was
 * replaced; the path itself now names another file. */
START_TEST(test_running_image_after_replace)
{
	struct hashcache *hc = mk(1, 0, 0, 0);
	const char *exe = tpath("sleeper"), *q = tpath("sleeper.new");
	char cmd[512], want[65], got[65], buf;
	struct hc_identity id;
	struct hc_result res;
	int fds[2];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "cp /bin/sleep '%s'", exe);
	ck_assert_int_eq(system(cmd), 0);
	id = ident(exe);
	tool_digest("sha256sum", exe, want, sizeof(want));

	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl(exe, "sleeper", "1000000", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* EOF once exec closed the write end (O_CLOEXEC). */
	ck_assert_int_eq(read(fds[0], &buf, 1), 0);
	close(fds[0]);

	write_pattern(q, id.size, 6);
	ck_assert_int_eq(rename(q, exe), 0);

	res = hash_via(hc, id, pid, exe);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert_msg(res.ok, "%s", res.reason);
	ck_assert_int_eq(res.source, HC_SRC_PROC);
	sha_hex(&res, got);
	ck_assert_str_eq(got, want);
	hashcache_destroy(hc);
}
END_TEST

START_TEST(test_proc_self_exe)
{
	struct hashcache *hc = mk(1, 0, 0, 0);
	struct hc_identity id = ident("/proc/self/exe"), other;
	struct hc_result res;
	char self[64];

	res = hash_via(hc, id, getpid(), NULL);
	ck_assert_msg(res.ok, "%s", res.reason);
	ck_assert_int_eq(res.source, HC_SRC_PROC);
	snprintf(self, sizeof(self), "/proc/%d/exe", (int)getpid());
	expect_tool_digests(self, res.md5, res.sha256);

	/* Our pid, but an identity that is not our executable. */
	write_file(tpath("notme"), "x", 1);
	other = ident(tpath("notme"));
	res = hash_via(hc, other, getpid(), NULL);
	ck_assert(!res.ok);
	ck_assert_str_eq(res.reason, "process runs another file");
	hashcache_destroy(hc);
}
END_TEST

START_TEST(test_transient_retry)
{
	struct hashcache *hc = mk(1, 0, 0, 0);
	struct hc_identity id = ident("/proc/self/exe");
	struct hc_request r;
	struct hc_result res;
	pid_t gone = dead_pid();

	res = hash_via(hc, id, gone, tpath("nothing-here"));
	ck_assert(!res.ok);
	ck_assert(strstr(res.reason, " and file gone"));
	/* Same pid again: not retried. */
	r = req(id, gone, NULL, 0);
	ck_assert_int_eq(hashcache_submit(hc, &r), HC_CACHED);
	/* Another process runs the image: retried and hashed. */
	r = req(id, getpid(), NULL, 0);
	ck_assert_int_eq(hashcache_submit(hc, &r), HC_QUEUED);
	ck_assert_int_eq(hashcache_lookup_wait(hc, &id, WAIT_MS, &res), HC_DONE);
	ck_assert_msg(res.ok, "%s", res.reason);
	hashcache_destroy(hc);
}
END_TEST

START_TEST(test_size_cap)
{
	struct hashcache *hc = mk(1, 0, 0, 1000);
	struct hc_identity big, edge;
	struct hc_request r;
	struct hc_result res;
	struct hc_stats st;

	write_pattern(tpath("big"), 1001, 7);
	write_pattern(tpath("edge"), 1000, 8);
	big = ident(tpath("big"));
	edge = ident(tpath("edge"));

	res = hash_via(hc, big, getpid(), tpath("big"));
	ck_assert(!res.ok);
	ck_assert_str_eq(res.reason, "size above cap");
	/* Permanent: another pid does not retry it. */
	r = req(big, 1, tpath("big"), 0);
	ck_assert_int_eq(hashcache_submit(hc, &r), HC_CACHED);

	res = hash_via(hc, edge, 0, tpath("edge"));
	ck_assert_msg(res.ok, "%s", res.reason);
	hashcache_stats(hc, &st);
	ck_assert_uint_eq(st.hashed, 1);
	ck_assert_uint_eq(st.hash_failed, 1);
	ck_assert_uint_eq(st.bytes_hashed, 1000);
	hashcache_destroy(hc);
}
END_TEST

START_TEST(test_queue_full)
{
	struct hashcache *hc = mk(0, 0, 2, 0);	/* no worker: queue stays */
	struct hc_identity id[3];
	struct hc_request r;
	struct hc_result res;
	struct hc_stats st;
	char name[16];

	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "q%d", i);
		write_pattern(tpath(name), 100, 10 + (unsigned)i);
		id[i] = ident(tpath(name));
	}
	r = req(id[0], 0, tpath("q0"), 0);
	ck_assert_int_eq(hashcache_submit(hc, &r), HC_QUEUED);
	ck_assert_int_eq(hashcache_submit(hc, &r), HC_INFLIGHT);
	r = req(id[1], 0, tpath("q1"), 0);
	ck_assert_int_eq(hashcache_submit(hc, &r), HC_QUEUED);
	r = req(id[2], 0, tpath("q2"), 0);
	ck_assert_int_eq(hashcache_submit(hc, &r), HC_EFULL);
	ck_assert_int_eq(hashcache_lookup(hc, &id[2], &res), HC_MISS);
	ck_assert_int_eq(hashcache_lookup(hc, &id[0], &res), HC_PENDING);
	/* Bounded wait on a job nobody runs comes back pending. */
	ck_assert_int_eq(hashcache_lookup_wait(hc, &id[0], 10, &res), HC_PENDING);
	hashcache_stats(hc, &st);
	ck_assert_uint_eq(st.queue_full, 1);
	ck_assert_uint_eq(st.queued, 2);
	ck_assert_uint_eq(st.submit_inflight, 1);

	ck_assert_uint_eq(hashcache_work(hc, 10), 2);
	ck_assert_int_eq(hashcache_submit(hc, &r), HC_QUEUED);
	ck_assert_int_eq(hashcache_lookup(hc, &id[1], &res), HC_DONE);
	ck_assert(res.ok);
	hashcache_destroy(hc);	/* frees the still-queued job */
}
END_TEST

START_TEST(test_lru_eviction)
{
	struct hashcache *hc = mk(0, 2, 0, 0);
	struct hc_identity id[3];
	struct hc_request r;
	struct hc_result res;
	struct hc_stats st;
	char name[16];

	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		write_pattern(tpath(name), 10, 20 + (unsigned)i);
		id[i] = ident(tpath(name));
		r = req(id[i], 0, tpath(name), 0);
		ck_assert_int_eq(hashcache_submit(hc, &r), HC_QUEUED);
		ck_assert_uint_eq(hashcache_work(hc, 1), 1);
		if (i == 1) /* touch l0: l1 becomes least recently used */
			ck_assert_int_eq(hashcache_lookup(hc, &id[0], &res), HC_DONE);
	}
	ck_assert_int_eq(hashcache_lookup(hc, &id[1], &res), HC_MISS);
	ck_assert_int_eq(hashcache_lookup(hc, &id[0], &res), HC_DONE);
	ck_assert_int_eq(hashcache_lookup(hc, &id[2], &res), HC_DONE);
	hashcache_stats(hc, &st);
	ck_assert_uint_eq(st.evicted, 1);
	ck_assert_uint_eq(st.entries, 2);
	hashcache_destroy(hc);
}
END_TEST

static bool readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1;
}

START_TEST(test_completions)
{
	struct hashcache *hc = mk(1, 0, 0, 0);
	int efd = hashcache_eventfd(hc);
	struct hc_completion c[4];
	struct hc_identity id[2];
	struct hc_request r;
	size_t got = 0;
	uint64_t seen = 0;

	write_pattern(tpath("c0"), 10, 30);
	write_pattern(tpath("c1"), 10, 31);
	id[0] = ident(tpath("c0"));
	id[1] = ident(tpath("c1"));
	ck_assert(!readable(efd, 0));
	r = req(id[0], 0, tpath("c0"), 42);
	ck_assert_int_eq(hashcache_submit(hc, &r), HC_QUEUED);
	r = req(id[1], 0, tpath("c1"), 43);
	ck_assert_int_eq(hashcache_submit(hc, &r), HC_QUEUED);
	while (got < 2) {
		size_t n;

		ck_assert(readable(efd, WAIT_MS));
		n = hashcache_drain(hc, c, 4);
		for (size_t i = 0; i < n; i++) {
			ck_assert(c[i].result.ok);
			ck_assert(c[i].cookie == 42 || c[i].cookie == 43);
			ck_assert(c[i].id.ino == id[c[i].cookie - 42].ino);
			seen |= 1u << (c[i].cookie - 42);
		}
		got += n;
	}
	ck_assert_uint_eq(got, 2);
	ck_assert_uint_eq(seen, 3);
	ck_assert(!readable(efd, 0));
	hashcache_destroy(hc);
}
END_TEST

START_TEST(test_completions_partial_and_overflow)
{
	struct hashcache_config cfg = { .workers = 0, .completion_max = 2 };
	struct hashcache *hc = hashcache_create(&cfg);
	struct hc_completion c[2];
	struct hc_request r;
	struct hc_stats st;
	char name[16];
	int efd;

	ck_assert_ptr_nonnull(hc);
	efd = hashcache_eventfd(hc);
	for (unsigned i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "o%u", i);
		write_pattern(tpath(name), 10, 40 + i);
		r = req(ident(tpath(name)), 0, tpath(name), i);
		ck_assert_int_eq(hashcache_submit(hc, &r), HC_QUEUED);
	}
	ck_assert_uint_eq(hashcache_work(hc, 3), 3);
	/* Ring of 2: the oldest (cookie 0) was dropped. */
	ck_assert(readable(efd, 0));
	ck_assert_uint_eq(hashcache_drain(hc, c, 1), 1);
	ck_assert_uint_eq(c[0].cookie, 1);
	ck_assert(readable(efd, 0));	/* one left: still signalled */
	ck_assert_uint_eq(hashcache_drain(hc, c, 2), 1);
	ck_assert_uint_eq(c[0].cookie, 2);
	ck_assert(!readable(efd, 0));
	hashcache_stats(hc, &st);
	ck_assert_uint_eq(st.completions_dropped, 1);
	hashcache_destroy(hc);
}
END_TEST

START_TEST(test_identity_unknown)
{
	struct hashcache *hc = mk(0, 0, 0, 0);
	struct hc_result res;

	ck_assert_int_eq(hashcache_lookup(hc, NULL, &res), HC_DONE);
	ck_assert(!res.ok);
	ck_assert_str_eq(res.reason, HC_REASON_IDENTITY_UNKNOWN);
	hashcache_destroy(hc);
}
END_TEST

/* Destroy with jobs queued and running: returns, joins, frees (ASan's
 * leak check at exit fails the test otherwise). */
START_TEST(test_shutdown_busy)
{
	struct hashcache *hc = mk(2, 0, 0, 0);
	struct hc_request r;
	char name[16];

	for (unsigned i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		write_pattern(tpath(name), 8u << 20, 50 + i);
		r = req(ident(tpath(name)), 0, tpath(name), i);
		ck_assert_int_eq(hashcache_submit(hc, &r), HC_QUEUED);
	}
	hashcache_destroy(hc);
	hashcache_destroy(mk(3, 0, 0, 0));	/* idle workers */
}
END_TEST

struct stress {
	struct hashcache *hc;
	struct hc_identity *ids;
	unsigned n, seed;
};

static void *stress_thread(void *arg)
{
	struct stress *s = arg;
	unsigned x = s->seed;

	for (int i = 0; i < 3000; i++) {
		struct hc_identity *id = &s->ids[(x = x * 1103515245u + 12345u) % s->n];
		struct hc_request r = req(*id, 0, NULL, 0);
		enum hc_submit_ret sr;
		struct hc_result res;
		char path[256];	/* tpath() is not thread-safe */

		snprintf(path, sizeof(path), "%s/x%u", tmpdir,
			 (unsigned)(id - s->ids));
		r.path = path;
		sr = hashcache_submit(s->hc, &r);
		/* Waiting now and then lets the workers make progress, so
		 * completion, eviction and re-submission interleave. */
		if ((sr == HC_QUEUED || sr == HC_INFLIGHT) && i % 10 == 0 &&
		    hashcache_lookup_wait(s->hc, id, WAIT_MS, &res) == HC_PENDING)
			return "timeout";
		if (hashcache_lookup(s->hc, id, &res) == HC_DONE && !res.ok)
			return "failed";
	}
	return NULL;
}

/* Many submitters and lookups against two workers and a tiny cache, so
 * eviction, dedup and completions race; ASan/UBSan watch. */
START_TEST(test_concurrency)
{
	struct hashcache_config cfg = { .workers = 2, .max_entries = 4,
					.queue_max = 8, .completion_max = 16 };
	struct hc_identity ids[12];
	struct stress s[4];
	pthread_t t[4];
	struct hc_completion c[16];
	struct hashcache *hc;
	struct hc_stats st;
	char name[16];

	for (unsigned i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "x%u", i);
		write_pattern(tpath(name), 3000, 60 + i);
		ids[i] = ident(tpath(name));
	}
	hc = hashcache_create(&cfg);
	ck_assert_ptr_nonnull(hc);
	for (unsigned i = 0; i < 4; i++) {
		s[i] = (struct stress){ hc, ids, 12, i + 1 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, stress_thread, &s[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		void *ret;

		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_msg(ret == NULL, "%s", (char *)ret);
	}
	hashcache_stats(hc, &st);
	ck_assert_uint_gt(hashcache_drain(hc, c, 16), 0);
	ck_assert_uint_ge(st.hashed, 5);	/* > max_entries: evictions */
	ck_assert_uint_gt(st.evicted, 0);
	ck_assert_uint_eq(st.hash_failed, 0);
	ck_assert_uint_le(st.hashed, st.submit_queued);
	ck_assert_uint_le(st.entries, 4 + 8 + 2);
	hashcache_destroy(hc);
}
END_TEST

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

int main(void)
{
	Suite *s = suite_create("hashcache");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_hash_once);
	tcase_add_test(tc, test_rehash_on_change);
	tcase_add_test(tc, test_replaced_file);
	tcase_add_test(tc, test_changed_while_hashing);
	tcase_add_test(tc, test_not_readable);
	tcase_add_test(tc, test_running_image_after_replace);
	tcase_add_test(tc, test_proc_self_exe);
	tcase_add_test(tc, test_transient_retry);
	tcase_add_test(tc, test_size_cap);
	tcase_add_test(tc, test_queue_full);
	tcase_add_test(tc, test_lru_eviction);
	tcase_add_test(tc, test_completions);
	tcase_add_test(tc, test_completions_partial_and_overflow);
	tcase_add_test(tc, test_identity_unknown);
	tcase_add_test(tc, test_shutdown_busy);
	tcase_add_test(tc, test_concurrency);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? 1 : 0;
}
