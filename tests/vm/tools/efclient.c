// SPDX-License-Identifier: GPL-2.0
/*
 * efclient: a small libnl-genl-3 client for the kernel-module tests. It
 * prints every record and counter as one line of key=value pairs so that
 * scenarios can grep for what they expect.
 *
 *   efclient stats                 GET_STATS   -> "STAT name=value" lines
 *   efclient dump                  GET_FLOWS   -> "LIVE ..." lines
 *   efclient flush                 FLUSH from a non-listener socket
 *   efclient listen SECS [flush] [sleep=S] [rcvbuf=BYTES] [until=FILE]
 *                  [unregister]
 *       REGISTER, print records ("REC ...") for SECS seconds or until FILE
 *       exists (after an optional sleep without reading, to provoke
 *       -EAGAIN); then with "flush" send FLUSH on a second socket (a
 *       full listener socket could not take the reply) and read records
 *       until the reply has come and the kernel's backlog is empty.
 *       Ends with "SUMMARY records=N gaps=G last_seq=S kernel_last_seq=K"
 *       (G: records missing between the ones received; K: the module's
 *       last sequence number at the final stats of "flush", else 0).
 *   efclient udp1 ADDR PORT        send one UDP datagram and exit at once
 *                                  (a process that lives for milliseconds)
 *   efclient tcp-sink ADDR PORT READYFILE RELEASEFILE
 *       accept one connection and hold it, reading nothing, until
 *       RELEASEFILE exists, then close: a server that sends nothing from
 *       its own context (reading could make it send an ACK, which would
 *       attribute the flow too), so only the accept probe can attribute it
 *       before the close
 *
 * Exit status: 0, or 1 with "error: ..." (e.g. EPERM) on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <uapi/exeflow.h>

static struct nl_sock *sk;
static int family;
static long last_backlog = -1;	/* EXEFLOW_S_BACKLOG of the last reply */
static int last_reply;		/* command of the last reply received */
static unsigned long records, gaps;
static uint64_t last_seq;
static uint64_t kernel_last_seq;	/* EXEFLOW_A_LAST_SEQ of the last stats */

static const char *const stat_names[] = {
	[EXEFLOW_S_PACKETS] = "packets",
	[EXEFLOW_S_FLOWS_CREATED] = "flows_created",
	[EXEFLOW_S_FLOWS_EXPIRED] = "flows_expired",
	[EXEFLOW_S_FLOWS_EXPORTED] = "flows_exported",
	[EXEFLOW_S_RECORDS_EXPORTED] = "records_exported",
	[EXEFLOW_S_FLOWS_ACTIVE] = "flows_active",
	[EXEFLOW_S_DROP_TABLE_FULL] = "drop_table_full",
	[EXEFLOW_S_DROP_ALLOC] = "drop_alloc",
	[EXEFLOW_S_DROP_BACKLOG] = "drop_backlog",
	[EXEFLOW_S_DROP_NO_LISTENER] = "drop_no_listener",
	[EXEFLOW_S_FLOWS_EVICTED] = "flows_evicted",
	[EXEFLOW_S_UNATTRIBUTED] = "unattributed",
	[EXEFLOW_S_PROCS_ACTIVE] = "procs_active",
	[EXEFLOW_S_DROP_PROC_FULL] = "drop_proc_full",
	[EXEFLOW_S_OWNERS_ACTIVE] = "owners_active",
	[EXEFLOW_S_DROP_OWNER_FULL] = "drop_owner_full",
	[EXEFLOW_S_BACKLOG] = "backlog",
	[EXEFLOW_S_SEND_EAGAIN] = "send_eagain",
	[EXEFLOW_S_EXE_UNRESOLVED] = "exe_unresolved",
	[EXEFLOW_S_ACCEPT_PROBE] = "accept_probe",
};

static const char *const events[] = { "none", "NEW", "UPDATE", "END", "LIVE" };
static const char *const methods[] = {
	"none", "task", "accept", "socket", "socket-creds", "kernel"
};
static const char *const reasons[] = {
	"none", "idle", "active", "fin", "flush", "evicted"
};
static const char *const dirs[] = { "unknown", "out", "in" };

#define NAME(tab, v) ((v) < sizeof(tab) / sizeof(tab[0]) ? tab[v] : "?")

static void die(const char *what, int err)
{
	fprintf(stderr, "error: %s: %s\n", what, nl_geterror(err));
	exit(1);
}

