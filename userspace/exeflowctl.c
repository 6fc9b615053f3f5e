// SPDX-License-Identifier: GPL-2.0
/*
 * exeflowctl: look at the exeflow module from a shell. Read-only: it never
 * registers (the one listener slot belongs to exeflowd) and never flushes.
 *
 * Everything printed that came from a process (comm, exe path) or from an
 * interface name is attacker-chosen text: it is escaped for the terminal in
 * human output and for JSON in --json output.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nlclient.h"
#include "recparse.h"

#define PARAM_DIR "/sys/module/exeflow/parameters"
#define MODULE_DIR "/sys/module/exeflow"
#define STR_(x) #x
#define STR(x) STR_(x)

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

static const char *prog = "exeflowctl";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [-j|--json] [-i SECONDS] COMMAND\n"
"\n"
"Inspect the exeflow kernel module.\n"
"\n"
"Commands:\n"
"  status   module state, parameters, counters, drops by cause, listener\n"
"  flows    the live flow table with the owning processes\n"
"  watch    print flows as they appear, until interrupted (Ctrl-C)\n"
"\n"
"Options:\n"
"  -j, --json            one JSON object (status), or one object per line\n"
"                        (flows, watch)\n"
"  -i, --interval SECS   polling interval for watch (default 1)\n"
"  -h, --help            show this help\n"
"\n"
"watch does not receive the module's records: the module exports to a\n"
"single listener, and that is exeflowd. Instead it reads the live table\n"
"every interval and prints the flows it has not seen before, so a flow\n"
"that starts and ends between two reads is missed, flows already present\n"
"at start are not shown, and the counters are those at first sight. For\n"
"a complete record use exeflowd's files.\n"
"\n"
"Reading counters and flows needs CAP_NET_ADMIN.\n"
"Exit status: 0 success, 1 error, 2 usage error.\n", prog);
}

/* ---- text escaping ---------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s, 0 if invalid. Stops at a NUL
 * (not a continuation byte), so it never reads past the string. */
static int utf8_len(const unsigned char *s)
{
	uint32_t cp;
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* JSON string; bytes that are not UTF-8 become U+FFFD. */
static void json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	if (!str) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*s) {
		n = utf8_len(s);
		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, (size_t)n, f);
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s);
		} else if (*s == '\n') {
			fputs("\\n", f);
		} else if (*s == '\t') {
			fputs("\\t", f);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s);
		} else {
			fputc(*s, f);
		}
		s += n;
	}
	fputc('"', f);
}

/*
 * Terminal-safe copy: control characters (C0, DEL, C1) and invalid UTF-8
 * become \xNN, so a process name cannot drive the admin's terminal.
 */
static const char *term_safe(char *dst, size_t size, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0;
	int n, i;

	while (*s && o + 5 < size) {
		n = utf8_len(s);
		if (n == 1 && *s >= 0x20 && *s != 0x7f && *s != '\\') {
			dst[o++] = (char)*s;
		} else if (n > 1 && !(n == 2 && s[0] == 0xc2 && s[1] < 0xa0)) {
			if (o + (size_t)n >= size)
				break;
			for (i = 0; i < n; i++)
				dst[o++] = (char)s[i];
		} else {
			n = 1;
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", *s);
		}
		s += n;
	}
	dst[o] = '\0';
	return dst;
}

/* ---- user names --------------------------------------------------------- */

#define UCACHE 64

struct ucache {
	struct {
		bool used;
		uint32_t uid;
		char name[64];	/* "" = no such user */
	} e[UCACHE];
	unsigned int next;
};

/* NULL when the uid has no passwd entry; the caller shows the number. */
static const char *user_name(struct ucache *uc, uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	unsigned int i;

	for (i = 0; i < UCACHE; i++)
		if (uc->e[i].used && uc->e[i].uid == uid)
			return uc->e[i].name[0] ? uc->e[i].name : NULL;
	i = uc->next++ % UCACHE;
	uc->e[i].used = true;
	uc->e[i].uid = uid;
	uc->e[i].name[0] = '\0';
	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(uc->e[i].name, sizeof(uc->e[i].name), "%s",
			 res->pw_name);
	return uc->e[i].name[0] ? uc->e[i].name : NULL;
}

