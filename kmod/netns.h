/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_NETNS_H
#define EXEFLOW_NETNS_H

#include <linux/netfilter.h>
#include <linux/types.h>

#include "hook.h"

/* Per network namespace state (net_generic). */
struct ef_net {
	u64 id;				/* module-assigned, never reused */
	struct nf_hook_ops ops[EF_NHOOKS];
};

int ef_netns_init(void);
u64 ef_netns_id(const struct net *net);
void ef_netns_exit(void);

#endif /* EXEFLOW_NETNS_H */
