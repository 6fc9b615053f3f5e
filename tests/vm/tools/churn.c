// SPDX-License-Identifier: GPL-2.0
/*
 * churn: many short TCP connections and UDP request/response exchanges,
 * IPv4 and IPv6, from many processes; the guest's connection-churn load.
 *
 *   churn serve ADDR4 ADDR6 PORT NPORTS WORKERS READYFILE
 *       TCP and UDP servers on PORT..PORT+NPORTS-1 of both addresses,
 *       WORKERS processes sharing the sockets. TCP: read the request to
 *       EOF, answer "ok\n", close. UDP: echo. Creates READYFILE once every
 *       socket listens; on SIGTERM prints
 *       "churn served tcp=N udp=N errors=N" and exits (1 if errors).
 *
 *   churn client ADDR4 ADDR6 PORT NPORTS NPROC PAR PERPROC [STOPFILE [PAUSE_MS]]
 *       NPROC processes (PAR at a time, each a fresh fork), each making
 *       PERPROC exchanges, cycling TCP v4, UDP v4, TCP v6, UDP v6. Every
 *       exchange has its own 4-tuple (explicit source ports 10000..59999,
 *       then the next destination port of the NPORTS), so each one is
 *       exactly one flow per side. With STOPFILE, NPROC is ignored: new
 *       processes are started (PAR at a time) until the file exists;
 *       tuples wrap around after 50000 * NPORTS exchanges of each kind.
 *       PAUSE_MS: each process sleeps that long after each exchange
 *       (paced traffic).
 *       Prints "churn pid=N" first and a summary line at the end:
 *       "churn done processes=N tcp4=N udp4=N tcp6=N udp6=N total=N
 *        failed=N udp_retries=N elapsed_ms=N rate=N/s".
 *       Exits 1 if any exchange failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SPORT_BASE	10000
#define SPORT_END	60000	/* exclusive */
#define MAX_PORTS	256
#define MAX_WORKERS	64
#define REQUEST		"churn request: 0123456789abcdef\n"
#define REPLY		"ok\n"

enum kind { K_TCP4, K_UDP4, K_TCP6, K_UDP6, K_MAX };
static const char *const kind_name[K_MAX] = { "tcp4", "udp4", "tcp6", "udp6" };

struct shared {
	atomic_ulong ok[K_MAX];
	atomic_ulong failed;
	atomic_ulong udp_retries;
	atomic_ulong served_tcp;
	atomic_ulong served_udp;
	atomic_ulong serve_errors;
};

static struct shared *sh;
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "churn: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long num(const char *s, unsigned long min, unsigned long max,
			 const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "churn: bad %s '%s' (%lu..%lu)\n", what, s, min,
			max);
		exit(2);
	}
	return v;
}

static void set_port(struct sockaddr_storage *ss, unsigned int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static void parse(const char *host, int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (inet_pton(family, host, family == AF_INET ?
		      (void *)&((struct sockaddr_in *)ss)->sin_addr :
		      (void *)&((struct sockaddr_in6 *)ss)->sin6_addr) != 1) {
		fprintf(stderr, "churn: bad %s address %s\n",
			family == AF_INET ? "IPv4" : "IPv6", host);
		exit(2);
	}
}

static socklen_t sslen(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					  sizeof(struct sockaddr_in6);
}

static int wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r == 1;
}

static void timeouts(int fd, int secs)
{
	struct timeval tv = { .tv_sec = secs };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void *shared_counters(void)
{
	void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 0, sizeof(struct shared));
	return p;
}

/* ---- server -------------------------------------------------------- */

static int listen_on(const struct sockaddr_storage *addr, unsigned int port,
		     int type)
{
	struct sockaddr_storage ss = *addr;
	int one = 1;
	int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	set_port(&ss, port);
	if (bind(fd, (struct sockaddr *)&ss, sslen(&ss)) < 0)
		die("bind");
	if (type == SOCK_STREAM && listen(fd, 4096) < 0)
		die("listen");
	return fd;
}