static uint64_t u64(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u64(tb[a]) : 0;
}

static uint32_t u32(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u32(tb[a]) : 0;
}

static unsigned int u16v(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u16(tb[a]) : 0;
}

static unsigned int u8v(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u8(tb[a]) : 0;
}

static void print_addr(const char *key, struct nlattr *a)
{
	char buf[INET6_ADDRSTRLEN] = "?";

	if (a && nla_len(a) == 4)
		inet_ntop(AF_INET, nla_data(a), buf, sizeof(buf));
	else if (a && nla_len(a) == 16)
		inet_ntop(AF_INET6, nla_data(a), buf, sizeof(buf));
	printf(" %s=%s", key, buf);
}

static void print_proc(struct nlattr *nest)
{
	struct nlattr *tb[EXEFLOW_P_MAX + 1];

	if (nla_parse_nested(tb, EXEFLOW_P_MAX, nest, NULL) < 0) {
		printf(" proc=unparsable");
		return;
	}
	printf(" tgid=%u pid=%u ppid=%u sid=%u pgid=%u start=%" PRIu64
	       " uid=%u gid=%u euid=%u egid=%u comm=%s",
	       u32(tb, EXEFLOW_P_TGID), u32(tb, EXEFLOW_P_PID),
	       u32(tb, EXEFLOW_P_PPID), u32(tb, EXEFLOW_P_SID),
	       u32(tb, EXEFLOW_P_PGID), u64(tb, EXEFLOW_P_START_NS),
	       u32(tb, EXEFLOW_P_UID), u32(tb, EXEFLOW_P_GID),
	       u32(tb, EXEFLOW_P_EUID), u32(tb, EXEFLOW_P_EGID),
	       tb[EXEFLOW_P_COMM] ? nla_get_string(tb[EXEFLOW_P_COMM]) : "-");
	printf(" exe=%s", tb[EXEFLOW_P_EXE_PATH] ?
	       nla_get_string(tb[EXEFLOW_P_EXE_PATH]) : "-");
	if (tb[EXEFLOW_P_EXE_INO])
		printf(" exe_dev=%u:%u exe_ino=%" PRIu64 " exe_size=%" PRIu64
		       " exe_mtime=%" PRIu64,
		       u32(tb, EXEFLOW_P_EXE_MAJOR),
		       u32(tb, EXEFLOW_P_EXE_MINOR),
		       u64(tb, EXEFLOW_P_EXE_INO),
		       u64(tb, EXEFLOW_P_EXE_SIZE),
		       u64(tb, EXEFLOW_P_EXE_MTIME_NS));
	printf(" cgroup=%" PRIu64 " pidns=%u pflags=0x%x",
	       u64(tb, EXEFLOW_P_CGROUP_ID), u32(tb, EXEFLOW_P_PIDNS_INUM),
	       u32(tb, EXEFLOW_P_FLAGS));
}

