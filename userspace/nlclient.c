// SPDX-License-Identifier: GPL-2.0
/*
 * EXEFLOW generic netlink client. See nlclient.h for the two-socket layout;
 * reference/kernel-notes.md §4.5 for the libnl behaviour this works around.
 */
#include "nlclient.h"

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#define DEFAULT_RCVBUF		(16 << 20)
#define EV_MSG_BUF		(64 << 10)	/* receive buffer of one message */
#define DEFAULT_TIMEOUT_MS	10000
/* Messages per ef_client_recv() call, so one busy socket cannot starve the
 * caller's other poll() sources; the fd stays readable, nothing is lost. */
#define RECV_BATCH		256

struct ef_client {
	struct nl_sock *cmd;
	struct nl_sock *ev;
	int family;
	int timeout_ms;
	ef_record_fn fn;	/* listener callback, set by register */
	void *arg;
	bool overrun_pending;	/* seen while waiting for a reply */
	struct ef_client_counters cnt;
	struct ef_parse_buf pb;	/* every message's records decode here
				 * (kept: see ef_parse_records_buf) */
};

/* State of one exchange on a socket (or of one drain of the event socket). */
struct req {
	struct ef_client *c;
	bool on_cmd;		/* command socket: any message is a reply */
	uint32_t seq;		/* of our request; 0 while draining events */
	bool done;		/* ACK, error or NLMSG_DONE seen */
	int kerr;		/* negative errno from NLMSG_ERROR */
	bool dump_intr;
	struct ef_stats *st;	/* wants a stats reply */
	bool st_optional;	/* ... if the module sends one */
	bool got_stats;
	int bad_reply;
	ef_record_fn fn;	/* wants dump records */
	void *arg;
	int nrec;
};

/* libnl's codes carry less than errno does; map back the ones we meet. */
static int nlerr(int e)
{
	switch (e < 0 ? -e : e) {
	case 0:			return 0;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_PERM:		return -EPERM;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_INTR:		return -EINTR;
	case NLE_DUMP_INTR:	return EF_EDUMPINTR;
	case NLE_BAD_SOCK:	return -EBADF;
	case NLE_INVAL:		return -EINVAL;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
	case NLE_MSG_OVERFLOW:
	case NLE_SEQ_MISMATCH:
	case NLE_PARSE_ERR:	return -EPROTO;
	default:		return -EIO;
	}
}

