// SPDX-License-Identifier: GPL-2.0
/* 6.7 (backported to 6.1.y): multicast groups carry GENL_MCAST_CAP_* */
#include <net/genetlink.h>

struct genl_multicast_group probe_grp = {
	.name = "probe",
	.flags = GENL_MCAST_CAP_NET_ADMIN,
};
