/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_RECORD_H
#define EXEFLOW_RECORD_H

#include <linux/types.h>

struct ef_flow;
struct ef_proc;
struct sk_buff;

/* Room for one record with the longest path (sizing a lone record). */
#define EF_RECORD_MAX	(PATH_MAX + 1024)

/* Append one nested EXEFLOW_A_FLOW; -EMSGSIZE (nothing added) if full. */
int ef_record_put(struct sk_buff *skb, const struct ef_flow *f, u8 event,
		  u64 seq);
/*
 * @p's EXEFLOW_F_PROC payload as of exe state @state, in a kmalloc'ed
 * buffer of *@len bytes, or NULL (no memory). Process context.
 */
void *ef_record_proc_attrs(const struct ef_proc *p, int state, u32 *len);

#endif /* EXEFLOW_RECORD_H */
