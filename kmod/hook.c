// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: LOCAL_OUT and LOCAL_IN, IPv4 and IPv6, priority INT_MIN
 * (before anything that could queue or steal the packet). Parses the
 * packet into a canonical flow key, accounts it, and decides whether
 * `current` may be trusted as the owner (the attribution gate):
 *
 *   in task context, not a kernel thread, at LOCAL_OUT, and the packet's
 *   socket is a full user socket (it has a file) that is also the socket
 *   that transmitted it (state->sk; tunnels transmit an inner socket's skb
 *   with their own kernel socket).
 *
 * Nothing here sleeps or allocates with anything but GFP_ATOMIC.
 */
#include <linux/bitops.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <net/ipv6.h>
#include <net/request_sock.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "flowpath.h"
#include "flowtable.h"
#include "hook.h"
#include "netns.h"
#include "params.h"
#include "proc.h"
#include "sk.h"
#include "sockowner.h"
#include "stats.h"

/*
 * Order of two addresses as numbers (16 bytes each, IPv4 zero-padded), as
 * memcmp() would order them, without its call: every packet compares.
 */
static __always_inline int ef_addr_cmp(const __be32 *a, const __be32 *b)
{
	/* ef_parse()'s arrays are u64 aligned */
	const __be64 *x = (const __be64 *)a, *y = (const __be64 *)b;
	u64 a0 = be64_to_cpu(x[0]), b0 = be64_to_cpu(y[0]);
	u64 a1 = be64_to_cpu(x[1]), b1 = be64_to_cpu(y[1]);

	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	return 0;
}

/* The packet's source goes to key side @side, its destination opposite. */
static __always_inline void ef_key_set_addrs(struct ef_key *k, u8 side,
					     const __be32 *src,
					     const __be32 *dst)
{
	if (k->family == AF_INET) {
		k->addr[side] = src[0];
		k->addr[!side] = dst[0];
	} else {
		memcpy(&k->addr[side * 4], src, 16);
		memcpy(&k->addr[!side * 4], dst, 16);
	}
}

/* ICMP queries: request type for a reply type, or -1 if not a reply. */
static int ef_icmp_request_of(u8 family, u8 type)
{
	if (family == AF_INET) {
		switch (type) {
		case ICMP_ECHOREPLY:		return ICMP_ECHO;
		case ICMP_TIMESTAMPREPLY:	return ICMP_TIMESTAMP;
		case ICMP_INFO_REPLY:		return ICMP_INFO_REQUEST;
		case ICMP_ADDRESSREPLY:		return ICMP_ADDRESS;
		}
	} else {
		switch (type) {
		case ICMPV6_ECHO_REPLY:		return ICMPV6_ECHO_REQUEST;
		case ICMPV6_NI_REPLY:		return ICMPV6_NI_QUERY;
		}
	}
	return -1;
}

static bool ef_icmp_is_request(u8 family, u8 type)
{
	if (family == AF_INET)
		return type == ICMP_ECHO || type == ICMP_TIMESTAMP ||
		       type == ICMP_INFO_REQUEST || type == ICMP_ADDRESS;
	return type == ICMPV6_ECHO_REQUEST || type == ICMPV6_NI_QUERY;
}

/* ICMP: queries are keyed requester first, by type/code/id. */
static void ef_key_icmp(struct ef_pkt *pkt, const __be32 *src,
			const __be32 *dst, const u8 *icmph)
{
	struct ef_key *k = &pkt->key;
	int req = ef_icmp_request_of(k->family, icmph[0]);
	bool query = req >= 0 || ef_icmp_is_request(k->family, icmph[0]);

	k->icmp_type = req >= 0 ? req : icmph[0];
	k->icmp_code = icmph[1];
	if (!query) {
		/* errors and the rest: both directions, no id */
		pkt->side = ef_addr_cmp(src, dst) > 0;
		ef_key_set_addrs(k, pkt->side, src, dst);
		pkt->init_side = pkt->side;
		return;
	}
	memcpy(&k->icmp_id, icmph + 4, sizeof(k->icmp_id));
	pkt->side = req >= 0;		/* a reply comes from the responder */
	ef_key_set_addrs(k, pkt->side, src, dst);
	pkt->init_side = 0;
}