static void print_flow(struct nlattr *nest)
{
	struct nlattr *tb[EXEFLOW_F_MAX + 1];
	unsigned int ev;
	uint64_t seq;

	if (nla_parse_nested(tb, EXEFLOW_F_MAX, nest, NULL) < 0) {
		printf("REC unparsable\n");
		return;
	}
	ev = u8v(tb, EXEFLOW_F_EVENT);
	seq = u64(tb, EXEFLOW_F_SEQ);
	if (ev != EXEFLOW_EV_LIVE) {
		records++;
		/* numbered from 1 per listener: count the missing ones */
		if (seq > last_seq + 1) {
			gaps += seq - last_seq - 1;
			printf("GAP expected=%" PRIu64 " got=%" PRIu64 "\n",
			       last_seq + 1, seq);
		}
		last_seq = seq;
	}
	printf("%s seq=%" PRIu64 " ev=%s id=%" PRIu64 " ns=%" PRIu64
	       " proto=%u", ev == EXEFLOW_EV_LIVE ? "LIVE" : "REC", seq,
	       NAME(events, ev), u64(tb, EXEFLOW_F_FLOW_ID),
	       u64(tb, EXEFLOW_F_NETNS_ID), u8v(tb, EXEFLOW_F_PROTO));
	print_addr("src", tb[EXEFLOW_F_SRC_ADDR]);
	print_addr("dst", tb[EXEFLOW_F_DST_ADDR]);
	printf(" sport=%u dport=%u", u16v(tb, EXEFLOW_F_SRC_PORT),
	       u16v(tb, EXEFLOW_F_DST_PORT));
	if (tb[EXEFLOW_F_ICMP_ID])
		printf(" icmp_id=%u", u16v(tb, EXEFLOW_F_ICMP_ID));
	printf(" dir=%s fpkts=%" PRIu64 " fbytes=%" PRIu64 " rpkts=%" PRIu64
	       " rbytes=%" PRIu64 " fflags=0x%x rflags=0x%x",
	       NAME(dirs, u8v(tb, EXEFLOW_F_DIRECTION)),
	       u64(tb, EXEFLOW_F_FWD_PACKETS), u64(tb, EXEFLOW_F_FWD_BYTES),
	       u64(tb, EXEFLOW_F_REV_PACKETS), u64(tb, EXEFLOW_F_REV_BYTES),
	       u8v(tb, EXEFLOW_F_FWD_TCP_FLAGS),
	       u8v(tb, EXEFLOW_F_REV_TCP_FLAGS));
	printf(" first=%" PRIu64 " last=%" PRIu64,
	       u64(tb, EXEFLOW_F_FIRST_NS), u64(tb, EXEFLOW_F_LAST_NS));
	printf(" in=%s/%u out=%s/%u",
	       tb[EXEFLOW_F_IN_IFNAME] ?
	       nla_get_string(tb[EXEFLOW_F_IN_IFNAME]) : "-",
	       u32(tb, EXEFLOW_F_IN_IFINDEX),
	       tb[EXEFLOW_F_OUT_IFNAME] ?
	       nla_get_string(tb[EXEFLOW_F_OUT_IFNAME]) : "-",
	       u32(tb, EXEFLOW_F_OUT_IFINDEX));
	printf(" end=%s method=%s", NAME(reasons, u8v(tb, EXEFLOW_F_END_REASON)),
	       NAME(methods, u8v(tb, EXEFLOW_F_METHOD)));
	if (tb[EXEFLOW_F_SOCK_COOKIE])
		printf(" cookie=%" PRIu64, u64(tb, EXEFLOW_F_SOCK_COOKIE));
	if (tb[EXEFLOW_F_SOCK_UID])
		printf(" sock_uid=%u", u32(tb, EXEFLOW_F_SOCK_UID));
	/* only without a process (which has its own cgroup id) */
	if (tb[EXEFLOW_F_SOCK_CGROUP])
		printf(" sock_cgroup=%" PRIu64, u64(tb, EXEFLOW_F_SOCK_CGROUP));
	if (tb[EXEFLOW_F_PROC])
		print_proc(tb[EXEFLOW_F_PROC]);
	printf("\n");
}

static void print_stats(struct nlattr **tb)
{
	struct nlattr *st[EXEFLOW_S_MAX + 1];
	int i;

	printf("STAT version=%u\nSTAT listener=%u\n", u32(tb, EXEFLOW_A_VERSION),
	       u32(tb, EXEFLOW_A_LISTENER));
	if (tb[EXEFLOW_A_LAST_SEQ]) {
		kernel_last_seq = nla_get_u64(tb[EXEFLOW_A_LAST_SEQ]);
		printf("STAT last_seq=%" PRIu64 "\n", kernel_last_seq);
	}
	if (!tb[EXEFLOW_A_STATS] ||
	    nla_parse_nested(st, EXEFLOW_S_MAX, tb[EXEFLOW_A_STATS], NULL) < 0)
		return;
	for (i = EXEFLOW_S_PAD + 1; i <= EXEFLOW_S_MAX; i++)
		if (st[i] && stat_names[i])
			printf("STAT %s=%" PRIu64 "\n", stat_names[i],
			       nla_get_u64(st[i]));
	if (st[EXEFLOW_S_BACKLOG])
		last_backlog = (long)nla_get_u64(st[EXEFLOW_S_BACKLOG]);
}

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[EXEFLOW_A_MAX + 1];
	struct nlattr *a;
	int rem;

	(void)arg;
	switch (gh->cmd) {
	case EXEFLOW_CMD_RECORDS:
	case EXEFLOW_CMD_GET_FLOWS:
		nla_for_each_attr(a, genlmsg_attrdata(gh, 0),
				  genlmsg_attrlen(gh, 0), rem)
			if (nla_type(a) == EXEFLOW_A_FLOW)
				print_flow(a);
		break;
	default:
		if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, EXEFLOW_A_MAX,
				  NULL) == 0)
			print_stats(tb);
		last_reply = gh->cmd;
		break;
	}
	fflush(stdout);
	return NL_OK;
}