static void serve_tcp(int lfd)
{
	char buf[512];
	ssize_t n;
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return;	/* another worker took it */
	timeouts(c, 20);
	while ((n = read(c, buf, sizeof(buf))) > 0)
		;
	if (n < 0 || write(c, REPLY, sizeof(REPLY) - 1) != sizeof(REPLY) - 1)
		atomic_fetch_add(&sh->serve_errors, 1);
	else
		atomic_fetch_add(&sh->served_tcp, 1);
	close(c);
}

static void serve_udp(int fd)
{
	struct sockaddr_storage peer;
	char buf[512];

	for (;;) {
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&peer, &plen);

		if (n < 0)
			return;
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer,
			   plen) != n)
			atomic_fetch_add(&sh->serve_errors, 1);
		else
			atomic_fetch_add(&sh->served_udp, 1);
	}
}

static void worker(const struct pollfd *proto, const int *types, int nfd)
{
	struct pollfd pfd[4 * MAX_PORTS];

	memcpy(pfd, proto, sizeof(*pfd) * (size_t)nfd);
	while (!stop) {
		int r = poll(pfd, (nfds_t)nfd, 1000);

		if (r < 0 && errno != EINTR)
			die("poll");
		for (int i = 0; r > 0 && i < nfd; i++) {
			if (!pfd[i].revents)
				continue;
			if (types[i] == SOCK_STREAM)
				serve_tcp(pfd[i].fd);
			else
				serve_udp(pfd[i].fd);
		}
	}
	_exit(0);
}

