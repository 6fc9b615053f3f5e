// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: one decoded module record -> one nfdump flow
 * (flowconv.c), then the record encoder on the result.
 *
 * The record is filled from the input the way recparse could have produced
 * it (AF_INET/AF_INET6, strings within their buffers, anything else
 * arbitrary), with or without executable hashes. flowconv must succeed
 * (the label always fits), the label must decode back to the record's
 * process fields, and the flow must encode into a record nfdump can walk,
 * preceded by its NBAR and interface-name entries.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "flowconv.h"
#include "fuzz.h"
#include "recparse.h"
#include "uapi/exeflow.h"

static struct ef_record rec;
static struct flowconv_buf fb;
static char dec[LBL_MAX];
static uint8_t out[NFR_FLOW_MAX];

static void expect(const char *label, const char *key, const char *want)
{
	int r = lbl_get(label, key, dec, sizeof(dec));

	if (!want || !*want) {
		FZ_CHECK(r == 0, "%s: %d '%s', want unknown", key, r, dec);
		return;
	}
	FZ_CHECK(r == 1 && !strcmp(dec, want), "%s: %d '%s', want '%s'", key,
		 r, dec, want);
}

static void expect_u(const char *label, const char *key, int known, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	expect(label, key, known ? b : NULL);
}

static void check_block(const uint8_t *p, size_t n, const char *what)
{
	int app;

	FZ_CHECK(n > 0 && nfr_block_valid(p, n, 1, &app) == 1 && !app,
		 "%s: %zu bytes, not walkable", what, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct ef_record *r = &rec;
	struct ef_proc *p = &r->proc;
	struct hc_result hash = { 0 };
	struct hc_identity id;
	struct nfw_flow fl;
	uint8_t opts = fz_u8(&f);
	const char *lbl;
	char hex[65];
	size_t n;

	memset(r, 0, sizeof(*r));
	r->seq = fz_u64(&f);
	r->event = fz_u8(&f);
	r->flow_id = fz_u64(&f);
	r->netns_id = fz_u64(&f);
	r->family = opts & 1 ? AF_INET6 : AF_INET;
	r->proto = fz_u8(&f);
	for (int i = 0; i < 16; i++) {
		r->src[i] = r->family == AF_INET && i >= 4 ? 0 : fz_u8(&f);
		r->dst[i] = r->family == AF_INET && i >= 4 ? 0 : fz_u8(&f);
	}
	r->sport = fz_u16(&f);
	r->dport = fz_u16(&f);
	r->icmp_id = fz_u16(&f);
	r->direction = fz_u8(&f);
	r->fwd_packets = fz_u64(&f);
	r->fwd_bytes = fz_u64(&f);
	r->rev_packets = fz_u64(&f);
	r->rev_bytes = fz_u64(&f);
	r->fwd_tcp_flags = fz_u8(&f);
	r->rev_tcp_flags = fz_u8(&f);
	r->first_ns = fz_u64(&f);
	r->last_ns = fz_u64(&f);
	r->in_ifindex = fz_u32(&f);
	r->out_ifindex = fz_u32(&f);
	fz_str(&f, r->in_ifname, EF_IFNAME_LEN);
	fz_str(&f, r->out_ifname, EF_IFNAME_LEN);
	r->end_reason = fz_u8(&f);
	r->method = fz_u8(&f);
	r->sock_cookie = fz_u64(&f);
	r->has_sock_uid = opts & 2;
	r->sock_uid = r->has_sock_uid ? fz_u32(&f) : 0;
	r->sock_cgroup = fz_u64(&f);
	p->present = opts & 4;
	if (p->present) {
		p->tgid = fz_u32(&f);
		p->pid = fz_u32(&f);
		p->ppid = fz_u32(&f);
		p->uid = fz_u32(&f);
		p->gid = fz_u32(&f);
		p->euid = fz_u32(&f);
		p->egid = fz_u32(&f);
		fz_str(&f, p->comm, EF_COMM_LEN);
		fz_str(&f, p->exe_path, EF_PATH_LEN - 1);
		p->exe_major = fz_u32(&f);
		p->exe_minor = fz_u32(&f);
		p->exe_ino = fz_u64(&f);
		p->exe_size = fz_u64(&f);
		p->exe_mtime_ns = fz_u64(&f);
		p->cgroup_id = fz_u64(&f);
		p->flags = fz_u32(&f);
	}
	hash.ok = opts & 8;
	for (int i = 0; i < EXEHASH_MD5_LEN; i++)
		hash.md5[i] = fz_u8(&f);
	for (int i = 0; i < EXEHASH_SHA256_LEN; i++)
		hash.sha256[i] = fz_u8(&f);

	FZ_CHECK(flowconv(r, opts & 16 ? NULL : &hash, fz_u64(&f), &fl, &fb) == 0,
		 "flowconv refused a record");
	FZ_CHECK((flowconv_identity(r, &id) != NULL) ==
		 (p->present && (p->flags & EXEFLOW_PF_EXE_KNOWN)), "identity");

	/* The label says what the record said. */
	lbl = fl.label;
	FZ_CHECK(lbl == fb.label, "no label");
	expect(lbl, "how", ef_method_name(r->method));
	expect_u(lbl, "netns", 1, r->netns_id);
	expect(lbl, "comm", p->present ? p->comm : NULL);
	expect(lbl, "exe", p->present ? p->exe_path : NULL);
	expect_u(lbl, "pid", p->present, p->tgid);
	expect_u(lbl, "ppid", p->present, p->ppid);
	expect_u(lbl, "uid", p->present || r->has_sock_uid,
		 p->present ? p->uid : r->sock_uid);
	expect_u(lbl, "euid", p->present, p->euid);
	expect_u(lbl, "fg", p->present, !!(p->flags & EXEFLOW_PF_FOREGROUND));
	if (p->present || r->has_sock_uid) {
		FZ_CHECK(fl.user && strlen(fl.user) <= NFR_USER_MAX, "user");
		expect(lbl, "user", fl.user);
	} else {
		FZ_CHECK(!fl.user, "user without a uid");
		expect(lbl, "user", NULL);
	}
	if (hash.ok && !(opts & 16)) {
		exehash_hex(hash.md5, EXEHASH_MD5_LEN, hex);
		expect(lbl, "md5", hex);
		exehash_hex(hash.sha256, EXEHASH_SHA256_LEN, hex);
		expect(lbl, "sha256", hex);
	} else {
		expect(lbl, "md5", NULL);
		expect(lbl, "sha256", NULL);
	}

	/* What the writer does with it (nfrotate.c nfw_write). */
	if (fl.app_id_len && fl.app_name) {
		FZ_CHECK(p->present && p->comm[0], "app without a comm");
		n = nfr_nbar1(out, 512, fl.app_id, fl.app_id_len, fl.app_name,
			      fl.app_desc);
		check_block(out, n, "nbar1");
	}
	if (fl.in_ifname) {
		struct nfr_ifname e = { fl.in_if, fl.in_ifname };

		n = nfr_ifname(out, 64, &e, 1);
		check_block(out, n, "ifname");
	}
	n = nfr_flow(out, sizeof(out), &fl);
	check_block(out, n, "flow");
	return 0;
}
