/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * exeflow: endpoint flow records attributed to the owning process.
 *
 * Generic netlink family "EXEFLOW", version 1, initial network namespace
 * only. Every command needs CAP_NET_ADMIN in the initial user namespace; an
 * unprivileged caller gets -EPERM. Attribute ids are append-only: a reader
 * ignores ids it does not know, a writer never renumbers or retypes one.
 *
 * EXEFLOW_CMD_REGISTER
 *   The caller's socket becomes the single export target. Records are sent
 *   to it as unicast EXEFLOW_CMD_RECORDS messages. A second REGISTER from
 *   another socket takes over (the old one stops receiving). Replies with
 *   the same attributes as GET_STATS.
 *
 * EXEFLOW_CMD_UNREGISTER
 *   Stops export to the caller's socket (closing the socket does the same).
 *
 * EXEFLOW_CMD_RECORDS (kernel -> listener, unicast)
 *   EXEFLOW_A_FLOW: NLA_NESTED, repeated, one per record
 *     EXEFLOW_F_SEQ:           NLA_U64   per-listener record sequence, from 1
 *     EXEFLOW_F_EVENT:         NLA_U8    enum exeflow_event
 *     EXEFLOW_F_FLOW_ID:       NLA_U64   unique for the module's lifetime
 *     EXEFLOW_F_NETNS_ID:      NLA_U64   module-assigned, never reused
 *     EXEFLOW_F_FAMILY:        NLA_U8    AF_INET or AF_INET6
 *     EXEFLOW_F_PROTO:         NLA_U8    IPPROTO_*
 *     EXEFLOW_F_SRC_ADDR:      NLA_BINARY 4 or 16 bytes, network order;
 *                                        the initiator of the flow
 *     EXEFLOW_F_DST_ADDR:      NLA_BINARY 4 or 16 bytes, the responder
 *     EXEFLOW_F_SRC_PORT:      NLA_U16   host order (0 for ICMP)
 *     EXEFLOW_F_DST_PORT:      NLA_U16   host order; ICMP: type << 8 | code
 *     EXEFLOW_F_ICMP_ID:       NLA_U16   ICMP echo identifier
 *     EXEFLOW_F_DIRECTION:     NLA_U8    enum exeflow_direction
 *     EXEFLOW_F_FWD_PACKETS:   NLA_U64   initiator -> responder, GSO segments
 *     EXEFLOW_F_FWD_BYTES:     NLA_U64   L3 bytes
 *     EXEFLOW_F_REV_PACKETS:   NLA_U64   responder -> initiator
 *     EXEFLOW_F_REV_BYTES:     NLA_U64
 *     EXEFLOW_F_FWD_TCP_FLAGS: NLA_U8    OR of TCP flags seen
 *     EXEFLOW_F_REV_TCP_FLAGS: NLA_U8
 *     EXEFLOW_F_FIRST_NS:      NLA_U64   wall clock, ns since the epoch
 *     EXEFLOW_F_LAST_NS:       NLA_U64
 *     EXEFLOW_F_IN_IFINDEX:    NLA_U32   interface packets arrived on
 *     EXEFLOW_F_OUT_IFINDEX:   NLA_U32   interface packets left on
 *     EXEFLOW_F_END_REASON:    NLA_U8    enum exeflow_end_reason
 *     EXEFLOW_F_METHOD:        NLA_U8    enum exeflow_method
 *     EXEFLOW_F_SOCK_COOKIE:   NLA_U64   socket cookie (as SO_COOKIE)
 *     EXEFLOW_F_SOCK_UID:      NLA_U32   socket owner uid (initial userns)
 *     EXEFLOW_F_SOCK_CGROUP:   NLA_U64   socket cgroup v2 id; only in
 *                                        records without EXEFLOW_F_PROC,
 *                                        whose process carries its own
 *                                        (EXEFLOW_P_CGROUP_ID)
 *     EXEFLOW_F_PROC:          NLA_NESTED owning process, absent if unknown
 *       EXEFLOW_P_TGID, _PID, _PPID, _SID, _PGID:  NLA_U32 (initial pid ns)
 *       EXEFLOW_P_START_NS:    NLA_U64   boot-time start of the group leader
 *       EXEFLOW_P_UID, _GID, _EUID, _EGID: NLA_U32 (initial user ns)
 *       EXEFLOW_P_COMM:        NLA_NUL_STRING group leader's comm
 *       EXEFLOW_P_EXE_PATH:    NLA_NUL_STRING as seen from the initial
 *                                        mount namespace root; absent when
 *                                        the process had no executable
 *       EXEFLOW_P_EXE_MAJOR, _EXE_MINOR: NLA_U32 device of the executable
 *       EXEFLOW_P_EXE_INO:     NLA_U64
 *       EXEFLOW_P_EXE_SIZE:    NLA_U64
 *       EXEFLOW_P_EXE_MTIME_NS: NLA_U64
 *       EXEFLOW_P_CGROUP_ID:   NLA_U64   cgroup v2 id (inode in cgroupfs)
 *       EXEFLOW_P_PIDNS_INUM:  NLA_U32
 *       EXEFLOW_P_FLAGS:       NLA_U32   EXEFLOW_PF_* bits
 *     EXEFLOW_F_IN_IFNAME:     NLA_NUL_STRING name of IN_IFINDEX, if known
 *     EXEFLOW_F_OUT_IFNAME:    NLA_NUL_STRING name of OUT_IFINDEX, if known
 *
 * EXEFLOW_CMD_GET_FLOWS (dump)
 *   One EXEFLOW_A_FLOW per live flow (EVENT = EXEFLOW_EV_LIVE, SEQ = 0).
 *
 * EXEFLOW_CMD_GET_STATS
 *   Reply: EXEFLOW_A_VERSION (NLA_U32, EXEFLOW_GENL_VERSION),
 *          EXEFLOW_A_LISTENER (NLA_U32 portid, 0 = none),
 *          EXEFLOW_A_LAST_SEQ (NLA_U64: sequence number of the last record
 *            numbered for the current listener, delivered or dropped, so
 *            that drops after the last delivered record show as a gap too),
 *          EXEFLOW_A_STATS: NLA_NESTED of NLA_U64 counters, enum exeflow_stat.
 *
 * EXEFLOW_CMD_FLUSH
 *   Ends every live flow now (END_REASON = EXEFLOW_END_FLUSH) and sends the
 *   records to the listener before replying with the GET_STATS attributes.
 */