static int serve(int argc, char **argv)
{
	struct sockaddr_storage a4, a6;
	struct pollfd pfd[4 * MAX_PORTS];
	int types[4 * MAX_PORTS];
	pid_t pids[MAX_WORKERS];
	unsigned int port, nports, nworkers;
	struct sigaction sa = { .sa_handler = on_term };
	sigset_t set, old;
	int nfd = 0, fd;

	if (argc != 8) {
		fprintf(stderr, "usage: churn serve ADDR4 ADDR6 PORT NPORTS WORKERS READYFILE\n");
		return 2;
	}
	parse(argv[2], AF_INET, &a4);
	parse(argv[3], AF_INET6, &a6);
	port = (unsigned int)num(argv[4], 1, 65535, "port");
	nports = (unsigned int)num(argv[5], 1, MAX_PORTS, "port count");
	nworkers = (unsigned int)num(argv[6], 1, MAX_WORKERS, "worker count");
	if (port + nports > 65536) {
		fprintf(stderr, "churn: ports beyond 65535\n");
		return 2;
	}
	sh = shared_counters();
	printf("churn serve pid=%d\n", getpid());
	fflush(stdout);
	for (unsigned int p = port; p < port + nports; p++) {
		const struct sockaddr_storage *addrs[2] = { &a4, &a6 };

		for (int f = 0; f < 2; f++) {
			pfd[nfd] = (struct pollfd){ .events = POLLIN,
				.fd = listen_on(addrs[f], p, SOCK_STREAM) };
			types[nfd++] = SOCK_STREAM;
			pfd[nfd] = (struct pollfd){ .events = POLLIN,
				.fd = listen_on(addrs[f], p, SOCK_DGRAM) };
			types[nfd++] = SOCK_DGRAM;
		}
	}
	/* SIGTERM only between sigsuspend()s in the parent; workers poll. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	sigaction(SIGTERM, &sa, NULL);
	for (unsigned int w = 0; w < nworkers; w++) {
		pids[w] = fork();
		if (pids[w] < 0)
			die("fork");
		if (!pids[w]) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			worker(pfd, types, nfd);
		}
	}
	fd = open(argv[7], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("ready file");
	close(fd);
	while (!stop)
		sigsuspend(&old);
	for (unsigned int w = 0; w < nworkers; w++)
		kill(pids[w], SIGTERM);
	for (unsigned int w = 0; w < nworkers; w++)
		waitpid(pids[w], NULL, 0);
	printf("churn served tcp=%lu udp=%lu errors=%lu\n",
	       atomic_load(&sh->served_tcp), atomic_load(&sh->served_udp),
	       atomic_load(&sh->serve_errors));
	return atomic_load(&sh->serve_errors) ? 1 : 0;
}

/* ---- client -------------------------------------------------------- */

struct target {
	struct sockaddr_storage addr[2];	/* v4, v6 */
	unsigned int port, nports;
	unsigned long tuples;	/* distinct tuples per kind */
};

static int bound(int family, int type, unsigned int sport)
{
	struct sockaddr_storage src = { .ss_family = (sa_family_t)family };
	int one = 1;
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	set_port(&src, sport);
	if (bind(fd, (struct sockaddr *)&src, sslen(&src)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static const char *tcp_once(const struct sockaddr_storage *dst,
			    unsigned int sport)
{
	char buf[64];
	size_t got = 0;
	ssize_t n;
	int fd = bound(dst->ss_family, SOCK_STREAM, sport);

	if (fd < 0)
		return "socket/bind";
	timeouts(fd, 60);
	if (connect(fd, (const struct sockaddr *)dst, sslen(dst)) < 0) {
		close(fd);
		return "connect";
	}
	if (write(fd, REQUEST, sizeof(REQUEST) - 1) != sizeof(REQUEST) - 1 ||
	    shutdown(fd, SHUT_WR) < 0) {
		close(fd);
		return "write";
	}
	while (got < sizeof(buf) - 1 &&
	       (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return strcmp(buf, REPLY) ? "reply" : NULL;
}

static const char *udp_once(const struct sockaddr_storage *dst,
			    unsigned int sport)
{
	char buf[64];
	int fd = bound(dst->ss_family, SOCK_DGRAM, sport);

	if (fd < 0)
		return "socket/bind";
	if (connect(fd, (const struct sockaddr *)dst, sslen(dst)) < 0) {
		close(fd);
		return "udp connect";
	}
	/* veth loses nothing, but a starved server may answer late */
	for (int tries = 0; tries < 4; tries++) {
		if (tries) {
			fprintf(stderr, "churn: pid %d: udp sport %u: no reply in 15 s, resending\n",
				getpid(), sport);
			atomic_fetch_add(&sh->udp_retries, 1);
		}
		if (send(fd, REQUEST, sizeof(REQUEST) - 1, 0) < 0)
			break;
		if (wait_readable(fd, 15000)) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);

			close(fd);
			return n == sizeof(REQUEST) - 1 ? NULL : "udp reply";
		}
	}
	close(fd);
	return "udp exchange";
}

static void client_proc(const struct target *t, unsigned long first,
			unsigned long count, unsigned long pause_ms)
{
	struct timespec pause = { .tv_sec = (time_t)(pause_ms / 1000),
				  .tv_nsec = (long)(pause_ms % 1000) * 1000000 };

	for (unsigned long k = first; k < first + count; k++) {
		enum kind kind = (enum kind)(k % K_MAX);
		unsigned long q = (k / K_MAX) % t->tuples;
		struct sockaddr_storage dst = t->addr[kind >= K_TCP6];
		/* the source port varies fastest: processes running at the
		 * same time never share one */
		unsigned int sport = SPORT_BASE +
			(unsigned int)(q % (SPORT_END - SPORT_BASE));
		const char *err;

		set_port(&dst, t->port +
			 (unsigned int)(q / (SPORT_END - SPORT_BASE)));
		if (kind == K_TCP4 || kind == K_TCP6)
			err = tcp_once(&dst, sport);
		else
			err = udp_once(&dst, sport);
		if (err) {
			fprintf(stderr, "churn: pid %d: %s %s sport %u: %s\n",
				getpid(), kind_name[kind], err, sport,
				strerror(errno));
			atomic_fetch_add(&sh->failed, 1);
			_exit(1);
		}
		atomic_fetch_add(&sh->ok[kind], 1);
		if (pause_ms)
			nanosleep(&pause, NULL);
	}
	_exit(0);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int client(int argc, char **argv)
{
	struct target t;
	unsigned long nproc, par, perproc, pause_ms = 0;
	unsigned long running = 0, started = 0, total = 0;
	const char *stopfile = argc >= 10 ? argv[9] : NULL;
	long long t0;
	int bad = 0;

	if (argc < 9 || argc > 11) {
		fprintf(stderr, "usage: churn client ADDR4 ADDR6 PORT NPORTS NPROC PAR PERPROC [STOPFILE [PAUSE_MS]]\n");
		return 2;
	}
	parse(argv[2], AF_INET, &t.addr[0]);
	parse(argv[3], AF_INET6, &t.addr[1]);
	t.port = (unsigned int)num(argv[4], 1, 65535, "port");
	t.nports = (unsigned int)num(argv[5], 1, MAX_PORTS, "port count");
	nproc = num(argv[6], 1, 1000000, "process count");
	par = num(argv[7], 1, 1024, "parallelism");
	perproc = num(argv[8], 1, 100000000, "exchanges per process");
	if (argc == 11)
		pause_ms = num(argv[10], 0, 60000, "pause");
	if (t.port + t.nports > 65536) {
		fprintf(stderr, "churn: ports beyond 65535\n");
		return 2;
	}
	t.tuples = (unsigned long)(SPORT_END - SPORT_BASE) * t.nports;
	/* without STOPFILE every exchange must have its own tuple */
	if (!stopfile && (nproc * perproc + K_MAX - 1) / K_MAX > t.tuples) {
		fprintf(stderr, "churn: %lu exchanges need more than %lu tuples per kind: more ports\n",
			nproc * perproc, t.tuples);
		return 2;
	}
	sh = shared_counters();
	printf("churn pid=%d\n", getpid());
	fflush(stdout);
	t0 = now_ms();
	while (running || (stopfile ? access(stopfile, F_OK) != 0 :
			   started < nproc)) {
		int status;
		pid_t pid;

		bool more = stopfile ? access(stopfile, F_OK) != 0 :
				       started < nproc;

		if (more && running < par) {
			pid = fork();
			if (pid < 0)
				die("fork");
			if (!pid)
				client_proc(&t, started * perproc, perproc,
					    pause_ms);
			started++;
			running++;
			continue;
		}
		pid = wait(&status);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			die("wait");
		}
		running--;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	{
		long long ms = now_ms() - t0;

		for (int k = 0; k < K_MAX; k++)
			total += atomic_load(&sh->ok[k]);
		printf("churn done processes=%lu tcp4=%lu udp4=%lu tcp6=%lu udp6=%lu total=%lu failed=%lu udp_retries=%lu elapsed_ms=%lld rate=%lld/s\n",
		       started, atomic_load(&sh->ok[K_TCP4]),
		       atomic_load(&sh->ok[K_UDP4]),
		       atomic_load(&sh->ok[K_TCP6]),
		       atomic_load(&sh->ok[K_UDP6]), total,
		       atomic_load(&sh->failed), atomic_load(&sh->udp_retries),
		       ms, ms ? (long long)total * 1000 / ms : 0);
	}
	return bad || atomic_load(&sh->failed) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return serve(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "client"))
		return client(argc, argv);
	fprintf(stderr, "usage: churn serve ADDR4 ADDR6 PORT NPORTS WORKERS READYFILE\n"
		"       churn client ADDR4 ADDR6 PORT NPORTS NPROC PAR PERPROC [STOPFILE [PAUSE_MS]]\n");
	return 2;
}
