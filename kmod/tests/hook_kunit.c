// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the canonical flow key (included at the end of hook.c). Packets
 * are built as skbs and parsed by ef_parse() the way ef_hook() does it:
 * into a struct ef_pkt that is not cleared (here: filled with a pattern),
 * after ef_pkt_init().
 */
#include <linux/inet.h>
#include <linux/string.h>
#include <linux/udp.h>

#include "kunit.h"
#include "pktbuild.h"

#ifdef EF_HAVE_KUNIT_SUITES

#define EF_KT_NETNS	42

/* A packet as the hook has it before parsing: not cleared, initialised. */
static void ef_kt_pkt_init(struct ef_pkt *pkt, int pattern)
{
	memset(pkt, pattern, sizeof(*pkt));
	ef_pkt_init(pkt, EF_KT_NETNS, NULL, false, false);
}

/* Parse one IPv4/IPv6 packet carrying @l4 (@l4len bytes) like the hook. */
static bool ef_kt_parse(struct kunit *test, struct ef_pkt *pkt, u8 family,
			u8 proto, const char *src, const char *dst,
			const void *l4, unsigned int l4len, u16 frag_off)
{
	struct nf_hook_state state = {
		.pf = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6,
	};
	unsigned int nhlen = family == AF_INET ? sizeof(struct iphdr) :
						  sizeof(struct ipv6hdr);
	u8 saddr[16], daddr[16];
	struct sk_buff *skb;
	bool ok;

	if (family == AF_INET) {
		KUNIT_EXPECT_EQ(test, in4_pton(src, -1, saddr, -1, NULL), 1);
		KUNIT_EXPECT_EQ(test, in4_pton(dst, -1, daddr, -1, NULL), 1);
	} else {
		KUNIT_EXPECT_EQ(test, in6_pton(src, -1, saddr, -1, NULL), 1);
		KUNIT_EXPECT_EQ(test, in6_pton(dst, -1, daddr, -1, NULL), 1);
	}
	skb = ef_test_skb(family, proto, saddr, daddr, l4, l4len, frag_off);
	KUNIT_ASSERT_NOT_NULL(test, skb);

	ef_kt_pkt_init(pkt, 0xa5);
	ok = ef_parse(skb, &state, pkt);
	KUNIT_EXPECT_EQ(test, pkt->len, nhlen + l4len);
	kfree_skb(skb);
	return ok;
}

/* TCP (with @flags) or UDP from src:sport to dst:dport. */
static void ef_kt_ports(struct kunit *test, struct ef_pkt *pkt, u8 family,
			u8 proto, const char *src, u16 sport, const char *dst,
			u16 dport, u8 flags)
{
	union {
		struct tcphdr tcp;
		struct udphdr udp;
	} h = {};
	unsigned int len;

	if (proto == IPPROTO_TCP) {
		h.tcp.source = htons(sport);
		h.tcp.dest = htons(dport);
		h.tcp.doff = sizeof(h.tcp) / 4;
		tcp_flag_byte(&h.tcp) = flags;
		len = sizeof(h.tcp);
	} else {
		h.udp.source = htons(sport);
		h.udp.dest = htons(dport);
		h.udp.len = htons(sizeof(h.udp));
		len = sizeof(h.udp);
	}
	KUNIT_EXPECT_TRUE(test, ef_kt_parse(test, pkt, family, proto, src, dst,
					    &h, len, 0));
}

/* ICMP or ICMPv6 (by @family) type/code, identifier @id, sequence 1. */
static void ef_kt_icmp(struct kunit *test, struct ef_pkt *pkt, u8 family,
		       const char *src, const char *dst, u8 type, u8 code,
		       u16 id)
{
	u8 h[8] = { type, code, 0, 0, id >> 8, id & 0xff, 0, 1 };
	u8 proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;

	KUNIT_EXPECT_TRUE(test, ef_kt_parse(test, pkt, family, proto, src, dst,
					    h, sizeof(h), 0));
}

/*
 * Every byte of the key that is not part of its value must be zero: the
 * key's ef_key_len() bytes are compared as a whole. Clears the value
 * fields of a copy (the ports, or the ICMP type, code and identifier in
 * their space) and expects nothing else to be set.
 */
