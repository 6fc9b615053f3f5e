// SPDX-License-Identifier: GPL-2.0
/* Encoding of one flow record (uapi/exeflow.h has the attribute tree). */
#include <linux/in.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/socket.h>
#include <linux/timekeeping.h>
#include <net/netlink.h>
#include <uapi/exeflow.h>

#include "flowtable.h"
#include "ifname.h"
#include "proc.h"
#include "record.h"

/*
 * A record is written in two passes over the same code: the first only
 * adds up its size, the second, once the skb is known to have that much
 * room, writes it straight into the skb. nla_put() would check the room
 * and go through a chain of calls for each of a record's some fifty
 * attributes: that was most of what a record cost to encode.
 *
 * ->at advances in both passes from the skb's tail address, so that a u64
 * is padded exactly where nla_put_64bit() would pad it.
 */
struct ef_wr {
	unsigned long at;	/* where the next attribute goes */
	bool write;		/* false: only add up the size */
};

static __always_inline void ef_wr_attr(struct ef_wr *w, int type,
				       const void *data, int len)
{
	if (w->write) {
		struct nlattr *a = (struct nlattr *)w->at;

		a->nla_type = type;
		a->nla_len = nla_attr_size(len);
		if (len)
			memcpy(nla_data(a), data, len);
		memset((u8 *)nla_data(a) + len, 0, nla_padlen(len));
	}
	w->at += nla_total_size(len);
}

static __always_inline void ef_wr_u8(struct ef_wr *w, int type, u8 v)
{
	ef_wr_attr(w, type, &v, sizeof(v));
}

static __always_inline void ef_wr_u16(struct ef_wr *w, int type, u16 v)
{
	ef_wr_attr(w, type, &v, sizeof(v));
}

static __always_inline void ef_wr_u32(struct ef_wr *w, int type, u32 v)
{
	ef_wr_attr(w, type, &v, sizeof(v));
}

/*
 * As nla_put_u64_64bit(): a pad attribute first if the value would be
 * misaligned where that matters.
 */
static __always_inline void ef_wr_u64(struct ef_wr *w, int type, u64 v,
				      int pad)
{
	if (!IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS) &&
	    IS_ALIGNED(w->at, 8))
		ef_wr_attr(w, pad, NULL, 0);
	ef_wr_attr(w, type, &v, sizeof(v));
}

static __always_inline void ef_wr_str(struct ef_wr *w, int type,
				      const char *s)
{
	ef_wr_attr(w, type, s, strlen(s) + 1);
}

/* Opens a nested attribute; ef_wr_nest_end() sets its length. */
static __always_inline unsigned long ef_wr_nest(struct ef_wr *w, int type)
{
	unsigned long nest = w->at;

	if (w->write)
		((struct nlattr *)nest)->nla_type = type | NLA_F_NESTED;
	w->at += NLA_HDRLEN;
	return nest;
}

static __always_inline void ef_wr_nest_end(struct ef_wr *w,
					   unsigned long nest)
{
	if (w->write)
		((struct nlattr *)nest)->nla_len = w->at - nest;
}

/*
 * Flows keep jiffies; a record says wall-clock ns. @now_j and @real_ns are
 * read together once per record, so its times keep their distances.
 */
static u64 ef_wall_ns(u32 j, u32 now_j, u64 real_ns)
{
	/* not jiffies_to_nsecs(): it goes through u32 microseconds */
	u64 age = jiffies64_to_nsecs(ef_since(now_j, j));

	return real_ns > age ? real_ns - age : 0;
}

/* The attributes inside EXEFLOW_F_PROC, as of exe state @state. */
static void ef_wr_proc_attrs(struct ef_wr *w, const struct ef_proc *p,
			     int state)
{
	u32 flags = state == EF_EXE_PENDING ? p->flags :
		    p->flags | p->exe_flags;

	ef_wr_u32(w, EXEFLOW_P_TGID, p->tgid);
	ef_wr_u32(w, EXEFLOW_P_PID, p->pid);
	ef_wr_u32(w, EXEFLOW_P_PPID, p->ppid);
	ef_wr_u32(w, EXEFLOW_P_SID, p->sid);
	ef_wr_u32(w, EXEFLOW_P_PGID, p->pgid);
	ef_wr_u64(w, EXEFLOW_P_START_NS, p->start_ns, EXEFLOW_P_PAD);
	ef_wr_u32(w, EXEFLOW_P_UID, p->uid);
	ef_wr_u32(w, EXEFLOW_P_GID, p->gid);
	ef_wr_u32(w, EXEFLOW_P_EUID, p->euid);
	ef_wr_u32(w, EXEFLOW_P_EGID, p->egid);
	ef_wr_str(w, EXEFLOW_P_COMM, p->comm);
	ef_wr_u64(w, EXEFLOW_P_CGROUP_ID, p->cgroup_id, EXEFLOW_P_PAD);
	ef_wr_u32(w, EXEFLOW_P_PIDNS_INUM, p->pidns_inum);
	ef_wr_u32(w, EXEFLOW_P_FLAGS, flags);
	if (state == EF_EXE_DONE && p->exe_path)
		ef_wr_str(w, EXEFLOW_P_EXE_PATH, p->exe_path);
	if (flags & EXEFLOW_PF_EXE_KNOWN) {
		ef_wr_u32(w, EXEFLOW_P_EXE_MAJOR, p->exe_major);
		ef_wr_u32(w, EXEFLOW_P_EXE_MINOR, p->exe_minor);
		ef_wr_u64(w, EXEFLOW_P_EXE_INO, p->exe_ino, EXEFLOW_P_PAD);
		ef_wr_u64(w, EXEFLOW_P_EXE_SIZE, p->exe_size, EXEFLOW_P_PAD);
		ef_wr_u64(w, EXEFLOW_P_EXE_MTIME_NS, p->exe_mtime_ns,
			  EXEFLOW_P_PAD);
	}
}

