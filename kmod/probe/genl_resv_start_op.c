// SPDX-License-Identifier: GPL-2.0
/* 6.1: struct genl_family gained resv_start_op */
#include <net/genetlink.h>

struct genl_family probe_family = {
	.resv_start_op = 0,
};