static void ef_kt_expect_clean(struct kunit *test, const struct ef_key *key)
{
	unsigned int alen = ef_key_alen(key), len = ef_key_len(key);
	struct ef_key k;

	memcpy(&k, key, sizeof(k));
	k.netns_id = 0;
	memset(ef_key_addr(&k, 0), 0, alen);
	memset(ef_key_addr(&k, 1), 0, alen);
	BUILD_BUG_ON(sizeof(k.port) != sizeof(k.icmp_id) +
		     sizeof(k.icmp_type) + sizeof(k.icmp_code));
	memset(k.port, 0, sizeof(k.port));
	k.family = 0;
	k.proto = 0;
	KUNIT_EXPECT_PTR_EQ_MSG(test, memchr_inv(&k, 0, len), NULL,
				"stray bytes in the key (proto %u)",
				key->proto);
}

/* Two packets of one flow: the same key and hash, sent by opposite sides. */
static void ef_kt_same_flow(struct kunit *test, const struct ef_pkt *a,
			    const struct ef_pkt *b)
{
	KUNIT_EXPECT_EQ(test, memcmp(&a->key, &b->key, ef_key_len(&a->key)), 0);
	KUNIT_EXPECT_EQ(test, ef_kunit_hash(&a->key), ef_kunit_hash(&b->key));
	KUNIT_EXPECT_NE(test, a->side, b->side);
	KUNIT_EXPECT_EQ(test, a->key.netns_id, (u64)EF_KT_NETNS);
	ef_kt_expect_clean(test, &a->key);
	ef_kt_expect_clean(test, &b->key);
}

static void ef_kt_expect_addr4(struct kunit *test, const __be32 *addr,
			       const char *want)
{
	__be32 a = 0;

	KUNIT_EXPECT_EQ(test, in4_pton(want, -1, (u8 *)&a, -1, NULL), 1);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(addr, &a, sizeof(a)), 0, "want %s",
			    want);
}

static void ef_kt_expect_addr6(struct kunit *test, const __be32 *addr,
			       const char *want)
{
	u8 a[16] = {};

	KUNIT_EXPECT_EQ(test, in6_pton(want, -1, a, -1, NULL), 1);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(addr, a, sizeof(a)), 0, "want %s",
			    want);
}

/* A TCP handshake: all three packets are one flow, the client initiated. */
static void ef_kt_tcp4_directions(struct kunit *test)
{
	struct ef_pkt syn, synack, ack;

	ef_kt_ports(test, &syn, AF_INET, IPPROTO_TCP, "10.0.0.2", 40000,
		    "10.0.0.1", 80, TCPHDR_SYN);
	ef_kt_ports(test, &synack, AF_INET, IPPROTO_TCP, "10.0.0.1", 80,
		    "10.0.0.2", 40000, TCPHDR_SYN | TCPHDR_ACK);
	ef_kt_ports(test, &ack, AF_INET, IPPROTO_TCP, "10.0.0.2", 40000,
		    "10.0.0.1", 80, TCPHDR_ACK);
	ef_kt_same_flow(test, &syn, &synack);
	ef_kt_same_flow(test, &synack, &ack);

	/* side 0 is the lower address */
	KUNIT_EXPECT_EQ(test, syn.key.family, AF_INET);
	KUNIT_EXPECT_EQ(test, syn.key.proto, IPPROTO_TCP);
	ef_kt_expect_addr4(test, ef_key_addr(&syn.key, 0), "10.0.0.1");
	ef_kt_expect_addr4(test, ef_key_addr(&syn.key, 1), "10.0.0.2");
	KUNIT_EXPECT_EQ(test, ntohs(syn.key.port[0]), 80);
	KUNIT_EXPECT_EQ(test, ntohs(syn.key.port[1]), 40000);
	KUNIT_EXPECT_EQ(test, syn.side, 1);
	KUNIT_EXPECT_EQ(test, syn.tcp_flags, TCPHDR_SYN);
	KUNIT_EXPECT_EQ(test, syn.segs, 1U);

	/* each packet names the client as the initiator: a SYN-ACK the peer */
	KUNIT_EXPECT_EQ(test, syn.init_side, 1);
	KUNIT_EXPECT_EQ(test, synack.init_side, 1);
	KUNIT_EXPECT_EQ(test, ack.init_side, 1);
}

