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

/* The scalars are enough to spread processes; a hit compares all. */
static uint64_t lbl_key_hash(const struct fc_lbl_key *k)
{
	uint64_t h = ((uint64_t)k->pid << 32 | k->uid) ^
		     k->cgroup * 0x9e3779b97f4a7c15ull ^
		     ((uint64_t)k->ppid << 32 | (uint32_t)k->fg << 8 |
		      k->hashed << 16 | k->have);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h | 1;
}

static bool lbl_memo_hit(const struct fc_lbl_memo *m, uint64_t h,
			 const struct fc_lbl_key *k, const char *user,
			 const char *comm, const char *exe)
{
	return m->hash == h && !memcmp(&m->key, k, sizeof(*k)) &&
	       !strcmp(m->user, user) && !strcmp(m->comm, comm) &&
	       !strcmp(m->exe, exe);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* The label of @l, its process's part from the memo when it is there. */
static int label(struct flowconv_buf *b, const struct lbl_proc *l,
		 const struct hc_result *hash)
{
	const char *user = or_empty(l->user), *comm = or_empty(l->comm);
	const char *exe = or_empty(l->exe);
	struct fc_lbl_memo *m, *m2;
	struct fc_lbl_key k;
	bool hit;
	uint64_t h;
	int n;

	memset(&k, 0, sizeof(k));
	k.have = l->have & ~(unsigned)LBL_NETNS;
	k.fg = l->fg;
	k.pid = l->pid;
	k.ppid = l->ppid;
	k.uid = l->uid;
	k.gid = l->gid;
	k.euid = l->euid;
	k.cgroup = l->cgroup;
	if (l->md5) {
		k.hashed = 1;
		memcpy(k.md5, hash->md5, sizeof(k.md5));
		memcpy(k.sha256, hash->sha256, sizeof(k.sha256));
	}
	h = lbl_key_hash(&k);
	m = &b->lbl[h % FC_LBL_SLOTS];
	m2 = &b->lbl[(h >> 32) % FC_LBL_SLOTS];
	hit = lbl_memo_hit(m, h, &k, user, comm, exe);
	if (!hit && lbl_memo_hit(m2, h, &k, user, comm, exe)) {
		m = m2;
		hit = true;
	}
	if (hit) {
		memcpy(b->label, m->text, m->len);
		n = (int)m->len;
	} else {
		if (l->md5) {
			exehash_hex(hash->md5, sizeof(hash->md5), b->md5);
			exehash_hex(hash->sha256, sizeof(hash->sha256),
				    b->sha256);
		}
		n = lbl_encode_proc(b->label, sizeof(b->label), l);
		if (n < 0)
			return -1;
		if (m2->used < m->used)
			m = m2;
		if ((size_t)n < sizeof(m->text) &&
		    strlen(user) < sizeof(m->user) &&
		    strlen(comm) < sizeof(m->comm) &&
		    strlen(exe) < sizeof(m->exe)) {
			m->hash = h;
			m->key = k;
			strcpy(m->user, user);
			strcpy(m->comm, comm);
			strcpy(m->exe, exe);
			m->len = (size_t)n;
			memcpy(m->text, b->label, m->len);
		} else {
			m = NULL;	/* too long to keep */
		}
	}
	if (m)
		m->used = ++b->memo_clock;
	return lbl_encode_flow(b->label, sizeof(b->label), (size_t)n, l);
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
	if (p->present && p->comm[0] &&
	    app_id(b, p->comm, p->exe_path, b->app_id) == 0) {
		f->app_id = b->app_id;
		f->app_id_len = NFR_APP_ID_LEN;
		f->app_name = p->comm;
		f->app_desc = p->exe_path[0] ? p->exe_path : NULL;
	}
	fill_label(r, user, b, hashed, &l);
	if (label(b, &l, hash) < 0)
		return -1;
	f->label = b->label;
	return 0;
}
