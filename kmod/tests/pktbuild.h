/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One IPv4 or IPv6 packet as an skb, for the KUnit suites and the hook
 * benchmark: the network header at the start (no options or extension
 * headers), then @l4len bytes of @l4. @src and @dst are 4 or 16 bytes by
 * family.
 */
#ifndef EXEFLOW_TESTS_PKTBUILD_H
#define EXEFLOW_TESTS_PKTBUILD_H

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>

static inline struct sk_buff *ef_test_skb(u8 family, u8 proto,
					  const void *src, const void *dst,
					  const void *l4, unsigned int l4len,
					  u16 frag_off)
{
	unsigned int nhlen = family == AF_INET ? sizeof(struct iphdr) :
						  sizeof(struct ipv6hdr);
	struct sk_buff *skb = alloc_skb(nhlen + l4len, GFP_KERNEL);

	if (!skb)
		return NULL;
	skb_reset_network_header(skb);
	if (family == AF_INET) {
		struct iphdr *iph = skb_put_zero(skb, sizeof(*iph));

		iph->version = 4;
		iph->ihl = 5;
		iph->ttl = 64;
		iph->protocol = proto;
		iph->frag_off = htons(frag_off);
		iph->tot_len = htons(nhlen + l4len);
		memcpy(&iph->saddr, src, 4);
		memcpy(&iph->daddr, dst, 4);
	} else {
		struct ipv6hdr *ip6h = skb_put_zero(skb, sizeof(*ip6h));

		ip6h->version = 6;
		ip6h->nexthdr = proto;
		ip6h->hop_limit = 64;
		ip6h->payload_len = htons(l4len);
		memcpy(&ip6h->saddr, src, 16);
		memcpy(&ip6h->daddr, dst, 16);
	}
	skb_set_transport_header(skb, nhlen);
	if (l4len)
		skb_put_data(skb, l4, l4len);
	return skb;
}

#endif /* EXEFLOW_TESTS_PKTBUILD_H */