/* Equal addresses (loopback): ports decide, compared as numbers. */
static void ef_kt_ports_tiebreak(struct kunit *test)
{
	struct ef_pkt a, b;

	ef_kt_ports(test, &a, AF_INET, IPPROTO_TCP, "127.0.0.1", 40000,
		    "127.0.0.1", 5000, TCPHDR_SYN);
	ef_kt_ports(test, &b, AF_INET, IPPROTO_TCP, "127.0.0.1", 5000,
		    "127.0.0.1", 40000, TCPHDR_SYN | TCPHDR_ACK);
	ef_kt_same_flow(test, &a, &b);
	KUNIT_EXPECT_EQ(test, ntohs(a.key.port[0]), 5000);
	KUNIT_EXPECT_EQ(test, a.init_side, a.side);
	KUNIT_EXPECT_EQ(test, b.init_side, a.side);

	/* 256 > 2 in host order, although its first network byte is lower */
	ef_kt_ports(test, &a, AF_INET, IPPROTO_UDP, "127.0.0.1", 256,
		    "127.0.0.1", 2, 0);
	ef_kt_ports(test, &b, AF_INET, IPPROTO_UDP, "127.0.0.1", 2,
		    "127.0.0.1", 256, 0);
	ef_kt_same_flow(test, &a, &b);
	KUNIT_EXPECT_EQ(test, ntohs(a.key.port[0]), 2);
	KUNIT_EXPECT_EQ(test, a.side, 1);
}

/* Tuples that differ only in port placement or protocol are other flows. */
static void ef_kt_distinct_flows(struct kunit *test)
{
	struct ef_pkt a, b;

	ef_kt_ports(test, &a, AF_INET, IPPROTO_UDP, "10.0.0.1", 1000,
		    "10.0.0.2", 2000, 0);
	ef_kt_ports(test, &b, AF_INET, IPPROTO_UDP, "10.0.0.1", 2000,
		    "10.0.0.2", 1000, 0);
	KUNIT_EXPECT_NE(test, memcmp(&a.key, &b.key, ef_key_len(&a.key)), 0);

	ef_kt_ports(test, &b, AF_INET, IPPROTO_TCP, "10.0.0.1", 1000,
		    "10.0.0.2", 2000, TCPHDR_SYN);
	KUNIT_EXPECT_NE(test, memcmp(&a.key, &b.key, ef_key_len(&a.key)), 0);
	KUNIT_EXPECT_NE(test, ef_kunit_hash(&a.key), ef_kunit_hash(&b.key));
}

/*
 * Every part of a key moves its hash: the namespace and the protocol (in
 * the seed), the ports and each address word. Two unrelated 32-bit hashes
 * are equal by chance once in 2^32 runs.
 */
static void ef_kt_hash_inputs(struct kunit *test)
{
	struct ef_pkt a, b;
	unsigned int i;

	ef_kt_ports(test, &a, AF_INET6, IPPROTO_UDP, "2001:db8::1", 1000,
		    "2001:db8::2", 2000, 0);
	for (i = 0; i < ARRAY_SIZE(a.key.addr); i++) {
		b = a;
		b.key.addr[i] ^= htonl(1);
		KUNIT_EXPECT_NE_MSG(test, ef_kunit_hash(&a.key),
				    ef_kunit_hash(&b.key), "word %u", i);
	}
	ef_kt_ports(test, &a, AF_INET, IPPROTO_UDP, "10.0.0.1", 1000,
		    "10.0.0.2", 2000, 0);
	for (i = 0; i < 2; i++) {
		b = a;
		b.key.addr[i] ^= htonl(1);
		KUNIT_EXPECT_NE_MSG(test, ef_kunit_hash(&a.key),
				    ef_kunit_hash(&b.key), "word %u", i);
	}
	b = a;
	b.key.port[1] ^= htons(1);
	KUNIT_EXPECT_NE(test, ef_kunit_hash(&a.key), ef_kunit_hash(&b.key));
	b = a;
	b.key.netns_id++;
	KUNIT_EXPECT_NE(test, ef_kunit_hash(&a.key), ef_kunit_hash(&b.key));
	b = a;
	b.key.proto = IPPROTO_UDPLITE;
	KUNIT_EXPECT_NE(test, ef_kunit_hash(&a.key), ef_kunit_hash(&b.key));
}

