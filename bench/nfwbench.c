// SPDX-License-Identifier: GPL-2.0
/*
 * nfwbench: userspace figures of `make bench`, on the build machine.
 *
 *   nfwbench write DIR N none|lz4|lzo   N realistic attributed flows through
 *                                       the nfcapd writer (nfw_open, nfw_write,
 *                                       nfw_close); prints records/s and the
 *                                       finished file
 *   nfwbench hash FILE                  one-pass MD5 + SHA-256 (exehash_path)
 *   nfwbench pipeline DIR N             exeflowd's userspace path without
 *                                       netlink: N flows as NEW + END records
 *                                       through pipeline_record() (hash cache
 *                                       with one worker, flowconv, writer)
 *
 * The flows are built before the clock starts, the way exeflowd hands them
 * to the writer: module-like records for a pool of processes, converted by
 * flowconv() (label, user, NBAR application) with real-looking hashes.
 * Timed: every nfw_write() and the nfw_close() that seals and places the
 * file, i.e. what exeflowd's writer spends per record.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <time.h>

#include "exehash.h"
#include "flowconv.h"
#include "hashcache.h"
#include "nffile.h"
#include "nfrotate.h"
#include "pipeline.h"
#include "record.h"
#include "uapi/exeflow.h"

#define NPROCS 256

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A desktop/server mix: a few busy programs and a tail of others. */
static const char *const exes[] = {
	"/usr/lib/firefox-esr/firefox-esr", "/usr/bin/curl", "/usr/sbin/sshd",
	"/usr/bin/ssh", "/usr/lib/systemd/systemd-resolved", "/usr/sbin/chronyd",
	"/usr/bin/python3.11", "/usr/sbin/nginx", "/usr/bin/wget",
	"/usr/lib/apt/methods/http", "/usr/sbin/postfix/smtpd",
	"/opt/google/chrome/chrome", "/usr/bin/git", "/usr/bin/node",
	"/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "/usr/sbin/named",
	"/usr/bin/dig", "/home/alice/.local/bin/my tool", "/tmp/.x/payload",
	"/usr/bin/rsync", "/usr/sbin/ntpd", "/usr/bin/docker-proxy",
	"/usr/lib/thunderbird/thunderbird", "/usr/sbin/exim4",
};

struct tmpl {
	struct nfw_flow f;
	struct ef_record r;	/* owns the strings f points to */
	struct flowconv_buf b;
};

static void make_tmpl(struct tmpl *t, unsigned i)
{
	static const uint32_t uids[] = { 0, 1000, 33, 1001, 0, 1000, 101, 0 };
	struct ef_record *r = &t->r;
	struct hc_result h = { .ok = true, .source = HC_SRC_PROC };
	const char *exe = exes[i % (sizeof(exes) / sizeof(exes[0]))];
	const char *base = strrchr(exe, '/') + 1;

	memset(r, 0, sizeof(*r));
	r->event = EXEFLOW_EV_END;
	r->netns_id = 4026531840ull + (i % 3 == 0 ? 1 : 0);
	r->family = AF_INET;
	r->proc.present = true;
	r->proc.tgid = r->proc.pid = 1000 + i * 7;
	r->proc.ppid = 1 + i % 5;
	r->proc.uid = r->proc.euid = uids[i % 8];
	r->proc.gid = r->proc.egid = uids[i % 8];
	snprintf(r->proc.comm, sizeof(r->proc.comm), "%.15s", base);
	snprintf(r->proc.exe_path, sizeof(r->proc.exe_path), "%s", exe);
	r->proc.exe_major = 254;
	r->proc.exe_ino = 100000 + i;
	r->proc.exe_size = 1 << 20;
	r->proc.cgroup_id = 5000 + i % 40;
	r->proc.flags = EXEFLOW_PF_EXE_KNOWN | (i % 4 ? 0 : EXEFLOW_PF_FOREGROUND);
	r->method = i % 5 == 0 ? EXEFLOW_M_ACCEPT : EXEFLOW_M_TASK;
	snprintf(r->in_ifname, sizeof(r->in_ifname), "eth0");
	snprintf(r->out_ifname, sizeof(r->out_ifname), "eth0");
	for (size_t k = 0; k < sizeof(h.md5); k++)
		h.md5[k] = (uint8_t)rnd();
	for (size_t k = 0; k < sizeof(h.sha256); k++)
		h.sha256[k] = (uint8_t)rnd();
	if (flowconv(r, &h, 0, &t->f, &t->b)) {
		fprintf(stderr, "nfwbench: flowconv failed\n");
		exit(1);
	}
}

/* Flow n of the run: its process's template with its own tuple and counters. */
static void make_flow(const struct tmpl *t, uint64_t n, uint64_t t0_ms,
		      struct nfw_flow *f)
{
	uint64_t x = rnd();

