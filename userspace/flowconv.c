// SPDX-License-Identifier: GPL-2.0
#include "flowconv.h"

#include <string.h>

#include "recparse.h"
#include "uapi/exeflow.h"

/* IPFIX flowEndReason (RFC 5102), which %end prints. */
static uint8_t end_reason(uint8_t r)
{
	switch (r) {
	case EXEFLOW_END_IDLE:
		return 1;
	case EXEFLOW_END_ACTIVE:
		return 2;
	case EXEFLOW_END_FIN:
		return 3;
	case EXEFLOW_END_FLUSH:
		return 4;
	case EXEFLOW_END_EVICTED:
		return 5;
	default:
		return 0;
	}
}

const struct hc_identity *flowconv_identity(const struct ef_record *r,
					    struct hc_identity *id)
{
	if (!r->proc.present || !(r->proc.flags & EXEFLOW_PF_EXE_KNOWN))
		return NULL;
	id->major = r->proc.exe_major;
	id->minor = r->proc.exe_minor;
	id->ino = r->proc.exe_ino;
	id->size = r->proc.exe_size;
	id->mtime_ns = r->proc.exe_mtime_ns;
	return id;
}

/* FNV-1a; the memo compares the strings, so collisions only cost a miss. */
static uint64_t fnv1a(const char *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
	return h;
}

static bool memo_hit(const struct fc_app_memo *m, uint64_t h,
		     const char *comm, size_t cl, const char *exe, size_t el)
{
	return m->hash == h && !memcmp(m->comm, comm, cl + 1) &&
	       !memcmp(m->exe, exe, el + 1);
}

/* nfw_app_id(id, comm, exe, NULL), remembered (see struct fc_app_memo). */
static int app_id(struct flowconv_buf *b, const char *comm, const char *exe,
		  uint8_t id[NFR_APP_ID_LEN])
{
	size_t cl = strlen(comm), el = strlen(exe);
	struct fc_app_memo *m, *m2;
	uint64_t h;

	if (cl >= sizeof(m->comm) || el >= sizeof(m->exe))
		return nfw_app_id(id, comm, exe, NULL);
	/* The NUL after comm keeps ("ab", "c") apart from ("a", "bc"). */
	h = fnv1a(exe, el, fnv1a(comm, cl + 1, 0xcbf29ce484222325ull)) | 1;
	m = &b->memo[h % FC_MEMO_SLOTS];
	m2 = &b->memo[(h >> 32) % FC_MEMO_SLOTS];
	if (!memo_hit(m, h, comm, cl, exe, el)) {
		if (memo_hit(m2, h, comm, cl, exe, el)) {
			m = m2;
		} else {
			if (nfw_app_id(id, comm, exe, NULL))
				return -1;
			if (m2->used < m->used)
				m = m2;
			m->hash = h;
			memcpy(m->id, id, NFR_APP_ID_LEN);
			memcpy(m->comm, comm, cl + 1);
			memcpy(m->exe, exe, el + 1);
		}
	}
	m->used = ++b->memo_clock;
	memcpy(id, m->id, NFR_APP_ID_LEN);
	return 0;
}

/* snprintf(dst, size, "%s", src) without the printf machinery. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void fill_label(const struct ef_record *r, const char *user,
		       const struct flowconv_buf *b, bool hashed,
		       struct lbl_proc *l)
{
	const struct ef_proc *p = &r->proc;

	memset(l, 0, sizeof(*l));
	l->fg = -1;
	l->how = ef_method_name(r->method);
	l->netns = r->netns_id;
	l->have = LBL_NETNS;
	l->user = user;
	if (hashed) {
		l->md5 = b->md5;
		l->sha256 = b->sha256;
	}
	if (!p->present) {
		/* socket-creds: the socket's owner is all we know. */
		if (r->has_sock_uid) {
			l->uid = r->sock_uid;
			l->have |= LBL_UID;
		}
		if (r->sock_cgroup) {
			l->cgroup = r->sock_cgroup;
			l->have |= LBL_CGROUP;
		}
		return;
	}
	l->have |= LBL_PID | LBL_PPID | LBL_UID | LBL_GID | LBL_EUID;
	l->pid = p->tgid;
	l->ppid = p->ppid;
	l->uid = p->uid;
	l->gid = p->gid;
	l->euid = p->euid;
	if (p->cgroup_id) {
		l->cgroup = p->cgroup_id;
		l->have |= LBL_CGROUP;
	}
	l->comm = p->comm;
	l->exe = p->exe_path;
	l->fg = (p->flags & EXEFLOW_PF_FOREGROUND) ? 1 : 0;
}

int flowconv(const struct ef_record *r, const struct hc_result *hash,
	     uint64_t now_ms, struct nfw_flow *f, struct flowconv_buf *b)
{
	const struct ef_proc *p = &r->proc;
	bool hashed = hash && hash->ok;
	const char *user = NULL;
	struct lbl_proc l;

	memset(f, 0, sizeof(*f));
	f->first_ms = r->first_ns / 1000000;
	f->last_ms = r->last_ns / 1000000;
	f->received_ms = now_ms;
	f->family = r->family;
	memcpy(f->src, r->src, sizeof(f->src));
	memcpy(f->dst, r->dst, sizeof(f->dst));
	f->sport = r->sport;
	f->dport = r->dport;
	f->proto = r->proto;
	f->tcp_flags = r->fwd_tcp_flags;
	f->rev_tcp_flags = r->rev_tcp_flags;
	f->dir = r->direction == EXEFLOW_DIR_OUTBOUND ? 1 : 0;
	f->end_reason = end_reason(r->end_reason);
	f->in_pkts = r->fwd_packets;
	f->in_bytes = r->fwd_bytes;
	f->out_pkts = r->rev_packets;
	f->out_bytes = r->rev_bytes;
	f->in_if = r->in_ifindex;
	f->out_if = r->out_ifindex;
	f->in_ifname = r->in_ifname[0] ? r->in_ifname : NULL;
	f->out_ifname = r->out_ifname[0] ? r->out_ifname : NULL;

	if (p->present || r->has_sock_uid) {
		copy_str(b->user, sizeof(b->user),
			 ef_username(p->present ? p->uid : r->sock_uid));
		user = b->user;
		f->user = user;
	}
	if (hashed) {
		exehash_hex(hash->md5, sizeof(hash->md5), b->md5);
		exehash_hex(hash->sha256, sizeof(hash->sha256), b->sha256);
	}
	if (p->present && p->comm[0] &&
	    app_id(b, p->comm, p->exe_path, b->app_id) == 0) {
		f->app_id = b->app_id;
		f->app_id_len = NFR_APP_ID_LEN;
		f->app_name = p->comm;
		f->app_desc = p->exe_path[0] ? p->exe_path : NULL;
	}
	fill_label(r, user, b, hashed, &l);
	if (lbl_encode(b->label, sizeof(b->label), &l) < 0)
		return -1;
	f->label = b->label;
	return 0;
}