/* IPv6: 16-byte addresses ordered bytewise, both directions one flow. */
static void ef_kt_udp6_directions(struct kunit *test)
{
	struct ef_pkt q, r;

	ef_kt_ports(test, &q, AF_INET6, IPPROTO_UDP, "fe80::1", 40000,
		    "2001:db8::53", 53, 0);
	ef_kt_ports(test, &r, AF_INET6, IPPROTO_UDP, "2001:db8::53", 53,
		    "fe80::1", 40000, 0);
	ef_kt_same_flow(test, &q, &r);
	KUNIT_EXPECT_EQ(test, q.key.family, AF_INET6);
	ef_kt_expect_addr6(test, ef_key_addr(&q.key, 0), "2001:db8::53");
	ef_kt_expect_addr6(test, ef_key_addr(&q.key, 1), "fe80::1");
	KUNIT_EXPECT_EQ(test, ntohs(q.key.port[0]), 53);
	KUNIT_EXPECT_EQ(test, ntohs(q.key.port[1]), 40000);
	KUNIT_EXPECT_EQ(test, q.init_side, 1);
	KUNIT_EXPECT_EQ(test, r.init_side, 0);	/* a reply seen first */
}

/* ICMP queries: requester first (even the higher address), request type. */
static void ef_kt_icmp4_query(struct kunit *test)
{
	struct ef_pkt req, rep, other;

	ef_kt_icmp(test, &req, AF_INET, "10.0.0.9", "10.0.0.1", ICMP_ECHO, 0,
		   0x1234);
	ef_kt_icmp(test, &rep, AF_INET, "10.0.0.1", "10.0.0.9",
		   ICMP_ECHOREPLY, 0, 0x1234);
	ef_kt_same_flow(test, &req, &rep);
	ef_kt_expect_addr4(test, ef_key_addr(&req.key, 0), "10.0.0.9");
	KUNIT_EXPECT_EQ(test, req.key.icmp_type, ICMP_ECHO);
	KUNIT_EXPECT_EQ(test, req.key.icmp_code, 0);
	KUNIT_EXPECT_EQ(test, ntohs(req.key.icmp_id), 0x1234);
	KUNIT_EXPECT_EQ(test, req.side, 0);
	KUNIT_EXPECT_EQ(test, rep.side, 1);
	KUNIT_EXPECT_EQ(test, req.init_side, 0);
	KUNIT_EXPECT_EQ(test, rep.init_side, 0);

	ef_kt_icmp(test, &req, AF_INET, "10.0.0.9", "10.0.0.1",
		   ICMP_TIMESTAMP, 0, 7);
	ef_kt_icmp(test, &rep, AF_INET, "10.0.0.1", "10.0.0.9",
		   ICMP_TIMESTAMPREPLY, 0, 7);
	ef_kt_same_flow(test, &req, &rep);
	KUNIT_EXPECT_EQ(test, rep.key.icmp_type, ICMP_TIMESTAMP);

	/* the same id asked the other way round, or another id: other flows */
	ef_kt_icmp(test, &req, AF_INET, "10.0.0.9", "10.0.0.1", ICMP_ECHO, 0,
		   0x1234);
	ef_kt_icmp(test, &other, AF_INET, "10.0.0.1", "10.0.0.9", ICMP_ECHO, 0,
		   0x1234);
	KUNIT_EXPECT_NE(test, memcmp(&req.key, &other.key, ef_key_len(&req.key)),
			0);
	ef_kt_icmp(test, &other, AF_INET, "10.0.0.9", "10.0.0.1", ICMP_ECHO, 0,
		   0x1235);
	KUNIT_EXPECT_NE(test, memcmp(&req.key, &other.key, ef_key_len(&req.key)),
			0);
}

