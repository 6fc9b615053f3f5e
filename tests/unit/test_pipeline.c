// SPDX-License-Identifier: GPL-2.0
/*
 * pipeline.c and flowconv.c: records in, flows in the nfcapd file out.
 *
 * The hash cache runs without workers (jobs run when a test calls
 * hashcache_work), so "hash still pending" is a state a test sets up, not
 * a race. The executable is this test program: pid = getpid(), identity
 * from /proc/self/exe. Flows are told apart by their source port, and
 * read back from the sealed file with nff_walk.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "flowconv.h"
#include "nffile.h"
#include "nfrotate.h"
#include "pipeline.h"
#include "uapi/exeflow.h"
#include "tmpdir.h"

#define MAXF 8192

/* ---- records ---- */

static struct ef_proc self_proc(const char *exe_path)
{
	struct ef_proc p = { .present = true };
	struct stat st;

	ck_assert_int_eq(stat("/proc/self/exe", &st), 0);
	p.tgid = p.pid = (uint32_t)getpid();
	p.ppid = 1;
	p.uid = p.euid = 0;
	snprintf(p.comm, sizeof(p.comm), "test_pipeline");
	snprintf(p.exe_path, sizeof(p.exe_path), "%s", exe_path);
	p.exe_major = major(st.st_dev);
	p.exe_minor = minor(st.st_dev);
	p.exe_ino = st.st_ino;
	p.exe_size = (uint64_t)st.st_size;
	p.exe_mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
			 (uint64_t)st.st_mtim.tv_nsec;
	p.flags = EXEFLOW_PF_EXE_KNOWN;
	return p;
}

/* Flow @port of this test, as the module would send it; proc NULL: a
 * record without process (no identity, never waits for a hash). */
static struct ef_record *rec(uint16_t port, uint8_t event,
			     const struct ef_proc *proc)
{
	static struct ef_record r;
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };

	memset(&r, 0, sizeof(r));
	r.seq = port;
	r.event = event;
	r.flow_id = port;
	r.netns_id = 1;
	r.family = AF_INET;
	r.proto = IPPROTO_TCP;
	memcpy(r.src, a, 4);
	memcpy(r.dst, b, 4);
	r.sport = port;
	r.dport = 443;
	r.direction = EXEFLOW_DIR_OUTBOUND;
	r.fwd_packets = 3;
	r.fwd_bytes = 180;
	r.first_ns = r.last_ns = 1700000000ull * 1000000000ull;
	r.end_reason = event == EXEFLOW_EV_END ? EXEFLOW_END_FIN : 0;
	r.method = proc ? EXEFLOW_M_TASK : EXEFLOW_M_KERNEL;
	if (proc)
		r.proc = *proc;
	return &r;
}

/* ---- the daemon's pieces ---- */

struct rig {
	struct nfw *w;
	struct hashcache *hc;
	struct pipeline *p;
};

static void rig_open(struct rig *g, unsigned wait_ms, size_t max_parked)
{
	struct nfw_options o = { .dir = tmpdir, .twin = 86400, .ident = "t",
				 .mode = 0640 };
	struct hashcache_config hcfg = { .workers = 0 };
	struct pipeline_config pcfg = { .hash_wait_ms = wait_ms,
					.max_parked = max_parked };
	char err[256];

	mk_tmp_named("test_pipeline");
	g->w = nfw_open(&o, time(NULL), err, sizeof(err));
	ck_assert_msg(g->w != NULL, "%s", err);
	g->hc = hashcache_create(&hcfg);
	ck_assert_ptr_nonnull(g->hc);
	pcfg.writer = g->w;
	pcfg.hc = g->hc;
	g->p = pipeline_create(&pcfg);
	ck_assert_ptr_nonnull(g->p);
}

static struct pipeline_stats stats(const struct rig *g)
{
	struct pipeline_stats st;

	pipeline_get_stats(g->p, &st);
	return st;
}

