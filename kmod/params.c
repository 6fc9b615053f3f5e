// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters (/sys/module/exeflow/parameters/). Every value is range
 * checked: an invalid write fails with -EINVAL and keeps the old value.
 * Tunables are 0644; sizes that only make sense at load time are 0444.
 * PARAMETERS.md documents each one.
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>

#include "acceptprobe.h"
#include "export.h"
#include "params.h"

#define EF_PARAM(name, def, lo, hi) \
	struct ef_param ef_p_##name = { .val = (def), .min = (lo), .max = (hi) }

EF_PARAM(enabled, 1, 0, 1);
EF_PARAM(track_loopback, 0, 0, 1);
EF_PARAM(inactive_timeout, 15, 1, 3600);
EF_PARAM(active_timeout, 300, 1, 86400);
EF_PARAM(tcp_close_timeout, 2, 0, 300);
EF_PARAM(accept_probe, 1, 0, 1);
EF_PARAM(export_interval_ms, 1000, 10, 60000);
EF_PARAM(hash_size, 65536, 16, 1U << 24);
EF_PARAM(max_flows, 131072, 1, 1U << 24);
EF_PARAM(max_procs, 16384, 1, 1U << 20);
EF_PARAM(max_owners, 65536, 1, 1U << 22);
EF_PARAM(max_backlog, 32768, 1, 1U << 22);

static int ef_param_parse(const char *buf, const struct ef_param *p,
			  unsigned int *out)
{
	unsigned int v;
	bool b;

	if (kstrtouint(buf, 0, &v)) {
		/* booleans may also be written as y/n/on/off */
		if (p->max != 1 || kstrtobool(buf, &b))
			return -EINVAL;
		v = b;
	}
	if (v < p->min || v > p->max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int ef_param_set(const char *buf, const struct kernel_param *kp)
{
	struct ef_param *p = kp->arg;
	unsigned int v;
	int err;

	err = ef_param_parse(buf, p, &v);
	if (err)
		return err;
	WRITE_ONCE(p->val, v);
	return 0;
}

static int ef_param_get(char *buf, const struct kernel_param *kp)
{
	const struct ef_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(p->val));
}

static const struct kernel_param_ops ef_param_ops = {
	.set = ef_param_set,
	.get = ef_param_get,
};

/* hash_size is rounded up to a power of two. */
static int ef_param_set_pow2(const char *buf, const struct kernel_param *kp)
{
	struct ef_param *p = kp->arg;
	unsigned int v;
	int err;

	err = ef_param_parse(buf, p, &v);
	if (err)
		return err;
	WRITE_ONCE(p->val, roundup_pow_of_two(v));
	return 0;
}

static const struct kernel_param_ops ef_param_pow2_ops = {
	.set = ef_param_set_pow2,
	.get = ef_param_get,
};

/* The export period takes effect at once. */
static int ef_param_set_interval(const char *buf,
				 const struct kernel_param *kp)
{
	int err = ef_param_set(buf, kp);

	if (!err)
		ef_export_kick();
	return err;
}

static const struct kernel_param_ops ef_param_interval_ops = {
	.set = ef_param_set_interval,
	.get = ef_param_get,
};

/* Writing accept_probe registers or unregisters the kretprobe. */
static int ef_param_set_accept(const char *buf, const struct kernel_param *kp)
{
	struct ef_param *p = kp->arg;
	unsigned int v;
	int err;

	err = ef_param_parse(buf, p, &v);
	if (err)
		return err;
	return ef_acceptprobe_set(v);	/* stores the value on success */
}

static const struct kernel_param_ops ef_param_accept_ops = {
	.set = ef_param_set_accept,
	.get = ef_param_get,
};

module_param_cb(enabled, &ef_param_ops, &ef_p_enabled, 0644);
MODULE_PARM_DESC(enabled, "Account packets (0/1, default 1)");
module_param_cb(track_loopback, &ef_param_ops, &ef_p_track_loopback, 0644);
MODULE_PARM_DESC(track_loopback, "Account loopback traffic (0/1, default 0)");
module_param_cb(inactive_timeout, &ef_param_ops, &ef_p_inactive_timeout,
		0644);
MODULE_PARM_DESC(inactive_timeout, "Idle seconds before a flow ends (1-3600, default 15)");
module_param_cb(active_timeout, &ef_param_ops, &ef_p_active_timeout, 0644);
MODULE_PARM_DESC(active_timeout, "Seconds between interim UPDATE records (1-86400, default 300)");
module_param_cb(tcp_close_timeout, &ef_param_ops, &ef_p_tcp_close_timeout,
		0644);
MODULE_PARM_DESC(tcp_close_timeout, "Seconds after TCP FIN/RST before the flow ends (0-300, default 2)");
module_param_cb(accept_probe, &ef_param_accept_ops, &ef_p_accept_probe,
		0644);
MODULE_PARM_DESC(accept_probe, "kretprobe on inet_csk_accept to attribute accepted sockets (0/1, default 1)");
module_param_cb(export_interval_ms, &ef_param_interval_ops,
		&ef_p_export_interval_ms, 0644);
MODULE_PARM_DESC(export_interval_ms, "Exporter period in ms (10-60000, default 1000)");
module_param_cb(hash_size, &ef_param_pow2_ops, &ef_p_hash_size, 0444);
MODULE_PARM_DESC(hash_size, "Flow hash buckets, rounded up to a power of two (16-16777216, default 65536)");
module_param_cb(max_flows, &ef_param_ops, &ef_p_max_flows, 0444);
MODULE_PARM_DESC(max_flows, "Maximum live flows (1-16777216, default 131072)");
module_param_cb(max_procs, &ef_param_ops, &ef_p_max_procs, 0444);
MODULE_PARM_DESC(max_procs, "Maximum process records (1-1048576, default 16384)");
module_param_cb(max_owners, &ef_param_ops, &ef_p_max_owners, 0444);
MODULE_PARM_DESC(max_owners, "Maximum socket-owner entries (1-4194304, default 65536)");
module_param_cb(max_backlog, &ef_param_ops, &ef_p_max_backlog, 0444);
MODULE_PARM_DESC(max_backlog, "Maximum records waiting for export (1-4194304, default 32768)");
