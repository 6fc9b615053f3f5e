// SPDX-License-Identifier: GPL-2.0
/*
 * nettest: the guest's traffic generator. Every mode prints its pid first so
 * a scenario knows which process must own the flow, and servers signal
 * readiness by creating a file, so scenarios never sleep on a guess.
 *
 *   nettest tcp-serve ADDR PORT COUNT READYFILE
 *   nettest tcp-connect ADDR PORT
 *   nettest udp-serve ADDR PORT COUNT READYFILE
 *   nettest udp-send ADDR PORT
 *   nettest udp-spray ADDR PORT N     one datagram from each of N sockets,
 *                                     source ports 20000..20000+N-1: exactly
 *                                     N new flows, no reply expected
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "nettest: %s: %s\n", what, strerror(errno));
	exit(1);
}

static socklen_t parse_addr(const char *host, const char *port,
			    struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((unsigned short)atoi(port));
		return sizeof(*in4);
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)atoi(port));
		return sizeof(*in6);
	}
	fprintf(stderr, "nettest: bad address %s\n", host);
	exit(2);
}

static void ready(const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die("ready file");
	close(fd);
}

/* Replies are sent only after a timeout-bounded wait, so a lost peer
 * cannot hang a scenario. */
static int wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static int bound_socket(int type, struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1;
	int fd = socket(ss->ss_family, type, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)ss, len) < 0)
		die("bind");
	return fd;
}

static int tcp_serve(struct sockaddr_storage *ss, socklen_t len, int count,
		     const char *readyfile)
{
	int lfd = bound_socket(SOCK_STREAM, ss, len);
	char buf[4096];

	if (listen(lfd, 64) < 0)
		die("listen");
	ready(readyfile);
	for (int i = 0; i < count; i++) {
		int c = accept(lfd, NULL, NULL);
		ssize_t n;

		if (c < 0)
			die("accept");
		while (wait_readable(c, 30000) &&
		       (n = read(c, buf, sizeof(buf))) > 0)
			;
		if (write(c, "ok\n", 3) < 0)
			die("write");
		close(c);
	}
	close(lfd);
	return 0;
}

static int tcp_connect(struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM, 0);
	char buf[64];

	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)ss, len) < 0)
		die("connect");
	if (write(fd, "hello\n", 6) < 0)
		die("write");
	shutdown(fd, SHUT_WR);
	if (!wait_readable(fd, 30000) || read(fd, buf, sizeof(buf)) <= 0)
		die("no reply");
	close(fd);
	return 0;
}

static int udp_serve(struct sockaddr_storage *ss, socklen_t len, int count,
		     const char *readyfile)
{
	int fd = bound_socket(SOCK_DGRAM, ss, len);
	char buf[2048];

	ready(readyfile);
	for (int i = 0; i < count; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n;

		if (!wait_readable(fd, 60000)) {
			errno = ETIMEDOUT;
			die("udp wait");
		}
		n = recvfrom(fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&peer, &plen);
		if (n < 0)
			die("recvfrom");
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer,
			   plen) < 0)
			die("sendto");
	}
	close(fd);
	return 0;
}

static int udp_send(struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_DGRAM, 0);
	char buf[64];

	if (fd < 0)
		die("socket");
	if (sendto(fd, "ping", 4, 0, (struct sockaddr *)ss, len) < 0)
		die("sendto");
	if (!wait_readable(fd, 30000) || recv(fd, buf, sizeof(buf), 0) < 0)
		die("no udp reply");
	close(fd);
	return 0;
}

static int udp_spray(struct sockaddr_storage *ss, socklen_t len, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = socket(ss->ss_family, SOCK_DGRAM, 0);
		struct sockaddr_storage src = { .ss_family = ss->ss_family };
		unsigned short port = htons((unsigned short)(20000 + i % 40000));

		if (fd < 0)
			die("socket");
		/* Explicit ports: the kernel may hand out a just-freed
		 * ephemeral port again, merging two "new" flows into one. */
		if (ss->ss_family == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = port;
		else
			((struct sockaddr_in6 *)&src)->sin6_port = port;
		if (bind(fd, (struct sockaddr *)&src, len) < 0)
			die("bind");
		if (sendto(fd, "x", 1, 0, (struct sockaddr *)ss, len) < 0)
			die("sendto");
		close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (argc < 4) {
		fprintf(stderr, "usage: nettest MODE ADDR PORT [COUNT READYFILE]\n");
		return 2;
	}
	printf("nettest pid=%d\n", getpid());
	fflush(stdout);
	len = parse_addr(argv[2], argv[3], &ss);
	if (!strcmp(argv[1], "tcp-connect"))
		return tcp_connect(&ss, len);
	if (!strcmp(argv[1], "udp-send"))
		return udp_send(&ss, len);
	if (!strcmp(argv[1], "udp-spray") && argc == 5)
		return udp_spray(&ss, len, atoi(argv[4]));
	if (argc < 6) {
		fprintf(stderr, "nettest: %s needs COUNT READYFILE\n", argv[1]);
		return 2;
	}
	if (!strcmp(argv[1], "tcp-serve"))
		return tcp_serve(&ss, len, atoi(argv[4]), argv[5]);
	if (!strcmp(argv[1], "udp-serve"))
		return udp_serve(&ss, len, atoi(argv[4]), argv[5]);
	fprintf(stderr, "nettest: unknown mode %s\n", argv[1]);
	return 2;
}
