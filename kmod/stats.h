/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_STATS_H
#define EXEFLOW_STATS_H

#include <linux/percpu.h>
#include <uapi/exeflow.h>

struct ef_stats {
	u64 c[__EXEFLOW_S_MAX];
};

extern struct ef_stats __percpu *ef_stats;

/* Event counters; gauges (EXEFLOW_S_*_ACTIVE, _BACKLOG) are read live. */
static inline void ef_stat_add(enum exeflow_stat s, u64 n)
{
	this_cpu_add(ef_stats->c[s], n);
}

static inline void ef_stat_inc(enum exeflow_stat s)
{
	this_cpu_inc(ef_stats->c[s]);
}

int ef_stats_init(void);
void ef_stats_exit(void);
void ef_stats_read(u64 out[__EXEFLOW_S_MAX]);

#endif /* EXEFLOW_STATS_H */
