/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One flow record as received from the module, decoded from netlink into
 * plain C. Shared by the netlink client, exeflowd and exeflowctl; the
 * nfcapd writer never sees this type (it takes its own flat record).
 */
#ifndef EXEFLOW_RECORD_H
#define EXEFLOW_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#define EF_COMM_LEN 16
#define EF_PATH_LEN 4096
#define EF_IFNAME_LEN 16

struct ef_proc {
	bool present;		/* EXEFLOW_F_PROC was there */
	uint32_t tgid, pid, ppid, sid, pgid;
	uint64_t start_ns;
	uint32_t uid, gid, euid, egid;
	char comm[EF_COMM_LEN + 1];
	char exe_path[EF_PATH_LEN];	/* "" when unknown */
	uint32_t exe_major, exe_minor;
	uint64_t exe_ino, exe_size, exe_mtime_ns;
	uint64_t cgroup_id;
	uint32_t pidns_inum;
	uint32_t flags;		/* EXEFLOW_PF_* */
};

struct ef_record {
	uint64_t seq;
	uint8_t event;		/* enum exeflow_event */
	uint64_t flow_id;
	uint64_t netns_id;
	uint8_t family;		/* AF_INET / AF_INET6 */
	uint8_t proto;
	uint8_t src[16], dst[16];	/* network order; v4 in the first 4 */
	uint16_t sport, dport;
	uint16_t icmp_id;
	uint8_t direction;	/* enum exeflow_direction */
	uint64_t fwd_packets, fwd_bytes, rev_packets, rev_bytes;
	uint8_t fwd_tcp_flags, rev_tcp_flags;
	uint64_t first_ns, last_ns;	/* wall clock */
	uint32_t in_ifindex, out_ifindex;
	char in_ifname[EF_IFNAME_LEN + 1], out_ifname[EF_IFNAME_LEN + 1];
	uint8_t end_reason;	/* enum exeflow_end_reason */
	uint8_t method;		/* enum exeflow_method */
	uint64_t sock_cookie;
	uint32_t sock_uid;
	bool has_sock_uid;
	uint64_t sock_cgroup;
	struct ef_proc proc;
};

#endif
