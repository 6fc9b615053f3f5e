/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow table's per-packet path, inlined into the hook (hook.c): under
 * TCG a call and its return cost more than most of the work they wrap
 * (bench/hookbench.sh), and the hook then reads one function's text. The
 * rest of the table (creation, expiry, export) is in flowtable.c, which
 * shares the helpers here.
 */
#ifndef EXEFLOW_FLOWPATH_H
#define EXEFLOW_FLOWPATH_H

#include <linux/bottom_half.h>
#include <linux/cache.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <net/tcp.h>

#include "flowtable.h"
#include "sk.h"
#include "sockowner.h"

struct ef_stripe {
	spinlock_t lock;
	struct ef_queue dead;	/* ended, or cut short, on the packet path */
} ____cacheline_aligned_in_smp;

/*
 * A power-of-two bucket array split into stripes: bucket b belongs to
 * stripe b & smask. Set once at load; one struct so that a packet finds
 * all of it side by side, not spread over the module's data sections.
 */
struct ef_table {
	struct ef_flow **buckets;	/* chains through ef_flow.next */
	struct ef_stripe *stripes;
	unsigned int hmask;
	unsigned int smask;
	u32 seed;
};

extern struct ef_table ef_tab;

/* Slow parts of ef_flow_packet() (flowtable.c), under the stripe lock. */
struct ef_flow *ef_flow_start(struct ef_stripe *st, struct ef_flow **b,
			      struct ef_flow *old, const struct ef_pkt *pkt);
void ef_flow_period_full(struct ef_stripe *st, struct ef_flow *f);

/*
 * The bucket of a key: jhash over the ports and the addresses (one run of
 * words), keyed by the table's secret seed plus the namespace and the
 * protocol. For IPv4 that is jhash_3words() over the same values as the
 * kernel's own established-socket hash (inet_ehashfn()), one final mix;
 * IPv6 takes two rounds more. Hashing the namespace id and the protocol
 * as words too would cost a round for IPv4 and gain nothing an attacker
 * could use: the seed stays secret.
 */
static __always_inline u32 ef_hash(const struct ef_key *k)
{
	u32 iv = ef_tab.seed + hash_64(k->netns_id, 32) + k->proto;
	const u32 *w = (const u32 *)k->port;

	BUILD_BUG_ON(offsetofend(struct ef_key, port) !=
		     offsetof(struct ef_key, addr));
	if (k->family == AF_INET6)
		return jhash2(w, 1 + 8, iv);
	return jhash_3words(w[0], w[1], w[2], iv);
}

/*
 * Keys are u64 aligned: compare words, written out (GCC keeps a loop here,
 * a translation block a word under TCG).
 */
static __always_inline bool ef_key_eq4(const struct ef_key *a,
				       const struct ef_key *b)
{
	const u64 *x = (const u64 *)a, *y = (const u64 *)b;

	BUILD_BUG_ON(EF_KEY_LEN4 != 3 * sizeof(u64));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]));
}

static __always_inline bool ef_key_eq6(const struct ef_key *a,
				       const struct ef_key *b)
{
	const u64 *x = (const u64 *)a, *y = (const u64 *)b;

	BUILD_BUG_ON(EF_KEY_LEN6 != 6 * sizeof(u64));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		 (x[3] ^ y[3]) | (x[4] ^ y[4]) | (x[5] ^ y[5]));
}

static __always_inline struct ef_flow *ef_find(struct ef_flow *const *b,
					       const struct ef_key *k)
{
	struct ef_flow *f;

	/*
	 * An IPv4 key's bytes include its family; an IPv4 flow has no room
	 * for an IPv6 key, so check the family before reading that far.
	 */
	if (k->family == AF_INET6) {
		for (f = *b; f; f = f->next)
			if (f->key.family == AF_INET6 &&
			    ef_key_eq6(&f->key, k))
				return f;
		return NULL;
	}
	for (f = *b; f; f = f->next)
		if (ef_key_eq4(&f->key, k))
			return f;
	return NULL;
}

/*
 * The packet path's hold on a stripe. The hooks run in softirq context
 * (LOCAL_IN) or in a task (LOCAL_OUT). Where softirqs are already off,
 * the plain lock is enough: most packets are received, and this saves
 * them the bh round trip. Returns whether softirqs were turned off here.
 */
static __always_inline bool ef_stripe_lock_pkt(struct ef_stripe *st)
	__acquires(&st->lock)
{
	bool bh = !in_softirq();

	if (bh)
		local_bh_disable();
	spin_lock(&st->lock);
	return bh;
}

