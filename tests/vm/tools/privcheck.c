// SPDX-License-Identifier: GPL-2.0
/*
 * privcheck [-r]: what a caller may do with the EXEFLOW family.
 *
 * Without -r (run it as an unprivileged user): the family is visible, but
 * REGISTER, UNREGISTER, GET_STATS, FLUSH and the GET_FLOWS dump are each
 * refused with EPERM and bring back no data; every multicast group the
 * family advertises refuses to be joined. Then the same user makes a user
 * namespace (where it holds every capability, CAP_NET_ADMIN included):
 * still EPERM, since the family wants CAP_NET_ADMIN in the initial user
 * namespace; and in a network namespace of its own the family does not
 * exist (ENOENT). If the kernel allows no unprivileged user namespace that
 * part prints "skip:" instead.
 *
 * -r (as root, the control): GET_STATS answers with data and ack 0, the
 * dump completes. Read-only: nothing is registered or flushed.
 *
 * Every check prints "ok: ..." or "FAIL: ..."; exit 1 if any failed.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "nlraw.h"
#include "uapi/exeflow.h"

static int failures, seq = 100;

static void result(bool ok, const char *fmt, const char *what, int err)
{
	printf("%s: ", ok ? "ok" : "FAIL");
	printf(fmt, what, err ? strerror(-err) : "success");
	printf("\n");
	if (!ok)
		failures++;
}

static const struct op {
	const char *name;
	uint8_t cmd;
	uint16_t flags;
} ops[] = {
	{ "register", EXEFLOW_CMD_REGISTER, 0 },
	{ "unregister", EXEFLOW_CMD_UNREGISTER, 0 },
	{ "get_stats", EXEFLOW_CMD_GET_STATS, 0 },
	{ "flush", EXEFLOW_CMD_FLUSH, 0 },
	{ "get_flows dump", EXEFLOW_CMD_GET_FLOWS, NLM_F_DUMP },
};

/* One request on a fresh socket: the error it got, data messages seen. */
static int ask(int family, const struct op *op, unsigned int *data)
{
	int fd = nlraw_open(10), err;

	*data = 0;
	if (fd < 0)
		return -errno;
	seq++;
	if (nlraw_request(fd, (uint16_t)family,
			  NLM_F_REQUEST | NLM_F_ACK | op->flags, op->cmd,
			  EXEFLOW_GENL_VERSION, NULL, 0, (uint32_t)seq) < 0)
		err = -errno;
	else
		err = nlraw_wait(fd, (uint32_t)seq, data);
	close(fd);
	return err;
}

static void all_refused(int family, const char *where, int want)
{
	char what[96];

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		unsigned int data;
		int err = ask(family, &ops[i], &data);

		snprintf(what, sizeof(what), "%s%s", where, ops[i].name);
		result(err == want && !data, "%s refused: %s", what, err);
		if (data)
			printf("FAIL: %s brought back %u messages\n", what, data);
	}
}

static void groups_refused(const struct nlraw_family *fam)
{
	if (!fam->ngroups)
		printf("ok: the family has no multicast groups to join\n");
	for (int i = 0; i < fam->ngroups; i++) {
		int fd = nlraw_open(10), err = 0;
		uint32_t id = fam->group_id[i];

		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &id,
			       sizeof(id)) < 0)
			err = -errno;
		close(fd);
		result(err == -EPERM, "join of group %s refused: %s",
		       fam->group_name[i], err);
	}
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* A user namespace of our own, mapping us to root in it. */
static void in_userns(int family)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64];
	struct nlraw_family fam;
	unsigned int data;
	int fd, err;

	if (unshare(CLONE_NEWUSER) < 0) {
		printf("skip: no unprivileged user namespace here (%s)\n",
		       strerror(errno));
		return;
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	write_file("/proc/self/setgroups", "deny");
	if (write_file("/proc/self/uid_map", map) < 0) {
		printf("FAIL: uid_map: %s\n", strerror(errno));
		failures++;
		return;
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	write_file("/proc/self/gid_map", map);
	printf("ok: in a user namespace as uid %u (all capabilities there)\n",
	       (unsigned)getuid());
	all_refused(family, "userns: ", -EPERM);

	if (unshare(CLONE_NEWNET) < 0) {
		printf("FAIL: unshare(CLONE_NEWNET) in the user namespace: %s\n",
		       strerror(errno));
		failures++;
		return;
	}
	fd = nlraw_open(10);
	err = fd < 0 ? -errno : nlraw_resolve(fd, EXEFLOW_GENL_NAME, &fam);
	if (fd >= 0)
		close(fd);
	result(err == -ENOENT, "%s: family invisible in a new netns: %s",
	       "userns+netns", err);
	err = ask(family, &ops[2], &data);
	result(err != 0 && !data, "%s: get_stats by family id refused: %s",
	       "userns+netns", err);
}

int main(int argc, char **argv)
{
	bool root = argc > 1 && !strcmp(argv[1], "-r");
	struct nlraw_family fam;
	unsigned int data;
	int fd = nlraw_open(10), err;

	if (fd < 0) {
		perror("privcheck: socket");
		return 2;
	}
	err = nlraw_resolve(fd, EXEFLOW_GENL_NAME, &fam);
	close(fd);
	if (err) {
		printf("FAIL: resolving %s: %s\n", EXEFLOW_GENL_NAME, strerror(-err));
		return 1;
	}
	printf("ok: uid %u sees family %s (id %d, %d multicast groups)\n",
	       (unsigned)getuid(), EXEFLOW_GENL_NAME, fam.id, fam.ngroups);
	if (root) {
		err = ask(fam.id, &ops[2], &data);
		result(!err && data == 1, "%s answered: %s", "get_stats", err);
		err = ask(fam.id, &ops[4], &data);
		result(!err, "%s completed: %s", "get_flows dump", err);
		printf("privcheck: %d failed\n", failures);
		return failures ? 1 : 0;
	}
	all_refused(fam.id, "", -EPERM);
	groups_refused(&fam);
	in_userns(fam.id);
	printf("privcheck: %d failed\n", failures);
	return failures ? 1 : 0;
}
