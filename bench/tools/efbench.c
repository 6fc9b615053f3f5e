// SPDX-License-Identifier: GPL-2.0
/*
 * efbench: the benchmark's traffic generator inside the guest. Every mode
 * is bounded in time and count and stops by itself; it only talks to the
 * guest's own network namespaces.
 *
 *   efbench now                              CLOCK_MONOTONIC in ns
 *   efbench udp-sink ADDR PORT SECS READY [wait]
 *                                            count datagrams for SECS from
 *                                            the first one, busy-polling
 *                                            (wait: sleeping for them);
 *                                            prints pps=
 *   efbench udp-blast ADDR PORT SECS PAYLOAD send PAYLOAD-byte datagrams on
 *                                            one connected socket for SECS
 *   efbench tcp-serve ADDR PORT WORKERS READY  accept, read 1 byte, answer
 *                                            1 byte, close (server closes
 *                                            first); WORKERS processes
 *   efbench tcp-crr ADDR PORT SECS PROCS     connect/request/response/close
 *                                            loops in PROCS processes for
 *                                            SECS; prints cps=
 *   efbench flowfill ADDR N OFFSET RATE      one UDP socket sends one
 *                                            datagram to each of N distinct
 *                                            (address, port) pairs above
 *                                            ADDR (IPv4 or IPv6): exactly
 *                                            N new flows; RATE flows/s,
 *                                            0 = unpaced
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_PROCS 64
/* No mode runs longer than this, whatever it is asked. */
#define HARD_LIMIT_SECS 900

static void die(const char *what)
{
	fprintf(stderr, "efbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* An IPv4 address, or sin_family 0. */
static struct sockaddr_in parse_any4(const char *host)
{
	struct sockaddr_in in = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, host, &in.sin_addr) != 1)
		in.sin_family = 0;
	return in;
}

static struct sockaddr_in parse4(const char *host, const char *port)
{
	struct sockaddr_in in = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, host, &in.sin_addr) != 1) {
		fprintf(stderr, "efbench: bad IPv4 address %s\n", host);
		exit(2);
	}
	in.sin_port = htons((unsigned short)atoi(port));
	return in;
}

static void ready(const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die("ready file");
	close(fd);
}

static double secs_arg(const char *s)
{
	double v = atof(s);

	if (v <= 0 || v > HARD_LIMIT_SECS) {
		fprintf(stderr, "efbench: bad duration %s\n", s);
		exit(2);
	}
	return v;
}