/*
 * A process's attributes are final once its executable is resolved, and
 * every record of its flows carries them: the resolver encodes them once
 * (ef_record_proc_attrs()) and a record copies the bytes.
 */
void *ef_record_proc_attrs(const struct ef_proc *p, int state, u32 *len)
{
	struct ef_wr w = { 0, false };
	void *attrs;

	/*
	 * Without efficient unaligned access a u64 is padded to where it
	 * lands in the message, which bytes encoded apart cannot know: such
	 * machines encode field by field.
	 */
	if (!IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS))
		return NULL;
	ef_wr_proc_attrs(&w, p, state);
	*len = w.at;
	attrs = kmalloc(*len, GFP_KERNEL);
	if (!attrs)
		return NULL;
	w.at = (unsigned long)attrs;
	w.write = true;
	ef_wr_proc_attrs(&w, p, state);
	return attrs;
}

static void ef_wr_proc(struct ef_wr *w, const struct ef_proc *p, int state)
{
	unsigned long nest;

	nest = ef_wr_nest(w, EXEFLOW_F_PROC);
	/* attrs are published with the state (proc.c) */
	if (state != EF_EXE_PENDING && p->attrs) {
		if (w->write)
			memcpy((void *)w->at, p->attrs, p->attrs_len);
		w->at += p->attrs_len;
	} else {
		ef_wr_proc_attrs(w, p, state);
	}
	ef_wr_nest_end(w, nest);
}

static void ef_wr_ports(struct ef_wr *w, const struct ef_flow *f)
{
	const struct ef_key *k = &f->key;
	int i = f->init_side;

	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
		ef_wr_u16(w, EXEFLOW_F_SRC_PORT, 0);
		ef_wr_u16(w, EXEFLOW_F_DST_PORT,
			  k->icmp_type << 8 | k->icmp_code);
		ef_wr_u16(w, EXEFLOW_F_ICMP_ID, ntohs(k->icmp_id));
		return;
	}
	ef_wr_u16(w, EXEFLOW_F_SRC_PORT, ntohs(k->port[i]));
	ef_wr_u16(w, EXEFLOW_F_DST_PORT, ntohs(k->port[!i]));
}

/*
 * What a record says besides the flow, read once for both passes: what
 * could change between them (the owner's exe state, an interface's name)
 * would make the second write more than the first measured.
 */
struct ef_rec_ctx {
	const struct ef_proc *p;
	int state;		/* p's exe state */
	u64 seq;
	u64 real_ns;
	u32 now_j;
	u8 event;
	char in_name[IFNAMSIZ], out_name[IFNAMSIZ];
};

static void ef_wr_if(struct ef_wr *w, int idx_attr, int name_attr,
		     int ifindex, const char *name)
{
	if (!ifindex)
		return;
	ef_wr_u32(w, idx_attr, ifindex);
	if (name[0])
		ef_wr_str(w, name_attr, name);
}