/*
 * The initiator of a flow with ports, if this packet starts it: its
 * sender, unless it is a SYN-ACK seen first (the peer initiated). Needs
 * the key's protocol, the packet's side and its TCP flags.
 */
static __always_inline void ef_ports_init_side(struct ef_pkt *pkt)
{
	pkt->init_side = pkt->side;
	if (pkt->key.proto == IPPROTO_TCP &&
	    (pkt->tcp_flags & (TCPHDR_SYN | TCPHDR_ACK)) ==
	    (TCPHDR_SYN | TCPHDR_ACK))
		pkt->init_side = !pkt->side;
}

/* Ports: side 0 is the lower (address, port) pair. */
static __always_inline void ef_key_ports(struct ef_pkt *pkt,
					 const __be32 *src, const __be32 *dst,
					 __be16 sport, __be16 dport)
{
	struct ef_key *k = &pkt->key;
	/* src and dst are 16 bytes, zero-padded for IPv4 */
	int cmp = ef_addr_cmp(src, dst);

	if (!cmp)
		cmp = (int)ntohs(sport) - (int)ntohs(dport);
	pkt->side = cmp > 0;
	ef_key_set_addrs(k, pkt->side, src, dst);
	k->port[pkt->side] = sport;
	k->port[!pkt->side] = dport;
	ef_ports_init_side(pkt);
}

/*
 * What is not IPv4 TCP or UDP goes through ef_parse_other(), ef_parse_l4()
 * and ef_key_ports(): inlined into the hook, as calls they cost more than
 * their work (IPv6 is common too).
 */
static __always_inline bool ef_parse_l4(struct sk_buff *skb,
					struct ef_pkt *pkt, int thoff,
					bool fragment, const __be32 *src,
					const __be32 *dst)
{
	struct ef_key *k = &pkt->key;
	__be16 port[2] = {};
	u8 buf[20];
	const u8 *h;

	switch (k->proto) {
	case IPPROTO_TCP:
		if (fragment)
			break;
		h = skb_header_pointer(skb, thoff, sizeof(struct tcphdr), buf);
		if (!h)
			return false;
		pkt->tcp_flags = tcp_flag_byte((const struct tcphdr *)h);
		memcpy(port, h, sizeof(port));
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		if (fragment)
			break;
		h = skb_header_pointer(skb, thoff, sizeof(port), buf);
		if (!h)
			return false;
		memcpy(port, h, sizeof(port));
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (fragment ||
		    (k->proto == IPPROTO_ICMP) != (k->family == AF_INET))
			break;
		h = skb_header_pointer(skb, thoff, 8, buf);
		if (!h)
			return false;
		ef_key_icmp(pkt, src, dst, h);
		return true;
	}
	ef_key_ports(pkt, src, dst, port[0], port[1]);
	return true;
}

/*
 * IPv4 TCP and UDP, nearly every packet: the key without ef_parse_other()'s
 * 16-byte address buffers and without its clearing, ordered as
 * ef_key_ports() orders it (address, then port, as numbers). Under
 * CONFIG_INIT_STACK_ALL_ZERO every buffer on the stack costs its clearing:
 * @buf is only read where skb_header_pointer() filled it.
 */