static int udp_sink(struct sockaddr_in *a, double secs, const char *readyfile,
		    bool wait)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, buf = 8 << 20;
	struct timeval tv = { 0, 100000 };
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	static char data[BATCH][2048];
	uint64_t first = 0, deadline = 0, n = 0, start = now_ns();

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0)
		die("bind");
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = data[i];
		iov[i].iov_len = sizeof(data[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	ready(readyfile);
	/*
	 * Busy-poll: a sink that sleeps must be woken (an IPI to its CPU) by
	 * the sender, more often the slower the sender is, which under TCG
	 * costs the sender more than the packet path being measured. On a
	 * guest of one vCPU (bench/run.sh, BENCH_ICOUNT=1) polling would take
	 * the sender's CPU instead: there the sink sleeps.
	 */
	for (;;) {
		int r = recvmmsg(fd, msgs, BATCH,
				 wait ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
		uint64_t t = now_ns();

		if (r > 0) {
			if (!first) {
				first = t;
				deadline = t + (uint64_t)(secs * 1e9);
				r--;	/* the clock starts after the first */
			}
			n += (uint64_t)r;
		} else if (errno != EAGAIN && errno != EINTR) {
			die("recvmmsg");
		}
		if (first && t >= deadline)
			break;
		if (!first && t - start > 60ull * 1000000000ull) {
			fprintf(stderr, "efbench: udp-sink: no traffic\n");
			return 1;
		}
	}
	/* Keep the port open until the sender stops (no datagram for 0.3 s,
	 * at most 30 s): no ICMP errors, no extra flows after the count. */
	for (int idle = 0, i = 0; idle < 3 && i < 300; i++) {
		if (recvmmsg(fd, msgs, BATCH, 0, NULL) > 0)
			idle = 0;
		else
			idle++;
	}
	printf("pps=%.0f packets=%llu secs=%.3f\n",
	       (double)n / ((double)(deadline - first) / 1e9),
	       (unsigned long long)n, (double)(deadline - first) / 1e9);
	return 0;
}

static int udp_blast(struct sockaddr_in *a, double secs, int payload)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	static char data[65536];
	uint64_t start = now_ns(), end = start + (uint64_t)(secs * 1e9), n = 0;

	if (fd < 0)
		die("socket");
	if (payload < 0 || payload > (int)sizeof(data))
		payload = 64;
	if (connect(fd, (struct sockaddr *)a, sizeof(*a)) < 0)
		die("connect");
	iov.iov_base = data;
	iov.iov_len = (size_t)payload;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (now_ns() < end) {
		int r = sendmmsg(fd, msgs, BATCH, 0);

		if (r > 0)
			n += (uint64_t)r;
		else if (errno != ENOBUFS && errno != ECONNREFUSED &&
			 errno != EAGAIN && errno != EINTR)
			die("sendmmsg");
	}
	printf("sent=%llu pps=%.0f\n", (unsigned long long)n,
	       (double)n / ((double)(now_ns() - start) / 1e9));
	return 0;
}

static int tcp_serve(struct sockaddr_in *a, int workers, const char *readyfile)
{
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)a, sizeof(*a)) < 0)
		die("bind");
	if (listen(lfd, 4096) < 0)
		die("listen");
	if (workers < 1 || workers > MAX_PROCS)
		workers = 1;
	for (int w = 0; w < workers; w++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid)
			continue;
		/* workers go with the parent the scenario kills */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(HARD_LIMIT_SECS);
		for (;;) {
			int c = accept(lfd, NULL, NULL);
			char b;

			if (c < 0) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				die("accept");
			}
			if (read(c, &b, 1) == 1)
				(void)!write(c, &b, 1);
			close(c);
		}
	}
	ready(readyfile);
	alarm(HARD_LIMIT_SECS);
	while (wait(NULL) > 0)
		;
	return 0;
}

static uint64_t crr_loop(struct sockaddr_in *a, uint64_t end)
{
	uint64_t n = 0;
	int one = 1;

	while (now_ns() < end) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char b = 'x';

		if (fd < 0)
			die("socket");
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)a, sizeof(*a)) < 0) {
			if (errno == EADDRNOTAVAIL || errno == ECONNREFUSED ||
			    errno == ETIMEDOUT || errno == ECONNRESET) {
				close(fd);
				continue;
			}
			die("connect");
		}
		if (write(fd, &b, 1) == 1 && read(fd, &b, 1) == 1 &&
		    read(fd, &b, 1) == 0)
			n++;
		close(fd);
	}
	return n;
}

