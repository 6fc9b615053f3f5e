// SPDX-License-Identifier: GPL-2.0
/* V3 records, NBAR and interface-name tables, stat arithmetic. */
#include "nfrecord.h"

#include <netinet/in.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/socket.h>

enum {
	EX_GENERIC = 1, EX_IPV4 = 2, EX_IPV6 = 3, EX_MISC = 4, EX_CNT = 5,
	EX_USER = 24, EX_NBAR = 27, EX_LABEL = 28,
};

#define MAXEXTENSIONS 38	/* nfdump 1.7.1 exits above this */

static void put8(uint8_t *p, uint8_t v) { *p = v; }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint64_t be_load(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Element header; returns the payload pointer. */
static uint8_t *elem(uint8_t *p, uint16_t type, uint16_t len)
{
	put16(p, type);
	put16(p + 2, len);
	memset(p + 4, 0, len - 4u);
	return p + 4;
}

static size_t round4(size_t n) { return (n + 3) & ~(size_t)3; }

size_t nfr_flow(uint8_t *buf, size_t cap, const struct nfw_flow *f)
{
	size_t ulen = 0, lbl = 0, need, ip = f->family == AF_INET ? 12 : 36;
	unsigned ne = 4;
	uint8_t *p, *e;

	if (f->family != AF_INET && f->family != AF_INET6)
		return 0;
	if (f->app_id_len > 15 || (f->app_id_len && !f->app_id))
		return 0;
	if (f->user)
		ne++;
	if (f->app_id_len)
		ne++;
	if (f->label) {
		lbl = strnlen(f->label, NFR_LABEL_MAX - 1);
		ne++;
	}
	need = 12 + 52 + ip + 20 + 28 + (f->user ? 72 : 0) +
	       (f->app_id_len ? 4u + f->app_id_len : 0) +
	       (f->label ? 4 + round4(lbl + 1) : 0);
	if (need > cap || need > 65535)
		return 0;

	p = buf;
	put16(p, NFR_TYPE_V3);
	put16(p + 2, (uint16_t)need);
	put16(p + 4, (uint16_t)ne);
	memset(p + 6, 0, 6);	/* engine, exporter, flags, nfversion */
	p += 12;

	e = elem(p, EX_GENERIC, 52);
	put64(e, f->first_ms);
	put64(e + 8, f->last_ms);
	put64(e + 16, f->received_ms);
	put64(e + 24, f->in_pkts);
	put64(e + 32, f->in_bytes);
	put16(e + 40, f->sport);
	put16(e + 42, f->dport);
	put8(e + 44, f->proto);
	put8(e + 45, f->tcp_flags);
	p += 52;

	if (f->family == AF_INET) {
		e = elem(p, EX_IPV4, 12);
		put32(e, (uint32_t)be_load(f->src, 4));
		put32(e + 4, (uint32_t)be_load(f->dst, 4));
	} else {
		e = elem(p, EX_IPV6, 36);
		put64(e, be_load(f->src, 8));
		put64(e + 8, be_load(f->src + 8, 8));
		put64(e + 16, be_load(f->dst, 8));
		put64(e + 24, be_load(f->dst + 8, 8));
	}
	p += ip;

	e = elem(p, EX_MISC, 20);
	put32(e, f->in_if);
	put32(e + 4, f->out_if);
	put8(e + 10, f->dir);
	put8(e + 13, f->end_reason);
	put8(e + 14, f->rev_tcp_flags);
	p += 20;

	e = elem(p, EX_CNT, 28);
	put64(e, 1);
	put64(e + 8, f->out_pkts);
	put64(e + 16, f->out_bytes);
	p += 28;

	if (f->user) {
		/* 1.7.1 copies all 66 bytes, so the full element is written. */
		e = elem(p, EX_USER, 72);
		ulen = strnlen(f->user, NFR_USER_MAX);
		memcpy(e, f->user, ulen);
		p += 72;
	}
	if (f->app_id_len) {
		e = elem(p, EX_NBAR, (uint16_t)(4 + f->app_id_len));
		memcpy(e, f->app_id, f->app_id_len);
		p += 4 + f->app_id_len;
	}
	if (f->label) {
		size_t l = 4 + round4(lbl + 1);

		e = elem(p, EX_LABEL, (uint16_t)l);
		memcpy(e, f->label, lbl);
		p += l;
	}
	return (size_t)(p - buf);
}

/* Copy @s into a NUL padded field of @len bytes; a string that does not fit
 * keeps its tail behind "..." when @tail, else its head. */
static void put_str(uint8_t *dst, size_t len, const char *s, int tail)
{
	size_t n = s ? strlen(s) : 0;

	memset(dst, 0, len);
	if (!len || !n)		/* also: no memcpy from a NULL @s */
		return;
	if (n < len) {
		memcpy(dst, s, n);
	} else if (tail && len > 4) {
		memcpy(dst, "...", 3);
		memcpy(dst + 3, s + n - (len - 4), len - 4);
	} else {
		memcpy(dst, s, len - 1);
	}
}

size_t nfr_nbar(uint8_t *buf, size_t cap, const struct nfr_app *a, unsigned n,
		uint8_t id_len, uint16_t name_len, uint16_t desc_len)
{
	size_t es = (size_t)id_len + name_len + desc_len, need = 14 + n * es;
	uint8_t *p;

	if (!n || n > 0xffff || !id_len || id_len > 15 || !name_len ||
	    name_len + desc_len > NFR_NBAR_STR_MAX || need > cap || need > 65535)
		return 0;
	put16(buf, NFR_TYPE_NBAR);
	put16(buf + 2, (uint16_t)need);
	put16(buf + 4, (uint16_t)n);
	put16(buf + 6, (uint16_t)es);
	put16(buf + 8, id_len);
	put16(buf + 10, name_len);
	put16(buf + 12, desc_len);
	p = buf + 14;
	for (unsigned i = 0; i < n; i++, p += es) {
		memcpy(p, a[i].id, id_len);
		put_str(p + id_len, name_len, a[i].name, 0);
		put_str(p + id_len + name_len, desc_len, a[i].desc, 1);
	}
	return need;
}

size_t nfr_nbar1(uint8_t *buf, size_t cap, const uint8_t *id, uint8_t id_len,
		 const char *name, const char *desc)
{
	struct nfr_app a = { id, name, desc };
	size_t nl = strnlen(name ? name : "", 63) + 1, dl = 0, pad;

	if (desc && *desc) {
		dl = strnlen(desc, NFR_NBAR_STR_MAX) + 1;
		if (nl + dl > NFR_NBAR_STR_MAX)
			dl = NFR_NBAR_STR_MAX - nl;
	}
	/* Keep the record a multiple of 4, as nfcapd does. */
	pad = (4 - (14 + id_len + nl + dl) % 4) % 4;
	if (!dl)
		nl += pad;
	else if (nl + dl + pad <= NFR_NBAR_STR_MAX)
		dl += pad;
	else
		dl -= 4 - pad;
	return nfr_nbar(buf, cap, &a, 1, id_len, (uint16_t)nl, (uint16_t)dl);
}

size_t nfr_ifname(uint8_t *buf, size_t cap, const struct nfr_ifname *e,
		  unsigned n)
{
	size_t es = 4 + NFR_IFNAME_LEN, need = 12 + n * es;
	uint8_t *p;

	if (!n || need > cap || need > 65535)
		return 0;
	put16(buf, NFR_TYPE_IFNAME);
	put16(buf + 2, (uint16_t)need);
	put16(buf + 4, (uint16_t)n);
	put16(buf + 6, (uint16_t)es);
	put32(buf + 8, NFR_IFNAME_LEN);
	p = buf + 12;
	for (unsigned i = 0; i < n; i++, p += es) {
		put32(p, e[i].ifindex);
		put_str(p + 4, NFR_IFNAME_LEN, e[i].name, 0);
	}
	return need;
}

int nfw_app_id(uint8_t id[NFR_APP_ID_LEN], const char *comm, const char *exe,
	       const char *extra)
{
	const char *part[3] = { comm, exe, extra };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);

	/* NUL separated, so ("ab","c") and ("a","bc") differ. */
	for (int i = 0; ok && i < 3; i++) {
		const char *s = part[i] ? part[i] : "";

		ok = EVP_DigestUpdate(ctx, s, strlen(s) + 1);
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen >= 7;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	id[0] = NFR_ENGINE_USER;
	memcpy(id + 1, md, NFR_APP_ID_LEN - 1);
	return 0;
}

void nfr_stat_init(struct nff_stat *s)
{
	memset(s, 0, sizeof(*s));
	s->firstseen = UINT64_MAX;
}

static void stat_add(struct nff_stat *s, uint8_t proto, uint64_t pkts,
		     uint64_t bytes, uint64_t flows, uint64_t first, uint64_t last)
{
	uint64_t *fl, *by, *pk;

	if (!flows)
		flows = 1;	/* nfdump: aggr_flows 0 counts as 1 */
	switch (proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		fl = &s->flows_icmp, by = &s->bytes_icmp, pk = &s->packets_icmp;
		break;
	case IPPROTO_TCP:
		fl = &s->flows_tcp, by = &s->bytes_tcp, pk = &s->packets_tcp;
		break;
	case IPPROTO_UDP:
		fl = &s->flows_udp, by = &s->bytes_udp, pk = &s->packets_udp;
		break;
	default:
		fl = &s->flows_other, by = &s->bytes_other, pk = &s->packets_other;
	}
	*fl += flows;
	*by += bytes;
	*pk += pkts;
	s->numflows += flows;
	s->numbytes += bytes;
	s->numpackets += pkts;
	if (first < s->firstseen)
		s->firstseen = first;
	if (last > s->lastseen)
		s->lastseen = last;
}

void nfr_stat_add_flow(struct nff_stat *s, const struct nfw_flow *f)
{
	stat_add(s, f->proto, f->in_pkts + f->out_pkts,
		 f->in_bytes + f->out_bytes, 1, f->first_ms, f->last_ms);
}

void nfr_stat_add_record(struct nff_stat *s, const uint8_t *rec, size_t len)
{
	uint64_t first = 0, last = 0, pkts = 0, bytes = 0, flows = 0;
	uint8_t proto = 0;
	size_t p = 12;

	if (len < 12 || get16(rec) != NFR_TYPE_V3)
		return;
	for (unsigned i = 0, ne = get16(rec + 4); i < ne && p + 4 <= len; i++) {
		uint16_t t = get16(rec + p), l = get16(rec + p + 2);
		const uint8_t *e = rec + p + 4;

		if (l < 4 || p + l > len)
			break;
		if (t == EX_GENERIC && l >= 52) {
			first = get64(e);
			last = get64(e + 8);
			pkts += get64(e + 24);
			bytes += get64(e + 32);
			proto = e[44];
		} else if (t == EX_CNT && l >= 28) {
			flows = get64(e);
			pkts += get64(e + 8);
			bytes += get64(e + 16);
		}
		p += l;
	}
	stat_add(s, proto, pkts, bytes, flows, first, last);
}

void nfr_stat_finish(struct nff_stat *s, uint64_t slot_first_ms,
		     uint64_t slot_last_ms)
{
	if (!s->numflows) {
		s->firstseen = slot_first_ms;
		s->lastseen = slot_last_ms;
	}
}

static int v3_valid(const uint8_t *r, size_t size)
{
	size_t p = 12;
	unsigned ne;

	if (size < 12)
		return 0;
	ne = get16(r + 4);
	if (ne > MAXEXTENSIONS)
		return 0;
	for (unsigned i = 0; i < ne; i++) {
		uint16_t l;

		if (p + 4 > size)
			return 0;
		l = get16(r + p + 2);
		if (l < 4 || p + l > size)
			return 0;
		p += l;
	}
	return p == size;
}

/* Array records: header, type specific info, numElements * elementSize. */
static int array_valid(const uint8_t *r, size_t size, size_t info)
{
	return size >= 8 + info &&
	       8 + info + (size_t)get16(r + 4) * get16(r + 6) <= size;
}

int nfr_block_valid(const uint8_t *p, size_t len, uint32_t nrec, int *appendix)
{
	size_t q = 0;

	*appendix = 0;
	for (uint32_t i = 0; i < nrec; i++) {
		uint16_t type, size;

		if (q + 4 > len)
			return 0;
		type = get16(p + q);
		size = get16(p + q + 2);
		if (size < 4 || q + size > len)
			return 0;
		if (type == NFR_TYPE_V3 && !v3_valid(p + q, size))
			return 0;
		if (type == NFR_TYPE_NBAR && !array_valid(p + q, size, 6))
			return 0;
		if ((type == NFR_TYPE_IFNAME || type == 14) &&
		    !array_valid(p + q, size, 4))
			return 0;
		if (type == NFR_TYPE_IDENT || type == NFR_TYPE_STAT)
			*appendix = 1;
		q += size;
	}
	return q == len;
}
