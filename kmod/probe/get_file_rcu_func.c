// SPDX-License-Identifier: GPL-2.0
/* 6.7+: get_file_rcu() is a function taking struct file __rcu ** */
#include <linux/fs.h>

struct file *probe_fn(struct file __rcu **f);
struct file *probe_fn(struct file __rcu **f)
{
	return get_file_rcu(f);
}