const char *ef_strerror(int err)
{
	switch (err) {
	case EF_ENOTLOADED:
		return "exeflow module not loaded (generic netlink family "
		       EXEFLOW_GENL_NAME " not found)";
	case EF_EPERM:
		return "permission denied: exeflow needs CAP_NET_ADMIN";
	case EF_EOVERRUN:
		return "event socket overrun: records were lost";
	case EF_EDUMPINTR:
		return "flow table changed during the dump (listing may be "
		       "incomplete)";
	case -ETIMEDOUT:
		return "no reply from the exeflow module";
	case -EPROTO:
		return "malformed message from the exeflow module";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

static void count_record(const struct ef_record *rec, void *arg)
{
	struct ef_client *c = arg;

	c->cnt.records++;
	if (c->fn)
		c->fn(rec, c->arg);
}

static void dump_record(const struct ef_record *rec, void *arg)
{
	struct req *r = arg;

	r->c->cnt.records++;
	r->nrec++;
	r->fn(rec, r->arg);
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;
	struct ef_client *c = r->c;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *g;
	unsigned int bad = 0;

	if (nlh->nlmsg_type != c->family || !genlmsg_valid_hdr(nlh, 0)) {
		c->cnt.ignored++;
		return NL_OK;
	}
	g = nlmsg_data(nlh);
	if (r->on_cmd && r->fn) {
		/* Dump parts; do not insist on the cmd the module echoes. */
		ef_parse_records_buf(nlh, &c->pb, dump_record, r, &bad);
	} else if (!r->on_cmd && g->cmd == EXEFLOW_CMD_RECORDS) {
		ef_parse_records_buf(nlh, &c->pb, count_record, c, &bad);
	} else if (r->st && !r->got_stats && r->seq &&
		   nlh->nlmsg_seq == r->seq) {
		if (ef_parse_stats_msg(nlh, r->st))
			r->bad_reply = -EPROTO;
		r->got_stats = true;
	} else {
		c->cnt.ignored++;
	}
	c->cnt.malformed += bad;
	return NL_OK;
}

/*
 * The event socket has no libnl sequence check (records carry seq 0), so
 * ACKs and errors are matched to our request here: one left over from a
 * request that timed out must not complete the next one.
 */
static bool ours(const struct req *r, uint32_t seq)
{
	return r->seq && seq == r->seq;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	if (!ours(r, nlmsg_hdr(msg)->nlmsg_seq))
		return NL_OK;
	r->done = true;
	return NL_STOP;
}

/* A dump that fails part-way says so in the NLMSG_DONE payload, which libnl
 * does not look at. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct req *r = arg;
	int e;

	if (!ours(r, nlh->nlmsg_seq))
		return NL_OK;
	r->done = true;
	if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(e))) {
		memcpy(&e, nlmsg_data(nlh), sizeof(e));
		if (e < 0)
			r->kerr = e;
	}
	return NL_STOP;
}

static int on_dump_intr(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	(void)msg;
	r->dump_intr = true;
	return NL_OK;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct req *r = arg;

	(void)nla;
	if (!ours(r, e->msg.nlmsg_seq))
		return NL_SKIP;
	r->done = true;
	r->kerr = e->error < 0 ? e->error : -e->error;
	return NL_STOP;
}

static struct nl_cb *req_cb(struct nl_sock *sk, struct req *r)
{
	struct nl_cb *base = nl_socket_get_cb(sk);
	struct nl_cb *cb = nl_cb_clone(base);

	nl_cb_put(base);
	if (!cb)
		return NULL;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, r);
	/* libnl forgets DUMP_INTR if a read returns EAGAIN mid-dump. */
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_dump_intr, r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, r);
	return cb;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the fd is readable or the deadline passes. */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/*
 * Send cmd and read until its ACK, error or NLMSG_DONE. Auto-ACK stays on
 * and we always read through the ACK, so no stale ACK is left behind for
 * the next request to trip over (kernel-notes §4.5).
 */
static int request(struct ef_client *c, struct nl_sock *sk, uint8_t cmd,
		   int nlflags, struct req *r)
{
	struct nl_msg *msg;
	struct nl_cb *cb;
	int64_t deadline;
	int err;

	r->c = c;
	r->on_cmd = sk == c->cmd;
	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0, nlflags,
			 cmd, EXEFLOW_GENL_VERSION)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	cb = req_cb(sk, r);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = nl_send_auto(sk, msg);
	r->seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (err < 0)
		goto out;

	deadline = now_ms() + c->timeout_ms;
	while (!r->done) {
		err = nl_recvmsgs(sk, cb);
		if (r->done)
			break;
		if (err == -NLE_AGAIN) {
			err = wait_readable(nl_socket_get_fd(sk), deadline);
			if (err)
				goto out_errno;
			continue;
		}
		if (err == -NLE_NOMEM && !r->on_cmd) {
			/* Records lost, not our reply (ACKs are tiny and
			 * sent after it): report at the next recv. */
			c->cnt.overruns++;
			c->overrun_pending = true;
			continue;
		}
		if (err < 0)
			goto out;
		/* A timeout means silence, not a long dump. */
		deadline = now_ms() + c->timeout_ms;
	}
	err = r->kerr ? r->kerr : r->bad_reply;
	if (!err && r->st && !r->got_stats && !r->st_optional)
		err = -EPROTO;
	if (!err && r->dump_intr)
		err = EF_EDUMPINTR;
	goto out_errno;
out:
	err = nlerr(err);
out_errno:
	nl_cb_put(cb);
	return err;
}

static int set_rcvbuf(struct nl_sock *sk, int size)
{
	int fd = nl_socket_get_fd(sk);

	/* FORCE passes net.core.rmem_max; it needs CAP_NET_ADMIN, which a
	 * listener has anyway. Fall back to the capped size otherwise. */
	if (!setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		return 0;
	if (!setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)))
		return 0;
	return -errno;
}

static int open_sock(struct nl_sock **out)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk)
		return -ENOMEM;
	err = genl_connect(sk);
	if (err < 0) {
		nl_socket_free(sk);
		return nlerr(err);
	}
	*out = sk;
	return 0;
}

int ef_client_wrap(struct ef_client **out, struct nl_sock *cmd,
		   struct nl_sock *ev, int family,
		   const struct ef_client_opts *o)
{
	struct ef_client *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cmd = cmd;
	c->ev = ev;
	c->family = family;
	ef_parse_buf_init(&c->pb);
	c->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms
					       : DEFAULT_TIMEOUT_MS;
	if (ev)
		/* Records arrive with seq 0, interleaved with our replies. */
		nl_socket_disable_seq_check(ev);
	*out = c;
	return 0;
}