/* ---- reading the file back ---- */

struct got {
	unsigned n;
	uint16_t port[MAXF];
	char *label[MAXF];
};

static int take_block(void *ctx, const uint8_t *p, size_t len, uint32_t nrec)
{
	struct got *g = ctx;
	size_t q = 0;

	for (uint32_t i = 0; i < nrec && q + 12 <= len; i++) {
		uint16_t type, size, ne, et, el;
		size_t e = 12;

		memcpy(&type, p + q, 2);
		memcpy(&size, p + q + 2, 2);
		memcpy(&ne, p + q + 4, 2);
		for (unsigned k = 0; type == NFR_TYPE_V3 && k < ne; k++) {
			memcpy(&et, p + q + e, 2);
			memcpy(&el, p + q + e + 2, 2);
			if (et == 1)		/* EXgenericFlow: srcPort at 40 */
				memcpy(&g->port[g->n], p + q + e + 4 + 40, 2);
			if (et == 28)		/* EXlabel */
				g->label[g->n] = strndup((const char *)p + q + e + 4,
							 el - 4u);
			e += el;
		}
		if (type == NFR_TYPE_V3)
			ck_assert_uint_lt(++g->n, MAXF);
		q += size;
	}
	return 0;
}

/* Finish as exeflowd's shutdown does, then read the one sealed file. */
static void rig_close(struct rig *g, struct got *got)
{
	char path[512];
	struct nff_walk w;
	struct dirent *de;
	DIR *d;
	int fd, files = 0;

	ck_assert_uint_eq(pipeline_finish(g->p, 0), 0);
	ck_assert_int_eq(nfw_close(g->w), 0);
	pipeline_destroy(g->p);
	hashcache_destroy(g->hc);
	memset(got, 0, sizeof(*got));
	d = opendir(tmpdir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "nfcapd.", 7))
			continue;
		ck_assert_int_eq(files++, 0);
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(nff_walk(fd, &w, take_block, got), 0);
		ck_assert_int_eq(w.stopped, 0);
		close(fd);
	}
	closedir(d);
	ck_assert_int_eq(files, 1);
	rm_tmp();
}

static void got_free(struct got *got)
{
	for (unsigned i = 0; i < got->n; i++)
		free(got->label[i]);
}

static void expect_value(const char *label, const char *key, const char *want)
{
	static char v[LBL_MAX];
	int r = lbl_get(label, key, v, sizeof(v));

	if (!want) {
		ck_assert_int_eq(r, 0);
		return;
	}
	ck_assert_int_eq(r, 1);
	ck_assert_str_eq(v, want);
}

static const char *self_md5(void)
{
	static char hex[2 * EXEHASH_MD5_LEN + 1];
	struct exehash h;

	ck_assert_int_eq(exehash_path("/proc/self/exe", &h), 0);
	exehash_hex(h.md5, sizeof(h.md5), hex);
	return hex;
}

/* ---- tests ---- */

/*
 * An END whose hash is still being computed waits, and comes out whole
 * (a 3000-byte path with bytes the label escapes) once the hash is in,
 * in arrival order with the others that waited; a record without
 * identity does not wait behind it; with nothing waiting, an END whose
 * hash is known is written at once.
 */
