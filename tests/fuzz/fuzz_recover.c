// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: crash recovery of the nfcapd writer (nfrotate.c,
 * nffile.c) on arbitrary file contents.
 *
 * The input becomes DIR/nfcapd.current.<pid of no process> - what a writer
 * killed mid-write leaves - and optionally also the file already holding
 * that slot's name (so the merge path runs, on a target that may itself be
 * garbage). Then nfw_recover() must:
 *   - return >= 0 (a file it cannot parse is set aside, never fatal);
 *   - leave no nfcapd.current.<pid> behind (placed, set aside as .broken,
 *     or removed when shorter than a header);
 *   - leave every file under a slot name sealed and walkable the way
 *     nfdump reads it: a valid header with an appendix, NumBlocks blocks
 *     that nfr_block_valid accepts, nothing torn, a readable stat record;
 *   - find nothing to do when run a second time.
 * The leftover may also be a nfcapd.current.<pid>.merge (a merge whose
 * final rename did not happen), placed as it is when it looks complete.
 * The directory is on tmpfs (/dev/shm, or TMPDIR) and emptied per input.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "nffile.h"
#include "nfrecord.h"
#include "nfrotate.h"

/* Far above any pid_max (2^22), so kill(pid, 0) says ESRCH. */
#define DEAD_PID "999999937"
#define CUR_NAME "nfcapd.current." DEAD_PID
#define T0 ((time_t)1700000000)

static char dir[256];
/* The slot file written before recovery, if any: left alone when the
 * leftover could not be placed, and then not recovery's output. */
static char pre_name[160];
static const uint8_t *pre_data;
static size_t pre_len;
/* The leftover is a .merge file: those are placed as they are (by the
 * protocol only a complete merge loses its source; recovery checks that
 * header and blocks agree), so only the blocks of the result are checked,
 * not its appendix. */
static int merge_input;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("TMPDIR");
	struct stat sb;

	(void)argc, (void)argv;
	/* Slot names are local time: make them the same everywhere. */
	setenv("TZ", "UTC", 1);
	tzset();
	if (!t || !*t)
		t = stat("/dev/shm", &sb) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/exeflow-fuzz-recover.XXXXXX", t);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	return 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *f)
{
	(void)sb, (void)flag;
	return f->level ? remove(p) : 0;
}

static void empty_dir(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	struct timespec ts[2] = { { T0, 0 }, { T0, 0 } };
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	FZ_CHECK(fd >= 0, "create %s: %s", path, strerror(errno));
	FZ_CHECK(write(fd, p, n) == (ssize_t)n, "write %s", path);
	/* recovery falls back to the mtime for the slot: keep it fixed */
	FZ_CHECK(futimens(fd, ts) == 0, "futimens");
	close(fd);
}

struct walk_ctx {
	uint32_t blocks;
};

static int check_blk(void *ctx, const uint8_t *p, size_t len, uint32_t n)
{
	struct walk_ctx *w = ctx;
	int app;

	FZ_CHECK(nfr_block_valid(p, len, n, &app) == 1 && !app,
		 "walk handed over an invalid block");
	w->blocks++;
	return 0;
}

static int untouched(const char *rel, const struct stat *sb)
{
	uint8_t *b;
	int fd, same;

	if (!pre_data || strcmp(rel, pre_name) || (size_t)sb->st_size != pre_len)
		return 0;
	b = malloc(pre_len + 1);
	FZ_CHECK(b, "malloc");
	fd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
	FZ_CHECK(fd >= 0, "open dir");
	{
		int f2 = openat(fd, rel, O_RDONLY);

		FZ_CHECK(f2 >= 0, "open %s", rel);
		same = read(f2, b, pre_len + 1) == (ssize_t)pre_len &&
		       !memcmp(b, pre_data, pre_len);
		close(f2);
	}
	close(fd);
	free(b);
	return same;
}