static __always_inline void ef_stripe_unlock_pkt(struct ef_stripe *st,
						 bool bh)
	__releases(&st->lock)
{
	spin_unlock(&st->lock);
	if (bh)
		local_bh_enable();
}

/* the name is looked up at export (ifname.c) */
static __always_inline void ef_set_if(int *ifindex,
				      const struct net_device *dev)
{
	if (dev)
		*ifindex = dev->ifindex;
}

static __always_inline void ef_tcp_state(struct ef_flow *f, u8 flags, int dir)
{
	/* nearly every segment: neither, and nothing changes */
	if (likely(!(flags & (TCPHDR_FIN | TCPHDR_RST))))
		return;
	if (flags & TCPHDR_RST)
		f->flags |= EF_FL_CLOSING;
	if (flags & TCPHDR_FIN)
		f->flags |= dir == EF_FWD ? EF_FL_FIN_FWD : EF_FL_FIN_REV;
	if ((f->flags & (EF_FL_FIN_FWD | EF_FL_FIN_REV)) ==
	    (EF_FL_FIN_FWD | EF_FL_FIN_REV))
		f->flags |= EF_FL_CLOSING;
}

static __always_inline bool ef_is_new_syn(const struct ef_pkt *pkt)
{
	return pkt->key.proto == IPPROTO_TCP &&
	       (pkt->tcp_flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN;
}

/*
 * Account one packet. Returns EF_NEED_* when the caller should look for an
 * owner (outside the stripe lock) and attach it with ef_flow_attach();
 * *cookie is then the local socket's cookie.
 */
static __always_inline int ef_flow_packet(struct ef_pkt *pkt, u64 *cookie)
{
	u32 h = ef_hash(&pkt->key);
	struct ef_flow **b = &ef_tab.buckets[h & ef_tab.hmask];
	struct ef_stripe *st = &ef_tab.stripes[h & ef_tab.smask];
	struct ef_flow *f;
	int need = 0;
	bool bh;
	u32 now;
	int dir;

	bh = ef_stripe_lock_pkt(st);
	now = jiffies;	/* under the lock: "first" never after "last" */
	f = ef_find(b, &pkt->key);
	if (unlikely(!f || ((f->flags & EF_FL_CLOSING) && ef_is_new_syn(pkt)))) {
		f = ef_flow_start(st, b, f, pkt);
		if (!f)
			goto out;
	}

	dir = pkt->side == f->init_side ? EF_FWD : EF_REV;
	/* 4 GiB one way in one period: the period ends here (UPDATE) */
	if (unlikely(f->bytes[dir] > U32_MAX - pkt->len))
		ef_flow_period_full(st, f);
	if (!ef_flow_has_pkts(f))
		f->first = now;
	f->last = now;
	f->pkts[dir] += pkt->segs;
	f->bytes[dir] += pkt->len;
	f->tcp_flags[dir] |= pkt->tcp_flags;
	if (pkt->key.proto == IPPROTO_TCP)
		ef_tcp_state(f, pkt->tcp_flags, dir);

	if (pkt->loopback) {
		ef_set_if(&f->in_ifindex, pkt->dev);
		ef_set_if(&f->out_ifindex, pkt->dev);
	} else if (pkt->out) {
		ef_set_if(&f->out_ifindex, pkt->dev);
	} else {
		ef_set_if(&f->in_ifindex, pkt->dev);
	}

	if (pkt->kernel)
		f->flags |= EF_FL_KERNEL;
	if (!pkt->user_sk || ef_flow_owner(f))
		goto out;
	/*
	 * The first user socket seen on a flow is its local endpoint (on
	 * loopback, the initiator's). Only that socket's packets attribute.
	 */
	*cookie = ef_sk_cookie(pkt->sk);
	if (!(f->flags & EF_FL_COOKIE)) {
		f->cookie = *cookie;
		f->flags |= EF_FL_COOKIE;
		if (ef_sk_creds(pkt->sk, &f->sock_uid, &f->sock_cgroup))
			f->flags |= EF_FL_CREDS;
		f->so_gen = ef_sockowner_gen();
		need |= EF_NEED_OWNER;
	}
	if (pkt->gate && *cookie == f->cookie)
		need |= EF_NEED_TASK;
out:
	ef_stripe_unlock_pkt(st, bh);
	return need;
}

#endif /* EXEFLOW_FLOWPATH_H */