START_TEST(waits_for_hash_in_order)
{
	static char path[3001];
	struct ef_proc proc;
	struct rig g;
	struct got *got = malloc(sizeof(*got));
	struct pipeline_stats st;

	ck_assert_ptr_nonnull(got);
	for (size_t i = 0; i < sizeof(path) - 1; i++)
		path[i] = "/a b%c=d\"e\\f\xc3\xa9"[i % 14];
	proc = self_proc(path);
	rig_open(&g, 60000, 0);

	pipeline_record(g.p, rec(1, EXEFLOW_EV_NEW, &proc));
	pipeline_record(g.p, rec(1, EXEFLOW_EV_END, &proc));
	st = stats(&g);
	ck_assert_uint_eq(st.parked, 1);
	ck_assert_uint_eq(st.written, 0);
	pipeline_record(g.p, rec(2, EXEFLOW_EV_END, NULL));
	pipeline_record(g.p, rec(3, EXEFLOW_EV_UPDATE, &proc));
	pipeline_record(g.p, rec(4, EXEFLOW_EV_END, &proc));
	st = stats(&g);
	ck_assert_uint_eq(st.written, 1);	/* 2, no identity */
	ck_assert_uint_eq(st.parked, 3);

	ck_assert_uint_eq(hashcache_work(g.hc, 10), 1);
	pipeline_poll(g.p, time(NULL));
	st = stats(&g);
	ck_assert_uint_eq(st.parked, 0);
	ck_assert_uint_eq(st.written, 4);
	ck_assert_uint_eq(st.with_hash, 3);

	pipeline_record(g.p, rec(5, EXEFLOW_EV_END, &proc));	/* at once */
	st = stats(&g);
	ck_assert_uint_eq(st.written, 5);
	ck_assert_uint_eq(st.parked, 0);
	ck_assert_uint_eq(st.records, 6);
	ck_assert_uint_eq(st.hash_timeouts, 0);

	rig_close(&g, got);
	ck_assert_uint_eq(got->n, 5);
	{
		static const uint16_t order[] = { 2, 1, 3, 4, 5 };

		for (unsigned i = 0; i < 5; i++) {
			ck_assert_uint_eq(got->port[i], order[i]);
			ck_assert_ptr_nonnull(got->label[i]);
			expect_value(got->label[i], "exe",
				     order[i] == 2 ? NULL : path);
			expect_value(got->label[i], "md5",
				     order[i] == 2 ? NULL : self_md5());
			expect_value(got->label[i], "comm",
				     order[i] == 2 ? NULL : "test_pipeline");
		}
	}
	got_free(got);
	free(got);
}
END_TEST

/* Past max_parked the newest record is dropped and counted. */
START_TEST(drops_past_max_parked)
{
	struct ef_proc proc = self_proc("/x");
	struct pipeline_stats st;
	struct rig g;
	struct got *got = malloc(sizeof(*got));

	ck_assert_ptr_nonnull(got);
	rig_open(&g, 60000, 2);
	pipeline_record(g.p, rec(1, EXEFLOW_EV_NEW, &proc));
	for (uint16_t port = 1; port <= 3; port++)
		pipeline_record(g.p, rec(port, EXEFLOW_EV_END, &proc));
	st = stats(&g);
	ck_assert_uint_eq(st.parked, 2);
	ck_assert_uint_eq(st.dropped, 1);
	hashcache_work(g.hc, 10);
	pipeline_poll(g.p, time(NULL));
	ck_assert_uint_eq(stats(&g).written, 2);
	rig_close(&g, got);
	ck_assert_uint_eq(got->n, 2);
	ck_assert_uint_eq(got->port[0], 1);
	ck_assert_uint_eq(got->port[1], 2);
	got_free(got);
	free(got);
}
END_TEST

/* A hash that does not come in time: written without it, counted. */
START_TEST(hash_timeout_writes_without)
{
	struct ef_proc proc = self_proc("/x");
	struct timespec ms5 = { 0, 5000000 };
	struct pipeline_stats st;
	struct rig g;
	struct got *got = malloc(sizeof(*got));

	ck_assert_ptr_nonnull(got);
	rig_open(&g, 1, 0);
	pipeline_record(g.p, rec(1, EXEFLOW_EV_NEW, &proc));
	pipeline_record(g.p, rec(1, EXEFLOW_EV_END, &proc));
	ck_assert_uint_eq(stats(&g).parked, 1);
	nanosleep(&ms5, NULL);
	pipeline_poll(g.p, time(NULL));
	st = stats(&g);
	ck_assert_uint_eq(st.written, 1);
	ck_assert_uint_eq(st.with_hash, 0);
	ck_assert_uint_eq(st.hash_timeouts, 1);
	rig_close(&g, got);
	ck_assert_uint_eq(got->n, 1);
	expect_value(got->label[0], "md5", NULL);
	expect_value(got->label[0], "exe", "/x");
	got_free(got);
	free(got);
}
END_TEST

