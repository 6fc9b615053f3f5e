// SPDX-License-Identifier: GPL-2.0
/*
 * Files from our writer, read back by the real nfdump/nfexpire (Debian 12:
 * 1.7.1): printed fields, raw output, -I stats, -t windows, the three
 * compressions, -R over a rotated -S 1 tree, nfexpire, crash recovery.
 * NFDUMP / NFEXPIRE override the binaries.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "label.h"
#include "nffile.h"
#include "nfrotate.h"
#include "tmpdir.h"

#define SLOT0 ((time_t)1699999800)	/* 2023-11-14 22:10:00 UTC */
#define T0 ((time_t)1700000000)
/* snprintf that fails the test instead of truncating */
#define SPRINT(buf, ...) \
	ck_assert_int_lt(snprintf(buf, sizeof(buf), __VA_ARGS__), (int)sizeof(buf))

#define FMT "fmt:%ts %te %pr %sap -> %dap %flg %pkt %byt %opkt %obyt %dir %uname %nbnam %lbl"

static char out[1 << 16], errout[1 << 12];

static void mk_tmp(void)
{
	mk_tmp_named("nfrb");
}

static const char *tool(const char *env, const char *def)
{
	const char *t = getenv(env);

	return t && *t ? t : def;
}

/* Run a command; stdout in out[], stderr in errout[]. Returns exit code. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[1024], errf[300];
	size_t n = 0, r;
	va_list ap;
	FILE *p;
	int st, fd;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 300, fmt, ap);
	va_end(ap);
	SPRINT(errf, "%s.stderr", tmpdir);
	ck_assert_int_lt(snprintf(cmd + strlen(cmd), 300, " 2>%s", errf), 300);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while ((r = fread(out + n, 1, sizeof(out) - 1 - n, p)) > 0)
		n += r;
	out[n] = 0;
	st = pclose(p);
	fd = open(errf, O_RDONLY);
	n = 0;
	if (fd >= 0) {
		ssize_t k = read(fd, errout, sizeof(errout) - 1);

		n = k > 0 ? (size_t)k : 0;
		close(fd);
		unlink(errf);
	}
	errout[n] = 0;
	ck_assert_msg(WIFEXITED(st), "%s: killed", cmd);
	return WEXITSTATUS(st);
}

static int nfdump(const char *args)
{
	return run("%s %s", tool("NFDUMP", "nfdump"), args);
}

/* Output lines, not counting nfdump's "No matching flows" note. */
static unsigned lines(const char *s)
{
	unsigned n = 0;

	if (!strcmp(s, "No matching flows\n"))
		return 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Squeeze runs of blanks so column widths do not matter. */
static void squeeze(char *s)
{
	char *d = s;

	for (char *p = s; *p; p++) {
		if (*p == ' ' && (d == s || d[-1] == ' ' || d[-1] == '\n'))
			continue;
		if (*p == '\n' && d > s && d[-1] == ' ')
			d--;
		*d++ = *p;
	}
	*d = 0;
}

/* ---- the five golden flows, with process attribution ---- */

static char labels[5][LBL_MAX];
static uint8_t ids[3][NFR_APP_ID_LEN];
static const char *const comms[3] = { "Web Content", "sshd", "systemd-resolve" };
static const char *const exes[3] = {
	"/opt/my app/\"fire\\fox\" 100%=\xc3\xa9", "/usr/sbin/sshd",
	"/usr/lib/systemd/systemd-resolved",
};

static struct nfw_flow gflow(int i)
{
	static const int app[5] = { 0, 2, 1, 0, 0 };
	struct nfw_flow f = { .received_ms = (uint64_t)T0 * 1000, .family = AF_INET,
			      .out_if = 2, .out_ifname = "eth0", .dir = 1 };
	struct lbl_proc p = { .have = LBL_PID | LBL_UID, .pid = 100 + (uint32_t)i,
			      .uid = 1000, .fg = i == 0, .comm = comms[app[i]],
			      .exe = exes[app[i]], .how = i == 2 ? "accept" : "task" };

	nfw_app_id(ids[app[i]], comms[app[i]], exes[app[i]], NULL);
	f.app_id = ids[app[i]];
	f.app_id_len = NFR_APP_ID_LEN;
	f.app_name = comms[app[i]];
	f.app_desc = exes[app[i]];
	ck_assert_int_gt(lbl_encode(labels[i], LBL_MAX, &p), 0);
	f.label = labels[i];
	switch (i) {
	case 0:
		inet_pton(AF_INET, "10.0.0.1", f.src);
		inet_pton(AF_INET, "93.184.216.34", f.dst);
		f.first_ms = 1700000000000ull, f.last_ms = 1700000001500ull;
		f.in_pkts = 12, f.in_bytes = 2400, f.out_pkts = 10, f.out_bytes = 9000;
		f.sport = 40001, f.dport = 443, f.proto = 6, f.tcp_flags = 0x1b;
		f.user = "alice";
		break;
	case 1:
		inet_pton(AF_INET, "10.0.0.1", f.src);
		inet_pton(AF_INET, "10.0.0.53", f.dst);
		f.first_ms = 1700000000100ull, f.last_ms = 1700000000120ull;
		f.in_pkts = 1, f.in_bytes = 60, f.out_pkts = 1, f.out_bytes = 120;
		f.sport = 53000, f.dport = 53, f.proto = 17;
		f.user = "systemd-resolve";
		break;
	case 2:
		inet_pton(AF_INET, "192.168.1.7", f.src);
		inet_pton(AF_INET, "10.0.0.1", f.dst);
		f.first_ms = 1700000000200ull, f.last_ms = 1700000009000ull;
		f.in_pkts = 30, f.in_bytes = 5000, f.out_pkts = 25, f.out_bytes = 7000;
		f.sport = 51515, f.dport = 22, f.proto = 6, f.tcp_flags = 0x1f;
		f.in_if = 2, f.in_ifname = "eth0", f.out_if = 0, f.out_ifname = NULL;
		f.dir = 0, f.user = "root";
		break;
	case 3:
		inet_pton(AF_INET, "10.0.0.1", f.src);
		inet_pton(AF_INET, "1.1.1.1", f.dst);
		f.first_ms = f.last_ms = 1700000000300ull;
		f.in_pkts = 1, f.in_bytes = 84, f.proto = 1, f.dport = 8 << 8;
		f.user = "bob";
		break;
	default:
		f.family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::1", f.src);
		inet_pton(AF_INET6, "2001:db8::2", f.dst);
		f.first_ms = 1700000000400ull, f.last_ms = 1700000002400ull;
		f.in_pkts = 5, f.in_bytes = 700, f.out_pkts = 4, f.out_bytes = 900;
		f.sport = 41000, f.dport = 80, f.proto = 6, f.tcp_flags = 0x1a;
		f.user = "alice";
	}
	return f;
}

/* Write the five flows into one file; returns its path. */
static const char *write_golden(int comp)
{
	static char path[512];
	struct nfw_options o = { .dir = tmpdir, .twin = 300, .compression = comp,
				 .ident = "testhost" };
	char err[256];
	struct nfw *w = nfw_open(&o, T0, err, sizeof(err));

	ck_assert_msg(w, "%s", err);
	for (int i = 0; i < 5; i++) {
		struct nfw_flow f = gflow(i);

		ck_assert_int_eq(nfw_write(w, &f, T0), 0);
	}
	ck_assert_int_eq(nfw_close(w), 0);
	snprintf(path, sizeof(path), "%s/nfcapd.202311142210", tmpdir);
	return path;
}

static void expect_fields(const char *file)
{
	char args[700];
	static char want[6 * LBL_MAX];

	SPRINT(args, "-q -r %s -o '%s'", file, FMT);
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_str_eq(errout, "");
	squeeze(out);
	SPRINT(want,
		 "2023-11-14 22:13:20.000 2023-11-14 22:13:21.500 TCP 10.0.0.1:40001 -> 93.184.216.34:443 ...AP.SF 12 2400 10 9000 E alice Web Content//opt/my app/\"fire\\fox\" 100%%=\xc3\xa9 %s\n"
		 "2023-11-14 22:13:20.100 2023-11-14 22:13:20.120 UDP 10.0.0.1:53000 -> 10.0.0.53:53 ........ 1 60 1 120 E systemd-resolve systemd-resolve//usr/lib/systemd/systemd-resolved %s\n"
		 "2023-11-14 22:13:20.200 2023-11-14 22:13:29.000 TCP 192.168.1.7:51515 -> 10.0.0.1:22 ...APRSF 30 5000 25 7000 I root sshd//usr/sbin/sshd %s\n"
		 "2023-11-14 22:13:20.300 2023-11-14 22:13:20.300 ICMP 10.0.0.1:0 -> 1.1.1.1:8.0 ........ 1 84 0 0 E bob Web Content//opt/my app/\"fire\\fox\" 100%%=\xc3\xa9 %s\n"
		 "2023-11-14 22:13:20.400 2023-11-14 22:13:22.400 TCP 2001:db8::1.41000 -> 2001:db8::2.80 ...AP.S. 5 700 4 900 E alice Web Content//opt/my app/\"fire\\fox\" 100%%=\xc3\xa9 %s\n",
		 labels[0], labels[1], labels[2], labels[3], labels[4]);
	ck_assert_str_eq(out, want);
}

START_TEST(fields_all_compressions)
{
	static const int comp[3] = { NFF_COMP_NONE, NFF_COMP_LZO, NFF_COMP_LZ4 };

	for (int i = 0; i < 3; i++) {
		mk_tmp();
		expect_fields(write_golden(comp[i]));
		rm_tmp();
	}
}
END_TEST

/* What nfdump prints in %lbl decodes back to the exact process fields. */
START_TEST(label_roundtrip_through_nfdump)
{
	char args[700], v[256], *nl;

	mk_tmp();
	snprintf(args, sizeof(args), "-q -r %s -o 'fmt:%%lbl'", write_golden(NFF_COMP_LZ4));
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_uint_eq(lines(out), 5);
	nl = strchr(out, '\n');
	*nl = 0;
	ck_assert_str_eq(out, labels[0]);
	ck_assert_int_eq(lbl_get(out, "comm", v, sizeof(v)), 1);
	ck_assert_str_eq(v, comms[0]);
	ck_assert_int_eq(lbl_get(out, "exe", v, sizeof(v)), 1);
	ck_assert_str_eq(v, exes[0]);
	ck_assert_int_eq(lbl_get(out, "fg", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "1");
	ck_assert_int_eq(lbl_get(out, "md5", v, sizeof(v)), 0);
	ck_assert_ptr_null(strchr(out, '"'));	/* json stays valid */
	ck_assert_ptr_null(strchr(out, '\\'));
	rm_tmp();
}
END_TEST

START_TEST(raw_output)
{
	char args[700];

	mk_tmp();
	snprintf(args, sizeof(args), "-r %s -o raw", write_golden(NFF_COMP_NONE));
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_str_eq(errout, "");
	ck_assert_ptr_nonnull(strstr(out, "username     =       alice\n"));
	ck_assert_ptr_nonnull(strstr(out, "username     =       systemd-resolve\n"));
	ck_assert_ptr_nonnull(strstr(out, ": sshd//usr/sbin/sshd\n"));
	ck_assert_ptr_nonnull(strstr(out, "  output       =                 2 eth0\n"));
	ck_assert_ptr_nonnull(strstr(out, "  input        =                 2 eth0\n"));
	ck_assert_ptr_nonnull(strstr(out, "  Label        =  pid=102 ppid=- uid=1000 "));
	ck_assert_ptr_nonnull(strstr(out, "  direction    =                 0\n"));
	ck_assert_ptr_nonnull(strstr(out, "  src addr     =       2001:db8::1\n"));
	rm_tmp();
}
END_TEST

/* -I reads only the appendix: it must hold nfdump's own arithmetic. */
START_TEST(stat_record_I)
{
	char args[700];

	mk_tmp();
	snprintf(args, sizeof(args), "-r %s -I", write_golden(NFF_COMP_LZO));
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_ptr_nonnull(strstr(out, "Ident: testhost\n"));
	ck_assert_ptr_nonnull(strstr(out, "Flows: 5\nFlows_tcp: 3\nFlows_udp: 1\n"
				     "Flows_icmp: 1\nFlows_other: 0\n"));
	ck_assert_ptr_nonnull(strstr(out, "Packets: 89\nPackets_tcp: 86\n"
				     "Packets_udp: 2\nPackets_icmp: 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "Bytes: 25264\nBytes_tcp: 25000\n"
				     "Bytes_udp: 180\nBytes_icmp: 84\n"));
	ck_assert_ptr_nonnull(strstr(out, "First: 1700000000\nLast: 1700000009\n"));
	rm_tmp();
}
END_TEST

START_TEST(time_window)
{
	char args[700];
	const char *f;

	mk_tmp();
	f = write_golden(NFF_COMP_NONE);
	snprintf(args, sizeof(args), "-q -r %s -o 'fmt:%%sp' "
		 "-t 2023/11/14.22:13:20-2023/11/14.22:13:21", f);
	ck_assert_int_eq(nfdump(args), 0);
	squeeze(out);
	ck_assert_str_eq(out, "53000\n0\n");
	/* A window outside the file's stat window skips the file whole. */
	snprintf(args, sizeof(args), "-q -r %s -o 'fmt:%%sp' "
		 "-t 2023/11/14.22:14:00-2023/11/14.22:20:00", f);
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_ptr_nonnull(strstr(errout, "Empty file list"));
	snprintf(args, sizeof(args), "-q -r %s -o 'fmt:%%sp' "
		 "-t 2023/11/14.22:13:00-2023/11/14.22:13:30", f);
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_uint_eq(lines(out), 5);
	rm_tmp();
}
END_TEST

/* nfcapd -S 1 -t 300 layout, an empty slot, a live current file. */
START_TEST(rotated_tree_R_and_nfexpire)
{
	struct nfw_options o = { .twin = 300, .compression = NFF_COMP_LZ4,
				 .ident = "testhost", .subdir = 1 };
	char err[256], args[700];
	struct nfw *w;

	mk_tmp();
	o.dir = tmpdir;
	w = nfw_open(&o, SLOT0 + 10, err, sizeof(err));
	ck_assert_ptr_nonnull(w);
	for (int i = 0; i < 3; i++) {
		struct nfw_flow f = gflow(i);
		nfw_write(w, &f, SLOT0 + 10);
	}
	for (int i = 3; i < 5; i++) {	/* 22:15 stays empty */
		struct nfw_flow f = gflow(i);
		nfw_write(w, &f, SLOT0 + 600);
	}
	ck_assert_int_eq(nfw_flush(w), 0);
	/* The live file is skipped while flows are being written. */
	snprintf(args, sizeof(args), "-q -R %s -o 'fmt:%%sp %%nbnam'", tmpdir);
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_str_eq(errout, "");
	squeeze(out);
	ck_assert_str_eq(out, "40001 Web Content//opt/my app/\"fire\\fox\" 100%=\xc3\xa9\n"
			 "53000 systemd-resolve//usr/lib/systemd/systemd-resolved\n"
			 "51515 sshd//usr/sbin/sshd\n");
	ck_assert_int_eq(nfw_close(w), 0);
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_str_eq(errout, "");
	ck_assert_uint_eq(lines(out), 5);
	ck_assert_ptr_nonnull(strstr(out, "0 Web Content//opt/my app/"));
	snprintf(args, sizeof(args), "-q -R %s/2023/11/14/nfcapd.202311142215 -o 'fmt:%%sp'",
		 tmpdir);
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_uint_eq(lines(out), 2);	/* from 22:15 on */
	snprintf(args, sizeof(args), "-R %s -I", tmpdir);
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_ptr_nonnull(strstr(out, "Flows: 5\n"));

	ck_assert_int_eq(run("%s -r %s", tool("NFEXPIRE", "nfexpire"), tmpdir), 0);
	ck_assert_ptr_nonnull(strstr(out, "Numfiles:  3\n"));
	ck_assert_ptr_nonnull(strstr(out, "First:     2023-11-14 22:10:00\n"));
	ck_assert_ptr_nonnull(strstr(out, "Last:      2023-11-14 22:20:00\n"));
	ck_assert_int_eq(run("%s -l %s", tool("NFEXPIRE", "nfexpire"), tmpdir), 0);
	ck_assert_ptr_nonnull(strstr(out, "Numfiles:  3\n"));
	/* Expiry by name age removes our files like nfcapd's. */
	ck_assert_int_eq(run("%s -e %s -t 1d", tool("NFEXPIRE", "nfexpire"), tmpdir), 0);
	ck_assert_int_eq(run("%s -l %s", tool("NFEXPIRE", "nfexpire"), tmpdir), 0);
	ck_assert_ptr_nonnull(strstr(out, "Numfiles:  0\n"));
	rm_tmp();
}
END_TEST

START_TEST(merged_slot_reads_whole)
{
	struct nfw_options o = { .twin = 300, .compression = NFF_COMP_LZO,
				 .ident = "testhost" };
	char err[256], args[700];

	mk_tmp();
	o.dir = tmpdir;
	for (int run_ = 0; run_ < 2; run_++) {	/* a restart in one slot */
		struct nfw *w = nfw_open(&o, T0 + run_, err, sizeof(err));

		ck_assert_ptr_nonnull(w);
		for (int i = run_ ? 2 : 0; i < (run_ ? 5 : 2); i++) {
			struct nfw_flow f = gflow(i);
			nfw_write(w, &f, T0 + run_);
		}
		ck_assert_int_eq(nfw_close(w), 0);
	}
	snprintf(args, sizeof(args), "-q -r %s/nfcapd.202311142210 -o 'fmt:%%sp %%nbnam'",
		 tmpdir);
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_str_eq(errout, "");
	squeeze(out);
	ck_assert_str_eq(out, "40001 Web Content//opt/my app/\"fire\\fox\" 100%=\xc3\xa9\n"
			 "53000 systemd-resolve//usr/lib/systemd/systemd-resolved\n"
			 "51515 sshd//usr/sbin/sshd\n"
			 "0 Web Content//opt/my app/\"fire\\fox\" 100%=\xc3\xa9\n"
			 "41000 Web Content//opt/my app/\"fire\\fox\" 100%=\xc3\xa9\n");
	snprintf(args, sizeof(args), "-r %s/nfcapd.202311142210 -I", tmpdir);
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_ptr_nonnull(strstr(out, "Flows: 5\n"));
	ck_assert_ptr_nonnull(strstr(out, "Bytes: 25264\n"));
	rm_tmp();
}
END_TEST

/* SIGKILLed writer, file cut at many offsets, recovered: nfdump reads
 * every whole block, exits 0, and -I agrees with what it prints. */
static void killed_recover_readback(int comp)
{
	struct nfw_options o = { .twin = 300, .compression = comp, .ident = "h" };
	char err[256], cur[64], path[400], args[700];
	uint8_t *img;
	size_t len, bounds[8], nb = 0, off = NFF_HEADER_LEN;
	struct stat sb;
	int fd, status;
	pid_t pid;

	mk_tmp();
	o.dir = tmpdir;
	pid = fork();
	if (!pid) {
		struct nfw *w = nfw_open(&o, T0, err, sizeof(err));

		for (int b = 0; w && b < 4; b++) {
			for (int i = 0; i < 5; i++) {
				struct nfw_flow f = gflow(i);
				nfw_write(w, &f, T0);
			}
			nfw_flush(w);
		}
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	waitpid(pid, &status, 0);
	ck_assert(WIFSIGNALED(status));
	snprintf(cur, sizeof(cur), "nfcapd.current.%d", pid);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, cur);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	fstat(fd, &sb);
	len = (size_t)sb.st_size;
	img = malloc(len);
	ck_assert_int_eq(read(fd, img, len), (ssize_t)len);
	close(fd);
	/* nfdump sees nothing in a current file, and does not choke on it */
	snprintf(args, sizeof(args), "-q -R %s -o 'fmt:%%sp'", tmpdir);
	ck_assert_int_eq(nfdump(args), 0);
	ck_assert_str_eq(out, "No matching flows\n");
	ck_assert_ptr_nonnull(strstr(errout, "Empty file list"));
	while (off + 12 <= len && nb < 8) {
		uint32_t size;

		memcpy(&size, img + off + 4, 4);
		off += 12 + size;
		bounds[nb++] = off;
	}
	ck_assert_uint_eq(nb, 4);
	size_t cuts[] = { 40, 41, 52, bounds[0] - 1, bounds[0], bounds[0] + 5,
			  bounds[1] + 12, bounds[2] - 7, bounds[3] - 1, len };
	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		unsigned whole = 0;

		for (size_t b = 0; b < nb; b++)
			whole += bounds[b] <= cuts[k];
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
		ck_assert_int_eq(write(fd, img, cuts[k]), (ssize_t)cuts[k]);
		close(fd);
		ck_assert_int_eq(nfw_recover(&o, err, sizeof(err)), 1);
		snprintf(args, sizeof(args), "-q -R %s -o 'fmt:%%sp %%uname'", tmpdir);
		ck_assert_int_eq(nfdump(args), 0);
		ck_assert_msg(!*errout, "cut %zu: %s", cuts[k], errout);
		ck_assert_msg(lines(out) == whole * 5, "cut %zu: %u lines, want %u",
			      cuts[k], lines(out), whole * 5);
		snprintf(args, sizeof(args), "-r %s/nfcapd.202311142210 -I", tmpdir);
		ck_assert_int_eq(nfdump(args), 0);
		snprintf(err, sizeof(err), "Flows: %u\n", whole * 5);
		ck_assert_ptr_nonnull(strstr(out, err));
		SPRINT(path, "%s/nfcapd.202311142210", tmpdir);
		unlink(path);
		SPRINT(path, "%s/%s", tmpdir, cur);
	}
	free(img);
	rm_tmp();
}

START_TEST(recover_readback_none) { killed_recover_readback(NFF_COMP_NONE); }
END_TEST
START_TEST(recover_readback_lz4) { killed_recover_readback(NFF_COMP_LZ4); }
END_TEST
START_TEST(recover_readback_lzo) { killed_recover_readback(NFF_COMP_LZO); }
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("readback");
	TCase *t = tcase_create("nfdump");

	tcase_add_test(t, fields_all_compressions);
	tcase_add_test(t, label_roundtrip_through_nfdump);
	tcase_add_test(t, raw_output);
	tcase_add_test(t, stat_record_I);
	tcase_add_test(t, time_window);
	tcase_add_test(t, rotated_tree_R_and_nfexpire);
	tcase_add_test(t, merged_slot_reads_whole);
	tcase_add_test(t, recover_readback_none);
	tcase_add_test(t, recover_readback_lz4);
	tcase_add_test(t, recover_readback_lzo);
	tcase_set_timeout(t, 120);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r;
	char cmd[300];
	size_t n;
	FILE *p;
	int failed;

	/* Our slot names and nfdump's printed times are local time. */
	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(cmd, sizeof(cmd), "%s -V 2>&1", tool("NFDUMP", "nfdump"));
	p = popen(cmd, "r");
	n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
	out[n] = 0;
	if (!p || pclose(p) != 0 || !strstr(out, "1.7")) {
		fprintf(stderr, "test_readback: needs nfdump 1.7 (set NFDUMP)\n");
		return EXIT_FAILURE;
	}
	r = srunner_create(suite());
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