#ifndef _UAPI_EXEFLOW_H
#define _UAPI_EXEFLOW_H

#define EXEFLOW_GENL_NAME	"EXEFLOW"
#define EXEFLOW_GENL_VERSION	1

enum exeflow_cmd {
	EXEFLOW_CMD_UNSPEC,
	EXEFLOW_CMD_REGISTER,
	EXEFLOW_CMD_UNREGISTER,
	EXEFLOW_CMD_RECORDS,
	EXEFLOW_CMD_GET_FLOWS,
	EXEFLOW_CMD_GET_STATS,
	EXEFLOW_CMD_FLUSH,
	__EXEFLOW_CMD_MAX
};
#define EXEFLOW_CMD_MAX (__EXEFLOW_CMD_MAX - 1)

enum exeflow_attr {
	EXEFLOW_A_UNSPEC,
	EXEFLOW_A_PAD,
	EXEFLOW_A_FLOW,
	EXEFLOW_A_STATS,
	EXEFLOW_A_VERSION,
	EXEFLOW_A_LISTENER,
	EXEFLOW_A_LAST_SEQ,
	__EXEFLOW_A_MAX
};
#define EXEFLOW_A_MAX (__EXEFLOW_A_MAX - 1)

enum exeflow_flow_attr {
	EXEFLOW_F_UNSPEC,
	EXEFLOW_F_PAD,
	EXEFLOW_F_SEQ,
	EXEFLOW_F_EVENT,
	EXEFLOW_F_FLOW_ID,
	EXEFLOW_F_NETNS_ID,
	EXEFLOW_F_FAMILY,
	EXEFLOW_F_PROTO,
	EXEFLOW_F_SRC_ADDR,
	EXEFLOW_F_DST_ADDR,
	EXEFLOW_F_SRC_PORT,
	EXEFLOW_F_DST_PORT,
	EXEFLOW_F_ICMP_ID,
	EXEFLOW_F_DIRECTION,
	EXEFLOW_F_FWD_PACKETS,
	EXEFLOW_F_FWD_BYTES,
	EXEFLOW_F_REV_PACKETS,
	EXEFLOW_F_REV_BYTES,
	EXEFLOW_F_FWD_TCP_FLAGS,
	EXEFLOW_F_REV_TCP_FLAGS,
	EXEFLOW_F_FIRST_NS,
	EXEFLOW_F_LAST_NS,
	EXEFLOW_F_IN_IFINDEX,
	EXEFLOW_F_OUT_IFINDEX,
	EXEFLOW_F_END_REASON,
	EXEFLOW_F_METHOD,
	EXEFLOW_F_SOCK_COOKIE,
	EXEFLOW_F_SOCK_UID,
	EXEFLOW_F_SOCK_CGROUP,
	EXEFLOW_F_PROC,
	EXEFLOW_F_IN_IFNAME,
	EXEFLOW_F_OUT_IFNAME,
	__EXEFLOW_F_MAX
};
#define EXEFLOW_F_MAX (__EXEFLOW_F_MAX - 1)

enum exeflow_proc_attr {
	EXEFLOW_P_UNSPEC,
	EXEFLOW_P_PAD,
	EXEFLOW_P_TGID,
	EXEFLOW_P_PID,
	EXEFLOW_P_PPID,
	EXEFLOW_P_SID,
	EXEFLOW_P_PGID,
	EXEFLOW_P_START_NS,
	EXEFLOW_P_UID,
	EXEFLOW_P_GID,
	EXEFLOW_P_EUID,
	EXEFLOW_P_EGID,
	EXEFLOW_P_COMM,
	EXEFLOW_P_EXE_PATH,
	EXEFLOW_P_EXE_MAJOR,
	EXEFLOW_P_EXE_MINOR,
	EXEFLOW_P_EXE_INO,
	EXEFLOW_P_EXE_SIZE,
	EXEFLOW_P_EXE_MTIME_NS,
	EXEFLOW_P_CGROUP_ID,
	EXEFLOW_P_PIDNS_INUM,
	EXEFLOW_P_FLAGS,
	__EXEFLOW_P_MAX
};
#define EXEFLOW_P_MAX (__EXEFLOW_P_MAX - 1)