static void ef_wr_flow(struct ef_wr *w, const struct ef_flow *f,
		       const struct ef_rec_ctx *c)
{
	const struct ef_key *k = &f->key;
	const struct ef_proc *p = c->p;
	int alen = ef_key_alen(k);
	int i = f->init_side;
	u32 first = ef_flow_has_pkts(f) ? f->first : f->last;
	unsigned long nest;

	nest = ef_wr_nest(w, EXEFLOW_A_FLOW);
	ef_wr_u64(w, EXEFLOW_F_SEQ, c->seq, EXEFLOW_F_PAD);
	ef_wr_u8(w, EXEFLOW_F_EVENT, c->event);
	ef_wr_u64(w, EXEFLOW_F_FLOW_ID, f->id, EXEFLOW_F_PAD);
	ef_wr_u64(w, EXEFLOW_F_NETNS_ID, k->netns_id, EXEFLOW_F_PAD);
	ef_wr_u8(w, EXEFLOW_F_FAMILY, k->family);
	ef_wr_u8(w, EXEFLOW_F_PROTO, k->proto);
	ef_wr_attr(w, EXEFLOW_F_SRC_ADDR, ef_key_addr(k, i), alen);
	ef_wr_attr(w, EXEFLOW_F_DST_ADDR, ef_key_addr(k, !i), alen);
	ef_wr_ports(w, f);
	ef_wr_u8(w, EXEFLOW_F_DIRECTION, f->direction);
	ef_wr_u64(w, EXEFLOW_F_FWD_PACKETS, f->pkts[EF_FWD], EXEFLOW_F_PAD);
	ef_wr_u64(w, EXEFLOW_F_FWD_BYTES, f->bytes[EF_FWD], EXEFLOW_F_PAD);
	ef_wr_u64(w, EXEFLOW_F_REV_PACKETS, f->pkts[EF_REV], EXEFLOW_F_PAD);
	ef_wr_u64(w, EXEFLOW_F_REV_BYTES, f->bytes[EF_REV], EXEFLOW_F_PAD);
	ef_wr_u64(w, EXEFLOW_F_FIRST_NS, ef_wall_ns(first, c->now_j, c->real_ns),
		  EXEFLOW_F_PAD);
	ef_wr_u64(w, EXEFLOW_F_LAST_NS,
		  ef_wall_ns(f->last, c->now_j, c->real_ns), EXEFLOW_F_PAD);
	ef_wr_if(w, EXEFLOW_F_IN_IFINDEX, EXEFLOW_F_IN_IFNAME, f->in_ifindex,
		 c->in_name);
	ef_wr_if(w, EXEFLOW_F_OUT_IFINDEX, EXEFLOW_F_OUT_IFNAME,
		 f->out_ifindex, c->out_name);
	ef_wr_u8(w, EXEFLOW_F_END_REASON, f->end_reason);
	ef_wr_u8(w, EXEFLOW_F_METHOD, ef_flow_method(f));
	if (k->proto == IPPROTO_TCP) {
		ef_wr_u8(w, EXEFLOW_F_FWD_TCP_FLAGS, f->tcp_flags[EF_FWD]);
		ef_wr_u8(w, EXEFLOW_F_REV_TCP_FLAGS, f->tcp_flags[EF_REV]);
	}
	if (f->flags & EF_FL_COOKIE)
		ef_wr_u64(w, EXEFLOW_F_SOCK_COOKIE, f->cookie, EXEFLOW_F_PAD);
	/* a process carries its own cgroup id, and took the socket's place */
	if (f->flags & EF_FL_CREDS) {
		ef_wr_u32(w, EXEFLOW_F_SOCK_UID, f->sock_uid);
		if (!p)
			ef_wr_u64(w, EXEFLOW_F_SOCK_CGROUP, f->sock_cgroup,
				  EXEFLOW_F_PAD);
	}
	if (p)
		ef_wr_proc(w, p, c->state);
	ef_wr_nest_end(w, nest);
}

static void ef_rec_ifname(u64 netns_id, int ifindex, char name[IFNAMSIZ])
{
	if (!ifindex || !ef_ifname_get(netns_id, ifindex, name))
		name[0] = '\0';
}

int ef_record_put(struct sk_buff *skb, const struct ef_flow *f, u8 event,
		  u64 seq)
{
	unsigned long tail = (unsigned long)skb_tail_pointer(skb);
	struct ef_wr w = { tail, false };
	struct ef_rec_ctx c;
	unsigned int len;

	c.p = ef_flow_owner(f);
	c.state = c.p ? ef_proc_exe_state(c.p) : EF_EXE_NONE;
	c.seq = seq;
	c.event = event;
	c.real_ns = ktime_get_coarse_real_ns();
	c.now_j = jiffies;
	ef_rec_ifname(f->key.netns_id, f->in_ifindex, c.in_name);
	ef_rec_ifname(f->key.netns_id, f->out_ifindex, c.out_name);

	ef_wr_flow(&w, f, &c);
	len = w.at - tail;
	if (len > skb_tailroom(skb))
		return -EMSGSIZE;
	skb_put(skb, len);
	w.at = tail;
	w.write = true;
	ef_wr_flow(&w, f, &c);
	/* the flow is held still by the caller's lock (stripe or backlog) */
	WARN_ON_ONCE(w.at - tail != len);
	return 0;
}

#if IS_ENABLED(CONFIG_KUNIT) && defined(EXEFLOW_KUNIT)
#include "tests/record_kunit.c"
#endif
