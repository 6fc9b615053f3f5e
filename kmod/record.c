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

static int ef_put_u64(struct sk_buff *skb, int type, u64 v, int pad)
{
	return nla_put_u64_64bit(skb, type, v, pad);
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
static int ef_put_proc_attrs(struct sk_buff *skb, const struct ef_proc *p,
			     int state)
{
	u32 flags = state == EF_EXE_PENDING ? p->flags :
		    p->flags | p->exe_flags;

	if (nla_put_u32(skb, EXEFLOW_P_TGID, p->tgid) ||
	    nla_put_u32(skb, EXEFLOW_P_PID, p->pid) ||
	    nla_put_u32(skb, EXEFLOW_P_PPID, p->ppid) ||
	    nla_put_u32(skb, EXEFLOW_P_SID, p->sid) ||
	    nla_put_u32(skb, EXEFLOW_P_PGID, p->pgid) ||
	    ef_put_u64(skb, EXEFLOW_P_START_NS, p->start_ns, EXEFLOW_P_PAD) ||
	    nla_put_u32(skb, EXEFLOW_P_UID, p->uid) ||
	    nla_put_u32(skb, EXEFLOW_P_GID, p->gid) ||
	    nla_put_u32(skb, EXEFLOW_P_EUID, p->euid) ||
	    nla_put_u32(skb, EXEFLOW_P_EGID, p->egid) ||
	    nla_put_string(skb, EXEFLOW_P_COMM, p->comm) ||
	    ef_put_u64(skb, EXEFLOW_P_CGROUP_ID, p->cgroup_id,
		       EXEFLOW_P_PAD) ||
	    nla_put_u32(skb, EXEFLOW_P_PIDNS_INUM, p->pidns_inum) ||
	    nla_put_u32(skb, EXEFLOW_P_FLAGS, flags))
		return -EMSGSIZE;
	if (state == EF_EXE_DONE && p->exe_path &&
	    nla_put_string(skb, EXEFLOW_P_EXE_PATH, p->exe_path))
		return -EMSGSIZE;
	if ((flags & EXEFLOW_PF_EXE_KNOWN) &&
	    (nla_put_u32(skb, EXEFLOW_P_EXE_MAJOR, p->exe_major) ||
	     nla_put_u32(skb, EXEFLOW_P_EXE_MINOR, p->exe_minor) ||
	     ef_put_u64(skb, EXEFLOW_P_EXE_INO, p->exe_ino, EXEFLOW_P_PAD) ||
	     ef_put_u64(skb, EXEFLOW_P_EXE_SIZE, p->exe_size,
			EXEFLOW_P_PAD) ||
	     ef_put_u64(skb, EXEFLOW_P_EXE_MTIME_NS, p->exe_mtime_ns,
			EXEFLOW_P_PAD)))
		return -EMSGSIZE;
	return 0;
}

/*
 * A process's attributes are final once its executable is resolved, and
 * every record of its flows carries them: the resolver encodes them once
 * (ef_record_proc_attrs()) and a record copies the bytes. On a busy
 * server that is most of a record's encoding.
 */
void *ef_record_proc_attrs(const struct ef_proc *p, int state, u32 *len)
{
	size_t path = p->exe_path ? strlen(p->exe_path) + 1 : 0;
	struct sk_buff *skb;
	void *attrs = NULL;

	/*
	 * Without efficient unaligned access a u64 is padded to where it
	 * lands in the message, which bytes encoded apart cannot know: such
	 * machines encode field by field.
	 */
	if (!IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS))
		return NULL;
	/* the fixed attributes take ~200 bytes with any padding */
	skb = alloc_skb(512 + nla_total_size(path), GFP_KERNEL);
	if (!skb)
		return NULL;
	if (!ef_put_proc_attrs(skb, p, state)) {
		attrs = kmemdup(skb->data, skb->len, GFP_KERNEL);
		*len = skb->len;
	}
	kfree_skb(skb);
	return attrs;
}

