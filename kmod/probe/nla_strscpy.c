// SPDX-License-Identifier: GPL-2.0
/* 5.11: nla_strlcpy() renamed nla_strscpy() */
#include <net/netlink.h>

ssize_t probe_fn(char *d, const struct nlattr *a, size_t n);
ssize_t probe_fn(char *d, const struct nlattr *a, size_t n)
{
	return nla_strscpy(d, a, n);
}
