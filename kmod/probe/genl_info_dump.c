// SPDX-License-Identifier: GPL-2.0
/* 6.6: genl_info_dump() replaces genl_dumpit_info(cb)->attrs */
#include <net/genetlink.h>

const struct genl_info *probe_fn(struct netlink_callback *cb);
const struct genl_info *probe_fn(struct netlink_callback *cb)
{
	return genl_info_dump(cb);
}