static __always_inline bool ef_parse4_ports(struct sk_buff *skb,
					    struct ef_pkt *pkt,
					    const struct iphdr *iph, u8 proto)
{
	struct ef_key *k = &pkt->key;
	union {			/* aligned for the loads below */
		struct tcphdr th;
		__be16 port[2];
	} buf __uninitialized;
	__be32 saddr = iph->saddr, daddr = iph->daddr;
	const __be16 *port;
	u32 ports;
	u8 side;

	port = skb_header_pointer(skb, iph->ihl * 4,
				  proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
				  2 * sizeof(*port), &buf);
	if (!port)
		return false;
	if (likely(saddr != daddr))
		side = ntohl(saddr) > ntohl(daddr);
	else
		side = ntohs(port[0]) > ntohs(port[1]);
	memcpy(&ports, port, sizeof(ports));
	if (side) {
		/* the two ports trade places whatever the byte order */
		ports = ror32(ports, 16);
		swap(saddr, daddr);
	}
	k->family = AF_INET;
	k->proto = proto;
	k->pad[0] = 0;
	k->pad[1] = 0;
	memcpy(k->port, &ports, sizeof(k->port));
	k->addr[0] = saddr;
	k->addr[1] = daddr;
	pkt->side = side;
	if (proto == IPPROTO_TCP)
		pkt->tcp_flags = tcp_flag_byte((const struct tcphdr *)port);
	ef_ports_init_side(pkt);
	return true;
}

/* Everything else, field by field. */
static __always_inline bool ef_parse_other(struct sk_buff *skb,
					   const struct nf_hook_state *state,
					   struct ef_pkt *pkt)
{
	struct ef_key *k = &pkt->key;
	__be32 src[4] __aligned(8) = {}, dst[4] __aligned(8) = {};
	bool fragment;
	int thoff;

	/* what this key leaves unset must be equal in every packet */
	memset((u8 *)k + offsetofend(struct ef_key, netns_id), 0,
	       sizeof(*k) - offsetofend(struct ef_key, netns_id));
	if (state->pf == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		k->family = AF_INET;
		k->proto = iph->protocol;
		src[0] = iph->saddr;
		dst[0] = iph->daddr;
		thoff = iph->ihl * 4;
		fragment = ntohs(iph->frag_off) & IP_OFFSET;
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);
		__be16 frag_off = 0;
		u8 nexthdr = ip6h->nexthdr;

		k->family = AF_INET6;
		memcpy(src, &ip6h->saddr, sizeof(src));
		memcpy(dst, &ip6h->daddr, sizeof(dst));
		/* the common case without extension headers needs no walk */
		if (likely(nexthdr == IPPROTO_TCP || nexthdr == IPPROTO_UDP ||
			   nexthdr == IPPROTO_ICMPV6)) {
			thoff = sizeof(*ip6h);
			fragment = false;
		} else {
			thoff = ipv6_skip_exthdr(skb, sizeof(*ip6h), &nexthdr,
						 &frag_off);
			fragment = thoff < 0 || (frag_off & htons(~0x7));
		}
		/*
		 * LOCAL_IN sees IPv6 fragments (reassembly comes after it).
		 * The walk stops at a later fragment's header: key it under
		 * the protocol that header names (without ports), as IPv4
		 * does, not as protocol 44.
		 */
		if (thoff >= 0 && fragment && nexthdr == NEXTHDR_FRAGMENT) {
			const u8 *nh = skb_header_pointer(skb, thoff, 1,
							  &nexthdr);

			if (!nh)
				return false;
			nexthdr = *nh;
		}
		k->proto = nexthdr;
	}
	return ef_parse_l4(skb, pkt, thoff, fragment, src, dst);
}

/*
 * The packet's key (its first ef_key_len() bytes; the netns id is the
 * caller's), sides, length and TCP flags. Bytes of the key past
 * ef_key_len() are not set: nothing reads them.
 */
static __always_inline bool ef_parse(struct sk_buff *skb,
				     const struct nf_hook_state *state,
				     struct ef_pkt *pkt)
{
	pkt->len = skb->len;
	pkt->segs = skb_is_gso(skb) ? max_t(u32, 1,
					    skb_shinfo(skb)->gso_segs) : 1;
	if (state->pf == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);
		u8 proto = iph->protocol;

		if (likely((proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
			   !(iph->frag_off & htons(IP_OFFSET))))
			return ef_parse4_ports(skb, pkt, iph, proto);
	}
	return ef_parse_other(skb, state, pkt);
}

/*
 * Everything of @pkt that ef_parse() does not set. The hook's ef_pkt is
 * not cleared as a whole (nor by CONFIG_INIT_STACK_ALL_ZERO): a field
 * added to it needs its value here or in ef_parse().
 */