/* ---- flow formatting ---------------------------------------------------- */

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP;
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static const char *addr_str(char *buf, size_t size, uint8_t family,
			    const uint8_t *a)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, buf,
		       (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

/* "addr:port", "[v6]:port", or "addr" for portless protocols. */
static void endpoint(char *buf, size_t size, const struct ef_record *r,
		     const uint8_t *a, uint16_t port, bool dst)
{
	char ip[INET6_ADDRSTRLEN];

	addr_str(ip, sizeof(ip), r->family, a);
	if (has_ports(r->proto))
		snprintf(buf, size, r->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			 ip, port);
	else if (is_icmp(r->proto) && dst)
		snprintf(buf, size, "%s/%u:%u", ip, port >> 8, port & 0xff);
	else
		snprintf(buf, size, "%s", ip);
}

static const char *proto_str(char *buf, size_t size, uint8_t proto)
{
	const char *n = ef_proto_name(proto);

	if (n)
		return n;
	snprintf(buf, size, "%u", proto);
	return buf;
}

struct out {
	bool json;
	bool watch;
	unsigned long count;
	struct ucache users;
};

static const char *dir_short(uint8_t d)
{
	return d == EXEFLOW_DIR_OUTBOUND ? "out" :
	       d == EXEFLOW_DIR_INBOUND ? "in" : "?";
}

static void print_header(const struct out *o)
{
	if (o->watch)
		printf("%-8s ", "TIME");
	printf("%-5s %-23s %-23s %-3s %10s %12s %10s %12s %7s %-10s "
	       "%-12s %-15s %s\n", "PROTO", "SOURCE", "DESTINATION", "DIR",
	       "PKTS>", "BYTES>", "PKTS<", "BYTES<", "PID", "USER", "METHOD",
	       "COMM", "EXE");
}

static void print_human(struct out *o, const struct ef_record *r)
{
	char src[80], dst[80], pbuf[8], user[32], pid[16], comm[80];
	char exe[4 * EF_PATH_LEN + 16];
	const char *name = NULL;
	bool have_uid = true;
	uint32_t uid = 0;

	endpoint(src, sizeof(src), r, r->src, r->sport, false);
	endpoint(dst, sizeof(dst), r, r->dst, r->dport, true);
	if (r->proc.present)
		uid = r->proc.uid;
	else if (r->has_sock_uid)
		uid = r->sock_uid;
	else
		have_uid = false;
	if (have_uid)
		name = user_name(&o->users, uid);
	if (name)
		term_safe(user, sizeof(user), name);
	else if (have_uid)
		snprintf(user, sizeof(user), "%" PRIu32, uid);
	else
		snprintf(user, sizeof(user), "-");

	if (r->proc.present) {
		snprintf(pid, sizeof(pid), "%" PRIu32, r->proc.tgid);
		term_safe(comm, sizeof(comm), r->proc.comm);
		term_safe(exe, sizeof(exe) - 12, r->proc.exe_path[0] ?
			  r->proc.exe_path : "-");
		if (r->proc.flags & EXEFLOW_PF_EXE_DELETED)
			strcat(exe, " (deleted)");
	} else {
		snprintf(pid, sizeof(pid), "-");
		snprintf(comm, sizeof(comm), "-");
		snprintf(exe, sizeof(exe), "-");
	}

	if (o->watch) {
		time_t t = (time_t)(r->first_ns / 1000000000u);
		struct tm tm;
		char ts[16] = "?";

		if (localtime_r(&t, &tm))
			strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		printf("%-8s ", ts);
	}
	printf("%-5s %-23s %-23s %-3s %10" PRIu64 " %12" PRIu64 " %10" PRIu64
	       " %12" PRIu64 " %7s %-10s %-12s %-15s %s\n",
	       proto_str(pbuf, sizeof(pbuf), r->proto), src, dst,
	       dir_short(r->direction), r->fwd_packets, r->fwd_bytes,
	       r->rev_packets, r->rev_bytes, pid, user,
	       ef_method_name(r->method), comm, exe);
}

/* A record without the attribute has 0, which no socket or cgroup has. */
static void json_id(const char *key, uint64_t id)
{
	if (id)
		printf(",\"%s\":%" PRIu64, key, id);
	else
		printf(",\"%s\":null", key);
}

static void json_user(struct out *o, const char *key, uint32_t uid)
{
	printf(",\"%s\":", key);
	json_str(stdout, user_name(&o->users, uid));
}

static void json_proc(struct out *o, const struct ef_proc *p)
{
	printf(",\"proc\":{\"tgid\":%" PRIu32 ",\"pid\":%" PRIu32
	       ",\"ppid\":%" PRIu32 ",\"sid\":%" PRIu32 ",\"pgid\":%" PRIu32
	       ",\"start_ns\":%" PRIu64 ",\"uid\":%" PRIu32,
	       p->tgid, p->pid, p->ppid, p->sid, p->pgid, p->start_ns, p->uid);
	json_user(o, "user", p->uid);
	printf(",\"gid\":%" PRIu32 ",\"euid\":%" PRIu32 ",\"egid\":%" PRIu32
	       ",\"comm\":", p->gid, p->euid, p->egid);
	json_str(stdout, p->comm);
	printf(",\"exe\":");
	json_str(stdout, p->exe_path[0] ? p->exe_path : NULL);
	printf(",\"exe_known\":%s,\"exe_deleted\":%s,\"exe_major\":%" PRIu32
	       ",\"exe_minor\":%" PRIu32 ",\"exe_ino\":%" PRIu64
	       ",\"exe_size\":%" PRIu64 ",\"exe_mtime_ns\":%" PRIu64
	       ",\"cgroup_id\":%" PRIu64 ",\"pidns_inum\":%" PRIu32
	       ",\"flags\":%" PRIu32 ",\"tty\":%s,\"foreground\":%s"
	       ",\"session_leader\":%s,\"kthread\":%s}",
	       p->flags & EXEFLOW_PF_EXE_KNOWN ? "true" : "false",
	       p->flags & EXEFLOW_PF_EXE_DELETED ? "true" : "false",
	       p->exe_major, p->exe_minor, p->exe_ino, p->exe_size,
	       p->exe_mtime_ns, p->cgroup_id, p->pidns_inum, p->flags,
	       p->flags & EXEFLOW_PF_HAS_TTY ? "true" : "false",
	       p->flags & EXEFLOW_PF_FOREGROUND ? "true" : "false",
	       p->flags & EXEFLOW_PF_SESSION_LEADER ? "true" : "false",
	       p->flags & EXEFLOW_PF_KTHREAD ? "true" : "false");
}

static void print_json(struct out *o, const struct ef_record *r)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	printf("{\"event\":\"%s\",\"seq\":%" PRIu64 ",\"flow_id\":%" PRIu64
	       ",\"netns_id\":%" PRIu64 ",\"family\":\"%s\",\"proto\":%u",
	       ef_event_name(r->event), r->seq, r->flow_id, r->netns_id,
	       r->family == AF_INET6 ? "ipv6" : "ipv4", r->proto);
	if (ef_proto_name(r->proto))
		printf(",\"proto_name\":\"%s\"", ef_proto_name(r->proto));
	printf(",\"src\":\"%s\",\"dst\":\"%s\"",
	       addr_str(src, sizeof(src), r->family, r->src),
	       addr_str(dst, sizeof(dst), r->family, r->dst));
	if (is_icmp(r->proto))
		printf(",\"icmp_type\":%u,\"icmp_code\":%u,\"icmp_id\":%u",
		       r->dport >> 8, r->dport & 0xff, r->icmp_id);
	else
		printf(",\"sport\":%u,\"dport\":%u", r->sport, r->dport);
	printf(",\"direction\":\"%s\",\"fwd_packets\":%" PRIu64
	       ",\"fwd_bytes\":%" PRIu64 ",\"rev_packets\":%" PRIu64
	       ",\"rev_bytes\":%" PRIu64 ",\"fwd_tcp_flags\":%u"
	       ",\"rev_tcp_flags\":%u,\"first_ns\":%" PRIu64
	       ",\"last_ns\":%" PRIu64 ",\"in_ifindex\":%" PRIu32,
	       ef_direction_name(r->direction), r->fwd_packets, r->fwd_bytes,
	       r->rev_packets, r->rev_bytes, r->fwd_tcp_flags,
	       r->rev_tcp_flags, r->first_ns, r->last_ns, r->in_ifindex);
	printf(",\"in_ifname\":");
	json_str(stdout, r->in_ifname[0] ? r->in_ifname : NULL);
	printf(",\"out_ifindex\":%" PRIu32 ",\"out_ifname\":", r->out_ifindex);
	json_str(stdout, r->out_ifname[0] ? r->out_ifname : NULL);
	printf(",\"end_reason\":\"%s\",\"method\":\"%s\"",
	       ef_end_reason_name(r->end_reason), ef_method_name(r->method));
	json_id("sock_cookie", r->sock_cookie);
	json_id("sock_cgroup", r->sock_cgroup);
	if (r->has_sock_uid) {
		printf(",\"sock_uid\":%" PRIu32, r->sock_uid);
		json_user(o, "sock_user", r->sock_uid);
	}
	if (r->proc.present)
		json_proc(o, &r->proc);
	else
		printf(",\"proc\":null");
	printf("}\n");
}