static void ef_kt_icmp6_query(struct kunit *test)
{
	struct ef_pkt req, rep;

	ef_kt_icmp(test, &req, AF_INET6, "2001:db8::9", "2001:db8::1",
		   ICMPV6_ECHO_REQUEST, 0, 0xbeef);
	ef_kt_icmp(test, &rep, AF_INET6, "2001:db8::1", "2001:db8::9",
		   ICMPV6_ECHO_REPLY, 0, 0xbeef);
	ef_kt_same_flow(test, &req, &rep);
	ef_kt_expect_addr6(test, ef_key_addr(&req.key, 0), "2001:db8::9");
	KUNIT_EXPECT_EQ(test, req.key.proto, IPPROTO_ICMPV6);
	KUNIT_EXPECT_EQ(test, req.key.icmp_type, ICMPV6_ECHO_REQUEST);
	KUNIT_EXPECT_EQ(test, ntohs(req.key.icmp_id), 0xbeef);
	KUNIT_EXPECT_EQ(test, rep.init_side, 0);

	ef_kt_icmp(test, &req, AF_INET6, "2001:db8::9", "2001:db8::1",
		   ICMPV6_NI_QUERY, 0, 3);
	ef_kt_icmp(test, &rep, AF_INET6, "2001:db8::1", "2001:db8::9",
		   ICMPV6_NI_REPLY, 0, 3);
	ef_kt_same_flow(test, &req, &rep);
	KUNIT_EXPECT_EQ(test, rep.key.icmp_type, ICMPV6_NI_QUERY);
}

/* ICMP errors: no identifier (bytes 4-7 are not one), address order. */
static void ef_kt_icmp_error(struct kunit *test)
{
	struct ef_pkt a, b;

	ef_kt_icmp(test, &a, AF_INET, "10.0.0.9", "10.0.0.1", ICMP_DEST_UNREACH,
		   ICMP_PORT_UNREACH, 0x0101);
	ef_kt_icmp(test, &b, AF_INET, "10.0.0.1", "10.0.0.9", ICMP_DEST_UNREACH,
		   ICMP_PORT_UNREACH, 0x0202);
	ef_kt_same_flow(test, &a, &b);
	ef_kt_expect_addr4(test, ef_key_addr(&a.key, 0), "10.0.0.1");
	KUNIT_EXPECT_EQ(test, a.key.icmp_type, ICMP_DEST_UNREACH);
	KUNIT_EXPECT_EQ(test, a.key.icmp_code, ICMP_PORT_UNREACH);
	KUNIT_EXPECT_EQ(test, ntohs(a.key.icmp_id), 0);
	KUNIT_EXPECT_EQ(test, a.init_side, a.side);

	ef_kt_icmp(test, &a, AF_INET6, "2001:db8::9", "2001:db8::1",
		   ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0x0101);
	ef_kt_icmp(test, &b, AF_INET6, "2001:db8::1", "2001:db8::9",
		   ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0);
	ef_kt_same_flow(test, &a, &b);
	ef_kt_expect_addr6(test, ef_key_addr(&a.key, 0), "2001:db8::1");
}

/* IPv4 fragments: ports only from the first one. */
static void ef_kt_fragment4(struct kunit *test)
{
	struct tcphdr th = { .source = htons(1), .dest = htons(2), .doff = 5 };
	struct ef_pkt a, b;

	KUNIT_EXPECT_TRUE(test, ef_kt_parse(test, &a, AF_INET, IPPROTO_TCP,
					    "10.0.0.2", "10.0.0.1", &th,
					    sizeof(th), 185));
	KUNIT_EXPECT_TRUE(test, ef_kt_parse(test, &b, AF_INET, IPPROTO_TCP,
					    "10.0.0.1", "10.0.0.2", &th,
					    sizeof(th), IP_MF | 185));
	ef_kt_same_flow(test, &a, &b);
	KUNIT_EXPECT_EQ(test, ntohs(a.key.port[0]), 0);
	KUNIT_EXPECT_EQ(test, ntohs(a.key.port[1]), 0);
	KUNIT_EXPECT_EQ(test, a.tcp_flags, 0);

	KUNIT_EXPECT_TRUE(test, ef_kt_parse(test, &a, AF_INET, IPPROTO_TCP,
					    "10.0.0.2", "10.0.0.1", &th,
					    sizeof(th), IP_MF));
	KUNIT_EXPECT_EQ(test, ntohs(a.key.port[0]), 2);
}

/*
 * IPv6 fragments reach LOCAL_IN before reassembly. The first carries the
 * ports; the later ones are keyed by the protocol their fragment header
 * names, without ports (not as protocol 44), both ways alike.
 */
