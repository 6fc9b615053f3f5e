// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the packet path, included at the end of hook.c only in a
 * bench build (EXEFLOW_BENCH=1, bench/hookbench.sh): writing N to the
 * bench_hook parameter sends one prebuilt skb N times through init_net's
 * hook (nf_hook(), which calls ef_hook()) for each kind of packet below,
 * and reading it gives nanoseconds per packet.
 * No socket is attached, so it is the part every packet pays: parse,
 * hash, lookup under the stripe lock, counters. The "new" kind creates a
 * flow per call (the per-connection cost); load a fresh module for each
 * measurement so that it starts from an empty table. The "cold" kind
 * reads EF_BH_COLD_PAGES other pages before each call, as the rest of the
 * network stack does between two packets, and subtracts the same loop
 * without the call: under QEMU TCG every page the hook touches then costs
 * a soft-TLB refill, which the warm kinds never see.
 */
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/udp.h>
#include <linux/vmalloc.h>

#include "pktbuild.h"

#define EF_BH_COLD_PAGES	256	/* read before each call */
#define EF_BH_COLD_AREA		4096	/* pages read round robin */

enum {
	EF_BH_UDP4_IN, EF_BH_TCP4_OUT, EF_BH_UDP6_IN, EF_BH_UDP4_NEW,
	EF_BH_UDP4_COLD, EF_BH_KINDS
};

static const char *const ef_bh_name[EF_BH_KINDS] = {
	"udp4_in", "tcp4_out", "udp6_in", "udp4_new", "udp4_cold",
};

static u64 ef_bh_ps[EF_BH_KINDS];	/* picoseconds per call */
static unsigned int ef_bh_calls;

/* fd00::1 or 10.0.0.1 port 40000 to ::2 or .2 port 5201: TCP ACK, UDP */
static struct sk_buff *ef_bh_skb(u8 family, u8 proto)
{
	u8 src[16] = { 0xfd, [15] = 1 }, dst[16] = { 0xfd, [15] = 2 };
	__be32 src4 = htonl(0x0a000001), dst4 = htonl(0x0a000002);
	union {
		struct tcphdr tcp;
		u8 udp[sizeof(struct udphdr) + 64];
	} h = {};
	struct udphdr *uh = (struct udphdr *)h.udp;
	unsigned int len;

	if (proto == IPPROTO_TCP) {
		h.tcp.source = htons(40000);
		h.tcp.dest = htons(5201);
		h.tcp.doff = 5;
		h.tcp.ack = 1;
		len = sizeof(h.tcp);
	} else {
		uh->source = htons(40000);
		uh->dest = htons(5201);
		uh->len = htons(sizeof(h.udp));
		len = sizeof(h.udp);
	}
	if (family == AF_INET)
		return ef_test_skb(family, proto, &src4, &dst4, &h, len, 0);
	return ef_test_skb(family, proto, src, dst, &h, len, 0);
}

/* Read EF_BH_COLD_PAGES pages of @area from page @*next on. */
static unsigned long ef_bh_evict(const u8 *area, unsigned int *next)
{
	unsigned long sum = 0;
	unsigned int i;

	for (i = 0; i < EF_BH_COLD_PAGES; i++) {
		sum += READ_ONCE(area[(size_t)*next * PAGE_SIZE +
				      (*next % 64) * 64]);
		*next = (*next + 1) % EF_BH_COLD_AREA;
	}
	return sum;
}

static int ef_bh_okfn(struct net *net, struct sock *sk, struct sk_buff *skb)
{
	return 0;
}

/*
 * One packet through netfilter as the stack sends it, in init_net: the
 * hook entry, the indirect call and our priv, as every packet pays them.
 */
static void ef_bh_call(u8 pf, unsigned int hook, struct sk_buff *skb)
{
	nf_hook(pf, hook, &init_net, NULL, skb, NULL, NULL, ef_bh_okfn);
}

/*
 * @n packets of @kind, in chunks; with @area, each chunk is followed by
 * the same chunk without the packets, whose time is subtracted
 * (alternating closely, so that both see the same host).
 */
