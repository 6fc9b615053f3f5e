// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz [-n COUNT] [-s SEED] [-u] [-x CMD,...]: sends COUNT (default
 * 20000) random messages to the EXEFLOW generic netlink family and reads
 * every reply, from a deterministic PRNG (same seed, same messages).
 *
 * Messages: random commands (valid ones, RECORDS, 0, and any byte), random
 * flags (REQUEST or not, ACK, ECHO, exactly NLM_F_DUMP, garbage), genl
 * version and reserved bytes, attribute lists with random types (with and
 * without NLA_F_NESTED), payload lengths 0..300, nests up to 4 deep, and
 * broken framing: nla_len below the header or past the message, nlmsg_len
 * short, long, below the header, or larger than what is sent, trailing
 * bytes, and two or three messages in one datagram. The socket is reopened
 * every 1000 messages, sometimes in the middle of a dump.
 *
 * Replies are drained after each send (the family handles requests in the
 * sender's context, and the next part of a dump is made during recv, so
 * MSG_DONTWAIT until EAGAIN sees all of them) and classified. An error or
 * ack whose seq is none of the datagram's was made from the garbage that a
 * misframed message left (the kernel reads a header wherever it lands):
 * counted, not judged.
 *
 * Root (default): any reply is fine as long as it is well-framed and of a
 * known command; a GET_STATS with ACK every 500 messages must still get
 * its reply and ack 0 (the module is alive). -x keeps commands out (-x 1:
 * no REGISTER, which would take the records away from a running exeflowd).
 *
 * -u (run as an unprivileged user): every well-formed request for a real
 * operation (what reaches the family's permission check) must be answered
 * with exactly EPERM; no other message may bring a family message back or
 * an ack 0 to a family request. Anything else counts as a violation.
 *
 * Exit: 0 no violation, 1 violations, 2 setup failure. The last line is
 * "nlfuzz: result: N messages, M violations".
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>

#include "nlraw.h"
#include "uapi/exeflow.h"

#define BUF 16384

static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static unsigned int below(unsigned int n) { return n ? (unsigned int)(rnd() % n) : 0; }
static bool chance(unsigned int pct) { return below(100) < pct; }

static int family;
static bool unpriv;
static bool excluded[256];

/* Per message sent: what it was and what came back. */
struct sent {
	bool strict;		/* must be answered EPERM (-u) */
	bool family_req;	/* REQUEST to the family: no ack 0 (-u) */
	int replies;		/* NLMSG_ERROR for it */
	int error;		/* the last one's error */
};

static struct sent *log_;
static uint32_t seq_base = 1000, nsent;
/* Messages of the datagram being answered: the family answers in the
 * sender's context, so their replies come in the drain right after it. A
 * reply with another seq was made from the garbage a misframed message
 * left (its seq is whatever bytes stood there): counted, not judged. */
static uint32_t cur_first, cur_end;

static struct {
	unsigned long packets, send_err, msgs, ack0, errors[256], err_other;
	unsigned long done, data, data_cmd[256], records, other, overruns;
	unsigned long strict, strict_eperm, violations, reopen, alive, stray;
} st;

static void violation(uint32_t seq, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void violation(uint32_t seq, const char *fmt, ...)
{
	va_list ap;

	st.violations++;
	if (st.violations > 20)
		return;
	printf("nlfuzz: VIOLATION (seq %u): ", seq);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Random attributes into b (room: cap); returns bytes written. */
static size_t gen_attrs(uint8_t *b, size_t cap, int depth)
{
	size_t off = 0;
	unsigned int n = 1 + below(depth ? 4 : 6);

	for (unsigned int i = 0; i < n && off + NLA_HDRLEN + 320 <= cap; i++) {
		struct nlattr *a = (struct nlattr *)(b + off);
		uint16_t type;
		size_t plen;

		if (chance(70))
			type = (uint16_t)below(EXEFLOW_A_MAX + 3);
		else if (chance(50))
			type = (uint16_t)below(EXEFLOW_F_MAX + 3);
		else
			type = (uint16_t)rnd() & NLA_TYPE_MASK;
		if (chance(25))
			type |= NLA_F_NESTED;
		if (chance(5))
			type |= NLA_F_NET_BYTEORDER;
		off += NLA_HDRLEN;
		if (depth < 4 && (type & NLA_F_NESTED ? chance(80) : chance(15))) {
			plen = gen_attrs(b + off, cap - off, depth + 1);
		} else {
			static const uint16_t lens[] = { 0, 1, 2, 3, 4, 8, 16 };

			plen = chance(70) ? lens[below(7)] : below(300);
			for (size_t k = 0; k < plen; k++)
				b[off + k] = (uint8_t)rnd();
			if (plen == 4 && chance(50))
				memcpy(b + off, &(uint32_t){ EXEFLOW_GENL_VERSION }, 4);
		}
		a->nla_type = type;
		a->nla_len = (uint16_t)(NLA_HDRLEN + plen);
		memset(b + off + plen, 0, NLA_ALIGN(plen) - plen);
		off += NLA_ALIGN(plen);
		/* broken lengths */
		if (chance(4))
			a->nla_len = (uint16_t)below(NLA_HDRLEN);
		else if (chance(4))
			a->nla_len = (uint16_t)(NLA_HDRLEN + plen + 1 + below(400));
		else if (chance(3) && plen)
			a->nla_len = (uint16_t)(NLA_HDRLEN + below((unsigned int)plen));
	}
	return off;
}

static bool do_cmd(uint8_t cmd)
{
	return cmd == EXEFLOW_CMD_REGISTER || cmd == EXEFLOW_CMD_UNREGISTER ||
	       cmd == EXEFLOW_CMD_GET_STATS || cmd == EXEFLOW_CMD_FLUSH;
}

/*
 * One message at b; returns its size in the datagram. *framed says whether
 * its nlmsg_len is exactly that size (so the kernel goes on to the next).
 */
static size_t gen_msg(uint8_t *b, bool *framed)
{
	struct nlmsghdr *h = (struct nlmsghdr *)b;
	struct genlmsghdr *g = (struct genlmsghdr *)(b + NLMSG_HDRLEN);
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN, alen = 0;
	uint16_t flags, rest;
	uint8_t cmd;
	struct sent *s = &log_[nsent];

	memset(s, 0, sizeof(*s));
	memset(b, 0, len);
	if (chance(70))
		cmd = (uint8_t)below(EXEFLOW_CMD_MAX + 2);
	else
		cmd = (uint8_t)rnd();
	if (excluded[cmd])
		cmd = EXEFLOW_CMD_GET_STATS;
	flags = chance(92) ? NLM_F_REQUEST : 0;
	if (chance(25))
		flags |= NLM_F_DUMP;
	if (chance(50))
		flags |= NLM_F_ACK;
	if (chance(10))
		flags |= NLM_F_ECHO;
	if (chance(5))
		flags |= (uint16_t)rnd();
	/* A dump-only command with the dump flags most of the time. */
	if (cmd == EXEFLOW_CMD_GET_FLOWS && chance(70))
		flags |= NLM_F_DUMP;
	h->nlmsg_type = chance(96) ? (uint16_t)family : (uint16_t)below(NLMSG_MIN_TYPE);
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq_base + nsent;
	h->nlmsg_pid = chance(10) ? (uint32_t)rnd() : 0;
	g->cmd = cmd;
	g->version = chance(70) ? EXEFLOW_GENL_VERSION : (uint8_t)rnd();
	g->reserved = chance(90) ? 0 : (uint16_t)rnd();

	if (chance(30)) {
		/* no attributes */
	} else if (chance(20)) {
		nlraw_put(b + len, &alen, EXEFLOW_A_VERSION,
			  &(uint32_t){ EXEFLOW_GENL_VERSION }, 4);
	} else {
		alen = gen_attrs(b + len, 8192, 0);	/* BUF holds 3 */
	}
	len += alen;
	if (chance(5)) {	/* trailing bytes past the attributes */
		unsigned int t = 1 + below(7);

		for (unsigned int k = 0; k < t; k++)
			b[len + k] = (uint8_t)rnd();
		len += t;
	}
	h->nlmsg_len = (uint32_t)len;
	*framed = true;
	if (chance(3)) {
		h->nlmsg_len = below(NLMSG_HDRLEN);	/* below the header */
		*framed = false;
	} else if (chance(3)) {
		h->nlmsg_len = (uint32_t)(len + 1 + below(500));	/* past the end */
		*framed = false;
	} else if (chance(4) && len > NLMSG_HDRLEN) {
		/* short: the rest reads as the next message */
		h->nlmsg_len = NLMSG_HDRLEN + below((unsigned int)(len - NLMSG_HDRLEN));
		*framed = false;
	}

	s->family_req = *framed && h->nlmsg_type == family &&
			(flags & NLM_F_REQUEST);
	/* What passes genl's header checks (strict for every command of the
	 * family, resv_start_op 0: reserved 0, only REQUEST, ACK, ECHO and
	 * both DUMP bits) and names an operation reaches the permission
	 * check; before it, EINVAL/EOPNOTSUPP are the core's answers. */
	rest = (flags & NLM_F_DUMP) == NLM_F_DUMP ? flags & ~NLM_F_DUMP : flags;
	s->strict = s->family_req && len >= NLMSG_HDRLEN + GENL_HDRLEN &&
		    !g->reserved &&
		    !(rest & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) &&
		    ((do_cmd(cmd) && (flags & NLM_F_DUMP) != NLM_F_DUMP) ||
		     (cmd == EXEFLOW_CMD_GET_FLOWS &&
		      (flags & NLM_F_DUMP) == NLM_F_DUMP));
	nsent++;
	st.msgs++;
	return len;
}

/* Walks the attributes of a family message: they must tile it. */
static bool well_framed(const struct nlmsghdr *h)
{
	int rem = (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	const struct nlattr *a = (const void *)((const uint8_t *)NLMSG_DATA(h) +
						GENL_HDRLEN);

	if (rem < 0)
		return false;
	while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= rem) {
		rem -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const uint8_t *)a + NLA_ALIGN(a->nla_len));
	}
	return rem <= 0;
}

static void on_reply(const struct nlmsghdr *h)
{
	uint32_t i = h->nlmsg_seq - seq_base;
	struct sent *s = i >= cur_first && i < cur_end ? &log_[i] : NULL;

	if (!s && h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq) {
		st.stray++;
		return;
	}
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);
		int err = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ? -e->error : 255;

		if (!err)
			st.ack0++;
		else if (err > 0 && err < 255)
			st.errors[err]++;
		else
			st.err_other++;
		if (s) {
			s->replies++;
			s->error = -err;
		}
		if (unpriv && s && s->family_req && !err)
			violation(h->nlmsg_seq, "ack 0 to a family request");
		return;
	}
	if (h->nlmsg_type == NLMSG_DONE) {
		st.done++;
		if (unpriv)
			violation(h->nlmsg_seq, "NLMSG_DONE: a dump ran");
		return;
	}
	if (h->nlmsg_type == family) {
		const struct genlmsghdr *g = NLMSG_DATA(h);

		if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
			violation(h->nlmsg_seq, "family message of %u bytes",
				  h->nlmsg_len);
			return;
		}
		if (g->cmd == EXEFLOW_CMD_RECORDS)
			st.records++;
		else
			st.data++;
		st.data_cmd[g->cmd]++;
		if (unpriv)
			violation(h->nlmsg_seq, "family message, cmd %u", g->cmd);
		else if (g->cmd != EXEFLOW_CMD_REGISTER &&
			 g->cmd != EXEFLOW_CMD_GET_STATS &&
			 g->cmd != EXEFLOW_CMD_FLUSH &&
			 g->cmd != EXEFLOW_CMD_GET_FLOWS &&
			 g->cmd != EXEFLOW_CMD_RECORDS)
			violation(h->nlmsg_seq, "reply with unknown cmd %u", g->cmd);
		else if (!well_framed(h))
			violation(h->nlmsg_seq, "reply with broken attributes, cmd %u",
				  g->cmd);
		return;
	}
	st.other++;
	violation(h->nlmsg_seq, "reply of type %u", h->nlmsg_type);
}