static void print_flow(const struct ef_record *r, void *arg)
{
	struct out *o = arg;

	o->count++;
	if (o->json)
		print_json(o, r);
	else
		print_human(o, r);
}

/* ---- status -------------------------------------------------------------- */

struct param {
	char name[256];
	char value[512];
	int err;		/* errno reading it, 0 = ok */
};

/* Sorted module parameters; NULL + *n = 0 when the module is not there. */
static struct param *read_params(size_t *n)
{
	struct dirent **ents;
	struct param *p;
	int cnt, i;
	size_t k = 0;

	*n = 0;
	cnt = scandir(PARAM_DIR, &ents, NULL, alphasort);
	if (cnt < 0)
		return NULL;
	p = calloc((size_t)cnt + 1, sizeof(*p));
	for (i = 0; i < cnt; i++) {
		char path[512];
		FILE *f;
		size_t len;

		if (p && ents[i]->d_name[0] != '.') {
			struct param *q = &p[k++];

			snprintf(q->name, sizeof(q->name), "%s",
				 ents[i]->d_name);
			snprintf(path, sizeof(path), PARAM_DIR "/%s",
				 ents[i]->d_name);
			f = fopen(path, "r");
			if (!f) {
				q->err = errno;
			} else {
				len = fread(q->value, 1, sizeof(q->value) - 1,
					    f);
				if (ferror(f))
					q->err = errno ? errno : EIO;
				q->value[len] = '\0';
				while (len && isspace((unsigned char)
						      q->value[len - 1]))
					q->value[--len] = '\0';
				fclose(f);
			}
		}
		free(ents[i]);
	}
	free(ents);
	*n = k;
	return p;
}

