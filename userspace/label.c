// SPDX-License-Identifier: GPL-2.0
/* EXlabel key=value string: encoder and decoder. */
#include "label.h"

#include <errno.h>
#include <string.h>

/*
 * The encoder runs for every flow the daemon writes, so it copies runs of
 * plain bytes at once and formats numbers by hand (snprintf cost more than
 * the rest of the label together). Output is the same byte for byte.
 */
struct sink {
	char *p;
	size_t len, n;
	int full;
};

/* Always leaves room for the NUL; a label that does not fit fails whole. */
static void emit(struct sink *s, const void *b, size_t n)
{
	if (s->full || s->n + n >= s->len) {
		s->full = 1;
		return;
	}
	memcpy(s->p + s->n, b, n);
	s->n += n;
}

/* Bytes that stand for themselves: 0x21..0x7e except '"', '%', '=' and
 * '\\' (all of 0x80..0xff is zero). A table: one load per byte. */
static const unsigned char plain_tab[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x10 */
	0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1,	/* 0x30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* 0x50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,	/* 0x70 */
};

/* @key includes its separator: "pid=", " ppid=", ... */
static void emit_str(struct sink *s, const char *key, size_t klen,
		     const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *c = (const unsigned char *)v, *run;

	emit(s, key, klen);
	if (!v || !*v) {
		emit(s, "-", 1);
		return;
	}
	if (v[0] == '-' && !v[1]) {
		emit(s, "%2D", 3);
		return;
	}
	while (*c) {
		for (run = c; plain_tab[*c]; c++)	/* stops at the NUL */
			;
		if (c > run)
			emit(s, run, (size_t)(c - run));
		if (*c) {
			char e[3] = { '%', hex[*c >> 4], hex[*c & 15] };

			emit(s, e, 3);
			c++;
		}
	}
}

/* Decimal digits are plain and never "-": no escaping to do. */
static void emit_num(struct sink *s, const char *key, size_t klen, int known,
		     uint64_t v)
{
	char b[20], *p = b + sizeof(b);

	if (!known) {
		emit_str(s, key, klen, NULL);
		return;
	}
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	emit(s, key, klen);
	emit(s, p, (size_t)(b + sizeof(b) - p));
}

#define STR(s, key, v) emit_str(s, key, sizeof(key) - 1, v)
#define NUM(s, key, known, v) emit_num(s, key, sizeof(key) - 1, known, v)

/* A label that does not fit fails whole: @buf is then "". */
static int finish(struct sink *s)
{
	if (s->full || !s->len) {
		if (s->len)
			s->p[0] = 0;
		errno = ERANGE;
		return -1;
	}
	s->p[s->n] = 0;
	return (int)s->n;
}

int lbl_encode_proc(char *buf, size_t len, const struct lbl_proc *p)
{
	struct sink s = { buf, len, 0, 0 };
	unsigned h = p->have;

	NUM(&s, "pid=", h & LBL_PID, p->pid);
	NUM(&s, " ppid=", h & LBL_PPID, p->ppid);
	NUM(&s, " uid=", h & LBL_UID, p->uid);
	NUM(&s, " gid=", h & LBL_GID, p->gid);
	NUM(&s, " euid=", h & LBL_EUID, p->euid);
	STR(&s, " user=", p->user);
	STR(&s, " comm=", p->comm);
	STR(&s, " exe=", p->exe);
	STR(&s, " md5=", p->md5);
	STR(&s, " sha256=", p->sha256);
	NUM(&s, " fg=", p->fg >= 0, p->fg > 0);
	NUM(&s, " cgroup=", h & LBL_CGROUP, p->cgroup);
	return finish(&s);
}

int lbl_encode_flow(char *buf, size_t len, size_t at,
		    const struct lbl_proc *p)
{
	struct sink s = { buf, len, at, at >= len };

	NUM(&s, " netns=", p->have & LBL_NETNS, p->netns);
	STR(&s, " how=", p->how);
	return finish(&s);
}

int lbl_encode(char *buf, size_t len, const struct lbl_proc *p)
{
	int n = lbl_encode_proc(buf, len, p);

	return n < 0 ? n : lbl_encode_flow(buf, len, (size_t)n, p);
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
