/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_PARAMS_H
#define EXEFLOW_PARAMS_H

#include <linux/compiler.h>

/* An unsigned module parameter with an inclusive range. */
struct ef_param {
	unsigned int val;
	unsigned int min;
	unsigned int max;
};

extern struct ef_param ef_p_enabled;
extern struct ef_param ef_p_track_loopback;
extern struct ef_param ef_p_inactive_timeout;
extern struct ef_param ef_p_active_timeout;
extern struct ef_param ef_p_tcp_close_timeout;
extern struct ef_param ef_p_accept_probe;
extern struct ef_param ef_p_export_interval_ms;
extern struct ef_param ef_p_hash_size;
extern struct ef_param ef_p_max_flows;
extern struct ef_param ef_p_max_procs;
extern struct ef_param ef_p_max_owners;
extern struct ef_param ef_p_max_backlog;

/* Read a parameter; safe on the packet path against concurrent writes. */
#define ef_param(name)	READ_ONCE(ef_p_##name.val)

#endif /* EXEFLOW_PARAMS_H */