struct listener_info {
	bool found;		/* socket seen in /proc/net/netlink */
	int rmem;
	unsigned int drops;
	unsigned long inode;
	long pid;		/* -1 if the owner was not found */
	char comm[64];
};

static bool pid_has_socket(long pid, const char *want)
{
	char dir[64], path[384], link[64];
	struct dirent *de;
	bool found = false;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = strcmp(link, want) == 0;
	}
	closedir(d);
	return found;
}

/*
 * Who holds the listener socket. libnl picks portid = pid + (n << 22), so
 * that pid is tried first; otherwise every process is searched (which needs
 * root to see other users' fds; failing is fine, it is only a hint).
 */
static void find_listener(uint32_t portid, struct listener_info *li)
{
	char line[512], want[64], path[64];
	unsigned int pid, groups, drops;
	int eth, rmem, wmem, dump, locks;
	unsigned long inode;
	struct dirent *de;
	FILE *f;
	DIR *d;
	long cand;
	int try;

	memset(li, 0, sizeof(*li));
	li->pid = -1;
	/*
	 * The kernel walks a hash table that resizes while sockets come and
	 * go (a busy host, `ip netns exec` loops), and a read can then miss
	 * an entry: read again before saying the socket is not there.
	 */
	for (try = 0; try < 3 && !li->found; try++) {
		f = fopen("/proc/net/netlink", "r");
		if (!f)
			return;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%*s %d %u %x %d %d %d %d %u %lu",
				   &eth, &pid, &groups, &rmem, &wmem, &dump,
				   &locks, &drops, &inode) == 9 &&
			    eth == NETLINK_GENERIC && pid == portid) {
				li->found = true;
				li->rmem = rmem;
				li->drops = drops;
				li->inode = inode;
				break;
			}
		}
		fclose(f);
	}
	if (!li->found || !li->inode)
		return;

	snprintf(want, sizeof(want), "socket:[%lu]", li->inode);
	cand = (long)(portid & 0x3fffff);
	if (!pid_has_socket(cand, want)) {
		cand = -1;
		d = opendir("/proc");
		while (d && (de = readdir(d))) {
			char *end;
			long p = strtol(de->d_name, &end, 10);

			if (*end || p <= 0)
				continue;
			if (pid_has_socket(p, want)) {
				cand = p;
				break;
			}
		}
		if (d)
			closedir(d);
	}
	if (cand < 0)
		return;
	li->pid = cand;
	snprintf(path, sizeof(path), "/proc/%ld/comm", cand);
	f = fopen(path, "r");
	if (f) {
		if (fgets(li->comm, sizeof(li->comm), f))
			li->comm[strcspn(li->comm, "\n")] = '\0';
		fclose(f);
	}
}

