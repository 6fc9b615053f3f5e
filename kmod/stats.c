// SPDX-License-Identifier: GPL-2.0
/* Per-CPU counters, summed on read, plus the live gauges. */
#include <linux/percpu.h>
#include <linux/string.h>

#include "export.h"
#include "flowtable.h"
#include "proc.h"
#include "sockowner.h"
#include "stats.h"

struct ef_stats __percpu *ef_stats;

int ef_stats_init(void)
{
	ef_stats = alloc_percpu(struct ef_stats);
	return ef_stats ? 0 : -ENOMEM;
}

void ef_stats_exit(void)
{
	free_percpu(ef_stats);
	ef_stats = NULL;
}

void ef_stats_read(u64 out[__EXEFLOW_S_MAX])
{
	int cpu, i;

	memset(out, 0, sizeof(u64) * __EXEFLOW_S_MAX);
	for_each_possible_cpu(cpu) {
		const struct ef_stats *s = per_cpu_ptr(ef_stats, cpu);

		for (i = 0; i < __EXEFLOW_S_MAX; i++)
			out[i] += READ_ONCE(s->c[i]);
	}
	out[EXEFLOW_S_FLOWS_ACTIVE] = ef_flowtable_count();
	out[EXEFLOW_S_PROCS_ACTIVE] = ef_proc_count();
	out[EXEFLOW_S_OWNERS_ACTIVE] = ef_sockowner_count();
	out[EXEFLOW_S_BACKLOG] = ef_export_backlog();
}
