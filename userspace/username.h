/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uid -> user name, cached: every flow record needs one and NSS lookups
 * can be slow (LDAP, sssd). A uid with no passwd entry is its decimal
 * number, as analysts expect from ls -l.
 */
#ifndef EXEFLOW_USERNAME_H
#define EXEFLOW_USERNAME_H

#include <stddef.h>
#include <stdint.h>

#define EF_USER_LEN 66	/* EXnselUser holds 65 chars + NUL */

/* Returns a pointer into the cache, valid until the next call. */
const char *ef_username(uint32_t uid);

#endif