static void status_human(bool loaded, bool sysfs, int family,
			 const struct param *par, size_t npar, int serr,
			 const struct ef_stats *st, const struct listener_info *li)
{
	char buf[1100];
	unsigned int i;
	bool any;

	if (loaded)
		printf("module:     loaded (generic netlink family %s, id %d)\n",
		       EXEFLOW_GENL_NAME, family);
	else if (sysfs)
		printf("module:     loaded, but its generic netlink family is "
		       "not visible here (not the initial network namespace?)\n");
	else
		printf("module:     not loaded\n");
	if (loaded && !serr) {
		printf("version:    %" PRIu32 "%s\n", st->version,
		       st->version == EXEFLOW_GENL_VERSION ? "" :
		       " (this exeflowctl speaks version "
		       STR(EXEFLOW_GENL_VERSION) ")");
		if (!st->listener) {
			printf("listener:   none (records are dropped: is "
			       "exeflowd running?)\n");
		} else {
			printf("listener:   portid %" PRIu32, st->listener);
			if (li->pid >= 0)
				printf(", pid %ld (%s)", li->pid,
				       term_safe(buf, sizeof(buf), li->comm));
			if (li->found)
				printf(", receive queue %d bytes, socket "
				       "drops %u", li->rmem, li->drops);
			printf("\n");
		}
	}
	if (npar) {
		printf("parameters:\n");
		for (i = 0; i < npar; i++) {
			printf("  %-24s ", term_safe(buf, 300, par[i].name));
			if (par[i].err)
				printf("(unreadable: %s)\n",
				       strerror(par[i].err));
			else
				printf("%s\n", term_safe(buf, sizeof(buf),
							 par[i].value));
		}
	}
	if (!loaded || serr)
		return;
	printf("counters:\n");
	for (i = 0; i <= EXEFLOW_S_MAX; i++)
		if (st->has[i] && ef_stat_name(i) && !ef_stat_is_drop(i))
			printf("  %-24s %" PRIu64 "%s\n", ef_stat_name(i),
			       st->counter[i],
			       ef_stat_is_gauge(i) ? "  (now)" : "");
	printf("drops by cause:\n");
	any = false;
	for (i = 0; i <= EXEFLOW_S_MAX; i++) {
		if (st->has[i] && ef_stat_is_drop(i)) {
			printf("  %-24s %" PRIu64 "\n", ef_stat_name(i),
			       st->counter[i]);
			any = true;
		}
	}
	if (!any)
		printf("  (none reported)\n");
}