static u64 ef_bh_loop(int kind, unsigned int n, u8 pf, unsigned int hook,
		      struct sk_buff *skb, const u8 *area)
{
	bool softirq = hook == NF_INET_LOCAL_IN;
	struct iphdr *iph = ip_hdr(skb);
	unsigned int i = 0, j, next = 0, chunk;
	unsigned long sum = 0;
	u64 t0, t1, with = 0, without = 0;

	while (i < n) {
		chunk = min(n - i, 256U);
		/* LOCAL_IN runs in softirq: softirqs off */
		if (softirq)
			local_bh_disable();
		t0 = ktime_get_ns();
		for (j = 0; j < chunk; j++, i++) {
			if (area)
				sum += ef_bh_evict(area, &next);
			/* 198.18.0.0/15, one flow each */
			if (kind == EF_BH_UDP4_NEW)
				iph->daddr = htonl(0xc6120000 + (i & 0x1ffff));
			ef_bh_call(pf, hook, skb);
		}
		t1 = ktime_get_ns();
		with += t1 - t0;
		if (area) {
			for (j = 0; j < chunk; j++)
				sum += ef_bh_evict(area, &next);
			without += ktime_get_ns() - t1;
		}
		if (softirq)
			local_bh_enable();
	}
	barrier_data(&sum);
	return with > without ? with - without : 0;
}

static int ef_bh_run(int kind, unsigned int n, u64 *ps)
{
	static const u8 family[] = { AF_INET, AF_INET, AF_INET6, AF_INET,
				     AF_INET };
	static const u8 proto[] = { IPPROTO_UDP, IPPROTO_TCP, IPPROTO_UDP,
				    IPPROTO_UDP, IPPROTO_UDP };
	u8 pf = family[kind] == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	unsigned int hook = kind == EF_BH_TCP4_OUT ? NF_INET_LOCAL_OUT :
						     NF_INET_LOCAL_IN;
	struct sk_buff *skb = ef_bh_skb(family[kind], proto[kind]);
	u8 *area = NULL;

	if (!skb)
		return -ENOMEM;
	if (kind == EF_BH_UDP4_COLD) {
		area = vzalloc((size_t)EF_BH_COLD_AREA * PAGE_SIZE);
		if (!area) {
			kfree_skb(skb);
			return -ENOMEM;
		}
	}
	/* the first packet creates the flow the others find */
	if (kind != EF_BH_UDP4_NEW)
		ef_bh_call(pf, hook, skb);
	*ps = div64_u64(ef_bh_loop(kind, n, pf, hook, skb, area) * 1000, n);
	vfree(area);
	kfree_skb(skb);
	return 0;
}

static int ef_bh_set(const char *buf, const struct kernel_param *kp)
{
	unsigned int n;
	int kind, err;

	err = kstrtouint(buf, 0, &n);
	if (err || !n || n > 10000000)
		return -EINVAL;
	for (kind = 0; kind < EF_BH_KINDS; kind++) {
		/* new flows: at most what the table holds */
		unsigned int k = kind == EF_BH_UDP4_NEW ?
				 min(n / 4, ef_param(max_flows) / 2) :
				 kind == EF_BH_UDP4_COLD ? n / 8 : n;

		err = ef_bh_run(kind, max(k, 1U), &ef_bh_ps[kind]);
		if (err)
			return err;
	}
	ef_bh_calls = n;
	return 0;
}

static int ef_bh_get(char *buf, const struct kernel_param *kp)
{
	int len = sysfs_emit(buf, "calls=%u", ef_bh_calls);
	int kind;

	for (kind = 0; kind < EF_BH_KINDS; kind++)
		len += sysfs_emit_at(buf, len, " %s=%llu.%03llu",
				     ef_bh_name[kind], ef_bh_ps[kind] / 1000,
				     ef_bh_ps[kind] % 1000);
	return len + sysfs_emit_at(buf, len, "\n");
}

static const struct kernel_param_ops ef_bh_ops = {
	.set = ef_bh_set,
	.get = ef_bh_get,
};
module_param_cb(bench_hook, &ef_bh_ops, NULL, 0600);
MODULE_PARM_DESC(bench_hook, "Bench build only: run N hook calls per kind; read: ns per call");