	*f = t->f;
	f->first_ms = t0_ms + n / 1000;
	f->last_ms = f->first_ms + x % 30000;
	f->received_ms = f->last_ms + 1000;
	switch (x % 20) {
	case 0:
		f->proto = 1;	/* ICMP echo */
		f->sport = 0;
		f->dport = 8 << 8;
		break;
	case 1: case 2: case 3: case 4: case 5:
		f->proto = 17;
		f->sport = (uint16_t)(32768 + (x >> 8) % 28000);
		f->dport = (x >> 20) % 3 ? 53 : 443;
		break;
	default:
		f->proto = 6;
		f->sport = (uint16_t)(32768 + (x >> 8) % 28000);
		f->dport = (uint16_t[]){ 443, 80, 22, 25, 8080, 993 }[(x >> 24) % 6];
		f->tcp_flags = 0x1b;
		f->rev_tcp_flags = 0x1b;
		break;
	}
	if (x % 10 == 9) {
		static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

		f->family = AF_INET6;
		memcpy(f->src, v6, 16);
		memcpy(f->dst, v6, 16);
		memcpy(f->src + 8, &n, 8);
		f->dst[15] = (uint8_t)(x >> 32);
		if (f->proto == 1)
			f->proto = 58;
	} else {
		uint32_t s = htonl(0x0a000000u | (uint32_t)(n % 250) << 8 | 10);
		uint32_t d = htonl((uint32_t)(x >> 32));

		f->family = AF_INET;
		memset(f->src, 0, 16);
		memset(f->dst, 0, 16);
		memcpy(f->src, &s, 4);
		memcpy(f->dst, &d, 4);
	}
	f->dir = x % 7 == 0 ? 0 : 1;
	f->end_reason = (uint8_t)(1 + (x >> 40) % 3);
	f->in_pkts = 1 + (x >> 12) % 200;
	f->in_bytes = f->in_pkts * (60 + (x >> 16) % 1400);
	f->out_pkts = (x >> 28) % 300;
	f->out_bytes = f->out_pkts * (60 + (x >> 36) % 1400);
	f->in_if = 2;
	f->out_if = 2;
}

static int cmd_write(const char *dir, uint64_t n, const char *comp)
{
	struct nfw_options o = { .dir = dir, .twin = 300, .ident = "bench",
				 .mode = 0640 };
	static struct tmpl tmpls[NPROCS];
	struct nfw_flow *flows = malloc(n * sizeof(*flows));
	uint64_t t0_ms = (uint64_t)time(NULL) * 1000, start, end, label = 0;
	struct nfw_stats st;
	struct nfw *w;
	char err[256];

	if (!flows) {
		perror("nfwbench: malloc");
		return 1;
	}
	if (!strcmp(comp, "none"))
		o.compression = NFF_COMP_NONE;
	else if (!strcmp(comp, "lz4"))
		o.compression = NFF_COMP_LZ4;
	else if (!strcmp(comp, "lzo"))
		o.compression = NFF_COMP_LZO;
	else
		return 2;
	for (unsigned i = 0; i < NPROCS; i++)
		make_tmpl(&tmpls[i], i);
	/* Zipf-ish: low-numbered processes make most of the flows. */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = rnd();
		unsigned p = (unsigned)(x % NPROCS);

		if (x % 4)
			p %= 16;
		make_flow(&tmpls[p], i, t0_ms, &flows[i]);
		label += strlen(flows[i].label);
	}

	start = now_ns();
	w = nfw_open(&o, time(NULL), err, sizeof(err));
	if (!w) {
		fprintf(stderr, "nfwbench: %s\n", err);
		return 1;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (nfw_write(w, &flows[i], time(NULL)) < 0) {
			fprintf(stderr, "nfwbench: write: %s\n", nfw_error(w));
			return 1;
		}
	}
	nfw_get_stats(w, &st);
	if (nfw_close(w)) {
		fprintf(stderr, "nfwbench: close failed\n");
		return 1;
	}
	end = now_ns();
	printf("records=%llu secs=%.6f rps=%.0f label_avg=%.0f\n",
	       (unsigned long long)st.flows, (double)(end - start) / 1e9,
	       (double)st.flows / ((double)(end - start) / 1e9),
	       (double)label / (double)n);
	free(flows);
	return 0;
}

static int cmd_hash(const char *path)
{
	struct exehash h;
	char hex[2 * EXEHASH_SHA256_LEN + 1];
	int r = exehash_path(path, &h);

	if (r) {
		fprintf(stderr, "nfwbench: %s: %s\n", path, strerror(-r));
		return 1;
	}
	exehash_hex(h.sha256, sizeof(h.sha256), hex);
	printf("bytes=%llu secs=%.6f mbps=%.1f sha256=%s\n",
	       (unsigned long long)h.bytes, (double)h.elapsed_ns / 1e9,
	       (double)h.bytes / 1048576.0 / ((double)h.elapsed_ns / 1e9), hex);
	return 0;
}

