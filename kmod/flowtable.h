/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_FLOWTABLE_H
#define EXEFLOW_FLOWTABLE_H

#include <linux/if.h>
#include <linux/list.h>
#include <linux/time.h>
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
 * filling: padding is compared. The ports and the addresses are hashed,
 * one run of words (ef_hash()).
 */
struct ef_key {
	u64 netns_id;
	u8 family;		/* AF_INET, AF_INET6 */
	u8 proto;
	u8 pad[2];	/* no unnamed padding: the key is compared as words */
	union {
		__be16 port[2];
		struct {	/* ICMP: no ports */
			__be16 icmp_id;
			u8 icmp_type;	/* queries: the request type */
			u8 icmp_code;
		};
	};
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
#define EF_FL_CREDS	BIT(1)	/* sock_uid (and sock_cgroup, until owned) */
#define EF_FL_KERNEL	BIT(2)	/* sent without a user socket */
#define EF_FL_NEW_SENT	BIT(3)	/* NEW record queued */
#define EF_FL_CLOSING	BIT(4)	/* TCP RST, or FIN both ways */
#define EF_FL_FIN_FWD	BIT(5)
#define EF_FL_FIN_REV	BIT(6)
#define EF_FL_SNAP	BIT(7)	/* a NEW/UPDATE snapshot (struct ef_snap) */

/*
 * One connection, oriented from its initiator: 104 bytes for IPv4, 128 for
 * IPv6, one per connection, so every field earns its place. A flow is on
 * one singly linked list at a time through @next: its hash bucket while
 * live (the exporter's scan walks the buckets, there is no LRU list), then
 * a queue once ended (the stripe's dead queue, the export backlog). The
 * socket's cgroup is only needed while no process is known (a process
 * record carries its own), so it shares space with the owner. Times are
 * jiffies (u32), per-period counters u32: the scan ends a period (UPDATE)
 * long before a packet count or a time could wrap (ef_flowtable_scan()),
 * and a packet that would wrap a byte count ends it on the packet path
 * (ef_flow_period_full()). Interface names are looked up at export
 * (ifname.c), and the key comes last so that IPv4 flows are shorter
 * (ef_flow_size()).
 */
struct ef_flow {
	struct ef_flow *next;	/* bucket chain, or queue (struct ef_queue) */
	u64 id;
	u64 cookie;
	union {		/* which one: @method, see ef_flow_owner() */
		u64 sock_cgroup;	/* EF_FL_CREDS, no owner */
		struct ef_proc *owner;	/* a reference */
	};
	u32 bytes[2];		/* this period */
	u32 pkts[2];		/* this period; both 0: no packet in it yet */
	u32 first;		/* jiffies: first packet of this period */
	u32 last;		/* jiffies: last packet */
	u32 sock_uid;
	union {
		u32 so_gen;	/* live: socket-owner map generation checked */
		u32 seq;	/* backlog: low bits of the sequence number */
	};
	int in_ifindex;
	int out_ifindex;
	u8 init_side;		/* key side of the initiator */
	u8 direction;		/* enum exeflow_direction */
	u8 tcp_flags[2];
	u8 method;		/* of @owner; EXEFLOW_M_NONE: none */
	u8 event;		/* export: enum exeflow_event */
	u8 end_reason;		/* enum exeflow_end_reason */
	u8 flags;		/* EF_FL_* */
	struct ef_key key;	/* last: see ef_flow_size() */
};

/*
 * A NEW or UPDATE snapshot on the export backlog (cache exeflow_snap). The
 * backlog also needs to find the newest of these and take it out of the
 * middle of its queue (an END may take its place when the backlog is
 * full): a second link and a back link that ended flows and live ones
 * never need.
 */
struct ef_snap {
	struct hlist_node interim;	/* ef_exp.interim */
	struct ef_flow **pprev;	/* the backlog's link to it (export.c) */
	struct ef_flow f;	/* last: its key is ef_key_len() long */
};

static inline struct ef_snap *ef_snap_of(struct ef_flow *f)
{
	return container_of(f, struct ef_snap, f);
}

static inline struct hlist_node *ef_snap_node(struct ef_flow *f)
{
	return &ef_snap_of(f)->interim;
}

static inline struct ef_flow *ef_snap_flow(struct hlist_node *n)
{
	return &hlist_entry(n, struct ef_snap, interim)->f;
}

/* Does the period hold packets (and so a valid @first)? */
static inline bool ef_flow_has_pkts(const struct ef_flow *f)
{
	return f->pkts[0] || f->pkts[1];
}

/* The flow's process, or NULL (then @sock_cgroup may be valid). */
static inline struct ef_proc *ef_flow_owner(const struct ef_flow *f)
{
	return f->method != EXEFLOW_M_NONE ? f->owner : NULL;
}

/*
 * Attach @proc, whose reference the flow takes over; @method (not
 * EXEFLOW_M_NONE) is how it became known. The socket's cgroup is gone.
 */
static inline void ef_flow_set_owner(struct ef_flow *f, struct ef_proc *proc,
				     u8 method)
{
	f->owner = proc;
	f->method = method;
}

/*
 * A FIFO of ended flows and snapshots, linked through ef_flow.next (half
 * a list_head: 8 bytes on every flow). Pass it by reference: @tail may
 * point into it.
 */
struct ef_queue {
	struct ef_flow *first;
	struct ef_flow **tail;	/* &first when empty, else the last's next */
};

#define EF_QUEUE_INIT(name)	{ NULL, &(name).first }

static inline void ef_queue_init(struct ef_queue *q)
{
	q->first = NULL;
	q->tail = &q->first;
}

static inline bool ef_queue_empty(const struct ef_queue *q)
{
	return !q->first;
}

static inline void ef_queue_add(struct ef_queue *q, struct ef_flow *f)
{
	f->next = NULL;
	*q->tail = f;
	q->tail = &f->next;
}

static inline struct ef_flow *ef_queue_pop(struct ef_queue *q)
{
	struct ef_flow *f = q->first;

	if (f) {
		q->first = f->next;
		if (!q->first)
			q->tail = &q->first;
		f->next = NULL;
	}
	return f;
}

#define ef_queue_for_each(f, q) \
	for ((f) = (q)->first; (f); (f) = (f)->next)

/* Jiffies from @then to @now; 0 if @then is later (stamped after @now). */
static inline u32 ef_since(u32 now, u32 then)
{
	return time_after32(now, then) ? now - then : 0;
}

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

/* ef_flow_packet() results (flowpath.h) */
#define EF_NEED_TASK	BIT(0)	/* attach the current task */
#define EF_NEED_OWNER	BIT(1)	/* look the socket up in the owner map */

int ef_flowtable_init(unsigned int hash_size);
void ef_flowtable_exit(void);
unsigned int ef_flowtable_count(void);

void ef_flow_attach(const struct ef_pkt *pkt, u64 cookie,
		    struct ef_proc *proc, u8 method);

/*
 * Expire flows and produce export records, handed to @emit (which takes
 * them off the queue) after each stripe, outside its lock. @force ends
 * every flow (of @netns_id, or all if 0) with that end reason; @listener
 * enables NEW/UPDATE records (without one, flows only end).
 */
void ef_flowtable_scan(bool listener, u8 force, u64 netns_id,
		       void (*emit)(struct ef_queue *recs));

/*
 * Visit live flows from @cursor (two words, zero to start) until @fn returns
 * non-zero; the cursor then points at that flow so the next call retries it.
 * Returns @fn's value, or 0 when the table is exhausted.
 */
int ef_flowtable_walk(unsigned long cursor[2],
		      int (*fn)(const struct ef_flow *f, void *arg), void *arg);

void ef_flow_free(struct ef_flow *f);

/* How the flow's owner is known (enum exeflow_method). */
static inline u8 ef_flow_method(const struct ef_flow *f)
{
	if (ef_flow_owner(f))
		return f->method;
	if (f->flags & EF_FL_CREDS)
		return EXEFLOW_M_SOCKET_CREDS;
	if (f->flags & EF_FL_KERNEL)
		return EXEFLOW_M_KERNEL;
	return EXEFLOW_M_NONE;
}

#endif /* EXEFLOW_FLOWTABLE_H */
