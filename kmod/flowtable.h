/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_FLOWTABLE_H
#define EXEFLOW_FLOWTABLE_H

#include <linux/if.h>
#include <linux/list.h>
#include <linux/types.h>
#include <uapi/exeflow.h>

struct ef_proc;
struct net_device;
struct netlink_callback;
struct sk_buff;
struct sock;

/*
 * Flow key. Addresses and ports are stored in a canonical order (side 0 is
 * the lower address/port pair) so both directions of a connection hash to
 * the same entry; ICMP queries are stored requester first. Zeroed before
 * filling: padding is hashed.
 */
struct ef_key {
	u64 netns_id;
	__be16 port[2];
	__be16 icmp_id;
	u8 family;		/* AF_INET, AF_INET6 */
	u8 proto;
	u8 icmp_type;		/* queries: the request type */
	u8 icmp_code;
	u8 pad[6];	/* no unnamed padding: the key is hashed as bytes */
	/*
	 * Last, so that an IPv4 flow is allocated without the IPv6 address
	 * space: side 0 then side 1, one word each for IPv4 (the key is
	 * ef_key_len() bytes long), four for IPv6. Use ef_key_addr().
	 */
	__be32 addr[8];
} __aligned(8);

#define EF_KEY_LEN4	(offsetof(struct ef_key, addr) + 2 * 4)
#define EF_KEY_LEN6	sizeof(struct ef_key)

/* Address length by family. */
static inline unsigned int ef_key_alen(const struct ef_key *k)
{
	return k->family == AF_INET6 ? 16 : 4;
}

/* The bytes of @k that are hashed and compared. */
static inline unsigned int ef_key_len(const struct ef_key *k)
{
	return offsetof(struct ef_key, addr) + 2 * ef_key_alen(k);
}

/* The address of key side @side (ef_key_alen() bytes). */
#define ef_key_addr(k, side) \
	(&(k)->addr[(side) * ef_key_alen(k) / sizeof(__be32)])

enum { EF_FWD, EF_REV };	/* initiator->responder, responder->initiator */

/* ef_flow.flags */
#define EF_FL_COOKIE	BIT(0)	/* cookie: the local user socket is known */
#define EF_FL_CREDS	BIT(1)	/* sock_uid/sock_cgroup valid */
#define EF_FL_KERNEL	BIT(2)	/* sent without a user socket */
#define EF_FL_NEW_SENT	BIT(3)	/* NEW record queued */
#define EF_FL_CLOSING	BIT(4)	/* TCP RST, or FIN both ways */
#define EF_FL_FIN_FWD	BIT(5)
#define EF_FL_FIN_REV	BIT(6)

/*
 * One connection, oriented from its initiator. Live flows sit in the hash
 * and on their stripe's LRU list; ended flows and NEW/UPDATE snapshots are
 * the same structure on the export backlog (@node). Kept small (one per
 * connection): interface names are looked up at export (ifname.c), fields
 * only a live flow or only a backlog record uses share their space, and
 * the key comes last so that IPv4 flows are shorter (ef_flow_size()).
 */
struct ef_flow {
	struct hlist_node hnode;
	struct list_head node;
	u64 id;
	u64 pkts[2];
	u64 bytes[2];
	u64 first_ns;		/* monotonic; first packet of this period */
	u64 last_ns;		/* monotonic; last packet */
	union {
		u64 period_ns;	/* live: start of the active-timeout period */
		u64 seq;	/* on the backlog: per-listener sequence */
	};
	u64 cookie;
	u64 sock_cgroup;
	struct ef_proc *owner;
	u32 sock_uid;
	u32 so_gen;		/* socket-owner map generation checked */
	int in_ifindex;
	int out_ifindex;
	u8 init_side;		/* key side of the initiator */
	u8 direction;		/* enum exeflow_direction */
	u8 tcp_flags[2];
	u8 method;		/* enum exeflow_method of @owner */
	u8 event;		/* export: enum exeflow_event */
	u8 end_reason;		/* enum exeflow_end_reason */
	u8 flags;		/* EF_FL_* */
	struct ef_key key;	/* last: see ef_flow_size() */
};

/* Allocated size of a flow: its key's addresses by family. */
static inline size_t ef_flow_size(const struct ef_flow *f)
{
	return offsetof(struct ef_flow, key) + ef_key_len(&f->key);
}

/* What the hook learned about one packet. */
struct ef_pkt {
	struct ef_key key;
	const struct net_device *dev;	/* in (LOCAL_IN) or out (LOCAL_OUT) */
	struct sock *sk;	/* local socket of this packet, or NULL */
	u32 len;		/* L3 bytes */
	u32 segs;		/* GSO segments */
	u8 side;		/* key side that sent the packet */
	u8 init_side;		/* if this packet creates the flow */
	u8 out;			/* seen at LOCAL_OUT */
	u8 tcp_flags;
	u8 loopback;
	u8 gate;		/* current may be trusted (attribution gate) */
	u8 user_sk;		/* @sk belongs to a user socket (has a file) */
	u8 kernel;		/* LOCAL_OUT without a user socket */
};

/* ef_flow_packet() results */
#define EF_NEED_TASK	BIT(0)	/* attach the current task */
#define EF_NEED_OWNER	BIT(1)	/* look the socket up in the owner map */

int ef_flowtable_init(unsigned int hash_size);
void ef_flowtable_exit(void);
unsigned int ef_flowtable_count(void);

int ef_flow_packet(struct ef_pkt *pkt, u64 *cookie);
void ef_flow_attach(const struct ef_pkt *pkt, u64 cookie,
		    struct ef_proc *proc, u8 method);

/*
 * Expire flows and produce export records, handed to @emit (which takes
 * them off the list) after each stripe, outside its lock. @force ends
 * every flow (of @netns_id, or all if 0) with that end reason; @listener
 * enables NEW/UPDATE records (without one, flows only end).
 */
void ef_flowtable_scan(bool listener, u8 force, u64 netns_id,
		       void (*emit)(struct list_head *recs));

/*
 * Visit live flows from @cursor (two words, zero to start) until @fn returns
 * non-zero; the cursor then points at that flow so the next call retries it.
 * Returns @fn's value, or 0 when the table is exhausted.
 */
int ef_flowtable_walk(unsigned long cursor[2],
		      int (*fn)(const struct ef_flow *f, void *arg), void *arg);

struct ef_flow *ef_flow_clone(const struct ef_flow *f, gfp_t gfp);
void ef_flow_free(struct ef_flow *f);

/* How the flow's owner is known (enum exeflow_method). */
static inline u8 ef_flow_method(const struct ef_flow *f)
{
	if (f->owner)
		return f->method;
	if (f->flags & EF_FL_CREDS)
		return EXEFLOW_M_SOCKET_CREDS;
	if (f->flags & EF_FL_KERNEL)
		return EXEFLOW_M_KERNEL;
	return EXEFLOW_M_NONE;
}

#endif /* EXEFLOW_FLOWTABLE_H */