static void set_fsize(rlim_t lim)
{
	struct rlimit r;

	getrlimit(RLIMIT_FSIZE, &r);
	r.rlim_cur = lim;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &r), 0);
}

/* While the writer cannot store flows (file size limit: EFBIG, as a full
 * disk gives ENOSPC) records stay parked, and all of them reach the file
 * in order once it can again. */
START_TEST(full_disk_keeps_records)
{
	struct ef_proc proc = self_proc("/usr/lib/some/long/enough/path/to/a/daemon");
	struct pipeline_stats st;
	struct rig g;
	struct got *got = malloc(sizeof(*got));
	unsigned n = 0;

	ck_assert_ptr_nonnull(got);
	signal(SIGXFSZ, SIG_IGN);
	rig_open(&g, 60000, 0);
	pipeline_record(g.p, rec(1, EXEFLOW_EV_NEW, &proc));
	hashcache_work(g.hc, 10);
	set_fsize(20000);
	do {
		n++;
		pipeline_record(g.p, rec((uint16_t)n, EXEFLOW_EV_END, &proc));
		st = stats(&g);
	} while (st.parked < 50 && n < MAXF - 100);
	ck_assert_uint_eq(st.parked, 50);
	ck_assert_uint_eq(st.dropped, 0);
	set_fsize(RLIM_INFINITY);
	pipeline_poll(g.p, time(NULL));
	st = stats(&g);
	ck_assert_uint_eq(st.parked, 0);
	ck_assert_uint_eq(st.written, n);
	ck_assert_uint_eq(st.with_hash, n);
	rig_close(&g, got);
	ck_assert_uint_eq(got->n, n);
	for (unsigned i = 0; i < n; i++)
		ck_assert_uint_eq(got->port[i], i + 1);
	expect_value(got->label[n - 1], "exe", proc.exe_path);
	got_free(got);
	free(got);
}
END_TEST