static int ef_put_proc(struct sk_buff *skb, const struct ef_proc *p)
{
	int state = ef_proc_exe_state(p);
	struct nlattr *nest;

	/* attrs are published with the state (proc.c) */
	if (state != EF_EXE_PENDING && p->attrs)
		return nla_put(skb, EXEFLOW_F_PROC | NLA_F_NESTED,
			       p->attrs_len, p->attrs);
	nest = nla_nest_start(skb, EXEFLOW_F_PROC);
	if (!nest)
		return -EMSGSIZE;
	if (ef_put_proc_attrs(skb, p, state)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int ef_put_ports(struct sk_buff *skb, const struct ef_flow *f)
{
	const struct ef_key *k = &f->key;
	int i = f->init_side;

	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6)
		return nla_put_u16(skb, EXEFLOW_F_SRC_PORT, 0) ||
		       nla_put_u16(skb, EXEFLOW_F_DST_PORT,
				   k->icmp_type << 8 | k->icmp_code) ||
		       nla_put_u16(skb, EXEFLOW_F_ICMP_ID, ntohs(k->icmp_id));
	return nla_put_u16(skb, EXEFLOW_F_SRC_PORT, ntohs(k->port[i])) ||
	       nla_put_u16(skb, EXEFLOW_F_DST_PORT, ntohs(k->port[!i]));
}

static int ef_put_if(struct sk_buff *skb, int idx_attr, int name_attr,
		     u64 netns_id, int ifindex)
{
	char name[IFNAMSIZ];

	if (!ifindex)
		return 0;
	return nla_put_u32(skb, idx_attr, ifindex) ||
	       (ef_ifname_get(netns_id, ifindex, name) && name[0] &&
		nla_put_string(skb, name_attr, name));
}

int ef_record_put(struct sk_buff *skb, const struct ef_flow *f, u8 event,
		  u64 seq)
{
	const struct ef_key *k = &f->key;
	const struct ef_proc *p = ef_flow_owner(f);
	int alen = ef_key_alen(k);
	int i = f->init_side;
	u32 first = ef_flow_has_pkts(f) ? f->first : f->last;
	u64 real_ns = ktime_get_coarse_real_ns();
	u32 now_j = jiffies;
	struct nlattr *nest;

	nest = nla_nest_start(skb, EXEFLOW_A_FLOW);
	if (!nest)
		return -EMSGSIZE;
	if (ef_put_u64(skb, EXEFLOW_F_SEQ, seq, EXEFLOW_F_PAD) ||
	    nla_put_u8(skb, EXEFLOW_F_EVENT, event) ||
	    ef_put_u64(skb, EXEFLOW_F_FLOW_ID, f->id, EXEFLOW_F_PAD) ||
	    ef_put_u64(skb, EXEFLOW_F_NETNS_ID, k->netns_id, EXEFLOW_F_PAD) ||
	    nla_put_u8(skb, EXEFLOW_F_FAMILY, k->family) ||
	    nla_put_u8(skb, EXEFLOW_F_PROTO, k->proto) ||
	    nla_put(skb, EXEFLOW_F_SRC_ADDR, alen, ef_key_addr(k, i)) ||
	    nla_put(skb, EXEFLOW_F_DST_ADDR, alen, ef_key_addr(k, !i)) ||
	    ef_put_ports(skb, f) ||
	    nla_put_u8(skb, EXEFLOW_F_DIRECTION, f->direction) ||
	    ef_put_u64(skb, EXEFLOW_F_FWD_PACKETS, f->pkts[EF_FWD],
		       EXEFLOW_F_PAD) ||
	    ef_put_u64(skb, EXEFLOW_F_FWD_BYTES, f->bytes[EF_FWD],
		       EXEFLOW_F_PAD) ||
	    ef_put_u64(skb, EXEFLOW_F_REV_PACKETS, f->pkts[EF_REV],
		       EXEFLOW_F_PAD) ||
	    ef_put_u64(skb, EXEFLOW_F_REV_BYTES, f->bytes[EF_REV],
		       EXEFLOW_F_PAD) ||
	    ef_put_u64(skb, EXEFLOW_F_FIRST_NS,
		       ef_wall_ns(first, now_j, real_ns), EXEFLOW_F_PAD) ||
	    ef_put_u64(skb, EXEFLOW_F_LAST_NS,
		       ef_wall_ns(f->last, now_j, real_ns), EXEFLOW_F_PAD) ||
	    ef_put_if(skb, EXEFLOW_F_IN_IFINDEX, EXEFLOW_F_IN_IFNAME,
		      k->netns_id, f->in_ifindex) ||
	    ef_put_if(skb, EXEFLOW_F_OUT_IFINDEX, EXEFLOW_F_OUT_IFNAME,
		      k->netns_id, f->out_ifindex) ||
	    nla_put_u8(skb, EXEFLOW_F_END_REASON, f->end_reason) ||
	    nla_put_u8(skb, EXEFLOW_F_METHOD, ef_flow_method(f)))
		goto cancel;
	if (k->proto == IPPROTO_TCP &&
	    (nla_put_u8(skb, EXEFLOW_F_FWD_TCP_FLAGS, f->tcp_flags[EF_FWD]) ||
	     nla_put_u8(skb, EXEFLOW_F_REV_TCP_FLAGS, f->tcp_flags[EF_REV])))
		goto cancel;
	if ((f->flags & EF_FL_COOKIE) &&
	    ef_put_u64(skb, EXEFLOW_F_SOCK_COOKIE, f->cookie, EXEFLOW_F_PAD))
		goto cancel;
	/* a process carries its own cgroup id, and took the socket's place */
	if ((f->flags & EF_FL_CREDS) &&
	    (nla_put_u32(skb, EXEFLOW_F_SOCK_UID, f->sock_uid) ||
	     (!p && ef_put_u64(skb, EXEFLOW_F_SOCK_CGROUP, f->sock_cgroup,
			       EXEFLOW_F_PAD))))
		goto cancel;
	if (p && ef_put_proc(skb, p))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

#if IS_ENABLED(CONFIG_KUNIT) && defined(EXEFLOW_KUNIT)
#include "tests/record_kunit.c"
#endif