static int tcp_crr(struct sockaddr_in *a, double secs, int procs)
{
	uint64_t start = now_ns(), end = start + (uint64_t)(secs * 1e9);
	uint64_t total = 0;
	int p[2];

	if (procs < 1 || procs > MAX_PROCS)
		procs = 1;
	if (pipe(p) < 0)
		die("pipe");
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			uint64_t n = crr_loop(a, end);

			if (write(p[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	for (int i = 0; i < procs; i++) {
		uint64_t n;

		if (read(p[0], &n, sizeof(n)) != sizeof(n))
			break;
		total += n;
	}
	while (wait(NULL) > 0)
		;
	printf("cps=%.0f conns=%llu\n",
	       (double)total / ((double)(now_ns() - start) / 1e9),
	       (unsigned long long)total);
	return 0;
}

/*
 * Flow i goes to ADDR + i / 50000 (the last 32 bits of an IPv6 address),
 * port 1024 + i % 50000.
 */
static void flow_dest(const struct sockaddr_in6 *base, uint64_t i,
		      struct sockaddr_in6 *out)
{
	unsigned short port = (unsigned short)(1024 + i % 50000);
	uint32_t *last;

	*out = *base;
	if (base->sin6_family == AF_INET) {
		struct sockaddr_in *o4 = (struct sockaddr_in *)out;

		last = &o4->sin_addr.s_addr;
		o4->sin_port = htons(port);
	} else {
		last = &out->sin6_addr.s6_addr32[3];
		out->sin6_port = htons(port);
	}
	*last = htonl(ntohl(*last) + (uint32_t)(i / 50000));
}

static struct sockaddr_in6 parse46(const char *host)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in in = parse_any4(host);

	if (in.sin_family == AF_INET) {
		memcpy(&in6, &in, sizeof(in));
		return in6;
	}
	if (inet_pton(AF_INET6, host, &in6.sin6_addr) != 1) {
		fprintf(stderr, "efbench: bad address %s\n", host);
		exit(2);
	}
	return in6;
}

static int flowfill(struct sockaddr_in6 *base, uint64_t n, uint64_t off,
		    double rate)
{
	int fd = socket(base->sin6_family, SOCK_DGRAM, 0);
	socklen_t alen = base->sin6_family == AF_INET ?
			 sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	static struct sockaddr_in6 dst[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	uint64_t start = now_ns(), sent = 0, failed = 0;

	if (fd < 0)
		die("socket");
	memset(msgs, 0, sizeof(msgs));
	while (sent < n) {
		unsigned k = n - sent < BATCH ? (unsigned)(n - sent) : BATCH;
		int r;

		if (now_ns() - start > (uint64_t)HARD_LIMIT_SECS * 1000000000ull) {
			fprintf(stderr, "efbench: flowfill: time limit\n");
			return 1;
		}
		if (rate > 0) {
			uint64_t due = start + (uint64_t)((double)sent / rate * 1e9);
			uint64_t t = now_ns();

			if (due > t) {
				struct timespec ts = { 0, (long)(due - t) };

				if (due - t >= 1000000000ull)
					ts = (struct timespec){ 1, 0 };
				nanosleep(&ts, NULL);
			}
			if (k > 8)
				k = 8;
		}
		for (unsigned j = 0; j < k; j++) {
			flow_dest(base, off + sent + j, &dst[j]);
			msgs[j].msg_hdr.msg_name = &dst[j];
			msgs[j].msg_hdr.msg_namelen = alen;
			msgs[j].msg_hdr.msg_iov = &iov;
			msgs[j].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(fd, msgs, k, 0);
		if (r > 0) {
			sent += (uint64_t)r;
		} else if (errno == ENOBUFS || errno == EAGAIN ||
			   errno == EINTR) {
			usleep(1000);
		} else {
			/* skip a destination the stack refuses */
			failed++;
			sent++;
		}
	}
	printf("flows=%llu failed=%llu secs=%.3f\n", (unsigned long long)sent,
	       (unsigned long long)failed, (double)(now_ns() - start) / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%llu\n", (unsigned long long)now_ns());
		return 0;
	}
	if ((argc == 6 || (argc == 7 && !strcmp(argv[6], "wait"))) &&
	    !strcmp(argv[1], "udp-sink")) {
		a = parse4(argv[2], argv[3]);
		return udp_sink(&a, secs_arg(argv[4]), argv[5], argc == 7);
	}
	if (argc == 6 && !strcmp(argv[1], "udp-blast")) {
		a = parse4(argv[2], argv[3]);
		return udp_blast(&a, secs_arg(argv[4]), atoi(argv[5]));
	}
	if (argc == 6 && !strcmp(argv[1], "tcp-serve")) {
		a = parse4(argv[2], argv[3]);
		return tcp_serve(&a, atoi(argv[4]), argv[5]);
	}
	if (argc == 6 && !strcmp(argv[1], "tcp-crr")) {
		a = parse4(argv[2], argv[3]);
		return tcp_crr(&a, secs_arg(argv[4]), atoi(argv[5]));
	}
	if (argc == 6 && !strcmp(argv[1], "flowfill")) {
		struct sockaddr_in6 b = parse46(argv[2]);

		return flowfill(&b, strtoull(argv[3], NULL, 10),
				strtoull(argv[4], NULL, 10), atof(argv[5]));
	}
	fprintf(stderr, "usage: efbench now | udp-sink ADDR PORT SECS READY [wait] |"
		" udp-blast ADDR PORT SECS PAYLOAD | tcp-serve ADDR PORT WORKERS READY |"
		" tcp-crr ADDR PORT SECS PROCS | flowfill ADDR N OFFSET RATE\n");
	return 2;
}