/* Everything that is queued, dump parts included. */
static void drain(int fd)
{
	static uint8_t buf[65536];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct nlmsghdr *h;
		int len;

		if (n < 0) {
			if (errno == EAGAIN)
				return;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {	/* records overran us */
				st.overruns++;
				continue;
			}
			violation(0, "recv: %s", strerror(errno));
			return;
		}
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len))
			on_reply(h);
	}
}

/* Judge the messages of the last datagram (-u). */
static void judge(uint32_t from)
{
	for (uint32_t i = from; i < nsent; i++) {
		struct sent *s = &log_[i];

		if (!s->strict)
			continue;
		st.strict++;
		if (s->replies == 1 && s->error == -EPERM)
			st.strict_eperm++;
		else
			violation(seq_base + i, "operation got %d replies, last "
				  "error %d, not one EPERM", s->replies, s->error);
	}
}

/* A GET_STATS the module must answer (root) or refuse with EPERM (-u). */
static void alive(int fd)
{
	unsigned int data = 0;
	int err;

	drain(fd);
	if (nlraw_request(fd, (uint16_t)family, NLM_F_REQUEST | NLM_F_ACK,
			  EXEFLOW_CMD_GET_STATS, EXEFLOW_GENL_VERSION, NULL, 0,
			  1) < 0) {
		violation(1, "send GET_STATS: %s", strerror(errno));
		return;
	}
	err = nlraw_wait(fd, 1, &data);
	st.alive++;
	if (unpriv ? err != -EPERM || data : err || data != 1)
		violation(1, "GET_STATS check: error %d, %u replies", err, data);
	drain(fd);	/* records that came in meanwhile */
}