/* Executables that exist here, so the hash cache really hashes them. */
static int real_exe(unsigned i, struct ef_proc *p)
{
	static const char *const cand[] = {
		"/usr/bin/nfdump", "/usr/bin/gcc", "/usr/bin/make", "/usr/bin/git",
		"/usr/bin/ssh", "/usr/bin/perl", "/usr/bin/awk", "/usr/bin/gzip",
		"/usr/sbin/ip", "/usr/bin/tar", "/usr/bin/sort", "/usr/bin/stat",
	};
	static char real[PATH_MAX];
	const char *path = realpath(cand[i % (sizeof(cand) / sizeof(cand[0]))], real);
	struct stat st;

	if (!path || stat(path, &st) || !S_ISREG(st.st_mode)) {
		path = "/proc/self/exe";
		if (stat(path, &st))
			return -1;
	}
	snprintf(p->exe_path, sizeof(p->exe_path), "%s", path);
	snprintf(p->comm, sizeof(p->comm), "%.15s", strrchr(path, '/') + 1);
	p->exe_major = major(st.st_dev);
	p->exe_minor = minor(st.st_dev);
	p->exe_ino = st.st_ino;
	p->exe_size = (uint64_t)st.st_size;
	p->exe_mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
			  (uint64_t)st.st_mtim.tv_nsec;
	return 0;
}

static int cmd_pipeline(const char *dir, uint64_t n)
{
	struct nfw_options o = { .dir = dir, .twin = 300, .ident = "bench",
				 .mode = 0640 };
	struct hashcache_config hcfg = { .workers = 1 };
	struct pipeline_config pcfg = { 0 };
	static struct ef_record procs[64];
	struct ef_record *rec = malloc(sizeof(*rec));
	struct pipeline_stats ps;
	struct hc_stats hs;
	uint64_t start, end, t_ns = (uint64_t)time(NULL) * 1000000000ull;
	struct pipeline *pl;
	struct nfw *w;
	char err[256];

	for (unsigned i = 0; i < 64; i++) {
		struct ef_record *r = &procs[i];

		memset(r, 0, sizeof(*r));
		r->family = AF_INET;
		r->proto = 6;
		r->direction = EXEFLOW_DIR_OUTBOUND;
		r->netns_id = 4026531840ull;
		r->method = EXEFLOW_M_TASK;
		r->proc.present = true;
		r->proc.tgid = r->proc.pid = 0;	/* no live process: by path */
		r->proc.ppid = 1;
		r->proc.uid = r->proc.euid = i % 3 ? 1000 : 0;
		r->proc.flags = EXEFLOW_PF_EXE_KNOWN;
		r->proc.cgroup_id = 5000 + i;
		snprintf(r->in_ifname, sizeof(r->in_ifname), "eth0");
		snprintf(r->out_ifname, sizeof(r->out_ifname), "eth0");
		r->in_ifindex = r->out_ifindex = 2;
		if (real_exe(i, &r->proc))
			return 1;
	}
	w = nfw_open(&o, time(NULL), err, sizeof(err));
	pcfg.hc = hashcache_create(&hcfg);
	if (!w || !pcfg.hc || !rec) {
		fprintf(stderr, "nfwbench: %s\n", w ? "hash cache" : err);
		return 1;
	}
	pcfg.writer = w;
	pl = pipeline_create(&pcfg);
	start = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = rnd();
		uint32_t d = htonl((uint32_t)(x >> 32));

		*rec = procs[x % 64];
		rec->seq = 2 * i + 1;
		rec->flow_id = i + 1;
		rec->proc.tgid = rec->proc.pid = 0;
		memcpy(rec->src, &(uint32_t){ htonl(0x0a000001) }, 4);
		memcpy(rec->dst, &d, 4);
		rec->sport = (uint16_t)(32768 + x % 28000);
		rec->dport = 443;
		rec->first_ns = rec->last_ns = t_ns + i * 1000;
		rec->event = EXEFLOW_EV_NEW;
		pipeline_record(pl, rec);
		rec->seq++;
		rec->event = EXEFLOW_EV_END;
		rec->end_reason = EXEFLOW_END_FIN;
		rec->fwd_packets = 6, rec->fwd_bytes = 700;
		rec->rev_packets = 5, rec->rev_bytes = 4000;
		rec->last_ns += 20000000;
		pipeline_record(pl, rec);
		if (i % 1024 == 0)
			pipeline_poll(pl, time(NULL));
	}
	pipeline_finish(pl, 10000);
	nfw_close(w);
	end = now_ns();
	pipeline_get_stats(pl, &ps);
	hashcache_stats(pcfg.hc, &hs);
	printf("records=%llu written=%llu with_hash=%llu secs=%.6f rps=%.0f hashed=%llu\n",
	       (unsigned long long)ps.records, (unsigned long long)ps.written,
	       (unsigned long long)ps.with_hash, (double)(end - start) / 1e9,
	       (double)ps.records / ((double)(end - start) / 1e9),
	       (unsigned long long)hs.hashed);
	pipeline_destroy(pl);
	hashcache_destroy(pcfg.hc);
	free(rec);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "pipeline"))
		return cmd_pipeline(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 5 && !strcmp(argv[1], "write"))
		return cmd_write(argv[2], strtoull(argv[3], NULL, 10), argv[4]);
	if (argc == 3 && !strcmp(argv[1], "hash"))
		return cmd_hash(argv[2]);
	fprintf(stderr, "usage: nfwbench write DIR N none|lz4|lzo | hash FILE | pipeline DIR N\n");
	return 2;
}