/* The tests' reproducible pseudo-random sequence (xorshift64). */
static uint64_t xorshift(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* flowconv's app id memo gives what nfw_app_id gives, through evictions,
 * look-alike pairs and paths too long to keep. */
START_TEST(app_id_memo_matches)
{
	static struct flowconv_buf b;
	static struct ef_record r;
	static char comms[300][EF_COMM_LEN + 1], exes[300][400];
	uint64_t x = 88172645463325252ull;
	uint8_t want[NFR_APP_ID_LEN];
	struct nfw_flow f;

	for (unsigned i = 0; i < 300; i++) {
		size_t len = i % 50 == 0 ? 250 + i % 7 * 3 : 5 + i % 40;

		snprintf(comms[i], sizeof(comms[i]), i % 3 ? "p%u" : "a-sixteen-chars%u",
			 i % 7);
		for (size_t k = 0; k < len; k++)
			exes[i][k] = (char)('a' + (i * 7 + k) % 26);
		exes[i][0] = '/';
		exes[i][len] = '\0';
	}
	/* "ab" + "c" and "a" + "bc" must not share an id */
	snprintf(comms[1], sizeof(comms[1]), "ab");
	snprintf(exes[1], sizeof(exes[1]), "c");
	snprintf(comms[2], sizeof(comms[2]), "a");
	snprintf(exes[2], sizeof(exes[2]), "bc");
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.proc.present = true;
	for (unsigned it = 0; it < 20000; it++) {
		unsigned i;

		x = xorshift(x);
		i = (unsigned)(x % 300);
		if (x % 3)
			i %= 20;	/* hot programs, and a tail that evicts */
		snprintf(r.proc.comm, sizeof(r.proc.comm), "%s", comms[i]);
		snprintf(r.proc.exe_path, sizeof(r.proc.exe_path), "%s", exes[i]);
		ck_assert_int_eq(flowconv(&r, NULL, 0, &f, &b), 0);
		ck_assert_int_eq(nfw_app_id(want, comms[i], exes[i], NULL), 0);
		ck_assert_uint_eq(f.app_id_len, NFR_APP_ID_LEN);
		ck_assert_mem_eq(f.app_id, want, NFR_APP_ID_LEN);
	}
}
END_TEST

/*
 * flowconv's label memo gives the label a conversion without it gives:
 * every field the process's part is made of varies on its own, among few
 * values, so a memo that left one out of its key would hand out another
 * process's part. The reference buffer's memo is cleared every time.
 */
START_TEST(label_memo_matches)
{
	static struct flowconv_buf b, fresh;
	static struct ef_record r;
	static const char *const exes[] = {
		"/usr/bin/curl", "/opt/my tool/run%1", "/usr/sbin/sshd", "",
		NULL,	/* 300 bytes: too long for the memo */
	};
	static const char *const comms[] = { "curl", "run", "", "sshd" };
	static char longexe[301];
	uint64_t x = 0x2545f4914f6cdd1dull;
	struct hc_result h = { .ok = true };
	struct nfw_flow f, g;

	memset(longexe, 'p', 300);
	longexe[0] = '/';
	r.family = AF_INET;
	for (unsigned it = 0; it < 6000; it++) {
		unsigned pick[16];
		const char *exe;

		for (unsigned i = 0; i < 16; i++) {
			x = xorshift(x);
			pick[i] = (unsigned)(x >> 20);
		}
		memset(&r.proc, 0, sizeof(r.proc));
		r.proc.present = pick[0] % 8 != 0;
		r.has_sock_uid = pick[1] % 2;
		r.sock_uid = 1000 + pick[1] % 3;
		r.sock_cgroup = pick[2] % 3 * 77;
		r.proc.tgid = 100 + pick[3] % 4;
		r.proc.ppid = 1 + pick[4] % 2;
		r.proc.uid = pick[5] % 3 ? 0 : 65534;
		r.proc.gid = pick[6] % 2;
		r.proc.euid = pick[7] % 2 * 1000;
		r.proc.cgroup_id = pick[8] % 3 * 4242;
		r.proc.flags = pick[9] % 2 ? EXEFLOW_PF_FOREGROUND : 0;
		snprintf(r.proc.comm, sizeof(r.proc.comm), "%s",
			 comms[pick[10] % 4]);
		exe = exes[pick[11] % 5];
		snprintf(r.proc.exe_path, sizeof(r.proc.exe_path), "%s",
			 exe ? exe : longexe);
		r.netns_id = 4026531840ull + pick[12] % 2;
		r.method = (uint8_t)(pick[13] % 4);
		memset(h.md5, pick[14] % 2 ? 0xa5 : 0x5a, sizeof(h.md5));
		memset(h.sha256, pick[14] % 3 ? 0x11 : 0x22, sizeof(h.sha256));
		memset(fresh.lbl, 0, sizeof(fresh.lbl));
		ck_assert_int_eq(flowconv(&r, pick[15] % 3 ? &h : NULL, 0, &f,
					  &b), 0);
		ck_assert_int_eq(flowconv(&r, pick[15] % 3 ? &h : NULL, 0, &g,
					  &fresh), 0);
		ck_assert_str_eq(f.label, g.label);
	}
}
END_TEST

static Suite *pipeline_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, waits_for_hash_in_order);
	tcase_add_test(tc, drops_past_max_parked);
	tcase_add_test(tc, hash_timeout_writes_without);
	tcase_add_test(tc, full_disk_keeps_records);
	tcase_add_test(tc, app_id_memo_matches);
	tcase_add_test(tc, label_memo_matches);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pipeline_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