static void ef_kt_fragment6(struct kunit *test)
{
	struct {
		struct frag_hdr fh;
		struct udphdr uh;
	} first = {
		.fh = { .nexthdr = IPPROTO_UDP, .frag_off = htons(IP6_MF) },
		.uh = { .source = htons(53), .dest = htons(5353) },
	}, later = first;
	struct ef_pkt a, b;

	KUNIT_EXPECT_TRUE(test, ef_kt_parse(test, &a, AF_INET6, NEXTHDR_FRAGMENT,
					    "2001:db8::1", "2001:db8::2",
					    &first, sizeof(first), 0));
	KUNIT_EXPECT_EQ(test, a.key.proto, IPPROTO_UDP);
	KUNIT_EXPECT_EQ(test, ntohs(a.key.port[0]), 53);
	KUNIT_EXPECT_EQ(test, ntohs(a.key.port[1]), 5353);

	later.fh.frag_off = htons(185 << 3);
	KUNIT_EXPECT_TRUE(test, ef_kt_parse(test, &a, AF_INET6, NEXTHDR_FRAGMENT,
					    "2001:db8::1", "2001:db8::2",
					    &later, sizeof(later), 0));
	KUNIT_EXPECT_TRUE(test, ef_kt_parse(test, &b, AF_INET6, NEXTHDR_FRAGMENT,
					    "2001:db8::2", "2001:db8::1",
					    &later, sizeof(later), 0));
	ef_kt_same_flow(test, &a, &b);
	KUNIT_EXPECT_EQ(test, a.key.proto, IPPROTO_UDP);
	KUNIT_EXPECT_EQ(test, ntohs(a.key.port[0]), 0);
	KUNIT_EXPECT_EQ(test, ntohs(a.key.port[1]), 0);
	ef_kt_expect_clean(test, &a.key);
}

/* A packet too short for its L4 header is not accounted. */
static void ef_kt_truncated(struct kunit *test)
{
	u8 h[20] = {};
	struct ef_pkt p;

	KUNIT_EXPECT_FALSE(test, ef_kt_parse(test, &p, AF_INET, IPPROTO_TCP,
					     "10.0.0.2", "10.0.0.1", h, 19, 0));
	KUNIT_EXPECT_FALSE(test, ef_kt_parse(test, &p, AF_INET6, IPPROTO_UDP,
					     "::1", "::2", h, 3, 0));
	KUNIT_EXPECT_FALSE(test, ef_kt_parse(test, &p, AF_INET, IPPROTO_ICMP,
					     "10.0.0.2", "10.0.0.1", h, 7, 0));
	/* other protocols need no L4 header */
	KUNIT_EXPECT_TRUE(test, ef_kt_parse(test, &p, AF_INET, IPPROTO_GRE,
					    "10.0.0.2", "10.0.0.1", h, 0, 0));
	ef_kt_expect_clean(test, &p.key);
}

/*
 * IPv4 TCP and UDP take ef_parse4_ports(); everything else the general
 * parse, which must give them the same key, sides and flags. Both parse
 * the same packets: addresses equal or not, ports from a set with equal,
 * byte-swapped and extreme values, any TCP flags, with and without IP
 * options, first fragments, transport headers cut short.
 */
