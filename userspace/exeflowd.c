// SPDX-License-Identifier: GPL-2.0
/*
 * exeflowd: receives attributed flow records from exeflow.ko and writes
 * them to nfcapd files that stock nfdump reads. Foreground, logs to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exehash.h"
#include "hashcache.h"
#include "log.h"
#include "nlclient.h"
#include "nfrotate.h"
#include "pipeline.h"

#define SHUTDOWN_DRAIN_MS 10000
#define SHUTDOWN_HASH_MS 5000

struct daemon {
	struct ef_client *nl;
	struct hashcache *hc;
	struct nfw *writer;
	struct pipeline *pipe;
	uint64_t next_seq;	/* expected per-listener sequence */
	uint64_t seq_gaps;	/* records the sequence says we never got */
	uint64_t overruns;
	int rcvbuf;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: exeflowd -w DIR [-t SECONDS] [-z none|lz4|lzo] [-I IDENT] [-S N]\n"
		"                [-m MODE] [-H BYTES] [-W MS] [-B BYTES]\n"
		"  -w DIR      write nfcapd files into DIR (must exist)\n"
		"  -t SECONDS  rotate files every SECONDS (default 300, min 2), aligned like nfcapd\n"
		"  -z METHOD   compression: none (default), lz4 or lzo\n"
		"  -I IDENT    ident stored in each file (default: host name)\n"
		"  -S N        sub-directory layout 0-8, as nfcapd -S (default 0)\n"
		"  -m MODE     file mode, octal (default 0640)\n"
		"  -H BYTES    do not hash executables larger than BYTES (default 268435456)\n"
		"  -W MS       how long a record waits for its executable's hash (default 10000)\n"
		"  -B BYTES    netlink receive buffer (default 16777216)\n"
		"Signals: SIGTERM/SIGINT flush and finish the file, SIGHUP rotates now.\n");
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max,
		       int base, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

struct daemon_options {
	unsigned hash_wait;
	int rcvbuf;
};

static int parse_args(int argc, char **argv, struct nfw_options *o,
		      struct hashcache_config *hcfg, struct daemon_options *dopt)
{
	static char ident[HOST_NAME_MAX + 1];
	unsigned long v;
	int c;

