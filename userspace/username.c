// SPDX-License-Identifier: GPL-2.0
#include "username.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SLOTS 256
/* Names change rarely but do change (useradd after the first flow):
 * entries are trusted for a minute. */
#define TTL_SECS 60

static struct {
	uint32_t uid;
	time_t at;
	char name[EF_USER_LEN];
} cache[SLOTS];

const char *ef_username(uint32_t uid)
{
	unsigned slot = (uid * 2654435761u) % SLOTS;
	time_t now = time(NULL);
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (cache[slot].at && cache[slot].uid == uid &&
	    now - cache[slot].at < TTL_SECS)
		return cache[slot].name;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
	    strlen(res->pw_name) < EF_USER_LEN)
		snprintf(cache[slot].name, EF_USER_LEN, "%s", res->pw_name);
	else
		snprintf(cache[slot].name, EF_USER_LEN, "%u", uid);
	cache[slot].uid = uid;
	cache[slot].at = now;
	return cache[slot].name;
}