static void ef_kt_ipv4_fast_path(struct kunit *test)
{
	static const u16 ports[] = { 0, 1, 2, 255, 256, 5201, 40000, 65535 };
	static const __be32 addrs[] = {
		htonl(0x0a000001), htonl(0x0a000002), htonl(0x7f000001),
		htonl(0xc0a80101), htonl(0x0100000a), htonl(0xffffffff),
	};
	struct nf_hook_state state = { .pf = NFPROTO_IPV4 };
	u32 x = 2463534242U;	/* xorshift32: the same packets every run */
	unsigned int i, fast = 0;

	for (i = 0; i < 4000; i++) {
		union {
			struct tcphdr tcp;
			struct udphdr udp;
		} h = {};
		u8 l4[4 + sizeof(h)];
		u8 proto = i & 1 ? IPPROTO_TCP : IPPROTO_UDP;
		unsigned int len = proto == IPPROTO_TCP ? sizeof(h.tcp) :
							  sizeof(h.udp);
		unsigned int opt;
		__be32 src, dst;
		struct ef_pkt a, b;
		struct sk_buff *skb;
		bool ok;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		src = addrs[x % ARRAY_SIZE(addrs)];
		dst = addrs[(x >> 4) % ARRAY_SIZE(addrs)];
		h.udp.source = htons(ports[(x >> 8) % ARRAY_SIZE(ports)]);
		h.udp.dest = htons(ports[(x >> 12) % ARRAY_SIZE(ports)]);
		if (proto == IPPROTO_TCP) {
			h.tcp.doff = sizeof(h.tcp) / 4;
			tcp_flag_byte(&h.tcp) = x >> 16;
		}
		opt = x >> 24 & 1 ? 4 : 0;
		if (!(x >> 25 & 15))
			len = (x >> 27) % len;	/* cut short */
		/* four NOPs as an IP option: the L4 header moves */
		memset(l4, IPOPT_NOOP, opt);
		memcpy(l4 + opt, &h, len);
		skb = ef_test_skb(AF_INET, proto, &src, &dst, l4, opt + len,
				  x & 0x100000 ? IP_MF : 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		ip_hdr(skb)->ihl += opt / 4;
		ef_kt_pkt_init(&a, 0xa5);
		ef_kt_pkt_init(&b, 0x5a);
		ok = ef_parse4_ports(skb, &a, ip_hdr(skb), proto);
		KUNIT_EXPECT_EQ_MSG(test, ok, ef_parse_other(skb, &state, &b),
				    "packet %u", i);
		kfree_skb(skb);
		if (!ok)
			continue;
		fast++;
		KUNIT_EXPECT_EQ_MSG(test, memcmp(&a.key, &b.key,
						 ef_key_len(&b.key)), 0,
				    "packet %u: key", i);
		KUNIT_EXPECT_EQ_MSG(test, a.side, b.side, "packet %u", i);
		KUNIT_EXPECT_EQ_MSG(test, a.init_side, b.init_side,
				    "packet %u", i);
		KUNIT_EXPECT_EQ_MSG(test, a.tcp_flags, b.tcp_flags,
				    "packet %u", i);
		ef_kt_expect_clean(test, &a.key);
	}
	/* most packets are whole; some were cut short */
	KUNIT_EXPECT_GT(test, fast, 3000U);
	KUNIT_EXPECT_LT(test, fast, 4000U);
}

/*
 * The key is compared as words, so every byte must belong to a named
 * field: the parse clears or sets every named byte, but C does not
 * promise that assignment or member stores keep padding bytes. The ports
 * and the addresses are hashed as one run of words (ef_hash()).
 */
static void ef_kt_key_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, offsetofend(struct ef_key, pad),
			offsetof(struct ef_key, port));
	KUNIT_EXPECT_EQ(test, offsetofend(struct ef_key, port),
			offsetof(struct ef_key, addr));
	KUNIT_EXPECT_EQ(test, offsetofend(struct ef_key, addr),
			sizeof(struct ef_key));
	KUNIT_EXPECT_EQ(test, EF_KEY_LEN4 % sizeof(u32), 0);
	KUNIT_EXPECT_EQ(test, EF_KEY_LEN6 % sizeof(u32), 0);
	/* the key ends the flow: IPv4 flows are allocated shorter */
	KUNIT_EXPECT_EQ(test, offsetofend(struct ef_flow, key),
			sizeof(struct ef_flow));
}

static struct kunit_case ef_key_cases[] = {
	KUNIT_CASE(ef_kt_tcp4_directions),
	KUNIT_CASE(ef_kt_ports_tiebreak),
	KUNIT_CASE(ef_kt_distinct_flows),
	KUNIT_CASE(ef_kt_hash_inputs),
	KUNIT_CASE(ef_kt_udp6_directions),
	KUNIT_CASE(ef_kt_icmp4_query),
	KUNIT_CASE(ef_kt_icmp6_query),
	KUNIT_CASE(ef_kt_icmp_error),
	KUNIT_CASE(ef_kt_fragment4),
	KUNIT_CASE(ef_kt_fragment6),
	KUNIT_CASE(ef_kt_truncated),
	KUNIT_CASE(ef_kt_ipv4_fast_path),
	KUNIT_CASE(ef_kt_key_layout),
	{}
};

struct kunit_suite ef_key_suite = {
	.name = "exeflow_key",
	.test_cases = ef_key_cases,
};

#endif /* EF_HAVE_KUNIT_SUITES */
