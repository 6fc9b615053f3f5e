// SPDX-License-Identifier: GPL-2.0
/* declared (and exported) on 6.1+, absent on 5.10 */
#include <linux/cgroup.h>

struct cgroup *probe_fn(u64 id);
struct cgroup *probe_fn(u64 id)
{
	return cgroup_get_from_id(id);
}