/* EXEFLOW_P_FLAGS bits */
#define EXEFLOW_PF_HAS_TTY	(1U << 0)	/* has a controlling terminal */
#define EXEFLOW_PF_FOREGROUND	(1U << 1)	/* in the tty's foreground group */
#define EXEFLOW_PF_SESSION_LEADER (1U << 2)
#define EXEFLOW_PF_EXE_KNOWN	(1U << 3)	/* EXE_* identity attributes valid */
#define EXEFLOW_PF_EXE_DELETED	(1U << 4)	/* path was unlinked */
#define EXEFLOW_PF_KTHREAD	(1U << 5)

enum exeflow_event {
	EXEFLOW_EV_NONE,
	EXEFLOW_EV_NEW,		/* flow just got its owner */
	EXEFLOW_EV_UPDATE,	/* active-timeout interim; counters restart */
	EXEFLOW_EV_END,		/* final record of the flow */
	EXEFLOW_EV_LIVE,	/* snapshot in a GET_FLOWS dump */
};

enum exeflow_direction {
	EXEFLOW_DIR_UNKNOWN,
	EXEFLOW_DIR_OUTBOUND,	/* this host initiated */
	EXEFLOW_DIR_INBOUND,	/* this host accepted */
};

/* Values 1..5 match IPFIX flowEndReason (RFC 5102) where one applies. */
enum exeflow_end_reason {
	EXEFLOW_END_NONE,	/* still live (NEW, LIVE) */
	EXEFLOW_END_IDLE,	/* inactive timeout */
	EXEFLOW_END_ACTIVE,	/* active timeout (UPDATE) */
	EXEFLOW_END_FIN,	/* TCP FIN/RST seen, close grace expired */
	EXEFLOW_END_FLUSH,	/* FLUSH command, netns exit or module unload */
	EXEFLOW_END_EVICTED,	/* pushed out to make room (table full) */
};

enum exeflow_method {
	EXEFLOW_M_NONE,		/* no owner known */
	EXEFLOW_M_TASK,		/* current task sent on its own socket */
	EXEFLOW_M_ACCEPT,	/* task that accept()ed the socket */
	EXEFLOW_M_SOCKET,	/* owner recorded earlier for this socket */
	EXEFLOW_M_SOCKET_CREDS,	/* only the socket's uid and cgroup */
	EXEFLOW_M_KERNEL,	/* kernel socket or no socket: no process */
	__EXEFLOW_M_MAX
};

enum exeflow_stat {
	EXEFLOW_S_UNSPEC,
	EXEFLOW_S_PAD,
	EXEFLOW_S_PACKETS,		/* packets seen by the hooks */
	EXEFLOW_S_FLOWS_CREATED,
	EXEFLOW_S_FLOWS_EXPIRED,	/* ended (any reason) */
	EXEFLOW_S_FLOWS_EXPORTED,	/* END records delivered */
	EXEFLOW_S_RECORDS_EXPORTED,	/* all records delivered */
	EXEFLOW_S_FLOWS_ACTIVE,		/* gauge */
	EXEFLOW_S_DROP_TABLE_FULL,	/* new flow refused: max_flows */
	EXEFLOW_S_DROP_ALLOC,		/* new flow refused: no memory */
	EXEFLOW_S_DROP_BACKLOG,		/* record dropped: backlog full */
	EXEFLOW_S_DROP_NO_LISTENER,	/* record dropped: nobody registered */
	EXEFLOW_S_FLOWS_EVICTED,	/* ended early to make room */
	EXEFLOW_S_UNATTRIBUTED,		/* ended with method none */
	EXEFLOW_S_PROCS_ACTIVE,		/* gauge */
	EXEFLOW_S_DROP_PROC_FULL,	/* process record refused: max_procs */
	EXEFLOW_S_OWNERS_ACTIVE,	/* gauge: socket-owner map entries */
	EXEFLOW_S_DROP_OWNER_FULL,	/* socket owner refused: max_owners */
	EXEFLOW_S_BACKLOG,		/* gauge: records waiting to be sent */
	EXEFLOW_S_SEND_EAGAIN,		/* listener buffer full, retried */
	EXEFLOW_S_EXE_UNRESOLVED,	/* exe path could not be resolved */
	EXEFLOW_S_ACCEPT_PROBE,		/* owners filled by the accept probe */
	__EXEFLOW_S_MAX
};
#define EXEFLOW_S_MAX (__EXEFLOW_S_MAX - 1)

#endif /* _UAPI_EXEFLOW_H */
