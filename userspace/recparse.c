// SPDX-License-Identifier: GPL-2.0
/*
 * Pure decoding of EXEFLOW messages. Everything read from an attribute goes
 * through get_*() below, which check the exact payload length and copy with
 * memcpy: payloads are only 4-byte aligned and a fuzzer will hand us worse.
 */
#include "recparse.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/genl/genl.h>

#define FAIL(e, why_) do { (e)->why = (why_); return -EINVAL; } while (0)

/*
 * libnl's nla_ok(), nla_next(), nla_type(), nla_len() and nla_data() with
 * the same semantics, but inline: they are calls into libnl-3.so, and the
 * daemon runs them for each of the ~40 attributes of every record.
 */
static inline bool attr_ok(const struct nlattr *a, int rem)
{
	return rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= rem;
}

static inline const struct nlattr *attr_next(const struct nlattr *a, int *rem)
{
	int len = NLA_ALIGN(a->nla_len);

	*rem -= len;
	return (const struct nlattr *)((const char *)a + len);
}

static inline int attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline int attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

#define for_each_attr(a, head, len, rem) \
	for (a = (head), rem = (len); attr_ok(a, rem); a = attr_next(a, &rem))
#define for_each_nested(a, nest, rem) \
	for_each_attr(a, (const struct nlattr *)attr_data(nest), \
		      attr_len(nest), rem)

static int get_fixed(const struct nlattr *a, void *dst, int len,
		     struct ef_perr *e)
{
	if (attr_len(a) != len)
		FAIL(e, "wrong payload length");
	memcpy(dst, attr_data(a), (size_t)len);
	return 0;
}

#define get_u8(a, p, e)  get_fixed(a, p, 1, e)
#define get_u16(a, p, e) get_fixed(a, p, 2, e)
#define get_u32(a, p, e) get_fixed(a, p, 4, e)
#define get_u64(a, p, e) get_fixed(a, p, 8, e)

/*
 * NLA_NUL_STRING: the NUL must be inside the payload (anything after it is
 * padding we ignore). A string longer than the buffer is truncated when
 * 'trunc_ok': comm and interface names are display names and the kernel has
 * discussed widening comm, which must not cost us whole records. Paths are
 * never truncated, since a cut path names a different file.
 */
