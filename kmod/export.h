/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_EXPORT_H
#define EXEFLOW_EXPORT_H

#include <linux/types.h>

struct ef_queue;

/*
 * Export: a bounded backlog of records (ended flows and NEW/UPDATE
 * snapshots) sent as unicast batches to the registered listener by the
 * exporter work. -EAGAIN keeps records queued for a retry.
 */
void ef_export_start(void);
void ef_export_final(void);
void ef_export_stop(void);
void ef_export_exit(void);

void ef_export_kick(void);
void ef_export_queue(struct ef_queue *recs);
void ef_export_end_netns(u64 netns_id);
int ef_export_flush(void);

void ef_export_register(u32 portid);
void ef_export_unregister(u32 portid);
u32 ef_export_listener(void);
unsigned int ef_export_backlog(void);
u64 ef_export_last_seq(void);

#endif /* EXEFLOW_EXPORT_H */