	while ((c = getopt(argc, argv, "w:t:z:I:S:m:H:W:B:h")) != -1) {
		switch (c) {
		case 'w':
			o->dir = optarg;
			break;
		case 't':
			if (parse_ulong(optarg, 2, 86400, 10, &v))
				goto bad;
			o->twin = (unsigned)v;
			break;
		case 'z':
			if (!strcmp(optarg, "none"))
				o->compression = NFF_COMP_NONE;
			else if (!strcmp(optarg, "lz4"))
				o->compression = NFF_COMP_LZ4;
			else if (!strcmp(optarg, "lzo"))
				o->compression = NFF_COMP_LZO;
			else
				goto bad;
			break;
		case 'I':
			if (strlen(optarg) > 120)
				goto bad;
			o->ident = optarg;
			break;
		case 'S':
			if (parse_ulong(optarg, 0, 8, 10, &v))
				goto bad;
			o->subdir = (int)v;
			break;
		case 'm':
			if (parse_ulong(optarg, 0, 0777, 8, &v))
				goto bad;
			o->mode = (mode_t)v;
			break;
		case 'H':
			if (parse_ulong(optarg, 1, ULONG_MAX, 10, &v))
				goto bad;
			hcfg->size_cap = v;
			break;
		case 'W':
			if (parse_ulong(optarg, 1, 600000, 10, &v))
				goto bad;
			dopt->hash_wait = (unsigned)v;
			break;
		case 'B':
			if (parse_ulong(optarg, 4096, 1UL << 30, 10, &v))
				goto bad;
			dopt->rcvbuf = (int)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || !o->dir) {
		fprintf(stderr, "exeflowd: %s\n", o->dir ? "unexpected argument" :
			"-w DIR is required");
		usage(stderr);
		return -1;
	}
	if (!o->ident) {
		if (gethostname(ident, sizeof(ident) - 1) || !ident[0])
			snprintf(ident, sizeof(ident), "none");
		o->ident = ident;
	}
	return 0;
bad:
	fprintf(stderr, "exeflowd: invalid value for -%c: '%s'\n", c, optarg);
	usage(stderr);
	return -1;
}

static void on_record(const struct ef_record *rec, void *arg)
{
	struct daemon *d = arg;

	if (rec->seq) {
		if (rec->seq > d->next_seq)
			d->seq_gaps += rec->seq - d->next_seq;
		if (rec->seq >= d->next_seq)
			d->next_seq = rec->seq + 1;
	}
	pipeline_record(d->pipe, rec);
}

static void log_module_drops(struct daemon *d, const char *when)
{
	struct ef_stats st;

	if (ef_client_get_stats(d->nl, &st))
		return;
	for (unsigned i = 0; i <= EXEFLOW_S_MAX; i++) {
		if (st.has[i] && ef_stat_is_drop(i) && st.counter[i])
			ef_log("%s: module counter %s = %llu", when,
			       ef_stat_name(i),
			       (unsigned long long)st.counter[i]);
	}
}

static int receive(struct daemon *d)
{
	int n = ef_client_recv(d->nl);

	if (n == EF_EOVERRUN) {
		/* The module keeps what it could not send and retries; the
		 * sequence numbers tell whether anything was lost. */
		d->overruns++;
		if (d->overruns == 1 || d->overruns % 1000 == 0)
			ef_log("receive buffer overrun (%llu so far), resynchronising",
			       (unsigned long long)d->overruns);
		log_module_drops(d, "overrun");
		return 0;
	}
	if (n < 0) {
		ef_log("receiving records failed: %s", ef_strerror(n));
		return n;
	}
	return n;
}

/*
 * Shutdown: make the module end every flow and send it, then read until
 * nothing is left in its backlog or our socket. A slow drain is fine as
 * long as it moves; only SHUTDOWN_DRAIN_MS without progress ends it (what
 * is left stays in the module for the next start).
 */
static void drain_module(struct daemon *d)
{
	struct pollfd pfd = { .fd = ef_client_event_fd(d->nl), .events = POLLIN };
	uint64_t backlog = UINT64_MAX;
	struct ef_stats st;
	int idle = 0, err, n;

	err = ef_client_flush(d->nl, &st);
	if (err)
		ef_log("flush request failed: %s", ef_strerror(err));
	while (idle < SHUTDOWN_DRAIN_MS) {
		n = 0;
		while ((err = receive(d)) > 0)
			n += err;
		if (ef_client_get_stats(d->nl, &st))
			return;
		if (!st.counter[EXEFLOW_S_BACKLOG] && poll(&pfd, 1, 0) == 0) {
			/* Records dropped after the last one we got leave no
			 * gap in what arrived: compare with the module's last
			 * number. */
			if (st.has_last_seq && st.last_seq >= d->next_seq)
				d->seq_gaps += st.last_seq + 1 - d->next_seq;
			return;
		}
		if (n || st.counter[EXEFLOW_S_BACKLOG] < backlog)
			idle = 0;
		backlog = st.counter[EXEFLOW_S_BACKLOG];
		poll(&pfd, 1, 100);
		idle += 100;
	}
	ef_log("module still holds %llu records; they go to the next listener",
	       (unsigned long long)backlog);
}

static int open_all(struct daemon *d, const struct nfw_options *o,
		    const struct hashcache_config *hcfg,
		    const struct daemon_options *dopt)
{
	struct ef_client_opts nopts = { .flags = EF_OPEN_EVENTS,
					.rcvbuf = dopt->rcvbuf };
	struct pipeline_config pcfg = { 0 };

	d->rcvbuf = dopt->rcvbuf;
	struct ef_stats st;
	char err[256];
	struct stat sb;
	int ret;

	if (stat(o->dir, &sb) || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "exeflowd: %s: not a directory\n", o->dir);
		return -1;
	}
	if (access(o->dir, W_OK | X_OK)) {
		fprintf(stderr, "exeflowd: %s: not writable: %s\n", o->dir,
			strerror(errno));
		return -1;
	}
	ret = ef_client_open(&d->nl, &nopts);
	if (ret) {
		fprintf(stderr, "exeflowd: %s\n", ef_strerror(ret));
		return -1;
	}
	d->writer = nfw_open(o, time(NULL), err, sizeof(err));
	if (!d->writer) {
		fprintf(stderr, "exeflowd: %s\n", err);
		return -1;
	}
	/* OpenSSL's first use costs millions of instructions: now, not on
	 * the first executable, while records arrive. */
	if (exehash_init())
		ef_log("MD5 or SHA-256 is not available from OpenSSL (FIPS "
		       "mode?): flows are written without executable hashes");
	d->hc = hashcache_create(hcfg);
	if (!d->hc) {
		fprintf(stderr, "exeflowd: cannot start the hash workers\n");
		return -1;
	}
	pcfg.writer = d->writer;
	pcfg.hc = d->hc;
	pcfg.hash_wait_ms = dopt->hash_wait;
	d->pipe = pipeline_create(&pcfg);
	if (!d->pipe)
		return -1;
	d->next_seq = 1;
	ret = ef_client_register(d->nl, on_record, d, &st);
	if (ret) {
		fprintf(stderr, "exeflowd: registering with the module failed: %s\n",
			ef_strerror(ret));
		return -1;
	}
	ef_log("registered with exeflow (abi %u), writing to %s/%s", st.version,
	       o->dir, nfw_current_name(d->writer));
	return 0;
}

/*
 * The module can be unloaded (or reloaded) under us; the event socket just
 * goes quiet then. Once a second, ask: gone means finish the file and exit
 * non-zero (systemd restarts us after reloading the module); a fresh
 * instance without a listener means register again.
 */
