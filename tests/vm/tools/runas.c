// SPDX-License-Identifier: GPL-2.0
/*
 * runas UID GID PROG ARGS...: runs PROG as an unprivileged user with no
 * supplementary groups and no capabilities (busybox's setpriv cannot
 * change uids), for the privilege scenarios.
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uid_t uid;
	gid_t gid;

	if (argc < 4) {
		fprintf(stderr, "usage: runas UID GID PROG [ARGS...]\n");
		return 2;
	}
	uid = (uid_t)strtoul(argv[1], NULL, 10);
	gid = (gid_t)strtoul(argv[2], NULL, 10);
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		perror("runas");
		return 2;
	}
	execvp(argv[3], argv + 3);
	perror("runas: exec");
	return 127;
}