static __always_inline void ef_pkt_init(struct ef_pkt *pkt, u64 netns_id,
					const struct net_device *dev,
					bool out, bool loopback)
{
	BUILD_BUG_ON(sizeof(*pkt) != sizeof(struct ef_key) + 2 * sizeof(void *) +
		     2 * sizeof(u32) + 8);
	pkt->key.netns_id = netns_id;
	pkt->dev = dev;
	pkt->sk = NULL;
	pkt->out = out;
	pkt->tcp_flags = 0;
	pkt->loopback = loopback;
	pkt->gate = 0;
	pkt->user_sk = 0;
	pkt->kernel = 0;
}

/* Which socket this packet belongs to locally, and may we trust current. */
static void ef_classify_sock(struct sk_buff *skb,
			     const struct nf_hook_state *state,
			     struct ef_pkt *pkt)
{
	struct sock *sk = skb->sk;
	struct sock *tx = state->sk;

	/*
	 * At LOCAL_OUT the transmitting socket is state->sk. skb->sk may
	 * differ: an IPv6 SYN-ACK carries its request sock (transmitted by
	 * the listener; the accepted child inherits the request's cookie, so
	 * keep it), a tunnel's outer packet the inner app socket (not ours).
	 */
	if (pkt->out && tx && sk != tx &&
	    !(sk && sk->sk_state == TCP_NEW_SYN_RECV &&
	      inet_reqsk(sk)->rsk_listener == tx))
		sk = tx;
	if (sk) {
		pkt->sk = sk;
		pkt->user_sk = ef_sk_user(sk);
	}
	if (!pkt->out)
		return;
	pkt->kernel = !pkt->user_sk;
	pkt->gate = pkt->user_sk && sk == tx && sk_fullsock(sk) &&
		    in_task() && !(current->flags & PF_KTHREAD);
}

static void ef_account(struct ef_pkt *pkt)
{
	struct ef_proc *p = NULL;
	u64 cookie = 0;
	u8 method = EXEFLOW_M_NONE;
	int need;

	ef_stat_inc(EXEFLOW_S_PACKETS);
	need = ef_flow_packet(pkt, &cookie);
	if (need & EF_NEED_TASK) {
		p = ef_proc_get_current();
		method = EXEFLOW_M_TASK;
		if (p)
			ef_sockowner_set(cookie, p, false);
	}
	if (!p && (need & EF_NEED_OWNER))
		p = ef_sockowner_get(cookie, &method);
	if (p) {
		ef_flow_attach(pkt, cookie, p, method);
		ef_proc_put(p);
	}
}

static unsigned int ef_hook(void *priv, struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	const struct ef_net *en = priv;
	const struct net_device *dev;
	struct ef_pkt pkt __uninitialized;	/* ef_pkt_init(), ef_parse() */
	bool out, loopback = false;

	if (!ef_param(enabled))
		return NF_ACCEPT;

	out = state->hook == NF_INET_LOCAL_OUT;
	dev = out ? state->out : state->in;
	if (dev && (dev->flags & IFF_LOOPBACK)) {
		/* loopback packets are counted once, when sent */
		if (!ef_param(track_loopback) || !out)
			return NF_ACCEPT;
		loopback = true;
	}
	ef_pkt_init(&pkt, en->id, dev, out, loopback);
	if (!ef_parse(skb, state, &pkt))
		return NF_ACCEPT;
	ef_classify_sock(skb, state, &pkt);
	ef_account(&pkt);
	return NF_ACCEPT;
}

const struct nf_hook_ops ef_hook_ops[EF_NHOOKS] = {
	{
		.hook		= ef_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_FIRST,
	}, {
		.hook		= ef_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP_PRI_FIRST,
	}, {
		.hook		= ef_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP6_PRI_FIRST,
	}, {
		.hook		= ef_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP6_PRI_FIRST,
	},
};

#if IS_ENABLED(CONFIG_KUNIT) && defined(EXEFLOW_KUNIT)
#include "tests/hook_kunit.c"
#endif
#ifdef EXEFLOW_BENCH
#include "tests/hook_bench.c"
#endif
