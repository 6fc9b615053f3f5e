/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The EXlabel string: everything exeflow knows about a flow's process as
 * one line of key=value pairs separated by single spaces, keys always
 * present and always in this order:
 *
 *   pid ppid uid gid euid user comm exe md5 sha256 fg cgroup netns how
 *
 * Values are percent-encoded (%XX, upper case) for space, '"', '\', '%',
 * '=', and bytes < 0x21 or >= 0x7f, so the label stays one parseable token
 * list, survives nfdump's unescaped JSON and never contains a NUL. An
 * unknown value is written as "-"; a real value "-" is written "%2D", so
 * the two never mix.
 */
#ifndef EXEFLOW_LABEL_H
#define EXEFLOW_LABEL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Enough for every input within the daemon's limits (exe < 4096 bytes,
 * user < 256, comm < 16, all encoded at 3 bytes each); lbl_encode returns
 * -1 rather than cut a label short.
 */
#define LBL_MAX 16384

enum {	/* which numeric fields of struct lbl_proc are known */
	LBL_PID = 1 << 0, LBL_PPID = 1 << 1, LBL_UID = 1 << 2,
	LBL_GID = 1 << 3, LBL_EUID = 1 << 4, LBL_CGROUP = 1 << 5,
	LBL_NETNS = 1 << 6,
};

struct lbl_proc {
	unsigned have;		/* LBL_* bits */
	uint32_t pid, ppid, uid, gid, euid;
	uint64_t cgroup, netns;
	int fg;			/* 1 foreground, 0 background, -1 unknown */
	/* NULL or "" = unknown */
	const char *user, *comm, *exe;
	const char *md5, *sha256;	/* lower-case hex */
	const char *how;	/* task, accept, socket, socket-creds, kernel, none */
};

/* Write the label into @buf (NUL terminated). Returns its length, or -1
 * with errno ERANGE if it does not fit in @len. */
int lbl_encode(char *buf, size_t len, const struct lbl_proc *p);

/*
 * lbl_encode() in two parts: the process's (pid to cgroup), which is the
 * same for every flow of a process and can be kept (flowconv.c), and the
 * flow's own (netns, how), appended at @at, the first part's length.
 * Same returns as lbl_encode(); lbl_encode_flow() returns the whole
 * label's length.
 */
int lbl_encode_proc(char *buf, size_t len, const struct lbl_proc *p);
int lbl_encode_flow(char *buf, size_t len, size_t at,
		    const struct lbl_proc *p);

/*
 * Find @key in @label and decode its value into @out (NUL terminated; a
 * decoded value may contain any byte except NUL). Returns 1 if found with
 * a value, 0 if found as unknown ("-"), -1 if absent, malformed or longer
 * than @outlen - 1.
 */
int lbl_get(const char *label, const char *key, char *out, size_t outlen);

#endif