static void usage(void)
{
	fprintf(stderr, "usage: nlfuzz [-n COUNT] [-s SEED] [-u] [-x CMD,...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long count = 20000, seed = 1;
	struct nlraw_family fam;
	uint8_t *buf = malloc(BUF * 3);
	int fd, c, err;

	while ((c = getopt(argc, argv, "n:s:ux:")) != -1) {
		switch (c) {
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 'u':
			unpriv = true;
			break;
		case 'x':
			for (char *p = optarg; *p; p++) {
				excluded[strtoul(p, &p, 10) & 0xff] = true;
				if (!*p)
					break;
			}
			break;
		default:
			usage();
		}
	}
	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	log_ = calloc(count + 8, sizeof(*log_));
	fd = nlraw_open(10);
	if (!buf || !log_ || fd < 0) {
		perror("nlfuzz: setup");
		return 2;
	}
	err = nlraw_resolve(fd, EXEFLOW_GENL_NAME, &fam);
	if (err) {
		fprintf(stderr, "nlfuzz: resolving %s: %s\n", EXEFLOW_GENL_NAME,
			strerror(-err));
		return 2;
	}
	family = fam.id;
	printf("nlfuzz: family %d, seed %lu, %lu messages, %s\n", family, seed,
	       count, unpriv ? "unprivileged: expecting EPERM" : "privileged");
	fflush(stdout);

	while (nsent < count) {
		uint32_t first = nsent;
		unsigned int nmsg = chance(90) ? 1 : 2 + below(2);
		size_t len = 0;
		bool framed = true;

		for (unsigned int k = 0; k < nmsg && nsent < count; k++) {
			bool f;

			/* the kernel finds the next message at NLMSG_ALIGN */
			while (len != NLMSG_ALIGN(len))
				buf[len++] = 0;
			/* after a misframed message, the rest is not judged */
			len += gen_msg(buf + len, &f);
			if (!framed)
				log_[nsent - 1].strict = log_[nsent - 1].family_req = false;
			framed = framed && f;
		}
		/* sometimes send less than the headers claim */
		if (chance(2) && len > 4) {
			len -= 1 + below(len < 16 ? (unsigned int)len - 1 : 16);
			for (uint32_t i = first; i < nsent; i++)
				log_[i].strict = log_[i].family_req = false;
		}
		st.packets++;
		cur_first = first;
		cur_end = nsent;
		if (nlraw_send(fd, buf, len) < 0)
			st.send_err++;
		drain(fd);
		if (unpriv)
			judge(first);
		if (nsent / 500 != first / 500)
			alive(fd);
		if (nsent / 1000 != first / 1000) {
			/* close, half of the time with a dump going on */
			if (chance(50) && !unpriv)
				nlraw_request(fd, (uint16_t)family,
					      NLM_F_REQUEST | NLM_F_DUMP,
					      EXEFLOW_CMD_GET_FLOWS,
					      EXEFLOW_GENL_VERSION, NULL, 0, 2);
			close(fd);
			fd = nlraw_open(10);
			if (fd < 0) {
				perror("nlfuzz: socket");
				return 2;
			}
			st.reopen++;
		}
	}
	alive(fd);
	close(fd);

	printf("nlfuzz: %lu messages in %lu datagrams (%lu not accepted by send), "
	       "%lu reopens, %lu liveness checks\n", st.msgs, st.packets,
	       st.send_err, st.reopen, st.alive);
	printf("nlfuzz: replies: ack0 %lu, done %lu, family replies %lu "
	       "(register %lu, stats %lu, flush %lu, flows %lu), records %lu, "
	       "overruns %lu, other %lu, to misframed garbage %lu\n", st.ack0,
	       st.done, st.data, st.data_cmd[EXEFLOW_CMD_REGISTER],
	       st.data_cmd[EXEFLOW_CMD_GET_STATS], st.data_cmd[EXEFLOW_CMD_FLUSH],
	       st.data_cmd[EXEFLOW_CMD_GET_FLOWS], st.records, st.overruns,
	       st.other, st.stray);
	printf("nlfuzz: errors:");
	for (int e = 1; e < 255; e++)
		if (st.errors[e])
			printf(" %s %lu,", strerror(e), st.errors[e]);
	printf(" other %lu\n", st.err_other);
	if (unpriv)
		printf("nlfuzz: operations %lu, answered EPERM %lu\n", st.strict,
		       st.strict_eperm);
	printf("nlfuzz: result: %lu messages, %lu violations\n", st.msgs,
	       st.violations);
	return st.violations ? 1 : 0;
}