static int check_module(struct daemon *d)
{
	struct ef_client_opts nopts = { .flags = EF_OPEN_EVENTS,
					.rcvbuf = d->rcvbuf };
	struct ef_stats st;
	int ret = ef_client_get_stats(d->nl, &st);

	if (!ret && st.listener == ef_client_event_portid(d->nl))
		return 0;
	if (!ret && st.listener) {
		ef_log("another process (netlink port %u) took over the records",
		       st.listener);
		return -1;
	}
	ef_client_close(d->nl);
	d->nl = NULL;
	ret = ef_client_open(&d->nl, &nopts);
	if (!ret)
		ret = ef_client_register(d->nl, on_record, d, &st);
	if (ret) {
		ef_log("lost the module: %s", ef_strerror(ret));
		return -1;
	}
	d->next_seq = 1;	/* a new listener is numbered from 1 */
	ef_log("module reloaded: registered again");
	return 1;
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Before any thread exists, so the hash workers inherit the mask. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	/*
	 * A file-size limit (LimitFSIZE=, ulimit -f) must be a write error
	 * like a full disk, which keeps the records and retries, not a kill.
	 */
	signal(SIGXFSZ, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int run(struct daemon *d, int sfd)
{
	struct pollfd pfd[3] = {
		{ .fd = ef_client_event_fd(d->nl), .events = POLLIN },
		{ .fd = hashcache_eventfd(d->hc), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	time_t last_tick = 0;

	for (;;) {
		if (poll(pfd, 3, 1000) < 0 && errno != EINTR) {
			ef_log("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[0].revents && receive(d) < 0)
			return 1;
		if (time(NULL) != last_tick) {
			switch (check_module(d)) {
			case -1:
				return 1;
			case 1:
				pfd[0].fd = ef_client_event_fd(d->nl);
				break;
			}
		}
		if (pfd[1].revents || time(NULL) != last_tick) {
			last_tick = time(NULL);
			pipeline_poll(d->pipe, last_tick);
		}
		if (!pfd[2].revents || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			if (nfw_rotate(d->writer, time(NULL)))
				ef_log("rotation failed: %s", nfw_error(d->writer));
			else
				ef_log("rotated on SIGHUP");
			continue;
		}
		ef_log("%s: flushing and finishing the file",
		       strsignal((int)si.ssi_signo));
		return 0;
	}
}

static int shutdown_all(struct daemon *d)
{
	struct pipeline_stats ps;
	struct hc_stats hs;
	size_t left;
	int ret = 0;

	if (d->nl) {
		drain_module(d);
		ef_client_unregister(d->nl);
	}
	left = pipeline_finish(d->pipe, SHUTDOWN_HASH_MS);
	if (left) {
		ef_log("%zu records could not be written: %s", left,
		       nfw_error(d->writer));
		ret = 1;
	}
	if (nfw_close(d->writer)) {
		ef_log("finishing the last file failed; the next start repairs it");
		ret = 1;
	}
	d->writer = NULL;
	pipeline_get_stats(d->pipe, &ps);
	hashcache_stats(d->hc, &hs);
	if (d->nl) {
		struct ef_client_counters cc;

		ef_client_counters(d->nl, &cc);
		if (cc.malformed || cc.ignored)
			ef_log("malformed records %llu, unexpected messages %llu",
			       (unsigned long long)cc.malformed,
			       (unsigned long long)cc.ignored);
	}
	ef_log("records %llu, flows written %llu (%llu with hash), dropped %llu, "
	       "sequence gaps %llu, overruns %llu, executables hashed %llu",
	       (unsigned long long)ps.records, (unsigned long long)ps.written,
	       (unsigned long long)ps.with_hash, (unsigned long long)ps.dropped,
	       (unsigned long long)d->seq_gaps,
	       (unsigned long long)d->overruns,
	       (unsigned long long)hs.hashed);
	if (d->nl)
		log_module_drops(d, "at exit");
	return ret;
}

int main(int argc, char **argv)
{
	struct nfw_options o = { .twin = 300, .compression = NFF_COMP_NONE,
				 .mode = 0640 };
	struct hashcache_config hcfg = { .workers = 1 };
	struct daemon d = { 0 };
	struct daemon_options dopt = { 0 };
	int sfd, ret = 1;

	if (parse_args(argc, argv, &o, &hcfg, &dopt))
		return 2;
	sfd = block_signals();
	if (sfd < 0) {
		perror("exeflowd: signalfd");
		return 1;
	}
	if (open_all(&d, &o, &hcfg, &dopt) == 0) {
		ret = run(&d, sfd);
		if (shutdown_all(&d))
			ret = 1;
	}
	if (d.writer)
		nfw_close(d.writer);
	pipeline_destroy(d.pipe);
	hashcache_destroy(d.hc);
	if (d.nl)
		ef_client_close(d.nl);
	close(sfd);
	return ret;
}