static void send_cmd_on(struct nl_sock *s, int cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc();
	int err;

	if (!m || !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags,
			       cmd, EXEFLOW_GENL_VERSION))
		die("message", -NLE_NOMEM);
	err = nl_send_auto(s, m);
	nlmsg_free(m);
	if (err < 0)
		die("send", err);
}

static void send_cmd(int cmd, int flags)
{
	send_cmd_on(sk, cmd, flags);
}

static struct nl_sock *open_sock(void)
{
	struct nl_sock *s = nl_socket_alloc();
	int err;

	if (!s)
		die("socket", -NLE_NOMEM);
	err = genl_connect(s);
	if (err < 0)
		die("connect", err);
	nl_socket_disable_seq_check(s);
	nl_socket_disable_auto_ack(s);
	nl_socket_modify_cb(s, NL_CB_VALID, NL_CB_CUSTOM, on_msg, NULL);
	return s;
}

static void wait_reply_on(struct nl_sock *s, int cmd)
{
	int err;

	last_reply = 0;
	while (last_reply != cmd) {
		err = nl_recvmsgs_default(s);
		/*
		 * ENOBUFS (libnl: NLE_NOMEM) only says the kernel could not
		 * queue a record batch here; it keeps it and retries, and the
		 * error is reported before messages already queued.
		 */
		if (err == -NLE_NOMEM) {
			printf("OVERRUN\n");
			continue;
		}
		if (err < 0)
			die("request", err);
	}
}

static void wait_reply(int cmd)
{
	wait_reply_on(sk, cmd);
}

/* Read records from the listener socket for up to @ms milliseconds of
 * silence; returns once nothing arrived for that long. */
static void drain(int ms)
{
	struct pollfd p = { .fd = nl_socket_get_fd(sk), .events = POLLIN };
	int err;

	while (poll(&p, 1, ms) > 0) {
		err = nl_recvmsgs_default(sk);
		if (err == -NLE_NOMEM)
			printf("OVERRUN\n");
		else if (err < 0)
			die("receive", err);
	}
}

/*
 * FLUSH over a second socket (a full listener socket could not take the
 * reply: the kernel never blocks on it), reading records meanwhile, then
 * until the kernel's backlog is empty. This is what a daemon does at exit.
 */
static void flush_and_drain(void)
{
	struct nl_sock *cs = open_sock();
	struct pollfd p[2] = {
		{ .fd = nl_socket_get_fd(sk), .events = POLLIN },
		{ .fd = nl_socket_get_fd(cs), .events = POLLIN },
	};
	int err, tries;

	last_reply = 0;
	send_cmd_on(cs, EXEFLOW_CMD_FLUSH, 0);
	while (last_reply != EXEFLOW_CMD_FLUSH) {
		if (poll(p, 2, 1000) <= 0)
			continue;
		if (p[0].revents)
			drain(0);
		if (p[1].revents) {
			err = nl_recvmsgs_default(cs);
			if (err < 0)
				die("flush", err);
		}
	}
	for (tries = 0; tries < 600; tries++) {
		drain(100);
		send_cmd_on(cs, EXEFLOW_CMD_GET_STATS, 0);
		wait_reply_on(cs, EXEFLOW_CMD_GET_STATS);
		if (last_backlog == 0)
			break;
	}
	drain(100);
	nl_socket_free(cs);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int listen_for(double secs, int flush, int pause, int unreg,
		      const char *until)
{
	struct pollfd p = { .fd = nl_socket_get_fd(sk), .events = POLLIN };
	double end;
	int err;

	send_cmd(EXEFLOW_CMD_REGISTER, 0);
	wait_reply(EXEFLOW_CMD_REGISTER);
	printf("REGISTERED\n");
	fflush(stdout);
	if (pause)
		sleep((unsigned int)pause);
	end = now() + secs;
	while (now() < end) {
		int ms = (int)((end - now()) * 1000) + 1;

		if (until) {
			if (access(until, F_OK) == 0)
				break;
			if (ms > 100)
				ms = 100;
		}
		if (poll(&p, 1, ms) <= 0)
			continue;
		err = nl_recvmsgs_default(sk);
		if (err == -NLE_NOMEM) {	/* ENOBUFS: overrun */
			printf("OVERRUN\n");
			continue;
		}
		if (err < 0)
			die("receive", err);
	}
	if (flush)
		flush_and_drain();
	if (unreg)
		send_cmd(EXEFLOW_CMD_UNREGISTER, 0);
	printf("SUMMARY records=%lu gaps=%lu last_seq=%" PRIu64
	       " kernel_last_seq=%" PRIu64 "\n", records, gaps, last_seq,
	       kernel_last_seq);
	return 0;
}

static int udp1(const char *addr, const char *port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr *sa = (struct sockaddr *)&s4;
	socklen_t len = sizeof(s4);
	int fd;

	s4.sin_port = s6.sin6_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &s4.sin_addr) != 1) {
		if (inet_pton(AF_INET6, addr, &s6.sin6_addr) != 1)
			return 2;
		sa = (struct sockaddr *)&s6;
		len = sizeof(s6);
	}
	fd = socket(sa->sa_family, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, "x", 1, 0, sa, len) < 0) {
		perror("udp1");
		return 1;
	}
	printf("udp1 pid=%d\n", getpid());
	return 0;
}

