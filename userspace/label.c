// SPDX-License-Identifier: GPL-2.0
/* EXlabel key=value string: encoder and decoder. */
#include "label.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct sink {
	char *p;
	size_t len, n;
	int full;
};

static void emit(struct sink *s, const char *b, size_t n)
{
	if (s->full || s->n + n >= s->len) {
		s->full = 1;
		return;
	}
	memcpy(s->p + s->n, b, n);
	s->n += n;
}

static int plain(unsigned char c)
{
	return c >= 0x21 && c < 0x7f && c != '"' && c != '\\' && c != '%' &&
	       c != '=';
}

static void emit_str(struct sink *s, const char *key, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";

	if (s->n)
		emit(s, " ", 1);
	emit(s, key, strlen(key));
	emit(s, "=", 1);
	if (!v || !*v) {
		emit(s, "-", 1);
		return;
	}
	if (!strcmp(v, "-")) {
		emit(s, "%2D", 3);
		return;
	}
	for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
		char e[3] = { '%', hex[*c >> 4], hex[*c & 15] };

		if (plain(*c))
			emit(s, (const char *)c, 1);
		else
			emit(s, e, 3);
	}
}

static void emit_num(struct sink *s, const char *key, int known, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	emit_str(s, key, known ? b : NULL);
}

int lbl_encode(char *buf, size_t len, const struct lbl_proc *p)
{
	struct sink s = { buf, len, 0, 0 };
	unsigned h = p->have;

	emit_num(&s, "pid", h & LBL_PID, p->pid);
	emit_num(&s, "ppid", h & LBL_PPID, p->ppid);
	emit_num(&s, "uid", h & LBL_UID, p->uid);
	emit_num(&s, "gid", h & LBL_GID, p->gid);
	emit_num(&s, "euid", h & LBL_EUID, p->euid);
	emit_str(&s, "user", p->user);
	emit_str(&s, "comm", p->comm);
	emit_str(&s, "exe", p->exe);
	emit_str(&s, "md5", p->md5);
	emit_str(&s, "sha256", p->sha256);
	emit_num(&s, "fg", p->fg >= 0, p->fg > 0);
	emit_num(&s, "cgroup", h & LBL_CGROUP, p->cgroup);
	emit_num(&s, "netns", h & LBL_NETNS, p->netns);
	emit_str(&s, "how", p->how);
	if (s.full || !len) {
		if (len)
			buf[0] = 0;
		errno = ERANGE;
		return -1;
	}
	buf[s.n] = 0;
	return (int)s.n;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode @n bytes of an encoded value; -1 on a bad escape, a decoded NUL
 * or no room. */
static int decode(const char *v, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)v[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = unhex(v[i + 1]);
			lo = unhex(v[i + 2]);
			if (hi < 0 || lo < 0 || !(hi | lo))
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	if (!outlen)
		return -1;
	out[o] = 0;
	return 0;
}

int lbl_get(const char *label, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);
	const char *p = label;

	while (p && *p) {
		const char *end = strchr(p, ' '), *eq;
		size_t tl = end ? (size_t)(end - p) : strlen(p);

		eq = memchr(p, '=', tl);
		if (!eq)
			return -1;
		if ((size_t)(eq - p) == kl && !memcmp(p, key, kl)) {
			const char *v = eq + 1;
			size_t vl = tl - kl - 1;

			if (vl == 1 && *v == '-') {
				if (outlen)
					out[0] = 0;
				return 0;
			}
			return decode(v, vl, out, outlen) < 0 ? -1 : 1;
		}
		p = end ? end + 1 : NULL;
	}
	return -1;
}
