/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_IFNAME_H
#define EXEFLOW_IFNAME_H

#include <linux/if.h>
#include <linux/types.h>

int ef_ifname_init(void);
void ef_ifname_stop(void);
void ef_ifname_exit(void);

/* The name of interface @ifindex of namespace @netns_id; false if unknown. */
bool ef_ifname_get(u64 netns_id, int ifindex, char name[IFNAMSIZ]);

/* Called by the notifier; also by the KUnit suites to plant names. */
void ef_ifname_set(u64 netns_id, int ifindex, const char *name);
void ef_ifname_gone(u64 netns_id, int ifindex);
/* How many names of unregistered devices are kept. */
unsigned int ef_ifname_gone_max(void);
/* Forget every name of @netns_id (KUnit), or every name (0). */
void ef_ifname_forget(u64 netns_id);

#endif /* EXEFLOW_IFNAME_H */