/* A file under a slot name must be one nfdump reads to the end. */
static void check_placed(const char *rel)
{
	char path[512], ident[128];
	struct walk_ctx wc = { 0 };
	struct nff_walk w;
	struct nff_stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	FZ_CHECK(fd >= 0, "open %s", rel);
	FZ_CHECK(nff_walk(fd, &w, check_blk, &wc) == 0, "walk %s: %s", rel,
		 strerror(errno));
	FZ_CHECK(merge_input ? w.h.appendix_blocks > 0 : w.h.appendix_blocks == 1,
		 "%s: not sealed", rel);
	FZ_CHECK(!w.stopped && w.blocks == w.h.num_blocks &&
		 wc.blocks == w.blocks,
		 "%s: %u of %u blocks readable (stopped %d)", rel, w.blocks,
		 w.h.num_blocks, w.stopped);
	if (!merge_input) {
		FZ_CHECK(w.h.off_appendix == w.end, "%s: appendix at %lld, "
			 "blocks end at %lld", rel, (long long)w.h.off_appendix,
			 (long long)w.end);
		FZ_CHECK(nff_read_appendix(fd, &st, ident, sizeof(ident)) == 0,
			 "%s: no stat record", rel);
	} else {
		nff_read_appendix(fd, &st, ident, sizeof(ident));
	}
	close(fd);
}

/* Walk the directory tree (subdir layouts): check every file. */
static void scan(const char *sub, int *cur_left)
{
	char path[512], rel[512];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	FZ_CHECK(d, "opendir %s", path);
	while ((de = readdir(d))) {
		struct stat sb;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(rel, sizeof(rel), "%s%s%s", sub, *sub ? "/" : "",
			 de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		FZ_CHECK(lstat(path, &sb) == 0, "lstat %s", rel);
		if (S_ISDIR(sb.st_mode)) {
			scan(rel, cur_left);
			continue;
		}
		FZ_CHECK(S_ISREG(sb.st_mode), "%s is not a regular file", rel);
		if (!strncmp(de->d_name, "nfcapd.current.", 15)) {
			/* set aside (.broken) is fine; the orphan itself is not */
			if (!strcmp(de->d_name, CUR_NAME) ||
			    !strcmp(de->d_name, CUR_NAME ".merge"))
				(*cur_left)++;
			continue;
		}
		FZ_CHECK(!strncmp(de->d_name, "nfcapd.", 7), "stray %s", rel);
		if (untouched(rel, &sb))
			continue;
		FZ_CHECK((sb.st_mode & 07777) == 0640, "%s: mode %o", rel,
			 sb.st_mode & 07777);
		check_placed(rel);
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct nfw_options o = { .dir = dir, .ident = "fuzz", .mode = 0640 };
	uint8_t flags = fz_u8(&f);
	char err[256];
	int r, left = 0;

	if (size > 1 << 20)
		return 0;
	empty_dir();
	pre_data = NULL;
	/* flags: bit 0 twin 300 (else a byte follows: 60..315), bits 1-4
	 * subdir layout, bit 5 the slot file exists (a 16-bit length and its
	 * bytes follow), bits 6-7 compression of what recovery writes. Then
	 * a byte whose bit 0 makes the leftover a .merge file. */
	o.twin = flags & 1 ? 300 : 60 + fz_u8(&f);
	o.subdir = ((flags >> 1) & 15) % 9;
	o.compression = (flags >> 6) == 1 ? NFF_COMP_LZO :
			(flags >> 6) == 2 ? NFF_COMP_LZ4 : NFF_COMP_NONE;
	merge_input = fz_u8(&f) & 1;
	if (flags & 0x20) {
		/* The slot's name already exists, holding the first part. */
		size_t tl = fz_u16(&f);
		struct nff_header h;
		int64_t created = T0;

		if (tl > f.n)
			tl = f.n;
		if (f.n - tl >= NFF_HEADER_LEN) {
			nff_header_get(f.p + tl, &h);
			if (h.created > 0)
				created = h.created;
		}
		if (created <= 0 || created >= 253402214400LL)
			created = T0;	/* what recovery falls back to */
		if (nfw_slot_path(&o, (time_t)(created - created % o.twin),
				  pre_name, sizeof(pre_name)) == 0 &&
		    !strchr(pre_name, '/')) {
			write_file(pre_name, f.p, tl);
			pre_data = f.p;
			pre_len = tl;
		}
		f.p += tl;
		f.n -= tl;
	}
	write_file(merge_input ? CUR_NAME ".merge" : CUR_NAME, f.p, f.n);

	r = nfw_recover(&o, err, sizeof(err));
	FZ_CHECK(r >= 0, "nfw_recover failed: %s", err);
	scan("", &left);
	FZ_CHECK(!left, "orphan left behind (recover returned %d)", r);
	r = nfw_recover(&o, err, sizeof(err));
	FZ_CHECK(r == 0, "second recovery returned %d: %s", r, err);
	return 0;
}