int ef_client_open(struct ef_client **out, const struct ef_client_opts *o)
{
	struct nl_sock *cmd = NULL, *ev = NULL;
	int err, family;

	err = open_sock(&cmd);
	if (err)
		return err;
	/* Also "not found" outside the initial netns (netnsok = false). */
	family = genl_ctrl_resolve(cmd, EXEFLOW_GENL_NAME);
	if (family < 0) {
		err = family == -NLE_OBJ_NOTFOUND ? EF_ENOTLOADED
						  : nlerr(family);
		goto fail;
	}
	/* From here request() polls with a timeout instead of blocking. */
	err = nlerr(nl_socket_set_nonblocking(cmd));
	if (err)
		goto fail;
	if (o && (o->flags & EF_OPEN_EVENTS)) {
		err = open_sock(&ev);
		if (!err)
			err = nlerr(nl_socket_set_nonblocking(ev));
		if (!err)
			err = set_rcvbuf(ev, o->rcvbuf > 0 ? o->rcvbuf
							   : DEFAULT_RCVBUF);
		if (err)
			goto fail;
		/*
		 * libnl peeks at every message to size its buffer, which
		 * reads each one twice. The module's messages are one page,
		 * or one record of at most PATH_MAX + 1 KiB: a fixed buffer
		 * far above that needs one read.
		 */
		nl_socket_disable_msg_peek(ev);
		err = nlerr(nl_socket_set_msg_buf_size(ev, EV_MSG_BUF));
		if (err)
			goto fail;
	}
	err = ef_client_wrap(out, cmd, ev, family, o);
	if (!err)
		return 0;
fail:
	nl_socket_free(ev);
	nl_socket_free(cmd);
	return err;
}

void ef_client_close(struct ef_client *c)
{
	if (!c)
		return;
	nl_socket_free(c->ev);	/* closing also unregisters in the module */
	nl_socket_free(c->cmd);
	free(c);
}

int ef_client_family_id(const struct ef_client *c)
{
	return c->family;
}

int ef_client_event_fd(const struct ef_client *c)
{
	return c->ev ? nl_socket_get_fd(c->ev) : -1;
}

uint32_t ef_client_event_portid(const struct ef_client *c)
{
	return c->ev ? nl_socket_get_local_port(c->ev) : 0;
}

void ef_client_counters(const struct ef_client *c,
			struct ef_client_counters *out)
{
	*out = c->cnt;
}

int ef_client_register(struct ef_client *c, ef_record_fn fn, void *arg,
		       struct ef_stats *st)
{
	struct ef_stats tmp;
	struct req r = { .st = st ? st : &tmp };

	if (!c->ev)
		return -EBADF;
	c->fn = fn;
	c->arg = arg;
	return request(c, c->ev, EXEFLOW_CMD_REGISTER, 0, &r);
}

int ef_client_unregister(struct ef_client *c)
{
	struct ef_stats tmp;
	struct req r = { .st = &tmp, .st_optional = true };

	if (!c->ev)
		return -EBADF;
	return request(c, c->ev, EXEFLOW_CMD_UNREGISTER, 0, &r);
}

int ef_client_recv(struct ef_client *c)
{
	struct req r = { .c = c, .on_cmd = false };
	uint64_t before = c->cnt.records;
	struct nl_cb *cb;
	int i, err = 0;

	if (!c->ev)
		return -EBADF;
	if (c->overrun_pending) {
		c->overrun_pending = false;
		return EF_EOVERRUN;
	}
	cb = req_cb(c->ev, &r);
	if (!cb)
		return -ENOMEM;
	for (i = 0; i < RECV_BATCH; i++) {
		err = nl_recvmsgs_report(c->ev, cb);
		if (err == -NLE_AGAIN || err == 0) {
			err = 0;
			break;
		}
		if (err == -NLE_NOMEM) {
			c->cnt.overruns++;
			err = EF_EOVERRUN;
			break;
		}
		if (err < 0) {
			err = nlerr(err);
			break;
		}
	}
	nl_cb_put(cb);
	if (err)
		return err;
	return (int)(c->cnt.records - before);
}

int ef_client_get_stats(struct ef_client *c, struct ef_stats *st)
{
	struct req r = { .st = st };

	return request(c, c->cmd, EXEFLOW_CMD_GET_STATS, 0, &r);
}

int ef_client_get_flows(struct ef_client *c, ef_record_fn fn, void *arg)
{
	struct req r = { .fn = fn, .arg = arg };
	int err;

	err = request(c, c->cmd, EXEFLOW_CMD_GET_FLOWS, NLM_F_DUMP, &r);
	return err ? err : r.nrec;
}

int ef_client_flush(struct ef_client *c, struct ef_stats *st)
{
	struct ef_stats tmp;
	struct req r = { .st = st ? st : &tmp };

	return request(c, c->cmd, EXEFLOW_CMD_FLUSH, 0, &r);
}
