// SPDX-License-Identifier: GPL-2.0
/*
 * capexec UID GID CAP[,CAP...] PROG [ARGS...]: runs PROG as UID:GID (no
 * supplementary groups) holding exactly the named capabilities, the way
 * systemd's User= + AmbientCapabilities= does, without libcap:
 *   - the bounding set is cut to CAPS (so nothing else can come back, not
 *     even through a set-uid or file-capability binary);
 *   - PR_SET_KEEPCAPS, setgid/setuid: permitted survives the uid change;
 *   - capset: effective = permitted = inheritable = CAPS;
 *   - PR_CAP_AMBIENT_RAISE for each, so they survive execve of a plain
 *     binary (ambient needs permitted and inheritable).
 * CAP names as in capabilities(7) without the CAP_ prefix, lower case
 * (net_admin,dac_read_search,sys_ptrace), or numbers; "none" for none.
 * Must start as root.
 */
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

static const struct {
	const char *name;
	int cap;
} names[] = {
	{ "chown", CAP_CHOWN }, { "dac_override", CAP_DAC_OVERRIDE },
	{ "dac_read_search", CAP_DAC_READ_SEARCH }, { "fowner", CAP_FOWNER },
	{ "kill", CAP_KILL }, { "setgid", CAP_SETGID }, { "setuid", CAP_SETUID },
	{ "setpcap", CAP_SETPCAP }, { "net_bind_service", CAP_NET_BIND_SERVICE },
	{ "net_admin", CAP_NET_ADMIN }, { "net_raw", CAP_NET_RAW },
	{ "sys_ptrace", CAP_SYS_PTRACE }, { "sys_admin", CAP_SYS_ADMIN },
	{ "sys_resource", CAP_SYS_RESOURCE },
};

static int cap_of(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s && !*end)
		return v >= 0 && v <= CAP_LAST_CAP ? (int)v : -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].cap;
	return -1;
}

static void die(const char *what)
{
	fprintf(stderr, "capexec: %s: %s\n", what, strerror(errno));
	exit(126);
}

int main(int argc, char **argv)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	uint64_t mask = 0;
	char *list, *tok, *save = NULL;
	uid_t uid;
	gid_t gid;

	if (argc < 5) {
		fprintf(stderr, "usage: capexec UID GID CAP[,CAP...]|none PROG [ARGS...]\n");
		return 2;
	}
	uid = (uid_t)strtoul(argv[1], NULL, 10);
	gid = (gid_t)strtoul(argv[2], NULL, 10);
	list = strdup(argv[3]);
	for (tok = strtok_r(list, ",", &save); tok && strcmp(tok, "none");
	     tok = strtok_r(NULL, ",", &save)) {
		int c = cap_of(tok);

		if (c < 0) {
			fprintf(stderr, "capexec: unknown capability '%s'\n", tok);
			return 2;
		}
		mask |= 1ULL << c;
	}

	/* Bounding set: only CAPS (needs CAP_SETPCAP: still root here). */
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (!(mask & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			die("PR_CAPBSET_DROP");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die("PR_SET_KEEPCAPS");
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		die("setuid");

	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = data[0].inheritable =
		(uint32_t)mask;
	data[1].effective = data[1].permitted = data[1].inheritable =
		(uint32_t)(mask >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset");
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if ((mask & (1ULL << c)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			die("PR_CAP_AMBIENT_RAISE");
	execvp(argv[4], argv + 4);
	die("exec");
	return 127;
}