static int tcp_sink(const char *addr, const char *port, const char *ready,
		    const char *release)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr *sa = (struct sockaddr *)&s4;
	socklen_t len = sizeof(s4);
	int one = 1, fd, c;
	FILE *f;

	s4.sin_port = s6.sin6_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &s4.sin_addr) != 1) {
		if (inet_pton(AF_INET6, addr, &s6.sin6_addr) != 1)
			return 2;
		sa = (struct sockaddr *)&s6;
		len = sizeof(s6);
	}
	printf("tcp-sink pid=%d\n", getpid());
	fflush(stdout);
	fd = socket(sa->sa_family, SOCK_STREAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, sa, len) || listen(fd, 4)) {
		perror("tcp-sink");
		return 1;
	}
	f = fopen(ready, "w");
	if (f)
		fclose(f);
	c = accept(fd, NULL, NULL);
	if (c < 0) {
		perror("accept");
		return 1;
	}
	while (access(release, F_OK))
		poll(NULL, 0, 20);
	close(c);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int flush = 0, pause = 0, unreg = 0, rcvbuf = 4 << 20;
	const char *until = NULL;
	int err, i;

	if (argc == 4 && !strcmp(argv[1], "udp1"))
		return udp1(argv[2], argv[3]);
	if (argc == 6 && !strcmp(argv[1], "tcp-sink"))
		return tcp_sink(argv[2], argv[3], argv[4], argv[5]);

	if (argc < 2) {
		fprintf(stderr, "usage: efclient stats|dump|flush|listen SECS [flush] [sleep=S] [rcvbuf=N] [unregister]\n");
		return 2;
	}
	sk = open_sock();
	family = genl_ctrl_resolve(sk, EXEFLOW_GENL_NAME);
	if (family < 0)
		die("resolve " EXEFLOW_GENL_NAME, family);

	if (!strcmp(argv[1], "stats")) {
		send_cmd(EXEFLOW_CMD_GET_STATS, 0);
		wait_reply(EXEFLOW_CMD_GET_STATS);
	} else if (!strcmp(argv[1], "flush")) {
		send_cmd(EXEFLOW_CMD_FLUSH, 0);
		wait_reply(EXEFLOW_CMD_FLUSH);
	} else if (!strcmp(argv[1], "dump")) {
		send_cmd(EXEFLOW_CMD_GET_FLOWS, NLM_F_DUMP);
		err = nl_recvmsgs_default(sk);
		if (err < 0)
			die("dump", err);
	} else if (!strcmp(argv[1], "listen") && argc >= 3) {
		for (i = 3; i < argc; i++) {
			if (!strcmp(argv[i], "flush"))
				flush = 1;
			else if (!strcmp(argv[i], "unregister"))
				unreg = 1;
			else if (!strncmp(argv[i], "sleep=", 6))
				pause = atoi(argv[i] + 6);
			else if (!strncmp(argv[i], "rcvbuf=", 7))
				rcvbuf = atoi(argv[i] + 7);
			else if (!strncmp(argv[i], "until=", 6))
				until = argv[i] + 6;
		}
		if (setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVBUFFORCE,
			       &rcvbuf, sizeof(rcvbuf)) < 0)
			perror("SO_RCVBUFFORCE");
		return listen_for(atof(argv[2]), flush, pause, unreg, until);
	} else {
		fprintf(stderr, "efclient: unknown command %s\n", argv[1]);
		return 2;
	}
	nl_socket_free(sk);
	return 0;
}