static void status_json(bool loaded, bool sysfs, int family,
			const struct param *par, size_t npar, int serr,
			const struct ef_stats *st,
			const struct listener_info *li, int oerr)
{
	const char *sep = "";
	unsigned int i;
	size_t k;

	printf("{\"loaded\":%s,\"module_present\":%s",
	       loaded ? "true" : "false", loaded || sysfs ? "true" : "false");
	if (loaded)
		printf(",\"family_id\":%d", family);
	if (oerr || serr) {
		printf(",\"error\":");
		json_str(stdout, ef_strerror(oerr ? oerr : serr));
	}
	printf(",\"parameters\":{");
	for (k = 0; k < npar; k++) {
		printf("%s", k ? "," : "");
		json_str(stdout, par[k].name);
		putchar(':');
		json_str(stdout, par[k].err ? NULL : par[k].value);
	}
	printf("}");
	if (loaded && !serr) {
		printf(",\"version\":%" PRIu32 ",\"listener\":", st->version);
		if (!st->listener) {
			printf("null");
		} else {
			printf("{\"portid\":%" PRIu32, st->listener);
			if (li->pid >= 0) {
				printf(",\"pid\":%ld,\"comm\":", li->pid);
				json_str(stdout, li->comm);
			}
			if (li->found)
				printf(",\"rmem\":%d,\"socket_drops\":%u",
				       li->rmem, li->drops);
			printf("}");
		}
		printf(",\"counters\":{");
		for (i = 0; i <= EXEFLOW_S_MAX; i++) {
			if (st->has[i] && ef_stat_name(i) &&
			    !ef_stat_is_drop(i)) {
				printf("%s\"%s\":%" PRIu64, sep,
				       ef_stat_name(i), st->counter[i]);
				sep = ",";
			}
		}
		printf("},\"drops\":{");
		sep = "";
		for (i = 0; i <= EXEFLOW_S_MAX; i++) {
			if (st->has[i] && ef_stat_is_drop(i)) {
				printf("%s\"%s\":%" PRIu64, sep,
				       ef_stat_name(i), st->counter[i]);
				sep = ",";
			}
		}
		printf("}");
	}
	printf("}\n");
}

static int cmd_status(bool json)
{
	struct listener_info li = { .pid = -1 };
	struct ef_client *c = NULL;
	struct ef_stats st;
	struct param *par;
	size_t npar;
	struct stat sb;
	bool sysfs;
	int oerr, serr = 0, family = 0;

	oerr = ef_client_open(&c, NULL);
	sysfs = stat(MODULE_DIR, &sb) == 0;
	par = read_params(&npar);
	if (!oerr) {
		family = ef_client_family_id(c);
		serr = ef_client_get_stats(c, &st);
		if (!serr && st.listener)
			find_listener(st.listener, &li);
		ef_client_close(c);
	}
	if (json)
		status_json(!oerr, sysfs, family, par, npar, serr, &st, &li,
			    oerr);
	else
		status_human(!oerr, sysfs, family, par, npar, serr, &st, &li);
	free(par);
	if (oerr || serr) {
		fprintf(stderr, "%s: %s\n", prog, ef_strerror(oerr ? oerr : serr));
		return EXIT_ERR;
	}
	return EXIT_OK;
}

/* ---- flows / watch ------------------------------------------------------- */

static int open_client(struct ef_client **c)
{
	int err = ef_client_open(c, NULL);

	if (err)
		fprintf(stderr, "%s: %s\n", prog, ef_strerror(err));
	return err;
}

static int cmd_flows(bool json)
{
	struct out *o = calloc(1, sizeof(*o));
	struct ef_client *c;
	int err, rc = EXIT_OK;

	if (!o || open_client(&c)) {
		free(o);
		return EXIT_ERR;
	}
	o->json = json;
	if (!json)
		print_header(o);
	err = ef_client_get_flows(c, print_flow, o);
	if (err == EF_EDUMPINTR) {
		fprintf(stderr, "%s: warning: %s\n", prog, ef_strerror(err));
	} else if (err < 0) {
		fprintf(stderr, "%s: %s\n", prog, ef_strerror(err));
		rc = EXIT_ERR;
	}
	if (!json && rc == EXIT_OK)
		printf("%lu flow%s\n", o->count, o->count == 1 ? "" : "s");
	ef_client_close(c);
	free(o);
	return rc;
}

/* Open-addressing set of flow ids, rebuilt from every poll. */
struct idset {
	uint64_t *key;
	bool *used;
	size_t cap, n;
};