static int get_str(const struct nlattr *a, char *dst, size_t size,
		   bool trunc_ok, struct ef_perr *e)
{
	const char *s = attr_data(a);
	int len = attr_len(a);
	const char *nul;
	size_t n;

	if (len < 1)
		FAIL(e, "empty string payload");
	nul = memchr(s, '\0', (size_t)len);
	if (!nul)
		FAIL(e, "string not NUL-terminated");
	n = (size_t)(nul - s);
	if (n >= size) {
		if (!trunc_ok)
			FAIL(e, "string too long");
		n = size - 1;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/*
 * Clearing the 4.4 KB record (4 KiB of it exe_path[]) cost more than
 * decoding it, so a record that is decoded into again is cleared only
 * where the previous one wrote: the fixed fields and the first
 * *path_used bytes of exe_path[], the rest of it is still zero.
 */
#define PATH_OFF offsetof(struct ef_record, proc.exe_path)
#define PATH_END (PATH_OFF + EF_PATH_LEN)

static void clear_record(struct ef_record *r, size_t path_used)
{
	memset(r, 0, PATH_OFF);
	memset(r->proc.exe_path, 0, path_used);
	memset((char *)r + PATH_END, 0, sizeof(*r) - PATH_END);
}

/* The same for the proc part alone (a repeated PROC). */
static void clear_proc(struct ef_proc *p, size_t path_used)
{
	size_t off = offsetof(struct ef_proc, exe_path) + EF_PATH_LEN;

	memset(p, 0, offsetof(struct ef_proc, exe_path));
	memset(p->exe_path, 0, path_used);
	memset((char *)p + off, 0, sizeof(*p) - off);
}

static int parse_proc(const struct nlattr *nested, struct ef_proc *p,
		      size_t *path_used, struct ef_perr *e)
{
	const struct nlattr *a;
	int rem, err = 0;

	p->present = true;
	for_each_nested(a, nested, rem) {
		e->proc_attr = (uint16_t)attr_type(a);
		switch (attr_type(a)) {
		case EXEFLOW_P_TGID:	err = get_u32(a, &p->tgid, e); break;
		case EXEFLOW_P_PID:	err = get_u32(a, &p->pid, e); break;
		case EXEFLOW_P_PPID:	err = get_u32(a, &p->ppid, e); break;
		case EXEFLOW_P_SID:	err = get_u32(a, &p->sid, e); break;
		case EXEFLOW_P_PGID:	err = get_u32(a, &p->pgid, e); break;
		case EXEFLOW_P_START_NS: err = get_u64(a, &p->start_ns, e); break;
		case EXEFLOW_P_UID:	err = get_u32(a, &p->uid, e); break;
		case EXEFLOW_P_GID:	err = get_u32(a, &p->gid, e); break;
		case EXEFLOW_P_EUID:	err = get_u32(a, &p->euid, e); break;
		case EXEFLOW_P_EGID:	err = get_u32(a, &p->egid, e); break;
		case EXEFLOW_P_COMM:
			err = get_str(a, p->comm, sizeof(p->comm), true, e);
			break;
		case EXEFLOW_P_EXE_PATH:
			err = get_str(a, p->exe_path, sizeof(p->exe_path),
				      false, e);
			if (!err) {	/* a repeated path may have left more */
				size_t n = strlen(p->exe_path) + 1;

				if (n > *path_used)
					*path_used = n;
			}
			break;
		case EXEFLOW_P_EXE_MAJOR: err = get_u32(a, &p->exe_major, e); break;
		case EXEFLOW_P_EXE_MINOR: err = get_u32(a, &p->exe_minor, e); break;
		case EXEFLOW_P_EXE_INO:	err = get_u64(a, &p->exe_ino, e); break;
		case EXEFLOW_P_EXE_SIZE: err = get_u64(a, &p->exe_size, e); break;
		case EXEFLOW_P_EXE_MTIME_NS:
			err = get_u64(a, &p->exe_mtime_ns, e);
			break;
		case EXEFLOW_P_CGROUP_ID: err = get_u64(a, &p->cgroup_id, e); break;
		case EXEFLOW_P_PIDNS_INUM:
			err = get_u32(a, &p->pidns_inum, e);
			break;
		case EXEFLOW_P_FLAGS:	err = get_u32(a, &p->flags, e); break;
		default:		break;	/* PAD, or newer than us */
		}
		if (err)
			return err;
	}
	e->proc_attr = 0;
	if (rem > 0)
		FAIL(e, "truncated attribute or trailing bytes in PROC");
	return 0;
}

/* Bits for the attributes without which a record means nothing. */
enum {
	REQ_EVENT = 1u << 0,
	REQ_FLOW_ID = 1u << 1,
	REQ_FAMILY = 1u << 2,
	REQ_PROTO = 1u << 3,
	REQ_SRC = 1u << 4,
	REQ_DST = 1u << 5,
	REQ_ALL = (1u << 6) - 1,
};

/* Addresses are checked against the family once all attributes are in. */
static int get_addr(const struct nlattr *a, uint8_t *dst, int *lenp,
		    struct ef_perr *e)
{
	int len = attr_len(a);

	if (len != 4 && len != 16)
		FAIL(e, "address length neither 4 nor 16");
	memcpy(dst, attr_data(a), (size_t)len);
	*lenp = len;
	return 0;
}

/*
 * Decodes into *r, which must be all zero but for what an earlier decode
 * wrote: its fixed fields and *path_used bytes of exe_path[], which is
 * updated to what this one wrote (see clear_record).
 */
static int parse_flow(const struct nlattr *nested, struct ef_record *r,
		      size_t *path_used, struct ef_perr *e)
{
	const struct nlattr *a;
	unsigned int seen = 0;
	bool have_proc = false;
	int rem, err = 0, src_len = 0, dst_len = 0;

	clear_record(r, *path_used);
	*path_used = 0;
	memset(e, 0, sizeof(*e));
	for_each_nested(a, nested, rem) {
		e->attr = (uint16_t)attr_type(a);
		switch (attr_type(a)) {
		case EXEFLOW_F_SEQ:	err = get_u64(a, &r->seq, e); break;
		case EXEFLOW_F_EVENT:
			err = get_u8(a, &r->event, e);
			seen |= REQ_EVENT;
			break;
		case EXEFLOW_F_FLOW_ID:
			err = get_u64(a, &r->flow_id, e);
			seen |= REQ_FLOW_ID;
			break;
		case EXEFLOW_F_NETNS_ID: err = get_u64(a, &r->netns_id, e); break;
		case EXEFLOW_F_FAMILY:
			err = get_u8(a, &r->family, e);
			seen |= REQ_FAMILY;
			break;
		case EXEFLOW_F_PROTO:
			err = get_u8(a, &r->proto, e);
			seen |= REQ_PROTO;
			break;
		case EXEFLOW_F_SRC_ADDR:
			err = get_addr(a, r->src, &src_len, e);
			seen |= REQ_SRC;
			break;
		case EXEFLOW_F_DST_ADDR:
			err = get_addr(a, r->dst, &dst_len, e);
			seen |= REQ_DST;
			break;
		case EXEFLOW_F_SRC_PORT: err = get_u16(a, &r->sport, e); break;
		case EXEFLOW_F_DST_PORT: err = get_u16(a, &r->dport, e); break;
		case EXEFLOW_F_ICMP_ID:	err = get_u16(a, &r->icmp_id, e); break;
		case EXEFLOW_F_DIRECTION: err = get_u8(a, &r->direction, e); break;
		case EXEFLOW_F_FWD_PACKETS:
			err = get_u64(a, &r->fwd_packets, e);
			break;
		case EXEFLOW_F_FWD_BYTES: err = get_u64(a, &r->fwd_bytes, e); break;
		case EXEFLOW_F_REV_PACKETS:
			err = get_u64(a, &r->rev_packets, e);
			break;
		case EXEFLOW_F_REV_BYTES: err = get_u64(a, &r->rev_bytes, e); break;
		case EXEFLOW_F_FWD_TCP_FLAGS:
			err = get_u8(a, &r->fwd_tcp_flags, e);
			break;
		case EXEFLOW_F_REV_TCP_FLAGS:
			err = get_u8(a, &r->rev_tcp_flags, e);
			break;
		case EXEFLOW_F_FIRST_NS: err = get_u64(a, &r->first_ns, e); break;
		case EXEFLOW_F_LAST_NS:	err = get_u64(a, &r->last_ns, e); break;
		case EXEFLOW_F_IN_IFINDEX:
			err = get_u32(a, &r->in_ifindex, e);
			break;
		case EXEFLOW_F_OUT_IFINDEX:
			err = get_u32(a, &r->out_ifindex, e);
			break;
		case EXEFLOW_F_END_REASON:
			err = get_u8(a, &r->end_reason, e);
			break;
		case EXEFLOW_F_METHOD:	err = get_u8(a, &r->method, e); break;
		case EXEFLOW_F_SOCK_COOKIE:
			err = get_u64(a, &r->sock_cookie, e);
			break;
		case EXEFLOW_F_SOCK_UID:
			err = get_u32(a, &r->sock_uid, e);
			r->has_sock_uid = true;
			break;
		case EXEFLOW_F_SOCK_CGROUP:
			err = get_u64(a, &r->sock_cgroup, e);
			break;
		case EXEFLOW_F_PROC:
			/* A repeated PROC must not merge into the first. */
			if (have_proc)
				clear_proc(&r->proc, *path_used);
			have_proc = true;
			err = parse_proc(a, &r->proc, path_used, e);
			break;
		case EXEFLOW_F_IN_IFNAME:
			err = get_str(a, r->in_ifname, sizeof(r->in_ifname),
				      true, e);
			break;
		case EXEFLOW_F_OUT_IFNAME:
			err = get_str(a, r->out_ifname, sizeof(r->out_ifname),
				      true, e);
			break;
		default:		break;	/* PAD, or newer than us */
		}
		if (err)
			return err;
	}

	e->attr = 0;
	if (rem > 0)
		FAIL(e, "truncated attribute or trailing bytes in FLOW");
	if ((seen & REQ_ALL) != REQ_ALL)
		FAIL(e, "required attribute missing");
	if (r->family == AF_INET) {
		if (src_len != 4 || dst_len != 4)
			FAIL(e, "address length does not match AF_INET");
	} else if (r->family == AF_INET6) {
		if (src_len != 16 || dst_len != 16)
			FAIL(e, "address length does not match AF_INET6");
	} else {
		e->attr = EXEFLOW_F_FAMILY;
		FAIL(e, "family neither AF_INET nor AF_INET6");
	}
	return 0;
}

int ef_parse_flow_ex(const struct nlattr *nested, struct ef_record *r,
		     struct ef_perr *e)
{
	size_t path_used = EF_PATH_LEN;	/* *r may hold anything */

	return parse_flow(nested, r, &path_used, e);
}

int ef_parse_flow(const struct nlattr *nested, struct ef_record *out)
{
	struct ef_perr e;

	return ef_parse_flow_ex(nested, out, &e);
}

/* The genl header is ours to check: libnl only vouches for nlmsg_len. */
static int msg_attrs(struct nlmsghdr *nlh, struct nlattr **head, int *len)
{
	struct genlmsghdr *g;

	if (!genlmsg_valid_hdr(nlh, 0))
		return -EINVAL;
	g = nlmsg_data(nlh);
	*head = genlmsg_attrdata(g, 0);
	*len = genlmsg_attrlen(g, 0);
	return 0;
}

static int parse_counters(const struct nlattr *nested, struct ef_stats *s)
{
	const struct nlattr *a;
	struct ef_perr e;
	int rem, t;

	nla_for_each_nested(a, nested, rem) {
		t = nla_type(a);
		if (t <= EXEFLOW_S_PAD || t > EXEFLOW_S_MAX)
			continue;
		if (get_u64(a, &s->counter[t], &e))
			return -EINVAL;
		s->has[t] = true;
	}
	return rem > 0 ? -EINVAL : 0;
}

int ef_parse_stats_msg(struct nlmsghdr *nlh, struct ef_stats *s)
{
	struct nlattr *head, *a;
	struct ef_perr e;
	bool have_version = false, have_stats = false;
	int len, rem, err;

	memset(s, 0, sizeof(*s));
	err = msg_attrs(nlh, &head, &len);
	if (err)
		return err;
	nla_for_each_attr(a, head, len, rem) {
		switch (nla_type(a)) {
		case EXEFLOW_A_VERSION:
			err = get_u32(a, &s->version, &e);
			have_version = true;
			break;
		case EXEFLOW_A_LISTENER:
			err = get_u32(a, &s->listener, &e);
			break;
		case EXEFLOW_A_LAST_SEQ:
			err = get_u64(a, &s->last_seq, &e);
			s->has_last_seq = !err;
			break;
		case EXEFLOW_A_STATS:
			err = parse_counters(a, s);
			have_stats = true;
			break;
		default:
			break;
		}
		if (err)
			return err;
	}
	if (rem > 0)
		return -EINVAL;
	return have_version && have_stats ? 0 : -EINVAL;
}

void ef_parse_buf_init(struct ef_parse_buf *b)
{
	b->path_used = EF_PATH_LEN;	/* rec may hold anything */
}

int ef_parse_records_buf(struct nlmsghdr *nlh, struct ef_parse_buf *b,
			 ef_record_fn fn, void *arg, unsigned int *malformed)
{
	const struct nlattr *a;
	struct nlattr *head;
	struct ef_perr e;
	int len, rem, n = 0, err;

	err = msg_attrs(nlh, &head, &len);
	if (err)
		return err;
	for_each_attr(a, head, len, rem) {
		if (attr_type(a) != EXEFLOW_A_FLOW)
			continue;
		if (parse_flow(a, &b->rec, &b->path_used, &e)) {
			if (malformed)
				(*malformed)++;
			continue;
		}
		fn(&b->rec, arg);
		n++;
	}
	/* A cut-off last attribute is most likely a lost record. */
	if (rem > 0 && malformed)
		(*malformed)++;
	return n;
}

int ef_parse_records_msg(struct nlmsghdr *nlh, ef_record_fn fn, void *arg,
			 unsigned int *malformed)
{
	struct ef_parse_buf b;

	ef_parse_buf_init(&b);
	return ef_parse_records_buf(nlh, &b, fn, arg, malformed);
}

#define NAME(tab, v) ((size_t)(v) < sizeof(tab) / sizeof(tab[0]) && tab[v] \
		      ? tab[v] : "unknown")

const char *ef_event_name(uint8_t v)
{
	static const char *const t[] = {
		[EXEFLOW_EV_NONE] = "none", [EXEFLOW_EV_NEW] = "new",
		[EXEFLOW_EV_UPDATE] = "update", [EXEFLOW_EV_END] = "end",
		[EXEFLOW_EV_LIVE] = "live",
	};
	return NAME(t, v);
}

const char *ef_direction_name(uint8_t v)
{
	static const char *const t[] = {
		[EXEFLOW_DIR_UNKNOWN] = "unknown",
		[EXEFLOW_DIR_OUTBOUND] = "outbound",
		[EXEFLOW_DIR_INBOUND] = "inbound",
	};
	return NAME(t, v);
}

const char *ef_end_reason_name(uint8_t v)
{
	static const char *const t[] = {
		[EXEFLOW_END_NONE] = "none", [EXEFLOW_END_IDLE] = "idle",
		[EXEFLOW_END_ACTIVE] = "active", [EXEFLOW_END_FIN] = "fin",
		[EXEFLOW_END_FLUSH] = "flush", [EXEFLOW_END_EVICTED] = "evicted",
	};
	return NAME(t, v);
}

const char *ef_method_name(uint8_t v)
{
	static const char *const t[] = {
		[EXEFLOW_M_NONE] = "none", [EXEFLOW_M_TASK] = "task",
		[EXEFLOW_M_ACCEPT] = "accept", [EXEFLOW_M_SOCKET] = "socket",
		[EXEFLOW_M_SOCKET_CREDS] = "socket-creds",
		[EXEFLOW_M_KERNEL] = "kernel",
	};
	return NAME(t, v);
}

static const char *const stat_names[EXEFLOW_S_MAX + 1] = {
	[EXEFLOW_S_PACKETS] = "packets",
	[EXEFLOW_S_FLOWS_CREATED] = "flows_created",
	[EXEFLOW_S_FLOWS_EXPIRED] = "flows_expired",
	[EXEFLOW_S_FLOWS_EXPORTED] = "flows_exported",
	[EXEFLOW_S_RECORDS_EXPORTED] = "records_exported",
	[EXEFLOW_S_FLOWS_ACTIVE] = "flows_active",
	[EXEFLOW_S_DROP_TABLE_FULL] = "drop_table_full",
	[EXEFLOW_S_DROP_ALLOC] = "drop_alloc",
	[EXEFLOW_S_DROP_BACKLOG] = "drop_backlog",
	[EXEFLOW_S_DROP_NO_LISTENER] = "drop_no_listener",
	[EXEFLOW_S_FLOWS_EVICTED] = "flows_evicted",
	[EXEFLOW_S_UNATTRIBUTED] = "unattributed",
	[EXEFLOW_S_PROCS_ACTIVE] = "procs_active",
	[EXEFLOW_S_DROP_PROC_FULL] = "drop_proc_full",
	[EXEFLOW_S_OWNERS_ACTIVE] = "owners_active",
	[EXEFLOW_S_DROP_OWNER_FULL] = "drop_owner_full",
	[EXEFLOW_S_BACKLOG] = "backlog",
	[EXEFLOW_S_SEND_EAGAIN] = "send_eagain",
	[EXEFLOW_S_EXE_UNRESOLVED] = "exe_unresolved",
	[EXEFLOW_S_ACCEPT_PROBE] = "accept_probe",
};

const char *ef_stat_name(unsigned int stat)
{
	return stat <= EXEFLOW_S_MAX ? stat_names[stat] : NULL;
}

bool ef_stat_is_drop(unsigned int stat)
{
	switch (stat) {
	case EXEFLOW_S_DROP_TABLE_FULL:
	case EXEFLOW_S_DROP_ALLOC:
	case EXEFLOW_S_DROP_BACKLOG:
	case EXEFLOW_S_DROP_NO_LISTENER:
	case EXEFLOW_S_DROP_PROC_FULL:
	case EXEFLOW_S_DROP_OWNER_FULL:
		return true;
	default:
		return false;
	}
}

bool ef_stat_is_gauge(unsigned int stat)
{
	switch (stat) {
	case EXEFLOW_S_FLOWS_ACTIVE:
	case EXEFLOW_S_PROCS_ACTIVE:
	case EXEFLOW_S_OWNERS_ACTIVE:
	case EXEFLOW_S_BACKLOG:
		return true;
	default:
		return false;
	}
}

const char *ef_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ICMP:	return "icmp";
	case IPPROTO_TCP:	return "tcp";
	case IPPROTO_UDP:	return "udp";
	case IPPROTO_ICMPV6:	return "icmp6";
	case IPPROTO_SCTP:	return "sctp";
	case IPPROTO_UDPLITE:	return "udplite";
	case IPPROTO_DCCP:	return "dccp";
	case IPPROTO_GRE:	return "gre";
	case IPPROTO_ESP:	return "esp";
	default:		return NULL;
	}
}