static size_t idset_slot(const struct idset *s, uint64_t k)
{
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (s->cap - 1);

	while (s->used[i] && s->key[i] != k)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static bool idset_has(const struct idset *s, uint64_t k)
{
	return s->cap && s->used[idset_slot(s, k)];
}

static int idset_add(struct idset *s, uint64_t k);

static int idset_grow(struct idset *s)
{
	struct idset n = { .cap = s->cap ? s->cap * 2 : 1024 };
	size_t i;

	n.key = calloc(n.cap, sizeof(*n.key));
	n.used = calloc(n.cap, sizeof(*n.used));
	if (!n.key || !n.used) {
		free(n.key);
		free(n.used);
		return -ENOMEM;
	}
	for (i = 0; i < s->cap; i++)
		if (s->used[i])
			idset_add(&n, s->key[i]);
	free(s->key);
	free(s->used);
	*s = n;
	return 0;
}

static int idset_add(struct idset *s, uint64_t k)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap && idset_grow(s))
		return -ENOMEM;
	i = idset_slot(s, k);
	if (!s->used[i]) {
		s->used[i] = true;
		s->key[i] = k;
		s->n++;
	}
	return 0;
}

static void idset_clear(struct idset *s)
{
	if (s->cap)
		memset(s->used, 0, s->cap * sizeof(*s->used));
	s->n = 0;
}

struct watch {
	struct out out;
	struct idset prev, cur;
	bool baseline;		/* first poll: remember, do not print */
	int err;
};

static void watch_flow(const struct ef_record *r, void *arg)
{
	struct watch *w = arg;

	if (idset_add(&w->cur, r->flow_id))
		w->err = -ENOMEM;
	if (!w->baseline && !idset_has(&w->prev, r->flow_id))
		print_flow(r, &w->out);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_watch(bool json, double interval)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct watch *w = calloc(1, sizeof(*w));
	struct ef_client *c;
	struct idset tmp;
	struct timespec ts;
	int err, rc = EXIT_OK;

	if (!w || open_client(&c)) {
		free(w);
		return EXIT_ERR;
	}
	/* No SA_RESTART: the sleep must end at Ctrl-C. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	w->out.json = json;
	w->out.watch = true;
	w->baseline = true;
	while (!stop) {
		idset_clear(&w->cur);
		err = ef_client_get_flows(c, watch_flow, w);
		if (!err && w->err)
			err = w->err;
		/* An inconsistent dump only risks a late or repeated line. */
		if (err < 0 && err != EF_EDUMPINTR) {
			fprintf(stderr, "%s: %s\n", prog, ef_strerror(err));
			rc = EXIT_ERR;
			break;
		}
		tmp = w->prev;
		w->prev = w->cur;
		w->cur = tmp;
		/* The header comes after the first look, so a script can wait
		 * for it before starting what it wants to see. */
		if (w->baseline && !json)
			print_header(&w->out);
		w->baseline = false;
		if (fflush(stdout))
			break;
		ts.tv_sec = (time_t)interval;
		ts.tv_nsec = (long)((interval - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
	ef_client_close(c);
	free(w->prev.key);
	free(w->prev.used);
	free(w->cur.key);
	free(w->cur.used);
	free(w);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double interval = 1.0;
	bool json = false;
	const char *cmd;
	char *end;
	int opt, rc;

	if (argc > 0 && argv[0] && *argv[0]) {
		prog = strrchr(argv[0], '/');
		prog = prog ? prog + 1 : argv[0];
	}
	opterr = 0;	/* our own message, with the short program name */
	while ((opt = getopt_long(argc, argv, ":ji:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || end == optarg || !(interval >= 0.1) ||
			    interval > 3600) {
				fprintf(stderr, "%s: --interval wants seconds "
					"between 0.1 and 3600\n", prog);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ':':
			fprintf(stderr, "%s: option '%s' needs an argument\n"
				"Try '%s --help'.\n", prog, argv[optind - 1],
				prog);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "%s: unknown option '%s'\n"
				"Try '%s --help'.\n", prog, argv[optind - 1],
				prog);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s\nTry '%s --help'.\n", prog,
			optind >= argc ? "missing command" : "too many arguments",
			prog);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	if (!strcmp(cmd, "status")) {
		rc = cmd_status(json);
	} else if (!strcmp(cmd, "flows")) {
		rc = cmd_flows(json);
	} else if (!strcmp(cmd, "watch")) {
		rc = cmd_watch(json, interval);
	} else if (!strcmp(cmd, "help")) {
		usage(stdout);
		rc = EXIT_OK;
	} else {
		fprintf(stderr, "%s: unknown command '%s'\nTry '%s --help'.\n",
			prog, cmd, prog);
		return EXIT_USAGE;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: error writing output: %s\n", prog,
			strerror(errno));
		return EXIT_ERR;
	}
	return rc;
}
